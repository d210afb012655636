/*
 * walfile.c — the segment a receiver is writing (walfile.h)
 */
#include "repl/walfile.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/fileio.h"
#include "common/str.h"

void
ws_walfile_init(struct ws_walfile *f, const char *dir, uint32_t segsize)
{
	memset(f, 0, sizeof(*f));
	f->fd = -1;
	ws_strlcpy(f->dir, dir, sizeof(f->dir));
	f->segsize = segsize;
}

bool
ws_walfile_is_open(const struct ws_walfile *f)
{
	return f->fd >= 0;
}

ws_lsn
ws_walfile_end(const struct ws_walfile *f)
{
	return ws_wal_segno_to_lsn(f->segno, f->segsize) + f->written;
}

static int
partial_path(const struct ws_walfile *f, char *buf, size_t size, struct ws_error *err)
{
	if (ws_snprintf(buf, size, "%s/%s.partial", f->dir, f->name) != WS_OK)
		return ws_error_set(err, WS_ERR_TOO_LARGE, "stream directory path is too long");
	return WS_OK;
}

int
ws_walfile_open(struct ws_walfile *f, uint32_t tli, ws_segno segno, struct ws_error *err)
{
	char path[PATH_MAX];
	struct stat st;
	int rc;

	if ((rc = ws_wal_segment_name(tli, segno, f->segsize, f->name, err)) != WS_OK)
		return rc;
	if ((rc = partial_path(f, path, sizeof(path), err)) != WS_OK)
		return rc;
	f->fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (f->fd < 0)
		return ws_error_set(err, WS_ERR_IO, "could not open file \"%s\": %m", path);
	f->tli = tli;
	f->segno = segno;
	f->written = 0;
	f->synced = 0;
	if (fstat(f->fd, &st) != 0) {
		rc = ws_error_set(err, WS_ERR_IO, "could not stat file \"%s\": %m", path);
		goto fail;
	}
	if ((uint64_t) st.st_size == f->segsize)
		return WS_OK;
	/*
	 * New (or cut short by a crash before its size was durable): give it
	 * its full size now, so a write never has to grow it, and make the name
	 * durable before anything written into it is reported as flushed.
	 */
	rc = posix_fallocate(f->fd, 0, f->segsize);
	if (rc == EOPNOTSUPP || rc == EINVAL)
		rc = ftruncate(f->fd, f->segsize) == 0 ? 0 : errno;
	if (rc != 0) {
		errno = rc;
		rc = ws_error_set(err, WS_ERR_IO, "could not allocate %u bytes for file \"%s\": %m",
						  f->segsize, path);
		goto fail;
	}
	if (fsync(f->fd) != 0) {
		rc = ws_error_set(err, WS_ERR_IO, "could not fsync file \"%s\": %m", path);
		goto fail;
	}
	if ((rc = ws_fsync_dir(f->dir, err)) != WS_OK)
		goto fail;
	return WS_OK;

fail:
	close(f->fd);
	f->fd = -1;
	return rc;
}

int
ws_walfile_write(struct ws_walfile *f, uint32_t offset, const void *data, size_t len,
				 struct ws_error *err)
{
	const char *p = data;

	if (offset > f->written || offset + len > f->segsize)
		return ws_error_set(err, WS_ERR_CORRUPT,
							"WAL data for %s at offset %u (%zu bytes) leaves a gap or overruns the segment (%u written)",
							f->name, offset, len, f->written);
	while (len > 0) {
		ssize_t n = pwrite(f->fd, p, len, offset);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return ws_error_set(err, WS_ERR_IO, "could not write to file \"%s/%s.partial\": %m",
								f->dir, f->name);
		p += n;
		offset += (uint32_t) n;
		len -= (size_t) n;
	}
	if (offset > f->written)
		f->written = offset;
	return WS_OK;
}

int
ws_walfile_sync(struct ws_walfile *f, struct ws_error *err)
{
	if (f->fd < 0 || f->synced == f->written)
		return WS_OK;
	if (fdatasync(f->fd) != 0)
		return ws_error_set(err, WS_ERR_IO, "could not fsync file \"%s/%s.partial\": %m",
							f->dir, f->name);
	f->synced = f->written;
	return WS_OK;
}

static int
close_fd(struct ws_walfile *f, struct ws_error *err)
{
	int rc = close(f->fd);

	f->fd = -1;
	if (rc != 0)
		return ws_error_set(err, WS_ERR_IO, "could not close file \"%s/%s.partial\": %m",
							f->dir, f->name);
	return WS_OK;
}

void
ws_walfile_detach(struct ws_walfile *f, struct ws_walfile_job *job)
{
	job->fd = f->fd;
	job->synced = f->synced == f->written;
	ws_strlcpy(job->dir, f->dir, sizeof(job->dir));
	ws_strlcpy(job->name, f->name, sizeof(job->name));
	job->end = ws_walfile_end(f);
	f->fd = -1;
}

int
ws_walfile_job_finish(struct ws_walfile_job *job, char *path, size_t size, struct ws_error *err)
{
	char partial[PATH_MAX];
	int rc = WS_OK;

	if (!job->synced && fdatasync(job->fd) != 0)
		rc = ws_error_set(err, WS_ERR_IO, "could not fsync file \"%s/%s.partial\": %m", job->dir, job->name);
	if (close(job->fd) != 0 && rc == WS_OK)
		rc = ws_error_set(err, WS_ERR_IO, "could not close file \"%s/%s.partial\": %m", job->dir, job->name);
	job->fd = -1;
	if (rc != WS_OK)
		return rc;
	if (ws_snprintf(partial, sizeof(partial), "%s/%s.partial", job->dir, job->name) != WS_OK ||
		ws_snprintf(path, size, "%s/%s", job->dir, job->name) != WS_OK)
		return ws_error_set(err, WS_ERR_TOO_LARGE, "stream directory path is too long");
	if (rename(partial, path) != 0)
		return ws_error_set(err, WS_ERR_IO, "could not rename file \"%s\" to \"%s\": %m", partial, path);
	return ws_fsync_dir(job->dir, err);
}

int
ws_walfile_complete(struct ws_walfile *f, char *path, size_t size, struct ws_error *err)
{
	struct ws_walfile_job job;

	ws_walfile_detach(f, &job);
	return ws_walfile_job_finish(&job, path, size, err);
}

int
ws_walfile_close(struct ws_walfile *f, char *path, size_t size, struct ws_error *err)
{
	int rc;

	if (f->fd < 0)
		return WS_OK;
	if ((rc = ws_walfile_sync(f, err)) != WS_OK) {
		close_fd(f, err);
		return rc;
	}
	if ((rc = close_fd(f, err)) != WS_OK)
		return rc;
	return partial_path(f, path, size, err);
}

int
ws_walfile_scan(const char *dir, uint32_t segsize,
				int (*found)(const struct ws_walfile_found *f, void *arg, struct ws_error *err),
				void *arg, struct ws_error *err)
{
	struct dirent *e;
	DIR *d = opendir(dir);
	int rc = WS_OK;

	if (d == NULL)
		return ws_error_set(err, WS_ERR_IO, "could not open directory \"%s\": %m", dir);
	while (rc == WS_OK && (e = readdir(d)) != NULL) {
		struct ws_walfile_found f = {e->d_name, 0, 0, ws_wal_is_partial_name(e->d_name)};
		char name[WS_WAL_FNAME_BUFLEN];
		struct ws_error ignored;

		if (!f.partial && !ws_wal_is_segment_name(e->d_name))
			continue;
		memcpy(name, e->d_name, 24);
		name[24] = '\0';
		if (ws_wal_segment_parse(name, segsize, &f.tli, &f.segno, &ignored) == WS_OK)
			rc = found(&f, arg, err);
	}
	closedir(d);
	return rc;
}
