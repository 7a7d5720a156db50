/* SPDX-License-Identifier: MIT */
/* A test HTTP server that plays a hostile site, for the integration tests (tests/integration/
 * hostile_test.c) and for politeness tests that need to see every request a host received.
 *
 * One server is one host: it listens on 127.0.0.1 (never another address) on a free port, runs an
 * accept thread and one thread per connection, and answers every behaviour by path, so one server
 * hosts a whole hostile site (the table below). Start several for several hosts. It speaks HTTP/1.1
 * over raw sockets rather than review/httpd.h, because the traps must break HTTP on purpose
 * (malformed chunks, resets, drips) and because the log needs request headers that httpd.h does not
 * expose. Every behaviour ends by itself: when the client goes away, when hostile_opts.max_ms has
 * passed, or when the test calls hostile_stop(), whichever comes first.
 *
 * Thread rules: the hostile_* functions may be called from any thread while the server runs; the
 * log and the per-path state sit behind one mutex. The opts are copied at start.
 *
 * Paths (ordinary pages carry an ETag and a Last-Modified and answer 304 to a matching
 * If-None-Match or If-Modified-Since; every trap that has a body links to /page/back/<trap>):
 *   /                       home: links to /page/1 .. /page/<site_pages>
 *   /page/...               an ordinary HTML page without links
 *   /start/<trap>           links to /<trap>, then to /page/after/<trap>: a test's seed
 *   /redirect-loop/a, /b    302 to each other
 *   /redirect-self          301 to itself
 *   /redirect-chain/<n>     302 to /redirect-chain/<n+1>, forever
 *   /redirect-off           302 to http://off-venue.invalid/page/off
 *   /redirect-private       302 to http://10.0.0.1/x
 *   /redirect-mapped        302 to http://[::ffff:127.0.0.1]:<port>/page/mapped
 *   /endless                200, chunked HTML that never ends (as fast as the client reads)
 *   /gzip-bomb              200, Content-Encoding: gzip, Content-Length: ~10 MB of deflated zeros
 *                           that inflate to bomb_mib MiB (10 GiB by default)
 *   /gzip-bomb/chunked      the same bomb, chunked, without a Content-Length
 *   /drip                   200 with a Content-Length, then the body one byte per second
 *   /drip/head              the status line and headers too, one byte per second
 *   /429/<x>                429 with Retry-After: retry_after_s the first n429 times per path, then
 *                           200
 *   /503-storm/<x>          503 with Retry-After: retry_after_s for storm_ms after the first
 *                           request to any /503-storm path, then 200
 *   /calendar/<yyyy>/<mm>   links to the next month, forever (a calendar trap)
 *   /links-10k              10,000 distinct links to /links-10k/item/<n> (after the back link)
 *   /long-line              one line of long_line_bytes (10 MiB) of HTML, Content-Length
 *   /nul                    HTML with NUL bytes in the title, the text and a link
 *   /bad-chunked            chunked, then a chunk size that is not hex
 *   /bad-chunked/overflow   a chunk size of 2^84
 *   /bad-chunked/short      a chunk shorter than its size, then the connection closes
 *   /reset                  Content-Length 100000, 4 KiB of body, then a TCP RST
 *   /grow/<x>               links to /grow/<x><x>: URLs that double in length, forever
 *   /query-variants         300 links to one path with 300 queries: /query-variants/item?n=0..299
 *   /query-variants/more    300 more: /query-variants/item?n=300..599 (items are ordinary pages)
 *   /sitemap.xml            404, or with sitemap_pages a sitemap of /page/sm/1..n whose odd
 *                           pages were last modified 30 days ago and even ones a day ago
 *   /robots.txt             as hostile_opts.robots says; /robots-loop/<n> serves the loop
 *   anything else           404
 */
#ifndef PATROL_TESTS_SERVER_HOSTILE_H
#define PATROL_TESTS_SERVER_HOSTILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct hostile_server;

/* What /robots.txt answers. */
enum hostile_robots {
	HOSTILE_ROBOTS_ALLOW,  /* 200: "User-agent: *" and "Disallow: /private/" */
	HOSTILE_ROBOTS_404,    /* 404: RFC 9309 "unavailable", everything allowed */
	HOSTILE_ROBOTS_500,    /* 500: RFC 9309 "unreachable", nothing allowed */
	HOSTILE_ROBOTS_SILENT, /* reads the request and never answers */
	HOSTILE_ROBOTS_LOOP,   /* 302 to /robots-loop/1, which redirects to /2, and so on */
};

struct hostile_opts {
	enum hostile_robots robots;
	unsigned site_pages;	/* pages the home page links to */
	unsigned n429;		/* 429 answers per /429 path before its 200 */
	unsigned retry_after_s; /* Retry-After of the 429 and 503 answers */
	unsigned storm_ms;	/* how long /503-storm answers 503 */
	unsigned max_ms;	/* cap on any one answer: endless, drip, silent, bombs */
	unsigned bomb_mib;	/* inflated size of the gzip bomb, in MiB */
	size_t long_line_bytes; /* length of /long-line's one line */
	unsigned sitemap_pages; /* pages /sitemap.xml lists; 0: it answers 404 */
};

/* ALLOW, 5 pages, 2 429s, Retry-After: 2, a 3 s storm, 30 s cap, a 10 GiB bomb, a 10 MiB line,
 * no sitemap. */
void hostile_opts_default(struct hostile_opts *o);

/* One request as the server read it. Strings are NUL-terminated and cut to their arrays; a header
 * that was absent is "". */
struct hostile_request {
	int64_t t_ms;	/* clock_mono_ms() (common/clock.h) when the request head had arrived */
	int64_t end_ms; /* when the answer ended: sent, cut, or given up; 0 while still going */
	unsigned conn;	/* the connection's number, from 1: requests on one connection share it */
	int status;	/* the status answered; 0 when none was (silent robots.txt, drip/head) */
	char method[16];
	char path[1024]; /* the request target as sent, query included */
	size_t path_len; /* its full length, even when path was cut */
	char if_none_match[128];
	char if_modified_since[64];
	char user_agent[256];
	char from[128];
};

/* Starts a server with o (NULL: the defaults). On success *ret_server is a running server that the
 * caller stops with hostile_stop(); on failure -errno (or -ENOMEM) and a one-line reason in err. */
int hostile_start(const struct hostile_opts *o, struct hostile_server **ret_server, char *err,
		  size_t errlen);

/* Stops accepting, ends every answer in progress, waits for every thread, frees s. NULL does
 * nothing. */
void hostile_stop(struct hostile_server *s);

unsigned hostile_port(const struct hostile_server *s);
/* "http://127.0.0.1:<port>", without a trailing slash; lives as long as s. */
const char *hostile_origin(const struct hostile_server *s);

/* Copies the first min(total, max) logged requests, oldest first, into out (which may be NULL
 * when max is 0) and returns total, the number logged. The log keeps the first 100,000 requests
 * and counts the rest in hostile_dropped(). */
size_t hostile_requests(const struct hostile_server *s, struct hostile_request *out, size_t max);
/* Logged requests whose path starts with prefix ("" counts them all). */
size_t hostile_count(const struct hostile_server *s, const char *prefix);
size_t hostile_dropped(const struct hostile_server *s);
/* Connections accepted so far, counting those closed at once because 64 were already open. */
unsigned hostile_connections(const struct hostile_server *s);

/* Empties the log and forgets the per-path state (429 counts, the storm), as if just started;
 * answers still in progress finish but are no longer logged. */
void hostile_reset(struct hostile_server *s);

#endif
