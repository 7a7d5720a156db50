/* SPDX-License-Identifier: MIT */
/* Charset sniffing and conversion to UTF-8 (charset.h).
 *
 * Labels resolve through the WHATWG Encoding label table compiled in below, so nothing is read at
 * run time. Behind each WHATWG name sits the decoder that matches it best: UTF-8, windows-1252,
 * x-user-defined and replacement are decoded here; the rest go through glibc iconv under the name
 * that is WHATWG's real repertoire (GBK is GB18030, Shift_JIS is CP932, EUC-KR is CP949, Big5 is
 * BIG5-HKSCS). A byte that does not decode becomes U+FFFD and decoding goes on after it, so the
 * output is always valid UTF-8. Pages that declare nothing and are not UTF-8 go to uchardet,
 * whose answer is read as a label too. No shared state: each call opens its own iconv
 * descriptor and detector.
 */
#include "parsers/charset.h"

#include "common/err.h"

#include <errno.h>
#include <iconv.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <uchardet/uchardet.h>

#define PRESCAN_LEN 1024      /* the HTML standard's prescan window */
#define LATE_META_LEN 65536   /* a <meta> after the window still counts when nothing else decided */
#define LABEL_MAX 32          /* longer strings are no label */
#define DETECT_LEN 65536      /* uchardet sees at most this much: enough to decide, and bounded */

static const char utf8_fffd[3] = {'\xEF', '\xBF', '\xBD'};

/* The WHATWG encodings, in the order of encodings.json. */
enum enc {
	ENC_UTF_8,
	ENC_IBM866,
	ENC_ISO_8859_2,
	ENC_ISO_8859_3,
	ENC_ISO_8859_4,
	ENC_ISO_8859_5,
	ENC_ISO_8859_6,
	ENC_ISO_8859_7,
	ENC_ISO_8859_8,
	ENC_ISO_8859_8_I,
	ENC_ISO_8859_10,
	ENC_ISO_8859_13,
	ENC_ISO_8859_14,
	ENC_ISO_8859_15,
	ENC_ISO_8859_16,
	ENC_KOI8_R,
	ENC_KOI8_U,
	ENC_MACINTOSH,
	ENC_WINDOWS_874,
	ENC_WINDOWS_1250,
	ENC_WINDOWS_1251,
	ENC_WINDOWS_1252,
	ENC_WINDOWS_1253,
	ENC_WINDOWS_1254,
	ENC_WINDOWS_1255,
	ENC_WINDOWS_1256,
	ENC_WINDOWS_1257,
	ENC_WINDOWS_1258,
	ENC_X_MAC_CYRILLIC,
	ENC_GBK,
	ENC_GB18030,
	ENC_BIG5,
	ENC_EUC_JP,
	ENC_ISO_2022_JP,
	ENC_SHIFT_JIS,
	ENC_EUC_KR,
	ENC_REPLACEMENT,
	ENC_UTF_16BE,
	ENC_UTF_16LE,
	ENC_X_USER_DEFINED,
	ENC_COUNT,
};

/* iconv is NULL for the decoders written here. */
struct encoding {
	const char *name;
	const char *iconv;
};

static const struct encoding encodings[ENC_COUNT] = {
	[ENC_UTF_8] = {"UTF-8", NULL},
	[ENC_IBM866] = {"IBM866", "IBM866"},
	[ENC_ISO_8859_2] = {"ISO-8859-2", "ISO-8859-2"},
	[ENC_ISO_8859_3] = {"ISO-8859-3", "ISO-8859-3"},
	[ENC_ISO_8859_4] = {"ISO-8859-4", "ISO-8859-4"},
	[ENC_ISO_8859_5] = {"ISO-8859-5", "ISO-8859-5"},
	[ENC_ISO_8859_6] = {"ISO-8859-6", "ISO-8859-6"},
	[ENC_ISO_8859_7] = {"ISO-8859-7", "ISO-8859-7"},
	[ENC_ISO_8859_8] = {"ISO-8859-8", "ISO-8859-8"},
	[ENC_ISO_8859_8_I] = {"ISO-8859-8-I", "ISO-8859-8"},
	[ENC_ISO_8859_10] = {"ISO-8859-10", "ISO-8859-10"},
	[ENC_ISO_8859_13] = {"ISO-8859-13", "ISO-8859-13"},
	[ENC_ISO_8859_14] = {"ISO-8859-14", "ISO-8859-14"},
	[ENC_ISO_8859_15] = {"ISO-8859-15", "ISO-8859-15"},
	[ENC_ISO_8859_16] = {"ISO-8859-16", "ISO-8859-16"},
	[ENC_KOI8_R] = {"KOI8-R", "KOI8-R"},
	[ENC_KOI8_U] = {"KOI8-U", "KOI8-U"},
	[ENC_MACINTOSH] = {"macintosh", "MACINTOSH"},
	[ENC_WINDOWS_874] = {"windows-874", "CP874"},
	[ENC_WINDOWS_1250] = {"windows-1250", "CP1250"},
	[ENC_WINDOWS_1251] = {"windows-1251", "CP1251"},
	[ENC_WINDOWS_1252] = {"windows-1252", NULL},
	[ENC_WINDOWS_1253] = {"windows-1253", "CP1253"},
	[ENC_WINDOWS_1254] = {"windows-1254", "CP1254"},
	[ENC_WINDOWS_1255] = {"windows-1255", "CP1255"},
	[ENC_WINDOWS_1256] = {"windows-1256", "CP1256"},
	[ENC_WINDOWS_1257] = {"windows-1257", "CP1257"},
	[ENC_WINDOWS_1258] = {"windows-1258", "CP1258"},
	[ENC_X_MAC_CYRILLIC] = {"x-mac-cyrillic", "MAC-CYRILLIC"},
	[ENC_GBK] = {"GBK", "GB18030"},
	[ENC_GB18030] = {"gb18030", "GB18030"},
	[ENC_BIG5] = {"Big5", "BIG5-HKSCS"},
	[ENC_EUC_JP] = {"EUC-JP", "EUC-JP"},
	[ENC_ISO_2022_JP] = {"ISO-2022-JP", "ISO-2022-JP"},
	[ENC_SHIFT_JIS] = {"Shift_JIS", "CP932"},
	[ENC_EUC_KR] = {"EUC-KR", "CP949"},
	[ENC_REPLACEMENT] = {"replacement", NULL},
	[ENC_UTF_16BE] = {"UTF-16BE", "UTF-16BE"},
	[ENC_UTF_16LE] = {"UTF-16LE", "UTF-16LE"},
	[ENC_X_USER_DEFINED] = {"x-user-defined", NULL},
};

struct label {
	const char *label;
	enum enc enc;
};

/* Generated from the WHATWG Encoding Standard's encodings.json (whatwg/encoding commit a985b62a,
 * sha256 078212b3...; ../shared/conformance/charset/encodings.json), sorted for bsearch:
 *   jq -r '[.[].encodings[] | .name as $n | .labels[] | [., $n]] | sort_by(.[0]) | .[]
 *          | "\(.[0])\t\(.[1])"' encodings.json
 * then each name turned into its enum (uppercase, non-alphanumerics to '_'). */
static const struct label labels[] = {
	{"866", ENC_IBM866},
	{"ansi_x3.4-1968", ENC_WINDOWS_1252},
	{"arabic", ENC_ISO_8859_6},
	{"ascii", ENC_WINDOWS_1252},
	{"asmo-708", ENC_ISO_8859_6},
	{"big5", ENC_BIG5},
	{"big5-hkscs", ENC_BIG5},
	{"chinese", ENC_GBK},
	{"cn-big5", ENC_BIG5},
	{"cp1250", ENC_WINDOWS_1250},
	{"cp1251", ENC_WINDOWS_1251},
	{"cp1252", ENC_WINDOWS_1252},
	{"cp1253", ENC_WINDOWS_1253},
	{"cp1254", ENC_WINDOWS_1254},
	{"cp1255", ENC_WINDOWS_1255},
	{"cp1256", ENC_WINDOWS_1256},
	{"cp1257", ENC_WINDOWS_1257},
	{"cp1258", ENC_WINDOWS_1258},
	{"cp819", ENC_WINDOWS_1252},
	{"cp866", ENC_IBM866},
	{"csbig5", ENC_BIG5},
	{"cseuckr", ENC_EUC_KR},
	{"cseucpkdfmtjapanese", ENC_EUC_JP},
	{"csgb2312", ENC_GBK},
	{"csibm866", ENC_IBM866},
	{"csiso2022jp", ENC_ISO_2022_JP},
	{"csiso2022kr", ENC_REPLACEMENT},
	{"csiso58gb231280", ENC_GBK},
	{"csiso88596e", ENC_ISO_8859_6},
	{"csiso88596i", ENC_ISO_8859_6},
	{"csiso88598e", ENC_ISO_8859_8},
	{"csiso88598i", ENC_ISO_8859_8_I},
	{"csisolatin1", ENC_WINDOWS_1252},
	{"csisolatin2", ENC_ISO_8859_2},
	{"csisolatin3", ENC_ISO_8859_3},
	{"csisolatin4", ENC_ISO_8859_4},
	{"csisolatin5", ENC_WINDOWS_1254},
	{"csisolatin6", ENC_ISO_8859_10},
	{"csisolatin9", ENC_ISO_8859_15},
	{"csisolatinarabic", ENC_ISO_8859_6},
	{"csisolatincyrillic", ENC_ISO_8859_5},
	{"csisolatingreek", ENC_ISO_8859_7},
	{"csisolatinhebrew", ENC_ISO_8859_8},
	{"cskoi8r", ENC_KOI8_R},
	{"csksc56011987", ENC_EUC_KR},
	{"csmacintosh", ENC_MACINTOSH},
	{"csshiftjis", ENC_SHIFT_JIS},
	{"csunicode", ENC_UTF_16LE},
	{"cyrillic", ENC_ISO_8859_5},
	{"dos-874", ENC_WINDOWS_874},
	{"ecma-114", ENC_ISO_8859_6},
	{"ecma-118", ENC_ISO_8859_7},
	{"elot_928", ENC_ISO_8859_7},
	{"euc-jp", ENC_EUC_JP},
	{"euc-kr", ENC_EUC_KR},
	{"gb18030", ENC_GB18030},
	{"gb2312", ENC_GBK},
	{"gb_2312", ENC_GBK},
	{"gb_2312-80", ENC_GBK},
	{"gbk", ENC_GBK},
	{"greek", ENC_ISO_8859_7},
	{"greek8", ENC_ISO_8859_7},
	{"hebrew", ENC_ISO_8859_8},
	{"hz-gb-2312", ENC_REPLACEMENT},
	{"ibm819", ENC_WINDOWS_1252},
	{"ibm866", ENC_IBM866},
	{"iso-10646-ucs-2", ENC_UTF_16LE},
	{"iso-2022-cn", ENC_REPLACEMENT},
	{"iso-2022-cn-ext", ENC_REPLACEMENT},
	{"iso-2022-jp", ENC_ISO_2022_JP},
	{"iso-2022-kr", ENC_REPLACEMENT},
	{"iso-8859-1", ENC_WINDOWS_1252},
	{"iso-8859-10", ENC_ISO_8859_10},
	{"iso-8859-11", ENC_WINDOWS_874},
	{"iso-8859-13", ENC_ISO_8859_13},
	{"iso-8859-14", ENC_ISO_8859_14},
	{"iso-8859-15", ENC_ISO_8859_15},
	{"iso-8859-16", ENC_ISO_8859_16},
	{"iso-8859-2", ENC_ISO_8859_2},
	{"iso-8859-3", ENC_ISO_8859_3},
	{"iso-8859-4", ENC_ISO_8859_4},
	{"iso-8859-5", ENC_ISO_8859_5},
	{"iso-8859-6", ENC_ISO_8859_6},
	{"iso-8859-6-e", ENC_ISO_8859_6},
	{"iso-8859-6-i", ENC_ISO_8859_6},
	{"iso-8859-7", ENC_ISO_8859_7},
	{"iso-8859-8", ENC_ISO_8859_8},
	{"iso-8859-8-e", ENC_ISO_8859_8},
	{"iso-8859-8-i", ENC_ISO_8859_8_I},
	{"iso-8859-9", ENC_WINDOWS_1254},
	{"iso-ir-100", ENC_WINDOWS_1252},
	{"iso-ir-101", ENC_ISO_8859_2},
	{"iso-ir-109", ENC_ISO_8859_3},
	{"iso-ir-110", ENC_ISO_8859_4},
	{"iso-ir-126", ENC_ISO_8859_7},
	{"iso-ir-127", ENC_ISO_8859_6},
	{"iso-ir-138", ENC_ISO_8859_8},
	{"iso-ir-144", ENC_ISO_8859_5},
	{"iso-ir-148", ENC_WINDOWS_1254},
	{"iso-ir-149", ENC_EUC_KR},
	{"iso-ir-157", ENC_ISO_8859_10},
	{"iso-ir-58", ENC_GBK},
	{"iso8859-1", ENC_WINDOWS_1252},
	{"iso8859-10", ENC_ISO_8859_10},
	{"iso8859-11", ENC_WINDOWS_874},
	{"iso8859-13", ENC_ISO_8859_13},
	{"iso8859-14", ENC_ISO_8859_14},
	{"iso8859-15", ENC_ISO_8859_15},
	{"iso8859-2", ENC_ISO_8859_2},
	{"iso8859-3", ENC_ISO_8859_3},
	{"iso8859-4", ENC_ISO_8859_4},
	{"iso8859-5", ENC_ISO_8859_5},
	{"iso8859-6", ENC_ISO_8859_6},
	{"iso8859-7", ENC_ISO_8859_7},
	{"iso8859-8", ENC_ISO_8859_8},
	{"iso8859-9", ENC_WINDOWS_1254},
	{"iso88591", ENC_WINDOWS_1252},
	{"iso885910", ENC_ISO_8859_10},
	{"iso885911", ENC_WINDOWS_874},
	{"iso885913", ENC_ISO_8859_13},
	{"iso885914", ENC_ISO_8859_14},
	{"iso885915", ENC_ISO_8859_15},
	{"iso88592", ENC_ISO_8859_2},
	{"iso88593", ENC_ISO_8859_3},
	{"iso88594", ENC_ISO_8859_4},
	{"iso88595", ENC_ISO_8859_5},
	{"iso88596", ENC_ISO_8859_6},
	{"iso88597", ENC_ISO_8859_7},
	{"iso88598", ENC_ISO_8859_8},
	{"iso88599", ENC_WINDOWS_1254},
	{"iso_8859-1", ENC_WINDOWS_1252},
	{"iso_8859-15", ENC_ISO_8859_15},
	{"iso_8859-1:1987", ENC_WINDOWS_1252},
	{"iso_8859-2", ENC_ISO_8859_2},
	{"iso_8859-2:1987", ENC_ISO_8859_2},
	{"iso_8859-3", ENC_ISO_8859_3},
	{"iso_8859-3:1988", ENC_ISO_8859_3},
	{"iso_8859-4", ENC_ISO_8859_4},
	{"iso_8859-4:1988", ENC_ISO_8859_4},
	{"iso_8859-5", ENC_ISO_8859_5},
	{"iso_8859-5:1988", ENC_ISO_8859_5},
	{"iso_8859-6", ENC_ISO_8859_6},
	{"iso_8859-6:1987", ENC_ISO_8859_6},
	{"iso_8859-7", ENC_ISO_8859_7},
	{"iso_8859-7:1987", ENC_ISO_8859_7},
	{"iso_8859-8", ENC_ISO_8859_8},
	{"iso_8859-8:1988", ENC_ISO_8859_8},
	{"iso_8859-9", ENC_WINDOWS_1254},
	{"iso_8859-9:1989", ENC_WINDOWS_1254},
	{"koi", ENC_KOI8_R},
	{"koi8", ENC_KOI8_R},
	{"koi8-r", ENC_KOI8_R},
	{"koi8-ru", ENC_KOI8_U},
	{"koi8-u", ENC_KOI8_U},
	{"koi8_r", ENC_KOI8_R},
	{"korean", ENC_EUC_KR},
	{"ks_c_5601-1987", ENC_EUC_KR},
	{"ks_c_5601-1989", ENC_EUC_KR},
	{"ksc5601", ENC_EUC_KR},
	{"ksc_5601", ENC_EUC_KR},
	{"l1", ENC_WINDOWS_1252},
	{"l2", ENC_ISO_8859_2},
	{"l3", ENC_ISO_8859_3},
	{"l4", ENC_ISO_8859_4},
	{"l5", ENC_WINDOWS_1254},
	{"l6", ENC_ISO_8859_10},
	{"l9", ENC_ISO_8859_15},
	{"latin1", ENC_WINDOWS_1252},
	{"latin2", ENC_ISO_8859_2},
	{"latin3", ENC_ISO_8859_3},
	{"latin4", ENC_ISO_8859_4},
	{"latin5", ENC_WINDOWS_1254},
	{"latin6", ENC_ISO_8859_10},
	{"logical", ENC_ISO_8859_8_I},
	{"mac", ENC_MACINTOSH},
	{"macintosh", ENC_MACINTOSH},
	{"ms932", ENC_SHIFT_JIS},
	{"ms_kanji", ENC_SHIFT_JIS},
	{"replacement", ENC_REPLACEMENT},
	{"shift-jis", ENC_SHIFT_JIS},
	{"shift_jis", ENC_SHIFT_JIS},
	{"sjis", ENC_SHIFT_JIS},
	{"sun_eu_greek", ENC_ISO_8859_7},
	{"tis-620", ENC_WINDOWS_874},
	{"ucs-2", ENC_UTF_16LE},
	{"unicode", ENC_UTF_16LE},
	{"unicode-1-1-utf-8", ENC_UTF_8},
	{"unicode11utf8", ENC_UTF_8},
	{"unicode20utf8", ENC_UTF_8},
	{"unicodefeff", ENC_UTF_16LE},
	{"unicodefffe", ENC_UTF_16BE},
	{"us-ascii", ENC_WINDOWS_1252},
	{"utf-16", ENC_UTF_16LE},
	{"utf-16be", ENC_UTF_16BE},
	{"utf-16le", ENC_UTF_16LE},
	{"utf-8", ENC_UTF_8},
	{"utf8", ENC_UTF_8},
	{"visual", ENC_ISO_8859_8},
	{"windows-1250", ENC_WINDOWS_1250},
	{"windows-1251", ENC_WINDOWS_1251},
	{"windows-1252", ENC_WINDOWS_1252},
	{"windows-1253", ENC_WINDOWS_1253},
	{"windows-1254", ENC_WINDOWS_1254},
	{"windows-1255", ENC_WINDOWS_1255},
	{"windows-1256", ENC_WINDOWS_1256},
	{"windows-1257", ENC_WINDOWS_1257},
	{"windows-1258", ENC_WINDOWS_1258},
	{"windows-31j", ENC_SHIFT_JIS},
	{"windows-874", ENC_WINDOWS_874},
	{"windows-949", ENC_EUC_KR},
	{"x-cp1250", ENC_WINDOWS_1250},
	{"x-cp1251", ENC_WINDOWS_1251},
	{"x-cp1252", ENC_WINDOWS_1252},
	{"x-cp1253", ENC_WINDOWS_1253},
	{"x-cp1254", ENC_WINDOWS_1254},
	{"x-cp1255", ENC_WINDOWS_1255},
	{"x-cp1256", ENC_WINDOWS_1256},
	{"x-cp1257", ENC_WINDOWS_1257},
	{"x-cp1258", ENC_WINDOWS_1258},
	{"x-euc-jp", ENC_EUC_JP},
	{"x-gbk", ENC_GBK},
	{"x-mac-cyrillic", ENC_X_MAC_CYRILLIC},
	{"x-mac-roman", ENC_MACINTOSH},
	{"x-mac-ukrainian", ENC_X_MAC_CYRILLIC},
	{"x-sjis", ENC_SHIFT_JIS},
	{"x-unicode20utf8", ENC_UTF_8},
	{"x-user-defined", ENC_X_USER_DEFINED},
	{"x-x-big5", ENC_BIG5},
};

/* U+0080..U+009F of windows-1252 as WHATWG defines it (0x81, 0x8D, 0x8F, 0x90, 0x9D map to
 * themselves, where glibc's CP1252 has holes). */
static const uint16_t cp1252_c1[32] = {
	0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
	0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x008D, 0x017D, 0x008F,
	0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
	0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178,
};

const char *charset_source_name(enum charset_source src)
{
	switch (src) {
	case CHARSET_SOURCE_BOM:
		return "bom";
	case CHARSET_SOURCE_HEADER:
		return "header";
	case CHARSET_SOURCE_META:
		return "meta";
	case CHARSET_SOURCE_DETECTED:
		return "detected";
	case CHARSET_SOURCE_DEFAULT:
		return "default";
	}
	return "unknown";
}

static bool is_ws(unsigned char c)
{
	return c == 0x09 || c == 0x0A || c == 0x0C || c == 0x0D || c == 0x20;
}

static unsigned char lower(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c + 32) : c;
}

static int label_cmp(const void *key, const void *elem)
{
	return strcmp(key, ((const struct label *)elem)->label);
}

/* The encoding a label names (ASCII white space trimmed, case ignored), or -1. */
static int label_lookup(const char *s, size_t n)
{
	char key[LABEL_MAX];
	while (n > 0 && is_ws((unsigned char)s[0])) {
		s++;
		n--;
	}
	while (n > 0 && is_ws((unsigned char)s[n - 1]))
		n--;
	if (n == 0 || n >= sizeof(key))
		return -1;
	for (size_t i = 0; i < n; i++)
		key[i] = (char)lower((unsigned char)s[i]);
	key[n] = '\0';
	size_t n_labels = sizeof(labels) / sizeof(labels[0]);
	const struct label *l = bsearch(key, labels, n_labels, sizeof(labels[0]), label_cmp);
	return l ? (int)l->enc : -1;
}

/* ---- Sniffing ---- */

static int sniff_bom(const unsigned char *s, size_t n)
{
	if (n >= 3 && s[0] == 0xEF && s[1] == 0xBB && s[2] == 0xBF)
		return ENC_UTF_8;
	if (n >= 2 && s[0] == 0xFE && s[1] == 0xFF)
		return ENC_UTF_16BE;
	if (n >= 2 && s[0] == 0xFF && s[1] == 0xFE)
		return ENC_UTF_16LE;
	return -1;
}

/* The value of a quoted-string at s (after the opening quote), unescaped into out; its length or
 * -1 when it does not fit. */
static int quoted_value(const char *s, char out[LABEL_MAX])
{
	size_t n = 0;
	for (; *s && *s != '"'; s++) {
		if (*s == '\\' && s[1])
			s++;
		if (n + 1 >= LABEL_MAX)
			return -1;
		out[n++] = *s;
	}
	return (int)n;
}

/* The encoding named by the first charset parameter of a Content-Type value, or -1. */
static int sniff_header(const char *ct)
{
	const char *p = ct ? strchr(ct, ';') : NULL;
	while (p) {
		p++;
		while (is_ws((unsigned char)*p))
			p++;
		size_t name_len = strcspn(p, "=;");
		const char *eq = p + name_len;
		if (*eq == '=' && name_len == 7 && strncasecmp(p, "charset", 7) == 0) {
			if (eq[1] != '"')
				return label_lookup(eq + 1, strcspn(eq + 1, ";"));
			char val[LABEL_MAX];
			int n = quoted_value(eq + 2, val);
			return n < 0 ? -1 : label_lookup(val, (size_t)n);
		}
		/* A quoted value may hide a ';'; skip over it before looking for the next one. */
		if (*eq == '=' && eq[1] == '"') {
			const char *q = eq + 2;
			while (*q && *q != '"')
				q += (*q == '\\' && q[1]) ? 2 : 1;
			p = strchr(q, ';');
		} else {
			p = strchr(eq, ';');
		}
	}
	return -1;
}

/* ---- The HTML standard's prescan ("prescan a byte stream to determine its encoding") ---- */

struct scan {
	const unsigned char *s;
	size_t n, pos;
};

struct attr {
	char name[16];
	char value[128];
	size_t name_len, value_len;
	bool too_long; /* a part did not fit: the attribute matches nothing */
};

enum { ATTR_NONE, ATTR_FOUND, ATTR_ABORT };

static void attr_push(char *buf, size_t cap, size_t *len, bool *too_long, unsigned char c)
{
	if (*len + 1 < cap)
		buf[(*len)++] = (char)lower(c);
	else
		*too_long = true;
}

static void attr_value_push(struct attr *a, unsigned char c)
{
	attr_push(a->value, sizeof(a->value), &a->value_len, &a->too_long, c);
}

static bool scan_end(const struct scan *sc)
{
	return sc->pos >= sc->n;
}

static unsigned char scan_byte(const struct scan *sc)
{
	return sc->s[sc->pos];
}

static int attr_value(struct scan *sc, struct attr *a)
{
	while (!scan_end(sc) && is_ws(scan_byte(sc)))
		sc->pos++;
	if (scan_end(sc))
		return ATTR_ABORT;
	unsigned char q = scan_byte(sc);
	if (q == '"' || q == '\'') {
		for (sc->pos++; !scan_end(sc); sc->pos++) {
			if (scan_byte(sc) == q) {
				sc->pos++;
				return ATTR_FOUND;
			}
			attr_value_push(a, scan_byte(sc));
		}
		return ATTR_ABORT;
	}
	if (q == '>')
		return ATTR_FOUND;
	for (; !scan_end(sc); sc->pos++) {
		if (is_ws(scan_byte(sc)) || scan_byte(sc) == '>')
			return ATTR_FOUND;
		attr_value_push(a, scan_byte(sc));
	}
	return ATTR_ABORT;
}

/* "Get an attribute": the next attribute of the tag at sc->pos, names and values lowercased. */
static int attr_get(struct scan *sc, struct attr *a)
{
	memset(a, 0, sizeof(*a));
	while (!scan_end(sc) && (is_ws(scan_byte(sc)) || scan_byte(sc) == '/'))
		sc->pos++;
	if (scan_end(sc))
		return ATTR_ABORT;
	if (scan_byte(sc) == '>')
		return ATTR_NONE;
	for (;; sc->pos++) {
		if (scan_end(sc))
			return ATTR_ABORT;
		unsigned char c = scan_byte(sc);
		if (c == '=' && a->name_len > 0) {
			sc->pos++;
			return attr_value(sc, a);
		}
		if (is_ws(c))
			break;
		if (c == '/' || c == '>')
			return ATTR_FOUND;
		attr_push(a->name, sizeof(a->name), &a->name_len, &a->too_long, c);
	}
	while (!scan_end(sc) && is_ws(scan_byte(sc)))
		sc->pos++;
	if (scan_end(sc))
		return ATTR_ABORT;
	if (scan_byte(sc) != '=')
		return ATTR_FOUND;
	sc->pos++;
	return attr_value(sc, a);
}

/* "Extract a character encoding from a meta element": the charset=... inside a content value. */
static int content_charset(const char *v, size_t n)
{
	size_t pos = 0;
	for (;;) {
		const char *hit = memmem(v + pos, n - pos, "charset", 7);
		if (!hit)
			return -1;
		size_t p = (size_t)(hit - v) + 7;
		while (p < n && is_ws((unsigned char)v[p]))
			p++;
		if (p >= n || v[p] != '=') {
			pos = p;
			continue;
		}
		p++;
		while (p < n && is_ws((unsigned char)v[p]))
			p++;
		if (p >= n)
			return -1;
		if (v[p] == '"' || v[p] == '\'') {
			const char *close = memchr(v + p + 1, v[p], n - p - 1);
			return close ? label_lookup(v + p + 1, (size_t)(close - v) - p - 1) : -1;
		}
		size_t end = p;
		while (end < n && !is_ws((unsigned char)v[end]) && v[end] != ';')
			end++;
		return label_lookup(v + p, end - p);
	}
}

static bool attr_is(const struct attr *a, const char *name)
{
	return !a->too_long && strcmp(a->name, name) == 0;
}

/* The attributes of a <meta> tag; returns the encoding it declares, -1, or -2 to abort. */
static int prescan_meta(struct scan *sc)
{
	bool got_pragma = false, seen_http_equiv = false, seen_content = false;
	bool seen_charset = false;
	int need_pragma = -1; /* null */
	int charset = -1;     /* null or failure */
	struct attr a;
	int rc;
	while ((rc = attr_get(sc, &a)) == ATTR_FOUND) {
		if (attr_is(&a, "http-equiv") && !seen_http_equiv) {
			seen_http_equiv = true;
			got_pragma = strcmp(a.value, "content-type") == 0;
		} else if (attr_is(&a, "content") && !seen_content) {
			seen_content = true;
			int e = content_charset(a.value, a.value_len);
			if (e >= 0 && charset < 0 && need_pragma == -1) {
				charset = e;
				need_pragma = 1;
			}
		} else if (attr_is(&a, "charset") && !seen_charset) {
			seen_charset = true;
			charset = label_lookup(a.value, a.value_len);
			need_pragma = 0;
		}
	}
	if (rc == ATTR_ABORT)
		return -2;
	if (need_pragma == -1 || (need_pragma == 1 && !got_pragma) || charset < 0)
		return -1;
	if (charset == ENC_UTF_16BE || charset == ENC_UTF_16LE)
		return ENC_UTF_8;
	if (charset == ENC_X_USER_DEFINED)
		return ENC_WINDOWS_1252;
	return charset;
}

static bool scan_starts(const struct scan *sc, const char *lit)
{
	size_t n = strlen(lit);
	if (sc->n - sc->pos < n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (lower(sc->s[sc->pos + i]) != (unsigned char)lit[i])
			return false;
	return true;
}

static bool is_alpha(unsigned char c)
{
	return lower(c) >= 'a' && lower(c) <= 'z';
}

/* Skips a tag other than <meta>: its name, then its attributes. False to abort. */
static bool prescan_skip_tag(struct scan *sc)
{
	while (!scan_end(sc) && !is_ws(scan_byte(sc)) && scan_byte(sc) != '>')
		sc->pos++;
	struct attr a;
	int rc;
	while ((rc = attr_get(sc, &a)) == ATTR_FOUND)
		;
	return rc != ATTR_ABORT;
}

/* One step of the prescan at sc->pos: an encoding, -1 to go on, -2 to stop. */
static int prescan_step(struct scan *sc)
{
	if (scan_starts(sc, "<!--")) {
		size_t from = sc->pos + 2; /* "<!-->" is a whole comment */
		const unsigned char *end = memmem(sc->s + from, sc->n - from, "-->", 3);
		if (!end)
			return -2;
		sc->pos = (size_t)(end - sc->s) + 2;
		return -1;
	}
	if (scan_starts(sc, "<meta") && sc->n - sc->pos > 5 &&
	    (is_ws(sc->s[sc->pos + 5]) || sc->s[sc->pos + 5] == '/')) {
		sc->pos += 6;
		return prescan_meta(sc);
	}
	size_t rest = sc->n - sc->pos;
	const unsigned char *p = sc->s + sc->pos;
	if ((rest > 1 && p[0] == '<' && is_alpha(p[1])) ||
	    (rest > 2 && p[0] == '<' && p[1] == '/' && is_alpha(p[2])))
		return prescan_skip_tag(sc) ? -1 : -2;
	if (rest > 1 && p[0] == '<' && (p[1] == '!' || p[1] == '/' || p[1] == '?')) {
		const unsigned char *gt = memchr(p + 2, '>', rest - 2);
		if (!gt)
			return -2;
		sc->pos = (size_t)(gt - sc->s);
	}
	return -1;
}

static int prescan(const unsigned char *s, size_t n)
{
	struct scan sc = {s, n, 0};
	for (; sc.pos < sc.n; sc.pos++) {
		int e = prescan_step(&sc);
		if (e >= 0)
			return e;
		if (e == -2)
			return -1;
	}
	return -1;
}

/* ---- UTF-8 ---- */

/* The length of the well-formed UTF-8 sequence at s (n > 0 bytes available), or 0 when there is
 * none; *ret_bad is then the length of the maximal subpart that one U+FFFD replaces. */
/* The length of the ASCII run at s (n bytes), eight bytes at a time: most of a page's markup. */
static size_t ascii_run(const unsigned char *s, size_t n)
{
	size_t i = 0;
	for (uint64_t w; i + 8 <= n; i += 8) {
		memcpy(&w, s + i, 8);
		if (w & 0x8080808080808080u)
			break;
	}
	while (i < n && s[i] < 0x80)
		i++;
	return i;
}

static size_t utf8_seq(const unsigned char *s, size_t n, size_t *ret_bad)
{
	unsigned char c = s[0], lo = 0x80, hi = 0xBF;
	size_t need;
	if (c < 0x80)
		return 1;
	if (c >= 0xC2 && c <= 0xDF) {
		need = 2;
	} else if (c >= 0xE0 && c <= 0xEF) {
		need = 3;
		lo = c == 0xE0 ? 0xA0 : 0x80;
		hi = c == 0xED ? 0x9F : 0xBF;
	} else if (c >= 0xF0 && c <= 0xF4) {
		need = 4;
		lo = c == 0xF0 ? 0x90 : 0x80;
		hi = c == 0xF4 ? 0x8F : 0xBF;
	} else {
		*ret_bad = 1;
		return 0;
	}
	for (size_t i = 1; i < need; i++) {
		if (i >= n || s[i] < lo || s[i] > hi) {
			*ret_bad = i;
			return 0;
		}
		lo = 0x80;
		hi = 0xBF;
	}
	return need;
}

/* Whether s is valid UTF-8; a sequence cut short by the end still counts (a capped body). */
static bool utf8_valid(const unsigned char *s, size_t n)
{
	size_t pos = 0, bad;
	while (pos < n) {
		if (s[pos] < 0x80) {
			pos += ascii_run(s + pos, n - pos);
			continue;
		}
		size_t len = utf8_seq(s + pos, n - pos, &bad);
		if (len == 0)
			return pos + bad == n && s[pos] >= 0xC2 && s[pos] <= 0xF4;
		pos += len;
	}
	return true;
}

/* ---- Detection, when nothing declares the encoding ---- */

/* uchardet's names that are no WHATWG label, for the WHATWG encoding that decodes them: "UHC"
 * (Unified Hangul Code) is CP949, which is what WHATWG's EUC-KR decodes. The rest of its names
 * either are labels ("SHIFT_JIS", "GB18030", "BIG5", "WINDOWS-1251", ...) or name encodings
 * the web does not have (EUC-TW, VISCII, UTF-32, ...), which count as no answer. */
static const struct label detected_aliases[] = {
	{"uhc", ENC_EUC_KR},
};

/* Whether a guess may stand for e. UTF-16 only comes from a BOM or the header; the replacement
 * encoding and x-user-defined would blank or garble a page on the strength of a guess. */
static bool detectable(int e)
{
	return e >= 0 && e != ENC_UTF_16BE && e != ENC_UTF_16LE && e != ENC_REPLACEMENT &&
	       e != ENC_X_USER_DEFINED;
}

/* The WHATWG encoding for a name uchardet answers with, or -1. */
static int detected_lookup(const char *name)
{
	size_t n_aliases = sizeof(detected_aliases) / sizeof(detected_aliases[0]);
	int e = label_lookup(name, strlen(name));
	for (size_t i = 0; e < 0 && i < n_aliases; i++)
		if (strcasecmp(name, detected_aliases[i].label) == 0)
			e = (int)detected_aliases[i].enc;
	return detectable(e) ? e : -1;
}

/* The encoding uchardet makes of the first DETECT_LEN bytes, or -1 when it has no answer we can
 * use. Out of memory inside uchardet is "no answer" too: the default decides then, as it would
 * without detection (charset_sniff cannot fail). Each call has its own detector. */
static int detect(const char *raw, size_t len)
{
	uchardet_t ud = uchardet_new();
	if (!ud)
		return -1;
	int e = -1;
	if (uchardet_handle_data(ud, raw, len < DETECT_LEN ? len : DETECT_LEN) == 0) {
		uchardet_data_end(ud);
		const char *name = uchardet_get_charset(ud);
		e = name ? detected_lookup(name) : -1;
	}
	uchardet_delete(ud);
	return e;
}

void charset_sniff(const char *raw, size_t len, const char *content_type,
		   char ret_name[CHARSET_NAME_MAX], enum charset_source *ret_source)
{
	const unsigned char *s = (const unsigned char *)raw;
	enum charset_source src = CHARSET_SOURCE_BOM;
	int e = sniff_bom(s, len);
	if (e < 0) {
		src = CHARSET_SOURCE_HEADER;
		e = sniff_header(content_type);
	}
	if (e < 0) {
		src = CHARSET_SOURCE_META;
		e = prescan(s, len < PRESCAN_LEN ? len : PRESCAN_LEN);
	}
	if (e < 0 && utf8_valid(s, len)) {
		src = CHARSET_SOURCE_DETECTED;
		e = ENC_UTF_8;
	}
	/* The parser would change to the encoding of a later <meta> while unsure; do it here. */
	if (e < 0 && len > PRESCAN_LEN) {
		src = CHARSET_SOURCE_META;
		e = prescan(s, len < LATE_META_LEN ? len : LATE_META_LEN);
	}
	/* A guess comes after every declaration: the parser would leave a detected encoding for
	 * the one a later <meta> declares (its confidence is only "tentative"). */
	if (e < 0) {
		src = CHARSET_SOURCE_DETECTED;
		e = detect(raw, len);
	}
	if (e < 0) {
		src = CHARSET_SOURCE_DEFAULT;
		e = ENC_WINDOWS_1252;
	}
	snprintf(ret_name, CHARSET_NAME_MAX, "%s", encodings[e].name);
	*ret_source = src;
}

/* ---- Conversion ---- */

/* Output goes through a small staging buffer into out, always in whole characters. */
struct sink {
	struct buf *out;
	size_t n;
	char tmp[4096];
};

/* Appends p (whole UTF-8 characters) to out; when out's cap is reached, appends the longest
 * prefix that ends on a character boundary and returns ERR_TOO_BIG. */
static int add_prefix(struct buf *out, const char *p, size_t n)
{
	int rc = buf_add(out, p, n);
	if (rc != ERR_TOO_BIG)
		return rc;
	size_t room = out->max > out->len ? out->max - out->len : 0;
	if (room >= n)
		return rc;
	while (room > 0 && ((unsigned char)p[room] & 0xC0) == 0x80)
		room--;
	if (room > 0 && buf_add(out, p, room) != 0)
		return -ENOMEM;
	return ERR_TOO_BIG;
}

static int sink_flush(struct sink *k)
{
	int rc = add_prefix(k->out, k->tmp, k->n);
	k->n = 0;
	return rc;
}

static int sink_put(struct sink *k, const void *p, size_t len)
{
	if (k->n + len > sizeof(k->tmp)) {
		int rc = sink_flush(k);
		if (rc)
			return rc;
		if (len > sizeof(k->tmp))
			return add_prefix(k->out, p, len);
	}
	memcpy(k->tmp + k->n, p, len);
	k->n += len;
	return 0;
}

static int sink_cp(struct sink *k, uint32_t cp)
{
	char u[4];
	size_t n;
	if (cp < 0x80) {
		u[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (char)(0xC0 | (cp >> 6));
		u[1] = (char)(0x80 | (cp & 0x3F));
		n = 2;
	} else {
		u[0] = (char)(0xE0 | (cp >> 12));
		u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		u[2] = (char)(0x80 | (cp & 0x3F));
		n = 3;
	}
	return sink_put(k, u, n);
}

/* The length of the run at s of three-byte sequences led by E1..EC or EE..EF, whose two
 * continuation bytes may be any of 80..BF (utf8_seq's narrower ranges are for E0 and ED only):
 * most CJK text, checked here without a call per character. */
static size_t cjk_run(const unsigned char *s, size_t n)
{
	size_t i = 0;
	while (i + 3 <= n && s[i] >= 0xE1 && s[i] <= 0xEF && s[i] != 0xED &&
	       (s[i + 1] & 0xC0) == 0x80 && (s[i + 2] & 0xC0) == 0x80)
		i += 3;
	return i;
}

static int conv_utf8(const unsigned char *s, size_t n, struct sink *k)
{
	size_t pos = 0, run = 0, bad;
	int rc = 0;
	while (pos < n && !rc) {
		size_t len = s[pos] < 0x80 ? ascii_run(s + pos, n - pos) : cjk_run(s + pos, n - pos);
		if (!len && s[pos] >= 0x80)
			len = utf8_seq(s + pos, n - pos, &bad);
		if (len) {
			pos += len;
			continue;
		}
		rc = sink_put(k, s + run, pos - run);
		if (!rc)
			rc = sink_put(k, utf8_fffd, sizeof(utf8_fffd));
		pos += bad;
		run = pos;
	}
	return rc ? rc : sink_put(k, s + run, pos - run);
}

/* windows-1252 and x-user-defined: one code point per byte. */
static int conv_single(const unsigned char *s, size_t n, enum enc e, struct sink *k)
{
	size_t pos = 0;
	int rc = 0;
	while (pos < n && !rc) {
		size_t run = pos;
		while (pos < n && s[pos] < 0x80)
			pos++;
		rc = sink_put(k, s + run, pos - run);
		if (rc || pos == n)
			break;
		unsigned char c = s[pos++];
		if (e == ENC_X_USER_DEFINED)
			rc = sink_cp(k, 0xF780u + c - 0x80u);
		else
			rc = sink_cp(k, c < 0xA0 ? cp1252_c1[c - 0x80] : c);
	}
	return rc;
}

/* iconv stopped at an invalid sequence at *in: write its replacement and skip it. */
static int conv_invalid(struct sink *k, enum enc e, const char **in, size_t *left)
{
	size_t unit = (e == ENC_UTF_16BE || e == ENC_UTF_16LE) ? 2 : 1;
	int rc;
	if ((e == ENC_GBK || e == ENC_GB18030) && (unsigned char)**in == 0x80)
		rc = sink_cp(k, 0x20AC); /* WHATWG's gb18030 has the euro sign there, glibc not */
	else
		rc = sink_put(k, utf8_fffd, sizeof(utf8_fffd));
	if (unit > *left)
		unit = *left;
	*in += unit;
	*left -= unit;
	return rc;
}

static int conv_iconv(const char *raw, size_t len, enum enc e, struct sink *k)
{
	iconv_t cd = iconv_open("UTF-8", encodings[e].iconv);
	if (cd == (iconv_t)-1)
		return errno == EINVAL ? ERR_CHARSET : -errno;
	const char *in = raw;
	size_t left = len;
	int rc = 0;
	while (left > 0 && !rc) {
		char *o = k->tmp + k->n;
		size_t oleft = sizeof(k->tmp) - k->n;
		size_t r = iconv(cd, (char **)&in, &left, &o, &oleft);
		int err = errno;
		k->n = (size_t)(o - k->tmp);
		if (r != (size_t)-1)
			break;
		if (err == E2BIG) {
			rc = sink_flush(k);
		} else if (err == EILSEQ) {
			rc = conv_invalid(k, e, &in, &left);
		} else if (err == EINVAL) { /* cut short by the end of the input */
			rc = sink_put(k, utf8_fffd, sizeof(utf8_fffd));
			left = 0;
		} else {
			rc = -err;
		}
	}
	iconv_close(cd);
	return rc;
}

/* Length of a byte-order mark of encoding e at the start of s, or 0. */
static size_t bom_len(const unsigned char *s, size_t n, enum enc e)
{
	int b = sniff_bom(s, n);
	if (b < 0 || (enum enc)b != e)
		return 0;
	return e == ENC_UTF_8 ? 3 : 2;
}

static int convert(const char *raw, size_t len, enum enc e, struct buf *out)
{
	struct sink *k = malloc(sizeof(*k));
	if (!k)
		return -ENOMEM;
	k->out = out;
	k->n = 0;
	size_t skip = bom_len((const unsigned char *)raw, len, e);
	const unsigned char *s = (const unsigned char *)raw + skip;
	size_t n = len - skip;
	int rc;
	if (e == ENC_UTF_8)
		rc = conv_utf8(s, n, k);
	else if (e == ENC_WINDOWS_1252 || e == ENC_X_USER_DEFINED)
		rc = conv_single(s, n, e, k);
	else if (e == ENC_REPLACEMENT) /* the whole input is one error, by design (WHATWG) */
		rc = n ? sink_put(k, utf8_fffd, sizeof(utf8_fffd)) : 0;
	else
		rc = conv_iconv((const char *)s, n, e, k);
	if (!rc)
		rc = sink_flush(k);
	free(k);
	return rc;
}

int charset_convert(const char *raw, size_t len, const char *label, struct buf *out)
{
	int e = label ? label_lookup(label, strlen(label)) : -1;
	if (e < 0)
		return ERR_CHARSET;
	return convert(raw, len, (enum enc)e, out);
}

int charset_decode(const char *raw, size_t len, const char *content_type, struct buf *out,
		   char ret_name[CHARSET_NAME_MAX], enum charset_source *ret_source)
{
	char name[CHARSET_NAME_MAX];
	enum charset_source src;
	charset_sniff(raw, len, content_type, name, &src);
	int rc = charset_convert(raw, len, name, out);
	if (rc)
		return rc;
	memcpy(ret_name, name, CHARSET_NAME_MAX);
	*ret_source = src;
	return 0;
}
