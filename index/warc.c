/* SPDX-License-Identifier: MIT */
/* WARC/1.1 records for patrol export --format warc (DESIGN.md §8): the header block with
 * WARC-Block-Digest and, for HTTP records, WARC-Payload-Digest (SHA-256 in RFC 4648 base32, as
 * warcio and the other WARC tools read it), then the block and the two CRLFs. Record ids are
 * urn:uuid values derived from the record's content, so the same export gives the same file.
 * Writes go through the caller's function: nothing here buffers more than one header block.
 */
#include "index/store.h"

#include "common/clock.h"
#include "common/digest.h"
#include "common/err.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define WARC_HEAD_MAX 16384 /* a header block: the URI is capped at STORE_URL_MAX */

/* RFC 4648 base32, padded: 32 bytes give 56 characters. */
static void base32(const uint8_t *in, size_t n, char *out)
{
	static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
	size_t o = 0;
	for (size_t i = 0; i < n; i += 5) {
		uint8_t b[5] = {0};
		size_t take = n - i < 5 ? n - i : 5;
		memcpy(b, in + i, take);
		uint64_t x = 0;
		for (int j = 0; j < 5; j++)
			x = x << 8 | b[j];
		size_t chars = (take * 8 + 4) / 5;
		for (size_t j = 0; j < 8; j++)
			out[o++] = j < chars ? abc[(x >> (35 - 5 * j)) & 31] : '=';
	}
	out[o] = '\0';
}

void store_warc_digest(const void *data, size_t len, char out[STORE_WARC_DIGEST_LEN + 1])
{
	uint8_t d[DIGEST_LEN];
	memcpy(out, "sha256:", 7);
	if (digest_sha256(data, len, d) != 0)
		memset(d, 0, sizeof(d)); /* only -ENOMEM; never with OpenSSL's one-shot SHA-256 */
	base32(d, DIGEST_LEN, out + 7);
}

void store_warc_id(const char *seed, size_t n, char out[STORE_WARC_ID_LEN + 1])
{
	uint8_t d[DIGEST_LEN];
	if (digest_sha256(seed, n, d) != 0)
		memset(d, 0, sizeof(d));
	d[6] = (uint8_t)((d[6] & 0x0f) | 0x80); /* version 8: custom (RFC 9562) */
	d[8] = (uint8_t)((d[8] & 0x3f) | 0x80); /* the RFC's variant */
	snprintf(out, STORE_WARC_ID_LEN + 1,
		 "<urn:uuid:%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x>",
		 d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7], d[8], d[9], d[10], d[11], d[12],
		 d[13], d[14], d[15]);
}

/* A header value must be one line: a CR or LF in a URL from a hostile page would start a header
 * of its own. */
static bool one_line(const char *s)
{
	return !s || !strpbrk(s, "\r\n");
}

int store_warc_record(store_write_fn out, void *ud, const struct store_warc_rec *r)
{
	char head[WARC_HEAD_MAX], date[32], block_d[STORE_WARC_DIGEST_LEN + 1],
		payload_d[STORE_WARC_DIGEST_LEN + 1];
	if (!one_line(r->target_uri) || !one_line(r->refers_to) || !one_line(r->extra) ||
	    !r->type || !r->id || !r->content_type)
		return ERR_USAGE;
	store_warc_digest(r->block, r->block_len, block_d);
	int n = snprintf(head, sizeof(head),
			 "WARC/1.1\r\nWARC-Type: %s\r\nWARC-Record-ID: %s\r\nWARC-Date: %s\r\n",
			 r->type, r->id, clock_iso8601(r->date, date, sizeof(date)));
	if (r->target_uri && n > 0 && (size_t)n < sizeof(head))
		n += snprintf(head + n, sizeof(head) - (size_t)n, "WARC-Target-URI: %s\r\n",
			      r->target_uri);
	if (r->warcinfo_id && n > 0 && (size_t)n < sizeof(head))
		n += snprintf(head + n, sizeof(head) - (size_t)n, "WARC-Warcinfo-ID: %s\r\n",
			      r->warcinfo_id);
	if (r->refers_to && n > 0 && (size_t)n < sizeof(head))
		n += snprintf(head + n, sizeof(head) - (size_t)n,
			      "WARC-Concurrent-To: %s\r\nWARC-Refers-To: %s\r\n", r->refers_to,
			      r->refers_to);
	if (r->payload_off <= r->block_len && n > 0 && (size_t)n < sizeof(head)) {
		store_warc_digest((const char *)r->block + r->payload_off,
				  r->block_len - r->payload_off, payload_d);
		n += snprintf(head + n, sizeof(head) - (size_t)n, "WARC-Payload-Digest: %s\r\n",
			      payload_d);
	}
	if (n > 0 && (size_t)n < sizeof(head))
		n += snprintf(head + n, sizeof(head) - (size_t)n,
			      "%s%sWARC-Block-Digest: %s\r\nContent-Type: %s\r\n"
			      "Content-Length: %zu\r\n\r\n",
			      r->extra ? r->extra : "", r->extra ? "\r\n" : "", block_d,
			      r->content_type, r->block_len);
	if (n <= 0 || (size_t)n >= sizeof(head))
		return ERR_TOO_BIG;
	int rc = out(head, (size_t)n, ud);
	if (!rc && r->block_len)
		rc = out(r->block, r->block_len, ud);
	if (!rc)
		rc = out("\r\n\r\n", 4, ud);
	return rc;
}
