/* SPDX-License-Identifier: MIT */
/* Fuzz target for the matcher on hostile text: the bytes are a page's text, matched by the shipped
 * packs (rules/packs under PATROL_SOURCE_ROOT, or the source tree this was built from) and by a
 * pack of patterns chosen to stress the prefilter: gates, alternations, optional parts, lists,
 * lookarounds, anchors, case and width folding, the raw view. Each broken invariant aborts:
 * - through the prefilter, a field's hits are exactly those of PCRE2 alone (rules__match);
 * - matching depends on the text only: the text matched again after another gives the same
 *   hits, so nothing a scan leaves behind (the gates' epochs, the windows) leaks into the next;
 * - every hit and span lies inside the text it names, and its snippet can be cut.
 * Whole documents (the bytes split into posts at form feeds) go through rules_match_doc for the
 * last invariant. The packs themselves are fuzz_rules's business.
 */
#include "common/buf.h"
#include "rules/rules_int.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef PATROL_SOURCE_DIR
#define PATROL_SOURCE_DIR "."
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char stress[] =
    "pack: stress\n"
    "lists:\n"
    "  chat: [微信, v信, vx, 扣扣, qq]\n"
    "rules:\n"
    "  - {id: gates, title: T, category: c, severity: low,\n"
    "     patterns: {a: '(?:联系|添加)\\s*(?:微信|qq)\\s*[a-z0-9_]{2,5}', b: 'ab.{0,3}cd',\n"
    "                c: 'x(?:ab\\s*cd)+y', d: 'free\\s*money|返利\\s*警惕', e: '联系(?:\\s*qq)?'},\n"
    "     condition: 'a or #b >= 2 or c or d or e'}\n"
    "  - {id: factors, title: T, category: c, severity: low,\n"
    "     patterns: {a: '(?:ab|cd)x{2}', b: 'k.{0,3}ss', c: '(?i:free)\\s*money',\n"
    "                d: '(?:刷单|返利)?警惕', e: '\\$\\s*\\d{1,3}(?:,\\d{3})+|\\b\\d{3,}\\s*usdt\\b'},\n"
    "     condition: any of them}\n"
    "  - {id: near, title: T, category: c, severity: low,\n"
    "     patterns: {a: 'free.*?money', b: '\\w+返利', c: '刷.{0,12}返利', d: '加\\s*{chat}'},\n"
    "     condition: 'near(a, b, 4) or (c and d) or #d >= 3'}\n"
    "  - {id: looks, title: T, category: c, severity: low,\n"
    "     patterns: {a: '(?<!防)骗子', b: 'fr(?=ee)', c: '(ab|cd)x\\1', d: '^start|end$',\n"
    "                e: 'σοφια|ｓｏｆ', f: 'literal:STRASSE'},\n"
    "     condition: any of them}\n"
    "  - {id: classes, title: T, category: c, severity: low,\n"
    "     patterns: {a: '\\d{3}元', b: '[^\\d\\s]{2}单', c: '\\w+@\\w+', d: '\\B信\\h\\H'},\n"
    "     condition: 'a and not b or c or d'}\n"
    "  - {id: raw, title: T, category: c, severity: low, fields: [title, body, post],\n"
    "     patterns: {x: {regex: '\\bfree\\b', view: raw}, y: {regex: 'ｓｏｆ|刷 单', view: raw},\n"
    "                z: '\\d{3,6}\\s*元'},\n"
    "     condition: (x or y) and z}\n";

static const char *const fields[] = {"title", "body", "post", "author", "url", "link_text"};

struct matchers {
	struct rules_matcher *m[2];
	size_t n;
};

static void die(const char *what, const char *detail)
{
	fprintf(stderr, "fuzz_match: %s\n%s\n", what, detail);
	abort();
}

static void add_matcher(struct matchers *ms, struct rules_set *set)
{
	if (rules_matcher_new(set, &ms->m[ms->n]) != 0)
		die("cannot build a matcher", "");
	ms->n++; /* the set stays for the process, as its matcher does */
}

/* Built on first use and kept for the process: a fuzz target's one allowed static. */
static const struct matchers *matchers_get(void)
{
	static struct matchers ms;
	if (ms.n)
		return &ms;
	struct buf errors;
	buf_init(&errors, 1 << 20);
	const char *root = getenv("PATROL_SOURCE_ROOT");
	char dir[4096];
	snprintf(dir, sizeof(dir), "%s/rules/packs", root ? root : PATROL_SOURCE_DIR);
	const char *paths[] = {dir};
	struct rules_set *set = NULL;
	if (rules_set_load(paths, 1, &set, &errors) != 0)
		die(dir, buf_str(&errors));
	add_matcher(&ms, set);
	if (rules_set_load_mem("stress.yaml", stress, sizeof(stress) - 1, &set, &errors) != 0)
		die("stress.yaml", buf_str(&errors));
	add_matcher(&ms, set);
	buf_done(&errors);
	return &ms;
}

struct record {
	struct buf out;
	const char *text; /* what the offsets index; NULL for a document */
	size_t len;
};

static void check_range(const struct record *r, size_t start, size_t end)
{
	if (start > end || (r->text && end > r->len))
		die("a hit or span outside its text", buf_str(&r->out));
	if (r->text) {
		struct buf snippet;
		buf_init(&snippet, 1 << 16);
		if (rules_snippet(r->text, r->len, start, end, 20, &snippet) != 0)
			die("no snippet for a hit", buf_str(&r->out));
		buf_done(&snippet);
	}
}

static int record_hit(const struct rules_hit *hit, void *ud)
{
	struct record *r = ud;
	buf_addf(&r->out, "%zu:%s:%zu-%zu:", hit->rule, hit->field, hit->start, hit->end);
	check_range(r, hit->start, hit->end);
	for (size_t i = 0; i < hit->nspans; i++) {
		const struct rules_span *s = &hit->spans[i];
		buf_addf(&r->out, "%s%s@%zu-%zu/%zu-%zu", i ? "," : "", s->pattern, s->start, s->end,
			 s->view_start, s->view_end);
		if (s->field == hit->field)
			check_range(r, s->start, s->end);
		if (s->view_start > s->view_end ||
		    (s->raw && (s->view_start != s->start || s->view_end != s->end)))
			die("a span's view offsets are wrong", buf_str(&r->out));
	}
	buf_addc(&r->out, '\n');
	return 0;
}

static int match(struct rules_matcher *m, const char *field, const char *text, size_t len,
		 bool exhaustive, struct record *r)
{
	buf_reset(&r->out);
	r->text = text;
	r->len = len;
	int rc = rules__match(m, field, text, len, exhaustive, record_hit, r);
	buf_addf(&r->out, "rc %d\n", rc);
	return rc;
}

static void check_field(struct rules_matcher *m, const char *field, const char *text, size_t len,
			struct record *fast, struct record *slow)
{
	static const char other[] = "联系微信 abcde 刷单返利 free money 警惕";
	match(m, field, text, len, false, fast);
	match(m, field, text, len, true, slow);
	if (strcmp(buf_str(&fast->out), buf_str(&slow->out)) != 0) {
		fprintf(stderr, "field %s, prefilter:\n%sPCRE2 alone:\n%s", field, buf_str(&fast->out),
			buf_str(&slow->out));
		die("the prefilter and PCRE2 alone disagree", "");
	}
	match(m, field, other, sizeof(other) - 1, false, slow);
	match(m, field, text, len, false, slow);
	if (strcmp(buf_str(&fast->out), buf_str(&slow->out)) != 0) {
		fprintf(stderr, "field %s, first:\n%safter another text:\n%s", field,
			buf_str(&fast->out), buf_str(&slow->out));
		die("the same text matched twice gives different hits", "");
	}
}

/* The bytes as a page: title up to the first newline, body the whole, posts between form feeds
 * (authors their first line). Strings end at the first NUL, as extracted fields do. */
static void check_doc(struct rules_matcher *m, char *copy, size_t size, struct record *r)
{
	struct rules_post posts[16];
	size_t nposts = 0;
	char *title = strndup(copy, strcspn(copy, "\n"));
	char *body = strdup(copy);
	for (char *p = copy; p && nposts < 16;) {
		char *ff = memchr(p, '\f', size - (size_t)(p - copy));
		if (ff)
			*ff = '\0';
		posts[nposts].text = p;
		posts[nposts].author = p + strcspn(p, "\n") + (p[strcspn(p, "\n")] ? 1 : 0);
		posts[nposts].time = NULL;
		nposts++;
		p = ff ? ff + 1 : NULL;
	}
	struct rules_doc doc = {.title = title, .body = body, .url = title, .link_text = NULL,
				.posts = posts, .nposts = nposts};
	buf_reset(&r->out);
	r->text = NULL; /* offsets index the instance the hit names: checked for order only */
	if (title && body)
		rules_match_doc(m, &doc, record_hit, r);
	free(title);
	free(body);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct matchers *ms = matchers_get();
	const char *text = (const char *)data;
	char *copy = malloc(size + 1);
	if (!copy)
		return 0;
	struct record fast, slow;
	buf_init(&fast.out, 1 << 22);
	buf_init(&slow.out, 1 << 22);
	for (size_t k = 0; k < ms->n; k++) {
		for (size_t f = 0; f < sizeof(fields) / sizeof(fields[0]); f++)
			check_field(ms->m[k], fields[f], text, size, &fast, &slow);
		memcpy(copy, data, size);
		copy[size] = '\0';
		check_doc(ms->m[k], copy, size, &fast);
	}
	buf_done(&fast.out);
	buf_done(&slow.out);
	free(copy);
	return 0;
}
