/*
 * check_render.c — `walship check` output as a table or JSON
 */
#include "status/check_render.h"

#include <inttypes.h>

#include "common/json.h"
#include "status/json_lsn.h"

#define LABEL_WIDTH 22

static void
row(FILE *out, const char *label, const char *value)
{
	fprintf(out, "%-*s %s\n", LABEL_WIDTH, label, value);
}

static void
row_lsn(FILE *out, const char *label, ws_lsn lsn)
{
	char text[WS_LSN_STRLEN];

	if (lsn == WS_LSN_INVALID) {
		row(out, label, "none");
		return;
	}
	ws_lsn_format(lsn, text);
	row(out, label, text);
}

static void
row_int(FILE *out, const char *label, int64_t value)
{
	fprintf(out, "%-*s %" PRId64 "\n", LABEL_WIDTH, label, value);
}

void
ws_check_render_table(const struct ws_check_view *view, FILE *out)
{
	const struct ws_pg_server_info *info = view->info;
	char text[64];

	snprintf(text, sizeof(text), "%s%s", view->target, view->tls ? " (TLS)" : "");
	row(out, "server", text);
	row(out, "role", ws_pg_role_name(info->role));
	snprintf(text, sizeof(text), "%" PRIu64, info->system_identifier);
	row(out, "system identifier", text);
	row_int(out, "timeline", info->timeline);
	row(out, "postgresql version", info->version);
	if (info->role == WS_PG_PRIMARY) {
		row_lsn(out, "insert LSN", info->insert_lsn);
		row_lsn(out, "flush LSN", info->flush_lsn);
	} else {
		row_lsn(out, "receive LSN", info->receive_lsn);
		row_lsn(out, "replay LSN", info->replay_lsn);
		row(out, "wal receiver", info->wal_receiver_status[0] ? info->wal_receiver_status : "not running");
	}
	row(out, "wal_level", info->wal_level);
	row(out, "archive_mode", info->archive_mode);
	row_int(out, "max_wal_senders", info->max_wal_senders);
	row_int(out, "max_replication_slots", info->max_replication_slots);
	snprintf(text, sizeof(text), "%" PRIu32 "MB", info->wal_segment_size / (1024 * 1024));
	row(out, "wal_segment_size", text);

	fprintf(out, "\nchecks:\n");
	for (int i = 0; i < view->report->count; i++) {
		const struct ws_check_item *item = &view->report->items[i];

		fprintf(out, "  %-8s %s: %s\n", ws_check_level_name(item->level), item->name, item->message);
	}
	fprintf(out, "result: %s\n", ws_check_level_name(ws_check_report_level(view->report)));
}

int
ws_check_render_json(const struct ws_check_view *view, struct ws_buf *out)
{
	const struct ws_pg_server_info *info = view->info;
	struct ws_json j;
	char sysid[32];

	/* a 64-bit identifier does not survive JSON numbers in most readers */
	snprintf(sysid, sizeof(sysid), "%" PRIu64, info->system_identifier);
	ws_json_init(&j, out);
	ws_json_object_begin(&j, NULL);
	ws_json_string(&j, "server", view->target);
	ws_json_bool(&j, "tls", view->tls);
	ws_json_string(&j, "role", ws_pg_role_name(info->role));
	ws_json_string(&j, "system_identifier", sysid);
	ws_json_int(&j, "timeline", info->timeline);
	ws_json_string(&j, "server_version", info->version);
	ws_json_int(&j, "server_version_num", info->version_num);
	ws_json_object_begin(&j, "lsn");
	if (info->role == WS_PG_PRIMARY) {
		ws_json_lsn(&j, "insert", info->insert_lsn);
		ws_json_lsn(&j, "flush", info->flush_lsn);
	} else {
		ws_json_lsn(&j, "receive", info->receive_lsn);
		ws_json_lsn(&j, "replay", info->replay_lsn);
	}
	ws_json_object_end(&j);
	if (info->role == WS_PG_STANDBY)
		ws_json_string(&j, "wal_receiver", info->wal_receiver_status[0] ? info->wal_receiver_status : NULL);
	ws_json_object_begin(&j, "settings");
	ws_json_string(&j, "wal_level", info->wal_level);
	ws_json_string(&j, "archive_mode", info->archive_mode);
	ws_json_string(&j, "archive_command", info->archive_command);
	ws_json_int(&j, "max_wal_senders", info->max_wal_senders);
	ws_json_int(&j, "max_replication_slots", info->max_replication_slots);
	ws_json_int(&j, "wal_segment_size", info->wal_segment_size);
	ws_json_bool(&j, "hot_standby", info->hot_standby);
	ws_json_bool(&j, "full_page_writes", info->full_page_writes);
	ws_json_bool(&j, "wal_log_hints", info->wal_log_hints);
	ws_json_bool(&j, "data_checksums", info->data_checksums);
	ws_json_string(&j, "synchronous_standby_names", info->synchronous_standby_names);
	ws_json_object_end(&j);
	ws_json_array_begin(&j, "checks");
	for (int i = 0; i < view->report->count; i++) {
		const struct ws_check_item *item = &view->report->items[i];

		ws_json_object_begin(&j, NULL);
		ws_json_string(&j, "name", item->name);
		ws_json_string(&j, "level", ws_check_level_name(item->level));
		ws_json_string(&j, "message", item->message);
		ws_json_object_end(&j);
	}
	ws_json_array_end(&j);
	ws_json_string(&j, "status", ws_check_level_name(ws_check_report_level(view->report)));
	ws_json_object_end(&j);
	if (j.status == WS_OK)
		j.status = ws_buf_append_str(out, "\n");
	return ws_json_finish(&j);
}
