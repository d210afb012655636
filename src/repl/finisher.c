/*
 * finisher.c — finish and store completed segments in the background (finisher.h)
 *
 * Jobs sit in a ring in the order they were handed over. A thread takes the
 * oldest job nobody has taken; `durable` advances over the leading jobs
 * whose file is synced, so it never passes a gap.
 */
#include "repl/finisher.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FINISHER_MAX_DEPTH 64
#define FINISHER_MAX_THREADS 16

enum job_state {
	JOB_QUEUED,
	JOB_TAKEN,
	JOB_SYNCED,                  /* on disk under its final name, being stored */
	JOB_DONE
};

struct slot {
	struct ws_walfile_job job;
	enum job_state state;
	bool on_disk;                /* synced under its final name */
};

struct ws_finisher {
	ws_finisher_store store;
	void *args[FINISHER_MAX_THREADS];
	pthread_t threads[FINISHER_MAX_THREADS];
	int nthreads;
	pthread_mutex_t mutex;
	pthread_cond_t changed;
	struct slot ring[FINISHER_MAX_DEPTH];
	int depth;
	int head;                    /* oldest job not yet done */
	int count;                   /* jobs from head on */
	ws_lsn durable;
	bool stopping;
	bool failed;
	struct ws_error error;       /* the first failure */
};

struct thread_start {
	struct ws_finisher *f;
	int index;
};

static struct slot *
at(struct ws_finisher *f, int i)
{
	return &f->ring[(f->head + i) % f->depth];
}

/* With the mutex held: retire done jobs from the head, advancing durable. */
static void
advance(struct ws_finisher *f)
{
	for (int i = 0; i < f->count; i++) {
		struct slot *s = at(f, i);

		if ((s->state != JOB_SYNCED && s->state != JOB_DONE) || !s->on_disk)
			break;
		if (s->job.end > f->durable)
			f->durable = s->job.end;
	}
	while (f->count > 0 && at(f, 0)->state == JOB_DONE) {
		f->head = (f->head + 1) % f->depth;
		f->count--;
	}
}

/* With the mutex held: the oldest queued job, or NULL. */
static struct slot *
take(struct ws_finisher *f)
{
	for (int i = 0; i < f->count; i++) {
		if (at(f, i)->state == JOB_QUEUED) {
			at(f, i)->state = JOB_TAKEN;
			return at(f, i);
		}
	}
	return NULL;
}

static void
fail(struct ws_finisher *f, const struct ws_error *err)
{
	if (!f->failed) {
		f->failed = true;
		f->error = *err;
	}
}

static void *
finisher_main(void *arg)
{
	struct thread_start *start = arg;
	struct ws_finisher *f = start->f;
	void *ctx = f->args[start->index];

	free(start);
	pthread_mutex_lock(&f->mutex);
	for (;;) {
		struct slot *s = NULL;
		char path[PATH_MAX];
		struct ws_error err;
		int rc;

		while (!f->failed && !f->stopping && (s = take(f)) == NULL)
			pthread_cond_wait(&f->changed, &f->mutex);
		if (s == NULL)
			break;
		pthread_mutex_unlock(&f->mutex);
		ws_error_clear(&err);
		rc = ws_walfile_job_finish(&s->job, path, sizeof(path), &err);
		pthread_mutex_lock(&f->mutex);
		if (rc == WS_OK) {
			s->state = JOB_SYNCED;
			s->on_disk = true;
			advance(f);
			pthread_mutex_unlock(&f->mutex);
			rc = f->store(ctx, path, &err);
			pthread_mutex_lock(&f->mutex);
		}
		if (rc != WS_OK)
			fail(f, &err);
		s->state = JOB_DONE;
		advance(f);
		pthread_cond_broadcast(&f->changed);
	}
	pthread_mutex_unlock(&f->mutex);
	return NULL;
}

int
ws_finisher_start(ws_finisher_store store, void *const *args, int nthreads, int depth,
				  struct ws_finisher **out, struct ws_error *err)
{
	struct ws_finisher *f = calloc(1, sizeof(*f));

	*out = NULL;
	if (f == NULL)
		return ws_error_set(err, WS_ERR_NOMEM, "out of memory starting the segment finisher");
	f->store = store;
	f->depth = depth < 1 ? 1 : depth > FINISHER_MAX_DEPTH ? FINISHER_MAX_DEPTH : depth;
	nthreads = nthreads < 1 ? 1 : nthreads > FINISHER_MAX_THREADS ? FINISHER_MAX_THREADS : nthreads;
	pthread_mutex_init(&f->mutex, NULL);
	pthread_cond_init(&f->changed, NULL);
	for (int i = 0; i < nthreads; i++) {
		struct thread_start *start = malloc(sizeof(*start));

		f->args[i] = args[i];
		if (start == NULL)
			break;
		start->f = f;
		start->index = i;
		if (pthread_create(&f->threads[i], NULL, finisher_main, start) != 0) {
			free(start);
			break;
		}
		f->nthreads++;
	}
	if (f->nthreads == 0) {
		pthread_mutex_destroy(&f->mutex);
		pthread_cond_destroy(&f->changed);
		free(f);
		return ws_error_set(err, WS_ERR_IO, "could not start the segment finisher threads");
	}
	*out = f;
	return WS_OK;
}

/* With the mutex held: the first failure, copied out. */
static int
failure(struct ws_finisher *f, struct ws_error *err)
{
	*err = f->error;
	return f->error.status != WS_OK ? f->error.status : WS_ERR_IO;
}

int
ws_finisher_submit(struct ws_finisher *f, const struct ws_walfile_job *job, struct ws_error *err)
{
	int rc = WS_OK;

	pthread_mutex_lock(&f->mutex);
	while (f->count == f->depth && !f->failed)
		pthread_cond_wait(&f->changed, &f->mutex);
	if (f->failed) {
		close(job->fd);          /* the file stays as it is, for the next run */
		rc = failure(f, err);
	} else {
		struct slot *s = at(f, f->count);

		s->job = *job;
		s->state = JOB_QUEUED;
		s->on_disk = false;
		f->count++;
		pthread_cond_broadcast(&f->changed);
	}
	pthread_mutex_unlock(&f->mutex);
	return rc;
}

ws_lsn
ws_finisher_durable(struct ws_finisher *f)
{
	ws_lsn durable;

	pthread_mutex_lock(&f->mutex);
	durable = f->durable;
	pthread_mutex_unlock(&f->mutex);
	return durable;
}

int
ws_finisher_drain(struct ws_finisher *f, struct ws_error *err)
{
	int rc = WS_OK;

	pthread_mutex_lock(&f->mutex);
	while (f->count > 0 && !f->failed)
		pthread_cond_wait(&f->changed, &f->mutex);
	/* after a failure, wait for the jobs in flight before reporting it */
	while (f->failed) {
		bool busy = false;

		for (int i = 0; i < f->count; i++)
			busy = busy || at(f, i)->state == JOB_TAKEN || at(f, i)->state == JOB_SYNCED;
		if (!busy)
			break;
		pthread_cond_wait(&f->changed, &f->mutex);
	}
	if (f->failed)
		rc = failure(f, err);
	pthread_mutex_unlock(&f->mutex);
	return rc;
}

int
ws_finisher_stop(struct ws_finisher *f, struct ws_error *err)
{
	int rc;

	if (f == NULL)
		return WS_OK;
	rc = ws_finisher_drain(f, err);
	pthread_mutex_lock(&f->mutex);
	f->stopping = true;
	pthread_cond_broadcast(&f->changed);
	pthread_mutex_unlock(&f->mutex);
	for (int i = 0; i < f->nthreads; i++)
		pthread_join(f->threads[i], NULL);
	/* jobs never taken (after a failure) still own their file */
	for (int i = 0; i < f->count; i++)
		if (at(f, i)->state == JOB_QUEUED)
			close(at(f, i)->job.fd);
	pthread_mutex_destroy(&f->mutex);
	pthread_cond_destroy(&f->changed);
	free(f);
	return rc;
}
