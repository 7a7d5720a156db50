/* SPDX-License-Identifier: MIT */
/* The crawl frontier in LMDB: per-host queues (frontier, frontier_hosts), one seen record per URL
 * that also holds its fetch state (seen), leases on taken URLs (leases), the robots.txt cache
 * (robots) and the query-variant counts of the trap guard (variants). Layouts and the reasons
 * for them are in docs/storage.md, "The frontier".
 *
 * Invariants, kept by every write call inside one transaction: a URL is queued (one frontier
 * entry), leased (one leases entry) or neither, and its seen record says which; frontier_hosts
 * holds, for each host, the number of its frontier entries, and no host with none; a path's
 * variants count, in its generation, is the number of its query URLs pushed with a limit and
 * admitted.
 * Writes use the caller's write transaction; reads open their own read transaction.
 */
#include "index/store.h"

#include "common/digest.h"
#include "common/err.h"
#include "index/store_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define META_CRAWL_GEN	   "crawl_gen"
#define META_CRAWL_STARTED "crawl_started"
#define META_CRAWL_OPEN	   "crawl_open" /* 1 from store_crawl_begin until store_crawl_end */
#define META_FRONTIER_SEQ  "frontier_seq"
#define META_REVISIT_AT	   "revisit_at" /* store_frontier_revisit's gate; absent or 0: off */

/* Seen records since patrol run: version 1's fields, then the revisit interval and the
 * generation it was last adapted in. Version 1 records read with neither (interval 0). */
#define SEEN_REC_VERSION 2

/* A frontier key: host, NUL, priority, due (offset binary, big-endian), seq (big-endian). */
#define FKEY_TAIL (1 + 1 + 8 + 8)
#define FKEY_MAX  (STORE_HOST_MAX + FKEY_TAIL)

enum seen_state { SEEN_QUEUED = 1, SEEN_LEASED = 2, SEEN_DONE = 3 };
enum seen_flag { SEEN_FETCHED = 1, SEEN_DIGEST = 2 };

/* The value of a seen record, decoded. */
struct seen_rec {
	uint64_t gen;
	uint8_t state, flags;
	/* st.gen and st.has_digest are not stored apart: gen and flags hold them. */
	struct store_fetch_state st;
	int64_t interval; /* seconds between visits, adapted to how often the page changes */
	uint64_t adapted; /* the generation interval was last adapted in */
};

/* A queued or leased URL. Strings are borrowed: from the caller or from a scratch area. */
struct qitem {
	const char *host, *url, *venue;
	uint32_t depth;
	uint8_t priority;
	uint8_t hops;
	int64_t due;
	uint64_t seq;
};

static MDB_val val_of(const void *data, size_t len)
{
	MDB_val v = {.mv_size = len, .mv_data = (void *)data};
	return v;
}

/* 0, ERR_USAGE (NULL or empty) or ERR_TOO_BIG (longer than max). */
static int check_str(const char *s, size_t max)
{
	if (!s || !*s)
		return ERR_USAGE;
	return strnlen(s, max + 1) > max ? ERR_TOO_BIG : 0;
}

static int check_entry(const struct store_frontier_entry *e)
{
	int rc = check_str(e->url, STORE_URL_MAX);
	if (!rc)
		rc = check_str(e->host, STORE_HOST_MAX);
	return rc;
}

/* A seen key (schema 5): the URL's first bytes after "http://" or "https://", at most
 * SEEN_PREFIX_MAX, then the SHA-256 of the whole URL, which alone makes it unique. URLs that
 * share a beginning (one host, one directory, one thread's pages) sort together, so the links of
 * one page land on a few neighbouring pages of the B-tree instead of one random page each: what
 * keeps the reads of a large frontier few and its map small (docs/storage.md, Memory). Schema 4
 * keys were the digest alone, 32 bytes; these are at least 33. The digest part is the lease key. */
#define SEEN_PREFIX_MAX 64
#define SEEN_KEY_MAX	(SEEN_PREFIX_MAX + DIGEST_LEN)

struct seen_key {
	uint8_t b[SEEN_KEY_MAX];
	size_t len;
};

static int seen_key(const char *url, struct seen_key *k)
{
	size_t len = strlen(url), skip = 0;
	if (strncmp(url, "http://", 7) == 0)
		skip = 7;
	else if (strncmp(url, "https://", 8) == 0)
		skip = 8;
	if (skip == len) /* nothing after the scheme: the prefix may not be empty */
		skip = 0;
	size_t n = len - skip < SEEN_PREFIX_MAX ? len - skip : SEEN_PREFIX_MAX;
	memcpy(k->b, url + skip, n);
	k->len = n + DIGEST_LEN;
	return digest_sha256(url, len, k->b + n);
}

/* The lease key of the URL whose seen key is k: its SHA-256. */
static const uint8_t *lease_key(const struct seen_key *k)
{
	return k->b + k->len - DIGEST_LEN;
}

static void be64_put(uint8_t *p, uint64_t x)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(x >> (8 * (7 - i)));
}

static uint64_t be64_get(const uint8_t *p)
{
	uint64_t x = 0;
	for (int i = 0; i < 8; i++)
		x = x << 8 | p[i];
	return x;
}

/* Flipping the sign bit makes byte order of the big-endian form the numeric order of an i64. */
#define DUE_BIAS ((uint64_t)1 << 63)

static size_t fkey_make(uint8_t out[FKEY_MAX], const struct qitem *q)
{
	size_t n = strlen(q->host);
	memcpy(out, q->host, n);
	out[n] = '\0';
	out[n + 1] = q->priority;
	be64_put(out + n + 2, (uint64_t)q->due ^ DUE_BIAS);
	be64_put(out + n + 10, q->seq);
	return n + FKEY_TAIL;
}

/* ---- records ---- */

static int seen_encode(const struct seen_rec *r, struct buf *out)
{
	struct store_enc e;
	buf_reset(out);
	store__enc_start(&e, out, SEEN_REC_VERSION);
	store__enc_u64(&e, r->gen);
	store__enc_raw(&e, &r->state, 1);
	store__enc_raw(&e, &r->flags, 1);
	store__enc_i64(&e, r->st.fetched_at);
	store__enc_i64(&e, r->st.status);
	store__enc_str(&e, r->st.etag);
	store__enc_str(&e, r->st.last_modified);
	store__enc_raw(&e, r->st.digest, sizeof(r->st.digest));
	store__enc_i64(&e, r->st.next_visit);
	store__enc_i64(&e, r->interval);
	store__enc_u64(&e, r->adapted);
	return store__enc_finish(&e);
}

/* Copies a decoded string into a fixed array; ERR_STORE when it does not fit. */
static int copy_fixed(char *dst, size_t cap, const char *src)
{
	size_t n = strlen(src);
	if (n >= cap)
		return ERR_STORE;
	memcpy(dst, src, n + 1);
	return 0;
}

static int seen_decode(const MDB_val *v, struct store_scratch *s, struct seen_rec *ret)
{
	struct store_dec d;
	struct seen_rec r = {0};
	uint8_t version;
	int rc = store__dec_start(&d, v->mv_data, v->mv_size, s, &version);
	if (rc)
		return rc;
	r.gen = store__dec_u64(&d);
	store__dec_raw(&d, &r.state, 1);
	store__dec_raw(&d, &r.flags, 1);
	r.st.fetched_at = store__dec_i64(&d);
	int64_t status = store__dec_i64(&d);
	const char *etag = store__dec_str(&d);
	const char *lm = store__dec_str(&d);
	store__dec_raw(&d, r.st.digest, sizeof(r.st.digest));
	r.st.next_visit = store__dec_i64(&d);
	if (version == SEEN_REC_VERSION) {
		r.interval = store__dec_i64(&d);
		r.adapted = store__dec_u64(&d);
	}
	rc = store__dec_finish(&d);
	if (rc)
		return rc;
	if ((version != STORE_REC_VERSION && version != SEEN_REC_VERSION) || r.state < SEEN_QUEUED || r.state > SEEN_DONE ||
	    r.flags > (SEEN_FETCHED | SEEN_DIGEST) || status < INT32_MIN || status > INT32_MAX)
		return ERR_STORE;
	if ((rc = copy_fixed(r.st.etag, sizeof(r.st.etag), etag)) ||
	    (rc = copy_fixed(r.st.last_modified, sizeof(r.st.last_modified), lm)))
		return rc;
	r.st.status = (int)status;
	r.st.has_digest = r.flags & SEEN_DIGEST;
	r.st.gen = r.gen;
	*ret = r;
	return 0;
}

/* Frontier value: url, venue, depth, hops (host, priority, due and seq are in the key).
 * Lease value: host, priority, due, seq, url, venue, depth, hops: all it takes to queue it
 * again. */
static int qitem_encode(const struct qitem *q, bool lease, struct buf *out)
{
	struct store_enc e;
	buf_reset(out);
	store__enc_start(&e, out, STORE_REC_VERSION);
	if (lease) {
		store__enc_str(&e, q->host);
		store__enc_u32(&e, q->priority);
		store__enc_i64(&e, q->due);
		store__enc_u64(&e, q->seq);
	}
	store__enc_str(&e, q->url);
	store__enc_str(&e, q->venue);
	store__enc_u32(&e, q->depth);
	store__enc_u32(&e, q->hops);
	return store__enc_finish(&e);
}

/* Fills the fields the value holds; strings point into s. */
static int qitem_decode(const MDB_val *v, bool lease, struct store_scratch *s, struct qitem *q)
{
	struct store_dec d;
	uint8_t version;
	uint32_t prio = q->priority, hops;
	int rc = store__dec_start(&d, v->mv_data, v->mv_size, s, &version);
	if (rc)
		return rc;
	if (lease) {
		q->host = store__dec_str(&d);
		prio = store__dec_u32(&d);
		q->due = store__dec_i64(&d);
		q->seq = store__dec_u64(&d);
	}
	q->url = store__dec_str(&d);
	q->venue = store__dec_str(&d);
	q->depth = store__dec_u32(&d);
	hops = store__dec_u32(&d);
	rc = store__dec_finish(&d);
	if (rc)
		return rc;
	if (version != STORE_REC_VERSION || prio > UINT8_MAX || hops > UINT8_MAX || !*q->url ||
	    strlen(q->url) > STORE_URL_MAX || (lease && check_str(q->host, STORE_HOST_MAX)))
		return ERR_STORE;
	q->priority = (uint8_t)prio;
	q->hops = (uint8_t)hops;
	return 0;
}

/* ---- the pieces every write call is made of ---- */

static int seen_get(struct store_txn *t, const struct seen_key *key, struct seen_rec *ret)
{
	MDB_val k = val_of(key->b, key->len), v;
	int rc = store__mdb_err(mdb_get(t->txn, t->s->seen, &k, &v));
	return rc ? rc : seen_decode(&v, &t->dec, ret);
}

static int seen_put(struct store_txn *t, const struct seen_key *key, const struct seen_rec *r)
{
	int rc = seen_encode(r, &t->enc);
	if (rc)
		return rc;
	MDB_val k = val_of(key->b, key->len), v = val_of(t->enc.data, t->enc.len);
	return store__mdb_err(mdb_put(t->txn, t->s->seen, &k, &v, 0));
}

/* A URL in the frontier has a seen record; its absence means the databases disagree. */
static int seen_set_state(struct store_txn *t, const struct seen_key *key, uint8_t state)
{
	struct seen_rec r;
	int rc = seen_get(t, key, &r);
	if (rc)
		return rc == ERR_NOT_FOUND ? ERR_STORE : rc;
	r.state = state;
	return seen_put(t, key, &r);
}

static int meta_get(struct store_txn *t, const char *key, uint64_t *ret)
{
	int rc = store__meta_get_u64(t->txn, t->s->meta, key, ret);
	return rc == ERR_NOT_FOUND ? ERR_STORE : rc; /* created with the databases */
}

/* Adds delta (+1 or -1) to host's count of queued URLs, deleting the entry at 0. */
static int host_count_add(struct store_txn *t, const char *host, int delta)
{
	MDB_val k = val_of(host, strlen(host)), v;
	uint64_t n = 0;
	uint8_t b[8];
	int rc = store__mdb_err(mdb_get(t->txn, t->s->frontier_hosts, &k, &v));
	if (rc && rc != ERR_NOT_FOUND)
		return rc;
	if (!rc) {
		if (v.mv_size != 8)
			return ERR_STORE;
		memcpy(b, v.mv_data, 8);
		for (int i = 0; i < 8; i++)
			n |= (uint64_t)b[i] << (8 * i);
	}
	if ((delta < 0 && n == 0) || (delta > 0 && n == UINT64_MAX))
		return ERR_STORE;
	n = delta < 0 ? n - 1 : n + 1;
	if (n == 0)
		return store__mdb_err(mdb_del(t->txn, t->s->frontier_hosts, &k, NULL));
	for (int i = 0; i < 8; i++)
		b[i] = (uint8_t)(n >> (8 * i));
	v = val_of(b, 8);
	return store__mdb_err(mdb_put(t->txn, t->s->frontier_hosts, &k, &v, 0));
}

/* Puts q on its host's queue. q->seq 0 asks for the next sequence number. */
static int queue_put(struct store_txn *t, struct qitem *q)
{
	uint8_t key[FKEY_MAX];
	int rc = 0;
	if (q->seq == 0) {
		rc = meta_get(t, META_FRONTIER_SEQ, &q->seq);
		if (!rc && q->seq == UINT64_MAX)
			rc = ERR_STORE;
		if (!rc)
			rc = store__meta_put_u64(t->txn, t->s->meta, META_FRONTIER_SEQ, ++q->seq);
	}
	if (!rc)
		rc = qitem_encode(q, false, &t->enc);
	if (rc)
		return rc;
	MDB_val k = val_of(key, fkey_make(key, q)), v = val_of(t->enc.data, t->enc.len);
	rc = store__mdb_err(mdb_put(t->txn, t->s->frontier, &k, &v, MDB_NOOVERWRITE));
	return rc ? rc : host_count_add(t, q->host, +1);
}

static struct qitem qitem_of(const struct store_frontier_entry *e)
{
	struct qitem q = {
		.host = e->host,
		.url = e->url,
		.venue = e->venue ? e->venue : "",
		.depth = e->depth,
		.priority = e->priority,
		.hops = e->hops,
		.due = e->due,
		.seq = 0,
	};
	return q;
}

/* ---- generations ---- */

/* Every lease goes back to the place in its queue it was taken from. One at a time, with a fresh
 * cursor each, so no cursor lives across writes to the databases. */
static int leases_return(struct store_txn *t)
{
	for (;;) {
		MDB_cursor *cur;
		MDB_val k, v;
		uint8_t key[DIGEST_LEN];
		struct seen_key sk;
		struct qitem q = {0};
		int rc = store__mdb_err(mdb_cursor_open(t->txn, t->s->leases, &cur));
		if (rc)
			return rc;
		rc = store__mdb_err(mdb_cursor_get(cur, &k, &v, MDB_FIRST));
		if (!rc && k.mv_size != DIGEST_LEN)
			rc = ERR_STORE;
		if (!rc) {
			memcpy(key, k.mv_data, DIGEST_LEN);
			rc = qitem_decode(&v, true, &t->dec, &q);
		}
		mdb_cursor_close(cur);
		if (rc)
			return rc == ERR_NOT_FOUND ? 0 : rc;
		MDB_val lk = val_of(key, DIGEST_LEN);
		if ((rc = seen_key(q.url, &sk)) || (rc = queue_put(t, &q)) ||
		    (rc = store__mdb_err(mdb_del(t->txn, t->s->leases, &lk, NULL))) ||
		    (rc = seen_set_state(t, &sk, SEEN_QUEUED)))
			return rc;
	}
}

int store_crawl_begin(struct store_txn *txn, int64_t now, uint64_t *ret_gen, bool *ret_resumed)
{
	uint64_t queued, leased, gen;
	int rc = store__db_entries(txn->txn, txn->s->frontier, &queued);
	if (!rc)
		rc = store__db_entries(txn->txn, txn->s->leases, &leased);
	if (!rc)
		rc = meta_get(txn, META_CRAWL_GEN, &gen);
	uint64_t open = 0;
	if (!rc) {
		rc = store__meta_get_u64(txn->txn, txn->s->meta, META_CRAWL_OPEN, &open);
		rc = rc == ERR_NOT_FOUND ? 0 : rc; /* a store whose crawls all ended before */
	}
	if (rc)
		return rc;
	/* Only a crawl that did not end resumes: a finished one may leave URLs queued (hosts
	 * whose robots.txt was unreachable), and they must not hold every later crawl in it. */
	bool resumed = open && (queued || leased);
	if (!rc && leased && !resumed)
		rc = leases_return(txn); /* cannot happen after store_crawl_end; repaired anyway */
	if (resumed) {
		rc = leases_return(txn);
	} else {
		if (gen == UINT64_MAX)
			return ERR_STORE;
		gen++;
		rc = store__meta_put_u64(txn->txn, txn->s->meta, META_CRAWL_GEN, gen);
		if (!rc)
			rc = store__meta_put_u64(txn->txn, txn->s->meta, META_CRAWL_STARTED,
						 (uint64_t)now);
	}
	if (!rc)
		rc = store__meta_put_u64(txn->txn, txn->s->meta, META_CRAWL_OPEN, 1);
	if (rc)
		return rc;
	if (ret_gen)
		*ret_gen = gen;
	if (ret_resumed)
		*ret_resumed = resumed;
	return 0;
}

int store_crawl_end(struct store_txn *txn)
{
	return store__meta_put_u64(txn->txn, txn->s->meta, META_CRAWL_OPEN, 0);
}

/* ---- push, take, finish, requeue ---- */

/* A variants value: the generation it counts in and the query URLs admitted in it. */
static int variant_get(struct store_txn *t, MDB_val *k, uint64_t gen, uint64_t *ret_count)
{
	struct store_dec d;
	uint8_t version;
	MDB_val v;
	int rc = store__mdb_err(mdb_get(t->txn, t->s->variants, k, &v));
	if (rc == ERR_NOT_FOUND) {
		*ret_count = 0;
		return 0;
	}
	if (!rc)
		rc = store__dec_start(&d, v.mv_data, v.mv_size, &t->dec, &version);
	if (rc)
		return rc;
	uint64_t at = store__dec_u64(&d), count = store__dec_u64(&d);
	rc = store__dec_finish(&d);
	if (!rc && version != STORE_REC_VERSION)
		rc = ERR_STORE;
	if (!rc)
		*ret_count = at == gen ? count : 0; /* an older crawl's count starts over */
	return rc;
}

/* The max_query_variants guard for a URL not seen in generation gen: *ret_ok false when its
 * path has had its share of queries; otherwise true, and counted. */
static int variant_admit(struct store_txn *t, uint64_t gen, const struct store_frontier_entry *e,
			 bool *ret_ok)
{
	const char *q = strchr(e->url, '?');
	uint8_t key[DIGEST_LEN];
	uint64_t count;
	*ret_ok = true;
	if (!e->max_query_variants || !q)
		return 0;
	int rc = digest_sha256(e->url, (size_t)(q - e->url), key);
	MDB_val k = val_of(key, DIGEST_LEN);
	if (!rc)
		rc = variant_get(t, &k, gen, &count);
	if (rc)
		return rc;
	if (count >= e->max_query_variants) {
		*ret_ok = false;
		return 0;
	}
	struct store_enc enc;
	buf_reset(&t->enc);
	store__enc_start(&enc, &t->enc, STORE_REC_VERSION);
	store__enc_u64(&enc, gen);
	store__enc_u64(&enc, count + 1);
	if ((rc = store__enc_finish(&enc)))
		return rc;
	MDB_val v = val_of(t->enc.data, t->enc.len);
	return store__mdb_err(mdb_put(t->txn, t->s->variants, &k, &v, 0));
}

/* ---- revisits: each fetched URL's interval (docs/storage.md, "Revisits") ---- */

int store_frontier_revisit(struct store_txn *txn, int64_t at)
{
	return store__meta_put_u64(txn->txn, txn->s->meta, META_REVISIT_AT,
				   at > 0 ? (uint64_t)at : 0);
}

static int revisit_at(struct store_txn *t, int64_t *ret)
{
	uint64_t at = 0;
	int rc = store__meta_get_u64(t->txn, t->s->meta, META_REVISIT_AT, &at);
	*ret = rc == 0 && at <= INT64_MAX ? (int64_t)at : 0;
	return rc == ERR_NOT_FOUND ? 0 : rc;
}

/* *add stays true unless the gate is on and r, fetched before and done, is a page that is not
 * due before the gate's time. Seeds and recently changed sitemap URLs are always due: they are
 * where new threads show up. */
static int revisit_due(struct store_txn *t, const struct store_frontier_entry *e,
		       const struct seen_rec *r, bool *add)
{
	int64_t at;
	if (!(r->flags & SEEN_FETCHED) || r->state != SEEN_DONE || !r->st.next_visit ||
	    e->priority <= STORE_PRIO_SITEMAP_RECENT)
		return 0;
	int rc = revisit_at(t, &at);
	if (rc == 0 && at && r->st.next_visit > at)
		*add = false;
	return rc;
}

/* The next interval after a visit: halved when the page changed (down to the minimum), doubled
 * when it did not (up to the maximum); the minimum for a page never fetched before. */
static int64_t revisit_interval(const struct seen_rec *old, bool known, bool changed)
{
	int64_t i = known && old->interval > 0 ? old->interval : 0;
	if (!i)
		return STORE_REVISIT_MIN_S;
	i = changed ? i / 2 : i > STORE_REVISIT_MAX_S / 2 ? STORE_REVISIT_MAX_S : i * 2;
	return i < STORE_REVISIT_MIN_S ? STORE_REVISIT_MIN_S : i;
}

/* A URL finished in generation gen without a new fetch state (a 304, an error): unchanged. */
static int revisit_unchanged(struct store_txn *t, struct seen_rec *r, uint64_t gen)
{
	uint64_t started = 0;
	if (!(r->flags & SEEN_FETCHED) || r->adapted == gen)
		return 0;
	int rc = store__meta_get_u64(t->txn, t->s->meta, META_CRAWL_STARTED, &started);
	if (rc && rc != ERR_NOT_FOUND)
		return rc;
	r->interval = revisit_interval(r, true, false);
	r->adapted = gen;
	r->st.next_visit = (started <= INT64_MAX ? (int64_t)started : 0) + r->interval;
	return 0;
}

int store_frontier_push(struct store_txn *txn, uint64_t gen, const struct store_frontier_entry *e,
			enum store_push *ret)
{
	struct seen_key key;
	uint64_t cur;
	struct seen_rec r = {0};
	int rc = check_entry(e);
	if (!rc)
		rc = meta_get(txn, META_CRAWL_GEN, &cur);
	if (rc)
		return rc;
	if (gen == 0 || gen != cur)
		return ERR_USAGE;
	if ((rc = seen_key(e->url, &key)))
		return rc;
	rc = seen_get(txn, &key, &r);
	if (rc && rc != ERR_NOT_FOUND)
		return rc;
	bool add = rc == ERR_NOT_FOUND || r.gen < gen, admitted = true;
	if (add && rc == 0 && (rc = revisit_due(txn, e, &r, &add)) != 0)
		return rc;
	/* Still queued from the crawl before: it is admitted where it stands, and counted nowhere
	 * since it was counted when it was queued. */
	bool queued = rc == 0 && r.state != SEEN_DONE;
	if (add && !queued && (rc = variant_admit(txn, gen, e, &admitted)) != 0)
		return rc;
	if (add && admitted) {
		struct qitem q = qitem_of(e);
		r.gen = gen;
		r.state = queued ? r.state : SEEN_QUEUED;
		rc = seen_put(txn, &key, &r);
		if (!rc && !queued)
			rc = queue_put(txn, &q);
		if (rc)
			return rc;
	}
	if (ret)
		*ret = !add ? STORE_PUSH_SEEN : admitted ? STORE_PUSH_ADDED : STORE_PUSH_TRAP;
	return 0;
}

/* Finds the head of host's queue with a cursor, copies it out and deletes it. */
static int queue_pop(struct store_txn *t, const char *host, struct qitem *q,
		     struct store_frontier_item *ret)
{
	MDB_cursor *cur;
	uint8_t key[FKEY_MAX];
	size_t hlen = strlen(host);
	memcpy(key, host, hlen);
	key[hlen] = '\0';
	MDB_val k = val_of(key, hlen + 1), v;
	int rc = store__mdb_err(mdb_cursor_open(t->txn, t->s->frontier, &cur));
	if (rc)
		return rc;
	rc = store__mdb_err(mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE));
	if (!rc && (k.mv_size < hlen + 1 || memcmp(k.mv_data, key, hlen + 1)))
		rc = ERR_NOT_FOUND;
	if (!rc && k.mv_size != hlen + FKEY_TAIL)
		rc = ERR_STORE;
	if (!rc) {
		const uint8_t *p = (const uint8_t *)k.mv_data + hlen + 1;
		q->host = host;
		q->priority = p[0];
		q->due = (int64_t)(be64_get(p + 1) ^ DUE_BIAS);
		q->seq = be64_get(p + 9);
		rc = qitem_decode(&v, false, &t->dec, q);
	}
	if (!rc) {
		ret->url = strdup(q->url);
		ret->venue = strdup(q->venue);
		if (!ret->url || !ret->venue)
			rc = -ENOMEM;
	}
	if (!rc)
		rc = store__mdb_err(mdb_cursor_del(cur, 0));
	mdb_cursor_close(cur);
	return rc;
}

int store_frontier_take(struct store_txn *txn, const char *host, struct store_frontier_item *ret)
{
	struct store_frontier_item it = {0};
	struct qitem q = {0};
	struct seen_key key;
	int rc = check_str(host, STORE_HOST_MAX);
	if (!rc)
		rc = queue_pop(txn, host, &q, &it);
	if (rc) {
		store_frontier_item_done(&it);
		return rc; /* ERR_NOT_FOUND: nothing changed */
	}
	q.url = it.url; /* the scratch copies go stale at the next decode */
	q.venue = it.venue;
	rc = seen_key(q.url, &key);
	if (!rc)
		rc = host_count_add(txn, host, -1);
	if (!rc)
		rc = qitem_encode(&q, true, &txn->enc);
	if (rc)
		goto fail;
	MDB_val k = val_of(lease_key(&key), DIGEST_LEN), v = val_of(txn->enc.data, txn->enc.len);
	rc = store__mdb_err(mdb_put(txn->txn, txn->s->leases, &k, &v, MDB_NOOVERWRITE));
	if (!rc)
		rc = seen_set_state(txn, &key, SEEN_LEASED);
	if (rc)
		goto fail;
	it.depth = q.depth;
	it.priority = q.priority;
	it.hops = q.hops;
	it.due = q.due;
	*ret = it;
	return 0;
fail:
	store_frontier_item_done(&it);
	return rc == ERR_NOT_FOUND ? ERR_STORE : rc; /* the item was deleted already */
}

void store_frontier_item_done(struct store_frontier_item *item)
{
	if (!item)
		return;
	free(item->url);
	free(item->venue);
	memset(item, 0, sizeof(*item));
}

/* Deletes url's lease; ERR_NOT_FOUND (nothing changed) when it has none. */
static int lease_end(struct store_txn *t, const char *url, struct seen_key *key)
{
	int rc = check_str(url, STORE_URL_MAX);
	if (!rc)
		rc = seen_key(url, key);
	if (rc)
		return rc;
	MDB_val k = val_of(lease_key(key), DIGEST_LEN);
	return store__mdb_err(mdb_del(t->txn, t->s->leases, &k, NULL));
}

int store_frontier_finish(struct store_txn *txn, const char *url)
{
	struct seen_key key;
	struct seen_rec r;
	uint64_t gen;
	int rc = lease_end(txn, url, &key);
	if (rc)
		return rc;
	if ((rc = meta_get(txn, META_CRAWL_GEN, &gen)) != 0)
		return rc;
	if ((rc = seen_get(txn, &key, &r)) != 0)
		return rc == ERR_NOT_FOUND ? ERR_STORE : rc; /* a lease without a seen record */
	r.state = SEEN_DONE;
	if ((rc = revisit_unchanged(txn, &r, gen)) != 0)
		return rc;
	return seen_put(txn, &key, &r);
}

int store_frontier_requeue(struct store_txn *txn, const struct store_frontier_entry *e)
{
	struct seen_key key;
	struct qitem q = qitem_of(e);
	int rc = check_entry(e);
	if (!rc)
		rc = lease_end(txn, e->url, &key);
	if (!rc)
		rc = seen_set_state(txn, &key, SEEN_QUEUED);
	if (!rc)
		rc = queue_put(txn, &q);
	return rc;
}

/* ---- read side ---- */

static int read_begin(struct store *s, MDB_txn **ret)
{
	return store__read_begin(s, ret);
}

int store_frontier_count(struct store *s, uint64_t *ret_queued, uint64_t *ret_leased)
{
	MDB_txn *txn;
	uint64_t queued, leased;
	int rc = read_begin(s, &txn);
	if (rc)
		return rc;
	rc = store__db_entries(txn, s->frontier, &queued);
	if (!rc)
		rc = store__db_entries(txn, s->leases, &leased);
	store__read_end(s, txn);
	if (rc)
		return rc;
	if (ret_queued)
		*ret_queued = queued;
	if (ret_leased)
		*ret_leased = leased;
	return 0;
}

struct hosts_walk {
	int (*fn)(const char *host, uint64_t queued, void *ud);
	void *ud;
};

static int visit_host(const MDB_val *k, const MDB_val *v, struct store_scratch *s, void *ctx)
{
	struct hosts_walk *w = ctx;
	char host[STORE_HOST_MAX + 1];
	const uint8_t *p = v->mv_data;
	uint64_t n = 0;
	(void)s;
	if (k->mv_size == 0 || k->mv_size > STORE_HOST_MAX ||
	    memchr(k->mv_data, '\0', k->mv_size) || v->mv_size != 8)
		return ERR_STORE;
	memcpy(host, k->mv_data, k->mv_size);
	host[k->mv_size] = '\0';
	for (int i = 0; i < 8; i++)
		n |= (uint64_t)p[i] << (8 * i);
	return w->fn(host, n, w->ud);
}

int store_frontier_hosts(struct store *s, int (*fn)(const char *host, uint64_t queued, void *ud),
			 void *ud)
{
	struct hosts_walk w = {fn, ud};
	return store__walk(s, s->frontier_hosts, visit_host, &w);
}

int store_fetch_state_get(struct store *s, const char *url, struct store_fetch_state *ret)
{
	struct seen_key key;
	struct store_scratch scratch;
	struct seen_rec r;
	MDB_txn *txn;
	int rc = check_str(url, STORE_URL_MAX);
	if (!rc)
		rc = seen_key(url, &key);
	if (!rc)
		rc = read_begin(s, &txn);
	if (rc)
		return rc;
	store__scratch_init(&scratch);
	MDB_val k = val_of(key.b, key.len), v;
	rc = store__mdb_err(mdb_get(txn, s->seen, &k, &v));
	if (!rc)
		rc = seen_decode(&v, &scratch, &r);
	store__read_end(s, txn);
	store__scratch_done(&scratch);
	if (!rc && !(r.flags & SEEN_FETCHED))
		rc = ERR_NOT_FOUND;
	if (!rc)
		*ret = r.st;
	return rc;
}

int store_fetch_state_put(struct store_txn *txn, const char *url,
			  const struct store_fetch_state *st)
{
	struct seen_key key;
	struct seen_rec r = {0};
	int rc = check_str(url, STORE_URL_MAX);
	if (rc)
		return rc;
	if (!memchr(st->etag, '\0', sizeof(st->etag)) ||
	    !memchr(st->last_modified, '\0', sizeof(st->last_modified)))
		return ERR_USAGE;
	if ((rc = seen_key(url, &key)))
		return rc;
	uint64_t gen;
	rc = meta_get(txn, META_CRAWL_GEN, &gen);
	if (!rc)
		rc = seen_get(txn, &key, &r);
	if (rc && rc != ERR_NOT_FOUND)
		return rc;
	bool known = rc == 0 && (r.flags & SEEN_FETCHED);
	bool changed = !known || !(r.flags & SEEN_DIGEST) || !st->has_digest ||
		       memcmp(r.st.digest, st->digest, sizeof(st->digest)) != 0;
	if (rc || r.gen != gen) {
		/* Not seen in this crawl yet (never pushed, or only in an older crawl): it was
		 * fetched in this one, so it is seen now and not queued again in it. */
		r.gen = gen;
		r.state = SEEN_DONE;
	}
	if (r.adapted != gen || !known) { /* one adaptation per generation, the first fetch's */
		r.interval = revisit_interval(&r, known, changed);
		r.adapted = gen;
	}
	r.st = *st;
	if (!st->next_visit)
		r.st.next_visit = st->fetched_at + r.interval;
	r.flags = SEEN_FETCHED | (st->has_digest ? SEEN_DIGEST : 0);
	if (!st->has_digest)
		memset(r.st.digest, 0, sizeof(r.st.digest));
	return seen_put(txn, &key, &r);
}

/* ---- robots.txt ---- */

int store_robots_put(struct store_txn *txn, const char *host, int64_t fetched_at, int http_status,
		     const char *body, size_t len)
{
	struct store_enc e;
	int rc = check_str(host, STORE_HOST_MAX);
	if (rc)
		return rc;
	if (!body && len)
		return ERR_USAGE;
	if (len > STORE_ROBOTS_MAX)
		len = STORE_ROBOTS_MAX;
	buf_reset(&txn->enc);
	store__enc_start(&e, &txn->enc, STORE_REC_VERSION);
	store__enc_i64(&e, fetched_at);
	store__enc_i64(&e, http_status);
	store__enc_u32(&e, (uint32_t)len);
	store__enc_raw(&e, body, len);
	if ((rc = store__enc_finish(&e)))
		return rc;
	MDB_val k = val_of(host, strlen(host)), v = val_of(txn->enc.data, txn->enc.len);
	return store__mdb_err(mdb_put(txn->txn, txn->s->robots, &k, &v, 0));
}

/* Robots value: fetched_at, status, then the body as a u32 length and its bytes (NULs allowed). */
static int robots_decode(const MDB_val *v, int64_t *at, int *status, char **body, size_t *len)
{
	struct store_dec d;
	struct store_scratch scratch;
	uint8_t version;
	char *b = NULL;
	store__scratch_init(&scratch);
	int rc = store__dec_start(&d, v->mv_data, v->mv_size, &scratch, &version);
	if (rc) {
		store__scratch_done(&scratch);
		return rc;
	}
	int64_t fetched = store__dec_i64(&d), st = store__dec_i64(&d);
	size_t n = store__dec_u32(&d);
	if (d.rc || version != STORE_REC_VERSION || n > STORE_ROBOTS_MAX || n != d.len - d.off ||
	    st < INT32_MIN || st > INT32_MAX)
		rc = ERR_STORE;
	if (!rc && body && !(b = malloc(n + 1)))
		rc = -ENOMEM;
	if (!rc && b) {
		store__dec_raw(&d, b, n);
		b[n] = '\0';
	} else if (!rc) {
		d.off += n;
	}
	if (!rc)
		rc = store__dec_finish(&d);
	store__scratch_done(&scratch);
	if (rc) {
		free(b);
		return rc;
	}
	*at = fetched;
	*status = (int)st;
	*len = n;
	if (body)
		*body = b;
	return 0;
}

int store_robots_get(struct store *s, const char *host, int64_t *ret_fetched_at, int *ret_status,
		     char **ret_body, size_t *ret_len)
{
	MDB_txn *txn;
	int64_t at;
	int status;
	char *body = NULL;
	size_t len = 0;
	int rc = check_str(host, STORE_HOST_MAX);
	if (!rc && ret_body && !ret_len)
		rc = ERR_USAGE;
	if (!rc)
		rc = read_begin(s, &txn);
	if (rc)
		return rc;
	MDB_val k = val_of(host, strlen(host)), v;
	rc = store__mdb_err(mdb_get(txn, s->robots, &k, &v));
	if (!rc)
		rc = robots_decode(&v, &at, &status, ret_body ? &body : NULL, &len);
	store__read_end(s, txn);
	if (rc)
		return rc;
	if (ret_fetched_at)
		*ret_fetched_at = at;
	if (ret_status)
		*ret_status = status;
	if (ret_body)
		*ret_body = body;
	if (ret_len)
		*ret_len = len;
	return 0;
}

/* ---- schema 2 ---- */

static const char *const frontier_dbs[] = {"frontier", "frontier_hosts", "seen", "leases",
					   "robots"};

int store__frontier_create(MDB_txn *txn, MDB_dbi meta)
{
	MDB_dbi dbi;
	int rc = 0;
	for (size_t i = 0; !rc && i < sizeof(frontier_dbs) / sizeof(frontier_dbs[0]); i++)
		rc = store__mdb_err(mdb_dbi_open(txn, frontier_dbs[i], MDB_CREATE, &dbi));
	if (!rc)
		rc = store__meta_put_u64(txn, meta, META_CRAWL_GEN, 0);
	if (!rc)
		rc = store__meta_put_u64(txn, meta, META_FRONTIER_SEQ, 0);
	return rc;
}

/* ---- schema 3 ---- */

int store__variants_create(MDB_txn *txn)
{
	MDB_dbi dbi;
	return store__mdb_err(mdb_dbi_open(txn, "variants", MDB_CREATE, &dbi));
}

int store__frontier_open(struct store *s, MDB_txn *txn)
{
	MDB_dbi *dbis[] = {&s->frontier, &s->frontier_hosts, &s->seen, &s->leases, &s->robots};
	int rc = 0;
	for (size_t i = 0; !rc && i < sizeof(dbis) / sizeof(dbis[0]); i++)
		rc = store__mdb_err(mdb_dbi_open(txn, frontier_dbs[i], 0, dbis[i]));
	if (!rc)
		rc = store__mdb_err(mdb_dbi_open(txn, "variants", 0, &s->variants));
	return rc == ERR_NOT_FOUND ? ERR_STORE : rc;
}

/* ---- schema 5 ---- */

enum rekey_source { REKEY_QUEUED, REKEY_LEASED, REKEY_PAGES };

/* Moves url's schema 4 seen record (keyed by the URL's SHA-256) to its schema 5 key; nothing
 * when it has none (moved already: a URL can be queued and a page too). The value is copied
 * first: it points into a page the put may change. */
static int rekey_url(MDB_txn *txn, MDB_dbi seen, const char *url, struct buf *copy)
{
	struct seen_key key;
	MDB_val v;
	int rc = check_str(url, STORE_URL_MAX);
	if (rc)
		return rc == ERR_USAGE || rc == ERR_TOO_BIG ? 0 : rc; /* not a URL a push accepts */
	if ((rc = seen_key(url, &key)))
		return rc;
	MDB_val old = val_of(lease_key(&key), DIGEST_LEN);
	rc = store__mdb_err(mdb_get(txn, seen, &old, &v));
	if (rc)
		return rc == ERR_NOT_FOUND ? 0 : rc;
	buf_reset(copy);
	if ((rc = buf_add(copy, v.mv_data, v.mv_size)))
		return rc;
	MDB_val k = val_of(key.b, key.len), nv = val_of(copy->data, copy->len);
	rc = store__mdb_err(mdb_put(txn, seen, &k, &nv, 0));
	return rc ? rc : store__mdb_err(mdb_del(txn, seen, &old, NULL));
}

/* Rekeys the seen record of every URL in db: queued URLs, leases or stored pages. */
static int rekey_from(MDB_txn *txn, MDB_dbi db, enum rekey_source src, MDB_dbi seen,
		      struct store_scratch *scratch, struct buf *copy)
{
	MDB_cursor *cur;
	MDB_val k, v;
	int rc = store__mdb_err(mdb_cursor_open(txn, db, &cur));
	if (rc)
		return rc;
	for (int op = MDB_FIRST; !rc; op = MDB_NEXT) {
		struct store_page page;
		struct qitem q = {0};
		if ((rc = store__mdb_err(mdb_cursor_get(cur, &k, &v, op))) != 0)
			break;
		if (src == REKEY_PAGES)
			rc = store__page_decode(v.mv_data, v.mv_size, scratch, &page);
		else
			rc = qitem_decode(&v, src == REKEY_LEASED, scratch, &q);
		if (!rc)
			rc = rekey_url(txn, seen, src == REKEY_PAGES ? page.url : q.url, copy);
	}
	mdb_cursor_close(cur);
	return rc == ERR_NOT_FOUND ? 0 : rc;
}

/* Deletes the schema 4 records left: URLs the store no longer names anywhere (fetched without a
 * page: errors, redirects, other content types). Their keys alone are 32 bytes long. */
static int drop_digest_keys(MDB_txn *txn, MDB_dbi seen)
{
	MDB_cursor *cur;
	MDB_val k, v;
	int rc = store__mdb_err(mdb_cursor_open(txn, seen, &cur));
	if (rc)
		return rc;
	/* After a delete the cursor stands on the next record, and MDB_NEXT returns it. */
	for (int op = MDB_FIRST; !rc; op = MDB_NEXT) {
		if ((rc = store__mdb_err(mdb_cursor_get(cur, &k, &v, op))) != 0)
			break;
		if (k.mv_size == DIGEST_LEN)
			rc = store__mdb_err(mdb_cursor_del(cur, 0));
	}
	mdb_cursor_close(cur);
	return rc == ERR_NOT_FOUND ? 0 : rc;
}

int store__seen_rekey(struct store *s, MDB_txn *txn)
{
	MDB_dbi seen, frontier, leases;
	struct store_scratch scratch;
	struct buf copy;
	int rc = store__mdb_err(mdb_dbi_open(txn, "seen", 0, &seen));
	if (!rc)
		rc = store__mdb_err(mdb_dbi_open(txn, "frontier", 0, &frontier));
	if (!rc)
		rc = store__mdb_err(mdb_dbi_open(txn, "leases", 0, &leases));
	if (rc)
		return rc == ERR_NOT_FOUND ? ERR_STORE : rc;
	store__scratch_init(&scratch);
	buf_init(&copy, STORE_REC_MAX);
	rc = rekey_from(txn, frontier, REKEY_QUEUED, seen, &scratch, &copy);
	if (!rc)
		rc = rekey_from(txn, leases, REKEY_LEASED, seen, &scratch, &copy);
	if (!rc)
		rc = rekey_from(txn, s->pages, REKEY_PAGES, seen, &scratch, &copy);
	if (!rc)
		rc = drop_digest_keys(txn, seen);
	buf_done(&copy);
	store__scratch_done(&scratch);
	return rc;
}
