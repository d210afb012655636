/*
 * sha256.c — SHA-256 of a stream, as lowercase hex
 */
#include "filter/filter.h"

#include <stdbool.h>
#include <stdlib.h>

#include <openssl/evp.h>

#include "filter/filter_int.h"

struct ws_sha256 {
	EVP_MD_CTX *ctx;
	bool finished;				/* the context is spent after final */
};

int
ws_sha256_new(struct ws_sha256 **out, struct ws_error *err)
{
	struct ws_sha256 *h;

	h = calloc(1, sizeof(*h));
	if (h == NULL)
		return ws_error_set(err, WS_ERR_NOMEM, "out of memory");
	h->ctx = EVP_MD_CTX_new();
	if (h->ctx == NULL) {
		free(h);
		return ws_error_set(err, WS_ERR_NOMEM, "out of memory");
	}
	if (EVP_DigestInit_ex(h->ctx, EVP_sha256(), NULL) != 1) {
		ws_sha256_free(h);
		return ws_filter_openssl_error(err, WS_ERR_INVALID,
									   "could not set up SHA-256");
	}
	*out = h;
	return WS_OK;
}

int
ws_sha256_update(struct ws_sha256 *h, const void *data, size_t len,
				 struct ws_error *err)
{
	if (h->finished)
		return ws_error_set(err, WS_ERR_INVALID,
							"SHA-256 was updated after it finished");
	if (EVP_DigestUpdate(h->ctx, data, len) != 1)
		return ws_filter_openssl_error(err, WS_ERR_INVALID,
									   "could not compute SHA-256");
	return WS_OK;
}

int
ws_sha256_final_digest(struct ws_sha256 *h, uint8_t digest[32], struct ws_error *err)
{
	unsigned int mdlen = 0;

	if (h->finished)
		return ws_error_set(err, WS_ERR_INVALID,
							"SHA-256 was finished twice");
	h->finished = true;
	if (EVP_DigestFinal_ex(h->ctx, digest, &mdlen) != 1 || mdlen != 32)
		return ws_filter_openssl_error(err, WS_ERR_INVALID,
									   "could not compute SHA-256");
	return WS_OK;
}

int
ws_sha256_final(struct ws_sha256 *h, char hex[65], struct ws_error *err)
{
	uint8_t digest[32];
	int rc = ws_sha256_final_digest(h, digest, err);

	if (rc == WS_OK)
		ws_sha256_hex(digest, hex);
	return rc;
}

void
ws_sha256_hex(const uint8_t digest[32], char hex[65])
{
	static const char digits[] = "0123456789abcdef";

	for (int i = 0; i < 32; i++) {
		hex[2 * i] = digits[digest[i] >> 4];
		hex[2 * i + 1] = digits[digest[i] & 0x0f];
	}
	hex[64] = '\0';
}

void
ws_sha256_free(struct ws_sha256 *h)
{
	if (h == NULL)
		return;
	EVP_MD_CTX_free(h->ctx);
	free(h);
}
