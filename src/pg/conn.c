/*
 * conn.c — libpq connections and queries
 */
#include "pg/conn.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/str.h"
#include "pg/conn_int.h"

struct ws_pg_conn {
	PGconn *pg;
	char target[256];
};

/* libpq messages span lines ("...failed: ...\n\tIs the server running"). */
static int
set_pg_error(struct ws_error *err, int status, const char *what, const char *pgmsg)
{
	char msg[WS_ERROR_MSG_MAX];

	ws_strlcpy(msg, pgmsg != NULL ? pgmsg : "", sizeof(msg));
	ws_str_oneline(msg);
	if (msg[0] == '\0')
		ws_strlcpy(msg, "no error message from libpq", sizeof(msg));
	return ws_error_set(err, status, "%s: %s", what, msg);
}

static void
describe_target(struct ws_pg_conn *conn)
{
	const char *host = PQhost(conn->pg);
	const char *port = PQport(conn->pg);

	if (host == NULL || host[0] == '\0')
		host = "localhost";
	if (host[0] == '/')
		snprintf(conn->target, sizeof(conn->target), "socket %s port %s", host,
				 port != NULL ? port : "?");
	else
		snprintf(conn->target, sizeof(conn->target), "%s:%s", host,
				 port != NULL ? port : "?");
}

static int
connect_with(const char *conninfo, int connect_timeout, bool replication,
			 struct ws_pg_conn **out, struct ws_error *err)
{
	/*
	 * Later keywords override earlier ones and the expanded dbname string
	 * overrides what precedes it, so the caller's conninfo wins over our
	 * defaults for the timeout and application name, and "replication"
	 * after it wins over the conninfo.
	 */
	char timeout[16];
	const char *keywords[] = {"connect_timeout", "fallback_application_name", "dbname",
							  replication ? "replication" : NULL, NULL};
	const char *values[] = {timeout, "walship", conninfo != NULL ? conninfo : "",
							replication ? "true" : NULL, NULL};
	struct ws_pg_conn *conn;

	*out = NULL;
	snprintf(timeout, sizeof(timeout), "%d", connect_timeout);
	conn = calloc(1, sizeof(*conn));
	if (conn == NULL)
		return ws_error_set(err, WS_ERR_NOMEM, "out of memory");
	conn->pg = PQconnectdbParams(keywords, values, 1);
	if (conn->pg == NULL) {
		free(conn);
		return ws_error_set(err, WS_ERR_NOMEM, "out of memory while connecting to the server");
	}
	if (PQstatus(conn->pg) != CONNECTION_OK) {
		int rc = set_pg_error(err, WS_ERR_CONNECT,
							  replication ? "could not open a replication connection to the server"
							  : "could not connect to the server",
							  PQerrorMessage(conn->pg));

		ws_pg_close(conn);
		return rc;
	}
	describe_target(conn);
	*out = conn;
	return WS_OK;
}

int
ws_pg_connect(const char *conninfo, int connect_timeout, struct ws_pg_conn **out,
			  struct ws_error *err)
{
	return connect_with(conninfo, connect_timeout, false, out, err);
}

int
ws_pg_connect_replication(const char *conninfo, int connect_timeout, struct ws_pg_conn **out,
						  struct ws_error *err)
{
	return connect_with(conninfo, connect_timeout, true, out, err);
}

PGconn *
ws_pg_conn_raw(struct ws_pg_conn *conn)
{
	return conn->pg;
}

int
ws_pg_conn_error(struct ws_pg_conn *conn, int status, const char *what, struct ws_error *err)
{
	return set_pg_error(err, status, what, PQerrorMessage(conn->pg));
}

void
ws_pg_close(struct ws_pg_conn *conn)
{
	if (conn == NULL)
		return;
	PQfinish(conn->pg);
	free(conn);
}

const char *
ws_pg_target(const struct ws_pg_conn *conn)
{
	return conn->target;
}

int
ws_pg_server_version_num(const struct ws_pg_conn *conn)
{
	return PQserverVersion(conn->pg);
}

bool
ws_pg_uses_tls(const struct ws_pg_conn *conn)
{
	return PQsslInUse(conn->pg) != 0;
}

static int
copy_result(const PGresult *pgres, struct ws_pg_result *res, struct ws_error *err)
{
	int nrows = PQntuples(pgres);
	int ncols = PQnfields(pgres);

	memset(res, 0, sizeof(*res));
	res->names = calloc((size_t) ncols + 1, sizeof(char *));
	res->values = calloc((size_t) nrows * (size_t) ncols + 1, sizeof(char *));
	if (res->names == NULL || res->values == NULL)
		goto nomem;
	res->ncols = ncols;
	res->nrows = nrows;
	for (int c = 0; c < ncols; c++) {
		res->names[c] = strdup(PQfname(pgres, c));
		if (res->names[c] == NULL)
			goto nomem;
	}
	for (int r = 0; r < nrows; r++) {
		for (int c = 0; c < ncols; c++) {
			if (PQgetisnull(pgres, r, c))
				continue;
			res->values[r * ncols + c] = strdup(PQgetvalue(pgres, r, c));
			if (res->values[r * ncols + c] == NULL)
				goto nomem;
		}
	}
	return WS_OK;

nomem:
	ws_pg_result_free(res);
	return ws_error_set(err, WS_ERR_NOMEM, "out of memory while reading a query result");
}

int
ws_pg_query(struct ws_pg_conn *conn, const char *sql, int nparams,
			const char *const *params, struct ws_pg_result *res, struct ws_error *err)
{
	PGresult *pgres;
	int rc;

	memset(res, 0, sizeof(*res));
	pgres = PQexecParams(conn->pg, sql, nparams, NULL, params, NULL, NULL, 0);
	switch (PQresultStatus(pgres)) {
	case PGRES_TUPLES_OK:
	case PGRES_COMMAND_OK:
		rc = copy_result(pgres, res, err);
		break;
	default:
		if (PQstatus(conn->pg) == CONNECTION_BAD)
			rc = set_pg_error(err, WS_ERR_CONNECT, "lost connection to the server",
							  PQerrorMessage(conn->pg));
		else
			rc = set_pg_error(err, WS_ERR_PG, "query failed",
							  pgres != NULL ? PQresultErrorMessage(pgres) : PQerrorMessage(conn->pg));
		break;
	}
	PQclear(pgres);
	return rc;
}

int
ws_pg_query_row(struct ws_pg_conn *conn, const char *sql, int nparams,
				const char *const *params, struct ws_pg_result *res, struct ws_error *err)
{
	int rc = ws_pg_query(conn, sql, nparams, params, res, err);

	if (rc != WS_OK)
		return rc;
	if (res->nrows != 1) {
		rc = ws_error_set(err, WS_ERR_PG, "query returned %d rows instead of one", res->nrows);
		ws_pg_result_free(res);
	}
	return rc;
}

const char *
ws_pg_value(const struct ws_pg_result *res, int row, int col)
{
	if (row < 0 || row >= res->nrows || col < 0 || col >= res->ncols)
		return NULL;
	return res->values[row * res->ncols + col];
}

void
ws_pg_result_free(struct ws_pg_result *res)
{
	if (res->values != NULL) {
		for (int i = 0; i < res->nrows * res->ncols; i++)
			free(res->values[i]);
	}
	if (res->names != NULL) {
		for (int c = 0; c < res->ncols; c++)
			free(res->names[c]);
	}
	free(res->values);
	free(res->names);
	memset(res, 0, sizeof(*res));
}
