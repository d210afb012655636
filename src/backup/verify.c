/*
 * verify.c — walship verify: re-read every object and check it (verify.h)
 *
 * Three steps: collect the jobs (the files of the backups, the WAL objects
 * of the archive or of one backup's range), run them on process-max
 * workers, then look at what the archive holds as a whole: gaps within a
 * timeline, and the WAL range each backup needs.
 */
#include "backup/verify.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backup/backup.h"
#include "backup/catalog.h"
#include "common/str.h"
#include "storage/storage_config.h"
#include "wal/page.h"

#define MAX_THREADS 64
/* a WAL range this long is a broken manifest, not a backup */
#define MAX_RANGE_SEGMENTS ((ws_segno) 1 << 24)
/* entry of a file job that stands for PostgreSQL's backup_manifest */
#define PG_MANIFEST SIZE_MAX

enum wal_state { WAL_UNCHECKED, WAL_OK, WAL_BAD, WAL_MISSING };

/* A WAL object to verify: listed in the archive, or needed by the --set backup. */
struct wal_obj {
	int db_id;
	int db_index;               /* in the stanza's dbs */
	char name[64];
	char *path;
	enum wal_state state;
};

struct file_job {
	size_t backup;
	size_t entry;               /* or PG_MANIFEST */
};

struct verifier;
typedef int (*job_fn)(struct verifier *v, struct ws_archive *a, size_t i, struct ws_buf *scratch,
					  struct ws_error *err);

struct verifier {
	pthread_mutex_t mutex;      /* guards the report, next, failed and err */
	struct ws_archive *a;
	const struct ws_verify_options *opts;
	struct ws_backup_catalog cat;   /* cat.backups[i] is rep->backups[i] */
	struct ws_verify_report *rep;
	struct file_job *files;
	size_t nfiles, capfiles;
	struct wal_obj *wal;
	size_t nwal, capwal;
	size_t prefix_len;          /* of "<stanza>/archive/" while listing */
	/* the phase running */
	job_fn job;
	size_t njobs;
	size_t next;
	bool failed;
	struct ws_error err;
};

/* ---- the report ---- */

/* Record a problem; callers hold the mutex once workers run. */
__attribute__((format(printf, 6, 7)))
static int
note(struct ws_verify_list *l, enum ws_verify_kind kind, int db_id, const char *name,
	 struct ws_error *err, const char *fmt, ...)
{
	struct ws_verify_problem *p;
	va_list ap;

	l->count++;
	if (l->nitems >= WS_VERIFY_KEEP)
		return WS_OK;
	if (l->items == NULL && (l->items = calloc(WS_VERIFY_KEEP, sizeof(*l->items))) == NULL)
		return ws_error_set(err, WS_ERR_NOMEM, "out of memory");
	p = &l->items[l->nitems++];
	p->kind = kind;
	p->db_id = db_id;
	ws_strlcpy(p->name, name, sizeof(p->name));
	va_start(ap, fmt);
	vsnprintf(p->reason, sizeof(p->reason), fmt, ap);
	va_end(ap);
	return WS_OK;
}

static int
compare_problems(const void *x, const void *y)
{
	const struct ws_verify_problem *p = x;
	const struct ws_verify_problem *q = y;

	if (p->kind != q->kind)
		return p->kind < q->kind ? -1 : 1;
	return strcmp(p->name, q->name);
}

/* Workers finish in any order: sort so that the same repository reads the same. */
static void
sort_list(struct ws_verify_list *l)
{
	if (l->nitems > 1)
		qsort(l->items, l->nitems, sizeof(*l->items), compare_problems);
}

void
ws_verify_report_free(struct ws_verify_report *rep)
{
	for (size_t i = 0; rep->backups != NULL && i < rep->nbackups; i++)
		free(rep->backups[i].problems.items);
	free(rep->backups);
	free(rep->incomplete);
	free(rep->wal_problems.items);
	free(rep->gaps);
	memset(rep, 0, sizeof(*rep));
}

/* ---- decoding ---- */

/* Decoded bytes are only counted; a segment's first page is kept. */
static int
to_nowhere(const void *data, size_t len, void *arg, struct ws_error *err)
{
	(void) err;
	ws_segment_start_note(arg, data, len);
	return WS_OK;
}

/* One buffer per worker, reused with the cap of the object at hand. */
static void
scratch_prepare(struct ws_buf *b, uint64_t max)
{
	ws_buf_reset(b);
	b->max = max >= SIZE_MAX - 1 ? SIZE_MAX - 1 : (size_t) max;
}

static const struct ws_stanza_db *
find_db(const struct ws_stanza_info *stanza, int id, int *index)
{
	for (int i = 0; i < stanza->ndbs; i++) {
		if (stanza->dbs[i].id == id) {
			if (index != NULL)
				*index = i;
			return &stanza->dbs[i];
		}
	}
	return NULL;
}

/*
 * Fetch and decode one backup object. What is wrong with it goes to
 * problem ("" when nothing is); only a failing repository or memory is an
 * error.
 */
static int
check_backup_object(struct ws_archive *a, const char *objpath, uint64_t size, uint64_t stored,
					const char *sha, uint8_t *digest, struct ws_buf *obj, char *problem,
					size_t plen, struct ws_error *err)
{
	struct ws_object_header h;
	struct ws_segment_start sink;
	struct ws_error derr;
	char got[65];
	int rc;

	problem[0] = '\0';
	scratch_prepare(obj, stored + 1);
	rc = ws_storage_get(a->repo, objpath, obj, err);
	if (rc == WS_ERR_NOT_FOUND) {
		snprintf(problem, plen, "object is missing from the repository");
		return WS_OK;
	}
	if (rc == WS_ERR_TOO_LARGE) {
		snprintf(problem, plen, "object is larger than the %llu bytes the manifest records",
				 (unsigned long long) stored);
		return WS_OK;
	}
	if (rc != WS_OK)
		return rc;
	memset(&sink, 0, sizeof(sink));
	rc = ws_object_decode_to(obj->data, obj->len, a->stanza.encrypted ? a->key : NULL,
							 size > SIZE_MAX ? SIZE_MAX : (size_t) size, to_nowhere, &sink, &h,
							 &derr);
	if (rc == WS_ERR_NOMEM) {
		*err = derr;
		return rc;
	}
	if (rc != WS_OK) {
		ws_strlcpy(problem, derr.message, plen);
		return WS_OK;
	}
	ws_sha256_hex(h.sha256, got);
	if (digest != NULL)
		memcpy(digest, h.sha256, 32);
	if (h.original_size != size)
		snprintf(problem, plen, "object holds %llu bytes, the manifest records %llu",
				 (unsigned long long) h.original_size, (unsigned long long) size);
	else if (sha == NULL)
		;                       /* a part: the whole file's hash is checked by the caller */
	else if (strcmp(got, sha) != 0)
		snprintf(problem, plen, "object holds SHA-256 %s, the manifest records %s", got, sha);
	else if (obj->len != stored)
		snprintf(problem, plen, "object has %zu bytes, the manifest records %llu stored",
				 obj->len, (unsigned long long) stored);
	return WS_OK;
}

/*
 * A file stored in parts: each part decodes (checking its own hash), and
 * the parts' digests hash to the file's entry in the manifest.
 */
static int
check_parts(struct ws_archive *a, const char *dir, const struct ws_backup_manifest *m,
			const struct ws_backup_entry *e, struct ws_buf *obj, char *problem, size_t plen,
			struct ws_error *err)
{
	int parts = WS_BACKUP_PARTS(m, e->size);
	char objpath[WS_BACKUP_PATH_MAX + 64];
	uint8_t *digests = calloc((size_t) parts, 32);
	uint64_t stored = 0;
	char got[65];
	int rc = WS_OK;

	problem[0] = '\0';
	if (digests == NULL)
		return ws_error_set(err, WS_ERR_NOMEM, "out of memory");
	for (int k = 1; rc == WS_OK && k <= parts && problem[0] == '\0'; k++) {
		uint64_t off = (uint64_t) (k - 1) * m->part_size;
		uint64_t len = e->size - off < m->part_size ? e->size - off : m->part_size;
		char partproblem[WS_ERROR_MSG_MAX];

		rc = ws_backup_object_path(dir, e->path, k, objpath, sizeof(objpath), err);
		if (rc == WS_OK)
			rc = check_backup_object(a, objpath, len, e->stored, NULL,
									 digests + (size_t) (k - 1) * 32, obj, partproblem,
									 sizeof(partproblem), err);
		if (rc == WS_OK && partproblem[0] != '\0')
			snprintf(problem, plen, "part %d: %.900s", k, partproblem);
		stored += obj->len;
	}
	if (rc == WS_OK && problem[0] == '\0') {
		rc = ws_backup_parts_hash(digests, parts, got, err);
		if (rc == WS_OK && strcmp(got, e->sha256) != 0)
			snprintf(problem, plen, "parts hash to %s, the manifest records %s", got, e->sha256);
		else if (rc == WS_OK && stored != e->stored)
			snprintf(problem, plen, "parts have %llu bytes, the manifest records %llu stored",
					 (unsigned long long) stored, (unsigned long long) e->stored);
	}
	free(digests);
	return rc;
}

/* Job: one file of a backup, or its backup_manifest. */
static int
verify_file(struct verifier *v, struct ws_archive *a, size_t i, struct ws_buf *obj,
			struct ws_error *err)
{
	const struct file_job *j = &v->files[i];
	const struct ws_backup_manifest *m = &v->cat.backups[j->backup];
	const struct ws_backup_entry *e = j->entry == PG_MANIFEST ? NULL : &m->entries[j->entry];
	struct ws_verify_backup *b = &v->rep->backups[j->backup];
	char dir[WS_BACKUP_PATH_MAX];
	char objpath[WS_BACKUP_PATH_MAX + 64];
	char problem[WS_ERROR_MSG_MAX];
	int rc;

	if ((rc = ws_backup_dir(a->stanza.name, m->label, dir, sizeof(dir), err)) != WS_OK)
		return rc;
	if (e != NULL && WS_BACKUP_PARTS(m, e->size) > 0)
		rc = check_parts(a, dir, m, e, obj, problem, sizeof(problem), err);
	else if (e != NULL) {
		rc = ws_backup_object_path(dir, e->path, 0, objpath, sizeof(objpath), err);
		if (rc == WS_OK)
			rc = check_backup_object(a, objpath, e->size, e->stored, e->sha256, NULL, obj,
									 problem, sizeof(problem), err);
	} else {
		snprintf(objpath, sizeof(objpath), "%s/backup_manifest.ws", dir);
		rc = check_backup_object(a, objpath, m->pg_manifest_size, m->pg_manifest_stored,
								 m->pg_manifest_sha256, NULL, obj, problem, sizeof(problem), err);
	}
	if (rc != WS_OK)
		return rc;
	pthread_mutex_lock(&v->mutex);
	if (e != NULL) {
		b->files_checked++;
		b->bytes_checked += e->size;
	}
	if (problem[0] != '\0')
		rc = note(&b->problems, WS_VERIFY_FILE, 0, e != NULL ? e->path : "backup_manifest", err,
				  "%s", problem);
	pthread_mutex_unlock(&v->mutex);
	return rc;
}

/* Decode a WAL object and verify it the way archive-get does before placing it. */
static int
check_wal_object(struct ws_archive *a, const struct ws_stanza_db *db, struct wal_obj *w,
				 struct ws_buf *obj, char *problem, size_t plen, struct ws_error *err)
{
	const uint8_t *key = a->stanza.encrypted ? a->key : NULL;
	struct ws_object_header h;
	struct ws_error derr;
	int rc;

	problem[0] = '\0';
	w->state = WAL_BAD;
	scratch_prepare(obj, ws_archive_object_max(db));
	rc = ws_storage_get(a->repo, w->path, obj, err);
	if (rc == WS_ERR_NOT_FOUND) {
		w->state = WAL_MISSING;
		snprintf(problem, plen, "object is missing from the repository");
		return WS_OK;
	}
	if (rc == WS_ERR_TOO_LARGE) {
		snprintf(problem, plen, "object is larger than any WAL file of this cluster");
		return WS_OK;
	}
	if (rc != WS_OK)
		return rc;
	if (ws_wal_is_segment_name(w->name) || ws_wal_is_partial_name(w->name)) {
		struct ws_segment_start sink;

		memset(&sink, 0, sizeof(sink));
		rc = ws_object_decode_to(obj->data, obj->len, key, db->wal_segment_size, to_nowhere,
								 &sink, &h, &derr);
		if (rc == WS_OK)
			rc = ws_archive_verify_segment_head(db, w->name, sink.head, sink.headlen, sink.total,
												&derr);
	} else {
		/* history and .backup files are small and parsed whole */
		struct ws_buf data;

		ws_buf_init(&data, WS_SMALL_WAL_FILE_MAX);
		rc = ws_object_decode(obj->data, obj->len, key, WS_SMALL_WAL_FILE_MAX, &data, &h, &derr);
		if (rc == WS_OK)
			rc = ws_archive_verify_wal(db, w->name, &data, &derr);
		ws_buf_free(&data);
	}
	if (rc == WS_ERR_NOMEM) {
		*err = derr;
		return rc;
	}
	if (rc != WS_OK) {
		ws_strlcpy(problem, derr.message, plen);
		return WS_OK;
	}
	w->state = WAL_OK;
	return WS_OK;
}

/* Job: one WAL object. */
static int
verify_wal(struct verifier *v, struct ws_archive *a, size_t i, struct ws_buf *obj,
		   struct ws_error *err)
{
	struct wal_obj *w = &v->wal[i];
	struct ws_verify_report *rep = v->rep;
	char problem[WS_ERROR_MSG_MAX];
	bool segment = ws_wal_is_segment_name(w->name) || ws_wal_is_partial_name(w->name);
	int rc;

	rc = check_wal_object(a, &a->stanza.dbs[w->db_index], w, obj, problem, sizeof(problem), err);
	if (rc != WS_OK)
		return rc;
	pthread_mutex_lock(&v->mutex);
	if (w->state != WAL_MISSING) {
		if (segment)
			rep->segments_checked++;
		else
			rep->other_wal_checked++;
	}
	/* with --set, a missing segment is the backup's problem, reported there */
	if (w->state == WAL_BAD || (w->state == WAL_MISSING && rep->set == NULL))
		rc = note(&rep->wal_problems, WS_VERIFY_WAL, w->db_id, w->name, err, "%s", problem);
	pthread_mutex_unlock(&v->mutex);
	return rc;
}

/* ---- workers ---- */

static void
fail(struct verifier *v, const struct ws_error *err)
{
	pthread_mutex_lock(&v->mutex);
	if (!v->failed) {
		v->failed = true;
		v->err = *err;
	}
	pthread_mutex_unlock(&v->mutex);
}

static void
work(struct verifier *v, struct ws_archive *a)
{
	struct ws_buf scratch;
	struct ws_error err;

	ws_buf_init(&scratch, 0);
	for (;;) {
		size_t i;

		pthread_mutex_lock(&v->mutex);
		if (v->failed || v->next >= v->njobs) {
			pthread_mutex_unlock(&v->mutex);
			break;
		}
		i = v->next++;
		pthread_mutex_unlock(&v->mutex);
		if (v->job(v, a, i, &scratch, &err) != WS_OK)
			fail(v, &err);
	}
	ws_buf_free(&scratch);
}

struct worker {
	struct verifier *v;
	struct ws_archive own;
	pthread_t thread;
};

/*
 * A worker beyond the caller's thread reads through its own connection
 * (an S3 handle is not shared) but the same stanza and key: no second key
 * derivation.
 */
static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	struct ws_error err;

	if (ws_archive_clone(w->v->a, w->v->opts->cfg, &w->own, &err) != WS_OK)
		fail(w->v, &err);
	else
		work(w->v, &w->own);
	ws_archive_close(&w->own);
	return NULL;
}

static int
run_jobs(struct verifier *v, size_t njobs, job_fn job, struct ws_error *err)
{
	struct worker workers[MAX_THREADS - 1];
	const struct ws_verify_options *o = v->opts;
	int n = o != NULL && o->cfg != NULL && o->threads > 1 ? o->threads : 1;
	int started = 0;

	if (n > MAX_THREADS)
		n = MAX_THREADS;
	if ((size_t) n > njobs)
		n = njobs == 0 ? 1 : (int) njobs;
	v->job = job;
	v->njobs = njobs;
	v->next = 0;
	for (; started < n - 1; started++) {
		workers[started].v = v;
		if (pthread_create(&workers[started].thread, NULL, worker_main, &workers[started]) != 0)
			break;
	}
	work(v, v->a);
	for (int i = 0; i < started; i++)
		pthread_join(workers[i].thread, NULL);
	if (v->failed) {
		*err = v->err;
		return err->status;
	}
	return WS_OK;
}

/* ---- collecting the jobs ---- */

static int
add_file_job(struct verifier *v, size_t backup, size_t entry, struct ws_error *err)
{
	if (v->nfiles == v->capfiles) {
		size_t cap = v->capfiles ? v->capfiles * 2 : 1024;
		void *p = realloc(v->files, cap * sizeof(*v->files));

		if (p == NULL)
			return ws_error_set(err, WS_ERR_NOMEM, "out of memory");
		v->files = p;
		v->capfiles = cap;
	}
	v->files[v->nfiles].backup = backup;
	v->files[v->nfiles].entry = entry;
	v->nfiles++;
	return WS_OK;
}

/* The report's entry for each backup, and a job for each of its files. */
static int
collect_backups(struct verifier *v, struct ws_error *err)
{
	const struct ws_stanza_info *stanza = &v->a->stanza;
	struct ws_verify_report *rep = v->rep;
	int rc = WS_OK;

	if (v->cat.n > 0 && (rep->backups = calloc(v->cat.n, sizeof(*rep->backups))) == NULL)
		return ws_error_set(err, WS_ERR_NOMEM, "out of memory");
	rep->nbackups = v->cat.n;
	if (v->cat.nincomplete > 0) {
		rep->incomplete = calloc(v->cat.nincomplete, sizeof(*rep->incomplete));
		if (rep->incomplete == NULL)
			return ws_error_set(err, WS_ERR_NOMEM, "out of memory");
		memcpy(rep->incomplete, v->cat.incomplete, v->cat.nincomplete * sizeof(*rep->incomplete));
		rep->nincomplete = v->cat.nincomplete;
	}
	for (size_t i = 0; rc == WS_OK && i < v->cat.n; i++) {
		const struct ws_backup_manifest *m = &v->cat.backups[i];
		struct ws_verify_backup *b = &rep->backups[i];

		ws_strlcpy(b->label, m->label, sizeof(b->label));
		ws_strlcpy(b->wal_start, m->wal_start, sizeof(b->wal_start));
		ws_strlcpy(b->wal_stop, m->wal_stop, sizeof(b->wal_stop));
		if (find_db(stanza, m->db_id, NULL) == NULL)
			rc = note(&b->problems, WS_VERIFY_BACKUP, m->db_id, "", err,
					  "its cluster (archive id %d) is not in stanza.info", m->db_id);
		if (rc == WS_OK && m->encrypted != stanza->encrypted) {
			/* every file would fail the same way: say it once */
			rc = note(&b->problems, WS_VERIFY_BACKUP, 0, "", err,
					  "the backup is %s but the stanza is %s: its files were not checked",
					  m->encrypted ? "encrypted" : "not encrypted",
					  stanza->encrypted ? "encrypted" : "not encrypted");
			continue;
		}
		for (size_t e = 0; rc == WS_OK && e < m->nentries; e++) {
			if (m->entries[e].type == WS_ENTRY_FILE)
				rc = add_file_job(v, i, e, err);
		}
		if (rc == WS_OK && m->pg_manifest_sha256[0] != '\0')
			rc = add_file_job(v, i, PG_MANIFEST, err);
	}
	return rc;
}

static int
add_wal(struct verifier *v, int db_id, int db_index, const char *name, const char *path,
		struct ws_error *err)
{
	struct wal_obj *w;

	if (v->nwal == v->capwal) {
		size_t cap = v->capwal ? v->capwal * 2 : 1024;
		void *p = realloc(v->wal, cap * sizeof(*v->wal));

		if (p == NULL)
			return ws_error_set(err, WS_ERR_NOMEM, "out of memory");
		v->wal = p;
		v->capwal = cap;
	}
	w = &v->wal[v->nwal];
	memset(w, 0, sizeof(*w));
	w->db_id = db_id;
	w->db_index = db_index;
	ws_strlcpy(w->name, name, sizeof(w->name));
	if ((w->path = strdup(path)) == NULL)
		return ws_error_set(err, WS_ERR_NOMEM, "out of memory");
	v->nwal++;
	return WS_OK;
}

/*
 * path: "<stanza>/archive/<version>-<id>/[<dir>/]<name>.ws". An object
 * archive-get would never find (unknown id, wrong directory) is a problem
 * and is not verified: for recovery it does not exist.
 */
static int
list_visit(const char *path, const struct ws_storage_info *info, void *arg, struct ws_error *err)
{
	struct verifier *v = arg;
	const char *rel = path + v->prefix_len;
	const struct ws_stanza_db *db;
	const char *base;
	char name[64];
	char want[512];
	int version, id, index = -1;
	size_t len;

	(void) info;
	if (strlen(path) <= v->prefix_len || sscanf(rel, "%d-%d/", &version, &id) != 2 ||
		(base = strrchr(rel, '/')) == NULL)
		return WS_OK;           /* not ours: ignore */
	base++;
	len = strlen(base);
	if (!ws_str_has_suffix(base, WS_OBJECT_SUFFIX) || len - strlen(WS_OBJECT_SUFFIX) >= sizeof(name))
		return WS_OK;
	memcpy(name, base, len - strlen(WS_OBJECT_SUFFIX));
	name[len - strlen(WS_OBJECT_SUFFIX)] = '\0';
	if (!ws_archive_is_wal_name(name))
		return WS_OK;
	if ((db = find_db(&v->a->stanza, id, &index)) == NULL)
		return note(&v->rep->wal_problems, WS_VERIFY_WAL, id, name, err,
					"stored as \"%s\", but archive id %d is not in stanza.info", path, id);
	if (ws_archive_object_path(v->a, db, name, want, sizeof(want), err) != WS_OK)
		return err->status;
	if (strcmp(want, path) != 0)
		return note(&v->rep->wal_problems, WS_VERIFY_WAL, id, name, err,
					"stored as \"%s\", where archive-get does not look (it reads \"%s\")", path, want);
	return add_wal(v, id, index, name, path, err);
}

static int
compare_wal(const void *x, const void *y)
{
	const struct wal_obj *p = x;
	const struct wal_obj *q = y;

	if (p->db_id != q->db_id)
		return p->db_id < q->db_id ? -1 : 1;
	return strcmp(p->name, q->name);
}

/* Every WAL object of the stanza, from one listing. */
static int
collect_archive(struct verifier *v, struct ws_error *err)
{
	char prefix[WS_STANZA_NAME_MAX + 16];
	int rc;

	snprintf(prefix, sizeof(prefix), "%s/archive", v->a->stanza.name);
	v->prefix_len = strlen(prefix) + 1;
	rc = v->a->repo->ops->list(v->a->repo, prefix, list_visit, v, err);
	if (rc == WS_OK && v->nwal > 1)
		qsort(v->wal, v->nwal, sizeof(*v->wal), compare_wal);
	return rc;
}

/*
 * The segment numbers a backup needs. Like the backup itself, the last one
 * is looked for on the stop timeline. false when the manifest's range does
 * not make sense for its cluster.
 */
static bool
backup_range(const struct ws_backup_manifest *m, const struct ws_stanza_db *db, ws_segno *first,
			 ws_segno *last)
{
	struct ws_error ignored;
	uint32_t tli;

	return ws_wal_segment_parse(m->wal_start, db->wal_segment_size, &tli, first, &ignored) == WS_OK &&
		ws_wal_segment_parse(m->wal_stop, db->wal_segment_size, &tli, last, &ignored) == WS_OK &&
		*first <= *last && *last - *first < MAX_RANGE_SEGMENTS;
}

static int
range_name(const struct ws_backup_manifest *m, const struct ws_stanza_db *db, ws_segno seg,
		   ws_segno last, char name[WS_WAL_FNAME_BUFLEN], struct ws_error *err)
{
	return ws_wal_segment_name(seg == last ? m->stop_timeline : m->timeline, seg,
							   db->wal_segment_size, name, err);
}

/* With --set: the backup's own WAL range, and nothing else of the archive. */
static int
collect_backup_wal(struct verifier *v, struct ws_error *err)
{
	const struct ws_backup_manifest *m = &v->cat.backups[0];
	const struct ws_stanza_db *db;
	char name[WS_WAL_FNAME_BUFLEN];
	char path[512];
	ws_segno first, last;
	int index;
	int rc = WS_OK;

	if ((db = find_db(&v->a->stanza, m->db_id, &index)) == NULL || !backup_range(m, db, &first, &last))
		return WS_OK;           /* noted by collect_backups or check_backup_wal */
	for (ws_segno seg = first; rc == WS_OK && seg <= last; seg++) {
		rc = range_name(m, db, seg, last, name, err);
		if (rc == WS_OK)
			rc = ws_archive_object_path(v->a, db, name, path, sizeof(path), err);
		if (rc == WS_OK)
			rc = add_wal(v, m->db_id, index, name, path, err);
	}
	if (rc == WS_OK && v->nwal > 1)
		qsort(v->wal, v->nwal, sizeof(*v->wal), compare_wal);
	return rc;
}

/* ---- the archive as a whole ---- */

struct seg_key {
	int db_id;
	uint32_t tli;
	uint32_t segsize;
	ws_segno segno;
};

static int
compare_segs(const void *x, const void *y)
{
	const struct seg_key *p = x;
	const struct seg_key *q = y;

	if (p->db_id != q->db_id)
		return p->db_id < q->db_id ? -1 : 1;
	if (p->tli != q->tli)
		return p->tli < q->tli ? -1 : 1;
	return p->segno < q->segno ? -1 : p->segno > q->segno;
}

static int
add_gap(struct ws_verify_report *rep, const struct seg_key *before, ws_segno next,
		struct ws_error *err)
{
	struct ws_verify_gap *g;
	int rc;

	rep->gaps_total++;
	if (rep->ngaps >= WS_VERIFY_KEEP)
		return WS_OK;
	if (rep->gaps == NULL && (rep->gaps = calloc(WS_VERIFY_KEEP, sizeof(*rep->gaps))) == NULL)
		return ws_error_set(err, WS_ERR_NOMEM, "out of memory");
	g = &rep->gaps[rep->ngaps++];
	g->db_id = before->db_id;
	g->tli = before->tli;
	g->segments = next - before->segno - 1;
	rc = ws_wal_segment_name(before->tli, before->segno + 1, before->segsize, g->first, err);
	if (rc == WS_OK)
		rc = ws_wal_segment_name(before->tli, next - 1, before->segsize, g->last, err);
	return rc;
}

/* Per cluster and timeline, what is missing between the first and last segment. */
static int
find_gaps(struct verifier *v, struct ws_error *err)
{
	struct seg_key *segs;
	size_t n = 0;
	int rc = WS_OK;

	if (v->nwal == 0)
		return WS_OK;
	if ((segs = calloc(v->nwal, sizeof(*segs))) == NULL)
		return ws_error_set(err, WS_ERR_NOMEM, "out of memory");
	for (size_t i = 0; i < v->nwal; i++) {
		const struct ws_stanza_db *db = &v->a->stanza.dbs[v->wal[i].db_index];
		struct ws_error ignored;

		/* a name invalid for the cluster's segment size failed verification already */
		if (!ws_wal_is_segment_name(v->wal[i].name) ||
			ws_wal_segment_parse(v->wal[i].name, db->wal_segment_size, &segs[n].tli,
								 &segs[n].segno, &ignored) != WS_OK)
			continue;
		segs[n].db_id = v->wal[i].db_id;
		segs[n].segsize = db->wal_segment_size;
		n++;
	}
	if (n > 1)
		qsort(segs, n, sizeof(*segs), compare_segs);
	for (size_t i = 1; rc == WS_OK && i < n; i++) {
		if (segs[i].db_id == segs[i - 1].db_id && segs[i].tli == segs[i - 1].tli &&
			segs[i].segno > segs[i - 1].segno + 1)
			rc = add_gap(v->rep, &segs[i - 1], segs[i].segno, err);
	}
	free(segs);
	return rc;
}

static const struct wal_obj *
find_wal(const struct verifier *v, int db_id, const char *name)
{
	struct wal_obj key;

	memset(&key, 0, sizeof(key));
	key.db_id = db_id;
	ws_strlcpy(key.name, name, sizeof(key.name));
	return v->nwal == 0 ? NULL : bsearch(&key, v->wal, v->nwal, sizeof(*v->wal), compare_wal);
}

/* Every segment from wal-start to wal-stop is there and verified. */
static int
check_backup_wal(struct verifier *v, size_t bi, struct ws_error *err)
{
	const struct ws_backup_manifest *m = &v->cat.backups[bi];
	struct ws_verify_backup *b = &v->rep->backups[bi];
	const struct ws_stanza_db *db = find_db(&v->a->stanza, m->db_id, NULL);
	char name[WS_WAL_FNAME_BUFLEN];
	ws_segno first, last;
	int rc = WS_OK;

	if (db == NULL)
		return WS_OK;           /* noted by collect_backups */
	if (!backup_range(m, db, &first, &last))
		return note(&b->problems, WS_VERIFY_BACKUP, m->db_id, "", err,
					"its WAL range %s to %s does not fit its cluster", m->wal_start, m->wal_stop);
	for (ws_segno seg = first; rc == WS_OK && seg <= last; seg++) {
		const struct wal_obj *w;

		if ((rc = range_name(m, db, seg, last, name, err)) != WS_OK)
			break;
		w = find_wal(v, m->db_id, name);
		if (w == NULL || w->state == WAL_MISSING)
			rc = note(&b->problems, WS_VERIFY_WAL_MISSING, m->db_id, name, err,
					  "WAL segment %s is missing from the archive", name);
		else if (w->state != WAL_OK)
			rc = note(&b->problems, WS_VERIFY_WAL_BAD, m->db_id, name, err,
					  "WAL segment %s failed verification", name);
	}
	return rc;
}

/* ---- the whole ---- */

/* --set: exactly that backup, as a catalog of one. */
static int
load_one(struct ws_archive *a, const char *label, struct ws_backup_catalog *cat,
		 struct ws_error *err)
{
	struct ws_error ignored;
	int rc;

	if (ws_backup_label_check(label, &ignored) != WS_OK)
		return ws_error_set(err, WS_ERR_NOT_FOUND,
							"backup %s is not in the repository, or never completed", label);
	if ((cat->backups = calloc(1, sizeof(*cat->backups))) == NULL)
		return ws_error_set(err, WS_ERR_NOMEM, "out of memory");
	rc = ws_backup_manifest_load(a, label, &cat->backups[0], err);
	if (rc == WS_OK)
		cat->n = 1;
	else
		ws_backup_manifest_free(&cat->backups[0]);
	return rc;
}

static uint64_t
count_problems(struct ws_verify_report *rep)
{
	uint64_t n = rep->wal_problems.count + rep->gaps_total;

	sort_list(&rep->wal_problems);
	for (size_t i = 0; i < rep->nbackups; i++) {
		sort_list(&rep->backups[i].problems);
		n += rep->backups[i].problems.count;
	}
	return n;
}

int
ws_backup_verify_opts(struct ws_archive *a, const char *label,
					  const struct ws_verify_options *opts, struct ws_verify_report *rep,
					  struct ws_error *err)
{
	struct verifier v;
	int rc;

	memset(rep, 0, sizeof(*rep));
	memset(&v, 0, sizeof(v));
	rep->set = label;
	v.a = a;
	v.opts = opts;
	v.rep = rep;
	pthread_mutex_init(&v.mutex, NULL);

	rc = label != NULL ? load_one(a, label, &v.cat, err) : ws_backup_catalog_load(a, &v.cat, err);
	if (rc == WS_OK)
		rc = collect_backups(&v, err);
	if (rc == WS_OK)
		rc = label != NULL ? collect_backup_wal(&v, err) : collect_archive(&v, err);
	if (rc == WS_OK)
		rc = run_jobs(&v, v.nfiles, verify_file, err);
	if (rc == WS_OK)
		rc = run_jobs(&v, v.nwal, verify_wal, err);
	if (rc == WS_OK && label == NULL)
		rc = find_gaps(&v, err);
	for (size_t i = 0; rc == WS_OK && i < v.cat.n; i++)
		rc = check_backup_wal(&v, i, err);
	if (rc == WS_OK)
		rep->problems = count_problems(rep);

	for (size_t i = 0; i < v.nwal; i++)
		free(v.wal[i].path);
	free(v.wal);
	free(v.files);
	ws_backup_catalog_free(&v.cat);
	pthread_mutex_destroy(&v.mutex);
	return rc;
}

int
ws_backup_verify(struct ws_archive *a, const char *label, struct ws_verify_report *rep,
				 struct ws_error *err)
{
	return ws_backup_verify_opts(a, label, NULL, rep, err);
}
