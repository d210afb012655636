/*
 * json.h — a small JSON writer into a ws_buf
 *
 * Keys are written by the value functions; pass key NULL inside arrays and
 * for the top-level value. The first failure (size cap, memory, nesting) is
 * remembered and returned by ws_json_finish(), so callers need not check
 * every call.
 */
#ifndef WALSHIP_COMMON_JSON_H
#define WALSHIP_COMMON_JSON_H

#include <stdbool.h>
#include <stdint.h>

#include "common/buf.h"

#define WS_JSON_MAX_DEPTH 16

struct ws_json {
	struct ws_buf *buf;
	int depth;
	bool need_comma[WS_JSON_MAX_DEPTH];
	int status;
};

void ws_json_init(struct ws_json *j, struct ws_buf *buf);
void ws_json_object_begin(struct ws_json *j, const char *key);
void ws_json_object_end(struct ws_json *j);
void ws_json_array_begin(struct ws_json *j, const char *key);
void ws_json_array_end(struct ws_json *j);
void ws_json_string(struct ws_json *j, const char *key, const char *value); /* NULL → null */
void ws_json_int(struct ws_json *j, const char *key, int64_t value);
/* Shortest round-trip-ish form (%.15g); NaN and infinities are written as null. */
void ws_json_double(struct ws_json *j, const char *key, double value);
void ws_json_bool(struct ws_json *j, const char *key, bool value);
void ws_json_null(struct ws_json *j, const char *key);
/* WS_OK, or the first error; also fails if objects are left open. */
int ws_json_finish(struct ws_json *j);

#endif
