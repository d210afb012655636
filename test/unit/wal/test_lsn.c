/*
 * test_lsn.c — unit tests for src/wal/lsn.c
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "common/error.h"
#include "wal/lsn.h"

static void
expect_parse(const char *text, ws_lsn want)
{
	struct ws_error err;
	ws_lsn		got = 12345;

	ws_error_clear(&err);
	if (ws_lsn_parse(text, &got, &err) != WS_OK)
		fail_msg("\"%s\" did not parse: %s", text, err.message);
	assert_true(got == want);
}

static void
expect_invalid(const char *text)
{
	struct ws_error err;
	ws_lsn		got = 12345;

	ws_error_clear(&err);
	if (ws_lsn_parse(text, &got, &err) != WS_ERR_INVALID)
		fail_msg("\"%s\" was accepted", text ? text : "(null)");
	assert_int_equal(err.status, WS_ERR_INVALID);
	assert_non_null(strstr(err.message, "invalid LSN"));
	assert_true(got == 12345);
}

static void
test_parse_valid(void **state)
{
	(void) state;
	expect_parse("0/0", 0);
	expect_parse("0/1", 1);
	expect_parse("1/0", UINT64_C(0x100000000));
	expect_parse("0/3000148", UINT64_C(0x3000148));
	expect_parse("16/B374D848", UINT64_C(0x16B374D848));
	expect_parse("16/b374d848", UINT64_C(0x16B374D848));
	expect_parse("aB/cD", UINT64_C(0xAB000000CD));
	expect_parse("00000000/00000000", 0);
	expect_parse("00000001/00000002", UINT64_C(0x100000002));
	expect_parse("FFFFFFFF/FFFFFFFF", UINT64_MAX);
	expect_parse("ffffffff/ffffffff", UINT64_MAX);
	expect_parse("FFFFFFFF/0", UINT64_C(0xFFFFFFFF00000000));
	expect_parse("0/FFFFFFFF", UINT64_C(0xFFFFFFFF));
}

static void
test_parse_invalid(void **state)
{
	static const char *const bad[] = {
		"", "/", "0", "00", "0/", "/0", "0//0", "0/0/0", "0\\0",
		" 0/0", "0/0 ", "0 /0", "0/ 0", "\t0/0", "0/0\n",
		"+0/0", "0/+0", "-1/0", "0/-1", "0x0/0", "0/0x0", "0X1/0",
		"123456789/0", "0/123456789", "000000000/0", "0/000000000",
		"G/0", "0/G", "0/g", "1.5/0", "0,0", "0:0", "0/0h", "FFFFFFFFF/FFFFFFFF",
		"\xff/0", "LSN", "0/0;", "ABCDEFGH/0",
	};
	size_t		i;

	(void) state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_invalid(bad[i]);
	expect_invalid(NULL);
}

static void
test_parse_message(void **state)
{
	struct ws_error err;
	ws_lsn		lsn;
	char		longtext[4096];

	(void) state;
	assert_int_equal(ws_lsn_parse("1/zz", &lsn, &err), WS_ERR_INVALID);
	assert_string_equal(err.message, "invalid LSN \"1/zz\"");

	/* control bytes, quotes and backslashes are escaped */
	assert_int_equal(ws_lsn_parse("a\"b\\c\x01\x7f\xc3\xa9", &lsn, &err),
					 WS_ERR_INVALID);
	assert_string_equal(err.message,
						"invalid LSN \"a\\\"b\\\\c\\x01\\x7F\\xC3\\xA9\"");

	/* huge input is cut short, not copied whole */
	memset(longtext, 'A', sizeof(longtext) - 1);
	longtext[sizeof(longtext) - 1] = '\0';
	assert_int_equal(ws_lsn_parse(longtext, &lsn, &err), WS_ERR_INVALID);
	assert_true(strlen(err.message) < 80);
	assert_non_null(strstr(err.message, "...\""));
}

static void
test_parse_len(void **state)
{
	struct ws_error err;
	ws_lsn		lsn = 0;

	(void) state;
	assert_int_equal(ws_lsn_parse_len("1/2xyz", 3, &lsn, &err), WS_OK);
	assert_true(lsn == UINT64_C(0x100000002));
	assert_int_equal(ws_lsn_parse_len("1/2xyz", 4, &lsn, &err), WS_ERR_INVALID);
	assert_string_equal(err.message, "invalid LSN \"1/2x\"");
	assert_int_equal(ws_lsn_parse_len("1/2", 0, &lsn, &err), WS_ERR_INVALID);
	assert_int_equal(ws_lsn_parse_len("1/2", 2, &lsn, &err), WS_ERR_INVALID);
	/* a NUL inside the field is not a terminator */
	assert_int_equal(ws_lsn_parse_len("1/2\0" "3", 5, &lsn, &err),
					 WS_ERR_INVALID);
	assert_string_equal(err.message, "invalid LSN \"1/2\\x003\"");
}

static void
expect_format(ws_lsn lsn, const char *want)
{
	char		buf[WS_LSN_STRLEN];

	memset(buf, 'x', sizeof(buf));
	ws_lsn_format(lsn, buf);
	assert_string_equal(buf, want);
}

static void
test_format(void **state)
{
	(void) state;
	expect_format(0, "0/0");
	expect_format(1, "0/1");
	expect_format(UINT64_C(0x3000148), "0/3000148");
	expect_format(UINT64_C(0x16B374D848), "16/B374D848");
	expect_format(UINT64_C(0x100000000), "1/0");
	expect_format(UINT64_C(0xFFFFFFFF), "0/FFFFFFFF");
	expect_format(UINT64_MAX, "FFFFFFFF/FFFFFFFF");
	assert_int_equal(strlen("FFFFFFFF/FFFFFFFF") + 1, WS_LSN_STRLEN);
}

static uint64_t
next_random(uint64_t *s)
{
	/* xorshift64: deterministic, so failures reproduce */
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void
round_trip(ws_lsn lsn)
{
	struct ws_error err;
	char		buf[WS_LSN_STRLEN];
	ws_lsn		back = 0;

	ws_lsn_format(lsn, buf);
	if (ws_lsn_parse(buf, &back, &err) != WS_OK)
		fail_msg("could not parse own output \"%s\": %s", buf, err.message);
	assert_true(back == lsn);
}

static void
test_round_trip(void **state)
{
	uint64_t	seed = UINT64_C(0x9E3779B97F4A7C15);
	int			k;

	(void) state;
	round_trip(0);
	round_trip(UINT64_MAX);
	for (k = 0; k < 64; k++) {
		round_trip(UINT64_C(1) << k);
		round_trip((UINT64_C(1) << k) - 1);
		round_trip(UINT64_MAX >> k);
	}
	for (k = 0; k < 10000; k++)
		round_trip(next_random(&seed));
}

static void
test_diff(void **state)
{
	const uint64_t half = UINT64_C(1) << 63;

	(void) state;
	assert_true(ws_lsn_diff(0, 0) == 0);
	assert_true(ws_lsn_diff(UINT64_MAX, UINT64_MAX) == 0);
	assert_true(ws_lsn_diff(10, 3) == 7);
	assert_true(ws_lsn_diff(3, 10) == -7);
	assert_true(ws_lsn_diff(UINT64_C(0x3000148), UINT64_C(0x3000000)) == 0x148);
	assert_true(ws_lsn_diff(half - 1, 0) == INT64_MAX);
	assert_true(ws_lsn_diff(half, 0) == INT64_MAX);
	assert_true(ws_lsn_diff(half, 1) == INT64_MAX);
	assert_true(ws_lsn_diff(UINT64_MAX, 0) == INT64_MAX);
	assert_true(ws_lsn_diff(0, half - 1) == -INT64_MAX);
	assert_true(ws_lsn_diff(0, half) == INT64_MIN);
	assert_true(ws_lsn_diff(0, half + 1) == INT64_MIN);
	assert_true(ws_lsn_diff(0, UINT64_MAX) == INT64_MIN);
	assert_true(ws_lsn_diff(1, UINT64_MAX) == INT64_MIN);
	assert_true(ws_lsn_diff(UINT64_MAX, 1) == INT64_MAX);
	assert_true(ws_lsn_diff(UINT64_MAX, half) == INT64_MAX);
	assert_true(ws_lsn_diff(half, UINT64_MAX) == -INT64_MAX);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_valid),
		cmocka_unit_test(test_parse_invalid),
		cmocka_unit_test(test_parse_message),
		cmocka_unit_test(test_parse_len),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_diff),
	};

	return cmocka_run_group_tests_name("wal/lsn", tests, NULL, NULL);
}
