/*
 * render_json.c — `walship status --json`
 *
 * Every field is always present, null when unknown (or not applicable to
 * the node's role); sizes are bytes and times seconds, as JSON numbers;
 * LSNs are "X/Y" strings as PostgreSQL writes them.
 */
#include "status/render.h"

#include "common/json.h"
#include "status/json_lsn.h"

/* WS_STATUS_UNKNOWN (any negative) is null */
static void
json_count(struct ws_json *j, const char *key, int64_t value)
{
	if (value < 0)
		ws_json_null(j, key);
	else
		ws_json_int(j, key, value);
}

static void
json_seconds(struct ws_json *j, const char *key, int64_t ms)
{
	if (ms < 0)
		ws_json_null(j, key);
	else
		ws_json_double(j, key, (double) ms / 1000.0);
}

/* "" is null */
static void
json_text(struct ws_json *j, const char *key, const char *value)
{
	ws_json_string(j, key, value[0] != '\0' ? value : NULL);
}

static void
json_node(struct ws_json *j, const struct ws_status_node *n)
{
	bool up = n->up;
	bool primary = up && n->role == WS_PG_PRIMARY;
	bool standby = up && n->role == WS_PG_STANDBY;

	ws_json_bool(j, "up", up);
	json_text(j, "node", n->target);
	ws_json_string(j, "error", up || n->error[0] == '\0' ? NULL : n->error);
	ws_json_string(j, "role", up ? ws_pg_role_name(n->role) : NULL);
	if (up)
		ws_json_int(j, "timeline", n->timeline);
	else
		ws_json_null(j, "timeline");
	ws_json_lsn(j, "current_lsn", primary ? n->current_lsn : WS_LSN_INVALID);
	ws_json_lsn(j, "insert_lsn", primary ? n->insert_lsn : WS_LSN_INVALID);
	ws_json_lsn(j, "receive_lsn", standby ? n->receive_lsn : WS_LSN_INVALID);
	ws_json_lsn(j, "replay_lsn", standby ? n->replay_lsn : WS_LSN_INVALID);
	json_count(j, "replay_lag_bytes", standby ? n->replay_lag_bytes : WS_STATUS_UNKNOWN);
	json_text(j, "last_replay_time", standby ? n->replay_timestamp : "");
	ws_json_string(j, "replication_mode", up ? ws_status_mode_name(n->mode) : NULL);
	ws_json_string(j, "synchronous_standby_names", up ? n->synchronous_standby_names : NULL);
	ws_json_string(j, "sync", up ? ws_status_sync_name(n->sync) : NULL);
}

static void
json_standby(struct ws_json *j, const struct ws_status_standby *sb)
{
	ws_json_object_begin(j, NULL);
	json_text(j, "name", sb->name);
	if (sb->pid > 0)
		ws_json_int(j, "pid", sb->pid);
	else
		ws_json_null(j, "pid");
	json_text(j, "host", sb->host);
	json_text(j, "state", sb->state);
	json_text(j, "sync_state", sb->sync_state);
	ws_json_lsn(j, "sent_lsn", sb->sent_lsn);
	ws_json_lsn(j, "write_lsn", sb->write_lsn);
	ws_json_lsn(j, "flush_lsn", sb->flush_lsn);
	ws_json_lsn(j, "replay_lsn", sb->replay_lsn);
	json_count(j, "write_lag_bytes", sb->write_lag_bytes);
	json_count(j, "flush_lag_bytes", sb->flush_lag_bytes);
	json_count(j, "replay_lag_bytes", sb->replay_lag_bytes);
	json_seconds(j, "write_lag_seconds", sb->write_lag_ms);
	json_seconds(j, "flush_lag_seconds", sb->flush_lag_ms);
	json_seconds(j, "replay_lag_seconds", sb->replay_lag_ms);
	json_text(j, "slot", sb->slot);
	ws_json_lsn(j, "slot_restart_lsn", sb->slot_restart_lsn);
	json_count(j, "slot_retained_bytes", sb->slot_retained_bytes);
	json_text(j, "slot_wal_status", sb->slot_wal_status);
	ws_json_object_end(j);
}

static void
json_archive(struct ws_json *j, const struct ws_status_report *st)
{
	const struct ws_status_archive *a = &st->archive;
	bool up = st->node.up;

	ws_json_object_begin(j, "archive");
	ws_json_bool(j, "enabled", up && a->enabled);
	json_text(j, "archive_mode", a->archive_mode);
	json_text(j, "last_archived_wal", a->last_archived_wal);
	json_text(j, "last_archived_time", a->last_archived_time);
	json_count(j, "failed_count", up ? a->failed_count : WS_STATUS_UNKNOWN);
	json_text(j, "last_failed_wal", a->last_failed_wal);
	json_text(j, "last_failed_time", a->last_failed_time);
	json_count(j, "lag_segments", up ? a->lag_segments : WS_STATUS_UNKNOWN);
	json_seconds(j, "lag_seconds", up ? a->lag_ms : WS_STATUS_UNKNOWN);
	ws_json_object_end(j);
}

int
ws_status_render_json(const struct ws_status_report *st, struct ws_buf *out)
{
	struct ws_json j;

	ws_json_init(&j, out);
	ws_json_object_begin(&j, NULL);
	json_node(&j, &st->node);
	ws_json_array_begin(&j, "standbys");
	for (int i = 0; st->node.up && i < st->nstandbys; i++)
		json_standby(&j, &st->standbys[i]);
	ws_json_array_end(&j);
	ws_json_bool(&j, "standbys_truncated", st->standbys_truncated);
	json_archive(&j, st);
	ws_json_object_begin(&j, "health");
	ws_json_string(&j, "status", ws_health_name(st->health.level));
	ws_json_int(&j, "code", st->health.level);
	ws_json_array_begin(&j, "problems");
	for (int i = 0; i < st->health.count; i++) {
		ws_json_object_begin(&j, NULL);
		ws_json_string(&j, "level", ws_health_name(st->health.items[i].level));
		ws_json_string(&j, "message", st->health.items[i].message);
		ws_json_object_end(&j);
	}
	ws_json_array_end(&j);
	ws_json_object_end(&j);
	ws_json_object_end(&j);
	if (j.status == WS_OK)
		j.status = ws_buf_append_str(out, "\n");
	return ws_json_finish(&j);
}
