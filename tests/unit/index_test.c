/* SPDX-License-Identifier: MIT */
/* Tests of index/: the record codec against truncated and malformed records, and the store
 * against a real LMDB environment in a fresh temporary directory per test. Where a test needs a
 * store state the API cannot make (a newer schema, a corrupt value, a changed status), it writes
 * it with raw LMDB calls while the store is closed (LMDB allows one open handle per process).
 */
#include "common/buf.h"
#include "common/digest.h"
#include "common/err.h"
#include "index/store.h"
#include "index/store_int.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <lmdb.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "store_util.h"

static int setup(void **state)
{
	return store_fixture_setup(state, "index");
}

/* Raw LMDB access to the store's environment, for states the API cannot make. */
struct raw {
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;
};

static void raw_begin(struct raw *r, const char *dir, const char *db)
{
	assert_int_equal(mdb_env_create(&r->env), 0);
	assert_int_equal(mdb_env_set_maxdbs(r->env, 16), 0);
	assert_int_equal(mdb_env_set_mapsize(r->env, (size_t)1 << 30), 0);
	assert_int_equal(mdb_env_open(r->env, dir, 0, 0600), 0);
	assert_int_equal(mdb_txn_begin(r->env, NULL, 0, &r->txn), 0);
	assert_int_equal(mdb_dbi_open(r->txn, db, 0, &r->dbi), 0);
}

static void raw_put(struct raw *r, const void *k, size_t klen, const void *v, size_t vlen)
{
	MDB_val key = {klen, (void *)k}, val = {vlen, (void *)v};
	assert_int_equal(mdb_put(r->txn, r->dbi, &key, &val, 0), 0);
}

static void raw_end(struct raw *r)
{
	assert_int_equal(mdb_txn_commit(r->txn), 0);
	mdb_env_close(r->env);
}

static void raw_put_once(const char *dir, const char *db, const void *k, size_t klen, const void *v,
			 size_t vlen)
{
	struct raw r;
	raw_begin(&r, dir, db);
	raw_put(&r, k, klen, v, vlen);
	raw_end(&r);
}

static void id_key(uint64_t id, uint8_t out[8])
{
	for (int i = 0; i < 8; i++)
		out[i] = (uint8_t)(id >> (8 * (7 - i)));
}

static struct store_page sample_page(const char *url)
{
	struct store_page p = {
		.url = url,
		.venue = "forum-a",
		.fetched_at = 1795000000,
		.status = 200,
		.content_type = "text/html",
		.title = "Caf\xc3\xa9 news",
		.charset = "utf-8",
		.bytes = 12345,
		.canonical = "https://a.example/canonical",
	};
	for (int i = 0; i < 32; i++)
		p.body_digest[i] = (uint8_t)(i * 7 + 1);
	return p;
}

static const struct store_hit_span sample_spans[] = {
	{"iban", "post", 3, 12, 26, "DE89 3704 0044"},
	{"urgency", "title", -1, 0, 6, "紧急"},
};

static struct store_hit sample_hit(const char *match)
{
	struct store_hit h = {
		.id = 999,
		.rule = "fraud.iban",
		.pack = "finance",
		.category = "fraud",
		.severity = "high",
		.venue = "forum-a",
		.url = "https://forum.example/t/1",
		.field = "post",
		.post = 3,
		.match = match,
		.snippet = "... send to DE89 ...",
		.status = "confirmed", /* ignored on insert */
		.first_seen = 1,
		.last_seen = 2,
		.count = 77,
		.start = 12,
		.end = 26,
		.post_author = "seller88",
		.post_time = "2026-11-02 10:31",
		.spans = sample_spans,
		.nspans = 2,
	};
	return h;
}

static uint64_t put_hit(struct store *s, const struct store_hit *h, int64_t at, bool *ret_new)
{
	struct store_txn *t;
	uint64_t id = 0;
	assert_int_equal(store_write_begin(s, &t), 0);
	assert_int_equal(store_hit_put(t, h, at, &id, ret_new), 0);
	assert_int_equal(store_write_commit(t), 0);
	return id;
}

/* Copies of walked hits, kept after the walk. */
#define MAX_KEPT 16
struct kept_hits {
	size_t n;
	struct store_hit h[MAX_KEPT];
	char text[MAX_KEPT][7][64]; /* rule, url, match, status, snippet, field, venue */
};

static const char *keep(char *dst, const char *src)
{
	snprintf(dst, 64, "%s", src);
	return dst;
}

static int keep_hit(const struct store_hit *hit, void *ud)
{
	struct kept_hits *k = ud;
	if (k->n == MAX_KEPT)
		return -E2BIG;
	struct store_hit *h = &k->h[k->n];
	char(*t)[64] = k->text[k->n];
	*h = *hit;
	h->rule = keep(t[0], hit->rule);
	h->url = keep(t[1], hit->url);
	h->match = keep(t[2], hit->match);
	h->status = keep(t[3], hit->status);
	h->snippet = keep(t[4], hit->snippet);
	h->field = keep(t[5], hit->field);
	h->venue = keep(t[6], hit->venue);
	h->pack = h->category = h->severity = NULL;
	k->n++;
	return 0;
}

static void walk_hits(struct store *s, struct kept_hits *k)
{
	memset(k, 0, sizeof(*k));
	assert_int_equal(store_hits_each(s, keep_hit, k), 0);
}

/* ---- codec ---- */

static void test_codec_truncated_and_malformed(void **state)
{
	(void)state;
	struct buf b;
	struct store_scratch sc;
	struct store_hit h = sample_hit("DE89"), out;
	buf_init(&b, STORE_REC_MAX);
	store__scratch_init(&sc);
	assert_int_equal(store__hit_encode(&h, &b), 0);
	size_t len = b.len;
	uint8_t *rec = malloc(len + 1);
	memcpy(rec, b.data, len);

	/* Every proper prefix is corrupt; a copy of just that size lets ASan see any overread. */
	for (size_t n = 0; n < len; n++) {
		uint8_t *cut = malloc(n ? n : 1);
		memcpy(cut, rec, n);
		assert_int_equal(store__hit_decode(cut, n, &sc, &out), ERR_STORE);
		free(cut);
	}
	rec[len] = 0;
	assert_int_equal(store__hit_decode(rec, len + 1, &sc, &out), ERR_STORE); /* trailing */
	assert_int_equal(store__hit_decode(rec, len, &sc, &out), 0);
	assert_string_equal(out.snippet, "... send to DE89 ...");
	assert_true(out.start == 12 && out.end == 26);
	assert_string_equal(out.post_author, "seller88");
	assert_string_equal(out.post_time, "2026-11-02 10:31");
	assert_int_equal(out.nspans, 2);
	assert_string_equal(out.spans[0].pattern, "iban");
	assert_string_equal(out.spans[1].field, "title");
	assert_true(out.spans[1].post == -1 && out.spans[0].post == 3);
	assert_true(out.spans[0].start == 12 && out.spans[0].end == 26);
	assert_string_equal(out.spans[0].text, "DE89 3704 0044");
	assert_string_equal(out.spans[1].text, "紧急");

	/* A span count the record cannot hold, and one above the cap, are refused. */
	size_t spans_len = 0;
	for (size_t i = 0; i < 2; i++)
		spans_len += 12 + strlen(sample_spans[i].pattern) + strlen(sample_spans[i].field) +
			     strlen(sample_spans[i].text) + 24;
	uint8_t *count = rec + len - spans_len - 4;
	assert_int_equal(count[0], 2);
	count[0] = 3;
	assert_int_equal(store__hit_decode(rec, len, &sc, &out), ERR_STORE);
	memset(count, 0xff, 4);
	assert_int_equal(store__hit_decode(rec, len, &sc, &out), ERR_STORE);
	memset(count, 0, 4), count[0] = 2;

	/* Version 3 (spans without their text) is still read: one span whose text is empty, whose
	 * 4-byte length ends the record, is a version 3 record once those bytes and the version go. */
	struct store_hit_span one = {"iban", "post", 3, 12, 26, ""};
	h.spans = &one, h.nspans = 1;
	assert_int_equal(store__hit_encode(&h, &b), 0);
	b.data[0] = 3;
	assert_int_equal(store__hit_decode(b.data, b.len - 4, &sc, &out), 0);
	assert_int_equal(out.nspans, 1);
	assert_string_equal(out.spans[0].pattern, "iban");
	assert_string_equal(out.spans[0].text, "");

	rec[0] = STORE_HIT_REC_VERSION + 1;
	assert_int_equal(store__hit_decode(rec, len, &sc, &out), ERR_STORE);
	rec[0] = STORE_HIT_REC_VERSION;
	memset(rec + 1, 0xff, 4); /* the first string's length: 4 GiB */
	assert_int_equal(store__hit_decode(rec, len, &sc, &out), ERR_STORE);
	rec[1] = 1, rec[2] = rec[3] = rec[4] = 0, rec[5] = '\0'; /* a NUL inside a string */
	assert_int_equal(store__hit_decode(rec, len, &sc, &out), ERR_STORE);

	free(rec);
	buf_done(&b);
	store__scratch_done(&sc);
}

static void test_codec_page_exact(void **state)
{
	(void)state;
	struct buf b;
	struct store_scratch sc;
	struct store_page p = sample_page("https://a.example/"), out;
	p.status = -1;
	p.fetched_at = -5;
	p.bytes = UINT64_MAX;
	p.title = NULL;
	buf_init(&b, STORE_REC_MAX);
	store__scratch_init(&sc);
	assert_int_equal(store__page_encode(&p, &b), 0);
	assert_int_equal(store__page_decode(b.data, b.len, &sc, &out), 0);
	assert_string_equal(out.url, "https://a.example/");
	assert_string_equal(out.title, "");
	assert_string_equal(out.canonical, "https://a.example/canonical");
	assert_int_equal(out.status, -1);
	assert_true(out.fetched_at == -5);
	assert_true(out.bytes == UINT64_MAX);
	assert_memory_equal(out.body_digest, p.body_digest, 32);
	for (size_t n = 0; n < b.len; n++)
		assert_int_equal(store__page_decode(b.data, n, &sc, &out), ERR_STORE);
	/* Version 1, as schemas 1 and 2 wrote it: no canonical field, read as "". */
	size_t v1 = b.len - 4 - strlen(p.canonical);
	b.data[0] = 1;
	assert_int_equal(store__page_decode(b.data, v1, &sc, &out), 0);
	assert_string_equal(out.canonical, "");
	assert_string_equal(out.url, "https://a.example/");
	assert_int_equal(store__page_decode(b.data, b.len, &sc, &out), ERR_STORE); /* too long */
	b.data[0] = 3;
	assert_int_equal(store__page_decode(b.data, b.len, &sc, &out), ERR_STORE);
	buf_done(&b);
	store__scratch_done(&sc);
}

/* ---- pages ---- */

struct kept_pages {
	size_t n;
	char url[4][64], title[4][64], venue[4][64], ctype[4][64], charset[4][64], canon[4][64];
	struct store_page p[4];
};

static int keep_page(const struct store_page *page, void *ud)
{
	struct kept_pages *k = ud;
	if (k->n == 4)
		return -E2BIG;
	k->p[k->n] = *page;
	k->p[k->n].url = keep(k->url[k->n], page->url);
	k->p[k->n].title = keep(k->title[k->n], page->title);
	k->p[k->n].venue = keep(k->venue[k->n], page->venue);
	k->p[k->n].content_type = keep(k->ctype[k->n], page->content_type);
	k->p[k->n].charset = keep(k->charset[k->n], page->charset);
	k->p[k->n].canonical = keep(k->canon[k->n], page->canonical);
	k->n++;
	return 0;
}

static const struct store_page *find_page(const struct kept_pages *k, const char *url)
{
	for (size_t i = 0; i < k->n; i++)
		if (!strcmp(k->p[i].url, url))
			return &k->p[i];
	fail_msg("page %s not walked", url);
	return NULL;
}

static void test_pages_round_trip(void **state)
{
	struct store_fixture *f = *state;
	struct store_txn *t;
	struct store_page a = sample_page("https://a.example/x"),
			  b = sample_page("https://b.example/");
	struct kept_pages k = {0};
	struct store_stats st;
	b.status = 404;
	b.title = "";
	b.bytes = 0;
	b.canonical = NULL;
	store_fixture_open(f);
	assert_int_equal(store_write_begin(f->s, &t), 0);
	assert_int_equal(store_page_put(t, &a), 0);
	assert_int_equal(store_page_put(t, &b), 0);
	a.title = "replaced"; /* same URL: replaces */
	assert_int_equal(store_page_put(t, &a), 0);
	assert_int_equal(store_write_commit(t), 0);

	assert_int_equal(store_pages_each(f->s, keep_page, &k), 0);
	assert_int_equal(k.n, 2);
	const struct store_page *pa = find_page(&k, a.url), *pb = find_page(&k, b.url);
	assert_string_equal(pa->venue, "forum-a");
	assert_string_equal(pa->title, "replaced");
	assert_string_equal(pa->content_type, "text/html");
	assert_string_equal(pa->charset, "utf-8");
	assert_true(pa->fetched_at == 1795000000);
	assert_int_equal(pa->status, 200);
	assert_true(pa->bytes == 12345);
	assert_memory_equal(pa->body_digest, a.body_digest, 32);
	assert_string_equal(pa->canonical, "https://a.example/canonical");
	assert_int_equal(pb->status, 404);
	assert_string_equal(pb->title, "");
	assert_string_equal(pb->canonical, "");
	assert_true(pb->bytes == 0);
	assert_int_equal(store_stats_get(f->s, &st), 0);
	assert_true(st.pages == 2 && st.hits == 0);

	/* One page by its URL. */
	memset(&k, 0, sizeof(k));
	assert_int_equal(store_page_get(f->s, a.url, keep_page, &k), 0);
	assert_int_equal(k.n, 1);
	assert_string_equal(k.p[0].title, "replaced");
	assert_string_equal(k.p[0].canonical, "https://a.example/canonical");
	assert_int_equal(store_page_get(f->s, "https://a.example/none", keep_page, &k),
			 ERR_NOT_FOUND);
	assert_int_equal(k.n, 1);
}

/* ---- hits ---- */

static void test_hit_round_trip(void **state)
{
	struct store_fixture *f = *state;
	struct store_hit h = sample_hit("DE89 3704 0044");
	struct kept_hits k;
	bool fresh = false;
	store_fixture_open(f);
	assert_true(put_hit(f->s, &h, 1795000100, &fresh) == 1);
	assert_true(fresh);
	walk_hits(f->s, &k);
	assert_int_equal(k.n, 1);
	assert_true(k.h[0].id == 1);
	assert_string_equal(k.h[0].rule, "fraud.iban");
	assert_string_equal(k.h[0].url, "https://forum.example/t/1");
	assert_string_equal(k.h[0].match, "DE89 3704 0044");
	assert_string_equal(k.h[0].snippet, "... send to DE89 ...");
	assert_string_equal(k.h[0].field, "post");
	assert_string_equal(k.h[0].venue, "forum-a");
	assert_string_equal(k.h[0].status, "new");
	assert_true(k.h[0].post == 3);
	assert_true(k.h[0].first_seen == 1795000100 && k.h[0].last_seen == 1795000100);
	assert_true(k.h[0].count == 1);
}

static int check_other_fields(const struct store_hit *hit, void *ud)
{
	(void)ud;
	assert_string_equal(hit->pack, "finance");
	assert_string_equal(hit->category, "fraud");
	assert_string_equal(hit->severity, "high");
	return 0;
}

static void test_hit_identity(void **state)
{
	struct store_fixture *f = *state;
	struct store_hit h = sample_hit("DE89");
	struct kept_hits k;
	struct store_stats st;
	bool fresh = true;
	store_fixture_open(f);
	assert_true(put_hit(f->s, &h, 100, NULL) == 1);
	h.snippet = "a different snippet"; /* not part of the identity: ignored on re-put */
	assert_true(put_hit(f->s, &h, 200, &fresh) == 1);
	assert_false(fresh);
	walk_hits(f->s, &k);
	assert_int_equal(k.n, 1);
	assert_true(k.h[0].count == 2);
	assert_true(k.h[0].first_seen == 100 && k.h[0].last_seen == 200);
	assert_string_equal(k.h[0].snippet, "... send to DE89 ...");
	assert_int_equal(store_hits_each(f->s, check_other_fields, NULL), 0);

	struct store_hit other = sample_hit("DE90");
	assert_true(put_hit(f->s, &other, 300, &fresh) == 2);
	assert_true(fresh);
	/* The separator keeps rule "ab" + url "c" apart from rule "a" + url "bc". */
	struct store_hit x = sample_hit("m"), y = sample_hit("m");
	x.rule = "ab", x.url = "c", y.rule = "a", y.url = "bc";
	assert_true(put_hit(f->s, &x, 400, NULL) == 3);
	assert_true(put_hit(f->s, &y, 400, NULL) == 4);
	x.rule = y.rule = "r"; /* and url from match */
	x.url = "u1", x.match = "m", y.url = "u", y.match = "1m";
	assert_true(put_hit(f->s, &x, 400, NULL) == 5);
	assert_true(put_hit(f->s, &y, 400, NULL) == 6);
	assert_int_equal(store_stats_get(f->s, &st), 0);
	assert_true(st.hits == 6);
	walk_hits(f->s, &k); /* id order */
	for (size_t i = 0; i < k.n; i++)
		assert_true(k.h[i].id == i + 1);
}

static void test_hit_many_in_one_txn(void **state)
{
	struct store_fixture *f = *state;
	struct store_txn *t;
	struct store_hit h = sample_hit("x");
	char m[16];
	uint64_t id;
	bool fresh;
	store_fixture_open(f);
	assert_int_equal(store_write_begin(f->s, &t), 0);
	for (int i = 0; i < 300; i++) { /* ids past 255 check the big-endian key order */
		snprintf(m, sizeof(m), "m%d", i);
		h.match = m;
		assert_int_equal(store_hit_put(t, &h, i, &id, &fresh), 0);
		assert_true(id == (uint64_t)i + 1 && fresh);
	}
	h.match = "m7";
	assert_int_equal(store_hit_put(t, &h, 999, &id, &fresh), 0);
	assert_true(id == 8 && !fresh);
	assert_int_equal(store_write_commit(t), 0);
}

/* Rewrites hit id's status with raw LMDB and the module's codec, as review will one day. */
static void set_status_raw(const char *dir, uint64_t id, const char *status)
{
	struct raw r;
	struct store_scratch sc;
	struct buf b;
	struct store_hit h;
	uint8_t k[8];
	MDB_val key = {8, k}, val;
	id_key(id, k);
	store__scratch_init(&sc);
	buf_init(&b, STORE_REC_MAX);
	raw_begin(&r, dir, "hits");
	assert_int_equal(mdb_get(r.txn, r.dbi, &key, &val), 0);
	assert_int_equal(store__hit_decode(val.mv_data, val.mv_size, &sc, &h), 0);
	h.status = status;
	assert_int_equal(store__hit_encode(&h, &b), 0);
	raw_put(&r, k, 8, b.data, b.len);
	raw_end(&r);
	buf_done(&b);
	store__scratch_done(&sc);
}

static void test_status_survives_reput(void **state)
{
	struct store_fixture *f = *state;
	struct store_hit h = sample_hit("DE89");
	struct kept_hits k;
	store_fixture_open(f);
	assert_true(put_hit(f->s, &h, 100, NULL) == 1);
	store_close(f->s);
	f->s = NULL;
	set_status_raw(f->dir, 1, "dismissed");
	store_fixture_open(f);
	assert_true(put_hit(f->s, &h, 200, NULL) == 1);
	walk_hits(f->s, &k);
	assert_int_equal(k.n, 1);
	assert_string_equal(k.h[0].status, "dismissed");
	assert_true(k.h[0].count == 2 && k.h[0].last_seen == 200 && k.h[0].first_seen == 100);
}

static void test_abort_discards(void **state)
{
	struct store_fixture *f = *state;
	struct store_txn *t;
	struct store_page p = sample_page("https://a.example/");
	struct store_hit h = sample_hit("DE89");
	struct store_stats st;
	uint64_t id;
	store_fixture_open(f);
	assert_int_equal(store_write_begin(f->s, &t), 0);
	assert_int_equal(store_page_put(t, &p), 0);
	assert_int_equal(store_hit_put(t, &h, 1, &id, NULL), 0);
	assert_true(id == 1);
	store_write_abort(t);
	store_write_abort(NULL);
	assert_int_equal(store_stats_get(f->s, &st), 0);
	assert_true(st.pages == 0 && st.hits == 0);
	assert_true(put_hit(f->s, &h, 2, NULL) == 1); /* the id counter was rolled back too */
}

static void test_reopen_persists(void **state)
{
	struct store_fixture *f = *state;
	struct store_txn *t;
	struct store_page p = sample_page("https://a.example/");
	struct store_hit h = sample_hit("DE89");
	struct kept_pages kp = {0};
	struct kept_hits k;
	store_fixture_open(f);
	assert_int_equal(store_write_begin(f->s, &t), 0);
	assert_int_equal(store_page_put(t, &p), 0);
	assert_int_equal(store_hit_put(t, &h, 10, NULL, NULL), 0);
	assert_int_equal(store_write_commit(t), 0);
	store_fixture_reopen(f);
	assert_int_equal(store_pages_each(f->s, keep_page, &kp), 0);
	assert_int_equal(kp.n, 1);
	assert_string_equal(kp.p[0].title, "Caf\xc3\xa9 news");
	bool fresh = true;
	assert_true(put_hit(f->s, &h, 20, &fresh) == 1);
	assert_false(fresh);
	h.match = "new one";
	assert_true(put_hit(f->s, &h, 30, &fresh) == 2); /* hit_seq persisted */
	walk_hits(f->s, &k);
	assert_int_equal(k.n, 2);
	assert_true(k.h[0].count == 2 && k.h[0].last_seen == 20);
}

static int stop_at_first(const struct store_hit *hit, void *ud)
{
	(*(int *)ud)++;
	return hit->id == 1 ? 7 : 0;
}

static void test_walk_stops(void **state)
{
	struct store_fixture *f = *state;
	struct store_hit a = sample_hit("a"), b = sample_hit("b");
	int calls = 0;
	store_fixture_open(f);
	put_hit(f->s, &a, 1, NULL);
	put_hit(f->s, &b, 1, NULL);
	assert_int_equal(store_hits_each(f->s, stop_at_first, &calls), 7);
	assert_int_equal(calls, 1);
}

static void test_bad_arguments_and_caps(void **state)
{
	struct store_fixture *f = *state;
	struct store_txn *t;
	struct store_hit h = sample_hit(NULL);
	struct store_page p = sample_page(NULL);
	size_t big = STORE_REC_MAX + 1;
	char *huge = malloc(big + 1);
	memset(huge, 'x', big);
	huge[big] = '\0';
	store_fixture_open(f);
	assert_int_equal(store_write_begin(f->s, &t), 0);
	assert_int_equal(store_hit_put(t, &h, 1, NULL, NULL), ERR_USAGE);
	assert_int_equal(store_page_put(t, &p), ERR_USAGE);
	p.url = "https://a.example/";
	p.title = huge;
	assert_int_equal(store_page_put(t, &p), ERR_TOO_BIG);
	store_write_abort(t);
	free(huge);
}

/* ---- schema ---- */

static void test_schema_newer(void **state)
{
	struct store_fixture *f = *state;
	char err[256];
	store_fixture_open(f);
	store_close(f->s);
	f->s = NULL;
	char newer[16];
	snprintf(newer, sizeof(newer), "%d", STORE_SCHEMA_VERSION + 1);
	raw_put_once(f->dir, "meta", "schema_version", 14, newer, strlen(newer));
	assert_int_equal(store_open(f->dir, &f->s, err, sizeof(err)), ERR_SCHEMA);
	assert_null(f->s);
	char want[400];
	snprintf(want, sizeof(want),
		 "store at %s was written by a newer patrol (schema %d, this patrol knows %d)",
		 f->dir, STORE_SCHEMA_VERSION + 1, STORE_SCHEMA_VERSION);
	assert_string_equal(err, want);
}

static void test_schema_older_migrated(void **state)
{
	struct store_fixture *f = *state;
	struct raw r;
	MDB_val k = {14, (char *)"schema_version"}, v;
	char text[16];
	store_fixture_open(f);
	store_close(f->s);
	f->s = NULL;
	raw_put_once(f->dir, "meta", "schema_version", 14, "0", 1);
	store_fixture_open(f);
	store_close(f->s);
	f->s = NULL;
	raw_begin(&r, f->dir, "meta");
	assert_int_equal(mdb_get(r.txn, r.dbi, &k, &v), 0);
	snprintf(text, sizeof(text), "%.*s", (int)v.mv_size, (const char *)v.mv_data);
	raw_end(&r);
	assert_int_equal(atoi(text), STORE_SCHEMA_VERSION);
}

static void test_schema_garbage(void **state)
{
	struct store_fixture *f = *state;
	char err[256];
	store_fixture_open(f);
	store_close(f->s);
	f->s = NULL;
	raw_put_once(f->dir, "meta", "schema_version", 14, "1x", 2);
	assert_int_equal(store_open(f->dir, &f->s, err, sizeof(err)), ERR_STORE);
	assert_non_null(strstr(err, f->dir));
}

/* ---- corruption and file-system errors ---- */

static void test_corrupt_records(void **state)
{
	struct store_fixture *f = *state;
	struct store_hit h = sample_hit("DE89");
	struct store_txn *t;
	uint8_t pkey[32] = {1}, hkey[8], junk[] = {STORE_REC_VERSION, 200, 0, 0, 0, 'a'};
	struct kept_pages kp = {0};
	struct kept_hits k = {0};
	store_fixture_open(f);
	assert_true(put_hit(f->s, &h, 1, NULL) == 1);
	store_close(f->s);
	f->s = NULL;
	id_key(1, hkey);
	raw_put_once(f->dir, "hits", hkey, 8, junk, sizeof(junk));
	raw_put_once(f->dir, "pages", pkey, 32, junk, 3);
	store_fixture_open(f);
	assert_int_equal(store_hits_each(f->s, keep_hit, &k), ERR_STORE);
	assert_int_equal(store_pages_each(f->s, keep_page, &kp), ERR_STORE);
	assert_int_equal(kp.n, 0);
	assert_int_equal(store_write_begin(f->s, &t), 0);
	assert_int_equal(store_hit_put(t, &h, 2, NULL, NULL), ERR_STORE); /* update reads it */
	store_write_abort(t);
}

static void test_dir_under_regular_file(void **state)
{
	struct store_fixture *f = *state;
	char file[300], dir[400], err[512];
	struct store *s = NULL;
	snprintf(file, sizeof(file), "%s/plain", f->root);
	FILE *fp = fopen(file, "w");
	assert_non_null(fp);
	fclose(fp);
	snprintf(dir, sizeof(dir), "%s/db", file);
	assert_int_equal(store_open(dir, &s, err, sizeof(err)), -ENOTDIR);
	assert_null(s);
	assert_non_null(strstr(err, dir));
	assert_null(strchr(err, '\n'));
	assert_int_equal(store_open(file, &s, err, sizeof(err)), -ENOTDIR);
	assert_non_null(strstr(err, file));
	assert_int_equal(store_open("", &s, err, sizeof(err)), -ENOENT);
}

static void test_creates_nested_dirs(void **state)
{
	struct store_fixture *f = *state;
	struct stat st;
	snprintf(f->dir, sizeof(f->dir), "%s/a/b//c/", f->root);
	store_fixture_open(f);
	char data[400];
	snprintf(data, sizeof(data), "%s/a/b/c/data.mdb", f->root);
	assert_int_equal(stat(data, &st), 0);
	snprintf(data, sizeof(data), "%s/a/b/c", f->root);
	assert_int_equal(stat(data, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700); /* the store's own directory: owner only */
}

/* ---- the crawl lock ---- */

/* Another holder of DIR/crawl.lock (another process, as flock(2) sees it: another open file)
 * makes store_crawl_lock fail at once, naming the store and the holder's pid; a second crawl of
 * the same handle is refused too; unlock, and close, let the next one in. */
static void test_crawl_lock(void **state)
{
	struct store_fixture *f = *state;
	char path[400], err[512], want[512];
	store_fixture_open(f);
	snprintf(path, sizeof(path), "%s/crawl.lock", f->dir);
	int other = open(path, O_RDWR | O_CREAT, 0600);
	assert_true(other >= 0);
	assert_int_equal(flock(other, LOCK_EX | LOCK_NB), 0);
	assert_int_equal(pwrite(other, "4242\n", 5, 0), 5);
	assert_int_equal(store_crawl_lock(f->s, err, sizeof(err)), -EBUSY);
	snprintf(want, sizeof(want), "another patrol crawl is using %s (pid 4242)", f->dir);
	assert_string_equal(err, want);
	assert_int_equal(close(other), 0); /* the other crawl is gone: the kernel drops its lock */

	assert_int_equal(store_crawl_lock(f->s, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	assert_int_equal(store_crawl_lock(f->s, err, sizeof(err)), -EBUSY); /* this process */
	snprintf(want, sizeof(want), "another patrol crawl is using %s (pid %ld)", f->dir,
		 (long)getpid());
	assert_string_equal(err, want);
	other = open(path, O_RDWR);
	assert_true(other >= 0);
	assert_int_equal(flock(other, LOCK_EX | LOCK_NB), -1);
	assert_int_equal(errno, EWOULDBLOCK);
	char text[32] = {0};
	assert_true(pread(other, text, sizeof(text) - 1, 0) > 0);
	assert_int_equal(atol(text), (long)getpid());
	/* Readers go on beside a crawl. */
	struct store_stats st;
	assert_int_equal(store_stats_get(f->s, &st), 0);

	store_crawl_unlock(f->s);
	store_crawl_unlock(f->s); /* holding none is fine */
	assert_int_equal(flock(other, LOCK_EX | LOCK_NB), 0);
	assert_int_equal(pread(other, text, sizeof(text) - 1, 0), 0); /* no stale pid */
	assert_int_equal(flock(other, LOCK_UN), 0);
	assert_int_equal(store_crawl_lock(f->s, err, sizeof(err)), 0);
	store_fixture_reopen(f); /* close drops it */
	assert_int_equal(flock(other, LOCK_EX | LOCK_NB), 0);
	close(other);
}

/* ---- a reader beside the writer ---- */

#define BATCHES	  40
#define PER_BATCH 25

struct reader {
	struct store *s;
	atomic_bool done;
	int walks;
	int bad;	  /* walks that saw something a committed batch could not produce */
	uint64_t last_n;  /* hits seen by the previous walk */
	uint64_t n, next; /* the current walk */
};

static int reader_visit(const struct store_hit *hit, void *ud)
{
	struct reader *r = ud;
	if (hit->id != r->next || hit->count != 1 || strcmp(hit->status, "new"))
		r->bad++;
	r->next++;
	r->n++;
	return 0;
}

static void *reader_main(void *arg)
{
	struct reader *r = arg;
	bool last = false;
	while (!last) {
		last = atomic_load(&r->done);
		r->n = 0;
		r->next = 1;
		if (store_hits_each(r->s, reader_visit, r) != 0)
			r->bad++;
		if (r->n % PER_BATCH != 0 || r->n < r->last_n)
			r->bad++;
		r->last_n = r->n;
		r->walks++;
	}
	return NULL;
}

static void test_reader_beside_writer(void **state)
{
	struct store_fixture *f = *state;
	struct reader r = {0};
	struct store_hit h = sample_hit("x");
	pthread_t th;
	char m[32];
	store_fixture_open(f);
	r.s = f->s;
	atomic_init(&r.done, false);
	assert_int_equal(pthread_create(&th, NULL, reader_main, &r), 0);
	for (int b = 0; b < BATCHES; b++) {
		struct store_txn *t;
		assert_int_equal(store_write_begin(f->s, &t), 0);
		for (int i = 0; i < PER_BATCH; i++) {
			snprintf(m, sizeof(m), "b%d-%d", b, i);
			h.match = m;
			assert_int_equal(store_hit_put(t, &h, b, NULL, NULL), 0);
		}
		assert_int_equal(store_write_commit(t), 0);
	}
	atomic_store(&r.done, true);
	assert_int_equal(pthread_join(th, NULL), 0);
	assert_int_equal(r.bad, 0);
	assert_true(r.walks >= 1);
	/* The last walk began after the last commit. */
	assert_true(r.last_n == BATCHES * PER_BATCH);
}

/* ---- store_trim ---- */

/* Resident memory backed by a file (or tmpfs), in bytes: where LMDB's map of data.mdb counts. */
static long file_rss(void)
{
	long size, resident, shared;
	FILE *fp = fopen("/proc/self/statm", "r");
	assert_non_null(fp);
	assert_int_equal(fscanf(fp, "%ld %ld %ld", &size, &resident, &shared), 3);
	fclose(fp);
	return shared * sysconf(_SC_PAGESIZE);
}

#define TRIM_PAGES 2000
#define TRIM_TITLE 4000 /* bytes: each record takes overflow pages of its own */

struct trim_walk {
	struct store *s;
	int n, bad, trims;
	bool trim; /* trim the map every 100 records, from inside the walk's read transaction */
};

static int trim_visit(const struct store_page *p, void *ud)
{
	struct trim_walk *w = ud;
	size_t len = strlen(p->title);
	if (len != TRIM_TITLE || p->title[0] != 'a' + (char)(atoi(p->url + 19) % 26) ||
	    p->title[len - 1] != p->title[0])
		w->bad++;
	if (w->trim && ++w->trims % 100 == 0 && store_trim(w->s) != 0)
		w->bad++;
	w->n++;
	return 0;
}

static void trim_walk_check(struct store *s, bool trim)
{
	struct trim_walk w = {.s = s, .trim = trim};
	assert_int_equal(store_pages_each(s, trim_visit, &w), 0);
	assert_int_equal(w.n, TRIM_PAGES);
	assert_int_equal(w.bad, 0);
}

/* The pages a walk mapped stop counting in RSS after store_trim, and everything reads the same
 * afterwards: in later read transactions, in a read transaction that is open across the trim, and
 * in a write transaction whose uncommitted changes must survive it. */
static void test_trim(void **state)
{
	struct store_fixture *f = *state;
	char url[64], *title = malloc(TRIM_TITLE + 1);
	assert_non_null(title);
	store_fixture_open(f);
	struct store_txn *t;
	assert_int_equal(store_write_begin(f->s, &t), 0);
	for (int i = 0; i < TRIM_PAGES; i++) {
		snprintf(url, sizeof(url), "https://a.example/p%d", i);
		memset(title, 'a' + i % 26, TRIM_TITLE);
		title[TRIM_TITLE] = '\0';
		struct store_page p = sample_page(url);
		p.title = title;
		assert_int_equal(store_page_put(t, &p), 0);
	}
	assert_int_equal(store_write_commit(t), 0);
	free(title);
	assert_int_equal(store_trim(f->s), 0);
	long base = file_rss();
	trim_walk_check(f->s, false); /* maps some 8 MB of records */
	long mapped = file_rss() - base;
	assert_int_equal(store_trim(f->s), 0);
	long left = file_rss() - base;
	print_message("# file-backed RSS: +%ld KiB after a walk, +%ld KiB after store_trim\n",
		      mapped >> 10, left >> 10);
	assert_true(mapped > (4L << 20));
	assert_true(left < mapped / 4);
	trim_walk_check(f->s, false);
	trim_walk_check(f->s, true);

	struct store_hit h = sample_hit("DE89 3704");
	bool fresh = false;
	assert_int_equal(store_write_begin(f->s, &t), 0);
	assert_int_equal(store_hit_put(t, &h, 10, NULL, &fresh), 0);
	assert_true(fresh);
	assert_int_equal(store_trim(f->s), 0);
	assert_int_equal(store_hit_put(t, &h, 11, NULL, &fresh), 0);
	assert_false(fresh); /* the transaction's own pages are not in the map */
	assert_int_equal(store_write_commit(t), 0);
	struct kept_hits k;
	walk_hits(f->s, &k);
	assert_int_equal(k.n, 1);
	assert_int_equal(k.h[0].count, 2);
	assert_int_equal(k.h[0].last_seen, 11);
}

/* ---- evidence (bodies) ---- */

static const char ev_head[] = "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nX-A: b\r\n\r\n";
static const char ev_body[] = "<p>send to DE89 now</p>\n\0binary tail";

static void ev_put(struct store *s, const char *head, size_t hl, const char *body, size_t bl,
		   uint8_t digest[32])
{
	struct store_txn *t;
	void *packed = NULL;
	size_t plen = 0;
	assert_int_equal(store_evidence_pack(head, hl, body, bl, &packed, &plen, digest), 0);
	assert_int_equal(store_write_begin(s, &t), 0);
	assert_int_equal(store_evidence_put(t, digest, packed, plen), 0);
	assert_int_equal(store_evidence_put(t, digest, packed, plen), 0); /* stored once */
	assert_int_equal(store_write_commit(t), 0);
	free(packed);
}

struct problems {
	size_t n;
	enum store_verify_problem what[8];
	uint8_t digest[8][32];
	uint64_t hit[8];
};

static int note_problem(enum store_verify_problem what, const uint8_t digest[32], uint64_t hit,
			void *ud)
{
	struct problems *p = ud;
	if (p->n == 8)
		return -E2BIG;
	p->what[p->n] = what;
	memcpy(p->digest[p->n], digest, 32);
	p->hit[p->n++] = hit;
	return 0;
}

static void test_evidence_round_trip(void **state)
{
	struct store_fixture *f = *state;
	uint8_t d[32], want[32];
	char *data = NULL;
	size_t len = 0, bl = sizeof(ev_body) - 1;
	store_fixture_open(f);
	ev_put(f->s, ev_head, strlen(ev_head), ev_body, bl, d);
	struct digest_part parts[] = {{ev_head, strlen(ev_head)}, {ev_body, bl}};
	assert_int_equal(digest_sha256_parts(parts, 2, want), 0);
	assert_memory_equal(d, want, 32);
	assert_int_equal(store_evidence_get(f->s, d, &data, &len), 0);
	assert_int_equal(len, strlen(ev_head) + bl);
	assert_memory_equal(data, ev_head, strlen(ev_head));
	assert_memory_equal(data + strlen(ev_head), ev_body, bl); /* NULs and all */
	free(data);
	uint8_t other[32] = {9};
	assert_int_equal(store_evidence_get(f->s, other, &data, &len), ERR_NOT_FOUND);

	struct store_hit h = sample_hit("DE89");
	memcpy(h.evidence, d, 32);
	h.pack_version = "3";
	h.pack_digest = "abc";
	put_hit(f->s, &h, 100, NULL);
	struct problems p = {0};
	uint64_t bodies = 0, hits = 0;
	assert_int_equal(store_verify(f->s, note_problem, &p, &bodies, &hits), 0);
	assert_int_equal(p.n, 0);
	assert_true(bodies == 1 && hits == 1);
	struct kept_hits k;
	walk_hits(f->s, &k);
	assert_memory_equal(k.h[0].evidence, d, 32);
}

/* Bytes changed behind the store's back (through LMDB directly) are reported by store_verify:
 * a valid value of other bytes (mismatch), garbage (corrupt), and a hit naming evidence that is
 * not there (missing). */
static void test_evidence_tampering(void **state)
{
	struct store_fixture *f = *state;
	uint8_t d1[32], d2[32], d3[32] = {0x33}, dx[32];
	void *packed = NULL;
	size_t plen = 0;
	store_fixture_open(f);
	ev_put(f->s, ev_head, strlen(ev_head), "one", 3, d1);
	ev_put(f->s, ev_head, strlen(ev_head), "two", 3, d2);
	struct store_hit h = sample_hit("DE89");
	memcpy(h.evidence, d3, 32);
	uint64_t id = put_hit(f->s, &h, 100, NULL);
	store_close(f->s);
	f->s = NULL;

	assert_int_equal(store_evidence_pack(ev_head, strlen(ev_head), "ONE", 3, &packed, &plen, dx),
			 0);
	raw_put_once(f->dir, "bodies", d1, 32, packed, plen); /* d1 now holds other bytes */
	free(packed);
	raw_put_once(f->dir, "bodies", d2, 32, "\x01garbage-garbage", 16);
	store_fixture_open(f);
	struct problems p = {0};
	uint64_t bodies = 0, hits = 0;
	assert_int_equal(store_verify(f->s, note_problem, &p, &bodies, &hits), 0);
	assert_true(bodies == 2 && hits == 1);
	assert_int_equal(p.n, 3);
	for (size_t i = 0; i < 3; i++) {
		if (memcmp(p.digest[i], d1, 32) == 0)
			assert_int_equal(p.what[i], STORE_VERIFY_MISMATCH);
		else if (memcmp(p.digest[i], d2, 32) == 0)
			assert_int_equal(p.what[i], STORE_VERIFY_CORRUPT);
		else {
			assert_memory_equal(p.digest[i], d3, 32);
			assert_int_equal(p.what[i], STORE_VERIFY_MISSING);
			assert_true(p.hit[i] == id);
		}
	}
	char *data = NULL;
	size_t len;
	assert_int_equal(store_evidence_get(f->s, d1, &data, &len), ERR_STORE);
	assert_int_equal(store_evidence_get(f->s, d2, &data, &len), ERR_STORE);
	assert_null(data);
}

/* ---- the hit lifecycle ---- */

struct one_hit {
	char status[32], prior[32];
	int64_t last_seen, gone_at;
	uint64_t count;
};

static int copy_one(const struct store_hit *h, void *ud)
{
	struct one_hit *o = ud;
	snprintf(o->status, sizeof(o->status), "%s", h->status);
	snprintf(o->prior, sizeof(o->prior), "%s", h->prior_status);
	o->last_seen = h->last_seen;
	o->gone_at = h->gone_at;
	o->count = h->count;
	return 0;
}

static struct one_hit get_one(struct store *s, uint64_t id)
{
	struct one_hit o;
	assert_int_equal(store_hit_get(s, id, copy_one, &o), 0);
	return o;
}

static void sweep(struct store *s, const char *url, const uint64_t *kept, size_t n, int64_t now,
		  uint64_t want_gone)
{
	struct store_txn *t;
	uint64_t gone = 99;
	assert_int_equal(store_write_begin(s, &t), 0);
	assert_int_equal(store_page_hits_sweep(t, url, kept, n, now, &gone), 0);
	assert_int_equal(store_write_commit(t), 0);
	assert_true(gone == want_gone);
}

static void refresh(struct store *s, const char *url, int64_t now, uint64_t want_n)
{
	struct store_txn *t;
	uint64_t n = 99;
	assert_int_equal(store_write_begin(s, &t), 0);
	assert_int_equal(store_page_hits_refresh(t, url, now, &n), 0);
	assert_int_equal(store_write_commit(t), 0);
	assert_true(n == want_n);
}

static void test_hit_lifecycle(void **state)
{
	struct store_fixture *f = *state;
	struct store_hit a = sample_hit("DE89"), b = sample_hit("DE12"), c = sample_hit("DE77");
	struct store_hit other = sample_hit("DE89");
	other.url = "https://forum.example/t/2";
	bool fresh;
	store_fixture_open(f);
	uint64_t ia = put_hit(f->s, &a, 100, NULL), ib = put_hit(f->s, &b, 100, NULL);
	uint64_t io = put_hit(f->s, &other, 100, NULL);
	struct one_hit o;
	assert_int_equal(store_hit_get(f->s, 42, copy_one, &o), ERR_NOT_FOUND);

	/* Changed page, only a is still there: b goes, the other page's hit is untouched. */
	sweep(f->s, a.url, &ia, 1, 200, 1);
	o = get_one(f->s, ib);
	assert_string_equal(o.status, "gone");
	assert_string_equal(o.prior, "new");
	assert_true(o.gone_at == 200 && o.count == 1);
	assert_string_equal(get_one(f->s, ia).status, "new");
	assert_string_equal(get_one(f->s, io).status, "new");
	sweep(f->s, a.url, &ia, 1, 250, 0); /* gone already: the time it went stays */
	assert_true(get_one(f->s, ib).gone_at == 200);

	/* Unchanged page: a is seen again, b (gone) is not. */
	refresh(f->s, a.url, 300, 1);
	o = get_one(f->s, ia);
	assert_true(o.count == 2 && o.last_seen == 300 && o.gone_at == 0);
	assert_true(get_one(f->s, ib).count == 1);

	/* b comes back: the status it had, no new hit. */
	assert_true(put_hit(f->s, &b, 400, &fresh) == ib);
	assert_false(fresh);
	o = get_one(f->s, ib);
	assert_string_equal(o.status, "new");
	assert_true(o.gone_at == 0 && o.count == 2 && o.prior[0] == '\0');

	/* A dismissed hit stays dismissed when it goes and when it comes back; a confirmed one
	 * gets its status back. */
	uint64_t ic = put_hit(f->s, &c, 450, NULL);
	store_close(f->s);
	f->s = NULL;
	set_status_raw(f->dir, ic, "dismissed");
	set_status_raw(f->dir, ia, "confirmed");
	store_fixture_open(f);
	uint64_t kept[] = {ib};
	sweep(f->s, a.url, kept, 1, 500, 2);
	o = get_one(f->s, ic);
	assert_string_equal(o.status, "dismissed");
	assert_true(o.gone_at == 500);
	o = get_one(f->s, ia);
	assert_string_equal(o.status, "gone");
	assert_string_equal(o.prior, "confirmed");
	put_hit(f->s, &c, 600, NULL);
	put_hit(f->s, &a, 600, NULL);
	o = get_one(f->s, ic);
	assert_true(strcmp(o.status, "dismissed") == 0 && o.gone_at == 0);
	assert_string_equal(get_one(f->s, ia).status, "confirmed");

	/* Taken down (404): every hit of the page goes. */
	sweep(f->s, a.url, NULL, 0, 700, 3);
	assert_string_equal(get_one(f->s, io).status, "new");
}

/* A store of schema 3 (hit records of version 1, no bodies or page_hits) is migrated when it is
 * opened: page_hits is built from the hits, which stay as they were and are read as before. */
static void test_schema3_migrated(void **state)
{
	struct store_fixture *f = *state;
	struct store_hit h = sample_hit("DE89");
	struct store_scratch sc;
	struct buf b;
	struct raw r;
	uint8_t idk[8], ident[32];
	store_fixture_open(f);
	store_close(f->s);
	f->s = NULL;

	/* A version 1 record: the current fields minus the 28 bytes version 3 added (offsets,
	 * empty author and time, no spans) and the 52 bytes schema 4 added. */
	h.status = "confirmed";
	h.count = 1;
	h.pack_version = h.pack_digest = h.prior_status = h.post_author = h.post_time = "";
	h.nspans = 0;
	buf_init(&b, STORE_REC_MAX);
	assert_int_equal(store__hit_encode(&h, &b), 0);
	b.data[0] = STORE_REC_VERSION;
	size_t v1len = b.len - 28 - 52;
	struct digest_part parts[] = {{h.rule, strlen(h.rule) + 1}, {h.url, strlen(h.url) + 1},
				      {h.match, strlen(h.match)}};
	assert_int_equal(digest_sha256_parts(parts, 3, ident), 0);
	id_key(1, idk);
	uint8_t seq[8] = {2};
	raw_begin(&r, f->dir, "hits");
	raw_put(&r, idk, 8, b.data, v1len);
	MDB_dbi keys, meta, dbi;
	assert_int_equal(mdb_dbi_open(r.txn, "hit_keys", 0, &keys), 0);
	assert_int_equal(mdb_dbi_open(r.txn, "meta", 0, &meta), 0);
	MDB_val k = {32, ident}, v = {8, idk};
	assert_int_equal(mdb_put(r.txn, keys, &k, &v, 0), 0);
	k = (MDB_val){7, (char *)"hit_seq"}, v = (MDB_val){8, seq};
	assert_int_equal(mdb_put(r.txn, meta, &k, &v, 0), 0);
	k = (MDB_val){14, (char *)"schema_version"}, v = (MDB_val){1, (char *)"3"};
	assert_int_equal(mdb_put(r.txn, meta, &k, &v, 0), 0);
	assert_int_equal(mdb_dbi_open(r.txn, "bodies", 0, &dbi), 0);
	assert_int_equal(mdb_drop(r.txn, dbi, 1), 0);
	assert_int_equal(mdb_dbi_open(r.txn, "page_hits", 0, &dbi), 0);
	assert_int_equal(mdb_drop(r.txn, dbi, 1), 0);
	raw_end(&r);
	buf_done(&b);

	store_fixture_open(f);
	struct kept_hits kh;
	walk_hits(f->s, &kh);
	assert_int_equal(kh.n, 1);
	assert_string_equal(kh.h[0].status, "confirmed");
	static const uint8_t zero[32];
	assert_memory_equal(kh.h[0].evidence, zero, 32);
	refresh(f->s, h.url, 900, 1); /* found through page_hits, built by the migration */
	assert_true(get_one(f->s, 1).count == 2);
	bool fresh = true;
	struct store_hit again = sample_hit("DE89");
	memset(again.evidence, 0x5a, 32);
	assert_true(put_hit(f->s, &again, 950, &fresh) == 1);
	assert_false(fresh);
	walk_hits(f->s, &kh);
	assert_int_equal(kh.h[0].evidence[0], 0x5a); /* filled in from the new sighting */
	store_close(f->s);
	f->s = NULL;

	raw_begin(&r, f->dir, "meta");
	k = (MDB_val){14, (char *)"schema_version"};
	assert_int_equal(mdb_get(r.txn, r.dbi, &k, &v), 0);
	assert_int_equal(v.mv_size, 1);
	assert_int_equal(((const char *)v.mv_data)[0], '0' + STORE_SCHEMA_VERSION);
	assert_int_equal(mdb_dbi_open(r.txn, "bodies", 0, &dbi), 0);
	raw_end(&r);
	store__scratch_init(&sc);
	store__scratch_done(&sc);
}

/* The map grows by itself: 1.1 GiB of pages go into a store whose map starts at 1 GiB, with
 * no error (store_write_begin doubles it at three quarters full), and the store reopens with
 * them all. Each 8 MiB page is committed on its own, so the test holds one page in memory. */
static void test_map_grows(void **state)
{
	struct store_fixture *f = *state;
	struct store_txn *t;
	size_t big_len = 8u << 20, n = 140;
	char *big = malloc(big_len + 1), url[64];
	assert_non_null(big);
	memset(big, 'x', big_len);
	big[big_len] = '\0';
	store_fixture_open(f);
	for (size_t i = 0; i < n; i++) {
		snprintf(url, sizeof(url), "https://a.example/%zu", i);
		struct store_page p = sample_page(url);
		p.title = big;
		assert_int_equal(store_write_begin(f->s, &t), 0);
		assert_int_equal(store_page_put(t, &p), 0);
		assert_int_equal(store_write_commit_lazy(t), 0);
	}
	assert_int_equal(store_grow(f->s), 0); /* and on demand, with nothing open */
	free(big);
	struct store_stats st;
	store_fixture_reopen(f);
	assert_int_equal(store_stats_get(f->s, &st), 0);
	assert_true(st.pages == n);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, store_fixture_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_codec_truncated_and_malformed),
		cmocka_unit_test(test_codec_page_exact),
		T(test_pages_round_trip),
		T(test_hit_round_trip),
		T(test_hit_identity),
		T(test_hit_many_in_one_txn),
		T(test_status_survives_reput),
		T(test_abort_discards),
		T(test_reopen_persists),
		T(test_walk_stops),
		T(test_bad_arguments_and_caps),
		T(test_schema_newer),
		T(test_schema_older_migrated),
		T(test_schema_garbage),
		T(test_corrupt_records),
		T(test_dir_under_regular_file),
		T(test_creates_nested_dirs),
		T(test_crawl_lock),
		T(test_reader_beside_writer),
		T(test_trim),
		T(test_evidence_round_trip),
		T(test_evidence_tampering),
		T(test_hit_lifecycle),
		T(test_schema3_migrated),
		T(test_map_grows),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
