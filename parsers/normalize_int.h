/* SPDX-License-Identifier: MIT */
/* What the two files of the normalizer share: normalize_table.c builds the tables once, in
 * normalize_new, and maps units of code points with utf8proc; normalize.c runs the pass over a
 * text (decoding, units, squeezing, the offset map). Nothing here is part of the interface.
 *
 * A normalizer is immutable once built: every function here only reads it.
 */
#ifndef PATROL_PARSERS_NORMALIZE_INT_H
#define PATROL_PARSERS_NORMALIZE_INT_H

#include "parsers/normalize.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What an output code point is for squeezing (normalize.c). */
enum normalize_class {
	NORMALIZE_CLASS_OTHER,	 /* letters, digits, anything else: ends a gap */
	NORMALIZE_CLASS_CJK,	 /* Han ideographs and kana: what gaps are squeezed between */
	NORMALIZE_CLASS_SEP,	 /* spaces, punctuation, symbols, emoji: may be squeezed */
	NORMALIZE_CLASS_MARK,	 /* combining marks: squeezed with a gap, never counted in it */
	NORMALIZE_CLASS_NEWLINE, /* '\n': a hard separator, never squeezed */
};

/* One entry per BMP code point, so the common case is one load:
 * bits 0-20 the output code point (NORMALIZE_KIND_MAP), bits 21-22 the kind, bits 23-25 the class
 * of the output, then four flags. */
#define NORMALIZE_CP_MASK     0x1FFFFFu
#define NORMALIZE_KIND_SHIFT  21
#define NORMALIZE_KIND_MASK   (3u << NORMALIZE_KIND_SHIFT)
#define NORMALIZE_KIND_SLOW   (0u << NORMALIZE_KIND_SHIFT) /* needs utf8proc: several outputs */
#define NORMALIZE_KIND_MAP    (1u << NORMALIZE_KIND_SHIFT) /* alone, it becomes one code point */
#define NORMALIZE_KIND_DROP   (2u << NORMALIZE_KIND_SHIFT) /* zero-width, format, control */
#define NORMALIZE_KIND_CR     (3u << NORMALIZE_KIND_SHIFT) /* '\r': dropped before '\n', else '\n' */
#define NORMALIZE_CLASS_SHIFT 23
#define NORMALIZE_CLASS_MASK  (7u << NORMALIZE_CLASS_SHIFT)
/* Nothing before this code point can combine with it (see normalize__boundary). */
#define NORMALIZE_BOUNDARY (1u << 26)
/* It is the second half of a canonical composition pair and a starter (Hangul V and T jamo,
 * a few Indic vowel signs): it composes with the starter before it. */
#define NORMALIZE_SECOND (1u << 27)
/* For the pass's fast path (normalize.c), on BMP entries only: a three-byte code point that alone
 * becomes a three-byte CJK character (NORMALIZE_KIND_MAP, NORMALIZE_CLASS_CJK, a boundary)... */
#define NORMALIZE_CJK3 (1u << 28)
/* ...and a code point that alone becomes itself (NORMALIZE_KIND_MAP). */
#define NORMALIZE_SAME (1u << 29)

/* struct normalizer's cjk3 slots and what they hold. For x, the 16 free bits of w in place
 * (w & 0x3F3F0F), (x ^ x >> 6) & 0xFFFF is one to one (checked by brute force over all 2^16);
 * w's fixed bits and its fourth byte only XOR a constant into the low 16 bits or land above
 * them, so the same holds for w itself, one mask fewer. */
#define NORMALIZE_CJK3_SLOT(w) (((w) ^ (w) >> 6) & 0xFFFFu)
#define NORMALIZE_FAST_CJK     1u
#define NORMALIZE_FAST_SAME    2u

/* Most code points a unit holds: code points past it are removed (they can only be combining
 * marks piled on one letter), so hostile input stays linear. */
#define NORMALIZE_UNIT_MAX 32
/* Most combining marks in a row in the output, as in Unicode's stream-safe text format; the rest
 * are removed. Below NORMALIZE_UNIT_MAX, so a normalized unit is never cut when it is read again
 * and the normalized view is a fixed point. */
#define NORMALIZE_MARKS_MAX 30
/* Most output code points of one unit: 18 for the longest NFKC expansion (U+FDFA), plus 3 for
 * each of 31 marks, doubled for digit forms; a unit that would exceed it is mapped piecewise. */
#define NORMALIZE_UNIT_OUT 512

struct normalize_pair {
	uint32_t from, to;
};

struct normalizer {
	uint32_t bmp[0x10000];
	/* What each ASCII byte becomes when it is copied as it is or with its case folded; 0 for
	 * those that need a look (NUL and the other controls, CR) and for bytes from 0x80 up, so a
	 * loop over bytes needs one test. Each byte it maps is a boundary (NORMALIZE_BOUNDARY). */
	unsigned char ascii[0x100];
	/* ascii maps each printable byte but capital letters to itself: the pass may copy eight
	 * such bytes at a time. */
	bool ascii_words;
	/* The fast path's CJK loop reads a character as a little-endian word w whose bytes have the
	 * form 1110xxxx 10xxxxxx 10xxxxxx: NORMALIZE_CJK3_SLOT(w) is its slot here, one to one for
	 * every such form, cheaper than the code point. A slot holds NORMALIZE_FAST_CJK when the
	 * character is one from U+3000 to U+9FFF with NORMALIZE_CJK3, and NORMALIZE_FAST_SAME when
	 * it also has NORMALIZE_SAME; else 0. */
	unsigned char cjk3[0x10000];
	struct normalize_pair *t2s; /* every traditional → simplified pair, sorted by from */
	size_t nt2s;
	uint32_t *seconds; /* NORMALIZE_SECOND code points beyond the BMP, sorted */
	size_t nseconds;
};

/* Builds every table of nz (zeroed by the caller) from OpenCC's configuration and utf8proc. */
int normalize__tables_build(struct normalizer *nz, const char *opencc_config, char *err,
			    size_t errlen);
void normalize__tables_free(struct normalizer *nz);

/* The table entry of cp; code points beyond the BMP get NORMALIZE_KIND_SLOW with their
 * NORMALIZE_BOUNDARY flag, or NORMALIZE_KIND_DROP. */
uint32_t normalize__entry(const struct normalizer *nz, uint32_t cp);

/* Maps the n code points of one unit (n <= NORMALIZE_UNIT_MAX, none of them dropped) to their
 * normalized code points in out (NORMALIZE_UNIT_OUT of them): NFKC with case folding, digit
 * forms, traditional to simplified, dropped code points removed, at most NORMALIZE_MARKS_MAX
 * combining marks in a row. Returns how many. */
size_t normalize__map_unit(const struct normalizer *nz, const uint32_t *cps, size_t n,
			   uint32_t *out);

/* The class of an output code point. */
enum normalize_class normalize__class(uint32_t cp);

#endif
