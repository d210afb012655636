/*
 * settings.c — ALTER SYSTEM and current_setting (settings.h)
 */
#include "pg/settings.h"

#include <string.h>

#include "common/buf.h"
#include "common/str.h"
#include "pg/conn_int.h"

static int
run(struct ws_pg_conn *conn, const char *verb, const char *name, const char *literal,
	struct ws_error *err)
{
	struct ws_pg_result res;
	struct ws_buf sql;
	int rc;

	ws_buf_init(&sql, 8192);
	if (ws_buf_appendf(&sql, "%s %s = %s", verb, name, literal) != WS_OK) {
		ws_buf_free(&sql);
		return ws_error_set(err, WS_ERR_TOO_LARGE, "value of %s is too long", name);
	}
	rc = ws_pg_query(conn, ws_buf_str(&sql), 0, NULL, &res, err);
	ws_buf_free(&sql);
	if (rc != WS_OK)
		return ws_error_prefix(err, "could not set %s", name);
	ws_pg_result_free(&res);
	return WS_OK;
}

int
ws_pg_alter_system(struct ws_pg_conn *conn, const char *name, const char *value,
				   struct ws_error *err)
{
	PGconn *pg = ws_pg_conn_raw(conn);
	struct ws_pg_result res;
	char *literal;
	int rc = WS_OK;

	if (name[0] == '\0' || strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789_.") != strlen(name))
		return ws_error_set(err, WS_ERR_INVALID, "invalid setting name \"%s\"", name);
	if ((literal = PQescapeLiteral(pg, value, strlen(value))) == NULL)
		return ws_pg_conn_error(conn, WS_ERR_INVALID, "could not quote a setting's value", err);
	/*
	 * PostgreSQL 15's ALTER SYSTEM knows a custom setting (walship.*) only
	 * once the session has a placeholder for it: SET makes one.
	 */
	if (strchr(name, '.') != NULL)
		rc = run(conn, "SET", name, literal, err);
	if (rc == WS_OK)
		rc = run(conn, "ALTER SYSTEM SET", name, literal, err);
	PQfreemem(literal);
	if (rc == WS_OK)
		rc = ws_pg_query(conn, "SELECT pg_reload_conf()", 0, NULL, &res, err);
	if (rc == WS_OK)
		ws_pg_result_free(&res);
	return rc;
}

int
ws_pg_setting(struct ws_pg_conn *conn, const char *name, char *buf, size_t size,
			  struct ws_error *err)
{
	const char *params[1] = {name};
	struct ws_pg_result res;
	int rc;

	buf[0] = '\0';
	rc = ws_pg_query_row(conn, "SELECT coalesce(current_setting($1, true), '')", 1, params, &res, err);
	if (rc != WS_OK)
		return rc;
	ws_strlcpy(buf, ws_pg_value(&res, 0, 0) != NULL ? ws_pg_value(&res, 0, 0) : "", size);
	ws_pg_result_free(&res);
	return WS_OK;
}
