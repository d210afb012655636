/*
 * test_cipher.c — unit tests for src/filter/cipher.c and src/filter/kdf.c
 *
 * Besides round trips, a stream made by an independent implementation
 * (Python's cryptography package, AESGCM) is pinned here, and so is the
 * key ws_kdf_derive() makes from a fixed passphrase: either changing would
 * make existing archives unreadable.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/error.h"
#include "filter/filter.h"
#include "filter/filter_int.h"

#define MIB ((size_t) 1024 * 1024)
#define BIG_LEN (16 * MIB)
#define OVERHEAD 32				/* magic 4 + IV 12 + tag 16 */

#define MSG_WRONG_KEY "could not decrypt: wrong encryption key or corrupt data"

struct rng {
	uint64_t s;
};

static uint64_t
rng_next(struct rng *r)
{
	r->s ^= r->s >> 12;
	r->s ^= r->s << 25;
	r->s ^= r->s >> 27;
	return r->s * UINT64_C(2685821657736338717);
}

static void
fill_random(uint8_t *buf, size_t len, uint64_t seed)
{
	struct rng r = {seed};

	for (size_t i = 0; i < len; i += 8) {
		uint64_t v = rng_next(&r);
		size_t n = len - i < 8 ? len - i : 8;

		memcpy(buf + i, &v, n);
	}
}

static size_t
random_piece(struct rng *r, size_t max)
{
	unsigned bits = (unsigned) (rng_next(r) % 21);
	size_t n = 1 + (size_t) (rng_next(r) % ((uint64_t) 1 << bits));

	return n < max ? n : max;
}

static int
feed(struct ws_filter *f, const uint8_t *in, size_t len, uint64_t seed,
	 struct ws_buf *out, struct ws_error *err)
{
	struct rng r = {seed | 1};
	size_t pos = 0;
	int rc;

	while (pos < len) {
		size_t piece = random_piece(&r, MIB);

		if (piece > len - pos)
			piece = len - pos;
		rc = f->ops->process(f, in + pos, piece, out, err);
		if (rc != WS_OK)
			return rc;
		pos += piece;
		if (rng_next(&r) % 8 == 0) {
			rc = f->ops->process(f, in + pos, 0, out, err);
			if (rc != WS_OK)
				return rc;
		}
	}
	return f->ops->finish(f, out, err);
}

static void
test_key(uint8_t key[WS_AES_KEY_LEN], uint8_t base)
{
	for (int i = 0; i < WS_AES_KEY_LEN; i++)
		key[i] = (uint8_t) (base + i);
}

static void
encrypt_all(const uint8_t *key, const uint8_t *in, size_t len, uint64_t seed,
			struct ws_buf *out)
{
	struct ws_filter *f = NULL;
	struct ws_error err;

	assert_int_equal(ws_filter_encrypt_new(key, &f, &err), WS_OK);
	assert_int_equal(feed(f, in, len, seed, out, &err), WS_OK);
	ws_filter_free(f);
}

static int
decrypt_all(const uint8_t *key, const uint8_t *in, size_t len, uint64_t seed,
			struct ws_buf *out, struct ws_error *err)
{
	struct ws_filter *f = NULL;
	int rc;

	ws_error_clear(err);
	assert_int_equal(ws_filter_decrypt_new(key, &f, err), WS_OK);
	rc = feed(f, in, len, seed, out, err);
	if (rc != WS_OK)
		assert_int_equal(err->status, rc);
	ws_filter_free(f);
	return rc;
}

static void
roundtrip(const uint8_t *data, size_t len, uint64_t seed)
{
	uint8_t key[WS_AES_KEY_LEN];
	struct ws_buf enc;
	struct ws_buf dec;
	struct ws_error err;
	int rc;

	test_key(key, 1);
	ws_buf_init(&enc, SIZE_MAX);
	ws_buf_init(&dec, SIZE_MAX);
	encrypt_all(key, data, len, seed, &enc);
	assert_int_equal(enc.len, len + OVERHEAD);
	assert_memory_equal(enc.data, "WSE1", 4);
	if (len >= 64)
		assert_memory_not_equal(enc.data + 16, data, 64);

	rc = decrypt_all(key, (const uint8_t *) enc.data, enc.len, seed * 7, &dec, &err);
	if (rc != WS_OK)
		print_error("decrypt: %s\n", err.message);
	assert_int_equal(rc, WS_OK);
	assert_int_equal(dec.len, len);
	if (len > 0)
		assert_memory_equal(dec.data, data, len);
	ws_buf_free(&enc);
	ws_buf_free(&dec);
}

/* ---- fixture ---- */

static int
group_setup(void **state)
{
	uint8_t *data = malloc(BIG_LEN);

	if (data == NULL)
		return -1;
	fill_random(data, BIG_LEN, 99);
	*state = data;
	return 0;
}

static int
group_teardown(void **state)
{
	free(*state);
	return 0;
}

/* ---- encryption ---- */

static void
test_roundtrip_sizes(void **state)
{
	const uint8_t *data = *state;
	static const size_t sizes[] = {0, 1, 2, 15, 16, 17, 31, 32, 33, 1000, 65536, 300001};

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		for (uint64_t seed = 1; seed <= 4; seed++)
			roundtrip(data, sizes[i], seed + i * 10);
}

static void
test_roundtrip_big(void **state)
{
	const uint8_t *data = *state;

	roundtrip(data, BIG_LEN, 1);
	roundtrip(data, BIG_LEN, 2);
}

/* the header and the held-back tag straddle piece boundaries */
static void
test_byte_at_a_time(void **state)
{
	const uint8_t *data = *state;
	uint8_t key[WS_AES_KEY_LEN];
	struct ws_filter *f = NULL;
	struct ws_buf enc;
	struct ws_buf dec;
	struct ws_error err;

	test_key(key, 1);
	ws_buf_init(&enc, SIZE_MAX);
	ws_buf_init(&dec, SIZE_MAX);
	assert_int_equal(ws_filter_encrypt_new(key, &f, &err), WS_OK);
	for (size_t i = 0; i < 100; i++)
		assert_int_equal(f->ops->process(f, data + i, 1, &enc, &err), WS_OK);
	assert_int_equal(f->ops->finish(f, &enc, &err), WS_OK);
	ws_filter_free(f);

	assert_int_equal(ws_filter_decrypt_new(key, &f, &err), WS_OK);
	for (size_t i = 0; i < enc.len; i++) {
		assert_int_equal(f->ops->process(f, enc.data + i, 1, &dec, &err), WS_OK);
		/* the last 16 bytes seen are never released before finish */
		if (i + 1 >= 32)
			assert_int_equal(dec.len, i + 1 - 32);
		else
			assert_int_equal(dec.len, 0);
	}
	assert_int_equal(f->ops->finish(f, &dec, &err), WS_OK);
	ws_filter_free(f);
	assert_int_equal(dec.len, 100);
	assert_memory_equal(dec.data, data, 100);
	ws_buf_free(&enc);
	ws_buf_free(&dec);
}

/* made with Python cryptography: AESGCM(key).encrypt(iv, pt, b"WSE1") */
static void
test_known_stream(void **state)
{
	static const uint8_t stream[] = {
		0x57, 0x53, 0x45, 0x31, 0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7,
		0xa8, 0xa9, 0xaa, 0xab, 0x91, 0x79, 0x10, 0x5e, 0x2d, 0xa2, 0x72, 0x9f,
		0x11, 0x11, 0xf5, 0xb6, 0x66, 0x17, 0xe0, 0xb8, 0x19, 0xc0, 0x2d, 0x75,
		0xe0, 0x97, 0x36, 0x09, 0xef, 0x7a, 0x06, 0xf0, 0x1a, 0xc8, 0x01, 0x6e,
		0xa0, 0x3e, 0x87, 0x43, 0x41, 0xf1, 0x0d, 0xe2, 0x16, 0x80, 0x96, 0x62,
		0xb2, 0x29, 0xdc, 0x7e, 0xcd
	};
	static const char plain[] = "walship stream filter test vector";
	uint8_t key[WS_AES_KEY_LEN];
	struct ws_buf dec;
	struct ws_error err;

	(void) state;
	test_key(key, 0);
	ws_buf_init(&dec, SIZE_MAX);
	for (uint64_t seed = 1; seed < 20; seed++) {
		ws_buf_reset(&dec);
		assert_int_equal(decrypt_all(key, stream, sizeof(stream), seed, &dec, &err), WS_OK);
		assert_int_equal(dec.len, strlen(plain));
		assert_memory_equal(dec.data, plain, strlen(plain));
	}
	ws_buf_free(&dec);
}

static void
test_fresh_iv(void **state)
{
	const uint8_t *data = *state;
	uint8_t key[WS_AES_KEY_LEN];
	struct ws_buf a;
	struct ws_buf b;

	test_key(key, 1);
	ws_buf_init(&a, SIZE_MAX);
	ws_buf_init(&b, SIZE_MAX);
	encrypt_all(key, data, 1000, 1, &a);
	encrypt_all(key, data, 1000, 1, &b);
	assert_int_equal(a.len, b.len);
	/* different IVs, hence different ciphertexts and tags */
	assert_memory_not_equal(a.data + 4, b.data + 4, 12);
	assert_memory_not_equal(a.data + 16, b.data + 16, 1000);
	assert_memory_not_equal(a.data + 1016, b.data + 1016, 16);
	ws_buf_free(&a);
	ws_buf_free(&b);
}

static void
test_wrong_key(void **state)
{
	const uint8_t *data = *state;
	uint8_t key[WS_AES_KEY_LEN];
	uint8_t other[WS_AES_KEY_LEN];
	struct ws_buf enc;
	struct ws_buf dec;
	struct ws_error err;

	test_key(key, 1);
	test_key(other, 1);
	other[31] ^= 1;
	ws_buf_init(&enc, SIZE_MAX);
	ws_buf_init(&dec, SIZE_MAX);
	encrypt_all(key, data, 5000, 3, &enc);
	assert_int_equal(decrypt_all(other, (const uint8_t *) enc.data, enc.len, 1, &dec, &err),
					 WS_ERR_CORRUPT);
	assert_string_equal(err.message, MSG_WRONG_KEY);

	/* an empty stream is authenticated too */
	ws_buf_reset(&enc);
	ws_buf_reset(&dec);
	encrypt_all(key, data, 0, 3, &enc);
	assert_int_equal(decrypt_all(other, (const uint8_t *) enc.data, enc.len, 1, &dec, &err),
					 WS_ERR_CORRUPT);
	assert_string_equal(err.message, MSG_WRONG_KEY);
	ws_buf_free(&enc);
	ws_buf_free(&dec);
}

/* one flipped byte anywhere: magic, IV, ciphertext or tag */
static void
test_flipped_byte(void **state)
{
	const uint8_t *data = *state;
	uint8_t key[WS_AES_KEY_LEN];
	struct ws_buf enc;
	struct ws_buf dec;
	struct ws_error err;
	uint8_t *copy;

	test_key(key, 1);
	ws_buf_init(&enc, SIZE_MAX);
	ws_buf_init(&dec, SIZE_MAX);
	encrypt_all(key, data, 200, 5, &enc);
	copy = malloc(enc.len);
	assert_non_null(copy);
	for (size_t pos = 0; pos < enc.len; pos++) {
		memcpy(copy, enc.data, enc.len);
		copy[pos] ^= 0x01;
		ws_buf_reset(&dec);
		assert_int_equal(decrypt_all(key, copy, enc.len, pos, &dec, &err), WS_ERR_CORRUPT);
		if (pos < 4)
			assert_string_equal(err.message,
								"invalid encrypted data header: expected magic \"WSE1\"");
		else
			assert_string_equal(err.message, MSG_WRONG_KEY);
	}
	free(copy);
	ws_buf_free(&enc);
	ws_buf_free(&dec);
}

static void
test_truncated(void **state)
{
	const uint8_t *data = *state;
	uint8_t key[WS_AES_KEY_LEN];
	struct ws_buf enc;
	struct ws_buf dec;
	struct ws_error err;

	test_key(key, 1);
	ws_buf_init(&enc, SIZE_MAX);
	ws_buf_init(&dec, SIZE_MAX);
	encrypt_all(key, data, 100, 5, &enc);
	for (size_t len = 0; len < enc.len; len++) {
		ws_buf_reset(&dec);
		assert_int_equal(decrypt_all(key, (const uint8_t *) enc.data, len, len, &dec, &err),
						 WS_ERR_CORRUPT);
		if (len < OVERHEAD)
			assert_string_equal(err.message, "encrypted data is truncated");
		else
			assert_string_equal(err.message, MSG_WRONG_KEY);
	}
	ws_buf_free(&enc);
	ws_buf_free(&dec);
}

static void
test_trailing_garbage(void **state)
{
	const uint8_t *data = *state;
	uint8_t key[WS_AES_KEY_LEN];
	struct ws_buf enc;
	struct ws_buf dec;
	struct ws_error err;

	test_key(key, 1);
	ws_buf_init(&enc, SIZE_MAX);
	ws_buf_init(&dec, SIZE_MAX);
	encrypt_all(key, data, 100, 5, &enc);
	assert_int_equal(ws_buf_append(&enc, "", 1), WS_OK);
	assert_int_equal(decrypt_all(key, (const uint8_t *) enc.data, enc.len, 1, &dec, &err),
					 WS_ERR_CORRUPT);
	assert_string_equal(err.message, MSG_WRONG_KEY);
	ws_buf_free(&enc);
	ws_buf_free(&dec);
}

/* data that is not ours is refused as soon as the magic is seen */
static void
test_bad_magic_early(void **state)
{
	uint8_t key[WS_AES_KEY_LEN];
	struct ws_filter *f = NULL;
	struct ws_buf dec;
	struct ws_error err;

	(void) state;
	test_key(key, 1);
	ws_buf_init(&dec, SIZE_MAX);
	assert_int_equal(ws_filter_decrypt_new(key, &f, &err), WS_OK);
	assert_int_equal(f->ops->process(f, "WS", 2, &dec, &err), WS_OK);
	assert_int_equal(f->ops->process(f, "E2", 2, &dec, &err), WS_ERR_CORRUPT);
	assert_non_null(strstr(err.message, "invalid encrypted data header"));
	assert_int_equal(f->ops->process(f, "x", 1, &dec, &err), WS_ERR_INVALID);
	assert_int_equal(f->ops->finish(f, &dec, &err), WS_ERR_INVALID);
	ws_filter_free(f);

	/* a zstd frame handed to decryption by mistake */
	assert_int_equal(ws_filter_decrypt_new(key, &f, &err), WS_OK);
	assert_int_equal(f->ops->process(f, "\x28\xb5\x2f\xfd\x00\x00", 6, &dec, &err),
					 WS_ERR_CORRUPT);
	ws_filter_free(f);
	assert_int_equal(dec.len, 0);
	ws_buf_free(&dec);
}

static void
test_use_after_finish(void **state)
{
	uint8_t key[WS_AES_KEY_LEN];
	struct ws_filter *f = NULL;
	struct ws_buf enc;
	struct ws_buf dec;
	struct ws_error err;

	(void) state;
	test_key(key, 1);
	ws_buf_init(&enc, SIZE_MAX);
	ws_buf_init(&dec, SIZE_MAX);
	assert_int_equal(ws_filter_encrypt_new(key, &f, &err), WS_OK);
	assert_string_equal(f->ops->name, "encryption");
	assert_int_equal(f->ops->process(f, "abc", 3, &enc, &err), WS_OK);
	assert_int_equal(f->ops->finish(f, &enc, &err), WS_OK);
	assert_int_equal(f->ops->process(f, "abc", 3, &enc, &err), WS_ERR_INVALID);
	assert_string_equal(err.message, "encryption filter was used after it finished");
	assert_int_equal(f->ops->finish(f, &enc, &err), WS_ERR_INVALID);
	ws_filter_free(f);

	assert_int_equal(ws_filter_decrypt_new(key, &f, &err), WS_OK);
	assert_int_equal(f->ops->process(f, enc.data, enc.len, &dec, &err), WS_OK);
	assert_int_equal(f->ops->finish(f, &dec, &err), WS_OK);
	assert_int_equal(f->ops->finish(f, &dec, &err), WS_ERR_INVALID);
	assert_int_equal(f->ops->process(f, "a", 1, &dec, &err), WS_ERR_INVALID);
	ws_filter_free(f);
	assert_int_equal(dec.len, 3);
	assert_memory_equal(dec.data, "abc", 3);
	ws_buf_free(&enc);
	ws_buf_free(&dec);
}

static void
test_output_buffer_full(void **state)
{
	const uint8_t *data = *state;
	uint8_t key[WS_AES_KEY_LEN];
	struct ws_filter *f = NULL;
	struct ws_buf small;
	struct ws_error err;

	test_key(key, 1);
	ws_buf_init(&small, 20);
	assert_int_equal(ws_filter_encrypt_new(key, &f, &err), WS_OK);
	assert_int_equal(f->ops->process(f, data, 100, &small, &err), WS_ERR_TOO_LARGE);
	assert_string_equal(err.message, "encryption output exceeds 20 bytes");
	ws_filter_free(f);
	ws_buf_free(&small);

	/* room for the header and data but not for the tag */
	ws_buf_init(&small, 30);
	assert_int_equal(ws_filter_encrypt_new(key, &f, &err), WS_OK);
	assert_int_equal(f->ops->process(f, data, 10, &small, &err), WS_OK);
	assert_int_equal(f->ops->finish(f, &small, &err), WS_ERR_TOO_LARGE);
	ws_filter_free(f);
	ws_buf_free(&small);
}

/* ---- key derivation ---- */

static void
assert_hex(const uint8_t *bytes, size_t len, const char *hex)
{
	char got[2 * 64 + 1];

	assert_true(len <= 64);
	for (size_t i = 0; i < len; i++)
		snprintf(got + 2 * i, 3, "%02x", bytes[i]);
	got[2 * len] = '\0';
	assert_string_equal(got, hex);
}

/* RFC 7914 section 12 */
static void
test_scrypt_rfc7914(void **state)
{
	uint8_t out[64];
	struct ws_error err;

	(void) state;
	assert_int_equal(ws_kdf_scrypt("", 0, (const uint8_t *) "", 0, 16, 1, 1,
								   64 * MIB, out, sizeof(out), &err), WS_OK);
	assert_hex(out, sizeof(out),
			   "77d6576238657b203b19ca42c18a0497f16b4844e3074ae8dfdffa3fede21442"
			   "fcd0069ded0948f8326a753a0fc81f17e8d3e0fb2e0d3628cf35e20c38d18906");
	assert_int_equal(ws_kdf_scrypt("password", 8, (const uint8_t *) "NaCl", 4, 1024, 8, 16,
								   64 * MIB, out, sizeof(out), &err), WS_OK);
	assert_hex(out, sizeof(out),
			   "fdbabe1c9d3472007856e7190d01e9fe7c6ad7cbc8237830e77376634b373162"
			   "2eaf30d92e22a3886ff109279d9830dac727afb94a83ee6d8360cbdfa2cc0640");
	assert_int_equal(ws_kdf_scrypt("pleaseletmein", 13, (const uint8_t *) "SodiumChloride", 14,
								   16384, 8, 1, 64 * MIB, out, sizeof(out), &err), WS_OK);
	assert_hex(out, sizeof(out),
			   "7023bdcb3afd7348461c06cd81fd38ebfda8fbba904f8e3ea9b543f6545da1f2"
			   "d5432955613f0fcf62d49705242a9af9e61e85dc0d651e40dfcf017b45575887");
}

static void
test_scrypt_bad_parameters(void **state)
{
	uint8_t out[32];
	struct ws_error err;

	(void) state;
	/* N must be a power of two; memory beyond maxmem is refused */
	assert_int_equal(ws_kdf_scrypt("a", 1, (const uint8_t *) "b", 1, 1000, 8, 1,
								   64 * MIB, out, sizeof(out), &err), WS_ERR_INVALID);
	assert_non_null(strstr(err.message, "could not derive encryption key"));
	assert_int_equal(ws_kdf_scrypt("a", 1, (const uint8_t *) "b", 1, 32768, 8, 1,
								   MIB, out, sizeof(out), &err), WS_ERR_INVALID);
}

/*
 * The production parameters (N=32768, r=8, p=1) pinned: computed with
 * Python's hashlib.scrypt. If this changes, old archives cannot be read.
 */
static void
test_kdf_known_answer(void **state)
{
	uint8_t salt[WS_KDF_SALT_LEN];
	uint8_t key[WS_AES_KEY_LEN];
	struct ws_error err;

	(void) state;
	for (int i = 0; i < WS_KDF_SALT_LEN; i++)
		salt[i] = (uint8_t) i;
	assert_int_equal(ws_kdf_derive("correct horse battery staple", salt, key, &err), WS_OK);
	assert_hex(key, sizeof(key),
			   "7a8e34241db898d59175c696538c417467a975ffe569068425f16188d3159c58");
}

static void
test_kdf_deterministic(void **state)
{
	uint8_t salt[WS_KDF_SALT_LEN];
	uint8_t k1[WS_AES_KEY_LEN];
	uint8_t k2[WS_AES_KEY_LEN];
	struct ws_error err;

	(void) state;
	memset(salt, 0xab, sizeof(salt));
	assert_int_equal(ws_kdf_derive("secret", salt, k1, &err), WS_OK);
	assert_int_equal(ws_kdf_derive("secret", salt, k2, &err), WS_OK);
	assert_memory_equal(k1, k2, sizeof(k1));

	/* another salt, another key */
	salt[15] ^= 1;
	assert_int_equal(ws_kdf_derive("secret", salt, k2, &err), WS_OK);
	assert_memory_not_equal(k1, k2, sizeof(k1));

	/* another passphrase, another key */
	salt[15] ^= 1;
	assert_int_equal(ws_kdf_derive("secreT", salt, k2, &err), WS_OK);
	assert_memory_not_equal(k1, k2, sizeof(k1));
}

static void
test_kdf_empty_passphrase(void **state)
{
	uint8_t salt[WS_KDF_SALT_LEN] = {0};
	uint8_t key[WS_AES_KEY_LEN];
	struct ws_error err;

	(void) state;
	assert_int_equal(ws_kdf_derive("", salt, key, &err), WS_ERR_INVALID);
	assert_string_equal(err.message, "encryption passphrase is empty");
	assert_int_equal(ws_kdf_derive(NULL, salt, key, &err), WS_ERR_INVALID);
}

/* derived key in, same key out: the pieces fit together */
static void
test_kdf_with_cipher(void **state)
{
	const uint8_t *data = *state;
	uint8_t salt[WS_KDF_SALT_LEN] = {1, 2, 3};
	uint8_t key[WS_AES_KEY_LEN];
	uint8_t wrong[WS_AES_KEY_LEN];
	struct ws_buf enc;
	struct ws_buf dec;
	struct ws_error err;

	assert_int_equal(ws_kdf_derive("hunter2", salt, key, &err), WS_OK);
	assert_int_equal(ws_kdf_derive("hunter3", salt, wrong, &err), WS_OK);
	ws_buf_init(&enc, SIZE_MAX);
	ws_buf_init(&dec, SIZE_MAX);
	encrypt_all(key, data, 4096, 1, &enc);
	assert_int_equal(decrypt_all(key, (const uint8_t *) enc.data, enc.len, 2, &dec, &err),
					 WS_OK);
	assert_memory_equal(dec.data, data, 4096);
	ws_buf_reset(&dec);
	assert_int_equal(decrypt_all(wrong, (const uint8_t *) enc.data, enc.len, 2, &dec, &err),
					 WS_ERR_CORRUPT);
	ws_buf_free(&enc);
	ws_buf_free(&dec);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip_sizes),
		cmocka_unit_test(test_roundtrip_big),
		cmocka_unit_test(test_byte_at_a_time),
		cmocka_unit_test(test_known_stream),
		cmocka_unit_test(test_fresh_iv),
		cmocka_unit_test(test_wrong_key),
		cmocka_unit_test(test_flipped_byte),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_trailing_garbage),
		cmocka_unit_test(test_bad_magic_early),
		cmocka_unit_test(test_use_after_finish),
		cmocka_unit_test(test_output_buffer_full),
		cmocka_unit_test(test_scrypt_rfc7914),
		cmocka_unit_test(test_scrypt_bad_parameters),
		cmocka_unit_test(test_kdf_known_answer),
		cmocka_unit_test(test_kdf_deterministic),
		cmocka_unit_test(test_kdf_empty_passphrase),
		cmocka_unit_test(test_kdf_with_cipher),
	};

	return cmocka_run_group_tests_name("filter/cipher", tests, group_setup,
									   group_teardown);
}
