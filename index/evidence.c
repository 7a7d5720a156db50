/* SPDX-License-Identifier: MIT */
/* Evidence: the raw responses of pages with hits, zstd-compressed in bodies under the SHA-256 of
 * the raw bytes (docs/storage.md, "Evidence"), and store_verify, which recomputes every digest.
 *
 * Values come back from disk, so nothing here trusts them: the stated raw length is capped before
 * anything is allocated, decompression must give exactly that many bytes, and a value that fails
 * either is reported, never read past. Compression runs outside any transaction (the crawl's
 * workers call store_evidence_pack), so the writer only copies bytes into LMDB.
 */
#include "index/store.h"

#include "common/digest.h"
#include "common/err.h"
#include "index/store_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#define EV_VERSION	 1
#define EV_HEAD		 9  /* version byte, raw length u64 LE */
#define EV_LEVEL	 3  /* zstd's default: fast, and pages compress 4-8x */
#define VERIFY_CHUNK	 16 /* bodies decompressed per read transaction of store_verify */
#define VERIFY_HIT_CHUNK 512
#define VERIFY_PROBLEMS	 64 /* problems noted in one transaction, reported after it */

static MDB_val val_of(const void *data, size_t len)
{
	MDB_val v = {.mv_size = len, .mv_data = (void *)data};
	return v;
}

/* Streams both parts through one compression context into out (capacity cap). */
static int ev_compress(ZSTD_CCtx *cc, const void *head, size_t hl, const void *body, size_t bl,
		       uint8_t *out, size_t cap, size_t *ret_len)
{
	ZSTD_outBuffer o = {out, cap, 0};
	ZSTD_inBuffer a = {head, hl, 0}, b = {body, bl, 0};
	if (ZSTD_isError(ZSTD_CCtx_setParameter(cc, ZSTD_c_compressionLevel, EV_LEVEL)) ||
	    ZSTD_isError(ZSTD_CCtx_setPledgedSrcSize(cc, hl + bl)))
		return -ENOMEM;
	while (a.pos < a.size) {
		size_t r = ZSTD_compressStream2(cc, &o, &a, ZSTD_e_continue);
		if (ZSTD_isError(r))
			return ERR_INTERNAL;
	}
	for (;;) {
		size_t r = ZSTD_compressStream2(cc, &o, &b, ZSTD_e_end);
		if (ZSTD_isError(r) || (r && o.pos == o.size))
			return ERR_INTERNAL; /* the bound was too small: cannot happen */
		if (r == 0)
			break;
	}
	*ret_len = o.pos;
	return 0;
}

int store_evidence_pack(const void *head, size_t head_len, const void *body, size_t body_len,
			void **ret_packed, size_t *ret_len, uint8_t ret_digest[32])
{
	if (head_len > STORE_EVIDENCE_MAX || body_len > STORE_EVIDENCE_MAX - head_len)
		return ERR_TOO_BIG;
	size_t raw = head_len + body_len, bound = ZSTD_compressBound(raw), zlen = 0;
	struct digest_part parts[] = {{head, head_len}, {body, body_len}};
	int rc = digest_sha256_parts(parts, 2, ret_digest);
	if (rc)
		return rc;
	uint8_t *out = malloc(EV_HEAD + bound);
	ZSTD_CCtx *cc = ZSTD_createCCtx();
	if (!out || !cc) {
		rc = -ENOMEM;
		goto fail;
	}
	rc = ev_compress(cc, head ? head : "", head_len, body ? body : "", body_len, out + EV_HEAD,
			 bound, &zlen);
	if (rc)
		goto fail;
	out[0] = EV_VERSION;
	for (int i = 0; i < 8; i++)
		out[1 + i] = (uint8_t)((uint64_t)raw >> (8 * i));
	ZSTD_freeCCtx(cc);
	*ret_packed = out;
	*ret_len = EV_HEAD + zlen;
	return 0;
fail:
	ZSTD_freeCCtx(cc);
	free(out);
	return rc;
}

/* The raw length a value states; ERR_STORE for a value that is not ours or states too much. */
static int ev_raw_len(const void *packed, size_t len, size_t *ret)
{
	const uint8_t *p = packed;
	uint64_t n = 0;
	if (len <= EV_HEAD || p[0] != EV_VERSION)
		return ERR_STORE;
	for (int i = 0; i < 8; i++)
		n |= (uint64_t)p[1 + i] << (8 * i);
	if (n > STORE_EVIDENCE_MAX)
		return ERR_STORE;
	*ret = (size_t)n;
	return 0;
}

int store_evidence_put(struct store_txn *txn, const uint8_t digest[32], const void *packed,
		       size_t len)
{
	size_t raw;
	if (!digest || !packed || ev_raw_len(packed, len, &raw) != 0)
		return ERR_USAGE;
	MDB_val k = val_of(digest, DIGEST_LEN), v = val_of(packed, len);
	int mrc = mdb_put(txn->txn, txn->s->bodies, &k, &v, MDB_NOOVERWRITE);
	return mrc == MDB_KEYEXIST ? 0 : store__mdb_err(mrc); /* stored once */
}

/* Decompresses a value into a malloc'd buffer of its raw length plus a NUL and checks that the
 * bytes have digest. ERR_STORE: not decodable; ERR_PARSE: decodable, another digest (the bytes
 * are handed back all the same, for store_verify to tell the two apart). */
static int ev_unpack(const void *packed, size_t len, const uint8_t digest[32], char **ret_data,
		     size_t *ret_len)
{
	size_t raw;
	uint8_t d[DIGEST_LEN];
	int rc = ev_raw_len(packed, len, &raw);
	if (rc)
		return rc;
	char *out = malloc(raw + 1);
	if (!out)
		return -ENOMEM;
	size_t got = ZSTD_decompress(out, raw, (const uint8_t *)packed + EV_HEAD, len - EV_HEAD);
	if (ZSTD_isError(got) || got != raw) {
		free(out);
		return ERR_STORE;
	}
	out[raw] = '\0';
	rc = digest_sha256(out, raw, d);
	if (rc) {
		free(out);
		return rc;
	}
	*ret_data = out;
	*ret_len = raw;
	return memcmp(d, digest, DIGEST_LEN) == 0 ? 0 : ERR_PARSE;
}

int store_evidence_get(struct store *s, const uint8_t digest[32], char **ret_data,
		       size_t *ret_len)
{
	MDB_txn *txn = NULL;
	char *data = NULL;
	size_t len = 0;
	int rc = store__read_begin(s, &txn);
	if (rc)
		return rc;
	MDB_val k = val_of(digest, DIGEST_LEN), v;
	rc = store__mdb_err(mdb_get(txn, s->bodies, &k, &v));
	if (!rc)
		rc = ev_unpack(v.mv_data, v.mv_size, digest, &data, &len);
	store__read_end(s, txn);
	if (rc == ERR_PARSE) {
		free(data);
		rc = ERR_STORE; /* the bytes are not what the hits name any more */
	}
	if (rc)
		return rc;
	*ret_data = data;
	*ret_len = len;
	return 0;
}

/* ---- store_verify ---- */

struct problem {
	enum store_verify_problem what;
	uint8_t digest[DIGEST_LEN];
	uint64_t hit;
};

struct verify {
	struct store *s;
	struct problem problems[VERIFY_PROBLEMS];
	size_t nproblems;
	uint64_t bodies, hits;
};

static void note(struct verify *w, enum store_verify_problem what, const void *digest,
		 uint64_t hit)
{
	struct problem *p = &w->problems[w->nproblems++];
	p->what = what;
	memcpy(p->digest, digest, DIGEST_LEN);
	p->hit = hit;
}

typedef int (*visit_fn)(MDB_txn *txn, const MDB_val *k, const MDB_val *v, struct verify *w,
			struct store_scratch *scratch);

static int check_body(MDB_txn *txn, const MDB_val *k, const MDB_val *v, struct verify *w,
		      struct store_scratch *scratch)
{
	char *data = NULL;
	size_t len;
	(void)txn;
	(void)scratch;
	w->bodies++;
	if (k->mv_size != DIGEST_LEN) /* no digest to name it by: a key we never wrote */
		return ERR_STORE;
	int rc = ev_unpack(v->mv_data, v->mv_size, k->mv_data, &data, &len);
	free(data);
	if (rc == ERR_PARSE)
		note(w, STORE_VERIFY_MISMATCH, k->mv_data, 0);
	else if (rc == ERR_STORE)
		note(w, STORE_VERIFY_CORRUPT, k->mv_data, 0);
	else if (rc)
		return rc;
	return 0;
}

static int check_hit(MDB_txn *txn, const MDB_val *k, const MDB_val *v, struct verify *w,
		     struct store_scratch *scratch)
{
	static const uint8_t zero[DIGEST_LEN];
	struct store_hit h;
	w->hits++;
	if (k->mv_size != 8)
		return ERR_STORE;
	int rc = store__hit_decode(v->mv_data, v->mv_size, scratch, &h);
	if (rc || memcmp(h.evidence, zero, DIGEST_LEN) == 0)
		return rc;
	MDB_val ek = val_of(h.evidence, DIGEST_LEN), ev;
	rc = store__mdb_err(mdb_get(txn, w->s->bodies, &ek, &ev));
	if (rc == ERR_NOT_FOUND) {
		uint64_t id = 0;
		for (int i = 0; i < 8; i++)
			id = id << 8 | ((const uint8_t *)k->mv_data)[i];
		note(w, STORE_VERIFY_MISSING, h.evidence, id);
		rc = 0;
	}
	return rc;
}

/* Walks dbi in read transactions of at most per_txn entries (and as many problems as fit),
 * resuming after the last key, then reports that transaction's problems outside it. */
static int verify_walk(struct verify *w, MDB_dbi dbi, size_t per_txn, visit_fn visit,
		       store_verify_fn fn, void *ud)
{
	uint8_t last[511]; /* LMDB's longest key */
	size_t last_len = 0;
	bool started = false, done = false;
	struct store_scratch scratch;
	int rc = 0;
	store__scratch_init(&scratch);
	while (!rc && !done) {
		MDB_txn *txn = NULL;
		MDB_cursor *cur = NULL;
		MDB_val k = val_of(last, last_len), v;
		rc = store__read_begin(w->s, &txn);
		if (!rc)
			rc = store__mdb_err(mdb_cursor_open(txn, dbi, &cur));
		int mrc = rc ? 0 : mdb_cursor_get(cur, &k, &v, started ? MDB_SET_RANGE : MDB_FIRST);
		if (!rc && mrc == 0 && started && k.mv_size == last_len &&
		    memcmp(k.mv_data, last, last_len) == 0)
			mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
		for (size_t n = 0; !rc; n++) {
			if (mrc) {
				rc = mrc == MDB_NOTFOUND ? 0 : store__mdb_err(mrc);
				done = true;
				break;
			}
			if (n == per_txn || w->nproblems == VERIFY_PROBLEMS)
				break;
			rc = visit(txn, &k, &v, w, &scratch);
			if (k.mv_size > sizeof(last))
				rc = rc ? rc : ERR_STORE;
			memcpy(last, k.mv_data, k.mv_size < sizeof(last) ? k.mv_size : sizeof(last));
			last_len = k.mv_size;
			started = true;
			mrc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
		}
		if (cur)
			mdb_cursor_close(cur);
		store__read_end(w->s, txn);
		for (size_t i = 0; i < w->nproblems && !rc; i++)
			rc = fn(w->problems[i].what, w->problems[i].digest, w->problems[i].hit, ud);
		w->nproblems = 0;
	}
	store__scratch_done(&scratch);
	return rc;
}

int store_verify(struct store *s, store_verify_fn fn, void *ud, uint64_t *ret_bodies,
		 uint64_t *ret_hits)
{
	struct verify *w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->s = s;
	int rc = verify_walk(w, s->bodies, VERIFY_CHUNK, check_body, fn, ud);
	if (!rc)
		rc = verify_walk(w, s->hits, VERIFY_HIT_CHUNK, check_hit, fn, ud);
	if (!rc && ret_bodies)
		*ret_bodies = w->bodies;
	if (!rc && ret_hits)
		*ret_hits = w->hits;
	free(w);
	return rc;
}
