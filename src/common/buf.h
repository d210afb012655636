/*
 * buf.h — growable byte buffer with a hard cap
 *
 * Everything that accumulates bytes from outside (protocol messages, HTTP
 * replies, files) goes through one of these so that a hostile or broken
 * peer cannot make us allocate without bound. The contents are always
 * NUL-terminated once something was appended, so text can be used directly.
 */
#ifndef WALSHIP_COMMON_BUF_H
#define WALSHIP_COMMON_BUF_H

#include <stddef.h>

struct ws_buf {
	char *data;		/* NULL until the first append */
	size_t len;		/* bytes in use, excluding the terminating NUL */
	size_t cap;		/* bytes allocated, including room for the NUL */
	size_t max;		/* hard cap on len */
};

/* Set up an empty buffer; allocates nothing. */
void ws_buf_init(struct ws_buf *b, size_t max);

/*
 * Append len bytes. WS_ERR_TOO_LARGE if len would exceed max, WS_ERR_NOMEM
 * if memory ran out; in both cases the buffer is unchanged.
 */
int ws_buf_append(struct ws_buf *b, const void *data, size_t len);
/*
 * Make room for extra more bytes without changing len, so a caller that
 * knows the final size (a file's, a decoded object's) avoids regrowing.
 * WS_ERR_TOO_LARGE past max, WS_ERR_NOMEM; nothing changes on failure.
 */
int ws_buf_reserve(struct ws_buf *b, size_t extra);
int ws_buf_append_str(struct ws_buf *b, const char *s);

/*
 * Append formatted text, same errors as ws_buf_append plus WS_ERR_INVALID
 * on an encoding error. errno is preserved for %m.
 */
int ws_buf_appendf(struct ws_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Empty the buffer but keep its memory for reuse. */
void ws_buf_reset(struct ws_buf *b);

/* Release the memory; the buffer is as after ws_buf_init (max kept). */
void ws_buf_free(struct ws_buf *b);

/* The contents as a string; "" when nothing was appended. */
const char *ws_buf_str(const struct ws_buf *b);

#endif
