/* SPDX-License-Identifier: MIT */
/* Unit tests of parsers/selector.h: the selector language's grammar, its errors (with columns)
 * and caps, and matching on a small tree of our own, without Gumbo.
 */
#include "common/err.h"
#include "parsers/selector.h"

#include <setjmp.h> /* cmocka needs these first */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- A tiny tree ---- */

struct node {
	const char *tag;	 /* as a parser would name it: lower case */
	const char *attrs[8][2]; /* name, value; a NULL name ends the list */
	const struct node *parent;
};

static bool node_tag_is(const void *el, const char *name)
{
	return strcmp(((const struct node *)el)->tag, name) == 0;
}

static const char *node_attr(const void *el, const char *name)
{
	const struct node *n = el;
	for (size_t i = 0; i < 8 && n->attrs[i][0]; i++)
		if (strcasecmp(n->attrs[i][0], name) == 0)
			return n->attrs[i][1];
	return NULL;
}

static const void *node_parent(const void *el)
{
	return ((const struct node *)el)->parent;
}

static const struct selector_dom dom = {node_tag_is, node_attr, node_parent};

static struct selector *compile(const char *text)
{
	struct selector *sel = NULL;
	struct selector_error err = {0};
	int rc = selector_compile(text, &sel, &err);
	if (rc)
		fail_msg("'%s': column %zu: %s", text, err.column, err.message);
	return sel;
}

/* The alternative of text that matches el, or -1. */
static int match(const char *text, const struct node *el)
{
	struct selector *sel = compile(text);
	int k = selector_match(sel, &dom, el);
	selector_free(sel);
	return k;
}

/* html > body > div#postlist.pl.bm > div#post_12 > table > td.t_f[data-x=1] > font.jammer */
static const struct node html = {"html", {{NULL}}, NULL};
static const struct node body = {"body", {{"class", "pg_viewthread"}}, &html};
static const struct node postlist = {"div", {{"id", "postlist"}, {"class", " pl\tbm "}}, &body};
static const struct node post = {"div", {{"id", "post_12"}}, &postlist};
static const struct node table = {"table", {{"summary", "pid12"}}, &post};
static const struct node cell = {"td", {{"class", "t_f"}, {"data-x", "1"}, {"ID", "pm"}}, &table};
static const struct node jammer = {"font", {{"class", "jammer"}}, &cell};

static void test_selector_simple(void **state)
{
	(void)state;
	assert_int_equal(match("div", &post), 0);
	assert_int_equal(match("DIV", &post), 0); /* tag names are case-insensitive */
	assert_int_equal(match("span", &post), -1);
	assert_int_equal(match("*", &jammer), 0);
	assert_int_equal(match(".bm", &postlist), 0);
	assert_int_equal(match(".pl.bm", &postlist), 0);
	assert_int_equal(match(".PL", &postlist), -1); /* classes are case-sensitive */
	assert_int_equal(match(".p", &postlist), -1);  /* whole tokens only */
	assert_int_equal(match("#postlist", &postlist), 0);
	assert_int_equal(match("div#postlist.pl", &postlist), 0);
	assert_int_equal(match("#Postlist", &postlist), -1);
	assert_int_equal(match("[data-x]", &cell), 0);
	assert_int_equal(match("[DATA-X=1]", &cell), 0); /* attribute names are case-insensitive */
	assert_int_equal(match("[data-x='1']", &cell), 0);
	assert_int_equal(match("[data-x=\"2\"]", &cell), -1);
	assert_int_equal(match("[id^=post_]", &post), 0);
	assert_int_equal(match("[id^=post_]", &postlist), -1);
	assert_int_equal(match("[id^='']", &post), -1); /* an empty prefix matches nothing */
	assert_int_equal(match("[id='']", &html), -1);
	assert_int_equal(match("[ data-x = 1 ]", &cell), 0);
	assert_int_equal(match("td[id=pm]", &cell), 0);
	assert_int_equal(match("[style='display:none']", &cell), -1);
}

static void test_selector_combinators(void **state)
{
	(void)state;
	assert_int_equal(match("div#postlist > div[id^=post_]", &post), 0);
	assert_int_equal(match("#postlist > div", &postlist), -1);
	assert_int_equal(match("#postlist>div", &post), 0);
	assert_int_equal(match("#postlist td.t_f", &cell), 0);
	assert_int_equal(match("body #postlist td", &cell), 0);
	assert_int_equal(match("#postlist > td", &cell), -1);
	assert_int_equal(match("td body", &cell), -1);
	assert_int_equal(match("html > body > div > div > table > td > font", &jammer), 0);
	/* The nearest div is #post_12, whose parent is no body; the div above it matches. */
	assert_int_equal(match("body > div td", &cell), 0);
	assert_int_equal(match("body > div > td", &cell), -1);
	/* Alternatives: the index of the first that matches. */
	assert_int_equal(match("span, td.t_f, td", &cell), 1);
	assert_int_equal(match("span,p", &cell), -1);
	assert_int_equal(match("  td  ,  span  ", &cell), 0);
}

static void test_selector_introspection(void **state)
{
	(void)state;
	struct selector *sel = compile("div.a > p, .b, SPAN#c, x-post");
	assert_int_equal(selector_alternatives(sel), 4);
	assert_string_equal(selector_subject_tag(sel, 0), "p");
	assert_null(selector_subject_tag(sel, 1));
	assert_string_equal(selector_subject_tag(sel, 2), "span");
	assert_string_equal(selector_subject_tag(sel, 3), "x-post");
	selector_free(sel);
	selector_free(NULL);
}

static void assert_refused(const char *text, size_t column, const char *message)
{
	struct selector *sel = NULL;
	struct selector_error err = {0};
	assert_int_equal(selector_compile(text, &sel, &err), ERR_PARSE);
	assert_null(sel);
	if (err.column != column || !strstr(err.message, message))
		fail_msg("'%s': got column %zu '%s', want column %zu '%s'", text, err.column,
			 err.message, column, message);
}

static void test_selector_errors(void **state)
{
	(void)state;
	assert_refused("", 1, "empty selector");
	assert_refused("   ", 4, "empty selector");
	assert_refused("div.", 5, "expected a class name after '.'");
	assert_refused("div#", 5, "expected an id after '#'");
	assert_refused("div > ", 5, "expected a selector after '>'");
	assert_refused("div,", 4, "expected a selector after ','");
	assert_refused(", div", 1, "unexpected ','");
	assert_refused("div + p", 5, "the '+' combinator is not supported");
	assert_refused("div ~ p", 5, "the '~' combinator is not supported");
	assert_refused("a:hover", 2, "pseudo-classes");
	assert_refused("a\\b", 2, "backslash escapes");
	assert_refused("[", 2, "ends too soon");
	assert_refused("[=x]", 2, "expected an attribute name");
	assert_refused("[id", 4, "no ']' closes the '[' at column 1");
	assert_refused("[id=x", 6, "no ']' closes the '[' at column 1");
	assert_refused("[id~=x]", 4, "'~=' is not supported");
	assert_refused("[id*=x]", 4, "'*=' is not supported");
	assert_refused("[id x]", 5, "expected '=', '^=' or ']'");
	assert_refused("[id=]", 5, "expected a value");
	assert_refused("[id='x]", 5, "unterminated string");
	assert_refused("[id=x y]", 7, "expected ']'");
	assert_refused("div*", 4, "unexpected '*'");
	assert_refused("div\x01", 4, "control character 0x01");
	/* Columns count characters, not bytes. */
	assert_refused("div.帖子 + p", 8, "'+' combinator");
}

static void test_selector_caps(void **state)
{
	(void)state;
	char text[2 * SELECTOR_MAX_LEN];
	memset(text, 'a', SELECTOR_MAX_LEN + 1);
	text[SELECTOR_MAX_LEN + 1] = '\0';
	assert_refused(text, SELECTOR_MAX_LEN + 1, "longer than 512 bytes");
	text[SELECTOR_MAX_LEN] = '\0';
	struct selector *sel = compile(text);
	selector_free(sel);

	assert_refused("a,b,c,d,e,f,g,h,i", 17, "more than 8 alternatives");
	text[0] = '\0';
	for (int i = 0; i < SELECTOR_MAX_COMPOUNDS + 1; i++)
		strcat(text, "a ");
	assert_refused(text, 2 * SELECTOR_MAX_COMPOUNDS + 1, "more than 32 compound selectors");
	text[0] = '\0';
	for (int i = 0; i < SELECTOR_MAX_SIMPLES + 1; i++)
		strcat(text, ".c");
	assert_refused(text, 2 * SELECTOR_MAX_SIMPLES + 1, "more than 64 classes");
	/* A NULL error pointer is allowed. */
	assert_int_equal(selector_compile("div..x", &sel, NULL), ERR_PARSE);
}

/* A descendant chain over a deep tree: the matcher gives up after one pass per compound. */
static void test_selector_deep(void **state)
{
	(void)state;
	enum { DEPTH = 2000 };
	struct node *nodes = calloc(DEPTH, sizeof(*nodes));
	assert_non_null(nodes);
	for (size_t i = 0; i < DEPTH; i++)
		nodes[i] = (struct node){
			"div", {{"class", i % 2 ? "b" : "a"}}, i ? &nodes[i - 1] : NULL};
	struct selector *sel = compile("p div div div div div div div div div div div div div div");
	for (size_t i = 0; i < DEPTH; i += 97)
		assert_int_equal(selector_match(sel, &dom, &nodes[i]), -1);
	selector_free(sel);
	sel = compile(".x .a > .b .a > .b .a > .b .a > .b .a > .b .a > .b .a > .b .a > .b");
	assert_int_equal(selector_match(sel, &dom, &nodes[DEPTH - 1]), -1);
	selector_free(sel);
	sel = compile(".a > .b .a > .b");
	assert_int_equal(selector_match(sel, &dom, &nodes[DEPTH - 1]), 0);
	selector_free(sel);
	free(nodes);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_selector_simple),
		cmocka_unit_test(test_selector_combinators),
		cmocka_unit_test(test_selector_introspection),
		cmocka_unit_test(test_selector_errors),
		cmocka_unit_test(test_selector_caps),
		cmocka_unit_test(test_selector_deep),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
