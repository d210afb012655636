/*
 * args.c — command line parsing (see args.h)
 */
#include "cmd/args.h"

#include <string.h>

#include "common/str.h"
#include "config/config.h"

/* Split "--name=value" into a name stored in args and a value pointer. */
static int
split_long(struct ws_args *args, const char *arg, const char **name, const char **value,
		   struct ws_error *err)
{
	const char *body = arg + 2;
	const char *eq = strchr(body, '=');
	size_t len;
	char *slot;

	*value = NULL;
	if (eq == NULL) {
		*name = body;
		return WS_OK;
	}
	len = (size_t) (eq - body);
	if (len == 0 || len >= sizeof(args->names[0]) ||
		args->nnames >= (int) (sizeof(args->names) / sizeof(args->names[0])))
		return ws_error_set(err, WS_ERR_INVALID, "invalid option \"%s\"", arg);
	slot = args->names[args->nnames++];
	memcpy(slot, body, len);
	slot[len] = '\0';
	*name = slot;
	*value = eq + 1;
	return WS_OK;
}

/* Value from "=value" or the next argument. */
static int
take_value(int argc, char **argv, int *i, const char *name, const char **value,
		   struct ws_error *err)
{
	if (*value != NULL)
		return WS_OK;
	if (*i + 1 >= argc)
		return ws_error_set(err, WS_ERR_INVALID, "option \"--%s\" needs a value", name);
	*value = argv[++*i];
	return WS_OK;
}

static int
parse_long(int argc, char **argv, int *i, struct ws_args *args, struct ws_error *err)
{
	const char *name = NULL;
	const char *value = NULL;
	int idx;
	int rc;

	if ((rc = split_long(args, argv[*i], &name, &value, err)) != WS_OK)
		return rc;
	if (strcmp(name, "help") == 0 || strcmp(name, "version") == 0) {
		if (value != NULL)
			return ws_error_set(err, WS_ERR_INVALID, "option \"--%s\" takes no value", name);
		if (name[0] == 'h')
			args->help = true;
		else
			args->version = true;
		return WS_OK;
	}
	if (strcmp(name, "config") == 0) {
		if ((rc = take_value(argc, argv, i, name, &value, err)) != WS_OK)
			return rc;
		args->config_file = value;
		return WS_OK;
	}
	if (ws_option_find(name) != NULL) {
		if ((rc = take_value(argc, argv, i, name, &value, err)) != WS_OK)
			return rc;
		if (args->nsettings >= WS_ARGS_MAX_SETTINGS)
			return ws_error_set(err, WS_ERR_INVALID, "too many options");
		args->settings[args->nsettings].name = name;
		args->settings[args->nsettings].value = value;
		args->nsettings++;
		return WS_OK;
	}
	idx = args->cmd != NULL ? ws_command_option_index(args->cmd, name) : -1;
	if (idx < 0) {
		if (args->cmd != NULL)
			return ws_error_set(err, WS_ERR_INVALID, "unknown option \"--%s\" for command \"%s\"",
								name, args->cmd->name);
		return ws_error_set(err, WS_ERR_INVALID, "unknown option \"--%s\"", name);
	}
	if (args->cmd->options[idx].arg == NULL) {
		if (value != NULL)
			return ws_error_set(err, WS_ERR_INVALID, "option \"--%s\" takes no value", name);
		args->cmd_opts[idx] = "";
		return WS_OK;
	}
	if ((rc = take_value(argc, argv, i, name, &value, err)) != WS_OK)
		return rc;
	args->cmd_opts[idx] = value;
	return WS_OK;
}

static int
parse_positional(char *arg, struct ws_args *args, struct ws_error *err)
{
	if (args->cmd == NULL) {
		args->cmd = ws_command_find(arg);
		if (args->cmd == NULL)
			return ws_error_set(err, WS_ERR_INVALID, "unknown command \"%s\"", arg);
		return WS_OK;
	}
	if (args->npositional >= WS_CMD_MAX_ARGS)
		return ws_error_set(err, WS_ERR_INVALID, "too many arguments");
	args->positional[args->npositional++] = arg;
	return WS_OK;
}

int
ws_args_parse(int argc, char **argv, struct ws_args *args, struct ws_error *err)
{
	bool options_done = false;
	int rc;

	memset(args, 0, sizeof(*args));
	for (int i = 1; i < argc; i++) {
		char *arg = argv[i];

		if (!options_done && strcmp(arg, "--") == 0)
			options_done = true;
		else if (!options_done && ws_str_has_prefix(arg, "--")) {
			if ((rc = parse_long(argc, argv, &i, args, err)) != WS_OK)
				return rc;
		} else if (!options_done && (strcmp(arg, "-h") == 0 || strcmp(arg, "-?") == 0))
			args->help = true;
		else if (!options_done && strcmp(arg, "-V") == 0)
			args->version = true;
		else if (!options_done && arg[0] == '-' && arg[1] != '\0')
			return ws_error_set(err, WS_ERR_INVALID, "unknown option \"%s\"", arg);
		else if ((rc = parse_positional(arg, args, err)) != WS_OK)
			return rc;
	}
	if (args->cmd != NULL && !args->help &&
		(args->npositional < args->cmd->min_args || args->npositional > args->cmd->max_args))
		return ws_error_set(err, WS_ERR_INVALID, "command \"%s\" takes %s%s",
							args->cmd->name,
							args->cmd->max_args == 0 ? "no arguments" : "arguments ",
							args->cmd->max_args == 0 ? "" : args->cmd->args_usage);
	return WS_OK;
}
