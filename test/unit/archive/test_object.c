/*
 * test_object.c — unit tests for src/archive/object.c
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "archive/object.h"

#define DATA_LEN (1024 * 1024)

static uint8_t key_a[WS_AES_KEY_LEN];
static uint8_t key_b[WS_AES_KEY_LEN];

static int
setup(void **state)
{
	uint8_t *data = malloc(DATA_LEN);

	if (data == NULL)
		return -1;
	/* half compressible text, half noise, like WAL with random payloads */
	for (size_t i = 0; i < DATA_LEN; i++)
		data[i] = i < DATA_LEN / 2 ? (uint8_t) ("walship "[i % 8]) : (uint8_t) (rand() & 0xff);
	memset(key_a, 0xa5, sizeof(key_a));
	memset(key_b, 0x5a, sizeof(key_b));
	*state = data;
	return 0;
}

static int
teardown(void **state)
{
	free(*state);
	return 0;
}

static void
encode(const uint8_t *data, enum ws_compress_type type, const uint8_t *key, struct ws_buf *obj)
{
	struct ws_object_params params = {type, type == WS_COMPRESS_ZLIB ? 6 : 3, key, 2};
	struct ws_object_header h;
	struct ws_error err;

	ws_buf_init(obj, 2 * DATA_LEN);
	assert_int_equal(ws_object_encode(data, DATA_LEN, &params, obj, &h, &err), WS_OK);
	assert_true(h.original_size == DATA_LEN);
}

static void
test_round_trips(void **state)
{
	const uint8_t *data = *state;
	enum ws_compress_type types[] = {WS_COMPRESS_NONE, WS_COMPRESS_ZLIB, WS_COMPRESS_ZSTD};

	for (size_t t = 0; t < 3; t++) {
		for (int encrypted = 0; encrypted < 2; encrypted++) {
			const uint8_t *key = encrypted ? key_a : NULL;
			struct ws_object_header h;
			struct ws_error err;
			struct ws_buf obj;
			struct ws_buf out;

			encode(data, types[t], key, &obj);
			if (types[t] != WS_COMPRESS_NONE)
				assert_true(obj.len < DATA_LEN);
			ws_buf_init(&out, DATA_LEN);
			assert_int_equal(ws_object_decode(obj.data, obj.len, key, DATA_LEN, &out, &h, &err), WS_OK);
			assert_int_equal(out.len, DATA_LEN);
			assert_memory_equal(out.data, data, DATA_LEN);
			assert_int_equal(h.compress, types[t]);
			assert_int_equal(h.encrypted, encrypted);
			ws_buf_free(&obj);
			ws_buf_free(&out);
		}
	}
}

static void
expect_decode(const struct ws_buf *obj, const uint8_t *key, size_t max_out, int status,
			  const char *fragment)
{
	struct ws_object_header h;
	struct ws_error err;
	struct ws_buf out;

	ws_buf_init(&out, DATA_LEN);
	assert_int_equal(ws_object_decode(obj->data, obj->len, key, max_out, &out, &h, &err), status);
	if (fragment != NULL && strstr(err.message, fragment) == NULL)
		fail_msg("\"%s\" lacks \"%s\"", err.message, fragment);
	ws_buf_free(&out);
}

static void
test_damage_is_detected(void **state)
{
	const uint8_t *data = *state;
	struct ws_buf obj;

	/* a flipped payload byte: zstd's own checksum or ours catches it */
	encode(data, WS_COMPRESS_ZSTD, NULL, &obj);
	obj.data[obj.len / 2] ^= 0x40;
	expect_decode(&obj, NULL, DATA_LEN, WS_ERR_CORRUPT, NULL);
	ws_buf_free(&obj);

	/* uncompressed: only our SHA-256 can tell */
	encode(data, WS_COMPRESS_NONE, NULL, &obj);
	obj.data[obj.len - 1] ^= 0x01;
	expect_decode(&obj, NULL, DATA_LEN, WS_ERR_CORRUPT, "checksum mismatch");
	ws_buf_free(&obj);

	/* a truncated object */
	encode(data, WS_COMPRESS_ZLIB, NULL, &obj);
	obj.len -= 100;
	expect_decode(&obj, NULL, DATA_LEN, WS_ERR_CORRUPT, NULL);
	obj.len = 10;
	expect_decode(&obj, NULL, DATA_LEN, WS_ERR_CORRUPT, "bad header");
	ws_buf_free(&obj);

	/* a header claiming more than the caller allows */
	encode(data, WS_COMPRESS_ZSTD, NULL, &obj);
	expect_decode(&obj, NULL, DATA_LEN - 1, WS_ERR_CORRUPT, "more than");
	obj.data[0] = 'X';
	expect_decode(&obj, NULL, DATA_LEN, WS_ERR_CORRUPT, "bad header");
	ws_buf_free(&obj);
}

static void
test_keys(void **state)
{
	const uint8_t *data = *state;
	struct ws_buf obj;

	encode(data, WS_COMPRESS_ZSTD, key_a, &obj);
	expect_decode(&obj, key_b, DATA_LEN, WS_ERR_CORRUPT, "wrong encryption key");
	expect_decode(&obj, NULL, DATA_LEN, WS_ERR_CONFIG, "no repo-cipher-pass");
	ws_buf_free(&obj);

	encode(data, WS_COMPRESS_ZSTD, NULL, &obj);
	expect_decode(&obj, key_a, DATA_LEN, WS_ERR_CORRUPT, "not encrypted");
	ws_buf_free(&obj);
}

/*
 * zstd's worker count must not change the bytes: a segment pushed again by
 * a walship with another process-max must compare equal. Large enough for
 * zstd to cut it into more than one job.
 */
static void
test_threads_do_not_change_output(void **state)
{
	const size_t len = 20 * 1024 * 1024;
	uint8_t *big = malloc(len);
	struct ws_buf one, four, out;
	struct ws_object_header h;
	struct ws_error err;

	(void) state;
	assert_non_null(big);
	srand(7);
	for (size_t i = 0; i < len; i++)
		big[i] = (i / 4096) % 3 == 0 ? (uint8_t) (rand() & 0xff) : (uint8_t) ("WAL "[i % 4]);
	for (int threads = 1; threads <= 4; threads += 3) {
		struct ws_object_params params = {WS_COMPRESS_ZSTD, 3, NULL, threads};
		struct ws_buf *obj = threads == 1 ? &one : &four;

		ws_buf_init(obj, len);
		assert_int_equal(ws_object_encode(big, len, &params, obj, &h, &err), WS_OK);
	}
	assert_int_equal(one.len, four.len);
	assert_memory_equal(one.data, four.data, one.len);
	ws_buf_init(&out, len);
	assert_int_equal(ws_object_decode(four.data, four.len, NULL, len, &out, &h, &err), WS_OK);
	assert_int_equal(out.len, len);
	assert_memory_equal(out.data, big, len);
	ws_buf_free(&one);
	ws_buf_free(&four);
	ws_buf_free(&out);
	free(big);
}

/* Fed in pieces as a file is read, an object decodes to the same bytes. */
static void
test_pieces(void **state)
{
	const uint8_t *data = *state;
	enum ws_compress_type types[] = {WS_COMPRESS_NONE, WS_COMPRESS_ZLIB, WS_COMPRESS_ZSTD};

	for (size_t t = 0; t < 3; t++) {
		for (int encrypted = 0; encrypted < 2; encrypted++) {
			const uint8_t *key = encrypted ? key_a : NULL;
			struct ws_object_params params = {types[t], 3, key, 2};
			struct ws_object_encoder e;
			struct ws_object_header h, whole_h;
			struct ws_error err;
			struct ws_buf obj, whole, out;
			int rc;

			ws_buf_init(&obj, 2 * DATA_LEN);
			rc = ws_object_encoder_begin(&e, DATA_LEN, &params, &obj, &h, &err);
			/* uneven pieces, the last one short */
			for (size_t at = 0; rc == WS_OK && at < DATA_LEN; at += 100000)
				rc = ws_object_encoder_update(&e, data + at,
											  DATA_LEN - at < 100000 ? DATA_LEN - at : 100000, &err);
			assert_int_equal(ws_object_encoder_end(&e, rc, &err), WS_OK);
			encode(data, types[t], key, &whole);
			ws_object_header_decode(whole.data, whole.len, &whole_h, &err);
			assert_memory_equal(h.sha256, whole_h.sha256, sizeof(h.sha256));
			ws_buf_init(&out, DATA_LEN);
			assert_int_equal(ws_object_decode(obj.data, obj.len, key, DATA_LEN, &out, &h, &err), WS_OK);
			assert_int_equal(out.len, DATA_LEN);
			assert_memory_equal(out.data, data, DATA_LEN);
			ws_buf_free(&obj);
			ws_buf_free(&whole);
			ws_buf_free(&out);
		}
	}
}

/* Feeding more or less than announced fails, and end still frees. */
static void
test_pieces_of_the_wrong_size(void **state)
{
	const uint8_t *data = *state;
	struct ws_object_params params = {WS_COMPRESS_ZSTD, 3, NULL, 1};
	struct ws_object_encoder e;
	struct ws_object_header h;
	struct ws_error err;
	struct ws_buf obj;
	int rc;

	ws_buf_init(&obj, 2 * DATA_LEN);
	rc = ws_object_encoder_begin(&e, DATA_LEN, &params, &obj, &h, &err);
	assert_int_equal(rc, WS_OK);
	rc = ws_object_encoder_update(&e, data, DATA_LEN / 2, &err);
	assert_int_equal(ws_object_encoder_end(&e, rc, &err), WS_ERR_INVALID);
	assert_non_null(strstr(err.message, "not 1048576"));
	ws_buf_reset(&obj);

	rc = ws_object_encoder_begin(&e, 1000, &params, &obj, &h, &err);
	assert_int_equal(rc, WS_OK);
	rc = ws_object_encoder_update(&e, data, 1001, &err);
	assert_int_equal(rc, WS_ERR_INVALID);
	assert_int_equal(ws_object_encoder_end(&e, rc, &err), WS_ERR_INVALID);
	ws_buf_free(&obj);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_threads_do_not_change_output),
		cmocka_unit_test(test_round_trips),
		cmocka_unit_test(test_damage_is_detected),
		cmocka_unit_test(test_keys),
		cmocka_unit_test(test_pieces),
		cmocka_unit_test(test_pieces_of_the_wrong_size),
	};

	return cmocka_run_group_tests_name("archive/object", tests, setup, teardown);
}
