/*
 * test_health.c — unit tests for src/status/health.c: from a report and
 * thresholds to ok (0), warning (1) or critical (2)
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "config/config.h"
#include "status/health.h"
#include "status_fixture.h"

static struct ws_status_report st;

static const struct ws_health_thresholds defaults = {
	.lag_warn_bytes = 16 * FIX_MB,
	.lag_crit_bytes = 1024 * FIX_MB,
	.lag_warn_seconds = 30,
	.lag_crit_seconds = 300,
	.max_slot_wal_keep = 0,
};

static enum ws_health
eval(const struct ws_health_thresholds *t, struct ws_health_report *r)
{
	ws_health_eval(&st, t, r);
	return r->level;
}

/* Some item has this level and a message containing fragment. */
static void
expect_item(const struct ws_health_report *r, enum ws_health level, const char *fragment)
{
	for (int i = 0; i < r->count; i++) {
		if (r->items[i].level == level && strstr(r->items[i].message, fragment) != NULL)
			return;
	}
	for (int i = 0; i < r->count; i++)
		print_message("item %d: %s %s\n", i, ws_health_name(r->items[i].level), r->items[i].message);
	fail_msg("no %s item with \"%s\"", ws_health_name(level), fragment);
}

static void
test_healthy(void **state)
{
	struct ws_health_report r;

	(void) state;
	fixture_primary(&st);
	assert_int_equal(eval(&defaults, &r), WS_HEALTH_OK);
	assert_int_equal(r.count, 0);
}

static void
test_lag_bytes(void **state)
{
	struct ws_health_thresholds t = defaults;
	struct ws_health_report r;

	(void) state;
	fixture_primary(&st);
	/* 1MB behind: over 1kB warns, over-or-equal is not over */
	t.lag_warn_bytes = 1024;
	assert_int_equal(eval(&t, &r), WS_HEALTH_WARNING);
	expect_item(&r, WS_HEALTH_WARNING, "standby \"s1\": replay lag 1.0 MB is over lag-warn 1.0 kB");
	t.lag_warn_bytes = FIX_MB;
	assert_int_equal(eval(&t, &r), WS_HEALTH_OK);
	t.lag_crit_bytes = 1024;
	t.lag_warn_bytes = 1024;
	assert_int_equal(eval(&t, &r), WS_HEALTH_CRITICAL);
	expect_item(&r, WS_HEALTH_CRITICAL, "over lag-crit 1.0 kB");
	assert_int_equal(r.count, 1);
	/* 0 disables */
	t.lag_crit_bytes = 0;
	t.lag_warn_bytes = 0;
	assert_int_equal(eval(&t, &r), WS_HEALTH_OK);
	/* unknown lag is not judged */
	t.lag_warn_bytes = 1;
	st.standbys[0].replay_lsn = WS_LSN_INVALID;
	ws_status_derive(&st);
	assert_int_equal(eval(&t, &r), WS_HEALTH_OK);
}

static void
test_lag_time(void **state)
{
	struct ws_health_thresholds t = defaults;
	struct ws_health_report r;

	(void) state;
	fixture_primary(&st);
	st.standbys[0].replay_lag_ms = 30000;
	assert_int_equal(eval(&t, &r), WS_HEALTH_OK);
	st.standbys[0].replay_lag_ms = 30001;
	assert_int_equal(eval(&t, &r), WS_HEALTH_WARNING);
	expect_item(&r, WS_HEALTH_WARNING, "replay lag 30.0 s is over lag-warn-time 30 s");
	st.standbys[0].replay_lag_ms = 300001;
	assert_int_equal(eval(&t, &r), WS_HEALTH_CRITICAL);
	/* NULL replay_lag: caught up */
	st.standbys[0].replay_lag_ms = WS_STATUS_UNKNOWN;
	assert_int_equal(eval(&t, &r), WS_HEALTH_OK);
	st.standbys[0].replay_lag_ms = 400000;
	t.lag_warn_seconds = 0;
	t.lag_crit_seconds = 0;
	assert_int_equal(eval(&t, &r), WS_HEALTH_OK);
}

static void
test_stopped_slot_is_critical(void **state)
{
	struct ws_health_report r;

	(void) state;
	fixture_primary(&st);
	fixture_add_stopped_slot(&st, "spare", 0x4000000);
	assert_int_equal(eval(&defaults, &r), WS_HEALTH_CRITICAL);
	expect_item(&r, WS_HEALTH_CRITICAL, "slot \"spare\" has no standby connected");
	expect_item(&r, WS_HEALTH_CRITICAL, "it retains 16.0 MB of WAL");
}

static void
test_lost_slot_is_critical(void **state)
{
	struct ws_health_report r;

	(void) state;
	fixture_primary(&st);
	snprintf(st.standbys[0].slot_wal_status, sizeof(st.standbys[0].slot_wal_status), "lost");
	assert_int_equal(eval(&defaults, &r), WS_HEALTH_CRITICAL);
	expect_item(&r, WS_HEALTH_CRITICAL, "slot \"s1_slot\" has lost WAL");
}

static void
test_slot_retention_warns(void **state)
{
	struct ws_health_thresholds t = defaults;
	struct ws_health_report r;

	(void) state;
	fixture_primary(&st);
	t.max_slot_wal_keep = 2 * FIX_MB;
	assert_int_equal(eval(&t, &r), WS_HEALTH_OK);
	t.max_slot_wal_keep = FIX_MB;
	assert_int_equal(eval(&t, &r), WS_HEALTH_WARNING);
	expect_item(&r, WS_HEALTH_WARNING, "slot \"s1_slot\" retains 2.0 MB of WAL, over max-slot-wal-keep 1.0 MB");
	/* the worst level wins, every problem is listed */
	fixture_add_stopped_slot(&st, "spare", 0x4000000);
	assert_int_equal(eval(&t, &r), WS_HEALTH_CRITICAL);
	assert_int_equal(r.count, 3);
}

static void
test_unreachable_is_critical(void **state)
{
	struct ws_health_report r;

	(void) state;
	fixture_unreachable(&st);
	assert_int_equal(eval(&defaults, &r), WS_HEALTH_CRITICAL);
	expect_item(&r, WS_HEALTH_CRITICAL, "server unreachable: could not connect to the server");
}

static void
test_standby_node_own_lag(void **state)
{
	struct ws_health_thresholds t = defaults;
	struct ws_health_report r;

	(void) state;
	fixture_primary(&st);
	st.nstandbys = 0;
	st.node.role = WS_PG_STANDBY;
	st.node.receive_lsn = 0x3000000;
	st.node.replay_lsn = 0x2000000;
	ws_status_derive(&st);
	assert_int_equal(eval(&t, &r), WS_HEALTH_OK);
	t.lag_warn_bytes = 1024;
	assert_int_equal(eval(&t, &r), WS_HEALTH_WARNING);
	expect_item(&r, WS_HEALTH_WARNING, "this standby: replay lag 16.0 MB");
}

static void
test_many_problems_are_capped(void **state)
{
	struct ws_health_report r;
	char name[32];

	(void) state;
	fixture_primary(&st);
	for (int i = 0; i < WS_STATUS_HEALTH_MAX_ITEMS + 5; i++) {
		snprintf(name, sizeof(name), "slot_%d", i);
		fixture_add_stopped_slot(&st, name, 0x4000000);
	}
	assert_int_equal(eval(&defaults, &r), WS_HEALTH_CRITICAL);
	assert_int_equal(r.count, WS_STATUS_HEALTH_MAX_ITEMS);
}

static void
test_thresholds_from_config(void **state)
{
	struct ws_health_thresholds t;
	struct ws_config cfg;
	struct ws_error err;

	(void) state;
	assert_int_equal(ws_config_init(&cfg, &err), WS_OK);
	ws_health_thresholds_from_config(&cfg, &t);
	assert_int_equal(t.lag_warn_bytes, defaults.lag_warn_bytes);
	assert_int_equal(t.lag_crit_bytes, defaults.lag_crit_bytes);
	assert_int_equal(t.lag_warn_seconds, 30);
	assert_int_equal(t.lag_crit_seconds, 300);
	assert_int_equal(t.max_slot_wal_keep, 0);
	ws_config_free(&cfg);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_healthy),
		cmocka_unit_test(test_lag_bytes),
		cmocka_unit_test(test_lag_time),
		cmocka_unit_test(test_stopped_slot_is_critical),
		cmocka_unit_test(test_lost_slot_is_critical),
		cmocka_unit_test(test_slot_retention_warns),
		cmocka_unit_test(test_unreachable_is_critical),
		cmocka_unit_test(test_standby_node_own_lag),
		cmocka_unit_test(test_many_problems_are_capped),
		cmocka_unit_test(test_thresholds_from_config),
	};

	return cmocka_run_group_tests_name("health", tests, NULL, NULL);
}
