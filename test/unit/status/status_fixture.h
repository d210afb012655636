/*
 * status_fixture.h — hand-made `walship status` reports for the unit tests
 * of src/status (health, renderers)
 */
#ifndef WALSHIP_TEST_STATUS_FIXTURE_H
#define WALSHIP_TEST_STATUS_FIXTURE_H

#include <stdio.h>
#include <string.h>

#include "status/status.h"

#define FIX_MB (INT64_C(1024) * 1024)

/*
 * A primary at 0/5000000 (16MB segments, timeline 1), archiving, with
 * one streaming standby "s1" on slot "s1_slot" that is 1MB behind in
 * replay, and nothing else.
 */
static inline void
fixture_primary(struct ws_status_report *st)
{
	struct ws_status_standby *sb = &st->standbys[0];

	ws_status_init(st);
	st->node.up = true;
	snprintf(st->node.target, sizeof(st->node.target), "127.0.0.1:5432");
	st->node.role = WS_PG_PRIMARY;
	st->node.timeline = 1;
	st->node.wal_segment_size = 16 * 1024 * 1024;
	st->node.current_lsn = 0x5000000;
	st->node.insert_lsn = 0x5000000;
	st->node.mode = WS_STATUS_MODE_ASYNC;
	st->node.sync = WS_STATUS_SYNC_ASYNC;

	ws_status_standby_init(sb);
	snprintf(sb->name, sizeof(sb->name), "s1");
	sb->pid = 4242;
	snprintf(sb->host, sizeof(sb->host), "10.0.0.2");
	snprintf(sb->state, sizeof(sb->state), "streaming");
	snprintf(sb->sync_state, sizeof(sb->sync_state), "async");
	sb->sent_lsn = 0x5000000;
	sb->write_lsn = 0x5000000;
	sb->flush_lsn = 0x4F00000;
	sb->replay_lsn = 0x4F00000;
	sb->replay_lag_ms = 1500;
	snprintf(sb->slot, sizeof(sb->slot), "s1_slot");
	sb->slot_restart_lsn = 0x4E00000;
	snprintf(sb->slot_wal_status, sizeof(sb->slot_wal_status), "reserved");
	st->nstandbys = 1;

	st->archive.enabled = true;
	snprintf(st->archive.archive_mode, sizeof(st->archive.archive_mode), "on");
	snprintf(st->archive.last_archived_wal, sizeof(st->archive.last_archived_wal),
			 "000000010000000000000003");
	snprintf(st->archive.last_archived_time, sizeof(st->archive.last_archived_time),
			 "2026-11-26T12:00:00.000000Z");
	st->archive.last_archived_age_ms = 7000;
	st->archive.failed_count = 0;
	ws_status_derive(st);
}

/* Add a physical slot nobody uses. */
static inline struct ws_status_standby *
fixture_add_stopped_slot(struct ws_status_report *st, const char *name, ws_lsn restart_lsn)
{
	struct ws_status_standby *sb = &st->standbys[st->nstandbys++];

	ws_status_standby_init(sb);
	sb->stopped = true;
	snprintf(sb->name, sizeof(sb->name), "%s", name);
	snprintf(sb->slot, sizeof(sb->slot), "%s", name);
	snprintf(sb->state, sizeof(sb->state), "stopped");
	snprintf(sb->slot_wal_status, sizeof(sb->slot_wal_status), "reserved");
	sb->slot_restart_lsn = restart_lsn;
	ws_status_derive(st);
	return sb;
}

/* A node walship could not reach. */
static inline void
fixture_unreachable(struct ws_status_report *st)
{
	ws_status_init(st);
	snprintf(st->node.error, sizeof(st->node.error),
			 "could not connect to the server: connection refused");
}

#endif
