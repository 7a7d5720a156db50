/* SPDX-License-Identifier: MIT */
/*
 * matcher_bench: the speed of patrol's rule matcher (rules/rules.h) on forum text. Loads the packs
 * named on the command line into one set, reads the corpus (bench/make-corpus.py: pages of
 * extracted forum text), and matches every page as the field "body" with one matcher, as one
 * crawl worker would. Times (thread CPU) only the matching, and, with --normalize, the normalized
 * view (parsers/normalize.h) built before it, each apart; loading and compiling the set is timed
 * on its own. When rules_match builds the view itself (the rules library normalizes), building it
 * alone is timed too, in a second pass (view_cpu_s), so that the matching alone is the difference.
 * Single-threaded: the figures are per core. Prints one line of key=value pairs, and the rules
 * with the most hits. Built by bench/Makefile against a meson build of patrol.
 */
#include "bench/corpus.h"
#include "common/buf.h"
#include "common/err.h"
#include "parsers/normalize.h"
#include "rules/rules.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Under `valgrind --tool=callgrind --instr-atstart=no` only the matching is instrumented, so an
 * instruction count is the matcher's alone and loading the set runs at full speed. */
#if __has_include(<valgrind/callgrind.h>)
#include <valgrind/callgrind.h>
#else
#define CALLGRIND_START_INSTRUMENTATION
#define CALLGRIND_STOP_INSTRUMENTATION
#endif

#define MAX_PACKS 64
#define TOP_RULES 5

struct opts {
	const char *corpus, *cache;
	const char *perf_ctl; /* perf record's --control FIFO: profile the matching alone */
	const char *packs[MAX_PACKS];
	size_t npacks;
	int repeat;
	bool normalize;
};

struct tally {
	size_t *per_rule; /* hits of each rule */
	size_t hits, pages_hit, errors;
	bool page_hit;
	double norm_s, match_s;
	double view_s; /* the normalized view alone, when the engine builds it */
};

static double wall_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int on_hit(const struct rules_hit *hit, void *ud)
{
	struct tally *t = ud;
	t->per_rule[hit->rule]++;
	t->hits++;
	t->page_hit = true;
	return 0;
}

/* Sends cmd ("enable" or "disable") to perf record's control FIFO; a failure only costs the
 * profile its bounds. */
static void perf_ctl(const char *fifo, const char *cmd)
{
	if (!fifo)
		return;
	int fd = open(fifo, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, cmd, strlen(cmd)) < 0)
		fprintf(stderr, "matcher_bench: %s: %s\n", fifo, strerror(errno));
	if (fd >= 0)
		close(fd);
}

static int usage(void)
{
	fprintf(stderr,
		"usage: matcher_bench [--normalize] [--repeat N] [--cache DIR] [--perf-ctl FIFO] "
		"CORPUS "
		"PACK...\n"
		"Matches every page of CORPUS as field body against the packs (files or folders);\n"
		"--normalize builds the normalized view first and matches that (for a rules_match\n"
		"that does not normalize itself); --cache keeps the compiled prefilter in DIR;\n"
		"--perf-ctl writes enable and disable around the matching to perf record's\n"
		"--control FIFO (with perf record -D -1), so that a profile shows the matching "
		"alone.\n");
	return 2;
}

static int parse_args(int argc, char **argv, struct opts *o)
{
	*o = (struct opts){.repeat = 1};
	int i = 1;
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "--normalize") == 0)
			o->normalize = true;
		else if (strcmp(argv[i], "--repeat") == 0 && i + 1 < argc)
			o->repeat = atoi(argv[++i]);
		else if (strcmp(argv[i], "--cache") == 0 && i + 1 < argc)
			o->cache = argv[++i];
		else if (strcmp(argv[i], "--perf-ctl") == 0 && i + 1 < argc)
			o->perf_ctl = argv[++i];
		else
			return -1;
	}
	if (argc - i < 2 || argc - i - 1 > MAX_PACKS || o->repeat < 1 || o->repeat > 1000)
		return -1;
	o->corpus = argv[i++];
	for (; i < argc; i++)
		o->packs[o->npacks++] = argv[i];
	return 0;
}

/* The normalized view of every page, repeat times, as rules_match builds it (the set's normalizer
 * is the default one, as here): its thread CPU, all pages timed at once. */
static int view_pass(const struct opts *o, const struct corpus *c, struct normalized *out,
		     double *ret_s, char *err, size_t errlen)
{
	struct normalizer *nz = NULL;
	int rc = normalize_new(NULL, &nz, err, errlen);
	double t0 = corpus_cpu_s();
	for (int r = 0; r < o->repeat && !rc; r++)
		for (size_t i = 0; i < c->npages && !rc; i++) {
			rc = normalize_text(nz, c->pages[i].text, c->pages[i].len, out);
			if (rc == ERR_TOO_BIG) /* matched truncated, as rules_match does */
				rc = 0;
		}
	*ret_s = corpus_cpu_s() - t0;
	normalize_free(nz);
	return rc;
}

/* Matches one page, normalizing it first when nz is set; adds to t. The two are timed apart only
 * when there are two: reading the thread's CPU clock is a system call (about a microsecond, 4 %
 * of a page's matching), so without nz the caller times all pages at once. */
static int match_page(struct rules_matcher *m, const struct normalizer *nz, struct normalized *out,
		      const struct corpus_page *pg, struct tally *t)
{
	const char *text = pg->text;
	size_t len = pg->len;
	double t0 = 0;
	if (nz) {
		t0 = corpus_cpu_s();
		int rc = normalize_text(nz, pg->text, pg->len, out);
		t->norm_s += corpus_cpu_s() - t0;
		if (rc && rc != ERR_TOO_BIG)
			return rc;
		text = out->text;
		len = out->len;
		t0 = corpus_cpu_s();
	}
	t->page_hit = false;
	int rc = rules_match(m, "body", text, len, on_hit, t);
	if (nz)
		t->match_s += corpus_cpu_s() - t0;
	if (rc == ERR_REGEX)
		t->errors++;
	else if (rc)
		return rc;
	t->pages_hit += t->page_hit;
	return 0;
}

static void print_top(const struct rules_set *set, const struct tally *t, size_t nrules)
{
	bool *shown = calloc(nrules, sizeof(*shown));
	if (!shown)
		return;
	for (int k = 0; k < TOP_RULES; k++) {
		size_t best = nrules;
		for (size_t i = 0; i < nrules; i++)
			if (!shown[i] && t->per_rule[i] &&
			    (best == nrules || t->per_rule[i] > t->per_rule[best]))
				best = i;
		if (best == nrules)
			break;
		shown[best] = true;
		struct rules_info info;
		rules_set_rule(set, best, &info);
		printf("top_rule=%s hits=%zu\n", info.id, t->per_rule[best]);
	}
	free(shown);
}

static int report(const struct opts *o, const struct rules_set *set, const struct corpus *c,
		  const struct tally *t, double load_s)
{
	size_t nrules = rules_set_count(set), npat = 0;
	for (size_t i = 0; i < nrules; i++) {
		struct rules_info info;
		rules_set_rule(set, i, &info);
		npat += info.npatterns;
	}
	double mib = (double)c->len * o->repeat / (1024.0 * 1024.0);
	printf("pages=%zu text_bytes=%zu repeat=%d rules=%zu patterns=%zu load_s=%.3f "
	       "normalize_cpu_s=%.3f match_cpu_s=%.3f view_cpu_s=%.3f match_mib_per_s=%.1f "
	       "total_mib_per_s=%.1f hits=%zu pages_hit=%zu regex_errors=%zu normalized=%s\n",
	       c->npages, c->len, o->repeat, nrules, npat, load_s, t->norm_s, t->match_s, t->view_s,
	       mib / t->match_s, mib / (t->norm_s + t->match_s), t->hits / (size_t)o->repeat,
	       t->pages_hit / (size_t)o->repeat, t->errors, o->normalize ? "bench" : "engine");
	print_top(set, t, nrules);
	return 0;
}

static int run(const struct opts *o, struct buf *errors)
{
	struct rules_set *set = NULL;
	struct rules_matcher *m = NULL;
	struct normalizer *nz = NULL;
	struct normalized out;
	struct corpus c = {0};
	struct tally t = {0};
	char err[256] = "";
	normalize_out_init(&out, NORMALIZE_MAX_TEXT_DEFAULT);
	double w0 = wall_s();
	int rc = rules_set_load_cached(o->packs, o->npacks, o->cache, &set, errors);
	double load_s = wall_s() - w0;
	if (rc)
		goto fail;
	if ((rc = rules_matcher_new(set, &m)) || (rc = corpus_load(o->corpus, 0, &c)))
		goto fail;
	if (o->normalize && (rc = normalize_new(NULL, &nz, err, sizeof(err))))
		goto fail;
	t.per_rule = calloc(rules_set_count(set) + 1, sizeof(*t.per_rule));
	if (!t.per_rule) {
		rc = -ENOMEM;
		goto fail;
	}
	perf_ctl(o->perf_ctl, "enable\n");
	CALLGRIND_START_INSTRUMENTATION;
	double t0 = corpus_cpu_s();
	for (int r = 0; r < o->repeat && !rc; r++)
		for (size_t i = 0; i < c.npages && !rc; i++)
			rc = match_page(m, nz, &out, &c.pages[i], &t);
	if (!nz)
		t.match_s = corpus_cpu_s() - t0;
	CALLGRIND_STOP_INSTRUMENTATION;
	perf_ctl(o->perf_ctl, "disable\n");
	if (!rc && !nz)
		rc = view_pass(o, &c, &out, &t.view_s, err, sizeof(err));
	if (!rc)
		rc = report(o, set, &c, &t, load_s);
fail:
	if (err[0])
		fprintf(stderr, "matcher_bench: normalizer: %s\n", err);
	free(t.per_rule);
	corpus_free(&c);
	normalize_out_done(&out);
	normalize_free(nz);
	rules_matcher_free(m);
	rules_set_free(set);
	return rc;
}

int main(int argc, char **argv)
{
	struct opts o;
	if (parse_args(argc, argv, &o))
		return usage();
	struct buf errors;
	buf_init(&errors, 1 << 20);
	int rc = run(&o, &errors);
	if (rc)
		fprintf(stderr, "matcher_bench: %s\n%s", err_str(rc), buf_str(&errors));
	buf_done(&errors);
	return rc ? 1 : 0;
}
