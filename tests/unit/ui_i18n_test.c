/* SPDX-License-Identifier: MIT */
/* Unit tests of the review UI's languages (review/ui_i18n.c): the .mo reader on the catalog the
 * build made (po/, $PATROL_LOCALEDIR) and on hostile files (cut short anywhere, offsets out of
 * bounds, strings not ended, unsorted, formats that disagree), plural forms, Accept-Language
 * negotiation with q-values, and time zone names.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "common/buf.h"
#include "common/digest.h"
#include "common/err.h"
#include "index/store.h"
#include "review/ui_int.h"
#include "ui_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* A .mo file of n pairs (orig, tr; a plural's parts joined by NUL, lengths given), in the order
 * given (sorted or not, on purpose). */
struct mo_pair {
	const char *orig, *tr;
	size_t olen, tlen; /* 0: strlen */
};

static void put32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
	p[2] = (unsigned char)(v >> 16);
	p[3] = (unsigned char)(v >> 24);
}

static unsigned char *mo_build(const struct mo_pair *pairs, uint32_t n, size_t *ret_len)
{
	size_t len = 28 + 16 * (size_t)n;
	for (uint32_t i = 0; i < n; i++)
		len += (pairs[i].olen ? pairs[i].olen : strlen(pairs[i].orig)) + 1 +
		       (pairs[i].tlen ? pairs[i].tlen : strlen(pairs[i].tr)) + 1;
	unsigned char *m = calloc(1, len);
	assert_non_null(m);
	put32(m, 0x950412de);
	put32(m + 8, n);
	put32(m + 12, 28);
	put32(m + 16, 28 + 8 * n);
	size_t at = 28 + 16 * (size_t)n;
	for (uint32_t i = 0; i < n; i++) {
		const char *s[2] = {pairs[i].orig, pairs[i].tr};
		size_t l[2] = {pairs[i].olen ? pairs[i].olen : strlen(s[0]),
			       pairs[i].tlen ? pairs[i].tlen : strlen(s[1])};
		for (int t = 0; t < 2; t++) {
			put32(m + 28 + 8 * (size_t)n * (size_t)t + 8 * i, (uint32_t)l[t]);
			put32(m + 28 + 8 * (size_t)n * (size_t)t + 8 * i + 4, (uint32_t)at);
			memcpy(m + at, s[t], l[t]);
			at += l[t] + 1;
		}
	}
	*ret_len = len;
	return m;
}

static const char zh_header[] = "Content-Type: text/plain; charset=UTF-8\n"
				"Plural-Forms: nplurals=1; plural=0;\n";

static struct ui_catalog *parse_ok(const struct mo_pair *p, uint32_t n)
{
	size_t len;
	unsigned char *m = mo_build(p, n, &len);
	struct ui_catalog *c = NULL;
	assert_int_equal(ui_catalog_parse(m, len, &c), 0);
	free(m);
	return c;
}

static int parse_rc(const struct mo_pair *p, uint32_t n)
{
	size_t len;
	unsigned char *m = mo_build(p, n, &len);
	struct ui_catalog *c = NULL;
	int rc = ui_catalog_parse(m, len, &c);
	ui_catalog_free(c);
	free(m);
	return rc;
}

static void lookups_and_formats(void **state)
{
	(void)state;
	const struct mo_pair p[] = {
		{"", zh_header, 0, 0},
		{"%s of %s", "%2$s 的 %1$s", 0, 0}, /* reordered: allowed */
		{"%zu hit", "%zu 条命中", 8, 0},    /* a plural, fixed below */
		{"Log in", "登录", 0, 0},
		{"bad %d", "坏 %s", 0, 0},	  /* disagrees: dropped */
		{"dup %s %s", "%1$s %1$s", 0, 0}, /* a position twice: dropped */
		{"evil %s", "%n%s", 0, 0},	  /* %n: dropped */
		{"star %d", "%*d", 0, 0},	  /* takes an extra argument: dropped */
		{"z", "最后", 0, 0},
	};
	struct mo_pair q[sizeof(p) / sizeof(p[0])];
	memcpy(q, p, sizeof(p));
	q[2].orig = "%zu hit\0%zu hits";
	q[2].olen = 16;
	struct ui_catalog *c = parse_ok(q, sizeof(q) / sizeof(q[0]));
	assert_string_equal(ui_catalog_get(c, "Log in"), "登录");
	assert_string_equal(ui_catalog_get(c, "%s of %s"), "%2$s 的 %1$s");
	assert_string_equal(ui_catalog_get(c, "z"), "最后");
	assert_null(ui_catalog_get(c, "bad %d"));
	assert_null(ui_catalog_get(c, "dup %s %s"));
	assert_null(ui_catalog_get(c, "evil %s"));
	assert_null(ui_catalog_get(c, "star %d"));
	assert_null(ui_catalog_get(c, "Log"));
	assert_null(ui_catalog_get(c, ""));
	assert_int_equal(ui_catalog_count(c), 4);
	/* One form for every n; a plural asked with another English plural is not it. */
	assert_string_equal(ui_catalog_nget(c, "%zu hit", "%zu hits", 1), "%zu 条命中");
	assert_string_equal(ui_catalog_nget(c, "%zu hit", "%zu hits", 7), "%zu 条命中");
	assert_null(ui_catalog_nget(c, "%zu hit", "%zu hitz", 7));
	assert_null(ui_catalog_nget(c, "Log in", "Log ins", 2));
	ui_catalog_free(c);
	ui_catalog_free(NULL);
}

static void english_plurals(void **state)
{
	(void)state;
	const struct mo_pair p[] = {
		{"", "Plural-Forms: nplurals=2; plural=(n != 1);\n", 0, 0},
		{"%d day\0%d days", "%d Tag\0%d Tage", 14, 14},
	};
	struct ui_catalog *c = parse_ok(p, 2);
	assert_string_equal(ui_catalog_nget(c, "%d day", "%d days", 1), "%d Tag");
	assert_string_equal(ui_catalog_nget(c, "%d day", "%d days", 0), "%d Tage");
	assert_string_equal(ui_catalog_nget(c, "%d day", "%d days", 2), "%d Tage");
	ui_catalog_free(c);
	/* A rule this reader does not evaluate: plurals stay English, singulars still translate. */
	const struct mo_pair r[] = {
		{"", "Plural-Forms: nplurals=3; plural=(n%10==1 ? 0 : 1);\n", 0, 0},
		{"%d day\0%d days", "%d a\0%d b\0%d c", 14, 14},
	};
	c = parse_ok(r, 2);
	assert_null(ui_catalog_nget(c, "%d day", "%d days", 2));
	assert_string_equal(ui_catalog_get(c, "%d day"), "%d a");
	ui_catalog_free(c);
}

static void hostile_files(void **state)
{
	(void)state;
	const struct mo_pair p[] = {{"", zh_header, 0, 0}, {"a", "甲", 0, 0}, {"b", "乙", 0, 0}};
	size_t len;
	unsigned char *m = mo_build(p, 3, &len);
	struct ui_catalog *c = NULL;
	/* Cut short anywhere: refused, never read past the end (ASan watches). */
	for (size_t cut = 0; cut < len; cut++) {
		unsigned char *t = malloc(cut ? cut : 1);
		memcpy(t, m, cut);
		assert_int_not_equal(ui_catalog_parse(t, cut, &c), 0);
		free(t);
	}
	/* An offset out of bounds, a length past the end, a string without its NUL. */
	unsigned char *t = malloc(len);
	memcpy(t, m, len);
	put32(t + 28 + 8 * 3 + 8 + 4, 0xfffffff0u);
	assert_int_equal(ui_catalog_parse(t, len, &c), ERR_PARSE);
	memcpy(t, m, len);
	put32(t + 28 + 8, 0xffffffffu);
	assert_int_equal(ui_catalog_parse(t, len, &c), ERR_PARSE);
	memcpy(t, m, len);
	t[len - 1] = 'x';
	assert_int_equal(ui_catalog_parse(t, len, &c), ERR_PARSE);
	/* Tables that would overflow: a huge count, a table offset near 4 GiB. */
	memcpy(t, m, len);
	put32(t + 8, 0x7fffffffu);
	assert_int_equal(ui_catalog_parse(t, len, &c), ERR_PARSE);
	memcpy(t, m, len);
	put32(t + 12, 0xfffffff8u);
	assert_int_equal(ui_catalog_parse(t, len, &c), ERR_PARSE);
	/* Not a catalog; a future major revision. */
	memcpy(t, m, len);
	t[0] ^= 1;
	assert_int_equal(ui_catalog_parse(t, len, &c), ERR_PARSE);
	memcpy(t, m, len);
	put32(t + 4, 2u << 16);
	assert_int_equal(ui_catalog_parse(t, len, &c), ERR_PARSE);
	free(t);
	free(m);
	/* Unsorted or repeated originals: a binary search would miss, so the file is refused. */
	const struct mo_pair u[] = {{"", zh_header, 0, 0}, {"b", "乙", 0, 0}, {"a", "甲", 0, 0}};
	assert_int_equal(parse_rc(u, 3), ERR_PARSE);
	const struct mo_pair d[] = {{"", zh_header, 0, 0}, {"a", "甲", 0, 0}, {"a", "乙", 0, 0}};
	assert_int_equal(parse_rc(d, 3), ERR_PARSE);
	/* No file: the error, not a crash. */
	assert_int_not_equal(ui_catalog_load("/nonexistent/patrol.mo", &c), 0);
}

/* The catalog the build made from po/zh_CN.po: a real file, read as the server reads it. */
static void built_catalog(void **state)
{
	(void)state;
	const char *dir = getenv("PATROL_LOCALEDIR");
	assert_non_null(dir);
	char path[4096];
	snprintf(path, sizeof(path), "%s/zh_CN/LC_MESSAGES/patrol.mo", dir);
	struct ui_catalog *c = NULL;
	assert_int_equal(ui_catalog_load(path, &c), 0);
	assert_true(ui_catalog_count(c) > 100);
	/* Entries of the CLI's, stable: a plain one and a plural reordered by position. */
	assert_string_equal(ui_catalog_get(c, "%zu hit set to %s by %s\n"),
			    "已将 %zu 条命中设为 %s，操作人 %s\n");
	assert_string_equal(
		ui_catalog_nget(c, "audit: %u problem in %llu entries: the chain was changed\n",
				"audit: %u problems in %llu entries: the chain was changed\n", 3),
		"审计：%2$llu 条记录中发现 %1$u 处问题：审计链已被改动\n");
	/* The same bytes cut at many places: each refused or read, none out of bounds. */
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	static char data[8u << 20];
	size_t len = fread(data, 1, sizeof(data), f);
	fclose(f);
	for (size_t i = 0; i < 200; i++) {
		struct ui_catalog *t = NULL;
		size_t cut = len * i / 200;
		if (ui_catalog_parse(data, cut, &t) == 0)
			assert_true(ui_catalog_count(t) <= ui_catalog_count(c));
		ui_catalog_free(t);
	}
	ui_catalog_free(c);
}

static void accept_language(void **state)
{
	(void)state;
	const bool both[UI_LANGS] = {true, true}, en_only[UI_LANGS] = {true, false};
	static const struct {
		const char *header;
		int want;
	} cases[] = {
		{NULL, 0},
		{"", 0},
		{"zh-CN", 1},
		{"zh", 1},
		{"zh-Hans", 1},
		{"zh-Hans-CN", 1},
		{"zh-SG", 1},
		{"zh-TW", 1}, /* until a zh_TW catalog exists */
		{"zh-HK,zh;q=0.9", 1},
		{"ZH-cn", 1},
		{"en-US,en;q=0.9,zh-CN;q=0.8", 0},
		{"zh-CN;q=0.8,en-US;q=0.9", 0},
		{"zh-CN;q=0.9,en;q=0.5", 1},
		{"fr-FR,fr;q=0.9,zh-CN;q=0.8,en;q=0.7", 1},
		{"fr, de", 0},
		{"zh;q=0", 0},
		{"en;q=0, zh;q=0.001", 1},
		{"zhx, zh-", 1},
		{"*", 0},
		{"de;q=1, *;q=0.5, zh;q=0.6", 1},
		{"zh;q=bogus", 0},
		{"zh;q=1.5", 1},
		{" ,,, ;;; , zh-CN ", 1},
		{"zho", 0},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int got = ui_lang_negotiate(cases[i].header, both);
		if (got != cases[i].want)
			fail_msg("Accept-Language \"%s\": %d, want %d", cases[i].header, got,
				 cases[i].want);
	}
	/* Without the catalog installed, Chinese is never chosen. */
	assert_int_equal(ui_lang_negotiate("zh-CN", en_only), 0);
	/* A hostile header: long, many ranges; read up to the caps, no crash. */
	char *big = malloc(100001);
	for (size_t i = 0; i < 100000; i++)
		big[i] = "zh;q=0.1,"[i % 9];
	big[100000] = '\0';
	assert_int_equal(ui_lang_negotiate(big, both), 1);
	memset(big, ';', 100000);
	assert_int_equal(ui_lang_negotiate(big, both), 0);
	free(big);
	assert_int_equal(ui_lang_find("zh_CN", both), 1);
	assert_int_equal(ui_lang_find("zh_CN", en_only), -1);
	assert_int_equal(ui_lang_find("en", both), 0);
	assert_int_equal(ui_lang_find("xx", both), -1);
	assert_int_equal(ui_lang_find(NULL, both), -1);
}

static void time_zones(void **state)
{
	(void)state;
	assert_true(ui_tz_valid("UTC"));
	assert_true(ui_tz_valid("Asia/Shanghai"));
	assert_true(ui_tz_valid("America/Argentina/Buenos_Aires"));
	const char *bad[] = {"",      "/etc/passwd", "../../etc/passwd", "Asia/../../x", "Asia//X",
			     "Asia/", "a b",	     "<script>",	 "Asia\"x",	 NULL};
	for (size_t i = 0; bad[i]; i++)
		if (ui_tz_valid(bad[i]))
			fail_msg("\"%s\" taken for a time zone", bad[i]);
	assert_false(ui_tz_valid(NULL));
	char longer[UI_TZ_MAX + 2];
	memset(longer, 'A', sizeof(longer) - 1);
	longer[sizeof(longer) - 1] = '\0';
	assert_false(ui_tz_valid(longer));
}

/* ---- The handler: Accept-Language, the analyst's saved choice, the switch ---- */

struct env {
	char dir[64];
	struct store *s;
	struct ui *ui;
	char cookie[128], csrf[65];
};

/* A message with one piece of markup: the text escaped, the markup kept, whether the translator
 * wrote %s or numbered it %1$s. */
static void html_sub(void **state)
{
	(void)state;
	static const char *const cases[][2] = {
		{"see %s & go", "see <a>x</a> &amp; go"},
		{"%1$s <first>", "<a>x</a> &lt;first&gt;"},
		{"no mark at all", "no mark at all"},
		{"%1$s then %s", "<a>x</a> then %s"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct buf b;
		buf_init(&b, 1024);
		assert_int_equal(ui__html_sub(&b, cases[i][0], "<a>x</a>"), 0);
		assert_int_equal(buf_addstr(&b, ""), 0);
		assert_string_equal(b.data, cases[i][1]);
		buf_done(&b);
	}
}

/* One request; the page (or "") is copied into out. */
static int call(struct env *e, const char *method, const char *path, const char *form,
		const char *accept, char *out, size_t cap)
{
	struct ui_util_req req = {method, path, NULL, form, e->cookie[0] ? e->cookie : NULL,
				  accept};
	struct httpd_response r = ui_util_call(e->ui, &req);
	snprintf(out, cap, "%.*s", (int)(r.len < cap ? r.len : cap - 1),
		 r.body ? (const char *)r.body : "");
	if (!e->cookie[0])
		ui_util_session(&r, e->cookie, e->csrf); /* the login's answer */
	int status = r.status;
	ui_util_resp_free(&r);
	return status;
}

static void prefs_switch(void **state)
{
	(void)state;
	struct env e = {.dir = "/tmp/patrol-ui-i18n.XXXXXX"};
	assert_non_null(mkdtemp(e.dir));
	char err[256], *page = malloc(1 << 20), form[256];
	assert_int_equal(store_open(e.dir, &e.s, err, sizeof(err)), 0);
	uint8_t h[32];
	digest_sha256("tok-123456", 10, h);
	assert_int_equal(store_user_add(e.s, "alice", h, 1700000000), 0);
	struct store_user_prefs p;
	assert_int_equal(store_user_prefs_get(e.s, "alice", &p), 0);
	assert_string_equal(p.lang, "");
	assert_string_equal(p.tz, "");
	assert_int_equal(store_user_prefs_get(e.s, "bob", &p), ERR_NOT_FOUND);
	assert_int_equal(ui_new(&(struct ui_opts){.store = e.s}, &e.ui), 0);
	assert_true(e.ui->avail[1]); /* the build's zh_CN catalog, through $PATROL_LOCALEDIR */

	/* Before login: the browser's language. */
	assert_int_equal(call(&e, "GET", "/login", NULL, "zh-CN,zh;q=0.9", page, 1 << 20), 200);
	assert_non_null(strstr(page, "<html lang=\"zh-CN\">"));
	assert_int_equal(call(&e, "GET", "/login", NULL, "en-US", page, 1 << 20), 200);
	assert_non_null(strstr(page, "<html lang=\"en\">"));
	assert_int_equal(
		call(&e, "POST", "/login", "name=alice&token=tok-123456", NULL, page, 1 << 20),
		303);
	assert_int_equal(call(&e, "GET", "/", NULL, "en", page, 1 << 20), 200);
	assert_non_null(strstr(page, "<html lang=\"en\">"));
	assert_non_null(strstr(page, "action=\"/prefs\""));
	assert_null(strstr(page, "<meta name=\"tz\""));

	/* The switch: without the CSRF token refused; a bad zone or language refused. */
	assert_int_equal(call(&e, "POST", "/prefs", "lang=zh_CN", "en", page, 1 << 20), 403);
	snprintf(form, sizeof(form), "csrf=%s&lang=zh_CN&tz=..%%2Fetc%%2Fpasswd", e.csrf);
	assert_int_equal(call(&e, "POST", "/prefs", form, "en", page, 1 << 20), 400);
	snprintf(form, sizeof(form), "csrf=%s&lang=xx&tz=", e.csrf);
	assert_int_equal(call(&e, "POST", "/prefs", form, "en", page, 1 << 20), 400);
	assert_int_equal(store_user_prefs_get(e.s, "alice", &p), 0);
	assert_string_equal(p.lang, "");
	snprintf(form, sizeof(form), "csrf=%s&lang=zh_CN&tz=Asia%%2FShanghai&return=%%2Frules",
		 e.csrf);
	assert_int_equal(call(&e, "POST", "/prefs", form, "en", page, 1 << 20), 303);

	/* Saved: it beats Accept-Language, and the token still logs in. */
	assert_int_equal(call(&e, "GET", "/", NULL, "en", page, 1 << 20), 200);
	assert_non_null(strstr(page, "<html lang=\"zh-CN\">"));
	assert_non_null(strstr(page, "<meta name=\"tz\" content=\"Asia/Shanghai\">"));
	assert_non_null(strstr(page, "<option value=\"zh_CN\" lang=\"zh-CN\" selected>"));
	struct store_user u;
	assert_int_equal(store_user_get(e.s, "alice", &u), 0);
	assert_memory_equal(u.token_hash, h, 32);
	assert_int_equal(u.created, 1700000000);

	/* Back to the browser's language: "" clears the choice. */
	snprintf(form, sizeof(form), "csrf=%s&lang=&tz=", e.csrf);
	assert_int_equal(call(&e, "POST", "/prefs", form, "en", page, 1 << 20), 303);
	assert_int_equal(call(&e, "GET", "/", NULL, "en", page, 1 << 20), 200);
	assert_non_null(strstr(page, "<html lang=\"en\">"));
	assert_null(strstr(page, "<meta name=\"tz\""));
	/* What ui.js shows comes in a JSON block, never as script. */
	assert_non_null(strstr(page, "<script type=\"application/json\" id=\"ui-text\">{"));
	/* Times are <time datetime> in UTC for ui.js to show in the analyst's zone. */
	struct buf b;
	buf_init(&b, 256);
	assert_int_equal(ui__time(&b, 1700000000), 0);
	assert_string_equal(buf_str(&b),
			    "<time datetime=\"2023-11-14T22:13:20Z\">2023-11-14 22:13 UTC</time>");
	buf_done(&b);

	/* The store bounds what it keeps. */
	struct store_user_prefs big;
	memset(&big, 'x', sizeof(big));
	assert_int_equal(store_user_prefs_set(e.s, "alice", &big), ERR_USAGE);
	assert_int_equal(store_user_prefs_set(e.s, "nobody", &(struct store_user_prefs){"", ""}),
			 ERR_NOT_FOUND);
	ui_free(e.ui);
	store_close(e.s);
	free(page);
	snprintf(form, sizeof(form), "rm -rf '%s'", e.dir);
	assert_int_equal(system(form), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(lookups_and_formats), cmocka_unit_test(english_plurals),
		cmocka_unit_test(hostile_files),       cmocka_unit_test(built_catalog),
		cmocka_unit_test(accept_language),     cmocka_unit_test(time_zones),
		cmocka_unit_test(prefs_switch),	       cmocka_unit_test(html_sub),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
