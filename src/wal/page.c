/*
 * page.c — decode and check a WAL segment's long page header (see page.h)
 */
#include "wal/page.h"

#include <inttypes.h>
#include <string.h>

#include "wal/segment.h"

/* XLogLongPageHeaderData field offsets on 64-bit PostgreSQL builds */
#define OFF_MAGIC 0
#define OFF_INFO 2
#define OFF_TLI 4
#define OFF_PAGEADDR 8
#define OFF_REM_LEN 16
#define OFF_SYSID 24
#define OFF_SEG_SIZE 32
#define OFF_XLOG_BLCKSZ 36

/* XLOG_PAGE_MAGIC by release, from PostgreSQL's xlog_internal.h */
static const struct {
	uint16_t	magic;
	const char *version;
} known_magic[] = {
	{0xD07E, "PostgreSQL 9.4"},
	{0xD087, "PostgreSQL 9.5"},
	{0xD093, "PostgreSQL 9.6"},
	{0xD097, "PostgreSQL 10"},
	{0xD098, "PostgreSQL 11"},
	{0xD101, "PostgreSQL 12"},
	{0xD106, "PostgreSQL 13"},
	{0xD10D, "PostgreSQL 14"},
	{0xD110, "PostgreSQL 15"},
	{0xD113, "PostgreSQL 16"},
	{0xD116, "PostgreSQL 17"},
	{0xD118, "PostgreSQL 18"},
};

const char *
ws_wal_magic_version(uint16_t magic)
{
	size_t		i;

	for (i = 0; i < sizeof(known_magic) / sizeof(known_magic[0]); i++) {
		if (known_magic[i].magic == magic)
			return known_magic[i].version;
	}
	return NULL;
}

int
ws_wal_long_header_decode(const unsigned char *buf, size_t len,
						  struct ws_wal_long_header *out,
						  struct ws_error *err)
{
	if (buf == NULL || len < WS_WAL_LONG_HEADER_SIZE)
		return ws_error_set(err, WS_ERR_CORRUPT,
							"WAL segment is too short for a page header: %zu bytes, need %d",
							buf == NULL ? (size_t) 0 : len,
							WS_WAL_LONG_HEADER_SIZE);

	memset(out, 0, sizeof(*out));
	memcpy(&out->magic, buf + OFF_MAGIC, sizeof(out->magic));
	memcpy(&out->info, buf + OFF_INFO, sizeof(out->info));
	memcpy(&out->tli, buf + OFF_TLI, sizeof(out->tli));
	memcpy(&out->pageaddr, buf + OFF_PAGEADDR, sizeof(out->pageaddr));
	memcpy(&out->rem_len, buf + OFF_REM_LEN, sizeof(out->rem_len));
	memcpy(&out->sysid, buf + OFF_SYSID, sizeof(out->sysid));
	memcpy(&out->seg_size, buf + OFF_SEG_SIZE, sizeof(out->seg_size));
	memcpy(&out->xlog_blcksz, buf + OFF_XLOG_BLCKSZ, sizeof(out->xlog_blcksz));
	return WS_OK;
}

static int
check_magic(uint16_t found, uint16_t expected, struct ws_error *err)
{
	const char *want = ws_wal_magic_version(expected);
	const char *got = ws_wal_magic_version(found);

	if (found == expected)
		return WS_OK;
	return ws_error_set(err, WS_ERR_CORRUPT,
						"WAL segment has wrong magic number: expected 0x%04X (%s), found 0x%04X (%s)",
						expected, want ? want : "unknown PostgreSQL version",
						found, got ? got : "unknown PostgreSQL version");
}

int
ws_wal_long_header_check(const struct ws_wal_long_header *h,
						 const struct ws_wal_expect *exp,
						 struct ws_error *err)
{
	static const struct ws_wal_expect any = {0};
	char		a[WS_LSN_STRLEN];
	char		b[WS_LSN_STRLEN];
	int			rc;

	if (exp == NULL)
		exp = &any;

	/* a wrong magic means the other fields may not even be where we look */
	rc = check_magic(h->magic, exp->magic ? exp->magic : WS_XLOG_PAGE_MAGIC_PG15,
					 err);
	if (rc != WS_OK)
		return rc;

	if ((h->info & WS_XLP_LONG_HEADER) == 0)
		return ws_error_set(err, WS_ERR_CORRUPT,
							"WAL segment does not start with a long page header: info flags 0x%04X",
							h->info);
	if ((h->info & ~WS_XLP_ALL_FLAGS) != 0)
		return ws_error_set(err, WS_ERR_CORRUPT,
							"WAL segment page header has invalid info bits 0x%04X",
							h->info);

	if (!ws_wal_segsize_valid(h->seg_size))
		return ws_error_set(err, WS_ERR_CORRUPT,
							"WAL segment has invalid segment size %" PRIu32,
							h->seg_size);
	if (exp->seg_size != 0 && h->seg_size != exp->seg_size)
		return ws_error_set(err, WS_ERR_CORRUPT,
							"WAL segment has wrong segment size: expected %" PRIu32 ", found %" PRIu32,
							exp->seg_size, h->seg_size);
	if (h->xlog_blcksz != WS_XLOG_BLCKSZ)
		return ws_error_set(err, WS_ERR_CORRUPT,
							"WAL segment has wrong WAL block size: expected %d, found %" PRIu32,
							WS_XLOG_BLCKSZ, h->xlog_blcksz);

	if (exp->sysid != 0 && h->sysid != exp->sysid)
		return ws_error_set(err, WS_ERR_CORRUPT,
							"WAL segment has wrong system identifier: expected %" PRIu64 ", found %" PRIu64,
							exp->sysid, h->sysid);

	if (h->tli == 0)
		return ws_error_set(err, WS_ERR_CORRUPT,
							"WAL segment has invalid timeline ID 0");
	if (exp->max_tli != 0 && h->tli > exp->max_tli)
		return ws_error_set(err, WS_ERR_CORRUPT,
							"WAL segment has timeline ID %" PRIu32 ", expected at most %" PRIu32,
							h->tli, exp->max_tli);

	if (ws_wal_segment_offset(h->pageaddr, h->seg_size) != 0) {
		ws_lsn_format(h->pageaddr, a);
		return ws_error_set(err, WS_ERR_CORRUPT,
							"WAL segment has page address %s, which is not at a segment boundary",
							a);
	}
	if (exp->check_pageaddr && h->pageaddr != exp->pageaddr) {
		ws_lsn_format(exp->pageaddr, a);
		ws_lsn_format(h->pageaddr, b);
		return ws_error_set(err, WS_ERR_CORRUPT,
							"WAL segment has wrong page address: expected %s, found %s",
							a, b);
	}

	return WS_OK;
}
