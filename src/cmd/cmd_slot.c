/*
 * cmd_slot.c — walship slot create NAME | drop NAME | list
 *
 * Physical replication slots by SQL. A slot keeps WAL for a standby that
 * is gone until someone drops it, so with max-slot-wal-keep set, create
 * and list warn when the server's max_slot_wal_keep_size would let a dead
 * slot fill pg_wal (walship never changes that setting itself).
 */
#include "cmd/command.h"
#include "cmd/exit_codes.h"
#include "common/buf.h"
#include "config/size.h"
#include "pg/conn.h"
#include "pg/slot.h"
#include "status/slot_render.h"

#include <inttypes.h>
#include <string.h>

#define WS_SLOT_JSON_MAX (4 * 1024 * 1024)
#define MB (INT64_C(1024) * 1024)

static const struct ws_cmd_option slot_options[] = {
	{"json", NULL, "slot list: print one JSON object instead of a table"},
	{NULL, NULL, NULL}
};

/*
 * max_slot_wal_keep_size against max-slot-wal-keep: a WARN line with the
 * ALTER SYSTEM command when the server lets a slot keep more.
 */
static void
check_wal_keep(struct ws_cmd_ctx *ctx, struct ws_pg_conn *conn)
{
	int64_t keep = ws_config_int(ctx->cfg, WS_OPT_MAX_SLOT_WAL_KEEP);
	int64_t server = 0;
	int64_t suggest_mb;
	char keep_text[WS_SIZE_STRLEN];
	char server_text[WS_SIZE_STRLEN + 16];
	struct ws_error err;

	if (keep <= 0)
		return;
	if (ws_pg_max_slot_wal_keep_size(conn, &server, &err) != WS_OK) {
		ws_log_warn(ctx->log, "slot", "could not check max_slot_wal_keep_size against max-slot-wal-keep: %s",
					err.message);
		return;
	}
	if (server >= 0 && server <= keep)
		return;
	ws_size_format(keep, keep_text, sizeof(keep_text));
	if (server < 0)
		snprintf(server_text, sizeof(server_text), "-1 (unlimited)");
	else
		ws_size_format(server, server_text, sizeof(server_text));
	/* the setting is in MB: round down, so it stays within max-slot-wal-keep */
	suggest_mb = keep / MB > 0 ? keep / MB : 1;
	ws_log_warn(ctx->log, "slot",
				"max_slot_wal_keep_size is %s on %s, more than max-slot-wal-keep %s: a slot whose standby is gone could fill pg_wal and stop the server; to cap it run: ALTER SYSTEM SET max_slot_wal_keep_size = '%" PRId64 "MB'; SELECT pg_reload_conf();",
				server_text, ws_pg_target(conn), keep_text, suggest_mb);
}

static int
list_slots(struct ws_cmd_ctx *ctx, struct ws_pg_conn *conn)
{
	struct ws_pg_slot_list list;
	struct ws_buf json;
	int rc;

	rc = ws_pg_slot_list(conn, &list, &ctx->err);
	if (rc != WS_OK)
		return rc;
	if (!ws_cmd_flag(ctx, "json")) {
		ws_slot_render_table(&list, ctx->out);
	} else {
		ws_buf_init(&json, WS_SLOT_JSON_MAX);
		rc = ws_slot_render_json(&list, &json);
		if (rc == WS_OK)
			fputs(ws_buf_str(&json), ctx->out);
		else
			ws_error_set(&ctx->err, rc, "could not format the slot list as JSON");
		ws_buf_free(&json);
	}
	ws_pg_slot_list_free(&list);
	return rc;
}

static int
run_slot(struct ws_cmd_ctx *ctx)
{
	const char *action = ctx->argv[0];
	const char *name = ctx->argc > 1 ? ctx->argv[1] : NULL;
	bool list = strcmp(action, "list") == 0;
	struct ws_pg_conn *conn = NULL;
	int rc;

	if (!list && strcmp(action, "create") != 0 && strcmp(action, "drop") != 0) {
		ws_error_set(&ctx->err, WS_ERR_INVALID,
					 "unknown slot action \"%s\": expected create NAME, drop NAME or list", action);
		return WS_EXIT_USAGE;
	}
	if (list != (name == NULL)) {
		ws_error_set(&ctx->err, WS_ERR_INVALID, list ? "slot list takes no slot name"
					 : "slot %s needs a slot name", action);
		return WS_EXIT_USAGE;
	}
	if (!list && ws_pg_slot_name_check(name, &ctx->err) != WS_OK)
		return WS_EXIT_USAGE;
	if (!list && ws_cmd_flag(ctx, "json")) {
		ws_error_set(&ctx->err, WS_ERR_INVALID, "--json applies to slot list only");
		return WS_EXIT_USAGE;
	}

	rc = ws_cmd_connect(ctx, &conn, &ctx->err);
	if (rc != WS_OK)
		return ws_exit_code_for_status(rc);
	if (list) {
		rc = list_slots(ctx, conn);
	} else if (strcmp(action, "create") == 0) {
		rc = ws_pg_slot_create(conn, name, &ctx->err);
		if (rc == WS_OK)
			fprintf(ctx->out, "replication slot \"%s\" created on %s\n", name, ws_pg_target(conn));
	} else {
		rc = ws_pg_slot_drop(conn, name, &ctx->err);
		if (rc == WS_OK)
			fprintf(ctx->out, "replication slot \"%s\" dropped on %s\n", name, ws_pg_target(conn));
	}
	if (rc == WS_OK && strcmp(action, "drop") != 0)
		check_wal_keep(ctx, conn);
	ws_pg_close(conn);
	return ws_exit_code_for_status(rc);
}

const struct ws_command ws_cmd_slot = {
	.name = "slot",
	.summary = "Create, drop or list physical replication slots",
	.args_usage = "create NAME | drop NAME | list",
	.min_args = 1,
	.max_args = 2,
	.uses_config = true,
	.options = slot_options,
	.run = run_slot,
};
