/*
 * receiver.h — stream WAL from a server into the repository
 *
 * `walship receive` (and walshipd) connect with a replication connection,
 * resume where the stored WAL ends (startpos.h), write what arrives into
 * the segment in progress (walfile.h) and store every completed segment in
 * the repository as archive-push would, so archive-get serves it. It
 * reports write and flush positions to the server, never a flush position
 * it has not fsynced; with `synchronous` it fsyncs and reports after each
 * batch, so that synchronous_standby_names can name it and a commit is
 * acknowledged only once it is on the receiver's disk. It follows timeline
 * switches, stores history files, keeps the last segment of an ended
 * timeline as "<name>.partial", and reconnects with backoff.
 */
#ifndef WALSHIP_REPL_RECEIVER_H
#define WALSHIP_REPL_RECEIVER_H

#include <stdatomic.h>
#include <stdbool.h>

#include "archive/archive.h"
#include "config/config.h"

struct ws_receiver_options {
	const struct ws_config *cfg;  /* for the finisher threads' repository connections */
	int finisher_threads;        /* threads storing completed segments */
	const char *conninfo;
	int connect_timeout;
	const char *slot;            /* NULL or "": stream without a slot */
	bool create_slot;            /* create the slot when missing */
	bool synchronous;            /* fsync and report after each batch */
	ws_lsn endpos;               /* stop once flushed up to here; 0: never */
	int status_interval_ms;
	bool loop;                   /* reconnect after losing the server */
	const atomic_int *stop;      /* set (by a signal handler or another thread): stop cleanly */
};

/* The stream directory: in the repository when it is posix, else in the spool. */
int ws_receive_dir(const struct ws_config *cfg, char *buf, size_t size, struct ws_error *err);

/* Sleep for seconds, waking early once *stop is set (stop may be NULL). */
void ws_receiver_pause(const atomic_int *stop, int seconds);

int ws_receiver_run(struct ws_archive *a, struct ws_log *log, const char *dir,
					const struct ws_receiver_options *o, struct ws_error *err);

#endif
