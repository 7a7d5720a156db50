/* SPDX-License-Identifier: MIT */
/* httpd.h on libmicrohttpd: one internal polling thread per server, responses built from the
 * handler's struct httpd_response. No state is shared between servers.
 */
#include "review/httpd.h"

#include "common/err.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


struct httpd {
	struct MHD_Daemon *daemon;
	httpd_handler_fn fn;
	void *ud;
	unsigned port;
};

static enum MHD_ResponseMemoryMode httpd_mem_mode(const struct httpd_response *r)
{
	if (r->body_static)
		return MHD_RESPMEM_PERSISTENT;
	return r->body_free ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_MUST_COPY;
}

static enum MHD_Result httpd_answer(void *cls, struct MHD_Connection *conn, const char *url,
				    const char *method, const char *version,
				    const char *upload_data, size_t *upload_data_size,
				    void **con_cls)
{
	struct httpd *h = cls;
	(void)version;
	(void)upload_data;
	(void)upload_data_size;
	(void)con_cls;

	struct httpd_request req = {.method = method, .path = url};
	struct httpd_response r = {0};
	if (h->fn(h->ud, &req, &r) < 0) {
		if (r.body_free)
			free((void *)r.body);
		r = (struct httpd_response){.status = 500, .content_type = "text/plain",
					    .body = "internal error\n", .len = 15,
					    .body_static = true};
	}
	struct MHD_Response *resp =
		MHD_create_response_from_buffer(r.len, (void *)r.body, httpd_mem_mode(&r));
	if (!resp) {
		if (r.body_free)
			free((void *)r.body);
		return MHD_NO;
	}
	if (r.content_type)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, r.content_type);
	for (size_t i = 0; i < r.nheaders && i < HTTPD_MAX_HEADERS; i++)
		MHD_add_response_header(resp, r.headers[i].name, r.headers[i].value);
	enum MHD_Result ret = MHD_queue_response(conn, (unsigned)r.status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static int httpd_sockaddr(const char *addr, unsigned port, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	struct sockaddr_in *in4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
	if (inet_pton(AF_INET, addr, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
		in4->sin_port = htons((uint16_t)port);
		return AF_INET;
	}
	if (inet_pton(AF_INET6, addr, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)port);
		return AF_INET6;
	}
	return ERR_USAGE;
}

int httpd_start(const char *addr, unsigned port, httpd_handler_fn fn, void *ud,
		struct httpd **ret_httpd, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	if (!addr)
		addr = "127.0.0.1";
	int family = httpd_sockaddr(addr, port, &ss);
	if (family < 0 || port > 65535) {
		snprintf(err, errlen, "cannot listen on %s:%u: not an IP address and port", addr, port);
		return ERR_USAGE;
	}
	struct httpd *h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	h->fn = fn;
	h->ud = ud;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO;
	if (family == AF_INET6)
		flags |= MHD_USE_IPv6;
	h->daemon = MHD_start_daemon(flags, (uint16_t)port, NULL, NULL, httpd_answer, h,
				     MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
				     MHD_OPTION_CONNECTION_TIMEOUT, 30u, MHD_OPTION_END);
	if (!h->daemon) {
		int e = errno ? errno : EADDRINUSE;
		snprintf(err, errlen, "cannot listen on %s:%u: %s", addr, port, strerror(e));
		free(h);
		return -e;
	}
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(h->daemon, MHD_DAEMON_INFO_BIND_PORT);
	h->port = info ? info->port : port;
	*ret_httpd = h;
	return 0;
}

unsigned httpd_port(const struct httpd *h)
{
	return h->port;
}

void httpd_stop(struct httpd *h)
{
	if (!h)
		return;
	MHD_stop_daemon(h->daemon);
	free(h);
}
