/* SPDX-License-Identifier: MIT */
/* Sitemaps (sitemap.h): a capped byte source (plain or gzip inflated on demand), a sniff that
 * tells XML from text, then libxml2's SAX parser pulling from the source, or a line splitter.
 *
 * Entities and DTDs, per parser (no global entity loader is installed): a DOCTYPE stops the
 * parse before its internal subset is read (internalSubset handler). Behind that, our SAX
 * handler defines no entity (no entityDecl), resolves none (getEntity and getParameterEntity
 * answer NULL, and userData is not the parser context, so libxml2 never falls back to its own
 * tables), loads no external subset (no externalSubset handler, loadsubset 0) and substitutes
 * nothing (replaceEntities 0): a billion-laughs or XXE reference could only be undeclared.
 * Where libxml2 2.9 goes quadratic, a scan of the bytes ahead of it stops the input (see below).
 * Errors: parser errors reach the per-context serror; errors libxml2 raises with no context
 * (encoding conversion, I/O) go to the per-thread global handlers, which are swapped for a
 * swallowing one during the call and restored after it, so nothing is ever printed.
 */
#include "parsers/sitemap.h"

#include "common/buf.h"
#include "common/err.h"
#include "parsers/url.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/xmlerror.h>
#include <zlib.h>

#define HEAD_MAX	 4096  /* bytes read at a time while sniffing */
#define TEXT_BLOCK	 16384 /* bytes read at a time from a text sitemap */
#define SMALL_FIELD_MAX	 64    /* bytes kept of lastmod and priority */
#define XML_MAX_DEPTH	 32    /* element nesting; a sitemap needs 4 or 5 */
#define XML_MAX_ATTRS	 64    /* attributes, namespace declarations included, on one element */
#define XML_MAX_NAMES	 256   /* distinct names; a sitemap with every extension has under 100 */
#define XML_MAX_NAME_LEN 200   /* bytes of one name or namespace URI */

#if LIBXML_VERSION >= 21200
typedef const xmlError *sm_xml_error;
#else
typedef xmlErrorPtr sm_xml_error;
#endif

void sitemap_limits_default(struct sitemap_limits *l)
{
	l->max_compressed = 50u << 20;
	l->max_decompressed = 50u << 20;
	l->max_entries = 50000;
}

void sitemap_global_init(void)
{
	xmlInitParser();
}

static bool is_ws(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* ---- the source: the document's bytes, inflated on demand, under the byte caps ---- */

struct source {
	const unsigned char *data;
	size_t len;	/* bytes of data read: capped at max_compressed when gzipped */
	size_t pos;	/* plain input: bytes handed out */
	size_t out;	/* bytes handed out */
	size_t max_out; /* max_decompressed */
	bool truncated; /* data was longer than len */
	bool gzip, z_live, done;
	int err; /* why the source ended early: ERR_TOO_BIG, ERR_PARSE, -ENOMEM */
	z_stream z;
};

static int source_init(struct source *s, const char *data, size_t len,
		       const struct sitemap_limits *lim)
{
	memset(s, 0, sizeof(*s));
	s->data = (const unsigned char *)data;
	s->len = len;
	s->max_out = lim->max_decompressed;
	s->gzip = len >= 2 && s->data[0] == 0x1f && s->data[1] == 0x8b;
	if (!s->gzip)
		return 0;
	if (len > lim->max_compressed) {
		s->len = lim->max_compressed;
		s->truncated = true;
	}
	s->z.next_in = (unsigned char *)s->data; /* zlib does not write through next_in */
	s->z.avail_in = s->len > UINT_MAX ? UINT_MAX : (uInt)s->len;
	int zr = inflateInit2(&s->z, 16 + MAX_WBITS); /* gzip wrapper only */
	if (zr != Z_OK)
		return zr == Z_MEM_ERROR ? -ENOMEM : ERR_INTERNAL;
	s->z_live = true;
	return 0;
}

static void source_done(struct source *s)
{
	if (s->z_live)
		inflateEnd(&s->z);
	s->z_live = false;
}

static size_t source_fail(struct source *s, int err)
{
	s->err = err;
	s->done = true;
	return 0;
}

/* Keeps avail_in fed when the input is longer than a uInt holds. */
static void gz_refill(struct source *s)
{
	if (s->z.avail_in == 0) {
		size_t used = (size_t)(s->z.next_in - s->data);
		size_t left = s->len - used;
		s->z.avail_in = left > UINT_MAX ? UINT_MAX : (uInt)left;
	}
}

/* Another gzip member follows the one that ended: read on, as gzip(1) does. */
static bool gz_next_member(struct source *s)
{
	gz_refill(s);
	if (s->z.avail_in < 2 || s->z.next_in[0] != 0x1f || s->z.next_in[1] != 0x8b)
		return false;
	return inflateReset(&s->z) == Z_OK;
}

/* Inflates up to n bytes into out. At the cap one more byte is asked for, into a probe, to tell
 * a stream that ends exactly there from one that goes on. */
static size_t gz_read(struct source *s, unsigned char *out, size_t n)
{
	size_t got = 0;
	while (got < n && !s->done) {
		unsigned char probe;
		size_t room = s->max_out - s->out;
		bool probing = room == 0;
		size_t want = probing ? 1 : (n - got < room ? n - got : room);
		s->z.next_out = probing ? &probe : out + got;
		s->z.avail_out = want > UINT_MAX ? UINT_MAX : (uInt)want;
		gz_refill(s);
		uInt before = s->z.avail_out;
		int zr = inflate(&s->z, Z_NO_FLUSH);
		size_t made = before - s->z.avail_out;
		if (probing && made)
			return got + source_fail(s, ERR_TOO_BIG);
		got += made;
		s->out += made;
		if (zr == Z_STREAM_END) {
			/* bytes after the last member are ignored, as gzip(1) does */
			if (!gz_next_member(s))
				s->done = true;
		} else if (zr == Z_MEM_ERROR) {
			return got + source_fail(s, -ENOMEM);
		} else if (zr == Z_BUF_ERROR) { /* input ran out before the stream's end */
			return got + source_fail(s, s->truncated ? ERR_TOO_BIG : ERR_PARSE);
		} else if (zr != Z_OK) {
			return got + source_fail(s, ERR_PARSE);
		}
	}
	return got;
}

static size_t plain_read(struct source *s, unsigned char *out, size_t n)
{
	size_t avail = s->len < s->max_out ? s->len : s->max_out;
	if (s->pos == avail) {
		if (s->len > avail)
			return source_fail(s, ERR_TOO_BIG);
		s->done = true;
		return 0;
	}
	if (n > avail - s->pos)
		n = avail - s->pos;
	memcpy(out, s->data + s->pos, n);
	s->pos += n;
	s->out += n;
	return n;
}

/* Up to n bytes; 0 at the end, which is an error when s->err is set. */
static size_t source_read(struct source *s, void *out, size_t n)
{
	if (s->done || n == 0)
		return 0;
	return s->gzip ? gz_read(s, out, n) : plain_read(s, out, n);
}

/* ---- the markup scan: caps that libxml2 2.9 does not have ----
 *
 * Some of libxml2 2.9's costs grow with the square of what a document holds: its name dictionary
 * stops growing at 16k buckets and hashes short names poorly (400,000 distinct element names take
 * 5 s, 50 MiB of them hours), an element's attributes are checked for duplicates pairwise, and a
 * namespace prefix is looked up through every declaration in scope. This scan runs over the bytes
 * before libxml2 sees them and ends the input at the first element nested deeper than
 * XML_MAX_DEPTH or with more than XML_MAX_ATTRS attributes, and at the first name (element,
 * attribute or processing-instruction target, or namespace URI) that is longer than
 * XML_MAX_NAME_LEN or the XML_MAX_NAMES + 1st distinct one. Comments, CDATA sections and
 * declarations are skipped. It is exact for UTF-8 and ASCII-compatible encodings; in UTF-16 it
 * approximates, erring towards refusing. Distinct names are kept sorted: a binary search per name,
 * which no input can slow down.
 */

enum scan_state {
	SCAN_TEXT,
	SCAN_LT,	/* after '<' */
	SCAN_TAG_NAME,	/* the name of a start tag */
	SCAN_TAG,	/* in a start tag, between names and values */
	SCAN_ATTR_NAME, /* an attribute's name */
	SCAN_QUOTE,	/* in a quoted attribute value */
	SCAN_END_TAG,	/* in an end tag */
	SCAN_BANG,	/* after "<!" */
	SCAN_BANG_DASH, /* after "<!-" */
	SCAN_COMMENT,	/* up to "-->" */
	SCAN_CDATA,	/* after "<![", up to "]]>" */
	SCAN_DECL,	/* <!DOCTYPE ...> and the like (libxml2 is stopped at a DOCTYPE) */
	SCAN_PI_TARGET, /* after "<?" */
	SCAN_PI,	/* up to "?>" */
};

struct scan {
	enum scan_state state;
	unsigned char quote, prev;
	bool value_is_name; /* the value being read declares a namespace: its URI is a name */
	unsigned run;	    /* '-', ']' or '?' just read, towards the end of a comment, CDATA, PI */
	unsigned attrs;	    /* in the start tag being read */
	unsigned depth;	    /* open elements */
	size_t tok_len;	    /* bytes of the name being read, in tok */
	unsigned char tok[XML_MAX_NAME_LEN];
	size_t nnames;
	unsigned char names[XML_MAX_NAMES][XML_MAX_NAME_LEN + 1]; /* length byte, then the name */
	uint16_t order[XML_MAX_NAMES];				  /* indexes of names, sorted */
};

static int name_cmp(const unsigned char *a, size_t alen, const unsigned char *b)
{
	size_t blen = b[0];
	int c = memcmp(a, b + 1, alen < blen ? alen : blen);
	return c ? c : (alen > blen) - (alen < blen);
}

/* Adds the name in tok to the set; false when the set is full. */
static bool scan_name_end(struct scan *sc)
{
	size_t lo = 0, hi = sc->nnames;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = name_cmp(sc->tok, sc->tok_len, sc->names[sc->order[mid]]);
		if (c == 0)
			return true;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	if (sc->nnames == XML_MAX_NAMES)
		return false;
	unsigned char *slot = sc->names[sc->nnames];
	slot[0] = (unsigned char)sc->tok_len;
	memcpy(slot + 1, sc->tok, sc->tok_len);
	memmove(sc->order + lo + 1, sc->order + lo, (sc->nnames - lo) * sizeof(sc->order[0]));
	sc->order[lo] = (uint16_t)sc->nnames++;
	return true;
}

static bool scan_name_add(struct scan *sc, unsigned char c)
{
	if (sc->tok_len == XML_MAX_NAME_LEN)
		return false;
	sc->tok[sc->tok_len++] = c;
	return true;
}

/* "xmlns" or "xmlns:..." (NUL bytes skipped, for UTF-16). */
static bool tok_is_xmlns(const struct scan *sc)
{
	static const char want[] = "xmlns";
	size_t k = 0;
	for (size_t i = 0; i < sc->tok_len; i++) {
		if (sc->tok[i] == 0)
			continue;
		if (k == 5)
			return sc->tok[i] == ':';
		if (sc->tok[i] != want[k++])
			return false;
	}
	return k == 5;
}

static bool scan_tag(struct scan *sc, unsigned char c, unsigned char prev)
{
	if (c == '"' || c == '\'') {
		sc->quote = c;
		sc->state = SCAN_QUOTE;
		sc->tok_len = 0;
	} else if (c == '=') {
		return ++sc->attrs <= XML_MAX_ATTRS;
	} else if (c == '>') {
		sc->state = SCAN_TEXT;
		if (prev != '/')
			return ++sc->depth <= XML_MAX_DEPTH;
	} else if (!is_ws(c) && c != '/') {
		sc->state = SCAN_ATTR_NAME;
		sc->tok_len = 0;
		sc->value_is_name = false;
		return scan_name_add(sc, c);
	}
	return true;
}

/* A name ends at whitespace or at one of the bytes in ends. */
static bool name_ends(unsigned char c, const char *ends)
{
	return is_ws(c) || (c && strchr(ends, c));
}

/* Skips comments, CDATA sections and processing instructions up to their end marks. */
static void scan_skip(struct scan *sc, unsigned char c)
{
	unsigned char mark = sc->state == SCAN_COMMENT ? '-' : sc->state == SCAN_CDATA ? ']' : '?';
	unsigned need = sc->state == SCAN_PI ? 1 : 2;
	if (c == '>' && sc->run >= need)
		sc->state = SCAN_TEXT;
	sc->run = c == mark ? sc->run + 1 : 0;
}

/* Steps over one byte; false when a cap is reached. */
static bool scan_byte(struct scan *sc, unsigned char c)
{
	unsigned char prev = sc->prev;
	sc->prev = c;
	switch (sc->state) {
	case SCAN_TEXT:
		if (c == '<')
			sc->state = SCAN_LT;
		return true;
	case SCAN_LT:
		sc->attrs = 0;
		sc->run = 0;
		sc->tok_len = 0;
		sc->state = c == '!'   ? SCAN_BANG
			    : c == '?' ? SCAN_PI_TARGET
			    : c == '/' ? SCAN_END_TAG
				       : SCAN_TAG_NAME;
		return sc->state == SCAN_TAG_NAME ? scan_name_add(sc, c) : true;
	case SCAN_TAG_NAME:
	case SCAN_ATTR_NAME:
		if (!name_ends(c, "=/>"))
			return scan_name_add(sc, c);
		if (sc->state == SCAN_ATTR_NAME)
			sc->value_is_name = tok_is_xmlns(sc);
		sc->state = SCAN_TAG;
		return scan_name_end(sc) && scan_tag(sc, c, prev);
	case SCAN_TAG: return scan_tag(sc, c, prev);
	case SCAN_QUOTE:
		if (c != sc->quote)
			return !sc->value_is_name || scan_name_add(sc, c);
		sc->state = SCAN_TAG;
		return !sc->value_is_name || scan_name_end(sc);
	case SCAN_END_TAG:
	case SCAN_DECL:
		if (c == '>') {
			sc->depth -= sc->state == SCAN_END_TAG && sc->depth > 0;
			sc->state = SCAN_TEXT;
		}
		return true;
	case SCAN_BANG:
		sc->state = c == '-' ? SCAN_BANG_DASH : c == '[' ? SCAN_CDATA : SCAN_DECL;
		return true;
	case SCAN_BANG_DASH: sc->state = c == '-' ? SCAN_COMMENT : SCAN_DECL; return true;
	case SCAN_PI_TARGET:
		if (!name_ends(c, "?"))
			return scan_name_add(sc, c);
		sc->state = SCAN_PI;
		sc->run = c == '?';
		return scan_name_end(sc);
	case SCAN_COMMENT:
	case SCAN_CDATA:
	case SCAN_PI: scan_skip(sc, c); return true;
	}
	return true;
}

/* The number of bytes of s that pass, n when all do. */
static size_t scan_bytes(struct scan *sc, const unsigned char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!scan_byte(sc, s[i]))
			return i;
	return n;
}

/* ---- the parse ---- */

enum field_id { FIELD_NONE, FIELD_LOC, FIELD_LASTMOD, FIELD_PRIORITY };

/* Element text, trimmed as it comes: leading whitespace skipped, trailing whitespace cut at the
 * end, so whitespace beyond the cap is harmless and only content beyond it makes the field bad. */
struct field {
	size_t len, max;
	bool set, bad, ws_dropped;
	char *buf; /* max + 1 bytes */
};

struct sitemap_parser {
	struct source src;
	const char *base_url;
	const struct sitemap_limits *lim;
	sitemap_entry_fn fn;
	void *ud;
	int rc;		/* why the parse stopped early: fn's code or an error */
	size_t entries; /* entries seen, reported or not */
	enum sitemap_kind kind;
	bool have_kind;
	unsigned char head[HEAD_MAX]; /* sniffed bytes not yet handed on */
	size_t head_pos, head_len;
	/* XML */
	xmlParserCtxtPtr ctxt;
	struct scan scan;
	int input_err;	/* the scan's cap: libxml2 saw the input end before it */
	unsigned depth; /* of the element being read; the root is 1 */
	bool in_entry, root_done, xml_nomem;
	enum field_id field;
	struct field loc, lastmod, priority;
	char loc_buf[URL_MAX_LEN + 1], lastmod_buf[SMALL_FIELD_MAX + 1],
		priority_buf[SMALL_FIELD_MAX + 1];
};

static size_t sm_read(struct sitemap_parser *p, void *out, size_t n)
{
	size_t got = 0;
	if (p->head_pos < p->head_len) {
		got = p->head_len - p->head_pos < n ? p->head_len - p->head_pos : n;
		memcpy(out, p->head + p->head_pos, got);
		p->head_pos += got;
	}
	return got + source_read(&p->src, (unsigned char *)out + got, n - got);
}

/* Counts an entry against max_entries before it is read. */
static int count_entry(struct sitemap_parser *p)
{
	if (p->entries >= p->lim->max_entries)
		return ERR_TOO_BIG;
	p->entries++;
	return 0;
}

/* Resolves loc and hands the entry to fn. A loc that does not resolve skips the entry and sets
 * *ret_skipped (when not NULL). */
static int emit(struct sitemap_parser *p, const char *loc, int64_t lastmod, double priority,
		bool *ret_skipped)
{
	char *url = NULL;
	int rc = url_resolve(p->kind == SITEMAP_TEXT ? NULL : p->base_url, loc, &url);
	if (ret_skipped)
		*ret_skipped = rc != 0;
	if (rc)
		return rc == -ENOMEM ? rc : 0;
	struct sitemap_entry e = {
		.loc = url, .lastmod = lastmod, .priority = priority, .kind = p->kind};
	rc = p->fn(&e, p->ud);
	free(url);
	return rc;
}

/* ---- W3C datetime and priority ---- */

static bool take_digits(const char **s, int n, int *out)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		char c = (*s)[i];
		if (c < '0' || c > '9')
			return false;
		v = v * 10 + (c - '0');
	}
	*s += n;
	*out = v;
	return true;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int days_in_month(int y, int m)
{
	static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	return m == 2 && leap ? 29 : days[m - 1];
}

/* The zone designator: Z, +hh:mm, and leniently +hhmm, +hh or nothing (UTC). Seconds east. */
static bool parse_zone(const char *s, int *ret_offset)
{
	int h = 0, m = 0;
	if (*s == '\0' || ((*s == 'Z' || *s == 'z') && s[1] == '\0')) {
		*ret_offset = 0;
		return true;
	}
	if (*s != '+' && *s != '-')
		return false;
	int sign = *s++ == '-' ? -1 : 1;
	if (!take_digits(&s, 2, &h))
		return false;
	if (*s == ':')
		s++;
	if (*s && !take_digits(&s, 2, &m))
		return false;
	if (*s || h > 23 || m > 59)
		return false;
	*ret_offset = sign * (h * 3600 + m * 60);
	return true;
}

/* hh:mm[:ss[.s+]] then the zone, after the date's 'T'. Seconds since midnight UTC offset. */
static bool parse_time(const char *s, int64_t *ret_secs)
{
	int h, m, sec = 0, zone;
	if (!take_digits(&s, 2, &h) || *s++ != ':' || !take_digits(&s, 2, &m))
		return false;
	if (*s == ':') {
		s++;
		if (!take_digits(&s, 2, &sec))
			return false;
		if (*s == '.') {
			s++;
			if (*s < '0' || *s > '9')
				return false;
			while (*s >= '0' && *s <= '9')
				s++; /* fractions of a second are dropped */
		}
	}
	if (h > 23 || m > 59 || sec > 60 || !parse_zone(s, &zone))
		return false;
	*ret_secs = (int64_t)h * 3600 + m * 60 + sec - zone;
	return true;
}

/* YYYY, YYYY-MM, YYYY-MM-DD or YYYY-MM-DDThh:mm[:ss[.s]]TZD (a space for 'T' is accepted) to
 * epoch seconds; 0 when it is none of these. */
static int64_t parse_lastmod(const char *s)
{
	int y, m = 1, d = 1;
	int64_t secs = 0;
	if (!take_digits(&s, 4, &y))
		return 0;
	if (*s == '-') {
		s++;
		if (!take_digits(&s, 2, &m) || m < 1 || m > 12)
			return 0;
		if (*s == '-') {
			s++;
			if (!take_digits(&s, 2, &d) || d < 1 || d > days_in_month(y, m))
				return 0;
			if ((*s == 'T' || *s == 't' || *s == ' ') && !parse_time(s + 1, &secs))
				return 0;
			else if (*s != 'T' && *s != 't' && *s != ' ' && *s != '\0')
				return 0;
			return days_from_civil(y, m, d) * 86400 + secs;
		}
	}
	return *s == '\0' ? days_from_civil(y, m, d) * 86400 : 0;
}

/* A decimal from 0.0 to 1.0 ("0.8", ".5", "1", "1.00"); -1 otherwise. Digits past the ninth
 * decimal are read but ignored, so the value is whole + frac / 10^k, never above 1. */
static double parse_priority(const char *s)
{
	unsigned whole = 0, frac = 0, scale = 1, ndigits = 0;
	for (; *s >= '0' && *s <= '9'; s++, ndigits++)
		if (whole <= 1)
			whole = whole * 10 + (unsigned)(*s - '0');
	if (*s == '.')
		for (s++; *s >= '0' && *s <= '9'; s++, ndigits++)
			if (scale < 1000000000) {
				frac = frac * 10 + (unsigned)(*s - '0');
				scale *= 10;
			}
	if (*s || ndigits == 0 || whole > 1 || (whole == 1 && frac > 0))
		return -1;
	return whole + (double)frac / scale;
}

/* ---- XML ---- */

static void field_reset(struct field *f)
{
	f->len = 0;
	f->set = f->bad = f->ws_dropped = false;
}

static void field_add(struct field *f, const unsigned char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (is_ws(s[i])) {
			if (f->len == 0)
				continue;
			if (f->len < f->max)
				f->buf[f->len++] = (char)s[i];
			else
				f->ws_dropped = true;
		} else if (f->len >= f->max || f->ws_dropped) {
			f->bad = true;
		} else {
			f->buf[f->len++] = (char)s[i];
		}
	}
}

/* The field's trimmed text, or NULL when it was absent or too long. */
static const char *field_get(struct field *f)
{
	if (!f->set || f->bad)
		return NULL;
	while (f->len > 0 && is_ws((unsigned char)f->buf[f->len - 1]))
		f->len--;
	f->buf[f->len] = '\0';
	return f->buf;
}

static struct field *field_of(struct sitemap_parser *p, enum field_id id)
{
	switch (id) {
	case FIELD_LOC: return &p->loc;
	case FIELD_LASTMOD: return &p->lastmod;
	case FIELD_PRIORITY: return &p->priority;
	case FIELD_NONE: break;
	}
	return NULL;
}

static void stop(struct sitemap_parser *p, int rc)
{
	if (!p->rc)
		p->rc = rc;
	xmlStopParser(p->ctxt);
}

/* The sitemaps.org namespace (http or https, with or without www and a trailing slash), Google's
 * namespaces from before sitemaps.org, or none. */
static bool ns_ok(const xmlChar *uri)
{
	static const char *const known[] = {
		"www.sitemaps.org/schemas/sitemap/0.9", "sitemaps.org/schemas/sitemap/0.9",
		"www.google.com/schemas/sitemap/0.9", "www.google.com/schemas/sitemap/0.84"};
	const char *s = (const char *)uri;
	if (!s)
		return true;
	if (strncmp(s, "http://", 7) == 0)
		s += 7;
	else if (strncmp(s, "https://", 8) == 0)
		s += 8;
	else
		return false;
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		size_t n = strlen(known[i]);
		if (strncmp(s, known[i], n) == 0 &&
		    (s[n] == '\0' || (s[n] == '/' && s[n + 1] == '\0')))
			return true;
	}
	return false;
}

static void on_root(struct sitemap_parser *p, const char *name, bool ours)
{
	if (ours && strcmp(name, "urlset") == 0)
		p->kind = SITEMAP_URLSET;
	else if (ours && strcmp(name, "sitemapindex") == 0)
		p->kind = SITEMAP_INDEX;
	else
		stop(p, ERR_PARSE);
	p->have_kind = !p->rc;
}

static void on_start(void *ctx, const xmlChar *localname, const xmlChar *prefix, const xmlChar *uri,
		     int nb_namespaces, const xmlChar **namespaces, int nb_attributes,
		     int nb_defaulted, const xmlChar **attributes)
{
	(void)prefix, (void)nb_namespaces, (void)namespaces, (void)nb_attributes;
	(void)nb_defaulted, (void)attributes;
	struct sitemap_parser *p = ctx;
	const char *name = (const char *)localname;
	bool ours = ns_ok(uri);
	int rc;
	if (p->rc)
		return;
	p->depth++;
	if (p->depth == 1) {
		on_root(p, name, ours);
	} else if (p->depth == 2 && ours &&
		   strcmp(name, p->kind == SITEMAP_URLSET ? "url" : "sitemap") == 0) {
		if ((rc = count_entry(p)) != 0) {
			stop(p, rc);
			return;
		}
		p->in_entry = true;
		field_reset(&p->loc);
		field_reset(&p->lastmod);
		field_reset(&p->priority);
	} else if (p->depth == 3 && p->in_entry && ours) {
		if (strcmp(name, "loc") == 0)
			p->field = FIELD_LOC;
		else if (strcmp(name, "lastmod") == 0)
			p->field = FIELD_LASTMOD;
		else if (strcmp(name, "priority") == 0 && p->kind == SITEMAP_URLSET)
			p->field = FIELD_PRIORITY;
		struct field *f = field_of(p, p->field);
		if (f && f->set)
			p->field = FIELD_NONE; /* the first one counts */
	}
}

static void end_entry(struct sitemap_parser *p)
{
	const char *loc = field_get(&p->loc);
	const char *lastmod = field_get(&p->lastmod);
	const char *priority = field_get(&p->priority);
	p->in_entry = false;
	if (!loc || !*loc)
		return;
	int rc = emit(p, loc, lastmod ? parse_lastmod(lastmod) : 0,
		      priority ? parse_priority(priority) : -1, NULL);
	if (rc)
		stop(p, rc);
}

static void on_end(void *ctx, const xmlChar *localname, const xmlChar *prefix, const xmlChar *uri)
{
	(void)localname, (void)prefix, (void)uri;
	struct sitemap_parser *p = ctx;
	if (p->rc)
		return;
	if (p->depth == 3 && p->field != FIELD_NONE) {
		field_of(p, p->field)->set = true;
		p->field = FIELD_NONE;
	} else if (p->depth == 2 && p->in_entry) {
		end_entry(p);
	} else if (p->depth == 1) {
		/* Whatever follows the root is not read: trailing junk is common and harmless. */
		p->root_done = true;
		xmlStopParser(p->ctxt);
	}
	p->depth--;
}

static void on_text(void *ctx, const xmlChar *s, int len)
{
	struct sitemap_parser *p = ctx;
	if (!p->rc && p->depth == 3 && p->field != FIELD_NONE && len > 0)
		field_add(field_of(p, p->field), s, (size_t)len);
}

/* A sitemap has no DTD. Refusing it before its internal subset is read leaves libxml2's DTD
 * machinery out of reach: entity and attribute-default declarations (default attributes cost
 * O(n^2) per element in libxml2 2.9), parameter entities, external subsets. */
static void on_doctype(void *ctx, const xmlChar *name, const xmlChar *external_id,
		       const xmlChar *system_id)
{
	(void)name, (void)external_id, (void)system_id;
	stop(ctx, ERR_PARSE);
}

/* No entity is ever known: references to anything but the five predefined ones stay unresolved. */
static xmlEntityPtr no_entity(void *ctx, const xmlChar *name)
{
	(void)ctx, (void)name;
	return NULL;
}

static void on_xml_error(void *ctx, sm_xml_error err)
{
	struct sitemap_parser *p = ctx;
	if (p && err && err->code == XML_ERR_NO_MEMORY)
		p->xml_nomem = true;
}

static void swallow_generic(void *ctx, const char *msg, ...)
{
	(void)ctx, (void)msg;
}

static int xml_read(void *ctx, char *out, int len)
{
	struct sitemap_parser *p = ctx;
	if (p->rc || p->input_err || len <= 0)
		return 0;
	size_t n = sm_read(p, out, (size_t)len);
	size_t ok = scan_bytes(&p->scan, (const unsigned char *)out, n);
	if (ok < n)
		p->input_err = ERR_TOO_BIG;
	return (int)ok;
}

static int xml_result(struct sitemap_parser *p, bool well_formed)
{
	if (p->rc)
		return p->rc;
	if (p->xml_nomem)
		return -ENOMEM;
	if (p->root_done)
		return 0;
	if (p->input_err)
		return p->input_err;
	if (p->src.err)
		return p->src.err;
	return well_formed && p->have_kind ? 0 : ERR_PARSE;
}

static int parse_xml_ctxt(struct sitemap_parser *p)
{
	xmlSAXHandler sax;
	memset(&sax, 0, sizeof(sax));
	sax.initialized = XML_SAX2_MAGIC;
	sax.startElementNs = on_start;
	sax.endElementNs = on_end;
	sax.characters = on_text;
	sax.ignorableWhitespace = on_text;
	sax.cdataBlock = on_text;
	sax.internalSubset = on_doctype;
	sax.getEntity = no_entity;
	sax.getParameterEntity = no_entity;
	sax.serror = on_xml_error;

	p->ctxt = xmlCreateIOParserCtxt(&sax, p, xml_read, NULL, p, XML_CHAR_ENCODING_NONE);
	if (!p->ctxt)
		return -ENOMEM;
	/* No NOENT, DTDLOAD, DTDATTR, DTDVALID, XINCLUDE or HUGE: libxml2's own limits stay on. */
	xmlCtxtUseOptions(p->ctxt, XML_PARSE_NONET);
	/* Parser defaults come from per-thread globals another user of libxml2 may have changed. */
	p->ctxt->replaceEntities = 0;
	p->ctxt->loadsubset = 0;
	p->ctxt->validate = 0;
	xmlParseDocument(p->ctxt);
	bool well_formed = p->ctxt->wellFormed;
	if (p->ctxt->myDoc) /* our SAX handler builds no tree; this is only a precaution */
		xmlFreeDoc(p->ctxt->myDoc);
	xmlFreeParserCtxt(p->ctxt);
	p->ctxt = NULL;
	return xml_result(p, well_formed);
}

static int parse_xml(struct sitemap_parser *p)
{
	p->loc = (struct field){.max = URL_MAX_LEN, .buf = p->loc_buf};
	p->lastmod = (struct field){.max = SMALL_FIELD_MAX, .buf = p->lastmod_buf};
	p->priority = (struct field){.max = SMALL_FIELD_MAX, .buf = p->priority_buf};

	xmlGenericErrorFunc old_generic = xmlGenericError;
	void *old_generic_ctx = xmlGenericErrorContext;
	xmlStructuredErrorFunc old_structured = xmlStructuredError;
	void *old_structured_ctx = xmlStructuredErrorContext;
	xmlSetGenericErrorFunc(p, swallow_generic);
	xmlSetStructuredErrorFunc(p, on_xml_error);
	int rc = parse_xml_ctxt(p);
	xmlSetStructuredErrorFunc(old_structured_ctx, old_structured);
	xmlSetGenericErrorFunc(old_generic_ctx, old_generic);
	return rc;
}

/* ---- text ---- */

/* Valid UTF-8 without C0 controls (tab aside) or DEL. */
static bool text_ok(const unsigned char *s, size_t n)
{
	for (size_t i = 0; i < n;) {
		unsigned char c = s[i];
		if (c < 0x80) {
			if ((c < 0x20 && c != '\t') || c == 0x7F)
				return false;
			i++;
			continue;
		}
		size_t len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
		if (c < 0xC2 || c > 0xF4 || n - i < len)
			return false;
		unsigned char c1 = s[i + 1];
		if ((c == 0xE0 && c1 < 0xA0) || (c == 0xED && c1 > 0x9F) ||
		    (c == 0xF0 && c1 < 0x90) || (c == 0xF4 && c1 > 0x8F))
			return false;
		for (size_t k = 1; k < len; k++)
			if ((s[i + k] & 0xC0) != 0x80)
				return false;
		i += len;
	}
	return true;
}

/* One line; the first non-blank line decides whether the input is a text sitemap at all. */
static int text_line(struct sitemap_parser *p, struct buf *line, bool bad)
{
	const unsigned char *s = (const unsigned char *)buf_str(line);
	size_t n = line->len;
	while (n > 0 && is_ws(s[n - 1]))
		n--;
	while (n > 0 && is_ws(*s))
		s++, n--;
	if (n == 0 && !bad)
		return 0;
	bool first = p->entries == 0;
	int rc = count_entry(p);
	if (rc)
		return rc;
	if (bad || !text_ok(s, n))
		return first ? ERR_PARSE : 0;
	char *loc = (char *)s; /* points into line, which is ours to write */
	loc[n] = '\0';
	bool skipped;
	rc = emit(p, loc, 0, -1, &skipped);
	return !rc && skipped && first ? ERR_PARSE : rc;
}

static int parse_text(struct sitemap_parser *p)
{
	unsigned char *block = malloc(TEXT_BLOCK);
	struct buf line;
	bool bad = false;
	int rc = 0;
	size_t n;
	if (!block)
		return -ENOMEM;
	buf_init(&line, URL_MAX_LEN);
	while (!rc && (n = sm_read(p, block, TEXT_BLOCK)) > 0) {
		for (size_t i = 0; i < n && !rc;) {
			size_t end = i;
			while (end < n && block[end] != '\n' && block[end] != '\r')
				end++;
			int arc = bad ? 0 : buf_add(&line, block + i, end - i);
			if (arc == -ENOMEM)
				rc = arc;
			else if (arc)
				bad = true; /* too long for a URL; the rest of the line is skipped
					     */
			if (end < n && !rc) {
				rc = text_line(p, &line, bad);
				buf_reset(&line);
				bad = false;
				end++;
			}
			i = end;
		}
	}
	/* A last line cut by a cap is dropped: it may be half a URL. */
	if (!rc)
		rc = p->src.err ? p->src.err : text_line(p, &line, bad);
	buf_done(&line);
	free(block);
	return rc;
}

/* ---- sniffing ---- */

/* Reads until the first byte that is not whitespace (after a UTF-8 BOM): '<' or a UTF-16 start
 * means XML, anything else text. Leading whitespace is dropped; the rest is kept in head. */
static int sniff(struct sitemap_parser *p, bool *ret_xml)
{
	bool first = true;
	for (;;) {
		size_t n = source_read(&p->src, p->head, HEAD_MAX), i = 0;
		if (n == 0)
			return p->src.err ? p->src.err : ERR_PARSE; /* empty or only whitespace */
		const unsigned char *h = p->head;
		if (first && n >= 2 &&
		    ((h[0] == 0xFF && h[1] == 0xFE) || (h[0] == 0xFE && h[1] == 0xFF) ||
		     (h[0] == 0 && h[1] == '<'))) {
			p->head_len = n;
			*ret_xml = true;
			return 0;
		}
		if (first && n >= 3 && h[0] == 0xEF && h[1] == 0xBB && h[2] == 0xBF)
			i = 3;
		first = false;
		while (i < n && is_ws(h[i]))
			i++;
		if (i < n) {
			p->head_pos = i;
			p->head_len = n;
			*ret_xml = h[i] == '<';
			return 0;
		}
	}
}

int sitemap_parse(const char *data, size_t len, const char *base_url,
		  const struct sitemap_limits *lim, sitemap_entry_fn fn, void *ud,
		  enum sitemap_kind *ret_kind)
{
	struct sitemap_limits def;
	if (!lim) {
		sitemap_limits_default(&def);
		lim = &def;
	}
	if ((!data && len) || !fn)
		return ERR_USAGE;
	struct sitemap_parser *p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->base_url = base_url;
	p->lim = lim;
	p->fn = fn;
	p->ud = ud;
	bool xml = false;
	int rc = source_init(&p->src, data, len, lim);
	if (!rc)
		rc = sniff(p, &xml);
	if (!rc && xml) {
		rc = parse_xml(p);
	} else if (!rc) {
		p->kind = SITEMAP_TEXT;
		p->have_kind = true;
		rc = parse_text(p);
	}
	if (!rc && ret_kind)
		*ret_kind = p->kind;
	source_done(&p->src);
	free(p);
	return rc;
}
