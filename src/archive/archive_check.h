/*
 * archive_check.h — prove archive_command works end to end
 */
#ifndef WALSHIP_ARCHIVE_ARCHIVE_CHECK_H
#define WALSHIP_ARCHIVE_ARCHIVE_CHECK_H

#include <stdbool.h>

#include "archive/archive.h"
#include "pg/server.h"

struct ws_archive_check_result {
	char walname[25];
	bool arrived;
	double seconds;
};

/*
 * Switch WAL on the primary, then wait up to timeout_s for the completed
 * segment to appear in the repository. Not arriving is a result, not an
 * error: the caller reports it with the archiver's own view.
 */
int ws_archive_check_arrival(struct ws_archive *a, struct ws_pg_conn *conn, int timeout_s,
							 struct ws_archive_check_result *res, struct ws_error *err);

#endif
