/* SPDX-License-Identifier: MIT */
/* The condition language of a rule: a recursive-descent parser and a lazy evaluator.
 *
 *   or      := and ("or" and)*
 *   and     := unary ("and" unary)*
 *   unary   := "not" unary | primary
 *   primary := "(" or ")" | quant "of" set | "#" name cmp number
 *            | "near" "(" name "," name "," number ")" | name ["in" field]
 *   quant   := "all" | "any" | number          set := "them" | "(" name ("," name)* ")"
 *   cmp     := "<" | "<=" | "==" | "!=" | ">=" | ">"
 *
 * Chains of and/or become one n-ary node, so the tree is only as deep as the parentheses and nots,
 * which the parser caps. Errors carry the byte offset of the token they concern.
 */
#include "rules/rules_int.h"

#include "common/err.h"
#include "common/i18n.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

enum tok { TOK_END, TOK_NAME, TOK_NUM, TOK_LPAREN, TOK_RPAREN, TOK_COMMA, TOK_HASH, TOK_CMP,
	   TOK_BAD };

struct parser {
	const char *src;
	size_t len, pos;
	enum tok tok;
	size_t tstart, tlen; /* the current token */
	const char *const *names;
	const uint8_t *views;
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

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_name_char(char c)
{
	return is_name_start(c) || is_digit(c);
}

static size_t utf8_len(unsigned char c)
{
	if (c >= 0xf0)
		return 4;
	if (c >= 0xe0)
		return 3;
	return c >= 0xc0 ? 2 : 1;
}

/* The comparison operators, two-character ones first. */
static const char *const cmps[] = {
	[RULES__CMP_LE] = "<=", [RULES__CMP_GE] = ">=", [RULES__CMP_EQ] = "==",
	[RULES__CMP_NE] = "!=", [RULES__CMP_LT] = "<",  [RULES__CMP_GT] = ">",
};

static size_t cmp_len(const char *s, size_t n)
{
	if (n >= 2 && (s[1] == '=') && strchr("<>=!", s[0]))
		return 2;
	return s[0] == '<' || s[0] == '>' ? 1 : 0;
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
	size_t n;
	if (is_name_start(c) || is_digit(c)) {
		bool num = is_digit(c);
		while (p->pos < p->len && is_name_char(p->src[p->pos]))
			num &= is_digit(p->src[p->pos++]);
		p->tok = num ? TOK_NUM : TOK_NAME;
	} else if (strchr("(),#", c)) {
		p->pos++;
		p->tok = c == '(' ? TOK_LPAREN : c == ')' ? TOK_RPAREN : c == ',' ? TOK_COMMA
										 : TOK_HASH;
	} else if ((n = cmp_len(p->src + p->pos, p->len - p->pos)) > 0) {
		p->pos += n;
		p->tok = TOK_CMP;
	} else {
		n = utf8_len((unsigned char)c);
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
		p->err(p->ud, p->tstart, _("condition: expected %s, found end of condition"),
		       _(expected));
	else if (p->tok == TOK_BAD)
		p->err(p->ud, p->tstart, _("condition: unexpected character '%.*s'"), (int)p->tlen,
		       p->src + p->tstart);
	else
		p->err(p->ud, p->tstart, _("condition: expected %s, found '%.*s'"), _(expected),
		       (int)p->tlen, p->src + p->tstart);
	p->rc = ERR_RULES;
	return RULES__NONE;
}

static uint32_t fail_at(struct parser *p, size_t at, const char *msg)
{
	p->err(p->ud, at, _("condition: %s"), _(msg));
	p->rc = ERR_RULES;
	return RULES__NONE;
}

static uint32_t add_node(struct parser *p, struct rules__node n)
{
	if (p->nnodes == RULES__MAX_COND_NODES) {
		p->err(p->ud, p->tstart, _("condition: too complex (over %d terms)"),
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
	n.next = RULES__NONE;
	p->nodes[p->nnodes] = n;
	return (uint32_t)p->nnodes++;
}

static uint32_t parse_or(struct parser *p);

static bool is_keyword(const struct parser *p)
{
	static const char *const words[] = { "and", "or", "not", "of", "them", "in" };
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (is_word(p, words[i]))
			return true;
	return false;
}

/* A number token up to max; reports and fails otherwise. */
static bool parse_number(struct parser *p, uint32_t max, const char *what, uint32_t *ret)
{
	if (p->tok != TOK_NUM) {
		fail_at_token(p, what);
		return false;
	}
	uint64_t v = 0;
	for (size_t i = 0; i < p->tlen && v <= max; i++)
		v = v * 10 + (uint64_t)(p->src[p->tstart + i] - '0');
	if (v > max) {
		p->err(p->ud, p->tstart, _("condition: %s over %u"), _(what), max);
		p->rc = ERR_RULES;
		return false;
	}
	*ret = (uint32_t)v;
	next(p);
	return true;
}

/* A pattern name: its index, or RULES__NONE. An unknown one is reported but the parse goes on
 * (returning 0), to find the others too. */
static uint32_t pattern_index(struct parser *p)
{
	if (p->tok != TOK_NAME || is_keyword(p))
		return fail_at_token(p, N_("a pattern name"));
	const char *name = p->src + p->tstart;
	size_t len = p->tlen;
	for (size_t i = 0; i < p->nnames; i++) {
		if (strlen(p->names[i]) == len && memcmp(p->names[i], name, len) == 0) {
			next(p);
			return (uint32_t)i;
		}
	}
	p->err(p->ud, p->tstart, _("condition: unknown pattern '%.*s'"), (int)len, name);
	if (p->rc == 0)
		p->rc = ERR_RULES;
	next(p);
	return 0;
}

static bool expect(struct parser *p, enum tok t, const char *what)
{
	if (p->tok != t) {
		fail_at_token(p, what);
		return false;
	}
	next(p);
	return true;
}

/* "them" or "(" a, b, ... ")": PAT children chained; *ret_n counts them. */
static uint32_t parse_set(struct parser *p, uint32_t *ret_n)
{
	uint32_t first = RULES__NONE, last = RULES__NONE, n = 0;
	if (is_word(p, "them")) {
		next(p);
		for (size_t i = 0; i < p->nnames && p->rc == 0; i++, n++) {
			uint32_t k = add_node(p, (struct rules__node){ .op = RULES__OP_PAT,
								       .arg = (uint32_t)i });
			if (k != RULES__NONE && last != RULES__NONE)
				p->nodes[last].next = k;
			first = first == RULES__NONE ? k : first;
			last = k;
		}
	} else {
		if (!expect(p, TOK_LPAREN, N_("'them' or '(' after 'of'")))
			return RULES__NONE;
		do {
			if (n > 0)
				next(p);
			uint32_t i = pattern_index(p);
			uint32_t k = i == RULES__NONE ? RULES__NONE
				     : add_node(p, (struct rules__node){ .op = RULES__OP_PAT, .arg = i });
			if (k == RULES__NONE)
				return RULES__NONE;
			if (last != RULES__NONE)
				p->nodes[last].next = k;
			first = first == RULES__NONE ? k : first;
			last = k;
			n++;
		} while (p->tok == TOK_COMMA);
		if (!expect(p, TOK_RPAREN, N_("',' or ')'")))
			return RULES__NONE;
	}
	*ret_n = n;
	return p->rc == 0 || p->rc == ERR_RULES ? first : RULES__NONE;
}

/* quant "of" set: any is 1, all is the set's size. */
static uint32_t parse_of(struct parser *p)
{
	size_t at = p->tstart;
	bool all = is_word(p, "all"), any = is_word(p, "any");
	uint32_t want = 1, n = 0;
	if (!all && !any && !parse_number(p, RULES__MAX_PATTERNS, N_("a count"), &want))
		return RULES__NONE;
	if (all || any)
		next(p);
	if (!is_word(p, "of"))
		return fail_at_token(p, "'of'");
	next(p);
	uint32_t first = parse_set(p, &n);
	if (first == RULES__NONE)
		return RULES__NONE;
	if (!all && !any && want > n)
		return fail_at(p, at, N_("more patterns asked for than the set has"));
	return add_node(
		p, (struct rules__node){.op = RULES__OP_OF, .arg = first, .num = all ? n : want});
}

/* "#" name cmp number */
static uint32_t parse_count(struct parser *p)
{
	next(p);
	uint32_t i = pattern_index(p);
	if (i == RULES__NONE)
		return RULES__NONE;
	if (p->tok != TOK_CMP)
		return fail_at_token(p, N_("a comparison (<, <=, ==, !=, >=, >)"));
	uint8_t cmp = 0;
	for (uint8_t c = 0; c < sizeof(cmps) / sizeof(cmps[0]); c++)
		if (strlen(cmps[c]) == p->tlen && memcmp(cmps[c], p->src + p->tstart, p->tlen) == 0)
			cmp = c;
	next(p);
	uint32_t num;
	if (!parse_number(p, RULES__MAX_COUNT, N_("a count"), &num))
		return RULES__NONE;
	return add_node(p, (struct rules__node){ .op = RULES__OP_COUNT, .arg = i, .cmp = cmp,
						 .num = num });
}

/* "near" "(" a "," b "," distance ")" */
static uint32_t parse_near(struct parser *p)
{
	next(p);
	next(p); /* the '(' */
	size_t at = p->tstart;
	uint32_t a = pattern_index(p), b = RULES__NONE, num = 0;
	if (a != RULES__NONE && expect(p, TOK_COMMA, "','")) {
		at = p->tstart;
		b = pattern_index(p);
	}
	if (b == RULES__NONE || !expect(p, TOK_COMMA, "','") ||
	    !parse_number(p, RULES__MAX_NEAR, N_("a distance"), &num) ||
	    !expect(p, TOK_RPAREN, "')'"))
		return RULES__NONE;
	if (p->rc == 0 && p->views[a] != p->views[b])
		return fail_at(p, at, N_("near() needs two patterns of the same view"));
	return add_node(
		p, (struct rules__node){.op = RULES__OP_NEAR, .arg = a, .arg2 = b, .num = num});
}

/* name ["in" field] */
static uint32_t parse_name(struct parser *p)
{
	size_t at = p->tstart, len = p->tlen;
	bool known = false;
	for (size_t i = 0; i < p->nnames && !known; i++)
		known = strlen(p->names[i]) == len && memcmp(p->names[i], p->src + at, len) == 0;
	if (!known && p->pos < p->len) {
		size_t k = p->pos;
		while (k < p->len && is_space(p->src[k]))
			k++;
		if (k < p->len && p->src[k] == '(') {
			p->err(p->ud, at, _("condition: unknown function '%.*s'"), (int)len,
			       p->src + at);
			p->rc = ERR_RULES;
			return RULES__NONE;
		}
	}
	uint32_t i = pattern_index(p);
	if (i == RULES__NONE)
		return RULES__NONE;
	uint8_t scope = 0;
	if (is_word(p, "in")) {
		next(p);
		int f = p->tok == TOK_NAME ? rules__field_find(p->src + p->tstart, p->tlen) : -1;
		if (f < 0)
			return fail_at_token(p, N_("a field (title, body, post, author, url, "
						   "link_text) after 'in'"));
		scope = (uint8_t)(f + 1);
		next(p);
	}
	return add_node(p, (struct rules__node){.op = RULES__OP_PAT, .arg = i, .scope = scope});
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
	if (is_word(p, "all") || is_word(p, "any") || p->tok == TOK_NUM)
		return parse_of(p);
	if (p->tok == TOK_HASH)
		return parse_count(p);
	if (is_word(p, "near")) {
		size_t k = p->pos;
		while (k < p->len && is_space(p->src[k]))
			k++;
		if (k < p->len && p->src[k] == '(')
			return parse_near(p);
	}
	if (p->tok != TOK_NAME || is_keyword(p))
		return fail_at_token(p, N_("a pattern name"));
	return parse_name(p);
}

static uint32_t parse_unary(struct parser *p)
{
	if (p->depth == RULES__MAX_COND_DEPTH) {
		p->err(p->ud, p->tstart, _("condition: nested deeper than %d levels"),
		       RULES__MAX_COND_DEPTH);
		p->rc = ERR_RULES;
		return RULES__NONE;
	}
	p->depth++;
	uint32_t r;
	if (is_word(p, "not")) {
		next(p);
		uint32_t child = parse_unary(p);
		r = child == RULES__NONE
			? RULES__NONE
			: add_node(p, (struct rules__node){ .op = RULES__OP_NOT, .arg = child });
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
	return add_node(p, (struct rules__node){ .op = op, .arg = first });
}

static uint32_t parse_and(struct parser *p)
{
	return parse_chain(p, "and", RULES__OP_AND, parse_unary);
}

static uint32_t parse_or(struct parser *p)
{
	return parse_chain(p, "or", RULES__OP_OR, parse_and);
}

int rules__cond_parse(const char *src, size_t len, const char *const *names,
		      const uint8_t *views, size_t nnames, rules__cond_error_fn err, void *ud,
		      struct rules__cond *ret_cond)
{
	struct parser p = {
		.src = src,
		.len = len,
		.names = names,
		.views = views,
		.nnames = nnames,
		.err = err,
		.ud = ud,
	};
	if (len > RULES__MAX_CONDITION) {
		err(ud, 0, _("condition: longer than %d bytes"), RULES__MAX_CONDITION);
		return ERR_RULES;
	}
	next(&p);
	uint32_t root = parse_or(&p);
	if (root != RULES__NONE && p.tok != TOK_END)
		fail_at_token(&p, N_("'and', 'or' or end of condition"));
	if (p.rc == 0 && root == RULES__NONE)
		p.rc = ERR_RULES;
	if (p.rc != 0) {
		free(p.nodes);
		return p.rc;
	}
	ret_cond->nodes = p.nodes;
	ret_cond->nnodes = p.nnodes;
	ret_cond->root = root;
	return 0;
}

bool rules__cmp_holds(unsigned cmp, size_t count, uint32_t num)
{
	switch (cmp) {
	case RULES__CMP_LT: return count < num;
	case RULES__CMP_LE: return count <= num;
	case RULES__CMP_EQ: return count == num;
	case RULES__CMP_NE: return count != num;
	case RULES__CMP_GE: return count >= num;
	default: return count > num;
	}
}

/* At least want of the chained children from c hold; stops as soon as the answer is known. */
static int eval_of(const struct rules__node *nodes, uint32_t c, uint32_t want, rules__leaf_fn leaf,
		   void *ud)
{
	uint32_t left = 0, got = 0;
	for (uint32_t k = c; k != RULES__NONE; k = nodes[k].next)
		left++;
	for (; c != RULES__NONE && got < want && got + left >= want; c = nodes[c].next, left--) {
		int r = rules__cond_eval(nodes, c, leaf, ud);
		if (r < 0)
			return r;
		got += (uint32_t)r;
	}
	return got >= want;
}

int rules__cond_eval(const struct rules__node *nodes, uint32_t root, rules__leaf_fn leaf,
		     void *ud)
{
	const struct rules__node *n = &nodes[root];
	int r;
	switch (n->op) {
	case RULES__OP_NOT:
		r = rules__cond_eval(nodes, n->arg, leaf, ud);
		return r < 0 ? r : !r;
	case RULES__OP_AND:
	case RULES__OP_OR:
		/* and stops at the first false child, or at the first true one */
		for (uint32_t c = n->arg; c != RULES__NONE; c = nodes[c].next) {
			r = rules__cond_eval(nodes, c, leaf, ud);
			if (r < 0 || (r > 0) != (n->op == RULES__OP_AND))
				return r;
		}
		return n->op == RULES__OP_AND;
	case RULES__OP_OF:
		return eval_of(nodes, n->arg, n->num, leaf, ud);
	default:
		return leaf(ud, n);
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
	case RULES__OP_COUNT: /* "#a < 2" holds without a: it is "not a" as far as spans go */
		used[n->arg] = true;
		positive[n->arg] |= negated == rules__cmp_holds(n->cmp, 0, n->num);
		break;
	case RULES__OP_NEAR:
		used[n->arg] = used[n->arg2] = true;
		positive[n->arg] |= !negated;
		positive[n->arg2] |= !negated;
		break;
	case RULES__OP_NOT:
		polarity(nodes, n->arg, npatterns, !negated, used, positive);
		break;
	default: /* and, or, of; "0 of (...)" holds with nothing: its names count as negated */
		for (uint32_t c = n->arg; c != RULES__NONE; c = nodes[c].next)
			polarity(nodes, c, npatterns,
				 n->op == RULES__OP_OF && n->num == 0 ? !negated : negated, used,
				 positive);
	}
}

void rules__cond_polarity(const struct rules__node *nodes, uint32_t root, size_t npatterns,
			  bool *used, bool *positive)
{
	polarity(nodes, root, npatterns, false, used, positive);
}

/* The most favourable value of each leaf for the condition to hold, when nothing matches in the
 * field itself: a scoped name is true unless negated, everything else is what no match gives. */
static bool elsewhere(const struct rules__node *nodes, uint32_t i, bool negated)
{
	const struct rules__node *n = &nodes[i];
	uint32_t got = 0;
	switch (n->op) {
	case RULES__OP_PAT:
		return n->scope != 0 && !negated;
	case RULES__OP_COUNT:
		return rules__cmp_holds(n->cmp, 0, n->num);
	case RULES__OP_NEAR:
		return false;
	case RULES__OP_NOT:
		return !elsewhere(nodes, n->arg, !negated);
	case RULES__OP_AND:
	case RULES__OP_OR:
		for (uint32_t c = n->arg; c != RULES__NONE; c = nodes[c].next)
			if (elsewhere(nodes, c, negated) != (n->op == RULES__OP_AND))
				return n->op == RULES__OP_OR;
		return n->op == RULES__OP_AND;
	default:
		for (uint32_t c = n->arg; c != RULES__NONE; c = nodes[c].next)
			got += elsewhere(nodes, c, negated);
		return got >= n->num;
	}
}

bool rules__cond_holds_elsewhere(const struct rules__node *nodes, uint32_t root)
{
	return elsewhere(nodes, root, false);
}

/* ---- explaining ---- */

static int explain_name(const struct rules__node *n, const char *const *names, struct buf *out)
{
	if (n->scope)
		return buf_addf(out, "%s in %s", names[n->arg], rules__field_name(n->scope - 1u));
	return buf_addstr(out, names[n->arg]);
}

/* Renders a leaf and its value; a count shows the count it compared. */
static int explain_leaf(const struct rules__node *n, const char *const *names,
			rules__leaf_fn leaf, rules__count_fn count, void *ud, struct buf *out)
{
	int v = leaf(ud, n), rc = 0;
	if (v < 0)
		return v;
	if (n->op == RULES__OP_PAT)
		rc = explain_name(n, names, out);
	else if (n->op == RULES__OP_NEAR)
		rc = buf_addf(out, "near(%s, %s, %u)", names[n->arg], names[n->arg2], n->num);
	else
		rc = buf_addf(out, "#%s %s %u [#%s = %zu]", names[n->arg],
			      cmps[n->cmp <= RULES__CMP_GT ? n->cmp : RULES__CMP_EQ], n->num, names[n->arg],
			      count(ud, n->arg));
	return rc ? rc : buf_addstr(out, v ? " [yes]" : " [no]") ?: v;
}

int rules__cond_explain(const struct rules__node *nodes, uint32_t root, const char *const *names,
			rules__leaf_fn leaf, rules__count_fn count, void *ud, struct buf *out)
{
	const struct rules__node *n = &nodes[root];
	if (n->op == RULES__OP_PAT || n->op == RULES__OP_COUNT || n->op == RULES__OP_NEAR)
		return explain_leaf(n, names, leaf, count, ud, out);
	int rc = n->op == RULES__OP_NOT ? buf_addstr(out, "(not ")
		 : n->op == RULES__OP_OF    ? buf_addf(out, "%u of (", n->num)
					    : buf_addc(out, '(');
	int v = n->op == RULES__OP_AND, seen = 0;
	unsigned held = 0;
	uint32_t first = n->arg;
	/* every child is evaluated, unlike rules__cond_eval: the reader wants each value */
	for (uint32_t c = first; rc == 0 && c != RULES__NONE;
	     c = n->op == RULES__OP_NOT ? RULES__NONE : nodes[c].next) {
		if (seen++)
			rc = buf_addstr(out, n->op == RULES__OP_AND  ? " and "
					     : n->op == RULES__OP_OR ? " or "
								     : ", ");
		int r = rc ? rc : rules__cond_explain(nodes, c, names, leaf, count, ud, out);
		if (r < 0)
			return r;
		held += r > 0;
		v = n->op == RULES__OP_AND ? v && r : v || r;
	}
	if (n->op == RULES__OP_NOT)
		v = !held;
	else if (n->op == RULES__OP_OF)
		v = held >= n->num;
	if (rc == 0)
		rc = buf_addstr(out, v ? ") [yes]" : ") [no]");
	return rc ? rc : v;
}
