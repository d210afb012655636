/*
 * archive.h — WAL files in and out of the repository
 *
 * Layout, per stanza (see stanza.h):
 *   <stanza>/archive/<pgversion>-<id>/<first 16 hex of name>/<segment>.ws
 *   <stanza>/archive/<pgversion>-<id>/<tli>.history.ws
 * .partial and .backup files sit next to their segment. Objects are
 * immutable: a second push of the same content succeeds, a push of
 * different content under the same name fails and changes nothing.
 */
#ifndef WALSHIP_ARCHIVE_ARCHIVE_H
#define WALSHIP_ARCHIVE_ARCHIVE_H

#include <stdbool.h>

#include "archive/object.h"
#include "archive/stanza.h"
#include "common/log.h"
#include "config/config.h"
#include "storage/storage.h"
#include "wal/page.h"

/* History and .backup files are small; anything larger is not one. */
#define WS_SMALL_WAL_FILE_MAX (16 * 1024 * 1024)

struct ws_archive {
	struct ws_storage *repo;
	struct ws_stanza_info stanza;
	struct ws_object_params params;
	uint8_t key[WS_AES_KEY_LEN];
	struct ws_log *log;
};

/* Open the repository, load the stanza, derive the key when encrypted. */
int ws_archive_open(const struct ws_config *cfg, struct ws_log *log, struct ws_archive *a,
					struct ws_error *err);
void ws_archive_close(struct ws_archive *a);

/* Compression as configured; no key (the stanza decides on encryption). */
void ws_archive_params_from_config(const struct ws_config *cfg, struct ws_object_params *params);

/*
 * Another thread's handle on the same archive: the stanza and key of src
 * (no second stanza.info read, no second key derivation), its own
 * connection to the repository (S3 handles are not shared).
 */
int ws_archive_clone(const struct ws_archive *src, const struct ws_config *cfg,
					 struct ws_archive *dst, struct ws_error *err);

/* Derive the stanza's key from repo-cipher-pass or repo-cipher-key-file. */
int ws_archive_cipher_key(const struct ws_config *cfg, const struct ws_stanza_info *stanza,
						  uint8_t key[WS_AES_KEY_LEN], struct ws_error *err);

/* Object path of a WAL file name for a cluster of the stanza. */
int ws_archive_object_path(const struct ws_archive *a, const struct ws_stanza_db *db,
						   const char *walname, char *buf, size_t size, struct ws_error *err);

/*
 * What both push and get insist on: a segment or .partial is whole and its
 * first page names this cluster, the right size and the right address; a
 * history file parses.
 */
int ws_archive_verify_wal(const struct ws_stanza_db *db, const char *name,
						  const struct ws_buf *data, struct ws_error *err);

/*
 * The start of a segment as it is decoded piece by piece, for the header
 * check below, and how many bytes came out in all.
 */
struct ws_segment_start {
	unsigned char head[WS_WAL_LONG_HEADER_SIZE];
	size_t headlen;
	uint64_t total;
};

/* Note len more decoded bytes: the first ones are kept. */
void ws_segment_start_note(struct ws_segment_start *s, const void *data, size_t len);

/* The same for a segment of total bytes of which head holds the start. */
int ws_archive_verify_segment_head(const struct ws_stanza_db *db, const char *name,
								   const unsigned char *head, size_t headlen, uint64_t total,
								   struct ws_error *err);

struct ws_push_result {
	bool already_archived;       /* same content was there: nothing written */
	size_t original_size;
	size_t stored_size;
};

/* A segment, .partial, .history or .backup file name. */
bool ws_archive_is_wal_name(const char *name);

/* "pg_wal/000000010000000000000001" -> "000000010000000000000001" */
const char *ws_archive_base_name(const char *path);

/* Largest encoded object of a cluster: a segment plus compression slack. */
size_t ws_archive_object_max(const struct ws_stanza_db *db);

/* Read and verify the WAL file at path (appended to data). */
int ws_archive_read_wal(struct ws_archive *a, const char *path, struct ws_buf *data,
						struct ws_error *err);

/* What archive-push read of a WAL file, to verify it against a stanza. */
struct ws_wal_read {
	bool segment;
	struct ws_segment_start start;  /* a segment: its first bytes and size */
	struct ws_buf data;             /* a history or .backup file: all of it */
};

void ws_wal_read_init(struct ws_wal_read *r);
void ws_wal_read_free(struct ws_wal_read *r);

/*
 * Read the WAL file at path and encode it into obj. A segment is read a
 * piece at a time into the encoder, so compression starts with the first
 * piece; one over segment_max bytes is WS_ERR_CORRUPT, one that changes
 * size while read WS_ERR_IO. Other WAL files are small and read whole.
 * Nothing is verified yet: see ws_archive_verify_read.
 */
int ws_archive_encode_wal(const char *path, uint64_t segment_max,
						  const struct ws_object_params *params, struct ws_wal_read *r,
						  struct ws_buf *obj, struct ws_object_header *header, struct ws_error *err);

/* The checks of ws_archive_verify_wal on what was read, against db. */
int ws_archive_verify_read(const struct ws_stanza_db *db, const char *path,
						   const struct ws_wal_read *r, struct ws_error *err);

/* Read, verify and encode the WAL file at path into obj. */
int ws_archive_encode_file(struct ws_archive *a, const char *path, struct ws_buf *obj,
						   struct ws_object_header *header, struct ws_error *err);

/*
 * Store an encoded object under its WAL name, never replacing: the same
 * content already there sets *already, different content is WS_ERR_EXISTS.
 */
int ws_archive_store(struct ws_archive *a, const char *name, const struct ws_buf *obj,
					 const struct ws_object_header *header, bool *already, struct ws_error *err);

/* The same, when the caller has just seen that the object is not there. */
int ws_archive_store_absent(struct ws_archive *a, const char *name, const struct ws_buf *obj,
							const struct ws_object_header *header, bool *already,
							struct ws_error *err);

/* archive-push: validate, encode and store the file at path. */
int ws_archive_push(struct ws_archive *a, const char *path, struct ws_push_result *res,
					struct ws_error *err);

/*
 * Find walname's object, newest cluster first; *found says whose it is.
 * WS_ERR_NOT_FOUND when no cluster of the stanza has it.
 */
int ws_archive_fetch_object(struct ws_archive *a, const char *walname, struct ws_buf *obj,
							const struct ws_stanza_db **found, struct ws_error *err);

/* Decode, verify and write an object atomically to dest. */
int ws_archive_restore_object(struct ws_archive *a, const struct ws_stanza_db *db,
							  const char *walname, const struct ws_buf *obj, const char *dest,
							  struct ws_error *err);

/*
 * archive-get: fetch walname and write it atomically to dest.
 * WS_ERR_NOT_FOUND when the repository does not have it.
 */
int ws_archive_get(struct ws_archive *a, const char *walname, const char *dest,
				   struct ws_error *err);

#endif
