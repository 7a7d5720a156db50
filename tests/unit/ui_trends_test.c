/* SPDX-License-Identifier: MIT */
/* Unit tests of the review UI's venues page charts (review/ui_trends.c) and tip form
 * (review/ui_tip.c), through ui_handle with callbacks of the test's own: hostile venue and
 * category names escaped in the SVG and the table, days with no hits, counts up to UINT32_MAX,
 * the ?days choice, the caps on lanes and series; a tip accepted under the analyst's name,
 * refused with its reason (escaped), and never submitted without the CSRF token.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "common/digest.h"
#include "common/err.h"
#include "index/store.h"
#include "review/httpd.h"
#include "review/ui.h"
#include "ui_util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DAY0 20000 /* 2024-10-04 */

/* What the fake callbacks hand out and what they were asked. */
struct fake {
	unsigned days_asked;
	size_t nseries; /* "many" series: this many venues of one category */
	int tip_rc;
	char tip_url[256], tip_note[256], tip_by[64];
	int tip_calls;
};

struct env {
	char dir[64];
	struct store *s;
	struct ui *ui;
	struct fake f;
	char cookie[128], csrf[65];
};

static int fake_trends(void *ud, unsigned days, int (*each)(const struct ui_series *, void *),
		       void *eud, uint64_t *ret_dropped)
{
	struct fake *f = ud;
	f->days_asked = days;
	static uint32_t counts[400];
	memset(counts, 0, sizeof(counts));
	counts[days - 1] = UINT32_MAX; /* today */
	counts[days - 2] = 1;
	static const uint32_t zeros[400];
	char venue[32];
	struct ui_series s[] = {
		{"\"><svg onload=alert(1)>", "<script>alert(1)</script>", counts, days, DAY0},
		{"\"><svg onload=alert(1)>", "quiet & empty", zeros, days, DAY0},
		{"v0", "no days", zeros, 0, DAY0},
		{"v1", "long", counts, 400, DAY0}, /* more days than a chart spans */
	};
	int rc = 0;
	for (size_t i = 0; i < 4 && !rc && !f->nseries; i++)
		rc = each(&s[i], eud);
	for (size_t i = 0; i < f->nseries && !rc; i++) {
		/* 20 categories for the first venue, then one venue a series. */
		snprintf(venue, sizeof(venue), "w%04zu", i < 20 ? 0 : i);
		char cat[32];
		snprintf(cat, sizeof(cat), "cat%02zu", i < 20 ? i : 0);
		struct ui_series m = {venue, cat, counts, days, DAY0};
		rc = each(&m, eud);
	}
	*ret_dropped = f->nseries ? 7 : 0;
	return rc;
}

/* The refusal's format in the analyst's language, still checked as a format. */
__attribute__((format_arg(3))) static const char *fake_text(ui_tr_fn tr, void *trud,
							    const char *msgid)
{
	return tr(trud, msgid);
}

static int fake_tip(void *ud, const char *url, const char *note, const char *by, ui_tr_fn tr,
		    void *trud, struct ui_tip_result *ret)
{
	struct fake *f = ud;
	f->tip_calls++;
	snprintf(f->tip_url, sizeof(f->tip_url), "%s", url);
	snprintf(f->tip_note, sizeof(f->tip_note), "%s", note);
	snprintf(f->tip_by, sizeof(f->tip_by), "%s", by);
	if (f->tip_rc == ERR_SCOPE)
		snprintf(ret->why, sizeof(ret->why),
			 fake_text(tr, trud, "no registered venue covers the host of %s"), url);
	if (f->tip_rc)
		return f->tip_rc;
	ret->url = strdup(url);
	ret->venue = "forum";
	ret->queued = true;
	return 0;
}

static const char token[] = "letmein-0123456789";

static int env_setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));
	snprintf(e->dir, sizeof(e->dir), "/tmp/patrol-ui-trends-test.XXXXXX");
	assert_non_null(mkdtemp(e->dir));
	char err[256];
	assert_int_equal(store_open(e->dir, &e->s, err, sizeof(err)), 0);
	uint8_t h[32];
	digest_sha256(token, strlen(token), h);
	assert_int_equal(store_user_add(e->s, "alice", h, time(NULL)), 0);
	struct ui_opts o = {
		.store = e->s, .trends_fn = fake_trends, .tip_fn = fake_tip, .ud = &e->f};
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

/* One request with the session (once logged in); query and form are urlencoded. */
static struct httpd_response call(struct env *e, const char *method, const char *path,
				  const char *query, const char *form)
{
	struct ui_util_req req = {method, path, query, form, e->cookie[0] ? e->cookie : NULL, NULL};
	return ui_util_call(e->ui, &req);
}

static void login(struct env *e)
{
	char form[128];
	snprintf(form, sizeof(form), "name=alice&token=%s", token);
	struct httpd_response r = call(e, "POST", "/login", NULL, form);
	assert_int_equal(r.status, 303);
	assert_int_equal(ui_util_session(&r, e->cookie, e->csrf), 0);
	ui_util_resp_free(&r);
}

static bool has(const struct httpd_response *r, const char *s)
{
	return memmem(r->body, r->len, s, strlen(s)) != NULL;
}

static size_t count(const struct httpd_response *r, const char *s)
{
	size_t n = 0;
	for (const char *p = r->body, *end = p + r->len;
	     (p = memmem(p, (size_t)(end - p), s, strlen(s))) != NULL; p++)
		n++;
	return n;
}

static void charts_escape_and_scale(void **state)
{
	struct env *e = *state;
	login(e);
	struct httpd_response r = call(e, "GET", "/venues", NULL, NULL);
	assert_int_equal(r.status, 200);
	assert_int_equal(e->f.days_asked, 30);
	/* Nothing hostile gets through, in the SVG's text, titles or the table. */
	assert_false(has(&r, "<script>alert"));
	assert_false(has(&r, "<svg onload"));
	assert_true(has(&r, "&lt;script&gt;alert(1)&lt;/script&gt;"));
	assert_true(has(&r, "&quot;&gt;&lt;svg onload=alert(1)&gt;"));
	assert_true(has(&r, "quiet &amp; empty"));
	/* Three venues drawn, each an SVG with a title and a table. */
	assert_int_equal(count(&r, "<svg class=\"trend\" role=\"img\""), 3);
	assert_int_equal(count(&r, "<details><summary>"), 3);
	/* The busiest day fills the lane and a day with one hit still shows (a pixel at least);
	 * the empty series draws no bar, and neither does the series of no days. */
	assert_true(has(&r, "today 4294967295, max 4294967295"));
	assert_true(has(&r, "height=\"16.00\"><title>2024-11-02: 4294967295</title>"));
	assert_true(has(&r, "height=\"1.00\"><title>2024-11-01: 1</title>"));
	assert_true(has(&r, "today 0, max 0"));
	assert_int_equal(count(&r, "<td class=\"n\">4294967295</td>"), 1);
	/* A 400-day series keeps its last UI_TRENDS_DAYS_MAX days, today last. */
	assert_true(has(&r, "venue v1, 2025-08-10 to 2025-11-07 (UTC)"));
	assert_false(has(&r, "2024-10-04: "));
	ui_util_resp_free(&r);
}

static void days_are_chosen(void **state)
{
	struct env *e = *state;
	login(e);
	static const char *const qs[][2] = {{"days=7", "7"},	{"days=90", "90"},
					    {"days=abc", "30"}, {"days=366", "30"},
					    {"days=-1", "30"},	{"days=", "30"}};
	for (size_t i = 0; i < sizeof(qs) / sizeof(qs[0]); i++) {
		struct httpd_response r = call(e, "GET", "/venues", qs[i][0], NULL);
		assert_int_equal(r.status, 200);
		assert_int_equal(e->f.days_asked, (unsigned)atoi(qs[i][1]));
		char on[96];
		snprintf(on, sizeof(on), "days=%s#trends\" class=\"on\" aria-current=\"page\">",
			 qs[i][1]);
		assert_true(has(&r, on));
		ui_util_resp_free(&r);
	}
}

static void charts_are_capped(void **state)
{
	struct env *e = *state;
	login(e);
	e->f.nseries = 2000;
	struct httpd_response r = call(e, "GET", "/venues", "days=90", NULL);
	assert_int_equal(r.status, 200);
	/* 16 lanes of the first venue, 4 more categories counted; 512 series on the page. */
	assert_true(has(&r, "4 more categories with 17179869184 hits are not charted."));
	assert_true(has(&r, "1484 more series are not charted"));
	assert_true(has(&r, "7 hits in venue and category pairs"));
	assert_int_equal(count(&r, "<svg class=\"trend\""), 1 + (512 - 16));
	assert_true(r.len < (8u << 20));
	ui_util_resp_free(&r);
}

static void tips_are_submitted_by_the_analyst(void **state)
{
	struct env *e = *state;
	login(e);
	struct httpd_response r = call(e, "GET", "/venues", NULL, NULL);
	assert_true(has(&r, "<form class=\"tip\" method=\"post\" action=\"/tip\">"));
	ui_util_resp_free(&r);
	r = call(e, "GET", "/tip", NULL, NULL);
	assert_int_equal(r.status, 200);
	assert_true(has(&r, e->csrf));
	ui_util_resp_free(&r);
	/* No CSRF token, or a wrong one: refused before the callback. */
	r = call(e, "POST", "/tip", NULL, "url=http%3A%2F%2Fforum.test%2Fa&note=x");
	assert_int_equal(r.status, 403);
	ui_util_resp_free(&r);
	r = call(e, "POST", "/tip", NULL, "csrf=00&url=http%3A%2F%2Fforum.test%2Fa");
	assert_int_equal(r.status, 403);
	ui_util_resp_free(&r);
	assert_int_equal(e->f.tip_calls, 0);
	char form[256];
	snprintf(form, sizeof(form), "csrf=%s&url=http%%3A%%2F%%2Fforum.test%%2Fa&note=seen+it",
		 e->csrf);
	r = call(e, "POST", "/tip", NULL, form);
	assert_int_equal(r.status, 200);
	assert_int_equal(e->f.tip_calls, 1);
	assert_string_equal(e->f.tip_by, "alice");
	assert_string_equal(e->f.tip_note, "seen it");
	assert_true(has(&r, "Queued http://forum.test/a (venue forum) for a priority check"));
	ui_util_resp_free(&r);
	/* A refusal names its reason, escaped, and keeps what was typed. */
	e->f.tip_rc = ERR_SCOPE;
	snprintf(form, sizeof(form), "csrf=%s&url=http%%3A%%2F%%2F%%3Cb%%3E.test%%2F&note=n",
		 e->csrf);
	r = call(e, "POST", "/tip", NULL, form);
	assert_int_equal(r.status, 422);
	assert_true(
		has(&r, "Refused: no registered venue covers the host of http://&lt;b&gt;.test/"));
	assert_true(has(&r, "value=\"http://&lt;b&gt;.test/\""));
	assert_false(has(&r, "<b>"));
	ui_util_resp_free(&r);
	/* No URL; and a store failure is an error page, not an acceptance. */
	snprintf(form, sizeof(form), "csrf=%s&url=", e->csrf);
	r = call(e, "POST", "/tip", NULL, form);
	assert_int_equal(r.status, 400);
	ui_util_resp_free(&r);
	e->f.tip_rc = ERR_STORE;
	snprintf(form, sizeof(form), "csrf=%s&url=http%%3A%%2F%%2Fforum.test%%2Fb", e->csrf);
	r = call(e, "POST", "/tip", NULL, form);
	assert_int_equal(r.status, 500);
	assert_false(has(&r, "Queued"));
	ui_util_resp_free(&r);
}

static void without_callbacks_nothing_shows(void **state)
{
	struct env *e = *state;
	ui_free(e->ui);
	struct ui_opts o = {.store = e->s};
	assert_int_equal(ui_new(&o, &e->ui), 0);
	login(e);
	struct httpd_response r = call(e, "GET", "/venues", NULL, NULL);
	assert_int_equal(r.status, 200);
	assert_false(has(&r, "id=\"trends\""));
	assert_false(has(&r, "action=\"/tip\""));
	ui_util_resp_free(&r);
	r = call(e, "GET", "/tip", NULL, NULL);
	assert_int_equal(r.status, 404);
	ui_util_resp_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(charts_escape_and_scale, env_setup, env_teardown),
		cmocka_unit_test_setup_teardown(days_are_chosen, env_setup, env_teardown),
		cmocka_unit_test_setup_teardown(charts_are_capped, env_setup, env_teardown),
		cmocka_unit_test_setup_teardown(tips_are_submitted_by_the_analyst, env_setup,
						env_teardown),
		cmocka_unit_test_setup_teardown(without_callbacks_nothing_shows, env_setup,
						env_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
