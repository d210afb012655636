/*
 * error.c — error context (see error.h)
 */
#include "common/error.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static void
mark_truncated(char *buf, size_t size)
{
	if (size >= 4)
		memcpy(buf + size - 4, "...", 4);
}

int
ws_error_setv(struct ws_error *err, int status, const char *fmt, va_list ap)
{
	int saved_errno = errno;
	int n;

	err->status = status;
	errno = saved_errno; /* vsnprintf's %m reads errno */
	n = vsnprintf(err->message, sizeof(err->message), fmt, ap);
	if (n < 0)
		snprintf(err->message, sizeof(err->message), "(unprintable error message)");
	else if ((size_t) n >= sizeof(err->message))
		mark_truncated(err->message, sizeof(err->message));
	errno = saved_errno;
	return status;
}

int
ws_error_set(struct ws_error *err, int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ws_error_setv(err, status, fmt, ap);
	va_end(ap);
	return status;
}

int
ws_error_prefix(struct ws_error *err, const char *fmt, ...)
{
	char prefix[WS_ERROR_MSG_MAX];
	char old[WS_ERROR_MSG_MAX];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	if (n < 0)
		return err->status;
	memcpy(old, err->message, sizeof(old));
	n = snprintf(err->message, sizeof(err->message), "%s: %s", prefix, old);
	if (n >= 0 && (size_t) n >= sizeof(err->message))
		mark_truncated(err->message, sizeof(err->message));
	return err->status;
}

void
ws_error_clear(struct ws_error *err)
{
	err->status = WS_OK;
	err->message[0] = '\0';
}

const char *
ws_status_name(int status)
{
	switch (status) {
	case WS_OK: return "ok";
	case WS_ERR_INVALID: return "invalid input";
	case WS_ERR_IO: return "i/o error";
	case WS_ERR_NOMEM: return "out of memory";
	case WS_ERR_NOT_FOUND: return "not found";
	case WS_ERR_CORRUPT: return "corrupt data";
	case WS_ERR_CONFIG: return "configuration error";
	case WS_ERR_CONNECT: return "connection failure";
	case WS_ERR_PG: return "server error";
	case WS_ERR_ROLE: return "wrong server role";
	case WS_ERR_TOO_LARGE: return "size limit exceeded";
	case WS_ERR_EXISTS: return "already exists";
	}
	return "unknown error";
}
