/* SPDX-License-Identifier: MIT */
/* patrol rules lint|test|list|bench: what rule authors run on their packs before shipping them.
 * bench reads its files as patrol scan does (cli_scan_file_read) and times each rule with the
 * matcher's own clock (rules_matcher_set_timing).
 */
#include "cli/cli.h"

#include "common/buf.h"
#include "common/err.h"
#include "common/i18n.h"
#include "parsers/doc.h"
#include "rules/rules.h"

#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BENCH_MAX_PATHS 256
#define BENCH_MIN_SECONDS 1.0 /* the corpus is matched again until this much CPU time is spent */
#define BENCH_MAX_ROUNDS 1000

static const char *const rules_help = N_(
	"usage: patrol rules lint|test|list [PATH...]\n"
	"       patrol rules bench [--rules PATH]... FILE...\n"
	"\n"
	"  lint   load and compile the packs; errors as file:line:col: message (exit 2), and\n"
	"         warnings (exit 0) for patterns the prefilter cannot hold and for patterns\n"
	"         slow on a built-in 64 KiB sample of forum text (more than 10,000 backtracking\n"
	"         steps in one search: counted, not timed)\n"
	"  test   run every rule's embedded match and no-match examples (exit 1 on a failure)\n"
	"  list   one line per rule: id, severity, category, pack, title\n"
	"  bench  match FILEs (HTML or text, read as patrol scan reads them) and print each\n"
	"         rule's CPU time, slowest first, with the MiB/s of the whole\n"
	"\n"
	"A PATH is a pack file or a directory of *.yaml packs; without one, the packs built into\n"
	"patrol are used.\n");

static int rules_list(const struct cli *cli, const struct rules_set *set)
{
	for (size_t i = 0; i < rules_set_count(set); i++) {
		struct rules_info r;
		rules_set_rule(set, i, &r);
		if (!cli->json) {
			printf("%-40s %-8s %-28s %-12s %s\n", r.id, r.severity, r.category, r.pack,
			       r.title);
			continue;
		}
		json_t *o = json_pack("{ss ss ss ss ss ss}", "id", r.id, "pack", r.pack, "title",
				      r.title, "category", r.category, "severity", r.severity,
				      "pack_version", r.pack_version);
		char *s = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
		if (s)
			puts(s);
		free(s);
		json_decref(o);
	}
	return CLI_OK;
}

/* rules_slow_fn: one warning line per slow pattern. */
static int lint_slow(size_t rule, const char *pattern, bool fails, void *ud)
{
	const struct rules_set *set = ud;
	struct rules_info r;
	rules_set_rule(set, rule, &r);
	if (fails)
		printf(_("%s: %s: warning: pattern '%s' reaches the match limit on ordinary forum "
			 "text: it would fail on such pages (docs/rules.md, \"Slow patterns\")\n"),
		       r.pack, r.id, pattern);
	else
		printf(_("%s: %s: warning: pattern '%s' is slow: more than %d backtracking steps "
			 "in "
			 "one search of ordinary forum text (docs/rules.md, \"Slow patterns\")\n"),
		       r.pack, r.id, pattern, RULES_SLOW_STEPS);
	return 0;
}

/* Warnings that do not stop a pack from loading: patterns the prefilter cannot hold. */
static size_t rules_lint_warnings(const struct rules_set *set)
{
	size_t warnings = 0;
	for (size_t i = 0; i < rules_set_count(set); i++) {
		struct rules_info r;
		const char *names[64];
		rules_set_rule(set, i, &r);
		size_t n = rules_set_always_run(set, i, names, 64);
		for (size_t k = 0; k < n && k < 64; k++)
			printf(_("%s: %s: warning: pattern '%s' cannot be prefiltered, so it runs "
				 "on "
				 "every text the rule reads (docs/rules.md, \"The prefilter\")\n"),
			       r.pack, r.id, names[k]);
		warnings += n;
	}
	return warnings;
}

/* Counts the slow-pattern warnings as lint_slow prints them. */
struct slow_count {
	const struct rules_set *set;
	size_t n;
};

static int lint_slow_count(size_t rule, const char *pattern, bool fails, void *ud)
{
	struct slow_count *c = ud;
	c->n++;
	return lint_slow(rule, pattern, fails, (void *)c->set);
}

static int rules_lint(const struct cli *cli, const struct rules_set *set)
{
	size_t warnings = rules_lint_warnings(set);
	struct slow_count slow = {.set = set};
	int rc = rules_set_lint_slow(set, lint_slow_count, &slow);
	if (rc) {
		cli_error(_("rules lint: %s"), err_text(rc));
		return CLI_FAIL;
	}
	if (!cli->quiet)
		printf(_("%zu rules OK, %zu warnings\n"), rules_set_count(set), warnings + slow.n);
	return CLI_OK;
}

/* ---- bench ---- */

struct bench_rule {
	size_t rule;
	uint64_t ns;
};

static int bench_cmp(const void *a, const void *b)
{
	const struct bench_rule *x = a, *y = b;
	return x->ns < y->ns ? 1 : x->ns > y->ns ? -1 : (x->rule > y->rule) - (x->rule < y->rule);
}

static double bench_cpu_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int bench_no_hit(const struct rules_hit *hit, void *ud)
{
	(void)hit;
	++*(size_t *)ud;
	return 0;
}

/* Bytes of text the rules read in a document (what MiB/s counts). */
static size_t bench_doc_bytes(const struct rules_doc *d)
{
	size_t n = 0;
	const char *f[] = {d->title, d->body, d->url, d->link_text};
	for (size_t i = 0; i < 4; i++)
		n += f[i] ? strlen(f[i]) : 0;
	for (size_t i = 0; i < d->nposts; i++)
		n += (d->posts[i].text ? strlen(d->posts[i].text) : 0) +
		     (d->posts[i].author ? strlen(d->posts[i].author) : 0);
	return n;
}

static void bench_print(const struct cli *cli, const struct rules_set *set,
			const struct rules_matcher *m, size_t rounds, size_t bytes, double secs,
			size_t hits)
{
	size_t n = rules_set_count(set);
	struct bench_rule *r = calloc(n ? n : 1, sizeof(*r));
	for (size_t i = 0; r && i < n; i++)
		r[i] = (struct bench_rule){i, rules_matcher_rule_ns(m, i)};
	if (r)
		qsort(r, n, sizeof(*r), bench_cmp);
	double mib = (double)bytes * (double)rounds / (1 << 20);
	for (size_t i = 0; r && i < n; i++) {
		struct rules_info info;
		rules_set_rule(set, r[i].rule, &info);
		double ms = (double)r[i].ns / 1e6 / (double)rounds;
		if (cli->json) {
			json_t *o = json_pack("{ss ss sf sf}", "rule", info.id, "pack", info.pack,
					      "ms", ms, "share", secs > 0 ? r[i].ns / 1e9 / secs : 0.0);
			char *js = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
			if (js)
				puts(js);
			free(js);
			json_decref(o);
		} else {
			printf("%10.3f ms  %5.1f %%  %s (%s)\n", ms,
			       secs > 0 ? 100.0 * (double)r[i].ns / 1e9 / secs : 0.0, info.id,
			       info.pack);
		}
	}
	double shared = (double)rules_matcher_shared_ns(m) / 1e9;
	if (!cli->quiet)
		fprintf(stderr,
			_("%zu rules, %.2f MiB of text x %zu rounds: %.1f MiB/s overall; %.1f %% "
			  "in "
			  "normalization and the prefilter (shared by all rules); %zu hits a "
			  "round\n"),
			n, (double)bytes / (1 << 20), rounds, secs > 0 ? mib / secs : 0.0,
			secs > 0 ? 100.0 * shared / secs : 0.0, rounds ? hits / rounds : 0);
	free(r);
}

/* Matches every document until BENCH_MIN_SECONDS of CPU time are spent; ms per rule and round. */
static int bench_run(const struct cli *cli, const struct rules_set *set,
		     struct cli_scan_file *const *files, size_t nfiles)
{
	struct rules_matcher *m = NULL;
	int rc = rules_matcher_new(set, &m);
	if (rc == 0)
		rc = rules_matcher_set_timing(m, true);
	size_t bytes = 0, rounds = 0, hits = 0;
	for (size_t i = 0; i < nfiles; i++)
		bytes += bench_doc_bytes(cli_scan_file_doc(files[i]));
	double t0 = bench_cpu_s(), secs = 0;
	while (rc == 0 && rounds < BENCH_MAX_ROUNDS && secs < BENCH_MIN_SECONDS) {
		for (size_t i = 0; i < nfiles && (rc == 0 || rc == ERR_REGEX); i++)
			rc = rules_match_doc(m, cli_scan_file_doc(files[i]), bench_no_hit, &hits);
		rounds++;
		secs = bench_cpu_s() - t0;
	}
	if (rc == 0 || rc == ERR_REGEX)
		bench_print(cli, set, m, rounds, bytes, secs, hits);
	else
		cli_error(_("rules bench: %s"), err_text(rc));
	rules_matcher_free(m);
	return rc == 0 ? CLI_OK : CLI_FAIL;
}

static int rules_bench(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{"rules", required_argument, NULL, 'r'}, {"help", no_argument, NULL, 'h'},
		{0, 0, 0, 0},
	};
	const char *paths[BENCH_MAX_PATHS];
	size_t npaths = 0;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (c == 'h') {
			fputs(_(rules_help), stdout);
			return CLI_OK;
		}
		if (c != 'r' || npaths == BENCH_MAX_PATHS)
			return cli_usage_error("rules",
					       _("bench: unknown option or too many --rules"));
		paths[npaths++] = optarg;
	}
	if (optind >= argc)
		return cli_usage_error("rules", _("bench: a FILE is needed"));
	struct rules_set *set = NULL;
	struct doc_profiles *profiles = NULL;
	size_t nfiles = (size_t)(argc - optind), n = 0;
	struct cli_scan_file **files = calloc(nfiles, sizeof(*files));
	if (cli_rules_load(paths, npaths, &set) != 0) {
		free(files);
		return CLI_USAGE;
	}
	int rc = files ? doc_profiles_new(&profiles) : -ENOMEM;
	if (rc == 0)
		rc = doc_profiles_add_builtin(profiles);
	for (; rc == 0 && n < nfiles; n++)
		if ((rc = cli_scan_file_read(argv[optind + (int)n], NULL, NULL, profiles, &files[n])))
			cli_error(_("rules bench: %s: %s"), argv[optind + (int)n], err_text(rc));
	int status = rc ? CLI_FAIL : bench_run(cli, set, files, nfiles);
	for (size_t i = 0; files && i < nfiles; i++)
		cli_scan_file_free(files[i]);
	free(files);
	doc_profiles_free(profiles);
	rules_set_free(set);
	return status;
}

static int rules_test(const struct cli *cli, const struct rules_set *set)
{
	struct buf report;
	buf_init(&report, 1u << 20);
	size_t failed = 0;
	int rc = rules_set_selftest(set, &report, &failed);
	if (rc) {
		cli_error(_("cannot run the rule tests"));
		buf_done(&report);
		return CLI_FAIL;
	}
	fputs(buf_str(&report), stdout);
	if (!cli->quiet)
		printf(_("%zu rules, %zu failed examples\n"), rules_set_count(set), failed);
	buf_done(&report);
	return failed ? CLI_FAIL : CLI_OK;
}

int cmd_rules(struct cli *cli, int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		fputs(_(rules_help), argc < 2 ? stderr : stdout);
		return argc < 2 ? CLI_USAGE : CLI_OK;
	}
	const char *verb = argv[1];
	if (strcmp(verb, "bench") == 0)
		return rules_bench(cli, argc - 1, argv + 1);
	if (strcmp(verb, "lint") != 0 && strcmp(verb, "test") != 0 && strcmp(verb, "list") != 0)
		return cli_usage_error("rules", _("unknown subcommand '%s'"), verb);
	struct rules_set *set = NULL;
	if (cli_rules_load((const char *const *)argv + 2, (size_t)(argc - 2), &set) != 0)
		return CLI_USAGE; /* an invalid pack is a configuration error */
	int status = CLI_OK;
	if (strcmp(verb, "list") == 0)
		status = rules_list(cli, set);
	else if (strcmp(verb, "test") == 0)
		status = rules_test(cli, set);
	else
		status = rules_lint(cli, set);
	rules_set_free(set);
	return status;
}
