/*
 * test_repl_msg.c — unit tests for src/pg/repl_msg.c
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pg/repl_msg.h"

static void
put64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t) v;
}

static void
test_xlogdata(void **state)
{
	uint8_t msg[WS_REPL_XLOGDATA_HEADER + 3] = {'w'};
	struct ws_repl_msg m;
	struct ws_error err;

	(void) state;
	put64(msg + 1, 0x0000000123000000ULL);
	put64(msg + 9, 0x0000000123ABCDEFULL);
	put64(msg + 17, 777);
	memcpy(msg + WS_REPL_XLOGDATA_HEADER, "abc", 3);
	assert_int_equal(ws_repl_msg_parse(msg, sizeof(msg), &m, &err), WS_OK);
	assert_int_equal(m.type, WS_REPL_XLOGDATA);
	assert_true(m.start == 0x0000000123000000ULL);
	assert_true(m.server_end == 0x0000000123ABCDEFULL);
	assert_true(m.send_time == 777);
	assert_int_equal(m.len, 3);
	assert_memory_equal(m.data, "abc", 3);
	assert_false(m.reply_requested);
}

static void
test_xlogdata_empty_payload(void **state)
{
	uint8_t msg[WS_REPL_XLOGDATA_HEADER] = {'w'};
	struct ws_repl_msg m;
	struct ws_error err;

	(void) state;
	assert_int_equal(ws_repl_msg_parse(msg, sizeof(msg), &m, &err), WS_OK);
	assert_int_equal(m.len, 0);
}

static void
test_keepalive(void **state)
{
	uint8_t msg[WS_REPL_KEEPALIVE_LEN] = {'k'};
	struct ws_repl_msg m;
	struct ws_error err;

	(void) state;
	put64(msg + 1, 0x5000060);
	put64(msg + 9, 42);
	msg[17] = 1;
	assert_int_equal(ws_repl_msg_parse(msg, sizeof(msg), &m, &err), WS_OK);
	assert_int_equal(m.type, WS_REPL_KEEPALIVE);
	assert_true(m.server_end == 0x5000060);
	assert_true(m.reply_requested);
	msg[17] = 0;
	assert_int_equal(ws_repl_msg_parse(msg, sizeof(msg), &m, &err), WS_OK);
	assert_false(m.reply_requested);
}

/* A connection cut inside a message leaves a short one: an error, never a read past it. */
static void
test_truncated(void **state)
{
	uint8_t w[WS_REPL_XLOGDATA_HEADER] = {'w'};
	uint8_t k[WS_REPL_KEEPALIVE_LEN + 1] = {'k'};
	struct ws_repl_msg m;
	struct ws_error err;

	(void) state;
	for (size_t len = 1; len < sizeof(w); len++) {
		assert_int_equal(ws_repl_msg_parse(w, len, &m, &err), WS_ERR_CORRUPT);
		assert_non_null(strstr(err.message, "truncated WAL data message"));
	}
	for (size_t len = 1; len <= sizeof(k); len++) {
		if (len == WS_REPL_KEEPALIVE_LEN)
			continue;
		assert_int_equal(ws_repl_msg_parse(k, len, &m, &err), WS_ERR_CORRUPT);
		assert_non_null(strstr(err.message, "malformed keepalive"));
	}
	assert_int_equal(ws_repl_msg_parse(w, 0, &m, &err), WS_ERR_CORRUPT);
}

static void
test_unknown_type(void **state)
{
	uint8_t msg[30] = {'x'};
	struct ws_repl_msg m;
	struct ws_error err;

	(void) state;
	assert_int_equal(ws_repl_msg_parse(msg, sizeof(msg), &m, &err), WS_ERR_CORRUPT);
	assert_string_equal(err.message, "unknown message type \"x\" in the replication stream");
	msg[0] = 0x01;
	assert_int_equal(ws_repl_msg_parse(msg, sizeof(msg), &m, &err), WS_ERR_CORRUPT);
	assert_string_equal(err.message, "unknown message type \"?\" in the replication stream");
}

static void
test_status_encode(void **state)
{
	uint8_t out[WS_REPL_STATUS_LEN];
	uint8_t want[WS_REPL_STATUS_LEN] = {'r'};

	(void) state;
	put64(want + 1, 0x100);
	put64(want + 9, 0x80);
	put64(want + 17, 0);
	put64(want + 25, 0x0102030405060708ULL);
	want[33] = 1;
	ws_repl_status_encode(0x100, 0x80, 0, 0x0102030405060708LL, true, out);
	assert_memory_equal(out, want, sizeof(want));
}

/* PostgreSQL's epoch is 2000-01-01: now is about 26.9 years after it. */
static void
test_now(void **state)
{
	int64_t now = ws_repl_now();
	int64_t unix_us = (int64_t) time(NULL) * 1000000LL;

	(void) state;
	assert_true(now > 0);
	assert_true(llabs((unix_us - 946684800LL * 1000000LL) - now) < 5 * 1000000LL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_xlogdata),
		cmocka_unit_test(test_xlogdata_empty_payload),
		cmocka_unit_test(test_keepalive),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_unknown_type),
		cmocka_unit_test(test_status_encode),
		cmocka_unit_test(test_now),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
