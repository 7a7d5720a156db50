/* SPDX-License-Identifier: MIT */
/* patrol verify: recompute the SHA-256 of every stored response (the evidence) and check that
 * every hit's evidence is there, so an analyst can trust that the bytes behind a finding are the
 * bytes it was found in. Exit 1 on any problem. */
#include "cli/cli.h"

#include "common/digest.h"
#include "common/err.h"
#include "common/i18n.h"
#include "index/store.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static const char *const verify_help = N_(
	"usage: patrol verify\n"
	"\n"
	"Check the evidence in the store (--db): decompress every stored response, recompute its\n"
	"SHA-256 and compare it with the digest it is stored under, and check that every hit's\n"
	"evidence is stored. Each problem is one line (with the global --json, one JSON object):\n"
	"  mismatch DIGEST        the bytes stored under DIGEST have another digest\n"
	"  corrupt DIGEST         the value stored under DIGEST does not decompress\n"
	"  missing DIGEST hit ID  hit ID names evidence that is not stored\n"
	"then a summary. Runs beside a crawl (short read transactions).\n"
	"Exit status: 0 all is well, 1 a problem was found (or the store cannot be read).\n");

static const char *const problem_names[] = {
	[STORE_VERIFY_MISMATCH] = "mismatch",
	[STORE_VERIFY_CORRUPT] = "corrupt",
	[STORE_VERIFY_MISSING] = "missing",
};

struct verify_out {
	const struct cli *cli;
	uint64_t problems;
};

static int verify_report(enum store_verify_problem what, const uint8_t digest[32], uint64_t hit,
			 void *ud)
{
	struct verify_out *o = ud;
	char hex[DIGEST_HEX_LEN + 1];
	digest_hex(digest, hex);
	o->problems++;
	if (o->cli->json)
		printf("{\"problem\":\"%s\",\"evidence\":\"%s\",\"hit\":%" PRIu64 "}\n",
		       problem_names[what], hex, hit);
	else if (what == STORE_VERIFY_MISSING)
		printf("missing %s hit %" PRIu64 "\n", hex, hit); /* i18n: machine (--help) */
	else
		printf("%s %s\n", problem_names[what], hex);
	return 0;
}

/* Declared in main.c too, which dispatches to it. */
int cmd_verify(struct cli *cli, int argc, char **argv);

int cmd_verify(struct cli *cli, int argc, char **argv)
{
	if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		fputs(_(verify_help), stdout);
		return CLI_OK;
	}
	if (argc > 1)
		return cli_usage_error("verify", _("unexpected argument '%s'"), argv[1]);
	struct store *store;
	if (cli_store_open_existing(cli->db, &store) != 0)
		return CLI_FAIL;
	struct verify_out o = {cli, 0};
	uint64_t bodies = 0, hits = 0;
	int rc = store_verify(store, verify_report, &o, &bodies, &hits);
	store_close(store);
	if (rc) {
		cli_error(_("cannot verify %s: %s"), cli->db, err_text(rc));
		return CLI_FAIL;
	}
	if (cli->json)
		printf("{\"bodies\":%" PRIu64 ",\"hits\":%" PRIu64 ",\"problems\":%" PRIu64 "}\n",
		       bodies, hits, o.problems);
	else if (!cli->quiet || o.problems)
		printf(o.problems
			       ? _("%llu responses and %llu hits checked: PROBLEMS FOUND\n")
			       : _("%llu responses and %llu hits checked: all evidence intact\n"),
		       (unsigned long long)bodies, (unsigned long long)hits);
	return o.problems ? CLI_FAIL : CLI_OK;
}
