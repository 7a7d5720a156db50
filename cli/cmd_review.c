/* SPDX-License-Identifier: MIT */
/* patrol review ID... --set STATUS: an analyst's decision on hits. All the ids change in one
 * write transaction with their audit entries (store_review_set): either every change and its
 * entry is committed, or none (an unknown id changes nothing). Then, under evidence.screenshots
 * confirmed or all, confirmed and escalated hits are pictured (cmd_snapshot.c) when chromium is
 * installed; a snapshot that fails is a warning, the decision stands.
 */
#include "cli/cli.h"
#include "cli/snapshot.h"
#include "cli/hitfmt.h"

#include "common/clock.h"
#include "common/err.h"
#include "common/i18n.h"
#include "crawler/venue.h"
#include "index/store.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cmd_review(struct cli *cli, int argc, char **argv);

#define REVIEW_IDS_MAX 10000 /* ids in one command: one transaction holds them all */

static const char *const review_help =
	N_("usage: patrol review ID... --set new|confirmed|dismissed|escalated [--note TEXT]\n"
	   "                           [--as NAME]\n"
	   "\n"
	   "Set the status of the hits ID... (at most 10,000) and record each change in the audit\n"
	   "chain (patrol audit): the time, who (--as NAME, default $USER), the status before and\n"
	   "after, and the note. All of them change together or, when one id is unknown, none.\n"
	   "Setting the status a hit has already records nothing, unless a note is given.\n"
	   "Hits set to confirmed or escalated get a snapshot of their evidence when chromium is\n"
	   "installed (patrol.yaml's evidence.screenshots: confirmed, the default, or all; at\n"
	   "most 20 a command); a snapshot that fails is a warning, the decision stands.\n");

struct review_args {
	const char *status, *note, *actor;
	uint64_t *ids;
	size_t n;
};

/* One attempt; -ENOSPC (the map is full) has aborted the transaction and may be retried. */
static int review_txn(struct store *store, const struct review_args *a, size_t *ret_failed)
{
	struct store_txn *txn;
	char before[STORE_STATUS_MAX + 1];
	int64_t now = clock_wall();
	int rc = store_write_begin(store, &txn);
	if (rc)
		return rc;
	for (size_t i = 0; i < a->n; i++) {
		rc = store_review_set(txn, a->ids[i], a->status, a->actor, a->note, now, before);
		if (rc) {
			*ret_failed = i;
			store_write_abort(txn);
			return rc;
		}
	}
	return store_write_commit(txn);
}

static int review_apply(struct cli *cli, struct store *store, const struct review_args *a)
{
	size_t failed = 0;
	int rc = review_txn(store, a, &failed);
	for (int tries = 0; rc == -ENOSPC && tries < 4; tries++)
		if ((rc = store_grow(store)) == 0)
			rc = review_txn(store, a, &failed);
	if (rc == ERR_NOT_FOUND) {
		cli_error(_("no hit #%llu in %s: nothing changed"),
			  (unsigned long long)a->ids[failed], cli->db);
		return CLI_FAIL;
	}
	if (rc) {
		cli_error(_("cannot review in %s: %s (nothing changed)"), cli->db, err_text(rc));
		return CLI_FAIL;
	}
	if (!cli->quiet)
		printf(dngettext(PATROL_TEXTDOMAIN, "%zu hit set to %s by %s\n",
				 "%zu hits set to %s by %s\n", a->n),
		       a->n, a->status, a->actor);
	return CLI_OK;
}

static int review_parse(int argc, char **argv, struct review_args *a)
{
	static const struct option opts[] = {
		{"set", required_argument, NULL, 's'},
		{"note", required_argument, NULL, 'n'},
		{"as", required_argument, NULL, 'a'},
		{"help", no_argument, NULL, 'h'},
		{0, 0, 0, 0},
	};
	int c;
	optind = 0; /* a fresh scan that permutes: options may follow the ids */
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 's': a->status = optarg; break;
		case 'n': a->note = optarg; break;
		case 'a': a->actor = optarg; break;
		case 'h': fputs(_(review_help), stdout); return 1;
		default: return cli_usage_error("review", _("unknown option"));
		}
	}
	if (!a->status || !store_review_status_valid(a->status))
		return cli_usage_error("review",
				       _("--set must be new, confirmed, dismissed or escalated"));
	if (!a->actor || !a->actor[0])
		return cli_usage_error("review",
				       _("who reviews? give --as NAME ($USER is not set)"));
	if (strlen(a->actor) > STORE_NOTE_MAX || (a->note && strlen(a->note) > STORE_NOTE_MAX))
		return cli_usage_error("review", _("--as and --note take at most %d bytes"),
				       STORE_NOTE_MAX);
	if (optind == argc)
		return cli_usage_error("review", _("which hits? give their ids"));
	if (argc - optind > REVIEW_IDS_MAX)
		return cli_usage_error("review", _("at most %d ids at once"), REVIEW_IDS_MAX);
	return 0;
}

/* evidence.screenshots: pictures of the hits just confirmed or escalated, at most
 * CLI_SNAPSHOT_AUTO_MAX; each failure is a warning and leaves the exit status alone. */
static void review_snapshots(struct cli *cli, struct store *store, const struct review_args *a,
			     enum cli_snapshot_policy policy)
{
	if (policy == CLI_SNAPSHOT_OFF || !cli_snapshot_wanted(CLI_SNAPSHOT_CONFIRMED, a->status) ||
	    !cli_snapshot_available())
		return;
	for (size_t i = 0; i < a->n && i < CLI_SNAPSHOT_AUTO_MAX; i++) {
		char why[256];
		bool rendered = false;
		unsigned long long id = (unsigned long long)a->ids[i];
		int rc = cli_snapshot_hit(store, a->ids[i], policy, 0, &rendered, why, sizeof(why));
		if (rc == ERR_NOT_FOUND)
			continue; /* no evidence kept: nothing to picture */
		if (rc)
			cli_error(
				_("warning: snapshot of hit #%llu failed: %s (the review stands)"),
				id, why);
		else if (rendered && !cli->quiet)
			printf(_("hit #%llu: snapshot taken (evidence.screenshots)\n"), id);
	}
	if (a->n > CLI_SNAPSHOT_AUTO_MAX)
		cli_error(_("warning: only the first %d hits were pictured: patrol snapshot ID... "
			    "takes the others"),
			  CLI_SNAPSHOT_AUTO_MAX);
}

/* The policy of patrol.yaml (confirmed without one); CLI_OK or the registry's exit status (it
 * has said why). */
static int review_policy(struct cli *cli, enum cli_snapshot_policy *ret)
{
	struct venue_registry *reg = NULL;
	*ret = CLI_SNAPSHOT_CONFIRMED;
	int status = cli_registry_load(cli, &reg);
	if (status == CLI_OK)
		*ret = cli_snapshot_policy_of(venue_registry_settings(reg));
	venue_registry_free(reg);
	return status;
}

int cmd_review(struct cli *cli, int argc, char **argv)
{
	enum cli_snapshot_policy policy;
	struct review_args a = {.actor = getenv("USER")};
	int rc = review_parse(argc, argv, &a);
	if (rc)
		return rc == 1 ? CLI_OK : rc;
	a.ids = calloc((size_t)(argc - optind), sizeof(*a.ids));
	if (!a.ids)
		return CLI_FAIL;
	for (int i = optind; i < argc; i++)
		if (hitfmt_parse_id("review", argv[i], &a.ids[a.n++])) {
			free(a.ids);
			return CLI_USAGE;
		}
	/* patrol.yaml is read only when this decision could take a picture, and one that does not
	 * load costs the picture, never the decision. */
	policy = CLI_SNAPSHOT_OFF;
	if (cli_snapshot_wanted(CLI_SNAPSHOT_CONFIRMED, a.status) && cli_snapshot_available() &&
	    review_policy(cli, &policy) != CLI_OK) {
		cli_error(_("warning: no snapshots taken: the configuration did not load"));
		policy = CLI_SNAPSHOT_OFF;
	}
	struct store *store;
	rc = CLI_FAIL;
	if (cli_store_open_existing(cli->db, &store) == 0) {
		rc = review_apply(cli, store, &a);
		if (rc == CLI_OK)
			review_snapshots(cli, store, &a, policy);
		store_close(store);
	}
	free(a.ids);
	return rc;
}
