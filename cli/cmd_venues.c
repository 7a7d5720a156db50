/* SPDX-License-Identifier: MIT */
/* patrol venues check|list|show: what an operator runs on patrol.yaml (docs/venues.md) before a
 * crawl relies on it. Everything printed comes from the loaded registry, never from the file.
 */
#include "cli/cli.h"
#include "common/i18n.h"

#include "crawler/venue.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const venues_help = N_(
	"usage: patrol venues check [FILE] | list | show ID\n"
	"\n"
	"  check [FILE]  load FILE (default: --config, $PATROL_CONFIG or ./patrol.yaml) and every\n"
	"                venue file it names; print 'N venues OK', or every error as\n"
	"                file:line:col: message (exit 2)\n"
	"  list          one line per venue: id, category, hosts, name\n"
	"  show ID       the whole record of one venue (exit 1 when there is no such venue)\n"
	"\n"
	"With the global --json, list and show print one JSON object per venue.\n"
	"docs/venues.md describes the file.\n");

/* "6h", "30m", "1d", "90s": every_s as patrol.yaml would write it. */
static const char *duration(int64_t s, char *buf, size_t len)
{
	if (s % 86400 == 0)
		snprintf(buf, len, "%" PRId64 "d", s / 86400);
	else if (s % 3600 == 0)
		snprintf(buf, len, "%" PRId64 "h", s / 3600);
	else if (s % 60 == 0)
		snprintf(buf, len, "%" PRId64 "m", s / 60);
	else
		snprintf(buf, len, "%" PRId64 "s", s);
	return buf;
}

static json_t *string_array(const char *const *items, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; a && i < n; i++)
		json_array_append_new(a, json_string(items[i]));
	return a;
}

static bool same_text(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

/* Whether spec is a built-in profile as it is (a venue may name its own "discuz"). */
static bool is_builtin(const struct doc_profile_spec *spec)
{
	const struct doc_profile_spec *b;
	for (size_t i = 0; (b = doc_profile_builtin(i)); i++)
		if (same_text(b->name, spec->name) && same_text(b->post, spec->post) &&
		    same_text(b->content, spec->content) && same_text(b->author, spec->author) &&
		    same_text(b->time, spec->time) && same_text(b->skip, spec->skip))
			return true;
	return false;
}

static json_t *json_string_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

static json_t *posts_json(const struct venue *v)
{
	json_t *a = json_array();
	for (size_t i = 0; a && i < v->npost_profiles; i++) {
		const struct doc_profile_spec *p = &v->post_profiles[i];
		json_array_append_new(a, json_pack("{ss sb ss so so so so}", "name", p->name,
						   "builtin", is_builtin(p), "post", p->post,
						   "content", json_string_or_null(p->content),
						   "author", json_string_or_null(p->author), "time",
						   json_string_or_null(p->time), "skip",
						   json_string_or_null(p->skip)));
	}
	return json_pack("{sb so}", "own", v->own_posts, "profiles", a);
}

static json_t *venue_json(const struct venue *v)
{
	char every[32];
	json_t *schedule = v->every_s ? json_pack("{ss sI}", "every",
						  duration(v->every_s, every, sizeof(every)),
						  "every_s", (json_int_t)v->every_s)
				      : json_null();
	return json_pack(
		"{ss ss ss ss ss so sb s{so so so} s{sI sI} so s{sI sI sI sI sI} so sb so ss sI}",
		"id", v->id, "name", v->name, "operator", v->operator_name, "registration",
		v->registration, "category", v->category, "seeds",
		string_array(v->seeds, v->nseeds), "sitemaps", v->sitemaps, "scope", "hosts",
		string_array(v->hosts, v->nhosts), "include", string_array(v->include, v->ninclude),
		"exclude", string_array(v->exclude, v->nexclude), "politeness", "delay_ms",
		(json_int_t)v->delay_ms, "connections", (json_int_t)v->host_connections, "schedule",
		schedule, "limits", "max_pages", (json_int_t)v->max_pages, "max_depth",
		(json_int_t)v->max_depth, "max_path_segments", (json_int_t)v->max_path_segments,
		"max_repeated_segments", (json_int_t)v->max_repeated_segments, "max_query_variants",
		(json_int_t)v->max_query_variants, "packs", string_array(v->packs, v->npacks),
		"allow_private_addresses", v->allow_private, "posts", posts_json(v), "file",
		v->file, "line", (json_int_t)v->line);
}

static int print_json(const struct venue *v)
{
	json_t *o = venue_json(v);
	char *s = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	json_decref(o);
	if (!s) {
		cli_error(_("out of memory"));
		return CLI_FAIL;
	}
	puts(s);
	free(s);
	return CLI_OK;
}

/* items joined by sep, or none when there are no items. */
static void print_joined(const char *const *items, size_t n, const char *sep, const char *none)
{
	if (n == 0)
		fputs(none, stdout);
	for (size_t i = 0; i < n; i++)
		printf("%s%s", i ? sep : "", items[i]);
}

static void print_list(const char *label, const char *const *items, size_t n, const char *none)
{
	printf("%-14s ", label);
	print_joined(items, n, "\n               ", none);
	putchar('\n');
}

/* The venue's post profiles: the built-in ones by name, its own with their selectors. */
static void print_posts(const struct venue *v)
{
	static const char pad[] = "               ";
	printf("%-14s ", "posts:");
	if (v->npost_profiles == 0)
		puts(_("(none: no posts are looked for)"));
	for (size_t i = 0; i < v->npost_profiles; i++) {
		const struct doc_profile_spec *p = &v->post_profiles[i];
		const char *sel[] = {p->post, p->content, p->author, p->time, p->skip};
		const char *key[] = {"post", "content", "author", "time", "skip"};
		printf("%s%s", i ? pad : "", p->name);
		if (is_builtin(p)) {
			puts(_(" (built-in)"));
			continue;
		}
		putchar('\n');
		for (size_t k = 0; k < sizeof(sel) / sizeof(sel[0]); k++)
			if (sel[k])
				printf("%s  %-8s %s\n", pad, key[k], sel[k]);
	}
}

static void print_text(const struct venue *v)
{
	char every[32];
	printf("%-14s %s\n", "id:", v->id);
	printf("%-14s %s\n", "name:", v->name);
	printf("%-14s %s\n", "operator:", v->operator_name[0] ? v->operator_name : "-");
	printf("%-14s %s\n", "registration:", v->registration[0] ? v->registration : "-");
	printf("%-14s %s\n", "category:", v->category[0] ? v->category : "-");
	print_list("seeds:", v->seeds, v->nseeds, "");
	printf("%-14s %s\n", "sitemaps:", v->sitemaps ? "true" : "false");
	print_list("hosts:", v->hosts, v->nhosts, "");
	print_list("include:", v->include, v->ninclude, _("(everything on the hosts)"));
	print_list("exclude:", v->exclude, v->nexclude, _("(nothing)"));
	printf("%-14s delay_ms %u, connections %u\n", "politeness:", v->delay_ms,
	       v->host_connections);
	printf("%-14s %s\n",
	       "schedule:", v->every_s ? duration(v->every_s, every, sizeof(every)) : _("(none)"));
	printf("%-14s max_pages %zu%s, max_depth %u, max_path_segments %u,\n"
	       "%-14s max_repeated_segments %u, max_query_variants %u\n",
	       "limits:", v->max_pages, v->max_pages ? "" : _(" (no limit)"), v->max_depth,
	       v->max_path_segments, "", v->max_repeated_segments, v->max_query_variants);
	printf("%-14s ", "packs:");
	print_joined(v->packs, v->npacks, ", ", _("(all)"));
	putchar('\n');
	printf("%-14s %s\n", "allow_private:", v->allow_private ? "true" : "false");
	print_posts(v);
	if (v->file[0])
		printf("%-14s %s:%zu\n", _("defined at:"), v->file, v->line);
}

static int venues_list(const struct cli *cli, const struct venue_registry *r)
{
	for (size_t i = 0; i < venue_registry_count(r); i++) {
		const struct venue *v = venue_registry_get(r, i);
		if (cli->json) {
			if (print_json(v) != CLI_OK)
				return CLI_FAIL;
			continue;
		}
		printf("%-24s %-12s ", v->id, v->category[0] ? v->category : "-");
		/* Hosts in one column: joined, padded to 32 unless longer. */
		int width = 0;
		for (size_t k = 0; k < v->nhosts; k++)
			width += printf("%s%s", k ? "," : "", v->hosts[k]);
		printf("%*s %s\n", width < 32 ? 32 - width : 0, "", v->name);
	}
	if (!venue_registry_path(r) && !cli->quiet && !cli->json)
		cli_error(_("no configuration file (--config, $PATROL_CONFIG or ./patrol.yaml): "
			    "no venues"));
	return CLI_OK;
}

static int venues_show(const struct cli *cli, const struct venue_registry *r, const char *id)
{
	const struct venue *v = venue_registry_find(r, id);
	if (!v) {
		const char *path = venue_registry_path(r);
		cli_error(_("no venue '%s' in %s"), id,
			  path ? path : _("the registry (no configuration file)"));
		return CLI_FAIL;
	}
	if (cli->json)
		return print_json(v);
	print_text(v);
	return CLI_OK;
}

int cmd_venues(struct cli *cli, int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		fputs(_(venues_help), argc < 2 ? stderr : stdout);
		return argc < 2 ? CLI_USAGE : CLI_OK;
	}
	const char *verb = argv[1];
	if (strcmp(verb, "check") == 0) {
		if (argc > 3)
			return cli_usage_error("venues", _("check takes one FILE at most"));
		if (argc == 3) {
			cli->config = argv[2];
			cli->config_explicit = true;
		}
		if (!cli->config) {
			cli_error(
				_("no configuration file to check: name one, use --config FILE or "
				  "$PATROL_CONFIG, or create ./patrol.yaml"));
			return CLI_USAGE;
		}
	} else if (strcmp(verb, "list") == 0) {
		if (argc > 2)
			return cli_usage_error("venues", _("unexpected argument '%s'"), argv[2]);
	} else if (strcmp(verb, "show") == 0) {
		if (argc != 3)
			return cli_usage_error("venues", _("show takes one venue ID"));
	} else {
		return cli_usage_error("venues", _("unknown subcommand '%s'"), verb);
	}
	struct venue_registry *r = NULL;
	int status = cli_registry_load(cli, &r);
	if (status != CLI_OK)
		return status;
	if (strcmp(verb, "list") == 0)
		status = venues_list(cli, r);
	else if (strcmp(verb, "show") == 0)
		status = venues_show(cli, r, argv[2]);
	else if (!cli->quiet)
		printf(_("%zu venues OK\n"), venue_registry_count(r));
	venue_registry_free(r);
	return status;
}
