/*
 * expire.c — retention of backups and archived WAL (expire.h)
 */
#include "backup/expire.h"

#include <errno.h>
#include <ftw.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "archive/archive.h"
#include "backup/backup.h"
#include "backup/catalog.h"
#include "backup/target.h"
#include "common/str.h"
#include "storage/storage_config.h"

#define SECONDS_PER_DAY 86400

/* ---- planning ---- */

/* When the backup was started, from its label ("YYYYMMDD-HHMMSSF", UTC); -1 if unreadable. */
static int64_t
label_time(const char *label)
{
	struct ws_error ignored;
	char text[32];
	int64_t t;

	if (ws_backup_label_check(label, &ignored) != WS_OK)
		return -1;
	if (ws_snprintf(text, sizeof(text), "%.4s-%.2s-%.2s %.2s:%.2s:%.2s+00", label, label + 4,
					label + 6, label + 9, label + 11, label + 13) != WS_OK ||
		ws_target_time_parse(text, &t, &ignored) != WS_OK)
		return -1;
	return t;
}

/*
 * The newest backup that stopped before the age window opens: recovery to
 * a time early in the window starts from it. SIZE_MAX when none did.
 */
static size_t
age_anchor(const struct ws_backup_manifest *backups, size_t n, int64_t window_start)
{
	size_t anchor = SIZE_MAX;

	for (size_t i = 0; i < n; i++) {
		if (backups[i].stop_time < window_start &&
			(anchor == SIZE_MAX || backups[i].stop_time >= backups[anchor].stop_time))
			anchor = i;
	}
	return anchor;
}

static enum ws_expire_reason
backup_fate(const struct ws_backup_manifest *backups, size_t n, size_t i, size_t anchor,
			const struct ws_expire_policy *p)
{
	int64_t window_start = p->now - (int64_t) p->retention_days * SECONDS_PER_DAY;
	bool by_count = p->retention_full > 0 && n - i <= (size_t) p->retention_full;
	bool by_age = p->retention_days > 0 && (backups[i].stop_time >= window_start || i == anchor);

	/* no rule: keep everything; the newest backup always stays */
	if ((p->retention_full == 0 && p->retention_days == 0) || i == n - 1 || by_count || by_age)
		return WS_EXPIRE_KEEP;
	if (p->retention_full > 0 && p->retention_days > 0)
		return WS_EXPIRE_COUNT_AND_AGE;
	return p->retention_full > 0 ? WS_EXPIRE_COUNT : WS_EXPIRE_AGE;
}

/* A leftover when nothing happened to it for the grace period; a younger one may be running. */
static enum ws_expire_reason
partial_fate(const struct ws_expire_partial *b, int64_t now)
{
	int64_t started = label_time(b->label);
	int64_t active = started > b->last_write ? started : b->last_write;

	if (started < 0 || now - active <= WS_EXPIRE_INCOMPLETE_GRACE)
		return WS_EXPIRE_KEEP;
	return WS_EXPIRE_INCOMPLETE;
}

/* Segment position without the timeline: names compare in WAL order across timelines. */
static int
compare_position(const char *a, const char *b)
{
	return strncmp(a + 8, b + 8, 16);
}

/* Lower the cluster's cut to the backup's start segment, if it starts earlier. */
static void
add_cut(struct ws_expire_plan *plan, const struct ws_backup_manifest *b)
{
	struct ws_expire_cut *c;

	for (int i = 0; i < plan->ncuts; i++) {
		c = &plan->cuts[i];
		if (c->db_id == b->db_id) {
			if (compare_position(b->wal_start, c->first_kept) < 0)
				ws_strlcpy(c->first_kept, b->wal_start, sizeof(c->first_kept));
			return;
		}
	}
	/* a stanza has at most WS_STANZA_MAX_DBS clusters; a stranger keeps its WAL */
	if (plan->ncuts == WS_STANZA_MAX_DBS)
		return;
	c = &plan->cuts[plan->ncuts++];
	c->db_id = b->db_id;
	ws_strlcpy(c->first_kept, b->wal_start, sizeof(c->first_kept));
}

static void
plan_wal(const struct ws_backup_manifest *backups, const struct ws_expire_partial *partial,
		 struct ws_expire_plan *plan)
{
	plan->min_kept_db_id = 0;
	if (plan->nbackups == 0) {
		plan->wal_hold = WS_EXPIRE_WAL_NO_BACKUP;
		return;
	}
	for (size_t i = 0; i < plan->nincomplete; i++) {
		if (plan->incomplete[i] == WS_EXPIRE_KEEP) {
			plan->wal_hold = WS_EXPIRE_WAL_RUNNING;
			ws_strlcpy(plan->running_label, partial[i].label, sizeof(plan->running_label));
			return;
		}
	}
	for (size_t i = 0; i < plan->nbackups; i++) {
		if (plan->backups[i] != WS_EXPIRE_KEEP)
			continue;
		add_cut(plan, &backups[i]);
		if (plan->min_kept_db_id == 0 || backups[i].db_id < plan->min_kept_db_id)
			plan->min_kept_db_id = backups[i].db_id;
	}
}

int
ws_expire_plan_make(const struct ws_backup_manifest *backups, size_t n,
					const struct ws_expire_partial *partial, size_t npartial,
					const struct ws_expire_policy *policy, struct ws_expire_plan *plan,
					struct ws_error *err)
{
	int64_t window_start = policy->now - (int64_t) policy->retention_days * SECONDS_PER_DAY;
	size_t anchor = age_anchor(backups, n, window_start);

	memset(plan, 0, sizeof(*plan));
	plan->backups = calloc(n + 1, sizeof(*plan->backups));
	plan->incomplete = calloc(npartial + 1, sizeof(*plan->incomplete));
	if (plan->backups == NULL || plan->incomplete == NULL) {
		ws_expire_plan_free(plan);
		return ws_error_set(err, WS_ERR_NOMEM, "out of memory");
	}
	plan->nbackups = n;
	plan->nincomplete = npartial;
	for (size_t i = 0; i < n; i++) {
		plan->backups[i] = backup_fate(backups, n, i, anchor, policy);
		plan->nexpire += plan->backups[i] != WS_EXPIRE_KEEP;
	}
	for (size_t i = 0; i < npartial; i++) {
		plan->incomplete[i] = partial_fate(&partial[i], policy->now);
		plan->nincomplete_expire += plan->incomplete[i] != WS_EXPIRE_KEEP;
	}
	plan_wal(backups, partial, plan);
	return WS_OK;
}

void
ws_expire_plan_free(struct ws_expire_plan *plan)
{
	free(plan->backups);
	free(plan->incomplete);
	memset(plan, 0, sizeof(*plan));
}

bool
ws_expire_wal_goes(const struct ws_expire_plan *plan, int db_id, const char *name)
{
	/* every timeline's history stays: restores follow them, and they are tiny */
	if (plan->wal_hold != WS_EXPIRE_WAL_FREE || ws_wal_is_history_name(name))
		return false;
	if (!ws_wal_is_segment_name(name) && !ws_wal_is_partial_name(name) &&
		!ws_wal_is_backup_history_name(name))
		return false;
	/* an older cluster's WAL replays into no kept backup */
	if (db_id < plan->min_kept_db_id)
		return true;
	for (int i = 0; i < plan->ncuts; i++) {
		if (plan->cuts[i].db_id == db_id)
			return compare_position(name, plan->cuts[i].first_kept) < 0;
	}
	return false;
}

void
ws_expire_reason_text(enum ws_expire_reason reason, const struct ws_expire_policy *policy,
					  char *buf, size_t size)
{
	switch (reason) {
	case WS_EXPIRE_KEEP:
		snprintf(buf, size, "kept");
		break;
	case WS_EXPIRE_COUNT:
		snprintf(buf, size, "beyond repo-retention-full = %d", policy->retention_full);
		break;
	case WS_EXPIRE_AGE:
		snprintf(buf, size, "not needed within repo-retention-days = %d", policy->retention_days);
		break;
	case WS_EXPIRE_COUNT_AND_AGE:
		snprintf(buf, size, "beyond repo-retention-full = %d and not needed within repo-retention-days = %d",
				 policy->retention_full, policy->retention_days);
		break;
	case WS_EXPIRE_INCOMPLETE:
		snprintf(buf, size, "incomplete, nothing written to it for over an hour");
		break;
	}
}

/* ---- reading the repository ---- */

/* Objects and bytes per backup directory, and when an incomplete one was last written. */
struct usage_walk {
	struct ws_expire *x;
	size_t prefix_len;
};

static bool
label_is(const char *label, const char *rel, size_t len)
{
	return strlen(label) == len && memcmp(label, rel, len) == 0;
}

static int
usage_visit(const char *path, const struct ws_storage_info *info, void *arg, struct ws_error *err)
{
	struct usage_walk *w = arg;
	struct ws_expire *x = w->x;
	const char *rel = path + w->prefix_len;
	const char *slash;
	size_t len;

	(void) err;
	if (strlen(path) <= w->prefix_len || (slash = strchr(rel, '/')) == NULL)
		return WS_OK;
	len = (size_t) (slash - rel);
	for (size_t i = 0; i < x->nbackups; i++) {
		if (label_is(x->backups[i].label, rel, len)) {
			x->usage[i].objects++;
			x->usage[i].bytes += info->size;
			return WS_OK;
		}
	}
	for (size_t i = 0; i < x->npartial; i++) {
		if (label_is(x->partial[i].label, rel, len)) {
			x->partial_usage[i].objects++;
			x->partial_usage[i].bytes += info->size;
			if ((int64_t) info->mtime > x->partial[i].last_write)
				x->partial[i].last_write = (int64_t) info->mtime;
			return WS_OK;
		}
	}
	return WS_OK;
}

/* The catalog's backups become ours; incomplete labels get room for their last write. */
static int
load_backups(struct ws_expire *x, struct ws_error *err)
{
	struct ws_backup_catalog cat;
	struct ws_archive a;
	char prefix[WS_STANZA_NAME_MAX + 16];
	struct usage_walk w;
	int rc;

	memset(&a, 0, sizeof(a));
	a.repo = x->repo;
	a.stanza = x->stanza;
	a.log = x->log;
	if ((rc = ws_backup_catalog_load(&a, &cat, err)) != WS_OK)
		return rc;
	x->backups = cat.backups;
	x->nbackups = cat.n;
	x->npartial = cat.nincomplete;
	x->partial = calloc(cat.nincomplete + 1, sizeof(*x->partial));
	x->usage = calloc(cat.n + 1, sizeof(*x->usage));
	x->partial_usage = calloc(cat.nincomplete + 1, sizeof(*x->partial_usage));
	for (size_t i = 0; x->partial != NULL && i < cat.nincomplete; i++)
		ws_strlcpy(x->partial[i].label, cat.incomplete[i], sizeof(x->partial[i].label));
	free(cat.incomplete);
	if (x->partial == NULL || x->usage == NULL || x->partial_usage == NULL)
		return ws_error_set(err, WS_ERR_NOMEM, "out of memory");

	snprintf(prefix, sizeof(prefix), "%s/backup", x->stanza.name);
	w.x = x;
	w.prefix_len = strlen(prefix) + 1;
	return x->repo->ops->list(x->repo, prefix, usage_visit, &w, err);
}

static int
add_object(struct ws_expire_object **objs, size_t *n, size_t *cap, const char *path,
		   uint64_t size, struct ws_error *err)
{
	if (*n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 64;
		struct ws_expire_object *grown = realloc(*objs, ncap * sizeof(**objs));

		if (grown == NULL)
			return ws_error_set(err, WS_ERR_NOMEM, "out of memory");
		*objs = grown;
		*cap = ncap;
	}
	(*objs)[*n].path = strdup(path);
	if ((*objs)[*n].path == NULL)
		return ws_error_set(err, WS_ERR_NOMEM, "out of memory");
	(*objs)[*n].size = size;
	(*n)++;
	return WS_OK;
}

static void
free_objects(struct ws_expire_object *objs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(objs[i].path);
	free(objs);
}

static int
compare_objects(const void *a, const void *b)
{
	return strcmp(((const struct ws_expire_object *) a)->path,
				  ((const struct ws_expire_object *) b)->path);
}

static struct ws_expire_wal_range *
range_for(struct ws_expire *x, int db_id, int version, uint32_t tli, struct ws_error *err)
{
	struct ws_expire_wal_range *r;

	for (size_t i = 0; i < x->nranges; i++) {
		if (x->ranges[i].db_id == db_id && x->ranges[i].tli == tli)
			return &x->ranges[i];
	}
	r = realloc(x->ranges, (x->nranges + 1) * sizeof(*x->ranges));
	if (r == NULL) {
		ws_error_set(err, WS_ERR_NOMEM, "out of memory");
		return NULL;
	}
	x->ranges = r;
	r = &x->ranges[x->nranges++];
	memset(r, 0, sizeof(*r));
	r->db_id = db_id;
	r->pg_version = version;
	r->tli = tli;
	return r;
}

static void
range_add(struct ws_expire_wal_range *r, const char *name, uint64_t size)
{
	r->bytes += size;
	if (!ws_wal_is_segment_name(name)) {
		r->other_files++;
		return;
	}
	r->segments++;
	if (r->first[0] == '\0' || strcmp(name, r->first) < 0)
		ws_strlcpy(r->first, name, sizeof(r->first));
	if (strcmp(name, r->last) > 0)
		ws_strlcpy(r->last, name, sizeof(r->last));
}

struct wal_walk {
	struct ws_expire *x;
	size_t prefix_len;
};

/* path: "<stanza>/archive/<version>-<id>[/<dir>]/<name>.ws"; anything else is not ours. */
static int
wal_visit(const char *path, const struct ws_storage_info *info, void *arg, struct ws_error *err)
{
	struct wal_walk *w = arg;
	const char *rel = path + w->prefix_len;
	const char *base = strrchr(path, '/');
	size_t suffix = strlen(WS_OBJECT_SUFFIX);
	struct ws_expire_wal_range *r;
	char name[64];
	char hex[9];
	int version, id;
	size_t len;

	if (strlen(path) <= w->prefix_len || sscanf(rel, "%d-%d/", &version, &id) != 2 || base == NULL)
		return WS_OK;
	base++;
	len = strlen(base);
	if (!ws_str_has_suffix(base, WS_OBJECT_SUFFIX) || len - suffix >= sizeof(name))
		return WS_OK;
	memcpy(name, base, len - suffix);
	name[len - suffix] = '\0';
	if (!ws_expire_wal_goes(&w->x->plan, id, name))
		return WS_OK;
	memcpy(hex, name, 8);
	hex[8] = '\0';
	if ((r = range_for(w->x, id, version, (uint32_t) strtoul(hex, NULL, 16), err)) == NULL)
		return err->status;
	range_add(r, name, info->size);
	return add_object(&w->x->wal, &w->x->nwal, &w->x->capwal, path, info->size, err);
}

static int
compare_ranges(const void *a, const void *b)
{
	const struct ws_expire_wal_range *x = a;
	const struct ws_expire_wal_range *y = b;

	if (x->db_id != y->db_id)
		return x->db_id < y->db_id ? -1 : 1;
	return x->tli < y->tli ? -1 : x->tli > y->tli;
}

static int
find_wal(struct ws_expire *x, struct ws_error *err)
{
	char prefix[WS_STANZA_NAME_MAX + 16];
	struct wal_walk w;
	int rc;

	snprintf(prefix, sizeof(prefix), "%s/archive", x->stanza.name);
	w.x = x;
	w.prefix_len = strlen(prefix) + 1;
	rc = x->repo->ops->list(x->repo, prefix, wal_visit, &w, err);
	if (rc != WS_OK)
		return rc;
	/* oldest first, so an interrupted run leaves no hole in the archive */
	if (x->nwal > 1)
		qsort(x->wal, x->nwal, sizeof(*x->wal), compare_objects);
	if (x->nranges > 1)
		qsort(x->ranges, x->nranges, sizeof(*x->ranges), compare_ranges);
	return WS_OK;
}

int
ws_expire_prepare(const struct ws_config *cfg, struct ws_log *log, struct ws_expire *x,
				  struct ws_error *err)
{
	int rc;

	memset(x, 0, sizeof(*x));
	x->log = log;
	x->policy.retention_full = (int) ws_config_int(cfg, WS_OPT_REPO_RETENTION_FULL);
	x->policy.retention_days = (int) ws_config_int(cfg, WS_OPT_REPO_RETENTION_DAYS);
	x->policy.now = (int64_t) time(NULL);
	if (strcmp(ws_config_str(cfg, WS_OPT_REPO_TYPE), "posix") == 0)
		ws_strlcpy(x->local_root, ws_config_str(cfg, WS_OPT_REPO_PATH), sizeof(x->local_root));
	/* no key needed: expire reads manifests and names, never WAL or file contents */
	rc = ws_storage_open_repo(cfg, &x->repo, err);
	if (rc == WS_OK)
		rc = ws_stanza_load(x->repo, ws_config_str(cfg, WS_OPT_STANZA), &x->stanza, err);
	if (rc == WS_OK)
		rc = load_backups(x, err);
	if (rc == WS_OK)
		rc = ws_expire_plan_make(x->backups, x->nbackups, x->partial, x->npartial, &x->policy,
								 &x->plan, err);
	if (rc == WS_OK && x->plan.wal_hold == WS_EXPIRE_WAL_FREE)
		rc = find_wal(x, err);
	if (rc != WS_OK)
		ws_expire_free(x);
	return rc;
}

/* ---- removing ---- */

/* nftw gives no argument: the callback only removes directories that are empty. */
static int
rmdir_empty(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void) st;
	(void) ftw;
	if (type == FTW_DP)
		(void) rmdir(path);
	return 0;
}

/*
 * A posix repository keeps the directories its objects were in; once a
 * backup's objects are gone its directory tree goes too. Only empty
 * directories are removed, so a concurrent writer loses nothing.
 */
static void
prune_backup_dirs(const struct ws_expire *x, const char *dir)
{
	char full[sizeof(x->local_root) + WS_BACKUP_PATH_MAX + 2];

	if (x->local_root[0] == '\0' ||
		ws_snprintf(full, sizeof(full), "%s/%s", x->local_root, dir) != WS_OK)
		return;
	(void) nftw(full, rmdir_empty, 16, FTW_DEPTH | FTW_PHYS);
}

/* "<...>/0000000100000000": a per-log directory of the archive, never a cluster's own. */
static bool
is_log_dir(const char *path, size_t len)
{
	if (len < 17 || path[len - 17] != '/')
		return false;
	for (size_t i = len - 16; i < len; i++) {
		if (!((path[i] >= '0' && path[i] <= '9') || (path[i] >= 'A' && path[i] <= 'F')))
			return false;
	}
	return true;
}

/*
 * The same for the archive's per-log directories that expire emptied; a
 * directory that still holds anything stays (rmdir refuses).
 */
static void
prune_wal_dirs(const struct ws_expire *x)
{
	char full[sizeof(x->local_root) + 1024];
	const char *prev = NULL;
	size_t prev_len = 0;

	if (x->local_root[0] == '\0')
		return;
	for (size_t i = 0; i < x->nwal; i++) {
		const char *path = x->wal[i].path;
		const char *slash = strrchr(path, '/');
		size_t len = slash ? (size_t) (slash - path) : 0;

		if (!is_log_dir(path, len) || (prev != NULL && len == prev_len && memcmp(path, prev, len) == 0))
			continue;
		prev = path;
		prev_len = len;
		if (ws_snprintf(full, sizeof(full), "%s/%.*s", x->local_root, (int) len, path) == WS_OK)
			(void) rmdir(full);
	}
}

struct collect_walk {
	struct ws_expire_object *objs;
	size_t n, cap;
	const char *dir;
	size_t dir_len;
};

static int
collect_visit(const char *path, const struct ws_storage_info *info, void *arg, struct ws_error *err)
{
	struct collect_walk *c = arg;

	/* an object store lists "<label>_2/..." under the prefix "<label>" too */
	if (strncmp(path, c->dir, c->dir_len) != 0 || path[c->dir_len] != '/')
		return WS_OK;
	return add_object(&c->objs, &c->n, &c->cap, path, info->size, err);
}

/*
 * The manifest goes first: from then on the backup is incomplete and no
 * restore picks it, however far the rest of the removal gets.
 */
static int
remove_backup(struct ws_expire *x, const char *label, struct ws_expire_result *res,
			  struct ws_error *err)
{
	char dir[WS_BACKUP_PATH_MAX];
	char manifest[WS_BACKUP_PATH_MAX + 32];
	struct ws_storage_info info;
	struct collect_walk c = {0};
	int rc;

	if ((rc = ws_backup_dir(x->stanza.name, label, dir, sizeof(dir), err)) != WS_OK)
		return rc;
	snprintf(manifest, sizeof(manifest), "%s/backup.manifest", dir);
	rc = x->repo->ops->info(x->repo, manifest, &info, err);
	if (rc == WS_OK && info.exists) {
		rc = x->repo->ops->remove(x->repo, manifest, err);
		res->bytes += info.size;
	}
	c.dir = dir;
	c.dir_len = strlen(dir);
	if (rc == WS_OK)
		rc = x->repo->ops->list(x->repo, dir, collect_visit, &c, err);
	for (size_t i = 0; rc == WS_OK && i < c.n; i++) {
		rc = x->repo->ops->remove(x->repo, c.objs[i].path, err);
		if (rc == WS_OK)
			res->bytes += c.objs[i].size;
	}
	free_objects(c.objs, c.n);
	if (rc != WS_OK)
		return ws_error_prefix(err, "could not expire backup %s", label);
	prune_backup_dirs(x, dir);
	ws_log_info(x->log, "expire", "removed backup %s", label);
	return WS_OK;
}

static int
remove_wal(struct ws_expire *x, struct ws_expire_result *res, struct ws_error *err)
{
	int rc;

	for (size_t i = 0; i < x->nwal; i++) {
		rc = x->repo->ops->remove(x->repo, x->wal[i].path, err);
		if (rc != WS_OK)
			return ws_error_prefix(err, "could not expire WAL \"%s\"", x->wal[i].path);
		res->wal_files++;
		res->bytes += x->wal[i].size;
	}
	prune_wal_dirs(x);
	if (x->nwal > 0)
		ws_log_info(x->log, "expire", "removed %zu archived WAL files", x->nwal);
	return WS_OK;
}

int
ws_expire_execute(struct ws_expire *x, struct ws_expire_result *res, struct ws_error *err)
{
	int rc;

	memset(res, 0, sizeof(*res));
	for (size_t i = 0; i < x->nbackups; i++) {
		if (x->plan.backups[i] == WS_EXPIRE_KEEP)
			continue;
		if ((rc = remove_backup(x, x->backups[i].label, res, err)) != WS_OK)
			return rc;
		res->backups++;
	}
	for (size_t i = 0; i < x->npartial; i++) {
		if (x->plan.incomplete[i] == WS_EXPIRE_KEEP)
			continue;
		if ((rc = remove_backup(x, x->partial[i].label, res, err)) != WS_OK)
			return rc;
		res->incomplete++;
	}
	return remove_wal(x, res, err);
}

void
ws_expire_totals(const struct ws_expire *x, struct ws_expire_result *res)
{
	memset(res, 0, sizeof(*res));
	for (size_t i = 0; i < x->nbackups; i++) {
		if (x->plan.backups[i] != WS_EXPIRE_KEEP) {
			res->backups++;
			res->bytes += x->usage[i].bytes;
		}
	}
	for (size_t i = 0; i < x->npartial; i++) {
		if (x->plan.incomplete[i] != WS_EXPIRE_KEEP) {
			res->incomplete++;
			res->bytes += x->partial_usage[i].bytes;
		}
	}
	for (size_t i = 0; i < x->nwal; i++) {
		res->wal_files++;
		res->bytes += x->wal[i].size;
	}
}

void
ws_expire_free(struct ws_expire *x)
{
	for (size_t i = 0; i < x->nbackups; i++)
		ws_backup_manifest_free(&x->backups[i]);
	free(x->backups);
	free(x->partial);
	free(x->usage);
	free(x->partial_usage);
	ws_expire_plan_free(&x->plan);
	free_objects(x->wal, x->nwal);
	free(x->ranges);
	ws_storage_free(x->repo);
	memset(x, 0, sizeof(*x));
}
