/*
 * walshipd.c — main() of the walship daemon
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "cmd/args.h"
#include "cmd/exit_codes.h"
#include "daemon/daemon.h"

extern char **environ;

static void
usage(FILE *out)
{
	fprintf(out, "walshipd — walship daemon: WAL receiver, failover manager, metrics\n\n"
			"Usage: walshipd [--config FILE] [--name=value ...]\n\n"
			"  --config FILE   configuration file (default " WS_CONFIG_DEFAULT_FILE ")\n"
			"  --name=value    any configuration option, see \"walship help config\"\n"
			"  --help, -h      show this help\n"
			"  --version, -V   show the version\n\n"
			"Runs in the foreground. SIGHUP reloads the configuration, SIGTERM or\n"
			"SIGINT stops it. Exit codes: 0 clean stop, 1 failure, 2 usage or\n"
			"configuration error.\n");
}

int
main(int argc, char **argv)
{
	struct ws_daemon d;
	struct ws_args args;
	struct ws_error err;
	int rc;

	memset(&d, 0, sizeof(d));
	if (ws_args_parse(argc, argv, &args, &err) != WS_OK) {
		fprintf(stderr, "walshipd: error: %s\n", err.message);
		return WS_EXIT_USAGE;
	}
	if (args.cmd != NULL || args.npositional > 0) {
		fprintf(stderr, "walshipd: error: walshipd takes no command or arguments\n");
		return WS_EXIT_USAGE;
	}
	if (args.version) {
		printf("walshipd %s\n", PACKAGE_VERSION);
		return WS_EXIT_OK;
	}
	if (args.help) {
		usage(stdout);
		return WS_EXIT_OK;
	}
	d.sources.file = args.config_file;
	d.sources.file_required = args.config_file != NULL;
	d.sources.envp = environ;
	d.sources.cli = args.settings;
	d.sources.ncli = args.nsettings;
	if (ws_daemon_init(&d, &err) != WS_OK) {
		fprintf(stderr, "walshipd: error: %s\n", err.message);
		return WS_EXIT_USAGE;
	}
	rc = ws_daemon_run(&d, &err);
	if (rc != WS_OK)
		ws_log_error(&d.log, "walshipd", "%s", err.message);
	ws_daemon_free(&d);
	return rc == WS_OK ? WS_EXIT_OK : WS_EXIT_FAILURE;
}
