/*
 * daemon.c — walshipd's main loop (see daemon.h)
 */
#include "config.h"

#include "daemon/daemon.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <time.h>

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
	return WS_OK;
}

void
ws_daemon_free(struct ws_daemon *d)
{
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
	return WS_OK;
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
		/* tick: later features (receiver, lease keeper) do their work here */
	}
	sigprocmask(SIG_SETMASK, &previous, NULL);
	ws_log_info(&d->log, COMPONENT, "walshipd stopped");
	return rc;
}
