/*
 * status.c — the status struct: initial values, names, derived numbers
 */
#include "status/status.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "wal/segment.h"

void
ws_status_standby_init(struct ws_status_standby *sb)
{
	memset(sb, 0, sizeof(*sb));
	sb->write_lag_bytes = WS_STATUS_UNKNOWN;
	sb->flush_lag_bytes = WS_STATUS_UNKNOWN;
	sb->replay_lag_bytes = WS_STATUS_UNKNOWN;
	sb->write_lag_ms = WS_STATUS_UNKNOWN;
	sb->flush_lag_ms = WS_STATUS_UNKNOWN;
	sb->replay_lag_ms = WS_STATUS_UNKNOWN;
	sb->slot_retained_bytes = WS_STATUS_UNKNOWN;
}

void
ws_status_init(struct ws_status_report *st)
{
	memset(st, 0, sizeof(*st));
	st->node.replay_lag_bytes = WS_STATUS_UNKNOWN;
	st->archive.last_archived_age_ms = WS_STATUS_UNKNOWN;
	st->archive.failed_count = WS_STATUS_UNKNOWN;
	st->archive.lag_segments = WS_STATUS_UNKNOWN;
	st->archive.lag_ms = WS_STATUS_UNKNOWN;
}

const char *
ws_status_mode_name(enum ws_status_mode mode)
{
	switch (mode) {
	case WS_STATUS_MODE_ASYNC: return "async";
	case WS_STATUS_MODE_SYNC: return "sync";
	case WS_STATUS_MODE_SEMI_SYNC: return "semi-sync";
	}
	return "unknown";
}

const char *
ws_status_sync_name(enum ws_status_sync sync)
{
	switch (sync) {
	case WS_STATUS_SYNC_NA: return NULL;
	case WS_STATUS_SYNC_ASYNC: return "async";
	case WS_STATUS_SYNC_SYNC: return "sync";
	case WS_STATUS_SYNC_DEGRADED: return "degraded";
	}
	return NULL;
}

const char *
ws_health_name(enum ws_health level)
{
	switch (level) {
	case WS_HEALTH_OK: return "ok";
	case WS_HEALTH_WARNING: return "warning";
	case WS_HEALTH_CRITICAL: return "critical";
	case WS_HEALTH_UNKNOWN: return "unknown";
	}
	return "unknown";
}

enum ws_status_sync
ws_status_sync_of(enum ws_pg_role role, enum ws_status_mode mode,
				  const char *synchronous_standby_names)
{
	if (role != WS_PG_PRIMARY)
		return WS_STATUS_SYNC_NA;
	if (mode == WS_STATUS_MODE_ASYNC)
		return WS_STATUS_SYNC_ASYNC;
	if (synchronous_standby_names == NULL || synchronous_standby_names[0] == '\0')
		return WS_STATUS_SYNC_DEGRADED;
	return WS_STATUS_SYNC_SYNC;
}

ws_lsn
ws_status_reference_lsn(const struct ws_status_node *node)
{
	if (node->role == WS_PG_PRIMARY)
		return node->current_lsn;
	/* what a cascading walsender can send: the newer of the two */
	return node->receive_lsn > node->replay_lsn ? node->receive_lsn : node->replay_lsn;
}

/* ref - lsn, never negative; unknown when either is */
static int64_t
lag_bytes(ws_lsn ref, ws_lsn lsn)
{
	int64_t d;

	if (ref == WS_LSN_INVALID || lsn == WS_LSN_INVALID)
		return WS_STATUS_UNKNOWN;
	d = ws_lsn_diff(ref, lsn);
	return d < 0 ? 0 : d;
}

/*
 * Segments that are complete but not archived: the segment being written
 * (the one holding the insert position) cannot be archived yet and does
 * not count. pg_stat_archiver names a segment, a .partial or .backup file
 * (which start with a segment's name) or a timeline .history file (lag
 * unknown).
 */
static void
derive_archive(struct ws_status_report *st)
{
	struct ws_status_archive *a = &st->archive;
	uint32_t segsize = st->node.wal_segment_size;
	ws_lsn current = st->node.role == WS_PG_PRIMARY ? st->node.insert_lsn : st->node.receive_lsn;
	char name[WS_WAL_FNAME_BUFLEN];
	struct ws_error ignored;
	ws_segno archived;
	ws_segno writing;
	uint32_t tli;
	int64_t lag;

	a->lag_segments = WS_STATUS_UNKNOWN;
	a->lag_ms = WS_STATUS_UNKNOWN;
	if (!a->enabled || current == WS_LSN_INVALID || !ws_wal_segsize_valid(segsize) ||
		strlen(a->last_archived_wal) < WS_WAL_FNAME_LEN)
		return;
	memcpy(name, a->last_archived_wal, WS_WAL_FNAME_LEN);
	name[WS_WAL_FNAME_LEN] = '\0';
	if (ws_wal_segment_parse(name, segsize, &tli, &archived, &ignored) != WS_OK)
		return;
	writing = ws_wal_lsn_to_segno(current, segsize);
	lag = writing > archived ? (int64_t) (writing - archived - 1) : 0;
	a->lag_segments = lag;
	if (lag == 0)
		a->lag_ms = 0;
	else if (a->last_archived_age_ms >= 0)
		a->lag_ms = a->last_archived_age_ms;
}

void
ws_status_derive(struct ws_status_report *st)
{
	ws_lsn ref = ws_status_reference_lsn(&st->node);

	if (st->node.role == WS_PG_STANDBY)
		st->node.replay_lag_bytes = lag_bytes(st->node.receive_lsn, st->node.replay_lsn);
	else
		st->node.replay_lag_bytes = WS_STATUS_UNKNOWN;
	for (int i = 0; i < st->nstandbys; i++) {
		struct ws_status_standby *sb = &st->standbys[i];

		if (!sb->stopped) {
			sb->write_lag_bytes = lag_bytes(ref, sb->write_lsn);
			sb->flush_lag_bytes = lag_bytes(ref, sb->flush_lsn);
			sb->replay_lag_bytes = lag_bytes(ref, sb->replay_lsn);
		}
		sb->slot_retained_bytes = sb->slot[0] != '\0' ? lag_bytes(ref, sb->slot_restart_lsn)
			: WS_STATUS_UNKNOWN;
	}
	derive_archive(st);
}

void
ws_status_format_bytes(int64_t bytes, char *buf, size_t size)
{
	static const char *const units[] = {"kB", "MB", "GB", "TB", "PB", "EB"};
	double v;
	int u;

	if (bytes < 0) {
		snprintf(buf, size, "-");
		return;
	}
	if (bytes < 1024) {
		snprintf(buf, size, "%" PRId64 " B", bytes);
		return;
	}
	v = (double) bytes / 1024.0;
	for (u = 0; v >= 1024.0 && u < (int) (sizeof(units) / sizeof(units[0])) - 1; u++)
		v /= 1024.0;
	/* 1023.95 kB would print as "1024.0 kB": move up a unit instead */
	if (v >= 1023.95 && u < (int) (sizeof(units) / sizeof(units[0])) - 1) {
		v /= 1024.0;
		u++;
	}
	snprintf(buf, size, "%.1f %s", v, units[u]);
}
