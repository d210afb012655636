/*
 * verify.h — walship verify: re-read the repository and check it
 *
 * Every file of every complete backup (and PostgreSQL's backup_manifest)
 * is fetched and decoded in full; its object's own SHA-256 and size must
 * hold and equal what the walship manifest records. Every object under
 * <stanza>/archive is decoded and verified the way archive-get verifies it
 * (a segment also by its first page header). Each backup's WAL range must
 * be in the archive, and within each cluster and timeline no segment may
 * be missing between the first and the last one archived.
 *
 * Problems found are not errors: they go into the report, and the call
 * still returns WS_OK. Errors are what stops the check itself: the
 * repository failing (WS_ERR_IO), an unknown --set label
 * (WS_ERR_NOT_FOUND), a backup manifest that does not parse
 * (WS_ERR_CORRUPT), memory.
 */
#ifndef WALSHIP_BACKUP_VERIFY_H
#define WALSHIP_BACKUP_VERIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "archive/archive.h"
#include "backup/manifest.h"
#include "common/error.h"
#include "config/config.h"
#include "wal/segment.h"

/* Problems kept per list; more are only counted. */
#define WS_VERIFY_KEEP 100

enum ws_verify_kind {
	WS_VERIFY_BACKUP,        /* the backup as a whole (its cluster, its encryption) */
	WS_VERIFY_FILE,          /* a data directory file, or "backup_manifest" */
	WS_VERIFY_WAL_MISSING,   /* a segment the backup needs is not in the archive */
	WS_VERIFY_WAL_BAD,       /* a segment the backup needs failed verification */
	WS_VERIFY_WAL            /* an archived WAL file failed verification */
};

struct ws_verify_problem {
	enum ws_verify_kind kind;
	int db_id;                          /* archive id for the WAL kinds, else 0 */
	char name[WS_BACKUP_PATH_MAX];      /* file path, WAL file name; "" for WS_VERIFY_BACKUP */
	char reason[WS_ERROR_MSG_MAX];
};

struct ws_verify_list {
	struct ws_verify_problem *items;    /* the first WS_VERIFY_KEEP, sorted by kind and name */
	size_t nitems;
	uint64_t count;                     /* every problem found */
};

/* Segments missing between two archived ones of a cluster and timeline. */
struct ws_verify_gap {
	int db_id;
	uint32_t tli;
	char first[WS_WAL_FNAME_BUFLEN];    /* first missing */
	char last[WS_WAL_FNAME_BUFLEN];     /* last missing */
	uint64_t segments;
};

struct ws_verify_backup {
	char label[WS_BACKUP_LABEL_MAX];
	char wal_start[WS_WAL_FNAME_BUFLEN];
	char wal_stop[WS_WAL_FNAME_BUFLEN];
	uint64_t files_checked;             /* data directory files; backup_manifest is extra */
	uint64_t bytes_checked;             /* original bytes of the files checked */
	struct ws_verify_list problems;
};

struct ws_verify_report {
	const char *set;                    /* the label asked for, or NULL: everything */
	struct ws_verify_backup *backups;   /* oldest first */
	size_t nbackups;
	char (*incomplete)[WS_BACKUP_LABEL_MAX];  /* without a manifest: not checked */
	size_t nincomplete;
	uint64_t segments_checked;          /* segments and .partial files decoded */
	uint64_t other_wal_checked;         /* .history and .backup files */
	struct ws_verify_list wal_problems;
	struct ws_verify_gap *gaps;         /* the first WS_VERIFY_KEEP */
	size_t ngaps;
	uint64_t gaps_total;
	uint64_t problems;                  /* every problem of every list, plus gaps */
};

struct ws_verify_options {
	/*
	 * With cfg set and threads > 1, that many workers verify at once, each
	 * on its own connection to the repository (from cfg); otherwise
	 * everything runs on the caller's archive.
	 */
	const struct ws_config *cfg;
	int threads;
};

/*
 * Verify one backup (label: only it and its WAL range) or, with label
 * NULL, every backup and the whole archive. rep needs no initialisation;
 * free it with ws_verify_report_free, also after a failure.
 */
int ws_backup_verify(struct ws_archive *a, const char *label, struct ws_verify_report *rep,
					 struct ws_error *err);
int ws_backup_verify_opts(struct ws_archive *a, const char *label,
						  const struct ws_verify_options *opts, struct ws_verify_report *rep,
						  struct ws_error *err);

void ws_verify_report_free(struct ws_verify_report *rep);

#endif
