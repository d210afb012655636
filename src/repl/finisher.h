/*
 * finisher.h — finish and store completed segments while receiving goes on
 *
 * Syncing, compressing and storing a 16 MB segment takes longer than
 * receiving it; done inline, the receiver would stop reading the socket and
 * the server would wait. Completed segments are handed over as jobs
 * (walfile.h) to `nthreads` background threads, each with its own store
 * context (its own repository connection): a job is fdatasync'ed, renamed
 * to its final name, then stored and removed. The receiver waits only when
 * `depth` jobs are already waiting. ws_finisher_durable() tells how far the
 * handed-over WAL is on disk without a gap, which is what the receiver may
 * report as flushed. A failure is reported by the next call, and nothing
 * more is stored after it: the files stay in the stream directory for the
 * next run.
 */
#ifndef WALSHIP_REPL_FINISHER_H
#define WALSHIP_REPL_FINISHER_H

#include "common/error.h"
#include "repl/walfile.h"

struct ws_finisher;

/* store(arg, path, err) stores and removes the file at path. */
typedef int (*ws_finisher_store)(void *arg, const char *path, struct ws_error *err);

/* args[i] is thread i's store context. */
int ws_finisher_start(ws_finisher_store store, void *const *args, int nthreads, int depth,
					  struct ws_finisher **out, struct ws_error *err);

/* Queue a job (it owns the job's file descriptor from now on); waits while depth are queued. */
int ws_finisher_submit(struct ws_finisher *f, const struct ws_walfile_job *job, struct ws_error *err);

/* The end of the handed-over WAL that is on disk with nothing missing before it. */
ws_lsn ws_finisher_durable(struct ws_finisher *f);

/* Wait until everything queued is stored. */
int ws_finisher_drain(struct ws_finisher *f, struct ws_error *err);

/* Drain, stop the threads and free f (NULL is fine). */
int ws_finisher_stop(struct ws_finisher *f, struct ws_error *err);

#endif
