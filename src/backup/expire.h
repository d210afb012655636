/*
 * expire.h — retention: which backups and which archived WAL may go
 *
 * Planning is a pure function of the catalog, the policy and the clock, so
 * the rules can be tested without a repository; running the plan is a
 * separate step. The rules:
 *
 *   repo-retention-full N   keep the N newest complete backups
 *   repo-retention-days D   keep every backup that stopped within the last
 *                           D days, plus the newest one that stopped before
 *                           that: recovery to any time inside the window
 *                           needs a backup that ends before it
 *
 * With both set, a backup is kept when either rule keeps it (the safer
 * reading); with neither, every complete backup is kept. Either way the
 * newest complete backup always stays.
 *
 * An incomplete backup (no manifest) is removed once nothing was written to
 * it for an hour after its label time: it is the leftover of an interrupted
 * run, and a younger one may still be running.
 *
 * WAL: per cluster of the stanza, everything before the oldest start
 * segment of the backups kept for that cluster goes, on every timeline;
 * history files always stay; clusters older than every kept backup keep
 * only their history files. Nothing is removed from the archive when no
 * complete backup exists, or while a backup may be running (it needs WAL
 * from a start segment we cannot know yet).
 */
#ifndef WALSHIP_BACKUP_EXPIRE_H
#define WALSHIP_BACKUP_EXPIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "archive/stanza.h"
#include "backup/manifest.h"
#include "common/error.h"
#include "common/log.h"
#include "config/config.h"
#include "wal/segment.h"

/* An incomplete backup younger than this may still be running. */
#define WS_EXPIRE_INCOMPLETE_GRACE 3600

struct ws_expire_policy {
	int retention_full;         /* 0: no count rule */
	int retention_days;         /* 0: no age rule */
	int64_t now;                /* seconds since the epoch */
};

/* An incomplete backup as the repository shows it. */
struct ws_expire_partial {
	char label[WS_BACKUP_LABEL_MAX];
	int64_t last_write;         /* newest object's modification time, 0 if unknown */
};

enum ws_expire_reason {
	WS_EXPIRE_KEEP = 0,
	WS_EXPIRE_COUNT,            /* beyond repo-retention-full */
	WS_EXPIRE_AGE,              /* not needed for repo-retention-days */
	WS_EXPIRE_COUNT_AND_AGE,    /* both rules set, neither keeps it */
	WS_EXPIRE_INCOMPLETE        /* interrupted run, idle for the grace period */
};

/* Why the archive is left alone, when it is. */
enum ws_expire_wal_hold {
	WS_EXPIRE_WAL_FREE = 0,     /* the cuts below apply */
	WS_EXPIRE_WAL_NO_BACKUP,    /* no complete backup: all WAL may be needed */
	WS_EXPIRE_WAL_RUNNING       /* a backup may be running */
};

/* First WAL position kept for one cluster of the stanza. */
struct ws_expire_cut {
	int db_id;
	char first_kept[WS_WAL_FNAME_BUFLEN];   /* wal_start of its oldest-starting kept backup */
};

struct ws_expire_plan {
	enum ws_expire_reason *backups;     /* one per complete backup, same order */
	size_t nbackups;
	size_t nexpire;                     /* complete backups that go */
	enum ws_expire_reason *incomplete;  /* one per incomplete backup: KEEP or INCOMPLETE */
	size_t nincomplete;
	size_t nincomplete_expire;
	enum ws_expire_wal_hold wal_hold;
	char running_label[WS_BACKUP_LABEL_MAX];  /* WS_EXPIRE_WAL_RUNNING: the backup that may run */
	int min_kept_db_id;                 /* clusters below hold WAL of no kept backup */
	struct ws_expire_cut cuts[WS_STANZA_MAX_DBS];
	int ncuts;
};

/*
 * Decide what goes. backups are the complete ones, oldest first (as the
 * catalog lists them); partial the incomplete ones. WS_ERR_NOMEM.
 */
int ws_expire_plan_make(const struct ws_backup_manifest *backups, size_t n,
						const struct ws_expire_partial *partial, size_t npartial,
						const struct ws_expire_policy *policy, struct ws_expire_plan *plan,
						struct ws_error *err);
void ws_expire_plan_free(struct ws_expire_plan *plan);

/* Whether the plan removes the archived WAL file name of cluster db_id. */
bool ws_expire_wal_goes(const struct ws_expire_plan *plan, int db_id, const char *name);

/* "beyond repo-retention-full = 2", for output. */
void ws_expire_reason_text(enum ws_expire_reason reason, const struct ws_expire_policy *policy,
						   char *buf, size_t size);

/* ---- running it against the repository ---- */

/* A run of removed WAL of one cluster and timeline. */
struct ws_expire_wal_range {
	int db_id;
	int pg_version;
	uint32_t tli;
	char first[WS_WAL_FNAME_BUFLEN];    /* "" when only .partial/.backup files go */
	char last[WS_WAL_FNAME_BUFLEN];
	uint64_t segments;
	uint64_t other_files;               /* .partial and .backup */
	uint64_t bytes;
};

struct ws_expire_object {
	char *path;
	uint64_t size;
};

struct ws_expire_backup_usage {
	uint64_t objects;
	uint64_t bytes;
};

/*
 * What expire found and will (or did) do. Filled by ws_expire_prepare,
 * which only reads; ws_expire_execute then removes.
 */
struct ws_expire {
	struct ws_storage *repo;
	struct ws_stanza_info stanza;
	struct ws_expire_policy policy;
	struct ws_backup_manifest *backups;       /* complete, oldest first */
	size_t nbackups;
	struct ws_expire_partial *partial;        /* incomplete */
	size_t npartial;
	struct ws_expire_backup_usage *usage;     /* per complete backup */
	struct ws_expire_backup_usage *partial_usage;
	struct ws_expire_plan plan;
	struct ws_expire_object *wal;             /* archive objects that go, by path */
	size_t nwal, capwal;
	struct ws_expire_wal_range *ranges;       /* by cluster, then timeline */
	size_t nranges;
	char local_root[1024];                    /* posix repository: prune empty directories */
	struct ws_log *log;
};

struct ws_expire_result {
	size_t backups;             /* complete backups removed */
	size_t incomplete;          /* incomplete backups removed */
	uint64_t wal_files;         /* archive objects removed */
	uint64_t bytes;
};

/* Read the repository and make the plan; changes nothing. */
int ws_expire_prepare(const struct ws_config *cfg, struct ws_log *log, struct ws_expire *x,
					  struct ws_error *err);

/* Remove what the plan says: each backup's manifest first, then the rest, then WAL. */
int ws_expire_execute(struct ws_expire *x, struct ws_expire_result *res, struct ws_error *err);

/* What ws_expire_execute would report, without removing anything. */
void ws_expire_totals(const struct ws_expire *x, struct ws_expire_result *res);

void ws_expire_free(struct ws_expire *x);

#endif
