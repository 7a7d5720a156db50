/* SPDX-License-Identifier: MIT */
/* rules_snippet: a one-line excerpt of a text around a hit, for reviewers and reports.
 *
 * Cuts fall on code-point boundaries, so the excerpt of valid UTF-8 is valid UTF-8; bytes that
 * are not UTF-8 come out as U+FFFD. Whitespace and control characters (Unicode spaces included)
 * collapse to one space and are dropped at the excerpt's edges. Pure function, no state.
 */
#include "rules/rules_int.h"

#include "common/err.h"

#include <stdint.h>

static const char ellipsis[] = "…";

static bool is_cont(unsigned char c)
{
	return (c & 0xc0) == 0x80;
}

/* Decodes one code point; an invalid sequence yields U+FFFD and length 1. */
static size_t decode(const unsigned char *s, size_t n, uint32_t *ret_cp)
{
	static const uint32_t min[] = { 0, 0, 0x80, 0x800, 0x10000 };
	size_t len = s[0] < 0x80 ? 1 : s[0] >= 0xf0 ? 4 : s[0] >= 0xe0 ? 3 : s[0] >= 0xc0 ? 2 : 0;
	uint32_t cp = len == 1   ? s[0]
		      : len == 2 ? s[0] & 0x1fu
		      : len == 3 ? s[0] & 0x0fu
				 : s[0] & 0x07u;
	if (len == 0 || len > n)
		goto bad;
	for (size_t k = 1; k < len; k++) {
		if (!is_cont(s[k]))
			goto bad;
		cp = (cp << 6) | (s[k] & 0x3fu);
	}
	if (cp < min[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		goto bad;
	*ret_cp = cp;
	return len;
bad:
	*ret_cp = 0xfffd;
	return 1;
}

static bool is_blank(uint32_t cp)
{
	return cp <= 0x20 || cp == 0x7f || cp == 0x85 || cp == 0xa0 || cp == 0x1680 ||
	       (cp >= 0x2000 && cp <= 0x200a) || cp == 0x2028 || cp == 0x2029 || cp == 0x202f ||
	       cp == 0x205f || cp == 0x3000;
}

/* Appends text[from, to) with blanks collapsed and trimmed, bad bytes as U+FFFD. */
static int add_collapsed(const unsigned char *text, size_t from, size_t to, struct buf *out)
{
	bool pending = false, any = false;
	int rc = 0;
	for (size_t i = from; i < to && rc == 0;) {
		uint32_t cp;
		size_t n = decode(text + i, to - i, &cp);
		if (is_blank(cp)) {
			pending = any;
		} else {
			if (pending)
				rc = buf_addc(out, ' ');
			if (rc == 0)
				rc = cp == 0xfffd && n == 1 ? buf_addstr(out, "\xef\xbf\xbd")
							    : buf_add(out, text + i, n);
			pending = false;
			any = true;
		}
		i += n;
	}
	return rc;
}

int rules_snippet(const char *text, size_t len, size_t start, size_t end, size_t context,
		  struct buf *out)
{
	const unsigned char *t = (const unsigned char *)text;
	if (start > end || end > len || (len > 0 && !text))
		return ERR_USAGE;
	while (start > 0 && start < len && is_cont(t[start]))
		start--;
	while (end < len && is_cont(t[end]))
		end++;
	size_t left = start, right = end;
	for (size_t k = 0; k < context && left > 0; k++)
		while (--left > 0 && is_cont(t[left]))
			;
	for (size_t k = 0; k < context && right < len; k++) {
		uint32_t cp;
		right += decode(t + right, len - right, &cp);
	}
	size_t mark = out->len;
	int rc = left > 0 ? buf_addstr(out, ellipsis) : 0;
	if (rc == 0)
		rc = add_collapsed(t, left, right, out);
	if (rc == 0 && right < len)
		rc = buf_addstr(out, ellipsis);
	if (rc != 0) { /* out is left as it was */
		out->len = mark;
		if (out->data)
			out->data[mark] = '\0';
	}
	return rc;
}
