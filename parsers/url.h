/* SPDX-License-Identifier: MIT */
/* URL resolution and canonicalization for http and https, on libcurl's URL API (CURLU).
 *
 * The canonical form is what patrol uses as a page's identity: scheme and host lowercased, the
 * default port dropped, dot segments resolved, an empty path made "/", the fragment dropped, an
 * empty query dropped; in the path and the query, percent-escapes have uppercase hex digits,
 * escapes of unreserved characters (ALPHA DIGIT - . _ ~) are decoded, and the bytes RFC 3986
 * allows in neither (controls, space, non-ASCII, " < > [ \ ] ^ ` { | }, and a '%' that starts no
 * escape) are percent-encoded. Escapes of other characters stay escaped ("%2F" is not "/") and
 * parameter order is kept. Optionally, session parameters are removed (struct url_opts).
 * A host with non-ASCII characters is written in punycode ("xn--..."), mapped first as WHATWG's
 * "domain to ASCII" does (UTS #46, non-transitional), whatever the process's locale.
 * Only http and https URLs are accepted; everything else is ERR_URL.
 * Thread-safe: no shared state.
 */
#ifndef PATROL_PARSERS_URL_H
#define PATROL_PARSERS_URL_H

#include <stddef.h>

#define URL_MAX_LEN 8192 /* longer inputs and results fail with ERR_TOO_BIG */

/* What canonicalization removes besides the defaults. strip_params names query parameters
 * ("sid", "PHPSESSID", ...) dropped wherever they appear, compared ASCII case-insensitively with
 * the name as it stands after percent normalization. A query that loses a parameter also loses
 * its empty pieces ("a&&b" is "a&b" then), and its '?' when nothing is left. When
 * "jsessionid" is listed, ";jsessionid=..." path parameters (up to the next '/' or ';') go too.
 * The strings are borrowed for the call. */
struct url_opts {
	const char *const *strip_params;
	size_t nstrip_params;
};

/* Resolves ref against base (base may be NULL when ref is absolute) into the canonical form,
 * stripping what o lists (o may be NULL: nothing). On success *ret_url is a new string the
 * caller frees with free(); resolving it again with the same o gives the same string.
 * Errors: ERR_URL (unparsable, not http(s), no host), ERR_TOO_BIG, -ENOMEM. */
int url_resolve_opts(const char *base, const char *ref, const struct url_opts *o, char **ret_url);

/* url_resolve_opts with no opts. */
int url_resolve(const char *base, const char *ref, char **ret_url);

/* A base URL parsed once, against which many references resolve: a page's links.
 * url_base_resolve gives exactly what url_resolve_opts(base, ref, o) gives. The references forum
 * pages are made of ("/thread-1.html", "forum.php?mod=viewthread&tid=7", "?page=2", "#p3", the
 * page's own origin spelled out) are resolved by string operations on the canonical base; any
 * other (escapes, non-ASCII, spaces, backslashes, other origins, ...) takes url_resolve_opts's
 * general path on libcurl's URL API. Immutable once made: threads may share one. */
struct url_base;

/* Parses base (an absolute http(s) URL) into a new *ret_base, freed with url_base_free().
 * Errors: as url_resolve. */
int url_base_new(const char *base, struct url_base **ret_base);
void url_base_free(struct url_base *b);
/* The base's canonical form; borrowed, lives as long as b. */
const char *url_base_url(const struct url_base *b);
/* url_resolve_opts(base, ref, o, ret_url), faster. */
int url_base_resolve(const struct url_base *b, const char *ref, const struct url_opts *o,
		     char **ret_url);

/* The path and query of url's canonical form ("/a/b?x=1", at least "/"), as robots.txt rules and
 * scope checks match them; caller frees. Errors as url_resolve. */
int url_path_query(const char *url, char **ret);

/* The number of '/' in the path of url, a canonical URL (url_resolve's output): "/" is 1,
 * "/a/b" 2, "/a/b/" 3. For trap checks on depth; 0 when url has no "://". No allocation. */
size_t url_path_segments(const char *url);

/* The lowercased host of an absolute http(s) URL, without port or brackets; caller frees. */
int url_host(const char *url, char **ret_host);

/* The origin "scheme://host[:port]" of an absolute URL (port only when not the default); caller
 * frees. The crawler keeps a crawl on its seed's origin with it. */
int url_origin(const char *url, char **ret_origin);

/* The registrable domain of an absolute http(s) URL's host, after the Public Suffix List (libpsl's
 * built-in copy, ICANN and private sections): "forum.example.co.uk" gives "example.co.uk",
 * "a.b.github.io" gives "b.github.io". A host that has none is its own answer: an IP address,
 * a single label ("localhost"), a public suffix itself ("co.uk"); a trailing dot is dropped.
 * For grouping pages and hits per site (reports, politeness shared across a site's hosts),
 * never for scope: what a crawl may fetch is the venue's host list (crawler/venue.h), since one
 * registrable domain can hold sites of different owners. Caller frees.
 * Errors: as url_host; ERR_INTERNAL when libpsl was built without its list. */
int url_registrable_domain(const char *url, char **ret_domain);

#endif
