/* SPDX-License-Identifier: MIT */
/* patrol crawl: crawl registered venues (or a seed's site) now, and report per-venue stats.
 * The first SIGINT or SIGTERM asks the crawl to stop gracefully; a second one ends patrol at
 * once (the signal's default action), which the store survives like kill -9. */
#include "cli/cli.h"
#include "cli/snapshot.h"

#include "common/clock.h"
#include "common/err.h"
#include "common/i18n.h"
#include "crawler/crawl.h"
#include "crawler/venue.h"
#include "index/store.h"
#include "rules/rules.h"

#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CRAWL_MAX_ARGS 64

static const char *const crawl_help = N_(
	"usage: patrol crawl [--venue ID]... [--seed URL]... [options]\n"
	"\n"
	"Crawl now, until the frontier is empty or a limit is reached: the venues named with\n"
	"--venue, the venue whose scope holds each --seed URL (or, when none does, an ad-hoc venue\n"
	"for that URL's host and port), or, with neither, every venue of the registry (--config).\n"
	"Pages are matched against the rule packs; pages and hits go to the store (--db). A crawl\n"
	"that was interrupted resumes where it stopped; a finished one starts over, adding no\n"
	"duplicate hit.\n"
	"\n"
	"  --venue ID          a registered venue; repeatable\n"
	"  --seed URL          a start URL (http or https); repeatable\n"
	"  --max-pages N       stop after N fetches (default: the venues' own limits)\n"
	"  --connections N     transfers in flight (default: crawler.connections, 32)\n"
	"  --workers N         parse and match threads (default: crawler.workers, one a core)\n"
	"  --rules PATH        a rule pack file or directory; repeatable\n"
	"                      (default: the config's rules, else the packs built into patrol)\n"
	"  --allow-private     let ad-hoc venues fetch from loopback and private addresses\n"
	"\n"
	"Exit status: 0 when the crawl ran (pages may have failed); 1 when it could not run;\n"
	"2 for a usage or configuration error; 75 when another crawl is using the store (--db).\n"
	"SIGINT or SIGTERM stops the crawl gracefully: the pages in flight are finished and\n"
	"stored, the summary is printed, and patrol exits 130 (SIGINT) or 143 (SIGTERM); the same\n"
	"command then resumes the crawl. A second signal ends patrol at once.\n");

/* The signal that asked the crawl to stop, 0 while none did. Statics, because a signal handler
 * has nowhere else to write; cli/ is the one place allowed them (STYLE.md). */
static atomic_bool crawl_stop;
static volatile sig_atomic_t crawl_signal;
static struct sigaction crawl_old_int, crawl_old_term;
static bool crawl_caught_int, crawl_caught_term;

/* Async-signal-safe: an atomic store and sigaction. Putting the default action back makes the
 * next signal end the process at once. */
static void crawl_on_signal(int sig)
{
	struct sigaction dfl = {.sa_handler = SIG_DFL};
	crawl_signal = sig;
	atomic_store(&crawl_stop, true);
	if (crawl_caught_int)
		sigaction(SIGINT, &dfl, NULL);
	if (crawl_caught_term)
		sigaction(SIGTERM, &dfl, NULL);
}

/* A signal ignored when patrol started (SIGINT for a job in the background of a script, or
 * under nohup) stays ignored, as a caller that ignores it expects. */
static bool crawl_catch(int sig, struct sigaction *old)
{
	struct sigaction sa = {.sa_handler = crawl_on_signal, .sa_flags = SA_RESTART};
	sigemptyset(&sa.sa_mask);
	sigaddset(&sa.sa_mask, SIGINT);
	sigaddset(&sa.sa_mask, SIGTERM);
	if (sigaction(sig, NULL, old) != 0 || old->sa_handler == SIG_IGN)
		return false;
	return sigaction(sig, &sa, NULL) == 0;
}

void cli_crawl_signals_catch(struct crawl_opts *o)
{
	atomic_store(&crawl_stop, false);
	crawl_signal = 0;
	crawl_caught_int = crawl_catch(SIGINT, &crawl_old_int);
	crawl_caught_term = crawl_catch(SIGTERM, &crawl_old_term);
	o->stop = &crawl_stop;
}

int cli_crawl_signal(void)
{
	return crawl_signal;
}

void cli_crawl_signals_restore(void)
{
	if (crawl_caught_int)
		sigaction(SIGINT, &crawl_old_int, NULL);
	if (crawl_caught_term)
		sigaction(SIGTERM, &crawl_old_term, NULL);
	crawl_caught_int = crawl_caught_term = false;
}

struct crawl_args {
	const char *venues[CRAWL_MAX_ARGS], *seeds[CRAWL_MAX_ARGS], *rules[CRAWL_MAX_ARGS];
	size_t nvenues, nseeds, nrules;
	bool allow_private;
	char rules_cache[4096]; /* the prefilter cache, for reloads */
	struct crawl_opts o;
};

struct crawl_view {
	const struct cli *cli;
	bool tty;          /* stderr is a terminal: a live progress line */
	int64_t shown_ms;  /* when the line was last drawn */
	bool drawn;
};

/* One line, redrawn in place at most five times a second. */
static void crawl_progress_line(struct crawl_view *v, const struct crawl_event *ev)
{
	if (v->drawn && ev->elapsed_ms - v->shown_ms < 200)
		return;
	v->shown_ms = ev->elapsed_ms;
	v->drawn = true;
	double s = (double)ev->elapsed_ms / 1000.0;
	/* the line is redrawn in place: carriage return first, clear to its end last */
	fputc('\r', stderr);
	fprintf(stderr,
		_("%llu done, %llu in flight, %llu queued, %.1f pages/s, %llu hits, %llu errors "),
		(unsigned long long)ev->done, (unsigned long long)ev->in_flight,
		(unsigned long long)ev->queued, s > 0 ? (double)ev->done / s : 0.0,
		(unsigned long long)ev->hits_total, (unsigned long long)ev->errors);
	fputs("\033[K", stderr);
}

static void crawl_progress(const struct crawl_event *ev, void *ud)
{
	struct crawl_view *view = ud;
	const struct cli *cli = view->cli;
	if (view->tty && !cli->verbose) {
		crawl_progress_line(view, ev);
		return;
	}
	if (cli->verbose) {
		fprintf(stderr, "%-14s %3ld %s%s%s", crawl_outcome_name(ev->outcome), ev->status,
			ev->url, ev->detail[0] ? "  " : "", ev->detail);
		if (ev->hits)
			fprintf(stderr, _("  (%zu hits)"), ev->hits);
		fputc('\n', stderr);
	}
}

static int crawl_add(const char **list, size_t *n, const char *what, const char *value)
{
	if (*n == CRAWL_MAX_ARGS)
		return cli_usage_error("crawl", _("too many %s"), what);
	list[(*n)++] = value;
	return -1;
}

/* Parses crawl's options into a; returns -1 to go on, else an exit status. */
static int crawl_parse(int argc, char **argv, struct crawl_args *a)
{
	static const struct option opts[] = {
		{"venue", required_argument, NULL, 'V'},      {"seed", required_argument, NULL, 's'},
		{"max-pages", required_argument, NULL, 'm'}, {"connections", required_argument, NULL, 'c'},
		{"workers", required_argument, NULL, 'w'},   {"rules", required_argument, NULL, 'r'},
		{"allow-private", no_argument, NULL, 'p'},   {"help", no_argument, NULL, 'h'},
		{0, 0, 0, 0},
	};
	int c, st = -1;
	long long v;
	while (st < 0 && (c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'V': st = crawl_add(a->venues, &a->nvenues, "--venue", optarg); break;
		case 's': st = crawl_add(a->seeds, &a->nseeds, "--seed", optarg); break;
		case 'r': st = crawl_add(a->rules, &a->nrules, "--rules", optarg); break;
		case 'p': a->allow_private = true; break;
		case 'm':
		case 'c':
		case 'w':
			if ((v = cli_parse_count("crawl", argv[optind - 1], optarg)) < 0)
				return CLI_USAGE;
			if (c == 'm')
				a->o.max_pages = (size_t)v;
			else if (v < 1 || v > 1024)
				return cli_usage_error("crawl", "%s wants 1 to 1024", argv[optind - 1]);
			else if (c == 'c')
				a->o.connections = (unsigned)v;
			else
				a->o.workers = (unsigned)v;
			break;
		case 'h': fputs(_(crawl_help), stdout); return CLI_OK;
		default: return cli_usage_error("crawl", _("unknown option"));
		}
	}
	if (st < 0 && optind < argc)
		return cli_usage_error("crawl", _("unexpected argument '%s'"), argv[optind]);
	return st;
}

/* The venue for each --seed: the registered one whose scope holds it, or a new ad-hoc one. */
static int crawl_seed_venues(struct venue_registry *reg, struct crawl_args *a)
{
	for (size_t i = 0; i < a->nseeds; i++) {
		const struct venue *v = NULL;
		for (size_t k = 0; k < venue_registry_count(reg) && !v; k++) {
			const struct venue *r = venue_registry_get(reg, k);
			if (venue_scope_check(r, a->seeds[i]) == VENUE_IN_SCOPE)
				v = r;
		}
		int rc = v ? 0 : venue_registry_add_adhoc(reg, a->seeds[i], a->allow_private, &v);
		if (rc) {
			cli_error(_("invalid seed URL '%s': %s"), a->seeds[i], err_text(rc));
			return rc;
		}
		if (crawl_add(a->venues, &a->nvenues, "--seed", v->id) >= 0)
			return ERR_USAGE;
	}
	return 0;
}

char *cli_crawl_summary(const char *venue, const struct crawl_stats *s)
{
	json_t *oc = json_object();
	for (int i = 0; i < CRAWL_OUTCOME_COUNT; i++)
		json_object_set_new(oc, crawl_outcome_name(i), json_integer((json_int_t)s->outcomes[i]));
	json_t *o = json_pack("{ss sI sI so sI sI sI sI sI sI sf}", "venue", venue, "pages",
			      (json_int_t)s->pages, "bytes", (json_int_t)s->bytes, "outcomes", oc,
			      "robots_blocked", (json_int_t)s->robots_blocked, "off_venue",
			      (json_int_t)s->off_site, "traps", (json_int_t)s->traps, "hits",
			      (json_int_t)s->hits, "hits_new", (json_int_t)s->hits_new, "rule_errors",
			      (json_int_t)s->rule_errors, "seconds", (double)s->elapsed_ms / 1000.0);
	char *text = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(6))
		       : NULL;
	json_decref(o);
	return text;
}

static void crawl_print_json(const char *venue, const struct crawl_stats *s)
{
	char *text = cli_crawl_summary(venue, s);
	if (text)
		puts(text);
	free(text);
}

static void crawl_print_text(const char *venue, const struct crawl_stats *s)
{
	printf(_("%s: %llu pages, %llu fetches, %llu hits (%llu new), %llu off-venue links, "
	       "%llu robots.txt blocks, %.2f s\n"),
	       venue, (unsigned long long)s->pages, (unsigned long long)s->fetched,
	       (unsigned long long)s->hits, (unsigned long long)s->hits_new,
	       (unsigned long long)s->off_site, (unsigned long long)s->robots_blocked,
	       (double)s->elapsed_ms / 1000.0);
	for (int i = 1; i < CRAWL_OUTCOME_COUNT; i++)
		if (s->outcomes[i])
			printf("  %s: %llu\n", crawl_outcome_name(i),
			       (unsigned long long)s->outcomes[i]);
	if (s->rule_errors)
		printf(_("  rule errors: %llu (a rule could not run on a field; patrol -v crawl names "
		       "the pages)\n"),
		       (unsigned long long)s->rule_errors);
}

static bool crawl_wanted(const struct crawl_opts *o, const struct venue *v)
{
	bool wanted = o->nvenues == 0;
	for (size_t k = 0; k < o->nvenues && !wanted; k++)
		wanted = strcmp(o->venues[k], v->id) == 0;
	return wanted;
}

/* One summary per venue crawled (DESIGN.md §4: a final JSON object per venue). */
void cli_print_crawl_stats(const struct cli *cli, const struct venue_registry *reg,
			   const struct crawl_opts *o, const struct crawl_stats *stats)
{
	for (size_t i = 0; i < venue_registry_count(reg); i++) {
		const struct venue *v = venue_registry_get(reg, i);
		if (!crawl_wanted(o, v))
			continue;
		if (cli->json)
			crawl_print_json(v->id, &stats[i]);
		else if (!cli->quiet)
			crawl_print_text(v->id, &stats[i]);
	}
}

int cli_crawl_record(struct store *store, const struct cli_crawl_run *run,
		     const struct venue_registry *reg, const struct crawl_opts *o,
		     const struct crawl_stats *stats)
{
	size_t n = venue_registry_count(reg), k = 0;
	struct store_run_venue *vs = calloc(n + 1, sizeof(*vs));
	int rc = vs ? 0 : -ENOMEM;
	for (size_t i = 0; rc == 0 && i < n && k < STORE_RUN_MAX_VENUES; i++) {
		const struct venue *v = venue_registry_get(reg, i);
		if (!crawl_wanted(o, v))
			continue;
		vs[k].venue = v->id;
		vs[k].complete = run->complete;
		if (!(vs[k++].summary = stats ? cli_crawl_summary(v->id, &stats[i]) : NULL) && stats)
			rc = -ENOMEM;
	}
	struct store_run r = {.kind = run->kind, .started = run->started, .ended = run->ended,
			      .status = run->status, .shard = run->shard ? run->shard : "",
			      .venues = vs, .nvenues = k};
	if (rc == 0)
		rc = store_run_put(store, &r, NULL);
	for (size_t i = 0; i < k; i++)
		free((char *)vs[i].summary);
	free(vs);
	return rc;
}

/* URLs dropped because their venue left the registry belong to no venue's summary. */
static void crawl_print_orphaned(const struct cli *cli, uint64_t orphaned)
{
	if (!orphaned || cli->quiet)
		return;
	if (cli->json)
		printf("{\"orphaned\":%llu}\n", (unsigned long long)orphaned);
	else
		printf(_("orphaned: %llu queued URLs of venues no longer in the registry, dropped\n"),
		       (unsigned long long)orphaned);
}

/* The rules, which must pass their own examples (docs/rules.md, "Tests"); their files are
 * watched for the crawl to reload (crawl_opts.rule_paths). */
int cli_crawl_rules(const struct venue_registry *reg, const char *const *paths, size_t npaths,
		    struct crawl_opts *o, char *cache, size_t cachelen, struct rules_set **ret)
{
	const struct crawler_settings *s = venue_registry_settings(reg);
	o->rule_paths = npaths ? paths : s->rule_paths;
	o->nrule_paths = npaths ? npaths : s->nrule_paths;
	cli_cache_dir(cache, cachelen);
	o->rules_cache_dir = cache[0] ? cache : NULL;
	int rc = cli_rules_load(o->rule_paths, o->nrule_paths, ret);
	struct buf report;
	buf_init(&report, 1u << 20);
	size_t failed = 0;
	if (rc == 0 && (rc = rules_set_selftest(*ret, &report, &failed)) == 0 && failed) {
		fputs(buf_str(&report), stderr);
		cli_error(_("cannot crawl: %zu rule examples fail (patrol rules test shows them)"), failed);
		rc = ERR_RULES;
	}
	buf_done(&report);
	if (rc && *ret) {
		rules_set_free(*ret);
		*ret = NULL;
	}
	return rc;
}

/* A reload of the rule files during the crawl (from its writer thread). */
static void crawl_rules_reloaded(bool ok, const char *msg, void *ud)
{
	struct crawl_view *view = ud;
	if (view->drawn) {
		fputs("\r\033[K", stderr);
		view->drawn = false;
	}
	if (ok)
		cli_error(_("rule files changed: reloaded, %.*s"), (int)strcspn(msg, "\n"), msg);
	else
		cli_error(_("rule files changed but the new rules are refused; crawling on with the "
			  "old ones:\n%s"),
			  msg);
}

/* The store's crawl lock, taken before the rules are loaded and tested (seconds under a
 * sanitizer), so a store another crawl is using is refused at once; held until the end. */
int cli_crawl_lock(struct store *store, struct crawl_opts *o)
{
	char err[1024];
	int rc = store_crawl_lock(store, err, sizeof(err));
	if (rc)
		cli_error("%s", err);
	o->lock_held = rc == 0;
	return rc == -EBUSY ? CLI_BUSY : rc ? CLI_FAIL : CLI_OK;
}

/* Runs the crawl and prints its summary; returns the exit status. */
static int crawl_go(struct cli *cli, struct crawl_args *a, const struct venue_registry *reg,
		    const struct rules_set *rules, struct store *store)
{
	struct crawl_stats *stats = calloc(venue_registry_count(reg) + 1, sizeof(*stats));
	struct crawl_view view = {
		.cli = cli, .tty = isatty(2) && !cli->quiet && !cli->json && !cli->verbose,
	};
	uint64_t orphaned = 0;
	char err[1024];
	struct cli_crawl_run run = {.kind = "crawl", .started = clock_wall()};
	a->o.registry = reg;
	a->o.venues = a->venues;
	a->o.nvenues = a->nvenues;
	a->o.on_event = crawl_progress;
	a->o.on_rules = crawl_rules_reloaded;
	a->o.ud = &view;
	a->o.ret_orphaned = &orphaned;
	int rc = stats ? crawl_run(&a->o, rules, store, stats, err, sizeof(err)) : -ENOMEM;
	if (view.drawn)
		fputs("\r\033[K", stderr); /* the summary replaces the progress line */
	int sig = cli_crawl_signal();
	run.ended = clock_wall();
	run.status = rc ? (rc == -EBUSY ? CLI_BUSY : CLI_FAIL) : sig ? 128 + sig : CLI_OK;
	run.complete = rc == 0 && !sig;
	if (rc != -EBUSY && cli_crawl_record(store, &run, reg, &a->o, rc ? NULL : stats) != 0)
		cli_error(_("the crawl's record could not be written to the store's runs"));
	if (rc) {
		cli_error("%s", stats ? err : _("out of memory"));
		free(stats);
		cli_crawl_signals_restore();
		return rc == -EBUSY ? CLI_BUSY : CLI_FAIL;
	}
	cli_print_crawl_stats(cli, reg, &a->o, stats);
	crawl_print_orphaned(cli, orphaned);
	free(stats);
	if (!sig) /* evidence.screenshots: all, after the crawl's threads are done */
		cli_snapshot_after_crawl(cli, store, reg, run.started);
	if (sig)
		cli_error(_("stopped by %s: run the same command again to finish the crawl"),
			  sig == SIGINT ? "SIGINT" : "SIGTERM");
	cli_crawl_signals_restore();
	return run.status;
}

int cmd_crawl(struct cli *cli, int argc, char **argv)
{
	struct crawl_args a = {0};
	crawl_opts_default(&a.o);
	int status = crawl_parse(argc, argv, &a);
	if (status >= 0)
		return status;
	struct venue_registry *reg = NULL;
	struct rules_set *rules = NULL;
	struct store *store = NULL;
	status = cli_registry_load(cli, &reg);
	if (status != CLI_OK)
		goto fail;
	status = CLI_USAGE;
	if (crawl_seed_venues(reg, &a) != 0)
		goto fail;
	if (!a.nvenues && !venue_registry_count(reg)) {
		status = cli_usage_error("crawl", _("nothing to crawl: give --seed URL or --venue ID, "
					 "or register venues in patrol.yaml (--config)"));
		goto fail;
	}
	status = CLI_FAIL;
	if (cli_store_open(cli->db, &store) != 0)
		goto fail;
	/* Caught from the moment the lock names this process, as scripts expect (signal_test.sh):
	 * a signal while the rules load stops the crawl before its first fetch. */
	cli_crawl_signals_catch(&a.o);
	if ((status = cli_crawl_lock(store, &a.o)) != CLI_OK || cli_crawl_rules(reg, a.rules, a.nrules, &a.o, a.rules_cache,
								  sizeof(a.rules_cache), &rules) != 0) {
		status = status == CLI_OK ? CLI_FAIL : status;
		goto fail;
	}
	status = crawl_go(cli, &a, reg, rules, store);
fail:
	cli_crawl_signals_restore();
	if (a.o.lock_held)
		store_crawl_unlock(store);
	store_close(store);
	rules_set_free(rules);
	venue_registry_free(reg);
	return status;
}
