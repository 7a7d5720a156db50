/* SPDX-License-Identifier: MIT */
/* robots.txt parsing and matching (robots.h), after RFC 9309 and google/robotstxt.
 *
 * The parser walks the body once, slicing lines in place (nothing is copied but the values it
 * keeps), and keeps only what the crawler's agent can use: the rules of the groups that name it,
 * or, until one does, those of "*". The rules are then sorted longest first, allow before
 * disallow at equal length, so the first rule that matches a path decides. Matching splits a
 * pattern at its "*"s and finds each piece leftmost with memmem, never backtracking.
 * Nothing here is shared or mutable after parse: see the thread rules in robots.h.
 */
#include "crawler/robots.h"

#include "common/err.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum robots_mode {
	ROBOTS_MODE_RULES,
	ROBOTS_MODE_ALLOW_ALL,
	ROBOTS_MODE_DISALLOW_ALL,
};

struct robots_rule {
	char *text; /* pattern, percent-normalized, without the final '$'; NUL-terminated */
	size_t text_len;
	size_t priority; /* the pattern's length in octets, '$' included: longest match wins */
	bool allow;
	bool anchored; /* the pattern ended in '$': it must match the whole path */
};

struct robots_rules {
	struct robots_rule *v;
	size_t n, alloc;
};

struct robots {
	enum robots_mode mode;
	struct robots_rules rules; /* sorted by rule_cmp */
	char **sitemaps;
	size_t nsitemaps;
	unsigned crawl_delay_ms;
};

enum robots_key {
	ROBOTS_KEY_UNKNOWN,
	ROBOTS_KEY_USER_AGENT,
	ROBOTS_KEY_ALLOW,
	ROBOTS_KEY_DISALLOW,
	ROBOTS_KEY_SITEMAP,
	ROBOTS_KEY_CRAWL_DELAY,
};

/* The parse in progress. A "group" is the user-agent lines since the last allow/disallow line
 * (group_closed) and the records after them. */
struct robots_parser {
	const char *agent;
	size_t agent_len;
	bool agent_valid;
	struct robots_rules specific; /* rules of the groups that name agent */
	struct robots_rules global;   /* rules of the "*" groups; dropped once agent is named */
	char **sitemaps;
	size_t nsitemaps, sitemaps_alloc;
	bool in_group;	    /* a user-agent line has been seen */
	bool group_closed;  /* an allow/disallow line followed the group's user-agent lines */
	bool grp_specific;  /* the current group names agent */
	bool grp_global;    /* the current group names "*" */
	bool ever_specific; /* some group named agent: "*" no longer matters */
	unsigned grp_delay; /* largest crawl-delay of the current group, ms */
	unsigned specific_delay, global_delay;
};

/* ---- small ASCII helpers (no locale: robots.txt keys are ASCII) ---- */

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

static bool is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static bool is_token_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' || c == '_';
}

static char to_upper(char c)
{
	return c >= 'a' && c <= 'z' ? (char)(c - 'a' + 'A') : c;
}

static char to_lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

static bool eq_nocase(const char *a, const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (to_lower(a[i]) != to_lower(b[i]))
			return false;
	return true;
}

static bool starts_nocase(const char *s, size_t n, const char *prefix)
{
	size_t pn = strlen(prefix);
	return n >= pn && eq_nocase(s, prefix, pn);
}

static size_t token_len(const char *s, size_t n)
{
	size_t i = 0;
	while (i < n && is_token_char(s[i]))
		i++;
	return i;
}

/* ---- rule lists ---- */

static void rules_done(struct robots_rules *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i].text);
	free(l->v);
	l->v = NULL;
	l->n = l->alloc = 0;
}

/* Takes text (malloc'd, NUL-terminated, escaped) into l; frees it when l is full. */
static int rules_take(struct robots_rules *l, char *text, size_t len, bool allow)
{
	if (l->n >= ROBOTS_MAX_RULES) {
		free(text);
		return 0;
	}
	if (l->n == l->alloc) {
		size_t alloc = l->alloc ? l->alloc * 2 : 16;
		if (alloc > ROBOTS_MAX_RULES)
			alloc = ROBOTS_MAX_RULES;
		struct robots_rule *v = realloc(l->v, alloc * sizeof(*v));
		if (!v) {
			free(text);
			return -ENOMEM;
		}
		l->v = v;
		l->alloc = alloc;
	}
	bool anchored = len > 0 && text[len - 1] == '$';
	struct robots_rule *rule = &l->v[l->n++];
	rule->priority = len;
	rule->anchored = anchored;
	rule->text_len = anchored ? len - 1 : len;
	text[rule->text_len] = '\0';
	rule->text = text;
	rule->allow = allow;
	return 0;
}

/* Longest first; at equal length allow first, so the first match decides (ties go to allow). */
static int rule_cmp(const void *a, const void *b)
{
	const struct robots_rule *x = a, *y = b;
	if (x->priority != y->priority)
		return x->priority > y->priority ? -1 : 1;
	return (int)y->allow - (int)x->allow;
}

/* ---- percent-encoding ---- */

/* The pattern as stored (Google's MaybeEscapePattern): the hex digits of %xx escapes uppercased,
 * bytes >= 0x80 written as %XX, everything else kept. A new string in *ret, its length in *ret_len.
 */
static int pattern_escape(const char *s, size_t n, char **ret, size_t *ret_len)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t out = 0;
	for (size_t i = 0; i < n; i++)
		out += ((unsigned char)s[i] & 0x80) ? 3 : 1;
	char *p = malloc(out + 1);
	if (!p)
		return -ENOMEM;
	size_t j = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '%' && i + 2 < n && is_hex(s[i + 1]) && is_hex(s[i + 2])) {
			p[j++] = '%';
			p[j++] = to_upper(s[i + 1]);
			p[j++] = to_upper(s[i + 2]);
			i += 2;
		} else if (c & 0x80) {
			p[j++] = '%';
			p[j++] = hex[c >> 4];
			p[j++] = hex[c & 0xf];
		} else {
			p[j++] = (char)c;
		}
	}
	p[j] = '\0';
	*ret = p;
	*ret_len = j;
	return 0;
}

/* Whether a path has an escape with a lowercase hex digit (an escape is '%' and two hex digits;
 * '%' is no hex digit, so escapes never overlap and each is found from its '%' alone). */
static bool path_needs_upcase(const char *s, size_t n)
{
	for (size_t i = 0; i + 2 < n; i++)
		if (s[i] == '%' && is_hex(s[i + 1]) && is_hex(s[i + 2]) &&
		    (to_upper(s[i + 1]) != s[i + 1] || to_upper(s[i + 2]) != s[i + 2]))
			return true;
	return false;
}

/* ---- parsing ---- */

static enum robots_key key_classify(const char *k, size_t n)
{
	/* Google: a key is recognized by its start, typos included. */
	static const struct {
		const char *word;
		enum robots_key key;
	} words[] = {
		{"user-agent", ROBOTS_KEY_USER_AGENT},	 {"useragent", ROBOTS_KEY_USER_AGENT},
		{"user agent", ROBOTS_KEY_USER_AGENT},	 {"allow", ROBOTS_KEY_ALLOW},
		{"disallow", ROBOTS_KEY_DISALLOW},	 {"dissallow", ROBOTS_KEY_DISALLOW},
		{"dissalow", ROBOTS_KEY_DISALLOW},	 {"disalow", ROBOTS_KEY_DISALLOW},
		{"diasllow", ROBOTS_KEY_DISALLOW},	 {"disallaw", ROBOTS_KEY_DISALLOW},
		{"sitemap", ROBOTS_KEY_SITEMAP},	 {"site-map", ROBOTS_KEY_SITEMAP},
		{"crawl-delay", ROBOTS_KEY_CRAWL_DELAY}, {"crawldelay", ROBOTS_KEY_CRAWL_DELAY},
		{"crawl delay", ROBOTS_KEY_CRAWL_DELAY},
	};
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (starts_nocase(k, n, words[i].word))
			return words[i].key;
	return ROBOTS_KEY_UNKNOWN;
}

/* Splits a line into key and value, both trimmed, as Google does: comment cut at '#', then
 * "key: value", or without a colon exactly two words "key value". False for anything else. */
static bool line_split(const char *s, size_t n, const char **key, size_t *key_len, const char **val,
		       size_t *val_len)
{
	const char *nul = memchr(s, '\0', n); /* a NUL ends the line, as in a C string */
	if (nul)
		n = (size_t)(nul - s);
	const char *hash = memchr(s, '#', n);
	if (hash)
		n = (size_t)(hash - s);
	while (n > 0 && is_space(*s))
		s++, n--;
	while (n > 0 && is_space(s[n - 1]))
		n--;
	const char *sep = memchr(s, ':', n);
	if (!sep) {
		size_t i = 0;
		while (i < n && s[i] != ' ' && s[i] != '\t')
			i++;
		if (i == n)
			return false;
		size_t v = i;
		while (v < n && (s[v] == ' ' || s[v] == '\t'))
			v++;
		for (size_t j = v; j < n; j++)
			if (s[j] == ' ' || s[j] == '\t')
				return false; /* more than two words */
		sep = s + i;
	}
	size_t kn = (size_t)(sep - s);
	while (kn > 0 && is_space(s[kn - 1]))
		kn--;
	if (kn == 0)
		return false;
	const char *v = sep + 1;
	size_t vn = n - (size_t)(v - s);
	while (vn > 0 && is_space(*v))
		v++, vn--;
	*key = s;
	*key_len = kn;
	*val = v;
	*val_len = vn;
	return true;
}

/* The end of a group: its crawl-delay goes to the agent it named. */
static void group_finish(struct robots_parser *p)
{
	if (p->grp_specific) {
		if (p->grp_delay > p->specific_delay)
			p->specific_delay = p->grp_delay;
	} else if (p->grp_global) {
		if (p->grp_delay > p->global_delay)
			p->global_delay = p->grp_delay;
	}
}

static void on_user_agent(struct robots_parser *p, const char *v, size_t n)
{
	if (p->group_closed) {
		group_finish(p);
		p->grp_specific = p->grp_global = p->group_closed = false;
		p->grp_delay = 0;
	}
	p->in_group = true;
	/* Google: "*" followed by a space and anything still names every crawler. */
	if (n >= 1 && v[0] == '*' && (n == 1 || is_space(v[1]))) {
		p->grp_global = true;
		return;
	}
	size_t tn = token_len(v, n);
	if (!p->agent_valid || tn != p->agent_len || !eq_nocase(v, p->agent, tn))
		return;
	p->grp_specific = true;
	if (!p->ever_specific) {
		p->ever_specific = true;
		rules_done(&p->global); /* never used now */
	}
}

static int on_rule(struct robots_parser *p, const char *v, size_t n, bool allow)
{
	if (!p->in_group)
		return 0; /* rules before the first user-agent line belong to no group */
	p->group_closed = true;
	struct robots_rules *l;
	if (p->grp_specific)
		l = &p->specific;
	else if (p->grp_global && !p->ever_specific)
		l = &p->global;
	else
		return 0;
	if (n == 0 || l->n >= ROBOTS_MAX_RULES)
		return 0; /* an empty value matches nothing; a full list takes nothing */
	char *text;
	size_t len;
	int rc = pattern_escape(v, n, &text, &len);
	if (rc)
		return rc;
	/* Google: "/dir/index.htm..." allowed also allows "/dir/" exactly. */
	const char *slash = allow ? memrchr(text, '/', len) : NULL;
	bool index =
		slash && (size_t)(text + len - slash) >= 10 && !memcmp(slash, "/index.htm", 10);
	size_t dir_len = index ? (size_t)(slash - text) + 1 : 0;
	char *dir = NULL;
	if (index) {
		dir = malloc(dir_len + 2);
		if (!dir) {
			free(text);
			return -ENOMEM;
		}
		memcpy(dir, text, dir_len);
		dir[dir_len] = '$';
		dir[dir_len + 1] = '\0';
	}
	rc = rules_take(l, text, len, allow);
	if (dir && rc == 0)
		rc = rules_take(l, dir, dir_len + 1, true);
	else
		free(dir);
	return rc;
}

/* Crawl-delay in seconds, "10" or "0.5", as milliseconds; the rest of the value is ignored.
 * False when the value starts with no number. */
static bool delay_parse(const char *v, size_t n, unsigned *ret_ms)
{
	uint64_t ms = 0;
	bool digits = false;
	size_t i = 0;
	for (; i < n && v[i] >= '0' && v[i] <= '9'; i++) {
		digits = true;
		if (ms <= ROBOTS_MAX_CRAWL_DELAY_MS)
			ms = ms * 10 + (uint64_t)(v[i] - '0') * 1000;
	}
	if (i < n && v[i] == '.') {
		unsigned scale = 100;
		for (i++; i < n && v[i] >= '0' && v[i] <= '9'; i++) {
			digits = true;
			ms += (uint64_t)(v[i] - '0') * scale;
			scale /= 10;
		}
	}
	if (!digits)
		return false;
	*ret_ms = ms > ROBOTS_MAX_CRAWL_DELAY_MS ? ROBOTS_MAX_CRAWL_DELAY_MS : (unsigned)ms;
	return true;
}

static int on_sitemap(struct robots_parser *p, const char *v, size_t n)
{
	if (n == 0 || p->nsitemaps >= ROBOTS_MAX_SITEMAPS)
		return 0;
	if (p->nsitemaps == p->sitemaps_alloc) {
		size_t alloc = p->sitemaps_alloc ? p->sitemaps_alloc * 2 : 4;
		if (alloc > ROBOTS_MAX_SITEMAPS)
			alloc = ROBOTS_MAX_SITEMAPS;
		char **s = realloc(p->sitemaps, alloc * sizeof(*s));
		if (!s)
			return -ENOMEM;
		p->sitemaps = s;
		p->sitemaps_alloc = alloc;
	}
	/* Not strndup: the body need not be NUL-terminated, and strndup may look for a NUL past n
	 * (ASan's strict_string_checks, which CI sets, says so on a body that ends here). */
	char *copy = malloc(n + 1);
	if (!copy)
		return -ENOMEM;
	memcpy(copy, v, n);
	copy[n] = '\0';
	p->sitemaps[p->nsitemaps++] = copy;
	return 0;
}

static int parse_line(struct robots_parser *p, const char *s, size_t n)
{
	const char *k, *v;
	size_t kn, vn;
	if (!line_split(s, n, &k, &kn, &v, &vn))
		return 0;
	unsigned ms;
	switch (key_classify(k, kn)) {
	case ROBOTS_KEY_USER_AGENT: on_user_agent(p, v, vn); return 0;
	case ROBOTS_KEY_ALLOW: return on_rule(p, v, vn, true);
	case ROBOTS_KEY_DISALLOW: return on_rule(p, v, vn, false);
	case ROBOTS_KEY_SITEMAP: return on_sitemap(p, v, vn);
	case ROBOTS_KEY_CRAWL_DELAY:
		if (p->in_group && delay_parse(v, vn, &ms) && ms > p->grp_delay)
			p->grp_delay = ms;
		return 0;
	case ROBOTS_KEY_UNKNOWN: return 0;
	}
	return 0;
}

/* Feeds the body's lines to parse_line: LF, CR or CRLF end a line, a leading BOM (or the part of
 * one that is there) is skipped, lines are cut at ROBOTS_MAX_LINE, and the line that the
 * ROBOTS_MAX_BYTES cut falls in is dropped. */
static int parse_body(struct robots_parser *p, const char *body, size_t len)
{
	static const unsigned char bom[] = {0xEF, 0xBB, 0xBF};
	bool cut = len > ROBOTS_MAX_BYTES;
	size_t n = cut ? ROBOTS_MAX_BYTES : len;
	size_t i = 0;
	while (i < n && i < sizeof(bom) && (unsigned char)body[i] == bom[i])
		i++;
	while (i < n) {
		size_t j = i;
		while (j < n && body[j] != '\n' && body[j] != '\r')
			j++;
		if (j == n && cut && body[n] != '\n' && body[n] != '\r')
			break;
		size_t line_len = j - i < ROBOTS_MAX_LINE ? j - i : ROBOTS_MAX_LINE;
		int rc = parse_line(p, body + i, line_len);
		if (rc)
			return rc;
		i = j + 1;
		if (j + 1 < n && body[j] == '\r' && body[j + 1] == '\n')
			i++;
	}
	return 0;
}

static void parser_done(struct robots_parser *p)
{
	rules_done(&p->specific);
	rules_done(&p->global);
	for (size_t i = 0; i < p->nsitemaps; i++)
		free(p->sitemaps[i]);
	free(p->sitemaps);
}

int robots_parse(const char *body, size_t len, const char *agent, struct robots **ret_robots)
{
	if (!agent || !ret_robots || (!body && len > 0))
		return ERR_USAGE;
	struct robots *r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	struct robots_parser p = {.agent = agent, .agent_len = strlen(agent)};
	p.agent_valid = p.agent_len > 0 && token_len(agent, p.agent_len) == p.agent_len;
	int rc = parse_body(&p, body, len);
	if (rc)
		goto fail;
	group_finish(&p);
	r->mode = ROBOTS_MODE_RULES;
	if (p.ever_specific) {
		r->rules = p.specific;
		p.specific = (struct robots_rules){0};
		r->crawl_delay_ms = p.specific_delay;
	} else {
		r->rules = p.global;
		p.global = (struct robots_rules){0};
		r->crawl_delay_ms = p.global_delay;
	}
	if (r->rules.n > 1)
		qsort(r->rules.v, r->rules.n, sizeof(r->rules.v[0]), rule_cmp);
	r->sitemaps = p.sitemaps;
	r->nsitemaps = p.nsitemaps;
	p.sitemaps = NULL;
	p.nsitemaps = 0;
	parser_done(&p);
	*ret_robots = r;
	return 0;
fail:
	parser_done(&p);
	free(r);
	return rc;
}

static int robots_new_mode(enum robots_mode mode, struct robots **ret)
{
	if (!ret)
		return ERR_USAGE;
	struct robots *r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->mode = mode;
	*ret = r;
	return 0;
}

int robots_new_allow_all(struct robots **ret)
{
	return robots_new_mode(ROBOTS_MODE_ALLOW_ALL, ret);
}

int robots_new_disallow_all(struct robots **ret)
{
	return robots_new_mode(ROBOTS_MODE_DISALLOW_ALL, ret);
}

void robots_free(struct robots *r)
{
	if (!r)
		return;
	rules_done(&r->rules);
	for (size_t i = 0; i < r->nsitemaps; i++)
		free(r->sitemaps[i]);
	free(r->sitemaps);
	free(r);
}

/* ---- matching ---- */

/* Whether rule matches path s (n bytes). The pattern is anchored at the start of the path and,
 * when anchored, at its end; otherwise it only has to match a prefix. Between "*"s each literal
 * piece is taken at its leftmost place (exact when "*" is the only operator): each piece is
 * searched once, from where the previous one ended, so there is no backtracking, and memmem
 * keeps each search linear. */
static bool rule_matches(const struct robots_rule *rule, const char *s, size_t n)
{
	const char *pat = rule->text;
	size_t m = rule->text_len;
	const char *star = memchr(pat, '*', m);
	if (!star) {
		if (rule->anchored)
			return n == m && !memcmp(s, pat, m);
		return n >= m && !memcmp(s, pat, m);
	}
	size_t piece = (size_t)(star - pat);
	if (n < piece || memcmp(s, pat, piece))
		return false;
	size_t pos = piece;
	pat += piece + 1;
	m -= piece + 1;
	for (;;) {
		star = memchr(pat, '*', m);
		if (!star) {
			if (rule->anchored)
				return n - pos >= m && !memcmp(s + n - m, pat, m);
			return m == 0 || memmem(s + pos, n - pos, pat, m);
		}
		piece = (size_t)(star - pat);
		if (piece > 0) {
			const char *found = memmem(s + pos, n - pos, pat, piece);
			if (!found)
				return false;
			pos = (size_t)(found - s) + piece;
		}
		pat += piece + 1;
		m -= piece + 1;
	}
}

/* The verdict for a path slice; -ENOMEM when it had to be copied and could not be. */
static int allowed_slice(const struct robots *r, const char *s, size_t n, bool *ret)
{
	char *copy = NULL;
	bool slash = n == 0 || s[0] != '/';
	if (slash || path_needs_upcase(s, n)) {
		copy = malloc(n + 2);
		if (!copy)
			return -ENOMEM;
		size_t j = 0;
		if (slash)
			copy[j++] = '/';
		for (size_t i = 0; i < n; i++) {
			bool hex = (i >= 1 && s[i - 1] == '%' && i + 1 < n && is_hex(s[i]) &&
				    is_hex(s[i + 1])) ||
				   (i >= 2 && s[i - 2] == '%' && is_hex(s[i - 1]) && is_hex(s[i]));
			copy[j++] = hex ? to_upper(s[i]) : s[i];
		}
		copy[j] = '\0';
		s = copy;
		n = j;
	}
	bool allowed = true;
	if (n == 11 && !memcmp(s, "/robots.txt", 11))
		allowed = true;
	else if (r->mode == ROBOTS_MODE_DISALLOW_ALL)
		allowed = false;
	else if (r->mode == ROBOTS_MODE_RULES)
		for (size_t i = 0; i < r->rules.n; i++)
			if (rule_matches(&r->rules.v[i], s, n)) {
				allowed = r->rules.v[i].allow;
				break;
			}
	free(copy);
	*ret = allowed;
	return 0;
}

bool robots_allowed(const struct robots *r, const char *path_and_query)
{
	if (!r)
		return false;
	if (!path_and_query)
		path_and_query = "";
	bool allowed;
	if (allowed_slice(r, path_and_query, strlen(path_and_query), &allowed))
		return false; /* out of memory: fail closed */
	return allowed;
}

int robots_allowed_url(const struct robots *r, const char *url, bool *ret_allowed)
{
	if (!r || !url || !ret_allowed)
		return ERR_USAGE;
	size_t n = strlen(url), skip;
	if (starts_nocase(url, n, "http://"))
		skip = 7;
	else if (starts_nocase(url, n, "https://"))
		skip = 8;
	else
		return ERR_URL;
	const char *authority = url + skip;
	size_t alen = strcspn(authority, "/?#");
	if (alen == 0)
		return ERR_URL;
	const char *path = authority + alen;
	return allowed_slice(r, path, strcspn(path, "#"), ret_allowed);
}

unsigned robots_crawl_delay_ms(const struct robots *r)
{
	return r ? r->crawl_delay_ms : 0;
}

size_t robots_sitemap_count(const struct robots *r)
{
	return r ? r->nsitemaps : 0;
}

const char *robots_sitemap(const struct robots *r, size_t i)
{
	return r && i < r->nsitemaps ? r->sitemaps[i] : NULL;
}

void robots_agent_token(const char *user_agent, char *out, size_t outlen)
{
	if (outlen == 0)
		return;
	out[0] = '\0';
	if (!user_agent)
		return;
	while (*user_agent == ' ' || *user_agent == '\t')
		user_agent++;
	size_t n = token_len(user_agent, strlen(user_agent));
	if (n == 0 || n >= outlen)
		return;
	memcpy(out, user_agent, n);
	out[n] = '\0';
}
