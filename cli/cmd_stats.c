/* SPDX-License-Identifier: MIT */
/* patrol stats: what the store holds: pages, hits, and the crawl frontier. */
#include "cli/cli.h"

#include "common/err.h"
#include "index/store.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char stats_help[] =
	"usage: patrol stats\n"
	"\n"
	"Count what the store (--db) holds: pages, hits, and the URLs the crawl frontier still has\n"
	"queued or leased (an unfinished crawl, which the next 'patrol crawl' resumes).\n";

int cmd_stats(struct cli *cli, int argc, char **argv)
{
	if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		fputs(stats_help, stdout);
		return CLI_OK;
	}
	if (argc > 1)
		return cli_usage_error("stats", "unexpected argument '%s'", argv[1]);
	struct store *store;
	if (cli_store_open_existing(cli->db, &store) != 0)
		return CLI_FAIL;
	struct store_stats s;
	uint64_t queued = 0, leased = 0;
	int rc = store_stats_get(store, &s);
	if (rc == 0)
		rc = store_frontier_count(store, &queued, &leased);
	store_close(store);
	if (rc) {
		cli_error("cannot read %s: %s", cli->db, err_str(rc));
		return CLI_FAIL;
	}
	if (cli->json) {
		json_t *o = json_pack("{sI sI sI sI}", "pages", (json_int_t)s.pages, "hits",
				      (json_int_t)s.hits, "queued", (json_int_t)queued, "leased",
				      (json_int_t)leased);
		char *text = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
		if (text)
			puts(text);
		free(text);
		json_decref(o);
	} else {
		printf("pages:  %llu\nhits:   %llu\nqueued: %llu\nleased: %llu\n",
		       (unsigned long long)s.pages, (unsigned long long)s.hits,
		       (unsigned long long)queued, (unsigned long long)leased);
	}
	return CLI_OK;
}
