/* SPDX-License-Identifier: MIT */
/* The store: one LMDB environment in a directory, holding pages and hits (DESIGN.md §7;
 * docs/storage.md gives every key and value layout).
 *
 * One writer at a time (LMDB's rule): a write transaction batches many pages and hits and
 * commits them together, so a crash loses at most the open batch. Readers run beside the writer.
 * Records handed to callbacks are borrowed and valid only during the callback; nothing returned
 * by this module points into LMDB's map after a transaction ends.
 * A store handle may be used from several threads, but a store_txn only from the thread that
 * began it. A second store_write_begin waits until the open write transaction ends, so a thread
 * must not begin one while it holds one. Open a directory at most once per process (LMDB's rule:
 * closing a second handle would drop the first one's locks); close only when no transaction or
 * walk is running.
 */
#ifndef PATROL_INDEX_STORE_H
#define PATROL_INDEX_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define STORE_SCHEMA_VERSION 5

struct store;
struct store_txn;

/* Opens (creating dir and the databases when needed) the store in dir. On failure a one-line
 * reason naming dir is written to err. Errors: -errno (dir not creatable or writable), ERR_SCHEMA
 * (written by a newer patrol), ERR_STORE. Missing components of dir are created (mode 0777 less
 * umask; dir itself 0700). A store of an older schema is migrated in the same transaction.
 * Waits while another process holds the write lock. */
int store_open(const char *dir, struct store **ret_store, char *err, size_t errlen);
/* NULL does nothing. */
void store_close(struct store *s);

int store_write_begin(struct store *s, struct store_txn **ret_txn);
/* Commits and frees the transaction, whatever the outcome. Commits are synced to disk.
 * After any failed put in a transaction, abort it: its commit would fail. */
int store_write_commit(struct store_txn *txn);
/* Commits without waiting for the disk: a crash of the process loses nothing, a crash of the
 * system may undo this commit (never corrupt the store); the next store_write_commit syncs it.
 * For frequent bookkeeping that can be redone, like taking URLs from the frontier. */
int store_write_commit_lazy(struct store_txn *txn);
/* Syncs every commit so far to disk, as store_write_commit does; for a writer that commits
 * lazily and syncs on a timer (group commit). No transaction needed. */
int store_sync(struct store *s);
/* Aborts and frees; NULL does nothing. */
void store_write_abort(struct store_txn *txn);

struct store_page {
	const char *url;          /* canonical URL: the key (hashed) */
	const char *venue;        /* venue id */
	int64_t fetched_at;       /* epoch seconds */
	int status;               /* HTTP status */
	const char *content_type; /* "" when none */
	const char *title;        /* "" when none */
	const char *charset;      /* encoding used to decode, "" when not decoded */
	uint64_t bytes;           /* body bytes as received */
	uint8_t body_digest[32];  /* SHA-256 of the body */
	/* <link rel=canonical> as the page gave it, resolved; "" when none. Recorded only: the
	 * crawler does not fetch it. Pages stored before schema 3 read as "". */
	const char *canonical;
};

/* Inserts or replaces the page with this URL. NULL strings other than url are stored as "".
 * Errors of this and store_hit_put: ERR_USAGE (a NULL key field), ERR_TOO_BIG (a record over
 * 16 MiB, or a transaction too big for LMDB), -ENOSPC (the map is full: abort, store_grow and
 * redo the transaction), ERR_STORE, -errno. */
int store_page_put(struct store_txn *txn, const struct store_page *page);

/* One pattern of a hit's rule that matched: where, in the field's original text (bytes). */
struct store_hit_span {
	const char *pattern; /* the pattern's name in the rule */
	const char *field;   /* the field instance it matched in: the hit's own, or `p in F`'s */
	int64_t post;	     /* that instance's post index, -1 when not a post */
	uint64_t start, end;
	/* What the page said there: the span's original text, cut (at a character boundary) to
	 * STORE_SPAN_TEXT_MAX bytes; "" in hits stored before hit record version 4. */
	const char *text;
};

#define STORE_HIT_MAX_SPANS 256
#define STORE_SPAN_TEXT_MAX 200

struct store_hit {
	uint64_t id;          /* assigned by store_hit_put, from 1 up; ignored on input */
	const char *rule;     /* rule id */
	const char *pack;     /* pack name */
	const char *category;
	const char *severity;
	const char *venue;
	const char *url;      /* canonical page URL */
	const char *field;    /* title, body, post, ... */
	int64_t post;         /* post index within the page, -1 when not in a post */
	const char *match;    /* the matched text as the page had it */
	const char *snippet;
	const char *status;   /* new, confirmed, dismissed, escalated, gone; "new" on insert */
	int64_t first_seen, last_seen; /* epoch seconds; both set from seen_at on insert */
	uint64_t count;       /* crawls that saw this hit */
	/* Schema 4. SHA-256 of the raw response the hit was first found in (its key in bodies,
	 * store_evidence_get); all zeros when none was kept (hits stored before schema 4). */
	uint8_t evidence[32];
	const char *pack_version; /* the rule's version: its pack's, "" when the pack has none */
	const char *pack_digest;  /* SHA-256 of the pack file, hex; "" when unknown */
	/* When the hit was found missing from its re-fetched page (status "gone"), epoch seconds;
	 * 0 while it is on the page. A dismissed hit keeps "dismissed" but gets gone_at too. */
	int64_t gone_at;
	const char *prior_status; /* status before "gone", restored if the hit comes back; else "" */
	/* Hit record version 3; zero and "" for hits stored before. Bytes into the field's original
	 * text where the earliest span starts and ends; the post's author and time as the page
	 * showed them ("" when the hit is not in a post or the page did not say); every pattern
	 * that matched (at most STORE_HIT_MAX_SPANS). */
	uint64_t start, end;
	const char *post_author, *post_time;
	const struct store_hit_span *spans;
	size_t nspans;
};

/* Records that hit was seen at seen_at. The hit's identity is rule + url + match: when a hit with
 * that identity exists, only its last_seen and count change (and a hit that was gone comes back:
 * its status before going, gone_at 0) and *ret_new is false; otherwise a new hit is stored with
 * the next id, status "new", and the page->hits index (page_hits) gets it. ret_id and ret_new may
 * be NULL. rule, url and match must not be NULL; other NULL strings are stored as "". hit->id,
 * status, first_seen, last_seen, count, gone_at and prior_status are ignored on input. */
int store_hit_put(struct store_txn *txn, const struct store_hit *hit, int64_t seen_at,
		  uint64_t *ret_id, bool *ret_new);

/* The hit lifecycle of one page, through page_hits (docs/storage.md, "Hit lifecycle").
 * A re-fetch of url whose body did not change: every hit of the page that is not gone gets
 * last_seen = seen_at and count + 1, as store_hit_put would give it. *ret_n (may be NULL): how
 * many. */
int store_page_hits_refresh(struct store_txn *txn, const char *url, int64_t seen_at,
			    uint64_t *ret_n);
/* url was re-fetched and matched in full, and its hits are the ids in kept (n of them, any
 * order, as store_hit_put returned them for this fetch; kept may be NULL when n is 0). Every other
 * hit of the page that is not gone yet goes: status "gone" (its status kept in prior_status),
 * gone_at = now; a dismissed one stays dismissed and only gets gone_at. *ret_gone may be NULL.
 * Also for a page that answers 404 or 410 (n = 0: taken down). */
int store_page_hits_sweep(struct store_txn *txn, const char *url, const uint64_t *kept, size_t n,
			  int64_t now, uint64_t *ret_gone);

/* ---- Evidence: raw responses in bodies (evidence.c) ----
 *
 * A page that produced hits keeps its response as received: the status line and headers as the
 * server sent them, then the body after transfer and content decoding (what the rules saw the
 * text of). Stored zstd-compressed under the SHA-256 of those raw bytes, once however many hits
 * name it. */

#define STORE_EVIDENCE_MAX ((size_t)256 << 20) /* raw bytes of one response kept at most */

/* Compresses the raw response, head[0..head_len) then body[0..body_len), as a bodies value:
 * *ret_packed (malloc'd, *ret_len bytes, freed by the caller) and the SHA-256 of the raw bytes.
 * No transaction: any thread, so the crawl's workers compress and the writer only stores.
 * Errors: ERR_TOO_BIG (more than STORE_EVIDENCE_MAX bytes), -ENOMEM. */
int store_evidence_pack(const void *head, size_t head_len, const void *body, size_t body_len,
			void **ret_packed, size_t *ret_len, uint8_t ret_digest[32]);
/* Stores a value store_evidence_pack made under digest; a digest stored already is left as it
 * is (stored once). ERR_USAGE for a value that is not one. */
int store_evidence_put(struct store_txn *txn, const uint8_t digest[32], const void *packed,
		       size_t len);
/* The raw bytes stored under digest, decompressed and checked against it: a malloc'd copy of
 * *ret_len bytes plus a NUL, freed by the caller. ERR_NOT_FOUND when none; ERR_STORE when the
 * stored value does not decompress or its bytes no longer have that digest. */
int store_evidence_get(struct store *s, const uint8_t digest[32], char **ret_data,
		       size_t *ret_len);

/* What store_verify found wrong with one entry. */
enum store_verify_problem {
	STORE_VERIFY_MISMATCH, /* bodies: the bytes decompress, but their SHA-256 is another */
	STORE_VERIFY_CORRUPT,  /* bodies: the value does not decompress or is malformed */
	STORE_VERIFY_MISSING,  /* hits: the hit names evidence that bodies lacks (id set) */
};
typedef int (*store_verify_fn)(enum store_verify_problem what, const uint8_t digest[32],
			       uint64_t hit_id, void *ud);
/* Recomputes the digest of every stored response and checks that every hit's evidence is
 * there; fn is called for each problem (a non-zero return stops and is returned). Reads in
 * short read transactions (a few entries each), so it runs beside a crawl. *ret_bodies and
 * *ret_hits (may be NULL): how many were checked. */
int store_verify(struct store *s, store_verify_fn fn, void *ud, uint64_t *ret_bodies,
		 uint64_t *ret_hits);

/* Doubles the store's map (LMDB's MDB_MAP_FULL is -ENOSPC from every write call): call it with
 * no transaction open in this thread, then redo the aborted transaction. store_write_begin also
 * grows the map by itself once it is three quarters full. */
int store_grow(struct store *s);

/* Callbacks return 0 to go on; any other value stops the walk and is returned.
 * The record's strings are a decoded copy, valid only during the callback; the callback runs
 * inside the walk's read transaction, so a slow one keeps old pages of the map from being reused.
 * A corrupt record stops the walk with ERR_STORE. */
typedef int (*store_hit_fn)(const struct store_hit *hit, void *ud);
typedef int (*store_page_fn)(const struct store_page *page, void *ud);

/* The hit with this id, handed to fn inside a read transaction of its own (the same rules as a
 * walk's callback). ERR_NOT_FOUND when there is none. */
int store_hit_get(struct store *s, uint64_t id, store_hit_fn fn, void *ud);
/* Every hit in id order, in one read transaction. */
int store_hits_each(struct store *s, store_hit_fn fn, void *ud);
/* Every page in key order (by URL hash, not URL), in one read transaction. */
int store_pages_each(struct store *s, store_page_fn fn, void *ud);
/* The page stored for url, handed to fn inside a read transaction of its own (the same rules as
 * a walk's callback). Returns fn's return, or ERR_NOT_FOUND when no page has that URL. */
int store_page_get(struct store *s, const char *url, store_page_fn fn, void *ud);

struct store_stats {
	uint64_t pages;
	uint64_t hits;
};
int store_stats_get(struct store *s, struct store_stats *ret_stats);

/* ---- The crawl frontier, fetch state per URL and robots.txt per host (schema 2) ----
 *
 * All of it lives in LMDB (docs/storage.md, "The frontier"); memory does not grow with the
 * frontier: a caller holds only the items it took. Committed state survives kill -9.
 *
 * Threads: one thread (the crawler's writer/scheduler) owns writes. Every call that changes the
 * frontier, fetch state or robots cache takes that thread's write transaction (store_txn) and
 * begins none of its own, so the writer never waits on itself. The read calls (_hosts, _count,
 * _get) open their own short read transaction: they may run on any thread, also while another
 * thread holds the write transaction, and see the last committed state, never an open batch
 * (not even the calling thread's own).
 *
 * A write transaction keeps every page it changed in memory until it ends: commit in batches
 * (hundreds to thousands of calls), not once per crawl.
 *
 * Errors of the write calls: ERR_USAGE (NULL or empty url or host, a generation that is not the
 * current crawl's), ERR_TOO_BIG (a string over its cap below), -ENOSPC (the map is full), ERR_STORE (a
 * corrupt record, or databases that disagree), -ENOMEM. ERR_NOT_FOUND from take, finish and
 * requeue changes nothing and the transaction stays usable; after any other error abort it.
 */

#define STORE_URL_MAX	 8192	      /* bytes of a URL, without the NUL */
#define STORE_HOST_MAX	 300	      /* bytes of a host queue key ("host:port") */
#define STORE_ROBOTS_MAX (512 * 1024) /* bytes of a robots.txt body kept; the rest is dropped */

/* Priorities: lower is taken first. Schema 2 had seeds and sitemap URLs at 0, redirect targets
 * at 1 and links at 2; entries it queued keep their byte (docs/storage.md). */
enum {
	STORE_PRIO_SEED = 0,	       /* seeds */
	STORE_PRIO_SITEMAP_RECENT = 1, /* sitemap URLs the sitemap says changed lately */
	STORE_PRIO_SITEMAP = 2,	       /* other sitemap URLs */
	STORE_PRIO_REDIRECT = 3,       /* redirect targets */
	STORE_PRIO_LINK = 4,	       /* links found on pages */
};

/* Starts or resumes a crawl of the store. When the last crawl did not end (store_crawl_end) and
 * URLs are queued or leased, it is a resume: the generation stays, and every lease returns to its queue at the place it was
 * taken from, as a crash would have left it. Otherwise a new generation begins (the previous
 * one + 1, from 1 up; now, epoch ms, is recorded as its start). A URL is "seen in this crawl"
 * when its seen record carries the current generation, so a new generation re-admits every URL
 * without touching them. ret_gen and ret_resumed may be NULL. */
int store_crawl_begin(struct store_txn *txn, int64_t now, uint64_t *ret_gen, bool *ret_resumed);
/* Marks the crawl begun last as finished: the next store_crawl_begin starts a new generation
 * even if URLs are still queued (say, of hosts whose robots.txt could not be fetched: they stay
 * queued and are fetched in the new generation). A crawl that never gets here (killed, stopped,
 * cut short by a page limit) is resumed by the next store_crawl_begin. */
int store_crawl_end(struct store_txn *txn);

/* Takes the store's crawl lock, so that two crawls never run on one store at once: an flock(2)
 * on DIR/crawl.lock, which then holds this process's pid. Readers (walks, counts) are not
 * affected. It never waits: when another process, or another crawl of this process, holds it,
 * -EBUSY with "another patrol crawl is using DIR (pid N)" in err. The lock is held until
 * store_crawl_unlock or store_close; the kernel drops it when the process dies, however it
 * dies. Other errors: -errno (the lock file cannot be opened), with the reason in err. */
int store_crawl_lock(struct store *s, char *err, size_t errlen);
/* Drops the lock store_crawl_lock took; does nothing when it holds none. */
void store_crawl_unlock(struct store *s);

/* Drops this process's mappings of the store's file, so that pages LMDB has read stop counting in
 * the process's resident memory (RSS): LMDB reads through a shared map, and a page read once stays
 * mapped, so without this RSS follows the size of the store. The pages stay in the kernel's page
 * cache; the next access maps them again, at the cost of a page fault (docs/storage.md, Memory).
 * Safe at any moment, from any thread, while other threads read, walk or hold a write
 * transaction: the map is never written through (no MDB_WRITEMAP), so what it maps is only ever
 * a clean copy of the file. Not while store_close runs. -ENOTSUP when the map could not be found
 * at store_open (no /proc), -errno from madvise(2); nothing changes then. */
int store_trim(struct store *s);

struct store_frontier_entry {
	const char *url;   /* canonical URL: its identity */
	const char *host;  /* queue key: "host:port" as the caller forms it */
	const char *venue; /* venue id; NULL is stored as "" */
	uint32_t depth;
	uint8_t priority; /* STORE_PRIO_*: 0 first; any value 0-255 works */
	uint8_t hops;	  /* redirects followed to reach it: the crawler caps the chain */
	int64_t due;	  /* earliest fetch time, epoch ms; 0 = now */
	/* A trap guard, 0 for none: when url has a query ('?'), at most this many URLs that share
	 * everything before the '?' (scheme, host, port, path) are queued per generation. The
	 * count lives in the store with the frontier, so a resumed crawl goes on counting. */
	uint32_t max_query_variants;
};

/* What store_frontier_push did. */
enum store_push {
	STORE_PUSH_SEEN,  /* seen in this generation already: nothing changed */
	STORE_PUSH_ADDED, /* queued (or, still queued from an older generation, admitted there) */
	STORE_PUSH_TRAP,  /* not seen yet, but its path has max_query_variants queries already:
			   * nothing changed, so a later push of it is refused the same way */
};

/* Queues e->url on e->host's queue when it was never seen or last seen in an older generation,
 * and when e->max_query_variants lets it in; a URL with a query that gets in counts towards
 * its path's limit. gen must be the generation store_crawl_begin gave (ERR_USAGE otherwise).
 * A queue is ordered by priority, then due, then insertion: FIFO within one priority and due,
 * so links are crawled breadth-first. The URL's fetch state, if any, is kept. ret may be
 * NULL. */
int store_frontier_push(struct store_txn *txn, uint64_t gen, const struct store_frontier_entry *e,
			enum store_push *ret);

/* Calls fn for each host with queued URLs (leased ones do not count), in byte order of the host,
 * with its number of queued URLs, in one read transaction. host is borrowed for the call; fn
 * returns 0 to go on, anything else stops the walk and is returned. */
int store_frontier_hosts(struct store *s, int (*fn)(const char *host, uint64_t queued, void *ud),
			 void *ud);

/* What store_frontier_take hands over. The strings are malloc'd and owned by the item until
 * store_frontier_item_done. */
struct store_frontier_item {
	char *url;
	char *venue;
	uint32_t depth;
	uint8_t priority;
	uint8_t hops;
	int64_t due; /* as queued: the item may be taken before it is due; wait until then */
};

/* Removes the first URL of host's queue (see store_frontier_push for the order) and records a
 * lease on it, which store_frontier_finish or store_frontier_requeue ends. The head is taken
 * even when it is not due yet: ret->due says when to fetch. ERR_NOT_FOUND when the queue is
 * empty (ret untouched). */
int store_frontier_take(struct store_txn *txn, const char *host, struct store_frontier_item *ret);
/* Frees the strings and clears the item; an item cleared before (or zeroed) is fine. */
void store_frontier_item_done(struct store_frontier_item *item);

/* Ends the lease on url: it was fetched, whatever the outcome, and stays seen in this crawl.
 * ERR_NOT_FOUND when url holds no lease. */
int store_frontier_finish(struct store_txn *txn, const char *url);
/* Ends the lease on e->url and queues it again with e's host, priority and due time (a retry
 * after 429 or 503), although it was seen. ERR_NOT_FOUND when e->url holds no lease. */
int store_frontier_requeue(struct store_txn *txn, const struct store_frontier_entry *e);

/* URLs queued and URLs leased, as of the last commit. Either pointer may be NULL. */
int store_frontier_count(struct store *s, uint64_t *ret_queued, uint64_t *ret_leased);

/* What the last fetch of a URL gave: for conditional requests and to skip unchanged content. */
struct store_fetch_state {
	int64_t fetched_at;	/* epoch ms */
	int status;		/* HTTP status */
	char etag[256];		/* "" when none; NUL-terminated within the array */
	char last_modified[64]; /* "" when none; NUL-terminated within the array */
	uint8_t digest[32];	/* SHA-256 of the body, when has_digest */
	bool has_digest;
	int64_t next_visit; /* epoch ms; 0 = not planned */
	uint64_t gen;	    /* the generation the URL was last seen in; ignored by _put */
};

/* The fetch state of url, in a read transaction of its own. ERR_NOT_FOUND when url was never
 * fetched (pushed but not fetched yet counts as never). */
int store_fetch_state_get(struct store *s, const char *url, struct store_fetch_state *ret);
/* Replaces the fetch state of url. The seen marking is the frontier's: st->gen is ignored and the
 * URL's generation and queue state stay; a URL put without ever being pushed is marked seen in
 * the current generation (it was fetched in this crawl). An etag or last_modified that fills its
 * array without a NUL is ERR_USAGE. */
int store_fetch_state_put(struct store_txn *txn, const char *url,
			  const struct store_fetch_state *st);

/* Caches host's robots.txt response (host as the caller forms it: "host:port"), replacing the one
 * before. Bytes past STORE_ROBOTS_MAX are dropped (RFC 9309 §2.5 asks parsers for 500 KiB).
 * body may be NULL when len is 0. */
int store_robots_put(struct store_txn *txn, const char *host, int64_t fetched_at, int http_status,
		     const char *body, size_t len);
/* The cached response, in a read transaction of its own. *ret_body is a malloc'd copy of len
 * bytes plus a NUL after them (the body itself may hold NULs), freed by the caller with free().
 * ERR_NOT_FOUND when nothing is cached for host. Pointers may be NULL, except ret_len when
 * ret_body is given. */
int store_robots_get(struct store *s, const char *host, int64_t *ret_fetched_at, int *ret_status,
		     char **ret_body, size_t *ret_len);

/* ---- Runs: one record per crawl or scheduled run (runs.c; docs/storage.md, "Runs") ----
 *
 * Written once, when a `patrol crawl` or `patrol run` ends (a run killed with -9 leaves none;
 * its venues stay due). Each venue's summary is the JSON object the command printed (DESIGN.md
 * §4), kept as text so the store needs no knowledge of crawl outcomes. A venue's last complete
 * crawl (not stopped, not failed) is indexed apart, for the scheduler. */

#define STORE_RUN_MAX_VENUES 10000     /* venues in one record */
#define STORE_RUN_SUMMARY_MAX (64 << 10) /* bytes of one venue's summary */

struct store_run_venue {
	const char *venue;   /* id */
	bool complete;	     /* crawled to the end (not stopped, not cut short by an error) */
	const char *summary; /* a JSON object, "{...}" */
};

struct store_run {
	uint64_t id;	  /* 1, 2, ...: set by store_run_put */
	const char *kind; /* "crawl" or "run" */
	int64_t started, ended; /* epoch seconds */
	int status;		/* the command's exit status */
	const char *shard;	/* "K/N", "" when none */
	const struct store_run_venue *venues;
	size_t nvenues;
};

/* Appends run as the next id (*ret_id, may be NULL) in a write transaction of its own (the
 * map is grown and the write redone when full); for each complete venue the index of its last
 * complete crawl moves to run->started. Errors: ERR_USAGE (no kind, a NULL or empty venue id,
 * over STORE_RUN_MAX_VENUES venues, a summary over STORE_RUN_SUMMARY_MAX), ERR_STORE, -errno. */
int store_run_put(struct store *s, const struct store_run *run, uint64_t *ret_id);
typedef int (*store_run_fn)(const struct store_run *run, void *ud);
/* The last limit runs (at most 1000), newest first, in one read transaction; the record is
 * valid only during the call; a non-zero return of fn stops and is returned. */
int store_runs_last(struct store *s, size_t limit, store_run_fn fn, void *ud);
/* When venue's last complete crawl started (*ret_started, epoch seconds) and its run id
 * (*ret_id; either may be NULL). ERR_NOT_FOUND when it never had one. */
int store_run_venue_last(struct store *s, const char *venue, int64_t *ret_started,
			 uint64_t *ret_id);

/* Revisits (frontier.c; docs/storage.md, "Revisits"). Each fetched URL's seen record keeps an
 * interval between visits, adapted once per generation: the minimum after its first fetch,
 * halved (down to the minimum) when its body changed, doubled (up to the maximum) when it did
 * not or the server answered 304 or an error. Its fetch state's next_visit, in the unit of its
 * fetched_at (epoch seconds, as the crawler records it), is fetched_at + interval (after a 304,
 * the crawl's start + interval). */
#define STORE_REVISIT_MIN_S 3600		/* an hour */
#define STORE_REVISIT_MAX_S (30 * 86400)	/* thirty days */
/* Sets the revisit gate of the current crawl (call after store_crawl_begin, in its transaction):
 * from then on store_frontier_push leaves out (STORE_PUSH_SEEN) a URL fetched in an earlier
 * generation whose next_visit is later than at, except seeds and recent sitemap URLs (priority
 * STORE_PRIO_SITEMAP_RECENT and below), which are always due: board and thread lists change
 * often, so their interval stays short, while old threads wait. at 0 turns the gate off
 * (patrol crawl fetches everything again). */
int store_frontier_revisit(struct store_txn *txn, int64_t at);

/* ---- Review: listing by status, status changes, the audit chain (review.c, audit.c) ----
 *
 * docs/review.md. Owned by the review commands; hits_by_status and audit are kept by the store
 * itself: every hit written goes into the status index, every status change into the audit. */

#define STORE_STATUS_MAX 32 /* bytes of a hit status ("new", "confirmed", ...) */
#define STORE_NOTE_MAX	 4096 /* bytes of a review note or actor name */

enum store_hit_order {
	STORE_ORDER_NEWEST,   /* first_seen, latest first (ties: highest id first) */
	STORE_ORDER_OLDEST,   /* first_seen, earliest first */
	STORE_ORDER_SEVERITY, /* critical, high, medium, low, info, then any other; newest first */
};

/* Which hits store_hits_query hands over. NULL strings match anything; since and until bound
 * first_seen (epoch seconds, inclusive). store_hit_query_init sets "everything, newest first". */
struct store_hit_query {
	const char *status, *venue, *rule, *category, *severity;
	int64_t since, until;
	enum store_hit_order order;
	uint64_t limit; /* at most this many; 0 for all */
	uint64_t id;	/* only the hit with this id (one lookup); 0 for any */
	uint64_t min_id; /* without a status: start the walk at this id (a resumed walk); 0 for all */
};
void store_hit_query_init(struct store_hit_query *q);

/* Calls fn for each hit q selects, in q's order. With a status the walk is a range of
 * hits_by_status (time-bounded by since/until), otherwise of hits by id. Reads in short read
 * transactions of a few hundred records each, resuming after the last key, so it runs beside a
 * crawl and a walk over any number of hits holds constant memory; a hit changed meanwhile may be
 * seen as it was or as it is. fn's record is valid only during the call (as for a walk); a
 * non-zero return stops and is returned. Errors: ERR_STORE (a corrupt record), -errno. */
int store_hits_query(struct store *s, const struct store_hit_query *q, store_hit_fn fn, void *ud);

/* The hits q selects (its order is ignored), grouped by page: every selected hit of one page
 * one after the other, pages in the order of their URL's SHA-256 (page_hits), hits of a page by
 * id. Read like store_hits_query: chunks of short read transactions, constant memory. */
int store_hits_by_page(struct store *s, const struct store_hit_query *q, store_hit_fn fn,
		       void *ud);

/* ---- WARC/1.1 records, for exports (warc.c) ---- */

#define STORE_WARC_DIGEST_LEN (7 + 56) /* "sha256:" and RFC 4648 base32 */
#define STORE_WARC_ID_LEN     (11 + 36 + 1) /* "<urn:uuid:" UUID ">" */

/* Where records go: returns 0, or a negative code that stops the writing. */
typedef int (*store_write_fn)(const void *data, size_t len, void *ud);

struct store_warc_rec {
	const char *type;	  /* warcinfo, request, response, metadata */
	const char *id;		  /* WARC-Record-ID, from store_warc_id */
	int64_t date;		  /* WARC-Date, epoch seconds */
	const char *target_uri;	  /* NULL for none */
	const char *warcinfo_id;  /* NULL for none */
	const char *refers_to;	  /* WARC-Concurrent-To and WARC-Refers-To; NULL for none */
	const char *extra;	  /* one more header line, "Name: value" without CRLF; or NULL */
	const char *content_type; /* e.g. "application/http;msgtype=response" */
	const void *block;
	size_t block_len;
	/* Where the payload starts in block (after the HTTP header block), for
	 * WARC-Payload-Digest; SIZE_MAX for a record without one. */
	size_t payload_off;
};

/* Writes one record through out: headers (with WARC-Block-Digest, and WARC-Payload-Digest when
 * payload_off is inside the block), the block, CRLF CRLF. ERR_USAGE for a header value with a CR
 * or LF (a hostile URL must not add headers) or a missing type, id or content type;
 * ERR_TOO_BIG when the headers pass 16 KiB; out's errors. */
int store_warc_record(store_write_fn out, void *ud, const struct store_warc_rec *r);
/* "sha256:" and the base32 of the SHA-256 of data. */
void store_warc_digest(const void *data, size_t len, char out[STORE_WARC_DIGEST_LEN + 1]);
/* A record id derived from seed[0..n): "<urn:uuid:...>" (a version 8 UUID from its SHA-256). */
void store_warc_id(const char *seed, size_t n, char out[STORE_WARC_ID_LEN + 1]);

/* What store_purge removes, and then what it removed. */
struct store_purge {
	int64_t cutoff;	    /* hits last seen, and pages fetched, before this (epoch seconds) */
	const char *status; /* only hits with this status; NULL for new, dismissed and gone */
	uint64_t hits, bodies, pages; /* set: what was removed */
};
/* Removes the hits last seen before p->cutoff whose status p->status allows, except confirmed
 * and escalated ones, which are never removed (with their keys in hit_keys, page_hits and
 * hits_by_status); then every stored response only removed hits named; then the pages fetched
 * before the cutoff that no remaining hit is on. The audit chain is left whole. Works in write
 * transactions of a few thousand deletions (never one huge one) and bounded memory, so a purge
 * cut short leaves a consistent store and running it again finishes the job. */
int store_purge(struct store *s, struct store_purge *p);

/* The statuses an analyst sets. */
bool store_review_status_valid(const char *status);

/* Sets hit id's status (new, confirmed, dismissed or escalated: ERR_USAGE for any other) in txn,
 * keeps hits_by_status in step and appends an audit entry (action "review", before, after, note)
 * in the same transaction, so the change and its record commit together. Setting the status a
 * hit has already changes nothing unless a note is given (then the entry records the note).
 * actor must be a non-empty string; actor and note (may be NULL) are at most STORE_NOTE_MAX
 * bytes (ERR_TOO_BIG). ERR_NOT_FOUND when there is no such hit. *ret_before (may be NULL)
 * receives the status before, up to STORE_STATUS_MAX bytes and a NUL. */
int store_review_set(struct store_txn *txn, uint64_t id, const char *status, const char *actor,
		     const char *note, int64_t now, char ret_before[STORE_STATUS_MAX + 1]);

/* One entry of the audit chain (docs/review.md). hash is computed on reading: SHA-256 of the
 * stored value, which the next entry names as its prev. */
struct store_audit_entry {
	uint64_t seq; /* 1, 2, ...: the key */
	int64_t time; /* epoch seconds */
	const char *actor, *action; /* action: "review", "purge" */
	uint64_t hit; /* the hit concerned, 0 for none */
	const char *before, *after, *note;
	uint8_t prev[32]; /* hash of entry seq - 1; zeros for entry 1 */
	uint8_t hash[32];
};
/* Appends an entry (seq, prev and hash are ignored and set) in txn, and moves the chain's head
 * in meta. Strings as store_review_set's; NULL is "". */
int store_audit_append(struct store_txn *txn, const struct store_audit_entry *e);
typedef int (*store_audit_fn)(const struct store_audit_entry *e, void *ud);
/* Every entry in sequence order (only those of hit when hit is not 0), in one read transaction;
 * the callback rules of a walk. */
int store_audit_each(struct store *s, uint64_t hit, store_audit_fn fn, void *ud);

/* What store_audit_verify found, each about entries first..last. */
enum store_audit_problem {
	STORE_AUDIT_ALTERED,  /* its bytes are not the ones the next entry (or the head) chained */
	STORE_AUDIT_INSERTED, /* not part of the chain: the entry after it chains past it */
	STORE_AUDIT_REMOVED,  /* missing: a gap in the sequence, or cut from the end */
	STORE_AUDIT_MOVED,    /* holds another sequence number than its key (other): reordered */
	STORE_AUDIT_CORRUPT,  /* unreadable */
};
typedef int (*store_audit_problem_fn)(enum store_audit_problem what, uint64_t first,
				      uint64_t last, uint64_t other, void *ud);
/* Walks the chain and checks every link, the sequence and the head kept in meta; fn is called
 * for each problem (non-zero stops and is returned). *ret_entries and ret_head (may be NULL):
 * the entries read and the head's hash (zeros when the chain is empty), which an analyst may
 * record elsewhere: an attacker who rewrites the whole chain and the head changes it. Returns
 * 0 when the walk ran, whether or not problems were found. */
int store_audit_verify(struct store *s, store_audit_problem_fn fn, void *ud,
		       uint64_t *ret_entries, uint8_t ret_head[32]);

/* ---- Alerts, tips, re-matching and merging (alerts.c, merge.c; docs/alerts.md) ----
 *
 * What the alert senders (crawler/alert.h) remember, the tips analysts submit, and the store
 * side of patrol rematch and patrol merge. Layouts in docs/storage.md, "Alerts and tips". */

#define STORE_ALERT_TARGET_MAX 64 /* bytes of an alert target id */

/* The id of the hit with identity rule + url + match (store_hit_put's), in a read transaction of
 * its own: committed hits only. ERR_NOT_FOUND when there is none. */
int store_hit_find(struct store *s, const char *rule, const char *url, const char *match,
		   uint64_t *ret_id);
/* When hit was alerted to target (epoch seconds), in a read transaction of its own.
 * ERR_NOT_FOUND when it was not; ERR_USAGE for an empty or too long target. */
int store_alert_get(struct store *s, const char *target, uint64_t hit, int64_t *ret_at);
/* Records that hit was alerted to target at `at`. */
int store_alert_put(struct store_txn *txn, const char *target, uint64_t hit, int64_t at);

/* A URL submitted for a priority check (patrol submit). */
struct store_tip {
	const char *url;   /* canonical URL: the key (hashed) */
	const char *venue; /* the venue whose scope holds it */
	const char *note;  /* "" when none */
	const char *actor; /* who submitted it */
	int64_t at;	   /* epoch seconds */
};
typedef int (*store_tip_fn)(const struct store_tip *tip, void *ud);
/* Stores tip (replacing an earlier tip of the same URL) and queues its URL at priority 0 on
 * host ("host:port" as the crawler forms it) in the current crawl generation; a store that has
 * no crawl open gets one begun (store_crawl_begin), so the next crawl resumes it and takes the
 * tip first. *ret_pushed (may be NULL): the frontier's answer; STORE_PUSH_SEEN when the open
 * crawl fetched the URL already. Strings are capped at STORE_NOTE_MAX bytes, the URL at
 * STORE_URL_MAX (ERR_TOO_BIG). */
int store_tip_put(struct store_txn *txn, const struct store_tip *tip, const char *host,
		  int64_t now, enum store_push *ret_pushed);
/* The tip of url, handed to fn in a read transaction of its own (a walk's callback rules).
 * Returns fn's return, or ERR_NOT_FOUND. */
int store_tip_get(struct store *s, const char *url, store_tip_fn fn, void *ud);
/* Every tip, in key order, in one read transaction. */
int store_tips_each(struct store *s, store_tip_fn fn, void *ud);

/* What store_merge did. */
struct store_merge_report {
	uint64_t hits_new;    /* hits the target did not have */
	uint64_t hits_merged; /* hits it had: counts, times and review state merged */
	uint64_t bodies;      /* stored responses copied (the others it had) */
	uint64_t pages;	      /* pages copied or replaced by a newer fetch */
	uint64_t audit;	      /* audit entries appended */
};
/* Folds src into dst (docs/alerts.md, "Merging stores"): pages (the later fetch wins), stored
 * responses (by digest), hits (one per identity: first_seen the earliest, last_seen the latest,
 * counts added, the most advanced review status kept), and src's audit chain, each entry
 * appended to dst's chain as a "merge" entry that names src_name, the original sequence number
 * and hash, and the hit's id in dst. Runs in write transactions of a few hundred records;
 * merging the same source twice adds nothing to hits or pages but counts (see the docs). */
int store_merge(struct store *dst, struct store *src, const char *src_name, const char *actor,
		int64_t now, struct store_merge_report *ret);

/* ---- Review UI: analysts, sessions, counts (users.c) ----
 *
 * docs/storage.md, "Analysts and sessions". Each call runs in a transaction of its own (a write
 * waits for the crawl's open batch), so callers hold no store_txn. Tokens and session ids are
 * never stored: only their SHA-256, which the caller computes. */

#define STORE_USER_MAX 64 /* bytes of an analyst name: letters, digits, '.', '_', '-' */

struct store_user {
	char name[STORE_USER_MAX + 1];
	uint8_t token_hash[32]; /* SHA-256 of the login token */
	int64_t created;	/* epoch seconds */
};

bool store_user_name_valid(const char *name);
/* Adds an analyst. ERR_USAGE for an invalid name, -EEXIST when the name is taken. */
int store_user_add(struct store *s, const char *name, const uint8_t token_hash[32], int64_t now);
/* ERR_NOT_FOUND when there is no such analyst. */
int store_user_get(struct store *s, const char *name, struct store_user *ret);
/* Removes the analyst and every session of theirs. ERR_NOT_FOUND when there is none. */
int store_user_remove(struct store *s, const char *name, int64_t now);
/* Every analyst in name order, in one read transaction; fn's non-zero return stops the walk. */
int store_users_each(struct store *s, int (*fn)(const struct store_user *u, void *ud), void *ud);
/* Records a session of analyst name, valid until expires (epoch seconds). */
int store_session_put(struct store *s, const uint8_t id_hash[32], const char *name,
		      int64_t expires);
/* The analyst of a session that has not expired by now and whose analyst still exists, into
 * ret_name; ERR_NOT_FOUND otherwise. */
int store_session_get(struct store *s, const uint8_t id_hash[32], int64_t now,
		      char ret_name[STORE_USER_MAX + 1]);
/* Ends one session (none is fine), or every session expired by now. */
int store_session_remove(struct store *s, const uint8_t id_hash[32]);
int store_sessions_expire(struct store *s, int64_t now, uint64_t *ret_removed);
/* How many hits have status, counted on hits_by_status's keys alone (fast at any size). */
int store_status_count(struct store *s, const char *status, uint64_t *ret);

/* ---- Review UI: an analyst's preferences (users.c) ----
 *
 * Kept in the analyst's `users` record (docs/storage.md, "Analysts and sessions"); the UI
 * validates them, the store only bounds them. "" means not chosen. */
struct store_user_prefs {
	char lang[16]; /* a UI language code ("zh_CN", "en"); "": the browser's */
	char tz[65];   /* an IANA time zone name; "": the browser's */
};
/* ERR_NOT_FOUND when there is no such analyst; an analyst who never chose has "" in both. */
int store_user_prefs_get(struct store *s, const char *name, struct store_user_prefs *ret);
/* ERR_USAGE for a field that does not fit; the token and creation time stay as they were. */
int store_user_prefs_set(struct store *s, const char *name, const struct store_user_prefs *p);

/* ---- Snapshots: screenshots of stored evidence (snapshot.c; docs/snapshots.md) ----
 *
 * patrol snapshot renders a stored response in a browser and keeps the PNG in bodies, under its
 * own SHA-256, like a response (store_evidence_pack it, store_evidence_get reads it back);
 * snapshots maps the response's digest to it. Layout in docs/storage.md, "Snapshots". */

struct store_snapshot {
	uint8_t evidence[32]; /* the response rendered: the key */
	uint8_t png[32];      /* SHA-256 of the PNG: its bodies key */
	int64_t taken_at;     /* epoch seconds */
	uint32_t width, height; /* pixels, from the PNG's IHDR */
	uint64_t bytes;		/* PNG size */
};
/* Stores packed (store_evidence_pack of the PNG, whose digest is snap->png) in bodies and maps
 * snap->evidence to it, replacing an earlier snapshot of that response (whose PNG stays in
 * bodies), in a write transaction of its own (a full map is grown). */
int store_snapshot_put(struct store *s, const struct store_snapshot *snap, const void *packed,
		       size_t len);
/* The snapshot of the response stored under evidence, in a read transaction of its own.
 * ERR_NOT_FOUND when none was taken. */
int store_snapshot_get(struct store *s, const uint8_t evidence[32], struct store_snapshot *ret);

#endif
