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
#define QUERY_CHUNK	  512	   /* records per read transaction of a listing */
#define PAGE_KEY_LEN	  (32 + 8) /* page_hits: SHA-256 of the URL, hit id (store.c) */
#define WALK_KEY_MAX	  (IDX_KEY_MAX > PAGE_KEY_LEN ? IDX_KEY_MAX : PAGE_KEY_LEN)

static MDB_val val_of(const void *data, size_t len)
{
	MDB_val v = {.mv_size = len, .mv_data = (void *)data};
	return v;
}

/* Severities in the order of STORE_ORDER_SEVERITY; anything else comes last. */
static const char *const severities[] = {"critical", "high", "medium", "low", "info"};
#define NSEV (sizeof(severities) / sizeof(severities[0]))

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
	if (old && new &&strcmp(old->status, new->status) == 0 &&
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
		MDB_val mk = val_of(META_STATUS_INDEX, strlen(META_STATUS_INDEX)),
			mv = val_of("1", 1);
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

void store_hit_query_init(struct store_hit_query *q)
{
	memset(q, 0, sizeof(*q));
	q->since = INT64_MIN;
	q->until = INT64_MAX;
	q->order = STORE_ORDER_NEWEST;
}

/* One listing in progress: the query, where the walk stands and how much it has handed over.
 * other_sev: the severity filter is "none of severities[]" (the last pass of a severity sort). */
struct qwalk {
	struct store *s;
	const struct store_hit_query *q;
	store_hit_fn fn;
	void *ud;
	MDB_dbi dbi;  /* hits_by_status, page_hits (keys end in the id) or hits (keys are ids) */
	bool id_tail; /* the key's last 8 bytes are the hit id, its value is in hits */
	bool other_sev, backward, started, done;
	uint64_t given;
	uint8_t key[WALK_KEY_MAX]; /* the last key visited, where the next chunk resumes */
	size_t key_len;
	uint8_t lo[WALK_KEY_MAX], hi[WALK_KEY_MAX]; /* the range of keys, inclusive */
	size_t lo_len, hi_len;
	struct store_scratch scratch;
};

static bool str_match(const char *want, const char *have)
{
	return !want || strcmp(want, have) == 0;
}

static bool hit_selected(const struct qwalk *w, const struct store_hit *h)
{
	const struct store_hit_query *q = w->q;
	if (!str_match(q->status, h->status) || !str_match(q->venue, h->venue) ||
	    !str_match(q->rule, h->rule) || !str_match(q->category, h->category) ||
	    !str_match(q->severity, h->severity))
		return false;
	if (h->first_seen < q->since || h->first_seen > q->until || (q->id && h->id != q->id))
		return false;
	if (w->other_sev)
		for (size_t i = 0; i < NSEV; i++)
			if (strcmp(h->severity, severities[i]) == 0)
				return false;
	return true;
}

static int keycmp(const MDB_val *k, const uint8_t *b, size_t blen)
{
	size_t n = k->mv_size < blen ? k->mv_size : blen;
	int c = memcmp(k->mv_data, b, n);
	if (c)
		return c;
	return k->mv_size < blen ? -1 : k->mv_size > blen;
}

/* Positions cur at the first key of the walk (or the one after w->key when resuming). */
static int qwalk_seek(struct qwalk *w, MDB_cursor *cur, MDB_val *k, MDB_val *v)
{
	const uint8_t *at = w->started ? w->key : (w->backward ? w->hi : w->lo);
	size_t at_len = w->started ? w->key_len : (w->backward ? w->hi_len : w->lo_len);
	*k = val_of(at, at_len);
	int mrc = mdb_cursor_get(cur, k, v, MDB_SET_RANGE);
	if (mrc && mrc != MDB_NOTFOUND)
		return store__mdb_err(mrc);
	if (!w->backward) {
		/* SET_RANGE gives the first key >= at; a resume skips the one it saw. */
		if (!mrc && w->started && keycmp(k, at, at_len) == 0)
			mrc = mdb_cursor_get(cur, k, v, MDB_NEXT);
	} else if (mrc == MDB_NOTFOUND) {
		mrc = mdb_cursor_get(cur, k, v, MDB_LAST);
	} else if (keycmp(k, at, at_len) > 0 || w->started) {
		mrc = mdb_cursor_get(cur, k, v, MDB_PREV);
	}
	return mrc == MDB_NOTFOUND ? ERR_NOT_FOUND : store__mdb_err(mrc);
}

/* The hit an index key names, read in the same transaction. */
static int qwalk_hit(struct qwalk *w, MDB_txn *txn, const MDB_val *k, const MDB_val *v,
		     struct store_hit *h)
{
	MDB_val hv = *v;
	uint8_t idk[8];
	if (w->id_tail) {
		if (k->mv_size < 17)
			return ERR_STORE;
		memcpy(idk, (const uint8_t *)k->mv_data + k->mv_size - 8, 8);
		MDB_val hk = val_of(idk, 8);
		int rc = store__mdb_err(mdb_get(txn, w->s->hits, &hk, &hv));
		if (rc)
			return rc == ERR_NOT_FOUND ? ERR_STORE
						   : rc; /* the index names a missing hit */
	} else {
		if (k->mv_size != 8)
			return ERR_STORE;
		memcpy(idk, k->mv_data, 8);
	}
	int rc = store__hit_decode(hv.mv_data, hv.mv_size, &w->scratch, h);
	h->id = get_be64(idk);
	return rc;
}

/* One chunk: a read transaction, at most QUERY_CHUNK keys, then the place is remembered. */
static int qwalk_chunk(struct qwalk *w)
{
	MDB_txn *txn = NULL;
	MDB_cursor *cur = NULL;
	MDB_val k, v;
	int rc = store__read_begin(w->s, &txn);
	if (!rc)
		rc = store__mdb_err(mdb_cursor_open(txn, w->dbi, &cur));
	if (!rc)
		rc = qwalk_seek(w, cur, &k, &v);
	for (int n = 0; !rc && n < QUERY_CHUNK; n++) {
		struct store_hit h;
		if (keycmp(&k, w->lo, w->lo_len) < 0 || keycmp(&k, w->hi, w->hi_len) > 0)
			break;
		if (k.mv_size > WALK_KEY_MAX)
			rc = ERR_STORE;
		if (!rc)
			rc = qwalk_hit(w, txn, &k, &v, &h);
		if (rc)
			break;
		memcpy(w->key, k.mv_data, k.mv_size);
		w->key_len = k.mv_size;
		w->started = true;
		if (hit_selected(w, &h)) {
			if ((rc = w->fn(&h, w->ud)))
				break;
			if (w->q->limit && ++w->given >= w->q->limit)
				break;
		}
		int mrc = mdb_cursor_get(cur, &k, &v, w->backward ? MDB_PREV : MDB_NEXT);
		rc = mrc == MDB_NOTFOUND ? ERR_NOT_FOUND : store__mdb_err(mrc);
		if (n + 1 == QUERY_CHUNK && !rc)
			goto out; /* more to read: the next chunk resumes after w->key */
	}
	w->done = true;
out:
	if (cur)
		mdb_cursor_close(cur);
	store__read_end(w->s, txn);
	return rc == ERR_NOT_FOUND ? 0 : rc;
}

/* The key range: status NUL since..until for the index, every id for hits. */
static void qwalk_range(struct qwalk *w)
{
	const struct store_hit_query *q = w->q;
	if (!q->status) {
		put_be64(w->lo, q->id ? q->id : q->min_id);
		put_be64(w->hi, q->id ? q->id : UINT64_MAX);
		w->lo_len = w->hi_len = 8;
		return;
	}
	if (idx_key(q->status, q->since, 0, w->lo, &w->lo_len) ||
	    idx_key(q->status, q->until, UINT64_MAX, w->hi, &w->hi_len)) {
		w->lo_len = 1; /* an impossible status: an empty range */
		w->lo[0] = 0xff;
		w->hi_len = 1;
		w->hi[0] = 0;
	}
}

static int qwalk_run(struct qwalk *w, uint64_t *given)
{
	const struct store_hit_query *q = w->q;
	int rc = 0;
	w->given = *given;
	store__scratch_init(&w->scratch);
	while (!rc && !w->done && !(q->limit && w->given >= q->limit))
		rc = qwalk_chunk(w);
	store__scratch_done(&w->scratch);
	*given = w->given;
	return rc;
}

static int query_pass(struct store *s, const struct store_hit_query *q, bool other_sev,
		      store_hit_fn fn, void *ud, uint64_t *given)
{
	struct qwalk w = {.s = s, .q = q, .fn = fn, .ud = ud, .other_sev = other_sev};
	w.backward = q->order != STORE_ORDER_OLDEST;
	w.dbi = q->status ? s->hits_by_status : s->hits;
	w.id_tail = q->status != NULL;
	qwalk_range(&w);
	return qwalk_run(&w, given);
}

int store_hits_by_page(struct store *s, const struct store_hit_query *q, store_hit_fn fn, void *ud)
{
	struct qwalk w = {.s = s, .q = q, .fn = fn, .ud = ud, .dbi = s->page_hits, .id_tail = true};
	uint64_t given = 0;
	memset(w.lo, 0, PAGE_KEY_LEN);
	memset(w.hi, 0xff, PAGE_KEY_LEN);
	w.lo_len = w.hi_len = PAGE_KEY_LEN;
	return qwalk_run(&w, &given);
}

int store_hits_query(struct store *s, const struct store_hit_query *q, store_hit_fn fn, void *ud)
{
	uint64_t given = 0;
	if (q->order != STORE_ORDER_SEVERITY || q->severity)
		return query_pass(s, q, false, fn, ud, &given);
	/* One newest-first pass per severity: constant memory, at the price of a walk each. */
	struct store_hit_query one = *q;
	int rc = 0;
	for (size_t i = 0; !rc && i <= NSEV && !(q->limit && given >= q->limit); i++) {
		one.severity = i < NSEV ? severities[i] : NULL;
		rc = query_pass(s, &one, i == NSEV, fn, ud, &given);
	}
	return rc;
}

bool store_review_status_valid(const char *status)
{
	static const char *const ok[] = {"new", "confirmed", "dismissed", "escalated"};
	for (size_t i = 0; status && i < sizeof(ok) / sizeof(ok[0]); i++)
		if (strcmp(status, ok[i]) == 0)
			return true;
	return false;
}

static int review_args_check(const char *status, const char *actor, const char *note)
{
	if (!store_review_status_valid(status) || !actor || !actor[0])
		return ERR_USAGE;
	if (strlen(actor) > STORE_NOTE_MAX || (note && strlen(note) > STORE_NOTE_MAX))
		return ERR_TOO_BIG;
	return 0;
}

int store_review_set(struct store_txn *txn, uint64_t id, const char *status, const char *actor,
		     const char *note, int64_t now, char ret_before[STORE_STATUS_MAX + 1])
{
	char before[STORE_STATUS_MAX + 1];
	uint8_t idk[8];
	MDB_val v;
	struct store_hit h;
	int rc = review_args_check(status, actor, note);
	if (rc)
		return rc;
	put_be64(idk, id);
	MDB_val k = val_of(idk, 8);
	rc = store__mdb_err(mdb_get(txn->txn, txn->s->hits, &k, &v));
	if (!rc)
		rc = store__hit_decode(v.mv_data, v.mv_size, &txn->dec, &h);
	if (rc)
		return rc;
	if (strlen(h.status) > STORE_STATUS_MAX)
		return ERR_STORE;
	strcpy(before, h.status);
	if (ret_before)
		strcpy(ret_before, before);
	bool same = strcmp(before, status) == 0;
	if (same && (!note || !note[0]))
		return 0;
	if (!same) {
		struct store_hit old = h;
		h.status = status;
		/* The analyst's word replaces the status a gone hit would get back; gone_at stays.
		 */
		if (strcmp(before, "gone") == 0)
			h.prior_status = "";
		rc = store__hit_encode(&h, &txn->enc);
		if (rc)
			return rc;
		v = val_of(txn->enc.data, txn->enc.len);
		rc = store__mdb_err(mdb_put(txn->txn, txn->s->hits, &k, &v, 0));
		if (!rc)
			rc = store__status_index(txn->s, txn->txn, id, &old, &h);
		if (rc)
			return rc;
	}
	struct store_audit_entry e = {.time = now,
				      .actor = actor,
				      .action = "review",
				      .hit = id,
				      .before = before,
				      .after = status,
				      .note = note};
	return store_audit_append(txn, &e);
}
