/*
 * push_remote.c — archive-push that talks to the repository while it
 * compresses (see push_remote.h)
 */
#include "archive/push_remote.h"

#include <pthread.h>
#include <string.h>

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

int
ws_archive_push_remote(const struct ws_config *cfg, struct ws_log *log, const char *path,
					   struct ws_push_result *res, struct ws_error *err)
{
	const char *name = ws_archive_base_name(path);
	struct ws_archive a;
	struct repository_half r = {.cfg = cfg, .log = log, .name = name, .a = &a};
	struct ws_object_params params;
	struct ws_object_header header;
	struct ws_wal_read local;
	struct ws_buf obj;
	pthread_t thread;
	int rc;

	memset(res, 0, sizeof(*res));
	if (strcmp(ws_config_str(cfg, WS_OPT_REPO_CIPHER_TYPE), "none") != 0 ||
		pthread_create(&thread, NULL, open_and_ask, &r) != 0)
		return push_in_turn(cfg, log, path, res, err);

	ws_archive_params_from_config(cfg, &params);
	ws_wal_read_init(&local);
	/* as ws_archive_object_max allows, for the largest segment size */
	ws_buf_init(&obj, WS_WAL_SEGSIZE_MAX + WS_WAL_SEGSIZE_MAX / 8 + 1024 * 1024);
	rc = ws_archive_encode_wal(path, WS_WAL_SEGSIZE_MAX, &params, &local, &obj, &header, err);
	pthread_join(thread, NULL);
	/* the repository's error first, as when opening comes first */
	if (r.rc != WS_OK) {
		*err = r.err;
		rc = r.rc;
	}
	if (rc == WS_OK)
		rc = ws_archive_verify_read(ws_stanza_current(&a.stanza), path, &local, err);
	if (rc == WS_OK) {
		res->original_size = (size_t) header.original_size;
		res->stored_size = obj.len;
		rc = r.exists ? ws_archive_store(&a, name, &obj, &header, &res->already_archived, err)
			: ws_archive_store_absent(&a, name, &obj, &header, &res->already_archived, err);
	}
	if (r.opened)
		ws_archive_close(&a);
	ws_wal_read_free(&local);
	ws_buf_free(&obj);
	return rc;
}
