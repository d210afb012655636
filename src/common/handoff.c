/*
 * handoff.c — two buffers between one producer and one consumer thread
 */
#include "common/handoff.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

struct handoff_slot {
	struct ws_buf buf;
	bool full;              /* handed over, not yet consumed */
};

struct ws_handoff {
	pthread_t thread;
	pthread_mutex_t mutex;
	pthread_cond_t filled;  /* a slot became full, or the producer is done */
	pthread_cond_t emptied; /* a slot became free */
	struct handoff_slot slot[2];
	int produce;            /* slot the producer fills next */
	bool done;              /* the producer will hand over nothing more */
	bool failed;            /* the consumer failed; error is in consumer_err */
	struct ws_error consumer_err;
	ws_handoff_fn fn;
	void *arg;
};

static void *
consume(void *arg)
{
	struct ws_handoff *h = arg;
	int c = 0;

	pthread_mutex_lock(&h->mutex);
	for (;;) {
		struct handoff_slot *s = &h->slot[c];

		while (!s->full && !h->done)
			pthread_cond_wait(&h->filled, &h->mutex);
		if (!s->full)
			break;
		if (!h->failed) {
			int rc;

			/* the producer does not touch a full slot: work unlocked */
			pthread_mutex_unlock(&h->mutex);
			rc = h->fn(s->buf.data, s->buf.len, h->arg, &h->consumer_err);
			pthread_mutex_lock(&h->mutex);
			if (rc != WS_OK)
				h->failed = true;
		}
		s->full = false;
		pthread_cond_signal(&h->emptied);
		c ^= 1;
	}
	pthread_mutex_unlock(&h->mutex);
	return NULL;
}

int
ws_handoff_start(ws_handoff_fn fn, void *arg, size_t max, struct ws_handoff **out,
				 struct ws_error *err)
{
	struct ws_handoff *h = calloc(1, sizeof(*h));
	int e;

	*out = NULL;
	if (h == NULL)
		return ws_error_set(err, WS_ERR_NOMEM, "out of memory");
	h->fn = fn;
	h->arg = arg;
	ws_buf_init(&h->slot[0].buf, max);
	ws_buf_init(&h->slot[1].buf, max);
	pthread_mutex_init(&h->mutex, NULL);
	pthread_cond_init(&h->filled, NULL);
	pthread_cond_init(&h->emptied, NULL);
	if ((e = pthread_create(&h->thread, NULL, consume, h)) != 0) {
		pthread_cond_destroy(&h->emptied);
		pthread_cond_destroy(&h->filled);
		pthread_mutex_destroy(&h->mutex);
		free(h);
		return ws_error_set(err, WS_ERR_IO, "could not start a thread: %s", strerror(e));
	}
	*out = h;
	return WS_OK;
}

struct ws_buf *
ws_handoff_buffer(struct ws_handoff *h)
{
	struct handoff_slot *s = &h->slot[h->produce];

	pthread_mutex_lock(&h->mutex);
	while (s->full)
		pthread_cond_wait(&h->emptied, &h->mutex);
	pthread_mutex_unlock(&h->mutex);
	ws_buf_reset(&s->buf);
	return &s->buf;
}

int
ws_handoff_push(struct ws_handoff *h, struct ws_error *err)
{
	int rc = WS_OK;

	pthread_mutex_lock(&h->mutex);
	if (h->failed) {
		*err = h->consumer_err;
		rc = err->status;
	} else {
		h->slot[h->produce].full = true;
		h->produce ^= 1;
		pthread_cond_signal(&h->filled);
	}
	pthread_mutex_unlock(&h->mutex);
	return rc;
}

int
ws_handoff_finish(struct ws_handoff *h, struct ws_error *err)
{
	int rc = WS_OK;

	if (h == NULL)
		return WS_OK;
	pthread_mutex_lock(&h->mutex);
	h->done = true;
	pthread_cond_signal(&h->filled);
	pthread_mutex_unlock(&h->mutex);
	pthread_join(h->thread, NULL);
	if (h->failed) {
		*err = h->consumer_err;
		rc = err->status;
	}
	ws_buf_free(&h->slot[0].buf);
	ws_buf_free(&h->slot[1].buf);
	pthread_cond_destroy(&h->emptied);
	pthread_cond_destroy(&h->filled);
	pthread_mutex_destroy(&h->mutex);
	free(h);
	return rc;
}
