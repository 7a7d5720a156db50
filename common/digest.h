/* SPDX-License-Identifier: MIT */
/* SHA-256, the one digest patrol uses: content addresses of evidence, keys of pages and hits.
 * OpenSSL's libcrypto does the work; this header keeps its types out of every other module.
 */
#ifndef PATROL_COMMON_DIGEST_H
#define PATROL_COMMON_DIGEST_H

#include <stddef.h>
#include <stdint.h>

#define DIGEST_LEN 32
#define DIGEST_HEX_LEN (2 * DIGEST_LEN)

/* Digest of the concatenation of n parts; each part is (pointer, length). Returns 0 or -ENOMEM. */
struct digest_part {
	const void *data;
	size_t len;
};
int digest_sha256_parts(const struct digest_part *parts, size_t n, uint8_t out[DIGEST_LEN]);
int digest_sha256(const void *data, size_t len, uint8_t out[DIGEST_LEN]);
/* Lowercase hex of a digest into out, NUL-terminated. */
void digest_hex(const uint8_t d[DIGEST_LEN], char out[DIGEST_HEX_LEN + 1]);

#endif
