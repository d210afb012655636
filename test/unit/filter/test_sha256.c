/*
 * test_sha256.c — unit tests for src/filter/sha256.c
 *
 * Known answers from FIPS 180-2 appendix B, fed whole, byte by byte and in
 * pieces of random size: the digest must not depend on how input arrives.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "filter/filter.h"

#define SHA_EMPTY "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define SHA_ABC "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
#define SHA_TWO_BLOCK "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
#define SHA_MILLION_A "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"

#define TWO_BLOCK_MSG "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"

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

/* hash data in pieces: piece == 0 means random sizes from seed */
static void
check_digest(const void *data, size_t len, size_t piece, uint64_t seed,
			 const char *want)
{
	const uint8_t *p = data;
	struct rng r = {seed | 1};
	struct ws_sha256 *h = NULL;
	struct ws_error err;
	char hex[65];
	size_t pos = 0;

	assert_int_equal(ws_sha256_new(&h, &err), WS_OK);
	while (pos < len) {
		size_t n = piece;

		if (n == 0)
			n = 1 + (size_t) (rng_next(&r) % (1 + (rng_next(&r) % 70000)));
		if (n > len - pos)
			n = len - pos;
		assert_int_equal(ws_sha256_update(h, p + pos, n, &err), WS_OK);
		pos += n;
		/* empty updates change nothing */
		assert_int_equal(ws_sha256_update(h, p + pos, 0, &err), WS_OK);
	}
	memset(hex, 'x', sizeof(hex));
	assert_int_equal(ws_sha256_final(h, hex, &err), WS_OK);
	assert_int_equal(hex[64], '\0');
	assert_string_equal(hex, want);
	ws_sha256_free(h);
}

static void
test_empty(void **state)
{
	struct ws_sha256 *h = NULL;
	struct ws_error err;
	char hex[65];

	(void) state;
	check_digest("", 0, 1, 1, SHA_EMPTY);
	/* no update at all, and an empty update with NULL */
	assert_int_equal(ws_sha256_new(&h, &err), WS_OK);
	assert_int_equal(ws_sha256_final(h, hex, &err), WS_OK);
	assert_string_equal(hex, SHA_EMPTY);
	ws_sha256_free(h);
	assert_int_equal(ws_sha256_new(&h, &err), WS_OK);
	assert_int_equal(ws_sha256_update(h, NULL, 0, &err), WS_OK);
	assert_int_equal(ws_sha256_final(h, hex, &err), WS_OK);
	assert_string_equal(hex, SHA_EMPTY);
	ws_sha256_free(h);
}

static void
test_abc(void **state)
{
	(void) state;
	check_digest("abc", 3, 3, 1, SHA_ABC);
	check_digest("abc", 3, 1, 1, SHA_ABC);
	check_digest("abc", 3, 2, 1, SHA_ABC);
}

static void
test_two_block(void **state)
{
	size_t len = strlen(TWO_BLOCK_MSG);

	(void) state;
	for (size_t piece = 1; piece <= len; piece++)
		check_digest(TWO_BLOCK_MSG, len, piece, 1, SHA_TWO_BLOCK);
}

static void
test_million_a(void **state)
{
	size_t len = 1000000;
	char *a = malloc(len);

	(void) state;
	assert_non_null(a);
	memset(a, 'a', len);
	check_digest(a, len, len, 1, SHA_MILLION_A);
	check_digest(a, len, 1, 1, SHA_MILLION_A);
	check_digest(a, len, 63, 1, SHA_MILLION_A);
	check_digest(a, len, 64, 1, SHA_MILLION_A);
	check_digest(a, len, 65, 1, SHA_MILLION_A);
	for (uint64_t seed = 1; seed <= 8; seed++)
		check_digest(a, len, 0, seed, SHA_MILLION_A);
	free(a);
}

static void
test_use_after_final(void **state)
{
	struct ws_sha256 *h = NULL;
	struct ws_error err;
	char hex[65];

	(void) state;
	assert_int_equal(ws_sha256_new(&h, &err), WS_OK);
	assert_int_equal(ws_sha256_update(h, "abc", 3, &err), WS_OK);
	assert_int_equal(ws_sha256_final(h, hex, &err), WS_OK);
	assert_string_equal(hex, SHA_ABC);
	assert_int_equal(ws_sha256_update(h, "abc", 3, &err), WS_ERR_INVALID);
	assert_string_equal(err.message, "SHA-256 was updated after it finished");
	assert_int_equal(ws_sha256_final(h, hex, &err), WS_ERR_INVALID);
	ws_sha256_free(h);
	ws_sha256_free(NULL);
}

/* the digest form is the same hash, and hex of it is the hex form */
static void
test_digest(void **state)
{
	struct ws_sha256 *h = NULL;
	struct ws_error err;
	uint8_t digest[32];
	char hex[65];

	(void) state;
	assert_int_equal(ws_sha256_new(&h, &err), WS_OK);
	assert_int_equal(ws_sha256_update(h, "abc", 3, &err), WS_OK);
	assert_int_equal(ws_sha256_final_digest(h, digest, &err), WS_OK);
	assert_int_equal(digest[0], 0xba);
	assert_int_equal(digest[31], 0xad);
	ws_sha256_hex(digest, hex);
	assert_string_equal(hex, SHA_ABC);
	assert_int_equal(ws_sha256_final_digest(h, digest, &err), WS_ERR_INVALID);
	assert_string_equal(err.message, "SHA-256 was finished twice");
	ws_sha256_free(h);
}

/* independent hashes do not share state */
static void
test_two_at_once(void **state)
{
	struct ws_sha256 *a = NULL;
	struct ws_sha256 *b = NULL;
	struct ws_error err;
	char hex[65];

	(void) state;
	assert_int_equal(ws_sha256_new(&a, &err), WS_OK);
	assert_int_equal(ws_sha256_new(&b, &err), WS_OK);
	assert_int_equal(ws_sha256_update(a, "ab", 2, &err), WS_OK);
	assert_int_equal(ws_sha256_update(b, TWO_BLOCK_MSG, 30, &err), WS_OK);
	assert_int_equal(ws_sha256_update(a, "c", 1, &err), WS_OK);
	assert_int_equal(ws_sha256_update(b, &TWO_BLOCK_MSG[30], strlen(TWO_BLOCK_MSG) - 30,
									  &err), WS_OK);
	assert_int_equal(ws_sha256_final(a, hex, &err), WS_OK);
	assert_string_equal(hex, SHA_ABC);
	assert_int_equal(ws_sha256_final(b, hex, &err), WS_OK);
	assert_string_equal(hex, SHA_TWO_BLOCK);
	ws_sha256_free(a);
	ws_sha256_free(b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_abc),
		cmocka_unit_test(test_two_block),
		cmocka_unit_test(test_million_a),
		cmocka_unit_test(test_use_after_final),
		cmocka_unit_test(test_digest),
		cmocka_unit_test(test_two_at_once),
	};

	return cmocka_run_group_tests_name("filter/sha256", tests, NULL, NULL);
}
