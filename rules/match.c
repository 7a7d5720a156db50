/* SPDX-License-Identifier: MIT */
/* Patterns and matching: {list} expansion, PCRE2 compilation with JIT, the per-thread matcher,
 * lazy rule evaluation and the self-test of a set's embedded examples.
 *
 * A matcher owns every mutable thing matching needs (match data, match context, JIT stack and the
 * per-pattern state of the rule being evaluated); the set it reads is never written. A PCRE2
 * failure, a hit match limit included, is ERR_REGEX and never counts as "no match".
 */
#include "rules/rules_int.h"

#include "common/err.h"
#include "parsers/normalize.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *const field_names[RULES__NFIELDS] = {
	[RULES__FIELD_TITLE] = "title", [RULES__FIELD_BODY] = "body",
	[RULES__FIELD_POST] = "post",   [RULES__FIELD_AUTHOR] = "author",
	[RULES__FIELD_URL] = "url",     [RULES__FIELD_LINK_TEXT] = "link_text",
};

const char *rules__field_name(unsigned f)
{
	return f < RULES__NFIELDS ? field_names[f] : "";
}

int rules__field_find(const char *name, size_t len)
{
	for (unsigned i = 0; i < RULES__NFIELDS; i++)
		if (strlen(field_names[i]) == len && memcmp(field_names[i], name, len) == 0)
			return (int)i;
	return -1;
}

int rules__compiler_init(struct rules__compiler *c)
{
	c->ccontext = pcre2_compile_context_create(NULL);
	if (!c->ccontext)
		return -ENOMEM;
	/* deep nesting costs compiler stack (PCRE2 issue #329); no rule needs more than this */
	pcre2_set_parens_nest_limit(c->ccontext, 64);
	pcre2_set_max_pattern_length(c->ccontext, RULES__MAX_EXPANDED);
	return 0;
}

void rules__compiler_done(struct rules__compiler *c)
{
	pcre2_compile_context_free(c->ccontext);
	c->ccontext = NULL;
}

/* ---- {list} expansion ---- */

struct expand {
	const char *pat;
	size_t len, i;
	struct buf out;
	const struct rules__list *lists;
	size_t nlists;
	size_t query;  /* an offset into the expansion to map back to the pattern, or SIZE_MAX */
	size_t answer; /* where query came from in the pattern */
	bool answered;
};

/* Copies n bytes of the pattern as they are, noting where query falls. */
static int copy(struct expand *x, size_t n)
{
	if (n > x->len - x->i)
		n = x->len - x->i;
	if (!x->answered && x->query >= x->out.len && x->query < x->out.len + n) {
		x->answer = x->i + (x->query - x->out.len);
		x->answered = true;
	}
	int rc = buf_add(&x->out, x->pat + x->i, n);
	x->i += n;
	return rc;
}

/* Copies up to and including the first occurrence of end (or to the end of the pattern). */
static int copy_through(struct expand *x, size_t from, const char *end)
{
	const char *p = memmem(x->pat + from, x->len - from, end, strlen(end));
	size_t stop = p ? (size_t)(p - x->pat) + strlen(end) : x->len;
	return copy(x, stop - x->i);
}

static int add_item(struct buf *out, const char *s, size_t len)
{
	int rc = 0;
	for (size_t k = 0; k < len && rc == 0; k++) {
		unsigned char c = (unsigned char)s[k];
		if (c < 0x20 || c == 0x7f)
			rc = buf_addf(out, "\\x{%02x}", c);
		else if (c < 0x80 && !(c >= '0' && c <= '9') &&
			 !((c | 0x20) >= 'a' && (c | 0x20) <= 'z'))
			rc = buf_add(out, (const char[]){ '\\', (char)c }, 2);
		else
			rc = buf_addc(out, (char)c);
	}
	return rc;
}

static int add_list(struct expand *x, const struct rules__list *l, size_t reflen)
{
	size_t before = x->out.len;
	/* an empty list is already an error; (*FAIL) keeps it from causing more */
	int rc = buf_addstr(&x->out, l->nitems ? "(?:" : "(?:(*FAIL)");
	for (size_t k = 0; k < l->nitems && rc == 0; k++) {
		if (k > 0)
			rc = buf_addc(&x->out, '|');
		if (rc == 0)
			rc = add_item(&x->out, l->items[k], l->itemlens[k]);
	}
	if (rc == 0)
		rc = buf_addc(&x->out, ')');
	if (!x->answered && x->query >= before && x->query < x->out.len) {
		x->answer = x->i; /* anywhere in an expansion maps to its '{' */
		x->answered = true;
	}
	x->i += reflen;
	return rc;
}

static size_t name_len(const char *s, size_t n)
{
	size_t k = 0;
	if (n == 0 || !((s[0] >= 'a' && s[0] <= 'z') || s[0] == '_'))
		return 0;
	while (k < n &&
	       ((s[k] >= 'a' && s[k] <= 'z') || s[k] == '_' || (s[k] >= '0' && s[k] <= '9')))
		k++;
	return k;
}

/* At a '{' outside escapes and classes: a list reference when it reads {identifier}. */
static int brace(struct expand *x, struct rules__regex_error *err)
{
	const char *name = x->pat + x->i + 1;
	size_t n = name_len(name, x->len - x->i - 1);
	if (n == 0 || x->i + 1 + n >= x->len || name[n] != '}')
		return copy(x, 1);
	for (size_t k = 0; k < x->nlists; k++)
		if (x->lists[k].namelen == n && memcmp(x->lists[k].name, name, n) == 0)
			return add_list(x, &x->lists[k], n + 2);
	snprintf(err->msg, sizeof(err->msg), "undefined list {%.*s} at offset %zu", (int)n, name,
		 x->i);
	return ERR_RULES;
}

/* At a backslash: \Q...\E and the braced escapes (\x{..}, \p{..}, ...) are copied whole. */
static int backslash(struct expand *x)
{
	if (x->i + 1 >= x->len)
		return copy(x, 1);
	char d = x->pat[x->i + 1];
	if (d == 'Q')
		return copy_through(x, x->i + 2, "\\E");
	if (strchr("xopPgkN", d) && x->i + 2 < x->len && x->pat[x->i + 2] == '{')
		return copy_through(x, x->i + 3, "}");
	return copy(x, 2);
}

/* At a '[': the class is copied whole, with ']' first or after '^' and [:posix:] inside. */
static int char_class(struct expand *x)
{
	size_t k = x->i + 1;
	if (k < x->len && x->pat[k] == '^')
		k++;
	if (k < x->len && x->pat[k] == ']')
		k++;
	while (k < x->len && x->pat[k] != ']') {
		if (x->pat[k] == '\\') {
			k += 2;
		} else if (x->pat[k] == '[' && k + 1 < x->len && x->pat[k + 1] == ':') {
			const char *e = memmem(x->pat + k + 2, x->len - k - 2, ":]", 2);
			k = e ? (size_t)(e - x->pat) + 2 : k + 1;
		} else {
			k++;
		}
	}
	return copy(x, (k < x->len ? k + 1 : x->len) - x->i);
}

static int expand_run(struct expand *x, struct rules__regex_error *err)
{
	int rc = 0;
	while (x->i < x->len && rc == 0) {
		char c = x->pat[x->i];
		if (c == '\\')
			rc = backslash(x);
		else if (c == '[')
			rc = char_class(x);
		else if (c == '{')
			rc = brace(x, err);
		else
			rc = copy(x, 1);
	}
	if (rc == ERR_TOO_BIG)
		snprintf(err->msg, sizeof(err->msg), "longer than %d bytes once lists are expanded",
			 RULES__MAX_EXPANDED);
	return rc == ERR_TOO_BIG ? ERR_RULES : rc;
}

/* Maps offset off of the expansion back to the pattern as written. */
static size_t expand_origin(const char *pat, size_t len, const struct rules__list *lists,
			    size_t nlists, size_t off)
{
	struct rules__regex_error ignored;
	struct expand x = {
		.pat = pat, .len = len, .lists = lists, .nlists = nlists, .query = off
	};
	buf_init(&x.out, RULES__MAX_EXPANDED);
	expand_run(&x, &ignored);
	buf_done(&x.out);
	return x.answered ? x.answer : len;
}

/* ---- compilation ---- */

static int compile_error(int code, size_t offset, struct rules__regex_error *err)
{
	char msg[200];
	if (code == PCRE2_ERROR_HEAP_FAILED)
		return -ENOMEM;
	if (pcre2_get_error_message(code, (PCRE2_UCHAR *)msg, sizeof(msg)) < 0)
		snprintf(msg, sizeof(msg), "PCRE2 error %d", code);
	snprintf(err->msg, sizeof(err->msg), "regex error at offset %zu: %s", offset, msg);
	return ERR_REGEX;
}

/* A pattern that matches the empty string would match every text: refuse it. */
static int check_not_empty(pcre2_code *code, struct rules__regex_error *err)
{
	pcre2_match_data *md = pcre2_match_data_create(1, NULL);
	if (!md)
		return -ENOMEM;
	int rc = pcre2_match(code, (PCRE2_SPTR) "", 0, 0, 0, md, NULL);
	pcre2_match_data_free(md);
	if (rc == PCRE2_ERROR_NOMEMORY)
		return -ENOMEM;
	if (rc < 0)
		return 0;
	snprintf(err->msg, sizeof(err->msg),
		 "matches the empty string, so it would match any text");
	return ERR_RULES;
}

static int compile_expanded(struct rules__compiler *c, const char *exp, size_t len, bool literal,
			    pcre2_code **ret_code, int *ret_errcode, size_t *ret_erroffset)
{
	/* USE_OFFSET_LIMIT: confirmation stops at the prefilter's reported ends (match.c, find) */
	uint32_t opts = PCRE2_UTF | PCRE2_CASELESS | PCRE2_MATCH_INVALID_UTF | PCRE2_USE_OFFSET_LIMIT;
	/* PCRE2_LITERAL allows neither UCP (irrelevant to literals) nor NEVER_BACKSLASH_C */
	opts |= literal ? PCRE2_LITERAL : PCRE2_UCP | PCRE2_NEVER_BACKSLASH_C;
	PCRE2_SIZE off = 0;
	pcre2_code *code =
	    pcre2_compile((PCRE2_SPTR)exp, len, opts, ret_errcode, &off, c->ccontext);
	*ret_erroffset = off;
	if (!code)
		return ERR_REGEX;
	/* without JIT (unsupported CPU, no executable memory) the interpreter runs it */
	(void)pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);
	*ret_code = code;
	return 0;
}

/* The expression Vectorscan gets for a pattern: the expansion, a literal escaped as a regex. NULL
 * (and 0) when it cannot have one: a NUL byte would cut its C string short. */
static int prefilter_expr(const struct buf *out, bool literal, char **ret_expr)
{
	struct buf e;
	*ret_expr = NULL;
	if (memchr(buf_str(out), '\0', out->len))
		return 0;
	buf_init(&e, 4 * RULES__MAX_EXPANDED);
	int rc = literal ? add_item(&e, buf_str(out), out->len) : buf_add(&e, buf_str(out), out->len);
	if (rc == 0 && !(*ret_expr = buf_take(&e)))
		rc = -ENOMEM;
	buf_done(&e);
	return rc == ERR_TOO_BIG ? 0 : rc;
}

int rules__pattern_compile(struct rules__compiler *c, const char *pattern, size_t len,
			   const struct rules__list *lists, size_t nlists, pcre2_code **ret_code,
			   char **ret_expr, struct rules__regex_error *ret_err)
{
	static const char prefix[] = "literal:";
	bool literal =
	    len >= sizeof(prefix) - 1 && memcmp(pattern, prefix, sizeof(prefix) - 1) == 0;
	struct expand x = {
		.pat = pattern, .len = len, .lists = lists, .nlists = nlists, .query = SIZE_MAX
	};
	pcre2_code *code = NULL;
	int errcode = 0;
	size_t erroff = 0;
	buf_init(&x.out, RULES__MAX_EXPANDED);
	int rc = literal ? buf_add(&x.out, pattern + 8, len - 8) : expand_run(&x, ret_err);
	if (rc != 0)
		goto fail;
	if (literal && x.out.len == 0) {
		snprintf(ret_err->msg, sizeof(ret_err->msg), "empty literal");
		rc = ERR_RULES;
		goto fail;
	}
	rc = compile_expanded(c, buf_str(&x.out), x.out.len, literal, &code, &errcode, &erroff);
	if (rc != 0) {
		if (literal)
			erroff += sizeof(prefix) - 1;
		else
			erroff = expand_origin(pattern, len, lists, nlists, erroff);
		rc = compile_error(errcode, erroff, ret_err);
		goto fail;
	}
	rc = check_not_empty(code, ret_err);
	if (rc == 0)
		rc = prefilter_expr(&x.out, literal, ret_expr);
	if (rc != 0)
		goto fail;
	buf_done(&x.out);
	*ret_code = code;
	return 0;
fail:
	pcre2_code_free(code);
	buf_done(&x.out);
	return rc;
}

/* ---- matching ---- */

enum { STATE_UNKNOWN = -1, STATE_NO = 0, STATE_YES = 1 };

/* One field instance of a document as the matcher sees it: its original text and, when some
 * rule reading the field reads the normalized view, its normalization (buffers reused). */
struct inst {
	unsigned field;
	size_t post; /* RULES_NO_POST, or the post it belongs to */
	const char *text; /* the original */
	size_t len;
	struct normalized norm;
	bool normed; /* norm holds this text's normalization */
};

/* A match in a view's text, for near(). */
struct vspan {
	size_t start, end;
};

struct rules_matcher {
	const struct rules_set *set;
	struct rules__scan *scan;
	pcre2_match_data *md;
	pcre2_match_context *mctx;
	pcre2_jit_stack *jit;
	/* per pattern of the rule being evaluated, on the current instance */
	signed char *state;       /* matched? */
	struct rules_span *where; /* where it first matched, when state is STATE_YES */
	int32_t *counts;          /* its count of matches, -1 until asked */
	/* per pattern and field, for `p in F` (F's instances other than the current one) */
	signed char (*scoped)[RULES__NFIELDS];
	struct rules_span *scoped_where;
	struct rules_span *spans; /* the hit's spans */
	struct vspan *near_a, *near_b;
	size_t *errors; /* per rule: PCRE2 failures */
	const struct rules__rule *rule;
	uint32_t rule_index;
	bool prefiltered; /* the scan of the current instance ran */
	struct rules__reports reports; /* what it reported, when it ran */
	bool timing;      /* rules_matcher_set_timing */
	uint64_t *rule_ns; /* per rule, when timing: CPU time confirming and evaluating it */
	uint64_t shared_ns; /* when timing: normalizing and prefiltering */
	struct inst *insts; /* the document's field instances; ninsts used, each normalized once */
	size_t ninsts, insts_alloc;
	struct inst *cur;
};

static int matcher_alloc(struct rules_matcher *m, size_t npatterns, size_t nrules)
{
	size_t n = npatterns ? npatterns : 1;
	m->state = calloc(n, sizeof(*m->state));
	m->where = calloc(n, sizeof(*m->where));
	m->counts = calloc(n, sizeof(*m->counts));
	m->scoped = calloc(n, sizeof(*m->scoped));
	m->scoped_where = calloc(n, sizeof(*m->scoped_where));
	m->spans = calloc(n, sizeof(*m->spans));
	m->near_a = calloc(RULES__MAX_NEAR_SPANS, sizeof(*m->near_a));
	m->near_b = calloc(RULES__MAX_NEAR_SPANS, sizeof(*m->near_b));
	m->errors = calloc(nrules ? nrules : 1, sizeof(*m->errors));
	m->md = pcre2_match_data_create(1, NULL);
	m->mctx = pcre2_match_context_create(NULL);
	m->jit = pcre2_jit_stack_create(RULES__JIT_STACK_MIN, RULES__JIT_STACK_MAX, NULL);
	/* a NULL JIT stack is fine: JIT then uses its 32 KiB default on the machine stack */
	if (!m->state || !m->where || !m->counts || !m->scoped || !m->scoped_where || !m->spans ||
	    !m->near_a || !m->near_b || !m->errors || !m->md || !m->mctx)
		return -ENOMEM;
	pcre2_set_match_limit(m->mctx, RULES__MATCH_LIMIT);
	pcre2_set_depth_limit(m->mctx, RULES__DEPTH_LIMIT);
	pcre2_set_heap_limit(m->mctx, RULES__HEAP_LIMIT);
	if (m->jit)
		pcre2_jit_stack_assign(m->mctx, NULL, m->jit);
	return 0;
}

int rules_matcher_new(const struct rules_set *set, struct rules_matcher **ret_matcher)
{
	struct rules_matcher *m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->set = set;
	int rc = matcher_alloc(m, set->max_patterns, set->nrules);
	if (rc == 0)
		rc = rules__scan_new(set, &m->scan);
	if (rc != 0)
		goto fail;
	*ret_matcher = m;
	return 0;
fail:
	rules_matcher_free(m);
	return rc;
}

void rules_matcher_free(struct rules_matcher *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->insts_alloc; i++)
		normalize_out_done(&m->insts[i].norm);
	free(m->insts);
	rules__scan_free(m->scan);
	pcre2_jit_stack_free(m->jit);
	pcre2_match_context_free(m->mctx);
	pcre2_match_data_free(m->md);
	free(m->rule_ns);
	free(m->errors);
	free(m->near_b);
	free(m->near_a);
	free(m->spans);
	free(m->scoped_where);
	free(m->scoped);
	free(m->counts);
	free(m->where);
	free(m->state);
	free(m);
}

static uint64_t cpu_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int rules_matcher_set_timing(struct rules_matcher *m, bool on)
{
	if (on && !m->rule_ns) {
		m->rule_ns = calloc(m->set->nrules ? m->set->nrules : 1, sizeof(*m->rule_ns));
		if (!m->rule_ns)
			return -ENOMEM;
	}
	m->timing = on;
	return 0;
}

uint64_t rules_matcher_rule_ns(const struct rules_matcher *m, size_t i)
{
	return m->rule_ns && i < m->set->nrules ? m->rule_ns[i] : 0;
}

uint64_t rules_matcher_shared_ns(const struct rules_matcher *m)
{
	return m->shared_ns;
}

size_t rules_matcher_errors(const struct rules_matcher *m, size_t i)
{
	return i < m->set->nrules ? m->errors[i] : 0;
}

/* Makes room for n instances; their normalization buffers are kept from document to document. */
static int insts_reserve(struct rules_matcher *m, size_t n)
{
	if (n <= m->insts_alloc)
		return 0;
	struct inst *p = realloc(m->insts, n * sizeof(*p));
	if (!p)
		return -ENOMEM;
	for (size_t i = m->insts_alloc; i < n; i++) {
		memset(&p[i], 0, sizeof(p[i]));
		normalize_out_init(&p[i].norm, NORMALIZE_MAX_TEXT_DEFAULT);
	}
	m->insts = p;
	m->insts_alloc = n;
	return 0;
}

/* Points inst at text as field, normalizing it when a rule reading field needs that. A text
 * whose normalization passes the cap is matched as far as it reaches (norm.truncated). */
static int inst_prepare(const struct rules_set *set, struct inst *in, unsigned field, size_t post,
			const char *text, size_t len)
{
	in->field = field;
	in->post = post;
	in->text = text ? text : "";
	in->len = text ? len : 0;
	in->normed = false;
	if (!(set->field_views[field] & (1u << RULES__VIEW_NORMALIZED)))
		return in->len > NORMALIZE_MAX_INPUT ? ERR_TOO_BIG : 0;
	int rc = normalize_text(set->nz, in->text, in->len, &in->norm);
	if (rc == ERR_TOO_BIG && in->norm.text)
		rc = 0;
	in->normed = rc == 0;
	return rc;
}

/* The text pattern view v reads in inst. */
static void inst_view(const struct inst *in, unsigned v, const char **ret_text, size_t *ret_len)
{
	bool norm = v == RULES__VIEW_NORMALIZED && in->normed;
	*ret_text = norm ? in->norm.text : in->text;
	*ret_len = norm ? in->norm.len : in->len;
}

/* A match [vs, ve) of pattern p in its view's text of inst, as a span. */
static int inst_span(const struct inst *in, const struct rules__pattern *p, size_t vs, size_t ve,
		     struct rules_span *ret)
{
	*ret = (struct rules_span){ .pattern = p->name, .field = field_names[in->field],
				    .post = in->post, .start = vs, .end = ve, .view_start = vs,
				    .view_end = ve, .raw = p->view == RULES__VIEW_RAW };
	if (ret->raw || !in->normed)
		return 0;
	return normalize_span(&in->norm, vs, ve, &ret->start, &ret->end);
}

/* One PCRE2 run of p over text: the first match that starts in window w. 1 with the match in
 * *ret, 0, or ERR_REGEX. */
static int run(struct rules_matcher *m, const struct rules__pattern *p, const char *text,
	       size_t len, const struct rules__window *w, struct vspan *ret)
{
	pcre2_set_offset_limit(m->mctx, w->limit == SIZE_MAX ? PCRE2_UNSET : w->limit);
	int rc = pcre2_match(p->code, (PCRE2_SPTR)text, len, w->start, 0, m->md, m->mctx);
	if (rc == PCRE2_ERROR_NOMATCH)
		return 0;
	/* rc == 0 only says the one-pair ovector is too small for the captures: still a match */
	if (rc < 0)
		return ERR_REGEX;
	const PCRE2_SIZE *ov = pcre2_get_ovector_pointer(m->md);
	*ret = (struct vspan){ ov[0], ov[1] };
	return 1;
}

/* The first match of pattern i of the rule that starts at byte lo or later of text, the current
 * instance's view text when prefiltered: then PCRE2 looks only in the windows around the ends
 * the prefilter reported (rules__scan_window), never through the whole text; at most
 * SCAN_ENDS + 1 runs, each one past the last. 1 with the match in *ret, 0, or ERR_REGEX. */
static int find(struct rules_matcher *m, size_t i, const char *text, size_t len, size_t lo,
		bool prefiltered, struct vspan *ret)
{
	const struct rules__pattern *p = &m->rule->patterns[i];
	struct rules__window w = { lo, SIZE_MAX };
	for (;;) {
		if (prefiltered &&
		    !rules__scan_window(m->scan, text, len, m->rule_index, (uint32_t)i, lo, &w))
			return 0;
		int rc = run(m, p, text, len, &w, ret);
		if (rc != 0 || w.limit == SIZE_MAX)
			return rc;
		lo = w.limit + 1;
	}
}

/* Whether pattern i matches in the current instance: run once, in the prefilter's windows. */
static int pattern_matched(struct rules_matcher *m, size_t i)
{
	if (m->state[i] != STATE_UNKNOWN)
		return m->state[i];
	const struct rules__pattern *p = &m->rule->patterns[i];
	const char *text;
	size_t len;
	struct vspan v;
	inst_view(m->cur, p->view, &text, &len);
	int rc = find(m, i, text, len, 0, m->prefiltered, &v);
	if (rc == 1)
		rc = inst_span(m->cur, p, v.start, v.end, &m->where[i]) ?: 1;
	if (rc >= 0)
		m->state[i] = (signed char)rc;
	return rc;
}

/* Collects up to max non-overlapping matches of pattern i in the current instance, the first
 * being the one pattern_matched found. Returns how many, or ERR_REGEX. */
static int collect(struct rules_matcher *m, size_t i, struct vspan *out, size_t max)
{
	int rc = pattern_matched(m, i);
	if (rc <= 0)
		return rc;
	const struct rules__pattern *p = &m->rule->patterns[i];
	const char *text;
	size_t len, n = 1;
	inst_view(m->cur, p->view, &text, &len);
	out[0] = (struct vspan){ m->where[i].view_start, m->where[i].view_end };
	while (n < max) {
		size_t from = out[n - 1].end;
		if (from == out[n - 1].start) { /* an empty match: step over one character */
			if (from >= len)
				break;
			from++;
			while (from < len && ((unsigned char)text[from] & 0xc0) == 0x80)
				from++;
		}
		rc = find(m, i, text, len, from, m->prefiltered, &out[n]);
		if (rc < 0)
			return rc;
		if (rc == 0)
			break;
		n++;
	}
	return (int)n;
}

/* #i: the count of non-overlapping matches, at most RULES__MAX_COUNT. */
static int pattern_count(struct rules_matcher *m, size_t i, size_t *ret)
{
	if (m->counts[i] < 0) {
		int n = collect(m, i, m->near_a, RULES__MAX_COUNT);
		if (n < 0)
			return n;
		m->counts[i] = n;
	}
	*ret = (size_t)m->counts[i];
	return 0;
}

/* Code points in text[from, to). */
static size_t cps(const char *text, size_t from, size_t to)
{
	size_t n = 0;
	for (size_t k = from; k < to; k++)
		n += ((unsigned char)text[k] & 0xc0) != 0x80;
	return n;
}

/* The gap between a and the nearest of b[0..nb) (sorted, not overlapping), in code points. */
static size_t nearest_gap(const char *text, struct vspan a, const struct vspan *b, size_t nb)
{
	size_t lo = 0, hi = nb; /* the first b that ends after a starts */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (b[mid].end <= a.start)
			lo = mid + 1;
		else
			hi = mid;
	}
	size_t gap = SIZE_MAX;
	if (lo > 0)
		gap = cps(text, b[lo - 1].end, a.start);
	if (lo < nb) {
		size_t g = b[lo].start < a.end ? 0 : cps(text, a.end, b[lo].start);
		gap = g < gap ? g : gap;
	}
	return gap;
}

/* near(a, b, n): some match of a and some match of b at most n code points apart (0 when they
 * touch or overlap), among the first RULES__MAX_NEAR_SPANS matches of each. */
static int near(struct rules_matcher *m, size_t a, size_t b, uint32_t n)
{
	int na = collect(m, a, m->near_a, RULES__MAX_NEAR_SPANS);
	int nb = na > 0 ? collect(m, b, m->near_b, RULES__MAX_NEAR_SPANS) : na;
	if (nb <= 0)
		return nb;
	const char *text;
	size_t len;
	inst_view(m->cur, m->rule->patterns[a].view, &text, &len);
	for (int k = 0; k < na; k++)
		if (nearest_gap(text, m->near_a[k], m->near_b, (size_t)nb) <= n)
			return 1;
	return 0;
}

/* Whether pattern i matches in instance in, from its start (no prefilter there); the first match
 * goes to *ret. */
static int matched_in(struct rules_matcher *m, size_t i, const struct inst *in,
		      struct rules_span *ret)
{
	const struct rules__pattern *p = &m->rule->patterns[i];
	const char *text;
	size_t len;
	struct vspan v;
	inst_view(in, p->view, &text, &len);
	int rc = find(m, i, text, len, 0, false, &v);
	return rc == 1 ? inst_span(in, p, v.start, v.end, ret) ?: 1 : rc;
}

/* `i in field f`: the current post's author, or any instance of f. */
static int scoped_matched(struct rules_matcher *m, size_t i, unsigned f)
{
	bool own = f == RULES__FIELD_AUTHOR && m->cur->field == RULES__FIELD_POST;
	if (!own && m->scoped[i][f] != STATE_UNKNOWN)
		return m->scoped[i][f];
	int rc = 0;
	for (size_t k = 0; k < m->ninsts && rc == 0; k++) {
		const struct inst *in = &m->insts[k];
		if (in->field == f && (!own || in->post == m->cur->post))
			rc = matched_in(m, i, in, &m->scoped_where[i]);
	}
	if (!own && rc >= 0)
		m->scoped[i][f] = (signed char)rc;
	return rc;
}

/* rules__leaf_fn */
static int leaf(void *ud, const struct rules__node *n)
{
	struct rules_matcher *m = ud;
	size_t count;
	int rc;
	switch (n->op) {
	case RULES__OP_PAT:
		return n->scope ? scoped_matched(m, n->arg, n->scope - 1u)
				: pattern_matched(m, n->arg);
	case RULES__OP_COUNT:
		rc = pattern_count(m, n->arg, &count);
		return rc < 0 ? rc : rules__cmp_holds(n->cmp, count, n->num);
	default:
		return near(m, n->arg, n->arg2, n->num);
	}
}

/* After the condition held: every positive pattern is run, and those that matched are spans. */
static int collect_spans(struct rules_matcher *m, size_t *ret_first)
{
	size_t n = 0, first = SIZE_MAX;
	for (size_t i = 0; i < m->rule->info.npatterns; i++) {
		const struct rules__pattern *p = &m->rule->patterns[i];
		if (!p->positive)
			continue;
		int rc = p->scope ? scoped_matched(m, i, p->scope - 1u) : pattern_matched(m, i);
		if (rc < 0)
			return rc;
		if (rc == 0)
			continue;
		m->spans[n] = p->scope ? m->scoped_where[i] : m->where[i];
		if (!p->scope && (first == SIZE_MAX || m->spans[n].start < m->spans[first].start))
			first = n;
		n++;
	}
	*ret_first = first;
	return (int)n;
}

/* Runs the prefilter over the current instance unless exhaustive. On return m->prefiltered
 * says whether it ran; when it did, *ret_cands lists the rules worth trying. */
static int match_scan(struct rules_matcher *m, bool exhaustive, const uint32_t **ret_cands,
		      size_t *ret_n)
{
	m->prefiltered = false;
	if (exhaustive)
		return 0;
	struct rules__texts t = { 0 };
	for (unsigned v = 0; v < RULES__NVIEWS; v++)
		if (m->set->field_views[m->cur->field] & (1u << v))
			inst_view(m->cur, v, &t.text[v], &t.len[v]);
	int rc = rules__scan_run(m->scan, m->cur->field, &t, ret_cands, ret_n);
	m->prefiltered = rc == 0;
	if (m->prefiltered)
		rules__scan_reports(m->scan, &m->reports);
	return rc;
}

/* A condition's value before PCRE2 runs, as the prefilter's reports settle it: 0, 1, or
 * MAYBE when some pattern it reported must be confirmed. */
enum { MAYBE = 2 };

static int settled(const struct rules_matcher *m, uint32_t i);

/* Whether pattern k of the rule may match in the current instance (see settled). */
static bool may_match(const struct rules_matcher *m, uint32_t k)
{
	const struct rules__pattern *p = &m->rule->patterns[k];
	const struct rules__reports *r = &m->reports;
	return p->always || !r->ran[p->view] || rules__reported(r->seen[p->view], r->epoch, p);
}

/* and, or and of: and is 0 at its first 0, or 1 at its first 1, as they evaluate. */
static int settled_list(const struct rules_matcher *m, const struct rules__node *n)
{
	const struct rules__node *nodes = m->rule->cond;
	uint32_t yes = 0, maybe = 0;
	for (uint32_t c = n->arg; c != RULES__NONE; c = nodes[c].next) {
		int v = settled(m, c);
		if (n->op == RULES__OP_AND && v == 0)
			return 0;
		if (n->op == RULES__OP_OR && v == 1)
			return 1;
		yes += v == 1;
		maybe += v == MAYBE;
	}
	if (n->op == RULES__OP_OF)
		return yes >= n->num ? 1 : yes + maybe < n->num ? 0 : MAYBE;
	return maybe ? MAYBE : n->op == RULES__OP_AND;
}

/* Node i of the rule's condition on the prefiltered current instance: a pattern the prefilter
 * did not report is no match (as find would find), its count 0; a pattern scoped to other
 * instances is always MAYBE. */
static int settled(const struct rules_matcher *m, uint32_t i)
{
	const struct rules__node *n = &m->rule->cond[i];
	int v;
	switch (n->op) {
	case RULES__OP_PAT:
		return n->scope || may_match(m, n->arg) ? MAYBE : 0;
	case RULES__OP_COUNT:
		return may_match(m, n->arg) ? MAYBE : rules__cmp_holds(n->cmp, 0, n->num);
	case RULES__OP_NEAR:
		return may_match(m, n->arg) && may_match(m, n->arg2) ? MAYBE : 0;
	case RULES__OP_NOT:
		v = settled(m, n->arg);
		return v == MAYBE ? v : !v;
	default:
		return settled_list(m, n);
	}
}

/* Matches the current instance against rule number rule only. Returns 1 and fills *ret_hit
 * (valid until the matcher is used again) when the rule holds, 0 when it does not, ERR_REGEX on a
 * PCRE2 error (counted for the rule). */
static int match_rule(struct rules_matcher *m, size_t rule, struct rules_hit *ret_hit)
{
	const struct rules__rule *r = &m->set->rules[rule];
	m->rule = r;
	m->rule_index = (uint32_t)rule;
	/* most candidates are settled false by what the prefilter did not report (a rule of three
	 * ands with one common word among them): no PCRE2 run, the same answer */
	if (m->prefiltered && settled(m, r->root) == 0)
		return 0;
	memset(m->state, STATE_UNKNOWN, r->info.npatterns);
	memset(m->counts, 0xff, r->info.npatterns * sizeof(*m->counts));
	if (r->scoped)
		memset(m->scoped, STATE_UNKNOWN, r->info.npatterns * sizeof(*m->scoped));
	int rc = rules__cond_eval(r->cond, r->root, leaf, m);
	size_t first = SIZE_MAX;
	int n = rc > 0 ? collect_spans(m, &first) : rc;
	if (n < 0) {
		m->errors[rule]++;
		return n;
	}
	if (rc <= 0)
		return rc;
	/* a condition that holds has a matched positive pattern here: the loader refuses others */
	if (first == SIZE_MAX)
		return ERR_INTERNAL;
	*ret_hit = (struct rules_hit){
		.rule = rule,
		.field = field_names[m->cur->field],
		.post = m->cur->post,
		.start = m->spans[first].start,
		.end = m->spans[first].end,
		.spans = m->spans,
		.nspans = (size_t)n,
		.normalized = m->cur->normed ? m->cur->norm.text : NULL,
		.normalized_len = m->cur->normed ? m->cur->norm.len : 0,
	};
	return 1;
}

/* Tries rule i and reports its hit: 0 to go on, fn's non-zero return, or an error code in
 * *failed (the first one) while the other rules go on. */
static int match_one(struct rules_matcher *m, size_t i, rules_hit_fn fn, void *ud, int *failed)
{
	struct rules_hit hit;
	uint64_t t0 = m->timing ? cpu_ns() : 0;
	int rc = match_rule(m, i, &hit);
	if (m->timing)
		m->rule_ns[i] += cpu_ns() - t0;
	if (rc < 0 && *failed == 0)
		*failed = rc;
	return rc > 0 ? fn(&hit, ud) : 0; /* one failing rule must not blind the others */
}

/* Matches instance k against every rule reading its field. */
static int match_inst(struct rules_matcher *m, size_t k, bool exhaustive, rules_hit_fn fn,
		      void *ud, int *failed)
{
	const uint32_t *cands = NULL;
	size_t ncands = 0;
	m->cur = &m->insts[k];
	uint64_t t0 = m->timing ? cpu_ns() : 0;
	int rc = match_scan(m, exhaustive, &cands, &ncands);
	if (m->timing)
		m->shared_ns += cpu_ns() - t0;
	if (m->prefiltered) {
		for (size_t c = 0; c < ncands && rc == 0; c++)
			rc = match_one(m, cands[c], fn, ud, failed);
	} else {
		for (size_t i = 0; i < m->set->nrules && rc == 0; i++)
			if (m->set->rules[i].fields & (1u << m->cur->field))
				rc = match_one(m, i, fn, ud, failed);
	}
	return rc;
}

int rules__match(struct rules_matcher *m, const char *field, const char *text, size_t len,
		 bool exhaustive, rules_hit_fn fn, void *ud)
{
	int f = field ? rules__field_find(field, strlen(field)) : -1;
	if (f < 0)
		return ERR_USAGE;
	int rc = insts_reserve(m, 1);
	m->ninsts = 0;
	if (rc == 0)
		rc = inst_prepare(m->set, &m->insts[0], (unsigned)f, RULES_NO_POST, text, len);
	if (rc != 0)
		return rc;
	m->ninsts = 1;
	int failed = 0;
	rc = match_inst(m, 0, exhaustive, fn, ud, &failed);
	return rc != 0 ? rc : failed;
}

int rules_match(struct rules_matcher *m, const char *field, const char *text, size_t len,
		rules_hit_fn fn, void *ud)
{
	return rules__match(m, field, text, len, false, fn, ud);
}

/* Adds an instance of field f when text is there and some rule reads f. */
static int doc_add(struct rules_matcher *m, unsigned f, size_t post, const char *text)
{
	if (!text || !m->set->field_views[f])
		return 0;
	int rc = inst_prepare(m->set, &m->insts[m->ninsts], f, post, text, strlen(text));
	m->ninsts += rc == 0;
	return rc;
}

/* The document's field instances, in matching order; each normalized once. */
static int doc_prepare(struct rules_matcher *m, const struct rules_doc *doc)
{
	size_t nposts = doc->posts ? doc->nposts : 0;
	nposts = nposts < RULES_MAX_POSTS ? nposts : RULES_MAX_POSTS;
	int rc = insts_reserve(m, 4 + 2 * nposts);
	m->ninsts = 0;
	if (rc == 0)
		rc = doc_add(m, RULES__FIELD_TITLE, RULES_NO_POST, doc->title);
	if (rc == 0)
		rc = doc_add(m, RULES__FIELD_BODY, RULES_NO_POST, doc->body);
	if (rc == 0)
		rc = doc_add(m, RULES__FIELD_URL, RULES_NO_POST, doc->url);
	if (rc == 0)
		rc = doc_add(m, RULES__FIELD_LINK_TEXT, RULES_NO_POST, doc->link_text);
	for (size_t i = 0; i < nposts && rc == 0; i++) {
		rc = doc_add(m, RULES__FIELD_POST, i, doc->posts[i].text);
		if (rc == 0)
			rc = doc_add(m, RULES__FIELD_AUTHOR, i, doc->posts[i].author);
	}
	return rc;
}

int rules_match_doc(struct rules_matcher *m, const struct rules_doc *doc, rules_hit_fn fn,
		    void *ud)
{
	uint64_t t0 = m->timing ? cpu_ns() : 0;
	int rc = doc_prepare(m, doc), failed = 0;
	if (m->timing)
		m->shared_ns += cpu_ns() - t0;
	for (size_t k = 0; k < m->ninsts && rc == 0; k++)
		rc = match_inst(m, k, false, fn, ud, &failed);
	return rc != 0 ? rc : failed;
}

/* ---- explaining ---- */

/* rules__count_fn: the count pattern_count left (or 0 when it was never counted). */
static size_t explain_count(void *ud, uint32_t i)
{
	const struct rules_matcher *m = ud;
	return m->counts[i] > 0 ? (size_t)m->counts[i] : 0;
}

/* Every pattern of the rule on the current instance (scoped ones in their fields): the spans of
 * those that matched go to m->spans. Returns how many, or ERR_REGEX. */
static int explain_spans(struct rules_matcher *m)
{
	int n = 0;
	for (size_t i = 0; i < m->rule->info.npatterns; i++) {
		const struct rules__pattern *p = &m->rule->patterns[i];
		int rc = p->scope ? scoped_matched(m, i, p->scope - 1u) : pattern_matched(m, i);
		if (rc < 0)
			return rc;
		if (rc > 0)
			m->spans[n++] = p->scope ? m->scoped_where[i] : m->where[i];
	}
	return n;
}

/* Explains rule number rule on the current instance when some pattern of it matched. */
static int explain_rule(struct rules_matcher *m, size_t rule, struct buf *cond,
			rules_explain_fn fn, void *ud)
{
	const struct rules__rule *r = &m->set->rules[rule];
	const char *names[RULES__MAX_PATTERNS];
	m->rule = r;
	m->rule_index = (uint32_t)rule;
	memset(m->state, STATE_UNKNOWN, r->info.npatterns);
	memset(m->counts, 0xff, r->info.npatterns * sizeof(*m->counts));
	if (r->scoped)
		memset(m->scoped, STATE_UNKNOWN, r->info.npatterns * sizeof(*m->scoped));
	for (size_t i = 0; i < r->info.npatterns && i < RULES__MAX_PATTERNS; i++)
		names[i] = r->patterns[i].name;
	int n = explain_spans(m);
	buf_reset(cond);
	int holds = n > 0 ? rules__cond_explain(r->cond, r->root, names, leaf, explain_count, m,
						 cond)
			  : n;
	if (holds == ERR_TOO_BIG) /* the text is cut; the value still counts */
		holds = rules__cond_eval(r->cond, r->root, leaf, m);
	if (holds < 0) {
		m->errors[rule]++;
		return holds;
	}
	if (n == 0)
		return 0;
	struct rules_explain e = {
		.rule = rule, .field = field_names[m->cur->field], .post = m->cur->post,
		.holds = holds == 1, .spans = m->spans, .nspans = (size_t)n,
		.condition = buf_str(cond),
	};
	return fn(&e, ud);
}

int rules_explain_doc(struct rules_matcher *m, const struct rules_doc *doc, rules_explain_fn fn,
		      void *ud)
{
	struct buf cond;
	int rc = doc_prepare(m, doc), failed = 0;
	buf_init(&cond, 1 << 16);
	for (size_t k = 0; k < m->ninsts && rc == 0; k++) {
		const uint32_t *cands = NULL;
		size_t ncands = 0;
		m->cur = &m->insts[k];
		rc = match_scan(m, false, &cands, &ncands);
		for (size_t c = 0; c < ncands && rc == 0 && m->prefiltered; c++) {
			rc = explain_rule(m, cands[c], &cond, fn, ud);
			if (rc < 0 && rc != -ENOMEM) { /* a failing rule must not blind the others */
				failed = failed ? failed : rc;
				rc = 0;
			}
		}
		for (size_t i = 0; i < m->set->nrules && rc == 0 && !m->prefiltered; i++) {
			if (!(m->set->rules[i].fields & (1u << m->cur->field)))
				continue;
			rc = explain_rule(m, i, &cond, fn, ud);
			if (rc < 0 && rc != -ENOMEM) {
				failed = failed ? failed : rc;
				rc = 0;
			}
		}
	}
	buf_done(&cond);
	return rc != 0 ? rc : failed;
}

/* ---- self-test ---- */

/* Appends s in double quotes on one line, escaped, cut after about 200 bytes. */
static int add_quoted(struct buf *b, const char *s)
{
	int rc = buf_addc(b, '"');
	size_t n = strlen(s), k;
	for (k = 0; k < n && k < 200 && rc == 0; k++) {
		unsigned char c = (unsigned char)s[k];
		if (c == '"' || c == '\\')
			rc = buf_add(b, (const char[]){ '\\', (char)c }, 2);
		else if (c == '\n')
			rc = buf_addstr(b, "\\n");
		else if (c < 0x20 || c == 0x7f)
			rc = buf_addf(b, "\\x%02x", c);
		else
			rc = buf_addc(b, (char)c);
	}
	while (rc == 0 && k < n && ((unsigned char)s[k] & 0xc0) == 0x80)
		rc = buf_addc(b, s[k++]);
	if (rc == 0 && k < n)
		rc = buf_addstr(b, "…");
	return rc == 0 ? buf_addc(b, '"') : rc;
}

static int report(struct buf *b, const struct rules__rule *r, const char *what, size_t n,
		  const char *outcome, const char *example)
{
	if (!b)
		return 0;
	size_t mark = b->len;
	int rc =
	    buf_addf(b, "%s: %s: %s example %zu %s: ", r->info.pack, r->info.id, what, n, outcome);
	if (rc == 0)
		rc = add_quoted(b, example);
	if (rc == 0)
		rc = buf_addc(b, '\n');
	if (rc == ERR_TOO_BIG) { /* a full report keeps whole lines only */
		b->len = mark;
		if (b->data)
			b->data[mark] = '\0';
		rc = 0;
	}
	return rc;
}

/* Whether rule i holds on some instance of the prepared document, with the prefilter or, when
 * exhaustive, PCRE2 alone: 1, 0 or an error code. */
static int rule_holds(struct rules_matcher *m, size_t i, bool exhaustive)
{
	struct rules_hit hit;
	for (size_t k = 0; k < m->ninsts; k++) {
		const uint32_t *cands = NULL;
		size_t ncands = 0;
		m->cur = &m->insts[k];
		if (!(m->set->rules[i].fields & (1u << m->cur->field)))
			continue;
		int rc = match_scan(m, exhaustive, &cands, &ncands);
		bool cand = !m->prefiltered;
		for (size_t c = 0; c < ncands && !cand; c++)
			cand = cands[c] == i;
		if (rc == 0 && cand)
			rc = match_rule(m, i, &hit);
		if (rc != 0)
			return rc;
	}
	return 0;
}

/* Matches one example against rule i as a crawl would (a document with the example in every field
 * the rule reads, normalized, prefiltered) and once more with PCRE2 alone: 1 or 0 when both
 * agree, 2 when the prefilter missed a match or found one PCRE2 alone does not (a bug to
 * report), or an error code. */
static int test_example(struct rules_matcher *m, size_t i, const char *text)
{
	unsigned fields = m->set->rules[i].fields;
	struct rules_post post = { .text = text, .author = text };
	struct rules_doc doc = { .posts = &post, .nposts = 1 };
	doc.title = fields & (1u << RULES__FIELD_TITLE) ? text : NULL;
	doc.body = fields & (1u << RULES__FIELD_BODY) ? text : NULL;
	doc.url = fields & (1u << RULES__FIELD_URL) ? text : NULL;
	doc.link_text = fields & (1u << RULES__FIELD_LINK_TEXT) ? text : NULL;
	int rc = doc_prepare(m, &doc);
	if (rc == 0)
		rc = rule_holds(m, i, false);
	if (rc < 0)
		return rc;
	int alone = rule_holds(m, i, true);
	return alone < 0 || alone == rc ? rc : 2;
}

/* Runs one rule's examples of one kind; returns failures (>= 0) or -ENOMEM. */
static int test_examples(struct rules_matcher *m, size_t i, bool want, struct buf *b)
{
	const struct rules__rule *r = &m->set->rules[i];
	const char *const *ex = want ? r->match : r->nomatch;
	size_t n = want ? r->nmatch : r->nnomatch;
	int failed = 0;
	for (size_t k = 0; k < n; k++) {
		int rc = test_example(m, i, ex[k]);
		if (rc == 0 || rc == 1) {
			if ((rc == 1) == want)
				continue;
		}
		failed++;
		char outcome[80];
		if (rc < 0)
			snprintf(outcome, sizeof(outcome), "failed (%s)", err_str(rc));
		else if (rc == 2)
			snprintf(outcome, sizeof(outcome), "is judged differently by the prefilter");
		else
			snprintf(outcome, sizeof(outcome), want ? "did not match" : "matched");
		rc = report(b, r, want ? "match" : "no-match", k + 1, outcome, ex[k]);
		if (rc != 0)
			return rc;
	}
	return failed;
}

int rules_set_selftest(const struct rules_set *set, struct buf *report, size_t *ret_failed)
{
	struct rules_matcher *m;
	int rc = rules_matcher_new(set, &m);
	if (rc != 0)
		return rc;
	size_t failed = 0;
	for (size_t i = 0; i < set->nrules; i++) {
		for (int want = 1; want >= 0; want--) {
			rc = test_examples(m, i, want, report);
			if (rc < 0)
				goto fail;
			failed += (size_t)rc;
		}
	}
	rules_matcher_free(m);
	*ret_failed = failed;
	return 0;
fail:
	rules_matcher_free(m);
	return rc;
}
