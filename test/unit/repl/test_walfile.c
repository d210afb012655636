/*
 * test_walfile.c — unit tests for src/repl/walfile.c
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/str.h"
#include "../testutil.h"
#include "repl/walfile.h"

#define SEGSIZE (1024 * 1024)

struct fixture {
	char dir[64];
	struct ws_walfile f;
};

static int
setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));

	if (fx == NULL)
		return -1;
	ws_strlcpy(fx->dir, "/tmp/ws-walfile-XXXXXX", sizeof(fx->dir));
	if (mkdtemp(fx->dir) == NULL) {
		free(fx);
		return -1;
	}
	ws_walfile_init(&fx->f, fx->dir, SEGSIZE);
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *fx = *state;
	int rc = testutil_rmtree(fx->dir);

	free(fx);
	return rc;
}

static off_t
file_size(const char *dir, const char *name)
{
	char path[256];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return stat(path, &st) == 0 ? st.st_size : -1;
}

static void
test_open_creates_full_size(void **state)
{
	struct fixture *fx = *state;
	struct ws_error err;

	assert_int_equal(ws_walfile_open(&fx->f, 1, 3, &err), WS_OK);
	assert_true(ws_walfile_is_open(&fx->f));
	assert_string_equal(fx->f.name, "000000010000000000000003");
	assert_int_equal(file_size(fx->dir, "000000010000000000000003.partial"), SEGSIZE);
	assert_true(ws_walfile_end(&fx->f) == 3ULL * SEGSIZE);
}

static void
test_write_and_complete(void **state)
{
	struct fixture *fx = *state;
	char path[256];
	struct ws_error err;
	char *data = malloc(SEGSIZE);

	assert_non_null(data);
	memset(data, 'w', SEGSIZE);
	assert_int_equal(ws_walfile_open(&fx->f, 2, 1, &err), WS_OK);
	assert_int_equal(ws_walfile_write(&fx->f, 0, data, 1000, &err), WS_OK);
	assert_int_equal(ws_walfile_write(&fx->f, 1000, data, SEGSIZE - 1000, &err), WS_OK);
	assert_int_equal(fx->f.written, SEGSIZE);
	assert_int_equal(ws_walfile_complete(&fx->f, path, sizeof(path), &err), WS_OK);
	assert_false(ws_walfile_is_open(&fx->f));
	assert_int_equal(file_size(fx->dir, "000000020000000000000001"), SEGSIZE);
	assert_int_equal(file_size(fx->dir, "000000020000000000000001.partial"), -1);
	assert_non_null(strstr(path, "/000000020000000000000001"));
	free(data);
}

/* A gap or a write past the end would corrupt the segment: refused. */
static void
test_gap_and_overrun(void **state)
{
	struct fixture *fx = *state;
	struct ws_error err;
	char b[16] = {0};

	assert_int_equal(ws_walfile_open(&fx->f, 1, 0, &err), WS_OK);
	assert_int_equal(ws_walfile_write(&fx->f, 8, b, sizeof(b), &err), WS_ERR_CORRUPT);
	assert_non_null(strstr(err.message, "leaves a gap"));
	assert_int_equal(ws_walfile_write(&fx->f, 0, b, sizeof(b), &err), WS_OK);
	assert_int_equal(ws_walfile_write(&fx->f, SEGSIZE - 8, b, sizeof(b), &err), WS_ERR_CORRUPT);
	/* rewriting what is there (a resend) is allowed */
	assert_int_equal(ws_walfile_write(&fx->f, 0, b, 8, &err), WS_OK);
	assert_int_equal(fx->f.written, sizeof(b));
}

static void
test_sync_and_close_keeps_partial(void **state)
{
	struct fixture *fx = *state;
	char path[256];
	struct ws_error err;
	char b[100] = "x";

	assert_int_equal(ws_walfile_open(&fx->f, 1, 7, &err), WS_OK);
	assert_int_equal(ws_walfile_write(&fx->f, 0, b, sizeof(b), &err), WS_OK);
	assert_int_equal(fx->f.synced, 0);
	assert_int_equal(ws_walfile_sync(&fx->f, &err), WS_OK);
	assert_int_equal(fx->f.synced, sizeof(b));
	assert_int_equal(ws_walfile_close(&fx->f, path, sizeof(path), &err), WS_OK);
	assert_non_null(strstr(path, "000000010000000000000007.partial"));
	assert_int_equal(file_size(fx->dir, "000000010000000000000007.partial"), SEGSIZE);
	/* reopened, it starts over from its beginning and keeps its size */
	assert_int_equal(ws_walfile_open(&fx->f, 1, 7, &err), WS_OK);
	assert_int_equal(fx->f.written, 0);
	assert_int_equal(file_size(fx->dir, "000000010000000000000007.partial"), SEGSIZE);
	assert_int_equal(ws_walfile_close(&fx->f, path, sizeof(path), &err), WS_OK);
}

static void
test_unwritable_dir(void **state)
{
	struct ws_walfile f;
	struct ws_error err;

	(void) state;
	ws_walfile_init(&f, "/nonexistent/dir", SEGSIZE);
	assert_int_equal(ws_walfile_open(&f, 1, 1, &err), WS_ERR_IO);
	assert_non_null(strstr(err.message, "could not open file \"/nonexistent/dir/000000010000000000000001.partial\""));
	assert_false(ws_walfile_is_open(&f));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_open_creates_full_size, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_and_complete, setup, teardown),
		cmocka_unit_test_setup_teardown(test_gap_and_overrun, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sync_and_close_keeps_partial, setup, teardown),
		cmocka_unit_test(test_unwritable_dir),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
