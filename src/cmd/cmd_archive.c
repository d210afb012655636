/*
 * cmd_archive.c — walship archive-push %p and archive-get %f %p
 *
 * PostgreSQL runs these as archive_command and restore_command with the
 * data directory as working directory. archive-get exits 1 when the file
 * is not in the repository, so PostgreSQL goes on to streaming.
 */
#include <string.h>

#include "archive/archive.h"
#include "archive/get_partial.h"
#include "archive/prefetch.h"
#include "archive/push_async.h"
#include "archive/push_remote.h"
#include "cmd/command.h"
#include "cmd/exit_codes.h"

/*
 * archive_command: any failure makes PostgreSQL keep the file and retry;
 * the codes only tell an operator which kind it was.
 */
static int
push_exit_code(int status)
{
	switch (status) {
	case WS_OK:
		return WS_EXIT_OK;
	case WS_ERR_CONFIG:
		return WS_EXIT_USAGE;
	case WS_ERR_IO:
		return WS_EXIT_STORAGE;
	default:
		return WS_EXIT_FAILURE;
	}
}

/*
 * restore_command's contract: 1 only for "not in the repository", so that
 * PostgreSQL moves on to streaming; every other failure has its own code.
 */
static int
get_exit_code(int status)
{
	switch (status) {
	case WS_OK:
		return WS_EXIT_OK;
	case WS_ERR_NOT_FOUND:
		return WS_EXIT_FAILURE;
	case WS_ERR_CONFIG:
	case WS_ERR_INVALID:
		return WS_EXIT_USAGE;
	case WS_ERR_CORRUPT:
		return WS_EXIT_CORRUPT;
	default:
		return WS_EXIT_STORAGE;
	}
}

static int
run_archive_push(struct ws_cmd_ctx *ctx)
{
	struct ws_push_result res;
	struct ws_archive a;
	int rc;

	if (ws_config_bool(ctx->cfg, WS_OPT_ARCHIVE_ASYNC)) {
		struct ws_async_push_result ares;

		rc = ws_archive_push_async_cached(ctx->cfg, ctx->log, ctx->argv[0], &ares, &ctx->err);
		if (rc == WS_OK && ares.ahead)
			ws_log_debug(ctx->log, "archive-push", "WAL file \"%s\" was archived ahead by the worker",
						 ctx->argv[0]);
		else if (rc == WS_OK && ares.queued)
			ws_log_debug(ctx->log, "archive-push", "queued WAL file \"%s\"", ctx->argv[0]);
		return push_exit_code(rc);
	}
	if (strcmp(ws_config_str(ctx->cfg, WS_OPT_REPO_TYPE), "posix") != 0) {
		/* round trips to the repository overlap the compression */
		rc = ws_archive_push_remote(ctx->cfg, ctx->log, ctx->argv[0], &res, &ctx->err);
	} else {
		rc = ws_archive_open(ctx->cfg, ctx->log, &a, &ctx->err);
		if (rc != WS_OK)
			return push_exit_code(rc);
		rc = ws_archive_push(&a, ctx->argv[0], &res, &ctx->err);
		ws_archive_close(&a);
	}
	if (rc == WS_OK && res.already_archived)
		ws_log_info(ctx->log, "archive-push", "WAL file \"%s\" was already archived with the same checksum",
					ctx->argv[0]);
	else if (rc == WS_OK)
		ws_log_debug(ctx->log, "archive-push", "pushed WAL file \"%s\" (%zu bytes, %zu stored)",
					 ctx->argv[0], res.original_size, res.stored_size);
	return push_exit_code(rc);
}

static int
run_archive_get(struct ws_cmd_ctx *ctx)
{
	struct ws_archive a;
	int rc;

	rc = ws_archive_open(ctx->cfg, ctx->log, &a, &ctx->err);
	if (rc != WS_OK)     /* a missing stanza is no missing segment */
		return rc == WS_ERR_NOT_FOUND ? WS_EXIT_STORAGE : get_exit_code(rc);
	if (ws_config_int(ctx->cfg, WS_OPT_ARCHIVE_GET_QUEUE_MAX) > 0)
		rc = ws_archive_get_prefetched(ctx->cfg, &a, ctx->argv[0], ctx->argv[1], &ctx->err);
	else
		rc = ws_archive_get(&a, ctx->argv[0], ctx->argv[1], &ctx->err);
	if (rc == WS_ERR_NOT_FOUND && ws_cmd_flag(ctx, "partial")) {
		char dir[4096];

		rc = ws_archive_stream_dir(ctx->cfg, dir, sizeof(dir), &ctx->err);
		if (rc == WS_OK)
			rc = ws_archive_get_partial(&a, dir, ctx->argv[0], ctx->argv[1], &ctx->err);
		if (rc == WS_OK)
			ws_log_warn(ctx->log, "archive-get", "restored WAL file \"%s\" from an incomplete (partial) copy: recovery ends in it",
						ctx->argv[0]);
	}
	ws_archive_close(&a);
	if (rc == WS_ERR_NOT_FOUND) {
		/* normal at the end of the archive: say it quietly, no error line */
		ws_log_info(ctx->log, "archive-get", "%s", ctx->err.message);
		ctx->err.message[0] = '\0';
		return WS_EXIT_FAILURE;
	}
	if (rc == WS_OK)
		ws_log_debug(ctx->log, "archive-get", "restored WAL file \"%s\"", ctx->argv[0]);
	return get_exit_code(rc);
}

const struct ws_command ws_cmd_archive_push = {
	.name = "archive-push",
	.summary = "Archive one WAL file (archive_command = 'walship archive-push %p')",
	.args_usage = "WAL_PATH",
	.min_args = 1,
	.max_args = 1,
	.uses_config = true,
	.options = NULL,
	.run = run_archive_push,
};

static const struct ws_cmd_option get_options[] = {
	{"partial", NULL, "when no complete copy exists, serve the receiver's newest partial segment (recovery ends in it)"},
	{NULL, NULL, NULL}
};

const struct ws_command ws_cmd_archive_get = {
	.name = "archive-get",
	.summary = "Restore one WAL file (restore_command = 'walship archive-get %f %p')",
	.args_usage = "WAL_NAME DEST_PATH",
	.min_args = 2,
	.max_args = 2,
	.uses_config = true,
	.options = get_options,
	.run = run_archive_get,
};
