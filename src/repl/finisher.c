/*
 * finisher.c — store completed segments in the background (finisher.h)
 */
#include "repl/finisher.h"

#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "common/str.h"

#define FINISHER_MAX_DEPTH 64

struct ws_finisher {
	ws_finisher_store store;
	void *arg;
	pthread_t thread;
	pthread_mutex_t mutex;
	pthread_cond_t changed;
	char paths[FINISHER_MAX_DEPTH][PATH_MAX];
	int depth;
	int head;                    /* next to store */
	int count;                   /* queued, including the one being stored */
	bool stopping;
	bool failed;
	struct ws_error error;       /* the first failure */
};

static void *
finisher_main(void *arg)
{
	struct ws_finisher *f = arg;

	pthread_mutex_lock(&f->mutex);
	for (;;) {
		char path[PATH_MAX];
		struct ws_error err;
		int rc;

		while (f->count == 0 && !f->stopping)
			pthread_cond_wait(&f->changed, &f->mutex);
		if (f->count == 0 || f->failed)
			break;
		ws_strlcpy(path, f->paths[f->head], sizeof(path));
		pthread_mutex_unlock(&f->mutex);
		ws_error_clear(&err);
		rc = f->store(f->arg, path, &err);
		pthread_mutex_lock(&f->mutex);
		if (rc != WS_OK) {
			f->failed = true;
			f->error = err;
			f->count = 0;           /* the rest stays on disk for the next run */
		} else {
			f->head = (f->head + 1) % f->depth;
			f->count--;
		}
		pthread_cond_broadcast(&f->changed);
	}
	pthread_mutex_unlock(&f->mutex);
	return NULL;
}

int
ws_finisher_start(ws_finisher_store store, void *arg, int depth, struct ws_finisher **out,
				  struct ws_error *err)
{
	struct ws_finisher *f = calloc(1, sizeof(*f));

	*out = NULL;
	if (f == NULL)
		return ws_error_set(err, WS_ERR_NOMEM, "out of memory starting the segment finisher");
	f->store = store;
	f->arg = arg;
	f->depth = depth < 1 ? 1 : depth > FINISHER_MAX_DEPTH ? FINISHER_MAX_DEPTH : depth;
	pthread_mutex_init(&f->mutex, NULL);
	pthread_cond_init(&f->changed, NULL);
	if (pthread_create(&f->thread, NULL, finisher_main, f) != 0) {
		pthread_mutex_destroy(&f->mutex);
		pthread_cond_destroy(&f->changed);
		free(f);
		return ws_error_set(err, WS_ERR_IO, "could not start the segment finisher thread");
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
ws_finisher_submit(struct ws_finisher *f, const char *path, struct ws_error *err)
{
	int rc = WS_OK;

	pthread_mutex_lock(&f->mutex);
	while (f->count == f->depth && !f->failed)
		pthread_cond_wait(&f->changed, &f->mutex);
	if (f->failed) {
		rc = failure(f, err);
	} else {
		ws_strlcpy(f->paths[(f->head + f->count) % f->depth], path, sizeof(f->paths[0]));
		f->count++;
		pthread_cond_broadcast(&f->changed);
	}
	pthread_mutex_unlock(&f->mutex);
	return rc;
}

int
ws_finisher_drain(struct ws_finisher *f, struct ws_error *err)
{
	int rc = WS_OK;

	pthread_mutex_lock(&f->mutex);
	while (f->count > 0 && !f->failed)
		pthread_cond_wait(&f->changed, &f->mutex);
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
	pthread_join(f->thread, NULL);
	pthread_mutex_destroy(&f->mutex);
	pthread_cond_destroy(&f->changed);
	free(f);
	return rc;
}
