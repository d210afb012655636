/*
 * manifest.c — backup.manifest: build, parse, format (see manifest.h)
 *
 * The text form follows stanza.info: a comment line, "format=N" first, then
 * one "key=value" per line. Unlike stanza.info, unknown keys are refused: a
 * manifest decides what a restore writes, so nothing in it may be ignored.
 * A writer that adds keys must raise WS_BACKUP_MANIFEST_FORMAT.
 *
 *   file=<f|d|l> <mode> <mtime> <size> <stored> <sha256|-> <path>[\t<link>]
 *
 * The path is the rest of the line after the sixth field, up to a TAB that
 * separates a symlink's target; neither may hold a control character, so
 * any byte that could end or split the line is refused on the way in.
 */
#include "backup/manifest.h"

#include "filter/filter.h"

#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/str.h"
#include "wal/lsn.h"
#include "wal/segment.h"

/* longest line: "file=" + fields (~130) + path + TAB + link, with room */
#define WS_BACKUP_LINE_MAX (2 * WS_BACKUP_PATH_MAX + 256)
#define ENTRIES_INITIAL 64
#define HEX_LOWER "0123456789abcdef"

enum key {
	K_FORMAT,
	K_LABEL,
	K_TYPE,
	K_DB_ID,
	K_SYSTEM_ID,
	K_PG_VERSION,
	K_START_LSN,
	K_STOP_LSN,
	K_TIMELINE,
	K_STOP_TIMELINE,
	K_START_TIME,
	K_STOP_TIME,
	K_WAL_START,
	K_WAL_STOP,
	K_COMPRESS,
	K_ENCRYPTED,
	K_FROM_STANDBY,
	K_ORIGINAL_BYTES,
	K_STORED_BYTES,
	K_PART_SIZE,
	K_ENTRIES,
	K_PG_MANIFEST,
	K_TABLESPACE,
	K_FILE,
	K_COUNT
};

static const struct {
	const char *name;
	bool required;
	bool repeats;
} keys[K_COUNT] = {
	[K_FORMAT] = {"format", true, false},
	[K_LABEL] = {"label", true, false},
	[K_TYPE] = {"type", true, false},
	[K_DB_ID] = {"db-id", false, false},
	[K_SYSTEM_ID] = {"system-id", true, false},
	[K_PG_VERSION] = {"pg-version", true, false},
	[K_START_LSN] = {"start-lsn", true, false},
	[K_STOP_LSN] = {"stop-lsn", true, false},
	[K_TIMELINE] = {"timeline", true, false},
	[K_STOP_TIMELINE] = {"stop-timeline", false, false},
	[K_START_TIME] = {"start-time", false, false},
	[K_STOP_TIME] = {"stop-time", false, false},
	[K_WAL_START] = {"wal-start", true, false},
	[K_WAL_STOP] = {"wal-stop", true, false},
	[K_COMPRESS] = {"compress", true, false},
	[K_ENCRYPTED] = {"encrypted", false, false},
	[K_FROM_STANDBY] = {"from-standby", false, false},
	[K_ORIGINAL_BYTES] = {"original-bytes", false, false},
	[K_STORED_BYTES] = {"stored-bytes", false, false},
	[K_PART_SIZE] = {"part-size", false, false},
	[K_ENTRIES] = {"entries", false, false},
	[K_PG_MANIFEST] = {"pg-manifest", false, false},
	[K_TABLESPACE] = {"tablespace", false, true},
	[K_FILE] = {"file", false, true},
};

struct parse_state {
	bool seen[K_COUNT];
	int *lines;                 /* line of each entry, for duplicate reports */
	size_t cap_lines;
};

void
ws_backup_manifest_init(struct ws_backup_manifest *m)
{
	memset(m, 0, sizeof(*m));
}

void
ws_backup_manifest_free(struct ws_backup_manifest *m)
{
	/* an entry's link lives in the allocation of its path */
	for (size_t i = 0; i < m->nentries; i++)
		free(m->entries[i].path);
	free(m->entries);
	for (int i = 0; i < m->ntablespaces; i++)
		free(m->tablespaces[i].location);
	ws_backup_manifest_init(m);
}

static bool
has_control(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char) s[i];

		if (c < 0x20 || c == 0x7f)
			return true;
	}
	return false;
}

/* Why path (len bytes) cannot name an entry of the data directory; NULL if it can. */
static const char *
path_problem(const char *path, size_t len)
{
	size_t start = 0;

	if (len == 0)
		return "it is empty";
	if (len >= WS_BACKUP_PATH_MAX)
		return "it is too long";
	if (path[0] == '/')
		return "it is absolute";
	if (has_control(path, len))
		return "it contains a control character";
	while (start <= len) {
		const char *slash = memchr(path + start, '/', len - start);
		size_t end = slash != NULL ? (size_t) (slash - path) : len;

		if (end - start == 2 && path[start] == '.' && path[start + 1] == '.')
			return "it has a \"..\" component";
		start = end + 1;
	}
	return NULL;
}

/* Why text (a link target or tablespace location) is unusable; NULL if fine. */
static const char *
text_problem(const char *text, size_t len)
{
	if (len == 0)
		return "it is empty";
	if (len >= WS_BACKUP_PATH_MAX)
		return "it is too long";
	if (has_control(text, len))
		return "it contains a control character";
	return NULL;
}

static bool
is_sha256_hex(const char *s)
{
	return strlen(s) == 64 && strspn(s, HEX_LOWER) == 64;
}

static bool
compress_known(const char *name)
{
	return strcmp(name, "none") == 0 || strcmp(name, "zlib") == 0 || strcmp(name, "zstd") == 0;
}

static char
type_letter(enum ws_backup_entry_type type)
{
	switch (type) {
	case WS_ENTRY_FILE:
		return 'f';
	case WS_ENTRY_DIR:
		return 'd';
	case WS_ENTRY_LINK:
		return 'l';
	}
	return '?';
}

/* Append an entry whose strings were already checked. */
static int
entry_append(struct ws_backup_manifest *m, enum ws_backup_entry_type type, const char *path,
			 size_t path_len, const char *link, size_t link_len, unsigned mode, int64_t mtime,
			 uint64_t size, size_t *index)
{
	struct ws_backup_entry *e;
	char *block;

	if (m->nentries == m->cap_entries) {
		size_t cap = m->cap_entries == 0 ? ENTRIES_INITIAL : m->cap_entries;
		struct ws_backup_entry *grown;

		if (m->cap_entries != 0) {
			if (cap > SIZE_MAX / 2 / sizeof(*grown))
				return WS_ERR_NOMEM;
			cap *= 2;
		}
		grown = realloc(m->entries, cap * sizeof(*grown));
		if (grown == NULL)
			return WS_ERR_NOMEM;
		m->entries = grown;
		m->cap_entries = cap;
	}
	/* one allocation: path, NUL, then the link and its NUL */
	block = malloc(path_len + 1 + (link != NULL ? link_len + 1 : 0));
	if (block == NULL)
		return WS_ERR_NOMEM;
	memcpy(block, path, path_len);
	block[path_len] = '\0';
	e = &m->entries[m->nentries];
	memset(e, 0, sizeof(*e));
	e->type = type;
	e->path = block;
	if (link != NULL) {
		e->link = block + path_len + 1;
		memcpy(e->link, link, link_len);
		e->link[link_len] = '\0';
	}
	e->mode = mode;
	e->mtime = mtime;
	e->size = size;
	if (index != NULL)
		*index = m->nentries;
	m->nentries++;
	return WS_OK;
}

int
ws_backup_manifest_add(struct ws_backup_manifest *m, enum ws_backup_entry_type type,
					   const char *path, const char *link, unsigned mode, int64_t mtime,
					   uint64_t size, size_t *index, struct ws_error *err)
{
	char shown[WS_STR_QUOTE_BUFLEN];
	const char *why;
	size_t path_len;
	size_t link_len = 0;

	if (path == NULL)
		return ws_error_set(err, WS_ERR_INVALID, "invalid path in backup manifest: none given");
	path_len = strlen(path);
	if ((why = path_problem(path, path_len)) != NULL)
		return ws_error_set(err, WS_ERR_INVALID, "invalid path \"%s\" in backup manifest: %s",
							ws_str_quote(path, path_len, shown, sizeof(shown)), why);
	if (type != WS_ENTRY_FILE && type != WS_ENTRY_DIR && type != WS_ENTRY_LINK)
		return ws_error_set(err, WS_ERR_INVALID, "invalid type %d of \"%s\" in backup manifest",
							(int) type, ws_str_quote(path, path_len, shown, sizeof(shown)));
	if (mode > 07777)
		return ws_error_set(err, WS_ERR_INVALID, "invalid mode %o of \"%s\" in backup manifest",
							mode, ws_str_quote(path, path_len, shown, sizeof(shown)));
	if (type != WS_ENTRY_FILE && size != 0)
		return ws_error_set(err, WS_ERR_INVALID,
							"\"%s\" in backup manifest is not a file but has size %" PRIu64,
							ws_str_quote(path, path_len, shown, sizeof(shown)), size);
	if (type == WS_ENTRY_LINK) {
		link_len = link != NULL ? strlen(link) : 0;
		if ((why = text_problem(link != NULL ? link : "", link_len)) != NULL)
			return ws_error_set(err, WS_ERR_INVALID,
								"invalid target of symbolic link \"%s\" in backup manifest: %s",
								ws_str_quote(path, path_len, shown, sizeof(shown)), why);
	} else if (link != NULL && link[0] != '\0') {
		return ws_error_set(err, WS_ERR_INVALID,
							"\"%s\" in backup manifest is not a symbolic link but has a target",
							ws_str_quote(path, path_len, shown, sizeof(shown)));
	} else {
		link = NULL;
	}
	if (entry_append(m, type, path, path_len, link, link_len, mode, mtime, size, index) != WS_OK)
		return ws_error_set(err, WS_ERR_NOMEM, "out of memory");
	return WS_OK;
}

static int
tablespace_append(struct ws_backup_manifest *m, uint32_t oid, const char *location, size_t len)
{
	char *copy;

	copy = malloc(len + 1);
	if (copy == NULL)
		return WS_ERR_NOMEM;
	memcpy(copy, location, len);
	copy[len] = '\0';
	m->tablespaces[m->ntablespaces].oid = oid;
	m->tablespaces[m->ntablespaces].location = copy;
	m->ntablespaces++;
	return WS_OK;
}

static bool
tablespace_known(const struct ws_backup_manifest *m, uint32_t oid)
{
	for (int i = 0; i < m->ntablespaces; i++)
		if (m->tablespaces[i].oid == oid)
			return true;
	return false;
}

int
ws_backup_manifest_add_tablespace(struct ws_backup_manifest *m, uint32_t oid,
								  const char *location, struct ws_error *err)
{
	char shown[WS_STR_QUOTE_BUFLEN];
	const char *why;
	size_t len;

	if (oid == 0)
		return ws_error_set(err, WS_ERR_INVALID, "invalid tablespace OID 0 in backup manifest");
	if (tablespace_known(m, oid))
		return ws_error_set(err, WS_ERR_INVALID, "tablespace %" PRIu32 " is already in the backup manifest",
							oid);
	if (m->ntablespaces >= WS_BACKUP_MAX_TABLESPACES)
		return ws_error_set(err, WS_ERR_TOO_LARGE, "a backup manifest holds at most %d tablespaces",
							WS_BACKUP_MAX_TABLESPACES);
	len = location != NULL ? strlen(location) : 0;
	if ((why = text_problem(location != NULL ? location : "", len)) != NULL)
		return ws_error_set(err, WS_ERR_INVALID,
							"invalid location \"%s\" of tablespace %" PRIu32 " in backup manifest: %s",
							ws_str_quote(location, len, shown, sizeof(shown)), oid, why);
	if (tablespace_append(m, oid, location, len) != WS_OK)
		return ws_error_set(err, WS_ERR_NOMEM, "out of memory");
	return WS_OK;
}

static int
entry_ptr_cmp(const void *a, const void *b)
{
	const struct ws_backup_entry *x = *(const struct ws_backup_entry *const *) a;
	const struct ws_backup_entry *y = *(const struct ws_backup_entry *const *) b;
	int c = strcmp(x->path, y->path);

	if (c != 0)
		return c;
	/* equal paths: the earlier entry first, so the later one is reported */
	return x < y ? -1 : x > y;
}

/*
 * Find a path that occurs twice: *dup is the index of its later entry, or
 * SIZE_MAX when all paths differ. WS_ERR_NOMEM.
 */
static int
find_duplicate(const struct ws_backup_manifest *m, size_t *dup)
{
	const struct ws_backup_entry **sorted;

	*dup = SIZE_MAX;
	if (m->nentries < 2)
		return WS_OK;
	sorted = malloc(m->nentries * sizeof(*sorted));
	if (sorted == NULL)
		return WS_ERR_NOMEM;
	for (size_t i = 0; i < m->nentries; i++)
		sorted[i] = &m->entries[i];
	qsort(sorted, m->nentries, sizeof(*sorted), entry_ptr_cmp);
	for (size_t i = 1; i < m->nentries; i++) {
		if (strcmp(sorted[i - 1]->path, sorted[i]->path) == 0) {
			*dup = (size_t) (sorted[i] - m->entries);
			break;
		}
	}
	free(sorted);
	return WS_OK;
}

/* ---- format ---- */

/* Refuse to write what the parser would refuse to read. */
static int
format_check(const struct ws_backup_manifest *m, struct ws_error *err)
{
	char shown[WS_STR_QUOTE_BUFLEN];
	size_t dup;
	int rc;

	if ((rc = ws_backup_label_check(m->label, err)) != WS_OK)
		return rc;
	if (strcmp(m->type, "full") != 0 || m->db_id < 1 || m->pg_version < 10 || m->timeline == 0 ||
		m->stop_timeline == 0 || m->stop_lsn < m->start_lsn ||
		!ws_wal_is_segment_name(m->wal_start) || !ws_wal_is_segment_name(m->wal_stop) ||
		!compress_known(m->compress) ||
		(m->pg_manifest_sha256[0] != '\0' && !is_sha256_hex(m->pg_manifest_sha256)))
		return ws_error_set(err, WS_ERR_INVALID, "backup manifest of \"%s\" is incomplete",
							m->label);
	for (size_t i = 0; i < m->nentries; i++) {
		const struct ws_backup_entry *e = &m->entries[i];

		if (e->type == WS_ENTRY_FILE && !is_sha256_hex(e->sha256))
			return ws_error_set(err, WS_ERR_INVALID,
								"file \"%s\" in backup manifest has no SHA-256",
								ws_str_quote(e->path, strlen(e->path), shown, sizeof(shown)));
	}
	if (find_duplicate(m, &dup) != WS_OK)
		return ws_error_set(err, WS_ERR_NOMEM, "out of memory");
	if (dup != SIZE_MAX)
		return ws_error_set(err, WS_ERR_INVALID, "path \"%s\" is twice in the backup manifest",
							ws_str_quote(m->entries[dup].path, strlen(m->entries[dup].path),
										 shown, sizeof(shown)));
	return WS_OK;
}

int
ws_backup_manifest_format(const struct ws_backup_manifest *m, struct ws_buf *out,
						  struct ws_error *err)
{
	char start_lsn[WS_LSN_STRLEN];
	char stop_lsn[WS_LSN_STRLEN];
	int rc;

	if ((rc = format_check(m, err)) != WS_OK)
		return rc;
	ws_lsn_format(m->start_lsn, start_lsn);
	ws_lsn_format(m->stop_lsn, stop_lsn);
	rc = ws_buf_appendf(out, "# walship backup manifest: written by walship, do not edit\n"
						"format=%d\nentries=%zu\nlabel=%s\ntype=%s\ndb-id=%d\nsystem-id=%" PRIu64 "\n"
						"pg-version=%d\nstart-lsn=%s\nstop-lsn=%s\n"
						"timeline=%" PRIu32 "\nstop-timeline=%" PRIu32 "\n"
						"start-time=%" PRId64 "\nstop-time=%" PRId64 "\n"
						"wal-start=%s\nwal-stop=%s\ncompress=%s\nencrypted=%d\nfrom-standby=%d\n"
						"original-bytes=%" PRIu64 "\nstored-bytes=%" PRIu64 "\n"
						"part-size=%" PRIu64 "\n",
						WS_BACKUP_MANIFEST_FORMAT, m->nentries, m->label, m->type, m->db_id, m->system_id,
						m->pg_version, start_lsn, stop_lsn, m->timeline, m->stop_timeline,
						m->start_time, m->stop_time, m->wal_start, m->wal_stop, m->compress,
						m->encrypted ? 1 : 0, m->from_standby ? 1 : 0, m->original_bytes,
						m->stored_bytes, m->part_size);
	if (rc == WS_OK && m->pg_manifest_sha256[0] != '\0')
		rc = ws_buf_appendf(out, "pg-manifest=%" PRIu64 " %" PRIu64 " %s\n", m->pg_manifest_size,
							m->pg_manifest_stored, m->pg_manifest_sha256);
	for (int i = 0; rc == WS_OK && i < m->ntablespaces; i++)
		rc = ws_buf_appendf(out, "tablespace=%" PRIu32 " %s\n", m->tablespaces[i].oid,
							m->tablespaces[i].location);
	for (size_t i = 0; rc == WS_OK && i < m->nentries; i++) {
		const struct ws_backup_entry *e = &m->entries[i];
		bool file = e->type == WS_ENTRY_FILE;

		rc = ws_buf_appendf(out, "file=%c %04o %" PRId64 " %" PRIu64 " %" PRIu64 " %s %s",
							type_letter(e->type), e->mode & 07777u, e->mtime,
							file ? e->size : 0, file ? e->stored : 0, file ? e->sha256 : "-",
							e->path);
		if (rc == WS_OK && e->type == WS_ENTRY_LINK)
			rc = ws_buf_appendf(out, "\t%s", e->link != NULL ? e->link : "");
		if (rc == WS_OK)
			rc = ws_buf_append(out, "\n", 1);
	}
	if (rc != WS_OK)
		return ws_error_set(err, rc, "could not format backup manifest of \"%s\"", m->label);
	return WS_OK;
}

/* ---- parse ---- */

static int
corrupt(struct ws_error *err, int lineno, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int
corrupt(struct ws_error *err, int lineno, const char *fmt, ...)
{
	char what[WS_ERROR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return ws_error_set(err, WS_ERR_CORRUPT, "backup manifest is corrupt: line %d: %s", lineno, what);
}

/* Cut the space-terminated field at *p; NULL when there is no space. */
static char *
cut_field(char **p)
{
	char *start = *p;
	char *space = strchr(start, ' ');

	if (space == NULL)
		return NULL;
	*space = '\0';
	*p = space + 1;
	return start;
}

static bool
parse_mode(const char *text, unsigned *mode)
{
	unsigned v = 0;

	if (strlen(text) != 4 || strspn(text, "01234567") != 4)
		return false;
	for (int i = 0; i < 4; i++)
		v = v * 8 + (unsigned) (text[i] - '0');
	*mode = v;
	return true;
}

static int
remember_line(struct parse_state *st, size_t index, int lineno)
{
	if (index >= st->cap_lines) {
		size_t cap = st->cap_lines == 0 ? ENTRIES_INITIAL : st->cap_lines * 2;
		int *grown;

		if (cap > SIZE_MAX / sizeof(*grown))
			return WS_ERR_NOMEM;
		grown = realloc(st->lines, cap * sizeof(*grown));
		if (grown == NULL)
			return WS_ERR_NOMEM;
		st->lines = grown;
		st->cap_lines = cap;
	}
	st->lines[index] = lineno;
	return WS_OK;
}

/* "<f|d|l> <mode> <mtime> <size> <stored> <sha256|-> <path>[\t<link>]" */
static int
parse_file(char *value, int lineno, struct ws_backup_manifest *m, struct parse_state *st,
		   struct ws_error *err)
{
	char shown[WS_STR_QUOTE_BUFLEN];
	enum ws_backup_entry_type type;
	char *p = value;
	char *f_type = cut_field(&p);
	char *f_mode = f_type != NULL ? cut_field(&p) : NULL;
	char *f_mtime = f_mode != NULL ? cut_field(&p) : NULL;
	char *f_size = f_mtime != NULL ? cut_field(&p) : NULL;
	char *f_stored = f_size != NULL ? cut_field(&p) : NULL;
	char *f_sha = f_stored != NULL ? cut_field(&p) : NULL;
	char *path = p;
	char *link = NULL;
	size_t path_len;
	size_t link_len = 0;
	const char *why;
	unsigned mode;
	int64_t mtime;
	uint64_t size;
	uint64_t stored;
	size_t index;

	if (f_sha == NULL)
		return corrupt(err, lineno, "file entry has fewer than seven fields");
	if (strcmp(f_type, "f") == 0)
		type = WS_ENTRY_FILE;
	else if (strcmp(f_type, "d") == 0)
		type = WS_ENTRY_DIR;
	else if (strcmp(f_type, "l") == 0)
		type = WS_ENTRY_LINK;
	else
		return corrupt(err, lineno, "invalid file type \"%s\"",
					   ws_str_quote(f_type, strlen(f_type), shown, sizeof(shown)));
	if (!parse_mode(f_mode, &mode))
		return corrupt(err, lineno, "invalid file mode \"%s\"",
					   ws_str_quote(f_mode, strlen(f_mode), shown, sizeof(shown)));
	if (ws_parse_int64(f_mtime, INT64_MIN, INT64_MAX, &mtime) != WS_OK)
		return corrupt(err, lineno, "invalid modification time \"%s\"",
					   ws_str_quote(f_mtime, strlen(f_mtime), shown, sizeof(shown)));
	if (ws_parse_uint64(f_size, &size) != WS_OK)
		return corrupt(err, lineno, "invalid file size \"%s\"",
					   ws_str_quote(f_size, strlen(f_size), shown, sizeof(shown)));
	if (ws_parse_uint64(f_stored, &stored) != WS_OK)
		return corrupt(err, lineno, "invalid stored size \"%s\"",
					   ws_str_quote(f_stored, strlen(f_stored), shown, sizeof(shown)));
	if (type == WS_ENTRY_FILE ? !is_sha256_hex(f_sha) : strcmp(f_sha, "-") != 0)
		return corrupt(err, lineno, "invalid SHA-256 \"%s\"",
					   ws_str_quote(f_sha, strlen(f_sha), shown, sizeof(shown)));
	if (type != WS_ENTRY_FILE && (size != 0 || stored != 0))
		return corrupt(err, lineno, "a directory or link with a size");

	link = strchr(path, '\t');
	if (link != NULL) {
		*link++ = '\0';
		link_len = strlen(link);
	}
	path_len = strlen(path);
	if ((why = path_problem(path, path_len)) != NULL)
		return corrupt(err, lineno, "invalid path \"%s\": %s",
					   ws_str_quote(path, path_len, shown, sizeof(shown)), why);
	if (type == WS_ENTRY_LINK) {
		if ((why = text_problem(link != NULL ? link : "", link_len)) != NULL)
			return corrupt(err, lineno, "invalid target of symbolic link \"%s\": %s",
						   ws_str_quote(path, path_len, shown, sizeof(shown)), why);
	} else if (link != NULL) {
		return corrupt(err, lineno, "\"%s\" is not a symbolic link but has a target",
					   ws_str_quote(path, path_len, shown, sizeof(shown)));
	}

	if (entry_append(m, type, path, path_len, link, link_len, mode, mtime, size, &index) != WS_OK ||
		remember_line(st, index, lineno) != WS_OK)
		return ws_error_set(err, WS_ERR_NOMEM, "out of memory");
	if (type == WS_ENTRY_FILE) {
		m->entries[index].stored = stored;
		memcpy(m->entries[index].sha256, f_sha, 65);
	}
	return WS_OK;
}

/* "<oid> <location>" */
static int
parse_tablespace(char *value, int lineno, struct ws_backup_manifest *m, struct ws_error *err)
{
	char shown[WS_STR_QUOTE_BUFLEN];
	char *p = value;
	char *f_oid = cut_field(&p);
	const char *why;
	int64_t oid;

	if (f_oid == NULL || ws_parse_int64(f_oid, 1, UINT32_MAX, &oid) != WS_OK)
		return corrupt(err, lineno, "invalid tablespace \"%s\"",
					   ws_str_quote(value, strlen(value), shown, sizeof(shown)));
	if ((why = text_problem(p, strlen(p))) != NULL)
		return corrupt(err, lineno, "invalid location of tablespace %" PRId64 ": %s", oid, why);
	if (tablespace_known(m, (uint32_t) oid))
		return corrupt(err, lineno, "tablespace %" PRId64 " is listed twice", oid);
	if (m->ntablespaces >= WS_BACKUP_MAX_TABLESPACES)
		return corrupt(err, lineno, "more than %d tablespaces", WS_BACKUP_MAX_TABLESPACES);
	if (tablespace_append(m, (uint32_t) oid, p, strlen(p)) != WS_OK)
		return ws_error_set(err, WS_ERR_NOMEM, "out of memory");
	return WS_OK;
}

/* "<size> <stored> <sha256>" */
static bool
parse_pg_manifest(char *value, struct ws_backup_manifest *m)
{
	char *p = value;
	char *f_size = cut_field(&p);
	char *f_stored = f_size != NULL ? cut_field(&p) : NULL;

	if (f_stored == NULL || ws_parse_uint64(f_size, &m->pg_manifest_size) != WS_OK ||
		ws_parse_uint64(f_stored, &m->pg_manifest_stored) != WS_OK || !is_sha256_hex(p))
		return false;
	memcpy(m->pg_manifest_sha256, p, 65);
	return true;
}

static bool
parse_flag(const char *value, bool *out)
{
	if (strcmp(value, "0") == 0)
		*out = false;
	else if (strcmp(value, "1") == 0)
		*out = true;
	else
		return false;
	return true;
}

static bool
parse_lsn(const char *value, uint64_t *out)
{
	struct ws_error ignored;
	ws_lsn lsn;

	if (ws_lsn_parse(value, &lsn, &ignored) != WS_OK)
		return false;
	*out = lsn;
	return true;
}

static bool
parse_int_range(const char *value, int64_t min, int64_t max, int64_t *out)
{
	return ws_parse_int64(value, min, max, out) == WS_OK;
}

/* Parse a key's value into m; false when it is malformed. */
static bool
parse_value(enum key k, const char *value, struct ws_backup_manifest *m)
{
	struct ws_error ignored;
	int64_t v;

	switch (k) {
	case K_LABEL:
		return ws_backup_label_check(value, &ignored) == WS_OK &&
			ws_strlcpy(m->label, value, sizeof(m->label)) < sizeof(m->label);
	case K_TYPE:
		if (strcmp(value, "full") != 0)
			return false;
		ws_strlcpy(m->type, value, sizeof(m->type));
		return true;
	case K_DB_ID:
		if (!parse_int_range(value, 1, INT_MAX, &v))
			return false;
		m->db_id = (int) v;
		return true;
	case K_SYSTEM_ID:
		return ws_parse_uint64(value, &m->system_id) == WS_OK;
	case K_PG_VERSION:
		if (!parse_int_range(value, 10, 999, &v))
			return false;
		m->pg_version = (int) v;
		return true;
	case K_START_LSN:
		return parse_lsn(value, &m->start_lsn);
	case K_STOP_LSN:
		return parse_lsn(value, &m->stop_lsn);
	case K_TIMELINE:
	case K_STOP_TIMELINE:
		if (!parse_int_range(value, 1, UINT32_MAX, &v))
			return false;
		*(k == K_TIMELINE ? &m->timeline : &m->stop_timeline) = (uint32_t) v;
		return true;
	case K_START_TIME:
		return parse_int_range(value, INT64_MIN, INT64_MAX, &m->start_time);
	case K_STOP_TIME:
		return parse_int_range(value, INT64_MIN, INT64_MAX, &m->stop_time);
	case K_WAL_START:
	case K_WAL_STOP:
		if (!ws_wal_is_segment_name(value))
			return false;
		memcpy(k == K_WAL_START ? m->wal_start : m->wal_stop, value, WS_WAL_FNAME_BUFLEN);
		return true;
	case K_COMPRESS:
		if (!compress_known(value))
			return false;
		ws_strlcpy(m->compress, value, sizeof(m->compress));
		return true;
	case K_ENCRYPTED:
		return parse_flag(value, &m->encrypted);
	case K_FROM_STANDBY:
		return parse_flag(value, &m->from_standby);
	case K_ORIGINAL_BYTES:
		return ws_parse_uint64(value, &m->original_bytes) == WS_OK;
	case K_STORED_BYTES:
		return ws_parse_uint64(value, &m->stored_bytes) == WS_OK;
	case K_PART_SIZE:
		return ws_parse_uint64(value, &m->part_size) == WS_OK &&
			(m->part_size == 0 || m->part_size >= 1024 * 1024);
	case K_ENTRIES:
		return ws_parse_uint64(value, &m->declared_entries) == WS_OK;
	case K_FORMAT:
	case K_PG_MANIFEST:
	case K_TABLESPACE:
	case K_FILE:
	case K_COUNT:
		break;
	}
	return false;
}

static int
parse_line(char *line, int lineno, struct ws_backup_manifest *m, struct parse_state *st,
		   struct ws_error *err)
{
	char shown[WS_STR_QUOTE_BUFLEN];
	char *eq;
	char *value;
	int k;

	if (line[0] == '\0' || line[0] == '#')
		return WS_OK;
	eq = strchr(line, '=');
	if (eq == NULL)
		return corrupt(err, lineno, "expected key=value");
	*eq = '\0';
	value = eq + 1;
	for (k = 0; k < K_COUNT; k++)
		if (strcmp(line, keys[k].name) == 0)
			break;
	/* format comes first, so a newer format is reported before its new keys */
	if (!st->seen[K_FORMAT] && k != K_FORMAT)
		return corrupt(err, lineno, "expected \"format\" before any other key");
	if (k == K_COUNT)
		return corrupt(err, lineno, "unknown key \"%s\"",
					   ws_str_quote(line, strlen(line), shown, sizeof(shown)));
	if (st->seen[k] && !keys[k].repeats)
		return corrupt(err, lineno, "key \"%s\" appears twice", keys[k].name);
	st->seen[k] = true;

	switch (k) {
	case K_FORMAT: {
		int64_t format;

		if (!parse_int_range(value, 1, INT_MAX, &format))
			break;
		if (format > WS_BACKUP_MANIFEST_FORMAT)
			return ws_error_set(err, WS_ERR_CORRUPT,
								"backup manifest has format %" PRId64 ", this walship reads format %d: it was written by a newer walship, upgrade walship",
								format, WS_BACKUP_MANIFEST_FORMAT);
		return WS_OK;
	}
	case K_FILE:
		return parse_file(value, lineno, m, st, err);
	case K_TABLESPACE:
		return parse_tablespace(value, lineno, m, err);
	case K_PG_MANIFEST:
		if (parse_pg_manifest(value, m))
			return WS_OK;
		break;
	default:
		if (parse_value((enum key) k, value, m))
			return WS_OK;
		break;
	}
	return corrupt(err, lineno, "invalid %s \"%s\"", keys[k].name,
				   ws_str_quote(value, strlen(value), shown, sizeof(shown)));
}

/* Whole-manifest checks once every line was read. */
static int
parse_finish(struct ws_backup_manifest *m, struct parse_state *st, struct ws_error *err)
{
	char shown[WS_STR_QUOTE_BUFLEN];
	size_t dup;

	for (int k = 0; k < K_COUNT; k++)
		if (keys[k].required && !st->seen[k])
			return ws_error_set(err, WS_ERR_CORRUPT,
								"backup manifest is corrupt: required key \"%s\" is missing",
								keys[k].name);
	if (!st->seen[K_STOP_TIMELINE])
		m->stop_timeline = m->timeline;
	/*
	 * A manifest cut at a line boundary would parse; the count on its
	 * second line catches that.
	 */
	if (st->seen[K_ENTRIES] && m->declared_entries != m->nentries)
		return ws_error_set(err, WS_ERR_CORRUPT,
							"backup manifest is corrupt: it declares %" PRIu64 " entries but lists %zu",
							m->declared_entries, m->nentries);
	if (m->stop_lsn < m->start_lsn)
		return ws_error_set(err, WS_ERR_CORRUPT,
							"backup manifest is corrupt: stop-lsn is before start-lsn");
	if (find_duplicate(m, &dup) != WS_OK)
		return ws_error_set(err, WS_ERR_NOMEM, "out of memory");
	if (dup != SIZE_MAX)
		return corrupt(err, st->lines[dup], "path \"%s\" appears twice",
					   ws_str_quote(m->entries[dup].path, strlen(m->entries[dup].path), shown,
									sizeof(shown)));
	return WS_OK;
}

int
ws_backup_manifest_parse(const char *text, size_t len, struct ws_backup_manifest *m,
						 struct ws_error *err)
{
	struct parse_state st;
	char *line;
	int lineno = 0;
	size_t pos = 0;
	int rc = WS_OK;

	ws_backup_manifest_init(m);
	memset(&st, 0, sizeof(st));
	if (len > WS_BACKUP_MANIFEST_MAX || (len > 0 && memchr(text, '\0', len) != NULL))
		return ws_error_set(err, WS_ERR_CORRUPT, "backup manifest is corrupt: not a text file");
	if (len > 0 && text[len - 1] != '\n')
		return ws_error_set(err, WS_ERR_CORRUPT,
							"backup manifest is corrupt: its last line is incomplete");
	line = malloc(WS_BACKUP_LINE_MAX);
	if (line == NULL)
		return ws_error_set(err, WS_ERR_NOMEM, "out of memory");
	while (rc == WS_OK && pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t n = nl != NULL ? (size_t) (nl - (text + pos)) : len - pos;

		lineno++;
		if (n >= WS_BACKUP_LINE_MAX) {
			rc = corrupt(err, lineno, "line is too long");
			break;
		}
		memcpy(line, text + pos, n);
		line[n] = '\0';
		pos += n + 1;
		rc = parse_line(line, lineno, m, &st, err);
	}
	if (rc == WS_OK)
		rc = parse_finish(m, &st, err);
	free(line);
	free(st.lines);
	if (rc != WS_OK)
		ws_backup_manifest_free(m);
	return rc;
}

/* ---- labels ---- */

static bool
all_digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

int
ws_backup_label_check(const char *label, struct ws_error *err)
{
	char shown[WS_STR_QUOTE_BUFLEN];
	size_t len;

	if (label == NULL)
		return ws_error_set(err, WS_ERR_INVALID, "invalid backup label: none given");
	len = strnlen(label, WS_BACKUP_LABEL_MAX);
	if (len >= 16 && all_digits(label, 8) && label[8] == '-' && all_digits(label + 9, 6) &&
		label[15] == 'F' &&
		(len == 16 || (len >= 18 && len <= 20 && label[16] == '_' && all_digits(label + 17, len - 17))))
		return WS_OK;
	return ws_error_set(err, WS_ERR_INVALID,
						"invalid backup label \"%s\": expected YYYYMMDD-HHMMSSF, optionally followed by _N",
						ws_str_quote(label, strlen(label), shown, sizeof(shown)));
}

void
ws_backup_label_make(int64_t t, char label[WS_BACKUP_LABEL_MAX])
{
	time_t tt = (time_t) t;
	struct tm tm;

	/* beyond year 9999 (or before 0) the label would not fit its shape */
	if ((int64_t) tt != t || gmtime_r(&tt, &tm) == NULL || tm.tm_year > 9999 - 1900 ||
		tm.tm_year < -1900) {
		tt = 0;
		gmtime_r(&tt, &tm);
	}
	/* the fields are in range, so this always fits: 16 characters */
	(void) ws_snprintf(label, WS_BACKUP_LABEL_MAX, "%04d%02d%02d-%02d%02d%02dF",
					   tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
					   tm.tm_sec);
}

int
ws_backup_parts_hash(const uint8_t *digests, int nparts, char hex[65], struct ws_error *err)
{
	struct ws_sha256 *h = NULL;
	int rc;

	if ((rc = ws_sha256_new(&h, err)) != WS_OK)
		return rc;
	rc = ws_sha256_update(h, digests, (size_t) nparts * 32, err);
	if (rc == WS_OK)
		rc = ws_sha256_final(h, hex, err);
	ws_sha256_free(h);
	return rc;
}
