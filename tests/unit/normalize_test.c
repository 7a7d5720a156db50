/* SPDX-License-Identifier: MIT */
/* Unit tests of parsers/normalize: each step on Chinese and English text, the offset map (by
 * example, and as a property over random texts: every normalized span maps to an original span
 * whose normalization holds it), hostile input (invalid UTF-8, NUL bytes, a megabyte of combining
 * marks or zero-width spaces, the caps), a missing OpenCC configuration, and one normalizer
 * shared by two threads. One normalizer serves every test (building one takes 0.2 s).
 */
#include "common/err.h"
#include "parsers/normalize.h"

#include <setjmp.h> /* cmocka needs these first */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
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

static size_t random_text(char *buf, size_t cap, unsigned *seed)
{
	size_t n = 0, count = 1 + (size_t)(rand_r(seed) % 24);
	for (size_t i = 0; i < count; i++) {
		size_t k = (size_t)rand_r(seed) % (sizeof(pieces) / sizeof(pieces[0]));
		size_t l = strlen(pieces[k]);
		if (l == 0)
			l = 1; /* the piece "\x00": a NUL byte */
		if (n + l > cap)
			break;
		memcpy(buf + n, pieces[k], l);
		n += l;
	}
	return n;
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
		cmocka_unit_test(megabyte_of_marks),
		cmocka_unit_test(random_bytes),
		cmocka_unit_test(cap_reached),
		cmocka_unit_test(missing_config),
		cmocka_unit_test(shared_by_threads),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
