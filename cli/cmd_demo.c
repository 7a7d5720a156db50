/* SPDX-License-Identifier: MIT */
/* patrol demo: serve the bundled demo forum on 127.0.0.1, crawl it with the shipped packs into a
 * fresh store (or --db), and show what was found. Needs no network and no configuration.
 */
#include "cli/cli.h"

#include "cli/assets.h"
#include "common/buf.h"
#include "common/clock.h"
#include "common/i18n.h"
#include "crawler/crawl.h"
#include "crawler/venue.h"
#include "index/store.h"
#include "review/httpd.h"
#include "rules/rules.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEMO_PREFIX "docs/demo"
#define DEMO_VENUE "demo-forum"
/* The name the demo forum's pages are stored under, whatever port serves them this time. */
#define DEMO_HOST "demo-forum.localhost"

static const char *const demo_help = N_(
	"usage: patrol demo [--max-pages N] [--serve [--listen ADDR:PORT]]\n"
	"\n"
	"Serve the demo forum bundled in patrol on 127.0.0.1 (a free port), crawl it as the venue\n"
	"'demo-forum' with the shipped rule packs, and print a summary and the hits. The store is "
	"a\n"
	"new directory under $TMPDIR unless the global --db names one; its path is printed so "
	"that\n"
	"'patrol --db DIR hits' can look again.\n"
	"  --serve        then serve the review UI on the store (patrol serve) until Ctrl-C, with\n"
	"                 an analyst 'demo' whose login token is printed\n"
	"  --listen A:P   where --serve listens (default 127.0.0.1:8750)\n");

int cmd_serve(struct cli *cli, int argc, char **argv); /* cli/cmd_serve.c */
int cmd_users(struct cli *cli, int argc, char **argv); /* cli/cmd_users.c */

/* --serve: a fresh analyst "demo" (its token printed by users add), then patrol serve. */
static int demo_serve(struct cli *cli, const char *listen)
{
	char users[] = "users", add1[] = "add", demo[] = "demo", serve0[] = "serve";
	char opt[] = "--listen", addr[64];
	snprintf(addr, sizeof(addr), "%s", listen);
	char *add[] = {users, add1, demo, NULL};
	char *serve[] = {serve0, opt, addr, NULL};
	int status = cmd_users(cli, 3, add);
	return status == CLI_OK ? cmd_serve(cli, 3, serve) : status;
}

/* The demo forum's files, as the static handler wants them: paths under "/". */
struct demo_site {
	struct httpd_file files[256];
	struct httpd_site site;
};

static int demo_site_init(struct demo_site *d)
{
	size_t n = 0, plen = strlen(DEMO_PREFIX);
	for (size_t i = 0; i < cli_assets_count; i++) {
		const struct cli_asset *a = &cli_assets[i];
		if (strncmp(a->path, DEMO_PREFIX "/", plen + 1) != 0)
			continue;
		if (n == sizeof(d->files) / sizeof(d->files[0]))
			return -1;
		d->files[n++] = (struct httpd_file){a->path + plen, a->data, a->len};
	}
	d->site = (struct httpd_site){.files = d->files, .nfiles = n};
	return n ? 0 : -1;
}

static void demo_summary(const struct crawl_stats *s, const char *db)
{
	printf(_("Crawled the demo forum: %llu pages in %.2f s, %llu hits (%llu new), "
		 "%llu off-site links not followed.\n"),
	       (unsigned long long)s->pages, (double)s->elapsed_ms / 1000.0,
	       (unsigned long long)s->hits, (unsigned long long)s->hits_new,
	       (unsigned long long)s->off_site);
	printf(_("Store: %s  (look again with: patrol --db %s hits)\n\n"), db, db);
}

/* The demo forum as a registered venue: on loopback by design, and with no politeness delay,
 * since the only server it could burden is the one patrol itself runs for the demo. */
static const char demo_registry[] =
	"crawler:\n"
	"  user_agent: \"patrol-demo/0.1 (+https://github.com/patrol-crawler/patrol)\"\n"
	"venues:\n"
	"  - id: " DEMO_VENUE "\n"
	"    name: DemoBBS, the forum bundled with patrol\n"
	"    operator: the patrol project (fictional content)\n"
	"    registration: \"demo venue, not a real registration\"\n"
	"    category: forum\n"
	"    seeds: [\"http://" DEMO_HOST "/\"]\n"
	"    politeness: {delay_ms: 0, connections: 8}\n"
	"    allow_private_addresses: true\n";

static int demo_crawl(struct cli *cli, unsigned port, size_t max_pages, struct store *store,
		      const struct rules_set *rules)
{
	char connect_to[96], err[1024];
	struct buf errors;
	struct venue_registry *reg = NULL;
	buf_init(&errors, 1 << 16);
	if (venue_registry_load_mem("demo venue", demo_registry, sizeof(demo_registry) - 1, &reg,
				    &errors) != 0) {
		cli_error(_("the built-in demo venue does not load: %s"), buf_str(&errors));
		buf_done(&errors);
		return CLI_FAIL;
	}
	buf_done(&errors);
	snprintf(connect_to, sizeof(connect_to), DEMO_HOST ":80:127.0.0.1:%u", port);
	struct crawl_opts o;
	crawl_opts_default(&o);
	o.registry = reg;
	o.connect_to = connect_to;
	o.max_pages = max_pages;
	struct crawl_stats stats;
	int status = CLI_OK;
	if (crawl_run(&o, rules, store, &stats, err, sizeof(err)) != 0) {
		cli_error("%s", err);
		status = CLI_FAIL;
	} else if (cli->json) {
		cli_print_crawl_stats(cli, reg, &o, &stats);
	} else if (!cli->quiet) {
		demo_summary(&stats, cli->db);
	}
	venue_registry_free(reg);
	return status;
}

struct rule_count {
	char rule[128];
	size_t n;
};

struct demo_counts {
	struct rule_count rules[128];
	size_t nrules;
};

static int demo_count_hit(const struct store_hit *h, void *ud)
{
	struct demo_counts *c = ud;
	for (size_t i = 0; i < c->nrules; i++) {
		if (strcmp(c->rules[i].rule, h->rule) == 0) {
			c->rules[i].n++;
			return 0;
		}
	}
	if (c->nrules < sizeof(c->rules) / sizeof(c->rules[0])) {
		snprintf(c->rules[c->nrules].rule, sizeof(c->rules[0].rule), "%s", h->rule);
		c->rules[c->nrules++].n = 1;
	}
	return 0;
}

static int demo_report(struct cli *cli, struct store *store)
{
	if (!cli->json && !cli->quiet) {
		struct demo_counts counts = {0};
		if (store_hits_each(store, demo_count_hit, &counts) < 0)
			return CLI_FAIL;
		fputs(_("Hits per rule:\n"), stdout);
		for (size_t i = 0; i < counts.nrules; i++)
			printf("  %4zu  %s\n", counts.rules[i].n, counts.rules[i].rule);
		printf("\n");
	}
	if (cli->quiet)
		return CLI_OK;
	return cli_print_hits(cli, store, 0) ? CLI_FAIL : CLI_OK;
}

static int demo_parse(int argc, char **argv, size_t *max_pages, const char **serve)
{
	static const struct option opts[] = {
		{"max-pages", required_argument, NULL, 'm'},
		{"serve", no_argument, NULL, 's'},
		{"listen", required_argument, NULL, 'l'},
		{"help", no_argument, NULL, 'h'},
		{0, 0, 0, 0},
	};
	int c;
	long long v;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'm':
			if ((v = cli_parse_count("demo", "--max-pages", optarg)) < 0)
				return CLI_USAGE;
			*max_pages = (size_t)v;
			break;
		case 's':
			*serve = *serve ? *serve : "127.0.0.1:8750";
			break;
		case 'l':
			*serve = optarg;
			break;
		case 'h': fputs(_(demo_help), stdout); return CLI_OK;
		default: return cli_usage_error("demo", _("unknown option"));
		}
	}
	if (optind < argc)
		return cli_usage_error("demo", _("unexpected argument '%s'"), argv[optind]);
	return -1;
}

int cmd_demo(struct cli *cli, int argc, char **argv)
{
	size_t max_pages = 0;
	const char *serve = NULL;
	int status = demo_parse(argc, argv, &max_pages, &serve);
	if (status >= 0)
		return status;
	static struct demo_site site; /* cli/ may hold state; large, so not on the stack */
	char tmpdir[4096], err[512];
	struct rules_set *rules = NULL;
	struct store *store = NULL;
	struct httpd *httpd = NULL;
	status = CLI_FAIL;
	if (!cli->db_explicit) {
		const char *t = getenv("TMPDIR");
		snprintf(tmpdir, sizeof(tmpdir), "%s/patrol-demo-XXXXXX", t && t[0] ? t : "/tmp");
		if (!mkdtemp(tmpdir)) {
			cli_error(_("cannot create a temporary store in %s: %m"), tmpdir);
			return CLI_FAIL;
		}
		cli->db = tmpdir;
	}
	if (demo_site_init(&site) != 0) {
		cli_error(_("this patrol was built without its demo forum"));
		goto fail;
	}
	if (cli_rules_load(NULL, 0, &rules) != 0 || cli_store_open(cli->db, &store) != 0)
		goto fail;
	if (httpd_start("127.0.0.1", 0, httpd_static_handler, &site.site, &httpd, err,
			sizeof(err)) != 0) {
		cli_error(_("cannot serve the demo forum: %s"), err);
		goto fail;
	}
	if (!cli->json && !cli->quiet)
		printf(_("Serving the demo forum at http://127.0.0.1:%u/ (as http://%s/)\n"),
		       httpd_port(httpd), DEMO_HOST);
	status = demo_crawl(cli, httpd_port(httpd), max_pages, store, rules);
	if (status == CLI_OK)
		status = demo_report(cli, store);
	if (status == CLI_OK && serve)
		store_user_remove(store, "demo", clock_wall()); /* a fresh token each time */
fail:
	httpd_stop(httpd);
	store_close(store);
	rules_set_free(rules);
	return status == CLI_OK && serve ? demo_serve(cli, serve) : status;
}
