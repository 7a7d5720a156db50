/* SPDX-License-Identifier: MIT */
/* patrol purge --older-than DAYS [--status S]: housekeeping (store_purge). Confirmed and
 * escalated hits are never removed; what a purge removed is recorded in the audit chain.
 */
#include "cli/cli.h"

#include "common/clock.h"
#include "common/err.h"
#include "common/i18n.h"
#include "index/store.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cmd_purge(struct cli *cli, int argc, char **argv);

static const char *const purge_help = N_(
	"usage: patrol purge --older-than DAYS [--status new|dismissed|gone] [--as NAME]\n"
	"\n"
	"Remove the hits not seen for DAYS days (only those with --status S; by default new,\n"
	"dismissed and gone ones), then the stored responses no remaining hit names and the pages\n"
	"fetched more than DAYS days ago that no remaining hit is on. Confirmed and escalated\n"
	"hits, and the evidence and pages they need, are never removed. The purge is recorded in\n"
	"the audit chain (action \"purge\", by --as NAME or $USER).\n");

static int purge_audit(struct cli *cli, struct store *store, const struct store_purge *p,
		       long long days, const char *actor)
{
	char note[256];
	struct store_txn *txn;
	snprintf(note, sizeof(note),
		 "older than %lld days, status %s: %llu hits, %llu responses, "
		 "%llu pages removed", /* i18n: machine (the audit chain's note) */
		 days, p->status ? p->status : "new/dismissed/gone", (unsigned long long)p->hits,
		 (unsigned long long)p->bodies, (unsigned long long)p->pages);
	struct store_audit_entry e = {
		.time = clock_wall(), .actor = actor, .action = "purge", .note = note};
	int rc = store_write_begin(store, &txn);
	if (!rc && (rc = store_audit_append(txn, &e)))
		store_write_abort(txn);
	else if (!rc)
		rc = store_write_commit(txn);
	if (rc)
		cli_error(_("purged, but cannot record it in the audit chain of %s: %s"), cli->db,
			  err_text(rc));
	return rc;
}

int cmd_purge(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{"older-than", required_argument, NULL, 'o'},
		{"status", required_argument, NULL, 's'},
		{"as", required_argument, NULL, 'a'},
		{"help", no_argument, NULL, 'h'},
		{0, 0, 0, 0},
	};
	long long days = -1;
	const char *actor = getenv("USER");
	struct store_purge p = {0};
	int c;
	optind = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (c == 'h') {
			fputs(_(purge_help), stdout);
			return CLI_OK;
		} else if (c == 'o') {
			if ((days = cli_parse_count("purge", "--older-than", optarg)) < 0)
				return CLI_USAGE;
		} else if (c == 's') {
			p.status = optarg;
		} else if (c == 'a') {
			actor = optarg;
		} else {
			return cli_usage_error("purge", _("unknown option"));
		}
	}
	if (optind < argc)
		return cli_usage_error("purge", _("unexpected argument '%s'"), argv[optind]);
	if (days < 0 || days > 1000000)
		return cli_usage_error("purge", _("--older-than DAYS (0 to 1000000) is needed"));
	if (p.status && strcmp(p.status, "new") && strcmp(p.status, "dismissed") &&
	    strcmp(p.status, "gone"))
		return cli_usage_error("purge",
				       _("--status must be new, dismissed or gone "
					 "(confirmed and escalated hits are never purged)"));
	if (!actor || !actor[0] || strlen(actor) > STORE_NOTE_MAX)
		return cli_usage_error("purge", _("who purges? give --as NAME ($USER is not set)"));
	struct store *store;
	if (cli_store_open_existing(cli->db, &store) != 0)
		return CLI_FAIL;
	p.cutoff = clock_wall() - days * 86400;
	int rc = store_purge(store, &p);
	if (rc)
		cli_error(_("purge of %s stopped: %s (what was removed so far stays removed)"),
			  cli->db, err_text(rc));
	if (!rc && (p.hits || p.bodies || p.pages))
		rc = purge_audit(cli, store, &p, days, actor);
	store_close(store);
	if (rc)
		return CLI_FAIL;
	if (cli->json)
		printf("{\"hits\":%llu,\"responses\":%llu,\"pages\":%llu}\n",
		       (unsigned long long)p.hits, (unsigned long long)p.bodies,
		       (unsigned long long)p.pages);
	else if (!cli->quiet)
		printf(_("purged %llu hits, %llu stored responses, %llu pages\n"),
		       (unsigned long long)p.hits, (unsigned long long)p.bodies,
		       (unsigned long long)p.pages);
	return CLI_OK;
}
