/*
 * cmd_verify.c — walship verify [--set LABEL] [--json]: re-read the
 * repository and report every object that fails its checks
 */
#include "backup/verify.h"
#include "cmd/command.h"
#include "cmd/exit_codes.h"
#include "common/json.h"

#include <inttypes.h>
#include <string.h>

#define WS_VERIFY_JSON_MAX ((size_t) 256 << 20)

static const struct ws_cmd_option verify_options[] = {
	{"set", "LABEL", "Check only this backup and the WAL it needs"},
	{"json", NULL, "Print one JSON object instead of text"},
	{NULL, NULL, NULL}
};

static const char *
kind_name(enum ws_verify_kind kind)
{
	static const char *const names[] = {"backup", "file", "wal-missing", "wal-bad", "wal"};

	return names[kind];
}

static const char *
plural(uint64_t n)
{
	return n == 1 ? "" : "s";
}

/* ---- text ---- */

static void
print_problem(FILE *out, const char *label, const struct ws_verify_problem *p)
{
	switch (p->kind) {
	case WS_VERIFY_BACKUP:
		fprintf(out, "backup %s: %s\n", label, p->reason);
		break;
	case WS_VERIFY_FILE:
		fprintf(out, "backup %s: file \"%s\": %s\n", label, p->name, p->reason);
		break;
	case WS_VERIFY_WAL_MISSING:
		fprintf(out, "backup %s needs WAL %s which is missing\n", label, p->name);
		break;
	case WS_VERIFY_WAL_BAD:
		fprintf(out, "backup %s needs WAL %s which failed verification\n", label, p->name);
		break;
	case WS_VERIFY_WAL:
		fprintf(out, "WAL file %s (archive id %d): %s\n", p->name, p->db_id, p->reason);
		break;
	}
}

static void
print_list(FILE *out, const char *label, const char *whose, const struct ws_verify_list *l)
{
	for (size_t i = 0; i < l->nitems; i++)
		print_problem(out, label, &l->items[i]);
	if (l->count > l->nitems)
		fprintf(out, "%s: %" PRIu64 " more problem%s not shown\n", whose, l->count - l->nitems,
				plural(l->count - l->nitems));
}

static void
print_gap(FILE *out, const struct ws_verify_gap *g)
{
	if (g->segments == 1)
		fprintf(out, "WAL gap in archive id %d, timeline %" PRIu32 ": segment %s is missing\n",
				g->db_id, g->tli, g->first);
	else
		fprintf(out, "WAL gap in archive id %d, timeline %" PRIu32 ": segments %s to %s are missing "
				"(%" PRIu64 ")\n", g->db_id, g->tli, g->first, g->last, g->segments);
}

static void
print_text(FILE *out, const struct ws_verify_report *rep)
{
	char whose[WS_BACKUP_LABEL_MAX + 16];
	uint64_t files = 0;

	for (size_t i = 0; i < rep->nincomplete; i++)
		fprintf(out, "backup %s has no manifest (interrupted, or still running): not checked\n",
				rep->incomplete[i]);
	for (size_t i = 0; i < rep->nbackups; i++) {
		const struct ws_verify_backup *b = &rep->backups[i];

		snprintf(whose, sizeof(whose), "backup %s", b->label);
		print_list(out, b->label, whose, &b->problems);
		files += b->files_checked;
	}
	print_list(out, "", "WAL archive", &rep->wal_problems);
	for (size_t i = 0; i < rep->ngaps; i++)
		print_gap(out, &rep->gaps[i]);
	if (rep->gaps_total > rep->ngaps)
		fprintf(out, "WAL archive: %" PRIu64 " more gaps not shown\n", rep->gaps_total - rep->ngaps);

	if (rep->set != NULL)
		fprintf(out, "verify: backup %s", rep->set);
	else
		fprintf(out, "verify: %zu backup%s", rep->nbackups, plural(rep->nbackups));
	fprintf(out, ", %" PRIu64 " file%s, %" PRIu64 " WAL segment%s checked: ", files, plural(files),
			rep->segments_checked, plural(rep->segments_checked));
	if (rep->problems == 0)
		fprintf(out, "ok\n");
	else
		fprintf(out, "%" PRIu64 " problem%s\n", rep->problems, plural(rep->problems));
}

/* ---- JSON ---- */

static void
json_list(struct ws_json *j, const struct ws_verify_list *l)
{
	ws_json_int(j, "problems_total", (int64_t) l->count);
	ws_json_array_begin(j, "problems");
	for (size_t i = 0; i < l->nitems; i++) {
		const struct ws_verify_problem *p = &l->items[i];

		ws_json_object_begin(j, NULL);
		ws_json_string(j, "type", kind_name(p->kind));
		if (p->kind != WS_VERIFY_BACKUP && p->kind != WS_VERIFY_FILE)
			ws_json_int(j, "cluster_id", p->db_id);
		ws_json_string(j, "name", p->name[0] != '\0' ? p->name : NULL);
		ws_json_string(j, "reason", p->reason);
		ws_json_object_end(j);
	}
	ws_json_array_end(j);
}

static void
json_archive(struct ws_json *j, const struct ws_verify_report *rep)
{
	ws_json_object_begin(j, "archive");
	ws_json_bool(j, "whole", rep->set == NULL);
	ws_json_int(j, "segments_checked", (int64_t) rep->segments_checked);
	ws_json_int(j, "other_files_checked", (int64_t) rep->other_wal_checked);
	json_list(j, &rep->wal_problems);
	ws_json_int(j, "gaps_total", (int64_t) rep->gaps_total);
	ws_json_array_begin(j, "gaps");
	for (size_t i = 0; i < rep->ngaps; i++) {
		const struct ws_verify_gap *g = &rep->gaps[i];

		ws_json_object_begin(j, NULL);
		ws_json_int(j, "cluster_id", g->db_id);
		ws_json_int(j, "timeline", g->tli);
		ws_json_string(j, "first", g->first);
		ws_json_string(j, "last", g->last);
		ws_json_int(j, "segments", (int64_t) g->segments);
		ws_json_object_end(j);
	}
	ws_json_array_end(j);
	ws_json_object_end(j);
}

static int
print_json(FILE *out, const struct ws_verify_report *rep)
{
	struct ws_buf buf;
	struct ws_json j;
	int rc;

	ws_buf_init(&buf, WS_VERIFY_JSON_MAX);
	ws_json_init(&j, &buf);
	ws_json_object_begin(&j, NULL);
	ws_json_bool(&j, "ok", rep->problems == 0);
	ws_json_int(&j, "problems", (int64_t) rep->problems);
	ws_json_string(&j, "set", rep->set);
	ws_json_array_begin(&j, "backups");
	for (size_t i = 0; i < rep->nbackups; i++) {
		const struct ws_verify_backup *b = &rep->backups[i];

		ws_json_object_begin(&j, NULL);
		ws_json_string(&j, "label", b->label);
		ws_json_string(&j, "wal_start", b->wal_start);
		ws_json_string(&j, "wal_stop", b->wal_stop);
		ws_json_int(&j, "files_checked", (int64_t) b->files_checked);
		ws_json_int(&j, "bytes_checked", (int64_t) b->bytes_checked);
		json_list(&j, &b->problems);
		ws_json_object_end(&j);
	}
	ws_json_array_end(&j);
	ws_json_array_begin(&j, "incomplete");
	for (size_t i = 0; i < rep->nincomplete; i++)
		ws_json_string(&j, NULL, rep->incomplete[i]);
	ws_json_array_end(&j);
	json_archive(&j, rep);
	ws_json_object_end(&j);
	rc = ws_json_finish(&j);
	if (rc == WS_OK)
		fprintf(out, "%s\n", ws_buf_str(&buf));
	ws_buf_free(&buf);
	return rc;
}

/* ---- the command ---- */

/* A repository that cannot be read is 7, as for archive-get; an unknown --set is 1. */
static int
exit_code(int status, bool opening)
{
	if (status == WS_ERR_IO || (opening && status == WS_ERR_NOT_FOUND))
		return WS_EXIT_STORAGE;
	return ws_exit_code_for_status(status);
}

static int
run_verify(struct ws_cmd_ctx *ctx)
{
	struct ws_verify_options opts;
	struct ws_verify_report rep;
	struct ws_archive a;
	int rc;

	memset(&rep, 0, sizeof(rep));
	rc = ws_archive_open(ctx->cfg, ctx->log, &a, &ctx->err);
	if (rc != WS_OK)
		return exit_code(rc, true);
	opts.cfg = ctx->cfg;
	opts.threads = (int) ws_config_int(ctx->cfg, WS_OPT_PROCESS_MAX);
	rc = ws_backup_verify_opts(&a, ws_cmd_opt(ctx, "set"), &opts, &rep, &ctx->err);
	if (rc == WS_OK && ws_cmd_flag(ctx, "json")) {
		rc = print_json(ctx->out, &rep);
		if (rc != WS_OK)
			ws_error_set(&ctx->err, rc, "could not format the verify report as JSON");
	} else if (rc == WS_OK) {
		print_text(ctx->out, &rep);
	}
	if (rc == WS_OK && rep.problems > 0) {
		ws_error_set(&ctx->err, WS_ERR_CORRUPT, "verify found %" PRIu64 " problem%s in the repository",
					 rep.problems, plural(rep.problems));
		rc = WS_ERR_CORRUPT;
	}
	ws_verify_report_free(&rep);
	ws_archive_close(&a);
	return exit_code(rc, false);
}

const struct ws_command ws_cmd_verify = {
	.name = "verify",
	.summary = "Check every backup file and WAL segment in the repository, and WAL gaps",
	.args_usage = "",
	.min_args = 0,
	.max_args = 0,
	.uses_config = true,
	.options = verify_options,
	.run = run_verify,
};
