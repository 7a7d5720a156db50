/* SPDX-License-Identifier: MIT */
/* Fuzz target for parsers/sitemap.h: the bytes are a sitemap as fetched (XML, text or gzip),
 * parsed against a fixed base URL under small caps, so the fuzzer reaches them. Every entry must
 * be a canonical http(s) URL with a priority of -1 or within [0, 1] and the kind of the document;
 * the result must be 0, ERR_PARSE, ERR_TOO_BIG, -ENOMEM or the callback's own code (inputs of odd
 * length stop after three entries). Anything else aborts.
 */
#include "common/err.h"
#include "parsers/sitemap.h"
#include "parsers/url.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define STOP_CODE 4242

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct seen {
	size_t n, stop_after, max;
	bool have_kind;
	enum sitemap_kind kind;
};

static void check_loc(const char *loc)
{
	if (strlen(loc) > URL_MAX_LEN)
		abort();
	if (strncmp(loc, "http://", 7) != 0 && strncmp(loc, "https://", 8) != 0)
		abort();
	for (const char *p = loc; *p; p++)
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7F || *p == '#')
			abort();
}

static int on_entry(const struct sitemap_entry *e, void *ud)
{
	struct seen *s = ud;
	check_loc(e->loc);
	if (e->priority != -1 && !(e->priority >= 0 && e->priority <= 1))
		abort();
	if (e->kind != SITEMAP_URLSET && e->kind != SITEMAP_INDEX && e->kind != SITEMAP_TEXT)
		abort();
	if (s->have_kind && e->kind != s->kind)
		abort();
	s->have_kind = true;
	s->kind = e->kind;
	if (++s->n > s->max)
		abort();
	return s->stop_after && s->n == s->stop_after ? STOP_CODE : 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sitemap_limits lim = {
		.max_compressed = 1 << 20, .max_decompressed = 4 << 20, .max_entries = 1000};
	struct seen s = {.stop_after = size % 2 ? 3 : 0, .max = lim.max_entries};
	enum sitemap_kind kind = (enum sitemap_kind)99;
	int rc = sitemap_parse((const char *)data, size, "https://example.com/dir/sitemap.xml",
			       &lim, on_entry, &s, &kind);
	if (rc == 0) {
		if (kind != SITEMAP_URLSET && kind != SITEMAP_INDEX && kind != SITEMAP_TEXT)
			abort();
		if (s.have_kind && kind != s.kind)
			abort();
	} else {
		if (kind != (enum sitemap_kind)99)
			abort(); /* ret_kind is untouched on failure */
		if (rc == STOP_CODE && s.n != 3)
			abort();
		if (rc != STOP_CODE && rc != ERR_PARSE && rc != ERR_TOO_BIG && rc != -ENOMEM)
			abort();
	}
	return 0;
}
