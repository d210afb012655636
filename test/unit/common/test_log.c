/*
 * test_log.c — unit tests for src/common/log.c
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <regex.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/error.h"
#include "common/log.h"
#include "common/str.h"

struct fixture {
	char dir[PATH_MAX];
	char path[PATH_MAX];	/* dir/walship.log */
	struct ws_log log;
	char content[65536];	/* what the log file holds, see slurp() */
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	ws_strlcpy(f->dir, "/tmp/ws_test_log.XXXXXX", sizeof(f->dir));
	if (mkdtemp(f->dir) == NULL ||
		ws_snprintf(f->path, sizeof(f->path), "%s/walship.log", f->dir) != WS_OK) {
		free(f);
		return -1;
	}
	ws_log_init_stderr(&f->log, WS_LOG_TRACE);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	ws_log_close(&f->log);
	unlink(f->path);
	rmdir(f->dir);
	free(f);
	return 0;
}

static void
open_log(struct fixture *f, enum ws_log_level level)
{
	struct ws_error err;

	f->log.level = level;
	if (ws_log_open_file(&f->log, f->path, &err) != WS_OK)
		fail_msg("%s", err.message);
}

/* read the whole log file into f->content; returns the number of lines */
static int
slurp(struct fixture *f)
{
	FILE *fp = fopen(f->path, "r");
	size_t n;
	int lines = 0;

	assert_non_null(fp);
	n = fread(f->content, 1, sizeof(f->content) - 1, fp);
	assert_int_equal(ferror(fp), 0);
	fclose(fp);
	f->content[n] = '\0';
	for (size_t i = 0; i < n; i++)
		if (f->content[i] == '\n')
			lines++;
	/* every line is complete */
	assert_true(n == 0 || f->content[n - 1] == '\n');
	return lines;
}

/* the part of a line after "... [pid] LEVEL " */
static const char *
after_prefix(const char *line)
{
	const char *p = strchr(line, ']');

	assert_non_null(p);
	return p + 2 + 5 + 1;
}

static void
test_init_stderr(void **state)
{
	struct ws_log log;

	(void) state;
	ws_log_init_stderr(&log, WS_LOG_INFO);
	assert_int_equal(log.level, WS_LOG_INFO);
	assert_ptr_equal(log.stream, stderr);
	assert_false(log.owns_stream);
	/* closing a log on stderr leaves stderr open */
	ws_log_close(&log);
	assert_ptr_equal(log.stream, stderr);
	assert_int_not_equal(fcntl(STDERR_FILENO, F_GETFD), -1);
}

static void
test_line_format(void **state)
{
	struct fixture *f = *state;
	regex_t re;
	regmatch_t m[4];
	struct tm tm;
	char stamp[32];
	char pid[32];
	time_t logged;
	time_t now;

	open_log(f, WS_LOG_INFO);
	ws_log_info(&f->log, "archive", "pushed \"%s\" in %d ms", "000000010000000000000001", 12);
	assert_int_equal(slurp(f), 1);

	assert_int_equal(regcomp(&re,
							 "^([0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2})"
							 "\\.[0-9]{3} UTC \\[([0-9]+)\\] INFO  archive: "
							 "pushed \"000000010000000000000001\" in 12 ms\n$",
							 REG_EXTENDED), 0);
	if (regexec(&re, f->content, 4, m, 0) != 0)
		fail_msg("unexpected line: %s", f->content);
	regfree(&re);

	/* the pid is ours */
	ws_snprintf(pid, sizeof(pid), "%ld", (long) getpid());
	assert_int_equal(m[2].rm_eo - m[2].rm_so, (regoff_t) strlen(pid));
	assert_memory_equal(f->content + m[2].rm_so, pid, strlen(pid));

	/* the time is UTC wall clock, i.e. now */
	memcpy(stamp, f->content + m[1].rm_so, (size_t) (m[1].rm_eo - m[1].rm_so));
	stamp[m[1].rm_eo - m[1].rm_so] = '\0';
	memset(&tm, 0, sizeof(tm));
	assert_non_null(strptime(stamp, "%Y-%m-%d %H:%M:%S", &tm));
	logged = timegm(&tm);
	now = time(NULL);
	assert_true(logged <= now && now - logged < 60);
}

static void
test_level_padding(void **state)
{
	struct fixture *f = *state;
	const char *p;

	open_log(f, WS_LOG_TRACE);
	ws_log_error(&f->log, "c", "e");
	ws_log_warn(&f->log, "c", "w");
	ws_log_info(&f->log, "c", "i");
	ws_log_debug(&f->log, "c", "d");
	ws_log_trace(&f->log, "c", "t");
	assert_int_equal(slurp(f), 5);

	p = f->content;
	assert_non_null(strstr(p, "] ERROR c: e\n"));
	assert_non_null(strstr(p, "] WARN  c: w\n"));
	assert_non_null(strstr(p, "] INFO  c: i\n"));
	assert_non_null(strstr(p, "] DEBUG c: d\n"));
	assert_non_null(strstr(p, "] TRACE c: t\n"));
	/* in the order written */
	assert_true(strstr(p, "ERROR") < strstr(p, "WARN ") &&
				strstr(p, "WARN ") < strstr(p, "TRACE"));
}

static void
test_level_filtering(void **state)
{
	struct fixture *f = *state;

	open_log(f, WS_LOG_WARN);
	ws_log_trace(&f->log, "c", "no");
	ws_log_debug(&f->log, "c", "no");
	ws_log_info(&f->log, "c", "no");
	ws_log_warn(&f->log, "c", "yes1");
	ws_log_error(&f->log, "c", "yes2");
	/* OFF is never a level to write at */
	ws_log_write(&f->log, WS_LOG_OFF, "c", "no");
	assert_int_equal(slurp(f), 2);
	assert_null(strstr(f->content, "no"));

	/* level can be changed on the fly */
	f->log.level = WS_LOG_OFF;
	ws_log_error(&f->log, "c", "no");
	assert_int_equal(slurp(f), 2);
	f->log.level = WS_LOG_DEBUG;
	ws_log_debug(&f->log, "c", "yes3");
	ws_log_trace(&f->log, "c", "no");
	assert_int_equal(slurp(f), 3);
	assert_null(strstr(f->content, "no"));
}

static void
test_null_log(void **state)
{
	(void) state;
	errno = EBUSY;
	ws_log_error(NULL, "c", "nowhere %d", 1);
	assert_int_equal(errno, EBUSY);
}

static void
test_newlines_replaced(void **state)
{
	struct fixture *f = *state;

	open_log(f, WS_LOG_INFO);
	ws_log_info(&f->log, "pg", "ERROR:  x\nDETAIL:  y\r\nz\n");
	ws_log_info(&f->log, "pg", "%s", "\n");
	ws_log_info(&f->log, "pg", "%s", "mid\rdle");
	assert_int_equal(slurp(f), 3);
	assert_non_null(strstr(f->content, " INFO  pg: ERROR:  x DETAIL:  y  z\n"));
	assert_non_null(strstr(f->content, " INFO  pg: \n"));
	assert_non_null(strstr(f->content, " INFO  pg: mid dle\n"));
}

static void
test_errno_preserved_and_percent_m(void **state)
{
	struct fixture *f = *state;

	open_log(f, WS_LOG_INFO);
	errno = ENOENT;
	ws_log_error(&f->log, "fs", "could not open file \"%s\": %m", "/x");
	assert_int_equal(errno, ENOENT);
	/* also when the message is filtered out */
	errno = EPERM;
	ws_log_debug(&f->log, "fs", "skipped: %m");
	assert_int_equal(errno, EPERM);
	assert_int_equal(slurp(f), 1);
	assert_non_null(strstr(f->content,
						   "fs: could not open file \"/x\": No such file or directory\n"));
}

static void
test_no_component(void **state)
{
	struct fixture *f = *state;

	open_log(f, WS_LOG_INFO);
	ws_log_info(&f->log, NULL, "plain");
	assert_int_equal(slurp(f), 1);
	assert_string_equal(after_prefix(f->content), "plain\n");
}

static void
test_long_message_truncated(void **state)
{
	struct fixture *f = *state;
	char *big = malloc(20000);
	size_t len;

	assert_non_null(big);
	memset(big, 'q', 19999);
	big[19999] = '\0';
	open_log(f, WS_LOG_INFO);
	ws_log_info(&f->log, "c", "%s", big);
	ws_log_info(&f->log, "c", "next");
	free(big);

	assert_int_equal(slurp(f), 2);
	len = (size_t) (strchr(f->content, '\n') - f->content);
	assert_true(len < 8192);
	assert_memory_equal(f->content + len - 4, "q...", 4);
	assert_non_null(strstr(f->content + len, " INFO  c: next\n"));
}

static void
test_append_mode_and_file_mode(void **state)
{
	struct fixture *f = *state;
	struct stat st;
	mode_t old_umask = umask(022);

	open_log(f, WS_LOG_INFO);
	umask(old_umask);
	/* a restore_command or archive_command child must not inherit it */
	assert_true(fcntl(fileno(f->log.stream), F_GETFD) & FD_CLOEXEC);
	ws_log_info(&f->log, "c", "first");
	ws_log_close(&f->log);
	assert_ptr_equal(f->log.stream, stderr);
	assert_false(f->log.owns_stream);
	assert_int_equal(stat(f->path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0640);

	/* reopening appends */
	open_log(f, WS_LOG_INFO);
	ws_log_info(&f->log, "c", "second");
	assert_int_equal(slurp(f), 2);
	assert_true(strstr(f->content, "first") < strstr(f->content, "second"));
}

static void
test_open_failure_keeps_stream(void **state)
{
	struct fixture *f = *state;
	struct ws_error err;
	char bad[PATH_MAX];
	FILE *before;

	open_log(f, WS_LOG_INFO);
	before = f->log.stream;
	ws_snprintf(bad, sizeof(bad), "%s/missing/x.log", f->dir);
	assert_int_equal(ws_log_open_file(&f->log, bad, &err), WS_ERR_IO);
	assert_true(ws_str_has_prefix(err.message, "could not open log file \""));
	assert_true(ws_str_has_suffix(err.message, "\": No such file or directory"));
	assert_ptr_equal(f->log.stream, before);
	assert_true(f->log.owns_stream);
	ws_log_info(&f->log, "c", "still here");
	assert_int_equal(slurp(f), 1);
}

static void
test_open_replaces_owned_stream(void **state)
{
	struct fixture *f = *state;
	char other[PATH_MAX];
	struct ws_error err;
	FILE *fp;
	char line[256];

	/* the first file must be closed, not leaked (valgrind/ASan check that) */
	ws_snprintf(other, sizeof(other), "%s/other.log", f->dir);
	assert_int_equal(ws_log_open_file(&f->log, other, &err), WS_OK);
	ws_log_info(&f->log, "c", "to other");
	open_log(f, WS_LOG_INFO);
	ws_log_info(&f->log, "c", "to main");
	assert_int_equal(slurp(f), 1);
	assert_non_null(strstr(f->content, "to main"));

	fp = fopen(other, "r");
	assert_non_null(fp);
	assert_non_null(fgets(line, sizeof(line), fp));
	assert_null(fgets(line + strlen(line), (int) (sizeof(line) - strlen(line)), fp));
	fclose(fp);
	assert_non_null(strstr(line, "to other\n"));
	unlink(other);
}

static void
test_level_parse_and_name(void **state)
{
	static const struct {
		const char *name;
		enum ws_log_level level;
	} ok[] = {
		{"off", WS_LOG_OFF}, {"ERROR", WS_LOG_ERROR}, {"warn", WS_LOG_WARN},
		{"Warning", WS_LOG_WARN}, {"info", WS_LOG_INFO}, {"Debug", WS_LOG_DEBUG},
		{"TRACE", WS_LOG_TRACE},
	};
	static const char *const bad[] = {"", "verbose", "inf", "info ", " info", "5"};
	enum ws_log_level level;

	(void) state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		level = WS_LOG_INFO;
		assert_int_equal(ws_log_level_parse(ok[i].name, &level), WS_OK);
		assert_int_equal(level, ok[i].level);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		level = WS_LOG_DEBUG;
		assert_int_equal(ws_log_level_parse(bad[i], &level), WS_ERR_INVALID);
		assert_int_equal(level, WS_LOG_DEBUG);
	}
	assert_int_equal(ws_log_level_parse(NULL, &level), WS_ERR_INVALID);

	/* every name parses back to its level */
	for (int l = WS_LOG_OFF; l <= WS_LOG_TRACE; l++) {
		const char *name = ws_log_level_name((enum ws_log_level) l);

		assert_int_equal(ws_log_level_parse(name, &level), WS_OK);
		assert_int_equal(level, l);
	}
	assert_string_equal(ws_log_level_name(WS_LOG_WARN), "warn");
	assert_string_equal(ws_log_level_name((enum ws_log_level) 42), "unknown");
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_stderr),
		T(test_line_format),
		T(test_level_padding),
		T(test_level_filtering),
		cmocka_unit_test(test_null_log),
		T(test_newlines_replaced),
		T(test_errno_preserved_and_percent_m),
		T(test_no_component),
		T(test_long_message_truncated),
		T(test_append_mode_and_file_mode),
		T(test_open_failure_keeps_stream),
		T(test_open_replaces_owned_stream),
		cmocka_unit_test(test_level_parse_and_name),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
