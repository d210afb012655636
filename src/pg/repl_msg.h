/*
 * repl_msg.h — the messages of a physical replication stream
 *
 * Inside START_REPLICATION's COPY BOTH stream the server sends XLogData
 * ('w': start LSN, its own end of WAL, send time, WAL bytes) and primary
 * keepalives ('k': end of WAL, send time, reply requested); the client
 * sends standby status updates ('r': write, flush and apply LSNs, time,
 * reply requested). Integers are big-endian; times are microseconds since
 * 2000-01-01 00:00 UTC. Pure functions, no libpq: unit-tested on bytes.
 */
#ifndef WALSHIP_PG_REPL_MSG_H
#define WALSHIP_PG_REPL_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "wal/lsn.h"

#define WS_REPL_XLOGDATA_HEADER 25   /* 'w' + 3 × int64 */
#define WS_REPL_KEEPALIVE_LEN 18     /* 'k' + 2 × int64 + byte */
#define WS_REPL_STATUS_LEN 34        /* 'r' + 4 × int64 + byte */

enum ws_repl_msg_type {
	WS_REPL_XLOGDATA,
	WS_REPL_KEEPALIVE
};

struct ws_repl_msg {
	enum ws_repl_msg_type type;
	ws_lsn start;                 /* XLogData: LSN of data[0] */
	ws_lsn server_end;            /* the server's end of WAL */
	int64_t send_time;            /* server clock, PostgreSQL epoch µs */
	bool reply_requested;         /* keepalive: answer at once */
	const uint8_t *data;          /* XLogData: points into the message */
	size_t len;
};

/* Decode one CopyData payload; unknown or short messages are WS_ERR_CORRUPT. */
int ws_repl_msg_parse(const uint8_t *buf, size_t len, struct ws_repl_msg *out,
					  struct ws_error *err);

/* Encode a standby status update. */
void ws_repl_status_encode(ws_lsn write, ws_lsn flush, ws_lsn apply, int64_t now,
						   bool reply_requested, uint8_t out[WS_REPL_STATUS_LEN]);

/* The wall clock in PostgreSQL's epoch (µs since 2000-01-01 UTC). */
int64_t ws_repl_now(void);

#endif
