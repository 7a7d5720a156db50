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

#define STORE_SCHEMA_VERSION 1

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
};

/* Inserts or replaces the page with this URL. NULL strings other than url are stored as "".
 * Errors of this and store_hit_put: ERR_USAGE (a NULL key field), ERR_TOO_BIG (a record over
 * 16 MiB, or the store's map, 1 GiB for now, is full), ERR_STORE, -errno. */
int store_page_put(struct store_txn *txn, const struct store_page *page);

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
};

/* Records that hit was seen at seen_at. The hit's identity is rule + url + match: when a hit with
 * that identity exists, only its last_seen and count change and *ret_new is false; otherwise a
 * new hit is stored with the next id and status "new". ret_id and ret_new may be NULL.
 * rule, url and match must not be NULL; other NULL strings are stored as "". hit->id, status,
 * first_seen, last_seen and count are ignored on input. */
int store_hit_put(struct store_txn *txn, const struct store_hit *hit, int64_t seen_at,
		  uint64_t *ret_id, bool *ret_new);

/* Callbacks return 0 to go on; any other value stops the walk and is returned.
 * The record's strings are a decoded copy, valid only during the callback; the callback runs
 * inside the walk's read transaction, so a slow one keeps old pages of the map from being reused.
 * A corrupt record stops the walk with ERR_STORE. */
typedef int (*store_hit_fn)(const struct store_hit *hit, void *ud);
typedef int (*store_page_fn)(const struct store_page *page, void *ud);

/* Every hit in id order, in one read transaction. */
int store_hits_each(struct store *s, store_hit_fn fn, void *ud);
/* Every page in key order (by URL hash, not URL), in one read transaction. */
int store_pages_each(struct store *s, store_page_fn fn, void *ud);

struct store_stats {
	uint64_t pages;
	uint64_t hits;
};
int store_stats_get(struct store *s, struct store_stats *ret_stats);

#endif
