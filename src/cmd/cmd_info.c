/*
 * cmd_info.c — walship info [--json]: the stanza and its archived WAL
 */
#include "archive/archive_list.h"
#include "archive/stanza.h"
#include "cmd/command.h"
#include "cmd/exit_codes.h"
#include "common/json.h"
#include "storage/storage_config.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define WS_INFO_JSON_MAX (1024 * 1024)

static const struct ws_cmd_option info_options[] = {
	{"json", NULL, "print one JSON object instead of text"},
	{NULL, NULL, NULL}
};

/* Stored bytes per original byte: 0.05 means 20:1. */
static double
ratio(const struct ws_wal_range *r, uint32_t segsize)
{
	uint64_t original = r->count * (uint64_t) segsize;

	return original == 0 ? 0.0 : (double) r->stored_bytes / (double) original;
}

static uint32_t
segsize_of(const struct ws_stanza_info *stanza, int db_id)
{
	for (int i = 0; i < stanza->ndbs; i++) {
		if (stanza->dbs[i].id == db_id)
			return stanza->dbs[i].wal_segment_size;
	}
	return 0;
}

static void
print_text(FILE *out, const struct ws_stanza_info *stanza, const struct ws_archive_summary *sum)
{
	const struct ws_stanza_db *db = ws_stanza_current(stanza);

	fprintf(out, "stanza: %s\n", stanza->name);
	fprintf(out, "    cipher: %s\n", stanza->encrypted ? "aes-256-gcm" : "none");
	fprintf(out, "    cluster: PostgreSQL %d, system identifier %" PRIu64 ", WAL segment size %" PRIu32 " MB (archive id %d)\n",
			db->pg_version, db->system_id, db->wal_segment_size / (1024 * 1024), db->id);
	if (sum->nranges == 0)
		fprintf(out, "    wal archive: empty\n");
	for (int i = 0; i < sum->nranges; i++) {
		const struct ws_wal_range *r = &sum->ranges[i];

		fprintf(out, "    wal archive %d, timeline %" PRIu32 ": ", r->db_id, r->tli);
		if (r->count > 0)
			fprintf(out, "%s ... %s, %" PRIu64 " segments, ", r->first, r->last, r->count);
		fprintf(out, "%.1f MB stored", (double) r->stored_bytes / (1024.0 * 1024.0));
		if (r->count > 0)
			fprintf(out, ", ratio %.3f", ratio(r, segsize_of(stanza, r->db_id)));
		if (r->history_files > 0)
			fprintf(out, ", history file");
		if (r->other_files > 0)
			fprintf(out, ", %" PRIu64 " .partial/.backup files", r->other_files);
		fputc('\n', out);
	}
}

static int
print_json(FILE *out, const struct ws_stanza_info *stanza, const struct ws_archive_summary *sum)
{
	struct ws_buf buf;
	struct ws_json j;
	char num[32];
	int rc;

	ws_buf_init(&buf, WS_INFO_JSON_MAX);
	ws_json_init(&j, &buf);
	ws_json_object_begin(&j, NULL);
	ws_json_string(&j, "stanza", stanza->name);
	ws_json_string(&j, "cipher", stanza->encrypted ? "aes-256-gcm" : "none");
	ws_json_array_begin(&j, "clusters");
	for (int i = 0; i < stanza->ndbs; i++) {
		const struct ws_stanza_db *db = &stanza->dbs[i];

		snprintf(num, sizeof(num), "%" PRIu64, db->system_id);
		ws_json_object_begin(&j, NULL);
		ws_json_int(&j, "id", db->id);
		ws_json_string(&j, "system_identifier", num);
		ws_json_int(&j, "pg_version", db->pg_version);
		ws_json_int(&j, "wal_segment_size", db->wal_segment_size);
		ws_json_object_end(&j);
	}
	ws_json_array_end(&j);
	ws_json_array_begin(&j, "archive");
	for (int i = 0; i < sum->nranges; i++) {
		const struct ws_wal_range *r = &sum->ranges[i];

		ws_json_object_begin(&j, NULL);
		ws_json_int(&j, "cluster_id", r->db_id);
		ws_json_int(&j, "timeline", r->tli);
		ws_json_string(&j, "min", r->count ? r->first : NULL);
		ws_json_string(&j, "max", r->count ? r->last : NULL);
		ws_json_int(&j, "segments", (int64_t) r->count);
		ws_json_int(&j, "stored_bytes", (int64_t) r->stored_bytes);
		snprintf(num, sizeof(num), "%.4f", ratio(r, segsize_of(stanza, r->db_id)));
		ws_json_string(&j, "ratio", num);
		ws_json_int(&j, "history_files", (int64_t) r->history_files);
		ws_json_int(&j, "other_files", (int64_t) r->other_files);
		ws_json_object_end(&j);
	}
	ws_json_array_end(&j);
	ws_json_object_end(&j);
	rc = ws_json_finish(&j);
	if (rc == WS_OK)
		fprintf(out, "%s\n", ws_buf_str(&buf));
	ws_buf_free(&buf);
	return rc;
}

static int
run_info(struct ws_cmd_ctx *ctx)
{
	struct ws_archive_summary *sum = NULL;
	struct ws_stanza_info stanza;
	struct ws_storage *repo = NULL;
	int rc;

	sum = malloc(sizeof(*sum));
	if (sum == NULL) {
		ws_error_set(&ctx->err, WS_ERR_NOMEM, "out of memory");
		return WS_EXIT_FAILURE;
	}
	rc = ws_storage_open_repo(ctx->cfg, &repo, &ctx->err);
	if (rc == WS_OK)
		rc = ws_stanza_load(repo, ws_config_str(ctx->cfg, WS_OPT_STANZA), &stanza, &ctx->err);
	if (rc == WS_OK)
		rc = ws_archive_summarize(repo, &stanza, sum, &ctx->err);
	if (rc == WS_OK && ws_cmd_flag(ctx, "json")) {
		rc = print_json(ctx->out, &stanza, sum);
		if (rc != WS_OK)
			ws_error_set(&ctx->err, rc, "could not format info as JSON");
	} else if (rc == WS_OK) {
		print_text(ctx->out, &stanza, sum);
	}
	ws_storage_free(repo);
	free(sum);
	return ws_exit_code_for_status(rc);
}

const struct ws_command ws_cmd_info = {
	.name = "info",
	.summary = "Show the stanza and the WAL archived per timeline",
	.args_usage = "",
	.min_args = 0,
	.max_args = 0,
	.uses_config = true,
	.options = info_options,
	.run = run_info,
};
