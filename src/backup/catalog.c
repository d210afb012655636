/*
 * catalog.c — list and load the backups of a stanza (catalog.h)
 */
#include "backup/catalog.h"

#include <stdlib.h>
#include <string.h>

#include "backup/backup.h"
#include "common/str.h"

/* Labels seen under <stanza>/backup/, and which have a manifest. */
struct label_set {
	char (*labels)[WS_BACKUP_LABEL_MAX];
	unsigned char *complete;
	size_t n, cap;
	size_t prefix_len;
};

static int
note_label(struct label_set *s, const char *label, size_t len, bool complete, struct ws_error *err)
{
	size_t i;

	for (i = 0; i < s->n; i++) {
		if (strlen(s->labels[i]) == len && memcmp(s->labels[i], label, len) == 0)
			break;
	}
	if (i == s->n) {
		if (s->n == s->cap) {
			size_t cap = s->cap ? s->cap * 2 : 16;
			void *l = realloc(s->labels, cap * sizeof(*s->labels));
			void *c;

			if (l == NULL)
				return ws_error_set(err, WS_ERR_NOMEM, "out of memory");
			s->labels = l;
			if ((c = realloc(s->complete, cap)) == NULL)
				return ws_error_set(err, WS_ERR_NOMEM, "out of memory");
			s->complete = c;
			s->cap = cap;
		}
		memcpy(s->labels[i], label, len);
		s->labels[i][len] = '\0';
		s->complete[i] = 0;
		s->n++;
	}
	if (complete)
		s->complete[i] = 1;
	return WS_OK;
}

static int
visit(const char *path, const struct ws_storage_info *info, void *arg, struct ws_error *err)
{
	struct label_set *s = arg;
	const char *rel = path + s->prefix_len;
	const char *slash;
	size_t len;

	(void) info;
	if (strlen(path) <= s->prefix_len || (slash = strchr(rel, '/')) == NULL)
		return WS_OK;
	len = (size_t) (slash - rel);
	if (len == 0 || len >= WS_BACKUP_LABEL_MAX)
		return WS_OK;
	{
		char label[WS_BACKUP_LABEL_MAX];
		struct ws_error ignored;

		memcpy(label, rel, len);
		label[len] = '\0';
		if (ws_backup_label_check(label, &ignored) != WS_OK)
			return WS_OK;       /* not ours */
	}
	return note_label(s, rel, len, strcmp(slash, "/backup.manifest") == 0, err);
}

int
ws_backup_manifest_load(struct ws_archive *a, const char *label, struct ws_backup_manifest *m,
						struct ws_error *err)
{
	char dir[WS_BACKUP_PATH_MAX];
	char path[WS_BACKUP_PATH_MAX + 32];
	struct ws_buf text;
	int rc;

	ws_backup_manifest_init(m);
	if ((rc = ws_backup_label_check(label, err)) != WS_OK)
		return rc;
	if ((rc = ws_backup_dir(a->stanza.name, label, dir, sizeof(dir), err)) != WS_OK)
		return rc;
	snprintf(path, sizeof(path), "%s/backup.manifest", dir);
	ws_buf_init(&text, WS_BACKUP_MANIFEST_MAX);
	rc = ws_storage_get(a->repo, path, &text, err);
	if (rc == WS_ERR_NOT_FOUND)
		rc = ws_error_set(err, WS_ERR_NOT_FOUND,
						  "backup %s is not in the repository, or never completed", label);
	if (rc == WS_OK)
		rc = ws_backup_manifest_parse(text.data, text.len, m, err);
	if (rc == WS_ERR_CORRUPT)
		ws_error_prefix(err, "manifest of backup %s", label);
	ws_buf_free(&text);
	return rc;
}

static int
compare_labels(const void *a, const void *b)
{
	return strcmp(((const struct ws_backup_manifest *) a)->label,
				  ((const struct ws_backup_manifest *) b)->label);
}

int
ws_backup_catalog_load(struct ws_archive *a, struct ws_backup_catalog *cat, struct ws_error *err)
{
	char prefix[WS_STANZA_NAME_MAX + 16];
	struct label_set s = {0};
	size_t ncomplete = 0;
	int rc;

	memset(cat, 0, sizeof(*cat));
	snprintf(prefix, sizeof(prefix), "%s/backup", a->stanza.name);
	s.prefix_len = strlen(prefix) + 1;
	rc = a->repo->ops->list(a->repo, prefix, visit, &s, err);
	for (size_t i = 0; rc == WS_OK && i < s.n; i++)
		ncomplete += s.complete[i];
	if (rc == WS_OK && s.n > 0) {
		cat->backups = calloc(ncomplete + 1, sizeof(*cat->backups));
		cat->incomplete = calloc(s.n - ncomplete + 1, sizeof(*cat->incomplete));
		if (cat->backups == NULL || cat->incomplete == NULL)
			rc = ws_error_set(err, WS_ERR_NOMEM, "out of memory");
	}
	for (size_t i = 0; rc == WS_OK && i < s.n; i++) {
		if (!s.complete[i]) {
			memcpy(cat->incomplete[cat->nincomplete++], s.labels[i], WS_BACKUP_LABEL_MAX);
			continue;
		}
		rc = ws_backup_manifest_load(a, s.labels[i], &cat->backups[cat->n], err);
		if (rc == WS_OK)
			cat->n++;
		else
			ws_backup_manifest_free(&cat->backups[cat->n]);
	}
	if (rc == WS_OK && cat->n > 1)
		qsort(cat->backups, cat->n, sizeof(*cat->backups), compare_labels);
	free(s.labels);
	free(s.complete);
	if (rc != WS_OK)
		ws_backup_catalog_free(cat);
	return rc;
}

void
ws_backup_catalog_free(struct ws_backup_catalog *cat)
{
	for (size_t i = 0; i < cat->n; i++)
		ws_backup_manifest_free(&cat->backups[i]);
	free(cat->backups);
	free(cat->incomplete);
	memset(cat, 0, sizeof(*cat));
}
