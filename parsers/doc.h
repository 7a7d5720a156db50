/* SPDX-License-Identifier: MIT */
/* A fetched HTML page turned into the document the rules and the crawler see.
 *
 * doc_parse decodes the bytes (charset.h), parses them with Gumbo, and extracts the title, the
 * visible text with block boundaries kept as newlines (script, style, noscript, template and
 * hidden inputs skipped), the links resolved against <base href> or the page URL (url.h), the
 * <link rel=canonical> and the robots meta tags. doc_robots_header reads an X-Robots-Tag header
 * the same way.
 * Every output is capped (struct doc_limits); hostile HTML gives a smaller document, never a crash.
 * A doc owns all its strings; nothing in it points into the input or into Gumbo's tree.
 * Thread-safe: no shared state; a doc belongs to the thread that made it until handed on.
 */
#ifndef PATROL_PARSERS_DOC_H
#define PATROL_PARSERS_DOC_H

#include "parsers/charset.h"

#include <stdbool.h>
#include <stddef.h>

struct doc_limits {
	size_t max_input;  /* decoded bytes handed to Gumbo */
	size_t max_text;   /* bytes of body text kept, and of link_text */
	size_t max_links;  /* links kept; the rest are counted in links_dropped */
	/* Element depth walked; deeper content is skipped. Markup nested deeper than max_depth / 2
	 * is flattened before parsing (its text kept), which bounds Gumbo's work. */
	unsigned max_depth;
};

/* 16 MiB input, 4 MiB text, 5000 links, depth 256. */
void doc_limits_default(struct doc_limits *lim);

struct doc_link {
	char *url;  /* canonical absolute http(s) URL (url_resolve) */
	char *text; /* anchor text, whitespace collapsed; "" when none */
	char *rel;  /* the rel attribute (of the first occurrence), "" when none */
	/* rel has the token "nofollow" (ASCII case-insensitive) on every occurrence of url in the
	 * page: one followable link to a URL is enough to follow it. "ugc" and "sponsored" do not
	 * count: they qualify a link for ranking, they do not ask a crawler to stay away. */
	bool nofollow;
};

struct doc {
	char encoding[CHARSET_NAME_MAX];
	enum charset_source encoding_source;
	char *title;     /* whitespace collapsed; "" when none */
	char *body;      /* visible text; blocks separated by '\n', runs of blanks collapsed */
	char *link_text; /* the non-empty texts of all <a href> and <area href>, joined by '\n' */
	/* The href of the first <link rel=canonical href> in <head>, resolved like the links
	 * (url_resolve); "" when there is none or it is not an http(s) URL. Elsewhere in the page
	 * it is ignored, as search engines ignore it. */
	char *canonical;
	/* Directives of <meta name="robots"> and <meta name="patrol"> (DOC_ROBOTS_AGENT) anywhere
	 * outside <template>: names ASCII case-insensitive, content split at commas and white
	 * space, "none" is both; other directives ("index", "follow", "max-snippet:1") are ignored
	 * and never undo a restriction. Several tags add up. */
	bool noindex, nofollow;
	struct doc_link *links; /* in document order, duplicates removed */
	size_t nlinks;
	size_t links_dropped; /* occurrences of links beyond max_links, unparsable or not http(s) */
	bool truncated;       /* a cap cut the input, the text or the depth */
};

/* Parses raw (len bytes as fetched) into a new doc. content_type may be NULL; page_url is the
 * URL the page was fetched from (links resolve against it unless <base href> says otherwise), or
 * NULL for a page from nowhere (then only absolute links and those under an absolute <base href>
 * are kept); lim NULL means the defaults. The caller frees *ret_doc with doc_free().
 * Errors: -ENOMEM, ERR_TOO_BIG (decoded input over max_input is cut, not an error; this is only
 * for sizes the decoder cannot hold), ERR_URL (page_url is not an absolute http(s) URL). */
int doc_parse(const char *raw, size_t len, const char *content_type, const char *page_url,
	      const struct doc_limits *lim, struct doc **ret_doc);
void doc_free(struct doc *d);

/* patrol's robots product token: <meta name="patrol"> applies like <meta name="robots">. */
#define DOC_ROBOTS_AGENT "patrol"

/* Reads one X-Robots-Tag header value into *noindex and *nofollow, which it sets to true for
 * each directive that applies and never clears, so several headers and the meta tags add up.
 * The value is a comma-separated list of directives; an entry "token: directive", where token is
 * a product token ([A-Za-z_-]+, ASCII case-insensitive) and not a directive name taking a value
 * (unavailable_after, max-snippet, max-image-preview, max-video-preview), makes that directive
 * and the ones after it apply only to that agent. Directives before any agent token apply to all;
 * "*" is no wildcard. agent is our product token (e.g. DOC_ROBOTS_AGENT), NULL for generic
 * directives only. Directives: "noindex", "nofollow", "none" (both); the rest are ignored. */
void doc_robots_header(const char *value, const char *agent, bool *noindex, bool *nofollow);

#endif
