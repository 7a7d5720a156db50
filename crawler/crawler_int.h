/* SPDX-License-Identifier: MIT */
/* What the crawler's own files share: the fetcher over curl multi, the frontier and the address
 * guard. Not part of the module's interface (crawl.h is); unit tests may use it.
 */
#ifndef PATROL_CRAWLER_INT_H
#define PATROL_CRAWLER_INT_H

#include "common/buf.h"
#include "crawler/crawl.h"
#include "index/store.h"
#include "parsers/doc.h"

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* --- guard.c: which server addresses a crawl may connect to --- */

/* True when sa is a public unicast address, or allow_private is set and sa is loopback,
 * private, link-local or otherwise not globally routable. Unspecified, multicast and broadcast
 * addresses are never allowed. */
bool crawler__addr_allowed(const struct sockaddr *sa, bool allow_private);

/* --- fetch.c: transfers in flight on one curl multi handle --- */

struct fetch;

struct fetch_opts {
	const char *user_agent;
	const char *from;         /* the From header (an operator's address), or NULL */
	const char *proxy;        /* NULL: libcurl reads the environment (http_proxy, ...) */
	long connect_timeout_ms;
	long timeout_ms;
	long low_speed_bytes;     /* slower than this many bytes a second... */
	long low_speed_seconds;   /* ...for this long, and the transfer is dropped */
	size_t max_body;
	const char *connect_to;   /* see crawl_opts */
};

enum fetch_status {
	FETCH_DONE,     /* a response arrived: see http_status */
	FETCH_TOO_BIG,  /* the body passed max_body; what arrived is in body */
	FETCH_REFUSED,  /* the address guard refused every address of the host */
	FETCH_TIMEOUT,  /* the total time or the low-speed limit ran out */
	FETCH_FAILED,   /* DNS, connect, TLS, protocol error: see error */
};

/* What a request may do: connect to private addresses (the venue's say), and the validators
 * from the last visit for a conditional request (NULL or "" for none). */
struct fetch_req {
	bool allow_private;
	const char *etag;
	const char *last_modified;
};

struct fetch_result {
	const char *url;          /* as passed to fetch_add */
	void *ud;                 /* as passed to fetch_add */
	enum fetch_status status;
	long http_status;
	const char *content_type; /* "" when none */
	const char *location;     /* the Location header of a redirect, resolved; "" when none */
	const char *etag;         /* response validators and directives, "" when absent */
	const char *last_modified;
	const char *x_robots_tag;
	long retry_after_s;       /* Retry-After in seconds (either form), -1 when absent */
	const char *body;         /* decompressed, NUL-terminated; len bytes */
	size_t len;
	/* The final response's status line and header lines as received (CRLFs and the blank line
	 * included), at most 64 KiB of whole lines: the head of the evidence. */
	const char *head;
	size_t head_len;
	const char *error;        /* libcurl's reason when the transfer failed, else "" */
	void *priv;               /* the fetcher's; see fetch_result_take_body */
};

/* Called for each finished transfer; r is valid during the call only. */
typedef int (*fetch_done_fn)(struct fetch_result *r, void *ud);

int fetch_new(const struct fetch_opts *o, struct fetch **ret_fetch);
/* Frees the fetcher, abandoning transfers still in flight. NULL does nothing. */
void fetch_free(struct fetch *f);
/* Starts fetching url as req says (NULL: no private addresses, unconditional). ud comes back in
 * the result. */
int fetch_add(struct fetch *f, const char *url, const struct fetch_req *req, void *ud);
size_t fetch_in_flight(const struct fetch *f);
/* Waits up to timeout_ms for progress, then reports every finished transfer to done. A non-zero
 * return of done stops the reporting and is returned. */
int fetch_poll(struct fetch *f, int timeout_ms, fetch_done_fn done, void *ud);
/* Wakes a fetch_poll waiting in another thread. */
void fetch_wakeup(struct fetch *f);
/* Moves the body out of r, so it can outlive the callback: a NUL-terminated malloc'd string of
 * r->len bytes the caller frees. r->body becomes "". NULL when out of memory. */
char *fetch_result_take_body(struct fetch_result *r);
/* The same for the raw head: *ret_len bytes, NUL-terminated; NULL when out of memory. */
char *fetch_result_take_head(struct fetch_result *r, size_t *ret_len);

/* --- queue.c: bounded queues between the crawl's threads --- */

struct queue {
	void **items;
	size_t cap, head, len;
	size_t want; /* items that make a push wake the consumer: 1 but in queue_pop_batch */
	bool closed;
	pthread_mutex_t lock;
	pthread_cond_t not_empty, not_full;
};

int queue_init(struct queue *q, size_t cap);
void queue_done(struct queue *q);
/* Blocks while the queue is full. ERR_USAGE once the queue is closed (the item stays the
 * caller's). */
int queue_push(struct queue *q, void *item);
/* Waits up to timeout_ms (-1: no limit). -ETIMEDOUT, or ERR_NOT_FOUND when closed and empty;
 * items pushed before the close are still handed out. */
int queue_pop(struct queue *q, int timeout_ms, void **ret_item);
/* For a queue with one consumer: takes 1 to max items into items[]. Waits for the first as long
 * as it takes, then at most wait_ms more while fewer than min are queued. ERR_NOT_FOUND when
 * closed and empty. */
int queue_pop_batch(struct queue *q, void **items, size_t max, size_t min, int wait_ms,
		    size_t *ret_n);
void queue_close(struct queue *q);
size_t queue_len(struct queue *q);

/* --- hosts.c: politeness per host, for the scheduler thread only --- */

enum host_robots {
	HOST_ROBOTS_UNKNOWN,  /* not asked yet */
	HOST_ROBOTS_FETCHING, /* robots.txt in flight */
	HOST_ROBOTS_READY,    /* h->robots answers */
	HOST_ROBOTS_FAILED,   /* 5xx or unreachable: nothing may be fetched this run (RFC 9309) */
};

struct xfer_ctx;

struct host {
	char *key;               /* "host:port" */
	const struct venue *venue; /* whose politeness applies: the first venue seen for it */
	unsigned delay_ms, connections;
	unsigned in_flight;
	int64_t next_start_ms, backoff_until_ms;
	unsigned backoffs;
	uint64_t queued;         /* URLs waiting in the store's frontier, as last counted */
	enum host_robots robots_state;
	struct robots *robots;
	unsigned robots_hops;
	char robots_why[160];    /* why the host is FAILED */
	bool sitemaps_done;
	unsigned sitemaps_fetched;
	struct xfer_ctx *pending; /* URLs taken from the frontier, waiting for their turn: a FIFO */
	struct xfer_ctx *pending_tail;
	unsigned npending;
};

struct hosts {
	struct host **slots;
	size_t nslots, n;
};

int hosts_init(struct hosts *t);
void hosts_done(struct hosts *t);
struct host *hosts_find(struct hosts *t, const char *key);
int hosts_get(struct hosts *t, const char *key, unsigned delay_ms, unsigned connections,
	      struct host **ret_host);
bool host_ready(const struct host *h, int64_t now_ms, int64_t *ret_wait_ms);
void host_started(struct host *h, int64_t now_ms, unsigned crawl_delay_cap_ms);
void host_finished(struct host *h, int64_t now_ms, unsigned crawl_delay_cap_ms);
void host_back_off(struct host *h, int64_t now_ms, long retry_after_s);
void host_answered(struct host *h);

/* --- the crawl's shared state: crawl.c (scheduler), work.c (workers, writer) --- */

struct venue;
struct venue_registry;
struct crawler_settings;
struct rules_set;
struct store;

enum job_kind {
	JOB_PAGE,    /* a 2xx response: workers parse and match it, the writer stores it */
	JOB_DONE,    /* a URL is finished without content (error, redirect, robots, 304) */
	JOB_REQUEUE, /* a URL goes back to its queue (429, 503) */
	JOB_ROBOTS,  /* a robots.txt answer to cache */
	JOB_PUSH,    /* URLs to queue (sitemaps) */
};

/* A rule set in use by the crawl, counted (reload.c). */
struct crawl_rules {
	const struct rules_set *ro; /* what matchers and the writer read */
	struct rules_set *owned;    /* the same when a reload loaded it, else NULL (the caller's) */
	size_t refs;                /* rules_now, worker matchers, jobs with hits */
	struct crawl_rules *next;   /* every set not yet freed */
};

struct job_hit {
	size_t rule;
	const char *field; /* static (rules_hit's): "title", "body", "post", "author", ... */
	int64_t post;	   /* the post's index for "post" and "author", else -1 */
	char *match;
	char *snippet;
	size_t start, end;	/* the earliest span, bytes into the field's text */
	char *author, *time;	/* the post's, when the hit is in one; else NULL */
	/* Every pattern that matched (at most STORE_HIT_MAX_SPANS); names borrowed from the job's
	 * rules, fields static. */
	struct store_hit_span *spans;
	size_t nspans;
};

/* The venue of a job whose URL was queued for a venue no longer in the registry. */
#define CRAWL_NO_VENUE SIZE_MAX

struct job {
	enum job_kind kind;
	size_t venue;              /* index in the registry, or CRAWL_NO_VENUE */
	char *url, *host;
	uint32_t depth;
	uint8_t priority, hops;
	enum crawl_outcome outcome;
	long status;
	char *detail;
	int64_t at;                /* epoch seconds of the fetch */
	/* the response (JOB_PAGE, JOB_ROBOTS) */
	char *content_type, *etag, *last_modified, *x_robots_tag;
	char *body;
	size_t len;
	char *head;                /* the raw status line and headers (JOB_PAGE), head_len bytes */
	size_t head_len;
	bool old_digest_known;     /* the last visit's digest, to skip re-matching */
	uint8_t old_digest[32];
	/* what the worker found */
	uint8_t digest[32];
	bool unchanged;
	bool matched;              /* every rule ran over the page: hits missing from it are gone */
	/* Pages with hits: head and body as a bodies value (store_evidence_pack), made by the
	 * worker so the writer only stores it; NULL otherwise. */
	void *evidence;
	size_t evidence_len;
	uint8_t evidence_digest[32];
	char *title, *charset;
	char *canonical;           /* <link rel=canonical>, resolved; "" when none */
	struct buf links;          /* canonical URLs to queue, each NUL-terminated */
	uint8_t links_priority;
	uint64_t off_site, traps;
	uint64_t rule_errors; /* rules that failed on this page's fields (crawl_stats) */
	struct job_hit *hits;
	size_t nhits;
	struct crawl_rules *rules; /* the set the hits' rule indexes are in (a reference) */
};

void job_free(struct job *j);

struct crawl_venue {
	const struct venue *v;
	struct crawl_stats stats;  /* the writer's */
	uint64_t started;          /* the scheduler's: fetches started this run */
	int64_t wait_ms;           /* the scheduler's: crawl_stats.politeness_wait_ms */
};

#define CRAWL_PUSHED_KEY 16 /* bytes of a link's SHA-256 the writer remembers */

struct crawl {
	/* Set before the threads start; read-only after. */
	const struct crawl_opts *o;
	const struct venue_registry *reg;
	const struct crawler_settings *set;
	struct store *store;
	uint64_t gen;
	struct doc_limits doc_limits;
	struct crawl_venue *venues; /* one per registry venue, in registry order */
	size_t nvenues;
	struct queue work;   /* scheduler → workers */
	struct queue write;  /* scheduler, workers → writer */
	struct fetch *fetch; /* the scheduler's; the writer only calls fetch_wakeup */
	/* Shared. */
	_Atomic uint64_t jobs_open;  /* jobs made and not yet committed */
	_Atomic uint64_t in_flight;  /* for progress events: transfers running */
	_Atomic uint64_t queued;     /* for progress events: URLs in the frontier */
	uint64_t done, hits, errors; /* the writer's: for progress events */
	uint64_t orphaned;           /* the writer's: URLs dropped for want of their venue */
	uint8_t (*pushed)[CRAWL_PUSHED_KEY]; /* the writer's: links it pushed (work.c) */
	_Atomic long map_floor;      /* what crawl__trim_map counts its budget from */
	_Atomic long map_after;      /* file-backed RSS right after the last store_trim */
	int statm_fd;                /* /proc/self/statm, open for the crawl; -1: none */
	_Atomic uint64_t commits;    /* batches the writer committed: the frontier changed */
	_Atomic int fatal;           /* the first fatal error; its text in err, written once */
	pthread_mutex_t rules_lock;  /* reload.c: the rule sets, their counts, rules_now */
	struct crawl_rules *rules_now, *rules_list;
	_Atomic uint64_t rules_gen;  /* bumped when rules_now changes */
	uint64_t rules_fp;           /* the writer's: the rule files as last seen */
	int64_t rules_checked_ms;
	pthread_mutex_t err_lock;
	char *err;
	size_t errlen;
	pthread_mutex_t event_lock;  /* on_event is called by one thread at a time */
	/* The scheduler's. */
	struct hosts hosts;
	int64_t start_ms;
	uint64_t fetches;
	bool drained;        /* the frontier ran dry: not stopped, not cut short */
	char *seed_url;      /* the first seed: its failure explains an empty crawl */
	int seed_fail;
	char seed_why[256];
};

/* Records the first fatal error: the crawl stops soon after. */
void crawl__fail(struct crawl *c, int rc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
size_t crawl__venue_index(const struct crawl *c, const struct venue *v);
void crawl__event(struct crawl *c, const struct job *j, size_t hits);

void *crawl__worker_main(void *arg);
/* A fetched page (JOB_PAGE: url, venue, depth, body, len, content_type, x_robots_tag, old digest)
 * as a worker handles it: digest, parse with the venue's profiles, links, and matching with m
 * into j->hits. Reads c->set, c->doc_limits and c->venues only, so rematch.c runs stored
 * responses through the same path. ERR_REGEX: a rule failed on the page (the hits stand). */
struct rules_matcher;
int crawl__work_page(struct crawl *c, struct rules_matcher *m, struct job *j);
/* The store record of j's hit i, as the writer stores it: rule from set (the one that matched),
 * venue v, evidence j->evidence_digest when j->evidence is set. Strings borrowed from j, set, v. */
void crawl__hit_record(const struct job *j, size_t i, const struct rules_set *set,
		       const struct venue *v, struct store_hit *ret);
void *crawl__writer_main(void *arg);
/* Drops the store's map from RSS once it has grown past a budget (work.c says why and what it
 * costs). Cheap enough to call after every few store reads; the writer and the scheduler do, since
 * one read through the map can map up to a megabyte. Any thread; two at once only trim twice. */
void crawl__trim_map(struct crawl *c);

#define WORK_LINKS_MAX (8u << 20) /* bytes of links one page may queue */

bool crawl__is_html(const char *content_type);
/* Whether url is inside venue v's scope. A scope check that could not run (a regex out of
 * memory) is -ENOMEM, never "out of scope". */
int crawl__in_scope(const struct venue *v, const char *url, bool *ret_in);
/* The politeness and robots.txt key of a URL: its origin, "scheme://host[:port]". */
int crawl__host_key(const char *url, char **ret_key);

/* reload.c */
int crawl__rules_init(struct crawl *c, const struct rules_set *rules);
void crawl__rules_done(struct crawl *c);
/* The current set, counted for the caller, who gives it back with crawl__rules_put. */
struct crawl_rules *crawl__rules_get(struct crawl *c);
void crawl__rules_put(struct crawl *c, struct crawl_rules *r);
/* r, counted once more. */
struct crawl_rules *crawl__rules_ref(struct crawl *c, struct crawl_rules *r);
int crawl__rules_fingerprint(const struct crawl *c, uint64_t *ret);
/* The writer, between batches: reloads the rule files when they changed (crawl_opts). */
void crawl__rules_check(struct crawl *c);

#endif
