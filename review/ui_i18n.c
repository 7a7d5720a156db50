/* SPDX-License-Identifier: MIT */
/* The web UI's languages: a reader of GNU .mo catalogs and the choice of a language per request.
 * One server speaks to analysts in different languages at once on several threads, so it cannot
 * switch the process-wide gettext locale per request (and a fresh Debian has no zh_CN locale to
 * switch to). Each catalog is read once at ui_new into memory, checked whole as untrusted input
 * (every offset and length in bounds, every string NUL-terminated, the originals sorted, every
 * translation's printf conversions the same as its original's), and only read after: a lookup is
 * a binary search. docs/i18n.md, "The review UI".
 */
#include "review/ui_int.h"

#include "common/clock.h"
#include "common/err.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MO_MAGIC	0x950412deu
#define MO_MAGIC_SWAP	0xde120495u
#define MO_FILE_MAX	(8u << 20) /* bytes of one catalog */
#define MO_STRINGS_MAX	100000u	   /* entries of one catalog */
#define ACCEPT_MAX	4096	   /* bytes of Accept-Language read */
#define ACCEPT_TAGS_MAX 32	   /* language ranges read from it */

const struct ui_lang ui_langs[UI_LANGS] = {
	{"en", "en", "English"},
	{"zh_CN", "zh-CN", "中文（简体）"},
};

/* Plural rules this reader evaluates: one form (Chinese), or English's n != 1. */
enum mo_plural { MO_PLURAL_NONE, MO_PLURAL_ONE, MO_PLURAL_EN };

struct mo_entry {
	const char *orig; /* the msgid; a plural's is "singular\0plural" */
	size_t orig_len;  /* bytes of orig without its final NUL */
	const char *tr;	  /* the msgstr; a plural's forms one after another, NUL between */
	size_t tr_len;	  /* bytes of tr without its final NUL */
};

struct ui_catalog {
	char *data; /* the file; entries point into it */
	struct mo_entry *e;
	size_t n;
	enum mo_plural plural;
};

static uint32_t mo_u32(const unsigned char *p, bool swap)
{
	uint32_t v =
		(uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
	return swap ? __builtin_bswap32(v) : v;
}

/* The string at table entry i of the table at off: in bounds and NUL-terminated, else NULL. */
static const char *mo_string(const char *data, size_t len, uint32_t off, uint32_t i, bool swap,
			     size_t *ret_len)
{
	size_t at = (size_t)off + (size_t)i * 8;
	if (at + 8 > len)
		return NULL;
	uint32_t slen = mo_u32((const unsigned char *)data + at, swap);
	uint32_t soff = mo_u32((const unsigned char *)data + at + 4, swap);
	if ((size_t)soff + slen >= len || data[(size_t)soff + slen] != '\0')
		return NULL;
	*ret_len = slen;
	return data + soff;
}

#define MO_CONVS_MAX 16 /* printf conversions of one message */
#define MO_CONV_LEN  24 /* bytes of one, without its '%' */

/* The conversions of s in argument order: out[i] is the i-th argument's, flags to type;
 * positional ones ("%2$s", how a translation reorders) go where they say. Returns how many, or
 * -1 when one is malformed, %n, takes a '*' argument, or positions are mixed, repeated or
 * missing: printing such a message could read the wrong argument. */
static int mo_convs(const char *s, char out[MO_CONVS_MAX][MO_CONV_LEN])
{
	bool seen[MO_CONVS_MAX] = {false};
	int n = 0, mode = -1; /* 0: in order, 1: positional */
	for (const char *p = strchr(s, '%'); p; p = strchr(p, '%')) {
		int pos = 0;
		p++;
		if (*p >= '1' && *p <= '9' && p[1] == '$') {
			pos = *p - '0';
			p += 2;
		}
		size_t k = strspn(p, "-+ #0'123456789.hlLqjzt");
		if (!p[k] || !strchr("diouxXeEfFgGaAcsp%", p[k]) || k + 2 > MO_CONV_LEN)
			return -1;
		if (p[k] == '%' && !pos && !k) {
			p++;
			continue;
		}
		int i = pos ? pos - 1 : n;
		if (p[k] == '%' || (mode >= 0 && mode != (pos > 0)) || i >= MO_CONVS_MAX || seen[i])
			return -1;
		mode = pos > 0;
		memcpy(out[i], p, k + 1);
		out[i][k + 1] = '\0';
		seen[i] = true;
		n = i + 1 > n ? i + 1 : n;
		p += k + 1;
	}
	for (int i = 0; i < n; i++)
		if (!seen[i])
			return -1;
	return n;
}

/* Whether a and b read the same arguments the same way. */
static bool mo_formats_agree(const char *a, const char *b)
{
	char ca[MO_CONVS_MAX][MO_CONV_LEN], cb[MO_CONVS_MAX][MO_CONV_LEN];
	int na = mo_convs(a, ca), nb = mo_convs(b, cb);
	if (na < 0 || na != nb)
		return false;
	for (int i = 0; i < na; i++)
		if (strcmp(ca[i], cb[i]) != 0)
			return false;
	return true;
}

/* Whether every form of a translation agrees with its original: a plural's forms each with the
 * singular or the plural (a language with one form may follow either). */
static bool mo_entry_ok(const struct mo_entry *e)
{
	const char *sing = e->orig;
	const char *plur = strlen(sing) < e->orig_len ? sing + strlen(sing) + 1 : sing;
	const char *f = e->tr, *end = e->tr + e->tr_len;
	for (; f <= end; f += strlen(f) + 1)
		if (!mo_formats_agree(sing, f) && !mo_formats_agree(plur, f))
			return false;
	return true;
}

/* The header's Plural-Forms: the two rules this reader knows; anything else keeps plurals in
 * English (the singular translations still apply). */
static enum mo_plural mo_plural_of(const char *header)
{
	const char *p = strstr(header, "Plural-Forms:");
	if (!p)
		return MO_PLURAL_NONE;
	char rule[128] = "";
	size_t j = 0;
	for (p += 13; *p && *p != '\n' && j + 1 < sizeof(rule); p++)
		if (*p != ' ' && *p != '\t')
			rule[j++] = *p;
	rule[j] = '\0';
	if (strncmp(rule, "nplurals=1;plural=0", 19) == 0)
		return MO_PLURAL_ONE;
	if (strncmp(rule, "nplurals=2;plural=n!=1;", 23) == 0 ||
	    strncmp(rule, "nplurals=2;plural=(n!=1);", 25) == 0)
		return MO_PLURAL_EN;
	return MO_PLURAL_NONE;
}

/* Checks the whole file and indexes it. Entries whose formats disagree are dropped (they would
 * read the wrong arguments); any other flaw refuses the file. */
static int mo_index(struct ui_catalog *c, size_t len)
{
	const unsigned char *u = (const unsigned char *)c->data;
	if (len < 28)
		return ERR_PARSE;
	uint32_t magic = mo_u32(u, false);
	bool swap = magic == MO_MAGIC_SWAP;
	if (magic != MO_MAGIC && !swap)
		return ERR_PARSE;
	uint32_t rev = mo_u32(u + 4, swap), n = mo_u32(u + 8, swap);
	uint32_t oo = mo_u32(u + 12, swap), to = mo_u32(u + 16, swap);
	if (rev >> 16 > 1 || n > MO_STRINGS_MAX)
		return ERR_PARSE;
	c->e = calloc(n ? n : 1, sizeof(*c->e));
	if (!c->e)
		return -ENOMEM;
	const char *prev = NULL;
	for (uint32_t i = 0; i < n; i++) {
		size_t olen = 0, tlen = 0;
		struct mo_entry e = {.orig = mo_string(c->data, len, oo, i, swap, &olen)};
		e.tr = mo_string(c->data, len, to, i, swap, &tlen);
		e.orig_len = olen;
		if (!e.orig || !e.tr)
			return ERR_PARSE;
		if (prev && strcmp(prev, e.orig) >= 0)
			return ERR_PARSE; /* unsorted or repeated: binary search would miss */
		prev = e.orig;
		e.tr_len = tlen;
		if (!e.orig[0])
			c->plural = mo_plural_of(e.tr);
		else if (mo_entry_ok(&e) && !strchr(e.orig, '\004')) /* no contexts */
			c->e[c->n++] = e;
	}
	return 0;
}

int ui_catalog_parse(const void *data, size_t len, struct ui_catalog **ret)
{
	if (len > MO_FILE_MAX)
		return ERR_TOO_BIG;
	struct ui_catalog *c = calloc(1, sizeof(*c));
	if (!c || !(c->data = malloc(len + 1))) {
		free(c);
		return -ENOMEM;
	}
	memcpy(c->data, data, len);
	c->data[len] = '\0';
	int rc = mo_index(c, len);
	if (rc) {
		ui_catalog_free(c);
		return rc;
	}
	*ret = c;
	return 0;
}

int ui_catalog_load(const char *path, struct ui_catalog **ret)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return -errno;
	char *data = malloc(MO_FILE_MAX + 1);
	size_t len = data ? fread(data, 1, MO_FILE_MAX + 1, f) : 0;
	int rc = !data ? -ENOMEM : ferror(f) ? -EIO : len > MO_FILE_MAX ? ERR_TOO_BIG : 0;
	fclose(f);
	rc = rc ? rc : ui_catalog_parse(data, len, ret);
	free(data);
	return rc;
}

void ui_catalog_free(struct ui_catalog *c)
{
	if (!c)
		return;
	free(c->e);
	free(c->data);
	free(c);
}

size_t ui_catalog_count(const struct ui_catalog *c)
{
	return c ? c->n : 0;
}

static const struct mo_entry *mo_find(const struct ui_catalog *c, const char *msgid)
{
	size_t lo = 0, hi = c ? c->n : 0;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int cmp = strcmp(msgid,
				 c->e[mid].orig); /* a plural's orig compares as its singular */
		if (cmp == 0)
			return &c->e[mid];
		if (cmp < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

const char *ui_catalog_get(const struct ui_catalog *c, const char *msgid)
{
	const struct mo_entry *e = msgid && msgid[0] ? mo_find(c, msgid) : NULL;
	return e && e->tr[0] ? e->tr : NULL;
}

const char *ui_catalog_nget(const struct ui_catalog *c, const char *singular, const char *plural,
			    unsigned long n)
{
	const struct mo_entry *e = singular && singular[0] ? mo_find(c, singular) : NULL;
	size_t form = c && c->plural == MO_PLURAL_EN ? n != 1 : 0;
	if (!e || c->plural == MO_PLURAL_NONE || strlen(e->orig) == e->orig_len ||
	    strcmp(e->orig + strlen(e->orig) + 1, plural) != 0)
		return NULL;
	const char *f = e->tr, *end = e->tr + e->tr_len;
	for (size_t i = 0; i < form && f <= end; i++)
		f += strlen(f) + 1;
	return f <= end && f[0] ? f : NULL;
}

/* ---- Choosing the language ---- */

/* The language a range of Accept-Language names, or -1. Every Chinese range maps to zh_CN, the
 * one Chinese catalog: zh-TW and zh-HK too, until a zh_TW catalog exists (simplified text reads
 * better to them than English). */
static int lang_of_range(const char *tag, size_t n)
{
	if (n == 1 && tag[0] == '*')
		return 0;
	if ((n == 2 || (n > 2 && (tag[2] == '-' || tag[2] == '_'))) &&
	    strncasecmp(tag, "zh", 2) == 0)
		return 1;
	if ((n == 2 || (n > 2 && (tag[2] == '-' || tag[2] == '_'))) &&
	    strncasecmp(tag, "en", 2) == 0)
		return 0;
	return -1;
}

/* The q-value of a range's parameters (";q=0.5"): 0 to 1000, -1 when malformed. */
static int accept_q(const char *p, size_t n)
{
	while (n && (*p == ' ' || *p == '\t' || *p == ';')) {
		p++;
		n--;
	}
	if (!n)
		return 1000;
	if (n < 3 || (p[0] != 'q' && p[0] != 'Q') || p[1] != '=' || (p[2] != '0' && p[2] != '1'))
		return -1;
	int q = (p[2] - '0') * 1000, scale = 100;
	for (size_t i = 4; i < n && i < 7 && p[3] == '.' && p[i] >= '0' && p[i] <= '9'; i++) {
		q += (p[i] - '0') * scale;
		scale /= 10;
	}
	return q > 1000 ? 1000 : q;
}

int ui_lang_negotiate(const char *accept, const bool avail[UI_LANGS])
{
	int best = 0, best_q = 0;
	size_t len = accept ? strnlen(accept, ACCEPT_MAX) : 0;
	const char *p = accept, *end = accept + len;
	for (int tags = 0; p && p < end && tags < ACCEPT_TAGS_MAX; tags++) {
		const char *comma = memchr(p, ',', (size_t)(end - p));
		const char *stop = comma ? comma : end;
		while (p < stop && (*p == ' ' || *p == '\t'))
			p++;
		size_t n = strcspn(p, " \t;,");
		n = n > (size_t)(stop - p) ? (size_t)(stop - p) : n;
		int lang = lang_of_range(p, n), q = accept_q(p + n, (size_t)(stop - p - n));
		if (lang >= 0 && avail[lang] && q > best_q) {
			best = lang;
			best_q = q;
		}
		p = comma ? comma + 1 : end;
	}
	return best;
}

int ui_lang_find(const char *code, const bool avail[UI_LANGS])
{
	for (int i = 0; code && i < UI_LANGS; i++)
		if (strcmp(ui_langs[i].code, code) == 0 && avail[i])
			return i;
	return -1;
}

/* The same check as patrol.yaml's display.timezone: a zone file of the server's zoneinfo (a
 * browser knows the same IANA names). */
bool ui_tz_valid(const char *tz)
{
	return tz && strlen(tz) <= UI_TZ_MAX && clock_zone_exists(tz);
}

int ui__langs_load(struct ui *ui, const char *localedir)
{
	ui->avail[0] = true;
	for (int i = 1; i < UI_LANGS; i++) {
		char path[4096];
		int n = snprintf(path, sizeof(path), "%s/%s/LC_MESSAGES/%s.mo", localedir,
				 ui_langs[i].code, "patrol");
		if (n < 0 || (size_t)n >= sizeof(path))
			continue;
		/* A missing or broken catalog leaves that language out; the UI still serves. */
		ui->avail[i] = ui_catalog_load(path, &ui->cats[i]) == 0;
	}
	return 0;
}

void ui__langs_free(struct ui *ui)
{
	for (int i = 0; i < UI_LANGS; i++) {
		ui_catalog_free(ui->cats[i]);
		ui->cats[i] = NULL;
	}
}

const char *ui__tr(const struct ui_req *r, const char *msgid)
{
	const char *t = ui_catalog_get(r->ui->cats[r->lang], msgid);
	return t ? t : msgid;
}

const char *ui__ntr(const struct ui_req *r, const char *singular, const char *plural,
		    unsigned long n)
{
	const char *t = ui_catalog_nget(r->ui->cats[r->lang], singular, plural, n);
	return t ? t : n == 1 ? singular : plural;
}

int ui__text(struct ui_req *r, const char *msgid)
{
	return ui_html(&r->page, ui__tr(r, msgid));
}

int ui__htmlf(struct buf *b, const char *fmt, ...)
{
	char tmp[2048];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	return n < 0 ? ERR_INTERNAL : ui_html(b, tmp);
}

int ui__html_sub(struct buf *b, const char *fmt, const char *html)
{
	/* a translation may number its one argument (%1$s): the catalog check lets it through */
	const char *s = strstr(fmt, "%s"), *p = strstr(fmt, "%1$s");
	size_t skip = 2;
	if (p && (!s || p < s)) {
		s = p;
		skip = 4;
	}
	if (!s)
		return ui_html(b, fmt);
	int rc = ui_html_n(b, fmt, (size_t)(s - fmt));
	rc = rc ? rc : buf_addstr(b, html);
	return rc ? rc : ui_html(b, s + skip);
}
