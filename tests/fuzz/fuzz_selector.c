/* SPDX-License-Identifier: MIT */
/* Fuzz target for selector_compile and selector_match (parsers/selector.h): the input is a
 * selector's text. A refusal must say where (a column within the text, a message); a compiled
 * selector must match or not on a small fixed tree without crashing, and report an alternative
 * it has.
 */
#include "common/err.h"
#include "parsers/selector.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct node {
	const char *tag;
	const char *attrs[3][2];
	const struct node *parent;
};

static bool node_tag_is(const void *el, const char *name)
{
	return strcmp(((const struct node *)el)->tag, name) == 0;
}

static const char *node_attr(const void *el, const char *name)
{
	const struct node *n = el;
	for (size_t i = 0; i < 3 && n->attrs[i][0]; i++)
		if (strcasecmp(n->attrs[i][0], name) == 0)
			return n->attrs[i][1];
	return NULL;
}

static const void *node_parent(const void *el)
{
	return ((const struct node *)el)->parent;
}

static const struct selector_dom dom = {node_tag_is, node_attr, node_parent};

static const struct node html = {"html", {{NULL}}, NULL};
static const struct node list = {"div", {{"id", "postlist"}, {"class", "pl bm"}}, &html};
static const struct node post = {"div", {{"id", "post_1"}, {"class", "post"}}, &list};
static const struct node cell = {"td", {{"class", "t_f"}, {"style", "display:none"}}, &post};
static const struct node *const nodes[] = {&html, &list, &post, &cell};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	struct selector *sel = NULL;
	struct selector_error err = {0};
	int rc = selector_compile(text, &sel, &err);
	if (rc == ERR_PARSE) {
		if (err.column < 1 || err.column > strlen(text) + 1 || !err.message[0] || sel)
			abort();
	} else if (rc == 0) {
		size_t n = selector_alternatives(sel);
		if (n < 1 || n > SELECTOR_MAX_ALTS)
			abort();
		for (size_t i = 0; i < sizeof(nodes) / sizeof(nodes[0]); i++) {
			int k = selector_match(sel, &dom, nodes[i]);
			if (k < -1 || k >= (int)n)
				abort();
		}
		selector_free(sel);
	} else if (rc != -ENOMEM) {
		abort();
	}
	free(text);
	return 0;
}
