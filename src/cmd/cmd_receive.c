/*
 * cmd_receive.c — walship receive: stream WAL into the repository
 */
#include <signal.h>
#include <stdatomic.h>
#include <string.h>

#include "archive/archive.h"
#include "cmd/command.h"
#include "cmd/exit_codes.h"
#include "repl/receiver.h"

static const struct ws_cmd_option receive_options[] = {
	{"synchronous", NULL, "fsync each batch of WAL before reporting it flushed (for synchronous_standby_names)"},
	{"endpos", "LSN", "stop once everything up to LSN is flushed"},
	{"slot", "NAME", "replication slot to stream from (default: receive-slot); \"\" for none"},
	{"create-slot", NULL, "create the slot when it does not exist"},
	{"no-loop", NULL, "exit when the connection is lost instead of reconnecting"},
	{NULL, NULL, NULL}
};

/* A signal handler may only set a flag (a lock-free atomic): the receive loop looks at it. */
static atomic_int stop_requested;

static void
on_signal(int sig)
{
	(void) sig;
	atomic_store(&stop_requested, 1);
}

static void
catch_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;     /* no SA_RESTART: waits return at once */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

static int
run_receive(struct ws_cmd_ctx *ctx)
{
	const char *endpos = ws_cmd_opt(ctx, "endpos");
	const char *slot = ws_cmd_opt(ctx, "slot");
	struct ws_receiver_options o;
	struct ws_archive a;
	char dir[4096];
	int rc;

	memset(&o, 0, sizeof(o));
	o.cfg = ctx->cfg;
	o.finisher_threads = (int) ws_config_int(ctx->cfg, WS_OPT_PROCESS_MAX);
	o.conninfo = ws_config_str(ctx->cfg, WS_OPT_PG_CONNINFO);
	o.connect_timeout = (int) ws_config_int(ctx->cfg, WS_OPT_CONNECT_TIMEOUT);
	o.slot = slot != NULL ? slot : ws_config_str(ctx->cfg, WS_OPT_RECEIVE_SLOT);
	o.create_slot = ws_cmd_flag(ctx, "create-slot");
	o.synchronous = ws_cmd_flag(ctx, "synchronous");
	o.status_interval_ms = (int) ws_config_int(ctx->cfg, WS_OPT_STATUS_INTERVAL) * 1000;
	o.loop = !ws_cmd_flag(ctx, "no-loop");
	o.stop = &stop_requested;
	if (endpos != NULL && (ws_lsn_parse(endpos, &o.endpos, &ctx->err) != WS_OK || o.endpos == WS_LSN_INVALID)) {
		ws_error_set(&ctx->err, WS_ERR_INVALID, "invalid --endpos \"%s\": expected an LSN such as 0/3000060", endpos);
		return WS_EXIT_USAGE;
	}
	if ((rc = ws_archive_open(ctx->cfg, ctx->log, &a, &ctx->err)) != WS_OK)
		return ws_exit_code_for_status(rc);
	rc = ws_receive_dir(ctx->cfg, dir, sizeof(dir), &ctx->err);
	if (rc == WS_OK) {
		catch_signals();
		rc = ws_receiver_run(&a, ctx->log, dir, &o, &ctx->err);
	}
	ws_archive_close(&a);
	return ws_exit_code_for_status(rc);
}

const struct ws_command ws_cmd_receive = {
	.name = "receive",
	.summary = "Stream WAL from the server into the repository through a replication slot",
	.args_usage = "",
	.min_args = 0,
	.max_args = 0,
	.uses_config = true,
	.options = receive_options,
	.run = run_receive,
};
