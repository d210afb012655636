/*
 * push_async.h — archive-async: queue in the spool, upload in the background
 *
 * archive-push verifies the segment as in sync mode, copies it into the
 * local spool (fsynced) and returns: PostgreSQL may recycle the segment at
 * once. A detached worker compresses, encrypts and uploads queued files in
 * WAL order with process-max threads and exits when the queue stays empty.
 * With the queue empty it uploads segments still waiting as .ready files
 * in pg_wal (push_ahead.h). A failed upload leaves the object queued and records the error, which
 * the next archive-push reports (so PostgreSQL keeps its WAL and retries)
 * and `walship check` shows.
 */
#ifndef WALSHIP_ARCHIVE_PUSH_ASYNC_H
#define WALSHIP_ARCHIVE_PUSH_ASYNC_H

#include "archive/archive.h"
#include "archive/spool.h"
#include "config/config.h"

struct ws_async_push_result {
	bool dropped;             /* over archive-push-queue-max: not archived */
	bool queued;
	bool ahead;               /* the worker had stored these bytes already */
};

int ws_archive_push_async(const struct ws_config *cfg, struct ws_archive *a, const char *path,
						  struct ws_async_push_result *res, struct ws_error *err);

/*
 * archive-push in async mode from the command: verifies against the stanza
 * the spool caches (spool.h) without touching the repository, which it
 * opens only when there is no cache or the segment does not match it (the
 * stanza may have been upgraded). Errors the repository would give (a
 * wrong key, an unreachable endpoint) then come from the worker, reported
 * by the next call.
 */
int ws_archive_push_async_cached(const struct ws_config *cfg, struct ws_log *log, const char *path,
								 struct ws_async_push_result *res, struct ws_error *err);

/*
 * The worker's body: returns when the queue has been empty for a while or
 * after an upload failed. Another running worker makes it return at once.
 */
int ws_push_worker_run(const struct ws_config *cfg, struct ws_log *log, const char *wal_dir,
					   struct ws_error *err);

/* Start a detached worker unless one holds the lock. */
int ws_push_worker_start(const struct ws_config *cfg, struct ws_log *log, const char *wal_dir,
						 struct ws_error *err);

#endif
