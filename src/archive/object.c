/*
 * object.c — encode and decode the archive object container (object.h)
 */
#include "archive/object.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdbool.h>
#include <string.h>

#include "common/handoff.h"

static void
put_u64le(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t) (v >> (8 * i));
}

static uint64_t
get_u64le(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

static int
sha256(const void *data, size_t len, uint8_t out[32], struct ws_error *err)
{
	unsigned int outlen = 0;

	if (EVP_Digest(data, len, out, &outlen, EVP_sha256(), NULL) != 1 || outlen != 32)
		return ws_error_set(err, WS_ERR_IO, "could not compute SHA-256");
	return WS_OK;
}

/* Run data through filter f (consumed and freed), appending to out. */
static int
run_filter(struct ws_filter *f, const void *data, size_t len, struct ws_buf *out,
		   struct ws_error *err)
{
	int rc = f->ops->process(f, data, len, out, err);

	if (rc == WS_OK)
		rc = f->ops->finish(f, out, err);
	ws_filter_free(f);
	return rc;
}

int
ws_object_encoder_begin(struct ws_object_encoder *e, uint64_t size,
						const struct ws_object_params *params, struct ws_buf *out,
						struct ws_object_header *header, struct ws_error *err)
{
	int rc;

	memset(e, 0, sizeof(*e));
	e->params = params;
	e->out = out;
	e->header = header;
	e->size = size;
	e->head_at = out->len;
	ws_buf_init(&e->compressed, out->max);
	header->compress = params->compress;
	header->encrypted = params->key != NULL;
	header->original_size = size;
	if ((rc = ws_buf_reserve(out, WS_OBJECT_HEADER_LEN)) != WS_OK)
		return ws_error_set(err, rc, "could not buffer archive object");
	out->len += WS_OBJECT_HEADER_LEN;  /* filled in once the hash is known */
	rc = ws_filter_compress_new(params->compress, params->level, &e->compress, err);
	/*
	 * zstd's worker threads pay off for big objects only. The mode depends
	 * on the size alone, so the same input always gives the same bytes.
	 */
	if (rc == WS_OK)
		rc = ws_filter_compress_threads(e->compress, size < WS_OBJECT_MT_MIN ? 0
										: params->threads > 0 ? params->threads : 1, err);
	if (rc == WS_OK)
		rc = ws_sha256_new(&e->sha, err);
	return rc;
}

/* Compressed bytes go to out, or through the cipher at the end. */
static struct ws_buf *
compress_target(struct ws_object_encoder *e)
{
	return e->header->encrypted ? &e->compressed : e->out;
}

int
ws_object_encoder_update(struct ws_object_encoder *e, const void *data, size_t len,
						 struct ws_error *err)
{
	int rc;

	e->fed += len;
	if (e->fed > e->size)
		return ws_error_set(err, WS_ERR_INVALID, "archive object input grew past %llu bytes",
							(unsigned long long) e->size);
	rc = e->compress->ops->process(e->compress, data, len, compress_target(e), err);
	/* zstd's workers are still compressing: hash on this thread meanwhile */
	if (rc == WS_OK)
		rc = ws_sha256_update(e->sha, data, len, err);
	return rc;
}

int
ws_object_encoder_end(struct ws_object_encoder *e, int rc, struct ws_error *err)
{
	struct ws_object_header *header = e->header;
	struct ws_filter *cipher;
	uint8_t *head;

	if (rc == WS_OK && e->fed != e->size)
		rc = ws_error_set(err, WS_ERR_INVALID, "archive object input has %llu bytes, not %llu",
						  (unsigned long long) e->fed, (unsigned long long) e->size);
	if (rc == WS_OK)
		rc = e->compress->ops->finish(e->compress, compress_target(e), err);
	if (rc == WS_OK)
		rc = ws_sha256_final_digest(e->sha, header->sha256, err);
	if (rc == WS_OK && header->encrypted) {
		rc = ws_filter_encrypt_new(e->params->key, &cipher, err);
		if (rc == WS_OK)
			rc = run_filter(cipher, e->compressed.data, e->compressed.len, e->out, err);
	}
	ws_filter_free(e->compress);
	ws_sha256_free(e->sha);
	ws_buf_free(&e->compressed);
	if (rc != WS_OK)
		return rc;

	head = (uint8_t *) e->out->data + e->head_at;
	memset(head, 0, WS_OBJECT_HEADER_LEN);
	memcpy(head, WS_OBJECT_MAGIC, 4);
	head[4] = (uint8_t) header->compress;
	head[5] = header->encrypted ? 1 : 0;
	put_u64le(head + 8, e->size);
	memcpy(head + 16, header->sha256, 32);
	return WS_OK;
}

int
ws_object_encode(const void *data, size_t len, const struct ws_object_params *params,
				 struct ws_buf *out, struct ws_object_header *header, struct ws_error *err)
{
	struct ws_object_encoder e;
	int rc;

	rc = ws_object_encoder_begin(&e, len, params, out, header, err);
	if (rc == WS_OK)
		rc = ws_object_encoder_update(&e, data, len, err);
	return ws_object_encoder_end(&e, rc, err);
}

int
ws_object_header_decode(const void *obj, size_t len, struct ws_object_header *h,
						struct ws_error *err)
{
	const uint8_t *p = obj;

	if (len < WS_OBJECT_HEADER_LEN || memcmp(p, WS_OBJECT_MAGIC, 4) != 0)
		return ws_error_set(err, WS_ERR_CORRUPT, "not a walship archive object (bad header)");
	if (p[4] > WS_COMPRESS_ZSTD || p[5] > 1 || p[6] != 0 || p[7] != 0)
		return ws_error_set(err, WS_ERR_CORRUPT,
							"archive object header has unknown compression %u or cipher %u",
							p[4], p[5]);
	h->compress = (enum ws_compress_type) p[4];
	h->encrypted = p[5] == 1;
	h->original_size = get_u64le(p + 8);
	memcpy(h->sha256, p + 16, 32);
	return WS_OK;
}

/*
 * Feed the decompressor in pieces so its output goes out in pieces small
 * enough to stay in the CPU's cache until they are hashed and written:
 * writing cold megabytes to the page cache costs three times as much. The
 * input piece is sized from the object's ratio (pgbench data is 38:1, WAL
 * 2:1) for about DECODE_OUT bytes out.
 */
#define DECODE_OUT (256 * 1024)
#define DECODE_PIECE_MIN (4 * 1024)
#define DECODE_PIECE_MAX (256 * 1024)

static size_t
piece_size(size_t payload_len, uint64_t original_size)
{
	uint64_t piece;

	if (original_size == 0)
		return DECODE_PIECE_MAX;
	piece = (uint64_t) DECODE_OUT * payload_len / original_size;
	if (piece < DECODE_PIECE_MIN)
		return DECODE_PIECE_MIN;
	return piece > DECODE_PIECE_MAX ? DECODE_PIECE_MAX : (size_t) piece;
}

/* The consumer thread's half: hash and pass on what was decoded. */
struct decoded_sink {
	struct ws_sha256 *sha;
	ws_object_sink sink;
	void *arg;
	uint64_t total;
};

static int
hash_and_sink(const void *data, size_t len, void *arg, struct ws_error *err)
{
	struct decoded_sink *d = arg;
	int rc;

	d->total += len;
	if ((rc = ws_sha256_update(d->sha, data, len, err)) != WS_OK)
		return rc;
	return d->sink(data, len, d->arg, err);
}

/* A small object: no second thread; pieces through one small buffer. */
static int
decode_inline(struct ws_filter *f, const uint8_t *payload, size_t payload_len, size_t max_out,
			  struct decoded_sink *out, struct ws_error *err)
{
	size_t step = piece_size(payload_len, max_out);
	struct ws_buf piece;
	int rc = WS_OK;

	ws_buf_init(&piece, max_out);
	for (size_t done = 0; rc == WS_OK; done += step) {
		size_t n = payload_len - done < step ? payload_len - done : step;
		bool last = done + n == payload_len;

		ws_buf_reset(&piece);
		rc = n > 0 ? f->ops->process(f, payload + done, n, &piece, err) : WS_OK;
		if (rc == WS_OK && last)
			rc = f->ops->finish(f, &piece, err);
		if (rc == WS_OK && piece.len > 0)
			rc = hash_and_sink(piece.data, piece.len, out, err);
		if (last)
			break;
	}
	ws_buf_free(&piece);
	return rc;
}

/*
 * Decompress on this thread while another hashes and writes the previous
 * piece: a 16 MB segment costs about as much to hash as to decompress.
 */
static int
decode_pieces(struct ws_filter *f, const uint8_t *payload, size_t payload_len, size_t max_piece,
			  struct decoded_sink *out, struct ws_error *err)
{
	size_t step = piece_size(payload_len, max_piece);
	struct ws_handoff *handoff;
	struct ws_error consumer_err;
	int rc, finish_rc;

	if (max_piece < WS_OBJECT_MT_MIN)
		return decode_inline(f, payload, payload_len, max_piece, out, err);
	if ((rc = ws_handoff_start(hash_and_sink, out, max_piece, &handoff, err)) != WS_OK)
		return rc;
	for (size_t done = 0; rc == WS_OK; done += step) {
		size_t n = payload_len - done < step ? payload_len - done : step;
		bool last = done + n == payload_len;
		struct ws_buf *piece = ws_handoff_buffer(handoff);

		rc = n > 0 ? f->ops->process(f, payload + done, n, piece, err) : WS_OK;
		if (rc == WS_OK && last)
			rc = f->ops->finish(f, piece, err);
		if (rc == WS_OK && piece->len > 0)
			rc = ws_handoff_push(handoff, err);
		if (last)
			break;
	}
	/* a decoding error wins over what the consumer says afterwards */
	finish_rc = ws_handoff_finish(handoff, rc == WS_OK ? err : &consumer_err);
	return rc != WS_OK ? rc : finish_rc;
}

/*
 * Check the header against what the caller expects and expose the
 * compressed payload, decrypting it first when the object is encrypted
 * (into plain, which the caller frees).
 */
static int
open_payload(const void *obj, size_t len, const uint8_t *key, size_t max_out,
			 struct ws_object_header *h, struct ws_buf *plain, const uint8_t **payload,
			 size_t *payload_len, struct ws_error *err)
{
	struct ws_filter *f = NULL;
	int rc;

	ws_buf_init(plain, len + 64);
	if ((rc = ws_object_header_decode(obj, len, h, err)) != WS_OK)
		return rc;
	*payload = (const uint8_t *) obj + WS_OBJECT_HEADER_LEN;
	*payload_len = len - WS_OBJECT_HEADER_LEN;
	if (h->original_size > max_out)
		return ws_error_set(err, WS_ERR_CORRUPT,
							"archive object claims %llu bytes, more than the %zu expected",
							(unsigned long long) h->original_size, max_out);
	if (h->encrypted && key == NULL)
		return ws_error_set(err, WS_ERR_CONFIG,
							"archive object is encrypted but no repo-cipher-pass is configured");
	if (!h->encrypted && key != NULL)
		return ws_error_set(err, WS_ERR_CORRUPT,
							"archive object is not encrypted but the stanza is: refusing it");
	if (!h->encrypted)
		return WS_OK;
	/* the tag covers the whole payload: decrypt it all before trusting it */
	rc = ws_filter_decrypt_new(key, &f, err);
	if (rc == WS_OK)
		rc = run_filter(f, *payload, *payload_len, plain, err);
	*payload = (const uint8_t *) plain->data;
	*payload_len = plain->len;
	return rc;
}

static int
check_decoded(const struct ws_object_header *h, uint64_t total, const char *got_hex,
			  struct ws_error *err)
{
	char want_hex[65];

	if (total != h->original_size)
		return ws_error_set(err, WS_ERR_CORRUPT, "archive object decoded to %llu bytes instead of %llu",
							(unsigned long long) total, (unsigned long long) h->original_size);
	ws_sha256_hex(h->sha256, want_hex);
	if (strcmp(want_hex, got_hex) != 0)
		return ws_error_set(err, WS_ERR_CORRUPT, "checksum mismatch: expected SHA-256 %s, got %s",
							want_hex, got_hex);
	return WS_OK;
}

int
ws_object_decode_to(const void *obj, size_t len, const uint8_t *key, size_t max_out,
					ws_object_sink sink, void *arg, struct ws_object_header *h,
					struct ws_error *err)
{
	struct decoded_sink out = { .sink = sink, .arg = arg };
	struct ws_filter *f = NULL;
	const uint8_t *payload;
	struct ws_buf plain;
	size_t payload_len;
	char got_hex[65];
	int rc;

	rc = open_payload(obj, len, key, max_out, h, &plain, &payload, &payload_len, err);
	if (rc == WS_OK)
		rc = ws_sha256_new(&out.sha, err);
	if (rc == WS_OK)
		rc = ws_filter_decompress_new(h->compress, (size_t) h->original_size, &f, err);
	if (rc == WS_OK)
		rc = decode_pieces(f, payload, payload_len, (size_t) h->original_size,
						   &out, err);
	ws_filter_free(f);
	if (rc == WS_OK)
		rc = ws_sha256_final(out.sha, got_hex, err);
	if (rc == WS_OK)
		rc = check_decoded(h, out.total, got_hex, err);
	ws_sha256_free(out.sha);
	ws_buf_free(&plain);
	return rc;
}

int
ws_object_decode(const void *obj, size_t len, const uint8_t *key, size_t max_out,
				 struct ws_buf *out, struct ws_object_header *h, struct ws_error *err)
{
	struct ws_filter *f = NULL;
	const uint8_t *payload;
	struct ws_buf plain;
	size_t payload_len, start = out->len;
	uint8_t digest[32];
	char got_hex[65];
	int rc;

	/* straight into out, on this thread: out's pages are the caller's to reuse */
	rc = open_payload(obj, len, key, max_out, h, &plain, &payload, &payload_len, err);
	if (rc == WS_OK && ws_buf_reserve(out, (size_t) h->original_size) != WS_OK)
		rc = ws_error_set(err, WS_ERR_NOMEM, "archive object does not fit in memory");
	if (rc == WS_OK)
		rc = ws_filter_decompress_new(h->compress, (size_t) h->original_size, &f, err);
	if (rc == WS_OK)
		rc = run_filter(f, payload, payload_len, out, err);
	else
		ws_filter_free(f);
	if (rc == WS_OK)
		rc = sha256(out->data + start, out->len - start, digest, err);
	if (rc == WS_OK) {
		ws_sha256_hex(digest, got_hex);
		rc = check_decoded(h, out->len - start, got_hex, err);
	}
	if (rc != WS_OK) {
		out->len = start;
		if (out->data != NULL)
			out->data[start] = '\0';
	}
	ws_buf_free(&plain);
	return rc;
}
