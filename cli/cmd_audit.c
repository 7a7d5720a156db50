/* SPDX-License-Identifier: MIT */
/* patrol audit [--hit ID] [--verify]: the review history as the audit chain holds it, and the
 * check that nobody changed it since (store_audit_verify: every link, the sequence, the head).
 */
#include "cli/cli.h"
#include "cli/hitfmt.h"
#include "cli/timezone.h"

#include "common/clock.h"
#include "common/digest.h"
#include "common/err.h"
#include "common/i18n.h"
#include "index/store.h"

#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cmd_audit(struct cli *cli, int argc, char **argv);

static const char *const audit_help = N_(
	"usage: patrol audit [--hit ID] [--verify]\n"
	"\n"
	"List the audit chain: every review change, oldest first, with its time, who made it, the\n"
	"hit, the status before and after, the note and the first bytes of the entry's hash.\n"
	"With the global --json, one object per entry.\n"
	"\n"
	"  --hit ID   only the entries about hit ID\n"
	"  --verify   check the chain: every entry's link to the one before, the sequence and the\n"
	"             head; name each altered, inserted, removed or moved entry and exit 1, or\n"
	"             print the number of entries and the head hash (keep it: a chain rewritten\n"
	"             as a whole, head included, has another) and exit 0\n");

static int print_entry(const struct store_audit_entry *e, void *ud)
{
	const struct cli *cli = ud;
	char at[32], hash[DIGEST_HEX_LEN + 1], prev[DIGEST_HEX_LEN + 1];
	digest_hex(e->hash, hash);
	digest_hex(e->prev, prev);
	clock_iso8601(e->time, at, sizeof(at));
	if (!cli->json) {
		char what[64] = "", local[CLOCK_LOCAL_LEN];
		if (e->hit)
			snprintf(what, sizeof(what), "#%-6llu %s -> %s", (unsigned long long)e->hit,
				 e->before, e->after);
		printf("%6llu  %s  %-12s %-7s %s%s%s  [%.12s]\n", (unsigned long long)e->seq,
		       cli_time(e->time, local, sizeof(local)), e->actor, e->action, what,
		       e->note[0] && what[0] ? "  " : "", e->note, hash);
		return 0;
	}
	json_t *o = json_pack("{sI ss ss ss sI ss ss ss ss ss}", "seq", (json_int_t)e->seq, "time",
			      at, "actor", e->actor, "action", e->action, "hit", (json_int_t)e->hit,
			      "before", e->before, "after", e->after, "note", e->note, "prev", prev,
			      "hash", hash);
	char *s = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	json_decref(o);
	if (!s)
		return -ENOMEM;
	puts(s);
	free(s);
	return 0;
}

static int print_problem(enum store_audit_problem what, uint64_t first, uint64_t last,
			 uint64_t other, void *ud)
{
	unsigned *n = ud;
	static const char *const words[] = {
		/* TRANSLATORS: what happened to audit entries, said of "entry 3" or "the chain's
		 * head" in the sentences below. */
		[STORE_AUDIT_ALTERED] = N_("altered: its bytes are not those the chain recorded"),
		[STORE_AUDIT_INSERTED] = N_("inserted: not part of the chain"),
		[STORE_AUDIT_REMOVED] = N_("removed"),
		[STORE_AUDIT_MOVED] = N_("moved"),
		[STORE_AUDIT_CORRUPT] = N_("unreadable"),
	};
	(*n)++;
	if (first == 0)
		printf(_("audit: the chain's head or a key is %s\n"), _(words[what]));
	else if (first == last)
		printf(_("audit: entry %llu %s"), (unsigned long long)first, _(words[what]));
	else
		printf(_("audit: entries %llu-%llu %s"), (unsigned long long)first,
		       (unsigned long long)last, _(words[what]));
	if (first && what == STORE_AUDIT_MOVED)
		printf(_(" (it holds entry %llu)"), (unsigned long long)other);
	if (first)
		putchar('\n');
	return 0;
}

static int audit_verify(struct cli *cli, struct store *store)
{
	unsigned problems = 0;
	uint64_t n = 0;
	uint8_t head[DIGEST_LEN];
	char hex[DIGEST_HEX_LEN + 1];
	int rc = store_audit_verify(store, print_problem, &problems, &n, head);
	if (rc) {
		cli_error(_("cannot read the audit chain of %s: %s"), cli->db, err_text(rc));
		return CLI_FAIL;
	}
	digest_hex(head, hex);
	if (problems) {
		printf(dngettext(PATROL_TEXTDOMAIN,
				 "audit: %u problem in %llu entries: the chain was changed\n",
				 "audit: %u problems in %llu entries: the chain was changed\n",
				 problems),
		       problems, (unsigned long long)n);
		return CLI_FAIL;
	}
	if (cli->json)
		printf("{\"entries\":%llu,\"head\":\"%s\",\"ok\":true}\n", (unsigned long long)n,
		       hex);
	else
		printf(_("audit: %llu entries, chain intact, head %s\n"), (unsigned long long)n,
		       hex);
	return CLI_OK;
}

int cmd_audit(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{"hit", required_argument, NULL, 'i'},
		{"verify", no_argument, NULL, 'v'},
		{"help", no_argument, NULL, 'h'},
		{0, 0, 0, 0},
	};
	bool verify = false;
	uint64_t hit = 0;
	int c;
	optind = 0; /* a fresh scan that permutes: options may follow the ids */
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (c == 'h') {
			fputs(_(audit_help), stdout);
			return CLI_OK;
		} else if (c == 'v') {
			verify = true;
		} else if (c == 'i') {
			if (hitfmt_parse_id("audit", optarg, &hit))
				return CLI_USAGE;
		} else {
			return cli_usage_error("audit", _("unknown option"));
		}
	}
	if (optind < argc)
		return cli_usage_error("audit", _("unexpected argument '%s'"), argv[optind]);
	struct store *store;
	if (cli_store_open_existing(cli->db, &store) != 0)
		return CLI_FAIL;
	int rc = verify ? audit_verify(cli, store) : store_audit_each(store, hit, print_entry, cli);
	store_close(store);
	if (!verify && rc) {
		cli_error(_("cannot read the audit chain of %s: %s"), cli->db, err_text(rc));
		return CLI_FAIL;
	}
	return rc;
}
