/* SPDX-License-Identifier: MIT */
/* Fuzz target for normalize_text and normalize_span.
 *
 * An input that starts with an ASCII digit uses it to pick a small output cap (to reach the
 * truncation), and the rest is the text; any other input is the text, with the default cap.
 * The output must be valid UTF-8 without NUL, CR or other C0 controls but '\n', within its cap;
 * normalizing it again must change nothing; every code point of it must map to an original span
 * inside what was consumed, in order, whose normalization holds that code point. Anything else
 * aborts. The normalizer is built once per process (it takes about 0.2 s).
 */
#include "common/err.h"
#include "parsers/normalize.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECKED_CPS 256 /* code points whose span is normalized again, per input */

static struct normalizer *nz_get(void)
{
	static struct normalizer *nz;
	char err[256];
	if (!nz && normalize_new(NULL, &nz, err, sizeof(err)) != 0) {
		fprintf(stderr, "fuzz_normalize: %s\n", err);
		abort();
	}
	return nz;
}

static size_t cp_len(unsigned char c)
{
	return c < 0x80 ? 1 : c < 0xC2 ? 0 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : c < 0xF5 ? 4 : 0;
}

static void check_text(const struct normalized *o)
{
	const unsigned char *p = (const unsigned char *)o->text;
	if (o->len > o->max || p[o->len] != '\0')
		abort();
	for (size_t i = 0; i < o->len;) {
		size_t n = cp_len(p[i]);
		if (n == 0 || n > o->len - i || (p[i] < 0x20 && p[i] != '\n') || p[i] == 0x7F)
			abort();
		for (size_t k = 1; k < n; k++)
			if ((p[i + k] & 0xC0) != 0x80)
				abort();
		i += n;
	}
}

static void check_fixed_point(const struct normalizer *nz, const struct normalized *o)
{
	struct normalized again;
	normalize_out_init(&again, o->len);
	int rc = normalize_text(nz, o->text, o->len, &again);
	if (rc == -ENOMEM) {
		normalize_out_done(&again);
		return;
	}
	if (rc != 0 || again.len != o->len || memcmp(again.text, o->text, o->len) != 0)
		abort();
	normalize_out_done(&again);
}

/* The original span of [s, e) holds text whose normalization contains the normalized bytes. */
static void check_span(const struct normalizer *nz, const struct normalized *o, const char *in,
		       size_t s, size_t e, size_t *last_start)
{
	size_t os, oe;
	if (normalize_span(o, s, e, &os, &oe) != 0 || os > oe || oe > o->consumed ||
	    os < *last_start)
		abort();
	*last_start = os;
	struct normalized sub;
	normalize_out_init(&sub, NORMALIZE_MAX_TEXT_DEFAULT);
	int rc = normalize_text(nz, in + os, oe - os, &sub);
	if (rc == 0 && !memmem(sub.text, sub.len, o->text + s, e - s))
		abort();
	if (rc != 0 && rc != -ENOMEM)
		abort();
	normalize_out_done(&sub);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct normalizer *nz = nz_get();
	size_t max = NORMALIZE_MAX_TEXT_DEFAULT;
	if (size > 0 && data[0] >= '0' && data[0] <= '9') {
		max = (size_t)(data[0] - '0') * 7;
		data++;
		size--;
	}
	struct normalized o;
	normalize_out_init(&o, max);
	int rc = normalize_text(nz, (const char *)data, size, &o);
	if (rc != 0 && rc != ERR_TOO_BIG && rc != -ENOMEM)
		abort();
	if (rc == 0 || rc == ERR_TOO_BIG) {
		if ((rc == ERR_TOO_BIG) != o.truncated || (rc == 0 && o.consumed != size))
			abort();
		check_text(&o);
		if (rc == 0)
			check_fixed_point(nz, &o);
		size_t last = 0, n = 0;
		for (size_t i = 0; i < o.len && n < CHECKED_CPS; n++) {
			size_t l = cp_len((unsigned char)o.text[i]);
			check_span(nz, &o, (const char *)data, i, i + l, &last);
			i += l;
		}
	}
	normalize_out_done(&o);
	return 0;
}
