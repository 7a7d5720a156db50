/* SPDX-License-Identifier: MIT */
/* The fetcher: many transfers in flight on one curl multi handle, owned by the thread that
 * created it. Redirects are not followed here (the crawl decides where a Location may lead),
 * bodies are capped after decompression, and the address guard vets every socket.
 */
#include "crawler/crawler_int.h"

#include "common/err.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct fetch {
	CURLM *multi;
	struct fetch_opts opts;
	char *user_agent;
	struct curl_slist *connect_to;
	size_t in_flight;
	struct xfer *xfers; /* every transfer in flight, so fetch_free can reclaim them */
};

struct xfer {
	struct fetch *f;
	struct xfer *prev, *next;
	CURL *easy;
	char *url;
	void *ud;
	struct buf body;
	bool refused;
	bool too_big;
	char error[CURL_ERROR_SIZE];
};

int fetch_new(const struct fetch_opts *o, struct fetch **ret_fetch)
{
	struct fetch *f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	f->opts = *o;
	f->user_agent = strdup(o->user_agent ? o->user_agent : "patrol");
	f->multi = curl_multi_init();
	if (!f->user_agent || !f->multi) {
		fetch_free(f);
		return -ENOMEM;
	}
	f->opts.user_agent = f->user_agent;
	if (o->connect_to && !(f->connect_to = curl_slist_append(NULL, o->connect_to))) {
		fetch_free(f);
		return -ENOMEM;
	}
	*ret_fetch = f;
	return 0;
}

static void xfer_free(struct xfer *x)
{
	if (!x)
		return;
	if (x->easy) {
		curl_multi_remove_handle(x->f->multi, x->easy);
		curl_easy_cleanup(x->easy);
	}
	if (x->prev)
		x->prev->next = x->next;
	else if (x->f->xfers == x)
		x->f->xfers = x->next;
	if (x->next)
		x->next->prev = x->prev;
	buf_done(&x->body);
	free(x->url);
	free(x);
}

void fetch_free(struct fetch *f)
{
	if (!f)
		return;
	if (f->multi) {
		while (f->xfers)
			xfer_free(f->xfers);
		curl_multi_cleanup(f->multi);
	}
	curl_slist_free_all(f->connect_to);
	free(f->user_agent);
	free(f);
}

static size_t fetch_write_cb(char *data, size_t size, size_t nmemb, void *ud)
{
	struct xfer *x = ud;
	size_t n = size * nmemb;
	if (buf_add(&x->body, data, n) != 0) {
		x->too_big = true;
		return 0; /* curl ends the transfer with CURLE_WRITE_ERROR */
	}
	return n;
}

static curl_socket_t fetch_open_socket_cb(void *ud, curlsocktype purpose,
					  struct curl_sockaddr *addr)
{
	struct xfer *x = ud;
	(void)purpose;
	if (!crawler__addr_allowed(&addr->addr, x->f->opts.allow_private)) {
		x->refused = true;
		return CURL_SOCKET_BAD;
	}
	return socket(addr->family, addr->socktype, addr->protocol);
}

static int fetch_setup(struct xfer *x)
{
	const struct fetch_opts *o = &x->f->opts;
	CURL *e = x->easy;
	CURLcode c = CURLE_OK;
	/* Each setopt that can fail is checked together: any failure means out of memory or an
	 * option this libcurl lacks, and the transfer is not started. */
	c |= curl_easy_setopt(e, CURLOPT_URL, x->url);
	c |= curl_easy_setopt(e, CURLOPT_PRIVATE, x);
	c |= curl_easy_setopt(e, CURLOPT_USERAGENT, o->user_agent);
	c |= curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	c |= curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
	c |= curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
	c |= curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	c |= curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, o->connect_timeout_ms);
	c |= curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, o->timeout_ms);
	c |= curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)o->max_body);
	c |= curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, fetch_write_cb);
	c |= curl_easy_setopt(e, CURLOPT_WRITEDATA, x);
	c |= curl_easy_setopt(e, CURLOPT_OPENSOCKETFUNCTION, fetch_open_socket_cb);
	c |= curl_easy_setopt(e, CURLOPT_OPENSOCKETDATA, x);
	c |= curl_easy_setopt(e, CURLOPT_ERRORBUFFER, x->error);
	if (x->f->connect_to) {
		/* A routed name is reached directly: a proxy would not know it. */
		c |= curl_easy_setopt(e, CURLOPT_CONNECT_TO, x->f->connect_to);
		c |= curl_easy_setopt(e, CURLOPT_NOPROXY, "*");
	}
	return c == CURLE_OK ? 0 : -ENOMEM;
}

int fetch_add(struct fetch *f, const char *url, void *ud)
{
	struct xfer *x = calloc(1, sizeof(*x));
	if (!x)
		return -ENOMEM;
	x->f = f;
	x->ud = ud;
	buf_init(&x->body, f->opts.max_body);
	x->url = strdup(url);
	x->easy = curl_easy_init();
	x->next = f->xfers;
	if (f->xfers)
		f->xfers->prev = x;
	f->xfers = x;
	int rc = -ENOMEM;
	if (!x->url || !x->easy || (rc = fetch_setup(x)) != 0)
		goto fail;
	if (curl_multi_add_handle(f->multi, x->easy) != CURLM_OK) {
		rc = -ENOMEM;
		goto fail;
	}
	f->in_flight++;
	return 0;
fail:
	if (x->easy) {
		curl_easy_cleanup(x->easy);
		x->easy = NULL;
	}
	xfer_free(x);
	return rc;
}

size_t fetch_in_flight(const struct fetch *f)
{
	return f->in_flight;
}

static void fetch_result_fill(struct xfer *x, CURLcode code, struct fetch_result *r)
{
	char *ct = NULL, *loc = NULL;
	curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &r->http_status);
	curl_easy_getinfo(x->easy, CURLINFO_CONTENT_TYPE, &ct);
	curl_easy_getinfo(x->easy, CURLINFO_REDIRECT_URL, &loc);
	r->url = x->url;
	r->ud = x->ud;
	r->content_type = ct ? ct : "";
	r->location = loc ? loc : "";
	r->body = buf_str(&x->body);
	r->len = x->body.len;
	r->error = "";
	if (x->too_big || code == CURLE_FILESIZE_EXCEEDED)
		r->status = FETCH_TOO_BIG;
	else if (x->refused)
		r->status = FETCH_REFUSED;
	else if (code != CURLE_OK) {
		r->status = FETCH_FAILED;
		r->error = x->error[0] ? x->error : curl_easy_strerror(code);
	} else
		r->status = FETCH_DONE;
}

int fetch_poll(struct fetch *f, int timeout_ms, fetch_done_fn done, void *ud)
{
	int running = 0;
	if (curl_multi_perform(f->multi, &running) != CURLM_OK)
		return ERR_NET;
	/* Wait only when no transfer has finished yet: finished ones are reported at once. */
	if ((size_t)running == f->in_flight &&
	    (curl_multi_poll(f->multi, NULL, 0, timeout_ms, NULL) != CURLM_OK ||
	     curl_multi_perform(f->multi, &running) != CURLM_OK))
		return ERR_NET;
	CURLMsg *msg;
	int left, rc = 0;
	while (rc == 0 && (msg = curl_multi_info_read(f->multi, &left)) != NULL) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		struct xfer *x = NULL;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&x);
		struct fetch_result r = {0};
		fetch_result_fill(x, msg->data.result, &r);
		rc = done(&r, ud);
		f->in_flight--;
		xfer_free(x);
	}
	return rc;
}
