/* SPDX-License-Identifier: MIT */
/* Unit tests of parsers/normalize: each step on Chinese and English text, the offset map (by
 * example, and as a property over random texts: every normalized span maps to an original span
 * whose normalization holds it), hostile input (invalid UTF-8, NUL bytes, a megabyte of combining
 * marks or zero-width spaces, the caps), a missing OpenCC configuration, one normalizer shared
 * by two threads, and a differential check: the text and map are byte for byte those of the pass
 * as it was before its fast paths were widened (kept here as the reference). One normalizer serves
 * every test (building one takes 0.2 s).
 */
#include "common/err.h"
#include "parsers/normalize.h"
#include "parsers/normalize_int.h"

#include <setjmp.h> /* cmocka needs these first */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static struct normalizer *nz;

static int setup(void **state)
{
	(void)state;
	char err[256];
	int rc = normalize_new(NULL, &nz, err, sizeof(err));
	if (rc)
		fprintf(stderr, "normalize_new: %s\n", err);
	return rc ? -1 : 0;
}

static int teardown(void **state)
{
	(void)state;
	normalize_free(nz);
	return 0;
}

/* ---- helpers ---- */

/* The normalized form of s (a C string), in a static buffer. */
static const char *norm(const char *s)
{
	static char got[4096];
	struct normalized o;
	normalize_out_init(&o, NORMALIZE_MAX_TEXT_DEFAULT);
	assert_int_equal(normalize_text(nz, s, strlen(s), &o), 0);
	assert_true(o.len < sizeof(got));
	memcpy(got, o.text, o.len + 1);
	normalize_out_done(&o);
	return got;
}

#define assert_norm(in, want) assert_string_equal(norm(in), want)

static bool valid_utf8(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	for (size_t i = 0; i < n;) {
		size_t len = p[i] < 0x80   ? 1
			     : p[i] < 0xC2 ? 0
			     : p[i] < 0xE0 ? 2
			     : p[i] < 0xF0 ? 3
			     : p[i] < 0xF5 ? 4
					   : 0;
		if (len == 0 || len > n - i)
			return false;
		for (size_t k = 1; k < len; k++)
			if ((p[i + k] & 0xC0) != 0x80)
				return false;
		i += len;
	}
	return true;
}

/* The original span of the normalized bytes [s, e) of o. */
static void span(const struct normalized *o, size_t s, size_t e, size_t *os, size_t *oe)
{
	assert_int_equal(normalize_span(o, s, e, os, oe), 0);
}

/* ---- each step ---- */

static void nfkc_fullwidth(void **state)
{
	(void)state;
	assert_norm("ＦＲＥＥ　ｍｏｎｅｙ", "free money");
	assert_norm("ｶﾈ", "カネ"); /* half-width katakana, the voiced mark composed too */
	assert_norm("ｶﾞ", "ガ");
	assert_norm("ﬁnance", "finance"); /* ligature */
	assert_norm("㈱", "(株)");
	assert_norm("cafe\xcc\x81", "caf\xc3\xa9");    /* e + U+0301 composes */
	assert_norm("\xe2\x84\x8c\xe2\x84\xaf", "he"); /* ℌℯ: letter-like symbols */
}

static void case_folding(void **state)
{
	(void)state;
	assert_norm("FREE Money", "free money");
	assert_norm("Straße", "strasse");
	assert_norm("ΣΑΣ", "σασ");
	assert_norm("ＶＩＰ客服", "vip客服");
	assert_norm("İ", "i\xcc\x87");
}

static void zero_width_and_controls(void **state)
{
	(void)state;
	assert_norm("free\xe2\x80\x8bmoney", "freemoney");	 /* U+200B */
	assert_norm("刷\xe2\x80\x8c单\xe2\x80\x8d返", "刷单返"); /* ZWNJ, ZWJ */
	assert_norm("\uFEFFbom", "bom");
	assert_norm("pay\xc2\xadpal", "paypal");	 /* soft hyphen */
	assert_norm("a\xe2\x80\xaez\xe2\x80\xac", "az"); /* bidi override */
	assert_norm("a\001\177b\033", "ab");
	assert_norm("e\xe2\x80\x8b\xcc\x81", "\xc3\xa9"); /* a zero-width space does not block */
	/* Newlines stay, CR LF and CR become LF, NEL and U+2028 too; tabs and spaces become ' '. */
	assert_norm("a\r\nb\rc\nd\302\205e\u2028f", "a\nb\nc\nd\ne\nf"); /* NEL, U+2028 */
	assert_norm("a\tb\u00A0c\u2003d\u3000e", "a b c d e");
	assert_norm("two  spaces", "two  spaces"); /* not collapsed */
}

static void nul_bytes(void **state)
{
	(void)state;
	struct normalized o;
	normalize_out_init(&o, 100);
	assert_int_equal(normalize_text(nz, "a\0b\0\0c", 6, &o), 0);
	assert_string_equal(o.text, "abc");
	assert_int_equal(o.consumed, 6);
	normalize_out_done(&o);
}

static void traditional_to_simplified(void **state)
{
	(void)state;
	assert_norm("穩賺不賠", "稳赚不赔");
	assert_norm("發財 頭髮", "发财头发");
	assert_norm("兼職刷單，傭金日結", "兼职刷单佣金日结");
	assert_norm("\xef\xa4\x80", "岂"); /* U+F900, a compatibility ideograph: NFKC, then t2s */
	assert_norm("薴", "苎");	   /* a chain in the table, followed to its end */
	assert_norm("简体不变", "简体不变");
}

static void digit_forms(void **state)
{
	(void)state;
	assert_norm("０１２３", "0123");
	assert_norm("①②⑩⑳", "121020");
	assert_norm("❶➀➊⓵⓿", "11110");
	assert_norm("⓫❿", "1110");
	assert_norm("¹²³₄", "1234");
	assert_norm("𝟏𝟐", "12");
	assert_norm("٣۴५", "345"); /* Arabic-Indic, extended Arabic-Indic, Devanagari */
	assert_norm("⑴⒈", "(1)1.");
	assert_norm("加Ｖ：①③⑧", "加v:138");
}

static void squeeze_between_cjk(void **state)
{
	(void)state;
	assert_norm("刷 单 返 利", "刷单返利");
	assert_norm("刷*单*返*利", "刷单返利");
	assert_norm("刷😀单", "刷单");
	assert_norm("刷👍🏻单", "刷单"); /* emoji and skin tone: two separators */
	assert_norm("刷👨‍👩‍👧单",
		    "刷单"); /* ZWJ sequence: three emoji, the joiners removed */
	assert_norm("刷，单。返！利", "刷单返利");
	assert_norm("刷 - 单", "刷单");	     /* three separators */
	assert_norm("刷 -- 单", "刷 -- 单"); /* four: kept */
	assert_norm("刷\xcc\x81单", "刷单"); /* a mark on a CJK character goes with the gap */
	assert_norm("カ ネ", "カネ");	     /* kana */
	assert_norm("刷 a 单", "刷 a 单");
	assert_norm("刷\n单", "刷\n单"); /* block boundaries stay */
	assert_norm("刷1单", "刷1单");
	assert_norm("中文 free money 中文", "中文 free money 中文");
	assert_norm("free money", "free money");
	assert_norm("free - money", "free - money");
	assert_norm("돈 벌기", "돈 벌기"); /* Korean writes spaces between words */
	assert_norm("刷 單 返 利", "刷单返利");
	/* a gap that ASCII ends (what the ASCII run takes at once) is kept as written */
	assert_norm("刷 1", "刷 1");
	assert_norm("刷 - x单", "刷 - x单");
	assert_norm("刷  ", "刷  ");
	assert_norm("刷 -- ", "刷 -- ");
	assert_norm("刷 \r\n单", "刷 \n单");
	assert_norm("刷 Ａ单", "刷 a单");
}

static void invalid_utf8(void **state)
{
	(void)state;
	assert_norm("\xff", "\xef\xbf\xbd");
	assert_norm("a\344\270b", "a\uFFFDb");		     /* truncated: one U+FFFD */
	assert_norm("\xc0\xaf", "\xef\xbf\xbd\xef\xbf\xbd"); /* overlong */
	assert_norm("\xed\xa0\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"); /* surrogate */
	assert_norm("\xf4\x90\x80\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
	assert_norm("\xe5\x88", "\xef\xbf\xbd");
}

static void fixed_point(void **state)
{
	(void)state;
	const char *texts[] = {"ＦＲＥＥ　ｍｏｎｅｙ ①", "刷 單 返 利，加Ｖ：①③⑧",
			       "cafe\xcc\x81 ﬁ ㈱", "薴 刷 -- 单 ❿"};
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		char once[4096];
		snprintf(once, sizeof(once), "%s", norm(texts[i]));
		assert_norm(once, once);
	}
	/* Piles of marks after a letter that NFKC turns into a letter and a mark, and after CR. */
	const char *starts[] = {"İ", "\r", "x"};
	for (size_t i = 0; i < sizeof(starts) / sizeof(starts[0]); i++) {
		char pile[256], once[4096];
		size_t n = (size_t)snprintf(pile, sizeof(pile), "%s", starts[i]);
		for (int k = 0; k < 40; k++)
			n += (size_t)snprintf(pile + n, sizeof(pile) - n, "%s",
					      k % 2 ? "\xcc\x81" : "\xcc\xa3");
		snprintf(once, sizeof(once), "%s", norm(pile));
		assert_norm(once, once);
	}
}

/* ---- offsets ---- */

static void offsets_by_example(void **state)
{
	(void)state;
	struct normalized o;
	size_t os, oe;
	normalize_out_init(&o, 1000);

	assert_int_equal(normalize_text(nz, "ＡＢc", 7, &o), 0); /* "abc" */
	span(&o, 0, 1, &os, &oe);
	assert_true(os == 0 && oe == 3);
	span(&o, 1, 3, &os, &oe);
	assert_true(os == 3 && oe == 7);

	const char *t = "刷 单"; /* "刷单" */
	assert_int_equal(normalize_text(nz, t, strlen(t), &o), 0);
	assert_string_equal(o.text, "刷单");
	span(&o, 0, 3, &os, &oe);
	assert_true(os == 0 && oe == 3); /* the squeezed space is not part of 刷 */
	span(&o, 3, 6, &os, &oe);
	assert_true(os == 4 && oe == 7);
	span(&o, 0, 6, &os, &oe);
	assert_true(os == 0 && oe == 7);
	span(&o, 1, 2, &os, &oe); /* inside a code point: widened to it */
	assert_true(os == 0 && oe == 3);
	span(&o, 6, 6, &os, &oe);
	assert_true(os == 7 && oe == 7);

	t = "free\xe2\x80\x8bmoney"; /* "freemoney" */
	assert_int_equal(normalize_text(nz, t, strlen(t), &o), 0);
	span(&o, 4, 9, &os, &oe);
	assert_true(os == 7 && oe == 12);
	span(&o, 2, 6, &os, &oe); /* the removed character is inside */
	assert_true(os == 2 && oe == 9);

	t = "cafe\xcc\x81!"; /* "café!": é is one unit of three original bytes */
	assert_int_equal(normalize_text(nz, t, strlen(t), &o), 0);
	span(&o, 3, 5, &os, &oe);
	assert_true(os == 3 && oe == 6);
	span(&o, 5, 6, &os, &oe);
	assert_true(os == 6 && oe == 7);

	t = "x㈱y"; /* "x(株)y": any part of "(株)" maps to all of ㈱ */
	assert_int_equal(normalize_text(nz, t, strlen(t), &o), 0);
	span(&o, 2, 5, &os, &oe);
	assert_true(os == 1 && oe == 4);

	assert_int_equal(normalize_span(&o, 3, 2, &os, &oe), ERR_USAGE);
	assert_int_equal(normalize_span(&o, 0, o.len + 1, &os, &oe), ERR_USAGE);
	normalize_out_done(&o);
}

/* Pieces random texts are made of: every kind of thing the pass treats differently. */
static const char *const pieces[] = {
	"free",
	"Money",
	" ",
	"  ",
	"\t",
	"\r\n",
	"\r",
	"\n",
	"刷",
	"单",
	"單",
	"返",
	"利",
	"穩",
	"賺",
	"*",
	"，",
	"。",
	"!",
	"😀",
	"👍🏻",
	"\xe2\x80\x8d",
	"\xe2\x80\x8b",
	"\xc2\xad",
	"\xcc\x81",
	"\xcc\xa3",
	"e",
	"A",
	"ＦＲＥＥ",
	"①",
	"❿",
	"¹",
	"٣",
	"ﬁ",
	"㈱",
	"ｶ",
	"ﾞ",
	"가",
	"\xe1\x85\xa1",
	"\xe1\x86\xa8",
	"\xff",
	"\xe4\xb8",
	"\xc0",
	"\x00",
	"\x01",
	"ß",
	"İ",
	"Σ",
	"カ",
	"ー",
	"、",
	"\xef\xbb\xbf",
	"\xf0\xa0\x80\x80",
	"1",
	"-",
	"\xe3\x80\x80",
};

/* Up to most pieces of set, picked at random, within cap bytes. */
static size_t text_of(const char *const *set, size_t nset, size_t most, char *buf, size_t cap,
		      unsigned *seed)
{
	size_t n = 0, count = 1 + (size_t)rand_r(seed) % most;
	for (size_t i = 0; i < count; i++) {
		size_t k = (size_t)rand_r(seed) % nset;
		size_t l = strlen(set[k]);
		if (l == 0)
			l = 1; /* the piece "\x00": a NUL byte */
		if (n + l > cap)
			break;
		memcpy(buf + n, set[k], l);
		n += l;
	}
	return n;
}

static size_t random_text(char *buf, size_t cap, unsigned *seed)
{
	return text_of(pieces, sizeof(pieces) / sizeof(pieces[0]), 24, buf, cap, seed);
}

static size_t next_cp(const struct normalized *o, size_t i)
{
	do
		i++;
	while (i < o->len && ((unsigned char)o->text[i] & 0xC0) == 0x80);
	return i;
}

/* Every span of whole code points of o maps to an original span whose normalization holds it. */
static void check_all_spans(const struct normalized *o, const char *in, size_t inlen)
{
	struct normalized sub;
	normalize_out_init(&sub, NORMALIZE_MAX_TEXT_DEFAULT);
	for (size_t s = 0; s < o->len; s = next_cp(o, s))
		for (size_t e = next_cp(o, s); e <= o->len; e = next_cp(o, e)) {
			size_t os, oe;
			span(o, s, e, &os, &oe);
			assert_true(os < oe && oe <= inlen);
			assert_int_equal(normalize_text(nz, in + os, oe - os, &sub), 0);
			if (!memmem(sub.text, sub.len, o->text + s, e - s))
				fail_msg("span [%zu,%zu) of \"%s\" maps to [%zu,%zu), which reads "
					 "\"%s\"",
					 s, e, o->text, os, oe, sub.text);
			if (e == o->len)
				break;
		}
	normalize_out_done(&sub);
}

static void offsets_property(void **state)
{
	(void)state;
	unsigned seed = 20261128;
	char in[512];
	struct normalized o;
	normalize_out_init(&o, NORMALIZE_MAX_TEXT_DEFAULT);
	for (int round = 0; round < 400; round++) {
		size_t n = random_text(in, sizeof(in), &seed);
		assert_int_equal(normalize_text(nz, in, n, &o), 0);
		assert_true(valid_utf8(o.text, o.len));
		assert_int_equal(strlen(o.text), o.len);
		check_all_spans(&o, in, n);
	}
	normalize_out_done(&o);
}

/* ---- the reference pass ----
 *
 * normalize.c's pass as it was at e67240e, before its fast paths were widened (issue 5): the
 * normalized text and the offset map of every input must stay byte for byte what it makes.
 * Only the tests call it; it shares the tables (normalize__entry, normalize__map_unit). */

#define ref_FFFD       0xFFFDu
#define ref_RUN_LINEAR NORMALIZE_RUN_LINEAR
#define ref_RUN_LEN(r) ((r)->orig_len & ~ref_RUN_LINEAR)
#define ref_CHUNK      4096

struct ref_pass {
	const struct normalizer *nz;
	const unsigned char *in;
	size_t len;
	struct normalized *out;

	bool anchor;
	unsigned gap;
	size_t snap_len, snap_nruns;
	struct normalize_run snap_run;
};

static inline size_t ref_decode(const unsigned char *s, size_t n, uint32_t *ret_cp)
{
	unsigned c = s[0];
	if (c < 0x80) {
		*ret_cp = c;
		return 1;
	}
	*ret_cp = ref_FFFD;
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

static inline size_t ref_utf8_len(uint32_t cp)
{
	return cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
}

static inline size_t ref_encode(uint32_t cp, char *d)
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

static int ref_reserve(struct normalized *o, size_t need)
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

static int ref_map_add(struct normalized *o, size_t norm, size_t orig, size_t olen, bool linear)
{
	if (o->nruns) {
		struct normalize_run *r = &o->runs[o->nruns - 1];
		bool r_linear = r->orig_len & ref_RUN_LINEAR;
		if (linear && r_linear && r->orig + ref_RUN_LEN(r) == orig) {
			r->orig_len += (uint32_t)olen;
			return 0;
		}
		if (!linear && !r_linear && r->orig == orig && ref_RUN_LEN(r) == olen)
			return 0;
	}
	if (o->nruns == o->runs_alloc) {
		size_t n = o->runs_alloc ? o->runs_alloc * 2 : 64;
		struct normalize_run *r = realloc(o->runs, n * sizeof(*r));
		if (!r)
			return -ENOMEM;
		o->runs = r;
		o->runs_alloc = n;
	}
	o->runs[o->nruns++] = (struct normalize_run){
		(uint32_t)norm, (uint32_t)orig, (uint32_t)olen | (linear ? ref_RUN_LINEAR : 0)};
	return 0;
}

static void ref_snapshot(struct ref_pass *p)
{
	p->anchor = true;
	p->gap = 0;
	p->snap_len = p->out->len;
	p->snap_nruns = p->out->nruns;
	p->snap_run = p->out->runs[p->out->nruns - 1];
}

static void ref_rollback(struct ref_pass *p)
{
	p->out->len = p->snap_len;
	p->out->nruns = p->snap_nruns;
	p->out->runs[p->out->nruns - 1] = p->snap_run;
}

static void ref_squeeze(struct ref_pass *p, enum normalize_class cls)
{
	if (!p->anchor)
		return;
	switch (cls) {
	case NORMALIZE_CLASS_CJK:
		if (p->out->len > p->snap_len)
			ref_rollback(p);
		break;
	case NORMALIZE_CLASS_SEP:
		if (++p->gap > NORMALIZE_GAP_MAX)
			p->anchor = false;
		break;
	case NORMALIZE_CLASS_MARK: break;
	default: p->anchor = false;
	}
}

static int ref_put(struct ref_pass *p, uint32_t cp, enum normalize_class cls, size_t orig,
		   size_t olen, bool linear)
{
	struct normalized *o = p->out;
	ref_squeeze(p, cls);
	size_t at = o->len;
	o->len += ref_encode(cp, o->text + at);
	int rc = ref_map_add(o, at, orig, olen, linear);
	if (rc == 0 && cls == NORMALIZE_CLASS_CJK)
		ref_snapshot(p);
	return rc;
}

static int ref_put_one(struct ref_pass *p, uint32_t cp, enum normalize_class cls, size_t orig,
		       size_t olen)
{
	int rc = ref_reserve(p->out, ref_utf8_len(cp));
	return rc ? rc : ref_put(p, cp, cls, orig, olen, ref_utf8_len(cp) == olen);
}

static int ref_put_unit(struct ref_pass *p, const uint32_t *cps, size_t m, size_t orig, size_t olen,
			bool single)
{
	size_t total = 0;
	for (size_t i = 0; i < m; i++)
		total += ref_utf8_len(cps[i]);
	int rc = ref_reserve(p->out, total);
	bool linear = single && m == 1 && total == olen;
	for (size_t i = 0; i < m && rc == 0; i++)
		rc = ref_put(p, cps[i], normalize__class(cps[i]), orig, olen, linear);
	return rc;
}

static bool ref_boundary_at(const struct ref_pass *p, size_t q)
{
	if (q >= p->len)
		return true;
	if (p->in[q] < 0x80)
		return p->nz->bmp[p->in[q]] & NORMALIZE_BOUNDARY;
	uint32_t cp;
	ref_decode(p->in + q, p->len - q, &cp);
	return normalize__entry(p->nz, cp) & NORMALIZE_BOUNDARY;
}

static int ref_unit(struct ref_pass *p, size_t pos, uint32_t cp, uint32_t e0, size_t *ret_end)
{
	uint32_t cps[NORMALIZE_UNIT_MAX], out[NORMALIZE_UNIT_OUT];
	size_t n = 0, q = pos, end = pos;
	while (q < p->len) {
		size_t l = ref_decode(p->in + q, p->len - q, &cp);
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
		return ref_put_one(p, e0 & NORMALIZE_CP_MASK,
				   (e0 & NORMALIZE_CLASS_MASK) >> NORMALIZE_CLASS_SHIFT, pos,
				   end - pos);
	size_t m = normalize__map_unit(p->nz, cps, n, out);
	return ref_put_unit(p, out, m, pos, end - pos, n == 1);
}

static int ref_step(struct ref_pass *p, size_t pos, size_t *ret_next)
{
	uint32_t cp;
	size_t n = ref_decode(p->in + pos, p->len - pos, &cp);
	uint32_t e = normalize__entry(p->nz, cp);
	*ret_next = pos + n;
	switch (e & NORMALIZE_KIND_MASK) {
	case NORMALIZE_KIND_DROP: return 0;
	case NORMALIZE_KIND_CR:
		if (pos + n < p->len && p->in[pos + n] == '\n')
			return 0;
		if (ref_boundary_at(p, pos + n))
			return ref_put_one(p, '\n', NORMALIZE_CLASS_NEWLINE, pos, n);
		break;
	case NORMALIZE_KIND_MAP:
		if (ref_boundary_at(p, pos + n))
			return ref_put_one(p, e & NORMALIZE_CP_MASK,
					   (e & NORMALIZE_CLASS_MASK) >> NORMALIZE_CLASS_SHIFT, pos,
					   n);
		break;
	}
	return ref_unit(p, pos, cp, e, ret_next);
}

static int ref_ascii_run(struct ref_pass *p, size_t pos, size_t *ret_n)
{
	struct normalized *o = p->out;
	size_t chunk = p->len - pos < ref_CHUNK ? p->len - pos : ref_CHUNK;
	if (chunk > o->max - o->len)
		chunk = o->max - o->len;
	int rc = ref_reserve(o, chunk);
	if (rc)
		return rc;
	const unsigned char *in = p->in + pos, *ascii = p->nz->ascii;
	char *dst = o->text + o->len;
	size_t k = 0;
	for (; k < chunk && in[k] < 0x80 && ascii[in[k]]; k++)
		dst[k] = (char)ascii[in[k]];
	if (k && !ref_boundary_at(p, pos + k))
		k--;
	*ret_n = k;
	if (!k)
		return 0;
	size_t at = o->len;
	o->len += k;
	return ref_map_add(o, at, pos, k, true);
}

static int ref_cjk_run(struct ref_pass *p, size_t pos, size_t *ret_n)
{
	struct normalized *o = p->out;
	size_t chunk = p->len - pos < ref_CHUNK ? p->len - pos : ref_CHUNK;
	if (chunk > o->max - o->len)
		chunk = o->max - o->len;
	int rc = ref_reserve(o, chunk);
	if (rc)
		return rc;
	const unsigned char *in = p->in + pos;
	const uint32_t want = NORMALIZE_KIND_MAP | (NORMALIZE_CLASS_CJK << NORMALIZE_CLASS_SHIFT);
	char *dst = o->text + o->len;
	size_t k = 0;
	for (; k + 3 <= chunk; k += 3) {
		unsigned c0 = in[k], c1 = in[k + 1], c2 = in[k + 2];
		if (c0 < 0xE3 || c0 > 0xE9 || (c1 & 0xC0) != 0x80 || (c2 & 0xC0) != 0x80)
			break;
		uint32_t e = p->nz->bmp[(c0 & 0x0Fu) << 12 | (c1 & 0x3Fu) << 6 | (c2 & 0x3Fu)];
		uint32_t to = e & NORMALIZE_CP_MASK;
		if ((e & (NORMALIZE_KIND_MASK | NORMALIZE_CLASS_MASK)) != want || to < 0x800 ||
		    to > 0xFFFF)
			break;
		ref_encode(to, dst + k);
	}
	if (k && !ref_boundary_at(p, pos + k))
		k -= 3;
	*ret_n = k;
	if (!k)
		return 0;
	if (p->anchor && o->len > p->snap_len) {
		ref_rollback(p);
		memmove(o->text + o->len, dst, k);
	}
	size_t at = o->len;
	o->len += k;
	rc = ref_map_add(o, at, pos, k, true);
	if (rc == 0)
		ref_snapshot(p);
	return rc;
}

static bool ref_gap_ends(const struct ref_pass *p, size_t pos)
{
	unsigned seps = p->gap;
	for (size_t q = pos; q < p->len; q++) {
		unsigned char c = p->in[q];
		if (c >= 0x80 || !p->nz->ascii[c])
			return false;
		uint32_t cls = (p->nz->bmp[c] & NORMALIZE_CLASS_MASK) >> NORMALIZE_CLASS_SHIFT;
		if (cls != NORMALIZE_CLASS_SEP)
			return cls != NORMALIZE_CLASS_MARK && cls != NORMALIZE_CLASS_CJK;
		if (++seps > NORMALIZE_GAP_MAX)
			return true;
	}
	return true;
}

static int ref_pass_run(struct ref_pass *p)
{
	size_t pos = 0;
	int rc = 0;
	while (pos < p->len && rc == 0) {
		unsigned char c = p->in[pos];
		size_t n = 0;
		if (c < 0x80 && p->anchor && ref_gap_ends(p, pos))
			p->anchor = false;
		if (c < 0x80 && !p->anchor)
			rc = ref_ascii_run(p, pos, &n);
		else if (c >= 0xE3 && c <= 0xE9)
			rc = ref_cjk_run(p, pos, &n);
		if (rc == 0 && n == 0) {
			size_t next;
			rc = ref_step(p, pos, &next);
			n = next - pos;
		}
		if (rc == 0)
			pos += n;
	}
	p->out->consumed = pos;
	return rc;
}

static int ref_normalize_text(const struct normalizer *n, const char *text, size_t len,
			      struct normalized *out)
{
	out->len = 0;
	out->nruns = 0;
	out->consumed = 0;
	out->truncated = false;
	if (len > NORMALIZE_MAX_INPUT) {
		int rc = ref_reserve(out, 0);
		if (out->text)
			out->text[0] = '\0';
		return rc ? rc : ERR_TOO_BIG;
	}

	int rc = ref_reserve(out, len < out->max ? len : out->max);
	if (rc == 0) {
		struct ref_pass p = {
			.nz = n, .in = (const unsigned char *)text, .len = len, .out = out};
		rc = ref_pass_run(&p);
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

/* ---- differential check against the reference pass ---- */

/* Normalizes in with a cap of max by both passes and fails on any difference in the status, the
 * text, the offset map, consumed or truncated. */
static void same_as_reference(const char *in, size_t n, size_t max)
{
	struct normalized a, b;
	normalize_out_init(&a, max);
	normalize_out_init(&b, max);
	int ra = normalize_text(nz, in, n, &a), rb = ref_normalize_text(nz, in, n, &b);
	if (ra != rb || a.len != b.len || a.nruns != b.nruns || a.consumed != b.consumed ||
	    a.truncated != b.truncated || (a.len && memcmp(a.text, b.text, a.len) != 0) ||
	    (a.nruns && memcmp(a.runs, b.runs, a.nruns * sizeof(*a.runs)) != 0)) {
		char hex[3 * 64 + 1] = "";
		for (size_t i = 0; i < n && i < 64; i++)
			snprintf(hex + 3 * i, 4, "%02x ", (unsigned char)in[i]);
		fail_msg("differs from the reference (cap %zu, %zu bytes: %s): rc %d/%d, len "
			 "%zu/%zu, "
			 "runs %zu/%zu, consumed %zu/%zu",
			 max, n, hex, ra, rb, a.len, b.len, a.nruns, b.nruns, a.consumed,
			 b.consumed);
	}
	normalize_out_done(&a);
	normalize_out_done(&b);
}

/* Pieces weighted towards what the fast paths take: CJK characters, the separators between them
 * (ASCII, full-width, CJK punctuation, ideographic space) and the ASCII around them, with a few
 * pieces that stop a fast path (marks, zero-width, invalid UTF-8, CR, a letter that composes). */
static const char *const dense[] = {
	"刷", "单", "單",   "返", "利",	  "カ",	      "ー",	      "，",
	"。", "、", "！",   "【", "】",	  "（",	      "）",	      "\xe3\x80\x80",
	" ",  "  ", "*",    "-",  "!",	  ",",	      "\n",	      "a",
	"Z",  "9",  "ab12", "\t", "\r\n", "\xcc\x81", "\xe2\x80\x8b", "\xe4\xb8",
	"ｶ",  "ﾞ",  "ＡＢ", "①",  "😀",	  "e",	      "\xe3\x85\x8f", "\xe1\x85\xa1",
	"가",
};

static size_t dense_text(char *buf, size_t cap, unsigned *seed)
{
	return text_of(dense, sizeof(dense) / sizeof(dense[0]), 40, buf, cap, seed);
}

/* Random texts of both kinds, short and long enough to cross the fast paths' 4096-byte chunks,
 * with the default cap and small ones that cut them anywhere. */
static void reference_random(void **state)
{
	(void)state;
	unsigned seed = 5;
	static char in[12288];
	for (int round = 0; round < 20000; round++) {
		size_t n = round & 1 ? dense_text(in, sizeof(in), &seed)
				     : random_text(in, sizeof(in), &seed);
		same_as_reference(in, n, NORMALIZE_MAX_TEXT_DEFAULT);
		same_as_reference(in, n, (size_t)rand_r(&seed) % (n + 8));
	}
	for (int round = 0; round < 200; round++) {
		size_t n = 0;
		while (n + 64 < sizeof(in))
			n += round & 1 ? dense_text(in + n, sizeof(in) - n, &seed)
				       : random_text(in + n, sizeof(in) - n, &seed);
		same_as_reference(in, n, NORMALIZE_MAX_TEXT_DEFAULT);
		same_as_reference(in, n, (size_t)rand_r(&seed) % (n + 8));
	}
	for (int round = 0; round < 2000; round++) {
		size_t n = (size_t)rand_r(&seed) % 64;
		for (size_t i = 0; i < n; i++)
			in[i] = (char)(rand_r(&seed) & 0xFF);
		same_as_reference(in, n, NORMALIZE_MAX_TEXT_DEFAULT);
	}
}

/* Every file directly in dir (under the source root), whole and with caps that cut it. */
static size_t reference_dir(const char *dir)
{
	char path[4096];
	const char *root = getenv("PATROL_SOURCE_ROOT");
	snprintf(path, sizeof(path), "%s/%s", root ? root : ".", dir);
	DIR *d = opendir(path);
	if (!d)
		fail_msg("cannot open %s", path);
	size_t files = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		char file[8192];
		snprintf(file, sizeof(file), "%s/%s", path, de->d_name);
		FILE *f = de->d_name[0] == '.' ? NULL : fopen(file, "rb");
		if (!f)
			continue;
		static char buf[1 << 20];
		size_t n = fread(buf, 1, sizeof(buf), f);
		fclose(f);
		same_as_reference(buf, n, NORMALIZE_MAX_TEXT_DEFAULT);
		for (size_t cap = 0; cap < 64; cap += 7)
			same_as_reference(buf, n, cap);
		same_as_reference(buf, n, n / 2);
		files++;
	}
	closedir(d);
	return files;
}

/* The demo forum's pages (Chinese and English HTML, as fetched), the fuzz seeds and fixtures. */
static void reference_files(void **state)
{
	(void)state;
	assert_true(reference_dir("docs/demo") > 5);
	assert_true(reference_dir("tests/fuzz/corpus/normalize") > 10);
	reference_dir("tests/fixtures/posts");
	for (size_t i = 0; i < sizeof(pieces) / sizeof(pieces[0]); i++)
		same_as_reference(pieces[i], strlen(pieces[i]), NORMALIZE_MAX_TEXT_DEFAULT);
}

/* ---- hostile input and caps ---- */

static char *repeat(const char *piece, size_t total, size_t *ret_len)
{
	size_t pl = strlen(piece), n = 0;
	char *s = malloc(total + pl);
	assert_non_null(s);
	while (n < total) {
		memcpy(s + n, piece, pl);
		n += pl;
	}
	*ret_len = n;
	return s;
}

static void megabyte_of_marks(void **state)
{
	(void)state;
	size_t len;
	char *s =
		repeat("\xcc\x81\xcc\xa3\xd6\x91", 1 << 20, &len); /* three marks, three classes */
	s[0] = 'a';
	s[1] = 'a';
	struct normalized o;
	normalize_out_init(&o, NORMALIZE_MAX_TEXT_DEFAULT);
	assert_int_equal(normalize_text(nz, s, len, &o), 0);
	assert_true(valid_utf8(o.text, o.len));
	assert_true(o.len < 100); /* a letter keeps 30 marks, the rest are removed */
	assert_memory_equal(o.text, "a\xe1\xba\xa1", 4); /* a, then ạ: the dot below composed */
	size_t os, oe;
	span(&o, 0, o.len, &os, &oe);
	assert_true(os == 0 && oe == len);
	free(s);

	/* Zero-width spaces, all removed; the accent still finds its letter across them. */
	char *zw = repeat("\xe2\x80\x8b", 1 << 20, &len);
	s = malloc(len + 4);
	assert_non_null(s);
	memcpy(s, "ey", 2);
	memcpy(s + 2, zw, len);
	memcpy(s + 2 + len, "\xcc\x81", 2);
	assert_int_equal(normalize_text(nz, s, len + 4, &o), 0);
	assert_string_equal(o.text, "e\xc3\xbd");
	span(&o, 1, 3, &os, &oe);
	assert_true(os == 1 && oe == len + 4);
	free(zw);
	free(s);
	normalize_out_done(&o);
}

static void random_bytes(void **state)
{
	(void)state;
	size_t len = 1 << 20;
	char *s = malloc(len);
	assert_non_null(s);
	unsigned seed = 7;
	for (size_t i = 0; i < len; i++)
		s[i] = (char)rand_r(&seed);
	struct normalized o;
	normalize_out_init(&o, NORMALIZE_MAX_TEXT_DEFAULT);
	assert_int_equal(normalize_text(nz, s, len, &o), 0);
	assert_true(valid_utf8(o.text, o.len));
	assert_int_equal(o.consumed, len);
	for (size_t i = 0; i < o.len; i++)
		assert_true((unsigned char)o.text[i] >= 0x20 || o.text[i] == '\n');
	free(s);
	normalize_out_done(&o);
}

static void cap_reached(void **state)
{
	(void)state;
	size_t len;
	char *s = repeat("刷 单 ＦＲＥＥ money ①\r\n", 1 << 20, &len);
	struct normalized o;
	normalize_out_init(&o, 1000);
	assert_int_equal(normalize_text(nz, s, len, &o), ERR_TOO_BIG);
	assert_true(o.truncated);
	assert_true(o.len <= 1000 && o.len > 990);
	assert_true(o.consumed > 0 && o.consumed < len);
	assert_true(valid_utf8(o.text, o.len));
	assert_int_equal(strlen(o.text), o.len);
	size_t os, oe;
	span(&o, 0, o.len, &os, &oe);
	assert_true(os == 0 && oe <= o.consumed);

	/* Reused for a small text: nothing of the last one remains. */
	assert_int_equal(normalize_text(nz, "Ｏｋ", 6, &o), 0);
	assert_string_equal(o.text, "ok");
	assert_false(o.truncated);
	normalize_out_done(&o);

	normalize_out_init(&o, 0);
	assert_int_equal(normalize_text(nz, "a", 1, &o), ERR_TOO_BIG);
	assert_int_equal(o.len, 0);
	assert_int_equal(normalize_text(nz, "\x01\xe2\x80\x8b", 4, &o), 0); /* nothing to write */
	normalize_out_done(&o);

	/* Longer than offsets can hold: refused before reading a byte. */
	normalize_out_init(&o, 100);
	assert_int_equal(normalize_text(nz, s, NORMALIZE_MAX_INPUT + 1, &o), ERR_TOO_BIG);
	assert_int_equal(o.len, 0);
	normalize_out_done(&o);
	free(s);
}

/* ---- construction ---- */

static void missing_config(void **state)
{
	(void)state;
	struct normalizer *other = NULL;
	char err[256];
	assert_int_equal(normalize_new("/nonexistent/t2s.json", &other, err, sizeof(err)),
			 ERR_NOT_FOUND);
	assert_null(other);
	assert_non_null(strstr(err, "/nonexistent/t2s.json"));
	assert_non_null(strstr(err, "not found"));

	char path[] = "/tmp/normalize_test_XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "{}", 2), 2);
	close(fd);
	assert_int_equal(normalize_new(path, &other, err, sizeof(err)), ERR_PARSE);
	assert_null(other);
	assert_true(err[0] != '\0');
	unlink(path);

	assert_int_equal(normalize_new("/nonexistent", &other, NULL, 0), ERR_NOT_FOUND);
	normalize_free(NULL);
}

static void *thread_main(void *arg)
{
	const char *t = arg;
	struct normalized o;
	normalize_out_init(&o, NORMALIZE_MAX_TEXT_DEFAULT);
	bool ok = true;
	for (int i = 0; i < 2000 && ok; i++)
		ok = normalize_text(nz, t, strlen(t), &o) == 0 &&
		     strcmp(o.text, "发财刷单返利free money123") == 0;
	normalize_out_done(&o);
	return ok ? arg : NULL;
}

static void shared_by_threads(void **state)
{
	(void)state;
	char text[] = "發財 刷 单 返利ＦＲＥＥ money①②③";
	pthread_t t[2];
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&t[i], NULL, thread_main, text), 0);
	for (int i = 0; i < 2; i++) {
		void *ret;
		assert_int_equal(pthread_join(t[i], &ret), 0);
		assert_ptr_equal(ret, text);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(nfkc_fullwidth),
		cmocka_unit_test(case_folding),
		cmocka_unit_test(zero_width_and_controls),
		cmocka_unit_test(nul_bytes),
		cmocka_unit_test(traditional_to_simplified),
		cmocka_unit_test(digit_forms),
		cmocka_unit_test(squeeze_between_cjk),
		cmocka_unit_test(invalid_utf8),
		cmocka_unit_test(fixed_point),
		cmocka_unit_test(offsets_by_example),
		cmocka_unit_test(offsets_property),
		cmocka_unit_test(reference_random),
		cmocka_unit_test(reference_files),
		cmocka_unit_test(megabyte_of_marks),
		cmocka_unit_test(random_bytes),
		cmocka_unit_test(cap_reached),
		cmocka_unit_test(missing_config),
		cmocka_unit_test(shared_by_threads),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
