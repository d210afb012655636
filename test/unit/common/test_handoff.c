/*
 * test_handoff.c — unit tests for src/common/handoff.c
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "common/handoff.h"

#define PIECES 1000

/* what the consumer saw, in order */
struct seen {
	struct ws_buf all;
	int calls;
	int fail_at;            /* fail on this call (1-based); 0 never */
};

static int
collect(const void *data, size_t len, void *arg, struct ws_error *err)
{
	struct seen *s = arg;

	s->calls++;
	if (s->calls == s->fail_at)
		return ws_error_set(err, WS_ERR_IO, "consumer failed on call %d", s->calls);
	return ws_buf_append(&s->all, data, len);
}

static void
test_order_kept(void **state)
{
	struct seen seen = {.fail_at = 0};
	struct ws_handoff *h;
	struct ws_error err;

	(void) state;
	ws_buf_init(&seen.all, (size_t) PIECES * 16);
	assert_int_equal(ws_handoff_start(collect, &seen, 64, &h, &err), WS_OK);
	for (int i = 0; i < PIECES; i++) {
		struct ws_buf *b = ws_handoff_buffer(h);

		assert_int_equal(b->len, 0);
		assert_int_equal(ws_buf_appendf(b, "%d,", i), WS_OK);
		assert_int_equal(ws_handoff_push(h, &err), WS_OK);
	}
	assert_int_equal(ws_handoff_finish(h, &err), WS_OK);
	assert_int_equal(seen.calls, PIECES);

	/* every piece once, in order */
	{
		const char *p = ws_buf_str(&seen.all);

		for (int i = 0; i < PIECES; i++) {
			char want[16];
			size_t n = (size_t) snprintf(want, sizeof(want), "%d,", i);

			assert_memory_equal(p, want, n);
			p += n;
		}
		assert_int_equal(*p, '\0');
	}
	ws_buf_free(&seen.all);
}

static void
test_consumer_error_reaches_producer(void **state)
{
	struct seen seen = {.fail_at = 3};
	struct ws_handoff *h;
	struct ws_error err;
	int rc = WS_OK;
	int pushed = 0;

	(void) state;
	ws_buf_init(&seen.all, 1024);
	assert_int_equal(ws_handoff_start(collect, &seen, 64, &h, &err), WS_OK);
	/* the failure shows up at a later push; the producer stops there */
	while (rc == WS_OK && pushed < PIECES) {
		struct ws_buf *b = ws_handoff_buffer(h);

		assert_int_equal(ws_buf_append_str(b, "x"), WS_OK);
		rc = ws_handoff_push(h, &err);
		pushed++;
	}
	assert_int_equal(rc, WS_ERR_IO);
	assert_non_null(strstr(err.message, "consumer failed on call 3"));
	assert_true(pushed < PIECES);
	ws_error_clear(&err);
	assert_int_equal(ws_handoff_finish(h, &err), WS_ERR_IO);
	assert_non_null(strstr(err.message, "call 3"));
	/* nothing after the failure was consumed */
	assert_int_equal(seen.all.len, 2);
	ws_buf_free(&seen.all);
}

static void
test_error_at_the_end(void **state)
{
	struct seen seen = {.fail_at = 2};
	struct ws_handoff *h;
	struct ws_error err;

	(void) state;
	ws_buf_init(&seen.all, 1024);
	assert_int_equal(ws_handoff_start(collect, &seen, 64, &h, &err), WS_OK);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(ws_buf_append_str(ws_handoff_buffer(h), "y"), WS_OK);
		/* the second push may or may not see the failure yet */
		(void) ws_handoff_push(h, &err);
	}
	assert_int_equal(ws_handoff_finish(h, &err), WS_ERR_IO);
	assert_non_null(strstr(err.message, "call 2"));
	ws_buf_free(&seen.all);
}

static void
test_buffer_cap(void **state)
{
	struct seen seen = {.fail_at = 0};
	struct ws_handoff *h;
	struct ws_error err;
	struct ws_buf *b;

	(void) state;
	ws_buf_init(&seen.all, 1024);
	assert_int_equal(ws_handoff_start(collect, &seen, 4, &h, &err), WS_OK);
	b = ws_handoff_buffer(h);
	assert_int_equal(ws_buf_append(b, "12345", 5), WS_ERR_TOO_LARGE);
	assert_int_equal(ws_handoff_finish(h, &err), WS_OK);
	assert_int_equal(seen.calls, 0);
	assert_int_equal(ws_handoff_finish(NULL, &err), WS_OK);
	ws_buf_free(&seen.all);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_order_kept),
		cmocka_unit_test(test_consumer_error_reaches_producer),
		cmocka_unit_test(test_error_at_the_end),
		cmocka_unit_test(test_buffer_cap),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
