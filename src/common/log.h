/*
 * log.h — one line per event: time, pid, level, component, message
 *
 *     2026-11-26 12:00:00.123 UTC [12345] INFO  archive: pushed "0000..."
 *
 * The logger is a plain struct passed around in context structs; there is
 * no global logger.
 */
#ifndef WALSHIP_COMMON_LOG_H
#define WALSHIP_COMMON_LOG_H

#include <stdbool.h>
#include <stdio.h>

#include "common/error.h"

enum ws_log_level {
	WS_LOG_OFF = 0,
	WS_LOG_ERROR,
	WS_LOG_WARN,
	WS_LOG_INFO,
	WS_LOG_DEBUG,
	WS_LOG_TRACE
};

struct ws_log {
	enum ws_log_level level;	/* most verbose level written */
	FILE *stream;
	bool owns_stream;			/* from ws_log_open_file, so ours to close */
};

void ws_log_init_stderr(struct ws_log *log, enum ws_log_level level);

/*
 * Log to a file from now on: append mode, created with mode 0640, close on
 * exec, line-buffered. The current stream is replaced (and closed if it was
 * ours) only when the new file could be opened.
 */
int ws_log_open_file(struct ws_log *log, const char *path, struct ws_error *err);

/* Close a file opened by ws_log_open_file and go back to stderr. */
void ws_log_close(struct ws_log *log);

/*
 * Write one line if level is enabled; log may be NULL. CR and LF in the
 * message become spaces (trailing ones are dropped) so that every event is
 * exactly one line. errno is preserved, so %m works and callers can still
 * inspect errno afterwards.
 */
void ws_log_write(struct ws_log *log, enum ws_log_level level,
				  const char *component, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#define ws_log_error(log, comp, ...) \
	ws_log_write((log), WS_LOG_ERROR, (comp), __VA_ARGS__)
#define ws_log_warn(log, comp, ...) \
	ws_log_write((log), WS_LOG_WARN, (comp), __VA_ARGS__)
#define ws_log_info(log, comp, ...) \
	ws_log_write((log), WS_LOG_INFO, (comp), __VA_ARGS__)
#define ws_log_debug(log, comp, ...) \
	ws_log_write((log), WS_LOG_DEBUG, (comp), __VA_ARGS__)
#define ws_log_trace(log, comp, ...) \
	ws_log_write((log), WS_LOG_TRACE, (comp), __VA_ARGS__)

/*
 * "off", "error", "warn" (or "warning"), "info", "debug", "trace",
 * case-insensitive: WS_OK, else WS_ERR_INVALID and *out untouched.
 */
int ws_log_level_parse(const char *name, enum ws_log_level *out);

/* Lowercase name as accepted by ws_log_level_parse; never NULL. */
const char *ws_log_level_name(enum ws_log_level level);

#endif
