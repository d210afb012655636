/*
 * test_zstd_mem.c — unit tests for src/filter/zstd_mem.c
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "filter/zstd_mem.h"

/* Small blocks come from malloc, large ones are mapped: both are usable whole. */
static void
test_blocks_are_usable_and_aligned(void **state)
{
	const size_t sizes[] = {1, 4096, 1024 * 1024 - 1, 1024 * 1024, 5 * 1024 * 1024 + 7};

	(void) state;
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		unsigned char *p = ws_zstd_mem.customAlloc(ws_zstd_mem.opaque, sizes[i]);

		assert_non_null(p);
		assert_int_equal((uintptr_t) p % 16, 0);
		memset(p, 0xab, sizes[i]);
		assert_int_equal(p[sizes[i] - 1], 0xab);
		ws_zstd_mem.customFree(ws_zstd_mem.opaque, p);
	}
	ws_zstd_mem.customFree(ws_zstd_mem.opaque, NULL);
}

static void
test_impossible_size_is_refused(void **state)
{
	(void) state;
	assert_null(ws_zstd_mem.customAlloc(ws_zstd_mem.opaque, SIZE_MAX - 10));
}

/* A compression context built on it round-trips. */
static void
test_context_round_trip(void **state)
{
	static char in[3 * 1024 * 1024], out[3 * 1024 * 1024 + 1024], back[3 * 1024 * 1024];
	ZSTD_CCtx *c = ZSTD_createCCtx_advanced(ws_zstd_mem);
	size_t n;

	(void) state;
	assert_non_null(c);
	for (size_t i = 0; i < sizeof(in); i++)
		in[i] = (char) ("zstd "[i % 5] ^ (i % 4099 == 0));
	assert_false(ZSTD_isError(ZSTD_CCtx_setParameter(c, ZSTD_c_nbWorkers, 2)));
	n = ZSTD_compress2(c, out, sizeof(out), in, sizeof(in));
	assert_false(ZSTD_isError(n));
	assert_int_equal(ZSTD_decompress(back, sizeof(back), out, n), sizeof(in));
	assert_memory_equal(back, in, sizeof(in));
	ZSTD_freeCCtx(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_blocks_are_usable_and_aligned),
		cmocka_unit_test(test_impossible_size_is_refused),
		cmocka_unit_test(test_context_round_trip),
	};

	return cmocka_run_group_tests_name("filter/zstd_mem", tests, NULL, NULL);
}
