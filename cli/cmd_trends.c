/* SPDX-License-Identifier: MIT */
/* patrol trends [--venue ID] [--days N]: hits per day per venue and category (crawler/trends.h)
 * as a small terminal chart of UTF-8 block characters, or --json with the numbers.
 */
#include "cli/cli.h"

#include "common/clock.h"
#include "common/err.h"
#include "common/i18n.h"
#include "crawler/trends.h"
#include "index/store.h"

#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cmd_trends(struct cli *cli, int argc, char **argv);

static const char *const trends_help = N_(
	"usage: patrol trends [--venue ID] [--days N]\n"
	"\n"
	"Hits per day (UTC, by when each hit was first seen) for each venue and category over the\n"
	"last N days (default 14, at most 366), today last, as a chart of block characters scaled\n"
	"to the series' busiest day; --json prints {\"venue\", \"category\", \"first_day\",\n"
	"\"counts\"} per series. Early warning compares today with these series "
	"(docs/alerts.md).\n");

static void chart(const struct trends_series *s, size_t n)
{
	static const char *const blocks[] = {" ", "▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"};
	uint32_t max = 0;
	uint64_t total = 0;
	for (size_t i = 0; i < n; i++) {
		max = s->counts[i] > max ? s->counts[i] : max;
		total += s->counts[i];
	}
	printf("%-20s %-28s ", s->venue, s->category);
	for (size_t i = 0; i < n; i++) {
		unsigned level = max ? (unsigned)((s->counts[i] * 8ull + max - 1) / max) : 0;
		fputs(blocks[level > 8 ? 8 : level], stdout);
	}
	printf(_(" today %u, total %llu, max %u\n"), s->counts[n - 1], (unsigned long long)total,
	       max);
}

static int print_json(const struct trends *t)
{
	char day[32];
	clock_iso8601(t->first_day * 86400, day, sizeof(day));
	day[10] = '\0';
	for (size_t i = 0; i < t->n; i++) {
		json_t *counts = json_array();
		for (size_t d = 0; counts && d < t->ndays; d++)
			json_array_append_new(counts, json_integer(t->series[i].counts[d]));
		json_t *o = json_pack("{s:s,s:s,s:s,s:o}", "venue", t->series[i].venue, "category",
				      t->series[i].category, "first_day", day, "counts", counts);
		char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
		json_decref(o);
		if (!s)
			return -ENOMEM;
		puts(s);
		free(s);
	}
	return 0;
}

int cmd_trends(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{"venue", required_argument, NULL, 'V'},
		{"days", required_argument, NULL, 'd'},
		{"help", no_argument, NULL, 'h'},
		{0, 0, 0, 0},
	};
	const char *venue = NULL;
	long long days = 14;
	int c;
	optind = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (c == 'h') {
			fputs(_(trends_help), stdout);
			return CLI_OK;
		} else if (c == 'V') {
			venue = optarg;
		} else if (c == 'd') {
			if ((days = cli_parse_count("trends", "--days", optarg)) < 0)
				return CLI_USAGE;
		} else {
			return cli_usage_error("trends", _("unknown option"));
		}
	}
	if (optind < argc)
		return cli_usage_error("trends", _("unexpected argument '%s'"), argv[optind]);
	if (days < 1 || days > TRENDS_MAX_DAYS)
		return cli_usage_error("trends", _("--days must be 1 to %d"), TRENDS_MAX_DAYS);
	struct store *store = NULL;
	struct trends t;
	if (cli_store_open_existing(cli->db, &store) != 0)
		return CLI_FAIL;
	int rc = trends_collect(store, venue, (unsigned)days, clock_wall(), &t);
	store_close(store);
	if (rc) {
		cli_error(_("cannot read the hits of %s: %s"), cli->db, err_text(rc));
		return CLI_FAIL;
	}
	if (cli->json)
		rc = print_json(&t);
	else if (t.n == 0 && !cli->quiet) {
		if (venue)
			printf(_("no hits in the last %lld days for venue %s\n"), days, venue);
		else
			printf(_("no hits in the last %lld days\n"), days);
	}
	for (size_t i = 0; !cli->json && !cli->quiet && i < t.n; i++)
		chart(&t.series[i], t.ndays);
	if (t.dropped && !cli->quiet)
		fprintf(stderr,
			_("patrol: %llu hits in venue and category pairs past the first %d "
			  "not shown\n"),
			(unsigned long long)t.dropped, TRENDS_MAX_SERIES);
	trends_done(&t);
	return rc ? CLI_FAIL : CLI_OK;
}
