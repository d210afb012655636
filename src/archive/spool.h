/*
 * spool.h — the local queue of asynchronous archiving
 *
 * Under <spool-path>/<stanza>/get/: prefetched objects "<walname>.ws" and
 * worker.lock. Under <spool-path>/<stanza>/push/:
 *   queue/<walname>      verified WAL files waiting for the worker to
 *                        compress, encrypt and upload them (fsynced)
 *   error                the worker's last failure: "<walname>: <message>"
 *   dropped              count and name of WAL dropped over archive-push-queue-max
 *   worker.lock          flock()ed by the one running worker
 * The spool is a posix storage, so every file in it is written atomically.
 */
#ifndef WALSHIP_ARCHIVE_SPOOL_H
#define WALSHIP_ARCHIVE_SPOOL_H

#include <stdbool.h>
#include <stdint.h>

#include "archive/stanza.h"
#include "common/buf.h"
#include "common/error.h"
#include "config/config.h"
#include "storage/storage.h"

#define WS_SPOOL_MSG_MAX 1024

struct ws_spool {
	struct ws_storage *store;
	char stanza[64];
};

int ws_spool_open(const struct ws_config *cfg, struct ws_spool *spool, struct ws_error *err);
void ws_spool_close(struct ws_spool *spool);

/* "<stanza>/push/<file>" */
int ws_spool_path(const struct ws_spool *spool, const char *file, char *buf, size_t size,
				  struct ws_error *err);
/* "<stanza>/get/<file>" ("<stanza>/get" for ""): archive-get's prefetched segments */
int ws_spool_get_path(const struct ws_spool *spool, const char *file, char *buf, size_t size,
					  struct ws_error *err);

/* The file system path of spool-relative path rel. */
int ws_spool_abs_path(const struct ws_config *cfg, const char *rel, char *buf, size_t size,
					  struct ws_error *err);

/*
 * Take the lock file at spool-relative path rel without waiting; *fd stays
 * open while it is held; the directory is created when missing.
 * WS_ERR_EXISTS when another process holds it.
 */
int ws_spool_try_lock(const struct ws_config *cfg, const char *rel, int *fd, struct ws_error *err);

/*
 * The stanza as the repository had it when a worker last opened it, kept
 * in push/stanza.info: an asynchronous archive-push verifies segments
 * against it without a round trip to the repository (or a key derivation).
 * WS_ERR_NOT_FOUND when there is none yet.
 */
int ws_spool_read_stanza(struct ws_spool *spool, struct ws_stanza_info *info, struct ws_error *err);
int ws_spool_write_stanza(struct ws_spool *spool, const struct ws_stanza_info *info,
						  struct ws_error *err);

/* Queued WAL names in WAL order, and the bytes they take. */
/* "000000010000000000000002.00000028.backup" is the longest WAL file name */
#define WS_WAL_NAME_MAX 64

struct ws_spool_queue {
	char (*names)[WS_WAL_NAME_MAX];
	int count;
	int cap;                     /* names allocated */
	uint64_t bytes;
};

/* Append name (shorter than WS_WAL_NAME_MAX) and count its bytes. */
int ws_spool_queue_add(struct ws_spool_queue *q, const char *name, uint64_t bytes,
					   struct ws_error *err);
/* WAL file names sort in WAL order. */
void ws_spool_queue_sort(struct ws_spool_queue *q);
bool ws_spool_queue_has(const struct ws_spool_queue *q, const char *name);

int ws_spool_queue_list(struct ws_spool *spool, struct ws_spool_queue *q, struct ws_error *err);
void ws_spool_queue_free(struct ws_spool_queue *q);

/* The worker's last error; message "" when there is none. */
int ws_spool_read_error(struct ws_spool *spool, char *message, size_t size, struct ws_error *err);
int ws_spool_write_error(struct ws_spool *spool, const char *walname, const char *message,
						 struct ws_error *err);
int ws_spool_clear_error(struct ws_spool *spool, struct ws_error *err);

/* Record a dropped WAL file; read how many were dropped and the last. */
int ws_spool_add_dropped(struct ws_spool *spool, const char *walname, struct ws_error *err);
int ws_spool_read_dropped(struct ws_spool *spool, uint64_t *count, char *last, size_t size,
						  struct ws_error *err);

#endif
