/*
 * cmd_mode.c — walship mode show | set MODE
 *
 * The mode is recorded on the primary as walship.replication_mode (ALTER
 * SYSTEM), so it survives restarts and every walship process and walshipd
 * sees the same one. async and sync take effect at once; semi-sync needs
 * walshipd on the primary, which chooses the sync standby.
 */
#include <stdio.h>
#include <string.h>

#include "cmd/command.h"
#include "cmd/exit_codes.h"
#include "pg/server.h"
#include "pg/settings.h"
#include "repl/syncmgr.h"

static int
connect_primary(struct ws_cmd_ctx *ctx, struct ws_pg_conn **conn)
{
	struct ws_pg_server_info info;
	int rc;

	rc = ws_cmd_connect(ctx, conn, &ctx->err);
	if (rc == WS_OK)
		rc = ws_pg_server_info_read(*conn, &info, &ctx->err);
	if (rc == WS_OK)
		rc = ws_pg_require_role(*conn, &info, WS_PG_PRIMARY, "the replication mode is set on the primary",
								&ctx->err);
	if (rc != WS_OK) {
		ws_pg_close(*conn);
		*conn = NULL;
	}
	return rc;
}

static int
show(struct ws_cmd_ctx *ctx, struct ws_pg_conn *conn)
{
	char mode[16];
	char names[1024];
	int rc;

	rc = ws_replication_mode(conn, ctx->cfg, mode, sizeof(mode), &ctx->err);
	if (rc == WS_OK)
		rc = ws_pg_setting(conn, "synchronous_standby_names", names, sizeof(names), &ctx->err);
	if (rc != WS_OK)
		return rc;
	fprintf(ctx->out, "mode: %s\nsynchronous_standby_names: '%s'\n", mode, names);
	if (strcmp(mode, "semi-sync") == 0)
		fprintf(ctx->out, "state: %s\n", names[0] == '\0' ? "degraded (async: no eligible standby)" : "sync");
	return WS_OK;
}

static int
set(struct ws_cmd_ctx *ctx, struct ws_pg_conn *conn, const char *mode)
{
	int rc;

	if (strcmp(mode, "async") != 0 && strcmp(mode, "sync") != 0 && strcmp(mode, "semi-sync") != 0)
		return ws_error_set(&ctx->err, WS_ERR_INVALID,
							"invalid mode \"%s\": use async, sync or semi-sync", mode);
	rc = ws_pg_alter_system(conn, WS_MODE_SETTING, mode, &ctx->err);
	if (rc == WS_OK && strcmp(mode, "async") == 0)
		rc = ws_pg_alter_system(conn, "synchronous_standby_names", "", &ctx->err);
	else if (rc == WS_OK && strcmp(mode, "sync") == 0)
		rc = ws_pg_alter_system(conn, "synchronous_standby_names",
								ws_config_str(ctx->cfg, WS_OPT_SYNC_STANDBY_NAMES), &ctx->err);
	if (rc != WS_OK)
		return rc;
	ws_log_info(ctx->log, "mode", "replication mode set to %s on %s", mode, ws_pg_target(conn));
	if (strcmp(mode, "semi-sync") == 0)
		ws_log_info(ctx->log, "mode", "walshipd on the primary now chooses the synchronous standby");
	return WS_OK;
}

static int
run_mode(struct ws_cmd_ctx *ctx)
{
	const char *action = ctx->argv[0];
	struct ws_pg_conn *conn = NULL;
	int rc;

	if (strcmp(action, "show") == 0 ? ctx->argc != 1 : strcmp(action, "set") != 0 || ctx->argc != 2) {
		ws_error_set(&ctx->err, WS_ERR_INVALID, "usage: walship mode show | walship mode set async|sync|semi-sync");
		return WS_EXIT_USAGE;
	}
	if ((rc = connect_primary(ctx, &conn)) != WS_OK)
		return ws_exit_code_for_status(rc);
	rc = strcmp(action, "show") == 0 ? show(ctx, conn) : set(ctx, conn, ctx->argv[1]);
	ws_pg_close(conn);
	return ws_exit_code_for_status(rc);
}

const struct ws_command ws_cmd_mode = {
	.name = "mode",
	.summary = "Show or set the replication mode (async, sync, semi-sync) on the primary",
	.args_usage = "show | set MODE",
	.min_args = 1,
	.max_args = 2,
	.uses_config = true,
	.options = NULL,
	.run = run_mode,
};
