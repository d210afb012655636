/*
 * receive_thread.c — walshipd's WAL receiver (receive_thread.h)
 */
#include "daemon/receive_thread.h"

#include <string.h>

#include "archive/archive.h"
#include "repl/receiver.h"

#define COMPONENT "receive"
#define RECEIVE_RETRY_S 10
#define STREAM_DIR_MAX 4096

/* One run: open the repository and stream until the receiver returns. */
static int
run_once(struct ws_daemon_receiver *r, struct ws_error *err)
{
	const struct ws_config *cfg = &r->cfg;
	struct ws_receiver_options o;
	struct ws_archive a;
	char dir[STREAM_DIR_MAX];
	int rc;

	memset(&o, 0, sizeof(o));
	o.cfg = cfg;
	o.finisher_threads = (int) ws_config_int(cfg, WS_OPT_PROCESS_MAX);
	o.conninfo = ws_config_str(cfg, WS_OPT_PG_CONNINFO);
	o.connect_timeout = (int) ws_config_int(cfg, WS_OPT_CONNECT_TIMEOUT);
	o.slot = ws_config_str(cfg, WS_OPT_RECEIVE_SLOT);
	o.create_slot = true;
	o.synchronous = ws_config_bool(cfg, WS_OPT_RECEIVE_SYNCHRONOUS);
	o.status_interval_ms = (int) ws_config_int(cfg, WS_OPT_STATUS_INTERVAL) * 1000;
	o.loop = true;
	o.stop = &r->stop;
	if ((rc = ws_archive_open(cfg, r->log, &a, err)) != WS_OK)
		return rc;
	rc = ws_receive_dir(cfg, dir, sizeof(dir), err);
	if (rc == WS_OK)
		rc = ws_receiver_run(&a, r->log, dir, &o, err);
	ws_archive_close(&a);
	return rc;
}

static void *
receiver_main(void *arg)
{
	struct ws_daemon_receiver *r = arg;

	while (!atomic_load(&r->stop)) {
		struct ws_error err;

		ws_error_clear(&err);
		if (run_once(r, &err) == WS_OK || atomic_load(&r->stop))
			break;
		ws_log_error(r->log, COMPONENT, "%s; retrying in %d s", err.message, RECEIVE_RETRY_S);
		ws_receiver_pause(&r->stop, RECEIVE_RETRY_S);
	}
	return NULL;
}

int
ws_daemon_receiver_start(struct ws_daemon_receiver *r, const struct ws_config_sources *sources,
						 struct ws_log *log, struct ws_error *err)
{
	int rc;

	memset(r, 0, sizeof(*r));
	atomic_init(&r->stop, 0);
	r->log = log;
	if ((rc = ws_config_load_all(&r->cfg, sources, err)) != WS_OK)
		return rc;
	if (!ws_config_bool(&r->cfg, WS_OPT_RECEIVE)) {
		ws_config_free(&r->cfg);
		return WS_OK;
	}
	if (pthread_create(&r->thread, NULL, receiver_main, r) != 0) {
		ws_config_free(&r->cfg);
		return ws_error_set(err, WS_ERR_IO, "could not start the receiver thread");
	}
	r->running = true;
	ws_log_info(log, COMPONENT, "receiver started (slot \"%s\"%s)", ws_config_str(&r->cfg, WS_OPT_RECEIVE_SLOT),
				ws_config_bool(&r->cfg, WS_OPT_RECEIVE_SYNCHRONOUS) ? ", synchronous" : "");
	return WS_OK;
}

void
ws_daemon_receiver_stop(struct ws_daemon_receiver *r)
{
	if (!r->running)
		return;
	atomic_store(&r->stop, 1);
	pthread_join(r->thread, NULL);
	ws_config_free(&r->cfg);
	r->running = false;
}
