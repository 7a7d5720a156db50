/* SPDX-License-Identifier: MIT */
/* What the files of index/ share: the store and transaction handles with their LMDB handles
 * (store.c opens them; frontier.c uses them), a few LMDB helpers, and the record codec of
 * record.c, which store.c and frontier.c use for values.
 *
 * A record is a version byte, then fields in a fixed order: integers as little-endian fixed
 * widths, strings as a u32 little-endian length and that many bytes (no NUL, none inside).
 * Encoding and decoding keep a sticky error, so a caller writes or reads every field and checks
 * once at the end. Decoding never reads past the record: a short, long or malformed record is
 * ERR_STORE. Decoded strings are NUL-terminated copies in a caller-owned scratch area.
 * No globals; a codec state belongs to one thread.
 */
#ifndef PATROL_INDEX_STORE_INT_H
#define PATROL_INDEX_STORE_INT_H

#include "common/buf.h"
#include "index/store.h"

#include <lmdb.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

/* The layout version written as the first byte of records. */
#define STORE_REC_VERSION 1
/* Hit records since schema 4: version 1's fields, then evidence, pack_version, pack_digest,
 * gone_at and prior_status. Version 1 hit records are still read, with those empty. */
#define STORE_HIT_REC_VERSION 4
/* Page records since schema 3: version 1 and the canonical URL at the end. Version 1 page
 * records (written before) are still read, with no canonical URL. */
#define STORE_PAGE_REC_VERSION 2
/* The largest record we write or accept: far above any real page or hit. */
#define STORE_REC_MAX (16u << 20)

/* Where decoded strings go; grows to the size of the largest record decoded, then stays. */
struct store_scratch {
	char *data;
	size_t cap;
};

/* Read-only after store_open: the environment, every named database (docs/storage.md) and the
 * directory; except the crawl lock, which store_crawl_lock and store_crawl_unlock change. */
struct store {
	MDB_env *env;
	MDB_dbi meta, pages, hits, hit_keys;
	MDB_dbi frontier, frontier_hosts, seen, leases, robots; /* schema 2 */
	MDB_dbi variants;					/* schema 3 */
	MDB_dbi bodies, page_hits; /* schema 4: evidence.c, store.c */
	MDB_dbi audit, hits_by_status; /* review.c and audit.c */
	MDB_dbi runs;			 /* runs.c: one record per crawl or scheduled run */
	MDB_dbi users, sessions;	 /* users.c: review UI analysts and their sessions */
	MDB_dbi alerts, tips;		 /* alerts.c: hits already alerted; queued tip URLs */
	MDB_dbi snapshots;		 /* snapshot.c: evidence digest -> rendered screenshot */
	char *dir;
	void *map;	/* where LMDB mapped data.mdb, for store_trim; NULL when not found */
	size_t map_len;
	atomic_bool crawl_locked; /* lock_fd is taken, or being taken */
	int lock_fd;		  /* DIR/crawl.lock while locked, else -1 */
	/* Every transaction of this process holds it shared (store__read_begin, store_write_begin)
	 * and store_grow exclusively: LMDB moves the map when it grows, so no transaction may be
	 * open then. map and map_len change only under it held exclusively. */
	pthread_rwlock_t resize_lock;
};

/* A write transaction with its own buffers: enc for values being written, dec for strings of
 * values being read. Both are reused by every call, so a decoded string is valid only until the
 * next call that decodes. */
struct store_txn {
	struct store *s;
	MDB_txn *txn;
	struct buf enc;
	struct store_scratch dec;
};

/* An LMDB return code as one of ours: MDB_NOTFOUND is ERR_NOT_FOUND, a full map or transaction
 * ERR_TOO_BIG, errno values -errno, anything else ERR_STORE. */
int store__mdb_err(int rc);
/* meta values that are u64 little-endian (8 bytes; another size is ERR_STORE). */
int store__meta_get_u64(MDB_txn *txn, MDB_dbi meta, const char *key, uint64_t *ret);
int store__meta_put_u64(MDB_txn *txn, MDB_dbi meta, const char *key, uint64_t x);
/* Each opens (creating) its module's databases inside store_open's write transaction. */
int store__runs_open(struct store *s, MDB_txn *txn);
int store__users_open(struct store *s, MDB_txn *txn);
int store__alerts_open(struct store *s, MDB_txn *txn);
int store__snapshots_open(struct store *s, MDB_txn *txn);
/* Removes the screenshot of the response stored under evidence, its PNG with it (purge.c, when
 * the response goes); none is fine. */
int store__snapshot_drop(struct store *s, MDB_txn *txn, const uint8_t evidence[32]);
int store__db_entries(MDB_txn *txn, MDB_dbi dbi, uint64_t *ret);
/* store.c: a hit's identity, the hit_keys key: SHA-256 of rule NUL url NUL match (32 bytes). */
int store__hit_identity(const struct store_hit *hit, uint8_t out[32]);

/* Every read transaction of index/ begins and ends with these, so that store_grow never moves the
 * map under one (they hold resize_lock shared), and a map grown by another process is adopted
 * (MDB_MAP_RESIZED). _end aborts the transaction; NULL does nothing. */
int store__read_begin(struct store *s, MDB_txn **ret_txn);
void store__read_end(struct store *s, MDB_txn *txn);

/* One read transaction and a cursor over dbi; each record goes to visit with a scratch area for
 * its strings. The transaction ends before returning: nothing escapes it. A non-zero return of
 * visit stops the walk and is returned. */
typedef int (*store__walk_fn)(const MDB_val *k, const MDB_val *v, struct store_scratch *s,
			      void *ctx);
int store__walk(struct store *s, MDB_dbi dbi, store__walk_fn visit, void *ctx);

/* Schema 2: creates the databases of the frontier (frontier.c) and sets their meta counters, in
 * the open write transaction: used for a new store and by the migration from schema 1. */
int store__frontier_create(MDB_txn *txn, MDB_dbi meta);
/* Schema 3: creates the query-variant counters (variants), for a new store and by the
 * migration from schema 2. */
int store__variants_create(MDB_txn *txn);
/* Schema 5: moves every seen record the store can name a URL for (queued, leased, a page) from
 * its schema 4 key to its schema 5 key and deletes the rest, in the open write transaction. */
int store__seen_rekey(struct store *s, MDB_txn *txn);
/* Opens the frontier's databases of schema 2 and 3, which must exist (ERR_STORE otherwise). */
int store__frontier_open(struct store *s, MDB_txn *txn);

/* review.c: opens (creating) audit and hits_by_status in store_open's write transaction, and
 * builds the status index from the hits when the store has none yet (docs/review.md). */
int store__review_open(struct store *s, MDB_txn *txn);
/* review.c: keeps hits_by_status in step with hit id's status and first_seen: old is the record
 * as it was (NULL for a new hit), new as it is now. Every write of a hit record calls it. */
int store__status_index(struct store *s, MDB_txn *txn, uint64_t id, const struct store_hit *old,
			const struct store_hit *new);

/* Encoding appends to out, which the caller owns and resets as it likes. */
struct store_enc {
	struct buf *out;
	int rc; /* first error, 0 while all is well */
};

void store__enc_start(struct store_enc *e, struct buf *out, uint8_t version);
void store__enc_u32(struct store_enc *e, uint32_t v);
void store__enc_u64(struct store_enc *e, uint64_t v);
void store__enc_i64(struct store_enc *e, int64_t v);
void store__enc_raw(struct store_enc *e, const void *data, size_t len);
/* NULL is stored as "". A string longer than STORE_REC_MAX is ERR_TOO_BIG. */
void store__enc_str(struct store_enc *e, const char *s);
/* 0, or the first error: ERR_TOO_BIG (record over STORE_REC_MAX), -ENOMEM. */
int store__enc_finish(const struct store_enc *e);

void store__scratch_init(struct store_scratch *s);
void store__scratch_done(struct store_scratch *s);

struct store_dec {
	const uint8_t *p; /* the record: borrowed, maybe LMDB memory */
	size_t len, off;
	char *out; /* scratch->data */
	size_t out_len, out_cap;
	int rc;
};

/* Starts decoding data[0..len) and gives its version byte. Strings will be copied into scratch,
 * which is reset: earlier decoded strings become invalid. Errors: ERR_STORE (empty or over
 * STORE_REC_MAX), -ENOMEM. */
int store__dec_start(struct store_dec *d, const void *data, size_t len, struct store_scratch *s,
		     uint8_t *ret_version);
uint32_t store__dec_u32(struct store_dec *d);
uint64_t store__dec_u64(struct store_dec *d);
int64_t store__dec_i64(struct store_dec *d);
void store__dec_raw(struct store_dec *d, void *out, size_t len);
/* A NUL-terminated copy in the scratch area; "" after an error. */
const char *store__dec_str(struct store_dec *d);
/* Room for n elements of size bytes in the scratch area, 8-aligned; NULL (the record marked
 * corrupt) when it does not fit. */
void *store__dec_alloc(struct store_dec *d, size_t n, size_t size);
/* 0 when every field was read and nothing is left over; otherwise ERR_STORE. */
int store__dec_finish(const struct store_dec *d);

/* Page and hit values. Encoding appends to out (reset first); decoding fills *ret only on success,
 * with strings in scratch. The hit id lives in the key, not the value: hit_decode sets id to 0. */
int store__page_encode(const struct store_page *page, struct buf *out);
int store__page_decode(const void *data, size_t len, struct store_scratch *s,
		       struct store_page *ret);
int store__hit_encode(const struct store_hit *hit, struct buf *out);
int store__hit_decode(const void *data, size_t len, struct store_scratch *s, struct store_hit *ret);

#endif
