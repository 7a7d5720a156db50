/* SPDX-License-Identifier: MIT */
/* Unit tests of parsers/: charset sniffing and decoding, URL resolution, HTML to document (with
 * forum posts: the built-in profiles against tests/fixtures/posts/, and venue selectors).
 *
 * With PATROL_CONFORMANCE set to ../shared/conformance, the charset manifest and the http(s)
 * subset of WPT's urltestdata.json run too, and their pass counts are printed as TAP comments;
 * without it those tests are skipped, saying so. A small JSON reader below serves them only.
 */
#include "common/buf.h"
#include "common/err.h"
#include "parsers/charset.h"
#include "parsers/doc.h"
#include "parsers/url.h"
#include "parsers/yaml.h"

#include <setjmp.h> /* cmocka needs these first */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

/* ---- helpers ---- */

static char *decode(const char *raw, size_t len, const char *ct, char name[CHARSET_NAME_MAX],
		    enum charset_source *src)
{
	struct buf out;
	buf_init(&out, 1 << 20);
	assert_int_equal(charset_decode(raw, len, ct, &out, name, src), 0);
	return buf_take(&out);
}

static void assert_decodes(const char *raw, size_t len, const char *ct, const char *want_name,
			   enum charset_source want_src, const char *want_text)
{
	char name[CHARSET_NAME_MAX];
	enum charset_source src;
	char *text = decode(raw, len, ct, name, &src);
	assert_string_equal(name, want_name);
	assert_string_equal(charset_source_name(src), charset_source_name(want_src));
	assert_string_equal(text, want_text);
	free(text);
}

static char *resolve(const char *base, const char *ref)
{
	char *url = NULL;
	int rc = url_resolve(base, ref, &url);
	if (rc)
		return NULL;
	return url;
}

static void assert_resolves(const char *base, const char *ref, const char *want)
{
	char *got = resolve(base, ref);
	if (!got)
		fail_msg("url_resolve(%s, %s) failed, want %s", base ? base : "NULL", ref, want);
	assert_string_equal(got, want);
	free(got);
}

static void assert_url_fails(const char *base, const char *ref, int want)
{
	char *url = NULL;
	assert_int_equal(url_resolve(base, ref, &url), want);
	assert_null(url);
}

static struct doc *parse(const char *html, const char *ct, const char *page_url)
{
	struct doc *d = NULL;
	assert_int_equal(doc_parse(html, strlen(html), ct, page_url, NULL, &d), 0);
	assert_non_null(d);
	return d;
}

static bool valid_utf8(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	for (size_t i = 0; i < n;) {
		size_t len = p[i] < 0x80 ? 1 : p[i] < 0xC2 ? 0 : p[i] < 0xE0 ? 2 : p[i] < 0xF0 ? 3
			   : p[i] < 0xF5 ? 4 : 0;
		if (len == 0 || i + len > n)
			return false;
		for (size_t k = 1; k < len; k++)
			if ((p[i + k] & 0xC0) != 0x80)
				return false;
		i += len;
	}
	return true;
}

/* A file under PATROL_CONFORMANCE, or NULL (the test is then skipped by the caller). */
static char *read_conformance(const char *rel, size_t *ret_len)
{
	const char *dir = getenv("PATROL_CONFORMANCE");
	char path[4096];
	if (!dir)
		return NULL;
	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	struct buf b;
	buf_init(&b, 64 << 20);
	char chunk[65536];
	size_t n;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		assert_int_equal(buf_add(&b, chunk, n), 0);
	fclose(f);
	*ret_len = b.len;
	return buf_take(&b);
}

/* ---- a small JSON reader, for the conformance files ---- */

enum json_type { JSON_NULL, JSON_BOOL, JSON_NUMBER, JSON_STRING, JSON_ARRAY, JSON_OBJECT };

struct json {
	enum json_type type;
	bool boolean;
	char *str;           /* JSON_STRING, NUL-terminated UTF-8 */
	size_t len;          /* of str, which may hold NULs */
	struct json *items;  /* JSON_ARRAY and JSON_OBJECT values */
	char **keys;         /* JSON_OBJECT */
	size_t n;
};

struct json_in {
	const char *s;
	size_t pos, len;
};

static void json_ws(struct json_in *in)
{
	while (in->pos < in->len && strchr(" \t\r\n", in->s[in->pos]))
		in->pos++;
}

static void utf8_put(struct buf *b, unsigned long cp)
{
	char u[4];
	size_t n;
	if (cp < 0x80) {
		u[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (char)(0xC0 | cp >> 6);
		u[1] = (char)(0x80 | (cp & 63));
		n = 2;
	} else if (cp < 0x10000) {
		u[0] = (char)(0xE0 | cp >> 12);
		u[1] = (char)(0x80 | ((cp >> 6) & 63));
		u[2] = (char)(0x80 | (cp & 63));
		n = 3;
	} else {
		u[0] = (char)(0xF0 | cp >> 18);
		u[1] = (char)(0x80 | ((cp >> 12) & 63));
		u[2] = (char)(0x80 | ((cp >> 6) & 63));
		u[3] = (char)(0x80 | (cp & 63));
		n = 4;
	}
	assert_int_equal(buf_add(b, u, n), 0);
}

static unsigned long json_hex4(struct json_in *in)
{
	char hex[5] = {0};
	assert_true(in->pos + 4 <= in->len);
	memcpy(hex, in->s + in->pos, 4);
	in->pos += 4;
	return strtoul(hex, NULL, 16);
}

/* A \u escape (after "\u"); lone surrogates become U+FFFD, as a USVString would have them. */
static unsigned long json_unicode(struct json_in *in)
{
	unsigned long cp = json_hex4(in);
	if (cp >= 0xD800 && cp < 0xDC00 && in->pos + 6 <= in->len && in->s[in->pos] == '\\' &&
	    in->s[in->pos + 1] == 'u') {
		size_t save = in->pos;
		in->pos += 2;
		unsigned long lo = json_hex4(in);
		if (lo >= 0xDC00 && lo < 0xE000)
			return 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
		in->pos = save;
	}
	return cp >= 0xD800 && cp < 0xE000 ? 0xFFFD : cp;
}

static char *json_string(struct json_in *in, size_t *ret_len)
{
	struct buf b;
	buf_init(&b, 1 << 20);
	assert_true(in->s[in->pos] == '"');
	in->pos++;
	while (in->pos < in->len && in->s[in->pos] != '"') {
		char c = in->s[in->pos++];
		if (c != '\\') {
			assert_int_equal(buf_addc(&b, c), 0);
			continue;
		}
		c = in->s[in->pos++];
		const char *esc = strchr("\"\"\\\\//b\bf\fn\nr\rt\t", c);
		if (c == 'u')
			utf8_put(&b, json_unicode(in));
		else if (esc)
			assert_int_equal(buf_addc(&b, esc[1]), 0);
		else
			fail_msg("bad JSON escape");
	}
	in->pos++;
	if (ret_len)
		*ret_len = b.len;
	return buf_take(&b);
}

static void json_value(struct json_in *in, struct json *v);

static void json_list(struct json_in *in, struct json *v, char close, bool object)
{
	size_t alloc = 0;
	in->pos++;
	json_ws(in);
	while (in->pos < in->len && in->s[in->pos] != close) {
		if (v->n == alloc) {
			alloc = alloc ? 2 * alloc : 8;
			v->items = realloc(v->items, alloc * sizeof(*v->items));
			v->keys = object ? realloc(v->keys, alloc * sizeof(*v->keys)) : NULL;
			assert_non_null(v->items);
		}
		if (object) {
			v->keys[v->n] = json_string(in, NULL);
			json_ws(in);
			assert_true(in->s[in->pos++] == ':');
		}
		json_value(in, &v->items[v->n++]);
		json_ws(in);
		if (in->s[in->pos] == ',')
			in->pos++;
		json_ws(in);
	}
	in->pos++;
}

static void json_value(struct json_in *in, struct json *v)
{
	memset(v, 0, sizeof(*v));
	json_ws(in);
	char c = in->s[in->pos];
	if (c == '"') {
		v->type = JSON_STRING;
		v->str = json_string(in, &v->len);
	} else if (c == '[') {
		v->type = JSON_ARRAY;
		json_list(in, v, ']', false);
	} else if (c == '{') {
		v->type = JSON_OBJECT;
		json_list(in, v, '}', true);
	} else if (strncmp(in->s + in->pos, "null", 4) == 0) {
		in->pos += 4;
	} else if (strncmp(in->s + in->pos, "true", 4) == 0 ||
		   strncmp(in->s + in->pos, "false", 5) == 0) {
		v->type = JSON_BOOL;
		v->boolean = c == 't';
		in->pos += v->boolean ? 4 : 5;
	} else {
		v->type = JSON_NUMBER;
		while (in->pos < in->len && strchr("+-.0123456789eE", in->s[in->pos]))
			in->pos++;
	}
}

static void json_free(struct json *v)
{
	free(v->str);
	for (size_t i = 0; i < v->n; i++) {
		json_free(&v->items[i]);
		if (v->keys)
			free(v->keys[i]);
	}
	free(v->items);
	free(v->keys);
}

static const struct json *json_get(const struct json *obj, const char *key)
{
	for (size_t i = 0; obj->type == JSON_OBJECT && i < obj->n; i++)
		if (strcmp(obj->keys[i], key) == 0)
			return &obj->items[i];
	return NULL;
}

/* The string member key of obj, or NULL when absent, not a string, or holding a NUL. */
static const char *json_str(const struct json *obj, const char *key)
{
	const struct json *v = json_get(obj, key);
	return v && v->type == JSON_STRING && strlen(v->str) == v->len ? v->str : NULL;
}

static bool json_true(const struct json *obj, const char *key)
{
	const struct json *v = json_get(obj, key);
	return v && v->type == JSON_BOOL && v->boolean;
}

static bool json_load(const char *rel, struct json *root)
{
	size_t len;
	char *text = read_conformance(rel, &len);
	if (!text)
		return false;
	struct json_in in = {text, 0, len};
	json_value(&in, root);
	free(text);
	return true;
}

/* ---- charset ---- */

static void test_charset_source_names(void **state)
{
	(void)state;
	assert_string_equal(charset_source_name(CHARSET_SOURCE_BOM), "bom");
	assert_string_equal(charset_source_name(CHARSET_SOURCE_HEADER), "header");
	assert_string_equal(charset_source_name(CHARSET_SOURCE_META), "meta");
	assert_string_equal(charset_source_name(CHARSET_SOURCE_DETECTED), "detected");
	assert_string_equal(charset_source_name(CHARSET_SOURCE_DEFAULT), "default");
}

static void test_charset_bom(void **state)
{
	(void)state;
	/* The BOM beats the header and the meta, and is not part of the text. */
	const char utf8[] = "\xEF\xBB\xBF<meta charset=gbk>caf\xC3\xA9";
	assert_decodes(utf8, sizeof(utf8) - 1, "text/html; charset=windows-1252", "UTF-8",
		       CHARSET_SOURCE_BOM, "<meta charset=gbk>caf\xC3\xA9");
	const char le[] = "\xFF\xFEh\0i\0\xAC\x20";
	assert_decodes(le, sizeof(le) - 1, NULL, "UTF-16LE", CHARSET_SOURCE_BOM,
		       "hi\xE2\x82\xAC");
	const char be[] = "\xFE\xFF\0h\x4E\x2D";
	assert_decodes(be, sizeof(be) - 1, NULL, "UTF-16BE", CHARSET_SOURCE_BOM, "h\xE4\xB8\xAD");
}

static void test_charset_header(void **state)
{
	(void)state;
	const char gbk[] = "\xC2\xDB\xCC\xB3";
	assert_decodes(gbk, 4, "text/html; charset=GB2312", "GBK", CHARSET_SOURCE_HEADER,
		       "论坛");
	assert_decodes(gbk, 4, "text/html;Charset=\"gbk\" ; q=1", "GBK", CHARSET_SOURCE_HEADER,
		       "论坛");
	assert_decodes(gbk, 4, "text/html; a=\"x;charset=big5\"; charset=x-gbk", "GBK",
		       CHARSET_SOURCE_HEADER, "论坛");
	/* An unknown label is ignored: the meta decides. */
	const char page[] = "<meta charset=\"euc-kr\">\xBE\xC8\xB3\xE7";
	assert_decodes(page, sizeof(page) - 1, "text/html; charset=x-unknown", "EUC-KR",
		       CHARSET_SOURCE_META, "<meta charset=\"euc-kr\">안녕");
	/* The header beats the meta. */
	const char big5[] = "<meta charset=gb2312>\xA4\xA4\xA4\xE5";
	assert_decodes(big5, sizeof(big5) - 1, "text/html; charset=Big5", "Big5",
		       CHARSET_SOURCE_HEADER, "<meta charset=gb2312>中文");
}

static void test_charset_meta_gbk(void **state)
{
	(void)state;
	const char page[] = "<html><head><meta charset=\"gbk\"><title>\xC2\xDB\xCC\xB3\xCA"
			    "\xD7\xD2\xB3</title></head><body><p>\xCB\xA2\xB5\xA5\xB7\xB5\xC0"
			    "\xFB\xA3\xAC\xC8\xD5\xBD\xE1\xD3\xB6\xBD\xF0\xA3\xA1</p></body>"
			    "</html>";
	assert_decodes(page, sizeof(page) - 1, "text/html", "GBK", CHARSET_SOURCE_META,
		       "<html><head><meta charset=\"gbk\"><title>论坛首页</title></head><body>"
		       "<p>刷单返利，日结佣金！</p></body></html>");
}

static void test_charset_meta_prescan(void **state)
{
	(void)state;
	char name[CHARSET_NAME_MAX];
	enum charset_source src;
	static const struct {
		const char *html, *name;
	} cases[] = {
		{"<meta http-equiv=\"Content-Type\" content=\"text/html; charset=big5\">", "Big5"},
		{"<META CONTENT='text/html;CHARSET=Shift_JIS' HTTP-EQUIV=content-type>",
		 "Shift_JIS"},
		{"<meta content=\"charset=koi8-r\">\x80", "windows-1252"}, /* no http-equiv */
		{"<!-- <meta charset=gbk> --><meta charset=euc-kr>", "EUC-KR"},
		{"<meta charset=gbk", "UTF-8"}, /* cut: the prescan gives up, the bytes are ASCII */
		{"<!--><meta charset=gbk>", "GBK"}, /* "<!-->" is a whole comment */
		{"<div title='<meta charset=gbk>'><meta/charset=latin1>\x80", "windows-1252"},
		{"<meta charset=utf-16le>\x80", "UTF-8"}, /* UTF-16 from a meta means UTF-8 */
		{"<meta charset=x-user-defined>\x80", "windows-1252"},
		{"<meta charset=bogus><meta charset=gbk>\x80", "GBK"},
		{"<meta name=x charset=iso-8859-2 charset=gbk>\x80", "ISO-8859-2"},
		{"<meta http-equiv=content-type content=\"x; charset = 'euc-jp'\">", "EUC-JP"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *html = cases[i].html;
		charset_sniff(html, strlen(html), NULL, name, &src);
		if (strcmp(name, cases[i].name) != 0)
			fail_msg("case %zu: %s: got %s, want %s", i, html, name, cases[i].name);
	}
}

static void test_charset_late_meta(void **state)
{
	(void)state;
	/* After the 1024-byte prescan window, a meta still counts when the bytes are not UTF-8. */
	char page[2048];
	memset(page, ' ', sizeof(page));
	static const char big5[] = "--><meta charset=big5>\xA4\xA4";
	static const char utf8[] = "--><meta charset=big5>\xE4\xB8\xAD";
	memcpy(page, "<!--", 4);
	memcpy(page + 1200, big5, sizeof(big5) - 1);
	char name[CHARSET_NAME_MAX];
	enum charset_source src;
	charset_sniff(page, 1200 + sizeof(big5) - 1, NULL, name, &src);
	assert_string_equal(name, "Big5");
	assert_int_equal(src, CHARSET_SOURCE_META);
	/* Valid UTF-8 wins over such a late meta. */
	memcpy(page + 1200, utf8, sizeof(utf8) - 1);
	charset_sniff(page, 1200 + sizeof(utf8) - 1, NULL, name, &src);
	assert_string_equal(name, "UTF-8");
	assert_int_equal(src, CHARSET_SOURCE_DETECTED);
}

static void test_charset_detect_and_default(void **state)
{
	(void)state;
	assert_decodes("caf\xC3\xA9 \xF0\x9F\x98\x80", 10, NULL, "UTF-8", CHARSET_SOURCE_DETECTED,
		       "caf\xC3\xA9 \xF0\x9F\x98\x80");
	/* A UTF-8 sequence cut by the end (a capped body) still counts as UTF-8. */
	assert_decodes("caf\xC3\xA9\xE4\xB8", 7, NULL, "UTF-8", CHARSET_SOURCE_DETECTED,
		       "caf\xC3\xA9\xEF\xBF\xBD");
	/* WHATWG windows-1252: 0x80 is the euro sign, 0x81 maps to U+0081. */
	assert_decodes("\x80 \x93q\x94 \x81\xE9", 8, NULL, "windows-1252", CHARSET_SOURCE_DEFAULT,
		       "\xE2\x82\xAC \xE2\x80\x9Cq\xE2\x80\x9D \xC2\x81\xC3\xA9");
	assert_decodes("", 0, NULL, "UTF-8", CHARSET_SOURCE_DETECTED, "");
}

static void test_charset_repairs_utf8(void **state)
{
	(void)state;
	/* Declared UTF-8 is still repaired: one U+FFFD per maximal invalid subpart. */
	const char bad[] = "a\xC0\x80" "b\xED\xA0\x80" "c\xF4\x90\x80\x80" "d\xE4\xB8" "e\xFF";
	assert_decodes(bad, sizeof(bad) - 1, "text/html; charset=utf-8", "UTF-8",
		       CHARSET_SOURCE_HEADER,
		       "a\xEF\xBF\xBD\xEF\xBF\xBD" "b\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"
		       "c\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD" "d\xEF\xBF\xBD"
		       "e\xEF\xBF\xBD");
	const char nul[] = "a\0b";
	char name[CHARSET_NAME_MAX];
	enum charset_source src;
	struct buf out;
	buf_init(&out, 100);
	assert_int_equal(charset_decode(nul, 3, "text/html; charset=utf-8", &out, name, &src), 0);
	assert_int_equal(out.len, 3);
	assert_memory_equal(out.data, "a\0b", 3);
	buf_done(&out);
}

static void test_charset_legacy_decoders(void **state)
{
	(void)state;
	/* GBK decodes with gb18030: 4-byte sequences and 0x80 work; a bad pair becomes U+FFFD and
	 * the rest survives. */
	const char gbk[] = "\x95\x34\xB2\x35\x94\x39\xFC\x36\x80\xC2 \xFF\xC2\xDB";
	assert_decodes(gbk, sizeof(gbk) - 1, "text/html; charset=gb2312", "GBK",
		       CHARSET_SOURCE_HEADER, "\xF0\xA0\xAE\xB7\xF0\x9F\x98\x80\xE2\x82\xAC"
					      "\xEF\xBF\xBD \xEF\xBF\xBD论");
	/* Shift_JIS is CP932: 0x5C is a backslash, not a yen sign. */
	const char sjis[] = "\x83\x65\x83\x58\x83\x67\x5C";
	assert_decodes(sjis, sizeof(sjis) - 1, "text/html; charset=sjis", "Shift_JIS",
		       CHARSET_SOURCE_HEADER, "テスト\\");
	/* EUC-KR is CP949: U+B620 (0x8C63) is outside EUC-KR proper. */
	const char kr[] = "\x8C\x63\xB9\xE6\xB0\xA2\xC7\xCF";
	assert_decodes(kr, sizeof(kr) - 1, "text/html; charset=ks_c_5601-1987", "EUC-KR",
		       CHARSET_SOURCE_HEADER, "똠방각하");
	const char ru[] = "\xF0\xD2\xC9\xD7\xC5\xD4";
	assert_decodes(ru, sizeof(ru) - 1, "text/html; charset=koi8-r", "KOI8-R",
		       CHARSET_SOURCE_HEADER, "Привет");
	/* A multi-byte sequence cut by the end is one U+FFFD. */
	assert_decodes("a\xC2", 2, "text/html; charset=gbk", "GBK", CHARSET_SOURCE_HEADER,
		       "a\xEF\xBF\xBD");
	/* The replacement encoding: the whole input is one error. */
	assert_decodes("\x1B$)Cabc", 7, "text/html; charset=iso-2022-kr", "replacement",
		       CHARSET_SOURCE_HEADER, "\xEF\xBF\xBD");
	/* x-user-defined, from a header only. */
	assert_decodes("a\x80", 2, "text/html; charset=x-user-defined", "x-user-defined",
		       CHARSET_SOURCE_HEADER, "a\xEF\x9E\x80");
}

static void test_charset_convert(void **state)
{
	(void)state;
	struct buf out;
	buf_init(&out, 100);
	assert_int_equal(charset_convert("x", 1, "no-such-charset", &out), ERR_CHARSET);
	assert_int_equal(charset_convert("\xA4\xA4", 2, " BIG5-HKSCS ", &out), 0);
	assert_string_equal(buf_str(&out), "中");
	buf_done(&out);
}

static void test_charset_cap(void **state)
{
	(void)state;
	/* 4 CJK characters (12 bytes of UTF-8) into a 10-byte cap: 3 whole ones are kept. */
	const char gbk[] = "\xC2\xDB\xCC\xB3\xCA\xD7\xD2\xB3";
	char name[CHARSET_NAME_MAX] = "unset";
	enum charset_source src = CHARSET_SOURCE_DEFAULT;
	struct buf out;
	buf_init(&out, 10);
	assert_int_equal(charset_decode(gbk, 8, "text/html; charset=gbk", &out, name, &src),
			 ERR_TOO_BIG);
	assert_string_equal(buf_str(&out), "论坛首");
	assert_string_equal(name, "unset"); /* untouched on failure */
	buf_done(&out);
	/* The same through UTF-8 repair and windows-1252. */
	buf_init(&out, 4);
	assert_int_equal(charset_convert("ab\xC3\xA9\xC3\xA9", 6, "utf-8", &out), ERR_TOO_BIG);
	assert_string_equal(buf_str(&out), "ab\xC3\xA9");
	buf_done(&out);
	buf_init(&out, 5);
	assert_int_equal(charset_convert("abc\x80", 4, "latin1", &out), ERR_TOO_BIG);
	assert_string_equal(buf_str(&out), "abc");
	buf_done(&out);
}

static void test_charset_conformance(void **state)
{
	(void)state;
	struct json root;
	if (!json_load("charset/manifest.json", &root)) {
		/* Not skip(): cmocka reports it as "not ok # SKIP", which meson counts as failed. */
		printf("# charset conformance: PATROL_CONFORMANCE not set or absent, skipped\n");
		return;
	}
	const struct json *cases = json_get(&root, "cases");
	assert_non_null(cases);
	size_t pass = 0, fail_detect = 0, fail = 0;
	for (size_t i = 0; i < cases->n; i++) {
		const struct json *c = &cases->items[i];
		size_t len;
		char rel[1024];
		snprintf(rel, sizeof(rel), "charset/%s", json_str(c, "file"));
		char *raw = read_conformance(rel, &len);
		assert_non_null(raw);
		struct doc *d = NULL;
		assert_int_equal(doc_parse(raw, len, json_str(c, "http_content_type"),
					   "http://example.com/", NULL, &d), 0);
		bool ok = strcmp(d->encoding, json_str(c, "expected_encoding")) == 0 &&
			  strstr(d->body, json_str(c, "expected_target_text")) != NULL;
		if (ok)
			pass++;
		else if (json_true(c, "detection_required"))
			fail_detect++;
		else
			fail++;
		if (!ok)
			printf("# charset conformance: %s: got %s (%s)%s\n", json_str(c, "id"),
			       d->encoding, charset_source_name(d->encoding_source),
			       json_true(c, "detection_required") ? ", needs detection" : "");
		doc_free(d);
		free(raw);
	}
	printf("# charset conformance: %zu/%zu pass; %zu fail that need statistical detection "
	       "(uchardet); %zu other failures\n",
	       pass, cases->n, fail_detect, fail);
	assert_int_equal(fail, 0);
	assert_int_equal(fail_detect, 0); /* uchardet settles them (charset_test.c checks each) */
	assert_true(pass > 0);
	json_free(&root);
}

/* ---- url ---- */

static void test_url_resolve(void **state)
{
	(void)state;
	const char *base = "http://a.example/b/c/d;p?q";
	assert_resolves(base, "g", "http://a.example/b/c/g");
	assert_resolves(base, "./g/", "http://a.example/b/c/g/");
	assert_resolves(base, "/g", "http://a.example/g");
	assert_resolves(base, "//g.example", "http://g.example/");
	assert_resolves(base, "?y", "http://a.example/b/c/d;p?y");
	assert_resolves(base, "#s", "http://a.example/b/c/d;p?q");
	assert_resolves(base, "", "http://a.example/b/c/d;p?q");
	assert_resolves(base, "../../../g", "http://a.example/g");
	assert_resolves(base, "g;x=1/../y", "http://a.example/b/c/y");
	assert_resolves(base, "%2e%2E/x", "http://a.example/b/x");
	assert_resolves("https://a.example/", "//b.example/x", "https://b.example/x");
}

static void test_url_canonical(void **state)
{
	(void)state;
	assert_resolves(NULL, "HTTP://WWW.Example.COM:80/a/./b/../c?Q=1#frag",
			"http://www.example.com/a/c?Q=1");
	assert_resolves(NULL, "https://example.com:443", "https://example.com/");
	assert_resolves(NULL, "https://example.com:8443/", "https://example.com:8443/");
	assert_resolves(NULL, "http://example.com", "http://example.com/");
	assert_resolves(NULL, "  \t http://exa\tmple.com/a\nb \x01", "http://example.com/ab");
	assert_resolves(NULL, "http:\\\\example.com\\a\\b?c\\d", "http://example.com/a/b?c%5Cd");
	assert_resolves(NULL, "http:////example.com/", "http://example.com/");
	assert_resolves(NULL, "http://example.com/a b/\xC3\xA9?x y=\xC3\xA9'",
			"http://example.com/a%20b/%C3%A9?x%20y=%C3%A9%27");
	assert_resolves(NULL, "http://example.com/%7efoo", "http://example.com/~foo");
	assert_resolves(NULL, "http://0x7F.1/", "http://127.0.0.1/");
	assert_resolves(NULL, "http://[0:0::1]:80/", "http://[::1]/");
	assert_resolves(NULL, "http://user:@example.com/", "http://user@example.com/");
	assert_resolves("http://example.com/a/b", "http:c", "http://example.com/a/c");
	assert_resolves("https://example.com/a/b", "http:c", "http://c/");
}

static void test_url_rejects(void **state)
{
	(void)state;
	assert_url_fails(NULL, "javascript:alert(1)", ERR_URL);
	assert_url_fails("http://example.com/", "mailto:a@example.com", ERR_URL);
	assert_url_fails("http://example.com/", "data:text/html,x", ERR_URL);
	assert_url_fails(NULL, "ftp://example.com/", ERR_URL);
	assert_url_fails(NULL, "/relative", ERR_URL);
	assert_url_fails(NULL, "http://", ERR_URL);
	assert_url_fails(NULL, "http://exa mple.com/", ERR_URL);
	assert_url_fails(NULL, "http://example.com:99999/", ERR_URL);
	assert_url_fails(NULL, "http://1.2.3.256/", ERR_URL);
	assert_url_fails(NULL, "http://[::1/", ERR_URL);
	assert_url_fails("mailto:x@example.com", "a", ERR_URL);
	char *big = malloc(URL_MAX_LEN + 100);
	assert_non_null(big);
	memset(big, 'a', URL_MAX_LEN + 99);
	memcpy(big, "http://example.com/", 19);
	big[URL_MAX_LEN + 99] = '\0';
	assert_url_fails(NULL, big, ERR_TOO_BIG);
	/* Percent-encoding may grow a URL past the cap. */
	memset(big + 19, ' ', URL_MAX_LEN / 2);
	big[19 + URL_MAX_LEN / 2] = 'x';
	big[20 + URL_MAX_LEN / 2] = '\0';
	assert_url_fails(NULL, big, ERR_TOO_BIG);
	free(big);
}

static void test_url_host_origin(void **state)
{
	(void)state;
	char *s = NULL;
	assert_int_equal(url_host("https://User@WWW.Example.com:8080/x", &s), 0);
	assert_string_equal(s, "www.example.com");
	free(s);
	assert_int_equal(url_host("http://[2001:DB8::1]/", &s), 0);
	assert_string_equal(s, "2001:db8::1");
	free(s);
	assert_int_equal(url_origin("https://User@WWW.Example.com:8080/x?y", &s), 0);
	assert_string_equal(s, "https://www.example.com:8080");
	free(s);
	assert_int_equal(url_origin("http://example.com:80/x", &s), 0);
	assert_string_equal(s, "http://example.com");
	free(s);
	assert_int_equal(url_origin("http://[::1]:81/", &s), 0);
	assert_string_equal(s, "http://[::1]:81");
	free(s);
	s = NULL;
	assert_int_equal(url_host("relative/x", &s), ERR_URL);
	assert_int_equal(url_origin("ftp://example.com/", &s), ERR_URL);
	assert_null(s);
}

static bool is_http_scheme(const char *s)
{
	while (*s && (unsigned char)*s <= 0x20)
		s++;
	return strncasecmp(s, "http:", 5) == 0 || strncasecmp(s, "https:", 6) == 0;
}

static bool has_scheme(const char *s)
{
	while (*s && (unsigned char)*s <= 0x20)
		s++;
	size_t n = strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+-.");
	return n > 0 && s[n] == ':' && ((s[0] | 0x20) >= 'a' && (s[0] | 0x20) <= 'z');
}

/* Whether a WPT case is in what url.c claims: http(s) results, and failures of http(s) input
 * or of references against an http(s) base. */
static bool url_case_in_scope(const struct json *t, const char *input, const char *base)
{
	if (json_true(t, "failure"))
		return is_http_scheme(input) ||
		       (!has_scheme(input) && base && is_http_scheme(base));
	const char *protocol = json_str(t, "protocol");
	return protocol && (strcmp(protocol, "http:") == 0 || strcmp(protocol, "https:") == 0);
}

/* WPT's href as patrol's canonical form writes it (url.h), done independently of url.c: the
 * fragment dropped, and in the path and query, escapes of unreserved characters decoded, other
 * escapes uppercased, and the bytes RFC 3986 allows in neither percent-encoded. */
static char *href_canonical(const char *href)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = strcspn(href, "#");
	const char *auth = strstr(href, "://");
	size_t path = auth ? (size_t)(auth + 3 - href) + strcspn(auth + 3, "/") : n;
	char *out = malloc(3 * n + 1);
	assert_non_null(out);
	memcpy(out, href, path < n ? path : n);
	size_t o = path < n ? path : n;
	for (size_t i = path; i < n; i++) {
		unsigned char c = (unsigned char)href[i];
		unsigned v;
		if (c == '%' && i + 2 < n && isxdigit((unsigned char)href[i + 1]) &&
		    isxdigit((unsigned char)href[i + 2]) && sscanf(href + i + 1, "%2x", &v) == 1) {
			i += 2;
			if (isalnum(v) || (v && strchr("-._~", (int)v))) {
				out[o++] = (char)v;
				continue;
			}
			c = (unsigned char)v;
		} else if (c > 0x20 && c < 0x7F && c != '%' && !strchr("\"<>[\\]^`{|}", c)) {
			out[o++] = (char)c;
			continue;
		}
		out[o++] = '%';
		out[o++] = hex[c >> 4];
		out[o++] = hex[c & 15];
	}
	out[o] = '\0';
	return out;
}

/* Whether url_resolve gives WPT's result: the href exactly (*exact), or as the canonical form
 * writes it (the return value). */
static bool url_case_passes(const struct json *t, const char *input, const char *base, bool *exact)
{
	char *got = NULL;
	int rc = url_resolve(base, input, &got);
	*exact = false;
	if (json_true(t, "failure"))
		return *exact = rc != 0;
	bool ok = false;
	if (rc == 0) {
		const char *href = json_str(t, "href");
		size_t n = strcspn(href, "#"); /* the canonical form has no fragment */
		*exact = strlen(got) == n && strncmp(got, href, n) == 0;
		char *want = href_canonical(href);
		ok = strcmp(got, want) == 0;
		free(want);
	}
	free(got);
	return ok;
}

static void test_url_conformance(void **state)
{
	(void)state;
	struct json root;
	if (!json_load("url/urltestdata.json", &root)) {
		/* Not skip(): cmocka reports it as "not ok # SKIP", which meson counts as failed. */
		printf("# url conformance: PATROL_CONFORMANCE not set or absent, skipped\n");
		return;
	}
	size_t total = 0, pass = 0, exact = 0;
	for (size_t i = 0; i < root.n; i++) {
		const struct json *t = &root.items[i];
		if (t->type != JSON_OBJECT)
			continue;
		const char *input = json_str(t, "input");
		const char *base = json_str(t, "base");
		const struct json *base_v = json_get(t, "base");
		if (base && strcmp(base, "about:blank") == 0)
			base = NULL;
		/* C strings cannot hold the inputs with NUL in them. */
		if (!input || (!base && base_v && base_v->type == JSON_STRING) ||
		    !url_case_in_scope(t, input, base))
			continue;
		total++;
		bool same = false;
		bool ok = url_case_passes(t, input, base, &same);
		pass += ok;
		exact += same;
		if (!ok && getenv("PATROL_TEST_VERBOSE"))
			printf("# url conformance miss: input <%s> base <%s>\n", input,
			       base ? base : "none");
	}
	printf("# url conformance (WPT urltestdata, http(s) subset, inputs without NUL): %zu/%zu "
	       "pass with WPT's href in patrol's percent-encoding (%zu WHATWG's href exactly); "
	       "known misses (tests/fixtures/url-known-failures.txt says why): an empty query kept "
	       "as '?' by WHATWG and dropped here, a host libidn2 disallows, one host of "
	       "punctuation libcurl refuses; PATROL_TEST_VERBOSE=1 lists them\n",
	       pass, total, exact);
	/* Measured on Debian 12 (libcurl 7.88.1, libidn2 2.3.3): 430 of 435, in any locale. */
	assert_true(total >= 400);
	assert_true(pass >= 428);
	json_free(&root);
}

/* ---- doc ---- */

static void test_doc_gbk_page(void **state)
{
	(void)state;
	const char page[] = "<html><head><meta charset=gbk><title> \xC2\xDB\xCC\xB3  \xCA\xD7"
			    "\xD2\xB3 </title></head><body><p>\xCB\xA2\xB5\xA5\xB7\xB5\xC0\xFB\xA3"
			    "\xAC\xC8\xD5\xBD\xE1\xD3\xB6\xBD\xF0\xA3\xA1</p></body></html>";
	struct doc *d = parse(page, "text/html", "http://bbs.example.com/thread-1.html");
	assert_string_equal(d->encoding, "GBK");
	assert_int_equal(d->encoding_source, CHARSET_SOURCE_META);
	assert_string_equal(d->title, "论坛 首页");
	assert_string_equal(d->body, "刷单返利，日结佣金！");
	assert_false(d->truncated);
	doc_free(d);
}

static void test_doc_text(void **state)
{
	(void)state;
	const char page[] =
		"<!doctype html><html><head><title>T</title><style>p{color:red}</style>"
		"<script>var s = '<p>not text</p>';</script><meta name=x content=y></head>"
		"<body>\n  <h1>Head   line</h1><p>one<br>two</p><div>a <b>bold</b>\tword</div>"
		"<ul><li>x</li><li>y</li></ul><table><tr><td>c1</td><td>c2</td></tr></table>"
		"<noscript>no</noscript><template><p>tpl</p></template><!-- comment -->"
		"<input type=hidden value=secret><input type=submit value=Send>"
		"<script>alert(1)</script><pre>l1\n  l2</pre><span>in</span><span>line</span>"
		"<svg><text>svgtext</text><script>x()</script></svg>"
		"<p>\n\n</p><p>last &amp; <i>entity</i>&nbsp;!</p></body></html>";
	struct doc *d = parse(page, NULL, "http://example.com/");
	assert_string_equal(d->title, "T");
	assert_string_equal(d->body, "Head line\none\ntwo\na bold word\nx\ny\nc1\nc2\nSend\nl1\n"
				     "l2\ninlinesvgtext\nlast & entity\xC2\xA0!");
	assert_string_equal(d->link_text, "");
	assert_int_equal(d->nlinks, 0);
	doc_free(d);
}

static void test_doc_links(void **state)
{
	(void)state;
	const char page[] =
		"<html><head><base href=\"/forum/\"><base href=\"/ignored/\"></head><body>"
		"<a href=\"thread-1.html\" rel=\"nofollow  ugc\">First\n  <b>thread</b></a>"
		"<a href=\"javascript:void(0)\">js</a><a href=\"mailto:x@example.com\">mail</a>"
		"<a href=\"thread-1.html#p2\">again</a><a href=\"//cdn.example.com/x\"></a>"
		"<a name=anchor>no href</a><a href=\"HTTP://Other.EXAMPLE:80/a/../b\">Other</a>"
		"<map><area href=\"/map\" alt=\"Map\"></map><a href=\"http://[bad\">bad</a>"
		"</body></html>";
	struct doc *d = parse(page, NULL, "http://bbs.example.com/index.php?x=1");
	assert_int_equal(d->nlinks, 4);
	assert_string_equal(d->links[0].url, "http://bbs.example.com/forum/thread-1.html");
	assert_string_equal(d->links[0].text, "First thread");
	assert_string_equal(d->links[0].rel, "nofollow ugc");
	assert_string_equal(d->links[1].url, "http://cdn.example.com/x");
	assert_string_equal(d->links[1].text, "");
	assert_string_equal(d->links[1].rel, "");
	assert_string_equal(d->links[2].url, "http://other.example/b");
	assert_string_equal(d->links[3].url, "http://bbs.example.com/map");
	assert_string_equal(d->links[3].text, "Map");
	assert_int_equal(d->links_dropped, 3); /* javascript:, mailto:, the bad host */
	assert_string_equal(d->link_text, "First thread\njs\nmail\nagain\nOther\nMap\nbad");
	assert_string_equal(d->body, "First threadjsmailagainno hrefOtherbad");
	doc_free(d);

	/* Without a page URL, only absolute links survive; a relative <base> does not help. */
	d = parse("<base href=x/><a href=a>a</a><a href=http://e.example/>e</a>", NULL, NULL);
	assert_int_equal(d->nlinks, 1);
	assert_string_equal(d->links[0].url, "http://e.example/");
	assert_int_equal(d->links_dropped, 1);
	doc_free(d);
	/* An absolute <base> alone is enough. */
	d = parse("<base href=http://b.example/dir/><a href=a>a</a>", NULL, NULL);
	assert_int_equal(d->nlinks, 1);
	assert_string_equal(d->links[0].url, "http://b.example/dir/a");
	doc_free(d);
}

static void test_doc_page_url(void **state)
{
	(void)state;
	struct doc *d = NULL;
	assert_int_equal(doc_parse("<p>x", 4, NULL, "ftp://example.com/", NULL, &d), ERR_URL);
	assert_int_equal(doc_parse("<p>x", 4, NULL, "not a url", NULL, &d), ERR_URL);
	assert_null(d);
	assert_int_equal(doc_parse(NULL, 0, NULL, "http://example.com/", NULL, &d), 0);
	assert_string_equal(d->body, "");
	assert_string_equal(d->title, "");
	doc_free(d);
	doc_free(NULL);
}

static void test_doc_limits(void **state)
{
	(void)state;
	struct doc_limits lim;
	doc_limits_default(&lim);
	assert_int_equal(lim.max_input, 16u << 20);
	assert_int_equal(lim.max_text, 4u << 20);
	assert_int_equal(lim.max_links, 5000);
	assert_int_equal(lim.max_depth, 256);

	struct buf page;
	buf_init(&page, 1 << 20);
	for (int i = 0; i < 100; i++)
		assert_int_equal(buf_addf(&page, "<p><a href=/t%d>link %d</a></p>", i % 50, i), 0);
	lim.max_links = 10;
	lim.max_text = 20;
	struct doc *d = NULL;
	assert_int_equal(doc_parse(page.data, page.len, NULL, "http://e.example/", &lim, &d), 0);
	assert_int_equal(d->nlinks, 10);
	/* 40 unique links beyond the cap, counted again when they recur; duplicates of kept links
	 * are not counted. */
	assert_int_equal(d->links_dropped, 80);
	assert_string_equal(d->body, "link 0\nlink 1\nlink 2");
	assert_true(d->truncated);
	doc_free(d);

	/* The input cap cuts the decoded text on a character boundary. */
	doc_limits_default(&lim);
	lim.max_input = 8;
	assert_int_equal(doc_parse("<p>\xE4\xB8\xAD\xE6\x96\x87", 9, NULL, NULL, &lim, &d), 0);
	assert_string_equal(d->body, "\xE4\xB8\xAD");
	assert_true(d->truncated);
	doc_free(d);

	/* Nesting deeper than max_depth is flattened, its text kept. */
	buf_reset(&page);
	for (int i = 0; i < 40; i++)
		assert_int_equal(buf_addf(&page, "<div>d%d", i), 0);
	doc_limits_default(&lim);
	lim.max_depth = 16;
	assert_int_equal(doc_parse(page.data, page.len, NULL, NULL, &lim, &d), 0);
	assert_true(d->truncated);
	assert_non_null(strstr(d->body, "d39"));
	assert_non_null(strstr(d->body, "d5\nd6"));
	doc_free(d);
	buf_done(&page);
}

/* A page of n copies of unit, each with its number in place of the '@' in unit, if any. */
static struct doc *parse_repeated(const char *unit, size_t n)
{
	struct buf page;
	buf_init(&page, 64 << 20);
	const char *at = strchr(unit, '@');
	int prefix = at ? (int)(at - unit) : (int)strlen(unit);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(buf_addf(&page, "%.*s%zu%s", prefix, unit, i, at ? at + 1 : ""),
				 0);
	struct doc *d = NULL;
	assert_int_equal(doc_parse(page.data, page.len, NULL, "http://e.example/", NULL, &d), 0);
	buf_done(&page);
	return d;
}

static void test_doc_deep_nesting(void **state)
{
	(void)state;
	/* 100k nested <div>s: without the nesting cap Gumbo takes 14 s on them. */
	struct doc *d = parse_repeated("<div>@", 100000);
	assert_true(d->truncated);
	assert_non_null(strstr(d->body, "99999"));
	doc_free(d);
	/* 1M nested <span>s: gumbo_destroy_output would overflow the stack; the arena does not. */
	d = parse_repeated("<span>", 1000000);
	assert_true(d->truncated);
	doc_free(d);
	/* Misnested formatting and anchors, each quadratic in Gumbo without the cap. */
	static const char *const units[] = {
		"<a href=x@><div>x</a>",
		"<div><b id=@><object></b></object></div>",
		"<font color=@>x",
		"<x-a><span></x-b>",
		"<b><i><u><s>@",
		"<table><tr><td>@",
	};
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		d = parse_repeated(units[i], 50000);
		assert_true(valid_utf8(d->body, strlen(d->body)));
		doc_free(d);
	}
}

static void test_doc_hostile(void **state)
{
	(void)state;
	/* NUL bytes, invalid UTF-8, unclosed everything, a huge attribute, a meta trick. */
	const char nul[] = "<p>a\0b</p><p x=\"\0\">c<scr\0ipt>d<!--";
	struct doc *d = NULL;
	assert_int_equal(doc_parse(nul, sizeof(nul) - 1, NULL, NULL, NULL, &d), 0);
	assert_true(valid_utf8(d->body, strlen(d->body)));
	assert_non_null(strstr(d->body, "a"));
	doc_free(d);

	d = parse("<meta charset=utf-8><title>\xFF\xFE<p>\xC3<a href='http://e.example/\xFF'>"
		  "\xE4\xB8</a><div><span><table><td><b>x", NULL, NULL);
	assert_string_equal(d->encoding, "UTF-8");
	assert_true(valid_utf8(d->title, strlen(d->title)));
	assert_true(valid_utf8(d->body, strlen(d->body)));
	doc_free(d);

	struct buf page;
	buf_init(&page, 8 << 20);
	assert_int_equal(buf_addstr(&page, "<a href=\"http://e.example/"), 0);
	for (int i = 0; i < 200000; i++)
		assert_int_equal(buf_addstr(&page, "aaaaaaaaaa"), 0);
	assert_int_equal(buf_addstr(&page, "\" title='"), 0);
	for (int i = 0; i < 200000; i++)
		assert_int_equal(buf_addstr(&page, "<div>"), 0);
	assert_int_equal(buf_addstr(&page, "'>text</a>"), 0);
	assert_int_equal(doc_parse(page.data, page.len, NULL, NULL, NULL, &d), 0);
	assert_string_equal(d->body, "text");
	assert_int_equal(d->nlinks, 0);
	assert_int_equal(d->links_dropped, 1); /* the URL is longer than URL_MAX_LEN */
	doc_free(d);
	buf_done(&page);
}

static void test_doc_description(void **state)
{
	(void)state;
	struct doc *d = parse("<head><template><meta name=description content=tpl></template>"
			      "<meta name=' Description ' content='  Cheap\n  watches, <b>50%</b> off '>"
			      "<meta name=description content=second></head><p>x",
			      NULL, NULL);
	assert_string_equal(d->description, "Cheap watches, <b>50%</b> off");
	assert_null(d->posts);
	assert_int_equal(d->nposts, 0);
	assert_string_equal(d->posts_profile, "");
	doc_free(d);
	d = parse("<p>no description<meta name=description>", NULL, NULL);
	assert_string_equal(d->description, "");
	doc_free(d);
}

/* ---- Forum posts ---- */

/* A file under tests/fixtures/ (PATROL_SOURCE_ROOT, else the working directory). */
static char *read_fixture(const char *rel, size_t *ret_len)
{
	const char *root = getenv("PATROL_SOURCE_ROOT");
	char path[4096];
	snprintf(path, sizeof(path), "%s/tests/fixtures/%s", root ? root : ".", rel);
	FILE *f = fopen(path, "rb");
	if (!f)
		fail_msg("cannot read %s", path);
	struct buf b;
	buf_init(&b, 1 << 20);
	char chunk[65536];
	size_t n;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		assert_int_equal(buf_add(&b, chunk, n), 0);
	fclose(f);
	*ret_len = b.len;
	return buf_take(&b);
}

static struct doc_profiles *builtin_profiles(void)
{
	struct doc_profiles *ps = NULL;
	assert_int_equal(doc_profiles_new(&ps), 0);
	assert_int_equal(doc_profiles_add_builtin(ps), 0);
	return ps;
}

static struct doc *parse_posts(const char *html, size_t len, const struct doc_profiles *ps,
			       const struct doc_limits *lim)
{
	struct doc_options opts = {.lim = lim, .profiles = ps};
	struct doc *d = NULL;
	assert_int_equal(doc_parse_with(html, len, NULL, "https://forum.example/t/1", &opts, &d), 0);
	return d;
}

struct want_post {
	const char *author, *time, *text;
};

/* The profiles add posts and change nothing else of the doc. */
static void assert_same_doc(const struct doc *a, const struct doc *b)
{
	assert_string_equal(a->title, b->title);
	assert_string_equal(a->description, b->description);
	assert_string_equal(a->body, b->body);
	assert_string_equal(a->link_text, b->link_text);
	assert_string_equal(a->canonical, b->canonical);
	assert_int_equal(a->nlinks, b->nlinks);
	assert_int_equal(a->links_dropped, b->links_dropped);
	for (size_t i = 0; i < a->nlinks; i++) {
		assert_string_equal(a->links[i].url, b->links[i].url);
		assert_string_equal(a->links[i].text, b->links[i].text);
	}
	assert_int_equal(a->truncated, b->truncated);
}

static void assert_fixture_posts(const char *file, const char *encoding, const char *profile,
				 const struct want_post *want, size_t n)
{
	size_t len;
	char *html = read_fixture(file, &len);
	struct doc_profiles *ps = builtin_profiles();
	struct doc *d = parse_posts(html, len, ps, NULL), *plain = NULL;
	assert_int_equal(doc_parse(html, len, NULL, "https://forum.example/t/1", NULL, &plain), 0);
	assert_same_doc(d, plain);
	assert_int_equal(plain->nposts, 0);
	assert_string_equal(d->encoding, encoding);
	assert_string_equal(d->posts_profile, profile);
	if (d->nposts != n)
		fail_msg("%s: %zu posts, want %zu", file, d->nposts, n);
	for (size_t i = 0; i < n; i++) {
		assert_string_equal(d->posts[i].author, want[i].author);
		assert_string_equal(d->posts[i].time, want[i].time);
		assert_string_equal(d->posts[i].text, want[i].text);
	}
	assert_int_equal(d->posts_dropped, 0);
	assert_false(d->truncated);
	doc_free(plain);
	doc_free(d);
	doc_profiles_free(ps);
	free(html);
}

static void test_doc_posts_discuz(void **state)
{
	(void)state;
	/* GBK; the anti-scraping noise (font.jammer, hidden spans) and the edit notice are
	 * skipped; a relative time gives the title's full time; post_1003 is a banned user's,
	 * with no message cell, and post_rate_div and post_new are no posts. */
	static const struct want_post want[] = {
		{"小鱼儿", "发表于 2024-3-8 21:05:44",
		 "有人在群里说刷单返利，日结佣金，加微信就行。\n这靠谱吗？"},
		{"反诈志愿者", "2024-3-9 08:12:03",
		 "小鱼儿 发表于 2024-3-8 21:05\n有人在群里说刷单返利，日结佣金\n"
		 "警惕！这是刷单诈骗，先让你垫付，然后就联系不上了。"},
		{"路人甲", "发表于 2024-3-9 10:47:30", "我也收到过，说是点赞员，一单返佣金3元。"},
	};
	assert_fixture_posts("posts/discuz-x3.html", "GBK", "discuz", want, 3);
}

static void test_doc_posts_phpbb(void **state)
{
	(void)state;
	static const struct want_post want[] = {
		{"quietcat", "2024-05-02T18:41:09+00:00",
		 "Someone on a chat app promised me 3% a day, guaranteed. They want a deposit "
		 "first.\nHas anyone heard of this?"},
		{"ModeratorMia", "2024-05-02T19:03:27+00:00",
		 "quietcat wrote: \xE2\x86\x91Thu May 02, 2024 6:41 pm3% a day, guaranteed.\n"
		 "Nothing is guaranteed. A deposit up front is how this scam works: pay, and they "
		 "vanish."},
	};
	assert_fixture_posts("posts/phpbb-3.3.html", "UTF-8", "phpbb", want, 2);
}

static void test_doc_posts_vbulletin(void **state)
{
	(void)state;
	/* windows-1252 (ISO-8859-1 in the page); a guest's name; a signature left out. */
	static const struct want_post want[] = {
		{"HelpfulHank", "06-14-2023,\xC2\xA0" "09:02 AM",
		 "Got a message offering \xC2\xA3" "500 a day for liking videos \xE2\x80\x93 you "
		 "pay a small \"activation fee\" first.\nAnyone tried it?"},
		{"Visitor_22", "06-14-2023,\xC2\xA0" "11:47 AM",
		 "Originally Posted by HelpfulHank\nyou pay a small \"activation fee\" first\n"
		 "Never pay to get paid. That is the whole trick."},
	};
	assert_fixture_posts("posts/vbulletin-4.html", "windows-1252", "vbulletin", want, 2);
}

static void test_doc_posts_discourse(void **state)
{
	(void)state;
	static const struct want_post want[] = {
		{"lena_k", "2024-02-11T09:30:12Z",
		 "After I lost money to a fake exchange, someone DMed me offering to recover it for "
		 "a 20% fee paid upfront in USDT.\nIs this legit?"},
		{"mod_ravi", "2024-02-11T10:02:45Z",
		 "lena_k:\nrecover it for a 20% fee paid upfront\nNo. \xE2\x80\x9CRecovery\xE2\x80"
		 "\x9D services that ask for a fee upfront are a second scam aimed at people who "
		 "were already scammed."},
	};
	assert_fixture_posts("posts/discourse-crawler.html", "UTF-8", "discourse", want, 2);
}

static void test_doc_posts_wordpress(void **state)
{
	(void)state;
	/* A threaded reply is a post of its own, not part of its parent; a pingback is none. */
	static const struct want_post want[] = {
		{"Dana", "2024-04-03T14:22:05+00:00",
		 "I ordered from one of these. They took the money and shipped nothing.\nThe "
		 "\xE2\x80\x9C" "customer service\xE2\x80\x9D chat never answered."},
		{"Editor", "2024-04-03T15:01:40+00:00",
		 "Sorry to hear it. Call your bank at once: a transfer can sometimes be recalled."},
		{"seo king", "2024-04-05T02:13:59+00:00",
		 "Great post! Earn $300 a day from home, no experience, message me on Telegram."},
	};
	assert_fixture_posts("posts/wordpress-comments.html", "UTF-8", "wordpress", want, 3);
}

/* Pages that are no thread give no posts: the site and demo fixtures. */
static void test_doc_posts_none(void **state)
{
	(void)state;
	struct doc_profiles *ps = builtin_profiles();
	size_t len;
	char *html = read_fixture("site/index.html", &len);
	struct doc *d = parse_posts(html, len, ps, NULL);
	assert_int_equal(d->nposts, 0);
	assert_null(d->posts);
	assert_string_equal(d->posts_profile, "");
	doc_free(d);
	free(html);
	/* Blog articles with class "post" are no phpBB posts: an <article>, and a <div> with no
	 * div.postbody div.content. */
	const char blog[] = "<article id=post-4 class='post-4 post'><div class=content>x</div>"
			    "</article><div id=post-5 class='post'><p>y</p></div>";
	d = parse_posts(blog, strlen(blog), ps, NULL);
	assert_int_equal(d->nposts, 0);
	doc_free(d);
	doc_profiles_free(ps);
}

static struct doc_profiles *venue_profiles(const struct doc_profile_spec *spec)
{
	struct doc_profiles *ps = NULL;
	struct doc_profile_error err;
	assert_int_equal(doc_profiles_new(&ps), 0);
	if (doc_profiles_add(ps, spec, &err) != 0)
		fail_msg("%s: column %zu: %s", err.field, err.sel.column, err.sel.message);
	return ps;
}

static void test_doc_posts_venue(void **state)
{
	(void)state;
	/* No content selector: the whole post is its text, less what skip names. The author's
	 * first alternative wins even when a later one matched first; time takes datetime, then
	 * title, then text. A nested post is its own. */
	static const struct doc_profile_spec spec = {
		.name = "venue",
		.post = "div.msg",
		.author = ".nick, .who",
		.time = "time, .when",
		.skip = ".ad, .sig",
	};
	const char page[] =
		"<div class=thread><div class=msg id=m1><span class=who>ann</span> "
		"<span class=when title='2024-01-02 10:00'>yesterday</span>"
		"<p>hello <i class=ad>BUY NOW</i> world</p><span class=nick>Ann B.</span></div>"
		"<div class=msg id=m2><span class=who>bob</span> <time datetime='2024-01-03'>today"
		"</time><p>second</p><div class=msg id=m3><b class=who>cy</b><p>nested reply</p>"
		"<p class=sig>cy's sig</p></div><p>after   nested</p></div>"
		"<div class=msg><span class=when>  just\n now </span></div></div>";
	struct doc_profiles *ps = venue_profiles(&spec);
	struct doc *d = parse_posts(page, strlen(page), ps, NULL);
	assert_string_equal(d->posts_profile, "venue");
	assert_int_equal(d->nposts, 4);
	assert_string_equal(d->posts[0].author, "Ann B.");
	assert_string_equal(d->posts[0].time, "2024-01-02 10:00");
	assert_string_equal(d->posts[0].text, "ann yesterday\nhello world\nAnn B.");
	assert_string_equal(d->posts[1].author, "bob");
	assert_string_equal(d->posts[1].time, "2024-01-03");
	assert_string_equal(d->posts[1].text, "bob today\nsecond\nafter nested");
	assert_string_equal(d->posts[2].author, "cy");
	assert_string_equal(d->posts[2].time, "");
	assert_string_equal(d->posts[2].text, "cy\nnested reply");
	assert_string_equal(d->posts[3].author, "");
	assert_string_equal(d->posts[3].time, "just now");
	assert_string_equal(d->posts[3].text, "just now");
	doc_free(d);
	doc_profiles_free(ps);
}

static void test_doc_posts_caps(void **state)
{
	(void)state;
	static const struct doc_profile_spec spec = {.name = "v", .post = "div.p", .content = "q"};
	struct doc_profiles *ps = venue_profiles(&spec);
	struct doc_limits lim;
	doc_limits_default(&lim);
	assert_int_equal(lim.max_posts, 1000);
	/* A post whose content never shows is no post, and does not count. */
	struct buf page;
	buf_init(&page, 1 << 20);
	assert_int_equal(buf_addstr(&page, "<div class=p>no content</div>"), 0);
	for (int i = 0; i < 5; i++)
		assert_int_equal(buf_addf(&page, "<div class=p><q>post %d</q></div>", i), 0);
	lim.max_posts = 3;
	struct doc *d = parse_posts(page.data, page.len, ps, &lim);
	assert_int_equal(d->nposts, 3);
	assert_int_equal(d->posts_dropped, 2);
	assert_string_equal(d->posts[2].text, "post 2");
	doc_free(d);

	/* The posts' texts together stay within max_text, cut on a character boundary. */
	doc_limits_default(&lim);
	lim.max_text = 15;
	buf_reset(&page);
	for (int i = 0; i < 4; i++)
		assert_int_equal(buf_addstr(&page, "<div class=p><q>\xE4\xB8\xAD\xE6\x96\x87"
						   "abcd</q></div>"),
				 0);
	d = parse_posts(page.data, page.len, ps, &lim);
	size_t total = 0;
	for (size_t i = 0; i < d->nposts; i++) {
		total += strlen(d->posts[i].text);
		assert_true(valid_utf8(d->posts[i].text, strlen(d->posts[i].text)));
	}
	assert_true(total <= 15);
	assert_string_equal(d->posts[1].text, "\xE4\xB8\xAD"); /* 10 + 3 of 15, then full */
	assert_string_equal(d->posts[3].text, "");
	assert_true(d->truncated);
	doc_free(d);

	/* Posts nested deeper than 16 join their parent. */
	buf_reset(&page);
	for (int i = 0; i < 20; i++)
		assert_int_equal(buf_addf(&page, "<div class=p><q>%d</q>", i), 0);
	d = parse_posts(page.data, page.len, ps, NULL);
	assert_int_equal(d->nposts, 16);
	assert_string_equal(d->posts[15].text, "15\n16\n17\n18\n19");
	doc_free(d);
	buf_done(&page);
	doc_profiles_free(ps);
}

static void test_doc_posts_hostile(void **state)
{
	(void)state;
	struct doc_profiles *ps = builtin_profiles();
	static const char *const units[] = {
		/* unclosed, nested threaded comments */
		"<li class=comment><div class=comment-content>c@",
		/* many flat posts */
		"<div class='topic-body crawler-post'><div class=cooked>t@</div></div>",
		/* posts inside posts inside content */
		"<div id=postlist><div id=post_@><table><tr><td class=t_f>x",
		/* a huge class list on every element */
		"<div class='a b c d e f g h i j k l m n o p q r s t u v w x y z post' id=p@>",
	};
	for (size_t u = 0; u < sizeof(units) / sizeof(units[0]); u++) {
		struct buf page;
		buf_init(&page, 64 << 20);
		const char *at = strchr(units[u], '@');
		for (int i = 0; i < 100000; i++)
			assert_int_equal(buf_addf(&page, "%.*s%d%s", (int)(at - units[u]), units[u],
						  i, at + 1),
					 0);
		struct doc *d = parse_posts(page.data, page.len, ps, NULL);
		assert_true(d->nposts <= 1000);
		for (size_t i = 0; i < d->nposts; i++)
			assert_true(valid_utf8(d->posts[i].text, strlen(d->posts[i].text)));
		doc_free(d);
		buf_done(&page);
	}
	doc_profiles_free(ps);
}

static void test_doc_profiles(void **state)
{
	(void)state;
	assert_string_equal(doc_profile_builtin(0)->name, "discuz");
	assert_string_equal(doc_profile_builtin(4)->name, "wordpress");
	assert_null(doc_profile_builtin(5));
	struct doc_profiles *ps = NULL;
	assert_int_equal(doc_profiles_new(&ps), 0);
	struct doc_profile_error err;
	struct doc_profile_spec spec = {.name = "v", .post = "div", .author = "a:first-child"};
	assert_int_equal(doc_profiles_add(ps, &spec, &err), ERR_PARSE);
	assert_string_equal(err.field, "author");
	assert_int_equal(err.sel.column, 2);
	assert_non_null(strstr(err.sel.message, "pseudo-classes"));
	spec = (struct doc_profile_spec){.name = "v", .post = "div >"};
	assert_int_equal(doc_profiles_add(ps, &spec, &err), ERR_PARSE);
	assert_string_equal(err.field, "post");
	spec = (struct doc_profile_spec){.name = "v"};
	assert_int_equal(doc_profiles_add(ps, &spec, &err), ERR_PARSE);
	assert_string_equal(err.field, "post");
	spec = (struct doc_profile_spec){.post = "div"};
	assert_int_equal(doc_profiles_add(ps, &spec, &err), ERR_PARSE);
	assert_string_equal(err.field, "name");
	spec.name = "a-name-of-thirty-two-bytes-long!";
	assert_int_equal(doc_profiles_add(ps, &spec, NULL), ERR_PARSE);
	spec.name = "ok";
	for (int i = 0; i < DOC_PROFILES_MAX; i++)
		assert_int_equal(doc_profiles_add(ps, &spec, NULL), 0);
	assert_int_equal(doc_profiles_add(ps, &spec, NULL), ERR_TOO_BIG);
	assert_int_equal(doc_profiles_add_builtin(ps), ERR_TOO_BIG);
	doc_profiles_free(ps);
	doc_profiles_free(NULL);
	/* Options may be NULL: doc_parse's defaults, no posts. */
	struct doc *d = NULL;
	assert_int_equal(doc_parse_with("<p>x", 4, NULL, NULL, NULL, &d), 0);
	assert_string_equal(d->body, "x");
	assert_int_equal(d->nposts, 0);
	doc_free(d);
}

/* ---- yaml.h: the strict YAML reader ---- */

static struct yaml_doc *yaml_parse_ok(const char *text, const struct yaml_limits *lim)
{
	struct yaml_doc *d = NULL;
	assert_int_equal(yaml_doc_parse("t.yaml", text, strlen(text), lim, &d), 0);
	assert_non_null(d);
	return d;
}

/* The doc's error report, as a string the caller frees. */
static char *yaml_report(struct yaml_doc *d)
{
	struct buf out;
	buf_init(&out, 1 << 20);
	assert_int_equal(yaml_doc_report(d, &out), 0);
	char *s = buf_take(&out);
	assert_non_null(s);
	buf_done(&out);
	return s;
}

static void assert_yaml_errors(const char *text, const struct yaml_limits *lim, const char *want)
{
	struct yaml_doc *d = yaml_parse_ok(text, lim);
	char *got = yaml_report(d);
	assert_string_equal(got, want);
	assert_int_equal(yaml_doc_status(d), want[0] ? ERR_PARSE : 0);
	free(got);
	yaml_doc_free(d);
}

static void test_yaml_tree(void **state)
{
	(void)state;
	struct yaml_doc *d = yaml_parse_ok("a: plain\n"
					   "b: [1, 'two', \"th\\u00e9\"]\n"
					   "c:\n"
					   "  - x: |\n"
					   "      lit\n"
					   "é: >\n"
					   "  fold\n",
					   NULL);
	assert_int_equal(yaml_doc_status(d), 0);
	assert_string_equal(yaml_doc_name(d), "t.yaml");
	const struct yaml_node *root = yaml_doc_root(d);
	assert_non_null(root);
	assert_int_equal(root->kind, YAML_MAP);
	assert_int_equal(root->n, 8); /* four pairs */
	assert_int_equal(root->line, 1);
	assert_int_equal(root->col, 1);

	const struct yaml_node *k = root->first, *v = k->next;
	assert_true(yaml_scalar_is(k, "a"));
	assert_false(yaml_scalar_is(k, "ab"));
	assert_int_equal(v->kind, YAML_SCALAR);
	assert_int_equal(v->style, YAML_STYLE_PLAIN);
	assert_string_equal(v->str, "plain");
	assert_int_equal(v->len, 5);
	assert_int_equal(v->line, 1);
	assert_int_equal(v->col, 4);
	assert_int_equal(v->end_col, 9);

	k = v->next, v = k->next; /* b: a flow list */
	assert_int_equal(v->kind, YAML_SEQ);
	assert_int_equal(v->n, 3);
	assert_int_equal(v->line, 2);
	assert_int_equal(v->col, 4);
	assert_int_equal(v->end_line, 2);
	assert_int_equal(v->end_col, 26);
	const struct yaml_node *i = v->first;
	assert_string_equal(i->str, "1");
	assert_int_equal(i->col, 5);
	assert_string_equal(i->next->str, "two");
	assert_int_equal(i->next->style, YAML_STYLE_SINGLE_QUOTED);
	assert_string_equal(i->next->next->str, "th\xc3\xa9");
	assert_int_equal(i->next->next->style, YAML_STYLE_DOUBLE_QUOTED);
	assert_null(i->next->next->next);

	k = v->next, v = k->next; /* c: a block list of one mapping */
	assert_int_equal(v->kind, YAML_SEQ);
	assert_int_equal(v->n, 1);
	assert_int_equal(v->first->kind, YAML_MAP);
	assert_int_equal(v->first->line, 4);
	assert_int_equal(v->first->col, 5);
	assert_int_equal(v->first->first->next->style, YAML_STYLE_LITERAL);
	assert_string_equal(v->first->first->next->str, "lit\n");

	k = v->next, v = k->next; /* columns count characters, not bytes */
	assert_string_equal(k->str, "\xc3\xa9");
	assert_int_equal(v->line, 6);
	assert_int_equal(v->col, 4);
	assert_int_equal(v->style, YAML_STYLE_FOLDED);
	assert_string_equal(v->str, "fold\n");
	assert_null(v->next);
	yaml_doc_free(d);
	yaml_doc_free(NULL);
}

static void test_yaml_refusals(void **state)
{
	(void)state;
	assert_yaml_errors("a: &x 1\n"
			   "b: *x\n"
			   "c: !!str 2\n"
			   "d: !local {}\n"
			   "e: \"nul\\0\"\n",
			   NULL,
			   "t.yaml:1:4: anchors are not allowed\n"
			   "t.yaml:2:4: aliases are not allowed\n"
			   "t.yaml:3:4: tags are not allowed\n"
			   "t.yaml:4:4: tags are not allowed\n"
			   "t.yaml:5:4: NUL character in a string\n");
	assert_yaml_errors("a: 1\n---\nb: 2\n", NULL,
			   "t.yaml:2:1: only one YAML document is allowed\n");
	assert_yaml_errors("a: [1, 2\n", NULL,
			   "t.yaml:2:1: invalid YAML: did not find expected ',' or ']' "
			   "(while parsing a flow sequence)\n");
	assert_yaml_errors("a: b\n  \xc3\xa9: \xff\n", NULL,
			   "t.yaml:2:6: invalid YAML: invalid leading UTF-8 octet\n");

	/* Bad nodes are reported once: the helpers skip them silently. */
	struct yaml_doc *d = yaml_parse_ok("a: &x 1\nb: *x\n", NULL);
	const struct yaml_node *root = yaml_doc_root(d);
	assert_non_null(root);
	const struct yaml_node *alias = root->first->next->next->next;
	assert_true(alias->bad);
	assert_null(yaml_get_string(d, alias, "b", false));
	assert_false(yaml_check_map(d, alias, "b"));
	bool b;
	uint64_t u;
	assert_false(yaml_get_bool(d, alias, "b", &b));
	assert_false(yaml_get_uint(d, alias, "b", 0, 1, &u));
	assert_int_equal(yaml_doc_error_count(d), 2);
	yaml_doc_free(d);

	/* An empty file has no root and no error: the caller says what it expected. */
	d = yaml_parse_ok("# nothing\n", NULL);
	assert_null(yaml_doc_root(d));
	assert_int_equal(yaml_doc_status(d), 0);
	yaml_doc_free(d);
	assert_int_equal(yaml_doc_parse("t.yaml", NULL, 0, NULL, &d), 0);
	assert_null(yaml_doc_root(d));
	yaml_doc_free(d);
	assert_int_equal(yaml_doc_parse("t.yaml", NULL, 1, NULL, &d), ERR_USAGE);
	assert_int_equal(yaml_doc_parse(NULL, "", 0, NULL, &d), ERR_USAGE);
}

static void test_yaml_caps(void **state)
{
	(void)state;
	struct yaml_limits lim;
	yaml_limits_default(&lim);
	assert_int_equal(lim.max_bytes, 4 << 20);
	assert_int_equal(lim.max_depth, 16);

	lim.max_bytes = 8;
	assert_yaml_errors("a: 12345\n", &lim, "t.yaml: larger than 8 bytes\n");
	assert_yaml_errors("a: 1234\n", &lim, "");

	yaml_limits_default(&lim);
	lim.max_depth = 3;
	assert_yaml_errors("a: [[1]]\n", &lim, "");
	assert_yaml_errors("a: [[[1]]]\n", &lim, "t.yaml:1:6: nested deeper than 3 levels\n");
	/* A depth past the builder's own limit is clamped to it. */
	lim.max_depth = 1000;
	struct buf deep;
	buf_init(&deep, 1 << 10);
	for (int i = 0; i < YAML_MAX_DEPTH_LIMIT + 1; i++)
		assert_int_equal(buf_addc(&deep, '['), 0);
	struct yaml_doc *d = yaml_parse_ok(buf_str(&deep), &lim);
	assert_null(yaml_doc_root(d));
	char *got = yaml_report(d);
	assert_string_equal(got, "t.yaml:1:65: nested deeper than 64 levels\n");
	free(got);
	yaml_doc_free(d);
	buf_done(&deep);

	yaml_limits_default(&lim);
	lim.max_nodes = 4;
	assert_yaml_errors("[1, 2, 3]\n", &lim, "");
	assert_yaml_errors("[1, 2, 3, 4]\n", &lim, "t.yaml:1:11: more than 4 YAML nodes\n");

	/* Errors come sorted by position, then capped. */
	yaml_limits_default(&lim);
	lim.max_errors = 2;
	d = yaml_parse_ok("{c: 1, b: 2, a: 3}\n", &lim);
	const struct yaml_node *root = yaml_doc_root(d);
	for (const struct yaml_node *k = root->first; k; k = k->next->next)
		yaml_error_at(d, k->line, k->col, "key %s", k->str);
	yaml_error_at(d, 1, 1, "first");
	yaml_error_at(d, 0, 0, "whole file");
	got = yaml_report(d);
	assert_string_equal(got, "t.yaml: whole file\n"
				 "t.yaml:1:1: first\n"
				 "t.yaml: 3 more errors not shown\n");
	free(got);
	assert_int_equal(yaml_doc_report(d, NULL), 0);
	yaml_doc_free(d);
}

static void test_yaml_helpers(void **state)
{
	(void)state;
	static const struct yaml_key keys[] = {
		{ "name", true }, { "list", false }, { "flag", false },
		{ "count", false }, { "sub", false }, { "need", true },
	};
	struct yaml_doc *d = yaml_parse_ok("name: ''\n"
					   "list: [a, [b], c]\n"
					   "flag: yes\n"
					   "count: '12'\n"
					   "sub: [x]\n"
					   "name: again\n"
					   "other: 1\n"
					   "[k]: 2\n",
					   NULL);
	const struct yaml_node *root = yaml_doc_root(d), *vals[6], *keynodes[6];
	yaml_map_fields(d, root, keys, 6, vals, keynodes);
	assert_non_null(vals[0]);
	assert_int_equal(keynodes[0]->line, 1);
	assert_null(vals[5]);
	assert_null(yaml_get_string(d, vals[0], "name", true));
	assert_string_equal(yaml_get_string(d, vals[0], "name", false), "");
	assert_false(yaml_check_string_list(d, vals[1], "list", 10));
	assert_true(yaml_check_list(d, vals[1], "list", 3));
	assert_false(yaml_check_list(d, vals[1], "list", 2));
	bool b = true;
	assert_false(yaml_get_bool(d, vals[2], "flag", &b));
	assert_true(b);
	uint64_t u = 7;
	assert_false(yaml_get_uint(d, vals[3], "count", 0, 100, &u));
	assert_int_equal(u, 7);
	assert_false(yaml_check_map(d, vals[4], "sub"));
	assert_null(yaml_get_string(d, vals[4], "sub", false));
	assert_false(yaml_check_list(d, vals[0], "name", 1));
	char *got = yaml_report(d);
	assert_string_equal(got, "t.yaml:1:1: missing required key 'need'\n"
				 "t.yaml:1:7: 'name' must not be empty\n"
				 "t.yaml:1:7: 'name' must be a list\n"
				 "t.yaml:2:7: 'list' has more than 2 items\n"
				 "t.yaml:2:11: 'list' must be a list of strings\n"
				 "t.yaml:3:7: 'flag' must be true or false\n"
				 "t.yaml:4:8: 'count' must be a whole number\n"
				 "t.yaml:5:6: 'sub' must be a mapping\n"
				 "t.yaml:5:6: 'sub' must be a string\n"
				 "t.yaml:6:1: duplicate key 'name'\n"
				 "t.yaml:7:1: unknown key 'other'\n"
				 "t.yaml:8:1: mapping keys must be strings\n");
	free(got);
	yaml_doc_free(d);

	d = yaml_parse_ok("[true, false, 'true', True, 0, 42, 18446744073709551616, -1, 0x10]\n",
			  NULL);
	const struct yaml_node *n = yaml_doc_root(d)->first;
	assert_true(yaml_get_bool(d, n, "b", &b) && b);
	n = n->next;
	assert_true(yaml_get_bool(d, n, "b", &b) && !b);
	n = n->next;
	assert_false(yaml_get_bool(d, n, "b", &b));
	n = n->next;
	assert_false(yaml_get_bool(d, n, "b", &b));
	n = n->next;
	assert_true(yaml_get_uint(d, n, "u", 0, 10, &u) && u == 0);
	n = n->next;
	assert_false(yaml_get_uint(d, n, "u", 0, 10, &u));
	assert_true(yaml_get_uint(d, n, "u", 42, 42, &u) && u == 42);
	n = n->next;
	assert_false(yaml_get_uint(d, n, "u", 0, UINT64_MAX, &u));
	n = n->next;
	assert_false(yaml_get_uint(d, n, "u", 0, 10, &u));
	n = n->next;
	assert_false(yaml_get_uint(d, n, "u", 0, 100, &u));
	got = yaml_report(d);
	assert_string_equal(got, "t.yaml:1:15: 'b' must be true or false\n"
				 "t.yaml:1:23: 'b' must be true or false\n"
				 "t.yaml:1:32: 'u' must be between 0 and 10\n"
				 "t.yaml:1:36: 'u' must be between 0 and 18446744073709551615\n"
				 "t.yaml:1:58: 'u' must be a whole number\n"
				 "t.yaml:1:62: 'u' must be a whole number\n");
	free(got);
	void *scratch = yaml_doc_alloc(d, 100);
	assert_non_null(scratch);
	memset(scratch, 0, 100);
	yaml_doc_free(d);
}

static void test_yaml_read(void **state)
{
	(void)state;
	struct yaml_doc *d = NULL;
	assert_int_equal(yaml_doc_read("/nonexistent/x.yaml", NULL, &d), 0);
	assert_null(yaml_doc_root(d));
	char *got = yaml_report(d);
	assert_string_equal(got, "/nonexistent/x.yaml: cannot read: No such file or directory\n");
	free(got);
	yaml_doc_free(d);

	char path[] = "/tmp/parsers_test.XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	FILE *f = fdopen(fd, "w");
	assert_non_null(f);
	fputs("k: [v]\n", f);
	fclose(f);
	assert_int_equal(yaml_doc_read(path, NULL, &d), 0);
	assert_int_equal(yaml_doc_status(d), 0);
	assert_string_equal(yaml_doc_name(d), path);
	assert_string_equal(yaml_doc_root(d)->first->next->first->str, "v");
	yaml_doc_free(d);

	struct yaml_limits lim;
	yaml_limits_default(&lim);
	lim.max_bytes = 6;
	assert_int_equal(yaml_doc_read(path, &lim, &d), 0);
	got = yaml_report(d);
	assert_null(yaml_doc_root(d));
	assert_non_null(strstr(got, ": larger than 6 bytes\n"));
	free(got);
	yaml_doc_free(d);
	unlink(path);

	assert_int_equal(yaml_doc_new("x", NULL, &d), 0);
	yaml_error_at(d, 0, 0, "cannot list: %s", "reason");
	got = yaml_report(d);
	assert_string_equal(got, "x: cannot list: reason\n");
	free(got);
	yaml_doc_free(d);
	assert_int_equal(yaml_doc_read(NULL, NULL, &d), ERR_USAGE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_charset_source_names),
		cmocka_unit_test(test_charset_bom),
		cmocka_unit_test(test_charset_header),
		cmocka_unit_test(test_charset_meta_gbk),
		cmocka_unit_test(test_charset_meta_prescan),
		cmocka_unit_test(test_charset_late_meta),
		cmocka_unit_test(test_charset_detect_and_default),
		cmocka_unit_test(test_charset_repairs_utf8),
		cmocka_unit_test(test_charset_legacy_decoders),
		cmocka_unit_test(test_charset_convert),
		cmocka_unit_test(test_charset_cap),
		cmocka_unit_test(test_charset_conformance),
		cmocka_unit_test(test_url_resolve),
		cmocka_unit_test(test_url_canonical),
		cmocka_unit_test(test_url_rejects),
		cmocka_unit_test(test_url_host_origin),
		cmocka_unit_test(test_url_conformance),
		cmocka_unit_test(test_doc_gbk_page),
		cmocka_unit_test(test_doc_text),
		cmocka_unit_test(test_doc_links),
		cmocka_unit_test(test_doc_page_url),
		cmocka_unit_test(test_doc_limits),
		cmocka_unit_test(test_doc_deep_nesting),
		cmocka_unit_test(test_doc_hostile),
		cmocka_unit_test(test_doc_description),
		cmocka_unit_test(test_doc_posts_discuz),
		cmocka_unit_test(test_doc_posts_phpbb),
		cmocka_unit_test(test_doc_posts_vbulletin),
		cmocka_unit_test(test_doc_posts_discourse),
		cmocka_unit_test(test_doc_posts_wordpress),
		cmocka_unit_test(test_doc_posts_none),
		cmocka_unit_test(test_doc_posts_venue),
		cmocka_unit_test(test_doc_posts_caps),
		cmocka_unit_test(test_doc_posts_hostile),
		cmocka_unit_test(test_doc_profiles),
		cmocka_unit_test(test_yaml_tree),
		cmocka_unit_test(test_yaml_refusals),
		cmocka_unit_test(test_yaml_caps),
		cmocka_unit_test(test_yaml_helpers),
		cmocka_unit_test(test_yaml_read),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
