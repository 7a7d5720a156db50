/* SPDX-License-Identifier: MIT */
/* The record codec of store_int.h and the page and hit layouts built on it (docs/storage.md).
 *
 * Values come back from disk, so the decoder treats them as hostile: every read checks the bytes
 * left first, and the scratch area is sized so copies can never overrun it (a string costs 4 + n
 * bytes in the record and n + 1 in scratch, so a record's length bounds its decoded strings).
 */
#include "index/store_int.h"

#include "common/err.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void store__enc_start(struct store_enc *e, struct buf *out, uint8_t version)
{
	e->out = out;
	e->rc = 0;
	store__enc_raw(e, &version, 1);
}

void store__enc_raw(struct store_enc *e, const void *data, size_t len)
{
	if (e->rc)
		return;
	if (len > STORE_REC_MAX || e->out->len > STORE_REC_MAX - len) {
		e->rc = ERR_TOO_BIG;
		return;
	}
	e->rc = buf_add(e->out, data, len);
}

static void enc_le(struct store_enc *e, uint64_t v, size_t width)
{
	uint8_t b[8];
	for (size_t i = 0; i < width; i++)
		b[i] = (uint8_t)(v >> (8 * i));
	store__enc_raw(e, b, width);
}

void store__enc_u32(struct store_enc *e, uint32_t v)
{
	enc_le(e, v, 4);
}

void store__enc_u64(struct store_enc *e, uint64_t v)
{
	enc_le(e, v, 8);
}

void store__enc_i64(struct store_enc *e, int64_t v)
{
	enc_le(e, (uint64_t)v, 8);
}

void store__enc_str(struct store_enc *e, const char *s)
{
	size_t n = s ? strlen(s) : 0;
	if (n > STORE_REC_MAX) {
		if (!e->rc)
			e->rc = ERR_TOO_BIG;
		return;
	}
	store__enc_u32(e, (uint32_t)n);
	store__enc_raw(e, s, n);
}

int store__enc_finish(const struct store_enc *e)
{
	return e->rc;
}

void store__scratch_init(struct store_scratch *s)
{
	s->data = NULL;
	s->cap = 0;
}

void store__scratch_done(struct store_scratch *s)
{
	free(s->data);
	store__scratch_init(s);
}

static int scratch_reserve(struct store_scratch *s, size_t n)
{
	if (n <= s->cap)
		return 0;
	char *p = realloc(s->data, n);
	if (!p)
		return -ENOMEM;
	s->data = p;
	s->cap = n;
	return 0;
}

int store__dec_start(struct store_dec *d, const void *data, size_t len, struct store_scratch *s,
		     uint8_t *ret_version)
{
	if (len == 0 || len > STORE_REC_MAX)
		return ERR_STORE;
	/* Twice the record: strings take at most what they took in it, and an array decoded with
	 * store__dec_alloc at most twice its elements' encoded size (a hit's spans: 48 bytes
	 * each, at least 32 encoded). */
	int rc = scratch_reserve(s, 2 * len + 16);
	if (rc)
		return rc;
	d->p = data;
	d->len = len;
	d->off = 1;
	d->out = s->data;
	d->out_len = 0;
	d->out_cap = s->cap;
	d->rc = 0;
	*ret_version = d->p[0];
	return 0;
}

/* True when n more bytes can be read; otherwise marks the record corrupt. */
static bool dec_have(struct store_dec *d, size_t n)
{
	if (d->rc)
		return false;
	if (n > d->len - d->off) {
		d->rc = ERR_STORE;
		return false;
	}
	return true;
}

static uint64_t dec_le(struct store_dec *d, size_t width)
{
	uint64_t v = 0;
	if (!dec_have(d, width))
		return 0;
	for (size_t i = 0; i < width; i++)
		v |= (uint64_t)d->p[d->off + i] << (8 * i);
	d->off += width;
	return v;
}

uint32_t store__dec_u32(struct store_dec *d)
{
	return (uint32_t)dec_le(d, 4);
}

uint64_t store__dec_u64(struct store_dec *d)
{
	return dec_le(d, 8);
}

int64_t store__dec_i64(struct store_dec *d)
{
	return (int64_t)dec_le(d, 8);
}

void store__dec_raw(struct store_dec *d, void *out, size_t len)
{
	if (!dec_have(d, len)) {
		memset(out, 0, len);
		return;
	}
	memcpy(out, d->p + d->off, len);
	d->off += len;
}

const char *store__dec_str(struct store_dec *d)
{
	size_t n = store__dec_u32(d);
	if (!dec_have(d, n))
		return "";
	const uint8_t *src = d->p + d->off;
	/* A NUL inside would silently shorten the string: the record is not one we wrote. */
	if (memchr(src, '\0', n) || n >= d->out_cap - d->out_len) {
		d->rc = ERR_STORE;
		return "";
	}
	char *dst = d->out + d->out_len;
	memcpy(dst, src, n);
	dst[n] = '\0';
	d->out_len += n + 1;
	d->off += n;
	return dst;
}

void *store__dec_alloc(struct store_dec *d, size_t n, size_t size)
{
	size_t at = (d->out_len + 7) & ~(size_t)7;
	if (d->rc || at > d->out_cap || (size && n > (d->out_cap - at) / size)) {
		d->rc = d->rc ? d->rc : ERR_STORE;
		return NULL;
	}
	d->out_len = at + n * size;
	return d->out + at;
}

int store__dec_finish(const struct store_dec *d)
{
	if (d->rc)
		return d->rc;
	return d->off == d->len ? 0 : ERR_STORE;
}

/* Page: version, url, venue, fetched_at i64, status i64, content_type, title, charset,
 * bytes u64, body_digest[32], then (version 2, schema 3) canonical. */
int store__page_encode(const struct store_page *page, struct buf *out)
{
	struct store_enc e;
	buf_reset(out);
	store__enc_start(&e, out, STORE_PAGE_REC_VERSION);
	store__enc_str(&e, page->url);
	store__enc_str(&e, page->venue);
	store__enc_i64(&e, page->fetched_at);
	store__enc_i64(&e, page->status);
	store__enc_str(&e, page->content_type);
	store__enc_str(&e, page->title);
	store__enc_str(&e, page->charset);
	store__enc_u64(&e, page->bytes);
	store__enc_raw(&e, page->body_digest, sizeof(page->body_digest));
	store__enc_str(&e, page->canonical);
	return store__enc_finish(&e);
}

int store__page_decode(const void *data, size_t len, struct store_scratch *s,
		       struct store_page *ret)
{
	struct store_dec d;
	struct store_page p;
	uint8_t version;
	int rc = store__dec_start(&d, data, len, s, &version);
	if (rc)
		return rc;
	/* Version 1 is a page stored before schema 3: the same, without canonical. */
	if (version != STORE_REC_VERSION && version != STORE_PAGE_REC_VERSION)
		return ERR_STORE;
	p.url = store__dec_str(&d);
	p.venue = store__dec_str(&d);
	p.fetched_at = store__dec_i64(&d);
	int64_t status = store__dec_i64(&d);
	p.content_type = store__dec_str(&d);
	p.title = store__dec_str(&d);
	p.charset = store__dec_str(&d);
	p.bytes = store__dec_u64(&d);
	store__dec_raw(&d, p.body_digest, sizeof(p.body_digest));
	p.canonical = version == STORE_PAGE_REC_VERSION ? store__dec_str(&d) : "";
	rc = store__dec_finish(&d);
	if (rc)
		return rc;
	if (status < INT32_MIN || status > INT32_MAX)
		return ERR_STORE;
	p.status = (int)status;
	*ret = p;
	return 0;
}

/* Hit: version, rule, pack, category, severity, venue, url, field, post i64, match, snippet,
 * status, first_seen i64, last_seen i64, count u64; then (version 2, schema 4) evidence[32],
 * pack_version, pack_digest, gone_at i64, prior_status; then (version 3) start u64, end u64,
 * post_author, post_time, nspans u32 and each span: pattern, field, post i64, start u64,
 * end u64; then (version 4) each span's text after its end. */
int store__hit_encode(const struct store_hit *hit, struct buf *out)
{
	struct store_enc e;
	buf_reset(out);
	store__enc_start(&e, out, STORE_HIT_REC_VERSION);
	store__enc_str(&e, hit->rule);
	store__enc_str(&e, hit->pack);
	store__enc_str(&e, hit->category);
	store__enc_str(&e, hit->severity);
	store__enc_str(&e, hit->venue);
	store__enc_str(&e, hit->url);
	store__enc_str(&e, hit->field);
	store__enc_i64(&e, hit->post);
	store__enc_str(&e, hit->match);
	store__enc_str(&e, hit->snippet);
	store__enc_str(&e, hit->status);
	store__enc_i64(&e, hit->first_seen);
	store__enc_i64(&e, hit->last_seen);
	store__enc_u64(&e, hit->count);
	store__enc_raw(&e, hit->evidence, sizeof(hit->evidence));
	store__enc_str(&e, hit->pack_version);
	store__enc_str(&e, hit->pack_digest);
	store__enc_i64(&e, hit->gone_at);
	store__enc_str(&e, hit->prior_status);
	store__enc_u64(&e, hit->start);
	store__enc_u64(&e, hit->end);
	store__enc_str(&e, hit->post_author);
	store__enc_str(&e, hit->post_time);
	if (hit->nspans > STORE_HIT_MAX_SPANS && !e.rc)
		e.rc = ERR_TOO_BIG;
	store__enc_u32(&e, (uint32_t)hit->nspans);
	for (size_t i = 0; i < hit->nspans && !e.rc; i++) {
		const struct store_hit_span *sp = &hit->spans[i];
		store__enc_str(&e, sp->pattern);
		store__enc_str(&e, sp->field);
		store__enc_i64(&e, sp->post);
		store__enc_u64(&e, sp->start);
		store__enc_u64(&e, sp->end);
		store__enc_str(&e, sp->text);
	}
	return store__enc_finish(&e);
}

/* Each encoded span takes at least 32 bytes (36 with its text), so a count the rest of the
 * record cannot hold is refused before anything is allocated for it. */
static void hit_decode_v3(struct store_dec *d, struct store_hit *h, bool texts)
{
	h->start = store__dec_u64(d);
	h->end = store__dec_u64(d);
	h->post_author = store__dec_str(d);
	h->post_time = store__dec_str(d);
	size_t n = store__dec_u32(d);
	if (d->rc || n > STORE_HIT_MAX_SPANS || n > (d->len - d->off) / (texts ? 36 : 32)) {
		d->rc = ERR_STORE;
		return;
	}
	struct store_hit_span *sp = n ? store__dec_alloc(d, n, sizeof(*sp)) : NULL;
	for (size_t i = 0; i < n && !d->rc; i++) {
		sp[i].pattern = store__dec_str(d);
		sp[i].field = store__dec_str(d);
		sp[i].post = store__dec_i64(d);
		sp[i].start = store__dec_u64(d);
		sp[i].end = store__dec_u64(d);
		sp[i].text = texts ? store__dec_str(d) : "";
	}
	h->spans = sp;
	h->nspans = d->rc ? 0 : n;
}

int store__hit_decode(const void *data, size_t len, struct store_scratch *s, struct store_hit *ret)
{
	struct store_dec d;
	struct store_hit h = {0};
	uint8_t version;
	int rc = store__dec_start(&d, data, len, s, &version);
	if (rc)
		return rc;
	/* Version 1 is a hit stored before schema 4: the same, without the fields after count;
	 * version 2 has no offsets, post author or spans. */
	if (version < STORE_REC_VERSION || version > STORE_HIT_REC_VERSION)
		return ERR_STORE;
	h.rule = store__dec_str(&d);
	h.pack = store__dec_str(&d);
	h.category = store__dec_str(&d);
	h.severity = store__dec_str(&d);
	h.venue = store__dec_str(&d);
	h.url = store__dec_str(&d);
	h.field = store__dec_str(&d);
	h.post = store__dec_i64(&d);
	h.match = store__dec_str(&d);
	h.snippet = store__dec_str(&d);
	h.status = store__dec_str(&d);
	h.first_seen = store__dec_i64(&d);
	h.last_seen = store__dec_i64(&d);
	h.count = store__dec_u64(&d);
	h.pack_version = h.pack_digest = h.prior_status = h.post_author = h.post_time = "";
	if (version >= 2) {
		store__dec_raw(&d, h.evidence, sizeof(h.evidence));
		h.pack_version = store__dec_str(&d);
		h.pack_digest = store__dec_str(&d);
		h.gone_at = store__dec_i64(&d);
		h.prior_status = store__dec_str(&d);
	}
	if (version >= 3)
		hit_decode_v3(&d, &h, version >= 4);
	rc = store__dec_finish(&d);
	if (rc)
		return rc;
	*ret = h;
	return 0;
}
