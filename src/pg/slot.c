/*
 * slot.c — physical replication slots (see slot.h)
 */
#include "pg/slot.h"

#include <stdlib.h>
#include <string.h>

#include "common/str.h"
#include "pg/server.h"

/* The newest WAL a slot could need: what a primary wrote, what a standby has. */
#define CURRENT_LSN \
	"CASE WHEN pg_catalog.pg_is_in_recovery()" \
	" THEN greatest(pg_catalog.pg_last_wal_receive_lsn(), pg_catalog.pg_last_wal_replay_lsn())" \
	" ELSE pg_catalog.pg_current_wal_lsn() END"

static const char *const list_sql =
	"SELECT slot_name, slot_type, temporary, active, active_pid, restart_lsn,"
	" pg_catalog.pg_wal_lsn_diff(" CURRENT_LSN ", restart_lsn)::bigint,"
	" wal_status, safe_wal_size"
	" FROM pg_catalog.pg_replication_slots ORDER BY slot_name";

int
ws_pg_slot_name_check(const char *name, struct ws_error *err)
{
	char quoted[WS_STR_QUOTE_BUFLEN];
	size_t n = strlen(name);

	if (n == 0)
		return ws_error_set(err, WS_ERR_INVALID, "replication slot name must not be empty");
	if (n >= WS_PG_SLOT_NAME_MAX)
		return ws_error_set(err, WS_ERR_INVALID,
							"replication slot name \"%s\" is too long: at most %d characters",
							ws_str_quote(name, n, quoted, sizeof(quoted)), WS_PG_SLOT_NAME_MAX - 1);
	if (strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789_") != n)
		return ws_error_set(err, WS_ERR_INVALID,
							"invalid replication slot name \"%s\": use only lower-case letters, digits and underscores",
							ws_str_quote(name, n, quoted, sizeof(quoted)));
	return WS_OK;
}

static int
parse_int(const char *v, int64_t *out)
{
	*out = -1;
	if (v == NULL)
		return WS_OK;
	return ws_parse_int64(v, INT64_MIN, INT64_MAX, out);
}

static int
read_slot(const struct ws_pg_result *res, int r, struct ws_pg_slot *s, struct ws_error *err)
{
	const char *v;
	int64_t n;
	struct ws_error ignored;

	memset(s, 0, sizeof(*s));
	ws_strlcpy(s->name, ws_pg_value(res, r, 0) ? ws_pg_value(res, r, 0) : "", sizeof(s->name));
	ws_strlcpy(s->type, ws_pg_value(res, r, 1) ? ws_pg_value(res, r, 1) : "", sizeof(s->type));
	s->temporary = ws_pg_value(res, r, 2) != NULL && strcmp(ws_pg_value(res, r, 2), "t") == 0;
	s->active = ws_pg_value(res, r, 3) != NULL && strcmp(ws_pg_value(res, r, 3), "t") == 0;
	if (parse_int(ws_pg_value(res, r, 4), &n) != WS_OK)
		return ws_error_set(err, WS_ERR_PG, "server returned an invalid active_pid");
	s->active_pid = n > 0 && n <= INT32_MAX ? (int) n : 0;
	v = ws_pg_value(res, r, 5);
	s->restart_lsn = WS_LSN_INVALID;
	if (v != NULL && ws_lsn_parse(v, &s->restart_lsn, &ignored) != WS_OK)
		return ws_error_set(err, WS_ERR_PG, "server returned an invalid restart_lsn \"%s\"", v);
	if (parse_int(ws_pg_value(res, r, 6), &s->retained_bytes) != WS_OK)
		return ws_error_set(err, WS_ERR_PG, "server returned an invalid retained WAL size");
	if (s->retained_bytes < 0)
		s->retained_bytes = -1;
	ws_strlcpy(s->wal_status, ws_pg_value(res, r, 7) ? ws_pg_value(res, r, 7) : "", sizeof(s->wal_status));
	if (parse_int(ws_pg_value(res, r, 8), &s->safe_wal_size) != WS_OK)
		return ws_error_set(err, WS_ERR_PG, "server returned an invalid safe_wal_size");
	return WS_OK;
}

int
ws_pg_slot_list(struct ws_pg_conn *conn, struct ws_pg_slot_list *list, struct ws_error *err)
{
	struct ws_pg_result res;
	int rc;

	memset(list, 0, sizeof(*list));
	rc = ws_pg_query(conn, list_sql, 0, NULL, &res, err);
	if (rc != WS_OK)
		return ws_error_prefix(err, "could not list replication slots on %s", ws_pg_target(conn));
	list->slots = calloc((size_t) res.nrows + 1, sizeof(*list->slots));
	if (list->slots == NULL) {
		ws_pg_result_free(&res);
		return ws_error_set(err, WS_ERR_NOMEM, "out of memory");
	}
	for (int r = 0; r < res.nrows && rc == WS_OK; r++) {
		rc = read_slot(&res, r, &list->slots[r], err);
		if (rc == WS_OK)
			list->count++;
	}
	ws_pg_result_free(&res);
	if (rc != WS_OK)
		ws_pg_slot_list_free(list);
	return rc;
}

void
ws_pg_slot_list_free(struct ws_pg_slot_list *list)
{
	free(list->slots);
	memset(list, 0, sizeof(*list));
}

/* The slot named name, if any: active pid (0 if not active) and whether it exists. */
static int
find_slot(struct ws_pg_conn *conn, const char *name, bool *exists, int *active_pid,
		  struct ws_error *err)
{
	const char *params[] = {name};
	struct ws_pg_result res;
	int64_t pid;
	int rc;

	rc = ws_pg_query(conn, "SELECT coalesce(active_pid, 0) FROM pg_catalog.pg_replication_slots"
					 " WHERE slot_name = $1", 1, params, &res, err);
	if (rc != WS_OK)
		return rc;
	*exists = res.nrows > 0;
	*active_pid = 0;
	if (*exists && ws_pg_value(&res, 0, 0) != NULL &&
		ws_parse_int64(ws_pg_value(&res, 0, 0), 0, INT32_MAX, &pid) == WS_OK)
		*active_pid = (int) pid;
	ws_pg_result_free(&res);
	return WS_OK;
}

/* Slots in use against max_replication_slots. */
static int
slots_full(struct ws_pg_conn *conn, bool *full, int64_t *max, struct ws_error *err)
{
	struct ws_pg_result res;
	int64_t used = 0;
	int rc;

	rc = ws_pg_query_row(conn, "SELECT (SELECT count(*) FROM pg_catalog.pg_replication_slots),"
						 " pg_catalog.current_setting('max_replication_slots')", 0, NULL, &res, err);
	if (rc != WS_OK)
		return rc;
	*max = 0;
	if (ws_pg_value(&res, 0, 0) == NULL || ws_pg_value(&res, 0, 1) == NULL ||
		ws_parse_int64(ws_pg_value(&res, 0, 0), 0, INT64_MAX, &used) != WS_OK ||
		ws_parse_int64(ws_pg_value(&res, 0, 1), 0, INT64_MAX, max) != WS_OK)
		rc = ws_error_set(err, WS_ERR_PG, "server returned an invalid slot count");
	*full = used >= *max;
	ws_pg_result_free(&res);
	return rc;
}

int
ws_pg_slot_create(struct ws_pg_conn *conn, const char *name, struct ws_error *err)
{
	bool exists = false;
	bool full = false;
	int64_t max = 0;
	int pid;
	int rc;

	if ((rc = ws_pg_slot_name_check(name, err)) != WS_OK)
		return rc;
	if ((rc = find_slot(conn, name, &exists, &pid, err)) != WS_OK ||
		(rc = slots_full(conn, &full, &max, err)) != WS_OK)
		return ws_error_prefix(err, "could not create replication slot \"%s\" on %s", name,
							   ws_pg_target(conn));
	if (exists)
		return ws_error_set(err, WS_ERR_EXISTS, "replication slot \"%s\" already exists on %s",
							name, ws_pg_target(conn));
	if (full)
		return ws_error_set(err, WS_ERR_TOO_LARGE,
							"could not create replication slot \"%s\" on %s: all %lld replication slots (max_replication_slots) are in use; drop an unused one (walship slot list) or raise max_replication_slots",
							name, ws_pg_target(conn), (long long) max);
	return ws_pg_create_physical_slot(conn, name, err);
}

int
ws_pg_slot_drop(struct ws_pg_conn *conn, const char *name, struct ws_error *err)
{
	bool exists = false;
	int pid = 0;
	int rc;

	if ((rc = ws_pg_slot_name_check(name, err)) != WS_OK)
		return rc;
	if ((rc = find_slot(conn, name, &exists, &pid, err)) != WS_OK)
		return ws_error_prefix(err, "could not drop replication slot \"%s\" on %s", name,
							   ws_pg_target(conn));
	if (!exists)
		return ws_error_set(err, WS_ERR_NOT_FOUND, "replication slot \"%s\" does not exist on %s",
							name, ws_pg_target(conn));
	if (pid != 0)
		return ws_error_set(err, WS_ERR_PG,
							"replication slot \"%s\" on %s is active (walsender pid %d): stop the standby that uses it first",
							name, ws_pg_target(conn), pid);
	return ws_pg_drop_slot(conn, name, err);
}

int
ws_pg_max_slot_wal_keep_size(struct ws_pg_conn *conn, int64_t *bytes, struct ws_error *err)
{
	struct ws_pg_result res;
	const char *v;
	int64_t mb;
	int rc;

	/* the setting is in MB (pg_settings.unit); -1 means no limit */
	rc = ws_pg_query_row(conn, "SELECT setting FROM pg_catalog.pg_settings"
						 " WHERE name = 'max_slot_wal_keep_size'", 0, NULL, &res, err);
	if (rc != WS_OK)
		return ws_error_prefix(err, "could not read max_slot_wal_keep_size on %s", ws_pg_target(conn));
	v = ws_pg_value(&res, 0, 0);
	if (v == NULL || ws_parse_int64(v, -1, INT64_MAX / (1024 * 1024), &mb) != WS_OK)
		rc = ws_error_set(err, WS_ERR_PG, "server returned an invalid max_slot_wal_keep_size \"%s\"",
						  v != NULL ? v : "(null)");
	else
		*bytes = mb < 0 ? -1 : mb * 1024 * 1024;
	ws_pg_result_free(&res);
	return rc;
}
