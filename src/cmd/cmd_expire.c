/*
 * cmd_expire.c — walship expire [--dry-run]: apply the retention settings
 */
#include "backup/expire.h"
#include "cmd/command.h"
#include "cmd/exit_codes.h"

#include <inttypes.h>

static const struct ws_cmd_option expire_options[] = {
	{"dry-run", NULL, "List what would be removed and change nothing"},
	{NULL, NULL, NULL}
};

static void
print_backups(FILE *out, const char *prefix, const struct ws_expire *x)
{
	char why[256];

	for (size_t i = 0; i < x->nbackups; i++) {
		if (x->plan.backups[i] == WS_EXPIRE_KEEP)
			continue;
		ws_expire_reason_text(x->plan.backups[i], &x->policy, why, sizeof(why));
		fprintf(out, "%s: backup %s (%s)\n", prefix, x->backups[i].label, why);
	}
	for (size_t i = 0; i < x->npartial; i++) {
		if (x->plan.incomplete[i] == WS_EXPIRE_KEEP)
			continue;
		ws_expire_reason_text(x->plan.incomplete[i], &x->policy, why, sizeof(why));
		fprintf(out, "%s: backup %s (%s)\n", prefix, x->partial[i].label, why);
	}
}

static void
print_wal(FILE *out, const char *prefix, const struct ws_expire *x)
{
	for (size_t i = 0; i < x->nranges; i++) {
		const struct ws_expire_wal_range *r = &x->ranges[i];

		fprintf(out, "%s: WAL", prefix);
		if (r->segments > 0)
			fprintf(out, " %s to %s (%" PRIu64 " segments%s", r->first, r->last, r->segments,
					r->other_files > 0 ? ", " : ")");
		else
			fprintf(out, " of timeline %" PRIu32 " (", r->tli);
		if (r->other_files > 0)
			fprintf(out, "%" PRIu64 " .partial/.backup files)", r->other_files);
		if (x->stanza.ndbs > 1)
			fprintf(out, " of archive %d-%d", r->pg_version, r->db_id);
		fputc('\n', out);
	}
	switch (x->plan.wal_hold) {
	case WS_EXPIRE_WAL_NO_BACKUP:
		fprintf(out, "%s: no complete backup: the WAL archive is left alone\n", prefix);
		break;
	case WS_EXPIRE_WAL_RUNNING:
		fprintf(out, "%s: backup %s may still be running: the WAL archive is left alone\n",
				prefix, x->plan.running_label);
		break;
	case WS_EXPIRE_WAL_FREE:
		break;
	}
}

/* "expire: 1 backup, 0 incomplete, 6 WAL files, 123 bytes removed; 2 backups kept, WAL from ..." */
static void
print_summary(FILE *out, const char *prefix, bool dry_run, const struct ws_expire *x,
			  const struct ws_expire_result *res)
{
	size_t kept = x->nbackups - x->plan.nexpire;

	fprintf(out, "%s: %zu backup%s, %zu incomplete, %" PRIu64 " WAL file%s, %" PRIu64 " bytes%s; "
			"%zu backup%s kept", prefix, res->backups, res->backups == 1 ? "" : "s",
			res->incomplete, res->wal_files, res->wal_files == 1 ? "" : "s", res->bytes,
			dry_run ? "" : " removed", kept, kept == 1 ? "" : "s");
	for (int i = 0; i < x->plan.ncuts; i++)
		fprintf(out, "%s WAL from %s", i == 0 ? "," : " and", x->plan.cuts[i].first_kept);
	fputc('\n', out);
}

/* An I/O error reading or writing the repository is 7, as for archive-push. */
static int
exit_code(int status)
{
	return status == WS_ERR_IO ? WS_EXIT_STORAGE : ws_exit_code_for_status(status);
}

static int
run_expire(struct ws_cmd_ctx *ctx)
{
	bool dry_run = ws_cmd_flag(ctx, "dry-run");
	const char *prefix = dry_run ? "would expire" : "expire";
	struct ws_expire_result res;
	struct ws_expire x;
	int rc;

	rc = ws_expire_prepare(ctx->cfg, ctx->log, &x, &ctx->err);
	if (rc != WS_OK)
		return exit_code(rc);
	print_backups(ctx->out, prefix, &x);
	print_wal(ctx->out, prefix, &x);
	if (dry_run) {
		ws_expire_totals(&x, &res);
	} else {
		fflush(ctx->out);
		rc = ws_expire_execute(&x, &res, &ctx->err);
	}
	if (rc == WS_OK)
		print_summary(ctx->out, prefix, dry_run, &x, &res);
	ws_expire_free(&x);
	return exit_code(rc);
}

const struct ws_command ws_cmd_expire = {
	.name = "expire",
	.summary = "Remove backups and WAL beyond the retention settings",
	.args_usage = "",
	.min_args = 0,
	.max_args = 0,
	.uses_config = true,
	.options = expire_options,
	.run = run_expire,
};
