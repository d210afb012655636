/*
 * cmd_restore.c — walship restore
 */
#include "backup/restore.h"
#include "cmd/command.h"
#include "cmd/exit_codes.h"
#include "common/str.h"

#include <string.h>
#include <unistd.h>

static const struct ws_cmd_option restore_options[] = {
	{"pgdata", "DIR", "Data directory to write (default: pg-data)"},
	{"set", "LABEL", "Backup to restore (default: the newest that ends before the target)"},
	{"target-time", "TIME", "Recover to this time, e.g. '2026-11-25 10:30:00+00'"},
	{"target-lsn", "LSN", "Recover to this WAL location"},
	{"target-xid", "XID", "Recover to this transaction"},
	{"target-name", "NAME", "Recover to this restore point (pg_create_restore_point)"},
	{"target", "immediate", "Stop as soon as the backup is consistent"},
	{"target-action", "promote|pause|shutdown", "What PostgreSQL does at the target"},
	{"target-timeline", "latest|current|N", "Timeline to recover along"},
	{"delta", NULL, "Restore over an existing directory, writing only files that differ"},
	{"tablespace-map", "OID=DIR[,...]", "Put tablespace OID in DIR instead of where it was"},
	{"restore-command", "CMD", "restore_command to write (default: walship archive-get)"},
	{"no-progress", NULL, "No progress lines, even on a terminal"},
	{NULL, NULL, NULL}
};

/* Exactly one recovery target, or none. */
static int
pick_target(struct ws_cmd_ctx *ctx, struct ws_restore_options *o)
{
	static const struct {
		const char *option;
		enum ws_target_type type;
	} targets[] = {
		{"target-time", WS_TARGET_TIME}, {"target-lsn", WS_TARGET_LSN},
		{"target-xid", WS_TARGET_XID}, {"target-name", WS_TARGET_NAME},
		{"target", WS_TARGET_IMMEDIATE}
	};
	int n = 0;

	for (size_t i = 0; i < sizeof(targets) / sizeof(targets[0]); i++) {
		const char *v = ws_cmd_opt(ctx, targets[i].option);

		if (v == NULL)
			continue;
		n++;
		o->target = targets[i].type;
		o->target_value = v;
		if (v[0] == '\0')
			return ws_error_set(&ctx->err, WS_ERR_INVALID, "--%s needs a value", targets[i].option);
	}
	if (n > 1)
		return ws_error_set(&ctx->err, WS_ERR_INVALID, "give at most one recovery target");
	if (o->target == WS_TARGET_IMMEDIATE && strcmp(o->target_value, "immediate") != 0)
		return ws_error_set(&ctx->err, WS_ERR_INVALID, "invalid --target \"%s\": only immediate",
							o->target_value);
	return WS_OK;
}

static int
check_choice(struct ws_cmd_ctx *ctx, const char *option, const char *value,
			 const char *const *allowed)
{
	if (value == NULL)
		return WS_OK;
	for (; *allowed != NULL; allowed++) {
		if (strcmp(value, *allowed) == 0)
			return WS_OK;
	}
	return ws_error_set(&ctx->err, WS_ERR_INVALID, "invalid --%s \"%s\"", option, value);
}

static int
run_restore(struct ws_cmd_ctx *ctx)
{
	static const char *const actions[] = {"promote", "pause", "shutdown", NULL};
	struct ws_restore_options o = {0};
	struct ws_restore_result res;
	char maps[8192] = "";
	const char *tl = ws_cmd_opt(ctx, "target-timeline");
	int rc;

	o.pgdata = ws_cmd_opt(ctx, "pgdata");
	if (o.pgdata == NULL)
		o.pgdata = ws_config_str(ctx->cfg, WS_OPT_PG_DATA);
	o.set = ws_cmd_opt(ctx, "set");
	o.delta = ws_cmd_flag(ctx, "delta");
	o.target_action = ws_cmd_opt(ctx, "target-action");
	o.restore_command = ws_cmd_opt(ctx, "restore-command");
	if (tl != NULL && strcmp(tl, "latest") != 0 && strcmp(tl, "current") != 0 &&
		strspn(tl, "0123456789") != strlen(tl))
		rc = ws_error_set(&ctx->err, WS_ERR_INVALID, "invalid --target-timeline \"%s\"", tl);
	else
		rc = WS_OK;
	o.target_timeline = tl;
	if (rc == WS_OK && (o.pgdata == NULL || o.pgdata[0] == '\0'))
		rc = ws_error_set(&ctx->err, WS_ERR_INVALID, "give --pgdata, or set pg-data");
	if (rc == WS_OK)
		rc = pick_target(ctx, &o);
	if (rc == WS_OK)
		rc = check_choice(ctx, "target-action", o.target_action, actions);
	if (rc == WS_OK && o.target_action != NULL && o.target == WS_TARGET_NONE)
		rc = ws_error_set(&ctx->err, WS_ERR_INVALID, "--target-action needs a recovery target");
	if (rc == WS_OK && ws_cmd_opt(ctx, "tablespace-map") != NULL) {
		ws_strlcpy(maps, ws_cmd_opt(ctx, "tablespace-map"), sizeof(maps));
		rc = ws_restore_split_maps(maps, &o, &ctx->err);
	}
	if (rc != WS_OK)
		return WS_EXIT_USAGE;
	if (!ws_cmd_flag(ctx, "no-progress") && isatty(STDERR_FILENO))
		o.progress = stderr;

	rc = ws_restore_run(ctx->cfg, ctx->log, &o, &res, &ctx->err);
	if (rc == WS_ERR_INVALID)
		return WS_EXIT_USAGE;
	if (rc != WS_OK)
		return ws_exit_code_for_status(rc);
	fprintf(ctx->out, "restored backup %s into %s: %zu files written (%llu bytes)", res.label,
			o.pgdata, res.files, (unsigned long long) res.bytes);
	if (o.delta)
		fprintf(ctx->out, ", %zu unchanged, %zu removed", res.unchanged, res.removed);
	fprintf(ctx->out, "\n");
	return WS_EXIT_OK;
}

const struct ws_command ws_cmd_restore = {
	.name = "restore",
	.summary = "Restore a backup into a data directory, ready for point-in-time recovery",
	.args_usage = "",
	.min_args = 0,
	.max_args = 0,
	.uses_config = true,
	.options = restore_options,
	.run = run_restore,
};
