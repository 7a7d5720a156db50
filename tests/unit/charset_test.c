/* SPDX-License-Identifier: MIT */
/* Unit tests of parsers/charset.h: detection with uchardet between the <meta> prescan and the
 * default, the WHATWG label mappings (shift_jis, gb2312 and x-gbk, big5-hkscs, iso-8859-1 and
 * us-ascii) and U+FFFD for invalid sequences, and the charset conformance set: every document of
 * $PATROL_CONFORMANCE/charset/manifest.json must decode to its expected encoding and #target
 * text, and the test fails when one does not (it skips, saying so in a TAP comment, when the
 * folder is absent). parsers_test.c has the older charset tests.
 */
#include "common/buf.h"
#include "common/err.h"
#include "parsers/charset.h"

#include <setjmp.h> /* cmocka needs these first */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FFFD "\xEF\xBF\xBD"

/* ---- helpers ---- */

/* Decodes with charset_decode and checks the encoding, its source and the text. */
static void assert_decodes(const char *raw, size_t len, const char *ct, const char *want_name,
			   enum charset_source want_src, const char *want_text)
{
	char name[CHARSET_NAME_MAX];
	enum charset_source src;
	struct buf out;
	buf_init(&out, 1 << 20);
	int rc = charset_decode(raw, len, ct, &out, name, &src);
	if (rc)
		fail_msg("charset_decode failed (%d)", rc);
	if (strcmp(name, want_name) != 0 || src != want_src)
		fail_msg("got %s (%s), want %s (%s)", name, charset_source_name(src), want_name,
			 charset_source_name(want_src));
	if (strcmp(buf_str(&out), want_text) != 0)
		fail_msg("%s: got <%s>, want <%s>", name, buf_str(&out), want_text);
	buf_done(&out);
}

/* Converts raw from label and checks the text. */
static void assert_converts(const char *raw, size_t len, const char *label, const char *want)
{
	struct buf out;
	buf_init(&out, 1 << 20);
	int rc = charset_convert(raw, len, label, &out);
	if (rc)
		fail_msg("charset_convert(%s) failed (%d)", label, rc);
	if (strcmp(buf_str(&out), want) != 0)
		fail_msg("%s: got <%s>, want <%s>", label, buf_str(&out), want);
	buf_done(&out);
}

static void assert_sniffs(const char *raw, size_t len, const char *ct, const char *want_name,
			  enum charset_source want_src)
{
	char name[CHARSET_NAME_MAX];
	enum charset_source src;
	charset_sniff(raw, len, ct, name, &src);
	if (strcmp(name, want_name) != 0 || src != want_src)
		fail_msg("got %s (%s), want %s (%s)", name, charset_source_name(src), want_name,
			 charset_source_name(want_src));
}

/* One sentence in each legacy encoding, with no declaration anywhere: what uchardet must name. */
static const char ja_sjis[] =
	"\x8D\xA1\x93\xFA\x82\xCD\x89J\x82\xAA\x8D~\x82\xC1\x82\xC4\x82\xA2\x82\xE9\x82\xCC\x82"
	"\xC5\x81\x41\x89\xC6\x82\xC5\x96{\x82\xF0\x93\xC7\x82\xDD\x82\xC8\x82\xAA\x82\xE7\x82\xE4"
	"\x82\xC1\x82\xAD\x82\xE8\x89\xDF\x82\xB2\x82\xB5\x82\xC4\x82\xA2\x82\xDC\x82\xB7\x81\x42";
static const char ja_eucjp[] =
	"\xBA\xA3\xC6\xFC\xA4\xCF\xB1\xAB\xA4\xAC\xB9\xDF\xA4\xC3\xA4\xC6\xA4\xA4\xA4\xEB\xA4\xCE"
	"\xA4\xC7\xA1\xA2\xB2\xC8\xA4\xC7\xCB\xDC\xA4\xF2\xC6\xC9\xA4\xDF\xA4\xCA\xA4\xAC\xA4\xE9"
	"\xA4\xE6\xA4\xC3\xA4\xAF\xA4\xEA\xB2\xE1\xA4\xB4\xA4\xB7\xA4\xC6\xA4\xA4\xA4\xDE\xA4\xB9"
	"\xA1\xA3";
static const char ja_text[] =
	"今日は雨が降っているので、家で本を読みながらゆっくり過ごしています。";
static const char ko_euckr[] =
	"\xBF\xC0\xB4\xC3\xC0\xBA \xBA\xF1\xB0\xA1 \xBF\xCD\xBC\xAD \xC1\xFD\xBF\xA1\xBC\xAD "
	"\xC3\xA5\xC0\xBB \xC0\xD0\xC0\xB8\xB8\xE9\xBC\xAD \xC3\xB5\xC3\xB5\xC8\xF7 \xBD\xAC\xB0"
	"\xED \xC0\xD6\xBD\xC0\xB4\xCF\xB4\xD9.";
static const char ko_text[] = "오늘은 비가 와서 집에서 책을 읽으면서 천천히 쉬고 있습니다.";
static const char zh_gbk[] =
	"\xBD\xF1\xCC\xEC\xCF\xC2\xD3\xEA\xC1\xCB\xA3\xAC\xCE\xD2\xD4\xDA\xBC\xD2\xC0\xEF\xD2\xBB"
	"\xB1\xDF\xBF\xB4\xCA\xE9\xD2\xBB\xB1\xDF\xD0\xDD\xCF\xA2\xA3\xAC\xB8\xD0\xBE\xF5\xBA\xDC"
	"\xCA\xE6\xB7\xFE\xA1\xA3";
static const char zh_text[] = "今天下雨了，我在家里一边看书一边休息，感觉很舒服。";
static const char tw_big5[] =
	"\xA4\xB5\xA4\xD1\xA4U\xAB\x42\xA4\x46\xA1\x41\xA7\xDA\xA6\x62\xAE\x61\xB8\xCC\xA4@\xC3\xE4"
	"\xAC\xDD\xAE\xD1\xA4@\xC3\xE4\xA5\xF0\xAE\xA7\xA1\x41\xB7P\xC4\xB1\xAB\xDC\xB5\xCE\xAA"
	"\x41\xA1\x43";
static const char tw_text[] = "今天下雨了，我在家裡一邊看書一邊休息，感覺很舒服。";
static const char ru_1251[] =
	"\xD1\xE5\xE3\xEE\xE4\xED\xFF \xE8\xE4\xB8\xF2 \xE4\xEE\xE6\xE4\xFC, \xEF\xEE\xFD\xF2\xEE"
	"\xEC\xF3 \xFF \xF1\xE8\xE6\xF3 \xE4\xEE\xEC\xE0 \xE8 \xF7\xE8\xF2\xE0\xFE \xEA\xED\xE8"
	"\xE3\xF3.";
static const char ru_text[] = "Сегодня идёт дождь, поэтому я сижу дома и читаю книгу.";

/* ---- detection ---- */

static void test_detect_legacy(void **state)
{
	(void)state;
	const enum charset_source det = CHARSET_SOURCE_DETECTED;
	assert_decodes(ja_sjis, sizeof(ja_sjis) - 1, NULL, "Shift_JIS", det, ja_text);
	assert_decodes(ja_eucjp, sizeof(ja_eucjp) - 1, "text/html", "EUC-JP", det, ja_text);
	/* uchardet says "UHC": CP949, which is WHATWG's EUC-KR. */
	assert_decodes(ko_euckr, sizeof(ko_euckr) - 1, NULL, "EUC-KR", det, ko_text);
	/* uchardet says "GB18030": the same decoder as WHATWG's GBK. */
	assert_decodes(zh_gbk, sizeof(zh_gbk) - 1, NULL, "gb18030", det, zh_text);
	assert_decodes(tw_big5, sizeof(tw_big5) - 1, NULL, "Big5", det, tw_text);
	assert_decodes(ru_1251, sizeof(ru_1251) - 1, NULL, "windows-1251", det, ru_text);
}

static void test_detect_order(void **state)
{
	(void)state;
	/* Every declaration comes before a guess: header, <meta>, a <meta> after 1024 bytes. */
	assert_sniffs(ja_sjis, sizeof(ja_sjis) - 1, "text/html; charset=euc-kr", "EUC-KR",
		      CHARSET_SOURCE_HEADER);
	char page[2048];
	int n = snprintf(page, sizeof(page), "<meta charset=big5>%s", ja_sjis);
	assert_sniffs(page, (size_t)n, NULL, "Big5", CHARSET_SOURCE_META);
	memset(page, ' ', 1100);
	n = snprintf(page + 1100, sizeof(page) - 1100, "<meta charset=gbk>%s", ja_sjis);
	assert_sniffs(page, 1100 + (size_t)n, NULL, "GBK", CHARSET_SOURCE_META);
	/* Valid UTF-8 is UTF-8 before uchardet is asked. */
	assert_sniffs(ja_text, sizeof(ja_text) - 1, NULL, "UTF-8", CHARSET_SOURCE_DETECTED);
}

static void test_detect_nothing(void **state)
{
	(void)state;
	/* Too little to go on: uchardet has no answer and the default decides. */
	assert_decodes("\x80 \x93q\x94 \x81\xE9", 8, NULL, "windows-1252", CHARSET_SOURCE_DEFAULT,
		       "\xE2\x82\xAC \xE2\x80\x9Cq\xE2\x80\x9D \xC2\x81\xC3\xA9");
	/* An ISO-2022-KR guess would be the replacement encoding, which would blank the page: a
	 * guess never picks it (nor UTF-16 nor x-user-defined). */
	const char kr2022[] = "\x1B$)C\x0E\x3E\x48\x33\x67\x0F hello \x0E\x3E\x48\x33\x67\x0F";
	char name[CHARSET_NAME_MAX];
	enum charset_source src;
	charset_sniff(kr2022, sizeof(kr2022) - 1, NULL, name, &src);
	assert_string_not_equal(name, "replacement");
	assert_string_not_equal(name, "UTF-16LE");
	assert_string_not_equal(name, "UTF-16BE");
}

/* ---- WHATWG label mappings ---- */

static void test_shift_jis_ascii(void **state)
{
	(void)state;
	/* WHATWG's Shift_JIS decodes 0x5C and 0x7E as ASCII: a backslash and a tilde, not the yen
	 * sign and the overline of JIS X 0201; every label of it does the same. */
	const char *labels[] = {"shift_jis", "sjis", "ms_kanji", "windows-31j", "csshiftjis",
				"x-sjis", "ms932", "shift-jis"};
	for (size_t i = 0; i < sizeof(labels) / sizeof(labels[0]); i++)
		assert_converts("C:\x5C\x7E\x83\x65", 6, labels[i], "C:\\~テ");
	assert_decodes("a\x5C\x7E", 3, "text/html; charset=Shift_JIS", "Shift_JIS",
		       CHARSET_SOURCE_HEADER, "a\\~");
}

static void test_gbk_is_gb18030(void **state)
{
	(void)state;
	/* gb2312, x-gbk, gbk, chinese and the other GBK labels decode as gb18030: four-byte
	 * sequences (U+20BB7, U+1F600) and 0x80 as the euro sign. */
	const char raw[] = "\x95\x34\xB2\x35\x94\x39\xFC\x36\x80\xC2\xDB";
	const char want[] = "\xF0\xA0\xAE\xB7\xF0\x9F\x98\x80\xE2\x82\xAC论";
	const char *labels[] = {"gb2312", "x-gbk", "gbk", "chinese", "csgb2312", "gb_2312-80",
				"iso-ir-58", "GB18030"};
	for (size_t i = 0; i < sizeof(labels) / sizeof(labels[0]); i++)
		assert_converts(raw, sizeof(raw) - 1, labels[i], want);
	assert_decodes(raw, sizeof(raw) - 1, "text/html; charset=x-gbk", "GBK",
		       CHARSET_SOURCE_HEADER, want);
	assert_decodes(raw, sizeof(raw) - 1, "text/html; charset=GB2312", "GBK",
		       CHARSET_SOURCE_HEADER, want);
}

static void test_big5_hkscs(void **state)
{
	(void)state;
	/* big5-hkscs is a label of Big5, whose WHATWG index holds HKSCS: U+31C0 at 0x8840, and
	 * 0x8862 as two code points, U+00CA U+0304. */
	const char raw[] = "\xA4\xA4\x88\x40\x88\x62";
	const char want[] = "中\xE3\x87\x80\xC3\x8A\xCC\x84";
	assert_decodes(raw, sizeof(raw) - 1, "text/html; charset=big5-hkscs", "Big5",
		       CHARSET_SOURCE_HEADER, want);
	char page[64];
	int n = snprintf(page, sizeof(page), "<meta charset=\"BIG5-HKSCS\">%s", raw);
	assert_decodes(page, (size_t)n, NULL, "Big5", CHARSET_SOURCE_META,
		       "<meta charset=\"BIG5-HKSCS\">中\xE3\x87\x80\xC3\x8A\xCC\x84");
	assert_converts(raw, sizeof(raw) - 1, "x-x-big5", want);
}

static void test_latin1_is_1252(void **state)
{
	(void)state;
	/* iso-8859-1, us-ascii and their aliases are windows-1252: 0x80 is the euro sign, 0x9F
	 * is Ÿ, not C1 controls. */
	const char raw[] = "\x80\x9F\xE9";
	const char want[] = "\xE2\x82\xAC\xC5\xB8\xC3\xA9";
	const char *labels[] = {"iso-8859-1", "ISO_8859-1:1987", "latin1", "l1", "us-ascii", "ascii",
				"ansi_x3.4-1968", "cp819", "iso8859-1"};
	for (size_t i = 0; i < sizeof(labels) / sizeof(labels[0]); i++)
		assert_converts(raw, sizeof(raw) - 1, labels[i], want);
	assert_decodes(raw, sizeof(raw) - 1, "text/html; charset=ISO-8859-1", "windows-1252",
		       CHARSET_SOURCE_HEADER, want);
	assert_decodes(raw, sizeof(raw) - 1, "text/html; charset=us-ascii", "windows-1252",
		       CHARSET_SOURCE_HEADER, want);
}

/* ---- U+FFFD for invalid sequences, the rest surviving ---- */

static void test_invalid_sequences(void **state)
{
	(void)state;
	/* A lead byte followed by an ASCII byte that is no trail byte: U+FFFD, and the ASCII byte
	 * is kept (WHATWG puts it back in the stream); "<" survives to be markup. */
	assert_converts("\x83<\x83\x65", 4, "shift_jis", FFFD "<テ");
	assert_converts("\xB0<\xB0\xA1", 4, "euc-kr", FFFD "<가");
	assert_converts("\xA4<\xA4\xA4", 4, "big5", FFFD "<中");
	assert_converts("\xC2<\xC2\xDB", 4, "gbk", FFFD "<论");
	assert_converts("\xA4<\xA4\xA2", 4, "euc-jp", FFFD "<あ");
	/* Bytes that are no lead byte at all. */
	assert_converts("x\xFFy", 3, "shift_jis", "x" FFFD "y");
	assert_converts("x\xFFy", 3, "gbk", "x" FFFD "y");
	assert_converts("x\xFFy", 3, "big5", "x" FFFD "y");
	/* A sequence cut by the end of the input. */
	assert_converts("ok\x83", 3, "shift_jis", "ok" FFFD);
	assert_converts("ok\xA4", 3, "big5", "ok" FFFD);
	/* UTF-8: one U+FFFD per maximal subpart, in a detected page too. */
	assert_converts("a\xE4\xB8z\xC0\xAF", 6, "utf-8", "a" FFFD "z" FFFD FFFD);
	/* windows-1252 has no invalid byte. */
	assert_converts("\x81\x8D\x8F\x90\x9D", 5, "windows-1252",
			"\xC2\x81\xC2\x8D\xC2\x8F\xC2\x90\xC2\x9D");
}

/* ---- conformance ---- */

/* The whole file at path, or NULL. */
static char *read_file(const char *path, size_t *ret_len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	struct buf b;
	buf_init(&b, 16 << 20);
	char chunk[65536];
	size_t n;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		assert_int_equal(buf_add(&b, chunk, n), 0);
	fclose(f);
	*ret_len = b.len;
	return buf_take(&b);
}

/* The text of <p id="target"> in the decoded page (the set has no entities and no markup
 * inside it), trimmed; caller frees. NULL when there is none. */
static char *target_text(const char *html)
{
	const char *p = strstr(html, "id=\"target\"");
	p = p ? strchr(p, '>') : NULL;
	const char *end = p ? strstr(p, "</p>") : NULL;
	if (!end)
		return NULL;
	for (p++; p < end && strchr(" \t\r\n", *p); p++)
		;
	while (end > p && strchr(" \t\r\n", end[-1]))
		end--;
	return strndup(p, (size_t)(end - p));
}

/* Whether got may stand for want: the name itself, or gb18030 for GBK (one decoder). */
static bool same_encoding(const char *got, const char *want)
{
	return strcmp(got, want) == 0 || (strcmp(want, "GBK") == 0 && strcmp(got, "gb18030") == 0);
}

/* Runs one case of the manifest; prints why it fails and returns false then. */
static bool conformance_case(const char *dir, const json_t *c)
{
	const char *id = json_string_value(json_object_get(c, "id"));
	const char *file = json_string_value(json_object_get(c, "file"));
	const char *want_enc = json_string_value(json_object_get(c, "expected_encoding"));
	const char *want = json_string_value(json_object_get(c, "expected_target_text"));
	const char *ct = json_string_value(json_object_get(c, "http_content_type"));
	assert_true(id && file && want_enc && want);
	char path[4096], name[CHARSET_NAME_MAX] = "";
	snprintf(path, sizeof(path), "%s/charset/%s", dir, file);
	size_t len;
	char *raw = read_file(path, &len);
	if (!raw)
		fail_msg("charset conformance: cannot read %s", path);
	enum charset_source src = CHARSET_SOURCE_DEFAULT;
	struct buf out;
	buf_init(&out, 16 << 20);
	int rc = charset_decode(raw, len, ct, &out, name, &src);
	char *got = rc ? NULL : target_text(buf_str(&out));
	bool ok = got && same_encoding(name, want_enc) && strcmp(got, want) == 0 &&
		  !strstr(got, FFFD);
	if (!ok)
		printf("# charset conformance: %s: got %s (%s), want %s%s\n", id, name,
		       charset_source_name(src), want_enc,
		       got && same_encoding(name, want_enc) ? ": #target text differs" : "");
	free(got);
	buf_done(&out);
	free(raw);
	return ok;
}

static void test_charset_conformance(void **state)
{
	(void)state;
	const char *dir = getenv("PATROL_CONFORMANCE");
	char path[4096];
	snprintf(path, sizeof(path), "%s/charset/manifest.json", dir ? dir : "");
	json_t *root = dir ? json_load_file(path, 0, NULL) : NULL;
	if (!root) {
		/* Not skip(): cmocka reports it as "not ok # SKIP", which meson counts as failed. */
		printf("# charset conformance: %s, skipped\n",
		       dir ? "no charset/manifest.json under $PATROL_CONFORMANCE"
			   : "PATROL_CONFORMANCE not set");
		return;
	}
	const json_t *cases = json_object_get(root, "cases");
	assert_true(json_is_array(cases) && json_array_size(cases) > 0);
	size_t i, pass = 0, detected = 0;
	const json_t *c;
	json_array_foreach(cases, i, c) {
		bool ok = conformance_case(dir, c);
		pass += ok;
		detected += ok && json_is_true(json_object_get(c, "detection_required"));
	}
	printf("# charset conformance: %zu/%zu pass (%zu of them with no declaration, detected)\n",
	       pass, json_array_size(cases), detected);
	size_t total = json_array_size(cases);
	json_decref(root);
	assert_int_equal(pass, total);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_detect_legacy),
		cmocka_unit_test(test_detect_order),
		cmocka_unit_test(test_detect_nothing),
		cmocka_unit_test(test_shift_jis_ascii),
		cmocka_unit_test(test_gbk_is_gb18030),
		cmocka_unit_test(test_big5_hkscs),
		cmocka_unit_test(test_latin1_is_1252),
		cmocka_unit_test(test_invalid_sequences),
		cmocka_unit_test(test_charset_conformance),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
