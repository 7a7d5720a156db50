/* SPDX-License-Identifier: MIT */
/* Unit tests of the canonical form's percent-encoding and session-parameter stripping (url.h),
 * and of the robots signals of a page (doc.h): <meta name=robots|patrol>, <link rel=canonical>,
 * rel=nofollow on links, and the X-Robots-Tag header. parsers_test.c covers the rest of parsers/.
 */
#include "common/err.h"
#include "parsers/doc.h"
#include "parsers/url.h"

#include <setjmp.h> /* cmocka needs these first */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* ---- helpers ---- */

static const char *const session_params[] = {"sid", "PHPSESSID", "jsessionid", "utm_source"};
static const struct url_opts strip = {session_params, 4};

/* Resolves with o, checks the result, and checks that it is a fixed point. */
static void assert_canon_opts(const char *base, const char *ref, const struct url_opts *o,
			      const char *want)
{
	char *got = NULL, *again = NULL;
	int rc = url_resolve_opts(base, ref, o, &got);
	if (rc)
		fail_msg("url_resolve_opts(%s, %s) failed (%d), want %s", base ? base : "NULL", ref,
			 rc, want);
	assert_string_equal(got, want);
	assert_int_equal(url_resolve_opts(NULL, got, o, &again), 0);
	assert_string_equal(again, got);
	free(again);
	free(got);
}

static void assert_canon(const char *ref, const char *want)
{
	assert_canon_opts(NULL, ref, NULL, want);
	/* url_resolve is url_resolve_opts without opts. */
	char *got = NULL;
	assert_int_equal(url_resolve(NULL, ref, &got), 0);
	assert_string_equal(got, want);
	free(got);
}

static void assert_stripped(const char *ref, const char *want)
{
	assert_canon_opts(NULL, ref, &strip, want);
}

static struct doc *parse(const char *html, const char *page_url)
{
	struct doc *d = NULL;
	assert_int_equal(doc_parse(html, strlen(html), NULL, page_url, NULL, &d), 0);
	assert_non_null(d);
	return d;
}

static void assert_meta(const char *html, bool noindex, bool nofollow)
{
	struct doc *d = parse(html, "http://e.example/");
	if (d->noindex != noindex || d->nofollow != nofollow)
		fail_msg("%s: noindex %d nofollow %d, want %d %d", html, d->noindex, d->nofollow,
			 noindex, nofollow);
	doc_free(d);
}

static void assert_canonical(const char *html, const char *page_url, const char *want)
{
	struct doc *d = parse(html, page_url);
	assert_string_equal(d->canonical, want);
	doc_free(d);
}

static void assert_header(const char *value, const char *agent, bool noindex, bool nofollow)
{
	bool ni = false, nf = false;
	doc_robots_header(value, agent, &ni, &nf);
	if (ni != noindex || nf != nofollow)
		fail_msg("X-Robots-Tag <%s> for %s: noindex %d nofollow %d, want %d %d",
			 value ? value : "NULL", agent ? agent : "NULL", ni, nf, noindex, nofollow);
}

/* ---- percent-encoding ---- */

static void test_pct_unreserved_decoded(void **state)
{
	(void)state;
	assert_canon("http://e.example/%7efoo%2dbar%5F%2E%41%7A%30%7E",
		     "http://e.example/~foo-bar_.Az0~");
	assert_canon("http://e.example/?q=%7e%41%2d%5f%2e%39", "http://e.example/?q=~A-_.9");
	/* Inside a segment an escaped dot is just a dot; a whole "%2E%2E" segment is "..". */
	assert_canon("http://e.example/x/a%2eb", "http://e.example/x/a.b");
	assert_canon("http://e.example/a%2eb/%2E%2E/c", "http://e.example/c");
	assert_canon("http://e.example/a/%2e%2E", "http://e.example/");
}

static void test_pct_uppercase_kept(void **state)
{
	(void)state;
	/* Escapes of reserved and other characters stay escaped, with uppercase hex. */
	assert_canon("http://e.example/a%2fb%3a%c3%a9%25", "http://e.example/a%2Fb%3A%C3%A9%25");
	assert_canon("http://e.example/?a%3db=c%26d%2b%3f%23",
		     "http://e.example/?a%3Db=c%26d%2B%3F%23");
	assert_canon("http://e.example/%00%ff", "http://e.example/%00%FF");
	/* Sub-delimiters, ':' and '@' are allowed as they stand; '+' is not a space. */
	assert_canon("http://e.example/a!$&'()*+,;=:@b?x=!$'()*+,;:@/?",
		     "http://e.example/a!$&'()*+,;=:@b?x=!$%27()*+,;:@/?");
}

static void test_pct_encoded(void **state)
{
	(void)state;
	assert_canon("http://e.example/a b?c d=\xC3\xA9", "http://e.example/a%20b?c%20d=%C3%A9");
	assert_canon("http://e.example/a|b^c[d]{e}`f\"<>",
		     "http://e.example/a%7Cb%5Ec%5Bd%5D%7Be%7D%60f%22%3C%3E");
	assert_canon("http://e.example/?q=|^[]{}`\\\"<>",
		     "http://e.example/?q=%7C%5E%5B%5D%7B%7D%60%5C%22%3C%3E");
	/* A '%' that starts no escape is itself escaped. */
	assert_canon("http://e.example/100%/x%zz%4?y=%&z=%2",
		     "http://e.example/100%25/x%25zz%254?y=%25&z=%252");
	assert_canon("http://e.example/%%41", "http://e.example/%25A");
	/* Host and user info are not the path: the host is lowercased, user info left alone. */
	assert_canon("http://us%65r@E.EXAMPLE/", "http://us%65r@e.example/");
}

static void test_pct_same_identity(void **state)
{
	(void)state;
	/* Spellings of one resource give one canonical URL. */
	const char *spellings[] = {
		"http://e.example/~user/a%20b?x=%7C",
		"http://e.example/%7Euser/a b?x=|",
		"http://e.example/%7euser/a%20b?x=%7c",
		"HTTP://E.EXAMPLE:80/%7E%75ser/./a%20b?x=%7C#top",
	};
	for (size_t i = 0; i < sizeof(spellings) / sizeof(spellings[0]); i++)
		assert_canon(spellings[i], "http://e.example/~user/a%20b?x=%7C");
}

static void test_path_query(void **state)
{
	(void)state;
	char *s = NULL;
	assert_int_equal(url_path_query("HTTP://E.example:80/a/../%7eb?x=%7c#f", &s), 0);
	assert_string_equal(s, "/~b?x=%7C");
	free(s);
	assert_int_equal(url_path_query("https://e.example", &s), 0);
	assert_string_equal(s, "/");
	free(s);
	s = NULL;
	assert_int_equal(url_path_query("/relative", &s), ERR_URL);
	assert_null(s);

	assert_int_equal(url_path_segments("http://e.example/"), 1);
	assert_int_equal(url_path_segments("http://e.example/a/b"), 2);
	assert_int_equal(url_path_segments("http://e.example/a/b/?x=/y/z"), 3);
	assert_int_equal(url_path_segments("http://e.example/a//b////c"), 7);
	assert_int_equal(url_path_segments("http://e.example?x=/"), 0);
	assert_int_equal(url_path_segments("not a url"), 0);
}

/* ---- session parameters ---- */

static void test_strip_query(void **state)
{
	(void)state;
	assert_stripped("http://e.example/f?sid=1&a=2&b=3", "http://e.example/f?a=2&b=3");
	assert_stripped("http://e.example/f?a=2&sid=1&b=3", "http://e.example/f?a=2&b=3");
	assert_stripped("http://e.example/f?a=2&b=3&sid=1", "http://e.example/f?a=2&b=3");
	assert_stripped("http://e.example/f?sid=1", "http://e.example/f");
	assert_stripped("http://e.example/f?sid=1&PHPSESSID=2&sid", "http://e.example/f");
	assert_stripped("http://e.example/f?b=2&SID=1&a=1&phpsessid=x&PhpSessId=y&c",
			"http://e.example/f?b=2&a=1&c");
	/* The name is compared after percent normalization: "%73id" is "sid". */
	assert_stripped("http://e.example/f?%73id=1&a=1", "http://e.example/f?a=1");
	/* Names that only contain or resemble a listed one stay, as do the other bytes. */
	assert_stripped("http://e.example/f?sidx=1&xsid=2&a=sid&s%69d%3D=3&&",
			"http://e.example/f?sidx=1&xsid=2&a=sid&sid%3D=3&&");
	/* Once a parameter goes, empty pieces go with it; an emptied query loses its '?'. */
	assert_stripped("http://e.example/f?utm_source=x&&a&", "http://e.example/f?a");
	assert_stripped("http://e.example/f?sid=1&", "http://e.example/f");
	assert_stripped("http://e.example/f?&&sid=1&&", "http://e.example/f");
	assert_stripped("http://e.example/f?&a&&b&", "http://e.example/f?&a&&b&");
	/* Relative references and their bases. */
	assert_canon_opts("http://e.example/a/?sid=1", "b?sid=2&c=3", &strip,
			  "http://e.example/a/b?c=3");
	assert_canon_opts("http://e.example/a/?sid=1&c=3", "", &strip, "http://e.example/a/?c=3");
	/* Without opts, or with an empty list, nothing goes. */
	assert_canon("http://e.example/f?sid=1", "http://e.example/f?sid=1");
	const struct url_opts none = {NULL, 0};
	assert_canon_opts(NULL, "http://e.example/f?sid=1", &none, "http://e.example/f?sid=1");
}

static void test_strip_jsessionid(void **state)
{
	(void)state;
	assert_stripped("http://e.example/shop/item;jsessionid=ABC123?x=1",
			"http://e.example/shop/item?x=1");
	assert_stripped("http://e.example/a;JSESSIONID=x/b;jsessionid", "http://e.example/a/b");
	assert_stripped("http://e.example/a;jsessionid=1;v=2", "http://e.example/a;v=2");
	assert_stripped("http://e.example/a;jsessionidx=1;xjsessionid=2",
			"http://e.example/a;jsessionidx=1;xjsessionid=2");
	assert_stripped("http://e.example/a?jsessionid=1&b", "http://e.example/a?b");
	/* A segment that was not a dot segment before stripping is one after. */
	assert_stripped("http://e.example/x/.;jsessionid=1/y", "http://e.example/x/y");
	assert_stripped("http://e.example/x/y/..;jsessionid=1/z", "http://e.example/x/z");
	/* Without "jsessionid" in the list, the path parameter stays. */
	const char *const only_sid[] = {"sid"};
	const struct url_opts o = {only_sid, 1};
	assert_canon_opts(NULL, "http://e.example/a;jsessionid=1?sid=2", &o,
			  "http://e.example/a;jsessionid=1");
}

/* ---- meta robots ---- */

static void test_meta_robots(void **state)
{
	(void)state;
	assert_meta("<title>t</title><p>x", false, false);
	assert_meta("<meta name=\"robots\" content=\"noindex, nofollow\">", true, true);
	assert_meta("<meta name=\"robots\" content=\"none\">", true, true);
	assert_meta("<meta name=\"robots\" content=\"NOINDEX\">", true, false);
	assert_meta("<meta name=\"ROBOTS\" content=\"NoFollow\">", false, true);
	assert_meta("<meta name=\"patrol\" content=\"nofollow\">", false, true);
	assert_meta("<meta name=\"Patrol\" content=\"noindex,nofollow\">", true, true);
	assert_meta("<meta name=\"googlebot\" content=\"noindex, nofollow\">", false, false);
	assert_meta("<meta name=\"robots\" content=\"index, follow\">", false, false);
	assert_meta("<meta name=\"robots\" content=\"max-snippet:-1,noindex\">", true, false);
	assert_meta("<meta name=\"robots\" content=\"noindex nofollow\">", true, true);
	assert_meta("<meta name=\"robots\" content=\"noindexing, nofollowed\">", false, false);
	assert_meta("<meta name=\" robots \" content=\" noindex \">", true, false);
	/* Several tags add up; a later "all" does not undo an earlier restriction. */
	assert_meta("<meta name=robots content=noindex><meta name=patrol content=nofollow>"
		    "<meta name=robots content=all>",
		    true, true);
	/* In the body it still counts; in a <template> it is not part of the page. */
	assert_meta("<p>x</p><meta name=robots content=nofollow>", false, true);
	assert_meta("<template><meta name=robots content=noindex></template>", false, false);
	assert_meta("<meta content=noindex>", false, false);
	assert_meta("<meta name=robots>", false, false);
	assert_meta("<meta http-equiv=robots content=noindex>", false, false);
}

/* ---- canonical ---- */

static void test_canonical(void **state)
{
	(void)state;
	const char *page = "http://e.example/dir/page.html?x=1";
	assert_canonical("<link rel=\"canonical\" href=\"/a/./b?x=%7e1#f\">", page,
			 "http://e.example/a/b?x=~1");
	assert_canonical("<link rel=\"Canonical\" href=\"other.html\">", page,
			 "http://e.example/dir/other.html");
	assert_canonical("<link rel=\"alternate canonical\" href=\"https://E.example/c\">", page,
			 "https://e.example/c");
	assert_canonical("<title>t</title>", page, "");
	assert_canonical("<link rel=canonical href=\"javascript:x()\">", page, "");
	assert_canonical("<link rel=canonical>", page, "");
	assert_canonical("<link rel=canonicalx href=/x><link rel=alternate href=/y>", page, "");
	/* The first one counts; <base href> applies. */
	assert_canonical("<base href=\"/base/\"><link rel=canonical href=c1>"
			 "<link rel=canonical href=c2>",
			 page, "http://e.example/base/c1");
	/* In the body it is ignored. */
	assert_canonical("<p>text</p><link rel=canonical href=/b>", page, "");
	/* Without a page URL only an absolute one survives. */
	assert_canonical("<link rel=canonical href=/rel>", NULL, "");
	assert_canonical("<link rel=canonical href=http://e.example/abs>", NULL,
			 "http://e.example/abs");
}

/* ---- rel=nofollow ---- */

static void test_link_nofollow(void **state)
{
	(void)state;
	struct doc *d = parse("<a href=/1 rel=nofollow>1</a><a href=/2 rel=\"ugc NoFollow\">2</a>"
			      "<a href=/3 rel=ugc>3</a><a href=/4 rel=sponsored>4</a>"
			      "<a href=/5>5</a><a href=/6 rel=nofollowx>6</a>"
			      "<a href=/7 rel=nofollow>7</a><a href=/7>7 again</a>"
			      "<a href=/8 rel=nofollow>8</a><a href=/8#x rel=nofollow>8 again</a>"
			      "<map><area href=/9 rel=nofollow alt=9></map>",
			      "http://e.example/");
	const bool want[] = {true, true, false, false, false, false, false, true, true};
	assert_int_equal(d->nlinks, 9);
	for (size_t i = 0; i < d->nlinks; i++) {
		if (d->links[i].nofollow != want[i])
			fail_msg("link %zu (%s): nofollow %d", i, d->links[i].url,
				 d->links[i].nofollow);
	}
	assert_string_equal(d->links[6].rel, "nofollow"); /* the first occurrence's */
	/* A page's meta nofollow is the page's, not the links'. */
	assert_false(d->nofollow);
	doc_free(d);
}

/* ---- X-Robots-Tag ---- */

static void test_robots_header(void **state)
{
	(void)state;
	const char *me = DOC_ROBOTS_AGENT;
	assert_header("noindex", me, true, false);
	assert_header("NoFollow", me, false, true);
	assert_header("none", me, true, true);
	assert_header("noindex, nofollow", me, true, true);
	assert_header("all", me, false, false);
	assert_header("", me, false, false);
	assert_header(NULL, me, false, false);
	assert_header("googlebot: noindex", me, false, false);
	assert_header("googlebot: noindex, nofollow", me, false, false);
	assert_header("patrol: nofollow", me, false, true);
	assert_header("PATROL:noindex", me, true, false);
	assert_header("googlebot: noindex, patrol: nofollow", me, false, true);
	assert_header("noindex, googlebot: nofollow", me, true, false);
	assert_header("patrol: none", NULL, false, false);
	assert_header("*: noindex", me, false, false);
	assert_header("unavailable_after: 25 Jun 2010 15:00:00 PST", me, false, false);
	assert_header("unavailable_after: 25 Jun 2010 15:00:00 PST, noindex", me, true, false);
	assert_header("unavailable_after: Friday, 25-Jun-10 15:00:00 GMT, nofollow", me, false,
		      true);
	assert_header("max-snippet: 20, max-image-preview: large, nofollow", me, false, true);
	assert_header("noindex nofollow", me, true, true);
	assert_header(" , ,noindex,, ", me, true, false);
	/* It only ever sets: several headers add up. */
	bool ni = true, nf = false;
	doc_robots_header("index, follow", me, &ni, &nf);
	assert_true(ni);
	doc_robots_header("nofollow", me, &ni, &nf);
	assert_true(ni);
	assert_true(nf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pct_unreserved_decoded),
		cmocka_unit_test(test_pct_uppercase_kept),
		cmocka_unit_test(test_pct_encoded),
		cmocka_unit_test(test_pct_same_identity),
		cmocka_unit_test(test_path_query),
		cmocka_unit_test(test_strip_query),
		cmocka_unit_test(test_strip_jsessionid),
		cmocka_unit_test(test_meta_robots),
		cmocka_unit_test(test_canonical),
		cmocka_unit_test(test_link_nofollow),
		cmocka_unit_test(test_robots_header),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
