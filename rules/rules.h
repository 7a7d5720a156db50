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

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct rules_set;
struct rules_matcher;

/* Loads every pack named by paths: a path is a .yaml/.yml file or a directory whose *.yaml and
 * *.yml files are loaded in name order. All errors found are appended to errors, one per line, as
 * "file:line:col: message" (sorted by position within each file; "file: message" for errors about a
 * whole file), and the call fails with ERR_RULES; nothing is half-loaded. On success *ret_set is a
 * new set the caller frees with rules_set_free(); on failure it is untouched. errors may be NULL.
 * Other errors: -ENOMEM. */
int rules_set_load(const char *const *paths, size_t npaths, struct rules_set **ret_set,
		   struct buf *errors);
/* Same, keeping the compiled prefilter (docs/rules.md, "The prefilter") in cache_dir between
 * runs, so that packs compiled before load in milliseconds. The directory is created (one level)
 * when missing; a cache that cannot be read or written only costs the compile. NULL: no cache. */
int rules_set_load_cached(const char *const *paths, size_t npaths, const char *cache_dir,
			  struct rules_set **ret_set, struct buf *errors);
/* Same, from one pack held in memory; name is used in error messages. */
int rules_set_load_mem(const char *name, const char *yaml, size_t len, struct rules_set **ret_set,
		       struct buf *errors);

/* One pack held in memory, for rules_set_load_sources. */
struct rules_source {
	const char *name; /* stands for the file name in error messages */
	const char *data; /* the pack's YAML, len bytes; need not be NUL-terminated */
	size_t len;
};

/* Same, from n packs held in memory (such as packs compiled into the binary), loaded in the order
 * given into one set: rule ids and pack names must be unique across all of them. */
int rules_set_load_sources(const struct rules_source *src, size_t n, struct rules_set **ret_set,
			   struct buf *errors);

/* Same, keeping the compiled prefilter in cache_dir as rules_set_load_cached does: the packs
 * built into patrol, loaded by every command, compile once. */
int rules_set_load_sources_cached(const struct rules_source *src, size_t n,
				  const char *cache_dir, struct rules_set **ret_set,
				  struct buf *errors);

struct normalizer;

/* Same, with nz (parsers/normalize.h) as the set's normalized view instead of one built for the
 * set: building one takes about 0.2 s (far longer under sanitizers), so a process that loads many
 * sets (a fuzz target, tests, a crawl reloading its packs) builds one normalizer and passes it to
 * every load. The set borrows nz, which must outlive it; normalizers are immutable, so sets in
 * any number of threads may share one. nz NULL: exactly rules_set_load_sources. */
int rules_set_load_shared(const struct rules_source *src, size_t n, const struct normalizer *nz,
			  struct rules_set **ret_set, struct buf *errors);
void rules_set_free(struct rules_set *set);

struct rules_info {
	const char *id;
	const char *pack;
	const char *pack_version; /* "" when the pack has none */
	const char *pack_digest;  /* SHA-256 of the pack file's bytes, hex; "" when not read */
	const char *title;
	const char *description; /* "" when the rule has none */
	const char *category;
	const char *severity; /* info, low, medium, high, critical */
	size_t npatterns;
};

size_t rules_set_count(const struct rules_set *set);
/* Borrowed view of rule i (0 <= i < count); strings live as long as the set. */
void rules_set_rule(const struct rules_set *set, size_t i, struct rules_info *ret_info);

/* Rule i's patterns that the prefilter cannot hold (constructs Vectorscan lacks, such as \R, \K
 * or conditionals): PCRE2 runs them over every text the rule reads, which costs a pass each.
 * Returns how many there are; the first max of their names go to names (borrowed). */
size_t rules_set_always_run(const struct rules_set *set, size_t i, const char **names, size_t max);

/* Most backtracking steps (PCRE2's match limit) one search of the lint sample may take before
 * rules_set_lint_slow calls its pattern slow: ordinary patterns need well under a hundred. */
#define RULES_SLOW_STEPS 10000

/* Called for each slow pattern: fails when it reaches the matcher's own match limit on the
 * sample (a crawl would count an error on such text). A non-zero return stops the check. */
typedef int (*rules_slow_fn)(size_t rule, const char *pattern, bool fails, void *ud);

/* Runs every pattern of the set over a built-in sample of about 64 KiB of Chinese and English
 * forum text (rules_lint_sample; normalized for the patterns of the normalized view), searching
 * for all its matches, and calls fn for each pattern that takes more than RULES_SLOW_STEPS
 * backtracking steps in one search. Counted, not timed: the same packs give the same warnings on
 * any machine. Returns 0, fn's non-zero return, or -ENOMEM. */
int rules_set_lint_slow(const struct rules_set *set, rules_slow_fn fn, void *ud);
/* Appends the lint sample to out (the same bytes on every run). Errors as buf_add's. */
int rules_lint_sample(struct buf *out);

/* Runs every rule's embedded test examples, each as the rule's "body" field if it reads body, else
 * as its first field, through the same path as page text (normalized for the patterns that read
 * the normalized view, then prefiltered). One line per failure is appended to report (which may be NULL), as
 * "pack: rule-id: match example N did not match: \"...\"" (or "no-match example N matched", or
 * "failed (reason)" for a PCRE2 error, "is judged differently by the prefilter" when the
 * prefilter and PCRE2 alone disagree: a bug worth reporting). *ret_failed counts failures.
 * Returns 0 when the examples could be run (even if some failed), -ENOMEM otherwise. Uses its
 * own matcher; thread-safe. */
int rules_set_selftest(const struct rules_set *set, struct buf *report, size_t *ret_failed);

int rules_matcher_new(const struct rules_set *set, struct rules_matcher **ret_matcher);
void rules_matcher_free(struct rules_matcher *m);

/* A hit or span that is not in a forum post. */
#define RULES_NO_POST ((size_t)-1)

/* One pattern of a hit: where its first match is. */
struct rules_span {
	const char *pattern; /* the pattern's name */
	/* The field instance the match is in: the hit's own, except for a pattern the condition
	 * names only as `p in F` (then F's, and post the index of the post, or RULES_NO_POST). */
	const char *field;
	size_t post;
	/* Bytes into the field's original text (what the caller passed): the smallest span whose
	 * normalization holds the match (normalize_span), so a highlight shows what the page said. */
	size_t start, end;
	/* Bytes into the text the pattern read: the field's normalized text, or, when raw is set
	 * (a pattern of the raw view), the original text (then equal to start and end). */
	size_t view_start, view_end;
	bool raw;
};

struct rules_hit {
	size_t rule;       /* index for rules_set_rule */
	const char *field; /* the field name ("title", "body", "post", ...); static storage */
	size_t post;       /* for "post" and "author": the post's index; else RULES_NO_POST */
	size_t start, end; /* the earliest-starting span in this field, in the original text */
	const struct rules_span *spans; /* every positive pattern that matched, in rule order */
	size_t nspans;
	/* The field's normalized text (NUL-terminated), or NULL when no rule reading the field
	 * reads the normalized view; valid during the call only. */
	const char *normalized;
	size_t normalized_len;
};

/* Called for each rule that holds; valid only during the call. A non-zero return stops matching
 * and becomes rules_match's return value. */
typedef int (*rules_hit_fn)(const struct rules_hit *hit, void *ud);

/* Matches text (the field as extracted: UTF-8, len bytes; invalid UTF-8 is tolerated) as field
 * field ("title", "body", "post", "author", "url", "link_text") against every rule that reads that
 * field, in rule order, calling fn for each rule that holds. The text is normalized once (when a
 * rule reading the field reads the normalized view; docs/rules.md, "What rules see"); normalized
 * text past 16 MiB is not seen. Errors: ERR_USAGE for an unknown field; ERR_TOO_BIG for a text
 * over 2 GiB; ERR_REGEX when PCRE2 or Vectorscan fails for some rule (a match limit hit is an
 * error, never "no match") — the other rules are still matched and their hits reported, and
 * ERR_REGEX is returned at the end. A matcher is used by one thread at a time. */
int rules_match(struct rules_matcher *m, const char *field, const char *text, size_t len,
		rules_hit_fn fn, void *ud);

/* One forum post of a document. NULL strings are absent fields. */
struct rules_post {
	const char *text;   /* matched as field "post" */
	const char *author; /* matched as field "author" */
	const char *time;   /* not matched; for the caller's records */
};

/* A whole page: each string is a field's text as extracted, NUL-terminated UTF-8 (invalid UTF-8
 * is tolerated), or NULL when the page has no such field. All borrowed for the call. */
struct rules_doc {
	const char *title, *body, *url, *link_text;
	const struct rules_post *posts; /* nposts of them; posts past RULES_MAX_POSTS are ignored */
	size_t nposts;
};

#define RULES_MAX_POSTS 4096

/* Matches a whole document in one call. Each field instance is normalized and prefiltered once:
 * title, body, url, link_text, then post 0's text ("post") and author ("author"), post 1's, ...
 * A rule is evaluated once per instance of each field it reads, in that order (and, within an
 * instance, in rule order), and fn is called for each instance it holds on: hit->field and
 * hit->post say which. In the condition, a plain pattern name means the instance being
 * evaluated; `p in F` means field F of the same document: while evaluating a post, `in author` is
 * that post's author; otherwise `p in F` holds when p matches in any instance of F (any post for
 * `in post`). Errors as rules_match's: every rule and instance is still tried after an ERR_REGEX,
 * which is returned at the end; fn's non-zero return stops at once and is returned. */
int rules_match_doc(struct rules_matcher *m, const struct rules_doc *doc, rules_hit_fn fn,
		    void *ud);

/* What rules_explain_doc says of one rule on one field instance. */
struct rules_explain {
	size_t rule;       /* index for rules_set_rule */
	const char *field; /* as in struct rules_hit */
	size_t post;
	bool holds; /* the condition held: rules_match_doc reports a hit here */
	/* Every pattern of the rule that matched, positive or not, in rule order: its first match
	 * (a pattern named `p in F` in field F). */
	const struct rules_span *spans;
	size_t nspans;
	/* The condition with each sub-expression's value, as "(job [yes] and (not warning [no])
	 * [yes]) [yes]"; a count shows its value ("#a >= 3 [#a = 1] [no]"). Every leaf is
	 * evaluated, which matching proper does not do. NUL-terminated, cut at 64 KiB; valid
	 * during the call only. */
	const char *condition;
};

/* Called for each rule and field instance explained; a non-zero return stops and is returned. */
typedef int (*rules_explain_fn)(const struct rules_explain *e, void *ud);

/* Why each rule did or did not hold on doc, for `patrol scan --explain`: like rules_match_doc,
 * in the same order, but fn is called for every rule and field instance on which some positive
 * pattern of the rule matched (what makes it a candidate), whether or not its condition held. Slower than rules_match_doc (every pattern
 * of such a rule is run); for people, not crawls. Errors as rules_match_doc's. */
int rules_explain_doc(struct rules_matcher *m, const struct rules_doc *doc, rules_explain_fn fn,
		      void *ud);

/* How many times matching failed for rule i (a PCRE2 error: the match limit, the JIT stack)
 * since the matcher was made: each failure is one rule on one field instance, and is also an
 * ERR_REGEX return. A crawl reports these in its run stats. */
size_t rules_matcher_errors(const struct rules_matcher *m, size_t i);

/* For `patrol rules bench`: with timing on, the matcher adds up the thread CPU time each rule
 * costs (its PCRE2 confirmation and condition, on every field instance it is tried on) and what
 * all rules share (normalization and the prefilter pass). Costs two clock reads per rule tried.
 * Returns 0 or -ENOMEM. */
int rules_matcher_set_timing(struct rules_matcher *m, bool on);
uint64_t rules_matcher_rule_ns(const struct rules_matcher *m, size_t i);
uint64_t rules_matcher_shared_ns(const struct rules_matcher *m);

/* Appends to out a one-line excerpt of text around [start, end): up to context code points either
 * side, cut on character boundaries, whitespace and control characters collapsed to one space and
 * dropped at the excerpt's edges, invalid UTF-8 as U+FFFD, "…" where text was cut. Errors:
 * ERR_USAGE when start > end or end > len; ERR_TOO_BIG when out is full (out is then unchanged). */
int rules_snippet(const char *text, size_t len, size_t start, size_t end, size_t context,
		  struct buf *out);

#endif
