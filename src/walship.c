/*
 * walship.c — main() of the walship command line tool
 *
 * Parse arguments, build the configuration, set up logging, run one
 * command, print its error on one line and exit with its code.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "cmd/args.h"
#include "cmd/command.h"
#include "cmd/exit_codes.h"
#include "common/log.h"
#include "config/config.h"
#include "config/config_log.h"

extern char **environ;

static int
fail(const struct ws_error *err, int code)
{
	fprintf(stderr, "walship: error: %s\n", err->message);
	return code;
}

int
main(int argc, char **argv)
{
	struct ws_args args;
	struct ws_cmd_ctx ctx;
	struct ws_config cfg;
	struct ws_log log;
	int code;

	memset(&ctx, 0, sizeof(ctx));
	ws_log_init_stderr(&log, WS_LOG_INFO);
	if (ws_args_parse(argc, argv, &args, &ctx.err) != WS_OK)
		return fail(&ctx.err, ws_command_usage_exit(args.cmd));
	if (args.version) {
		printf("walship %s\n", PACKAGE_VERSION);
		return WS_EXIT_OK;
	}
	if (args.cmd == NULL) {
		ws_commands_print_usage(args.help ? stdout : stderr);
		return args.help ? WS_EXIT_OK : WS_EXIT_USAGE;
	}
	if (args.help) {
		ws_command_print_help(args.cmd, stdout);
		return WS_EXIT_OK;
	}

	ctx.cmd = args.cmd;
	ctx.log = &log;
	ctx.out = stdout;
	ctx.argc = args.npositional;
	ctx.argv = args.positional;
	memcpy(ctx.opts, args.cmd_opts, sizeof(ctx.opts));
	if (args.cmd->uses_config) {
		struct ws_config_sources src = {
			.file = args.config_file,
			.file_required = args.config_file != NULL,
			.envp = environ,
			.cli = args.settings,
			.ncli = args.nsettings,
		};

		if (ws_config_load_all(&cfg, &src, &ctx.err) != WS_OK)
			return fail(&ctx.err, ws_command_usage_exit(args.cmd));
		if (ws_config_apply_log(&cfg, &log, &ctx.err) != WS_OK) {
			ws_config_free(&cfg);
			return fail(&ctx.err, ws_command_usage_exit(args.cmd));
		}
		ctx.cfg = &cfg;
	}

	code = args.cmd->run(&ctx);
	if (code != WS_EXIT_OK && ctx.err.message[0] != '\0')
		fail(&ctx.err, code);
	if (ctx.cfg != NULL)
		ws_config_free(ctx.cfg);
	ws_log_close(&log);
	return code;
}
