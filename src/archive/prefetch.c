/*
 * prefetch.c — archive-get's read-ahead (prefetch.h)
 */
#include "archive/prefetch.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "archive/spool.h"
#include "common/detach.h"
#include "common/fileio.h"
#include "common/str.h"
#include "storage/storage_config.h"
#include "wal/segment.h"

#define WS_PREFETCH_MAX_SEGMENTS 1024

struct prefetch_job {
	const struct ws_config *cfg;
	struct ws_log *log;
	char names[WS_PREFETCH_MAX_SEGMENTS][WS_WAL_FNAME_BUFLEN];
	int count;
	int next;                   /* next index to fetch */
	int end;                    /* first index known missing */
	pthread_mutex_t mutex;
};

/* The prefetched, verified segment: <spool-path>/<stanza>/get/<walname>. */
static int
spool_segment_path(const struct ws_config *cfg, const struct ws_spool *spool, const char *walname,
				   char *buf, size_t size, struct ws_error *err)
{
	char rel[128];
	int rc;

	if ((rc = ws_spool_get_path(spool, walname, rel, sizeof(rel), err)) != WS_OK)
		return rc;
	if (ws_snprintf(buf, size, "%s/%s", ws_config_str(cfg, WS_OPT_SPOOL_PATH), rel) != WS_OK)
		return ws_error_set(err, WS_ERR_TOO_LARGE, "spool path is too long");
	return WS_OK;
}

/*
 * Fetch, decode and verify one segment into the spool, so that archive-get
 * only has to move it into place. WS_ERR_NOT_FOUND at the archive's end.
 */
static int
prefetch_one(const struct ws_config *cfg, struct ws_archive *a, struct ws_spool *spool,
			 const char *walname, struct ws_error *err)
{
	const struct ws_stanza_db *db = ws_stanza_current(&a->stanza);
	char objpath[512];
	char dest[1024];
	struct ws_buf obj;
	int rc;

	if ((rc = spool_segment_path(cfg, spool, walname, dest, sizeof(dest), err)) != WS_OK)
		return rc;
	if (access(dest, F_OK) == 0)
		return WS_OK;
	if ((rc = ws_archive_object_path(a, db, walname, objpath, sizeof(objpath), err)) != WS_OK)
		return rc;
	ws_buf_init(&obj, ws_archive_object_max(db));
	rc = ws_storage_get(a->repo, objpath, &obj, err);
	if (rc == WS_OK)
		rc = ws_archive_restore_object(a, db, walname, &obj, dest, err);
	ws_buf_free(&obj);
	return rc;
}

static void *
prefetch_thread(void *arg)
{
	struct prefetch_job *job = arg;
	struct ws_archive a;
	struct ws_spool spool;
	struct ws_error err;

	if (ws_archive_open(job->cfg, job->log, &a, &err) != WS_OK)
		return NULL;
	if (ws_spool_open(job->cfg, &spool, &err) != WS_OK) {
		ws_archive_close(&a);
		return NULL;
	}
	for (;;) {
		int i;
		int rc;

		pthread_mutex_lock(&job->mutex);
		i = job->next < job->end ? job->next++ : -1;
		pthread_mutex_unlock(&job->mutex);
		if (i < 0)
			break;
		rc = prefetch_one(job->cfg, &a, &spool, job->names[i], &err);
		if (rc != WS_OK) {
			/* missing: the archive ends here; anything else: recovery fetches it itself */
			if (rc != WS_ERR_NOT_FOUND)
				ws_log_warn(job->log, "archive-get", "could not prefetch WAL file \"%s\": %s",
							job->names[i], err.message);
			pthread_mutex_lock(&job->mutex);
			if (i < job->end)
				job->end = i;
			pthread_mutex_unlock(&job->mutex);
		}
	}
	ws_spool_close(&spool);
	ws_archive_close(&a);
	return NULL;
}

struct stale {
	const char *walname;
	struct ws_spool *spool;
};

/* Spool copies of segments before the one asked for are never asked again. */
static int
remove_stale(const char *path, const struct ws_storage_info *info, void *arg,
			 struct ws_error *err)
{
	struct stale *s = arg;
	const char *base = strrchr(path, '/');

	(void) info;
	base = base != NULL ? base + 1 : path;
	if (ws_wal_is_segment_name(base) && strcmp(base, s->walname) < 0)
		return s->spool->store->ops->remove(s->spool->store, path, err);
	return WS_OK;
}

/* The segments after walname on its timeline that fit in the queue. */
static int
plan(struct prefetch_job *job, const struct ws_stanza_db *db, const char *walname,
	 struct ws_error *err)
{
	uint64_t budget = (uint64_t) ws_config_int(job->cfg, WS_OPT_ARCHIVE_GET_QUEUE_MAX) * 1024 * 1024;
	uint64_t n = budget / db->wal_segment_size;
	uint32_t tli;
	ws_segno segno;
	int rc;

	if ((rc = ws_wal_segment_parse(walname, db->wal_segment_size, &tli, &segno, err)) != WS_OK)
		return rc;
	if (n > WS_PREFETCH_MAX_SEGMENTS)
		n = WS_PREFETCH_MAX_SEGMENTS;
	if (n == 0)
		n = 1;
	job->count = 0;
	for (uint64_t k = 1; k <= n; k++) {
		if (ws_wal_segment_name(tli, segno + k, db->wal_segment_size, job->names[job->count],
								err) != WS_OK)
			break;
		job->count++;
	}
	job->end = job->count;
	return WS_OK;
}

int
ws_prefetch_run(const struct ws_config *cfg, struct ws_log *log, const char *walname,
				struct ws_error *err)
{
	int nthreads = (int) ws_config_int(cfg, WS_OPT_PROCESS_MAX);
	struct prefetch_job *job = NULL;
	pthread_t *ids = NULL;
	struct ws_stanza_info stanza;
	struct ws_storage *repo = NULL;
	struct ws_spool spool;
	struct stale stale;
	char dir[128];
	char rel[128];
	int lock_fd = -1;
	int started = 0;
	int rc;

	if ((rc = ws_spool_open(cfg, &spool, err)) != WS_OK)
		return rc;
	rc = ws_spool_get_path(&spool, "worker.lock", rel, sizeof(rel), err);
	if (rc == WS_OK)
		rc = ws_spool_try_lock(cfg, rel, &lock_fd, err);
	if (rc == WS_OK)
		rc = ws_storage_open_repo(cfg, &repo, err);
	if (rc == WS_OK)
		rc = ws_stanza_load(repo, ws_config_str(cfg, WS_OPT_STANZA), &stanza, err);
	if (rc != WS_OK)
		goto cleanup;

	job = calloc(1, sizeof(*job));
	ids = calloc((size_t) nthreads, sizeof(*ids));
	if (job == NULL || ids == NULL) {
		rc = ws_error_set(err, WS_ERR_NOMEM, "out of memory starting prefetch");
		goto cleanup;
	}
	job->cfg = cfg;
	job->log = log;
	pthread_mutex_init(&job->mutex, NULL);
	stale.walname = walname;
	stale.spool = &spool;
	rc = ws_spool_get_path(&spool, "", dir, sizeof(dir), err);
	if (rc == WS_OK) {
		dir[strlen(dir) - 1] = '\0';    /* "<stanza>/get" */
		rc = spool.store->ops->list(spool.store, dir, remove_stale, &stale, err);
	}
	if (rc == WS_OK)
		rc = plan(job, ws_stanza_current(&stanza), walname, err);
	for (; rc == WS_OK && started < nthreads; started++) {
		if (pthread_create(&ids[started], NULL, prefetch_thread, job) != 0)
			break;
	}
	for (int i = 0; i < started; i++)
		pthread_join(ids[i], NULL);
	pthread_mutex_destroy(&job->mutex);

cleanup:
	if (rc == WS_ERR_EXISTS)
		rc = WS_OK;             /* another prefetch is running */
	free(job);
	free(ids);
	ws_storage_free(repo);
	if (lock_fd >= 0)
		close(lock_fd);
	ws_spool_close(&spool);
	return rc;
}

struct prefetch_start {
	const struct ws_config *cfg;
	struct ws_log *log;
	const char *walname;
};

static void
prefetch_body(void *arg)
{
	struct prefetch_start *start = arg;
	struct ws_error err;

	if (ws_prefetch_run(start->cfg, start->log, start->walname, &err) != WS_OK)
		ws_log_warn(start->log, "archive-get", "prefetch stopped: %s", err.message);
}

/*
 * Move the prefetched segment to dest: a rename when the spool shares the
 * file system with PGDATA, else a durable copy. *hit false when there is
 * none.
 */
static int
take_prefetched(const struct ws_config *cfg, struct ws_spool *spool, const char *walname,
				const char *dest, bool *hit, struct ws_error *err)
{
	char src[1024];
	struct ws_buf data;
	int rc;

	*hit = false;
	if ((rc = spool_segment_path(cfg, spool, walname, src, sizeof(src), err)) != WS_OK)
		return rc;
	if (rename(src, dest) == 0) {
		*hit = true;
		return ws_fsync_parent_dir(dest, err);
	}
	if (errno == ENOENT)
		return WS_OK;
	if (errno != EXDEV)
		return ws_error_set(err, WS_ERR_IO, "could not rename file \"%s\" to \"%s\": %m", src, dest);
	ws_buf_init(&data, WS_WAL_SEGSIZE_MAX);
	rc = ws_read_file(src, WS_WAL_SEGSIZE_MAX, &data, err);
	if (rc == WS_OK)
		rc = ws_write_file_atomic(dest, data.data, data.len, 0600, err);
	if (rc == WS_OK) {
		*hit = true;
		unlink(src);
	}
	ws_buf_free(&data);
	return rc;
}

int
ws_archive_get_prefetched(const struct ws_config *cfg, struct ws_archive *a,
						  const char *walname, const char *dest, struct ws_error *err)
{
	struct prefetch_start start = {cfg, a->log, walname};
	struct ws_error ignored;
	struct ws_spool spool;
	bool hit = false;
	int rc;

	if (!ws_wal_is_segment_name(walname))
		return ws_archive_get(a, walname, dest, err);
	rc = ws_spool_open(cfg, &spool, err);
	/* the prefetch worker verified it exactly as archive-get would */
	if (rc == WS_OK && take_prefetched(cfg, &spool, walname, dest, &hit, &ignored) == WS_OK && hit)
		ws_log_debug(a->log, "archive-get", "WAL file \"%s\" served from the prefetch spool", walname);
	else if (rc == WS_OK)
		rc = ws_archive_get(a, walname, dest, err);
	if (rc == WS_OK)
		ws_run_detached(prefetch_body, &start, &ignored);
	ws_spool_close(&spool);
	return rc;
}
