/*
 * server.c — read a server's role, identity, WAL positions and settings
 */
#include "pg/server.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "common/str.h"

/*
 * One round trip for everything that does not depend on the role. Without
 * pg_read_all_settings, pg_settings hides primary_conninfo (NULL here), and
 * without pg_read_all_stats the WAL receiver's status is hidden: both are
 * reported as unknown rather than failing the whole query.
 */
static const char *const identity_sql =
	"SELECT pg_catalog.pg_is_in_recovery(),"
	" pg_catalog.current_setting('server_version_num'),"
	" pg_catalog.current_setting('server_version'),"
	" (SELECT system_identifier FROM pg_catalog.pg_control_system()),"
	" (SELECT setting FROM pg_catalog.pg_settings WHERE name = 'wal_segment_size'),"
	" pg_catalog.current_setting('wal_level'),"
	" pg_catalog.current_setting('archive_mode'),"
	" pg_catalog.current_setting('archive_command'),"
	" pg_catalog.current_setting('max_wal_senders'),"
	" pg_catalog.current_setting('max_replication_slots'),"
	" pg_catalog.current_setting('hot_standby'),"
	" pg_catalog.current_setting('full_page_writes'),"
	" pg_catalog.current_setting('wal_log_hints'),"
	" pg_catalog.current_setting('data_checksums'),"
	" pg_catalog.current_setting('synchronous_standby_names'),"
	" (SELECT setting <> '' FROM pg_catalog.pg_settings WHERE name = 'primary_conninfo'),"
	" pg_catalog.pg_has_role('pg_read_all_stats', 'USAGE')";

/*
 * On a primary the timeline is the one the current WAL file is written on.
 * pg_walfile_name() is refused during recovery, so a standby reports the
 * timeline its WAL receiver is on, or else that of its last restartpoint.
 */
static const char *const primary_sql =
	"SELECT pg_catalog.pg_current_wal_insert_lsn(),"
	" pg_catalog.pg_current_wal_flush_lsn(),"
	" substr(pg_catalog.pg_walfile_name(pg_catalog.pg_current_wal_lsn()), 1, 8)";

static const char *const standby_sql =
	"SELECT pg_catalog.pg_last_wal_receive_lsn(),"
	" pg_catalog.pg_last_wal_replay_lsn(),"
	" coalesce((SELECT received_tli FROM pg_catalog.pg_stat_wal_receiver),"
	"          (SELECT timeline_id FROM pg_catalog.pg_control_checkpoint())),"
	" coalesce((SELECT status FROM pg_catalog.pg_stat_wal_receiver), '')";

const char *
ws_pg_role_name(enum ws_pg_role role)
{
	return role == WS_PG_PRIMARY ? "primary" : "standby";
}

static int
bad_value(const char *what, const char *value, struct ws_error *err)
{
	return ws_error_set(err, WS_ERR_PG, "server returned an invalid %s: \"%s\"",
						what, value != NULL ? value : "(null)");
}

static int
get_int(const struct ws_pg_result *res, int col, const char *what, int64_t min,
		int64_t max, int64_t *out, struct ws_error *err)
{
	const char *v = ws_pg_value(res, 0, col);

	if (v == NULL || ws_parse_int64(v, min, max, out) != WS_OK)
		return bad_value(what, v, err);
	return WS_OK;
}

static int
get_text(const struct ws_pg_result *res, int col, char *buf, size_t size)
{
	const char *v = ws_pg_value(res, 0, col);

	ws_strlcpy(buf, v != NULL ? v : "", size);
	return WS_OK;
}

static bool
get_bool(const struct ws_pg_result *res, int col)
{
	const char *v = ws_pg_value(res, 0, col);

	/* boolean columns come back as "t", settings as "on" */
	return v != NULL && (strcmp(v, "t") == 0 || strcmp(v, "on") == 0);
}

/* NULL (nothing received yet) is a valid answer and reads as invalid LSN. */
static int
get_lsn(const struct ws_pg_result *res, int col, const char *what, ws_lsn *out,
		struct ws_error *err)
{
	const char *v = ws_pg_value(res, 0, col);
	struct ws_error ignored;

	*out = WS_LSN_INVALID;
	if (v == NULL)
		return WS_OK;
	if (ws_lsn_parse(v, out, &ignored) != WS_OK)
		return bad_value(what, v, err);
	return WS_OK;
}

static int
read_identity(struct ws_pg_conn *conn, struct ws_pg_server_info *info, struct ws_error *err)
{
	struct ws_pg_result res;
	int64_t n;
	uint64_t sysid;
	int rc;

	rc = ws_pg_query_row(conn, identity_sql, 0, NULL, &res, err);
	if (rc != WS_OK)
		return rc;
	info->role = get_bool(&res, 0) ? WS_PG_STANDBY : WS_PG_PRIMARY;
	if ((rc = get_int(&res, 1, "server_version_num", 0, INT32_MAX, &n, err)) != WS_OK)
		goto cleanup;
	info->version_num = (int) n;
	get_text(&res, 2, info->version, sizeof(info->version));
	/* "15.18 (Debian 15.18-0+deb12u1)": keep the number */
	info->version[strcspn(info->version, " ")] = '\0';
	if (ws_pg_value(&res, 0, 3) == NULL || ws_parse_uint64(ws_pg_value(&res, 0, 3), &sysid) != WS_OK) {
		rc = bad_value("system identifier", ws_pg_value(&res, 0, 3), err);
		goto cleanup;
	}
	info->system_identifier = sysid;
	if ((rc = get_int(&res, 4, "wal_segment_size", 1, INT32_MAX, &n, err)) != WS_OK)
		goto cleanup;
	info->wal_segment_size = (uint32_t) n;
	get_text(&res, 5, info->wal_level, sizeof(info->wal_level));
	get_text(&res, 6, info->archive_mode, sizeof(info->archive_mode));
	get_text(&res, 7, info->archive_command, sizeof(info->archive_command));
	if ((rc = get_int(&res, 8, "max_wal_senders", 0, INT32_MAX, &n, err)) != WS_OK)
		goto cleanup;
	info->max_wal_senders = (int) n;
	if ((rc = get_int(&res, 9, "max_replication_slots", 0, INT32_MAX, &n, err)) != WS_OK)
		goto cleanup;
	info->max_replication_slots = (int) n;
	info->hot_standby = get_bool(&res, 10);
	info->full_page_writes = get_bool(&res, 11);
	info->wal_log_hints = get_bool(&res, 12);
	info->data_checksums = get_bool(&res, 13);
	get_text(&res, 14, info->synchronous_standby_names, sizeof(info->synchronous_standby_names));
	info->primary_conninfo_known = ws_pg_value(&res, 0, 15) != NULL;
	info->primary_conninfo_set = get_bool(&res, 15);
	info->can_read_stats = get_bool(&res, 16);

cleanup:
	ws_pg_result_free(&res);
	return rc;
}

static int
parse_hex_tli(const char *v, uint32_t *out)
{
	char *end;
	unsigned long tli;

	if (v == NULL || v[0] == '\0')
		return WS_ERR_INVALID;
	tli = strtoul(v, &end, 16);
	if (*end != '\0' || tli == 0 || tli > UINT32_MAX)
		return WS_ERR_INVALID;
	*out = (uint32_t) tli;
	return WS_OK;
}

static int
read_positions(struct ws_pg_conn *conn, struct ws_pg_server_info *info, struct ws_error *err)
{
	bool primary = info->role == WS_PG_PRIMARY;
	struct ws_pg_result res;
	int64_t tli;
	int rc;

	rc = ws_pg_query_row(conn, primary ? primary_sql : standby_sql, 0, NULL, &res, err);
	if (rc != WS_OK)
		return rc;
	if (primary) {
		if ((rc = get_lsn(&res, 0, "insert LSN", &info->insert_lsn, err)) != WS_OK ||
			(rc = get_lsn(&res, 1, "flush LSN", &info->flush_lsn, err)) != WS_OK)
			goto cleanup;
		if (parse_hex_tli(ws_pg_value(&res, 0, 2), &info->timeline) != WS_OK)
			rc = bad_value("timeline", ws_pg_value(&res, 0, 2), err);
	} else {
		if ((rc = get_lsn(&res, 0, "receive LSN", &info->receive_lsn, err)) != WS_OK ||
			(rc = get_lsn(&res, 1, "replay LSN", &info->replay_lsn, err)) != WS_OK ||
			(rc = get_int(&res, 2, "timeline", 1, UINT32_MAX, &tli, err)) != WS_OK)
			goto cleanup;
		info->timeline = (uint32_t) tli;
		get_text(&res, 3, info->wal_receiver_status, sizeof(info->wal_receiver_status));
	}

cleanup:
	ws_pg_result_free(&res);
	return rc;
}

int
ws_pg_server_info_read(struct ws_pg_conn *conn, struct ws_pg_server_info *info,
					   struct ws_error *err)
{
	int rc;

	memset(info, 0, sizeof(*info));
	rc = read_identity(conn, info, err);
	if (rc == WS_OK)
		rc = read_positions(conn, info, err);
	if (rc != WS_OK)
		return ws_error_prefix(err, "could not read server state from %s", ws_pg_target(conn));
	return WS_OK;
}

int
ws_pg_require_role(struct ws_pg_conn *conn, const struct ws_pg_server_info *info,
				   enum ws_pg_role wanted, const char *what, struct ws_error *err)
{
	if (info->role == wanted)
		return WS_OK;
	return ws_error_set(err, WS_ERR_ROLE, "server at %s is a %s, but %s needs a %s",
						ws_pg_target(conn), ws_pg_role_name(info->role), what,
						ws_pg_role_name(wanted));
}

int
ws_pg_current_insert_lsn(struct ws_pg_conn *conn, ws_lsn *out, struct ws_error *err)
{
	struct ws_pg_result res;
	const char *v;
	int rc;

	rc = ws_pg_query_row(conn,
						 "SELECT pg_catalog.pg_is_in_recovery(),"
						 " CASE WHEN pg_catalog.pg_is_in_recovery() THEN NULL"
						 " ELSE pg_catalog.pg_current_wal_insert_lsn() END",
						 0, NULL, &res, err);
	if (rc != WS_OK)
		return rc;
	if (get_bool(&res, 0)) {
		rc = ws_error_set(err, WS_ERR_ROLE,
						  "server at %s is a standby, but the current WAL insert position exists only on a primary",
						  ws_pg_target(conn));
		goto cleanup;
	}
	v = ws_pg_value(&res, 0, 1);
	rc = get_lsn(&res, 1, "insert LSN", out, err);
	if (rc == WS_OK && v == NULL)
		rc = bad_value("insert LSN", v, err);

cleanup:
	ws_pg_result_free(&res);
	return rc;
}

int
ws_pg_switch_wal(struct ws_pg_conn *conn, char name[25], struct ws_error *err)
{
	struct ws_pg_result res;
	const char *v;
	int rc;

	/*
	 * Without WAL since the last switch, pg_switch_wal() returns the start of
	 * the current file and pg_walfile_name() rounds that down to the previous
	 * one: either way the answer is the newest complete segment.
	 */
	rc = ws_pg_query_row(conn, "SELECT pg_catalog.pg_walfile_name(pg_catalog.pg_switch_wal())",
						 0, NULL, &res, err);
	if (rc != WS_OK)
		return ws_error_prefix(err, "could not switch WAL on %s", ws_pg_target(conn));
	v = ws_pg_value(&res, 0, 0);
	if (v == NULL || strlen(v) != 24)
		rc = bad_value("WAL file name", v, err);
	else
		memcpy(name, v, 25);
	ws_pg_result_free(&res);
	return rc;
}

int
ws_pg_archiver_status(struct ws_pg_conn *conn, struct ws_pg_archiver_status *st,
					  struct ws_error *err)
{
	struct ws_pg_result res;
	int64_t n;
	int rc;

	memset(st, 0, sizeof(*st));
	rc = ws_pg_query_row(conn,
						 "SELECT archived_count, failed_count, coalesce(last_archived_wal, ''),"
						 " coalesce(last_failed_wal, '') FROM pg_catalog.pg_stat_archiver",
						 0, NULL, &res, err);
	if (rc != WS_OK)
		return rc;
	if ((rc = get_int(&res, 0, "archived_count", 0, INT64_MAX, &n, err)) == WS_OK) {
		st->archived_count = n;
		rc = get_int(&res, 1, "failed_count", 0, INT64_MAX, &n, err);
		st->failed_count = n;
	}
	get_text(&res, 2, st->last_archived_wal, sizeof(st->last_archived_wal));
	get_text(&res, 3, st->last_failed_wal, sizeof(st->last_failed_wal));
	ws_pg_result_free(&res);
	return rc;
}

int
ws_pg_ensure_physical_slot(struct ws_pg_conn *conn, const char *name, bool *created,
						   struct ws_error *err)
{
	const char *params[] = {name};
	struct ws_pg_result res;
	int rc;

	*created = false;
	rc = ws_pg_query(conn, "SELECT slot_type FROM pg_catalog.pg_replication_slots WHERE slot_name = $1",
					 1, params, &res, err);
	if (rc != WS_OK)
		return rc;
	if (res.nrows == 1) {
		const char *type = ws_pg_value(&res, 0, 0);

		rc = type != NULL && strcmp(type, "physical") == 0 ? WS_OK
			: ws_error_set(err, WS_ERR_INVALID, "replication slot \"%s\" exists and is not physical",
						   name);
		ws_pg_result_free(&res);
		return rc;
	}
	ws_pg_result_free(&res);
	if ((rc = ws_pg_create_physical_slot(conn, name, err)) == WS_OK)
		*created = true;
	return rc;
}

int
ws_pg_create_physical_slot(struct ws_pg_conn *conn, const char *name, struct ws_error *err)
{
	const char *params[] = {name};
	struct ws_pg_result res;
	int rc;

	/* reserve WAL now: the standby must find everything after its backup */
	rc = ws_pg_query(conn, "SELECT pg_catalog.pg_create_physical_replication_slot($1, true)",
					 1, params, &res, err);
	if (rc != WS_OK)
		return ws_error_prefix(err, "could not create replication slot \"%s\" on %s", name,
							   ws_pg_target(conn));
	ws_pg_result_free(&res);
	return WS_OK;
}

int
ws_pg_drop_slot(struct ws_pg_conn *conn, const char *name, struct ws_error *err)
{
	const char *params[] = {name};
	struct ws_pg_result res;
	int rc;

	rc = ws_pg_query(conn, "SELECT pg_catalog.pg_drop_replication_slot($1)", 1, params, &res, err);
	if (rc != WS_OK)
		return ws_error_prefix(err, "could not drop replication slot \"%s\" on %s", name,
							   ws_pg_target(conn));
	ws_pg_result_free(&res);
	return WS_OK;
}
