/*
 * fileio.c — durable file helpers (see fileio.h)
 */
#include "common/fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/str.h"

/* how many names to try when leftovers of a crashed run occupy ours */
#define WS_TMP_ATTEMPTS 100

#define WS_READ_CHUNK 16384

/* how much written data may wait before its writeback is started */
#define WS_WRITEBACK_CHUNK (1024 * 1024)

int
ws_write_all(int fd, const void *buf, size_t len)
{
	const char *data = buf;

	while (len > 0) {
		ssize_t n = write(fd, data, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0) {
			/* write(2) only does this when out of space without saying so */
			errno = ENOSPC;
			return -1;
		}
		data += n;
		len -= (size_t) n;
	}
	return 0;
}

/*
 * Create a fresh temporary file next to path. O_EXCL so that we never write
 * through a symlink or into someone else's file; the pid keeps concurrent
 * processes apart and the counter steps over stale leftovers.
 */
static int
open_temp(const char *path, mode_t mode, char *tmp, size_t tmpsize,
		  int *fd, struct ws_error *err)
{
	for (int i = 0; i < WS_TMP_ATTEMPTS; i++) {
		if (ws_snprintf(tmp, tmpsize, "%s.tmp.%ld.%d", path,
						(long) getpid(), i) != WS_OK)
			return ws_error_set(err, WS_ERR_INVALID,
								"file name \"%s\" is too long", path);
		*fd = open(tmp, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, mode);
		if (*fd >= 0)
			return WS_OK;
		if (errno != EEXIST)
			return ws_error_set(err, WS_ERR_IO,
								"could not create file \"%s\": %m", tmp);
	}
	return ws_error_set(err, WS_ERR_IO,
						"could not create file \"%s\": %m", tmp);
}

int
ws_atomic_open(const char *path, mode_t mode, struct ws_atomic_file *f, struct ws_error *err)
{
	f->fd = -1;
	memset(&f->writeback, 0, sizeof(f->writeback));
	if (ws_strlcpy(f->path, path, sizeof(f->path)) >= sizeof(f->path))
		return ws_error_set(err, WS_ERR_INVALID, "file name \"%s\" is too long", path);
	return open_temp(path, mode, f->tmp, sizeof(f->tmp), &f->fd, err);
}

void
ws_writeback_note(struct ws_writeback *wb, int fd, size_t len)
{
	wb->written += len;
	if (wb->written - wb->started < WS_WRITEBACK_CHUNK)
		return;
#ifdef SYNC_FILE_RANGE_WRITE
	/* a failure here only loses the head start: the fsync reports errors */
	(void) sync_file_range(fd, (off_t) wb->started, (off_t) (wb->written - wb->started),
						   SYNC_FILE_RANGE_WRITE);
#else
	(void) fd;
#endif
	wb->started = wb->written;
}

int
ws_atomic_write(struct ws_atomic_file *f, const void *data, size_t len, struct ws_error *err)
{
	if (ws_write_all(f->fd, data, len) != 0)
		return ws_error_set(err, WS_ERR_IO, "could not write file \"%s\": %m", f->tmp);
	ws_writeback_note(&f->writeback, f->fd, len);
	return WS_OK;
}

int
ws_direct_open(const char *path, mode_t mode, bool create, struct ws_atomic_file *f,
			   struct ws_error *err)
{
	if (ws_strlcpy(f->path, path, sizeof(f->path)) >= sizeof(f->path))
		return ws_error_set(err, WS_ERR_INVALID, "file name \"%s\" is too long", path);
	ws_strlcpy(f->tmp, path, sizeof(f->tmp));
	memset(&f->writeback, 0, sizeof(f->writeback));
	f->fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC | (create ? O_CREAT : 0), mode);
	if (f->fd < 0)
		return ws_error_set(err, WS_ERR_IO, "could not create file \"%s\": %m", path);
	return WS_OK;
}

int
ws_direct_commit(struct ws_atomic_file *f, struct ws_error *err)
{
	int rc = WS_OK;

	if (fsync(f->fd) != 0)
		rc = ws_error_set(err, WS_ERR_IO, "could not fsync file \"%s\": %m", f->path);
	if (close(f->fd) != 0 && rc == WS_OK)
		rc = ws_error_set(err, WS_ERR_IO, "could not close file \"%s\": %m", f->path);
	f->fd = -1;
	return rc;
}

int
ws_atomic_pwrite(struct ws_atomic_file *f, const void *data, size_t len, uint64_t offset,
				 struct ws_error *err)
{
	const char *p = data;

	while (len > 0) {
		ssize_t n = pwrite(f->fd, p, len, (off_t) offset);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return ws_error_set(err, WS_ERR_IO, "could not write file \"%s\": %m", f->tmp);
		p += n;
		len -= (size_t) n;
		offset += (uint64_t) n;
	}
	return WS_OK;
}

void
ws_atomic_abort(struct ws_atomic_file *f)
{
	if (f->fd >= 0)
		close(f->fd);
	f->fd = -1;
	unlink(f->tmp);
}

int
ws_atomic_commit(struct ws_atomic_file *f, struct ws_error *err)
{
	int rc;

	if (fsync(f->fd) != 0) {
		rc = ws_error_set(err, WS_ERR_IO, "could not fsync file \"%s\": %m", f->tmp);
		goto fail;
	}
	/* close can report a deferred write error (NFS); don't ignore it */
	rc = close(f->fd);
	f->fd = -1;
	if (rc != 0) {
		rc = ws_error_set(err, WS_ERR_IO, "could not close file \"%s\": %m", f->tmp);
		goto fail;
	}
	if (rename(f->tmp, f->path) != 0) {
		rc = ws_error_set(err, WS_ERR_IO,
						  "could not rename file \"%s\" to \"%s\": %m",
						  f->tmp, f->path);
		goto fail;
	}
	return ws_fsync_parent_dir(f->path, err);

fail:
	ws_atomic_abort(f);
	return rc;
}

int
ws_write_file_atomic(const char *path, const void *data, size_t len,
					 mode_t mode, struct ws_error *err)
{
	struct ws_atomic_file f;
	int rc;

	rc = ws_atomic_open(path, mode, &f, err);
	if (rc != WS_OK)
		return rc;
	rc = ws_atomic_write(&f, data, len, err);
	if (rc != WS_OK) {
		ws_atomic_abort(&f);
		return rc;
	}
	return ws_atomic_commit(&f, err);
}

int
ws_fsync_dir(const char *dir, struct ws_error *err)
{
	int fd;
	int rc = WS_OK;

	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return ws_error_set(err, WS_ERR_IO,
							"could not open directory \"%s\": %m", dir);
	/* some file systems cannot fsync a directory; nothing more to do there */
	if (fsync(fd) != 0 && errno != EINVAL)
		rc = ws_error_set(err, WS_ERR_IO,
						  "could not fsync directory \"%s\": %m", dir);
	close(fd);
	return rc;
}

int
ws_fsync_parent_dir(const char *path, struct ws_error *err)
{
	char dir[PATH_MAX];
	size_t len;

	if (ws_strlcpy(dir, path, sizeof(dir)) >= sizeof(dir))
		return ws_error_set(err, WS_ERR_INVALID,
							"file name \"%s\" is too long", path);

	/* "a/b/" names "a/b": drop trailing slashes, then the last component */
	len = strlen(dir);
	while (len > 1 && dir[len - 1] == '/')
		len--;
	while (len > 0 && dir[len - 1] != '/')
		len--;
	while (len > 1 && dir[len - 1] == '/')
		len--;

	if (len == 0)
		ws_strlcpy(dir, ".", sizeof(dir));
	else
		dir[len] = '\0';
	return ws_fsync_dir(dir, err);
}

int
ws_read_file(const char *path, size_t max, struct ws_buf *out,
			 struct ws_error *err)
{
	char chunk[WS_READ_CHUNK];
	size_t start_len = out->len;
	size_t total = 0;
	struct stat st;
	int fd;
	int rc = WS_OK;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return ws_error_set(err, errno == ENOENT ? WS_ERR_NOT_FOUND : WS_ERR_IO,
							"could not open file \"%s\": %m", path);

	/* refuse early when we can; the read loop still enforces max */
	if (fstat(fd, &st) != 0) {
		rc = ws_error_set(err, WS_ERR_IO,
						  "could not stat file \"%s\": %m", path);
		goto cleanup;
	}
	if (S_ISREG(st.st_mode) && (uintmax_t) st.st_size > (uintmax_t) max) {
		rc = ws_error_set(err, WS_ERR_TOO_LARGE,
						  "file \"%s\" is too large (%jd bytes, limit %zu)",
						  path, (intmax_t) st.st_size, max);
		goto cleanup;
	}

	/* one allocation of the right size, then read straight into it */
	if (S_ISREG(st.st_mode) && st.st_size > 0)
		(void) ws_buf_reserve(out, (size_t) st.st_size);
	for (;;) {
		size_t room = out->cap > out->len + 1 ? out->cap - out->len - 1 : 0;
		ssize_t n;

		if (room >= sizeof(chunk)) {
			n = read(fd, out->data + out->len, room);
			if (n > 0 && (size_t) n <= max - total) {
				out->len += (size_t) n;
				out->data[out->len] = '\0';
				total += (size_t) n;
				continue;
			}
			if (n > 0) {
				rc = ws_error_set(err, WS_ERR_TOO_LARGE,
								  "file \"%s\" is too large (limit %zu bytes)", path, max);
				goto cleanup;
			}
		} else {
			n = read(fd, chunk, sizeof(chunk));
		}

		if (n < 0) {
			if (errno == EINTR)
				continue;
			rc = ws_error_set(err, WS_ERR_IO,
							  "could not read file \"%s\": %m", path);
			goto cleanup;
		}
		if (n == 0)
			break;
		if ((size_t) n > max - total) {
			rc = ws_error_set(err, WS_ERR_TOO_LARGE,
							  "file \"%s\" is too large (limit %zu bytes)",
							  path, max);
			goto cleanup;
		}
		total += (size_t) n;
		rc = ws_buf_append(out, chunk, (size_t) n);
		if (rc == WS_ERR_TOO_LARGE) {
			ws_error_set(err, rc, "file \"%s\" is too large (limit %zu bytes)",
						 path, out->max - start_len);
			goto cleanup;
		}
		if (rc != WS_OK) {
			ws_error_set(err, rc, "out of memory while reading file \"%s\"",
						 path);
			goto cleanup;
		}
	}

cleanup:
	close(fd);
	if (rc != WS_OK) {
		/* give the caller back the buffer as it was */
		out->len = start_len;
		if (out->data != NULL)
			out->data[start_len] = '\0';
	}
	return rc;
}

/*
 * Create the directory path (absolute) and any missing parents. Each
 * directory we create is fsync'd into its parent, so that a committed
 * object is reachable after a crash.
 */
int
ws_mkdir_p(const char *path, mode_t mode, struct ws_error *err)
{
	char dir[PATH_MAX];
	size_t len;
	int rc;

	if (ws_strlcpy(dir, path, sizeof(dir)) >= sizeof(dir))
		return ws_error_set(err, WS_ERR_INVALID,
							"file name \"%s\" is too long", path);
	len = strlen(dir);

	/* skip the leading '/': the file system root always exists */
	for (size_t i = 1; i <= len; i++) {
		if (dir[i] != '/' && dir[i] != '\0')
			continue;
		if (dir[i - 1] == '/')
			continue;           /* "//" in the root given by the user */
		dir[i] = '\0';
		if (mkdir(dir, mode) == 0) {
			rc = ws_fsync_parent_dir(dir, err);
			if (rc != WS_OK)
				return rc;
		} else if (errno != EEXIST) {
			return ws_error_set(err, WS_ERR_IO,
								"could not create directory \"%s\": %m", dir);
		}
		if (i < len)
			dir[i] = '/';
	}
	return WS_OK;
}
