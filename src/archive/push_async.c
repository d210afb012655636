/*
 * push_async.c — archive-push's asynchronous side: queue and hand off
 */
#include "archive/push_async.h"

#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "archive/push_ahead.h"
#include "common/clock.h"
#include "common/detach.h"
#include "common/handoff.h"
#include "common/str.h"
#include "wal/segment.h"

#define WORKER_LOCK "worker.lock"

int
ws_archive_push_async_cached(const struct ws_config *cfg, struct ws_log *log, const char *path,
							 struct ws_async_push_result *res, struct ws_error *err)
{
	struct ws_archive a;
	struct ws_spool spool;
	bool cached;
	int rc;

	memset(&a, 0, sizeof(a));
	a.log = log;
	if ((rc = ws_spool_open(cfg, &spool, err)) != WS_OK)
		return rc;
	cached = ws_spool_read_stanza(&spool, &a.stanza, err) == WS_OK &&
		strcmp(a.stanza.name, ws_config_str(cfg, WS_OPT_STANZA)) == 0;
	if (cached) {
		rc = ws_archive_push_async(cfg, &a, path, res, err);
		/* not this cluster's segment by the cached stanza: the repository decides */
		if (rc != WS_ERR_CORRUPT) {
			ws_spool_close(&spool);
			return rc;
		}
	}
	rc = ws_archive_open(cfg, log, &a, err);
	if (rc == WS_OK) {
		struct ws_error ignored;

		ws_spool_write_stanza(&spool, &a.stanza, &ignored);
		rc = ws_archive_push_async(cfg, &a, path, res, err);
		ws_archive_close(&a);
	}
	ws_spool_close(&spool);
	return rc;
}

static int
take_lock(struct ws_spool *spool, const struct ws_config *cfg, int *fd, struct ws_error *err)
{
	char rel[128];
	int rc;

	if ((rc = ws_spool_path(spool, WORKER_LOCK, rel, sizeof(rel), err)) != WS_OK)
		return rc;
	return ws_spool_try_lock(cfg, rel, fd, err);
}

/* The file system path of the worker's lock. */
static int
lock_path(struct ws_spool *spool, const struct ws_config *cfg, char *buf, size_t size,
		  struct ws_error *err)
{
	char rel[128];
	int rc;

	if ((rc = ws_spool_path(spool, WORKER_LOCK, rel, sizeof(rel), err)) != WS_OK)
		return rc;
	return ws_spool_abs_path(cfg, rel, buf, size, err);
}

/* Over the cap: keep the primary alive, give up this segment, say so loudly. */
static int
drop(struct ws_archive *a, struct ws_spool *spool, const char *name, int64_t max_mib,
	 struct ws_error *err)
{
	ws_log_warn(a->log, "archive-push",
				"archive-push-queue-max (%lld MiB) exceeded: WAL file \"%s\" is DROPPED and NOT archived; "
				"point-in-time recovery across it is impossible until the next backup",
				(long long) max_mib, name);
	return ws_spool_add_dropped(spool, name, err);
}

/*
 * The directory of path, absolute, where the worker looks for .ready files:
 * "" unless it has an archive_status directory, as pg_wal does.
 */
static void
wal_dir_of(const char *path, char dir[PATH_MAX])
{
	char parent[PATH_MAX];
	char status[PATH_MAX + 16];
	const char *slash = strrchr(path, '/');
	struct stat st;

	if (slash == NULL)
		ws_strlcpy(parent, ".", sizeof(parent));
	else if (slash == path)
		ws_strlcpy(parent, "/", sizeof(parent));
	else
		snprintf(parent, sizeof(parent), "%.*s", (int) (slash - path), path);
	if (realpath(parent, dir) == NULL)
		dir[0] = '\0';
	snprintf(status, sizeof(status), "%s/archive_status", dir);
	if (dir[0] == '\0' || stat(status, &st) != 0 || !S_ISDIR(st.st_mode))
		dir[0] = '\0';
}

int
ws_archive_push_async(const struct ws_config *cfg, struct ws_archive *a, const char *path,
					  struct ws_async_push_result *res, struct ws_error *err)
{
	int64_t max_mib = ws_config_int(cfg, WS_OPT_ARCHIVE_PUSH_QUEUE_MAX);
	const char *name = ws_archive_base_name(path);
	char message[WS_SPOOL_MSG_MAX];
	struct ws_spool_queue queue;
	struct ws_spool spool;
	struct ws_buf obj;
	char wal_dir[PATH_MAX];
	char lock[PATH_MAX];
	char file[96];
	char spath[256];
	bool done;
	int rc;

	memset(res, 0, sizeof(*res));
	wal_dir_of(path, wal_dir);
	/*
	 * Only verify and copy here: compression and encryption, the costly
	 * part, run in the worker's process-max threads.
	 */
	ws_buf_init(&obj, WS_WAL_SEGSIZE_MAX);
	rc = ws_spool_open(cfg, &spool, err);
	if (rc == WS_OK)
		rc = lock_path(&spool, cfg, lock, sizeof(lock), err);
	if (rc == WS_OK)
		rc = ws_ahead_claim(&spool, wal_dir, path, lock, &done, err);
	if (rc == WS_OK && done) {
		res->ahead = true;
		goto cleanup;
	}
	if (rc == WS_OK)
		rc = ws_archive_read_wal(a, path, &obj, err);
	if (rc == WS_OK)
		rc = ws_spool_read_error(&spool, message, sizeof(message), err);
	if (rc == WS_OK && message[0] != '\0') {
		/* the worker retries; PostgreSQL keeps the WAL until it succeeds */
		ws_push_worker_start(cfg, a->log, wal_dir, err);
		rc = ws_error_set(err, WS_ERR_IO, "asynchronous archiving failed: %s", message);
		goto cleanup;
	}
	if (rc == WS_OK)
		rc = ws_spool_queue_list(&spool, &queue, err);
	if (rc != WS_OK)
		goto cleanup;
	if (max_mib > 0 && queue.bytes + obj.len > (uint64_t) max_mib * 1024 * 1024) {
		ws_spool_queue_free(&queue);
		res->dropped = true;
		rc = drop(a, &spool, name, max_mib, err);
		goto cleanup;
	}
	ws_spool_queue_free(&queue);
	/*
	 * Replace whatever an earlier attempt queued under this name: the
	 * worker does not verify again, so the queue must hold what was just
	 * verified.
	 */
	snprintf(file, sizeof(file), "queue/%s", name);
	rc = ws_spool_path(&spool, file, spath, sizeof(spath), err);
	if (rc == WS_OK)
		rc = ws_storage_put(spool.store, spath, obj.data, obj.len, NULL, err);
	if (rc == WS_OK) {
		res->queued = true;
		rc = ws_push_worker_start(cfg, a->log, wal_dir, err);
	}

cleanup:
	ws_spool_close(&spool);
	ws_buf_free(&obj);
	return rc;
}

struct worker_start {
	const struct ws_config *cfg;
	struct ws_log *log;
	const char *wal_dir;
};

static void
worker_body(void *arg)
{
	struct worker_start *start = arg;
	struct ws_error err;

	if (ws_push_worker_run(start->cfg, start->log, start->wal_dir, &err) != WS_OK)
		ws_log_error(start->log, "archive-worker", "%s", err.message);
}

int
ws_push_worker_start(const struct ws_config *cfg, struct ws_log *log, const char *wal_dir,
					 struct ws_error *err)
{
	struct worker_start start = {cfg, log, wal_dir};

	return ws_run_detached(worker_body, &start, err);
}

/* ---- the worker ---- */

#define WORKER_IDLE_EXIT_MS 1000
#define WORKER_POLL_MS 50

/*
 * A worker thread reads and compresses (CPU) while its uploader stores the
 * previous segment (repository round trips): with S3 the two take about
 * as long, so each thread moves twice as many segments. A job is reused
 * only after its hand-over slot was consumed: with two slots in the
 * hand-over, three jobs are enough.
 */
#define JOBS_PER_THREAD 3

struct worker_shared {
	const struct ws_config *cfg;
	struct ws_log *log;
	const char *wal_dir;         /* pg_wal, "" when unknown */
	pthread_mutex_t mutex;
	struct ws_spool_queue queue;
	int next;                    /* next queue index to take */
	struct ws_spool_queue ready; /* segments PostgreSQL has marked .ready */
	int next_ready;
	struct ws_spool_queue seen;  /* ready ones taken ahead already, stored or skipped */
	char (*inflight)[WS_WAL_NAME_MAX];        /* names being uploaded, JOBS_PER_THREAD slots per thread */
	bool failed;                 /* an upload failed: stop taking new work */
	int nthreads;
};

static bool
in_flight(const struct worker_shared *w, const char *name)
{
	for (int t = 0; t < w->nthreads * JOBS_PER_THREAD; t++)
		if (strcmp(w->inflight[t], name) == 0)
			return true;
	return false;
}

/* Remember a name taken ahead, so that a later listing does not offer it again. */
static void
remember_seen(struct worker_shared *w, const char *name)
{
	struct ws_error ignored;

	/* out of memory: at worst it is offered, and skipped, again */
	ws_spool_queue_add(&w->seen, name, 0, &ignored);
}

/* Forget seen names that are no longer ready: PostgreSQL is done with them. */
static void
prune_seen(struct worker_shared *w)
{
	int kept = 0;

	for (int i = 0; i < w->seen.count; i++)
		if (ws_spool_queue_has(&w->ready, w->seen.names[i]))
			memmove(w->seen.names[kept++], w->seen.names[i], sizeof(w->seen.names[0]));
	w->seen.count = kept;
}

/* Take the next name from a listing, relisting it once used up. */
static bool
take_from(struct worker_shared *w, struct ws_spool_queue *list, int *next,
		  int (*relist)(struct worker_shared *w, struct ws_spool *spool, struct ws_spool_queue *l),
		  bool (*eligible)(struct worker_shared *w, struct ws_spool *spool, const char *name),
		  struct ws_spool *spool, char *name, size_t size)
{
	if (*next >= list->count) {
		ws_spool_queue_free(list);
		*next = 0;
		if (relist(w, spool, list) != WS_OK)
			ws_spool_queue_free(list);
	}
	while (*next < list->count) {
		const char *candidate = list->names[(*next)++];

		if (!in_flight(w, candidate) && eligible(w, spool, candidate)) {
			ws_strlcpy(name, candidate, size);
			return true;
		}
	}
	return false;
}

static int
list_queue(struct worker_shared *w, struct ws_spool *spool, struct ws_spool_queue *l)
{
	struct ws_error err;

	(void) w;
	return ws_spool_queue_list(spool, l, &err);
}

static bool
any_queued(struct worker_shared *w, struct ws_spool *spool, const char *name)
{
	(void) w, (void) spool, (void) name;
	return true;
}

static int
list_ready(struct worker_shared *w, struct ws_spool *spool, struct ws_spool_queue *l)
{
	struct ws_error err;
	int rc;

	(void) spool;
	if ((rc = ws_ahead_list_ready(w->wal_dir, l, &err)) == WS_OK)
		prune_seen(w);
	return rc;
}

static bool
not_yet_handled(struct worker_shared *w, struct ws_spool *spool, const char *name)
{
	return !ws_spool_queue_has(&w->queue, name) && !ws_spool_queue_has(&w->seen, name) && !ws_ahead_known(spool, name);
}

/*
 * Take the next queued name nobody is uploading; with the queue empty, the
 * next ready segment in pg_wal (*ahead set). A listing is used up before
 * it is made again, so a finished upload is not retaken from a listing
 * made while it was in flight.
 */
static bool
take_next(struct worker_shared *w, int slot, struct ws_spool *spool, char *name, size_t size,
		  bool *ahead)
{
	bool got = false;

	pthread_mutex_lock(&w->mutex);
	*ahead = false;
	if (!w->failed) {
		got = take_from(w, &w->queue, &w->next, list_queue, any_queued, spool, name, size);
		if (!got && w->wal_dir[0] != '\0') {
			got = take_from(w, &w->ready, &w->next_ready, list_ready, not_yet_handled, spool,
							name, size);
			*ahead = got;
			if (got)
				remember_seen(w, name);
		}
	}
	if (got)
		ws_strlcpy(w->inflight[slot], name, sizeof(w->inflight[slot]));
	pthread_mutex_unlock(&w->mutex);
	return got;
}

/* A queued segment: its spool copy, encoded into job. */
static int
prepare_queued(struct ws_archive *a, struct ws_spool *spool, const char *name,
			   struct ws_buf *data, struct ws_push_job *job, struct ws_error *err)
{
	char file[96];
	int rc;

	ws_strlcpy(job->name, name, sizeof(job->name));
	job->ahead = false;
	job->skip = true;
	ws_buf_reset(data);
	ws_buf_reset(&job->obj);
	snprintf(file, sizeof(file), "queue/%s", name);
	rc = ws_spool_path(spool, file, job->spool_file, sizeof(job->spool_file), err);
	if (rc == WS_OK)
		rc = ws_storage_get(spool->store, job->spool_file, data, err);
	if (rc == WS_ERR_NOT_FOUND)
		return WS_OK;           /* another thread finished it after this listing was made */
	if (rc != WS_OK)
		return rc;
	job->skip = false;
	return ws_object_encode(data->data, data->len, &a->params, &job->obj, &job->header, err);
}

static int
store_queued(struct ws_archive *a, struct ws_spool *spool, const struct ws_push_job *job,
			 struct ws_error *err)
{
	bool already;
	int rc;

	rc = ws_archive_store(a, job->name, &job->obj, &job->header, &already, err);
	/* only once the repository has it does the spool copy go */
	if (rc == WS_OK)
		rc = spool->store->ops->remove(spool->store, job->spool_file, err);
	if (rc == WS_OK)
		ws_ahead_forget_done(spool, job->name);
	return rc;
}

/* Tell the next archive-push, and stop taking work. */
static void
report_failure(struct worker_shared *w, struct ws_spool *spool, const char *name,
			   const struct ws_error *err)
{
	struct ws_error ignored;

	ws_log_error(w->log, "archive-worker", "could not archive WAL file \"%s\": %s", name, err->message);
	ws_spool_write_error(spool, name, err->message, &ignored);
	pthread_mutex_lock(&w->mutex);
	w->failed = true;
	pthread_mutex_unlock(&w->mutex);
}

static void
release_slot(struct worker_shared *w, int slot)
{
	pthread_mutex_lock(&w->mutex);
	w->inflight[slot][0] = '\0';
	pthread_mutex_unlock(&w->mutex);
}

/* A worker thread's uploader: its own repository connection and spool. */
struct uploader {
	struct worker_shared *w;
	struct ws_archive a;
	struct ws_spool spool;
};

/* The uploader thread's half: store one prepared job (handed over by pointer). */
static int
store_job(const void *data, size_t len, void *arg, struct ws_error *err)
{
	struct uploader *u = arg;
	struct ws_push_job *job;
	int rc;

	if (len != sizeof(job))
		return ws_error_set(err, WS_ERR_INVALID, "bad hand-over to the archive uploader");
	memcpy(&job, data, sizeof(job));
	rc = job->ahead ? ws_ahead_store(&u->a, &u->spool, job, err)
		: store_queued(&u->a, &u->spool, job, err);
	if (rc == WS_OK)
		ws_log_debug(u->w->log, "archive-worker", "archived WAL file \"%s\"%s", job->name,
					 job->ahead ? " ahead, from pg_wal" : "");
	else
		report_failure(u->w, &u->spool, job->name, err);
	release_slot(u->w, job->slot);
	return rc;
}

struct worker_thread {
	struct worker_shared *w;
	int slot;
};

static int
open_worker(struct worker_shared *w, struct ws_spool *spool, struct ws_archive *a, bool cache_stanza)
{
	struct ws_error err;

	if (ws_spool_open(w->cfg, spool, &err) != WS_OK) {
		ws_log_error(w->log, "archive-worker", "%s", err.message);
		return WS_ERR_IO;
	}
	if (ws_archive_open(w->cfg, w->log, a, &err) != WS_OK) {
		struct ws_error ignored;

		/* e.g. the repository is unreachable: the next archive-push says so */
		ws_log_error(w->log, "archive-worker", "%s", err.message);
		ws_spool_write_error(spool, "repository", err.message, &ignored);
		pthread_mutex_lock(&w->mutex);
		w->failed = true;
		pthread_mutex_unlock(&w->mutex);
		ws_spool_close(spool);
		return WS_ERR_IO;
	}
	/* the pool's threads are the parallelism: one core per segment */
	a->params.threads = 1;
	if (cache_stanza) {
		struct ws_error ignored;

		/* what the next archive-push verifies against, without the repository */
		ws_spool_write_stanza(spool, &a->stanza, &ignored);
	}
	return WS_OK;
}

/* Take, prepare and hand over segments until idle for WORKER_IDLE_EXIT_MS. */
static void
work(struct worker_thread *t, struct ws_archive *a, struct ws_spool *spool, struct ws_handoff *h)
{
	struct worker_shared *w = t->w;
	const struct timespec pause = {0, WORKER_POLL_MS * 1000000L};
	struct ws_push_job jobs[JOBS_PER_THREAD];
	long idle_since = ws_clock_ms();
	struct ws_buf data;
	struct ws_error err;
	int k = 0;

	ws_buf_init(&data, WS_WAL_SEGSIZE_MAX);
	for (int i = 0; i < JOBS_PER_THREAD; i++)
		ws_buf_init(&jobs[i].obj, ws_archive_object_max(ws_stanza_current(&a->stanza)));
	while (ws_clock_ms() - idle_since < WORKER_IDLE_EXIT_MS) {
		struct ws_push_job *job = &jobs[k];
		char name[WS_WAL_NAME_MAX];
		struct ws_buf *handed;
		bool ahead;
		int rc;

		job->slot = t->slot * JOBS_PER_THREAD + k;
		if (!take_next(w, job->slot, spool, name, sizeof(name), &ahead)) {
			if (w->failed)
				break;
			nanosleep(&pause, NULL);
			continue;
		}
		rc = ahead ? ws_ahead_prepare(a, w->wal_dir, name, &data, job, &err)
			: prepare_queued(a, spool, name, &data, job, &err);
		if (rc != WS_OK || job->skip) {
			if (rc != WS_OK)
				report_failure(w, spool, name, &err);
			else if (ahead)
				ws_log_debug(w->log, "archive-worker", "skipped WAL file \"%s\": no longer ready", name);
			release_slot(w, job->slot);
			idle_since = ws_clock_ms();
			continue;
		}
		handed = ws_handoff_buffer(h);
		ws_buf_reset(handed);
		if (ws_buf_append(handed, &job, sizeof(job)) != WS_OK || ws_handoff_push(h, &err) != WS_OK) {
			release_slot(w, job->slot);
			break;              /* the uploader failed and said so */
		}
		k = (k + 1) % JOBS_PER_THREAD;
		idle_since = ws_clock_ms();
	}
	ws_handoff_finish(h, &err);
	ws_buf_free(&data);
	for (int i = 0; i < JOBS_PER_THREAD; i++)
		ws_buf_free(&jobs[i].obj);
}

static void *
worker_thread_main(void *arg)
{
	struct worker_thread *t = arg;
	struct worker_shared *w = t->w;
	struct uploader up = {.w = w};
	struct ws_archive a;
	struct ws_spool spool;
	struct ws_handoff *h = NULL;
	struct ws_error err;
	int rc;

	/* each thread has its own connections: curl handles are not shared */
	if (open_worker(w, &spool, &a, t->slot == 0) != WS_OK)
		return NULL;
	rc = ws_spool_open(w->cfg, &up.spool, &err);
	if (rc == WS_OK) {
		rc = ws_archive_clone(&a, w->cfg, &up.a, &err);
		if (rc == WS_OK) {
			rc = ws_handoff_start(store_job, &up, sizeof(struct ws_push_job *), &h, &err);
			if (rc == WS_OK)
				work(t, &a, &spool, h);
			ws_archive_close(&up.a);
		}
		ws_spool_close(&up.spool);
	}
	if (rc != WS_OK)
		report_failure(w, &spool, "repository", &err);
	ws_spool_close(&spool);
	ws_archive_close(&a);
	return NULL;
}

/* Run nthreads uploaders until the queue stays empty or one fails. */
static int
run_threads(struct worker_shared *w, struct ws_error *err)
{
	struct worker_thread *threads = calloc((size_t) w->nthreads, sizeof(*threads));
	pthread_t *ids = calloc((size_t) w->nthreads, sizeof(*ids));
	int started = 0;

	if (threads == NULL || ids == NULL) {
		free(threads);
		free(ids);
		return ws_error_set(err, WS_ERR_NOMEM, "out of memory starting the archive worker");
	}
	for (; started < w->nthreads; started++) {
		threads[started].w = w;
		threads[started].slot = started;
		if (pthread_create(&ids[started], NULL, worker_thread_main, &threads[started]) != 0)
			break;
	}
	for (int i = 0; i < started; i++)
		pthread_join(ids[i], NULL);
	free(threads);
	free(ids);
	if (started == 0)
		return ws_error_set(err, WS_ERR_IO, "could not start archive worker threads");
	return WS_OK;
}

int
ws_push_worker_run(const struct ws_config *cfg, struct ws_log *log, const char *wal_dir,
				   struct ws_error *err)
{
	struct worker_shared w;
	struct ws_spool spool;
	struct ws_error ignored;
	int lock_fd = -1;
	int rc;

	memset(&w, 0, sizeof(w));
	w.cfg = cfg;
	w.log = log;
	w.wal_dir = wal_dir != NULL ? wal_dir : "";
	w.nthreads = (int) ws_config_int(cfg, WS_OPT_PROCESS_MAX);
	if ((rc = ws_spool_open(cfg, &spool, err)) != WS_OK)
		return rc;
	w.inflight = calloc((size_t) w.nthreads * JOBS_PER_THREAD, sizeof(*w.inflight));
	if (w.inflight == NULL) {
		ws_spool_close(&spool);
		return ws_error_set(err, WS_ERR_NOMEM, "out of memory starting the archive worker");
	}
	pthread_mutex_init(&w.mutex, NULL);
	/*
	 * A file queued just as the threads went idle would wait for the next
	 * archive-push: look once more after letting go of the lock.
	 */
	while ((rc = take_lock(&spool, cfg, &lock_fd, err)) == WS_OK) {
		ws_ahead_tidy(&spool, w.wal_dir);
		rc = run_threads(&w, err);
		close(lock_fd);
		lock_fd = -1;
		if (rc != WS_OK || w.failed)
			break;
		ws_spool_clear_error(&spool, &ignored);
		ws_spool_queue_free(&w.queue);
		w.next = 0;
		if (ws_spool_queue_list(&spool, &w.queue, &ignored) != WS_OK || w.queue.count == 0)
			break;
	}
	if (rc == WS_ERR_EXISTS)
		rc = WS_OK;             /* another worker is at it, or nothing to do */
	pthread_mutex_destroy(&w.mutex);
	ws_spool_queue_free(&w.queue);
	ws_spool_queue_free(&w.ready);
	ws_spool_queue_free(&w.seen);
	free(w.inflight);
	ws_spool_close(&spool);
	return rc;
}
