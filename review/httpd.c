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
#include <strings.h>

struct httpd {
	struct MHD_Daemon *daemon;
	httpd_handler_fn fn;
	void *ud;
	unsigned port;
	bool tls;
};

static enum MHD_ResponseMemoryMode httpd_mem_mode(const struct httpd_response *r)
{
	if (r->body_static)
		return MHD_RESPMEM_PERSISTENT;
	return r->body_free ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_MUST_COPY;
}

/* What one request gathers between libmicrohttpd's calls: its body (capped) and pairs. */
struct httpd_conn {
	char *body;
	size_t len;
	bool too_big;
	struct httpd_kv query[64];
	size_t nquery;
	struct httpd_kv *form;
	size_t nform;
};

static void httpd_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			    enum MHD_RequestTerminationCode code)
{
	(void)cls;
	(void)conn;
	(void)code;
	struct httpd_conn *c = *con_cls;
	if (c) {
		free(c->body);
		free(c->form);
		free(c);
	}
	*con_cls = NULL;
}

static enum MHD_Result httpd_query_pair(void *cls, enum MHD_ValueKind kind, const char *key,
					const char *value)
{
	(void)kind;
	struct httpd_conn *c = cls;
	if (c->nquery >= sizeof(c->query) / sizeof(c->query[0]))
		return MHD_NO;
	c->query[c->nquery++] = (struct httpd_kv){key, value ? value : ""};
	return MHD_YES;
}

static int httpd_body_add(struct httpd_conn *c, const char *data, size_t n)
{
	if (c->too_big || c->len + n > HTTPD_MAX_BODY) {
		c->too_big = true;
		return 0;
	}
	char *p = realloc(c->body, c->len + n + 1);
	if (!p)
		return -ENOMEM;
	memcpy(p + c->len, data, n);
	c->body = p;
	c->len += n;
	p[c->len] = 0;
	return 0;
}

static int httpd_form_of(struct MHD_Connection *conn, struct httpd_conn *c)
{
	const char *ct = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Type");
	if (!c->body || !ct || strncasecmp(ct, "application/x-www-form-urlencoded", 33) != 0)
		return 0;
	c->form = calloc(HTTPD_MAX_ARGS, sizeof(*c->form));
	if (!c->form)
		return -ENOMEM;
	int rc = httpd_form_parse(c->body, c->len, c->form, HTTPD_MAX_ARGS, &c->nform);
	return rc == ERR_TOO_BIG ? 0 : rc;
}

static void httpd_fail(struct httpd_response *r, int status, const char *text)
{
	if (r->body_free)
		free((void *)r->body);
	for (size_t i = 0; i < r->nowned && i < 4; i++)
		free(r->owned[i]);
	*r = (struct httpd_response){.status = status,
				     .content_type = "text/plain",
				     .body = text,
				     .len = strlen(text),
				     .body_static = true};
}

static enum MHD_Result httpd_respond(struct MHD_Connection *conn, struct httpd_response *r)
{
	struct MHD_Response *resp =
		MHD_create_response_from_buffer(r->len, (void *)r->body, httpd_mem_mode(r));
	if (!resp && r->body_free)
		free((void *)r->body);
	if (resp && r->content_type)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, r->content_type);
	for (size_t i = 0; resp && i < r->nheaders && i < HTTPD_MAX_HEADERS; i++)
		MHD_add_response_header(resp, r->headers[i].name, r->headers[i].value);
	for (size_t i = 0; i < r->nowned && i < 4; i++)
		free(r->owned[i]);
	if (!resp)
		return MHD_NO;
	enum MHD_Result ret = MHD_queue_response(conn, (unsigned)r->status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static bool httpd_has_body(const char *method)
{
	return strcmp(method, "POST") == 0 || strcmp(method, "PUT") == 0 ||
	       strcmp(method, "PATCH") == 0;
}

static enum MHD_Result httpd_answer(void *cls, struct MHD_Connection *conn, const char *url,
				    const char *method, const char *version,
				    const char *upload_data, size_t *upload_data_size,
				    void **con_cls)
{
	struct httpd *h = cls;
	(void)version;
	struct httpd_conn *c = *con_cls;
	if (!c) {
		if (!(c = calloc(1, sizeof(*c))))
			return MHD_NO;
		*con_cls = c;
		if (httpd_has_body(method))
			return MHD_YES; /* the body comes in the next calls */
	}
	if (*upload_data_size) {
		int rc = httpd_body_add(c, upload_data, *upload_data_size);
		*upload_data_size = 0;
		return rc ? MHD_NO : MHD_YES;
	}
	struct httpd_response r = {0};
	if (c->too_big) {
		httpd_fail(&r, 413, "request body too large\n");
		return httpd_respond(conn, &r);
	}
	MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, httpd_query_pair, c);
	if (httpd_form_of(conn, c) < 0)
		return MHD_NO;
	const union MHD_ConnectionInfo *tls =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_PROTOCOL);
	struct httpd_request req = {
		.method = method,
		.path = url,
		.query = c->query,
		.nquery = c->nquery,
		.form = c->form,
		.nform = c->nform,
		.cookie = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Cookie"),
		.host = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Host"),
		.origin = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Origin"),
		.accept_language =
			MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Accept-Language"),
		.tls = h->tls && tls != NULL,
	};
	if (h->fn(h->ud, &req, &r) < 0)
		httpd_fail(&r, 500, "internal error\n");
	return httpd_respond(conn, &r);
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
	return httpd_start_tls(addr, port, NULL, fn, ud, ret_httpd, err, errlen);
}

int httpd_start_tls(const char *addr, unsigned port, const struct httpd_tls *tls,
		    httpd_handler_fn fn, void *ud, struct httpd **ret_httpd, char *err,
		    size_t errlen)
{
	struct sockaddr_storage ss;
	if (!addr)
		addr = "127.0.0.1";
	int family = httpd_sockaddr(addr, port, &ss);
	if (family < 0 || port > 65535) {
		snprintf(err, errlen, "cannot listen on %s:%u: not an IP address and port", addr,
			 port);
		return ERR_USAGE;
	}
	if (tls && MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
		snprintf(err, errlen, "this libmicrohttpd was built without TLS");
		return ERR_USAGE;
	}
	struct httpd *h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	h->fn = fn;
	h->ud = ud;
	h->tls = tls != NULL;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO;
	if (family == AF_INET6)
		flags |= MHD_USE_IPv6;
	if (tls)
		flags |= MHD_USE_TLS;
	errno = 0;
	struct MHD_OptionItem tls_opts[] = {
		{MHD_OPTION_HTTPS_MEM_CERT, 0, tls ? (void *)tls->cert_pem : NULL},
		{MHD_OPTION_HTTPS_MEM_KEY, 0, tls ? (void *)tls->key_pem : NULL},
		{MHD_OPTION_END, 0, NULL},
	};
	if (!tls)
		tls_opts[0].option = MHD_OPTION_END;
	h->daemon = MHD_start_daemon(
		flags, (uint16_t)port, NULL, NULL, httpd_answer, h, MHD_OPTION_SOCK_ADDR,
		(struct sockaddr *)&ss, MHD_OPTION_CONNECTION_TIMEOUT, 30u,
		MHD_OPTION_NOTIFY_COMPLETED, httpd_completed, NULL, MHD_OPTION_CONNECTION_LIMIT,
		256u, MHD_OPTION_ARRAY, tls_opts, MHD_OPTION_END);
	if (!h->daemon) {
		int e = errno ? errno : EADDRINUSE;
		if (tls)
			snprintf(err, errlen,
				 "cannot listen on %s:%u over TLS: %s (is the key "
				 "pair valid PEM?)",
				 addr, port, strerror(e));
		else
			snprintf(err, errlen, "cannot listen on %s:%u: %s", addr, port,
				 strerror(e));
		free(h);
		return tls ? ERR_USAGE : -e;
	}
	const union MHD_DaemonInfo *info =
		MHD_get_daemon_info(h->daemon, MHD_DAEMON_INFO_BIND_PORT);
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

const char *httpd_kv_get(const struct httpd_kv *kv, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(kv[i].name, name) == 0)
			return kv[i].value;
	return NULL;
}

static int httpd_hex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)(c | 0x20);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Decodes s[0..len) in place (the result is never longer) and NUL-terminates it. */
static void httpd_unescape(char *s, size_t len)
{
	size_t o = 0;
	for (size_t i = 0; i < len; i++) {
		int hi, lo;
		if (s[i] == '+')
			s[o++] = ' ';
		else if (s[i] == '%' && i + 2 < len && (hi = httpd_hex(s[i + 1])) >= 0 &&
			 (lo = httpd_hex(s[i + 2])) >= 0) {
			s[o++] = (char)(hi << 4 | lo);
			i += 2;
		} else
			s[o++] = s[i];
	}
	s[o] = 0;
}

int httpd_form_parse(char *buf, size_t len, struct httpd_kv *kv, size_t max, size_t *ret_n)
{
	size_t n = 0;
	int rc = 0;
	char *p = buf, *end = buf + len;
	while (p < end) {
		char *amp = memchr(p, '&', (size_t)(end - p));
		char *stop = amp ? amp : end;
		char *eq = memchr(p, '=', (size_t)(stop - p));
		if (stop > p) {
			if (n == max) {
				rc = ERR_TOO_BIG;
				break;
			}
			char *vstart = eq ? eq + 1 : stop;
			size_t vlen = eq ? (size_t)(stop - eq - 1) : 0;
			httpd_unescape(p, (size_t)((eq ? eq : stop) - p));
			if (eq)
				httpd_unescape(vstart, vlen);
			kv[n++] = (struct httpd_kv){p, eq ? vstart : stop};
		}
		*stop = 0; /* also ends a value decoded in place; buf has a byte past len */
		p = stop + 1;
	}
	*ret_n = n;
	return rc;
}

int httpd_cookie_get(const char *header, const char *name, char *out, size_t cap)
{
	size_t nlen = strlen(name);
	for (const char *p = header; p && *p;) {
		while (*p == ' ' || *p == ';')
			p++;
		const char *semi = strchr(p, ';');
		size_t len = semi ? (size_t)(semi - p) : strlen(p);
		if (len > nlen && strncmp(p, name, nlen) == 0 && p[nlen] == '=') {
			size_t vlen = len - nlen - 1;
			if (vlen + 1 > cap)
				return ERR_NOT_FOUND;
			memcpy(out, p + nlen + 1, vlen);
			out[vlen] = 0;
			return 0;
		}
		p = semi;
	}
	return ERR_NOT_FOUND;
}
