/*
 * push_remote.c — archive-push that talks to the repository while it
 * compresses (see push_remote.h)
 */
#include "archive/push_remote.h"

#include <pthread.h>
#include <string.h>

#include "common/fileio.h"
#include "wal/segment.h"

/* The repository's half: the stanza, and whether the object is there. */
struct repository_half {
	const struct ws_config *cfg;
	struct ws_log *log;
	const char *name;
	struct ws_archive *a;
	bool opened;
	bool exists;
	int rc;
	struct ws_error err;
};

static void *
open_and_ask(void *arg)
{
	struct repository_half *r = arg;
	struct ws_storage_info info;
	char objpath[512];

	r->rc = ws_archive_open(r->cfg, r->log, r->a, &r->err);
	if (r->rc != WS_OK)
		return NULL;
	r->opened = true;
	r->rc = ws_archive_object_path(r->a, ws_stanza_current(&r->a->stanza), r->name, objpath,
								   sizeof(objpath), &r->err);
	if (r->rc == WS_OK)
		r->rc = r->a->repo->ops->info(r->a->repo, objpath, &info, &r->err);
	r->exists = r->rc == WS_OK && info.exists;
	return NULL;
}

/* The plain path: open, then push. */
static int
push_in_turn(const struct ws_config *cfg, struct ws_log *log, const char *path,
			 struct ws_push_result *res, struct ws_error *err)
{
	struct ws_archive a;
	int rc;

	if ((rc = ws_archive_open(cfg, log, &a, err)) != WS_OK)
		return rc;
	rc = ws_archive_push(&a, path, res, err);
	ws_archive_close(&a);
	return rc;
}

/* What was read, for the checks once the stanza is known. */
struct local_half {
	bool segment;
	struct ws_segment_start start;  /* a segment: its first bytes and size */
	struct ws_buf data;             /* another WAL file: all of it */
};

/* Read and encode with the configured compression, before the stanza is known. */
static int
read_and_encode(const struct ws_config *cfg, const char *path, struct local_half *l,
				struct ws_buf *obj, struct ws_object_header *header, struct ws_error *err)
{
	const char *name = ws_archive_base_name(path);
	struct ws_object_params params = {
		.compress = (enum ws_compress_type) ws_config_int(cfg, WS_OPT_COMPRESS_TYPE),
		.level = (int) ws_config_int(cfg, WS_OPT_COMPRESS_LEVEL),
		.threads = (int) ws_config_int(cfg, WS_OPT_PROCESS_MAX),
	};
	int rc;

	l->segment = ws_wal_is_segment_name(name) || ws_wal_is_partial_name(name);
	if (l->segment)
		return ws_archive_encode_stream(path, WS_WAL_SEGSIZE_MAX, &params, obj, header, &l->start,
										err);
	rc = ws_read_file(path, WS_SMALL_WAL_FILE_MAX, &l->data, err);
	if (rc == WS_ERR_TOO_LARGE)
		rc = ws_error_set(err, WS_ERR_CORRUPT, "WAL file \"%s\" is larger than %d bytes", path,
						  WS_SMALL_WAL_FILE_MAX);
	if (rc == WS_OK)
		rc = ws_object_encode(l->data.data, l->data.len, &params, obj, header, err);
	return rc;
}

/* The checks archive-push makes, against the stanza read meanwhile. */
static int
verify(const struct ws_stanza_db *db, const char *path, const struct local_half *l,
	   struct ws_error *err)
{
	const char *name = ws_archive_base_name(path);
	int rc;

	rc = l->segment ? ws_archive_verify_segment_head(db, name, l->start.head, l->start.headlen,
													 l->start.total, err)
		: ws_archive_verify_wal(db, name, &l->data, err);
	if (rc == WS_ERR_CORRUPT)
		ws_error_prefix(err, "refusing to archive \"%s\"", path);
	return rc;
}

int
ws_archive_push_remote(const struct ws_config *cfg, struct ws_log *log, const char *path,
					   struct ws_push_result *res, struct ws_error *err)
{
	const char *name = ws_archive_base_name(path);
	struct ws_archive a;
	struct repository_half r = {.cfg = cfg, .log = log, .name = name, .a = &a};
	struct ws_object_header header;
	struct local_half local;
	struct ws_buf obj;
	pthread_t thread;
	int rc;

	memset(res, 0, sizeof(*res));
	if (strcmp(ws_config_str(cfg, WS_OPT_REPO_CIPHER_TYPE), "none") != 0 ||
		pthread_create(&thread, NULL, open_and_ask, &r) != 0)
		return push_in_turn(cfg, log, path, res, err);

	memset(&local, 0, sizeof(local));
	ws_buf_init(&local.data, WS_SMALL_WAL_FILE_MAX);
	/* as ws_archive_object_max allows, for the largest segment size */
	ws_buf_init(&obj, WS_WAL_SEGSIZE_MAX + WS_WAL_SEGSIZE_MAX / 8 + 1024 * 1024);
	rc = read_and_encode(cfg, path, &local, &obj, &header, err);
	pthread_join(thread, NULL);
	/* the repository's error first, as when opening comes first */
	if (r.rc != WS_OK) {
		*err = r.err;
		rc = r.rc;
	}
	if (rc == WS_OK)
		rc = verify(ws_stanza_current(&a.stanza), path, &local, err);
	if (rc == WS_OK) {
		res->original_size = (size_t) header.original_size;
		res->stored_size = obj.len;
		rc = r.exists ? ws_archive_store(&a, name, &obj, &header, &res->already_archived, err)
			: ws_archive_store_absent(&a, name, &obj, &header, &res->already_archived, err);
	}
	if (r.opened)
		ws_archive_close(&a);
	ws_buf_free(&local.data);
	ws_buf_free(&obj);
	return rc;
}
