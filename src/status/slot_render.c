/*
 * slot_render.c — `walship slot list` output (see slot_render.h)
 */
#include "status/slot_render.h"

#include <inttypes.h>
#include <string.h>

#include "common/json.h"
#include "status/status.h"
#include "status/text_table.h"

#define NCOLS 7
#define CELL_MAX WS_TABLE_CELL_MAX

static const char *const headers[NCOLS] = {
	"name", "type", "active", "restart LSN", "retained", "wal_status", "safe_wal_size"
};

static void
cells_of(const void *rows, int row, char cells[][CELL_MAX])
{
	const struct ws_pg_slot *s = (const struct ws_pg_slot *) rows + row;
	char lsn[WS_LSN_STRLEN];

	snprintf(cells[0], CELL_MAX, "%s", s->name);
	snprintf(cells[1], CELL_MAX, "%s%s", s->type, s->temporary ? " (temporary)" : "");
	if (s->active)
		snprintf(cells[2], CELL_MAX, "yes (pid %d)", s->active_pid);
	else
		snprintf(cells[2], CELL_MAX, "no");
	ws_lsn_format(s->restart_lsn, lsn);
	snprintf(cells[3], CELL_MAX, "%s", s->restart_lsn == WS_LSN_INVALID ? "-" : lsn);
	ws_status_format_bytes(s->retained_bytes, cells[4], CELL_MAX);
	snprintf(cells[5], CELL_MAX, "%s", s->wal_status[0] ? s->wal_status : "-");
	ws_status_format_bytes(s->safe_wal_size, cells[6], CELL_MAX);
}

void
ws_slot_render_table(const struct ws_pg_slot_list *list, FILE *out)
{
	if (list->count == 0) {
		fprintf(out, "no replication slots\n");
		return;
	}
	ws_table_print(out, NCOLS, headers, list->count, cells_of, list->slots);
}

int
ws_slot_render_json(const struct ws_pg_slot_list *list, struct ws_buf *out)
{
	char lsn[WS_LSN_STRLEN];
	struct ws_json j;

	ws_json_init(&j, out);
	ws_json_object_begin(&j, NULL);
	ws_json_array_begin(&j, "slots");
	for (int i = 0; i < list->count; i++) {
		const struct ws_pg_slot *s = &list->slots[i];

		ws_json_object_begin(&j, NULL);
		ws_json_string(&j, "name", s->name);
		ws_json_string(&j, "type", s->type);
		ws_json_bool(&j, "temporary", s->temporary);
		ws_json_bool(&j, "active", s->active);
		if (s->active_pid > 0)
			ws_json_int(&j, "active_pid", s->active_pid);
		else
			ws_json_null(&j, "active_pid");
		ws_lsn_format(s->restart_lsn, lsn);
		ws_json_string(&j, "restart_lsn", s->restart_lsn == WS_LSN_INVALID ? NULL : lsn);
		if (s->retained_bytes >= 0)
			ws_json_int(&j, "retained_bytes", s->retained_bytes);
		else
			ws_json_null(&j, "retained_bytes");
		ws_json_string(&j, "wal_status", s->wal_status[0] ? s->wal_status : NULL);
		if (s->safe_wal_size >= 0)
			ws_json_int(&j, "safe_wal_size", s->safe_wal_size);
		else
			ws_json_null(&j, "safe_wal_size");
		ws_json_object_end(&j);
	}
	ws_json_array_end(&j);
	ws_json_object_end(&j);
	if (j.status == WS_OK)
		j.status = ws_buf_append_str(out, "\n");
	return ws_json_finish(&j);
}
