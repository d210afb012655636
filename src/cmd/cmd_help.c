/*
 * cmd_help.c — walship help [command | config [--sample | --man]]
 */
#include "cmd/command.h"
#include "cmd/exit_codes.h"
#include "config/config_doc.h"

#include <string.h>

static const struct ws_cmd_option help_options[] = {
	{"sample", NULL, "with \"config\": print a commented sample configuration file"},
	{"man", NULL, "with \"config\": print the option list in man(7) format"},
	{NULL, NULL, NULL}
};

static int
run_help(struct ws_cmd_ctx *ctx)
{
	const struct ws_command *cmd;

	if (ctx->argc == 0) {
		ws_commands_print_usage(ctx->out);
		return WS_EXIT_OK;
	}
	if (strcmp(ctx->argv[0], "config") == 0) {
		if (ws_cmd_flag(ctx, "sample"))
			ws_config_doc_sample(ctx->out);
		else if (ws_cmd_flag(ctx, "man"))
			ws_config_doc_man(ctx->out);
		else
			ws_config_doc_text(ctx->out);
		return WS_EXIT_OK;
	}
	cmd = ws_command_find(ctx->argv[0]);
	if (cmd == NULL) {
		ws_error_set(&ctx->err, WS_ERR_INVALID, "no help for unknown topic \"%s\"", ctx->argv[0]);
		return WS_EXIT_USAGE;
	}
	ws_command_print_help(cmd, ctx->out);
	return WS_EXIT_OK;
}

const struct ws_command ws_cmd_help = {
	.name = "help",
	.summary = "Show help for walship, a command, or the configuration options",
	.args_usage = "[COMMAND | config]",
	.min_args = 0,
	.max_args = 1,
	.uses_config = false,
	.options = help_options,
	.run = run_help,
};
