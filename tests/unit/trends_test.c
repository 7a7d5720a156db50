/* SPDX-License-Identifier: MIT */
/* Tests of crawler/trends.h: the spike rule on synthetic series (factor, minimum, history
 * window, short histories), daily series from a store's hits (days, venues, categories), and
 * spike alerts through a command target, once per day.
 */
#include "common/err.h"
#include "crawler/alert.h"
#include "crawler/trends.h"
#include "crawler/venue.h"
#include "index/store.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "store_util.h"

static const struct early_warning_settings ew = {
	.spike_factor = 3.0, .spike_min_hits = 5, .history_days = 14, .drop_factor = 0.5};

static void test_spike_rule(void **state)
{
	(void)state;
	uint32_t s[15] = {2, 1, 3, 2, 2, 1, 2, 3, 2, 2, 1, 2, 3, 2, 0}; /* mean 2 */
	double mean = 0;
	s[14] = 6;
	assert_false(trends_spike(s, 15, &ew, &mean)); /* 6 is not above 3 x 2 */
	assert_true(mean > 1.99 && mean < 2.01);
	s[14] = 7;
	assert_true(trends_spike(s, 15, &ew, NULL));
	uint32_t quiet[15] = {0};
	quiet[14] = 4; /* above 3 x 0, but under the minimum of 5 */
	assert_false(trends_spike(quiet, 15, &ew, NULL));
	quiet[14] = 5;
	assert_true(trends_spike(quiet, 15, &ew, NULL));
	/* Only history_days count: a busy day 20 days ago does not raise the mean. */
	uint32_t long_s[30] = {0};
	long_s[9] = 1000;
	long_s[29] = 9;
	assert_true(trends_spike(long_s, 30, &ew, &mean));
	assert_true(mean == 0);
	long_s[20] = 1000; /* inside the window now */
	assert_false(trends_spike(long_s, 30, &ew, NULL));
	/* A short history: the mean over the days there are. */
	uint32_t short_s[3] = {4, 4, 13};
	assert_true(trends_spike(short_s, 3, &ew, &mean));
	assert_true(mean == 4);
	short_s[2] = 12;
	assert_false(trends_spike(short_s, 3, &ew, NULL));
	assert_false(trends_spike(short_s, 1, &ew, NULL));
}

#define NOW (20000 * 86400LL + 3600) /* 1 a.m. UTC on day 20000 */

/* v1 fraud/a: 1 hit a day on days 19990..19999 and 8 today; v1 hoax/b: 2 today;
 * v2 fraud/a: 1 hit 3 days ago. */
static void put_hits(struct store *s)
{
	struct store_txn *t;
	int n = 0;
	assert_int_equal(store_write_begin(s, &t), 0);
	for (int d = 19990; d <= 20000; d++) {
		int k = d == 20000 ? 8 : 1;
		for (int i = 0; i < k; i++) {
			char url[64];
			snprintf(url, sizeof(url), "https://f.example/%d", n++);
			struct store_hit h = {.rule = "r", .category = "fraud/a", .venue = "v1",
					      .url = url, .match = "m", .post = -1};
			assert_int_equal(store_hit_put(t, &h, d * 86400LL + 60 * i, NULL, NULL), 0);
		}
	}
	for (int i = 0; i < 2; i++) {
		char url[64];
		snprintf(url, sizeof(url), "https://f.example/h%d", i);
		struct store_hit h = {.rule = "r", .category = "hoax/b", .venue = "v1", .url = url,
				      .match = "m", .post = -1};
		assert_int_equal(store_hit_put(t, &h, NOW - 100, NULL, NULL), 0);
	}
	struct store_hit h = {.rule = "r", .category = "fraud/a", .venue = "v2",
			      .url = "https://g.example/", .match = "m", .post = -1};
	assert_int_equal(store_hit_put(t, &h, NOW - 3 * 86400, NULL, NULL), 0);
	assert_int_equal(store_write_commit(t), 0);
}

static int setup(void **state)
{
	if (store_fixture_setup_open(state, "trends"))
		return -1;
	put_hits(((struct store_fixture *)*state)->s);
	return 0;
}

static void test_series(void **state)
{
	struct store_fixture *f = *state;
	struct trends t;
	assert_int_equal(trends_collect(f->s, NULL, 5, NOW, &t), 0);
	assert_int_equal(t.ndays, 5);
	assert_int_equal(t.first_day, 19996);
	assert_int_equal(t.n, 3); /* sorted: v1 fraud/a, v1 hoax/b, v2 fraud/a */
	assert_string_equal(t.series[0].venue, "v1");
	assert_string_equal(t.series[0].category, "fraud/a");
	uint32_t want0[5] = {1, 1, 1, 1, 8};
	assert_memory_equal(t.series[0].counts, want0, sizeof(want0));
	assert_string_equal(t.series[1].category, "hoax/b");
	assert_int_equal(t.series[1].counts[4], 2);
	assert_string_equal(t.series[2].venue, "v2");
	assert_int_equal(t.series[2].counts[1], 1);
	trends_done(&t);
	assert_int_equal(trends_collect(f->s, "v2", 2, NOW, &t), 0);
	assert_int_equal(t.n, 0); /* its hit is older than two days */
	trends_done(&t);
	assert_int_equal(trends_collect(f->s, NULL, 0, NOW, &t), ERR_USAGE);
}

static void test_spike_alert(void **state)
{
	struct store_fixture *f = *state;
	char out[400], cmd[600];
	snprintf(out, sizeof(out), "%s/spikes", f->root);
	snprintf(cmd, sizeof(cmd), "cat >> '%s'", out);
	const char *argv[] = {"/bin/sh", "-c", cmd};
	struct alert_target t = {.id = "desk", .kind = ALERT_COMMAND, .argv = argv, .nargv = 3};
	struct alert_opts o = {.targets = &t, .ntargets = 1, .retry_ms = 10};
	const char *venues[] = {"v1", "v2"};
	struct trends_report r;
	assert_int_equal(trends_warn(f->s, venues, 2, &ew, &o, NOW, &r), 0);
	assert_int_equal(r.spikes, 1); /* v1 fraud/a: 8 > 3 x 1; hoax/b has 2 < 5 */
	assert_int_equal(r.sent, 1);
	assert_int_equal(r.dark, 0); /* no runs recorded */
	assert_int_equal(trends_warn(f->s, venues, 2, &ew, &o, NOW + 60, &r), 0);
	assert_int_equal(r.spikes, 1);
	assert_int_equal(r.sent, 0); /* once a day */
	FILE *fp = fopen(out, "r");
	assert_non_null(fp);
	char buf[2048];
	size_t n = fread(buf, 1, sizeof(buf) - 1, fp);
	fclose(fp);
	buf[n] = '\0';
	assert_non_null(strstr(buf, "\"kind\":\"spike\""));
	assert_non_null(strstr(buf, "\"category\":\"fraud/a\""));
	assert_null(strstr(buf, "hoax/b"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spike_rule),
		cmocka_unit_test_setup_teardown(test_series, setup, store_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_spike_alert, setup, store_fixture_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
