/*
 * restore.c — walship restore: a backup back into a data directory (restore.h)
 */
#define _XOPEN_SOURCE 700
#include "backup/restore.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "archive/archive.h"
#include "backup/backup.h"
#include "backup/catalog.h"
#include "backup/target.h"
#include "common/fileio.h"
#include "common/str.h"
#include "filter/filter.h"
#include "wal/lsn.h"

#define MAX_THREADS 64

/* Shared by the threads that fetch files; entries are taken in order. */
struct restorer {
	pthread_mutex_t mutex;
	const struct ws_config *cfg;
	struct ws_log *log;
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

/* ---- choosing the backup ---- */

static const char *
target_name(enum ws_target_type t)
{
	static const char *const names[] = {"", "time", "lsn", "xid", "name", "immediate"};

	return names[t];
}

static int
choose_backup(const struct ws_backup_catalog *cat, const struct ws_restore_options *o,
			  const struct ws_backup_manifest **out, struct ws_error *err)
{
	int64_t t = 0;
	ws_lsn lsn = 0;
	int rc;

	*out = NULL;
	if (cat->n == 0)
		return ws_error_set(err, WS_ERR_NOT_FOUND, "the repository has no complete backup to restore");
	if (o->set != NULL) {
		for (size_t i = 0; i < cat->n; i++) {
			if (strcmp(cat->backups[i].label, o->set) == 0)
				*out = &cat->backups[i];
		}
		if (*out == NULL)
			return ws_error_set(err, WS_ERR_NOT_FOUND, "backup %s is not in the repository, or never completed",
								o->set);
		return WS_OK;
	}
	if (o->target == WS_TARGET_TIME &&
		(rc = ws_target_time_parse(o->target_value, &t, err)) != WS_OK)
		return rc;
	if (o->target == WS_TARGET_LSN && (rc = ws_lsn_parse(o->target_value, &lsn, err)) != WS_OK)
		return rc;
	/* the newest backup that is consistent before the target */
	for (size_t i = cat->n; i-- > 0;) {
		const struct ws_backup_manifest *b = &cat->backups[i];

		if ((o->target == WS_TARGET_TIME && b->stop_time > t) ||
			(o->target == WS_TARGET_LSN && b->stop_lsn > lsn))
			continue;
		*out = b;
		return WS_OK;
	}
	return ws_error_set(err, WS_ERR_NOT_FOUND,
						"no backup ends before target %s \"%s\": the oldest, %s, ends later",
						target_name(o->target), o->target_value, cat->backups[0].label);
}

/* ---- the directories ---- */

static bool
dir_is_empty(const char *path, bool *exists, struct ws_error *err)
{
	DIR *d = opendir(path);
	struct dirent *e;
	bool empty = true;

	*exists = d != NULL || errno != ENOENT;
	if (d == NULL) {
		if (errno != ENOENT)
			ws_error_set(err, WS_ERR_IO, "could not open directory \"%s\": %m", path);
		return errno == ENOENT;
	}
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
			empty = false;
			break;
		}
	}
	closedir(d);
	return empty;
}

static int
prepare_dir(const char *path, bool delta, const char *what, struct ws_error *err)
{
	bool exists;

	err->status = WS_OK;
	if (!dir_is_empty(path, &exists, err)) {
		if (err->status != WS_OK)
			return err->status;
		if (!delta)
			return ws_error_set(err, WS_ERR_EXISTS,
								"%s \"%s\" is not empty: restore into an empty directory, or use --delta",
								what, path);
	}
	if (ws_mkdir_p(path, 0700, err) != WS_OK)
		return err->status;
	if (chmod(path, 0700) != 0)
		return ws_error_set(err, WS_ERR_IO, "could not set permissions of \"%s\": %m", path);
	return WS_OK;
}

/* Where tablespace oid goes: a --tablespace-map entry, else where it was. */
static const char *
tablespace_target(const struct ws_restore_options *o, const struct ws_backup_manifest *m,
				  uint32_t oid)
{
	char want[16];
	size_t n = (size_t) snprintf(want, sizeof(want), "%u=", oid);

	for (int i = 0; i < o->ntablespace_map; i++) {
		if (strncmp(o->tablespace_map[i], want, n) == 0)
			return o->tablespace_map[i] + n;
	}
	for (int i = 0; i < m->ntablespaces; i++) {
		if (m->tablespaces[i].oid == oid)
			return m->tablespaces[i].location;
	}
	return NULL;
}

int
ws_restore_split_maps(char *maps, struct ws_restore_options *o, struct ws_error *err)
{
	for (char *p = maps; p != NULL && *p != '\0';) {
		char *comma = strchr(p, ',');

		if (comma != NULL)
			*comma = '\0';
		if (o->ntablespace_map == WS_RESTORE_MAX_MAPS)
			return ws_error_set(err, WS_ERR_INVALID, "too many --tablespace-map entries");
		o->tablespace_map[o->ntablespace_map++] = p;
		p = comma != NULL ? comma + 1 : NULL;
	}
	return WS_OK;
}

static int
check_maps(const struct ws_restore_options *o, const struct ws_backup_manifest *m,
		   struct ws_error *err)
{
	for (int i = 0; i < o->ntablespace_map; i++) {
		const char *map = o->tablespace_map[i];
		unsigned long oid;
		char *end;
		bool known = false;

		oid = strtoul(map, &end, 10);
		if (end == map || *end != '=' || end[1] != '/')
			return ws_error_set(err, WS_ERR_INVALID,
								"invalid --tablespace-map \"%s\": expected OID=/absolute/path", map);
		for (int t = 0; t < m->ntablespaces; t++)
			known |= m->tablespaces[t].oid == oid;
		if (!known)
			return ws_error_set(err, WS_ERR_INVALID,
								"--tablespace-map \"%s\": backup %s has no tablespace %lu", map,
								m->label, oid);
	}
	return WS_OK;
}

static int
make_link(const char *pgdata, const struct ws_restore_options *o, const struct ws_backup_manifest *m,
		  const struct ws_backup_entry *e, struct ws_error *err)
{
	char path[PATH_MAX];
	const char *target = e->link;
	unsigned long oid;
	int rc;

	snprintf(path, sizeof(path), "%s/%s", pgdata, e->path);
	if (strncmp(e->path, "pg_tblspc/", 10) == 0 && (oid = strtoul(e->path + 10, NULL, 10)) > 0) {
		const char *mapped = tablespace_target(o, m, (uint32_t) oid);

		if (mapped != NULL)
			target = mapped;
		if ((rc = prepare_dir(target, o->delta, "tablespace directory", err)) != WS_OK)
			return rc;
	}
	if (unlink(path) != 0 && errno != ENOENT)
		return ws_error_set(err, WS_ERR_IO, "could not remove \"%s\": %m", path);
	if (symlink(target, path) != 0)
		return ws_error_set(err, WS_ERR_IO, "could not create symbolic link \"%s\": %m", path);
	return WS_OK;
}

/*
 * Every file (but pg_control, written last) is created here, on one
 * thread: creating takes its directory's lock exclusively, and the
 * restore threads then only open what exists instead of contending for it.
 */
static int
precreate_files(const char *pgdata, const struct ws_backup_manifest *m, struct ws_error *err)
{
	char path[PATH_MAX];

	for (size_t i = 0; i < m->nentries; i++) {
		const struct ws_backup_entry *e = &m->entries[i];
		int fd;

		if (e->type != WS_ENTRY_FILE || strcmp(e->path, "global/pg_control") == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", pgdata, e->path);
		fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, (mode_t) e->mode);
		if (fd < 0)
			return ws_error_set(err, WS_ERR_IO, "could not create file \"%s\": %m", path);
		close(fd);
	}
	return WS_OK;
}

/*
 * PostgreSQL sends the tablespaces before base.tar, so their directories
 * come before the pg_tblspc links they live behind: links first.
 */
static int
make_tree(const char *pgdata, const struct ws_restore_options *o, const struct ws_backup_manifest *m,
		  struct ws_error *err)
{
	char path[PATH_MAX];
	int rc;

	for (size_t i = 0; i < m->nentries; i++) {
		if (m->entries[i].type != WS_ENTRY_LINK)
			continue;
		snprintf(path, sizeof(path), "%s/pg_tblspc", pgdata);
		if (mkdir(path, 0700) != 0 && errno != EEXIST)
			return ws_error_set(err, WS_ERR_IO, "could not create directory \"%s\": %m", path);
		if ((rc = make_link(pgdata, o, m, &m->entries[i], err)) != WS_OK)
			return rc;
	}
	for (size_t i = 0; i < m->nentries; i++) {
		const struct ws_backup_entry *e = &m->entries[i];
		struct stat st;

		if (e->type != WS_ENTRY_DIR)
			continue;
		snprintf(path, sizeof(path), "%s/%s", pgdata, e->path);
		if (mkdir(path, (mode_t) e->mode) != 0 &&
			(errno != EEXIST || stat(path, &st) != 0 || !S_ISDIR(st.st_mode)))
			return ws_error_set(err, WS_ERR_IO, "could not create directory \"%s\": %m", path);
		if (chmod(path, (mode_t) e->mode) != 0)
			return ws_error_set(err, WS_ERR_IO, "could not set permissions of \"%s\": %m", path);
	}
	return precreate_files(pgdata, m, err);
}

/* ---- files ---- */

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
			char part_hex[65];

			rc = ws_sha256_final(h, part_hex, err);
			ws_sha256_free(h);
			h = NULL;
			for (int i = 0; rc == WS_OK && i < 32; i++) {
				unsigned v;

				sscanf(part_hex + 2 * i, "%2x", &v);
				digests[(size_t) part * 32 + (size_t) i] = (uint8_t) v;
			}
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

/*
 * global/pg_control is written last and atomically: until it is there the
 * directory cannot start, so every other file can be written in place.
 */
static bool
is_control(const struct ws_backup_entry *e)
{
	return strcmp(e->path, "global/pg_control") == 0;
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
		rc = is_control(e) ? ws_atomic_commit(f, err) : ws_direct_commit(f, err);
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
	rc = is_control(e) ? ws_atomic_open(dest, (mode_t) e->mode, &f, err)
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

		if (e->type != WS_ENTRY_FILE || is_control(e)) {
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
	if (ws_archive_open(r->cfg, r->log, &a, &err) != WS_OK) {
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
restore_files(struct restorer *r, struct ws_error *err)
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

/* ---- --delta: what the backup does not have goes ---- */

struct sweep {
	const struct ws_backup_manifest *m;
	size_t root_len;
	size_t removed;
	int rc;
	struct ws_error *err;
};

/* nftw has no argument pointer: one sweep at a time, under a lock. */
static pthread_mutex_t sweep_lock = PTHREAD_MUTEX_INITIALIZER;
static struct sweep *current_sweep;

static bool
in_backup(const struct ws_backup_manifest *m, const char *rel)
{
	for (size_t i = 0; i < m->nentries; i++) {
		if (strcmp(m->entries[i].path, rel) == 0)
			return true;
	}
	return false;
}

static int
sweep_visit(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	struct sweep *s = current_sweep;
	const char *rel = path + s->root_len;

	(void) st;
	if (ftw->level == 0 || *rel == '\0')
		return 0;
	rel++;      /* the '/' */
	/* recovery files are rewritten afterwards anyway */
	if (in_backup(s->m, rel) || strcmp(rel, "backup_manifest") == 0)
		return 0;
	if ((flag == FTW_DP ? rmdir(path) : unlink(path)) != 0) {
		s->rc = ws_error_set(s->err, WS_ERR_IO, "could not remove \"%s\": %m", path);
		return 1;
	}
	s->removed++;
	return 0;
}

static int
sweep_extra(const char *pgdata, const struct ws_backup_manifest *m, size_t *removed,
			struct ws_error *err)
{
	struct sweep s = {m, strlen(pgdata), 0, WS_OK, err};

	pthread_mutex_lock(&sweep_lock);
	current_sweep = &s;
	if (nftw(pgdata, sweep_visit, 32, FTW_PHYS | FTW_DEPTH) < 0 && s.rc == WS_OK)
		s.rc = ws_error_set(err, WS_ERR_IO, "could not walk \"%s\": %m", pgdata);
	current_sweep = NULL;
	pthread_mutex_unlock(&sweep_lock);
	*removed = s.removed;
	return s.rc;
}

/* ---- recovery settings ---- */

static int
append_setting(struct ws_buf *b, const char *name, const char *value)
{
	int rc = ws_buf_appendf(b, "%s = '", name);

	for (const char *p = value; rc == WS_OK && *p != '\0'; p++)
		rc = ws_buf_append(b, *p == '\'' ? "''" : p, *p == '\'' ? 2 : 1);
	return rc == WS_OK ? ws_buf_append_str(b, "'\n") : rc;
}

/* A word for sh, in single quotes unless plainly safe. */
static int
append_shell_word(struct ws_buf *b, const char *word)
{
	int rc = WS_OK;

	if (word[0] != '\0' && strspn(word, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
								  "0123456789/._-=:,+@%") == strlen(word))
		return ws_buf_append_str(b, word);
	rc = ws_buf_append_str(b, "'");
	for (const char *p = word; rc == WS_OK && *p != '\0'; p++)
		rc = *p == '\'' ? ws_buf_append_str(b, "'\\''") : ws_buf_append(b, p, 1);
	return rc == WS_OK ? ws_buf_append_str(b, "'") : rc;
}

/*
 * walship archive-get with the configuration this restore used: the same
 * file, plus where the repository is when that came from flags or the
 * environment. Secrets stay out of postgresql.auto.conf: they must be in
 * the file or the server's environment.
 */
static int
build_restore_command(const struct ws_config *cfg, struct ws_buf *cmd, struct ws_error *err)
{
	static const enum ws_option_id carried[] = {
		WS_OPT_STANZA, WS_OPT_REPO_TYPE, WS_OPT_REPO_PATH, WS_OPT_REPO_S3_BUCKET,
		WS_OPT_REPO_S3_ENDPOINT, WS_OPT_REPO_S3_REGION, WS_OPT_REPO_S3_URI_STYLE,
		WS_OPT_REPO_S3_TLS, WS_OPT_REPO_STORAGE_VERIFY_TLS, WS_OPT_REPO_STORAGE_CA_FILE,
		WS_OPT_REPO_STORAGE_CA_PATH, WS_OPT_REPO_CIPHER_TYPE, WS_OPT_REPO_CIPHER_KEY_FILE,
		WS_OPT_SPOOL_PATH, WS_OPT_ARCHIVE_GET_QUEUE_MAX
	};
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	int rc;

	if (n <= 0)
		return ws_error_set(err, WS_ERR_IO, "could not find the walship executable: %m");
	exe[n] = '\0';
	rc = append_shell_word(cmd, exe);
	if (rc == WS_OK && cfg->file[0] != '\0') {
		char abs[PATH_MAX];

		/* the server runs it from its data directory: no relative path */
		if (realpath(cfg->file, abs) == NULL)
			return ws_error_set(err, WS_ERR_IO, "could not resolve \"%s\": %m", cfg->file);
		rc = ws_buf_append_str(cmd, " --config ");
		if (rc == WS_OK)
			rc = append_shell_word(cmd, abs);
	}
	for (size_t i = 0; rc == WS_OK && i < sizeof(carried) / sizeof(carried[0]); i++) {
		const struct ws_config_value *v = &cfg->values[carried[i]];
		char word[2048];

		if (v->text == NULL || (v->source != WS_SRC_CLI && v->source != WS_SRC_ENV))
			continue;
		snprintf(word, sizeof(word), "--%s=%s", ws_option_get(carried[i])->name, v->text);
		rc = ws_buf_append_str(cmd, " ");
		if (rc == WS_OK)
			rc = append_shell_word(cmd, word);
	}
	if (rc == WS_OK)
		rc = ws_buf_append_str(cmd, " archive-get %f %p");
	if (rc != WS_OK)
		return ws_error_set(err, rc, "restore_command is too long");
	return WS_OK;
}

static int
write_recovery(const struct ws_config *cfg, const struct ws_restore_options *o,
			   const struct ws_backup_manifest *m, struct ws_error *err)
{
	static const char *const target_settings[] = {
		NULL, "recovery_target_time", "recovery_target_lsn", "recovery_target_xid",
		"recovery_target_name", "recovery_target"
	};
	char path[PATH_MAX];
	struct ws_buf conf, cmd;
	int fd, rc;

	ws_buf_init(&conf, 1 << 20);
	ws_buf_init(&cmd, 16384);
	rc = o->restore_command != NULL ? ws_buf_append_str(&cmd, o->restore_command)
		: build_restore_command(cfg, &cmd, err);
	if (rc != WS_OK)
		goto out;
	rc = ws_buf_appendf(&conf, "\n# added by walship restore of backup %s\n", m->label);
	if (rc == WS_OK)
		rc = append_setting(&conf, "restore_command", ws_buf_str(&cmd));
	if (rc == WS_OK && o->target != WS_TARGET_NONE)
		rc = append_setting(&conf, target_settings[o->target],
							o->target == WS_TARGET_IMMEDIATE ? "immediate" : o->target_value);
	if (rc == WS_OK && o->target_action != NULL)
		rc = append_setting(&conf, "recovery_target_action", o->target_action);
	if (rc == WS_OK && o->target_timeline != NULL)
		rc = append_setting(&conf, "recovery_target_timeline", o->target_timeline);
	if (rc == WS_OK && o->standby && o->primary_conninfo != NULL)
		rc = append_setting(&conf, "primary_conninfo", o->primary_conninfo);
	if (rc == WS_OK && o->standby && o->primary_slot != NULL)
		rc = append_setting(&conf, "primary_slot_name", o->primary_slot);
	if (rc != WS_OK) {
		rc = ws_error_set(err, rc, "recovery settings are too long");
		goto out;
	}
	snprintf(path, sizeof(path), "%s/postgresql.auto.conf", o->pgdata);
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0 || ws_write_all(fd, conf.data, conf.len) != 0 || fsync(fd) != 0) {
		rc = ws_error_set(err, WS_ERR_IO, "could not write \"%s\": %m", path);
		if (fd >= 0)
			close(fd);
		goto out;
	}
	close(fd);
	snprintf(path, sizeof(path), "%s/%s", o->pgdata, o->standby ? "standby.signal" : "recovery.signal");
	rc = ws_write_file_atomic(path, "", 0, 0600, err);
out:
	ws_buf_free(&conf);
	ws_buf_free(&cmd);
	return rc;
}

/* PostgreSQL's manifest, where pg_verifybackup looks for it. */
static int
write_pg_manifest(struct ws_archive *a, const char *dir, const struct ws_backup_manifest *m,
				  const char *pgdata, struct ws_error *err)
{
	char objpath[WS_BACKUP_PATH_MAX + 32];
	char dest[PATH_MAX];
	char got[65];
	struct ws_object_header header;
	struct ws_buf obj, plain;
	int rc;

	snprintf(objpath, sizeof(objpath), "%s/backup_manifest.ws", dir);
	snprintf(dest, sizeof(dest), "%s/backup_manifest", pgdata);
	ws_buf_init(&obj, (size_t) m->pg_manifest_stored + 1);
	ws_buf_init(&plain, (size_t) m->pg_manifest_size);
	rc = ws_storage_get(a->repo, objpath, &obj, err);
	if (rc == WS_OK)
		rc = ws_object_decode(obj.data, obj.len, a->stanza.encrypted ? a->key : NULL,
							  (size_t) m->pg_manifest_size, &plain, &header, err);
	if (rc == WS_OK) {
		ws_sha256_hex(header.sha256, got);
		if (strcmp(got, m->pg_manifest_sha256) != 0)
			rc = ws_error_set(err, WS_ERR_CORRUPT, "backup_manifest object does not match the manifest");
	}
	if (rc == WS_OK)
		rc = ws_write_file_atomic(dest, plain.data, plain.len, 0600, err);
	if (rc != WS_OK)
		ws_error_prefix(err, "could not restore backup_manifest");
	ws_buf_free(&obj);
	ws_buf_free(&plain);
	return rc;
}

/* Without pg_control a half-restored directory cannot be started by mistake. */
static int
unlink_control(const char *pgdata, struct ws_error *err)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/global/pg_control", pgdata);
	if (unlink(path) != 0 && errno != ENOENT)
		return ws_error_set(err, WS_ERR_IO, "could not remove \"%s\": %m", path);
	return ws_fsync_parent_dir(path, err);
}

/* Files were written in place: their directories are made durable once. */
static int
sync_dirs(const char *pgdata, const struct ws_backup_manifest *m, struct ws_error *err)
{
	char path[PATH_MAX];
	int rc = ws_fsync_dir(pgdata, err);

	for (size_t i = 0; rc == WS_OK && i < m->nentries; i++) {
		if (m->entries[i].type != WS_ENTRY_DIR)
			continue;
		snprintf(path, sizeof(path), "%s/%s", pgdata, m->entries[i].path);
		rc = ws_fsync_dir(path, err);
	}
	return rc;
}

/* The last file: global/pg_control, atomically. */
static int
restore_control(struct ws_archive *a, const char *dir, const char *pgdata,
				const struct ws_backup_manifest *m, struct ws_restore_result *res,
				struct ws_error *err)
{
	struct ws_buf scratch;
	bool unchanged;
	int rc = WS_OK;

	ws_buf_init(&scratch, 0);
	for (size_t i = 0; rc == WS_OK && i < m->nentries; i++) {
		if (m->entries[i].type != WS_ENTRY_FILE || !is_control(&m->entries[i]))
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

/* --delta over a directory a server may be using would pull files from under it. */
static int
refuse_running(const char *pgdata, struct ws_error *err)
{
	char path[PATH_MAX];
	struct stat st;

	snprintf(path, sizeof(path), "%s/postmaster.pid", pgdata);
	if (stat(path, &st) == 0)
		return ws_error_set(err, WS_ERR_EXISTS,
							"\"%s\" exists: stop the server first (remove the file if no server runs)",
							path);
	return WS_OK;
}

int
ws_restore_run(const struct ws_config *cfg, struct ws_log *log, const struct ws_restore_options *o,
			   struct ws_restore_result *res, struct ws_error *err)
{
	const struct ws_backup_manifest *m = NULL;
	struct ws_backup_catalog cat;
	struct restorer r;
	struct ws_archive a;
	int rc;

	memset(res, 0, sizeof(*res));
	memset(&cat, 0, sizeof(cat));
	if (o->pgdata == NULL || o->pgdata[0] != '/')
		return ws_error_set(err, WS_ERR_INVALID, "--pgdata must be an absolute path");
	if ((rc = ws_archive_open(cfg, log, &a, err)) != WS_OK)
		return rc;
	rc = ws_backup_catalog_load(&a, &cat, err);
	if (rc == WS_OK)
		rc = choose_backup(&cat, o, &m, err);
	if (rc == WS_OK)
		rc = check_maps(o, m, err);
	if (rc == WS_OK && m->encrypted != a.stanza.encrypted)
		rc = ws_error_set(err, WS_ERR_CORRUPT, "backup %s and the stanza disagree about encryption",
						  m->label);
	if (rc == WS_OK)
		rc = prepare_dir(o->pgdata, o->delta, "data directory", err);
	if (rc == WS_OK && o->delta)
		rc = refuse_running(o->pgdata, err);
	if (rc != WS_OK)
		goto out;
	ws_strlcpy(res->label, m->label, sizeof(res->label));
	ws_log_info(log, "restore", "restoring backup %s into \"%s\"", m->label, o->pgdata);

	if (o->delta)
		rc = unlink_control(o->pgdata, err);
	if (rc == WS_OK && o->delta)
		rc = sweep_extra(o->pgdata, m, &res->removed, err);
	if (rc == WS_OK)
		rc = make_tree(o->pgdata, o, m, err);
	if (rc == WS_OK) {
		memset(&r, 0, sizeof(r));
		r.cfg = cfg;
		r.log = log;
		r.opts = o;
		r.m = m;
		r.res = res;
		rc = ws_backup_dir(a.stanza.name, m->label, r.dir, sizeof(r.dir), err);
		if (rc == WS_OK)
			rc = restore_files(&r, err);
		if (rc == WS_OK)
			rc = write_pg_manifest(&a, r.dir, m, o->pgdata, err);
	}
	if (rc == WS_OK)
		rc = write_recovery(cfg, o, m, err);
	if (rc == WS_OK)
		rc = sync_dirs(o->pgdata, m, err);
	if (rc == WS_OK)
		rc = restore_control(&a, r.dir, o->pgdata, m, res, err);
	if (rc == WS_OK)
		rc = ws_fsync_dir(o->pgdata, err);
out:
	ws_backup_catalog_free(&cat);
	ws_archive_close(&a);
	return rc;
}
