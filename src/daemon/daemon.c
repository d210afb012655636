/*
 * daemon.c — walshipd's main loop (see daemon.h)
 */
#include "config.h"

#include "daemon/daemon.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <time.h>

#include "common/clock.h"
#include "common/str.h"
#include "config/config_log.h"

#define COMPONENT "walshipd"

int
ws_daemon_init(struct ws_daemon *d, struct ws_error *err)
{
	int rc;

	ws_log_init_stderr(&d->log, WS_LOG_INFO);
	if (d->tick_ms <= 0)
		d->tick_ms = WS_DAEMON_TICK_MS;
	rc = ws_config_load_all(&d->cfg, &d->sources, err);
	if (rc != WS_OK)
		return rc;
	rc = ws_config_apply_log(&d->cfg, &d->log, err);
	if (rc != WS_OK) {
		ws_config_free(&d->cfg);
		return rc;
	}
	/* a metrics-listen address that cannot be bound is an error at start */
	rc = ws_metrics_start(&d->metrics, &d->cfg, &d->log, err);
	if (rc != WS_OK) {
		ws_metrics_stop(&d->metrics);
		ws_log_close(&d->log);
		ws_config_free(&d->cfg);
		return rc;
	}
	return WS_OK;
}

void
ws_daemon_free(struct ws_daemon *d)
{
	ws_metrics_stop(&d->metrics);
	ws_config_free(&d->cfg);
	ws_log_close(&d->log);
}

int
ws_daemon_reload(struct ws_daemon *d, struct ws_error *err)
{
	struct ws_config fresh;
	int rc;

	rc = ws_config_load_all(&fresh, &d->sources, err);
	if (rc == WS_OK) {
		rc = ws_config_apply_log(&fresh, &d->log, err);
		if (rc != WS_OK)
			ws_config_free(&fresh);
	}
	if (rc != WS_OK) {
		ws_log_error(&d->log, COMPONENT, "could not reload configuration: %s; keeping the previous configuration",
					 err->message);
		return rc;
	}
	ws_config_free(&d->cfg);
	d->cfg = fresh;
	ws_log_info(&d->log, COMPONENT, "configuration reloaded (log-level %s)",
				ws_config_str(&d->cfg, WS_OPT_LOG_LEVEL));
	ws_metrics_reconfigure(&d->metrics, &d->cfg, &d->log);
	return WS_OK;
}

/* Log a failure once, not every tick, and its end. */
static void
note_failure(struct ws_daemon *d, const struct ws_error *e)
{
	if (e == NULL) {
		if (d->last_error[0] != '\0')
			ws_log_info(&d->log, COMPONENT, "the server is reachable again");
		d->last_error[0] = '\0';
		return;
	}
	if (strcmp(d->last_error, e->message) != 0)
		ws_log_warn(&d->log, COMPONENT, "%s", e->message);
	ws_strlcpy(d->last_error, e->message, sizeof(d->last_error));
}

/*
 * One tick of work: apply the replication mode on the local server, then
 * (once a second, when metrics-listen is set) sample the metrics.
 */
static void
daemon_tick(struct ws_daemon *d)
{
	struct ws_error e;
	int rc = WS_OK;

	ws_error_clear(&e);
	if (d->conn == NULL) {
		rc = ws_pg_connect(ws_config_str(&d->cfg, WS_OPT_PG_CONNINFO),
						   (int) ws_config_int(&d->cfg, WS_OPT_CONNECT_TIMEOUT), &d->conn, &e);
		ws_sync_manager_init(&d->sync);
	}
	if (rc == WS_OK)
		rc = ws_sync_manager_tick(&d->sync, d->conn, &d->cfg, &d->log, ws_clock_ms(), &e);
	if (rc != WS_OK && rc != WS_ERR_CONFIG) {
		ws_pg_close(d->conn);
		d->conn = NULL;
	}
	note_failure(d, rc == WS_OK ? NULL : &e);
	ws_metrics_tick(&d->metrics, d->conn, &d->cfg, &d->log, ws_clock_ms());
}

int
ws_daemon_run(struct ws_daemon *d, struct ws_error *err)
{
	struct timespec tick = {d->tick_ms / 1000, (long) (d->tick_ms % 1000) * 1000000L};
	sigset_t signals;
	sigset_t previous;
	int rc = WS_OK;

	sigemptyset(&signals);
	sigaddset(&signals, SIGTERM);
	sigaddset(&signals, SIGINT);
	sigaddset(&signals, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &signals, &previous) != 0)
		return ws_error_set(err, WS_ERR_IO, "could not block signals: %m");

	ws_log_info(&d->log, COMPONENT, "walshipd %s started (stanza %s, configuration %s)",
				PACKAGE_VERSION, ws_config_str(&d->cfg, WS_OPT_STANZA),
				d->cfg.file[0] ? d->cfg.file : "none");
	/* after blocking the signals: the thread inherits the mask, the main loop takes them */
	if ((rc = ws_daemon_receiver_start(&d->receiver, &d->sources, &d->log, err)) != WS_OK) {
		sigprocmask(SIG_SETMASK, &previous, NULL);
		return rc;
	}
	for (;;) {
		siginfo_t info;
		int sig = sigtimedwait(&signals, &info, &tick);

		if (sig == SIGHUP) {
			struct ws_error reload_err;

			ws_log_info(&d->log, COMPONENT, "received SIGHUP, reloading configuration");
			ws_daemon_reload(d, &reload_err);
		} else if (sig == SIGTERM || sig == SIGINT) {
			ws_log_info(&d->log, COMPONENT, "received %s, shutting down",
						sig == SIGTERM ? "SIGTERM" : "SIGINT");
			break;
		} else if (sig < 0 && errno != EAGAIN && errno != EINTR) {
			rc = ws_error_set(err, WS_ERR_IO, "could not wait for signals: %m");
			break;
		}
		if (sig != SIGTERM && sig != SIGINT)
			daemon_tick(d);
	}
	ws_daemon_receiver_stop(&d->receiver);
	ws_pg_close(d->conn);
	d->conn = NULL;
	sigprocmask(SIG_SETMASK, &previous, NULL);
	ws_log_info(&d->log, COMPONENT, "walshipd stopped");
	return rc;
}
