/*
 * cmd_stanza.c — walship stanza-create and stanza-upgrade
 *
 * Both read the cluster's identity from the running server and record it
 * in the repository; every later push is checked against it.
 */
#include "archive/archive.h"
#include "archive/stanza.h"
#include "cmd/command.h"
#include "cmd/exit_codes.h"
#include "pg/conn.h"
#include "pg/server.h"
#include "storage/storage_config.h"

#include <inttypes.h>
#include <string.h>

static int
read_cluster(struct ws_cmd_ctx *ctx, struct ws_stanza_db *db)
{
	struct ws_pg_server_info info;
	struct ws_pg_conn *conn = NULL;
	int rc;

	rc = ws_cmd_connect(ctx, &conn, &ctx->err);
	if (rc == WS_OK)
		rc = ws_pg_server_info_read(conn, &info, &ctx->err);
	ws_pg_close(conn);
	if (rc != WS_OK)
		return rc;
	memset(db, 0, sizeof(*db));
	db->system_id = info.system_identifier;
	db->pg_version = info.version_num / 10000;
	db->wal_segment_size = info.wal_segment_size;
	return WS_OK;
}

static bool
same_cluster(const struct ws_stanza_db *a, const struct ws_stanza_db *b)
{
	return a->system_id == b->system_id && a->pg_version == b->pg_version &&
		a->wal_segment_size == b->wal_segment_size;
}

static int
run_stanza_create(struct ws_cmd_ctx *ctx)
{
	const char *name = ws_config_str(ctx->cfg, WS_OPT_STANZA);
	bool encrypt = strcmp(ws_config_str(ctx->cfg, WS_OPT_REPO_CIPHER_TYPE), "none") != 0;
	struct ws_stanza_info existing;
	struct ws_stanza_info info;
	struct ws_stanza_db db;
	struct ws_storage *repo = NULL;
	uint8_t key[WS_AES_KEY_LEN];
	int rc;

	rc = read_cluster(ctx, &db);
	if (rc == WS_OK)
		rc = ws_storage_open_repo(ctx->cfg, &repo, &ctx->err);
	if (rc != WS_OK)
		goto cleanup;
	rc = ws_stanza_load(repo, name, &existing, &ctx->err);
	if (rc == WS_OK) {
		if (same_cluster(ws_stanza_current(&existing), &db)) {
			ws_log_info(ctx->log, "stanza-create", "stanza \"%s\" already exists for this cluster", name);
			goto cleanup;
		}
		rc = ws_error_set(&ctx->err, WS_ERR_EXISTS,
						  "stanza \"%s\" already exists for another cluster (system identifier %" PRIu64 ", PostgreSQL %d): use stanza-upgrade after pg_upgrade, or another stanza name",
						  name, ws_stanza_current(&existing)->system_id,
						  ws_stanza_current(&existing)->pg_version);
		goto cleanup;
	}
	if (rc != WS_ERR_NOT_FOUND)
		goto cleanup;
	rc = ws_stanza_init(&info, name, &db, encrypt, &ctx->err);
	if (rc == WS_OK && encrypt) {
		rc = ws_archive_cipher_key(ctx->cfg, &info, key, &ctx->err);
		if (rc == WS_OK)
			ws_stanza_set_key(&info, key);
		memset(key, 0, sizeof(key));
	}
	if (rc == WS_OK)
		rc = ws_stanza_save(repo, &info, true, &ctx->err);
	if (rc == WS_OK)
		fprintf(ctx->out, "stanza \"%s\" created: PostgreSQL %d, system identifier %" PRIu64 ", %s\n",
				name, db.pg_version, db.system_id, encrypt ? "encrypted (aes-256-gcm)" : "not encrypted");

cleanup:
	ws_storage_free(repo);
	return ws_exit_code_for_status(rc);
}

static int
run_stanza_upgrade(struct ws_cmd_ctx *ctx)
{
	const char *name = ws_config_str(ctx->cfg, WS_OPT_STANZA);
	struct ws_stanza_info info;
	struct ws_stanza_db db;
	struct ws_storage *repo = NULL;
	int rc;

	rc = read_cluster(ctx, &db);
	if (rc == WS_OK)
		rc = ws_storage_open_repo(ctx->cfg, &repo, &ctx->err);
	if (rc == WS_OK)
		rc = ws_stanza_load(repo, name, &info, &ctx->err);
	if (rc != WS_OK)
		goto cleanup;
	if (same_cluster(ws_stanza_current(&info), &db)) {
		fprintf(ctx->out, "stanza \"%s\" is up to date\n", name);
		goto cleanup;
	}
	if (info.ndbs >= WS_STANZA_MAX_DBS) {
		rc = ws_error_set(&ctx->err, WS_ERR_TOO_LARGE, "stanza \"%s\" has too many upgrades", name);
		goto cleanup;
	}
	db.id = info.ndbs + 1;
	info.dbs[info.ndbs++] = db;
	rc = ws_stanza_save(repo, &info, false, &ctx->err);
	if (rc == WS_OK)
		fprintf(ctx->out, "stanza \"%s\" upgraded: now PostgreSQL %d, system identifier %" PRIu64 " (archive id %d)\n",
				name, db.pg_version, db.system_id, db.id);

cleanup:
	ws_storage_free(repo);
	return ws_exit_code_for_status(rc);
}

const struct ws_command ws_cmd_stanza_create = {
	.name = "stanza-create",
	.summary = "Record the cluster in the repository before archiving (idempotent)",
	.args_usage = "",
	.min_args = 0,
	.max_args = 0,
	.uses_config = true,
	.options = NULL,
	.run = run_stanza_create,
};

const struct ws_command ws_cmd_stanza_upgrade = {
	.name = "stanza-upgrade",
	.summary = "Record a new cluster identity after pg_upgrade",
	.args_usage = "",
	.min_args = 0,
	.max_args = 0,
	.uses_config = true,
	.options = NULL,
	.run = run_stanza_upgrade,
};
