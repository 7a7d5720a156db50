/* SPDX-License-Identifier: MIT */
/* Rule packs: loading YAML packs, compiling their patterns, matching text against them.
 *
 * A rules_set is built once (rules_set_load) and is immutable afterwards, so any number of threads
 * may match against it at once. Each thread owns a rules_matcher: the PCRE2 match data and JIT
 * stack that matching needs. The pack format is specified in docs/rules.md.
 */
#ifndef PATROL_RULES_RULES_H
#define PATROL_RULES_RULES_H

#include "common/buf.h"

#include <stddef.h>

struct rules_set;
struct rules_matcher;

/* Loads every pack named by paths: a path is a .yaml/.yml file or a directory whose *.yaml and
 * *.yml files are loaded in name order. All errors found are appended to errors, one per line, as
 * "file:line:col: message", and the call fails with ERR_RULES; nothing is half-loaded. On success
 * *ret_set is a new set the caller frees with rules_set_free(). errors may be NULL. */
int rules_set_load(const char *const *paths, size_t npaths, struct rules_set **ret_set,
		   struct buf *errors);
/* Same, from one pack held in memory; name is used in error messages. */
int rules_set_load_mem(const char *name, const char *yaml, size_t len, struct rules_set **ret_set,
		       struct buf *errors);
void rules_set_free(struct rules_set *set);

struct rules_info {
	const char *id;
	const char *pack;
	const char *pack_version; /* "" when the pack has none */
	const char *title;
	const char *category;
	const char *severity; /* info, low, medium, high, critical */
	size_t npatterns;
};

size_t rules_set_count(const struct rules_set *set);
/* Borrowed view of rule i (0 <= i < count); strings live as long as the set. */
void rules_set_rule(const struct rules_set *set, size_t i, struct rules_info *ret_info);

/* Runs every rule's embedded test examples; one line per failure is appended to report.
 * *ret_failed counts failures. Returns 0 when the examples could be run (even if some failed). */
int rules_set_selftest(const struct rules_set *set, struct buf *report, size_t *ret_failed);

int rules_matcher_new(const struct rules_set *set, struct rules_matcher **ret_matcher);
void rules_matcher_free(struct rules_matcher *m);

/* One pattern of a hit: where its first match in the field is. Offsets are bytes into the text. */
struct rules_span {
	const char *pattern; /* the pattern's name */
	size_t start, end;
};

struct rules_hit {
	size_t rule;       /* index for rules_set_rule */
	const char *field; /* the field name passed to rules_match */
	size_t start, end; /* the earliest-starting span among the rule's matched patterns */
	const struct rules_span *spans; /* every positive pattern that matched */
	size_t nspans;
};

/* Called for each rule that holds; valid only during the call. A non-zero return stops matching
 * and becomes rules_match's return value. */
typedef int (*rules_hit_fn)(const struct rules_hit *hit, void *ud);

/* Matches text (UTF-8, len bytes) as field field ("title", "body", "post", "author", "url",
 * "link_text") against every rule that reads that field, calling fn for each rule that holds.
 * Errors: ERR_REGEX when PCRE2 fails (a match limit hit is an error, never "no match"). */
int rules_match(struct rules_matcher *m, const char *field, const char *text, size_t len,
		rules_hit_fn fn, void *ud);

/* A one-line excerpt of text around [start, end): up to context code points either side, cut on
 * character boundaries, whitespace runs collapsed to one space, "…" where text was cut. */
int rules_snippet(const char *text, size_t len, size_t start, size_t end, size_t context,
		  struct buf *out);

#endif
