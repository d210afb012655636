/*
 * filter.h — stream filters: compression, encryption, hashing
 *
 * A push is read -> compress -> encrypt -> write, with SHA-256 taken of the
 * original bytes; a get runs the inverse chain. Each filter consumes input
 * in pieces of any size and appends its output to a ws_buf, so the same
 * code serves a 16 MB WAL segment and a 1 GB relation file.
 */
#ifndef WALSHIP_FILTER_FILTER_H
#define WALSHIP_FILTER_FILTER_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/error.h"

struct ws_filter;

struct ws_filter_ops {
	const char *name;
	/* Consume len bytes of input, append output to out. */
	int (*process)(struct ws_filter *f, const void *in, size_t len, struct ws_buf *out,
				   struct ws_error *err);
	/* End of input: flush what is buffered, write trailers, verify tags. */
	int (*finish)(struct ws_filter *f, struct ws_buf *out, struct ws_error *err);
	void (*free)(struct ws_filter *f);
};

struct ws_filter {
	const struct ws_filter_ops *ops;
	void *state;
};

enum ws_compress_type {
	WS_COMPRESS_NONE,
	WS_COMPRESS_ZLIB,
	WS_COMPRESS_ZSTD
};

/* Constructors; WS_ERR_INVALID for a bad level. */
int ws_filter_compress_new(enum ws_compress_type type, int level, struct ws_filter **out,
						   struct ws_error *err);
/*
 * Let a zstd compressor use threads worker threads (1 to 64), or none (0:
 * zstd's single-thread mode, whose frames differ). With 1 or more the
 * output is the same for any number of them. Other filters ignore it.
 * Call before the first process.
 */
int ws_filter_compress_threads(struct ws_filter *f, int threads, struct ws_error *err);
/* Decompression refuses to produce more than max_out bytes (bombs). */
int ws_filter_decompress_new(enum ws_compress_type type, size_t max_out, struct ws_filter **out,
							 struct ws_error *err);

#define WS_AES_KEY_LEN 32
#define WS_KDF_SALT_LEN 16

/*
 * AES-256-GCM. The key comes from ws_kdf_derive(); every stream gets a
 * fresh random 12-byte IV written first, and the 16-byte tag is written
 * last. Decryption fails with WS_ERR_CORRUPT ("wrong key or corrupt data")
 * when the tag does not match. Output produced before finish() is not yet
 * authenticated: callers write it to a temporary place and keep it only
 * when finish() succeeded.
 */
int ws_filter_encrypt_new(const uint8_t key[WS_AES_KEY_LEN], struct ws_filter **out,
						  struct ws_error *err);
int ws_filter_decrypt_new(const uint8_t key[WS_AES_KEY_LEN], struct ws_filter **out,
						  struct ws_error *err);

/* scrypt (N=2^15, r=8, p=1) of passphrase and salt into a 256-bit key. */
int ws_kdf_derive(const char *passphrase, const uint8_t salt[WS_KDF_SALT_LEN],
				  uint8_t key[WS_AES_KEY_LEN], struct ws_error *err);

/* SHA-256 over a stream, outside the chain: it observes, never changes. */
struct ws_sha256;
int ws_sha256_new(struct ws_sha256 **out, struct ws_error *err);
int ws_sha256_update(struct ws_sha256 *h, const void *data, size_t len, struct ws_error *err);
/* hex: 64 lowercase hex digits + NUL. */
int ws_sha256_final(struct ws_sha256 *h, char hex[65], struct ws_error *err);
/* The same as the 32-byte digest. */
int ws_sha256_final_digest(struct ws_sha256 *h, uint8_t digest[32], struct ws_error *err);
/* A digest as 64 lowercase hex digits + NUL. */
void ws_sha256_hex(const uint8_t digest[32], char hex[65]);
void ws_sha256_free(struct ws_sha256 *h);

void ws_filter_free(struct ws_filter *f);

#endif
