/* SPDX-License-Identifier: MIT */
/* Loading rule packs: each file read into a tree by the strict YAML reader (parsers/yaml.h), then
 * a strict schema walk that builds the set and collects every error of every file (docs/rules.md
 * is the format).
 *
 * Anchors, aliases and tags are refused, every scalar is a string, and each file, tree, list and
 * name has a cap. A set is all or nothing: if any file has an error, the caller gets the error
 * lines sorted by position and no set. Nothing here is shared between calls.
 */
#include "rules/rules_int.h"

#include "common/digest.h"
#include "common/err.h"
#include "common/i18n.h"
#include "parsers/normalize.h"
#include "parsers/yaml.h"

#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* ---- arena: everything a set owns, freed in one go ---- */

struct rules__chunk {
	struct rules__chunk *next;
	size_t used, size;
	max_align_t data[];
};

static void *arena_alloc(struct rules__chunk **arena, size_t size)
{
	const size_t align = sizeof(max_align_t);
	if (size > SIZE_MAX / 2)
		return NULL;
	size = (size + align - 1) / align * align;
	struct rules__chunk *c = *arena;
	if (!c || c->size - c->used < size) {
		size_t csize = size > 32768 ? size : 32768;
		c = malloc(sizeof(*c) + csize);
		if (!c)
			return NULL;
		*c = (struct rules__chunk){ .next = *arena, .size = csize };
		*arena = c;
	}
	void *p = (char *)c->data + c->used;
	c->used += size;
	return p;
}

static char *arena_strndup(struct rules__chunk **arena, const char *s, size_t n)
{
	char *p = arena_alloc(arena, n + 1);
	if (p) {
		memcpy(p, s, n);
		p[n] = '\0';
	}
	return p;
}

static void arena_free(struct rules__chunk *c)
{
	while (c) {
		struct rules__chunk *next = c->next;
		free(c);
		c = next;
	}
}

/* ---- one file: its YAML doc (tree and errors) and its name for the set's messages ---- */

struct file {
	const char *name;     /* as given; lives in the set's arena */
	struct yaml_doc *doc; /* the tree, scratch lists and errors of this file */
	const char *digest;   /* SHA-256 of its bytes, hex, in the arena; "" when unknown */
};

/* The caps of rules_int.h, as the YAML reader takes them. */
static const struct yaml_limits pack_limits = {
	.max_bytes = RULES__MAX_FILE,
	.max_depth = RULES__MAX_DEPTH,
	.max_nodes = RULES__MAX_NODES,
	.max_errors = RULES__MAX_ERRORS,
};

/* [a-z0-9][a-z0-9._-]* for packs and rule ids; [a-z_][a-z0-9_]* for patterns and lists. */
static bool valid_name(const char *s, size_t len, bool dotted)
{
	if (len == 0 || len > RULES__MAX_NAME)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9' && (dotted || i > 0)) ||
			  (c == '_' && (!dotted || i > 0)) ||
			  (dotted && i > 0 && (c == '.' || c == '-'));
		if (!ok)
			return false;
	}
	return true;
}

#define DOTTED_NAMES "[a-z0-9][a-z0-9._-]*, at most 128 bytes"
#define PLAIN_NAMES "[a-z_][a-z0-9_]*, at most 128 bytes"

/* ---- names defined once per set: rule ids and packs ---- */

struct origin {
	const char *key, *file;
	size_t line, col;
};

struct table {
	struct origin *slots;
	size_t cap, n;
};

static size_t hash(const char *s)
{
	size_t h = 14695981039346656037u;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211u;
	return h;
}

static int table_grow(struct table *t)
{
	size_t cap = t->cap ? t->cap * 2 : 64;
	struct origin *slots = calloc(cap, sizeof(*slots));
	if (!slots)
		return -ENOMEM;
	for (size_t i = 0; i < t->cap; i++) {
		if (!t->slots[i].key)
			continue;
		size_t j = hash(t->slots[i].key) & (cap - 1);
		while (slots[j].key)
			j = (j + 1) & (cap - 1);
		slots[j] = t->slots[i];
	}
	free(t->slots);
	t->slots = slots;
	t->cap = cap;
	return 0;
}

/* Adds o unless its key is there: returns the earlier origin, or NULL after adding it. */
static const struct origin *table_add(struct table *t, const struct origin *o, int *rc)
{
	*rc = 0;
	if (2 * (t->n + 1) > t->cap && (*rc = table_grow(t)) != 0)
		return NULL;
	size_t j = hash(o->key) & (t->cap - 1);
	for (; t->slots[j].key; j = (j + 1) & (t->cap - 1))
		if (strcmp(t->slots[j].key, o->key) == 0)
			return &t->slots[j];
	t->slots[j] = *o;
	t->n++;
	return NULL;
}

/* ---- loading ---- */

struct loader {
	struct rules_set *set;
	struct rules__compiler compiler;
	struct table ids, packs;
	struct buf *errors;
	bool failed; /* some file had an error */
	int rc;      /* -ENOMEM and the like: stops everything */
	const char *cache_dir;
	const char *opencc_config; /* NULL: OpenCC's default t2s.json */
	const struct normalizer *nz; /* the caller's normalizer, or NULL to build one */
};

struct pack {
	const char *name, *version;
	const char *digest; /* the file's: hits record which pack text found them */
	const struct rules__list *lists;
	size_t nlists;
};

/* Notes name as defined at node n; reports it if it was defined before. */
static void define_once(struct loader *L, struct file *f, struct table *t, const char *what,
			const char *name, const struct yaml_node *n)
{
	struct origin o = { .key = name, .file = f->name, .line = n->line, .col = n->col };
	int rc;
	const struct origin *prev = table_add(t, &o, &rc);
	if (rc != 0)
		L->rc = rc;
	else if (prev)
		yaml_error_at(f->doc, n->line, n->col,
			      _("duplicate %s '%s' (first defined at %s:%zu:%zu)"), _(what), name,
			      prev->file, prev->line, prev->col);
}

static struct rules__rule *new_rule(struct loader *L)
{
	struct rules_set *s = L->set;
	if (s->nrules == s->alloc) {
		size_t alloc = s->alloc ? s->alloc * 2 : 64;
		struct rules__rule *r = realloc(s->rules, alloc * sizeof(*r));
		if (!r) {
			L->rc = -ENOMEM;
			return NULL;
		}
		s->rules = r;
		s->alloc = alloc;
	}
	struct rules__rule *r = &s->rules[s->nrules++];
	*r = (struct rules__rule){ 0 };
	return r;
}

static const char *set_strdup(struct loader *L, const char *s)
{
	const char *p = arena_strndup(&L->set->arena, s, strlen(s));
	if (!p)
		L->rc = -ENOMEM;
	return p;
}

static int item_cmp(const void *a, const void *b)
{
	const struct yaml_node *x = *(const struct yaml_node *const *)a,
			       *y = *(const struct yaml_node *const *)b;
	if (x->len != y->len)
		return x->len > y->len ? -1 : 1;
	return x->line != y->line ? (x->line < y->line ? -1 : 1)
				  : (x->col > y->col) - (x->col < y->col);
}

/* One list: its items sorted longest first, so the longest alternative wins at a position. */
static void load_list(struct loader *L, struct file *f, const struct yaml_node *k,
		      const struct yaml_node *v, struct rules__list *l)
{
	*l = (struct rules__list){ .name = k->str, .namelen = k->len };
	if (!yaml_check_string_list(f->doc, v, k->str, RULES__MAX_LIST_ITEMS))
		return;
	if (v->n == 0)
		yaml_error_at(f->doc, v->line, v->col, _("list '%s' must not be empty"), k->str);
	const struct yaml_node **sorted = yaml_doc_alloc(f->doc, (v->n + 1) * sizeof(*sorted));
	const char **items = yaml_doc_alloc(f->doc, (v->n + 1) * sizeof(*items));
	size_t *lens = yaml_doc_alloc(f->doc, (v->n + 1) * sizeof(*lens));
	if (!sorted || !items || !lens) {
		L->rc = -ENOMEM;
		return;
	}
	size_t n = 0;
	for (const struct yaml_node *i = v->first; i; i = i->next) {
		if (i->len == 0)
			yaml_error_at(f->doc, i->line, i->col, _("list '%s' has an empty item"),
				      k->str);
		else
			sorted[n++] = i;
	}
	qsort(sorted, n, sizeof(*sorted), item_cmp);
	for (size_t i = 0; i < n; i++)
		items[i] = sorted[i]->str, lens[i] = sorted[i]->len;
	l->items = items;
	l->itemlens = lens;
	l->nitems = n;
}

static void load_lists(struct loader *L, struct file *f, const struct yaml_node *v, struct pack *pk)
{
	if (!yaml_check_map(f->doc, v, "lists"))
		return;
	if (v->n / 2 > RULES__MAX_LISTS) {
		yaml_error_at(f->doc, v->line, v->col, _("more than %d lists"), RULES__MAX_LISTS);
		return;
	}
	struct rules__list *lists = yaml_doc_alloc(f->doc, (v->n / 2 + 1) * sizeof(*lists));
	if (!lists) {
		L->rc = -ENOMEM;
		return;
	}
	size_t n = 0;
	for (const struct yaml_node *k = v->first; k && k->next && L->rc == 0; k = k->next->next) {
		if (k->bad)
			continue;
		if (k->kind != YAML_SCALAR || !valid_name(k->str, k->len, false)) {
			yaml_error_at(f->doc, k->line, k->col,
				      "invalid list name '%s' (allowed: " PLAIN_NAMES ")",
				      k->kind == YAML_SCALAR ? k->str : "");
			continue;
		}
		bool dup = false;
		for (size_t i = 0; i < n && !dup; i++)
			dup = strcmp(lists[i].name, k->str) == 0;
		if (dup)
			yaml_error_at(f->doc, k->line, k->col, _("duplicate key '%s'"), k->str);
		else
			load_list(L, f, k, k->next, &lists[n++]);
	}
	pk->lists = lists;
	pk->nlists = n;
}

/* ---- one rule ---- */

enum rkey {
	R_ID,
	R_TITLE,
	R_DESCRIPTION,
	R_CATEGORY,
	R_SEVERITY,
	R_FIELDS,
	R_PATTERNS,
	R_CONDITION,
	R_TESTS,
	R_REFERENCES,
	R_NKEYS
};

static const struct yaml_key rule_keys[R_NKEYS] = {
	[R_ID] = {"id", true},
	[R_TITLE] = {"title", true},
	[R_DESCRIPTION] = {"description", false},
	[R_CATEGORY] = {"category", true},
	[R_SEVERITY] = {"severity", true},
	[R_FIELDS] = {"fields", false},
	[R_PATTERNS] = {"patterns", true},
	[R_CONDITION] = {"condition", false},
	[R_TESTS] = {"tests", false},
	[R_REFERENCES] = {"references", false},
};

struct rule_ctx {
	struct loader *L;
	struct file *f;
	const struct pack *pk;
	struct rules__rule *r;
	const struct yaml_node *v[R_NKEYS], *k[R_NKEYS];
	const struct yaml_node *patkeys[RULES__MAX_PATTERNS]; /* each pattern's key node */
	const char *names[RULES__MAX_PATTERNS];
	bool patterns_ok; /* the patterns mapping was read; invalid names are "" in names */
};

static void load_severity(struct rule_ctx *c)
{
	static const char *const levels[] = { "info", "low", "medium", "high", "critical" };
	const struct yaml_node *v = c->v[R_SEVERITY];
	if (!v || !yaml_get_string(c->f->doc, v, "severity", false))
		return;
	for (size_t i = 0; i < sizeof(levels) / sizeof(levels[0]); i++)
		if (yaml_scalar_is(v, levels[i]))
			c->r->info.severity = levels[i];
	if (!c->r->info.severity)
		yaml_error_at(
			c->f->doc, v->line, v->col,
			_("invalid severity '%s' (allowed: info, low, medium, high, critical)"),
			v->str);
}

static void load_fields(struct rule_ctx *c)
{
	const struct yaml_node *v = c->v[R_FIELDS];
	c->r->fields = 1u << RULES__FIELD_TITLE | 1u << RULES__FIELD_BODY;
	c->r->test_field = RULES__FIELD_BODY;
	if (!v)
		return;
	if (!yaml_check_string_list(c->f->doc, v, "fields", RULES__NFIELDS))
		return;
	if (v->n == 0)
		yaml_error_at(c->f->doc, v->line, v->col, _("'fields' must not be empty"));
	c->r->fields = 0;
	for (const struct yaml_node *i = v->first; i; i = i->next) {
		int fi = rules__field_find(i->str, i->len);
		if (fi < 0) {
			yaml_error_at(
				c->f->doc, i->line, i->col,
				_("unknown field '%s' (allowed: title, body, post, author, url, "
				  "link_text)"),
				i->str);
		} else if (c->r->fields & (1u << fi)) {
			yaml_error_at(c->f->doc, i->line, i->col, _("duplicate field '%s'"),
				      i->str);
		} else {
			if (c->r->fields == 0 || fi == RULES__FIELD_BODY)
				c->r->test_field = (unsigned)fi;
			c->r->fields |= 1u << fi;
		}
	}
}

static bool reserved(const char *s)
{
	static const char *const words[] = { "and", "or", "not", "all", "any", "of", "them", "in" };
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strcmp(s, words[i]) == 0)
			return true;
	return false;
}

/* A pattern's name: valid, not a keyword of the condition language, not seen before. */
static bool check_pattern_name(struct rule_ctx *c, const struct yaml_node *k, size_t n)
{
	if (k->bad)
		return false;
	if (k->kind != YAML_SCALAR || !valid_name(k->str, k->len, false)) {
		yaml_error_at(c->f->doc, k->line, k->col,
			      "invalid pattern name '%s' (allowed: " PLAIN_NAMES ")",
			      k->kind == YAML_SCALAR ? k->str : "");
		return false;
	}
	if (reserved(k->str)) {
		yaml_error_at(c->f->doc, k->line, k->col, _("pattern name '%s' is a reserved word"),
			      k->str);
		return false;
	}
	for (size_t i = 0; i < n; i++) {
		if (strcmp(c->names[i], k->str) == 0) {
			yaml_error_at(c->f->doc, k->line, k->col, _("duplicate key '%s'"), k->str);
			return false;
		}
	}
	return true;
}

/* The long form of a pattern, {regex: ..., view: raw} or {literal: ..., view: ...}: the node
 * holding the text, whether it is a literal, and p->view. NULL after an error. */
static const struct yaml_node *pattern_options(struct rule_ctx *c, const struct yaml_node *k,
					       const struct yaml_node *v, struct rules__pattern *p,
					       bool *ret_literal)
{
	static const struct yaml_key keys[] = {{"regex", false}, {"literal", false}, {"view", false}};
	const struct yaml_node *vals[3], *knodes[3];
	yaml_map_fields(c->f->doc, v, keys, 3, vals, knodes);
	if (!vals[0] == !vals[1]) {
		yaml_error_at(c->f->doc, v->line, v->col,
			      _("pattern '%s': needs exactly one of 'regex' and 'literal'"),
			      k->str);
		return NULL;
	}
	if (vals[2] && yaml_get_string(c->f->doc, vals[2], "view", false)) {
		if (yaml_scalar_is(vals[2], "raw"))
			p->view = RULES__VIEW_RAW;
		else if (!yaml_scalar_is(vals[2], "normalized"))
			yaml_error_at(c->f->doc, vals[2]->line, vals[2]->col,
				      _("invalid view '%s' (allowed: normalized, raw)"),
				      vals[2]->str);
	}
	*ret_literal = vals[1] != NULL;
	return vals[0] ? vals[0] : vals[1];
}

static void compile_pattern(struct rule_ctx *c, const struct yaml_node *k,
			    const struct yaml_node *v, struct rules__pattern *p)
{
	bool literal = false;
	if (v->kind == YAML_MAP && !(v = pattern_options(c, k, v, p, &literal)))
		return;
	if (!yaml_get_string(c->f->doc, v, k->str, true))
		return;
	if (v->len > RULES__MAX_PATTERN) {
		yaml_error_at(c->f->doc, v->line, v->col, _("pattern '%s': longer than %d bytes"),
			      k->str, RULES__MAX_PATTERN);
		return;
	}
	struct rules__regex_error err;
	char *expr = NULL, *text = NULL;
	if (literal && asprintf(&text, "literal:%s", v->str) < 0) {
		c->L->rc = -ENOMEM;
		return;
	}
	int rc = rules__pattern_compile(&c->L->compiler, text ? text : v->str,
					v->len + (text ? 8 : 0), c->pk->lists, c->pk->nlists,
					&p->code, &expr, &err);
	free(text);
	if (rc == ERR_REGEX || rc == ERR_RULES)
		yaml_error_at(c->f->doc, v->line, v->col, _("pattern '%s': %s"), k->str, err.msg);
	else if (rc != 0)
		c->L->rc = rc;
	else if (expr)
		p->expr = set_strdup(c->L, expr);
	free(expr);
	c->r->views |= 1u << p->view;
}

static void load_patterns(struct rule_ctx *c)
{
	const struct yaml_node *v = c->v[R_PATTERNS];
	if (!v || !yaml_check_map(c->f->doc, v, "patterns"))
		return;
	size_t n = v->n / 2;
	if (n == 0) {
		yaml_error_at(c->f->doc, v->line, v->col, _("'patterns' must not be empty"));
		return;
	}
	if (n > RULES__MAX_PATTERNS) {
		yaml_error_at(c->f->doc, v->line, v->col, _("more than %d patterns"),
			      RULES__MAX_PATTERNS);
		return;
	}
	struct rules__pattern *pats = arena_alloc(&c->L->set->arena, n * sizeof(*pats));
	if (!pats) {
		c->L->rc = -ENOMEM;
		return;
	}
	for (size_t i = 0; i < n; i++)
		pats[i] = (struct rules__pattern){ .name = "", .positive = true };
	c->r->patterns = pats; /* from here on the set frees what is compiled */
	c->r->info.npatterns = n;
	size_t i = 0;
	for (const struct yaml_node *k = v->first; k && k->next; k = k->next->next, i++) {
		c->patkeys[i] = k;
		c->names[i] = "";
		if (!check_pattern_name(c, k, i))
			continue;
		c->names[i] = pats[i].name = set_strdup(c->L, k->str);
		if (!pats[i].name)
			return;
		compile_pattern(c, k, k->next, &pats[i]);
	}
	c->patterns_ok = true;
}

/* ---- the condition ---- */

struct cond_error {
	struct file *f;
	const struct yaml_node *v;
};

static size_t count_chars(const char *s, size_t n)
{
	size_t chars = 0;
	for (size_t i = 0; i < n; i++)
		chars += ((unsigned char)s[i] & 0xc0) != 0x80;
	return chars;
}

/* rules__cond_error_fn: points at the offending character when the scalar sits on one line as
 * written (plain, or quoted without escapes); otherwise at the scalar, naming the character. */
__attribute__((format(printf, 3, 4))) static void cond_error(void *ud, size_t offset,
							     const char *fmt, ...)
{
	struct cond_error *e = ud;
	const struct yaml_node *v = e->v;
	char msg[400];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	bool quoted = v->style == YAML_STYLE_SINGLE_QUOTED || v->style == YAML_STYLE_DOUBLE_QUOTED;
	bool exact = (quoted || v->style == YAML_STYLE_PLAIN) && v->line == v->end_line &&
		     v->end_col - v->col == count_chars(v->str, v->len) + 2 * quoted;
	size_t at = count_chars(v->str, offset);
	if (exact)
		yaml_error_at(e->f->doc, v->line, v->col + quoted + at, "%s", msg);
	else
		yaml_error_at(e->f->doc, v->line, v->col,
			      _("%s (at character %zu of the condition)"), msg, at + 1);
}

/* The default condition: every pattern must match. */
static int default_cond(size_t n, struct rules__cond *ret)
{
	struct rules__node *nodes = calloc(n + 1, sizeof(*nodes));
	if (!nodes)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		nodes[i] = (struct rules__node){ .op = RULES__OP_PAT, .arg = (uint32_t)i,
						 .next = i + 1 < n ? (uint32_t)i + 1 : RULES__NONE };
	nodes[n] = (struct rules__node){ .op = RULES__OP_AND, .arg = 0, .next = RULES__NONE };
	*ret = (struct rules__cond){ .nodes = nodes, .nnodes = n + 1, .root = (uint32_t)n };
	return 0;
}

/* rules__leaf_fn: what each leaf is when no pattern matches anywhere. */
static int no_pattern(void *ud, const struct rules__node *n)
{
	(void)ud;
	return n->op == RULES__OP_COUNT && rules__cmp_holds(n->cmp, 0, n->num);
}

/* Where each pattern's spans are: the field matched when it is named there, else the field of
 * its first `in`. */
static void pattern_scopes(struct rules__rule *r, const struct rules__cond *cond)
{
	bool local[RULES__MAX_PATTERNS] = { false };
	for (size_t i = 0; i < cond->nnodes; i++) {
		const struct rules__node *n = &cond->nodes[i];
		if (n->op == RULES__OP_PAT && n->scope != 0) {
			r->scoped = true;
			r->scope_views[n->scope - 1] |= 1u << r->patterns[n->arg].view;
			if (!r->patterns[n->arg].scope)
				r->patterns[n->arg].scope = n->scope;
		} else if (n->op == RULES__OP_PAT || n->op == RULES__OP_COUNT ||
			   n->op == RULES__OP_NEAR) {
			local[n->arg] = true;
			if (n->op == RULES__OP_NEAR)
				local[n->arg2] = true;
		}
	}
	for (size_t i = 0; i < r->info.npatterns; i++)
		if (local[i])
			r->patterns[i].scope = 0;
}

/* A condition must name every pattern and must need at least one to match in the field matched. */
static void check_cond(struct rule_ctx *c, const struct rules__cond *cond)
{
	size_t n = c->r->info.npatterns;
	bool used[RULES__MAX_PATTERNS] = { false }, positive[RULES__MAX_PATTERNS] = { false };
	const struct yaml_node *v = c->v[R_CONDITION];
	if (rules__cond_eval(cond->nodes, cond->root, no_pattern, NULL) == 1)
		yaml_error_at(c->f->doc, v->line, v->col,
			      _("condition holds when no pattern matches"));
	else if (rules__cond_holds_elsewhere(cond->nodes, cond->root))
		yaml_error_at(
			c->f->doc, v->line, v->col,
			_("condition holds when no pattern matches in the field matched, only "
			  "patterns of other fields ('in')"));
	pattern_scopes(c->r, cond);
	rules__cond_polarity(cond->nodes, cond->root, n, used, positive);
	for (size_t i = 0; i < n; i++) {
		const struct yaml_node *k = c->patkeys[i];
		if (!used[i] && c->names[i][0] != '\0')
			yaml_error_at(c->f->doc, k->line, k->col,
				      _("pattern '%s' is not used by the condition"), k->str);
		c->r->patterns[i].positive = positive[i];
	}
}

static void load_condition(struct rule_ctx *c)
{
	const struct yaml_node *v = c->v[R_CONDITION];
	struct rules__cond cond;
	int rc;
	if (!c->patterns_ok || c->L->rc != 0)
		return;
	if (!v) {
		rc = default_cond(c->r->info.npatterns, &cond);
	} else {
		if (!yaml_get_string(c->f->doc, v, "condition", false))
			return;
		struct cond_error e = { c->f, v };
		uint8_t views[RULES__MAX_PATTERNS];
		for (size_t i = 0; i < c->r->info.npatterns; i++)
			views[i] = c->r->patterns[i].view;
		rc = rules__cond_parse(v->str, v->len, c->names, views, c->r->info.npatterns,
				       cond_error, &e, &cond);
		if (rc == ERR_RULES)
			return;
	}
	if (rc != 0) {
		c->L->rc = rc;
		return;
	}
	if (v)
		check_cond(c, &cond);
	struct rules__node *nodes = arena_alloc(&c->L->set->arena, cond.nnodes * sizeof(*nodes));
	if (nodes) {
		memcpy(nodes, cond.nodes, cond.nnodes * sizeof(*nodes));
		c->r->cond = nodes;
		c->r->root = cond.root;
	} else {
		c->L->rc = -ENOMEM;
	}
	free(cond.nodes);
}

/* ---- tests and references ---- */

/* Copies a checked list of strings into the set. */
static const char *const *copy_strings(struct rule_ctx *c, const struct yaml_node *v, size_t *ret_n)
{
	const char **out = arena_alloc(&c->L->set->arena, (v->n + 1) * sizeof(*out));
	size_t n = 0;
	if (!out) {
		c->L->rc = -ENOMEM;
		return NULL;
	}
	for (const struct yaml_node *i = v->first; i && c->L->rc == 0; i = i->next)
		out[n++] = set_strdup(c->L, i->str);
	*ret_n = n;
	return out;
}

static void load_tests(struct rule_ctx *c)
{
	static const struct yaml_key keys[] = {{"match", false}, {"no-match", false}};
	const struct yaml_node *vals[2], *knodes[2], *v = c->v[R_TESTS];
	if (!v || !yaml_check_map(c->f->doc, v, "tests"))
		return;
	yaml_map_fields(c->f->doc, v, keys, 2, vals, knodes);
	if (vals[0] && yaml_check_string_list(c->f->doc, vals[0], "match", RULES__MAX_EXAMPLES))
		c->r->match = copy_strings(c, vals[0], &c->r->nmatch);
	if (vals[1] && yaml_check_string_list(c->f->doc, vals[1], "no-match", RULES__MAX_EXAMPLES))
		c->r->nomatch = copy_strings(c, vals[1], &c->r->nnomatch);
}

static void load_info(struct rule_ctx *c)
{
	struct rules_info *info = &c->r->info;
	const struct yaml_node *v;
	info->pack = c->pk->name;
	info->pack_version = c->pk->version;
	info->pack_digest = c->pk->digest;
	if ((v = c->v[R_ID]) && yaml_get_string(c->f->doc, v, "id", false)) {
		if (!valid_name(v->str, v->len, true))
			yaml_error_at(c->f->doc, v->line, v->col,
				      "invalid rule id '%s' (allowed: " DOTTED_NAMES ")", v->str);
		info->id = set_strdup(c->L, v->str);
		if (info->id)
			define_once(c->L, c->f, &c->L->ids, N_("rule id"), info->id, v);
	}
	if ((v = c->v[R_TITLE]) && yaml_get_string(c->f->doc, v, "title", true))
		info->title = set_strdup(c->L, v->str);
	if ((v = c->v[R_CATEGORY]) && yaml_get_string(c->f->doc, v, "category", true))
		info->category = set_strdup(c->L, v->str);
	info->description = "";
	if ((v = c->v[R_DESCRIPTION]) && yaml_get_string(c->f->doc, v, "description", false))
		info->description = set_strdup(c->L, v->str);
	if ((v = c->v[R_REFERENCES]))
		yaml_check_string_list(c->f->doc, v, "references", RULES__MAX_EXAMPLES);
	load_severity(c);
}

static void load_rule(struct loader *L, struct file *f, const struct pack *pk,
		      const struct yaml_node *n)
{
	if (n->kind != YAML_MAP) {
		if (!n->bad)
			yaml_error_at(f->doc, n->line, n->col, _("a rule must be a mapping"));
		return;
	}
	struct rule_ctx c = {.L = L, .f = f, .pk = pk, .r = new_rule(L)};
	if (!c.r)
		return;
	yaml_map_fields(f->doc, n, rule_keys, R_NKEYS, c.v, c.k);
	load_info(&c);
	load_fields(&c);
	load_patterns(&c);
	load_condition(&c);
	load_tests(&c);
	if (c.r->info.npatterns > L->set->max_patterns)
		L->set->max_patterns = c.r->info.npatterns;
}

/* ---- one pack ---- */

enum pkey { P_PACK, P_VERSION, P_DESCRIPTION, P_LISTS, P_RULES, P_NKEYS };

static const struct yaml_key pack_keys[P_NKEYS] = {
	[P_PACK] = {"pack", true},
	[P_VERSION] = {"version", false},
	[P_DESCRIPTION] = {"description", false},
	[P_LISTS] = {"lists", false},
	[P_RULES] = {"rules", true},
};

static void load_pack_header(struct loader *L, struct file *f, const struct yaml_node **v,
			     struct pack *pk)
{
	pk->name = pk->version = "";
	pk->digest = f->digest;
	if (v[P_PACK] && yaml_get_string(f->doc, v[P_PACK], "pack", false)) {
		const struct yaml_node *n = v[P_PACK];
		if (!valid_name(n->str, n->len, true))
			yaml_error_at(f->doc, n->line, n->col,
				      "invalid pack name '%s' (allowed: " DOTTED_NAMES ")", n->str);
		pk->name = set_strdup(L, n->str);
		if (pk->name)
			define_once(L, f, &L->packs, N_("pack"), pk->name, n);
	}
	if (v[P_VERSION] && yaml_get_string(f->doc, v[P_VERSION], "version", false))
		pk->version = set_strdup(L, v[P_VERSION]->str);
	if (v[P_DESCRIPTION])
		yaml_get_string(f->doc, v[P_DESCRIPTION], "description", false);
	if (v[P_LISTS])
		load_lists(L, f, v[P_LISTS], pk);
}

static void load_pack(struct loader *L, struct file *f, const struct yaml_node *root)
{
	const struct yaml_node *v[P_NKEYS], *k[P_NKEYS];
	struct pack pk = { 0 };
	if (root->kind != YAML_MAP) {
		if (!root->bad)
			yaml_error_at(f->doc, root->line, root->col,
				      _("expected a pack (a mapping with 'pack' and 'rules')"));
		return;
	}
	yaml_map_fields(f->doc, root, pack_keys, P_NKEYS, v, k);
	load_pack_header(L, f, v, &pk);
	const struct yaml_node *rules = v[P_RULES];
	if (L->rc != 0 || !rules || rules->bad)
		return;
	if (rules->kind != YAML_SEQ || rules->n == 0) {
		yaml_error_at(f->doc, rules->line, rules->col,
			      rules->kind != YAML_SEQ ? "'rules' must be a list of rules"
						      : "'rules' must not be empty");
		return;
	}
	for (const struct yaml_node *n = rules->first; n && L->rc == 0; n = n->next) {
		if (L->set->nrules == RULES__MAX_RULES) {
			yaml_error_at(f->doc, n->line, n->col, _("more than %d rules"),
				      RULES__MAX_RULES);
			return;
		}
		load_rule(L, f, &pk, n);
	}
}

/* ---- files ---- */

/* The SHA-256 of a pack's bytes as hex, in the set's arena; "" when data is NULL. */
static const char *pack_digest(struct loader *L, const char *data, size_t len)
{
	uint8_t d[DIGEST_LEN];
	char hex[DIGEST_HEX_LEN + 1];
	if (!data || digest_sha256(data, len, d) != 0)
		return "";
	digest_hex(d, hex);
	const char *s = set_strdup(L, hex);
	return s ? s : "";
}

/* The digest of the file at path, read again after the parse (at most RULES__MAX_FILE bytes:
 * a larger file is refused by the parse anyway); "" when it cannot be read. */
static const char *file_digest(struct loader *L, const char *path)
{
	FILE *fp = fopen(path, "rbe");
	char *data = fp ? malloc(RULES__MAX_FILE + 1) : NULL;
	size_t n = data ? fread(data, 1, RULES__MAX_FILE + 1, fp) : 0;
	const char *hex = data && !ferror(fp) && n <= RULES__MAX_FILE ? pack_digest(L, data, n) : "";
	free(data);
	if (fp)
		fclose(fp);
	return hex;
}

/* Loads the pack of a parsed doc, reports its errors and frees it. */
static void load_doc(struct loader *L, struct yaml_doc *doc, const char *digest)
{
	struct file f = {.name = set_strdup(L, yaml_doc_name(doc)), .doc = doc, .digest = digest};
	const struct yaml_node *root = yaml_doc_root(doc);
	if (f.name && root)
		load_pack(L, &f, root);
	else if (f.name && yaml_doc_status(doc) == 0)
		yaml_error_at(doc, 1, 1,
			      _("empty file: expected a pack (a mapping with 'pack' and 'rules')"));
	int status = yaml_doc_status(doc);
	if (status == -ENOMEM && L->rc == 0)
		L->rc = -ENOMEM;
	if (status != 0)
		L->failed = true;
	yaml_doc_report(doc, L->errors);
	yaml_doc_free(doc);
}

/* Loads one pack held in memory as file name; errors go to L->errors. */
static void load_buffer(struct loader *L, const char *name, const char *data, size_t len)
{
	struct yaml_doc *doc = NULL;
	/* NULL data is an empty file, unless len is over the cap: that is refused unread. */
	int rc = yaml_doc_parse(name, data ? data : "", data || len > RULES__MAX_FILE ? len : 0,
				&pack_limits, &doc);
	if (rc != 0)
		L->rc = rc;
	else
		load_doc(L, doc, pack_digest(L, data, len));
}

static void file_error(struct loader *L, const char *path, const char *what, int rc)
{
	struct yaml_doc *doc = NULL;
	int rc2 = yaml_doc_new(path, &pack_limits, &doc);
	if (rc2 != 0) {
		L->rc = rc2;
		return;
	}
	yaml_error_at(doc, 0, 0, "%s: %s", _(what), err_text(rc));
	L->failed = true;
	if (yaml_doc_status(doc) == -ENOMEM)
		L->rc = -ENOMEM;
	yaml_doc_report(doc, L->errors);
	yaml_doc_free(doc);
}

static void load_path_file(struct loader *L, const char *path)
{
	struct yaml_doc *doc = NULL;
	int rc = yaml_doc_read(path, &pack_limits, &doc);
	if (rc != 0)
		L->rc = rc;
	else
		load_doc(L, doc, file_digest(L, path));
}

static bool is_pack_name(const char *name)
{
	size_t n = strlen(name);
	if (name[0] == '.')
		return false;
	return (n > 5 && strcmp(name + n - 5, ".yaml") == 0) ||
	       (n > 4 && strcmp(name + n - 4, ".yml") == 0);
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The *.yaml and *.yml names in dir, sorted bytewise; the caller frees each and the array. */
static int list_dir(const char *dir, char ***ret_names, size_t *ret_n)
{
	DIR *d = opendir(dir);
	if (!d)
		return -errno;
	char **names = NULL;
	size_t n = 0, alloc = 0;
	int rc = 0;
	struct dirent *e;
	while (rc == 0 && (e = readdir(d))) {
		if (!is_pack_name(e->d_name))
			continue;
		if (n == alloc) {
			alloc = alloc ? alloc * 2 : 16;
			char **p = realloc(names, alloc * sizeof(*p));
			rc = p ? 0 : -ENOMEM;
			names = p ? p : names;
		}
		if (rc == 0 && !(names[n++] = strdup(e->d_name)))
			rc = -ENOMEM;
	}
	closedir(d);
	if (rc == 0 && n > 0)
		qsort(names, n, sizeof(*names), name_cmp);
	*ret_names = names;
	*ret_n = n;
	return rc;
}

static void load_dir(struct loader *L, const char *dir)
{
	char **names = NULL;
	size_t n = 0;
	int rc = list_dir(dir, &names, &n);
	for (size_t i = 0; i < n; i++) {
		char *path = NULL;
		if (rc == 0 && L->rc == 0 && asprintf(&path, "%s/%s", dir, names[i]) < 0)
			rc = -ENOMEM;
		else if (path)
			load_path_file(L, path);
		free(path);
		free(names[i]);
	}
	free(names);
	if (rc == -ENOMEM)
		L->rc = rc;
	else if (rc != 0)
		file_error(L, dir, N_("cannot list"), rc);
}

static void load_path(struct loader *L, const char *path)
{
	struct stat st;
	if (stat(path, &st) != 0)
		file_error(L, path, N_("cannot read"), -errno);
	else if (S_ISDIR(st.st_mode))
		load_dir(L, path);
	else
		load_path_file(L, path);
}

/* ---- the set ---- */

void rules_set_free(struct rules_set *set)
{
	if (!set)
		return;
	for (size_t i = 0; i < set->nrules; i++)
		for (size_t k = 0; set->rules[i].patterns && k < set->rules[i].info.npatterns; k++)
			pcre2_code_free(set->rules[i].patterns[k].code);
	rules__prefilter_free(set);
	normalize_free(set->nz_own);
	free(set->rules);
	arena_free(set->arena);
	free(set);
}

static int loader_init(struct loader *L, struct buf *errors)
{
	*L = (struct loader){ .errors = errors };
	L->set = calloc(1, sizeof(*L->set));
	if (!L->set)
		return -ENOMEM;
	int rc = rules__compiler_init(&L->compiler);
	if (rc != 0) {
		free(L->set);
		return rc;
	}
	return 0;
}

/* The views each field needs, and the normalizer when some pattern reads the normalized view.
 * A normalizer that cannot be built (OpenCC's data missing) fails the load, saying why. */
static int loader_views(struct loader *L)
{
	struct rules_set *s = L->set;
	unsigned all = 0;
	for (size_t i = 0; i < s->nrules; i++) {
		all |= s->rules[i].views;
		for (unsigned f = 0; f < RULES__NFIELDS; f++) {
			if (s->rules[i].fields & (1u << f))
				s->field_views[f] |= s->rules[i].views;
			s->field_views[f] |= s->rules[i].scope_views[f];
		}
	}
	if (!(all & (1u << RULES__VIEW_NORMALIZED)))
		return 0;
	if (L->nz) {
		s->nz = L->nz;
		return 0;
	}
	char err[512];
	int rc = normalize_new(L->opencc_config, &s->nz_own, err, sizeof(err));
	s->nz = s->nz_own;
	if (rc != 0 && rc != -ENOMEM && L->errors)
		buf_addf(L->errors,
			 _("cannot build the normalized view that patterns read by default: %s "
			   "(OpenCC's data: Debian's libopencc-data)\n"),
			 err);
	return rc;
}

/* Ends a load: hands the set over if every file was clean. */
static int loader_done(struct loader *L, struct rules_set **ret_set)
{
	int rc = L->rc != 0 ? L->rc : L->failed ? ERR_RULES : 0;
	rules__compiler_done(&L->compiler);
	free(L->ids.slots);
	free(L->packs.slots);
	if (rc == 0)
		rc = loader_views(L);
	if (rc == 0)
		rc = rules__prefilter_build(L->set, L->cache_dir);
	if (rc != 0) {
		rules_set_free(L->set);
		return rc;
	}
	*ret_set = L->set;
	return 0;
}

int rules_set_load(const char *const *paths, size_t npaths, struct rules_set **ret_set,
		   struct buf *errors)
{
	return rules_set_load_cached(paths, npaths, NULL, ret_set, errors);
}

int rules_set_load_cached(const char *const *paths, size_t npaths, const char *cache_dir,
			  struct rules_set **ret_set, struct buf *errors)
{
	struct loader L;
	int rc = loader_init(&L, errors);
	if (rc != 0)
		return rc;
	L.cache_dir = cache_dir;
	for (size_t i = 0; i < npaths && L.rc == 0; i++)
		load_path(&L, paths[i]);
	return loader_done(&L, ret_set);
}

int rules_set_load_sources(const struct rules_source *src, size_t n, struct rules_set **ret_set,
			   struct buf *errors)
{
	return rules_set_load_shared(src, n, NULL, ret_set, errors);
}

int rules_set_load_shared(const struct rules_source *src, size_t n, const struct normalizer *nz,
			  struct rules_set **ret_set, struct buf *errors)
{
	return rules__load_sources(src, n, nz, NULL, ret_set, errors);
}

int rules_set_load_sources_cached(const struct rules_source *src, size_t n,
				  const char *cache_dir, struct rules_set **ret_set,
				  struct buf *errors)
{
	return rules__load_sources(src, n, NULL, cache_dir, ret_set, errors);
}

int rules__load_sources(const struct rules_source *src, size_t n, const struct normalizer *nz,
			const char *cache_dir, struct rules_set **ret_set, struct buf *errors)
{
	struct loader L;
	int rc = loader_init(&L, errors);
	if (rc != 0)
		return rc;
	L.nz = nz;
	L.cache_dir = cache_dir;
	for (size_t i = 0; i < n && L.rc == 0; i++)
		load_buffer(&L, src[i].name ? src[i].name : "<memory>", src[i].data, src[i].len);
	return loader_done(&L, ret_set);
}

int rules_set_load_mem(const char *name, const char *yaml, size_t len, struct rules_set **ret_set,
		       struct buf *errors)
{
	struct rules_source src = { .name = name, .data = yaml, .len = len };
	return rules_set_load_sources(&src, 1, ret_set, errors);
}

int rules__load_mem_config(const char *name, const char *yaml, size_t len,
			   const char *opencc_config, struct rules_set **ret_set, struct buf *errors)
{
	struct loader L;
	int rc = loader_init(&L, errors);
	if (rc != 0)
		return rc;
	L.opencc_config = opencc_config;
	load_buffer(&L, name, yaml, len);
	return loader_done(&L, ret_set);
}

size_t rules_set_count(const struct rules_set *set)
{
	return set->nrules;
}

void rules_set_rule(const struct rules_set *set, size_t i, struct rules_info *ret_info)
{
	assert(i < set->nrules);
	*ret_info = set->rules[i].info;
}

size_t rules_set_always_run(const struct rules_set *set, size_t i, const char **names, size_t max)
{
	assert(i < set->nrules);
	const struct rules__rule *r = &set->rules[i];
	size_t n = 0;
	for (size_t k = 0; k < r->info.npatterns; k++) {
		if (!r->patterns[k].always)
			continue;
		if (n < max)
			names[n] = r->patterns[k].name;
		n++;
	}
	return n;
}
