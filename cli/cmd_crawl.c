/* SPDX-License-Identifier: MIT */
/* patrol crawl: crawl a site from a seed into the store and report per-venue stats. */
#include "cli/cli.h"

#include "crawler/crawl.h"
#include "index/store.h"
#include "rules/rules.h"

#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>

#define CRAWL_MAX_RULE_PATHS 64

static const char crawl_help[] =
	"usage: patrol crawl --seed URL [options]\n"
	"\n"
	"Crawl the seed's site breadth-first (same scheme, host and port only), match every HTML\n"
	"page against the rule packs, and store pages and hits in the store (--db).\n"
	"Running it again on the same store adds no duplicate hit.\n"
	"\n"
	"  --seed URL          where to start (http or https)\n"
	"  --max-pages N       stop after N fetches (default: no limit)\n"
	"  --connections N     transfers in flight (default 4)\n"
	"  --rules PATH        a rule pack file or directory; repeatable (default: the shipped packs)\n"
	"  --venue ID          the venue id recorded with pages and hits (default: adhoc)\n"
	"  --user-agent UA     the User-Agent, with a contact URL of the operator\n"
	"  --allow-private     allow loopback and private addresses (tests, local sites)\n"
	"  --max-body BYTES    largest body kept (default 10 MiB)\n";

static void crawl_print_event(const struct crawl_event *ev, void *ud)
{
	const struct cli *cli = ud;
	if (!cli->verbose)
		return;
	fprintf(stderr, "%-10s %3ld %s%s%s", crawl_outcome_name(ev->outcome), ev->status, ev->url,
		ev->detail[0] ? "  " : "", ev->detail);
	if (ev->hits)
		fprintf(stderr, "  (%zu hits)", ev->hits);
	fputc('\n', stderr);
}

static void crawl_print_summary(const struct cli *cli, const char *venue,
				const struct crawl_stats *s)
{
	if (cli->json) {
		json_t *oc = json_object();
		for (int i = 0; i < CRAWL_OUTCOME_COUNT; i++)
			json_object_set_new(oc, crawl_outcome_name(i), json_integer((json_int_t)s->outcomes[i]));
		json_t *o = json_pack("{ss sI sI so sI sI sI sf}", "venue", venue, "pages",
				      (json_int_t)s->pages, "bytes", (json_int_t)s->bytes, "outcomes",
				      oc, "robots_blocked", (json_int_t)s->robots_blocked, "off_venue",
				      (json_int_t)s->off_site, "hits_new", (json_int_t)s->hits_new,
				      "seconds", (double)s->elapsed_ms / 1000.0);
		char *text = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER |
						JSON_REAL_PRECISION(6)) : NULL;
		if (text)
			puts(text);
		free(text);
		json_decref(o);
		return;
	}
	if (cli->quiet)
		return;
	printf("%s: %llu pages, %llu fetches, %llu hits (%llu new), %llu off-site links skipped, "
	       "%.2f s\n",
	       venue, (unsigned long long)s->pages, (unsigned long long)s->fetched,
	       (unsigned long long)s->hits, (unsigned long long)s->hits_new,
	       (unsigned long long)s->off_site, (double)s->elapsed_ms / 1000.0);
	for (int i = 1; i < CRAWL_OUTCOME_COUNT; i++)
		if (s->outcomes[i])
			printf("  %s: %llu\n", crawl_outcome_name(i),
			       (unsigned long long)s->outcomes[i]);
}

/* Parses crawl's options into o and the rule paths; returns -1 to go on, else an exit status. */
static int crawl_parse(int argc, char **argv, struct crawl_opts *o, const char **paths,
		       size_t *npaths)
{
	static const struct option opts[] = {
		{"seed", required_argument, NULL, 's'},       {"max-pages", required_argument, NULL, 'm'},
		{"connections", required_argument, NULL, 'c'}, {"rules", required_argument, NULL, 'r'},
		{"venue", required_argument, NULL, 'V'},      {"user-agent", required_argument, NULL, 'u'},
		{"allow-private", no_argument, NULL, 'p'},    {"max-body", required_argument, NULL, 'b'},
		{"help", no_argument, NULL, 'h'},             {0, 0, 0, 0},
	};
	int c;
	long long v;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 's': o->seed = optarg; break;
		case 'V': o->venue = optarg; break;
		case 'u': o->user_agent = optarg; break;
		case 'p': o->allow_private = true; break;
		case 'r':
			if (*npaths == CRAWL_MAX_RULE_PATHS)
				return cli_usage_error("crawl", "too many --rules");
			paths[(*npaths)++] = optarg;
			break;
		case 'm':
		case 'c':
		case 'b':
			if ((v = cli_parse_count("crawl", argv[optind - 1], optarg)) < 0)
				return CLI_USAGE;
			if (c == 'm')
				o->max_pages = (size_t)v;
			else if (c == 'b')
				o->max_body = (size_t)v;
			else if (v < 1 || v > 1024)
				return cli_usage_error("crawl", "--connections wants 1 to 1024");
			else
				o->connections = (unsigned)v;
			break;
		case 'h': fputs(crawl_help, stdout); return CLI_OK;
		default: return cli_usage_error("crawl", "unknown option");
		}
	}
	if (optind < argc)
		return cli_usage_error("crawl", "unexpected argument '%s'", argv[optind]);
	if (!o->seed)
		return cli_usage_error("crawl", "--seed URL is required");
	return -1;
}

int cmd_crawl(struct cli *cli, int argc, char **argv)
{
	struct crawl_opts o;
	crawl_opts_default(&o);
	const char *paths[CRAWL_MAX_RULE_PATHS];
	size_t npaths = 0;
	int status = crawl_parse(argc, argv, &o, paths, &npaths);
	if (status >= 0)
		return status;
	struct rules_set *rules = NULL;
	struct store *store = NULL;
	status = CLI_FAIL;
	if (cli_rules_load(paths, npaths, &rules) != 0 || cli_store_open(cli->db, &store) != 0)
		goto fail;
	char err[1024];
	struct crawl_stats stats;
	if (crawl_run(&o, rules, store, crawl_print_event, cli, &stats, err, sizeof(err)) != 0) {
		cli_error("%s", err);
		goto fail;
	}
	crawl_print_summary(cli, o.venue, &stats);
	status = CLI_OK;
fail:
	store_close(store);
	rules_set_free(rules);
	return status;
}
