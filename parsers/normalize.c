/* SPDX-License-Identifier: MIT */
/* The normalization pass (normalize.h): decoding, units, squeezing and the offset map.
 *
 * The text is read once. A code point that the BMP table maps on its own is written at once when
 * the next one cannot combine with it; stretches of ASCII, CJK characters and the punctuation
 * between them go through one fast path (fast_run) that writes the map per run and squeezes a gap
 * by looking at it before writing it. Anything else is gathered into a unit (a starter and what
 * may combine with it, at most NORMALIZE_UNIT_MAX code points) and mapped by normalize__map_unit.
 * Outside the fast path squeezing works on the output: after each CJK character the pass
 * remembers where the output stood, and a CJK character that comes after a short enough gap cuts
 * the output back to there.
 * Nothing is allocated per code point: the text and the runs grow by doubling, up to the cap.
 */
#include "parsers/normalize.h"

#include "common/err.h"
#include "parsers/normalize_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FFFD	   0xFFFDu
#define RUN_LINEAR NORMALIZE_RUN_LINEAR
#define RUN_LEN(r) ((r)->orig_len & ~RUN_LINEAR)
#define CHUNK	   4096 /* bytes the tight loops reserve at a time */

struct pass {
	const struct normalizer *nz;
	const unsigned char *in;
	size_t len;
	struct normalized *out;
	/* Squeezing: the output ends in a CJK character and at most a short gap after it. */
	bool anchor;
	unsigned gap; /* separators in that gap */
	size_t snap_len, snap_nruns;
	struct normalize_run snap_run; /* the last run as it was just after the CJK character */
};

int normalize_new(const char *opencc_config, struct normalizer **ret_nz, char *err, size_t errlen)
{
	char none[1];
	if (!err || errlen == 0) {
		err = none;
		errlen = sizeof(none);
	}
	err[0] = '\0';
	int rc = -ENOMEM;
	struct normalizer *nz = calloc(1, sizeof(*nz));
	if (!nz)
		goto fail;
	rc = normalize__tables_build(nz, opencc_config, err, errlen);
	if (rc)
		goto fail;
	*ret_nz = nz;
	return 0;
fail:
	if (rc == -ENOMEM && !err[0])
		snprintf(err, errlen, "out of memory");
	normalize_free(nz);
	return rc;
}

void normalize_free(struct normalizer *nz)
{
	if (!nz)
		return;
	normalize__tables_free(nz);
	free(nz);
}

void normalize_out_init(struct normalized *out, size_t max)
{
	memset(out, 0, sizeof(*out));
	out->max = max < NORMALIZE_MAX_INPUT ? max : NORMALIZE_MAX_INPUT;
}

void normalize_out_done(struct normalized *out)
{
	free(out->text);
	free(out->runs);
	memset(out, 0, sizeof(*out));
}

/* ---- UTF-8 ---- */

/* Decodes the code point at s (n >= 1 bytes available). An invalid sequence gives U+FFFD for its
 * longest valid beginning, at least one byte (Unicode's "maximal subpart" practice). */
static inline size_t decode(const unsigned char *s, size_t n, uint32_t *ret_cp)
{
	unsigned c = s[0];
	if (c < 0x80) {
		*ret_cp = c;
		return 1;
	}
	*ret_cp = FFFD;
	if (c < 0xC2 || c > 0xF4)
		return 1;
	size_t need = c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
	unsigned lo = c == 0xE0 ? 0xA0 : c == 0xF0 ? 0x90 : 0x80;
	unsigned hi = c == 0xED ? 0x9F : c == 0xF4 ? 0x8F : 0xBF;
	uint32_t cp = c & (0x7Fu >> need);
	for (size_t i = 1; i < need; i++) {
		if (i >= n || s[i] < lo || s[i] > hi)
			return i;
		cp = cp << 6 | (s[i] & 0x3Fu);
		lo = 0x80;
		hi = 0xBF;
	}
	*ret_cp = cp;
	return need;
}

static inline size_t utf8_len(uint32_t cp)
{
	return cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
}

static inline size_t encode(uint32_t cp, char *d)
{
	if (cp < 0x80) {
		d[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		d[0] = (char)(0xC0 | cp >> 6);
		d[1] = (char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		d[0] = (char)(0xE0 | cp >> 12);
		d[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		d[2] = (char)(0x80 | (cp & 0x3F));
		return 3;
	}
	d[0] = (char)(0xF0 | cp >> 18);
	d[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
	d[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
	d[3] = (char)(0x80 | (cp & 0x3F));
	return 4;
}

/* ---- output ---- */

/* Room for need more bytes of text and the NUL; ERR_TOO_BIG when they would pass the cap. */
static int reserve(struct normalized *o, size_t need)
{
	if (need > o->max - o->len)
		return ERR_TOO_BIG;
	if (o->len + need < o->alloc)
		return 0;
	size_t want = o->alloc ? o->alloc : 256;
	while (want <= o->len + need)
		want *= 2;
	if (want > o->max + 1)
		want = o->max + 1;
	char *t = realloc(o->text, want);
	if (!t)
		return -ENOMEM;
	o->text = t;
	o->alloc = want;
	return 0;
}

/* Room for one more run. */
static int map_grow(struct normalized *o)
{
	size_t n = o->runs_alloc ? o->runs_alloc * 2 : 64;
	struct normalize_run *r = realloc(o->runs, n * sizeof(*r));
	if (!r)
		return -ENOMEM;
	o->runs = r;
	o->runs_alloc = n;
	return 0;
}

/* Records that normalized bytes from norm on come from original bytes [orig, orig + olen):
 * extends the last run when it continues it, else starts a run. */
static inline int map_add(struct normalized *o, size_t norm, size_t orig, size_t olen, bool linear)
{
	if (o->nruns) {
		struct normalize_run *r = &o->runs[o->nruns - 1];
		bool r_linear = r->orig_len & RUN_LINEAR;
		if (linear && r_linear && r->orig + RUN_LEN(r) == orig) {
			r->orig_len += (uint32_t)olen;
			return 0;
		}
		if (!linear && !r_linear && r->orig == orig && RUN_LEN(r) == olen)
			return 0; /* the next code point of the same unit */
	}
	if (o->nruns == o->runs_alloc && map_grow(o))
		return -ENOMEM;
	o->runs[o->nruns++] = (struct normalize_run){(uint32_t)norm, (uint32_t)orig,
						     (uint32_t)olen | (linear ? RUN_LINEAR : 0)};
	return 0;
}

static void snapshot(struct pass *p)
{
	p->anchor = true;
	p->gap = 0;
	p->snap_len = p->out->len;
	p->snap_nruns = p->out->nruns;
	p->snap_run = p->out->runs[p->out->nruns - 1];
}

static void rollback(struct pass *p)
{
	p->out->len = p->snap_len;
	p->out->nruns = p->snap_nruns;
	p->out->runs[p->out->nruns - 1] = p->snap_run;
}

/* Before writing a code point of class cls: a CJK character after a short gap removes the gap. */
static void squeeze(struct pass *p, enum normalize_class cls)
{
	if (!p->anchor)
		return;
	switch (cls) {
	case NORMALIZE_CLASS_CJK:
		if (p->out->len > p->snap_len)
			rollback(p);
		break;
	case NORMALIZE_CLASS_SEP:
		if (++p->gap > NORMALIZE_GAP_MAX)
			p->anchor = false;
		break;
	case NORMALIZE_CLASS_MARK: break;
	default: p->anchor = false;
	}
}

/* Writes cp, which comes from original bytes [orig, orig + olen); room is reserved. */
static int put(struct pass *p, uint32_t cp, enum normalize_class cls, size_t orig, size_t olen,
	       bool linear)
{
	struct normalized *o = p->out;
	squeeze(p, cls);
	size_t at = o->len;
	o->len += encode(cp, o->text + at);
	int rc = map_add(o, at, orig, olen, linear);
	if (rc == 0 && cls == NORMALIZE_CLASS_CJK)
		snapshot(p);
	return rc;
}

/* Writes a code point that alone stands for original bytes [orig, orig + olen). */
static int put_one(struct pass *p, uint32_t cp, enum normalize_class cls, size_t orig, size_t olen)
{
	int rc = reserve(p->out, utf8_len(cp));
	return rc ? rc : put(p, cp, cls, orig, olen, utf8_len(cp) == olen);
}

/* Writes the m code points a unit became, all or none. */
static int put_unit(struct pass *p, const uint32_t *cps, size_t m, size_t orig, size_t olen,
		    bool single)
{
	size_t total = 0;
	for (size_t i = 0; i < m; i++)
		total += utf8_len(cps[i]);
	int rc = reserve(p->out, total);
	bool linear = single && m == 1 && total == olen;
	for (size_t i = 0; i < m && rc == 0; i++)
		rc = put(p, cps[i], normalize__class(cps[i]), orig, olen, linear);
	return rc;
}

/* ---- the pass ---- */

/* The code point of the three bytes at q when they are one the table can index at once: a lead
 * byte after which any continuation bytes are valid (not 0xE0, 0xED), all there; else -1. */
static inline int32_t bmp3_at(const struct pass *p, size_t q)
{
	unsigned c = p->in[q];
	if (c < 0xE1 || c > 0xEF || c == 0xED || p->len - q < 3)
		return -1;
	unsigned c1 = p->in[q + 1] - 0x80u, c2 = p->in[q + 2] - 0x80u; /* below wraps */
	if ((c1 | c2) > 0x3F)
		return -1;
	return (int32_t)((c & 0x0Fu) << 12 | c1 << 6 | c2);
}

/* Whether nothing before offset q can combine with the code point at q. */
static bool boundary_at(const struct pass *p, size_t q)
{
	if (q >= p->len)
		return true;
	unsigned c = p->in[q];
	if (c < 0x80)
		return p->nz->bmp[c] & NORMALIZE_BOUNDARY;
	int32_t cp3 = bmp3_at(p, q);
	if (cp3 >= 0)
		return p->nz->bmp[cp3] & NORMALIZE_BOUNDARY;
	uint32_t cp;
	decode(p->in + q, p->len - q, &cp);
	return normalize__entry(p->nz, cp) & NORMALIZE_BOUNDARY;
}

/* Gathers the unit that starts at pos with cp (whose table entry is e0) and writes what it
 * becomes. Dropped code points inside a unit are skipped, so `e`, U+200B, U+0301 still compose;
 * those after its last code point are not part of it. Code points past NORMALIZE_UNIT_MAX are
 * removed with the unit (they can only be combining marks piled on one letter): cutting the pile
 * into several units instead would make the result depend on where the cuts fall, and
 * normalizing the normalized text would change it. */
static int unit(struct pass *p, size_t pos, uint32_t cp, uint32_t e0, size_t *ret_end)
{
	uint32_t cps[NORMALIZE_UNIT_MAX], out[NORMALIZE_UNIT_OUT];
	size_t n = 0, q = pos, end = pos;
	while (q < p->len) {
		size_t l = decode(p->in + q, p->len - q, &cp);
		uint32_t e = n ? normalize__entry(p->nz, cp) : e0;
		if (n && (e & NORMALIZE_KIND_MASK) == NORMALIZE_KIND_DROP) {
			q += l;
			continue;
		}
		if (n && (e & NORMALIZE_BOUNDARY))
			break;
		if (n < NORMALIZE_UNIT_MAX)
			cps[n++] = cp;
		q += l;
		end = q;
	}
	*ret_end = end;
	if (n == 1 && (e0 & NORMALIZE_KIND_MASK) == NORMALIZE_KIND_MAP)
		return put_one(p, e0 & NORMALIZE_CP_MASK,
			       (e0 & NORMALIZE_CLASS_MASK) >> NORMALIZE_CLASS_SHIFT, pos,
			       end - pos);
	size_t m = normalize__map_unit(p->nz, cps, n, out);
	return put_unit(p, out, m, pos, end - pos, n == 1);
}

/* One code point at pos, or the unit it starts. */
static int step(struct pass *p, size_t pos, size_t *ret_next)
{
	uint32_t cp;
	size_t n = decode(p->in + pos, p->len - pos, &cp);
	uint32_t e = normalize__entry(p->nz, cp);
	*ret_next = pos + n;
	switch (e & NORMALIZE_KIND_MASK) {
	case NORMALIZE_KIND_DROP: return 0;
	case NORMALIZE_KIND_CR:
		if (pos + n < p->len && p->in[pos + n] == '\n')
			return 0;
		if (boundary_at(p, pos + n))
			return put_one(p, '\n', NORMALIZE_CLASS_NEWLINE, pos, n);
		break; /* marks after it: the unit makes it '\n' too, with them */
	case NORMALIZE_KIND_MAP:
		if (boundary_at(p, pos + n))
			return put_one(p, e & NORMALIZE_CP_MASK,
				       (e & NORMALIZE_CLASS_MASK) >> NORMALIZE_CLASS_SHIFT, pos, n);
		break;
	}
	return unit(p, pos, cp, e, ret_next);
}

/* ---- the fast path ----
 *
 * Most forum text is ASCII that the table maps byte for byte, three-byte CJK characters, and
 * punctuation between them (`，` `。` `【` `】`). fast_run takes a stretch of these in one loop:
 * what it writes maps linearly to the input in one pending run, written to the map when it is
 * broken (a squeezed gap, a character that changes length) or at the end. Gaps after a CJK
 * character are looked at before anything is written: a gap a CJK character closes is skipped;
 * one that ends otherwise is written as it is; anything else ends the stretch, and step() takes
 * it as before. The text and the map are those step() would write, byte for byte (the unit
 * test keeps the pass without this path as its reference). */

/* What fast_run is doing: output [rj, j) is the pending run, from input [rk, ...). */
struct fast {
	const unsigned char *in;
	char *text;
	size_t k, lim, j, rj, rk;
	bool anchored; /* the output ends in a CJK character: a gap after it may be squeezed */
	bool anchored_before; /* anchored before the last CJK segment began */
	size_t seg_start;     /* where the last CJK segment began */
	enum { LAST_NONE, LAST_ASCII, LAST_CJK, LAST_OTHER } last;
};

/* The table entry of the three-byte CJK character at q, ending by lim; 0 when there is none. */
static inline uint32_t cjk3_at(const struct pass *p, size_t q, size_t lim)
{
	if (q + 3 > lim) /* q may be past lim in a gap */
		return 0;
	unsigned c0 = p->in[q] - 0xE3u, c1 = p->in[q + 1] - 0x80u, c2 = p->in[q + 2] - 0x80u;
	if (c0 > 6 || (c1 | c2) > 0x3F)
		return 0;
	return p->nz->bmp[(c0 + 3) << 12 | c1 << 6 | c2] & NORMALIZE_CJK3;
}

/* The code point at q when it has two or three bytes (so it is valid, and a boundary, when the
 * entry says so) and alone becomes one code point of no more bytes; 0 when it is not. */
static size_t simple_entry(uint32_t e, size_t l, uint32_t *ret_e)
{
	if ((e & (NORMALIZE_KIND_MASK | NORMALIZE_BOUNDARY)) !=
		    (NORMALIZE_KIND_MAP | NORMALIZE_BOUNDARY) ||
	    utf8_len(e & NORMALIZE_CP_MASK) > l)
		return 0;
	*ret_e = e;
	return l;
}

/* simple_at for what bmp3_at does not read: two bytes, leads 0xE0 and 0xED. */
static size_t simple_slow(const struct pass *p, size_t q, uint32_t *ret_e)
{
	unsigned c = p->in[q];
	if (c < 0xC2 || c > 0xEF)
		return 0;
	uint32_t cp;
	size_t l = decode(p->in + q, p->len - q, &cp);
	if (l != (c < 0xE0 ? 2u : 3u))
		return 0;
	return simple_entry(p->nz->bmp[cp], l, ret_e);
}

static inline size_t simple_at(const struct pass *p, size_t q, uint32_t *ret_e)
{
	int32_t cp3 = bmp3_at(p, q);
	return cp3 < 0 ? simple_slow(p, q, ret_e) : simple_entry(p->nz->bmp[cp3], 3, ret_e);
}

static enum normalize_class entry_class(uint32_t e)
{
	return (e & NORMALIZE_CLASS_MASK) >> NORMALIZE_CLASS_SHIFT;
}

enum gap { GAP_SQUEEZE, GAP_CLOSED, GAP_UNSURE };

/* The gap after a CJK character (gap separators already in it) goes on at q: whether a CJK
 * character fast_run takes (before lim) closes it, at *ret_c, or it ends otherwise (a letter,
 * a digit, '\n', more separators than a gap holds, the end of the text), or it holds something
 * only step() handles. */
static enum gap gap_scan(const struct pass *p, size_t q, unsigned gap, size_t lim, size_t *ret_c)
{
	for (;; gap++) {
		if (q >= p->len)
			return GAP_CLOSED;
		unsigned c = p->in[q];
		uint32_t e;
		size_t l = 1;
		if (cjk3_at(p, q, lim)) {
			/* A CJK character after it is a boundary (see below for why it must be). */
			if (!cjk3_at(p, q + 3, p->len) && !boundary_at(p, q + 3))
				return GAP_UNSURE;
			*ret_c = q;
			return GAP_SQUEEZE;
		}
		if (p->nz->ascii[c])
			e = p->nz->bmp[c];
		else if (!(l = simple_at(p, q, &e)))
			return GAP_UNSURE;
		switch (entry_class(e)) {
		case NORMALIZE_CLASS_CJK:
			/* Not one fast_cjk takes, or one that marks may follow: step() takes it
			 * (at the cap, the gap must stay written when that unit does not fit). */
			return GAP_UNSURE;
		case NORMALIZE_CLASS_SEP:
			if (gap + 1 > NORMALIZE_GAP_MAX)
				return GAP_CLOSED;
			break;
		case NORMALIZE_CLASS_MARK: return GAP_UNSURE;
		default: return GAP_CLOSED;
		}
		q += l;
	}
}

/* Whether an ASCII byte of table entry e ends a gap at once, as gap_scan would say. */
static inline bool ascii_closes(uint32_t e)
{
	enum normalize_class cls = entry_class(e);
	return cls == NORMALIZE_CLASS_OTHER || cls == NORMALIZE_CLASS_NEWLINE;
}

/* Writes the pending run to the map. */
static int fast_flush(struct normalized *o, struct fast *f)
{
	int rc = f->j > f->rj ? map_add(o, f->rj, f->rk, f->j - f->rj, true) : 0;
	f->rj = f->j;
	f->rk = f->k;
	return rc;
}

#define ONES (~(uint64_t)0 / 255)

/* The high bit of each byte of w (little-endian) that is not printable ASCII but a capital
 * letter, which the table maps to themselves when ascii_words is set; bit tricks from Sean
 * Anderson's "Bit Twiddling Hacks" (hasless, hasbetween), whose false positives only come after
 * a true one, so the lowest bit set is the first such byte. */
static inline uint64_t ascii_stops(uint64_t w)
{
	uint64_t high = w & ONES * 0x80;
	uint64_t ctrl = (w - ONES * 0x20) & ~w & ONES * 0x80;
	uint64_t x = w ^ ONES * 0x7F, del = (x - ONES) & ~x & ONES * 0x80;
	uint64_t low7 = w & ONES * 0x7F;
	uint64_t upper =
		(ONES * (127 + 0x5B) - low7) & ~w & (low7 + ONES * (127 - 0x40)) & ONES * 0x80;
	return high | ctrl | del | upper;
}

/* Copies ASCII the table maps byte for byte, eight bytes at a time while they map to
 * themselves. */
static void fast_ascii(const struct pass *p, struct fast *f)
{
	const unsigned char *ascii = p->nz->ascii;
	size_t k = f->k, j = f->j;
	unsigned char a;
	bool words = p->nz->ascii_words && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__;
	for (;;) {
		if (words && f->lim - k >= 8) { /* up to the first byte that needs a look */
			uint64_t w, stops;
			memcpy(&w, f->in + k, 8);
			memcpy(f->text + j, &w, 8); /* j - f->j <= k - pos: reserved */
			stops = ascii_stops(w);
			size_t n = stops ? (size_t)__builtin_ctzll(stops) / 8 : 8;
			k += n;
			j += n;
			if (n == 8)
				continue;
		}
		if (k >= f->lim || (a = ascii[f->in[k]]) == 0)
			break;
		f->text[j++] = (char)a;
		k++;
	}
	if (k > f->k)
		f->last = LAST_ASCII;
	f->k = k;
	f->j = j;
}

/* Copies three-byte CJK characters (NORMALIZE_CJK3), changing the traditional ones. */
static void fast_cjk(const struct pass *p, struct fast *f)
{
	const unsigned char *in = f->in;
	const uint32_t *bmp = p->nz->bmp;
	size_t k = f->k, lim = f->lim;
	uint32_t all = NORMALIZE_SAME;
	/* Four bytes read at once while they are there (little-endian): one test of the form of a
	 * three-byte character, one look in the small cjk3 table (which says what the byte loop
	 * below would); the byte loop takes only the last bytes, which no word covers. */
	const unsigned char *slots = p->nz->cjk3;
	unsigned same = NORMALIZE_FAST_SAME;
	bool words = __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__;
	size_t wend = words && lim > 3 ? lim - 3 : 0; /* a word at k < wend ends by lim */
	while (k < wend) {
		uint32_t w;
		memcpy(&w, in + k, 4);
		if ((w & 0xC0C0F0u) != 0x8080E0u)
			break;
		unsigned slot = slots[NORMALIZE_CJK3_SLOT(w)];
		if (!slot)
			break;
		same &= slot;
		k += 3;
	}
	if (!same)
		all = 0;
	while (k >= wend && k + 3 <= lim) {
		/* Unsigned: a byte below the range wraps to a large value. */
		unsigned c0 = in[k] - 0xE3u, c1 = in[k + 1] - 0x80u, c2 = in[k + 2] - 0x80u;
		if (c0 > 6 || (c1 | c2) > 0x3F)
			break;
		uint32_t e = bmp[(c0 + 3) << 12 | c1 << 6 | c2];
		if (!(e & NORMALIZE_CJK3))
			break;
		all &= e;
		k += 3;
	}
	/* Copied as they are, then the traditional ones changed (a second look, rarely needed). */
	if (k == f->k)
		return;
	memcpy(f->text + f->j, in + f->k, k - f->k);
	for (size_t q = f->k; !all && q < k; q += 3) {
		uint32_t cp =
			(in[q] & 0x0Fu) << 12 | (in[q + 1] & 0x3Fu) << 6 | (in[q + 2] & 0x3Fu);
		if (!(bmp[cp] & NORMALIZE_SAME))
			encode(bmp[cp] & NORMALIZE_CP_MASK, f->text + f->j + (q - f->k));
	}
	size_t j = f->j + (k - f->k);
	f->anchored_before = f->anchored;
	f->seg_start = f->k;
	f->anchored = true;
	f->last = LAST_CJK;
	f->k = k;
	f->j = j;
}

/* Writes one code point simple_at took (entry e, l bytes), not CJK; a unit of its own when it
 * changes length. Only when the next code point cannot combine with it: it is not taken back.
 * Returns 1 when it does not fit before lim or must wait, else 0 or an error of map_add. */
static int fast_other(const struct pass *p, struct fast *f, uint32_t e, size_t l)
{
	if (f->k + l > f->lim || !boundary_at(p, f->k + l))
		return 1;
	size_t m = encode(e & NORMALIZE_CP_MASK, f->text + f->j);
	int rc = 0;
	if (m != l) {
		rc = fast_flush(p->out, f);
		if (rc == 0)
			rc = map_add(p->out, f->j, f->k, l, false);
	}
	f->j += m;
	f->k += l;
	if (m != l) {
		f->rj = f->j;
		f->rk = f->k;
	}
	f->last = LAST_OTHER;
	return rc;
}

/* At a gap after a CJK character: skips it when a CJK character closes it. Returns 1 when the
 * stretch must end here, 0 to go on. */
static int fast_gap(const struct pass *p, struct fast *f, unsigned gap, int *rc)
{
	size_t c;
	switch (gap_scan(p, f->k, gap, f->lim, &c)) {
	case GAP_SQUEEZE:
		*rc = fast_flush(p->out, f);
		f->k = f->rk = c;
		return *rc != 0;
	case GAP_CLOSED: f->anchored = false; return 0;
	default: return 1;
	}
}

/* The stretch at pos (see above). Sets *ret_n to the bytes done, 0 when none. */
static int fast_run(struct pass *p, size_t pos, size_t *ret_n)
{
	struct normalized *o = p->out;
	size_t chunk = p->len - pos < CHUNK ? p->len - pos : CHUNK;
	if (chunk > o->max - o->len)
		chunk = o->max - o->len; /* at the cap, step() reports it if anything is written */
	int rc = reserve(o, chunk);
	if (rc)
		return rc;
	struct fast f = {.in = p->in, .k = pos, .lim = pos + chunk, .anchored = p->anchor};
	*ret_n = 0;
	if (p->anchor && o->len > p->snap_len) { /* a gap step() wrote: squeeze it or leave */
		bool cjk = cjk3_at(p, pos, f.lim) && boundary_at(p, pos + 3);
		if (!cjk && fast_gap(p, &f, p->gap, &rc))
			return rc;
		if (cjk || f.anchored)
			rollback(p);
	}
	f.text = o->text;
	f.j = f.rj = o->len;
	f.rk = f.k;
	while (f.k < f.lim && rc == 0) {
		unsigned c = f.in[f.k];
		size_t k0 = f.k;
		if (c - 0xE3u <= 6) { /* the leads fast_cjk takes (cjk3_at) */
			fast_cjk(p, &f);
			if (f.k > k0)
				continue;
		}
		if (f.anchored && p->nz->ascii[c] && ascii_closes(p->nz->bmp[c])) {
			f.anchored = false; /* a letter, a digit, '\n': no gap */
		} else if (f.anchored) { /* a gap after a CJK character: skipped, written or left */
			if (fast_gap(p, &f, 0, &rc))
				break;
			if (f.k > k0)
				continue;
		}
		if (p->nz->ascii[c]) {
			fast_ascii(p, &f);
			continue;
		}
		uint32_t e;
		size_t l = simple_at(p, f.k, &e);
		if (!l || entry_class(e) == NORMALIZE_CLASS_CJK)
			break;
		int r = fast_other(p, &f, e, l);
		if (r < 0)
			rc = r;
		if (r)
			break;
	}
	/* The last code point may combine with what follows: step() takes it with that. */
	if (rc == 0 && f.last != LAST_OTHER && f.last != LAST_NONE && !boundary_at(p, f.k)) {
		if (f.last == LAST_ASCII) {
			f.k--;
			f.j--;
		} else {
			f.k -= 3;
			f.j -= 3;
			if (f.k == f.seg_start)
				f.anchored = f.anchored_before;
		}
	}
	if (rc == 0)
		rc = fast_flush(o, &f);
	o->len = f.j;
	p->anchor = f.anchored;
	if (rc == 0 && f.anchored)
		snapshot(p);
	*ret_n = f.k - pos;
	return rc;
}

static int pass_run(struct pass *p)
{
	size_t pos = 0;
	int rc = 0;
	while (pos < p->len && rc == 0) {
		unsigned char c = p->in[pos];
		size_t n = 0;
		if (p->nz->ascii[c] || (c >= 0xC2 && c <= 0xEF))
			rc = fast_run(p, pos, &n);
		if (rc == 0 && n == 0) {
			size_t next;
			rc = step(p, pos, &next);
			n = next - pos;
		}
		if (rc == 0)
			pos += n;
	}
	p->out->consumed = pos;
	return rc;
}

int normalize_text(const struct normalizer *nz, const char *text, size_t len,
		   struct normalized *out)
{
	out->len = 0;
	out->nruns = 0;
	out->consumed = 0;
	out->truncated = false;
	if (len > NORMALIZE_MAX_INPUT) {
		int rc = reserve(out, 0);
		if (out->text)
			out->text[0] = '\0';
		return rc ? rc : ERR_TOO_BIG;
	}
	/* The output is about as long as the input: one allocation for most texts. */
	int rc = reserve(out, len < out->max ? len : out->max);
	if (rc == 0) {
		struct pass p = {
			.nz = nz, .in = (const unsigned char *)text, .len = len, .out = out};
		rc = pass_run(&p);
	}
	if (rc == ERR_TOO_BIG) {
		out->truncated = true;
	} else if (rc) {
		out->len = 0;
		out->nruns = 0;
		out->consumed = 0;
	}
	if (out->text)
		out->text[out->len] = '\0';
	return rc;
}

/* ---- mapping back ---- */

/* The run that holds normalized offset off (< len): the last one starting at or before it. */
static const struct normalize_run *run_at(const struct normalized *o, size_t off)
{
	size_t lo = 0, hi = o->nruns;
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;
		if (o->runs[mid].norm <= off)
			lo = mid;
		else
			hi = mid;
	}
	return &o->runs[lo];
}

static bool continuation(const struct normalized *o, size_t off)
{
	return off < o->len && ((unsigned char)o->text[off] & 0xC0) == 0x80;
}

/* Where the original span of a normalized span starting at off starts. */
static size_t orig_start(const struct normalized *o, size_t off)
{
	if (off >= o->len) {
		const struct normalize_run *r = &o->runs[o->nruns - 1];
		return r->orig + RUN_LEN(r);
	}
	const struct normalize_run *r = run_at(o, off);
	return r->orig_len & RUN_LINEAR ? r->orig + (off - r->norm) : r->orig;
}

int normalize_span(const struct normalized *out, size_t start, size_t end, size_t *ret_start,
		   size_t *ret_end)
{
	if (start > end || end > out->len)
		return ERR_USAGE;
	if (out->nruns == 0) {
		*ret_start = *ret_end = 0;
		return 0;
	}
	while (start > 0 && continuation(out, start))
		start--;
	while (continuation(out, end))
		end++;
	size_t os = orig_start(out, start), oe = os;
	if (end > start) {
		const struct normalize_run *r = run_at(out, end - 1);
		oe = r->orig_len & RUN_LINEAR ? r->orig + (end - r->norm) : r->orig + RUN_LEN(r);
	}
	*ret_start = os;
	*ret_end = oe;
	return 0;
}
