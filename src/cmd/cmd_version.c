/*
 * cmd_version.c — walship version
 */
#include "config.h"

#include "cmd/command.h"
#include "cmd/exit_codes.h"

static int
run_version(struct ws_cmd_ctx *ctx)
{
	fprintf(ctx->out, "walship %s\n", PACKAGE_VERSION);
	return WS_EXIT_OK;
}

const struct ws_command ws_cmd_version = {
	.name = "version",
	.summary = "Show the version of walship",
	.args_usage = "",
	.min_args = 0,
	.max_args = 0,
	.uses_config = false,
	.options = NULL,
	.run = run_version,
};
