/*
 * cmd_backup.c — walship backup
 */
#include "backup/backup.h"
#include "cmd/command.h"
#include "cmd/exit_codes.h"
#include "wal/lsn.h"

#include <string.h>
#include <unistd.h>

static const struct ws_cmd_option backup_options[] = {
	{"type", "full", "Backup type; only full for now"},
	{"checkpoint", "fast|spread", "Start with an immediate checkpoint, or spread it (default)"},
	{"from-standby", NULL, "Back up the standby pg-conninfo points at, not a primary"},
	{"primary-conninfo", "CONNINFO", "With --from-standby: the primary, asked to switch WAL at the end"},
	{"no-progress", NULL, "No progress lines, even on a terminal"},
	{NULL, NULL, NULL}
};

static int
run_backup(struct ws_cmd_ctx *ctx)
{
	const char *type = ws_cmd_opt(ctx, "type");
	const char *checkpoint = ws_cmd_opt(ctx, "checkpoint");
	struct ws_backup_options opts = {0};
	struct ws_backup_manifest m;
	char start[WS_LSN_STRLEN], stop[WS_LSN_STRLEN];
	int rc;

	if (type != NULL && strcmp(type, "full") != 0) {
		ws_error_set(&ctx->err, WS_ERR_INVALID, "invalid --type \"%s\": only full is supported", type);
		return WS_EXIT_USAGE;
	}
	if (checkpoint != NULL && strcmp(checkpoint, "fast") != 0 && strcmp(checkpoint, "spread") != 0) {
		ws_error_set(&ctx->err, WS_ERR_INVALID, "invalid --checkpoint \"%s\": use fast or spread",
					 checkpoint);
		return WS_EXIT_USAGE;
	}
	opts.fast_checkpoint = checkpoint != NULL && strcmp(checkpoint, "fast") == 0;
	opts.from_standby = ws_cmd_flag(ctx, "from-standby");
	opts.primary_conninfo = ws_cmd_opt(ctx, "primary-conninfo");
	if (opts.primary_conninfo != NULL && !opts.from_standby) {
		ws_error_set(&ctx->err, WS_ERR_INVALID, "--primary-conninfo goes with --from-standby");
		return WS_EXIT_USAGE;
	}
	if (!ws_cmd_flag(ctx, "no-progress") && isatty(STDERR_FILENO))
		opts.progress = stderr;

	rc = ws_backup_run(ctx->cfg, ctx->log, &opts, &m, &ctx->err);
	if (rc == WS_OK) {
		ws_lsn_format(m.start_lsn, start);
		ws_lsn_format(m.stop_lsn, stop);
		fprintf(ctx->out, "backup %s: %zu entries, %llu bytes (%llu stored), LSN %s to %s, "
				"WAL %s to %s\n", m.label, m.nentries, (unsigned long long) m.original_bytes,
				(unsigned long long) m.stored_bytes, start, stop, m.wal_start, m.wal_stop);
	}
	ws_backup_manifest_free(&m);
	return ws_exit_code_for_status(rc);
}

const struct ws_command ws_cmd_backup = {
	.name = "backup",
	.summary = "Take a base backup of the cluster into the repository",
	.args_usage = "",
	.min_args = 0,
	.max_args = 0,
	.uses_config = true,
	.options = backup_options,
	.run = run_backup,
};
