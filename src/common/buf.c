/*
 * buf.c — growable byte buffer with a hard cap (see buf.h)
 */
#include "common/buf.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"

#define WS_BUF_MIN_ALLOC 64

void
ws_buf_init(struct ws_buf *b, size_t max)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	b->max = max;
}

/*
 * Make room for extra more bytes plus the NUL. The caller has checked that
 * len + extra <= max. On failure nothing changes.
 */
static int
buf_reserve(struct ws_buf *b, size_t extra)
{
	size_t need;
	size_t newcap;
	char *p;

	/* only reachable with max == SIZE_MAX: no room left for the NUL */
	if (extra >= SIZE_MAX - b->len)
		return WS_ERR_NOMEM;
	need = b->len + extra + 1;
	if (need <= b->cap)
		return WS_OK;

	/* double to keep appends amortised O(1), but never beyond max + 1 */
	newcap = b->cap < WS_BUF_MIN_ALLOC ? WS_BUF_MIN_ALLOC : b->cap;
	while (newcap < need && newcap <= SIZE_MAX / 2)
		newcap *= 2;
	if (newcap < need)
		newcap = need;
	if (b->max < SIZE_MAX && newcap > b->max + 1)
		newcap = b->max + 1;

	p = realloc(b->data, newcap);
	if (p == NULL)
		return WS_ERR_NOMEM;
	if (b->data == NULL)
		p[0] = '\0';
	b->data = p;
	b->cap = newcap;
	return WS_OK;
}

int
ws_buf_reserve(struct ws_buf *b, size_t extra)
{
	if (extra > b->max || b->len > b->max - extra)
		return WS_ERR_TOO_LARGE;
	return buf_reserve(b, extra);
}

int
ws_buf_append(struct ws_buf *b, const void *data, size_t len)
{
	const char *src = data;
	int rc;

	if (len > b->max - b->len)
		return WS_ERR_TOO_LARGE;

	/*
	 * Appending part of the buffer to itself is legal, but realloc may move
	 * the source; remember it as an offset.
	 */
	if (b->data != NULL && len > 0 &&
		(uintptr_t) src >= (uintptr_t) b->data &&
		(uintptr_t) src < (uintptr_t) b->data + b->cap) {
		size_t off = (size_t) ((uintptr_t) src - (uintptr_t) b->data);

		rc = buf_reserve(b, len);
		if (rc != WS_OK)
			return rc;
		src = b->data + off;
	} else {
		rc = buf_reserve(b, len);
		if (rc != WS_OK)
			return rc;
	}

	if (len > 0)
		memmove(b->data + b->len, src, len);
	b->len += len;
	b->data[b->len] = '\0';
	return WS_OK;
}

int
ws_buf_append_str(struct ws_buf *b, const char *s)
{
	return ws_buf_append(b, s, strlen(s));
}

int
ws_buf_appendf(struct ws_buf *b, const char *fmt, ...)
{
	int saved_errno = errno;
	va_list ap;
	int n;
	int rc = WS_OK;

	/* try the free space first; usually it is enough */
	va_start(ap, fmt);
	if (b->data != NULL)
		n = vsnprintf(b->data + b->len, b->cap - b->len, fmt, ap);
	else
		n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);

	if (n < 0) {
		rc = WS_ERR_INVALID;
		goto cleanup;
	}
	if ((size_t) n > b->max - b->len) {
		rc = WS_ERR_TOO_LARGE;
		goto cleanup;
	}
	if (b->data != NULL && (size_t) n < b->cap - b->len) {
		b->len += (size_t) n;
		goto cleanup;
	}

	rc = buf_reserve(b, (size_t) n);
	if (rc != WS_OK)
		goto cleanup;

	errno = saved_errno;		/* realloc may have touched it; %m reads it */
	va_start(ap, fmt);
	if (vsnprintf(b->data + b->len, (size_t) n + 1, fmt, ap) != n)
		rc = WS_ERR_INVALID;	/* an argument changed under us */
	va_end(ap);
	if (rc == WS_OK)
		b->len += (size_t) n;

cleanup:
	/* a failed or truncated attempt may have written past len */
	if (b->data != NULL)
		b->data[b->len] = '\0';
	errno = saved_errno;
	return rc;
}

void
ws_buf_reset(struct ws_buf *b)
{
	b->len = 0;
	if (b->data != NULL)
		b->data[0] = '\0';
}

void
ws_buf_free(struct ws_buf *b)
{
	free(b->data);
	ws_buf_init(b, b->max);
}

const char *
ws_buf_str(const struct ws_buf *b)
{
	return b->data != NULL ? b->data : "";
}
