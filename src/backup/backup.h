/*
 * backup.h — take a base backup of a running cluster into the repository
 *
 * BASE_BACKUP sends one stream; this side parses its tar archives into
 * files and lets process-max threads compress, encrypt, hash and upload
 * them through the same object format as WAL. The walship manifest is
 * written last, once every file and every WAL segment the backup needs for
 * consistency is in the repository.
 */
#ifndef WALSHIP_BACKUP_BACKUP_H
#define WALSHIP_BACKUP_BACKUP_H

#include <stdbool.h>
#include <stdio.h>

#include "backup/manifest.h"
#include "common/error.h"
#include "common/log.h"
#include "config/config.h"

struct ws_backup_options {
	bool fast_checkpoint;
	bool from_standby;
	/*
	 * With from_standby: the primary, asked to switch WAL after the backup
	 * so that its last segment is archived without waiting for traffic.
	 */
	const char *primary_conninfo;
	FILE *progress;          /* a terminal for progress lines, or NULL */
};

/* Where a backup's objects live: "<stanza>/backup/<label>". */
int ws_backup_dir(const char *stanza, const char *label, char *buf, size_t size,
				  struct ws_error *err);

/*
 * Object of a file (part 0) or of part n of a file stored in parts:
 * "<dir>/pg_data/<path>.ws" or "<dir>/pg_data/<path>.<n>.ws".
 */
int ws_backup_object_path(const char *dir, const char *path, int part, char *buf, size_t size,
						  struct ws_error *err);

/* Parts of a file of size bytes in m; 0 when it is one object. */
#define WS_BACKUP_PARTS(m, size) \
	((m)->part_size > 0 && (size) > (m)->part_size ? (int) (((size) + (m)->part_size - 1) / (m)->part_size) : 0)

/* On success *out describes the backup (free with ws_backup_manifest_free). */
int ws_backup_run(const struct ws_config *cfg, struct ws_log *log,
				  const struct ws_backup_options *opts, struct ws_backup_manifest *out,
				  struct ws_error *err);

#endif
