/*
 * test_finisher.c — unit tests for src/repl/finisher.c
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "repl/finisher.h"

struct recorder {
	pthread_mutex_t mutex;
	char order[16][32];
	int count;
	int fail_at;                 /* -1: never */
	int delay_ms;
};

static int
record(void *arg, const char *path, struct ws_error *err)
{
	struct recorder *r = arg;
	const struct timespec pause = {0, r->delay_ms * 1000000L};
	int rc = WS_OK;

	if (r->delay_ms > 0)
		nanosleep(&pause, NULL);
	pthread_mutex_lock(&r->mutex);
	if (r->count == r->fail_at)
		rc = ws_error_set(err, WS_ERR_IO, "could not store \"%s\": disk full", path);
	else if (r->count < 16)
		snprintf(r->order[r->count++], sizeof(r->order[0]), "%s", path);
	pthread_mutex_unlock(&r->mutex);
	return rc;
}

static void
init(struct recorder *r, int fail_at, int delay_ms)
{
	memset(r, 0, sizeof(*r));
	pthread_mutex_init(&r->mutex, NULL);
	r->fail_at = fail_at;
	r->delay_ms = delay_ms;
}

static void
test_in_order(void **state)
{
	struct ws_finisher *f;
	struct recorder r;
	struct ws_error err;
	char path[32];

	(void) state;
	init(&r, -1, 2);
	assert_int_equal(ws_finisher_start(record, &r, 2, &f, &err), WS_OK);
	for (int i = 0; i < 10; i++) {
		snprintf(path, sizeof(path), "seg%02d", i);
		assert_int_equal(ws_finisher_submit(f, path, &err), WS_OK);
	}
	assert_int_equal(ws_finisher_drain(f, &err), WS_OK);
	assert_int_equal(r.count, 10);
	for (int i = 0; i < 10; i++) {
		snprintf(path, sizeof(path), "seg%02d", i);
		assert_string_equal(r.order[i], path);
	}
	assert_int_equal(ws_finisher_stop(f, &err), WS_OK);
}

/* A failure stops storing and is reported, with its message, by what comes next. */
static void
test_failure_reported(void **state)
{
	struct ws_finisher *f;
	struct recorder r;
	struct ws_error err;
	int rc = WS_OK;

	(void) state;
	init(&r, 2, 0);
	assert_int_equal(ws_finisher_start(record, &r, 1, &f, &err), WS_OK);
	for (int i = 0; i < 10 && rc == WS_OK; i++)
		rc = ws_finisher_submit(f, i == 2 ? "bad" : "ok", &err);
	if (rc == WS_OK)
		rc = ws_finisher_drain(f, &err);
	assert_int_equal(rc, WS_ERR_IO);
	assert_string_equal(err.message, "could not store \"bad\": disk full");
	assert_int_equal(r.count, 2);
	assert_int_equal(ws_finisher_submit(f, "more", &err), WS_ERR_IO);
	assert_int_equal(ws_finisher_stop(f, &err), WS_ERR_IO);
	assert_int_equal(r.count, 2);
}

static void
test_stop_drains(void **state)
{
	struct ws_finisher *f;
	struct recorder r;
	struct ws_error err;

	(void) state;
	init(&r, -1, 5);
	assert_int_equal(ws_finisher_start(record, &r, 4, &f, &err), WS_OK);
	assert_int_equal(ws_finisher_submit(f, "a", &err), WS_OK);
	assert_int_equal(ws_finisher_submit(f, "b", &err), WS_OK);
	assert_int_equal(ws_finisher_stop(f, &err), WS_OK);
	assert_int_equal(r.count, 2);
	assert_int_equal(ws_finisher_stop(NULL, &err), WS_OK);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_in_order),
		cmocka_unit_test(test_failure_reported),
		cmocka_unit_test(test_stop_drains),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
