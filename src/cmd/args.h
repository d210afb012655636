/*
 * args.h — split walship's command line into configuration flags, the
 * command, its options and its positional arguments
 *
 * Configuration options (--name=value or --name value) may appear anywhere;
 * command options must follow the command name.
 */
#ifndef WALSHIP_CMD_ARGS_H
#define WALSHIP_CMD_ARGS_H

#include <stdbool.h>

#include "cmd/command.h"
#include "common/error.h"

#define WS_ARGS_MAX_SETTINGS 64

struct ws_args {
	const char *config_file;     /* --config, NULL if not given */
	bool help;
	bool version;
	const struct ws_command *cmd;
	struct ws_config_setting settings[WS_ARGS_MAX_SETTINGS];
	int nsettings;
	const char *cmd_opts[WS_CMD_MAX_OPTIONS];
	char *positional[WS_CMD_MAX_ARGS];
	int npositional;
	/* storage for names split off "--name=value" */
	char names[WS_ARGS_MAX_SETTINGS + WS_CMD_MAX_OPTIONS][64];
	int nnames;
};

/* WS_ERR_INVALID with a one-line reason on bad arguments. */
int ws_args_parse(int argc, char **argv, struct ws_args *args, struct ws_error *err);

#endif
