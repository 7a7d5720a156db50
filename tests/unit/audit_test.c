/* SPDX-License-Identifier: MIT */
/* Tests of the review side of index/: listing through hits_by_status (filters, orders, limits,
 * chunked reads), status changes and the audit chain they append to, and store_audit_verify
 * against a chain tampered with through LMDB directly (altered, inserted, removed, reordered
 * entries), each in a fresh temporary store.
 */
#include "common/digest.h"
#include "common/err.h"
#include "index/store.h"

#include <ftw.h>
#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "store_util.h"

static int setup(void **state)
{
	return store_fixture_setup_open(state, "audit");
}

/* n hits: hit i (from 1) first seen at 1000 + i, severity cycling through four values, rules
 * r0..r2, venues v0/v1. */
static void put_hits(struct store_fixture *f, int n)
{
	static const char *const sev[] = {"high", "low", "critical", "odd"};
	struct store_txn *t;
	assert_int_equal(store_write_begin(f->s, &t), 0);
	for (int i = 1; i <= n; i++) {
		char rule[16], url[64], match[32];
		snprintf(rule, sizeof(rule), "r%d", i % 3);
		snprintf(url, sizeof(url), "https://f.example/t/%d", i);
		snprintf(match, sizeof(match), "m%d", i);
		struct store_hit h = {.rule = rule,
				      .pack = "p",
				      .category = "fraud/x",
				      .severity = sev[i % 4],
				      .venue = i % 2 ? "v1" : "v0",
				      .url = url,
				      .field = "body",
				      .post = -1,
				      .match = match,
				      .snippet = match};
		uint64_t id;
		assert_int_equal(store_hit_put(t, &h, 1000 + i, &id, NULL), 0);
		assert_int_equal(id, (uint64_t)i);
	}
	assert_int_equal(store_write_commit(t), 0);
}

static void review(struct store_fixture *f, uint64_t id, const char *status, const char *note)
{
	struct store_txn *t;
	assert_int_equal(store_write_begin(f->s, &t), 0);
	assert_int_equal(store_review_set(t, id, status, "alice", note, 5000 + (int64_t)id, NULL),
			 0);
	assert_int_equal(store_write_commit(t), 0);
}

struct got {
	uint64_t ids[2048];
	char sev[2048][16];
	size_t n;
};

static int collect(const struct store_hit *h, void *ud)
{
	struct got *g = ud;
	if (g->n == sizeof(g->ids) / sizeof(g->ids[0]))
		return -1;
	snprintf(g->sev[g->n], sizeof(g->sev[0]), "%s", h->severity);
	g->ids[g->n++] = h->id;
	return 0;
}

static void query(struct store_fixture *f, const struct store_hit_query *q, struct got *g)
{
	g->n = 0;
	assert_int_equal(store_hits_query(f->s, q, collect, g), 0);
}

static void query_by_status(void **state)
{
	struct store_fixture *f = *state;
	struct store_hit_query q;
	static struct got g;
	put_hits(f, 1300); /* more than two chunks of a listing */
	review(f, 7, "confirmed", NULL);
	review(f, 9, "dismissed", "spam ad, not fraud");
	review(f, 1200, "confirmed", NULL);
	store_hit_query_init(&q);
	q.status = "new";
	q.limit = 50;
	query(f, &q, &g);
	assert_int_equal(g.n, 50);
	assert_int_equal(g.ids[0], 1300); /* newest first */
	assert_int_equal(g.ids[49], 1251);
	q.limit = 0;
	query(f, &q, &g);
	assert_int_equal(g.n, 1297);
	for (size_t i = 1; i < g.n; i++)
		assert_true(g.ids[i] < g.ids[i - 1]);
	q.status = "confirmed";
	q.order = STORE_ORDER_OLDEST;
	query(f, &q, &g);
	assert_int_equal(g.n, 2);
	assert_int_equal(g.ids[0], 7);
	assert_int_equal(g.ids[1], 1200);
	q.since = 1000 + 8; /* first_seen bounds, inclusive */
	query(f, &q, &g);
	assert_int_equal(g.n, 1);
	assert_int_equal(g.ids[0], 1200);
	q.status = "new";
	q.since = 1000 + 100;
	q.until = 1000 + 110;
	query(f, &q, &g);
	assert_int_equal(g.n, 11);
	assert_int_equal(g.ids[0], 100);
	q.status = "nosuch";
	query(f, &q, &g);
	assert_int_equal(g.n, 0);
}

static void query_filters_and_orders(void **state)
{
	struct store_fixture *f = *state;
	struct store_hit_query q;
	static struct got g;
	put_hits(f, 40);
	store_hit_query_init(&q);
	query(f, &q, &g);
	assert_int_equal(g.n, 40);
	assert_int_equal(g.ids[0], 40);
	q.order = STORE_ORDER_OLDEST;
	q.venue = "v0";
	q.rule = "r1";
	query(f, &q, &g); /* even i with i % 3 == 1: 4, 10, 16, 22, 28, 34, 40 */
	assert_int_equal(g.n, 7);
	assert_int_equal(g.ids[0], 4);
	assert_int_equal(g.ids[6], 40);
	store_hit_query_init(&q);
	q.order = STORE_ORDER_SEVERITY;
	query(f, &q, &g);
	assert_int_equal(g.n, 40);
	assert_string_equal(g.sev[0], "critical");
	assert_int_equal(g.ids[0], 38);
	assert_string_equal(g.sev[10], "high");
	assert_string_equal(g.sev[20], "low");
	assert_string_equal(g.sev[39], "odd");
	q.limit = 12;
	query(f, &q, &g);
	assert_int_equal(g.n, 12);
	assert_string_equal(g.sev[11], "high");
	q.limit = 0;
	q.severity = "low";
	q.category = "fraud/x";
	query(f, &q, &g);
	assert_int_equal(g.n, 10);
	q.category = "hoax/y";
	query(f, &q, &g);
	assert_int_equal(g.n, 0);
	store_hit_query_init(&q);
	q.id = 17;
	query(f, &q, &g);
	assert_int_equal(g.n, 1);
	assert_int_equal(g.ids[0], 17);
	q.id = 41;
	query(f, &q, &g);
	assert_int_equal(g.n, 0);
}

static void review_changes_and_audits(void **state)
{
	struct store_fixture *f = *state;
	struct store_txn *t;
	char before[STORE_STATUS_MAX + 1];
	put_hits(f, 3);
	assert_int_equal(store_write_begin(f->s, &t), 0);
	assert_int_equal(store_review_set(t, 2, "escalated", "bob", "to police", 77, before), 0);
	assert_string_equal(before, "new");
	assert_int_equal(store_review_set(t, 2, "escalated", "bob", NULL, 78, before), 0);
	assert_string_equal(before, "escalated");
	assert_int_equal(store_review_set(t, 2, "gone", "bob", NULL, 78, NULL), ERR_USAGE);
	assert_int_equal(store_review_set(t, 2, "new", "", NULL, 78, NULL), ERR_USAGE);
	assert_int_equal(store_review_set(t, 99, "new", "bob", NULL, 78, NULL), ERR_NOT_FOUND);
	assert_int_equal(store_write_commit(t), 0);
	review(f, 2, "confirmed", NULL);
	review(f, 3, "dismissed", NULL);
	/* An aborted change leaves neither the status nor an entry. */
	assert_int_equal(store_write_begin(f->s, &t), 0);
	assert_int_equal(store_review_set(t, 1, "confirmed", "eve", NULL, 9, NULL), 0);
	store_write_abort(t);
	struct store_hit_query q;
	static struct got g;
	store_hit_query_init(&q);
	q.status = "new";
	query(f, &q, &g);
	assert_int_equal(g.n, 1);
	assert_int_equal(g.ids[0], 1);
	uint64_t n = 0;
	uint8_t head[32];
	assert_int_equal(store_audit_verify(f->s, NULL, NULL, &n, head), 0);
	assert_int_equal(n, 3); /* the same status again without a note made no entry */
}

/* ---- tampering ---- */

struct problem {
	enum store_audit_problem what;
	uint64_t first, last, other;
};
struct problems {
	struct problem p[16];
	size_t n;
};

static int note_problem(enum store_audit_problem what, uint64_t first, uint64_t last,
			uint64_t other, void *ud)
{
	struct problems *ps = ud;
	if (ps->n < 16)
		ps->p[ps->n++] = (struct problem){what, first, last, other};
	return 0;
}

static void verify(struct store_fixture *f, struct problems *ps)
{
	ps->n = 0;
	assert_int_equal(store_audit_verify(f->s, note_problem, ps, NULL, NULL), 0);
}

static bool has(const struct problems *ps, enum store_audit_problem what, uint64_t first,
		uint64_t last)
{
	for (size_t i = 0; i < ps->n; i++)
		if (ps->p[i].what == what && ps->p[i].first == first && ps->p[i].last == last)
			return true;
	return false;
}

/* Six entries: hits 1-3 confirmed, then dismissed. */
static void chain(struct store_fixture *f)
{
	struct problems ps;
	put_hits(f, 3);
	for (uint64_t i = 1; i <= 3; i++)
		review(f, i, "confirmed", "first look");
	for (uint64_t i = 1; i <= 3; i++)
		review(f, i, "dismissed", NULL);
	verify(f, &ps);
	assert_int_equal(ps.n, 0);
}

/* The store closed, LMDB opened directly on its audit database. */
struct raw {
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;
};

static void raw_begin(struct store_fixture *f, struct raw *r)
{
	store_close(f->s);
	f->s = NULL;
	assert_int_equal(mdb_env_create(&r->env), 0);
	assert_int_equal(mdb_env_set_maxdbs(r->env, 64), 0);
	assert_int_equal(mdb_env_set_mapsize(r->env, (size_t)1 << 30), 0);
	assert_int_equal(mdb_env_open(r->env, f->dir, 0, 0600), 0);
	assert_int_equal(mdb_txn_begin(r->env, NULL, 0, &r->txn), 0);
	assert_int_equal(mdb_dbi_open(r->txn, "audit", 0, &r->dbi), 0);
}

static void raw_end(struct store_fixture *f, struct raw *r)
{
	assert_int_equal(mdb_txn_commit(r->txn), 0);
	mdb_env_close(r->env);
	store_fixture_reopen(f);
}

static MDB_val key_of(uint64_t seq, uint8_t k[8])
{
	for (int i = 0; i < 8; i++)
		k[i] = (uint8_t)(seq >> (8 * (7 - i)));
	return (MDB_val){.mv_size = 8, .mv_data = k};
}

/* A malloc'd copy of entry seq's value. */
static void *raw_get(struct raw *r, uint64_t seq, size_t *len)
{
	uint8_t kb[8];
	MDB_val k = key_of(seq, kb), v;
	assert_int_equal(mdb_get(r->txn, r->dbi, &k, &v), 0);
	void *p = malloc(v.mv_size);
	assert_non_null(p);
	memcpy(p, v.mv_data, v.mv_size);
	*len = v.mv_size;
	return p;
}

static void raw_put(struct raw *r, uint64_t seq, void *data, size_t len)
{
	uint8_t kb[8];
	MDB_val k = key_of(seq, kb), v = {.mv_size = len, .mv_data = data};
	assert_int_equal(mdb_put(r->txn, r->dbi, &k, &v, 0), 0);
}

static void raw_del(struct raw *r, uint64_t seq)
{
	uint8_t kb[8];
	MDB_val k = key_of(seq, kb);
	assert_int_equal(mdb_del(r->txn, r->dbi, &k, NULL), 0);
}

/* Changes "dismissed" in entry seq's after field to "confirmed" (same length: only the bytes). */
static void raw_alter(struct raw *r, uint64_t seq, const char *from, const char *to)
{
	size_t len;
	char *p = raw_get(r, seq, &len);
	char *at = memmem(p, len, from, strlen(from));
	assert_non_null(at);
	assert_int_equal(strlen(from), strlen(to));
	memcpy(at, to, strlen(to));
	raw_put(r, seq, p, len);
	free(p);
}

static void tamper_alter(void **state)
{
	struct store_fixture *f = *state;
	struct raw r;
	struct problems ps;
	chain(f);
	raw_begin(f, &r);
	raw_alter(&r, 3, "first look", "first LOOK");
	raw_end(f, &r);
	verify(f, &ps);
	assert_int_equal(ps.n, 1);
	assert_true(has(&ps, STORE_AUDIT_ALTERED, 3, 3));
	/* The last entry is chained by the head only. */
	raw_begin(f, &r);
	raw_alter(&r, 3, "first LOOK", "first look");
	raw_alter(&r, 6, "dismissed", "confirmd ");
	raw_end(f, &r);
	verify(f, &ps);
	assert_int_equal(ps.n, 1);
	assert_true(has(&ps, STORE_AUDIT_ALTERED, 6, 6));
	/* The first: its prev must be zeros, and entry 2 chains it. */
	raw_begin(f, &r);
	raw_alter(&r, 6, "confirmd ", "dismissed");
	raw_alter(&r, 1, "alice", "mallo");
	raw_end(f, &r);
	verify(f, &ps);
	assert_int_equal(ps.n, 1);
	assert_true(has(&ps, STORE_AUDIT_ALTERED, 1, 1));
}

static void tamper_remove(void **state)
{
	struct store_fixture *f = *state;
	struct raw r;
	struct problems ps;
	chain(f);
	raw_begin(f, &r);
	raw_del(&r, 3);
	raw_end(f, &r);
	verify(f, &ps);
	assert_int_equal(ps.n, 1);
	assert_true(has(&ps, STORE_AUDIT_REMOVED, 3, 3));
	raw_begin(f, &r);
	raw_del(&r, 6);
	raw_del(&r, 5);
	raw_end(f, &r);
	verify(f, &ps);
	assert_true(has(&ps, STORE_AUDIT_REMOVED, 3, 3));
	assert_true(has(&ps, STORE_AUDIT_REMOVED, 5, 6));
	assert_int_equal(ps.n, 2);
}

static void tamper_insert(void **state)
{
	struct store_fixture *f = *state;
	struct raw r;
	struct problems ps;
	size_t len;
	chain(f);
	/* Appended past the head: a copy of entry 6 as entry 7. */
	raw_begin(f, &r);
	void *p = raw_get(&r, 6, &len);
	raw_put(&r, 7, p, len);
	free(p);
	raw_end(f, &r);
	verify(f, &ps);
	assert_true(has(&ps, STORE_AUDIT_INSERTED, 7, 7));
	/* Put in the middle: 4..6 move up one, and a forged entry takes 4 (a copy of entry 3 with
	 * its sequence number rewritten, chained to entry 3 as a real one would be). */
	raw_begin(f, &r);
	raw_del(&r, 7);
	for (uint64_t s = 6; s >= 4; s--) {
		p = raw_get(&r, s, &len);
		raw_put(&r, s + 1, p, len);
		free(p);
	}
	p = raw_get(&r, 3, &len);
	assert_int_equal(digest_sha256(p, len, (uint8_t *)p + len - 32), 0); /* prev = H(3) */
	((unsigned char *)p)[1] = 4; /* seq, u64 LE right after the version byte */
	raw_put(&r, 4, p, len);
	free(p);
	raw_end(f, &r);
	verify(f, &ps);
	assert_true(has(&ps, STORE_AUDIT_MOVED, 5, 5)); /* the shifted ones hold their old seq */
	assert_true(has(&ps, STORE_AUDIT_MOVED, 7, 7));
	assert_true(has(&ps, STORE_AUDIT_INSERTED, 7, 7)); /* past the head */
}

static void tamper_reorder(void **state)
{
	struct store_fixture *f = *state;
	struct raw r;
	struct problems ps;
	size_t la, lb;
	chain(f);
	raw_begin(f, &r);
	void *a = raw_get(&r, 2, &la), *b = raw_get(&r, 3, &lb);
	raw_put(&r, 2, b, lb);
	raw_put(&r, 3, a, la);
	free(a);
	free(b);
	raw_end(f, &r);
	verify(f, &ps);
	assert_true(has(&ps, STORE_AUDIT_MOVED, 2, 2));
	assert_true(has(&ps, STORE_AUDIT_MOVED, 3, 3));
	/* Garbage is reported, not a crash. */
	raw_begin(f, &r);
	char garbage[] = "\x01garbage";
	raw_put(&r, 2, garbage, 8);
	raw_end(f, &r);
	verify(f, &ps);
	assert_true(has(&ps, STORE_AUDIT_CORRUPT, 2, 2));
}

/* A store whose hits_by_status is missing (written before it existed) gets it at open. */
static void status_index_built_at_open(void **state)
{
	struct store_fixture *f = *state;
	struct raw r;
	struct store_hit_query q;
	static struct got g;
	put_hits(f, 20);
	review(f, 5, "confirmed", NULL);
	raw_begin(f, &r);
	MDB_dbi idx, meta;
	assert_int_equal(mdb_dbi_open(r.txn, "hits_by_status", 0, &idx), 0);
	assert_int_equal(mdb_drop(r.txn, idx, 1), 0);
	assert_int_equal(mdb_dbi_open(r.txn, "meta", 0, &meta), 0);
	char name[] = "status_index";
	MDB_val k = {.mv_size = strlen(name), .mv_data = name};
	assert_int_equal(mdb_del(r.txn, meta, &k, NULL), 0);
	raw_end(f, &r);
	store_hit_query_init(&q);
	q.status = "new";
	query(f, &q, &g);
	assert_int_equal(g.n, 19);
	q.status = "confirmed";
	query(f, &q, &g);
	assert_int_equal(g.n, 1);
	assert_int_equal(g.ids[0], 5);
}

/* ---- purge ---- */

static void ev_store(struct store_fixture *f, const char *body, uint8_t digest[32])
{
	static const char head[] = "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n";
	struct store_txn *t;
	void *packed = NULL;
	size_t plen = 0;
	assert_int_equal(
		store_evidence_pack(head, strlen(head), body, strlen(body), &packed, &plen, digest),
		0);
	assert_int_equal(store_write_begin(f->s, &t), 0);
	assert_int_equal(store_evidence_put(t, digest, packed, plen), 0);
	assert_int_equal(store_write_commit(t), 0);
	free(packed);
}

static uint8_t snap_png_d[32];

/* A stand-in screenshot of the response under ev (its bytes need not be a PNG here). */
static void snap_store(struct store_fixture *f, const uint8_t ev[32], const char *png)
{
	struct store_snapshot snap = {.taken_at = 1, .width = 1, .height = 1, .bytes = strlen(png)};
	void *packed = NULL;
	size_t plen = 0;
	memcpy(snap.evidence, ev, 32);
	assert_int_equal(store_evidence_pack("", 0, png, strlen(png), &packed, &plen, snap.png), 0);
	assert_int_equal(store_snapshot_put(f->s, &snap, packed, plen), 0);
	if (strstr(png, "page D"))
		memcpy(snap_png_d, snap.png, 32);
	free(packed);
}

static uint64_t put_one(struct store_fixture *f, const char *url, const char *match, const uint8_t ev[32],
			int64_t seen)
{
	struct store_txn *t;
	struct store_page pg = {.url = url, .venue = "v", .fetched_at = seen, .status = 200};
	struct store_hit h = {.rule = "r",
			      .pack = "p",
			      .category = "c",
			      .severity = "high",
			      .venue = "v",
			      .url = url,
			      .field = "body",
			      .post = -1,
			      .match = match,
			      .snippet = match};
	uint64_t id;
	memcpy(h.evidence, ev, 32);
	assert_int_equal(store_write_begin(f->s, &t), 0);
	assert_int_equal(store_page_put(t, &pg), 0);
	assert_int_equal(store_hit_put(t, &h, seen, &id, NULL), 0);
	assert_int_equal(store_write_commit(t), 0);
	return id;
}

static bool has_ev(struct store_fixture *f, const uint8_t ev[32])
{
	char *data = NULL;
	size_t len;
	int rc = store_evidence_get(f->s, ev, &data, &len);
	free(data);
	assert_true(rc == 0 || rc == ERR_NOT_FOUND);
	return rc == 0;
}

static int nothing(const struct store_page *pg, void *ud)
{
	(void)pg;
	(void)ud;
	return 0;
}

static bool has_page(struct store_fixture *f, const char *url)
{
	return store_page_get(f->s, url, nothing, NULL) == 0;
}

static bool has_hit(struct store_fixture *f, uint64_t id)
{
	struct store_hit_query q;
	static struct got g;
	store_hit_query_init(&q);
	q.id = id;
	query(f, &q, &g);
	return g.n == 1;
}

static void purge_keeps_confirmed_and_escalated(void **state)
{
	struct store_fixture *f = *state;
	uint8_t ea[32], eb[32], ed[32];
	struct store_purge p = {.cutoff = 5000, .status = "dismissed"};
	ev_store(f, "<p>page A and C, the same bytes</p>", ea);
	ev_store(f, "<p>page B</p>", eb);
	ev_store(f, "<p>page D</p>", ed);
	uint64_t h1 = put_one(f, "https://x/a", "m1", ea, 1000); /* dismissed: goes */
	uint64_t h2 = put_one(f, "https://x/a", "m2", ea, 1000); /* confirmed: stays */
	uint64_t h3 = put_one(f, "https://x/b", "m3", eb, 1000); /* dismissed: goes, with B */
	uint64_t h4 = put_one(f, "https://x/c", "m4", ea, 1000); /* escalated: stays */
	uint64_t h5 = put_one(f, "https://x/d", "m5", ed, 1000); /* new: only without --status */
	uint64_t h6 = put_one(f, "https://x/e", "m6", eb, 9000); /* dismissed, seen lately */
	review(f, h1, "dismissed", NULL);
	review(f, h2, "confirmed", NULL);
	review(f, h3, "dismissed", NULL);
	review(f, h4, "escalated", NULL);
	review(f, h6, "dismissed", NULL);
	assert_int_equal(store_purge(f->s, &p), 0);
	assert_int_equal(p.hits, 2);
	assert_false(has_hit(f, h1));
	assert_false(has_hit(f, h3));
	assert_true(has_hit(f, h2) && has_hit(f, h4) && has_hit(f, h5) && has_hit(f, h6));
	assert_true(has_ev(f, ea)); /* confirmed h2 and escalated h4 need it */
	assert_true(has_ev(f, eb)); /* h6, on another page, needs the same bytes */
	assert_int_equal(p.bodies, 0);
	assert_false(has_page(f, "https://x/b"));
	assert_true(has_page(f, "https://x/a") && has_page(f, "https://x/d"));
	/* Without --status: every old hit but confirmed and escalated; D's screenshot goes with D. */
	snap_store(f, ed, "PNG of page D");
	snap_store(f, ea, "PNG of page A");
	p = (struct store_purge){.cutoff = 5000};
	assert_int_equal(store_purge(f->s, &p), 0);
	assert_int_equal(p.hits, 1);
	assert_int_equal(p.bodies, 1);
	assert_int_equal(p.pages, 1);
	assert_false(has_hit(f, h5));
	assert_false(has_ev(f, ed));
	struct store_snapshot snap;
	assert_int_equal(store_snapshot_get(f->s, ed, &snap), ERR_NOT_FOUND);
	assert_false(has_ev(f, snap_png_d));
	assert_int_equal(store_snapshot_get(f->s, ea, &snap), 0); /* A stays, and its PNG */
	assert_true(has_ev(f, snap.png));
	assert_false(has_page(f, "https://x/d"));
	assert_true(has_hit(f, h2) && has_hit(f, h4) && has_ev(f, ea));
	/* Even a cutoff in the far future keeps them. */
	p = (struct store_purge){.cutoff = INT64_MAX};
	assert_int_equal(store_purge(f->s, &p), 0);
	assert_true(has_hit(f, h2) && has_hit(f, h4) && has_ev(f, ea));
	assert_false(has_hit(f, h6));
	assert_false(has_ev(f, eb));
	struct problems ps;
	verify(f, &ps);
	assert_int_equal(ps.n, 0);
	struct store_hit_query q;
	static struct got g;
	store_hit_query_init(&q);
	q.status = "dismissed";
	query(f, &q, &g);
	assert_int_equal(g.n, 0); /* the status index lost them too */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(query_by_status, setup, store_fixture_teardown),
		cmocka_unit_test_setup_teardown(query_filters_and_orders, setup, store_fixture_teardown),
		cmocka_unit_test_setup_teardown(review_changes_and_audits, setup, store_fixture_teardown),
		cmocka_unit_test_setup_teardown(tamper_alter, setup, store_fixture_teardown),
		cmocka_unit_test_setup_teardown(tamper_remove, setup, store_fixture_teardown),
		cmocka_unit_test_setup_teardown(tamper_insert, setup, store_fixture_teardown),
		cmocka_unit_test_setup_teardown(tamper_reorder, setup, store_fixture_teardown),
		cmocka_unit_test_setup_teardown(status_index_built_at_open, setup, store_fixture_teardown),
		cmocka_unit_test_setup_teardown(purge_keeps_confirmed_and_escalated, setup,
						store_fixture_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
