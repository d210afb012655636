/*
 * cmd_check.c — walship check: is this PostgreSQL ready for walship?
 */
#include "archive/archive_check.h"
#include "archive/spool.h"
#include "cmd/command.h"
#include "cmd/exit_codes.h"
#include "common/buf.h"
#include "pg/conn.h"
#include "pg/server.h"
#include "status/check_render.h"
#include "status/server_checks.h"

#include <string.h>

#define WS_CHECK_JSON_MAX (64 * 1024)

static const struct ws_cmd_option check_options[] = {
	{"json", NULL, "print one JSON object instead of a table"},
	{"expect-role", "primary|standby", "fail with exit code 5 unless the server has this role"},
	{"no-archive-check", NULL, "on a primary with archive_mode on, do not switch WAL to test archiving"},
	{NULL, NULL, NULL}
};

static int
parse_role(const char *text, enum ws_pg_role *role, struct ws_error *err)
{
	if (strcmp(text, "primary") == 0)
		*role = WS_PG_PRIMARY;
	else if (strcmp(text, "standby") == 0)
		*role = WS_PG_STANDBY;
	else
		return ws_error_set(err, WS_ERR_INVALID,
							"invalid value \"%s\" for option \"--expect-role\": expected primary or standby", text);
	return WS_OK;
}

/*
 * On an archiving primary: switch WAL and wait for the segment to reach
 * the repository, so a broken archive_command shows up now, not at restore.
 */
static void
check_archive(struct ws_cmd_ctx *ctx, struct ws_pg_conn *conn, struct ws_check_report *report)
{
	int timeout = (int) ws_config_int(ctx->cfg, WS_OPT_ARCHIVE_TIMEOUT);
	struct ws_archive_check_result res;
	struct ws_pg_archiver_status st;
	struct ws_archive a;
	struct ws_error err;

	if (ws_archive_open(ctx->cfg, ctx->log, &a, &err) != WS_OK) {
		ws_check_report_add(report, "archive", WS_CHECK_ERROR, "%s", err.message);
		return;
	}
	if (ws_archive_check_arrival(&a, conn, timeout, &res, &err) != WS_OK)
		ws_check_report_add(report, "archive", WS_CHECK_ERROR, "%s", err.message);
	else if (res.arrived)
		ws_check_report_add(report, "archive", WS_CHECK_OK,
							"WAL segment %s reached the repository in %.1f s", res.walname, res.seconds);
	else if (ws_pg_archiver_status(conn, &st, &err) == WS_OK)
		ws_check_report_add(report, "archive", WS_CHECK_ERROR,
							"WAL segment %s did not reach the repository within %d s (pg_stat_archiver: %lld failures, last failed %s): check archive_command and the server log",
							res.walname, timeout, st.failed_count,
							st.last_failed_wal[0] ? st.last_failed_wal : "none");
	else
		ws_check_report_add(report, "archive", WS_CHECK_ERROR,
							"WAL segment %s did not reach the repository within %d s", res.walname, timeout);
	ws_archive_close(&a);
}

/* What the asynchronous worker left behind: its last error, dropped WAL. */
static void
check_spool(struct ws_cmd_ctx *ctx, struct ws_check_report *report)
{
	char message[WS_SPOOL_MSG_MAX];
	char last[64];
	struct ws_spool spool;
	struct ws_error err;
	uint64_t dropped = 0;

	if (ws_spool_open(ctx->cfg, &spool, &err) != WS_OK ||
		ws_spool_read_error(&spool, message, sizeof(message), &err) != WS_OK ||
		ws_spool_read_dropped(&spool, &dropped, last, sizeof(last), &err) != WS_OK) {
		ws_check_report_add(report, "archive-async", WS_CHECK_ERROR, "%s", err.message);
		ws_spool_close(&spool);
		return;
	}
	if (message[0] != '\0')
		ws_check_report_add(report, "archive-async", WS_CHECK_ERROR,
							"the archive worker failed: %s", message);
	else
		ws_check_report_add(report, "archive-async", WS_CHECK_OK, "the archive worker reports no error");
	if (dropped > 0)
		ws_check_report_add(report, "archive-push-queue-max", WS_CHECK_WARNING,
							"%llu WAL file%s dropped over archive-push-queue-max, the last %s: take a new backup, then remove %s/%s/push/dropped",
							(unsigned long long) dropped, dropped == 1 ? " was" : "s were", last,
							ws_config_str(ctx->cfg, WS_OPT_SPOOL_PATH), ws_config_str(ctx->cfg, WS_OPT_STANZA));
	ws_spool_close(&spool);
}

static int
print_report(struct ws_cmd_ctx *ctx, const struct ws_check_view *view)
{
	struct ws_buf json;
	int rc;

	if (!ws_cmd_flag(ctx, "json")) {
		ws_check_render_table(view, ctx->out);
		return WS_OK;
	}
	ws_buf_init(&json, WS_CHECK_JSON_MAX);
	rc = ws_check_render_json(view, &json);
	if (rc == WS_OK)
		fputs(ws_buf_str(&json), ctx->out);
	else
		ws_error_set(&ctx->err, rc, "could not format the report as JSON");
	ws_buf_free(&json);
	return rc;
}

static int
run_check(struct ws_cmd_ctx *ctx)
{
	const char *expect = ws_cmd_opt(ctx, "expect-role");
	struct ws_pg_server_info info;
	struct ws_check_report report;
	struct ws_check_view view;
	struct ws_pg_conn *conn = NULL;
	enum ws_pg_role role = WS_PG_PRIMARY;
	int rc;

	if (expect != NULL && parse_role(expect, &role, &ctx->err) != WS_OK)
		return WS_EXIT_USAGE;
	rc = ws_cmd_connect(ctx, &conn, &ctx->err);
	if (rc != WS_OK)
		return ws_exit_code_for_status(rc);
	ws_log_debug(ctx->log, "check", "connected to %s", ws_pg_target(conn));
	rc = ws_pg_server_info_read(conn, &info, &ctx->err);
	if (rc == WS_OK && expect != NULL)
		rc = ws_pg_require_role(conn, &info, role, "--expect-role", &ctx->err);
	if (rc != WS_OK)
		goto cleanup;

	ws_server_checks_run(&info, &report);
	if (info.role == WS_PG_PRIMARY && strcmp(info.archive_mode, "off") != 0 &&
		!ws_cmd_flag(ctx, "no-archive-check"))
		check_archive(ctx, conn, &report);
	if (info.role == WS_PG_PRIMARY && ws_config_bool(ctx->cfg, WS_OPT_ARCHIVE_ASYNC))
		check_spool(ctx, &report);
	view.target = ws_pg_target(conn);
	view.tls = ws_pg_uses_tls(conn);
	view.info = &info;
	view.report = &report;
	rc = print_report(ctx, &view);
	if (rc == WS_OK && ws_check_report_level(&report) == WS_CHECK_ERROR) {
		ws_error_set(&ctx->err, WS_ERR_INVALID,
					 "server at %s is not ready for replication: see the errors above", view.target);
		ws_pg_close(conn);
		return WS_EXIT_CHECK_FAILED;
	}

cleanup:
	ws_pg_close(conn);
	return ws_exit_code_for_status(rc);
}

const struct ws_command ws_cmd_check = {
	.name = "check",
	.summary = "Check that PostgreSQL is reachable and configured for replication and archiving",
	.args_usage = "",
	.min_args = 0,
	.max_args = 0,
	.uses_config = true,
	.options = check_options,
	.run = run_check,
};
