/*
 * prefetch.c — archive-get's read-ahead (prefetch.h)
 */
#include "archive/prefetch.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "archive/spool.h"
#include "filter/filter.h"
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

/*
 * A prefetched, verified segment is <spool-path>/<stanza>/get/<walname>.<sha>
 * where sha is the SHA-256 of its content: archive-get checks it again
 * before handing the file to PostgreSQL, which would take a damaged one
 * for the end of WAL.
 */
#define SHA_HEX_LEN 64
#define HASH_CHUNK (1024 * 1024)

static int
spool_get_dir(const struct ws_config *cfg, const struct ws_spool *spool, char *buf, size_t size,
			  struct ws_error *err)
{
	char rel[128];
	int rc;

	if ((rc = ws_spool_get_path(spool, "", rel, sizeof(rel), err)) != WS_OK)
		return rc;
	return ws_spool_abs_path(cfg, rel, buf, size, err);
}

/* Is name "<walname>.<64 hex>"? */
static bool
is_prefetched_name(const char *name, const char *walname)
{
	size_t n = strlen(walname);

	return strncmp(name, walname, n) == 0 && name[n] == '.' &&
		strlen(name + n + 1) == SHA_HEX_LEN &&
		strspn(name + n + 1, "0123456789abcdef") == SHA_HEX_LEN;
}

/* The spool file holding walname, if any: its full path and its SHA-256. */
static bool
find_prefetched(const char *dir, const char *walname, char *path, size_t size, char sha[65])
{
	struct dirent *e;
	bool found = false;
	DIR *d = opendir(dir);

	if (d == NULL)
		return false;
	while (!found && (e = readdir(d)) != NULL) {
		if (!is_prefetched_name(e->d_name, walname))
			continue;
		found = ws_snprintf(path, size, "%s/%s", dir, e->d_name) == WS_OK;
		memcpy(sha, e->d_name + strlen(walname) + 1, 65);
	}
	closedir(d);
	return found;
}

/*
 * Fetch, decode and verify one segment into the spool, so that archive-get
 * only has to check and move it. WS_ERR_NOT_FOUND at the archive's end.
 */
static int
prefetch_one(const struct ws_config *cfg, struct ws_archive *a, struct ws_spool *spool,
			 const char *walname, struct ws_error *err)
{
	const struct ws_stanza_db *db = ws_stanza_current(&a->stanza);
	struct ws_object_header header;
	char objpath[512];
	char dir[1024];
	char dest[1200];
	char sha[65];
	struct ws_buf obj;
	int rc;

	if ((rc = spool_get_dir(cfg, spool, dir, sizeof(dir), err)) != WS_OK)
		return rc;
	if (find_prefetched(dir, walname, dest, sizeof(dest), sha))
		return WS_OK;
	if ((rc = ws_archive_object_path(a, db, walname, objpath, sizeof(objpath), err)) != WS_OK)
		return rc;
	ws_buf_init(&obj, ws_archive_object_max(db));
	rc = ws_storage_get(a->repo, objpath, &obj, err);
	if (rc == WS_OK)
		rc = ws_object_header_decode(obj.data, obj.len, &header, err);
	if (rc == WS_OK) {
		ws_sha256_hex(header.sha256, sha);
		if (ws_snprintf(dest, sizeof(dest), "%s/%s.%s", dir, walname, sha) != WS_OK)
			rc = ws_error_set(err, WS_ERR_TOO_LARGE, "spool path is too long");
	}
	/* decoding checks the content against that same SHA-256 */
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
	if (strlen(base) == 24 + 1 + SHA_HEX_LEN && base[24] == '.' && strncmp(base, s->walname, 24) < 0)
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
	/* a budget below one segment prefetches nothing */
	if (n > WS_PREFETCH_MAX_SEGMENTS)
		n = WS_PREFETCH_MAX_SEGMENTS;
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
	if (rc == WS_OK)
		rc = spool.store->ops->list(spool.store, dir, remove_stale, &stale, err);
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
 * Check the prefetched segment against its SHA-256 and move it to dest: a
 * rename when the spool shares the file system with PGDATA, else a
 * durable copy. *hit false when there is none or it does not verify.
 */
/* SHA-256 of a file, read in pieces. */
static int
hash_file(const char *path, char hex[65], struct ws_error *err)
{
	struct ws_sha256 *h = NULL;
	char *chunk = malloc(HASH_CHUNK);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = 0;
	int rc;

	if (chunk == NULL || fd < 0) {
		rc = chunk == NULL ? ws_error_set(err, WS_ERR_NOMEM, "out of memory")
			: ws_error_set(err, WS_ERR_IO, "could not open file \"%s\": %m", path);
		goto cleanup;
	}
	rc = ws_sha256_new(&h, err);
	while (rc == WS_OK && (n = read(fd, chunk, HASH_CHUNK)) > 0)
		rc = ws_sha256_update(h, chunk, (size_t) n, err);
	if (rc == WS_OK && n < 0)
		rc = ws_error_set(err, WS_ERR_IO, "could not read file \"%s\": %m", path);
	if (rc == WS_OK)
		rc = ws_sha256_final(h, hex, err);

cleanup:
	ws_sha256_free(h);
	if (fd >= 0)
		close(fd);
	free(chunk);
	return rc;
}

static int
take_prefetched(const struct ws_config *cfg, struct ws_spool *spool, struct ws_log *log,
				const char *walname, const char *dest, bool *hit, struct ws_error *err)
{
	struct ws_buf data;
	char dir[1024];
	char src[1200];
	char want[65];
	char got[65];
	int rc;

	*hit = false;
	if ((rc = spool_get_dir(cfg, spool, dir, sizeof(dir), err)) != WS_OK)
		return rc;
	if (!find_prefetched(dir, walname, src, sizeof(src), want))
		return WS_OK;
	if ((rc = hash_file(src, got, err)) != WS_OK)
		return rc;
	if (strcmp(want, got) != 0) {
		/* damaged in the spool: not trusted, the repository is asked instead */
		ws_log_warn(log, "archive-get", "prefetched WAL file \"%s\" is damaged in the spool; fetching it again",
					walname);
		unlink(src);
		return WS_OK;
	}
	if (rename(src, dest) == 0) {
		*hit = true;
		return ws_fsync_parent_dir(dest, err);
	}
	if (errno != EXDEV)
		return ws_error_set(err, WS_ERR_IO, "could not rename file \"%s\" to \"%s\": %m", src, dest);
	/* another file system: a durable copy */
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
	if (rc == WS_OK && take_prefetched(cfg, &spool, a->log, walname, dest, &hit, &ignored) == WS_OK && hit)
		ws_log_debug(a->log, "archive-get", "WAL file \"%s\" served from the prefetch spool", walname);
	else if (rc == WS_OK)
		rc = ws_archive_get(a, walname, dest, err);
	if (rc == WS_OK)
		ws_run_detached(prefetch_body, &start, &ignored);
	ws_spool_close(&spool);
	return rc;
}
