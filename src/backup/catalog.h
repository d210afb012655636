/*
 * catalog.h — the backups of a stanza, as the repository holds them
 *
 * A backup is complete when its backup.manifest exists; a backup directory
 * without one was interrupted and is listed only as incomplete.
 */
#ifndef WALSHIP_BACKUP_CATALOG_H
#define WALSHIP_BACKUP_CATALOG_H

#include <stddef.h>

#include "archive/archive.h"
#include "backup/manifest.h"

struct ws_backup_catalog {
	struct ws_backup_manifest *backups;  /* complete, oldest first */
	size_t n;
	char (*incomplete)[WS_BACKUP_LABEL_MAX];  /* labels without a manifest */
	size_t nincomplete;
};

/* Read every backup's manifest. WS_ERR_CORRUPT names a manifest that fails to parse. */
int ws_backup_catalog_load(struct ws_archive *a, struct ws_backup_catalog *cat,
						   struct ws_error *err);
void ws_backup_catalog_free(struct ws_backup_catalog *cat);

/* One backup's manifest; WS_ERR_NOT_FOUND when it is absent or incomplete. */
int ws_backup_manifest_load(struct ws_archive *a, const char *label, struct ws_backup_manifest *m,
							struct ws_error *err);

#endif
