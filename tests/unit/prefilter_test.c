/* SPDX-License-Identifier: MIT */
/* Unit tests for the rules prefilter (rules/prefilter.c): that matching through Vectorscan gives
 * exactly what PCRE2 alone gives, on crafted and on random texts, for tricky patterns and for the
 * shipped packs; which patterns are always run; the fall-back on invalid UTF-8; candidates.
 * Uses rules/rules_int.h to compare the two paths. PATROL_SOURCE_ROOT locates rules/packs.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "rules_util.h"

#include "common/buf.h"
#include "common/err.h"
#include "parsers/normalize.h"
#include "rules/rules_int.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int record_hit(const struct rules_hit *hit, void *ud)
{
	struct buf *out = ud;
	buf_addf(out, "%zu:%zu-%zu:", hit->rule, hit->start, hit->end);
	for (size_t i = 0; i < hit->nspans; i++)
		buf_addf(out, "%s%s@%zu-%zu", i ? "," : "", hit->spans[i].pattern,
			 hit->spans[i].start, hit->spans[i].end);
	return buf_addc(out, '\n');
}

/* Matches text both ways and fails the test, saying where, if they differ. Returns the hits. */
static size_t agree(struct rules_matcher *m, const char *field, const char *text, size_t len)
{
	struct buf fast, slow;
	buf_init(&fast, 1 << 20);
	buf_init(&slow, 1 << 20);
	int rc_fast = rules__match(m, field, text, len, false, record_hit, &fast);
	int rc_slow = rules__match(m, field, text, len, true, record_hit, &slow);
	if (rc_fast != rc_slow || strcmp(buf_str(&fast), buf_str(&slow)) != 0)
		print_error("prefilter and PCRE2 disagree on \"%.*s\":\nprefilter (%d):\n%s"
			    "PCRE2 (%d):\n%s",
			    (int)len, text, rc_fast, buf_str(&fast), rc_slow, buf_str(&slow));
	assert_int_equal(rc_fast, rc_slow);
	assert_string_equal(buf_str(&fast), buf_str(&slow));
	size_t n = 0;
	for (const char *p = buf_str(&fast); *p; p++)
		n += *p == '\n';
	buf_done(&fast);
	buf_done(&slow);
	return n;
}

/* Patterns where a prefilter could go wrong: assertions it drops, widths, Unicode case, anchors,
 * backreferences, and one (\R) it refuses. */
static const char tricky[] =
    "pack: p\n"
    "lists:\n"
    "  chat: [微信, v信, vx, 扣扣]\n"
    "rules:\n"
    "  - {id: lookbehind, title: T, category: c, severity: low,\n"
    "     patterns: {x: '(?<!防)骗子'}}\n"
    "  - {id: lookahead, title: T, category: c, severity: low,\n"
    "     patterns: {x: 'free(?= money)'}}\n"
    "  - {id: window, title: T, category: c, severity: low,\n"
    "     patterns: {x: 'a.{0,3}b'}}\n"
    "  - {id: backref, title: T, category: c, severity: low,\n"
    "     patterns: {x: '(ab|cd)x\\1'}}\n"
    "  - {id: words, title: T, category: c, severity: low,\n"
    "     patterns: {x: '\\bfree\\b', y: '\\bmoney\\b'}, condition: x and not y}\n"
    "  - {id: anchors, title: T, category: c, severity: low,\n"
    "     patterns: {x: '^start', y: 'end$'}, condition: x or y}\n"
    "  - {id: unicode-case, title: T, category: c, severity: low,\n"
    "     patterns: {x: 'σοφια', y: 'ｓｏｆ', z: 'literal:STRASSE'}, condition: any of them}\n"
    "  - {id: list, title: T, category: c, severity: low,\n"
    "     patterns: {x: '加{chat}', y: '\\d{3,6}\\s*元'}, condition: x and y}\n"
    "  - {id: refused, title: T, category: c, severity: low,\n"
    "     patterns: {x: 'foo\\Rbar'}}\n"
    "  - {id: cjk-gap, title: T, category: c, severity: low,\n"
    "     patterns: {x: '刷单.{0,12}返利', y: '警惕'}, condition: x and not y}\n"
    /* UCP classes, which the prefilter widens */
    "  - {id: classes, title: T, category: c, severity: low,\n"
    "     patterns: {a: '\\d{3}元', b: '[^\\d\\s]{2}单', c: '\\w+@\\w+', d: '[[:alpha:]]{2}信',\n"
    "                e: '\\bmoney\\b\\s\\S', f: '[\\W]x[\\D]', g: '\\B信\\h\\H'},\n"
    "     condition: any of them}\n"
    "  - {id: posix-given-up, title: T, category: c, severity: low,\n"
    "     patterns: {x: '[^[:^alpha:]]加'}}\n"
    /* the raw view: what the page said, before normalization */
    "  - {id: raw-words, title: T, category: c, severity: low,\n"
    "     patterns: {x: {regex: '\\bfree\\b', view: raw}, y: {regex: 'ｓｏｆ|刷 单', view: raw}},\n"
    "     condition: x or y}\n"
    "  - {id: raw-mixed, title: T, category: c, severity: low,\n"
    "     patterns: {x: {regex: '加{chat}', view: raw}, y: {literal: STRASSE, view: raw},\n"
    "                z: '\\d{3,6}\\s*元'}, condition: (x or y) and z}\n";

static const char *const pieces[] = {
	"a",	 "b",	    "x",       "ab",	"cd",	   "free", " money", "money", " ",
	"\n",	 "\r\n",    "骗子",    "防",	"start",   "end",    "ΣΟΦΙΑ",  "ＳＯＦ", "straße",
	"STRASSE", "加",    "微信",    "V信",	"123",	   "4567",   "元",     "foo",  "bar",
	"刷单",	 "返利",    "警惕",    "，",	"é",	   "xx",     "😀",     "\t",   "K",
	"５",	 "0",	    "\u3000", "@",	"信",	   "单",     "_",      "ä",    "\u00a0",
	"刷 单", "\u200b",  "ｆｒｅｅ", "\xff",  "加 微信", "ſ",  "\u212a", "ss",   "a.b",
	"fr",    "ee",      "cd",      "y",     "警惕",  "fo",   "$",   ",000", "usdt",
	"联系",  "qq",      "添加",
};

/* Random texts made of pieces: the same seed gives the same texts on every run. */
static size_t random_text(uint64_t *seed, char *out, size_t max)
{
	size_t n = 0, want = 1 + (*seed >> 33) % 24;
	for (size_t i = 0; i < want; i++) {
		*seed = *seed * 6364136223846793005ull + 1442695040888963407ull;
		const char *p = pieces[(*seed >> 33) % (sizeof(pieces) / sizeof(pieces[0]))];
		size_t len = strlen(p);
		if (n + len >= max)
			break;
		memcpy(out + n, p, len);
		n += len;
	}
	out[n] = '\0';
	return n;
}

static void test_agree_crafted(void **state)
{
	(void)state;
	struct rules_set *set = rules_util_load_ok(tricky);
	struct rules_matcher *m;
	assert_int_equal(rules_matcher_new(set, &m), 0);
	static const char *const texts[] = {
		"骗子",	      "防骗子",		"free money",	   "free",
		"a b ab axxxb axxxxb",		"abxab cdxcd abxcd", "free, no money",
		"start here", "the end",	"not the end\n",   "ΣΟΦΙΑ",
		"ＳＯＦ",     "STRAẞE straße",	"加V信 500元",	   "foo\r\nbar",
		"foo\nbar",   "刷 单返利",	"刷单😀返利",	   "警惕刷单返利",
		"",	      "５００元",	"刷单",		   "中文@中文",
		"ää信",	      "money\u3000x",	"中x中",	   "a信\u3000x",
		"中加",
	};
	size_t hits = 0;
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
		hits += agree(m, "body", texts[i], strlen(texts[i]));
	assert_true(hits >= 10); /* the texts above do match, so the comparison means something */
	rules_matcher_free(m);
	rules_set_free(set);
}

static void test_agree_random(void **state)
{
	(void)state;
	struct rules_set *set = rules_util_load_ok(tricky);
	struct rules_matcher *m;
	assert_int_equal(rules_matcher_new(set, &m), 0);
	uint64_t seed = 42;
	size_t hits = 0;
	char text[512];
	for (int i = 0; i < 20000; i++) {
		size_t n = random_text(&seed, text, sizeof(text));
		hits += agree(m, i % 2 ? "title" : "body", text, n);
	}
	assert_true(hits > 1000);
	rules_matcher_free(m);
	rules_set_free(set);
}

/* A window never starts PCRE2 after the match: a long run of near misses before the real one. */
static void test_window_start(void **state)
{
	(void)state;
	struct rules_set *set = rules_util_load_ok("pack: p\nrules:\n"
					"  - {id: w, title: T, category: c, severity: low,\n"
					"     patterns: {x: 'a.{0,3}b'}}\n");
	struct rules_matcher *m;
	assert_int_equal(rules_matcher_new(set, &m), 0);
	char text[8192];
	size_t n = 0;
	while (n < 8000) {
		memcpy(text + n, "a     ", 6);
		n += 6;
	}
	memcpy(text + n, "a  b a b", 8);
	n += 8;
	text[n] = '\0';
	assert_int_equal(agree(m, "body", text, n), 1);
	rules_matcher_free(m);
	rules_set_free(set);
}

static void test_always_run(void **state)
{
	(void)state;
	struct rules_set *set = rules_util_load_ok(tricky);
	const char *names[4];
	size_t always = 0;
	for (size_t i = 0; i < rules_set_count(set); i++) {
		struct rules_info info;
		rules_set_rule(set, i, &info);
		size_t n = rules_set_always_run(set, i, names, 4);
		if (strcmp(info.id, "refused") == 0 || strcmp(info.id, "posix-given-up") == 0) {
			assert_int_equal(n, 1);
			assert_string_equal(names[0], "x");
		}
		always += n;
	}
	assert_int_equal(always, 2); /* everything else, backreference included, is prefiltered */
	struct rules_matcher *m;
	assert_int_equal(rules_matcher_new(set, &m), 0);
	assert_int_equal(agree(m, "body", "foo\r\nbar", 8), 1);
	rules_matcher_free(m);
	rules_set_free(set);
}

/* Counts, near() and unbounded patterns: each further match is confirmed in the windows of the
 * reported ends, past the ends a scan keeps per pattern, and must agree with PCRE2 alone. */
static const char counting[] =
    "pack: p\n"
    "rules:\n"
    "  - {id: counts, title: T, category: c, severity: low,\n"
    "     patterns: {a: '刷单', b: 'a.{0,3}b'}, condition: '#a >= 3 or #b >= 18'}\n"
    "  - {id: near, title: T, category: c, severity: low,\n"
    "     patterns: {x: 'free', y: 'money|元'}, condition: 'near(x, y, 5) and #y > 17'}\n"
    "  - {id: unbounded, title: T, category: c, severity: low,\n"
    "     patterns: {u: 'foo.*bar', v: 'x\\w*'}, condition: 'u or #v >= 17'}\n";

static void test_agree_windows(void **state)
{
	(void)state;
	struct rules_set *set = rules_util_load_ok(counting);
	struct rules_matcher *m;
	assert_int_equal(rules_matcher_new(set, &m), 0);
	uint64_t seed = 7;
	size_t hits = 0;
	char text[4096];
	for (int i = 0; i < 3000; i++) {
		size_t n = 0;
		for (int k = 0; k < 30; k++) /* some 400 pieces: more ends than a scan keeps */
			n += random_text(&seed, text + n, sizeof(text) - n);
		hits += agree(m, "body", text, n);
	}
	assert_true(hits > 300);
	rules_matcher_free(m);
	rules_set_free(set);
}

/* The windows of a factor: from each reported end back by its width, none past the last. (free
 * alone would be single: one report, and PCRE2 looks from lo on; see the end.) */
static void test_windows(void **state)
{
	(void)state;
	struct rules_set *set = rules_util_load_ok("pack: p\nrules:\n"
					"  - {id: w, title: T, category: c, severity: low,\n"
					"     patterns: {x: 'free\\d?'}}\n"
					"  - {id: s, title: T, category: c, severity: low,\n"
					"     patterns: {x: free}}\n");
	struct rules__scan *s;
	assert_int_equal(rules__scan_new(set, &s), 0);
	const uint32_t *c;
	size_t n;
	const char *text = "a free b free c free";
	size_t len = strlen(text);
	struct rules__texts t = { { text, text }, { len, len } };
	assert_int_equal(rules__scan_run(s, 1, &t, &c, &n), 0);
	assert_int_equal(n, 2);
	struct rules__window w;
	assert_int_equal(rules__scan_window(s, text, len, 0, 0, 0, &w), 1);
	assert_int_equal(w.start, 2);
	assert_int_equal(w.limit, 6);
	assert_int_equal(rules__scan_window(s, text, len, 0, 0, 7, &w), 1);
	assert_int_equal(w.start, 9);
	assert_int_equal(w.limit, 13);
	assert_int_equal(rules__scan_window(s, text, len, 0, 0, 18, &w), 1);
	assert_int_equal(w.start, 18);
	assert_int_equal(w.limit, 20);
	assert_int_equal(rules__scan_window(s, text, len, 0, 0, 20, &w), 0);
	/* more ends than a scan keeps: the last window reaches the last end */
	char many[400] = "";
	for (int i = 0; i < 40; i++)
		strcat(many, "free ");
	len = strlen(many);
	t = (struct rules__texts){ { many, many }, { len, len } };
	assert_int_equal(rules__scan_run(s, 1, &t, &c, &n), 0);
	assert_int_equal(rules__scan_window(s, many, len, 0, 0, 5 * 20, &w), 1);
	assert_int_equal(w.start, 100);
	assert_int_equal(w.limit, 5 * 39 + 4);
	/* a pattern of literals alone is reported once: one window, from lo to anywhere */
	assert_int_equal(rules__scan_window(s, many, len, 1, 0, 7, &w), 1);
	assert_int_equal(w.start, 7);
	assert_int_equal(w.limit, SIZE_MAX);
	rules__scan_free(s);
	rules_set_free(set);
}

/* Candidates: only rules with a reported positive pattern, plus always-run ones, in rule order. */
static void test_candidates(void **state)
{
	(void)state;
	struct rules_set *set = rules_util_load_ok(tricky);
	struct rules__scan *s;
	assert_int_equal(rules__scan_new(set, &s), 0);
	const uint32_t *c;
	size_t n;
	const char *text = "start: free money, 骗子";
	struct rules__texts t = { { text, text }, { strlen(text), strlen(text) } };
	assert_int_equal(rules__scan_run(s, 1, &t, &c, &n), 0);
	/* lookbehind (0), lookahead (1), words (4), anchors (5), refused (8, always), classes (10:
	 * its `\bmoney\b\s\S` is scanned for the literal "money", though "money," has no space
	 * after it), posix-given-up (11, always), raw-words (12) */
	assert_int_equal(n, 8);
	const uint32_t want[] = { 0, 1, 4, 5, 8, 10, 11, 12 };
	for (size_t i = 0; i < n; i++)
		assert_int_equal(c[i], want[i]);
	/* "money" is reported for rule 4, "end" was not */
	struct rules__window w;
	assert_int_equal(rules__scan_window(s, text, strlen(text), 4, 1, 0, &w), 1);
	assert_int_equal(rules__scan_window(s, text, strlen(text), 5, 1, 0, &w), 0);
	rules__scan_free(s);
	rules_set_free(set);
}

/* Literal factors (rules/factor.c): what is scanned for, and how far back PCRE2 starts. */
/* ANY_GATE: the gate is not what the case is about. */
static const char ANY_GATE[] = "";

static void factor_gate_is(const char *expr, unsigned min, const char *want, size_t want_end,
			   const char *want_gate)
{
	struct rules__factor f;
	int rc = rules__factors(expr, min, &f);
	if (!want) {
		assert_int_equal(rc, ERR_REGEX);
		assert_null(f.expr);
		assert_null(f.gate);
		return;
	}
	assert_int_equal(rc, 0);
	assert_string_equal(f.expr, want);
	assert_int_equal(f.end, want_end);
	if (want_gate && want_gate != ANY_GATE)
		assert_string_equal(f.gate, want_gate);
	else if (!want_gate)
		assert_null(f.gate);
	free(f.expr);
	free(f.gate);
}

static void factor_min_is(const char *expr, unsigned min, const char *want, size_t want_end)
{
	factor_gate_is(expr, min, want, want_end, ANY_GATE);
}

static void factor_is(const char *expr, const char *want, size_t want_end)
{
	factor_min_is(expr, 2, want, want_end);
}

static void test_factors(void **state)
{
	(void)state;
	factor_is("(?:刷流水|名额有限)\\s*\\d{3,6}\\s*(?:元|块)", "(?:刷流水|名额有限)", 12);
	factor_is("(?:找|加)\\s*(?:qq|微信)", "(?:qq|微信)", SIZE_MAX); /* one character is too few */
	factor_is("\\b(?:gift card|pump)\\b", "(?:gift\\x20card|pump)", 9);
	factor_is("free(?= money)", "(?:free)", 4);
	factor_is("kiss", "(?:kiss)", 8); /* K (U+212A) is three bytes, long s two */
	factor_is("(?:ab|cd)x{2}", "(?:ab|cd)", 2);
	factor_is("(?:ab|cd)x", "(?:abx|cdx)", 3);
	factor_is("a(?:bc)?d", "(?:abcd|ad)", 4);
	factor_is("\\Qa.b\\E", "(?:a\\x2eb)", 3);
	factor_is("\\x{5237}单.{0,2}", "(?:刷单)", 6);
	factor_is("(?<n>foo|bar)+x\\d", "(?:foo|bar)", 3);
	factor_is("(?:foo|\\d)bar", "(?:bar)", 7);
	factor_is("\\w+返利", "(?:返利)", SIZE_MAX);
	factor_is("(ab)x\\1", NULL, 0);   /* a backreference: not followed */
	factor_is("a\\Kbc", NULL, 0);     /* \K moves the start */
	factor_is("(?x) a b", NULL, 0);   /* extended mode */
	factor_is("a.{0,3}b", NULL, 0);   /* no literal of two characters */
	factor_is("(?:foo|b.r)", NULL, 0); /* a branch without one */
	factor_is("(?:\\+\\s*\\d|usd)", NULL, 0);
	/* a currency sign is rare enough alone */
	factor_is("(?:\\$\\s*\\d{1,3}(?:,\\d{3})+|\\b\\d{3,}\\s*(?:usdt)\\b)", "(?:\\x24|usdt)",
		  SIZE_MAX);
	/* the prefilter's second try: one CJK character will do, one ASCII character never */
	factor_min_is("(?:找|加)\\s*(?:qq|微信)", 1, "(?:qq|微信)", SIZE_MAX);
	factor_min_is("借.{0,3}(?:钱|\\d+)", 1, "(?:借)", 3);
	factor_min_is("招|兼职|名额", 1, "(?:招|兼职|名额)", 6);
	factor_min_is("a.{0,3}b", 1, NULL, 0);
	factor_min_is("(?:\\+\\s*\\d|usd)", 1, NULL, 0);
	factor_min_is("(?:@\\w+|微信)", 1, NULL, 0);
}

/* Gates: the next best set of another place of every match, of two characters at least. */
static void test_factor_gates(void **state)
{
	(void)state;
	factor_gate_is("(?:联系|添加)\\s*(?:微信|qq)\\s*[a-z0-9_]{5,20}", 2, "(?:联系|添加)", 6,
		       "(?:微信|qq)");
	/* the better set wins wherever it is; the other becomes the gate */
	factor_gate_is("(?:ab|cd)\\s*返利平台", 2, "(?:返利平台)", SIZE_MAX, "(?:ab|cd)");
	factor_gate_is("联系.{0,4}\\d{5}.{0,4}(?:加我|找我)", 2, "(?:联系)", 6, "(?:加我|找我)");
	/* a gate of one character would be on every page */
	factor_gate_is("(?:刷流水|名额有限)\\s*\\d{3,6}\\s*(?:元|块)", 2, "(?:刷流水|名额有限)", 12,
		       NULL);
	/* literals alone: their matches are the literals' own */
	factor_gate_is("联系微信", 2, "(?:联系微信)", 12, NULL);
	factor_gate_is("(?:联系|添加)(?:微信|qq)", 2, "(?:联系微信|联系qq|添加微信|添加qq)", 12, NULL);
	/* the same set twice is one */
	factor_gate_is("联系.{0,9}联系", 2, "(?:联系)", 6, NULL);
	/* branches each have their own places: no gate for their union */
	factor_gate_is("联系\\s*微信|添加\\s*好友", 2, "(?:联系|添加)", 6, NULL);
	/* inside a group, a gate still counts: it is in every match of the group */
	factor_gate_is("x(?:联系\\s*微信)+", 2, "(?:联系)", 7, "(?:微信)");
	/* an optional part says nothing */
	factor_gate_is("联系(?:\\s*微信)?", 2, "(?:联系)", 6, NULL);
	factor_gate_is("联系(?:\\s*微信\\s*号码)?", 2, "(?:联系)", 6, NULL);
	factor_gate_is("a.{0,3}b", 2, NULL, 0, NULL);
}

/* Patterns whose factors the parse must get right; random texts compared with PCRE2 alone. */
static const char factored[] =
    "pack: p\n"
    "rules:\n"
    "  - {id: f1, title: T, category: c, severity: low,\n"
    "     patterns: {a: '(?:ab|cd)x{2}', b: 'k.{0,3}ss', c: '(?i:free)\\s*money'},\n"
    "     condition: any of them}\n"
    "  - {id: f2, title: T, category: c, severity: low,\n"
    "     patterns: {a: 'fr(?=ee)', b: '\\Qa.b\\E', c: '\\x{5237}单', d: '(?:刷单|返利)?警惕'},\n"
    "     condition: any of them}\n"
    "  - {id: f3, title: T, category: c, severity: low,\n"
    "     patterns: {a: '(?:free|)money', b: 'a(?#c)b.?x', c: '(?<n>fo|ab)+x', d: '[^a]{2}返利'},\n"
    "     condition: '#a >= 2 or b or c or d'}\n"
    "  - {id: f4, title: T, category: c, severity: low,\n"
    "     patterns: {a: 'free.*?money', b: '\\w+返利', c: 'x(?:ab|cd)*+y', d: 'sk{1,3}x'},\n"
    "     condition: 'near(a, b, 4) or c or d'}\n"
    "  - {id: f5, title: T, category: c, severity: low,\n"
    "     patterns: {a: '\\$\\s*\\d{1,3}(?:,\\d{3})+|\\b\\d{3,}\\s*(?:usdt)\\b'}}\n"
    "  - {id: f6, title: T, category: c, severity: low,\n"
    "     patterns: {a: '单|返利|加\\s*(?:qq|微信)', b: '刷.{0,3}(?:单|\\d+)'},\n"
    "     condition: 'a and #b >= 2'}\n"
    /* patterns with gates: a second set elsewhere in every match */
    "  - {id: f7, title: T, category: c, severity: low,\n"
    "     patterns: {a: '(?:联系|添加)\\s*(?:微信|qq)\\s*[a-z0-9_]{2,5}', b: 'ab.{0,3}cd',\n"
    "                c: 'x(?:ab\\s*cd)+y', d: 'free\\s*money|返利\\s*警惕', e: '联系(?:\\s*qq)?'},\n"
    "     condition: 'a or #b >= 2 or c or d or e'}\n";

static void test_agree_factors(void **state)
{
	(void)state;
	struct rules_set *set = rules_util_load_ok(factored);
	struct rules_matcher *m;
	assert_int_equal(rules_matcher_new(set, &m), 0);
	static const char *const texts[] = {
		"abxx cdxx", "\u212a ss", "k\u017f\u017f", "FREE money", "free", "a.b", "刷单",
		"警惕", "moneymoney", "a b x", "foabx", "中返利", "free x money a返利",
		"xababy", "xy", "s\u212ax", "skkkx", "KSS", "$ 1,000", "1000 usdt", "$1000",
		"刷单 刷 12 单", "加 qq 刷单刷123", "刷 x 刷单",
		"联系 微信 abc12", "联系 abc12", "qq 联系", "添加qq_x1", "微信 添加 qq ab", "ab--cd",
		"abxcd abcd", "cd ab", "xab cdy", "xabcdab cdy", "xab y cd",
		"返利 警惕", "free money", "联系 x", "联系qq",
	};
	size_t hits = 0;
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
		hits += agree(m, "body", texts[i], strlen(texts[i]));
	assert_true(hits >= 10);
	uint64_t seed = 99;
	char text[512];
	for (int i = 0; i < 5000; i++) {
		size_t n = random_text(&seed, text, sizeof(text));
		hits += agree(m, "body", text, n);
	}
	assert_true(hits > 500);
	rules_matcher_free(m);
	rules_set_free(set);
}

/* A text is read within its length: each one here sits in a heap buffer of exactly that size,
 * without a NUL after it, so under ASan a read past the end fails the test (the UTF-8 check read
 * one byte past a text ending in ASCII, found by fuzz_match). */
static void test_reads_within_len(void **state)
{
	(void)state;
	struct rules_set *set = rules_util_load_ok(tricky);
	struct rules_matcher *m;
	assert_int_equal(rules_matcher_new(set, &m), 0);
	static const char *const texts[] = {
		"x", "free money\n", "加微信 123元", "\xe9\xaa\x97", "刷单返利 警惕 a", "\xff",
	};
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		size_t len = strlen(texts[i]);
		char *exact = malloc(len);
		assert_non_null(exact);
		memcpy(exact, texts[i], len);
		agree(m, "body", exact, len);
		agree(m, "title", exact, len);
		free(exact);
	}
	rules_matcher_free(m);
	rules_set_free(set);
}

/* Invalid UTF-8 is matched by PCRE2 alone, with the same results. */
static void test_invalid_utf8(void **state)
{
	(void)state;
	struct rules_set *set = rules_util_load_ok(tricky);
	struct rules__scan *s;
	assert_int_equal(rules__scan_new(set, &s), 0);
	const uint32_t *c;
	size_t n;
	static const char *const bad[] = {
		"free\xff money", "\xc0\xaf free money", "\xed\xa0\x80 free money",
		"free money \xe9", "\xf4\x90\x80\x80 free money",
	};
	/* the raw view's pass cannot run: every rule reading the raw view is a candidate */
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct rules__texts t = { { "", bad[i] }, { 0, strlen(bad[i]) } };
		assert_int_equal(rules__scan_run(s, 1, &t, &c, &n), 0);
		assert_int_equal(n, 4);
		assert_int_equal(c[2], 12);
		assert_int_equal(c[3], 13);
	}
	const char *good = "free money \xf0\x9f\x98\x80 \xe9\xaa\x97";
	struct rules__texts t = { { "", good }, { 0, strlen(good) } };
	assert_int_equal(rules__scan_run(s, 1, &t, &c, &n), 0);
	assert_int_equal(n, 3); /* the two always-run rules, and raw-words */
	assert_int_equal(c[2], 12);
	rules__scan_free(s);
	struct rules_matcher *m;
	assert_int_equal(rules_matcher_new(set, &m), 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		agree(m, "body", bad[i], strlen(bad[i]));
	rules_matcher_free(m);
	rules_set_free(set);
}

/* The shipped packs: every example, and random mixtures of their examples, agree. */
static void test_agree_shipped_packs(void **state)
{
	(void)state;
	const char *root = getenv("PATROL_SOURCE_ROOT");
	char dir[4096];
	snprintf(dir, sizeof(dir), "%s/rules/packs", root ? root : ".");
	const char *paths[] = { dir };
	struct rules_set *set = NULL;
	struct buf errors;
	buf_init(&errors, 1 << 20);
	if (!root || rules_set_load(paths, 1, &set, &errors) != 0) {
		print_message("# cannot load %s: %s\n", dir, buf_str(&errors));
		buf_done(&errors);
		fail();
	}
	buf_done(&errors);
	struct rules_matcher *m;
	assert_int_equal(rules_matcher_new(set, &m), 0);
	const char *ex[1024];
	size_t nex = 0, hits = 0;
	for (size_t i = 0; i < set->nrules; i++) {
		const struct rules__rule *r = &set->rules[i];
		for (size_t k = 0; k < r->nmatch && nex < 1024; k++)
			ex[nex++] = r->match[k];
		for (size_t k = 0; k < r->nnomatch && nex < 1024; k++)
			ex[nex++] = r->nomatch[k];
	}
	assert_true(nex > 0);
	uint64_t seed = 7;
	char text[8192];
	for (int i = 0; i < 3000; i++) {
		size_t n = 0, parts = 1 + (size_t)(i % 4);
		for (size_t p = 0; p < parts; p++) {
			seed = seed * 6364136223846793005ull + 1442695040888963407ull;
			const char *e = ex[(seed >> 33) % nex];
			size_t len = strlen(e);
			if (n + len + 2 >= sizeof(text))
				break;
			memcpy(text + n, e, len);
			n += len;
			text[n++] = (seed >> 20) & 1 ? ' ' : '\n';
		}
		text[n] = '\0';
		hits += agree(m, i % 3 ? "body" : "title", text, n);
	}
	assert_true(hits > 100);
	rules_matcher_free(m);
	rules_set_free(set);
}

/* A prefilter-*.hs file of dir, into path; fails the test unless there are exactly want (tricky
 * has patterns in both views, and each view has its own database). */
static void cache_file(const char *dir, char *path, size_t n, int want)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int found = 0;
	assert_non_null(d);
	while ((e = readdir(d)))
		if (strncmp(e->d_name, "prefilter-", 10) == 0 && ++found)
			snprintf(path, n, "%s/%s", dir, e->d_name);
	closedir(d);
	assert_int_equal(found, want);
}

static struct rules_set *load_cached(const char *pack, const char *cache)
{
	const char *paths[] = { pack };
	struct rules_set *set = NULL;
	struct buf errors;
	buf_init(&errors, 1 << 16);
	assert_int_equal(rules_set_load_cached(paths, 1, cache, &set, &errors), 0);
	buf_done(&errors);
	return set;
}

static void random_agree(const struct rules_set *set)
{
	struct rules_matcher *m;
	assert_int_equal(rules_matcher_new(set, &m), 0);
	uint64_t seed = 99;
	char text[512];
	size_t hits = 0;
	for (int i = 0; i < 3000; i++) {
		size_t n = random_text(&seed, text, sizeof(text));
		hits += agree(m, "body", text, n);
	}
	assert_true(hits > 100);
	rules_matcher_free(m);
}

/* Conditions the matcher settles from the prefilter's reports before PCRE2 runs (match.c,
 * settled): not, or, of, counts that hold with no match, near(), patterns in other fields. */
static const char conditions[] =
    "pack: p\n"
    "rules:\n"
    "  - {id: of, title: T, category: c, severity: low,\n"
    "     patterns: {a: free, b: money, c: 刷单}, condition: '2 of (a, b, c)'}\n"
    "  - {id: count, title: T, category: c, severity: low,\n"
    "     patterns: {a: ab, b: cd}, condition: '#a >= 2 and b'}\n"
    "  - {id: count-zero, title: T, category: c, severity: low,\n"
    "     patterns: {a: ab, b: 返利}, condition: '#a < 1 and b'}\n"
    "  - {id: near, title: T, category: c, severity: low,\n"
    "     patterns: {a: 刷单, b: 返利}, condition: 'near(a, b, 2)'}\n"
    "  - {id: not-or, title: T, category: c, severity: low,\n"
    "     patterns: {a: free, b: 警惕, c: foo, d: bar},\n"
    "     condition: '(a or c) and not (b or d)'}\n"
    "  - {id: nested, title: T, category: c, severity: low,\n"
    "     patterns: {a: money, b: 微信, c: start, d: end},\n"
    "     condition: '(a and not b) or (c and not (not d))'}\n"
    "  - {id: scoped, title: T, category: c, severity: low, fields: [title, body],\n"
    "     patterns: {a: 刷单, w: 警惕}, condition: a and not w in title}\n";

static size_t count_rules(const struct rules_hit *hit, void *ud)
{
	((size_t *)ud)[hit->rule]++;
	return 0;
}

static int count_hit(const struct rules_hit *hit, void *ud)
{
	return (int)count_rules(hit, ud);
}

/* Every rule of conditions holds on some random texts and not on others, and the prefilter
 * agrees with PCRE2 alone on each text. */
static void test_agree_conditions(void **state)
{
	(void)state;
	struct rules_set *set = rules_util_load_ok(conditions);
	struct rules_matcher *m;
	assert_int_equal(rules_matcher_new(set, &m), 0);
	size_t nrules = rules_set_count(set), per_rule[8] = { 0 };
	assert_int_equal(nrules, 7);
	uint64_t seed = 7;
	char text[512];
	for (int i = 0; i < 20000; i++) {
		size_t n = random_text(&seed, text, sizeof(text));
		agree(m, i % 2 ? "title" : "body", text, n);
		assert_int_equal(rules_match(m, "body", text, n, count_hit, per_rule), 0);
	}
	for (size_t r = 0; r < nrules; r++) {
		if (per_rule[r] == 0 || per_rule[r] >= 20000)
			print_error("rule %zu held on %zu of 20000 texts\n", r, per_rule[r]);
		assert_true(per_rule[r] > 0 && per_rule[r] < 20000);
	}
	rules_matcher_free(m);
	rules_set_free(set);
}

/* A compiled database is kept in the cache and read back; a damaged one is compiled again. */
static void test_cache(void **state)
{
	(void)state;
	char dir[] = "/tmp/patrol-prefilter-XXXXXX", cache[64], pack[64], path[512];
	assert_non_null(mkdtemp(dir));
	snprintf(cache, sizeof(cache), "%s/cache", dir);
	snprintf(pack, sizeof(pack), "%s/tricky.yaml", dir);
	FILE *f = fopen(pack, "w");
	assert_non_null(f);
	fputs(tricky, f);
	fclose(f);

	struct rules_set *set = load_cached(pack, cache);
	assert_false(set->hs_cached);
	rules_set_free(set);
	cache_file(cache, path, sizeof(path), 2);

	set = load_cached(pack, cache);
	assert_true(set->hs_cached);
	random_agree(set);
	rules_set_free(set);

	f = fopen(path, "r+b"); /* damage the serialized database, past the header */
	assert_non_null(f);
	fseek(f, 200, SEEK_SET);
	fputs("garbage garbage garbage", f);
	fclose(f);
	set = load_cached(pack, cache);
	assert_false(set->hs_cached);
	random_agree(set);
	rules_set_free(set);
	set = load_cached(pack, cache); /* and it was written again */
	assert_true(set->hs_cached);
	rules_set_free(set);

	unlink(path);
	cache_file(cache, path, sizeof(path), 1); /* the other one */
	unlink(path);
	rmdir(cache);
	unlink(pack);
	rmdir(dir);
}

/* Without OpenCC's data the normalized view cannot be built: the load fails and says why; a set
 * whose patterns are all raw does not need it. */
static void test_opencc_missing(void **state)
{
	(void)state;
	static const char norm[] = "pack: p\nrules:\n"
				   "  - {id: r, title: T, category: c, severity: low, patterns: {x: a}}\n";
	static const char raw[] = "pack: p\nrules:\n"
				  "  - {id: r, title: T, category: c, severity: low,\n"
				  "     patterns: {x: {regex: a, view: raw}}}\n";
	struct rules_set *set = NULL;
	struct buf errors;
	buf_init(&errors, 1 << 16);
	assert_int_equal(rules__load_mem_config("t.yaml", norm, strlen(norm),
						"/nonexistent/t2s.json", &set, &errors),
			 ERR_NOT_FOUND);
	assert_null(set);
	assert_non_null(strstr(buf_str(&errors), "cannot build the normalized view"));
	assert_non_null(strstr(buf_str(&errors), "/nonexistent/t2s.json"));
	buf_reset(&errors);
	assert_int_equal(rules__load_mem_config("t.yaml", raw, strlen(raw), "/nonexistent/t2s.json",
						&set, &errors),
			 0);
	assert_null(set->nz);
	rules_set_free(set);
	buf_done(&errors);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_agree_crafted),	    cmocka_unit_test(test_agree_random),
		cmocka_unit_test(test_window_start),	    cmocka_unit_test(test_always_run),
		cmocka_unit_test(test_agree_windows),	    cmocka_unit_test(test_windows),
		cmocka_unit_test(test_candidates),	    cmocka_unit_test(test_factors),
		cmocka_unit_test(test_factor_gates),
		cmocka_unit_test(test_agree_factors),	    cmocka_unit_test(test_invalid_utf8),
		cmocka_unit_test(test_reads_within_len),
		cmocka_unit_test(test_agree_shipped_packs), cmocka_unit_test(test_cache),
		cmocka_unit_test(test_opencc_missing),	    cmocka_unit_test(test_agree_conditions),
	};
	return cmocka_run_group_tests(tests, rules_util_group_setup, rules_util_group_teardown);
}
