/*
 * replication.h — replication commands and the COPY BOTH stream
 *
 * On a connection from ws_pg_connect_replication: IDENTIFY_SYSTEM,
 * TIMELINE_HISTORY, READ_REPLICATION_SLOT, CREATE_REPLICATION_SLOT and
 * START_REPLICATION, then the stream's messages one at a time (their
 * content is repl_msg.h's business). Replication connections speak only
 * the simple query protocol, so these never go through ws_pg_query.
 */
#ifndef WALSHIP_PG_REPLICATION_H
#define WALSHIP_PG_REPLICATION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/error.h"
#include "pg/conn.h"
#include "wal/lsn.h"

struct ws_pg_identity {
	uint64_t system_id;
	uint32_t timeline;
	ws_lsn xlogpos;               /* the server's current flush position */
};

int ws_pg_identify_system(struct ws_pg_conn *conn, struct ws_pg_identity *out,
						  struct ws_error *err);

/* The content of timeline tli's history file, appended to content. */
int ws_pg_timeline_history(struct ws_pg_conn *conn, uint32_t tli, struct ws_buf *content,
						   struct ws_error *err);

struct ws_pg_slot_position {
	bool exists;
	ws_lsn restart_lsn;           /* WS_LSN_INVALID when the slot holds none */
	uint32_t restart_tli;
};

/* READ_REPLICATION_SLOT; a logical slot is WS_ERR_INVALID. */
int ws_pg_read_slot(struct ws_pg_conn *conn, const char *slot, struct ws_pg_slot_position *out,
					struct ws_error *err);

/* CREATE_REPLICATION_SLOT slot PHYSICAL RESERVE_WAL; WS_ERR_EXISTS if it does. */
int ws_pg_create_slot(struct ws_pg_conn *conn, const char *slot, struct ws_error *err);

/* START_REPLICATION [SLOT slot] PHYSICAL start TIMELINE tli (slot may be NULL). */
int ws_pg_start_replication(struct ws_pg_conn *conn, const char *slot, ws_lsn start,
							uint32_t tli, struct ws_error *err);

enum ws_pg_stream_event {
	WS_PG_STREAM_MESSAGE,         /* *msg holds one CopyData payload */
	WS_PG_STREAM_TIMEOUT,         /* nothing within the timeout */
	WS_PG_STREAM_END              /* the server ended the stream */
};

/*
 * Wait up to timeout_ms for the next message (0: only what has arrived).
 * A message is released with ws_pg_stream_free.
 */
int ws_pg_stream_next(struct ws_pg_conn *conn, int timeout_ms, enum ws_pg_stream_event *ev,
					  uint8_t **msg, size_t *len, struct ws_error *err);
void ws_pg_stream_free(uint8_t *msg);

/* Send one CopyData message and flush it. */
int ws_pg_stream_send(struct ws_pg_conn *conn, const void *data, size_t len,
					  struct ws_error *err);

/*
 * After WS_PG_STREAM_END, or to stop streaming ourselves: end our side and
 * read the command's results. *has_next is set when the server ended a
 * timeline and named the next one (*next_tli, starting at *next_start).
 */
int ws_pg_stream_finish(struct ws_pg_conn *conn, bool *has_next, uint32_t *next_tli,
						ws_lsn *next_start, struct ws_error *err);

#endif
