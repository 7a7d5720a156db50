/* SPDX-License-Identifier: MIT */
/* The condition language of a rule: a recursive-descent parser and a lazy evaluator.
 *
 *   or      := and ("or" and)*
 *   and     := unary ("and" unary)*
 *   unary   := "not" unary | primary
 *   primary := "(" or ")" | ("all" | "any") "of" "them" | pattern-name
 *
 * Chains of and/or become one n-ary node, so the tree is only as deep as the parentheses and nots,
 * which the parser caps. Errors carry the byte offset of the token they concern.
 */
#include "rules/rules_int.h"

#include "common/err.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

enum tok { TOK_END, TOK_NAME, TOK_LPAREN, TOK_RPAREN, TOK_BAD };

struct parser {
	const char *src;
	size_t len, pos;
	enum tok tok;
	size_t tstart, tlen; /* the current token */
	const char *const *names;
	size_t nnames;
	struct rules__node *nodes;
	size_t nnodes, alloc;
	unsigned depth;
	int rc; /* the first failure: ERR_RULES or -ENOMEM */
	rules__cond_error_fn err;
	void *ud;
};

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static bool is_name_start(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool is_name_char(char c)
{
	return is_name_start(c) || (c >= '0' && c <= '9');
}

static size_t utf8_len(unsigned char c)
{
	if (c >= 0xf0)
		return 4;
	if (c >= 0xe0)
		return 3;
	return c >= 0xc0 ? 2 : 1;
}

static void next(struct parser *p)
{
	while (p->pos < p->len && is_space(p->src[p->pos]))
		p->pos++;
	p->tstart = p->pos;
	if (p->pos == p->len) {
		p->tok = TOK_END;
		p->tlen = 0;
		return;
	}
	char c = p->src[p->pos];
	if (is_name_start(c)) {
		while (p->pos < p->len && is_name_char(p->src[p->pos]))
			p->pos++;
		p->tok = TOK_NAME;
	} else if (c == '(' || c == ')') {
		p->pos++;
		p->tok = c == '(' ? TOK_LPAREN : TOK_RPAREN;
	} else {
		size_t n = utf8_len((unsigned char)c);
		p->pos += n < p->len - p->pos ? n : p->len - p->pos;
		p->tok = TOK_BAD;
	}
	p->tlen = p->pos - p->tstart;
}

static bool is_word(const struct parser *p, const char *word)
{
	return p->tok == TOK_NAME && p->tlen == strlen(word) &&
	       memcmp(p->src + p->tstart, word, p->tlen) == 0;
}

/* Reports a syntax error at the current token, naming it, and fails the parse. */
static uint32_t fail_at_token(struct parser *p, const char *expected)
{
	if (p->tok == TOK_END)
		p->err(p->ud, p->tstart, "condition: expected %s, found end of condition",
		       expected);
	else if (p->tok == TOK_BAD)
		p->err(p->ud, p->tstart, "condition: unexpected character '%.*s'", (int)p->tlen,
		       p->src + p->tstart);
	else
		p->err(p->ud, p->tstart, "condition: expected %s, found '%.*s'", expected,
		       (int)p->tlen, p->src + p->tstart);
	p->rc = ERR_RULES;
	return RULES__NONE;
}

static uint32_t add_node(struct parser *p, uint32_t op, uint32_t arg)
{
	if (p->nnodes == RULES__MAX_COND_NODES) {
		p->err(p->ud, p->tstart, "condition: too complex (over %d terms)",
		       RULES__MAX_COND_NODES);
		p->rc = ERR_RULES;
		return RULES__NONE;
	}
	if (p->nnodes == p->alloc) {
		size_t alloc = p->alloc ? p->alloc * 2 : 16;
		struct rules__node *nodes = realloc(p->nodes, alloc * sizeof(*nodes));
		if (!nodes) {
			p->rc = -ENOMEM;
			return RULES__NONE;
		}
		p->nodes = nodes;
		p->alloc = alloc;
	}
	p->nodes[p->nnodes] = (struct rules__node){ .op = op, .arg = arg, .next = RULES__NONE };
	return (uint32_t)p->nnodes++;
}

static uint32_t parse_or(struct parser *p);

static uint32_t parse_of_them(struct parser *p)
{
	bool all = is_word(p, "all");
	next(p);
	if (!is_word(p, "of"))
		return fail_at_token(p, all ? "'of them' after 'all'" : "'of them' after 'any'");
	next(p);
	if (!is_word(p, "them"))
		return fail_at_token(p, "'them' after 'of'");
	next(p);
	return add_node(p, all ? RULES__OP_ALL : RULES__OP_ANY, 0);
}

static bool is_keyword(const struct parser *p)
{
	static const char *const words[] = { "and", "or", "not", "of", "them" };
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (is_word(p, words[i]))
			return true;
	return false;
}

/* A pattern name. An unknown one is reported but the parse goes on, to find the others too. */
static uint32_t parse_name(struct parser *p)
{
	const char *name = p->src + p->tstart;
	size_t len = p->tlen, at = p->tstart;
	for (size_t i = 0; i < p->nnames; i++) {
		if (strlen(p->names[i]) == len && memcmp(p->names[i], name, len) == 0) {
			next(p);
			return add_node(p, RULES__OP_PAT, (uint32_t)i);
		}
	}
	next(p);
	if (p->tok == TOK_LPAREN) {
		p->err(p->ud, at, "condition: unknown function '%.*s'", (int)len, name);
		p->rc = ERR_RULES;
		return RULES__NONE;
	}
	p->err(p->ud, at, "condition: unknown pattern '%.*s'", (int)len, name);
	if (p->rc == 0)
		p->rc = ERR_RULES;
	return add_node(p, RULES__OP_PAT, 0);
}

static uint32_t parse_primary(struct parser *p)
{
	if (p->tok == TOK_LPAREN) {
		next(p);
		uint32_t inner = parse_or(p);
		if (inner == RULES__NONE)
			return RULES__NONE;
		if (p->tok != TOK_RPAREN)
			return fail_at_token(p, "')'");
		next(p);
		return inner;
	}
	if (is_word(p, "all") || is_word(p, "any"))
		return parse_of_them(p);
	if (p->tok != TOK_NAME || is_keyword(p))
		return fail_at_token(p, "a pattern name");
	return parse_name(p);
}

static uint32_t parse_unary(struct parser *p)
{
	if (p->depth == RULES__MAX_COND_DEPTH) {
		p->err(p->ud, p->tstart, "condition: nested deeper than %d levels",
		       RULES__MAX_COND_DEPTH);
		p->rc = ERR_RULES;
		return RULES__NONE;
	}
	p->depth++;
	uint32_t r;
	if (is_word(p, "not")) {
		next(p);
		uint32_t child = parse_unary(p);
		r = child == RULES__NONE ? RULES__NONE : add_node(p, RULES__OP_NOT, child);
	} else {
		r = parse_primary(p);
	}
	p->depth--;
	return r;
}

/* One level of the grammar: sub ("word" sub)*, folded into one n-ary node of op. */
static uint32_t parse_chain(struct parser *p, const char *word, uint32_t op,
			    uint32_t (*sub)(struct parser *))
{
	uint32_t first = sub(p);
	if (first == RULES__NONE || !is_word(p, word))
		return first;
	uint32_t last = first;
	while (is_word(p, word)) {
		next(p);
		uint32_t n = sub(p);
		if (n == RULES__NONE)
			return RULES__NONE;
		p->nodes[last].next = n;
		last = n;
	}
	return add_node(p, op, first);
}

static uint32_t parse_and(struct parser *p)
{
	return parse_chain(p, "and", RULES__OP_AND, parse_unary);
}

static uint32_t parse_or(struct parser *p)
{
	return parse_chain(p, "or", RULES__OP_OR, parse_and);
}

int rules__cond_parse(const char *src, size_t len, const char *const *names, size_t nnames,
		      rules__cond_error_fn err, void *ud, struct rules__cond *ret_cond)
{
	struct parser p = {
		.src = src,
		.len = len,
		.names = names,
		.nnames = nnames,
		.err = err,
		.ud = ud,
	};
	if (len > RULES__MAX_CONDITION) {
		err(ud, 0, "condition: longer than %d bytes", RULES__MAX_CONDITION);
		return ERR_RULES;
	}
	next(&p);
	uint32_t root = parse_or(&p);
	if (root != RULES__NONE && p.tok != TOK_END)
		fail_at_token(&p, "'and', 'or' or end of condition");
	if (p.rc != 0) {
		free(p.nodes);
		return p.rc;
	}
	ret_cond->nodes = p.nodes;
	ret_cond->nnodes = p.nnodes;
	ret_cond->root = root;
	return 0;
}

static int eval_patterns(bool all, size_t npatterns, rules__pat_fn pat, void *ud)
{
	for (size_t i = 0; i < npatterns; i++) {
		int r = pat(ud, i);
		if (r < 0)
			return r;
		if ((r > 0) != all)
			return !all;
	}
	return all;
}

int rules__cond_eval(const struct rules__node *nodes, uint32_t root, size_t npatterns,
		     rules__pat_fn pat, void *ud)
{
	const struct rules__node *n = &nodes[root];
	int r;
	switch (n->op) {
	case RULES__OP_PAT:
		return pat(ud, n->arg);
	case RULES__OP_NOT:
		r = rules__cond_eval(nodes, n->arg, npatterns, pat, ud);
		return r < 0 ? r : !r;
	case RULES__OP_AND:
	case RULES__OP_OR:
		/* and stops at the first false child, or at the first true one */
		for (uint32_t c = n->arg; c != RULES__NONE; c = nodes[c].next) {
			r = rules__cond_eval(nodes, c, npatterns, pat, ud);
			if (r < 0 || (r > 0) != (n->op == RULES__OP_AND))
				return r;
		}
		return n->op == RULES__OP_AND;
	case RULES__OP_ALL:
		return eval_patterns(true, npatterns, pat, ud);
	default:
		return eval_patterns(false, npatterns, pat, ud);
	}
}

static void polarity(const struct rules__node *nodes, uint32_t i, size_t npatterns, bool negated,
		     bool *used, bool *positive)
{
	const struct rules__node *n = &nodes[i];
	switch (n->op) {
	case RULES__OP_PAT:
		used[n->arg] = true;
		positive[n->arg] |= !negated;
		break;
	case RULES__OP_NOT:
		polarity(nodes, n->arg, npatterns, !negated, used, positive);
		break;
	case RULES__OP_AND:
	case RULES__OP_OR:
		for (uint32_t c = n->arg; c != RULES__NONE; c = nodes[c].next)
			polarity(nodes, c, npatterns, negated, used, positive);
		break;
	default:
		for (size_t k = 0; k < npatterns; k++) {
			used[k] = true;
			positive[k] |= !negated;
		}
	}
}

void rules__cond_polarity(const struct rules__node *nodes, uint32_t root, size_t npatterns,
			  bool *used, bool *positive)
{
	polarity(nodes, root, npatterns, false, used, positive);
}
