/*
 * test_args.c — unit tests for src/cmd/args.c and the command table
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "cmd/args.h"
#include "cmd/exit_codes.h"

#define ARGC(a) ((int) (sizeof(a) / sizeof((a)[0])))

static void
test_command_and_settings_anywhere(void **state)
{
	char *argv[] = {"walship", "--config", "/etc/w.conf", "--log-level=debug", "check",
					"--json", "--pg-conninfo", "host=x", "--expect-role=standby"};
	struct ws_args args;
	struct ws_error err;

	(void) state;
	assert_int_equal(ws_args_parse(ARGC(argv), argv, &args, &err), WS_OK);
	assert_ptr_equal(args.cmd, &ws_cmd_check);
	assert_string_equal(args.config_file, "/etc/w.conf");
	assert_int_equal(args.nsettings, 2);
	assert_string_equal(args.settings[0].name, "log-level");
	assert_string_equal(args.settings[0].value, "debug");
	assert_string_equal(args.settings[1].name, "pg-conninfo");
	assert_string_equal(args.settings[1].value, "host=x");
	assert_string_equal(args.cmd_opts[ws_command_option_index(&ws_cmd_check, "json")], "");
	assert_string_equal(args.cmd_opts[ws_command_option_index(&ws_cmd_check, "expect-role")], "standby");
}

static void
expect_error(int argc, char **argv, const char *message)
{
	struct ws_args args;
	struct ws_error err;

	assert_int_equal(ws_args_parse(argc, argv, &args, &err), WS_ERR_INVALID);
	assert_string_equal(err.message, message);
	assert_int_equal(ws_exit_code_for_status(err.status), WS_EXIT_USAGE);
}

static void
test_errors(void **state)
{
	char *unknown_cmd[] = {"walship", "frobnicate"};
	char *unknown_opt[] = {"walship", "--colour=red", "check"};
	char *unknown_cmd_opt[] = {"walship", "check", "--yaml"};
	char *missing_value[] = {"walship", "check", "--pg-conninfo"};
	char *flag_with_value[] = {"walship", "check", "--json=yes"};
	char *short_opt[] = {"walship", "-x"};
	char *extra_arg[] = {"walship", "check", "extra"};
	char *empty_name[] = {"walship", "--=x"};
	char *cmd_opt_before_cmd[] = {"walship", "--json", "check"};

	(void) state;
	expect_error(ARGC(unknown_cmd), unknown_cmd, "unknown command \"frobnicate\"");
	expect_error(ARGC(unknown_opt), unknown_opt, "unknown option \"--colour\"");
	expect_error(ARGC(unknown_cmd_opt), unknown_cmd_opt, "unknown option \"--yaml\" for command \"check\"");
	expect_error(ARGC(missing_value), missing_value, "option \"--pg-conninfo\" needs a value");
	expect_error(ARGC(flag_with_value), flag_with_value, "option \"--json\" takes no value");
	expect_error(ARGC(short_opt), short_opt, "unknown option \"-x\"");
	expect_error(ARGC(extra_arg), extra_arg, "command \"check\" takes no arguments");
	expect_error(ARGC(empty_name), empty_name, "invalid option \"--=x\"");
	expect_error(ARGC(cmd_opt_before_cmd), cmd_opt_before_cmd, "unknown option \"--json\"");
}

static void
test_help_version_and_double_dash(void **state)
{
	char *help[] = {"walship", "check", "-h"};
	char *version[] = {"walship", "-V"};
	char *dashdash[] = {"walship", "help", "--", "--json"};
	struct ws_args args;
	struct ws_error err;

	(void) state;
	assert_int_equal(ws_args_parse(ARGC(help), help, &args, &err), WS_OK);
	assert_true(args.help);
	assert_ptr_equal(args.cmd, &ws_cmd_check);
	assert_int_equal(ws_args_parse(ARGC(version), version, &args, &err), WS_OK);
	assert_true(args.version);
	assert_null(args.cmd);
	assert_int_equal(ws_args_parse(ARGC(dashdash), dashdash, &args, &err), WS_OK);
	assert_int_equal(args.npositional, 1);
	assert_string_equal(args.positional[0], "--json");
}

static void
test_too_many_settings(void **state)
{
	char *argv[WS_ARGS_MAX_SETTINGS + 3];
	struct ws_args args;
	struct ws_error err;

	(void) state;
	argv[0] = "walship";
	for (int i = 1; i < ARGC(argv); i++)
		argv[i] = "--stanza=x";
	assert_int_equal(ws_args_parse(ARGC(argv), argv, &args, &err), WS_ERR_INVALID);
	assert_string_equal(err.message, "too many options");
}

static void
test_exit_codes(void **state)
{
	(void) state;
	assert_int_equal(ws_exit_code_for_status(WS_OK), WS_EXIT_OK);
	assert_int_equal(ws_exit_code_for_status(WS_ERR_CONFIG), WS_EXIT_USAGE);
	assert_int_equal(ws_exit_code_for_status(WS_ERR_CONNECT), WS_EXIT_CONNECT);
	assert_int_equal(ws_exit_code_for_status(WS_ERR_ROLE), WS_EXIT_WRONG_ROLE);
	assert_int_equal(ws_exit_code_for_status(WS_ERR_PG), WS_EXIT_FAILURE);
	assert_int_equal(ws_exit_code_for_status(WS_ERR_IO), WS_EXIT_FAILURE);
}

static void
test_command_table(void **state)
{
	const struct ws_command *const *cmds = ws_commands();

	(void) state;
	for (int i = 0; cmds[i] != NULL; i++) {
		assert_ptr_equal(ws_command_find(cmds[i]->name), cmds[i]);
		assert_non_null(cmds[i]->run);
		assert_true(cmds[i]->min_args <= cmds[i]->max_args);
		assert_true(cmds[i]->max_args <= WS_CMD_MAX_ARGS);
	}
	assert_null(ws_command_find("nope"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_command_and_settings_anywhere),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_help_version_and_double_dash),
		cmocka_unit_test(test_too_many_settings),
		cmocka_unit_test(test_exit_codes),
		cmocka_unit_test(test_command_table),
	};

	return cmocka_run_group_tests_name("cmd/args", tests, NULL, NULL);
}
