/* SPDX-License-Identifier: MIT */
/* Unit tests of crawler/schedule: due times with a fake clock (every `now` is a parameter),
 * jitter bounds and stability, windows across midnight, and the shard partition.
 */
#include "common/buf.h"
#include "common/err.h"
#include "crawler/schedule.h"
#include "crawler/venue.h"

#include <setjmp.h> /* cmocka needs these first */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#define T0 1796083200 /* 2026-12-01T00:00:00Z */
#define H  3600

static struct venue_registry *load(const char *schedule)
{
	char yaml[1024];
	snprintf(yaml, sizeof(yaml),
		 "venues:\n  - id: v1\n    name: V\n    seeds: ['https://a.example/']\n"
		 "    schedule: %s\n",
		 schedule);
	struct venue_registry *r = NULL;
	struct buf errors;
	buf_init(&errors, 1 << 16);
	int rc = venue_registry_load_mem("patrol.yaml", yaml, strlen(yaml), &r, &errors);
	if (rc)
		fprintf(stderr, "%s", buf_str(&errors));
	assert_int_equal(rc, 0);
	buf_done(&errors);
	return r;
}

static void test_every(void **state)
{
	(void)state;
	struct venue_registry *r = load("{every: 6h}");
	const struct venue *v = venue_registry_get(r, 0);
	struct schedule_decision d;
	schedule_decide(v, 0, T0, &d); /* never crawled: due at once */
	assert_int_equal(d.verdict, SCHEDULE_DUE);
	assert_int_equal(d.due_at, 0);
	schedule_decide(v, T0, T0 + 6 * H - 1, &d);
	assert_int_equal(d.verdict, SCHEDULE_WAIT);
	assert_int_equal(d.due_at, T0 + 6 * H);
	schedule_decide(v, T0, T0 + 6 * H, &d);
	assert_int_equal(d.verdict, SCHEDULE_DUE);
	schedule_decide(v, T0, T0 + 100 * H, &d); /* long overdue: still just due */
	assert_int_equal(d.verdict, SCHEDULE_DUE);
	assert_int_equal(d.last_run, T0);
	venue_registry_free(r);

	r = load("{every: 1d}");
	struct venue_registry *none = NULL;
	const char *yaml = "venues:\n  - id: v2\n    name: V\n    seeds: ['https://b.example/']\n";
	assert_int_equal(venue_registry_load_mem("p.yaml", yaml, strlen(yaml), &none, NULL), 0);
	schedule_decide(venue_registry_get(none, 0), 0, T0, &d);
	assert_int_equal(d.verdict, SCHEDULE_UNSCHEDULED);
	venue_registry_free(none);
	venue_registry_free(r);
}

static void test_jitter(void **state)
{
	(void)state;
	struct venue_registry *r = load("{every: 6h, jitter: 10m}");
	const struct venue *v = venue_registry_get(r, 0);
	assert_int_equal(v->jitter_s, 600);
	bool differs = false;
	int64_t first = schedule_jitter(v, T0);
	for (int64_t i = 0; i < 200; i++) {
		int64_t j = schedule_jitter(v, T0 + i * 97);
		assert_true(j >= 0 && j <= 600);
		assert_int_equal(j, schedule_jitter(v, T0 + i * 97)); /* stable */
		differs |= j != first;
	}
	assert_true(differs); /* it does spread */
	struct schedule_decision d;
	int64_t j = schedule_jitter(v, T0);
	schedule_decide(v, T0, T0 + 6 * H + j - 1, &d);
	assert_int_equal(d.verdict, SCHEDULE_WAIT);
	assert_int_equal(d.jitter_s, j);
	schedule_decide(v, T0, T0 + 6 * H + j, &d);
	assert_int_equal(d.verdict, SCHEDULE_DUE);
	venue_registry_free(r);
}

static void test_window(void **state)
{
	(void)state;
	struct venue_registry *r = load("{every: 1h, window: ['22:00-06:00', '12:00-12:30']}");
	const struct venue *v = venue_registry_get(r, 0);
	assert_int_equal(v->nwindows, 2);
	assert_int_equal(v->windows[0].start_min, 22 * 60);
	assert_int_equal(v->windows[0].end_min, 6 * 60);
	struct schedule_decision d;
	int64_t opens = 0;
	assert_true(schedule_in_window(v, T0 + 23 * H, NULL));	     /* 23:00 */
	assert_true(schedule_in_window(v, T0 + 5 * H + 3599, NULL)); /* 05:59:59 */
	assert_false(schedule_in_window(v, T0 + 6 * H, &opens));     /* 06:00: end excluded */
	assert_int_equal(opens, T0 + 12 * H);
	assert_true(schedule_in_window(v, T0 + 12 * H + 1799, NULL));
	assert_false(schedule_in_window(v, T0 + 13 * H, &opens));
	assert_int_equal(opens, T0 + 22 * H);
	schedule_decide(v, T0 - 10 * H, T0 + 7 * H, &d); /* overdue at 07:00 */
	assert_int_equal(d.verdict, SCHEDULE_WINDOW);
	assert_int_equal(d.opens_at, T0 + 12 * H);
	schedule_decide(v, T0 - 10 * H, T0 + 22 * H, &d);
	assert_int_equal(d.verdict, SCHEDULE_DUE);
	schedule_decide(v, T0 + 21 * H + 1800, T0 + 22 * H, &d); /* in a window, not due yet */
	assert_int_equal(d.verdict, SCHEDULE_WAIT);
	venue_registry_free(r);

	r = load("{every: 1h, window: ['00:00-00:00']}"); /* the whole day */
	assert_true(schedule_in_window(venue_registry_get(r, 0), T0 + 17 * H, NULL));
	venue_registry_free(r);
}

static void test_errors(void **state)
{
	(void)state;
	const char *yaml = "venues:\n  - id: v1\n    name: V\n    seeds: ['https://a.example/']\n"
			   "    schedule: {every: 6h, window: ['22:00-6:00', '24:00-01:00'], "
			   "jitter: soon}\n";
	struct venue_registry *r = NULL;
	struct buf errors;
	buf_init(&errors, 1 << 16);
	assert_int_equal(venue_registry_load_mem("p.yaml", yaml, strlen(yaml), &r, &errors),
			 ERR_PARSE);
	const char *want =
		"p.yaml:5:36: a 'window' must be \"HH:MM-HH:MM\" in UTC (such as \"22:00-06:00\"), "
		"not '22:00-6:00'\n"
		"p.yaml:5:50: a 'window' must be \"HH:MM-HH:MM\" in UTC (such as \"22:00-06:00\"), "
		"not '24:00-01:00'\n"
		"p.yaml:5:74: 'jitter' must be a duration from 0s to 366d: a whole number and s, "
		"m, "
		"h or d (such as 10m)\n";
	if (strcmp(buf_str(&errors), want) != 0)
		fprintf(stderr, "got:\n%s", buf_str(&errors));
	assert_string_equal(buf_str(&errors), want);
	buf_done(&errors);
}

static void test_shard(void **state)
{
	(void)state;
	char id[32];
	unsigned count[4] = {0};
	for (int i = 0; i < 400; i++) {
		snprintf(id, sizeof(id), "venue-%d", i);
		unsigned k = schedule_shard(id, 4);
		assert_true(k < 4);
		assert_int_equal(k, schedule_shard(id, 4)); /* stable */
		assert_int_equal(schedule_shard(id, 1), 0);
		count[k]++;
	}
	for (int k = 0; k < 4; k++) /* roughly even: 100 each, far from 0 or 400 */
		assert_true(count[k] > 50 && count[k] < 150);
	/* The first 8 bytes of SHA-256("a"), big-endian, mod N. */
	assert_int_equal(schedule_shard("a", 1000), (unsigned)(0xca978112ca1bbdcaULL % 1000));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every),  cmocka_unit_test(test_jitter),
		cmocka_unit_test(test_window), cmocka_unit_test(test_errors),
		cmocka_unit_test(test_shard),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
