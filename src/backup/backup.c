/*
 * backup.c — walship backup: BASE_BACKUP into the repository (backup.h)
 */
#include "backup/backup.h"
#include "backup/backup_upload.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "archive/archive.h"
#include "backup/tar.h"
#include "common/str.h"
#include "filter/filter.h"
#include "pg/basebackup.h"
#include "pg/server.h"
#include "wal/segment.h"

#define POLL_MS 200

/* State of the stream being received. */
struct receiver {
	struct ws_uploader *up;
	struct ws_backup_manifest *m;
	struct ws_tar_parser *tar;
	char prefix[64];            /* "" for base.tar, "pg_tblspc/<oid>/" */
	struct file_job *current;
	size_t index;               /* manifest entry of the file being received */
	uint64_t file_left;         /* its bytes not received yet */
	int part;                   /* part being filled; 0 for a file in one piece */
	size_t parted;              /* its uploader.parted slot when in parts */
	struct ws_buf pg_manifest;
	FILE *progress;
	uint64_t total, done;
	struct timespec started, last_report;
};

int
ws_backup_dir(const char *stanza, const char *label, char *buf, size_t size, struct ws_error *err)
{
	int n = snprintf(buf, size, "%s/backup/%s", stanza, label);

	if (n < 0 || (size_t) n >= size)
		return ws_error_set(err, WS_ERR_TOO_LARGE, "backup path too long");
	return WS_OK;
}

int
ws_backup_object_path(const char *dir, const char *path, int part, char *buf, size_t size,
					  struct ws_error *err)
{
	int n = part == 0 ? snprintf(buf, size, "%s/pg_data/%s.ws", dir, path)
		: snprintf(buf, size, "%s/pg_data/%s.%d.ws", dir, path, part);

	if (n < 0 || (size_t) n >= size)
		return ws_error_set(err, WS_ERR_TOO_LARGE, "path too long: \"%s\"", path);
	return WS_OK;
}

/* ---- the tar stream ---- */

static int
entry_path(struct receiver *r, const struct ws_tar_entry *e, char *buf, size_t size,
		   struct ws_error *err)
{
	int n = snprintf(buf, size, "%s%s", r->prefix, e->path);

	if (n < 0 || (size_t) n >= size)
		return ws_error_set(err, WS_ERR_TOO_LARGE, "path too long in the backup: \"%s\"", e->path);
	return WS_OK;
}

static int
new_job(struct receiver *r, const char *path, uint64_t size, struct ws_error *err)
{
	struct file_job *job = ws_uploader_job(r->up, size);

	if (job == NULL)
		return ws_error_set(err, WS_ERR_NOMEM, "out of memory for file \"%s\" (%llu bytes)",
							path, (unsigned long long) size);
	ws_strlcpy(job->path, path, sizeof(job->path));
	job->index = r->index;
	job->part = r->part;
	job->parted = r->parted;
	r->current = job;
	return WS_OK;
}

static int
on_begin(const struct ws_tar_entry *e, void *arg, struct ws_error *err)
{
	struct receiver *r = arg;
	char path[WS_BACKUP_PATH_MAX];
	int rc;

	if (e->type != WS_TAR_FILE)
		return WS_OK;
	if ((rc = entry_path(r, e, path, sizeof(path), err)) != WS_OK)
		return rc;
	rc = ws_uploader_add_entry(r->up, WS_ENTRY_FILE, path, NULL, e->mode, e->mtime, e->size,
							   &r->index, err);
	if (rc != WS_OK)
		return rc;
	r->file_left = e->size;
	r->part = e->size > WS_BACKUP_PART_SIZE ? 1 : 0;
	if (r->part > 0 && (rc = ws_uploader_add_parted(r->up, r->index, e->size, &r->parted, err)) != WS_OK)
		return rc;
	return new_job(r, path, e->size < WS_BACKUP_PART_SIZE ? e->size : WS_BACKUP_PART_SIZE, err);
}

static int
on_data(const void *p, size_t len, void *arg, struct ws_error *err)
{
	struct receiver *r = arg;
	const char *data = p;
	int rc;

	if (len > r->file_left)
		return ws_error_set(err, WS_ERR_CORRUPT, "file \"%s\" is longer than its tar header says",
							r->current->path);
	while (len > 0) {
		struct ws_buf *b = &r->current->data;
		size_t take = b->max - b->len < len ? b->max - b->len : len;

		if ((rc = ws_buf_append(b, data, take)) != WS_OK)
			return ws_error_set(err, rc, "could not buffer file \"%s\"", r->current->path);
		data += take;
		len -= take;
		r->file_left -= take;
		if (b->len == b->max && r->file_left > 0) {
			char path[WS_BACKUP_PATH_MAX];

			/* this part is full: off it goes, and the next one starts */
			ws_strlcpy(path, r->current->path, sizeof(path));
			rc = ws_uploader_submit(r->up, r->current, err);
			r->current = NULL;
			r->part++;
			if (rc == WS_OK)
				rc = new_job(r, path, r->file_left < WS_BACKUP_PART_SIZE ? r->file_left : WS_BACKUP_PART_SIZE, err);
			if (rc != WS_OK)
				return rc;
		}
	}
	return WS_OK;
}

static int
on_end(const struct ws_tar_entry *e, void *arg, struct ws_error *err)
{
	static const enum ws_backup_entry_type types[] = {
		[WS_TAR_FILE] = WS_ENTRY_FILE, [WS_TAR_DIR] = WS_ENTRY_DIR, [WS_TAR_SYMLINK] = WS_ENTRY_LINK
	};
	struct receiver *r = arg;
	char path[WS_BACKUP_PATH_MAX];
	int rc;

	if (e->type == WS_TAR_FILE) {
		rc = ws_uploader_submit(r->up, r->current, err);
		r->current = NULL;
		return rc;
	}
	if ((rc = entry_path(r, e, path, sizeof(path), err)) != WS_OK)
		return rc;
	rc = ws_uploader_add_entry(r->up, types[e->type], path,
							   e->type == WS_TAR_SYMLINK ? e->link : NULL, e->mode, e->mtime, 0,
							   NULL, err);
	return rc;
}

/* ---- the BASE_BACKUP stream ---- */

static double
seconds_between(const struct timespec *a, const struct timespec *b)
{
	return (double) (b->tv_sec - a->tv_sec) + (double) (b->tv_nsec - a->tv_nsec) / 1e9;
}

static double
since(const struct timespec *t0)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return seconds_between(t0, &now);
}

static void
report_progress(struct receiver *r, bool final)
{
	struct timespec now;
	double elapsed, rate;

	if (r->progress == NULL)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (!final && seconds_between(&r->last_report, &now) < 1.0)
		return;
	r->last_report = now;
	elapsed = seconds_between(&r->started, &now);
	rate = elapsed > 0 ? (double) r->done / elapsed : 0;
	if (r->total > 0 && r->done <= r->total && rate > 0)
		fprintf(r->progress, "\rbackup: %llu of %llu MiB (%d%%), %.1f MiB/s, ETA %.0f s   ",
				(unsigned long long) (r->done >> 20), (unsigned long long) (r->total >> 20),
				(int) (100 * r->done / r->total), rate / 1048576.0,
				(double) (r->total - r->done) / rate);
	else
		fprintf(r->progress, "\rbackup: %llu MiB, %.1f MiB/s   ",
				(unsigned long long) (r->done >> 20), rate / 1048576.0);
	if (final)
		fputc('\n', r->progress);
	fflush(r->progress);
}

static int
on_started(const struct ws_pg_backup_start *start, void *arg, struct ws_error *err)
{
	struct receiver *r = arg;
	int rc = WS_OK;

	r->m->start_lsn = start->lsn;
	r->m->timeline = start->timeline;
	r->total = start->total_size;
	for (int i = 0; i < start->ntablespaces && rc == WS_OK; i++) {
		if (start->tablespaces[i].oid != 0)
			rc = ws_backup_manifest_add_tablespace(r->m, start->tablespaces[i].oid,
												   start->tablespaces[i].location, err);
	}
	return rc;
}

static int
finish_tar(struct receiver *r, struct ws_error *err)
{
	int rc = WS_OK;

	if (r->tar != NULL)
		rc = ws_tar_parser_finish(r->tar, err);
	ws_tar_parser_free(r->tar);
	r->tar = NULL;
	return rc;
}

static int
on_archive(const char *name, const char *location, void *arg, struct ws_error *err)
{
	const struct ws_tar_callbacks cb = {on_begin, on_data, on_end, arg};
	struct receiver *r = arg;
	unsigned long oid;
	char *end;
	int rc;

	(void) location;
	if ((rc = finish_tar(r, err)) != WS_OK)
		return rc;
	if (strcmp(name, "base.tar") == 0)
		r->prefix[0] = '\0';
	else {
		oid = strtoul(name, &end, 10);
		if (end == name || strcmp(end, ".tar") != 0 || oid == 0 || oid > UINT32_MAX)
			return ws_error_set(err, WS_ERR_CORRUPT, "unexpected archive \"%s\" in the base backup",
								name);
		snprintf(r->prefix, sizeof(r->prefix), "pg_tblspc/%lu/", oid);
	}
	return ws_tar_parser_new(&cb, &r->tar, err);
}

static int
on_archive_data(const void *data, size_t len, void *arg, struct ws_error *err)
{
	struct receiver *r = arg;

	return ws_tar_parser_feed(r->tar, data, len, err);
}

static int
on_manifest_data(const void *data, size_t len, void *arg, struct ws_error *err)
{
	struct receiver *r = arg;

	if (ws_buf_append(&r->pg_manifest, data, len) != WS_OK)
		return ws_error_set(err, WS_ERR_TOO_LARGE, "backup_manifest from the server is too large");
	return WS_OK;
}

static void
on_progress(uint64_t done, void *arg)
{
	struct receiver *r = arg;

	r->done = done;
	report_progress(r, false);
}

/* ---- before and after ---- */

static int
check_server(const struct ws_config *cfg, const struct ws_backup_options *opts,
			 const struct ws_stanza_db *db, struct ws_pg_server_info *info, struct ws_error *err)
{
	struct ws_pg_conn *conn = NULL;
	int rc;

	rc = ws_pg_connect(ws_config_str(cfg, WS_OPT_PG_CONNINFO),
					   (int) ws_config_int(cfg, WS_OPT_CONNECT_TIMEOUT), &conn, err);
	if (rc == WS_OK)
		rc = ws_pg_server_info_read(conn, info, err);
	if (rc == WS_OK)
		rc = ws_pg_require_role(conn, info, opts->from_standby ? WS_PG_STANDBY : WS_PG_PRIMARY,
							"a backup", err);
	if (rc == WS_OK && info->system_identifier != db->system_id)
		rc = ws_error_set(err, WS_ERR_CONFIG,
						  "the server's system identifier %llu is not the stanza's %llu",
						  (unsigned long long) info->system_identifier,
						  (unsigned long long) db->system_id);
	if (rc == WS_OK && info->version_num / 10000 != db->pg_version)
		rc = ws_error_set(err, WS_ERR_CONFIG,
						  "the server runs PostgreSQL %d but the stanza is for %d: run stanza-upgrade",
						  info->version_num / 10000, db->pg_version);
	ws_pg_close(conn);
	return rc;
}

/*
 * The backup is consistent only with the WAL from its start to its end.
 * The archiver should be shipping it; wait at most archive-timeout and say
 * why when it does not arrive.
 */
static int
wait_for_wal(const struct ws_config *cfg, struct ws_archive *a, const struct ws_stanza_db *db,
			 const struct ws_backup_manifest *m, struct ws_error *err)
{
	const struct timespec pause = {0, POLL_MS * 1000000L};
	int timeout = (int) ws_config_int(cfg, WS_OPT_ARCHIVE_TIMEOUT);
	uint32_t tli;
	ws_segno seg, last;
	struct timespec t0, now;
	int rc;

	if ((rc = ws_wal_segment_parse(m->wal_start, db->wal_segment_size, &tli, &seg, err)) != WS_OK ||
		(rc = ws_wal_segment_parse(m->wal_stop, db->wal_segment_size, &tli, &last, err)) != WS_OK)
		return rc;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (seg <= last) {
		char name[WS_WAL_FNAME_BUFLEN];
		char objpath[512];
		struct ws_storage_info info;

		/* a backup that spans a timeline switch is checked on the stop timeline */
		rc = ws_wal_segment_name(seg == last ? m->stop_timeline : m->timeline, seg,
								 db->wal_segment_size, name, err);
		if (rc == WS_OK)
			rc = ws_archive_object_path(a, db, name, objpath, sizeof(objpath), err);
		if (rc == WS_OK)
			rc = a->repo->ops->info(a->repo, objpath, &info, err);
		if (rc != WS_OK)
			return rc;
		if (info.exists) {
			seg++;
			continue;
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (seconds_between(&t0, &now) >= timeout)
			return ws_error_set(err, WS_ERR_IO,
								"WAL segment %s needed by the backup did not reach the repository "
								"within archive-timeout (%d s): check archive_command and "
								"pg_stat_archiver", name, timeout);
		nanosleep(&pause, NULL);
	}
	return WS_OK;
}

/* A standby cannot switch WAL; its primary can, so the segment is archived. */
static int
switch_primary_wal(const struct ws_config *cfg, const char *conninfo, struct ws_error *err)
{
	struct ws_pg_conn *conn = NULL;
	char walname[25];
	int rc;

	rc = ws_pg_connect(conninfo, (int) ws_config_int(cfg, WS_OPT_CONNECT_TIMEOUT), &conn, err);
	if (rc == WS_OK)
		rc = ws_pg_switch_wal(conn, walname, err);
	ws_pg_close(conn);
	if (rc != WS_OK)
		ws_error_prefix(err, "could not switch WAL on the primary");
	return rc;
}

static int
store_pg_manifest(struct ws_archive *a, const char *dir, struct ws_backup_manifest *m,
				  const struct ws_buf *pgm, struct ws_error *err)
{
	const struct ws_storage_write_opts opts = {.no_overwrite = false};
	struct ws_object_header header;
	char path[WS_BACKUP_PATH_MAX + 32];
	struct ws_buf obj;
	int rc;

	if (pgm->len == 0)
		return ws_error_set(err, WS_ERR_CORRUPT, "the server sent no backup_manifest");
	snprintf(path, sizeof(path), "%s/backup_manifest.ws", dir);
	ws_buf_init(&obj, pgm->len + pgm->len / 8 + 4096);
	rc = ws_object_encode(pgm->data, pgm->len, &a->params, &obj, &header, err);
	if (rc == WS_OK)
		rc = ws_storage_put(a->repo, path, obj.data, obj.len, &opts, err);
	if (rc == WS_OK) {
		m->pg_manifest_size = pgm->len;
		m->pg_manifest_stored = obj.len;
		ws_sha256_hex(header.sha256, m->pg_manifest_sha256);
	}
	ws_buf_free(&obj);
	return rc;
}

static int
save_manifest(struct ws_archive *a, const char *dir, const struct ws_backup_manifest *m,
			  struct ws_error *err)
{
	const struct ws_storage_write_opts opts = {.no_overwrite = true};
	char path[WS_BACKUP_PATH_MAX + 32];
	struct ws_buf text;
	int rc;

	snprintf(path, sizeof(path), "%s/backup.manifest", dir);
	ws_buf_init(&text, (size_t) 1 << 30);
	rc = ws_backup_manifest_format(m, &text, err);
	if (rc == WS_OK)
		rc = ws_storage_put(a->repo, path, text.data, text.len, &opts, err);
	ws_buf_free(&text);
	return rc;
}

/*
 * A label of its own: the time, with "_2", "_3" ... when another backup
 * started in the same second. backup.started is written without
 * overwriting, so two backups never share a directory.
 */
static int
claim_label(struct ws_archive *a, struct ws_backup_manifest *m, char *dir, size_t size,
			struct ws_error *err)
{
	const struct ws_storage_write_opts opts = {.no_overwrite = true};
	char base[WS_BACKUP_LABEL_MAX];
	char path[WS_BACKUP_PATH_MAX + 32];
	char note[64];
	int rc = WS_ERR_EXISTS;

	ws_backup_label_make(m->start_time, base);
	for (int n = 1; rc == WS_ERR_EXISTS && n < 100; n++) {
		char label[WS_BACKUP_LABEL_MAX + 8];

		if (n == 1)
			ws_strlcpy(label, base, sizeof(label));
		else
			snprintf(label, sizeof(label), "%s_%d", base, n);
		ws_strlcpy(m->label, label, sizeof(m->label));
		if ((rc = ws_backup_dir(a->stanza.name, m->label, dir, size, err)) != WS_OK)
			return rc;
		snprintf(path, sizeof(path), "%s/backup.started", dir);
		snprintf(note, sizeof(note), "started=%lld\n", (long long) m->start_time);
		rc = ws_storage_put(a->repo, path, note, strlen(note), &opts, err);
	}
	if (rc == WS_ERR_EXISTS)
		rc = ws_error_set(err, WS_ERR_EXISTS, "could not find a free label for backup %s", base);
	return rc;
}

/* ---- the whole backup ---- */

static int
stream_backup(const struct ws_config *cfg, const struct ws_backup_options *opts,
			  struct receiver *r, struct ws_backup_manifest *m, struct ws_error *err)
{
	const struct ws_pg_backup_callbacks cb = {
		on_started, on_archive, on_archive_data, on_manifest_data, on_progress, r
	};
	const struct ws_pg_backup_options bopts = {m->label, opts->fast_checkpoint};
	struct ws_pg_conn *repl = NULL;
	uint64_t stop_lsn = 0;
	uint32_t stop_tli = 0;
	int rc;

	rc = ws_pg_connect_replication(ws_config_str(cfg, WS_OPT_PG_CONNINFO),
								   (int) ws_config_int(cfg, WS_OPT_CONNECT_TIMEOUT), &repl, err);
	if (rc == WS_OK)
		rc = ws_pg_base_backup(repl, &bopts, &cb, &stop_lsn, &stop_tli, err);
	if (rc == WS_OK)
		rc = finish_tar(r, err);
	ws_pg_close(repl);
	m->stop_lsn = stop_lsn;
	m->stop_timeline = stop_tli;
	return rc;
}

static int
wal_range(const struct ws_stanza_db *db, struct ws_backup_manifest *m, struct ws_error *err)
{
	int rc;

	if (m->stop_lsn <= m->start_lsn)
		return ws_error_set(err, WS_ERR_CORRUPT, "the backup ends before it starts");
	rc = ws_wal_segment_name(m->timeline, ws_wal_lsn_to_segno(m->start_lsn, db->wal_segment_size),
							 db->wal_segment_size, m->wal_start, err);
	/* the segment holding the last byte before the stop position */
	if (rc == WS_OK)
		rc = ws_wal_segment_name(m->stop_timeline,
								 ws_wal_lsn_to_segno(m->stop_lsn - 1, db->wal_segment_size),
								 db->wal_segment_size, m->wal_stop, err);
	return rc;
}

int
ws_backup_run(const struct ws_config *cfg, struct ws_log *log, const struct ws_backup_options *opts,
			  struct ws_backup_manifest *m, struct ws_error *err)
{
	struct ws_pg_server_info info;
	const struct ws_stanza_db *db;
	struct ws_uploader *up = NULL;
	struct receiver r;
	struct ws_archive a;
	char dir[WS_BACKUP_PATH_MAX];
	uint64_t stored = 0;
	int rc, stop_rc;

	ws_backup_manifest_init(m);
	if ((rc = ws_archive_open(cfg, log, &a, err)) != WS_OK)
		return rc;
	db = ws_stanza_current(&a.stanza);
	if ((rc = check_server(cfg, opts, db, &info, err)) != WS_OK)
		goto out_archive;

	ws_strlcpy(m->type, "full", sizeof(m->type));
	m->part_size = WS_BACKUP_PART_SIZE;
	m->db_id = db->id;
	m->system_id = db->system_id;
	m->pg_version = db->pg_version;
	m->start_time = (int64_t) time(NULL);
	m->encrypted = a.stanza.encrypted;
	m->from_standby = opts->from_standby;
	ws_strlcpy(m->compress, ws_config_str(cfg, WS_OPT_COMPRESS_TYPE), sizeof(m->compress));
	if ((rc = claim_label(&a, m, dir, sizeof(dir), err)) != WS_OK)
		goto out_archive;
	ws_log_info(log, "backup", "backup %s started", m->label);

	memset(&r, 0, sizeof(r));
	r.m = m;
	r.progress = opts->progress;
	ws_buf_init(&r.pg_manifest, (size_t) 1 << 30);
	clock_gettime(CLOCK_MONOTONIC, &r.started);
	r.last_report = r.started;

	rc = ws_uploader_start(cfg, &a, dir, m, (int) ws_config_int(cfg, WS_OPT_PROCESS_MAX), &up, err);
	r.up = up;
	if (rc == WS_OK)
		rc = stream_backup(cfg, opts, &r, m, err);
	/* when PostgreSQL ended the backup, not when the WAL arrived */
	m->stop_time = (int64_t) time(NULL);
	ws_log_info(log, "backup", "stream received after %.2f s", since(&r.started));
	finish_tar(&r, rc == WS_OK ? err : &(struct ws_error) {0});
	if (up != NULL)
		ws_uploader_release(up, r.current);
	stop_rc = ws_uploader_finish(up, &stored, rc == WS_OK ? err : &(struct ws_error) {0});
	if (rc == WS_OK)
		rc = stop_rc;
	ws_log_info(log, "backup", "files stored after %.2f s", since(&r.started));
	report_progress(&r, true);
	if (rc == WS_OK)
		rc = store_pg_manifest(&a, dir, m, &r.pg_manifest, err);
	if (rc == WS_OK)
		rc = wal_range(db, m, err);
	if (rc == WS_OK && opts->from_standby && opts->primary_conninfo != NULL)
		rc = switch_primary_wal(cfg, opts->primary_conninfo, err);
	if (rc == WS_OK)
		rc = wait_for_wal(cfg, &a, db, m, err);
	ws_log_info(log, "backup", "WAL %s to %s archived after %.2f s", m->wal_start, m->wal_stop,
				since(&r.started));
	if (rc == WS_OK) {
		for (size_t i = 0; i < m->nentries; i++)
			m->original_bytes += m->entries[i].size;
		m->stored_bytes = stored + m->pg_manifest_stored;
		rc = save_manifest(&a, dir, m, err);
	}
	if (rc == WS_OK)
		ws_log_info(log, "backup", "backup %s complete", m->label);
	else
		ws_error_prefix(err, "backup %s failed", m->label);
	ws_buf_free(&r.pg_manifest);
out_archive:
	ws_archive_close(&a);
	return rc;
}
