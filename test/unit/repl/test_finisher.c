/*
 * test_finisher.c — unit tests for src/repl/finisher.c, on real segment files
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <ftw.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/str.h"
#include "../testutil.h"
#include "repl/finisher.h"

#define SEGSIZE (1024 * 1024)

struct recorder {
	pthread_mutex_t mutex;
	char stored[32][WS_WAL_FNAME_BUFLEN];
	int count;
	const char *fail_name;       /* storing this one fails */
	int delay_ms;
};

static int
record(void *arg, const char *path, struct ws_error *err)
{
	struct recorder *r = arg;
	const struct timespec pause = {0, r->delay_ms * 1000000L};
	const char *name = strrchr(path, '/') + 1;
	struct stat st;

	if (r->delay_ms > 0)
		nanosleep(&pause, NULL);
	/* it is under its final name, whole, when it gets here */
	if (stat(path, &st) != 0 || st.st_size != SEGSIZE)
		return ws_error_set(err, WS_ERR_CORRUPT, "\"%s\" is not a whole segment", path);
	if (r->fail_name != NULL && strcmp(name, r->fail_name) == 0)
		return ws_error_set(err, WS_ERR_IO, "could not store \"%s\": disk full", name);
	pthread_mutex_lock(&r->mutex);
	ws_strlcpy(r->stored[r->count++], name, sizeof(r->stored[0]));
	pthread_mutex_unlock(&r->mutex);
	unlink(path);
	return WS_OK;
}

struct fixture {
	char dir[64];
	struct recorder rec;
	struct ws_walfile f;
};

static int
setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));

	if (fx == NULL)
		return -1;
	ws_strlcpy(fx->dir, "/tmp/ws-finisher-XXXXXX", sizeof(fx->dir));
	if (mkdtemp(fx->dir) == NULL) {
		free(fx);
		return -1;
	}
	pthread_mutex_init(&fx->rec.mutex, NULL);
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

/* Write segment segno whole and hand it over. */
static int
submit_segment(struct fixture *fx, struct ws_finisher *fin, ws_segno segno, struct ws_error *err)
{
	static char data[SEGSIZE];
	struct ws_walfile_job job;
	int rc;

	memset(data, (int) segno, sizeof(data));
	if ((rc = ws_walfile_open(&fx->f, 1, segno, err)) != WS_OK ||
		(rc = ws_walfile_write(&fx->f, 0, data, SEGSIZE, err)) != WS_OK)
		return rc;
	ws_walfile_detach(&fx->f, &job);
	assert_false(job.synced);
	assert_true(job.end == (segno + 1) * (ws_lsn) SEGSIZE);
	return ws_finisher_submit(fin, &job, err);
}

static void
test_stores_all_and_durable_advances(void **state)
{
	struct fixture *fx = *state;
	void *args[2] = {&fx->rec, &fx->rec};
	struct ws_finisher *fin;
	struct ws_error err;

	fx->rec.delay_ms = 3;
	assert_int_equal(ws_finisher_start(record, args, 2, 3, &fin, &err), WS_OK);
	assert_true(ws_finisher_durable(fin) == 0);
	for (ws_segno s = 1; s <= 10; s++)
		assert_int_equal(submit_segment(fx, fin, s, &err), WS_OK);
	assert_int_equal(ws_finisher_drain(fin, &err), WS_OK);
	assert_int_equal(fx->rec.count, 10);
	assert_true(ws_finisher_durable(fin) == 11 * (ws_lsn) SEGSIZE);
	/* every one was stored once */
	for (ws_segno s = 1; s <= 10; s++) {
		char name[WS_WAL_FNAME_BUFLEN];
		int seen = 0;

		snprintf(name, sizeof(name), "%08X%08X%08X", 1, 0, (unsigned) s);
		for (int i = 0; i < fx->rec.count; i++)
			seen += strcmp(fx->rec.stored[i], name) == 0;
		assert_int_equal(seen, 1);
	}
	assert_int_equal(ws_finisher_stop(fin, &err), WS_OK);
}

/* A failure stops storing, is reported with its message, and leaves the files. */
static void
test_failure_reported(void **state)
{
	struct fixture *fx = *state;
	void *args[1] = {&fx->rec};
	struct ws_finisher *fin;
	struct ws_error err;
	struct stat st;
	int rc = WS_OK;

	fx->rec.fail_name = "000000010000000000000003";
	assert_int_equal(ws_finisher_start(record, args, 1, 1, &fin, &err), WS_OK);
	for (ws_segno s = 1; s <= 8 && rc == WS_OK; s++)
		rc = submit_segment(fx, fin, s, &err);
	if (rc == WS_OK)
		rc = ws_finisher_drain(fin, &err);
	assert_int_equal(rc, WS_ERR_IO);
	assert_string_equal(err.message, "could not store \"000000010000000000000003\": disk full");
	assert_int_equal(fx->rec.count, 2);
	/* synced and renamed, so on disk: durable counts it, the next run stores it */
	assert_true(ws_finisher_durable(fin) == 4 * (ws_lsn) SEGSIZE);
	assert_int_equal(ws_finisher_stop(fin, &err), WS_ERR_IO);
	assert_int_equal(stat("/dev/null", &st), 0);
	{
		char path[128];

		snprintf(path, sizeof(path), "%s/000000010000000000000003", fx->dir);
		assert_int_equal(stat(path, &st), 0);
	}
}

static void
test_stop_null(void **state)
{
	struct ws_error err;

	(void) state;
	assert_int_equal(ws_finisher_stop(NULL, &err), WS_OK);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_stores_all_and_durable_advances, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failure_reported, setup, teardown),
		cmocka_unit_test(test_stop_null),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
