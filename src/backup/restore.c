/*
 * restore.c — walship restore: a backup back into a data directory (restore.h)
 */
#define _XOPEN_SOURCE 700
#include "backup/restore_int.h"

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

/* Shared by the threads that fetch files; entries are taken in order. */

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

		if (e->type != WS_ENTRY_FILE || ws_restore_is_control(e))
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

	snprintf(path, sizeof(path), "%s/" WS_RESTORE_CONTROL_PATH, pgdata);
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
	char dir[WS_BACKUP_PATH_MAX];
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
	if (rc == WS_OK)
		rc = ws_backup_dir(a.stanza.name, m->label, dir, sizeof(dir), err);
	if (rc == WS_OK)
		rc = ws_restore_files(cfg, &a, o, m, dir, res, err);
	if (rc == WS_OK)
		rc = write_pg_manifest(&a, dir, m, o->pgdata, err);
	if (rc == WS_OK)
		rc = ws_restore_write_recovery(cfg, o, m, err);
	if (rc == WS_OK)
		rc = sync_dirs(o->pgdata, m, err);
	if (rc == WS_OK)
		rc = ws_restore_control(&a, dir, o->pgdata, m, res, err);
	if (rc == WS_OK)
		rc = ws_fsync_dir(o->pgdata, err);
out:
	ws_backup_catalog_free(&cat);
	ws_archive_close(&a);
	return rc;
}
