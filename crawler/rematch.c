/* SPDX-License-Identifier: MIT */
/* patrol rematch: the stored responses the hits name, each run through the crawl's page path
 * again (crawl__work_page) with another rule set, and the hits the store lacks stored as the
 * crawl's writer would store them (crawl__hit_record). First the responses are listed from the
 * hits (one entry per URL and response digest, bounded), then each is read, matched and, when it
 * gave new hits, stored in a write transaction of its own. Single-threaded.
 */
#include "crawler/rematch.h"

#include "common/buf.h"
#include "common/err.h"
#include "crawler/crawler_int.h"
#include "crawler/venue.h"
#include "index/store.h"
#include "parsers/doc.h"
#include "rules/rules.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* One stored response to match: the page it was fetched from and when it was last seen. */
struct rm_entry {
	uint8_t digest[32];
	char *url, *venue;
	int64_t seen;
};

struct rm_list {
	struct rm_entry *e;
	size_t n, cap;
	const char *venue;
};

static void rm_err(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void rm_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	if (err && errlen)
		vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static bool digest_zero(const uint8_t d[32])
{
	static const uint8_t zero[32];
	return memcmp(d, zero, 32) == 0;
}

static int rm_collect(const struct store_hit *h, void *ud)
{
	struct rm_list *l = ud;
	if (digest_zero(h->evidence))
		return 0;
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 256;
		if (l->n >= REMATCH_MAX_RESPONSES * 4)
			return ERR_TOO_BIG; /* hits naming responses; deduplicated below */
		struct rm_entry *e = realloc(l->e, cap * sizeof(*e));
		if (!e)
			return -ENOMEM;
		l->e = e;
		l->cap = cap;
	}
	struct rm_entry *e = &l->e[l->n];
	memcpy(e->digest, h->evidence, 32);
	e->url = strdup(h->url);
	e->venue = strdup(h->venue);
	e->seen = h->last_seen;
	if (!e->url || !e->venue) {
		free(e->url);
		free(e->venue);
		return -ENOMEM;
	}
	l->n++;
	return 0;
}

static int rm_cmp(const void *a, const void *b)
{
	const struct rm_entry *x = a, *y = b;
	int c = strcmp(x->url, y->url);
	return c ? c : memcmp(x->digest, y->digest, 32);
}

static void rm_list_done(struct rm_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->e[i].url);
		free(l->e[i].venue);
	}
	free(l->e);
}

/* Sorts, merges entries of one URL and response (the latest sighting), drops those seen before
 * since. */
static int rm_dedup(struct rm_list *l, int64_t since)
{
	if (l->n)
		qsort(l->e, l->n, sizeof(*l->e), rm_cmp);
	size_t out = 0;
	for (size_t i = 0; i < l->n; i++) {
		struct rm_entry *e = &l->e[i];
		if (out && rm_cmp(&l->e[out - 1], e) == 0) {
			if (e->seen > l->e[out - 1].seen)
				l->e[out - 1].seen = e->seen;
			free(e->url);
			free(e->venue);
			continue;
		}
		l->e[out++] = *e;
	}
	l->n = out;
	out = 0;
	for (size_t i = 0; i < l->n; i++) {
		if (l->e[i].seen >= since) {
			l->e[out++] = l->e[i];
		} else {
			free(l->e[i].url);
			free(l->e[i].venue);
		}
	}
	l->n = out;
	return l->n > REMATCH_MAX_RESPONSES ? ERR_TOO_BIG : 0;
}

/* The value of header name in the head (status line and header lines), malloc'd; "" when
 * absent. */
static char *rm_header(const char *head, size_t len, const char *name)
{
	size_t nl = strlen(name);
	for (size_t off = 0; off < len;) {
		const char *line = head + off, *end = memchr(line, '\n', len - off);
		size_t ll = end ? (size_t)(end - line) : len - off;
		off += ll + 1;
		if (ll > nl && strncasecmp(line, name, nl) == 0 && line[nl] == ':') {
			const char *v = line + nl + 1;
			size_t vl = ll - nl - 1;
			while (vl && (*v == ' ' || *v == '\t'))
				v++, vl--;
			while (vl && (v[vl - 1] == '\r' || v[vl - 1] == ' ' || v[vl - 1] == '\t'))
				vl--;
			return strndup(v, vl);
		}
	}
	return strdup("");
}

/* The job a fetch of e would have made, from its stored response raw[0..len) (taken). */
static int rm_job(const struct rm_entry *e, char *raw, size_t len, struct job **ret)
{
	char *sep = memmem(raw, len, "\r\n\r\n", 4);
	size_t head_len = sep ? (size_t)(sep - raw) + 4 : 0;
	struct job *j = calloc(1, sizeof(*j));
	if (!j) {
		free(raw);
		return -ENOMEM;
	}
	j->kind = JOB_PAGE;
	j->url = strdup(e->url);
	j->content_type = rm_header(raw, head_len, "Content-Type");
	j->x_robots_tag = rm_header(raw, head_len, "X-Robots-Tag");
	j->at = e->seen;
	j->status = 200;
	memmove(raw, raw + head_len, len - head_len);
	raw[len - head_len] = '\0';
	j->body = raw;
	j->len = len - head_len;
	buf_init(&j->links, 0); /* links are not queued: none kept */
	if (!j->url || !j->content_type || !j->x_robots_tag) {
		job_free(j);
		return -ENOMEM;
	}
	*ret = j;
	return 0;
}

struct rm_ctx {
	const struct rematch_opts *o;
	const struct rules_set *rules;
	struct store *s;
	struct rules_matcher *m;
	struct crawl c;
	struct crawl_venue cv;
	struct rematch_report *rep;
};

/* The venue of a response: the registry's, or an adhoc one added for it. */
static const struct venue *rm_venue(struct rm_ctx *x, const struct rm_entry *e)
{
	const struct venue *v = venue_registry_find(x->o->registry, e->venue);
	if (v || strncmp(e->venue, "adhoc-", 6) != 0)
		return v;
	if (venue_registry_add_adhoc(x->o->registry, e->url, true, &v) != 0)
		return NULL;
	return strcmp(v->id, e->venue) == 0 ? v : NULL;
}

/* The hits of j the store lacks: reported, and stored unless a dry run. */
static int rm_store(struct rm_ctx *x, const struct rm_entry *e, struct job *j)
{
	struct store_txn *txn = NULL;
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < j->nhits; i++) {
		struct store_hit h;
		crawl__hit_record(j, i, x->rules, x->cv.v, &h);
		memcpy(h.evidence, e->digest, 32);
		x->rep->hits++;
		rc = store_hit_find(x->s, h.rule, h.url, h.match, NULL);
		if (rc != ERR_NOT_FOUND)
			continue;
		rc = 0;
		if (!x->o->dry_run && !txn)
			rc = store_write_begin(x->s, &txn);
		if (!rc && !x->o->dry_run)
			rc = store_hit_put(txn, &h, e->seen, &h.id, NULL);
		h.first_seen = h.last_seen = e->seen;
		h.count = 1;
		if (!rc && x->o->on_hit)
			rc = x->o->on_hit(&h, x->o->ud);
		x->rep->hits_new += rc == 0;
	}
	if (!txn)
		return rc;
	if (rc) {
		store_write_abort(txn);
		return rc;
	}
	return store_write_commit(txn);
}

static int rm_one(struct rm_ctx *x, const struct rm_entry *e, char *err, size_t errlen)
{
	x->cv.v = rm_venue(x, e);
	if (!x->cv.v) {
		x->rep->skipped++;
		return 0;
	}
	char *raw = NULL;
	size_t len = 0;
	struct job *j = NULL;
	int rc = store_evidence_get(x->s, e->digest, &raw, &len);
	if (rc == ERR_NOT_FOUND) /* purged meanwhile */
		return 0;
	if (!rc)
		rc = rm_job(e, raw, len, &j);
	if (rc) {
		rm_err(err, errlen, "cannot read the stored response of %s: %s", e->url,
		       err_str(rc));
		return rc;
	}
	rc = crawl__work_page(&x->c, x->m, j);
	if (rc == ERR_REGEX) {
		x->rep->rule_errors++;
		rc = 0;
	}
	x->rep->responses++;
	if (!rc)
		rc = rm_store(x, e, j);
	if (rc)
		rm_err(err, errlen, "cannot re-match %s: %s", e->url, err_str(rc));
	job_free(j);
	return rc;
}

static int rm_list_make(const struct rematch_opts *o, struct store *s, struct rm_list *l,
			char *err, size_t errlen)
{
	struct store_hit_query q;
	store_hit_query_init(&q);
	q.venue = o->venue;
	int rc = store_hits_query(s, &q, rm_collect, l);
	if (!rc)
		rc = rm_dedup(l, o->since);
	if (rc == ERR_TOO_BIG)
		rm_err(err, errlen, "more than %u stored responses: narrow with --venue or --since",
		       REMATCH_MAX_RESPONSES);
	else if (rc)
		rm_err(err, errlen, "cannot list the stored responses: %s", err_str(rc));
	return rc;
}

int rematch_run(const struct rematch_opts *o, const struct rules_set *rules, struct store *s,
		struct rematch_report *ret, char *err, size_t errlen)
{
	struct rematch_report rep = {0};
	struct rm_list l = {0};
	struct rm_ctx x = {.o = o, .rules = rules, .s = s, .rep = &rep};
	if (!o || !o->registry || !rules || !s)
		return ERR_USAGE;
	x.c.set = venue_registry_settings(o->registry);
	doc_limits_default(&x.c.doc_limits);
	x.c.doc_limits.max_links = x.c.set->max_links;
	x.c.venues = &x.cv;
	x.c.nvenues = 1;
	int rc = rules_matcher_new(rules, &x.m);
	if (rc)
		rm_err(err, errlen, "cannot start matching: %s", err_str(rc));
	if (!rc)
		rc = rm_list_make(o, s, &l, err, errlen);
	for (size_t i = 0; rc == 0 && i < l.n; i++)
		rc = rm_one(&x, &l.e[i], err, errlen);
	rules_matcher_free(x.m);
	rm_list_done(&l);
	if (ret)
		*ret = rep;
	return rc;
}
