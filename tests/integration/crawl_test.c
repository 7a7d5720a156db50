/* SPDX-License-Identifier: MIT */
/* Crawls tests/fixtures/site, served on 127.0.0.1 by the test itself, and checks the exact pages
 * and hits in the store; then the crawl again (no duplicate hit), and the ways a crawl must fail
 * with a clear error instead of a crash.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "common/err.h"
#include "common/buf.h"
#include "crawler/crawl.h"
#include "crawler/venue.h"
#include "index/store.h"
#include "review/httpd.h"
#include "rules/rules.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <string.h>
#include <unistd.h>

struct env {
	struct httpd *httpd;
	struct httpd_site site;
	char root[4096];
	char db[64];
	char seed[64];
	struct rules_set *rules;
	struct store *store;
	struct venue_registry *reg;
};

static char big_body[2u << 20];
static _Atomic int robots_status = 200; /* what /robots.txt answers: 200 serves the fixture's file */
static _Atomic int robots_requests;     /* how often it was asked */

/* When each request arrived, per server port, for the politeness test. */
#define MAX_LOGGED 256
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
	int64_t ms;
} request_log[MAX_LOGGED];
static size_t nlogged;

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The fixture site plus a few paths that a directory cannot express. */
static int site_handler(void *ud, const struct httpd_request *req, struct httpd_response *resp)
{
	if (strcmp(req->path, "/redirect") == 0) {
		resp->status = 301;
		resp->headers[resp->nheaders++] = (struct httpd_header){"Location", "/c.html"};
		resp->body = "";
		resp->body_static = true;
		return 0;
	}
	if (strcmp(req->path, "/bomb.html") == 0) { /* a text that sends '(a+)+$' past its limit */
		resp->status = 200;
		resp->content_type = "text/html";
		resp->body = "<title>b</title><p>aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaba</p>";
		resp->len = strlen(resp->body);
		resp->body_static = true;
		return 0;
	}
	if (strcmp(req->path, "/error") == 0) {
		resp->status = 500;
		resp->content_type = "text/html";
		resp->body = "<p>oops</p>";
		resp->len = 11;
		resp->body_static = true;
		return 0;
	}
	if (strcmp(req->path, "/robots.txt") == 0)
		robots_requests++;
	pthread_mutex_lock(&log_lock);
	if (nlogged < MAX_LOGGED)
		request_log[nlogged++].ms = now_ms();
	pthread_mutex_unlock(&log_lock);
	if (strcmp(req->path, "/robots.txt") == 0 && robots_status != 200) {
		resp->status = robots_status;
		resp->body = "";
		resp->body_static = true;
		return 0;
	}
	if (strcmp(req->path, "/big") == 0) {
		memset(big_body, 'x', sizeof(big_body));
		resp->status = 200;
		resp->content_type = "text/html";
		resp->body = big_body;
		resp->len = sizeof(big_body);
		resp->body_static = true;
		return 0;
	}
	return httpd_static_handler(ud, req, resp);
}

static int setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));
	const char *src = getenv("PATROL_SOURCE_ROOT");
	assert_non_null(src);
	snprintf(e->root, sizeof(e->root), "%s/tests/fixtures/site", src);
	e->site.root = e->root;
	char err[512];
	assert_int_equal(httpd_start("127.0.0.1", 0, site_handler, &e->site, &e->httpd, err,
				     sizeof(err)), 0);
	snprintf(e->seed, sizeof(e->seed), "http://127.0.0.1:%u/", httpd_port(e->httpd));
	snprintf(e->db, sizeof(e->db), "/tmp/patrol-crawl-test-XXXXXX");
	assert_non_null(mkdtemp(e->db));
	assert_int_equal(store_open(e->db, &e->store, err, sizeof(err)), 0);
	char rules[4200];
	snprintf(rules, sizeof(rules), "%s/tests/fixtures/site-rules.yaml", src);
	const char *paths[] = {rules};
	assert_int_equal(rules_set_load(paths, 1, &e->rules, NULL), 0);
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	struct env *e = *state;
	store_close(e->store);
	rules_set_free(e->rules);
	venue_registry_free(e->reg);
	httpd_stop(e->httpd);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", e->db);
	assert_int_equal(system(cmd), 0);
	free(e);
	return 0;
}

/* "path" of each page, or "rule path field count" of each hit, sorted, one per line. */
struct lines {
	const char *prefix; /* the seed, cut from URLs */
	char text[8192];
	char *items[64];
	size_t n;
};

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void lines_add(struct lines *l, const char *s)
{
	assert_true(l->n < 64);
	l->items[l->n++] = strdup(s);
}

static const char *lines_join(struct lines *l)
{
	qsort(l->items, l->n, sizeof(l->items[0]), cmp_str);
	l->text[0] = '\0';
	for (size_t i = 0; i < l->n; i++) {
		strncat(l->text, l->items[i], sizeof(l->text) - strlen(l->text) - 2);
		strcat(l->text, "\n");
		free(l->items[i]);
	}
	l->n = 0;
	return l->text;
}

static const char *path_of(const struct lines *l, const char *url)
{
	size_t n = strlen(l->prefix);
	return strncmp(url, l->prefix, n) == 0 ? url + n - 1 : url;
}

static int collect_page(const struct store_page *p, void *ud)
{
	struct lines *l = ud;
	char s[512];
	snprintf(s, sizeof(s), "%s %d %s", path_of(l, p->url), p->status, p->venue);
	lines_add(l, s);
	return 0;
}

static int collect_hit(const struct store_hit *h, void *ud)
{
	struct lines *l = ud;
	char s[1024];
	snprintf(s, sizeof(s), "%s %s %s %s [%s] x%llu", h->rule, path_of(l, h->url), h->field,
		 h->status, h->match, (unsigned long long)h->count);
	lines_add(l, s);
	return 0;
}

/* Without the sitemap's pages, a crawl whose seed fails has nothing else to fetch. */
#define NO_SITEMAPS "    sitemaps: false\n"

/* The fixture site as a registered venue: loopback allowed, no politeness delay, small limits. */
static void test_registry(struct env *e, const char *seed, bool allow_private, const char *extra)
{
	char yaml[2048];
	snprintf(yaml, sizeof(yaml),
		 "crawler:\n"
		 "  user_agent: \"patrol/1 (+https://example.org/contact)\"\n"
		 "  connections: 4\n"
		 "  limits: {max_body: 1048576, timeout_ms: 10000}\n"
		 "venues:\n"
		 "  - id: test-site\n"
		 "    name: Test site\n"
		 "    seeds: [\"%s\"]\n"
		 "    politeness: {delay_ms: 0, connections: 4}\n"
		 "    allow_private_addresses: %s\n%s",
		 seed, allow_private ? "true" : "false", extra ? extra : "");
	struct buf errors;
	buf_init(&errors, 1 << 16);
	venue_registry_free(e->reg);
	e->reg = NULL;
	int rc = venue_registry_load_mem("test.yaml", yaml, strlen(yaml), &e->reg, &errors);
	if (rc)
		fprintf(stderr, "%s", buf_str(&errors));
	assert_int_equal(rc, 0);
	buf_done(&errors);
}

static struct crawl_opts test_opts(struct env *e)
{
	struct crawl_opts o;
	crawl_opts_default(&o);
	test_registry(e, e->seed, true, NULL);
	o.registry = e->reg;
	o.batch_pages = 3; /* several transactions in one crawl */
	return o;
}

static const char expected_pages[] =
	"/ 200 test-site\n"
	"/a.html 200 test-site\n"
	"/b.html 200 test-site\n"
	"/c.html 200 test-site\n"
	"/dir/ 200 test-site\n"
	"/dir/index.html 200 test-site\n"
	"/file.txt 200 test-site\n"
	"/index.html 200 test-site\n"
	"/orphan.html 200 test-site\n"; /* only in /sitemap.xml */

static void crawl_site_stores_pages_and_hits(void **state)
{
	struct env *e = *state;
	struct crawl_opts o = test_opts(e);
	struct crawl_stats st;
	char err[512];
	assert_int_equal(crawl_run(&o, e->rules, e->store, &st, err, sizeof(err)), 0);

	struct lines l = {.prefix = e->seed};
	assert_int_equal(store_pages_each(e->store, collect_page, &l), 0);
	assert_string_equal(lines_join(&l), expected_pages);
	assert_int_equal(store_hits_each(e->store, collect_hit, &l), 0);
	assert_string_equal(lines_join(&l),
			    "test.click-farming /b.html body new [刷单] x1\n"
			    "test.crypto-doubling /c.html body new [double your bitcoin] x1\n"
			    "test.prize /a.html body new [FREE iPhone] x1\n");
	assert_int_equal(st.pages, 9);
	assert_int_equal(st.hits_new, 3);
	assert_int_equal(st.outcomes[CRAWL_OK], 8);
	assert_int_equal(st.outcomes[CRAWL_NOT_HTML], 1);
	assert_int_equal(st.outcomes[CRAWL_REDIRECT], 1);
	assert_int_equal(st.outcomes[CRAWL_HTTP_ERROR], 2); /* missing.html, error */
	assert_int_equal(st.outcomes[CRAWL_TOO_BIG], 1);
	assert_int_equal(st.off_site, 2); /* example.com, linked from / and /index.html */
	assert_int_equal(st.robots_blocked, 1); /* /private.html */
	assert_int_equal(st.outcomes[CRAWL_ROBOTS], 1);

	/* The same crawl again: a new generation fetches every page again; nothing changed, so
	 * nothing is matched again, no hit is added, and each hit is seen once more (page_hits). */
	assert_int_equal(crawl_run(&o, e->rules, e->store, &st, err, sizeof(err)), 0);
	assert_int_equal(st.hits_new, 0);
	assert_int_equal(st.hits, 0);
	assert_int_equal(st.pages, 9);
	assert_int_equal(store_pages_each(e->store, collect_page, &l), 0);
	assert_string_equal(lines_join(&l), expected_pages);
	assert_int_equal(store_hits_each(e->store, collect_hit, &l), 0);
	assert_string_equal(lines_join(&l),
			    "test.click-farming /b.html body new [刷单] x2\n"
			    "test.crypto-doubling /c.html body new [double your bitcoin] x2\n"
			    "test.prize /a.html body new [FREE iPhone] x2\n");
}

static int copy_canonical(const struct store_page *p, void *ud)
{
	snprintf(ud, 256, "%s", p->canonical);
	return 0;
}

/* <link rel=canonical> is stored with its page, resolved, and never fetched: /a.html names
 * a.html?from=canonical, which is not among the pages of the crawl. */
static void crawl_records_canonical(void **state)
{
	struct env *e = *state;
	struct crawl_opts o = test_opts(e);
	struct crawl_stats st;
	char err[512], url[128], canonical[256], want[128];
	assert_int_equal(crawl_run(&o, e->rules, e->store, &st, err, sizeof(err)), 0);
	struct lines l = {.prefix = e->seed};
	assert_int_equal(store_pages_each(e->store, collect_page, &l), 0);
	assert_string_equal(lines_join(&l), expected_pages);
	snprintf(url, sizeof(url), "%sa.html", e->seed);
	snprintf(want, sizeof(want), "%sa.html?from=canonical", e->seed);
	assert_int_equal(store_page_get(e->store, url, copy_canonical, canonical), 0);
	assert_string_equal(canonical, want);
	snprintf(url, sizeof(url), "%sb.html", e->seed);
	assert_int_equal(store_page_get(e->store, url, copy_canonical, canonical), 0);
	assert_string_equal(canonical, "");
}

static void crawl_max_pages_stops(void **state)
{
	struct env *e = *state;
	struct crawl_opts o = test_opts(e);
	o.max_pages = 2;
	o.connections = 1;
	o.workers = 1;
	struct crawl_stats st;
	char err[512];
	assert_int_equal(crawl_run(&o, e->rules, e->store, &st, err, sizeof(err)), 0);
	assert_int_equal(st.fetched, 2);
	assert_int_equal(st.pages, 2);
}

static void crawl_refuses_loopback_unless_allowed(void **state)
{
	struct env *e = *state;
	struct crawl_opts o = test_opts(e);
	test_registry(e, e->seed, false, NULL);
	o.registry = e->reg;
	struct crawl_stats st;
	char err[512];
	assert_int_equal(crawl_run(&o, e->rules, e->store, &st, err, sizeof(err)),
			 ERR_SCOPE);
	assert_non_null(strstr(err, "private or loopback"));
	assert_int_equal(st.pages, 0);
}

static void crawl_robots_5xx_disallows_all(void **state)
{
	struct env *e = *state;
	struct crawl_opts o = test_opts(e);
	struct crawl_stats st;
	char err[512];
	/* RFC 9309: a 5xx means assume everything is disallowed, so the seed is refused. */
	robots_status = 503;
	assert_int_equal(crawl_run(&o, e->rules, e->store, &st, err, sizeof(err)), ERR_SCOPE);
	robots_status = 200;
	assert_non_null(strstr(err, "robots.txt answered HTTP 503"));
	assert_int_equal(st.fetched, 0);
	/* The failure is not cached: the next crawl asks again, and crawls. */
	assert_int_equal(crawl_run(&o, e->rules, e->store, &st, err, sizeof(err)), 0);
	assert_int_equal(st.pages, 9);
}

static void crawl_robots_4xx_allows_all(void **state)
{
	struct env *e = *state;
	struct crawl_opts o = test_opts(e);
	struct crawl_stats st;
	char err[512];
	robots_status = 404;
	assert_int_equal(crawl_run(&o, e->rules, e->store, &st, err, sizeof(err)), 0);
	robots_status = 200;
	assert_int_equal(st.robots_blocked, 0);
	assert_int_equal(st.pages, 10); /* /private.html too */
}

static void crawl_robots_cached_and_seed_disallowed(void **state)
{
	struct env *e = *state;
	struct crawl_opts o = test_opts(e);
	struct crawl_stats st;
	char err[512], seed[96];
	robots_requests = 0;
	assert_int_equal(crawl_run(&o, e->rules, e->store, &st, err, sizeof(err)), 0);
	assert_int_equal(robots_requests, 1);
	/* The seed itself disallowed; robots.txt comes from the store's cache this time. */
	snprintf(seed, sizeof(seed), "%sprivate.html", e->seed);
	test_registry(e, seed, true, NO_SITEMAPS);
	o.registry = e->reg;
	assert_int_equal(crawl_run(&o, e->rules, e->store, &st, err, sizeof(err)), ERR_SCOPE);
	assert_non_null(strstr(err, "robots.txt disallows it"));
	assert_int_equal(robots_requests, 1);
}

/* Politeness: one connection and 150 ms between request starts on the host, so the requests of
 * the crawl arrive at least that far apart; and the whole crawl takes about as long as that
 * says, not more. */
static void crawl_keeps_politeness(void **state)
{
	struct env *e = *state;
	struct crawl_opts o = test_opts(e);
	char yaml[1024];
	snprintf(yaml, sizeof(yaml), "    politeness: {delay_ms: 150, connections: 1}\n");
	/* the venue above has delay 0; register it again with the delay */
	venue_registry_free(e->reg);
	e->reg = NULL;
	char text[2048];
	snprintf(text, sizeof(text),
		 "crawler:\n"
		 "  user_agent: \"patrol/1 (+https://example.org/contact)\"\n"
		 "  limits: {max_body: 1048576}\n"
		 "venues:\n"
		 "  - id: test-site\n"
		 "    name: Test site\n"
		 "    seeds: [\"%s\"]\n"
		 "%s"
		 "    allow_private_addresses: true\n",
		 e->seed, yaml);
	assert_int_equal(venue_registry_load_mem("polite.yaml", text, strlen(text), &e->reg, NULL),
			 0);
	o.registry = e->reg;
	pthread_mutex_lock(&log_lock);
	nlogged = 0;
	pthread_mutex_unlock(&log_lock);
	struct crawl_stats st;
	char err[512];
	int64_t t0 = now_ms();
	assert_int_equal(crawl_run(&o, e->rules, e->store, &st, err, sizeof(err)), 0);
	int64_t took = now_ms() - t0;
	pthread_mutex_lock(&log_lock);
	size_t n = nlogged;
	int64_t min_gap = INT64_MAX;
	for (size_t i = 1; i < n; i++)
		if (request_log[i].ms - request_log[i - 1].ms < min_gap)
			min_gap = request_log[i].ms - request_log[i - 1].ms;
	pthread_mutex_unlock(&log_lock);
	if (n < 12)
		fail_msg("only %zu requests", n); /* robots.txt, sitemap.xml and the pages */
	if (min_gap < 140)
		fail_msg("two requests %lld ms apart, under the 150 ms delay", (long long)min_gap);
	/* n requests at 150 ms: about (n - 1) * 150 ms, with room for a slow machine */
	assert_true(took >= (int64_t)(n - 1) * 140);
	assert_true(took < (int64_t)(n - 1) * 150 + 3000);
}

static void crawl_unreachable_seed_fails(void **state)
{
	struct env *e = *state;
	struct crawl_opts o = test_opts(e);
	/* A port that was free a moment ago: bind-and-close leaves nobody listening. */
	struct httpd *tmp;
	char err[512], seed[64];
	assert_int_equal(httpd_start("127.0.0.1", 0, httpd_static_handler, &e->site, &tmp, err,
				     sizeof(err)), 0);
	snprintf(seed, sizeof(seed), "http://127.0.0.1:%u/", httpd_port(tmp));
	httpd_stop(tmp);
	test_registry(e, seed, true, NULL);
	o.registry = e->reg;
	assert_int_equal(crawl_run(&o, e->rules, e->store, NULL, err, sizeof(err)),
			 ERR_NET);
	assert_non_null(strstr(err, seed));
}

static void crawl_non_html_seed_fails(void **state)
{
	struct env *e = *state;
	struct crawl_opts o = test_opts(e);
	char seed[96], err[512];
	snprintf(seed, sizeof(seed), "%sfile.txt", e->seed);
	test_registry(e, seed, true, NO_SITEMAPS);
	o.registry = e->reg;
	assert_int_equal(crawl_run(&o, e->rules, e->store, NULL, err, sizeof(err)),
			 ERR_HTTP);
	assert_non_null(strstr(err, "not an HTML page (Content-Type: text/plain)"));
	snprintf(seed, sizeof(seed), "%smissing.html", e->seed);
	test_registry(e, seed, true, NO_SITEMAPS);
	o.registry = e->reg;
	assert_int_equal(crawl_run(&o, e->rules, e->store, NULL, err, sizeof(err)),
			 ERR_HTTP);
	assert_non_null(strstr(err, "HTTP 404"));
	/* A seed that is no http(s) URL never becomes a venue. */
	const struct venue *v = NULL;
	assert_int_equal(venue_registry_add_adhoc(e->reg, "ftp://127.0.0.1/", true, &v), ERR_URL);
	assert_null(v);
}

/* ---- A thread page: rules on posts and authors ---- */

static const char posts_rules[] =
	"pack: posts-test\n"
	"version: \"1\"\n"
	"rules:\n"
	"  - id: test.post-rebate\n"
	"    title: Rebate promise in a post\n"
	"    category: fraud/click-farming\n"
	"    severity: high\n"
	"    fields: [post]\n"
	"    patterns:\n"
	"      rebate: '刷单返利日结' # the view has no separators between CJK\n"
	"    tests:\n"
	"      match: [\"刷单返利，日结佣金\"]\n"
	"      no-match: [\"刷单返利k8$ Q!，日结\"]\n"
	"  - id: test.volunteer-reply\n"
	"    title: A reply by the anti-fraud volunteer who says it is a scam\n"
	"    category: test/author\n"
	"    severity: info\n"
	"    fields: [post]\n"
	"    patterns:\n"
	"      scam: '诈骗'\n"
	"      who: '反诈志愿者'\n"
	"    condition: scam and who in author\n"
	"    tests:\n"
	"      match: [\"诈骗\"]\n"
	"      no-match: [\"靠谱\"]\n"
	"  - id: test.body-like-farmer\n"
	"    title: A rule on the body whose match is in the third post\n"
	"    category: fraud/click-farming\n"
	"    severity: low\n"
	"    fields: [body]\n"
	"    patterns:\n"
	"      job: '点赞员'\n"
	"    tests:\n"
	"      match: [\"点赞员\"]\n"
	"      no-match: [\"点赞\"]\n";

static int setup_posts(void **state)
{
	setup(state);
	struct env *e = *state;
	httpd_stop(e->httpd);
	snprintf(e->root, sizeof(e->root), "%s/tests/fixtures/posts", getenv("PATROL_SOURCE_ROOT"));
	char err[512];
	assert_int_equal(httpd_start("127.0.0.1", 0, site_handler, &e->site, &e->httpd, err,
				     sizeof(err)), 0);
	snprintf(e->seed, sizeof(e->seed), "http://127.0.0.1:%u/discuz-x3.html",
		 httpd_port(e->httpd));
	rules_set_free(e->rules);
	e->rules = NULL;
	assert_int_equal(rules_set_load_mem("posts-test.yaml", posts_rules, strlen(posts_rules),
					    &e->rules, NULL),
			 0);
	return 0;
}

static int collect_post_hit(const struct store_hit *h, void *ud)
{
	struct lines *l = ud;
	char s[1024];
	int n = snprintf(s, sizeof(s), "%s %s %lld [%s] by %s at %s:", h->rule, h->field,
			 (long long)h->post, h->match, h->post_author, h->post_time);
	for (size_t i = 0; i < h->nspans && n > 0 && (size_t)n < sizeof(s); i++)
		n += snprintf(s + n, sizeof(s) - (size_t)n, " %s@%s%lld[%s]", h->spans[i].pattern,
			      h->spans[i].field, (long long)h->spans[i].post, h->spans[i].text);
	/* The match is the hit's first span, cut from the field at its offsets. */
	assert_true(h->nspans > 0 && h->end > h->start);
	lines_add(l, s);
	return 0;
}

/* A Discuz! thread (tests/fixtures/posts): the built-in profile splits it into posts; a rule on
 * posts finds the first post's words, which the body's anti-scraping noise breaks apart, and a
 * rule scoped to the author finds the reply of the volunteer alone. */
static void crawl_matches_posts_and_authors(void **state)
{
	struct env *e = *state;
	struct crawl_opts o;
	crawl_opts_default(&o);
	test_registry(e, e->seed, true, NO_SITEMAPS);
	o.registry = e->reg;
	o.max_pages = 1;
	struct crawl_stats st;
	char err[512];
	assert_int_equal(crawl_run(&o, e->rules, e->store, &st, err, sizeof(err)), 0);
	struct lines l = {.prefix = e->seed};
	assert_int_equal(store_hits_each(e->store, collect_post_hit, &l), 0);
	/* Each hit names its post's author and time (a body hit: the post its match is in) and
	 * every pattern that matched, with the field instance. */
	assert_string_equal(
		lines_join(&l),
		"test.body-like-farmer body -1 [点赞员] by 路人甲 at 发表于 2024-3-9 10:47:30: "
		"job@body-1[点赞员]\n"
		"test.post-rebate post 0 [刷单返利，日结] by 小鱼儿 at 发表于 2024-3-8 21:05:44: "
		"rebate@post0[刷单返利，日结]\n"
		"test.volunteer-reply post 1 [诈骗] by 反诈志愿者 at 2024-3-9 08:12:03: "
		"scam@post1[诈骗] who@author1[反诈志愿者]\n");
	assert_int_equal(st.hits_new, 3);
}

static void remember_detail(const struct crawl_event *ev, void *ud)
{
	if (ev->detail[0])
		snprintf(ud, 256, "%s", ev->detail);
}

/* A rule that cannot run on a page (PCRE2's match limit) is counted and named, never taken as
 * "no match" and never the end of the crawl: the page and the other rule's hit are stored. */
static void crawl_counts_rule_errors(void **state)
{
	struct env *e = *state;
	static const char pack[] =
		"pack: p\n"
		"rules:\n"
		"  - {id: test.ok, title: T, category: c, severity: low, patterns: {x: 'aaaab'}}\n"
		"  - {id: test.bomb, title: T, category: c, severity: low, patterns: {x: '(a+)+$'}}\n";
	rules_set_free(e->rules);
	e->rules = NULL;
	assert_int_equal(rules_set_load_mem("p.yaml", pack, strlen(pack), &e->rules, NULL), 0);
	char seed[128];
	snprintf(seed, sizeof(seed), "%sbomb.html", e->seed);
	struct crawl_opts o;
	crawl_opts_default(&o);
	test_registry(e, seed, true, NO_SITEMAPS);
	o.registry = e->reg;
	o.max_pages = 1;
	o.on_event = remember_detail;
	char detail[256] = "";
	o.ud = detail;
	struct crawl_stats st;
	char err[512];
	assert_int_equal(crawl_run(&o, e->rules, e->store, &st, err, sizeof(err)), 0);
	assert_int_equal(st.pages, 1);
	assert_int_equal(st.hits_new, 1);
	assert_int_equal(st.rule_errors, 1);
	assert_string_equal(detail, "rule test.bomb could not run (regular expression error)");
}

int main(void)
{
	assert_int_equal(crawl_global_init(), 0);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(crawl_site_stores_pages_and_hits, setup, teardown),
		cmocka_unit_test_setup_teardown(crawl_records_canonical, setup, teardown),
		cmocka_unit_test_setup_teardown(crawl_max_pages_stops, setup, teardown),
		cmocka_unit_test_setup_teardown(crawl_refuses_loopback_unless_allowed, setup,
						teardown),
		cmocka_unit_test_setup_teardown(crawl_robots_5xx_disallows_all, setup, teardown),
		cmocka_unit_test_setup_teardown(crawl_robots_4xx_allows_all, setup, teardown),
		cmocka_unit_test_setup_teardown(crawl_robots_cached_and_seed_disallowed, setup,
						teardown),
		cmocka_unit_test_setup_teardown(crawl_keeps_politeness, setup, teardown),
		cmocka_unit_test_setup_teardown(crawl_unreachable_seed_fails, setup, teardown),
		cmocka_unit_test_setup_teardown(crawl_non_html_seed_fails, setup, teardown),
		cmocka_unit_test_setup_teardown(crawl_matches_posts_and_authors, setup_posts,
						teardown),
		cmocka_unit_test_setup_teardown(crawl_counts_rule_errors, setup, teardown),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	crawl_global_cleanup();
	return rc;
}
