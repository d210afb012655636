/*
 * test_json.c — unit tests for src/common/json.c
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <string.h>

#include "common/error.h"
#include "common/json.h"

static void
test_object_with_every_type(void **state)
{
	struct ws_buf buf;
	struct ws_json j;

	(void) state;
	ws_buf_init(&buf, 4096);
	ws_json_init(&j, &buf);
	ws_json_object_begin(&j, NULL);
	ws_json_string(&j, "s", "x");
	ws_json_int(&j, "i", -42);
	ws_json_int(&j, "big", INT64_MAX);
	ws_json_bool(&j, "t", true);
	ws_json_bool(&j, "f", false);
	ws_json_null(&j, "n");
	ws_json_string(&j, "null_string", NULL);
	ws_json_array_begin(&j, "a");
	ws_json_int(&j, NULL, 1);
	ws_json_object_begin(&j, NULL);
	ws_json_object_end(&j);
	ws_json_array_begin(&j, NULL);
	ws_json_array_end(&j);
	ws_json_array_end(&j);
	ws_json_object_end(&j);
	assert_int_equal(ws_json_finish(&j), WS_OK);
	assert_string_equal(ws_buf_str(&buf),
		"{\"s\":\"x\",\"i\":-42,\"big\":9223372036854775807,\"t\":true,\"f\":false,"
		"\"n\":null,\"null_string\":null,\"a\":[1,{},[]]}");
	ws_buf_free(&buf);
}

static void
test_double(void **state)
{
	struct ws_buf buf;
	struct ws_json j;

	(void) state;
	ws_buf_init(&buf, 4096);
	ws_json_init(&j, &buf);
	ws_json_array_begin(&j, NULL);
	ws_json_double(&j, NULL, 1.234);
	ws_json_double(&j, NULL, 0.0);
	ws_json_double(&j, NULL, -2.5);
	ws_json_double(&j, NULL, 300.0);
	ws_json_double(&j, NULL, NAN);
	ws_json_double(&j, NULL, INFINITY);
	ws_json_array_end(&j);
	assert_int_equal(ws_json_finish(&j), WS_OK);
	assert_string_equal(ws_buf_str(&buf), "[1.234,0,-2.5,300,null,null]");
	ws_buf_free(&buf);
}

static void
test_string_escaping(void **state)
{
	struct ws_buf buf;
	struct ws_json j;

	(void) state;
	ws_buf_init(&buf, 4096);
	ws_json_init(&j, &buf);
	ws_json_string(&j, NULL, "q\"b\\n\nr\rt\t\x01\x1f" "caf\xc3\xa9");
	assert_int_equal(ws_json_finish(&j), WS_OK);
	assert_string_equal(ws_buf_str(&buf),
		"\"q\\\"b\\\\n\\nr\\rt\\t\\u0001\\u001f" "caf\xc3\xa9\"");
	ws_buf_free(&buf);
}

static void
test_unbalanced_is_an_error(void **state)
{
	struct ws_buf buf;
	struct ws_json j;

	(void) state;
	ws_buf_init(&buf, 4096);
	ws_json_init(&j, &buf);
	ws_json_object_begin(&j, NULL);
	assert_int_equal(ws_json_finish(&j), WS_ERR_INVALID);

	ws_buf_reset(&buf);
	ws_json_init(&j, &buf);
	ws_json_object_end(&j);
	assert_int_equal(ws_json_finish(&j), WS_ERR_INVALID);
	ws_buf_free(&buf);
}

static void
test_too_deep_is_an_error(void **state)
{
	struct ws_buf buf;
	struct ws_json j;

	(void) state;
	ws_buf_init(&buf, 4096);
	ws_json_init(&j, &buf);
	for (int i = 0; i < WS_JSON_MAX_DEPTH + 2; i++)
		ws_json_array_begin(&j, NULL);
	assert_int_equal(ws_json_finish(&j), WS_ERR_TOO_LARGE);
	ws_buf_free(&buf);
}

static void
test_size_cap_is_reported(void **state)
{
	struct ws_buf buf;
	struct ws_json j;

	(void) state;
	ws_buf_init(&buf, 16);
	ws_json_init(&j, &buf);
	ws_json_object_begin(&j, NULL);
	ws_json_string(&j, "key", "a value longer than sixteen bytes");
	ws_json_object_end(&j);
	assert_int_equal(ws_json_finish(&j), WS_ERR_TOO_LARGE);
	assert_true(buf.len <= 16);
	ws_buf_free(&buf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_object_with_every_type),
		cmocka_unit_test(test_double),
		cmocka_unit_test(test_string_escaping),
		cmocka_unit_test(test_unbalanced_is_an_error),
		cmocka_unit_test(test_too_deep_is_an_error),
		cmocka_unit_test(test_size_cap_is_reported),
	};

	return cmocka_run_group_tests_name("common/json", tests, NULL, NULL);
}
