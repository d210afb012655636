/*
 * tar.c — incremental parser for BASE_BACKUP tar streams (see tar.h)
 *
 * The parser is a small state machine over the stream: a 512-byte header,
 * then for a regular file its data and the zeros up to the next block
 * boundary, then the next header. A zero block ends the archive; after it
 * only zeros may follow.
 */
#include "backup/tar.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "common/str.h"

#define TAR_BLOCK 512

/* ustar header layout, as written by PostgreSQL's tarCreateHeader() */
#define OFF_NAME 0
#define LEN_NAME 100
#define OFF_MODE 100
#define OFF_UID 108
#define OFF_GID 116
#define LEN_ID 8				/* mode, uid and gid */
#define OFF_SIZE 124
#define OFF_MTIME 136
#define LEN_TIME 12				/* size and mtime */
#define OFF_CHKSUM 148
#define LEN_CHKSUM 8
#define OFF_TYPEFLAG 156
#define OFF_LINKNAME 157
#define LEN_LINKNAME 100
#define OFF_MAGIC 257
#define OFF_PREFIX 345
#define LEN_PREFIX 155

/* no relation file comes near this; a bigger size means a broken header */
#define MAX_ENTRY_SIZE ((uint64_t) 1 << 40)

/* room for a quoted path in error messages (escapes make it grow) */
#define SHOWN_MAX 300

enum parse_state {
	ST_HEADER,					/* collecting a header block */
	ST_DATA,					/* passing a file's contents through */
	ST_PADDING,					/* skipping up to the next block boundary */
	ST_TRAILER,					/* after a zero block: only zeros may follow */
	ST_DONE,					/* finish() succeeded */
	ST_FAILED					/* an error was returned; input is refused */
};

struct ws_tar_parser {
	struct ws_tar_callbacks cb;
	enum parse_state state;
	unsigned char hdr[TAR_BLOCK];	/* a header split across feeds */
	size_t		hdr_len;
	uint64_t	left;			/* data or padding bytes still due (> 0) */
	uint64_t	offset;			/* stream offset of the next byte fed */
	uint64_t	entry_offset;	/* where the current header began */
	struct ws_tar_entry entry;
};

/* ---- header decoding ---- */

static bool
is_zero(const unsigned char *p, size_t len)
{
	size_t		i;

	for (i = 0; i < len; i++) {
		if (p[i] != 0)
			return false;
	}
	return true;
}

/*
 * Octal digits, optionally led by spaces and followed by spaces or NULs:
 * writers differ in padding ("0000644\0", "000644 \0", "     0 ").
 * Fields have at most 12 digits (36 bits), so the value cannot overflow.
 */
static bool
parse_octal(const unsigned char *f, size_t len, uint64_t *out)
{
	uint64_t	v = 0;
	size_t		i = 0;
	size_t		digits = 0;

	while (i < len && f[i] == ' ')
		i++;
	for (; i < len && f[i] >= '0' && f[i] <= '7'; i++, digits++)
		v = (v << 3) | (uint64_t) (f[i] - '0');
	if (digits == 0)
		return false;
	for (; i < len; i++) {
		if (f[i] != ' ' && f[i] != '\0')
			return false;
	}
	*out = v;
	return true;
}

/*
 * GNU base-256: big-endian binary after a leading 0x80 byte. PostgreSQL
 * writes it for values that do not fit the octal digits (files of 8 GiB
 * or more, large uids). Negative values (0xff lead) make no sense here.
 */
static bool
parse_base256(const unsigned char *f, size_t len, uint64_t *out)
{
	uint64_t	v;
	size_t		i;

	if (f[0] & 0x40)
		return false;
	v = f[0] & 0x3f;
	for (i = 1; i < len; i++) {
		if (v > (uint64_t) (INT64_MAX >> 8))
			return false;
		v = (v << 8) | f[i];
	}
	*out = v;
	return true;
}

/* A numeric field in either form; at most INT64_MAX so mtime fits. */
static bool
parse_number(const unsigned char *f, size_t len, uint64_t *out)
{
	if (f[0] & 0x80)
		return parse_base256(f, len, out);
	return parse_octal(f, len, out);
}

/* The name field for error messages about a header we cannot trust yet. */
static const char *
shown_name(const unsigned char *h, char *buf, size_t bufsize)
{
	const char *name = (const char *) h + OFF_NAME;

	return ws_str_quote(name, strnlen(name, LEN_NAME), buf, bufsize);
}

/*
 * The sum of all header bytes with the checksum field read as spaces.
 * Old tars summed signed chars, so both sums are accepted, as GNU tar does.
 */
static int
check_checksum(const unsigned char *h, uint64_t hdr_offset, struct ws_error *err)
{
	uint64_t	stored;
	uint64_t	usum = 0;
	int64_t		ssum = 0;
	size_t		i;
	char		shown[SHOWN_MAX];

	for (i = 0; i < TAR_BLOCK; i++) {
		unsigned char c = h[i];

		if (i >= OFF_CHKSUM && i < OFF_CHKSUM + LEN_CHKSUM)
			c = ' ';
		usum += c;
		ssum += (signed char) c;
	}
	if (!parse_octal(h + OFF_CHKSUM, LEN_CHKSUM, &stored))
		return ws_error_set(err, WS_ERR_CORRUPT,
							"tar header for \"%s\" at offset %" PRIu64 " has an invalid checksum field",
							shown_name(h, shown, sizeof(shown)), hdr_offset);
	if (stored != usum && (int64_t) stored != ssum)
		return ws_error_set(err, WS_ERR_CORRUPT,
							"tar header checksum mismatch for \"%s\" at offset %" PRIu64 ": stored %" PRIo64 ", computed %" PRIo64,
							shown_name(h, shown, sizeof(shown)), hdr_offset, stored, usum);
	return WS_OK;
}

static int
decode_type(const unsigned char *h, uint64_t hdr_offset, enum ws_tar_type *type,
			struct ws_error *err)
{
	char		flag = (char) h[OFF_TYPEFLAG];
	char		shown_flag[16];
	char		shown[SHOWN_MAX];

	switch (flag) {
	case '0':
	case '\0':					/* pre-POSIX tars marked regular files this way */
		*type = WS_TAR_FILE;
		return WS_OK;
	case '5':
		*type = WS_TAR_DIR;
		return WS_OK;
	case '2':
		*type = WS_TAR_SYMLINK;
		return WS_OK;
	}
	return ws_error_set(err, WS_ERR_CORRUPT,
						"unsupported tar entry type \"%s\" for \"%s\" at offset %" PRIu64,
						ws_str_quote(&flag, 1, shown_flag, sizeof(shown_flag)),
						shown_name(h, shown, sizeof(shown)), hdr_offset);
}

/* mode, uid, gid, size and mtime; uid and gid are only validated */
static int
decode_numbers(const unsigned char *h, uint64_t hdr_offset, struct ws_tar_entry *e,
			   struct ws_error *err)
{
	static const struct {
		size_t		off;
		size_t		len;
		const char *name;
	} fields[] = {
		{OFF_MODE, LEN_ID, "mode"},
		{OFF_UID, LEN_ID, "uid"},
		{OFF_GID, LEN_ID, "gid"},
		{OFF_SIZE, LEN_TIME, "size"},
		{OFF_MTIME, LEN_TIME, "mtime"},
	};
	uint64_t	values[sizeof(fields) / sizeof(fields[0])];
	size_t		i;
	char		shown[SHOWN_MAX];

	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		if (!parse_number(h + fields[i].off, fields[i].len, &values[i]))
			return ws_error_set(err, WS_ERR_CORRUPT,
								"tar header for \"%s\" at offset %" PRIu64 " has an invalid %s field",
								shown_name(h, shown, sizeof(shown)), hdr_offset,
								fields[i].name);
	}
	e->mode = (unsigned) (values[0] & 07777);
	e->size = values[3];
	e->mtime = (int64_t) values[4];
	if (e->size > MAX_ENTRY_SIZE)
		return ws_error_set(err, WS_ERR_CORRUPT,
							"tar entry \"%s\" at offset %" PRIu64 " is too large: %" PRIu64 " bytes, the limit is 1 TiB",
							shown_name(h, shown, sizeof(shown)), hdr_offset, e->size);
	return WS_OK;
}

/*
 * prefix + "/" + name into e->path. Only POSIX ustar ("ustar\0") has a
 * prefix field; GNU tar ("ustar  ") keeps access times there.
 */
static int
join_path(const unsigned char *h, uint64_t hdr_offset, struct ws_tar_entry *e,
		  struct ws_error *err)
{
	const char *name = (const char *) h + OFF_NAME;
	const char *prefix = (const char *) h + OFF_PREFIX;
	size_t		name_len = strnlen(name, LEN_NAME);
	size_t		prefix_len = 0;
	size_t		total;
	char		shown[SHOWN_MAX];

	if (h[OFF_MAGIC + 5] == '\0')
		prefix_len = strnlen(prefix, LEN_PREFIX);
	total = prefix_len > 0 ? prefix_len + 1 + name_len : name_len;
	if (total >= sizeof(e->path))
		return ws_error_set(err, WS_ERR_CORRUPT,
							"tar entry name \"%s\" at offset %" PRIu64 " is too long: %zu bytes, the limit is %zu",
							shown_name(h, shown, sizeof(shown)), hdr_offset, total,
							sizeof(e->path) - 1);
	if (prefix_len > 0) {
		memcpy(e->path, prefix, prefix_len);
		e->path[prefix_len] = '/';
		memcpy(e->path + prefix_len + 1, name, name_len);
	} else
		memcpy(e->path, name, name_len);
	e->path[total] = '\0';
	return WS_OK;
}

static bool
has_dotdot_component(const char *path)
{
	const char *c = path;

	for (;;) {
		size_t		len = strcspn(c, "/");

		if (len == 2 && c[0] == '.' && c[1] == '.')
			return true;
		if (c[len] == '\0')
			return false;
		c += len + 1;
	}
}

/*
 * The consumer joins the path to a target directory, so refuse anything
 * that could leave it or confuse line-based manifests. PostgreSQL ends the
 * names of directories and of tablespace symlinks with '/'; that is
 * dropped. A regular file named like a directory is refused.
 */
static int
check_path(struct ws_tar_entry *e, uint64_t hdr_offset, struct ws_error *err)
{
	size_t		len = strlen(e->path);
	char		shown[SHOWN_MAX];

	ws_str_quote(e->path, len, shown, sizeof(shown));
	if (len == 0)
		return ws_error_set(err, WS_ERR_CORRUPT,
							"tar entry at offset %" PRIu64 " has an empty name", hdr_offset);
	if (e->path[0] == '/')
		return ws_error_set(err, WS_ERR_CORRUPT,
							"tar entry \"%s\" has an absolute path", shown);
	if (has_dotdot_component(e->path))
		return ws_error_set(err, WS_ERR_CORRUPT,
							"tar entry \"%s\" has a \"..\" path component", shown);
	if (strpbrk(e->path, "\n\t") != NULL)
		return ws_error_set(err, WS_ERR_CORRUPT,
							"tar entry \"%s\" has a newline or tab in its name", shown);
	if (e->path[len - 1] == '/' && e->type == WS_TAR_FILE)
		return ws_error_set(err, WS_ERR_CORRUPT,
							"tar entry \"%s\" is a regular file but its name ends in \"/\"", shown);
	while (len > 0 && e->path[len - 1] == '/')
		e->path[--len] = '\0';
	return WS_OK;
}

/* directories and links carry no data; a size would desynchronise us */
static int
check_kind(const unsigned char *h, struct ws_tar_entry *e, struct ws_error *err)
{
	const char *linkname = (const char *) h + OFF_LINKNAME;
	size_t		link_len;
	char		shown[SHOWN_MAX];

	e->link[0] = '\0';
	if (e->type == WS_TAR_FILE)
		return WS_OK;
	ws_str_quote(e->path, strlen(e->path), shown, sizeof(shown));
	if (e->size != 0)
		return ws_error_set(err, WS_ERR_CORRUPT,
							"tar entry \"%s\" is a %s but has a size of %" PRIu64 " bytes",
							shown, e->type == WS_TAR_DIR ? "directory" : "symbolic link",
							e->size);
	if (e->type == WS_TAR_DIR)
		return WS_OK;
	link_len = strnlen(linkname, LEN_LINKNAME);
	if (link_len == 0)
		return ws_error_set(err, WS_ERR_CORRUPT,
							"symbolic link \"%s\" in tar archive has an empty target", shown);
	memcpy(e->link, linkname, link_len);
	e->link[link_len] = '\0';
	return WS_OK;
}

/* Validate a (non-zero) header block and fill in the entry. */
static int
decode_header(const unsigned char *h, uint64_t hdr_offset, struct ws_tar_entry *e,
			  struct ws_error *err)
{
	char		shown[SHOWN_MAX];
	int			rc;

	memset(e, 0, sizeof(*e));
	/* checksum first: if it is wrong, nothing else in the block means anything */
	rc = check_checksum(h, hdr_offset, err);
	if (rc != WS_OK)
		return rc;
	if (memcmp(h + OFF_MAGIC, "ustar", 5) != 0)
		return ws_error_set(err, WS_ERR_CORRUPT,
							"tar header for \"%s\" at offset %" PRIu64 " has no ustar magic",
							shown_name(h, shown, sizeof(shown)), hdr_offset);
	rc = decode_type(h, hdr_offset, &e->type, err);
	if (rc == WS_OK)
		rc = decode_numbers(h, hdr_offset, e, err);
	if (rc == WS_OK)
		rc = join_path(h, hdr_offset, e, err);
	if (rc == WS_OK)
		rc = check_path(e, hdr_offset, err);
	if (rc == WS_OK)
		rc = check_kind(h, e, err);
	return rc;
}

/* ---- the state machine ---- */

static int
end_entry(struct ws_tar_parser *p, struct ws_error *err)
{
	p->state = ST_HEADER;
	p->hdr_len = 0;
	if (p->cb.end != NULL)
		return p->cb.end(&p->entry, p->cb.arg, err);
	return WS_OK;
}

/* After a file's data: skip to the block boundary, or end the entry. */
static int
start_padding(struct ws_tar_parser *p, struct ws_error *err)
{
	uint64_t	rem = p->entry.size % TAR_BLOCK;

	if (rem == 0)
		return end_entry(p, err);
	p->state = ST_PADDING;
	p->left = TAR_BLOCK - rem;
	return WS_OK;
}

static int
process_header(struct ws_tar_parser *p, const unsigned char *h, struct ws_error *err)
{
	int			rc;

	if (is_zero(h, TAR_BLOCK)) {
		p->state = ST_TRAILER;
		return WS_OK;
	}
	rc = decode_header(h, p->entry_offset, &p->entry, err);
	if (rc != WS_OK)
		return rc;
	if (p->cb.begin != NULL) {
		rc = p->cb.begin(&p->entry, p->cb.arg, err);
		if (rc != WS_OK)
			return rc;
	}
	if (p->entry.type == WS_TAR_FILE && p->entry.size > 0) {
		p->state = ST_DATA;
		p->left = p->entry.size;
		return WS_OK;
	}
	return end_entry(p, err);
}

/* A whole header in the fed buffer is read in place; a split one is collected. */
static int
step_header(struct ws_tar_parser *p, const unsigned char *d, size_t len,
			size_t *used, struct ws_error *err)
{
	size_t		n;

	if (p->hdr_len == 0) {
		p->entry_offset = p->offset;
		if (len >= TAR_BLOCK) {
			*used = TAR_BLOCK;
			return process_header(p, d, err);
		}
	}
	n = TAR_BLOCK - p->hdr_len;
	if (n > len)
		n = len;
	memcpy(p->hdr + p->hdr_len, d, n);
	p->hdr_len += n;
	*used = n;
	if (p->hdr_len < TAR_BLOCK)
		return WS_OK;
	return process_header(p, p->hdr, err);
}

/* File contents go to the callback straight from the caller's buffer. */
static int
step_data(struct ws_tar_parser *p, const unsigned char *d, size_t len,
		  size_t *used, struct ws_error *err)
{
	size_t		n = len < p->left ? len : (size_t) p->left;
	int			rc;

	*used = n;
	p->left -= n;
	if (p->cb.data != NULL) {
		rc = p->cb.data(d, n, p->cb.arg, err);
		if (rc != WS_OK)
			return rc;
	}
	if (p->left > 0)
		return WS_OK;
	return start_padding(p, err);
}

/* PostgreSQL pads with zeros, but other writers need not, so it is not checked. */
static int
step_padding(struct ws_tar_parser *p, size_t len, size_t *used, struct ws_error *err)
{
	size_t		n = len < p->left ? len : (size_t) p->left;

	*used = n;
	p->left -= n;
	if (p->left > 0)
		return WS_OK;
	return end_entry(p, err);
}

/*
 * The archive has ended; tar pads the stream to its record size with more
 * zeros, but anything else means a concatenated or damaged archive whose
 * entries we would silently drop.
 */
static int
step_trailer(struct ws_tar_parser *p, const unsigned char *d, size_t len,
			 size_t *used, struct ws_error *err)
{
	size_t		i;

	for (i = 0; i < len; i++) {
		if (d[i] != 0)
			return ws_error_set(err, WS_ERR_CORRUPT,
								"tar archive has non-zero data after its end-of-archive marker at offset %" PRIu64,
								p->offset + i);
	}
	*used = len;
	return WS_OK;
}

static int
refuse(const struct ws_tar_parser *p, struct ws_error *err)
{
	if (p->state == ST_DONE)
		return ws_error_set(err, WS_ERR_INVALID, "tar parser received data after the end of the stream");
	return ws_error_set(err, WS_ERR_INVALID, "tar parser cannot continue after an error");
}

int
ws_tar_parser_new(const struct ws_tar_callbacks *cb, struct ws_tar_parser **out,
				  struct ws_error *err)
{
	struct ws_tar_parser *p;

	p = calloc(1, sizeof(*p));
	if (p == NULL)
		return ws_error_set(err, WS_ERR_NOMEM, "out of memory");
	if (cb != NULL)
		p->cb = *cb;
	p->state = ST_HEADER;
	*out = p;
	return WS_OK;
}

int
ws_tar_parser_feed(struct ws_tar_parser *p, const void *data, size_t len,
				   struct ws_error *err)
{
	const unsigned char *d = data;

	if (p->state == ST_DONE || p->state == ST_FAILED)
		return refuse(p, err);
	while (len > 0) {
		size_t		used = 0;
		int			rc = WS_OK;

		switch (p->state) {
		case ST_HEADER:
			rc = step_header(p, d, len, &used, err);
			break;
		case ST_DATA:
			rc = step_data(p, d, len, &used, err);
			break;
		case ST_PADDING:
			rc = step_padding(p, len, &used, err);
			break;
		case ST_TRAILER:
			rc = step_trailer(p, d, len, &used, err);
			break;
		case ST_DONE:
		case ST_FAILED:
			return refuse(p, err);	/* not reached: checked above */
		}
		if (rc != WS_OK) {
			p->state = ST_FAILED;
			return rc;
		}
		p->offset += used;
		d += used;
		len -= used;
	}
	return WS_OK;
}

int
ws_tar_parser_finish(struct ws_tar_parser *p, struct ws_error *err)
{
	char		shown[SHOWN_MAX];
	int			rc = WS_OK;

	ws_str_quote(p->entry.path, strlen(p->entry.path), shown, sizeof(shown));
	switch (p->state) {
	case ST_HEADER:
		if (p->hdr_len > 0)
			rc = ws_error_set(err, WS_ERR_CORRUPT,
							  "tar archive ends inside the header at offset %" PRIu64 ": %zu of %d bytes",
							  p->entry_offset, p->hdr_len, TAR_BLOCK);
		break;
	case ST_DATA:
		rc = ws_error_set(err, WS_ERR_CORRUPT,
						  "tar archive ends inside the data of \"%s\": %" PRIu64 " of %" PRIu64 " bytes missing",
						  shown, p->left, p->entry.size);
		break;
	case ST_PADDING:
		rc = ws_error_set(err, WS_ERR_CORRUPT,
						  "tar archive ends inside the padding after \"%s\"", shown);
		break;
	case ST_TRAILER:
	case ST_DONE:
		break;
	case ST_FAILED:
		return refuse(p, err);
	}
	p->state = rc == WS_OK ? ST_DONE : ST_FAILED;
	return rc;
}

void
ws_tar_parser_free(struct ws_tar_parser *p)
{
	free(p);
}
