/* SPDX-License-Identifier: MIT */
/* Lint checks that need the compiled patterns: which patterns are slow on forum-like text.
 *
 * "Slow" is measured without a clock, so that lint gives the same answer on a busy machine: each
 * pattern scans a built-in sample of about 64 KiB of mixed Chinese and English forum text (made
 * the same way on every run) for all its matches, under PCRE2's match limit, which counts
 * backtracking steps. A pattern that needs more than RULES_SLOW_STEPS steps for one search is
 * reported as slow; one that reaches the matcher's own limit fails on such text, which a crawl
 * would count as an error. Thread-safe: the set is only read.
 */
#include "rules/rules_int.h"

#include "common/err.h"
#include "parsers/normalize.h"

#include <errno.h>
#include <string.h>

#define SAMPLE_BYTES (64u << 10)
#define SAMPLE_MAX_MATCHES 100000 /* searches per pattern over the sample */

/* Pieces of ordinary forum text, a few scam words among them, and the odd long run. */
static const char *const sample_pieces[] = {
	"今天天气不错，大家周末去哪里玩？", "楼主说得对，", "我也遇到过这种情况。", "请问这个怎么处理？",
	"谢谢分享！", "顶一下", "刷单", "返利", "兼职", "加微信", "日结", "客服", "退款", "贷款",
	"账号", "验证码", "已经报警了", "小心骗子", "转发", "通知", "  ", "\n", "，", "。", "！",
	"The weather is nice today. ", "Thanks for sharing! ", "I had the same problem, ",
	"does anyone know how to fix this? ", "bump ", "click here ", "verify your account ",
	"customer service ", "refund ", "crypto ", "bitcoin ", "send ", "1234567890 ", "$300 ",
	"www.example.com/thread-1-1.html ", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa ",
	"                                        ", "。。。。。。。。。。", "😀😀 ", "ｆｕｌｌｗｉｄｔｈ ",
};

int rules_lint_sample(struct buf *out)
{
	uint64_t seed = 20240611;
	size_t n = sizeof(sample_pieces) / sizeof(sample_pieces[0]);
	int rc = 0;
	while (rc == 0 && out->len < SAMPLE_BYTES) {
		seed = seed * 6364136223846793005ull + 1442695040888963407ull;
		rc = buf_addstr(out, sample_pieces[(seed >> 33) % n]);
	}
	return rc;
}

/* Searches text for every match of code under limit; returns 0, PCRE2_ERROR_MATCHLIMIT, another
 * PCRE2 error (ERR_REGEX), or -ENOMEM. */
static int scan_all(const pcre2_code *code, const char *text, size_t len, uint32_t limit,
		    pcre2_match_data *md, pcre2_match_context *mctx)
{
	size_t from = 0;
	pcre2_set_match_limit(mctx, limit);
	for (size_t k = 0; k < SAMPLE_MAX_MATCHES && from <= len; k++) {
		int rc = pcre2_match(code, (PCRE2_SPTR)text, len, from, 0, md, mctx);
		if (rc == PCRE2_ERROR_NOMATCH)
			return 0;
		if (rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_NOMEMORY)
			return rc == PCRE2_ERROR_NOMEMORY ? -ENOMEM : rc;
		if (rc < 0)
			return ERR_REGEX;
		const PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
		from = ov[1] > ov[0] ? ov[1] : ov[1] + 1;
	}
	return 0;
}

struct lint_ctx {
	pcre2_match_data *md;
	pcre2_match_context *mctx;
	pcre2_jit_stack *jit;
	const char *text[RULES__NVIEWS];
	size_t len[RULES__NVIEWS];
};

/* 0 fine, 1 slow, 2 fails at the matcher's limit, or a negative error. */
static int lint_pattern(struct lint_ctx *c, const struct rules__pattern *p)
{
	int rc = scan_all(p->code, c->text[p->view], c->len[p->view], RULES_SLOW_STEPS, c->md,
			  c->mctx);
	if (rc != PCRE2_ERROR_MATCHLIMIT)
		return rc == ERR_REGEX ? 2 : rc;
	rc = scan_all(p->code, c->text[p->view], c->len[p->view], RULES__MATCH_LIMIT, c->md,
		      c->mctx);
	return rc == -ENOMEM ? rc : rc == 0 ? 1 : 2;
}

static int lint_run(const struct rules_set *set, struct lint_ctx *c, rules_slow_fn fn, void *ud)
{
	int rc = 0;
	for (size_t r = 0; r < set->nrules && rc == 0; r++) {
		const struct rules__rule *rule = &set->rules[r];
		for (size_t k = 0; k < rule->info.npatterns && rc == 0; k++) {
			rc = lint_pattern(c, &rule->patterns[k]);
			if (rc > 0)
				rc = fn(r, rule->patterns[k].name, rc == 2, ud);
		}
	}
	return rc;
}

int rules_set_lint_slow(const struct rules_set *set, rules_slow_fn fn, void *ud)
{
	struct lint_ctx c = { 0 };
	struct buf sample;
	struct normalized norm;
	buf_init(&sample, 2 * SAMPLE_BYTES);
	normalize_out_init(&norm, NORMALIZE_MAX_TEXT_DEFAULT);
	c.md = pcre2_match_data_create(1, NULL);
	c.mctx = pcre2_match_context_create(NULL);
	c.jit = pcre2_jit_stack_create(RULES__JIT_STACK_MIN, RULES__JIT_STACK_MAX, NULL);
	int rc = c.md && c.mctx ? rules_lint_sample(&sample) : -ENOMEM;
	if (rc == 0 && set->nz)
		rc = normalize_text(set->nz, buf_str(&sample), sample.len, &norm);
	if (rc == 0) {
		if (c.jit)
			pcre2_jit_stack_assign(c.mctx, NULL, c.jit);
		pcre2_set_depth_limit(c.mctx, RULES__DEPTH_LIMIT);
		pcre2_set_heap_limit(c.mctx, RULES__HEAP_LIMIT);
		c.text[RULES__VIEW_RAW] = buf_str(&sample);
		c.len[RULES__VIEW_RAW] = sample.len;
		c.text[RULES__VIEW_NORMALIZED] = set->nz ? norm.text : buf_str(&sample);
		c.len[RULES__VIEW_NORMALIZED] = set->nz ? norm.len : sample.len;
		rc = lint_run(set, &c, fn, ud);
	}
	pcre2_jit_stack_free(c.jit);
	pcre2_match_context_free(c.mctx);
	pcre2_match_data_free(c.md);
	normalize_out_done(&norm);
	buf_done(&sample);
	return rc;
}
