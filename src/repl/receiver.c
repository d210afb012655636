/*
 * receiver.c — stream WAL from a server into the repository (receiver.h)
 */
#include "repl/receiver.h"

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "archive/get_partial.h"
#include "archive/object.h"
#include "common/clock.h"
#include "common/fileio.h"
#include "common/str.h"
#include "pg/repl_msg.h"
#include "pg/replication.h"
#include "repl/finisher.h"
#include "repl/startpos.h"
#include "repl/walfile.h"
#include "wal/timeline.h"

#define BACKOFF_MAX_S 30
#define FINISHER_DEPTH 8             /* completed segments waiting to be stored */

struct receiver {
	struct ws_archive *a;
	struct ws_log *log;
	const struct ws_receiver_options *o;
	const struct ws_stanza_db *db;
	struct ws_pg_conn *conn;
	struct ws_walfile file;
	struct ws_finisher *fin;     /* stores completed segments in the background */
	uint32_t tli;
	ws_lsn received;             /* end of what was written */
	ws_lsn flushed;              /* end of what was fsynced: the flush reported */
	ws_lsn synced_before;        /* all before it is on disk: handed over synced, or stored */
	long next_status_ms;
	bool reply_now;
	bool streamed;               /* this session received WAL */
	bool done;                   /* endpos reached */
};

static bool
stopping(const struct receiver *r)
{
	return r->o->stop != NULL && atomic_load(r->o->stop) != 0;
}

int
ws_receive_dir(const struct ws_config *cfg, char *buf, size_t size, struct ws_error *err)
{
	int rc;

	if ((rc = ws_archive_stream_dir(cfg, buf, size, err)) != WS_OK)
		return rc;
	return ws_mkdir_p(buf, 0750, err);
}

/* ---- storing what was received ---- */

/*
 * What storing needs: each finisher thread has its own repository
 * connection, and keeps its buffers from one segment to the next (fresh
 * 16 MB buffers would cost page faults and zeroing every time).
 */
struct store_ctx {
	struct ws_archive *a;
	const struct ws_stanza_db *db;
	struct ws_log *log;
	struct ws_buf data;
	struct ws_buf obj;
};

static void
store_ctx_init(struct store_ctx *c, struct ws_archive *a, const struct ws_stanza_db *db,
			   struct ws_log *log)
{
	c->a = a;
	c->db = db;
	c->log = log;
	ws_buf_init(&c->data, WS_WAL_SEGSIZE_MAX);
	ws_buf_init(&c->obj, ws_archive_object_max(db));
}

static void
store_ctx_free(struct store_ctx *c)
{
	ws_buf_free(&c->data);
	ws_buf_free(&c->obj);
}

static int
store_object(struct store_ctx *c, const char *name, const struct ws_buf *data,
			 struct ws_error *err)
{
	struct ws_object_header header;
	bool already;
	int rc;

	ws_buf_reset(&c->obj);
	rc = ws_archive_verify_wal(c->db, name, data, err);
	if (rc == WS_OK)
		rc = ws_object_encode(data->data, data->len, &c->a->params, &c->obj, &header, err);
	if (rc == WS_OK)
		rc = ws_archive_store(c->a, name, &c->obj, &header, &already, err);
	if (rc == WS_OK)
		ws_log_debug(c->log, "receive", "stored %s%s", name, already ? " (already archived)" : "");
	return rc;
}

/* Store the file at path under its own name, then remove it. */
static int
store_path(struct store_ctx *c, const char *path, struct ws_error *err)
{
	int rc;

	ws_buf_reset(&c->data);
	rc = ws_read_file(path, c->db->wal_segment_size, &c->data, err);
	if (rc == WS_OK)
		rc = store_object(c, ws_archive_base_name(path), &c->data, err);
	if (rc == WS_OK && unlink(path) != 0)
		rc = ws_error_set(err, WS_ERR_IO, "could not remove file \"%s\": %m", path);
	if (rc == WS_OK)
		rc = ws_fsync_parent_dir(path, err);
	if (rc != WS_OK)
		ws_error_prefix(err, "could not store \"%s\"", path);
	return rc;
}

/* The receive thread's own store, used only while the finisher is idle. */
static int
store_file(struct receiver *r, const char *path, struct ws_error *err)
{
	struct store_ctx c;
	int rc;

	store_ctx_init(&c, r->a, r->db, r->log);
	rc = store_path(&c, path, err);
	store_ctx_free(&c);
	return rc;
}

static int
store_history(struct receiver *r, uint32_t tli, struct ws_error *err)
{
	char name[WS_WAL_FNAME_BUFLEN];
	struct ws_buf content;
	int rc;

	if (tli <= 1)
		return WS_OK;
	if ((rc = ws_wal_history_name(tli, name, err)) != WS_OK)
		return rc;
	ws_buf_init(&content, WS_TLI_HISTORY_MAX_BYTES);
	rc = ws_pg_timeline_history(r->conn, tli, &content, err);
	if (rc == WS_OK) {
		struct store_ctx c;

		store_ctx_init(&c, r->a, r->db, r->log);
		rc = store_object(&c, name, &content, err);
		store_ctx_free(&c);
	}
	ws_buf_free(&content);
	return rc;
}

struct leftovers {
	struct receiver *r;
	const char *dir;
	uint32_t tli;                /* where streaming resumes */
	ws_segno segno;
};

static int
store_leftover(const struct ws_walfile_found *f, void *arg, struct ws_error *err)
{
	struct leftovers *l = arg;
	char path[PATH_MAX];

	if (f->partial && f->segno == l->segno && f->tli == l->tli)
		return WS_OK;           /* the one streaming resumes in */
	if (f->partial && (f->segno > l->segno || (f->segno == l->segno && f->tli > l->tli)))
		return WS_OK;           /* ahead of the start: leave it to the operator */
	if (ws_snprintf(path, sizeof(path), "%s/%s", l->dir, f->file) != WS_OK)
		return ws_error_set(err, WS_ERR_TOO_LARGE, "stream directory path is too long");
	ws_log_info(l->r->log, "receive", "storing %s left by an earlier run", f->file);
	return store_file(l->r, path, err);
}

/*
 * Leftovers of an earlier run: complete segments not yet stored (a crash
 * after the rename), and partial files older than where streaming resumes
 * (the end of an earlier timeline), stored as "<name>.partial".
 */
static int
store_leftovers(struct receiver *r, const char *dir, uint32_t tli, ws_segno segno,
				struct ws_error *err)
{
	struct leftovers l = {r, dir, tli, segno};

	return ws_walfile_scan(dir, r->db->wal_segment_size, store_leftover, &l, err);
}

/* ---- the stream ---- */

static int
send_status(struct receiver *r, struct ws_error *err)
{
	uint8_t msg[WS_REPL_STATUS_LEN];

	ws_repl_status_encode(r->received, r->flushed, WS_LSN_INVALID, ws_repl_now(), false, msg);
	r->next_status_ms = ws_clock_ms() + r->o->status_interval_ms;
	r->reply_now = false;
	return ws_pg_stream_send(r->conn, msg, sizeof(msg), err);
}

/*
 * Sync the segment in progress and work out what is on disk without a gap:
 * the segments handed over synced or already synced by the finisher, then
 * the synced part of the segment in progress. Only that is reported as
 * flushed.
 */
static int
flush(struct receiver *r, struct ws_error *err)
{
	ws_lsn durable = r->synced_before;
	ws_lsn finished = ws_finisher_durable(r->fin);
	int rc;

	if (r->flushed >= r->received)
		return WS_OK;
	if ((rc = ws_walfile_sync(&r->file, err)) != WS_OK)
		return rc;
	if (finished > durable)
		durable = finished;
	if (ws_walfile_is_open(&r->file)) {
		ws_lsn start = ws_wal_segno_to_lsn(r->file.segno, r->file.segsize);

		if (durable >= start)
			durable = start + r->file.synced;
	}
	if (durable > r->received)
		durable = r->received;
	if (durable > r->flushed)
		r->flushed = durable;
	return WS_OK;
}

/*
 * Hand the complete segment to the finisher, which syncs, renames and
 * stores it. A synchronous receiver syncs it first itself (most of it is
 * synced already), so that its end may be reported at once.
 */
static int
complete_segment(struct receiver *r, struct ws_error *err)
{
	struct ws_walfile_job job;
	bool all_synced_before = r->synced_before >= ws_wal_segno_to_lsn(r->file.segno, r->file.segsize);
	int rc;

	if (r->o->synchronous && (rc = ws_walfile_sync(&r->file, err)) != WS_OK)
		return rc;
	ws_walfile_detach(&r->file, &job);
	if (job.synced && all_synced_before)
		r->synced_before = job.end;
	return ws_finisher_submit(r->fin, &job, err);
}

static int
write_wal(struct receiver *r, const struct ws_repl_msg *m, struct ws_error *err)
{
	uint32_t segsize = r->db->wal_segment_size;
	const uint8_t *data = m->data;
	size_t len = m->len;
	ws_lsn pos = m->start;
	int rc;

	if (m->start != r->received) {
		char want[WS_LSN_STRLEN], got[WS_LSN_STRLEN];

		ws_lsn_format(r->received, want);
		ws_lsn_format(m->start, got);
		return ws_error_set(err, WS_ERR_CORRUPT, "the server sent WAL at %s, expected %s", got, want);
	}
	while (len > 0) {
		ws_segno segno = ws_wal_lsn_to_segno(pos, segsize);
		uint32_t offset = ws_wal_segment_offset(pos, segsize);
		size_t n = segsize - offset < len ? segsize - offset : len;

		if (!ws_walfile_is_open(&r->file) &&
			(rc = ws_walfile_open(&r->file, r->tli, segno, err)) != WS_OK)
			return rc;
		if ((rc = ws_walfile_write(&r->file, offset, data, n, err)) != WS_OK)
			return rc;
		pos += n;
		data += n;
		len -= n;
		r->received = pos;
		if (r->file.written == segsize && (rc = complete_segment(r, err)) != WS_OK)
			return rc;
	}
	r->streamed = true;
	return WS_OK;
}

static int
handle_message(struct receiver *r, const uint8_t *buf, size_t len, struct ws_error *err)
{
	struct ws_repl_msg m;
	int rc;

	if ((rc = ws_repl_msg_parse(buf, len, &m, err)) != WS_OK)
		return rc;
	if (m.type == WS_REPL_KEEPALIVE) {
		r->reply_now = r->reply_now || m.reply_requested;
		return WS_OK;
	}
	return write_wal(r, &m, err);
}

/* Nothing more has arrived: make durable and report what the mode asks. */
static int
on_idle(struct receiver *r, struct ws_error *err)
{
	bool at_end = r->o->endpos != WS_LSN_INVALID && r->received >= r->o->endpos;
	bool due = ws_clock_ms() >= r->next_status_ms;
	bool synced_more = false;
	int rc;

	/*
	 * A server asking for a reply may be waiting for our flush position,
	 * as a primary shutting down does: answer with everything fsynced.
	 */
	if (r->o->synchronous || at_end || due || r->reply_now) {
		synced_more = r->flushed < r->received;
		if ((rc = flush(r, err)) != WS_OK)
			return rc;
	}
	if (synced_more || due || r->reply_now) {
		if ((rc = send_status(r, err)) != WS_OK)
			return rc;
	}
	r->done = at_end;
	return WS_OK;
}

/*
 * Stream one timeline until the server ends it (*ended), endpos is
 * reached or a stop is asked for.
 */
static int
stream_timeline(struct receiver *r, bool *ended, struct ws_error *err)
{
	int rc = WS_OK;

	*ended = false;
	r->next_status_ms = ws_clock_ms();       /* report our position at once */
	while (rc == WS_OK && !r->done && !stopping(r)) {
		/* at most a second: a stop asked by another thread is seen soon */
		long wait = r->next_status_ms - ws_clock_ms();

		if (wait > 1000)
			wait = 1000;
		enum ws_pg_stream_event ev;
		uint8_t *msg;
		size_t len;

		rc = ws_pg_stream_next(r->conn, wait > 0 ? (int) wait : 0, &ev, &msg, &len, err);
		if (rc != WS_OK)
			break;
		if (ev == WS_PG_STREAM_END) {
			*ended = true;
			break;
		}
		if (ev == WS_PG_STREAM_MESSAGE) {
			rc = handle_message(r, msg, len, err);
			ws_pg_stream_free(msg);
			/* drain what has arrived before syncing: one fsync per batch */
			while (rc == WS_OK && !r->done &&
				   (rc = ws_pg_stream_next(r->conn, 0, &ev, &msg, &len, err)) == WS_OK &&
				   ev == WS_PG_STREAM_MESSAGE) {
				rc = handle_message(r, msg, len, err);
				ws_pg_stream_free(msg);
			}
			if (rc == WS_OK && ev == WS_PG_STREAM_END) {
				*ended = true;
				break;
			}
		}
		if (rc == WS_OK)
			rc = on_idle(r, err);
	}
	if (rc == WS_OK && !*ended) {
		/* endpos or a stop: make it all durable and say so before leaving */
		rc = ws_finisher_drain(r->fin, err);
		if (rc == WS_OK)
			rc = flush(r, err);
		if (rc == WS_OK)
			rc = send_status(r, err);
	}
	return rc;
}

/* The server's history tells which timeline holds start. */
static int
timeline_of(struct receiver *r, uint32_t server_tli, ws_lsn start, uint32_t *tli,
			struct ws_error *err)
{
	struct ws_tli_history hist;
	struct ws_buf content;
	uint32_t found;
	int rc;

	ws_buf_init(&content, WS_TLI_HISTORY_MAX_BYTES);
	rc = ws_pg_timeline_history(r->conn, server_tli, &content, err);
	if (rc == WS_OK)
		rc = ws_tli_history_parse((const char *) content.data, content.len, server_tli, &hist, err);
	ws_buf_free(&content);
	if (rc != WS_OK)
		return rc;
	found = ws_tli_history_tli_of(&hist, start);
	ws_tli_history_free(&hist);
	if (found != 0)
		*tli = found;
	return WS_OK;
}

static int
check_server(struct receiver *r, const struct ws_pg_identity *id, struct ws_error *err)
{
	int major = ws_pg_server_version_num(r->conn) / 10000;

	if (id->system_id != r->db->system_id)
		return ws_error_set(err, WS_ERR_INVALID,
							"server at %s has system identifier %llu, but stanza \"%s\" is for %llu: refusing to stream another cluster's WAL",
							ws_pg_target(r->conn), (unsigned long long) id->system_id,
							r->a->stanza.name, (unsigned long long) r->db->system_id);
	if (major != r->db->pg_version)
		return ws_error_set(err, WS_ERR_INVALID,
							"server at %s runs PostgreSQL %d, but stanza \"%s\" is for PostgreSQL %d",
							ws_pg_target(r->conn), major, r->a->stanza.name, r->db->pg_version);
	return WS_OK;
}

static int
prepare_slot(struct receiver *r, struct ws_pg_slot_position *slot, struct ws_error *err)
{
	const char *name = r->o->slot;
	int rc;

	if ((rc = ws_pg_read_slot(r->conn, name, slot, err)) != WS_OK || slot->exists)
		return rc;
	if (!r->o->create_slot)
		return ws_error_set(err, WS_ERR_NOT_FOUND,
							"replication slot \"%s\" does not exist on %s: create it with \"walship slot create %s\" or use --create-slot",
							name, ws_pg_target(r->conn), name);
	rc = ws_pg_create_slot(r->conn, name, err);
	if (rc == WS_ERR_EXISTS)
		rc = WS_OK;             /* created meanwhile by someone else */
	if (rc == WS_OK) {
		ws_log_info(r->log, "receive", "created replication slot \"%s\"", name);
		rc = ws_pg_read_slot(r->conn, name, slot, err);
	}
	return rc;
}

/* One connection: stream until an error, endpos, a stop or the server's end. */
static int
session(struct receiver *r, const char *dir, struct ws_error *err)
{
	const char *slot_name = r->o->slot != NULL && r->o->slot[0] != '\0' ? r->o->slot : NULL;
	struct ws_pg_slot_position slot = {0};
	struct ws_pg_identity id;
	struct ws_stream_start start;
	char pos[WS_LSN_STRLEN];
	int rc;

	/* the repository is the finisher's while it stores: let it finish first */
	rc = ws_finisher_drain(r->fin, err);
	if (rc == WS_OK)
		rc = ws_pg_connect_replication(r->o->conninfo, r->o->connect_timeout, &r->conn, err);
	if (rc == WS_OK)
		rc = ws_pg_identify_system(r->conn, &id, err);
	if (rc == WS_OK)
		rc = check_server(r, &id, err);
	if (rc == WS_OK && slot_name != NULL)
		rc = prepare_slot(r, &slot, err);
	if (rc == WS_OK)
		rc = ws_stream_start_find(r->a, dir, slot_name != NULL ? &slot : NULL, &id, &start, err);
	if (rc == WS_OK && start.tli != id.timeline)
		rc = timeline_of(r, id.timeline, start.lsn, &start.tli, err);
	if (rc == WS_OK)
		rc = store_leftovers(r, dir, start.tli, ws_wal_lsn_to_segno(start.lsn, r->db->wal_segment_size), err);
	ws_lsn_format(start.lsn, pos);
	if (rc == WS_OK)
		ws_log_info(r->log, "receive", "streaming from %s at %s on timeline %u (resuming from the %s)",
					ws_pg_target(r->conn), pos, start.tli, start.source);
	r->tli = start.tli;
	r->received = start.lsn;
	r->flushed = start.lsn;
	r->synced_before = start.lsn;
	while (rc == WS_OK) {
		bool ended;
		bool has_next;
		uint32_t next_tli;
		ws_lsn next_start;

		rc = ws_finisher_drain(r->fin, err);
		if (rc == WS_OK)
			rc = store_history(r, r->tli, err);
		if (rc == WS_OK)
			rc = ws_pg_start_replication(r->conn, slot_name, r->received, r->tli, err);
		if (rc == WS_OK)
			rc = stream_timeline(r, &ended, err);
		if (rc != WS_OK)
			break;
		rc = ws_pg_stream_finish(r->conn, &has_next, &next_tli, &next_start, err);
		if (rc != WS_OK || r->done || stopping(r))
			break;
		if (!has_next) {
			rc = ws_error_set(err, WS_ERR_CONNECT, "server at %s ended streaming", ws_pg_target(r->conn));
			break;
		}
		/* the old timeline's last segment stays what it is: a .partial */
		if (rc == WS_OK)
			rc = ws_finisher_drain(r->fin, err);
		if (rc == WS_OK && ws_walfile_is_open(&r->file)) {
			char path[PATH_MAX];

			rc = ws_walfile_close(&r->file, path, sizeof(path), err);
			if (rc == WS_OK)
				rc = store_file(r, path, err);
		}
		ws_lsn_format(next_start, pos);
		ws_log_info(r->log, "receive", "timeline %u ended at %s; following timeline %u", r->tli, pos, next_tli);
		r->tli = next_tli;
		r->received = next_start - ws_wal_segment_offset(next_start, r->db->wal_segment_size);
		r->flushed = r->received;
		r->synced_before = r->received;
	}
	if (ws_walfile_is_open(&r->file)) {
		struct ws_error ignored;
		char path[PATH_MAX];
		int closed = ws_walfile_close(&r->file, path, sizeof(path), rc == WS_OK ? err : &ignored);

		rc = rc == WS_OK ? closed : rc;
	}
	if (rc == WS_OK)
		rc = ws_finisher_drain(r->fin, err);
	ws_pg_close(r->conn);
	r->conn = NULL;
	return rc;
}

/* Errors no retry can fix: the wrong server, a missing slot, our own disk. */
static bool
fatal(int rc)
{
	return rc == WS_ERR_INVALID || rc == WS_ERR_NOT_FOUND || rc == WS_ERR_IO ||
		rc == WS_ERR_CORRUPT || rc == WS_ERR_EXISTS || rc == WS_ERR_NOMEM;
}

void
ws_receiver_pause(const atomic_int *stop, int seconds)
{
	const struct timespec tick = {0, 100 * 1000000L};

	for (int i = 0; i < seconds * 10 && (stop == NULL || !atomic_load(stop)); i++)
		nanosleep(&tick, NULL);
}

static int
finish_segment(void *arg, const char *path, struct ws_error *err)
{
	return store_path(arg, path, err);
}

#define MAX_FINISHERS 8

struct finishers {
	struct ws_archive archives[MAX_FINISHERS];
	struct store_ctx ctx[MAX_FINISHERS];
	void *args[MAX_FINISHERS];
	int n;
};

/* One repository connection per finisher thread, each compressing on one core. */
static int
start_finishers(struct receiver *r, struct finishers *fs, struct ws_error *err)
{
	int want = r->o->finisher_threads < 1 ? 1 : r->o->finisher_threads;
	int rc = WS_OK;

	if (want > MAX_FINISHERS)
		want = MAX_FINISHERS;
	for (fs->n = 0; fs->n < want; fs->n++) {
		if ((rc = ws_archive_clone(r->a, r->o->cfg, &fs->archives[fs->n], err)) != WS_OK)
			break;
		fs->archives[fs->n].params.threads = 1;
		store_ctx_init(&fs->ctx[fs->n], &fs->archives[fs->n], r->db, r->log);
		fs->args[fs->n] = &fs->ctx[fs->n];
	}
	if (rc == WS_OK)
		rc = ws_finisher_start(finish_segment, fs->args, fs->n, FINISHER_DEPTH, &r->fin, err);
	return rc;
}

static void
close_finishers(struct finishers *fs)
{
	for (int i = 0; i < fs->n; i++) {
		store_ctx_free(&fs->ctx[i]);
		ws_archive_close(&fs->archives[i]);
	}
	fs->n = 0;
}

int
ws_receiver_run(struct ws_archive *a, struct ws_log *log, const char *dir,
				const struct ws_receiver_options *o, struct ws_error *err)
{
	struct receiver r;
	struct finishers fs;
	int backoff = 1;
	bool ever_streamed = false;
	int rc;

	memset(&r, 0, sizeof(r));
	r.a = a;
	r.log = log;
	r.o = o;
	r.db = ws_stanza_current(&a->stanza);
	ws_walfile_init(&r.file, dir, r.db->wal_segment_size);
	memset(&fs, 0, sizeof(fs));
	if ((rc = start_finishers(&r, &fs, err)) != WS_OK) {
		close_finishers(&fs);
		return rc;
	}
	for (;;) {
		r.streamed = false;
		rc = session(&r, dir, err);
		ever_streamed = ever_streamed || r.streamed;
		if (r.done || stopping(&r) || (rc != WS_OK && (fatal(rc) || !o->loop || !ever_streamed)))
			break;
		if (r.streamed)
			backoff = 1;
		ws_log_warn(log, "receive", "%s; reconnecting in %d s",
					rc != WS_OK ? err->message : "the server ended streaming", backoff);
		ws_receiver_pause(o->stop, backoff);
		if (stopping(&r))
			break;
		backoff = backoff * 2 > BACKOFF_MAX_S ? BACKOFF_MAX_S : backoff * 2;
	}
	if (stopping(&r) && !fatal(rc))
		rc = WS_OK;
	{
		struct ws_error ignored;
		int stopped = ws_finisher_stop(r.fin, rc == WS_OK ? err : &ignored);

		rc = rc == WS_OK ? stopped : rc;
	}
	close_finishers(&fs);
	return rc;
}
