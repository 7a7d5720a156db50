/* SPDX-License-Identifier: MIT */
/* Helpers the commands share: error lines, opening the store, loading rules, printing hits. */
#include "cli/cli.h"

#include "cli/assets.h"
#include "common/buf.h"
#include "common/clock.h"
#include "common/err.h"
#include "common/i18n.h"
#include "crawler/venue.h"
#include "index/store.h"
#include "rules/rules.h"

#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

void cli_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("patrol: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "patrol %s: ", cmd);
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, _("\nTry 'patrol %s --help'.\n"), cmd);
	va_end(ap);
	return CLI_USAGE;
}

long long cli_parse_count(const char *cmd, const char *opt, const char *arg)
{
	char *end;
	errno = 0;
	long long v = strtoll(arg, &end, 10);
	if (errno || end == arg || *end || v < 0) {
		cli_usage_error(cmd, _("%s wants a non-negative number, not '%s'"), opt, arg);
		return -1;
	}
	return v;
}

int cli_store_open(const char *dir, struct store **ret_store)
{
	char err[512];
	int rc = store_open(dir, ret_store, err, sizeof(err));
	if (rc)
		cli_error("%s", err);
	return rc;
}

int cli_store_open_existing(const char *dir, struct store **ret_store)
{
	struct stat st;
	if (stat(dir, &st) != 0) {
		cli_error(_("no store at %s (crawl first, or name one with --db DIR)"), dir);
		return -errno;
	}
	return cli_store_open(dir, ret_store);
}

static int cli_rules_builtin(const char *cache, struct rules_set **ret_set, struct buf *errors)
{
	struct rules_source src[64];
	size_t n = 0;
	for (size_t i = 0; i < cli_assets_count && n < 64; i++) {
		if (strncmp(cli_assets[i].path, "rules/packs/", 12) != 0)
			continue;
		src[n++] = (struct rules_source){cli_assets[i].path, (const char *)cli_assets[i].data,
						 cli_assets[i].len};
	}
	return rules_set_load_sources_cached(src, n, cache, ret_set, errors);
}

int cli_file_read(const char *path, struct buf *out)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	if (!f)
		return -errno;
	char chunk[65536];
	size_t n;
	int rc = 0;
	errno = 0;
	while (!rc && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		rc = buf_add(out, chunk, n);
	if (!rc && ferror(f))
		rc = errno ? -errno : -EIO; /* EISDIR for a directory */
	if (f != stdin)
		fclose(f);
	return rc;
}

void cli_cache_dir(char *out, size_t n)
{
	const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
	char parent[PATH_MAX];
	out[0] = '\0';
	if (xdg && xdg[0] == '/')
		snprintf(parent, sizeof(parent), "%s", xdg);
	else if (home && home[0] == '/')
		snprintf(parent, sizeof(parent), "%s/.cache", home);
	else
		return;
	if (mkdir(parent, 0700) != 0 && errno != EEXIST)
		return;
	if ((size_t)snprintf(out, n, "%s/patrol", parent) >= n)
		out[0] = '\0';
}

int cli_rules_load(const char *const *paths, size_t npaths, struct rules_set **ret_set)
{
	struct buf errors;
	char cache[PATH_MAX];
	cli_cache_dir(cache, sizeof(cache));
	buf_init(&errors, 1u << 20);
	int rc = npaths ? rules_set_load_cached(paths, npaths, cache[0] ? cache : NULL, ret_set,
						&errors)
			: cli_rules_builtin(cache[0] ? cache : NULL, ret_set, &errors);
	if (rc) {
		if (errors.len)
			fputs(buf_str(&errors), stderr);
		cli_error(_("cannot load rules: %s"), err_text(rc));
	}
	buf_done(&errors);
	return rc;
}

struct print_ctx {
	struct cli *cli;
	struct store *store;
	size_t limit;
	size_t printed;
};

static int copy_canonical(const struct store_page *page, void *ud)
{
	char **ret = ud;
	*ret = strdup(page->canonical);
	return *ret ? 0 : -ENOMEM;
}

/* The hit's page's <link rel=canonical> (malloc'd), or NULL when it has none or the page is not
 * stored. A read of its own beside the walk: LMDB lets one thread hold both (MDB_NOTLS). */
static int hit_canonical(struct store *store, const struct store_hit *h, char **ret)
{
	*ret = NULL;
	int rc = store_page_get(store, h->url, copy_canonical, ret);
	if (rc == 0 && !**ret) {
		free(*ret);
		*ret = NULL;
	}
	return rc == ERR_NOT_FOUND ? 0 : rc;
}

static int print_hit_json(const struct store_hit *h, const char *canonical)
{
	char first[32], last[32];
	/* DESIGN.md §4's keys, in its order, then ours. The evidence digest arrives with evidence
	 * storage. */
	json_t *o = json_pack("{sI ss ss ss ss ss ss so ss ss ss ss ss sI sn so}",
			      "id", (json_int_t)h->id, "rule", h->rule, "category", h->category,
			      "severity", h->severity, "venue", h->venue, "url", h->url,
			      "field", h->field,
			      "post", h->post >= 0 ? json_integer(h->post) : json_null(),
			      "match", h->match, "snippet", h->snippet, "status", h->status,
			      "first_seen", clock_iso8601(h->first_seen, first, sizeof(first)),
			      "last_seen", clock_iso8601(h->last_seen, last, sizeof(last)),
			      "count", (json_int_t)h->count, "evidence", "canonical",
			      canonical ? json_string(canonical) : json_null());
	if (!o)
		return -ENOMEM;
	char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	if (!s)
		return -ENOMEM;
	puts(s);
	free(s);
	return 0;
}

static void print_hit_text(const struct store_hit *h, const char *canonical)
{
	printf("#%-4llu %-8s %s\n      %s\n      match:   %s\n      snippet: %s\n",
	       (unsigned long long)h->id, h->severity, h->rule, h->url, h->match, h->snippet);
	if (canonical && strcmp(canonical, h->url) != 0)
		printf("      canonical: %s\n", canonical);
}

static int print_hit(const struct store_hit *h, void *ud)
{
	struct print_ctx *p = ud;
	char *canonical = NULL;
	if (p->limit && p->printed >= p->limit)
		return 1; /* enough: stop the walk */
	p->printed++;
	int rc = hit_canonical(p->store, h, &canonical);
	if (rc == 0 && p->cli->json)
		rc = print_hit_json(h, canonical);
	else if (rc == 0)
		print_hit_text(h, canonical);
	free(canonical);
	return rc;
}

int cli_print_hits(struct cli *cli, struct store *store, size_t limit)
{
	struct print_ctx p = {cli, store, limit, 0};
	int rc = store_hits_each(store, print_hit, &p);
	if (rc < 0) {
		cli_error(_("cannot read hits from %s: %s"), cli->db, err_text(rc));
		return rc;
	}
	return 0;
}

int cli_registry_load(struct cli *cli, struct venue_registry **ret)
{
	if (!cli->config)
		return venue_registry_new_default(ret) == 0 ? CLI_OK : CLI_FAIL;
	struct buf errors;
	buf_init(&errors, 1u << 20);
	int rc = venue_registry_load(cli->config, ret, &errors);
	if (errors.len)
		fputs(buf_str(&errors), stderr);
	buf_done(&errors);
	if (rc == ERR_PARSE)
		return CLI_USAGE; /* the lines above say where and why */
	if (rc != 0) {
		cli_error(_("cannot load %s: %s"), cli->config, err_text(rc));
		return CLI_FAIL;
	}
	return CLI_OK;
}
