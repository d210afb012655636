/*
 * filter.c — what all stream filters share (see filter.h, filter_int.h)
 */
#include "filter/filter.h"

#include <stdlib.h>

#include <openssl/err.h>

#include "filter/filter_int.h"

int
ws_filter_create(const struct ws_filter_ops *ops, void *state,
				 struct ws_filter **out, struct ws_error *err)
{
	struct ws_filter *f;

	f = malloc(sizeof(*f));
	if (f == NULL)
		return ws_error_set(err, WS_ERR_NOMEM, "out of memory");
	f->ops = ops;
	f->state = state;
	*out = f;
	return WS_OK;
}

int
ws_filter_check_open(enum ws_filter_phase phase, const char *name,
					 struct ws_error *err)
{
	switch (phase) {
	case WS_FILTER_OPEN:
		return WS_OK;
	case WS_FILTER_FINISHED:
		return ws_error_set(err, WS_ERR_INVALID,
							"%s filter was used after it finished", name);
	case WS_FILTER_FAILED:
		break;
	}
	return ws_error_set(err, WS_ERR_INVALID,
						"%s filter was used after it failed", name);
}

int
ws_filter_emit(struct ws_buf *out, const void *data, size_t len,
			   const char *name, struct ws_error *err)
{
	int rc;

	if (len == 0)
		return WS_OK;
	rc = ws_buf_append(out, data, len);
	if (rc == WS_ERR_TOO_LARGE)
		return ws_error_set(err, rc, "%s output exceeds %zu bytes",
							name, out->max);
	if (rc != WS_OK)
		return ws_error_set(err, WS_ERR_NOMEM, "out of memory");
	return WS_OK;
}

int
ws_filter_openssl_error(struct ws_error *err, int status, const char *what)
{
	unsigned long code = ERR_get_error();
	char reason[256];

	if (code == 0) {
		ERR_clear_error();
		return ws_error_set(err, status, "%s", what);
	}
	ERR_error_string_n(code, reason, sizeof(reason));
	ERR_clear_error();
	return ws_error_set(err, status, "%s: %s", what, reason);
}

void
ws_filter_free(struct ws_filter *f)
{
	if (f == NULL)
		return;
	if (f->ops != NULL && f->ops->free != NULL)
		f->ops->free(f);
	free(f);
}
