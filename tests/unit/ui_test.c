/* SPDX-License-Identifier: MIT */
/* Unit tests of the review web UI (review/ui.h) and the request parsing it relies on: escaping
 * per context, links that must not become clickable, form and cookie parsing, CSRF tokens, and
 * the handler itself on a store in a temporary directory: login, sessions (expired, removed),
 * CSRF refusals, an audited review under the analyst's name, hostile hit text escaped, and the
 * queue's keyset pages covering every hit once.
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
#include "review/httpd.h"
#include "review/ui.h"
#include "review/ui_int.h"
#include "ui_util.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static char *esc(const char *s, size_t n)
{
	struct buf b;
	buf_init(&b, 1 << 16);
	assert_int_equal(ui_html_n(&b, s, n), 0);
	return buf_take(&b);
}

static void html_escapes_every_special(void **state)
{
	(void)state;
	const char payload[] = "<script>alert(1)</script>\"'&</textarea><svg onload=x>";
	char *e = esc(payload, sizeof(payload) - 1);
	assert_string_equal(e, "&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&amp;&lt;/textarea"
			       "&gt;&lt;svg onload=x&gt;");
	free(e);
	/* Invalid UTF-8, a NUL and a control byte become U+FFFD; valid CJK stays. */
	const char bad[] = "a\xff\xc0<\x00\x01中文";
	e = esc(bad, sizeof(bad) - 1);
	assert_string_equal(e, "a\xef\xbf\xbd\xef\xbf\xbd&lt;\xef\xbf\xbd\xef\xbf\xbd中文");
	free(e);
	/* A truncated sequence at the end cannot swallow what follows it in the page. */
	e = esc("x\xe4\xb8", 3);
	assert_string_equal(e, "x\xef\xbf\xbd\xef\xbf\xbd");
	free(e);
}

/* Every pattern's text is marked, the longest where two start together, and nothing in the
 * text escapes HTML escaping, marked or not. */
static void marks_every_pattern_escaped(void **state)
{
	(void)state;
	struct store_hit_span spans[] = {{.text = "加微信"}, {.text = "日结<b>"}, {.text = ""},
					 {.text = "加微信 abc"}};
	struct store_hit h = {.match = "刷单", .spans = spans, .nspans = 4};
	struct ui_terms t;
	ui__terms_of(&t, &h);
	assert_int_equal(t.n, 4); /* the empty one is left out */
	assert_string_equal(t.s[0], "加微信 abc"); /* longest first */
	struct buf b;
	buf_init(&b, 1 << 16);
	const char text[] = "在家刷单，日结<b>，加微信 abc 或加微信 x <script>";
	assert_int_equal(ui__marked(&b, text, strlen(text), &t), 0);
	assert_string_equal(buf_str(&b),
			    "在家<mark>刷单</mark>，<mark>日结&lt;b&gt;</mark>，<mark>加微信 abc"
			    "</mark> 或<mark>加微信</mark> x &lt;script&gt;");
	buf_done(&b);
}

static void query_values_are_percent_encoded(void **state)
{
	(void)state;
	struct buf b;
	buf_init(&b, 1024);
	assert_int_equal(ui_qs(&b, "a b&c=d/é\"<"), 0);
	assert_string_equal(buf_str(&b), "a%20b%26c%3Dd%2F%C3%A9%22%3C");
	buf_done(&b);
}

static void only_http_links_are_clickable(void **state)
{
	(void)state;
	assert_true(ui_url_linkable("http://example.com/a?b=1"));
	assert_true(ui_url_linkable("HTTPS://example.com/"));
	static const char *const bad[] = {"javascript:alert(1)", " JaVaScRiPt:alert(1)",
					  "\tjavascript:x",	 "data:text/html,<b>",
					  "vbscript:x",		 "//evil.example/",
					  "/relative",		 "http://x\"onmouseover=alert(1)",
					  "java\nscript:x",	 "",
					  "https://x/<script>"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_false(ui_url_linkable(bad[i]));
	assert_false(ui_url_linkable(NULL));
}

static void forms_parse_and_decode(void **state)
{
	(void)state;
	char in[] = "a=1&b=%3Cx%3E+y&c&&d=&e=%zz%4&%61%3d=v";
	struct httpd_kv kv[8];
	size_t n = 0;
	assert_int_equal(httpd_form_parse(in, strlen(in), kv, 8, &n), 0);
	assert_int_equal(n, 6);
	assert_string_equal(httpd_kv_get(kv, n, "a"), "1");
	assert_string_equal(httpd_kv_get(kv, n, "b"), "<x> y");
	assert_string_equal(httpd_kv_get(kv, n, "c"), "");
	assert_string_equal(httpd_kv_get(kv, n, "d"), "");
	assert_string_equal(httpd_kv_get(kv, n, "e"), "%zz%4");
	assert_string_equal(httpd_kv_get(kv, n, "a="), "v");
	assert_null(httpd_kv_get(kv, n, "z"));
	char many[] = "id=1&id=2&id=3&id=4";
	assert_int_equal(httpd_form_parse(many, strlen(many), kv, 3, &n), ERR_TOO_BIG);
	assert_int_equal(n, 3);
	assert_string_equal(kv[2].value, "3");
}

static void cookies_are_found_by_exact_name(void **state)
{
	(void)state;
	char out[16];
	assert_int_equal(httpd_cookie_get("x_session=1; session=abc; y=2", "session", out, 16), 0);
	assert_string_equal(out, "abc");
	assert_int_equal(httpd_cookie_get("sessionx=1", "session", out, 16), ERR_NOT_FOUND);
	assert_int_equal(httpd_cookie_get("session=0123456789abcdefg", "session", out, 16),
			 ERR_NOT_FOUND);
	assert_int_equal(httpd_cookie_get(NULL, "session", out, 16), ERR_NOT_FOUND);
}

static void csrf_tokens_and_dates(void **state)
{
	(void)state;
	char a[65], b[65], c[65];
	ui_csrf_token("session-one", a);
	ui_csrf_token("session-one", b);
	ui_csrf_token("session-two", c);
	assert_int_equal(strlen(a), 64);
	assert_true(ui_str_equal(a, b));
	assert_false(ui_str_equal(a, c));
	assert_false(ui_str_equal(a, ""));
	assert_false(ui_str_equal("abc", "abcd"));
	assert_int_equal(ui_date_parse("2026-11-28", false), 1795824000);
	assert_int_equal(ui_date_parse("2026-11-28", true), 1795824000 + 86399);
	assert_int_equal(ui_date_parse("2026-13-01", false), -1);
	assert_int_equal(ui_date_parse("2026-11-28x", false), -1);
	assert_int_equal(ui_date_parse(NULL, false), -1);
}

/* ---- The handler on a real store ---- */

struct env {
	char dir[64];
	struct store *s;
	struct ui *ui;
	char cookie[128];
	char csrf[65];
};

static const char token[] = "letmein-0123456789";

static int env_setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));
	snprintf(e->dir, sizeof(e->dir), "/tmp/patrol-ui-test.XXXXXX");
	assert_non_null(mkdtemp(e->dir));
	char err[256];
	assert_int_equal(store_open(e->dir, &e->s, err, sizeof(err)), 0);
	uint8_t h[32];
	digest_sha256(token, strlen(token), h);
	assert_int_equal(store_user_add(e->s, "alice", h, time(NULL)), 0);
	assert_int_equal(store_user_add(e->s, "alice", h, time(NULL)), -EEXIST);
	assert_int_equal(store_user_add(e->s, "bad name", h, time(NULL)), ERR_USAGE);
	struct store_txn *t;
	assert_int_equal(store_write_begin(e->s, &t), 0);
	for (int i = 0; i < 120; i++) {
		char url[64];
		snprintf(url, sizeof(url), "http://forum.test/t-%d", i);
		struct store_hit hit = {.rule = "r.one",
					.pack = "p",
					.category = "fraud",
					.severity = "high",
					.venue = "v1",
					.url = url,
					.field = "body",
					.post = -1,
					.match = "<script>alert(1)</script>",
					.snippet = "see <script>alert(1)</script> \"here\""};
		/* Forty hits share each second: the pages' cursor must split ties by id. */
		assert_int_equal(store_hit_put(t, &hit, 1700000000 + i / 40, NULL, NULL), 0);
	}
	assert_int_equal(store_write_commit(t), 0);
	struct ui_opts o = {.store = e->s};
	assert_int_equal(ui_new(&o, &e->ui), 0);
	*state = e;
	return 0;
}

static int env_teardown(void **state)
{
	struct env *e = *state;
	ui_free(e->ui);
	store_close(e->s);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", e->dir);
	assert_int_equal(system(cmd), 0);
	free(e);
	return 0;
}

/* One request; form is an urlencoded body. */
static struct httpd_response call(struct env *e, const char *method, const char *path,
				  const char *query, const char *form, bool cookie)
{
	struct ui_util_req req = {method, path, query, form, cookie ? e->cookie : NULL, NULL};
	return ui_util_call(e->ui, &req);
}

static void login(struct env *e)
{
	char form[128];
	snprintf(form, sizeof(form), "name=alice&token=%s", token);
	struct httpd_response r = call(e, "POST", "/login", NULL, form, false);
	assert_int_equal(r.status, 303);
	const char *c = ui_util_header(&r, "Set-Cookie");
	assert_non_null(c);
	assert_non_null(strstr(c, "HttpOnly"));
	assert_non_null(strstr(c, "SameSite=Strict"));
	assert_null(strstr(c, "Secure"));
	assert_int_equal(ui_util_session(&r, e->cookie, e->csrf), 0);
	ui_util_resp_free(&r);
}

static void pages_need_a_session(void **state)
{
	struct env *e = *state;
	static const char *const paths[] = {"/",      "/hit/1",	 "/hit/1/evidence", "/hit/1/raw",
					    "/rules", "/venues", "/audit",	    "/export"};
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		struct httpd_response r = call(e, "GET", paths[i], NULL, NULL, false);
		assert_int_equal(r.status, 303);
		assert_string_equal(ui_util_header(&r, "Location"), "/login");
		ui_util_resp_free(&r);
	}
	struct httpd_response r = call(e, "POST", "/review", NULL, "id=1&action=confirm", false);
	assert_int_equal(r.status, 403);
	ui_util_resp_free(&r);
	r = call(e, "POST", "/login", NULL, "name=alice&token=wrong", false);
	assert_int_equal(r.status, 403);
	assert_null(ui_util_header(&r, "Set-Cookie"));
	ui_util_resp_free(&r);
	r = call(e, "GET", "/static/ui.js", NULL, NULL, false);
	assert_int_equal(r.status, 200);
	ui_util_resp_free(&r);
}

static void review_needs_csrf_and_is_audited(void **state)
{
	struct env *e = *state;
	login(e);
	struct httpd_response r = call(e, "POST", "/review", NULL, "id=1&action=confirm", true);
	assert_int_equal(r.status, 403);
	ui_util_resp_free(&r);
	r = call(e, "POST", "/review", NULL, "csrf=00&id=1&action=confirm", true);
	assert_int_equal(r.status, 403);
	ui_util_resp_free(&r);
	char form[256];
	snprintf(form, sizeof(form), "csrf=%s&id=1&id=2&action=escalate&note=why&return=//evil",
		 e->csrf);
	r = call(e, "POST", "/review", NULL, form, true);
	assert_int_equal(r.status, 303);
	assert_string_equal(ui_util_header(&r, "Location"), "/"); /* no open redirect */
	ui_util_resp_free(&r);
	r = call(e, "GET", "/audit", NULL, NULL, true);
	assert_int_equal(r.status, 200);
	assert_non_null(memmem(r.body, r.len, "<td>alice</td><td>review", 24));
	assert_non_null(memmem(r.body, r.len, "new → escalated", 17));
	ui_util_resp_free(&r);
	uint64_t n = 0;
	assert_int_equal(store_status_count(e->s, "escalated", &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(store_status_count(e->s, "new", &n), 0);
	assert_int_equal(n, 118);
}

static void hostile_text_is_escaped(void **state)
{
	struct env *e = *state;
	login(e);
	static const char *const paths[] = {"/", "/hit/5", "/rules"};
	for (size_t i = 0; i < 3; i++) {
		struct httpd_response r = call(e, "GET", paths[i], "status=all", NULL, true);
		assert_int_equal(r.status, 200);
		assert_null(memmem(r.body, r.len, "<script>alert", 13));
		assert_null(memmem(r.body, r.len, "<script>", 8)); /* ours have a src */
		assert_non_null(ui_util_header(&r, "Content-Security-Policy"));
		assert_non_null(
			strstr(ui_util_header(&r, "Content-Security-Policy"), "script-src 'self'"));
		if (i < 2)
			assert_non_null(memmem(r.body, r.len,
					       "<mark>&lt;script&gt;alert(1)&lt;/script&gt;</mark>",
					       50));
		ui_util_resp_free(&r);
	}
}

static int64_t after_of(const struct httpd_response *r, char *out, size_t cap)
{
	const char *a = memmem(r->body, r->len, "<a id=\"next\"", 12);
	if (!a || !(a = strstr(a, "&amp;after=")))
		return -1;
	a += 11;
	size_t n = strcspn(a, "\"");
	snprintf(out, cap, "%.*s", (int)n, a);
	return 0;
}

static void queue_pages_cover_every_hit_once(void **state)
{
	struct env *e = *state;
	login(e);
	unsigned char seen[121] = {0};
	char query[128] = "status=new", after[64];
	size_t total = 0;
	for (int page = 0; page < 10; page++) {
		struct httpd_response r = call(e, "GET", "/", query, NULL, true);
		assert_int_equal(r.status, 200);
		const char *p = r.body, *end = (const char *)r.body + r.len;
		while ((p = memmem(p, (size_t)(end - p), "<tr data-id=\"", 13)) != NULL) {
			unsigned id = (unsigned)strtoul(p + 13, NULL, 10);
			assert_true(id >= 1 && id <= 120);
			assert_int_equal(seen[id], 0);
			seen[id] = 1;
			total++;
			p += 13;
		}
		int more = after_of(&r, after, sizeof(after)) == 0;
		ui_util_resp_free(&r);
		if (!more)
			break;
		snprintf(query, sizeof(query), "status=new&after=%s", after);
	}
	assert_int_equal(total, 120);
}

/* A GBK page: its text is shown converted, with the (UTF-8) match marked; the frame's HTML goes
 * with its charset. */
static void evidence_is_converted_and_framed(void **state)
{
	struct env *e = *state;
	login(e);
	static const char head[] =
		"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=gbk\r\n\r\n";
	static const char body[] =
		"<p>\xcb\xa2\xb5\xa5\xb7\xb5\xc0\xfb \xff</p>"; /* 刷单返利, a bad byte */
	void *packed = NULL;
	size_t plen = 0;
	struct store_hit hit = {.rule = "r.gbk",
				.url = "http://gbk.test/t",
				.match = "刷单",
				.snippet = "刷单返利",
				.field = "body",
				.post = -1};
	assert_int_equal(store_evidence_pack(head, sizeof(head) - 1, body, sizeof(body) - 1,
					     &packed, &plen, hit.evidence),
			 0);
	struct store_page page = {
		.url = "http://gbk.test/t", .venue = "v1", .status = 200, .charset = "GBK"};
	struct store_txn *t;
	uint64_t id = 0;
	assert_int_equal(store_write_begin(e->s, &t), 0);
	assert_int_equal(store_evidence_put(t, hit.evidence, packed, plen), 0);
	assert_int_equal(store_page_put(t, &page), 0);
	assert_int_equal(store_hit_put(t, &hit, 1700000100, &id, NULL), 0);
	assert_int_equal(store_write_commit(t), 0);
	free(packed);
	char path[64];
	snprintf(path, sizeof(path), "/hit/%" PRIu64 "/evidence", id);
	struct httpd_response r = call(e, "GET", path, NULL, NULL, true);
	assert_int_equal(r.status, 200);
	static const char marked[] = "<mark>刷单</mark>返利 \xef\xbf\xbd";
	assert_non_null(memmem(r.body, r.len, marked, sizeof(marked) - 1));
	assert_non_null(memmem(r.body, r.len, "<iframe class=\"cap\" sandbox=\"\"", 30));
	ui_util_resp_free(&r);
	snprintf(path, sizeof(path), "/hit/%" PRIu64 "/raw", id);
	r = call(e, "GET", path, NULL, NULL, true);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.content_type, "text/html; charset=GBK");
	assert_int_equal(r.len, sizeof(body) - 1);
	assert_memory_equal(r.body, body, r.len);
	const char *csp = ui_util_header(&r, "Content-Security-Policy");
	assert_non_null(csp);
	assert_non_null(strstr(csp, "default-src 'none'"));
	assert_non_null(strstr(csp, "sandbox"));
	assert_null(strstr(csp, "script-src"));
	ui_util_resp_free(&r);
}

static void sessions_end(void **state)
{
	struct env *e = *state;
	login(e);
	struct httpd_response r = call(e, "GET", "/", NULL, NULL, true);
	assert_int_equal(r.status, 200);
	ui_util_resp_free(&r);
	/* An expired session is no session. */
	uint8_t h[32];
	const char *sid = e->cookie + strlen("patrol_session=");
	digest_sha256(sid, strlen(sid), h);
	assert_int_equal(store_session_put(e->s, h, "alice", time(NULL) - 1), 0);
	r = call(e, "GET", "/", NULL, NULL, true);
	assert_int_equal(r.status, 303);
	ui_util_resp_free(&r);
	/* Logging out ends it; so does removing the analyst. */
	login(e);
	char form[128];
	snprintf(form, sizeof(form), "csrf=%s", e->csrf);
	r = call(e, "POST", "/logout", NULL, form, true);
	assert_int_equal(r.status, 303);
	ui_util_resp_free(&r);
	r = call(e, "GET", "/", NULL, NULL, true);
	assert_int_equal(r.status, 303);
	ui_util_resp_free(&r);
	login(e);
	assert_int_equal(store_user_remove(e->s, "alice", time(NULL)), 0);
	r = call(e, "GET", "/", NULL, NULL, true);
	assert_int_equal(r.status, 303);
	ui_util_resp_free(&r);
	assert_int_equal(store_user_remove(e->s, "alice", time(NULL)), ERR_NOT_FOUND);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(html_escapes_every_special),
		cmocka_unit_test(marks_every_pattern_escaped),
		cmocka_unit_test(query_values_are_percent_encoded),
		cmocka_unit_test(only_http_links_are_clickable),
		cmocka_unit_test(forms_parse_and_decode),
		cmocka_unit_test(cookies_are_found_by_exact_name),
		cmocka_unit_test(csrf_tokens_and_dates),
		cmocka_unit_test_setup_teardown(pages_need_a_session, env_setup, env_teardown),
		cmocka_unit_test_setup_teardown(review_needs_csrf_and_is_audited, env_setup,
						env_teardown),
		cmocka_unit_test_setup_teardown(hostile_text_is_escaped, env_setup, env_teardown),
		cmocka_unit_test_setup_teardown(queue_pages_cover_every_hit_once, env_setup,
						env_teardown),
		cmocka_unit_test_setup_teardown(evidence_is_converted_and_framed, env_setup,
						env_teardown),
		cmocka_unit_test_setup_teardown(sessions_end, env_setup, env_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
