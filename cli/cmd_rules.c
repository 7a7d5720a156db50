/* SPDX-License-Identifier: MIT */
/* patrol rules lint|test|list: what rule authors run on their packs before shipping them. */
#include "cli/cli.h"

#include "common/buf.h"
#include "rules/rules.h"

#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char rules_help[] =
	"usage: patrol rules lint|test|list [PATH...]\n"
	"\n"
	"  lint   load and compile the packs; errors as file:line:col: message (exit 2), and\n"
	"         warnings for patterns the prefilter cannot hold (exit 0)\n"
	"  test   run every rule's embedded match and no-match examples (exit 1 on a failure)\n"
	"  list   one line per rule: id, severity, category, pack, title\n"
	"\n"
	"A PATH is a pack file or a directory of *.yaml packs; without one, the packs built into\n"
	"patrol are used.\n";

static int rules_list(const struct cli *cli, const struct rules_set *set)
{
	for (size_t i = 0; i < rules_set_count(set); i++) {
		struct rules_info r;
		rules_set_rule(set, i, &r);
		if (!cli->json) {
			printf("%-40s %-8s %-28s %-12s %s\n", r.id, r.severity, r.category, r.pack,
			       r.title);
			continue;
		}
		json_t *o = json_pack("{ss ss ss ss ss ss}", "id", r.id, "pack", r.pack, "title",
				      r.title, "category", r.category, "severity", r.severity,
				      "pack_version", r.pack_version);
		char *s = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
		if (s)
			puts(s);
		free(s);
		json_decref(o);
	}
	return CLI_OK;
}

/* Warnings that do not stop a pack from loading: patterns the prefilter cannot hold. */
static size_t rules_lint_warnings(const struct rules_set *set)
{
	size_t warnings = 0;
	for (size_t i = 0; i < rules_set_count(set); i++) {
		struct rules_info r;
		const char *names[64];
		rules_set_rule(set, i, &r);
		size_t n = rules_set_always_run(set, i, names, 64);
		for (size_t k = 0; k < n && k < 64; k++)
			printf("%s: %s: warning: pattern '%s' cannot be prefiltered, so it runs on "
			       "every text the rule reads (docs/rules.md, \"The prefilter\")\n",
			       r.pack, r.id, names[k]);
		warnings += n;
	}
	return warnings;
}

static int rules_test(const struct cli *cli, const struct rules_set *set)
{
	struct buf report;
	buf_init(&report, 1u << 20);
	size_t failed = 0;
	int rc = rules_set_selftest(set, &report, &failed);
	if (rc) {
		cli_error("cannot run the rule tests");
		buf_done(&report);
		return CLI_FAIL;
	}
	fputs(buf_str(&report), stdout);
	if (!cli->quiet)
		printf("%zu rules, %zu failed examples\n", rules_set_count(set), failed);
	buf_done(&report);
	return failed ? CLI_FAIL : CLI_OK;
}

int cmd_rules(struct cli *cli, int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		fputs(rules_help, argc < 2 ? stderr : stdout);
		return argc < 2 ? CLI_USAGE : CLI_OK;
	}
	const char *verb = argv[1];
	if (strcmp(verb, "lint") != 0 && strcmp(verb, "test") != 0 && strcmp(verb, "list") != 0)
		return cli_usage_error("rules", "unknown subcommand '%s'", verb);
	struct rules_set *set = NULL;
	if (cli_rules_load((const char *const *)argv + 2, (size_t)(argc - 2), &set) != 0)
		return CLI_USAGE; /* an invalid pack is a configuration error */
	int status = CLI_OK;
	if (strcmp(verb, "list") == 0)
		status = rules_list(cli, set);
	else if (strcmp(verb, "test") == 0)
		status = rules_test(cli, set);
	else {
		size_t warnings = rules_lint_warnings(set);
		if (!cli->quiet)
			printf("%zu rules OK, %zu warnings\n", rules_set_count(set), warnings);
	}
	rules_set_free(set);
	return status;
}
