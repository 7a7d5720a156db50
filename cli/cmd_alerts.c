/* SPDX-License-Identifier: MIT */
/* patrol alerts send [--dry-run]: sends the new hits to the alert targets of patrol.yaml now,
 * as patrol run does after its crawls (crawler/alert.h), for trying targets by hand.
 */
#include "cli/cli.h"

#include "common/err.h"
#include "common/i18n.h"
#include "crawler/alert.h"
#include "crawler/trends.h"
#include "crawler/venue.h"
#include "index/store.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cmd_alerts(struct cli *cli, int argc, char **argv);

static const char *const alerts_help = N_(
	"usage: patrol alerts send [--dry-run]\n"
	"\n"
	"Send every new hit at or above each alert target's min_severity (of its venues and\n"
	"categories) that the target has not had yet, to the targets of patrol.yaml's alerts:\n"
	"list, as patrol run does after its crawls; each hit is marked alerted to a target only\n"
	"once its send succeeded. Then early warning: a venue and category whose hits today spike\n"
	"above its history raises a spike alert, a venue that went dark in its last run a venue\n"
	"alert (docs/alerts.md), each once a day per target. --dry-run sends and marks nothing\n"
	"and says what would go.\n"
	"Exit status 1 when a send failed (those hits go with the next dispatch).\n");

/* Early warning over every registered venue, through the same targets. */
static int warn(const struct cli *cli, struct store *store, const struct venue_registry *reg,
		const struct alert_opts *o, struct trends_report *r)
{
	size_t n = venue_registry_count(reg);
	const char **ids = calloc(n ? n : 1, sizeof(*ids));
	if (!ids)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		ids[i] = venue_registry_get(reg, i)->id;
	int rc = trends_warn(store, ids, n, &venue_registry_settings(reg)->early_warning, o, 0, r);
	free(ids);
	if (cli->json && !rc)
		printf("{\"early_warning\":{\"spikes\":%llu,\"dark\":%llu,\"sent\":%llu,"
		       "\"failed\":%llu}}\n",
		       (unsigned long long)r->spikes, (unsigned long long)r->dark,
		       (unsigned long long)r->sent, (unsigned long long)r->failed);
	else if (!rc && (!cli->quiet || r->failed))
		printf(_("early warning: %llu spikes, %llu venues dark; %llu alerts sent, %llu "
			 "failed\n"),
		       (unsigned long long)r->spikes, (unsigned long long)r->dark,
		       (unsigned long long)r->sent, (unsigned long long)r->failed);
	return rc;
}

/* One target's line: whole sentences, so that each language can order its words. */
static void print_target(const struct alert_target_report *t, bool dry)
{
	printf(dry ? _("%s: %llu hits would be sent in %llu messages")
		   : _("%s: %llu hits sent in %llu messages"),
	       t->id, (unsigned long long)t->sent, (unsigned long long)t->messages);
	if (t->failed)
		printf(_(", %llu failed"), (unsigned long long)t->failed);
	if (t->error[0])
		printf(": %s", t->error);
	putchar('\n');
}

static void print_report(const struct cli *cli, const struct alert_report *r, bool dry)
{
	for (size_t i = 0; i < r->ntargets; i++) {
		const struct alert_target_report *t = &r->targets[i];
		if (cli->json)
			printf("{\"target\":\"%s\",\"sent\":%llu,\"failed\":%llu,\"messages\":%llu,"
			       "\"dry_run\":%s}\n",
			       t->id, (unsigned long long)t->sent, (unsigned long long)t->failed,
			       (unsigned long long)t->messages, dry ? "true" : "false");
		else if (!cli->quiet || t->failed)
			print_target(t, dry);
	}
}

int cmd_alerts(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{"dry-run", no_argument, NULL, 'n'},
		{"help", no_argument, NULL, 'h'},
		{0, 0, 0, 0},
	};
	struct alert_opts o = {0};
	int c;
	optind = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (c == 'h') {
			fputs(_(alerts_help), stdout);
			return CLI_OK;
		} else if (c == 'n') {
			o.dry_run = true;
		} else {
			return cli_usage_error("alerts", _("unknown option"));
		}
	}
	if (optind + 1 != argc || strcmp(argv[optind], "send") != 0)
		return cli_usage_error("alerts", _("the subcommand is 'send'"));
	struct venue_registry *reg = NULL;
	struct store *store = NULL;
	int rc = cli_registry_load(cli, &reg);
	if (rc != CLI_OK)
		return rc;
	const struct crawler_settings *set = venue_registry_settings(reg);
	o.targets = set->alerts;
	o.ntargets = set->nalerts;
	if (!o.ntargets) {
		venue_registry_free(reg);
		if (!cli->config)
			return cli_usage_error("alerts",
					       _("no alerts: targets: no configuration file "
						 "(--config, $PATROL_CONFIG or ./patrol.yaml)"));
		return cli_usage_error("alerts", _("no alerts: targets in %s"), cli->config);
	}
	rc = CLI_FAIL;
	if (cli_store_open_existing(cli->db, &store) == 0) {
		struct alert_report r = {0};
		int arc = alert_dispatch(store, &o, &r);
		print_report(cli, &r, o.dry_run);
		if (arc)
			cli_error(_("alerts stopped: %s"), err_text(arc));
		struct trends_report tr = {0};
		if (!arc && (arc = warn(cli, store, reg, &o, &tr)) != 0)
			cli_error(_("early warning stopped: %s"), err_text(arc));
		rc = arc || r.failed || tr.failed ? CLI_FAIL : CLI_OK;
		alert_report_done(&r);
	}
	store_close(store);
	venue_registry_free(reg);
	return rc;
}
