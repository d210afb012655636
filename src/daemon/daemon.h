/*
 * daemon.h — walshipd's main loop
 *
 * Signals are blocked and taken synchronously with sigtimedwait(), so there
 * are no signal handlers and no global flags: SIGHUP reloads the
 * configuration, SIGTERM and SIGINT end the loop. Each tick runs the work
 * later features register (receiver, lease keeper, metrics).
 */
#ifndef WALSHIP_DAEMON_DAEMON_H
#define WALSHIP_DAEMON_DAEMON_H

#include "common/error.h"
#include "common/log.h"
#include "config/config.h"
#include "daemon/metrics.h"
#include "pg/conn.h"
#include "daemon/receive_thread.h"
#include "repl/syncmgr.h"

#define WS_DAEMON_TICK_MS WS_SYNCMGR_TICK_MS

struct ws_daemon {
	struct ws_config cfg;
	struct ws_config_sources sources;  /* re-read on SIGHUP */
	struct ws_log log;
	int tick_ms;
	struct ws_pg_conn *conn;           /* the local server; NULL until connected */
	struct ws_sync_manager sync;
	struct ws_metrics metrics;         /* metrics-listen */
	struct ws_daemon_receiver receiver; /* receive = on */
	char last_error[WS_ERROR_MSG_MAX]; /* logged once until it changes */
};

/*
 * Load the configuration and set up logging. The caller fills
 * d->sources first. On failure nothing needs to be freed.
 */
int ws_daemon_init(struct ws_daemon *d, struct ws_error *err);

/* Run until SIGTERM or SIGINT. Returns WS_OK on a clean shutdown. */
int ws_daemon_run(struct ws_daemon *d, struct ws_error *err);

void ws_daemon_free(struct ws_daemon *d);

/* Re-read every configuration source; keep the old one if the new is bad. */
int ws_daemon_reload(struct ws_daemon *d, struct ws_error *err);

#endif
