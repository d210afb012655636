/*
 * get.c — archive-get: fetch, verify and place a WAL file for recovery
 */
#include "archive/archive.h"

#include <string.h>

#include "common/fileio.h"
#include "common/str.h"
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

int
ws_archive_restore_object(struct ws_archive *a, const struct ws_stanza_db *db, const char *walname,
						  const struct ws_buf *obj, const char *dest, struct ws_error *err)
{
	bool segment = ws_wal_is_segment_name(walname) || ws_wal_is_partial_name(walname);
	size_t max = segment ? db->wal_segment_size : WS_SMALL_WAL_FILE_MAX;
	struct ws_object_header header;
	struct ws_buf data;
	int rc;

	ws_buf_init(&data, max);
	rc = ws_object_decode(obj->data, obj->len, a->stanza.encrypted ? a->key : NULL, max, &data,
						  &header, err);
	if (rc == WS_OK)
		rc = ws_archive_verify_wal(db, walname, &data, err);
	if (rc == WS_ERR_CORRUPT)
		ws_error_prefix(err, "WAL file \"%s\" in the repository failed verification", walname);
	if (rc == WS_OK)
		rc = ws_write_file_atomic(dest, data.data, data.len, 0600, err);
	ws_buf_free(&data);
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
