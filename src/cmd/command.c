/*
 * command.c — command table, option lookup and help text
 */
#include "cmd/command.h"

#include <string.h>

#include "cmd/exit_codes.h"
#include "pg/conn.h"

static const struct ws_command *const command_table[] = {
	&ws_cmd_archive_get,
	&ws_cmd_archive_push,
	&ws_cmd_backup,
	&ws_cmd_check,
	&ws_cmd_expire,
	&ws_cmd_help,
	&ws_cmd_info,
	&ws_cmd_mode,
	&ws_cmd_receive,
	&ws_cmd_restore,
	&ws_cmd_slot,
	&ws_cmd_stanza_create,
	&ws_cmd_stanza_upgrade,
	&ws_cmd_standby,
	&ws_cmd_status,
	&ws_cmd_verify,
	&ws_cmd_version,
	NULL
};

const struct ws_command *const *
ws_commands(void)
{
	return command_table;
}

const struct ws_command *
ws_command_find(const char *name)
{
	for (int i = 0; command_table[i] != NULL; i++) {
		if (strcmp(command_table[i]->name, name) == 0)
			return command_table[i];
	}
	return NULL;
}

int
ws_command_option_index(const struct ws_command *cmd, const char *name)
{
	for (int i = 0; cmd->options != NULL && cmd->options[i].name != NULL; i++) {
		if (strcmp(cmd->options[i].name, name) == 0)
			return i;
	}
	return -1;
}

const char *
ws_cmd_opt(const struct ws_cmd_ctx *ctx, const char *name)
{
	int i = ws_command_option_index(ctx->cmd, name);

	return i < 0 ? NULL : ctx->opts[i];
}

int
ws_cmd_connect(const struct ws_cmd_ctx *ctx, struct ws_pg_conn **conn, struct ws_error *err)
{
	return ws_pg_connect(ws_config_str(ctx->cfg, WS_OPT_PG_CONNINFO),
						 (int) ws_config_int(ctx->cfg, WS_OPT_CONNECT_TIMEOUT), conn, err);
}

bool
ws_cmd_flag(const struct ws_cmd_ctx *ctx, const char *name)
{
	return ws_cmd_opt(ctx, name) != NULL;
}

int
ws_exit_code_for_status(int status)
{
	switch (status) {
	case WS_OK:
		return WS_EXIT_OK;
	case WS_ERR_CONFIG:
	case WS_ERR_INVALID:
		return WS_EXIT_USAGE;
	case WS_ERR_CONNECT:
		return WS_EXIT_CONNECT;
	case WS_ERR_ROLE:
		return WS_EXIT_WRONG_ROLE;
	case WS_ERR_CORRUPT:
		return WS_EXIT_CORRUPT;
	default:
		return WS_EXIT_FAILURE;
	}
}

int
ws_command_usage_exit(const struct ws_command *cmd)
{
	return cmd != NULL && cmd->usage_exit != 0 ? cmd->usage_exit : WS_EXIT_USAGE;
}

void
ws_command_print_help(const struct ws_command *cmd, FILE *out)
{
	char left[64];

	fprintf(out, "%s\n\nUsage: walship [options] %s", cmd->summary, cmd->name);
	for (int i = 0; cmd->options != NULL && cmd->options[i].name != NULL; i++)
		fprintf(out, " [--%s%s%s]", cmd->options[i].name, cmd->options[i].arg ? " " : "",
				cmd->options[i].arg ? cmd->options[i].arg : "");
	fprintf(out, "%s%s\n", cmd->args_usage[0] ? " " : "", cmd->args_usage);
	if (cmd->options != NULL && cmd->options[0].name != NULL) {
		fprintf(out, "\nOptions:\n");
		for (int i = 0; cmd->options[i].name != NULL; i++) {
			snprintf(left, sizeof(left), "--%s%s%s", cmd->options[i].name,
					 cmd->options[i].arg ? " " : "",
					 cmd->options[i].arg ? cmd->options[i].arg : "");
			fprintf(out, "  %-28s %s\n", left, cmd->options[i].help);
		}
	}
	if (cmd->uses_config)
		fprintf(out, "\nConfiguration options (walship help config) can be given as --name=value.\n");
}

void
ws_commands_print_usage(FILE *out)
{
	fprintf(out, "walship — PostgreSQL WAL archiving, streaming, backup and failover\n\n"
			"Usage: walship [--config FILE] [--name=value ...] <command> [options]\n\n"
			"Commands:\n");
	for (int i = 0; command_table[i] != NULL; i++)
		fprintf(out, "  %-14s %s\n", command_table[i]->name, command_table[i]->summary);
	fprintf(out, "\nGlobal options:\n"
			"  --config FILE   configuration file (default " WS_CONFIG_DEFAULT_FILE ")\n"
			"  --name=value    any configuration option, see \"walship help config\"\n"
			"  --help, -h      show help (\"walship <command> --help\" for a command)\n"
			"  --version, -V   show the version\n"
			"\nExit codes: 0 ok, 1 failure, 2 usage or configuration error,\n"
			"3 cannot connect to PostgreSQL, 4 PostgreSQL unsuitable for replication,\n"
			"5 server has the wrong role, 6 repository data failed verification,\n"
			"7 repository unreachable or I/O error (see walship(1)).\n");
}
