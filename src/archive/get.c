/*
 * get.c — archive-get: fetch, verify and place a WAL file for recovery
 */
#include "archive/archive.h"

#include <string.h>

#include "common/fileio.h"
#include "common/str.h"
#include "wal/page.h"
#include "wal/segment.h"


/*
 * The newest cluster first: after stanza-upgrade, recovery of the old
 * cluster still finds its WAL under the older archive id.
 */
int
ws_archive_fetch_object(struct ws_archive *a, const char *walname, struct ws_buf *obj,
			 const struct ws_stanza_db **found, struct ws_error *err)
{
	char objpath[512];
	int rc = WS_ERR_NOT_FOUND;

	for (int i = a->stanza.ndbs - 1; i >= 0; i--) {
		const struct ws_stanza_db *db = &a->stanza.dbs[i];

		if ((rc = ws_archive_object_path(a, db, walname, objpath, sizeof(objpath), err)) != WS_OK)
			return rc;
		ws_buf_reset(obj);
		rc = ws_storage_get(a->repo, objpath, obj, err);
		if (rc != WS_ERR_NOT_FOUND) {
			*found = db;
			return rc;
		}
	}
	return ws_error_set(err, WS_ERR_NOT_FOUND, "WAL file \"%s\" is not in the repository", walname);
}

/* Decoded segment bytes go straight to the temp file; the start is kept. */
struct segment_sink {
	struct ws_atomic_file file;
	struct ws_segment_start start;
};

static int
to_segment_file(const void *data, size_t len, void *arg, struct ws_error *err)
{
	struct segment_sink *s = arg;

	ws_segment_start_note(&s->start, data, len);
	return ws_atomic_write(&s->file, data, len, err);
}

/*
 * A segment is decoded into its destination piece by piece, without a
 * 16 MB buffer, and becomes visible only after size, SHA-256 and page
 * header all checked out.
 */
static int
restore_segment(struct ws_archive *a, const struct ws_stanza_db *db, const char *walname,
				const struct ws_buf *obj, const char *dest, struct ws_error *err)
{
	struct ws_object_header header;
	struct segment_sink sink;
	int rc;

	memset(&sink, 0, sizeof(sink));
	if ((rc = ws_atomic_open(dest, 0600, &sink.file, err)) != WS_OK)
		return rc;
	rc = ws_object_decode_to(obj->data, obj->len, a->stanza.encrypted ? a->key : NULL,
							 db->wal_segment_size, to_segment_file, &sink, &header, err);
	if (rc == WS_OK)
		rc = ws_archive_verify_segment_head(db, walname, sink.start.head, sink.start.headlen,
											sink.start.total, err);
	if (rc != WS_OK) {
		ws_atomic_abort(&sink.file);
		return rc;
	}
	return ws_atomic_commit(&sink.file, err);
}

int
ws_archive_restore_object(struct ws_archive *a, const struct ws_stanza_db *db, const char *walname,
						  const struct ws_buf *obj, const char *dest, struct ws_error *err)
{
	struct ws_object_header header;
	struct ws_buf data;
	int rc;

	if (ws_wal_is_segment_name(walname) || ws_wal_is_partial_name(walname))
		rc = restore_segment(a, db, walname, obj, dest, err);
	else {
		/* history and .backup files are small and parsed whole */
		ws_buf_init(&data, WS_SMALL_WAL_FILE_MAX);
		rc = ws_object_decode(obj->data, obj->len, a->stanza.encrypted ? a->key : NULL,
							  WS_SMALL_WAL_FILE_MAX, &data, &header, err);
		if (rc == WS_OK)
			rc = ws_archive_verify_wal(db, walname, &data, err);
		if (rc == WS_OK)
			rc = ws_write_file_atomic(dest, data.data, data.len, 0600, err);
		ws_buf_free(&data);
	}
	if (rc == WS_ERR_CORRUPT)
		ws_error_prefix(err, "WAL file \"%s\" in the repository failed verification", walname);
	return rc;
}

int
ws_archive_get(struct ws_archive *a, const char *walname, const char *dest,
			   struct ws_error *err)
{
	const struct ws_stanza_db *db = NULL;
	size_t max = 0;
	struct ws_buf obj;
	int rc;

	for (int i = 0; i < a->stanza.ndbs; i++) {
		if (ws_archive_object_max(&a->stanza.dbs[i]) > max)
			max = ws_archive_object_max(&a->stanza.dbs[i]);
	}
	ws_buf_init(&obj, max);
	rc = ws_archive_fetch_object(a, walname, &obj, &db, err);
	if (rc == WS_OK)
		rc = ws_archive_restore_object(a, db, walname, &obj, dest, err);
	ws_buf_free(&obj);
	return rc;
}
