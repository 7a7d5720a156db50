/* SPDX-License-Identifier: MIT */
/* Fuzz target for crawler/robots.h: the bytes are a robots.txt body, parsed for a few product
 * tokens (one of them made from the input's first line, as robots_agent_token would make it from
 * a User-Agent), then queried with fixed paths, with paths and URLs cut from the input itself,
 * and read back (crawl-delay, every sitemap). The invariants checked abort on violation, so a
 * wrong answer is a crash the fuzzer reports, like a memory error.
 */
#include "crawler/robots.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const paths[] = {"/",
				    "",
				    "/robots.txt",
				    "/a",
				    "/x/page.html",
				    "/fish.php?x=1",
				    "/%E3%83%84",
				    "/%e3%83%84",
				    "/index.html",
				    "/a/b/c/d/e/f/g/h/i/j/k/l/m/n/o/p",
				    "?q",
				    "/$",
				    "/*",
				    "/%",
				    "/%4"};

static const char *const urls[] = {"http://example.org", "https://example.org/a?b#c",
				   "HTTP://u@h:1/x", "ftp://h/", "http://"};

/* A NUL-terminated copy of data[off, off+n), clipped to the input. */
static char *slice(const uint8_t *data, size_t size, size_t off, size_t n)
{
	if (off > size)
		off = size;
	if (n > size - off)
		n = size - off;
	char *s = malloc(n + 1);
	if (!s)
		return NULL;
	if (n)
		memcpy(s, data + off, n);
	s[n] = '\0';
	return s;
}

static void query(const struct robots *r, const uint8_t *data, size_t size)
{
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
		(void)robots_allowed(r, paths[i]);
	if (!robots_allowed(r, "/robots.txt"))
		abort();
	for (size_t i = 0; i < sizeof(urls) / sizeof(urls[0]); i++) {
		bool a;
		(void)robots_allowed_url(r, urls[i], &a);
	}
	/* Paths from the input: its tail and a window from its middle. */
	char *s = slice(data, size, size > 256 ? size - 256 : 0, 256);
	if (s) {
		bool via_url = false, direct = robots_allowed(r, s);
		char url[300];
		if (s[0] == '/' && !strchr(s, '#') && strlen(s) < 280) {
			memcpy(url, "http://h", 8);
			strcpy(url + 8, s);
			if (robots_allowed_url(r, url, &via_url) != 0 || via_url != direct)
				abort(); /* the URL form must give the path form's answer */
		}
		free(s);
	}
	s = slice(data, size, size / 2, 64);
	if (s) {
		(void)robots_allowed(r, s);
		free(s);
	}
	(void)robots_crawl_delay_ms(r);
	size_t n = robots_sitemap_count(r);
	if (n > ROBOTS_MAX_SITEMAPS)
		abort();
	for (size_t i = 0; i < n; i++)
		if (!robots_sitemap(r, i) || !robots_sitemap(r, i)[0])
			abort();
	if (robots_sitemap(r, n))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char agent[ROBOTS_AGENT_MAX];
	char *first = slice(data, size, 0, 128);
	if (first) {
		first[strcspn(first, "\r\n")] = '\0';
		robots_agent_token(first, agent, sizeof(agent));
		free(first);
	} else {
		agent[0] = '\0';
	}
	const char *const agents[] = {"FooBot", "patrol", agent};
	for (size_t i = 0; i < sizeof(agents) / sizeof(agents[0]); i++) {
		struct robots *r;
		if (robots_parse((const char *)data, size, agents[i], &r) != 0)
			continue;
		query(r, data, size);
		robots_free(r);
	}
	return 0;
}
