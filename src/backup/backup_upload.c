/*
 * backup_upload.c — the threads that encode and store a backup's files
 */
#include "backup/backup_upload.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "archive/archive.h"
#include "backup/backup.h"
#include "filter/filter.h"

#define MAX_THREADS 64

/* The threads that encode and upload files, fed by the stream's parser. */
struct ws_uploader {
	pthread_mutex_t mutex;
	pthread_cond_t has_job;
	pthread_cond_t has_room;
	struct file_job *head, *tail;
	int queued, max_queued;
	bool done;
	bool failed;
	struct ws_error err;
	const struct ws_config *cfg;
	struct ws_log *log;
	const char *dir;
	struct ws_backup_manifest *m;   /* entries change under mutex */
	uint64_t stored_bytes;
	struct parted_file *parted;     /* files stored in parts, under mutex */
	size_t nparted, cap_parted;
	/* finished jobs kept with their buffers, so big ones are not faulted in again */
	pthread_mutex_t spare_mutex;
	struct file_job *spare;
	int nspare;
	struct worker *workers;
	int started;
};

/* The digests of a file's parts, its hash once they are all in. */
struct parted_file {
	size_t index;
	int nparts;
	uint8_t *digests;           /* nparts * 32 */
};

struct worker {
	pthread_t thread;
	struct ws_uploader *up;
	struct ws_buf obj;          /* encoded objects, reused: no fresh pages per file */
	struct ws_archive archive;  /* its own connections to the repository */
};

static void
job_free(struct file_job *job)
{
	if (job != NULL)
		ws_buf_free(&job->data);
	free(job);
}

/* Done with a job: keep it for reuse, up to what the queue can hold. */
void
ws_uploader_release(struct ws_uploader *up, struct file_job *job)
{
	if (job == NULL)
		return;
	pthread_mutex_lock(&up->spare_mutex);
	if (up->nspare < up->max_queued + MAX_THREADS) {
		job->next = up->spare;
		up->spare = job;
		up->nspare++;
		job = NULL;
	}
	pthread_mutex_unlock(&up->spare_mutex);
	job_free(job);
}

/* A job with room for size bytes: a spare one if there is. */
struct file_job *
ws_uploader_job(struct ws_uploader *up, uint64_t size)
{
	struct file_job *job;

	pthread_mutex_lock(&up->spare_mutex);
	job = up->spare;
	if (job != NULL) {
		up->spare = job->next;
		up->nspare--;
	}
	pthread_mutex_unlock(&up->spare_mutex);
	if (job == NULL && (job = calloc(1, sizeof(*job))) == NULL)
		return NULL;
	ws_buf_reset(&job->data);
	job->data.max = (size_t) size;
	job->next = NULL;
	if (size > 0 && ws_buf_reserve(&job->data, (size_t) size) != WS_OK) {
		job_free(job);
		return NULL;
	}
	return job;
}

static int
upload(struct worker *w, struct file_job *job, char sha_hex[65], uint8_t digest[32],
	   uint64_t *stored, struct ws_error *err)
{
	const struct ws_storage_write_opts opts = {.no_overwrite = false};
	struct ws_object_header header;
	char objpath[WS_BACKUP_PATH_MAX + 128];
	struct ws_buf *obj = &w->obj;
	int rc;

	if (ws_backup_object_path(w->up->dir, job->path, job->part, objpath, sizeof(objpath), err) != WS_OK)
		return err->status;
	ws_buf_reset(obj);
	obj->max = job->data.len + job->data.len / 8 + 4096;
	rc = ws_object_encode(job->data.data, job->data.len, &w->archive.params, obj, &header, err);
	if (rc == WS_OK)
		rc = ws_storage_put(w->archive.repo, objpath, obj->data, obj->len, &opts, err);
	if (rc == WS_OK) {
		ws_sha256_hex(header.sha256, sha_hex);
		memcpy(digest, header.sha256, 32);
		*stored = obj->len;
	} else
		ws_error_prefix(err, "could not back up file \"%s\"", job->path);
	return rc;
}

static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	struct ws_uploader *up = w->up;

	pthread_mutex_lock(&up->mutex);
	for (;;) {
		struct file_job *job;
		struct ws_error err;
		char sha_hex[65];
		uint8_t digest[32];
		uint64_t stored = 0;
		int rc;

		while (up->head == NULL && !up->done)
			pthread_cond_wait(&up->has_job, &up->mutex);
		if (up->head == NULL)
			break;
		job = up->head;
		up->head = job->next;
		if (up->head == NULL)
			up->tail = NULL;
		up->queued--;
		pthread_cond_signal(&up->has_room);
		if (up->failed) {
			ws_uploader_release(up, job);
			continue;
		}
		pthread_mutex_unlock(&up->mutex);
		rc = upload(w, job, sha_hex, digest, &stored, &err);
		pthread_mutex_lock(&up->mutex);
		if (rc == WS_OK) {
			struct ws_backup_entry *e = &up->m->entries[job->index];

			if (job->part == 0)
				memcpy(e->sha256, sha_hex, sizeof(e->sha256));
			else
				memcpy(up->parted[job->parted].digests + (size_t) (job->part - 1) * 32, digest, 32);
			e->stored += stored;
			up->stored_bytes += stored;
		} else if (!up->failed) {
			up->failed = true;
			up->err = err;
		}
		ws_uploader_release(up, job);
	}
	pthread_mutex_unlock(&up->mutex);
	return NULL;
}

int
ws_uploader_submit(struct ws_uploader *up, struct file_job *job, struct ws_error *err)
{
	pthread_mutex_lock(&up->mutex);
	while (up->queued >= up->max_queued && !up->failed)
		pthread_cond_wait(&up->has_room, &up->mutex);
	if (up->failed) {
		*err = up->err;
		pthread_mutex_unlock(&up->mutex);
		ws_uploader_release(up, job);
		return err->status;
	}
	job->next = NULL;
	if (up->tail != NULL)
		up->tail->next = job;
	else
		up->head = job;
	up->tail = job;
	up->queued++;
	pthread_cond_signal(&up->has_job);
	pthread_mutex_unlock(&up->mutex);
	return WS_OK;
}

/* Room for the digests of a file that goes in parts. */
int
ws_uploader_add_parted(struct ws_uploader *up, size_t index, uint64_t size, size_t *slot,
					   struct ws_error *err)
{
	int nparts = (int) ((size + WS_BACKUP_PART_SIZE - 1) / WS_BACKUP_PART_SIZE);
	uint8_t *digests = calloc((size_t) nparts, 32);
	int rc = WS_OK;

	if (digests == NULL)
		return ws_error_set(err, WS_ERR_NOMEM, "out of memory");
	pthread_mutex_lock(&up->mutex);
	if (up->nparted == up->cap_parted) {
		size_t cap = up->cap_parted ? up->cap_parted * 2 : 16;
		struct parted_file *p = realloc(up->parted, cap * sizeof(*p));

		if (p == NULL)
			rc = ws_error_set(err, WS_ERR_NOMEM, "out of memory");
		else {
			up->parted = p;
			up->cap_parted = cap;
		}
	}
	if (rc == WS_OK) {
		up->parted[up->nparted] = (struct parted_file) {index, nparts, digests};
		*slot = up->nparted++;
	} else
		free(digests);
	pthread_mutex_unlock(&up->mutex);
	return rc;
}

/* Once every part is in: each parted file's hash from its parts' digests. */
static int
hash_parted(struct ws_uploader *up, struct ws_error *err)
{
	for (size_t i = 0; i < up->nparted; i++) {
		struct parted_file *p = &up->parted[i];
		int rc = ws_backup_parts_hash(p->digests, p->nparts, up->m->entries[p->index].sha256, err);

		if (rc != WS_OK)
			return rc;
	}
	return WS_OK;
}

static int
start_workers(const struct ws_config *cfg, const struct ws_archive *a, struct ws_uploader *up,
			  struct worker *workers, int n, int *started, struct ws_error *err)
{
	*started = 0;
	for (int i = 0; i < n; i++) {
		struct worker *w = &workers[i];
		int rc;

		w->up = up;
		ws_buf_init(&w->obj, 0);
		if ((rc = ws_archive_clone(a, cfg, &w->archive, err)) != WS_OK)
			return rc;
		w->archive.params.threads = 1;  /* the threads are the parallelism */
		if (pthread_create(&w->thread, NULL, worker_main, w) != 0) {
			ws_archive_close(&w->archive);
			return ws_error_set(err, WS_ERR_IO, "could not start a backup thread");
		}
		(*started)++;
	}
	return WS_OK;
}

static int
stop_workers(struct ws_uploader *up, struct worker *workers, int started, struct ws_error *err)
{
	pthread_mutex_lock(&up->mutex);
	up->done = true;
	pthread_cond_broadcast(&up->has_job);
	pthread_mutex_unlock(&up->mutex);
	for (int i = 0; i < started; i++) {
		pthread_join(workers[i].thread, NULL);
		ws_archive_close(&workers[i].archive);
		ws_buf_free(&workers[i].obj);
	}
	if (up->failed) {
		*err = up->err;
		return err->status;
	}
	return WS_OK;
}

int
ws_uploader_add_entry(struct ws_uploader *up, enum ws_backup_entry_type type, const char *path,
					  const char *link, unsigned mode, int64_t mtime, uint64_t size, size_t *index,
					  struct ws_error *err)
{
	int rc;

	pthread_mutex_lock(&up->mutex);
	rc = ws_backup_manifest_add(up->m, type, path, link, mode, mtime, size, index, err);
	pthread_mutex_unlock(&up->mutex);
	return rc;
}

int
ws_uploader_start(const struct ws_config *cfg, const struct ws_archive *a, const char *dir,
				  struct ws_backup_manifest *m, int nthreads, struct ws_uploader **out,
				  struct ws_error *err)
{
	struct ws_uploader *up = calloc(1, sizeof(*up));
	int rc;

	*out = NULL;
	if (up == NULL || nthreads < 1 || nthreads > MAX_THREADS ||
		(up->workers = calloc((size_t) nthreads, sizeof(*up->workers))) == NULL) {
		free(up);
		return ws_error_set(err, WS_ERR_NOMEM, "out of memory");
	}
	pthread_mutex_init(&up->mutex, NULL);
	pthread_mutex_init(&up->spare_mutex, NULL);
	pthread_cond_init(&up->has_job, NULL);
	pthread_cond_init(&up->has_room, NULL);
	up->max_queued = 2 * nthreads;
	up->dir = dir;
	up->m = m;
	*out = up;
	rc = start_workers(cfg, a, up, up->workers, nthreads, &up->started, err);
	return rc;
}

int
ws_uploader_finish(struct ws_uploader *up, uint64_t *stored, struct ws_error *err)
{
	int rc;

	if (up == NULL)
		return WS_OK;
	rc = stop_workers(up, up->workers, up->started, err);
	if (rc == WS_OK)
		rc = hash_parted(up, err);
	*stored = up->stored_bytes;
	for (size_t i = 0; i < up->nparted; i++)
		free(up->parted[i].digests);
	free(up->parted);
	while (up->spare != NULL) {
		struct file_job *next = up->spare->next;

		job_free(up->spare);
		up->spare = next;
	}
	pthread_cond_destroy(&up->has_room);
	pthread_cond_destroy(&up->has_job);
	pthread_mutex_destroy(&up->spare_mutex);
	pthread_mutex_destroy(&up->mutex);
	free(up->workers);
	free(up);
	return rc;
}
