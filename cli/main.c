/* SPDX-License-Identifier: MIT */
/* patrol's entry point: global options, the process-wide set-up, and dispatch to one command.
 * The command table is the CLI contract of DESIGN.md §4 as far as it is built.
 */
#include "cli/cli.h"
#include "cli/timezone.h"

#include "common/i18n.h"
#include "crawler/crawl.h"

#include <getopt.h>
#include <locale.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int cmd_hit(struct cli *cli, int argc, char **argv);	/* cli/cmd_hits.c */
int cmd_review(struct cli *cli, int argc, char **argv); /* cli/cmd_review.c */
int cmd_audit(struct cli *cli, int argc, char **argv);	/* cli/cmd_audit.c */
int cmd_export(struct cli *cli, int argc, char **argv); /* cli/cmd_export.c */
int cmd_purge(struct cli *cli, int argc, char **argv);	/* cli/cmd_purge.c */
int cmd_verify(struct cli *cli, int argc, char **argv); /* cli/cmd_verify.c */
int cmd_run(struct cli *cli, int argc, char **argv);	/* cli/cmd_run.c */
int cmd_serve(struct cli *cli, int argc, char **argv);	/* cli/cmd_serve.c: review web UI */
int cmd_users(struct cli *cli, int argc, char **argv);	/* cli/cmd_users.c: its analysts */
int cmd_rematch(struct cli *cli, int argc, char **argv); /* cli/cmd_rematch.c */
int cmd_submit(struct cli *cli, int argc, char **argv);  /* cli/cmd_submit.c */
int cmd_alerts(struct cli *cli, int argc, char **argv);  /* cli/cmd_alerts.c */
int cmd_trends(struct cli *cli, int argc, char **argv);  /* cli/cmd_trends.c */
int cmd_merge(struct cli *cli, int argc, char **argv);   /* cli/cmd_merge.c */
int cmd_snapshot(struct cli *cli, int argc, char **argv); /* cli/cmd_snapshot.c */

static const struct {
	const char *name;
	cli_cmd_fn fn;
	const char *summary;
} commands[] = {
	{"demo", cmd_demo, N_("serve the bundled demo forum, crawl it, show what was found")},
	{"crawl", cmd_crawl, N_("crawl a site from a seed URL into the store")},
	{"run", cmd_run, N_("crawl the venues that are due (cron, systemd): --dry-run, --shard")},
	{"hits", cmd_hits, N_("list the hits in the store: filters, sort, --json")},
	{"hit", cmd_hit, N_("hit show ID: one hit, its page and its review history")},
	{"review", cmd_review, N_("set hits' status (confirmed, dismissed, ...), audited")},
	{"audit", cmd_audit, N_("the review audit chain; --verify checks it was not changed")},
	{"export", cmd_export, N_("hits as JSONL, CSV or WARC (with the evidence), streamed")},
	{"serve", cmd_serve, N_("the review web UI for analysts (docs/review.md, Web UI)")},
	{"users", cmd_users, N_("add, list and remove the analysts who log in to patrol serve")},
	{"purge", cmd_purge, N_("remove old hits, evidence and pages (never confirmed/escalated)")},
	{"rules", cmd_rules, N_("check rule packs: lint, test, list")},
	{"robots", cmd_robots, N_("what a robots.txt file allows for an agent")},
	{"stats", cmd_stats, N_("count the pages, hits and queued URLs in the store")},
	{"verify", cmd_verify, N_("recompute every stored response's digest; report mismatches")},
	{"venues", cmd_venues, N_("check, list and show the venues of patrol.yaml")},
	{"url", cmd_url, N_("resolve URLs to the canonical form patrol stores and fetches")},
	{"extract", cmd_extract, N_("what patrol sees of an HTML page: fields, posts, links")},
	{"scan", cmd_scan, N_("match local HTML or text files against rule packs, --explain why")},
	{"rematch", cmd_rematch, N_("run current or given rules over stored evidence, no fetching")},
	{"submit", cmd_submit, N_("queue a tip URL of a registered venue for a priority check")},
	{"alerts", cmd_alerts, N_("alerts send: send new hits to patrol.yaml's alert targets now")},
	{"trends", cmd_trends, N_("hits per day per venue and category, as a chart or --json")},
	{"merge", cmd_merge, N_("fold other stores into this one: hits, evidence, pages, audit")},
	{"snapshot", cmd_snapshot, N_("render hits' stored evidence in chromium, keep the PNG")},
};

static void usage(FILE *out)
{
	fputs(_("usage: patrol [--db DIR] [--config FILE] [--json] [-q] [-v] COMMAND [ARGS]\n"), out);
	fputs(_("\n"
		"patrol crawls registered public venues, flags posts that match fraud and hoax\n"
		"rule packs, and keeps what it found for analysts to review.\n"
		"\n"
		"Global options:\n"
		"  --db DIR     the store (default $PATROL_DB, else ./patrol-data)\n"
		"  --config FILE  settings and venues (default $PATROL_CONFIG, else ./patrol.yaml\n"
		"               when it exists)\n"
		"  --json       machine output: one JSON object per line\n"
		"  -q, --quiet  print only errors\n"
		"  -v, --verbose  say more (each fetched page)\n"
		"  -h, --help   this help;  --version  the version\n"
		"\n"
		"Commands:\n"),
	      out);
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(out, "  %-8s %s\n", commands[i].name, _(commands[i].summary));
	fputs(_("\nEach command has --help.\n"), out);
}

static int parse_global(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{"db", required_argument, NULL, 'd'}, {"json", no_argument, NULL, 'j'},
		{"config", required_argument, NULL, 'c'},
		{"quiet", no_argument, NULL, 'q'},    {"verbose", no_argument, NULL, 'v'},
		{"help", no_argument, NULL, 'h'},     {"version", no_argument, NULL, 'V'},
		{0, 0, 0, 0},
	};
	int c;
	while ((c = getopt_long(argc, argv, "+qvh", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			cli->db = optarg;
			cli->db_explicit = true;
			break;
		case 'c':
			cli->config = optarg;
			cli->config_explicit = true;
			break;
		case 'j':
			cli->json = true;
			break;
		case 'q':
			cli->quiet = true;
			break;
		case 'v':
			cli->verbose = true;
			break;
		case 'h':
			usage(stdout);
			exit(CLI_OK);
		case 'V':
			printf("patrol %s\n", PATROL_VERSION);
			exit(CLI_OK);
		default:
			fputs(_("Try 'patrol --help'.\n"), stderr);
			exit(CLI_USAGE);
		}
	}
	return optind;
}

/* Each page a crawl parses allocates and frees a few megabytes: Gumbo's tree, the decoded text,
 * the body. With glibc's defaults, freeing them shrinks the heap (trim past 128 KiB) and blocks
 * past the adaptive mmap threshold are unmapped, so the next page faults the same memory back
 * in: a fifth of the parse cost, in the kernel. Keeping up to 8 MiB of free heap per arena and
 * mapping only blocks of 4 MiB and more stops that for a few megabytes of resident memory
 * (docs/bench.md, "Memory"). An environment's MALLOC_*_ settings still win. */
static void cli_malloc_tune(void)
{
	if (!getenv("MALLOC_TRIM_THRESHOLD_"))
		mallopt(M_TRIM_THRESHOLD, 8 << 20);
	if (!getenv("MALLOC_MMAP_THRESHOLD_"))
		mallopt(M_MMAP_THRESHOLD, 4 << 20);
}

int main(int argc, char **argv)
{
	struct cli cli = {.db = "./patrol-data"};
	/* patrol's text is UTF-8 whatever the user's locale: character classes need a UTF-8
	 * LC_CTYPE (IDN hosts do not: parsers/url.c reads them as UTF-8 in any locale). Messages
	 * follow the user's language (cli/i18n.c); numbers keep the C locale's form. */
	if (!setlocale(LC_CTYPE, "C.UTF-8"))
		setlocale(LC_CTYPE, "");
	cli_i18n_init();
	cli_malloc_tune();
	const char *env_db = getenv("PATROL_DB");
	if (env_db && env_db[0]) {
		cli.db = env_db;
		cli.db_explicit = true;
	}
	const char *env_config = getenv("PATROL_CONFIG");
	if (env_config && env_config[0]) {
		cli.config = env_config;
		cli.config_explicit = true;
	}
	int first = parse_global(&cli, argc, argv);
	if (!cli.config && access("patrol.yaml", F_OK) == 0)
		cli.config = "patrol.yaml";
	cli_timezone_init(&cli); /* process-wide, before any thread: cli/timezone.c */
	if (first >= argc) {
		usage(stderr);
		return CLI_USAGE;
	}
	const char *name = argv[first];
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(name, commands[i].name) != 0)
			continue;
		if (crawl_global_init() != 0) {
			cli_error(_("cannot initialise libcurl"));
			return CLI_FAIL;
		}
		optind = 1; /* each command parses its own options from its own argv */
		int rc = commands[i].fn(&cli, argc - first, argv + first);
		crawl_global_cleanup();
		return rc;
	}
	cli_error(_("unknown command '%s'"), name);
	fputs(_("Try 'patrol --help'.\n"), stderr);
	return CLI_USAGE;
}
