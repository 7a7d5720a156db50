/* SPDX-License-Identifier: MIT */
/* The crawl's worker and writer threads.
 *
 * Workers take fetched pages from the work queue, parse and match them with their own rules
 * matcher, and pass the result on. The writer alone writes to the store: it drains its queue in
 * batches, each in as few write transactions as keep its memory bounded (pages, hits, links to
 * queue, fetch state, finished leases), and counts the outcomes. A page's URL leaves the frontier
 * in the same transaction that stores the page, so a crash at any moment either keeps both or
 * neither. Here too: what keeps the store's map from filling the process's RSS, crawl__trim_map.
 */
#include "crawler/crawl.h"

#include "common/buf.h"
#include "common/clock.h"
#include "common/digest.h"
#include "common/err.h"
#include "crawler/crawler_int.h"
#include "crawler/venue.h"
#include "index/store.h"
#include "parsers/doc.h"
#include "parsers/url.h"
#include "rules/rules.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define WORK_SNIPPET_CONTEXT 60
#define WORK_MAX_MATCH 1024     /* bytes of matched text kept in a hit */
#define WORK_MAX_PAGE_HITS 1000 /* hits kept per page: a page cannot flood the store */
#define WORK_MAX_LINKS_BYTES (8u << 20)
#define WORK_TXN_PUSHES 256         /* links queued per write transaction: see writer_commit */
/* The writer waits this long for this many jobs before it commits (writer_collect): a wake-up
 * per page was a third of a crawl's context switches, each one preempting a worker. */
#define WORK_BATCH_MIN 16
#define WORK_BATCH_WAIT_MS 10
/* Group commit: a batch's last transaction syncs the store only when the last sync is this old,
 * so a busy writer pays one fdatasync (about a millisecond, far more on a slow disk) per
 * interval instead of one per batch. A killed process loses nothing either way (commits reach
 * the OS at once); a system crash may undo up to this much, never corrupt the store. */
#define WORK_SYNC_MS 200
/* Bytes of the store's map left resident (crawl__trim_map). A forum crawl reads the same 10 MB or
 * so of the store again and again (seen, the frontier, the upper B-tree levels); below that each
 * trim is undone by faults at 30 to 45 us each on this project's VM: 4 MiB cost 0.3 ms of CPU a
 * page, 12 MiB none measurable (docs/storage.md, Memory). */
#define WORK_MAP_BUDGET (12L << 20)
#define WORK_TRIM_LINKS 16          /* links queued between two looks at the map */
#define WORK_GROW_TRIES 8           /* map doublings one transaction may ask for: 1 GiB -> 256 */
/* Links the writer remembers pushing (crawl.pushed): a slot per digest prefix, 1 MiB. */
#define WORK_PUSHED_SLOTS (1u << 16)

void job_free(struct job *j)
{
	if (!j)
		return;
	for (size_t i = 0; i < j->nhits; i++) {
		free(j->hits[i].match);
		free(j->hits[i].snippet);
		free(j->hits[i].author);
		free(j->hits[i].time);
		for (size_t k = 0; k < j->hits[i].nspans; k++)
			free((char *)j->hits[i].spans[k].text);
		free(j->hits[i].spans);
	}
	free(j->hits);
	buf_done(&j->links);
	free(j->url);
	free(j->host);
	free(j->detail);
	free(j->content_type);
	free(j->etag);
	free(j->last_modified);
	free(j->x_robots_tag);
	free(j->body);
	free(j->head);
	free(j->evidence);
	free(j->title);
	free(j->charset);
	free(j->canonical);
	free(j);
}

/* --- workers --- */

struct work_page {
	struct crawl *c;
	struct job *j;
	const struct rules_doc *doc;
};

/* The original text of the field instance a hit is on. */
static const char *work_field_text(const struct rules_doc *doc, const char *field, size_t post)
{
	const char *t = NULL;
	if (strcmp(field, "title") == 0)
		t = doc->title;
	else if (strcmp(field, "body") == 0)
		t = doc->body;
	else if (strcmp(field, "url") == 0)
		t = doc->url;
	else if (strcmp(field, "link_text") == 0)
		t = doc->link_text;
	else if (post < doc->nposts)
		t = strcmp(field, "author") == 0 ? doc->posts[post].author : doc->posts[post].text;
	return t ? t : "";
}

static bool work_hit_dup(const struct job *j, size_t rule, const char *match)
{
	for (size_t i = 0; i < j->nhits; i++)
		if (j->hits[i].rule == rule && strcmp(j->hits[i].match, match) == 0)
			return true;
	return false;
}

/* The post a hit is in: its own for a post or author hit; for a body hit, the first post whose
 * text holds the match (posts are cut from the body, so the match is in one unless it spans
 * two), so a rule reading only the body still tells the analyst who wrote it and when. */
static const struct rules_post *work_hit_post(const struct rules_doc *doc,
					      const struct rules_hit *h, const char *match)
{
	if (h->post != RULES_NO_POST)
		return h->post < doc->nposts ? &doc->posts[h->post] : NULL;
	if (strcmp(h->field, "body") != 0 || !match[0])
		return NULL;
	for (size_t i = 0; i < doc->nposts && i < RULES_MAX_POSTS; i++)
		if (doc->posts[i].text && strstr(doc->posts[i].text, match))
			return &doc->posts[i];
	return NULL;
}

/* What the page said where a pattern matched: the span's original text, cut at a character
 * boundary to STORE_SPAN_TEXT_MAX bytes, so the review UI can mark every pattern in a snippet. */
static char *work_span_text(const struct rules_doc *doc, const struct rules_span *sp)
{
	const char *text = work_field_text(doc, sp->field, sp->post);
	size_t len = strlen(text), start = sp->start < len ? sp->start : len;
	size_t end = sp->end < len ? sp->end : len;
	if (end < start)
		end = start;
	if (end - start > STORE_SPAN_TEXT_MAX) {
		end = start + STORE_SPAN_TEXT_MAX;
		while (end > start && ((unsigned char)text[end] & 0xc0) == 0x80)
			end--; /* not inside a UTF-8 sequence */
	}
	return strndup(text + start, end - start);
}

/* What a hit keeps beside its match and snippet: every pattern's span (hit show, the review
 * UI's highlights) and the author and time of the post it is in. */
static int work_hit_detail(const struct rules_doc *doc, const struct rules_hit *h,
			   struct job_hit *out)
{
	size_t n = h->nspans < STORE_HIT_MAX_SPANS ? h->nspans : STORE_HIT_MAX_SPANS;
	out->spans = n ? calloc(n, sizeof(*out->spans)) : NULL;
	if (n && !out->spans)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		const struct rules_span *sp = &h->spans[i];
		char *text = work_span_text(doc, sp);
		out->spans[i] = (struct store_hit_span){
			sp->pattern, sp->field, sp->post == RULES_NO_POST ? -1 : (int64_t)sp->post,
			sp->start, sp->end, text};
		out->nspans = i + 1; /* so job_free frees what is there */
		if (!text)
			return -ENOMEM;
	}
	const struct rules_post *post = work_hit_post(doc, h, out->match);
	if (!post)
		return 0;
	if ((post->author && !(out->author = strdup(post->author))) ||
	    (post->time && !(out->time = strdup(post->time))))
		return -ENOMEM;
	return 0;
}

static int work_on_hit(const struct rules_hit *h, void *ud)
{
	struct work_page *p = ud;
	struct job *j = p->j;
	const char *text = work_field_text(p->doc, h->field, h->post);
	size_t len = strlen(text);
	if (j->nhits >= WORK_MAX_PAGE_HITS || h->end > len)
		return 0;
	size_t mlen = h->end - h->start < WORK_MAX_MATCH ? h->end - h->start : WORK_MAX_MATCH;
	char *match = strndup(text + h->start, mlen);
	if (!match)
		return -ENOMEM;
	if (work_hit_dup(j, h->rule, match)) {
		free(match);
		return 0;
	}
	struct buf snippet;
	buf_init(&snippet, 4096);
	int rc = rules_snippet(text, len, h->start, h->end, WORK_SNIPPET_CONTEXT, &snippet);
	struct job_hit *hits = rc ? NULL : realloc(j->hits, (j->nhits + 1) * sizeof(*hits));
	if (!hits) {
		free(match);
		buf_done(&snippet);
		return rc ? rc : -ENOMEM;
	}
	j->hits = hits;
	int64_t post = h->post == RULES_NO_POST ? -1 : (int64_t)h->post;
	struct job_hit *jh = &hits[j->nhits++];
	*jh = (struct job_hit){.rule = h->rule, .field = h->field, .post = post, .match = match,
			       .snippet = buf_take(&snippet), .start = h->start, .end = h->end};
	return work_hit_detail(p->doc, h, jh);
}

/* Matches the page's fields and posts (DESIGN.md §6) in one call. */
static int work_match(struct rules_matcher *m, struct work_page *p, const struct doc *d)
{
	struct rules_post *posts = d->nposts ? calloc(d->nposts, sizeof(*posts)) : NULL;
	if (d->nposts && !posts)
		return -ENOMEM;
	for (size_t i = 0; i < d->nposts; i++)
		posts[i] = (struct rules_post){d->posts[i].text, d->posts[i].author, d->posts[i].time};
	struct rules_doc doc = {.title = d->title, .body = d->body, .url = p->j->url,
				.link_text = d->link_text, .posts = posts, .nposts = d->nposts};
	p->doc = &doc;
	int rc = rules_match_doc(m, &doc, work_on_hit, p);
	p->doc = NULL;
	free(posts);
	return rc;
}

/* Queues the links the venue's scope and trap guards let through; counts the rest. */
static int work_links(struct crawl *c, struct job *j, const struct doc *d)
{
	const struct venue *v = c->venues[j->venue].v;
	const struct crawler_settings *s = c->set;
	j->links_priority = STORE_PRIO_LINK;
	for (size_t i = 0; i < d->nlinks; i++) {
		const struct doc_link *l = &d->links[i];
		if (l->nofollow && !s->follow_nofollow)
			continue;
		/* Canonical, session parameters stripped: doc_parse_with did it (work_page). */
		const char *url = l->url;
		bool in = false;
		if (strlen(url) > s->max_url_length) {
			j->traps++;
			continue;
		}
		int rc = crawl__in_scope(v, url, &in);
		if (rc)
			return rc; /* out of memory is no property of the link */
		if (!in)
			j->off_site++;
		else if (j->depth + 1 > v->max_depth || !venue_trap_check(v, url))
			j->traps++;
		else if (buf_add(&j->links, url, strlen(url) + 1) != 0)
			j->traps++; /* more links than a page may give */
	}
	return 0;
}

bool crawl__is_html(const char *content_type)
{
	size_t n = strcspn(content_type, "; \t");
	return (n == 9 && strncasecmp(content_type, "text/html", 9) == 0) ||
	       (n == 21 && strncasecmp(content_type, "application/xhtml+xml", 21) == 0);
}

int crawl__work_page(struct crawl *c, struct rules_matcher *m, struct job *j)
{
	int rc = digest_sha256(j->body, j->len, j->digest);
	if (rc)
		return rc;
	j->unchanged = j->old_digest_known && memcmp(j->digest, j->old_digest, 32) == 0;
	if (!crawl__is_html(j->content_type)) {
		j->outcome = CRAWL_NOT_HTML;
		return 0;
	}
	struct doc *d = NULL;
	struct url_opts uo = {c->set->session_params, c->set->nsession_params};
	rc = doc_parse_with(j->body, j->len, j->content_type, j->url,
			    &(struct doc_options){.lim = &c->doc_limits,
						  .profiles = c->venues[j->venue].v->profiles,
						  .url_opts = &uo},
			    &d);
	if (rc) {
		j->outcome = CRAWL_NOT_HTML;
		j->detail = strdup(err_str(rc));
		return rc == -ENOMEM ? rc : 0;
	}
	bool noindex = d->noindex, nofollow = d->nofollow;
	doc_robots_header(j->x_robots_tag, "patrol", &noindex, &nofollow);
	j->title = strdup(d->title);
	j->charset = strdup(d->encoding);
	j->canonical = strdup(d->canonical); /* recorded, never fetched for being canonical */
	j->outcome = CRAWL_OK;
	if (!nofollow)
		rc = work_links(c, j, d);
	struct work_page p = {c, j, NULL};
	/* noindex: the page is not ours to keep; unchanged: its hits are already stored. */
	if (rc == 0 && !noindex && !j->unchanged) {
		rc = work_match(m, &p, d);
		j->matched = rc == 0 && j->nhits < WORK_MAX_PAGE_HITS;
	}
	if (noindex)
		j->outcome = CRAWL_NOINDEX;
	doc_free(d);
	return rc;
}

/* After a page on which a rule failed: how many rule and field matches failed on it (the
 * matcher's counts since the last look, *seen), and the first failing rule in j->detail. */
static void work_rule_errors(const struct rules_set *set, const struct rules_matcher *m,
			     struct job *j, uint64_t *seen)
{
	uint64_t total = 0;
	const char *first = NULL;
	for (size_t i = 0; i < rules_set_count(set); i++) {
		size_t n = rules_matcher_errors(m, i);
		total += n;
		if (n && !first && total > *seen) {
			struct rules_info info;
			rules_set_rule(set, i, &info);
			first = info.id;
		}
	}
	j->rule_errors = total >= *seen ? total - *seen : 0;
	*seen = total;
	if (first && !j->detail && asprintf(&j->detail, "rule %s could not run (%s)", first,
					    err_str(ERR_REGEX)) < 0)
		j->detail = NULL;
}

/* A page with hits keeps its response as evidence: compressed here, in the worker, so the writer
 * only stores it. A body over the evidence cap is kept without (ERR_TOO_BIG): its hits stand. */
static int work_evidence(struct job *j)
{
	int rc = store_evidence_pack(j->head, j->head_len, j->body, j->len, &j->evidence,
				     &j->evidence_len, j->evidence_digest);
	return rc == ERR_TOO_BIG ? 0 : rc;
}

/* A worker's matcher, on the crawl's current rule set. */
struct work_matcher {
	struct crawl_rules *rules;
	struct rules_matcher *m;
	uint64_t gen;
	uint64_t errors_seen; /* the matcher's rule errors counted so far: work_rule_errors */
};

/* Makes w match with the current set when a reload changed it (or at first). */
static int work_matcher_sync(struct crawl *c, struct work_matcher *w)
{
	uint64_t gen = c->rules_gen;
	if (w->m && w->gen == gen)
		return 0;
	rules_matcher_free(w->m);
	crawl__rules_put(c, w->rules);
	*w = (struct work_matcher){.rules = crawl__rules_get(c), .gen = gen};
	return rules_matcher_new(w->rules->ro, &w->m);
}

void *crawl__worker_main(void *arg)
{
	struct crawl *c = arg;
	struct work_matcher w = {0};
	int rc = work_matcher_sync(c, &w);
	if (rc)
		crawl__fail(c, rc, "cannot start a worker: %s", err_str(rc));
	void *item;
	while (queue_pop(&c->work, -1, &item) == 0) {
		struct job *j = item;
		if (w.m && (rc = work_matcher_sync(c, &w)) != 0)
			crawl__fail(c, rc, "cannot switch to the reloaded rules: %s", err_str(rc));
		if (w.m && (rc = crawl__work_page(c, w.m, j)) == ERR_REGEX)
			work_rule_errors(w.rules->ro, w.m, j, &w.errors_seen);
		else if (w.m && rc)
			crawl__fail(c, rc, "cannot process %s: %s", j->url, err_str(rc));
		if (j->nhits) /* the writer reads the hits' rules in this set */
			j->rules = crawl__rules_ref(c, w.rules);
		if (j->nhits && (rc = work_evidence(j)) != 0)
			crawl__fail(c, rc, "cannot keep the evidence of %s: %s", j->url, err_str(rc));
		free(j->body); /* the writer needs the digest and the evidence, not the bytes */
		j->body = NULL;
		free(j->head);
		j->head = NULL;
		if (queue_push(&c->write, j) != 0)
			job_free(j);
	}
	rules_matcher_free(w.m);
	crawl__rules_put(c, w.rules);
	return NULL;
}

/* --- the writer --- */

/* The process's resident memory backed by files, in bytes: /proc/self/statm's "shared" (mapped
 * file pages and shared memory), read without stdio from the descriptor the crawl keeps open
 * (this runs several times a page: one pread, not open, read and close). -1 when it cannot be
 * read. */
static long file_rss(int fd)
{
	char text[128];
	long size, resident, shared;
	if (fd < 0)
		return -1;
	ssize_t n = pread(fd, text, sizeof(text) - 1, 0);
	if (n <= 0)
		return -1;
	text[n] = '\0';
	if (sscanf(text, "%ld %ld %ld", &size, &resident, &shared) != 3)
		return -1;
	return shared * sysconf(_SC_PAGESIZE);
}

/* Every page of the store that any thread reads stays mapped and counts in RSS, so without this
 * a crawl's RSS follows the size of its store (440 MB for a frontier of a million URLs). The
 * writer calls this after each job and every WORK_TRIM_LINKS links, the scheduler after each URL
 * it takes or starts, since one read can map a whole large folio of the page cache (up to 1 MB on Linux 6.18): when
 * file-backed RSS has grown by more than WORK_MAP_BUDGET since the last trim, the map is dropped
 * (store_trim; the pages stay in the page cache). What is left right after a trim, the program's
 * own code and libraries, is the new floor (the smaller of two trims' readings: see below), so
 * code paged in later never makes every call trim.
 * A page read after a trim faults back in; since seen's keys begin with the URL (schema 5), a
 * page's links share a few B-tree pages, so a trim costs a few faults and a million-URL frontier
 * takes about the RSS of a crawl of twenty thousand pages; the budget itself is set by what a
 * forum crawl rereads (WORK_MAP_BUDGET; docs/storage.md, Memory, has the measurements). A system
 * where the store cannot trim is not asked again. */
void crawl__trim_map(struct crawl *c)
{
	long now = file_rss(c->statm_fd), floor = c->map_floor;
	if (floor == 0) /* the first call: code and libraries, the budget goes on top */
		c->map_floor = floor = now;
	if (now < 0 || now - floor <= WORK_MAP_BUDGET)
		return;
	if (store_trim(c->store) != 0) {
		c->map_floor = LONG_MAX;
		return;
	}
	/* The floor is the smaller of this reading and the last trim's. The scheduler and the
	 * writer both read the store, and what one maps while the other trims (the madvise walks
	 * a map of a GiB or more, up to 10 ms) is in this reading too. Taken alone as the floor,
	 * it raised the floor by up to 6.5 MB of map pages, and the map grew that much past the
	 * budget before the next trim: the million-URL frontier's brief peaks of 49 to 52 MB
	 * against 43. Code paged in for good shows in both readings, so the floor still follows
	 * it. */
	long after = file_rss(c->statm_fd), last = c->map_after;
	if (after < 0)
		after = now;
	c->map_after = after;
	c->map_floor = last > 0 && last < after ? last : after;
}

/* Most links on a page were pushed before in this crawl (a forum's navigation and board lists
 * are on every page), and pushing one again is a look-up in seen that changes nothing
 * (STORE_PUSH_SEEN). So the writer remembers the digests of the links it pushed, in a fixed
 * table where the newest wins a slot, and skips those: a repeated link costs one SHA-256, not
 * the URL parse of its host key, the push's own digest and the B-tree look-up. Remembering is
 * sound while the transaction that pushed commits, so an aborted one forgets everything
 * (writer_txn); a trap is never remembered, so every refusal is counted. NULL slot: not known. */
static uint8_t *pushed_slot(struct crawl *c, const char *url, uint8_t key[CRAWL_PUSHED_KEY],
			    bool *ret_known)
{
	uint8_t d[DIGEST_LEN];
	*ret_known = false;
	if (!c->pushed || digest_sha256(url, strlen(url), d) != 0)
		return NULL;
	memcpy(key, d, CRAWL_PUSHED_KEY);
	uint8_t *slot = c->pushed[(d[0] | (unsigned)d[1] << 8) & (WORK_PUSHED_SLOTS - 1)];
	*ret_known = memcmp(slot, key, CRAWL_PUSHED_KEY) == 0;
	return slot;
}

static void pushed_forget(struct crawl *c)
{
	if (c->pushed)
		memset(c->pushed, 0, WORK_PUSHED_SLOTS * sizeof(*c->pushed));
}

/* Queues the job's links. Links found on pages and redirect targets are held to the venue's
 * max_query_variants (a refused one is a trap); a sitemap's URLs are not, since the site lists
 * them on purpose, and they do not count towards it either. */
static int writer_links(struct crawl *c, struct store_txn *txn, struct job *j,
			struct crawl_stats *st)
{
	const struct venue *v = c->venues[j->venue].v;
	uint32_t max_variants = j->kind == JOB_PUSH ? 0 : v->max_query_variants;
	size_t n = 0;
	for (size_t off = 0; off < j->links.len;) {
		const char *url = j->links.data + off;
		char *host = NULL;
		uint8_t key[CRAWL_PUSHED_KEY];
		bool known;
		off += strlen(url) + 1;
		uint8_t *slot = pushed_slot(c, url, key, &known);
		if (known)
			continue;
		if (++n % WORK_TRIM_LINKS == 0)
			crawl__trim_map(c);
		int rc = crawl__host_key(url, &host);
		if (rc == ERR_URL)
			continue;
		if (rc)
			return rc;
		struct store_frontier_entry e = {
			.url = url, .host = host, .venue = v->id, .depth = j->depth + 1,
			.priority = j->links_priority, .hops = j->kind == JOB_DONE ? j->hops + 1 : 0,
			.max_query_variants = max_variants,
		};
		enum store_push pushed;
		rc = store_frontier_push(txn, c->gen, &e, &pushed);
		free(host);
		if (rc)
			return rc;
		st->traps += pushed == STORE_PUSH_TRAP;
		if (slot && pushed != STORE_PUSH_TRAP)
			memcpy(slot, key, CRAWL_PUSHED_KEY);
	}
	return 0;
}

void crawl__hit_record(const struct job *j, size_t i, const struct rules_set *set,
		       const struct venue *v, struct store_hit *ret)
{
	struct rules_info info;
	rules_set_rule(set, j->hits[i].rule, &info);
	*ret = (struct store_hit){
		.rule = info.id, .pack = info.pack, .category = info.category,
		.severity = info.severity, .venue = v->id, .url = j->url,
		.field = j->hits[i].field, .post = j->hits[i].post, .match = j->hits[i].match,
		.snippet = j->hits[i].snippet, .status = "new",
		.pack_version = info.pack_version, .pack_digest = info.pack_digest,
		.start = j->hits[i].start, .end = j->hits[i].end,
		.post_author = j->hits[i].author, .post_time = j->hits[i].time,
		.spans = j->hits[i].spans, .nspans = j->hits[i].nspans,
	};
	if (j->evidence)
		memcpy(ret->evidence, j->evidence_digest, 32);
}

/* Stores the page's hits, each naming the evidence, and gives their ids in ids (nhits of them)
 * for the sweep. */
static int writer_hits(struct crawl *c, struct store_txn *txn, struct job *j,
		       struct crawl_stats *st, uint64_t *ids)
{
	const struct venue *v = c->venues[j->venue].v;
	for (size_t i = 0; i < j->nhits; i++) {
		struct store_hit h;
		crawl__hit_record(j, i, j->rules->ro, v, &h);
		bool fresh = false;
		int rc = store_hit_put(txn, &h, j->at, &ids[i], &fresh);
		if (rc)
			return rc;
		st->hits++;
		st->hits_new += fresh;
	}
	return 0;
}

/* The hit lifecycle of a fetched page (docs/storage.md): an unchanged body refreshes the hits
 * it has; a body matched in full keeps exactly the hits just found, and the others go. */
static int writer_lifecycle(struct crawl *c, struct store_txn *txn, struct job *j,
			    struct crawl_stats *st)
{
	if (j->unchanged)
		return store_page_hits_refresh(txn, j->url, j->at, NULL);
	uint64_t *ids = j->nhits ? calloc(j->nhits, sizeof(*ids)) : NULL;
	if (j->nhits && !ids)
		return -ENOMEM;
	int rc = j->evidence ? store_evidence_put(txn, j->evidence_digest, j->evidence,
						  j->evidence_len)
			     : 0;
	if (rc == 0)
		rc = writer_hits(c, txn, j, st, ids);
	if (rc == 0 && j->matched)
		rc = store_page_hits_sweep(txn, j->url, ids, j->nhits, j->at, NULL);
	free(ids);
	return rc;
}

static int writer_page(struct crawl *c, struct store_txn *txn, struct job *j,
		       struct crawl_stats *st)
{
	struct store_page p = {
		.url = j->url, .venue = c->venues[j->venue].v->id, .fetched_at = j->at,
		.status = (int)j->status, .content_type = j->content_type ? j->content_type : "",
		.title = j->title ? j->title : "", .charset = j->charset ? j->charset : "",
		.bytes = j->len, .canonical = j->canonical ? j->canonical : "",
	};
	memcpy(p.body_digest, j->digest, 32);
	struct store_fetch_state fs = {.fetched_at = j->at, .status = (int)j->status,
				       .has_digest = true, .gen = c->gen};
	snprintf(fs.etag, sizeof(fs.etag), "%s", j->etag ? j->etag : "");
	snprintf(fs.last_modified, sizeof(fs.last_modified), "%s",
		 j->last_modified ? j->last_modified : "");
	memcpy(fs.digest, j->digest, 32);
	int rc = store_page_put(txn, &p);
	if (rc == 0)
		rc = store_fetch_state_put(txn, j->url, &fs);
	if (rc == 0)
		rc = writer_lifecycle(c, txn, j, st);
	if (rc == 0) {
		st->pages++;
		st->bytes += j->len;
	}
	return rc;
}

/* A URL queued for a venue the registry no longer has: it leaves the frontier unfetched and is
 * counted for the run, in no venue's stats. */
static int writer_orphan(struct crawl *c, struct store_txn *txn, struct job *j)
{
	int rc = store_frontier_finish(txn, j->url);
	if (rc == 0)
		c->orphaned++;
	return rc == ERR_NOT_FOUND ? 0 : rc;
}

static int writer_apply(struct crawl *c, struct store_txn *txn, struct job *j)
{
	if (j->venue == CRAWL_NO_VENUE)
		return writer_orphan(c, txn, j);
	struct crawl_stats *st = &c->venues[j->venue].stats;
	int rc = 0;
	switch (j->kind) {
	case JOB_ROBOTS:
		return store_robots_put(txn, j->host, j->at, (int)j->status, j->body ? j->body : "",
					j->len);
	case JOB_PUSH:
		return writer_links(c, txn, j, st);
	case JOB_REQUEUE: {
		struct store_frontier_entry e = {
			.url = j->url, .host = j->host, .venue = c->venues[j->venue].v->id,
			.depth = j->depth, .priority = j->priority, .hops = j->hops,
		};
		st->outcomes[CRAWL_BACKOFF]++;
		return store_frontier_requeue(txn, &e);
	}
	case JOB_PAGE:
		if ((rc = writer_page(c, txn, j, st)) != 0)
			return rc;
		break;
	case JOB_DONE:
		/* 304: the page as stored is still there; 404 and 410: it was taken down. */
		if (j->outcome == CRAWL_NOT_MODIFIED)
			rc = store_page_hits_refresh(txn, j->url, j->at, NULL);
		else if (j->outcome == CRAWL_HTTP_ERROR && (j->status == 404 || j->status == 410))
			rc = store_page_hits_sweep(txn, j->url, NULL, 0, j->at, NULL);
		if (rc)
			return rc;
		break;
	}
	st->fetched += j->outcome != CRAWL_ROBOTS;
	st->outcomes[j->outcome]++;
	st->off_site += j->off_site;
	st->traps += j->traps;
	st->rule_errors += j->rule_errors;
	st->robots_blocked += j->outcome == CRAWL_ROBOTS;
	if ((rc = writer_links(c, txn, j, st)) != 0)
		return rc;
	rc = store_frontier_finish(txn, j->url);
	return rc == ERR_NOT_FOUND ? 0 : rc;
}

/* Takes up to one batch from the queue: at least one job, then whatever comes within
 * WORK_BATCH_WAIT_MS, until WORK_BATCH_MIN are there, at most max. Under load jobs pile up while
 * a batch commits, so batches grow by themselves; when the crawl is slow, a job waits at most
 * that long before its links join the frontier. */
static size_t writer_collect(struct crawl *c, void **items, struct job **batch, size_t max,
			     bool *ret_closed)
{
	size_t n = 0;
	if (queue_pop_batch(&c->write, items, max, WORK_BATCH_MIN, WORK_BATCH_WAIT_MS, &n) != 0)
		*ret_closed = true;
	for (size_t i = 0; i < n; i++)
		batch[i] = items[i];
	return n;
}

static size_t job_links(const struct job *j)
{
	size_t n = 0;
	for (size_t i = 0; i < j->links.len; i++)
		n += j->links.data[i] == '\0';
	return n;
}

/* Applies batch[*i..] in one write transaction until about WORK_TXN_PUSHES links are queued, a
 * job never split, and commits it: lazily unless it ends the batch and *last_sync (monotonic ms)
 * is WORK_SYNC_MS old. *i moves past what was
 * applied; on an error the transaction is aborted and *i names the job that failed. */
static int writer_txn(struct crawl *c, struct job **batch, size_t n, size_t *i,
		      int64_t *last_sync)
{
	struct store_txn *txn = NULL;
	int rc = store_write_begin(c->store, &txn);
	size_t pushes = 0;
	while (rc == 0 && *i < n && pushes < WORK_TXN_PUSHES) {
		rc = writer_apply(c, txn, batch[*i]);
		crawl__trim_map(c); /* safe inside a transaction: see store_trim */
		pushes += job_links(batch[*i]);
		if (rc == 0)
			(*i)++;
	}
	if (rc) {
		store_write_abort(txn);
	} else if (*i < n || clock_mono_ms() - *last_sync < WORK_SYNC_MS) {
		rc = store_write_commit_lazy(txn);
	} else {
		*last_sync = clock_mono_ms();
		rc = store_write_commit(txn);
	}
	if (rc)
		pushed_forget(c); /* what this transaction pushed is not in the store */
	return rc;
}

/* Stores a batch in write transactions of about WORK_TXN_PUSHES links each (writer_txn).
 * A transaction holds every page it changed in memory, and LMDB keeps that many page buffers for
 * reuse for good; links land on random pages of seen (keyed by SHA-256), so in one transaction
 * for the whole batch (64 pages of 100 links) memory would follow the frontier: 6,400 pages
 * changed, 25 MB, once seen has that many pages, against 1 MB now however large it grows. All
 * but the last transaction commit without a sync, and the last one syncs (when the last sync is
 * WORK_SYNC_MS old), making every batch before it durable; a crash keeps whole jobs, never half
 * of one.
 * A full map (-ENOSPC) is never fatal: the transaction is aborted, the map doubled and the same
 * jobs applied again, with the counts they had added taken back. */
static int writer_commit(struct crawl *c, struct job **batch, size_t n, int64_t *last_sync)
{
	size_t i = 0, grows = 0, ns = c->nvenues * sizeof(struct crawl_stats);
	struct crawl_stats *saved = malloc(ns ? ns : 1);
	int rc = saved ? 0 : -ENOMEM;
	while (rc == 0 && i < n) {
		size_t first = i;
		uint64_t orphaned = c->orphaned;
		for (size_t v = 0; v < c->nvenues; v++)
			saved[v] = c->venues[v].stats;
		rc = writer_txn(c, batch, n, &i, last_sync);
		if (rc != -ENOSPC || grows++ == WORK_GROW_TRIES || store_grow(c->store) != 0)
			continue;
		for (size_t v = 0; v < c->nvenues; v++)
			c->venues[v].stats = saved[v];
		c->orphaned = orphaned;
		i = first;
		rc = 0;
	}
	free(saved);
	if (rc && i < n)
		crawl__fail(c, rc, "cannot store %s: %s", batch[i]->url, err_str(rc));
	return rc;
}

void *crawl__writer_main(void *arg)
{
	struct crawl *c = arg;
	size_t max = c->o->batch_pages ? c->o->batch_pages : 64;
	struct job **batch = calloc(max, sizeof(*batch));
	void **items = calloc(max, sizeof(*items));
	bool closed = false;
	int64_t last_sync = clock_mono_ms();
	if (!batch || !items) {
		crawl__fail(c, -ENOMEM, "cannot start the writer: out of memory");
		free(batch);
		batch = NULL;
	}
	c->pushed = calloc(WORK_PUSHED_SLOTS, sizeof(*c->pushed)); /* NULL: every link pushed */
	while (batch && !closed) {
		size_t n = writer_collect(c, items, batch, max, &closed);
		int rc = n && !c->fatal ? writer_commit(c, batch, n, &last_sync) : 0;
		if (rc)
			crawl__fail(c, rc, "cannot write to the store: %s", err_str(rc));
		for (size_t i = 0; i < n; i++) {
			if (rc == 0 && batch[i]->kind != JOB_ROBOTS && batch[i]->kind != JOB_PUSH &&
			    batch[i]->venue != CRAWL_NO_VENUE)
				crawl__event(c, batch[i], batch[i]->nhits);
			crawl__rules_put(c, batch[i]->rules);
			job_free(batch[i]);
		}
		c->jobs_open -= n;
		c->commits++;
		fetch_wakeup(c->fetch);
		crawl__rules_check(c);
	}
	/* What the last batches committed lazily reaches the disk before the crawl reports. */
	int rc = c->fatal ? 0 : store_sync(c->store);
	if (rc)
		crawl__fail(c, rc, "cannot sync the store: %s", err_str(rc));
	free(batch);
	free(items);
	free(c->pushed);
	c->pushed = NULL;
	return NULL;
}
