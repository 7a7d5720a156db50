/* SPDX-License-Identifier: MIT */
/* patrol hits: the review queue, filtered and sorted (store_hits_query, which walks the
 * hits_by_status index when a status is given); patrol hit show ID: one hit with its page and
 * its review history from the audit chain.
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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cmd_hit(struct cli *cli, int argc, char **argv);

static const char *const hits_help_head = N_(
	"usage: patrol hits [--status S] [--venue ID] [--rule ID] [--category C] [--severity S]\n"
	"                   [--since TIME] [--until TIME] [--sort newest|oldest|severity]\n"
	"                   [--limit N]\n"
	"\n"
	"List the hits in the store (--db), newest first: id, status, severity, rule, page URL,\n"
	"the match and the snippet with the match between >> and <<. With the global --json, one\n"
	"JSON object per hit (DESIGN.md section 4's keys). 'patrol hit show ID' shows one.\n"
	"\n");

struct hits_ctx {
	const struct cli *cli;
	struct store *store;
};

static int print_hit(const struct store_hit *h, void *ud)
{
	const struct hits_ctx *x = ud;
	if (x->cli->json) {
		int rc;
		json_t *o = hitfmt_json_canonical(x->store, h, &rc);
		char *s = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
		json_decref(o);
		if (!s)
			return rc ? rc : -ENOMEM;
		puts(s);
		free(s);
		return 0;
	}
	char first[CLOCK_LOCAL_LEN];
	char *marked = hitfmt_marked(h);
	if (!marked)
		return -ENOMEM;
	printf("#%-6llu %-9s %-8s %s  %s\n        %s\n        %s\n", (unsigned long long)h->id,
	       h->status, h->severity, h->rule, cli_time(h->first_seen, first, sizeof(first)),
	       h->url, marked);
	free(marked);
	return 0;
}

int cmd_hits(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		HITFMT_FILTER_OPTIONS,
		{"help", no_argument, NULL, 'h'},
		{0, 0, 0, 0},
	};
	struct store_hit_query q;
	int c, r;
	store_hit_query_init(&q);
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (c == 'h') {
			printf("%s%s", _(hits_help_head), _(hitfmt_filter_help));
			return CLI_OK;
		}
		if ((r = hitfmt_filter_opt("hits", c, optarg, &q)) < 0)
			return CLI_USAGE;
		if (r == 0)
			return cli_usage_error("hits", _("unknown option"));
	}
	if (optind < argc)
		return cli_usage_error("hits", _("unexpected argument '%s'"), argv[optind]);
	struct store *store;
	if (cli_store_open_existing(cli->db, &store) != 0)
		return CLI_FAIL;
	struct hits_ctx x = {cli, store};
	int rc = store_hits_query(store, &q, print_hit, &x);
	store_close(store);
	if (rc) {
		cli_error(_("cannot list hits in %s: %s"), cli->db, err_text(rc));
		return CLI_FAIL;
	}
	return CLI_OK;
}

/* ---- patrol hit show ---- */

static const char *const hit_help = N_(
	"usage: patrol hit show ID [--evidence FILE]\n"
	"\n"
	"Show hit ID: its rule, page, match in its snippet (between >> and <<), when it was first\n"
	"and last seen, and its review history from the audit chain. With the global --json, one\n"
	"JSON object: the hit's keys, \"page\", \"tip\" (the patrol submit tip of its URL, or "
	"null)\n"
	"and \"history\".\n"
	"\n"
	"  --evidence FILE  write the raw response the hit was found in (status line, headers,\n"
	"                   body), exactly as stored, to FILE ('-': standard output, alone)\n");

/* What show gathers in its read transactions: a JSON copy of everything, printed after. */
struct show {
	json_t *hit, *page, *history, *tip;
	char *marked;
	uint8_t evidence[DIGEST_LEN]; /* zeros when the hit has none */
	char snapshot[DIGEST_HEX_LEN + 1]; /* its PNG's digest (patrol snapshot), "" when none */
};

static int show_hit(const struct store_hit *h, void *ud)
{
	struct show *sh = ud;
	sh->hit = hitfmt_json(h);
	memcpy(sh->evidence, h->evidence, DIGEST_LEN);
	sh->marked = hitfmt_marked(h);
	return sh->hit && sh->marked ? 0 : -ENOMEM;
}

static int show_page(const struct store_page *p, void *ud)
{
	struct show *sh = ud;
	char at[32];
	sh->page = json_pack("{ss ss ss si ss ss}", "url", p->url, "venue", p->venue, "fetched_at",
			     clock_iso8601(p->fetched_at, at, sizeof(at)), "status", p->status,
			     "title", p->title, "canonical", p->canonical);
	return sh->page ? 0 : -ENOMEM;
}

static int show_tip(const struct store_tip *t, void *ud)
{
	struct show *sh = ud;
	char at[32];
	sh->tip = json_pack("{ss ss ss ss}", "actor", t->actor, "at",
			    clock_iso8601(t->at, at, sizeof(at)), "note", t->note, "venue", t->venue);
	return sh->tip ? 0 : -ENOMEM;
}

static int show_entry(const struct store_audit_entry *e, void *ud)
{
	struct show *sh = ud;
	char at[32];
	json_t *o = json_pack("{sI ss ss ss ss ss ss}", "seq", (json_int_t)e->seq, "time",
			      clock_iso8601(e->time, at, sizeof(at)), "actor", e->actor, "action",
			      e->action, "before", e->before, "after", e->after, "note", e->note);
	return o && json_array_append_new(sh->history, o) == 0 ? 0 : -ENOMEM;
}

/* One line per pattern that matched: its name, the field instance, the byte range there. */
static void show_spans(const json_t *spans)
{
	size_t i;
	json_t *sp;
	json_array_foreach(spans, i, sp)
	{
		json_t *post = json_object_get(sp, "post");
		char where[64] = "";
		if (json_is_integer(post))
			snprintf(where, sizeof(where), " #%lld", (long long)json_integer_value(post));
		const char *text = json_string_value(json_object_get(sp, "text"));
		printf(_("  %-11s %s in %s%s, bytes %lld-%lld"), i ? "" : "patterns",
		       json_string_value(json_object_get(sp, "pattern")),
		       json_string_value(json_object_get(sp, "field")), where,
		       (long long)json_integer_value(json_object_get(sp, "start")),
		       (long long)json_integer_value(json_object_get(sp, "end")));
		/* what the page said there (hits stored before spans kept it have none) */
		if (text && text[0])
			printf(": %s", text); /* i18n: machine */
		putchar('\n');
	}
}

/* A time of the JSON (ISO 8601 UTC) as a person reads it; t is scratch of CLOCK_LOCAL_LEN. */
static const char *local_of(const json_t *o, const char *key, char *t)
{
	return cli_time_iso(json_string_value(json_object_get(o, key)), t, CLOCK_LOCAL_LEN);
}

static void show_text(const struct show *sh)
{
	json_t *h = sh->hit, *p = sh->page;
	char t[CLOCK_LOCAL_LEN];
	printf("hit #%lld  %s  %s\n", (long long)json_integer_value(json_object_get(h, "id")),
	       json_string_value(json_object_get(h, "status")),
	       json_string_value(json_object_get(h, "severity")));
	static const char *const keys[] = {"rule",  "pack",  "category",   "venue",    "url",
					   "field", "match", "first_seen", "last_seen"};
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		printf("  %-11s %s\n", keys[i], local_of(h, keys[i], t));
	json_t *post = json_object_get(h, "post");
	if (json_is_integer(post))
		printf("  %-11s %lld\n", "post", (long long)json_integer_value(post));
	static const char *const by[] = {"author", "time"};
	for (size_t i = 0; i < 2; i++)
		if (json_is_string(json_object_get(h, by[i])))
			printf("  %-11s %s\n", by[i],
			       json_string_value(json_object_get(h, by[i])));
	printf("  %-11s %lld\n", "count",
	       (long long)json_integer_value(json_object_get(h, "count")));
	printf("  %-11s %s\n", "snippet", sh->marked);
	show_spans(json_object_get(h, "spans"));
	static const char *const maybe[] = {"pack_version", "gone_at", "evidence"};
	for (size_t i = 0; i < sizeof(maybe) / sizeof(maybe[0]); i++) {
		const char *v = local_of(h, maybe[i], t);
		if (v && v[0])
			printf("  %-11s %s\n", maybe[i], v);
	}
	if (sh->snapshot[0])
		printf("  %-11s %s\n", "snapshot", sh->snapshot);
	if (p)
		printf(_("  page        %s (HTTP %lld, fetched %s)\n"),
		       json_string_value(json_object_get(p, "title")),
		       (long long)json_integer_value(json_object_get(p, "status")),
		       local_of(p, "fetched_at", t));
	if (sh->tip) {
		const char *note = json_string_value(json_object_get(sh->tip, "note"));
		const char *actor = json_string_value(json_object_get(sh->tip, "actor"));
		const char *at = local_of(sh->tip, "at", t);
		if (note[0])
			printf(_("  tip         submitted by %s at %s: %s\n"), actor, at, note);
		else
			printf(_("  tip         submitted by %s at %s\n"), actor, at);
	}
	fputs(json_array_size(sh->history) ? "  history\n"
					   : _("  history     none: never reviewed\n"),
	      stdout);
	size_t i;
	json_t *e;
	json_array_foreach(sh->history, i, e)
	{
		const char *note = json_string_value(json_object_get(e, "note"));
		printf("    %s  %s  %s -> %s%s%s\n", local_of(e, "time", t),
		       json_string_value(json_object_get(e, "actor")),
		       json_string_value(json_object_get(e, "before")),
		       json_string_value(json_object_get(e, "after")), note[0] ? "  " : "", note);
	}
}

static void show_json(struct show *sh)
{
	json_object_set(sh->hit, "page", sh->page ? sh->page : json_null());
	json_object_set(sh->hit, "history", sh->history);
	json_object_set(sh->hit, "tip", sh->tip ? sh->tip : json_null());
	json_object_set_new(sh->hit, "snapshot",
			    sh->snapshot[0] ? json_string(sh->snapshot) : json_null());
	char *s = json_dumps(sh->hit, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (s)
		puts(s);
	free(s);
}

static int hit_show_run(struct cli *cli, struct store *store, uint64_t id, struct show *sh)
{
	struct store_hit_query q;
	store_hit_query_init(&q);
	q.id = id;
	int rc = store_hits_query(store, &q, show_hit, sh);
	if (!rc && !sh->hit) {
		cli_error(_("no hit #%llu in %s"), (unsigned long long)id, cli->db);
		return CLI_FAIL;
	}
	const char *url = sh->hit ? json_string_value(json_object_get(sh->hit, "url")) : NULL;
	if (!rc && url) {
		rc = store_page_get(store, url, show_page, sh);
		if (rc == ERR_NOT_FOUND)
			rc = 0;
	}
	if (!rc && url && (rc = store_tip_get(store, url, show_tip, sh)) == ERR_NOT_FOUND)
		rc = 0;
	if (!rc)
		rc = store_audit_each(store, id, show_entry, sh);
	struct store_snapshot snap; /* none is fine: the hit has no evidence or was not rendered */
	if (!rc && sh->hit && store_snapshot_get(store, sh->evidence, &snap) == 0)
		digest_hex(snap.png, sh->snapshot);
	if (rc) {
		cli_error(_("cannot read hit #%llu in %s: %s"), (unsigned long long)id, cli->db,
			  err_text(rc));
		return CLI_FAIL;
	}
	return CLI_OK;
}

/* The raw response the hit was found in, exactly as stored, into path ("-": stdout). */
static int write_evidence(struct cli *cli, struct store *store, const struct show *sh,
			  const char *path)
{
	static const uint8_t zero[DIGEST_LEN];
	char *data = NULL;
	size_t len = 0;
	if (memcmp(sh->evidence, zero, DIGEST_LEN) == 0) {
		cli_error(_("hit has no evidence stored (found before patrol kept responses)"));
		return CLI_FAIL;
	}
	int rc = store_evidence_get(store, sh->evidence, &data, &len);
	if (rc) {
		cli_error(_("cannot read the hit's evidence from %s: %s"), cli->db, err_text(rc));
		return CLI_FAIL;
	}
	bool to_stdout = strcmp(path, "-") == 0;
	FILE *f = to_stdout ? stdout : fopen(path, "wbe");
	bool ok = f && fwrite(data, 1, len, f) == len;
	if (f && !to_stdout)
		ok = fclose(f) == 0 && ok;
	free(data);
	if (!ok) {
		cli_error(_("cannot write %s: %s"), path, strerror(errno));
		return CLI_FAIL;
	}
	return CLI_OK;
}

int cmd_hit(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{"evidence", required_argument, NULL, 'e'},
		{"help", no_argument, NULL, 'h'},
		{0, 0, 0, 0},
	};
	const char *evidence = NULL;
	uint64_t id;
	int c;
	optind = 0; /* a fresh scan that permutes: options may follow the ids */
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (c == 'h') {
			fputs(_(hit_help), stdout);
			return CLI_OK;
		}
		if (c != 'e')
			return cli_usage_error("hit", _("unknown option"));
		evidence = optarg;
	}
	if (argc - optind != 2 || strcmp(argv[optind], "show") != 0)
		return cli_usage_error("hit", _("expected: patrol hit show ID"));
	if (hitfmt_parse_id("hit", argv[optind + 1], &id))
		return CLI_USAGE;
	struct store *store;
	if (cli_store_open_existing(cli->db, &store) != 0)
		return CLI_FAIL;
	struct show sh = {.history = json_array()};
	int rc = sh.history ? hit_show_run(cli, store, id, &sh) : CLI_FAIL;
	if (rc == CLI_OK && evidence)
		rc = write_evidence(cli, store, &sh, evidence);
	store_close(store);
	if (rc == CLI_OK && cli->json)
		show_json(&sh);
	else if (rc == CLI_OK && !(evidence && strcmp(evidence, "-") == 0))
		show_text(&sh);
	json_decref(sh.hit);
	json_decref(sh.page);
	json_decref(sh.history);
	json_decref(sh.tip);
	free(sh.marked);
	return rc;
}
