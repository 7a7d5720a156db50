/* SPDX-License-Identifier: MIT */
/* Unit tests of parsers/sitemap: urlsets, indexes, text sitemaps, gzip, W3C dates, namespaces,
 * and hostile input (caps, gzip bombs, billion laughs, XXE, malformed XML, libxml2 staying quiet).
 *
 * Fixtures live in tests/fixtures/sitemaps/ under PATROL_SOURCE_ROOT (meson sets it; run alone,
 * set it to the source tree). Large and compressed inputs are generated here with zlib.
 */
#include "common/err.h"
#include "parsers/sitemap.h"

#include <setjmp.h> /* cmocka needs these first */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <errno.h>
#include <stdbool.h>
#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/xmlerror.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

/* ---- helpers ---- */

static void *xmalloc(size_t n)
{
	void *p = malloc(n);
	if (!p)
		abort();
	return p;
}

#define MAX_KEPT 64 /* entries whose strings are kept; the rest are only counted */

struct got {
	size_t n;
	char *loc[MAX_KEPT];
	int64_t lastmod[MAX_KEPT];
	double priority[MAX_KEPT];
	enum sitemap_kind kind[MAX_KEPT];
	int stop_after; /* 0: never stop; else return 77 after this many entries */
};

static int collect(const struct sitemap_entry *e, void *ud)
{
	struct got *g = ud;
	if (g->n < MAX_KEPT) {
		g->loc[g->n] = strdup(e->loc);
		assert_non_null(g->loc[g->n]);
		g->lastmod[g->n] = e->lastmod;
		g->priority[g->n] = e->priority;
		g->kind[g->n] = e->kind;
	}
	g->n++;
	return g->stop_after && g->n == (size_t)g->stop_after ? 77 : 0;
}

static void got_free(struct got *g)
{
	for (size_t i = 0; i < g->n && i < MAX_KEPT; i++)
		free(g->loc[i]);
	memset(g, 0, sizeof(*g));
}

static char *fixture(const char *name, size_t *ret_len)
{
	const char *root = getenv("PATROL_SOURCE_ROOT");
	char path[4096];
	snprintf(path, sizeof(path), "%s/tests/fixtures/sitemaps/%s", root ? root : ".", name);
	FILE *f = fopen(path, "rb");
	if (!f)
		fail_msg("cannot open %s (set PATROL_SOURCE_ROOT to the source tree)", path);
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *data = xmalloc((size_t)n + 1);
	assert_int_equal(fread(data, 1, (size_t)n, f), (size_t)n);
	data[n] = '\0';
	fclose(f);
	*ret_len = (size_t)n;
	return data;
}

static int parse_mem(const char *data, size_t len, const char *base,
		     const struct sitemap_limits *lim, struct got *g, enum sitemap_kind *kind)
{
	return sitemap_parse(data, len, base, lim, collect, g, kind);
}

static int parse_fixture(const char *name, const char *base, struct got *g, enum sitemap_kind *kind)
{
	size_t len;
	char *data = fixture(name, &len);
	int rc = parse_mem(data, len, base, NULL, g, kind);
	free(data);
	return rc;
}

static int parse_str(const char *s, struct got *g)
{
	return parse_mem(s, strlen(s), "https://example.com/sitemap.xml", NULL, g, NULL);
}

/* gzip of data in one member, a new buffer the caller frees. */
static unsigned char *gzip(const void *data, size_t len, size_t *ret_len)
{
	z_stream z = {0};
	assert_int_equal(deflateInit2(&z, 9, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY),
			 Z_OK);
	size_t cap = deflateBound(&z, (uLong)len);
	unsigned char *out = xmalloc(cap);
	z.next_in = (unsigned char *)data;
	z.avail_in = (uInt)len;
	z.next_out = out;
	z.avail_out = (uInt)cap;
	assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
	*ret_len = z.total_out;
	deflateEnd(&z);
	return out;
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- well-formed sitemaps ---- */

static void urlset(void **state)
{
	(void)state;
	struct got g = {0};
	enum sitemap_kind kind = SITEMAP_TEXT;
	assert_int_equal(parse_fixture("urlset.xml", "https://example.com/sitemap.xml", &g, &kind),
			 0);
	assert_int_equal(kind, SITEMAP_URLSET);
	assert_int_equal(g.n, 4);
	assert_string_equal(g.loc[0], "https://example.com/");
	assert_int_equal(g.lastmod[0], 1705276800); /* 2024-01-15 */
	assert_true(g.priority[0] == 1.0);
	assert_string_equal(g.loc[1], "https://example.com/catalog?item=12&desc=vacation_hawaii");
	assert_int_equal(g.lastmod[1], 1103824815); /* image:loc did not replace loc */
	assert_true(g.priority[1] > 0.299 && g.priority[1] < 0.301);
	assert_string_equal(g.loc[2], "https://example.com/a/c"); /* CDATA, canonicalized */
	assert_int_equal(g.lastmod[2], 1101231000);
	assert_true(g.priority[2] == -1);
	/* the entry without loc and the mailto: one are skipped */
	assert_string_equal(g.loc[3], "http://example.com/last");
	assert_true(g.priority[3] == -1); /* "high" */
	for (size_t i = 0; i < g.n; i++)
		assert_int_equal(g.kind[i], SITEMAP_URLSET);
	got_free(&g);
}

static void extensions(void **state)
{
	(void)state;
	struct got g = {0};
	assert_int_equal(parse_fixture("extensions.xml", NULL, &g, NULL), 0);
	assert_int_equal(g.n, 4);
	assert_string_equal(g.loc[0], "https://example.com/english/page.html");
	assert_int_equal(g.lastmod[0], 1622534400);
	assert_string_equal(g.loc[1], "https://example.com/sample1.html");
	assert_string_equal(g.loc[2], "https://example.com/videos/some_video_landing_page.html");
	assert_string_equal(g.loc[3], "https://example.org/business/article55.html");
	got_free(&g);
}

static void sitemap_index(void **state)
{
	(void)state;
	struct got g = {0};
	enum sitemap_kind kind = SITEMAP_URLSET;
	assert_int_equal(
		parse_fixture("index.xml", "https://example.com/sitemap_index.xml", &g, &kind), 0);
	assert_int_equal(kind, SITEMAP_INDEX);
	assert_int_equal(g.n, 3);
	assert_string_equal(g.loc[0], "https://example.com/sitemap1.xml.gz");
	assert_int_equal(g.lastmod[0], 1096654997);
	assert_string_equal(g.loc[1], "https://example.com/sitemap2.xml.gz");
	assert_int_equal(g.lastmod[1], 1104537600);
	assert_string_equal(g.loc[2], "https://example.com/sitemap3.xml");
	assert_int_equal(g.lastmod[2], 0);
	for (size_t i = 0; i < g.n; i++) {
		assert_int_equal(g.kind[i], SITEMAP_INDEX);
		assert_true(g.priority[i] == -1);
	}
	got_free(&g);
}

static void text_sitemap(void **state)
{
	(void)state;
	struct got g = {0};
	enum sitemap_kind kind = SITEMAP_URLSET;
	/* a base is ignored: text lines must be absolute */
	assert_int_equal(parse_fixture("text.txt", "https://example.com/", &g, &kind), 0);
	assert_int_equal(kind, SITEMAP_TEXT);
	assert_int_equal(g.n, 4);
	assert_string_equal(g.loc[0], "https://example.com/one");
	assert_string_equal(g.loc[1], "https://example.com/two");
	assert_string_equal(g.loc[2], "https://example.com/th%20ree?x=1");
	assert_string_equal(g.loc[3], "http://example.com/last"); /* no final newline */
	assert_int_equal(g.kind[0], SITEMAP_TEXT);
	assert_int_equal(g.lastmod[0], 0);
	assert_true(g.priority[0] == -1);
	got_free(&g);

	/* a first line that is no URL: not a sitemap */
	assert_int_equal(parse_str("User-agent: *\nDisallow: /\n", &g), ERR_PARSE);
	assert_int_equal(g.n, 0);
	assert_int_equal(parse_str("example.com/page\nhttps://example.com/\n", &g), ERR_PARSE);
	assert_int_equal(parse_str("https://example.com/\x01x\n", &g), ERR_PARSE);
	assert_int_equal(parse_str("https://example.com/\xC3\x28\n", &g), ERR_PARSE);
	assert_int_equal(g.n, 0);
	/* non-ASCII UTF-8 is percent-encoded; later bad lines are skipped */
	assert_int_equal(parse_str("https://example.com/caf\xC3\xA9\n\xFF\xFE\n\0\n", &g), 0);
	assert_int_equal(g.n, 1);
	assert_string_equal(g.loc[0], "https://example.com/caf%C3%A9");
	got_free(&g);
}

static void gzipped(void **state)
{
	(void)state;
	size_t len, zlen;
	char *xml = fixture("urlset.xml", &len);
	unsigned char *z = gzip(xml, len, &zlen);
	struct got g = {0};
	enum sitemap_kind kind = SITEMAP_TEXT;
	assert_int_equal(parse_mem((char *)z, zlen, "https://example.com/", NULL, &g, &kind), 0);
	assert_int_equal(kind, SITEMAP_URLSET);
	assert_int_equal(g.n, 4);
	assert_string_equal(g.loc[3], "http://example.com/last");
	got_free(&g);

	/* truncated: the entries before the cut, then ERR_PARSE */
	assert_int_equal(parse_mem((char *)z, zlen - 12, NULL, NULL, &g, NULL), ERR_PARSE);
	got_free(&g);
	/* corrupt */
	z[zlen / 2] ^= 0x55;
	z[zlen / 2 + 1] ^= 0xAA;
	assert_int_equal(parse_mem((char *)z, zlen, NULL, NULL, &g, NULL), ERR_PARSE);
	got_free(&g);
	free(z);

	/* two members, as `cat a.gz b.gz` makes, split inside the document */
	size_t z1len, z2len;
	unsigned char *z1 = gzip(xml, len / 2, &z1len);
	unsigned char *z2 = gzip(xml + len / 2, len - len / 2, &z2len);
	unsigned char *both = xmalloc(z1len + z2len);
	memcpy(both, z1, z1len);
	memcpy(both + z1len, z2, z2len);
	assert_int_equal(parse_mem((char *)both, z1len + z2len, NULL, NULL, &g, NULL), 0);
	assert_int_equal(g.n, 4);
	got_free(&g);
	free(z1);
	free(z2);
	free(both);

	/* a gzipped text sitemap */
	const char *text = "https://example.com/a\nhttps://example.com/b\n";
	z = gzip(text, strlen(text), &zlen);
	assert_int_equal(parse_mem((char *)z, zlen, NULL, NULL, &g, &kind), 0);
	assert_int_equal(kind, SITEMAP_TEXT);
	assert_int_equal(g.n, 2);
	got_free(&g);
	free(z);
	free(xml);
}

static void relative_locs(void **state)
{
	(void)state;
	struct got g = {0};
	assert_int_equal(
		parse_fixture("relative.xml", "https://example.com/dir/sitemap.xml", &g, NULL), 0);
	assert_int_equal(g.n, 5);
	assert_string_equal(g.loc[0], "https://example.com/page-a");
	assert_string_equal(g.loc[1], "https://example.com/dir/page-b?x=1");
	assert_string_equal(g.loc[2], "https://example.com/up/page-c");
	/* another host is reported: the same-host policy is the caller's */
	assert_string_equal(g.loc[3], "https://other.example.org/page-d");
	assert_string_equal(g.loc[4], "https://example.com/absolute");
	got_free(&g);
	/* no base: only the absolute loc */
	assert_int_equal(parse_fixture("relative.xml", NULL, &g, NULL), 0);
	assert_int_equal(g.n, 1);
	assert_string_equal(g.loc[0], "https://example.com/absolute");
	got_free(&g);
}

static void dates(void **state)
{
	(void)state;
	struct got g = {0};
	assert_int_equal(parse_fixture("dates.xml", NULL, &g, NULL), 0);
	assert_int_equal(g.n, 36);
	for (size_t i = 0; i < g.n; i++) {
		const char *want = strrchr(g.loc[i], '/') + 1;
		char got[32];
		snprintf(got, sizeof(got), "%lld", (long long)g.lastmod[i]);
		if (strcmp(got, want) != 0)
			fail_msg("entry %zu: lastmod %s, want %s", i + 1, got, want);
	}
	got_free(&g);
}

static void priorities(void **state)
{
	(void)state;
	static const struct {
		const char *text;
		double want;
	} cases[] = {
		{"0.0", 0},	{"0", 0},     {"1", 1},
		{"1.00", 1},	{".5", 0.5},  {"0.85", 0.85},
		{" 0.5 ", 0.5}, {"1.1", -1},  {"2", -1},
		{"-0.5", -1},	{"+0.5", -1}, {"0.5.1", -1},
		{".", -1},	{"", -1},     {"1e-1", -1},
		{"10", -1},	{"0,5", -1},  {"00000000000000000001", 1},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char xml[512];
		snprintf(xml, sizeof(xml),
			 "<urlset><url><loc>http://a/</loc><priority>%s</priority></url></urlset>",
			 cases[i].text);
		struct got g = {0};
		assert_int_equal(parse_str(xml, &g), 0);
		assert_int_equal(g.n, 1);
		if (g.priority[0] < cases[i].want - 1e-9 || g.priority[0] > cases[i].want + 1e-9)
			fail_msg("priority \"%s\": got %g, want %g", cases[i].text, g.priority[0],
				 cases[i].want);
		got_free(&g);
	}
}

static void namespaces(void **state)
{
	(void)state;
	struct got g = {0};
	enum sitemap_kind kind = SITEMAP_INDEX;
	assert_int_equal(parse_fixture("unnamespaced.xml", NULL, &g, &kind), 0);
	assert_int_equal(kind, SITEMAP_URLSET);
	assert_int_equal(g.n, 1);
	assert_string_equal(g.loc[0], "https://example.com/plain");
	assert_int_equal(g.lastmod[0], 1582934400);
	assert_true(g.priority[0] == 0.5);
	got_free(&g);

	kind = SITEMAP_TEXT;
	assert_int_equal(parse_fixture("foreign-namespace.xml", NULL, &g, &kind), ERR_PARSE);
	assert_int_equal(kind, SITEMAP_TEXT); /* untouched on failure */
	assert_int_equal(g.n, 0);

	/* prefixed sitemaps.org elements, the https spelling, Google's old namespace */
	assert_int_equal(
		parse_str("<s:urlset xmlns:s='http://www.sitemaps.org/schemas/sitemap/0.9'>"
			  "<s:url><s:loc>http://a/1</s:loc></s:url></s:urlset>",
			  &g),
		0);
	assert_int_equal(parse_str("<urlset xmlns='https://www.sitemaps.org/schemas/sitemap/0.9/'>"
				   "<url><loc>http://a/2</loc></url></urlset>",
				   &g),
			 0);
	assert_int_equal(parse_str("<urlset xmlns='http://www.google.com/schemas/sitemap/0.84'>"
				   "<url><loc>http://a/3</loc></url></urlset>",
				   &g),
			 0);
	assert_int_equal(g.n, 3);
	got_free(&g);
	/* a loc in another namespace, and one nested too deep, are not the entry's loc */
	assert_int_equal(parse_str("<urlset xmlns:x='urn:x'><url><x:loc>http://a/x</x:loc>"
				   "<y><loc>http://a/y</loc></y><loc>http://a/ok</loc>"
				   "<loc>http://a/second</loc></url>"
				   "<sitemap><loc>http://a/wrong-kind</loc></sitemap></urlset>",
				   &g),
			 0);
	assert_int_equal(g.n, 1);
	assert_string_equal(g.loc[0], "http://a/ok");
	got_free(&g);
}

static void loc_whitespace(void **state)
{
	(void)state;
	struct got g = {0};
	/* whitespace far beyond URL_MAX_LEN around a loc is trimmed; content beyond it is not */
	size_t pad = 100000;
	char *xml = xmalloc(2 * pad + 256);
	char *p = xml + sprintf(xml, "<urlset><url><loc>");
	memset(p, ' ', pad);
	p += pad;
	p += sprintf(p, "\n\thttp://a/trimmed\r\n");
	memset(p, '\n', pad);
	p += pad;
	sprintf(p, "</loc></url></urlset>");
	assert_int_equal(parse_str(xml, &g), 0);
	assert_int_equal(g.n, 1);
	assert_string_equal(g.loc[0], "http://a/trimmed");
	got_free(&g);

	p = xml + sprintf(xml, "<urlset><url><loc>http://a/");
	memset(p, 'x', pad);
	p += pad;
	sprintf(p, "</loc></url><url><loc>http://a/short</loc></url></urlset>");
	assert_int_equal(parse_str(xml, &g), 0);
	assert_int_equal(g.n, 1);
	assert_string_equal(g.loc[0], "http://a/short");
	got_free(&g);
	free(xml);
}

static void utf16_document(void **state)
{
	(void)state;
	const char *ascii = "<?xml version='1.0' encoding='UTF-16'?><urlset><url>"
			    "<loc>http://a/utf16</loc></url></urlset>";
	size_t n = strlen(ascii);
	char *u = xmalloc(2 * n + 2);
	u[0] = (char)0xFF;
	u[1] = (char)0xFE;
	for (size_t i = 0; i < n; i++) {
		u[2 + 2 * i] = ascii[i];
		u[3 + 2 * i] = 0;
	}
	struct got g = {0};
	assert_int_equal(parse_mem(u, 2 * n + 2, NULL, NULL, &g, NULL), 0);
	assert_int_equal(g.n, 1);
	assert_string_equal(g.loc[0], "http://a/utf16");
	got_free(&g);
	free(u);
}

/* ---- not sitemaps, malformed, stopping ---- */

static void not_sitemaps(void **state)
{
	(void)state;
	struct got g = {0};
	enum sitemap_kind kind = SITEMAP_INDEX;
	assert_int_equal(parse_fixture("not-xml.html", NULL, &g, &kind), ERR_PARSE);
	assert_int_equal(parse_fixture("not-xml.json", NULL, &g, &kind), ERR_PARSE);
	assert_int_equal(kind, SITEMAP_INDEX);
	assert_int_equal(parse_mem("", 0, NULL, NULL, &g, NULL), ERR_PARSE);
	assert_int_equal(parse_mem(NULL, 0, NULL, NULL, &g, NULL), ERR_PARSE);
	assert_int_equal(parse_str(" \r\n\t \n", &g), ERR_PARSE);
	assert_int_equal(parse_str("\xEF\xBB\xBF", &g), ERR_PARSE);
	assert_int_equal(parse_mem("\x1f\x8b", 2, NULL, NULL, &g, NULL), ERR_PARSE);
	assert_int_equal(parse_mem("\x00\x01\x02\x03", 4, NULL, NULL, &g, NULL), ERR_PARSE);
	assert_int_equal(parse_str("<feed xmlns='http://www.w3.org/2005/Atom'></feed>", &g),
			 ERR_PARSE);
	assert_int_equal(parse_str("<urlset><url><loc>http://a/</loc></url>", &g), ERR_PARSE);
	assert_int_equal(parse_str("<?xml version='1.0' encoding='x-no-such'?><urlset/>", &g),
			 ERR_PARSE);
	assert_int_equal(parse_str("<!DOCTYPE urlset><urlset/>", &g), ERR_PARSE); /* no DTD */
	got_free(&g);
	assert_int_equal(parse_str("<urlset/>", &g), 0);
	assert_int_equal(parse_str("\xEF\xBB\xBF\n  <sitemapindex></sitemapindex>", &g), 0);
	assert_int_equal(g.n, 0);
	assert_int_equal(sitemap_parse("<urlset/>", 9, NULL, NULL, NULL, NULL, NULL), ERR_USAGE);
}

static void malformed_xml(void **state)
{
	(void)state;
	struct got g = {0};
	assert_int_equal(parse_fixture("malformed.xml", NULL, &g, NULL), ERR_PARSE);
	assert_int_equal(g.n, 1); /* reported before the error, and no more */
	assert_string_equal(g.loc[0], "https://example.com/before");
	got_free(&g);
	/* junk after the root element is not read */
	assert_int_equal(parse_fixture("trailing-junk.xml", NULL, &g, NULL), 0);
	assert_int_equal(g.n, 1);
	got_free(&g);
	/* an undeclared entity */
	assert_int_equal(parse_str("<urlset><url><loc>http://a/&nbsp;</loc></url></urlset>", &g),
			 ERR_PARSE);
	assert_int_equal(g.n, 0);
	/* the predefined entities and character references work */
	assert_int_equal(
		parse_str("<urlset><url><loc>http://a/?a=1&amp;b=&#50;&#x33;</loc></url></urlset>",
			  &g),
		0);
	assert_string_equal(g.loc[0], "http://a/?a=1&b=23");
	got_free(&g);
}

static void deep_nesting(void **state)
{
	(void)state;
	size_t depth = 100000;
	char *xml = xmalloc(depth * 7 + 64);
	char *p = xml + sprintf(xml, "<urlset><url>");
	for (size_t i = 0; i < depth; i++)
		p += sprintf(p, "<a>");
	for (size_t i = 0; i < depth; i++)
		p += sprintf(p, "</a>");
	sprintf(p, "</url></urlset>");
	struct got g = {0};
	assert_int_equal(parse_str(xml, &g), ERR_TOO_BIG);
	free(xml);
}

static void callback_stops(void **state)
{
	(void)state;
	struct got g = {.stop_after = 2};
	enum sitemap_kind kind = SITEMAP_TEXT;
	assert_int_equal(parse_fixture("urlset.xml", NULL, &g, &kind), 77);
	assert_int_equal(g.n, 2);
	assert_int_equal(kind, SITEMAP_TEXT);
	got_free(&g);
	g.stop_after = 1;
	assert_int_equal(parse_fixture("text.txt", NULL, &g, NULL), 77);
	assert_int_equal(g.n, 1);
	got_free(&g);
}

/* ---- caps ---- */

static char *many_entries(size_t n, bool text, size_t *ret_len)
{
	size_t cap = n * 64 + 128;
	char *s = xmalloc(cap);
	size_t len = text ? 0 : (size_t)sprintf(s, "<?xml version='1.0'?>\n<urlset>\n");
	for (size_t i = 0; i < n; i++)
		len += (size_t)sprintf(s + len,
				       text ? "https://example.com/p%zu\n"
					    : "<url><loc>https://example.com/p%zu</loc></url>\n",
				       i);
	if (!text)
		len += (size_t)sprintf(s + len, "</urlset>\n");
	*ret_len = len;
	return s;
}

static void entry_cap(void **state)
{
	(void)state;
	size_t len;
	struct got g = {0};
	char *xml = many_entries(50000, false, &len);
	assert_int_equal(parse_mem(xml, len, NULL, NULL, &g, NULL), 0);
	assert_int_equal(g.n, 50000);
	got_free(&g);
	free(xml);

	xml = many_entries(50001, false, &len);
	assert_int_equal(parse_mem(xml, len, NULL, NULL, &g, NULL), ERR_TOO_BIG);
	assert_int_equal(g.n, 50000);
	assert_string_equal(g.loc[0], "https://example.com/p0");
	got_free(&g);
	free(xml);

	char *text = many_entries(50001, true, &len);
	assert_int_equal(parse_mem(text, len, NULL, NULL, &g, NULL), ERR_TOO_BIG);
	assert_int_equal(g.n, 50000);
	got_free(&g);
	free(text);

	/* entries without a usable loc count too */
	struct sitemap_limits lim;
	sitemap_limits_default(&lim);
	lim.max_entries = 2;
	const char *s = "<urlset><url/><url><loc>http://a/</loc></url><url/></urlset>";
	assert_int_equal(parse_mem(s, strlen(s), NULL, &lim, &g, NULL), ERR_TOO_BIG);
	assert_int_equal(g.n, 1);
	got_free(&g);
}

static void byte_caps(void **state)
{
	(void)state;
	size_t len, zlen;
	struct got g = {0};
	struct sitemap_limits lim;
	sitemap_limits_default(&lim);
	char *xml = many_entries(1000, false, &len);

	/* plain input over max_decompressed: the entries in the first bytes, then the error */
	lim.max_decompressed = len / 2;
	assert_int_equal(parse_mem(xml, len, NULL, &lim, &g, NULL), ERR_TOO_BIG);
	assert_true(g.n > 400 && g.n < 600);
	got_free(&g);
	lim.max_decompressed = len; /* exactly at the cap is fine */
	assert_int_equal(parse_mem(xml, len, NULL, &lim, &g, NULL), 0);
	assert_int_equal(g.n, 1000);
	got_free(&g);

	unsigned char *z = gzip(xml, len, &zlen);
	assert_int_equal(parse_mem((char *)z, zlen, NULL, &lim, &g, NULL), 0);
	assert_int_equal(g.n, 1000);
	got_free(&g);
	lim.max_decompressed = len - 1; /* only the final newline is cut: the document is whole */
	assert_int_equal(parse_mem((char *)z, zlen, NULL, &lim, &g, NULL), 0);
	assert_int_equal(g.n, 1000);
	got_free(&g);
	lim.max_decompressed = len - 20; /* into the last entry */
	assert_int_equal(parse_mem((char *)z, zlen, NULL, &lim, &g, NULL), ERR_TOO_BIG);
	assert_int_equal(g.n, 999);
	got_free(&g);
	lim.max_decompressed = len;
	lim.max_compressed = zlen / 2;
	assert_int_equal(parse_mem((char *)z, zlen, NULL, &lim, &g, NULL), ERR_TOO_BIG);
	assert_true(g.n > 100 && g.n < 1000);
	got_free(&g);
	lim.max_compressed = zlen;
	assert_int_equal(parse_mem((char *)z, zlen, NULL, &lim, &g, NULL), 0);
	got_free(&g);
	free(z);

	/* a text sitemap cut by the cap loses its partial last line */
	const char *text = "https://example.com/a\nhttps://example.com/bbbbbbbb\n";
	lim.max_decompressed = strlen(text) - 3;
	assert_int_equal(parse_mem(text, strlen(text), NULL, &lim, &g, NULL), ERR_TOO_BIG);
	assert_int_equal(g.n, 1);
	got_free(&g);
	free(xml);
}

/* A gzip of header, then reps copies of a MiB of blanks, then footer, built without compressing
 * it all: each copy is the same run of deflate blocks after a full flush, so it refers to nothing
 * before it; the trailer's CRC is combined. */
static unsigned char *gzip_bomb(const char *header, const char *footer, size_t reps,
				size_t *ret_len, uint64_t *ret_inflated)
{
	size_t seg_len = 1 << 20;
	unsigned char *seg = xmalloc(seg_len);
	memset(seg, ' ', seg_len);
	z_stream z = {0};
	assert_int_equal(deflateInit2(&z, 9, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY),
			 Z_OK);
	size_t cap = 64 << 10;
	unsigned char *a = xmalloc(cap), *b = xmalloc(cap), *c = xmalloc(cap);
	size_t alen, blen, clen;
#define DEFLATE_INTO(buf, len, in, inlen, flush)                                                   \
	do {                                                                                       \
		z.next_in = (unsigned char *)(in);                                                 \
		z.avail_in = (uInt)(inlen);                                                        \
		z.next_out = (buf);                                                                \
		z.avail_out = (uInt)cap;                                                           \
		assert_true(deflate(&z, (flush)) >= 0);                                            \
		assert_int_equal(z.avail_in, 0);                                                   \
		assert_true(z.avail_out > 0);                                                      \
		(len) = cap - z.avail_out;                                                         \
	} while (0)
	DEFLATE_INTO(a, alen, header, strlen(header), Z_FULL_FLUSH);
	DEFLATE_INTO(b, blen, seg, seg_len, Z_FULL_FLUSH);
	DEFLATE_INTO(c, clen, footer, strlen(footer), Z_FINISH);
#undef DEFLATE_INTO
	deflateEnd(&z);

	uLong crc = crc32(0, (const Bytef *)header, (uInt)strlen(header));
	uLong seg_crc = crc32(0, seg, (uInt)seg_len);
	for (size_t i = 0; i < reps; i++)
		crc = crc32_combine(crc, seg_crc, (z_off_t)seg_len);
	crc = crc32_combine(crc, crc32(0, (const Bytef *)footer, (uInt)strlen(footer)),
			    (z_off_t)strlen(footer));
	uint64_t total = strlen(header) + (uint64_t)reps * seg_len + strlen(footer);
	unsigned char trailer[8];
	for (int i = 0; i < 4; i++) {
		trailer[i] = (unsigned char)(crc >> (8 * i));
		trailer[4 + i] = (unsigned char)(total >> (8 * i));
	}
	size_t len = alen + reps * blen + clen;
	unsigned char *out = xmalloc(len);
	memcpy(out, a, alen);
	for (size_t i = 0; i < reps; i++)
		memcpy(out + alen + i * blen, b, blen);
	memcpy(out + alen + reps * blen, c, clen - 8);
	memcpy(out + len - 8, trailer, 8);
	free(a);
	free(b);
	free(c);
	free(seg);
	*ret_len = len;
	*ret_inflated = total;
	return out;
}

static void gzip_bomb_capped(void **state)
{
	(void)state;
	const char *header = "<?xml version='1.0'?><urlset><url><loc>http://a/first</loc></url>";
	const char *footer = "<url><loc>http://a/never</loc></url></urlset>";
	size_t zlen;
	uint64_t inflated;
	struct got g = {0};
	struct sitemap_limits lim;
	sitemap_limits_default(&lim);

	/* the construction is a valid gzip: small, it parses whole */
	unsigned char *z = gzip_bomb(header, footer, 3, &zlen, &inflated);
	assert_int_equal(parse_mem((char *)z, zlen, NULL, NULL, &g, NULL), 0);
	assert_int_equal(g.n, 2);
	got_free(&g);
	free(z);

	/* 4 GiB of blanks in about 4 MiB: stopped at 50 MiB */
	z = gzip_bomb(header, footer, 4096, &zlen, &inflated);
	assert_true(zlen < 8u << 20);
	assert_true(inflated > (uint64_t)4 << 30);
	double t0 = now();
	assert_int_equal(parse_mem((char *)z, zlen, NULL, &lim, &g, NULL), ERR_TOO_BIG);
	double secs = now() - t0;
	assert_int_equal(g.n, 1);
	assert_string_equal(g.loc[0], "http://a/first");
	got_free(&g);
	if (secs > 20)
		fail_msg("the gzip bomb took %.1f s", secs);
	print_message("# gzip bomb of %zu bytes (%llu inflated) stopped in %.2f s\n", zlen,
		      (unsigned long long)inflated, secs);

	/* the same bomb is stopped sooner under a lower cap */
	lim.max_decompressed = 1 << 20;
	assert_int_equal(parse_mem((char *)z, zlen, NULL, &lim, &g, NULL), ERR_TOO_BIG);
	got_free(&g);
	free(z);
}

/* head, then n copies of unit with each '#' in it replaced by the copy's number, then tail. */
static char *repeat(const char *head, const char *unit, size_t n, const char *tail)
{
	size_t cap = strlen(head) + strlen(tail) + n * (strlen(unit) * 8 + 1) + 1;
	char *s = xmalloc(cap);
	size_t len = (size_t)sprintf(s, "%s", head);
	for (size_t i = 0; i < n; i++)
		for (const char *u = unit; *u; u++)
			len += *u == '#' ? (size_t)sprintf(s + len, "%zu", i)
					 : (size_t)sprintf(s + len, "%c", *u);
	sprintf(s + len, "%s", tail);
	return s;
}

static void assert_markup(const char *head, const char *unit, size_t n, const char *tail, int want)
{
	char *xml = repeat(head, unit, n, tail);
	struct got g = {0};
	int rc = parse_str(xml, &g);
	if (rc != want)
		fail_msg("%s + %zu x %s: %s, want %s", head, n, unit, err_str(rc), err_str(want));
	got_free(&g);
	free(xml);
}

/* The caps that keep libxml2 2.9 linear: attributes, depth, distinct names and their length. */
static void markup_caps(void **state)
{
	(void)state;
	const char *head = "<urlset><url><loc>http://a/</loc></url><url";
	/* attributes on one element: 64, namespace declarations included */
	assert_markup(head, " a#='1'", 64, "/></urlset>", 0);
	assert_markup(head, " a#='1'", 65, "/></urlset>", ERR_TOO_BIG);
	assert_markup(head, " xmlns:p#='urn:x'", 65, "/></urlset>", ERR_TOO_BIG);
	/* '=' inside values, comments and CDATA is no attribute */
	assert_markup(head, " a#='=='", 60, "/></urlset>", 0);
	assert_markup("<urlset><!-- <a ", "b#=1 ", 1000, "> --><![CDATA[ <a x=1 y=2 ]]></urlset>",
		      0);
	/* depth: 32 open elements */
	char *deep = repeat("<urlset>", "<a>", 31, "");
	char *xml = repeat(deep, "</a>", 31, "</urlset>");
	struct got g = {0};
	assert_int_equal(parse_str(xml, &g), 0);
	free(xml);
	free(deep);
	assert_markup("<urlset>", "<a>", 32, "", ERR_TOO_BIG);
	assert_markup("<urlset>", "<a/><a></a>", 100000, "</urlset>", 0);

	/* distinct names: 256 (urlset is one) */
	assert_markup("<urlset>", "<n#/>", 255, "</urlset>", 0);
	assert_markup("<urlset>", "<n#/>", 256, "</urlset>", ERR_TOO_BIG);
	assert_markup("<urlset>", "<n a#='1'/>", 255, "</urlset>", ERR_TOO_BIG); /* n is one */
	assert_markup("<urlset>", "<n xmlns:p='urn:#'/>", 300, "</urlset>", ERR_TOO_BIG);
	assert_markup("<urlset>", "<?pi#?>", 300, "</urlset>", ERR_TOO_BIG);
	assert_markup("<urlset>", "<n a='#'/>", 300, "</urlset>", 0); /* values are no names */
	char name[256];
	memset(name, 'n', 200);
	snprintf(name + 200, sizeof(name) - 200, "/></urlset>");
	assert_markup("<urlset><", "", 0, name, 0);
	memset(name, 'n', 201);
	snprintf(name + 201, sizeof(name) - 201, "/></urlset>");
	assert_markup("<urlset><", "", 0, name, ERR_TOO_BIG);

	/* entries before the cap are reported; a big hostile document is refused at once */
	char *many =
		repeat("<urlset><url><loc>http://a/</loc></url>", "<x#/>", 2000000, "</urlset>");
	double t0 = now();
	assert_int_equal(parse_str(many, &g), ERR_TOO_BIG);
	assert_int_equal(g.n, 1);
	assert_true(now() - t0 < 2);
	got_free(&g);
	free(many);
}

/* ---- entities: billion laughs and XXE ---- */

static int loader_calls;

static xmlParserInputPtr counting_loader(const char *url, const char *id, xmlParserCtxtPtr ctxt)
{
	(void)url, (void)id, (void)ctxt;
	loader_calls++;
	return NULL;
}

static void billion_laughs(void **state)
{
	(void)state;
	struct got g = {0};
	double t0 = now();
	/* A DOCTYPE stops the parse before its internal subset is read; and no entity is ever
	 * defined, so &lol9; could expand to nothing anyway. */
	assert_int_equal(parse_fixture("billion-laughs.xml", NULL, &g, NULL), ERR_PARSE);
	assert_int_equal(parse_fixture("billion-laughs-pe.xml", NULL, &g, NULL), ERR_PARSE);
	assert_int_equal(g.n, 0);
	double secs = now() - t0;
	if (secs > 2)
		fail_msg("billion laughs took %.1f s", secs);
}

static void xxe(void **state)
{
	(void)state;
	/* A secret the entities point at; the global loader below counts any attempt to load. */
	char path[] = "/tmp/patrol-sitemap-xxe-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	const char *secret = "https://secret.example/leaked";
	assert_int_equal(write(fd, secret, strlen(secret)), (ssize_t)strlen(secret));
	close(fd);
	xmlExternalEntityLoader old = xmlGetExternalEntityLoader();
	xmlSetExternalEntityLoader(counting_loader);
	loader_calls = 0;

	struct got g = {0};
	assert_int_equal(parse_fixture("xxe.xml", NULL, &g, NULL), ERR_PARSE);
	assert_int_equal(parse_fixture("xxe-parameter.xml", NULL, &g, NULL), ERR_PARSE);
	assert_int_equal(parse_fixture("xxe-external-dtd.xml", NULL, &g, NULL), ERR_PARSE);
	char xml[1024];
	snprintf(xml, sizeof(xml),
		 "<!DOCTYPE urlset [<!ENTITY s SYSTEM 'file://%s'>]>"
		 "<urlset><url><loc>&s;</loc></url></urlset>",
		 path);
	assert_int_equal(parse_str(xml, &g), ERR_PARSE);
	snprintf(xml, sizeof(xml),
		 "<!DOCTYPE urlset SYSTEM 'file://%s' [<!ENTITY %% p SYSTEM 'file://%s'> %%p;"
		 "<!ENTITY s SYSTEM 'file://%s'>]><urlset><url><loc>&s;</loc></url>"
		 "<url><loc>http://a/</loc></url></urlset>",
		 path, path, path);
	assert_int_equal(parse_str(xml, &g), ERR_PARSE);
	snprintf(xml, sizeof(xml), "<!DOCTYPE urlset SYSTEM 'http://127.0.0.1:9/x.dtd'><urlset/>");
	assert_int_equal(parse_str(xml, &g), ERR_PARSE);
	/* without a DOCTYPE there is nowhere to declare an entity: an undeclared one is an error */
	snprintf(xml, sizeof(xml), "<urlset><url><loc>http://a/&s;</loc></url></urlset>");
	assert_int_equal(parse_str(xml, &g), ERR_PARSE);
	assert_int_equal(g.n, 0);

	assert_int_equal(loader_calls, 0);
	xmlSetExternalEntityLoader(old);
	unlink(path);
}

/* ---- libxml2 prints nothing and leaves the caller's handlers alone ---- */

static int caller_errors;

static void caller_handler(void *ctx, xmlErrorPtr err)
{
	(void)ctx, (void)err;
	caller_errors++;
}

/* Parses inputs that make libxml2 complain: with and without a caller's handler installed. */
static void parse_noisy(void)
{
	static const char *const docs[] = {
		"<urlset><url><loc>http://a/</loc></urlset>",
		"<urlset><url><loc>http://a/&bogus;</loc></url></urlset>",
		"<?xml version='1.0' encoding='x-no-such'?><urlset/>",
		("<?xml version='1.0' "
		 "encoding='ISO-2022-JP'?><urlset><url><loc>\x1b$B\xff\xff</loc>"
		 "</url></urlset>"),
		"<?xml version='1.0' encoding='UTF-16'?><urlset/>",
		"<!DOCTYPE urlset SYSTEM 'file:///nonexistent.dtd'><urlset/>",
		"<!DOCTYPE urlset [<!ENTITY % p SYSTEM 'file:///nonexistent'> %p;]><urlset/>",
		"<urlset>\xC3\x28</urlset>",
		"<urlset xmlns:a='x' xmlns:a='y'/>",
		"<a:urlset/>",
		"<urlset></sitemapindex>",
	};
	struct got g = {0};
	for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
		(void)parse_str(docs[i], &g);
		got_free(&g);
	}
	size_t zlen;
	unsigned char *z = gzip("<urlset>", 8, &zlen);
	(void)parse_mem((char *)z, zlen - 4, NULL, NULL, &g, NULL);
	got_free(&g);
	free(z);
}

static void quiet(void **state)
{
	(void)state;
	xmlGenericErrorFunc generic = xmlGenericError;
	fflush(stderr);
	int saved = dup(2);
	assert_true(saved >= 0);
	FILE *tmp = tmpfile();
	assert_non_null(tmp);
	assert_true(dup2(fileno(tmp), 2) >= 0);

	parse_noisy(); /* libxml2's defaults would print to stderr */
	int dummy;
	xmlSetStructuredErrorFunc(&dummy, caller_handler);
	caller_errors = 0;
	parse_noisy();
	bool handler_back = xmlStructuredError == caller_handler;
	bool context_back = xmlStructuredErrorContext == &dummy;
	xmlSetStructuredErrorFunc(NULL, NULL);
	bool generic_back = xmlGenericError == generic;
	fflush(stderr);
	assert_true(dup2(saved, 2) >= 0); /* before any assertion, so failures are seen */
	close(saved);

	/* the caller's handlers are back, and were not called by the parses */
	assert_true(handler_back);
	assert_true(context_back);
	assert_true(generic_back);
	assert_int_equal(caller_errors, 0);
	long written = ftell(tmp);
	if (written > 0) {
		char buf[512] = {0};
		rewind(tmp);
		size_t n = fread(buf, 1, sizeof(buf) - 1, tmp);
		buf[n] = '\0';
		fail_msg("libxml2 wrote %ld bytes to stderr: %s", written, buf);
	}
	fclose(tmp);
}

int main(void)
{
	sitemap_global_init();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(urlset),
		cmocka_unit_test(extensions),
		cmocka_unit_test(sitemap_index),
		cmocka_unit_test(text_sitemap),
		cmocka_unit_test(gzipped),
		cmocka_unit_test(relative_locs),
		cmocka_unit_test(dates),
		cmocka_unit_test(priorities),
		cmocka_unit_test(namespaces),
		cmocka_unit_test(loc_whitespace),
		cmocka_unit_test(utf16_document),
		cmocka_unit_test(not_sitemaps),
		cmocka_unit_test(malformed_xml),
		cmocka_unit_test(deep_nesting),
		cmocka_unit_test(callback_stops),
		cmocka_unit_test(entry_cap),
		cmocka_unit_test(byte_caps),
		cmocka_unit_test(gzip_bomb_capped),
		cmocka_unit_test(markup_caps),
		cmocka_unit_test(billion_laughs),
		cmocka_unit_test(xxe),
		cmocka_unit_test(quiet),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
