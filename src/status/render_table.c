/*
 * render_table.c — `walship status` as a table, in the manner of
 * `repmgr cluster show` and `patronictl list`
 *
 *     node          127.0.0.1:5432
 *     role          primary
 *     ...
 *
 *      name    | host      | state     | sync  | flush LSN | replay LSN | lag  | replay lag | slot | retained
 *     ---------+-----------+-----------+-------+-----------+------------+------+------------+------+---------
 *      standby | 127.0.0.1 | streaming | async | 0/3000148 | 0/3000148  | 0 B  | -          | s1   | 16.0 MB
 *
 *     archive       on: last 000000010000000000000002 at ..., 0 segments behind, 0 failures
 *     health        ok
 */
#include "status/render.h"

#include <inttypes.h>
#include <string.h>

#include "status/text_table.h"

#define LABEL_WIDTH 13
#define NCOLS 10
#define CELL_MAX WS_TABLE_CELL_MAX

static const char *const headers[NCOLS] = {
	"name", "host", "state", "sync", "flush LSN", "replay LSN", "lag", "replay lag", "slot", "retained"
};

static void
row(FILE *out, const char *label, const char *value)
{
	fprintf(out, "%-*s %s\n", LABEL_WIDTH, label, value);
}

static void
lsn_text(ws_lsn lsn, char *buf, size_t size)
{
	char text[WS_LSN_STRLEN];

	if (lsn == WS_LSN_INVALID) {
		snprintf(buf, size, "-");
		return;
	}
	ws_lsn_format(lsn, text);
	snprintf(buf, size, "%s", text);
}

static void
row_lsn(FILE *out, const char *label, ws_lsn lsn)
{
	char text[WS_LSN_STRLEN];

	lsn_text(lsn, text, sizeof(text));
	row(out, label, lsn == WS_LSN_INVALID ? "none" : text);
}

static void
seconds_text(int64_t ms, char *buf, size_t size)
{
	if (ms < 0)
		snprintf(buf, size, "-");
	else
		snprintf(buf, size, "%.1f s", (double) ms / 1000.0);
}

static void
text_or_dash(const char *s, char *buf, size_t size)
{
	snprintf(buf, size, "%s", s[0] != '\0' ? s : "-");
}

static void
node_block(const struct ws_status_report *st, FILE *out)
{
	const struct ws_status_node *n = &st->node;
	const char *sync = ws_status_sync_name(n->sync);
	char text[WS_PG_SETTING_MAX + 600];

	row(out, "node", n->target[0] ? n->target : "-");
	if (!n->up) {
		snprintf(text, sizeof(text), "unreachable: %s", n->error[0] ? n->error : "no answer");
		row(out, "state", text);
		return;
	}
	row(out, "role", ws_pg_role_name(n->role));
	snprintf(text, sizeof(text), "%" PRIu32, n->timeline);
	row(out, "timeline", text);
	if (n->role == WS_PG_PRIMARY) {
		row_lsn(out, "WAL LSN", n->current_lsn);
	} else {
		row_lsn(out, "receive LSN", n->receive_lsn);
		row_lsn(out, "replay LSN", n->replay_lsn);
		ws_status_format_bytes(n->replay_lag_bytes, text, sizeof(text));
		row(out, "replay lag", text);
		row(out, "last replay", n->replay_timestamp[0] ? n->replay_timestamp : "none");
	}
	row(out, "mode", ws_status_mode_name(n->mode));
	if (sync != NULL) {
		snprintf(text, sizeof(text), "%s (synchronous_standby_names '%s')", sync,
				 n->synchronous_standby_names);
		row(out, "sync", text);
	}
}

static void
standby_cells(const void *rows, int row, char cells[][CELL_MAX])
{
	const struct ws_status_standby *sb = (const struct ws_status_standby *) rows + row;

	text_or_dash(sb->name, cells[0], CELL_MAX);
	text_or_dash(sb->stopped ? "" : sb->host[0] ? sb->host : "local", cells[1], CELL_MAX);
	text_or_dash(sb->state, cells[2], CELL_MAX);
	text_or_dash(sb->sync_state, cells[3], CELL_MAX);
	lsn_text(sb->flush_lsn, cells[4], CELL_MAX);
	lsn_text(sb->replay_lsn, cells[5], CELL_MAX);
	ws_status_format_bytes(sb->replay_lag_bytes, cells[6], CELL_MAX);
	seconds_text(sb->replay_lag_ms, cells[7], CELL_MAX);
	text_or_dash(sb->slot, cells[8], CELL_MAX);
	ws_status_format_bytes(sb->slot_retained_bytes, cells[9], CELL_MAX);
}

static void
standby_table(const struct ws_status_report *st, FILE *out)
{
	fputc('\n', out);
	if (st->nstandbys == 0) {
		fprintf(out, "no standbys connected and no unused physical replication slots\n\n");
		return;
	}
	ws_table_print(out, NCOLS, headers, st->nstandbys, standby_cells, st->standbys);
	if (st->standbys_truncated)
		fprintf(out, "(only the first %d are shown)\n", WS_STATUS_MAX_STANDBYS);
	fputc('\n', out);
}

static void
archive_line(const struct ws_status_archive *a, FILE *out)
{
	char text[512];
	char lag[64];
	char secs[32];

	if (!a->enabled) {
		snprintf(text, sizeof(text), "off (archive_mode %s)", a->archive_mode[0] ? a->archive_mode : "off");
		row(out, "archive", text);
		return;
	}
	if (a->lag_segments < 0)
		snprintf(lag, sizeof(lag), "lag unknown");
	else {
		if (a->lag_ms < 0)
			snprintf(secs, sizeof(secs), "time unknown");
		else
			snprintf(secs, sizeof(secs), "%.0f s", (double) a->lag_ms / 1000.0);
		snprintf(lag, sizeof(lag), "%" PRId64 " segment%s behind (%s)", a->lag_segments,
				 a->lag_segments == 1 ? "" : "s", secs);
	}
	snprintf(text, sizeof(text), "%s: last %s%s%s, %s, %" PRId64 " failure%s%s%s",
			 a->archive_mode,
			 a->last_archived_wal[0] ? a->last_archived_wal : "none",
			 a->last_archived_time[0] ? " at " : "", a->last_archived_time,
			 lag, a->failed_count < 0 ? 0 : a->failed_count, a->failed_count == 1 ? "" : "s",
			 a->last_failed_wal[0] ? ", last failed " : "", a->last_failed_wal);
	row(out, "archive", text);
}

void
ws_status_render_table(const struct ws_status_report *st, FILE *out)
{
	node_block(st, out);
	if (st->node.up) {
		standby_table(st, out);
		archive_line(&st->archive, out);
	}
	row(out, "health", ws_health_name(st->health.level));
	for (int i = 0; i < st->health.count; i++)
		fprintf(out, "  %-8s %s\n", ws_health_name(st->health.items[i].level),
				st->health.items[i].message);
}
