/*
 * basebackup.c — run BASE_BACKUP and hand its COPY stream to callbacks
 */
#include "pg/basebackup.h"

#include <stdio.h>
#include <string.h>

#include "common/buf.h"
#include "common/str.h"
#include "pg/conn_int.h"
#include "wal/lsn.h"

/* The result sets before and after the COPY: one row, "recptr" and "tli". */
static int
read_position(PGresult *res, const char *which, uint64_t *lsn, uint32_t *tli,
			  struct ws_error *err)
{
	uint64_t t;

	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1 || PQnfields(res) < 2)
		return ws_error_set(err, WS_ERR_CORRUPT, "unexpected reply to BASE_BACKUP: no %s position",
							which);
	if (ws_lsn_parse(PQgetvalue(res, 0, 0), lsn, err) != WS_OK ||
		ws_parse_uint64(PQgetvalue(res, 0, 1), &t) != WS_OK || t == 0 || t > UINT32_MAX)
		return ws_error_set(err, WS_ERR_CORRUPT,
							"unexpected reply to BASE_BACKUP: bad %s position \"%s\" timeline \"%s\"",
							which, PQgetvalue(res, 0, 0), PQgetvalue(res, 0, 1));
	*tli = (uint32_t) t;
	return WS_OK;
}

static int
read_tablespaces(PGresult *res, struct ws_pg_backup_start *start, struct ws_error *err)
{
	int n = PQntuples(res);

	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQnfields(res) < 3)
		return ws_error_set(err, WS_ERR_CORRUPT, "unexpected reply to BASE_BACKUP: no tablespace list");
	if (n > WS_PG_MAX_TABLESPACES)
		return ws_error_set(err, WS_ERR_TOO_LARGE, "the server has %d tablespaces, more than the %d supported",
							n, WS_PG_MAX_TABLESPACES);
	start->ntablespaces = n;
	start->total_size = 0;
	for (int i = 0; i < n; i++) {
		struct ws_pg_tablespace *ts = &start->tablespaces[i];
		uint64_t v = 0;

		if (!PQgetisnull(res, i, 0) &&
			(ws_parse_uint64(PQgetvalue(res, i, 0), &v) != WS_OK || v > UINT32_MAX))
			return ws_error_set(err, WS_ERR_CORRUPT, "unexpected tablespace oid \"%s\"",
								PQgetvalue(res, i, 0));
		ts->oid = (uint32_t) v;
		ws_strlcpy(ts->location, PQgetisnull(res, i, 1) ? "" : PQgetvalue(res, i, 1),
				   sizeof(ts->location));
		v = 0;
		/* the estimate is in kB */
		if (!PQgetisnull(res, i, 2) && ws_parse_uint64(PQgetvalue(res, i, 2), &v) == WS_OK)
			ts->size = v * 1024;
		start->total_size += ts->size;
	}
	return WS_OK;
}

static uint64_t
get_u64be(const unsigned char *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = (v << 8) | p[i];
	return v;
}

/* Where the 'd' messages go: nowhere yet, an archive, or the manifest. */
enum copy_target { TARGET_NONE, TARGET_ARCHIVE, TARGET_MANIFEST };

static int
handle_message(const unsigned char *msg, size_t len, enum copy_target *target,
			   const struct ws_pg_backup_callbacks *cb, struct ws_error *err)
{
	const char *name, *location;
	size_t namelen;

	switch (msg[0]) {
	case 'n':
		/* two NUL-terminated strings: archive name, tablespace location */
		name = (const char *) msg + 1;
		namelen = strnlen(name, len - 1);
		if (namelen + 1 >= len - 1 || strnlen(name + namelen + 1, len - namelen - 2) ==
			len - namelen - 2)
			return ws_error_set(err, WS_ERR_CORRUPT, "malformed new-archive message from the server");
		location = name + namelen + 1;
		*target = TARGET_ARCHIVE;
		return cb->archive(name, location, cb->arg, err);
	case 'd':
		if (*target == TARGET_ARCHIVE)
			return cb->archive_data(msg + 1, len - 1, cb->arg, err);
		if (*target == TARGET_MANIFEST)
			return cb->manifest_data(msg + 1, len - 1, cb->arg, err);
		return ws_error_set(err, WS_ERR_CORRUPT, "backup data from the server before any archive");
	case 'p':
		if (len != 9)
			return ws_error_set(err, WS_ERR_CORRUPT, "malformed progress message from the server");
		if (cb->progress != NULL)
			cb->progress(get_u64be(msg + 1), cb->arg);
		return WS_OK;
	case 'm':
		*target = TARGET_MANIFEST;
		return WS_OK;
	default:
		return ws_error_set(err, WS_ERR_CORRUPT, "unknown backup message type \"%c\" from the server",
							msg[0] >= 32 && msg[0] < 127 ? msg[0] : '?');
	}
}

static int
receive_copy(PGconn *pg, const struct ws_pg_backup_callbacks *cb, struct ws_error *err)
{
	enum copy_target target = TARGET_NONE;
	int rc = WS_OK;

	for (;;) {
		char *msg = NULL;
		int n = PQgetCopyData(pg, &msg, 0);

		if (n == -1)
			return rc;       /* the COPY is over; the result follows */
		if (n == -2)
			return ws_error_set(err, WS_ERR_CONNECT, "could not read backup data: %s",
								PQerrorMessage(pg));
		if (rc == WS_OK && n > 0)
			rc = handle_message((const unsigned char *) msg, (size_t) n, &target, cb, err);
		PQfreemem(msg);
		if (rc != WS_OK)
			return rc;
	}
}

static PGresult *
next_result(PGconn *pg, const char *what, struct ws_error *err)
{
	PGresult *res = PQgetResult(pg);

	if (res == NULL) {
		ws_error_set(err, WS_ERR_CORRUPT, "BASE_BACKUP ended before the %s", what);
		return NULL;
	}
	if (PQresultStatus(res) == PGRES_FATAL_ERROR) {
		char msg[WS_ERROR_MSG_MAX];

		ws_strlcpy(msg, PQresultErrorMessage(res), sizeof(msg));
		ws_str_oneline(msg);
		ws_error_set(err, WS_ERR_PG, "base backup failed: %s", msg);
		PQclear(res);
		return NULL;
	}
	return res;
}

/* Read and drop what is left of the command after a failure. */
static void
drain(PGconn *pg)
{
	PGresult *res;

	while ((res = PQgetResult(pg)) != NULL) {
		if (PQresultStatus(res) == PGRES_COPY_OUT) {
			char *msg;

			while (PQgetCopyData(pg, &msg, 0) > 0)
				PQfreemem(msg);
		}
		PQclear(res);
	}
}

int
ws_pg_base_backup(struct ws_pg_conn *conn, const struct ws_pg_backup_options *opts,
				  const struct ws_pg_backup_callbacks *cb, uint64_t *stop_lsn,
				  uint32_t *stop_tli, struct ws_error *err)
{
	PGconn *pg = ws_pg_conn_raw(conn);
	struct ws_pg_backup_start start;
	struct ws_buf cmd;
	PGresult *res = NULL;
	int rc;

	memset(&start, 0, sizeof(start));
	ws_buf_init(&cmd, 4096);
	rc = ws_buf_append_str(&cmd, "BASE_BACKUP (LABEL '");
	for (const char *p = opts->label; rc == WS_OK && *p != '\0'; p++)
		rc = ws_buf_append(&cmd, *p == '\'' ? "''" : p, *p == '\'' ? 2 : 1);
	if (rc == WS_OK)
		rc = ws_buf_appendf(&cmd, "', PROGRESS, CHECKPOINT '%s', MANIFEST 'yes', WAIT false)",
							opts->fast_checkpoint ? "fast" : "spread");
	if (rc != WS_OK) {
		ws_buf_free(&cmd);
		return ws_error_set(err, rc, "backup label is too long");
	}
	if (PQsendQuery(pg, ws_buf_str(&cmd)) != 1) {
		ws_buf_free(&cmd);
		return ws_pg_conn_error(conn, WS_ERR_CONNECT, "could not send BASE_BACKUP", err);
	}
	ws_buf_free(&cmd);

	if ((res = next_result(pg, "start position", err)) == NULL)
		goto failed;
	rc = read_position(res, "start", &start.lsn, &start.timeline, err);
	PQclear(res);
	if (rc != WS_OK || (res = next_result(pg, "tablespace list", err)) == NULL)
		goto failed;
	rc = read_tablespaces(res, &start, err);
	PQclear(res);
	if (rc == WS_OK)
		rc = cb->started(&start, cb->arg, err);
	if (rc != WS_OK || (res = next_result(pg, "backup data", err)) == NULL)
		goto failed;
	if (PQresultStatus(res) != PGRES_COPY_OUT) {
		PQclear(res);
		ws_error_set(err, WS_ERR_CORRUPT, "unexpected reply to BASE_BACKUP: no COPY stream");
		goto failed;
	}
	PQclear(res);
	if ((rc = receive_copy(pg, cb, err)) != WS_OK)
		goto failed;
	if ((res = next_result(pg, "end position", err)) == NULL)
		goto failed;
	rc = read_position(res, "end", stop_lsn, stop_tli, err);
	PQclear(res);
	if (rc != WS_OK)
		goto failed;
	/* CommandComplete, then the end */
	while ((res = PQgetResult(pg)) != NULL) {
		ExecStatusType st = PQresultStatus(res);

		PQclear(res);
		if (st == PGRES_FATAL_ERROR) {
			ws_error_set(err, WS_ERR_PG, "base backup failed at its end: %s", PQerrorMessage(pg));
			goto failed;
		}
	}
	return WS_OK;

failed:
	drain(pg);
	return err->status != WS_OK ? err->status : WS_ERR_PG;
}
