/*
 * cmd_status.c — walship status: replication lag, slots, archive, health
 *
 * Exit codes are Nagios-style (0 ok, 1 warning, 2 critical, 3 unknown),
 * not walship's usual ones, so the command can serve as a monitoring check.
 */
#include "cmd/command.h"
#include "common/buf.h"
#include "common/str.h"
#include "pg/conn.h"
#include "repl/syncmgr.h"
#include "status/collect.h"
#include "status/health.h"
#include "status/render.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define WS_STATUS_OUTPUT_MAX (1024 * 1024)
#define WS_STATUS_WATCH_MAX 86400

enum status_format {
	FORMAT_TABLE,
	FORMAT_JSON,
	FORMAT_PROMETHEUS
};

static const struct ws_cmd_option status_options[] = {
	{"json", NULL, "print one JSON object instead of a table"},
	{"prometheus", NULL, "print Prometheus metrics (text exposition format) instead of a table"},
	{"watch", "N", "print the status again every N seconds until interrupted"},
	{NULL, NULL, NULL}
};

/*
 * The mode in force: walship.replication_mode on the server (`walship mode
 * set`), else replication-mode of the configuration, as walshipd applies it.
 */
static int
effective_mode(struct ws_cmd_ctx *ctx, struct ws_pg_conn *conn, enum ws_status_mode *mode,
			   struct ws_error *err)
{
	char text[16];
	int rc;

	rc = ws_replication_mode(conn, ctx->cfg, text, sizeof(text), err);
	if (rc == WS_OK)
		*mode = ws_status_mode_parse(text);
	return rc;
}

/* Connect, collect, judge. Returns the health level (the exit code). */
static enum ws_health
collect_round(struct ws_cmd_ctx *ctx, struct ws_status_report *st)
{
	struct ws_health_thresholds t;
	struct ws_pg_conn *conn = NULL;
	enum ws_status_mode mode = WS_STATUS_MODE_ASYNC;
	struct ws_error err;
	int rc;

	ws_status_init(st);
	ws_error_clear(&ctx->err);
	rc = ws_cmd_connect(ctx, &conn, &err);
	if (rc == WS_OK)
		rc = effective_mode(ctx, conn, &mode, &err);
	if (rc == WS_OK)
		rc = ws_status_collect(conn, mode, st, &err);
	ws_pg_close(conn);
	if (rc == WS_ERR_CONNECT) {
		/* unreachable, or gone while we asked: critical, and said on stderr */
		st->node.up = false;
		ws_strlcpy(st->node.error, err.message, sizeof(st->node.error));
		ws_error_set(&ctx->err, rc, "%s", err.message);
	} else if (rc != WS_OK) {
		ws_error_set(&ctx->err, rc, "%s", err.message);
		return WS_HEALTH_UNKNOWN;
	}
	ws_health_thresholds_from_config(ctx->cfg, &t);
	ws_health_eval(st, &t, &st->health);
	return st->health.level;
}

static int
print_status(struct ws_cmd_ctx *ctx, const struct ws_status_report *st, enum status_format format)
{
	struct ws_buf text;
	int rc;

	if (format == FORMAT_TABLE) {
		ws_status_render_table(st, ctx->out);
		return WS_OK;
	}
	ws_buf_init(&text, WS_STATUS_OUTPUT_MAX);
	rc = format == FORMAT_JSON ? ws_status_render_json(st, &text)
		: ws_status_render_prometheus(st, &text);
	if (rc == WS_OK)
		fputs(ws_buf_str(&text), ctx->out);
	else
		ws_error_set(&ctx->err, rc, "could not format the status");
	ws_buf_free(&text);
	return rc;
}

static int
one_round(struct ws_cmd_ctx *ctx, struct ws_status_report *st, enum status_format format)
{
	enum ws_health level = collect_round(ctx, st);

	if (level == WS_HEALTH_UNKNOWN)
		return WS_HEALTH_UNKNOWN;
	if (print_status(ctx, st, format) != WS_OK)
		return WS_HEALTH_UNKNOWN;
	fflush(ctx->out);
	return level;
}

static void
watch_header(struct ws_cmd_ctx *ctx, int interval, enum status_format format)
{
	char when[64];
	time_t now = time(NULL);
	struct tm tm;

	if (isatty(fileno(ctx->out)))
		fputs("\033[H\033[2J", ctx->out);
	if (format != FORMAT_TABLE)
		return;
	if (gmtime_r(&now, &tm) == NULL || strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
		ws_strlcpy(when, "?", sizeof(when));
	fprintf(ctx->out, "every %d s: walship status    %s\n\n", interval, when);
}

/*
 * Every interval seconds until SIGINT or SIGTERM. The signals are blocked
 * and taken by sigtimedwait(), which is also the sleep: no handler, no
 * global flag.
 */
static int
watch(struct ws_cmd_ctx *ctx, struct ws_status_report *st, enum status_format format, int interval)
{
	struct timespec wait = {interval, 0};
	sigset_t stop;
	sigset_t saved;
	int code;

	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	sigprocmask(SIG_BLOCK, &stop, &saved);
	for (;;) {
		int sig;

		watch_header(ctx, interval, format);
		code = one_round(ctx, st, format);
		if (format != FORMAT_TABLE)
			fflush(ctx->out);
		do
			sig = sigtimedwait(&stop, NULL, &wait);
		while (sig < 0 && errno == EINTR);
		if (sig > 0)
			break;
		if (format == FORMAT_TABLE && !isatty(fileno(ctx->out)))
			fputc('\n', ctx->out);
	}
	sigprocmask(SIG_SETMASK, &saved, NULL);
	return code;
}

static int
parse_options(struct ws_cmd_ctx *ctx, enum status_format *format, int *interval)
{
	const char *watch_text = ws_cmd_opt(ctx, "watch");
	int64_t n;

	if (ws_cmd_flag(ctx, "json") && ws_cmd_flag(ctx, "prometheus"))
		return ws_error_set(&ctx->err, WS_ERR_INVALID, "--json and --prometheus cannot be combined");
	*format = ws_cmd_flag(ctx, "json") ? FORMAT_JSON
		: ws_cmd_flag(ctx, "prometheus") ? FORMAT_PROMETHEUS : FORMAT_TABLE;
	*interval = 0;
	if (watch_text != NULL) {
		if (ws_parse_int64(watch_text, 1, WS_STATUS_WATCH_MAX, &n) != WS_OK)
			return ws_error_set(&ctx->err, WS_ERR_INVALID,
								"invalid value \"%s\" for option \"--watch\": expected seconds between 1 and %d",
								watch_text, WS_STATUS_WATCH_MAX);
		*interval = (int) n;
	}
	return WS_OK;
}

static int
run_status(struct ws_cmd_ctx *ctx)
{
	enum status_format format = FORMAT_TABLE;
	struct ws_status_report *st;
	int interval = 0;
	int code;

	if (parse_options(ctx, &format, &interval) != WS_OK)
		return WS_HEALTH_UNKNOWN;
	st = malloc(sizeof(*st));
	if (st == NULL) {
		ws_error_set(&ctx->err, WS_ERR_NOMEM, "out of memory");
		return WS_HEALTH_UNKNOWN;
	}
	code = interval > 0 ? watch(ctx, st, format, interval) : one_round(ctx, st, format);
	free(st);
	return code;
}

const struct ws_command ws_cmd_status = {
	.name = "status",
	.summary = "Show replication lag, slots, archiving and health (exit 0 ok, 1 warning, 2 critical, 3 unknown)",
	.args_usage = "",
	.min_args = 0,
	.max_args = 0,
	.uses_config = true,
	.options = status_options,
	.usage_exit = WS_HEALTH_UNKNOWN,
	.run = run_status,
};
