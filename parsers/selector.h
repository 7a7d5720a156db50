/* SPDX-License-Identifier: MIT */
/* A small CSS-like selector language, for finding forum posts and their parts in a page.
 *
 * What it takes (docs/extract.md has the reference): a tag name or '*', ".class", "#id",
 * "[attr]", "[attr=value]" and "[attr^=prefix]" (value bare or in quotes), combined into compound
 * selectors ("div#postlist", "li.comment.depth-1"), joined by the descendant (' ') and child
 * ('>') combinators, and listed with ','. Tag and attribute names are ASCII case-insensitive;
 * ids, classes and values are case-sensitive, as in HTML's standards mode. Nothing else of CSS
 * (no ':', '+', '~', escapes): a selector that uses it is refused with the column of the problem.
 *
 * Matching knows nothing of any HTML parser: the caller describes its tree with three callbacks
 * (struct selector_dom), so the language is tested without Gumbo and Gumbo stays in doc.c.
 * Matching runs right to left and never backtracks past a failed descendant combinator, so it
 * costs O(compounds x depth) per element. A compiled selector is immutable: any number of threads
 * may match with it at once.
 */
#ifndef PATROL_PARSERS_SELECTOR_H
#define PATROL_PARSERS_SELECTOR_H

#include <stdbool.h>
#include <stddef.h>

#define SELECTOR_MAX_LEN       512 /* bytes of selector text */
#define SELECTOR_MAX_ALTS      8   /* comma-separated alternatives */
#define SELECTOR_MAX_COMPOUNDS 32  /* compound selectors, all alternatives together */
#define SELECTOR_MAX_SIMPLES   64  /* .class, #id and [attr] parts, all together */

struct selector;

/* Why a selector was refused: column is 1-based, in characters (UTF-8 code points) of the
 * selector text, pointing at the offending character (one past the end for "ends too soon"). */
struct selector_error {
	size_t column;
	char message[120];
};

/* Compiles text. Errors: ERR_PARSE (syntax, or over a cap above; *ret_err says where and why),
 * -ENOMEM. ret_err may be NULL. The caller frees *ret_sel with selector_free(). */
int selector_compile(const char *text, struct selector **ret_sel, struct selector_error *ret_err);
void selector_free(struct selector *sel);

/* The tree as the matcher sees it. el is whatever the caller's element handle is. */
struct selector_dom {
	/* Whether el's tag name is name (given in lower case). */
	bool (*tag_is)(const void *el, const char *name);
	/* The value of el's attribute name (given in lower case), or NULL when it has none. */
	const char *(*attr)(const void *el, const char *name);
	/* el's parent element, or NULL at the top. */
	const void *(*parent)(const void *el);
};

/* The index of the first alternative of sel that matches el, or -1 when none does. */
int selector_match(const struct selector *sel, const struct selector_dom *dom, const void *el);

/* How many alternatives sel has (1 to SELECTOR_MAX_ALTS). */
size_t selector_alternatives(const struct selector *sel);
/* The tag name (lower case) that alternative i requires of the element it matches, or NULL when
 * it takes any tag. Lets a caller skip elements that cannot match before calling the matcher. */
const char *selector_subject_tag(const struct selector *sel, size_t i);

#endif
