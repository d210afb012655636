/*
 * replication.c — replication commands and the COPY BOTH stream (replication.h)
 */
#include "pg/replication.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>

#include "common/str.h"
#include "pg/conn_int.h"
#include "pg/slot.h"

/* Run a replication command; *res must be PQclear'ed. */
static int
command(PGconn *pg, const char *sql, ExecStatusType want, PGresult **res, const char *what,
		struct ws_error *err)
{
	char msg[WS_ERROR_MSG_MAX];

	*res = PQexec(pg, sql);
	if (*res != NULL && PQresultStatus(*res) == want)
		return WS_OK;
	ws_strlcpy(msg, *res != NULL ? PQresultErrorMessage(*res) : PQerrorMessage(pg), sizeof(msg));
	ws_str_oneline(msg);
	PQclear(*res);
	*res = NULL;
	return ws_error_set(err, PQstatus(pg) == CONNECTION_OK ? WS_ERR_PG : WS_ERR_CONNECT,
						"%s failed: %s", what, msg[0] ? msg : "no error message from libpq");
}

static int
shape(PGresult *res, int rows, int cols, const char *what, struct ws_error *err)
{
	if (PQntuples(res) != rows || PQnfields(res) < cols)
		return ws_error_set(err, WS_ERR_CORRUPT, "unexpected reply to %s: %d rows, %d columns",
							what, PQntuples(res), PQnfields(res));
	return WS_OK;
}

static int
parse_tli(const char *text, uint32_t *out, const char *what, struct ws_error *err)
{
	uint64_t v;

	if (ws_parse_uint64(text, &v) != WS_OK || v == 0 || v > UINT32_MAX)
		return ws_error_set(err, WS_ERR_CORRUPT, "invalid timeline \"%s\" in the reply to %s", text, what);
	*out = (uint32_t) v;
	return WS_OK;
}

int
ws_pg_identify_system(struct ws_pg_conn *conn, struct ws_pg_identity *out, struct ws_error *err)
{
	PGresult *res;
	int rc;

	if ((rc = command(ws_pg_conn_raw(conn), "IDENTIFY_SYSTEM", PGRES_TUPLES_OK, &res,
					  "IDENTIFY_SYSTEM", err)) != WS_OK)
		return rc;
	rc = shape(res, 1, 3, "IDENTIFY_SYSTEM", err);
	if (rc == WS_OK && ws_parse_uint64(PQgetvalue(res, 0, 0), &out->system_id) != WS_OK)
		rc = ws_error_set(err, WS_ERR_CORRUPT, "invalid system identifier \"%s\" from IDENTIFY_SYSTEM",
						  PQgetvalue(res, 0, 0));
	if (rc == WS_OK)
		rc = parse_tli(PQgetvalue(res, 0, 1), &out->timeline, "IDENTIFY_SYSTEM", err);
	if (rc == WS_OK)
		rc = ws_lsn_parse(PQgetvalue(res, 0, 2), &out->xlogpos, err);
	PQclear(res);
	return rc;
}

int
ws_pg_timeline_history(struct ws_pg_conn *conn, uint32_t tli, struct ws_buf *content,
					   struct ws_error *err)
{
	char sql[64];
	PGresult *res;
	int rc;

	snprintf(sql, sizeof(sql), "TIMELINE_HISTORY %u", tli);
	if ((rc = command(ws_pg_conn_raw(conn), sql, PGRES_TUPLES_OK, &res, sql, err)) != WS_OK)
		return rc;
	rc = shape(res, 1, 2, "TIMELINE_HISTORY", err);
	if (rc == WS_OK && ws_buf_append(content, PQgetvalue(res, 0, 1),
									 (size_t) PQgetlength(res, 0, 1)) != WS_OK)
		rc = ws_error_set(err, WS_ERR_TOO_LARGE, "timeline %u's history is too large", tli);
	PQclear(res);
	return rc;
}

int
ws_pg_read_slot(struct ws_pg_conn *conn, const char *slot, struct ws_pg_slot_position *out,
				struct ws_error *err)
{
	char sql[128];
	PGresult *res;
	int rc;

	memset(out, 0, sizeof(*out));
	/* a checked name ([a-z0-9_]) goes into the command as is: nothing to quote */
	if ((rc = ws_pg_slot_name_check(slot, err)) != WS_OK)
		return rc;
	snprintf(sql, sizeof(sql), "READ_REPLICATION_SLOT %s", slot);
	if ((rc = command(ws_pg_conn_raw(conn), sql, PGRES_TUPLES_OK, &res, "READ_REPLICATION_SLOT",
					  err)) != WS_OK)
		return rc;
	rc = shape(res, 1, 3, "READ_REPLICATION_SLOT", err);
	if (rc == WS_OK && !PQgetisnull(res, 0, 0)) {
		out->exists = true;
		if (strcmp(PQgetvalue(res, 0, 0), "physical") != 0)
			rc = ws_error_set(err, WS_ERR_INVALID, "replication slot \"%s\" is a %s slot, not a physical one",
							  slot, PQgetvalue(res, 0, 0));
		if (rc == WS_OK && !PQgetisnull(res, 0, 1))
			rc = ws_lsn_parse(PQgetvalue(res, 0, 1), &out->restart_lsn, err);
		if (rc == WS_OK && !PQgetisnull(res, 0, 2))
			rc = parse_tli(PQgetvalue(res, 0, 2), &out->restart_tli, "READ_REPLICATION_SLOT", err);
	}
	PQclear(res);
	return rc;
}

int
ws_pg_create_slot(struct ws_pg_conn *conn, const char *slot, struct ws_error *err)
{
	char sql[128];
	PGresult *res;
	int rc;

	if ((rc = ws_pg_slot_name_check(slot, err)) != WS_OK)
		return rc;
	snprintf(sql, sizeof(sql), "CREATE_REPLICATION_SLOT %s PHYSICAL RESERVE_WAL", slot);
	rc = command(ws_pg_conn_raw(conn), sql, PGRES_TUPLES_OK, &res, "CREATE_REPLICATION_SLOT", err);
	if (rc == WS_ERR_PG && strstr(err->message, "already exists") != NULL)
		rc = WS_ERR_EXISTS;
	PQclear(res);
	return rc;
}

int
ws_pg_start_replication(struct ws_pg_conn *conn, const char *slot, ws_lsn start, uint32_t tli,
						struct ws_error *err)
{
	char sql[192];
	char pos[WS_LSN_STRLEN];
	PGresult *res;
	int rc;

	if (slot != NULL && (rc = ws_pg_slot_name_check(slot, err)) != WS_OK)
		return rc;
	ws_lsn_format(start, pos);
	snprintf(sql, sizeof(sql), "START_REPLICATION %s%s PHYSICAL %s TIMELINE %u",
			 slot != NULL ? "SLOT " : "", slot != NULL ? slot : "", pos, tli);
	rc = command(ws_pg_conn_raw(conn), sql, PGRES_COPY_BOTH, &res, "START_REPLICATION", err);
	PQclear(res);
	return rc;
}

static int
wait_readable(PGconn *pg, int timeout_ms, bool *ready, struct ws_error *err)
{
	struct pollfd p = {.fd = PQsocket(pg), .events = POLLIN};
	int n;

	*ready = false;
	if (p.fd < 0)
		return ws_error_set(err, WS_ERR_CONNECT, "the replication connection is closed");
	do {
		n = poll(&p, 1, timeout_ms);
	} while (n < 0 && errno == EINTR && timeout_ms == 0);
	if (n < 0 && errno != EINTR)
		return ws_error_set(err, WS_ERR_IO, "could not wait for the replication connection: %m");
	*ready = n > 0;
	return WS_OK;
}

int
ws_pg_stream_next(struct ws_pg_conn *conn, int timeout_ms, enum ws_pg_stream_event *ev,
				  uint8_t **msg, size_t *len, struct ws_error *err)
{
	PGconn *pg = ws_pg_conn_raw(conn);
	bool waited = false;

	*msg = NULL;
	*len = 0;
	for (;;) {
		char *copy = NULL;
		int n = PQgetCopyData(pg, &copy, 1);
		bool ready;
		int rc;

		if (n > 0) {
			*ev = WS_PG_STREAM_MESSAGE;
			*msg = (uint8_t *) copy;
			*len = (size_t) n;
			return WS_OK;
		}
		if (n == -1) {
			*ev = WS_PG_STREAM_END;
			return WS_OK;
		}
		if (n == -2)
			return ws_pg_conn_error(conn, WS_ERR_CONNECT, "could not read from the replication stream", err);
		if (waited) {
			*ev = WS_PG_STREAM_TIMEOUT;
			return WS_OK;
		}
		if ((rc = wait_readable(pg, timeout_ms, &ready, err)) != WS_OK)
			return rc;
		if (ready && PQconsumeInput(pg) != 1)
			return ws_pg_conn_error(conn, WS_ERR_CONNECT, "could not read from the replication stream", err);
		waited = true;
	}
}

void
ws_pg_stream_free(uint8_t *msg)
{
	if (msg != NULL)
		PQfreemem(msg);
}

int
ws_pg_stream_send(struct ws_pg_conn *conn, const void *data, size_t len, struct ws_error *err)
{
	PGconn *pg = ws_pg_conn_raw(conn);

	if (PQputCopyData(pg, data, (int) len) != 1 || PQflush(pg) != 0)
		return ws_pg_conn_error(conn, WS_ERR_CONNECT, "could not send to the replication stream", err);
	return WS_OK;
}

/* The tuple after an ended timeline: next_tli, next_tli_startpos. */
static int
read_next_timeline(PGresult *res, uint32_t *next_tli, ws_lsn *next_start, struct ws_error *err)
{
	int rc = shape(res, 1, 2, "the end of a timeline", err);

	if (rc == WS_OK)
		rc = parse_tli(PQgetvalue(res, 0, 0), next_tli, "the end of a timeline", err);
	if (rc == WS_OK)
		rc = ws_lsn_parse(PQgetvalue(res, 0, 1), next_start, err);
	return rc;
}

int
ws_pg_stream_finish(struct ws_pg_conn *conn, bool *has_next, uint32_t *next_tli,
					ws_lsn *next_start, struct ws_error *err)
{
	PGconn *pg = ws_pg_conn_raw(conn);
	PGresult *res;
	int rc = WS_OK;

	*has_next = false;
	if (PQputCopyEnd(pg, NULL) != 1 || PQflush(pg) != 0)
		return ws_pg_conn_error(conn, WS_ERR_CONNECT, "could not end the replication stream", err);
	while ((res = PQgetResult(pg)) != NULL) {
		ExecStatusType st = PQresultStatus(res);

		if (st == PGRES_COPY_BOTH || st == PGRES_COPY_OUT) {
			char *msg;
			int n;

			/* what the server sent before it saw our end; already written or not needed */
			while ((n = PQgetCopyData(pg, &msg, 0)) > 0)
				PQfreemem(msg);
			if (n == -2 && rc == WS_OK)
				rc = ws_pg_conn_error(conn, WS_ERR_CONNECT, "could not end the replication stream", err);
		} else if (st == PGRES_TUPLES_OK && rc == WS_OK) {
			rc = read_next_timeline(res, next_tli, next_start, err);
			*has_next = rc == WS_OK;
		} else if (st == PGRES_FATAL_ERROR && rc == WS_OK) {
			char msg[WS_ERROR_MSG_MAX];

			ws_strlcpy(msg, PQresultErrorMessage(res), sizeof(msg));
			ws_str_oneline(msg);
			rc = ws_error_set(err, WS_ERR_PG, "the replication stream ended with an error: %s", msg);
		}
		PQclear(res);
		if (PQstatus(pg) != CONNECTION_OK)
			break;
	}
	return rc;
}
