/* SPDX-License-Identifier: MIT */
/* The fetcher: many transfers in flight on one curl multi handle, owned by the thread that
 * created it (fetch_wakeup alone may be called from others). Redirects are not followed here
 * (the crawl decides where a Location may lead), bodies are capped after decompression, slow
 * and endless transfers are dropped, and the address guard vets every socket.
 */
#include "crawler/crawler_int.h"

#include "common/err.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define FETCH_MAX_HEADER 1024 /* bytes of a header value kept (ETag, Last-Modified, ...) */
#define FETCH_MAX_HEAD (64u << 10) /* bytes of the raw status line and headers kept: evidence */

struct fetch {
	CURLM *multi;
	struct fetch_opts opts;
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
	struct curl_slist *headers; /* request headers of this transfer */
	struct buf body;
	struct buf head; /* the last response's status line and header lines, as received */
	char etag[FETCH_MAX_HEADER];
	char last_modified[128];
	char x_robots_tag[FETCH_MAX_HEADER];
	long retry_after_s;
	bool allow_private;
	bool refused;
	bool too_big;
	char error[CURL_ERROR_SIZE];
};

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
	curl_slist_free_all(x->headers);
	buf_done(&x->body);
	buf_done(&x->head);
	free(x->url);
	free(x);
}

int fetch_new(const struct fetch_opts *o, struct fetch **ret_fetch)
{
	struct fetch *f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	f->opts = *o; /* the strings are the caller's and outlive the fetcher */
	f->multi = curl_multi_init();
	if (!f->multi || (o->connect_to && !(f->connect_to = curl_slist_append(NULL,
									      o->connect_to)))) {
		fetch_free(f);
		return -ENOMEM;
	}
	*ret_fetch = f;
	return 0;
}

void fetch_free(struct fetch *f)
{
	if (!f)
		return;
	while (f->xfers)
		xfer_free(f->xfers);
	if (f->multi)
		curl_multi_cleanup(f->multi);
	curl_slist_free_all(f->connect_to);
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

/* Copies a header's value, trimmed, when the line is "name: value". */
static bool header_value(const char *line, size_t len, const char *name, char *out, size_t outlen)
{
	size_t n = strlen(name);
	if (len <= n || line[n] != ':' || strncasecmp(line, name, n) != 0)
		return false;
	const char *v = line + n + 1, *end = line + len;
	while (v < end && (*v == ' ' || *v == '\t'))
		v++;
	while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' '))
		end--;
	size_t vlen = (size_t)(end - v) < outlen - 1 ? (size_t)(end - v) : outlen - 1;
	memcpy(out, v, vlen);
	out[vlen] = '\0';
	return true;
}

/* Retry-After is either seconds or an HTTP date (RFC 9110 §10.2.3). */
static long fetch_retry_after(const char *v)
{
	char *end;
	long s = strtol(v, &end, 10);
	if (end != v && *end == '\0')
		return s < 0 ? 0 : s;
	struct tm tm = {0};
	if (!strptime(v, "%a, %d %b %Y %H:%M:%S GMT", &tm))
		return -1;
	long d = (long)(timegm(&tm) - time(NULL));
	return d < 0 ? 0 : d;
}

static size_t fetch_header_cb(char *line, size_t size, size_t nmemb, void *ud)
{
	struct xfer *x = ud;
	size_t len = size * nmemb;
	char v[64];
	if (len > 5 && strncmp(line, "HTTP/", 5) == 0) {
		/* A new response (after 100 Continue, say): forget the last one's headers. */
		x->etag[0] = x->last_modified[0] = x->x_robots_tag[0] = '\0';
		x->retry_after_s = -1;
		buf_reset(&x->head);
	}
	/* Past the cap the rest is dropped, whole lines only: the evidence keeps what fits. */
	if (x->head.len + len <= FETCH_MAX_HEAD)
		buf_add(&x->head, line, len);
	header_value(line, len, "etag", x->etag, sizeof(x->etag));
	header_value(line, len, "last-modified", x->last_modified, sizeof(x->last_modified));
	header_value(line, len, "x-robots-tag", x->x_robots_tag, sizeof(x->x_robots_tag));
	if (header_value(line, len, "retry-after", v, sizeof(v)))
		x->retry_after_s = fetch_retry_after(v);
	return len;
}

static curl_socket_t fetch_open_socket_cb(void *ud, curlsocktype purpose,
					  struct curl_sockaddr *addr)
{
	struct xfer *x = ud;
	(void)purpose;
	if (!crawler__addr_allowed(&addr->addr, x->allow_private)) {
		x->refused = true;
		return CURL_SOCKET_BAD;
	}
	return socket(addr->family, addr->socktype, addr->protocol);
}

static int fetch_request_headers(struct xfer *x, const struct fetch_req *cond)
{
	char line[FETCH_MAX_HEADER + 32];
	const struct fetch_opts *o = &x->f->opts;
	const char *values[3][2] = {
		{"From", o->from},
		{"If-None-Match", cond ? cond->etag : NULL},
		{"If-Modified-Since", cond ? cond->last_modified : NULL},
	};
	for (size_t i = 0; i < 3; i++) {
		const char *v = values[i][1];
		if (!v || !v[0] || strlen(v) > FETCH_MAX_HEADER || strpbrk(v, "\r\n"))
			continue; /* a stored value never smuggles a header in */
		snprintf(line, sizeof(line), "%s: %s", values[i][0], v);
		struct curl_slist *l = curl_slist_append(x->headers, line);
		if (!l)
			return -ENOMEM;
		x->headers = l;
	}
	return 0;
}

static int fetch_setup(struct xfer *x)
{
	const struct fetch_opts *o = &x->f->opts;
	CURL *e = x->easy;
	CURLcode c = CURLE_OK;
	/* Any failure here means out of memory or an option this libcurl lacks: the transfer is
	 * not started. */
	c |= curl_easy_setopt(e, CURLOPT_URL, x->url);
	c |= curl_easy_setopt(e, CURLOPT_PRIVATE, x);
	c |= curl_easy_setopt(e, CURLOPT_USERAGENT, o->user_agent);
	c |= curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	c |= curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
	c |= curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
	c |= curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	c |= curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, o->connect_timeout_ms);
	c |= curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, o->timeout_ms);
	if (o->low_speed_bytes > 0 && o->low_speed_seconds > 0) {
		c |= curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, o->low_speed_bytes);
		c |= curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, o->low_speed_seconds);
	}
	c |= curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)o->max_body);
	c |= curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, fetch_write_cb);
	c |= curl_easy_setopt(e, CURLOPT_WRITEDATA, x);
	c |= curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, fetch_header_cb);
	c |= curl_easy_setopt(e, CURLOPT_HEADERDATA, x);
	c |= curl_easy_setopt(e, CURLOPT_OPENSOCKETFUNCTION, fetch_open_socket_cb);
	c |= curl_easy_setopt(e, CURLOPT_OPENSOCKETDATA, x);
	c |= curl_easy_setopt(e, CURLOPT_ERRORBUFFER, x->error);
	if (x->headers)
		c |= curl_easy_setopt(e, CURLOPT_HTTPHEADER, x->headers);
	if (o->proxy)
		c |= curl_easy_setopt(e, CURLOPT_PROXY, o->proxy);
	if (x->f->connect_to) {
		/* A routed name is reached directly: a proxy would not know it. */
		c |= curl_easy_setopt(e, CURLOPT_CONNECT_TO, x->f->connect_to);
		c |= curl_easy_setopt(e, CURLOPT_NOPROXY, "*");
	}
	return c == CURLE_OK ? 0 : -ENOMEM;
}

int fetch_add(struct fetch *f, const char *url, const struct fetch_req *req, void *ud)
{
	struct xfer *x = calloc(1, sizeof(*x));
	if (!x)
		return -ENOMEM;
	x->f = f;
	x->ud = ud;
	x->retry_after_s = -1;
	x->allow_private = req && req->allow_private;
	buf_init(&x->body, f->opts.max_body);
	buf_init(&x->head, FETCH_MAX_HEAD);
	x->url = strdup(url);
	x->easy = curl_easy_init();
	x->next = f->xfers;
	if (f->xfers)
		f->xfers->prev = x;
	f->xfers = x;
	int rc = -ENOMEM;
	if (!x->url || !x->easy || (rc = fetch_request_headers(x, req)) != 0 ||
	    (rc = fetch_setup(x)) != 0)
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

void fetch_wakeup(struct fetch *f)
{
	curl_multi_wakeup(f->multi);
}

char *fetch_result_take_body(struct fetch_result *r)
{
	struct xfer *x = r->priv;
	char *body = buf_take(&x->body);
	r->body = "";
	return body;
}

char *fetch_result_take_head(struct fetch_result *r, size_t *ret_len)
{
	struct xfer *x = r->priv;
	*ret_len = x->head.len;
	char *head = buf_take(&x->head);
	r->head = "";
	r->head_len = 0;
	return head;
}

static enum fetch_status fetch_status_of(const struct xfer *x, CURLcode code)
{
	if (x->too_big || code == CURLE_FILESIZE_EXCEEDED)
		return FETCH_TOO_BIG;
	if (x->refused)
		return FETCH_REFUSED;
	if (code == CURLE_OPERATION_TIMEDOUT)
		return FETCH_TIMEOUT;
	return code == CURLE_OK ? FETCH_DONE : FETCH_FAILED;
}

static void fetch_result_fill(struct xfer *x, CURLcode code, struct fetch_result *r)
{
	char *ct = NULL, *loc = NULL;
	curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &r->http_status);
	curl_easy_getinfo(x->easy, CURLINFO_CONTENT_TYPE, &ct);
	curl_easy_getinfo(x->easy, CURLINFO_REDIRECT_URL, &loc);
	r->url = x->url;
	r->ud = x->ud;
	r->priv = x;
	r->content_type = ct ? ct : "";
	r->location = loc ? loc : "";
	r->etag = x->etag;
	r->last_modified = x->last_modified;
	r->x_robots_tag = x->x_robots_tag;
	r->retry_after_s = x->retry_after_s;
	r->body = buf_str(&x->body);
	r->len = x->body.len;
	r->head = buf_str(&x->head);
	r->head_len = x->head.len;
	r->status = fetch_status_of(x, code);
	r->error = "";
	if (r->status == FETCH_FAILED || r->status == FETCH_TIMEOUT)
		r->error = x->error[0] ? x->error : curl_easy_strerror(code);
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
