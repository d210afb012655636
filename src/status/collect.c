/*
 * collect.c — read a node's replication state (see collect.h)
 */
#include "status/collect.h"

#include <string.h>

#include "common/str.h"

/* ISO 8601 in UTC, as JSON readers expect */
#define ISO_TIME(col) \
	"to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"
#define MS(expr) "(extract(epoch FROM " expr ") * 1000)::bigint"

static const char *const primary_sql =
	"SELECT pg_catalog.pg_current_wal_lsn(), pg_catalog.pg_current_wal_insert_lsn()";

static const char *const standby_sql =
	"SELECT pg_catalog.pg_last_wal_receive_lsn(), pg_catalog.pg_last_wal_replay_lsn(), "
	ISO_TIME("pg_catalog.pg_last_xact_replay_timestamp()");

/* Columns are read by position in read_standby_row(). */
static const char *const replication_sql =
	"SELECT r.pid, r.application_name, host(r.client_addr), r.state, r.sync_state,"
	" r.sent_lsn, r.write_lsn, r.flush_lsn, r.replay_lsn,"
	" " MS("r.write_lag") ", " MS("r.flush_lag") ", " MS("r.replay_lag") ","
	" s.slot_name, s.restart_lsn, s.wal_status"
	" FROM pg_catalog.pg_stat_replication r"
	" LEFT JOIN pg_catalog.pg_replication_slots s ON s.active_pid = r.pid"
	" ORDER BY r.application_name, r.pid";

static const char *const stopped_slots_sql =
	"SELECT slot_name, restart_lsn, wal_status FROM pg_catalog.pg_replication_slots"
	" WHERE slot_type = 'physical' AND NOT active ORDER BY slot_name";

static const char *const archiver_sql =
	"SELECT last_archived_wal, " ISO_TIME("last_archived_time") ","
	" " MS("pg_catalog.clock_timestamp() - last_archived_time") ","
	" failed_count, last_failed_wal, " ISO_TIME("last_failed_time")
	" FROM pg_catalog.pg_stat_archiver";

enum ws_status_mode
ws_status_mode_parse(const char *mode)
{
	if (strcmp(mode, "sync") == 0)
		return WS_STATUS_MODE_SYNC;
	if (strcmp(mode, "semi-sync") == 0)
		return WS_STATUS_MODE_SEMI_SYNC;
	return WS_STATUS_MODE_ASYNC;
}

static int
bad_value(const char *what, const char *value, struct ws_error *err)
{
	return ws_error_set(err, WS_ERR_PG, "server returned an invalid %s: \"%s\"", what, value);
}

/* NULL reads as WS_LSN_INVALID */
static int
get_lsn(const struct ws_pg_result *res, int row, int col, const char *what, ws_lsn *out,
		struct ws_error *err)
{
	const char *v = ws_pg_value(res, row, col);
	struct ws_error ignored;

	*out = WS_LSN_INVALID;
	if (v != NULL && ws_lsn_parse(v, out, &ignored) != WS_OK)
		return bad_value(what, v, err);
	return WS_OK;
}

/* NULL reads as WS_STATUS_UNKNOWN */
static int
get_int(const struct ws_pg_result *res, int row, int col, const char *what, int64_t *out,
		struct ws_error *err)
{
	const char *v = ws_pg_value(res, row, col);

	*out = WS_STATUS_UNKNOWN;
	if (v != NULL && ws_parse_int64(v, INT64_MIN, INT64_MAX, out) != WS_OK)
		return bad_value(what, v, err);
	return WS_OK;
}

static void
get_text(const struct ws_pg_result *res, int row, int col, char *buf, size_t size)
{
	const char *v = ws_pg_value(res, row, col);

	ws_strlcpy(buf, v != NULL ? v : "", size);
}

static int
read_node(struct ws_pg_conn *conn, struct ws_status_node *node, struct ws_error *err)
{
	bool primary = node->role == WS_PG_PRIMARY;
	struct ws_pg_result res;
	int rc;

	rc = ws_pg_query_row(conn, primary ? primary_sql : standby_sql, 0, NULL, &res, err);
	if (rc != WS_OK)
		return rc;
	if (primary) {
		if ((rc = get_lsn(&res, 0, 0, "current LSN", &node->current_lsn, err)) == WS_OK)
			rc = get_lsn(&res, 0, 1, "insert LSN", &node->insert_lsn, err);
	} else {
		if ((rc = get_lsn(&res, 0, 0, "receive LSN", &node->receive_lsn, err)) == WS_OK)
			rc = get_lsn(&res, 0, 1, "replay LSN", &node->replay_lsn, err);
		get_text(&res, 0, 2, node->replay_timestamp, sizeof(node->replay_timestamp));
	}
	ws_pg_result_free(&res);
	return rc;
}

static int
read_standby_row(const struct ws_pg_result *res, int r, struct ws_status_standby *sb,
				 struct ws_error *err)
{
	int64_t pid;
	int rc;

	ws_status_standby_init(sb);
	if ((rc = get_int(res, r, 0, "walsender pid", &pid, err)) != WS_OK)
		return rc;
	sb->pid = pid > 0 && pid <= INT32_MAX ? (int) pid : 0;
	get_text(res, r, 1, sb->name, sizeof(sb->name));
	get_text(res, r, 2, sb->host, sizeof(sb->host));
	get_text(res, r, 3, sb->state, sizeof(sb->state));
	get_text(res, r, 4, sb->sync_state, sizeof(sb->sync_state));
	if ((rc = get_lsn(res, r, 5, "sent_lsn", &sb->sent_lsn, err)) != WS_OK ||
		(rc = get_lsn(res, r, 6, "write_lsn", &sb->write_lsn, err)) != WS_OK ||
		(rc = get_lsn(res, r, 7, "flush_lsn", &sb->flush_lsn, err)) != WS_OK ||
		(rc = get_lsn(res, r, 8, "replay_lsn", &sb->replay_lsn, err)) != WS_OK ||
		(rc = get_int(res, r, 9, "write_lag", &sb->write_lag_ms, err)) != WS_OK ||
		(rc = get_int(res, r, 10, "flush_lag", &sb->flush_lag_ms, err)) != WS_OK ||
		(rc = get_int(res, r, 11, "replay_lag", &sb->replay_lag_ms, err)) != WS_OK)
		return rc;
	get_text(res, r, 12, sb->slot, sizeof(sb->slot));
	if ((rc = get_lsn(res, r, 13, "restart_lsn", &sb->slot_restart_lsn, err)) != WS_OK)
		return rc;
	get_text(res, r, 14, sb->slot_wal_status, sizeof(sb->slot_wal_status));
	return WS_OK;
}

static struct ws_status_standby *
next_standby(struct ws_status_report *st)
{
	if (st->nstandbys >= WS_STATUS_MAX_STANDBYS) {
		st->standbys_truncated = true;
		return NULL;
	}
	return &st->standbys[st->nstandbys];
}

/* A physical slot no walsender uses: a known standby that is not there. */
static int
read_stopped_row(const struct ws_pg_result *res, int r, struct ws_status_standby *sb,
				 struct ws_error *err)
{
	ws_status_standby_init(sb);
	sb->stopped = true;
	get_text(res, r, 0, sb->slot, sizeof(sb->slot));
	ws_strlcpy(sb->name, sb->slot, sizeof(sb->name));
	ws_strlcpy(sb->state, "stopped", sizeof(sb->state));
	get_text(res, r, 2, sb->slot_wal_status, sizeof(sb->slot_wal_status));
	return get_lsn(res, r, 1, "restart_lsn", &sb->slot_restart_lsn, err);
}

/* Append a standby row of sql's result for each row, read by read_row. */
static int
read_rows(struct ws_pg_conn *conn, const char *sql,
		  int (*read_row)(const struct ws_pg_result *res, int r, struct ws_status_standby *sb,
						  struct ws_error *err),
		  struct ws_status_report *st, struct ws_error *err)
{
	struct ws_pg_result res;
	int rc;

	rc = ws_pg_query(conn, sql, 0, NULL, &res, err);
	if (rc != WS_OK)
		return rc;
	for (int r = 0; r < res.nrows && rc == WS_OK; r++) {
		struct ws_status_standby *sb = next_standby(st);

		if (sb == NULL)
			break;
		if ((rc = read_row(&res, r, sb, err)) == WS_OK)
			st->nstandbys++;
	}
	ws_pg_result_free(&res);
	return rc;
}

static int
read_archiver(struct ws_pg_conn *conn, struct ws_status_report *st, struct ws_error *err)
{
	struct ws_status_archive *a = &st->archive;
	struct ws_pg_result res;
	int rc;

	rc = ws_pg_query_row(conn, archiver_sql, 0, NULL, &res, err);
	if (rc != WS_OK)
		return rc;
	get_text(&res, 0, 0, a->last_archived_wal, sizeof(a->last_archived_wal));
	get_text(&res, 0, 1, a->last_archived_time, sizeof(a->last_archived_time));
	if ((rc = get_int(&res, 0, 2, "archive age", &a->last_archived_age_ms, err)) == WS_OK)
		rc = get_int(&res, 0, 3, "failed_count", &a->failed_count, err);
	get_text(&res, 0, 4, a->last_failed_wal, sizeof(a->last_failed_wal));
	get_text(&res, 0, 5, a->last_failed_time, sizeof(a->last_failed_time));
	ws_pg_result_free(&res);
	return rc;
}

int
ws_status_collect(struct ws_pg_conn *conn, enum ws_status_mode mode, struct ws_status_report *st,
				  struct ws_error *err)
{
	struct ws_pg_server_info info;
	int rc;

	ws_strlcpy(st->node.target, ws_pg_target(conn), sizeof(st->node.target));
	rc = ws_pg_server_info_read(conn, &info, err);
	if (rc != WS_OK)
		return rc;
	st->node.role = info.role;
	st->node.timeline = info.timeline;
	st->node.wal_segment_size = info.wal_segment_size;
	st->node.mode = mode;
	ws_strlcpy(st->node.synchronous_standby_names, info.synchronous_standby_names,
			   sizeof(st->node.synchronous_standby_names));
	st->node.sync = ws_status_sync_of(info.role, mode, info.synchronous_standby_names);
	ws_strlcpy(st->archive.archive_mode, info.archive_mode, sizeof(st->archive.archive_mode));
	st->archive.enabled = strcmp(info.archive_mode, "always") == 0 ||
		(info.role == WS_PG_PRIMARY && strcmp(info.archive_mode, "on") == 0);

	if ((rc = read_node(conn, &st->node, err)) != WS_OK ||
		(rc = read_rows(conn, replication_sql, read_standby_row, st, err)) != WS_OK ||
		(rc = read_rows(conn, stopped_slots_sql, read_stopped_row, st, err)) != WS_OK ||
		(rc = read_archiver(conn, st, err)) != WS_OK)
		return ws_error_prefix(err, "could not read the replication status of %s", st->node.target);
	st->node.up = true;
	ws_status_derive(st);
	return WS_OK;
}
