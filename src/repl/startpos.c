/*
 * startpos.c — where a receiver resumes streaming (startpos.h)
 */
#include "repl/startpos.h"

#include <stdlib.h>
#include <string.h>

#include "archive/archive_list.h"
#include "repl/walfile.h"

struct candidate {
	bool found;
	uint32_t tli;
	ws_segno segno;              /* the segment to stream first */
};

/* Later position wins; at the same one, the later timeline. */
static void
consider(struct candidate *best, uint32_t tli, ws_segno segno)
{
	if (!best->found || segno > best->segno || (segno == best->segno && tli > best->tli)) {
		best->found = true;
		best->tli = tli;
		best->segno = segno;
	}
}

/* a complete one waiting to be stored counts as stored */
static int
consider_file(const struct ws_walfile_found *f, void *arg, struct ws_error *err)
{
	(void) err;
	consider(arg, f->tli, f->partial ? f->segno : f->segno + 1);
	return WS_OK;
}

static int
from_repository(struct ws_archive *a, uint32_t segsize, struct candidate *best,
				struct ws_error *err)
{
	const struct ws_stanza_db *db = ws_stanza_current(&a->stanza);
	struct ws_archive_summary *sum = calloc(1, sizeof(*sum));
	int rc;

	if (sum == NULL)
		return ws_error_set(err, WS_ERR_NOMEM, "out of memory listing the archive");
	rc = ws_archive_summarize(a->repo, &a->stanza, sum, err);
	for (int i = 0; rc == WS_OK && i < sum->nranges; i++) {
		const struct ws_wal_range *r = &sum->ranges[i];
		struct ws_error ignored;
		uint32_t tli;
		ws_segno segno;

		if (r->db_id != db->id || r->count == 0)
			continue;
		if (ws_wal_segment_parse(r->last, segsize, &tli, &segno, &ignored) == WS_OK)
			consider(best, tli, segno + 1);
	}
	free(sum);
	return rc;
}

int
ws_stream_start_find(struct ws_archive *a, const char *dir, const struct ws_pg_slot_position *slot,
					 const struct ws_pg_identity *server, struct ws_stream_start *out,
					 struct ws_error *err)
{
	uint32_t segsize = ws_stanza_current(&a->stanza)->wal_segment_size;
	struct candidate stored = {0};
	struct candidate in_dir = {0};
	int rc;

	if ((rc = ws_walfile_scan(dir, segsize, consider_file, &in_dir, err)) != WS_OK)
		return rc;
	if ((rc = from_repository(a, segsize, &stored, err)) != WS_OK)
		return rc;
	if (in_dir.found && (!stored.found || in_dir.segno >= stored.segno)) {
		out->tli = in_dir.tli;
		out->lsn = ws_wal_segno_to_lsn(in_dir.segno, segsize);
		out->source = "stream directory";
	} else if (stored.found) {
		out->tli = stored.tli;
		out->lsn = ws_wal_segno_to_lsn(stored.segno, segsize);
		out->source = "repository";
	} else if (slot != NULL && slot->exists && slot->restart_lsn != WS_LSN_INVALID) {
		out->tli = slot->restart_tli != 0 ? slot->restart_tli : server->timeline;
		out->lsn = slot->restart_lsn;
		out->source = "slot";
	} else {
		out->tli = server->timeline;
		out->lsn = server->xlogpos;
		out->source = "server";
	}
	out->lsn -= ws_wal_segment_offset(out->lsn, segsize);
	return WS_OK;
}
