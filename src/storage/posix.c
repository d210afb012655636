/*
 * posix.c — storage driver for a directory on a local or mounted file system
 *
 * An object "a/b/c" is the file "<root>/a/b/c". A write goes to
 * "<root>/a/b/c.tmp.<pid>.<n>" (created with O_EXCL, so never through a
 * symlink or into someone else's file) and on commit is fsync'd and moved
 * into place — link(2) when it must not replace an existing object, rename(2)
 * otherwise — and the directory is fsync'd. Directories are created on
 * demand, mode 0750, and each new one is made durable in its parent.
 *
 * A process killed mid-write leaves only a temporary file behind; list
 * skips those and a later write of the same object picks another name.
 */
#include "storage/storage.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/fileio.h"
#include "common/str.h"

#define WS_POSIX_DIR_MODE 0750
#define WS_POSIX_FILE_MODE 0640

/* how many temporary names to try when leftovers of a crashed run occupy ours */
#define WS_POSIX_TMP_ATTEMPTS 100

struct posix_storage {
	char root[PATH_MAX];        /* absolute, no trailing '/' unless it is "/" */
};

struct ws_storage_write {
	struct ws_storage *s;
	int fd;
	bool no_overwrite;
	bool no_sync;
	struct ws_writeback writeback;
	char final[PATH_MAX];
	char tmp[PATH_MAX];
};

struct ws_storage_read {
	int fd;
	char path[PATH_MAX];
};

static const char *
root_of(struct ws_storage *s)
{
	return ((struct posix_storage *) s->driver)->root;
}

/* "<root>/<rel>"; rel "" gives the root itself */
static int
full_path(struct ws_storage *s, const char *rel, char *out, size_t outsize,
		  struct ws_error *err)
{
	const char *root = root_of(s);
	const char *sep = (rel[0] == '\0' || strcmp(root, "/") == 0) ? "" : "/";

	if (ws_snprintf(out, outsize, "%s%s%s", root, sep, rel) != WS_OK)
		return ws_error_set(err, WS_ERR_INVALID,
							"file name \"%s%s%s\" is too long", root, sep, rel);
	return WS_OK;
}

/* the directory part of an absolute file path, into dir */
static void
dir_name(const char *path, char *dir, size_t dirsize)
{
	size_t len;

	ws_strlcpy(dir, path, dirsize);
	len = strlen(dir);
	while (len > 0 && dir[len - 1] != '/')
		len--;
	while (len > 1 && dir[len - 1] == '/')
		len--;
	dir[len] = '\0';
}

/*
 * Open a fresh temporary file next to w->final. The pid keeps concurrent
 * processes apart and the counter steps over stale leftovers. When the
 * directory is missing, create it and try once more.
 */
static int
open_temp(struct ws_storage_write *w, struct ws_error *err)
{
	bool made_dirs = false;
	int i = 0;

	while (i < WS_POSIX_TMP_ATTEMPTS) {
		if (ws_snprintf(w->tmp, sizeof(w->tmp), "%s.tmp.%ld.%d", w->final,
						(long) getpid(), i) != WS_OK)
			return ws_error_set(err, WS_ERR_INVALID,
								"file name \"%s\" is too long", w->final);
		w->fd = open(w->tmp, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC,
					 WS_POSIX_FILE_MODE);
		if (w->fd >= 0)
			return WS_OK;
		if (errno == ENOENT && !made_dirs) {
			char dir[PATH_MAX];
			int rc;

			dir_name(w->final, dir, sizeof(dir));
			rc = ws_mkdir_p(dir, WS_POSIX_DIR_MODE, err);
			if (rc != WS_OK)
				return rc;
			made_dirs = true;
			continue;
		}
		if (errno != EEXIST)
			break;
		i++;
	}
	return ws_error_set(err, WS_ERR_IO, "could not create file \"%s\": %m", w->tmp);
}

static int
posix_open_write(struct ws_storage *s, const char *path,
				 const struct ws_storage_write_opts *opts,
				 struct ws_storage_write **out, struct ws_error *err)
{
	struct ws_storage_write *w;
	int rc;

	*out = NULL;
	rc = ws_storage_path_check(path, err);
	if (rc != WS_OK)
		return rc;

	w = calloc(1, sizeof(*w));
	if (w == NULL)
		return ws_error_set(err, WS_ERR_NOMEM, "out of memory");
	w->s = s;
	w->fd = -1;
	w->no_overwrite = opts != NULL && opts->no_overwrite;
	w->no_sync = opts != NULL && opts->no_sync;

	rc = full_path(s, path, w->final, sizeof(w->final), err);
	if (rc != WS_OK)
		goto fail;
	rc = open_temp(w, err);
	if (rc != WS_OK)
		goto fail;

	*out = w;
	return WS_OK;

fail:
	free(w);
	return rc;
}

static int
posix_write(struct ws_storage_write *w, const void *data, size_t len,
			struct ws_error *err)
{
	int rc;

	rc = ws_storage_fault_check(w->s, len, err);
	if (rc != WS_OK)
		return ws_error_prefix(err, "could not write file \"%s\"", w->tmp);
	if (ws_write_all(w->fd, data, len) != 0)
		return ws_error_set(err, WS_ERR_IO, "could not write file \"%s\": %m", w->tmp);
	if (!w->no_sync)
		ws_writeback_note(&w->writeback, w->fd, len);
	return WS_OK;
}

static void
posix_abort(struct ws_storage_write *w)
{
	if (w == NULL)
		return;
	if (w->fd >= 0)
		close(w->fd);
	unlink(w->tmp);
	free(w);
}

static int
posix_commit(struct ws_storage_write *w, struct ws_error *err)
{
	int rc;

	if (!w->no_sync && fsync(w->fd) != 0) {
		rc = ws_error_set(err, WS_ERR_IO, "could not fsync file \"%s\": %m", w->tmp);
		goto fail;
	}
	/* close can report a deferred write error (NFS); don't ignore it */
	rc = close(w->fd);
	w->fd = -1;
	if (rc != 0) {
		rc = ws_error_set(err, WS_ERR_IO, "could not close file \"%s\": %m", w->tmp);
		goto fail;
	}

	if (w->no_overwrite) {
		/* link(2) fails rather than replace: atomic "create if absent" */
		if (link(w->tmp, w->final) != 0) {
			if (errno == EEXIST)
				rc = ws_error_set(err, WS_ERR_EXISTS,
								  "file \"%s\" already exists", w->final);
			else
				rc = ws_error_set(err, WS_ERR_IO,
								  "could not link file \"%s\" to \"%s\": %m",
								  w->tmp, w->final);
			goto fail;
		}
		/*
		 * The object is in place by now, but a temporary file we cannot
		 * remove means something is wrong with the directory: say so
		 * rather than leave litter behind silently.
		 */
		if (unlink(w->tmp) != 0) {
			rc = ws_error_set(err, WS_ERR_IO,
							  "could not remove file \"%s\": %m", w->tmp);
			free(w);
			return rc;
		}
	} else if (rename(w->tmp, w->final) != 0) {
		rc = ws_error_set(err, WS_ERR_IO,
						  "could not rename file \"%s\" to \"%s\": %m",
						  w->tmp, w->final);
		goto fail;
	}

	rc = w->no_sync ? WS_OK : ws_fsync_parent_dir(w->final, err);
	free(w);
	return rc;

fail:
	posix_abort(w);
	return rc;
}

static int
posix_open_read(struct ws_storage *s, const char *path,
				struct ws_storage_read **out, struct ws_error *err)
{
	struct ws_storage_read *r;
	int rc;

	*out = NULL;
	rc = ws_storage_path_check(path, err);
	if (rc != WS_OK)
		return rc;

	r = calloc(1, sizeof(*r));
	if (r == NULL)
		return ws_error_set(err, WS_ERR_NOMEM, "out of memory");
	rc = full_path(s, path, r->path, sizeof(r->path), err);
	if (rc != WS_OK)
		goto fail;

	r->fd = open(r->path, O_RDONLY | O_CLOEXEC);
	if (r->fd < 0) {
		/*
		 * ENOTDIR is not "absent": walship never nests objects, so a file
		 * where a directory should be means a broken repo-path.
		 */
		rc = ws_error_set(err, errno == ENOENT ? WS_ERR_NOT_FOUND : WS_ERR_IO,
						  "could not open file \"%s\": %m", r->path);
		goto fail;
	}
	*out = r;
	return WS_OK;

fail:
	free(r);
	return rc;
}

static int
posix_read(struct ws_storage_read *r, void *buf, size_t len, size_t *got,
		   struct ws_error *err)
{
	ssize_t n;

	do
		n = read(r->fd, buf, len);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		*got = 0;
		return ws_error_set(err, WS_ERR_IO, "could not read file \"%s\": %m", r->path);
	}
	*got = (size_t) n;
	return WS_OK;
}

static void
posix_close_read(struct ws_storage_read *r)
{
	if (r == NULL)
		return;
	close(r->fd);
	free(r);
}

static int
posix_info(struct ws_storage *s, const char *path, struct ws_storage_info *info,
		   struct ws_error *err)
{
	char full[PATH_MAX];
	struct stat st;
	int rc;

	info->exists = false;
	info->size = 0;
	info->mtime = 0;

	rc = ws_storage_path_check(path, err);
	if (rc != WS_OK)
		return rc;
	rc = full_path(s, path, full, sizeof(full), err);
	if (rc != WS_OK)
		return rc;

	if (stat(full, &st) != 0) {
		if (errno == ENOENT)
			return WS_OK;
		return ws_error_set(err, WS_ERR_IO, "could not stat file \"%s\": %m", full);
	}
	/* a directory is not an object */
	if (!S_ISREG(st.st_mode))
		return WS_OK;
	info->exists = true;
	info->size = (uint64_t) st.st_size;
	info->mtime = st.st_mtime;
	return WS_OK;
}

/* "<name>.tmp.<digits>.<digits>": a temporary file of ours */
static bool
is_temp_name(const char *name)
{
	const char *p = strstr(name, ".tmp.");

	for (; p != NULL; p = strstr(p + 1, ".tmp.")) {
		const char *q = p + 5;
		const char *digits = q;

		while (*q >= '0' && *q <= '9')
			q++;
		if (q == digits || *q != '.')
			continue;
		digits = ++q;
		while (*q >= '0' && *q <= '9')
			q++;
		if (q != digits && *q == '\0' && p != name)
			return true;
	}
	return false;
}

struct list_walk {
	ws_storage_list_cb cb;
	void *arg;
	char full[PATH_MAX];        /* absolute path of the directory being read */
	char rel[PATH_MAX];         /* the same, relative to the root */
};

/*
 * Report every object under walk->full, recursing into directories. We hold
 * one descriptor per level; repositories are shallow. Entries that vanish
 * while we look are skipped, and symbolic links to directories are not
 * followed (no loops).
 */
static int
list_dir(struct list_walk *walk, struct ws_error *err)
{
	size_t full_len = strlen(walk->full);
	size_t rel_len = strlen(walk->rel);
	struct dirent *de;
	struct ws_error ignored;
	DIR *d;
	int rc = WS_OK;

	d = opendir(walk->full);
	if (d == NULL) {
		if (errno == ENOENT || errno == ENOTDIR)
			return WS_OK;
		return ws_error_set(err, WS_ERR_IO,
							"could not open directory \"%s\": %m", walk->full);
	}

	for (;;) {
		struct ws_storage_info info;
		struct stat st;

		errno = 0;
		de = readdir(d);
		if (de == NULL) {
			if (errno != 0)
				rc = ws_error_set(err, WS_ERR_IO,
								  "could not read directory \"%s\": %m", walk->full);
			break;
		}
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		/* names we could not read back, and our own temporary files */
		if (ws_storage_path_check(de->d_name, &ignored) != WS_OK ||
			is_temp_name(de->d_name))
			continue;

		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
			if (errno == ENOENT)
				continue;
			rc = ws_error_set(err, WS_ERR_IO, "could not stat file \"%s/%s\": %m",
							  walk->full, de->d_name);
			break;
		}
		if (S_ISLNK(st.st_mode) &&
			(fstatat(dirfd(d), de->d_name, &st, 0) != 0 || !S_ISREG(st.st_mode)))
			continue;
		if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode))
			continue;

		if (ws_snprintf(walk->full + full_len, sizeof(walk->full) - full_len,
						"/%s", de->d_name) != WS_OK ||
			ws_snprintf(walk->rel + rel_len, sizeof(walk->rel) - rel_len,
						"%s%s", rel_len > 0 ? "/" : "", de->d_name) != WS_OK) {
			walk->full[full_len] = '\0';
			rc = ws_error_set(err, WS_ERR_INVALID, "file name \"%s/%s\" is too long",
							  walk->full, de->d_name);
			break;
		}

		if (S_ISDIR(st.st_mode)) {
			rc = list_dir(walk, err);
		} else {
			info.exists = true;
			info.size = (uint64_t) st.st_size;
			info.mtime = st.st_mtime;
			rc = walk->cb(walk->rel, &info, walk->arg, err);
		}
		walk->full[full_len] = '\0';
		walk->rel[rel_len] = '\0';
		if (rc != WS_OK)
			break;
	}

	closedir(d);
	return rc;
}

static int
posix_list(struct ws_storage *s, const char *prefix, ws_storage_list_cb cb,
		   void *arg, struct ws_error *err)
{
	struct list_walk *walk;
	int rc;

	if (prefix == NULL)
		prefix = "";
	if (prefix[0] != '\0') {
		rc = ws_storage_path_check(prefix, err);
		if (rc != WS_OK)
			return rc;
	}

	/* two paths of PATH_MAX: keep them off the stack of a recursive walk */
	walk = malloc(sizeof(*walk));
	if (walk == NULL)
		return ws_error_set(err, WS_ERR_NOMEM, "out of memory");
	walk->cb = cb;
	walk->arg = arg;
	rc = full_path(s, prefix, walk->full, sizeof(walk->full), err);
	if (rc == WS_OK && ws_strlcpy(walk->rel, prefix, sizeof(walk->rel)) >= sizeof(walk->rel))
		rc = ws_error_set(err, WS_ERR_INVALID, "file name \"%s\" is too long", prefix);
	if (rc == WS_OK)
		rc = list_dir(walk, err);
	free(walk);
	return rc;
}

static int
posix_remove(struct ws_storage *s, const char *path, struct ws_error *err)
{
	char full[PATH_MAX];
	int rc;

	rc = ws_storage_path_check(path, err);
	if (rc != WS_OK)
		return rc;
	rc = full_path(s, path, full, sizeof(full), err);
	if (rc != WS_OK)
		return rc;

	if (unlink(full) != 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			return WS_OK;
		return ws_error_set(err, WS_ERR_IO, "could not remove file \"%s\": %m", full);
	}
	return ws_fsync_parent_dir(full, err);
}

static void
posix_free(struct ws_storage *s)
{
	if (s == NULL)
		return;
	free(s->driver);
	free(s);
}

static const struct ws_storage_ops posix_ops = {
	.name = "posix",
	.features = WS_STORAGE_APPEND | WS_STORAGE_NO_OVERWRITE | WS_STORAGE_LOCAL,
	.open_write = posix_open_write,
	.write = posix_write,
	.commit = posix_commit,
	.abort = posix_abort,
	.open_read = posix_open_read,
	.read = posix_read,
	.close_read = posix_close_read,
	.info = posix_info,
	.list = posix_list,
	.remove = posix_remove,
	.free = posix_free
};

int
ws_storage_posix_new(const char *root, struct ws_storage **out, struct ws_error *err)
{
	struct ws_storage *s = NULL;
	struct posix_storage *ps = NULL;
	size_t len;
	int rc;

	*out = NULL;
	if (root == NULL || root[0] != '/')
		return ws_error_set(err, WS_ERR_INVALID,
							"storage root \"%s\" is not an absolute path",
							root != NULL ? root : "");

	s = calloc(1, sizeof(*s));
	ps = calloc(1, sizeof(*ps));
	if (s == NULL || ps == NULL) {
		rc = ws_error_set(err, WS_ERR_NOMEM, "out of memory");
		goto fail;
	}
	if (ws_strlcpy(ps->root, root, sizeof(ps->root)) >= sizeof(ps->root)) {
		rc = ws_error_set(err, WS_ERR_INVALID, "file name \"%s\" is too long", root);
		goto fail;
	}
	/* "/srv/repo/" is "/srv/repo"; "/" stays */
	len = strlen(ps->root);
	while (len > 1 && ps->root[len - 1] == '/')
		ps->root[--len] = '\0';

	rc = ws_storage_faults_parse(getenv("WALSHIP_FAULT"), &s->faults, err);
	if (rc != WS_OK)
		goto fail;

	s->ops = &posix_ops;
	s->driver = ps;
	*out = s;
	return WS_OK;

fail:
	free(ps);
	free(s);
	return rc;
}
