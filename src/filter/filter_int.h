/*
 * filter_int.h — helpers shared by the filter implementations
 *
 * Private to src/filter/ and its unit tests; callers use filter.h.
 */
#ifndef WALSHIP_FILTER_FILTER_INT_H
#define WALSHIP_FILTER_FILTER_INT_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/error.h"
#include "filter/filter.h"

/* bytes a filter hands to its library per call, and its output chunk */
#define WS_FILTER_CHUNK (128 * 1024)

/*
 * Where a filter is in its life. Once finished or failed it refuses more
 * work: a stream that hit corrupt data must not carry on as if it had not.
 */
enum ws_filter_phase {
	WS_FILTER_OPEN,
	WS_FILTER_FINISHED,
	WS_FILTER_FAILED
};

/*
 * Allocate a filter around ops and state. On failure state is left to the
 * caller.
 */
int ws_filter_create(const struct ws_filter_ops *ops, void *state,
					 struct ws_filter **out, struct ws_error *err);

/*
 * WS_OK when a filter in phase may take more input (or be finished);
 * otherwise WS_ERR_INVALID with a message naming the filter.
 */
int ws_filter_check_open(enum ws_filter_phase phase, const char *name,
						 struct ws_error *err);

/*
 * Append len bytes of output to out, turning the buffer's status into a
 * message: WS_ERR_TOO_LARGE when out is full, WS_ERR_NOMEM.
 */
int ws_filter_emit(struct ws_buf *out, const void *data, size_t len,
				   const char *name, struct ws_error *err);

/*
 * Set err from OpenSSL's error queue: "<what>: <openssl reason>", and
 * empty the queue so the next failure reports its own reason.
 */
int ws_filter_openssl_error(struct ws_error *err, int status, const char *what);

/*
 * scrypt with explicit parameters, for tests against published vectors;
 * ws_kdf_derive() fixes them for production. maxmem in bytes.
 */
int ws_kdf_scrypt(const char *passphrase, size_t passlen,
				  const uint8_t *salt, size_t saltlen,
				  uint64_t n, uint64_t r, uint64_t p, uint64_t maxmem,
				  uint8_t *key, size_t keylen, struct ws_error *err);

#endif
