/* SPDX-License-Identifier: MIT */
/* Unit tests of the canonical form's percent-encoding and session-parameter stripping (url.h),
 * IDN hosts and registrable domains, the WPT URL conformance cases against the list of known
 * failures (tests/fixtures/url-known-failures.txt), and the robots signals of a page (doc.h):
 * <meta name=robots|patrol>, <link rel=canonical>, rel=nofollow on links, and the X-Robots-Tag
 * header. parsers_test.c covers the rest of parsers/.
 */
#include "common/err.h"
#include "parsers/doc.h"
#include "parsers/url.h"

#include <setjmp.h> /* cmocka needs these first */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <ctype.h>
#include <jansson.h>
#include <locale.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

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

/* ---- IDN hosts and registrable domains ---- */

static void assert_resolves_to(const char *base, const char *ref, const char *want)
{
	assert_canon_opts(base, ref, NULL, want);
}

static void assert_rejected(const char *ref)
{
	char *got = NULL;
	int rc = url_resolve(NULL, ref, &got);
	if (rc != ERR_URL)
		fail_msg("%s: got %d (%s), want ERR_URL", ref, rc, got ? got : "");
}

static void test_idn_hosts(void **state)
{
	(void)state;
	/* libidn2 reads the host as UTF-8: the C locale is no obstacle. */
	assert_non_null(setlocale(LC_ALL, "C"));
	assert_resolves_to(NULL, "https://fa\xC3\x9F.ExAmPlE/", "https://xn--fa-hia.example/");
	assert_resolves_to(NULL, "http://\xE4\xBD\xA0\xE5\xA5\xBD\xE4\xBD\xA0\xE5\xA5\xBD",
			   "http://xn--6qqa088eba/");
	assert_resolves_to(NULL, "https://%e4%bd%a0%e5%a5%bd.example/a",
			   "https://xn--6qq79v.example/a");
	/* UTS #46 mapping: full-width letters, the ideographic full stop, ignored code points. */
	assert_resolves_to(NULL, "http://\xEF\xBC\xA7\xEF\xBD\x8F.com", "http://go.com/");
	assert_resolves_to(NULL, "http://www.foo\xE3\x80\x82" "bar.com", "http://www.foo.bar.com/");
	assert_resolves_to(NULL, "http://a%C2%ADb/", "http://ab/");
	assert_resolves_to(NULL, "http://GOO\xE2\x80\x8Bgoo.com/", "http://googoo.com/");
	/* Full-width digits map to an IPv4 address, which is then parsed as one. */
	assert_resolves_to(NULL, "http://\xEF\xBC\x90\xEF\xBC\xB8\xEF\xBD\x83\xEF\xBC\x90\xEF\xBC\x8E"
				 "\xEF\xBC\x90\xEF\xBC\x92\xEF\xBC\x95\xEF\xBC\x90\xEF\xBC\x8E"
				 "\xEF\xBC\x90\xEF\xBC\x91",
			   "http://192.168.0.1/");
	/* User info is percent-encoded, never IDNA'd; relative references go through it too. */
	assert_resolves_to(NULL, "http://\xC3\xA9@\xC3\xA9/", "http://%C3%A9@xn--9ca/");
	assert_resolves_to("http://\xE4\xBE\x8B.jp/a/", "//m\xC3\xBCnchen.de/x",
			   "http://xn--mnchen-3ya.de/x");
	assert_resolves_to("http://\xE4\xBE\x8B.jp/a/", "b", "http://xn--fsq.jp/a/b");
	/* Invalid UTF-8, a host that maps to nothing, forbidden code points after mapping. */
	assert_rejected("http://%ff%fe/");
	assert_rejected("http://\xC3/");
	assert_rejected("http://%C2%AD/");
	assert_rejected("http://a\xEF\xBC\x8F" "b.com/"); /* full-width solidus maps to '/' */

	char *s = NULL;
	assert_int_equal(url_host("http://B\xC3\xBC" "cher.example:81/", &s), 0);
	assert_string_equal(s, "xn--bcher-kva.example");
	free(s);
	assert_int_equal(url_origin("http://B\xC3\xBC" "cher.example:81/", &s), 0);
	assert_string_equal(s, "http://xn--bcher-kva.example:81");
	free(s);
}

static void assert_registrable(const char *url, const char *want)
{
	char *got = NULL;
	int rc = url_registrable_domain(url, &got);
	if (rc)
		fail_msg("url_registrable_domain(%s) failed (%d), want %s", url, rc, want);
	if (strcmp(got, want) != 0)
		fail_msg("url_registrable_domain(%s) = %s, want %s", url, got, want);
	free(got);
}

static void test_registrable_domain(void **state)
{
	(void)state;
	assert_registrable("https://forum.example.co.uk/x", "example.co.uk");
	assert_registrable("http://example.com", "example.com");
	assert_registrable("HTTP://WWW.Example.COM.:8080/a?b", "example.com");
	/* The private section counts: each github.io user is a site of its own. */
	assert_registrable("http://a.b.github.io/", "b.github.io");
	assert_registrable("http://bbs.\xE4\xBE\x8B\xE5\xAD\x90.\xE4\xB8\xAD\xE5\x9B\xBD/",
			   "xn--fsqu00a.xn--fiqs8s");
	/* No registrable domain: the host stands for itself. */
	assert_registrable("http://127.0.0.1:8080/", "127.0.0.1");
	assert_registrable("http://0x7f.1/", "127.0.0.1");
	assert_registrable("http://[::1]/", "::1");
	assert_registrable("http://localhost/", "localhost");
	assert_registrable("http://co.uk/", "co.uk");
	char *s = NULL;
	assert_int_equal(url_registrable_domain("ftp://example.com/", &s), ERR_URL);
	assert_int_equal(url_registrable_domain("/relative", &s), ERR_URL);
	assert_null(s);
}

/* ---- WPT urltestdata against tests/fixtures/url-known-failures.txt ---- */

/* One line of the known-failures file: a JSON array [input, base or null, reason]. */
struct known {
	char *input, *base;
	bool seen;
};

struct known_list {
	struct known *items;
	size_t n;
};

static bool same_base(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static void known_add(struct known_list *l, const json_t *line, const char *where)
{
	const json_t *in = json_array_get(line, 0), *base = json_array_get(line, 1);
	const json_t *reason = json_array_get(line, 2);
	if (!json_is_array(line) || json_array_size(line) != 3 || !json_is_string(in) ||
	    !(json_is_string(base) || json_is_null(base)) || !json_is_string(reason) ||
	    json_string_length(reason) == 0)
		fail_msg("%s: want [input, base or null, reason]", where);
	l->items = realloc(l->items, (l->n + 1) * sizeof(*l->items));
	assert_non_null(l->items);
	struct known *k = &l->items[l->n++];
	k->input = strdup(json_string_value(in));
	k->base = json_is_string(base) ? strdup(json_string_value(base)) : NULL;
	k->seen = false;
	assert_non_null(k->input);
}

static void known_load(const char *path, struct known_list *l)
{
	FILE *f = fopen(path, "r");
	if (!f)
		fail_msg("cannot open %s", path);
	char line[4096], where[4200];
	for (unsigned no = 1; fgets(line, sizeof(line), f); no++) {
		if (line[0] == '#' || line[strspn(line, " \t\r\n")] == '\0')
			continue;
		json_error_t err;
		json_t *j = json_loads(line, 0, &err);
		snprintf(where, sizeof(where), "%s:%u", path, no);
		if (!j)
			fail_msg("%s: %s", where, err.text);
		known_add(l, j, where);
		json_decref(j);
	}
	fclose(f);
}

static struct known *known_find(struct known_list *l, const char *input, const char *base)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->items[i].input, input) == 0 && same_base(l->items[i].base, base))
			return &l->items[i];
	return NULL;
}

static void known_free(struct known_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->items[i].input);
		free(l->items[i].base);
	}
	free(l->items);
}

static bool is_http_input(const char *s)
{
	while (*s && (unsigned char)*s <= 0x20)
		s++;
	return strncasecmp(s, "http:", 5) == 0 || strncasecmp(s, "https:", 6) == 0;
}

static bool has_scheme(const char *s)
{
	while (*s && (unsigned char)*s <= 0x20)
		s++;
	size_t n = strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+-.");
	return n > 0 && s[n] == ':' && isalpha((unsigned char)s[0]);
}

/* WPT's href as the canonical form writes it (url.h), without url.c's code: no fragment, and in
 * the path and query, escapes of unreserved characters decoded, other escapes in uppercase, the
 * bytes RFC 3986 allows in neither escaped. (The empty query WHATWG keeps as "?" stays: the
 * canonical form drops it, and the known-failures file says so case by case.) */
static char *href_canonical(const char *href)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = strcspn(href, "#");
	const char *auth = strstr(href, "://");
	size_t path = auth ? (size_t)(auth + 3 - href) + strcspn(auth + 3, "/") : n;
	if (path > n)
		path = n;
	char *out = malloc(3 * n + 1);
	assert_non_null(out);
	memcpy(out, href, path);
	size_t o = path;
	for (size_t i = path; i < n; i++) {
		unsigned char c = (unsigned char)href[i];
		if (c == '%' && i + 2 < n && isxdigit((unsigned char)href[i + 1]) &&
		    isxdigit((unsigned char)href[i + 2])) {
			char two[3] = {href[i + 1], href[i + 2], '\0'};
			c = (unsigned char)strtoul(two, NULL, 16);
			i += 2;
			if (isalnum(c) || (c && strchr("-._~", c))) {
				out[o++] = (char)c;
				continue;
			}
		} else if (c > 0x20 && c < 0x7F && c != '%' && !strchr("\"<>[\\]^`{|}", c)) {
			out[o++] = (char)c;
			continue;
		}
		out[o++] = '%';
		out[o++] = hex[c >> 4];
		out[o++] = hex[c & 15];
	}
	out[o] = '\0';
	return out;
}

struct url_tally {
	size_t ok, fail, ok_pass, fail_pass, exact, skipped_nul, problems;
};

/* A WPT case url.c claims: an http(s) result, or a failure of http(s) input or of a reference
 * against an http(s) base. */
static bool wpt_in_scope(const json_t *t, const char *input, const char *base)
{
	if (json_is_true(json_object_get(t, "failure")))
		return is_http_input(input) || (!has_scheme(input) && base && is_http_input(base));
	const char *protocol = json_string_value(json_object_get(t, "protocol"));
	return protocol && (strcmp(protocol, "http:") == 0 || strcmp(protocol, "https:") == 0);
}

/* Runs one case; returns whether url_resolve gives WPT's answer. */
static bool wpt_run(const json_t *t, const char *input, const char *base, struct url_tally *y)
{
	char *got = NULL;
	int rc = url_resolve(base, input, &got);
	if (json_is_true(json_object_get(t, "failure"))) {
		free(got);
		y->fail++;
		y->fail_pass += rc != 0;
		return rc != 0;
	}
	y->ok++;
	const char *href = json_string_value(json_object_get(t, "href"));
	bool pass = false;
	if (rc == 0 && href) {
		char *want = href_canonical(href);
		pass = strcmp(got, want) == 0;
		size_t n = strcspn(href, "#"); /* the canonical form has no fragment */
		y->exact += strlen(got) == n && strncmp(got, href, n) == 0;
		free(want);
	}
	y->ok_pass += pass;
	free(got);
	return pass;
}

/* A string member without NUL, or NULL (C strings cannot carry such inputs). */
static const char *str_no_nul(const json_t *v)
{
	return json_is_string(v) && strlen(json_string_value(v)) == json_string_length(v)
		       ? json_string_value(v)
		       : NULL;
}

static void assert_same_resolution(const struct url_base *b, const char *base, const char *ref,
				   const struct url_opts *o);

/* url_base_resolve agrees with url_resolve on every case, whatever WPT expects. */
static void wpt_same(const char *input, const char *base)
{
	struct url_base *b = NULL;
	if (base && url_base_new(base, &b) == 0) {
		assert_same_resolution(b, base, input, NULL);
		assert_same_resolution(b, base, input, &strip);
	}
	url_base_free(b);
}

static void wpt_case(const json_t *t, struct known_list *kl, struct url_tally *y)
{
	const json_t *in_v = json_object_get(t, "input"), *base_v = json_object_get(t, "base");
	const char *input = str_no_nul(in_v), *base = str_no_nul(base_v);
	/* The scope test reads the strings up to a NUL, which comes after any scheme but one. */
	if (!json_is_string(in_v) ||
	    !wpt_in_scope(t, json_string_value(in_v), json_string_value(base_v)))
		return;
	if (!input || (json_is_string(base_v) && !base)) {
		y->skipped_nul++;
		return;
	}
	bool pass = wpt_run(t, input, base, y);
	wpt_same(input, base);
	struct known *k = known_find(kl, input, base);
	if (k)
		k->seen = true;
	const char *problem = NULL;
	if (pass && k)
		problem = "listed as failing, now passes: remove it from the list";
	else if (!pass && !k)
		problem = "fails and is not listed";
	else if (k && json_is_true(json_object_get(t, "failure")))
		problem = "an expected failure is accepted; it must be rejected";
	if (problem) {
		printf("# url conformance: <%s> against <%s>: %s\n", input, base ? base : "none",
		       problem);
		y->problems++;
	}
}

static void test_url_conformance_known(void **state)
{
	(void)state;
	const char *dir = getenv("PATROL_CONFORMANCE"), *src = getenv("PATROL_SOURCE_ROOT");
	char path[4096];
	snprintf(path, sizeof(path), "%s/url/urltestdata.json", dir ? dir : "");
	json_t *root = dir ? json_load_file(path, JSON_ALLOW_NUL, NULL) : NULL;
	if (!root) {
		/* Not skip(): cmocka reports it as "not ok # SKIP", which meson counts as failed. */
		printf("# url conformance: %s, skipped\n",
		       dir ? "no urltestdata.json under $PATROL_CONFORMANCE"
			   : "PATROL_CONFORMANCE not set");
		return;
	}
	assert_non_null(src);
	struct known_list kl = {NULL, 0};
	snprintf(path, sizeof(path), "%s/tests/fixtures/url-known-failures.txt", src);
	known_load(path, &kl);
	struct url_tally y = {0};
	size_t i;
	json_t *t;
	json_array_foreach(root, i, t) {
		if (json_is_object(t))
			wpt_case(t, &kl, &y);
	}
	for (i = 0; i < kl.n; i++) {
		if (!kl.items[i].seen) {
			printf("# url conformance: listed <%s> against <%s> is no in-scope case\n",
			       kl.items[i].input, kl.items[i].base ? kl.items[i].base : "none");
			y.problems++;
		}
	}
	printf("# url conformance (WPT urltestdata, http(s)): %zu/%zu success cases give WPT's "
	       "href in the canonical form (%zu exactly as WHATWG writes it), %zu/%zu failures "
	       "rejected, %zu known failures listed; %zu cases not run (a NUL in the input)\n",
	       y.ok_pass, y.ok, y.exact, y.fail_pass, y.fail, kl.n, y.skipped_nul);
	json_decref(root);
	known_free(&kl);
	assert_int_equal(y.problems, 0);
	assert_true(y.ok >= 200 && y.fail >= 150);
	assert_true(y.ok_pass * 100 >= y.ok * 95);
	assert_int_equal(y.fail_pass, y.fail);
}

/* ---- meta robots ---- */

/* ---- url_base_resolve against url_resolve_opts ---- */

/* Both ways of resolving ref against base give the same result, or fail the same way. */
static void assert_same_resolution(const struct url_base *b, const char *base, const char *ref,
				   const struct url_opts *o)
{
	char *fast = NULL, *slow = NULL;
	int rc_fast = url_base_resolve(b, ref, o, &fast);
	int rc_slow = url_resolve_opts(base, ref, o, &slow);
	if (rc_fast != rc_slow || (rc_slow == 0 && strcmp(fast, slow) != 0))
		fail_msg("<%s> against <%s>%s: url_base_resolve %d <%s>, url_resolve_opts %d <%s>",
			 ref, base, o ? " stripping" : "", rc_fast, rc_fast ? "" : fast, rc_slow,
			 rc_slow ? "" : slow);
	free(fast);
	free(slow);
}

static const char *const diff_bases[] = {
	"http://example.com/",
	"http://example.com/a/b/c.html?x=1&sid=3",
	"HTTPS://Example.COM:443/dir/sub/",
	"http://127.0.0.1:8080/forum.php?mod=forumdisplay&fid=2",
	"http://h.org/a;jsessionid=1/b?q",
	"http://h.org/%7Euser/x%2fy?%41=%e4",
	"http://h.org",
};

/* Every reference of up to three characters from an alphabet of the characters that matter to
 * resolution, then pseudo-random references built of forum-link pieces and troublemakers. */
static void test_base_resolve_same(void **state)
{
	(void)state;
	static const char alpha[] = "/.a?#=&:;% \\";
	static const char *const pieces[] = {
		"..", ".", "a", "B", "/", "?", "&", "=", "#", ":", ";", "sid=1", "PHPSESSID=x",
		";jsessionid=9", "%2e", "%41", "%zz", "\\", " ", "\t", "\xc3\xa9", "'", "http://example.com",
		"HTTP://example.com", "http://127.0.0.1:8080", "//x.org", "thread-1.html",
		"forum.php?mod=viewthread&tid=7", "javascript:", "mailto:a@b", "@", "~", "(", "*", "$"};
	const size_t na = sizeof(alpha) - 1, np = sizeof(pieces) / sizeof(pieces[0]);
	for (size_t bi = 0; bi < sizeof(diff_bases) / sizeof(diff_bases[0]); bi++) {
		struct url_base *b = NULL;
		assert_int_equal(url_base_new(diff_bases[bi], &b), 0);
		char ref[512];
		for (size_t len = 0; len <= 3; len++) {
			size_t total = 1;
			for (size_t k = 0; k < len; k++)
				total *= na;
			for (size_t x = 0; x < total; x++) {
				size_t v = x;
				for (size_t k = 0; k < len; k++, v /= na)
					ref[k] = alpha[v % na];
				ref[len] = '\0';
				assert_same_resolution(b, diff_bases[bi], ref, NULL);
				assert_same_resolution(b, diff_bases[bi], ref, &strip);
			}
		}
		uint32_t seed = 2463534242u + (uint32_t)bi;
		for (int i = 0; i < 1500; i++) {
			size_t len = 0, k = 1 + i % 7;
			ref[0] = '\0';
			while (k-- > 0) {
				seed ^= seed << 13, seed ^= seed >> 17, seed ^= seed << 5; /* xorshift32 */
				const char *p = pieces[seed % np];
				if (len + strlen(p) < sizeof(ref)) {
					memcpy(ref + len, p, strlen(p) + 1);
					len += strlen(p);
				}
			}
			assert_same_resolution(b, diff_bases[bi], ref, i % 2 ? &strip : NULL);
		}
		url_base_free(b);
	}
}

static void test_base_resolve_forum_links(void **state)
{
	(void)state;
	struct url_base *b = NULL;
	assert_int_equal(url_base_new("http://Bbs.Example.org:80/forum/thread-7-1-1.html?sid=2", &b),
			 0);
	assert_string_equal(url_base_url(b), "http://bbs.example.org/forum/thread-7-1-1.html?sid=2");
	static const char *const cases[][2] = {
		{"thread-8-1-1.html", "http://bbs.example.org/forum/thread-8-1-1.html"},
		{"/forum.php?mod=viewthread&tid=9&sid=abc", "http://bbs.example.org/forum.php?mod=viewthread&tid=9"},
		{"../home.php?mod=space&uid=3", "http://bbs.example.org/home.php?mod=space&uid=3"},
		{"?page=2", "http://bbs.example.org/forum/thread-7-1-1.html?page=2"},
		{"#pid12", "http://bbs.example.org/forum/thread-7-1-1.html"},
		{"http://bbs.example.org/a/./b/../c", "http://bbs.example.org/a/c"},
		{"HTTP://BBS.example.org/x", "http://bbs.example.org/x"},
		{"//other.example.net/y", "http://other.example.net/y"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *got = NULL;
		assert_int_equal(url_base_resolve(b, cases[i][0], &strip, &got), 0);
		assert_string_equal(got, cases[i][1]);
		free(got);
	}
	char *got = NULL;
	assert_int_equal(url_base_resolve(b, "javascript:void(0)", NULL, &got), ERR_URL);
	url_base_free(b);
	url_base_free(NULL);
	assert_int_equal(url_base_new("/relative", &b), ERR_URL);
}

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
		cmocka_unit_test(test_idn_hosts),
		cmocka_unit_test(test_registrable_domain),
		cmocka_unit_test(test_url_conformance_known),
		cmocka_unit_test(test_base_resolve_same),
		cmocka_unit_test(test_base_resolve_forum_links),
		cmocka_unit_test(test_meta_robots),
		cmocka_unit_test(test_canonical),
		cmocka_unit_test(test_link_nofollow),
		cmocka_unit_test(test_robots_header),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
