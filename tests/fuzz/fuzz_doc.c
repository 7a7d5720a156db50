/* SPDX-License-Identifier: MIT */
/* Fuzz target for doc_parse (and so charset, the nesting cap, Gumbo and the link resolution)
 * and for doc_parse_with and the built-in forum profiles (posts.c, selector.c).
 *
 * An input that starts with an ASCII digit uses it to pick a Content-Type and a set of limits,
 * and the rest is the page; any other input is a page served without a Content-Type. The
 * document must come out with valid UTF-8 text, within its caps, with http(s) links only and a
 * canonical URL that is http(s) or ""; anything else aborts. Parsed again with the built-in
 * profiles, it must be the same document plus posts within their caps. The page is also read as
 * an X-Robots-Tag value.
 */
#include "common/buf.h"
#include "common/err.h"
#include "parsers/charset.h"
#include "parsers/doc.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const content_types[10] = {
	NULL,
	"text/html",
	"text/html; charset=gbk",
	"text/html; charset=utf-8",
	"text/html; charset=big5",
	"text/html; charset=shift_jis",
	"text/html; charset=utf-16le",
	"text/html; charset=\"iso-2022-jp\"",
	"text/html; charset=x-user-defined",
	"text/html; charset=euc-kr",
};

static bool valid_utf8n(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	for (size_t i = 0; i < n;) {
		size_t len = p[i] < 0x80 ? 1 : p[i] < 0xC2 ? 0 : p[i] < 0xE0 ? 2 : p[i] < 0xF0 ? 3
			   : p[i] < 0xF5 ? 4 : 0;
		if (len == 0 || len > n - i)
			return false;
		for (size_t k = 1; k < len; k++)
			if ((p[i + k] & 0xC0) != 0x80)
				return false;
		i += len;
	}
	return true;
}

static bool valid_utf8(const char *s)
{
	return valid_utf8n(s, strlen(s));
}

static void check_doc(const struct doc *d, const struct doc_limits *lim)
{
	if (!valid_utf8(d->title) || !valid_utf8(d->body) || !valid_utf8(d->link_text) ||
	    !valid_utf8(d->description))
		abort();
	if (strlen(d->body) > lim->max_text || strlen(d->link_text) > lim->max_text)
		abort();
	if (d->nlinks > lim->max_links)
		abort();
	if (d->canonical[0] && strncmp(d->canonical, "http://", 7) != 0 &&
	    strncmp(d->canonical, "https://", 8) != 0)
		abort();
	for (size_t i = 0; i < d->nlinks; i++) {
		const char *u = d->links[i].url;
		if (strncmp(u, "http://", 7) != 0 && strncmp(u, "https://", 8) != 0)
			abort();
		if (!valid_utf8(d->links[i].text) || !valid_utf8(d->links[i].rel))
			abort();
	}
}

/* The posts of d, found with the built-in profiles; the rest of d must equal plain. */
static void check_posts(const struct doc *d, const struct doc *plain, const struct doc_limits *lim)
{
	if (strcmp(d->body, plain->body) != 0 || strcmp(d->title, plain->title) != 0 ||
	    strcmp(d->link_text, plain->link_text) != 0 || d->nlinks != plain->nlinks ||
	    plain->nposts != 0 || d->nposts > lim->max_posts)
		abort();
	size_t total = 0;
	for (size_t i = 0; i < d->nposts; i++) {
		const struct doc_post *p = &d->posts[i];
		if (!valid_utf8(p->text) || !valid_utf8(p->author) || !valid_utf8(p->time) ||
		    strlen(p->author) > 256 || strlen(p->time) > 256)
			abort();
		total += strlen(p->text);
	}
	if (total > lim->max_text || (d->nposts > 0) != (d->posts_profile[0] != '\0'))
		abort();
}

static void check_with_profiles(const char *page, size_t size, const char *ct,
				const struct doc_limits *lim, const struct doc *plain)
{
	struct doc_profiles *ps = NULL;
	if (doc_profiles_new(&ps) != 0 || doc_profiles_add_builtin(ps) != 0) {
		doc_profiles_free(ps);
		return; /* out of memory */
	}
	struct doc_options opts = {.lim = lim, .profiles = ps};
	struct doc *d = NULL;
	int rc = doc_parse_with(page, size, ct, "http://fuzz.example/dir/page.html", &opts, &d);
	if (rc == 0)
		check_posts(d, plain, lim);
	else if (rc != -ENOMEM)
		abort();
	doc_free(d);
	doc_profiles_free(ps);
}

/* charset_decode into a small buffer: the cap must leave whole characters. */
static void check_decode_cap(const char *page, size_t len, const char *ct)
{
	struct buf out;
	char name[CHARSET_NAME_MAX];
	enum charset_source src;
	buf_init(&out, 61);
	int rc = charset_decode(page, len, ct, &out, name, &src);
	if (rc != 0 && rc != ERR_TOO_BIG && rc != -ENOMEM)
		abort();
	if (out.len > 61 || !valid_utf8n(buf_str(&out), out.len))
		abort();
	buf_done(&out);
}

/* doc_robots_header on the page up to its first NUL: it must not fail, and it only ever sets. */
static void check_robots_header(const char *page, size_t size)
{
	char *value = malloc(size + 1);
	if (!value)
		return;
	memcpy(value, page, size);
	value[size] = '\0';
	bool noindex = false, nofollow = false, all_ni = true, all_nf = true;
	doc_robots_header(value, DOC_ROBOTS_AGENT, &noindex, &nofollow);
	doc_robots_header(value, NULL, &noindex, &nofollow);
	doc_robots_header(value, "", &all_ni, &all_nf);
	if (!all_ni || !all_nf)
		abort();
	free(value);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *page = (const char *)data;
	const char *ct = NULL;
	struct doc_limits lim;
	doc_limits_default(&lim);
	if (size > 0 && data[0] >= '0' && data[0] <= '9') {
		ct = content_types[data[0] - '0'];
		if (data[0] >= '5') { /* tight limits, to reach the caps */
			lim.max_text = 64;
			lim.max_links = 2;
			lim.max_depth = 8;
			lim.max_input = 4096;
			lim.max_posts = 2;
		}
		page++;
		size--;
	}
	struct doc *d = NULL;
	int rc = doc_parse(page, size, ct, "http://fuzz.example/dir/page.html", &lim, &d);
	if (rc == 0) {
		check_doc(d, &lim);
		check_with_profiles(page, size, ct, &lim, d);
	} else if (rc != -ENOMEM) {
		abort();
	}
	doc_free(d);
	check_decode_cap(page, size, ct);
	check_robots_header(page, size);
	return 0;
}
