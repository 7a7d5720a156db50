/* SPDX-License-Identifier: MIT */
/* The crawl: from a seed, fetch every page of the seed's site breadth-first that its robots.txt
 * allows, turn each HTML page into a document, match it against the rules and store pages and hits.
 *
 * With robots.h, this is the crawler's whole interface. Today a crawl covers one site (the seed's
 * origin) with an in-memory frontier; venues, politeness and the persistent frontier grow behind
 * this same call. crawl_run blocks; it uses one thread, libcurl's multi interface keeping several
 * transfers in flight. Per-page failures are outcomes counted in the stats, not errors.
 */
#ifndef PATROL_CRAWLER_CRAWL_H
#define PATROL_CRAWLER_CRAWL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct rules_set;
struct store;

/* Operators set their own contact URL (crawl_opts.user_agent); this one names the project. */
#define CRAWL_DEFAULT_USER_AGENT \
	"patrol/0.1 (monitoring crawler for registered public venues; " \
	"+https://github.com/patrol-crawler/patrol)"

struct crawl_opts {
	const char *venue;       /* venue id recorded with every page and hit */
	const char *seed;        /* absolute http(s) URL */
	const char *user_agent;  /* identifies patrol and how to reach its operator */
	size_t max_pages;        /* fetches to make; 0 = until the site is exhausted */
	size_t max_urls;         /* URLs the frontier may hold (seen or queued) */
	unsigned connections;    /* transfers in flight */
	bool allow_private;      /* fetch from loopback and private addresses (tests, the demo) */
	long connect_timeout_ms;
	long timeout_ms;         /* whole transfer */
	size_t max_body;         /* body bytes after decompression; larger pages stop there */
	size_t batch_pages;      /* pages per store write transaction */
	/* "HOST:PORT:ADDR:PORT2": connect to ADDR:PORT2 whenever a URL names HOST:PORT (curl's
	 * CONNECT_TO), or NULL. The demo gives its forum a stable name this way, so the URLs of
	 * its pages and hits stay the same from run to run whatever port it was served on. */
	const char *connect_to;
};

/* The process-wide set-up the crawler's libraries need (libcurl's global init): call once from
 * main before any thread starts, and crawl_global_cleanup once at exit. */
int crawl_global_init(void);
void crawl_global_cleanup(void);

/* Sensible defaults: 4 connections, 10 s connect, 60 s total, 10 MiB bodies, batches of 64. */
void crawl_opts_default(struct crawl_opts *o);

/* Outcomes a fetched URL can have; each is counted. */
enum crawl_outcome {
	CRAWL_OK,          /* HTML page parsed and matched */
	CRAWL_NOT_HTML,    /* fetched, not HTML: recorded, not parsed */
	CRAWL_REDIRECT,    /* 3xx: the target joins the frontier when in scope */
	CRAWL_HTTP_ERROR,  /* 4xx or 5xx */
	CRAWL_TOO_BIG,     /* body over max_body */
	CRAWL_REFUSED,     /* the address guard refused the server's address */
	CRAWL_NET_ERROR,   /* DNS, connect, TLS, timeout */
	CRAWL_ROBOTS,      /* robots.txt disallows it: not fetched */
	CRAWL_OUTCOME_COUNT
};

/* "ok", "not_html", "redirect", "http_error", "too_big", "refused", "net_error", "robots". */
const char *crawl_outcome_name(enum crawl_outcome o);

struct crawl_stats {
	uint64_t fetched;                        /* transfers finished, any outcome */
	uint64_t pages;                          /* pages stored */
	uint64_t bytes;                          /* body bytes received */
	uint64_t outcomes[CRAWL_OUTCOME_COUNT];
	uint64_t off_site;                       /* links outside the seed's site, not followed */
	uint64_t robots_blocked;                 /* URLs robots.txt disallowed */
	uint64_t hits;                           /* hits found, new or seen before */
	uint64_t hits_new;                       /* hits the store did not have */
	int64_t elapsed_ms;
};

/* What the caller hears as the crawl goes: one event per finished fetch. Borrowed strings. */
struct crawl_event {
	const char *url;
	enum crawl_outcome outcome;
	long status;            /* HTTP status, 0 when none */
	const char *detail;     /* a reason for failures, "" otherwise */
	size_t hits;            /* hits on this page */
};
typedef void (*crawl_event_fn)(const struct crawl_event *ev, void *ud);

/* Crawls as o says, matching against rules and writing to store. on_event may be NULL.
 * Returns 0 when the crawl ran (individual pages may have failed), or an error with a one-line
 * reason in err: the seed is not a valid URL (ERR_URL), the seed itself could not be fetched
 * (ERR_NET, ERR_SCOPE), answered with an error (ERR_HTTP) or is not an HTML page (ERR_HTTP),
 * robots.txt disallows the seed, or could not be fetched, which RFC 9309 reads as "disallow
 * everything" (ERR_SCOPE),
 * the store failed (ERR_STORE or -errno), or a rule failed to run (ERR_REGEX). */
int crawl_run(const struct crawl_opts *o, const struct rules_set *rules, struct store *store,
	      crawl_event_fn on_event, void *ud, struct crawl_stats *ret_stats, char *err,
	      size_t errlen);

#endif
