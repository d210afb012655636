/*
 * error.h — error context carried up the call stack
 *
 * Functions return an int status (WS_OK or a negative enum ws_status) and
 * describe the failure in a struct ws_error, in PostgreSQL's message style:
 * lowercase, no trailing period, quoted names, e.g.
 *     could not open file "/x/y": No such file or directory
 * Callers add context with ws_error_prefix() and main() prints the message.
 */
#ifndef WALSHIP_COMMON_ERROR_H
#define WALSHIP_COMMON_ERROR_H

#include <stdarg.h>

enum ws_status {
	WS_OK = 0,
	WS_ERR_INVALID = -1,   /* malformed input: argument, name, number */
	WS_ERR_IO = -2,        /* operating system call failed */
	WS_ERR_NOMEM = -3,     /* allocation failed */
	WS_ERR_NOT_FOUND = -4, /* file, option or object does not exist */
	WS_ERR_CORRUPT = -5,   /* data fails validation (WAL header, checksum) */
	WS_ERR_CONFIG = -6,    /* configuration file or option error */
	WS_ERR_CONNECT = -7,   /* could not connect to PostgreSQL */
	WS_ERR_PG = -8,        /* PostgreSQL reported an error */
	WS_ERR_ROLE = -9,      /* server has the wrong role (primary/standby) */
	WS_ERR_TOO_LARGE = -10, /* a size cap was exceeded */
	WS_ERR_EXISTS = -11     /* refused to replace an existing object */
};

#define WS_ERROR_MSG_MAX 1024

struct ws_error {
	int status;
	char message[WS_ERROR_MSG_MAX];
};

/*
 * Record an error and return status, so callers can write
 *     return ws_error_set(err, WS_ERR_IO, "could not open file \"%s\": %m", p);
 * errno is preserved for %m. A message longer than the buffer is truncated
 * with "...".
 */
int ws_error_set(struct ws_error *err, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int ws_error_setv(struct ws_error *err, int status, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));

/* Prepend context: "<prefix>: <existing message>". Returns err->status. */
int ws_error_prefix(struct ws_error *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

void ws_error_clear(struct ws_error *err);

/* Short name of a status, e.g. "invalid input"; never NULL. */
const char *ws_status_name(int status);

#endif
