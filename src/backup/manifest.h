/*
 * manifest.h — walship's record of one base backup in the repository
 *
 * <stanza>/backup/<label>/backup.manifest is a "key=value" text file (the
 * style of stanza.info), one line per fact and one "file=" line per entry
 * of the data directory. It is written atomically and last: a backup
 * directory without it never completed and is never restorable.
 */
#ifndef WALSHIP_BACKUP_MANIFEST_H
#define WALSHIP_BACKUP_MANIFEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/error.h"

#define WS_BACKUP_MANIFEST_FORMAT 1
#define WS_BACKUP_LABEL_MAX 32
#define WS_BACKUP_PATH_MAX 1024
#define WS_BACKUP_MAX_TABLESPACES 64
/* the parser refuses a larger text; a loader can use it as its ws_buf cap */
#define WS_BACKUP_MANIFEST_MAX ((size_t) 1 << 30)

enum ws_backup_entry_type { WS_ENTRY_FILE, WS_ENTRY_DIR, WS_ENTRY_LINK };

struct ws_backup_entry {
	enum ws_backup_entry_type type;
	/*
	 * Relative to the data directory, e.g. "base/5/16384"; a tablespace's
	 * files are under "pg_tblspc/<oid>/", as PostgreSQL's manifest names them.
	 */
	char *path;
	char *link;                 /* WS_ENTRY_LINK: target (same allocation as path); NULL otherwise */
	unsigned mode;              /* permission bits */
	int64_t mtime;              /* seconds since the epoch */
	uint64_t size;              /* original bytes (files) */
	uint64_t stored;            /* bytes of the object in the repository (files) */
	/*
	 * Hex SHA-256 of the original (files); "" otherwise. For a file stored
	 * in parts: the SHA-256 of its parts' SHA-256 digests (32 bytes each,
	 * in order), so that parts can be written and checked in parallel and
	 * still be bound to this file (ws_backup_parts_hash).
	 */
	char sha256[65];
};

struct ws_backup_tablespace {
	uint32_t oid;
	char *location;             /* where it was on the backed-up server */
};

struct ws_backup_manifest {
	char label[WS_BACKUP_LABEL_MAX];      /* e.g. "20261126-153000F" */
	char type[8];                         /* "full" */
	int db_id;                            /* stanza.info entry it belongs to */
	uint64_t system_id;
	int pg_version;                       /* major, e.g. 15 */
	uint64_t start_lsn;
	uint64_t stop_lsn;
	uint32_t timeline;                    /* of the start position */
	uint32_t stop_timeline;
	int64_t start_time;                   /* seconds since the epoch */
	int64_t stop_time;
	char wal_start[25];                   /* first WAL segment needed */
	char wal_stop[25];                    /* last WAL segment needed */
	char compress[8];                     /* "zstd", "zlib", "none" */
	bool encrypted;
	bool from_standby;
	uint64_t original_bytes;              /* sum of file sizes */
	/*
	 * Files larger than this are stored as parts of this size (the last
	 * shorter), objects "<path>.<n>.ws" from 1; 0: one object per file.
	 */
	uint64_t part_size;
	uint64_t declared_entries;            /* "entries=" as parsed */
	uint64_t stored_bytes;                /* sum of objects, PostgreSQL's manifest included */
	uint64_t pg_manifest_size;            /* PostgreSQL's backup_manifest, original */
	uint64_t pg_manifest_stored;
	char pg_manifest_sha256[65];
	int ntablespaces;
	struct ws_backup_tablespace tablespaces[WS_BACKUP_MAX_TABLESPACES];
	size_t nentries;
	size_t cap_entries;
	struct ws_backup_entry *entries;
};

void ws_backup_manifest_init(struct ws_backup_manifest *m);
void ws_backup_manifest_free(struct ws_backup_manifest *m);

/*
 * Append an entry (strings copied). Returns its index through *index (may
 * be NULL). WS_ERR_INVALID for a path that is empty, absolute, has a ".."
 * component, or contains a control character; WS_ERR_NOMEM.
 * link is required for WS_ENTRY_LINK (no control characters either) and
 * must be NULL or "" otherwise; directories and links have size 0 and a
 * mode is at most 07777. A file's stored and sha256 are set by the caller
 * through the index once its object is written.
 */
int ws_backup_manifest_add(struct ws_backup_manifest *m, enum ws_backup_entry_type type,
						   const char *path, const char *link, unsigned mode, int64_t mtime,
						   uint64_t size, size_t *index, struct ws_error *err);

/*
 * WS_ERR_INVALID for OID 0, an OID already listed or an empty location or
 * one with a control character; WS_ERR_TOO_LARGE past
 * WS_BACKUP_MAX_TABLESPACES; WS_ERR_NOMEM.
 */
int ws_backup_manifest_add_tablespace(struct ws_backup_manifest *m, uint32_t oid,
									  const char *location, struct ws_error *err);

/*
 * Text form; entries in the order they were added. WS_ERR_INVALID, before
 * anything is appended, for what the parser would refuse: a bad label,
 * type other than "full", db_id < 1, pg_version < 10, a zero timeline or
 * stop_timeline, stop_lsn < start_lsn, bad WAL segment names, an unknown
 * compress, a file without its SHA-256 or a path listed twice.
 */
int ws_backup_manifest_format(const struct ws_backup_manifest *m, struct ws_buf *out,
							  struct ws_error *err);

/*
 * Parse the text form. WS_ERR_CORRUPT with the line number for anything
 * malformed, unknown keys, a format newer than ours, or missing required
 * keys (label, type, system-id, pg-version, start-lsn, stop-lsn, timeline,
 * wal-start, wal-stop, compress). "format" must be the first key and the
 * text must end with a newline (a cut-off last line is caught). m needs no
 * initialisation: it is overwritten, and left empty on failure (freeing it
 * is then harmless); WS_ERR_NOMEM. Without stop-timeline, it is timeline.
 */
int ws_backup_manifest_parse(const char *text, size_t len, struct ws_backup_manifest *m,
							 struct ws_error *err);

/* The sha256 of a file stored in nparts parts, from their digests. */
int ws_backup_parts_hash(const uint8_t *digests, int nparts, char hex[65], struct ws_error *err);

/* A label is "YYYYMMDD-HHMMSSF" (F: full), optionally "_N" for a clash. */
int ws_backup_label_check(const char *label, struct ws_error *err);

/* Label for a backup started at t (UTC). */
void ws_backup_label_make(int64_t t, char label[WS_BACKUP_LABEL_MAX]);

#endif
