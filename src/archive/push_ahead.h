/*
 * push_ahead.h — async archive-push: upload ready segments before they are asked for
 *
 * PostgreSQL marks a finished segment <name>.ready in pg_wal/archive_status
 * and keeps it until archive_command has succeeded for it. With a backlog
 * of ready segments (after an outage, or when WAL comes faster than one
 * archive_command at a time), the worker reads them straight from pg_wal
 * and uploads them in parallel, as pgBackRest's async push does. A segment
 * stored that way is recorded in the spool as push/done/<name>, with the
 * SHA-256 stored and the identity of the file it was read from (device,
 * inode, size, modification time); archive-push checks that the file
 * PostgreSQL hands it is that same file and returns, without reading it or
 * copying it into the queue.
 * While a worker runs and the segment is still .ready, the worker has it in
 * flight or will reach it: archive-push waits for it rather than copying it.
 *
 * Safety: the worker stores a segment only when its .ready file still
 * exists after the whole segment was read, so PostgreSQL cannot have
 * recycled it in between, and only when the file's identity did not change
 * while it was read; archive-push trusts a record only for that file.
 */
#ifndef WALSHIP_ARCHIVE_PUSH_AHEAD_H
#define WALSHIP_ARCHIVE_PUSH_AHEAD_H

#include <stdbool.h>
#include <sys/stat.h>

#include "archive/archive.h"
#include "archive/spool.h"
#include "common/buf.h"

/* How long archive-push waits for a segment the worker has in flight. */
#define WS_AHEAD_WAIT_MS 10000

/* Segment names with a .ready file in wal_dir/archive_status, in WAL order. */
int ws_ahead_list_ready(const char *wal_dir, struct ws_spool_queue *ready, struct ws_error *err);

/* True when the spool records name as done. */
bool ws_ahead_known(struct ws_spool *spool, const char *name);

/*
 * One segment on its way to the repository. The worker encodes it on one
 * thread and stores it on another, so that the next segment is read and
 * compressed while this one travels (push_async.c).
 */
struct ws_push_job {
	char name[WS_WAL_NAME_MAX];
	bool ahead;                 /* read from pg_wal, not from the queue */
	bool skip;                  /* nothing to store after all */
	int slot;                   /* the worker's in-flight slot it holds */
	struct ws_object_header header;
	struct ws_buf obj;          /* the encoded object */
	struct stat source;         /* ahead: the file it was read from */
	char spool_file[256];       /* queued: the spool copy to remove once stored */
};

/*
 * Read segment name from wal_dir (data is scratch space) and encode it
 * into job. With WS_OK, job->skip says it must not be stored: it is no
 * longer ready, or it does not read as that segment (PostgreSQL recycled
 * it).
 */
int ws_ahead_prepare(struct ws_archive *a, const char *wal_dir, const char *name,
					 struct ws_buf *data, struct ws_push_job *job, struct ws_error *err);

/* Store a prepared job in the repository and record it as done. */
int ws_ahead_store(struct ws_archive *a, struct ws_spool *spool, const struct ws_push_job *job,
				   struct ws_error *err);

/*
 * For archive-push of the segment at path: *done is true when the worker
 * stored that very file; the record is then removed. Waits up to
 * WS_AHEAD_WAIT_MS while a worker runs (it holds the lock file at
 * lock_path) and the segment is still .ready in wal_dir, so that the worker
 * has it in flight or will reach it: copying it into the queue would only
 * add work while PostgreSQL keeps it anyway.
 */
int ws_ahead_claim(struct ws_spool *spool, const char *wal_dir, const char *path,
				   const char *lock_path, bool *done, struct ws_error *err);

/*
 * The worker, at start: forget done records of segments no longer ready,
 * which archive-push will not claim.
 */
void ws_ahead_tidy(struct ws_spool *spool, const char *wal_dir);

/* Drop the done record of name, if any (its queued copy was uploaded). */
void ws_ahead_forget_done(struct ws_spool *spool, const char *name);

#endif
