/*
 * finisher.h — store completed segments while the receiver keeps receiving
 *
 * Compressing and storing a 16 MB segment takes longer than receiving it;
 * done inline, the receiver would stop reading the socket meanwhile and the
 * server would wait. One background thread takes completed segment files in
 * order and stores each; the receiver goes on at once, and waits only when
 * `depth` segments are already waiting (bounding the stream directory). A
 * failure is reported by the next submit or drain, and nothing more is
 * stored after it: the files stay in the stream directory for the next run.
 */
#ifndef WALSHIP_REPL_FINISHER_H
#define WALSHIP_REPL_FINISHER_H

#include "common/error.h"

struct ws_finisher;

/* store(arg, path, err) stores and removes the file at path. */
typedef int (*ws_finisher_store)(void *arg, const char *path, struct ws_error *err);

int ws_finisher_start(ws_finisher_store store, void *arg, int depth, struct ws_finisher **out,
					  struct ws_error *err);

/* Queue a file; waits while depth files are queued. */
int ws_finisher_submit(struct ws_finisher *f, const char *path, struct ws_error *err);

/* Wait until everything queued is stored. */
int ws_finisher_drain(struct ws_finisher *f, struct ws_error *err);

/* Drain, stop the thread and free f (NULL is fine). */
int ws_finisher_stop(struct ws_finisher *f, struct ws_error *err);

#endif
