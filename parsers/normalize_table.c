/* SPDX-License-Identifier: MIT */
/* The normalizer's tables (normalize_int.h), built once in normalize_new, and the utf8proc side
 * of the pass: mapping one unit of code points to its normalized form.
 *
 * OpenCC is asked once for the simplified form of every Han code point on its own, one per line,
 * so its phrase segmentation never joins two of them: the result is a character-level table that
 * keeps offsets one-to-one and runs at memory speed (OpenCC itself converts forum text at about
 * 7 MiB/s, DESIGN.md §6). The BMP table then records, for each code point, what it becomes alone
 * and whether anything before it could combine with it, so the pass only calls utf8proc for the
 * rare code points that need it. Only this file includes utf8proc.h and opencc.h.
 * Threads: OpenCC's converter could be shared (its conversion is const), but its C API writes
 * every failure into one process-wide std::string that opencc_error() reads, which races when
 * two threads fail at once; the converter is closed before normalize_new returns, so only
 * normalize_new itself must not run in two threads at once. utf8proc is pure.
 */
#include "parsers/normalize_int.h"

#include "common/err.h"

#include <errno.h>
#include <opencc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#define DEFAULT_CONFIG "t2s.json"
#define FFFD	       0xFFFDu

/* Han code points offered to OpenCC: Extension A and the URO, then Extensions B to F, where every
 * key of OpenCC's TSCharacters dictionary lies. Compatibility ideographs are not offered: NFKC
 * turns them into unified ones before the table is consulted. */
static const uint32_t han_ranges[][2] = {
	{0x3400, 0x4DBF},
	{0x4E00, 0x9FFF},
	{0x20000, 0x2EBEF},
};

/* Options for NFKC with case folding, in utf8proc's two steps. */
#define NFKD_CF	 (UTF8PROC_DECOMPOSE | UTF8PROC_COMPAT | UTF8PROC_CASEFOLD | UTF8PROC_STABLE)
#define NFC_STEP (UTF8PROC_COMPOSE | UTF8PROC_STABLE)

static size_t utf8_put(uint32_t cp, char *dst)
{
	return (size_t)utf8proc_encode_char((utf8proc_int32_t)cp, (utf8proc_uint8_t *)dst);
}

/* ---- traditional to simplified ---- */

static size_t han_count(void)
{
	size_t n = 0;
	for (size_t r = 0; r < sizeof(han_ranges) / sizeof(han_ranges[0]); r++)
		n += han_ranges[r][1] - han_ranges[r][0] + 1;
	return n;
}

/* Every offered code point followed by '\n', in range order. */
static char *han_lines(size_t *ret_len)
{
	char *s = malloc(han_count() * 5 + 1);
	if (!s)
		return NULL;
	size_t len = 0;
	for (size_t r = 0; r < sizeof(han_ranges) / sizeof(han_ranges[0]); r++)
		for (uint32_t cp = han_ranges[r][0]; cp <= han_ranges[r][1]; cp++) {
			len += utf8_put(cp, s + len);
			s[len++] = '\n';
		}
	s[len] = '\0';
	*ret_len = len;
	return s;
}

/* The one code point a line holds, or 0 when it holds none or several. */
static uint32_t line_cp(const char *line, size_t len)
{
	utf8proc_int32_t cp;
	utf8proc_ssize_t n =
		utf8proc_iterate((const utf8proc_uint8_t *)line, (utf8proc_ssize_t)len, &cp);
	return n > 0 && (size_t)n == len ? (uint32_t)cp : 0;
}

static uint32_t t2s(const struct normalizer *nz, uint32_t cp);

/* A character-level table can chain (薴 → 苧 → 苎): each pair goes to the end of its chain, so
 * the normalized view is a fixed point, normalizing it again changes nothing. */
static void resolve_chains(struct normalizer *nz)
{
	for (size_t i = 0; i < nz->nt2s; i++)
		for (int hop = 0; hop < 4; hop++) {
			uint32_t next = t2s(nz, nz->t2s[i].to);
			if (next == nz->t2s[i].to || next == nz->t2s[i].from)
				break;
			nz->t2s[i].to = next;
		}
}

/* Reads OpenCC's answer: line i is what the i-th offered code point became. The pairs come out
 * sorted, as the offers were. */
static int collect_pairs(struct normalizer *nz, const char *conv, char *err, size_t errlen)
{
	size_t cap = han_count() / 4, lines = 0;
	nz->t2s = malloc(cap * sizeof(*nz->t2s));
	if (!nz->t2s)
		return -ENOMEM;
	/* memchr within the known end, not strchr: ASan's strict_string_checks (CI) reads the
	 * whole rest of the string on every strchr, which made this loop quadratic there */
	const char *s = conv, *end = conv + strlen(conv);
	for (size_t r = 0; r < sizeof(han_ranges) / sizeof(han_ranges[0]); r++)
		for (uint32_t cp = han_ranges[r][0]; cp <= han_ranges[r][1]; cp++, lines++) {
			const char *nl = memchr(s, '\n', (size_t)(end - s));
			if (!nl) {
				snprintf(err, errlen,
					 "OpenCC returned %zu lines for %zu characters", lines,
					 han_count());
				return ERR_PARSE;
			}
			uint32_t to = line_cp(s, (size_t)(nl - s));
			if (to && to != cp && nz->nt2s < cap)
				nz->t2s[nz->nt2s++] = (struct normalize_pair){cp, to};
			s = nl + 1;
		}
	struct normalize_pair *fit = realloc(nz->t2s, (nz->nt2s + 1) * sizeof(*fit));
	if (fit)
		nz->t2s = fit;
	resolve_chains(nz);
	return 0;
}

static int opencc_fail(const char *config, const char *what, char *err, size_t errlen)
{
	const char *msg = opencc_error();
	/* OpenCC's FileNotFound says "<file> not found or not accessible."; a configuration that
	 * lacks a key says "Required property not found". */
	bool missing = strstr(msg, "not found or not accessible") != NULL;
	snprintf(err, errlen, "OpenCC configuration %s: %s: %s%s", config, what, msg,
		 missing ? " (Debian installs it with libopencc-data)" : "");
	return missing ? ERR_NOT_FOUND : ERR_PARSE;
}

static int t2s_build(struct normalizer *nz, const char *config, char *err, size_t errlen)
{
	size_t len;
	char *conv = NULL, *lines = han_lines(&len);
	if (!lines)
		return -ENOMEM;
	int rc;
	opencc_t cc = opencc_open(config);
	if (cc == (opencc_t)-1) {
		rc = opencc_fail(config, "cannot open", err, errlen);
		goto fail;
	}
	conv = opencc_convert_utf8(cc, lines, len);
	opencc_close(cc);
	if (!conv) {
		rc = opencc_fail(config, "cannot convert", err, errlen);
		goto fail;
	}
	rc = collect_pairs(nz, conv, err, errlen);
fail:
	if (conv)
		opencc_convert_utf8_free(conv);
	free(lines);
	return rc;
}

static int pair_cmp(const void *k, const void *e)
{
	uint32_t a = *(const uint32_t *)k, b = ((const struct normalize_pair *)e)->from;
	return a < b ? -1 : a > b;
}

static uint32_t t2s(const struct normalizer *nz, uint32_t cp)
{
	if (cp < han_ranges[0][0])
		return cp;
	const struct normalize_pair *p =
		bsearch(&cp, nz->t2s, nz->nt2s, sizeof(*nz->t2s), pair_cmp);
	return p ? p->to : cp;
}

/* ---- classes and digit forms ---- */

static bool is_cjk(uint32_t cp)
{
	return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) ||
	       (cp >= 0x20000 && cp <= 0x323AF) || (cp >= 0xF900 && cp <= 0xFAFF) ||
	       (cp >= 0x3005 && cp <= 0x3007) || (cp >= 0x3041 && cp <= 0x3096) ||
	       (cp >= 0x309D && cp <= 0x309F) || (cp >= 0x30A1 && cp <= 0x30FA) ||
	       (cp >= 0x30FC && cp <= 0x30FF) || (cp >= 0x31F0 && cp <= 0x31FF) ||
	       (cp >= 0x1B000 && cp <= 0x1B16F);
}

enum normalize_class normalize__class(uint32_t cp)
{
	if (cp == '\n')
		return NORMALIZE_CLASS_NEWLINE;
	if (is_cjk(cp))
		return NORMALIZE_CLASS_CJK;
	switch (utf8proc_category((utf8proc_int32_t)cp)) {
	case UTF8PROC_CATEGORY_ZS:
	case UTF8PROC_CATEGORY_PC:
	case UTF8PROC_CATEGORY_PD:
	case UTF8PROC_CATEGORY_PS:
	case UTF8PROC_CATEGORY_PE:
	case UTF8PROC_CATEGORY_PI:
	case UTF8PROC_CATEGORY_PF:
	case UTF8PROC_CATEGORY_PO:
	case UTF8PROC_CATEGORY_SM:
	case UTF8PROC_CATEGORY_SC:
	case UTF8PROC_CATEGORY_SK:
	case UTF8PROC_CATEGORY_SO: return NORMALIZE_CLASS_SEP;
	case UTF8PROC_CATEGORY_MN:
	case UTF8PROC_CATEGORY_MC:
	case UTF8PROC_CATEGORY_ME: return NORMALIZE_CLASS_MARK;
	default: return NORMALIZE_CLASS_OTHER;
	}
}

/* Enclosed digits NFKC leaves alone (it already maps ①, ⑴, ⒈, ¹, ₁, ０, 𝟏 and the like). */
static const struct digit_range {
	uint32_t first, last, value, step;
} digit_ranges[] = {
	{0x24EB, 0x24F4, 11, 1},  /* ⓫ to ⓴, negative circled */
	{0x24F5, 0x24FE, 1, 1},	  /* ⓵ to ⓾, double circled */
	{0x24FF, 0x24FF, 0, 1},	  /* ⓿ */
	{0x2776, 0x277F, 1, 1},	  /* ❶ to ❿, dingbat negative circled */
	{0x2780, 0x2789, 1, 1},	  /* ➀ to ➉, dingbat circled sans-serif */
	{0x278A, 0x2793, 1, 1},	  /* ➊ to ➓ */
	{0x3248, 0x324F, 10, 10}, /* ㉈ to ㉏, circled tens on a black square */
	{0x1F10B, 0x1F10C, 0, 0}, /* 🄋 🄌, circled sans-serif zero */
};

/* The value of a decimal digit of any script: Unicode encodes each script's digits as one run of
 * ten, zero first, so the value is the position in the run of Nd code points. */
static unsigned nd_value(uint32_t cp)
{
	uint32_t first = cp;
	while (first > 0 && cp - first < 64 &&
	       utf8proc_category((utf8proc_int32_t)(first - 1)) == UTF8PROC_CATEGORY_ND)
		first--;
	return (cp - first) % 10;
}

/* The ASCII digits a digit form stands for, in out; returns how many (0: not a digit form). */
static size_t digit_form(uint32_t cp, uint32_t out[2])
{
	if (cp < 0x80)
		return 0;
	for (size_t i = 0; i < sizeof(digit_ranges) / sizeof(digit_ranges[0]); i++) {
		const struct digit_range *d = &digit_ranges[i];
		if (cp < d->first || cp > d->last)
			continue;
		uint32_t v = d->value + (cp - d->first) * d->step;
		if (v >= 10) {
			out[0] = '0' + v / 10;
			out[1] = '0' + v % 10;
			return 2;
		}
		out[0] = '0' + v;
		return 1;
	}
	if (utf8proc_category((utf8proc_int32_t)cp) != UTF8PROC_CATEGORY_ND)
		return 0;
	out[0] = '0' + nd_value(cp);
	return 1;
}

/* ---- code points alone ---- */

/* Zero-width, format and control characters: Default_Ignorable_Code_Point and Cc, except the
 * controls that separate (tab, newlines, VT, FF, NEL), which map_special turns into ' ' or '\n'. */
static bool is_drop(uint32_t cp)
{
	if (cp == '\t' || cp == '\n' || cp == '\v' || cp == '\f' || cp == '\r' || cp == 0x85)
		return false;
	const utf8proc_property_t *p = utf8proc_get_property((utf8proc_int32_t)cp);
	return p->ignorable || p->category == UTF8PROC_CATEGORY_CC;
}

/* Separators that NFKC keeps as they are but the view writes one way. */
static uint32_t map_special(uint32_t cp)
{
	if (cp == '\t' || cp == '\v' || cp == '\f')
		return ' ';
	if (cp == '\r' || cp == 0x85 || cp == 0x2028 || cp == 0x2029)
		return '\n';
	if (cp >= 0x80 && utf8proc_category((utf8proc_int32_t)cp) == UTF8PROC_CATEGORY_ZS)
		return ' ';
	return cp;
}

static bool is_second(const struct normalizer *nz, uint32_t cp)
{
	if (cp < 0x10000)
		return nz->bmp[cp] & NORMALIZE_SECOND;
	for (size_t i = 0; i < nz->nseconds; i++)
		if (nz->seconds[i] == cp)
			return true;
	return false;
}

/* Whether nothing before cp can combine with it: the first code point of its NFKD with case
 * folding is a starter that is not the second half of a composition. Then normalizing the text
 * before cp and the text from cp on separately gives the same result as normalizing both. */
static bool boundary_before(const struct normalizer *nz, uint32_t cp)
{
	utf8proc_int32_t d[32]; /* the longest decomposition is 18 code points */
	int bc = 0;
	utf8proc_ssize_t n = utf8proc_decompose_char((utf8proc_int32_t)cp, d, 32, NFKD_CF, &bc);
	if (n <= 0)
		return true;
	if (utf8proc_get_property(d[0])->combining_class != 0)
		return false;
	return !is_second(nz, (uint32_t)d[0]);
}

uint32_t normalize__entry(const struct normalizer *nz, uint32_t cp)
{
	if (cp < 0x10000)
		return nz->bmp[cp];
	if (is_drop(cp))
		return NORMALIZE_KIND_DROP;
	return NORMALIZE_KIND_SLOW | (boundary_before(nz, cp) ? NORMALIZE_BOUNDARY : 0);
}

/* ---- units ---- */

/* NFKC with case folding of cps into d (cap entries); returns the count, or -1 when it does not
 * fit or utf8proc fails. */
static utf8proc_ssize_t nfkc_cf(const uint32_t *cps, size_t n, utf8proc_int32_t *d,
				utf8proc_ssize_t cap)
{
	char tmp[NORMALIZE_UNIT_MAX * 4] = {0};
	size_t len = 0;
	for (size_t i = 0; i < n; i++)
		len += utf8_put(cps[i], tmp + len);
	utf8proc_ssize_t m = utf8proc_decompose((const utf8proc_uint8_t *)tmp,
						(utf8proc_ssize_t)len, d, cap, NFKD_CF);
	if (m < 0 || m > cap)
		return -1;
	return utf8proc_normalize_utf32(d, m, NFC_STEP);
}

/* The steps after NFKC for one code point: appended to out at *k. */
static void finish_cp(const struct normalizer *nz, uint32_t cp, uint32_t *out, size_t *k)
{
	if (is_drop(cp))
		return;
	cp = map_special(cp);
	uint32_t dig[2];
	size_t nd = digit_form(cp, dig);
	for (size_t i = 0; i < nd; i++)
		out[(*k)++] = dig[i];
	if (!nd)
		out[(*k)++] = t2s(nz, cp);
}

/* Keeps at most NORMALIZE_MARKS_MAX combining marks after each starter of out[0..k). */
static size_t cap_marks(uint32_t *out, size_t k)
{
	size_t kept = 0, run = 0;
	for (size_t i = 0; i < k; i++) {
		bool mark = utf8proc_get_property((utf8proc_int32_t)out[i])->combining_class != 0;
		run = mark ? run + 1 : 0;
		if (run <= NORMALIZE_MARKS_MAX)
			out[kept++] = out[i];
	}
	return kept;
}

size_t normalize__map_unit(const struct normalizer *nz, const uint32_t *cps, size_t n,
			   uint32_t *out)
{
	utf8proc_int32_t d[NORMALIZE_UNIT_OUT / 2];
	utf8proc_ssize_t m = nfkc_cf(cps, n, d, NORMALIZE_UNIT_OUT / 2);
	size_t k = 0;
	if (m < 0 && n > 1) {
		/* Too long together (never for real text): each code point on its own. */
		for (size_t i = 0; i < n; i++) {
			uint32_t part[NORMALIZE_UNIT_OUT];
			size_t pn = normalize__map_unit(nz, &cps[i], 1, part);
			for (size_t j = 0; j < pn && k < NORMALIZE_UNIT_OUT; j++)
				out[k++] = part[j];
		}
		return cap_marks(out, k);
	}
	if (m < 0) {
		out[0] = FFFD;
		return 1;
	}
	for (utf8proc_ssize_t i = 0; i < m; i++)
		finish_cp(nz, (uint32_t)d[i], out, &k);
	return cap_marks(out, k);
}

/* ---- building ---- */

/* Marks the starters that are the second half of a canonical composition (the last code point
 * of a primary composite's decomposition): Hangul V and T jamo and a few vowel signs. */
static int find_seconds(struct normalizer *nz)
{
	for (uint32_t cp = 0; cp < 0x20000; cp++) {
		if (cp >= 0xD800 && cp <= 0xDFFF)
			continue;
		utf8proc_int32_t d[8], c[8];
		int bc = 0;
		utf8proc_ssize_t n = utf8proc_decompose_char((utf8proc_int32_t)cp, d, 8,
							     UTF8PROC_DECOMPOSE, &bc);
		if (n < 2 || n > 8)
			continue;
		memcpy(c, d, (size_t)n * sizeof(*d));
		if (utf8proc_normalize_utf32(c, n, NFC_STEP) != 1 || (uint32_t)c[0] != cp)
			continue;
		uint32_t second = (uint32_t)d[n - 1];
		if (utf8proc_get_property(d[n - 1])->combining_class != 0 || is_second(nz, second))
			continue;
		if (second < 0x10000) {
			nz->bmp[second] |= NORMALIZE_SECOND;
			continue;
		}
		uint32_t *s = realloc(nz->seconds, (nz->nseconds + 1) * sizeof(*s));
		if (!s)
			return -ENOMEM;
		nz->seconds = s;
		nz->seconds[nz->nseconds++] = second;
	}
	return 0;
}

static uint32_t bmp_entry(const struct normalizer *nz, uint32_t cp)
{
	uint32_t b = boundary_before(nz, cp) ? NORMALIZE_BOUNDARY : 0;
	if (cp >= 0xD800 && cp <= 0xDFFF) /* never decoded: invalid UTF-8 becomes U+FFFD */
		return NORMALIZE_KIND_MAP | FFFD | NORMALIZE_BOUNDARY;
	if (cp == '\r')
		return NORMALIZE_KIND_CR | (NORMALIZE_CLASS_NEWLINE << NORMALIZE_CLASS_SHIFT) |
		       NORMALIZE_BOUNDARY;
	if (is_drop(cp))
		return NORMALIZE_KIND_DROP;
	uint32_t out[NORMALIZE_UNIT_OUT];
	if (normalize__map_unit(nz, &cp, 1, out) != 1)
		return NORMALIZE_KIND_SLOW | b;
	return NORMALIZE_KIND_MAP | out[0] |
	       ((uint32_t)normalize__class(out[0]) << NORMALIZE_CLASS_SHIFT) | b;
}

/* Adds NORMALIZE_CJK3 and NORMALIZE_SAME to the BMP entry e of cp. */
static uint32_t fast_flags(uint32_t e, uint32_t cp)
{
	if ((e & NORMALIZE_KIND_MASK) != NORMALIZE_KIND_MAP)
		return e;
	uint32_t to = e & NORMALIZE_CP_MASK;
	if (to == cp)
		e |= NORMALIZE_SAME;
	if (cp >= 0x800 && to >= 0x800 && to <= 0xFFFF && (e & NORMALIZE_BOUNDARY) &&
	    (e & NORMALIZE_CLASS_MASK) >> NORMALIZE_CLASS_SHIFT == NORMALIZE_CLASS_CJK)
		e |= NORMALIZE_CJK3;
	return e;
}

/* Fills nz->cjk3 from the BMP entries of U+3000 to U+9FFF (leads 0xE3 to 0xE9). */
static void cjk3_slots(struct normalizer *nz)
{
	for (uint32_t cp = 0x3000; cp <= 0x9FFF; cp++) {
		uint32_t e = nz->bmp[cp];
		if (!(e & NORMALIZE_CJK3))
			continue;
		uint32_t w = (0xE0u | cp >> 12) | (0x80u | (cp >> 6 & 0x3Fu)) << 8 |
			     (0x80u | (cp & 0x3Fu)) << 16;
		nz->cjk3[NORMALIZE_CJK3_SLOT(w)] =
			(unsigned char)(NORMALIZE_FAST_CJK |
					(e & NORMALIZE_SAME ? NORMALIZE_FAST_SAME : 0));
	}
}

int normalize__tables_build(struct normalizer *nz, const char *opencc_config, char *err,
			    size_t errlen)
{
	int rc = t2s_build(nz, opencc_config ? opencc_config : DEFAULT_CONFIG, err, errlen);
	if (rc == 0)
		rc = find_seconds(nz);
	if (rc)
		return rc;
	for (uint32_t cp = 0; cp < 0x10000; cp++)
		nz->bmp[cp] = fast_flags(bmp_entry(nz, cp), cp) | (nz->bmp[cp] & NORMALIZE_SECOND);
	cjk3_slots(nz);
	for (uint32_t c = 0; c < 0x80; c++) {
		uint32_t e = nz->bmp[c];
		if ((e & NORMALIZE_KIND_MASK) == NORMALIZE_KIND_MAP &&
		    (e & NORMALIZE_CP_MASK) < 0x80 && (e & NORMALIZE_BOUNDARY))
			nz->ascii[c] = (unsigned char)(e & NORMALIZE_CP_MASK);
	}
	nz->ascii_words = true;
	for (unsigned c = 0x20; c < 0x7F; c++)
		if ((c < 'A' || c > 'Z') && nz->ascii[c] != c)
			nz->ascii_words = false;
	return 0;
}

void normalize__tables_free(struct normalizer *nz)
{
	free(nz->t2s);
	free(nz->seconds);
}
