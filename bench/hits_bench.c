/* SPDX-License-Identifier: MIT */
/* hits_bench: the review queue's latency on a big store. Fills a store with N synthetic hits
 * through the store API (store_hit_put in batches, as the crawler's writer does; every 20th hit
 * reviewed to another status through store_review_set, so the index has several statuses), then
 * times store_hits_query for "--status new --limit 50" (newest first), cold (just opened) and
 * warm, and a few other listings. The store stays in DIR for `patrol --db DIR hits ...`.
 *
 *   hits_bench DIR [N]     (N defaults to 1,000,000; DIR must not hold a store yet)
 */
#include "common/clock.h"
#include "common/err.h"
#include "index/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BATCH 10000

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int fill(struct store *s, long n)
{
	static const char *const sev[] = {"critical", "high", "medium", "low"};
	static const char *const to[] = {"confirmed", "dismissed", "escalated"};
	for (long i = 0; i < n;) {
		struct store_txn *t;
		int rc = store_write_begin(s, &t);
		for (long end = i + BATCH; !rc && i < n && i < end; i++) {
			char rule[32], url[96], match[48], snippet[160];
			snprintf(rule, sizeof(rule), "fraud.bench.r%ld", i % 97);
			snprintf(url, sizeof(url), "https://bbs.example.com/thread-%ld-1.html",
				 i / 3);
			snprintf(match, sizeof(match), "加微信 wx%08ld", i);
			snprintf(snippet, sizeof(snippet), "兼职刷单，日结佣金，%s 详聊", match);
			struct store_hit h = {.rule = rule,
					      .pack = "bench",
					      .category = "fraud/bench",
					      .severity = sev[i % 4],
					      .venue = "bbs",
					      .url = url,
					      .field = "body",
					      .post = -1,
					      .match = match,
					      .snippet = snippet};
			uint64_t id;
			rc = store_hit_put(t, &h, 1700000000 + i, &id, NULL);
			if (!rc && i % 20 == 0)
				rc = store_review_set(t, id, to[(i / 20) % 3], "bench", NULL,
						      1800000000, NULL);
		}
		if (rc) {
			store_write_abort(t);
			fprintf(stderr, "hits_bench: fill: %s\n", err_str(rc));
			return rc;
		}
		if ((rc = store_write_commit(t)))
			return rc;
	}
	return 0;
}

static int count_hit(const struct store_hit *h, void *ud)
{
	(void)h;
	(*(long *)ud)++;
	return 0;
}

static void timed(struct store *s, const char *label, const struct store_hit_query *q, int reps)
{
	double best = 1e18, first = 0;
	long got = 0;
	for (int r = 0; r < reps; r++) {
		got = 0;
		double t0 = now_ms();
		int rc = store_hits_query(s, q, count_hit, &got);
		double ms = now_ms() - t0;
		if (rc)
			fprintf(stderr, "hits_bench: %s: %s\n", label, err_str(rc));
		if (r == 0)
			first = ms;
		if (ms < best)
			best = ms;
	}
	printf("%-44s %7ld hits  first %9.3f ms  best of %d %9.3f ms\n", label, got, first, reps,
	       best);
}

int main(int argc, char **argv)
{
	char err[512];
	struct store *s;
	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: hits_bench DIR [N]\n");
		return 2;
	}
	long n = argc == 3 ? atol(argv[2]) : 1000000;
	if (store_open(argv[1], &s, err, sizeof(err))) {
		fprintf(stderr, "hits_bench: %s\n", err);
		return 1;
	}
	struct store_stats st;
	if (store_stats_get(s, &st) == 0 && st.hits == 0) {
		double t0 = now_ms();
		if (fill(s, n))
			return 1;
		double ms = now_ms() - t0;
		printf("filled %ld hits in %.1f s (%.0f hits/s, batches of %d)\n", n, ms / 1e3,
		       n / (ms / 1e3), BATCH);
		store_close(s);
		if (store_open(argv[1], &s, err, sizeof(err)))
			return 1;
	}
	struct store_hit_query q;
	store_hit_query_init(&q);
	q.status = "new";
	q.limit = 50;
	timed(s, "--status new --limit 50 (newest)", &q, 20);
	q.order = STORE_ORDER_OLDEST;
	timed(s, "--status new --limit 50 --sort oldest", &q, 20);
	q.order = STORE_ORDER_SEVERITY;
	timed(s, "--status new --limit 50 --sort severity", &q, 5);
	store_hit_query_init(&q);
	q.status = "escalated";
	q.since = 1700000000 + n / 2;
	timed(s, "--status escalated --since (half) (all)", &q, 3);
	store_hit_query_init(&q);
	q.limit = 50;
	timed(s, "--limit 50 (no status: by id)", &q, 20);
	store_hit_query_init(&q);
	q.venue = "nosuch";
	timed(s, "--venue nosuch (a full walk)", &q, 1);
	store_close(s);
	return 0;
}
