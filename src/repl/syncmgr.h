/*
 * syncmgr.h — apply the replication mode on the primary (walshipd's job)
 *
 * The mode is walship.replication_mode on the server (set by `walship mode
 * set`), else the configured replication-mode. Each tick on a primary:
 *   async      synchronous_standby_names is emptied;
 *   sync       it is sync-standby-names, and stays so whatever happens;
 *   semi-sync  it names the one standby syncrole.h chooses, or is empty
 *              (degraded) while none is eligible.
 * Every change is logged with its reason. A standby server is left alone.
 */
#ifndef WALSHIP_REPL_SYNCMGR_H
#define WALSHIP_REPL_SYNCMGR_H

#include "common/log.h"
#include "config/config.h"
#include "pg/conn.h"
#include "repl/syncrole.h"

#define WS_SYNCMGR_TICK_MS 250
#define WS_MODE_SETTING "walship.replication_mode"

struct ws_sync_manager {
	struct ws_sync_role role;
	char mode[16];               /* the mode last applied, "" before the first tick */
	bool role_adopted;
};

void ws_sync_manager_init(struct ws_sync_manager *m);

/* One tick against the server behind conn (monotonic now_ms). */
int ws_sync_manager_tick(struct ws_sync_manager *m, struct ws_pg_conn *conn,
						 const struct ws_config *cfg, struct ws_log *log, long now_ms,
						 struct ws_error *err);

/* The effective mode: the server's walship.replication_mode, else the configuration's. */
int ws_replication_mode(struct ws_pg_conn *conn, const struct ws_config *cfg, char *mode,
						size_t size, struct ws_error *err);

/* synchronous_standby_names naming one standby: "\"name\"" with quotes doubled. */
void ws_sync_names_for(const char *standby, char *buf, size_t size);

#endif
