/*
 * test_error.c — unit tests for src/common/error.c
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "common/error.h"

static void
test_set_returns_status(void **state)
{
	struct ws_error err;
	int rc;

	(void) state;
	rc = ws_error_set(&err, WS_ERR_CONFIG, "invalid value \"%s\" for \"%s\"",
					  "x", "port");
	assert_int_equal(rc, WS_ERR_CONFIG);
	assert_int_equal(err.status, WS_ERR_CONFIG);
	assert_string_equal(err.message, "invalid value \"x\" for \"port\"");
}

static void
test_set_percent_m_and_errno_preserved(void **state)
{
	struct ws_error err;

	(void) state;
	errno = ENOENT;
	ws_error_set(&err, WS_ERR_IO, "could not open file \"%s\": %m", "/x/y");
	assert_string_equal(err.message,
						"could not open file \"/x/y\": No such file or directory");
	assert_int_equal(errno, ENOENT);
}

static void
test_set_truncates_with_dots(void **state)
{
	struct ws_error err;
	char big[WS_ERROR_MSG_MAX * 2];
	size_t len;

	(void) state;
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	ws_error_set(&err, WS_ERR_INVALID, "%s", big);
	len = strlen(err.message);
	assert_int_equal(len, WS_ERROR_MSG_MAX - 1);
	assert_memory_equal(err.message + len - 3, "...", 3);
	assert_int_equal(err.message[len - 4], 'a');
}

static void
test_set_exact_fit_not_marked(void **state)
{
	struct ws_error err;
	char msg[WS_ERROR_MSG_MAX];

	(void) state;
	memset(msg, 'b', sizeof(msg) - 1);
	msg[sizeof(msg) - 1] = '\0';
	ws_error_set(&err, WS_ERR_INVALID, "%s", msg);
	assert_string_equal(err.message, msg);
}

static void
test_prefix(void **state)
{
	struct ws_error err;
	int rc;

	(void) state;
	ws_error_set(&err, WS_ERR_NOT_FOUND, "segment \"%s\" not found", "000000010000000000000001");
	rc = ws_error_prefix(&err, "archive-get %d", 7);
	assert_int_equal(rc, WS_ERR_NOT_FOUND);
	assert_int_equal(err.status, WS_ERR_NOT_FOUND);
	assert_string_equal(err.message,
						"archive-get 7: segment \"000000010000000000000001\" not found");
}

static void
test_prefix_truncates_with_dots(void **state)
{
	struct ws_error err;
	char big[WS_ERROR_MSG_MAX];
	size_t len;

	(void) state;
	memset(big, 'c', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	ws_error_set(&err, WS_ERR_IO, "%s", big);
	ws_error_prefix(&err, "context");
	len = strlen(err.message);
	assert_int_equal(len, WS_ERROR_MSG_MAX - 1);
	assert_true(strncmp(err.message, "context: ccc", 12) == 0);
	assert_memory_equal(err.message + len - 3, "...", 3);
}

/* how callers with their own variadic functions use ws_error_setv */
static int __attribute__((format(printf, 3, 4)))
wrapper(struct ws_error *err, int status, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = ws_error_setv(err, status, fmt, ap);
	va_end(ap);
	return rc;
}

static void
test_setv(void **state)
{
	struct ws_error err;

	(void) state;
	errno = EACCES;
	assert_int_equal(wrapper(&err, WS_ERR_PG, "%s %d: %m", "a", 1), WS_ERR_PG);
	assert_string_equal(err.message, "a 1: Permission denied");
	assert_int_equal(errno, EACCES);
}

static void
test_clear(void **state)
{
	struct ws_error err;

	(void) state;
	ws_error_set(&err, WS_ERR_IO, "boom");
	ws_error_clear(&err);
	assert_int_equal(err.status, WS_OK);
	assert_string_equal(err.message, "");
}

static void
test_status_names(void **state)
{
	(void) state;
	assert_string_equal(ws_status_name(WS_OK), "ok");
	assert_string_equal(ws_status_name(WS_ERR_NOMEM), "out of memory");
	assert_string_equal(ws_status_name(WS_ERR_TOO_LARGE), "size limit exceeded");
	assert_string_equal(ws_status_name(-999), "unknown error");
	for (int s = WS_ERR_TOO_LARGE; s <= WS_OK; s++)
		assert_string_not_equal(ws_status_name(s), "unknown error");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_set_returns_status),
		cmocka_unit_test(test_set_percent_m_and_errno_preserved),
		cmocka_unit_test(test_set_truncates_with_dots),
		cmocka_unit_test(test_set_exact_fit_not_marked),
		cmocka_unit_test(test_prefix),
		cmocka_unit_test(test_prefix_truncates_with_dots),
		cmocka_unit_test(test_setv),
		cmocka_unit_test(test_clear),
		cmocka_unit_test(test_status_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
