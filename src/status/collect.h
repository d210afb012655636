/*
 * collect.h — fill a ws_status from a running server
 *
 * Only ordinary SQL through ws_pg_query: pg_stat_replication joined with
 * pg_replication_slots, the physical slots nobody uses, pg_stat_archiver
 * and the node's own positions. Lag is then derived in C
 * (ws_status_derive), against the one current LSN read at the start, so
 * every number in one report refers to the same point.
 */
#ifndef WALSHIP_STATUS_COLLECT_H
#define WALSHIP_STATUS_COLLECT_H

#include "common/error.h"
#include "pg/conn.h"
#include "status/status.h"

/* "async", "sync" or "semi-sync" (anything else reads as async) */
enum ws_status_mode ws_status_mode_parse(const char *mode);

/*
 * Fill st (after ws_status_init) from conn; sets node.up. WS_ERR_CONNECT
 * when the connection was lost, WS_ERR_PG when a query failed (for
 * example without the privileges of pg_monitor).
 */
int ws_status_collect(struct ws_pg_conn *conn, enum ws_status_mode mode, struct ws_status_report *st,
					  struct ws_error *err);

#endif
