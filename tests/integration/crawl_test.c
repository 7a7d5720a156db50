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
#include "crawler/crawl.h"
#include "index/store.h"
#include "review/httpd.h"
#include "rules/rules.h"

#include <stdio.h>
#include <stdlib.h>
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
};

static char big_body[2u << 20];
static _Atomic int robots_status = 200; /* what /robots.txt answers: 200 serves the fixture's file */

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
	if (strcmp(req->path, "/error") == 0) {
		resp->status = 500;
		resp->content_type = "text/html";
		resp->body = "<p>oops</p>";
		resp->len = 11;
		resp->body_static = true;
		return 0;
	}
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

static struct crawl_opts test_opts(struct env *e)
{
	struct crawl_opts o;
	crawl_opts_default(&o);
	o.venue = "test-site";
	o.seed = e->seed;
	o.allow_private = true;
	o.max_body = 1u << 20;
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
	"/index.html 200 test-site\n";

static void crawl_site_stores_pages_and_hits(void **state)
{
	struct env *e = *state;
	struct crawl_opts o = test_opts(e);
	struct crawl_stats st;
	char err[512];
	assert_int_equal(crawl_run(&o, e->rules, e->store, NULL, NULL, &st, err, sizeof(err)), 0);

	struct lines l = {.prefix = e->seed};
	assert_int_equal(store_pages_each(e->store, collect_page, &l), 0);
	assert_string_equal(lines_join(&l), expected_pages);
	assert_int_equal(store_hits_each(e->store, collect_hit, &l), 0);
	assert_string_equal(lines_join(&l),
			    "test.click-farming /b.html body new [刷单] x1\n"
			    "test.crypto-doubling /c.html body new [double your bitcoin] x1\n"
			    "test.prize /a.html body new [FREE iPhone] x1\n");
	assert_int_equal(st.pages, 8);
	assert_int_equal(st.hits_new, 3);
	assert_int_equal(st.outcomes[CRAWL_OK], 7);
	assert_int_equal(st.outcomes[CRAWL_NOT_HTML], 1);
	assert_int_equal(st.outcomes[CRAWL_REDIRECT], 1);
	assert_int_equal(st.outcomes[CRAWL_HTTP_ERROR], 2); /* missing.html, error */
	assert_int_equal(st.outcomes[CRAWL_TOO_BIG], 1);
	assert_int_equal(st.off_site, 2); /* example.com, linked from / and /index.html */
	assert_int_equal(st.robots_blocked, 1); /* /private.html */
	assert_int_equal(st.outcomes[CRAWL_ROBOTS], 1);

	/* The same crawl again: the same pages and hits, each hit seen twice, none new. */
	assert_int_equal(crawl_run(&o, e->rules, e->store, NULL, NULL, &st, err, sizeof(err)), 0);
	assert_int_equal(st.hits_new, 0);
	assert_int_equal(st.hits, 3);
	assert_int_equal(store_pages_each(e->store, collect_page, &l), 0);
	assert_string_equal(lines_join(&l), expected_pages);
	assert_int_equal(store_hits_each(e->store, collect_hit, &l), 0);
	assert_string_equal(lines_join(&l),
			    "test.click-farming /b.html body new [刷单] x2\n"
			    "test.crypto-doubling /c.html body new [double your bitcoin] x2\n"
			    "test.prize /a.html body new [FREE iPhone] x2\n");
}

static void crawl_max_pages_stops(void **state)
{
	struct env *e = *state;
	struct crawl_opts o = test_opts(e);
	o.max_pages = 2;
	o.connections = 1;
	struct crawl_stats st;
	char err[512];
	assert_int_equal(crawl_run(&o, e->rules, e->store, NULL, NULL, &st, err, sizeof(err)), 0);
	assert_int_equal(st.fetched, 2);
	assert_int_equal(st.pages, 2);
}

static void crawl_refuses_loopback_unless_allowed(void **state)
{
	struct env *e = *state;
	struct crawl_opts o = test_opts(e);
	o.allow_private = false;
	struct crawl_stats st;
	char err[512];
	assert_int_equal(crawl_run(&o, e->rules, e->store, NULL, NULL, &st, err, sizeof(err)),
			 ERR_SCOPE);
	assert_non_null(strstr(err, "private or loopback"));
	assert_int_equal(st.pages, 0);
}

static void crawl_obeys_robots_failures(void **state)
{
	struct env *e = *state;
	struct crawl_opts o = test_opts(e);
	struct crawl_stats st;
	char err[512];
	/* 5xx: RFC 9309 says assume everything is disallowed, so the seed is refused. */
	robots_status = 503;
	assert_int_equal(crawl_run(&o, e->rules, e->store, NULL, NULL, &st, err, sizeof(err)),
			 ERR_SCOPE);
	assert_non_null(strstr(err, "robots.txt answered HTTP 503"));
	assert_int_equal(st.fetched, 0);
	/* 4xx: robots.txt is unavailable, everything is allowed, even /private.html. */
	robots_status = 404;
	assert_int_equal(crawl_run(&o, e->rules, e->store, NULL, NULL, &st, err, sizeof(err)), 0);
	assert_int_equal(st.robots_blocked, 0);
	assert_int_equal(st.pages, 9);
	robots_status = 200;
	/* The seed itself disallowed. */
	char seed[96];
	snprintf(seed, sizeof(seed), "%sprivate.html", e->seed);
	o.seed = seed;
	assert_int_equal(crawl_run(&o, e->rules, e->store, NULL, NULL, &st, err, sizeof(err)),
			 ERR_SCOPE);
	assert_non_null(strstr(err, "robots.txt disallows it"));
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
	o.seed = seed;
	assert_int_equal(crawl_run(&o, e->rules, e->store, NULL, NULL, NULL, err, sizeof(err)),
			 ERR_NET);
	assert_non_null(strstr(err, seed));
}

static void crawl_non_html_seed_fails(void **state)
{
	struct env *e = *state;
	struct crawl_opts o = test_opts(e);
	char seed[96], err[512];
	snprintf(seed, sizeof(seed), "%sfile.txt", e->seed);
	o.seed = seed;
	assert_int_equal(crawl_run(&o, e->rules, e->store, NULL, NULL, NULL, err, sizeof(err)),
			 ERR_HTTP);
	assert_non_null(strstr(err, "not an HTML page (Content-Type: text/plain)"));
	snprintf(seed, sizeof(seed), "%smissing.html", e->seed);
	assert_int_equal(crawl_run(&o, e->rules, e->store, NULL, NULL, NULL, err, sizeof(err)),
			 ERR_HTTP);
	assert_non_null(strstr(err, "HTTP 404"));
	o.seed = "ftp://127.0.0.1/";
	assert_int_equal(crawl_run(&o, e->rules, e->store, NULL, NULL, NULL, err, sizeof(err)),
			 ERR_URL);
	assert_non_null(strstr(err, "invalid seed URL"));
}

int main(void)
{
	assert_int_equal(crawl_global_init(), 0);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(crawl_site_stores_pages_and_hits, setup, teardown),
		cmocka_unit_test_setup_teardown(crawl_max_pages_stops, setup, teardown),
		cmocka_unit_test_setup_teardown(crawl_refuses_loopback_unless_allowed, setup,
						teardown),
		cmocka_unit_test_setup_teardown(crawl_obeys_robots_failures, setup, teardown),
		cmocka_unit_test_setup_teardown(crawl_unreachable_seed_fails, setup, teardown),
		cmocka_unit_test_setup_teardown(crawl_non_html_seed_fails, setup, teardown),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	crawl_global_cleanup();
	return rc;
}
