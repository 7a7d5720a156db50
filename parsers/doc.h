/* SPDX-License-Identifier: MIT */
/* A fetched HTML page turned into the document the rules and the crawler see.
 *
 * doc_parse decodes the bytes (charset.h), parses them with Gumbo, and extracts the title, the
 * meta description, the visible text with block boundaries kept as newlines (script, style,
 * noscript, template and hidden inputs skipped), the links resolved against <base href> or the
 * page URL (url.h), the <link rel=canonical> and the robots meta tags. doc_parse_with can also
 * cut a thread page into its forum posts (text, author, time), with the built-in profiles of
 * common forum software or a venue's own selectors (selector.h, docs/extract.md).
 * doc_robots_header reads an X-Robots-Tag header the same way.
 * Every output is capped (struct doc_limits); hostile HTML gives a smaller document, never a crash.
 * A doc owns all its strings; nothing in it points into the input or into Gumbo's tree.
 * Thread-safe: no shared state; a doc belongs to the thread that made it until handed on. A
 * doc_profiles is immutable once built, and any number of threads may parse with it at once.
 */
#ifndef PATROL_PARSERS_DOC_H
#define PATROL_PARSERS_DOC_H

#include "parsers/charset.h"
#include "parsers/selector.h"
#include "parsers/url.h"

#include <stdbool.h>
#include <stddef.h>

struct doc_limits {
	size_t max_input;  /* decoded bytes handed to Gumbo */
	size_t max_text;   /* bytes of body text kept, and of link_text */
	size_t max_links;  /* links kept; the rest are counted in links_dropped */
	/* Element depth walked; deeper content is skipped. Markup nested deeper than max_depth / 2
	 * is flattened before parsing (its text kept), which bounds Gumbo's work. */
	unsigned max_depth;
	size_t max_posts; /* forum posts kept; the rest are counted in posts_dropped */
};

/* 16 MiB input, 4 MiB text, 5000 links, depth 256, 1000 posts. */
void doc_limits_default(struct doc_limits *lim);

struct doc_link {
	char *url;  /* canonical absolute http(s) URL (url_resolve_opts with doc_options.url_opts) */
	char *text; /* anchor text, whitespace collapsed; "" when none */
	char *rel;  /* the rel attribute (of the first occurrence), "" when none */
	/* rel has the token "nofollow" (ASCII case-insensitive) on every occurrence of url in the
	 * page: one followable link to a URL is enough to follow it. "ugc" and "sponsored" do not
	 * count: they qualify a link for ranking, they do not ask a crawler to stay away. */
	bool nofollow;
};

/* One forum post of a thread page (see doc_parse_with). */
struct doc_post {
	/* The text of the post's content elements (the whole post when its profile names none),
	 * blocks separated by '\n', runs of blanks collapsed, the profile's skipped parts left out;
	 * "" for a post of images only. */
	char *text;
	char *author; /* whitespace collapsed; "" when not found */
	/* The time element's datetime attribute, else its title attribute, else its text,
	 * whitespace collapsed, as the page gives it (not parsed); "" when not found. */
	char *time;
};

#define DOC_PROFILE_NAME_MAX 32

struct doc {
	char encoding[CHARSET_NAME_MAX];
	enum charset_source encoding_source;
	char *title;     /* whitespace collapsed; "" when none */
	/* The content of the first <meta name="description"> outside <template>, whitespace
	 * collapsed; "" when none. */
	char *description;
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
	/* Forum posts in document order (where each starts), only from doc_parse_with with
	 * profiles; NULL and 0 otherwise. */
	struct doc_post *posts;
	size_t nposts;
	size_t posts_dropped; /* posts beyond max_posts */
	/* The name of the profile that found the posts (of the first post kept, should several
	 * apply); "" when there are none. */
	char posts_profile[DOC_PROFILE_NAME_MAX];
	bool truncated; /* a cap cut the input, the text (body, link text or posts) or the depth */
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

/* ---- Forum posts ----
 *
 * A profile says how to find the posts of one kind of forum page, with selectors (selector.h):
 *  - post: the element of one post (required);
 *  - content: within a post, the elements whose text is the post's text; a post in which it
 *    matches nothing is no post (NULL: the whole post is its text);
 *  - author, time: within a post, the element that gives its author, its time. A list of
 *    alternatives is tried in order: the first alternative that matches anywhere in the post wins,
 *    the first element it matches gives the value (time: its datetime attribute, else its title
 *    attribute, else its text);
 *  - skip: within a post, elements whose text is left out of the post's text (anti-scraping
 *    noise, edit notices).
 * Within a post only its own profile applies; a post inside a post (threaded comments) is a post
 * of its own, and its text is not its parent's. Outside posts, the profiles are tried in order for
 * each element. docs/extract.md describes the built-in profiles.
 *
 * Wiring a venue's selectors from patrol.yaml (crawler/venue.c, a later step): compile them once
 * at load with doc_profiles_new and doc_profiles_add (a doc_profile_error names the key and the
 * column, to report as file:line:col), keep the doc_profiles with the venue, and pass it in
 * doc_options.profiles; venues without selectors share one doc_profiles_add_builtin set. */

/* The selectors of one profile, as text. NULL means not given; post is required. */
struct doc_profile_spec {
	const char *name; /* at most DOC_PROFILE_NAME_MAX - 1 bytes */
	const char *post;
	const char *content;
	const char *author;
	const char *time;
	const char *skip;
};

/* Why a profile was refused: field is "name", "post", "content", "author", "time" or "skip" (a
 * static string); sel the selector's error (for "name": column 1 and the reason). */
struct doc_profile_error {
	const char *field;
	struct selector_error sel;
};

#define DOC_PROFILES_MAX 16

/* An ordered list of compiled profiles. */
struct doc_profiles;

/* An empty list. The caller frees *ret with doc_profiles_free(). Errors: -ENOMEM. */
int doc_profiles_new(struct doc_profiles **ret);
void doc_profiles_free(struct doc_profiles *ps);
/* Compiles spec and appends it. Errors: ERR_PARSE (a selector or the name is bad: *ret_err, if
 * not NULL, says which and why), ERR_TOO_BIG (DOC_PROFILES_MAX profiles already), -ENOMEM.
 * On error the list is unchanged. */
int doc_profiles_add(struct doc_profiles *ps, const struct doc_profile_spec *spec,
		     struct doc_profile_error *ret_err);
/* Appends the built-in profiles (doc_profile_builtin) in their order. Errors as above. */
int doc_profiles_add_builtin(struct doc_profiles *ps);
/* The i-th built-in profile (discuz, phpbb, vbulletin, discourse, wordpress), NULL past the
 * last. Static. */
const struct doc_profile_spec *doc_profile_builtin(size_t i);

struct doc_options {
	const struct doc_limits *lim;        /* NULL: the defaults */
	const struct doc_profiles *profiles; /* NULL: no posts */
	/* What link URLs lose, as url_resolve_opts strips it (session parameters); NULL: nothing.
	 * A crawl passes its own, so that links come out as it queues them. */
	const struct url_opts *url_opts;
};

/* doc_parse with options (opts NULL: as doc_parse with the default limits). With profiles, the
 * doc's posts are filled in; everything else is exactly what doc_parse gives, but truncated,
 * which a cut post text sets too. Finding posts costs a few selector checks per element, and
 * nothing when profiles is NULL. Errors as doc_parse's. */
int doc_parse_with(const char *raw, size_t len, const char *content_type, const char *page_url,
		   const struct doc_options *opts, struct doc **ret_doc);

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
