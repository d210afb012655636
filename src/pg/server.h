/*
 * server.h — what walship needs to know about a running PostgreSQL server
 */
#ifndef WALSHIP_PG_SERVER_H
#define WALSHIP_PG_SERVER_H

#include <stdbool.h>
#include <stdint.h>

#include "common/error.h"
#include "pg/conn.h"
#include "wal/lsn.h"

enum ws_pg_role {
	WS_PG_PRIMARY,
	WS_PG_STANDBY
};

#define WS_PG_SETTING_MAX 256

struct ws_pg_server_info {
	enum ws_pg_role role;
	int version_num;                 /* 150018 */
	char version[32];                /* "15.18" */
	uint64_t system_identifier;
	uint32_t timeline;
	uint32_t wal_segment_size;

	/* primary */
	ws_lsn insert_lsn;
	ws_lsn flush_lsn;
	/* standby; WS_LSN_INVALID when nothing was received or replayed yet */
	ws_lsn receive_lsn;
	ws_lsn replay_lsn;
	char wal_receiver_status[32];    /* "streaming", ... or "" when none */

	/* settings replication depends on */
	char wal_level[WS_PG_SETTING_MAX];
	char archive_mode[WS_PG_SETTING_MAX];
	char archive_command[WS_PG_SETTING_MAX];
	char synchronous_standby_names[WS_PG_SETTING_MAX];
	bool primary_conninfo_known;     /* false: the role may not read it */
	bool primary_conninfo_set;       /* standby only */
	bool can_read_stats;             /* member of pg_read_all_stats */
	int max_wal_senders;
	int max_replication_slots;
	bool hot_standby;
	bool full_page_writes;
	bool wal_log_hints;
	bool data_checksums;
};

const char *ws_pg_role_name(enum ws_pg_role role);

/*
 * Read role, identity, positions and settings. Works for any user that can
 * log in; pg_control_system() needs no special privilege.
 */
int ws_pg_server_info_read(struct ws_pg_conn *conn, struct ws_pg_server_info *info,
						   struct ws_error *err);

/*
 * WS_ERR_ROLE with a one-line explanation when the server's role is not
 * the one a command needs, e.g. asking a standby for its insert position.
 */
int ws_pg_require_role(struct ws_pg_conn *conn, const struct ws_pg_server_info *info,
					   enum ws_pg_role wanted, const char *what, struct ws_error *err);

/* Current WAL insert position; primary only (WS_ERR_ROLE on a standby). */
int ws_pg_current_insert_lsn(struct ws_pg_conn *conn, ws_lsn *out, struct ws_error *err);

/*
 * Force a WAL segment switch (primary only) and return the name of the
 * last segment that is complete, the one the archiver must ship next.
 */
int ws_pg_switch_wal(struct ws_pg_conn *conn, char name[25], struct ws_error *err);

/* pg_stat_archiver: how often archiving failed and the last failure. */
struct ws_pg_archiver_status {
	long long archived_count;
	long long failed_count;
	char last_archived_wal[64];
	char last_failed_wal[64];
};

/*
 * Make sure a physical replication slot exists, creating it with its WAL
 * reserved. A slot of that name of another type is WS_ERR_INVALID.
 */
int ws_pg_ensure_physical_slot(struct ws_pg_conn *conn, const char *name, bool *created,
							   struct ws_error *err);

/* Drop a replication slot (one that is not active). */
/* pg_create_physical_replication_slot(name, true): the slot reserves WAL at once. */
int ws_pg_create_physical_slot(struct ws_pg_conn *conn, const char *name, struct ws_error *err);

int ws_pg_drop_slot(struct ws_pg_conn *conn, const char *name, struct ws_error *err);

int ws_pg_archiver_status(struct ws_pg_conn *conn, struct ws_pg_archiver_status *st,
						  struct ws_error *err);

#endif
