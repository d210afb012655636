/*
 * syncmgr.c — apply the replication mode on the primary (syncmgr.h)
 */
#include "repl/syncmgr.h"

#include <stdio.h>
#include <string.h>

#include "common/str.h"
#include "pg/settings.h"

#define COMPONENT "replication-mode"

void
ws_sync_manager_init(struct ws_sync_manager *m)
{
	memset(m, 0, sizeof(*m));
}

void
ws_sync_names_for(const char *standby, char *buf, size_t size)
{
	size_t o = 0;

	if (size < 3) {
		buf[0] = '\0';
		return;
	}
	buf[o++] = '"';
	for (const char *p = standby; *p != '\0' && o + 3 < size; p++) {
		if (*p == '"')
			buf[o++] = '"';
		buf[o++] = *p;
	}
	buf[o++] = '"';
	buf[o] = '\0';
}

/* The one standby a synchronous_standby_names of ours names, or "" if it is not ours. */
static void
names_holder(const char *names, char *holder, size_t size)
{
	size_t len = strlen(names);
	size_t o = 0;

	holder[0] = '\0';
	if (len < 3 || names[0] != '"' || names[len - 1] != '"')
		return;
	for (size_t i = 1; i + 1 < len && o + 1 < size; i++) {
		if (names[i] == '"') {
			if (names[i + 1] != '"' || i + 2 >= len)
				return;         /* a list, not one quoted name */
			i++;
		}
		holder[o++] = names[i];
	}
	holder[o] = '\0';
}

int
ws_replication_mode(struct ws_pg_conn *conn, const struct ws_config *cfg, char *mode, size_t size,
					struct ws_error *err)
{
	int rc = ws_pg_setting(conn, WS_MODE_SETTING, mode, size, err);

	if (rc == WS_OK && mode[0] == '\0')
		ws_strlcpy(mode, ws_config_str(cfg, WS_OPT_REPLICATION_MODE), size);
	return rc;
}

static int
set_names(struct ws_pg_conn *conn, struct ws_log *log, const char *names, const char *why,
		  struct ws_error *err)
{
	int rc = ws_pg_alter_system(conn, "synchronous_standby_names", names, err);

	if (rc == WS_OK)
		ws_log_info(log, COMPONENT, "synchronous_standby_names set to '%s': %s", names, why);
	return rc;
}

/* Is name in the comma-separated list (spaces around names ignored)? Empty: everyone is. */
static bool
is_candidate(const char *list, const char *name)
{
	size_t len = strlen(name);
	const char *p = list;

	if (list[0] == '\0')
		return true;
	while (*p != '\0') {
		const char *end = strchr(p, ',');
		size_t n;

		if (end == NULL)
			end = p + strlen(p);
		while (p < end && *p == ' ')
			p++;
		n = (size_t) (end - p);
		while (n > 0 && p[n - 1] == ' ')
			n--;
		if (n == len && strncmp(p, name, len) == 0)
			return true;
		p = *end == ',' ? end + 1 : end;
	}
	return false;
}

/* Observe the candidate standbys: application_name, state, flush position. */
static int
observe(struct ws_pg_conn *conn, const char *candidates, struct ws_sync_standby *s, int *n,
		ws_lsn *current, struct ws_error *err)
{
	struct ws_pg_result res;
	int rc;

	*n = 0;
	rc = ws_pg_query(conn,
					 "SELECT pg_current_wal_flush_lsn(), r.application_name, r.state, r.flush_lsn "
					 "FROM (SELECT 1) one LEFT JOIN pg_stat_replication r ON true", 0, NULL, &res, err);
	if (rc != WS_OK)
		return rc;
	for (int i = 0; i < res.nrows && rc == WS_OK; i++) {
		const char *name = ws_pg_value(&res, i, 1);
		const char *flush = ws_pg_value(&res, i, 3);

		if (i == 0)
			rc = ws_lsn_parse(ws_pg_value(&res, 0, 0), current, err);
		if (rc != WS_OK || name == NULL || name[0] == '\0' || *n == WS_SYNC_MAX_STANDBYS ||
			!is_candidate(candidates, name))
			continue;
		memset(&s[*n], 0, sizeof(s[0]));
		ws_strlcpy(s[*n].name, name, sizeof(s[0].name));
		s[*n].streaming = ws_pg_value(&res, i, 2) != NULL && strcmp(ws_pg_value(&res, i, 2), "streaming") == 0;
		if (flush != NULL)
			rc = ws_lsn_parse(flush, &s[*n].flush, err);
		(*n)++;
	}
	ws_pg_result_free(&res);
	return rc;
}

/*
 * Commits waiting for the old sync standby are released only when the new
 * one replies, and an idle standby replies only every
 * wal_receiver_status_interval (10 s by default). A WAL record makes every
 * standby flush something and reply at once.
 */
static int
nudge_standbys(struct ws_pg_conn *conn, struct ws_error *err)
{
	struct ws_pg_result res;
	int rc;

	rc = ws_pg_query(conn, "SELECT pg_logical_emit_message(false, 'walship', 'sync role moved')",
					 0, NULL, &res, err);
	if (rc == WS_OK)
		ws_pg_result_free(&res);
	return rc;
}

static int
semi_sync(struct ws_sync_manager *m, struct ws_pg_conn *conn, const struct ws_config *cfg,
		  struct ws_log *log, long now_ms, const char *names, struct ws_error *err)
{
	struct ws_sync_standby standbys[WS_SYNC_MAX_STANDBYS];
	struct ws_sync_observation o;
	char holder[WS_SYNC_NAME_MAX];
	char wanted[2 * WS_SYNC_NAME_MAX + 3];
	char why[256];
	int rc;

	if (!m->role_adopted) {
		ws_sync_role_init(&m->role, ws_config_int(cfg, WS_OPT_SYNC_TIMEOUT) * 1000L - 2 * WS_SYNCMGR_TICK_MS,
						  (uint64_t) ws_config_int(cfg, WS_OPT_SYNC_CATCHUP_BYTES));
		names_holder(names, holder, sizeof(holder));
		/* ours (one quoted name) or empty: carry on from it; anything else is replaced */
		if (holder[0] != '\0' || names[0] == '\0')
			ws_sync_role_adopt(&m->role, holder);
		m->role_adopted = true;
	}
	memset(&o, 0, sizeof(o));
	if ((rc = observe(conn, ws_config_str(cfg, WS_OPT_SYNC_CANDIDATES), standbys, &o.count,
					  &o.current, err)) != WS_OK)
		return rc;
	o.now_ms = now_ms;
	o.standbys = standbys;
	switch (ws_sync_role_tick(&m->role, &o, why, sizeof(why))) {
	case WS_SYNC_ASSIGNED:
		ws_sync_names_for(m->role.holder, wanted, sizeof(wanted));
		if ((rc = set_names(conn, log, wanted, why, err)) != WS_OK)
			return rc;
		return nudge_standbys(conn, err);
	case WS_SYNC_DEGRADED:
		ws_log_warn(log, COMPONENT, "semi-sync degraded to async: %s", why);
		return set_names(conn, log, "", why, err);
	case WS_SYNC_UNCHANGED:
		break;
	}
	/* someone changed it behind our back: put ours back */
	ws_sync_names_for(m->role.holder, wanted, sizeof(wanted));
	if (m->role.holder[0] == '\0')
		wanted[0] = '\0';
	if (strcmp(names, wanted) != 0)
		return set_names(conn, log, wanted, "restoring the semi-sync choice", err);
	return WS_OK;
}

int
ws_sync_manager_tick(struct ws_sync_manager *m, struct ws_pg_conn *conn, const struct ws_config *cfg,
					 struct ws_log *log, long now_ms, struct ws_error *err)
{
	struct ws_pg_result res;
	char names[1024];
	char mode[16];
	bool standby;
	int rc;

	rc = ws_pg_query_row(conn, "SELECT pg_is_in_recovery()::text, current_setting('synchronous_standby_names')",
						 0, NULL, &res, err);
	if (rc != WS_OK)
		return rc;
	standby = strcmp(ws_pg_value(&res, 0, 0), "true") == 0;
	ws_strlcpy(names, ws_pg_value(&res, 0, 1) != NULL ? ws_pg_value(&res, 0, 1) : "", sizeof(names));
	ws_pg_result_free(&res);
	if (standby)
		return WS_OK;
	if ((rc = ws_replication_mode(conn, cfg, mode, sizeof(mode), err)) != WS_OK)
		return rc;
	if (strcmp(mode, m->mode) != 0) {
		if (m->mode[0] != '\0')
			ws_log_info(log, COMPONENT, "replication mode changed from %s to %s", m->mode, mode);
		ws_strlcpy(m->mode, mode, sizeof(m->mode));
		m->role_adopted = false;
	}
	if (strcmp(mode, "semi-sync") == 0)
		return semi_sync(m, conn, cfg, log, now_ms, names, err);
	if (strcmp(mode, "sync") == 0) {
		const char *wanted = ws_config_str(cfg, WS_OPT_SYNC_STANDBY_NAMES);

		return strcmp(names, wanted) == 0 ? WS_OK : set_names(conn, log, wanted, "sync mode", err);
	}
	if (strcmp(mode, "async") == 0)
		return names[0] == '\0' ? WS_OK : set_names(conn, log, "", "async mode", err);
	return ws_error_set(err, WS_ERR_CONFIG, "unknown replication mode \"%s\" in %s: use async, sync or semi-sync",
						mode, WS_MODE_SETTING);
}
