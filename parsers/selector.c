/* SPDX-License-Identifier: MIT */
/* The selector language of selector.h: a recursive-descent compiler into fixed tables, and a
 * right-to-left matcher.
 *
 * A compiled selector is one allocation: the tables, then a pool holding a NUL-terminated copy of
 * every name and value (tag and attribute names lowered), so selector_free is one free().
 * No shared state.
 */
#include "parsers/selector.h"

#include "common/err.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum sel_kind { SEL_ATTR_HAS, SEL_ATTR_EQ, SEL_ATTR_PREFIX, SEL_CLASS };

/* The combinator between a compound and the one on its left. */
enum sel_comb { COMB_NONE, COMB_DESCENDANT, COMB_CHILD };

struct sel_simple {
	unsigned char kind;
	const char *name;  /* attribute name: "id" for #id, "class" for .class */
	const char *value; /* NULL for SEL_ATTR_HAS */
};

struct sel_compound {
	const char *tag; /* NULL: any */
	unsigned char comb;
	unsigned short first, n; /* its simples */
};

struct sel_alt {
	unsigned short first, n; /* its compounds, left to right */
};

struct selector {
	struct sel_alt alts[SELECTOR_MAX_ALTS];
	struct sel_compound comps[SELECTOR_MAX_COMPOUNDS];
	struct sel_simple simples[SELECTOR_MAX_SIMPLES];
	size_t nalts, ncomps, nsimples;
	size_t pool_used;
	char pool[]; /* 2 * len + 2 bytes: every piece and its NUL fit */
};

/* ---- Compiling ---- */

struct parser {
	const char *s;
	size_t pos;
	struct selector *sel;
	struct selector_error *err;
};

static bool is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

/* Letters, digits, '-', '_' and any non-ASCII byte: CSS identifiers, leniently (a leading
 * digit is allowed, as ids and classes in real pages have them). */
static bool is_ident(char c)
{
	unsigned char u = (unsigned char)c;
	return (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || (u >= '0' && u <= '9') ||
	       u == '-' || u == '_' || u >= 0x80;
}

static char ascii_lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* The 1-based character column of byte offset at. */
static size_t column_of(const char *s, size_t at)
{
	size_t col = 1;
	for (size_t i = 0; i < at && s[i]; i++)
		col += ((unsigned char)s[i] & 0xC0) != 0x80;
	return col;
}

__attribute__((format(printf, 3, 4))) static int fail(struct parser *p, size_t at, const char *fmt,
						      ...)
{
	if (p->err) {
		va_list ap;
		va_start(ap, fmt);
		p->err->column = column_of(p->s, at);
		vsnprintf(p->err->message, sizeof(p->err->message), fmt, ap);
		va_end(ap);
	}
	return ERR_PARSE;
}

/* An error for the character at p->pos, which the grammar does not allow there. */
static int unexpected(struct parser *p)
{
	char c = p->s[p->pos];
	if (c == '\0')
		return fail(p, p->pos, "the selector ends too soon");
	if (c == '+' || c == '~')
		return fail(
			p, p->pos,
			"the '%c' combinator is not supported (only descendant ' ' and child '>')",
			c);
	if (c == ':')
		return fail(p, p->pos, "pseudo-classes (':...') are not supported");
	if (c == '\\')
		return fail(p, p->pos, "backslash escapes are not supported");
	if ((unsigned char)c < 0x20 || c == 0x7F)
		return fail(p, p->pos, "unexpected control character 0x%02X", (unsigned)c);
	return fail(p, p->pos, "unexpected '%c'", c);
}

static size_t skip_ws(struct parser *p)
{
	size_t start = p->pos;
	while (is_ws(p->s[p->pos]))
		p->pos++;
	return p->pos - start;
}

static size_t ident_len(const struct parser *p)
{
	size_t n = 0;
	while (is_ident(p->s[p->pos + n]))
		n++;
	return n;
}

/* Copies n bytes at s into the pool, NUL-terminated, lowered when asked. */
static const char *pool_add(struct parser *p, const char *s, size_t n, bool lower)
{
	char *out = p->sel->pool + p->sel->pool_used;
	for (size_t i = 0; i < n; i++)
		out[i] = lower ? ascii_lower(s[i]) : s[i];
	out[n] = '\0';
	p->sel->pool_used += n + 1;
	return out;
}

static int add_simple(struct parser *p, size_t at, enum sel_kind kind, const char *name,
		      const char *value)
{
	struct selector *sel = p->sel;
	if (sel->nsimples == SELECTOR_MAX_SIMPLES)
		return fail(p, at, "more than %d classes, ids and attributes",
			    SELECTOR_MAX_SIMPLES);
	sel->simples[sel->nsimples++] = (struct sel_simple){(unsigned char)kind, name, value};
	sel->comps[sel->ncomps - 1].n++;
	return 0;
}

/* A bare identifier, or a string in single or double quotes, as an attribute value. */
static int parse_value(struct parser *p, const char **ret)
{
	char q = p->s[p->pos];
	if (q == '"' || q == '\'') {
		const char *end = strchr(p->s + p->pos + 1, q);
		if (!end)
			return fail(p, p->pos, "unterminated string");
		size_t start = p->pos + 1, n = (size_t)(end - p->s) - start;
		*ret = pool_add(p, p->s + start, n, false);
		p->pos = start + n + 1;
		return 0;
	}
	size_t n = ident_len(p);
	if (n == 0)
		return fail(p, p->pos, "expected a value (a name, or a string in quotes)");
	*ret = pool_add(p, p->s + p->pos, n, false);
	p->pos += n;
	return 0;
}

/* The operator after an attribute name: SEL_ATTR_HAS for ']' (not consumed). */
static int parse_attr_op(struct parser *p, size_t open, enum sel_kind *ret)
{
	const char *s = p->s + p->pos;
	if (s[0] == ']') {
		*ret = SEL_ATTR_HAS;
		return 0;
	}
	if (s[0] == '=' || (s[0] == '^' && s[1] == '=')) {
		*ret = s[0] == '=' ? SEL_ATTR_EQ : SEL_ATTR_PREFIX;
		p->pos += s[0] == '=' ? 1 : 2;
		return 0;
	}
	if (s[0] && strchr("~|$*", s[0]) && s[1] == '=')
		return fail(p, p->pos,
			    "'%c=' is not supported (only [attr], [attr=value], [attr^=prefix])",
			    s[0]);
	if (!s[0])
		return fail(p, p->pos, "no ']' closes the '[' at column %zu",
			    column_of(p->s, open));
	return fail(p, p->pos, "expected '=', '^=' or ']' after the attribute name");
}

/* "[name]", "[name=value]" or "[name^=value]", at '['. */
static int parse_attr(struct parser *p)
{
	size_t open = p->pos++;
	skip_ws(p);
	size_t n = ident_len(p);
	if (n == 0)
		return p->s[p->pos] ? fail(p, p->pos, "expected an attribute name after '['")
				    : unexpected(p);
	const char *name = pool_add(p, p->s + p->pos, n, true), *value = NULL;
	p->pos += n;
	skip_ws(p);
	enum sel_kind kind = SEL_ATTR_HAS;
	int rc = parse_attr_op(p, open, &kind);
	if (!rc && kind != SEL_ATTR_HAS) {
		skip_ws(p);
		rc = parse_value(p, &value);
		skip_ws(p);
	}
	if (!rc && p->s[p->pos] != ']')
		rc = p->s[p->pos] ? fail(p, p->pos, "expected ']'")
				  : fail(p, p->pos, "no ']' closes the '[' at column %zu",
					 column_of(p->s, open));
	if (rc)
		return rc;
	p->pos++;
	return add_simple(p, open, kind, name, value);
}

/* ".name" or "#name", at the '.' or '#'. */
static int parse_class_or_id(struct parser *p)
{
	size_t at = p->pos++;
	bool cls = p->s[at] == '.';
	size_t n = ident_len(p);
	if (n == 0)
		return fail(p, p->pos,
			    cls ? "expected a class name after '.'" : "expected an id after '#'");
	const char *v = pool_add(p, p->s + p->pos, n, false);
	p->pos += n;
	return add_simple(p, at, cls ? SEL_CLASS : SEL_ATTR_EQ, cls ? "class" : "id", v);
}

/* A compound selector: an optional tag or '*', then any number of .class, #id and [attr]. */
static int parse_compound(struct parser *p, enum sel_comb comb)
{
	struct selector *sel = p->sel;
	size_t start = p->pos;
	if (sel->ncomps == SELECTOR_MAX_COMPOUNDS)
		return fail(p, start, "more than %d compound selectors", SELECTOR_MAX_COMPOUNDS);
	struct sel_compound *c = &sel->comps[sel->ncomps++];
	*c = (struct sel_compound){NULL, (unsigned char)comb, (unsigned short)sel->nsimples, 0};
	size_t n = ident_len(p);
	if (n > 0)
		c->tag = pool_add(p, p->s + p->pos, n, true);
	p->pos += p->s[p->pos] == '*' ? 1 : n;
	int rc = 0;
	for (;;) {
		char ch = p->s[p->pos];
		if (ch == '.' || ch == '#')
			rc = parse_class_or_id(p);
		else if (ch == '[')
			rc = parse_attr(p);
		else
			break;
		if (rc)
			return rc;
	}
	return p->pos == start ? unexpected(p) : 0;
}

/* Compound selectors joined by combinators, up to ',' or the end. */
static int parse_complex(struct parser *p)
{
	struct selector *sel = p->sel;
	if (sel->nalts == SELECTOR_MAX_ALTS)
		return fail(p, p->pos, "more than %d alternatives", SELECTOR_MAX_ALTS);
	struct sel_alt *alt = &sel->alts[sel->nalts++];
	alt->first = (unsigned short)sel->ncomps;
	enum sel_comb comb = COMB_NONE;
	for (;;) {
		int rc = parse_compound(p, comb);
		if (rc)
			return rc;
		alt->n++;
		size_t ws = skip_ws(p);
		char c = p->s[p->pos];
		if (c == '\0' || c == ',')
			return 0;
		if (c == '>') {
			size_t gt = p->pos++;
			skip_ws(p);
			if (p->s[p->pos] == '\0' || p->s[p->pos] == ',')
				return fail(p, gt, "expected a selector after '>'");
			comb = COMB_CHILD;
		} else if (ws > 0) {
			comb = COMB_DESCENDANT;
		} else {
			return unexpected(p);
		}
	}
}

static int parse_list(struct parser *p)
{
	skip_ws(p);
	if (p->s[p->pos] == '\0')
		return fail(p, p->pos, "empty selector");
	for (;;) {
		int rc = parse_complex(p);
		if (rc)
			return rc;
		if (p->s[p->pos] == '\0')
			return 0;
		size_t comma = p->pos++; /* parse_complex stops only at ',' or the end */
		skip_ws(p);
		if (p->s[p->pos] == '\0')
			return fail(p, comma, "expected a selector after ','");
	}
}

int selector_compile(const char *text, struct selector **ret_sel, struct selector_error *ret_err)
{
	struct parser p = {.s = text ? text : "", .err = ret_err};
	size_t len = strnlen(p.s, SELECTOR_MAX_LEN + 1);
	if (len > SELECTOR_MAX_LEN)
		return fail(&p, SELECTOR_MAX_LEN, "longer than %d bytes", SELECTOR_MAX_LEN);
	p.sel = calloc(1, sizeof(*p.sel) + 2 * len + 2);
	if (!p.sel)
		return -ENOMEM;
	int rc = parse_list(&p);
	if (rc) {
		free(p.sel);
		return rc;
	}
	*ret_sel = p.sel;
	return 0;
}

void selector_free(struct selector *sel)
{
	free(sel);
}

size_t selector_alternatives(const struct selector *sel)
{
	return sel->nalts;
}

const char *selector_subject_tag(const struct selector *sel, size_t i)
{
	const struct sel_alt *alt = &sel->alts[i];
	return sel->comps[alt->first + alt->n - 1].tag;
}

/* ---- Matching ---- */

/* Whether the white-space-separated list holds word, as class does. */
static bool has_token(const char *list, const char *word)
{
	size_t n = strlen(word);
	while (*list) {
		while (is_ws(*list))
			list++;
		size_t k = 0;
		while (list[k] && !is_ws(list[k]))
			k++;
		if (k == n && memcmp(list, word, n) == 0)
			return true;
		list += k;
	}
	return false;
}

static bool simple_matches(const struct sel_simple *sm, const struct selector_dom *dom,
			   const void *el)
{
	const char *v = dom->attr(el, sm->name);
	if (!v)
		return false;
	switch ((enum sel_kind)sm->kind) {
	case SEL_ATTR_HAS: return true;
	case SEL_ATTR_EQ: return strcmp(v, sm->value) == 0;
	case SEL_ATTR_PREFIX: /* an empty prefix matches nothing, as in CSS */
		return sm->value[0] && strncmp(v, sm->value, strlen(sm->value)) == 0;
	case SEL_CLASS: return has_token(v, sm->value);
	}
	return false;
}

static bool compound_matches(const struct selector *sel, const struct sel_compound *c,
			     const struct selector_dom *dom, const void *el)
{
	if (c->tag && !dom->tag_is(el, c->tag))
		return false;
	for (size_t i = c->first; i < (size_t)c->first + c->n; i++)
		if (!simple_matches(&sel->simples[i], dom, el))
			return false;
	return true;
}

/* After WebKit's selector checker: a failed compound lets an enclosing descendant combinator
 * try the next ancestor (LOCAL), but a descendant combinator that ran out of ancestors fails
 * the whole match (COMPLETE), since ancestors further up have fewer ancestors still. */
enum { MATCH_OK, MATCH_FAILS_LOCALLY, MATCH_FAILS_COMPLETELY };

/* Whether el matches compound i of comps and the compounds left of it match its ancestors. */
static int match_from(const struct selector *sel, const struct sel_compound *comps, size_t i,
		      const struct selector_dom *dom, const void *el)
{
	if (!compound_matches(sel, &comps[i], dom, el))
		return MATCH_FAILS_LOCALLY;
	if (i == 0)
		return MATCH_OK;
	const void *up = dom->parent(el);
	if (comps[i].comb == COMB_CHILD)
		return up ? match_from(sel, comps, i - 1, dom, up) : MATCH_FAILS_COMPLETELY;
	for (; up; up = dom->parent(up)) {
		int r = match_from(sel, comps, i - 1, dom, up);
		if (r != MATCH_FAILS_LOCALLY)
			return r;
	}
	return MATCH_FAILS_COMPLETELY;
}

int selector_match(const struct selector *sel, const struct selector_dom *dom, const void *el)
{
	for (size_t i = 0; i < sel->nalts; i++) {
		const struct sel_alt *alt = &sel->alts[i];
		if (match_from(sel, &sel->comps[alt->first], alt->n - 1u, dom, el) == MATCH_OK)
			return (int)i;
	}
	return -1;
}
