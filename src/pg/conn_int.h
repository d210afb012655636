/*
 * conn_int.h — what the other files of src/pg need from conn.c
 *
 * Private to src/pg: nothing outside it may include libpq.
 */
#ifndef WALSHIP_PG_CONN_INT_H
#define WALSHIP_PG_CONN_INT_H

#include <libpq-fe.h>

#include "pg/conn.h"

PGconn *ws_pg_conn_raw(struct ws_pg_conn *conn);

/* "<what>: <libpq's message on one line>" with status. */
int ws_pg_conn_error(struct ws_pg_conn *conn, int status, const char *what,
					 struct ws_error *err);

#endif
