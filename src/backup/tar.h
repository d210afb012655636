/*
 * tar.h — incremental parser for the tar streams of BASE_BACKUP
 *
 * PostgreSQL sends each tablespace as a POSIX ustar archive (written by its
 * src/port/tar.c). The bytes arrive in CopyData messages of any size, so the
 * parser is push-style: feed it whatever arrived and it calls back with
 * each entry's header, its file data and its end. File data is handed over
 * straight from the fed buffer; only header bytes split across feeds are
 * copied.
 *
 * Only regular files, directories and symbolic links are accepted, which is
 * all PostgreSQL writes. Names are checked so that a consumer can join them
 * to a target directory: never empty, absolute or containing "..".
 * The archive may end with the two zero blocks of the standard or simply
 * stop after the last entry's padding, as some PostgreSQL 15 paths do.
 */
#ifndef WALSHIP_BACKUP_TAR_H
#define WALSHIP_BACKUP_TAR_H

#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

enum ws_tar_type { WS_TAR_FILE, WS_TAR_DIR, WS_TAR_SYMLINK };

struct ws_tar_entry {
	enum ws_tar_type type;
	char path[256];			/* as in the archive, without a trailing '/' for directories
							 * (and symlinks, which PostgreSQL also writes with one) */
	char link[101];			/* symlink target, "" otherwise */
	unsigned mode;			/* permission bits (mode & 07777) */
	int64_t mtime;			/* seconds since the epoch */
	uint64_t size;			/* file size; 0 for dirs and links */
};

/* Callbacks; return WS_OK or an error (set err) to stop parsing. */
struct ws_tar_callbacks {
	int (*begin)(const struct ws_tar_entry *e, void *arg, struct ws_error *err);
	/* file contents in order, any chunk sizes; only for WS_TAR_FILE */
	int (*data)(const void *p, size_t len, void *arg, struct ws_error *err);
	/*
	 * after the last data of every entry (also dirs/links, with no data);
	 * for files once the padding after the data was read too
	 */
	int (*end)(const struct ws_tar_entry *e, void *arg, struct ws_error *err);
	void *arg;
};

struct ws_tar_parser;	/* opaque; all state inside, no globals */

/*
 * Create a parser; the callbacks are copied, any of them may be NULL.
 * WS_ERR_NOMEM if memory ran out.
 */
int ws_tar_parser_new(const struct ws_tar_callbacks *cb, struct ws_tar_parser **out,
					  struct ws_error *err);

/*
 * Feed any number of bytes, split anywhere (even inside a header).
 * WS_ERR_CORRUPT when the archive fails validation, or whatever status a
 * callback returned. After an error the parser refuses further input.
 */
int ws_tar_parser_feed(struct ws_tar_parser *p, const void *data, size_t len,
					   struct ws_error *err);

/*
 * End of stream: WS_ERR_CORRUPT "tar archive ends inside ..." if in the
 * middle of a header or of a file's data/padding.
 */
int ws_tar_parser_finish(struct ws_tar_parser *p, struct ws_error *err);

void ws_tar_parser_free(struct ws_tar_parser *p);	/* NULL-safe */

#endif
