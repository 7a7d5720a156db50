/* SPDX-License-Identifier: MIT */
/* The crawl orchestrator: frontier → fetch → document → rules → store, on one thread.
 *
 * Pages and their hits go to the store in batches, one write transaction per batch_pages pages,
 * so a crash loses at most one batch and the next crawl redoes it (hits are keyed, so redoing
 * never duplicates). A crawl stays on its seed's origin; links elsewhere are only counted.
 */
#include "crawler/crawl.h"

#include "common/buf.h"
#include "common/clock.h"
#include "common/digest.h"
#include "common/err.h"
#include "crawler/crawler_int.h"
#include "crawler/robots.h"
#include "index/store.h"
#include "parsers/doc.h"
#include "parsers/url.h"
#include "rules/rules.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define CRAWL_SNIPPET_CONTEXT 60
#define CRAWL_MAX_MATCH 1024       /* bytes of matched text kept in a hit */
#define CRAWL_MAX_PAGE_HITS 1000   /* hits kept per page; a page cannot flood the store */
#define CRAWL_ROBOTS_HOPS 5        /* redirects followed for robots.txt (RFC 9309 §2.3.1.2) */
#define CRAWL_ROBOTS_UD ((void *)(uintptr_t)UINT32_MAX) /* marks the robots.txt transfer */

struct crawl {
	const struct crawl_opts *o;
	const struct rules_set *rules;
	struct rules_matcher *matcher;
	struct store *store;
	struct store_txn *txn;
	size_t txn_pages;
	struct frontier *frontier;
	struct fetch *fetch;
	char *origin;
	char *seed;        /* canonical; replaced by its target when it redirects */
	bool seed_done;
	struct robots *robots;  /* NULL until robots.txt is known */
	bool robots_pending;    /* its transfer is in flight */
	unsigned robots_hops;
	char robots_why[160];   /* why everything is disallowed, when robots.txt failed */
	int robots_fail;        /* the error a disallowed seed gets: ERR_NET when unreachable */
	crawl_event_fn on_event;
	void *ud;
	struct crawl_stats stats;
	char *err;
	size_t errlen;
};

/* The hits of the page being processed, deduplicated by identity before they reach the store. */
struct page_hits {
	struct crawl *c;
	const struct doc *doc;
	const char *url;
	const char *text;
	size_t len;
	int64_t now;
	size_t count;
	struct buf seen; /* "rule\0match\0" of each hit stored for this page */
};

int crawl_global_init(void)
{
	return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -ENOMEM;
}

void crawl_global_cleanup(void)
{
	curl_global_cleanup();
}

void crawl_opts_default(struct crawl_opts *o)
{
	*o = (struct crawl_opts){
		.venue = "adhoc",
		.user_agent = "patrol/" "0.1" " (+https://github.com/patrol-monitor/patrol)",
		.max_urls = 1000000,
		.connections = 4,
		.connect_timeout_ms = 10000,
		.timeout_ms = 60000,
		.max_body = 10u << 20,
		.batch_pages = 64,
	};
}

const char *crawl_outcome_name(enum crawl_outcome o)
{
	static const char *const names[CRAWL_OUTCOME_COUNT] = {
		"ok", "not_html", "redirect", "http_error", "too_big", "refused", "net_error",
		"robots",
	};
	return o < CRAWL_OUTCOME_COUNT ? names[o] : "unknown";
}

static void crawl_event(struct crawl *c, const char *url, enum crawl_outcome oc, long status,
			const char *detail, size_t hits)
{
	c->stats.outcomes[oc]++;
	if (c->on_event) {
		struct crawl_event ev = {url, oc, status, detail ? detail : "", hits};
		c->on_event(&ev, c->ud);
	}
}

static int crawl_txn(struct crawl *c)
{
	if (c->txn)
		return 0;
	return store_write_begin(c->store, &c->txn);
}

static int crawl_commit(struct crawl *c)
{
	if (!c->txn)
		return 0;
	int rc = store_write_commit(c->txn);
	c->txn = NULL;
	c->txn_pages = 0;
	if (rc)
		snprintf(c->err, c->errlen, "cannot write to the store: %s", err_str(rc));
	return rc;
}

static bool page_hits_dup(struct page_hits *ph, const char *rule, const char *match)
{
	for (size_t off = 0; off < ph->seen.len;) {
		const char *r = ph->seen.data + off;
		const char *m = r + strlen(r) + 1;
		if (strcmp(r, rule) == 0 && strcmp(m, match) == 0)
			return true;
		off = (size_t)(m + strlen(m) + 1 - ph->seen.data);
	}
	return false;
}

static int crawl_on_hit(const struct rules_hit *h, void *ud)
{
	struct page_hits *ph = ud;
	struct crawl *c = ph->c;
	struct rules_info info;
	rules_set_rule(c->rules, h->rule, &info);
	size_t mlen = h->end - h->start < CRAWL_MAX_MATCH ? h->end - h->start : CRAWL_MAX_MATCH;
	char *match = strndup(ph->text + h->start, mlen);
	struct buf snippet;
	buf_init(&snippet, 4096);
	int rc = -ENOMEM;
	if (!match || ph->count >= CRAWL_MAX_PAGE_HITS || page_hits_dup(ph, info.id, match)) {
		rc = match ? 0 : -ENOMEM;
		goto fail;
	}
	if ((rc = rules_snippet(ph->text, ph->len, h->start, h->end, CRAWL_SNIPPET_CONTEXT,
				&snippet)) != 0)
		goto fail;
	struct store_hit sh = {
		.rule = info.id, .pack = info.pack, .category = info.category,
		.severity = info.severity, .venue = c->o->venue, .url = ph->url, .field = h->field,
		.post = -1, .match = match, .snippet = buf_str(&snippet), .status = "new",
	};
	bool fresh = false;
	if ((rc = store_hit_put(c->txn, &sh, ph->now, NULL, &fresh)) != 0)
		goto fail;
	if ((rc = buf_add(&ph->seen, info.id, strlen(info.id) + 1)) != 0 ||
	    (rc = buf_add(&ph->seen, match, strlen(match) + 1)) != 0)
		goto fail;
	ph->count++;
	c->stats.hits++;
	c->stats.hits_new += fresh;
fail:
	free(match);
	buf_done(&snippet);
	return rc;
}

static int crawl_match_field(struct page_hits *ph, const char *field, const char *text)
{
	ph->text = text;
	ph->len = strlen(text);
	int rc = rules_match(ph->c->matcher, field, text, ph->len, crawl_on_hit, ph);
	if (rc == ERR_REGEX)
		snprintf(ph->c->err, ph->c->errlen, "a rule failed to run on %s", ph->url);
	return rc;
}

static int crawl_links(struct crawl *c, const struct doc *d, unsigned depth)
{
	for (size_t i = 0; i < d->nlinks; i++) {
		char *origin = NULL;
		if (url_origin(d->links[i].url, &origin) != 0 || strcmp(origin, c->origin) != 0) {
			c->stats.off_site++;
			free(origin);
			continue;
		}
		free(origin);
		int rc = frontier_push(c->frontier, d->links[i].url, depth + 1, NULL);
		if (rc == ERR_TOO_BIG)
			break; /* the frontier is full: the crawl goes on with what it has */
		if (rc)
			return rc;
	}
	return 0;
}

static bool crawl_is_html(const char *content_type)
{
	size_t n = strcspn(content_type, "; \t");
	return (n == 9 && strncasecmp(content_type, "text/html", 9) == 0) ||
	       (n == 21 && strncasecmp(content_type, "application/xhtml+xml", 21) == 0);
}

static int crawl_store_page(struct crawl *c, const struct fetch_result *r, const struct doc *d,
			    int64_t now)
{
	struct store_page p = {
		.url = r->url, .venue = c->o->venue, .fetched_at = now,
		.status = (int)r->http_status, .content_type = r->content_type,
		.title = d ? d->title : "", .charset = d ? d->encoding : "", .bytes = r->len,
	};
	int rc = digest_sha256(r->body, r->len, p.body_digest);
	if (rc == 0)
		rc = store_page_put(c->txn, &p);
	if (rc == 0)
		c->stats.pages++;
	return rc;
}

/* A 2xx response: parse it when it is HTML, match it, queue its links, store it and its hits. */
static int crawl_page(struct crawl *c, const struct fetch_result *r, unsigned depth)
{
	int64_t now = clock_wall();
	struct doc *d = NULL;
	struct page_hits ph = {.c = c, .url = r->url, .now = now};
	buf_init(&ph.seen, 1u << 20);
	bool html = crawl_is_html(r->content_type);
	int rc = crawl_txn(c);
	if (rc) {
		snprintf(c->err, c->errlen, "cannot write to the store: %s", err_str(rc));
		goto fail;
	}
	if (html) {
		if ((rc = doc_parse(r->body, r->len, r->content_type, r->url, NULL, &d)) != 0) {
			crawl_event(c, r->url, CRAWL_NOT_HTML, r->http_status, err_str(rc), 0);
			rc = 0;
			html = false;
		}
	}
	if (html) {
		ph.doc = d;
		if ((rc = crawl_match_field(&ph, "title", d->title)) != 0 ||
		    (rc = crawl_match_field(&ph, "body", d->body)) != 0 ||
		    (rc = crawl_links(c, d, depth)) != 0)
			goto fail;
	}
	if ((rc = crawl_store_page(c, r, d, now)) != 0) {
		snprintf(c->err, c->errlen, "cannot write to the store: %s", err_str(rc));
		goto fail;
	}
	if (html)
		crawl_event(c, r->url, CRAWL_OK, r->http_status, "", ph.count);
	else
		crawl_event(c, r->url, CRAWL_NOT_HTML, r->http_status, r->content_type, 0);
	if (++c->txn_pages >= c->o->batch_pages)
		rc = crawl_commit(c);
fail:
	buf_done(&ph.seen);
	doc_free(d);
	return rc;
}

static void crawl_seed_failed(struct crawl *c, const struct fetch_result *r, const char *why)
{
	snprintf(c->err, c->errlen, "cannot crawl %s: %s", r->url, why);
}

/* The seed decides whether there is a crawl at all: when it fails, the crawl fails with why. */
static int crawl_check_seed(struct crawl *c, const struct fetch_result *r)
{
	char why[256];
	switch (r->status) {
	case FETCH_FAILED:
	case FETCH_TIMEOUT:
		crawl_seed_failed(c, r, r->error);
		return ERR_NET;
	case FETCH_REFUSED:
		crawl_seed_failed(c, r, "the server's address is private or loopback "
					"(allow it with --allow-private)");
		return ERR_SCOPE;
	case FETCH_TOO_BIG:
		crawl_seed_failed(c, r, "the page is larger than the body limit");
		return ERR_TOO_BIG;
	case FETCH_DONE:
		break;
	}
	if (r->http_status >= 300 && r->http_status < 400)
		return 0; /* the redirect's target becomes the seed */
	if (r->http_status < 200 || r->http_status >= 300) {
		snprintf(why, sizeof(why), "the server answered HTTP %ld", r->http_status);
		crawl_seed_failed(c, r, why);
		return ERR_HTTP;
	}
	if (!crawl_is_html(r->content_type)) {
		snprintf(why, sizeof(why), "not an HTML page (Content-Type: %s)",
			 r->content_type[0] ? r->content_type : "none");
		crawl_seed_failed(c, r, why);
		return ERR_HTTP;
	}
	c->seed_done = true;
	return 0;
}

static int crawl_redirect(struct crawl *c, const struct fetch_result *r, unsigned depth,
			  bool is_seed)
{
	char *target = NULL, *origin = NULL;
	int rc = 0;
	if (!r->location[0] || url_resolve(r->url, r->location, &target) != 0) {
		crawl_event(c, r->url, CRAWL_REDIRECT, r->http_status, "no usable Location", 0);
		goto fail;
	}
	if (url_origin(target, &origin) != 0 || strcmp(origin, c->origin) != 0) {
		c->stats.off_site++;
		crawl_event(c, r->url, CRAWL_REDIRECT, r->http_status, target, 0);
		if (is_seed) {
			snprintf(c->err, c->errlen, "cannot crawl %s: it redirects to another site (%s)",
				 r->url, target);
			rc = ERR_SCOPE;
		}
		goto fail;
	}
	rc = frontier_push(c->frontier, target, depth + 1, NULL);
	crawl_event(c, r->url, CRAWL_REDIRECT, r->http_status, target, 0);
	if (rc == 0 && is_seed) {
		free(c->seed);
		c->seed = target; /* the target is the seed now */
		target = NULL;
	}
fail:
	free(target);
	free(origin);
	return rc == ERR_TOO_BIG ? 0 : rc;
}

/* robots.txt could not be had: RFC 9309 §2.3.1.3-4 says crawl nothing, and try again later. */
static int crawl_robots_unreachable(struct crawl *c, int fail, const char *why)
{
	snprintf(c->robots_why, sizeof(c->robots_why), "robots.txt %s", why);
	c->robots_fail = fail;
	return robots_new_disallow_all(&c->robots);
}

static int crawl_robots_redirect(struct crawl *c, const struct fetch_result *r)
{
	char *target = NULL;
	if (++c->robots_hops > CRAWL_ROBOTS_HOPS || !r->location[0] ||
	    url_resolve(r->url, r->location, &target) != 0)
		return robots_new_allow_all(&c->robots); /* §2.3.1.2: past 5 hops, unavailable */
	int rc = fetch_add(c->fetch, target, NULL, CRAWL_ROBOTS_UD);
	free(target);
	if (rc == 0)
		c->robots_pending = true;
	return rc;
}

/* The answer for robots.txt decides what the whole crawl may fetch (RFC 9309 §2.3.1). */
static int crawl_robots_done(struct crawl *c, const struct fetch_result *r)
{
	char why[128];
	char agent[64];
	c->robots_pending = false;
	switch (r->status) {
	case FETCH_FAILED:
	case FETCH_TIMEOUT:
		snprintf(why, sizeof(why), "is unreachable (%s)", r->error);
		return crawl_robots_unreachable(c, ERR_NET, why);
	case FETCH_REFUSED:
		/* The site's own address is refused: there is nothing this crawl may fetch. */
		snprintf(c->err, c->errlen, "cannot crawl %s: the server's address is private or "
			 "loopback (allow it with --allow-private)", c->origin);
		return ERR_SCOPE;
	case FETCH_TOO_BIG: /* what arrived is more than the 500 KiB a parser must read */
	case FETCH_DONE:
		break;
	}
	long st = r->http_status;
	if (st >= 200 && st < 300) {
		robots_agent_token(c->o->user_agent, agent, sizeof(agent));
		return robots_parse(r->body, r->len, agent, &c->robots);
	}
	if (st >= 300 && st < 400)
		return crawl_robots_redirect(c, r);
	if (st >= 400 && st < 500)
		return robots_new_allow_all(&c->robots); /* "unavailable": no restrictions */
	snprintf(why, sizeof(why), "answered HTTP %ld", st);
	return crawl_robots_unreachable(c, ERR_SCOPE, why);
}

static int crawl_robots_fetch(struct crawl *c)
{
	char url[URL_MAX_LEN + 16];
	snprintf(url, sizeof(url), "%s/robots.txt", c->origin);
	int rc = fetch_add(c->fetch, url, NULL, CRAWL_ROBOTS_UD);
	if (rc == 0)
		c->robots_pending = true;
	return rc;
}

/* False when robots.txt disallows url; the seed being disallowed ends the crawl with why. */
static bool crawl_robots_allow(struct crawl *c, const char *url, int *ret_rc)
{
	bool allowed = false;
	*ret_rc = 0;
	if (robots_allowed_url(c->robots, url, &allowed) == 0 && allowed)
		return true;
	c->stats.robots_blocked++;
	crawl_event(c, url, CRAWL_ROBOTS, 0, c->robots_why, 0);
	if (!c->seed_done && c->seed && strcmp(url, c->seed) == 0) {
		snprintf(c->err, c->errlen, "cannot crawl %s: %s", url,
			 c->robots_why[0] ? c->robots_why : "robots.txt disallows it");
		*ret_rc = c->robots_fail ? c->robots_fail : ERR_SCOPE;
	}
	return false;
}

static int crawl_on_done(struct fetch_result *r, void *ud)
{
	struct crawl *c = ud;
	if (r->ud == CRAWL_ROBOTS_UD)
		return crawl_robots_done(c, r);
	unsigned depth = (unsigned)(uintptr_t)r->ud;
	bool is_seed = !c->seed_done && c->seed && strcmp(r->url, c->seed) == 0;
	c->stats.fetched++;
	c->stats.bytes += r->len;
	int rc = is_seed ? crawl_check_seed(c, r) : 0;
	if (rc)
		return rc;
	switch (r->status) {
	case FETCH_FAILED:
	case FETCH_TIMEOUT:
		crawl_event(c, r->url, CRAWL_NET_ERROR, 0, r->error, 0);
		return 0;
	case FETCH_REFUSED:
		crawl_event(c, r->url, CRAWL_REFUSED, 0, "private or loopback address", 0);
		return 0;
	case FETCH_TOO_BIG:
		crawl_event(c, r->url, CRAWL_TOO_BIG, r->http_status, "body over the limit", 0);
		return 0;
	case FETCH_DONE:
		break;
	}
	if (r->http_status >= 300 && r->http_status < 400)
		return crawl_redirect(c, r, depth, is_seed);
	if (r->http_status < 200 || r->http_status >= 300) {
		crawl_event(c, r->url, CRAWL_HTTP_ERROR, r->http_status, "", 0);
		return 0;
	}
	return crawl_page(c, r, depth);
}

/* Keeps up to `connections` transfers in flight until the frontier and the fetcher are empty or
 * max_pages fetches were started. */
static int crawl_loop(struct crawl *c)
{
	size_t started = 0;
	int rc = crawl_robots_fetch(c);
	if (rc)
		return rc;
	for (;;) {
		while (!c->robots_pending && fetch_in_flight(c->fetch) < c->o->connections &&
		       (!c->o->max_pages || started < c->o->max_pages)) {
			char *url;
			unsigned depth;
			if (frontier_pop(c->frontier, &url, &depth) != 0)
				break;
			if (!crawl_robots_allow(c, url, &rc)) {
				free(url);
				if (rc)
					return rc;
				continue;
			}
			rc = fetch_add(c->fetch, url, NULL, (void *)(uintptr_t)depth);
			free(url);
			if (rc) {
				snprintf(c->err, c->errlen, "cannot start a transfer: %s", err_str(rc));
				return rc;
			}
			started++;
		}
		if (fetch_in_flight(c->fetch) == 0)
			return 0;
		rc = fetch_poll(c->fetch, 1000, crawl_on_done, c);
		if (rc) {
			if (!c->err[0])
				snprintf(c->err, c->errlen, "crawl failed: %s", err_str(rc));
			return rc;
		}
	}
}

static int crawl_setup(struct crawl *c)
{
	const struct crawl_opts *o = c->o;
	int rc = url_resolve(NULL, o->seed, &c->seed);
	if (rc) {
		snprintf(c->err, c->errlen, "invalid seed URL '%s': %s", o->seed, err_str(rc));
		return rc;
	}
	if ((rc = url_origin(c->seed, &c->origin)) != 0 ||
	    (rc = frontier_new(o->max_urls ? o->max_urls : 1, &c->frontier)) != 0 ||
	    (rc = frontier_push(c->frontier, c->seed, 0, NULL)) != 0 ||
	    (rc = rules_matcher_new(c->rules, &c->matcher)) != 0) {
		snprintf(c->err, c->errlen, "cannot start the crawl: %s", err_str(rc));
		return rc;
	}
	struct fetch_opts fo = {
		.user_agent = o->user_agent, .allow_private = o->allow_private,
		.connect_timeout_ms = o->connect_timeout_ms, .timeout_ms = o->timeout_ms,
		.max_body = o->max_body, .connect_to = o->connect_to,
	};
	if ((rc = fetch_new(&fo, &c->fetch)) != 0)
		snprintf(c->err, c->errlen, "cannot start the fetcher: %s", err_str(rc));
	return rc;
}

int crawl_run(const struct crawl_opts *o, const struct rules_set *rules, struct store *store,
	      crawl_event_fn on_event, void *ud, struct crawl_stats *ret_stats, char *err,
	      size_t errlen)
{
	struct crawl c = {
		.o = o, .rules = rules, .store = store, .on_event = on_event, .ud = ud,
		.err = err, .errlen = errlen,
	};
	int64_t start = clock_mono_ms();
	err[0] = '\0';
	int rc = crawl_setup(&c);
	if (rc == 0)
		rc = crawl_loop(&c);
	if (rc == 0)
		rc = crawl_commit(&c);
	store_write_abort(c.txn); /* after a failure: the open batch is lost, as documented */
	fetch_free(c.fetch);
	rules_matcher_free(c.matcher);
	frontier_free(c.frontier);
	robots_free(c.robots);
	free(c.origin);
	free(c.seed);
	c.stats.elapsed_ms = clock_mono_ms() - start;
	if (ret_stats)
		*ret_stats = c.stats;
	return rc;
}
