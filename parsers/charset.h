/* SPDX-License-Identifier: MIT */
/* Charset detection and conversion of fetched bytes to UTF-8.
 *
 * Order, after the HTML standard: a byte-order mark, then the charset parameter of the HTTP
 * Content-Type, then a <meta> prescan of the first 1024 bytes, then detection (UTF-8 when the
 * bytes are valid UTF-8; a <meta> up to 64 KiB in; uchardet's guess from the first 64 KiB, read
 * through the same label table), then the default (windows-1252). Labels are WHATWG's (gb2312
 * means GBK, latin1 means windows-1252, ...); UTF-16 comes only from a BOM or the header (a
 * <meta> saying UTF-16 means UTF-8), and the "replacement" labels (iso-2022-kr, ...) decode to a
 * single U+FFFD, as WHATWG has it; a guess is never UTF-16, replacement or x-user-defined.
 * Conversion is done with iconv; bytes that do not decode become U+FFFD and the rest of the text
 * survives. The output is always valid UTF-8.
 * Thread-safe: each call opens its own iconv descriptor and uchardet detector.
 */
#ifndef PATROL_PARSERS_CHARSET_H
#define PATROL_PARSERS_CHARSET_H

#include "common/buf.h"

#include <stddef.h>

#define CHARSET_NAME_MAX 32

enum charset_source {
	CHARSET_SOURCE_BOM,
	CHARSET_SOURCE_HEADER,
	CHARSET_SOURCE_META,
	CHARSET_SOURCE_DETECTED,
	CHARSET_SOURCE_DEFAULT,
};

/* "bom", "header", "meta", "detected", "default": the names machine output uses. */
const char *charset_source_name(enum charset_source src);

/* Decodes raw into UTF-8 appended to out (whose cap bounds the decoded size: ERR_TOO_BIG).
 * On ERR_TOO_BIG out keeps the valid UTF-8 prefix that fit (see charset_convert).
 * content_type is the HTTP Content-Type value or NULL. ret_name receives the encoding used, in
 * its canonical name ("UTF-8", "GBK", "Big5", "windows-1252", ...); ret_source which step chose
 * it. Unknown labels are ignored and the next step decides. */
int charset_decode(const char *raw, size_t len, const char *content_type, struct buf *out,
		   char ret_name[CHARSET_NAME_MAX], enum charset_source *ret_source);

/* The two halves of charset_decode, for callers that cap or force the conversion.
 *
 * charset_sniff runs the steps above without converting: ret_name and ret_source as for
 * charset_decode. It cannot fail. A <meta> found after the first 1024 bytes (within 64 KiB) counts
 * when the bytes are not valid UTF-8, as the parser's change of encoding would have it.
 *
 * charset_convert decodes raw from the encoding named by label (any WHATWG label, so the canonical
 * names too) into UTF-8 appended to out, dropping a leading byte-order mark of that encoding.
 * Errors: ERR_CHARSET (unknown label), -ENOMEM, ERR_TOO_BIG when out's cap is reached: out then
 * holds the longest decoded prefix that fits, cut on a character boundary, still valid UTF-8. */
void charset_sniff(const char *raw, size_t len, const char *content_type,
		   char ret_name[CHARSET_NAME_MAX], enum charset_source *ret_source);
int charset_convert(const char *raw, size_t len, const char *label, struct buf *out);

#endif
