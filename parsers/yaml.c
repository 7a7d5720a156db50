/* SPDX-License-Identifier: MIT */
/* The strict YAML reader (yaml.h): libyaml's event stream into a tree of nodes with positions, the
 * errors of one file collected and sorted, and the helpers that check a tree against a schema.
 *
 * A doc is one arena (nodes, strings, messages, callers' scratch) plus the array of errors; both
 * go in yaml_doc_free. The builder stops at the first syntax error or cap, so a hostile file costs
 * at most max_nodes nodes and max_bytes of strings. This is the only file that includes libyaml.
 */
#include "parsers/yaml.h"

#include "common/err.h"
#include "common/i18n.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <yaml.h>

/* ---- arena ---- */

struct chunk {
	struct chunk *next;
	size_t used, size;
	max_align_t data[];
};

struct error {
	size_t line, col, seq;
	char *msg;
};

struct yaml_doc {
	struct chunk *arena;
	const char *name;
	struct yaml_limits lim;
	const struct yaml_node *root;
	struct error *errs;
	size_t nerrs, alloc;
	bool nomem;
};

void *yaml_doc_alloc(struct yaml_doc *d, size_t size)
{
	const size_t align = sizeof(max_align_t);
	if (size > SIZE_MAX / 2)
		return NULL;
	size = (size + align - 1) / align * align;
	struct chunk *c = d->arena;
	if (!c || c->size - c->used < size) {
		size_t csize = size > 32768 ? size : 32768;
		c = malloc(sizeof(*c) + csize);
		if (!c)
			return NULL;
		*c = (struct chunk){.next = d->arena, .size = csize};
		d->arena = c;
	}
	void *p = (char *)c->data + c->used;
	c->used += size;
	return p;
}

static char *doc_strndup(struct yaml_doc *d, const char *s, size_t n)
{
	char *p = yaml_doc_alloc(d, n + 1);
	if (p) {
		memcpy(p, s, n);
		p[n] = '\0';
	}
	return p;
}

/* ---- the doc and its errors ---- */

void yaml_limits_default(struct yaml_limits *lim)
{
	*lim = (struct yaml_limits){
		.max_bytes = 4 << 20,
		.max_depth = 16,
		.max_nodes = 100000,
		.max_errors = 100,
	};
}

int yaml_doc_new(const char *name, const struct yaml_limits *lim, struct yaml_doc **ret_doc)
{
	if (!name || !ret_doc)
		return ERR_USAGE;
	struct yaml_doc *d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	if (lim)
		d->lim = *lim;
	else
		yaml_limits_default(&d->lim);
	if (d->lim.max_depth > YAML_MAX_DEPTH_LIMIT)
		d->lim.max_depth = YAML_MAX_DEPTH_LIMIT;
	d->name = doc_strndup(d, name, strlen(name));
	if (!d->name) {
		yaml_doc_free(d);
		return -ENOMEM;
	}
	*ret_doc = d;
	return 0;
}

void yaml_doc_free(struct yaml_doc *d)
{
	if (!d)
		return;
	for (struct chunk *c = d->arena; c;) {
		struct chunk *next = c->next;
		free(c);
		c = next;
	}
	free(d->errs);
	free(d);
}

const struct yaml_node *yaml_doc_root(const struct yaml_doc *d)
{
	return d->root;
}

const char *yaml_doc_name(const struct yaml_doc *d)
{
	return d->name;
}

int yaml_doc_status(const struct yaml_doc *d)
{
	return d->nomem ? -ENOMEM : d->nerrs ? ERR_PARSE : 0;
}

size_t yaml_doc_error_count(const struct yaml_doc *d)
{
	return d->nerrs;
}

__attribute__((format(printf, 4, 0))) static void verror_at(struct yaml_doc *d, size_t line,
							    size_t col, const char *fmt, va_list ap)
{
	char msg[512];
	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (d->nerrs == d->alloc) {
		size_t alloc = d->alloc ? d->alloc * 2 : 16;
		struct error *e = realloc(d->errs, alloc * sizeof(*e));
		if (!e) {
			d->nomem = true;
			return;
		}
		d->errs = e;
		d->alloc = alloc;
	}
	char *copy = doc_strndup(d, msg, strlen(msg));
	if (!copy) {
		d->nomem = true;
		return;
	}
	d->errs[d->nerrs] = (struct error){.line = line, .col = col, .seq = d->nerrs, .msg = copy};
	d->nerrs++;
}

void yaml_error_at(struct yaml_doc *d, size_t line, size_t col, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	verror_at(d, line, col, fmt, ap);
	va_end(ap);
}

static int error_cmp(const void *a, const void *b)
{
	const struct error *x = a, *y = b;
	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	if (x->col != y->col)
		return x->col < y->col ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

int yaml_doc_report(struct yaml_doc *d, struct buf *out)
{
	int rc = 0;
	if (d->nerrs > 1)
		qsort(d->errs, d->nerrs, sizeof(*d->errs), error_cmp);
	for (size_t i = 0; out && i < d->nerrs; i++) {
		const struct error *e = &d->errs[i];
		if (i == d->lim.max_errors) {
			rc = buf_addf(out, _("%s: %zu more errors not shown\n"), d->name,
				      d->nerrs - i);
			break;
		}
		if (e->line == 0)
			rc = buf_addf(out, "%s: %s\n", d->name, e->msg);
		else
			rc = buf_addf(out, "%s:%zu:%zu: %s\n", d->name, e->line, e->col, e->msg);
	}
	return rc;
}

/* ---- building the tree from libyaml's events ---- */

struct level {
	struct yaml_node *node, *last; /* an open collection and its last child so far */
};

struct builder {
	struct yaml_doc *d;
	struct yaml_node *root;
	struct level stack[YAML_MAX_DEPTH_LIMIT];
	size_t depth, nodes;
	int docs;
};

static size_t mark_line(const yaml_mark_t *m)
{
	return m->line + 1;
}

static size_t mark_col(const yaml_mark_t *m)
{
	return m->column + 1;
}

static struct yaml_node *add_node(struct builder *b, enum yaml_kind kind, const yaml_event_t *ev)
{
	if (++b->nodes > b->d->lim.max_nodes) {
		yaml_error_at(b->d, mark_line(&ev->start_mark), mark_col(&ev->start_mark),
			      _("more than %zu YAML nodes"), b->d->lim.max_nodes);
		return NULL;
	}
	struct yaml_node *n = yaml_doc_alloc(b->d, sizeof(*n));
	if (!n) {
		b->d->nomem = true;
		return NULL;
	}
	*n = (struct yaml_node){
		.kind = kind,
		.style = YAML_STYLE_PLAIN,
		.line = mark_line(&ev->start_mark),
		.col = mark_col(&ev->start_mark),
		.end_line = mark_line(&ev->end_mark),
		.end_col = mark_col(&ev->end_mark),
		.str = "",
	};
	struct level *parent = b->depth ? &b->stack[b->depth - 1] : NULL;
	if (!parent) {
		b->root = n;
		return n;
	}
	if (parent->last)
		parent->last->next = n;
	else
		parent->node->first = n;
	parent->last = n;
	parent->node->n++;
	return n;
}

/* Anchors and tags may come with any node; neither is allowed. */
static void check_props(struct builder *b, const yaml_event_t *ev, const yaml_char_t *anchor,
			const yaml_char_t *tag)
{
	size_t line = mark_line(&ev->start_mark), col = mark_col(&ev->start_mark);
	if (anchor)
		yaml_error_at(b->d, line, col, _("anchors are not allowed"));
	if (tag)
		yaml_error_at(b->d, line, col, _("tags are not allowed"));
}

static enum yaml_style scalar_style(yaml_scalar_style_t s)
{
	switch (s) {
	case YAML_SINGLE_QUOTED_SCALAR_STYLE: return YAML_STYLE_SINGLE_QUOTED;
	case YAML_DOUBLE_QUOTED_SCALAR_STYLE: return YAML_STYLE_DOUBLE_QUOTED;
	case YAML_LITERAL_SCALAR_STYLE: return YAML_STYLE_LITERAL;
	case YAML_FOLDED_SCALAR_STYLE: return YAML_STYLE_FOLDED;
	default: return YAML_STYLE_PLAIN;
	}
}

static int on_scalar(struct builder *b, const yaml_event_t *ev)
{
	check_props(b, ev, ev->data.scalar.anchor, ev->data.scalar.tag);
	struct yaml_node *n = add_node(b, YAML_SCALAR, ev);
	if (!n)
		return -1;
	const char *v = (const char *)ev->data.scalar.value;
	n->len = ev->data.scalar.length;
	n->style = scalar_style(ev->data.scalar.style);
	n->str = doc_strndup(b->d, v, n->len);
	if (!n->str) {
		b->d->nomem = true;
		return -1;
	}
	if (memchr(v, '\0', n->len)) {
		yaml_error_at(b->d, n->line, n->col, _("NUL character in a string"));
		n->bad = true;
	}
	return 0;
}

static int on_start(struct builder *b, const yaml_event_t *ev, enum yaml_kind kind)
{
	if (kind == YAML_MAP)
		check_props(b, ev, ev->data.mapping_start.anchor, ev->data.mapping_start.tag);
	else
		check_props(b, ev, ev->data.sequence_start.anchor, ev->data.sequence_start.tag);
	if (b->depth == b->d->lim.max_depth) {
		yaml_error_at(b->d, mark_line(&ev->start_mark), mark_col(&ev->start_mark),
			      _("nested deeper than %zu levels"), b->d->lim.max_depth);
		return -1;
	}
	struct yaml_node *n = add_node(b, kind, ev);
	if (!n)
		return -1;
	b->stack[b->depth++] = (struct level){.node = n};
	return 0;
}

/* Adds one event to the tree: 0 to go on, 1 at the end, -1 to stop (error recorded). */
static int on_event(struct builder *b, const yaml_event_t *ev)
{
	switch (ev->type) {
	case YAML_STREAM_END_EVENT: return 1;
	case YAML_DOCUMENT_START_EVENT:
		if (++b->docs == 1)
			return 0;
		yaml_error_at(b->d, mark_line(&ev->start_mark), mark_col(&ev->start_mark),
			      _("only one YAML document is allowed"));
		return -1;
	case YAML_ALIAS_EVENT: {
		yaml_error_at(b->d, mark_line(&ev->start_mark), mark_col(&ev->start_mark),
			      _("aliases are not allowed"));
		struct yaml_node *n = add_node(b, YAML_SCALAR, ev);
		if (n)
			n->bad = true;
		return n ? 0 : -1;
	}
	case YAML_SCALAR_EVENT: return on_scalar(b, ev);
	case YAML_SEQUENCE_START_EVENT: return on_start(b, ev, YAML_SEQ);
	case YAML_MAPPING_START_EVENT: return on_start(b, ev, YAML_MAP);
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT: {
		struct yaml_node *n = b->stack[--b->depth].node;
		n->end_line = mark_line(&ev->end_mark);
		n->end_col = mark_col(&ev->end_mark);
		return 0;
	}
	default: return 0;
	}
}

/* libyaml's reader reports a byte offset only; turn it into line:col like the other marks. */
static void offset_position(const char *data, size_t len, size_t off, size_t *line, size_t *col)
{
	*line = 1;
	*col = 1;
	for (size_t i = 0; i < off && i < len; i++) {
		if (data[i] == '\n') {
			(*line)++;
			*col = 1;
		} else if (((unsigned char)data[i] & 0xc0) != 0x80) {
			(*col)++;
		}
	}
}

static void parser_error(struct yaml_doc *d, const yaml_parser_t *p, const char *data, size_t len)
{
	size_t line = p->problem_mark.line + 1, col = p->problem_mark.column + 1;
	if (p->error == YAML_MEMORY_ERROR) {
		d->nomem = true;
		return;
	}
	if (p->error == YAML_READER_ERROR)
		offset_position(data, len, p->problem_offset, &line, &col);
	if (p->context)
		yaml_error_at(d, line, col, _("invalid YAML: %s (%s)"),
			      p->problem ? p->problem : "error", p->context);
	else
		yaml_error_at(d, line, col, _("invalid YAML: %s"),
			      p->problem ? p->problem : "error");
}

/* Builds the tree of data into d->root, or leaves it NULL after recording why. */
static void build_tree(struct yaml_doc *d, const char *data, size_t len)
{
	struct builder b = {.d = d};
	yaml_parser_t p;
	if (!yaml_parser_initialize(&p)) {
		d->nomem = true;
		return;
	}
	yaml_parser_set_input_string(&p, (const unsigned char *)data, len);
	int r = 0;
	while (r == 0) {
		yaml_event_t ev;
		if (!yaml_parser_parse(&p, &ev)) {
			parser_error(d, &p, data, len);
			r = -1;
			break;
		}
		r = on_event(&b, &ev);
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&p);
	if (r > 0)
		d->root = b.root;
}

int yaml_doc_parse(const char *name, const char *data, size_t len, const struct yaml_limits *lim,
		   struct yaml_doc **ret_doc)
{
	struct yaml_doc *d = NULL;
	if (!data && len > 0)
		return ERR_USAGE;
	int rc = yaml_doc_new(name, lim, &d);
	if (rc != 0)
		return rc;
	if (len > d->lim.max_bytes)
		yaml_error_at(d, 0, 0, _("larger than %zu bytes"), d->lim.max_bytes);
	else
		build_tree(d, data ? data : "", len);
	*ret_doc = d;
	return 0;
}

/* Reads at most max + 1 bytes: one more than allowed is enough to refuse the file. *ret_data is
 * the caller's to free(). */
static int read_capped(const char *path, size_t max, char **ret_data, size_t *ret_len)
{
	char chunk[16384];
	struct buf b;
	int rc = 0;
	if (max == SIZE_MAX)
		max--;
	max++;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	buf_init(&b, max);
	while (rc == 0 && b.len < max) {
		ssize_t n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			rc = n < 0 ? -errno : 0;
			break;
		}
		rc = buf_add(&b, chunk, (size_t)n < max - b.len ? (size_t)n : max - b.len);
	}
	close(fd);
	size_t len = b.len;
	char *data = rc == 0 ? buf_take(&b) : NULL;
	buf_done(&b);
	if (rc == 0 && !data)
		rc = -ENOMEM;
	if (rc != 0)
		return rc;
	*ret_data = data;
	*ret_len = len;
	return 0;
}

int yaml_doc_read(const char *path, const struct yaml_limits *lim, struct yaml_doc **ret_doc)
{
	struct yaml_limits l;
	char *data = NULL;
	size_t len = 0;
	if (!path || !ret_doc)
		return ERR_USAGE;
	if (lim)
		l = *lim;
	else
		yaml_limits_default(&l);
	int rc = read_capped(path, l.max_bytes, &data, &len);
	if (rc == -ENOMEM)
		return rc;
	if (rc == 0) {
		rc = yaml_doc_parse(path, data, len, &l, ret_doc);
		free(data);
		return rc;
	}
	struct yaml_doc *d = NULL;
	int rc2 = yaml_doc_new(path, &l, &d);
	if (rc2 != 0)
		return rc2;
	yaml_error_at(d, 0, 0, _("cannot read: %s"), err_text(rc));
	*ret_doc = d;
	return 0;
}

/* ---- schema helpers ---- */

bool yaml_scalar_is(const struct yaml_node *n, const char *s)
{
	return n->kind == YAML_SCALAR && strlen(s) == n->len && memcmp(n->str, s, n->len) == 0;
}

void yaml_map_fields(struct yaml_doc *d, const struct yaml_node *map, const struct yaml_key *keys,
		     size_t nkeys, const struct yaml_node **vals, const struct yaml_node **keynodes)
{
	for (size_t i = 0; i < nkeys; i++) {
		vals[i] = NULL;
		if (keynodes)
			keynodes[i] = NULL;
	}
	for (const struct yaml_node *k = map->first; k && k->next; k = k->next->next) {
		size_t i = 0;
		while (i < nkeys && !yaml_scalar_is(k, keys[i].name))
			i++;
		if (k->bad)
			continue;
		if (k->kind != YAML_SCALAR) {
			yaml_error_at(d, k->line, k->col, _("mapping keys must be strings"));
		} else if (i == nkeys) {
			yaml_error_at(d, k->line, k->col, _("unknown key '%s'"), k->str);
		} else if (vals[i]) {
			yaml_error_at(d, k->line, k->col, _("duplicate key '%s'"), k->str);
		} else {
			vals[i] = k->next;
			if (keynodes)
				keynodes[i] = k;
		}
	}
	for (size_t i = 0; i < nkeys; i++)
		if (keys[i].required && !vals[i])
			yaml_error_at(d, map->line, map->col, _("missing required key '%s'"),
				      keys[i].name);
}

const char *yaml_get_string(struct yaml_doc *d, const struct yaml_node *v, const char *key,
			    bool nonempty)
{
	if (v->bad)
		return NULL;
	if (v->kind != YAML_SCALAR) {
		yaml_error_at(d, v->line, v->col, _("'%s' must be a string"), key);
		return NULL;
	}
	if (nonempty && v->len == 0) {
		yaml_error_at(d, v->line, v->col, _("'%s' must not be empty"), key);
		return NULL;
	}
	return v->str;
}

bool yaml_check_map(struct yaml_doc *d, const struct yaml_node *v, const char *key)
{
	if (v->kind == YAML_MAP)
		return true;
	if (!v->bad)
		yaml_error_at(d, v->line, v->col, _("'%s' must be a mapping"), key);
	return false;
}

bool yaml_check_list(struct yaml_doc *d, const struct yaml_node *v, const char *key, size_t max)
{
	if (v->bad)
		return false;
	if (v->kind != YAML_SEQ) {
		yaml_error_at(d, v->line, v->col, _("'%s' must be a list"), key);
		return false;
	}
	if (v->n > max) {
		yaml_error_at(d, v->line, v->col, _("'%s' has more than %zu items"), key, max);
		return false;
	}
	return true;
}

bool yaml_check_string_list(struct yaml_doc *d, const struct yaml_node *v, const char *key,
			    size_t max)
{
	if (v->bad)
		return false;
	if (v->kind != YAML_SEQ) {
		yaml_error_at(d, v->line, v->col, _("'%s' must be a list of strings"), key);
		return false;
	}
	if (v->n > max) {
		yaml_error_at(d, v->line, v->col, _("'%s' has more than %zu items"), key, max);
		return false;
	}
	bool ok = true;
	for (const struct yaml_node *i = v->first; i; i = i->next) {
		if (i->kind != YAML_SCALAR && !i->bad)
			yaml_error_at(d, i->line, i->col, _("'%s' must be a list of strings"), key);
		ok &= i->kind == YAML_SCALAR && !i->bad;
	}
	return ok;
}

bool yaml_get_bool(struct yaml_doc *d, const struct yaml_node *v, const char *key, bool *ret)
{
	if (v->bad)
		return false;
	bool plain = v->kind == YAML_SCALAR && v->style == YAML_STYLE_PLAIN;
	if (plain && yaml_scalar_is(v, "true")) {
		*ret = true;
		return true;
	}
	if (plain && yaml_scalar_is(v, "false")) {
		*ret = false;
		return true;
	}
	yaml_error_at(d, v->line, v->col, _("'%s' must be true or false"), key);
	return false;
}

bool yaml_get_uint(struct yaml_doc *d, const struct yaml_node *v, const char *key, uint64_t min,
		   uint64_t max, uint64_t *ret)
{
	if (v->bad)
		return false;
	bool digits = v->kind == YAML_SCALAR && v->style == YAML_STYLE_PLAIN && v->len > 0;
	for (size_t i = 0; digits && i < v->len; i++)
		digits = v->str[i] >= '0' && v->str[i] <= '9';
	if (!digits) {
		yaml_error_at(d, v->line, v->col, _("'%s' must be a whole number"), key);
		return false;
	}
	uint64_t x = 0;
	bool over = false;
	for (size_t i = 0; i < v->len && !over; i++) {
		unsigned digit = (unsigned)(v->str[i] - '0');
		over = x > (UINT64_MAX - digit) / 10;
		x = x * 10 + digit;
	}
	if (over || x < min || x > max) {
		yaml_error_at(d, v->line, v->col, "'%s' must be between %" PRIu64 " and %" PRIu64,
			      key, min, max);
		return false;
	}
	*ret = x;
	return true;
}
