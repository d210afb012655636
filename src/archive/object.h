/*
 * object.h — the container every archived file is stored in
 *
 * A 48-byte header, then the payload: the original bytes compressed and,
 * when the stanza is encrypted, encrypted. The header is not encrypted: it
 * records how to read the payload and the SHA-256 of the original, so a
 * repeated push compares checksums without decrypting, and a get verifies
 * exactly the bytes PostgreSQL will read.
 *
 *   offset size
 *   0      4    magic "WSA1"
 *   4      1    compression (enum ws_compress_type)
 *   5      1    cipher (0 none, 1 aes-256-gcm)
 *   6      2    reserved, zero
 *   8      8    original size, little-endian
 *   16     32   SHA-256 of the original
 */
#ifndef WALSHIP_ARCHIVE_OBJECT_H
#define WALSHIP_ARCHIVE_OBJECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/error.h"
#include "filter/filter.h"

#define WS_OBJECT_MAGIC "WSA1"
#define WS_OBJECT_HEADER_LEN 48
#define WS_OBJECT_SUFFIX ".ws"

struct ws_object_header {
	enum ws_compress_type compress;
	bool encrypted;
	uint64_t original_size;
	uint8_t sha256[32];
};

/*
 * Objects from this size up are compressed by zstd worker threads and
 * decoded on two threads; smaller ones on the caller's thread alone.
 */
#define WS_OBJECT_MT_MIN ((size_t) 4 * 1024 * 1024)

struct ws_object_params {
	enum ws_compress_type compress;
	int level;
	const uint8_t *key;        /* NULL: not encrypted */
	int threads;               /* compression threads per object, >= 1 */
};

/* Encode data into out (header + payload). */
int ws_object_encode(const void *data, size_t len, const struct ws_object_params *params,
					 struct ws_buf *out, struct ws_object_header *header, struct ws_error *err);

/*
 * The same, fed in pieces as a file is read: compression starts with the
 * first piece, and each piece is hashed while it is still in the cache.
 * size is the total that will be fed (it picks threaded compression, as
 * for ws_object_encode); feeding another amount fails at the end. After
 * begin, end must be called, also after a failure (it frees).
 */
struct ws_object_encoder {
	const struct ws_object_params *params;
	struct ws_buf *out;
	struct ws_object_header *header;
	size_t head_at;
	uint64_t size;
	uint64_t fed;
	struct ws_buf compressed;
	struct ws_filter *compress;
	struct ws_sha256 *sha;
};

int ws_object_encoder_begin(struct ws_object_encoder *e, uint64_t size,
							const struct ws_object_params *params, struct ws_buf *out,
							struct ws_object_header *header, struct ws_error *err);
int ws_object_encoder_update(struct ws_object_encoder *e, const void *data, size_t len,
							 struct ws_error *err);
/* rc is the caller's status so far: anything but WS_OK only frees. */
int ws_object_encoder_end(struct ws_object_encoder *e, int rc, struct ws_error *err);

int ws_object_header_decode(const void *obj, size_t len, struct ws_object_header *h,
							struct ws_error *err);

/* Receives decoded bytes in order; a failure stops decoding. */
typedef int (*ws_object_sink)(const void *data, size_t len, void *arg, struct ws_error *err);

/*
 * Decode obj piece by piece into sink, verifying size and SHA-256 at the
 * end: the sink must not make its output visible before this returns
 * WS_OK. key may be NULL only for unencrypted objects.
 */
int ws_object_decode_to(const void *obj, size_t len, const uint8_t *key, size_t max_out,
						ws_object_sink sink, void *arg, struct ws_object_header *h,
						struct ws_error *err);

/*
 * Decode obj into out, verifying size and SHA-256. key may be NULL only for
 * unencrypted objects. max_out caps the original size.
 */
int ws_object_decode(const void *obj, size_t len, const uint8_t *key, size_t max_out,
					 struct ws_buf *out, struct ws_object_header *h, struct ws_error *err);

#endif
