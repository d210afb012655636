/*
 * test_server_checks.c — unit tests for src/status/server_checks.c
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "status/server_checks.h"

static struct ws_pg_server_info
healthy_primary(void)
{
	struct ws_pg_server_info info;

	memset(&info, 0, sizeof(info));
	info.role = WS_PG_PRIMARY;
	info.version_num = 150018;
	snprintf(info.version, sizeof(info.version), "15.18");
	snprintf(info.wal_level, sizeof(info.wal_level), "replica");
	snprintf(info.archive_mode, sizeof(info.archive_mode), "on");
	info.max_wal_senders = 10;
	info.max_replication_slots = 10;
	info.full_page_writes = true;
	info.wal_log_hints = true;
	info.hot_standby = true;
	info.primary_conninfo_known = true;
	info.can_read_stats = true;
	return info;
}

static const struct ws_check_item *
find(const struct ws_check_report *r, const char *name)
{
	for (int i = 0; i < r->count; i++) {
		if (strcmp(r->items[i].name, name) == 0)
			return &r->items[i];
	}
	return NULL;
}

static void
expect_level(const struct ws_pg_server_info *info, const char *name, enum ws_check_level level)
{
	struct ws_check_report r;
	const struct ws_check_item *item;

	ws_server_checks_run(info, &r);
	item = find(&r, name);
	if (item == NULL)
		fail_msg("no check named %s", name);
	if (item->level != level)
		fail_msg("%s: level %s, expected %s (%s)", name, ws_check_level_name(item->level),
				 ws_check_level_name(level), item->message);
	assert_true(ws_check_report_level(&r) >= level);
}

static void
test_healthy_primary_is_ok(void **state)
{
	struct ws_pg_server_info info = healthy_primary();
	struct ws_check_report r;

	(void) state;
	ws_server_checks_run(&info, &r);
	assert_int_equal(ws_check_report_level(&r), WS_CHECK_OK);
	assert_null(find(&r, "wal_receiver"));
}

static void
test_wal_level_minimal_is_an_error(void **state)
{
	struct ws_pg_server_info info = healthy_primary();
	struct ws_check_report r;

	(void) state;
	snprintf(info.wal_level, sizeof(info.wal_level), "minimal");
	expect_level(&info, "wal_level", WS_CHECK_ERROR);
	ws_server_checks_run(&info, &r);
	assert_non_null(strstr(find(&r, "wal_level")->message, "set it to replica"));
	snprintf(info.wal_level, sizeof(info.wal_level), "logical");
	expect_level(&info, "wal_level", WS_CHECK_OK);
}

static void
test_senders_and_slots(void **state)
{
	struct ws_pg_server_info info = healthy_primary();

	(void) state;
	info.max_wal_senders = 0;
	expect_level(&info, "max_wal_senders", WS_CHECK_ERROR);
	info.max_wal_senders = 1;
	expect_level(&info, "max_wal_senders", WS_CHECK_WARNING);
	info.max_replication_slots = 0;
	expect_level(&info, "max_replication_slots", WS_CHECK_WARNING);
}

static void
test_archiving_and_rewind(void **state)
{
	struct ws_pg_server_info info = healthy_primary();

	(void) state;
	snprintf(info.archive_mode, sizeof(info.archive_mode), "off");
	expect_level(&info, "archive_mode", WS_CHECK_WARNING);
	info.wal_log_hints = false;
	expect_level(&info, "wal_log_hints", WS_CHECK_WARNING);
	info.data_checksums = true;
	expect_level(&info, "wal_log_hints", WS_CHECK_OK);
	info.full_page_writes = false;
	expect_level(&info, "full_page_writes", WS_CHECK_ERROR);
}

static void
test_version(void **state)
{
	struct ws_pg_server_info info = healthy_primary();

	(void) state;
	info.version_num = 140010;
	expect_level(&info, "server_version", WS_CHECK_ERROR);
	info.version_num = 160001;
	expect_level(&info, "server_version", WS_CHECK_ERROR);
}

static void
test_standby(void **state)
{
	struct ws_pg_server_info info = healthy_primary();

	(void) state;
	info.role = WS_PG_STANDBY;
	info.primary_conninfo_set = true;
	snprintf(info.wal_receiver_status, sizeof(info.wal_receiver_status), "streaming");
	expect_level(&info, "wal_receiver", WS_CHECK_OK);
	snprintf(info.wal_receiver_status, sizeof(info.wal_receiver_status), "waiting");
	expect_level(&info, "wal_receiver", WS_CHECK_WARNING);
	info.primary_conninfo_set = false;
	expect_level(&info, "primary_conninfo", WS_CHECK_WARNING);
	info.primary_conninfo_known = false;
	expect_level(&info, "primary_conninfo", WS_CHECK_WARNING);
	info.can_read_stats = false;
	expect_level(&info, "wal_receiver", WS_CHECK_WARNING);
	info.hot_standby = false;
	expect_level(&info, "hot_standby", WS_CHECK_WARNING);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_healthy_primary_is_ok),
		cmocka_unit_test(test_wal_level_minimal_is_an_error),
		cmocka_unit_test(test_senders_and_slots),
		cmocka_unit_test(test_archiving_and_rewind),
		cmocka_unit_test(test_version),
		cmocka_unit_test(test_standby),
	};

	return cmocka_run_group_tests_name("status/server_checks", tests, NULL, NULL);
}
