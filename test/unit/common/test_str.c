/*
 * test_str.c — unit tests for src/common/str.c
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>
#include <wchar.h>

#include "common/error.h"
#include "common/str.h"

static void
test_strlcpy(void **state)
{
	char buf[8];

	(void) state;
	assert_int_equal(ws_strlcpy(buf, "abc", sizeof(buf)), 3);
	assert_string_equal(buf, "abc");

	/* exact fit: 7 characters and the NUL */
	assert_int_equal(ws_strlcpy(buf, "1234567", sizeof(buf)), 7);
	assert_string_equal(buf, "1234567");

	/* truncation: result >= size tells the caller */
	assert_int_equal(ws_strlcpy(buf, "123456789", sizeof(buf)), 9);
	assert_string_equal(buf, "1234567");

	assert_int_equal(ws_strlcpy(buf, "xyz", 1), 3);
	assert_string_equal(buf, "");

	/* size 0 writes nothing */
	memcpy(buf, "keep", 5);
	assert_int_equal(ws_strlcpy(buf, "xyz", 0), 3);
	assert_string_equal(buf, "keep");

	assert_int_equal(ws_strlcpy(buf, "", sizeof(buf)), 0);
	assert_string_equal(buf, "");
}

static void
test_snprintf(void **state)
{
	char buf[8];

	(void) state;
	assert_int_equal(ws_snprintf(buf, sizeof(buf), "%d-%s", 42, "x"), WS_OK);
	assert_string_equal(buf, "42-x");

	assert_int_equal(ws_snprintf(buf, sizeof(buf), "%s", "1234567"), WS_OK);
	assert_string_equal(buf, "1234567");

	assert_int_equal(ws_snprintf(buf, sizeof(buf), "%s", "12345678"),
					 WS_ERR_TOO_LARGE);
	assert_string_equal(buf, "1234567");

	assert_int_equal(ws_snprintf(NULL, 0, "%s", "a"), WS_ERR_TOO_LARGE);
	assert_int_equal(ws_snprintf(NULL, 0, "%s", ""), WS_ERR_TOO_LARGE);
}

static void
test_snprintf_percent_m(void **state)
{
	char buf[64];

	(void) state;
	errno = ENOSPC;
	assert_int_equal(ws_snprintf(buf, sizeof(buf), "x: %m"), WS_OK);
	assert_string_equal(buf, "x: No space left on device");
	assert_int_equal(errno, ENOSPC);
}

static void
test_snprintf_encoding_error(void **state)
{
	char buf[16];
	/* not representable in the C locale's ASCII */
	static const wchar_t wide[] = {0xe9, 0};

	(void) state;
	memcpy(buf, "junk", 5);
	assert_int_equal(ws_snprintf(buf, sizeof(buf), "%ls", wide), WS_ERR_INVALID);
	assert_string_equal(buf, "");
}

static void
test_prefix_suffix(void **state)
{
	(void) state;
	assert_true(ws_str_has_prefix("000000010000000000000001", "00000001"));
	assert_true(ws_str_has_prefix("abc", ""));
	assert_true(ws_str_has_prefix("abc", "abc"));
	assert_false(ws_str_has_prefix("abc", "abcd"));
	assert_false(ws_str_has_prefix("abc", "b"));
	assert_false(ws_str_has_prefix("", "a"));

	assert_true(ws_str_has_suffix("00000002.history", ".history"));
	assert_true(ws_str_has_suffix("abc", ""));
	assert_true(ws_str_has_suffix("abc", "abc"));
	assert_true(ws_str_has_suffix("", ""));
	assert_false(ws_str_has_suffix("bc", "abc"));
	assert_false(ws_str_has_suffix("abc", "b"));
}

static void
test_parse_int64(void **state)
{
	static const struct {
		const char *text;
		int rc;
		int64_t value;
	} cases[] = {
		{"0", WS_OK, 0},
		{"-0", WS_OK, 0},
		{"1", WS_OK, 1},
		{"-1", WS_OK, -1},
		{"007", WS_OK, 7},
		{"9223372036854775807", WS_OK, INT64_MAX},
		{"-9223372036854775808", WS_OK, INT64_MIN},
		{"9223372036854775808", WS_ERR_TOO_LARGE, 0},
		{"-9223372036854775809", WS_ERR_TOO_LARGE, 0},
		{"18446744073709551616", WS_ERR_TOO_LARGE, 0},
		{"99999999999999999999999999999", WS_ERR_TOO_LARGE, 0},
		{"-99999999999999999999999999999", WS_ERR_TOO_LARGE, 0},
		{"", WS_ERR_INVALID, 0},
		{"-", WS_ERR_INVALID, 0},
		{"--1", WS_ERR_INVALID, 0},
		{"+1", WS_ERR_INVALID, 0},
		{" 1", WS_ERR_INVALID, 0},
		{"1 ", WS_ERR_INVALID, 0},
		{"1\n", WS_ERR_INVALID, 0},
		{"0x10", WS_ERR_INVALID, 0},
		{"1e3", WS_ERR_INVALID, 0},
		{"1.0", WS_ERR_INVALID, 0},
		{"12a", WS_ERR_INVALID, 0},
		{"- 1", WS_ERR_INVALID, 0},
		/* junk wins over overflow: it is not a number at all */
		{"99999999999999999999999x", WS_ERR_INVALID, 0},
	};

	(void) state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int64_t v = 12345;
		int rc = ws_parse_int64(cases[i].text, INT64_MIN, INT64_MAX, &v);

		if (rc != cases[i].rc)
			fail_msg("\"%s\": got %d, want %d", cases[i].text, rc, cases[i].rc);
		if (rc == WS_OK)
			assert_true(v == cases[i].value);
		else
			assert_true(v == 12345);	/* untouched on failure */
	}
	assert_int_equal(ws_parse_int64(NULL, 0, 1, &(int64_t){0}), WS_ERR_INVALID);
}

static void
test_parse_int64_range(void **state)
{
	int64_t v = -1;

	(void) state;
	assert_int_equal(ws_parse_int64("1", 1, 65535, &v), WS_OK);
	assert_true(v == 1);
	assert_int_equal(ws_parse_int64("65535", 1, 65535, &v), WS_OK);
	assert_true(v == 65535);
	v = -1;
	assert_int_equal(ws_parse_int64("0", 1, 65535, &v), WS_ERR_TOO_LARGE);
	assert_int_equal(ws_parse_int64("65536", 1, 65535, &v), WS_ERR_TOO_LARGE);
	assert_int_equal(ws_parse_int64("-5", 0, 10, &v), WS_ERR_TOO_LARGE);
	assert_true(v == -1);
	assert_int_equal(ws_parse_int64("x", 1, 65535, &v), WS_ERR_INVALID);
}

static void
test_parse_uint64(void **state)
{
	uint64_t v = 77;

	(void) state;
	assert_int_equal(ws_parse_uint64("0", &v), WS_OK);
	assert_true(v == 0);
	assert_int_equal(ws_parse_uint64("18446744073709551615", &v), WS_OK);
	assert_true(v == UINT64_MAX);
	assert_int_equal(ws_parse_uint64("16777216", &v), WS_OK);
	assert_true(v == 16777216);

	v = 77;
	assert_int_equal(ws_parse_uint64("18446744073709551616", &v), WS_ERR_TOO_LARGE);
	assert_int_equal(ws_parse_uint64("1844674407370955161500", &v), WS_ERR_TOO_LARGE);
	assert_int_equal(ws_parse_uint64("-1", &v), WS_ERR_INVALID);
	assert_int_equal(ws_parse_uint64("-0", &v), WS_ERR_INVALID);
	assert_int_equal(ws_parse_uint64("", &v), WS_ERR_INVALID);
	assert_int_equal(ws_parse_uint64("+1", &v), WS_ERR_INVALID);
	assert_int_equal(ws_parse_uint64(" 1", &v), WS_ERR_INVALID);
	assert_int_equal(ws_parse_uint64("1 ", &v), WS_ERR_INVALID);
	assert_int_equal(ws_parse_uint64(NULL, &v), WS_ERR_INVALID);
	assert_true(v == 77);
}

static void
test_parse_bool(void **state)
{
	static const char *const yes[] = {"on", "ON", "true", "True", "yes", "YES", "1"};
	static const char *const no[] = {"off", "Off", "false", "FALSE", "no", "No", "0"};
	static const char *const bad[] = {"", "2", "y", "n", "t", "f", "onn", " on",
		"on ", "enable", "01"};
	bool v;

	(void) state;
	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		v = false;
		assert_true(ws_parse_bool(yes[i], &v));
		assert_true(v);
	}
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
		v = true;
		assert_true(ws_parse_bool(no[i], &v));
		assert_false(v);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		v = true;
		if (ws_parse_bool(bad[i], &v))
			fail_msg("\"%s\" accepted", bad[i]);
		assert_true(v);
	}
	assert_false(ws_parse_bool(NULL, &v));
}

static void
test_oneline(void **state)
{
	static const struct {
		const char *in;
		const char *out;
	} cases[] = {
		{"", ""},
		{"   ", ""},
		{"\n", ""},
		{"abc", "abc"},
		{"ERROR:  relation \"x\" does not exist\nLINE 1: select * from x\n              ^\n",
		 "ERROR: relation \"x\" does not exist LINE 1: select * from x ^"},
		{"  lead", "lead"},
		{"trail \r\n", "trail"},
		{"a\tb", "a b"},
		{"a\r\nb", "a b"},
		{"a \t\r\n b", "a b"},
		{"x  y  z", "x y z"},
		{"\n\nonly\n\n", "only"},
	};
	char buf[256];

	(void) state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ws_strlcpy(buf, cases[i].in, sizeof(buf));
		ws_str_oneline(buf);
		assert_string_equal(buf, cases[i].out);
	}
}

static void
test_quote(void **state)
{
	char		buf[WS_STR_QUOTE_BUFLEN];
	char		small[8];
	char		tiny[4];

	(void) state;
	assert_string_equal(ws_str_quote("abc", 3, buf, sizeof(buf)), "abc");
	assert_string_equal(ws_str_quote("", 0, buf, sizeof(buf)), "");
	assert_string_equal(ws_str_quote(NULL, 5, buf, sizeof(buf)), "");
	assert_string_equal(ws_str_quote("abcdefg", 7, buf, sizeof(buf)), "abcdefg");
	/* the result, "..." included, always fits the buffer */
	assert_string_equal(ws_str_quote("abcdefg", 7, small, sizeof(small)),
						"abcd...");
	assert_string_equal(ws_str_quote("abcdefghij", 10, small, sizeof(small)),
						"abcd...");
	assert_string_equal(ws_str_quote("abcde", 5, small, sizeof(small)), "abcde");
	assert_string_equal(ws_str_quote("\x01\x02", 2, small, sizeof(small)),
						"\\x01...");
	assert_string_equal(ws_str_quote("\x01", 1, small, sizeof(small)), "\\x01");
	assert_string_equal(ws_str_quote("abc", 3, tiny, sizeof(tiny)), "");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_strlcpy),
		cmocka_unit_test(test_snprintf),
		cmocka_unit_test(test_snprintf_percent_m),
		cmocka_unit_test(test_snprintf_encoding_error),
		cmocka_unit_test(test_prefix_suffix),
		cmocka_unit_test(test_parse_int64),
		cmocka_unit_test(test_parse_int64_range),
		cmocka_unit_test(test_parse_uint64),
		cmocka_unit_test(test_parse_bool),
		cmocka_unit_test(test_oneline),
		cmocka_unit_test(test_quote),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
