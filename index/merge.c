/* SPDX-License-Identifier: MIT */
/* patrol merge: folds another store (src) into this one (dst), as shards crawled on several
 * machines are gathered into one review store (docs/alerts.md, "Merging stores").
 *
 * Pages: the later fetch wins. Responses (bodies): copied when dst lacks the digest. Hits: one per
 * identity (rule + URL + match): a hit dst lacks is inserted with dst's next id and src's fields;
 * one it has gets the earliest first_seen, the latest last_seen, the sum of the counts, and the
 * status (with its gone_at and prior status) of the more advanced review state. src's audit
 * chain is appended to dst's, entry by entry, each naming the source store, its sequence number
 * and hash, then one "merge" entry with src's chain head, so dst's chain stays one verifiable
 * chain and a source merged once is refused the second time. src is only read; dst is written in
 * transactions of MERGE_BATCH records, each walk of src in one read transaction.
 */
#include "common/digest.h"
#include "common/err.h"
#include "index/store_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MERGE_BATCH 256

struct merge {
	struct store *dst, *src;
	struct store_txn *txn; /* dst's, renewed every MERGE_BATCH records */
	size_t in_txn;
	struct store_scratch scratch; /* for dst records read */
	struct store_merge_report *r;
	uint64_t *map; /* pairs: src hit id, dst hit id, in src id order */
	size_t nmap, capmap;
	const char *name, *actor;
	char head_hex[DIGEST_HEX_LEN + 1];
};

/* Counts a record into the open write transaction, committing it when full. */
static int merge_step(struct merge *m)
{
	int rc = 0;
	if (!m->txn && (rc = store_write_begin(m->dst, &m->txn)) != 0)
		return rc;
	if (++m->in_txn < MERGE_BATCH)
		return 0;
	m->in_txn = 0;
	rc = store_write_commit(m->txn);
	m->txn = NULL;
	return rc;
}

static int merge_commit(struct merge *m)
{
	int rc = m->txn ? store_write_commit(m->txn) : 0;
	m->txn = NULL;
	m->in_txn = 0;
	return rc;
}

/* ---- pages and responses ---- */

static int merge_page(const MDB_val *k, const MDB_val *v, struct store_scratch *s, void *ctx)
{
	struct merge *m = ctx;
	struct store_page sp, dp;
	int rc = store__page_decode(v->mv_data, v->mv_size, s, &sp);
	if (!rc)
		rc = merge_step(m);
	if (rc)
		return rc;
	MDB_val key = *k, dv;
	rc = store__mdb_err(mdb_get(m->txn->txn, m->dst->pages, &key, &dv));
	if (rc == 0) {
		rc = store__page_decode(dv.mv_data, dv.mv_size, &m->scratch, &dp);
		if (rc || dp.fetched_at >= sp.fetched_at)
			return rc;
	} else if (rc != ERR_NOT_FOUND) {
		return rc;
	}
	rc = store_page_put(m->txn, &sp);
	m->r->pages += rc == 0;
	return rc;
}

static int merge_body(const MDB_val *k, const MDB_val *v, struct store_scratch *s, void *ctx)
{
	(void)s;
	struct merge *m = ctx;
	if (k->mv_size != DIGEST_LEN)
		return ERR_STORE;
	int rc = merge_step(m);
	if (rc)
		return rc;
	MDB_val key = *k, dv;
	rc = store__mdb_err(mdb_get(m->txn->txn, m->dst->bodies, &key, &dv));
	if (rc != ERR_NOT_FOUND)
		return rc;
	rc = store_evidence_put(m->txn, k->mv_data, v->mv_data, v->mv_size);
	m->r->bodies += rc == 0;
	return rc;
}

/* ---- hits ---- */

static int status_rank(const char *s)
{
	static const char *const order[] = {"gone", "new", "dismissed", "confirmed", "escalated"};
	for (int i = 0; i < 5; i++)
		if (strcmp(s, order[i]) == 0)
			return i;
	return 0;
}

static void id_key(uint64_t id, uint8_t out[8])
{
	for (int i = 0; i < 8; i++)
		out[i] = (uint8_t)(id >> (8 * (7 - i)));
}

/* dst's hit id as a record (strings in m->scratch). */
static int hit_read(struct merge *m, uint64_t id, struct store_hit *ret)
{
	uint8_t k8[8];
	id_key(id, k8);
	MDB_val k = {8, k8}, v;
	int rc = store__mdb_err(mdb_get(m->txn->txn, m->dst->hits, &k, &v));
	if (rc)
		return rc == ERR_NOT_FOUND ? ERR_STORE : rc;
	rc = store__hit_decode(v.mv_data, v.mv_size, &m->scratch, ret);
	ret->id = id;
	return rc;
}

static int hit_write(struct merge *m, const struct store_hit *old, const struct store_hit *h)
{
	uint8_t k8[8];
	int rc = store__hit_encode(h, &m->txn->enc);
	if (rc)
		return rc;
	id_key(h->id, k8);
	MDB_val k = {8, k8}, v = {m->txn->enc.len, m->txn->enc.data};
	rc = store__mdb_err(mdb_put(m->txn->txn, m->dst->hits, &k, &v, 0));
	return rc ? rc : store__status_index(m->dst, m->txn->txn, h->id, old, h);
}

/* The hit dst has (old), with src's sighting and review folded in. */
static struct store_hit hit_fold(const struct store_hit *old, const struct store_hit *src)
{
	struct store_hit h = *old;
	static const uint8_t zero[DIGEST_LEN];
	h.first_seen = src->first_seen < old->first_seen ? src->first_seen : old->first_seen;
	h.last_seen = src->last_seen > old->last_seen ? src->last_seen : old->last_seen;
	h.count = old->count > UINT64_MAX - src->count ? UINT64_MAX : old->count + src->count;
	if (status_rank(src->status) > status_rank(old->status)) {
		h.status = src->status;
		h.gone_at = src->gone_at;
		h.prior_status = src->prior_status;
	}
	if (memcmp(h.evidence, zero, DIGEST_LEN) == 0)
		memcpy(h.evidence, src->evidence, DIGEST_LEN);
	return h;
}

static int map_add(struct merge *m, uint64_t from, uint64_t to)
{
	if (m->nmap == m->capmap) {
		size_t cap = m->capmap ? m->capmap * 2 : 1024;
		uint64_t *p = realloc(m->map, cap * 2 * sizeof(*p));
		if (!p)
			return -ENOMEM;
		m->map = p;
		m->capmap = cap;
	}
	m->map[2 * m->nmap] = from;
	m->map[2 * m->nmap + 1] = to;
	m->nmap++;
	return 0;
}

/* The id of dst's hit with identity ident in the open transaction; 0 when it has none. */
static int hit_find(struct merge *m, const uint8_t ident[DIGEST_LEN], uint64_t *ret_id)
{
	MDB_val k = {DIGEST_LEN, (void *)ident}, v;
	int rc = store__mdb_err(mdb_get(m->txn->txn, m->dst->hit_keys, &k, &v));
	*ret_id = 0;
	if (rc == ERR_NOT_FOUND)
		return 0;
	if (!rc && v.mv_size != 8)
		rc = ERR_STORE;
	for (size_t i = 0; !rc && i < 8; i++)
		*ret_id = *ret_id << 8 | ((const uint8_t *)v.mv_data)[i];
	return rc;
}

static int merge_hit(const struct store_hit *src, void *ud)
{
	struct merge *m = ud;
	uint8_t ident[DIGEST_LEN];
	uint64_t id = 0;
	struct store_hit old, h;
	int rc = store__hit_identity(src, ident);
	if (!rc)
		rc = merge_step(m);
	if (!rc)
		rc = hit_find(m, ident, &id);
	if (!rc && id == 0) { /* new here: inserted (page_hits, hit_keys), then src's record */
		rc = store_hit_put(m->txn, src, src->first_seen, &id, NULL);
		if (!rc && (rc = hit_read(m, id, &old)) == 0) {
			h = *src;
			h.id = id;
			rc = hit_write(m, &old, &h);
		}
		m->r->hits_new += rc == 0;
	} else if (!rc) {
		if ((rc = hit_read(m, id, &old)) == 0) {
			h = hit_fold(&old, src);
			rc = hit_write(m, &old, &h);
		}
		m->r->hits_merged += rc == 0;
	}
	return rc ? rc : map_add(m, src->id, id);
}

/* ---- the audit chain ---- */

static uint64_t map_find(const struct merge *m, uint64_t from)
{
	size_t lo = 0, hi = m->nmap;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (m->map[2 * mid] == from)
			return m->map[2 * mid + 1];
		if (m->map[2 * mid] < from)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

static int merge_audit(const struct store_audit_entry *e, void *ud)
{
	struct merge *m = ud;
	char hash[DIGEST_HEX_LEN + 1], *note = NULL;
	digest_hex(e->hash, hash);
	if (asprintf(&note, "merged from %s, entry %llu, sha256 %s%s%s", m->name,
		     (unsigned long long)e->seq, hash, e->note[0] ? ": " : "", e->note) < 0)
		return -ENOMEM;
	struct store_audit_entry x = *e;
	x.hit = e->hit ? map_find(m, e->hit) : 0;
	x.note = note;
	if (strlen(note) > STORE_NOTE_MAX)
		note[STORE_NOTE_MAX] = '\0'; /* a long note loses its end, never the provenance */
	int rc = merge_step(m);
	if (!rc)
		rc = store_audit_append(m->txn, &x);
	m->r->audit += rc == 0;
	free(note);
	return rc;
}

/* Refuses a source whose chain does not verify, and one whose head dst has merged already. */
static int audit_check_fn(enum store_audit_problem what, uint64_t first, uint64_t last,
			  uint64_t other, void *ud)
{
	(void)what, (void)first, (void)last, (void)other, (void)ud;
	return ERR_STORE;
}

static int seen_merge(const struct store_audit_entry *e, void *ud)
{
	const struct merge *m = ud;
	return strcmp(e->action, "merge") == 0 && strstr(e->note, m->head_hex) ? 1 : 0;
}

static int merge_begin(struct merge *m)
{
	uint8_t head[DIGEST_LEN];
	uint64_t n = 0;
	int rc = store_audit_verify(m->src, audit_check_fn, NULL, &n, head);
	if (rc)
		return rc == ERR_STORE ? ERR_SCHEMA : rc; /* the source's chain is broken */
	digest_hex(head, m->head_hex);
	if (n == 0) /* an empty chain: tell sources apart by their directory */
		snprintf(m->head_hex, sizeof(m->head_hex), "(no audit entries)");
	rc = n ? store_audit_each(m->dst, 0, seen_merge, m) : 0;
	return rc == 1 ? -EALREADY : rc;
}

int store_merge(struct store *dst, struct store *src, const char *src_name, const char *actor,
		int64_t now, struct store_merge_report *ret)
{
	struct store_merge_report r = {0};
	struct merge m = {.dst = dst, .src = src, .r = &r, .name = src_name, .actor = actor};
	if (!dst || !src || dst == src || !src_name || !actor || !actor[0])
		return ERR_USAGE;
	store__scratch_init(&m.scratch);
	/* Each walk holds a read transaction on src and opens write transactions on dst inside
	 * it; the write transaction is committed before the next walk begins, so the two stores'
	 * locks are always taken in that order (src, then dst), never the other way round. */
	int rc = merge_begin(&m);
	if (!rc)
		rc = store__walk(src, src->bodies, merge_body, &m);
	if (!rc)
		rc = merge_commit(&m);
	if (!rc)
		rc = store__walk(src, src->pages, merge_page, &m);
	if (!rc)
		rc = merge_commit(&m);
	if (!rc)
		rc = store_hits_each(src, merge_hit, &m);
	if (!rc)
		rc = merge_commit(&m);
	if (!rc)
		rc = store_audit_each(src, 0, merge_audit, &m);
	char note[512];
	snprintf(note, sizeof(note),
		 "merged %s (audit head %s): %llu new hits, %llu merged, %llu responses, "
		 "%llu pages, %llu audit entries",
		 src_name, m.head_hex, (unsigned long long)r.hits_new,
		 (unsigned long long)r.hits_merged, (unsigned long long)r.bodies,
		 (unsigned long long)r.pages, (unsigned long long)r.audit);
	struct store_audit_entry e = {.time = now, .actor = actor, .action = "merge", .note = note};
	if (!rc && (rc = merge_step(&m)) == 0)
		rc = store_audit_append(m.txn, &e);
	if (rc)
		store_write_abort(m.txn);
	else
		rc = merge_commit(&m);
	store__scratch_done(&m.scratch);
	free(m.map);
	if (ret)
		*ret = r;
	return rc;
}
