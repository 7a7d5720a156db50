/* SPDX-License-Identifier: MIT */
/* patrol run: the scheduled entry point (cron, systemd timers; docs/operations.md). Under the
 * store's crawl lock it finds the venues that are due (crawler/schedule.h: schedule.every from
 * each venue's last complete crawl in the runs database, windows, jitter; --shard K/N keeps its
 * share), crawls them incrementally (store_frontier_revisit: old threads wait, index pages are
 * fetched every time), records the run, and writes a Prometheus textfile of metrics.
 * The clock is PATROL_NOW when set (epoch seconds or ISO 8601 UTC), for tests and for planning.
 */
#include "cli/cli.h"
#include "cli/snapshot.h"
#include "cli/timezone.h"

#include "common/clock.h"
#include "common/err.h"
#include "common/i18n.h"
#include "common/log.h"
#include "crawler/alert.h"
#include "crawler/crawl.h"
#include "crawler/schedule.h"
#include "crawler/trends.h"
#include "crawler/venue.h"
#include "index/store.h"
#include "rules/rules.h"

#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define RUN_MAX_ARGS 64

int cmd_run(struct cli *cli, int argc, char **argv); /* main.c's table */

static const char *const run_help = N_(
	"usage: patrol run [--dry-run] [--shard K/N] [--venue ID]... [options]\n"
	"\n"
	"Crawl every venue that is due (schedule: {every, window, jitter} in patrol.yaml),\n"
	"incrementally: conditional requests, board and thread lists fetched on every run, pages\n"
	"that do not change less and less often (down to every 30 days). One run at a time per\n"
	"store: a second run (or crawl) exits 75 at once, naming the holder's pid. Each run is\n"
	"recorded in the store (patrol stats shows the last ones). docs/operations.md has the\n"
	"systemd units, the cron line and a sharded deployment.\n"
	"\n"
	"  --dry-run           say what would be crawled and why (due since, window, last run);\n"
	"                      crawl nothing, take no lock\n"
	"  --shard K/N         only the venues whose stable hash (SHA-256 of the id) mod N is K\n"
	"  --venue ID          only this venue, when due; repeatable\n"
	"  --log-format F      stderr as text (default), logfmt or json, one event a line\n"
	"  --metrics FILE      write a Prometheus textfile at the end (default:\n"
	"                      crawler.metrics_file of patrol.yaml; none when neither is given)\n"
	"  --max-pages N       stop after N fetches, all venues together\n"
	"  --connections N     transfers in flight (default: crawler.connections)\n"
	"  --workers N         parse and match threads (default: crawler.workers)\n"
	"  --rules PATH        a rule pack file or directory; repeatable\n"
	"\n"
	"Global -q logs only errors (nothing on success, as cron likes); -v logs each page.\n"
	"--json prints one summary object per venue crawled on stdout (DESIGN.md section 4).\n"
	"PATROL_NOW (epoch seconds or 2026-12-01T06:00:00Z) replaces the clock for deciding what\n"
	"is due.\n"
	"\n"
	"Exit status: 0 the run ran (nothing due is fine); 1 it could not run; 2 usage or\n"
	"configuration error; 75 another run or crawl holds the store; 130 or 143 stopped by\n"
	"SIGINT or SIGTERM (pages in flight stored; the next run resumes). A second signal ends\n"
	"patrol at once.\n");

struct run_args {
	const char *venues[RUN_MAX_ARGS], *rules[RUN_MAX_ARGS];
	size_t nvenues, nrules;
	bool dry_run, sharded;
	unsigned shard_k, shard_n;
	char shard[32];
	const char *metrics;
	enum log_format log_format;
	char rules_cache[4096];
	struct crawl_opts o;
};

/* One venue's place in this run. */
struct plan {
	const struct venue *v;
	bool considered; /* in the shard and among --venue */
	struct schedule_decision d;
};

static int run_add(const char **list, size_t *n, const char *what, const char *value)
{
	if (*n == RUN_MAX_ARGS)
		return cli_usage_error("run", _("too many %s"), what);
	list[(*n)++] = value;
	return -1;
}

static int run_parse_shard(struct run_args *a, const char *arg)
{
	unsigned k, n;
	char end;
	if (sscanf(arg, "%u/%u%c", &k, &n, &end) != 2 || n < 1 || n > 100000 || k >= n)
		return cli_usage_error("run", _("--shard wants K/N with 0 <= K < N, not '%s'"), arg);
	a->sharded = true;
	a->shard_k = k;
	a->shard_n = n;
	snprintf(a->shard, sizeof(a->shard), "%u/%u", k, n);
	return -1;
}

static int run_parse_number(struct run_args *a, int c, const char *opt, const char *arg)
{
	long long v = cli_parse_count("run", opt, arg);
	if (v < 0)
		return CLI_USAGE;
	if (c == 'm')
		a->o.max_pages = (size_t)v;
	else if (v < 1 || v > 1024)
		return cli_usage_error("run", "%s wants 1 to 1024", opt);
	else if (c == 'c')
		a->o.connections = (unsigned)v;
	else
		a->o.workers = (unsigned)v;
	return -1;
}

/* Parses run's options into a; returns -1 to go on, else an exit status. */
static int run_parse(int argc, char **argv, struct run_args *a)
{
	static const struct option opts[] = {
		{"dry-run", no_argument, NULL, 'n'},
		{"shard", required_argument, NULL, 'S'},
		{"venue", required_argument, NULL, 'V'},
		{"log-format", required_argument, NULL, 'L'},
		{"metrics", required_argument, NULL, 'M'},
		{"max-pages", required_argument, NULL, 'm'},
		{"connections", required_argument, NULL, 'c'},
		{"workers", required_argument, NULL, 'w'},
		{"rules", required_argument, NULL, 'r'},
		{"help", no_argument, NULL, 'h'},
		{0, 0, 0, 0},
	};
	int c, st = -1;
	while (st < 0 && (c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'n': a->dry_run = true; break;
		case 'S': st = run_parse_shard(a, optarg); break;
		case 'V': st = run_add(a->venues, &a->nvenues, "--venue", optarg); break;
		case 'r': st = run_add(a->rules, &a->nrules, "--rules", optarg); break;
		case 'M': a->metrics = optarg; break;
		case 'L':
			if (log_format_parse(optarg, &a->log_format) != 0)
				st = cli_usage_error("run",
						     _("--log-format wants text, logfmt or json"));
			break;
		case 'm':
		case 'c':
		case 'w': st = run_parse_number(a, c, argv[optind - 1], optarg); break;
		case 'h': fputs(_(run_help), stdout); return CLI_OK;
		default: return cli_usage_error("run", _("unknown option"));
		}
	}
	if (st < 0 && optind < argc)
		return cli_usage_error("run", _("unexpected argument '%s'"), argv[optind]);
	return st;
}

/* PATROL_NOW, else the clock. -1 when PATROL_NOW is set but not a time. */
static int64_t run_now(void)
{
	const char *s = getenv("PATROL_NOW");
	if (!s || !*s)
		return clock_wall();
	char *end;
	long long x = strtoll(s, &end, 10);
	if (!*end && x > 0)
		return x;
	struct tm tm = {0};
	end = strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return end && !*end ? (int64_t)timegm(&tm) : -1;
}

static bool run_named(const struct run_args *a, const char *id)
{
	if (!a->nvenues)
		return true;
	for (size_t i = 0; i < a->nvenues; i++)
		if (strcmp(a->venues[i], id) == 0)
			return true;
	return false;
}

/* Decides for every venue; store may be NULL (no store yet: nothing was ever crawled). */
static int run_plan(const struct run_args *a, const struct venue_registry *reg, struct store *store,
		    int64_t now, struct plan *plan)
{
	for (size_t i = 0; i < venue_registry_count(reg); i++) {
		const struct venue *v = venue_registry_get(reg, i);
		int64_t last = 0;
		plan[i] = (struct plan){.v = v};
		plan[i].considered =
			run_named(a, v->id) &&
			(!a->sharded || schedule_shard(v->id, a->shard_n) == a->shard_k);
		int rc = store ? store_run_venue_last(store, v->id, &last, NULL) : ERR_NOT_FOUND;
		if (rc && rc != ERR_NOT_FOUND)
			return rc;
		schedule_decide(v, rc ? 0 : last, now, &plan[i].d);
	}
	return 0;
}

static const char *run_iso(int64_t t, char *buf, size_t n)
{
	return t ? clock_iso8601(t, buf, n) : "";
}

static void run_dry_json(const struct plan *p)
{
	char last[32], due[32], opens[32];
	json_t *o = json_pack("{ss ss ss ss ss sI sI}", "venue", p->v->id, "decision",
			      schedule_verdict_name(p->d.verdict), "last_run",
			      run_iso(p->d.last_run, last, sizeof(last)), "due_at",
			      run_iso(p->d.due_at, due, sizeof(due)), "opens_at",
			      run_iso(p->d.opens_at, opens, sizeof(opens)), "every",
			      (json_int_t)p->v->every_s, "jitter", (json_int_t)p->d.jitter_s);
	char *text = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	if (text)
		puts(text);
	free(text);
	json_decref(o);
}

static void run_dry_text(const struct plan *p)
{
	char last[CLOCK_LOCAL_LEN], due[CLOCK_LOCAL_LEN], opens[CLOCK_LOCAL_LEN];
	const struct schedule_decision *d = &p->d;
	printf("%-24s %-11s ", p->v->id, schedule_verdict_name(d->verdict));
	if (d->verdict == SCHEDULE_UNSCHEDULED) {
		printf(_("no schedule: only patrol crawl crawls it\n"));
		return;
	}
	printf("every %llds", (long long)p->v->every_s);
	if (d->jitter_s)
		printf(" + jitter %llds", (long long)d->jitter_s);
	if (!d->last_run)
		printf(_(", never crawled"));
	else
		printf(_(", last run %s, due %s %s"), cli_time(d->last_run, last, sizeof(last)),
		       d->verdict == SCHEDULE_WAIT ? "at" : "since",
		       cli_time(d->due_at, due, sizeof(due)));
	if (d->verdict == SCHEDULE_WINDOW)
		printf(_(", outside its windows until %s"),
		       cli_time(d->opens_at, opens, sizeof(opens)));
	printf("\n");
}

static int run_dry(const struct cli *cli, const struct run_args *a,
		   const struct venue_registry *reg, int64_t now)
{
	struct store *store = NULL;
	size_t n = venue_registry_count(reg);
	struct plan *plan = calloc(n + 1, sizeof(*plan));
	int rc = plan ? 0 : -ENOMEM;
	if (rc == 0 && access(cli->db, F_OK) == 0)
		rc = cli_store_open_existing(cli->db, &store) ? ERR_STORE : 0;
	if (rc == 0)
		rc = run_plan(a, reg, store, now, plan);
	store_close(store);
	for (size_t i = 0; rc == 0 && i < n; i++) {
		if (!plan[i].considered)
			continue;
		if (cli->json)
			run_dry_json(&plan[i]);
		else
			run_dry_text(&plan[i]);
	}
	free(plan);
	if (rc && rc != ERR_STORE)
		cli_error(_("cannot plan the run: %s"), err_text(rc));
	return rc ? CLI_FAIL : CLI_OK;
}

/* ---- the run ---- */

#define RUN_HIT_KEYS 4096 /* (venue, rule) pairs counted by name; the rest as rule "(other)" */

struct hit_count {
	const char *venue; /* the registry's */
	char *rule, *severity;
	uint64_t n;
};

struct run_ctx {
	const struct cli *cli;
	struct log log;
	struct hit_count *hits;
	size_t nhits;
};

static void run_count_hit(struct run_ctx *r, const char *venue, const char *rule,
			  const char *severity)
{
	size_t i = 0;
	for (; i < r->nhits; i++) {
		struct hit_count *h = &r->hits[i];
		if (h->venue == venue && !strcmp(h->rule, rule) && !strcmp(h->severity, severity))
			break;
	}
	if (i == r->nhits && r->nhits == RUN_HIT_KEYS) {
		rule = "(other)";
		severity = "";
		for (i = 0; i < r->nhits && strcmp(r->hits[i].rule, rule); i++)
			;
	}
	if (i == r->nhits) {
		char *a = strdup(rule), *b = strdup(severity);
		if (!a || !b) {
			free(a);
			free(b);
			return; /* out of memory: one count lost from the metrics, nothing else */
		}
		r->hits[r->nhits++] = (struct hit_count){venue, a, b, 0};
	}
	r->hits[i].n++;
}

/* From the crawl's writer thread, one call at a time. */
static void run_event(const struct crawl_event *ev, void *ud)
{
	struct run_ctx *r = ud;
	for (size_t i = 0; i < ev->nhit_refs; i++)
		run_count_hit(r, ev->venue, ev->hit_refs[i].rule, ev->hit_refs[i].severity);
	if (!log_enabled(&r->log, LOG_DEBUG))
		return;
	char status[16], hits[24];
	snprintf(status, sizeof(status), "%ld", ev->status);
	snprintf(hits, sizeof(hits), "%zu", ev->hits);
	log_event(&r->log, LOG_DEBUG, "page", "venue", ev->venue, "url", ev->url, "outcome",
		  crawl_outcome_name(ev->outcome), "status", status, "hits", hits, "detail",
		  ev->detail, NULL);
}

static void run_rules_reloaded(bool ok, const char *msg, void *ud)
{
	struct run_ctx *r = ud;
	log_event(&r->log, ok ? LOG_INFO : LOG_WARN,
		  ok ? "rule files changed: reloaded" : "rule files changed: new rules refused",
		  "detail", msg, NULL);
}

/* ---- metrics: node_exporter's textfile collector format ---- */

/* A label value: backslash, double quote and newline escaped. */
static void prom_label(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			fprintf(f, "\\%c", *s);
		else if (*s == '\n')
			fputs("\\n", f);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}

static void prom_head(FILE *f, const char *name, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s gauge\n", name, help, name);
}

static void prom_venue(FILE *f, const char *name, const char *venue, double value)
{
	fprintf(f, "%s{venue=", name);
	prom_label(f, venue);
	fprintf(f, "} %.9g\n", value);
}

struct queue_count {
	const struct plan *plan;
	size_t n;
	uint64_t *queued; /* per plan entry */
};

/* Which venue's scope holds the queue's host ("host:port"), by scheme. */
static int run_queue_host(const char *host, uint64_t queued, void *ud)
{
	struct queue_count *q = ud;
	char url[STORE_HOST_MAX + 16];
	for (size_t i = 0; i < q->n; i++) {
		for (int s = 0; s < 2; s++) {
			snprintf(url, sizeof(url), "%s://%s/", s ? "https" : "http", host);
			if (venue_scope_check(q->plan[i].v, url) != VENUE_OFF_HOST) {
				q->queued[i] += queued;
				return 0;
			}
		}
	}
	return 0;
}

static void run_metrics_venues(FILE *f, const struct plan *plan, size_t n,
			       const struct crawl_stats *st, const uint64_t *queued)
{
	static const struct {
		const char *name, *help;
	} m[] = {
		{"patrol_venue_bytes", "Body bytes of the pages stored in the last run."},
		{"patrol_venue_robots_blocked", "URLs robots.txt disallowed in the last run."},
		{"patrol_venue_hits_new", "Hits the store did not have, found in the last run."},
		{"patrol_venue_duration_seconds",
		 "Wall time of the venue's crawl in the last run."},
		{"patrol_venue_politeness_wait_seconds",
		 "Time URLs waited for their host's politeness in the last run."},
		{"patrol_venue_queued_urls",
		 "URLs left in the venue's frontier after the last run."},
	};
	prom_head(f, "patrol_venue_pages", "URLs finished in the last run, by outcome.");
	for (size_t i = 0; i < n; i++)
		for (int o = 0; st && o < CRAWL_OUTCOME_COUNT; o++) {
			fputs("patrol_venue_pages{venue=", f);
			prom_label(f, plan[i].v->id);
			fprintf(f, ",outcome=\"%s\"} %llu\n", crawl_outcome_name(o),
				(unsigned long long)st[i].outcomes[o]);
		}
	for (size_t k = 0; k < sizeof(m) / sizeof(m[0]); k++) {
		prom_head(f, m[k].name, m[k].help);
		for (size_t i = 0; i < n; i++) {
			double v[] = {(double)(st ? st[i].bytes : 0),
				      (double)(st ? st[i].robots_blocked : 0),
				      (double)(st ? st[i].hits_new : 0),
				      st ? (double)st[i].elapsed_ms / 1000.0 : 0,
				      st ? (double)st[i].politeness_wait_ms / 1000.0 : 0,
				      (double)queued[i]};
			prom_venue(f, m[k].name, plan[i].v->id, v[k]);
		}
	}
}

static void run_metrics_hits(FILE *f, const struct run_ctx *r)
{
	prom_head(f, "patrol_venue_hits", "Hits found in the last run, by rule and severity.");
	for (size_t i = 0; i < r->nhits; i++) {
		fputs("patrol_venue_hits{venue=", f);
		prom_label(f, r->hits[i].venue);
		fputs(",rule=", f);
		prom_label(f, r->hits[i].rule);
		fputs(",severity=", f);
		prom_label(f, r->hits[i].severity);
		fprintf(f, "} %llu\n", (unsigned long long)r->hits[i].n);
	}
}

/* Writes path atomically: a temporary file beside it, then rename(2), so the collector never
 * reads half a file. plan holds the venues crawled (n), in the order of st. */
static int run_metrics(const char *path, const struct run_ctx *r, const struct plan *plan, size_t n,
		       const struct crawl_stats *st, const uint64_t *queued,
		       const struct cli_crawl_run *run)
{
	char *tmp = NULL;
	if (asprintf(&tmp, "%s.XXXXXX", path) < 0)
		return -ENOMEM;
	int fd = mkstemp(tmp);
	FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (!f) {
		int rc = -errno;
		if (fd >= 0)
			close(fd);
		free(tmp);
		return rc;
	}
	fchmod(fd, 0644);
	prom_head(f, "patrol_run_timestamp_seconds", "When the last patrol run ended.");
	fprintf(f, "patrol_run_timestamp_seconds %lld\n", run->ended);
	prom_head(f, "patrol_run_duration_seconds", "Wall time of the last patrol run.");
	fprintf(f, "patrol_run_duration_seconds %lld\n", run->ended - run->started);
	prom_head(f, "patrol_run_exit_status", "Exit status of the last patrol run.");
	fprintf(f, "patrol_run_exit_status %d\n", run->status);
	prom_head(f, "patrol_run_venues", "Venues the last patrol run crawled.");
	fprintf(f, "patrol_run_venues %zu\n", n);
	run_metrics_venues(f, plan, n, st, queued);
	run_metrics_hits(f, r);
	int rc = ferror(f) ? -EIO : 0;
	if (fclose(f) != 0 && !rc)
		rc = -errno;
	if (!rc && rename(tmp, path) != 0)
		rc = -errno;
	if (rc)
		unlink(tmp);
	free(tmp);
	return rc;
}

/* ---- cmd_run ---- */

struct run_state {
	struct plan *plan; /* every registry venue */
	struct plan *due;  /* the ones crawled, in registry order */
	const char **ids;  /* their ids, for crawl_opts.venues */
	size_t ndue;
	struct crawl_stats *all; /* per registry venue, as crawl_run fills it */
	struct crawl_stats *st;	 /* per due venue */
	uint64_t *queued;	 /* per due venue */
};

static void run_state_free(struct run_state *s)
{
	free(s->plan);
	free(s->due);
	free(s->ids);
	free(s->all);
	free(s->st);
	free(s->queued);
}

static int run_state_new(struct run_state *s, size_t n)
{
	*s = (struct run_state){
		.plan = calloc(n + 1, sizeof(*s->plan)),
		.due = calloc(n + 1, sizeof(*s->due)),
		.ids = calloc(n + 1, sizeof(*s->ids)),
		.all = calloc(n + 1, sizeof(*s->all)),
		.st = calloc(n + 1, sizeof(*s->st)),
		.queued = calloc(n + 1, sizeof(*s->queued)),
	};
	return s->plan && s->due && s->ids && s->all && s->st && s->queued ? 0 : -ENOMEM;
}

/* Picks the due venues and logs each decision. */
static void run_pick(struct run_ctx *r, const struct venue_registry *reg, struct run_state *s)
{
	for (size_t i = 0; i < venue_registry_count(reg); i++) {
		const struct plan *p = &s->plan[i];
		if (!p->considered || p->d.verdict == SCHEDULE_UNSCHEDULED)
			continue;
		char last[32];
		log_event(&r->log, LOG_DEBUG, "schedule", "venue", p->v->id, "decision",
			  schedule_verdict_name(p->d.verdict), "last_run",
			  run_iso(p->d.last_run, last, sizeof(last)), NULL);
		if (p->d.verdict != SCHEDULE_DUE)
			continue;
		s->due[s->ndue] = *p;
		s->ids[s->ndue++] = p->v->id;
	}
}

/* Crawls the due venues; returns the exit status, run->status and complete set. */
static int run_crawl(struct run_ctx *r, struct run_args *a, const struct venue_registry *reg,
		     struct store *store, struct run_state *s, struct cli_crawl_run *run)
{
	struct rules_set *rules = NULL;
	char err[1024];
	if (cli_crawl_rules(reg, a->rules, a->nrules, &a->o, a->rules_cache, sizeof(a->rules_cache),
			    &rules) != 0)
		return run->status = CLI_FAIL;
	a->o.registry = reg;
	a->o.venues = s->ids;
	a->o.nvenues = s->ndue;
	a->o.on_event = run_event;
	a->o.on_rules = run_rules_reloaded;
	a->o.ud = r;
	a->o.revisit_at = clock_wall(); /* the real clock: fetch times are real */
	int rc = crawl_run(&a->o, rules, store, s->all, err, sizeof(err));
	rules_set_free(rules);
	int sig = cli_crawl_signal();
	if (rc)
		log_event(&r->log, LOG_ERROR, "run failed", "error", err, NULL);
	run->status = rc ? (rc == -EBUSY ? CLI_BUSY : CLI_FAIL) : sig ? 128 + sig : CLI_OK;
	run->complete = rc == 0 && !sig;
	for (size_t i = 0, k = 0; i < venue_registry_count(reg) && k < s->ndue; i++)
		if (venue_registry_get(reg, i) == s->due[k].v)
			s->st[k++] = s->all[i];
	if (rc == 0)
		cli_print_crawl_stats(r->cli, reg, &a->o, s->all);
	if (sig)
		log_event(&r->log, LOG_WARN, "stopped by a signal: the next run resumes", "signal",
			  sig == SIGINT ? "SIGINT" : "SIGTERM", NULL);
	return run->status;
}

/* After the crawl has committed (docs/alerts.md): new hits to the alert targets, then early
 * warning over the venues crawled. Bounded (ALERT_TRIES x ALERT_TIMEOUT_MS per message); failed
 * sends wait for the next run, and never change the run's exit status. */
static void run_alerts(struct run_ctx *r, const struct venue_registry *reg, struct store *store,
		       const struct run_state *s)
{
	const struct crawler_settings *set = venue_registry_settings(reg);
	if (!set->nalerts || !s->ndue || cli_crawl_signal())
		return;
	struct alert_opts o = {.targets = set->alerts, .ntargets = set->nalerts};
	struct alert_report rep = {0};
	struct trends_report tr = {0};
	char sent[24], failed[24];
	int rc = alert_dispatch(store, &o, &rep);
	if (rc == 0)
		rc = trends_warn(store, s->ids, s->ndue, &set->early_warning, &o, 0, &tr);
	snprintf(sent, sizeof(sent), "%llu", (unsigned long long)(rep.sent + tr.sent));
	snprintf(failed, sizeof(failed), "%llu", (unsigned long long)(rep.failed + tr.failed));
	if (rc)
		log_event(&r->log, LOG_ERROR, "alerts could not be dispatched", "error",
			  err_str(rc), NULL);
	else
		log_event(&r->log, rep.failed + tr.failed ? LOG_WARN : LOG_INFO, "alerts", "sent",
			  sent, "failed", failed, NULL);
	alert_report_done(&rep);
}

/* evidence.screenshots: all: the run's new hits pictured after the crawl (cmd_snapshot.c,
 * bounded by CLI_SNAPSHOT_AUTO_MAX); failures are warnings and leave the exit status alone. */
static void run_snapshots(struct run_ctx *r, const struct venue_registry *reg,
			  struct store *store, int64_t since)
{
	struct cli_snapshot_batch b;
	if (cli_crawl_signal())
		return;
	int rc = cli_snapshot_new_hits(store, cli_snapshot_policy_of(venue_registry_settings(reg)),
				       since, &b);
	char taken[24], failed[24], left[24], first[24];
	if (rc) {
		log_event(&r->log, LOG_WARN, "no snapshots", "error",
			  rc == -ENOENT ? "no chromium" : err_str(rc), NULL);
		return;
	}
	if (!b.tried && !b.left)
		return;
	snprintf(taken, sizeof(taken), "%zu", b.rendered);
	snprintf(failed, sizeof(failed), "%zu", b.failed);
	snprintf(left, sizeof(left), "%zu", b.left);
	snprintf(first, sizeof(first), "%llu", (unsigned long long)b.first_failed);
	log_event(&r->log, b.failed || b.left ? LOG_WARN : LOG_INFO, "snapshots", "taken", taken,
		  "failed", failed, "left", left, "first_failed", b.failed ? first : NULL, "error",
		  b.failed ? b.why : NULL, NULL);
}

static void run_finish(struct run_ctx *r, const struct run_args *a,
		       const struct venue_registry *reg, struct store *store, struct run_state *s,
		       struct cli_crawl_run *run, bool crawled, int64_t wall)
{
	run->ended = run->started + (clock_wall() - wall);
	if (crawled &&
	    cli_crawl_record(store, run, reg, &a->o, run->status == CLI_FAIL ? NULL : s->all))
		log_event(&r->log, LOG_ERROR, "the run's record could not be written", NULL);
	struct queue_count q = {s->due, s->ndue, s->queued};
	if (s->ndue)
		store_frontier_hosts(store, run_queue_host, &q);
	const char *path = a->metrics ? a->metrics : venue_registry_settings(reg)->metrics_file;
	int rc =
		path ? run_metrics(path, r, s->due, s->ndue, crawled ? s->st : NULL, s->queued, run)
		     : 0;
	if (rc)
		log_event(&r->log, LOG_ERROR, "cannot write the metrics file", "file", path,
			  "error", err_str(rc), NULL);
	char n[24], secs[24], status[16];
	snprintf(n, sizeof(n), "%zu", s->ndue);
	snprintf(secs, sizeof(secs), "%lld", run->ended - run->started);
	snprintf(status, sizeof(status), "%d", run->status);
	log_event(&r->log, run->status ? LOG_WARN : LOG_INFO, "run done", "venues", n, "seconds",
		  secs, "status", status, "shard", a->shard, NULL);
}

static int run_go(struct run_ctx *r, struct run_args *a, const struct venue_registry *reg,
		  struct store *store, int64_t now)
{
	struct run_state s;
	/* The record is stamped with the schedule's clock (PATROL_NOW), so the next run's
	 * decisions follow from this one's on that clock too. */
	int64_t wall = clock_wall();
	struct cli_crawl_run run = {.kind = "run", .shard = a->shard, .started = now};
	int rc = run_state_new(&s, venue_registry_count(reg));
	if (!rc)
		rc = run_plan(a, reg, store, now, s.plan);
	if (rc) {
		log_event(&r->log, LOG_ERROR, "cannot plan the run", "error", err_str(rc), NULL);
		run_state_free(&s);
		return CLI_FAIL;
	}
	run_pick(r, reg, &s);
	char n[24];
	snprintf(n, sizeof(n), "%zu", s.ndue);
	log_event(&r->log, LOG_INFO, s.ndue ? "run started" : "nothing due", "venues", n, "shard",
		  a->shard, NULL);
	if (s.ndue && run_crawl(r, a, reg, store, &s, &run) != CLI_FAIL) {
		run_alerts(r, reg, store, &s);
		run_snapshots(r, reg, store, wall);
	}
	run_finish(r, a, reg, store, &s, &run, s.ndue > 0, wall);
	run_state_free(&s);
	return run.status;
}

int cmd_run(struct cli *cli, int argc, char **argv)
{
	struct run_args a = {0};
	crawl_opts_default(&a.o);
	int status = run_parse(argc, argv, &a);
	if (status >= 0)
		return status;
	int64_t now = run_now();
	if (now < 0)
		return cli_usage_error("run", _("PATROL_NOW is not epoch seconds or "
					      "YYYY-MM-DDTHH:MM:SSZ"));
	struct venue_registry *reg = NULL;
	struct store *store = NULL;
	struct run_ctx r = {.cli = cli};
	/* logfmt and JSON logs are machine output: what the libraries write into them (a reloaded
	 * pack's errors) stays English. Process-wide, before any thread; gettext ignores LANGUAGE
	 * under the C locale. */
	if (a.log_format != LOG_TEXT)
		setlocale(LC_MESSAGES, "C");
	log_init(&r.log, stderr, a.log_format,
		 cli->quiet	? LOG_ERROR
		 : cli->verbose ? LOG_DEBUG
				: LOG_INFO);
	if ((status = cli_registry_load(cli, &reg)) != CLI_OK)
		return status;
	if (a.dry_run) {
		status = run_dry(cli, &a, reg, now);
		venue_registry_free(reg);
		return status;
	}
	r.hits = calloc(RUN_HIT_KEYS, sizeof(*r.hits));
	status = CLI_FAIL;
	if (!r.hits || cli_store_open(cli->db, &store) != 0)
		goto fail;
	cli_crawl_signals_catch(&a.o);
	if ((status = cli_crawl_lock(store, &a.o)) == CLI_OK)
		status = run_go(&r, &a, reg, store, now);
fail:
	cli_crawl_signals_restore();
	if (a.o.lock_held)
		store_crawl_unlock(store);
	store_close(store);
	for (size_t i = 0; i < r.nhits; i++) {
		free(r.hits[i].rule);
		free(r.hits[i].severity);
	}
	free(r.hits);
	venue_registry_free(reg);
	return status;
}
