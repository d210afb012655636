/*
 * stanza.h — the repository's record of one PostgreSQL cluster
 *
 * <stanza>/stanza.info is a small "key=value" text file written atomically
 * by stanza-create and stanza-upgrade. It pins what every archived file
 * must match (system identifier, PostgreSQL major version, WAL segment
 * size) and keeps the history of clusters after upgrades: each entry has an
 * id, and WAL of entry N lives under archive/<version>-<N>/.
 */
#ifndef WALSHIP_ARCHIVE_STANZA_H
#define WALSHIP_ARCHIVE_STANZA_H

#include <stdbool.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/error.h"
#include "storage/storage.h"

#define WS_STANZA_FORMAT 1
#define WS_STANZA_NAME_MAX 64
#define WS_STANZA_MAX_DBS 32
#define WS_STANZA_SALT_LEN 16

struct ws_stanza_db {
	int id;
	uint64_t system_id;
	int pg_version;                 /* major version, e.g. 15 */
	uint32_t wal_segment_size;
};

struct ws_stanza_info {
	char name[WS_STANZA_NAME_MAX];
	bool encrypted;                 /* repo-cipher-type aes-256-gcm */
	uint8_t salt[WS_STANZA_SALT_LEN];   /* for the key derivation */
	char key_check[65];             /* SHA-256 hex of key + tag: catches a wrong passphrase */
	struct ws_stanza_db dbs[WS_STANZA_MAX_DBS];
	int ndbs;                       /* dbs[ndbs - 1] is the current cluster */
};

/* A stanza name is 1..63 of [A-Za-z0-9_.-], not starting with '.'. */
int ws_stanza_name_check(const char *name, struct ws_error *err);

int ws_stanza_info_parse(const char *text, size_t len, struct ws_stanza_info *info,
						 struct ws_error *err);
int ws_stanza_info_format(const struct ws_stanza_info *info, struct ws_buf *out,
						  struct ws_error *err);

/* A stanza.info at path in store (a repository, or the spool's cached copy). */
int ws_stanza_info_read(struct ws_storage *store, const char *path, struct ws_stanza_info *info,
						struct ws_error *err);
int ws_stanza_info_write(struct ws_storage *store, const char *path,
						 const struct ws_stanza_info *info,
						 const struct ws_storage_write_opts *opts, struct ws_error *err);

/* WS_ERR_NOT_FOUND with a hint to run stanza-create when missing. */
int ws_stanza_load(struct ws_storage *repo, const char *name, struct ws_stanza_info *info,
				   struct ws_error *err);
/* create: refuse to replace an existing stanza.info (WS_ERR_EXISTS). */
int ws_stanza_save(struct ws_storage *repo, const struct ws_stanza_info *info, bool create,
				   struct ws_error *err);

/* A new stanza; with encrypted, a fresh random salt. */
int ws_stanza_init(struct ws_stanza_info *info, const char *name, const struct ws_stanza_db *db,
				   bool encrypted, struct ws_error *err);

/* Set (stanza-create) or verify (every other use) the key check. */
void ws_stanza_set_key(struct ws_stanza_info *info, const uint8_t key[32]);
int ws_stanza_check_key(const struct ws_stanza_info *info, const uint8_t key[32],
						struct ws_error *err);

const struct ws_stanza_db *ws_stanza_current(const struct ws_stanza_info *info);

/* "<stanza>/archive/15-1" */
int ws_stanza_archive_dir(const struct ws_stanza_info *info, const struct ws_stanza_db *db,
						  char *buf, size_t size, struct ws_error *err);

#endif
