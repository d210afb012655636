/*
 * backup_upload.h — the threads that encode and store a backup's files
 *
 * The stream's parser hands over files (or 32 MiB parts of big files) as
 * jobs; process-max threads compress, encrypt, hash and store each one as
 * an object and record it in the manifest. Private to src/backup.
 */
#ifndef WALSHIP_BACKUP_UPLOAD_H
#define WALSHIP_BACKUP_UPLOAD_H

#include <stdint.h>

#include "archive/archive.h"
#include "backup/manifest.h"
#include "common/buf.h"
#include "common/error.h"
#include "common/log.h"
#include "config/config.h"

/*
 * Larger files go as parts of this size, so memory stays bounded by the
 * queue whatever the size of a relation segment (1 GB).
 */
#define WS_BACKUP_PART_SIZE ((uint64_t) 32 * 1024 * 1024)

/* A file of the data directory, or one part of it, on its way. */
struct file_job {
	size_t index;               /* its manifest entry */
	int part;                   /* 0: the whole file; else 1, 2, ... */
	size_t parted;              /* with part > 0: its file in uploader.parted */
	char path[WS_BACKUP_PATH_MAX];
	struct ws_buf data;
	struct file_job *next;
};

struct ws_uploader;

/* Start nthreads threads storing into dir of a's repository, recording into m. */
int ws_uploader_start(const struct ws_config *cfg, const struct ws_archive *a, const char *dir,
					  struct ws_backup_manifest *m, int nthreads, struct ws_uploader **out,
					  struct ws_error *err);

/* A job with room for size bytes (a spare one, its pages already in). */
struct file_job *ws_uploader_job(struct ws_uploader *up, uint64_t size);
/* Done with a job that was not submitted. */
void ws_uploader_release(struct ws_uploader *up, struct file_job *job);
/* Queue a job (waits while the queue is full); the uploader owns it then. */
int ws_uploader_submit(struct ws_uploader *up, struct file_job *job, struct ws_error *err);

/* Add a manifest entry while the threads may be updating others. */
int ws_uploader_add_entry(struct ws_uploader *up, enum ws_backup_entry_type type, const char *path,
						  const char *link, unsigned mode, int64_t mtime, uint64_t size,
						  size_t *index, struct ws_error *err);
/* Entry index goes in parts: room for their digests, in *slot. */
int ws_uploader_add_parted(struct ws_uploader *up, size_t index, uint64_t size, size_t *slot,
						   struct ws_error *err);

/*
 * Wait for the queue to drain, stop the threads, give each parted file its
 * hash and free everything. The first storing error, if any, is returned.
 * *stored: bytes of all objects written.
 */
int ws_uploader_finish(struct ws_uploader *up, uint64_t *stored, struct ws_error *err);

#endif
