/*
 * test_config.c — unit tests for src/config (table, file, env, flags)
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/config.h"
#include "config/config_doc.h"
#include "config/size.h"

/* Write text to a fresh temporary file; the caller unlinks path. */
static void
write_conf(char *path, size_t size, const char *text)
{
	int fd;

	snprintf(path, size, "/tmp/walship-test-XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t) strlen(text));
	close(fd);
}

/* Load text as a config file; returns the status, fills err. */
static int
load_text(struct ws_config *cfg, const char *text, struct ws_error *err, char *path, size_t size)
{
	int rc;

	assert_int_equal(ws_config_init(cfg, err), WS_OK);
	write_conf(path, size, text);
	rc = ws_config_load_file(cfg, path, true, err);
	unlink(path);
	return rc;
}

static void
test_defaults(void **state)
{
	struct ws_config cfg;
	struct ws_error err;
	char src[64];

	(void) state;
	assert_int_equal(ws_config_init(&cfg, &err), WS_OK);
	assert_string_equal(ws_config_str(&cfg, WS_OPT_STANZA), "main");
	assert_string_equal(ws_config_str(&cfg, WS_OPT_COMPRESS_TYPE), "zstd");
	assert_int_equal(ws_config_int(&cfg, WS_OPT_COMPRESS_LEVEL), 3);
	assert_int_equal(ws_config_int(&cfg, WS_OPT_CONNECT_TIMEOUT), 10);
	assert_string_equal(ws_config_str(&cfg, WS_OPT_LOG_LEVEL), "info");
	assert_null(ws_config_str(&cfg, WS_OPT_PG_DATA));
	assert_null(ws_config_str(&cfg, WS_OPT_LOG_FILE));
	ws_config_describe_source(&cfg, WS_OPT_STANZA, src, sizeof(src));
	assert_string_equal(src, "default");
	ws_config_describe_source(&cfg, WS_OPT_PG_DATA, src, sizeof(src));
	assert_string_equal(src, "unset");
	assert_int_equal(ws_config_validate(&cfg, &err), WS_OK);
	ws_config_free(&cfg);
}

static void
test_table_is_well_formed(void **state)
{
	(void) state;
	for (int i = 0; i < WS_OPT__COUNT; i++) {
		const struct ws_option *opt = ws_option_get((enum ws_option_id) i);

		assert_non_null(opt);
		assert_int_equal(opt->id, i);
		assert_true(strlen(opt->help) > 10);
		assert_non_null(opt->section);
		for (const char *c = opt->name; *c; c++)
			assert_true(islower((unsigned char) *c) || isdigit((unsigned char) *c) || *c == '-');
		assert_ptr_equal(ws_option_find(opt->name), opt);
		for (int k = i + 1; k < WS_OPT__COUNT; k++)
			assert_string_not_equal(opt->name, ws_option_get((enum ws_option_id) k)->name);
		if (opt->type == WS_OPT_ENUM)
			assert_non_null(opt->allowed);
		if (opt->type == WS_OPT_INT || opt->type == WS_OPT_SIZE)
			assert_true(opt->min <= opt->max);
	}
	assert_null(ws_option_find("no-such-option"));
	assert_null(ws_option_get(WS_OPT__COUNT));
}

static void
test_env_name(void **state)
{
	char name[64];

	(void) state;
	ws_option_env_name(ws_option_find("pg-conninfo"), name, sizeof(name));
	assert_string_equal(name, "WALSHIP_PG_CONNINFO");
	ws_option_env_name(ws_option_find("pg-conninfo"), name, 12);
	assert_string_equal(name, "WALSHIP_PG_");
}

static void
test_file_every_type(void **state)
{
	struct ws_config cfg;
	struct ws_error err;
	char path[64];
	char src[128];
	char expect[128];

	(void) state;
	assert_int_equal(load_text(&cfg,
		"# comment\n"
		"stanza = \"prod\";\n"
		"pg-data = \"/var/lib/postgresql/15/main\";\n"
		"connect-timeout = 30;\n"
		"compress-type = \"ZLIB\";\n"
		"compress-level = 6L;\n"
		"log-level = \"debug\";\n",
		&err, path, sizeof(path)), WS_OK);
	assert_string_equal(ws_config_str(&cfg, WS_OPT_STANZA), "prod");
	assert_string_equal(ws_config_str(&cfg, WS_OPT_PG_DATA), "/var/lib/postgresql/15/main");
	assert_int_equal(ws_config_int(&cfg, WS_OPT_CONNECT_TIMEOUT), 30);
	/* enum values are stored in their canonical spelling */
	assert_string_equal(ws_config_str(&cfg, WS_OPT_COMPRESS_TYPE), "zlib");
	assert_int_equal(ws_config_int(&cfg, WS_OPT_COMPRESS_LEVEL), 6);
	assert_int_equal(ws_config_validate(&cfg, &err), WS_OK);
	ws_config_describe_source(&cfg, WS_OPT_LOG_LEVEL, src, sizeof(src));
	snprintf(expect, sizeof(expect), "%s:7", path);
	assert_string_equal(src, expect);
	ws_config_free(&cfg);
}

/* Each bad file gives WS_ERR_CONFIG and a message with file:line. */
static void
expect_file_error(const char *text, int line, const char *fragment)
{
	struct ws_config cfg;
	struct ws_error err;
	char path[64];
	char where[96];

	assert_int_equal(load_text(&cfg, text, &err, path, sizeof(path)), WS_ERR_CONFIG);
	snprintf(where, sizeof(where), "%s:%d: ", path, line);
	if (strncmp(err.message, where, strlen(where)) != 0 || strstr(err.message, fragment) == NULL)
		fail_msg("message \"%s\" lacks \"%s\" or \"%s\"", err.message, where, fragment);
	ws_config_free(&cfg);
}

static void
test_file_errors(void **state)
{
	(void) state;
	expect_file_error("stanza = \"a\";\nfoo = 1;\n", 2, "unknown option \"foo\"");
	expect_file_error("log-level = \"loud\";\n", 1,
					  "invalid value \"loud\" for option \"log-level\": expected one of off, error, warn, info, debug, trace");
	expect_file_error("\n\nconnect-timeout = 0;\n", 3,
					  "invalid value \"0\" for option \"connect-timeout\": must be between 1 and 3600");
	expect_file_error("connect-timeout = \"ten\";\n", 1, "expected an integer");
	expect_file_error("connect-timeout = 1.5;\n", 1, "decimal numbers are not accepted");
	expect_file_error("pg-data = \"relative/dir\";\n", 1, "expected an absolute path");
	expect_file_error("stanza = { a = 1; };\n", 1, "must be a single value");
	expect_file_error("stanza = [\"a\"];\n", 1, "must be a single value");
	expect_file_error("stanza = \"a\";\nlog-level == \"info\";\n", 2, "syntax error");
	/* libconfig notices an unterminated string at the end of the file */
	expect_file_error("stanza = \"a;\n", 2, "could not parse configuration file: syntax error");
}

static void
test_file_missing(void **state)
{
	struct ws_config cfg;
	struct ws_error err;

	(void) state;
	assert_int_equal(ws_config_init(&cfg, &err), WS_OK);
	assert_int_equal(ws_config_load_file(&cfg, "/nonexistent/walship.conf", false, &err), WS_OK);
	assert_int_equal(ws_config_load_file(&cfg, "/nonexistent/walship.conf", true, &err), WS_ERR_NOT_FOUND);
	assert_string_equal(err.message,
		"could not open configuration file \"/nonexistent/walship.conf\": No such file or directory");
	ws_config_free(&cfg);
}

static void
test_env(void **state)
{
	char *envp[] = {"PATH=/bin", "WALSHIP_LOG_LEVEL=debug", "WALSHIP_LOG_LEVELX=off",
					"WALSHIP_UNKNOWN=1", "WALSHIP_CONNECT_TIMEOUT=7", NULL};
	char *bad[] = {"WALSHIP_CONNECT_TIMEOUT=soon", NULL};
	struct ws_config cfg;
	struct ws_error err;

	(void) state;
	assert_int_equal(ws_config_init(&cfg, &err), WS_OK);
	assert_int_equal(ws_config_load_env(&cfg, envp, &err), WS_OK);
	assert_string_equal(ws_config_str(&cfg, WS_OPT_LOG_LEVEL), "debug");
	assert_int_equal(ws_config_int(&cfg, WS_OPT_CONNECT_TIMEOUT), 7);
	assert_int_equal(cfg.values[WS_OPT_LOG_LEVEL].source, WS_SRC_ENV);
	assert_int_equal(ws_config_load_env(&cfg, bad, &err), WS_ERR_CONFIG);
	assert_string_equal(err.message,
		"environment variable WALSHIP_CONNECT_TIMEOUT: invalid value \"soon\" for option \"connect-timeout\": expected an integer");
	/* a failed value leaves the previous one */
	assert_int_equal(ws_config_int(&cfg, WS_OPT_CONNECT_TIMEOUT), 7);
	ws_config_free(&cfg);
}

static void
test_precedence(void **state)
{
	char *envp[] = {"WALSHIP_STANZA=from-env", "WALSHIP_LOG_LEVEL=warn", NULL};
	struct ws_config_setting cli[] = {{"stanza", "from-cli"}};
	struct ws_config_sources src = {0};
	struct ws_config cfg;
	struct ws_error err;
	char path[64];

	(void) state;
	write_conf(path, sizeof(path),
			   "stanza = \"from-file\";\nlog-level = \"error\";\nrepo-path = \"/srv/repo\";\n");
	src.file = path;
	src.file_required = true;
	src.envp = envp;
	src.cli = cli;
	src.ncli = 1;
	assert_int_equal(ws_config_load_all(&cfg, &src, &err), WS_OK);
	unlink(path);
	assert_string_equal(ws_config_str(&cfg, WS_OPT_STANZA), "from-cli");
	assert_string_equal(ws_config_str(&cfg, WS_OPT_LOG_LEVEL), "warn");
	assert_string_equal(ws_config_str(&cfg, WS_OPT_REPO_PATH), "/srv/repo");
	assert_string_equal(ws_config_str(&cfg, WS_OPT_COMPRESS_TYPE), "zstd");
	ws_config_free(&cfg);
}

static void
test_load_all_errors(void **state)
{
	struct ws_config_setting bad_cli[] = {{"compress-level", "99"}};
	struct ws_config_setting unknown_cli[] = {{"colour", "blue"}};
	struct ws_config_sources src = {0};
	struct ws_config cfg;
	struct ws_error err;

	(void) state;
	src.file = "/nonexistent/walship.conf";
	src.file_required = false;
	src.cli = bad_cli;
	src.ncli = 1;
	assert_int_equal(ws_config_load_all(&cfg, &src, &err), WS_ERR_CONFIG);
	assert_string_equal(err.message,
		"command line: invalid value \"99\" for option \"compress-level\": must be between 0 and 22");
	src.cli = unknown_cli;
	assert_int_equal(ws_config_load_all(&cfg, &src, &err), WS_ERR_CONFIG);
	assert_string_equal(err.message, "command line: unknown option \"colour\"");
	/* a missing explicit file is a configuration error for the caller */
	src.ncli = 0;
	src.file_required = true;
	assert_int_equal(ws_config_load_all(&cfg, &src, &err), WS_ERR_CONFIG);
}

static void
test_validate_compression_levels(void **state)
{
	struct ws_config cfg;
	struct ws_error err;

	(void) state;
	assert_int_equal(ws_config_init(&cfg, &err), WS_OK);
	assert_int_equal(ws_config_set(&cfg, "compress-level", "0", WS_SRC_CLI, 0, &err), WS_OK);
	assert_int_equal(ws_config_validate(&cfg, &err), WS_ERR_CONFIG);
	assert_string_equal(err.message, "compress-level 0 is out of range for zstd: must be between 1 and 19");
	assert_int_equal(ws_config_set(&cfg, "compress-type", "zlib", WS_SRC_CLI, 0, &err), WS_OK);
	assert_int_equal(ws_config_validate(&cfg, &err), WS_OK);
	assert_int_equal(ws_config_set(&cfg, "compress-level", "12", WS_SRC_CLI, 0, &err), WS_OK);
	assert_int_equal(ws_config_validate(&cfg, &err), WS_ERR_CONFIG);
	assert_int_equal(ws_config_set(&cfg, "compress-type", "none", WS_SRC_CLI, 0, &err), WS_OK);
	assert_int_equal(ws_config_validate(&cfg, &err), WS_OK);
	ws_config_free(&cfg);
}

static void
test_validate_repository_and_cipher(void **state)
{
	struct ws_config cfg;
	struct ws_error err;

	(void) state;
	assert_int_equal(ws_config_init(&cfg, &err), WS_OK);
	assert_int_equal(ws_config_set(&cfg, "repo-type", "s3", WS_SRC_CLI, 0, &err), WS_OK);
	assert_int_equal(ws_config_validate(&cfg, &err), WS_ERR_CONFIG);
	assert_string_equal(err.message, "repo-type s3 needs option \"repo-s3-bucket\"");
	assert_int_equal(ws_config_set(&cfg, "repo-s3-bucket", "b", WS_SRC_CLI, 0, &err), WS_OK);
	assert_int_equal(ws_config_set(&cfg, "repo-s3-endpoint", "127.0.0.1:9000", WS_SRC_CLI, 0, &err), WS_OK);
	assert_int_equal(ws_config_set(&cfg, "repo-s3-key", "k", WS_SRC_CLI, 0, &err), WS_OK);
	assert_int_equal(ws_config_validate(&cfg, &err), WS_ERR_CONFIG);
	assert_string_equal(err.message, "repo-type s3 needs option \"repo-s3-key-secret\"");
	assert_int_equal(ws_config_set(&cfg, "repo-s3-key-secret", "s", WS_SRC_CLI, 0, &err), WS_OK);
	assert_int_equal(ws_config_validate(&cfg, &err), WS_OK);

	assert_int_equal(ws_config_set(&cfg, "repo-cipher-type", "aes-256-gcm", WS_SRC_CLI, 0, &err), WS_OK);
	assert_int_equal(ws_config_validate(&cfg, &err), WS_ERR_CONFIG);
	assert_string_equal(err.message, "repo-cipher-type aes-256-gcm needs repo-cipher-pass or repo-cipher-key-file");
	assert_int_equal(ws_config_set(&cfg, "repo-cipher-pass", "secret words", WS_SRC_CLI, 0, &err), WS_OK);
	assert_int_equal(ws_config_validate(&cfg, &err), WS_OK);
	ws_config_free(&cfg);
}

static void
test_validate_metrics_listen(void **state)
{
	struct ws_config cfg;
	struct ws_error err;

	(void) state;
	assert_int_equal(ws_config_init(&cfg, &err), WS_OK);
	assert_string_equal(ws_config_str(&cfg, WS_OPT_METRICS_LISTEN), "");
	assert_int_equal(ws_config_validate(&cfg, &err), WS_OK);
	assert_int_equal(ws_config_set(&cfg, "metrics-listen", "127.0.0.1:9187", WS_SRC_CLI, 0, &err), WS_OK);
	assert_int_equal(ws_config_validate(&cfg, &err), WS_OK);
	assert_int_equal(ws_config_set(&cfg, "metrics-listen", "[::1]:9187", WS_SRC_CLI, 0, &err), WS_OK);
	assert_int_equal(ws_config_validate(&cfg, &err), WS_OK);
	assert_int_equal(ws_config_set(&cfg, "metrics-listen", "9187", WS_SRC_CLI, 0, &err), WS_OK);
	assert_int_equal(ws_config_validate(&cfg, &err), WS_ERR_CONFIG);
	assert_int_equal(err.status, WS_ERR_CONFIG);
	assert_string_equal(err.message, "command line: invalid value \"9187\" for option \"metrics-listen\": no port: "
						"expected host:port with an IPv4 address, \"localhost\" or an IPv6 address in brackets, "
						"e.g. 127.0.0.1:9187 or [::1]:9187");
	snprintf(cfg.file, sizeof(cfg.file), "/etc/walship.conf");
	assert_int_equal(ws_config_set(&cfg, "metrics-listen", "localhost:99999", WS_SRC_FILE, 7, &err), WS_OK);
	assert_int_equal(ws_config_validate(&cfg, &err), WS_ERR_CONFIG);
	assert_string_equal(err.message, "/etc/walship.conf:7: invalid value \"localhost:99999\" for option "
						"\"metrics-listen\": the port must be a number from 1 to 65535");
	ws_config_free(&cfg);
}

static void
test_value_too_long(void **state)
{
	struct ws_config cfg;
	struct ws_error err;
	char *big = malloc(WS_CONFIG_VALUE_MAX + 1);

	(void) state;
	assert_non_null(big);
	memset(big, 'x', WS_CONFIG_VALUE_MAX);
	big[WS_CONFIG_VALUE_MAX] = '\0';
	assert_int_equal(ws_config_init(&cfg, &err), WS_OK);
	assert_int_equal(ws_config_set(&cfg, "stanza", big, WS_SRC_CLI, 0, &err), WS_ERR_CONFIG);
	assert_non_null(strstr(err.message, "too long"));
	assert_string_equal(ws_config_str(&cfg, WS_OPT_STANZA), "main");
	free(big);
	ws_config_free(&cfg);
}

static void
expect_size(const char *text, int64_t bytes)
{
	int64_t got = -42;

	if (ws_size_parse(text, &got) != WS_OK)
		fail_msg("\"%s\" did not parse", text);
	if (got != bytes)
		fail_msg("\"%s\" parsed as %lld, expected %lld", text, (long long) got, (long long) bytes);
}

static void
expect_size_error(const char *text, int status)
{
	int64_t got = -42;

	if (ws_size_parse(text, &got) != status)
		fail_msg("\"%s\" did not fail with %d", text, status);
	assert_int_equal(got, -42);
}

static void
test_size_units(void **state)
{
	(void) state;
	expect_size("0", 0);
	expect_size("1234", 1234);
	expect_size("0B", 0);
	expect_size("512B", 512);
	expect_size("1kB", 1024);
	expect_size("16MB", 16 * 1024 * 1024);
	expect_size("1GB", INT64_C(1) << 30);
	expect_size("2TB", INT64_C(2) << 40);
	/* blanks between number and unit, and around the whole, as PostgreSQL allows */
	expect_size("16 MB", 16 * 1024 * 1024);
	expect_size("16\tMB", 16 * 1024 * 1024);
	expect_size(" 8kB ", 8192);
	expect_size("007MB", 7 * 1024 * 1024);
	/* the largest values that fit */
	expect_size("9223372036854775807", INT64_MAX);
	expect_size("8388607TB", INT64_C(8388607) << 40);
}

static void
test_size_garbage(void **state)
{
	(void) state;
	/* units are case-sensitive, as in postgresql.conf */
	expect_size_error("16mb", WS_ERR_INVALID);
	expect_size_error("16Mb", WS_ERR_INVALID);
	expect_size_error("1KB", WS_ERR_INVALID);
	expect_size_error("1kb", WS_ERR_INVALID);
	expect_size_error("1 PB", WS_ERR_INVALID);
	expect_size_error("16MiB", WS_ERR_INVALID);
	expect_size_error("16M", WS_ERR_INVALID);
	expect_size_error("", WS_ERR_INVALID);
	expect_size_error("   ", WS_ERR_INVALID);
	expect_size_error("MB", WS_ERR_INVALID);
	expect_size_error("-1", WS_ERR_INVALID);
	expect_size_error("-16MB", WS_ERR_INVALID);
	expect_size_error("+16MB", WS_ERR_INVALID);
	expect_size_error("1.5GB", WS_ERR_INVALID);
	expect_size_error("0x10", WS_ERR_INVALID);
	expect_size_error("16 MB x", WS_ERR_INVALID);
	expect_size_error("16 M B", WS_ERR_INVALID);
	expect_size_error("16MB\n", WS_ERR_INVALID);
	/* overflow of the number, and of number times unit */
	expect_size_error("9223372036854775808", WS_ERR_TOO_LARGE);
	expect_size_error("99999999999999999999999", WS_ERR_TOO_LARGE);
	expect_size_error("8388608TB", WS_ERR_TOO_LARGE);
	expect_size_error("9007199254740992kB", WS_ERR_TOO_LARGE);
	assert_int_equal(ws_size_parse(NULL, &(int64_t){0}), WS_ERR_INVALID);
}

static void
test_size_format(void **state)
{
	char buf[WS_SIZE_STRLEN];
	const int64_t values[] = {0, 1, 1000, 1024, 1536, 16 * 1024 * 1024, INT64_C(1) << 30,
							  INT64_C(1125899906842624), INT64_MAX};

	(void) state;
	ws_size_format(16 * 1024 * 1024, buf, sizeof(buf));
	assert_string_equal(buf, "16MB");
	ws_size_format(1536, buf, sizeof(buf));
	assert_string_equal(buf, "1536B");
	ws_size_format(1125899906842624, buf, sizeof(buf));
	assert_string_equal(buf, "1024TB");
	ws_size_format(0, buf, sizeof(buf));
	assert_string_equal(buf, "0");
	/* what is printed parses back to the same number */
	for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		int64_t back = -1;

		ws_size_format(values[i], buf, sizeof(buf));
		assert_int_equal(ws_size_parse(buf, &back), WS_OK);
		assert_true(back == values[i]);
	}
}

/* Size options from every source, and their errors with file and line. */
static void
test_size_options(void **state)
{
	char *envp[] = {"WALSHIP_LAG_CRIT=2 GB", NULL};
	char *bad_env[] = {"WALSHIP_LAG_CRIT=2 gigabytes", NULL};
	struct ws_config cfg;
	struct ws_error err;
	char path[64];

	(void) state;
	assert_int_equal(ws_config_init(&cfg, &err), WS_OK);
	assert_int_equal(ws_option_find("lag-warn")->type, WS_OPT_SIZE);
	assert_int_equal(ws_config_int(&cfg, WS_OPT_LAG_WARN), 16 * 1024 * 1024);
	assert_int_equal(ws_config_int(&cfg, WS_OPT_LAG_CRIT), INT64_C(1) << 30);
	assert_int_equal(ws_config_int(&cfg, WS_OPT_MAX_SLOT_WAL_KEEP), 0);
	assert_int_equal(ws_config_set(&cfg, "lag-warn", "1kB", WS_SRC_CLI, 0, &err), WS_OK);
	assert_int_equal(ws_config_int(&cfg, WS_OPT_LAG_WARN), 1024);
	assert_string_equal(ws_config_str(&cfg, WS_OPT_LAG_WARN), "1kB");
	assert_int_equal(ws_config_load_env(&cfg, envp, &err), WS_OK);
	assert_int_equal(ws_config_int(&cfg, WS_OPT_LAG_CRIT), INT64_C(2) << 30);
	assert_int_equal(ws_config_load_env(&cfg, bad_env, &err), WS_ERR_CONFIG);
	assert_string_equal(err.message,
		"environment variable WALSHIP_LAG_CRIT: invalid value \"2 gigabytes\" for option \"lag-crit\": expected a whole number of bytes, optionally with a unit (B, kB, MB, GB or TB), e.g. 16MB");
	assert_int_equal(ws_config_set(&cfg, "lag-warn", "2048TB", WS_SRC_CLI, 0, &err), WS_ERR_CONFIG);
	assert_string_equal(err.message,
		"invalid value \"2048TB\" for option \"lag-warn\": must be between 0 and 1024TB");
	assert_int_equal(ws_config_set(&cfg, "lag-warn", "99999999999TB", WS_SRC_CLI, 0, &err), WS_ERR_CONFIG);
	assert_non_null(strstr(err.message, "must be between 0 and 1024TB"));
	assert_int_equal(ws_config_set(&cfg, "lag-warn", "-1MB", WS_SRC_CLI, 0, &err), WS_ERR_CONFIG);
	assert_non_null(strstr(err.message, "expected a whole number of bytes"));
	/* a failed value leaves the previous one */
	assert_int_equal(ws_config_int(&cfg, WS_OPT_LAG_WARN), 1024);
	ws_config_free(&cfg);

	/* the file: an integer is bytes, a string may have a unit */
	assert_int_equal(load_text(&cfg, "lag-warn = 4096;\nlag-crit = \"64 MB\";\nmax-slot-wal-keep = 10737418240L;\n",
							   &err, path, sizeof(path)), WS_OK);
	assert_int_equal(ws_config_int(&cfg, WS_OPT_LAG_WARN), 4096);
	assert_int_equal(ws_config_int(&cfg, WS_OPT_LAG_CRIT), 64 * 1024 * 1024);
	assert_int_equal(ws_config_int(&cfg, WS_OPT_MAX_SLOT_WAL_KEEP), INT64_C(10) << 30);
	ws_config_free(&cfg);
	expect_file_error("stanza = \"a\";\nlag-warn = \"16 XB\";\n", 2,
					  "invalid value \"16 XB\" for option \"lag-warn\": expected a whole number of bytes");
	expect_file_error("\n\n\nlag-crit = -5;\n", 4, "invalid value \"-5\" for option \"lag-crit\"");
	expect_file_error("max-slot-wal-keep = \"9999999TB\";\n", 1, "must be between 0 and 1024TB");
	expect_file_error("lag-warn = 1.5;\n", 1, "decimal numbers are not accepted");
}

/* The generated documents mention every option. */
static void
test_docs_list_every_option(void **state)
{
	char *text = NULL;
	size_t len = 0;

	(void) state;
	for (int kind = 0; kind < 3; kind++) {
		FILE *out = open_memstream(&text, &len);

		assert_non_null(out);
		if (kind == 0)
			ws_config_doc_text(out);
		else if (kind == 1)
			ws_config_doc_sample(out);
		else
			ws_config_doc_man(out);
		fclose(out);
		for (int i = 0; i < WS_OPT__COUNT; i++) {
			const char *name = ws_option_get((enum ws_option_id) i)->name;
			char man_name[64];
			size_t k = 0;

			/* troff escapes hyphens */
			for (const char *c = name; *c && k + 3 < sizeof(man_name); c++) {
				if (*c == '-')
					man_name[k++] = '\\';
				man_name[k++] = *c;
			}
			man_name[k] = '\0';
			assert_non_null(strstr(text, kind == 2 ? man_name : name));
		}
		free(text);
		text = NULL;
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_table_is_well_formed),
		cmocka_unit_test(test_env_name),
		cmocka_unit_test(test_file_every_type),
		cmocka_unit_test(test_file_errors),
		cmocka_unit_test(test_file_missing),
		cmocka_unit_test(test_env),
		cmocka_unit_test(test_precedence),
		cmocka_unit_test(test_load_all_errors),
		cmocka_unit_test(test_validate_compression_levels),
		cmocka_unit_test(test_validate_repository_and_cipher),
		cmocka_unit_test(test_validate_metrics_listen),
		cmocka_unit_test(test_value_too_long),
		cmocka_unit_test(test_docs_list_every_option),
		cmocka_unit_test(test_size_units),
		cmocka_unit_test(test_size_garbage),
		cmocka_unit_test(test_size_format),
		cmocka_unit_test(test_size_options),
	};

	return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
