/*
 * page.h — check the long page header at the start of a WAL segment
 *
 * The first page of every segment starts with XLogLongPageHeaderData, which
 * names the PostgreSQL WAL format, the cluster (system identifier), the
 * segment's own address and the segment and block sizes. Checking it before
 * archiving or restoring catches a file from the wrong cluster, the wrong
 * version, or plain garbage.
 */
#ifndef WALSHIP_WAL_PAGE_H
#define WALSHIP_WAL_PAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "wal/lsn.h"

#define WS_XLOG_PAGE_MAGIC_PG15 0xD110
#define WS_XLOG_BLCKSZ 8192

#define WS_XLP_FIRST_IS_CONTRECORD 0x0001
#define WS_XLP_LONG_HEADER 0x0002
#define WS_XLP_BKP_REMOVABLE 0x0004
#define WS_XLP_ALL_FLAGS 0x0007

#define WS_WAL_LONG_HEADER_SIZE 40

struct ws_wal_long_header {
	uint16_t magic;
	uint16_t info;
	uint32_t tli;
	ws_lsn pageaddr;
	uint32_t rem_len;
	uint64_t sysid;
	uint32_t seg_size;
	uint32_t xlog_blcksz;
};

/*
 * Decode the first WS_WAL_LONG_HEADER_SIZE bytes of buf. PostgreSQL writes
 * the header in host byte order, so this reads it in host byte order too.
 */
int ws_wal_long_header_decode(const unsigned char *buf, size_t len,
							  struct ws_wal_long_header *out,
							  struct ws_error *err);

/* What a header must say; zero fields accept anything. */
struct ws_wal_expect {
	uint16_t magic;             /* 0 = PostgreSQL 15 */
	uint64_t sysid;             /* 0 = any */
	uint32_t seg_size;          /* 0 = any valid size */
	uint32_t max_tli;           /* 0 = any; else tli must be 1..max_tli */
	bool check_pageaddr;
	ws_lsn pageaddr;
};

/*
 * WS_ERR_CORRUPT with a message naming the first field that is wrong.
 * exp may be NULL to check only what every valid header satisfies.
 *
 * max_tli is an upper bound, not an exact match, because a segment in which
 * a new timeline starts is copied from the old timeline and keeps its tli.
 */
int ws_wal_long_header_check(const struct ws_wal_long_header *h,
							 const struct ws_wal_expect *exp,
							 struct ws_error *err);

/* "PostgreSQL 15" for 0xD110; NULL for a magic we do not know. */
const char *ws_wal_magic_version(uint16_t magic);

#endif
