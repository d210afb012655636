/*
 * walfile.h — the segment a receiver is writing
 *
 * While a segment is being received it is "<name>.partial" in the stream
 * directory, created at full segment size (as PostgreSQL's own WAL files
 * are), written where each byte belongs and fdatasync'ed before its
 * position is reported as flushed. A complete segment is renamed to
 * "<name>" (fsync of the directory), after which the receiver stores it in
 * the repository and removes it.
 */
#ifndef WALSHIP_REPL_WALFILE_H
#define WALSHIP_REPL_WALFILE_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/error.h"
#include "wal/lsn.h"
#include "wal/segment.h"

struct ws_walfile {
	int fd;                      /* -1: no segment open */
	char dir[PATH_MAX];
	char name[WS_WAL_FNAME_BUFLEN];
	uint32_t tli;
	ws_segno segno;
	uint32_t segsize;
	uint32_t written;            /* bytes from the segment's start */
	uint32_t synced;             /* ... of which fdatasync'ed */
};

void ws_walfile_init(struct ws_walfile *f, const char *dir, uint32_t segsize);

/* Open (creating it at full size if needed) the partial file of tli/segno. */
int ws_walfile_open(struct ws_walfile *f, uint32_t tli, ws_segno segno, struct ws_error *err);

/* Write len bytes at offset; the bytes before it must be written already. */
int ws_walfile_write(struct ws_walfile *f, uint32_t offset, const void *data, size_t len,
					 struct ws_error *err);

/* fdatasync what was written since the last sync. */
int ws_walfile_sync(struct ws_walfile *f, struct ws_error *err);

/* A complete segment handed over to be synced, renamed and stored elsewhere. */
struct ws_walfile_job {
	int fd;
	bool synced;                 /* everything written was fdatasync'ed already */
	char dir[PATH_MAX];
	char name[WS_WAL_FNAME_BUFLEN];
	ws_lsn end;                  /* the LSN just after the segment */
};

/* Hand the complete, open segment over as job; f is then closed. */
void ws_walfile_detach(struct ws_walfile *f, struct ws_walfile_job *job);

/*
 * Finish a detached segment: fdatasync it unless synced, close it, rename
 * it to its final name and fsync the directory. path receives the new path.
 * On failure the file is closed and left as it was.
 */
int ws_walfile_job_finish(struct ws_walfile_job *job, char *path, size_t size,
						  struct ws_error *err);

/* Detach and finish at once. */
int ws_walfile_complete(struct ws_walfile *f, char *path, size_t size, struct ws_error *err);

/* Sync and close, keeping "<name>.partial"; path receives its path. */
int ws_walfile_close(struct ws_walfile *f, char *path, size_t size, struct ws_error *err);

bool ws_walfile_is_open(const struct ws_walfile *f);

/* A segment file found in a stream directory: complete, or ".partial". */
struct ws_walfile_found {
	const char *file;            /* its name in the directory */
	uint32_t tli;
	ws_segno segno;
	bool partial;
};

/* Call found for each segment file of dir, in directory order; a failure stops the walk. */
int ws_walfile_scan(const char *dir, uint32_t segsize,
					int (*found)(const struct ws_walfile_found *f, void *arg, struct ws_error *err),
					void *arg, struct ws_error *err);

/* The LSN just after the last byte written (valid while open). */
ws_lsn ws_walfile_end(const struct ws_walfile *f);

#endif
