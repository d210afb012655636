/*
 * test_target.c — unit tests for src/backup/target.c
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "backup/target.h"

static int64_t
parse_ok(const char *text)
{
	struct ws_error err;
	int64_t t = -1;

	if (ws_target_time_parse(text, &t, &err) != WS_OK)
		fail_msg("\"%s\": %s", text, err.message);
	return t;
}

static void
test_zones(void **state)
{
	(void) state;
	/* 2026-11-26 10:30:00 UTC */
	assert_int_equal(parse_ok("2026-11-26 10:30:00+00"), 1795689000);
	assert_int_equal(parse_ok("2026-11-26 10:30:00Z"), 1795689000);
	assert_int_equal(parse_ok("2026-11-26T10:30:00 UTC"), 1795689000);
	assert_int_equal(parse_ok("2026-11-26 11:30:00+01"), 1795689000);
	assert_int_equal(parse_ok("2026-11-26 11:30:00+0100"), 1795689000);
	assert_int_equal(parse_ok("2026-11-26 05:00:00-05:30"), 1795689000);
	/* fractions are dropped */
	assert_int_equal(parse_ok("2026-11-26 10:30:00.999999+00"), 1795689000);
}

static void
test_calendar(void **state)
{
	(void) state;
	assert_int_equal(parse_ok("1970-01-01 00:00:00+00"), 0);
	assert_int_equal(parse_ok("2000-02-29 00:00:00+00"), 951782400);   /* leap year */
	assert_int_equal(parse_ok("2100-03-01 00:00:00+00") - parse_ok("2100-02-28 00:00:00+00"), 86400);
	assert_int_equal(parse_ok("1969-12-31 23:59:59+00"), -1);
}

static void
test_local_time(void **state)
{
	(void) state;
	/* without a zone the time is local, as PostgreSQL reads it with TZ */
	setenv("TZ", "UTC", 1);
	tzset();
	assert_int_equal(parse_ok("2026-11-26 10:30:00"), 1795689000);
	setenv("TZ", "EST5", 1);
	tzset();
	assert_int_equal(parse_ok("2026-11-26 05:30:00"), 1795689000);
	unsetenv("TZ");
	tzset();
}

static void
test_refused(void **state)
{
	static const char *const bad[] = {
		"", "yesterday", "2026-11-26", "2026-11-26 10:30", "2026-11-26 10:30:00 +25",
		"2026-13-01 00:00:00+00", "2026-02-30 00:00:00+00", "2025-02-29 00:00:00+00",
		"2026-11-26 24:00:00+00", "2026-11-26 10:60:00+00", "2026-11-26 10:30:00.+00",
		"2026-11-26 10:30:00 CET", "2026/11/26 10:30:00+00", "2026-11-26 10:30:00+1",
		"2026-11-26 10:30:00+01:0", " 2026-11-26 10:30:00+00", "2026-11-26  10:30:00+00",
	};
	struct ws_error err;
	int64_t t;

	(void) state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (ws_target_time_parse(bad[i], &t, &err) != WS_ERR_INVALID)
			fail_msg("\"%s\" was accepted", bad[i]);
		assert_non_null(strstr(err.message, "invalid target time"));
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_zones),
		cmocka_unit_test(test_calendar),
		cmocka_unit_test(test_local_time),
		cmocka_unit_test(test_refused),
	};

	return cmocka_run_group_tests_name("backup/target", tests, NULL, NULL);
}
