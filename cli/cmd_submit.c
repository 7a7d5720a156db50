/* SPDX-License-Identifier: MIT */
/* patrol submit URL [--note TEXT] [--as NAME]: tip intake. A URL inside a registered venue's
 * scope is stored as a tip and queued at the top of the frontier, so the next crawl of the store
 * fetches it first; anything else is refused with the reason (alert_tip_check). The submission
 * is recorded in the audit chain in the same transaction. patrol serve's tip form goes through
 * the same cli_tip_check and cli_tip_store (cli.h).
 */
#include "cli/cli.h"

#include "common/clock.h"
#include "common/err.h"
#include "common/i18n.h"
#include "crawler/alert.h"
#include "crawler/venue.h"
#include "index/store.h"
#include "parsers/url.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cmd_submit(struct cli *cli, int argc, char **argv);

static const char *const submit_help = N_(
	"usage: patrol submit URL [--note TEXT] [--as NAME]\n"
	"\n"
	"Queue URL for a priority check: when it falls inside a registered venue's scope, it is\n"
	"stored as a tip and fetched first by the next crawl or run of the store; its hits can be\n"
	"shown with the tip. Otherwise the submission is refused, saying why (not http(s), no\n"
	"venue for the host, excluded by a pattern, a private address). Recorded in the audit\n"
	"chain (action \"tip\", by --as NAME or $USER).\n");

int cli_tip_check(const struct venue_registry *reg, const char *url, const char *note,
		  const char *actor, char **ret_url, const char **ret_venue, char *why,
		  size_t whylen, const struct alert_tr *tr)
{
	if (!actor || !actor[0] || strlen(actor) > CLI_TIP_ACTOR_MAX) {
		snprintf(why, whylen, "%s", alert_tr_text(tr, N_("who submits it is not known")));
		return ERR_USAGE;
	}
	if (strlen(note) > CLI_TIP_NOTE_MAX) {
		snprintf(why, whylen, alert_tr_text(tr, N_("the note is longer than %d bytes")),
			 CLI_TIP_NOTE_MAX);
		return ERR_USAGE;
	}
	return alert_tip_check(reg, url, ret_url, ret_venue, why, whylen, tr);
}

int cli_tip_store(struct store *s, const struct store_tip *tip, bool *ret_queued)
{
	struct store_txn *txn = NULL;
	char *host = NULL, note[STORE_NOTE_MAX + 1];
	snprintf(note, sizeof(note), "tip %s (venue %s)%s%s", tip->url, tip->venue,
		 tip->note[0] ? ": " : "", tip->note);
	struct store_audit_entry e = {
		.time = tip->at, .actor = tip->actor, .action = "tip", .note = note};
	enum store_push pushed = STORE_PUSH_ADDED;
	int rc = url_origin(tip->url, &host);
	if (!rc)
		rc = store_write_begin(s, &txn);
	if (!rc && (rc = store_tip_put(txn, tip, host, tip->at, &pushed)) == 0)
		rc = store_audit_append(txn, &e);
	if (txn && rc)
		store_write_abort(txn);
	else if (txn)
		rc = store_write_commit(txn);
	free(host);
	if (!rc)
		*ret_queued = pushed == STORE_PUSH_ADDED;
	return rc;
}

static int submit_store(struct cli *cli, const struct store_tip *tip, bool *queued)
{
	struct store *store = NULL;
	int rc = cli_store_open(cli->db, &store) != 0 ? ERR_STORE : 0;
	if (!rc && (rc = cli_tip_store(store, tip, queued)) != 0)
		cli_error(_("cannot store the tip in %s: %s"), cli->db, err_text(rc));
	store_close(store);
	return rc;
}

int cmd_submit(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{"note", required_argument, NULL, 'n'},
		{"as", required_argument, NULL, 'a'},
		{"help", no_argument, NULL, 'h'},
		{0, 0, 0, 0},
	};
	const char *note = "", *actor = getenv("USER");
	int c;
	optind = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (c == 'h') {
			fputs(_(submit_help), stdout);
			return CLI_OK;
		} else if (c == 'n') {
			note = optarg;
		} else if (c == 'a') {
			actor = optarg;
		} else {
			return cli_usage_error("submit", _("unknown option"));
		}
	}
	if (optind + 1 != argc)
		return cli_usage_error("submit", _("one URL is needed"));
	if (!actor || !actor[0] || strlen(actor) > CLI_TIP_ACTOR_MAX)
		return cli_usage_error("submit",
				       _("who submits? give --as NAME ($USER is not set)"));
	if (strlen(note) > CLI_TIP_NOTE_MAX)
		return cli_usage_error("submit", _("--note is longer than 2048 bytes"));
	struct venue_registry *reg = NULL;
	int rc = cli_registry_load(cli, &reg);
	if (rc != CLI_OK)
		return rc;
	char why[1024] = "", *url = NULL;
	const char *venue = NULL;
	if (cli_tip_check(reg, argv[optind], note, actor, &url, &venue, why, sizeof(why), NULL) !=
	    0) {
		cli_error(_("refused: %s"), why);
		venue_registry_free(reg);
		return CLI_FAIL;
	}
	struct store_tip tip = {url, venue, note, actor, clock_wall()};
	bool queued = true;
	rc = submit_store(cli, &tip, &queued) ? CLI_FAIL : CLI_OK;
	if (rc == CLI_OK && cli->json)
		printf("{\"url\":\"%s\",\"venue\":\"%s\",\"queued\":%s}\n", url, venue,
		       queued ? "true" : "false");
	else if (rc == CLI_OK && !cli->quiet)
		printf(queued ? _("queued %s (venue %s) for a priority check at the next crawl\n")
			      : _("recorded the tip on %s (venue %s), but the crawl now open "
				  "fetched it "
				  "already: it is not fetched again before that crawl ends\n"),
		       url, venue);
	free(url);
	venue_registry_free(reg);
	return rc;
}
