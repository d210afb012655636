/*
 * test_status.c — unit tests for src/status/status.c: derived lag,
 * retention and archive lag, sync state, byte formatting
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "status_fixture.h"

static struct ws_status_report st;

static void
test_derive_primary(void **state)
{
	(void) state;
	fixture_primary(&st);
	assert_int_equal(st.standbys[0].write_lag_bytes, 0);
	assert_int_equal(st.standbys[0].flush_lag_bytes, FIX_MB);
	assert_int_equal(st.standbys[0].replay_lag_bytes, FIX_MB);
	assert_int_equal(st.standbys[0].slot_retained_bytes, 2 * FIX_MB);
	assert_int_equal(st.node.replay_lag_bytes, WS_STATUS_UNKNOWN);
	/* segment 5 is being written, 3 is archived: 4 waits */
	assert_int_equal(st.archive.lag_segments, 1);
	assert_int_equal(st.archive.lag_ms, 7000);
}

static void
test_derive_unknowns(void **state)
{
	struct ws_status_standby *sb;

	(void) state;
	fixture_primary(&st);
	sb = &st.standbys[0];
	/* a standby that has not replied yet, without a slot */
	sb->write_lsn = sb->flush_lsn = sb->replay_lsn = WS_LSN_INVALID;
	sb->slot[0] = '\0';
	ws_status_derive(&st);
	assert_int_equal(sb->write_lag_bytes, WS_STATUS_UNKNOWN);
	assert_int_equal(sb->replay_lag_bytes, WS_STATUS_UNKNOWN);
	assert_int_equal(sb->slot_retained_bytes, WS_STATUS_UNKNOWN);
	/* a standby ahead of the reference reads as 0, never negative */
	sb->replay_lsn = 0x6000000;
	ws_status_derive(&st);
	assert_int_equal(sb->replay_lag_bytes, 0);
	/* a stopped slot has retention but no lag */
	sb = fixture_add_stopped_slot(&st, "gone", 0x1000000);
	assert_int_equal(sb->slot_retained_bytes, 64 * FIX_MB);
	assert_int_equal(sb->replay_lag_bytes, WS_STATUS_UNKNOWN);
}

static void
test_derive_archive(void **state)
{
	(void) state;
	fixture_primary(&st);
	/* caught up: the last complete segment is archived */
	snprintf(st.archive.last_archived_wal, sizeof(st.archive.last_archived_wal), "000000010000000000000004");
	ws_status_derive(&st);
	assert_int_equal(st.archive.lag_segments, 0);
	assert_int_equal(st.archive.lag_ms, 0);
	/* a backup history file names the segment it is in */
	snprintf(st.archive.last_archived_wal, sizeof(st.archive.last_archived_wal),
			 "000000010000000000000002.00000028.backup");
	ws_status_derive(&st);
	assert_int_equal(st.archive.lag_segments, 2);
	/* a timeline history file says nothing about segments */
	snprintf(st.archive.last_archived_wal, sizeof(st.archive.last_archived_wal), "00000002.history");
	ws_status_derive(&st);
	assert_int_equal(st.archive.lag_segments, WS_STATUS_UNKNOWN);
	assert_int_equal(st.archive.lag_ms, WS_STATUS_UNKNOWN);
	/* never archived */
	st.archive.last_archived_wal[0] = '\0';
	ws_status_derive(&st);
	assert_int_equal(st.archive.lag_segments, WS_STATUS_UNKNOWN);
	/* lag, but no time known */
	snprintf(st.archive.last_archived_wal, sizeof(st.archive.last_archived_wal), "000000010000000000000001");
	st.archive.last_archived_age_ms = WS_STATUS_UNKNOWN;
	ws_status_derive(&st);
	assert_int_equal(st.archive.lag_segments, 3);
	assert_int_equal(st.archive.lag_ms, WS_STATUS_UNKNOWN);
	/* off */
	st.archive.enabled = false;
	ws_status_derive(&st);
	assert_int_equal(st.archive.lag_segments, WS_STATUS_UNKNOWN);
}

static void
test_derive_standby_node(void **state)
{
	(void) state;
	fixture_primary(&st);
	st.nstandbys = 0;
	st.node.role = WS_PG_STANDBY;
	st.node.current_lsn = st.node.insert_lsn = WS_LSN_INVALID;
	st.node.receive_lsn = 0x3000000;
	st.node.replay_lsn = 0x2F00000;
	st.archive.enabled = false;
	ws_status_derive(&st);
	assert_int_equal(st.node.replay_lag_bytes, FIX_MB);
	assert_true(ws_status_reference_lsn(&st.node) == 0x3000000);
	st.node.receive_lsn = WS_LSN_INVALID;
	ws_status_derive(&st);
	assert_int_equal(st.node.replay_lag_bytes, WS_STATUS_UNKNOWN);
	assert_true(ws_status_reference_lsn(&st.node) == 0x2F00000);
}

static void
test_sync_of(void **state)
{
	(void) state;
	assert_int_equal(ws_status_sync_of(WS_PG_PRIMARY, WS_STATUS_MODE_ASYNC, ""), WS_STATUS_SYNC_ASYNC);
	assert_int_equal(ws_status_sync_of(WS_PG_PRIMARY, WS_STATUS_MODE_ASYNC, "s1"), WS_STATUS_SYNC_ASYNC);
	assert_int_equal(ws_status_sync_of(WS_PG_PRIMARY, WS_STATUS_MODE_SYNC, "FIRST 1 (s1)"), WS_STATUS_SYNC_SYNC);
	assert_int_equal(ws_status_sync_of(WS_PG_PRIMARY, WS_STATUS_MODE_SYNC, ""), WS_STATUS_SYNC_DEGRADED);
	assert_int_equal(ws_status_sync_of(WS_PG_PRIMARY, WS_STATUS_MODE_SEMI_SYNC, ""), WS_STATUS_SYNC_DEGRADED);
	assert_int_equal(ws_status_sync_of(WS_PG_PRIMARY, WS_STATUS_MODE_SEMI_SYNC, "s2"), WS_STATUS_SYNC_SYNC);
	assert_int_equal(ws_status_sync_of(WS_PG_STANDBY, WS_STATUS_MODE_SYNC, ""), WS_STATUS_SYNC_NA);
	assert_null(ws_status_sync_name(WS_STATUS_SYNC_NA));
	assert_string_equal(ws_status_sync_name(WS_STATUS_SYNC_DEGRADED), "degraded");
	assert_string_equal(ws_status_mode_name(WS_STATUS_MODE_SEMI_SYNC), "semi-sync");
	assert_string_equal(ws_health_name(WS_HEALTH_CRITICAL), "critical");
}

static void
expect_bytes(int64_t bytes, const char *text)
{
	char buf[32];

	ws_status_format_bytes(bytes, buf, sizeof(buf));
	assert_string_equal(buf, text);
}

static void
test_format_bytes(void **state)
{
	(void) state;
	expect_bytes(0, "0 B");
	expect_bytes(1023, "1023 B");
	expect_bytes(1024, "1.0 kB");
	expect_bytes(1229, "1.2 kB");
	expect_bytes(1258291, "1.2 MB");
	expect_bytes(16 * FIX_MB, "16.0 MB");
	expect_bytes(1024 * FIX_MB - 1, "1.0 GB");
	expect_bytes(INT64_C(3) << 40, "3.0 TB");
	expect_bytes(INT64_MAX, "8.0 EB");
	expect_bytes(-1, "-");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_derive_primary),
		cmocka_unit_test(test_derive_unknowns),
		cmocka_unit_test(test_derive_archive),
		cmocka_unit_test(test_derive_standby_node),
		cmocka_unit_test(test_sync_of),
		cmocka_unit_test(test_format_bytes),
	};

	return cmocka_run_group_tests_name("status", tests, NULL, NULL);
}
