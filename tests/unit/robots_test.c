/* SPDX-License-Identifier: MIT */
/* Unit tests of crawler/robots.h: line syntax, groups, matching, percent-encoding, the special
 * constructors, crawl-delay, sitemaps, the caps, pathological patterns that must stay fast, and
 * the external conformance cases (the .jsonl files in $PATROL_CONFORMANCE/robots): all of them
 * must pass when that folder exists; they are skipped, saying so, when it does not.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "common/err.h"
#include "crawler/robots.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

/* Time limits catch super-linear matching, not slow machines: sanitizers slow everything down
 * several times (ThreadSanitizer most), so their builds get more room. */
#if defined(__SANITIZE_THREAD__)
#define SLOWDOWN 20.0
#elif defined(__SANITIZE_ADDRESS__)
#define SLOWDOWN 5.0
#else
#define SLOWDOWN 1.0
#endif

static struct robots *parse(const char *txt, const char *agent)
{
	struct robots *r = NULL;
	assert_int_equal(robots_parse(txt, strlen(txt), agent, &r), 0);
	assert_non_null(r);
	return r;
}

/* The verdict for one robots.txt, one product token and one path. */
static bool allowed(const char *txt, const char *agent, const char *path)
{
	struct robots *r = parse(txt, agent);
	bool a = robots_allowed(r, path);
	robots_free(r);
	return a;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* malloc that cannot return NULL (abort is noreturn: the compiler knows it too). */
static void *xmalloc(size_t n)
{
	void *p = malloc(n);
	if (!p)
		abort();
	return p;
}

/* A malloc'd string of n copies of c. */
static char *repeat(char c, size_t n)
{
	char *s = xmalloc(n + 1);
	memset(s, c, n);
	s[n] = '\0';
	return s;
}

static void line_syntax(void **state)
{
	(void)state;
	/* Keys are case-insensitive; values of allow/disallow are not. */
	assert_false(allowed("USER-AGENT: FooBot\nDISALLOW: /x\n", "FooBot", "/x/y"));
	assert_false(allowed("uSeR-aGeNt: FooBot\ndIsAlLoW: /x\n", "FooBot", "/x/y"));
	assert_true(allowed("user-agent: FooBot\ndisallow: /X\n", "FooBot", "/x/y"));
	/* Whitespace around key, colon and value is trimmed. */
	assert_false(
		allowed("  user-agent  :   FooBot  \n\t disallow\t:\t/x \t\n", "FooBot", "/x"));
	/* Google: no colon, exactly two words. */
	assert_false(allowed("user-agent FooBot\ndisallow /x\n", "FooBot", "/x"));
	assert_true(allowed("user-agent FooBot\ndisallow /x /y\n", "FooBot", "/x"));
	/* Google: typos, and keys recognized by their start. */
	assert_false(allowed("useragent: FooBot\ndissallow: /a\n", "FooBot", "/a"));
	assert_false(allowed("user agent: FooBot\ndisalow: /a\n", "FooBot", "/a"));
	assert_false(allowed("user-agent: FooBot\ndissalow: /a\n", "FooBot", "/a"));
	assert_false(allowed("user-agent: FooBot\ndiasllow: /a\n", "FooBot", "/a"));
	assert_false(allowed("user-agent: FooBot\ndisallaw: /a\n", "FooBot", "/a"));
	assert_false(allowed("user-agents: FooBot\ndisallowed: /a\n", "FooBot", "/a"));
	/* Unknown keys and garbage are ignored. */
	assert_true(allowed("foo: FooBot\nbar: /\n", "FooBot", "/x"));
	assert_true(allowed("user-agent: FooBot\n: /\ndisallow\n", "FooBot", "/x"));
	/* Comments: whole lines and the rest of a line. */
	assert_true(allowed("user-agent: FooBot\n# disallow: /\n", "FooBot", "/x"));
	assert_false(allowed("user-agent: FooBot # me\ndisallow: /x#y\n", "FooBot", "/x"));
	assert_true(allowed("user-agent: FooBot\ndisallow: #/\n", "FooBot", "/x"));
	/* A NUL byte ends its line. */
	static const char nul[] = "user-agent: FooBot\ndisallow: /a\0bc\ndisallow: /d\n";
	struct robots *r;
	assert_int_equal(robots_parse(nul, sizeof(nul) - 1, "FooBot", &r), 0);
	assert_false(robots_allowed(r, "/ab"));
	assert_false(robots_allowed(r, "/d"));
	robots_free(r);
}

static void line_endings(void **state)
{
	(void)state;
	static const char *const files[] = {
		"User-agent: FooBot\nDisallow: /a\n\nDisallow: /b\nAllow: /a/ok\n",
		"User-agent: FooBot\r\nDisallow: /a\r\n\r\nDisallow: /b\r\nAllow: /a/ok\r\n",
		"User-agent: FooBot\rDisallow: /a\r\rDisallow: /b\rAllow: /a/ok\r",
		"User-agent: FooBot\nDisallow: /a\r\n\rDisallow: /b\r\nAllow: /a/ok",
	};
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		struct robots *r = parse(files[i], "FooBot");
		assert_false(robots_allowed(r, "/a"));
		assert_false(robots_allowed(r, "/b"));
		assert_true(robots_allowed(r, "/a/ok"));
		assert_true(robots_allowed(r, "/c"));
		robots_free(r);
	}
}

static void byte_order_mark(void **state)
{
	(void)state;
	/* A BOM, or the start of one, is skipped. */
	assert_false(allowed("\xEF\xBB\xBFUser-agent: FooBot\nDisallow: /\n", "FooBot", "/x"));
	assert_false(allowed("\xEF\xBBUser-agent: FooBot\nDisallow: /\n", "FooBot", "/x"));
	assert_false(allowed("\xEFUser-agent: FooBot\nDisallow: /\n", "FooBot", "/x"));
	/* A broken BOM spoils its line: the rules then sit outside any group. */
	assert_true(allowed("\xEF\x11\xBFUser-agent: FooBot\nDisallow: /\n", "FooBot", "/x"));
	/* A BOM later in the file is no BOM. */
	assert_true(allowed("User-agent: FooBot\n\xEF\xBB\xBF"
			    "Disallow: /\n",
			    "FooBot", "/x"));
}

static void groups(void **state)
{
	(void)state;
	const char *txt = "allow: /foo/bar/\n"
			  "\n"
			  "user-agent: FooBot\n"
			  "disallow: /\n"
			  "allow: /x/\n"
			  "user-agent: BarBot\n"
			  "disallow: /\n"
			  "allow: /y/\n"
			  "\n"
			  "\n"
			  "allow: /w/\n"
			  "user-agent: BazBot\n"
			  "\n"
			  "user-agent: FooBot\n"
			  "allow: /z/\n"
			  "disallow: /\n";
	assert_true(allowed(txt, "FooBot", "/x/b"));
	assert_true(allowed(txt, "FooBot", "/z/d")); /* merged groups */
	assert_false(allowed(txt, "FooBot", "/y/c"));
	assert_true(allowed(txt, "BarBot", "/w/a")); /* blank lines do not end a group */
	assert_false(allowed(txt, "BarBot", "/z/d"));
	assert_true(allowed(txt, "BazBot", "/z/d"));	   /* BazBot shares FooBot's second group */
	assert_false(allowed(txt, "FooBot", "/foo/bar/")); /* rules before any group: ignored */

	/* "*" only when no group names the agent; a named group is not merged with "*". */
	const char *star = "User-agent: *\nDisallow: /x/\nUser-agent: FooBot\nDisallow: /y/\n";
	assert_true(allowed(star, "FooBot", "/x/page"));
	assert_false(allowed(star, "FooBot", "/y/page"));
	assert_false(allowed(star, "OtherBot", "/x/page"));
	assert_true(allowed(star, "OtherBot", "/y/page"));
	/* A named group with no rules allows everything, "*" notwithstanding. */
	assert_true(allowed("User-agent: *\nDisallow: /\n\nUser-agent: quxbot\n", "quxbot", "/a"));
	/* No group at all for the agent and no "*": everything allowed. */
	assert_true(allowed("User-agent: FooBot\nDisallow: /\n", "QuxBot", "/a"));

	/* Sitemap, crawl-delay and unknown lines do not end a group. */
	const char *other = "User-agent: BarBot\nSitemap: https://foo.bar/sitemap\n"
			    "Crawl-delay: 1\nUnknown: x\nUser-agent: *\nDisallow: /\n";
	assert_false(allowed(other, "BarBot", "/"));
	assert_false(allowed(other, "FooBot", "/"));

	/* User-agent values: the product token, case-insensitive. */
	assert_false(allowed("User-agent: FooBot/1.2\nDisallow: /\n", "foobot", "/a"));
	assert_false(allowed("User-agent: FOO BAR\nDisallow: /\n", "foo", "/a"));
	assert_true(allowed("User-agent: FooBotX\nDisallow: /\n", "FooBot", "/a"));
	assert_true(allowed("User-agent: Foo\nDisallow: /\n", "FooBot", "/a"));
	/* Google: "*" and more after a space is still "*"; "*bot" is not. */
	assert_false(allowed("User-agent: * all of you\nDisallow: /\n", "FooBot", "/a"));
	assert_true(allowed("User-agent: *bot\nDisallow: /\n", "FooBot", "/a"));
	/* An agent that is no valid product token can only get "*". */
	const char *both = "User-agent: *\nDisallow: /all\nUser-agent: Foo\nDisallow: /foo\n";
	assert_false(allowed(both, "Foo Bar", "/all"));
	assert_true(allowed(both, "Foo Bar", "/foo"));
	assert_false(allowed(both, "", "/all"));
	assert_true(allowed("user-agent: FooBot\ndisallow: /\n", "", "/"));
	assert_true(allowed(both, "foo/1.0", "/foo"));
	/* A user-agent value without a token names no crawler, not even an empty agent. */
	assert_true(allowed("User-agent: /x\nDisallow: /\n", "", "/a"));
	assert_true(allowed("User-agent:\nDisallow: /\n", "", "/a"));
}

static void matching(void **state)
{
	(void)state;
	/* Longest match wins; on a tie, allow. */
	assert_false(allowed("user-agent: a\ndisallow: /x/page.html\nallow: /x/\n", "a",
			     "/x/page.html"));
	assert_true(allowed("user-agent: a\nallow: /x/page.html\ndisallow: /x/\n", "a",
			    "/x/page.html"));
	assert_false(allowed("user-agent: a\nallow: /x/page.html\ndisallow: /x/\n", "a", "/x/"));
	assert_true(allowed("user-agent: a\ndisallow: /x\nallow: /x\n", "a", "/x"));
	assert_true(
		allowed("user-agent: a\nallow: /folder\ndisallow: /folder\n", "a", "/folder/page"));
	assert_false(
		allowed("user-agent: a\nallow: /page\ndisallow: /*.html\n", "a", "/page.html"));
	assert_true(allowed("user-agent: a\nallow: /page\ndisallow: /*.html\n", "a", "/page"));
	/* Empty values are no rules. */
	assert_true(allowed("user-agent: a\ndisallow:\n", "a", "/x"));
	assert_true(allowed("user-agent: a\ndisallow: \nallow: \n", "a", "/x"));
	/* Wildcards and the end anchor. */
	const char *w = "user-agent: a\ndisallow: /\nallow: /*.php$\nallow: /fish*.txt\n"
			"allow: /a$b\nallow: /only$\n";
	assert_true(allowed(w, "a", "/filename.php"));
	assert_true(allowed(w, "a", "/folder/filename.php"));
	assert_false(allowed(w, "a", "/filename.php?x"));
	assert_false(allowed(w, "a", "/filename.php/"));
	assert_true(allowed(w, "a", "/fish.txt"));
	assert_true(allowed(w, "a", "/fishheads/cat.txt?q"));
	assert_false(allowed(w, "a", "/Fish.txt"));
	assert_true(allowed(w, "a", "/a$b")); /* '$' inside a pattern is a literal */
	assert_false(allowed(w, "a", "/ab"));
	assert_true(allowed(w, "a", "/only"));
	assert_false(allowed(w, "a", "/only/"));
	assert_false(allowed("user-agent: a\ndisallow: *\n", "a", "/x"));
	assert_false(allowed("user-agent: a\ndisallow: *.gif$\n", "a", "/x/y.gif"));
	assert_true(allowed("user-agent: a\ndisallow: *.gif$\n", "a", "/x/y.gif?"));
	assert_false(allowed("user-agent: a\ndisallow: /*/*/c$\n", "a", "/a/b/c"));
	assert_true(allowed("user-agent: a\ndisallow: /*/*/c$\n", "a", "/a/c"));
	assert_false(allowed("user-agent: a\ndisallow: /**x\n", "a", "/yx"));
	/* Queries are part of the path; "" is "/" and a missing '/' is added. */
	assert_false(allowed("user-agent: a\ndisallow: /?id=\n", "a", "/?id=3"));
	assert_false(allowed("user-agent: a\ndisallow: /$\n", "a", ""));
	assert_false(allowed("user-agent: a\ndisallow: /?q\n", "a", "?q"));
	/* /robots.txt is always allowed. */
	assert_true(allowed("user-agent: *\ndisallow: /\n", "a", "/robots.txt"));
	assert_false(allowed("user-agent: *\ndisallow: /\n", "a", "/robots.txt.bak"));
}

static void percent_encoding(void **state)
{
	(void)state;
	/* Escapes compare with their hex digits in either case, on either side. */
	assert_false(allowed("user-agent: a\ndisallow: /a%2fb\n", "a", "/a%2Fb"));
	assert_false(allowed("user-agent: a\ndisallow: /a%2Fb\n", "a", "/a%2fb"));
	assert_false(allowed("user-agent: a\ndisallow: /a%2fb\n", "a", "/a%2fb"));
	assert_true(allowed("user-agent: a\ndisallow: /a%2fb\n", "a", "/a/b"));
	/* Non-ASCII in a pattern is percent-encoded; the caller encodes the path. */
	const char *tsu = "User-agent: a\nDisallow: /\nAllow: /foo/bar/\xE3\x83\x84\n";
	assert_true(allowed(tsu, "a", "/foo/bar/%E3%83%84"));
	assert_true(allowed(tsu, "a", "/foo/bar/%e3%83%84"));
	assert_false(allowed(tsu, "a", "/foo/bar/\xE3\x83\x84"));
	/* Unreserved escapes are not decoded (as in Google's matcher). */
	const char *baz = "User-agent: a\nDisallow: /\nAllow: /foo/bar/%62%61%7A\n";
	assert_false(allowed(baz, "a", "/foo/bar/baz"));
	assert_true(allowed(baz, "a", "/foo/bar/%62%61%7a"));
	/* A '%' that starts no escape is a plain byte; escapes do not overlap. */
	assert_false(allowed("user-agent: a\ndisallow: /%%41\n", "a", "/%%41x"));
	assert_false(allowed("user-agent: a\ndisallow: /%zz\n", "a", "/%zz"));
	assert_false(allowed("user-agent: a\ndisallow: /%4a%\n", "a", "/%4A%"));
}

static void index_html_is_directory(void **state)
{
	(void)state;
	const char *txt = "User-Agent: *\nAllow: /allowed-slash/index.html\nDisallow: /\n";
	assert_true(allowed(txt, "foobot", "/allowed-slash/"));
	assert_true(allowed(txt, "foobot", "/allowed-slash/index.html"));
	assert_false(allowed(txt, "foobot", "/allowed-slash/index.htm"));
	assert_false(allowed(txt, "foobot", "/allowed-slash/other"));
	assert_false(allowed(txt, "foobot", "/anyother-url"));
	/* Only for allow. */
	assert_true(allowed("User-Agent: *\nDisallow: /d/index.html\n", "foobot", "/d/"));
}

static void allow_all_and_disallow_all(void **state)
{
	(void)state;
	struct robots *r;
	assert_int_equal(robots_new_allow_all(&r), 0);
	assert_true(robots_allowed(r, "/"));
	assert_true(robots_allowed(r, "/anything?at=all"));
	assert_int_equal(robots_crawl_delay_ms(r), 0);
	assert_int_equal(robots_sitemap_count(r), 0);
	assert_null(robots_sitemap(r, 0));
	robots_free(r);

	assert_int_equal(robots_new_disallow_all(&r), 0);
	assert_false(robots_allowed(r, "/"));
	assert_false(robots_allowed(r, "/anything?at=all"));
	assert_true(robots_allowed(r, "/robots.txt"));
	bool a = true;
	assert_int_equal(robots_allowed_url(r, "https://example.org/x", &a), 0);
	assert_false(a);
	assert_int_equal(robots_crawl_delay_ms(r), 0);
	assert_int_equal(robots_sitemap_count(r), 0);
	robots_free(r);

	/* Empty and comment-only files allow everything. */
	assert_true(allowed("", "a", "/"));
	assert_true(allowed("# nothing\n\n", "a", "/x"));
	assert_int_equal(robots_parse(NULL, 0, "a", &r), 0);
	assert_true(robots_allowed(r, "/x"));
	robots_free(r);
}

static void crawl_delay(void **state)
{
	(void)state;
	struct robots *r;
	const char *txt =
		"Crawl-delay: 99\n" /* outside any group: ignored */
		"User-agent: *\nCrawl-delay: 5\nDisallow: /x\n"
		"User-agent: FooBot\nCrawl-delay: 0.5\n"
		"User-agent: BarBot\nDisallow: /y\n"
		"User-agent: BazBot\nCrawl-delay: 2\nCrawl-delay: 7 # seconds\nDisallow: /z\n"
		"User-agent: BazBot\nCrawldelay: 3\nDisallow:\n"
		"User-agent: QuxBot\nCrawl-delay: soon\nDisallow:\n"
		"User-agent: BigBot\nCrawl-delay: 99999999999999999999\n";
	r = parse(txt, "other");
	assert_int_equal(robots_crawl_delay_ms(r), 5000);
	robots_free(r);
	/* FooBot and BarBot share a group (no rule between their user-agent lines). */
	r = parse(txt, "FooBot");
	assert_int_equal(robots_crawl_delay_ms(r), 500);
	robots_free(r);
	r = parse(txt, "BarBot");
	assert_int_equal(robots_crawl_delay_ms(r), 500);
	assert_false(robots_allowed(r, "/y"));
	robots_free(r);
	r = parse(txt, "bazbot"); /* merged groups: the largest */
	assert_int_equal(robots_crawl_delay_ms(r), 7000);
	robots_free(r);
	r = parse(txt, "QuxBot"); /* named, no valid delay: none, whatever "*" says */
	assert_int_equal(robots_crawl_delay_ms(r), 0);
	robots_free(r);
	r = parse(txt, "BigBot");
	assert_int_equal(robots_crawl_delay_ms(r), ROBOTS_MAX_CRAWL_DELAY_MS);
	robots_free(r);
	r = parse("User-agent: *\nCrawl-delay: .25\n", "a");
	assert_int_equal(robots_crawl_delay_ms(r), 250);
	robots_free(r);
	r = parse("User-agent: *\nCrawl-delay: -3\n", "a");
	assert_int_equal(robots_crawl_delay_ms(r), 0);
	robots_free(r);
}

static void sitemaps(void **state)
{
	(void)state;
	const char *txt = "Sitemap: https://a.example/1.xml\n"
			  "User-agent: FooBot\nDisallow: /\n"
			  "SITE-MAP: https://a.example/2.xml # two\n"
			  "User-agent: *\nsitemap:\nSitemap:   http://b.example/3.xml?x=1  \n";
	struct robots *r = parse(txt, "QuxBot");
	assert_int_equal(robots_sitemap_count(r), 3);
	assert_string_equal(robots_sitemap(r, 0), "https://a.example/1.xml");
	assert_string_equal(robots_sitemap(r, 1), "https://a.example/2.xml");
	assert_string_equal(robots_sitemap(r, 2), "http://b.example/3.xml?x=1");
	assert_null(robots_sitemap(r, 3));
	robots_free(r);

	/* Capped: the first ROBOTS_MAX_SITEMAPS are kept. */
	char *many = xmalloc((ROBOTS_MAX_SITEMAPS + 10) * 40);
	size_t len = 0;
	for (int i = 0; i < ROBOTS_MAX_SITEMAPS + 10; i++)
		len += (size_t)sprintf(many + len, "Sitemap: https://s.example/%d.xml\n", i);
	assert_int_equal(robots_parse(many, len, "a", &r), 0);
	assert_int_equal(robots_sitemap_count(r), ROBOTS_MAX_SITEMAPS);
	assert_string_equal(robots_sitemap(r, ROBOTS_MAX_SITEMAPS - 1),
			    "https://s.example/999.xml");
	robots_free(r);
	free(many);
	/* A body is read within its length: the last line, a sitemap, ends the buffer, with no NUL
	 * after it (under ASan with strict_string_checks, as in CI, strndup read past it). */
	static const char last[] = "Sitemap: https://a.example/last.xml";
	char *exact = xmalloc(sizeof(last) - 1);
	memcpy(exact, last, sizeof(last) - 1);
	assert_int_equal(robots_parse(exact, sizeof(last) - 1, "a", &r), 0);
	assert_int_equal(robots_sitemap_count(r), 1);
	assert_string_equal(robots_sitemap(r, 0), "https://a.example/last.xml");
	robots_free(r);
	free(exact);
}

static void cap_body_size(void **state)
{
	(void)state;
	/* 2 MB: rules before ROBOTS_MAX_BYTES count, rules after it do not. */
	size_t len = 2 * 1000 * 1000;
	char *body = repeat('\n', len);
	const char *head = "User-agent: *\nDisallow: /a\n";
	memcpy(body, head, strlen(head));
	for (size_t i = 100; i + 80 < len; i += 80)
		memcpy(body + i, "# padding", 9);
	const char *late = "Disallow: /b\n";
	memcpy(body + ROBOTS_MAX_BYTES + 1000, late, strlen(late));
	struct robots *r;
	assert_int_equal(robots_parse(body, len, "a", &r), 0);
	assert_false(robots_allowed(r, "/a"));
	assert_true(robots_allowed(r, "/b"));
	robots_free(r);

	/* The line the cut falls in is dropped: "Allow: /p" must not stand for "/public". */
	memset(body, '\n', len);
	memcpy(body, "User-agent: *\nDisallow: /\n", 26);
	const char *allow = "Allow: /public/page\n";
	memcpy(body + ROBOTS_MAX_BYTES - 9, allow, strlen(allow));
	assert_int_equal(robots_parse(body, len, "a", &r), 0);
	assert_false(robots_allowed(r, "/private"));
	assert_false(robots_allowed(r, "/public/page"));
	robots_free(r);
	/* ... but a line that ends just at the cut is whole. */
	memset(body + ROBOTS_MAX_BYTES - 9, '\n', 30);
	memcpy(body + ROBOTS_MAX_BYTES - 9, "Allow: /p", 9);
	assert_int_equal(robots_parse(body, len, "a", &r), 0);
	assert_true(robots_allowed(r, "/private"));
	robots_free(r);
	/* So it is when the body stops right after that line end, or right before it. */
	assert_int_equal(robots_parse(body, ROBOTS_MAX_BYTES + 1, "a", &r), 0);
	assert_true(robots_allowed(r, "/private"));
	robots_free(r);
	assert_int_equal(robots_parse(body, ROBOTS_MAX_BYTES, "a", &r), 0);
	assert_true(robots_allowed(r, "/private"));
	robots_free(r);
	free(body);
}

static void cap_line_length(void **state)
{
	(void)state;
	/* A 100 KB disallow line is cut at ROBOTS_MAX_LINE bytes; the next lines still count. */
	size_t n = 100 * 1000;
	char *a = repeat('a', n);
	size_t len = 2 * n + 200;
	char *body = xmalloc(len);
	int k = snprintf(body, len, "User-agent: *\nDisallow: /%s\nDisallow: /next\n", a);
	assert_true(k > 0 && (size_t)k < len);
	struct robots *r;
	assert_int_equal(robots_parse(body, (size_t)k, "a", &r), 0);
	assert_false(robots_allowed(r, "/next"));
	/* The kept pattern: "/" and the a's that fit after "Disallow: " in ROBOTS_MAX_LINE. */
	size_t kept = ROBOTS_MAX_LINE - strlen("Disallow: /");
	char *path = xmalloc(kept + 3);
	path[0] = '/';
	memset(path + 1, 'a', kept);
	strcpy(path + 1 + kept, "b");
	assert_false(robots_allowed(r, path)); /* the cut pattern matches */
	path[kept] = 'b';
	assert_true(robots_allowed(r, path)); /* one 'a' short: no match */
	robots_free(r);
	/* A 100 KB user-agent line and a 100 KB comment do not get in the way. */
	k = snprintf(body, len, "User-agent: %s\nUser-agent: a\nDisallow: /x\n#%s", a, a);
	assert_true(k > 0 && (size_t)k < len);
	assert_int_equal(robots_parse(body, (size_t)k, "a", &r), 0);
	assert_false(robots_allowed(r, "/x"));
	robots_free(r);
	free(path);
	free(body);
	free(a);
}

static void cap_rule_count(void **state)
{
	(void)state;
	size_t cap = 20000 * 24 + 64;
	char *body = xmalloc(cap);
	size_t len = (size_t)sprintf(body, "User-agent: *\n");
	for (int i = 0; i < 20000; i++)
		len += (size_t)sprintf(body + len, "Disallow: /r%05d\n", i);
	struct robots *r;
	double t0 = now_s();
	assert_int_equal(robots_parse(body, len, "a", &r), 0);
	assert_false(robots_allowed(r, "/r00000"));
	assert_false(robots_allowed(r, "/r09999"));
	assert_true(robots_allowed(r, "/r10000")); /* past ROBOTS_MAX_RULES: ignored */
	assert_true(robots_allowed(r, "/r19999"));
	for (int i = 0; i < 1000; i++)
		assert_true(robots_allowed(r, "/s/not/listed"));
	assert_true(now_s() - t0 < 5.0 * SLOWDOWN);
	robots_free(r);
	free(body);
}

static void pathological_wildcards(void **state)
{
	(void)state;
	/* Backtracking matchers take exponential or O(n·m) time here; ours must not. */
	size_t n = 200 * 1000;
	char *path = repeat('a', n);
	path[0] = '/';
	size_t plen = 20000;
	char *body = xmalloc(plen * 2 + 4096);
	size_t len = (size_t)sprintf(body, "User-agent: *\n"
					   "Disallow: /*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b\n"
					   "Disallow: /*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b$\n"
					   "Disallow: /*");
	memset(body + len, 'a', ROBOTS_MAX_LINE - 20);
	len += ROBOTS_MAX_LINE - 20;
	len += (size_t)sprintf(body + len, "b\nDisallow: /");
	for (int i = 0; i < 4000; i++)
		len += (size_t)sprintf(body + len, "*a");
	len += (size_t)sprintf(body + len, "*c\n");
	struct robots *r;
	double t0 = now_s();
	assert_int_equal(robots_parse(body, len, "a", &r), 0);
	for (int i = 0; i < 20; i++)
		assert_true(robots_allowed(r, path));
	path[n - 1] = 'b';
	assert_false(robots_allowed(r, path));
	double t = now_s() - t0;
	assert_true(t < 2.0 * SLOWDOWN);
	robots_free(r);

	/* As many such rules as the cap allows, each scanning the whole path. */
	char *many = xmalloc((size_t)ROBOTS_MAX_RULES * 40 + 64);
	len = (size_t)sprintf(many, "User-agent: *\n");
	for (int i = 0; i < ROBOTS_MAX_RULES; i++)
		len += (size_t)sprintf(many + len, "Disallow: /*a*a*a*a*a*a*a*a*%d\n", i);
	path[n - 1] = 'a';
	path[8192] = '\0';
	t0 = now_s();
	assert_int_equal(robots_parse(many, len, "a", &r), 0);
	assert_true(robots_allowed(r, path));
	t = now_s() - t0;
	assert_true(t < 2.0 * SLOWDOWN);
	robots_free(r);
	free(many);
	free(body);
	free(path);
}

static void agent_token(void **state)
{
	(void)state;
	char out[ROBOTS_AGENT_MAX];
	robots_agent_token("patrol/1.0 (+https://example.org/bot)", out, sizeof(out));
	assert_string_equal(out, "patrol");
	robots_agent_token("  Foo_Bar-baz/2", out, sizeof(out));
	assert_string_equal(out, "Foo_Bar-baz");
	robots_agent_token("FooBot", out, sizeof(out));
	assert_string_equal(out, "FooBot");
	robots_agent_token("Foo Bar", out, sizeof(out));
	assert_string_equal(out, "Foo");
	robots_agent_token("/1.0", out, sizeof(out));
	assert_string_equal(out, "");
	robots_agent_token("", out, sizeof(out));
	assert_string_equal(out, "");
	robots_agent_token(NULL, out, sizeof(out));
	assert_string_equal(out, "");
	robots_agent_token("Mozilla/5.0 (compatible; patrol/1.0)", out, sizeof(out));
	assert_string_equal(out, "Mozilla");
	/* A token that does not fit is not cut into another crawler's name. */
	char small[7];
	robots_agent_token("patrol/1", small, sizeof(small));
	assert_string_equal(small, "patrol");
	robots_agent_token("patrols/1", small, sizeof(small));
	assert_string_equal(small, "");
	small[0] = 'x';
	robots_agent_token("patrol", small, 0);
	assert_int_equal(small[0], 'x');
	/* The token and the parser agree. */
	robots_agent_token("FooBot/2.1 (+https://example.org)", out, sizeof(out));
	assert_false(allowed("User-agent: foobot\nDisallow: /\n", out, "/a"));
}

static void allowed_url(void **state)
{
	(void)state;
	struct robots *r = parse("User-agent: *\nDisallow: /private\nDisallow: /*?s=\n"
				 "Disallow: /$\n",
				 "a");
	static const struct {
		const char *url;
		bool allowed;
	} ok[] = {
		{"http://example.org/private/x", false},
		{"HTTPS://example.org/private", false},
		{"https://user:pw@example.org:8443/private#frag", false},
		{"https://example.org/public#/private", true},
		{"https://example.org/public?s=1", false},
		{"https://example.org?s=1", false}, /* "/?s=1" */
		{"https://example.org", false},	    /* "/" */
		{"https://example.org/", false},
		{"https://example.org#x", false},
		{"https://example.org/a", true},
		{"http://example.org/robots.txt", true},
		{"https://example.org/a?b=http://c/private", true},
	};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		bool a = !ok[i].allowed;
		assert_int_equal(robots_allowed_url(r, ok[i].url, &a), 0);
		if (a != ok[i].allowed)
			fail_msg("%s: expected %d", ok[i].url, ok[i].allowed);
	}
	static const char *const bad[] = {"",		"/private",    "example.org/private",
					  "ftp://h/x",	"http:/x",     "http://",
					  "https:///x", "//h/private", "mailto:a@b"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		bool a = true;
		assert_int_equal(robots_allowed_url(r, bad[i], &a), ERR_URL);
		assert_true(a); /* untouched */
	}
	robots_free(r);
}

static void usage_errors(void **state)
{
	(void)state;
	struct robots *r = NULL;
	assert_int_equal(robots_parse("x", 1, NULL, &r), ERR_USAGE);
	assert_int_equal(robots_parse("x", 1, "a", NULL), ERR_USAGE);
	assert_int_equal(robots_parse(NULL, 1, "a", &r), ERR_USAGE);
	assert_null(r);
	assert_int_equal(robots_new_allow_all(NULL), ERR_USAGE);
	assert_int_equal(robots_new_disallow_all(NULL), ERR_USAGE);
	bool a;
	assert_int_equal(robots_allowed_url(NULL, "http://h/", &a), ERR_USAGE);
	robots_free(NULL);
}

/* ---- external conformance cases ---- */

/* Runs every case of one jsonl file; returns how many ran and adds failures to *failed. The
 * agent field is the crawler's product token (the folder's README): it goes to robots_parse as
 * the token the crawler would have made with robots_agent_token, unchanged, so an agent that is
 * no valid token ("", "Foo Bar") matches only "*", as Google's matcher treats it. An empty url
 * is Google's system-test convention for "/". */
static size_t run_cases(const char *path, size_t *failed)
{
	FILE *f = fopen(path, "r");
	if (!f)
		fail_msg("cannot open %s", path);
	char *line = NULL;
	size_t cap = 0, ran = 0, lineno = 0;
	ssize_t got;
	while ((got = getline(&line, &cap, f)) > 0) {
		lineno++;
		if (got == 1 && line[0] == '\n')
			continue;
		json_error_t jerr;
		json_t *c = json_loadb(line, (size_t)got, 0, &jerr);
		if (!c)
			fail_msg("%s:%zu: %s", path, lineno, jerr.text);
		json_t *jr = json_object_get(c, "robots"), *ja = json_object_get(c, "agent");
		json_t *ju = json_object_get(c, "url"), *jx = json_object_get(c, "allowed");
		const char *id = json_string_value(json_object_get(c, "id"));
		if (!json_is_string(jr) || !json_is_string(ja) || !json_is_string(ju) ||
		    !json_is_boolean(jx) || !id)
			fail_msg("%s:%zu: a field is missing", path, lineno);
		struct robots *r;
		assert_int_equal(robots_parse(json_string_value(jr), json_string_length(jr),
					      json_string_value(ja), &r),
				 0);
		const char *url = json_string_value(ju);
		bool a = false;
		int rc = 0;
		if (url[0])
			rc = robots_allowed_url(r, url, &a);
		else
			a = robots_allowed(r, "/");
		robots_free(r);
		ran++;
		if (rc || a != json_is_true(jx)) {
			const char *verdict = a ? "allowed" : "disallowed";
			(*failed)++;
			printf("# FAIL %s: agent \"%s\", expected %s, got %s\n", id,
			       json_string_value(ja), json_is_true(jx) ? "allowed" : "disallowed",
			       rc ? err_str(rc) : verdict);
		}
		json_decref(c);
	}
	free(line);
	fclose(f);
	return ran;
}

/* Says why a test is skipped, then skips it with cmocka's skip(), which does not return. Except
 * under TAP: cmocka 1.1.5 (Debian 12) prints a skipped test as "not ok N # SKIP", and TAP readers
 * such as meson count "not ok" as a failure whatever the directive; there the "# SKIP" comment
 * says it and the caller returns, so the test passes without having checked anything. */
static void skip_saying(const char *what, const char *why)
{
	printf("# SKIP %s: %s\n", what, why);
	fflush(stdout);
	const char *out = getenv("CMOCKA_MESSAGE_OUTPUT");
	if (!out || strcasecmp(out, "TAP") != 0)
		skip();
}

static void conformance_file(const char *name)
{
	const char *root = getenv("PATROL_CONFORMANCE");
	char dir[4096], path[4200];
	struct stat st;
	if (!root || !root[0] ||
	    snprintf(dir, sizeof(dir), "%s/robots", root) >= (int)sizeof(dir) ||
	    stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		snprintf(path, sizeof(path), "%s: no folder %s/robots", name,
			 root && root[0] ? root : "$PATROL_CONFORMANCE (unset)");
		skip_saying("robots conformance", path);
		return;
	}
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	size_t failed = 0;
	size_t ran = run_cases(path, &failed);
	printf("# robots conformance: %s: %zu cases ran, %zu passed, %zu failed\n", name, ran,
	       ran - failed, failed);
	fflush(stdout);
	assert_true(ran > 0); /* a lost file cannot pass silently */
	assert_int_equal(failed, 0);
}

static void conformance_google(void **state)
{
	(void)state;
	conformance_file("cases.jsonl");
}

static void conformance_rfc9309(void **state)
{
	(void)state;
	conformance_file("rfc9309_examples.jsonl");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(line_syntax),
		cmocka_unit_test(line_endings),
		cmocka_unit_test(byte_order_mark),
		cmocka_unit_test(groups),
		cmocka_unit_test(matching),
		cmocka_unit_test(percent_encoding),
		cmocka_unit_test(index_html_is_directory),
		cmocka_unit_test(allow_all_and_disallow_all),
		cmocka_unit_test(crawl_delay),
		cmocka_unit_test(sitemaps),
		cmocka_unit_test(cap_body_size),
		cmocka_unit_test(cap_line_length),
		cmocka_unit_test(cap_rule_count),
		cmocka_unit_test(pathological_wildcards),
		cmocka_unit_test(agent_token),
		cmocka_unit_test(allowed_url),
		cmocka_unit_test(usage_errors),
		cmocka_unit_test(conformance_google),
		cmocka_unit_test(conformance_rfc9309),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
