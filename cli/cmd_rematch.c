/* SPDX-License-Identifier: MIT */
/* patrol rematch [--rules PATH]... [--venue ID] [--since TIME] [--dry-run]: the current (or
 * given) rules over the stored evidence, without fetching (crawler/rematch.h). Prints each hit
 * the store did not have; --dry-run stores nothing.
 */
#include "cli/cli.h"

#include "cli/hitfmt.h"
#include "common/clock.h"
#include "common/err.h"
#include "common/i18n.h"
#include "crawler/rematch.h"
#include "crawler/venue.h"
#include "index/store.h"
#include "rules/rules.h"

#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cmd_rematch(struct cli *cli, int argc, char **argv);

#define REMATCH_MAX_RULE_ARGS 256

static const char *const rematch_help = N_(
	"usage: patrol rematch [--rules PATH]... [--venue ID] [--since TIME] [--dry-run]\n"
	"\n"
	"Run the rules of patrol.yaml (or the packs given with --rules; the built-in packs when\n"
	"neither names any) over the responses the store kept as evidence, without fetching, and\n"
	"store the hits it did not have, as a crawl would (same identity: rule, URL and match).\n"
	"Evidence is kept only for pages that produced a hit when crawled; other pages are not\n"
	"re-matched. Prints each new hit.\n"
	"\n"
	"  --rules PATH   a pack file or directory (repeatable)\n"
	"  --venue ID     only that venue's pages\n"
	"  --since TIME   only responses seen since TIME (YYYY-MM-DD, @EPOCH, 7d, ...)\n"
	"  --dry-run      print what would be flagged; store nothing\n");

struct rematch_args {
	const char *rules[REMATCH_MAX_RULE_ARGS];
	size_t nrules;
	struct rematch_opts o;
};

static int print_hit(const struct store_hit *h, void *ud)
{
	const struct cli *cli = ud;
	if (cli->quiet)
		return 0;
	if (!cli->json) {
		printf(h->id ? _("new %s [%s] %s: %s\n") : _("would flag %s [%s] %s: %s\n"),
		       h->rule, h->severity, h->url, h->match);
		return 0;
	}
	json_t *o = hitfmt_json(h);
	if (!o)
		return -ENOMEM;
	if (!h->id)
		json_object_set_new(o, "id", json_null());
	char *s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	if (!s)
		return -ENOMEM;
	puts(s);
	free(s);
	return 0;
}

static int rematch_parse(int argc, char **argv, struct rematch_args *a)
{
	static const struct option opts[] = {
		{"rules", required_argument, NULL, 'r'}, {"venue", required_argument, NULL, 'V'},
		{"since", required_argument, NULL, 's'}, {"dry-run", no_argument, NULL, 'n'},
		{"help", no_argument, NULL, 'h'},	 {0, 0, 0, 0},
	};
	int c;
	optind = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (c == 'h') {
			fputs(_(rematch_help), stdout);
			return -1;
		} else if (c == 'r') {
			if (a->nrules == REMATCH_MAX_RULE_ARGS)
				return cli_usage_error("rematch", _("too many --rules"));
			a->rules[a->nrules++] = optarg;
		} else if (c == 'V') {
			a->o.venue = optarg;
		} else if (c == 's') {
			if (hitfmt_time_parse(optarg, clock_wall(), false, &a->o.since) != 0)
				return cli_usage_error("rematch", _("--since: not a time: '%s'"),
						       optarg);
		} else if (c == 'n') {
			a->o.dry_run = true;
		} else {
			return cli_usage_error("rematch", _("unknown option"));
		}
	}
	if (optind < argc)
		return cli_usage_error("rematch", _("unexpected argument '%s'"), argv[optind]);
	return 0;
}

static void print_report(const struct cli *cli, const struct rematch_opts *o,
			 const struct rematch_report *r)
{
	if (cli->json) {
		printf("{\"responses\":%llu,\"skipped\":%llu,\"hits\":%llu,\"hits_new\":%llu,"
		       "\"rule_errors\":%llu,\"dry_run\":%s}\n",
		       (unsigned long long)r->responses, (unsigned long long)r->skipped,
		       (unsigned long long)r->hits, (unsigned long long)r->hits_new,
		       (unsigned long long)r->rule_errors, o->dry_run ? "true" : "false");
	} else if (!cli->quiet) {
		printf(o->dry_run ? _("%llu stored responses re-matched, %llu hits, %llu new (dry "
				      "run: "
				      "none stored)")
				  : _("%llu stored responses re-matched, %llu hits, %llu new"),
		       (unsigned long long)r->responses, (unsigned long long)r->hits,
		       (unsigned long long)r->hits_new);
		if (r->skipped)
			printf(_("; %llu responses of venues not in the registry skipped"),
			       (unsigned long long)r->skipped);
		if (r->rule_errors)
			printf(_("; a rule could not run on %llu"),
			       (unsigned long long)r->rule_errors);
		printf("\n");
	}
}

int cmd_rematch(struct cli *cli, int argc, char **argv)
{
	struct rematch_args a = {0};
	int rc = rematch_parse(argc, argv, &a);
	if (rc)
		return rc < 0 ? CLI_OK : rc;
	struct venue_registry *reg = NULL;
	struct rules_set *rules = NULL;
	struct store *store = NULL;
	if ((rc = cli_registry_load(cli, &reg)) != CLI_OK)
		return rc;
	const struct crawler_settings *set = venue_registry_settings(reg);
	if (a.o.venue && !venue_registry_find(reg, a.o.venue) &&
	    strncmp(a.o.venue, "adhoc-", 6) != 0) {
		venue_registry_free(reg);
		return cli_usage_error("rematch", _("no venue '%s' in the registry"), a.o.venue);
	}
	rc = CLI_FAIL;
	if (cli_rules_load(a.nrules ? a.rules : set->rule_paths,
			   a.nrules ? a.nrules : set->nrule_paths, &rules) != 0 ||
	    cli_store_open_existing(cli->db, &store) != 0)
		goto done;
	char err[512] = "";
	struct rematch_report rep;
	a.o.registry = reg;
	a.o.on_hit = print_hit;
	a.o.ud = cli;
	int r = rematch_run(&a.o, rules, store, &rep, err, sizeof(err));
	print_report(cli, &a.o, &rep);
	if (r)
		cli_error(_("rematch stopped: %s"), err[0] ? err : err_text(r));
	else
		rc = CLI_OK;
done:
	store_close(store);
	rules_set_free(rules);
	venue_registry_free(reg);
	return rc;
}
