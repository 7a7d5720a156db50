/* SPDX-License-Identifier: MIT */
/*
 * pcre2_bench: the rule engine without a prefilter, as a baseline. Compiles every line of a
 * pattern file (bench/gen-matcher-rules.py --rg: one regex per line) with PCRE2 and its JIT, with
 * the options patrol's matcher uses (UTF, UCP, caseless), then runs each pattern, one after
 * another, over every page of the corpus (bench/corpus.h), looking for its first match in the
 * page, as a rule engine that tries every pattern on every text would. Times (thread CPU) only
 * the matching. Single-threaded: the figure is per core. Built by bench/Makefile.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "bench/corpus.h"
#include "common/err.h"

#include <errno.h>
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_PATTERNS 100000
#define MAX_LINE     65536
#define MATCH_LIMIT  1000000 /* as a matcher would cap it: an error, never a hang */

struct patterns {
	pcre2_code **code;
	size_t n, bad;
};

static int patterns_load(const char *path, struct patterns *ret)
{
	int rc = 0;
	char *line = malloc(MAX_LINE);
	FILE *f = fopen(path, "r");
	struct patterns p = {.code = calloc(MAX_PATTERNS, sizeof(*p.code))};
	if (!f || !line || !p.code) {
		rc = f ? -ENOMEM : -errno;
		goto fail;
	}
	while (fgets(line, MAX_LINE, f) && p.n < MAX_PATTERNS) {
		size_t len = strcspn(line, "\r\n");
		if (!len)
			continue;
		int e;
		PCRE2_SIZE off;
		uint32_t opts = PCRE2_UTF | PCRE2_UCP | PCRE2_CASELESS | PCRE2_MATCH_INVALID_UTF;
		pcre2_code *c = pcre2_compile((PCRE2_SPTR)line, len, opts, &e, &off, NULL);
		if (!c || pcre2_jit_compile(c, PCRE2_JIT_COMPLETE) != 0) {
			fprintf(stderr, "pcre2_bench: pattern %zu not compiled: %.*s\n",
				p.n + p.bad + 1, (int)len, line);
			pcre2_code_free(c);
			p.bad++;
			continue;
		}
		p.code[p.n++] = c;
	}
	*ret = p;
	p.code = NULL;
fail:
	free(p.code);
	free(line);
	if (f)
		fclose(f);
	return rc;
}

static void patterns_free(struct patterns *p)
{
	for (size_t i = 0; i < p->n; i++)
		pcre2_code_free(p->code[i]);
	free(p->code);
}

int main(int argc, char **argv)
{
	if (argc < 3 || argc > 4 || argv[1][0] == '-') {
		fprintf(stderr,
			"usage: pcre2_bench PATTERNS CORPUS [MAX_MIB]\n"
			"Runs every pattern (one per line) over every page of CORPUS, one "
			"after another; MAX_MIB > 0 uses only the pages in its first MAX_MIB.\n");
		return 2;
	}
	size_t max_mib = argc == 4 ? strtoull(argv[3], NULL, 10) : 0;
	struct patterns p = {0};
	struct corpus c = {0};
	pcre2_match_data *md = pcre2_match_data_create(1, NULL);
	pcre2_match_context *mc = pcre2_match_context_create(NULL);
	pcre2_jit_stack *js = pcre2_jit_stack_create(32 << 10, 1 << 20, NULL);
	int rc = !md || !mc || !js ? -ENOMEM : patterns_load(argv[1], &p);
	if (!rc)
		rc = corpus_load(argv[2], max_mib > 4096 ? 0 : max_mib << 20, &c);
	if (rc) {
		fprintf(stderr, "pcre2_bench: %s\n", err_str(rc));
		return 1;
	}
	pcre2_set_match_limit(mc, MATCH_LIMIT);
	pcre2_jit_stack_assign(mc, NULL, js);
	size_t matched = 0, errors = 0;
	double t0 = corpus_cpu_s();
	for (size_t k = 0; k < p.n; k++)
		for (size_t i = 0; i < c.npages; i++) {
			int r = pcre2_jit_match(p.code[k], (PCRE2_SPTR)c.pages[i].text,
						c.pages[i].len, 0, 0, md, mc);
			matched += r >= 0;
			errors += r < 0 && r != PCRE2_ERROR_NOMATCH;
		}
	double cpu = corpus_cpu_s() - t0;
	double mib = (double)c.len / (1024.0 * 1024.0);
	printf("pages=%zu text_bytes=%zu patterns=%zu not_compiled=%zu cpu_s=%.3f mib_per_s=%.2f "
	       "pattern_page_matches=%zu errors=%zu\n",
	       c.npages, c.len, p.n, p.bad, cpu, mib / cpu, matched, errors);
	patterns_free(&p);
	corpus_free(&c);
	pcre2_jit_stack_free(js);
	pcre2_match_context_free(mc);
	pcre2_match_data_free(md);
	return 0;
}
