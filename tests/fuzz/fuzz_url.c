/* SPDX-License-Identifier: MIT */
/* Fuzz target for url_resolve, url_resolve_opts, url_base_resolve, url_host, url_origin,
 * url_path_query and url_path_segments.
 *
 * The input up to its first newline is the base, the rest the reference; with no newline there
 * is no base. A resolved URL must be printable ASCII within URL_MAX_LEN, http(s), stable when
 * resolved again, and have a host and an origin (scheme://host[:port], found in the URL); its
 * path and query end it. Resolving with session parameters stripped must give what stripping
 * the resolved URL gives, again a stable URL. url_base_resolve must give what url_resolve_opts
 * gives, with and without options. Anything else aborts.
 */
#include "common/err.h"
#include "parsers/url.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *cstr(const uint8_t *p, size_t n)
{
	char *s = malloc(n + 1);
	if (!s)
		abort();
	memcpy(s, p, n);
	s[n] = '\0';
	return s;
}

static const char *const session_params[] = {"sid", "PHPSESSID", "jsessionid"};
static const struct url_opts strip = {session_params, 3};

static void check_url(const char *url);

static void check_path(const char *url)
{
	char *pq = NULL;
	if (url_path_query(url, &pq) != 0 || pq[0] != '/')
		abort();
	size_t n = strlen(url), pn = strlen(pq), slashes = 0;
	if (pn > n || strcmp(url + n - pn, pq) != 0)
		abort();
	for (const char *p = pq; *p && *p != '?'; p++)
		slashes += *p == '/';
	if (url_path_segments(url) != slashes)
		abort();
	free(pq);
}

/* url is url_resolve(base, ref); with opts the result must be url stripped. */
static void check_opts(const char *base, const char *ref, const char *url)
{
	char *direct = NULL, *stripped = NULL;
	int rc = url_resolve_opts(base, ref, &strip, &direct);
	if (rc == -ENOMEM)
		return;
	if (rc != 0 || url_resolve_opts(NULL, url, &strip, &stripped) != 0)
		abort();
	if (strcmp(direct, stripped) != 0 || strlen(stripped) > strlen(url))
		abort();
	if (strcmp(stripped, url) != 0) {
		char *again = NULL;
		if (url_resolve_opts(NULL, stripped, &strip, &again) != 0 ||
		    strcmp(again, stripped) != 0)
			abort();
		free(again);
		check_url(stripped);
	}
	free(direct);
	free(stripped);
}

static void check_url(const char *url)
{
	if (strlen(url) > URL_MAX_LEN)
		abort();
	if (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0)
		abort();
	for (const char *p = url; *p; p++)
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7F || *p == '#')
			abort();
	char *again = NULL, *host = NULL, *origin = NULL;
	if (url_resolve(NULL, url, &again) != 0 || strcmp(again, url) != 0)
		abort();
	if (url_host(url, &host) != 0 || host[0] == '\0')
		abort();
	if (url_origin(url, &origin) != 0 || strncmp(url, origin, 4) != 0)
		abort();
	const char *authority = strstr(origin, "://") + 3;
	if (strpbrk(authority, "/?@") || strstr(url, authority) == NULL)
		abort();
	free(again);
	free(host);
	free(origin);
	check_path(url);
}

/* The base parsed once resolves ref exactly as url_resolve_opts does. */
static void check_base(const char *base, const char *ref, const struct url_opts *o)
{
	struct url_base *b = NULL;
	int rc = base ? url_base_new(base, &b) : ERR_URL;
	if (rc == -ENOMEM || rc == ERR_URL || rc == ERR_TOO_BIG)
		return;
	if (rc)
		abort();
	char *fast = NULL, *slow = NULL;
	int rc_fast = url_base_resolve(b, ref, o, &fast);
	int rc_slow = url_resolve_opts(base, ref, o, &slow);
	if (rc_fast != -ENOMEM && rc_slow != -ENOMEM &&
	    (rc_fast != rc_slow || (rc_fast == 0 && strcmp(fast, slow) != 0)))
		abort();
	free(fast);
	free(slow);
	url_base_free(b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nl = memchr(data, '\n', size);
	char *base = nl ? cstr(data, (size_t)(nl - data)) : NULL;
	char *ref = nl ? cstr(nl + 1, size - (size_t)(nl - data) - 1) : cstr(data, size);
	char *url = NULL;
	int rc = url_resolve(base, ref, &url);
	if (rc == 0) {
		check_url(url);
		check_opts(base, ref, url);
	} else if (rc != ERR_URL && rc != ERR_TOO_BIG && rc != -ENOMEM)
		abort();
	check_base(base, ref, NULL);
	check_base(base, ref, &strip);
	free(url);
	free(base);
	free(ref);
	return 0;
}
