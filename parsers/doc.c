/* SPDX-License-Identifier: MIT */
/* HTML page to document (doc.h): charset decoding, a nesting cap, Gumbo, then two iterative walks
 * over the tree (the first finds <base href>, <title>, <link rel=canonical>, the robots and
 * description meta tags, the second collects text and links, and feeds posts.c, which cuts the
 * page into forum posts when asked).
 *
 * Hostile input is bounded three ways. Gumbo's memory comes from a per-parse arena freed in one
 * go, so gumbo_destroy_output, which recurses once per tree level (1M nested <span>s
 * overflow an 8 MiB stack), is never called. Gumbo's tree construction costs up to O(depth) per
 * tag (100k nested <div>s parse in 14 s), so before parsing, start tags nested deeper than
 * max_depth are neutralized in place (see the nesting cap below). Our walks keep their own stack,
 * capped at max_depth. Gumbo aborts when malloc fails; nothing here can change that.
 * No shared state: any thread may parse its own page.
 */
#include "parsers/doc.h"

#include "common/buf.h"
#include "common/err.h"
#include "parsers/doc_int.h"
#include "parsers/url.h"

#include <errno.h>
#include <gumbo.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define DOC_TITLE_MAX 4096  /* bytes of title kept */
#define DOC_ANCHOR_MAX 4096 /* bytes of one link's text kept */
#define DOC_REL_MAX 256     /* bytes of one rel attribute kept */

void doc_limits_default(struct doc_limits *lim)
{
	lim->max_input = 16u << 20;
	lim->max_text = 4u << 20;
	lim->max_links = 5000;
	lim->max_depth = 256;
	lim->max_posts = 1000;
}

static bool is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

static bool is_alpha(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* ---- Gumbo's memory: size-classed blocks carved from chunks, freed in one call ----
 *
 * Gumbo allocates and frees a great deal (every token, every growing string buffer); with malloc
 * that was a sixth of a page's cost. Small blocks come from 64 KiB chunks and go back to a free
 * list of their size class, so a buffer that doubles reuses what it left behind; large blocks are
 * malloc'd and kept on a list. Everything goes in arena_free_all.
 */

#define ARENA_CLASSES 6          /* 16, 32, 64, 128, 256, 512 bytes */
#define ARENA_SMALL_MAX 512
#define ARENA_CHUNK (64u << 10)

union block {
	struct {
		union block *prev, *next; /* large blocks: the list; small: next free */
		size_t cls;               /* size class, or ARENA_CLASSES for a large block */
	} h;
	max_align_t align;
};

struct chunk {
	struct chunk *next;
	max_align_t data[];
};

struct arena {
	union block large;              /* sentinel of the circular list of large blocks */
	union block *free[ARENA_CLASSES]; /* small blocks given back, per class */
	struct chunk *chunks;
	char *top, *end; /* what is left of the newest chunk */
};

static void arena_init(struct arena *a)
{
	*a = (struct arena){ 0 };
	a->large.h.prev = a->large.h.next = &a->large;
}

/* The smallest class whose blocks (16 << class bytes) hold size: ceil(log2(size)) - 4, from the
 * bit length of size - 1 rather than a loop over the classes (Gumbo allocates once per token). */
static size_t arena_class(size_t size)
{
	if (size <= 16)
		return 0;
	return (size_t)(64 - __builtin_clzll((unsigned long long)(size - 1))) - 4;
}

static union block *arena_carve(struct arena *a, size_t cls)
{
	size_t need = sizeof(union block) + (16u << cls);
	if ((size_t)(a->end - a->top) < need) {
		struct chunk *c = malloc(sizeof(*c) + ARENA_CHUNK);
		if (!c)
			return NULL;
		c->next = a->chunks;
		a->chunks = c;
		a->top = (char *)c->data;
		a->end = a->top + ARENA_CHUNK;
	}
	union block *b = (union block *)a->top;
	a->top += need; /* need is a multiple of 16: blocks stay aligned */
	return b;
}

static void *arena_alloc(void *userdata, size_t size)
{
	struct arena *a = userdata;
	union block *b;
	if (size <= ARENA_SMALL_MAX) {
		size_t cls = arena_class(size);
		b = a->free[cls];
		if (b)
			a->free[cls] = b->h.next;
		else if (!(b = arena_carve(a, cls)))
			return NULL;
		b->h.cls = cls;
		return b + 1;
	}
	b = malloc(sizeof(*b) + size);
	if (!b)
		return NULL;
	b->h.cls = ARENA_CLASSES;
	b->h.prev = &a->large;
	b->h.next = a->large.h.next;
	a->large.h.next->h.prev = b;
	a->large.h.next = b;
	return b + 1;
}

static void arena_dealloc(void *userdata, void *ptr)
{
	struct arena *a = userdata;
	if (!ptr)
		return;
	union block *b = (union block *)ptr - 1;
	if (b->h.cls < ARENA_CLASSES) {
		b->h.next = a->free[b->h.cls];
		a->free[b->h.cls] = b;
		return;
	}
	b->h.prev->h.next = b->h.next;
	b->h.next->h.prev = b->h.prev;
	free(b);
}

static void arena_free_all(struct arena *a)
{
	union block *b = a->large.h.next;
	while (b != &a->large) {
		union block *next = b->h.next;
		free(b);
		b = next;
	}
	while (a->chunks) {
		struct chunk *next = a->chunks->next;
		free(a->chunks);
		a->chunks = next;
	}
	arena_init(a);
}

/* ---- Elements ---- */

/* What the model and the walks need to know of each element. */
enum {
	T_SPECIAL = 1 << 0,    /* the HTML standard's "special" category */
	T_BOUNDARY = 1 << 1,   /* a boundary of the default scope */
	T_FORMATTING = 1 << 2, /* reopened by Gumbo until closed by its own end tag */
	T_NOPUSH = 1 << 3,     /* void, or html/head/body: never on the model's stack */
	T_RAW = 1 << 4,        /* the tokenizer reads its content as text (in HTML content) */
	T_CLOSES_P = 1 << 5,   /* its start tag closes an open <p> */
	T_BLOCK = 1 << 6,      /* its start and end are line breaks in the text */
	T_PRE = 1 << 7,        /* line breaks in its text are kept */
	T_HEADING = 1 << 8,
	T_HIDDEN = 1 << 9, /* its content is not visible text */
};

#define S_ T_SPECIAL
#define BLK_ (T_SPECIAL | T_CLOSES_P | T_BLOCK)
#define VOID_ (T_SPECIAL | T_NOPUSH)
#define FMT_ T_FORMATTING
#define HIDE_RAW_ (T_SPECIAL | T_RAW | T_HIDDEN)

static const uint16_t tag_flags[GUMBO_TAG_LAST + 1] = {
	[GUMBO_TAG_HTML] = S_ | T_BOUNDARY | T_NOPUSH,
	[GUMBO_TAG_HEAD] = VOID_ | T_HIDDEN,
	[GUMBO_TAG_TITLE] = HIDE_RAW_ | T_BOUNDARY, /* a boundary as SVG's <title> */
	[GUMBO_TAG_BASE] = VOID_,
	[GUMBO_TAG_LINK] = VOID_,
	[GUMBO_TAG_META] = VOID_,
	[GUMBO_TAG_STYLE] = HIDE_RAW_,
	[GUMBO_TAG_SCRIPT] = HIDE_RAW_,
	[GUMBO_TAG_NOSCRIPT] = S_ | T_HIDDEN,
	[GUMBO_TAG_TEMPLATE] = S_ | T_BOUNDARY | T_HIDDEN,
	[GUMBO_TAG_BODY] = VOID_ | T_BLOCK,
	[GUMBO_TAG_ARTICLE] = BLK_,
	[GUMBO_TAG_SECTION] = BLK_,
	[GUMBO_TAG_NAV] = BLK_,
	[GUMBO_TAG_ASIDE] = BLK_,
	[GUMBO_TAG_H1] = BLK_ | T_HEADING,
	[GUMBO_TAG_H2] = BLK_ | T_HEADING,
	[GUMBO_TAG_H3] = BLK_ | T_HEADING,
	[GUMBO_TAG_H4] = BLK_ | T_HEADING,
	[GUMBO_TAG_H5] = BLK_ | T_HEADING,
	[GUMBO_TAG_H6] = BLK_ | T_HEADING,
	[GUMBO_TAG_HGROUP] = BLK_,
	[GUMBO_TAG_HEADER] = BLK_,
	[GUMBO_TAG_FOOTER] = BLK_,
	[GUMBO_TAG_ADDRESS] = BLK_,
	[GUMBO_TAG_P] = BLK_,
	[GUMBO_TAG_HR] = VOID_ | T_CLOSES_P | T_BLOCK,
	[GUMBO_TAG_PRE] = BLK_ | T_PRE,
	[GUMBO_TAG_BLOCKQUOTE] = BLK_,
	[GUMBO_TAG_OL] = BLK_,
	[GUMBO_TAG_UL] = BLK_,
	[GUMBO_TAG_LI] = BLK_,
	[GUMBO_TAG_DL] = BLK_,
	[GUMBO_TAG_DT] = BLK_,
	[GUMBO_TAG_DD] = BLK_,
	[GUMBO_TAG_FIGURE] = BLK_,
	[GUMBO_TAG_FIGCAPTION] = BLK_,
	[GUMBO_TAG_MAIN] = BLK_,
	[GUMBO_TAG_DIV] = BLK_,
	[GUMBO_TAG_A] = FMT_,
	[GUMBO_TAG_EM] = FMT_,
	[GUMBO_TAG_STRONG] = FMT_,
	[GUMBO_TAG_SMALL] = FMT_,
	[GUMBO_TAG_S] = FMT_,
	[GUMBO_TAG_CODE] = FMT_,
	[GUMBO_TAG_I] = FMT_,
	[GUMBO_TAG_B] = FMT_,
	[GUMBO_TAG_U] = FMT_,
	[GUMBO_TAG_BR] = VOID_,
	[GUMBO_TAG_WBR] = VOID_,
	[GUMBO_TAG_IMAGE] = VOID_,
	[GUMBO_TAG_IMG] = VOID_,
	[GUMBO_TAG_IFRAME] = HIDE_RAW_,
	[GUMBO_TAG_EMBED] = VOID_,
	[GUMBO_TAG_OBJECT] = S_ | T_BOUNDARY,
	[GUMBO_TAG_PARAM] = VOID_,
	[GUMBO_TAG_SOURCE] = VOID_,
	[GUMBO_TAG_TRACK] = VOID_,
	[GUMBO_TAG_AREA] = VOID_,
	[GUMBO_TAG_MI] = S_ | T_BOUNDARY,
	[GUMBO_TAG_MO] = S_ | T_BOUNDARY,
	[GUMBO_TAG_MN] = S_ | T_BOUNDARY,
	[GUMBO_TAG_MS] = S_ | T_BOUNDARY,
	[GUMBO_TAG_MTEXT] = S_ | T_BOUNDARY,
	[GUMBO_TAG_ANNOTATION_XML] = S_ | T_BOUNDARY,
	[GUMBO_TAG_FOREIGNOBJECT] = S_ | T_BOUNDARY,
	[GUMBO_TAG_DESC] = S_ | T_BOUNDARY,
	[GUMBO_TAG_TABLE] = BLK_ | T_BOUNDARY,
	[GUMBO_TAG_CAPTION] = S_ | T_BOUNDARY | T_BLOCK,
	[GUMBO_TAG_COLGROUP] = S_,
	[GUMBO_TAG_COL] = VOID_,
	[GUMBO_TAG_TBODY] = S_ | T_BLOCK,
	[GUMBO_TAG_THEAD] = S_ | T_BLOCK,
	[GUMBO_TAG_TFOOT] = S_ | T_BLOCK,
	[GUMBO_TAG_TR] = S_ | T_BLOCK,
	[GUMBO_TAG_TD] = S_ | T_BOUNDARY | T_BLOCK,
	[GUMBO_TAG_TH] = S_ | T_BOUNDARY | T_BLOCK,
	[GUMBO_TAG_FORM] = BLK_,
	[GUMBO_TAG_FIELDSET] = BLK_,
	[GUMBO_TAG_LEGEND] = T_BLOCK,
	[GUMBO_TAG_INPUT] = VOID_,
	[GUMBO_TAG_BUTTON] = S_,
	[GUMBO_TAG_SELECT] = S_ | T_BLOCK,
	[GUMBO_TAG_OPTION] = T_BLOCK,
	[GUMBO_TAG_TEXTAREA] = S_ | T_RAW | T_BLOCK | T_PRE,
	[GUMBO_TAG_KEYGEN] = VOID_,
	[GUMBO_TAG_DETAILS] = BLK_,
	[GUMBO_TAG_SUMMARY] = BLK_,
	[GUMBO_TAG_MENU] = BLK_,
	[GUMBO_TAG_APPLET] = S_ | T_BOUNDARY,
	[GUMBO_TAG_BGSOUND] = VOID_,
	[GUMBO_TAG_DIR] = BLK_,
	[GUMBO_TAG_FRAME] = VOID_,
	[GUMBO_TAG_FRAMESET] = S_ | T_BLOCK,
	[GUMBO_TAG_NOFRAMES] = HIDE_RAW_,
	[GUMBO_TAG_LISTING] = BLK_ | T_PRE,
	[GUMBO_TAG_XMP] = BLK_ | T_RAW | T_PRE,
	[GUMBO_TAG_NOEMBED] = HIDE_RAW_,
	[GUMBO_TAG_PLAINTEXT] = BLK_ | T_PRE,
	[GUMBO_TAG_STRIKE] = FMT_,
	[GUMBO_TAG_BASEFONT] = VOID_,
	[GUMBO_TAG_BIG] = FMT_,
	[GUMBO_TAG_CENTER] = BLK_,
	[GUMBO_TAG_FONT] = FMT_,
	[GUMBO_TAG_MARQUEE] = S_ | T_BOUNDARY,
	[GUMBO_TAG_NOBR] = FMT_,
	[GUMBO_TAG_TT] = FMT_,
};

static bool tag_is(GumboTag t, unsigned flags)
{
	return (unsigned)t <= GUMBO_TAG_LAST && (tag_flags[t] & flags);
}

/* ---- The nesting cap ----
 * Gumbo's tree construction walks its stack of open elements for many tags, and before text it
 * reopens unclosed formatting elements (<b>, <font>, ...) by cloning them; crafted input makes
 * both quadratic (100k nested <div>s: 14 s; "<div><b id=N><object></b></object></div>" repeated:
 * millions of clones). Before parsing, a tokenizer-lite follows which elements Gumbo would keep
 * open, in a model of the tree-construction rules that errs towards keeping elements open, and
 * neutralizes tags in place so that the model stays bounded:
 *  - a start tag when max_depth / 2 elements are open (the rest of max_depth is left for the
 *    elements Gumbo adds: html, body, tbody, reopened formatting); the structure is cut there,
 *    its text kept, and truncated set;
 *  - a formatting start tag other than <a> when NEST_FORMATTING may be open or reopened; such a
 *    tag changes no text;
 *  - an end tag that matches no open element, once max_depth / 8 elements are open (Gumbo would
 *    walk its whole stack to ignore it); an unmatched </p>, which Gumbo turns into an empty
 *    paragraph, becomes a <br>, which gives the same text.
 * "<div" is neutralized as "<?iv" and "</div" as "<?div": a bogus comment to the next '>'. The
 * input is also cut (truncated) where the nodes Gumbo may create pass NEST_NODES, which bounds
 * Gumbo's memory (about 250 bytes per node, so 250 MiB at most). This is a heuristic against
 * the known patterns, not a proof: input crafted against the model may still parse slowly.
 * Gumbo's C stack is safe regardless (the arena above). */

#define NEST_FORMATTING 8
#define NEST_NODES (1u << 20)

struct nest_el {
	GumboTag tag;
	const char *name; /* in the input, for GUMBO_TAG_UNKNOWN */
	size_t len;
};

struct nest {
	char *s;
	size_t n, pos;
	struct nest_el *stack;
	size_t depth, cap;
	size_t formatting; /* formatting elements (not <a>) Gumbo may still reopen */
	size_t foreign;    /* <svg> and <math> open */
	size_t nodes;      /* an upper bound of the nodes Gumbo creates */
	bool cut;
};

/* Which elements an implied close may cross before it gives up. */
enum stop {
	STOP_BUTTON, /* the default scope and <button>: for <p> */
	STOP_LIST,   /* special elements but address, div and p: for <li>, <dd>, <dt> */
	STOP_TABLE,  /* table, template, html: for row groups and rows */
	STOP_ROW,    /* and tr: for cells */
	STOP_CELL,   /* cells and captions: for a nested <table> */
	STOP_SELECT, /* all but options: for <select> */
};

static bool stops(enum stop stop, GumboTag t)
{
	switch (stop) {
	case STOP_BUTTON:
		return tag_is(t, T_BOUNDARY) || t == GUMBO_TAG_BUTTON;
	case STOP_LIST:
		return tag_is(t, T_SPECIAL) && t != GUMBO_TAG_ADDRESS && t != GUMBO_TAG_DIV &&
		       t != GUMBO_TAG_P;
	case STOP_ROW:
		return t == GUMBO_TAG_TR || stops(STOP_TABLE, t);
	case STOP_TABLE:
		return t == GUMBO_TAG_TABLE || t == GUMBO_TAG_TEMPLATE || t == GUMBO_TAG_HTML;
	case STOP_CELL:
		return t == GUMBO_TAG_TD || t == GUMBO_TAG_TH || t == GUMBO_TAG_CAPTION ||
		       t == GUMBO_TAG_TEMPLATE || t == GUMBO_TAG_HTML;
	case STOP_SELECT:
		return t != GUMBO_TAG_OPTION && t != GUMBO_TAG_OPTGROUP;
	}
	return true;
}

static void nest_pop_to(struct nest *ns, size_t depth)
{
	while (ns->depth > depth) {
		GumboTag t = ns->stack[--ns->depth].tag;
		if (t == GUMBO_TAG_SVG || t == GUMBO_TAG_MATH)
			ns->foreign--;
	}
}

/* Closes the nearest open a, b or c, unless stop holds for an element nearer. */
static void nest_close(struct nest *ns, GumboTag a, GumboTag b, GumboTag c, enum stop stop)
{
	for (size_t i = ns->depth; i-- > 0;) {
		GumboTag t = ns->stack[i].tag;
		if (t == a || t == b || t == c) {
			nest_pop_to(ns, i);
			return;
		}
		if (stops(stop, t))
			return;
	}
}

/* The family of elements whose start tag closes a current element of the same family. */
static int current_family(GumboTag t)
{
	if (tag_is(t, T_HEADING))
		return 1;
	if (t == GUMBO_TAG_OPTION || t == GUMBO_TAG_OPTGROUP)
		return 2;
	if (t == GUMBO_TAG_RB || t == GUMBO_TAG_RT || t == GUMBO_TAG_RTC || t == GUMBO_TAG_RP)
		return 3;
	return 0;
}

static bool nest_end(struct nest *ns, GumboTag tag, const char *name, size_t len);

/* The elements a start tag closes before it opens. */
static void nest_implied(struct nest *ns, GumboTag t, const char *name, size_t len)
{
	const GumboTag none = GUMBO_TAG_LAST;
	int fam = current_family(t);
	if (tag_is(t, T_CLOSES_P))
		nest_close(ns, GUMBO_TAG_P, none, none, STOP_BUTTON);
	if (t == GUMBO_TAG_LI)
		nest_close(ns, GUMBO_TAG_LI, none, none, STOP_LIST);
	else if (t == GUMBO_TAG_DD || t == GUMBO_TAG_DT)
		nest_close(ns, GUMBO_TAG_DD, GUMBO_TAG_DT, none, STOP_LIST);
	else if (t == GUMBO_TAG_TR)
		nest_close(ns, GUMBO_TAG_TR, none, none, STOP_TABLE);
	else if (t == GUMBO_TAG_TD || t == GUMBO_TAG_TH)
		nest_close(ns, GUMBO_TAG_TD, GUMBO_TAG_TH, none, STOP_ROW);
	else if (t == GUMBO_TAG_TBODY || t == GUMBO_TAG_THEAD || t == GUMBO_TAG_TFOOT)
		nest_close(ns, GUMBO_TAG_TBODY, GUMBO_TAG_THEAD, GUMBO_TAG_TFOOT, STOP_TABLE);
	else if (t == GUMBO_TAG_TABLE)
		nest_close(ns, GUMBO_TAG_TABLE, none, none, STOP_CELL);
	else if (t == GUMBO_TAG_SELECT)
		nest_close(ns, GUMBO_TAG_SELECT, none, none, STOP_SELECT);
	else if (t == GUMBO_TAG_A || t == GUMBO_TAG_NOBR)
		nest_end(ns, t, name, len); /* the adoption agency closes an open <a> first */
	else if (fam && ns->depth > 0 && current_family(ns->stack[ns->depth - 1].tag) == fam)
		nest_pop_to(ns, ns->depth - 1);
}

static bool nest_matches(const struct nest_el *e, GumboTag tag, const char *name, size_t len)
{
	if (e->tag != tag)
		return false;
	return tag != GUMBO_TAG_UNKNOWN || (e->len == len && strncasecmp(e->name, name, len) == 0);
}

/* Whether the search for an end tag's element stops at t, by the scope the end tag uses. */
static bool end_stops_at(GumboTag end, GumboTag t)
{
	switch (end) {
	case GUMBO_TAG_SELECT:
		return stops(STOP_SELECT, t);
	case GUMBO_TAG_TABLE:
	case GUMBO_TAG_TBODY:
	case GUMBO_TAG_THEAD:
	case GUMBO_TAG_TFOOT:
	case GUMBO_TAG_TR:
	case GUMBO_TAG_TD:
	case GUMBO_TAG_TH:
	case GUMBO_TAG_CAPTION:
	case GUMBO_TAG_COLGROUP:
		return stops(STOP_TABLE, t);
	case GUMBO_TAG_LI:
		return tag_is(t, T_BOUNDARY) || t == GUMBO_TAG_OL || t == GUMBO_TAG_UL;
	case GUMBO_TAG_P:
		return stops(STOP_BUTTON, t);
	default:
		/* Formatting and other phrasing elements stop at any special element. */
		return tag_is(t, tag_is(end, T_SPECIAL) ? T_BOUNDARY : T_SPECIAL);
	}
}

/* Closes the element an end tag names; false when the model has no such element open. */
static bool nest_end(struct nest *ns, GumboTag tag, const char *name, size_t len)
{
	for (size_t i = ns->depth; i-- > 0;) {
		const struct nest_el *e = &ns->stack[i];
		if (nest_matches(e, tag, name, len)) {
			if (tag_is(tag, T_FORMATTING) && tag != GUMBO_TAG_A && ns->formatting > 0)
				ns->formatting--;
			nest_pop_to(ns, i);
			return true;
		}
		if (end_stops_at(tag, e->tag))
			return false;
	}
	return false;
}

/* Returns false when the start tag must be neutralized (and sets ns->cut when that cuts). */
static bool nest_start(struct nest *ns, GumboTag tag, const char *name, size_t len,
		       bool self_closing)
{
	nest_implied(ns, tag, name, len);
	if (tag_is(tag, T_NOPUSH) || (self_closing && ns->foreign > 0))
		return true;
	bool formatting = tag_is(tag, T_FORMATTING) && tag != GUMBO_TAG_A;
	if (ns->depth >= ns->cap) {
		ns->cut = true;
		return false;
	}
	if (formatting && ns->formatting >= NEST_FORMATTING)
		return false;
	ns->stack[ns->depth++] = (struct nest_el){tag, name, len};
	ns->formatting += formatting;
	if (tag == GUMBO_TAG_SVG || tag == GUMBO_TAG_MATH)
		ns->foreign++;
	return true;
}

/* The end of the tag whose attributes start at pos, by the tokenizer's attribute states; n when
 * the input ends inside it. */
static size_t tag_end(const char *s, size_t n, size_t pos, bool *self_closing)
{
	enum { BEFORE_NAME, NAME, AFTER_NAME, BEFORE_VALUE, UNQUOTED } st = BEFORE_NAME;
	bool slash = false;
	for (; pos < n; pos++) {
		unsigned char c = (unsigned char)s[pos];
		if (c == '>') {
			*self_closing = slash;
			return pos + 1;
		}
		slash = false;
		if (st == BEFORE_VALUE && (c == '"' || c == '\'')) {
			const char *q = memchr(s + pos + 1, c, n - pos - 1);
			if (!q)
				return n;
			pos = (size_t)(q - s);
			st = BEFORE_NAME;
		} else if (st == BEFORE_VALUE) {
			st = is_space(c) ? BEFORE_VALUE : UNQUOTED;
		} else if (st == UNQUOTED) {
			st = is_space(c) ? BEFORE_NAME : UNQUOTED;
		} else if (c == '/') {
			slash = true;
			st = BEFORE_NAME;
		} else if (c == '=' && st != BEFORE_NAME) {
			st = BEFORE_VALUE;
		} else if (is_space(c)) {
			st = st == NAME ? AFTER_NAME : st;
		} else {
			st = NAME;
		}
	}
	return n;
}

/* Skips the text of a raw-text element up to its end tag "</name". */
static size_t raw_text_end(const char *s, size_t n, size_t pos, const char *name, size_t len)
{
	while (pos < n) {
		const char *lt = memchr(s + pos, '<', n - pos);
		if (!lt)
			return n;
		pos = (size_t)(lt - s);
		if (n - pos > len + 2 && s[pos + 1] == '/' &&
		    strncasecmp(s + pos + 2, name, len) == 0 &&
		    (is_space((unsigned char)s[pos + len + 2]) || s[pos + len + 2] == '/' ||
		     s[pos + len + 2] == '>'))
			return pos;
		pos++;
	}
	return n;
}

/* Skips a comment starting at pos ("<!--"): "-->", "--!>", or the abrupt "<!-->" and "<!--->". */
static size_t comment_end(const char *s, size_t n, size_t pos)
{
	size_t p = pos + 4;
	if (p < n && s[p] == '>')
		return p + 1;
	if (p + 1 < n && s[p] == '-' && s[p + 1] == '>')
		return p + 2;
	while (p + 2 < n) {
		const char *d = memmem(s + p, n - p, "--", 2);
		if (!d)
			return n;
		p = (size_t)(d - s);
		if (p + 2 < n && s[p + 2] == '>')
			return p + 3;
		if (p + 3 < n && s[p + 2] == '!' && s[p + 3] == '>')
			return p + 4;
		p++;
	}
	return n;
}

static size_t skip_to(const char *s, size_t n, size_t pos, const char *lit)
{
	const char *hit = memmem(s + pos, n - pos, lit, strlen(lit));
	return hit ? (size_t)(hit - s) + strlen(lit) : n;
}

/* Turns the tag at ns->pos into a bogus comment ('?' at at), which ends at the next '>'. */
static void nest_neutralize(struct nest *ns, size_t at)
{
	ns->nodes++;
	ns->s[at] = '?';
	const char *gt = memchr(ns->s + at, '>', ns->n - at);
	ns->pos = gt ? (size_t)(gt - ns->s) + 1 : ns->n;
}

/* An end tag; false when it was neutralized. */
static bool nest_end_tag(struct nest *ns, GumboTag tag, const char *name, size_t len)
{
	if (tag_is(tag, T_NOPUSH) || nest_end(ns, tag, name, len) || ns->depth < ns->cap / 4)
		return true;
	if (tag == GUMBO_TAG_P && len == 1) {
		memcpy(ns->s + ns->pos + 1, "br", 2); /* "</p" -> "<br" */
		return true;
	}
	nest_neutralize(ns, ns->pos + 1);
	return false;
}

/* One tag at ns->pos ('<' then a letter, or "</" then a letter). */
static void nest_tag(struct nest *ns)
{
	bool end = ns->s[ns->pos + 1] == '/';
	size_t name_at = ns->pos + (end ? 2 : 1), p = name_at;
	/* As strchr("/>", c) would, a NUL ends the name too; without the call per byte. */
	while (p < ns->n && !is_space((unsigned char)ns->s[p]) && ns->s[p] != '/' &&
	       ns->s[p] != '>' && ns->s[p] != '\0')
		p++;
	const char *name = ns->s + name_at;
	size_t len = p - name_at;
	GumboTag tag = gumbo_tagn_enum(name, (unsigned)(len < 64 ? len : 64));
	bool self_closing = false;
	size_t after = tag_end(ns->s, ns->n, p, &self_closing);
	if (end) {
		if (nest_end_tag(ns, tag, name, len))
			ns->pos = after;
		return;
	}
	ns->nodes += 1 + ns->formatting; /* most start tags reopen formatting elements first */
	/* Raw text holds no elements and is never neutralized: it would turn into markup. */
	if (tag == GUMBO_TAG_PLAINTEXT && ns->foreign == 0)
		ns->pos = ns->n;
	else if (tag_is(tag, T_RAW) && ns->foreign == 0)
		ns->pos = self_closing ? after : raw_text_end(ns->s, ns->n, after, name, len);
	else if (nest_start(ns, tag, name, len, self_closing))
		ns->pos = after;
	else
		nest_neutralize(ns, name_at);
}

static void nest_step(struct nest *ns)
{
	const char *s = ns->s + ns->pos;
	size_t rest = ns->n - ns->pos;
	unsigned char c1 = rest > 1 ? (unsigned char)s[1] : 0;
	unsigned char c2 = rest > 2 ? (unsigned char)s[2] : 0;
	if (rest >= 4 && memcmp(s, "<!--", 4) == 0) {
		ns->nodes++;
		ns->pos = comment_end(ns->s, ns->n, ns->pos);
	} else if (rest >= 9 && ns->foreign > 0 && memcmp(s, "<![CDATA[", 9) == 0) {
		ns->nodes++;
		ns->pos = skip_to(ns->s, ns->n, ns->pos + 9, "]]>");
	} else if (is_alpha(c1) || (c1 == '/' && is_alpha(c2))) {
		nest_tag(ns);
	} else if (c1 == '!' || c1 == '?' || (c1 == '/' && c2 != '>' && rest > 2)) {
		ns->nodes++;
		ns->pos = skip_to(ns->s, ns->n, ns->pos + 2, ">");
	} else {
		ns->pos++;
	}
}

/* Text up to the next '<': a text node, and the formatting elements Gumbo may reopen for it. */
static void nest_text(struct nest *ns, size_t end)
{
	for (size_t i = ns->pos; i < end; i++) {
		if (!is_space((unsigned char)ns->s[i])) {
			ns->nodes += 1 + ns->formatting;
			break;
		}
	}
	ns->pos = end;
}

/* Caps the element nesting of s in place (see above) and cuts *n at the node budget. Returns 1
 * when it cut or neutralized structure, 0 when not, or -ENOMEM. */
static int nest_cap(char *s, size_t *n, unsigned max_depth)
{
	struct nest ns = {.s = s, .n = *n, .cap = max_depth};
	ns.stack = malloc(((size_t)max_depth + 1) * sizeof(*ns.stack));
	if (!ns.stack)
		return -ENOMEM;
	while (ns.pos < ns.n) {
		const char *lt = memchr(s + ns.pos, '<', ns.n - ns.pos);
		nest_text(&ns, lt ? (size_t)(lt - s) : ns.n);
		if (ns.nodes > NEST_NODES) {
			*n = ns.pos; /* cut before this tag */
			ns.cut = true;
			break;
		}
		if (lt)
			nest_step(&ns);
	}
	free(ns.stack);
	return ns.cut ? 1 : 0;
}

/* ---- Tree walking, iterative, depth-capped ---- */

struct visitor {
	/* Called for each element; false skips its subtree (and its leave). */
	bool (*enter)(void *ctx, const GumboNode *el);
	/* Called after an element's subtree (NULL: nothing to do). */
	void (*leave)(void *ctx, const GumboNode *el);
	/* Called for text, comments and the like (NULL: nothing to do). */
	void (*text)(void *ctx, const GumboNode *node);
	void *ctx;
};

static const GumboVector *children_of(const GumboNode *node)
{
	if (node->type == GUMBO_NODE_DOCUMENT)
		return &node->v.document.children;
	if (node->type == GUMBO_NODE_ELEMENT || node->type == GUMBO_NODE_TEMPLATE)
		return &node->v.element.children;
	return NULL;
}

struct frame {
	const GumboNode *node;
	unsigned next;
};

/* Walks the tree under root; content deeper than max_depth is skipped (*truncated set). */
static int walk(const GumboNode *root, unsigned max_depth, struct visitor *v, bool *truncated)
{
	struct frame *st = malloc(((size_t)max_depth + 1) * sizeof(*st));
	if (!st)
		return -ENOMEM;
	size_t sp = 0;
	st[sp++] = (struct frame){root, 0};
	while (sp > 0) {
		struct frame *f = &st[sp - 1];
		const GumboVector *kids = children_of(f->node);
		if (!kids || f->next >= kids->length) {
			if (f->node != root && v->leave)
				v->leave(v->ctx, f->node);
			sp--;
			continue;
		}
		const GumboNode *child = kids->data[f->next++];
		if (!children_of(child)) {
			if (v->text)
				v->text(v->ctx, child);
		} else if (v->enter(v->ctx, child)) {
			if (sp <= max_depth) {
				st[sp++] = (struct frame){child, 0};
			} else {
				*truncated = true;
				if (v->leave)
					v->leave(v->ctx, child);
			}
		}
	}
	free(st);
	return 0;
}

static bool is_html(const GumboNode *el, GumboTag tag)
{
	return el->type == GUMBO_NODE_ELEMENT && el->v.element.tag == tag &&
	       el->v.element.tag_namespace == GUMBO_NAMESPACE_HTML;
}

static const char *attr(const GumboNode *el, const char *name)
{
	const GumboAttribute *a = gumbo_get_attribute(&el->v.element.attributes, name);
	return a ? a->value : NULL;
}

/* ---- Collapsed text ---- */

/* struct doc__text (doc_int.h): shared with posts.c, which collects posts' text the same way. */

void doc__text_init(struct doc__text *t, size_t max)
{
	buf_init(&t->b, max);
	t->owed = 0;
	t->full = false;
}

void doc__text_sep(struct doc__text *t, char sep)
{
	if (sep == '\n' || t->owed == 0)
		t->owed = sep;
}

/* Appends p (whole UTF-8 characters); at the cap, the prefix that fits on a character boundary. */
static int text_put(struct doc__text *t, const char *p, size_t n)
{
	if (t->full)
		return 0;
	int rc = buf_add(&t->b, p, n);
	if (rc != ERR_TOO_BIG)
		return rc;
	size_t room = t->b.max - t->b.len;
	while (room > 0 && ((unsigned char)p[room] & 0xC0) == 0x80)
		room--;
	t->full = true;
	return room ? buf_add(&t->b, p, room) : 0;
}

int doc__text_add(struct doc__text *t, const char *s, size_t n, bool pre)
{
	size_t i = 0;
	while (i < n && !t->full) {
		if (is_space((unsigned char)s[i])) {
			doc__text_sep(t, pre && s[i] == '\n' ? '\n' : ' ');
			i++;
			continue;
		}
		size_t run = i;
		/* Words with one ' ' between them go out in one piece: that space is what the
		 * squeeze would write there anyway (doc__text_sep), so the text is the same. */
		for (;;) {
			while (i < n && !is_space((unsigned char)s[i]))
				i++;
			if (i + 1 >= n || s[i] != ' ' || is_space((unsigned char)s[i + 1]))
				break;
			i++;
		}
		int rc = 0;
		if (t->owed && t->b.len > 0)
			rc = text_put(t, &t->owed, 1);
		t->owed = 0;
		if (!rc)
			rc = text_put(t, s + run, i - run);
		if (rc)
			return rc;
	}
	return 0;
}

static int text_add_str(struct doc__text *t, const char *s)
{
	return doc__text_add(t, s, strlen(s), false);
}

/* ---- Robots directives and rel tokens ---- */

/* Whether the n bytes at s are word, ASCII case-insensitively. */
static bool word_is(const char *s, size_t n, const char *word)
{
	return strlen(word) == n && strncasecmp(s, word, n) == 0;
}

static bool is_sep(char c)
{
	return is_space((unsigned char)c) || c == ',';
}

/* Whether the white-space-separated token list s (may be NULL) holds word, as rel does. */
static bool list_has(const char *s, const char *word)
{
	while (s && *s) {
		size_t n = 0;
		while (s[n] && !is_space((unsigned char)s[n]))
			n++;
		if (n > 0 && word_is(s, n, word))
			return true;
		s += n ? n : 1;
	}
	return false;
}

/* Reads robots directives (comma- or space-separated) from the n bytes at s. */
static void robots_directives(const char *s, size_t n, bool *noindex, bool *nofollow)
{
	for (size_t i = 0; i < n;) {
		size_t len = 0;
		while (i + len < n && !is_sep(s[i + len]))
			len++;
		if (word_is(s + i, len, "noindex") || word_is(s + i, len, "none"))
			*noindex = true;
		if (word_is(s + i, len, "nofollow") || word_is(s + i, len, "none"))
			*nofollow = true;
		i += len ? len : 1;
	}
}

/* The directives whose value follows a ':' and so are no agent token (Google's list). */
static bool is_value_directive(const char *s, size_t n)
{
	return word_is(s, n, "unavailable_after") || word_is(s, n, "max-snippet") ||
	       word_is(s, n, "max-image-preview") || word_is(s, n, "max-video-preview");
}

static bool is_agent_token(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!is_alpha((unsigned char)s[i]) && s[i] != '_' && s[i] != '-')
			return false;
	return n > 0;
}

static size_t trim(const char **s, size_t n)
{
	while (n > 0 && is_space((unsigned char)**s)) {
		(*s)++;
		n--;
	}
	while (n > 0 && is_space((unsigned char)(*s)[n - 1]))
		n--;
	return n;
}

void doc_robots_header(const char *value, const char *agent, bool *noindex, bool *nofollow)
{
	bool applies = true; /* until the first agent token */
	const char *s = value ? value : "";
	while (*s) {
		size_t n = strcspn(s, ",");
		const char *item = s, *colon = memchr(s, ':', n);
		s += n + (s[n] == ',');
		if (colon) {
			const char *name = item;
			size_t name_n = trim(&name, (size_t)(colon - item));
			if (is_value_directive(name, name_n) || !is_agent_token(name, name_n))
				continue;
			applies = agent && word_is(name, name_n, agent);
			n -= (size_t)(colon + 1 - item);
			item = colon + 1;
		}
		if (applies)
			robots_directives(item, n, noindex, nofollow);
	}
}

/* ---- First walk: <base href>, <title>, <link rel=canonical>, robots and description meta ---- */

struct head_info {
	const char *base_href;	    /* points into the tree */
	const char *canonical_href; /* points into the tree */
	const char *description;    /* points into the tree */
	struct doc__text title;
	bool title_seen;
	bool noindex, nofollow;
	int rc;
};

static void head_meta(struct head_info *h, const GumboNode *el)
{
	const char *name = attr(el, "name"), *content = attr(el, "content");
	if (!name || !content)
		return;
	size_t n = trim(&name, strlen(name));
	if (word_is(name, n, "robots") || word_is(name, n, DOC_ROBOTS_AGENT))
		robots_directives(content, strlen(content), &h->noindex, &h->nofollow);
	if (!h->description && word_is(name, n, "description"))
		h->description = content;
}

static bool head_enter(void *ctx, const GumboNode *el)
{
	struct head_info *h = ctx;
	if (el->type == GUMBO_NODE_TEMPLATE)
		return false; /* its content is not in the document */
	if (is_html(el, GUMBO_TAG_META))
		head_meta(h, el);
	if (!h->canonical_href && is_html(el, GUMBO_TAG_LINK) && el->parent &&
	    is_html(el->parent, GUMBO_TAG_HEAD) && list_has(attr(el, "rel"), "canonical"))
		h->canonical_href = attr(el, "href");
	if (!h->base_href && is_html(el, GUMBO_TAG_BASE))
		h->base_href = attr(el, "href");
	if (!h->title_seen && is_html(el, GUMBO_TAG_TITLE)) {
		h->title_seen = true;
		const GumboVector *kids = &el->v.element.children;
		for (unsigned i = 0; i < kids->length && !h->rc; i++) {
			const GumboNode *k = kids->data[i];
			if (k->type == GUMBO_NODE_TEXT || k->type == GUMBO_NODE_WHITESPACE)
				h->rc = text_add_str(&h->title, k->v.text.text);
		}
		return false;
	}
	return true;
}

/* ---- Second walk: body text and links ---- */

struct links {
	struct doc_link *v;
	size_t n, alloc;
	size_t *slots; /* open addressing over v by URL; index + 1, 0 empty */
	size_t nslots;
	size_t dropped;
};

struct body_walk {
	const struct doc_limits *lim;
	const char *base; /* what links resolve against; NULL: only absolute links */
	struct url_base *ub;	   /* base parsed once; NULL when base is */
	const struct url_opts *uo; /* what link URLs lose (session parameters); may be NULL */
	struct doc__text body, link_text, anchor;
	const GumboNode *anchor_el; /* the <a> or <area> whose text is being collected */
	struct links links;
	struct doc__posts *posts; /* NULL: no posts wanted */
	unsigned pre;
	bool truncated;
	int rc;
};

static void bw_sep(struct body_walk *w, char sep)
{
	doc__text_sep(&w->body, sep);
	if (w->anchor_el)
		doc__text_sep(&w->anchor, ' ');
	if (w->posts)
		doc__posts_sep(w->posts, sep);
}

static void bw_add(struct body_walk *w, const char *s)
{
	size_t n = strlen(s);
	if (!w->rc)
		w->rc = doc__text_add(&w->body, s, n, w->pre > 0);
	if (!w->rc && w->anchor_el)
		w->rc = doc__text_add(&w->anchor, s, n, false);
	if (w->posts)
		doc__posts_add(w->posts, s, n, w->pre > 0);
}

/* Whether el's subtree is invisible text: scripts, styles, <head>, <template> and the like. */
static bool is_hidden(const GumboNode *el)
{
	return el->type == GUMBO_NODE_TEMPLATE || tag_is(el->v.element.tag, T_HIDDEN);
}

/* The label of a button-like <input>: its value is visible text. Hidden inputs have none. */
static const char *input_label(const GumboNode *el)
{
	const char *type = attr(el, "type");
	if (!type || (strcasecmp(type, "submit") != 0 && strcasecmp(type, "button") != 0 &&
		      strcasecmp(type, "reset") != 0))
		return NULL;
	return attr(el, "value");
}

static bool body_enter(void *ctx, const GumboNode *el)
{
	struct body_walk *w = ctx;
	if (is_hidden(el))
		return false;
	GumboTag t = el->v.element.tag;
	bool html = el->v.element.tag_namespace == GUMBO_NAMESPACE_HTML;
	if (html && t == GUMBO_TAG_INPUT) {
		const char *label = input_label(el);
		if (label) {
			bw_sep(w, ' ');
			bw_add(w, label);
			bw_sep(w, ' ');
		}
		return false;
	}
	if (w->posts)
		doc__posts_enter(w->posts, el); /* before the separator, which the post then owes */
	if (html && (t == GUMBO_TAG_BR || tag_is(t, T_BLOCK)))
		bw_sep(w, '\n');
	if (html && tag_is(t, T_PRE))
		w->pre++;
	if (html && (t == GUMBO_TAG_A || t == GUMBO_TAG_AREA) && !w->anchor_el &&
	    attr(el, "href")) {
		w->anchor_el = el;
		buf_reset(&w->anchor.b);
		w->anchor.owed = 0;
		w->anchor.full = false;
		if (t == GUMBO_TAG_AREA && attr(el, "alt"))
			w->rc = text_add_str(&w->anchor, attr(el, "alt"));
	}
	return true;
}

static size_t hash_str(const char *s)
{
	size_t h = 1469598103934665603u;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211u;
	return h;
}

/* Finds url among the links: its slot (empty when absent). */
static size_t *links_slot(struct links *l, const char *url)
{
	size_t mask = l->nslots - 1, i = hash_str(url) & mask;
	while (l->slots[i] && strcmp(l->v[l->slots[i] - 1].url, url) != 0)
		i = (i + 1) & mask;
	return &l->slots[i];
}

static int links_grow(struct links *l)
{
	if (l->n == l->alloc) {
		size_t alloc = l->alloc ? 2 * l->alloc : 16;
		struct doc_link *v = realloc(l->v, alloc * sizeof(*v));
		if (!v)
			return -ENOMEM;
		l->v = v;
		l->alloc = alloc;
	}
	if (2 * (l->n + 1) <= l->nslots)
		return 0;
	size_t nslots = l->nslots ? 2 * l->nslots : 64;
	size_t *slots = calloc(nslots, sizeof(*slots));
	if (!slots)
		return -ENOMEM;
	free(l->slots);
	l->slots = slots;
	l->nslots = nslots;
	for (size_t i = 0; i < l->n; i++)
		*links_slot(l, l->v[i].url) = i + 1;
	return 0;
}

static char *collapsed_copy(const char *s, size_t max)
{
	struct doc__text t;
	doc__text_init(&t, max);
	if (doc__text_add(&t, s, strlen(s), false)) {
		buf_done(&t.b);
		return NULL;
	}
	return buf_take(&t.b);
}

/* Adds the link of the anchor el whose text is in w->anchor. */
static int add_link(struct body_walk *w, const GumboNode *el)
{
	const char *text = buf_str(&w->anchor.b);
	int rc = 0;
	if (text[0]) {
		if (w->link_text.b.len > 0)
			w->link_text.owed = '\n';
		rc = doc__text_add(&w->link_text, text, strlen(text), false);
		if (rc)
			return rc;
	}
	char *url = NULL;
	const char *href = attr(el, "href");
	rc = w->ub ? url_base_resolve(w->ub, href ? href : "", w->uo, &url)
		   : url_resolve_opts(w->base, href ? href : "", w->uo, &url);
	if (rc == ERR_URL || rc == ERR_TOO_BIG) {
		w->links.dropped++;
		return 0;
	}
	if (rc)
		return rc;
	struct links *l = &w->links;
	bool nofollow = list_has(attr(el, "rel"), "nofollow");
	size_t *slot = l->nslots ? links_slot(l, url) : NULL;
	if (slot && *slot) {
		l->v[*slot - 1].nofollow &= nofollow;
		free(url);
		return 0;
	}
	if (l->n >= w->lim->max_links) {
		free(url);
		l->dropped++;
		return 0;
	}
	struct doc_link link = {url, buf_take(&w->anchor.b), NULL, nofollow};
	const char *rel = attr(el, "rel");
	link.rel = collapsed_copy(rel ? rel : "", DOC_REL_MAX);
	rc = link.text && link.rel ? links_grow(l) : -ENOMEM;
	if (rc) {
		free(link.url);
		free(link.text);
		free(link.rel);
		return rc;
	}
	l->v[l->n++] = link;
	*links_slot(l, url) = l->n;
	return 0;
}

static void body_leave(void *ctx, const GumboNode *el)
{
	struct body_walk *w = ctx;
	GumboTag t = el->v.element.tag;
	bool html = el->v.element.tag_namespace == GUMBO_NAMESPACE_HTML;
	if (html && tag_is(t, T_BLOCK))
		bw_sep(w, '\n');
	if (html && tag_is(t, T_PRE))
		w->pre--;
	if (el == w->anchor_el) {
		w->anchor_el = NULL;
		if (w->anchor.full)
			w->truncated = true;
		if (!w->rc)
			w->rc = add_link(w, el);
	}
	if (w->posts)
		doc__posts_leave(w->posts, el); /* after the separator, which the post keeps */
}

static void body_text(void *ctx, const GumboNode *node)
{
	if (node->type == GUMBO_NODE_TEXT || node->type == GUMBO_NODE_WHITESPACE ||
	    node->type == GUMBO_NODE_CDATA)
		bw_add(ctx, node->v.text.text);
}

/* ---- The document ---- */

void doc_free(struct doc *d)
{
	if (!d)
		return;
	free(d->title);
	free(d->description);
	free(d->canonical);
	free(d->body);
	free(d->link_text);
	for (size_t i = 0; i < d->nlinks; i++) {
		free(d->links[i].url);
		free(d->links[i].text);
		free(d->links[i].rel);
	}
	free(d->links);
	for (size_t i = 0; i < d->nposts; i++) {
		free(d->posts[i].text);
		free(d->posts[i].author);
		free(d->posts[i].time);
	}
	free(d->posts);
	free(d);
}

static void links_free(struct links *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].url);
		free(l->v[i].text);
		free(l->v[i].rel);
	}
	free(l->v);
	free(l->slots);
}

/* Decodes raw into text (capped at max_input: a cut sets d->truncated). */
static int doc_decode(const char *raw, size_t len, const char *content_type, struct doc *d,
		      struct buf *text)
{
	charset_sniff(raw, len, content_type, d->encoding, &d->encoding_source);
	int rc = charset_convert(raw, len, d->encoding, text);
	if (rc == ERR_TOO_BIG) {
		d->truncated = true;
		rc = 0;
	}
	return rc;
}

/* The URL links resolve against: <base href> resolved against page_url, else page_url. */
static int doc_base(const char *page_url, const char *base_href, char **ret)
{
	*ret = NULL;
	if (base_href) {
		int rc = url_resolve(page_url, base_href, ret);
		if (rc != ERR_URL && rc != ERR_TOO_BIG)
			return rc;
	}
	if (!page_url)
		return 0;
	*ret = strdup(page_url);
	return *ret ? 0 : -ENOMEM;
}

/* d->canonical: href resolved against base, "" when absent or not an http(s) URL. */
static int doc_canonical(const char *base, const char *href, struct doc *d)
{
	int rc = href ? url_resolve(base, href, &d->canonical) : ERR_URL;
	if (rc == ERR_URL || rc == ERR_TOO_BIG) {
		d->canonical = strdup("");
		rc = d->canonical ? 0 : -ENOMEM;
	}
	return rc;
}

static int doc_body(const GumboNode *root, const struct doc_limits *lim, const char *base,
		    const struct doc_options *opts, struct doc *d)
{
	const struct doc_profiles *profiles = opts ? opts->profiles : NULL;
	struct doc__posts posts;
	struct body_walk w = {.lim = lim, .base = base, .uo = opts ? opts->url_opts : NULL,
			      .posts = profiles ? &posts : NULL};
	if (base && url_base_new(base, &w.ub) == -ENOMEM)
		return -ENOMEM; /* any other failure: links take url_resolve_opts */
	if (profiles)
		doc__posts_init(&posts, profiles, lim);
	doc__text_init(&w.body, lim->max_text);
	doc__text_init(&w.link_text, lim->max_text);
	doc__text_init(&w.anchor, DOC_ANCHOR_MAX);
	struct visitor v = {body_enter, body_leave, body_text, &w};
	int rc = walk(root, lim->max_depth, &v, &w.truncated);
	if (!rc)
		rc = w.rc;
	if (rc)
		goto fail;
	d->truncated |= w.truncated || w.body.full || w.link_text.full;
	d->body = buf_take(&w.body.b);
	d->link_text = buf_take(&w.link_text.b);
	if (!d->body || !d->link_text) {
		rc = -ENOMEM;
		goto fail;
	}
	d->links = w.links.v;
	d->nlinks = w.links.n;
	d->links_dropped = w.links.dropped;
	w.links.v = NULL;
	w.links.n = 0;
	if (profiles)
		rc = doc__posts_finish(&posts, d);
fail:
	if (profiles)
		doc__posts_done(&posts);
	links_free(&w.links);
	url_base_free(w.ub);
	buf_done(&w.body.b);
	buf_done(&w.link_text.b);
	buf_done(&w.anchor.b);
	return rc;
}

/* Parses text (UTF-8, nesting capped) with Gumbo and extracts the document into d. */
static int doc_extract(const char *text, size_t len, const char *page_url,
		       const struct doc_limits *lim, const struct doc_options *opts, struct doc *d)
{
	struct arena arena;
	arena_init(&arena);
	GumboOptions gopts = kGumboDefaultOptions;
	gopts.allocator = arena_alloc;
	gopts.deallocator = arena_dealloc;
	gopts.userdata = &arena;
	gopts.max_errors = 0;
	GumboOutput *out = gumbo_parse_with_options(&gopts, text, len);
	struct head_info h = {0};
	doc__text_init(&h.title, DOC_TITLE_MAX);
	struct visitor v = {head_enter, NULL, NULL, &h};
	char *base = NULL;
	int rc = walk(out->document, lim->max_depth, &v, &d->truncated);
	if (!rc)
		rc = h.rc;
	if (!rc)
		rc = doc_base(page_url, h.base_href, &base);
	if (!rc)
		rc = doc_canonical(base, h.canonical_href, d);
	if (!rc)
		rc = doc_body(out->document, lim, base, opts, d);
	if (!rc) {
		d->description = collapsed_copy(h.description ? h.description : "", DOC_TITLE_MAX);
		rc = d->description ? 0 : -ENOMEM;
	}
	d->truncated |= h.title.full;
	d->noindex = h.noindex;
	d->nofollow = h.nofollow;
	if (!rc) {
		d->title = buf_take(&h.title.b);
		rc = d->title ? 0 : -ENOMEM;
	}
	free(base);
	buf_done(&h.title.b);
	arena_free_all(&arena);
	return rc;
}

int doc_parse_with(const char *raw, size_t len, const char *content_type, const char *page_url,
		   const struct doc_options *opts, struct doc **ret_doc)
{
	const struct doc_limits *lim = opts ? opts->lim : NULL;
	struct doc_limits defaults;
	if (!lim) {
		doc_limits_default(&defaults);
		lim = &defaults;
	}
	struct buf text;
	buf_init(&text, lim->max_input);
	struct doc *d = calloc(1, sizeof(*d));
	int rc = d ? 0 : -ENOMEM;
	if (!rc && page_url) {
		char *check = NULL;
		rc = url_resolve(NULL, page_url, &check);
		rc = rc == ERR_TOO_BIG ? ERR_URL : rc;
		free(check);
	}
	if (!rc)
		rc = doc_decode(raw ? raw : "", raw ? len : 0, content_type, d, &text);
	if (!rc && text.len > 0) {
		rc = nest_cap(text.data, &text.len, lim->max_depth > 1 ? lim->max_depth / 2 : 1);
		text.data[text.len] = '\0';
		d->truncated |= rc == 1;
		rc = rc < 0 ? rc : 0;
	}
	if (!rc)
		rc = doc_extract(buf_str(&text), text.len, page_url, lim, opts, d);
	buf_done(&text);
	if (rc) {
		doc_free(d);
		return rc;
	}
	*ret_doc = d;
	return 0;
}

int doc_parse(const char *raw, size_t len, const char *content_type, const char *page_url,
	      const struct doc_limits *lim, struct doc **ret_doc)
{
	struct doc_options opts = {.lim = lim};
	return doc_parse_with(raw, len, content_type, page_url, &opts, ret_doc);
}
