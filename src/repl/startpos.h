/*
 * startpos.h — where a receiver resumes streaming
 *
 * Never leave a gap: resume at the newest segment the stream directory has
 * in progress (from its start: the partial file is rewritten with the same
 * bytes), else just after the newest segment of the repository, else at
 * the slot's restart_lsn, else at the server's current position, always at
 * a segment boundary. When the server is on a later timeline, the timeline
 * that holds the start comes from the server's history.
 */
#ifndef WALSHIP_REPL_STARTPOS_H
#define WALSHIP_REPL_STARTPOS_H

#include <stdint.h>

#include "archive/archive.h"
#include "pg/replication.h"

struct ws_stream_start {
	uint32_t tli;
	ws_lsn lsn;
	const char *source;          /* "stream directory", "repository", "slot", "server" */
};

/*
 * Choose the start from what is stored (dir: the stream directory), the
 * slot (NULL or not existing: none) and the server's identity.
 */
int ws_stream_start_find(struct ws_archive *a, const char *dir,
						 const struct ws_pg_slot_position *slot,
						 const struct ws_pg_identity *server, struct ws_stream_start *out,
						 struct ws_error *err);

#endif
