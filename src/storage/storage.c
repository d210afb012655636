/*
 * storage.c — what every driver shares: path rules, fault injection, and
 * whole-object put/get over the streaming ops (see storage.h)
 */
#include "storage/storage.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "common/str.h"

/* ws_storage_get grows its buffer by at least this much per read */
#define WS_STORAGE_GET_CHUNK (1024 * 1024)

/* room for a quoted path in messages; longer ones end in "..." */
#define WS_STORAGE_QUOTE_MAX 256

static const struct {
	const char *prefix;
	enum ws_fault_kind kind;
} fault_names[] = {
	{"write-enospc-after:", WS_FAULT_WRITE_ENOSPC},
	{"write-kill-after:", WS_FAULT_WRITE_KILL}
};

int
ws_storage_faults_parse(const char *text, struct ws_storage_faults *out,
						struct ws_error *err)
{
	char shown[WS_STORAGE_QUOTE_MAX];

	if (text == NULL || text[0] == '\0') {
		out->kind = WS_FAULT_NONE;
		out->after_bytes = 0;
		out->written = 0;
		return WS_OK;
	}

	for (size_t i = 0; i < sizeof(fault_names) / sizeof(fault_names[0]); i++) {
		uint64_t n;

		if (!ws_str_has_prefix(text, fault_names[i].prefix))
			continue;
		if (ws_parse_uint64(text + strlen(fault_names[i].prefix), &n) != WS_OK)
			break;
		out->kind = fault_names[i].kind;
		out->after_bytes = n;
		out->written = 0;
		return WS_OK;
	}

	return ws_error_set(err, WS_ERR_INVALID, "invalid WALSHIP_FAULT value \"%s\"",
						ws_str_quote(text, strlen(text), shown, sizeof(shown)));
}

int
ws_storage_fault_check(struct ws_storage *s, size_t len, struct ws_error *err)
{
	struct ws_storage_faults *f = &s->faults;
	bool over;

	/* written never exceeds after_bytes while a fault is armed */
	over = f->written > f->after_bytes || len > f->after_bytes - f->written;

	switch (f->kind) {
	case WS_FAULT_NONE:
		break;
	case WS_FAULT_WRITE_ENOSPC:
		if (over) {
			errno = ENOSPC;
			return ws_error_set(err, WS_ERR_IO,
								"No space left on device (injected fault)");
		}
		break;
	case WS_FAULT_WRITE_KILL:
		if (over) {
			raise(SIGKILL);
			/* not reached; SIGKILL cannot be caught */
			abort();
		}
		break;
	}

	f->written += len;
	return WS_OK;
}

int
ws_storage_path_check(const char *path, struct ws_error *err)
{
	char shown[WS_STORAGE_QUOTE_MAX];
	const char *why = NULL;
	size_t len;

	if (path == NULL)
		return ws_error_set(err, WS_ERR_INVALID, "invalid storage path: none given");
	len = strlen(path);
	if (len == 0)
		return ws_error_set(err, WS_ERR_INVALID, "invalid storage path \"\": empty");

	if (path[0] == '/')
		why = "must be relative to the repository";
	for (size_t i = 0; why == NULL && i < len; i++) {
		unsigned char c = (unsigned char) path[i];

		if (c < 0x20 || c == 0x7F)
			why = "contains a control character";
	}

	/* every component: not empty, not ".", not ".." */
	for (const char *p = path; why == NULL;) {
		const char *slash = strchr(p, '/');
		size_t clen = slash != NULL ? (size_t) (slash - p) : strlen(p);

		if (clen == 0)
			why = "contains an empty component";
		else if ((clen == 1 && p[0] == '.') ||
				 (clen == 2 && p[0] == '.' && p[1] == '.'))
			why = "contains a \".\" or \"..\" component";
		if (slash == NULL)
			break;
		p = slash + 1;
	}

	if (why != NULL)
		return ws_error_set(err, WS_ERR_INVALID, "invalid storage path \"%s\": %s",
							ws_str_quote(path, len, shown, sizeof(shown)), why);
	return WS_OK;
}

#define WS_STORAGE_PUT_CHUNK (256 * 1024)

int
ws_storage_put(struct ws_storage *s, const char *path, const void *data, size_t len,
			   const struct ws_storage_write_opts *opts, struct ws_error *err)
{
	struct ws_storage_write *w = NULL;
	int rc;

	const char *p = data;
	size_t done = 0;

	rc = s->ops->open_write(s, path, opts, &w, err);
	if (rc != WS_OK)
		return rc;
	/* in pieces, as a stream would come: a crash or a full disk mid-object
	 * then really leaves a partial temp file, which must never be visible */
	do {
		size_t n = len - done < WS_STORAGE_PUT_CHUNK ? len - done : WS_STORAGE_PUT_CHUNK;

		rc = s->ops->write(w, p + done, n, err);
		done += n;
	} while (rc == WS_OK && done < len);
	if (rc != WS_OK) {
		s->ops->abort(w);
		return rc;
	}
	return s->ops->commit(w, err);
}

int
ws_storage_get(struct ws_storage *s, const char *path, struct ws_buf *out,
			   struct ws_error *err)
{
	char shown[WS_STORAGE_QUOTE_MAX];
	struct ws_storage_read *r = NULL;
	size_t start_len = out->len;
	int rc;

	rc = s->ops->open_read(s, path, &r, err);
	if (rc != WS_OK)
		goto cleanup;

	/* read straight into the buffer, as much as it has room for */
	for (;;) {
		size_t room = out->max - out->len;
		size_t want = 1;
		size_t got = 0;
		char probe;
		char *dst = &probe;     /* at the cap: is there more than allowed? */

		if (room > 0) {
			rc = ws_buf_reserve(out, room < WS_STORAGE_GET_CHUNK ? room : WS_STORAGE_GET_CHUNK);
			if (rc != WS_OK) {
				ws_error_set(err, rc, "out of memory while reading \"%s\"",
							 ws_str_quote(path, strlen(path), shown, sizeof(shown)));
				goto cleanup;
			}
			want = out->cap - 1 - out->len;
			if (want > room)
				want = room;
			dst = out->data + out->len;
		}
		rc = s->ops->read(r, dst, want, &got, err);
		if (rc != WS_OK)
			goto cleanup;
		if (got == 0)
			break;
		if (room == 0) {
			rc = ws_error_set(err, WS_ERR_TOO_LARGE, "object \"%s\" is too large (limit %zu bytes)",
							  ws_str_quote(path, strlen(path), shown, sizeof(shown)),
							  out->max - start_len);
			goto cleanup;
		}
		out->len += got;
		out->data[out->len] = '\0';
	}

cleanup:
	if (r != NULL)
		s->ops->close_read(r);
	if (rc != WS_OK) {
		/* give the caller back the buffer as it was */
		out->len = start_len;
		if (out->data != NULL)
			out->data[start_len] = '\0';
	}
	return rc;
}

void
ws_storage_free(struct ws_storage *s)
{
	if (s != NULL)
		s->ops->free(s);
}
