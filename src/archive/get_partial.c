/*
 * get_partial.c — archive-get --partial (get_partial.h)
 */
#include "archive/get_partial.h"

#include <errno.h>
#include <limits.h>
#include <string.h>

#include "common/fileio.h"
#include "common/str.h"
#include "wal/segment.h"

int
ws_archive_stream_dir(const struct ws_config *cfg, char *buf, size_t size, struct ws_error *err)
{
	bool posix = strcmp(ws_config_str(cfg, WS_OPT_REPO_TYPE), "posix") == 0;
	const char *root = ws_config_str(cfg, posix ? WS_OPT_REPO_PATH : WS_OPT_SPOOL_PATH);

	if (ws_snprintf(buf, size, "%s/%s/stream", root, ws_config_str(cfg, WS_OPT_STANZA)) != WS_OK)
		return ws_error_set(err, WS_ERR_TOO_LARGE, "stream directory path is too long");
	return WS_OK;
}

/* The receiver's segment in progress, checked as archive-push would check it. */
static int
from_stream_dir(struct ws_archive *a, const char *stream_dir, const char *walname,
				const char *dest, struct ws_error *err)
{
	const struct ws_stanza_db *db = ws_stanza_current(&a->stanza);
	char partial[WS_WAL_FNAME_BUFLEN + 8];
	char path[PATH_MAX];
	struct ws_buf data;
	int rc;

	snprintf(partial, sizeof(partial), "%s.partial", walname);
	if (ws_snprintf(path, sizeof(path), "%s/%s", stream_dir, partial) != WS_OK)
		return ws_error_set(err, WS_ERR_TOO_LARGE, "stream directory path is too long");
	ws_buf_init(&data, db->wal_segment_size);
	rc = ws_read_file(path, db->wal_segment_size, &data, err);
	if (rc == WS_OK)
		rc = ws_archive_verify_wal(db, partial, &data, err);
	if (rc == WS_OK)
		rc = ws_write_file_atomic(dest, data.data, data.len, 0600, err);
	ws_buf_free(&data);
	return rc;
}

int
ws_archive_get_partial(struct ws_archive *a, const char *stream_dir, const char *walname,
					   const char *dest, struct ws_error *err)
{
	char partial[WS_WAL_FNAME_BUFLEN + 8];
	int rc;

	if (!ws_wal_is_segment_name(walname))
		return ws_error_set(err, WS_ERR_NOT_FOUND, "WAL file \"%s\" is not in the repository", walname);
	rc = from_stream_dir(a, stream_dir, walname, dest, err);
	if (rc != WS_ERR_NOT_FOUND)
		return rc;
	snprintf(partial, sizeof(partial), "%s.partial", walname);
	rc = ws_archive_get(a, partial, dest, err);
	if (rc == WS_ERR_NOT_FOUND)
		ws_error_set(err, WS_ERR_NOT_FOUND, "WAL file \"%s\" is not in the repository, not even partially",
					 walname);
	return rc;
}
