/* SPDX-License-Identifier: MIT */
/* patrol hits: list the hits in the store. Filters and sorting grow with the review issue. */
#include "cli/cli.h"

#include "index/store.h"

#include <getopt.h>
#include <stdio.h>

static const char hits_help[] =
	"usage: patrol hits [--limit N]\n"
	"\n"
	"List the hits in the store (--db), oldest first: id, severity, rule, page URL, the matched\n"
	"text and a snippet. With the global --json, one JSON object per hit.\n"
	"\n"
	"  --limit N   show at most N hits\n";

int cmd_hits(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{"limit", required_argument, NULL, 'l'},
		{"help", no_argument, NULL, 'h'},
		{0, 0, 0, 0},
	};
	long long limit = 0;
	int c;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'l':
			if ((limit = cli_parse_count("hits", "--limit", optarg)) < 0)
				return CLI_USAGE;
			break;
		case 'h':
			fputs(hits_help, stdout);
			return CLI_OK;
		default:
			return cli_usage_error("hits", "unknown option");
		}
	}
	if (optind < argc)
		return cli_usage_error("hits", "unexpected argument '%s'", argv[optind]);
	struct store *store;
	if (cli_store_open_existing(cli->db, &store) != 0)
		return CLI_FAIL;
	int rc = cli_print_hits(cli, store, (size_t)limit);
	store_close(store);
	return rc ? CLI_FAIL : CLI_OK;
}
