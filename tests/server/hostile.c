/* SPDX-License-Identifier: MIT */
/* The hostile test server (hostile.h): HTTP/1.1 on raw sockets, one thread per connection.
 *
 * Every wait is a poll() on the connection's socket and the server's stop eventfd, bounded by the
 * answer's deadline, so hostile_stop() ends every thread at once and nothing outlives max_ms. The
 * gzip bomb is built before any thread starts and only read afterwards; the log, the per-path 429
 * counts and the storm's start sit behind the server's mutex.
 */
#include "tests/server/hostile.h"

#include "common/clock.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#define HOSTILE_MAX_CONNS     64
#define HOSTILE_HEAD_MAX      16384  /* request head bytes; more gets 431 */
#define HOSTILE_LOG_MAX	      100000 /* requests logged */
#define HOSTILE_IDLE_MS	      5000   /* a kept-alive connection waits this long for a request */
#define HOSTILE_COUNTS_MAX    1024   /* paths whose 429s are counted; later ones get 200 at once */
#define HOSTILE_BODY_MAX      (4u << 20) /* pages built in memory */
#define HOSTILE_LAST_MODIFIED "Mon, 01 Jan 2024 00:00:00 GMT"
#define HOSTILE_FOREVER	      ((int64_t)1 << 40) /* a wait that only the deadline ends */
#define HOSTILE_QUERY_VARIANTS 300		  /* links of /query-variants */

struct path_count {
	char path[256];
	unsigned n;
};

struct slot {
	pthread_t thread;
	bool used;
	atomic_bool done;
};

struct hostile_server {
	struct hostile_opts o;
	int lfd;
	int stopfd; /* an eventfd written once by hostile_stop and never read: stays readable */
	atomic_bool stopping;
	unsigned port;
	char origin[40];
	pthread_t acceptor;
	struct slot slots[HOSTILE_MAX_CONNS]; /* the acceptor's alone */
	atomic_uint conns;

	/* The gzip bomb: header, block repeated bomb_mib times, tail, trailer. Read-only. */
	unsigned char *bomb_block;
	size_t bomb_block_len;
	unsigned char bomb_tail[64];
	size_t bomb_tail_len;
	unsigned char bomb_head[10];
	unsigned char bomb_trailer[8];

	pthread_mutex_t lock; /* guards everything below */
	struct hostile_request *log;
	size_t nlog, caplog, dropped;
	unsigned gen; /* bumped by hostile_reset: older log indexes are stale */
	struct path_count *counts;
	size_t ncounts;
	int64_t storm_start; /* 0: no storm yet */
};

struct conn {
	struct hostile_server *s;
	int fd;
	unsigned serial;
	int64_t deadline; /* of the answer in progress */
	char head[HOSTILE_HEAD_MAX + 1];
	size_t len; /* bytes in head, the current request's and maybe the next one's */
	size_t head_len;
	/* the request being answered */
	char method[16];
	char target[HOSTILE_HEAD_MAX];
	bool keep_alive;
	bool head_only;
	char inm[128];
	char ims[64];
	size_t log_i;
	unsigned log_gen;
	int status;
};

/* A body built in memory, capped. */
struct sbuf {
	char *p;
	size_t len, cap;
	bool failed;
};

void hostile_opts_default(struct hostile_opts *o)
{
	*o = (struct hostile_opts){
		.robots = HOSTILE_ROBOTS_ALLOW,
		.site_pages = 5,
		.n429 = 2,
		.retry_after_s = 2,
		.storm_ms = 3000,
		.max_ms = 30000,
		.bomb_mib = 10240,
		.long_line_bytes = 10u << 20,
	};
}

/* --- small helpers --- */

static void sb_add(struct sbuf *b, const char *p, size_t n)
{
	if (b->failed || n > HOSTILE_BODY_MAX - b->len) {
		b->failed = true;
		return;
	}
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 1024;
		while (cap < b->len + n + 1)
			cap *= 2;
		char *q = realloc(b->p, cap);
		if (!q) {
			b->failed = true;
			return;
		}
		b->p = q;
		b->cap = cap;
	}
	memcpy(b->p + b->len, p, n);
	b->len += n;
	b->p[b->len] = '\0';
}

__attribute__((format(printf, 2, 3))) static void sb_printf(struct sbuf *b, const char *fmt, ...)
{
	char tmp[HOSTILE_HEAD_MAX + 512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(tmp))
		b->failed = true;
	else
		sb_add(b, tmp, (size_t)n);
}

/* Copies s into out for HTML text and attributes: markup characters become '_'. */
static const char *html_safe(const char *s, char *out, size_t outlen)
{
	size_t i = 0;
	for (; s[i] && i + 1 < outlen; i++)
		out[i] = strchr("<>&\"'", s[i]) ? '_' : s[i];
	out[i] = '\0';
	return out;
}

static void copy_cut(char *dst, size_t dstlen, const char *src, size_t n)
{
	if (n >= dstlen)
		n = dstlen - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

static int64_t min64(int64_t a, int64_t b)
{
	return a < b ? a : b;
}

static const char *reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 301: return "Moved Permanently";
	case 302: return "Found";
	case 304: return "Not Modified";
	case 400: return "Bad Request";
	case 404: return "Not Found";
	case 429: return "Too Many Requests";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 503: return "Service Unavailable";
	default: return "Whatever";
	}
}

/* --- the log --- */

static void log_begin(struct conn *c, const char *ua, size_t ualen, const char *from,
		      size_t fromlen)
{
	struct hostile_server *s = c->s;
	pthread_mutex_lock(&s->lock);
	c->log_gen = s->gen;
	c->log_i = SIZE_MAX;
	if (s->nlog == s->caplog && s->caplog < HOSTILE_LOG_MAX) {
		size_t cap = s->caplog ? s->caplog * 2 : 256;
		if (cap > HOSTILE_LOG_MAX)
			cap = HOSTILE_LOG_MAX;
		struct hostile_request *l = realloc(s->log, cap * sizeof(*l));
		if (l) {
			s->log = l;
			s->caplog = cap;
		}
	}
	if (s->nlog < s->caplog) {
		struct hostile_request *r = &s->log[s->nlog];
		memset(r, 0, sizeof(*r));
		r->t_ms = clock_mono_ms();
		r->conn = c->serial;
		copy_cut(r->method, sizeof(r->method), c->method, strlen(c->method));
		r->path_len = strlen(c->target);
		copy_cut(r->path, sizeof(r->path), c->target, r->path_len);
		copy_cut(r->if_none_match, sizeof(r->if_none_match), c->inm, strlen(c->inm));
		copy_cut(r->if_modified_since, sizeof(r->if_modified_since), c->ims,
			 strlen(c->ims));
		copy_cut(r->user_agent, sizeof(r->user_agent), ua, ualen);
		copy_cut(r->from, sizeof(r->from), from, fromlen);
		c->log_i = s->nlog++;
	} else {
		s->dropped++;
	}
	pthread_mutex_unlock(&s->lock);
}

static void log_end(struct conn *c)
{
	struct hostile_server *s = c->s;
	pthread_mutex_lock(&s->lock);
	if (c->log_i != SIZE_MAX && c->log_gen == s->gen && c->log_i < s->nlog) {
		s->log[c->log_i].end_ms = clock_mono_ms();
		s->log[c->log_i].status = c->status;
	}
	pthread_mutex_unlock(&s->lock);
}

/* --- waiting and writing, always bounded by the deadline and the stop signal --- */

/* Waits up to ms for events on the socket (0: only for the peer to leave). Returns 1 when events
 * came, 0 when ms passed, -1 when the server stops, the deadline passed or the peer left. */
static int conn_poll(struct conn *c, short events, int64_t ms)
{
	int64_t until = min64(clock_mono_ms() + ms, c->deadline);
	for (;;) {
		int64_t left = until - clock_mono_ms();
		if (atomic_load(&c->s->stopping))
			return -1;
		if (left <= 0)
			return clock_mono_ms() >= c->deadline ? -1 : 0;
		struct pollfd p[2] = {{.fd = c->fd, .events = events | POLLRDHUP},
				      {.fd = c->s->stopfd, .events = POLLIN}};
		int n = poll(p, 2, (int)left);
		if (n < 0 && errno != EINTR)
			return -1;
		if (n <= 0)
			continue;
		if (p[1].revents)
			return -1;
		if (p[0].revents & (POLLERR | POLLHUP | POLLNVAL))
			return -1;
		if ((p[0].revents & POLLRDHUP) && !(events & POLLIN))
			return -1; /* the client closed its side: nobody reads what we would send */
		if (p[0].revents & events)
			return 1;
		if (p[0].revents & POLLRDHUP)
			return 1; /* reading will see the end */
	}
}

/* Waits ms unless the peer leaves or the server stops (then -1). */
static int conn_sleep(struct conn *c, int64_t ms)
{
	return conn_poll(c, 0, ms) < 0 ? -1 : 0;
}

static int conn_send(struct conn *c, const void *data, size_t n)
{
	const char *p = data;
	while (n > 0) {
		if (atomic_load(&c->s->stopping) || clock_mono_ms() >= c->deadline)
			return -1;
		ssize_t w = send(c->fd, p, n, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w > 0) {
			p += w;
			n -= (size_t)w;
			continue;
		}
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			if (conn_poll(c, POLLOUT, HOSTILE_FOREVER) < 0)
				return -1;
			continue;
		}
		return -1; /* EPIPE, ECONNRESET: the client went away */
	}
	return 0;
}

__attribute__((format(printf, 2, 3))) static int conn_printf(struct conn *c, const char *fmt, ...)
{
	char tmp[HOSTILE_HEAD_MAX + 1024];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(tmp))
		return -1;
	return conn_send(c, tmp, (size_t)n);
}

static int send_chunk(struct conn *c, const void *data, size_t n)
{
	if (conn_printf(c, "%zx\r\n", n) < 0 || conn_send(c, data, n) < 0)
		return -1;
	return conn_send(c, "\r\n", 2);
}

/* The status line and headers. extra is "Name: value\r\n" lines or "". len < 0: chunked. */
static int send_head(struct conn *c, int status, const char *ctype, const char *extra,
		     long long len)
{
	char length[64];
	if (len >= 0)
		snprintf(length, sizeof(length), "Content-Length: %lld\r\n", len);
	else
		snprintf(length, sizeof(length), "Transfer-Encoding: chunked\r\n");
	c->status = status;
	return conn_printf(c, "HTTP/1.1 %d %s\r\n%s%s%s%s%sConnection: %s\r\n\r\n", status,
			   reason(status), ctype ? "Content-Type: " : "", ctype ? ctype : "",
			   ctype ? "\r\n" : "", extra, length,
			   c->keep_alive ? "keep-alive" : "close");
}

/* A whole answer. Returns 0 to keep the connection, -1 to close it. */
static int reply(struct conn *c, int status, const char *ctype, const char *extra, const void *body,
		 size_t len)
{
	if (send_head(c, status, ctype, extra, (long long)len) < 0)
		return -1;
	if (!c->head_only && conn_send(c, body, len) < 0)
		return -1;
	return c->keep_alive ? 0 : -1;
}

static int reply_sb(struct conn *c, struct sbuf *b, const char *extra)
{
	int rc = b->failed ? reply(c, 500, "text/plain", "", "too big\n", 8)
			   : reply(c, 200, "text/html", extra, b->p, b->len);
	free(b->p);
	return rc;
}

static int redirect(struct conn *c, int status, const char *location)
{
	char extra[HOSTILE_HEAD_MAX + 32];
	snprintf(extra, sizeof(extra), "Location: %s\r\n", location);
	return reply(c, status, "text/html", extra, "<p>moved</p>", 12);
}

static int not_found(struct conn *c)
{
	return reply(c, 404, "text/html", "", "<p>not found</p>", 16);
}

/* "<!doctype html><title>T</title>" and "<a href=/page/back/TRAP>back</a>". */
static void page_open(struct sbuf *b, const char *title, const char *back)
{
	char t[512];
	sb_printf(b, "<!doctype html>\n<html><head><title>%s</title></head><body>\n",
		  html_safe(title, t, sizeof(t)));
	if (back)
		sb_printf(b, "<p><a href=\"/page/back/%s\">back to the site</a></p>\n", back);
}

static void page_close(struct sbuf *b)
{
	sb_add(b, "</body></html>\n", 15);
}

/* --- ordinary pages --- */

static int serve_page(struct conn *c, const char *path)
{
	/* The ETag depends on the path only, so a revisit can be answered 304. */
	unsigned h = 2166136261u;
	for (const char *p = path; *p; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	char etag[32], extra[160];
	snprintf(etag, sizeof(etag), "\"p%08x\"", h);
	snprintf(extra, sizeof(extra), "ETag: %s\r\nLast-Modified: %s\r\n", etag,
		 HOSTILE_LAST_MODIFIED);
	if ((c->inm[0] && strcmp(c->inm, etag) == 0) ||
	    (!c->inm[0] && strcmp(c->ims, HOSTILE_LAST_MODIFIED) == 0))
		return reply(c, 304, NULL, extra, "", 0);
	struct sbuf b = {0};
	char t[1024];
	page_open(&b, path, NULL);
	sb_printf(&b, "<p>An ordinary page at %s.</p>\n", html_safe(path, t, sizeof(t)));
	page_close(&b);
	return reply_sb(c, &b, extra);
}

static int serve_home(struct conn *c, const char *path)
{
	(void)path;
	struct sbuf b = {0};
	page_open(&b, "home", NULL);
	for (unsigned i = 1; i <= c->s->o.site_pages; i++)
		sb_printf(&b, "<p><a href=\"/page/%u\">page %u</a></p>\n", i, i);
	page_close(&b);
	return reply_sb(c, &b, "");
}

static int serve_start(struct conn *c, const char *path)
{
	const char *trap = path + strlen("/start");
	char t[HOSTILE_HEAD_MAX];
	struct sbuf b = {0};
	page_open(&b, "start", NULL);
	html_safe(trap, t, sizeof(t));
	sb_printf(&b, "<p><a href=\"%s\">the trap</a></p>\n", t);
	sb_printf(&b, "<p><a href=\"/page/after%s\">after the trap</a></p>\n", t);
	page_close(&b);
	return reply_sb(c, &b, "");
}

/* --- redirects --- */

static int serve_redirect_loop(struct conn *c, const char *path)
{
	return redirect(c, 302,
			strcmp(path, "/redirect-loop/a") == 0 ? "/redirect-loop/b"
							      : "/redirect-loop/a");
}

static int serve_redirect_self(struct conn *c, const char *path)
{
	return redirect(c, 301, path);
}

static int serve_redirect_chain(struct conn *c, const char *path)
{
	char loc[64];
	unsigned long n = strtoul(path + strlen("/redirect-chain/"), NULL, 10);
	snprintf(loc, sizeof(loc), "/redirect-chain/%lu", n + 1);
	return redirect(c, 302, loc);
}

static int serve_redirect_off(struct conn *c, const char *path)
{
	(void)path;
	return redirect(c, 302, "http://off-venue.invalid/page/off");
}

static int serve_redirect_private(struct conn *c, const char *path)
{
	(void)path;
	return redirect(c, 302, "http://10.0.0.1/x");
}

static int serve_redirect_mapped(struct conn *c, const char *path)
{
	(void)path;
	char loc[96];
	snprintf(loc, sizeof(loc), "http://[::ffff:127.0.0.1]:%u/page/mapped", c->s->port);
	return redirect(c, 302, loc);
}

/* --- bodies that never end, or end badly --- */

static int serve_endless(struct conn *c, const char *path)
{
	(void)path;
	static const char first[] = "<!doctype html><html><head><title>endless</title></head><body>"
				    "<p><a href=\"/page/back/endless\">back to the site</a></p>\n";
	char filler[16384];
	for (size_t i = 0; i + 24 <= sizeof(filler); i += 24)
		memcpy(filler + i, "<p>endless endless</p>\n ", 24);
	c->keep_alive = false;
	if (send_head(c, 200, "text/html", "", -1) < 0 || send_chunk(c, first, sizeof(first) - 1))
		return -1;
	while (send_chunk(c, filler, sizeof(filler)) == 0)
		;
	return -1;
}

static int serve_gzip_bomb(struct conn *c, const char *path)
{
	const struct hostile_server *s = c->s;
	bool chunked = strcmp(path, "/gzip-bomb/chunked") == 0;
	int (*out)(struct conn *, const void *, size_t) = chunked ? send_chunk : conn_send;
	long long len =
		(long long)(sizeof(s->bomb_head) + s->bomb_tail_len + sizeof(s->bomb_trailer)) +
		(long long)s->bomb_block_len * s->o.bomb_mib;
	c->keep_alive = false;
	if (send_head(c, 200, "text/html", "Content-Encoding: gzip\r\n", chunked ? -1 : len) < 0 ||
	    out(c, s->bomb_head, sizeof(s->bomb_head)) < 0)
		return -1;
	for (unsigned i = 0; i < s->o.bomb_mib; i++)
		if (out(c, s->bomb_block, s->bomb_block_len) < 0)
			return -1;
	if (out(c, s->bomb_tail, s->bomb_tail_len) < 0 ||
	    out(c, s->bomb_trailer, sizeof(s->bomb_trailer)) < 0)
		return -1;
	if (chunked)
		conn_send(c, "0\r\n\r\n", 5);
	return -1;
}

static int serve_drip(struct conn *c, const char *path)
{
	static const char body[] = "<!doctype html><html><head><title>drip</title></head><body>"
				   "<p><a href=\"/page/back/drip\">back to the site</a></p>"
				   "</body></html>\n";
	char all[512];
	bool whole = strcmp(path, "/drip/head") == 0;
	c->keep_alive = false;
	int n = snprintf(all, sizeof(all),
			 "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: %zu\r\n"
			 "Connection: close\r\n\r\n%s",
			 sizeof(body) - 1, body);
	size_t from = (size_t)n - (sizeof(body) - 1); /* the body's first byte */
	if (whole)
		from = 0;
	else if (conn_send(c, all, from) < 0)
		return -1;
	c->status = whole ? 0 : 200; /* a status line still dripping was not answered */
	for (size_t i = from; i < (size_t)n; i++)
		if (conn_send(c, all + i, 1) < 0 || conn_sleep(c, 1000) < 0)
			return -1;
	c->status = 200;
	return -1;
}

static int serve_bad_chunked(struct conn *c, const char *path)
{
	static const char first[] = "<!doctype html><html><head><title>bad chunks</title></head>"
				    "<body><p><a href=\"/page/back/bad-chunked\">back</a></p>\n";
	c->keep_alive = false;
	if (send_head(c, 200, "text/html", "", -1) < 0 || send_chunk(c, first, sizeof(first) - 1))
		return -1;
	if (strcmp(path, "/bad-chunked/overflow") == 0)
		conn_printf(c, "1000000000000000000000\r\n<p>more</p>\r\n0\r\n\r\n");
	else if (strcmp(path, "/bad-chunked/short") == 0)
		conn_printf(c, "1000\r\n<p>less than promised</p>\r\n0\r\n\r\n");
	else
		conn_printf(c, "zz\r\n<p>not hex</p>\r\n0\r\n\r\n");
	conn_sleep(c, 200); /* let the client read it before the close */
	return -1;
}

/* Some body, then SO_LINGER 0 and close: the kernel sends RST instead of FIN. */
static int serve_reset(struct conn *c, const char *path)
{
	(void)path;
	char body[4096];
	int n = snprintf(body, sizeof(body),
			 "<!doctype html><html><head><title>reset</title></head><body>"
			 "<p><a href=\"/page/back/reset\">back</a></p>\n");
	memset(body + n, 'r', sizeof(body) - (size_t)n);
	c->keep_alive = false;
	if (send_head(c, 200, "text/html", "", 100000) < 0 || conn_send(c, body, sizeof(body)) < 0)
		return -1;
	conn_sleep(c, 200);
	struct linger l = {.l_onoff = 1, .l_linger = 0};
	setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
	close(c->fd);
	c->fd = -1;
	return -1;
}

static int serve_long_line(struct conn *c, const char *path)
{
	(void)path;
	static const char pre[] = "<!doctype html><html><head><title>long line</title></head><body>"
				  "<p><a href=\"/page/back/long-line\">back to the site</a></p><p>";
	static const char post[] = "</p></body></html>";
	size_t fill = c->s->o.long_line_bytes;
	char piece[65536];
	for (size_t i = 0; i + 8 <= sizeof(piece); i += 8)
		memcpy(piece + i, "longline", 8);
	for (size_t i = 4; i < sizeof(piece); i += 40)
		piece[i] = ' '; /* words, not one 10 MB token */
	c->keep_alive = false;
	if (send_head(c, 200, "text/html", "",
		      (long long)(sizeof(pre) - 1 + fill + sizeof(post) - 1)) < 0 ||
	    conn_send(c, pre, sizeof(pre) - 1) < 0)
		return -1;
	for (size_t left = fill; left > 0;) {
		size_t n = left < sizeof(piece) ? left : sizeof(piece);
		if (conn_send(c, piece, n) < 0)
			return -1;
		left -= n;
	}
	conn_send(c, post, sizeof(post) - 1);
	return -1;
}

static int serve_nul(struct conn *c, const char *path)
{
	(void)path;
	static const char body[] =
		"<!doctype html><html><head><title>nul\0title</title></head><body>"
		"<p>text\0with\0nul bytes</p>"
		"<p><a href=\"/page/nul\0link\">a link with a NUL</a></p>"
		"<p><a href=\"/page/back/nul\">back to the site</a></p>\0"
		"</body></html>\n";
	return reply(c, 200, "text/html", "", body, sizeof(body) - 1);
}

/* --- rate limits --- */

/* How many times path was asked for before, counting this time. */
static unsigned count_path(struct hostile_server *s, const char *path)
{
	unsigned n = UINT32_MAX;
	pthread_mutex_lock(&s->lock);
	size_t i = 0;
	while (i < s->ncounts && strcmp(s->counts[i].path, path) != 0)
		i++;
	if (i == s->ncounts && s->ncounts < HOSTILE_COUNTS_MAX) {
		copy_cut(s->counts[i].path, sizeof(s->counts[i].path), path, strlen(path));
		s->counts[i].n = 0;
		s->ncounts++;
	}
	if (i < s->ncounts)
		n = ++s->counts[i].n;
	pthread_mutex_unlock(&s->lock);
	return n;
}

static int serve_after_limit(struct conn *c, const char *path, const char *back)
{
	struct sbuf b = {0};
	page_open(&b, path, back);
	sb_printf(&b, "<p>Served at last.</p>\n");
	page_close(&b);
	return reply_sb(c, &b, "");
}

static int serve_429(struct conn *c, const char *path)
{
	char extra[64];
	if (count_path(c->s, path) <= c->s->o.n429) {
		snprintf(extra, sizeof(extra), "Retry-After: %u\r\n", c->s->o.retry_after_s);
		return reply(c, 429, "text/html", extra, "<p>slow down</p>", 16);
	}
	return serve_after_limit(c, path, "429");
}

static int serve_storm(struct conn *c, const char *path)
{
	struct hostile_server *s = c->s;
	int64_t now = clock_mono_ms();
	pthread_mutex_lock(&s->lock);
	if (!s->storm_start)
		s->storm_start = now;
	bool storm = now - s->storm_start < (int64_t)s->o.storm_ms;
	pthread_mutex_unlock(&s->lock);
	if (storm) {
		char extra[64];
		snprintf(extra, sizeof(extra), "Retry-After: %u\r\n", s->o.retry_after_s);
		return reply(c, 503, "text/html", extra, "<p>overloaded</p>", 17);
	}
	return serve_after_limit(c, path, "503-storm");
}

/* --- traps that are well-formed HTTP --- */

static int serve_calendar(struct conn *c, const char *path)
{
	unsigned y, m;
	char tail;
	if (sscanf(path, "/calendar/%4u/%2u%c", &y, &m, &tail) != 2 || m < 1 || m > 12)
		return not_found(c);
	unsigned ny = m == 12 ? y + 1 : y, nm = m == 12 ? 1 : m + 1;
	char title[32];
	snprintf(title, sizeof(title), "calendar %04u-%02u", y, m);
	struct sbuf b = {0};
	page_open(&b, title, "calendar");
	sb_printf(&b, "<p><a href=\"/calendar/%04u/%02u\">next month</a></p>\n", ny, nm);
	page_close(&b);
	return reply_sb(c, &b, "");
}

static int serve_links_10k(struct conn *c, const char *path)
{
	if (strcmp(path, "/links-10k") != 0)
		return serve_page(c, path);
	struct sbuf b = {0};
	page_open(&b, "ten thousand links", "links-10k");
	for (unsigned i = 0; i < 10000; i++)
		sb_printf(&b, "<a href=\"/links-10k/item/%u\">%u</a>\n", i, i);
	page_close(&b);
	return reply_sb(c, &b, "");
}

static int serve_grow(struct conn *c, const char *path)
{
	const char *x = path + strlen("/grow/");
	struct sbuf b = {0};
	char t[HOSTILE_HEAD_MAX];
	page_open(&b, "growing", "grow");
	html_safe(x, t, sizeof(t));
	sb_printf(&b, "<p><a href=\"/grow/%s%s\">longer</a></p>\n", t, t);
	page_close(&b);
	return reply_sb(c, &b, "");
}

/* One path, many queries: a trap that the path-shape checks cannot see. */
static int serve_query_variants(struct conn *c, const char *path)
{
	unsigned from;
	if (strcmp(path, "/query-variants") == 0)
		from = 0;
	else if (strcmp(path, "/query-variants/more") == 0)
		from = HOSTILE_QUERY_VARIANTS;
	else
		return serve_page(c, path);
	struct sbuf b = {0};
	page_open(&b, "query variants", "query-variants");
	for (unsigned i = from; i < from + HOSTILE_QUERY_VARIANTS; i++)
		sb_printf(&b, "<a href=\"/query-variants/item?n=%u\">%u</a>\n", i, i);
	page_close(&b);
	return reply_sb(c, &b, "");
}

/* Pages with a lastmod a month or a day old, alternately, so their order in the document is
 * not the order of their freshness. */
static int serve_sitemap(struct conn *c, const char *path)
{
	(void)path;
	unsigned n = c->s->o.sitemap_pages;
	if (!n)
		return not_found(c);
	struct sbuf b = {0};
	time_t now = time(NULL);
	sb_printf(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		      "<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n");
	for (unsigned i = 1; i <= n; i++) {
		time_t t = now - (i % 2 ? 30 : 1) * 86400;
		struct tm tm;
		char date[32];
		strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
		sb_printf(&b, "<url><loc>%s/page/sm/%u</loc><lastmod>%s</lastmod></url>\n",
			  c->s->origin, i, date);
	}
	sb_printf(&b, "</urlset>\n");
	int rc = b.failed ? reply(c, 500, "text/plain", "", "too big\n", 8)
			  : reply(c, 200, "application/xml", "", b.p, b.len);
	free(b.p);
	return rc;
}

static int serve_robots(struct conn *c, const char *path)
{
	static const char allow[] = "User-agent: *\nDisallow: /private/\n";
	char loc[64];
	switch (c->s->o.robots) {
	case HOSTILE_ROBOTS_ALLOW: break;
	case HOSTILE_ROBOTS_404: return not_found(c);
	case HOSTILE_ROBOTS_500: return reply(c, 500, "text/plain", "", "broken\n", 7);
	case HOSTILE_ROBOTS_SILENT: conn_sleep(c, HOSTILE_FOREVER); return -1;
	case HOSTILE_ROBOTS_LOOP:
		if (strncmp(path, "/robots-loop/", 13) == 0)
			snprintf(loc, sizeof(loc), "/robots-loop/%lu",
				 strtoul(path + 13, NULL, 10) + 1);
		else
			snprintf(loc, sizeof(loc), "/robots-loop/1");
		return redirect(c, 302, loc);
	}
	return reply(c, 200, "text/plain", "", allow, sizeof(allow) - 1);
}

/* --- requests --- */

struct route {
	const char *path;
	bool prefix; /* path is a prefix ("/page/") rather than the whole path */
	int (*fn)(struct conn *c, const char *path);
};

static const struct route routes[] = {
	{"/", false, serve_home},
	{"/page/", true, serve_page},
	{"/start/", true, serve_start},
	{"/redirect-loop/", true, serve_redirect_loop},
	{"/redirect-self", false, serve_redirect_self},
	{"/redirect-chain/", true, serve_redirect_chain},
	{"/redirect-off", false, serve_redirect_off},
	{"/redirect-private", false, serve_redirect_private},
	{"/redirect-mapped", false, serve_redirect_mapped},
	{"/endless", false, serve_endless},
	{"/gzip-bomb", false, serve_gzip_bomb},
	{"/gzip-bomb/chunked", false, serve_gzip_bomb},
	{"/drip", false, serve_drip},
	{"/drip/head", false, serve_drip},
	{"/429/", true, serve_429},
	{"/503-storm/", true, serve_storm},
	{"/calendar/", true, serve_calendar},
	{"/links-10k", true, serve_links_10k},
	{"/long-line", false, serve_long_line},
	{"/nul", false, serve_nul},
	{"/bad-chunked", false, serve_bad_chunked},
	{"/bad-chunked/overflow", false, serve_bad_chunked},
	{"/bad-chunked/short", false, serve_bad_chunked},
	{"/reset", false, serve_reset},
	{"/grow/", true, serve_grow},
	{"/query-variants", true, serve_query_variants},
	{"/sitemap.xml", false, serve_sitemap},
	{"/robots.txt", false, serve_robots},
	{"/robots-loop/", true, serve_robots},
};

static int dispatch(struct conn *c)
{
	char path[HOSTILE_HEAD_MAX];
	copy_cut(path, sizeof(path), c->target, strcspn(c->target, "?#"));
	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		const struct route *r = &routes[i];
		if (r->prefix ? strncmp(path, r->path, strlen(r->path)) == 0
			      : strcmp(path, r->path) == 0)
			return r->fn(c, path);
	}
	return not_found(c);
}

/* Reads until a whole request head is in c->head. 0, or -1 when the connection should end. */
static int read_head(struct conn *c)
{
	for (;;) {
		c->head[c->len] = '\0';
		char *end = strstr(c->head, "\r\n\r\n");
		if (end) {
			c->head_len = (size_t)(end - c->head) + 4;
			return 0;
		}
		if (memchr(c->head, '\0', c->len)) {
			c->keep_alive = false;
			reply(c, 400, "text/plain", "", "NUL in the head\n", 16);
			return -1;
		}
		if (c->len == HOSTILE_HEAD_MAX) {
			c->keep_alive = false;
			reply(c, 431, "text/plain", "", "head too large\n", 15);
			return -1;
		}
		if (conn_poll(c, POLLIN, HOSTILE_IDLE_MS) <= 0)
			return -1;
		ssize_t n = recv(c->fd, c->head + c->len, HOSTILE_HEAD_MAX - c->len, MSG_DONTWAIT);
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
			return -1;
		if (n > 0)
			c->len += (size_t)n;
	}
}

/* The header named name (with its colon, "user-agent:") in the head, or NULL; *ret_len its value's
 * length, without surrounding blanks. */
static const char *header(const struct conn *c, const char *name, size_t *ret_len)
{
	size_t nlen = strlen(name);
	const char *blank = c->head + c->head_len - 2; /* the empty line that ends the head */
	for (const char *p = strstr(c->head, "\r\n"); p && p + 2 < blank;
	     p = strstr(p + 2, "\r\n")) {
		const char *line = p + 2;
		if (strncasecmp(line, name, nlen) != 0)
			continue;
		const char *v = line + nlen;
		v += strspn(v, " \t");
		size_t len = strcspn(v, "\r");
		while (len && (v[len - 1] == ' ' || v[len - 1] == '\t'))
			len--;
		*ret_len = len;
		return v;
	}
	return NULL;
}

static void header_copy(const struct conn *c, const char *name, char *out, size_t outlen)
{
	size_t len = 0;
	const char *v = header(c, name, &len);
	copy_cut(out, outlen, v ? v : "", v ? len : 0);
}

/* Parses the head in c->head; 0, or -1 after answering 400. */
static int parse_head(struct conn *c)
{
	char version[16];
	c->method[0] = c->target[0] = '\0';
	if (sscanf(c->head, "%15s %16383s %15s", c->method, c->target, version) != 3 ||
	    c->target[0] != '/' || strncmp(version, "HTTP/1.", 7) != 0) {
		c->keep_alive = false;
		reply(c, 400, "text/plain", "", "bad request\n", 12);
		return -1;
	}
	size_t len = 0;
	const char *v;
	c->keep_alive = strcmp(version, "HTTP/1.1") == 0;
	if ((v = header(c, "connection:", &len)) && len == 5 && strncasecmp(v, "close", 5) == 0)
		c->keep_alive = false;
	if (header(c, "content-length:", &len) || header(c, "transfer-encoding:", &len))
		c->keep_alive = false; /* request bodies are not read: the connection ends */
	c->head_only = strcmp(c->method, "HEAD") == 0;
	header_copy(c, "if-none-match:", c->inm, sizeof(c->inm));
	header_copy(c, "if-modified-since:", c->ims, sizeof(c->ims));
	return 0;
}

static void conn_log_begin(struct conn *c)
{
	size_t ualen = 0, fromlen = 0;
	const char *ua = header(c, "user-agent:", &ualen);
	const char *from = header(c, "from:", &fromlen);
	log_begin(c, ua ? ua : "", ua ? ualen : 0, from ? from : "", from ? fromlen : 0);
}

static void conn_serve(struct conn *c)
{
	for (;;) {
		c->deadline = clock_mono_ms() + HOSTILE_IDLE_MS + c->s->o.max_ms;
		if (read_head(c) < 0 || parse_head(c) < 0)
			return;
		c->deadline = clock_mono_ms() + c->s->o.max_ms;
		c->status = 0;
		conn_log_begin(c);
		int rc = dispatch(c);
		log_end(c);
		if (rc < 0 || c->fd < 0)
			return;
		memmove(c->head, c->head + c->head_len, c->len - c->head_len);
		c->len -= c->head_len;
	}
}

struct conn_start {
	struct conn *c;
	struct slot *slot;
};

static void *conn_main(void *arg)
{
	struct conn_start *cs = arg;
	struct conn *c = cs->c;
	struct slot *slot = cs->slot;
	free(cs);
	conn_serve(c);
	if (c->fd >= 0)
		close(c->fd);
	free(c);
	atomic_store(&slot->done, true);
	return NULL;
}

/* --- the acceptor --- */

static void reap(struct hostile_server *s, bool all)
{
	for (size_t i = 0; i < HOSTILE_MAX_CONNS; i++) {
		struct slot *sl = &s->slots[i];
		if (sl->used && (all || atomic_load(&sl->done))) {
			pthread_join(sl->thread, NULL);
			sl->used = false;
		}
	}
}

static void refuse(int fd)
{
	struct linger l = {.l_onoff = 1, .l_linger = 0};
	setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
	close(fd);
}

static void accept_one(struct hostile_server *s, int fd)
{
	unsigned serial = atomic_fetch_add(&s->conns, 1) + 1;
	reap(s, false);
	struct slot *sl = NULL;
	for (size_t i = 0; i < HOSTILE_MAX_CONNS && !sl; i++)
		if (!s->slots[i].used)
			sl = &s->slots[i];
	struct conn *c = sl ? calloc(1, sizeof(*c)) : NULL;
	struct conn_start *cs = c ? malloc(sizeof(*cs)) : NULL;
	if (!cs) {
		free(c);
		refuse(fd);
		return;
	}
	*c = (struct conn){.s = s, .fd = fd, .serial = serial};
	*cs = (struct conn_start){c, sl};
	atomic_store(&sl->done, false);
	if (pthread_create(&sl->thread, NULL, conn_main, cs) != 0) {
		free(cs);
		free(c);
		refuse(fd);
		return;
	}
	sl->used = true;
}

static void *accept_main(void *arg)
{
	struct hostile_server *s = arg;
	for (;;) {
		struct pollfd p[2] = {{.fd = s->lfd, .events = POLLIN},
				      {.fd = s->stopfd, .events = POLLIN}};
		if (poll(p, 2, -1) < 0 && errno != EINTR)
			break;
		if (p[1].revents)
			break;
		if (!(p[0].revents & POLLIN))
			continue;
		int fd = accept4(s->lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (fd >= 0)
			accept_one(s, fd);
		else if (errno == EMFILE || errno == ENFILE)
			poll(&p[1], 1, 100); /* out of descriptors: let connections end first */
	}
	reap(s, true);
	return NULL;
}

/* --- the gzip bomb --- */

/* Deflates 1 MiB of zeros with a full flush: a run of non-final blocks that refer to nothing
 * before them, so it can be repeated back to back. Then a final empty block, and the gzip header
 * and trailer (the CRC and length of bomb_mib MiB of zeros). */
static int bomb_build(struct hostile_server *s)
{
	const size_t mib = 1u << 20;
	unsigned char *zeros = calloc(1, mib);
	s->bomb_block = malloc(mib / 100);
	z_stream z = {0};
	int rc = -ENOMEM;
	if (!zeros || !s->bomb_block ||
	    deflateInit2(&z, 9, Z_DEFLATED, -15, 9, Z_DEFAULT_STRATEGY) != Z_OK)
		goto fail;
	z.next_in = zeros;
	z.avail_in = (uInt)mib;
	z.next_out = s->bomb_block;
	z.avail_out = (uInt)(mib / 100);
	if (deflate(&z, Z_FULL_FLUSH) != Z_OK || z.avail_in != 0 || z.avail_out == 0)
		goto done;
	s->bomb_block_len = mib / 100 - z.avail_out;
	z.next_out = s->bomb_tail;
	z.avail_out = sizeof(s->bomb_tail);
	if (deflate(&z, Z_FINISH) != Z_STREAM_END)
		goto done;
	s->bomb_tail_len = sizeof(s->bomb_tail) - z.avail_out;
	static const unsigned char head[10] = {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 2, 3};
	memcpy(s->bomb_head, head, sizeof(head));
	uLong crc1 = crc32(0, zeros, (uInt)mib), crc = crc32(0, NULL, 0);
	for (unsigned i = 0; i < s->o.bomb_mib; i++)
		crc = crc32_combine(crc, crc1, (z_off_t)mib);
	uint32_t isize = (uint32_t)((uint64_t)s->o.bomb_mib * mib);
	for (int i = 0; i < 4; i++) {
		s->bomb_trailer[i] = (unsigned char)(crc >> (8 * i));
		s->bomb_trailer[4 + i] = (unsigned char)(isize >> (8 * i));
	}
	rc = 0;
done:
	if (rc)
		rc = -EINVAL;
	deflateEnd(&z);
fail:
	free(zeros);
	return rc;
}

/* --- the interface --- */

static int listen_loopback(struct hostile_server *s)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t alen = sizeof(a);
	s->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (s->lfd < 0 || bind(s->lfd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
	    listen(s->lfd, 128) != 0 || getsockname(s->lfd, (struct sockaddr *)&a, &alen) != 0)
		return -errno;
	s->port = ntohs(a.sin_port);
	snprintf(s->origin, sizeof(s->origin), "http://127.0.0.1:%u", s->port);
	return 0;
}

static void server_free(struct hostile_server *s)
{
	if (s->lfd >= 0)
		close(s->lfd);
	if (s->stopfd >= 0)
		close(s->stopfd);
	pthread_mutex_destroy(&s->lock);
	free(s->bomb_block);
	free(s->log);
	free(s->counts);
	free(s);
}

int hostile_start(const struct hostile_opts *o, struct hostile_server **ret_server, char *err,
		  size_t errlen)
{
	struct hostile_server *s = calloc(1, sizeof(*s));
	if (!s) {
		snprintf(err, errlen, "hostile server: out of memory");
		return -ENOMEM;
	}
	if (o)
		s->o = *o;
	else
		hostile_opts_default(&s->o);
	s->lfd = s->stopfd = -1;
	pthread_mutex_init(&s->lock, NULL);
	int rc = -ENOMEM;
	const char *what = "out of memory";
	if (!(s->counts = calloc(HOSTILE_COUNTS_MAX, sizeof(*s->counts))))
		goto fail;
	what = "cannot build the gzip bomb";
	if ((rc = bomb_build(s)) != 0)
		goto fail;
	what = "cannot listen on 127.0.0.1";
	if ((rc = listen_loopback(s)) != 0)
		goto fail;
	what = "cannot make an eventfd";
	if ((s->stopfd = eventfd(0, EFD_CLOEXEC)) < 0) {
		rc = -errno;
		goto fail;
	}
	what = "cannot start a thread";
	if ((rc = -pthread_create(&s->acceptor, NULL, accept_main, s)) != 0)
		goto fail;
	*ret_server = s;
	return 0;
fail:
	snprintf(err, errlen, "hostile server: %s: %s", what, strerror(-rc));
	server_free(s);
	return rc;
}

void hostile_stop(struct hostile_server *s)
{
	if (!s)
		return;
	atomic_store(&s->stopping, true);
	uint64_t one = 1;
	if (write(s->stopfd, &one, sizeof(one)) != sizeof(one))
		abort(); /* an eventfd write of 1 cannot fail; without it the threads never end */
	pthread_join(s->acceptor, NULL);
	server_free(s);
}

unsigned hostile_port(const struct hostile_server *s)
{
	return s->port;
}

const char *hostile_origin(const struct hostile_server *s)
{
	return s->origin;
}

/* The log's mutex is the one part of a const server that changes: reading takes the lock. */
static pthread_mutex_t *lock_of(const struct hostile_server *s)
{
	return (pthread_mutex_t *)&s->lock;
}

size_t hostile_requests(const struct hostile_server *s, struct hostile_request *out, size_t max)
{
	pthread_mutex_lock(lock_of(s));
	size_t n = s->nlog;
	if (out && max)
		memcpy(out, s->log, (n < max ? n : max) * sizeof(*out));
	pthread_mutex_unlock(lock_of(s));
	return n;
}

size_t hostile_count(const struct hostile_server *s, const char *prefix)
{
	size_t n = 0, plen = strlen(prefix);
	pthread_mutex_lock(lock_of(s));
	for (size_t i = 0; i < s->nlog; i++)
		n += strncmp(s->log[i].path, prefix, plen) == 0;
	pthread_mutex_unlock(lock_of(s));
	return n;
}

size_t hostile_dropped(const struct hostile_server *s)
{
	pthread_mutex_lock(lock_of(s));
	size_t n = s->dropped;
	pthread_mutex_unlock(lock_of(s));
	return n;
}

unsigned hostile_connections(const struct hostile_server *s)
{
	return atomic_load(&s->conns);
}

void hostile_reset(struct hostile_server *s)
{
	pthread_mutex_lock(&s->lock);
	s->nlog = 0;
	s->dropped = 0;
	s->gen++;
	s->ncounts = 0;
	s->storm_start = 0;
	pthread_mutex_unlock(&s->lock);
}
