/*
 * test_fileio.c — unit tests for src/common/fileio.c
 *
 * Link with -Wl,--wrap=write,--wrap=fsync: the wrappers below inject short
 * writes, EINTR, ENOSPC and fsync failures. Tests run as root here, so
 * failures are provoked by file-system shape (missing directory, a file
 * where a directory should be, a directory where the file should be) or by
 * injection, never by permissions.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/error.h"
#include "common/fileio.h"
#include "common/str.h"

/* Test-only injection state; zeroed means "pass everything through". */
static struct {
	size_t write_max;		/* > 0: never write more than this per call */
	bool write_eintr;		/* fail every other write with EINTR */
	int write_errno;		/* fail writes with this errno ... */
	int write_fail_after;	/* ... once this many calls have succeeded */
	bool write_zero;		/* return 0 without writing */
	int fsync_errno;		/* fail fsync of regular files with this */
	int write_calls;
} inject;

ssize_t __real_write(int fd, const void *buf, size_t count);
int __real_fsync(int fd);
ssize_t __wrap_write(int fd, const void *buf, size_t count);
int __wrap_fsync(int fd);

ssize_t
__wrap_write(int fd, const void *buf, size_t count)
{
	int call = inject.write_calls++;

	if (inject.write_errno != 0 && call >= inject.write_fail_after) {
		errno = inject.write_errno;
		return -1;
	}
	if (inject.write_zero)
		return 0;
	if (inject.write_eintr && call % 2 == 0) {
		errno = EINTR;
		return -1;
	}
	if (inject.write_max > 0 && count > inject.write_max)
		count = inject.write_max;
	return __real_write(fd, buf, count);
}

int
__wrap_fsync(int fd)
{
	struct stat st;

	if (inject.fsync_errno != 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
		errno = inject.fsync_errno;
		return -1;
	}
	return __real_fsync(fd);
}

struct fixture {
	char dir[PATH_MAX];
	char path[PATH_MAX];	/* dir/target */
	struct ws_error err;
};

static int
remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void) st;
	(void) flag;
	(void) ftw;
	return remove(path);
}

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	memset(&inject, 0, sizeof(inject));
	ws_strlcpy(f->dir, "/tmp/ws_test_fileio.XXXXXX", sizeof(f->dir));
	if (mkdtemp(f->dir) == NULL) {
		free(f);
		return -1;
	}
	if (ws_snprintf(f->path, sizeof(f->path), "%s/target", f->dir) != WS_OK) {
		free(f);
		return -1;
	}
	ws_error_clear(&f->err);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	int rc;

	memset(&inject, 0, sizeof(inject));
	rc = nftw(f->dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(f);
	return rc;
}

static void
put_file(const char *path, const char *content)
{
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	assert_int_equal(fputs(content, fp) >= 0, 1);
	assert_int_equal(fclose(fp), 0);
}

static void
assert_file_content(const char *path, const char *want, size_t wantlen)
{
	struct ws_buf b;
	struct ws_error err;

	ws_buf_init(&b, wantlen + 1);
	if (ws_read_file(path, wantlen + 1, &b, &err) != WS_OK)
		fail_msg("%s", err.message);
	assert_int_equal(b.len, wantlen);
	assert_memory_equal(ws_buf_str(&b), want, wantlen);
	ws_buf_free(&b);
}

/* number of entries in dir, and how many of them look like our temp files */
static int
count_entries(const char *dir, int *temps)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	assert_non_null(d);
	*temps = 0;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		n++;
		if (strstr(de->d_name, ".tmp.") != NULL)
			(*temps)++;
	}
	closedir(d);
	return n;
}

static void
assert_no_temp_files(const char *dir)
{
	int temps;

	count_entries(dir, &temps);
	assert_int_equal(temps, 0);
}

static void
test_write_new_file(void **state)
{
	struct fixture *f = *state;
	struct stat st;

	assert_int_equal(ws_write_file_atomic(f->path, "hello\n", 6, 0640, &f->err),
					 WS_OK);
	assert_file_content(f->path, "hello\n", 6);
	assert_int_equal(stat(f->path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0640);
	assert_no_temp_files(f->dir);
}

static void
test_write_mode(void **state)
{
	struct fixture *f = *state;
	struct stat st;

	assert_int_equal(ws_write_file_atomic(f->path, "s", 1, 0600, &f->err), WS_OK);
	assert_int_equal(stat(f->path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
}

static void
test_write_empty(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(ws_write_file_atomic(f->path, NULL, 0, 0644, &f->err), WS_OK);
	assert_file_content(f->path, "", 0);
}

static void
test_write_replaces_existing(void **state)
{
	struct fixture *f = *state;
	int temps;

	put_file(f->path, "old contents that are longer than the new ones");
	assert_int_equal(ws_write_file_atomic(f->path, "new", 3, 0644, &f->err), WS_OK);
	assert_file_content(f->path, "new", 3);
	assert_int_equal(count_entries(f->dir, &temps), 1);
	assert_int_equal(temps, 0);
}

static void
test_write_large_short_writes_eintr(void **state)
{
	struct fixture *f = *state;
	size_t len = 100000;
	char *data = malloc(len);

	assert_non_null(data);
	for (size_t i = 0; i < len; i++)
		data[i] = (char) ('a' + i % 26);
	inject.write_max = 7777;
	inject.write_eintr = true;
	assert_int_equal(ws_write_file_atomic(f->path, data, len, 0644, &f->err), WS_OK);
	/* every chunk was interrupted once, and chunks were short */
	assert_true(inject.write_calls >= 2 * (int) (len / 7777));
	memset(&inject, 0, sizeof(inject));
	assert_file_content(f->path, data, len);
	free(data);
}

static void
test_write_enospc_keeps_old(void **state)
{
	struct fixture *f = *state;
	char want[PATH_MAX + 64];

	put_file(f->path, "old");
	inject.write_max = 2;
	inject.write_errno = ENOSPC;
	inject.write_fail_after = 1;	/* the disk fills up mid-file */
	assert_int_equal(ws_write_file_atomic(f->path, "new contents", 12, 0644,
										  &f->err), WS_ERR_IO);
	assert_int_equal(f->err.status, WS_ERR_IO);
	assert_true(ws_str_has_prefix(f->err.message, "could not write file \""));
	assert_true(ws_str_has_suffix(f->err.message, "\": No space left on device"));
	ws_snprintf(want, sizeof(want), "could not write file \"%s.tmp.", f->path);
	assert_true(ws_str_has_prefix(f->err.message, want));
	memset(&inject, 0, sizeof(inject));
	assert_file_content(f->path, "old", 3);
	assert_no_temp_files(f->dir);
}

static void
test_write_zero_is_enospc(void **state)
{
	struct fixture *f = *state;

	inject.write_zero = true;
	assert_int_equal(ws_write_file_atomic(f->path, "x", 1, 0644, &f->err),
					 WS_ERR_IO);
	assert_true(ws_str_has_suffix(f->err.message, ": No space left on device"));
	memset(&inject, 0, sizeof(inject));
	assert_int_equal(access(f->path, F_OK), -1);
	assert_no_temp_files(f->dir);
}

static void
test_write_fsync_failure_keeps_old(void **state)
{
	struct fixture *f = *state;

	put_file(f->path, "old");
	inject.fsync_errno = EIO;
	assert_int_equal(ws_write_file_atomic(f->path, "new", 3, 0644, &f->err),
					 WS_ERR_IO);
	assert_true(ws_str_has_prefix(f->err.message, "could not fsync file \""));
	assert_true(ws_str_has_suffix(f->err.message, "\": Input/output error"));
	memset(&inject, 0, sizeof(inject));
	assert_file_content(f->path, "old", 3);
	assert_no_temp_files(f->dir);
}

static void
test_write_missing_directory(void **state)
{
	struct fixture *f = *state;
	char path[PATH_MAX];

	ws_snprintf(path, sizeof(path), "%s/nope/target", f->dir);
	assert_int_equal(ws_write_file_atomic(path, "x", 1, 0644, &f->err), WS_ERR_IO);
	assert_true(ws_str_has_prefix(f->err.message, "could not create file \""));
	assert_true(ws_str_has_suffix(f->err.message, "\": No such file or directory"));
	assert_no_temp_files(f->dir);
}

static void
test_write_directory_is_a_file(void **state)
{
	struct fixture *f = *state;
	char path[PATH_MAX];
	int temps;

	/* "target" is a regular file, so "target/x" cannot be created */
	put_file(f->path, "old");
	ws_snprintf(path, sizeof(path), "%s/x", f->path);
	assert_int_equal(ws_write_file_atomic(path, "x", 1, 0644, &f->err), WS_ERR_IO);
	assert_true(ws_str_has_suffix(f->err.message, "\": Not a directory"));
	assert_file_content(f->path, "old", 3);
	assert_int_equal(count_entries(f->dir, &temps), 1);
	assert_int_equal(temps, 0);
}

static void
test_write_rename_fails_cleans_up(void **state)
{
	struct fixture *f = *state;
	struct stat st;
	int temps;

	/* a directory sits where the file should go: the rename fails */
	assert_int_equal(mkdir(f->path, 0755), 0);
	assert_int_equal(ws_write_file_atomic(f->path, "x", 1, 0644, &f->err), WS_ERR_IO);
	assert_true(ws_str_has_prefix(f->err.message, "could not rename file \""));
	assert_true(ws_str_has_suffix(f->err.message, "\": Is a directory"));
	assert_int_equal(stat(f->path, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(count_entries(f->dir, &temps), 1);
	assert_int_equal(temps, 0);
}

static void
test_write_steps_over_stale_temp(void **state)
{
	struct fixture *f = *state;
	char stale[PATH_MAX];
	int temps;

	/* left behind by a crashed process that had our pid */
	ws_snprintf(stale, sizeof(stale), "%s.tmp.%ld.0", f->path, (long) getpid());
	put_file(stale, "stale");
	assert_int_equal(ws_write_file_atomic(f->path, "new", 3, 0644, &f->err), WS_OK);
	assert_file_content(f->path, "new", 3);
	assert_file_content(stale, "stale", 5);
	assert_int_equal(count_entries(f->dir, &temps), 2);
	assert_int_equal(temps, 1);
}

static void
test_write_symlink_temp_not_followed(void **state)
{
	struct fixture *f = *state;
	char link[PATH_MAX];
	char victim[PATH_MAX];

	/* O_EXCL: a planted symlink at the temp name is not written through */
	ws_snprintf(victim, sizeof(victim), "%s/victim", f->dir);
	put_file(victim, "safe");
	ws_snprintf(link, sizeof(link), "%s.tmp.%ld.0", f->path, (long) getpid());
	assert_int_equal(symlink(victim, link), 0);
	assert_int_equal(ws_write_file_atomic(f->path, "new", 3, 0644, &f->err), WS_OK);
	assert_file_content(victim, "safe", 4);
	assert_file_content(f->path, "new", 3);
}

static void
test_write_path_too_long(void **state)
{
	struct fixture *f = *state;
	char path[PATH_MAX];

	memset(path, 'a', sizeof(path) - 1);
	path[sizeof(path) - 1] = '\0';
	path[0] = '/';
	assert_int_equal(ws_write_file_atomic(path, "x", 1, 0644, &f->err),
					 WS_ERR_INVALID);
	assert_true(ws_str_has_prefix(f->err.message, "file name \"/aaa"));
	assert_true(ws_str_has_suffix(f->err.message, "..."));
}

static void
test_fsync_dir(void **state)
{
	struct fixture *f = *state;
	char path[PATH_MAX];

	assert_int_equal(ws_fsync_dir(f->dir, &f->err), WS_OK);
	assert_int_equal(ws_fsync_dir("/", &f->err), WS_OK);

	ws_snprintf(path, sizeof(path), "%s/missing", f->dir);
	assert_int_equal(ws_fsync_dir(path, &f->err), WS_ERR_IO);
	assert_true(ws_str_has_prefix(f->err.message, "could not open directory \""));
	assert_true(ws_str_has_suffix(f->err.message, "/missing\": No such file or directory"));

	put_file(f->path, "x");
	assert_int_equal(ws_fsync_dir(f->path, &f->err), WS_ERR_IO);
	assert_true(ws_str_has_suffix(f->err.message, "\": Not a directory"));
}

static void
test_fsync_parent_dir(void **state)
{
	static const struct {
		const char *path;
		const char *dir;
	} cases[] = {
		{"/nonexistent-ws/a/b", "/nonexistent-ws/a"},
		{"/nonexistent-ws/a/b/", "/nonexistent-ws/a"},
		{"/nonexistent-ws/a//b", "/nonexistent-ws/a"},
		{"/nonexistent-ws//b", "/nonexistent-ws"},
		{"nonexistent-ws/b", "nonexistent-ws"},
	};
	struct fixture *f = *state;
	char want[PATH_MAX];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(ws_fsync_parent_dir(cases[i].path, &f->err), WS_ERR_IO);
		ws_snprintf(want, sizeof(want),
					"could not open directory \"%s\": No such file or directory",
					cases[i].dir);
		assert_string_equal(f->err.message, want);
	}

	/* parents that exist: ".", "/" */
	assert_int_equal(ws_fsync_parent_dir("just-a-name", &f->err), WS_OK);
	assert_int_equal(ws_fsync_parent_dir("/tmp", &f->err), WS_OK);
	assert_int_equal(ws_fsync_parent_dir("/", &f->err), WS_OK);
	assert_int_equal(ws_fsync_parent_dir(f->path, &f->err), WS_OK);
}

static void
test_read_file(void **state)
{
	struct fixture *f = *state;
	struct ws_buf b;

	put_file(f->path, "line 1\nline 2\n");
	ws_buf_init(&b, 1024);
	assert_int_equal(ws_buf_append_str(&b, "pre:"), WS_OK);
	assert_int_equal(ws_read_file(f->path, 100, &b, &f->err), WS_OK);
	assert_string_equal(ws_buf_str(&b), "pre:line 1\nline 2\n");
	ws_buf_free(&b);
}

static void
test_read_file_exact_max(void **state)
{
	struct fixture *f = *state;
	struct ws_buf b;

	put_file(f->path, "12345");
	ws_buf_init(&b, 5);
	assert_int_equal(ws_read_file(f->path, 5, &b, &f->err), WS_OK);
	assert_string_equal(ws_buf_str(&b), "12345");
	ws_buf_free(&b);
}

static void
test_read_file_missing(void **state)
{
	struct fixture *f = *state;
	struct ws_buf b;
	char path[PATH_MAX];
	char want[PATH_MAX + 64];

	ws_snprintf(path, sizeof(path), "%s/missing", f->dir);
	ws_buf_init(&b, 1024);
	assert_int_equal(ws_read_file(path, 100, &b, &f->err), WS_ERR_NOT_FOUND);
	assert_int_equal(f->err.status, WS_ERR_NOT_FOUND);
	ws_snprintf(want, sizeof(want),
				"could not open file \"%s\": No such file or directory", path);
	assert_string_equal(f->err.message, want);
	assert_int_equal(b.len, 0);
	ws_buf_free(&b);
}

static void
test_read_file_too_large(void **state)
{
	struct fixture *f = *state;
	struct ws_buf b;

	put_file(f->path, "123456");
	ws_buf_init(&b, 1024);
	assert_int_equal(ws_buf_append_str(&b, "keep"), WS_OK);
	assert_int_equal(ws_read_file(f->path, 5, &b, &f->err), WS_ERR_TOO_LARGE);
	assert_true(ws_str_has_prefix(f->err.message, "file \""));
	assert_true(ws_str_has_suffix(f->err.message, "\" is too large (6 bytes, limit 5)"));
	assert_string_equal(ws_buf_str(&b), "keep");
	ws_buf_free(&b);
}

static void
test_read_file_buffer_cap(void **state)
{
	struct fixture *f = *state;
	struct ws_buf b;

	/* max allows it, but the buffer's own cap does not */
	put_file(f->path, "0123456789");
	ws_buf_init(&b, 12);
	assert_int_equal(ws_buf_append_str(&b, "abc"), WS_OK);
	assert_int_equal(ws_read_file(f->path, 1000, &b, &f->err), WS_ERR_TOO_LARGE);
	assert_string_equal(ws_buf_str(&b), "abc");
	ws_buf_free(&b);
}

static void
test_read_file_unbounded_device(void **state)
{
	struct fixture *f = *state;
	struct ws_buf b;

	/* not a regular file: size unknown up front, the read loop stops it */
	ws_buf_init(&b, 1 << 20);
	assert_int_equal(ws_read_file("/dev/zero", 100000, &b, &f->err),
					 WS_ERR_TOO_LARGE);
	assert_true(ws_str_has_suffix(f->err.message,
								  "\"/dev/zero\" is too large (limit 100000 bytes)"));
	assert_int_equal(b.len, 0);
	assert_string_equal(ws_buf_str(&b), "");
	ws_buf_free(&b);
}

static void
test_read_file_large(void **state)
{
	struct fixture *f = *state;
	size_t len = 300000;	/* several read chunks */
	char *data = malloc(len);
	struct ws_buf b;

	assert_non_null(data);
	for (size_t i = 0; i < len; i++)
		data[i] = (char) (i * 7);
	assert_int_equal(ws_write_file_atomic(f->path, data, len, 0644, &f->err), WS_OK);
	ws_buf_init(&b, len);
	assert_int_equal(ws_read_file(f->path, len, &b, &f->err), WS_OK);
	assert_int_equal(b.len, len);
	assert_memory_equal(b.data, data, len);
	ws_buf_free(&b);
	free(data);
}

static void
test_read_directory(void **state)
{
	struct fixture *f = *state;
	struct ws_buf b;

	ws_buf_init(&b, 100);
	assert_int_equal(ws_read_file(f->dir, 100, &b, &f->err), WS_ERR_IO);
	assert_true(ws_str_has_prefix(f->err.message, "could not read file \""));
	assert_true(ws_str_has_suffix(f->err.message, "\": Is a directory"));
	ws_buf_free(&b);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_write_new_file),
		T(test_write_mode),
		T(test_write_empty),
		T(test_write_replaces_existing),
		T(test_write_large_short_writes_eintr),
		T(test_write_enospc_keeps_old),
		T(test_write_zero_is_enospc),
		T(test_write_fsync_failure_keeps_old),
		T(test_write_missing_directory),
		T(test_write_directory_is_a_file),
		T(test_write_rename_fails_cleans_up),
		T(test_write_steps_over_stale_temp),
		T(test_write_symlink_temp_not_followed),
		T(test_write_path_too_long),
		T(test_fsync_dir),
		T(test_fsync_parent_dir),
		T(test_read_file),
		T(test_read_file_exact_max),
		T(test_read_file_missing),
		T(test_read_file_too_large),
		T(test_read_file_buffer_cap),
		T(test_read_file_unbounded_device),
		T(test_read_file_large),
		T(test_read_directory),
	};

	/* modes in the tests assume the common umask */
	umask(022);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
