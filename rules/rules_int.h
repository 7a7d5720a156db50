/* SPDX-License-Identifier: MIT */
/* What the files of rules/ share: the compiled set, its caps, the condition tree and the PCRE2
 * helpers. load.c builds a set, condition.c parses and evaluates conditions, match.c compiles
 * patterns and matches, snippet.c cuts excerpts. Only this module includes pcre2.h.
 *
 * Everything a set points to lives in the set's arena or is a pcre2_code the set frees; nothing is
 * written after rules_set_load returns, so threads share a set without locks.
 */
#ifndef PATROL_RULES_RULES_INT_H
#define PATROL_RULES_RULES_INT_H

#include "rules/rules.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Caps on what a pack may ask for (docs/rules.md lists them for rule authors). */
enum {
	RULES__MAX_FILE = 4 << 20,       /* bytes of one pack file */
	RULES__MAX_DEPTH = 16,           /* YAML collections nested in one another */
	RULES__MAX_NODES = 100000,       /* YAML nodes in one file */
	RULES__MAX_ERRORS = 100,         /* error lines reported per file */
	RULES__MAX_NAME = 128,           /* bytes of a pack name, rule id, pattern or list name */
	RULES__MAX_RULES = 10000,        /* rules in one set */
	RULES__MAX_PATTERNS = 64,        /* patterns in one rule */
	RULES__MAX_PATTERN = 4096,       /* bytes of a pattern as written */
	RULES__MAX_EXPANDED = 65536,     /* bytes of a pattern once its lists are expanded */
	RULES__MAX_LISTS = 256,          /* lists in one pack */
	RULES__MAX_LIST_ITEMS = 4096,    /* items in one list */
	RULES__MAX_EXAMPLES = 256,       /* match or no-match examples in one rule */
	RULES__MAX_CONDITION = 4096,     /* bytes of a condition */
	RULES__MAX_COND_DEPTH = 32,      /* parentheses and nots nested in a condition */
	RULES__MAX_COND_NODES = 1024,    /* nodes of a parsed condition */
	RULES__MATCH_LIMIT = 1000000,    /* PCRE2 match limit, per start position */
	RULES__DEPTH_LIMIT = 10000,      /* PCRE2 backtracking depth (interpreter only) */
	RULES__HEAP_LIMIT = 65536,       /* PCRE2 heap limit in KiB (interpreter only) */
	RULES__JIT_STACK_MIN = 32 << 10, /* a matcher's JIT stack starts here... */
	RULES__JIT_STACK_MAX = 1 << 20,  /* ...and may grow to this */
};

/* The fields a rule may read, as bits of rules__rule.fields. */
enum rules__field {
	RULES__FIELD_TITLE,
	RULES__FIELD_BODY,
	RULES__FIELD_POST,
	RULES__FIELD_AUTHOR,
	RULES__FIELD_URL,
	RULES__FIELD_LINK_TEXT,
	RULES__NFIELDS
};

/* The index of the field named name, or -1. */
int rules__field_find(const char *name, size_t len);
/* The name of field f (< RULES__NFIELDS). */
const char *rules__field_name(unsigned f);

/* The text a pattern is matched against (docs/rules.md, "Views"). */
enum rules__view {
	RULES__VIEW_NORMALIZED, /* parsers/normalize.h's view: the default */
	RULES__VIEW_RAW,        /* the field's text as extracted */
	RULES__NVIEWS
};

/* A condition is a tree of nodes in one array; children of NOT, AND, OR and OF are chained
 * through next, the first child being arg. PAT's arg is a pattern index and scope the field it is
 * scoped to plus one (0: the field being matched); COUNT compares the count of pattern arg's
 * matches with num by cmp; NEAR holds when patterns arg and arg2 match within num characters; OF
 * holds when at least num of its PAT children hold. */
enum rules__op {
	RULES__OP_PAT,
	RULES__OP_NOT,
	RULES__OP_AND,
	RULES__OP_OR,
	RULES__OP_OF,
	RULES__OP_COUNT,
	RULES__OP_NEAR,
};

enum rules__cmp { RULES__CMP_LT, RULES__CMP_LE, RULES__CMP_EQ, RULES__CMP_NE, RULES__CMP_GE,
		  RULES__CMP_GT };

#define RULES__NONE UINT32_MAX

struct rules__node {
	uint32_t op;
	uint32_t arg;
	uint32_t next;
	uint32_t arg2;
	uint32_t num;
	uint8_t cmp;   /* enum rules__cmp, for COUNT */
	uint8_t scope; /* for PAT: 1 + enum rules__field, or 0 */
};

/* Most matches of a pattern counted in one field (#a): counting stops there. */
#define RULES__MAX_COUNT 1000
/* Most matches of each pattern near() looks at in one field. */
#define RULES__MAX_NEAR_SPANS 1000
/* The largest distance near() takes. */
#define RULES__MAX_NEAR 100000

struct rules__cond {
	struct rules__node *nodes; /* malloc'd by rules__cond_parse; the set keeps an arena copy */
	size_t nnodes;
	uint32_t root;
};

/* Reports one condition error: offset is the byte in the condition text it concerns. */
typedef void (*rules__cond_error_fn)(void *ud, size_t offset, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Parses src (len bytes) against the pattern names names[0..nnames) and their views[] (near()
 * needs two patterns of one view). Unknown names are all reported; a syntax error stops the
 * parse. Returns 0 and fills *ret_cond (nodes freed with free()), ERR_RULES after reporting
 * through err, or -ENOMEM. */
int rules__cond_parse(const char *src, size_t len, const char *const *names,
		      const uint8_t *views, size_t nnames, rules__cond_error_fn err, void *ud,
		      struct rules__cond *ret_cond);

/* Asks about a leaf (PAT, COUNT or NEAR): 1 holds, 0 not, negative for an error. */
typedef int (*rules__leaf_fn)(void *ud, const struct rules__node *n);

/* Evaluates the condition, asking leaf only for the leaves it needs (and, or and of stop early).
 * Returns 1, 0 or leaf's negative code. */
int rules__cond_eval(const struct rules__node *nodes, uint32_t root, rules__leaf_fn leaf,
		     void *ud);

/* The count of pattern i's matches, for an explanation (after leaf asked about it). */
typedef size_t (*rules__count_fn)(void *ud, uint32_t i);

/* Renders the condition into out with the value of every sub-expression, as "(a [yes] and (not
 * w [no]) [yes]) [yes]": unlike rules__cond_eval every leaf is asked. names are the patterns'.
 * Returns 1, 0, a leaf's negative code, or ERR_TOO_BIG when out is full. */
int rules__cond_explain(const struct rules__node *nodes, uint32_t root, const char *const *names,
			rules__leaf_fn leaf, rules__count_fn count, void *ud, struct buf *out);

/* Whether count compares to num as cmp says. */
bool rules__cmp_holds(unsigned cmp, size_t count, uint32_t num);

/* Marks in used[i] each pattern the condition names and in positive[i] each pattern that must
 * match for some part of it to hold: named under an even number of nots (a count that is false
 * for no match counts as a name, one that is true for no match as a negated one). Both arrays
 * have npatterns entries and are set, not cleared. */
void rules__cond_polarity(const struct rules__node *nodes, uint32_t root, size_t npatterns,
			  bool *used, bool *positive);

/* Whether the condition can hold when nothing matches in the field being matched, only patterns
 * scoped to other fields (`a in title`). */
bool rules__cond_holds_elsewhere(const struct rules__node *nodes, uint32_t root);

struct rules__pattern {
	const char *name;
	pcre2_code *code;
	const char *expr; /* what Vectorscan compiles: the expansion, or NULL (always run) */
	uint32_t id;      /* its Vectorscan id in its view's database, unless always */
	uint32_t gate;    /* the id of its gate (rules__factor), or RULES__NO_GATE */
	uint32_t window;  /* bytes before the prefilter's first report PCRE2 starts; 0: from the start */
	uint8_t view;     /* enum rules__view */
	uint8_t scope;    /* where its spans are: 0 the field matched, else 1 + the field it is
			   * only named in (`a in title`) */
	bool positive;
	bool always;      /* not in the prefilter: PCRE2 runs it on every text the rule reads */
	bool single;      /* scanned for literals it is made of: reported once per scan, and PCRE2
			   * looks for it from where it is asked to */
};

struct rules__rule {
	struct rules_info info;
	unsigned fields;     /* bit (1u << rules__field) for each field the rule reads */
	unsigned views;      /* bit (1u << rules__view) for each view its patterns read */
	bool scoped;         /* its condition names a pattern in another field */
	unsigned scope_views[RULES__NFIELDS]; /* the views its `p in F` read in each field F */
	unsigned test_field; /* the field selftest matches examples as */
	struct rules__pattern *patterns;
	const struct rules__node *cond;
	uint32_t root;
	const char *const *match; /* selftest examples */
	size_t nmatch;
	const char *const *nomatch;
	size_t nnomatch;
};

struct rules__chunk;

/* A pattern of the prefilter database: Vectorscan's match id indexes an array of these. */
struct rules__ref {
	uint32_t rule, pattern;
	bool gate; /* the pattern's gate, not the pattern */
};
#define RULES__NO_GATE UINT32_MAX

/* One view's prefilter: every pattern of that view Vectorscan accepts, in one database. */
struct rules__prefilter {
	struct hs_database *hs_db; /* NULL when no pattern is in it */
	struct rules__ref *refs;   /* malloc'd: what each Vectorscan id stands for */
	size_t nrefs;
};

struct normalizer;

struct rules_set {
	struct rules__chunk *arena; /* strings, patterns, conditions, examples */
	struct rules__rule *rules;  /* malloc'd, nrules used of alloc */
	size_t nrules, alloc;
	size_t max_patterns; /* the most patterns any rule has: what a matcher must hold */
	/* when some pattern reads the normalized view: the caller's (rules_set_load_shared) or
	 * nz_own, built once at load; else NULL */
	const struct normalizer *nz;
	struct normalizer *nz_own; /* freed with the set */
	unsigned field_views[RULES__NFIELDS]; /* the views read by the rules reading each field */
	/* the prefilter (prefilter.c): one database per view */
	struct rules__prefilter pf[RULES__NVIEWS];
	uint32_t *always; /* malloc'd: rules with an always-run positive pattern, in order */
	size_t nalways;
	bool hs_cached; /* every database of the set came from the cache */
};

/* A pattern compiler: one PCRE2 compile context, reused for every pattern of a load. */
struct rules__compiler {
	pcre2_compile_context *ccontext;
};

int rules__compiler_init(struct rules__compiler *c);
void rules__compiler_done(struct rules__compiler *c);

/* A list usable in patterns as {name}; items are sorted longest first. */
struct rules__list {
	const char *name;
	size_t namelen;
	const char *const *items;
	const size_t *itemlens;
	size_t nitems;
};

/* A compile failure, for the loader to put after "pattern 'name': ". */
struct rules__regex_error {
	char msg[256];
};

/* Compiles pattern (len bytes as written): "literal:" text, or a regex whose {name} references
 * are expanded from lists. Returns 0 and a code the caller frees with pcre2_code_free(), ERR_REGEX
 * or ERR_RULES with *ret_err filled, or -ENOMEM. */
int rules__pattern_compile(struct rules__compiler *c, const char *pattern, size_t len,
			   const struct rules__list *lists, size_t nlists, pcre2_code **ret_code,
			   char **ret_expr, struct rules__regex_error *ret_err);

/* The literal factors of a pattern (factor.c). */
struct rules__factor {
	/* a Vectorscan expression "(?:lit|...)": every match contains one of its literals */
	char *expr;
	/* the most bytes from the start of a match to the end of that literal (SIZE_MAX: unbounded) */
	size_t end;
	/* the pattern is made of literals alone (and zero-width assertions): its matches are,
	 * mostly, the literals' own */
	bool whole;
	/* NULL, or a second such expression, from another place of every match, of literals of at
	 * least two characters: a text without one of them has no match either */
	char *gate;
};
/* The literal factors of expr, a pattern as PCRE2 compiles it, each literal of expr at least
 * min_chars characters. Returns 0 and fills *ret (the caller frees expr and gate), ERR_REGEX when
 * expr has no usable factors or uses syntax the parse does not follow, or -ENOMEM. */
int rules__factors(const char *expr, unsigned min_chars, struct rules__factor *ret);

/* Builds the set's prefilter from the patterns' expr, one database per view that has patterns:
 * patterns Hyperscan refuses become always run. With a cache_dir, a database compiled before is read from there, and one compiled now is
 * kept there. Returns 0 or -ENOMEM; any other Hyperscan failure leaves every pattern always run. */
int rules__prefilter_build(struct rules_set *set, const char *cache_dir);
void rules__prefilter_free(struct rules_set *set);

/* A matcher's prefilter state (the scratch and what the last scan reported). */
struct rules__scan;
int rules__scan_new(const struct rules_set *set, struct rules__scan **ret_scan);
void rules__scan_free(struct rules__scan *s);
/* A field's text in each view; a view nobody reading the field uses has text NULL. */
struct rules__texts {
	const char *text[RULES__NVIEWS];
	size_t len[RULES__NVIEWS];
};
/* Runs each view's prefilter over that view's text of field. On return candidates lists, in rule
 * order, the rules that read field and may hold: those with a reported or always-run positive
 * pattern, and, for a view whose pass could not run (invalid UTF-8 in the raw text, a Vectorscan
 * error), every rule reading that view. Returns 0 or -ENOMEM. */
int rules__scan_run(struct rules__scan *s, unsigned field, const struct rules__texts *t,
		    const uint32_t **ret_candidates, size_t *ret_n);
/* What the last scan reported, read by match.c for every candidate: a pattern p may match when
 * p->always, or !ran[p->view], or rules__reported(seen[p->view], epoch, p); else the prefilter
 * rules out every match of it in the text scanned. */
struct rules__reports {
	const uint32_t *seen[RULES__NVIEWS];
	uint32_t epoch;
	bool ran[RULES__NVIEWS];
};

/* Whether the scan of epoch reported pattern p (not always run) and its gate, if it has one. */
static inline bool rules__reported(const uint32_t *seen, uint32_t epoch,
				   const struct rules__pattern *p)
{
	return seen[p->id] == epoch && (p->gate == RULES__NO_GATE || seen[p->gate] == epoch);
}
/* After rules__scan_run: fills *ret; valid until the scan runs again. */
void rules__scan_reports(const struct rules__scan *s, struct rules__reports *ret);
/* Where PCRE2 must look for a match: the match starts at or after start and at or before limit
 * (pcre2_set_offset_limit; SIZE_MAX: anywhere after start). */
struct rules__window {
	size_t start, limit;
};
/* After rules__scan_run: the first window of the view's text (len bytes) where a match of
 * pattern k of rule r starting at byte lo or later can start: each reported end e gives the
 * starts from e minus the pattern's widest match up to e (from lo for an unbounded pattern), so
 * PCRE2 never reads past a reported match. Returns 1 and fills *ret, or 0 when the prefilter
 * says no match can start at lo or later. A caller whose PCRE2 run finds nothing in a window asks
 * again with lo = limit + 1; an unlimited window is the last. */
int rules__scan_window(const struct rules__scan *s, const char *text, size_t len, uint32_t r,
		       uint32_t k, size_t lo, struct rules__window *ret);

/* rules_match, or with exhaustive every rule through PCRE2 alone, without the prefilter: what
 * tests compare the prefilter against. */
int rules__match(struct rules_matcher *m, const char *field, const char *text, size_t len,
		 bool exhaustive, rules_hit_fn fn, void *ud);

/* rules_set_load_mem with OpenCC's configuration opencc_config (NULL: the default): lets tests
 * see what a load does when OpenCC's data are missing. */
int rules__load_mem_config(const char *name, const char *yaml, size_t len,
			   const char *opencc_config, struct rules_set **ret_set, struct buf *errors);


/* Loads in-memory packs with a borrowed normalizer (NULL: the set builds its own) and a
 * prefilter cache (NULL: none): what rules_set_load_shared and rules_set_load_sources_cached do. */
int rules__load_sources(const struct rules_source *src, size_t n, const struct normalizer *nz,
			const char *cache_dir, struct rules_set **ret_set, struct buf *errors);

#endif
