/* SPDX-License-Identifier: MIT */
/* URL resolution and canonicalization (url.h) on libcurl's URL API (CURLU).
 *
 * CURLU parses and resolves RFC 3986 URLs; what browsers do on top of that (the WHATWG URL
 * Standard) happens here first: outer C0 controls and spaces are stripped, tabs and newlines
 * removed, backslashes read as slashes, extra slashes after "http:" ignored, "http:x" taken as
 * relative to an http base, the bytes a URL may not hold percent-encoded the way WHATWG does, and
 * non-ASCII hosts turned into punycode with libidn2, so libcurl only ever sees ASCII hosts.
 * The fragment is dropped before anything else. On libcurl's serialized result, the path and
 * query then get their percent-escapes normalized and the session parameters removed
 * (url_finish). Registrable domains come from libpsl's built-in list, which is immutable.
 * No shared state: every call has its own handles.
 */
#include "parsers/url.h"

#include "common/buf.h"
#include "common/err.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <idn2.h>
#include <libpsl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Percent-encoding triples a byte; the work buffers allow for that, the result is checked. */
#define URL_WORK_MAX (3 * URL_MAX_LEN + 16)

static int curlu_err(CURLUcode uc)
{
	return uc == CURLUE_OUT_OF_MEMORY ? -ENOMEM : ERR_URL;
}

static bool is_alpha(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static bool is_slash(char c)
{
	return c == '/' || c == '\\';
}

static char lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c + 32) : c;
}

static bool is_special(const char *scheme, size_t len)
{
	return (len == 4 && strncasecmp(scheme, "http", 4) == 0) ||
	       (len == 5 && strncasecmp(scheme, "https", 5) == 0);
}

/* The length of the scheme that starts s ("http" in "http:x"), 0 when s has none. */
static size_t scheme_len(const char *s)
{
	if (!is_alpha((unsigned char)s[0]))
		return 0;
	size_t i = 1;
	while (is_alpha((unsigned char)s[i]) || is_digit((unsigned char)s[i]) || s[i] == '+' ||
	       s[i] == '-' || s[i] == '.')
		i++;
	return s[i] == ':' ? i : 0;
}

/* The input as the URL parser reads it: outer C0 controls and spaces stripped, tabs and newlines
 * removed, the fragment dropped. */
static int url_clean(const char *in, struct buf *out)
{
	size_t n = strlen(in);
	if (n > URL_MAX_LEN)
		return ERR_TOO_BIG;
	while (n > 0 && (unsigned char)in[0] <= 0x20) {
		in++;
		n--;
	}
	while (n > 0 && (unsigned char)in[n - 1] <= 0x20)
		n--;
	for (size_t i = 0; i < n && in[i] != '#'; i++) {
		if (in[i] == '\t' || in[i] == '\n' || in[i] == '\r')
			continue;
		int rc = buf_addc(out, in[i]);
		if (rc)
			return rc;
	}
	return 0;
}

static int add_escaped(struct buf *out, unsigned char c)
{
	static const char hex[] = "0123456789ABCDEF";
	char e[3] = {'%', hex[c >> 4], hex[c & 15]};
	return buf_add(out, e, sizeof(e));
}

/* WHATWG's percent-encode sets, for the bytes between 0x20 and 0x7E (all others are encoded). */
static bool in_set(unsigned char c, const char *set)
{
	return c < 0x20 || c >= 0x7F || (c && strchr(set, c));
}

#define SET_PATH " \"#<>?`{}"
#define SET_QUERY " \"#<>'"
#define SET_USERINFO " \"#<>?`{}/:;=@[\\]^|"

static int add_set(const char *s, size_t n, const char *set, struct buf *out)
{
	int rc = 0;
	for (size_t i = 0; i < n && !rc; i++)
		rc = in_set((unsigned char)s[i], set) ? add_escaped(out, (unsigned char)s[i])
						      : buf_addc(out, s[i]);
	return rc;
}

/* A path segment that WHATWG reads as "." or ".." although it is written "%2e" or the like:
 * its replacement, or NULL. */
static const char *dot_segment(const char *s, size_t n)
{
	if (n == 3 && strncasecmp(s, "%2e", 3) == 0)
		return ".";
	if ((n == 4 && (strncasecmp(s, ".%2e", 4) == 0 || strncasecmp(s, "%2e.", 4) == 0)) ||
	    (n == 6 && strncasecmp(s, "%2e%2e", 6) == 0))
		return "..";
	return NULL;
}

/* Appends a path and query (relative or absolute path, up to the end of s): backslashes in the
 * path read as slashes, encoded dot segments decoded, the WHATWG sets percent-encoded. */
static int add_path_query(const char *s, struct buf *out)
{
	int rc = 0;
	while (*s && *s != '?' && !rc) {
		if (is_slash(*s)) {
			rc = buf_addc(out, '/');
			s++;
			continue;
		}
		size_t n = strcspn(s, "/\\?");
		const char *dots = dot_segment(s, n);
		rc = dots ? buf_addstr(out, dots) : add_set(s, n, SET_PATH, out);
		s += n;
	}
	if (!rc && *s == '?')
		rc = add_set(s, strlen(s), SET_QUERY, out);
	return rc;
}

/* user[:password]@, percent-encoded; nothing when both are empty, no ':' when the password is. */
static int add_userinfo(const char *s, size_t n, struct buf *out)
{
	const char *colon = memchr(s, ':', n);
	size_t user_n = colon ? (size_t)(colon - s) : n;
	size_t pass_n = colon ? n - user_n - 1 : 0;
	if (user_n == 0 && pass_n == 0)
		return 0;
	int rc = add_set(s, user_n, SET_USERINFO, out);
	if (!rc && pass_n > 0) {
		rc = buf_addc(out, ':');
		if (!rc)
			rc = add_set(colon + 1, pass_n, SET_USERINFO, out);
	}
	return rc ? rc : buf_addc(out, '@');
}

static int hex_value(char c)
{
	if (is_digit((unsigned char)c))
		return c - '0';
	c = lower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Parses one part of an IPv4 address (decimal, 0 octal or 0x hex); saturates above 2^32. */
static bool ipv4_number(const char *s, size_t n, uint64_t *ret)
{
	unsigned radix = 10;
	if (n >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		radix = 16;
		s += 2;
		n -= 2;
	} else if (n >= 2 && s[0] == '0') {
		radix = 8;
		s++;
		n--;
	}
	uint64_t v = 0;
	for (size_t i = 0; i < n; i++) {
		int d = hex_value(s[i]);
		if (d < 0 || (unsigned)d >= radix)
			return false;
		v = v * radix + (unsigned)d;
		if (v > 0xFFFFFFFFull)
			v = 0x100000000ull;
	}
	*ret = v;
	return true;
}

/* WHATWG's "ends in a number": the last label (a trailing dot aside) is digits or 0x-hex. */
static bool ends_in_number(const char *h, size_t n)
{
	if (n > 1 && h[n - 1] == '.')
		n--;
	size_t start = n;
	while (start > 0 && h[start - 1] != '.')
		start--;
	const char *last = h + start;
	size_t len = n - start;
	if (len == 0)
		return false;
	if (strspn(last, "0123456789") >= len)
		return true;
	uint64_t v;
	return len >= 2 && last[0] == '0' && lower(last[1]) == 'x' && ipv4_number(last, len, &v);
}

/* WHATWG's IPv4 parser: up to four parts, the last filling the remaining bytes. */
static int ipv4_parse(const char *h, size_t n, struct buf *out)
{
	uint64_t part[4], addr = 0;
	size_t count = 0;
	if (n > 1 && h[n - 1] == '.')
		n--;
	for (size_t pos = 0; pos <= n; count++) {
		size_t len = strcspn(h + pos, ".");
		if (len > n - pos)
			len = n - pos;
		if (count == 4 || len == 0 || !ipv4_number(h + pos, len, &part[count]))
			return ERR_URL;
		pos += len + 1;
	}
	for (size_t i = 0; i + 1 < count; i++) {
		if (part[i] > 255)
			return ERR_URL;
		addr |= part[i] << (8 * (3 - i));
	}
	if (part[count - 1] >= (1ull << (8 * (5 - count))))
		return ERR_URL;
	addr |= part[count - 1];
	return buf_addf(out, "%u.%u.%u.%u", (unsigned)(addr >> 24), (unsigned)(addr >> 16) & 255,
			(unsigned)(addr >> 8) & 255, (unsigned)addr & 255);
}

/* An IPv6 literal without its brackets, serialized as WHATWG does: lowercase hex, the first
 * longest run of two or more zero pieces compressed. */
static int ipv6_canon(const char *s, size_t n, struct buf *out)
{
	char text[64];
	unsigned char a[16];
	if (n >= sizeof(text))
		return ERR_URL;
	memcpy(text, s, n);
	text[n] = '\0';
	if (inet_pton(AF_INET6, text, a) != 1)
		return ERR_URL;
	unsigned piece[8];
	int best = -1, best_len = 1;
	for (int i = 0; i < 8; i++)
		piece[i] = (unsigned)a[2 * i] << 8 | a[2 * i + 1];
	for (int i = 0; i < 8; i++) {
		int j = i;
		while (j < 8 && piece[j] == 0)
			j++;
		if (j - i > best_len) {
			best = i;
			best_len = j - i;
		}
	}
	int rc = buf_addc(out, '[');
	for (int i = 0; i < 8 && !rc; i++) {
		if (i == best) {
			rc = buf_addstr(out, i == 0 ? "::" : ":");
			i += best_len - 1;
			continue;
		}
		rc = buf_addf(out, "%x%s", piece[i], i < 7 ? ":" : "");
	}
	return rc ? rc : buf_addc(out, ']');
}

#define HOST_FORBIDDEN " #%/:<>?@[\\]^|"

/* Checks an ASCII host (lowercased here) against WHATWG's forbidden domain code points and turns
 * a host that ends in a number into dotted IPv4. */
static int host_finish(char *host, size_t len, struct buf *out)
{
	if (len == 0)
		return ERR_URL;
	for (size_t i = 0; i < len; i++) {
		if (in_set((unsigned char)host[i], HOST_FORBIDDEN))
			return ERR_URL;
		host[i] = lower(host[i]);
	}
	if (ends_in_number(host, len))
		return ipv4_parse(host, len, out);
	return buf_add(out, host, len);
}

/* WHATWG's "domain to ASCII" for a host with non-ASCII bytes (len < 256, no NUL): UTS #46
 * mapping, non-transitional ("faß" stays "faß", full-width letters, ideographic full stops and
 * soft hyphens are mapped), then punycode, by libidn2; then the checks of host_finish.
 * idn2_to_ascii_8z reads its input as UTF-8 whatever the locale (libcurl's IDNA does not: it
 * converts from the locale's charset first, so it fails in the C locale). */
static int host_to_ascii(char *host, size_t len, struct buf *out)
{
	char *ascii = NULL;
	host[len] = '\0';
	int rc = idn2_to_ascii_8z(host, &ascii, IDN2_NONTRANSITIONAL | IDN2_NFC_INPUT);
	if (rc == IDN2_MALLOC)
		return -ENOMEM;
	if (rc != IDN2_OK)
		return ERR_URL;
	rc = strlen(ascii) < 256 ? host_finish(ascii, strlen(ascii), out) : ERR_URL;
	idn2_free(ascii);
	return rc;
}

/* The host, percent-decoded, through IDNA when it is not ASCII, and checked. */
static int add_host(const char *s, size_t n, struct buf *out)
{
	if (n > 0 && s[0] == '[')
		return n > 1 && s[n - 1] == ']' ? ipv6_canon(s + 1, n - 2, out) : ERR_URL;
	char host[256];
	size_t len = 0;
	bool ascii = true;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (c == '%' && i + 2 < n && hex_value(s[i + 1]) >= 0 && hex_value(s[i + 2]) >= 0) {
			c = (char)(hex_value(s[i + 1]) << 4 | hex_value(s[i + 2]));
			i += 2;
		}
		if (len + 1 >= sizeof(host))
			return ERR_URL; /* DNS names are at most 253 bytes */
		ascii = ascii && (unsigned char)c < 0x80;
		host[len++] = c;
	}
	if (ascii)
		return host_finish(host, len, out);
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)host[i] < 0x80 && in_set((unsigned char)host[i], HOST_FORBIDDEN))
			return ERR_URL;
	return host_to_ascii(host, len, out);
}

/* Appends the authority at the start of s (up to a slash, backslash or '?'); *ret_n is its length
 * in s. */
static int add_authority(const char *s, struct buf *out, size_t *ret_n)
{
	size_t n = strcspn(s, "/\\?");
	const char *host = s;
	int rc = 0;
	for (size_t i = 0; i < n; i++)
		if (s[i] == '@')
			host = s + i + 1;
	if (host > s)
		rc = add_userinfo(s, (size_t)(host - s) - 1, out);
	size_t host_n = (size_t)(s + n - host);
	const char *colon = NULL;
	if (host_n > 0 && host[0] == '[') {
		const char *close = memchr(host, ']', host_n);
		colon = close && close + 1 < s + n ? close + 1 : NULL;
	} else {
		colon = memchr(host, ':', host_n);
	}
	if (!rc)
		rc = add_host(host, colon ? (size_t)(colon - host) : host_n, out);
	if (!rc && colon)
		rc = buf_add(out, colon, (size_t)(s + n - colon));
	*ret_n = n;
	return rc;
}

/* Builds "scheme://authority/path?query" from s, the slashes before the authority skipped. */
static int absolute_from(const char *scheme, size_t scheme_n, const char *s, struct buf *out)
{
	size_t n;
	int rc = 0;
	for (size_t i = 0; i < scheme_n && !rc; i++)
		rc = buf_addc(out, lower(scheme[i]));
	if (!rc)
		rc = buf_addstr(out, "://");
	while (is_slash(*s))
		s++;
	if (!rc)
		rc = add_authority(s, out, &n);
	return rc ? rc : add_path_query(s + n, out);
}

static int curlu_set_url(CURLU *u, const char *s)
{
	CURLUcode uc = curl_url_set(u, CURLUPART_URL, s, CURLU_NON_SUPPORT_SCHEME);
	return uc ? curlu_err(uc) : 0;
}

/* A new handle on the absolute URL in s. */
static int curlu_new(const char *s, CURLU **ret)
{
	CURLU *u = curl_url();
	if (!u)
		return -ENOMEM;
	int rc = curlu_set_url(u, s);
	if (rc) {
		curl_url_cleanup(u);
		return rc;
	}
	*ret = u;
	return 0;
}

static int url_parse(const char *base, const char *ref, CURLU **ret);

/* Resolves the relative reference rel (cleaned) against the parsed base bu, in place. */
static int resolve_relative(CURLU *bu, const char *rel, struct buf *work)
{
	char *scheme = NULL;
	int rc = 0;
	if (is_slash(rel[0]) && is_slash(rel[1])) {
		CURLUcode uc = curl_url_get(bu, CURLUPART_SCHEME, &scheme, 0);
		if (uc)
			return curlu_err(uc);
		rc = absolute_from(scheme, strlen(scheme), rel, work);
		curl_free(scheme);
	} else if (rel[0] == '\0') {
		return 0;
	} else {
		/* A first segment with a ':' would read as a scheme ("http:x:y" against an http
		 * base is the path "x:y"): RFC 3986 4.2 writes it "./x:y". */
		size_t seg = strcspn(rel, "/\\?");
		if (memchr(rel, ':', seg))
			rc = buf_addstr(work, "./");
		if (!rc)
			rc = add_path_query(rel, work);
	}
	return rc ? rc : curlu_set_url(bu, buf_str(work));
}

/* Splits the cleaned reference r: an absolute URL goes into work (ret_rel NULL), a reference
 * relative to base is returned in ret_rel. */
static int classify(const char *r, CURLU *bu, const char **ret_rel, struct buf *work)
{
	size_t n = scheme_len(r);
	*ret_rel = NULL;
	if (n == 0) {
		*ret_rel = r;
		return bu ? 0 : ERR_URL;
	}
	if (!is_special(r, n))
		return ERR_URL;
	const char *rest = r + n + 1;
	if (bu && !(is_slash(rest[0]) && is_slash(rest[1]))) {
		char *bs = NULL;
		CURLUcode uc = curl_url_get(bu, CURLUPART_SCHEME, &bs, 0);
		if (uc)
			return curlu_err(uc);
		bool same = strlen(bs) == n && strncasecmp(bs, r, n) == 0;
		curl_free(bs);
		if (same) {
			*ret_rel = rest;
			return 0;
		}
	}
	return absolute_from(r, n, rest, work);
}

static int url_parse_with(CURLU *bu, const char *r, struct buf *work, CURLU **ret)
{
	const char *rel;
	int rc = classify(r, bu, &rel, work);
	if (rc)
		return rc;
	if (!rel)
		return curlu_new(buf_str(work), ret);
	rc = resolve_relative(bu, rel, work);
	if (rc)
		return rc;
	*ret = curl_url_dup(bu);
	return *ret ? 0 : -ENOMEM;
}

/* Checks that u is http(s) with a host. */
static int check_http(CURLU *u)
{
	char *scheme = NULL, *host = NULL;
	CURLUcode uc = curl_url_get(u, CURLUPART_SCHEME, &scheme, 0);
	if (!uc)
		uc = curl_url_get(u, CURLUPART_HOST, &host, 0);
	int rc = uc ? curlu_err(uc) : 0;
	if (!rc && (!is_special(scheme, strlen(scheme)) || host[0] == '\0'))
		rc = ERR_URL;
	curl_free(scheme);
	curl_free(host);
	return rc;
}

/* A handle on ref resolved against base (NULL: ref must be absolute). */
static int url_parse(const char *base, const char *ref, CURLU **ret)
{
	CURLU *bu = NULL, *u = NULL;
	struct buf r, work;
	buf_init(&r, URL_MAX_LEN);
	buf_init(&work, URL_WORK_MAX);
	int rc = base ? url_parse(NULL, base, &bu) : 0;
	if (rc)
		goto fail;
	rc = url_clean(ref, &r);
	if (rc)
		goto fail;
	rc = url_parse_with(bu, buf_str(&r), &work, &u);
	if (rc)
		goto fail;
	rc = check_http(u);
	if (rc)
		goto fail;
	*ret = u;
	u = NULL;
fail:
	curl_url_cleanup(u);
	curl_url_cleanup(bu);
	buf_done(&r);
	buf_done(&work);
	return rc;
}

/* A malloc'ed copy of a curl string, which is then freed; length-checked. */
static int take_string(char *s, char **ret)
{
	if (strlen(s) > URL_MAX_LEN) {
		curl_free(s);
		return ERR_TOO_BIG;
	}
	char *copy = strdup(s);
	curl_free(s);
	if (!copy)
		return -ENOMEM;
	*ret = copy;
	return 0;
}

static int url_get(const char *base, const char *ref, CURLUPart part, unsigned flags, char **ret)
{
	CURLU *u = NULL;
	char *s = NULL;
	int rc = url_parse(base, ref, &u);
	if (!rc) {
		CURLUcode uc = curl_url_get(u, part, &s, flags);
		rc = uc ? curlu_err(uc) : take_string(s, ret);
	}
	curl_url_cleanup(u);
	return rc;
}

/* ---- Percent-encoding and session parameters, on the serialized URL ----
 * libcurl 7.88 has no normalization of its own: CURLU_URLENCODE encodes spaces (as '+' in a
 * query, which changes its meaning) and bytes above 0x7E only, and keeps the case of escapes. */

static bool is_unreserved(unsigned char c)
{
	return is_alpha(c) || is_digit(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

/* The bytes RFC 3986 allows in no path or query, on top of the WHATWG sets (which leave some of
 * them as they are); '%' counts when it starts no escape. */
#define SET_RFC3986 " \"#<>[\\]^`{|}"

/* Appends s (a path or a query) with its escapes normalized: hex digits uppercase, escapes of
 * unreserved characters decoded, and the bytes RFC 3986 does not allow there encoded. Never
 * makes a new dot segment: url_parse has already decoded the encoded ones (dot_segment). */
static int add_normalized(const char *s, size_t n, struct buf *out)
{
	int rc = 0;
	for (size_t i = 0; i < n && !rc; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '%' && i + 2 < n && hex_value(s[i + 1]) >= 0 && hex_value(s[i + 2]) >= 0) {
			c = (unsigned char)(hex_value(s[i + 1]) << 4 | hex_value(s[i + 2]));
			i += 2;
			rc = is_unreserved(c) ? buf_addc(out, (char)c) : add_escaped(out, c);
		} else if (c == '%' || in_set(c, SET_RFC3986)) {
			rc = add_escaped(out, c);
		} else {
			rc = buf_addc(out, (char)c);
		}
	}
	return rc;
}

static bool opts_has(const struct url_opts *o, const char *name, size_t n)
{
	for (size_t i = 0; o && i < o->nstrip_params; i++)
		if (strlen(o->strip_params[i]) == n &&
		    strncasecmp(o->strip_params[i], name, n) == 0)
			return true;
	return false;
}

#define JSESSIONID     "jsessionid"
#define JSESSIONID_LEN (sizeof(JSESSIONID) - 1)

/* Appends the path p (n bytes) without its ";jsessionid[=...]" parameters; *stripped says
 * whether there were any. */
static int add_path_stripped(const char *p, size_t n, struct buf *out, bool *stripped)
{
	int rc = 0;
	for (size_t i = 0; i < n && !rc; i++) {
		size_t rest = n - i - 1;
		if (p[i] == ';' && rest >= JSESSIONID_LEN &&
		    strncasecmp(p + i + 1, JSESSIONID, JSESSIONID_LEN) == 0 &&
		    (rest == JSESSIONID_LEN || memchr("=;/", p[i + 1 + JSESSIONID_LEN], 3))) {
			*stripped = true;
			while (i + 1 < n && p[i + 1] != '/' && p[i + 1] != ';')
				i++;
			continue;
		}
		rc = buf_addc(out, p[i]);
	}
	return rc;
}

/* Calls fn on each '&'-separated piece of the n bytes at q with whether o lists its name; stops
 * at the first nonzero return. */
static int query_each(const char *q, size_t n, const struct url_opts *o,
		      int (*fn)(const char *piece, size_t len, bool listed, void *ctx), void *ctx)
{
	int rc = 0;
	for (size_t i = 0; i <= n && !rc;) {
		const char *amp = memchr(q + i, '&', n - i);
		size_t len = amp ? (size_t)(amp - (q + i)) : n - i;
		const char *eq = memchr(q + i, '=', len);
		rc = fn(q + i, len, opts_has(o, q + i, eq ? (size_t)(eq - (q + i)) : len), ctx);
		i += len + 1;
	}
	return rc;
}

static int piece_listed(const char *piece, size_t len, bool listed, void *ctx)
{
	(void)piece;
	(void)len;
	(void)ctx;
	return listed;
}

struct kept {
	struct buf *out;
	bool any;
};

static int piece_keep(const char *piece, size_t len, bool listed, void *ctx)
{
	struct kept *k = ctx;
	if (listed || len == 0)
		return 0;
	int rc = buf_addc(k->out, k->any ? '&' : '?');
	k->any = true;
	return rc ? rc : buf_add(k->out, piece, len);
}

/* Appends "?query" (n bytes at q). When o lists a parameter, the query is rebuilt without the
 * listed ones and without empty pieces (the '&'s around a parameter went with it), the rest in
 * their order, and nothing at all when none is left; otherwise it is appended as it is. */
static int add_query_stripped(const char *q, size_t n, const struct url_opts *o, struct buf *out)
{
	if (!query_each(q, n, o, piece_listed, NULL)) {
		int rc = buf_addc(out, '?');
		return rc ? rc : buf_add(out, q, n);
	}
	struct kept k = {out, false};
	return query_each(q, n, o, piece_keep, &k);
}

/* Normalizes the path and query of the canonical URL in *url (replaced) and strips o's
 * parameters; *path_stripped says whether a jsessionid path parameter went. */
static int url_finish(char **url, const struct url_opts *o, bool *path_stripped)
{
	char *s = *url;
	const char *path = strchr(strstr(s, "://") + 3, '/');
	if (!path)
		return ERR_URL; /* libcurl always writes a path for http(s) */
	size_t path_n = strcspn(path, "?");
	const char *query = path[path_n] == '?' ? path + path_n + 1 : NULL;
	struct buf b, norm;
	buf_init(&b, URL_MAX_LEN);
	buf_init(&norm, URL_MAX_LEN);
	int rc = buf_add(&b, s, (size_t)(path - s));
	if (!rc)
		rc = add_normalized(path, path_n, &norm);
	if (!rc && opts_has(o, JSESSIONID, JSESSIONID_LEN))
		rc = add_path_stripped(buf_str(&norm), norm.len, &b, path_stripped);
	else if (!rc)
		rc = buf_add(&b, norm.data, norm.len);
	if (!rc && query) {
		buf_reset(&norm);
		rc = add_normalized(query, strlen(query), &norm);
		if (!rc)
			rc = add_query_stripped(buf_str(&norm), norm.len, o, &b);
	}
	char *done = rc ? NULL : buf_take(&b);
	if (!rc && !done)
		rc = -ENOMEM;
	if (!rc) {
		free(s);
		*url = done;
	}
	buf_done(&b);
	buf_done(&norm);
	return rc;
}

static int url_canon(const char *base, const char *ref, const struct url_opts *o, bool again,
		     char **ret_url)
{
	char *url = NULL;
	bool path_stripped = false;
	int rc = url_get(base, ref, CURLUPART_URL, CURLU_NO_DEFAULT_PORT, &url);
	if (!rc)
		rc = url_finish(&url, o, &path_stripped);
	if (!rc && path_stripped && again) {
		/* "/a/.;jsessionid=1/b" is "/a/./b" now: once more, for its dot segments. */
		char *twice = NULL;
		rc = url_canon(NULL, url, o, false, &twice);
		free(url);
		url = twice;
	}
	if (rc) {
		free(url);
		return rc;
	}
	*ret_url = url;
	return 0;
}

int url_resolve_opts(const char *base, const char *ref, const struct url_opts *o, char **ret_url)
{
	return url_canon(base, ref, o, true, ret_url);
}

int url_resolve(const char *base, const char *ref, char **ret_url)
{
	return url_canon(base, ref, NULL, true, ret_url);
}

/* ---- A base parsed once: the references of one page ----
 * The general path costs a few CURLU round trips per link and parses the base again each time,
 * which was a fifth of a forum page's parse. Most links need none of it: a reference of plain
 * ASCII with nothing to encode, decode or reinterpret resolves by RFC 3986's merge and
 * remove_dot_segments on the canonical base, and the result is canonical as it is. Whatever the
 * fast path declines goes the general way; a differential test and the URL fuzz target hold the
 * two to the same answers. */

struct url_base {
	char *given; /* as passed to url_base_new: the general path resolves against it */
	char *canon;
	size_t origin_n; /* "scheme://host[:port]" */
	size_t dir_n;	 /* origin and path up to the path's last '/', included */
	size_t path_n;	 /* origin and path, without the query */
};

int url_base_new(const char *base, struct url_base **ret_base)
{
	struct url_base *b = calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	int rc = url_resolve(NULL, base, &b->canon);
	if (!rc && !(b->given = strdup(base)))
		rc = -ENOMEM;
	if (rc) {
		url_base_free(b);
		return rc;
	}
	const char *path = strchr(strstr(b->canon, "://") + 3, '/'); /* url_finish checked it */
	b->origin_n = (size_t)(path - b->canon);
	b->path_n = b->origin_n + strcspn(path, "?");
	b->dir_n = b->path_n;
	while (b->canon[b->dir_n - 1] != '/')
		b->dir_n--;
	*ret_base = b;
	return 0;
}

void url_base_free(struct url_base *b)
{
	if (!b)
		return;
	free(b->given);
	free(b->canon);
	free(b);
}

const char *url_base_url(const struct url_base *b)
{
	return b->canon;
}

/* Bytes that a path or query keeps as they are in every step of the general path: unreserved,
 * and the sub-delimiters, ':', '@', '/' and '?' (not '\'', which a query encodes). */
static bool url_fast_char(unsigned char c)
{
	return is_unreserved(c) || (c && strchr("!$&()*+,;=:@/?", c));
}

/* Appends path (n bytes, starting with '/') with its "." and ".." segments removed (RFC 3986
 * 5.2.4); out holds the origin, which ".." never climbs above. */
static int add_dedotted(const char *path, size_t n, size_t floor, struct buf *out)
{
	int rc = 0;
	for (size_t i = 1; i <= n && !rc;) {
		size_t len = strcspn(path + i, "/");
		len = len > n - i ? n - i : len;
		bool last = i + len >= n;
		bool dot = len == 1 && path[i] == '.';
		bool dotdot = len == 2 && path[i] == '.' && path[i + 1] == '.';
		if (dotdot)
			while (out->len > floor && out->data[--out->len] != '/')
				;
		if (!dot && !dotdot)
			rc = buf_addc(out, '/');
		if (!rc && !dot && !dotdot)
			rc = buf_add(out, path + i, len);
		else if (!rc && last)
			rc = buf_addc(out, '/');
		i += len + 1;
	}
	if (!rc && out->len == floor)
		rc = buf_addc(out, '/');
	if (!rc)
		out->data[out->len] = '\0'; /* a ".." may have cut the end */
	return rc;
}

/* The path (n bytes) ends in a dot segment, with or without a slash after it. */
static bool url_dot_ended(const char *path, size_t n)
{
	if (n > 0 && path[n - 1] == '/')
		n--;
	return (n >= 2 && memcmp(path + n - 2, "/.", 2) == 0) ||
	       (n >= 3 && memcmp(path + n - 3, "/..", 3) == 0);
}

/* Resolves ref by string operations when it is of the simple kind; 1 when it is not. */
static int url_fast(const struct url_base *b, const char *ref, const struct url_opts *o,
		    struct buf *out)
{
	size_t n = 0;
	while (ref[n] && ref[n] != '#' && url_fast_char((unsigned char)ref[n]))
		n++;
	if ((ref[n] && ref[n] != '#') || n > URL_MAX_LEN)
		return 1;
	if (n > b->origin_n && strncmp(ref, b->canon, b->origin_n) == 0 && ref[b->origin_n] == '/') {
		ref += b->origin_n; /* the page's own origin, spelled as canonical */
		n -= b->origin_n;
	}
	size_t seg = strcspn(ref, "/?");
	if ((ref[0] == '/' && ref[1] == '/') || memchr(ref, ':', seg < n ? seg : n))
		return 1; /* a network path, a scheme, or a colon the general path reads apart */
	size_t ref_path = strcspn(ref, "?#");
	ref_path = ref_path > n ? n : ref_path;
	const char *query = ref_path < n ? ref + ref_path + 1 : NULL;
	size_t query_n = query ? n - ref_path - 1 : 0;
	/* The merged path: at most the base's directory and the reference's path, each no longer
	 * than URL_MAX_LEN; on the stack, since this runs for nearly every link of every page. */
	char path[2 * URL_MAX_LEN + 1];
	size_t path_n = 0;
	if (ref_path == 0) { /* "", "#f" or "?q": the base's path */
		path_n = b->path_n - b->origin_n;
		memcpy(path, b->canon + b->origin_n, path_n);
		if (!query && n == 0 && b->canon[b->path_n] == '?') {
			query = b->canon + b->path_n + 1;
			query_n = strlen(query);
		}
	} else {
		if (ref[0] != '/') {
			path_n = b->dir_n - b->origin_n;
			memcpy(path, b->canon + b->origin_n, path_n);
		}
		memcpy(path + path_n, ref, ref_path);
		path_n += ref_path;
	}
	/* libcurl 7.88 and RFC 3986 part on empty segments beside dot segments ("/.//"), and
	 * libcurl drops the slash of "./?q" and "../?q" below the root: those go the general way,
	 * so that both ways give the same answer. */
	if (memmem(path, path_n, "//", 2) || url_dot_ended(path, path_n))
		return 1;
	int rc = buf_add(out, b->canon, b->origin_n);
	if (!rc)
		rc = add_dedotted(path, path_n, b->origin_n, out);
	if (!rc && opts_has(o, JSESSIONID, JSESSIONID_LEN) &&
	    memchr(out->data + b->origin_n, ';', out->len - b->origin_n))
		rc = 1; /* path parameters to strip: the general path knows how */
	if (!rc && query_n > 0)
		rc = add_query_stripped(query, query_n, o, out);
	return rc;
}

int url_base_resolve(const struct url_base *b, const char *ref, const struct url_opts *o,
		     char **ret_url)
{
	size_t scheme_n = scheme_len(ref);
	if (scheme_n && !is_special(ref, scheme_n) && strlen(ref) <= URL_MAX_LEN)
		return ERR_URL; /* "javascript:;", "mailto:": a tenth of a forum page's links */
	struct buf out;
	buf_init(&out, URL_MAX_LEN);
	int rc = url_fast(b, ref, o, &out);
	if (rc == 0) {
		char *url = buf_take(&out);
		if (!url)
			return -ENOMEM;
		*ret_url = url;
		return 0;
	}
	buf_done(&out);
	return rc == 1 || rc == ERR_TOO_BIG ? url_canon(b->given, ref, o, true, ret_url) : rc;
}

int url_path_query(const char *url, char **ret)
{
	char *canon = NULL;
	int rc = url_resolve(NULL, url, &canon);
	if (rc)
		return rc;
	const char *path = strchr(strstr(canon, "://") + 3, '/');
	if (!path) {
		free(canon);
		return ERR_URL;
	}
	memmove(canon, path, strlen(path) + 1);
	*ret = canon;
	return 0;
}

size_t url_path_segments(const char *url)
{
	const char *s = strstr(url, "://");
	if (!s)
		return 0;
	size_t n = 0;
	for (s += 3 + strcspn(s + 3, "/?#"); *s && *s != '?' && *s != '#'; s++)
		n += *s == '/';
	return n;
}

int url_host(const char *url, char **ret_host)
{
	char *host = NULL;
	int rc = url_get(NULL, url, CURLUPART_HOST, 0, &host);
	if (rc)
		return rc;
	size_t n = strlen(host);
	if (n >= 2 && host[0] == '[' && host[n - 1] == ']') {
		memmove(host, host + 1, n - 2);
		host[n - 2] = '\0';
	}
	*ret_host = host;
	return 0;
}

int url_origin(const char *url, char **ret_origin)
{
	CURLU *u = NULL;
	char *scheme = NULL, *host = NULL, *port = NULL;
	struct buf b;
	buf_init(&b, URL_MAX_LEN);
	int rc = url_parse(NULL, url, &u);
	if (rc)
		goto fail;
	CURLUcode uc = curl_url_get(u, CURLUPART_SCHEME, &scheme, 0);
	if (!uc)
		uc = curl_url_get(u, CURLUPART_HOST, &host, 0);
	if (!uc) {
		uc = curl_url_get(u, CURLUPART_PORT, &port, CURLU_NO_DEFAULT_PORT);
		if (uc == CURLUE_NO_PORT)
			uc = CURLUE_OK;
	}
	rc = uc ? curlu_err(uc) : buf_addf(&b, "%s://%s%s%s", scheme, host, port ? ":" : "",
					   port ? port : "");
	if (rc)
		goto fail;
	*ret_origin = buf_take(&b);
	rc = *ret_origin ? 0 : -ENOMEM;
fail:
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(u);
	buf_done(&b);
	return rc;
}

/* An IPv4 or IPv6 address: what url_host returns for either. */
static bool is_ip_literal(const char *host)
{
	unsigned char a[16];
	return inet_pton(AF_INET, host, a) == 1 || inet_pton(AF_INET6, host, a) == 1;
}

int url_registrable_domain(const char *url, char **ret_domain)
{
	/* psl_builtin() is immutable data compiled into libpsl: safe from any thread. */
	const psl_ctx_t *psl = psl_builtin();
	if (!psl)
		return ERR_INTERNAL;
	char *host = NULL;
	int rc = url_host(url, &host);
	if (rc)
		return rc;
	size_t n = strlen(host);
	if (n > 1 && host[n - 1] == '.')
		host[n - 1] = '\0';
	/* The answer points into host, which becomes the result either way. */
	const char *reg = is_ip_literal(host) ? NULL : psl_registrable_domain(psl, host);
	if (reg)
		memmove(host, reg, strlen(reg) + 1);
	*ret_domain = host;
	return 0;
}
