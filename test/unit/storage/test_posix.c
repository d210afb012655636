/*
 * test_posix.c — unit tests for src/storage/posix.c
 *
 * Each test gets a fresh directory; the storage root is "<dir>/repo", which
 * does not exist until the first write. Tests run as root here, so failures
 * are provoked by file-system shape or by the storage's own fault
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
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/error.h"
#include "common/str.h"
#include "storage/storage.h"

struct fixture {
	char dir[PATH_MAX];
	char root[PATH_MAX];        /* dir/repo */
	struct ws_storage *s;
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
	struct ws_error err;

	if (f == NULL)
		return -1;
	unsetenv("WALSHIP_FAULT");
	umask(022);
	ws_strlcpy(f->dir, "/tmp/ws_test_posix.XXXXXX", sizeof(f->dir));
	if (mkdtemp(f->dir) == NULL ||
		ws_snprintf(f->root, sizeof(f->root), "%s/repo", f->dir) != WS_OK ||
		ws_storage_posix_new(f->root, &f->s, &err) != WS_OK) {
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

	unsetenv("WALSHIP_FAULT");
	ws_storage_free(f->s);
	rc = nftw(f->dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(f);
	return rc;
}

/* ---- helpers ---- */

static char *
pattern(size_t len)
{
	char *p = malloc(len > 0 ? len : 1);

	assert_non_null(p);
	for (size_t i = 0; i < len; i++)
		p[i] = (char) ((i * 131 + (i >> 11)) & 0xFF);
	return p;
}

static void
put_ok(struct fixture *f, const char *path, const void *data, size_t len)
{
	if (ws_storage_put(f->s, path, data, len, NULL, &f->err) != WS_OK)
		fail_msg("put \"%s\": %s", path, f->err.message);
}

static void
assert_object(struct fixture *f, const char *path, const void *want, size_t len)
{
	struct ws_buf b;

	ws_buf_init(&b, len);
	if (ws_storage_get(f->s, path, &b, &f->err) != WS_OK)
		fail_msg("get \"%s\": %s", path, f->err.message);
	assert_int_equal(b.len, len);
	if (len > 0)
		assert_memory_equal(b.data, want, len);
	ws_buf_free(&b);
}

static void
assert_absent(struct fixture *f, const char *path)
{
	struct ws_storage_info info;

	assert_int_equal(f->s->ops->info(f->s, path, &info, &f->err), WS_OK);
	assert_false(info.exists);
}

static void
fs_path(struct fixture *f, const char *rel, char *out, size_t outsize)
{
	assert_int_equal(ws_snprintf(out, outsize, "%s/%s", f->root, rel), WS_OK);
}

static void
write_raw(struct fixture *f, const char *rel, const char *content)
{
	char path[PATH_MAX];
	FILE *fp;

	fs_path(f, rel, path, sizeof(path));
	fp = fopen(path, "w");
	assert_non_null(fp);
	assert_true(fputs(content, fp) >= 0);
	assert_int_equal(fclose(fp), 0);
}

/* files under dir (recursively) that look like our temporary files */
static int
count_temps(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	if (d == NULL) {
		assert_int_equal(errno, ENOENT);
		return 0;
	}
	while ((de = readdir(d)) != NULL) {
		char path[PATH_MAX];
		struct stat st;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		assert_int_equal(ws_snprintf(path, sizeof(path), "%s/%s", dir, de->d_name),
						 WS_OK);
		assert_int_equal(lstat(path, &st), 0);
		if (S_ISDIR(st.st_mode))
			n += count_temps(path);
		else if (strstr(de->d_name, ".tmp.") != NULL)
			n++;
	}
	closedir(d);
	return n;
}

static void
assert_no_temps(struct fixture *f)
{
	assert_int_equal(count_temps(f->dir), 0);
}

/* list collects "path size" lines, sorted, joined by '\n' */
struct listing {
	char *items[64];
	int n;
	int stop_after;             /* > 0: fail the walk at this many */
};

static int
collect(const char *path, const struct ws_storage_info *info, void *arg,
		struct ws_error *err)
{
	struct listing *l = arg;
	char line[PATH_MAX + 32];

	assert_true(info->exists);
	if (l->stop_after > 0 && l->n >= l->stop_after)
		return ws_error_set(err, WS_ERR_INVALID, "stop at \"%s\"", path);
	assert_true(l->n < 64);
	assert_int_equal(ws_snprintf(line, sizeof(line), "%s %llu", path,
								 (unsigned long long) info->size), WS_OK);
	l->items[l->n] = strdup(line);
	assert_non_null(l->items[l->n]);
	l->n++;
	return WS_OK;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

/* the listing as one string, sorted; frees the items */
static void
assert_listing(struct fixture *f, const char *prefix, const char *want)
{
	struct listing l;
	struct ws_buf b;

	memset(&l, 0, sizeof(l));
	ws_buf_init(&b, 1 << 20);
	if (f->s->ops->list(f->s, prefix, collect, &l, &f->err) != WS_OK)
		fail_msg("list \"%s\": %s", prefix, f->err.message);
	qsort(l.items, (size_t) l.n, sizeof(l.items[0]), cmp_str);
	for (int i = 0; i < l.n; i++) {
		assert_int_equal(ws_buf_appendf(&b, "%s%s", i > 0 ? "\n" : "", l.items[i]),
						 WS_OK);
		free(l.items[i]);
	}
	assert_string_equal(ws_buf_str(&b), want);
	ws_buf_free(&b);
}

/* ---- creation ---- */

static void
test_new_rejects_relative_root(void **state)
{
	struct ws_storage *s = (struct ws_storage *) 1;
	struct ws_error err;

	(void) state;
	assert_int_equal(ws_storage_posix_new("repo", &s, &err), WS_ERR_INVALID);
	assert_null(s);
	assert_string_equal(err.message, "storage root \"repo\" is not an absolute path");
	assert_int_equal(ws_storage_posix_new("", &s, &err), WS_ERR_INVALID);
	assert_int_equal(ws_storage_posix_new(NULL, &s, &err), WS_ERR_INVALID);
}

static void
test_new_features(void **state)
{
	struct fixture *f = *state;

	assert_string_equal(f->s->ops->name, "posix");
	assert_int_equal(f->s->ops->features,
					 WS_STORAGE_APPEND | WS_STORAGE_NO_OVERWRITE | WS_STORAGE_LOCAL);
	assert_int_equal(f->s->faults.kind, WS_FAULT_NONE);
}

static void
test_new_reads_fault_env(void **state)
{
	struct fixture *f = *state;
	struct ws_storage *s = NULL;
	struct ws_error err;

	setenv("WALSHIP_FAULT", "write-enospc-after:1234", 1);
	assert_int_equal(ws_storage_posix_new(f->root, &s, &err), WS_OK);
	assert_int_equal(s->faults.kind, WS_FAULT_WRITE_ENOSPC);
	assert_int_equal(s->faults.after_bytes, 1234);
	assert_int_equal(s->faults.written, 0);
	ws_storage_free(s);

	s = (struct ws_storage *) 1;
	setenv("WALSHIP_FAULT", "write-oops", 1);
	assert_int_equal(ws_storage_posix_new(f->root, &s, &err), WS_ERR_INVALID);
	assert_null(s);
	assert_string_equal(err.message, "invalid WALSHIP_FAULT value \"write-oops\"");
	unsetenv("WALSHIP_FAULT");
}

static void
test_root_created_on_first_write(void **state)
{
	struct fixture *f = *state;
	struct stat st;

	assert_int_equal(stat(f->root, &st), -1);
	/* reading, listing and removing create nothing */
	assert_absent(f, "a");
	assert_listing(f, "", "");
	assert_int_equal(f->s->ops->remove(f->s, "a", &f->err), WS_OK);
	assert_int_equal(stat(f->root, &st), -1);

	put_ok(f, "a", "x", 1);
	assert_int_equal(stat(f->root, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0750);
}

static void
test_root_parents_created(void **state)
{
	struct fixture *f = *state;
	struct ws_storage *s = NULL;
	char root[PATH_MAX];
	struct ws_buf b;

	/* several missing levels, a trailing slash and a doubled one */
	assert_int_equal(ws_snprintf(root, sizeof(root), "%s/x//y/z/", f->dir), WS_OK);
	assert_int_equal(ws_storage_posix_new(root, &s, &f->err), WS_OK);
	assert_int_equal(ws_storage_put(s, "p/q", "data", 4, NULL, &f->err), WS_OK);
	ws_buf_init(&b, 100);
	assert_int_equal(ws_storage_get(s, "p/q", &b, &f->err), WS_OK);
	assert_string_equal(ws_buf_str(&b), "data");
	ws_buf_free(&b);
	ws_storage_free(s);

	assert_int_equal(ws_snprintf(root, sizeof(root), "%s/x/y/z/p/q", f->dir), WS_OK);
	assert_int_equal(access(root, F_OK), 0);
}

/* ---- put and get ---- */

static void
test_roundtrip_sizes(void **state)
{
	static const size_t sizes[] = {0, 1, 4095, 4096, 65537, 20 * 1024 * 1024};
	struct fixture *f = *state;

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		char *data = pattern(sizes[i]);
		char name[64];
		struct ws_storage_info info;

		assert_int_equal(ws_snprintf(name, sizeof(name), "obj-%zu", sizes[i]), WS_OK);
		put_ok(f, name, data, sizes[i]);
		assert_object(f, name, data, sizes[i]);
		assert_int_equal(f->s->ops->info(f->s, name, &info, &f->err), WS_OK);
		assert_true(info.exists);
		assert_int_equal(info.size, sizes[i]);
		free(data);
	}
	assert_no_temps(f);
}

static void
test_file_mode(void **state)
{
	struct fixture *f = *state;
	char path[PATH_MAX];
	struct stat st;

	put_ok(f, "a", "x", 1);
	fs_path(f, "a", path, sizeof(path));
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0640);
}

static void
test_streamed_write(void **state)
{
	struct fixture *f = *state;
	struct ws_storage_write *w = NULL;
	char *data = pattern(300000);

	assert_int_equal(f->s->ops->open_write(f->s, "s/t", NULL, &w, &f->err), WS_OK);
	for (size_t off = 0; off < 300000; off += 7000) {
		size_t n = 300000 - off < 7000 ? 300000 - off : 7000;

		assert_int_equal(f->s->ops->write(w, data + off, n, &f->err), WS_OK);
	}
	/* not visible before commit */
	assert_absent(f, "s/t");
	assert_listing(f, "", "");
	assert_int_equal(f->s->ops->commit(w, &f->err), WS_OK);
	assert_object(f, "s/t", data, 300000);
	assert_no_temps(f);
	free(data);
}

static void
test_nested_paths(void **state)
{
	struct fixture *f = *state;
	char path[PATH_MAX];
	struct stat st;

	put_ok(f, "archive/16/0000000100000000/000000010000000000000001", "seg", 3);
	assert_object(f, "archive/16/0000000100000000/000000010000000000000001", "seg", 3);
	fs_path(f, "archive/16/0000000100000000", path, sizeof(path));
	assert_int_equal(stat(path, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0750);

	/* a sibling in an existing directory */
	put_ok(f, "archive/16/0000000100000000/000000010000000000000002", "seg2", 4);
	assert_object(f, "archive/16/0000000100000000/000000010000000000000002", "seg2", 4);
	assert_no_temps(f);
}

static void
test_no_overwrite_refuses(void **state)
{
	struct fixture *f = *state;
	struct ws_storage_write_opts opts = {.no_overwrite = true};
	char want[PATH_MAX + 64];
	char path[PATH_MAX];

	assert_int_equal(ws_storage_put(f->s, "d/a", "old", 3, &opts, &f->err), WS_OK);
	assert_int_equal(ws_storage_put(f->s, "d/a", "new!", 4, &opts, &f->err),
					 WS_ERR_EXISTS);
	fs_path(f, "d/a", path, sizeof(path));
	assert_int_equal(ws_snprintf(want, sizeof(want), "file \"%s\" already exists", path),
					 WS_OK);
	assert_string_equal(f->err.message, want);
	assert_object(f, "d/a", "old", 3);
	assert_no_temps(f);
}

static void
test_overwrite_replaces(void **state)
{
	struct fixture *f = *state;
	struct ws_storage_write_opts opts = {.no_overwrite = false};

	put_ok(f, "a", "old", 3);
	assert_int_equal(ws_storage_put(f->s, "a", "newer", 5, &opts, &f->err), WS_OK);
	assert_object(f, "a", "newer", 5);
	put_ok(f, "a", "", 0);
	assert_object(f, "a", "", 0);
	assert_no_temps(f);
}

static void
test_abort_leaves_nothing(void **state)
{
	struct fixture *f = *state;
	struct ws_storage_write *w = NULL;

	assert_int_equal(f->s->ops->open_write(f->s, "x/y", NULL, &w, &f->err), WS_OK);
	assert_int_equal(f->s->ops->write(w, "partial", 7, &f->err), WS_OK);
	f->s->ops->abort(w);
	assert_absent(f, "x/y");
	assert_listing(f, "", "");
	assert_no_temps(f);

	/* abort of an untouched write, and over an existing object */
	put_ok(f, "x/y", "kept", 4);
	assert_int_equal(f->s->ops->open_write(f->s, "x/y", NULL, &w, &f->err), WS_OK);
	f->s->ops->abort(w);
	assert_object(f, "x/y", "kept", 4);
	assert_no_temps(f);
}

static void
test_stale_temp_is_stepped_over(void **state)
{
	struct fixture *f = *state;
	char name[64];

	/* a leftover of an earlier run of a process with our pid */
	put_ok(f, "z", "1", 1);
	assert_int_equal(ws_snprintf(name, sizeof(name), "z.tmp.%ld.0", (long) getpid()),
					 WS_OK);
	write_raw(f, name, "stale");
	put_ok(f, "z", "2", 1);
	assert_object(f, "z", "2", 1);
	/* the leftover is not ours to remove, and list hides it */
	assert_int_equal(count_temps(f->dir), 1);
	assert_listing(f, "", "z 1");
}

static void
test_commit_onto_directory(void **state)
{
	struct fixture *f = *state;
	struct ws_storage_write_opts opts = {.no_overwrite = true};

	put_ok(f, "d/e", "x", 1);
	/* "d" is a directory: neither mode may replace it */
	assert_int_equal(ws_storage_put(f->s, "d", "y", 1, &opts, &f->err), WS_ERR_EXISTS);
	assert_int_equal(ws_storage_put(f->s, "d", "y", 1, NULL, &f->err), WS_ERR_IO);
	assert_non_null(strstr(f->err.message, "could not rename file"));
	assert_object(f, "d/e", "x", 1);
	assert_no_temps(f);
}

static void
test_write_under_a_file(void **state)
{
	struct fixture *f = *state;
	struct ws_buf b;

	put_ok(f, "a", "x", 1);
	/* "a" is an object, so "a/b" can be neither written nor read: a broken repository */
	assert_int_equal(ws_storage_put(f->s, "a/b", "y", 1, NULL, &f->err), WS_ERR_IO);
	assert_non_null(strstr(f->err.message, "Not a directory"));
	assert_int_equal(ws_storage_put(f->s, "a/b/c", "y", 1, NULL, &f->err), WS_ERR_IO);
	ws_buf_init(&b, 100);
	assert_int_equal(ws_storage_get(f->s, "a/b", &b, &f->err), WS_ERR_IO);
	assert_non_null(strstr(f->err.message, "Not a directory"));
	ws_buf_free(&b);
	{
		struct ws_storage_info info;

		assert_int_equal(f->s->ops->info(f->s, "a/b", &info, &f->err), WS_ERR_IO);
	}
	assert_int_equal(f->s->ops->remove(f->s, "a/b", &f->err), WS_OK);
	assert_object(f, "a", "x", 1);
	assert_no_temps(f);
}

/* ---- paths ---- */

static void
test_invalid_paths(void **state)
{
	static const char *const bad[] = {
		"", "/etc/passwd", "../escape", "a/../../escape", "a//b", "./a", "a/",
		"a\nb", "..", "."
	};
	struct fixture *f = *state;
	struct ws_storage_write *w = NULL;
	struct ws_storage_read *r = NULL;
	struct ws_storage_info info;
	struct ws_buf b;
	struct stat st;

	ws_buf_init(&b, 100);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(ws_storage_put(f->s, bad[i], "x", 1, NULL, &f->err),
						 WS_ERR_INVALID);
		assert_int_equal(f->s->ops->open_write(f->s, bad[i], NULL, &w, &f->err),
						 WS_ERR_INVALID);
		assert_null(w);
		assert_int_equal(ws_storage_get(f->s, bad[i], &b, &f->err), WS_ERR_INVALID);
		assert_int_equal(f->s->ops->open_read(f->s, bad[i], &r, &f->err),
						 WS_ERR_INVALID);
		assert_null(r);
		assert_int_equal(f->s->ops->info(f->s, bad[i], &info, &f->err),
						 WS_ERR_INVALID);
		assert_int_equal(f->s->ops->remove(f->s, bad[i], &f->err), WS_ERR_INVALID);
		/* "" is the root for list, and fine */
		if (bad[i][0] != '\0')
			assert_int_equal(f->s->ops->list(f->s, bad[i], collect, NULL, &f->err),
							 WS_ERR_INVALID);
	}
	ws_buf_free(&b);
	/* nothing was created, not even the root */
	assert_int_equal(stat(f->root, &st), -1);
	assert_string_equal(f->err.message, "invalid storage path \".\": contains a \".\" or \"..\" component");
}

/* ---- read ---- */

static void
test_read_missing(void **state)
{
	struct fixture *f = *state;
	struct ws_storage_read *r = (struct ws_storage_read *) 1;
	char want[PATH_MAX + 64];
	char path[PATH_MAX];
	struct ws_buf b;

	fs_path(f, "nope", path, sizeof(path));
	assert_int_equal(ws_snprintf(want, sizeof(want),
								 "could not open file \"%s\": No such file or directory",
								 path), WS_OK);

	/* root missing, then root present */
	for (int i = 0; i < 2; i++) {
		r = (struct ws_storage_read *) 1;
		assert_int_equal(f->s->ops->open_read(f->s, "nope", &r, &f->err),
						 WS_ERR_NOT_FOUND);
		assert_null(r);
		assert_string_equal(f->err.message, want);
		ws_buf_init(&b, 100);
		assert_int_equal(ws_storage_get(f->s, "nope", &b, &f->err), WS_ERR_NOT_FOUND);
		assert_string_equal(f->err.message, want);
		assert_int_equal(b.len, 0);
		ws_buf_free(&b);
		put_ok(f, "other", "x", 1);
	}
}

static void
test_read_streamed(void **state)
{
	struct fixture *f = *state;
	struct ws_storage_read *r = NULL;
	static const char digits[] = "0123456789";
	char buf[4];
	size_t got;
	size_t total = 0;

	put_ok(f, "a", "0123456789", 10);
	assert_int_equal(f->s->ops->open_read(f->s, "a", &r, &f->err), WS_OK);
	for (;;) {
		assert_int_equal(f->s->ops->read(r, buf, sizeof(buf), &got, &f->err), WS_OK);
		if (got == 0)
			break;
		assert_true(got <= sizeof(buf));
		assert_memory_equal(buf, &digits[total], got);
		total += got;
	}
	assert_int_equal(total, 10);
	/* and stays at the end */
	assert_int_equal(f->s->ops->read(r, buf, sizeof(buf), &got, &f->err), WS_OK);
	assert_int_equal(got, 0);
	f->s->ops->close_read(r);
}

static void
test_get_too_large(void **state)
{
	struct fixture *f = *state;
	char *data = pattern(200000);
	struct ws_buf b;

	put_ok(f, "big", data, 200000);
	ws_buf_init(&b, 199999);
	assert_int_equal(ws_buf_append_str(&b, "pre"), WS_OK);
	assert_int_equal(ws_storage_get(f->s, "big", &b, &f->err), WS_ERR_TOO_LARGE);
	assert_string_equal(f->err.message,
						"object \"big\" is too large (limit 199996 bytes)");
	assert_int_equal(b.len, 3);
	assert_string_equal(ws_buf_str(&b), "pre");
	ws_buf_free(&b);

	/* exactly at the cap is fine */
	ws_buf_init(&b, 200000);
	assert_int_equal(ws_storage_get(f->s, "big", &b, &f->err), WS_OK);
	assert_memory_equal(b.data, data, 200000);
	ws_buf_free(&b);
	free(data);
}

/* ---- info ---- */

static void
test_info(void **state)
{
	struct fixture *f = *state;
	struct ws_storage_info info;
	time_t before = time(NULL);

	assert_absent(f, "a");
	put_ok(f, "d/a", "hello", 5);
	assert_int_equal(f->s->ops->info(f->s, "d/a", &info, &f->err), WS_OK);
	assert_true(info.exists);
	assert_int_equal(info.size, 5);
	assert_true(info.mtime >= before - 2 && info.mtime <= time(NULL) + 2);

	/* a directory is not an object */
	assert_absent(f, "d");
	assert_absent(f, "d/b");
	assert_absent(f, "e/f");
}

/* ---- list ---- */

static void
test_list(void **state)
{
	struct fixture *f = *state;

	put_ok(f, "a", "1", 1);
	put_ok(f, "b/c", "22", 2);
	put_ok(f, "b/d/e", "333", 3);
	put_ok(f, "b/d/f", "", 0);
	put_ok(f, "bb", "4444", 4);

	assert_listing(f, "", "a 1\nb/c 2\nb/d/e 3\nb/d/f 0\nbb 4");
	assert_listing(f, "b", "b/c 2\nb/d/e 3\nb/d/f 0");
	assert_listing(f, "b/d", "b/d/e 3\nb/d/f 0");
	/* a missing prefix, or one that is an object, lists nothing */
	assert_listing(f, "missing", "");
	assert_listing(f, "missing/deeper", "");
	assert_listing(f, "a", "");
}

static void
test_list_skips_temps_and_oddities(void **state)
{
	struct fixture *f = *state;
	char path[PATH_MAX];

	put_ok(f, "d/seg", "1", 1);
	write_raw(f, "d/seg.tmp.4242.0", "partial");
	write_raw(f, "d/seg.tmp.1.17", "partial");
	/* names that only look a bit like ours are objects */
	write_raw(f, "d/notes.tmp", "n");
	write_raw(f, "d/x.tmp.1", "n");
	write_raw(f, "d/x.tmp.a.1", "n");
	write_raw(f, "d/x.tmp.1.2.zst", "n");
	/* a name no path could address, and a fifo */
	write_raw(f, "d/bad\nname", "n");
	fs_path(f, "d/fifo", path, sizeof(path));
	assert_int_equal(mkfifo(path, 0600), 0);
	/* an empty directory contributes nothing */
	fs_path(f, "empty", path, sizeof(path));
	assert_int_equal(mkdir(path, 0750), 0);

	assert_listing(f, "", "d/notes.tmp 1\nd/seg 1\nd/x.tmp.1 1\nd/x.tmp.1.2.zst 1\nd/x.tmp.a.1 1");
}

static void
test_list_symlinks(void **state)
{
	struct fixture *f = *state;
	char path[PATH_MAX];

	put_ok(f, "d/file", "abc", 3);
	fs_path(f, "d/link-to-file", path, sizeof(path));
	assert_int_equal(symlink("file", path), 0);
	/* a loop and a dangling link are not followed */
	fs_path(f, "d/loop", path, sizeof(path));
	assert_int_equal(symlink("..", path), 0);
	fs_path(f, "d/dangling", path, sizeof(path));
	assert_int_equal(symlink("nowhere", path), 0);

	assert_listing(f, "", "d/file 3\nd/link-to-file 3");
}

static void
test_list_callback_error_stops(void **state)
{
	struct fixture *f = *state;
	struct listing l;

	put_ok(f, "a", "1", 1);
	put_ok(f, "b/c", "1", 1);
	put_ok(f, "b/d", "1", 1);
	memset(&l, 0, sizeof(l));
	l.stop_after = 1;
	assert_int_equal(f->s->ops->list(f->s, "", collect, &l, &f->err), WS_ERR_INVALID);
	assert_true(ws_str_has_prefix(f->err.message, "stop at \""));
	assert_int_equal(l.n, 1);
	free(l.items[0]);
}

/* ---- remove ---- */

static void
test_remove(void **state)
{
	struct fixture *f = *state;

	put_ok(f, "d/a", "x", 1);
	assert_int_equal(f->s->ops->remove(f->s, "d/a", &f->err), WS_OK);
	assert_absent(f, "d/a");
	/* again, and things that never were */
	assert_int_equal(f->s->ops->remove(f->s, "d/a", &f->err), WS_OK);
	assert_int_equal(f->s->ops->remove(f->s, "never/was/here", &f->err), WS_OK);

	/* a directory is not an object to remove */
	put_ok(f, "d/b", "x", 1);
	assert_int_equal(f->s->ops->remove(f->s, "d", &f->err), WS_ERR_IO);
	assert_object(f, "d/b", "x", 1);
}

/* ---- injected faults ---- */

static void
test_fault_enospc_put(void **state)
{
	struct fixture *f = *state;
	char *data = pattern(5000);

	f->s->faults.kind = WS_FAULT_WRITE_ENOSPC;
	f->s->faults.after_bytes = 1000;
	assert_int_equal(ws_storage_put(f->s, "wal/seg", data, 5000, NULL, &f->err),
					 WS_ERR_IO);
	assert_true(ws_str_has_prefix(f->err.message, "could not write file \""));
	assert_true(ws_str_has_suffix(f->err.message,
								  "\": No space left on device (injected fault)"));
	assert_non_null(strstr(f->err.message, "/repo/wal/seg.tmp."));
	assert_absent(f, "wal/seg");
	assert_listing(f, "", "");
	assert_no_temps(f);

	/* what fits still goes through */
	put_ok(f, "small", data, 1000);
	assert_object(f, "small", data, 1000);
	free(data);
}

static void
test_fault_enospc_streamed(void **state)
{
	struct fixture *f = *state;
	struct ws_storage_write *w = NULL;
	struct ws_storage_write_opts opts = {.no_overwrite = true};
	char chunk[600];

	memset(chunk, 'x', sizeof(chunk));
	put_ok(f, "seg", "old", 3);
	f->s->faults.kind = WS_FAULT_WRITE_ENOSPC;
	f->s->faults.after_bytes = 1000;
	assert_int_equal(f->s->ops->open_write(f->s, "seg2", &opts, &w, &f->err), WS_OK);
	assert_int_equal(f->s->ops->write(w, chunk, sizeof(chunk), &f->err), WS_OK);
	assert_int_equal(f->s->ops->write(w, chunk, sizeof(chunk), &f->err), WS_ERR_IO);
	f->s->ops->abort(w);
	assert_absent(f, "seg2");
	assert_object(f, "seg", "old", 3);
	assert_no_temps(f);
}

static void
test_fault_kill(void **state)
{
	struct fixture *f = *state;
	int temps;
	int status;
	pid_t pid;

	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct ws_storage_write *w = NULL;
		struct ws_error err;
		char chunk[4096];

		memset(chunk, 'k', sizeof(chunk));
		f->s->faults.kind = WS_FAULT_WRITE_KILL;
		f->s->faults.after_bytes = 1000;
		f->s->faults.written = 0;
		if (f->s->ops->open_write(f->s, "wal/seg", NULL, &w, &err) != WS_OK)
			_exit(2);
		/* 1 MB in pieces; the first 1000 bytes reach the file */
		if (f->s->ops->write(w, chunk, 1000, &err) != WS_OK)
			_exit(3);
		for (int i = 0; i < 256; i++)
			f->s->ops->write(w, chunk, sizeof(chunk), &err);
		f->s->ops->commit(w, &err);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (!WIFSIGNALED(status))
		fail_msg("child was not killed; exit status %d", WEXITSTATUS(status));
	assert_int_equal(WTERMSIG(status), SIGKILL);

	/* nothing visible; the temporary file is what a crash leaves */
	assert_absent(f, "wal/seg");
	temps = count_temps(f->dir);
	assert_int_equal(temps, 1);
	assert_listing(f, "", "");

	/* a later write of the same object succeeds */
	put_ok(f, "wal/seg", "whole", 5);
	assert_object(f, "wal/seg", "whole", 5);
	assert_listing(f, "", "wal/seg 5");
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_new_rejects_relative_root),
		T(test_new_features),
		T(test_new_reads_fault_env),
		T(test_root_created_on_first_write),
		T(test_root_parents_created),
		T(test_roundtrip_sizes),
		T(test_file_mode),
		T(test_streamed_write),
		T(test_nested_paths),
		T(test_no_overwrite_refuses),
		T(test_overwrite_replaces),
		T(test_abort_leaves_nothing),
		T(test_stale_temp_is_stepped_over),
		T(test_commit_onto_directory),
		T(test_write_under_a_file),
		T(test_invalid_paths),
		T(test_read_missing),
		T(test_read_streamed),
		T(test_get_too_large),
		T(test_info),
		T(test_list),
		T(test_list_skips_temps_and_oddities),
		T(test_list_symlinks),
		T(test_list_callback_error_stops),
		T(test_remove),
		T(test_fault_enospc_put),
		T(test_fault_enospc_streamed),
		T(test_fault_kill),
	};

	return cmocka_run_group_tests_name("storage/posix", tests, NULL, NULL);
}
