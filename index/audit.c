/* SPDX-License-Identifier: MIT */
/* The audit chain: one entry per review change, keyed by a sequence number, each naming the
 * SHA-256 of the entry before it, and the last one's hash kept in meta as the head. Altering,
 * inserting, removing or reordering an entry breaks a link, the sequence or the head, and
 * store_audit_verify says which entry (docs/review.md). Appends happen inside the caller's write
 * transaction, so a change and its entry commit together or not at all.
 */
#include "index/store.h"

#include "common/digest.h"
#include "common/err.h"
#include "index/store_int.h"

#include <lmdb.h>
#include <string.h>

#define META_AUDIT_HEAD	  "audit_head" /* u64 LE count, then the last entry's hash (40 bytes) */
#define AUDIT_REC_VERSION 1

static MDB_val val_of(const void *data, size_t len)
{
	MDB_val v = {.mv_size = len, .mv_data = (void *)data};
	return v;
}

static void seq_key(uint64_t seq, uint8_t out[8])
{
	for (int i = 0; i < 8; i++)
		out[i] = (uint8_t)(seq >> (8 * (7 - i)));
}

static uint64_t seq_of_key(const uint8_t *k)
{
	uint64_t x = 0;
	for (int i = 0; i < 8; i++)
		x = x << 8 | k[i];
	return x;
}

/* Entry: version, seq u64, time i64, actor, action, hit u64, before, after, note, prev raw32.
 * The seq inside the value ties the bytes to their place: moving a value to another key shows. */
static int entry_encode(const struct store_audit_entry *e, struct buf *out)
{
	struct store_enc enc;
	buf_reset(out);
	store__enc_start(&enc, out, AUDIT_REC_VERSION);
	store__enc_u64(&enc, e->seq);
	store__enc_i64(&enc, e->time);
	store__enc_str(&enc, e->actor);
	store__enc_str(&enc, e->action);
	store__enc_u64(&enc, e->hit);
	store__enc_str(&enc, e->before);
	store__enc_str(&enc, e->after);
	store__enc_str(&enc, e->note);
	store__enc_raw(&enc, e->prev, sizeof(e->prev));
	return store__enc_finish(&enc);
}

static int entry_decode(const MDB_val *v, struct store_scratch *s, struct store_audit_entry *ret)
{
	struct store_dec d;
	struct store_audit_entry e;
	uint8_t version;
	int rc = store__dec_start(&d, v->mv_data, v->mv_size, s, &version);
	if (rc)
		return rc;
	if (version != AUDIT_REC_VERSION)
		return ERR_STORE;
	e.seq = store__dec_u64(&d);
	e.time = store__dec_i64(&d);
	e.actor = store__dec_str(&d);
	e.action = store__dec_str(&d);
	e.hit = store__dec_u64(&d);
	e.before = store__dec_str(&d);
	e.after = store__dec_str(&d);
	e.note = store__dec_str(&d);
	store__dec_raw(&d, e.prev, sizeof(e.prev));
	rc = store__dec_finish(&d);
	if (!rc)
		rc = digest_sha256(v->mv_data, v->mv_size, e.hash);
	if (rc)
		return rc;
	*ret = e;
	return 0;
}

/* The head: how many entries the chain has and the last one's hash. ERR_NOT_FOUND when none. */
static int head_get(MDB_txn *txn, MDB_dbi meta, uint64_t *ret_n, uint8_t ret_hash[DIGEST_LEN])
{
	MDB_val k = val_of(META_AUDIT_HEAD, strlen(META_AUDIT_HEAD)), v;
	int rc = store__mdb_err(mdb_get(txn, meta, &k, &v));
	if (rc)
		return rc;
	if (v.mv_size != 8 + DIGEST_LEN)
		return ERR_STORE;
	const uint8_t *p = v.mv_data;
	uint64_t n = 0;
	for (int i = 0; i < 8; i++)
		n |= (uint64_t)p[i] << (8 * i);
	*ret_n = n;
	memcpy(ret_hash, p + 8, DIGEST_LEN);
	return 0;
}

static int head_put(MDB_txn *txn, MDB_dbi meta, uint64_t n, const uint8_t hash[DIGEST_LEN])
{
	uint8_t b[8 + DIGEST_LEN];
	for (int i = 0; i < 8; i++)
		b[i] = (uint8_t)(n >> (8 * i));
	memcpy(b + 8, hash, DIGEST_LEN);
	MDB_val k = val_of(META_AUDIT_HEAD, strlen(META_AUDIT_HEAD)), v = val_of(b, sizeof(b));
	return store__mdb_err(mdb_put(txn, meta, &k, &v, 0));
}

int store_audit_append(struct store_txn *txn, const struct store_audit_entry *e)
{
	struct store_audit_entry x = *e;
	uint8_t k[8];
	uint64_t n = 0;
	memset(x.prev, 0, sizeof(x.prev));
	int rc = head_get(txn->txn, txn->s->meta, &n, x.prev);
	if (rc && rc != ERR_NOT_FOUND)
		return rc;
	if (n == UINT64_MAX)
		return ERR_STORE;
	x.seq = n + 1;
	rc = entry_encode(&x, &txn->enc);
	if (!rc)
		rc = digest_sha256(txn->enc.data, txn->enc.len, x.hash);
	if (rc)
		return rc;
	seq_key(x.seq, k);
	MDB_val kv = val_of(k, 8), vv = val_of(txn->enc.data, txn->enc.len);
	rc = store__mdb_err(mdb_put(txn->txn, txn->s->audit, &kv, &vv, MDB_NOOVERWRITE));
	/* MDB_KEYEXIST (ERR_STORE): the head says n entries, but n + 1 exists: a damaged chain. */
	if (!rc)
		rc = head_put(txn->txn, txn->s->meta, x.seq, x.hash);
	return rc;
}

struct audit_each {
	uint64_t hit;
	store_audit_fn fn;
	void *ud;
};

static int visit_entry(const MDB_val *k, const MDB_val *v, struct store_scratch *s, void *ctx)
{
	struct audit_each *w = ctx;
	struct store_audit_entry e;
	if (k->mv_size != 8)
		return ERR_STORE;
	int rc = entry_decode(v, s, &e);
	if (rc)
		return rc;
	e.seq = seq_of_key(k->mv_data);
	if (w->hit && e.hit != w->hit)
		return 0;
	return w->fn(&e, w->ud);
}

int store_audit_each(struct store *s, uint64_t hit, store_audit_fn fn, void *ud)
{
	struct audit_each w = {hit, fn, ud};
	return store__walk(s, s->audit, visit_entry, &w);
}

/* The verifier's memory: where the sequence should be and the hashes of the last two entries. */
struct verify {
	store_audit_problem_fn fn;
	void *ud;
	uint64_t expected, last, entries;
	uint8_t h1[DIGEST_LEN],
		h2[DIGEST_LEN]; /* hash of the entry before, and the one before it */
	bool have_h2;
};

static int report(struct verify *w, enum store_audit_problem what, uint64_t a, uint64_t b,
		  uint64_t other)
{
	return w->fn ? w->fn(what, a, b, other, w->ud) : 0;
}

/* A broken link at entry seq: the entry before it is not the one it chained. When it chains the
 * entry before that, the one between was put in; otherwise the one before was changed (or
 * replaced). After a gap the removal explains the break. */
static int check_link(struct verify *w, uint64_t seq, const struct store_audit_entry *e, bool gap)
{
	if (memcmp(e->prev, w->h1, DIGEST_LEN) == 0 || gap)
		return 0;
	if (w->last == 0)
		return report(w, STORE_AUDIT_ALTERED, seq, seq, 0); /* the first must chain zeros */
	if (w->have_h2 && memcmp(e->prev, w->h2, DIGEST_LEN) == 0)
		return report(w, STORE_AUDIT_INSERTED, w->last, w->last, 0);
	return report(w, STORE_AUDIT_ALTERED, w->last, w->last, 0);
}

static int verify_entry(const MDB_val *k, const MDB_val *v, struct store_scratch *s, void *ctx)
{
	struct verify *w = ctx;
	struct store_audit_entry e;
	int rc = 0;
	if (k->mv_size != 8)
		return report(w, STORE_AUDIT_CORRUPT, 0, 0, 0);
	uint64_t seq = seq_of_key(k->mv_data);
	bool gap = seq > w->expected;
	w->entries++;
	if (gap)
		rc = report(w, STORE_AUDIT_REMOVED, w->expected, seq - 1, 0);
	if (rc)
		return rc;
	if (entry_decode(v, s, &e) != 0) {
		rc = report(w, STORE_AUDIT_CORRUPT, seq, seq, 0);
		memset(e.hash, 0xff, DIGEST_LEN); /* links nothing: the next entry reports too */
	} else if (e.seq != seq) {
		rc = report(w, STORE_AUDIT_MOVED, seq, seq, e.seq);
	} else {
		rc = check_link(w, seq, &e, gap);
	}
	memcpy(w->h2, w->h1, DIGEST_LEN);
	w->have_h2 = seq > 1;
	memcpy(w->h1, e.hash, DIGEST_LEN);
	w->last = seq;
	w->expected = seq + 1;
	return rc;
}

/* The head in meta names the last entry and its hash: an entry cut from the end, or added
 * after it, or an altered last entry, shows only there. */
static int verify_head(struct store *s, struct verify *w)
{
	MDB_txn *txn = NULL;
	uint64_t n = 0;
	uint8_t hash[DIGEST_LEN] = {0};
	int rc = store__read_begin(s, &txn);
	if (rc)
		return rc;
	rc = head_get(txn, s->meta, &n, hash);
	store__read_end(s, txn);
	if (rc == ERR_NOT_FOUND) {
		rc = 0; /* no review yet */
	} else if (rc) {
		return report(w, STORE_AUDIT_CORRUPT, 0, 0, 0);
	}
	if (n > w->last)
		return report(w, STORE_AUDIT_REMOVED, w->last + 1, n, 0);
	if (n < w->last)
		return report(w, STORE_AUDIT_INSERTED, n + 1, w->last, 0);
	if (n && memcmp(hash, w->h1, DIGEST_LEN) != 0)
		return report(w, STORE_AUDIT_ALTERED, n, n, 0);
	return 0;
}

int store_audit_verify(struct store *s, store_audit_problem_fn fn, void *ud, uint64_t *ret_entries,
		       uint8_t ret_head[32])
{
	struct verify w = {.fn = fn, .ud = ud, .expected = 1};
	int rc = store__walk(s, s->audit, verify_entry, &w);
	if (!rc)
		rc = verify_head(s, &w);
	if (rc)
		return rc;
	if (ret_entries)
		*ret_entries = w.entries;
	if (ret_head) {
		if (w.last)
			memcpy(ret_head, w.h1, DIGEST_LEN);
		else
			memset(ret_head, 0, DIGEST_LEN);
	}
	return 0;
}
