/*
 * segment.c — WAL segment numbers and file names (see segment.h)
 */
#include "common/str.h"
#include "wal/segment.h"

#include <stdio.h>
#include <string.h>

#define XLOGID_SPAN UINT64_C(0x100000000)   /* bytes named by one xlogid */
#define HISTORY_TLI_LEN 8

/* PostgreSQL writes file names with uppercase hex only. */
static bool
is_upper_hex(const char *s, size_t n)
{
	size_t		i;

	for (i = 0; i < n; i++) {
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'A' && s[i] <= 'F')))
			return false;
	}
	return true;
}

/* Exactly n uppercase hex characters followed by suffix and the end. */
static bool
is_hex_then(const char *name, size_t n, const char *suffix)
{
	size_t		slen = strlen(suffix);

	if (name == NULL || strnlen(name, n + slen + 1) != n + slen)
		return false;
	return is_upper_hex(name, n) && memcmp(name + n, suffix, slen) == 0;
}

static uint32_t
hex8_value(const char *s)
{
	uint32_t	value = 0;
	int			i;

	for (i = 0; i < 8; i++)
		value = (value << 4) |
			(uint32_t) (s[i] <= '9' ? s[i] - '0' : s[i] - 'A' + 10);
	return value;
}

bool
ws_wal_segsize_valid(uint64_t segsize)
{
	return segsize >= WS_WAL_SEGSIZE_MIN && segsize <= WS_WAL_SEGSIZE_MAX &&
		(segsize & (segsize - 1)) == 0;
}

uint32_t
ws_wal_segs_per_xlogid(uint32_t segsize)
{
	if (!ws_wal_segsize_valid(segsize))
		return 0;
	return (uint32_t) (XLOGID_SPAN / segsize);
}

ws_segno
ws_wal_segno_max(uint32_t segsize)
{
	if (!ws_wal_segsize_valid(segsize))
		return 0;
	return UINT64_MAX / segsize;
}

ws_segno
ws_wal_lsn_to_segno(ws_lsn lsn, uint32_t segsize)
{
	if (!ws_wal_segsize_valid(segsize))
		return 0;
	return lsn / segsize;
}

ws_lsn
ws_wal_segno_to_lsn(ws_segno segno, uint32_t segsize)
{
	if (!ws_wal_segsize_valid(segsize) || segno > ws_wal_segno_max(segsize))
		return WS_LSN_INVALID;
	return segno * segsize;
}

uint32_t
ws_wal_segment_offset(ws_lsn lsn, uint32_t segsize)
{
	if (!ws_wal_segsize_valid(segsize))
		return 0;
	return (uint32_t) (lsn & (segsize - 1));
}

int
ws_wal_segment_name(uint32_t tli, ws_segno segno, uint32_t segsize,
					char buf[WS_WAL_FNAME_BUFLEN], struct ws_error *err)
{
	uint32_t	per_id;

	buf[0] = '\0';
	if (!ws_wal_segsize_valid(segsize))
		return ws_error_set(err, WS_ERR_INVALID,
							"invalid WAL segment size %u", segsize);
	if (tli == 0)
		return ws_error_set(err, WS_ERR_INVALID,
							"invalid timeline ID 0 for WAL segment name");
	if (segno > ws_wal_segno_max(segsize))
		return ws_error_set(err, WS_ERR_INVALID,
							"WAL segment number %llu is out of range for segment size %u",
							(unsigned long long) segno, segsize);

	per_id = ws_wal_segs_per_xlogid(segsize);
	snprintf(buf, WS_WAL_FNAME_BUFLEN, "%08X%08X%08X", tli,
			 (unsigned int) (segno / per_id), (unsigned int) (segno % per_id));
	return WS_OK;
}

int
ws_wal_segment_parse(const char *name, uint32_t segsize, uint32_t *tli,
					 ws_segno *segno, struct ws_error *err)
{
	char		shown[WS_STR_QUOTE_BUFLEN];
	uint32_t	per_id;
	uint32_t	t;
	uint32_t	hi;
	uint32_t	lo;

	if (!ws_wal_segsize_valid(segsize))
		return ws_error_set(err, WS_ERR_INVALID,
							"invalid WAL segment size %u", segsize);
	if (!ws_wal_is_segment_name(name)) {
		size_t		len = name ? strnlen(name, WS_STR_QUOTE_BUFLEN) : 0;

		return ws_error_set(err, WS_ERR_INVALID,
							"invalid WAL segment name \"%s\"",
							ws_str_quote(name, len, shown, sizeof(shown)));
	}

	t = hex8_value(name);
	hi = hex8_value(name + 8);
	lo = hex8_value(name + 16);
	per_id = ws_wal_segs_per_xlogid(segsize);
	if (t == 0)
		return ws_error_set(err, WS_ERR_INVALID,
							"invalid WAL segment name \"%s\": timeline ID 0",
							name);
	if (lo >= per_id)
		return ws_error_set(err, WS_ERR_INVALID,
							"invalid WAL segment name \"%s\": segment %08X is out of range for segment size %u",
							name, lo, segsize);

	*tli = t;
	*segno = (ws_segno) hi * per_id + lo;
	return WS_OK;
}

bool
ws_wal_is_segment_name(const char *name)
{
	return is_hex_then(name, WS_WAL_FNAME_LEN, "");
}

bool
ws_wal_is_partial_name(const char *name)
{
	return is_hex_then(name, WS_WAL_FNAME_LEN, ".partial");
}

bool
ws_wal_is_history_name(const char *name)
{
	return is_hex_then(name, HISTORY_TLI_LEN, ".history");
}

bool
ws_wal_is_backup_history_name(const char *name)
{
	/* 000000010000000000000002.00000028.backup */
	return name != NULL &&
		strnlen(name, WS_WAL_FNAME_LEN + 1) == WS_WAL_FNAME_LEN + 1 &&
		is_upper_hex(name, WS_WAL_FNAME_LEN) &&
		name[WS_WAL_FNAME_LEN] == '.' &&
		is_hex_then(name + WS_WAL_FNAME_LEN + 1, 8, ".backup");
}

int
ws_wal_history_name(uint32_t tli, char buf[WS_WAL_FNAME_BUFLEN],
					struct ws_error *err)
{
	buf[0] = '\0';
	if (tli == 0)
		return ws_error_set(err, WS_ERR_INVALID,
							"invalid timeline ID 0 for history file name");
	snprintf(buf, WS_WAL_FNAME_BUFLEN, "%08X.history", tli);
	return WS_OK;
}
