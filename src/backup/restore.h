/*
 * restore.h — write a data directory from a backup, ready for recovery
 *
 * The result is what pg_basebackup -Fp leaves (PostgreSQL's backup_manifest
 * included, so pg_verifybackup can check it) plus the recovery settings:
 * restore_command pointing at walship archive-get, the recovery target, and
 * recovery.signal, or standby.signal with primary_conninfo for a standby.
 */
#ifndef WALSHIP_BACKUP_RESTORE_H
#define WALSHIP_BACKUP_RESTORE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "backup/manifest.h"
#include "common/error.h"
#include "common/log.h"
#include "config/config.h"

enum ws_target_type {
	WS_TARGET_NONE,         /* replay all archived WAL */
	WS_TARGET_TIME,
	WS_TARGET_LSN,
	WS_TARGET_XID,
	WS_TARGET_NAME,
	WS_TARGET_IMMEDIATE     /* stop as soon as consistent */
};

#define WS_RESTORE_MAX_MAPS 64

struct ws_restore_options {
	const char *set;                /* backup label; NULL: chosen by the target */
	const char *pgdata;
	bool delta;                     /* restore over an existing directory */
	enum ws_target_type target;
	const char *target_value;       /* time, LSN, xid or name */
	const char *target_action;      /* promote, pause, shutdown; NULL: PostgreSQL's default */
	const char *target_timeline;    /* "latest", "current" or a number; NULL: default */
	const char *tablespace_map[WS_RESTORE_MAX_MAPS];  /* "OID=DIR" */
	int ntablespace_map;
	const char *restore_command;    /* NULL: walship archive-get with this configuration */
	bool standby;                   /* standby.signal and primary_conninfo */
	const char *primary_conninfo;
	const char *primary_slot;
	FILE *progress;
};

struct ws_restore_result {
	char label[WS_BACKUP_LABEL_MAX];
	size_t files;                   /* written */
	size_t unchanged;               /* kept by --delta */
	size_t removed;                 /* removed by --delta */
	uint64_t bytes;
};

/* Split "OID=DIR,OID=DIR" in place into o->tablespace_map. */
int ws_restore_split_maps(char *maps, struct ws_restore_options *o, struct ws_error *err);

int ws_restore_run(const struct ws_config *cfg, struct ws_log *log,
				   const struct ws_restore_options *opts, struct ws_restore_result *res,
				   struct ws_error *err);

#endif
