/*
 * test_buf.c — unit tests for src/common/buf.c
 *
 * Link with -Wl,--wrap=malloc,--wrap=realloc,--wrap=calloc (alloc_torture.h): the allocation "torture" test
 * fails each allocation in turn through __wrap_malloc/__wrap_realloc below.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/error.h"

/*
 * Allocation failure injection. Test-only state: fail_at = N makes the Nth
 * counted allocation return NULL; 0 disables injection.
 */
#include "../alloc_torture.h"

/* the buffer holds exactly these bytes and is NUL-terminated */
static void
assert_buf(const struct ws_buf *b, const char *want, size_t wantlen)
{
	assert_int_equal(b->len, wantlen);
	if (wantlen > 0)
		assert_memory_equal(b->data, want, wantlen);
	assert_int_equal(ws_buf_str(b)[wantlen], '\0');
	assert_true(b->len <= b->max);
	if (b->data != NULL)
		assert_true(b->len < b->cap);
}

static void
test_init_empty(void **state)
{
	struct ws_buf b;

	(void) state;
	ws_buf_init(&b, 100);
	assert_null(b.data);
	assert_int_equal(b.len, 0);
	assert_int_equal(b.cap, 0);
	assert_int_equal(b.max, 100);
	assert_string_equal(ws_buf_str(&b), "");
	ws_buf_reset(&b);
	ws_buf_free(&b);
	assert_null(b.data);
	assert_int_equal(b.max, 100);
}

static void
test_append(void **state)
{
	struct ws_buf b;

	(void) state;
	ws_buf_init(&b, 1024);
	assert_int_equal(ws_buf_append(&b, "abc", 3), WS_OK);
	assert_buf(&b, "abc", 3);
	assert_int_equal(ws_buf_append_str(&b, "def"), WS_OK);
	assert_string_equal(ws_buf_str(&b), "abcdef");
	/* binary data with NULs */
	assert_int_equal(ws_buf_append(&b, "\0x", 2), WS_OK);
	assert_buf(&b, "abcdef\0x", 8);
	ws_buf_free(&b);
}

static void
test_append_empty_allocates_terminator(void **state)
{
	struct ws_buf b;

	(void) state;
	ws_buf_init(&b, 10);
	assert_int_equal(ws_buf_append(&b, NULL, 0), WS_OK);
	assert_non_null(b.data);
	assert_buf(&b, "", 0);
	assert_int_equal(ws_buf_append_str(&b, ""), WS_OK);
	assert_buf(&b, "", 0);
	ws_buf_free(&b);
}

static void
test_cap_exactly_reached(void **state)
{
	struct ws_buf b;

	(void) state;
	ws_buf_init(&b, 8);
	assert_int_equal(ws_buf_append(&b, "1234", 4), WS_OK);
	assert_int_equal(ws_buf_append(&b, "5678", 4), WS_OK);
	assert_buf(&b, "12345678", 8);
	/* never allocates more than max + 1 */
	assert_int_equal(b.cap, 9);
	assert_int_equal(ws_buf_append(&b, "", 0), WS_OK);
	assert_int_equal(ws_buf_append(&b, "9", 1), WS_ERR_TOO_LARGE);
	assert_buf(&b, "12345678", 8);
	ws_buf_free(&b);
}

static void
test_cap_exceeded_unchanged(void **state)
{
	struct ws_buf b;

	(void) state;
	ws_buf_init(&b, 8);
	assert_int_equal(ws_buf_append(&b, "12345", 5), WS_OK);
	assert_int_equal(ws_buf_append(&b, "6789", 4), WS_ERR_TOO_LARGE);
	assert_buf(&b, "12345", 5);
	assert_int_equal(ws_buf_append_str(&b, "6789"), WS_ERR_TOO_LARGE);
	assert_int_equal(ws_buf_appendf(&b, "%d", 6789), WS_ERR_TOO_LARGE);
	assert_buf(&b, "12345", 5);
	assert_int_equal(ws_buf_appendf(&b, "%d", 678), WS_OK);
	assert_buf(&b, "12345678", 8);
	ws_buf_free(&b);

	/* a huge length must not wrap around the check */
	ws_buf_init(&b, 8);
	assert_int_equal(ws_buf_append(&b, "x", 1), WS_OK);
	assert_int_equal(ws_buf_append(&b, "y", SIZE_MAX), WS_ERR_TOO_LARGE);
	assert_buf(&b, "x", 1);
	ws_buf_free(&b);
}

static void
test_max_zero(void **state)
{
	struct ws_buf b;

	(void) state;
	ws_buf_init(&b, 0);
	assert_int_equal(ws_buf_append(&b, "a", 1), WS_ERR_TOO_LARGE);
	assert_null(b.data);
	assert_int_equal(ws_buf_appendf(&b, "%s", "a"), WS_ERR_TOO_LARGE);
	assert_null(b.data);
	assert_int_equal(ws_buf_appendf(&b, "%s", ""), WS_OK);
	assert_buf(&b, "", 0);
	ws_buf_free(&b);
}

static void
test_appendf_grows(void **state)
{
	struct ws_buf b;
	char want[2000];
	size_t initial_cap;

	(void) state;
	ws_buf_init(&b, 4096);
	assert_int_equal(ws_buf_appendf(&b, "%s=%d;", "a", 1), WS_OK);
	assert_string_equal(ws_buf_str(&b), "a=1;");
	initial_cap = b.cap;

	/* well past the first allocation: takes the slow path */
	assert_int_equal(ws_buf_appendf(&b, "%01500d", 7), WS_OK);
	assert_true(b.cap > initial_cap);
	memcpy(want, "a=1;", 4);
	memset(want + 4, '0', 1499);
	want[1503] = '7';
	assert_buf(&b, want, 1504);

	/* fits in the slack: fast path */
	assert_int_equal(ws_buf_appendf(&b, "%c", '!'), WS_OK);
	want[1504] = '!';
	assert_buf(&b, want, 1505);
	ws_buf_free(&b);
}

static void
test_appendf_too_large_after_partial_write(void **state)
{
	struct ws_buf b;

	(void) state;
	/* the fast path writes a truncated result into the slack first */
	ws_buf_init(&b, 20);
	assert_int_equal(ws_buf_append_str(&b, "abc"), WS_OK);
	assert_true(b.cap > 10);
	assert_int_equal(ws_buf_appendf(&b, "%s", "0123456789012345678"),
					 WS_ERR_TOO_LARGE);
	assert_buf(&b, "abc", 3);
	assert_int_equal(ws_buf_appendf(&b, "%s", "01234567890123456"), WS_OK);
	assert_buf(&b, "abc01234567890123456", 20);
	ws_buf_free(&b);
}

static void
test_appendf_percent_m(void **state)
{
	struct ws_buf b;

	(void) state;
	ws_buf_init(&b, 1000);
	errno = EACCES;
	/* first call allocates: realloc must not disturb %m */
	assert_int_equal(ws_buf_appendf(&b, "x: %m"), WS_OK);
	assert_string_equal(ws_buf_str(&b), "x: Permission denied");
	assert_int_equal(errno, EACCES);
	ws_buf_free(&b);
}

static void
test_reset_and_free(void **state)
{
	struct ws_buf b;
	char *mem;
	size_t cap;

	(void) state;
	ws_buf_init(&b, 100);
	assert_int_equal(ws_buf_append_str(&b, "hello"), WS_OK);
	mem = b.data;
	cap = b.cap;
	ws_buf_reset(&b);
	assert_buf(&b, "", 0);
	assert_ptr_equal(b.data, mem);
	assert_int_equal(b.cap, cap);
	assert_int_equal(ws_buf_append_str(&b, "again"), WS_OK);
	assert_string_equal(ws_buf_str(&b), "again");

	ws_buf_free(&b);
	assert_null(b.data);
	assert_int_equal(b.len, 0);
	assert_int_equal(b.cap, 0);
	assert_int_equal(b.max, 100);
	assert_string_equal(ws_buf_str(&b), "");
	/* usable again after free */
	assert_int_equal(ws_buf_append_str(&b, "x"), WS_OK);
	ws_buf_free(&b);
	ws_buf_free(&b);
}

static void
test_append_self(void **state)
{
	struct ws_buf b;
	char want[200];

	(void) state;
	ws_buf_init(&b, 1000);
	assert_int_equal(ws_buf_append_str(&b, "0123456789"), WS_OK);
	/* doubling forces reallocation while the source is inside the buffer */
	for (int i = 0; i < 4; i++)
		assert_int_equal(ws_buf_append(&b, b.data, b.len), WS_OK);
	for (int i = 0; i < 16; i++)
		memcpy(want + i * 10, "0123456789", 10);
	assert_buf(&b, want, 160);
	ws_buf_free(&b);
}

static void
test_many_small_appends(void **state)
{
	struct ws_buf b;

	(void) state;
	ws_buf_init(&b, 100000);
	for (int i = 0; i < 100000; i++)
		assert_int_equal(ws_buf_append(&b, "z", 1), WS_OK);
	assert_int_equal(b.len, 100000);
	assert_int_equal(ws_buf_append(&b, "z", 1), WS_ERR_TOO_LARGE);
	assert_int_equal(b.cap, 100001);
	ws_buf_free(&b);
}

/*
 * Run a fixed sequence of operations, failing allocation number fail_at.
 * Every operation that hit the injected failure must report WS_ERR_NOMEM
 * and leave the buffer exactly as it was. Returns how many failures fired.
 */
static unsigned long
torture_run(unsigned long fail_at)
{
	static char want[1 << 16];
	struct ws_buf b;
	size_t wantlen = 0;
	unsigned long fired;

	alloc_inject(fail_at);
	ws_buf_init(&b, sizeof(want));
	for (int i = 0; i < 40; i++) {
		unsigned long failed_before = alloc_ctl.failed;
		char piece[600];
		int rc;
		int n;

		n = snprintf(piece, sizeof(piece), "%d:%0*d|", i, i * 13, i);
		assert_true(n > 0 && (size_t) n < sizeof(piece));
		switch (i % 3) {
		case 0:
			rc = ws_buf_append(&b, piece, (size_t) n);
			break;
		case 1:
			rc = ws_buf_append_str(&b, piece);
			break;
		default:
			rc = ws_buf_appendf(&b, "%d:%0*d|", i, i * 13, i);
			break;
		}

		if (alloc_ctl.failed != failed_before) {
			assert_int_equal(rc, WS_ERR_NOMEM);
			assert_buf(&b, want, wantlen);
		} else {
			assert_int_equal(rc, WS_OK);
			memcpy(want + wantlen, piece, (size_t) n);
			wantlen += (size_t) n;
			assert_buf(&b, want, wantlen);
		}
	}
	ws_buf_free(&b);
	fired = alloc_ctl.failed;
	alloc_inject(0);
	return fired;
}

static void
test_torture_alloc_failures(void **state)
{
	unsigned long n;

	(void) state;
	assert_int_equal(torture_run(0), 0);
	for (n = 1; n < 1000; n++) {
		unsigned long fired;

		fired = torture_run(n);
		if (fired == 0)
			break;
		assert_int_equal(fired, 1);
	}
	assert_true(n > 3);			/* several allocations were failed in turn */
	assert_true(n < 1000);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_empty),
		cmocka_unit_test(test_append),
		cmocka_unit_test(test_append_empty_allocates_terminator),
		cmocka_unit_test(test_cap_exactly_reached),
		cmocka_unit_test(test_cap_exceeded_unchanged),
		cmocka_unit_test(test_max_zero),
		cmocka_unit_test(test_appendf_grows),
		cmocka_unit_test(test_appendf_too_large_after_partial_write),
		cmocka_unit_test(test_appendf_percent_m),
		cmocka_unit_test(test_reset_and_free),
		cmocka_unit_test(test_append_self),
		cmocka_unit_test(test_many_small_appends),
		cmocka_unit_test(test_torture_alloc_failures),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
