/*
 * backup.c — walship backup: BASE_BACKUP into the repository (backup.h)
 */
#include "backup/backup.h"

#include <pthread.h>
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

#define MAX_THREADS 64
#define POLL_MS 200

/*
 * Larger files go as parts of this size, so memory stays bounded by the
 * queue whatever the size of a relation segment (1 GB).
 */
#define PART_SIZE ((uint64_t) 32 * 1024 * 1024)

/* A file of the data directory, or one part of it, on its way. */
struct file_job {
	size_t index;               /* its manifest entry */
	int part;                   /* 0: the whole file; else 1, 2, ... */
	size_t parted;              /* with part > 0: its file in uploader.parted */
	char path[WS_BACKUP_PATH_MAX];
	struct ws_buf data;
	struct file_job *next;
};

/* The threads that encode and upload files, fed by the stream's parser. */
struct uploader {
	pthread_mutex_t mutex;
	pthread_cond_t has_job;
	pthread_cond_t has_room;
	struct file_job *head, *tail;
	int queued, max_queued;
	bool done;
	bool failed;
	struct ws_error err;
	const struct ws_config *cfg;
	struct ws_log *log;
	const char *dir;
	struct ws_backup_manifest *m;   /* entries change under mutex */
	uint64_t stored_bytes;
	struct parted_file *parted;     /* files stored in parts, under mutex */
	size_t nparted, cap_parted;
	/* finished jobs kept with their buffers, so big ones are not faulted in again */
	pthread_mutex_t spare_mutex;
	struct file_job *spare;
	int nspare;
};

/* The digests of a file's parts, its hash once they are all in. */
struct parted_file {
	size_t index;
	int nparts;
	uint8_t *digests;           /* nparts * 32 */
};

struct worker {
	pthread_t thread;
	struct uploader *up;
	struct ws_buf obj;          /* encoded objects, reused: no fresh pages per file */
	struct ws_archive archive;  /* its own connections to the repository */
};

/* State of the stream being received. */
struct receiver {
	struct uploader *up;
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

static void
job_free(struct file_job *job)
{
	if (job != NULL)
		ws_buf_free(&job->data);
	free(job);
}

/* Done with a job: keep it for reuse, up to what the queue can hold. */
static void
job_release(struct uploader *up, struct file_job *job)
{
	if (job == NULL)
		return;
	pthread_mutex_lock(&up->spare_mutex);
	if (up->nspare < up->max_queued + MAX_THREADS) {
		job->next = up->spare;
		up->spare = job;
		up->nspare++;
		job = NULL;
	}
	pthread_mutex_unlock(&up->spare_mutex);
	job_free(job);
}

/* A job with room for size bytes: a spare one if there is. */
static struct file_job *
job_get(struct uploader *up, uint64_t size)
{
	struct file_job *job;

	pthread_mutex_lock(&up->spare_mutex);
	job = up->spare;
	if (job != NULL) {
		up->spare = job->next;
		up->nspare--;
	}
	pthread_mutex_unlock(&up->spare_mutex);
	if (job == NULL && (job = calloc(1, sizeof(*job))) == NULL)
		return NULL;
	ws_buf_reset(&job->data);
	job->data.max = (size_t) size;
	job->next = NULL;
	if (size > 0 && ws_buf_reserve(&job->data, (size_t) size) != WS_OK) {
		job_free(job);
		return NULL;
	}
	return job;
}

static int
upload(struct worker *w, struct file_job *job, char sha_hex[65], uint8_t digest[32],
	   uint64_t *stored, struct ws_error *err)
{
	const struct ws_storage_write_opts opts = {.no_overwrite = false};
	struct ws_object_header header;
	char objpath[WS_BACKUP_PATH_MAX + 128];
	struct ws_buf *obj = &w->obj;
	int rc;

	if (ws_backup_object_path(w->up->dir, job->path, job->part, objpath, sizeof(objpath), err) != WS_OK)
		return err->status;
	ws_buf_reset(obj);
	obj->max = job->data.len + job->data.len / 8 + 4096;
	rc = ws_object_encode(job->data.data, job->data.len, &w->archive.params, obj, &header, err);
	if (rc == WS_OK)
		rc = ws_storage_put(w->archive.repo, objpath, obj->data, obj->len, &opts, err);
	if (rc == WS_OK) {
		ws_sha256_hex(header.sha256, sha_hex);
		memcpy(digest, header.sha256, 32);
		*stored = obj->len;
	} else
		ws_error_prefix(err, "could not back up file \"%s\"", job->path);
	return rc;
}

static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	struct uploader *up = w->up;

	pthread_mutex_lock(&up->mutex);
	for (;;) {
		struct file_job *job;
		struct ws_error err;
		char sha_hex[65];
		uint8_t digest[32];
		uint64_t stored = 0;
		int rc;

		while (up->head == NULL && !up->done)
			pthread_cond_wait(&up->has_job, &up->mutex);
		if (up->head == NULL)
			break;
		job = up->head;
		up->head = job->next;
		if (up->head == NULL)
			up->tail = NULL;
		up->queued--;
		pthread_cond_signal(&up->has_room);
		if (up->failed) {
			job_release(up, job);
			continue;
		}
		pthread_mutex_unlock(&up->mutex);
		rc = upload(w, job, sha_hex, digest, &stored, &err);
		pthread_mutex_lock(&up->mutex);
		if (rc == WS_OK) {
			struct ws_backup_entry *e = &up->m->entries[job->index];

			if (job->part == 0)
				memcpy(e->sha256, sha_hex, sizeof(e->sha256));
			else
				memcpy(up->parted[job->parted].digests + (size_t) (job->part - 1) * 32, digest, 32);
			e->stored += stored;
			up->stored_bytes += stored;
		} else if (!up->failed) {
			up->failed = true;
			up->err = err;
		}
		job_release(up, job);
	}
	pthread_mutex_unlock(&up->mutex);
	return NULL;
}

/* Queue a file; waits while the queue is full. */
static int
submit(struct uploader *up, struct file_job *job, struct ws_error *err)
{
	pthread_mutex_lock(&up->mutex);
	while (up->queued >= up->max_queued && !up->failed)
		pthread_cond_wait(&up->has_room, &up->mutex);
	if (up->failed) {
		*err = up->err;
		pthread_mutex_unlock(&up->mutex);
		job_release(up, job);
		return err->status;
	}
	job->next = NULL;
	if (up->tail != NULL)
		up->tail->next = job;
	else
		up->head = job;
	up->tail = job;
	up->queued++;
	pthread_cond_signal(&up->has_job);
	pthread_mutex_unlock(&up->mutex);
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
	struct file_job *job = job_get(r->up, size);

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

/* Room for the digests of a file that goes in parts. */
static int
add_parted(struct uploader *up, size_t index, uint64_t size, size_t *slot, struct ws_error *err)
{
	int nparts = (int) ((size + PART_SIZE - 1) / PART_SIZE);
	uint8_t *digests = calloc((size_t) nparts, 32);
	int rc = WS_OK;

	if (digests == NULL)
		return ws_error_set(err, WS_ERR_NOMEM, "out of memory");
	pthread_mutex_lock(&up->mutex);
	if (up->nparted == up->cap_parted) {
		size_t cap = up->cap_parted ? up->cap_parted * 2 : 16;
		struct parted_file *p = realloc(up->parted, cap * sizeof(*p));

		if (p == NULL)
			rc = ws_error_set(err, WS_ERR_NOMEM, "out of memory");
		else {
			up->parted = p;
			up->cap_parted = cap;
		}
	}
	if (rc == WS_OK) {
		up->parted[up->nparted] = (struct parted_file) {index, nparts, digests};
		*slot = up->nparted++;
	} else
		free(digests);
	pthread_mutex_unlock(&up->mutex);
	return rc;
}

/* Once every part is in: each parted file's hash from its parts' digests. */
static int
hash_parted(struct uploader *up, struct ws_error *err)
{
	for (size_t i = 0; i < up->nparted; i++) {
		struct parted_file *p = &up->parted[i];
		int rc = ws_backup_parts_hash(p->digests, p->nparts, up->m->entries[p->index].sha256, err);

		if (rc != WS_OK)
			return rc;
	}
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
	pthread_mutex_lock(&r->up->mutex);
	rc = ws_backup_manifest_add(r->m, WS_ENTRY_FILE, path, NULL, e->mode, e->mtime, e->size,
								&r->index, err);
	pthread_mutex_unlock(&r->up->mutex);
	if (rc != WS_OK)
		return rc;
	r->file_left = e->size;
	r->part = e->size > PART_SIZE ? 1 : 0;
	if (r->part > 0 && (rc = add_parted(r->up, r->index, e->size, &r->parted, err)) != WS_OK)
		return rc;
	return new_job(r, path, e->size < PART_SIZE ? e->size : PART_SIZE, err);
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
			rc = submit(r->up, r->current, err);
			r->current = NULL;
			r->part++;
			if (rc == WS_OK)
				rc = new_job(r, path, r->file_left < PART_SIZE ? r->file_left : PART_SIZE, err);
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
		rc = submit(r->up, r->current, err);
		r->current = NULL;
		return rc;
	}
	if ((rc = entry_path(r, e, path, sizeof(path), err)) != WS_OK)
		return rc;
	pthread_mutex_lock(&r->up->mutex);
	rc = ws_backup_manifest_add(r->m, types[e->type], path,
								e->type == WS_TAR_SYMLINK ? e->link : NULL, e->mode, e->mtime,
								0, NULL, err);
	pthread_mutex_unlock(&r->up->mutex);
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
start_workers(const struct ws_config *cfg, struct ws_log *log, struct uploader *up,
			  struct worker *workers, int n, int *started, struct ws_error *err)
{
	*started = 0;
	for (int i = 0; i < n; i++) {
		struct worker *w = &workers[i];
		int rc;

		w->up = up;
		ws_buf_init(&w->obj, 0);
		if ((rc = ws_archive_open(cfg, log, &w->archive, err)) != WS_OK)
			return rc;
		w->archive.params.threads = 1;  /* the threads are the parallelism */
		if (pthread_create(&w->thread, NULL, worker_main, w) != 0) {
			ws_archive_close(&w->archive);
			return ws_error_set(err, WS_ERR_IO, "could not start a backup thread");
		}
		(*started)++;
	}
	return WS_OK;
}

static int
stop_workers(struct uploader *up, struct worker *workers, int started, struct ws_error *err)
{
	pthread_mutex_lock(&up->mutex);
	up->done = true;
	pthread_cond_broadcast(&up->has_job);
	pthread_mutex_unlock(&up->mutex);
	for (int i = 0; i < started; i++) {
		pthread_join(workers[i].thread, NULL);
		ws_archive_close(&workers[i].archive);
		ws_buf_free(&workers[i].obj);
	}
	if (up->failed) {
		*err = up->err;
		return err->status;
	}
	return WS_OK;
}

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
	struct worker workers[MAX_THREADS];
	struct ws_pg_server_info info;
	const struct ws_stanza_db *db;
	struct uploader up;
	struct receiver r;
	struct ws_archive a;
	char dir[WS_BACKUP_PATH_MAX];
	int nthreads = (int) ws_config_int(cfg, WS_OPT_PROCESS_MAX);
	int started = 0;
	int rc, stop_rc;

	ws_backup_manifest_init(m);
	if ((rc = ws_archive_open(cfg, log, &a, err)) != WS_OK)
		return rc;
	db = ws_stanza_current(&a.stanza);
	if ((rc = check_server(cfg, opts, db, &info, err)) != WS_OK)
		goto out_archive;

	ws_strlcpy(m->type, "full", sizeof(m->type));
	m->part_size = PART_SIZE;
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

	memset(&up, 0, sizeof(up));
	pthread_mutex_init(&up.mutex, NULL);
	pthread_mutex_init(&up.spare_mutex, NULL);
	pthread_cond_init(&up.has_job, NULL);
	pthread_cond_init(&up.has_room, NULL);
	up.max_queued = 2 * nthreads;
	up.dir = dir;
	up.m = m;
	memset(&r, 0, sizeof(r));
	r.up = &up;
	r.m = m;
	r.progress = opts->progress;
	ws_buf_init(&r.pg_manifest, (size_t) 1 << 30);
	clock_gettime(CLOCK_MONOTONIC, &r.started);
	r.last_report = r.started;

	rc = start_workers(cfg, log, &up, workers, nthreads, &started, err);
	if (rc == WS_OK)
		rc = stream_backup(cfg, opts, &r, m, err);
	/* when PostgreSQL ended the backup, not when the WAL arrived */
	m->stop_time = (int64_t) time(NULL);
	ws_log_info(log, "backup", "stream received after %.2f s", since(&r.started));
	finish_tar(&r, rc == WS_OK ? err : &(struct ws_error) {0});
	job_release(&up, r.current);
	stop_rc = stop_workers(&up, workers, started, rc == WS_OK ? err : &(struct ws_error) {0});
	if (rc == WS_OK)
		rc = stop_rc;
	if (rc == WS_OK)
		rc = hash_parted(&up, err);
	ws_log_info(log, "backup", "files stored after %.2f s", since(&r.started));
	for (size_t i = 0; i < up.nparted; i++)
		free(up.parted[i].digests);
	free(up.parted);
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
		m->stored_bytes = up.stored_bytes + m->pg_manifest_stored;
		rc = save_manifest(&a, dir, m, err);
	}
	if (rc == WS_OK)
		ws_log_info(log, "backup", "backup %s complete", m->label);
	else
		ws_error_prefix(err, "backup %s failed", m->label);
	ws_buf_free(&r.pg_manifest);
	while (up.spare != NULL) {
		struct file_job *next = up.spare->next;

		job_free(up.spare);
		up.spare = next;
	}
	pthread_cond_destroy(&up.has_room);
	pthread_cond_destroy(&up.has_job);
	pthread_mutex_destroy(&up.spare_mutex);
	pthread_mutex_destroy(&up.mutex);
out_archive:
	ws_archive_close(&a);
	return rc;
}
