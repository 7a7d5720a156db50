/* SPDX-License-Identifier: MIT */
/* The venue registry (venue.h): patrol.yaml and venue files read with the strict YAML reader into
 * one immutable registry, and the scope and trap checks on canonical URLs.
 *
 * Everything a registry hands out lives in its arena; the compiled regexes and post profiles are
 * the only other resources, freed with the registry. A load builds the registry as it goes and
 * frees it whole when any file had an error. The checks only read the registry, so threads share it
 * freely.
 */
#include "crawler/venue.h"

#include "common/clock.h"
#include "common/err.h"
#include "common/i18n.h"
#include "parsers/url.h"
#include "parsers/yaml.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- the registry and its arena ---- */

struct chunk {
	struct chunk *next;
	size_t used, size;
	max_align_t data[];
};

struct scope_host {
	const char *host; /* lowercase, without brackets */
	size_t len;
	unsigned port; /* 0: the scheme's default port */
};

struct venue_scope {
	struct scope_host *hosts;
	size_t nhosts;
	regex_t *include, *exclude; /* compiled ones only: what venue_registry_free releases */
	size_t ninclude, nexclude;
};

/* One compiled set of post profiles. Venues with the same posts: share one (a site family runs
 * the same forum software), and sets[0] is the built-in set of the venues without posts:. */
struct post_set {
	const struct doc_profile_spec *specs; /* the registry's */
	size_t n;
	size_t hash;
	struct doc_profiles *profiles;
};

/* A venue and its scope in one allocation; venue.scope points at scope. */
struct entry {
	struct venue v;
	struct venue_scope scope;
	size_t col; /* of the id, for "first defined at" */
	bool adhoc;
};

struct venue_registry {
	struct chunk *arena;
	const char *path;
	struct crawler_settings settings;
	struct entry **venues; /* malloc'd; nvenues used of alloc */
	size_t nvenues, alloc;
	size_t *slots; /* open addressing by id: index + 1, 0 for empty; nslots a power of two */
	size_t nslots;
	struct post_set *sets; /* malloc'd; nsets used of sets_alloc; never empty once made */
	size_t nsets, sets_alloc;
};

static void *arena_alloc(struct venue_registry *r, size_t size)
{
	const size_t align = sizeof(max_align_t);
	if (size > SIZE_MAX / 2)
		return NULL;
	size = (size + align - 1) / align * align;
	struct chunk *c = r->arena;
	if (!c || c->size - c->used < size) {
		size_t csize = size > 16384 ? size : 16384;
		c = malloc(sizeof(*c) + csize);
		if (!c)
			return NULL;
		*c = (struct chunk){.next = r->arena, .size = csize};
		r->arena = c;
	}
	void *p = (char *)c->data + c->used;
	c->used += size;
	return p;
}

static char *arena_strdup(struct venue_registry *r, const char *s)
{
	size_t n = strlen(s);
	char *p = arena_alloc(r, n + 1);
	if (p)
		memcpy(p, s, n + 1);
	return p;
}

void venue_registry_free(struct venue_registry *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->nvenues; i++) {
		struct venue_scope *s = &r->venues[i]->scope;
		for (size_t k = 0; k < s->ninclude; k++)
			regfree(&s->include[k]);
		for (size_t k = 0; k < s->nexclude; k++)
			regfree(&s->exclude[k]);
	}
	for (size_t i = 0; i < r->nsets; i++)
		doc_profiles_free(r->sets[i].profiles);
	free(r->sets);
	free(r->venues);
	free(r->slots);
	for (struct chunk *c = r->arena; c;) {
		struct chunk *next = c->next;
		free(c);
		c = next;
	}
	free(r);
}

static const char *const default_session_params[] = {
	"sid", "phpsessid", "jsessionid", "sessionid", "sessid", "s", "sess", "session_id",
};

static void settings_default(struct crawler_settings *s)
{
	*s = (struct crawler_settings){
		.user_agent = VENUE_DEFAULT_USER_AGENT,
		.connections = 32,
		.workers = 0,
		.max_body = 10u << 20,
		.connect_timeout_ms = 10000,
		.timeout_ms = 60000,
		.low_speed_bytes = 100,
		.low_speed_seconds = 30,
		.max_url_length = 2048,
		.max_links = 5000,
		.early_warning = {.spike_factor = 3.0, .spike_min_hits = 5, .history_days = 14,
				  .drop_factor = 0.5},
		.max_redirects = 5,
		.crawl_delay_cap_ms = 30000,
		.robots_ttl_s = 86400,
		.session_params = default_session_params,
		.nsession_params =
			sizeof(default_session_params) / sizeof(default_session_params[0]),
		.follow_nofollow = false,
	};
}

/* ---- post profiles: compiled sets, shared ---- */

static size_t hash(const char *s);

static bool same_text(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

static bool same_spec(const struct doc_profile_spec *a, const struct doc_profile_spec *b)
{
	return same_text(a->name, b->name) && same_text(a->post, b->post) &&
	       same_text(a->content, b->content) && same_text(a->author, b->author) &&
	       same_text(a->time, b->time) && same_text(a->skip, b->skip);
}

static size_t specs_hash(const struct doc_profile_spec *specs, size_t n)
{
	size_t h = n;
	for (size_t i = 0; i < n; i++) {
		const char *f[] = {specs[i].name,   specs[i].post, specs[i].content,
				   specs[i].author, specs[i].time, specs[i].skip};
		for (size_t k = 0; k < sizeof(f) / sizeof(f[0]); k++)
			h = h * 31 + (f[k] ? hash(f[k]) : 7);
	}
	return h;
}

/* The compiled set of specs[0..n) (the registry's, kept as they are): an existing one when
 * another venue has the same, or a new one. ERR_PARSE when a spec does not compile (the caller
 * checked every selector, so only a bug gets here), -ENOMEM. */
static int post_set_get(struct venue_registry *r, const struct doc_profile_spec *specs, size_t n,
			const struct doc_profiles **ret)
{
	size_t h = specs_hash(specs, n);
	for (size_t i = 0; i < r->nsets; i++) {
		const struct post_set *s = &r->sets[i];
		bool same = s->hash == h && s->n == n;
		for (size_t k = 0; same && k < n; k++)
			same = same_spec(&s->specs[k], &specs[k]);
		if (same) {
			*ret = s->profiles;
			return 0;
		}
	}
	if (r->nsets == r->sets_alloc) {
		size_t alloc = r->sets_alloc ? r->sets_alloc * 2 : 4;
		struct post_set *sets = realloc(r->sets, alloc * sizeof(*sets));
		if (!sets)
			return -ENOMEM;
		r->sets = sets;
		r->sets_alloc = alloc;
	}
	struct doc_profiles *ps = NULL;
	int rc = doc_profiles_new(&ps);
	for (size_t k = 0; rc == 0 && k < n; k++)
		rc = doc_profiles_add(ps, &specs[k], NULL);
	if (rc != 0) {
		doc_profiles_free(ps);
		return rc;
	}
	r->sets[r->nsets++] = (struct post_set){specs, n, h, ps};
	*ret = ps;
	return 0;
}

/* sets[0]: the built-in profiles, for the venues without posts:. */
static int post_set_builtin(struct venue_registry *r)
{
	size_t n = 0;
	while (doc_profile_builtin(n))
		n++;
	struct doc_profile_spec *specs = arena_alloc(r, n * sizeof(*specs));
	if (!specs)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		specs[i] = *doc_profile_builtin(i);
	const struct doc_profiles *ps;
	return post_set_get(r, specs, n, &ps);
}

int venue_registry_new_default(struct venue_registry **ret)
{
	if (!ret)
		return ERR_USAGE;
	struct venue_registry *r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	settings_default(&r->settings);
	int rc = post_set_builtin(r);
	if (rc != 0) {
		venue_registry_free(r);
		return rc;
	}
	*ret = r;
	return 0;
}

const struct crawler_settings *venue_registry_settings(const struct venue_registry *r)
{
	return &r->settings;
}

const char *venue_registry_path(const struct venue_registry *r)
{
	return r->path;
}

size_t venue_registry_count(const struct venue_registry *r)
{
	return r->nvenues;
}

const struct venue *venue_registry_get(const struct venue_registry *r, size_t i)
{
	return i < r->nvenues ? &r->venues[i]->v : NULL;
}

static size_t hash(const char *s)
{
	size_t h = 14695981039346656037u;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211u;
	return h;
}

static struct entry *find(const struct venue_registry *r, const char *id)
{
	if (!r->nslots)
		return NULL;
	for (size_t j = hash(id) & (r->nslots - 1); r->slots[j]; j = (j + 1) & (r->nslots - 1))
		if (strcmp(r->venues[r->slots[j] - 1]->v.id, id) == 0)
			return r->venues[r->slots[j] - 1];
	return NULL;
}

const struct venue *venue_registry_find(const struct venue_registry *r, const char *id)
{
	const struct entry *e = id ? find(r, id) : NULL;
	return e ? &e->v : NULL;
}

static void slot_put(size_t *slots, size_t nslots, const char *id, size_t value)
{
	size_t j = hash(id) & (nslots - 1);
	while (slots[j])
		j = (j + 1) & (nslots - 1);
	slots[j] = value;
}

/* Makes room for one more venue in the array and the id table. */
static int reserve(struct venue_registry *r)
{
	if (r->nvenues == r->alloc) {
		size_t alloc = r->alloc ? r->alloc * 2 : 16;
		struct entry **v = realloc(r->venues, alloc * sizeof(*v));
		if (!v)
			return -ENOMEM;
		r->venues = v;
		r->alloc = alloc;
	}
	if (2 * (r->nvenues + 1) > r->nslots) {
		size_t nslots = r->nslots ? r->nslots * 2 : 64;
		size_t *slots = calloc(nslots, sizeof(*slots));
		if (!slots)
			return -ENOMEM;
		for (size_t i = 0; i < r->nvenues; i++)
			slot_put(slots, nslots, r->venues[i]->v.id, i + 1);
		free(r->slots);
		r->slots = slots;
		r->nslots = nslots;
	}
	return 0;
}

/* Adds e, whose id is set and not yet in r; reserve() must have succeeded. */
static void add_entry(struct venue_registry *r, struct entry *e)
{
	r->venues[r->nvenues++] = e;
	slot_put(r->slots, r->nslots, e->v.id, r->nvenues);
}

static void venue_default(struct entry *e, const struct venue_registry *r)
{
	*e = (struct entry){.v.scope = &e->scope};
	struct venue *v = &e->v;
	v->post_profiles = r->sets[0].specs;
	v->npost_profiles = r->sets[0].n;
	v->profiles = r->sets[0].profiles;
	v->id = v->name = v->operator_name = v->registration = v->category = v->file = "";
	v->sitemaps = true;
	v->delay_ms = 1000;
	v->host_connections = 1;
	v->max_depth = 25;
	v->max_path_segments = 32;
	v->max_repeated_segments = 3;
	v->max_query_variants = 10000; /* Discuz!, phpBB: every thread behind one path */
}

/* ---- URLs: the parts of a canonical URL the checks need ---- */

struct url_parts {
	const char *host; /* without brackets */
	size_t hostlen;
	unsigned port;	   /* explicit, or the scheme's default */
	bool port_given;   /* written in the URL */
	unsigned def_port; /* the scheme's default */
	const char *path;  /* path and query, up to a fragment; "" when none */
	size_t pathlen;
};

static bool parse_port(const char *s, size_t n, unsigned *ret)
{
	unsigned port = 0;
	if (n == 0 || n > 5)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		port = port * 10 + (unsigned)(s[i] - '0');
	}
	if (port == 0 || port > 65535)
		return false;
	*ret = port;
	return true;
}

/* Splits an absolute http(s) URL; false when it is not one. No allocation, no normalization. */
static bool split_url(const char *url, struct url_parts *p)
{
	const char *sep = strstr(url, "://");
	if (!sep)
		return false;
	size_t slen = (size_t)(sep - url);
	if (slen == 4 && strncasecmp(url, "http", 4) == 0)
		p->def_port = 80;
	else if (slen == 5 && strncasecmp(url, "https", 5) == 0)
		p->def_port = 443;
	else
		return false;
	const char *auth = sep + 3, *end = auth + strcspn(auth, "/?#\\");
	const char *at = memrchr(auth, '@', (size_t)(end - auth));
	const char *h = at ? at + 1 : auth, *colon;
	if (*h == '[') {
		const char *close = memchr(h, ']', (size_t)(end - h));
		if (!close)
			return false;
		p->host = h + 1;
		p->hostlen = (size_t)(close - h - 1);
		colon = close + 1 < end && close[1] == ':' ? close + 1 : NULL;
		if (!colon && close + 1 != end)
			return false;
	} else {
		colon = memchr(h, ':', (size_t)(end - h));
		p->host = h;
		p->hostlen = (size_t)((colon ? colon : end) - h);
	}
	if (p->hostlen == 0)
		return false;
	p->port = p->def_port;
	p->port_given = colon && colon + 1 < end;
	if (p->port_given && !parse_port(colon + 1, (size_t)(end - colon - 1), &p->port))
		return false;
	p->path = end;
	p->pathlen = strcspn(end, "#");
	return true;
}

static bool host_matches(const struct scope_host *h, const struct url_parts *p)
{
	if (h->len != p->hostlen || strncasecmp(h->host, p->host, h->len) != 0)
		return false;
	return h->port ? p->port == h->port : p->port == p->def_port;
}

/* 1 when one of n regexes matches s, 0 when none does, -1 when one failed to run. */
static int any_match(const regex_t *re, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++) {
		int rc = regexec(&re[i], s, 0, NULL, 0);
		if (rc == 0)
			return 1;
		if (rc != REG_NOMATCH)
			return -1;
	}
	return 0;
}

static enum venue_verdict patterns_check(const struct venue_scope *s, const char *path)
{
	if (s->ninclude) {
		int m = any_match(s->include, s->ninclude, path);
		if (m <= 0)
			return m < 0 ? VENUE_CHECK_FAILED : VENUE_NOT_INCLUDED;
	}
	int m = any_match(s->exclude, s->nexclude, path);
	return m < 0 ? VENUE_CHECK_FAILED : m ? VENUE_EXCLUDED : VENUE_IN_SCOPE;
}

enum venue_verdict venue_scope_check(const struct venue *v, const char *canonical_url)
{
	struct url_parts p;
	if (!canonical_url || !split_url(canonical_url, &p))
		return VENUE_BAD_URL;
	const struct venue_scope *s = v->scope;
	bool on_host = false;
	for (size_t i = 0; i < s->nhosts && !on_host; i++)
		on_host = host_matches(&s->hosts[i], &p);
	if (!on_host)
		return VENUE_OFF_HOST;
	if (!s->ninclude && !s->nexclude)
		return VENUE_IN_SCOPE;
	const char *path = *p.path ? p.path : "/";
	if (p.path[p.pathlen] == '\0')
		return patterns_check(s, path);
	char *copy = strndup(p.path, p.pathlen); /* a fragment: canonical URLs have none */
	if (!copy)
		return VENUE_CHECK_FAILED;
	enum venue_verdict verdict = patterns_check(s, copy);
	free(copy);
	return verdict;
}

const char *venue_verdict_name(enum venue_verdict verdict)
{
	switch (verdict) {
	case VENUE_IN_SCOPE: return "in_scope";
	case VENUE_OFF_HOST: return "off_host";
	case VENUE_NOT_INCLUDED: return "not_included";
	case VENUE_EXCLUDED: return "excluded";
	case VENUE_BAD_URL: return "bad_url";
	case VENUE_CHECK_FAILED: return "check_failed";
	}
	return "unknown";
}

bool venue_trap_check(const struct venue *v, const char *canonical_url)
{
	struct url_parts p;
	if (!canonical_url || !split_url(canonical_url, &p) || *p.path != '/')
		return true;
	size_t n = strcspn(p.path, "?#");
	const char *seg[1025];
	size_t len[1025], nseg = 0, repeats = 0;
	size_t cap = v->max_path_segments < 1024 ? v->max_path_segments : 1024;
	for (size_t i = 1; i <= n;) { /* each segment starts after a slash */
		size_t l = strcspn(p.path + i, "/?#");
		if (i + l == n && l == 0)
			break; /* after a final slash */
		if (nseg == cap)
			return false;
		for (size_t k = 0; k < nseg; k++) {
			if (len[k] == l && memcmp(seg[k], p.path + i, l) == 0) {
				repeats++;
				break;
			}
		}
		if (repeats > v->max_repeated_segments)
			return false;
		seg[nseg] = p.path + i;
		len[nseg++] = l;
		i += l + 1;
	}
	return true;
}

/* ---- loading: values ---- */

/* Caps on the YAML of one file: patrol.yaml may hold thousands of venues, a venue file one. */
static const struct yaml_limits config_limits = {
	.max_bytes = VENUE_MAX_FILE,
	.max_depth = 16,
	.max_nodes = 500000,
	.max_errors = 100,
};
static const struct yaml_limits venue_file_limits = {
	.max_bytes = VENUE_MAX_FILE,
	.max_depth = 16,
	.max_nodes = 20000,
	.max_errors = 100,
};

struct loader {
	struct venue_registry *r;
	struct buf *errors;
	const char *dir; /* of the configuration file, for relative paths; "" for "." */
	bool failed;	 /* some file had an error */
	int rc;		 /* -ENOMEM and the like: stops everything */
};

/* A copy of s in the registry; NULL (and L->rc set) when out of memory. */
static const char *keep(struct loader *L, const char *s)
{
	const char *p = arena_strdup(L->r, s);
	if (!p)
		L->rc = -ENOMEM;
	return p;
}

static bool has_control(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return true;
	return false;
}

/* A one-line string of at most max bytes: v's value, or NULL after an error. Borrowed from d. */
static const char *get_text(struct yaml_doc *d, const struct yaml_node *v, const char *key,
			    size_t max)
{
	const char *s = yaml_get_string(d, v, key, true);
	if (!s)
		return NULL;
	if (v->len > max) {
		yaml_error_at(d, v->line, v->col, _("'%s' is longer than %zu bytes"), key, max);
		return NULL;
	}
	if (has_control(s)) {
		yaml_error_at(d, v->line, v->col, _("'%s' must not contain control characters"),
			      key);
		return NULL;
	}
	return s;
}

static void get_unsigned(struct yaml_doc *d, const struct yaml_node *v, const char *key,
			 unsigned min, unsigned max, unsigned *out)
{
	uint64_t x;
	if (v && yaml_get_uint(d, v, key, min, max, &x))
		*out = (unsigned)x;
}

static void get_long(struct yaml_doc *d, const struct yaml_node *v, const char *key, long min,
		     long max, long *out)
{
	uint64_t x;
	if (v && yaml_get_uint(d, v, key, (uint64_t)min, (uint64_t)max, &x))
		*out = (long)x;
}

static void get_size(struct yaml_doc *d, const struct yaml_node *v, const char *key, size_t min,
		     size_t max, size_t *out)
{
	uint64_t x;
	if (v && yaml_get_uint(d, v, key, min, max, &x))
		*out = (size_t)x;
}

/* A plain scalar "DIGITS" + one of the units; false when it is not one or overflows. */
static bool number_with_unit(const struct yaml_node *v, const char *const *units,
			     const uint64_t *scale, size_t nunits, bool unit_required,
			     uint64_t *ret)
{
	if (v->bad || v->kind != YAML_SCALAR || v->style != YAML_STYLE_PLAIN)
		return false;
	uint64_t x = 0;
	size_t i = 0;
	for (; i < v->len && v->str[i] >= '0' && v->str[i] <= '9'; i++) {
		if (x > UINT64_MAX / 10 - 1)
			return false;
		x = x * 10 + (uint64_t)(v->str[i] - '0');
	}
	if (i == 0)
		return false;
	const char *unit = v->str + i;
	if (*unit == ' ')
		unit++;
	if (!*unit && !unit_required && unit == v->str + i) {
		*ret = x;
		return true;
	}
	for (size_t u = 0; u < nunits; u++) {
		if (strcmp(unit, units[u]) == 0) {
			if (x > UINT64_MAX / scale[u])
				return false;
			*ret = x * scale[u];
			return true;
		}
	}
	return false;
}

/* A byte count, bare or with KiB, MiB or GiB ("10MiB", "512 KiB"). */
static void get_bytes(struct yaml_doc *d, const struct yaml_node *v, const char *key, size_t min,
		      size_t max, size_t *out)
{
	static const char *const units[] = {"KiB", "MiB", "GiB"};
	static const uint64_t scale[] = {1u << 10, 1u << 20, 1u << 30};
	uint64_t x;
	if (!v || v->bad)
		return;
	if (!number_with_unit(v, units, scale, 3, false, &x))
		yaml_error_at(d, v->line, v->col,
			      _("'%s' must be a number of bytes, optionally with KiB, MiB or GiB "
				"(such as 10MiB)"),
			      key);
	else if (x < min || x > max)
		yaml_error_at(d, v->line, v->col, _("'%s' must be between %zu and %zu bytes"), key,
			      min, max);
	else
		*out = (size_t)x;
}

/* A duration with a unit: s, m, h or d ("30m", "6h", "1d"), from 1m to 366d, in seconds. */
static void get_duration(struct yaml_doc *d, const struct yaml_node *v, const char *key,
			 int64_t *out)
{
	static const char *const units[] = {"s", "m", "h", "d"};
	static const uint64_t scale[] = {1, 60, 3600, 86400};
	uint64_t x;
	if (!v || v->bad)
		return;
	if (!number_with_unit(v, units, scale, 4, true, &x))
		yaml_error_at(d, v->line, v->col,
			      _("'%s' must be a duration: a whole number and s, m, h or d (such as "
				"30m, 6h or 1d)"),
			      key);
	else if (x < 60 || x > 366 * 86400)
		yaml_error_at(d, v->line, v->col, _("'%s' must be between 1m and 366d"), key);
	else
		*out = (int64_t)x;
}

/* A checked list of strings copied into the registry, without the empty and overlong items
 * (reported); NULL and *n = 0 after an error. nodes[i] (scratch in d; nodes may be NULL) is the
 * node of item i, for the caller's own errors. */
static const char **get_list(struct loader *L, struct yaml_doc *d, const struct yaml_node *v,
			     const char *key, size_t *n, const struct yaml_node ***nodes)
{
	*n = 0;
	if (!yaml_check_string_list(d, v, key, VENUE_MAX_ITEMS))
		return NULL;
	const char **out = arena_alloc(L->r, (v->n + 1) * sizeof(*out));
	const struct yaml_node **where = yaml_doc_alloc(d, (v->n + 1) * sizeof(*where));
	if (!out || !where) {
		L->rc = -ENOMEM;
		return NULL;
	}
	if (nodes)
		*nodes = where;
	for (const struct yaml_node *i = v->first; i; i = i->next) {
		if (i->len == 0) {
			yaml_error_at(d, i->line, i->col, _("'%s' has an empty item"), key);
			continue;
		}
		if (i->len > VENUE_MAX_STRING) {
			yaml_error_at(d, i->line, i->col,
				      _("an item of '%s' is longer than %d bytes"), key,
				      VENUE_MAX_STRING);
			continue;
		}
		if (!(out[*n] = keep(L, i->str)))
			return NULL;
		where[(*n)++] = i;
	}
	return out;
}

/* path as given when absolute, else relative to the configuration's directory. */
static const char *resolve_path(struct loader *L, const char *path)
{
	if (path[0] == '/' || !L->dir[0])
		return keep(L, path);
	char *joined = NULL;
	bool slash = L->dir[strlen(L->dir) - 1] == '/';
	if (asprintf(&joined, "%s%s%s", L->dir, slash ? "" : "/", path) < 0) {
		L->rc = -ENOMEM;
		return NULL;
	}
	const char *p = keep(L, joined);
	free(joined);
	return p;
}

/* ---- loading: the crawler: section and rules: ---- */

enum {
	C_UA,
	C_FROM,
	C_CONNECTIONS,
	C_WORKERS,
	C_PROXY,
	C_LIMITS,
	C_SESSION,
	C_NOFOLLOW,
	C_METRICS,
	C_N
};

static const struct yaml_key crawler_keys[C_N] = {
	[C_UA] = {"user_agent", false},
	[C_FROM] = {"from", false},
	[C_CONNECTIONS] = {"connections", false},
	[C_WORKERS] = {"workers", false},
	[C_PROXY] = {"proxy", false},
	[C_LIMITS] = {"limits", false},
	[C_SESSION] = {"session_params", false},
	[C_NOFOLLOW] = {"follow_nofollow", false},
	[C_METRICS] = {"metrics_file", false},
};

enum {
	L_BODY,
	L_CONNECT,
	L_TIMEOUT,
	L_LOW_BYTES,
	L_LOW_SECONDS,
	L_URL_LENGTH,
	L_LINKS,
	L_REDIRECTS,
	L_DELAY_CAP,
	L_ROBOTS_TTL,
	L_N
};

static const struct yaml_key limit_keys[L_N] = {
	[L_BODY] = {"max_body", false},
	[L_CONNECT] = {"connect_timeout_ms", false},
	[L_TIMEOUT] = {"timeout_ms", false},
	[L_LOW_BYTES] = {"low_speed_bytes", false},
	[L_LOW_SECONDS] = {"low_speed_seconds", false},
	[L_URL_LENGTH] = {"max_url_length", false},
	[L_LINKS] = {"max_links", false},
	[L_REDIRECTS] = {"max_redirects", false},
	[L_DELAY_CAP] = {"crawl_delay_cap_ms", false},
	[L_ROBOTS_TTL] = {"robots_ttl_s", false},
};

static void load_limits(struct yaml_doc *d, const struct yaml_node *n, struct crawler_settings *s)
{
	const struct yaml_node *v[L_N];
	if (!yaml_check_map(d, n, "limits"))
		return;
	yaml_map_fields(d, n, limit_keys, L_N, v, NULL);
	get_bytes(d, v[L_BODY], "max_body", 1u << 10, 1u << 30, &s->max_body);
	get_long(d, v[L_CONNECT], "connect_timeout_ms", 100, 600000, &s->connect_timeout_ms);
	get_long(d, v[L_TIMEOUT], "timeout_ms", 1000, 3600000, &s->timeout_ms);
	get_long(d, v[L_LOW_BYTES], "low_speed_bytes", 0, 1L << 30, &s->low_speed_bytes);
	get_long(d, v[L_LOW_SECONDS], "low_speed_seconds", 1, 3600, &s->low_speed_seconds);
	get_size(d, v[L_URL_LENGTH], "max_url_length", 256, URL_MAX_LEN, &s->max_url_length);
	get_size(d, v[L_LINKS], "max_links", 1, 100000, &s->max_links);
	get_unsigned(d, v[L_REDIRECTS], "max_redirects", 0, 20, &s->max_redirects);
	get_unsigned(d, v[L_DELAY_CAP], "crawl_delay_cap_ms", 0, 86400000, &s->crawl_delay_cap_ms);
	if (v[L_ROBOTS_TTL]) {
		uint64_t x;
		if (yaml_get_uint(d, v[L_ROBOTS_TTL], "robots_ttl_s", 60, 30 * 86400, &x))
			s->robots_ttl_s = (int64_t)x;
	}
}

/* An e-mail address as a From header needs it: local@domain.tld, nothing else. */
static bool is_email(const char *s)
{
	const char *at = strchr(s, '@');
	if (!at || at == s || strchr(at + 1, '@') || strlen(s) > 254)
		return false;
	const char *dot = strrchr(at + 1, '.');
	return dot && dot > at + 1 && dot[1] && !strpbrk(s, " <>(),;:\"[]\\");
}

static bool is_proxy_url(const char *s)
{
	static const char *const schemes[] = {
		"http://", "https://", "socks4://", "socks4a://", "socks5://", "socks5h://",
	};
	for (size_t i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++) {
		size_t n = strlen(schemes[i]);
		if (strncasecmp(s, schemes[i], n) == 0)
			return s[n] && !strchr(s, ' ');
	}
	return false;
}

static void load_identity(struct loader *L, struct yaml_doc *d, const struct yaml_node **v)
{
	struct crawler_settings *s = &L->r->settings;
	const char *t;
	if (v[C_UA] && (t = get_text(d, v[C_UA], "user_agent", 512))) {
		if (!strcasestr(t, "http"))
			yaml_error_at(d, v[C_UA]->line, v[C_UA]->col,
				      _("'user_agent' must contain a contact URL, such as "
					"\"patrol/1.0 (+https://example.org/contact)\""));
		else
			s->user_agent = keep(L, t);
	}
	if (v[C_FROM] && (t = get_text(d, v[C_FROM], "from", 254))) {
		if (!is_email(t))
			yaml_error_at(d, v[C_FROM]->line, v[C_FROM]->col,
				      _("'from' must be an e-mail address (such as "
					"crawler@example.org)"));
		else
			s->from = keep(L, t);
	}
	if (v[C_PROXY] && (t = get_text(d, v[C_PROXY], "proxy", VENUE_MAX_STRING))) {
		if (!is_proxy_url(t))
			yaml_error_at(d, v[C_PROXY]->line, v[C_PROXY]->col,
				      _("'proxy' must be a URL: http://, https://, socks4://, "
					"socks4a://, socks5:// or socks5h:// and a host"));
		else
			s->proxy = keep(L, t);
	}
}

/* A query parameter name: no separators, no spaces. */
static bool is_param_name(const char *s)
{
	return *s && !strpbrk(s, "=&#?;/ ") && strlen(s) <= 128;
}

static void load_session_params(struct loader *L, struct yaml_doc *d, const struct yaml_node *v)
{
	struct crawler_settings *s = &L->r->settings;
	size_t n, kept = 0;
	const struct yaml_node **nodes;
	const char **params = get_list(L, d, v, "session_params", &n, &nodes);
	if (!params)
		return;
	for (size_t i = 0; i < n; i++) {
		const struct yaml_node *item = nodes[i];
		bool dup = false;
		for (size_t k = 0; k < kept && !dup; k++)
			dup = strcasecmp(params[k], params[i]) == 0;
		if (!is_param_name(params[i]) || has_control(params[i]))
			yaml_error_at(d, item->line, item->col, _("invalid session parameter '%s'"),
				      params[i]);
		else if (dup)
			yaml_error_at(d, item->line, item->col,
				      _("duplicate session parameter '%s' (names compare "
					"case-insensitively)"),
				      params[i]);
		else
			params[kept++] = params[i];
	}
	s->session_params = params;
	s->nsession_params = kept;
}

static void load_crawler(struct loader *L, struct yaml_doc *d, const struct yaml_node *n)
{
	const struct yaml_node *v[C_N];
	struct crawler_settings *s = &L->r->settings;
	if (!yaml_check_map(d, n, "crawler"))
		return;
	yaml_map_fields(d, n, crawler_keys, C_N, v, NULL);
	load_identity(L, d, v);
	get_unsigned(d, v[C_CONNECTIONS], "connections", 1, 1024, &s->connections);
	get_unsigned(d, v[C_WORKERS], "workers", 0, 256, &s->workers);
	if (v[C_LIMITS])
		load_limits(d, v[C_LIMITS], s);
	if (v[C_SESSION])
		load_session_params(L, d, v[C_SESSION]);
	if (v[C_NOFOLLOW])
		yaml_get_bool(d, v[C_NOFOLLOW], "follow_nofollow", &s->follow_nofollow);
	const char *m = v[C_METRICS] ? get_text(d, v[C_METRICS], "metrics_file", 4096) : NULL;
	if (m)
		s->metrics_file = resolve_path(L, m);
}

static void load_rule_paths(struct loader *L, struct yaml_doc *d, const struct yaml_node *v)
{
	struct crawler_settings *s = &L->r->settings;
	size_t n;
	const char **paths = get_list(L, d, v, "rules", &n, NULL);
	for (size_t i = 0; paths && i < n && L->rc == 0; i++)
		paths[i] = resolve_path(L, paths[i]);
	if (paths && L->rc == 0) {
		s->rule_paths = paths;
		s->nrule_paths = n;
	}
}

/* ---- loading: one venue's scope ---- */

/* "host" or "host:port", IPv6 in brackets: the form venue.hosts shows. NULL when out of
 * memory. */
static const char *host_display(struct venue_registry *r, const struct scope_host *h)
{
	char buf[300];
	bool v6 = memchr(h->host, ':', h->len) != NULL;
	int n = snprintf(buf, sizeof(buf), "%s%.*s%s", v6 ? "[" : "", (int)h->len, h->host,
			 v6 ? "]" : "");
	if (h->port && n > 0 && (size_t)n < sizeof(buf))
		snprintf(buf + n, sizeof(buf) - (size_t)n, ":%u", h->port);
	return arena_strdup(r, buf);
}

/* Parses a scope.hosts item into *h (host copied into the registry): false when invalid. */
static bool parse_host(struct loader *L, const char *s, struct scope_host *h)
{
	const char *colon;
	if (!*s || strpbrk(s, "/?#@ \t\\*") || strlen(s) > 260)
		return false;
	if (s[0] == '[') {
		const char *close = strchr(s, ']');
		if (!close || (close[1] && close[1] != ':'))
			return false;
		colon = close[1] ? close + 1 : NULL;
	} else {
		colon = strchr(s, ':');
		if (colon && strchr(colon + 1, ':'))
			return false;
	}
	h->port = 0;
	if (colon && !parse_port(colon + 1, strlen(colon + 1), &h->port))
		return false;
	char url[300], *canon = NULL;
	int n = colon ? (int)(colon - s) : (int)strlen(s);
	snprintf(url, sizeof(url), "http://%.*s/", n, s);
	struct url_parts p;
	if (url_resolve(NULL, url, &canon) != 0 || !split_url(canon, &p) || p.port_given) {
		free(canon);
		return false;
	}
	char *host = arena_alloc(L->r, p.hostlen + 1);
	if (host) {
		memcpy(host, p.host, p.hostlen);
		host[p.hostlen] = '\0';
		h->host = host;
		h->len = p.hostlen;
	} else {
		L->rc = -ENOMEM;
	}
	free(canon);
	return host != NULL;
}

static bool same_host(const struct scope_host *a, const struct scope_host *b)
{
	return a->len == b->len && a->port == b->port && memcmp(a->host, b->host, a->len) == 0;
}

static void load_hosts(struct loader *L, struct yaml_doc *d, const struct yaml_node *v,
		       struct entry *e)
{
	size_t n;
	if (!yaml_check_string_list(d, v, "hosts", VENUE_MAX_ITEMS))
		return;
	if (v->n == 0) {
		yaml_error_at(d, v->line, v->col, _("'hosts' must not be empty"));
		return;
	}
	struct scope_host *hosts = arena_alloc(L->r, v->n * sizeof(*hosts));
	const char **shown = arena_alloc(L->r, v->n * sizeof(*shown));
	if (!hosts || !shown) {
		L->rc = -ENOMEM;
		return;
	}
	n = 0;
	for (const struct yaml_node *i = v->first; i && L->rc == 0; i = i->next) {
		if (!parse_host(L, i->str, &hosts[n])) {
			if (L->rc == 0)
				yaml_error_at(d, i->line, i->col,
					      _("invalid host '%s' in 'hosts' (a host name or IP "
						"address, optionally with :port; not a URL)"),
					      i->str);
			continue;
		}
		bool dup = false;
		for (size_t k = 0; k < n && !dup; k++)
			dup = same_host(&hosts[k], &hosts[n]);
		if (dup) {
			yaml_error_at(d, i->line, i->col, _("duplicate host '%s' in 'hosts'"),
				      i->str);
			continue;
		}
		if (!(shown[n] = host_display(L->r, &hosts[n]))) {
			L->rc = -ENOMEM;
			return;
		}
		n++;
	}
	e->scope.hosts = hosts;
	e->scope.nhosts = n;
	e->v.hosts = shown;
	e->v.nhosts = n;
}

/* Compiles a list of patterns into *ret (the registry frees what compiled). */
static void load_patterns(struct loader *L, struct yaml_doc *d, const struct yaml_node *v,
			  const char *key, const char *const **ret_text, size_t *ret_ntext,
			  regex_t **ret_re, size_t *ret_nre)
{
	size_t n;
	const struct yaml_node **nodes;
	const char **text = get_list(L, d, v, key, &n, &nodes);
	if (!text)
		return;
	regex_t *re = arena_alloc(L->r, (n + 1) * sizeof(*re));
	if (!re) {
		L->rc = -ENOMEM;
		return;
	}
	*ret_text = text;
	*ret_ntext = n;
	*ret_re = re;
	for (size_t i = 0; i < n; i++) {
		const struct yaml_node *item = nodes[i];
		int rc = regcomp(&re[*ret_nre], text[i], REG_EXTENDED | REG_NOSUB);
		if (rc == 0) {
			(*ret_nre)++;
			continue;
		}
		char msg[256];
		regerror(rc, NULL, msg, sizeof(msg));
		if (rc == REG_ESPACE)
			L->rc = -ENOMEM;
		yaml_error_at(d, item->line, item->col, _("invalid pattern '%s' in '%s': %s"),
			      text[i], key, msg);
	}
}

enum { S_HOSTS, S_INCLUDE, S_EXCLUDE, S_N };

static const struct yaml_key scope_keys[S_N] = {
	[S_HOSTS] = {"hosts", false},
	[S_INCLUDE] = {"include", false},
	[S_EXCLUDE] = {"exclude", false},
};

static void load_scope(struct loader *L, struct yaml_doc *d, const struct yaml_node *n,
		       struct entry *e)
{
	const struct yaml_node *v[S_N];
	struct venue_scope *s = &e->scope;
	if (!yaml_check_map(d, n, "scope"))
		return;
	yaml_map_fields(d, n, scope_keys, S_N, v, NULL);
	if (v[S_HOSTS])
		load_hosts(L, d, v[S_HOSTS], e);
	if (v[S_INCLUDE])
		load_patterns(L, d, v[S_INCLUDE], "include", &e->v.include, &e->v.ninclude,
			      &s->include, &s->ninclude);
	if (v[S_EXCLUDE])
		load_patterns(L, d, v[S_EXCLUDE], "exclude", &e->v.exclude, &e->v.nexclude,
			      &s->exclude, &s->nexclude);
}

/* The hosts of the seeds, when scope.hosts is not given. */
static void default_hosts(struct loader *L, struct entry *e)
{
	struct scope_host *hosts = arena_alloc(L->r, (e->v.nseeds + 1) * sizeof(*hosts));
	const char **shown = arena_alloc(L->r, (e->v.nseeds + 1) * sizeof(*shown));
	size_t n = 0;
	if (!hosts || !shown) {
		L->rc = -ENOMEM;
		return;
	}
	for (size_t i = 0; i < e->v.nseeds; i++) {
		struct url_parts p;
		if (!split_url(e->v.seeds[i], &p))
			continue;
		hosts[n] = (struct scope_host){p.host, p.hostlen, p.port_given ? p.port : 0};
		bool dup = false;
		for (size_t k = 0; k < n && !dup; k++)
			dup = same_host(&hosts[k], &hosts[n]);
		if (dup)
			continue;
		if (!(shown[n] = host_display(L->r, &hosts[n]))) {
			L->rc = -ENOMEM;
			return;
		}
		n++;
	}
	e->scope.hosts = hosts;
	e->scope.nhosts = n;
	e->v.hosts = shown;
	e->v.nhosts = n;
}

/* ---- loading: one venue ---- */

enum {
	V_ID,
	V_NAME,
	V_OPERATOR,
	V_REGISTRATION,
	V_CATEGORY,
	V_SEEDS,
	V_SITEMAPS,
	V_SCOPE,
	V_POLITENESS,
	V_SCHEDULE,
	V_LIMITS,
	V_PACKS,
	V_PRIVATE,
	V_POSTS,
	V_N
};

static const struct yaml_key venue_keys[V_N] = {
	[V_ID] = {"id", true},
	[V_NAME] = {"name", true},
	[V_OPERATOR] = {"operator", false},
	[V_REGISTRATION] = {"registration", false},
	[V_CATEGORY] = {"category", false},
	[V_SEEDS] = {"seeds", true},
	[V_SITEMAPS] = {"sitemaps", false},
	[V_SCOPE] = {"scope", false},
	[V_POLITENESS] = {"politeness", false},
	[V_SCHEDULE] = {"schedule", false},
	[V_LIMITS] = {"limits", false},
	[V_PACKS] = {"packs", false},
	[V_PRIVATE] = {"allow_private_addresses", false},
	[V_POSTS] = {"posts", false},
};

#define ADHOC_PREFIX "adhoc-"

/* [a-z0-9][a-z0-9._-]*: venue ids and pack names. */
static bool valid_name(const char *s, size_t len, size_t max)
{
	if (len == 0 || len > max)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      (i > 0 && (c == '.' || c == '_' || c == '-'))))
			return false;
	}
	return true;
}

static void load_id(struct loader *L, struct yaml_doc *d, const struct yaml_node *v,
		    struct entry *e)
{
	if (!yaml_get_string(d, v, "id", false))
		return;
	if (!valid_name(v->str, v->len, VENUE_MAX_ID)) {
		yaml_error_at(d, v->line, v->col,
			      _("invalid venue id '%s' (allowed: [a-z0-9][a-z0-9._-]*, at most %d "
				"bytes)"),
			      v->str, VENUE_MAX_ID);
		return;
	}
	if (strncmp(v->str, ADHOC_PREFIX, strlen(ADHOC_PREFIX)) == 0) {
		yaml_error_at(d, v->line, v->col,
			      _("venue id '%s' is reserved: ids starting with 'adhoc-' name the "
				"venues of patrol crawl --seed"),
			      v->str);
		return;
	}
	const struct entry *prev = find(L->r, v->str);
	if (prev) {
		yaml_error_at(d, v->line, v->col,
			      _("duplicate venue id '%s' (first defined at %s:%zu:%zu)"), v->str,
			      prev->v.file, prev->v.line, prev->col);
		return;
	}
	const char *id = keep(L, v->str);
	if (id)
		e->v.id = id;
	e->col = v->col;
}

static void load_seeds(struct loader *L, struct yaml_doc *d, const struct yaml_node *v,
		       struct entry *e)
{
	if (!yaml_check_string_list(d, v, "seeds", VENUE_MAX_ITEMS))
		return;
	if (v->n == 0) {
		yaml_error_at(d, v->line, v->col, _("'seeds' must not be empty"));
		return;
	}
	const char **seeds = arena_alloc(L->r, v->n * sizeof(*seeds));
	if (!seeds) {
		L->rc = -ENOMEM;
		return;
	}
	size_t n = 0;
	for (const struct yaml_node *i = v->first; i && L->rc == 0; i = i->next) {
		char *canon = NULL;
		int rc = url_resolve(NULL, i->str, &canon);
		if (rc == -ENOMEM) {
			L->rc = rc;
			return;
		}
		if (rc != 0) {
			yaml_error_at(d, i->line, i->col,
				      _("seed '%s' is not an absolute http(s) URL%s"), i->str,
				      rc == ERR_TOO_BIG ? " (too long)" : "");
			continue;
		}
		bool dup = false;
		for (size_t k = 0; k < n && !dup; k++)
			dup = strcmp(seeds[k], canon) == 0;
		if (dup)
			yaml_error_at(d, i->line, i->col, _("duplicate seed '%s'"), canon);
		else if ((seeds[n] = keep(L, canon)))
			n++;
		free(canon);
	}
	e->v.seeds = seeds;
	e->v.nseeds = n;
}

/* Every seed must be one the venue would crawl. Called only when the venue had no other error,
 * so seed k came from item k of the list v. */
static void check_seeds(struct yaml_doc *d, const struct yaml_node *v, const struct entry *e)
{
	static const char *const why[] = {
		[VENUE_IN_SCOPE] = "",
		[VENUE_OFF_HOST] = "its host is not in scope.hosts",
		[VENUE_NOT_INCLUDED] = "no scope.include pattern matches its path",
		[VENUE_EXCLUDED] = "a scope.exclude pattern matches its path",
		[VENUE_BAD_URL] = "it is not an absolute http(s) URL",
		[VENUE_CHECK_FAILED] = "a scope pattern failed to run",
	};
	const struct yaml_node *i = v->first;
	for (size_t k = 0; i && k < e->v.nseeds; k++, i = i->next) {
		enum venue_verdict verdict = venue_scope_check(&e->v, e->v.seeds[k]);
		if (verdict != VENUE_IN_SCOPE)
			yaml_error_at(d, i->line, i->col,
				      _("seed '%s' is outside the venue's scope: %s"), i->str,
				      why[verdict]);
	}
}

static void load_packs(struct loader *L, struct yaml_doc *d, const struct yaml_node *v,
		       struct entry *e)
{
	size_t n, kept = 0;
	const struct yaml_node **nodes;
	const char **packs = get_list(L, d, v, "packs", &n, &nodes);
	if (!packs)
		return;
	for (size_t i = 0; i < n; i++) {
		const struct yaml_node *item = nodes[i];
		bool dup = false;
		for (size_t k = 0; k < kept && !dup; k++)
			dup = strcmp(packs[k], packs[i]) == 0;
		if (!valid_name(packs[i], strlen(packs[i]), 128))
			yaml_error_at(d, item->line, item->col,
				      _("invalid pack name '%s' (allowed: [a-z0-9][a-z0-9._-]*, at "
					"most 128 bytes)"),
				      packs[i]);
		else if (dup)
			yaml_error_at(d, item->line, item->col, _("duplicate pack '%s'"), packs[i]);
		else
			packs[kept++] = packs[i];
	}
	e->v.packs = packs;
	e->v.npacks = kept;
}

/* ---- loading: one venue's post profiles ---- */

enum { PP_NAME, PP_POST, PP_CONTENT, PP_AUTHOR, PP_TIME, PP_SKIP, PP_N };
static const struct yaml_key profile_keys[PP_N] = {
	[PP_NAME] = {"name", false},	   [PP_POST] = {"post", true},
	[PP_CONTENT] = {"content", false}, [PP_AUTHOR] = {"author", false},
	[PP_TIME] = {"time", false},	   [PP_SKIP] = {"skip", false},
};

/* The profiles of one posts: as they are read. */
struct posts_load {
	struct doc_profile_spec specs[DOC_PROFILES_MAX];
	size_t n;
	bool builtin; /* builtin was listed */
};

/* Characters (UTF-8 code points) in the first n bytes of s. */
static size_t utf8_chars(const char *s, size_t n)
{
	size_t c = 0;
	for (size_t i = 0; i < n; i++)
		c += ((unsigned char)s[i] & 0xC0) != 0x80;
	return c;
}

/* The file column of character col (1-based) of scalar v's value, when the value is written on
 * one line without escapes or folding, so that the value's characters are the file's: a plain
 * scalar, or a quoted one ('' counts two characters in the file). 0 when it cannot be told. */
static size_t value_column(const struct yaml_node *v, size_t col)
{
	size_t chars = utf8_chars(v->str, v->len);
	if (v->line != v->end_line || col == 0 || col > chars + 1)
		return 0;
	if (v->style == YAML_STYLE_PLAIN)
		return v->end_col - v->col == chars ? v->col + col - 1 : 0;
	if (v->style != YAML_STYLE_SINGLE_QUOTED && v->style != YAML_STYLE_DOUBLE_QUOTED)
		return 0;
	size_t k = 0, before = 0, width = 0; /* characters; file columns before col; all */
	for (size_t i = 0; i < v->len; i++) {
		if (((unsigned char)v->str[i] & 0xC0) == 0x80)
			continue;
		size_t w = 1 + (v->style == YAML_STYLE_SINGLE_QUOTED && v->str[i] == '\'');
		width += w;
		before += k++ < col - 1 ? w : 0;
	}
	if (v->end_col - v->col != width + 2)
		return 0; /* double-quoted with escapes */
	return v->col + 1 + before;
}

static void report_selector(struct yaml_doc *d, const struct yaml_node *v, const char *key,
			    const struct selector_error *err)
{
	size_t col = value_column(v, err->column);
	if (col)
		yaml_error_at(d, v->line, col, _("invalid selector in '%s': %s"), key,
			      err->message);
	else
		yaml_error_at(d, v->line, v->col,
			      _("invalid selector in '%s': %s (column %zu of the selector)"), key,
			      err->message, err->column);
}

/* A selector of a profile: its text in the registry, or NULL (error reported, or not given). */
static const char *load_selector(struct loader *L, struct yaml_doc *d, const struct yaml_node *v,
				 const char *key)
{
	const char *text = v ? yaml_get_string(d, v, key, true) : NULL;
	if (!text)
		return NULL;
	struct selector *sel = NULL;
	struct selector_error err;
	int rc = selector_compile(text, &sel, &err);
	selector_free(sel);
	if (rc == -ENOMEM)
		L->rc = rc;
	else if (rc != 0)
		report_selector(d, v, key, &err);
	return rc == 0 ? keep(L, text) : NULL;
}

static bool profile_named(const struct posts_load *pl, const char *name)
{
	for (size_t i = 0; i < pl->n; i++)
		if (strcmp(pl->specs[i].name, name) == 0)
			return true;
	return false;
}

static void load_profile_name(struct loader *L, struct yaml_doc *d, const struct yaml_node *v,
			      struct posts_load *pl, struct doc_profile_spec *spec)
{
	const char *name = yaml_get_string(d, v, "name", true);
	if (!name)
		return;
	if (!valid_name(name, v->len, DOC_PROFILE_NAME_MAX - 1))
		yaml_error_at(d, v->line, v->col,
			      _("invalid profile name '%s' (allowed: [a-z0-9][a-z0-9._-]*, at most "
				"%d bytes)"),
			      name, DOC_PROFILE_NAME_MAX - 1);
	else if (profile_named(pl, name))
		yaml_error_at(d, v->line, v->col, _("duplicate profile name '%s'"), name);
	else
		spec->name = keep(L, name);
}

/* One profile mapping n, named def_name unless it says otherwise, appended to pl. */
static void load_profile(struct loader *L, struct yaml_doc *d, const struct yaml_node *n,
			 const char *def_name, struct posts_load *pl)
{
	const struct yaml_node *v[PP_N];
	if (!yaml_check_map(d, n, "posts"))
		return;
	struct doc_profile_spec spec = {.name = def_name};
	yaml_map_fields(d, n, profile_keys, PP_N, v, NULL);
	if (v[PP_NAME])
		load_profile_name(L, d, v[PP_NAME], pl, &spec);
	else if (profile_named(pl, def_name))
		yaml_error_at(d, n->line, n->col, _("duplicate profile name '%s'"), def_name);
	spec.post = load_selector(L, d, v[PP_POST], "post");
	spec.content = load_selector(L, d, v[PP_CONTENT], "content");
	spec.author = load_selector(L, d, v[PP_AUTHOR], "author");
	spec.time = load_selector(L, d, v[PP_TIME], "time");
	spec.skip = load_selector(L, d, v[PP_SKIP], "skip");
	if (spec.name && spec.post)
		pl->specs[pl->n++] = spec; /* with errors elsewhere it is never compiled */
}

static void load_posts_builtin(struct yaml_doc *d, const struct yaml_node *item,
			       struct posts_load *pl)
{
	const struct doc_profile_spec *b;
	if (pl->builtin) {
		yaml_error_at(d, item->line, item->col, _("'builtin' is listed twice in 'posts'"));
		return;
	}
	pl->builtin = true;
	for (size_t i = 0; (b = doc_profile_builtin(i)) && pl->n < DOC_PROFILES_MAX; i++) {
		if (profile_named(pl, b->name))
			yaml_error_at(d, item->line, item->col,
				      _("duplicate profile name '%s' (a built-in profile)"),
				      b->name);
		else
			pl->specs[pl->n++] = *b;
	}
}

static void load_posts_list(struct loader *L, struct yaml_doc *d, const struct yaml_node *v,
			    struct posts_load *pl)
{
	size_t k = 0, builtins = 0;
	while (doc_profile_builtin(builtins))
		builtins++;
	for (const struct yaml_node *i = v->first; i && L->rc == 0; i = i->next, k++) {
		if (pl->n + (yaml_scalar_is(i, "builtin") ? builtins : 1) > DOC_PROFILES_MAX) {
			yaml_error_at(d, i->line, i->col,
				      _("'posts' has more than %d profiles (builtin counts %zu)"),
				      DOC_PROFILES_MAX, builtins);
			return;
		}
		char name[DOC_PROFILE_NAME_MAX];
		snprintf(name, sizeof(name), "venue-%zu", k + 1);
		const char *def = i->kind == YAML_MAP ? keep(L, name) : NULL;
		if (yaml_scalar_is(i, "builtin"))
			load_posts_builtin(d, i, pl);
		else if (def)
			load_profile(L, d, i, def, pl);
		else if (i->kind != YAML_MAP && !i->bad)
			yaml_error_at(
				d, i->line, i->col,
				_("an item of 'posts' must be a profile (a mapping with 'post') "
				  "or builtin"));
	}
}

/* posts: a profile, or a list of profiles and builtin; compiled unless something was wrong. */
static void load_posts(struct loader *L, struct yaml_doc *d, const struct yaml_node *v,
		       struct entry *e)
{
	struct posts_load pl = {.n = 0};
	size_t errors = yaml_doc_error_count(d);
	if (v->kind == YAML_MAP)
		load_profile(L, d, v, "venue", &pl);
	else if (v->kind == YAML_SEQ)
		load_posts_list(L, d, v, &pl);
	else if (!v->bad)
		yaml_error_at(d, v->line, v->col,
			      _("'posts' must be a profile (a mapping with 'post'), or a list of "
				"profiles and builtin"));
	if (L->rc != 0 || yaml_doc_error_count(d) != errors)
		return;
	struct doc_profile_spec *specs = arena_alloc(L->r, (pl.n + 1) * sizeof(*specs));
	if (!specs) {
		L->rc = -ENOMEM;
		return;
	}
	memcpy(specs, pl.specs, pl.n * sizeof(*specs));
	int rc = post_set_get(L->r, specs, pl.n, &e->v.profiles);
	if (rc == ERR_PARSE) /* every selector compiled alone: a bug, not the file */
		rc = -EINVAL;
	if (rc != 0) {
		L->rc = rc;
		return;
	}
	e->v.post_profiles = specs;
	e->v.npost_profiles = pl.n;
	e->v.own_posts = true;
}

enum { P_DELAY, P_CONNECTIONS, P_N };
static const struct yaml_key politeness_keys[P_N] = {
	[P_DELAY] = {"delay_ms", false},
	[P_CONNECTIONS] = {"connections", false},
};

enum { LV_PAGES, LV_DEPTH, LV_SEGMENTS, LV_REPEATED, LV_QUERIES, LV_N };
static const struct yaml_key venue_limit_keys[LV_N] = {
	[LV_PAGES] = {"max_pages", false},
	[LV_DEPTH] = {"max_depth", false},
	[LV_SEGMENTS] = {"max_path_segments", false},
	[LV_REPEATED] = {"max_repeated_segments", false},
	[LV_QUERIES] = {"max_query_variants", false},
};

enum { SC_EVERY, SC_WINDOW, SC_JITTER, SC_N };
static const struct yaml_key schedule_keys[SC_N] = {
	[SC_EVERY] = {"every", true},
	[SC_WINDOW] = {"window", false},
	[SC_JITTER] = {"jitter", false},
};

/* "HH:MM" at s (5 bytes) as minutes after midnight; -1 when it is not one. */
static int parse_hhmm(const char *s)
{
	if (s[0] < '0' || s[0] > '2' || s[1] < '0' || s[1] > '9' || s[2] != ':' || s[3] < '0' ||
	    s[3] > '5' || s[4] < '0' || s[4] > '9')
		return -1;
	int h = (s[0] - '0') * 10 + (s[1] - '0');
	return h > 23 ? -1 : h * 60 + (s[3] - '0') * 10 + (s[4] - '0');
}

/* schedule.window: a list of "HH:MM-HH:MM" (UTC), errors at the item. */
static void load_windows(struct loader *L, struct yaml_doc *d, const struct yaml_node *v,
			 struct venue *w)
{
	if (!yaml_check_string_list(d, v, "window", VENUE_MAX_WINDOWS))
		return;
	struct venue_window *out = arena_alloc(L->r, (v->n + 1) * sizeof(*out));
	if (!out) {
		L->rc = -ENOMEM;
		return;
	}
	size_t n = 0;
	for (const struct yaml_node *i = v->first; i; i = i->next) {
		int a = i->len == 11 && i->str[5] == '-' ? parse_hhmm(i->str) : -1;
		int b = a >= 0 ? parse_hhmm(i->str + 6) : -1;
		if (b < 0) {
			yaml_error_at(d, i->line, i->col,
				      _("a 'window' must be \"HH:MM-HH:MM\" in UTC (such as "
					"\"22:00-06:00\"), not '%s'"),
				      i->str);
			continue;
		}
		out[n++] = (struct venue_window){(uint16_t)a, (uint16_t)b};
	}
	w->windows = out;
	w->nwindows = n;
}

static void load_schedule(struct loader *L, struct yaml_doc *d, const struct yaml_node *n,
			  struct venue *w)
{
	const struct yaml_node *v[SC_N];
	yaml_map_fields(d, n, schedule_keys, SC_N, v, NULL);
	if (v[SC_EVERY])
		get_duration(d, v[SC_EVERY], "every", &w->every_s);
	if (v[SC_WINDOW])
		load_windows(L, d, v[SC_WINDOW], w);
	if (v[SC_JITTER] && !v[SC_JITTER]->bad) {
		static const char *const units[] = {"s", "m", "h", "d"};
		static const uint64_t scale[] = {1, 60, 3600, 86400};
		uint64_t x;
		if (!number_with_unit(v[SC_JITTER], units, scale, 4, true, &x) || x > 366 * 86400)
			yaml_error_at(
				d, v[SC_JITTER]->line, v[SC_JITTER]->col,
				_("'jitter' must be a duration from 0s to 366d: a whole number "
				  "and s, m, h or d (such as 10m)"));
		else
			w->jitter_s = (int64_t)x;
	}
}

static void load_venue_numbers(struct loader *L, struct yaml_doc *d, const struct yaml_node **vals,
			       struct entry *e)
{
	const struct yaml_node *p[P_N], *v[LV_N];
	struct venue *w = &e->v;
	if (vals[V_POLITENESS] && yaml_check_map(d, vals[V_POLITENESS], "politeness")) {
		yaml_map_fields(d, vals[V_POLITENESS], politeness_keys, P_N, p, NULL);
		get_unsigned(d, p[P_DELAY], "delay_ms", 0, 86400000, &w->delay_ms);
		get_unsigned(d, p[P_CONNECTIONS], "connections", 1, 64, &w->host_connections);
	}
	if (vals[V_SCHEDULE] && yaml_check_map(d, vals[V_SCHEDULE], "schedule"))
		load_schedule(L, d, vals[V_SCHEDULE], w);
	if (vals[V_LIMITS] && yaml_check_map(d, vals[V_LIMITS], "limits")) {
		yaml_map_fields(d, vals[V_LIMITS], venue_limit_keys, LV_N, v, NULL);
		get_size(d, v[LV_PAGES], "max_pages", 0, 1000000000000u, &w->max_pages);
		get_unsigned(d, v[LV_DEPTH], "max_depth", 0, 1000, &w->max_depth);
		get_unsigned(d, v[LV_SEGMENTS], "max_path_segments", 1, 1024,
			     &w->max_path_segments);
		get_unsigned(d, v[LV_REPEATED], "max_repeated_segments", 0, 1024,
			     &w->max_repeated_segments);
		get_unsigned(d, v[LV_QUERIES], "max_query_variants", 1, 1000000,
			     &w->max_query_variants);
	}
	if (vals[V_SITEMAPS])
		yaml_get_bool(d, vals[V_SITEMAPS], "sitemaps", &w->sitemaps);
	if (vals[V_PRIVATE])
		yaml_get_bool(d, vals[V_PRIVATE], "allow_private_addresses", &w->allow_private);
}

static void set_text(struct loader *L, struct yaml_doc *d, const struct yaml_node *v,
		     const char *key, const char **field)
{
	const char *t = v ? get_text(d, v, key, VENUE_MAX_STRING) : NULL;
	if (t && (t = keep(L, t)))
		*field = t;
}

static void load_venue_texts(struct loader *L, struct yaml_doc *d, const struct yaml_node **v,
			     struct entry *e)
{
	set_text(L, d, v[V_NAME], "name", &e->v.name);
	set_text(L, d, v[V_OPERATOR], "operator", &e->v.operator_name);
	set_text(L, d, v[V_REGISTRATION], "registration", &e->v.registration);
	set_text(L, d, v[V_CATEGORY], "category", &e->v.category);
}

/* Loads the venue mapping n of file (the registry's copy of d's name) into the registry. */
static void load_venue(struct loader *L, struct yaml_doc *d, const char *file,
		       const struct yaml_node *n)
{
	const struct yaml_node *v[V_N];
	if (n->kind != YAML_MAP) {
		if (!n->bad)
			yaml_error_at(d, n->line, n->col, _("a venue must be a mapping"));
		return;
	}
	if (L->r->nvenues == VENUE_MAX_VENUES) {
		yaml_error_at(d, n->line, n->col, _("more than %d venues"), VENUE_MAX_VENUES);
		return;
	}
	struct entry *e = arena_alloc(L->r, sizeof(*e));
	int rc = e ? reserve(L->r) : -ENOMEM;
	if (rc != 0) {
		L->rc = rc;
		return;
	}
	venue_default(e, L->r);
	e->v.file = file;
	e->v.line = n->line;
	size_t errors = yaml_doc_error_count(d);
	yaml_map_fields(d, n, venue_keys, V_N, v, NULL);
	if (v[V_ID])
		load_id(L, d, v[V_ID], e);
	load_venue_texts(L, d, v, e);
	if (v[V_SEEDS])
		load_seeds(L, d, v[V_SEEDS], e);
	if (v[V_SCOPE])
		load_scope(L, d, v[V_SCOPE], e);
	if (!e->v.hosts && L->rc == 0)
		default_hosts(L, e);
	load_venue_numbers(L, d, v, e);
	if (v[V_PACKS])
		load_packs(L, d, v[V_PACKS], e);
	if (v[V_POSTS])
		load_posts(L, d, v[V_POSTS], e);
	/* An id or a scope with errors would make these errors echoes of those. */
	if (e->v.id[0] && yaml_doc_error_count(d) == errors && v[V_SEEDS] && L->rc == 0)
		check_seeds(d, v[V_SEEDS], e);
	add_entry(L->r, e); /* even with errors: the registry frees its regexes */
}

/* ---- loading: files ---- */

/* Reports d's errors and frees it. */
static void finish_doc(struct loader *L, struct yaml_doc *d)
{
	int status = yaml_doc_status(d);
	if (status == -ENOMEM && L->rc == 0)
		L->rc = -ENOMEM;
	if (status != 0)
		L->failed = true;
	yaml_doc_report(d, L->errors);
	yaml_doc_free(d);
}

static bool is_yaml_name(const char *name)
{
	size_t n = strlen(name);
	return name[0] != '.' && ((n > 5 && strcmp(name + n - 5, ".yaml") == 0) ||
				  (n > 4 && strcmp(name + n - 4, ".yml") == 0));
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The *.yaml and *.yml names in dir (at most max + 1), sorted bytewise, in the registry. */
static int list_dir(struct loader *L, const char *dir, size_t max, const char ***ret_names,
		    size_t *ret_n)
{
	DIR *d = opendir(dir);
	if (!d)
		return -errno;
	const char **names = NULL;
	size_t n = 0, alloc = 0;
	int rc = 0;
	struct dirent *de;
	while (rc == 0 && n <= max && (de = readdir(d))) {
		if (!is_yaml_name(de->d_name))
			continue;
		if (n == alloc) {
			alloc = alloc ? alloc * 2 : 16;
			const char **p = realloc(names, alloc * sizeof(*p));
			rc = p ? 0 : -ENOMEM;
			names = p ? p : names;
		}
		if (rc == 0 && !(names[n++] = arena_strdup(L->r, de->d_name)))
			rc = -ENOMEM;
	}
	closedir(d);
	if (rc == 0 && n > 0)
		qsort(names, n, sizeof(*names), name_cmp);
	if (rc != 0) {
		free(names);
		return rc;
	}
	*ret_names = names;
	*ret_n = n;
	return 0;
}

static void load_venue_file(struct loader *L, const char *path)
{
	struct yaml_doc *d = NULL;
	int rc = yaml_doc_read(path, &venue_file_limits, &d);
	if (rc != 0) {
		L->rc = rc;
		return;
	}
	const struct yaml_node *root = yaml_doc_root(d);
	const char *file = keep(L, path);
	if (!root && yaml_doc_status(d) == 0)
		yaml_error_at(d, 1, 1,
			      _("empty file: expected a venue (a mapping with 'id', 'name' and "
				"'seeds')"));
	else if (root && root->kind != YAML_MAP && !root->bad)
		yaml_error_at(d, root->line, root->col,
			      _("expected a venue (a mapping with 'id', 'name' and 'seeds')"));
	else if (root && file)
		load_venue(L, d, file, root);
	finish_doc(L, d);
}

struct venues_dir {
	const char *path; /* resolved */
	const char **names;
	size_t n;
};

static void list_venues_dir(struct loader *L, struct yaml_doc *d, const struct yaml_node *v,
			    struct venues_dir *vd)
{
	const char *dir = get_text(d, v, "venues_dir", VENUE_MAX_STRING);
	if (!dir || !(vd->path = resolve_path(L, dir)))
		return;
	int rc = list_dir(L, vd->path, VENUE_MAX_VENUES, &vd->names, &vd->n);
	if (rc == -ENOMEM)
		L->rc = rc;
	else if (rc != 0)
		yaml_error_at(d, v->line, v->col, _("cannot list venues_dir '%s': %s"), vd->path,
			      err_text(rc));
	else if (vd->n > VENUE_MAX_VENUES)
		yaml_error_at(d, v->line, v->col, _("more than %d venue files in '%s'"),
			      VENUE_MAX_VENUES, vd->path);
	if (rc != 0 || vd->n > VENUE_MAX_VENUES)
		vd->n = 0;
}

/* ---- loading: alerts: and early_warning: (docs/operations.md, "Alerts") ---- */

#define ALERT_MAX_TARGETS 100

enum {
	A_ID,
	A_WEBHOOK,
	A_COMMAND,
	A_MAIL,
	A_SEVERITY,
	A_VENUES,
	A_CATEGORIES,
	A_DIGEST,
	A_N
};
static const struct yaml_key alert_keys[A_N] = {
	[A_ID] = {"id", true},
	[A_WEBHOOK] = {"webhook", false},
	[A_COMMAND] = {"command", false},
	[A_MAIL] = {"mail", false},
	[A_SEVERITY] = {"min_severity", false},
	[A_VENUES] = {"venues", false},
	[A_CATEGORIES] = {"categories", false},
	[A_DIGEST] = {"digest", false},
};

static bool is_severity(const char *s)
{
	static const char *const names[] = {"info", "low", "medium", "high", "critical"};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(s, names[i]) == 0)
			return true;
	return false;
}

static bool is_http_url(const char *s)
{
	return (strncmp(s, "http://", 7) == 0 && s[7]) || (strncmp(s, "https://", 8) == 0 && s[8]);
}

/* The one kind key a target has: webhook, command or mail. */
static void load_alert_kind(struct loader *L, struct yaml_doc *d, const struct yaml_node *n,
			    const struct yaml_node **v, struct alert_target *t)
{
	int kinds = !!v[A_WEBHOOK] + !!v[A_COMMAND] + !!v[A_MAIL];
	if (kinds != 1) {
		yaml_error_at(
			d, n->line, n->col,
			_("an alert target needs exactly one of 'webhook', 'command' or 'mail'"));
		return;
	}
	const char *x;
	if (v[A_WEBHOOK] && (x = get_text(d, v[A_WEBHOOK], "webhook", VENUE_MAX_STRING))) {
		t->kind = ALERT_WEBHOOK;
		if (!is_http_url(x))
			yaml_error_at(d, v[A_WEBHOOK]->line, v[A_WEBHOOK]->col,
				      _("'webhook' must be an http or https URL"));
		else
			t->url = keep(L, x);
	} else if (v[A_MAIL] && (x = get_text(d, v[A_MAIL], "mail", VENUE_MAX_STRING))) {
		t->kind = ALERT_MAIL;
		if (!is_email(x))
			yaml_error_at(d, v[A_MAIL]->line, v[A_MAIL]->col,
				      _("'mail' must be an e-mail address"));
		else
			t->mail_to = keep(L, x);
	} else if (v[A_COMMAND]) {
		t->kind = ALERT_COMMAND;
		const char **argv = get_list(L, d, v[A_COMMAND], "command", &t->nargv, NULL);
		if (argv && !t->nargv)
			yaml_error_at(d, v[A_COMMAND]->line, v[A_COMMAND]->col,
				      _("'command' must name a program"));
		else if (argv && argv[0][0] != '/')
			yaml_error_at(
				d, v[A_COMMAND]->line, v[A_COMMAND]->col,
				_("'command' must start with an absolute path (no shell, no PATH "
				  "search)"));
		if (argv)
			argv[t->nargv] = NULL;
		t->argv = argv;
	}
}

static void load_alert(struct loader *L, struct yaml_doc *d, const struct yaml_node *n,
		       struct alert_target *t, const struct alert_target *prev, size_t nprev)
{
	const struct yaml_node *v[A_N];
	*t = (struct alert_target){.id = "", .min_severity = "high"};
	if (n->kind != YAML_MAP) {
		if (!n->bad)
			yaml_error_at(d, n->line, n->col, _("an alert target must be a mapping"));
		return;
	}
	yaml_map_fields(d, n, alert_keys, A_N, v, NULL);
	const char *id = v[A_ID] ? get_text(d, v[A_ID], "id", VENUE_MAX_ID) : NULL;
	if (id && !valid_name(id, strlen(id), VENUE_MAX_ID))
		yaml_error_at(d, v[A_ID]->line, v[A_ID]->col,
			      _("'id' must be lowercase letters, digits, '.', '_' or '-'"));
	else if (id)
		t->id = keep(L, id);
	for (size_t i = 0; id && i < nprev; i++)
		if (strcmp(prev[i].id, id) == 0)
			yaml_error_at(d, v[A_ID]->line, v[A_ID]->col, _("duplicate alert id '%s'"),
				      id);
	load_alert_kind(L, d, n, v, t);
	const char *sev = v[A_SEVERITY] ? get_text(d, v[A_SEVERITY], "min_severity", 16) : NULL;
	if (sev && !is_severity(sev))
		yaml_error_at(d, v[A_SEVERITY]->line, v[A_SEVERITY]->col,
			      _("'min_severity' must be info, low, medium, high or critical"));
	else if (sev)
		t->min_severity = keep(L, sev);
	if (v[A_VENUES])
		t->venues = get_list(L, d, v[A_VENUES], "venues", &t->nvenues, NULL);
	if (v[A_CATEGORIES])
		t->categories = get_list(L, d, v[A_CATEGORIES], "categories", &t->ncategories, NULL);
	if (v[A_DIGEST])
		yaml_get_bool(d, v[A_DIGEST], "digest", &t->digest);
}

static void load_alerts(struct loader *L, struct yaml_doc *d, const struct yaml_node *v)
{
	if (!yaml_check_list(d, v, "alerts", ALERT_MAX_TARGETS))
		return;
	struct alert_target *t = arena_alloc(L->r, (v->n + 1) * sizeof(*t));
	if (!t) {
		L->rc = -ENOMEM;
		return;
	}
	size_t n = 0;
	for (const struct yaml_node *i = v->first; i && L->rc == 0; i = i->next, n++)
		load_alert(L, d, i, &t[n], t, n);
	L->r->settings.alerts = t;
	L->r->settings.nalerts = n;
}

/* A plain decimal number ("3", "2.5") from min to max. */
static void get_factor(struct yaml_doc *d, const struct yaml_node *v, const char *key, double min,
		       double max, double *out)
{
	if (!v || v->bad)
		return;
	char *end = NULL;
	double x = v->kind == YAML_SCALAR && v->style == YAML_STYLE_PLAIN && v->len &&
				   (v->str[0] >= '0' && v->str[0] <= '9')
			   ? strtod(v->str, &end)
			   : -1;
	if (!end || *end || !(x >= min && x <= max))
		yaml_error_at(d, v->line, v->col, _("'%s' must be a number from %g to %g"), key,
			      min, max);
	else
		*out = x;
}

enum { EW_SPIKE, EW_MIN_HITS, EW_DAYS, EW_DROP, EW_N };
static const struct yaml_key early_keys[EW_N] = {
	[EW_SPIKE] = {"spike_factor", false},
	[EW_MIN_HITS] = {"spike_min_hits", false},
	[EW_DAYS] = {"history_days", false},
	[EW_DROP] = {"drop_factor", false},
};

static void load_early_warning(struct yaml_doc *d, const struct yaml_node *n,
			       struct early_warning_settings *e)
{
	const struct yaml_node *v[EW_N];
	if (!yaml_check_map(d, n, "early_warning"))
		return;
	yaml_map_fields(d, n, early_keys, EW_N, v, NULL);
	get_factor(d, v[EW_SPIKE], "spike_factor", 1, 1000, &e->spike_factor);
	get_unsigned(d, v[EW_MIN_HITS], "spike_min_hits", 1, 1000000, &e->spike_min_hits);
	get_unsigned(d, v[EW_DAYS], "history_days", 1, 366, &e->history_days);
	get_factor(d, v[EW_DROP], "drop_factor", 0, 1, &e->drop_factor);
}

/* ---- loading: evidence: and display: (docs/venues.md, "Evidence and display") ---- */

enum { EV_SCREENSHOTS, EV_N };
static const struct yaml_key evidence_keys[EV_N] = {
	[EV_SCREENSHOTS] = {"screenshots", false},
};

static void load_evidence(struct yaml_doc *d, const struct yaml_node *n, struct crawler_settings *s)
{
	static const char *const names[] = {
		[EVIDENCE_SCREENSHOTS_CONFIRMED] = "confirmed",
		[EVIDENCE_SCREENSHOTS_ALL] = "all",
		[EVIDENCE_SCREENSHOTS_OFF] = "off",
	};
	const struct yaml_node *v[EV_N];
	if (!yaml_check_map(d, n, "evidence"))
		return;
	yaml_map_fields(d, n, evidence_keys, EV_N, v, NULL);
	const char *x = v[EV_SCREENSHOTS] ? get_text(d, v[EV_SCREENSHOTS], "screenshots", 16) : NULL;
	if (!x)
		return;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcmp(x, names[i]) == 0) {
			s->screenshots = (enum evidence_screenshots)i;
			return;
		}
	}
	yaml_error_at(d, v[EV_SCREENSHOTS]->line, v[EV_SCREENSHOTS]->col,
		      _("'screenshots' must be confirmed, all or off"));
}

enum { D_TIMEZONE, D_N };
static const struct yaml_key display_keys[D_N] = {
	[D_TIMEZONE] = {"timezone", false},
};

/* display.timezone when display: (n) sets a valid one, else NULL (the error recorded). Borrowed
 * from d. */
static const char *get_display_timezone(struct yaml_doc *d, const struct yaml_node *n)
{
	const struct yaml_node *v[D_N];
	if (!yaml_check_map(d, n, "display"))
		return NULL;
	yaml_map_fields(d, n, display_keys, D_N, v, NULL);
	const char *tz = v[D_TIMEZONE] ? get_text(d, v[D_TIMEZONE], "timezone", CLOCK_MAX_ZONE)
				       : NULL;
	if (tz && !clock_zone_exists(tz)) {
		yaml_error_at(d, v[D_TIMEZONE]->line, v[D_TIMEZONE]->col,
			      _("'timezone' must be a time zone of this system's zoneinfo, such as "
				"Asia/Shanghai or UTC"));
		return NULL;
	}
	return tz;
}

static void load_display(struct loader *L, struct yaml_doc *d, const struct yaml_node *n)
{
	const char *tz = get_display_timezone(d, n);
	if (tz)
		L->r->settings.display_timezone = keep(L, tz);
}

enum { T_CRAWLER, T_RULES, T_VENUES, T_VENUES_DIR, T_ALERTS, T_EARLY, T_EVIDENCE, T_DISPLAY, T_N };

static const struct yaml_key top_keys[T_N] = {
	[T_CRAWLER] = {"crawler", false},
	[T_RULES] = {"rules", false},
	[T_VENUES] = {"venues", false},
	[T_VENUES_DIR] = {"venues_dir", false},
	[T_ALERTS] = {"alerts", false},
	[T_EARLY] = {"early_warning", false},
	[T_EVIDENCE] = {"evidence", false},
	[T_DISPLAY] = {"display", false},
};

static void load_config(struct loader *L, struct yaml_doc *d, const struct yaml_node *root,
			struct venues_dir *vd)
{
	const struct yaml_node *v[T_N], *k[T_N];
	const char *file = keep(L, yaml_doc_name(d));
	if (!file)
		return;
	L->r->path = file;
	if (root->kind != YAML_MAP) {
		if (!root->bad)
			yaml_error_at(
				d, root->line, root->col,
				_("expected a configuration (a mapping of 'crawler', 'rules', "
				  "'venues' or 'venues_dir')"));
		return;
	}
	yaml_map_fields(d, root, top_keys, T_N, v, k);
	if (v[T_CRAWLER])
		load_crawler(L, d, v[T_CRAWLER]);
	if (v[T_RULES])
		load_rule_paths(L, d, v[T_RULES]);
	if (v[T_ALERTS])
		load_alerts(L, d, v[T_ALERTS]);
	if (v[T_EARLY])
		load_early_warning(d, v[T_EARLY], &L->r->settings.early_warning);
	if (v[T_EVIDENCE])
		load_evidence(d, v[T_EVIDENCE], &L->r->settings);
	if (v[T_DISPLAY])
		load_display(L, d, v[T_DISPLAY]);
	if (v[T_VENUES] && v[T_VENUES_DIR]) {
		yaml_error_at(d, k[T_VENUES_DIR]->line, k[T_VENUES_DIR]->col,
			      _("'venues' and 'venues_dir' cannot both be given"));
		return;
	}
	if (v[T_VENUES_DIR])
		list_venues_dir(L, d, v[T_VENUES_DIR], vd);
	if (!v[T_VENUES] || !yaml_check_list(d, v[T_VENUES], "venues", VENUE_MAX_VENUES))
		return;
	for (const struct yaml_node *n = v[T_VENUES]->first; n && L->rc == 0; n = n->next)
		load_venue(L, d, file, n);
}

int venue_display_timezone(const char *path, char *out, size_t outlen)
{
	if (!path || !out || outlen <= CLOCK_MAX_ZONE)
		return ERR_USAGE;
	out[0] = '\0';
	struct yaml_doc *d = NULL;
	int rc = yaml_doc_read(path, &config_limits, &d);
	if (rc != 0)
		return rc;
	const struct yaml_node *root = yaml_doc_root(d), *v[T_N];
	rc = root ? 0 : ERR_PARSE;
	if (root && root->kind == YAML_MAP) {
		/* Other keys' errors are recorded and dropped here: the full load reports them. */
		yaml_map_fields(d, root, top_keys, T_N, v, NULL);
		const char *tz = v[T_DISPLAY] ? get_display_timezone(d, v[T_DISPLAY]) : NULL;
		if (tz)
			snprintf(out, outlen, "%s", tz);
		else if (v[T_DISPLAY])
			rc = yaml_doc_status(d) == -ENOMEM ? -ENOMEM : ERR_PARSE;
	}
	yaml_doc_free(d);
	return rc;
}

/* The directory part of path: "" for none (the working directory). */
static const char *dir_of(struct loader *L, const char *path)
{
	const char *slash = strrchr(path, '/');
	if (!slash)
		return "";
	char *dir = arena_alloc(L->r, (size_t)(slash - path) + 2);
	if (!dir) {
		L->rc = -ENOMEM;
		return NULL;
	}
	size_t n = slash == path ? 1 : (size_t)(slash - path); /* "/x.yaml": "/" */
	memcpy(dir, path, n);
	dir[n] = '\0';
	return dir;
}

/* data NULL: read the file at path; otherwise data (len bytes) is the file, named path. */
static void load_all(struct loader *L, const char *path, const char *data, size_t len)
{
	struct venues_dir vd = {0};
	struct yaml_doc *d = NULL;
	if (!(L->dir = dir_of(L, path)))
		return;
	int rc = data ? yaml_doc_parse(path, data, len, &config_limits, &d)
		      : yaml_doc_read(path, &config_limits, &d);
	if (rc != 0) {
		L->rc = rc;
		return;
	}
	const struct yaml_node *root = yaml_doc_root(d);
	if (root)
		load_config(L, d, root, &vd);
	else if (yaml_doc_status(d) == 0)
		yaml_error_at(d, 1, 1,
			      _("empty file: expected a configuration (a mapping of 'crawler', "
				"'rules', 'venues' or 'venues_dir')"));
	finish_doc(L, d);
	for (size_t i = 0; i < vd.n && i < VENUE_MAX_VENUES && L->rc == 0; i++) {
		char *file = NULL;
		if (asprintf(&file, "%s/%s", vd.path, vd.names[i]) < 0) {
			L->rc = -ENOMEM;
			break;
		}
		load_venue_file(L, file);
		free(file);
	}
	free(vd.names);
}

static int registry_load(const char *path, const char *data, size_t len,
			 struct venue_registry **ret, struct buf *errors)
{
	if (!path || !ret)
		return ERR_USAGE;
	struct loader L = {.errors = errors};
	int rc = venue_registry_new_default(&L.r);
	if (rc != 0)
		return rc;
	load_all(&L, path, data, len);
	rc = L.rc != 0 ? L.rc : L.failed ? ERR_PARSE : 0;
	if (rc != 0) {
		venue_registry_free(L.r);
		return rc;
	}
	*ret = L.r;
	return 0;
}

int venue_registry_load(const char *path, struct venue_registry **ret, struct buf *errors)
{
	return registry_load(path, NULL, 0, ret, errors);
}

int venue_registry_load_mem(const char *name, const char *data, size_t len,
			    struct venue_registry **ret, struct buf *errors)
{
	if (!data)
		return ERR_USAGE;
	return registry_load(name, data, len, ret, errors);
}

/* ---- ad hoc venues ---- */

/* "adhoc-" + host[-port], brackets dropped, every other character outside [a-z0-9._-] '-'. */
static char *adhoc_id(const struct url_parts *p)
{
	char *id = NULL;
	int n = p->port_given
			? asprintf(&id, ADHOC_PREFIX "%.*s-%u", (int)p->hostlen, p->host, p->port)
			: asprintf(&id, ADHOC_PREFIX "%.*s", (int)p->hostlen, p->host);
	if (n < 0)
		return NULL;
	for (char *c = id; *c; c++) {
		if (*c >= 'A' && *c <= 'Z')
			*c = (char)(*c - 'A' + 'a');
		else if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '.' ||
			   *c == '_' || *c == '-'))
			*c = '-';
	}
	return id;
}

/* Adds seed to the adhoc venue e (unless it has it): a new array, so nothing moves on error. */
static int adhoc_add_seed(struct venue_registry *r, struct entry *e, const char *seed)
{
	for (size_t i = 0; i < e->v.nseeds; i++)
		if (strcmp(e->v.seeds[i], seed) == 0)
			return 0;
	const char **seeds = arena_alloc(r, (e->v.nseeds + 1) * sizeof(*seeds));
	const char *copy = seeds ? arena_strdup(r, seed) : NULL;
	if (!copy)
		return -ENOMEM;
	memcpy(seeds, e->v.seeds, e->v.nseeds * sizeof(*seeds));
	seeds[e->v.nseeds] = copy;
	e->v.seeds = seeds;
	e->v.nseeds++;
	return 0;
}

static int adhoc_new(struct venue_registry *r, const char *id, const char *seed,
		     const struct url_parts *p, bool allow_private, struct entry **ret)
{
	struct entry *e = arena_alloc(r, sizeof(*e));
	struct scope_host *h = arena_alloc(r, sizeof(*h));
	const char **hosts = arena_alloc(r, sizeof(*hosts));
	const char **seeds = arena_alloc(r, sizeof(*seeds));
	char *host = arena_alloc(r, p->hostlen + 1);
	if (!e || !h || !hosts || !seeds || !host)
		return -ENOMEM;
	memcpy(host, p->host, p->hostlen);
	host[p->hostlen] = '\0';
	*h = (struct scope_host){host, p->hostlen, p->port_given ? p->port : 0};
	venue_default(e, r);
	e->adhoc = true;
	e->v.id = arena_strdup(r, id);
	hosts[0] = host_display(r, h);
	seeds[0] = arena_strdup(r, seed);
	if (!e->v.id || !hosts[0] || !seeds[0])
		return -ENOMEM;
	e->v.name = hosts[0];
	e->v.category = "adhoc";
	e->v.seeds = seeds;
	e->v.nseeds = 1;
	e->v.hosts = hosts;
	e->v.nhosts = 1;
	e->v.allow_private = allow_private;
	e->scope.hosts = h;
	e->scope.nhosts = 1;
	int rc = reserve(r);
	if (rc != 0)
		return rc;
	add_entry(r, e);
	*ret = e;
	return 0;
}

int venue_registry_add_adhoc(struct venue_registry *r, const char *seed, bool allow_private,
			     const struct venue **ret_venue)
{
	if (!r || !seed)
		return ERR_USAGE;
	char *canon = NULL, *id = NULL;
	struct url_parts p;
	int rc = url_resolve(NULL, seed, &canon);
	if (rc == 0 && !split_url(canon, &p))
		rc = ERR_URL;
	if (rc == 0 && !(id = adhoc_id(&p)))
		rc = -ENOMEM;
	struct entry *e = rc == 0 ? find(r, id) : NULL;
	if (e && (!e->adhoc || e->v.allow_private != allow_private))
		rc = ERR_USAGE;
	else if (e)
		rc = adhoc_add_seed(r, e, canon);
	else if (rc == 0)
		rc = adhoc_new(r, id, canon, &p, allow_private, &e);
	if (rc == 0 && ret_venue)
		*ret_venue = &e->v;
	free(id);
	free(canon);
	return rc;
}
