/* SPDX-License-Identifier: MIT */
/* The prefilter: every pattern of a set in one Vectorscan database, so that one pass over a text
 * tells which patterns can match it and where the first of their matches ends.
 *
 * The database is compiled with HS_FLAG_PREFILTER: for a pattern Vectorscan cannot match exactly
 * (lookbehind, backreferences, ...) it matches a wider one, so a pattern it does not report cannot
 * match, and one it reports must still be confirmed by PCRE2. That confirmation starts a little
 * before the first reported end: as far back as the pattern's widest match, when it has one. A
 * pattern Vectorscan refuses outright is "always run": PCRE2 tries it on every text its rule
 * reads, and `patrol rules lint` says so. Each view (normalized, raw) has its own database, and a
 * text is scanned by the database of its view only. This file does not evaluate conditions
 * (match.c does).
 */
#include "rules/rules_int.h"

#include "common/digest.h"
#include "common/err.h"

#include <hs.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* PCRE2's CASELESS | UTF, as Vectorscan spells them. Not UCP: Vectorscan builds Unicode \w, \d, \s
 * and \b into automata so large that 300 patterns take a minute to compile; prefilter_widen
 * rewrites them into classes at least as wide instead, which compile in milliseconds. */
#define PREFILTER_FLAGS (HS_FLAG_CASELESS | HS_FLAG_UTF8 | HS_FLAG_PREFILTER)
/* A pattern whose matches may be wider than this is confirmed from the start of the text. */
#define PREFILTER_MAX_WINDOW (64u << 10)
/* The fewest characters of a literal factor worth scanning for: one letter or one CJK character
 * occurs on most pages and would make every report a PCRE2 run. */
#define PREFILTER_FACTOR_MIN 2
#define CACHE_MAGIC "PTRLPF01"
#define CACHE_MAX (256u << 20)            /* bytes of a cache file read back */
#define CACHE_MAX_AGE (30 * 24 * 3600)    /* cache files unused this long are removed */

/* ---- widening: from PCRE2 with UCP to Vectorscan without it ---- */

#define NON_ASCII "\\x{80}-\\x{10ffff}"

/* What a shorthand class becomes inside a class that is not negated: its ASCII members and every
 * non-ASCII character, a superset of what UCP gives it. */
static const char *widen_in_class(char c)
{
	switch (c) {
	case 'w': return "0-9A-Z_a-z" NON_ASCII;
	case 'd': return "0-9" NON_ASCII;
	case 's': return "\\t-\\r\\x20" NON_ASCII;
	case 'h': return "\\t\\x20" NON_ASCII;
	case 'v': return "\\n-\\r" NON_ASCII;
	case 'W': return "\\x00-\\x2f\\x3a-\\x40\\x5b-\\x5e\\x60\\x7b-\\x{10ffff}";
	case 'D': return "\\x00-\\x2f\\x3a-\\x{10ffff}";
	case 'S': return "\\x00-\\x08\\x0e-\\x1f\\x21-\\x{10ffff}";
	case 'H': return "\\x00-\\x08\\x0a-\\x1f\\x21-\\x{10ffff}";
	case 'V': return "\\x00-\\x09\\x0e-\\x{10ffff}";
	default: return NULL;
	}
}

/* Inside a negated class the excluded set must shrink: only the ASCII members are kept. */
static const char *narrow_in_class(char c)
{
	switch (c) {
	case 'w': return "0-9A-Z_a-z";
	case 'd': return "0-9";
	case 's': return "\\t-\\r\\x20";
	case 'h': return "\\t\\x20";
	case 'v': return "\\n-\\r";
	case 'W': return "\\x00-\\x2f\\x3a-\\x40\\x5b-\\x5e\\x60\\x7b-\\x7f";
	case 'D': return "\\x00-\\x2f\\x3a-\\x7f";
	case 'S': return "\\x00-\\x08\\x0e-\\x1f\\x21-\\x7f";
	case 'H': return "\\x00-\\x08\\x0a-\\x1f\\x21-\\x7f";
	case 'V': return "\\x00-\\x09\\x0e-\\x7f";
	default: return NULL;
	}
}

struct widen {
	const char *p;
	size_t len, i;
	struct buf *out;
};

/* Copies from the current position up to and including the first end after from. */
static int widen_through(struct widen *w, size_t from, const char *end)
{
	const char *e = from <= w->len ? memmem(w->p + from, w->len - from, end, strlen(end)) : NULL;
	size_t stop = e ? (size_t)(e - w->p) + strlen(end) : w->len;
	int rc = buf_add(w->out, w->p + w->i, stop - w->i);
	w->i = stop;
	return rc;
}

/* An escape that stays as written: \Q...\E, braced escapes, \cX, or a backslash and one byte. */
static int widen_escape_copy(struct widen *w)
{
	char d = w->i + 1 < w->len ? w->p[w->i + 1] : '\0';
	if (d == 'Q')
		return widen_through(w, w->i + 2, "\\E");
	if (d && strchr("xopPgkN", d) && w->i + 2 < w->len && w->p[w->i + 2] == '{')
		return widen_through(w, w->i + 3, "}");
	size_t n = d == 'c' ? 3 : 2;
	n = n < w->len - w->i ? n : w->len - w->i;
	int rc = buf_add(w->out, w->p + w->i, n);
	w->i += n;
	return rc;
}

static int widen_escape(struct widen *w)
{
	char d = w->i + 1 < w->len ? w->p[w->i + 1] : '\0';
	const char *cls = d ? widen_in_class(d) : NULL;
	if (cls) {
		w->i += 2;
		return buf_addf(w->out, "[%s]", cls);
	}
	if (d == 'b' || d == 'B') { /* an assertion dropped only widens */
		w->i += 2;
		return buf_addstr(w->out, "(?:)");
	}
	if (d == 'X') { /* a grapheme cluster is one or more characters */
		w->i += 2;
		return buf_addstr(w->out, "(?s:.+)");
	}
	return widen_escape_copy(w);
}

/* A POSIX class inside a class: [:alpha:] widens to every non-ASCII character too; inside a
 * negated class the ASCII meaning is already narrower, except for [:^name:], which gives up. */
static int widen_posix(struct widen *w, bool negated)
{
	const char *e = memmem(w->p + w->i + 2, w->len - w->i - 2, ":]", 2);
	if (!e)
		return buf_add(w->out, w->p + w->i++, 1);
	bool inverse = w->p[w->i + 2] == '^';
	if (negated && inverse)
		return ERR_REGEX;
	size_t n = (size_t)(e - w->p) + 2 - w->i;
	int rc = buf_add(w->out, w->p + w->i, n);
	w->i += n;
	return rc == 0 && !negated && !inverse ? buf_addstr(w->out, NON_ASCII) : rc;
}

static int widen_class(struct widen *w)
{
	size_t start = w->i;
	w->i++;
	bool negated = w->i < w->len && w->p[w->i] == '^';
	w->i += negated;
	if (w->i < w->len && w->p[w->i] == ']')
		w->i++;
	int rc = buf_add(w->out, w->p + start, w->i - start);
	while (rc == 0 && w->i < w->len && w->p[w->i] != ']') {
		char c = w->p[w->i], d = w->i + 1 < w->len ? w->p[w->i + 1] : '\0';
		const char *sub = c != '\\' || !d ? NULL : negated ? narrow_in_class(d)
									: widen_in_class(d);
		if (sub) {
			rc = buf_addstr(w->out, sub);
			w->i += 2;
		} else if (c == '\\') {
			rc = widen_escape_copy(w);
		} else if (c == '[' && d == ':') {
			rc = widen_posix(w, negated);
		} else {
			rc = buf_add(w->out, w->p + w->i++, 1);
		}
	}
	if (rc == 0 && w->i < w->len)
		rc = buf_add(w->out, w->p + w->i++, 1);
	return rc;
}

/* Extended mode's comments could hide a '[' or a '\\' from the rewrite: such patterns give up. */
static bool has_extended_option(const char *p)
{
	for (const char *q = strstr(p, "(?"); q; q = strstr(q + 2, "(?")) {
		size_t n = strspn(q + 2, "imnsxJU-^");
		if (memchr(q + 2, 'x', n) && (q[2 + n] == ')' || q[2 + n] == ':'))
			return true;
	}
	return false;
}

/* Rewrites expr, a pattern PCRE2 compiles with UCP, into one Vectorscan compiles without it and
 * that matches at least wherever expr can: the shorthand classes become the classes of
 * widen_in_class, \b and \B are dropped, \X is any run of characters. Returns 0 and a string in
 * out, ERR_REGEX when it cannot (the pattern is then always run), or -ENOMEM. */
static int prefilter_widen(const char *expr, struct buf *out)
{
	struct widen w = { .p = expr, .len = strlen(expr), .out = out };
	if (has_extended_option(expr) || strstr(expr, "(*"))
		return ERR_REGEX;
	int rc = 0;
	while (rc == 0 && w.i < w.len) {
		if (w.p[w.i] == '\\')
			rc = widen_escape(&w);
		else if (w.p[w.i] == '[')
			rc = widen_class(&w);
		else
			rc = buf_add(out, w.p + w.i++, 1);
	}
	return rc == ERR_TOO_BIG ? ERR_REGEX : rc;
}

/* ---- building ---- */

/* A pattern with literal factors (factor.c) is scanned for those alone, in Vectorscan's literal
 * engines; a match then starts at most the factor's end distance before a reported end, so that
 * is its window. Otherwise the widened expression w stays. Takes w; returns 0 or -ENOMEM.
 *
 * A pattern made of literals alone is single (HS_FLAG_SINGLEMATCH): its first literal is almost
 * always its first match, so the rest of the reports (common words report thousands of times a
 * page, and each report costs Vectorscan more than the scan itself) would only be counted.
 *
 * A pattern with a second factor set elsewhere in every match also gets that set scanned for, as
 * its gate (*ret_gate, single): it may match only where both were reported. Common words make
 * poor factors, and the best set is not always rare: `(?:联系|添加)\s*(?:微信|qq)\s*\w{5,20}`
 * is scanned for 联系, which a forum's footer has on every page, and was a PCRE2 run on every
 * page for each of the 32 such patterns of the benchmark's rules, until 微信 or qq was asked too. */
static int prefilter_factor(struct rules__pattern *p, char *w, char **ret_expr, char **ret_gate)
{
	struct rules__factor f;
	int rc = rules__factors(p->expr, PREFILTER_FACTOR_MIN, &f);
	/* One CJK character (招, 借, 点) reports often, but the literal engine scanning for it costs
	 * far less than the widened pattern's automaton: `招|兼职|...|加\s*{chat_app}` alone was
	 * half the shipped packs' scan. One ASCII character never does (factor.c). */
	if (rc == ERR_REGEX)
		rc = rules__factors(p->expr, 1, &f);
	if (rc == -ENOMEM) {
		free(w);
		return rc;
	}
	if (rc != 0) {
		*ret_expr = w;
		return 0;
	}
	free(w);
	p->window = f.end <= PREFILTER_MAX_WINDOW ? (uint32_t)f.end : 0;
	p->single = f.whole;
	*ret_expr = f.expr;
	*ret_gate = f.gate;
	return 0;
}

/* Whether Vectorscan takes the widened expression, and how wide its matches can be. Returns 0 or
 * -ENOMEM; a pattern it cannot take is marked always run and *ret_wide stays NULL. *ret_gate: see
 * prefilter_factor. */
static int prefilter_probe(struct rules__pattern *p, char **ret_wide, char **ret_gate)
{
	struct buf wide;
	buf_init(&wide, 16 * RULES__MAX_EXPANDED);
	int rc = prefilter_widen(p->expr, &wide);
	char *w = rc == 0 ? buf_take(&wide) : NULL;
	buf_done(&wide);
	hs_expr_info_t *info = NULL;
	hs_compile_error_t *cerr = NULL;
	if (rc == 0 && !w)
		return -ENOMEM;
	if (rc == -ENOMEM)
		return rc;
	if (rc != 0 || hs_expression_info(w, PREFILTER_FLAGS, &info, &cerr) != HS_SUCCESS) {
		hs_free_compile_error(cerr);
		free(w);
		p->always = true;
		return 0;
	}
	p->window = info->max_width <= PREFILTER_MAX_WINDOW ? info->max_width : 0;
	free(info); /* allocated with hs's misc allocator, malloc by default */
	return prefilter_factor(p, w, ret_wide, ret_gate);
}

/* Collects the patterns of view v the database will hold into pf->refs, and their gates, their
 * widened expressions into *ret_exprs (the caller frees pf->nrefs strings and the array). */
static int prefilter_collect(struct rules_set *set, unsigned v, char ***ret_exprs)
{
	struct rules__prefilter *pf = &set->pf[v];
	size_t n = 0;
	for (size_t r = 0; r < set->nrules; r++)
		n += 2 * set->rules[r].info.npatterns; /* each may have a gate */
	pf->refs = calloc(n ? n : 1, sizeof(*pf->refs));
	char **exprs = calloc(n ? n : 1, sizeof(*exprs));
	*ret_exprs = exprs;
	if (!pf->refs || !exprs)
		return -ENOMEM;
	pf->nrefs = 0;
	for (size_t r = 0; r < set->nrules; r++) {
		for (size_t k = 0; k < set->rules[r].info.npatterns; k++) {
			struct rules__pattern *p = &set->rules[r].patterns[k];
			char *wide = NULL, *gate = NULL;
			if (p->view != v)
				continue;
			p->always = !p->expr;
			p->single = false;
			p->gate = RULES__NO_GATE;
			int rc = p->always ? 0 : prefilter_probe(p, &wide, &gate);
			if (rc != 0)
				return rc;
			if (p->always)
				continue;
			p->id = (uint32_t)pf->nrefs;
			exprs[pf->nrefs] = wide;
			pf->refs[pf->nrefs++] = (struct rules__ref){ (uint32_t)r, (uint32_t)k, false };
			if (gate) {
				p->gate = (uint32_t)pf->nrefs;
				exprs[pf->nrefs] = gate;
				pf->refs[pf->nrefs++] = (struct rules__ref){ (uint32_t)r, (uint32_t)k, true };
			}
		}
	}
	return 0;
}

static const struct rules__pattern *ref_pattern(const struct rules_set *set,
					       const struct rules__ref *ref)
{
	return &set->rules[ref->rule].patterns[ref->pattern];
}

/* Gates need one report each: whether there is one. */
static unsigned ref_flags(const struct rules_set *set, const struct rules__ref *ref)
{
	bool single = ref->gate || ref_pattern(set, ref)->single;
	return PREFILTER_FLAGS | (single ? HS_FLAG_SINGLEMATCH : 0);
}

/* Takes id out of the database's work: its pattern always runs, or its gate is not asked. */
static void ref_drop(struct rules_set *set, const struct rules__prefilter *pf, uint32_t id)
{
	const struct rules__ref *ref = &pf->refs[id];
	struct rules__pattern *p = &set->rules[ref->rule].patterns[ref->pattern];
	if (ref->gate)
		p->gate = RULES__NO_GATE;
	else
		p->always = true;
}

static bool ref_dropped(const struct rules_set *set, const struct rules__prefilter *pf,
			uint32_t id)
{
	const struct rules__ref *ref = &pf->refs[id];
	const struct rules__pattern *p = ref_pattern(set, ref);
	return ref->gate ? p->gate != id : p->always;
}

/* Compiles pf->refs from their widened exprs; a pattern the whole compile chokes on becomes
 * always run and the rest are compiled again. Returns 0, -ENOMEM, or ERR_INTERNAL when
 * Vectorscan fails otherwise. */
static int prefilter_compile(struct rules_set *set, struct rules__prefilter *pf, char **wide)
{
	size_t n = pf->nrefs;
	const char **exprs = calloc(n ? n : 1, sizeof(*exprs));
	unsigned *flags = calloc(n ? n : 1, sizeof(*flags)), *ids = calloc(n ? n : 1, sizeof(*ids));
	int rc = exprs && flags && ids ? 0 : -ENOMEM;
	for (size_t i = 0; i < n && rc == 0; i++) {
		exprs[i] = wide[i];
		flags[i] = ref_flags(set, &pf->refs[i]);
		ids[i] = (unsigned)i;
	}
	while (rc == 0 && n > 0) {
		hs_compile_error_t *cerr = NULL;
		hs_error_t e = hs_compile_multi(exprs, flags, ids, (unsigned)n, HS_MODE_BLOCK, NULL,
						&pf->hs_db, &cerr);
		if (e == HS_SUCCESS)
			break;
		int bad = cerr ? cerr->expression : -1;
		hs_free_compile_error(cerr);
		if (e == HS_NOMEM) {
			rc = -ENOMEM;
		} else if (bad < 0 || (size_t)bad >= n) {
			rc = ERR_INTERNAL;
		} else { /* drop it: swap the last one into its place */
			ref_drop(set, pf, ids[bad]);
			n--;
			exprs[bad] = exprs[n];
			flags[bad] = flags[n];
			ids[bad] = ids[n];
		}
	}
	free(exprs);
	free(flags);
	free(ids);
	return rc;
}

/* The rules that have an always-run positive pattern must be tried on every text. */
static int prefilter_always(struct rules_set *set)
{
	set->always = calloc(set->nrules ? set->nrules : 1, sizeof(*set->always));
	if (!set->always)
		return -ENOMEM;
	for (size_t r = 0; r < set->nrules; r++) {
		const struct rules__rule *rule = &set->rules[r];
		for (size_t k = 0; k < rule->info.npatterns; k++) {
			if (rule->patterns[k].always && rule->patterns[k].positive) {
				set->always[set->nalways++] = (uint32_t)r;
				break;
			}
		}
	}
	return 0;
}

static void prefilter_all_always(struct rules_set *set)
{
	for (size_t r = 0; r < set->nrules; r++)
		for (size_t k = 0; k < set->rules[r].info.npatterns; k++)
			set->rules[r].patterns[k].always = true;
	for (unsigned v = 0; v < RULES__NVIEWS; v++) {
		hs_free_database(set->pf[v].hs_db);
		set->pf[v].hs_db = NULL;
		set->pf[v].nrefs = 0;
	}
}

static int probe_report(unsigned id, unsigned long long from, unsigned long long to,
			unsigned flags, void *ctx)
{
	(void)id, (void)from, (void)to, (void)flags;
	*(bool *)ctx = true;
	return 0;
}

/* A known answer: Debian 12's Vectorscan 5.4.9 misses this match on x86 (it misses "a.?b" at most
 * offsets past 64 bytes in UTF-8 mode). A library that gets it wrong is not used at all. */
static bool prefilter_trustworthy(void)
{
	static const char text[] = "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxab";
	hs_database_t *db = NULL;
	hs_compile_error_t *cerr = NULL;
	hs_scratch_t *scratch = NULL;
	bool found = false;
	if (hs_compile("a.?b", PREFILTER_FLAGS, HS_MODE_BLOCK, NULL, &db, &cerr) == HS_SUCCESS &&
	    hs_alloc_scratch(db, &scratch) == HS_SUCCESS)
		hs_scan(db, text, sizeof(text) - 1, 0, scratch, probe_report, &found);
	hs_free_compile_error(cerr);
	hs_free_scratch(scratch);
	hs_free_database(db);
	return found;
}

/* ---- the cache: compiled databases kept between runs ----
 *
 * A thousand rules take Hyperscan seconds to compile; a scheduled run should not pay that every
 * time. A cache file is named by the SHA-256 of everything that goes into the compile (the
 * Hyperscan version, the flags, the view, every widened expression in order), so an edited pack
 * simply
 * misses. It holds the ids the compile had to drop and Hyperscan's serialized database, which
 * Hyperscan checks when it reads it back. Any failure here costs a compile, never a wrong match.
 */

static int cache_path(const struct rules_set *set, const char *dir, unsigned view, char **wide,
		      size_t n, struct buf *path)
{
	struct buf in;
	buf_init(&in, SIZE_MAX);
	int rc = buf_addf(&in, "patrol-prefilter-3\n%s\n%u\nview %u\n%zu\n", hs_version(),
			  (unsigned)PREFILTER_FLAGS, view, n);
	for (size_t i = 0; i < n && rc == 0; i++) {
		rc = buf_add(&in, wide[i], strlen(wide[i]) + 1);
		if (rc == 0) /* the flag that differs between expressions */
			rc = buf_addc(&in, ref_flags(set, &set->pf[view].refs[i]) & HS_FLAG_SINGLEMATCH
						   ? 'S' : '-');
	}
	uint8_t d[DIGEST_LEN];
	char hex[DIGEST_HEX_LEN + 1];
	if (rc == 0)
		rc = digest_sha256(buf_str(&in), in.len, d);
	if (rc == 0) {
		digest_hex(d, hex);
		rc = buf_addf(path, "%s/prefilter-%s.hs", dir, hex);
	}
	buf_done(&in);
	return rc;
}

static char *cache_read(const char *path, size_t *ret_len)
{
	FILE *f = fopen(path, "rb");
	struct stat st;
	char *data = NULL;
	if (!f)
		return NULL;
	if (fstat(fileno(f), &st) == 0 && st.st_size > 16 && (size_t)st.st_size <= CACHE_MAX &&
	    (data = malloc((size_t)st.st_size)) &&
	    fread(data, 1, (size_t)st.st_size, f) == (size_t)st.st_size) {
		*ret_len = (size_t)st.st_size;
	} else {
		free(data);
		data = NULL;
	}
	fclose(f);
	return data;
}

/* Loads the database of path into pf; returns whether it did. */
static bool cache_load(struct rules_set *set, struct rules__prefilter *pf, const char *path)
{
	size_t len = 0;
	char *data = cache_read(path, &len);
	if (!data)
		return false;
	uint32_t ndropped;
	bool ok = memcmp(data, CACHE_MAGIC, 8) == 0;
	memcpy(&ndropped, data + 8, 4);
	size_t head = 12 + 4 * (size_t)ndropped;
	ok = ok && ndropped <= pf->nrefs && head < len;
	for (uint32_t i = 0; ok && i < ndropped; i++) {
		uint32_t id;
		memcpy(&id, data + 12 + 4 * (size_t)i, 4);
		ok = id < pf->nrefs;
	}
	ok = ok && hs_deserialize_database(data + head, len - head, &pf->hs_db) == HS_SUCCESS;
	for (uint32_t i = 0; ok && i < ndropped; i++) {
		uint32_t id;
		memcpy(&id, data + 12 + 4 * (size_t)i, 4);
		ref_drop(set, pf, id);
	}
	if (ok) /* a hit keeps the file young: see cache_sweep */
		utimensat(AT_FDCWD, path, NULL, 0);
	free(data);
	return ok;
}

/* Removes cache files nobody has used for CACHE_MAX_AGE. */
static void cache_sweep(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	time_t now = time(NULL);
	while (d && (e = readdir(d))) {
		struct stat st;
		if (strncmp(e->d_name, "prefilter-", 10) != 0 ||
		    fstatat(dirfd(d), e->d_name, &st, 0) != 0 || now - st.st_mtime < CACHE_MAX_AGE)
			continue;
		unlinkat(dirfd(d), e->d_name, 0);
	}
	if (d)
		closedir(d);
}

/* Writes set's database to path, through a temporary file so readers never see half of one. */
static void cache_save(const struct rules_set *set, const struct rules__prefilter *pf,
		       const char *dir, const char *path)
{
	char *bytes = NULL;
	size_t len = 0;
	struct buf tmp;
	buf_init(&tmp, 4096);
	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return;
	if (hs_serialize_database(pf->hs_db, &bytes, &len) != HS_SUCCESS ||
	    buf_addf(&tmp, "%s.%ld.tmp", path, (long)getpid()) != 0)
		goto done;
	FILE *f = fopen(buf_str(&tmp), "wb");
	if (!f)
		goto done;
	uint32_t ndropped = 0;
	for (uint32_t i = 0; i < pf->nrefs; i++)
		ndropped += ref_dropped(set, pf, i);
	bool ok = fwrite(CACHE_MAGIC, 1, 8, f) == 8 && fwrite(&ndropped, 4, 1, f) == 1;
	for (uint32_t i = 0; ok && i < pf->nrefs; i++)
		if (ref_dropped(set, pf, i))
			ok = fwrite(&i, 4, 1, f) == 1;
	ok = ok && fwrite(bytes, 1, len, f) == len;
	ok = fclose(f) == 0 && ok;
	if (!ok || rename(buf_str(&tmp), path) != 0)
		unlink(buf_str(&tmp));
	cache_sweep(dir);
done:
	free(bytes); /* allocated with Hyperscan's misc allocator: malloc */
	buf_done(&tmp);
}

/* Compiles view v's database, or reads it from cache_dir when it was compiled before; *cached
 * becomes false when a database had to be compiled. */
static int prefilter_compile_cached(struct rules_set *set, unsigned v, char **wide,
				    const char *cache_dir, bool *cached)
{
	struct rules__prefilter *pf = &set->pf[v];
	struct buf path;
	buf_init(&path, PATH_MAX);
	int rc = cache_dir && pf->nrefs ? cache_path(set, cache_dir, v, wide, pf->nrefs, &path) : 0;
	if (rc == -ENOMEM)
		goto done;
	if (path.len && cache_load(set, pf, buf_str(&path)))
		goto done;
	*cached = *cached && pf->nrefs == 0;
	rc = prefilter_compile(set, pf, wide);
	if (rc == 0 && path.len && pf->hs_db)
		cache_save(set, pf, cache_dir, buf_str(&path));
done:
	buf_done(&path);
	return rc == ERR_TOO_BIG ? 0 : rc;
}

/* One view's database: a view without patterns costs nothing (no database, no scratch). */
static int prefilter_build_view(struct rules_set *set, unsigned v, const char *cache_dir,
				bool *cached)
{
	char **wide = NULL;
	int rc = prefilter_collect(set, v, &wide);
	if (rc == 0)
		rc = prefilter_compile_cached(set, v, wide, cache_dir, cached);
	for (size_t i = 0; wide && i < set->pf[v].nrefs; i++)
		free(wide[i]);
	free(wide);
	return rc;
}

int rules__prefilter_build(struct rules_set *set, const char *cache_dir)
{
	bool cached = true, any = false;
	int rc = prefilter_trustworthy() ? 0 : ERR_INTERNAL;
	for (unsigned v = 0; v < RULES__NVIEWS && rc == 0; v++)
		rc = prefilter_build_view(set, v, cache_dir, &cached);
	for (unsigned v = 0; v < RULES__NVIEWS; v++)
		any |= set->pf[v].hs_db != NULL;
	set->hs_cached = rc == 0 && cached && any;
	if (rc == ERR_INTERNAL) { /* slower, never wrong: PCRE2 alone */
		prefilter_all_always(set);
		rc = 0;
	}
	if (rc == 0)
		rc = prefilter_always(set);
	return rc;
}

void rules__prefilter_free(struct rules_set *set)
{
	for (unsigned v = 0; v < RULES__NVIEWS; v++) {
		hs_free_database(set->pf[v].hs_db);
		free(set->pf[v].refs);
		set->pf[v] = (struct rules__prefilter){ 0 };
	}
	free(set->always);
	set->always = NULL;
	set->nalways = 0;
}

/* ---- scanning ---- */

/* End offsets kept per pattern and scan: enough for a few `#a >= N` and near() matches to be
 * confirmed in windows; past them one more window reaches the last reported end. */
#define SCAN_ENDS 16

/* What the last scan of one view reported. */
struct scan_view {
	uint32_t *seen; /* per id: the scan that last reported it */
	/* per id: the SCAN_ENDS smallest end offsets that scan reported, ascending (nends[id] of
	 * them; SCAN_ENDS + 1 when some were left out), and the largest */
	uint32_t *ends;
	uint8_t *nends;
	uint32_t *last;
	bool ran; /* this scan's pass over the view ran: unreported ids cannot match */
};

struct rules__scan {
	const struct rules_set *set;
	hs_scratch_t *scratch; /* big enough for every view's database */
	struct scan_view views[RULES__NVIEWS];
	uint64_t *picked; /* a bit per rule: a candidate of this scan (cleared as cands is built) */
	uint32_t *cands;  /* this scan's candidate rules, in rule order */
	size_t ncands;
	uint32_t epoch; /* this scan */
	unsigned field;
	unsigned view; /* the view being scanned, for scan_report */
};

int rules__scan_new(const struct rules_set *set, struct rules__scan **ret_scan)
{
	struct rules__scan *s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->set = set;
	size_t nrules = set->nrules ? set->nrules : 1;
	int rc = 0;
	for (unsigned v = 0; v < RULES__NVIEWS && rc == 0; v++) {
		size_t nids = set->pf[v].nrefs ? set->pf[v].nrefs : 1;
		struct scan_view *sv = &s->views[v];
		sv->seen = calloc(nids, sizeof(*sv->seen));
		sv->ends = calloc(nids * SCAN_ENDS, sizeof(*sv->ends));
		sv->nends = calloc(nids, sizeof(*sv->nends));
		sv->last = calloc(nids, sizeof(*sv->last));
		rc = sv->seen && sv->ends && sv->nends && sv->last ? 0 : -ENOMEM;
		if (rc == 0 && set->pf[v].hs_db &&
		    hs_alloc_scratch(set->pf[v].hs_db, &s->scratch) != HS_SUCCESS)
			rc = -ENOMEM;
	}
	s->picked = calloc((nrules + 63) / 64, sizeof(*s->picked));
	s->cands = calloc(nrules, sizeof(*s->cands));
	if (rc == 0 && (!s->picked || !s->cands))
		rc = -ENOMEM;
	if (rc != 0)
		goto fail;
	*ret_scan = s;
	return 0;
fail:
	rules__scan_free(s);
	return rc;
}

void rules__scan_free(struct rules__scan *s)
{
	if (!s)
		return;
	hs_free_scratch(s->scratch);
	free(s->cands);
	free(s->picked);
	for (unsigned v = 0; v < RULES__NVIEWS; v++) {
		free(s->views[v].last);
		free(s->views[v].nends);
		free(s->views[v].ends);
		free(s->views[v].seen);
	}
	free(s);
}

/* Vectorscan's UTF-8 mode is undefined on invalid UTF-8 (RFC 3629: no overlongs, no surrogates,
 * nothing above U+10FFFF); such a text is matched without the prefilter. */
static bool utf8_valid(const unsigned char *p, size_t n)
{
	size_t i = 0;
	while (i < n) {
		if (i + 8 <= n) { /* runs of ASCII go eight bytes at a time */
			uint64_t w;
			memcpy(&w, p + i, 8);
			if (!(w & 0x8080808080808080ull)) {
				i += 8;
				continue;
			}
		}
		unsigned c = p[i];
		if (c < 0x80) {
			i++;
			continue;
		}
		size_t len = c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3
			   : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
		if (len == 0 || len > n - i)
			return false;
		for (size_t k = 1; k < len; k++)
			if ((p[i + k] & 0xc0) != 0x80)
				return false;
		unsigned c1 = p[i + 1];
		if ((c == 0xe0 && c1 < 0xa0) || (c == 0xed && c1 > 0x9f) || (c == 0xf0 && c1 < 0x90) ||
		    (c == 0xf4 && c1 > 0x8f))
			return false;
		i += len;
	}
	return true;
}

static void scan_pick(struct rules__scan *s, uint32_t r)
{
	s->picked[r / 64] |= 1ull << (r % 64);
}

/* Lists the picked rules into cands in rule order and clears their bits: one word per 64 rules,
 * cheaper than sorting the reports' order (qsort was a tenth of the 1,000 rules' matching). */
static void scan_list(struct rules__scan *s)
{
	size_t nwords = (s->set->nrules + 63) / 64;
	s->ncands = 0;
	for (size_t w = 0; w < nwords; w++) {
		uint64_t bits = s->picked[w];
		s->picked[w] = 0;
		while (bits) {
			s->cands[s->ncands++] = (uint32_t)(w * 64 + (unsigned)__builtin_ctzll(bits));
			bits &= bits - 1;
		}
	}
}

/* Keeps to among id's SCAN_ENDS smallest ends, in order: reports need not come in order. */
static void scan_note_end(struct scan_view *sv, unsigned id, uint32_t to)
{
	uint32_t *e = sv->ends + (size_t)id * SCAN_ENDS;
	unsigned n = sv->nends[id];
	if (to > sv->last[id])
		sv->last[id] = to;
	if (n >= SCAN_ENDS) {
		sv->nends[id] = SCAN_ENDS + 1;
		if (to >= e[SCAN_ENDS - 1])
			return;
		n = SCAN_ENDS - 1; /* the largest kept gives way */
	} else {
		sv->nends[id] = (uint8_t)(n + 1);
	}
	while (n > 0 && e[n - 1] > to) {
		e[n] = e[n - 1];
		n--;
	}
	e[n] = to;
}

static int scan_report(unsigned id, unsigned long long from, unsigned long long to,
		       unsigned flags, void *ctx)
{
	(void)from;
	(void)flags;
	struct rules__scan *s = ctx;
	struct scan_view *sv = &s->views[s->view];
	const struct rules__ref *ref = &s->set->pf[s->view].refs[id];
	const struct rules__rule *rule = &s->set->rules[ref->rule];
	if (!(rule->fields & (1u << s->field)))
		return 0;
	if (ref->gate) { /* asked only whether it was there */
		sv->seen[id] = s->epoch;
		return 0;
	}
	if (sv->seen[id] != s->epoch) {
		sv->seen[id] = s->epoch;
		sv->nends[id] = 0;
		sv->last[id] = 0;
	}
	scan_note_end(sv, id, (uint32_t)to);
	if (rule->patterns[ref->pattern].positive)
		scan_pick(s, ref->rule);
	return 0;
}

/* A new scan: bumps the epoch, clearing the stamps when it wraps. */
static void scan_begin(struct rules__scan *s, unsigned field)
{
	if (++s->epoch == 0) {
		for (unsigned v = 0; v < RULES__NVIEWS; v++) {
			size_t n = s->set->pf[v].nrefs ? s->set->pf[v].nrefs : 1;
			memset(s->views[v].seen, 0, n * sizeof(*s->views[v].seen));
		}
		s->epoch = 1;
	}
	s->field = field;
	s->ncands = 0;
}

/* One view's pass. Returns whether it ran, or -ENOMEM. */
static int scan_view(struct rules__scan *s, unsigned v, const char *text, size_t len)
{
	const struct rules__prefilter *pf = &s->set->pf[v];
	if (!pf->hs_db)
		return 1; /* nothing of this view can be reported: nothing can match but always-run */
	/* The normalized view is valid UTF-8 by construction (normalize.h): no need to look. */
	if (!s->scratch || len > UINT_MAX ||
	    (v != RULES__VIEW_NORMALIZED && !utf8_valid((const unsigned char *)text, len)))
		return 0;
	s->view = v;
	hs_error_t e = hs_scan(pf->hs_db, text, (unsigned)len, 0, s->scratch, scan_report, s);
	if (e == HS_NOMEM)
		return -ENOMEM;
	return e == HS_SUCCESS;
}

int rules__scan_run(struct rules__scan *s, unsigned field, const struct rules__texts *t,
		    const uint32_t **ret_candidates, size_t *ret_n)
{
	scan_begin(s, field);
	unsigned blind = 0; /* views whose pass could not run */
	for (unsigned v = 0; v < RULES__NVIEWS; v++) {
		int rc = t->text[v] ? scan_view(s, v, t->text[v], t->len[v]) : 1;
		if (rc < 0) {
			scan_list(s); /* leaves no bit set for the next scan */
			s->ncands = 0;
			return rc;
		}
		s->views[v].ran = rc == 1;
		blind |= rc == 1 ? 0u : 1u << v;
	}
	for (size_t i = 0; i < s->set->nalways; i++) {
		uint32_t r = s->set->always[i];
		if (s->set->rules[r].fields & (1u << field))
			scan_pick(s, r);
	}
	for (size_t r = 0; blind && r < s->set->nrules; r++) {
		const struct rules__rule *rule = &s->set->rules[r];
		if ((rule->fields & (1u << field)) && (rule->views & blind))
			scan_pick(s, (uint32_t)r);
	}
	scan_list(s);
	*ret_candidates = s->cands;
	*ret_n = s->ncands;
	return 0;
}

/* The first byte at or after i that starts a character. */
static size_t char_start(const char *text, size_t len, size_t i)
{
	while (i < len && ((unsigned char)text[i] & 0xc0) == 0x80)
		i++;
	return i;
}

void rules__scan_reports(const struct rules__scan *s, struct rules__reports *ret)
{
	ret->epoch = s->epoch;
	for (unsigned v = 0; v < RULES__NVIEWS; v++) {
		ret->seen[v] = s->views[v].seen;
		ret->ran[v] = s->views[v].ran;
	}
}

int rules__scan_window(const struct rules__scan *s, const char *text, size_t len, uint32_t r,
		       uint32_t k, size_t lo, struct rules__window *ret)
{
	const struct rules__pattern *p = &s->set->rules[r].patterns[k];
	const struct scan_view *sv = &s->views[p->view];
	if (lo > len)
		return 0;
	if (p->always || !sv->ran) {
		*ret = (struct rules__window){ lo, SIZE_MAX };
		return 1;
	}
	if (!rules__reported(sv->seen, s->epoch, p))
		return 0;
	if (p->single) { /* reported once: beyond that, PCRE2 looks for itself */
		*ret = (struct rules__window){ lo, SIZE_MAX };
		return 1;
	}
	const uint32_t *e = sv->ends + (size_t)p->id * SCAN_ENDS;
	unsigned n = sv->nends[p->id] <= SCAN_ENDS ? sv->nends[p->id] : SCAN_ENDS;
	/* a match starting at lo or later ends past lo, at a reported end */
	for (unsigned i = 0; i < n; i++) {
		if (e[i] <= lo)
			continue;
		size_t start = p->window && e[i] > lo + p->window ? e[i] - p->window : lo;
		*ret = (struct rules__window){ char_start(text, len, start), e[i] };
		return 1;
	}
	if (sv->nends[p->id] <= SCAN_ENDS || sv->last[p->id] <= lo)
		return 0;
	/* past the kept ends: one window up to the last end reported */
	*ret = (struct rules__window){ char_start(text, len, lo), sv->last[p->id] };
	return 1;
}
