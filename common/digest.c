/* SPDX-License-Identifier: MIT */
/* SHA-256 through OpenSSL's EVP interface (the low-level SHA256_* calls are deprecated in 3.0).
 * EVP_sha256() makes OpenSSL 3 look the algorithm up in its providers on every use, which cost
 * more than hashing a URL (366 ns against 152 a digest); the algorithm is fetched once per
 * process instead, on first use (pthread_once), and is read-only after.
 */
#include "common/digest.h"

#include <errno.h>
#include <openssl/evp.h>
#include <pthread.h>

static pthread_once_t sha256_once = PTHREAD_ONCE_INIT;
static const EVP_MD *sha256_md;

static void sha256_fetch(void)
{
	EVP_MD *md = EVP_MD_fetch(NULL, "SHA256", NULL);
	sha256_md = md ? md : EVP_sha256(); /* the slow way still works */
}

static const EVP_MD *sha256(void)
{
	pthread_once(&sha256_once, sha256_fetch);
	return sha256_md;
}

int digest_sha256_parts(const struct digest_part *parts, size_t n, uint8_t out[DIGEST_LEN])
{
	int rc = -ENOMEM;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	if (!ctx)
		return -ENOMEM;
	if (EVP_DigestInit_ex(ctx, sha256(), NULL) != 1)
		goto fail;
	for (size_t i = 0; i < n; i++)
		if (EVP_DigestUpdate(ctx, parts[i].data, parts[i].len) != 1)
			goto fail;
	if (EVP_DigestFinal_ex(ctx, out, NULL) != 1)
		goto fail;
	rc = 0;
fail:
	EVP_MD_CTX_free(ctx);
	return rc;
}

int digest_sha256(const void *data, size_t len, uint8_t out[DIGEST_LEN])
{
	return EVP_Digest(data, len, out, NULL, sha256(), NULL) == 1 ? 0 : -ENOMEM;
}

void digest_hex(const uint8_t d[DIGEST_LEN], char out[DIGEST_HEX_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";
	for (size_t i = 0; i < DIGEST_LEN; i++) {
		out[2 * i] = hex[d[i] >> 4];
		out[2 * i + 1] = hex[d[i] & 15];
	}
	out[DIGEST_HEX_LEN] = '\0';
}
