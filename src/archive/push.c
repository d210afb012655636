/*
 * push.c — archive-push: validate a WAL file and store it once
 */
#include "archive/archive.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/fileio.h"
#include "common/str.h"
#include "wal/segment.h"


/* The object is there already: the same checksum is success. */
static int
compare_existing(struct ws_archive *a, const char *objpath, const char *name,
				 const struct ws_object_header *mine, struct ws_error *err)
{
	struct ws_object_header theirs;
	struct ws_buf existing;
	char want[65];
	char got[65];
	int rc;

	ws_buf_init(&existing, (size_t) mine->original_size + 1024 * 1024);
	rc = ws_storage_get(a->repo, objpath, &existing, err);
	if (rc == WS_OK)
		rc = ws_object_header_decode(existing.data, existing.len, &theirs, err);
	ws_buf_free(&existing);
	if (rc != WS_OK)
		return ws_error_prefix(err, "WAL file \"%s\" is already in the repository but unreadable", name);
	if (theirs.original_size == mine->original_size &&
		memcmp(theirs.sha256, mine->sha256, sizeof(mine->sha256)) == 0)
		return WS_OK;
	ws_sha256_hex(theirs.sha256, got);
	ws_sha256_hex(mine->sha256, want);
	return ws_error_set(err, WS_ERR_EXISTS,
						"WAL file \"%s\" is already in the repository with a different checksum (repository %s, local %s): refusing to overwrite",
						name, got, want);
}

int
ws_archive_read_wal(struct ws_archive *a, const char *path, struct ws_buf *data,
					struct ws_error *err)
{
	const struct ws_stanza_db *db = ws_stanza_current(&a->stanza);
	const char *name = ws_archive_base_name(path);
	size_t max;
	int rc;

	max = ws_wal_is_segment_name(name) || ws_wal_is_partial_name(name)
		? db->wal_segment_size : WS_SMALL_WAL_FILE_MAX;
	rc = ws_read_file(path, max, data, err);
	if (rc == WS_ERR_TOO_LARGE)
		ws_error_set(err, WS_ERR_CORRUPT, "WAL file \"%s\" is larger than %zu bytes", path, max);
	if (rc == WS_OK && (rc = ws_archive_verify_wal(db, name, data, err)) == WS_ERR_CORRUPT)
		ws_error_prefix(err, "refusing to archive \"%s\"", path);
	return rc;
}

/* A piece small enough to be hashed while it is still in the cache. */
#define READ_PIECE (1024 * 1024)

static int
encode_stream(const char *path, uint64_t max, const struct ws_object_params *params,
			  struct ws_buf *obj, struct ws_object_header *header,
			  struct ws_segment_start *start, struct ws_error *err)
{
	struct ws_object_encoder e;
	struct stat st;
	char *piece = NULL;
	int fd;
	int rc;

	memset(start, 0, sizeof(*start));
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return ws_error_set(err, errno == ENOENT ? WS_ERR_NOT_FOUND : WS_ERR_IO,
							"could not open file \"%s\": %m", path);
	if (fstat(fd, &st) != 0) {
		rc = ws_error_set(err, WS_ERR_IO, "could not stat file \"%s\": %m", path);
		close(fd);
		return rc;
	}
	if ((uint64_t) st.st_size > max) {
		close(fd);
		return ws_error_set(err, WS_ERR_CORRUPT, "WAL file \"%s\" is larger than %llu bytes", path,
							(unsigned long long) max);
	}
	rc = ws_object_encoder_begin(&e, (uint64_t) st.st_size, params, obj, header, err);
	if (rc == WS_OK && (piece = malloc(READ_PIECE)) == NULL)
		rc = ws_error_set(err, WS_ERR_NOMEM, "out of memory");
	while (rc == WS_OK) {
		ssize_t n = read(fd, piece, READ_PIECE);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			rc = ws_error_set(err, WS_ERR_IO, "could not read file \"%s\": %m", path);
		if (n <= 0)
			break;
		if (start->total + (uint64_t) n > (uint64_t) st.st_size) {
			rc = ws_error_set(err, WS_ERR_IO, "file \"%s\" grew while it was read", path);
			break;
		}
		ws_segment_start_note(start, piece, (size_t) n);
		rc = ws_object_encoder_update(&e, piece, (size_t) n, err);
	}
	if (rc == WS_OK && start->total != (uint64_t) st.st_size)
		rc = ws_error_set(err, WS_ERR_IO, "file \"%s\" shrank while it was read", path);
	rc = ws_object_encoder_end(&e, rc, err);
	free(piece);
	close(fd);
	return rc;
}

void
ws_wal_read_init(struct ws_wal_read *r)
{
	memset(r, 0, sizeof(*r));
	ws_buf_init(&r->data, WS_SMALL_WAL_FILE_MAX);
}

void
ws_wal_read_free(struct ws_wal_read *r)
{
	ws_buf_free(&r->data);
}

int
ws_archive_encode_wal(const char *path, uint64_t segment_max,
					  const struct ws_object_params *params, struct ws_wal_read *r,
					  struct ws_buf *obj, struct ws_object_header *header, struct ws_error *err)
{
	const char *name = ws_archive_base_name(path);
	int rc;

	r->segment = ws_wal_is_segment_name(name) || ws_wal_is_partial_name(name);
	if (r->segment)
		return encode_stream(path, segment_max, params, obj, header, &r->start, err);
	ws_buf_reset(&r->data);
	rc = ws_read_file(path, WS_SMALL_WAL_FILE_MAX, &r->data, err);
	if (rc == WS_ERR_TOO_LARGE)
		rc = ws_error_set(err, WS_ERR_CORRUPT, "WAL file \"%s\" is larger than %d bytes", path,
						  WS_SMALL_WAL_FILE_MAX);
	if (rc == WS_OK)
		rc = ws_object_encode(r->data.data, r->data.len, params, obj, header, err);
	return rc;
}

int
ws_archive_verify_read(const struct ws_stanza_db *db, const char *path,
					   const struct ws_wal_read *r, struct ws_error *err)
{
	const char *name = ws_archive_base_name(path);
	int rc;

	rc = r->segment ? ws_archive_verify_segment_head(db, name, r->start.head, r->start.headlen,
													 r->start.total, err)
		: ws_archive_verify_wal(db, name, &r->data, err);
	if (rc == WS_ERR_CORRUPT)
		ws_error_prefix(err, "refusing to archive \"%s\"", path);
	return rc;
}

int
ws_archive_encode_file(struct ws_archive *a, const char *path, struct ws_buf *obj,
					   struct ws_object_header *header, struct ws_error *err)
{
	const struct ws_stanza_db *db = ws_stanza_current(&a->stanza);
	struct ws_wal_read r;
	int rc;

	ws_wal_read_init(&r);
	rc = ws_archive_encode_wal(path, db->wal_segment_size, &a->params, &r, obj, header, err);
	if (rc == WS_OK)
		rc = ws_archive_verify_read(db, path, &r, err);
	ws_wal_read_free(&r);
	return rc;
}

static int
store(struct ws_archive *a, const char *name, const struct ws_buf *obj,
	  const struct ws_object_header *header, bool known_absent, bool *already, struct ws_error *err)
{
	struct ws_storage_write_opts opts = {.no_overwrite = true, .known_absent = known_absent};
	char objpath[512];
	int rc;

	*already = false;
	rc = ws_archive_object_path(a, ws_stanza_current(&a->stanza), name, objpath, sizeof(objpath), err);
	if (rc == WS_OK)
		rc = ws_storage_put(a->repo, objpath, obj->data, obj->len, &opts, err);
	if (rc == WS_ERR_EXISTS) {
		rc = compare_existing(a, objpath, name, header, err);
		*already = rc == WS_OK;
	}
	return rc;
}

int
ws_archive_store(struct ws_archive *a, const char *name, const struct ws_buf *obj,
				 const struct ws_object_header *header, bool *already, struct ws_error *err)
{
	return store(a, name, obj, header, false, already, err);
}

int
ws_archive_store_absent(struct ws_archive *a, const char *name, const struct ws_buf *obj,
						const struct ws_object_header *header, bool *already, struct ws_error *err)
{
	return store(a, name, obj, header, true, already, err);
}

int
ws_archive_push(struct ws_archive *a, const char *path, struct ws_push_result *res,
				struct ws_error *err)
{
	const struct ws_stanza_db *db = ws_stanza_current(&a->stanza);
	struct ws_object_header header;
	struct ws_buf obj;
	int rc;

	memset(res, 0, sizeof(*res));
	ws_buf_init(&obj, ws_archive_object_max(db));
	rc = ws_archive_encode_file(a, path, &obj, &header, err);
	if (rc == WS_OK) {
		res->original_size = (size_t) header.original_size;
		res->stored_size = obj.len;
		rc = ws_archive_store(a, ws_archive_base_name(path), &obj, &header,
							  &res->already_archived, err);
	}
	ws_buf_free(&obj);
	return rc;
}
