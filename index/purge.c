/* SPDX-License-Identifier: MIT */
/* Housekeeping: store_purge removes hits not seen for a while (never a confirmed or escalated
 * one), then the evidence no remaining hit names, then old pages no remaining hit is on
 * (docs/review.md, Purge). Each step reads in chunks and deletes in write transactions of at
 * most PURGE_BATCH records, so memory stays bounded and a crawl can go on meanwhile; a purge cut
 * short leaves a consistent store, and running it again finishes the job.
 */
#include "index/store.h"

#include "common/digest.h"
#include "common/err.h"
#include "index/store_int.h"

#include <errno.h>
#include <lmdb.h>
#include <stdlib.h>
#include <string.h>

#define PURGE_BATCH   2048  /* records deleted per write transaction */
#define PURGE_DIGESTS 65536 /* evidence candidates checked per walk over the hits (2 MiB) */

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

/* What a purge may remove: never an analyst's confirmed or escalated finding. */
static bool purgeable(const struct store_purge *p, const struct store_hit *h)
{
	if (strcmp(h->status, "confirmed") == 0 || strcmp(h->status, "escalated") == 0)
		return false;
	if (p->status && strcmp(h->status, p->status) != 0)
		return false;
	return h->last_seen < p->cutoff;
}

struct purge_run {
	struct store *s;
	struct store_purge *p;
	uint64_t ids[PURGE_BATCH];
	size_t n;
	uint64_t next_id;		/* where the walk over hits resumes */
	uint8_t (*digests)[DIGEST_LEN]; /* evidence of purged hits: candidates */
	size_t nd;
};

static int collect_hit(const struct store_hit *h, void *ud)
{
	struct purge_run *r = ud;
	r->next_id = h->id + 1;
	if (!purgeable(r->p, h))
		return 0;
	r->ids[r->n++] = h->id;
	return r->n == PURGE_BATCH ? 1 : 0; /* a full batch: delete it, then go on */
}

/* The keys a hit owns besides its record: hit_keys (docs/storage.md: SHA-256 of rule NUL url
 * NUL match), page_hits (SHA-256 of the URL, id) and hits_by_status. */
static int hit_delete_keys(struct store_txn *t, uint64_t id, const struct store_hit *h)
{
	uint8_t ident[DIGEST_LEN], ph[DIGEST_LEN + 8];
	struct digest_part parts[] = {
		{h->rule, strlen(h->rule) + 1},
		{h->url, strlen(h->url) + 1},
		{h->match, strlen(h->match)},
	};
	int rc = digest_sha256_parts(parts, 3, ident);
	if (!rc)
		rc = digest_sha256(h->url, strlen(h->url), ph);
	if (rc)
		return rc;
	put_be64(ph + DIGEST_LEN, id);
	MDB_val ik = val_of(ident, sizeof(ident)), pk = val_of(ph, sizeof(ph));
	rc = store__mdb_err(mdb_del(t->txn, t->s->hit_keys, &ik, NULL));
	if (!rc || rc == ERR_NOT_FOUND)
		rc = store__mdb_err(mdb_del(t->txn, t->s->page_hits, &pk, NULL));
	if (!rc || rc == ERR_NOT_FOUND)
		rc = store__status_index(t->s, t->txn, id, h, NULL);
	return rc == ERR_NOT_FOUND ? 0 : rc;
}

static int hit_delete(struct purge_run *r, struct store_txn *t, uint64_t id)
{
	static const uint8_t zero[DIGEST_LEN];
	uint8_t k8[8];
	struct store_hit h;
	MDB_val v;
	put_be64(k8, id);
	MDB_val k = val_of(k8, 8);
	int rc = store__mdb_err(mdb_get(t->txn, t->s->hits, &k, &v));
	if (rc == ERR_NOT_FOUND)
		return 0; /* gone since the walk saw it */
	if (!rc)
		rc = store__hit_decode(v.mv_data, v.mv_size, &t->dec, &h);
	if (rc || !purgeable(r->p, &h))
		return rc; /* reviewed or seen again since the walk: kept */
	if (memcmp(h.evidence, zero, DIGEST_LEN) != 0 && r->nd < PURGE_DIGESTS)
		memcpy(r->digests[r->nd++], h.evidence, DIGEST_LEN);
	rc = hit_delete_keys(t, id, &h);
	if (!rc)
		rc = store__mdb_err(mdb_del(t->txn, t->s->hits, &k, NULL));
	if (!rc)
		r->p->hits++;
	return rc;
}

/* Deletes the collected hits in one write transaction; a full map (-ENOSPC) grows it and the
 * batch runs again, from the counts it started with. */
static int delete_batch(struct purge_run *r)
{
	size_t nd = r->nd;
	uint64_t hits = r->p->hits;
	int rc = -ENOSPC;
	for (int tries = 0; rc == -ENOSPC && tries < 4; tries++) {
		struct store_txn *t = NULL;
		if (tries && (rc = store_grow(r->s)))
			break;
		r->nd = nd;
		r->p->hits = hits;
		rc = store_write_begin(r->s, &t);
		for (size_t i = 0; !rc && i < r->n; i++)
			rc = hit_delete(r, t, r->ids[i]);
		if (rc)
			store_write_abort(t);
		else
			rc = store_write_commit(t);
	}
	r->n = 0;
	return rc;
}

static int cmp_digest(const void *a, const void *b)
{
	return memcmp(a, b, DIGEST_LEN);
}

/* Drops from the candidates every digest a remaining hit still names. */
static int keep_needed(const struct store_hit *h, void *ud)
{
	struct purge_run *r = ud;
	uint8_t(*at)[DIGEST_LEN] = bsearch(h->evidence, r->digests, r->nd, DIGEST_LEN, cmp_digest);
	if (at)
		memset(*at, 0, DIGEST_LEN); /* zeros: kept (no body has the zero digest) */
	return 0;
}

static int bodies_sweep(struct purge_run *r)
{
	static const uint8_t zero[DIGEST_LEN];
	struct store_hit_query q;
	struct store_txn *t = NULL;
	qsort(r->digests, r->nd, DIGEST_LEN, cmp_digest);
	store_hit_query_init(&q);
	int rc = store_hits_query(r->s, &q, keep_needed, r);
	for (size_t i = 0; !rc && i < r->nd; i++) {
		if (memcmp(r->digests[i], zero, DIGEST_LEN) == 0 ||
		    (i && memcmp(r->digests[i], r->digests[i - 1], DIGEST_LEN) == 0))
			continue;
		if (!t && (rc = store_write_begin(r->s, &t)))
			break;
		MDB_val k = val_of(r->digests[i], DIGEST_LEN);
		rc = store__snapshot_drop(r->s, t->txn, r->digests[i]);
		if (!rc)
			rc = store__mdb_err(mdb_del(t->txn, r->s->bodies, &k, NULL));
		if (!rc && ++r->p->bodies % PURGE_BATCH == 0) {
			rc = store_write_commit(t); /* keep each transaction small */
			t = NULL;
		}
		rc = rc == ERR_NOT_FOUND ? 0 : rc;
	}
	if (t && rc)
		store_write_abort(t);
	else if (t)
		rc = store_write_commit(t);
	r->nd = 0;
	return rc;
}

/* Hits, and the evidence of those removed, in rounds of PURGE_BATCH hits. */
static int purge_hits(struct purge_run *r)
{
	struct store_hit_query q;
	int rc = 0;
	store_hit_query_init(&q);
	q.order = STORE_ORDER_OLDEST;
	q.status = NULL; /* by id: the status index would move under the deletions */
	r->next_id = 1;
	for (;;) {
		q.min_id = r->next_id;
		uint64_t before = r->next_id;
		rc = store_hits_query(r->s, &q, collect_hit, r);
		if (rc < 0)
			return rc;
		if ((rc = delete_batch(r)))
			return rc;
		if (r->nd > PURGE_DIGESTS - PURGE_BATCH && (rc = bodies_sweep(r)))
			return rc;
		if (r->next_id == before)
			break; /* the walk saw nothing more */
	}
	return r->nd ? bodies_sweep(r) : 0;
}

/* Up to PURGE_BATCH keys of old pages without hits, from after key[0..*klen) on (the first
 * chunk when *klen is 0), in one read transaction. *ret_more: the walk is not over. */
static int pages_chunk(struct store *s, const struct store_purge *p, uint8_t key[DIGEST_LEN],
		       bool *started, uint8_t (*out)[DIGEST_LEN], size_t *ret_n, bool *ret_more)
{
	MDB_txn *txn = NULL;
	MDB_cursor *cur = NULL, *ph = NULL;
	struct store_scratch scratch;
	MDB_val k = val_of(key, DIGEST_LEN), v, hk, hv;
	size_t n = 0;
	store__scratch_init(&scratch);
	int rc = store__read_begin(s, &txn);
	if (!rc)
		rc = store__mdb_err(mdb_cursor_open(txn, s->pages, &cur));
	if (!rc)
		rc = store__mdb_err(mdb_cursor_open(txn, s->page_hits, &ph));
	int mrc = rc ? MDB_NOTFOUND
		     : mdb_cursor_get(cur, &k, &v, *started ? MDB_SET_RANGE : MDB_FIRST);
	if (!mrc && *started && k.mv_size == DIGEST_LEN && memcmp(k.mv_data, key, DIGEST_LEN) == 0)
		mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
	*ret_more = false;
	for (; !rc && !mrc; mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		struct store_page pg;
		if (k.mv_size != DIGEST_LEN ||
		    (rc = store__page_decode(v.mv_data, v.mv_size, &scratch, &pg)))
			break;
		memcpy(key, k.mv_data, DIGEST_LEN);
		*started = true;
		hk = k;
		int hrc = mdb_cursor_get(ph, &hk, &hv, MDB_SET_RANGE);
		bool has_hits = !hrc && hk.mv_size >= DIGEST_LEN &&
				memcmp(hk.mv_data, k.mv_data, DIGEST_LEN) == 0;
		if (pg.fetched_at < p->cutoff && !has_hits)
			memcpy(out[n++], k.mv_data, DIGEST_LEN);
		if (n == PURGE_BATCH) {
			*ret_more = true;
			break;
		}
	}
	if (!rc && mrc && mrc != MDB_NOTFOUND)
		rc = store__mdb_err(mrc);
	if (k.mv_size != DIGEST_LEN && !rc && !mrc)
		rc = ERR_STORE;
	if (ph)
		mdb_cursor_close(ph);
	if (cur)
		mdb_cursor_close(cur);
	store__read_end(s, txn);
	store__scratch_done(&scratch);
	*ret_n = n;
	return rc;
}

/* Pages fetched before the cutoff that no remaining hit is on (no page_hits key under their
 * URL's SHA-256, the key of pages too). Their evidence went with their hits. */
static int purge_pages(struct store *s, struct store_purge *p)
{
	uint8_t key[DIGEST_LEN] = {0},
		(*keys)[DIGEST_LEN] = malloc((size_t)PURGE_BATCH * DIGEST_LEN);
	bool started = false, more = true;
	int rc = keys ? 0 : -ENOMEM;
	while (!rc && more) {
		size_t n = 0;
		struct store_txn *t = NULL;
		rc = pages_chunk(s, p, key, &started, keys, &n, &more);
		if (!rc && n)
			rc = store_write_begin(s, &t);
		for (size_t i = 0; !rc && i < n; i++) {
			MDB_val k = val_of(keys[i], DIGEST_LEN);
			rc = store__mdb_err(mdb_del(t->txn, s->pages, &k, NULL));
			if (!rc)
				p->pages++;
			rc = rc == ERR_NOT_FOUND ? 0 : rc;
		}
		if (t && rc)
			store_write_abort(t);
		else if (t)
			rc = store_write_commit(t);
	}
	free(keys);
	return rc;
}

int store_purge(struct store *s, struct store_purge *p)
{
	struct purge_run *r = calloc(1, sizeof(*r));
	int rc = -ENOMEM;
	if (r && (r->digests = malloc((size_t)PURGE_DIGESTS * DIGEST_LEN))) {
		r->s = s;
		r->p = p;
		p->hits = p->bodies = p->pages = 0;
		rc = purge_hits(r);
		if (!rc)
			rc = purge_pages(s, p);
	}
	if (r)
		free(r->digests);
	free(r);
	return rc;
}
