/* SPDX-License-Identifier: MIT */
/* robots.txt (RFC 9309): parsing one file for one crawler, and matching paths against it.
 *
 * Pure computation: no network, no I/O, no logging, no shared state. The crawler fetches
 * /robots.txt, picks the constructor by the outcome of that fetch (2xx: robots_parse, 4xx:
 * robots_new_allow_all, 5xx or unreachable: robots_new_disallow_all, per RFC 9309 §2.3.1) and
 * asks robots_allowed before each fetch on that authority.
 *
 * Semantics follow RFC 9309 as google/robotstxt implements it, Google's extensions included
 * (they are marked "Google:" below), so the verdicts agree with the reference matcher.
 *
 * Threads: a struct robots is immutable once a constructor returns it. Any number of threads may
 * call the query functions on one object at the same time; robots_free must not race with them.
 * Memory: everything a constructor allocates is released by robots_free; strings the query
 * functions return are borrowed from the object. Every list is capped (the ROBOTS_MAX_* below),
 * so a hostile file costs at most a bounded amount of memory and parse time.
 */
#ifndef PATROL_CRAWLER_ROBOTS_H
#define PATROL_CRAWLER_ROBOTS_H

#include <stdbool.h>
#include <stddef.h>

struct robots; /* opaque: the rules of one robots.txt for one product token */

/* Bytes of a body that are parsed: RFC 9309 §2.5 asks for at least 500 KiB. Bytes past it are
 * ignored, and so is the line the cut falls in: half a rule can mean the opposite of the rule. */
#define ROBOTS_MAX_BYTES (500 * 1024)
/* Bytes kept of one line (Google: 8 × 2083, less its NUL); the rest of a longer line is dropped,
 * so a too-long pattern is cut, not refused. */
#define ROBOTS_MAX_LINE (8 * 2083 - 1)
/* Allow and disallow rules kept for the groups that apply (the extra rule an "index.htm" allow
 * makes counts too); later ones are ignored. */
#define ROBOTS_MAX_RULES 10000
/* Sitemap lines kept; later ones are ignored. */
#define ROBOTS_MAX_SITEMAPS 1000
/* Crawl-delay values above this (one day) are clamped to it. The crawler has its own, lower cap:
 * this one only keeps the arithmetic safe. */
#define ROBOTS_MAX_CRAWL_DELAY_MS (24u * 60 * 60 * 1000)
/* A buffer of this many bytes holds any product token robots_agent_token writes. */
#define ROBOTS_AGENT_MAX 64

/* Parses body (len bytes as fetched, any encoding; not NUL-terminated; may be NULL when len is 0)
 * for the crawler whose product token is agent, e.g. "patrol" (robots_agent_token makes one from
 * a User-Agent string).
 *
 * Lines end in LF, CR or CRLF; a UTF-8 BOM (or a prefix of one) at the start is skipped; "#"
 * starts a comment; a line is "key: value" with both trimmed, keys compared case-insensitively.
 * Keys: user-agent, allow, disallow, sitemap, crawl-delay. Google: a key matches when the word
 * starts with the key ("disallowed:" is disallow); the typos useragent, "user agent", dissallow,
 * dissalow, disalow, diasllow, disallaw and site-map are accepted; a missing colon is accepted
 * when the line is exactly two words ("disallow /"). Other lines are ignored.
 *
 * Groups: one or more user-agent lines, then rules; the first allow or disallow line after them
 * closes the user-agent list, so the next user-agent line starts a new group. Sitemap, crawl-delay
 * and unknown lines do not close it. Rules before the first user-agent line are ignored. Each
 * user-agent value's product token (its leading [A-Za-z_-]+; Google: so "FooBot/1.0" and "Foo
 * Bar" name FooBot and Foo) is compared case-insensitively with agent; a value of "*" (Google: or
 * "*" and a space and anything) names every crawler. All groups that name agent are merged and
 * are the only ones used, even when they are empty (then everything is allowed); only when no
 * group names agent are the groups of "*" used instead; with neither, everything is allowed. An
 * agent that is not a valid product token (empty, or any character outside [A-Za-z_-]) never
 * matches a named group, only "*".
 *
 * Patterns are stored percent-encoded: bytes >= 0x80 become %XX and the hex digits of existing
 * %xx escapes are uppercased. Escapes are not decoded: "%62" does not match "b" (as in Google's
 * matcher; RFC 9309 would decode unreserved characters, the reference tests do not). An empty
 * allow or disallow value is no rule at all. Google: an allow rule whose last segment starts
 * with "index.htm" also allows its directory ("/a/index.html" allows "/a/" exactly).
 *
 * On success *ret_robots is a new object the caller frees with robots_free. A file with nothing
 * valid in it is not an error: it allows everything. Errors: ERR_USAGE (NULL agent or
 * ret_robots, or NULL body with len > 0), -ENOMEM; *ret_robots is then untouched. */
int robots_parse(const char *body, size_t len, const char *agent, struct robots **ret_robots);

/* The special cases of RFC 9309 §2.3.1: robots.txt was "unavailable" (4xx): everything is
 * allowed; or "unreachable" (5xx, network error): everything is disallowed. No sitemaps, no
 * crawl-delay. Free with robots_free. Errors: ERR_USAGE, -ENOMEM. */
int robots_new_allow_all(struct robots **ret);
int robots_new_disallow_all(struct robots **ret);

/* Frees r and everything borrowed from it; robots_free(NULL) does nothing. */
void robots_free(struct robots *r);

/* Whether agent may fetch path_and_query: the URL's path, plus "?" and its query when it has one,
 * percent-encoded as in the URL (the caller encodes: a raw "ツ" never matches a rule written "ツ",
 * which is stored as "%E3%83%84"). "" is taken as "/", and a missing leading "/" is added. %xx
 * escapes compare with their hex digits in either case. The longest matching pattern (in octets,
 * as stored, "*" and "$" counted) wins; on a tie allow wins; no match means allowed. "*" matches
 * any run of bytes and a final "$" anchors the end ("$" elsewhere is a literal). "/robots.txt" is
 * always allowed, even by robots_new_disallow_all. Each rule costs O(path + pattern) (no
 * backtracking). Nothing is allocated unless the path needs the fixes above (then one copy of
 * it); if that allocation fails the answer is false. r must not be NULL (NULL gives false). */
bool robots_allowed(const struct robots *r, const char *path_and_query);

/* robots_allowed for an absolute http(s) URL: the path and query are cut out of url (from the end
 * of "scheme://authority" up to any "#"; an empty path is "/"). The scheme is compared
 * case-insensitively; nothing is decoded or re-encoded. Errors: ERR_URL (not an absolute http or
 * https URL with a non-empty authority), ERR_USAGE, -ENOMEM; *ret_allowed is then untouched. */
int robots_allowed_url(const struct robots *r, const char *url, bool *ret_allowed);

/* The Crawl-delay of the groups used for agent, in milliseconds (fractions of a second are kept,
 * clamped to ROBOTS_MAX_CRAWL_DELAY_MS), or 0 when they have none. When several apply (merged
 * groups), the largest wins. Non-standard; kept for politeness. */
unsigned robots_crawl_delay_ms(const struct robots *r);

/* The values of the Sitemap lines of the whole file (outside groups too), in file order, at most
 * ROBOTS_MAX_SITEMAPS, as written (not validated). robots_sitemap returns a string borrowed from
 * r, valid until robots_free(r), or NULL when i >= robots_sitemap_count(r). */
size_t robots_sitemap_count(const struct robots *r);
const char *robots_sitemap(const struct robots *r, size_t i);

/* The product token of a User-Agent string, for robots_parse: the leading [A-Za-z_-]+ after any
 * whitespace, so "patrol/1.0 (+https://example.org/bot)" gives "patrol". Writes a NUL-terminated
 * string into out (outlen bytes; ROBOTS_AGENT_MAX is enough for any sane token): "" when
 * user_agent is NULL or has no token, or when the token does not fit (a cut token could name
 * another crawler). Does nothing when outlen is 0. */
void robots_agent_token(const char *user_agent, char *out, size_t outlen);

#endif
