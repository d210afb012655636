/*
 * receive_thread.h — walshipd's WAL receiver (receive = on)
 *
 * The receiver of `walship receive` (repl/receiver.h) on a thread of its
 * own, with its own copy of the configuration, so that a reload in the
 * main loop never pulls a setting from under it; its settings take effect
 * when walshipd restarts. It creates receive-slot when missing, reconnects
 * forever (a failure that ends a run is logged and retried after
 * RECEIVE_RETRY_S seconds) and stops cleanly, segment in progress flushed,
 * when walshipd stops.
 */
#ifndef WALSHIP_DAEMON_RECEIVE_THREAD_H
#define WALSHIP_DAEMON_RECEIVE_THREAD_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "common/error.h"
#include "common/log.h"
#include "config/config.h"

struct ws_daemon_receiver {
	bool running;
	pthread_t thread;
	atomic_int stop;
	struct ws_config cfg;
	struct ws_log *log;
};

/* Start the thread when the configuration says receive = on; else nothing. */
int ws_daemon_receiver_start(struct ws_daemon_receiver *r, const struct ws_config_sources *sources,
							 struct ws_log *log, struct ws_error *err);

/* Ask the receiver to stop and wait for it. */
void ws_daemon_receiver_stop(struct ws_daemon_receiver *r);

#endif
