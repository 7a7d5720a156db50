/* SPDX-License-Identifier: MIT */
/* URL resolution and canonicalization for http and https, on libcurl's URL API (CURLU).
 *
 * The canonical form is what patrol uses as a page's identity: scheme and host lowercased, the
 * default port dropped, dot segments resolved, an empty path made "/", the fragment dropped, the
 * query kept as it is. Only http and https URLs are accepted; everything else is ERR_URL.
 * Thread-safe: no shared state.
 */
#ifndef PATROL_PARSERS_URL_H
#define PATROL_PARSERS_URL_H

#include <stddef.h>

#define URL_MAX_LEN 8192 /* longer inputs and results fail with ERR_TOO_BIG */

/* Resolves ref against base (base may be NULL when ref is absolute) into the canonical form.
 * On success *ret_url is a new string the caller frees with free(). Errors: ERR_URL (unparsable,
 * not http(s), no host), ERR_TOO_BIG, -ENOMEM. */
int url_resolve(const char *base, const char *ref, char **ret_url);

/* The lowercased host of an absolute http(s) URL, without port or brackets; caller frees. */
int url_host(const char *url, char **ret_host);

/* The origin "scheme://host[:port]" of an absolute URL (port only when not the default); caller
 * frees. The crawler keeps a crawl on its seed's origin with it. */
int url_origin(const char *url, char **ret_origin);

#endif
