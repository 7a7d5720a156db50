/* SPDX-License-Identifier: MIT */
/* patrol merge STORE... [--as NAME]: folds other stores (shards crawled on other machines) into
 * the --db store: hits, evidence, pages and audit chains (store_merge; docs/alerts.md).
 */
#include "cli/cli.h"

#include "common/clock.h"
#include "common/err.h"
#include "common/i18n.h"
#include "index/store.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cmd_merge(struct cli *cli, int argc, char **argv);

static const char *const merge_help =
	N_("usage: patrol merge STORE... [--as NAME]\n"
	   "\n"
	   "Fold each STORE (a store directory, say a shard crawled on another machine) into the\n"
	   "--db store: stored responses by digest, pages (the later fetch wins), hits (one per "
	   "rule,\n"
	   "URL and match: earliest first seen, latest last seen, counts added, the most advanced\n"
	   "review status kept) and the source's audit chain, appended entry by entry to this "
	   "store's\n"
	   "chain naming the source, its entry number and hash, so `patrol audit --verify` still\n"
	   "holds. A source whose audit chain does not verify, or that was merged already, is\n"
	   "refused. The merge is recorded in the audit chain (by --as NAME or $USER).\n");

static int merge_one(struct cli *cli, struct store *dst, const char *path, const char *actor)
{
	struct store *src = NULL;
	char name[PATH_MAX];
	if (!realpath(path, name))
		snprintf(name, sizeof(name), "%s", path);
	if (cli_store_open_existing(path, &src) != 0)
		return CLI_FAIL;
	struct store_merge_report r;
	int rc = store_merge(dst, src, name, actor, clock_wall(), &r);
	store_close(src);
	if (rc == -EALREADY)
		cli_error(_("%s was merged into %s already (its audit head is in the chain)"), path,
			  cli->db);
	else if (rc == ERR_SCHEMA)
		cli_error(
			_("the audit chain of %s does not verify (patrol --db %s audit --verify): "
			  "not merged"),
			path, path);
	else if (rc)
		cli_error(_("merging %s stopped: %s (batches committed before stay)"), path,
			  err_text(rc));
	if (rc)
		return CLI_FAIL;
	if (cli->json)
		printf("{\"store\":\"%s\",\"hits_new\":%llu,\"hits_merged\":%llu,\"responses\":%llu,"
		       "\"pages\":%llu,\"audit\":%llu}\n",
		       name, (unsigned long long)r.hits_new, (unsigned long long)r.hits_merged,
		       (unsigned long long)r.bodies, (unsigned long long)r.pages,
		       (unsigned long long)r.audit);
	else if (!cli->quiet)
		printf(_("%s: %llu new hits, %llu merged, %llu responses, %llu pages, %llu audit "
			 "entries\n"),
		       path, (unsigned long long)r.hits_new, (unsigned long long)r.hits_merged,
		       (unsigned long long)r.bodies, (unsigned long long)r.pages,
		       (unsigned long long)r.audit);
	return CLI_OK;
}

int cmd_merge(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{"as", required_argument, NULL, 'a'},
		{"help", no_argument, NULL, 'h'},
		{0, 0, 0, 0},
	};
	const char *actor = getenv("USER");
	int c;
	optind = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (c == 'h') {
			fputs(_(merge_help), stdout);
			return CLI_OK;
		} else if (c == 'a') {
			actor = optarg;
		} else {
			return cli_usage_error("merge", _("unknown option"));
		}
	}
	if (optind >= argc)
		return cli_usage_error("merge", _("name at least one STORE to merge"));
	if (!actor || !actor[0] || strlen(actor) > STORE_NOTE_MAX)
		return cli_usage_error("merge", _("who merges? give --as NAME ($USER is not set)"));
	struct store *dst = NULL;
	if (cli_store_open(cli->db, &dst) != 0)
		return CLI_FAIL;
	int rc = CLI_OK;
	for (int i = optind; rc == CLI_OK && i < argc; i++)
		rc = merge_one(cli, dst, argv[i], actor);
	store_close(dst);
	return rc;
}
