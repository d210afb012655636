/*
 * cmd_standby.c — walship standby clone: a hot standby in one command
 *
 * From the repository's newest backup, or from a fresh backup of the
 * primary (taken into the repository, so the standby and the archive share
 * it), restored with standby.signal, primary_conninfo, an optional
 * replication slot and restore_command: ready for pg_ctl start.
 */
#include "backup/backup.h"
#include "backup/restore.h"
#include "cmd/command.h"
#include "cmd/exit_codes.h"
#include "common/buf.h"
#include "common/str.h"
#include "pg/conn.h"
#include "pg/server.h"

#include <string.h>
#include <unistd.h>

static const struct ws_cmd_option standby_options[] = {
	{"pgdata", "DIR", "Data directory of the new standby (default: pg-data)"},
	{"from", "primary|repo", "Fresh backup of the primary (default), or the newest in the repository"},
	{"slot", "NAME", "primary_slot_name for the standby"},
	{"create-slot", NULL, "Create the physical slot on the primary (with --slot)"},
	{"primary-conninfo", "CONNINFO", "primary_conninfo to write (default: pg-conninfo)"},
	{"application-name", "NAME", "application_name the standby connects with"},
	{"delta", NULL, "Clone over an existing directory, writing only files that differ"},
	{"tablespace-map", "OID=DIR[,...]", "Put tablespace OID in DIR instead of where it was"},
	{"no-progress", NULL, "No progress lines, even on a terminal"},
	{NULL, NULL, NULL}
};

static bool
valid_slot_name(const char *s)
{
	size_t n = strlen(s);

	return n > 0 && n < 64 && strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_") == n;
}

static int
create_slot(struct ws_cmd_ctx *ctx, const char *slot, bool *created)
{
	struct ws_pg_conn *conn = NULL;
	int rc;

	rc = ws_cmd_connect(ctx, &conn, &ctx->err);
	if (rc == WS_OK)
		rc = ws_pg_ensure_physical_slot(conn, slot, created, &ctx->err);
	if (rc == WS_OK)
		ws_log_info(ctx->log, "standby", "replication slot \"%s\" %s", slot,
					*created ? "created" : "already exists: using it");
	ws_pg_close(conn);
	return rc;
}

/*
 * The clone failed: a slot made for it would hold WAL on the primary for a
 * standby that does not exist. One that was there before stays.
 */
static void
drop_created_slot(struct ws_cmd_ctx *ctx, const char *slot)
{
	struct ws_pg_conn *conn = NULL;
	struct ws_error err;

	if (ws_cmd_connect(ctx, &conn, &err) == WS_OK &&
		ws_pg_drop_slot(conn, slot, &err) == WS_OK)
		ws_log_info(ctx->log, "standby", "replication slot \"%s\" dropped: the clone failed", slot);
	else
		ws_log_warn(ctx->log, "standby", "the clone failed and slot \"%s\" stays on the primary: %s",
					slot, err.message);
	ws_pg_close(conn);
}

static int
run_standby(struct ws_cmd_ctx *ctx)
{
	const char *from = ws_cmd_opt(ctx, "from");
	const char *slot = ws_cmd_opt(ctx, "slot");
	const char *appname = ws_cmd_opt(ctx, "application-name");
	struct ws_restore_options o = {0};
	struct ws_restore_result res;
	struct ws_backup_options bo = {0};
	struct ws_backup_manifest m;
	struct ws_buf conninfo;
	char maps[8192] = "";
	bool from_primary = from == NULL || strcmp(from, "primary") == 0;
	bool slot_created = false;
	int rc = WS_OK;

	if (strcmp(ctx->argv[0], "clone") != 0)
		rc = ws_error_set(&ctx->err, WS_ERR_INVALID, "unknown standby action \"%s\": use clone",
						  ctx->argv[0]);
	else if (from != NULL && !from_primary && strcmp(from, "repo") != 0)
		rc = ws_error_set(&ctx->err, WS_ERR_INVALID, "invalid --from \"%s\": use primary or repo", from);
	else if (slot != NULL && !valid_slot_name(slot))
		rc = ws_error_set(&ctx->err, WS_ERR_INVALID,
						  "invalid --slot \"%s\": 1 to 63 of lower-case letters, digits and _", slot);
	else if (ws_cmd_flag(ctx, "create-slot") && slot == NULL)
		rc = ws_error_set(&ctx->err, WS_ERR_INVALID, "--create-slot needs --slot");
	else if (appname != NULL && (appname[0] == '\0' || strpbrk(appname, " '\\") != NULL))
		rc = ws_error_set(&ctx->err, WS_ERR_INVALID, "invalid --application-name \"%s\"", appname);
	o.pgdata = ws_cmd_opt(ctx, "pgdata");
	if (o.pgdata == NULL)
		o.pgdata = ws_config_str(ctx->cfg, WS_OPT_PG_DATA);
	if (rc == WS_OK && (o.pgdata == NULL || o.pgdata[0] == '\0'))
		rc = ws_error_set(&ctx->err, WS_ERR_INVALID, "give --pgdata, or set pg-data");
	if (rc == WS_OK && ws_cmd_opt(ctx, "tablespace-map") != NULL) {
		ws_strlcpy(maps, ws_cmd_opt(ctx, "tablespace-map"), sizeof(maps));
		rc = ws_restore_split_maps(maps, &o, &ctx->err);
	}
	if (rc != WS_OK)
		return WS_EXIT_USAGE;

	ws_backup_manifest_init(&m);
	ws_buf_init(&conninfo, 8192);
	o.primary_conninfo = ws_cmd_opt(ctx, "primary-conninfo");
	if (o.primary_conninfo == NULL)
		o.primary_conninfo = ws_config_str(ctx->cfg, WS_OPT_PG_CONNINFO);
	if (appname != NULL) {
		if (ws_buf_appendf(&conninfo, "%s application_name=%s", o.primary_conninfo, appname) != WS_OK) {
			ws_buf_free(&conninfo);
			ws_error_set(&ctx->err, WS_ERR_INVALID, "primary_conninfo is too long");
			return WS_EXIT_USAGE;
		}
		o.primary_conninfo = ws_buf_str(&conninfo);
	}
	o.standby = true;
	o.primary_slot = slot;
	o.delta = ws_cmd_flag(ctx, "delta");
	if (!ws_cmd_flag(ctx, "no-progress") && isatty(STDERR_FILENO))
		o.progress = bo.progress = stderr;

	/* the slot first: WAL the standby needs is kept from now on */
	if (ws_cmd_flag(ctx, "create-slot"))
		rc = create_slot(ctx, slot, &slot_created);
	if (rc == WS_OK && from_primary) {
		rc = ws_backup_run(ctx->cfg, ctx->log, &bo, &m, &ctx->err);
		if (rc == WS_OK) {
			fprintf(ctx->out, "backup %s taken from the primary\n", m.label);
			o.set = m.label;
		}
	}
	if (rc == WS_OK)
		rc = ws_restore_run(ctx->cfg, ctx->log, &o, &res, &ctx->err);
	if (rc == WS_OK)
		fprintf(ctx->out, "standby ready in %s from backup %s: start it with pg_ctl start\n",
				o.pgdata, res.label);
	else if (slot_created)
		drop_created_slot(ctx, slot);
	ws_backup_manifest_free(&m);
	ws_buf_free(&conninfo);
	if (rc == WS_ERR_INVALID)
		return WS_EXIT_USAGE;
	return ws_exit_code_for_status(rc);
}

const struct ws_command ws_cmd_standby = {
	.name = "standby",
	.summary = "standby clone: build a hot standby from a backup, ready to start",
	.args_usage = "clone",
	.min_args = 1,
	.max_args = 1,
	.uses_config = true,
	.options = standby_options,
	.run = run_standby,
};
