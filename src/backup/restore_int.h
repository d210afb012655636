/*
 * restore_int.h — the parts of walship restore, for restore.c
 *
 * Private to src/backup: restore.c chooses the backup and prepares the
 * directories, restore_files.c writes the files, recovery.c the settings.
 */
#ifndef WALSHIP_BACKUP_RESTORE_INT_H
#define WALSHIP_BACKUP_RESTORE_INT_H

#include <stdbool.h>

#include "archive/archive.h"
#include "backup/manifest.h"
#include "backup/restore.h"

/* Where PostgreSQL keeps pg_control, relative to the data directory. */
#define WS_RESTORE_CONTROL_PATH "global/pg_control"

/*
 * global/pg_control is written last and atomically: until it is there the
 * directory cannot start, so every other file can be written in place.
 */
bool ws_restore_is_control(const struct ws_backup_entry *e);

/*
 * Every file of m but global/pg_control into o->pgdata, with process-max
 * threads (a file's parts on any of them), each checked against m.
 */
int ws_restore_files(const struct ws_config *cfg, const struct ws_archive *a,
					 const struct ws_restore_options *o, const struct ws_backup_manifest *m,
					 const char *dir, struct ws_restore_result *res, struct ws_error *err);

/* global/pg_control, last and atomically: until then the directory cannot start. */
int ws_restore_control(struct ws_archive *a, const char *dir, const char *pgdata,
					   const struct ws_backup_manifest *m, struct ws_restore_result *res,
					   struct ws_error *err);

/* restore_command and the recovery target into postgresql.auto.conf, and the signal file. */
int ws_restore_write_recovery(const struct ws_config *cfg, const struct ws_restore_options *o,
							  const struct ws_backup_manifest *m, struct ws_error *err);

#endif
