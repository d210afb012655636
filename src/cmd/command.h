/*
 * command.h — the table of walship commands and what a command receives
 *
 * One file per command in src/cmd implements run(); walship.c only parses
 * arguments, loads the configuration and dispatches.
 */
#ifndef WALSHIP_CMD_COMMAND_H
#define WALSHIP_CMD_COMMAND_H

#include <stdbool.h>
#include <stdio.h>

#include "common/error.h"
#include "common/log.h"
#include "config/config.h"

#define WS_CMD_MAX_OPTIONS 16
#define WS_CMD_MAX_ARGS 16

struct ws_cmd_option {
	const char *name;      /* without "--"; NULL ends the list */
	const char *arg;       /* value placeholder, NULL for a flag */
	const char *help;
};

struct ws_command;

struct ws_cmd_ctx {
	const struct ws_command *cmd;
	struct ws_config *cfg;
	struct ws_log *log;
	FILE *out;
	const char *opts[WS_CMD_MAX_OPTIONS];  /* by option index; "" for a flag given */
	int argc;
	char **argv;                           /* positional arguments */
	struct ws_error err;
};

struct ws_command {
	const char *name;
	const char *summary;
	const char *args_usage;                /* positional arguments, "" if none */
	int min_args;
	int max_args;
	bool uses_config;                      /* help and version do not */
	const struct ws_cmd_option *options;
	/* Exit code for bad arguments or configuration; 0 means WS_EXIT_USAGE. */
	int usage_exit;
	/* Returns an exit code (exit_codes.h); on failure ctx->err says why. */
	int (*run)(struct ws_cmd_ctx *ctx);
};

/* NULL-terminated list of all commands, in help order. */
const struct ws_command *const *ws_commands(void);
const struct ws_command *ws_command_find(const char *name);
/* Index of a command option, or -1. */
int ws_command_option_index(const struct ws_command *cmd, const char *name);

/* Value of a command option given on the command line, NULL if absent. */
const char *ws_cmd_opt(const struct ws_cmd_ctx *ctx, const char *name);
bool ws_cmd_flag(const struct ws_cmd_ctx *ctx, const char *name);

/* Connect to the server pg-conninfo names, within connect-timeout. */
struct ws_pg_conn;
int ws_cmd_connect(const struct ws_cmd_ctx *ctx, struct ws_pg_conn **conn, struct ws_error *err);

/* The command's usage_exit, WS_EXIT_USAGE for NULL or when it sets none. */
int ws_command_usage_exit(const struct ws_command *cmd);

void ws_command_print_help(const struct ws_command *cmd, FILE *out);
void ws_commands_print_usage(FILE *out);

/* Commands, one per file. */
extern const struct ws_command ws_cmd_archive_get;
extern const struct ws_command ws_cmd_backup;
extern const struct ws_command ws_cmd_standby;
extern const struct ws_command ws_cmd_mode;
extern const struct ws_command ws_cmd_receive;
extern const struct ws_command ws_cmd_restore;
extern const struct ws_command ws_cmd_archive_push;
extern const struct ws_command ws_cmd_check;
extern const struct ws_command ws_cmd_expire;
extern const struct ws_command ws_cmd_info;
extern const struct ws_command ws_cmd_stanza_create;
extern const struct ws_command ws_cmd_stanza_upgrade;
extern const struct ws_command ws_cmd_help;
extern const struct ws_command ws_cmd_verify;
extern const struct ws_command ws_cmd_status;
extern const struct ws_command ws_cmd_slot;
extern const struct ws_command ws_cmd_version;

#endif
