/* SPDX-License-Identifier: MIT */
/* Text normalization for matching: the normalized view rules are written against (docs/rules.md,
 * "What rules see"), with a map from every normalized byte back to the original text.
 *
 * One pass, in this order: invalid UTF-8 becomes U+FFFD; zero-width, format and control
 * characters are removed (newlines stay: CR LF and a lone CR become LF; tab, VT, FF and every
 * Unicode space become ' '); NFKC with case folding (utf8proc); digit forms become ASCII digits;
 * traditional Chinese becomes simplified, character by character (a table taken from OpenCC's
 * t2s when the normalizer is built); up to NORMALIZE_GAP_MAX spaces, punctuation marks, symbols
 * or emoji between two CJK characters are removed. It does not segment words, transliterate, lump
 * look-alike letters of other scripts, or collapse runs of spaces.
 *
 * Threads: a normalizer is immutable once normalize_new returns; any number of threads may share
 * it. Each thread normalizes into its own struct normalized.
 */
#ifndef PATROL_PARSERS_NORMALIZE_H
#define PATROL_PARSERS_NORMALIZE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Most separators squeezed out between two CJK characters: `刷 单`, `刷 * 单` and `刷😀单` read
 * `刷单`; `刷 - - 单` (five separators) keeps them. */
#define NORMALIZE_GAP_MAX 3
/* Longest text normalize_text accepts, so offsets fit in 31 bits. */
#define NORMALIZE_MAX_INPUT ((size_t)INT32_MAX)
/* A sensible cap on normalized bytes: four times doc.h's default body text. */
#define NORMALIZE_MAX_TEXT_DEFAULT ((size_t)16 << 20)

struct normalizer;

/* Builds a normalizer: utf8proc's tables for the BMP, and OpenCC's traditional → simplified
 * mapping of each Han code point on its own (OpenCC is opened, asked once and closed: it is not
 * used after this returns). opencc_config is the OpenCC configuration, NULL for "t2s.json", which
 * OpenCC looks up in its data folder (/usr/share/opencc, Debian's libopencc-data). Takes about
 * 0.2 s: build one at start-up and share it.
 * On failure err (if errlen > 0) says why: ERR_NOT_FOUND (the configuration or its dictionaries
 * are missing), ERR_PARSE (OpenCC refused the configuration), -ENOMEM.
 * Call it from one thread at a time: OpenCC keeps its last error in one process-wide string.
 * The caller frees *ret_nz with normalize_free(); *ret_nz is untouched on failure. */
int normalize_new(const char *opencc_config, struct normalizer **ret_nz, char *err, size_t errlen);
void normalize_free(struct normalizer *nz);

/* Private to normalize.c: normalized bytes [norm, next run's norm) come from original bytes
 * [orig, orig + (orig_len & ~NORMALIZE_RUN_LINEAR)). A linear run maps byte i to byte i (it holds
 * code points copied or changed to one of the same length); any other run is one unit, mapped as
 * a whole. */
#define NORMALIZE_RUN_LINEAR 0x80000000u
struct normalize_run {
	uint32_t norm, orig, orig_len;
};

/* The output of normalize_text, reused from text to text by one thread.
 * The offset map is run-length: one 12-byte run per stretch that maps linearly (ASCII and CJK
 * text that only changes case or script) and per unit that changes length (ｆｕｌｌ-width,
 * composed, squeezed neighbours): forum text needs a few runs per hundred bytes where a table of
 * one offset per byte would need four bytes per byte. normalize_span reads it by binary search. */
struct normalized {
	/* The normalized text: valid UTF-8, NUL-terminated (the NUL not counted in len). Owned by
	 * the struct; valid until the next normalize_text or normalize_out_done. NULL until a
	 * normalize_text call succeeds or returns ERR_TOO_BIG. */
	char *text;
	size_t len;
	size_t consumed; /* input bytes text stands for: all of them unless truncated */
	bool truncated;	 /* the cap was reached: text is the normalization of a prefix */
	/* Private to normalize.c. */
	size_t max, alloc;
	struct normalize_run *runs;
	size_t nruns, runs_alloc;
};

/* Prepares out for normalize_text with a cap of max normalized bytes (at most
 * NORMALIZE_MAX_INPUT). */
void normalize_out_init(struct normalized *out, size_t max);
/* Frees what out holds; out may be initialized again. */
void normalize_out_done(struct normalized *out);

/* Normalizes len bytes of text (any bytes: invalid UTF-8 becomes U+FFFD, NUL is removed) into
 * out, replacing what it held. Errors: ERR_TOO_BIG when the normalized text would pass out's
 * cap (out then holds the normalized prefix that fits, with its map, truncated set and consumed
 * telling how far it reaches) or when len is over NORMALIZE_MAX_INPUT (out is then empty);
 * -ENOMEM (out is empty). */
int normalize_text(const struct normalizer *nz, const char *text, size_t len,
		   struct normalized *out);

/* Maps the normalized span [start, end) of out's text to the span [*ret_start, *ret_end) of the
 * original text it came from: the smallest original span whose normalization holds it, widened
 * to whole code points and to whole units (a composed character, a full-width letter, a ligature
 * that became two letters map to all of their original bytes). Removed characters inside the
 * span are inside the original span; those just before or after it are not. An empty span maps
 * to an empty span. Errors: ERR_USAGE when start > end or end > out->len. */
int normalize_span(const struct normalized *out, size_t start, size_t end, size_t *ret_start,
		   size_t *ret_end);

#endif
