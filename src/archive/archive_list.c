/*
 * archive_list.c — summarize the archive from one listing
 */
#include "archive/archive_list.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/str.h"

struct walk {
	const struct ws_stanza_info *stanza;
	struct ws_archive_summary *sum;
	size_t prefix_len;
};

static struct ws_wal_range *
range_for(struct ws_archive_summary *sum, int db_id, uint32_t tli, struct ws_error *err)
{
	struct ws_wal_range *r;

	for (int i = 0; i < sum->nranges; i++) {
		if (sum->ranges[i].db_id == db_id && sum->ranges[i].tli == tli)
			return &sum->ranges[i];
	}
	if (sum->nranges >= WS_ARCHIVE_LIST_MAX_RANGES) {
		ws_error_set(err, WS_ERR_TOO_LARGE, "more than %d timelines in the archive",
					 WS_ARCHIVE_LIST_MAX_RANGES);
		return NULL;
	}
	r = &sum->ranges[sum->nranges++];
	memset(r, 0, sizeof(*r));
	r->db_id = db_id;
	r->tli = tli;
	return r;
}

/* Every WAL file name starts with its timeline in 8 hex digits. */
static uint32_t
name_tli(const char *name)
{
	char hex[9];

	memcpy(hex, name, 8);
	hex[8] = '\0';
	return (uint32_t) strtoul(hex, NULL, 16);
}

/* path: "<version>-<id>/<dir>/<name>.ws" or "<version>-<id>/<name>.ws" */
static int
visit(const char *path, const struct ws_storage_info *info, void *arg, struct ws_error *err)
{
	struct walk *w = arg;
	const char *rel = path + w->prefix_len;
	const char *base = strrchr(rel, '/');
	char name[64];
	int version;
	int id;
	struct ws_wal_range *r;
	size_t len;

	if (sscanf(rel, "%d-%d/", &version, &id) != 2 || base == NULL)
		return WS_OK;           /* not ours: ignore */
	base++;
	len = strlen(base);
	if (!ws_str_has_suffix(base, WS_OBJECT_SUFFIX) || len - strlen(WS_OBJECT_SUFFIX) >= sizeof(name))
		return WS_OK;
	memcpy(name, base, len - strlen(WS_OBJECT_SUFFIX));
	name[len - strlen(WS_OBJECT_SUFFIX)] = '\0';
	if (!ws_wal_is_segment_name(name) && !ws_wal_is_history_name(name) &&
		!ws_wal_is_partial_name(name) && !ws_wal_is_backup_history_name(name))
		return WS_OK;

	r = range_for(w->sum, id, name_tli(name), err);
	if (r == NULL)
		return err->status;
	r->stored_bytes += info->size;
	if (ws_wal_is_history_name(name)) {
		r->history_files++;
	} else if (!ws_wal_is_segment_name(name)) {
		r->other_files++;
	} else {
		r->count++;
		if (r->first[0] == '\0' || strcmp(name, r->first) < 0)
			ws_strlcpy(r->first, name, sizeof(r->first));
		if (strcmp(name, r->last) > 0)
			ws_strlcpy(r->last, name, sizeof(r->last));
	}
	return WS_OK;
}

static int
compare_ranges(const void *a, const void *b)
{
	const struct ws_wal_range *x = a;
	const struct ws_wal_range *y = b;

	if (x->db_id != y->db_id)
		return x->db_id < y->db_id ? -1 : 1;
	return x->tli < y->tli ? -1 : x->tli > y->tli;
}

int
ws_archive_summarize(struct ws_storage *repo, const struct ws_stanza_info *stanza,
					 struct ws_archive_summary *sum, struct ws_error *err)
{
	char prefix[WS_STANZA_NAME_MAX + 16];
	struct walk w;
	int rc;

	memset(sum, 0, sizeof(*sum));
	snprintf(prefix, sizeof(prefix), "%s/archive", stanza->name);
	w.stanza = stanza;
	w.sum = sum;
	w.prefix_len = strlen(prefix) + 1;
	rc = repo->ops->list(repo, prefix, visit, &w, err);
	if (rc != WS_OK)
		return rc;
	if (sum->nranges > 1)
		qsort(sum->ranges, (size_t) sum->nranges, sizeof(sum->ranges[0]), compare_ranges);
	return WS_OK;
}
