/*
 * archive_check.c — does a WAL segment the primary completes reach the
 * repository? The end-to-end proof that archive_command works.
 */
#include "archive/archive_check.h"

#include <string.h>
#include <time.h>

#define POLL_INTERVAL_MS 100

static double
now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

int
ws_archive_check_arrival(struct ws_archive *a, struct ws_pg_conn *conn, int timeout_s,
						 struct ws_archive_check_result *res, struct ws_error *err)
{
	const struct timespec pause = {0, POLL_INTERVAL_MS * 1000000L};
	char objpath[512];
	double start = now_seconds();
	int rc;

	memset(res, 0, sizeof(*res));
	if ((rc = ws_pg_switch_wal(conn, res->walname, err)) != WS_OK)
		return rc;
	rc = ws_archive_object_path(a, ws_stanza_current(&a->stanza), res->walname, objpath,
								sizeof(objpath), err);
	while (rc == WS_OK) {
		struct ws_storage_info info;

		if ((rc = a->repo->ops->info(a->repo, objpath, &info, err)) != WS_OK)
			break;
		res->seconds = now_seconds() - start;
		if (info.exists) {
			res->arrived = true;
			break;
		}
		if (res->seconds >= timeout_s)
			break;
		nanosleep(&pause, NULL);
	}
	return rc;
}
