/* SPDX-License-Identifier: MIT */
/* The crawl orchestrator, and its scheduler thread: which URL may be fetched next.
 *
 * Threads (DESIGN.md §1): this thread owns the curl multi handle and the per-host politeness
 * table, takes URLs from the store's frontier host by host, and hands 2xx responses to the
 * workers (work.c); workers parse and match; one writer thread (work.c) writes everything to the
 * store. The queues between them are bounded. Memory grows with the hosts, not with the URLs:
 * the frontier lives in LMDB, and a crash loses at most the writer's open batch, whose URLs are
 * still leased in the frontier and are fetched again by the next crawl (which resumes).
 */
#include "crawler/crawl.h"

#include "common/buf.h"
#include "common/clock.h"
#include "common/err.h"
#include "crawler/crawler_int.h"
#include "crawler/robots.h"
#include "crawler/venue.h"
#include "index/store.h"
#include "parsers/doc.h"
#include "parsers/sitemap.h"
#include "parsers/url.h"
#include "rules/rules.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

#define CRAWL_ROBOTS_HOPS 5      /* redirects followed for robots.txt (RFC 9309 §2.3.1.2) */
#define CRAWL_MAX_BACKOFFS 6     /* 429/503 answers in a row before a host's URL is given up */
#define CRAWL_REFRESH_MS 500     /* how often idle hosts are recounted from the frontier */
#define CRAWL_MAX_SITEMAPS 50    /* sitemap files fetched per host and run */
#define CRAWL_PENDING 8          /* URLs taken ahead per host connection: one commit serves many */

enum xfer_kind { XFER_PAGE, XFER_ROBOTS, XFER_SITEMAP };

/* What a transfer is for; travels as its ud. */
struct xfer_ctx {
	struct xfer_ctx *next; /* in its host's pending list */
	enum xfer_kind kind;
	struct host *h;
	struct store_frontier_item item; /* XFER_PAGE */
	size_t venue;
	bool old_digest_known;           /* the last visit's body digest, to skip re-matching */
	uint8_t old_digest[32];
	int64_t taken_ms;                /* when it was taken from the frontier (monotonic) */
};

int crawl_global_init(void)
{
	sitemap_global_init(); /* libxml2's own, not thread-safe when done lazily */
	return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -ENOMEM;
}

void crawl_global_cleanup(void)
{
	curl_global_cleanup();
}

void crawl_opts_default(struct crawl_opts *o)
{
	*o = (struct crawl_opts){.batch_pages = 64};
}

const char *crawl_outcome_name(enum crawl_outcome o)
{
	static const char *const names[CRAWL_OUTCOME_COUNT] = {
		[CRAWL_OK] = "ok",
		[CRAWL_NOT_HTML] = "not_html",
		[CRAWL_REDIRECT] = "redirect",
		[CRAWL_HTTP_ERROR] = "http_error",
		[CRAWL_TOO_BIG] = "too_big",
		[CRAWL_REFUSED] = "refused",
		[CRAWL_NET_ERROR] = "net_error",
		[CRAWL_ROBOTS] = "robots",
		[CRAWL_TIMEOUT] = "timeout",
		[CRAWL_NOT_MODIFIED] = "not_modified",
		[CRAWL_NOINDEX] = "noindex",
		[CRAWL_BACKOFF] = "backoff",
		[CRAWL_REDIRECT_LIMIT] = "redirect_limit",
		[CRAWL_OFF_VENUE] = "off_venue",
	};
	return o < CRAWL_OUTCOME_COUNT ? names[o] : "unknown";
}

void crawl__fail(struct crawl *c, int rc, const char *fmt, ...)
{
	pthread_mutex_lock(&c->err_lock);
	if (!c->fatal) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(c->err, c->errlen, fmt, ap);
		va_end(ap);
		c->fatal = rc ? rc : ERR_INTERNAL;
	}
	pthread_mutex_unlock(&c->err_lock);
}

size_t crawl__venue_index(const struct crawl *c, const struct venue *v)
{
	for (size_t i = 0; i < c->nvenues; i++)
		if (c->venues[i].v == v)
			return i;
	return 0;
}

void crawl__event(struct crawl *c, const struct job *j, size_t hits)
{
	if (!c->o->on_event)
		return;
	static const bool error[CRAWL_OUTCOME_COUNT] = {
		[CRAWL_HTTP_ERROR] = true, [CRAWL_TOO_BIG] = true, [CRAWL_REFUSED] = true,
		[CRAWL_NET_ERROR] = true, [CRAWL_TIMEOUT] = true, [CRAWL_REDIRECT_LIMIT] = true,
	};
	c->done++;
	c->hits += hits;
	c->errors += error[j->outcome];
	struct crawl_hit_ref *refs = j->nhits && j->rules ? calloc(j->nhits, sizeof(*refs)) : NULL;
	for (size_t i = 0; refs && i < j->nhits; i++) {
		struct rules_info info;
		rules_set_rule(j->rules->ro, j->hits[i].rule, &info);
		refs[i] = (struct crawl_hit_ref){info.id, info.severity};
	}
	struct crawl_event ev = {
		.venue = c->venues[j->venue].v->id, .url = j->url, .outcome = j->outcome,
		.status = j->status, .detail = j->detail ? j->detail : "", .hits = hits,
		.done = c->done, .hits_total = c->hits, .errors = c->errors,
		.in_flight = c->in_flight, .queued = c->queued,
		.elapsed_ms = clock_mono_ms() - c->start_ms,
		.hit_refs = refs, .nhit_refs = refs ? j->nhits : 0,
	};
	pthread_mutex_lock(&c->event_lock);
	c->o->on_event(&ev, c->o->ud);
	pthread_mutex_unlock(&c->event_lock);
	free(refs);
}

int crawl__in_scope(const struct venue *v, const char *url, bool *ret_in)
{
	enum venue_verdict verdict = venue_scope_check(v, url);
	if (verdict == VENUE_CHECK_FAILED)
		return -ENOMEM;
	*ret_in = verdict == VENUE_IN_SCOPE;
	return 0;
}

int crawl__host_key(const char *url, char **ret_key)
{
	return url_origin(url, ret_key);
}

static bool crawl_wanted(const struct crawl_opts *o, const struct venue *v);

/* --- jobs the scheduler makes --- */

static struct job *sched_job(enum job_kind kind, size_t venue, const char *url, const char *host)
{
	struct job *j = calloc(1, sizeof(*j));
	if (!j || !(j->url = strdup(url ? url : "")) || !(j->host = strdup(host ? host : ""))) {
		job_free(j);
		return NULL;
	}
	j->kind = kind;
	j->venue = venue;
	j->at = clock_wall();
	buf_init(&j->links, WORK_LINKS_MAX);
	return j;
}

/* Hands j to the writer (or, for pages, to the workers); the crawl counts it until committed. */
static int sched_send(struct crawl *c, struct job *j)
{
	if (!j) {
		crawl__fail(c, -ENOMEM, "out of memory");
		return -ENOMEM;
	}
	c->jobs_open++;
	int rc = queue_push(j->kind == JOB_PAGE ? &c->work : &c->write, j);
	if (rc) {
		c->jobs_open--;
		job_free(j);
	}
	return rc;
}

/* The first seed's fate decides the error of a crawl that could crawl nothing. */
static void sched_seed_outcome(struct crawl *c, const char *url, enum crawl_outcome oc,
			       const char *detail)
{
	static const int codes[CRAWL_OUTCOME_COUNT] = {
		[CRAWL_NOT_HTML] = ERR_HTTP, [CRAWL_HTTP_ERROR] = ERR_HTTP, [CRAWL_TOO_BIG] = ERR_TOO_BIG,
		[CRAWL_REFUSED] = ERR_SCOPE, [CRAWL_NET_ERROR] = ERR_NET, [CRAWL_ROBOTS] = ERR_SCOPE,
		[CRAWL_TIMEOUT] = ERR_NET, [CRAWL_REDIRECT_LIMIT] = ERR_HTTP,
		[CRAWL_OFF_VENUE] = ERR_SCOPE,
	};
	if (!c->seed_url || strcmp(url, c->seed_url) != 0 || c->seed_fail || !codes[oc])
		return;
	c->seed_fail = codes[oc];
	snprintf(c->seed_why, sizeof(c->seed_why), "%s", detail);
}

static int sched_done(struct crawl *c, struct xfer_ctx *x, enum crawl_outcome oc, long status,
		      const char *detail)
{
	char why[256];
	if (oc == CRAWL_HTTP_ERROR && status)
		snprintf(why, sizeof(why), "the server answered HTTP %ld", status);
	else if (oc == CRAWL_OFF_VENUE)
		snprintf(why, sizeof(why), "it redirects out of the venue (%s)", detail);
	else
		snprintf(why, sizeof(why), "%s", detail && detail[0] ? detail : crawl_outcome_name(oc));
	sched_seed_outcome(c, x->item.url, oc, why);
	struct job *j = sched_job(JOB_DONE, x->venue, x->item.url, x->h->key);
	if (j) {
		j->outcome = oc;
		j->status = status;
		j->depth = x->item.depth;
		j->hops = x->item.hops;
		if (detail && detail[0] && !(j->detail = strdup(detail))) {
			job_free(j);
			j = NULL;
		}
	}
	return sched_send(c, j);
}

/* --- robots.txt, per host --- */

/* Starts a transfer of the host's own (robots.txt, a sitemap): it counts for politeness. */
static int sched_host_fetch(struct crawl *c, struct host *h, const char *url, enum xfer_kind kind)
{
	struct xfer_ctx *x = calloc(1, sizeof(*x));
	if (!x)
		return -ENOMEM;
	x->kind = kind;
	x->h = h;
	x->venue = crawl__venue_index(c, h->venue);
	struct fetch_req req = {.allow_private = h->venue->allow_private};
	int rc = fetch_add(c->fetch, url, &req, x);
	if (rc) {
		free(x);
		return rc;
	}
	host_started(h, clock_mono_ms(), c->set->crawl_delay_cap_ms);
	return 0;
}

static int sched_robots_fetch(struct crawl *c, struct host *h, const char *url)
{
	int rc = sched_host_fetch(c, h, url, XFER_ROBOTS);
	if (rc == 0)
		h->robots_state = HOST_ROBOTS_FETCHING;
	return rc;
}

static void sched_robots_failed(struct host *h, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void sched_robots_failed(struct host *h, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(h->robots_why, sizeof(h->robots_why), fmt, ap);
	va_end(ap);
	h->robots_state = HOST_ROBOTS_FAILED;
}

static int sched_robots_parse(struct crawl *c, struct host *h, const char *body, size_t len,
			      long status)
{
	char agent[64];
	robots_agent_token(c->set->user_agent, agent, sizeof(agent));
	int rc = status >= 200 && status < 300 ? robots_parse(body, len, agent, &h->robots)
					       : robots_new_allow_all(&h->robots);
	if (rc == 0)
		h->robots_state = HOST_ROBOTS_READY;
	return rc;
}

/* The answer for robots.txt decides what may be fetched from the host (RFC 9309 §2.3.1). */
static int sched_robots_done(struct crawl *c, struct xfer_ctx *x, struct fetch_result *r)
{
	struct host *h = x->h;
	long st = r->http_status;
	if (r->status == FETCH_REFUSED) {
		sched_robots_failed(h, "the server's address is private or loopback (a venue allows "
				       "it with allow_private_addresses)");
		return 0;
	}
	if (r->status == FETCH_FAILED || r->status == FETCH_TIMEOUT) {
		sched_robots_failed(h, "robots.txt is unreachable (%s)", r->error);
		return 0;
	}
	if (st >= 300 && st < 400) {
		char *target = NULL;
		if (++h->robots_hops <= CRAWL_ROBOTS_HOPS && r->location[0] &&
		    url_resolve(r->url, r->location, &target) == 0) {
			int rc = sched_robots_fetch(c, h, target);
			free(target);
			return rc;
		}
		st = 404; /* §2.3.1.2: past 5 hops, robots.txt is unavailable */
	}
	if (st >= 500 || st < 200) {
		sched_robots_failed(h, "robots.txt answered HTTP %ld", st);
		return 0;
	}
	int rc = sched_robots_parse(c, h, r->body, r->len, st);
	if (rc)
		return rc;
	struct job *j = sched_job(JOB_ROBOTS, x->venue, r->url, h->key);
	if (j) {
		j->status = st;
		j->len = r->len;
		j->body = fetch_result_take_body(r);
		if (!j->body) {
			job_free(j);
			j = NULL;
		}
	}
	return sched_send(c, j);
}

/* Asks the store's cache first: a fresh answer saves a request (and a restart refetches none). */
static int sched_robots(struct crawl *c, struct host *h)
{
	int64_t at;
	int status;
	char *body = NULL;
	size_t len;
	if (store_robots_get(c->store, h->key, &at, &status, &body, &len) == 0 &&
	    clock_wall() - at < c->set->robots_ttl_s) {
		int rc = sched_robots_parse(c, h, body, len, status);
		free(body);
		return rc;
	}
	free(body);
	char url[URL_MAX_LEN + 16];
	snprintf(url, sizeof(url), "%s/robots.txt", h->key);
	return sched_robots_fetch(c, h, url);
}

/* --- sitemaps --- */

static int sched_sitemap_fetch(struct crawl *c, struct host *h, const char *url)
{
	if (h->sitemaps_fetched >= CRAWL_MAX_SITEMAPS)
		return 0;
	int rc = sched_host_fetch(c, h, url, XFER_SITEMAP);
	if (rc == 0)
		h->sitemaps_fetched++;
	return rc;
}

/* Sitemaps named by robots.txt on the host itself, and /sitemap.xml. */
static int sched_sitemaps(struct crawl *c, struct host *h)
{
	h->sitemaps_done = true;
	if (!h->venue->sitemaps || !h->robots)
		return 0;
	char url[URL_MAX_LEN + 16];
	snprintf(url, sizeof(url), "%s/sitemap.xml", h->key);
	int rc = sched_sitemap_fetch(c, h, url);
	for (size_t i = 0; rc == 0 && i < robots_sitemap_count(h->robots); i++) {
		char *origin = NULL;
		const char *sm = robots_sitemap(h->robots, i);
		if (url_origin(sm, &origin) == 0 && strcmp(origin, h->key) == 0 &&
		    strcmp(sm, url) != 0)
			rc = sched_sitemap_fetch(c, h, sm);
		free(origin);
	}
	return rc;
}

/* A sitemap URL whose lastmod is at most this old (or in the future) is taken before the
 * sitemap's other URLs, which are still taken before links (docs/venues.md, Sitemaps). */
#define CRAWL_SITEMAP_RECENT_S (7 * 86400)

struct sitemap_ctx {
	struct crawl *c;
	struct host *h;
	struct job *recent, *other; /* URLs to queue: modified lately, and the rest */
	int64_t now;
	int rc;
};

/* Pages join the frontier; the sitemaps an index lists are fetched in turn (up to a cap). */
static int sched_sitemap_entry(const struct sitemap_entry *e, void *ud)
{
	struct sitemap_ctx *s = ud;
	char *origin = NULL;
	int rc = url_origin(e->loc, &origin);
	bool same = rc == 0 && strcmp(origin, s->h->key) == 0;
	free(origin);
	if (!same)
		return 0; /* a sitemap speaks for its own host only (sitemaps.org) */
	if (e->kind == SITEMAP_INDEX) {
		s->rc = sched_sitemap_fetch(s->c, s->h, e->loc);
		return s->rc;
	}
	bool in = false;
	s->rc = crawl__in_scope(s->h->venue, e->loc, &in);
	bool recent = e->lastmod && s->now - e->lastmod <= CRAWL_SITEMAP_RECENT_S;
	struct job *push = recent ? s->recent : s->other;
	if (in)
		buf_add(&push->links, e->loc, strlen(e->loc) + 1); /* past the cap: dropped */
	return s->rc;
}

static struct job *sched_sitemap_job(struct xfer_ctx *x, const char *url, uint8_t priority)
{
	struct job *j = sched_job(JOB_PUSH, x->venue, url, x->h->key);
	if (j)
		j->links_priority = priority;
	return j;
}

/* Queues j's URLs, or frees it when it has none. */
static int sched_send_links(struct crawl *c, struct job *j)
{
	if (j->links.len)
		return sched_send(c, j);
	job_free(j);
	return 0;
}

/* The recent URLs go first, in a job of their own: should the frontier be read between the two
 * commits, it has them already. */
static int sched_sitemap_done(struct crawl *c, struct xfer_ctx *x, struct fetch_result *r)
{
	if (r->status != FETCH_DONE || r->http_status < 200 || r->http_status >= 300)
		return 0; /* no sitemap is no problem */
	struct sitemap_ctx s = {
		c, x->h, sched_sitemap_job(x, r->url, STORE_PRIO_SITEMAP_RECENT),
		sched_sitemap_job(x, r->url, STORE_PRIO_SITEMAP), clock_wall(), 0,
	};
	if (!s.recent || !s.other) {
		job_free(s.recent);
		job_free(s.other);
		return sched_send(c, NULL);
	}
	int rc = sitemap_parse(r->body, r->len, r->url, NULL, sched_sitemap_entry, &s, NULL);
	if (s.rc || (rc && rc != ERR_TOO_BIG && rc != ERR_PARSE)) {
		job_free(s.recent);
		job_free(s.other);
		return s.rc ? s.rc : rc; /* a broken or oversized sitemap is only a lost hint */
	}
	rc = sched_send_links(c, s.recent);
	if (rc) {
		job_free(s.other);
		return rc;
	}
	return sched_send_links(c, s.other);
}

/* --- pages --- */

static bool sched_venue_full(const struct crawl *c, size_t venue)
{
	const struct venue *v = c->venues[venue].v;
	return v->max_pages && c->venues[venue].started >= v->max_pages;
}

static int sched_page_fetch(struct crawl *c, struct host *h, struct xfer_ctx *x)
{
	struct store_fetch_state st;
	struct fetch_req req = {.allow_private = h->venue->allow_private};
	if (store_fetch_state_get(c->store, x->item.url, &st) == 0) {
		req.etag = st.etag;
		req.last_modified = st.last_modified;
		x->old_digest_known = st.has_digest;
		memcpy(x->old_digest, st.digest, 32);
	}
	crawl__trim_map(c);
	int rc = fetch_add(c->fetch, x->item.url, &req, x);
	if (rc)
		return rc;
	/* The crawler queues nothing with a due time, so from its take to now the URL waited
	 * only for its host: the delay, Crawl-delay, back-off or its connections. */
	int64_t now = clock_mono_ms();
	c->venues[x->venue].wait_ms += now > x->taken_ms ? now - x->taken_ms : 0;
	host_started(h, now, c->set->crawl_delay_cap_ms);
	c->venues[x->venue].started++;
	c->fetches++;
	return 0;
}

/* Starts the host's pending URL, or finishes it at once when robots.txt disallows it. */
static int sched_page(struct crawl *c, struct host *h)
{
	struct xfer_ctx *x = h->pending;
	bool allowed = false;
	int rc = robots_allowed_url(h->robots, x->item.url, &allowed);
	h->pending = x->next;
	if (!h->pending)
		h->pending_tail = NULL;
	h->npending--;
	if (rc == 0 && !allowed) {
		rc = sched_done(c, x, CRAWL_ROBOTS, 0, "robots.txt disallows it");
		store_frontier_item_done(&x->item);
		free(x);
		return rc;
	}
	if (rc == 0)
		rc = sched_page_fetch(c, h, x);
	if (rc) {
		store_frontier_item_done(&x->item);
		free(x);
	}
	return rc;
}

/* Takes the host's next URL from the frontier onto h->pending, in the caller's transaction.
 * ERR_NOT_FOUND when its queue is empty. */
static int sched_take(struct crawl *c, struct store_txn *txn, struct host *h)
{
	struct xfer_ctx *x = calloc(1, sizeof(*x));
	if (!x)
		return -ENOMEM;
	int rc = store_frontier_take(txn, h->key, &x->item);
	crawl__trim_map(c); /* a take reads a page of seen */
	if (rc) {
		free(x);
		return rc;
	}
	const struct venue *v = venue_registry_find(c->reg, x->item.venue);
	x->kind = XFER_PAGE;
	x->h = h;
	x->taken_ms = clock_mono_ms();
	bool in = false;
	if (v && (rc = crawl__in_scope(v, x->item.url, &in)) != 0) {
		store_frontier_item_done(&x->item);
		free(x);
		return rc;
	}
	if (!v || !crawl_wanted(c->o, v) || !in) {
		/* Queued for a venue this crawl does not have (removed from the registry, or not
		 * asked for), or out of its scope now: not fetched under anyone else's rules. A
		 * removed venue has no stats to count it in: the run counts it apart. */
		x->venue = v ? crawl__venue_index(c, v) : CRAWL_NO_VENUE;
		rc = v ? sched_done(c, x, CRAWL_OFF_VENUE, 0, "out of its venue")
		       : sched_send(c, sched_job(JOB_DONE, CRAWL_NO_VENUE, x->item.url, h->key));
		store_frontier_item_done(&x->item);
		free(x);
		return rc;
	}
	x->h = h;
	x->venue = crawl__venue_index(c, v);
	if (!h->venue) {
		h->venue = v;
		h->delay_ms = v->delay_ms;
		h->connections = v->host_connections ? v->host_connections : 1;
	}
	if (h->pending_tail)
		h->pending_tail->next = x;
	else
		h->pending = x;
	h->pending_tail = x;
	h->npending++;
	h->queued = h->queued ? h->queued - 1 : 0;
	return 0;
}

/* Tops up every host's pending URLs from the frontier, all in one write transaction: a commit
 * is a disk sync, far too dear to spend on each URL. */
static int sched_fill(struct crawl *c)
{
	struct store_txn *txn = NULL;
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < c->hosts.nslots; i++) {
		struct host *h = c->hosts.slots[i];
		if (!h || !h->queued || h->robots_state == HOST_ROBOTS_FAILED)
			continue;
		unsigned want = (h->connections ? h->connections : 1) * CRAWL_PENDING;
		while (rc == 0 && h->queued && h->npending < want) {
			if (!txn && (rc = store_write_begin(c->store, &txn)) != 0)
				break;
			rc = sched_take(c, txn, h);
			if (rc == ERR_NOT_FOUND) {
				h->queued = 0;
				rc = 0;
			}
		}
	}
	if (!txn)
		return rc;
	if (rc) {
		store_write_abort(txn);
		return rc;
	}
	return store_write_commit_lazy(txn); /* taking again after a system crash is harmless */
}

/* A redirect: its target joins the frontier when it is inside the venue and the chain is short
 * enough; robots.txt and the address guard check it again when it is fetched. */
static int sched_redirect(struct crawl *c, struct xfer_ctx *x, struct fetch_result *r)
{
	const struct venue *v = c->venues[x->venue].v;
	char *target = NULL;
	struct url_opts uo = {c->set->session_params, c->set->nsession_params};
	if (!r->location[0] || url_resolve_opts(r->url, r->location, &uo, &target) != 0)
		return sched_done(c, x, CRAWL_REDIRECT, r->http_status, "no usable Location");
	bool in = false;
	int rc = crawl__in_scope(v, target, &in);
	if (rc) {
		free(target);
		return rc;
	}
	if (x->item.hops + 1u > c->set->max_redirects) {
		rc = sched_done(c, x, CRAWL_REDIRECT_LIMIT, r->http_status, target);
	} else if (!in) {
		rc = sched_done(c, x, CRAWL_OFF_VENUE, r->http_status, target);
	} else {
		struct job *j = sched_job(JOB_DONE, x->venue, x->item.url, x->h->key);
		if (j) {
			j->outcome = CRAWL_REDIRECT;
			j->status = r->http_status;
			j->depth = x->item.depth;
			j->hops = x->item.hops;
			j->links_priority = STORE_PRIO_REDIRECT;
			if (buf_add(&j->links, target, strlen(target) + 1) != 0 ||
			    !(j->detail = strdup(target))) {
				job_free(j);
				j = NULL;
			}
		}
		rc = sched_send(c, j);
		if (c->seed_url && strcmp(x->item.url, c->seed_url) == 0) {
			free(c->seed_url); /* the target is the seed now */
			c->seed_url = target;
			target = NULL;
		}
	}
	free(target);
	return rc;
}

static int sched_back_off(struct crawl *c, struct xfer_ctx *x, struct fetch_result *r)
{
	host_back_off(x->h, clock_mono_ms(), r->retry_after_s);
	if (x->h->backoffs > CRAWL_MAX_BACKOFFS)
		return sched_done(c, x, CRAWL_HTTP_ERROR, r->http_status, "the host keeps refusing");
	struct job *j = sched_job(JOB_REQUEUE, x->venue, x->item.url, x->h->key);
	if (j) {
		j->status = r->http_status;
		j->depth = x->item.depth;
		j->priority = x->item.priority;
		j->hops = x->item.hops;
	}
	return sched_send(c, j);
}

static int sched_page_response(struct crawl *c, struct xfer_ctx *x, struct fetch_result *r)
{
	long st = r->http_status;
	if (st == 429 || st == 503)
		return sched_back_off(c, x, r);
	host_answered(x->h);
	if (st >= 300 && st < 400 && st != 304)
		return sched_redirect(c, x, r);
	if (st == 304)
		return sched_done(c, x, CRAWL_NOT_MODIFIED, st, "");
	if (st < 200 || st >= 300)
		return sched_done(c, x, CRAWL_HTTP_ERROR, st, "");
	if (!crawl__is_html(r->content_type)) {
		char why[192];
		snprintf(why, sizeof(why), "not an HTML page (Content-Type: %s)",
			 r->content_type[0] ? r->content_type : "none");
		sched_seed_outcome(c, x->item.url, CRAWL_NOT_HTML, why);
	}
	struct job *j = sched_job(JOB_PAGE, x->venue, x->item.url, x->h->key);
	if (!j)
		return sched_send(c, NULL);
	j->status = st;
	j->depth = x->item.depth;
	j->len = r->len;
	j->old_digest_known = x->old_digest_known;
	memcpy(j->old_digest, x->old_digest, 32);
	j->body = fetch_result_take_body(r);
	j->head = fetch_result_take_head(r, &j->head_len);
	j->content_type = strdup(r->content_type);
	j->etag = strdup(r->etag);
	j->last_modified = strdup(r->last_modified);
	j->x_robots_tag = strdup(r->x_robots_tag);
	if (!j->body || !j->head || !j->content_type || !j->etag || !j->last_modified ||
	    !j->x_robots_tag) {
		job_free(j);
		j = NULL;
	}
	return sched_send(c, j);
}

static int sched_page_done(struct crawl *c, struct xfer_ctx *x, struct fetch_result *r)
{
	switch (r->status) {
	case FETCH_FAILED:
		return sched_done(c, x, CRAWL_NET_ERROR, 0, r->error);
	case FETCH_TIMEOUT:
		return sched_done(c, x, CRAWL_TIMEOUT, r->http_status, r->error);
	case FETCH_REFUSED:
		return sched_done(c, x, CRAWL_REFUSED, 0, "private or loopback address");
	case FETCH_TOO_BIG:
		return sched_done(c, x, CRAWL_TOO_BIG, r->http_status, "body over the limit");
	case FETCH_DONE:
		break;
	}
	return sched_page_response(c, x, r);
}

static int sched_on_done(struct fetch_result *r, void *ud)
{
	struct crawl *c = ud;
	struct xfer_ctx *x = r->ud;
	int rc;
	host_finished(x->h, clock_mono_ms(), c->set->crawl_delay_cap_ms);
	switch (x->kind) {
	case XFER_ROBOTS:
		rc = sched_robots_done(c, x, r);
		break;
	case XFER_SITEMAP:
		rc = sched_sitemap_done(c, x, r);
		break;
	default:
		rc = sched_page_done(c, x, r);
		store_frontier_item_done(&x->item);
		break;
	}
	free(x);
	if (rc && rc != ERR_USAGE)
		crawl__fail(c, rc, "crawl failed: %s", err_str(rc));
	return 0;
}

/* --- the scheduler loop --- */

/* True when a venue this crawl was asked for covers the host (key is an origin). Other hosts'
 * URLs stay queued for the crawls of their own venues. */
static bool sched_host_wanted(const struct crawl *c, const char *key)
{
	char url[STORE_HOST_MAX + 16];
	snprintf(url, sizeof(url), "%s/", key);
	for (size_t i = 0; i < c->nvenues; i++)
		if (crawl_wanted(c->o, c->venues[i].v) &&
		    venue_scope_check(c->venues[i].v, url) != VENUE_OFF_HOST)
			return true;
	return false;
}

static int sched_count_host(const char *key, uint64_t queued, void *ud)
{
	struct crawl *c = ud;
	struct host *h;
	if (!sched_host_wanted(c, key))
		return 0;
	int rc = hosts_get(&c->hosts, key, 0, 1, &h);
	if (rc == 0)
		h->queued = queued;
	return rc;
}

/* Recounts the queued URLs of every host from the frontier. */
static int sched_refresh(struct crawl *c)
{
	for (size_t i = 0; i < c->hosts.nslots; i++)
		if (c->hosts.slots[i])
			c->hosts.slots[i]->queued = 0;
	return store_frontier_hosts(c->store, sched_count_host, c);
}

static bool sched_may_start(struct crawl *c)
{
	unsigned conns = c->o->connections ? c->o->connections : c->set->connections;
	return fetch_in_flight(c->fetch) < conns && !c->fatal &&
	       (!c->o->max_pages || c->fetches < c->o->max_pages) &&
	       !(c->o->stop && *c->o->stop) && queue_len(&c->work) < c->work.cap;
}

/* Moves host h along as far as it can go now; *wait_ms shrinks to when it can go further. */
static int sched_host(struct crawl *c, struct host *h, int64_t now, int64_t *wait_ms)
{
	if (!h->pending || sched_venue_full(c, h->pending->venue))
		return 0;
	int64_t wait;
	if (!host_ready(h, now, &wait)) {
		if (wait >= 0 && wait < *wait_ms)
			*wait_ms = wait;
		return 0;
	}
	switch (h->robots_state) {
	case HOST_ROBOTS_UNKNOWN:
		return sched_robots(c, h);
	case HOST_ROBOTS_READY:
		if (!h->sitemaps_done)
			return sched_sitemaps(c, h);
		return sched_page(c, h);
	default:
		return 0; /* fetching, or failed: the URL waits for the next crawl */
	}
}

static int sched_round(struct crawl *c, int64_t *wait_ms)
{
	int rc = sched_fill(c);
	if (rc)
		return rc;
	int64_t now = clock_mono_ms();
	for (size_t i = 0; i < c->hosts.nslots && sched_may_start(c); i++) {
		struct host *h = c->hosts.slots[i];
		if (!h)
			continue;
		/* A host may start several transfers in one round, up to its connections. */
		unsigned flying, waiting;
		do {
			flying = h->in_flight;
			waiting = h->npending;
			rc = sched_host(c, h, now, wait_ms);
		} while (rc == 0 && h->pending && (h->in_flight != flying || h->npending != waiting) &&
			 sched_may_start(c));
		if (rc)
			return rc;
	}
	return 0;
}

/* Hosts whose URLs can still move in this crawl. */
static bool sched_busy(const struct crawl *c)
{
	for (size_t i = 0; i < c->hosts.nslots; i++) {
		const struct host *h = c->hosts.slots[i];
		if (h && h->robots_state != HOST_ROBOTS_FAILED && (h->pending || h->queued) &&
		    !(h->pending && sched_venue_full(c, h->pending->venue)))
			return true;
	}
	return false;
}

/* What progress events report about the scheduler's side. */
static void sched_progress(struct crawl *c)
{
	uint64_t queued = 0;
	for (size_t i = 0; i < c->hosts.nslots; i++)
		if (c->hosts.slots[i])
			queued += c->hosts.slots[i]->queued + c->hosts.slots[i]->npending;
	c->queued = queued;
	c->in_flight = fetch_in_flight(c->fetch);
}

static int sched_loop(struct crawl *c)
{
	uint64_t seen_commits = (uint64_t)-1;
	int64_t last_refresh = 0;
	for (;;) {
		int64_t now = clock_mono_ms();
		if (c->fatal)
			return c->fatal;
		if (seen_commits != c->commits || now - last_refresh >= CRAWL_REFRESH_MS) {
			seen_commits = c->commits;
			last_refresh = now;
			int rc = sched_refresh(c);
			if (rc)
				return rc;
		}
		int64_t wait_ms = CRAWL_REFRESH_MS;
		int rc = sched_may_start(c) ? sched_round(c, &wait_ms) : 0;
		if (rc)
			return rc;
		bool stopping = (c->o->stop && *c->o->stop) ||
				(c->o->max_pages && c->fetches >= c->o->max_pages);
		if (fetch_in_flight(c->fetch) == 0 && c->jobs_open == 0 &&
		    (stopping || (!sched_busy(c) && seen_commits == c->commits))) {
			c->drained = !stopping;
			return 0;
		}
		sched_progress(c);
		rc = fetch_poll(c->fetch, (int)(wait_ms < 1 ? 1 : wait_ms), sched_on_done, c);
		if (rc)
			return rc;
	}
}

/* --- set-up and the whole run --- */

static int crawl_seeds(struct crawl *c, const struct venue *v, struct store_txn *txn)
{
	struct url_opts uo = {c->set->session_params, c->set->nsession_params};
	for (size_t i = 0; i < v->nseeds; i++) {
		char *url = NULL, *host = NULL;
		int rc = url_resolve_opts(NULL, v->seeds[i], &uo, &url);
		if (rc == 0)
			rc = crawl__host_key(url, &host);
		if (rc == 0) {
			struct store_frontier_entry e = {.url = url, .host = host, .venue = v->id};
			rc = store_frontier_push(txn, c->gen, &e, NULL);
		}
		if (rc == 0 && !c->seed_url && i == 0)
			c->seed_url = strdup(url);
		free(url);
		free(host);
		if (rc) {
			crawl__fail(c, rc, "venue %s: cannot queue seed %s: %s", v->id, v->seeds[i],
				    err_str(rc));
			return rc;
		}
	}
	return 0;
}

static bool crawl_wanted(const struct crawl_opts *o, const struct venue *v)
{
	if (!o->nvenues)
		return true;
	for (size_t i = 0; i < o->nvenues; i++)
		if (strcmp(o->venues[i], v->id) == 0)
			return true;
	return false;
}

/* Opens the crawl in the store (a new generation, or the resumption of an unfinished one) and
 * queues the seeds of the venues asked for. */
static int crawl_begin(struct crawl *c)
{
	struct store_txn *txn = NULL;
	bool resumed = false;
	int rc = store_write_begin(c->store, &txn);
	if (rc == 0)
		rc = store_crawl_begin(txn, clock_wall(), &c->gen, &resumed);
	if (rc == 0)
		rc = store_frontier_revisit(txn, c->o->revisit_at);
	for (size_t i = 0; rc == 0 && i < c->nvenues; i++)
		if (crawl_wanted(c->o, c->venues[i].v))
			rc = crawl_seeds(c, c->venues[i].v, txn);
	if (rc == 0)
		return store_write_commit(txn);
	store_write_abort(txn);
	crawl__fail(c, rc, "cannot start the crawl in the store: %s", err_str(rc));
	return rc;
}

static int crawl_setup(struct crawl *c)
{
	size_t n = venue_registry_count(c->reg);
	for (size_t i = 0; i < c->o->nvenues; i++)
		if (!venue_registry_find(c->reg, c->o->venues[i])) {
			crawl__fail(c, ERR_USAGE, "no venue '%s' in the registry", c->o->venues[i]);
			return ERR_USAGE;
		}
	if (n == 0) {
		crawl__fail(c, ERR_USAGE, "no venue to crawl: give --seed URL or register venues");
		return ERR_USAGE;
	}
	c->venues = calloc(n, sizeof(*c->venues));
	if (!c->venues)
		return -ENOMEM;
	c->nvenues = n;
	for (size_t i = 0; i < n; i++)
		c->venues[i].v = venue_registry_get(c->reg, i);
	doc_limits_default(&c->doc_limits);
	c->doc_limits.max_links = c->set->max_links;
	struct fetch_opts fo = {
		.user_agent = c->set->user_agent, .from = c->set->from, .proxy = c->set->proxy,
		.connect_timeout_ms = c->set->connect_timeout_ms, .timeout_ms = c->set->timeout_ms,
		.low_speed_bytes = c->set->low_speed_bytes,
		.low_speed_seconds = c->set->low_speed_seconds, .max_body = c->set->max_body,
		.connect_to = c->o->connect_to,
	};
	int rc;
	if ((rc = hosts_init(&c->hosts)) != 0 || (rc = fetch_new(&fo, &c->fetch)) != 0 ||
	    (rc = queue_init(&c->work, 64)) != 0 || (rc = queue_init(&c->write, 256)) != 0) {
		crawl__fail(c, rc, "cannot start the crawl: %s", err_str(rc));
		return rc;
	}
	return crawl_begin(c);
}

static unsigned crawl_nworkers(const struct crawl *c)
{
	unsigned n = c->o->workers ? c->o->workers : c->set->workers;
	if (!n) {
		long cores = sysconf(_SC_NPROCESSORS_ONLN);
		n = cores > 0 ? (unsigned)cores : 1;
	}
	return n > 256 ? 256 : n;
}

/* The frontier drained: the next crawl starts a new generation instead of resuming this one. */
static void crawl_end(struct crawl *c)
{
	struct store_txn *txn = NULL;
	int rc = store_write_begin(c->store, &txn);
	if (rc == 0 && (rc = store_crawl_end(txn)) == 0)
		rc = store_write_commit(txn);
	else
		store_write_abort(txn);
	if (rc)
		crawl__fail(c, rc, "cannot close the crawl in the store: %s", err_str(rc));
}

/* URLs taken but not started go back to their queues, for the next crawl. */
static void crawl_return_pending(struct crawl *c)
{
	struct store_txn *txn = NULL;
	if (store_write_begin(c->store, &txn) != 0)
		return; /* they stay leased: the next crawl's resumption returns them */
	for (size_t i = 0; i < c->hosts.nslots; i++) {
		struct host *h = c->hosts.slots[i];
		while (h && h->pending) {
			struct xfer_ctx *x = h->pending;
			struct store_frontier_entry e = {
				.url = x->item.url, .host = h->key, .venue = x->item.venue,
				.depth = x->item.depth, .priority = x->item.priority,
				.hops = x->item.hops,
			};
			store_frontier_requeue(txn, &e);
			h->pending = x->next;
			store_frontier_item_done(&x->item);
			free(x);
		}
		if (h) {
			h->pending_tail = NULL;
			h->npending = 0;
		}
	}
	if (store_write_commit(txn) != 0)
		return;
}

/* Nothing was crawled because of the first seed: the run fails with that reason, so that
 * `patrol crawl --seed URL` says why instead of reporting an empty crawl. */
static int crawl_seed_verdict(struct crawl *c)
{
	uint64_t ok = 0;
	for (size_t i = 0; i < c->nvenues; i++)
		ok += c->venues[i].stats.outcomes[CRAWL_OK] + c->venues[i].stats.outcomes[CRAWL_NOINDEX];
	if (ok || !c->seed_url)
		return 0;
	char *key = NULL;
	struct host *h = crawl__host_key(c->seed_url, &key) == 0 ? hosts_find(&c->hosts, key) : NULL;
	free(key);
	if (h && h->robots_state == HOST_ROBOTS_FAILED) {
		snprintf(c->err, c->errlen, "cannot crawl %s: %s", c->seed_url, h->robots_why);
		return strstr(h->robots_why, "unreachable") ? ERR_NET : ERR_SCOPE;
	}
	if (c->seed_fail) {
		snprintf(c->err, c->errlen, "cannot crawl %s: %s", c->seed_url, c->seed_why);
		return c->seed_fail;
	}
	return 0;
}

int crawl_run(const struct crawl_opts *o, const struct rules_set *rules, struct store *store,
	      struct crawl_stats *ret_stats, char *err, size_t errlen)
{
	struct crawl c = {
		.o = o, .reg = o->registry,
		.set = o->settings ? o->settings : venue_registry_settings(o->registry),
		.store = store, .err = err, .errlen = errlen,
		.statm_fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC), /* -1: never trims */
	};
	pthread_t writer, workers[256];
	unsigned nworkers = 0;
	bool writer_up = false;
	err[0] = '\0';
	int rc = o->lock_held ? 0 : store_crawl_lock(store, err, errlen);
	if (rc) {
		if (c.statm_fd >= 0)
			close(c.statm_fd);
		return rc; /* another crawl: it must not see two schedulers share its frontier */
	}
	pthread_mutex_init(&c.err_lock, NULL);
	pthread_mutex_init(&c.event_lock, NULL);
	c.start_ms = clock_mono_ms();
	rc = crawl__rules_init(&c, rules);
	if (rc == 0)
		rc = crawl_setup(&c);
	if (rc == 0 && pthread_create(&writer, NULL, crawl__writer_main, &c) == 0)
		writer_up = true;
	for (unsigned i = 0; rc == 0 && writer_up && i < crawl_nworkers(&c); i++)
		if (pthread_create(&workers[nworkers], NULL, crawl__worker_main, &c) == 0)
			nworkers++;
	if (rc == 0 && (!writer_up || !nworkers))
		crawl__fail(&c, -EAGAIN, "cannot start the crawl's threads");
	if (rc == 0 && !c.fatal)
		rc = sched_loop(&c);
	queue_close(&c.work);
	for (unsigned i = 0; i < nworkers; i++)
		pthread_join(workers[i], NULL);
	queue_close(&c.write);
	if (writer_up)
		pthread_join(writer, NULL);
	if (c.fetch)
		crawl_return_pending(&c);
	if (rc == 0 && !c.fatal && c.drained)
		crawl_end(&c);
	rc = c.fatal ? c.fatal : rc;
	if (rc && !err[0])
		snprintf(err, errlen, "crawl failed: %s", err_str(rc));
	if (rc == 0)
		rc = crawl_seed_verdict(&c);
	for (size_t i = 0; ret_stats && i < c.nvenues; i++) {
		ret_stats[i] = c.venues[i].stats;
		ret_stats[i].elapsed_ms = clock_mono_ms() - c.start_ms;
		ret_stats[i].politeness_wait_ms = c.venues[i].wait_ms;
	}
	if (o->ret_orphaned)
		*o->ret_orphaned = c.orphaned;
	if (!o->lock_held)
		store_crawl_unlock(store);
	if (c.statm_fd >= 0)
		close(c.statm_fd);
	fetch_free(c.fetch);
	queue_done(&c.work);
	queue_done(&c.write);
	hosts_done(&c.hosts);
	if (c.rules_list)
		crawl__rules_done(&c);
	free(c.venues);
	free(c.seed_url);
	pthread_mutex_destroy(&c.err_lock);
	pthread_mutex_destroy(&c.event_lock);
	return rc;
}

void crawl_stats_add(struct crawl_stats *a, const struct crawl_stats *b)
{
	a->fetched += b->fetched;
	a->pages += b->pages;
	a->bytes += b->bytes;
	for (int i = 0; i < CRAWL_OUTCOME_COUNT; i++)
		a->outcomes[i] += b->outcomes[i];
	a->off_site += b->off_site;
	a->traps += b->traps;
	a->robots_blocked += b->robots_blocked;
	a->hits += b->hits;
	a->hits_new += b->hits_new;
	a->rule_errors += b->rule_errors;
	if (b->elapsed_ms > a->elapsed_ms)
		a->elapsed_ms = b->elapsed_ms;
}
