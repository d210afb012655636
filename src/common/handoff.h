/*
 * handoff.h — pass filled buffers to one consumer thread, in order
 *
 * A producer that decodes (decompresses, decrypts) and a consumer that hashes
 * and writes can run on two cores at once: the producer fills one buffer
 * while the consumer works through the other. Buffers are consumed in the
 * order they were handed over. The first consumer error stops consumption;
 * the producer sees it at its next hand-over and at the end.
 */
#ifndef WALSHIP_COMMON_HANDOFF_H
#define WALSHIP_COMMON_HANDOFF_H

#include <stddef.h>

#include "common/buf.h"
#include "common/error.h"

struct ws_handoff;

/* Called on the consumer thread for each buffer, in hand-over order. */
typedef int (*ws_handoff_fn)(const void *data, size_t len, void *arg, struct ws_error *err);

/*
 * Start the consumer thread. Each buffer is capped at max bytes. fn and arg
 * must stay valid until ws_handoff_finish.
 */
int ws_handoff_start(ws_handoff_fn fn, void *arg, size_t max, struct ws_handoff **out,
					 struct ws_error *err);

/* An empty buffer for the producer to fill; waits while both are in use. */
struct ws_buf *ws_handoff_buffer(struct ws_handoff *h);

/*
 * Hand the buffer from ws_handoff_buffer to the consumer. Returns the
 * consumer's error if it has already failed (the buffer is then dropped).
 */
int ws_handoff_push(struct ws_handoff *h, struct ws_error *err);

/*
 * Wait until everything handed over is consumed, stop the thread and free
 * everything. Returns the consumer's first error, if any. Safe on NULL.
 */
int ws_handoff_finish(struct ws_handoff *h, struct ws_error *err);

#endif
