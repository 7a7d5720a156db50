/* SPDX-License-Identifier: MIT */
/* Review: the hits_by_status index, filtered and ordered listing of hits, one hit by id, and the
 * status changes analysts make (each one audited in the same transaction, audit.c).
 *
 * hits_by_status holds one empty value per hit under status NUL first_seen id, so the review
 * queue ("new, newest first, 50") is one cursor seek and a short walk, whatever the store's
 * size. Listing reads in chunks of short read transactions and resumes after the last key, so a
 * walk over a million hits holds neither memory nor an old snapshot (docs/review.md).
 */
#include "index/store.h"

#include "common/err.h"
#include "index/store_int.h"

#include <errno.h>
#include <lmdb.h>
#include <stdlib.h>
#include <string.h>

#define META_STATUS_INDEX "status_index" /* "1" once hits_by_status covers every hit */
#define IDX_KEY_MAX	  (STORE_STATUS_MAX + 1 + 8 + 8)
#define QUERY_CHUNK	  512 /* records per read transaction of a listing */

static MDB_val val_of(const void *data, size_t len)
{
	MDB_val v = {.mv_size = len, .mv_data = (void *)data};
	return v;
}

static void put_be64(uint8_t *p, uint64_t x)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(x >> (8 * (7 - i)));
}

static uint64_t get_be64(const uint8_t *p)
{
	uint64_t x = 0;
	for (int i = 0; i < 8; i++)
		x = x << 8 | p[i];
	return x;
}

/* Time with the sign bit flipped, big-endian: byte order is numeric order, negatives included. */
static void put_time(uint8_t *p, int64_t t)
{
	put_be64(p, (uint64_t)t ^ (UINT64_C(1) << 63));
}

/* status NUL time id; ERR_STORE for a status no hit can have (empty, too long, a NUL). */
static int idx_key(const char *status, int64_t t, uint64_t id, uint8_t out[IDX_KEY_MAX],
		   size_t *ret_len)
{
	size_t n = status ? strlen(status) : 0;
	if (n == 0 || n > STORE_STATUS_MAX)
		return ERR_STORE;
	memcpy(out, status, n);
	out[n] = 0;
	put_time(out + n + 1, t);
	put_be64(out + n + 9, id);
	*ret_len = n + 17;
	return 0;
}

int store__status_index(struct store *s, MDB_txn *txn, uint64_t id, const struct store_hit *old,
			const struct store_hit *new)
{
	uint8_t k[IDX_KEY_MAX];
	size_t n;
	int rc;
	if (old && new && strcmp(old->status, new->status) == 0 &&
	    old->first_seen == new->first_seen)
		return 0;
	if (old) {
		if ((rc = idx_key(old->status, old->first_seen, id, k, &n)))
			return rc;
		MDB_val kv = val_of(k, n);
		rc = store__mdb_err(mdb_del(txn, s->hits_by_status, &kv, NULL));
		if (rc && rc != ERR_NOT_FOUND)
			return rc;
	}
	if (!new)
		return 0;
	if ((rc = idx_key(new->status, new->first_seen, id, k, &n)))
		return rc;
	MDB_val kv = val_of(k, n), v = val_of("", 0);
	return store__mdb_err(mdb_put(txn, s->hits_by_status, &kv, &v, 0));
}

/* Fills hits_by_status from every hit: a store written before the index existed. */
static int status_index_build(struct store *s, MDB_txn *txn)
{
	MDB_cursor *cur = NULL;
	struct store_scratch scratch;
	MDB_val k, v;
	store__scratch_init(&scratch);
	int rc = store__mdb_err(mdb_drop(txn, s->hits_by_status, 0));
	if (!rc)
		rc = store__mdb_err(mdb_cursor_open(txn, s->hits, &cur));
	for (int op = MDB_FIRST; !rc; op = MDB_NEXT) {
		struct store_hit h;
		int mrc = mdb_cursor_get(cur, &k, &v, op);
		if (mrc) {
			rc = mrc == MDB_NOTFOUND ? 0 : store__mdb_err(mrc);
			break;
		}
		if (k.mv_size != 8)
			rc = ERR_STORE;
		if (!rc)
			rc = store__hit_decode(v.mv_data, v.mv_size, &scratch, &h);
		if (!rc)
			rc = store__status_index(s, txn, get_be64(k.mv_data), NULL, &h);
	}
	if (cur)
		mdb_cursor_close(cur);
	store__scratch_done(&scratch);
	if (!rc) {
		MDB_val mk = val_of(META_STATUS_INDEX, strlen(META_STATUS_INDEX)), mv = val_of("1", 1);
		rc = store__mdb_err(mdb_put(txn, s->meta, &mk, &mv, 0));
	}
	return rc;
}

int store__review_open(struct store *s, MDB_txn *txn)
{
	int rc = store__mdb_err(mdb_dbi_open(txn, "audit", MDB_CREATE, &s->audit));
	if (!rc)
		rc = store__mdb_err(
			mdb_dbi_open(txn, "hits_by_status", MDB_CREATE, &s->hits_by_status));
	if (rc)
		return rc;
	MDB_val mk = val_of(META_STATUS_INDEX, strlen(META_STATUS_INDEX)), mv;
	rc = store__mdb_err(mdb_get(txn, s->meta, &mk, &mv));
	if (rc == ERR_NOT_FOUND)
		return status_index_build(s, txn);
	return rc;
}
