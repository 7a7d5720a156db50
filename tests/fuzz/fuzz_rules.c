/* SPDX-License-Identifier: MIT */
/* Fuzz target for rules/: the bytes are a rule pack. A pack that loads is self-tested and matched
 * against a fixed text in every field, and each hit's snippet is cut, so the loader, the condition
 * evaluator, the matcher and rules_snippet all see what the fuzzer invents.
 */
#include "common/buf.h"
#include "rules/rules.h"

#include <stddef.h>
#include <stdint.h>
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
	if (rules_set_load_mem("fuzz.yaml", (const char *)data, size, &set, &errors) == 0) {
		exercise(set);
		rules_set_free(set);
	}
	buf_done(&errors);
	return 0;
}
