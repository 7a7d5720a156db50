/* SPDX-License-Identifier: MIT */
/* Fuzz target for rules/: the bytes are a rule pack. A pack that loads is self-tested and matched
 * against a fixed text in every field and as a whole document, and each hit's snippet is cut, so
 * the loader, the condition evaluator, the matcher and rules_snippet all see what the fuzzer
 * invents. The normalizer (0.2 s to build, seconds under ASan) is built once per process and
 * shared by every input's set (rules_set_load_shared).
 */
#include "common/buf.h"
#include "parsers/normalize.h"
#include "rules/rules.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char text[] =
    "在家兼职刷单，佣金日结，加薇信 abc123 Telegram: @vx_888\n"
    "警惕刷单返利骗局！ www.example.com/a?b=1 aaaaaaaaaaaaaaaaaaaaaaaaaaaab \xff\xfe";

struct hits {
	struct buf snippet;
	size_t n;
};

static int on_hit(const struct rules_hit *hit, void *ud)
{
	struct hits *h = ud;
	h->n++;
	buf_reset(&h->snippet);
	rules_snippet(text, sizeof(text) - 1, hit->start, hit->end, 20, &h->snippet);
	for (size_t i = 0; i < hit->nspans; i++)
		rules_snippet(text, sizeof(text) - 1, hit->spans[i].start, hit->spans[i].end, 3,
			      &h->snippet);
	return 0;
}

/* Built on first use and kept for the process: a fuzz target's one allowed static. */
static const struct normalizer *nz_get(void)
{
	static struct normalizer *nz;
	char err[256];
	if (!nz && normalize_new(NULL, &nz, err, sizeof(err)) != 0) {
		fprintf(stderr, "fuzz_rules: %s\n", err);
		abort();
	}
	return nz;
}

static void exercise(const struct rules_set *set)
{
	static const char *const fields[] = {
		"title", "body", "post", "author", "url", "link_text"
	};
	struct rules_matcher *m;
	struct hits h = { .n = 0 };
	struct rules_info info;
	for (size_t i = 0; i < rules_set_count(set); i++)
		rules_set_rule(set, i, &info);
	if (rules_matcher_new(set, &m) != 0)
		return;
	buf_init(&h.snippet, 1 << 16);
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		rules_match(m, fields[i], text, sizeof(text) - 1, on_hit, &h);
	/* every field is text, so on_hit's offsets are into text whichever field a span is in */
	struct rules_post posts[2] = { { .text = text, .author = text }, { .text = text } };
	struct rules_doc doc = { .title = text, .body = text, .url = text, .link_text = text,
				 .posts = posts, .nposts = 2 };
	rules_match_doc(m, &doc, on_hit, &h);
	rules_matcher_free(m);
	buf_done(&h.snippet);

	struct buf report;
	size_t failed;
	buf_init(&report, 1 << 16);
	rules_set_selftest(set, &report, &failed);
	buf_done(&report);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf errors;
	struct rules_set *set = NULL;
	buf_init(&errors, 1 << 20);
	struct rules_source src = { .name = "fuzz.yaml", .data = (const char *)data, .len = size };
	if (rules_set_load_shared(&src, 1, nz_get(), &set, &errors) == 0) {
		exercise(set);
		rules_set_free(set);
	}
	buf_done(&errors);
	return 0;
}
