/*
 * spool.c — the local queue of asynchronous archiving (spool.h)
 */
#include "archive/spool.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "archive/archive.h"
#include "archive/object.h"
#include "common/fileio.h"
#include "common/str.h"

int
ws_spool_open(const struct ws_config *cfg, struct ws_spool *spool, struct ws_error *err)
{
	memset(spool, 0, sizeof(*spool));
	ws_strlcpy(spool->stanza, ws_config_str(cfg, WS_OPT_STANZA), sizeof(spool->stanza));
	return ws_storage_posix_new(ws_config_str(cfg, WS_OPT_SPOOL_PATH), &spool->store, err);
}

void
ws_spool_close(struct ws_spool *spool)
{
	ws_storage_free(spool->store);
	spool->store = NULL;
}

int
ws_spool_path(const struct ws_spool *spool, const char *file, char *buf, size_t size,
			  struct ws_error *err)
{
	if (ws_snprintf(buf, size, "%s/push/%s", spool->stanza, file) != WS_OK)
		return ws_error_set(err, WS_ERR_TOO_LARGE, "spool path is too long");
	return WS_OK;
}

int
ws_spool_get_path(const struct ws_spool *spool, const char *file, char *buf, size_t size,
				  struct ws_error *err)
{
	if (ws_snprintf(buf, size, "%s/get%s%s", spool->stanza, file[0] ? "/" : "", file) != WS_OK)
		return ws_error_set(err, WS_ERR_TOO_LARGE, "spool path is too long");
	return WS_OK;
}

int
ws_spool_abs_path(const struct ws_config *cfg, const char *rel, char *buf, size_t size,
				  struct ws_error *err)
{
	if (ws_snprintf(buf, size, "%s/%s", ws_config_str(cfg, WS_OPT_SPOOL_PATH), rel) != WS_OK)
		return ws_error_set(err, WS_ERR_TOO_LARGE, "spool path is too long");
	return WS_OK;
}

int
ws_spool_try_lock(const struct ws_config *cfg, const char *rel, int *fd, struct ws_error *err)
{
	char path[1024];
	int rc;

	*fd = -1;
	if ((rc = ws_spool_abs_path(cfg, rel, path, sizeof(path), err)) != WS_OK)
		return rc;
	*fd = open(path, O_CREAT | O_RDWR | O_CLOEXEC, 0640);
	if (*fd < 0 && errno == ENOENT) {
		char dir[1024];

		ws_strlcpy(dir, path, sizeof(dir));
		*strrchr(dir, '/') = '\0';
		if ((rc = ws_mkdir_p(dir, 0750, err)) != WS_OK)
			return rc;
		*fd = open(path, O_CREAT | O_RDWR | O_CLOEXEC, 0640);
	}
	if (*fd < 0)
		return ws_error_set(err, WS_ERR_IO, "could not open lock file \"%s\": %m", path);
	if (lockf(*fd, F_TLOCK, 0) != 0) {
		int busy = errno == EACCES || errno == EAGAIN;

		close(*fd);
		*fd = -1;
		if (busy)
			return WS_ERR_EXISTS;
		return ws_error_set(err, WS_ERR_IO, "could not lock \"%s\": %m", path);
	}
	return WS_OK;
}

int
ws_spool_queue_add(struct ws_spool_queue *q, const char *name, uint64_t bytes, struct ws_error *err)
{
	size_t len = strlen(name);

	if (len >= sizeof(q->names[0]))
		return ws_error_set(err, WS_ERR_TOO_LARGE, "WAL file name \"%s\" is too long", name);
	if (q->count == q->cap) {
		int cap = q->cap ? q->cap * 2 : 64;
		char (*grown)[WS_WAL_NAME_MAX] = realloc(q->names, (size_t) cap * sizeof(*grown));

		if (grown == NULL)
			return ws_error_set(err, WS_ERR_NOMEM, "out of memory listing WAL files");
		q->names = grown;
		q->cap = cap;
	}
	memcpy(q->names[q->count++], name, len + 1);
	q->bytes += bytes;
	return WS_OK;
}

static int
compare_names(const void *a, const void *b)
{
	return strcmp(a, b);
}

void
ws_spool_queue_sort(struct ws_spool_queue *q)
{
	if (q->count > 1)
		qsort(q->names, (size_t) q->count, sizeof(q->names[0]), compare_names);
}

bool
ws_spool_queue_has(const struct ws_spool_queue *q, const char *name)
{
	for (int i = 0; i < q->count; i++)
		if (strcmp(q->names[i], name) == 0)
			return true;
	return false;
}

static int
collect_name(const char *path, const struct ws_storage_info *info, void *arg,
			 struct ws_error *err)
{
	struct ws_spool_queue *q = arg;
	const char *base = strrchr(path, '/');

	base = base != NULL ? base + 1 : path;
	if (!ws_archive_is_wal_name(base) || strlen(base) >= sizeof(q->names[0]))
		return WS_OK;
	return ws_spool_queue_add(q, base, info->size, err);
}

int
ws_spool_queue_list(struct ws_spool *spool, struct ws_spool_queue *q, struct ws_error *err)
{
	char dir[128];
	int rc;

	memset(q, 0, sizeof(*q));
	if ((rc = ws_spool_path(spool, "queue", dir, sizeof(dir), err)) != WS_OK)
		return rc;
	rc = spool->store->ops->list(spool->store, dir, collect_name, q, err);
	if (rc != WS_OK) {
		ws_spool_queue_free(q);
		return rc;
	}
	ws_spool_queue_sort(q);
	return WS_OK;
}

void
ws_spool_queue_free(struct ws_spool_queue *q)
{
	free(q->names);
	memset(q, 0, sizeof(*q));
}

static int
read_small(struct ws_spool *spool, const char *file, char *text, size_t size,
		   struct ws_error *err)
{
	struct ws_buf buf;
	char path[128];
	int rc;

	text[0] = '\0';
	if ((rc = ws_spool_path(spool, file, path, sizeof(path), err)) != WS_OK)
		return rc;
	ws_buf_init(&buf, size - 1);
	rc = ws_storage_get(spool->store, path, &buf, err);
	if (rc == WS_OK)
		ws_strlcpy(text, ws_buf_str(&buf), size);
	ws_buf_free(&buf);
	return rc == WS_ERR_NOT_FOUND ? WS_OK : rc;
}

static int
write_small(struct ws_spool *spool, const char *file, const char *text, struct ws_error *err)
{
	char path[128];
	int rc;

	if ((rc = ws_spool_path(spool, file, path, sizeof(path), err)) != WS_OK)
		return rc;
	return ws_storage_put(spool->store, path, text, strlen(text), NULL, err);
}

int
ws_spool_read_error(struct ws_spool *spool, char *message, size_t size, struct ws_error *err)
{
	return read_small(spool, "error", message, size, err);
}

int
ws_spool_write_error(struct ws_spool *spool, const char *walname, const char *message,
					 struct ws_error *err)
{
	char text[WS_SPOOL_MSG_MAX];

	snprintf(text, sizeof(text), "%s: %s", walname, message);
	return write_small(spool, "error", text, err);
}

int
ws_spool_clear_error(struct ws_spool *spool, struct ws_error *err)
{
	char path[128];
	int rc;

	if ((rc = ws_spool_path(spool, "error", path, sizeof(path), err)) != WS_OK)
		return rc;
	return spool->store->ops->remove(spool->store, path, err);
}

int
ws_spool_read_dropped(struct ws_spool *spool, uint64_t *count, char *last, size_t size,
					  struct ws_error *err)
{
	char text[128];
	char name[64] = "";
	int rc;

	*count = 0;
	last[0] = '\0';
	if ((rc = read_small(spool, "dropped", text, sizeof(text), err)) != WS_OK || text[0] == '\0')
		return rc;
	if (sscanf(text, "%" SCNu64 " %63s", count, name) != 2)
		return ws_error_set(err, WS_ERR_CORRUPT, "spool file \"dropped\" is corrupt");
	ws_strlcpy(last, name, size);
	return WS_OK;
}

int
ws_spool_add_dropped(struct ws_spool *spool, const char *walname, struct ws_error *err)
{
	char last[64];
	char text[128];
	uint64_t count;
	int rc;

	if ((rc = ws_spool_read_dropped(spool, &count, last, sizeof(last), err)) != WS_OK)
		return rc;
	snprintf(text, sizeof(text), "%" PRIu64 " %s\n", count + 1, walname);
	return write_small(spool, "dropped", text, err);
}

int
ws_spool_read_stanza(struct ws_spool *spool, struct ws_stanza_info *info, struct ws_error *err)
{
	char path[128];
	int rc;

	if ((rc = ws_spool_path(spool, "stanza.info", path, sizeof(path), err)) != WS_OK)
		return rc;
	return ws_stanza_info_read(spool->store, path, info, err);
}

int
ws_spool_write_stanza(struct ws_spool *spool, const struct ws_stanza_info *info,
					  struct ws_error *err)
{
	/* a cache: one lost in a crash is read from the repository again */
	const struct ws_storage_write_opts opts = {.no_sync = true};
	char path[128];
	int rc;

	if ((rc = ws_spool_path(spool, "stanza.info", path, sizeof(path), err)) != WS_OK)
		return rc;
	return ws_stanza_info_write(spool->store, path, info, &opts, err);
}
