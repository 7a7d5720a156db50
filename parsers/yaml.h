/* SPDX-License-Identifier: MIT */
/* A strict YAML reader for the files people write for patrol: rule packs and patrol.yaml.
 *
 * yaml_doc_parse turns one file into a small tree of nodes with positions (libyaml's events, not
 * its document API) and collects errors as "file:line:col: message". It refuses what a config
 * file has no use for and what makes hostile input expensive: anchors, aliases, tags, a second
 * document, NUL characters in strings, files, trees and nesting past the caps of struct
 * yaml_limits. Every scalar is a string as written; callers decide what a value means, with the
 * yaml_get_* and yaml_check_* helpers below, which report what they reject into the same doc, so
 * a file's errors all come out at once, sorted by position.
 *
 * Memory: a doc owns its tree, its strings and its messages; every pointer into it lives until
 * yaml_doc_free. Threads: no shared state; a doc belongs to one thread at a time.
 * Only parsers/ includes libyaml's <yaml.h>; the names here avoid libyaml's (yaml_doc_*, not
 * yaml_document_*; no yaml_free, which is libyaml's).
 */
#ifndef PATROL_PARSERS_YAML_H
#define PATROL_PARSERS_YAML_H

#include "common/buf.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct yaml_doc; /* opaque: one parsed file, its tree and its errors */

/* The most max_depth may be: the builder keeps one slot per level. */
#define YAML_MAX_DEPTH_LIMIT 64

struct yaml_limits {
	size_t max_bytes;  /* a longer file is refused whole: "larger than N bytes" */
	size_t max_depth;  /* collections nested in one another, at most YAML_MAX_DEPTH_LIMIT */
	size_t max_nodes;  /* scalars and collections in the file */
	size_t max_errors; /* error lines yaml_doc_report writes; then "N more errors not shown" */
};

/* 4 MiB, depth 16, 100000 nodes, 100 errors: the caps rule packs use. */
void yaml_limits_default(struct yaml_limits *lim);

enum yaml_kind {
	YAML_SCALAR,
	YAML_SEQ, /* a list: children are the items */
	YAML_MAP, /* a mapping: children alternate key, value, key, value... */
};

/* How a scalar was written, for callers that map offsets in a value back to columns. */
enum yaml_style {
	YAML_STYLE_PLAIN,
	YAML_STYLE_SINGLE_QUOTED,
	YAML_STYLE_DOUBLE_QUOTED,
	YAML_STYLE_LITERAL, /* | */
	YAML_STYLE_FOLDED,  /* > */
};

/* One node of the tree. Read-only for callers; owned by its doc. Positions are 1-based and count
 * characters (UTF-8 code points), as editors do; the end is just past the node. */
struct yaml_node {
	enum yaml_kind kind;
	enum yaml_style style; /* scalars only; YAML_STYLE_PLAIN for collections */
	/* Already reported (an alias, a string with a NUL): the helpers skip it silently, so one
	 * mistake gives one error. */
	bool bad;
	size_t line, col, end_line, end_col;
	const char *str;	       /* a scalar's value, NUL-terminated; "" for collections */
	size_t len;		       /* bytes of str */
	const struct yaml_node *first; /* first child, NULL when none */
	const struct yaml_node *next;  /* next sibling, NULL for the last */
	size_t n;		       /* children: items, or 2 × pairs for a mapping */
};

/* Parses data (len bytes, UTF-8; need not be NUL-terminated; NULL when len is 0) as the file
 * name (copied; used in error lines). lim may be NULL for yaml_limits_default.
 * Returns 0 and a new doc in *ret_doc whether or not the file is valid: check yaml_doc_root and
 * yaml_doc_status. The root is NULL when the file is empty (no error: the caller says what was
 * expected) or when a syntax error or a cap stopped the parse (error recorded). Errors: -ENOMEM,
 * ERR_USAGE (NULL name or ret_doc); *ret_doc is then untouched. */
int yaml_doc_parse(const char *name, const char *data, size_t len, const struct yaml_limits *lim,
		   struct yaml_doc **ret_doc);

/* Reads the file at path (at most lim->max_bytes + 1 bytes: enough to refuse a larger one) and
 * parses it as yaml_doc_parse does, naming it path. A file that cannot be read gives a doc with
 * no root and the error "path: cannot read: REASON". Errors: -ENOMEM, ERR_USAGE. */
int yaml_doc_read(const char *path, const struct yaml_limits *lim, struct yaml_doc **ret_doc);

/* A doc with no content, for reporting errors about a file that was never parsed (one that
 * cannot be listed, say) in the same format. Errors: -ENOMEM, ERR_USAGE. */
int yaml_doc_new(const char *name, const struct yaml_limits *lim, struct yaml_doc **ret_doc);

/* Frees the doc and everything it owns; NULL does nothing. */
void yaml_doc_free(struct yaml_doc *d);

/* The top node, or NULL (see yaml_doc_parse). Borrowed from the doc. */
const struct yaml_node *yaml_doc_root(const struct yaml_doc *d);
/* The file name as given. Borrowed from the doc. */
const char *yaml_doc_name(const struct yaml_doc *d);

/* 0 when no error was recorded, ERR_PARSE when one was, -ENOMEM when memory ran out on the way
 * (an error or a node may then be missing: treat the file as failed). */
int yaml_doc_status(const struct yaml_doc *d);
/* Errors recorded so far. */
size_t yaml_doc_error_count(const struct yaml_doc *d);

/* Appends the errors to out, one line each, sorted by position (ties in the order recorded):
 * "name:line:col: message\n", or "name: message\n" for errors about the whole file (line 0).
 * After lim->max_errors lines, one "name: N more errors not shown\n" ends the list. out may be
 * NULL (then nothing is written). Returns what buf_add returned last (ERR_TOO_BIG when out is
 * full, -ENOMEM), or 0. */
int yaml_doc_report(struct yaml_doc *d, struct buf *out);

/* Records an error at line:col (1-based; line 0 for one about the whole file). The message is
 * cut at 511 bytes. */
void yaml_error_at(struct yaml_doc *d, size_t line, size_t col, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Memory that lives as long as the doc (aligned for any type), for a caller's scratch: sorted
 * views of lists and the like. NULL when out of memory. */
void *yaml_doc_alloc(struct yaml_doc *d, size_t size);

/* ---- checking a tree against what a file should hold ----
 * Each helper records its own error, naming the key the value belongs to ('key' below), and
 * returns "no" for a bad node without a second error. */

/* True when n is a scalar whose value is exactly s. */
bool yaml_scalar_is(const struct yaml_node *n, const char *s);

struct yaml_key {
	const char *name;
	bool required;
};

/* Matches the keys of map against keys[0..nkeys): vals[i] is the value of keys[i] or NULL, and
 * keynodes[i] its key node (keynodes may be NULL). Errors: "mapping keys must be strings",
 * "unknown key 'K'", "duplicate key 'K'" (at the key), "missing required key 'K'" (at the
 * mapping). map must be a YAML_MAP. */
void yaml_map_fields(struct yaml_doc *d, const struct yaml_node *map, const struct yaml_key *keys,
		     size_t nkeys, const struct yaml_node **vals,
		     const struct yaml_node **keynodes);

/* v's string, or NULL after "'key' must be a string" (v is a collection) or, with nonempty,
 * "'key' must not be empty". Borrowed from the doc. */
const char *yaml_get_string(struct yaml_doc *d, const struct yaml_node *v, const char *key,
			    bool nonempty);

/* True when v is a mapping; otherwise "'key' must be a mapping". */
bool yaml_check_map(struct yaml_doc *d, const struct yaml_node *v, const char *key);

/* True when v is a list of at most max items; otherwise "'key' must be a list" or "'key' has more
 * than MAX items". */
bool yaml_check_list(struct yaml_doc *d, const struct yaml_node *v, const char *key, size_t max);

/* True when v is a list of at most max strings (scalars); otherwise "'key' must be a list of
 * strings" (at v, or at each item that is not a string) or "'key' has more than MAX items". */
bool yaml_check_string_list(struct yaml_doc *d, const struct yaml_node *v, const char *key,
			    size_t max);

/* A boolean: the plain scalars true and false, nothing else (not yes, on, "true" or 1).
 * Returns false after "'key' must be true or false"; *ret is set only on success. */
bool yaml_get_bool(struct yaml_doc *d, const struct yaml_node *v, const char *key, bool *ret);

/* A whole number in [min, max] written as plain decimal digits (no sign, no quotes, no 0x).
 * Returns false after "'key' must be a whole number" or "'key' must be between MIN and MAX";
 * *ret is set only on success. */
bool yaml_get_uint(struct yaml_doc *d, const struct yaml_node *v, const char *key, uint64_t min,
		   uint64_t max, uint64_t *ret);

#endif
