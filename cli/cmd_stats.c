/* SPDX-License-Identifier: MIT */
/* patrol stats: what the store holds: pages, hits, the crawl frontier, and the hits counted per
 * status, venue and rule (one walk over the hits in short read transactions; at most
 * STATS_KEYS distinct names per table, the rest counted as "(other)"); then the last
 * STATS_RUNS crawls and scheduled runs from the runs database.
 */
#include "cli/cli.h"
#include "cli/timezone.h"

#include "common/clock.h"
#include "common/err.h"
#include "common/i18n.h"
#include "index/store.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STATS_KEYS 4096 /* distinct venues or rules counted by name; a hostile store has more */
#define STATS_RUNS 10	/* last runs shown */

static const char *const stats_help = N_(
	"usage: patrol stats\n"
	"\n"
	"Count what the store (--db) holds: pages, hits, and the URLs the crawl frontier still "
	"has\n"
	"queued or leased (an unfinished crawl, which the next 'patrol crawl' resumes); then the\n"
	"hits per status, per venue and per rule; then the last 10 crawls and scheduled runs\n"
	"(patrol crawl, patrol run): when, exit status, and each venue's summary. With the global\n"
	"--json, one object with \"by_status\", \"by_venue\", \"by_rule\" and \"last_runs\".\n");

struct count {
	char *name;
	uint64_t n;
};

/* A table sorted by name, so each hit costs a binary search. */
struct table {
	struct count *c;
	size_t n, cap;
	uint64_t other;
};

static int cmp_count(const void *key, const void *elem)
{
	return strcmp(key, ((const struct count *)elem)->name);
}

static int table_add(struct table *t, const char *name)
{
	struct count *at = t->n ? bsearch(name, t->c, t->n, sizeof(*t->c), cmp_count) : NULL;
	if (at) {
		at->n++;
		return 0;
	}
	if (t->n == STATS_KEYS) {
		t->other++;
		return 0;
	}
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 16;
		struct count *c = realloc(t->c, cap * sizeof(*c));
		if (!c)
			return -ENOMEM;
		t->c = c;
		t->cap = cap;
	}
	size_t i = 0;
	while (i < t->n && strcmp(t->c[i].name, name) < 0)
		i++;
	char *copy = strdup(name);
	if (!copy)
		return -ENOMEM;
	memmove(t->c + i + 1, t->c + i, (t->n - i) * sizeof(*t->c));
	t->c[i] = (struct count){copy, 1};
	t->n++;
	return 0;
}

static void table_done(struct table *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->c[i].name);
	free(t->c);
}

struct tables {
	struct table status, venue, rule;
};

static int count_hit(const struct store_hit *h, void *ud)
{
	struct tables *t = ud;
	int rc = table_add(&t->status, h->status);
	if (!rc)
		rc = table_add(&t->venue, h->venue[0] ? h->venue : "(none)");
	if (!rc)
		rc = table_add(&t->rule, h->rule);
	return rc;
}

static json_t *table_json(const struct table *t)
{
	json_t *o = json_object();
	for (size_t i = 0; o && i < t->n; i++)
		json_object_set_new(o, t->c[i].name, json_integer((json_int_t)t->c[i].n));
	if (o && t->other)
		json_object_set_new(o, "(other)", json_integer((json_int_t)t->other));
	return o;
}

static void table_print(const char *title, const struct table *t)
{
	if (!t->n)
		return;
	printf(_("hits by %s:\n"), title);
	for (size_t i = 0; i < t->n; i++)
		printf("  %-40s %llu\n", t->c[i].name, (unsigned long long)t->c[i].n);
	if (t->other)
		printf("  %-40s %llu\n", "(other)", (unsigned long long)t->other);
}

/* One run as {"id", "kind", "started", "ended", "status", "shard", "venues": [summary...]},
 * each summary with "complete" added; a summary that is not JSON (a damaged store) is null. */
static int run_json(const struct store_run *r, void *ud)
{
	json_t *venues = json_array();
	char started[32], ended[32];
	for (size_t i = 0; venues && i < r->nvenues; i++) {
		json_t *v = json_loads(r->venues[i].summary, 0, NULL);
		if (json_is_object(v))
			json_object_set_new(v, "complete", json_boolean(r->venues[i].complete));
		json_array_append_new(venues, v ? v : json_null());
	}
	json_t *o = json_pack("{sI ss ss ss si ss so}", "id", (json_int_t)r->id, "kind", r->kind,
			      "started", clock_iso8601(r->started, started, sizeof(started)),
			      "ended", clock_iso8601(r->ended, ended, sizeof(ended)), "status",
			      r->status, "shard", r->shard, "venues", venues);
	return o && json_array_append_new(ud, o) == 0 ? 0 : -ENOMEM;
}

static void runs_print(json_t *runs)
{
	size_t i, k;
	json_t *r, *v;
	char started[CLOCK_LOCAL_LEN], ended[CLOCK_LOCAL_LEN];
	if (json_array_size(runs))
		printf(_("last runs:\n"));
	json_array_foreach(runs, i, r) {
		printf("  #%lld %s %s to %s, exit %lld%s%s\n",
		       (long long)json_integer_value(json_object_get(r, "id")),
		       json_string_value(json_object_get(r, "kind")),
		       cli_time_iso(json_string_value(json_object_get(r, "started")), started,
				    sizeof(started)),
		       cli_time_iso(json_string_value(json_object_get(r, "ended")), ended,
				    sizeof(ended)),
		       (long long)json_integer_value(json_object_get(r, "status")),
		       json_string_length(json_object_get(r, "shard")) ? ", shard " : "",
		       json_string_value(json_object_get(r, "shard")));
		json_array_foreach(json_object_get(r, "venues"), k, v) {
			if (!json_is_object(v))
				continue;
			printf(_("    %s: %lld pages, %lld new hits, %.1f s%s\n"),
			       json_string_value(json_object_get(v, "venue")),
			       (long long)json_integer_value(json_object_get(v, "pages")),
			       (long long)json_integer_value(json_object_get(v, "hits_new")),
			       json_number_value(json_object_get(v, "seconds")),
			       json_is_true(json_object_get(v, "complete")) ? "" : _(" (not complete)"));
		}
	}
}

static void stats_print(const struct cli *cli, const struct store_stats *s, uint64_t queued,
			uint64_t leased, const struct tables *t, json_t *runs)
{
	if (cli->json) {
		json_t *o = json_pack("{sI sI sI sI so so so sO}", "pages", (json_int_t)s->pages,
				      "hits", (json_int_t)s->hits, "queued", (json_int_t)queued,
				      "leased", (json_int_t)leased, "by_status",
				      table_json(&t->status), "by_venue", table_json(&t->venue),
				      "by_rule", table_json(&t->rule), "last_runs", runs);
		char *text = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
		if (text)
			puts(text);
		free(text);
		json_decref(o);
		return;
	}
	printf("pages:  %llu\nhits:   %llu\nqueued: %llu\nleased: %llu\n",
	       (unsigned long long)s->pages, (unsigned long long)s->hits,
	       (unsigned long long)queued, (unsigned long long)leased);
	table_print("status", &t->status);
	table_print("venue", &t->venue);
	table_print("rule", &t->rule);
	runs_print(runs);
}

int cmd_stats(struct cli *cli, int argc, char **argv)
{
	if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		fputs(_(stats_help), stdout);
		return CLI_OK;
	}
	if (argc > 1)
		return cli_usage_error("stats", _("unexpected argument '%s'"), argv[1]);
	struct store *store;
	if (cli_store_open_existing(cli->db, &store) != 0)
		return CLI_FAIL;
	struct store_stats s;
	struct store_hit_query q;
	struct tables t = {0};
	uint64_t queued = 0, leased = 0;
	store_hit_query_init(&q);
	q.order = STORE_ORDER_OLDEST;
	int rc = store_stats_get(store, &s);
	if (rc == 0)
		rc = store_frontier_count(store, &queued, &leased);
	if (rc == 0)
		rc = store_hits_query(store, &q, count_hit, &t);
	json_t *runs = json_array();
	if (rc == 0)
		rc = runs ? store_runs_last(store, STATS_RUNS, run_json, runs) : -ENOMEM;
	store_close(store);
	if (rc) {
		cli_error(_("cannot read %s: %s"), cli->db, err_text(rc));
	} else {
		stats_print(cli, &s, queued, leased, &t, runs);
	}
	json_decref(runs);
	table_done(&t.status);
	table_done(&t.venue);
	table_done(&t.rule);
	return rc ? CLI_FAIL : CLI_OK;
}
