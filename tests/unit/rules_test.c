/* SPDX-License-Identifier: MIT */
/* Unit tests for rules/: pack loading and every kind of load error (exact text and position),
 * the condition language, {list} expansion, spans, self-tests, match limits, threads, snippets,
 * and the shipped packs' own examples. Runs alone; PATROL_SOURCE_ROOT locates rules/packs.
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
#include "rules/rules.h"

#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- helpers ---- */

static void expect_errors(const char *yaml, const char *expected)
{
	struct buf errors;
	struct rules_set *set;
	assert_int_equal(rules_util_load(yaml, &set, &errors), ERR_RULES);
	assert_null(set);
	assert_string_equal(buf_str(&errors), expected);
	buf_done(&errors);
}

/* What rules_match reported: hits as "rule:start-end:span,span" lines. */
struct seen {
	struct buf out;
	size_t hits;
	int stop_after; /* return 99 after this many hits; 0 = never */
};

static int record_hit(const struct rules_hit *hit, void *ud)
{
	struct seen *s = ud;
	buf_addf(&s->out, "%zu:%s:%zu-%zu:", hit->rule, hit->field, hit->start, hit->end);
	for (size_t i = 0; i < hit->nspans; i++)
		buf_addf(&s->out, "%s%s@%zu-%zu", i ? "," : "", hit->spans[i].pattern,
			 hit->spans[i].start, hit->spans[i].end);
	buf_addc(&s->out, '\n');
	s->hits++;
	return s->stop_after && s->hits == (size_t)s->stop_after ? 99 : 0;
}

/* Matches text as field against set; returns rules_match's code, the hits in *out (caller frees).
 */
static int match_field(const struct rules_set *set, const char *field, const char *text, char **out)
{
	struct rules_matcher *m;
	struct seen s = { .stop_after = 0 };
	buf_init(&s.out, 1 << 16);
	assert_int_equal(rules_matcher_new(set, &m), 0);
	int rc = rules_match(m, field, text, strlen(text), record_hit, &s);
	rules_matcher_free(m);
	*out = buf_take(&s.out);
	return rc;
}

static void expect_hits(const struct rules_set *set, const char *text, const char *expected)
{
	char *out;
	assert_int_equal(match_field(set, "body", text, &out), 0);
	assert_string_equal(out, expected);
	free(out);
}

/* A one-rule pack around the given patterns and condition lines. */
static struct rules_set *load_rule(const char *patterns_and_condition)
{
	char yaml[4096];
	snprintf(yaml, sizeof(yaml),
		 "pack: p\n"
		 "lists:\n"
		 "  chat: [微信, v信, vx, 'a.b', 'x|y', 'v']\n"
		 "rules:\n"
		 "  - id: r\n"
		 "    title: T\n"
		 "    category: c\n"
		 "    severity: low\n"
		 "    patterns:\n"
		 "%s",
		 patterns_and_condition);
	return rules_util_load_ok(yaml);
}

static const char head[] = "pack: p\n"
			   "rules:\n"
			   "  - id: r\n"
			   "    title: T\n"
			   "    category: c\n"
			   "    severity: low\n";

/* ---- loading ---- */

static const char sample[] =
    "pack: fraud-zh\n"
    "version: \"1.0\"\n"
    "description: Sample pack\n"
    "lists:\n"
    "  chat_app: [微信, 薇信, v信, vx, qq, 扣扣, telegram]\n"
    "rules:\n"
    "  - id: fraud.zh.click-farming\n"
    "    title: Click-farming rebate recruitment\n"
    "    description: Recruits people to fake orders for a rebate.\n"
    "    category: fraud/click-farming\n"
    "    severity: high\n"
    "    fields: [title, body]\n"
    "    patterns:\n"
    "      job: '刷单|刷信誉|做单'\n"
    "      pay: '返利|佣金|日结'\n"
    "      contact: '加\\s*{chat_app}'\n"
    "      site: 'literal:www.example.com'\n"
    "      warning: '警惕|谨防|骗局|反诈'\n"
    "    condition: job and pay and (contact or site) and not warning\n"
    "    tests:\n"
    "      match: [\"在家兼职刷单，佣金日结，加薇信 abc123\", \"刷单返利 www.EXAMPLE.com\"]\n"
    "      no-match: [\"警惕刷单返利骗局，加微信的都是骗子\", \"刷单返利\"]\n"
    "    references: [\"https://example.org/case/1\"]\n"
    "  - id: fraud.zh.loan\n"
    "    title: Loan\n"
    "    category: fraud/loan\n"
    "    severity: medium\n"
    "    fields: [url]\n"
    "    patterns:\n"
    "      loan: 'daikuan'\n";

static void test_load_sample(void **state)
{
	(void)state;
	struct rules_set *set = rules_util_load_ok(sample);
	struct rules_info info;
	assert_int_equal(rules_set_count(set), 2);
	rules_set_rule(set, 0, &info);
	assert_string_equal(info.id, "fraud.zh.click-farming");
	assert_string_equal(info.pack, "fraud-zh");
	assert_string_equal(info.pack_version, "1.0");
	assert_string_equal(info.title, "Click-farming rebate recruitment");
	assert_string_equal(info.category, "fraud/click-farming");
	assert_string_equal(info.severity, "high");
	assert_int_equal(info.npatterns, 5);
	rules_set_rule(set, 1, &info);
	assert_string_equal(info.id, "fraud.zh.loan");
	assert_string_equal(info.severity, "medium");
	assert_int_equal(info.npatterns, 1);
	rules_set_free(set);
}

static void test_load_minimal_defaults(void **state)
{
	(void)state;
	char yaml[512];
	snprintf(yaml, sizeof(yaml), "%s    patterns:\n      a: 'x'\n", head);
	struct rules_set *set = rules_util_load_ok(yaml);
	struct rules_info info;
	rules_set_rule(set, 0, &info);
	assert_string_equal(info.pack_version, "");
	/* default fields are title and body */
	char *out;
	assert_int_equal(match_field(set, "title", "x", &out), 0);
	assert_string_equal(out, "0:title:0-1:a@0-1\n");
	free(out);
	assert_int_equal(match_field(set, "url", "x", &out), 0);
	assert_string_equal(out, "");
	free(out);
	rules_set_free(set);
}

/* Scalars are strings whatever they look like: YAML 1.1's yes/no/1.0 stay text. */
static void test_load_scalars_are_strings(void **state)
{
	(void)state;
	struct rules_set *set = rules_util_load_ok("pack: p\n"
					"version: 1.10\n"
					"rules:\n"
					"  - id: '1'\n"
					"    title: yes\n"
					"    category: no\n"
					"    severity: info\n"
					"    patterns:\n"
					"      on: 'off'\n");
	struct rules_info info;
	rules_set_rule(set, 0, &info);
	assert_string_equal(info.pack_version, "1.10");
	assert_string_equal(info.id, "1");
	assert_string_equal(info.title, "yes");
	assert_string_equal(info.category, "no");
	rules_set_free(set);
}

static void test_load_errors_null_buffer(void **state)
{
	(void)state;
	struct rules_set *set = NULL;
	assert_int_equal(rules_set_load_mem("x", "pack: [", 7, &set, NULL), ERR_RULES);
	assert_null(set);
	assert_int_equal(rules_set_load_mem("x", NULL, 0, &set, NULL), ERR_RULES);
}

/* ---- load errors: each kind, exact text and position ---- */

static void test_error_yaml_syntax(void **state)
{
	(void)state;
	expect_errors("pack: p\nrules: [a, b\nx: 1\n",
		      "t.yaml:3:2: invalid YAML: did not find expected ',' or ']' "
		      "(while parsing a flow sequence)\n");
	expect_errors("pack: \xff\n", "t.yaml:1:7: invalid YAML: invalid leading UTF-8 octet\n");
	expect_errors("", "t.yaml:1:1: empty file: expected a pack (a mapping with 'pack' and "
			  "'rules')\n");
	expect_errors("- a\n", "t.yaml:1:1: expected a pack (a mapping with 'pack' and 'rules')\n");
	expect_errors("pack: p\n---\npack: q\n", "t.yaml:2:1: only one YAML document is allowed\n");
}

static void test_error_keys(void **state)
{
	(void)state;
	expect_errors("pack: p\n"
		      "colour: red\n"
		      "pack: q\n"
		      "rules:\n"
		      "  - id: r\n"
		      "    title: T\n"
		      "    category: c\n"
		      "    patterns: {a: x}\n"
		      "    [k]: v\n",
		      "t.yaml:2:1: unknown key 'colour'\n"
		      "t.yaml:3:1: duplicate key 'pack'\n"
		      "t.yaml:5:5: missing required key 'severity'\n"
		      "t.yaml:9:5: mapping keys must be strings\n");
	expect_errors("rules: []\n", "t.yaml:1:1: missing required key 'pack'\n"
				     "t.yaml:1:8: 'rules' must not be empty\n");
}

static void test_error_types(void **state)
{
	(void)state;
	expect_errors("pack: [p]\n"
		      "lists: [a]\n"
		      "rules:\n"
		      "  - id: r\n"
		      "    title: {t: 1}\n"
		      "    category: c\n"
		      "    severity: low\n"
		      "    fields: body\n"
		      "    patterns: [a]\n"
		      "    tests: {match: 'x', no-match: [[y]]}\n"
		      "    references: [[u]]\n"
		      "  - plain\n",
		      "t.yaml:1:7: 'pack' must be a string\n"
		      "t.yaml:2:8: 'lists' must be a mapping\n"
		      "t.yaml:5:12: 'title' must be a string\n"
		      "t.yaml:8:13: 'fields' must be a list of strings\n"
		      "t.yaml:9:15: 'patterns' must be a mapping\n"
		      "t.yaml:10:20: 'match' must be a list of strings\n"
		      "t.yaml:10:36: 'no-match' must be a list of strings\n"
		      "t.yaml:11:18: 'references' must be a list of strings\n"
		      "t.yaml:12:5: a rule must be a mapping\n");
	expect_errors("pack: p\nrules: {a: b}\n", "t.yaml:2:8: 'rules' must be a list of rules\n");
}

static void test_error_anchors_aliases_tags(void **state)
{
	(void)state;
	expect_errors("pack: p\n"
		      "x: &a [1]\n"
		      "rules:\n"
		      "  - id: r\n"
		      "    title: !!str T\n"
		      "    category: *a\n"
		      "    severity: low\n"
		      "    patterns: {a: x}\n",
		      "t.yaml:2:1: unknown key 'x'\n"
		      "t.yaml:2:4: anchors are not allowed\n"
		      "t.yaml:5:12: tags are not allowed\n"
		      "t.yaml:6:15: aliases are not allowed\n");
}

static void test_error_names_and_values(void **state)
{
	(void)state;
	expect_errors(
	    "pack: Fraud\n"
	    "lists:\n"
	    "  Chat: [a]\n"
	    "  empty: []\n"
	    "  holes: [a, '']\n"
	    "rules:\n"
	    "  - id: -bad\n"
	    "    title: ''\n"
	    "    category: c\n"
	    "    severity: urgent\n"
	    "    fields: [body, body, html]\n"
	    "    patterns:\n"
	    "      9a: 'x'\n"
	    "      not: 'y'\n"
	    "      ok: ''\n",
	    "t.yaml:1:7: invalid pack name 'Fraud' (allowed: [a-z0-9][a-z0-9._-]*, at most "
	    "128 bytes)\n"
	    "t.yaml:3:3: invalid list name 'Chat' (allowed: [a-z_][a-z0-9_]*, at most 128 "
	    "bytes)\n"
	    "t.yaml:4:10: list 'empty' must not be empty\n"
	    "t.yaml:5:14: list 'holes' has an empty item\n"
	    "t.yaml:7:9: invalid rule id '-bad' (allowed: [a-z0-9][a-z0-9._-]*, at most 128 "
	    "bytes)\n"
	    "t.yaml:8:12: 'title' must not be empty\n"
	    "t.yaml:10:15: invalid severity 'urgent' (allowed: info, low, medium, high, "
	    "critical)\n"
	    "t.yaml:11:20: duplicate field 'body'\n"
	    "t.yaml:11:26: unknown field 'html' (allowed: title, body, post, author, url, "
	    "link_text)\n"
	    "t.yaml:13:7: invalid pattern name '9a' (allowed: [a-z_][a-z0-9_]*, at most 128 "
	    "bytes)\n"
	    "t.yaml:14:7: pattern name 'not' is a reserved word\n"
	    "t.yaml:15:11: 'ok' must not be empty\n");
}

static void test_error_regex(void **state)
{
	(void)state;
	char yaml[1024];
	snprintf(yaml, sizeof(yaml),
		 "pack: p\n"
		 "lists: {chat: [微信, vx]}\n"
		 "%s"
		 "    patterns:\n"
		 "      a: '(abc'\n"
		 "      b: '{chat}[z'\n"
		 "      c: 'x{chatz}'\n"
		 "      d: 'a*'\n"
		 "      e: 'literal:'\n"
		 "      f: 'x\\C'\n",
		 head + strlen("pack: p\n"));
	expect_errors(yaml,
		      "t.yaml:9:10: pattern 'a': regex error at offset 4: missing closing "
		      "parenthesis\n"
		      "t.yaml:10:10: pattern 'b': regex error at offset 8: missing terminating ] "
		      "for character class\n"
		      "t.yaml:11:10: pattern 'c': undefined list {chatz} at offset 1\n"
		      "t.yaml:12:10: pattern 'd': matches the empty string, so it would match "
		      "any text\n"
		      "t.yaml:13:10: pattern 'e': empty literal\n"
		      "t.yaml:14:10: pattern 'f': regex error at offset 3: using \\C is disabled "
		      "by the application\n");
}

static void test_error_condition_syntax(void **state)
{
	(void)state;
	static const struct {
		const char *cond, *error;
	} cases[] = {
		{ "a and", "t.yaml:10:21: condition: expected a pattern name, found end of "
			   "condition\n" },
		{ "a and (b or a", "t.yaml:10:29: condition: expected ')', found end of "
				   "condition\n" },
		{ "a b", "t.yaml:10:18: condition: expected 'and', 'or' or end of condition, "
			 "found 'b'\n" },
		{ "a and or b", "t.yaml:10:22: condition: expected a pattern name, found 'or'\n" },
		{ "a && b", "t.yaml:10:18: condition: unexpected character '&'\n" },
		{ "a and ç", "t.yaml:10:22: condition: unexpected character 'ç'\n" },
		{ "all of a", "t.yaml:10:23: condition: expected 'them' or '(' after 'of', found "
			      "'a'\n" },
		{ "any them", "t.yaml:10:20: condition: expected 'of', found 'them'\n" },
		{ "far(a, b, 40)", "t.yaml:10:16: condition: unknown function 'far'\n" },
		{ "any of (a b)", "t.yaml:10:26: condition: expected ',' or ')', found 'b'\n" },
		{ "3 of (a, b)",
		  "t.yaml:10:16: condition: more patterns asked for than the set has\n" },
		{ "65 of them", "t.yaml:10:16: condition: a count over 64\n" },
		{ "'#a > x'", "t.yaml:10:22: condition: expected a count, found 'x'\n" },
		{ "'#a = 2'", "t.yaml:10:20: condition: unexpected character '='\n" },
		{ "'#a b'", "t.yaml:10:20: condition: expected a comparison (<, <=, ==, !=, >=, >), "
			    "found 'b'\n" },
		{ "'#a >= 1001'", "t.yaml:10:23: condition: a count over 1000\n" },
		{ "'#zz > 1 and b'", "t.yaml:10:18: condition: unknown pattern 'zz'\n" },
		{ "near(a, b)", "t.yaml:10:25: condition: expected ',', found ')'\n" },
		{ "near(a, b, 100001)", "t.yaml:10:27: condition: a distance over 100000\n" },
		{ "a in body2 and b", "t.yaml:10:21: condition: expected a field (title, body, post, "
				      "author, url, link_text) after 'in', found 'body2'\n" },
		{ "a in", "t.yaml:10:20: condition: expected a field (title, body, post, author, "
			  "url, link_text) after 'in', found end of condition\n" },
		{ "a and zz and b and yy", "t.yaml:10:22: condition: unknown pattern 'zz'\n"
					   "t.yaml:10:35: condition: unknown pattern 'yy'\n" },
		{ "",
		  "t.yaml:10:15: condition: expected a pattern name, found end of condition\n" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char yaml[1024];
		snprintf(yaml, sizeof(yaml),
			 "%s    patterns:\n      a: x\n      b: y\n    condition: %s\n", head,
			 cases[i].cond);
		expect_errors(yaml, cases[i].error);
	}
}

/* Where the condition cannot be mapped column by column, the error names the character. */
static void test_error_condition_positions(void **state)
{
	(void)state;
	char yaml[1024];
	snprintf(yaml, sizeof(yaml), "%s    patterns: {a: x, b: y}\n    condition: 'a and (b'\n",
		 head);
	expect_errors(yaml, "t.yaml:8:25: condition: expected ')', found end of condition\n");
	snprintf(yaml, sizeof(yaml),
		 "%s    patterns: {a: x, b: y}\n    condition: >\n      a and\n      (b\n", head);
	expect_errors(yaml, "t.yaml:8:16: condition: expected ')', found end of condition (at "
			    "character 10 of the condition)\n");
	snprintf(yaml, sizeof(yaml),
		 "%s    patterns: {a: x, b: y}\n    condition: \"a\\tand b)\"\n", head);
	expect_errors(yaml, "t.yaml:8:16: condition: expected 'and', 'or' or end of condition, "
			    "found ')' (at character 8 of the condition)\n");
}

static void test_error_condition_semantics(void **state)
{
	(void)state;
	char yaml[1024];
	snprintf(yaml, sizeof(yaml),
		 "%s    patterns:\n      a: x\n      b: y\n      c: z\n    condition: a or not b\n",
		 head);
	expect_errors(yaml, "t.yaml:10:7: pattern 'c' is not used by the condition\n"
			    "t.yaml:11:16: condition holds when no pattern matches\n");
	snprintf(yaml, sizeof(yaml), "%s    patterns: {a: x}\n    condition: not any of them\n",
		 head);
	expect_errors(yaml, "t.yaml:8:16: condition holds when no pattern matches\n");
	snprintf(yaml, sizeof(yaml),
		 "%s    patterns: {a: x}\n    condition: ((((((((((((((((((((("
		 "(((((((((((a)))))))))))))))))))))))))))))))\n",
		 head);
	expect_errors(yaml, "t.yaml:8:48: condition: nested deeper than 32 levels\n");
	/* counts and "N of" that hold with nothing, and names of other fields alone */
	/* (a condition that starts with '#' is quoted: YAML takes " #" for a comment) */
	static const char *const holds[] = { "'#a < 2 and not b'", "0 of (a, b)", "'#a != 1 and not b'",
					     "'a or #b <= 0'", "not (#a >= 1) and not b" };
	for (size_t i = 0; i < sizeof(holds) / sizeof(holds[0]); i++) {
		snprintf(yaml, sizeof(yaml), "%s    patterns: {a: x, b: y}\n    condition: %s\n",
			 head, holds[i]);
		expect_errors(yaml, "t.yaml:8:16: condition holds when no pattern matches\n");
	}
	snprintf(yaml, sizeof(yaml), "%s    patterns: {a: x, b: y}\n    condition: a in title or "
		 "b\n", head);
	expect_errors(yaml, "t.yaml:8:16: condition holds when no pattern matches in the field "
			    "matched, only patterns of other fields ('in')\n");
	snprintf(yaml, sizeof(yaml), "%s    patterns: {a: x, b: y}\n    condition: b and not (a "
		 "in title) or a in body\n", head);
	expect_errors(yaml, "t.yaml:8:16: condition holds when no pattern matches in the field "
			    "matched, only patterns of other fields ('in')\n");
	snprintf(yaml, sizeof(yaml), "%s    patterns: {a: x, b: {regex: y, view: raw}}\n"
		 "    condition: near(a, b, 4)\n", head);
	expect_errors(yaml, "t.yaml:8:24: condition: near() needs two patterns of the same view\n");
	snprintf(yaml, sizeof(yaml), "%s    patterns: {in: x}\n", head);
	expect_errors(yaml, "t.yaml:7:16: pattern name 'in' is a reserved word\n");
}

static void test_error_duplicate_ids(void **state)
{
	(void)state;
	expect_errors("pack: p\n"
		      "rules:\n"
		      "  - {id: r, title: T, category: c, severity: low, patterns: {a: x}}\n"
		      "  - {id: s, title: T, category: c, severity: low, patterns: {a: x}}\n"
		      "  - {id: r, title: T, category: c, severity: low, patterns: {a: x, a: y}}\n",
		      "t.yaml:5:10: duplicate rule id 'r' (first defined at t.yaml:3:10)\n"
		      "t.yaml:5:68: duplicate key 'a'\n");
}

static void test_error_caps(void **state)
{
	(void)state;
	struct buf yaml;
	buf_init(&yaml, 8 << 20);
	/* nesting */
	buf_addstr(&yaml, "pack: p\nrules: ");
	for (int i = 0; i < 40; i++)
		buf_addc(&yaml, '[');
	expect_errors(buf_str(&yaml), "t.yaml:2:23: nested deeper than 16 levels\n");
	/* patterns per rule */
	buf_reset(&yaml);
	buf_addf(&yaml, "%s    patterns:\n", head);
	for (int i = 0; i < 65; i++)
		buf_addf(&yaml, "      p%d: x\n", i);
	expect_errors(buf_str(&yaml), "t.yaml:8:7: more than 64 patterns\n");
	/* pattern length */
	buf_reset(&yaml);
	buf_addf(&yaml, "%s    patterns:\n      a: ", head);
	for (int i = 0; i < 4097; i++)
		buf_addc(&yaml, 'x');
	buf_addc(&yaml, '\n');
	expect_errors(buf_str(&yaml), "t.yaml:8:10: pattern 'a': longer than 4096 bytes\n");
	/* file size */
	buf_reset(&yaml);
	buf_addstr(&yaml, "pack: p\ndescription: ");
	for (int i = 0; i < (4 << 20); i++)
		buf_addc(&yaml, 'x');
	expect_errors(buf_str(&yaml), "t.yaml: larger than 4194304 bytes\n");
	buf_done(&yaml);
}

static void test_error_nul_in_string(void **state)
{
	(void)state;
	char yaml[512];
	snprintf(yaml, sizeof(yaml), "%s    patterns: {a: \"x\\0y\"}\n", head);
	expect_errors(yaml, "t.yaml:7:19: NUL character in a string\n");
}

/* Every error of a file is reported in one go, in position order. */
static void test_error_many_at_once(void **state)
{
	(void)state;
	expect_errors("pack: p\n"
		      "rules:\n"
		      "  - id: a\n"
		      "    title: T\n"
		      "    category: c\n"
		      "    severity: nope\n"
		      "    patterns: {x: '(', y: z}\n"
		      "    condition: x and\n"
		      "  - id: a\n"
		      "    title: T\n"
		      "    severity: low\n"
		      "    patterns: {x: q, y: '{missing}'}\n"
		      "    condition: x or y or not w\n",
		      "t.yaml:6:15: invalid severity 'nope' (allowed: info, low, medium, high, "
		      "critical)\n"
		      "t.yaml:7:19: pattern 'x': regex error at offset 1: missing closing "
		      "parenthesis\n"
		      "t.yaml:8:21: condition: expected a pattern name, found end of condition\n"
		      "t.yaml:9:5: missing required key 'category'\n"
		      "t.yaml:9:9: duplicate rule id 'a' (first defined at t.yaml:3:9)\n"
		      "t.yaml:12:25: pattern 'y': undefined list {missing} at offset 0\n"
		      "t.yaml:13:30: condition: unknown pattern 'w'\n");
}

/* ---- loading files and directories ---- */

static void write_file(const char *dir, const char *name, const char *text)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void remove_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	while (d && (e = readdir(d))) {
		char path[512];
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		unlink(path);
	}
	if (d)
		closedir(d);
	rmdir(dir);
}

static void test_load_directory(void **state)
{
	(void)state;
	char dir[] = "/tmp/rules_test.XXXXXX";
	assert_non_null(mkdtemp(dir));
	write_file(dir, "b.yml",
		   "pack: b\nrules:\n  - {id: b.1, title: T, category: c, "
		   "severity: low, patterns: {a: x}}\n");
	write_file(dir, "a.yaml",
		   "pack: a\nrules:\n  - {id: a.1, title: T, category: c, "
		   "severity: low, patterns: {a: x}}\n");
	write_file(dir, "notes.txt", "not a pack");
	write_file(dir, ".hidden.yaml", "not: a pack");
	const char *paths[] = { dir };
	struct rules_set *set = NULL;
	struct buf errors;
	buf_init(&errors, 1 << 16);
	int rc = rules_set_load(paths, 1, &set, &errors);
	if (rc != 0)
		print_error("%s", buf_str(&errors));
	assert_int_equal(rc, 0);
	assert_int_equal(rules_set_count(set), 2);
	struct rules_info info;
	rules_set_rule(set, 0, &info);
	assert_string_equal(info.id, "a.1"); /* name order: a.yaml before b.yml */
	rules_set_rule(set, 1, &info);
	assert_string_equal(info.id, "b.1");
	rules_set_free(set);

	/* the same ids and pack again, from a second path: errors name both places */
	char again[600];
	snprintf(again, sizeof(again), "%s/again.yml", dir);
	write_file(dir, "again.yml",
		   "pack: a\nrules:\n  - {id: b.1, title: T, category: c, "
		   "severity: low, patterns: {a: x}}\n");
	const char *two[] = { dir, "/nonexistent/pack.yaml" };
	buf_reset(&errors);
	set = NULL;
	assert_int_equal(rules_set_load(two, 2, &set, &errors), ERR_RULES);
	assert_null(set); /* untouched on failure */
	char want[2048];
	snprintf(want, sizeof(want),
		 "%s/again.yml:1:7: duplicate pack 'a' (first defined at %s/a.yaml:1:7)\n"
		 "%s/b.yml:3:10: duplicate rule id 'b.1' (first defined at %s:3:10)\n"
		 "/nonexistent/pack.yaml: cannot read: No such file or directory\n",
		 dir, dir, dir, again);
	assert_string_equal(buf_str(&errors), want);
	buf_done(&errors);
	remove_dir(dir);
}

/* Packs held in memory load as one set: duplicates are found across them. */
static void test_load_sources(void **state)
{
	(void)state;
	static const char a[] =
	    "pack: a\nrules:\n  - {id: x, title: T, category: c, severity: low, "
	    "patterns: {p: one}}\n";
	static const char b[] =
	    "pack: b\nrules:\n  - {id: y, title: T, category: c, severity: low, "
	    "patterns: {p: two}}\n";
	struct rules_source src[] = {
		{ "packs/a.yaml", a, sizeof(a) - 1 },
		{ "packs/b.yaml", b, sizeof(b) - 1 },
		{ "packs/c.yaml", a, sizeof(a) - 1 },
	};
	struct rules_set *set = NULL;
	struct buf errors;
	buf_init(&errors, 1 << 16);
	assert_int_equal(rules_set_load_sources(src, 2, &set, &errors), 0);
	assert_int_equal(rules_set_count(set), 2);
	struct rules_info info;
	rules_set_rule(set, 1, &info);
	assert_string_equal(info.pack, "b");
	rules_set_free(set);
	set = NULL;
	assert_int_equal(rules_set_load_sources(src, 3, &set, &errors), ERR_RULES);
	assert_null(set);
	assert_string_equal(
	    buf_str(&errors),
	    "packs/c.yaml:1:7: duplicate pack 'a' (first defined at packs/a.yaml:1:7)\n"
	    "packs/c.yaml:3:10: duplicate rule id 'x' (first defined at "
	    "packs/a.yaml:3:10)\n");
	buf_done(&errors);
}

/* ---- the condition language ---- */

static void test_condition_precedence(void **state)
{
	(void)state;
	/* a or b and c  ==  a or (b and c) */
	struct rules_set *set = load_rule("      a: aaa\n      b: bbb\n      c: ccc\n"
					  "    condition: a or b and c\n");
	expect_hits(set, "aaa", "0:body:0-3:a@0-3\n");
	expect_hits(set, "bbb", "");
	expect_hits(set, "ccc bbb", "0:body:0-3:b@4-7,c@0-3\n");
	rules_set_free(set);
	/* not binds tighter than and: not a and b  ==  (not a) and b */
	set = load_rule("      a: aaa\n      b: bbb\n    condition: not a and b\n");
	expect_hits(set, "bbb", "0:body:0-3:b@0-3\n");
	expect_hits(set, "aaa bbb", "");
	rules_set_free(set);
	/* parentheses override */
	set = load_rule("      a: aaa\n      b: bbb\n      c: ccc\n"
			"    condition: (a or b) and c\n");
	expect_hits(set, "aaa", "");
	expect_hits(set, "bbb ccc", "0:body:0-3:b@0-3,c@4-7\n");
	rules_set_free(set);
	/* not not */
	set = load_rule("      a: aaa\n    condition: not not a\n");
	expect_hits(set, "aaa", "0:body:0-3:a@0-3\n");
	rules_set_free(set);
}

static void test_condition_of_them(void **state)
{
	(void)state;
	struct rules_set *set =
	    load_rule("      a: aaa\n      b: bbb\n    condition: all of them\n");
	expect_hits(set, "aaa", "");
	expect_hits(set, "bbb aaa", "0:body:0-3:a@4-7,b@0-3\n");
	rules_set_free(set);
	set = load_rule("      a: aaa\n      b: bbb\n    condition: any of them\n");
	expect_hits(set, "xbbb", "0:body:1-4:b@1-4\n");
	expect_hits(set, "zzz", "");
	rules_set_free(set);
	/* a pattern both under a not and outside one is positive */
	set = load_rule(
	    "      a: aaa\n      b: bbb\n    condition: a and not (b and not any of them)\n");
	expect_hits(set, "aaa bbb", "0:body:0-3:a@0-3,b@4-7\n");
	rules_set_free(set);
}

/* The default condition is "all patterns"; negative patterns are not spans. */
static void test_condition_default_and_spans(void **state)
{
	(void)state;
	struct rules_set *set = load_rule("      a: aaa\n      b: bbb\n");
	expect_hits(set, "aaa", "");
	expect_hits(set, "bbb-aaa", "0:body:0-3:a@4-7,b@0-3\n");
	rules_set_free(set);
	set = load_rule("      job: 刷单\n      pay: 返利\n      warn: 警惕\n"
			"    condition: job and pay and not warn\n");
	/* 在家 = 6 bytes, 刷单 at 6..12, ， = 3 bytes, 返利 at 15..21 */
	expect_hits(set, "在家刷单，返利", "0:body:6-12:job@6-12,pay@15-21\n");
	expect_hits(set, "警惕刷单返利", "");
	rules_set_free(set);
}

/* Patterns run lazily: a catastrophic pattern behind a failed "and" never runs. (The text ends in
 * "a" so that the prefilter, which cannot backtrack, lets the bomb through to PCRE2.) */
static void test_condition_lazy(void **state)
{
	(void)state;
	struct rules_set *set = load_rule("      cheap: zzz\n      bomb: '(a+)+$'\n"
					  "    condition: cheap and bomb\n");
	char text[64];
	memset(text, 'a', 40);
	strcpy(text + 40, "ba");
	char *out;
	assert_int_equal(match_field(set, "body", text, &out), 0);
	assert_string_equal(out, "");
	free(out);
	memcpy(text, "zzz", 3);
	assert_int_equal(match_field(set, "body", text, &out), ERR_REGEX);
	free(out);
	rules_set_free(set);
}

/* N of (...), counts and near(). */
static void test_condition_counts_near(void **state)
{
	(void)state;
	struct rules_set *set = load_rule("      a: aaa\n      b: bbb\n      c: ccc\n"
					  "    condition: '2 of (a, b, c) or any of (a) and #a >= 3'\n");
	expect_hits(set, "aaa bbb", "0:body:0-3:a@0-3,b@4-7\n");
	expect_hits(set, "aaa aaa", "");
	expect_hits(set, "aaaaaa aaa", "0:body:0-3:a@0-3\n"); /* non-overlapping: 3 */
	expect_hits(set, "aaaaa aa", "");
	rules_set_free(set);
	set = load_rule("      a: aaa\n      b: bbb\n    condition: 'a and #a == 2 and not #b > 0'\n");
	expect_hits(set, "aaa aaa", "0:body:0-3:a@0-3\n");
	expect_hits(set, "aaa aaa bbb", "");
	expect_hits(set, "aaa aaa aaa", "");
	rules_set_free(set);
	/* near: the gap between the spans in code points of the normalized text, 0 if they touch */
	set = load_rule("      job: 刷单\n      pay: 返利\n    condition: near(job, pay, 2)\n");
	expect_hits(set, "刷单一二返利", "0:body:0-6:job@0-6,pay@12-18\n");
	expect_hits(set, "刷单一二三返利", "");
	expect_hits(set, "返利xx刷单", "0:body:0-6:job@8-14,pay@0-6\n");
	expect_hits(set, "刷 单 返 利", "0:body:0-7:job@0-7,pay@8-15\n"); /* squeezed: gap 0 */
	/* a later pair counts: the first job is far from every pay */
	expect_hits(set, "刷单xxxxxxxxxx刷单x返利", "0:body:0-6:job@0-6,pay@23-29\n");
	rules_set_free(set);
}

/* Whole documents: each field instance, posts with their authors, `in` scoping. */
struct doc_seen {
	struct buf out;
};

static int record_doc_hit(const struct rules_hit *hit, void *ud)
{
	struct buf *b = ud;
	buf_addf(b, "%zu:%s", hit->rule, hit->field);
	if (hit->post != RULES_NO_POST)
		buf_addf(b, "[%zu]", hit->post);
	buf_addf(b, ":%zu-%zu:", hit->start, hit->end);
	for (size_t i = 0; i < hit->nspans; i++) {
		buf_addf(b, "%s%s@%s", i ? "," : "", hit->spans[i].pattern, hit->spans[i].field);
		if (hit->spans[i].post != RULES_NO_POST)
			buf_addf(b, "[%zu]", hit->spans[i].post);
		buf_addf(b, "/%zu-%zu", hit->spans[i].start, hit->spans[i].end);
	}
	return buf_addc(b, '\n');
}

static void expect_doc(const struct rules_set *set, const struct rules_doc *doc,
		       const char *expected)
{
	struct rules_matcher *m;
	struct buf out;
	buf_init(&out, 1 << 16);
	assert_int_equal(rules_matcher_new(set, &m), 0);
	assert_int_equal(rules_match_doc(m, doc, record_doc_hit, &out), 0);
	assert_string_equal(buf_str(&out), expected);
	rules_matcher_free(m);
	buf_done(&out);
}

static int record_explain(const struct rules_explain *e, void *ud)
{
	struct buf *out = ud;
	buf_addf(out, "%zu %s %s:", e->rule, e->field, e->holds ? "holds" : "not");
	for (size_t i = 0; i < e->nspans; i++)
		buf_addf(out, " %s@%s%zu-%zu", e->spans[i].pattern, e->spans[i].field,
			 e->spans[i].start, e->spans[i].end);
	return buf_addf(out, " | %s\n", e->condition);
}

/* rules_explain_doc: every rule with a matching positive pattern, held or not, each part's value
 * (the title, where only the negative w matches, is not explained). */
static void test_explain(void **state)
{
	(void)state;
	struct rules_set *set = rules_util_load_ok("pack: p\nrules:\n"
					"  - id: r\n    title: T\n    category: c\n"
					"    severity: low\n    patterns: {a: 'ab', b: 'cd', w: warn}\n"
					"    condition: '(a or #b >= 2) and not (w or w in title)'\n"
					"  - id: s\n    title: T\n    category: c\n"
					"    severity: low\n    patterns: {x: 'zz'}\n");
	struct rules_matcher *m;
	struct buf out;
	buf_init(&out, 1 << 16);
	assert_int_equal(rules_matcher_new(set, &m), 0);
	struct rules_doc doc = { .title = "warn", .body = "xx ab cd" };
	assert_int_equal(rules_explain_doc(m, &doc, record_explain, &out), 0);
	assert_string_equal(buf_str(&out),
			    "0 body not: a@body3-5 b@body6-8 | ((a [yes] or #b >= 2 "
			    "[#b = 1] [no]) [yes] and (not (w [no] or w in title [yes]) [yes]) [no]) "
			    "[no]\n");
	buf_reset(&out);
	doc.title = NULL;
	assert_int_equal(rules_explain_doc(m, &doc, record_explain, &out), 0);
	assert_string_equal(buf_str(&out),
			    "0 body holds: a@body3-5 b@body6-8 | ((a [yes] or #b >= 2 [#b = 1] [no]) "
			    "[yes] and (not (w [no] or w in title [no]) [no]) [yes]) [yes]\n");
	rules_matcher_free(m);
	rules_set_free(set);
	buf_done(&out);
}

static int record_slow(size_t rule, const char *pattern, bool fails, void *ud)
{
	return buf_addf(ud, "%zu:%s:%s\n", rule, pattern, fails ? "fails" : "slow");
}

/* rules_set_lint_slow: counted backtracking on the built-in sample, the same on every run. */
static void test_lint_slow(void **state)
{
	(void)state;
	struct rules_set *set = rules_util_load_ok(
	    "pack: s\nrules:\n"
	    "  - {id: a, title: T, category: c, severity: low, patterns: {a: '(?:\\w+\\s?){1,6}元$'}}\n"
	    "  - {id: b, title: T, category: c, severity: low, patterns: {a: '(?:\\w{1,20}){1,3}元'}}\n"
	    "  - {id: c, title: T, category: c, severity: low,\n"
	    "     patterns: {a: '刷单.{0,10}返利', b: 'literal:verify your account', c: '\\d+\\s*元'},\n"
	    "     condition: any of them}\n");
	struct buf out, lint_text;
	buf_init(&out, 4096);
	buf_init(&lint_text, 1 << 20);
	assert_int_equal(rules_set_lint_slow(set, record_slow, &out), 0);
	assert_string_equal(buf_str(&out), "0:a:fails\n1:a:slow\n");
	assert_int_equal(rules_lint_sample(&lint_text), 0);
	assert_true(lint_text.len >= 64 << 10 && lint_text.len < (64 << 10) + 256);
	assert_non_null(strstr(buf_str(&lint_text), "刷单"));
	rules_set_free(set);
	buf_done(&out);
	buf_done(&lint_text);
}

static void test_match_doc(void **state)
{
	(void)state;
	struct rules_set *set = rules_util_load_ok(
	    "pack: p\n"
	    "rules:\n"
	    "  - {id: plain, title: T, category: c, severity: low, fields: [title, body, post],\n"
	    "     patterns: {x: 刷单}}\n"
	    "  - {id: scoped, title: T, category: c, severity: low, fields: [post],\n"
	    "     patterns: {x: 返利, bot: 'bot\\d+', t: 兼职}, condition: x and (bot in author or t "
	    "in title)}\n"
	    "  - {id: url, title: T, category: c, severity: low, fields: [url, link_text],\n"
	    "     patterns: {x: {regex: 'ｖｘ', view: raw}}}\n");
	struct rules_post posts[] = {
		{ .text = "刷 单 返利", .author = "bot12" },
		{ .text = "返利", .author = "alice" },
		{ .text = "nothing", .author = NULL },
	};
	struct rules_doc doc = { .title = "hello", .body = "刷單", .url = "http://x/ｖｘ",
				 .link_text = "vx", .posts = posts, .nposts = 3 };
	expect_doc(set, &doc,
		   "0:body:0-6:x@body/0-6\n"
		   "2:url:9-15:x@url/9-15\n"
		   "0:post[0]:0-7:x@post[0]/0-7\n"
		   "1:post[0]:8-14:x@post[0]/8-14,bot@author[0]/0-5\n");
	doc.title = "兼职";
	expect_doc(set, &doc,
		   "0:body:0-6:x@body/0-6\n"
		   "2:url:9-15:x@url/9-15\n"
		   "0:post[0]:0-7:x@post[0]/0-7\n"
		   "1:post[0]:8-14:x@post[0]/8-14,bot@author[0]/0-5,t@title/0-6\n"
		   "1:post[1]:0-6:x@post[1]/0-6,t@title/0-6\n");
	/* an empty document, and rules_match on one field still works through the same engine */
	struct rules_doc empty = { 0 };
	expect_doc(set, &empty, "");
	rules_set_free(set);
}

/* A PCRE2 failure is counted for its rule, per field instance, and is never "no match". */
static void test_match_error_counts(void **state)
{
	(void)state;
	struct rules_set *set =
	    rules_util_load_ok("pack: p\n"
		    "rules:\n"
		    "  - {id: ok, title: T, category: c, severity: low, patterns: {x: b}}\n"
		    "  - {id: bomb, title: T, category: c, severity: low, fields: [title, body, post],\n"
		    "     patterns: {x: '(a+)+$'}}\n");
	char text[64];
	memset(text, 'a', 40);
	strcpy(text + 40, "ba");
	struct rules_matcher *m;
	struct buf out;
	buf_init(&out, 1 << 16);
	assert_int_equal(rules_matcher_new(set, &m), 0);
	assert_int_equal(rules_matcher_errors(m, 1), 0);
	assert_int_equal(rules_match(m, "body", text, strlen(text), record_doc_hit, &out), ERR_REGEX);
	assert_int_equal(rules_matcher_errors(m, 0), 0);
	assert_int_equal(rules_matcher_errors(m, 1), 1);
	struct rules_post post = { .text = text };
	struct rules_doc doc = { .title = text, .body = "aaa", .posts = &post, .nposts = 1 };
	assert_int_equal(rules_match_doc(m, &doc, record_doc_hit, &out), ERR_REGEX);
	assert_int_equal(rules_matcher_errors(m, 1), 3);
	assert_int_equal(rules_matcher_errors(m, 0), 0);
	assert_int_equal(rules_matcher_errors(m, 99), 0);
	/* the other rule's hits are all there, and the body's bomb matched */
	assert_string_equal(buf_str(&out), "0:body:40-41:x@body/40-41\n0:title:40-41:x@title/40-41\n"
					   "1:body:0-3:x@body/0-3\n");
	rules_matcher_free(m);
	buf_done(&out);
	rules_set_free(set);
}

/* ---- patterns ---- */

static void test_pattern_lists(void **state)
{
	(void)state;
	/* items are escaped: 'a.b' does not match "axb", 'x|y' is one literal item */
	struct rules_set *set = load_rule("      c: '加{chat}'\n");
	expect_hits(set, "加axb", "");
	expect_hits(set, "加a.b", "0:body:0-6:c@0-6\n");
	expect_hits(set, "加y", "");
	expect_hits(set, "加x|y", "0:body:0-6:c@0-6\n");
	/* longest item first: "v信" wins over "v" at the same position */
	expect_hits(set, "加V信", "0:body:0-7:c@0-7\n");
	rules_set_free(set);
}

static void test_pattern_braces_stay_regex(void **state)
{
	(void)state;
	struct rules_set *set = load_rule("      q: '\\d{2,3}x'\n"
					  "      lit: '\\{chat}'\n"
					  "      cls: '[{chat}]+!'\n"
					  "      hex: '\\x{5fae}\\p{Han}'\n"
					  "      both: '{chat}\\d{2}'\n"
					  "    condition: any of them\n");
	expect_hits(set, "12x", "0:body:0-3:q@0-3\n");
	expect_hits(set, "1x", "");
	expect_hits(set, "{chat}", "0:body:0-6:lit@0-6\n");
	expect_hits(set, "tach!", "0:body:0-5:cls@0-5\n");
	expect_hits(set, "微信", "0:body:0-6:hex@0-6\n");
	expect_hits(set, "vx42", "0:body:0-4:both@0-4\n");
	rules_set_free(set);
}

static void test_pattern_flags_and_literal(void **state)
{
	(void)state;
	struct rules_set *set = load_rule("      ci: 'telegram'\n"
					  "      word: '\\w{4}元'\n"
					  "      lit: 'literal:a.b(c'\n"
					  "    condition: any of them\n");
	expect_hits(set, "TeleGram", "0:body:0-8:ci@0-8\n");
	expect_hits(set, "日赚一万元", "0:body:0-15:word@0-15\n"); /* \w is Unicode-aware */
	expect_hits(set, "A.B(C", "0:body:0-5:lit@0-5\n");
	expect_hits(set, "axb(c", "");
	/* invalid UTF-8 in the text is not an error */
	expect_hits(set, "\xff\xfetelegram", "0:body:2-10:ci@2-10\n");
	rules_set_free(set);
}

/* ---- views ---- */

/* Hits with both spans of each pattern: "rule:start-end:name@start-end/view_start-view_end". */
static int record_views(const struct rules_hit *hit, void *ud)
{
	struct seen *s = ud;
	buf_addf(&s->out, "%zu:%zu-%zu:", hit->rule, hit->start, hit->end);
	for (size_t i = 0; i < hit->nspans; i++)
		buf_addf(&s->out, "%s%s@%zu-%zu/%zu-%zu%s", i ? "," : "", hit->spans[i].pattern,
			 hit->spans[i].start, hit->spans[i].end, hit->spans[i].view_start,
			 hit->spans[i].view_end, hit->spans[i].raw ? "raw" : "");
	if (hit->normalized)
		buf_addf(&s->out, ":%s", hit->normalized);
	buf_addc(&s->out, '\n');
	return 0;
}

static void expect_views(const struct rules_set *set, const char *text, const char *expected)
{
	struct rules_matcher *m;
	struct seen s = { .stop_after = 0 };
	buf_init(&s.out, 1 << 16);
	assert_int_equal(rules_matcher_new(set, &m), 0);
	assert_int_equal(rules_match(m, "body", text, strlen(text), record_views, &s), 0);
	assert_string_equal(buf_str(&s.out), expected);
	rules_matcher_free(m);
	buf_done(&s.out);
}

/* Patterns read the normalized view by default; spans come in the original and in the view. */
static void test_view_normalized(void **state)
{
	(void)state;
	struct rules_set *set = load_rule("      c: '加{chat}'\n      job: 刷单\n"
					  "    condition: c and job\n");
	/* 加 薇 信: the spaces between CJK characters are squeezed; ｖｘ is vx */
	expect_views(set, "刷 单 加 微 信", "0:0-7:c@8-19/6-15,job@0-7/0-6:刷单加微信\n");
	expect_views(set, "刷單加ｖｘ", "0:0-6:c@6-15/6-11,job@0-6/0-6:刷单加vx\n");
	/* a zero-width space inside a word is gone */
	expect_views(set, "刷\xe2\x80\x8b单加vx", "0:0-9:c@9-14/6-11,job@0-9/0-6:刷单加vx\n");
	expect_views(set, "刷 a 单加vx", "");
	rules_set_free(set);
	/* a set that builds its own normalizer (rules_set_load_mem) sees the same view */
	static const char own[] = "pack: p\nrules:\n  - id: r\n    title: T\n    category: c\n"
				  "    severity: low\n    patterns:\n      c: '加vx'\n";
	assert_int_equal(rules_set_load_mem("t.yaml", own, strlen(own), &set, NULL), 0);
	expect_views(set, "加ＶＸ", "0:0-9:c@0-9/0-5:加vx\n");
	rules_set_free(set);
}

/* A raw pattern reads the text as extracted; a rule may mix both views. */
static void test_view_raw(void **state)
{
	(void)state;
	struct rules_set *set = load_rule("      spaced: {regex: '刷 单', view: raw}\n"
					  "      lit: {literal: 'ＶＸ', view: raw}\n"
					  "      norm: {regex: 'vx', view: normalized}\n"
					  "    condition: spaced or (lit and norm)\n");
	expect_views(set, "刷 单", "0:0-7:spaced@0-7/0-7raw:刷单\n");
	expect_views(set, "刷单", "");
	expect_views(set, "ｖｘ", "0:0-6:lit@0-6/0-6raw,norm@0-6/0-2:vx\n"); /* caseless */
	expect_views(set, "vx", "");
	rules_set_free(set);
	/* a set whose patterns are all raw builds no normalizer and gives no normalized text */
	set = load_rule("      a: {regex: 'ｖｘ', view: raw}\n");
	expect_views(set, "ｖｘ", "0:0-6:a@0-6/0-6raw\n");
	expect_views(set, "vx", "");
	rules_set_free(set);
}

static void test_view_errors(void **state)
{
	(void)state;
	char yaml[2048];
	snprintf(yaml, sizeof(yaml),
		 "%s    patterns:\n"
		 "      a: {regex: x, literal: y}\n"
		 "      b: {view: raw}\n"
		 "      c: {regex: x, view: cooked}\n"
		 "      d: {regex: x, flags: i}\n"
		 "      e: {regex: '(', view: raw}\n"
		 "    condition: any of them\n",
		 head);
	expect_errors(yaml,
		      "t.yaml:8:10: pattern 'a': needs exactly one of 'regex' and 'literal'\n"
		      "t.yaml:9:10: pattern 'b': needs exactly one of 'regex' and 'literal'\n"
		      "t.yaml:10:27: invalid view 'cooked' (allowed: normalized, raw)\n"
		      "t.yaml:11:21: unknown key 'flags'\n"
		      "t.yaml:12:18: pattern 'e': regex error at offset 1: missing closing "
		      "parenthesis\n");
}

/* Examples are page text: they go through normalization like a crawled page. */
static void test_view_selftest(void **state)
{
	(void)state;
	struct rules_set *set = rules_util_load_ok("pack: p\n"
					"rules:\n"
					"  - id: r\n"
					"    title: T\n"
					"    category: c\n"
					"    severity: low\n"
					"    patterns: {a: '加微信', b: {regex: 'ｑｑ', view: raw}}\n"
					"    condition: a or b\n"
					"    tests:\n"
					"      match: ['加 微 信', '加\u200b微信', '加微信', 'ｑｑ', '加 薇 信']\n"
					"      no-match: ['加 - - 微信', 'qq']\n");
	struct buf report;
	size_t failed = 0;
	buf_init(&report, 1 << 16);
	assert_int_equal(rules_set_selftest(set, &report, &failed), 0);
	assert_string_equal(buf_str(&report), "p: r: match example 5 did not match: \"加 薇 信\"\n");
	assert_int_equal(failed, 1);
	buf_done(&report);
	rules_set_free(set);
}

/* ---- matching ---- */

static void test_match_fields(void **state)
{
	(void)state;
	struct rules_set *set = rules_util_load_ok(sample);
	char *out;
	assert_int_equal(match_field(set, "url", "https://daikuan.example/", &out), 0);
	assert_string_equal(out, "1:url:8-15:loan@8-15\n");
	free(out);
	assert_int_equal(match_field(set, "link_text", "daikuan", &out), 0);
	assert_string_equal(out, "");
	free(out);
	assert_int_equal(match_field(set, "html", "daikuan", &out), ERR_USAGE);
	free(out);
	rules_set_free(set);
}

static void test_match_stop_and_errors(void **state)
{
	(void)state;
	struct rules_set *set =
	    rules_util_load_ok("pack: p\n"
		    "rules:\n"
		    "  - {id: a, title: T, category: c, severity: low, patterns: {x: x}}\n"
		    "  - {id: b, title: T, category: c, severity: low, patterns: {x: x}}\n"
		    "  - {id: c, title: T, category: c, severity: low,\n"
		    "     patterns: {x: '(a+)+$'}}\n"
		    "  - {id: d, title: T, category: c, severity: low, patterns: {x: a}}\n");
	struct rules_matcher *m;
	assert_int_equal(rules_matcher_new(set, &m), 0);
	struct seen s = { .stop_after = 1 };
	buf_init(&s.out, 4096);
	/* a non-zero return from fn stops matching and is returned */
	assert_int_equal(rules_match(m, "body", "x", 1, record_hit, &s), 99);
	assert_int_equal(s.hits, 1);
	/* a regex failure in one rule does not hide the others' hits, and is returned */
	char text[64];
	memset(text, 'a', 40);
	strcpy(text + 40, "bxa"); /* ends in "a": the prefilter passes the bomb to PCRE2 */
	s.stop_after = 0;
	s.hits = 0;
	buf_reset(&s.out);
	assert_int_equal(rules_match(m, "body", text, strlen(text), record_hit, &s), ERR_REGEX);
	assert_string_equal(buf_str(&s.out), "0:body:41-42:x@41-42\n1:body:41-42:x@41-42\n"
					     "3:body:0-1:x@0-1\n");
	/* empty and NULL text */
	buf_reset(&s.out);
	assert_int_equal(rules_match(m, "body", NULL, 0, record_hit, &s), 0);
	assert_int_equal(rules_match(m, "title", "", 0, record_hit, &s), 0);
	assert_string_equal(buf_str(&s.out), "");
	buf_done(&s.out);
	rules_matcher_free(m);
	rules_set_free(set);
}

static void test_match_limit_is_error(void **state)
{
	(void)state;
	struct rules_set *set = load_rule("      bomb: '(a+)+$'\n");
	char text[4096];
	memset(text, 'a', sizeof(text) - 1);
	text[sizeof(text) - 3] = 'b'; /* "...aaba": the prefilter reports it, PCRE2 backtracks */
	text[sizeof(text) - 1] = '\0';
	char *out;
	assert_int_equal(match_field(set, "body", text, &out), ERR_REGEX);
	assert_string_equal(out, "");
	free(out);
	/* short subjects that can be settled are fine */
	expect_hits(set, "aaa", "0:body:0-3:bomb@0-3\n");
	rules_set_free(set);
}

struct worker {
	const struct rules_set *set;
	const char *text;
	size_t hits;
	int rc;
};

static int count_hit(const struct rules_hit *hit, void *ud)
{
	struct worker *w = ud;
	w->hits += hit->nspans > 0 && hit->start < hit->end;
	return 0;
}

static void *work(void *arg)
{
	struct worker *w = arg;
	struct rules_matcher *m;
	w->rc = rules_matcher_new(w->set, &m);
	for (int i = 0; i < 2000 && w->rc == 0; i++)
		w->rc = rules_match(m, "body", w->text, strlen(w->text), count_hit, w);
	rules_matcher_free(m);
	return NULL;
}

/* Two threads share one set, each with its own matcher. */
static void test_match_threads(void **state)
{
	(void)state;
	struct rules_set *set = rules_util_load_ok(sample);
	struct worker w[2] = {
		{ .set = set, .text = "在家兼职刷单，佣金日结，加薇信 abc123" },
		{ .set = set, .text = "刷单返利 www.example.com 刷单返利" },
	};
	pthread_t t[2];
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&t[i], NULL, work, &w[i]), 0);
	for (int i = 0; i < 2; i++) {
		pthread_join(t[i], NULL);
		assert_int_equal(w[i].rc, 0);
		assert_int_equal(w[i].hits, 2000);
	}
	rules_set_free(set);
}

/* ---- self-test ---- */

static void test_selftest_pass(void **state)
{
	(void)state;
	struct rules_set *set = rules_util_load_ok(sample);
	struct buf report;
	size_t failed = 99;
	buf_init(&report, 1 << 16);
	assert_int_equal(rules_set_selftest(set, &report, &failed), 0);
	assert_int_equal(failed, 0);
	assert_string_equal(buf_str(&report), "");
	buf_done(&report);
	rules_set_free(set);
}

static void test_selftest_fail(void **state)
{
	(void)state;
	struct rules_set *set = rules_util_load_ok("pack: p\n"
					"rules:\n"
					"  - id: r.1\n"
					"    title: T\n"
					"    category: c\n"
					"    severity: low\n"
					"    fields: [url, title]\n"
					"    patterns: {a: 'foo', b: '(a+)+$'}\n"
					"    condition: a or b\n"
					"    tests:\n"
					"      match: [foo, \"bar \\\"quoted\\\"\\nline\", "
					"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaba]\n"
					"      no-match: [xyz, FOO]\n"
					"  - id: r.2\n"
					"    title: T\n"
					"    category: c\n"
					"    severity: low\n"
					"    fields: [title, body]\n"
					"    patterns: {a: '^t'}\n"
					"    tests: {match: [t], no-match: [x]}\n");
	struct buf report;
	size_t failed = 0;
	buf_init(&report, 1 << 16);
	assert_int_equal(rules_set_selftest(set, &report, &failed), 0);
	assert_int_equal(failed, 3);
	assert_string_equal(buf_str(&report),
			    "p: r.1: match example 2 did not match: \"bar \\\"quoted\\\"\\nline\"\n"
			    "p: r.1: match example 3 failed (regular expression error): "
			    "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaba\"\n"
			    "p: r.1: no-match example 2 matched: \"FOO\"\n");
	buf_done(&report);
	rules_set_free(set);
}

/* ---- snippets ---- */

static void expect_snippet(const char *text, size_t start, size_t end, size_t context,
			   const char *expected)
{
	struct buf out;
	buf_init(&out, 4096);
	assert_int_equal(rules_snippet(text, strlen(text), start, end, context, &out), 0);
	assert_string_equal(buf_str(&out), expected);
	buf_done(&out);
}

static void test_snippet(void **state)
{
	(void)state;
	expect_snippet("hello world", 6, 11, 100, "hello world");
	expect_snippet("hello world", 6, 11, 2, "…o world");
	expect_snippet("hello world", 0, 5, 3, "hello wo…");
	/* code points, not bytes; a cut inside a character moves to its boundary */
	expect_snippet("在家兼职刷单，佣金日结", 12, 18, 2, "…兼职刷单，佣…");
	expect_snippet("在家兼职刷单，佣金日结", 13, 17, 1, "…职刷单，…");
	/* whitespace runs collapse, edges are trimmed, control characters count as space */
	expect_snippet("a \n\t b\x01\x02"
		       "c\xe3\x80\x80 d  ",
		       0, 1, 100, "a b c d");
	expect_snippet("x\n\n  刷单  \n", 4, 10, 100, "x 刷单");
	/* invalid bytes become U+FFFD */
	expect_snippet("a\xffz", 0, 1, 5, "a\xef\xbf\xbdz");
	struct buf out;
	buf_init(&out, 4);
	assert_int_equal(rules_snippet("abc", 3, 2, 1, 1, &out), ERR_USAGE);
	assert_int_equal(rules_snippet("abc", 3, 1, 4, 1, &out), ERR_USAGE);
	/* a full buffer fails and keeps what it had */
	buf_addstr(&out, "ab");
	assert_int_equal(rules_snippet("hello world", 11, 6, 11, 100, &out), ERR_TOO_BIG);
	assert_string_equal(buf_str(&out), "ab");
	buf_done(&out);
}

/* ---- the examples of docs/rules.md ---- */

/* Reads a file under PATROL_SOURCE_ROOT into a new string, or NULL. */
static char *read_source(const char *rel)
{
	const char *root = getenv("PATROL_SOURCE_ROOT");
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", root ? root : ".", rel);
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	struct buf b;
	char chunk[4096];
	size_t n;
	buf_init(&b, 1 << 22);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_add(&b, chunk, n);
	fclose(f);
	return buf_take(&b);
}

/* Every ```yaml block of docs/rules.md that is a whole pack loads and passes its own tests. */
static void test_docs_examples(void **state)
{
	(void)state;
	char *doc = read_source("docs/rules.md");
	if (!doc) {
		print_message("# docs/rules.md not found (set PATROL_SOURCE_ROOT)\n");
		skip();
	}
	size_t packs = 0;
	for (char *p = doc; (p = strstr(p, "```yaml\npack:")); packs++) {
		p += strlen("```yaml\n");
		char *end = strstr(p, "```");
		assert_non_null(end);
		*end = '\0';
		struct rules_set *set = rules_util_load_ok(p);
		struct buf report;
		size_t failed = 0;
		buf_init(&report, 1 << 16);
		assert_int_equal(rules_set_selftest(set, &report, &failed), 0);
		assert_string_equal(buf_str(&report), "");
		assert_int_equal(failed, 0);
		buf_done(&report);
		rules_set_free(set);
		p = end + 1;
	}
	assert_true(packs >= 2);
	free(doc);
}

/* ---- the shipped packs ---- */

static void test_shipped_packs(void **state)
{
	(void)state;
	const char *root = getenv("PATROL_SOURCE_ROOT");
	char dir[4096];
	struct stat st;
	snprintf(dir, sizeof(dir), "%s/rules/packs", root ? root : ".");
	DIR *d = opendir(dir);
	bool any = false;
	struct dirent *e;
	while (d && (e = readdir(d)))
		any |= strstr(e->d_name, ".yaml") || strstr(e->d_name, ".yml");
	if (d)
		closedir(d);
	if (!root || stat(dir, &st) != 0 || !any) {
		print_message("# no packs in %s yet\n", dir);
		skip();
	}
	const char *paths[] = { dir };
	struct rules_set *set = NULL;
	struct buf errors;
	buf_init(&errors, 1 << 20);
	int rc = rules_set_load(paths, 1, &set, &errors);
	if (rc != 0)
		print_error("%s", buf_str(&errors));
	assert_int_equal(rc, 0);
	assert_true(rules_set_count(set) > 0);
	size_t failed = 0;
	buf_reset(&errors);
	assert_int_equal(rules_set_selftest(set, &errors, &failed), 0);
	if (failed)
		print_error("%s", buf_str(&errors));
	assert_int_equal(failed, 0);
	buf_done(&errors);
	rules_set_free(set);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_load_sample),
		cmocka_unit_test(test_load_minimal_defaults),
		cmocka_unit_test(test_load_scalars_are_strings),
		cmocka_unit_test(test_load_errors_null_buffer),
		cmocka_unit_test(test_error_yaml_syntax),
		cmocka_unit_test(test_error_keys),
		cmocka_unit_test(test_error_types),
		cmocka_unit_test(test_error_anchors_aliases_tags),
		cmocka_unit_test(test_error_names_and_values),
		cmocka_unit_test(test_error_regex),
		cmocka_unit_test(test_error_condition_syntax),
		cmocka_unit_test(test_error_condition_positions),
		cmocka_unit_test(test_error_condition_semantics),
		cmocka_unit_test(test_error_duplicate_ids),
		cmocka_unit_test(test_error_caps),
		cmocka_unit_test(test_error_nul_in_string),
		cmocka_unit_test(test_error_many_at_once),
		cmocka_unit_test(test_load_directory),
		cmocka_unit_test(test_load_sources),
		cmocka_unit_test(test_condition_precedence),
		cmocka_unit_test(test_condition_of_them),
		cmocka_unit_test(test_condition_default_and_spans),
		cmocka_unit_test(test_condition_lazy),
		cmocka_unit_test(test_condition_counts_near),
		cmocka_unit_test(test_match_doc),
		cmocka_unit_test(test_explain),
		cmocka_unit_test(test_lint_slow),
		cmocka_unit_test(test_match_error_counts),
		cmocka_unit_test(test_pattern_lists),
		cmocka_unit_test(test_pattern_braces_stay_regex),
		cmocka_unit_test(test_pattern_flags_and_literal),
		cmocka_unit_test(test_view_normalized),
		cmocka_unit_test(test_view_raw),
		cmocka_unit_test(test_view_errors),
		cmocka_unit_test(test_view_selftest),
		cmocka_unit_test(test_match_fields),
		cmocka_unit_test(test_match_stop_and_errors),
		cmocka_unit_test(test_match_limit_is_error),
		cmocka_unit_test(test_match_threads),
		cmocka_unit_test(test_selftest_pass),
		cmocka_unit_test(test_selftest_fail),
		cmocka_unit_test(test_snippet),
		cmocka_unit_test(test_docs_examples),
		cmocka_unit_test(test_shipped_packs),
	};
	return cmocka_run_group_tests(tests, rules_util_group_setup, rules_util_group_teardown);
}
