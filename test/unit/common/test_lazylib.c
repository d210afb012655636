/*
 * test_lazylib.c — unit tests for src/common/lazylib.c
 *
 * A library that cannot be loaded must end the process with the caller's
 * exit code and a message naming the package: those cases run in a child.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/lazylib.h"

static void
test_loads_and_resolves(void **state)
{
	struct ws_lazylib z = { .soname = "libz.so.1", .package = "zlib1g", .exit_code = 9 };
	const char *(*version)(void);

	(void) state;
	ws_lazylib_open(&z);
	assert_non_null(z.handle);
	version = (const char *(*)(void)) ws_lazylib_sym(&z, "zlibVersion");
	assert_non_null(version);
	assert_true(strlen(version()) > 0);
}

/* Run fn in a child with stderr captured; return its exit status. */
static int
in_child(void (*fn)(void), char *out, size_t outsize)
{
	int pipefd[2], status;
	ssize_t n;
	size_t len = 0;
	pid_t pid;

	assert_int_equal(pipe(pipefd), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(pipefd[1], STDERR_FILENO);
		fn();
		_exit(0);
	}
	close(pipefd[1]);
	while (len + 1 < outsize && (n = read(pipefd[0], out + len, outsize - 1 - len)) > 0)
		len += (size_t) n;
	out[len] = '\0';
	close(pipefd[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

static void
open_missing(void)
{
	struct ws_lazylib lib = {
		.soname = "libwalship-no-such-library.so.0", .package = "walship-nothing",
		.exit_code = 7,
	};

	ws_lazylib_open(&lib);
}

static void
resolve_missing(void)
{
	struct ws_lazylib lib = { .soname = "libz.so.1", .package = "zlib1g", .exit_code = 3 };

	ws_lazylib_open(&lib);
	(void) ws_lazylib_sym(&lib, "walship_no_such_function");
}

static void
test_missing_library_exits_with_its_code(void **state)
{
	char out[512];

	(void) state;
	assert_int_equal(in_child(open_missing, out, sizeof(out)), 7);
	assert_non_null(strstr(out, "libwalship-no-such-library.so.0"));
	assert_non_null(strstr(out, "walship-nothing"));
}

static void
test_missing_function_exits_with_its_code(void **state)
{
	char out[512];

	(void) state;
	assert_int_equal(in_child(resolve_missing, out, sizeof(out)), 3);
	assert_non_null(strstr(out, "walship_no_such_function"));
	assert_non_null(strstr(out, "zlib1g"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_loads_and_resolves),
		cmocka_unit_test(test_missing_library_exits_with_its_code),
		cmocka_unit_test(test_missing_function_exits_with_its_code),
	};

	return cmocka_run_group_tests_name("common/lazylib", tests, NULL, NULL);
}
