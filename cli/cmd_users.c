/* SPDX-License-Identifier: MIT */
/* patrol users add|list|remove: the analysts who may log in to the review UI (patrol serve).
 * A new analyst's login token is 32 random bytes in hex, printed once; the store keeps only its
 * SHA-256 (index/users.c), so a lost token is replaced by removing and adding the analyst.
 */
#include "cli/cli.h"
#include "cli/timezone.h"

#include "common/clock.h"
#include "common/digest.h"
#include "common/err.h"
#include "common/i18n.h"
#include "index/store.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

int cmd_users(struct cli *cli, int argc, char **argv);

static const char *const users_help =
	N_("usage: patrol users add NAME | list | remove NAME\n"
	   "\n"
	   "The analysts of the review UI (patrol serve).\n"
	   "  add NAME     add an analyst (letters, digits, '.', '_', '-'; at most 64) and print\n"
	   "               their login token, once: only its SHA-256 is stored\n"
	   "  list         the analysts and when each was added (--json: one object each)\n"
	   "  remove NAME  remove an analyst; their sessions end at once\n");

static int users_add(struct cli *cli, struct store *s, const char *name)
{
	if (!store_user_name_valid(name))
		return cli_usage_error("users", _("'%s' is not a valid analyst name"), name);
	uint8_t raw[DIGEST_LEN], hash[DIGEST_LEN];
	char token[DIGEST_HEX_LEN + 1];
	if (getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw)) {
		cli_error(_("cannot get random bytes for a token"));
		return CLI_FAIL;
	}
	digest_hex(raw, token);
	int rc = digest_sha256(token, strlen(token), hash);
	rc = rc ? rc : store_user_add(s, name, hash, clock_wall());
	if (rc == -EEXIST) {
		cli_error(_("analyst %s exists already (remove them first for a new token)"), name);
		return CLI_FAIL;
	}
	if (rc) {
		cli_error(_("cannot add %s to %s: %s"), name, cli->db, err_text(rc));
		return CLI_FAIL;
	}
	if (cli->json)
		printf("{\"name\":\"%s\",\"token\":\"%s\"}\n", name, token);
	else if (cli->quiet)
		printf("%s\n", token);
	else
		printf(_("added %s; their login token (shown only now):\n%s\n"), name, token);
	return CLI_OK;
}

static int users_print(const struct store_user *u, void *ud)
{
	const struct cli *cli = ud;
	char when[32], local[CLOCK_LOCAL_LEN];
	clock_iso8601(u->created, when, sizeof(when));
	if (cli->json)
		printf("{\"name\":\"%s\",\"created\":\"%s\"}\n", u->name, when);
	else
		printf(_("%-24s added %s\n"), u->name, cli_time(u->created, local, sizeof(local)));
	return 0;
}

int cmd_users(struct cli *cli, int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		fputs(_(users_help), argc < 2 ? stderr : stdout);
		return argc < 2 ? CLI_USAGE : CLI_OK;
	}
	const char *sub = argv[1];
	bool list = strcmp(sub, "list") == 0;
	if (!list && strcmp(sub, "add") != 0 && strcmp(sub, "remove") != 0)
		return cli_usage_error("users", _("unknown subcommand '%s'"), sub);
	if (list ? argc != 2 : argc != 3)
		return cli_usage_error("users",
				       list ? _("list takes no arguments") : _("%s takes one NAME"),
				       sub);
	struct store *s = NULL;
	int status = list || strcmp(sub, "remove") == 0 ? cli_store_open_existing(cli->db, &s)
							: cli_store_open(cli->db, &s);
	if (status != 0)
		return CLI_FAIL;
	int rc = 0;
	if (strcmp(sub, "add") == 0) {
		status = users_add(cli, s, argv[2]);
	} else if (list) {
		rc = store_users_each(s, users_print, cli);
	} else {
		rc = store_user_remove(s, argv[2], clock_wall());
		if (rc == ERR_NOT_FOUND) {
			cli_error(_("no analyst %s in %s"), argv[2], cli->db);
			status = CLI_FAIL;
			rc = 0;
		} else if (!rc && !cli->quiet) {
			printf(_("removed %s\n"), argv[2]);
		}
	}
	if (rc) {
		cli_error(_("users %s: %s"), sub, err_text(rc));
		status = CLI_FAIL;
	}
	store_close(s);
	return status;
}
