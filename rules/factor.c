/* SPDX-License-Identifier: MIT */
/* Literal factors: for a pattern, a small set of literals such that every match of the pattern
 * contains one of them, and how far from the start of a match the end of that literal can be.
 *
 * Why: Vectorscan runs a set of literals in its literal engines (FDR, Teddy) several times faster
 * than the NFAs that `\d{3,6}`, `.{0,12}` or `\W{1,3}(?:\w+\W+){0,6}` need, and a pattern that
 * cannot match without one of its literals cannot match where none is reported. PCRE2 then
 * confirms from the reported end of the literal back by that distance (prefilter.c).
 *
 * The parse reads PCRE2 syntax as rules/match.c compiles it (UTF, UCP, caseless) and gives up on
 * whatever it does not fully understand (backreferences, recursion, conditionals, verbs, \K,
 * extended mode): such a pattern keeps the whole-pattern prefilter. Widths are upper bounds in
 * bytes of the text as PCRE2 matches it caselessly: 'k' can match U+212A (three bytes), 's'
 * U+017F (two), a class any character (four).
 */
#include "rules/rules_int.h"

#include "common/buf.h"
#include "common/err.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#define LIT_MAX	  32		    /* bytes of one literal: a longer one is cut at a character */
#define SET_MAX	  64		    /* literals in one set */
#define DEPTH_MAX 32		    /* groups nested in one another */
#define WIDE	  ((size_t)1 << 40) /* an unbounded width; sums saturate here */
#define ANY_WIDTH 4		    /* bytes of any one character */
/* The fewest characters of a gate's weakest literal: a gate of one character would be reported
 * on nearly every page, no better than none. */
#define GATE_MIN 2

struct lset {
	unsigned n;
	unsigned char len[SET_MAX];
	char s[SET_MAX][LIT_MAX];
};

/* What a sub-expression tells. */
struct piece {
	bool exact; /* set holds every string it can match */
	struct lset set;
	bool has_cand; /* every match contains one of cand... */
	struct lset cand;
	size_t cand_end; /* ...ending at most this many bytes after the match starts */
	bool has_gate;	 /* ...and one of gate, the next best set, from another place of it */
	struct lset gate;
	size_t maxw; /* bytes of its widest match */
};

struct parse {
	const char *p;
	size_t len, i;
	unsigned depth;
};

static size_t sat_add(size_t a, size_t b)
{
	return a + b >= WIDE ? WIDE : a + b;
}

static size_t sat_mul(size_t a, size_t n)
{
	return n && a >= WIDE / n ? WIDE : a * n;
}

/* Whether a literal of one character is as rare in text as two: currency signs, which amount
 * patterns (`\$\s*\d{1,3}(?:,\d{3})+`) have for their only literal. */
static bool rare_char(const char *s, size_t len)
{
	static const char *const rare[] = {"$", "\u20ac", "\u00a3", "\u00a5", "\uffe5"};
	for (size_t k = 0; k < sizeof(rare) / sizeof(rare[0]); k++)
		if (strlen(rare[k]) == len && memcmp(rare[k], s, len) == 0)
			return true;
	return false;
}

/* The fewest characters of a literal of s: how selective the set is (0 for an empty literal, or
 * one ASCII character but a rare one: on every page, it is no better than none). */
static unsigned lset_weight(const struct lset *s)
{
	unsigned w = s->n ? UINT32_MAX : 0;
	for (unsigned k = 0; k < s->n; k++) {
		unsigned c = 0;
		for (unsigned b = 0; b < s->len[k]; b++)
			c += ((unsigned char)s->s[k][b] & 0xc0) != 0x80;
		if (c == 1 && rare_char(s->s[k], s->len[k]))
			c = 2;
		else if (c == 1 && (unsigned char)s->s[k][0] < 0x80)
			c = 0;
		w = c < w ? c : w;
	}
	return w;
}

static void lset_one(struct lset *s, const char *str, size_t len)
{
	s->n = 1;
	s->len[0] = (unsigned char)len;
	memcpy(s->s[0], str, len);
}

static bool lset_has(const struct lset *s, const char *str, size_t len)
{
	for (unsigned k = 0; k < s->n; k++)
		if (s->len[k] == len && memcmp(s->s[k], str, len) == 0)
			return true;
	return false;
}

/* Adds b's literals to a; false (a unchanged in count) when they do not fit. */
static bool lset_union(struct lset *a, const struct lset *b)
{
	unsigned n = a->n;
	for (unsigned k = 0; k < b->n; k++) {
		if (lset_has(a, b->s[k], b->len[k]))
			continue;
		if (n == SET_MAX) {
			a->n = n;
			return false;
		}
		a->len[n] = b->len[k];
		memcpy(a->s[n], b->s[k], b->len[k]);
		a->n = ++n;
	}
	return true;
}

/* a = a x b (every literal of a followed by every one of b), when it fits. */
static bool lset_product(struct lset *a, const struct lset *b, struct lset *tmp)
{
	if ((size_t)a->n * b->n > SET_MAX)
		return false;
	tmp->n = 0;
	for (unsigned i = 0; i < a->n; i++) {
		for (unsigned k = 0; k < b->n; k++) {
			size_t l = (size_t)a->len[i] + b->len[k];
			if (l > LIT_MAX)
				return false;
			memcpy(tmp->s[tmp->n], a->s[i], a->len[i]);
			memcpy(tmp->s[tmp->n] + a->len[i], b->s[k], b->len[k]);
			if (lset_has(tmp, tmp->s[tmp->n], l))
				continue;
			tmp->len[tmp->n++] = (unsigned char)l;
		}
	}
	*a = *tmp;
	return true;
}

/* Whether (s, end) is a better factor set than (best, best_end): more characters in its weakest
 * literal (up to 4), then a bounded end, then fewer literals. */
static bool better(const struct lset *s, size_t end, bool has_best, const struct lset *best,
		   size_t best_end)
{
	unsigned w = lset_weight(s), bw = has_best ? lset_weight(best) : 0;
	w = w < 4 ? w : 4;
	bw = bw < 4 ? bw : 4;
	if (w == 0 || w != bw)
		return w > bw;
	if ((end < WIDE) != (best_end < WIDE))
		return end < WIDE;
	return s->n < best->n;
}

/* Every set offered to out is in every match of it: the best is its cand, the next its gate. */
static void offer(struct piece *out, const struct lset *s, size_t end)
{
	if (better(s, end, out->has_cand, &out->cand, out->cand_end)) {
		if (out->has_cand) {
			out->gate = out->cand;
			out->has_gate = true;
		}
		out->cand = *s;
		out->cand_end = end;
		out->has_cand = true;
	} else if (better(s, WIDE, out->has_gate, &out->gate, WIDE)) {
		out->gate = *s;
		out->has_gate = true;
	}
}

static void piece_any(struct piece *e, size_t maxw)
{
	e->exact = false;
	e->has_cand = false;
	e->has_gate = false;
	e->maxw = maxw;
}

static void piece_empty(struct piece *e)
{
	e->exact = true;
	lset_one(&e->set, "", 0);
	e->has_cand = false;
	e->has_gate = false;
	e->maxw = 0;
}

/* The widest text one literal character cp can match caselessly. */
static size_t char_width(uint32_t cp)
{
	if (cp < 0x80)
		return cp == 'k' || cp == 'K' ? 3 : cp == 's' || cp == 'S' ? 2 : 1;
	/* CJK symbols, kana, ideographs, Hangul: no case */
	if ((cp >= 0x2e80 && cp <= 0x9fff) || (cp >= 0xac00 && cp <= 0xd7af) ||
	    (cp >= 0xf900 && cp <= 0xfaff))
		return 3;
	return ANY_WIDTH;
}

static size_t encode(uint32_t cp, char *d)
{
	if (cp < 0x80) {
		d[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		d[0] = (char)(0xc0 | cp >> 6);
		d[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		d[0] = (char)(0xe0 | cp >> 12);
		d[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		d[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	d[0] = (char)(0xf0 | cp >> 18);
	d[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	d[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	d[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

static int piece_char(struct piece *e, uint32_t cp)
{
	char d[4];
	if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return ERR_REGEX;
	lset_one(&e->set, d, encode(cp, d));
	e->exact = true;
	e->has_cand = false;
	e->has_gate = false;
	e->maxw = char_width(cp);
	return 0;
}

/* One UTF-8 character of the pattern at ps->i, as written (the pattern is valid UTF-8). */
static int literal_char(struct parse *ps, struct piece *e)
{
	const unsigned char *s = (const unsigned char *)ps->p + ps->i;
	unsigned c = s[0];
	size_t n = c < 0x80 ? 1 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
	if (c >= 0x80 && c < 0xc0)
		return ERR_REGEX;
	if (n > ps->len - ps->i)
		return ERR_REGEX;
	uint32_t cp = n == 1 ? c : c & (0x7fu >> n);
	for (size_t k = 1; k < n; k++)
		cp = cp << 6 | (s[k] & 0x3fu);
	ps->i += n;
	return piece_char(e, cp);
}

static int hexval(char c)
{
	return c >= '0' && c <= '9'			? c - '0'
	       : (c | 0x20) >= 'a' && (c | 0x20) <= 'f' ? (c | 0x20) - 'a' + 10
							: -1;
}

/* \xHH or \x{H...}, ps->i past the x. */
static int hex_escape(struct parse *ps, struct piece *e)
{
	uint32_t cp = 0;
	bool braced = ps->i < ps->len && ps->p[ps->i] == '{';
	size_t k = ps->i + braced, digits = 0;
	for (; k < ps->len && hexval(ps->p[k]) >= 0 && digits < (braced ? 8u : 2u); k++, digits++)
		cp = cp << 4 | (uint32_t)hexval(ps->p[k]);
	if (braced && (k >= ps->len || ps->p[k] != '}' || digits == 0))
		return ERR_REGEX;
	ps->i = k + braced;
	return piece_char(e, cp);
}

/* Skips to just past the first end after ps->i; ERR_REGEX when there is none. */
static int skip_past(struct parse *ps, const char *end)
{
	const char *f = memmem(ps->p + ps->i, ps->len - ps->i, end, strlen(end));
	if (!f)
		return ERR_REGEX;
	ps->i = (size_t)(f - ps->p) + strlen(end);
	return 0;
}

/* \Q...\E: literal characters, ps->i past the Q. */
static int quoted(struct parse *ps, struct piece *e, struct lset *tmp)
{
	const char *f = memmem(ps->p + ps->i, ps->len - ps->i, "\\E", 2);
	size_t stop = f ? (size_t)(f - ps->p) : ps->len;
	struct piece c;
	piece_empty(e);
	while (ps->i < stop) {
		int rc = literal_char(ps, &c);
		if (rc)
			return rc;
		if (!lset_product(&e->set, &c.set, tmp))
			return ERR_REGEX; /* too long for one literal: rare, give up */
		e->maxw += c.maxw;
	}
	ps->i = f ? stop + 2 : stop;
	return 0;
}

/* An escape outside a class, ps->i at the backslash. */
static int escape(struct parse *ps, struct piece *e, struct lset *tmp)
{
	if (ps->i + 1 >= ps->len)
		return ERR_REGEX;
	char d = ps->p[ps->i + 1];
	ps->i += 2;
	static const struct {
		char c;
		uint32_t cp;
	} ctl[] = {{'t', 9}, {'n', 10}, {'r', 13}, {'f', 12}, {'e', 27}, {'a', 7}};
	for (size_t k = 0; k < sizeof(ctl) / sizeof(ctl[0]); k++)
		if (d == ctl[k].c)
			return piece_char(e, ctl[k].cp);
	if (d && strchr("dDwWsShHvVNR", d)) {
		piece_any(e, ANY_WIDTH);
		return 0;
	}
	if (d == 'p' || d == 'P') {
		piece_any(e, ANY_WIDTH);
		if (ps->i < ps->len && ps->p[ps->i] == '{')
			return skip_past(ps, "}");
		ps->i++;
		return ps->i <= ps->len ? 0 : ERR_REGEX;
	}
	if (d == 'X') {
		piece_any(e, WIDE);
		return 0;
	}
	if (d && strchr("bBAZzGE", d)) {
		piece_empty(e);
		return 0;
	}
	if (d == 'Q')
		return quoted(ps, e, tmp);
	if (d == 'x')
		return hex_escape(ps, e);
	if ((unsigned char)d < 0x80 && (d < '0' || d > '9') && (d | 0x20) >= 'a' &&
	    (d | 0x20) <= 'z')
		return ERR_REGEX; /* \K, \C, \g, \k, \o, \c, \u, ...: not understood here */
	if (d >= '0' && d <= '9')
		return ERR_REGEX; /* backreference or octal */
	ps->i--; /* an escaped punctuation or non-ASCII character stands for itself */
	return literal_char(ps, e);
}

/* A class [...]: any one character. */
static int char_class(struct parse *ps, struct piece *e)
{
	ps->i++;
	if (ps->i < ps->len && ps->p[ps->i] == '^')
		ps->i++;
	if (ps->i < ps->len && ps->p[ps->i] == ']')
		ps->i++;
	while (ps->i < ps->len && ps->p[ps->i] != ']') {
		char c = ps->p[ps->i], d = ps->i + 1 < ps->len ? ps->p[ps->i + 1] : '\0';
		int rc = 0;
		if (c == '\\' && d == 'Q')
			return ERR_REGEX;
		if (c == '\\' && d && strchr("xpPo", d) && ps->i + 2 < ps->len &&
		    ps->p[ps->i + 2] == '{')
			rc = skip_past(ps, "}");
		else if (c == '\\')
			ps->i += 2;
		else if (c == '[' && d == ':')
			rc = skip_past(ps, ":]");
		else
			ps->i++;
		if (rc)
			return rc;
	}
	if (ps->i >= ps->len)
		return ERR_REGEX;
	ps->i++;
	piece_any(e, ANY_WIDTH);
	return 0;
}

static int alternation(struct parse *ps, struct piece *out);

/* A group, ps->i at its '('. Lookarounds are zero-width: what they hold is not in the match. */
static int group(struct parse *ps, struct piece *e)
{
	const char *g = ps->p + ps->i;
	size_t rest = ps->len - ps->i, skip = 1;
	bool look = false;
	if (rest >= 2 && g[1] == '*')
		return ERR_REGEX;
	if (rest >= 2 && g[1] == '?') {
		char c = rest > 2 ? g[2] : '\0', c3 = rest > 3 ? g[3] : '\0';
		if (c == '#') {
			piece_empty(e);
			return skip_past(ps, ")");
		}
		if (c == ':' || c == '>' || c == '|' || c == '=' || c == '!') {
			skip = 3;
			look = c == '=' || c == '!';
		} else if (c == '<' && (c3 == '=' || c3 == '!')) {
			skip = 4;
			look = true;
		} else if (c == '<' || c == '\'' || (c == 'P' && c3 == '<')) {
			const char *f = memchr(g + 3, c == '\'' ? '\'' : '>', rest - 3);
			if (!f)
				return ERR_REGEX;
			skip = (size_t)(f - g) + 1;
		} else {
			/* option settings: (?i) alone is zero-width, (?i:...) a group */
			size_t n = strspn(g + 2, "imnsJUaDPSTXw-^");
			if (memchr(g + 2, 'x', n) || (g[2 + n] != ')' && g[2 + n] != ':') ||
			    2 + n >= rest)
				return ERR_REGEX;
			ps->i += 3 + n;
			if (g[2 + n] == ')') {
				piece_empty(e);
				return 0;
			}
			skip = 0;
		}
	}
	ps->i += skip;
	if (++ps->depth > DEPTH_MAX)
		return ERR_REGEX;
	int rc = alternation(ps, e);
	ps->depth--;
	if (rc == 0 && (ps->i >= ps->len || ps->p[ps->i] != ')'))
		rc = ERR_REGEX;
	ps->i++;
	if (rc == 0 && look)
		piece_empty(e);
	return rc;
}

static int atom(struct parse *ps, struct piece *e, struct lset *tmp)
{
	char c = ps->p[ps->i];
	switch (c) {
	case '(': return group(ps, e);
	case '[': return char_class(ps, e);
	case '\\': return escape(ps, e, tmp);
	case '.':
		ps->i++;
		piece_any(e, ANY_WIDTH);
		return 0;
	case '^':
	case '$':
		ps->i++;
		piece_empty(e);
		return 0;
	case '*':
	case '+':
	case '?':
	case '{': return ERR_REGEX; /* a quantifier with nothing before it, or a literal brace */
	default: return literal_char(ps, e);
	}
}

/* A quantifier after an atom, if any: *min and *max (WIDE for none). 0, or ERR_REGEX for a
 * brace that is not a quantifier (PCRE2 would read it as a literal: not worth the trouble). */
static int quantifier(struct parse *ps, size_t *min, size_t *max)
{
	char c = ps->i < ps->len ? ps->p[ps->i] : '\0';
	*min = *max = 1;
	if (c == '*' || c == '+' || c == '?') {
		*min = c == '+';
		*max = c == '?' ? 1 : WIDE;
		ps->i++;
	} else if (c == '{') {
		char *end;
		const char *s = ps->p + ps->i + 1;
		if (*s < '0' || *s > '9')
			return ERR_REGEX;
		unsigned long lo = strtoul(s, &end, 10), hi = lo;
		if (*end == ',')
			hi = end[1] == '}' ? ULONG_MAX : strtoul(end + 1, &end, 10);
		if (*end == ',')
			end++;
		if (*end != '}' || hi < lo || lo > 65535)
			return ERR_REGEX;
		*min = lo;
		*max = hi > 65535 ? WIDE : hi;
		ps->i = (size_t)(end + 1 - ps->p);
	} else {
		return 0;
	}
	if (ps->i < ps->len && (ps->p[ps->i] == '?' || ps->p[ps->i] == '+'))
		ps->i++; /* lazy or possessive: the same strings */
	return 0;
}

static void repeat(struct piece *e, size_t min, size_t max)
{
	if (min == 1 && max == 1)
		return;
	bool exact = e->exact;
	if (exact)
		offer(e, &e->set, e->maxw);
	e->maxw = max >= WIDE ? WIDE : sat_mul(e->maxw, max);
	e->exact = false;
	if (min == 0) {
		/* x? is "" or x: still exact when x was */
		e->exact = exact && max == 1 && e->set.n < SET_MAX && !lset_has(&e->set, "", 0);
		if (e->exact) {
			e->set.len[e->set.n++] = 0;
		}
		e->has_cand = false;
		e->has_gate = false;
	}
}

/* A concatenation: runs of exact pieces multiply into longer literals; any run, and any piece's
 * own factor set, may be the concatenation's. */
struct seq {
	struct piece run; /* run.set: the exact run so far; run.maxw unused */
	size_t before;	  /* bytes of the widest match of the pieces so far */
	bool all_exact;
};

static void seq_add(struct seq *q, struct piece *out, const struct piece *e, struct lset *tmp)
{
	if (e->exact && lset_product(&q->run.set, &e->set, tmp)) {
		q->before = sat_add(q->before, e->maxw);
		return;
	}
	offer(out, &q->run.set, q->before);
	q->all_exact = false;
	if (e->exact) {
		q->run.set = e->set;
	} else {
		if (e->has_cand)
			offer(out, &e->cand, sat_add(q->before, e->cand_end));
		if (e->has_gate)
			offer(out, &e->gate, WIDE);
		lset_one(&q->run.set, "", 0);
	}
	q->before = sat_add(q->before, e->maxw);
}

static int sequence(struct parse *ps, struct piece *out, struct piece *e, struct seq *q)
{
	*q = (struct seq){.all_exact = true};
	lset_one(&q->run.set, "", 0);
	out->has_cand = false;
	out->has_gate = false;
	while (ps->i < ps->len && ps->p[ps->i] != '|' && ps->p[ps->i] != ')') {
		size_t min, max;
		int rc = atom(ps, e, &out->set);
		if (rc == 0)
			rc = quantifier(ps, &min, &max);
		if (rc)
			return rc;
		repeat(e, min, max);
		seq_add(q, out, e, &out->set);
	}
	offer(out, &q->run.set, q->before);
	out->exact = q->all_exact;
	if (out->exact)
		out->set = q->run.set;
	out->maxw = q->before;
	return 0;
}

/* Scratch for one level of alternation, on the heap: pieces are a few KiB each. */
struct alt_frame {
	struct piece branch, elem;
	struct seq seq;
};

static void alt_merge(struct piece *out, const struct piece *b)
{
	out->exact = out->exact && b->exact && lset_union(&out->set, &b->set);
	out->has_cand = out->has_cand && b->has_cand && lset_union(&out->cand, &b->cand);
	if (out->has_cand && b->cand_end > out->cand_end)
		out->cand_end = b->cand_end;
	out->has_gate = false; /* each branch's gate is another place: not worth the union */
	out->maxw = b->maxw > out->maxw ? b->maxw : out->maxw;
}

static int alternation(struct parse *ps, struct piece *out)
{
	struct alt_frame *f = malloc(sizeof(*f));
	if (!f)
		return -ENOMEM;
	int rc = sequence(ps, out, &f->elem, &f->seq);
	while (rc == 0 && ps->i < ps->len && ps->p[ps->i] == '|') {
		ps->i++;
		rc = sequence(ps, &f->branch, &f->elem, &f->seq);
		if (rc == 0)
			alt_merge(out, &f->branch);
	}
	free(f);
	return rc;
}

/* The factor set as a Vectorscan expression: (?:a|b|...), every byte but letters, digits and
 * non-ASCII escaped. */
static int factor_expr(const struct lset *s, char **ret)
{
	struct buf b;
	buf_init(&b, (size_t)SET_MAX * LIT_MAX * 4 + 16);
	int rc = buf_addstr(&b, "(?:");
	for (unsigned k = 0; k < s->n && rc == 0; k++) {
		rc = k ? buf_addc(&b, '|') : 0;
		for (unsigned i = 0; i < s->len[k] && rc == 0; i++) {
			unsigned char c = (unsigned char)s->s[k][i];
			bool plain = c >= 0x80 || (c >= '0' && c <= '9') ||
				     ((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
			rc = plain ? buf_addc(&b, (char)c) : buf_addf(&b, "\\x%02x", c);
		}
	}
	if (rc == 0)
		rc = buf_addc(&b, ')');
	if (rc == 0 && !(*ret = buf_take(&b)))
		rc = -ENOMEM;
	buf_done(&b);
	return rc;
}

int rules__factors(const char *expr, unsigned min_chars, struct rules__factor *ret)
{
	*ret = (struct rules__factor){ 0 };
	struct parse ps = {.p = expr, .len = strlen(expr)};
	struct piece *top = malloc(sizeof(*top));
	if (!top)
		return -ENOMEM;
	int rc = alternation(&ps, top);
	if (rc == 0 && ps.i < ps.len)
		rc = ERR_REGEX; /* an unbalanced ')' */
	if (rc == 0 && top->exact) { /* its literals are its matches: nothing else to ask */
		offer(top, &top->set, top->maxw);
		top->has_gate = false;
	}
	if (rc == 0 && (!top->has_cand || lset_weight(&top->cand) < min_chars))
		rc = ERR_REGEX;
	if (rc == 0)
		rc = factor_expr(&top->cand, &ret->expr);
	if (rc == 0 && top->has_gate && lset_weight(&top->gate) >= GATE_MIN)
		rc = factor_expr(&top->gate, &ret->gate);
	if (rc == 0 && ret->gate && strcmp(ret->gate, ret->expr) == 0) { /* `ab.*ab` */
		free(ret->gate);
		ret->gate = NULL;
	}
	if (rc == 0) {
		ret->end = top->cand_end < WIDE ? top->cand_end : SIZE_MAX;
		ret->whole = top->exact;
	} else {
		free(ret->expr);
		*ret = (struct rules__factor){ 0 };
	}
	free(top);
	return rc;
}
