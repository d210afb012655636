/*
 * fileio.h — durable file helpers for the local file system
 *
 * Every file walship writes is written atomically: to a temporary file in
 * the same directory, fsync'd, renamed over the target, and the directory
 * fsync'd, so a crash leaves either the old or the new contents.
 */
#ifndef WALSHIP_COMMON_FILEIO_H
#define WALSHIP_COMMON_FILEIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <limits.h>
#include <sys/types.h>

#include "common/buf.h"
#include "common/error.h"

/*
 * Replace path with data, atomically and durably. The temporary file is
 * "<path>.tmp.<pid>.<n>" and is created with mode (subject to the umask).
 * On any failure the temporary file is removed, an existing target is left
 * untouched, and WS_ERR_IO is returned (WS_ERR_INVALID if the path is too
 * long). If only the final directory fsync fails, the new contents are
 * already in place but may not survive a crash.
 */
/*
 * The same as a stream: open a temp file next to path, write pieces, then
 * commit (fsync, close, rename, fsync dir) or abort (nothing appears).
 * Commit and abort both release the file.
 */
/*
 * Early writeback of a file written front to back and fsync'd at the end:
 * each full megabyte is handed to the disk as soon as it is written, as
 * PostgreSQL's checkpointer does (pg_flush_data), so the disk works while
 * the caller goes on decoding and the final fsync finds little left to
 * wait for. It only starts I/O; durability still comes from that fsync.
 */
struct ws_writeback {
	uint64_t written;			/* bytes written so far */
	uint64_t started;			/* of those, handed to the disk already */
};

void ws_writeback_note(struct ws_writeback *wb, int fd, size_t len);

struct ws_atomic_file {
	int fd;
	struct ws_writeback writeback;
	char path[PATH_MAX];
	char tmp[PATH_MAX];
};

int ws_atomic_open(const char *path, mode_t mode, struct ws_atomic_file *f, struct ws_error *err);
int ws_atomic_write(struct ws_atomic_file *f, const void *data, size_t len, struct ws_error *err);
int ws_atomic_commit(struct ws_atomic_file *f, struct ws_error *err);
/*
 * The same file handle written in place: for a whole tree that is not
 * usable until its last file is in (a restore writes global/pg_control
 * atomically, last). Commit fsyncs and closes; the directory is the
 * caller's to fsync, once. Abort removes the file.
 */
/*
 * Without create the file must exist: opening it then takes only a shared
 * lock on its directory, where O_CREAT takes it exclusively.
 */
int ws_direct_open(const char *path, mode_t mode, bool create, struct ws_atomic_file *f,
				   struct ws_error *err);
int ws_direct_commit(struct ws_atomic_file *f, struct ws_error *err);

/* Write at offset: pieces of one file written by several threads. */
int ws_atomic_pwrite(struct ws_atomic_file *f, const void *data, size_t len, uint64_t offset,
					 struct ws_error *err);
void ws_atomic_abort(struct ws_atomic_file *f);

int ws_write_file_atomic(const char *path, const void *data, size_t len,
						 mode_t mode, struct ws_error *err);

/* fsync a directory so that entries created or renamed in it are durable. */
int ws_fsync_dir(const char *dir, struct ws_error *err);

/* write(2) until all of buf is written, retrying short writes and EINTR;
 * -1 with errno set (ENOSPC when write returns 0) */
int ws_write_all(int fd, const void *buf, size_t len);

/* mkdir -p for an absolute path; each new directory is fsynced into its parent. */
int ws_mkdir_p(const char *path, mode_t mode, struct ws_error *err);

/* fsync the directory that contains path. */
int ws_fsync_parent_dir(const char *path, struct ws_error *err);

/*
 * Append the whole file to out. WS_ERR_NOT_FOUND if it does not exist,
 * WS_ERR_TOO_LARGE if it holds more than max bytes (or more than out
 * accepts), WS_ERR_NOMEM, or WS_ERR_IO. On failure out is as before.
 */
int ws_read_file(const char *path, size_t max, struct ws_buf *out,
				 struct ws_error *err);

#endif
