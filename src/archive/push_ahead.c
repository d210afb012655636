/*
 * push_ahead.c — upload ready segments before archive-push asks (push_ahead.h)
 */
#include "archive/push_ahead.h"

#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "archive/object.h"
#include "common/str.h"
#include "filter/filter.h"
#include "wal/segment.h"

#define AHEAD_POLL_MS 5
/* "<size> <64 hex sha256> <dev> <inode> <mtime s>.<ns>\n" */
#define RECORD_MAX 256

int
ws_ahead_list_ready(const char *wal_dir, struct ws_spool_queue *ready, struct ws_error *err)
{
	char dir[PATH_MAX];
	struct dirent *e;
	DIR *d;
	int rc = WS_OK;

	memset(ready, 0, sizeof(*ready));
	if (ws_snprintf(dir, sizeof(dir), "%s/archive_status", wal_dir) != WS_OK)
		return ws_error_set(err, WS_ERR_TOO_LARGE, "WAL directory path is too long");
	if ((d = opendir(dir)) == NULL)
		return ws_error_set(err, WS_ERR_IO, "could not open directory \"%s\": %m", dir);
	while (rc == WS_OK && (e = readdir(d)) != NULL) {
		char name[WS_WAL_NAME_MAX];
		size_t len = strlen(e->d_name);

		if (len != 24 + strlen(".ready") || strcmp(e->d_name + 24, ".ready") != 0)
			continue;
		memcpy(name, e->d_name, 24);
		name[24] = '\0';
		if (ws_wal_is_segment_name(name))
			rc = ws_spool_queue_add(ready, name, 0, err);
	}
	closedir(d);
	if (rc != WS_OK) {
		ws_spool_queue_free(ready);
		return rc;
	}
	ws_spool_queue_sort(ready);
	return WS_OK;
}

/* push/done/<name>: the record of a segment the worker stored ahead */
static int
record_path(struct ws_spool *spool, const char *name, char *buf, size_t size,
			struct ws_error *err)
{
	char file[96];

	snprintf(file, sizeof(file), "done/%s", name);
	return ws_spool_path(spool, file, buf, size, err);
}

static bool
record_exists(struct ws_spool *spool, const char *name)
{
	struct ws_storage_info info;
	struct ws_error err;
	char path[256];

	if (record_path(spool, name, path, sizeof(path), &err) != WS_OK)
		return false;
	return spool->store->ops->info(spool->store, path, &info, &err) == WS_OK && info.exists;
}

static void
record_remove(struct ws_spool *spool, const char *name)
{
	struct ws_error err;
	char path[256];

	if (record_path(spool, name, path, sizeof(path), &err) == WS_OK)
		spool->store->ops->remove(spool->store, path, &err);
}

/* Records need no fsync: one lost in a crash only means a copy into the queue. */
static int
record_write(struct ws_spool *spool, const char *name, const char *text, struct ws_error *err)
{
	const struct ws_storage_write_opts opts = {.no_sync = true};
	char path[256];
	int rc;

	if ((rc = record_path(spool, name, path, sizeof(path), err)) != WS_OK)
		return rc;
	return ws_storage_put(spool->store, path, text, strlen(text), &opts, err);
}

bool
ws_ahead_known(struct ws_spool *spool, const char *name)
{
	return record_exists(spool, name);
}

static bool
still_ready(const char *wal_dir, const char *name)
{
	char path[PATH_MAX];
	struct stat st;

	if (ws_snprintf(path, sizeof(path), "%s/archive_status/%s.ready", wal_dir, name) != WS_OK)
		return false;
	return stat(path, &st) == 0;
}

/*
 * A record names the file it was read from by device, inode, size and
 * modification time: archive-push trusts it only for that same file.
 */
static void
format_identity(const struct stat *st, char *text, size_t size)
{
	snprintf(text, size, "%" PRIu64 " %" PRIu64 " %" PRIu64 " %lld.%09ld", (uint64_t) st->st_size,
			 (uint64_t) st->st_dev, (uint64_t) st->st_ino, (long long) st->st_mtim.tv_sec,
			 st->st_mtim.tv_nsec);
}

static bool
same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino && a->st_size == b->st_size &&
		a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

static void
format_record(const struct stat *st, const uint8_t sha256[32], char text[RECORD_MAX])
{
	char identity[128];
	char hex[65];

	ws_sha256_hex(sha256, hex);
	format_identity(st, identity, sizeof(identity));
	snprintf(text, RECORD_MAX, "%s %s\n", hex, identity);
}

int
ws_ahead_prepare(struct ws_archive *a, const char *wal_dir, const char *name,
				 struct ws_buf *data, struct ws_push_job *job, struct ws_error *err)
{
	char path[PATH_MAX];
	struct stat after;

	ws_strlcpy(job->name, name, sizeof(job->name));
	job->ahead = true;
	job->skip = true;
	ws_buf_reset(data);
	ws_buf_reset(&job->obj);
	if (ws_snprintf(path, sizeof(path), "%s/%s", wal_dir, name) != WS_OK)
		return ws_error_set(err, WS_ERR_TOO_LARGE, "WAL directory path is too long");
	/*
	 * Whatever goes wrong reading is archive-push's to report, once
	 * PostgreSQL asks for the segment: here it only means "not now".
	 */
	if (stat(path, &job->source) != 0 || ws_archive_read_wal(a, path, data, err) != WS_OK ||
		stat(path, &after) != 0 || !same_file(&job->source, &after) || !still_ready(wal_dir, name))
		return WS_OK;
	job->skip = false;
	return ws_object_encode(data->data, data->len, &a->params, &job->obj, &job->header, err);
}

int
ws_ahead_store(struct ws_archive *a, struct ws_spool *spool, const struct ws_push_job *job,
			   struct ws_error *err)
{
	char record[RECORD_MAX];
	bool already;
	int rc;

	rc = ws_archive_store(a, job->name, &job->obj, &job->header, &already, err);
	if (rc == WS_OK) {
		format_record(&job->source, job->header.sha256, record);
		rc = record_write(spool, job->name, record, err);
	}
	return rc;
}

static int
read_record(struct ws_spool *spool, const char *name, char text[RECORD_MAX], struct ws_error *err)
{
	struct ws_buf buf;
	char path[256];
	int rc;

	text[0] = '\0';
	if ((rc = record_path(spool, name, path, sizeof(path), err)) != WS_OK)
		return rc;
	ws_buf_init(&buf, RECORD_MAX - 1);
	rc = ws_storage_get(spool->store, path, &buf, err);
	if (rc == WS_OK)
		ws_strlcpy(text, ws_buf_str(&buf), RECORD_MAX);
	ws_buf_free(&buf);
	return rc;
}

/* Does the record (after its digest) name the file at path as it is now? */
static bool
record_matches(const char *record, const char *path)
{
	const char *identity = strchr(record, ' ');
	char mine[128];
	struct stat st;
	size_t len;

	if (identity == NULL || stat(path, &st) != 0)
		return false;
	identity++;
	format_identity(&st, mine, sizeof(mine));
	len = strlen(mine);
	return strncmp(identity, mine, len) == 0 && identity[len] == '\n';
}

/* Is another process holding the worker's lock? */
static bool
worker_running(const char *lock_path)
{
	int fd = open(lock_path, O_RDWR | O_CLOEXEC);
	bool held;

	if (fd < 0)
		return false;
	held = lockf(fd, F_TEST, 0) != 0;
	close(fd);
	return held;
}

/*
 * Worth waiting for: a worker runs, and has the segment in flight or will
 * reach it, as it is still waiting as .ready in pg_wal.
 */
static bool
worth_waiting(const char *wal_dir, const char *name, const char *lock_path)
{
	return wal_dir[0] != '\0' && still_ready(wal_dir, name) && worker_running(lock_path);
}

int
ws_ahead_claim(struct ws_spool *spool, const char *wal_dir, const char *path,
			   const char *lock_path, bool *done, struct ws_error *err)
{
	const struct timespec pause = {0, AHEAD_POLL_MS * 1000000L};
	const char *name = ws_archive_base_name(path);
	char record[RECORD_MAX];
	int rc;

	*done = false;
	if (!ws_wal_is_segment_name(name))
		return WS_OK;
	for (int waited = 0;; waited += AHEAD_POLL_MS) {
		rc = read_record(spool, name, record, err);
		if (rc == WS_OK)
			break;
		if (rc != WS_ERR_NOT_FOUND)
			return rc;
		if (waited >= WS_AHEAD_WAIT_MS || !worth_waiting(wal_dir, name, lock_path))
			return WS_OK;
		nanosleep(&pause, NULL);
	}
	/* a record of another file is stale: the caller queues this one */
	*done = record_matches(record, path);
	record_remove(spool, name);
	return WS_OK;
}

struct tidy {
	struct ws_spool *spool;
	const char *wal_dir;
};

static int
tidy_mark(const char *path, const struct ws_storage_info *info, void *arg, struct ws_error *err)
{
	struct tidy *t = arg;
	const char *base = strrchr(path, '/');

	(void) info;
	base = base != NULL ? base + 1 : path;
	if (still_ready(t->wal_dir, base))
		return WS_OK;
	return t->spool->store->ops->remove(t->spool->store, path, err);
}

void
ws_ahead_tidy(struct ws_spool *spool, const char *wal_dir)
{
	struct tidy t = {spool, wal_dir};
	struct ws_error err;
	char dir[128];

	if (wal_dir[0] != '\0' && ws_spool_path(spool, "done", dir, sizeof(dir), &err) == WS_OK)
		spool->store->ops->list(spool->store, dir, tidy_mark, &t, &err);
}

void
ws_ahead_forget_done(struct ws_spool *spool, const char *name)
{
	record_remove(spool, name);
}
