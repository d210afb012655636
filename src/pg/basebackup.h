/*
 * basebackup.h — PostgreSQL's BASE_BACKUP replication command, as a stream
 *
 * PostgreSQL 15 sends a base backup as one COPY stream of tagged messages:
 * 'n' starts an archive (a tar stream per tablespace), 'd' carries archive
 * or manifest bytes, 'p' reports progress, 'm' starts backup_manifest. The
 * caller gets those as callbacks and never sees libpq.
 */
#ifndef WALSHIP_PG_BASEBACKUP_H
#define WALSHIP_PG_BASEBACKUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "pg/conn.h"

#define WS_PG_MAX_TABLESPACES 64

struct ws_pg_tablespace {
	uint32_t oid;            /* 0 for the main data directory */
	char location[1024];     /* "" for the main data directory */
	uint64_t size;           /* estimate in bytes (PROGRESS) */
};

struct ws_pg_backup_start {
	uint64_t lsn;
	uint32_t timeline;
	int ntablespaces;
	struct ws_pg_tablespace tablespaces[WS_PG_MAX_TABLESPACES];
	uint64_t total_size;     /* sum of the estimates */
};

struct ws_pg_backup_options {
	const char *label;
	bool fast_checkpoint;    /* CHECKPOINT 'fast' rather than 'spread' */
};

/* Return WS_OK to go on; an error (with err set) stops the backup. */
struct ws_pg_backup_callbacks {
	int (*started)(const struct ws_pg_backup_start *start, void *arg, struct ws_error *err);
	/* a new tar archive: "base.tar", or "<oid>.tar" for a tablespace */
	int (*archive)(const char *name, const char *tablespace_location, void *arg,
				   struct ws_error *err);
	int (*archive_data)(const void *data, size_t len, void *arg, struct ws_error *err);
	int (*manifest_data)(const void *data, size_t len, void *arg, struct ws_error *err);
	/* bytes the server has sent so far; may be NULL */
	void (*progress)(uint64_t done, void *arg);
	void *arg;
};

/*
 * Run BASE_BACKUP on a replication connection (ws_pg_connect_replication)
 * with a manifest and WAIT false: the caller makes sure the WAL arrives.
 * On success *stop_lsn and *stop_tli hold where the backup ended.
 * WS_ERR_PG when the server refuses or fails, WS_ERR_CONNECT when the
 * connection drops, WS_ERR_CORRUPT for a protocol message out of place.
 */
int ws_pg_base_backup(struct ws_pg_conn *conn, const struct ws_pg_backup_options *opts,
					  const struct ws_pg_backup_callbacks *cb, uint64_t *stop_lsn,
					  uint32_t *stop_tli, struct ws_error *err);

#endif
