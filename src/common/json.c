/*
 * json.c — JSON writer (see json.h)
 */
#include "common/json.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>

#include "common/error.h"

static void
put(struct ws_json *j, const char *s)
{
	if (j->status == WS_OK)
		j->status = ws_buf_append_str(j->buf, s);
}

static void
put_escaped(struct ws_json *j, const char *s)
{
	char esc[8];

	put(j, "\"");
	for (const unsigned char *p = (const unsigned char *) s; *p != '\0' && j->status == WS_OK; p++) {
		switch (*p) {
		case '"': put(j, "\\\""); break;
		case '\\': put(j, "\\\\"); break;
		case '\n': put(j, "\\n"); break;
		case '\r': put(j, "\\r"); break;
		case '\t': put(j, "\\t"); break;
		default:
			if (*p < 0x20) {
				snprintf(esc, sizeof(esc), "\\u%04x", *p);
				put(j, esc);
			} else {
				j->status = ws_buf_append(j->buf, p, 1);
			}
		}
	}
	put(j, "\"");
}

/* Comma and key before a value at the current depth. */
static void
begin_value(struct ws_json *j, const char *key)
{
	if (j->need_comma[j->depth])
		put(j, ",");
	j->need_comma[j->depth] = true;
	if (key != NULL) {
		put_escaped(j, key);
		put(j, ":");
	}
}

static void
open_container(struct ws_json *j, const char *key, const char *bracket)
{
	begin_value(j, key);
	if (j->depth + 1 >= WS_JSON_MAX_DEPTH) {
		if (j->status == WS_OK)
			j->status = WS_ERR_TOO_LARGE;
		return;
	}
	put(j, bracket);
	j->depth++;
	j->need_comma[j->depth] = false;
}

static void
close_container(struct ws_json *j, const char *bracket)
{
	if (j->depth == 0) {
		if (j->status == WS_OK)
			j->status = WS_ERR_INVALID;
		return;
	}
	j->depth--;
	put(j, bracket);
}

void
ws_json_init(struct ws_json *j, struct ws_buf *buf)
{
	j->buf = buf;
	j->depth = 0;
	j->status = WS_OK;
	for (int i = 0; i < WS_JSON_MAX_DEPTH; i++)
		j->need_comma[i] = false;
}

void ws_json_object_begin(struct ws_json *j, const char *key) { open_container(j, key, "{"); }
void ws_json_object_end(struct ws_json *j) { close_container(j, "}"); }
void ws_json_array_begin(struct ws_json *j, const char *key) { open_container(j, key, "["); }
void ws_json_array_end(struct ws_json *j) { close_container(j, "]"); }

void
ws_json_string(struct ws_json *j, const char *key, const char *value)
{
	begin_value(j, key);
	if (value == NULL)
		put(j, "null");
	else
		put_escaped(j, value);
}

void
ws_json_int(struct ws_json *j, const char *key, int64_t value)
{
	char num[32];

	begin_value(j, key);
	snprintf(num, sizeof(num), "%" PRId64, value);
	put(j, num);
}

void
ws_json_double(struct ws_json *j, const char *key, double value)
{
	char num[64];

	begin_value(j, key);
	if (!isfinite(value)) {
		put(j, "null");
		return;
	}
	snprintf(num, sizeof(num), "%.15g", value);
	put(j, num);
}

void
ws_json_bool(struct ws_json *j, const char *key, bool value)
{
	begin_value(j, key);
	put(j, value ? "true" : "false");
}

void
ws_json_null(struct ws_json *j, const char *key)
{
	begin_value(j, key);
	put(j, "null");
}

int
ws_json_finish(struct ws_json *j)
{
	if (j->status == WS_OK && j->depth != 0)
		j->status = WS_ERR_INVALID;
	return j->status;
}
