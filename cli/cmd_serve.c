/* SPDX-License-Identifier: MIT */
/* patrol serve: the review web UI (review/ui.h) on the store, until SIGINT or SIGTERM. It reads
 * while crawls write. Loopback by default; any other address only over TLS, and never without
 * an analyst to log in. Exports run `patrol export` itself in a child process, so the UI's files
 * are the CLI's byte for byte; the venues come from patrol.yaml, rule titles from the packs.
 */
#include "cli/cli.h"
#include "cli/snapshot.h"

#include "common/buf.h"
#include "common/clock.h"
#include "common/err.h"
#include "common/i18n.h"
#include "crawler/alert.h"
#include "crawler/trends.h"
#include "crawler/venue.h"
#include "index/store.h"
#include "parsers/url.h"
#include "review/httpd.h"
#include "review/ui.h"
#include "rules/rules.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int cmd_serve(struct cli *cli, int argc, char **argv);

#define SERVE_RULES_MAX 64
/* A snapshot the hit page takes holds the server's one thread: shorter than patrol snapshot's. */
#define SERVE_SNAPSHOT_TIMEOUT_S   20
#define SERVE_SNAPSHOT_TIMEOUT_MAX 120
#define SERVE_SNAPSHOT_QUEUE	   64 /* confirmed hits waiting for their snapshot */

static const char *const serve_help = N_(
	"usage: patrol serve [--listen ADDR:PORT] [--tls-cert FILE --tls-key FILE] [--rules "
	"PATH]...\n"
	"\n"
	"Serve the review web UI on the store (docs/review.md, Web UI) until interrupted.\n"
	"  --listen ADDR:PORT  where (default 127.0.0.1:8750; [::1]:PORT for IPv6; port 0 picks a\n"
	"                      free one, printed). Anything but loopback needs TLS.\n"
	"  --tls-cert FILE     PEM certificate chain; with --tls-key, serve HTTPS\n"
	"  --tls-key FILE      PEM private key\n"
	"  --rules PATH        rule packs for titles (default: patrol.yaml's, else the built-in)\n"
	"  --snapshot-timeout SECONDS  time for one snapshot the hit page takes (default 20,\n"
	"                      at most 120); the server waits for it\n"
	"Analysts log in with a token from `patrol users add NAME`; at least one must exist.\n");

struct serve_args {
	char addr[64];
	unsigned port;
	const char *cert, *key;
	const char *rules[SERVE_RULES_MAX];
	size_t nrules;
	int snapshot_timeout_s;
};

static int serve_listen(const char *s, struct serve_args *a)
{
	const char *colon = strrchr(s, ':');
	const char *host = s, *host_end = colon;
	if (!colon)
		return -1;
	if (s[0] == '[') {
		host = s + 1;
		if (colon == s || colon[-1] != ']')
			return -1;
		host_end = colon - 1;
	}
	size_t n = (size_t)(host_end - host);
	char *end = NULL;
	unsigned long port = strtoul(colon + 1, &end, 10);
	if (n == 0 || n >= sizeof(a->addr) || !colon[1] || *end || port > 65535)
		return -1;
	memcpy(a->addr, host, n);
	a->addr[n] = 0;
	a->port = (unsigned)port;
	return 0;
}

static int serve_snapshot_timeout(const char *arg, struct serve_args *a)
{
	long long t = cli_parse_count("serve", "--snapshot-timeout", arg);
	if (t < 0)
		return -1;
	if (t < 1 || t > SERVE_SNAPSHOT_TIMEOUT_MAX) {
		cli_usage_error("serve", _("--snapshot-timeout takes 1 to %d seconds"),
				SERVE_SNAPSHOT_TIMEOUT_MAX);
		return -1;
	}
	a->snapshot_timeout_s = (int)t;
	return 0;
}

static int serve_parse(int argc, char **argv, struct serve_args *a)
{
	static const struct option opts[] = {
		{"listen", required_argument, NULL, 'l'},
		{"tls-cert", required_argument, NULL, 'c'},
		{"tls-key", required_argument, NULL, 'k'},
		{"rules", required_argument, NULL, 'r'},
		{"snapshot-timeout", required_argument, NULL, 's'},
		{"help", no_argument, NULL, 'h'},
		{0, 0, 0, 0},
	};
	snprintf(a->addr, sizeof(a->addr), "127.0.0.1");
	a->port = 8750;
	a->snapshot_timeout_s = SERVE_SNAPSHOT_TIMEOUT_S;
	optind = 0;
	for (int c; (c = getopt_long(argc, argv, "h", opts, NULL)) != -1;) {
		switch (c) {
		case 'l':
			if (serve_listen(optarg, a) != 0)
				return cli_usage_error(
					"serve", _("--listen wants ADDR:PORT, not '%s'"), optarg);
			break;
		case 'c': a->cert = optarg; break;
		case 'k': a->key = optarg; break;
		case 'r':
			if (a->nrules == SERVE_RULES_MAX)
				return cli_usage_error("serve", _("too many --rules"));
			a->rules[a->nrules++] = optarg;
			break;
		case 's':
			if (serve_snapshot_timeout(optarg, a) != 0)
				return CLI_USAGE;
			break;
		case 'h': fputs(_(serve_help), stdout); return -1;
		default: return cli_usage_error("serve", _("unknown option"));
		}
	}
	if (optind != argc)
		return cli_usage_error("serve", _("unexpected argument '%s'"), argv[optind]);
	if (!a->cert != !a->key)
		return cli_usage_error("serve", _("--tls-cert and --tls-key go together"));
	return 0;
}

static bool serve_loopback(const char *addr)
{
	return strncmp(addr, "127.", 4) == 0 || strcmp(addr, "::1") == 0;
}

static int count_user(const struct store_user *u, void *ud)
{
	(void)u;
	(*(size_t *)ud)++;
	return 0;
}

/* ---- Export through `patrol export` in a child ---- */

struct serve_ctx {
	struct cli *cli;
	char exe[PATH_MAX];
	struct store *store;
	const struct venue_registry *reg; /* tips are checked against its venues */
	enum cli_snapshot_policy policy; /* evidence.screenshots */
	int snapshot_timeout_s;
	/* Hits a decision asked a snapshot of, rendered one at a time by snap_thread, so the
	 * analyst's triage never waits for a browser. Guarded by snap_lock. */
	pthread_mutex_t snap_lock;
	pthread_cond_t snap_wake;
	uint64_t snap_ids[SERVE_SNAPSHOT_QUEUE];
	size_t snap_head, snap_n;
	bool snap_stop, snap_started;
	pthread_t snap_thread;
};

static int export_argv(const struct serve_ctx *x, const struct store_hit_query *q,
		       const char *format, char since[32], char until[32], const char **v)
{
	int n = 0;
	v[n++] = x->exe;
	v[n++] = "--db";
	v[n++] = x->cli->db;
	v[n++] = "export";
	v[n++] = "--format";
	v[n++] = format;
	const char *names[] = {"--status", "--venue", "--rule", "--category", "--severity"};
	const char *vals[] = {q->status, q->venue, q->rule, q->category, q->severity};
	for (size_t i = 0; i < 5; i++)
		if (vals[i]) {
			v[n++] = names[i];
			v[n++] = vals[i];
		}
	snprintf(since, 32, "@%" PRId64, q->since);
	snprintf(until, 32, "@%" PRId64, q->until);
	if (q->since > 0) {
		v[n++] = "--since";
		v[n++] = since;
	}
	if (q->until < INT64_MAX) {
		v[n++] = "--until";
		v[n++] = until;
	}
	v[n] = NULL;
	return n;
}

static int export_read(int fd, int (*write)(const void *, size_t, void *), void *wud)
{
	char chunk[65536];
	int rc = 0;
	for (;;) {
		ssize_t n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : rc;
		if (!rc)
			rc = write(chunk, (size_t)n, wud); /* keep draining so the child ends */
	}
}

static int serve_export(void *ud, const struct store_hit_query *q, const char *format,
			int (*write)(const void *data, size_t len, void *wud), void *wud)
{
	struct serve_ctx *x = ud;
	const char *v[32];
	char since[32], until[32];
	export_argv(x, q, format, since, until, v);
	int fds[2];
	if (pipe2(fds, O_CLOEXEC) != 0)
		return -errno;
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
	posix_spawnattr_t attr;
	sigset_t none;
	sigemptyset(&none);
	posix_spawnattr_init(&attr);
	posix_spawnattr_setsigmask(&attr, &none); /* not serve's blocked SIGINT and SIGTERM */
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK);
	pid_t pid = 0;
	extern char **environ;
	int rc = -posix_spawn(&pid, x->exe, &fa, &attr, (char *const *)v, environ);
	posix_spawnattr_destroy(&attr);
	posix_spawn_file_actions_destroy(&fa);
	close(fds[1]);
	if (!rc)
		rc = export_read(fds[0], write, wud);
	close(fds[0]);
	int st = 0;
	if (pid > 0 && waitpid(pid, &st, 0) == pid && !rc && (!WIFEXITED(st) || WEXITSTATUS(st)))
		rc = ERR_INTERNAL;
	return rc;
}

/* ---- Snapshots for the hit page (cmd_snapshot.c; docs/snapshots.md) ---- */

/* The background renderer: the hits decisions queued, as evidence.screenshots says; a failure
 * is a warning on serve's standard error, the decision stands. */
static void *serve_snap_main(void *ud)
{
	struct serve_ctx *x = ud;
	pthread_mutex_lock(&x->snap_lock);
	for (;;) {
		while (!x->snap_stop && !x->snap_n)
			pthread_cond_wait(&x->snap_wake, &x->snap_lock);
		if (x->snap_stop)
			break;
		uint64_t id = x->snap_ids[x->snap_head];
		x->snap_head = (x->snap_head + 1) % SERVE_SNAPSHOT_QUEUE;
		x->snap_n--;
		pthread_mutex_unlock(&x->snap_lock);
		char why[256];
		int rc = cli_snapshot_hit(x->store, id, x->policy, x->snapshot_timeout_s, NULL, why,
					  sizeof(why));
		if (rc && rc != ERR_NOT_FOUND) /* ERR_NOT_FOUND: no evidence, nothing to picture */
			cli_error(_("warning: snapshot of hit #%llu failed: %s (the review stands)"),
				  (unsigned long long)id, why);
		pthread_mutex_lock(&x->snap_lock);
	}
	pthread_mutex_unlock(&x->snap_lock);
	return NULL;
}

static int serve_snap_start(struct serve_ctx *x)
{
	if (x->policy == CLI_SNAPSHOT_OFF || !cli_snapshot_available())
		return 0;
	int rc = -pthread_create(&x->snap_thread, NULL, serve_snap_main, x);
	x->snap_started = rc == 0;
	return rc;
}

/* Ends the renderer once its current rendering is done (bounded by the timeout); what is still
 * queued is dropped: patrol snapshot takes it. */
static void serve_snap_stop(struct serve_ctx *x)
{
	if (!x->snap_started)
		return;
	pthread_mutex_lock(&x->snap_lock);
	x->snap_stop = true;
	pthread_cond_signal(&x->snap_wake);
	pthread_mutex_unlock(&x->snap_lock);
	pthread_join(x->snap_thread, NULL);
	x->snap_started = false;
}

/* ui_snapshot_fn. The button renders now, whatever the policy, and the page waits for it; a
 * decision only queues the hit for the renderer (1), or -EBUSY when the queue is full. */
static int serve_snapshot(void *ud, uint64_t id, bool asked, char *why, size_t whylen)
{
	struct serve_ctx *x = ud;
	int rc = 1;
	if (asked) {
		rc = cli_snapshot_take(x->store, id, x->snapshot_timeout_s, why, whylen);
		if (rc && rc != ERR_NOT_FOUND)
			cli_error(_("snapshot of hit #%llu failed: %s"), (unsigned long long)id, why);
		return rc;
	}
	pthread_mutex_lock(&x->snap_lock);
	if (!x->snap_started)
		rc = 0; /* off, or no browser: nothing to take */
	else if (x->snap_n == SERVE_SNAPSHOT_QUEUE)
		rc = -EBUSY;
	else
		x->snap_ids[(x->snap_head + x->snap_n++) % SERVE_SNAPSHOT_QUEUE] = id;
	pthread_cond_signal(&x->snap_wake);
	pthread_mutex_unlock(&x->snap_lock);
	if (rc == -EBUSY)
		snprintf(why, whylen, "%s", _("too many snapshots are waiting"));
	return rc;
}

/* ---- The venues page's charts and tip form: patrol trends' and patrol submit's code ---- */

/* ui_trends_fn: the series `patrol trends --days N` prints, every venue's. */
static int serve_trends(void *ud, unsigned days, int (*each)(const struct ui_series *, void *),
			void *eud, uint64_t *ret_dropped)
{
	struct serve_ctx *x = ud;
	struct trends t;
	int rc = trends_collect(x->store, NULL, days, clock_wall(), &t);
	if (rc)
		return rc;
	for (size_t i = 0; i < t.n && !rc; i++) {
		struct ui_series s = {t.series[i].venue, t.series[i].category, t.series[i].counts,
				      t.ndays, t.first_day};
		rc = each(&s, eud);
	}
	*ret_dropped = t.dropped;
	trends_done(&t);
	return rc;
}

/* ui_tip_fn: patrol submit's check, store and audit, by the analyst logged in. */
static int serve_tip(void *ud, const char *url, const char *note, const char *by, ui_tr_fn tr,
		     void *trud, struct ui_tip_result *ret)
{
	struct serve_ctx *x = ud;
	char *canon = NULL;
	const char *venue = NULL;
	struct alert_tr in = {tr, trud}; /* the refusal in the analyst's language */
	int rc = cli_tip_check(x->reg, url, note, by, &canon, &venue, ret->why, sizeof(ret->why),
			       &in);
	if (rc)
		return rc;
	struct store_tip tip = {canon, venue, note, by, clock_wall()};
	bool queued = true;
	if ((rc = cli_tip_store(x->store, &tip, &queued)) != 0) {
		cli_error(_("cannot store the tip in %s: %s"), x->cli->db, err_text(rc));
		free(canon);
		return rc == ERR_USAGE || rc == ERR_SCOPE || rc == ERR_URL ? ERR_STORE : rc;
	}
	*ret = (struct ui_tip_result){.url = canon, .venue = venue, .queued = queued};
	return 0;
}

/* ---- Venues and rules for the pages ---- */

struct serve_data {
	struct venue_registry *reg;
	struct rules_set *rules;
	struct ui_venue *venues;
	struct ui_rule *uirules;
	char **hosts;
	size_t nvenues, nrules;
};

static void serve_data_free(struct serve_data *d)
{
	for (size_t i = 0; d->hosts && i < d->nvenues; i++)
		free(d->hosts[i]);
	free(d->hosts);
	free(d->venues);
	free(d->uirules);
	rules_set_free(d->rules);
	venue_registry_free(d->reg);
}

static int serve_venues(struct serve_data *d)
{
	size_t n = venue_registry_count(d->reg);
	d->venues = calloc(n ? n : 1, sizeof(*d->venues));
	d->hosts = calloc(n ? n : 1, sizeof(*d->hosts));
	if (!d->venues || !d->hosts)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		const struct venue *v = venue_registry_get(d->reg, i);
		const char *seed = v->nseeds ? v->seeds[0] : NULL;
		if (seed)
			url_origin(seed, &d->hosts[i]); /* the robots cache key; NULL if it fails */
		d->venues[i] =
			(struct ui_venue){v->id,       v->name, v->operator_name, v->registration,
					  v->category, seed,	d->hosts[i]};
	}
	d->nvenues = n;
	return 0;
}

static int serve_rules(struct serve_data *d, const struct serve_args *a)
{
	const struct crawler_settings *s = venue_registry_settings(d->reg);
	const char *const *paths = a->nrules ? a->rules : s->rule_paths;
	size_t np = a->nrules ? a->nrules : s->nrule_paths;
	if (cli_rules_load(paths, np, &d->rules) != 0)
		return ERR_RULES;
	size_t n = rules_set_count(d->rules);
	d->uirules = calloc(n ? n : 1, sizeof(*d->uirules));
	if (!d->uirules)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		struct rules_info ri;
		rules_set_rule(d->rules, i, &ri);
		d->uirules[i] =
			(struct ui_rule){ri.id, ri.pack, ri.title, ri.category, ri.severity,
					 ri.description};
	}
	d->nrules = n;
	return 0;
}

/* ---- Running ---- */

static char *serve_pem(const char *path)
{
	struct buf b;
	buf_init(&b, 1u << 20);
	int rc = cli_file_read(path, &b);
	if (rc) {
		cli_error(_("cannot read %s: %s"), path, err_text(rc));
		buf_done(&b);
		return NULL;
	}
	return buf_take(&b);
}

static int serve_run(struct cli *cli, const struct serve_args *a, struct ui *ui, sigset_t *set)
{
	char err[256];
	struct httpd *h = NULL;
	struct httpd_tls tls = {0};
	char *cert = a->cert ? serve_pem(a->cert) : NULL, *key = a->key ? serve_pem(a->key) : NULL;
	if (a->cert && (!cert || !key)) {
		free(cert);
		free(key);
		return CLI_FAIL;
	}
	tls = (struct httpd_tls){cert, key};
	int rc = httpd_start_tls(a->addr, a->port, a->cert ? &tls : NULL, ui_handle, ui, &h, err,
				 sizeof(err));
	free(cert);
	free(key);
	if (rc) {
		cli_error("%s", err);
		return rc == ERR_USAGE ? CLI_USAGE : CLI_FAIL;
	}
	bool v6 = strchr(a->addr, ':') != NULL;
	printf(_("serving %s://%s%s%s:%u/ (store %s); Ctrl-C stops\n"), a->cert ? "https" : "http",
	       v6 ? "[" : "", a->addr, v6 ? "]" : "", httpd_port(h), cli->db);
	fflush(stdout);
	int sig = 0;
	sigwait(set, &sig);
	httpd_stop(h);
	if (!cli->quiet)
		fprintf(stderr, _("patrol: serve stopped (signal %d)\n"), sig);
	return CLI_OK;
}

static int serve_check(struct cli *cli, const struct serve_args *a, struct store *s)
{
	size_t users = 0;
	int rc = store_users_each(s, count_user, &users);
	if (rc) {
		cli_error(_("cannot read the analysts of %s: %s"), cli->db, err_text(rc));
		return CLI_FAIL;
	}
	if (!users) {
		cli_error(_("no analyst can log in: add one with `patrol --db %s users add NAME`"),
			  cli->db);
		return CLI_USAGE;
	}
	if (!serve_loopback(a->addr) && !a->cert) {
		cli_error(_("%s is not a loopback address: serve it only over TLS (--tls-cert "
			    "and --tls-key)"),
			  a->addr);
		return CLI_USAGE;
	}
	return CLI_OK;
}

int cmd_serve(struct cli *cli, int argc, char **argv)
{
	struct serve_args a = {0};
	int rc = serve_parse(argc, argv, &a);
	if (rc)
		return rc == -1 ? CLI_OK : rc;
	struct serve_data d = {0};
	struct store *s = NULL;
	struct ui *ui = NULL;
	struct serve_ctx x = {.cli = cli,
			      .snap_lock = PTHREAD_MUTEX_INITIALIZER,
			      .snap_wake = PTHREAD_COND_INITIALIZER};
	int status = cli_registry_load(cli, &d.reg);
	if (status != CLI_OK)
		return status;
	status = CLI_FAIL;
	if (cli_store_open_existing(cli->db, &s) != 0)
		goto done;
	if ((status = serve_check(cli, &a, s)) != CLI_OK)
		goto done;
	status = CLI_FAIL;
	ssize_t n = readlink("/proc/self/exe", x.exe, sizeof(x.exe) - 1);
	if (n <= 0 || serve_venues(&d) != 0 || serve_rules(&d, &a) != 0)
		goto done;
	x.exe[n] = 0;
	x.store = s;
	x.reg = d.reg;
	x.policy = cli_snapshot_policy_of(venue_registry_settings(d.reg));
	x.snapshot_timeout_s = a.snapshot_timeout_s;
	struct ui_opts o = {.store = s,
			    .tls = a.cert != NULL,
			    .venues = d.venues,
			    .nvenues = d.nvenues,
			    .rules = d.uirules,
			    .nrules = d.nrules,
			    .export_fn = serve_export,
			    .trends_fn = serve_trends,
			    .tip_fn = serve_tip,
			    .ud = &x,
			    .snapshot_fn = cli_snapshot_available() ? serve_snapshot : NULL,
			    .snapshot_timeout_s = a.snapshot_timeout_s};
	if (ui_new(&o, &ui) != 0)
		goto done;
	/* The server's thread inherits the mask: the signals come to sigwait alone. */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (serve_snap_start(&x) != 0)
		cli_error(_("warning: no background snapshots: cannot start a thread"));
	status = serve_run(cli, &a, ui, &set);
	serve_snap_stop(&x);
done:
	ui_free(ui);
	store_close(s);
	serve_data_free(&d);
	return status;
}
