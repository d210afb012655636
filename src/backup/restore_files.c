/*
 * restore_files.c — the files of a backup into a data directory
 *
 * Threads take files, or single parts of big files, in manifest order;
 * the thread that writes a file's last part checks the file and finishes it.
 */
#include "backup/restore_int.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "backup/backup.h"
#include "common/fileio.h"
#include "common/str.h"
#include "filter/filter.h"

#define MAX_THREADS 64

/* Shared by the threads that restore files; entries are taken in order. */
struct restorer {
	pthread_mutex_t mutex;
	const struct ws_config *cfg;
	const struct ws_archive *archive;   /* each thread clones it */
	const struct ws_restore_options *opts;
	const struct ws_backup_manifest *m;
	char dir[WS_BACKUP_PATH_MAX];
	size_t next;                /* entry to hand out next */
	int next_part;              /* of that entry, when it goes in parts */
	struct shared_file **shared; /* by entry: files in parts being written */
	bool failed;
	struct ws_error err;
	struct ws_restore_result *res;
	uint64_t done_bytes;
};


/*
 * The manifest's hash of the local file at path, computed the way the
 * backup did (parts of part_size hashed one by one when parts > 0), for
 * --delta. *same_size is false when the file differs in size.
 */
static int
hash_file(const char *path, uint64_t size, int parts, uint64_t part_size, char hex[65],
		  bool *same_size, struct ws_error *err)
{
	struct ws_sha256 *h = NULL;
	uint8_t *digests = NULL;
	char buf[65536];
	uint64_t in_part = 0;
	int part = 0;
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int rc;

	*same_size = false;
	if (fd < 0)
		return errno == ENOENT ? WS_ERR_NOT_FOUND
			: ws_error_set(err, WS_ERR_IO, "could not open \"%s\": %m", path);
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || (uint64_t) st.st_size != size) {
		close(fd);
		return WS_OK;
	}
	*same_size = true;
	if (parts > 0 && (digests = calloc((size_t) parts, 32)) == NULL) {
		close(fd);
		return ws_error_set(err, WS_ERR_NOMEM, "out of memory");
	}
	rc = ws_sha256_new(&h, err);
	while (rc == WS_OK) {
		size_t want = sizeof(buf);
		ssize_t n;

		if (parts > 0 && part_size - in_part < want)
			want = (size_t) (part_size - in_part);
		n = read(fd, buf, want);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			rc = ws_error_set(err, WS_ERR_IO, "could not read \"%s\": %m", path);
		if (n <= 0)
			break;
		rc = ws_sha256_update(h, buf, (size_t) n, err);
		in_part += (uint64_t) n;
		if (rc == WS_OK && parts > 0 && (in_part == part_size || in_part + (uint64_t) part * part_size == size)) {
			/* a part is complete: its digest, and a fresh hash for the next */
			rc = ws_sha256_final_digest(h, digests + (size_t) part * 32, err);
			ws_sha256_free(h);
			h = NULL;
			part++;
			in_part = 0;
			if (rc == WS_OK && part < parts)
				rc = ws_sha256_new(&h, err);
			if (part == parts)
				break;
		}
	}
	if (rc == WS_OK)
		rc = parts > 0 ? ws_backup_parts_hash(digests, parts, hex, err) : ws_sha256_final(h, hex, err);
	ws_sha256_free(h);
	free(digests);
	close(fd);
	return rc;
}

/* Decoded bytes go into the file at their place. */
struct file_sink {
	struct ws_atomic_file *file;
	uint64_t offset;
	pthread_mutex_t *lock;      /* a file in parts: its writers take turns */
};

static int
to_file(const void *data, size_t len, void *arg, struct ws_error *err)
{
	struct file_sink *f = arg;
	int rc;

	/* writers of one file serialise on its inode lock anyway: wait, don't spin */
	if (f->lock != NULL)
		pthread_mutex_lock(f->lock);
	rc = ws_atomic_pwrite(f->file, data, len, f->offset, err);
	if (f->lock != NULL)
		pthread_mutex_unlock(f->lock);
	f->offset += len;
	return rc;
}

/* Fetch and decode one object of e (part, or 0 for the file) into f at offset. */
static int
restore_object(struct ws_archive *a, const char *dir, const struct ws_backup_entry *e, int part,
			   uint64_t offset, uint64_t expect_size, struct ws_atomic_file *file,
			   pthread_mutex_t *lock, struct ws_buf *scratch, uint8_t digest[32],
			   struct ws_error *err)
{
	char objpath[WS_BACKUP_PATH_MAX + 64];
	struct ws_object_header header;
	struct file_sink sink = {file, offset, lock};
	struct ws_buf obj = *scratch;   /* the thread's buffer: its pages are reused */
	int rc;

	if ((rc = ws_backup_object_path(dir, e->path, part, objpath, sizeof(objpath), err)) != WS_OK)
		return rc;
	ws_buf_reset(&obj);
	obj.max = (size_t) e->stored + 1;
	rc = ws_storage_get(a->repo, objpath, &obj, err);
	if (rc == WS_ERR_NOT_FOUND)
		rc = ws_error_set(err, WS_ERR_CORRUPT, "object %s is missing from the repository", objpath);
	if (rc == WS_OK)
		rc = ws_object_decode_to(obj.data, obj.len, a->stanza.encrypted ? a->key : NULL,
								 (size_t) expect_size, to_file, &sink, &header, err);
	if (rc == WS_OK && header.original_size != expect_size)
		rc = ws_error_set(err, WS_ERR_CORRUPT, "object %s holds %llu bytes, expected %llu", objpath,
						  (unsigned long long) header.original_size, (unsigned long long) expect_size);
	if (rc == WS_OK)
		memcpy(digest, header.sha256, 32);
	*scratch = obj;
	return rc;
}

/* Part k (from 1) of a file in parts: where it starts and how long it is. */
static void
part_range(const struct ws_backup_manifest *m, const struct ws_backup_entry *e, int k,
		   uint64_t *off, uint64_t *len)
{
	*off = (uint64_t) (k - 1) * m->part_size;
	*len = e->size - *off < m->part_size ? e->size - *off : m->part_size;
}

bool
ws_restore_is_control(const struct ws_backup_entry *e)
{
	return strcmp(e->path, WS_RESTORE_CONTROL_PATH) == 0;
}

/* The file is written: is it the one the manifest names? Then keep it. */
static int
finish_file(const struct ws_backup_entry *e, int parts, const uint8_t *digests,
			struct ws_atomic_file *f, struct ws_error *err)
{
	char got[65];
	struct timespec times[2];
	int rc;

	if (parts > 0)
		rc = ws_backup_parts_hash(digests, parts, got, err);
	else {
		ws_sha256_hex(digests, got);
		rc = WS_OK;
	}
	if (rc == WS_OK && strcmp(got, e->sha256) != 0)
		rc = ws_error_set(err, WS_ERR_CORRUPT,
						  "restored bytes are not the file the manifest names (SHA-256 %s, expected %s)",
						  got, e->sha256);
	if (rc == WS_OK)
		rc = ws_restore_is_control(e) ? ws_atomic_commit(f, err) : ws_direct_commit(f, err);
	else
		ws_atomic_abort(f);
	if (rc != WS_OK)
		return rc;
	times[0].tv_sec = times[1].tv_sec = (time_t) e->mtime;
	times[0].tv_nsec = times[1].tv_nsec = 0;
	(void) utimensat(AT_FDCWD, f->path, times, 0);
	return WS_OK;
}

/*
 * A whole file on this thread: one object, or (with --delta) all its parts
 * in order. With --delta a file whose hash matches is left alone.
 */
static int
restore_file(struct ws_archive *a, const char *dir, const char *pgdata,
			 const struct ws_backup_manifest *m, const struct ws_backup_entry *e, bool delta,
			 struct ws_buf *scratch, bool *unchanged, struct ws_error *err)
{
	int parts = WS_BACKUP_PARTS(m, e->size);
	uint8_t one[32];
	uint8_t *digests = one;
	struct ws_atomic_file f;
	char dest[PATH_MAX];
	int rc;

	*unchanged = false;
	snprintf(dest, sizeof(dest), "%s/%s", pgdata, e->path);
	if (delta) {
		char have[65];
		bool same_size;

		rc = hash_file(dest, e->size, parts, m->part_size, have, &same_size, err);
		if (rc == WS_OK && same_size && strcmp(have, e->sha256) == 0) {
			*unchanged = true;
			return WS_OK;
		}
		if (rc != WS_OK && rc != WS_ERR_NOT_FOUND)
			return rc;
	}
	if (parts > 0 && (digests = calloc((size_t) parts, 32)) == NULL)
		return ws_error_set(err, WS_ERR_NOMEM, "out of memory");
	rc = ws_restore_is_control(e) ? ws_atomic_open(dest, (mode_t) e->mode, &f, err)
		: ws_direct_open(dest, (mode_t) e->mode, false, &f, err);
	if (rc == WS_OK) {
		if (parts == 0)
			rc = restore_object(a, dir, e, 0, 0, e->size, &f, NULL, scratch, digests, err);
		for (int k = 1; rc == WS_OK && k <= parts; k++) {
			uint64_t off, len;

			part_range(m, e, k, &off, &len);
			rc = restore_object(a, dir, e, k, off, len, &f, NULL, scratch,
								digests + (size_t) (k - 1) * 32, err);
		}
		if (rc == WS_OK)
			rc = finish_file(e, parts, digests, &f, err);
		else
			ws_atomic_abort(&f);
	}
	if (digests != one)
		free(digests);
	if (rc != WS_OK)
		ws_error_prefix(err, "could not restore \"%s\"", e->path);
	return rc;
}

/* A file in parts, written by whichever threads take its parts. */
struct shared_file {
	struct ws_atomic_file f;
	pthread_mutex_t write_mutex;    /* see to_file */
	bool open_failed;
	bool failed;
	int remaining;              /* parts not written yet */
	uint8_t *digests;
};

/* One unit of work: a whole file (part 0), or one part of a file. */
struct unit {
	size_t index;
	int part;
};

static bool
take_unit(struct restorer *r, struct unit *u)
{
	while (!r->failed && r->next < r->m->nentries) {
		const struct ws_backup_entry *e = &r->m->entries[r->next];
		int parts;

		if (e->type != WS_ENTRY_FILE || ws_restore_is_control(e)) {
			r->next++;
			continue;
		}
		parts = r->opts->delta ? 0 : WS_BACKUP_PARTS(r->m, e->size);
		u->index = r->next;
		if (parts == 0) {
			u->part = 0;
			r->next++;
			return true;
		}
		u->part = ++r->next_part;
		if (r->next_part == parts) {
			r->next_part = 0;
			r->next++;
		}
		return true;
	}
	return false;
}

/* Part u->part of a file in parts; the thread writing its last part finishes it. */
static int
restore_part(struct restorer *r, struct ws_archive *a, const struct unit *u,
			 struct ws_buf *scratch, struct ws_error *err)
{
	const struct ws_backup_entry *e = &r->m->entries[u->index];
	int parts = WS_BACKUP_PARTS(r->m, e->size);
	struct shared_file *sf;
	uint64_t off, len;
	uint8_t digest[32];
	bool last;
	int rc = WS_OK;

	pthread_mutex_lock(&r->mutex);
	sf = r->shared[u->index];
	if (sf == NULL) {
		char dest[PATH_MAX];

		/* the first of its parts to start opens the file */
		sf = calloc(1, sizeof(*sf));
		if (sf != NULL)
			sf->digests = calloc((size_t) parts, 32);
		if (sf == NULL || sf->digests == NULL) {
			if (sf != NULL)
				free(sf);
			pthread_mutex_unlock(&r->mutex);
			return ws_error_set(err, WS_ERR_NOMEM, "out of memory");
		}
		sf->remaining = parts;
		pthread_mutex_init(&sf->write_mutex, NULL);
		snprintf(dest, sizeof(dest), "%s/%s", r->opts->pgdata, e->path);
		if (ws_direct_open(dest, (mode_t) e->mode, false, &sf->f, err) != WS_OK) {
			sf->open_failed = sf->failed = true;
			rc = err->status;
		}
		r->shared[u->index] = sf;
	}
	if (sf->open_failed && rc == WS_OK)
		rc = ws_error_set(err, WS_ERR_IO, "could not create \"%s\"", e->path);
	pthread_mutex_unlock(&r->mutex);

	part_range(r->m, e, u->part, &off, &len);
	if (rc == WS_OK)
		rc = restore_object(a, r->dir, e, u->part, off, len, &sf->f, &sf->write_mutex, scratch,
							digest, err);

	pthread_mutex_lock(&r->mutex);
	if (rc == WS_OK)
		memcpy(sf->digests + (size_t) (u->part - 1) * 32, digest, 32);
	else
		sf->failed = true;
	last = --sf->remaining == 0;
	pthread_mutex_unlock(&r->mutex);
	if (last) {
		if (!sf->failed)
			rc = finish_file(e, parts, sf->digests, &sf->f, err);
		else if (!sf->open_failed)
			ws_atomic_abort(&sf->f);
		free(sf->digests);
		pthread_mutex_destroy(&sf->write_mutex);
		free(sf);
		pthread_mutex_lock(&r->mutex);
		r->shared[u->index] = NULL;
		pthread_mutex_unlock(&r->mutex);
	}
	if (rc != WS_OK)
		ws_error_prefix(err, "could not restore \"%s\"", e->path);
	return rc;
}

static void
report(struct restorer *r, bool final)
{
	uint64_t total = r->m->original_bytes;

	if (r->opts->progress == NULL)
		return;
	fprintf(r->opts->progress, "\rrestore: %llu of %llu MiB (%d%%)   ",
			(unsigned long long) (r->done_bytes >> 20), (unsigned long long) (total >> 20),
			total > 0 ? (int) (100 * r->done_bytes / total) : 100);
	if (final)
		fputc('\n', r->opts->progress);
	fflush(r->opts->progress);
}

static void *
restore_thread(void *arg)
{
	struct restorer *r = arg;
	struct ws_archive a;
	struct ws_error err;
	struct ws_buf scratch;
	uint64_t last_report = 0;

	ws_buf_init(&scratch, 0);
	if (ws_archive_clone(r->archive, r->cfg, &a, &err) != WS_OK) {
		pthread_mutex_lock(&r->mutex);
		if (!r->failed) {
			r->failed = true;
			r->err = err;
		}
		pthread_mutex_unlock(&r->mutex);
		return NULL;
	}
	for (;;) {
		const struct ws_backup_entry *e;
		bool unchanged = false;
		uint64_t bytes;
		struct unit u;
		int rc;

		pthread_mutex_lock(&r->mutex);
		if (!take_unit(r, &u)) {
			pthread_mutex_unlock(&r->mutex);
			break;
		}
		pthread_mutex_unlock(&r->mutex);

		e = &r->m->entries[u.index];
		if (u.part == 0) {
			rc = restore_file(&a, r->dir, r->opts->pgdata, r->m, e, r->opts->delta, &scratch,
							  &unchanged, &err);
			bytes = e->size;
		} else {
			uint64_t off;

			rc = restore_part(r, &a, &u, &scratch, &err);
			part_range(r->m, e, u.part, &off, &bytes);
		}
		pthread_mutex_lock(&r->mutex);
		if (rc != WS_OK && !r->failed) {
			r->failed = true;
			r->err = err;
		} else if (rc == WS_OK) {
			/* a file counts once: as a whole, or with its first part */
			if (unchanged)
				r->res->unchanged++;
			else if (u.part <= 1)
				r->res->files++;
			r->res->bytes += unchanged ? 0 : bytes;
			r->done_bytes += bytes;
			if (r->done_bytes - last_report > ((uint64_t) 64 << 20)) {
				last_report = r->done_bytes;
				report(r, false);
			}
		}
		pthread_mutex_unlock(&r->mutex);
	}
	ws_buf_free(&scratch);
	ws_archive_close(&a);
	return NULL;
}

static int
run_threads(struct restorer *r, struct ws_error *err)
{
	pthread_t threads[MAX_THREADS];
	int n = (int) ws_config_int(r->cfg, WS_OPT_PROCESS_MAX);
	int started = 0;

	r->shared = calloc(r->m->nentries + 1, sizeof(*r->shared));
	if (r->shared == NULL)
		return ws_error_set(err, WS_ERR_NOMEM, "out of memory");
	pthread_mutex_init(&r->mutex, NULL);
	for (; started < n; started++) {
		if (pthread_create(&threads[started], NULL, restore_thread, r) != 0)
			break;
	}
	for (int i = 0; i < started; i++)
		pthread_join(threads[i], NULL);
	pthread_mutex_destroy(&r->mutex);
	/* after a failure, files whose parts were not all taken: no temp files left */
	for (size_t i = 0; i < r->m->nentries; i++) {
		if (r->shared[i] == NULL)
			continue;
		if (!r->shared[i]->open_failed)
			ws_atomic_abort(&r->shared[i]->f);
		pthread_mutex_destroy(&r->shared[i]->write_mutex);
		free(r->shared[i]->digests);
		free(r->shared[i]);
	}
	free(r->shared);
	if (started == 0)
		return ws_error_set(err, WS_ERR_IO, "could not start a restore thread");
	if (r->failed) {
		*err = r->err;
		return err->status;
	}
	report(r, true);
	return WS_OK;
}

int
ws_restore_control(struct ws_archive *a, const char *dir, const char *pgdata,
				   const struct ws_backup_manifest *m, struct ws_restore_result *res,
				   struct ws_error *err)
{
	struct ws_buf scratch;
	bool unchanged;
	int rc = WS_OK;

	ws_buf_init(&scratch, 0);
	for (size_t i = 0; rc == WS_OK && i < m->nentries; i++) {
		if (m->entries[i].type != WS_ENTRY_FILE || !ws_restore_is_control(&m->entries[i]))
			continue;
		rc = restore_file(a, dir, pgdata, m, &m->entries[i], false, &scratch, &unchanged, err);
		if (rc == WS_OK) {
			res->files++;
			res->bytes += m->entries[i].size;
		}
	}
	ws_buf_free(&scratch);
	return rc;
}

int
ws_restore_files(const struct ws_config *cfg, const struct ws_archive *a,
				 const struct ws_restore_options *o, const struct ws_backup_manifest *m,
				 const char *dir, struct ws_restore_result *res, struct ws_error *err)
{
	struct restorer r;

	memset(&r, 0, sizeof(r));
	r.cfg = cfg;
	r.archive = a;
	r.opts = o;
	r.m = m;
	r.res = res;
	ws_strlcpy(r.dir, dir, sizeof(r.dir));
	return run_threads(&r, err);
}
