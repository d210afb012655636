/*
 * conn.h — connections and queries; src/pg is the only place that sees libpq
 *
 * Results are copied into a plain struct so the rest of walship never
 * handles a PGresult.
 */
#ifndef WALSHIP_PG_CONN_H
#define WALSHIP_PG_CONN_H

#include <stdbool.h>

#include "common/error.h"

struct ws_pg_conn;

struct ws_pg_result {
	int nrows;
	int ncols;
	char **names;    /* ncols column names */
	char **values;   /* nrows * ncols, row-major; NULL for SQL NULL */
};

/*
 * Connect with a libpq connection string. connect_timeout (seconds) applies
 * unless the string sets its own. Password, TLS (sslmode, sslrootcert ...)
 * and every other libpq keyword come through conninfo unchanged.
 * Failure: WS_ERR_CONNECT with libpq's reason on one line.
 */
int ws_pg_connect(const char *conninfo, int connect_timeout,
				  struct ws_pg_conn **out, struct ws_error *err);
/*
 * The same for a physical replication connection (replication=true), which
 * speaks the replication commands: BASE_BACKUP, IDENTIFY_SYSTEM, ...
 */
int ws_pg_connect_replication(const char *conninfo, int connect_timeout,
							  struct ws_pg_conn **out, struct ws_error *err);
void ws_pg_close(struct ws_pg_conn *conn);

/* "host:port" (or the socket directory) for messages. */
const char *ws_pg_target(const struct ws_pg_conn *conn);
/* PostgreSQL's server_version_num, e.g. 150018. */
int ws_pg_server_version_num(const struct ws_pg_conn *conn);
/* Whether the connection uses TLS. */
bool ws_pg_uses_tls(const struct ws_pg_conn *conn);

/*
 * Run sql with text parameters $1..$n. On success *res holds the rows
 * (free with ws_pg_result_free). WS_ERR_PG when the server reports an
 * error, WS_ERR_CONNECT when the connection was lost.
 */
int ws_pg_query(struct ws_pg_conn *conn, const char *sql, int nparams,
				const char *const *params, struct ws_pg_result *res,
				struct ws_error *err);

/* As ws_pg_query, but exactly one row is expected. */
int ws_pg_query_row(struct ws_pg_conn *conn, const char *sql, int nparams,
					const char *const *params, struct ws_pg_result *res,
					struct ws_error *err);

/* Value or NULL (SQL NULL, or row/column out of range). */
const char *ws_pg_value(const struct ws_pg_result *res, int row, int col);
void ws_pg_result_free(struct ws_pg_result *res);

#endif
