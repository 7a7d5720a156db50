/* SPDX-License-Identifier: MIT */
/* Sitemaps (sitemaps.org protocol 0.9): XML urlsets, sitemap indexes and plain-text sitemaps,
 * gzipped or not, read as a stream and reported one entry at a time through a callback.
 *
 * The input is hostile: gzip is inflated on demand under a byte cap; XML goes through libxml2's
 * SAX parser with no DTD (a DOCTYPE is refused), no entity ever defined or loaded and no network;
 * the markup is capped where libxml2 2.9 would go quadratic (depth, attributes per element,
 * distinct names); the entry count is capped. Memory stays flat whatever the number of entries.
 * Thread-safe once sitemap_global_init() has run: each call has its own parser. libxml2's
 * per-thread error handlers are swapped for a silent one during a call (the callback runs inside
 * it) and restored before it returns, so nothing is printed and a caller's handler is untouched.
 */
#ifndef PATROL_PARSERS_SITEMAP_H
#define PATROL_PARSERS_SITEMAP_H

#include <stddef.h>
#include <stdint.h>

enum sitemap_kind {
	SITEMAP_URLSET, /* <urlset>: each entry is a page */
	SITEMAP_INDEX,	/* <sitemapindex>: each entry is another sitemap */
	SITEMAP_TEXT	/* plain-text sitemap: one absolute URL per line, each a page */
};

/* One <url> or <sitemap> entry, or one line of a text sitemap. Strings are borrowed: valid during
 * the callback only. */
struct sitemap_entry {
	const char *loc;	/* canonical absolute http(s) URL (url_resolve) */
	int64_t lastmod;	/* epoch seconds UTC, 0 when absent or unparsable */
	double priority;	/* 0.0 to 1.0, -1 when absent, unparsable or out of range */
	enum sitemap_kind kind; /* what the document is, so the callback knows page from sitemap */
};

/* Called for every entry, in document order; a non-zero return stops the parse and is returned
 * by sitemap_parse as it is. */
typedef int (*sitemap_entry_fn)(const struct sitemap_entry *e, void *ud);

struct sitemap_limits {
	size_t max_compressed;	 /* gzip bytes read; ignored for input that is not gzipped */
	size_t max_decompressed; /* bytes of XML or text: the input, or what gzip inflates to */
	size_t max_entries;	 /* <url>, <sitemap> elements or non-blank text lines */
};

/* 50 MiB compressed, 50 MiB decompressed and 50,000 entries, the protocol's limits. */
void sitemap_limits_default(struct sitemap_limits *l);

/* Initializes libxml2 (xmlInitParser), which libxml2 2.9 does lazily and not thread-safely.
 * Call once from the main thread before any thread parses a sitemap; calling it again is harmless.
 * A single-threaded program may skip it. It installs no handler and changes no parser default. */
void sitemap_global_init(void);

/* Parses data (len bytes as fetched) and reports every entry through fn.
 *
 * gzip is detected by its magic bytes (1f 8b) and inflated under the caps; concatenated gzip
 * members are read as one stream. After a UTF-8 BOM and leading whitespace, input that starts
 * with '<' (or a UTF-16 BOM) is XML, anything else a text sitemap. XML: the root must be urlset or
 * sitemapindex, in the sitemaps.org namespace or in none (elements in other namespaces, such as
 * image:loc, are ignored); loc is trimmed and resolved against base_url, lastmod is a W3C datetime
 * (offsets applied; a missing zone is read as UTC). Text: each line is trimmed and must be an
 * absolute http(s) URL. Entries whose loc does not resolve are skipped, but count towards
 * max_entries. base_url is where the sitemap came from, or NULL (then only absolute locs are
 * kept); the protocol's rule that a crawler use only URLs of the sitemap's own host is the
 * caller's to apply. lim NULL means the defaults; ret_kind may be NULL and is set on success only
 * (every entry carries the kind too).
 *
 * Returns 0, fn's non-zero return, or an error. Entries already reported stay reported:
 * ERR_TOO_BIG: a cap was reached: bytes, entries, or the markup caps (XML nested deeper than 32
 *   elements, an element with over 64 attributes, over 256 distinct names or one over 200 bytes);
 *   the entries before it were reported.
 * ERR_PARSE: not a sitemap (other root element, binary data, a first text line that is no URL),
 *   a DOCTYPE, malformed XML (the parse stops at the first error; whatever follows the root
 *   element is not read), or corrupt or truncated gzip.
 * -ENOMEM; ERR_USAGE when fn is NULL, or data is NULL and len is not 0. */
int sitemap_parse(const char *data, size_t len, const char *base_url,
		  const struct sitemap_limits *lim, sitemap_entry_fn fn, void *ud,
		  enum sitemap_kind *ret_kind);

#endif
