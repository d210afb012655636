/*
 * push_ahead.c — upload ready segments before archive-push asks (push_ahead.h)
 */
#include "archive/push_ahead.h"

#include <dirent.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "archive/object.h"
#include "common/str.h"
#include "filter/filter.h"
#include "wal/segment.h"

#define AHEAD_POLL_MS 5
/* "<size> <64 hex>\n" */
#define RECORD_MAX 96

static int
list_grow(struct ws_spool_queue *q, int *cap, struct ws_error *err)
{
	char (*grown)[WS_WAL_NAME_MAX];
	int n = *cap ? *cap * 2 : 64;

	if (q->count < *cap)
		return WS_OK;
	grown = realloc(q->names, (size_t) n * sizeof(*grown));
	if (grown == NULL)
		return ws_error_set(err, WS_ERR_NOMEM, "out of memory listing archive_status");
	q->names = grown;
	*cap = n;
	return WS_OK;
}

static int
compare_names(const void *a, const void *b)
{
	return strcmp(a, b);
}

int
ws_ahead_list_ready(const char *wal_dir, struct ws_spool_queue *ready, struct ws_error *err)
{
	char dir[PATH_MAX];
	struct dirent *e;
	DIR *d;
	int cap = 0;
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
		if (!ws_wal_is_segment_name(name))
			continue;
		if ((rc = list_grow(ready, &cap, err)) == WS_OK)
			memcpy(ready->names[ready->count++], name, 25);
	}
	closedir(d);
	if (rc != WS_OK) {
		ws_spool_queue_free(ready);
		return rc;
	}
	if (ready->count > 1)
		qsort(ready->names, (size_t) ready->count, sizeof(ready->names[0]), compare_names);
	return WS_OK;
}

static int
mark_path(struct ws_spool *spool, const char *kind, const char *name, char *buf, size_t size,
		  struct ws_error *err)
{
	char file[96];

	snprintf(file, sizeof(file), "%s/%s", kind, name);
	return ws_spool_path(spool, file, buf, size, err);
}

static bool
mark_exists(struct ws_spool *spool, const char *kind, const char *name)
{
	struct ws_storage_info info;
	struct ws_error err;
	char path[256];

	if (mark_path(spool, kind, name, path, sizeof(path), &err) != WS_OK)
		return false;
	return spool->store->ops->info(spool->store, path, &info, &err) == WS_OK && info.exists;
}

static void
mark_remove(struct ws_spool *spool, const char *kind, const char *name)
{
	struct ws_error err;
	char path[256];

	if (mark_path(spool, kind, name, path, sizeof(path), &err) == WS_OK)
		spool->store->ops->remove(spool->store, path, &err);
}

static int
mark_write(struct ws_spool *spool, const char *kind, const char *name, const char *text,
		   struct ws_error *err)
{
	char path[256];
	int rc;

	if ((rc = mark_path(spool, kind, name, path, sizeof(path), err)) != WS_OK)
		return rc;
	return ws_storage_put(spool->store, path, text, strlen(text), NULL, err);
}

bool
ws_ahead_known(struct ws_spool *spool, const char *name)
{
	return mark_exists(spool, "done", name) || mark_exists(spool, "ahead", name);
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

static void
format_record(uint64_t size, const uint8_t sha256[32], char text[RECORD_MAX])
{
	char hex[65];

	ws_sha256_hex(sha256, hex);
	snprintf(text, RECORD_MAX, "%" PRIu64 " %s\n", size, hex);
}

int
ws_ahead_push(struct ws_archive *a, struct ws_spool *spool, const char *wal_dir,
			  const char *name, bool *stored, struct ws_error *err)
{
	struct ws_object_header header;
	struct ws_buf data;
	struct ws_buf obj;
	char path[PATH_MAX];
	char record[RECORD_MAX];
	bool already;
	int rc;

	*stored = false;
	if (ws_snprintf(path, sizeof(path), "%s/%s", wal_dir, name) != WS_OK)
		return ws_error_set(err, WS_ERR_TOO_LARGE, "WAL directory path is too long");
	if ((rc = mark_write(spool, "ahead", name, "", err)) != WS_OK)
		return rc;
	ws_buf_init(&data, WS_WAL_SEGSIZE_MAX);
	ws_buf_init(&obj, ws_archive_object_max(ws_stanza_current(&a->stanza)));
	/*
	 * Whatever goes wrong reading is archive-push's to report, once
	 * PostgreSQL asks for the segment: here it only means "not now".
	 */
	if (ws_archive_read_wal(a, path, &data, err) != WS_OK || !still_ready(wal_dir, name))
		goto cleanup;
	rc = ws_object_encode(data.data, data.len, &a->params, &obj, &header, err);
	if (rc == WS_OK)
		rc = ws_archive_store(a, name, &obj, &header, &already, err);
	if (rc == WS_OK) {
		format_record(header.original_size, header.sha256, record);
		rc = mark_write(spool, "done", name, record, err);
	}
	*stored = rc == WS_OK;

cleanup:
	mark_remove(spool, "ahead", name);
	ws_buf_free(&data);
	ws_buf_free(&obj);
	return rc;
}

static int
digest_record(const struct ws_buf *data, char text[RECORD_MAX], struct ws_error *err)
{
	struct ws_sha256 *h;
	uint8_t digest[32];
	int rc;

	if ((rc = ws_sha256_new(&h, err)) != WS_OK)
		return rc;
	rc = ws_sha256_update(h, data->data, data->len, err);
	if (rc == WS_OK)
		rc = ws_sha256_final_digest(h, digest, err);
	ws_sha256_free(h);
	if (rc == WS_OK)
		format_record(data->len, digest, text);
	return rc;
}

static int
read_record(struct ws_spool *spool, const char *name, char text[RECORD_MAX], struct ws_error *err)
{
	struct ws_buf buf;
	char path[256];
	int rc;

	text[0] = '\0';
	if ((rc = mark_path(spool, "done", name, path, sizeof(path), err)) != WS_OK)
		return rc;
	ws_buf_init(&buf, RECORD_MAX - 1);
	rc = ws_storage_get(spool->store, path, &buf, err);
	if (rc == WS_OK)
		ws_strlcpy(text, ws_buf_str(&buf), RECORD_MAX);
	ws_buf_free(&buf);
	return rc;
}

int
ws_ahead_claim(struct ws_spool *spool, const char *name, const struct ws_buf *data,
			   bool *done, struct ws_error *err)
{
	const struct timespec pause = {0, AHEAD_POLL_MS * 1000000L};
	char record[RECORD_MAX];
	char mine[RECORD_MAX];
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
		if (waited >= WS_AHEAD_WAIT_MS || !mark_exists(spool, "ahead", name))
			return WS_OK;
		nanosleep(&pause, NULL);
	}
	if ((rc = digest_record(data, mine, err)) != WS_OK)
		return rc;
	/* a record for other bytes is stale: the caller queues these */
	*done = strcmp(record, mine) == 0;
	mark_remove(spool, "done", name);
	return WS_OK;
}

struct tidy {
	struct ws_spool *spool;
	const char *wal_dir;      /* NULL: remove every mark */
};

static int
tidy_mark(const char *path, const struct ws_storage_info *info, void *arg, struct ws_error *err)
{
	struct tidy *t = arg;
	const char *base = strrchr(path, '/');

	(void) info;
	base = base != NULL ? base + 1 : path;
	if (t->wal_dir != NULL && still_ready(t->wal_dir, base))
		return WS_OK;
	return t->spool->store->ops->remove(t->spool->store, path, err);
}

static void
tidy_dir(struct ws_spool *spool, const char *kind, const char *wal_dir)
{
	struct tidy t = {spool, wal_dir};
	struct ws_error err;
	char dir[128];

	if (ws_spool_path(spool, kind, dir, sizeof(dir), &err) == WS_OK)
		spool->store->ops->list(spool->store, dir, tidy_mark, &t, &err);
}

void
ws_ahead_tidy(struct ws_spool *spool, const char *wal_dir)
{
	tidy_dir(spool, "ahead", NULL);
	if (wal_dir[0] != '\0')
		tidy_dir(spool, "done", wal_dir);
}

void
ws_ahead_forget_done(struct ws_spool *spool, const char *name)
{
	mark_remove(spool, "done", name);
}
