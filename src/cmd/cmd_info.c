/*
 * cmd_info.c — walship info [--json]: the stanza and its archived WAL
 */
#include "archive/archive_list.h"
#include "backup/catalog.h"
#include "archive/stanza.h"
#include "cmd/command.h"
#include "cmd/exit_codes.h"
#include "common/json.h"
#include "storage/storage_config.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "wal/lsn.h"

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

/* "2026-11-26 15:30:00+00" */
static void
format_time(int64_t t, char buf[32])
{
	time_t tt = (time_t) t;
	struct tm tm;

	if (gmtime_r(&tt, &tm) == NULL || strftime(buf, 32, "%Y-%m-%d %H:%M:%S+00", &tm) == 0)
		snprintf(buf, 32, "%lld", (long long) t);
}

static void
print_backups_text(FILE *out, const struct ws_backup_catalog *cat)
{
	if (cat->n == 0)
		fprintf(out, "    backups: none\n");
	for (size_t i = 0; i < cat->n; i++) {
		const struct ws_backup_manifest *b = &cat->backups[i];
		char start[32], stop[32], slsn[WS_LSN_STRLEN], elsn[WS_LSN_STRLEN];

		format_time(b->start_time, start);
		format_time(b->stop_time, stop);
		ws_lsn_format(b->start_lsn, slsn);
		ws_lsn_format(b->stop_lsn, elsn);
		fprintf(out, "    backup %s (%s%s): %s to %s, LSN %s to %s, timeline %" PRIu32 "\n",
				b->label, b->type, b->from_standby ? ", from a standby" : "", start, stop, slsn,
				elsn, b->timeline);
		fprintf(out, "        size %.1f MB, stored %.1f MB, WAL %s ... %s\n",
				(double) b->original_bytes / 1048576.0, (double) b->stored_bytes / 1048576.0,
				b->wal_start, b->wal_stop);
	}
	for (size_t i = 0; i < cat->nincomplete; i++)
		fprintf(out, "    backup %s: incomplete (interrupted; not restorable)\n", cat->incomplete[i]);
}

static void
print_backups_json(struct ws_json *j, const struct ws_backup_catalog *cat)
{
	ws_json_array_begin(j, "backups");
	for (size_t i = 0; i < cat->n; i++) {
		const struct ws_backup_manifest *b = &cat->backups[i];
		char t[32], lsn[WS_LSN_STRLEN];

		ws_json_object_begin(j, NULL);
		ws_json_string(j, "label", b->label);
		ws_json_string(j, "type", b->type);
		format_time(b->start_time, t);
		ws_json_string(j, "start_time", t);
		format_time(b->stop_time, t);
		ws_json_string(j, "stop_time", t);
		ws_lsn_format(b->start_lsn, lsn);
		ws_json_string(j, "start_lsn", lsn);
		ws_lsn_format(b->stop_lsn, lsn);
		ws_json_string(j, "stop_lsn", lsn);
		ws_json_int(j, "timeline", b->timeline);
		ws_json_int(j, "original_bytes", (int64_t) b->original_bytes);
		ws_json_int(j, "stored_bytes", (int64_t) b->stored_bytes);
		ws_json_string(j, "wal_start", b->wal_start);
		ws_json_string(j, "wal_stop", b->wal_stop);
		ws_json_bool(j, "from_standby", b->from_standby);
		ws_json_object_end(j);
	}
	ws_json_array_end(j);
	ws_json_array_begin(j, "incomplete_backups");
	for (size_t i = 0; i < cat->nincomplete; i++)
		ws_json_string(j, NULL, cat->incomplete[i]);
	ws_json_array_end(j);
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
print_json(FILE *out, const struct ws_stanza_info *stanza, const struct ws_archive_summary *sum,
		   const struct ws_backup_catalog *cat)
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
	print_backups_json(&j, cat);
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
	struct ws_backup_catalog cat;
	struct ws_archive a;
	struct ws_stanza_info stanza;
	struct ws_storage *repo = NULL;
	int rc;

	memset(&cat, 0, sizeof(cat));

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
	if (rc == WS_OK) {
		/* listing needs no key: only the repository and the stanza */
		memset(&a, 0, sizeof(a));
		a.repo = repo;
		a.stanza = stanza;
		rc = ws_backup_catalog_load(&a, &cat, &ctx->err);
	}
	if (rc == WS_OK && ws_cmd_flag(ctx, "json")) {
		rc = print_json(ctx->out, &stanza, sum, &cat);
		if (rc != WS_OK)
			ws_error_set(&ctx->err, rc, "could not format info as JSON");
	} else if (rc == WS_OK) {
		print_text(ctx->out, &stanza, sum);
		print_backups_text(ctx->out, &cat);
	}
	ws_backup_catalog_free(&cat);
	ws_storage_free(repo);
	free(sum);
	return ws_exit_code_for_status(rc);
}

const struct ws_command ws_cmd_info = {
	.name = "info",
	.summary = "Show the stanza, the WAL archived per timeline and the backups",
	.args_usage = "",
	.min_args = 0,
	.max_args = 0,
	.uses_config = true,
	.options = info_options,
	.run = run_info,
};
