/* SPDX-License-Identifier: MIT */
/* Crawl and scheduled-run records (DESIGN.md §7 `runs`): one record per run with its per-venue
 * stats, read by `patrol stats` and the review UI, and each venue's last complete crawl, read by
 * the scheduler. It does not decide what runs; crawler/ and cli/ do.
 *
 * One database, two kinds of key (docs/storage.md, "Runs"): 'r' + the run id (u64 big-endian,
 * so the last run is the last key) and 'v' + a venue id.
 */
#include "common/err.h"
#include "index/store_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define RUN_KEY_LEN   9
#define RUNS_LIST_MAX 1000
#define VENUE_KEY_MAX (1 + 256)

int store__runs_open(struct store *s, MDB_txn *txn)
{
	return store__mdb_err(mdb_dbi_open(txn, "runs", MDB_CREATE, &s->runs));
}

static void run_key(uint64_t id, uint8_t out[RUN_KEY_LEN])
{
	out[0] = 'r';
	for (int i = 0; i < 8; i++)
		out[1 + i] = (uint8_t)(id >> (8 * (7 - i)));
}

static uint64_t run_key_id(const MDB_val *k)
{
	const uint8_t *p = k->mv_data;
	uint64_t id = 0;
	for (int i = 1; i < RUN_KEY_LEN; i++)
		id = id << 8 | p[i];
	return id;
}

static bool is_run_key(const MDB_val *k)
{
	return k->mv_size == RUN_KEY_LEN && ((const uint8_t *)k->mv_data)[0] == 'r';
}

static int venue_key(const char *venue, uint8_t out[VENUE_KEY_MAX], size_t *ret_len)
{
	size_t n = strlen(venue);
	if (!n || n >= VENUE_KEY_MAX - 1)
		return ERR_USAGE;
	out[0] = 'v';
	memcpy(out + 1, venue, n);
	*ret_len = n + 1;
	return 0;
}

static int run_check(const struct store_run *run)
{
	if (!run->kind || !run->kind[0] || run->nvenues > STORE_RUN_MAX_VENUES ||
	    (run->nvenues && !run->venues))
		return ERR_USAGE;
	for (size_t i = 0; i < run->nvenues; i++) {
		const struct store_run_venue *v = &run->venues[i];
		if (!v->venue || !v->venue[0] || strlen(v->venue) >= VENUE_KEY_MAX - 1 ||
		    (v->summary && strlen(v->summary) > STORE_RUN_SUMMARY_MAX))
			return ERR_USAGE;
	}
	return 0;
}

/* Value: kind, started, ended, status, shard, n, then per venue: id, complete, summary. */
static int run_encode(const struct store_run *run, struct buf *out)
{
	struct store_enc e;
	buf_reset(out);
	store__enc_start(&e, out, STORE_REC_VERSION);
	store__enc_str(&e, run->kind);
	store__enc_i64(&e, run->started);
	store__enc_i64(&e, run->ended);
	store__enc_i64(&e, run->status);
	store__enc_str(&e, run->shard);
	store__enc_u32(&e, (uint32_t)run->nvenues);
	for (size_t i = 0; i < run->nvenues; i++) {
		store__enc_str(&e, run->venues[i].venue);
		uint8_t complete = run->venues[i].complete;
		store__enc_raw(&e, &complete, 1);
		store__enc_str(&e, run->venues[i].summary ? run->venues[i].summary : "{}");
	}
	return store__enc_finish(&e);
}

/* Venue entries go to *vs (malloc'd, *cap of them, grown as needed; the caller frees it). */
static int run_decode(const MDB_val *v, struct store_scratch *s, struct store_run *ret,
		      struct store_run_venue **vs_io, size_t *cap)
{
	struct store_dec d;
	uint8_t version;
	int rc = store__dec_start(&d, v->mv_data, v->mv_size, s, &version);
	if (rc)
		return rc;
	struct store_run r = {0};
	r.kind = store__dec_str(&d);
	r.started = store__dec_i64(&d);
	r.ended = store__dec_i64(&d);
	int64_t status = store__dec_i64(&d);
	r.shard = store__dec_str(&d);
	uint32_t n = store__dec_u32(&d);
	if (n > STORE_RUN_MAX_VENUES)
		return ERR_STORE;
	if (n > *cap) {
		struct store_run_venue *grown = realloc(*vs_io, n * sizeof(*grown));
		if (!grown)
			return -ENOMEM;
		*vs_io = grown;
		*cap = n;
	}
	struct store_run_venue *vs = *vs_io;
	for (uint32_t i = 0; i < n; i++) {
		uint8_t complete = 0;
		vs[i].venue = store__dec_str(&d);
		store__dec_raw(&d, &complete, 1);
		vs[i].complete = complete != 0;
		vs[i].summary = store__dec_str(&d);
	}
	rc = store__dec_finish(&d);
	if (rc || version != STORE_REC_VERSION || status < -256 || status > 256)
		return rc ? rc : ERR_STORE;
	r.status = (int)status;
	r.venues = vs;
	r.nvenues = n;
	*ret = r;
	return 0;
}

/* The id after the last run's. */
static int run_next_id(MDB_txn *txn, MDB_dbi dbi, uint64_t *ret)
{
	MDB_cursor *cur;
	int rc = store__mdb_err(mdb_cursor_open(txn, dbi, &cur));
	if (rc)
		return rc;
	uint8_t past[1] = {'r' + 1};
	MDB_val k = {.mv_size = 1, .mv_data = past}, v;
	int mrc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
	mrc = mrc == 0 ? mdb_cursor_get(cur, &k, &v, MDB_PREV)
		       : mdb_cursor_get(cur, &k, &v, MDB_LAST);
	*ret = 1;
	if (mrc == 0 && is_run_key(&k))
		*ret = run_key_id(&k) + 1;
	else if (mrc != 0 && mrc != MDB_NOTFOUND)
		rc = store__mdb_err(mrc);
	mdb_cursor_close(cur);
	return rc;
}

/* 'v' values: run id, started. */
static int venue_last_put(struct store_txn *t, const char *venue, uint64_t id, int64_t started)
{
	uint8_t key[VENUE_KEY_MAX], val[16];
	size_t klen;
	int rc = venue_key(venue, key, &klen);
	if (rc)
		return rc;
	for (int i = 0; i < 8; i++) {
		val[i] = (uint8_t)(id >> (8 * i));
		val[8 + i] = (uint8_t)((uint64_t)started >> (8 * i));
	}
	MDB_val k = {.mv_size = klen, .mv_data = key}, v = {.mv_size = 16, .mv_data = val};
	return store__mdb_err(mdb_put(t->txn, t->s->runs, &k, &v, 0));
}

static int run_put_txn(struct store_txn *t, const struct store_run *run, uint64_t *ret_id)
{
	uint64_t id;
	uint8_t key[RUN_KEY_LEN];
	int rc = run_next_id(t->txn, t->s->runs, &id);
	if (!rc)
		rc = run_encode(run, &t->enc);
	if (rc)
		return rc;
	run_key(id, key);
	MDB_val k = {.mv_size = RUN_KEY_LEN, .mv_data = key};
	MDB_val v = {.mv_size = t->enc.len, .mv_data = t->enc.data};
	rc = store__mdb_err(mdb_put(t->txn, t->s->runs, &k, &v, 0));
	for (size_t i = 0; rc == 0 && i < run->nvenues; i++)
		if (run->venues[i].complete)
			rc = venue_last_put(t, run->venues[i].venue, id, run->started);
	*ret_id = id;
	return rc;
}

int store_run_put(struct store *s, const struct store_run *run, uint64_t *ret_id)
{
	int rc = run_check(run);
	for (int attempt = 0; rc == 0 && attempt < 4; attempt++) {
		struct store_txn *t;
		uint64_t id = 0;
		if ((rc = store_write_begin(s, &t)) != 0)
			return rc;
		rc = run_put_txn(t, run, &id);
		if (rc) {
			store_write_abort(t);
		} else if ((rc = store_write_commit(t)) == 0) {
			if (ret_id)
				*ret_id = id;
			return 0;
		}
		if (rc != -ENOSPC && rc != ERR_TOO_BIG)
			return rc;
		rc = store_grow(s);
	}
	return rc ? rc : ERR_STORE;
}

int store_runs_last(struct store *s, size_t limit, store_run_fn fn, void *ud)
{
	MDB_txn *txn;
	MDB_cursor *cur = NULL;
	struct store_scratch scratch;
	struct store_run_venue *vs = NULL;
	size_t cap = 0;
	int rc = store__read_begin(s, &txn);
	if (rc)
		return rc;
	store__scratch_init(&scratch);
	rc = store__mdb_err(mdb_cursor_open(txn, s->runs, &cur));
	uint8_t past[1] = {'r' + 1};
	MDB_val k = {.mv_size = 1, .mv_data = past}, v;
	int mrc = rc ? MDB_NOTFOUND : mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
	if (!rc)
		mrc = mrc == 0 ? mdb_cursor_get(cur, &k, &v, MDB_PREV)
			       : mdb_cursor_get(cur, &k, &v, MDB_LAST);
	limit = limit && limit < RUNS_LIST_MAX ? limit : RUNS_LIST_MAX;
	for (size_t n = 0; !rc && mrc == 0 && n < limit && is_run_key(&k); n++) {
		struct store_run r;
		if ((rc = run_decode(&v, &scratch, &r, &vs, &cap)) != 0)
			break;
		r.id = run_key_id(&k);
		if ((rc = fn(&r, ud)) != 0)
			break;
		mrc = mdb_cursor_get(cur, &k, &v, MDB_PREV);
	}
	if (!rc && mrc != 0 && mrc != MDB_NOTFOUND)
		rc = store__mdb_err(mrc);
	if (cur)
		mdb_cursor_close(cur);
	store__read_end(s, txn);
	store__scratch_done(&scratch);
	free(vs);
	return rc;
}

int store_run_venue_last(struct store *s, const char *venue, int64_t *ret_started, uint64_t *ret_id)
{
	uint8_t key[VENUE_KEY_MAX];
	size_t klen;
	MDB_txn *txn;
	int rc = venue ? venue_key(venue, key, &klen) : ERR_USAGE;
	if (rc || (rc = store__read_begin(s, &txn)) != 0)
		return rc;
	MDB_val k = {.mv_size = klen, .mv_data = key}, v;
	rc = store__mdb_err(mdb_get(txn, s->runs, &k, &v));
	if (!rc && v.mv_size != 16)
		rc = ERR_STORE;
	if (!rc) {
		const uint8_t *p = v.mv_data;
		uint64_t id = 0, at = 0;
		for (int i = 7; i >= 0; i--) {
			id = id << 8 | p[i];
			at = at << 8 | p[8 + i];
		}
		if (ret_id)
			*ret_id = id;
		if (ret_started)
			*ret_started = (int64_t)at;
	}
	store__read_end(s, txn);
	return rc;
}
