/*
 * segment.h — WAL segment numbers and file names, as in PostgreSQL's
 * xlog_internal.h (XLByteToSeg, XLogFileName, IsXLogFileName, ...)
 */
#ifndef WALSHIP_WAL_SEGMENT_H
#define WALSHIP_WAL_SEGMENT_H

#include <stdbool.h>
#include <stdint.h>

#include "common/error.h"
#include "wal/lsn.h"

#define WS_WAL_SEGSIZE_MIN (1024u * 1024u)
#define WS_WAL_SEGSIZE_MAX (1024u * 1024u * 1024u)
#define WS_WAL_SEGSIZE_DEFAULT (16u * 1024u * 1024u)

#define WS_WAL_FNAME_LEN 24         /* "000000010000000000000001" */
#define WS_WAL_FNAME_BUFLEN 25

typedef uint64_t ws_segno;

/* A power of two from 1MB to 1GB, as initdb --wal-segsize allows. */
bool ws_wal_segsize_valid(uint64_t segsize);

/* Segments per 4GB "xlogid", the middle part of a segment file name. */
uint32_t ws_wal_segs_per_xlogid(uint32_t segsize);

/* The last segment number that still has a valid LSN. */
ws_segno ws_wal_segno_max(uint32_t segsize);

/*
 * The arithmetic below expects a valid segsize; with an invalid one it
 * returns 0 instead of dividing by zero. ws_wal_segno_to_lsn also returns
 * WS_LSN_INVALID for a segno above ws_wal_segno_max.
 */
ws_segno ws_wal_lsn_to_segno(ws_lsn lsn, uint32_t segsize);
ws_lsn ws_wal_segno_to_lsn(ws_segno segno, uint32_t segsize);
uint32_t ws_wal_segment_offset(ws_lsn lsn, uint32_t segsize);

/* "%08X%08X%08X" of tli, segno / segs per xlogid, segno % segs per xlogid. */
int ws_wal_segment_name(uint32_t tli, ws_segno segno, uint32_t segsize,
						char buf[WS_WAL_FNAME_BUFLEN], struct ws_error *err);

/* Inverse of ws_wal_segment_name; rejects anything it would not produce. */
int ws_wal_segment_parse(const char *name, uint32_t segsize, uint32_t *tli,
						 ws_segno *segno, struct ws_error *err);

/* Name shapes found in pg_wal and in an archive. */
bool ws_wal_is_segment_name(const char *name);         /* 24 uppercase hex */
bool ws_wal_is_partial_name(const char *name);         /* ... + ".partial" */
bool ws_wal_is_history_name(const char *name);         /* 8 hex + ".history" */
bool ws_wal_is_backup_history_name(const char *name);  /* 24.8 hex + ".backup" */

/* "%08X.history" */
int ws_wal_history_name(uint32_t tli, char buf[WS_WAL_FNAME_BUFLEN],
						struct ws_error *err);

#endif
