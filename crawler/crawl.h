/* SPDX-License-Identifier: MIT */
/* The crawl: every registered venue asked for, from its seeds and sitemaps, breadth-first within
 * its scope, as its robots.txt and politeness allow; each HTML page turned into a document,
 * matched against the rules, and stored with its hits.
 *
 * With robots.h, this is the crawler's whole interface. crawl_run blocks; inside, one thread
 * fetches (libcurl's multi interface, many transfers in flight), a pool of workers parses and
 * matches, and one writer thread writes the store. The frontier lives in the store, so a crawl
 * that was interrupted (even by kill -9) resumes where it stopped when run again. Per-page
 * failures are outcomes counted in the stats, not errors.
 */
#ifndef PATROL_CRAWLER_CRAWL_H
#define PATROL_CRAWLER_CRAWL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct rules_set;
struct store;
struct venue_registry;
struct crawler_settings;

/* The process-wide set-up the crawler's libraries need (libcurl's, libxml2's): call once from
 * main before any thread starts, and crawl_global_cleanup once at exit. */
int crawl_global_init(void);
void crawl_global_cleanup(void);

/* Outcomes a URL can have in a crawl; each is counted per venue. */
enum crawl_outcome {
	CRAWL_OK,             /* HTML page parsed, matched and stored */
	CRAWL_NOT_HTML,       /* fetched and stored, not HTML: not parsed */
	CRAWL_REDIRECT,       /* 3xx: the target joined the frontier */
	CRAWL_HTTP_ERROR,     /* 4xx or 5xx, or a host that kept answering 429/503 */
	CRAWL_TOO_BIG,        /* body over the limit (after decompression) */
	CRAWL_REFUSED,        /* the address guard refused the server's address */
	CRAWL_NET_ERROR,      /* DNS, connect, TLS, broken transfer */
	CRAWL_ROBOTS,         /* robots.txt disallows it: not fetched */
	CRAWL_TIMEOUT,        /* too slow: the total or the low-speed limit ran out */
	CRAWL_NOT_MODIFIED,   /* 304: unchanged since the last visit */
	CRAWL_NOINDEX,        /* the page asks not to be indexed: links followed, no hits kept */
	CRAWL_BACKOFF,        /* 429 or 503: the URL went back to its queue, the host waits */
	CRAWL_REDIRECT_LIMIT, /* a redirect past the hop limit */
	CRAWL_OFF_VENUE,      /* a redirect out of the venue's scope */
	CRAWL_OUTCOME_COUNT
};

/* "ok", "not_html", "redirect", "http_error", "too_big", "refused", "net_error", "robots",
 * "timeout", "not_modified", "noindex", "backoff", "redirect_limit", "off_venue". */
const char *crawl_outcome_name(enum crawl_outcome o);

struct crawl_stats {
	uint64_t fetched;                        /* URLs finished, any outcome but robots */
	uint64_t pages;                          /* pages stored */
	uint64_t bytes;                          /* body bytes of the pages stored */
	uint64_t outcomes[CRAWL_OUTCOME_COUNT];
	uint64_t off_site;                       /* links out of the venue's scope, not followed */
	uint64_t traps;                          /* links refused by the trap guards, depth, length */
	uint64_t robots_blocked;                 /* URLs robots.txt disallowed */
	uint64_t hits;                           /* hits found, new or seen before */
	uint64_t hits_new;                       /* hits the store did not have */
	/* A rule that could not run on a field (a PCRE2 error: the match limit, the JIT stack):
	 * counted once per rule and field instance, never taken as "no match"; the crawl goes on. */
	uint64_t rule_errors;
	int64_t elapsed_ms;
	/* Time this venue's URLs waited, once taken from the frontier, for their host's
	 * politeness (delay, Crawl-delay, connections per host, back-off) before they started. */
	int64_t politeness_wait_ms;
};

/* A hit on a page, as crawl_event reports it: the rule's id and severity, borrowed. */
struct crawl_hit_ref {
	const char *rule;
	const char *severity;
};

/* One event per finished URL, from the writer thread, one call at a time. Borrowed strings. */
struct crawl_event {
	const char *venue;
	const char *url;
	enum crawl_outcome outcome;
	long status;            /* HTTP status, 0 when none */
	const char *detail;     /* a reason or a redirect target, "" otherwise */
	size_t hits;            /* hits on this page */
	/* Those hits' rules (nhit_refs of them, borrowed for the call; may be fewer than hits
	 * when memory ran short). */
	const struct crawl_hit_ref *hit_refs;
	size_t nhit_refs;
	/* The whole crawl so far, for a progress line. */
	uint64_t done;          /* URLs finished */
	uint64_t hits_total;
	uint64_t errors;        /* URLs that ended in an error outcome */
	uint64_t in_flight;     /* transfers running, as last seen by the fetch thread */
	uint64_t queued;        /* URLs waiting in the frontier, as last counted */
	int64_t elapsed_ms;
};
typedef void (*crawl_event_fn)(const struct crawl_event *ev, void *ud);

struct crawl_opts {
	const struct venue_registry *registry; /* venues and crawler settings */
	/* Settings to use instead of the registry's (NULL: the registry's): for tests and for
	 * command-line overrides. Borrowed for the call. */
	const struct crawler_settings *settings;
	const char *const *venues; /* ids of the venues to crawl; none: every venue */
	size_t nvenues;
	size_t max_pages;        /* fetches this run, all venues; 0: only the venues' own limits */
	unsigned connections;    /* transfers in flight; 0: the registry's setting */
	unsigned workers;        /* parse and match threads; 0: the setting (0 there: one a core) */
	size_t batch_pages;      /* results per store write transaction (64 when 0) */
	/* "HOST:PORT:ADDR:PORT2": connect to ADDR:PORT2 whenever a URL names HOST:PORT (curl's
	 * CONNECT_TO), or NULL. The demo gives its forum a stable name this way, so the URLs of
	 * its pages and hits stay the same from run to run whatever port it was served on. */
	const char *connect_to;
	crawl_event_fn on_event; /* may be NULL */
	void *ud;
	/* When it turns true (a signal handler may set it), no new fetch starts: the transfers in
	 * flight finish and are stored, URLs taken ahead go back to the frontier, and crawl_run
	 * returns 0 with the stats so far; the next crawl_run resumes. It is polled at least
	 * twice a second. May be NULL. */
	const atomic_bool *stop;
	/* The rule files the rules came from, read again between batches once they change, so a
	 * long crawl picks up rule authors' edits (docs/rules.md, "Reload"): a set that loads and
	 * passes its own examples replaces the old one; any other is refused, and the crawl goes
	 * on with the old. Borrowed for the call; nrule_paths 0: never reloaded. rules_cache_dir:
	 * the prefilter cache (rules_set_load_cached), may be NULL. */
	const char *const *rule_paths;
	size_t nrule_paths;
	const char *rules_cache_dir;
	int64_t rules_check_ms; /* how often the files are looked at; 0: every 2 s */
	/* After each reload: ok, and a message ("N rules\n", or the load errors and failed
	 * examples, one per line). From the writer thread; ud is the on_event one. May be NULL. */
	void (*on_rules)(bool ok, const char *msg, void *ud);
	/* The caller took the store's crawl lock (store_crawl_lock) and releases it after:
	 * patrol crawl takes it before loading its rules, so a second crawl is refused at once. */
	bool lock_held;
	/* patrol run's incremental crawl: when not 0 (epoch seconds, normally the run's start),
	 * URLs fetched in an earlier crawl whose revisit interval has not run out by then are
	 * left out, except seeds and recently changed sitemap URLs (store_frontier_revisit). 0:
	 * every URL found is fetched again (conditionally), as patrol crawl does. */
	int64_t revisit_at;
	/* When not NULL, set to the number of URLs dropped from the frontier because the venue
	 * they were queued for is no longer in the registry: counted in no venue's stats. */
	uint64_t *ret_orphaned;
};

void crawl_opts_default(struct crawl_opts *o);

/* Crawls as o says, matching against rules and writing to store. ret_stats, when not NULL, has
 * one entry per registry venue in registry order (venue_registry_count), filled at the end.
 * The store's crawl lock (store_crawl_lock) is held from start to end: another crawl of the
 * same store, in any process, makes this one fail at once with -EBUSY and "another patrol crawl
 * is using DIR (pid N)" in err, before anything changed.
 * Returns 0 when the crawl ran (pages may have failed; a venue whose robots.txt could not be
 * fetched waits for the next crawl), or an error with a one-line reason in err: no such venue
 * (ERR_USAGE), the store failed (ERR_STORE, -errno), a rule failed to run (ERR_REGEX), or
 * nothing at all could be crawled because of the first seed: unreachable (ERR_NET), refused
 * or disallowed by robots.txt (ERR_SCOPE), answered with an error or not HTML (ERR_HTTP). */
int crawl_run(const struct crawl_opts *o, const struct rules_set *rules, struct store *store,
	      struct crawl_stats *ret_stats, char *err, size_t errlen);

/* Adds b's counts to a (elapsed_ms: the larger). */
void crawl_stats_add(struct crawl_stats *a, const struct crawl_stats *b);

#endif
