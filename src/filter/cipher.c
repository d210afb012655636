/*
 * cipher.c — AES-256-GCM encryption and decryption filters
 *
 * An encrypted stream is
 *     "WSE1" | 12-byte IV | ciphertext | 16-byte GCM tag
 * The magic names the format and its version and is authenticated as
 * additional data; the IV is fresh from RAND_bytes for every stream, so
 * one key can encrypt any number of files. Decryption cannot know where
 * the ciphertext ends until the input does, so it always holds back the
 * last 16 bytes it has seen: at finish() they are the tag.
 */
#include "filter/filter.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "filter/filter_int.h"

#define WS_CIPHER_MAGIC "WSE1"
#define WS_CIPHER_MAGIC_LEN 4
#define WS_CIPHER_IV_LEN 12
#define WS_CIPHER_TAG_LEN 16
#define WS_CIPHER_HEADER_LEN (WS_CIPHER_MAGIC_LEN + WS_CIPHER_IV_LEN)

struct cipher_state {
	enum ws_filter_phase phase;
	EVP_CIPHER_CTX *ctx;
	/* encryption: the header to write; decryption: the header read so far */
	uint8_t header[WS_CIPHER_HEADER_LEN];
	size_t header_len;
	bool header_written;		/* encryption only */
	uint8_t tail[WS_CIPHER_TAG_LEN];	/* decryption: maybe the tag */
	size_t tail_len;
	uint8_t *chunk;				/* WS_FILTER_CHUNK + one block of output */
};

static int
fail(struct cipher_state *st, int rc)
{
	st->phase = WS_FILTER_FAILED;
	return rc;
}

static void
cipher_free(struct ws_filter *f)
{
	struct cipher_state *st = f->state;

	if (st == NULL)
		return;
	EVP_CIPHER_CTX_free(st->ctx);
	if (st->chunk != NULL) {
		/* plaintext passed through here */
		OPENSSL_cleanse(st->chunk, WS_FILTER_CHUNK + EVP_MAX_BLOCK_LENGTH);
		free(st->chunk);
	}
	OPENSSL_cleanse(st, sizeof(*st));
	free(st);
	f->state = NULL;
}

static int
state_new(struct cipher_state **out, struct ws_error *err)
{
	struct cipher_state *st;

	st = calloc(1, sizeof(*st));
	if (st == NULL)
		return ws_error_set(err, WS_ERR_NOMEM, "out of memory");
	st->phase = WS_FILTER_OPEN;
	st->chunk = malloc(WS_FILTER_CHUNK + EVP_MAX_BLOCK_LENGTH);
	st->ctx = EVP_CIPHER_CTX_new();
	if (st->chunk == NULL || st->ctx == NULL) {
		EVP_CIPHER_CTX_free(st->ctx);
		free(st->chunk);
		free(st);
		return ws_error_set(err, WS_ERR_NOMEM, "out of memory");
	}
	*out = st;
	return WS_OK;
}

/* run len bytes through the cipher (either direction) and emit the result */
static int
cipher_update(struct cipher_state *st, bool encrypt, const uint8_t *in,
			  size_t len, struct ws_buf *out, const char *name,
			  struct ws_error *err)
{
	while (len > 0) {
		int take = len < WS_FILTER_CHUNK ? (int) len : WS_FILTER_CHUNK;
		int outl = 0;
		int ok;
		int rc;

		if (encrypt)
			ok = EVP_EncryptUpdate(st->ctx, st->chunk, &outl, in, take);
		else
			ok = EVP_DecryptUpdate(st->ctx, st->chunk, &outl, in, take);
		if (ok != 1)
			return ws_filter_openssl_error(err, WS_ERR_INVALID,
										   encrypt ? "could not encrypt"
										   : "could not decrypt");
		rc = ws_filter_emit(out, st->chunk, (size_t) outl, name, err);
		if (rc != WS_OK)
			return rc;
		in += take;
		len -= (size_t) take;
	}
	return WS_OK;
}

/* ---- encryption ---- */

static int
encrypt_write_header(struct cipher_state *st, struct ws_buf *out,
					 const char *name, struct ws_error *err)
{
	int rc;

	if (st->header_written)
		return WS_OK;
	rc = ws_filter_emit(out, st->header, WS_CIPHER_HEADER_LEN, name, err);
	if (rc != WS_OK)
		return rc;
	st->header_written = true;
	return WS_OK;
}

static int
encrypt_process(struct ws_filter *f, const void *in, size_t len,
				struct ws_buf *out, struct ws_error *err)
{
	struct cipher_state *st = f->state;
	int rc;

	rc = ws_filter_check_open(st->phase, f->ops->name, err);
	if (rc != WS_OK)
		return rc;
	rc = encrypt_write_header(st, out, f->ops->name, err);
	if (rc == WS_OK)
		rc = cipher_update(st, true, in, len, out, f->ops->name, err);
	if (rc != WS_OK)
		return fail(st, rc);
	return WS_OK;
}

static int
encrypt_finish(struct ws_filter *f, struct ws_buf *out, struct ws_error *err)
{
	struct cipher_state *st = f->state;
	uint8_t tag[WS_CIPHER_TAG_LEN];
	int outl = 0;
	int rc;

	rc = ws_filter_check_open(st->phase, f->ops->name, err);
	if (rc != WS_OK)
		return rc;
	rc = encrypt_write_header(st, out, f->ops->name, err);
	if (rc != WS_OK)
		return fail(st, rc);
	if (EVP_EncryptFinal_ex(st->ctx, st->chunk, &outl) != 1 ||
		EVP_CIPHER_CTX_ctrl(st->ctx, EVP_CTRL_AEAD_GET_TAG,
							WS_CIPHER_TAG_LEN, tag) != 1)
		return fail(st, ws_filter_openssl_error(err, WS_ERR_INVALID,
												"could not encrypt"));
	/* GCM is a stream mode: nothing is left over, but stay general */
	rc = ws_filter_emit(out, st->chunk, (size_t) outl, f->ops->name, err);
	if (rc == WS_OK)
		rc = ws_filter_emit(out, tag, sizeof(tag), f->ops->name, err);
	if (rc != WS_OK)
		return fail(st, rc);
	st->phase = WS_FILTER_FINISHED;
	return WS_OK;
}

static const struct ws_filter_ops encrypt_ops = {
	"encryption", encrypt_process, encrypt_finish, cipher_free
};

int
ws_filter_encrypt_new(const uint8_t key[WS_AES_KEY_LEN], struct ws_filter **out,
					  struct ws_error *err)
{
	struct cipher_state *st = NULL;
	struct ws_filter f = {&encrypt_ops, NULL};
	int outl = 0;
	int rc;

	rc = state_new(&st, err);
	if (rc != WS_OK)
		return rc;
	f.state = st;

	memcpy(st->header, WS_CIPHER_MAGIC, WS_CIPHER_MAGIC_LEN);
	if (RAND_bytes(st->header + WS_CIPHER_MAGIC_LEN, WS_CIPHER_IV_LEN) != 1) {
		rc = ws_filter_openssl_error(err, WS_ERR_IO,
									 "could not generate random initialization vector");
		goto cleanup;
	}
	if (EVP_EncryptInit_ex(st->ctx, EVP_aes_256_gcm(), NULL, NULL, NULL) != 1 ||
		EVP_CIPHER_CTX_ctrl(st->ctx, EVP_CTRL_AEAD_SET_IVLEN,
							WS_CIPHER_IV_LEN, NULL) != 1 ||
		EVP_EncryptInit_ex(st->ctx, NULL, NULL, key,
						   st->header + WS_CIPHER_MAGIC_LEN) != 1 ||
		EVP_EncryptUpdate(st->ctx, NULL, &outl, st->header,
						  WS_CIPHER_MAGIC_LEN) != 1) {
		rc = ws_filter_openssl_error(err, WS_ERR_INVALID,
									 "could not set up encryption");
		goto cleanup;
	}
	rc = ws_filter_create(&encrypt_ops, st, out, err);

cleanup:
	if (rc != WS_OK)
		cipher_free(&f);
	return rc;
}

/* ---- decryption ---- */

/* collect the header from in; *used is how much of in it took */
static int
decrypt_read_header(struct cipher_state *st, const uint8_t *in, size_t len,
					size_t *used, struct ws_error *err)
{
	size_t take = WS_CIPHER_HEADER_LEN - st->header_len;
	int outl = 0;

	if (take > len)
		take = len;
	memcpy(st->header + st->header_len, in, take);
	st->header_len += take;
	*used = take;

	/* say "not ours" as soon as we can tell, not "truncated" later */
	if (st->header_len >= WS_CIPHER_MAGIC_LEN &&
		memcmp(st->header, WS_CIPHER_MAGIC, WS_CIPHER_MAGIC_LEN) != 0)
		return ws_error_set(err, WS_ERR_CORRUPT,
							"invalid encrypted data header: expected magic \"%s\"",
							WS_CIPHER_MAGIC);
	if (st->header_len < WS_CIPHER_HEADER_LEN)
		return WS_OK;

	if (EVP_DecryptInit_ex(st->ctx, NULL, NULL, NULL,
						   st->header + WS_CIPHER_MAGIC_LEN) != 1 ||
		EVP_DecryptUpdate(st->ctx, NULL, &outl, st->header,
						  WS_CIPHER_MAGIC_LEN) != 1)
		return ws_filter_openssl_error(err, WS_ERR_INVALID,
									   "could not set up decryption");
	return WS_OK;
}

/*
 * Decrypt all but the last WS_CIPHER_TAG_LEN bytes seen so far, keeping
 * those in tail.
 */
static int
decrypt_body(struct cipher_state *st, const uint8_t *in, size_t len,
			 struct ws_buf *out, const char *name, struct ws_error *err)
{
	size_t release;
	size_t from_tail;
	int rc;

	if (len <= WS_CIPHER_TAG_LEN - st->tail_len) {
		memcpy(st->tail + st->tail_len, in, len);
		st->tail_len += len;
		return WS_OK;
	}

	/* tail_len + len > TAG_LEN: release the excess, oldest bytes first */
	release = st->tail_len + len - WS_CIPHER_TAG_LEN;
	from_tail = release < st->tail_len ? release : st->tail_len;
	rc = cipher_update(st, false, st->tail, from_tail, out, name, err);
	if (rc != WS_OK)
		return rc;
	memmove(st->tail, st->tail + from_tail, st->tail_len - from_tail);
	st->tail_len -= from_tail;

	rc = cipher_update(st, false, in, release - from_tail, out, name, err);
	if (rc != WS_OK)
		return rc;
	in += release - from_tail;
	len -= release - from_tail;
	memcpy(st->tail + st->tail_len, in, len);
	st->tail_len += len;
	return WS_OK;
}

static int
decrypt_process(struct ws_filter *f, const void *in, size_t len,
				struct ws_buf *out, struct ws_error *err)
{
	struct cipher_state *st = f->state;
	const uint8_t *p = in;
	int rc;

	rc = ws_filter_check_open(st->phase, f->ops->name, err);
	if (rc != WS_OK)
		return rc;
	if (len == 0)
		return WS_OK;
	if (st->header_len < WS_CIPHER_HEADER_LEN) {
		size_t used;

		rc = decrypt_read_header(st, p, len, &used, err);
		if (rc != WS_OK)
			return fail(st, rc);
		p += used;
		len -= used;
	}
	rc = decrypt_body(st, p, len, out, f->ops->name, err);
	if (rc != WS_OK)
		return fail(st, rc);
	return WS_OK;
}

static int
decrypt_finish(struct ws_filter *f, struct ws_buf *out, struct ws_error *err)
{
	struct cipher_state *st = f->state;
	int outl = 0;
	int rc;

	rc = ws_filter_check_open(st->phase, f->ops->name, err);
	if (rc != WS_OK)
		return rc;
	if (st->header_len < WS_CIPHER_HEADER_LEN || st->tail_len < WS_CIPHER_TAG_LEN)
		return fail(st, ws_error_set(err, WS_ERR_CORRUPT,
									 "encrypted data is truncated"));
	if (EVP_CIPHER_CTX_ctrl(st->ctx, EVP_CTRL_AEAD_SET_TAG, WS_CIPHER_TAG_LEN,
							st->tail) != 1)
		return fail(st, ws_filter_openssl_error(err, WS_ERR_INVALID,
												"could not decrypt"));
	if (EVP_DecryptFinal_ex(st->ctx, st->chunk, &outl) != 1) {
		ERR_clear_error();
		return fail(st, ws_error_set(err, WS_ERR_CORRUPT,
									 "could not decrypt: wrong encryption key or corrupt data"));
	}
	rc = ws_filter_emit(out, st->chunk, (size_t) outl, f->ops->name, err);
	if (rc != WS_OK)
		return fail(st, rc);
	st->phase = WS_FILTER_FINISHED;
	return WS_OK;
}

static const struct ws_filter_ops decrypt_ops = {
	"decryption", decrypt_process, decrypt_finish, cipher_free
};

int
ws_filter_decrypt_new(const uint8_t key[WS_AES_KEY_LEN], struct ws_filter **out,
					  struct ws_error *err)
{
	struct cipher_state *st = NULL;
	struct ws_filter f = {&decrypt_ops, NULL};
	int rc;

	rc = state_new(&st, err);
	if (rc != WS_OK)
		return rc;
	f.state = st;

	/* the key now, the IV once the header has arrived */
	if (EVP_DecryptInit_ex(st->ctx, EVP_aes_256_gcm(), NULL, NULL, NULL) != 1 ||
		EVP_CIPHER_CTX_ctrl(st->ctx, EVP_CTRL_AEAD_SET_IVLEN,
							WS_CIPHER_IV_LEN, NULL) != 1 ||
		EVP_DecryptInit_ex(st->ctx, NULL, NULL, key, NULL) != 1) {
		rc = ws_filter_openssl_error(err, WS_ERR_INVALID,
									 "could not set up decryption");
		goto cleanup;
	}
	rc = ws_filter_create(&decrypt_ops, st, out, err);

cleanup:
	if (rc != WS_OK)
		cipher_free(&f);
	return rc;
}
