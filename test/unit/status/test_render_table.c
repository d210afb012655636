/*
 * test_render_table.c — unit tests for src/status/render_table.c
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>

#include "status/health.h"
#include "status/render.h"
#include "status_fixture.h"

static struct ws_status_report st;

/* The table for st, as a string the caller frees. */
static char *
render(void)
{
	struct ws_health_thresholds t = {16 * FIX_MB, 1024 * FIX_MB, 30, 300, 0};
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);

	assert_non_null(out);
	ws_health_eval(&st, &t, &st.health);
	ws_status_render_table(&st, out);
	fclose(out);
	return text;
}

static void
expect_line(const char *text, const char *line)
{
	const char *p = text;
	size_t n = strlen(line);

	while ((p = strstr(p, line)) != NULL) {
		if ((p == text || p[-1] == '\n') && (p[n] == '\n' || p[n] == '\0'))
			return;
		p++;
	}
	fail_msg("no line \"%s\" in:\n%s", line, text);
}

static void
test_primary(void **state)
{
	char *text;

	(void) state;
	fixture_primary(&st);
	fixture_add_stopped_slot(&st, "spare", 0x4000000);
	text = render();
	expect_line(text, "node          127.0.0.1:5432");
	expect_line(text, "role          primary");
	expect_line(text, "timeline      1");
	expect_line(text, "WAL LSN       0/5000000");
	expect_line(text, "mode          async");
	expect_line(text, "sync          async (synchronous_standby_names '')");
	expect_line(text, " name  | host     | state     | sync  | flush LSN | replay LSN | lag    | replay lag | slot    | retained");
	expect_line(text, "-------+----------+-----------+-------+-----------+------------+--------+------------+---------+---------");
	expect_line(text, " s1    | 10.0.0.2 | streaming | async | 0/4F00000 | 0/4F00000  | 1.0 MB | 1.5 s      | s1_slot | 2.0 MB");
	/* a slot without standby: unknown columns are "-" */
	expect_line(text, " spare | -        | stopped   | -     | -         | -          | -      | -          | spare   | 16.0 MB");
	expect_line(text, "archive       on: last 000000010000000000000003 at 2026-11-26T12:00:00.000000Z, 1 segment behind (7 s), 0 failures");
	expect_line(text, "health        critical");
	assert_non_null(strstr(text, "\n  critical slot \"spare\" has no standby connected"));
	free(text);
}

static void
test_standby_node(void **state)
{
	char *text;

	(void) state;
	fixture_primary(&st);
	st.nstandbys = 0;
	st.node.role = WS_PG_STANDBY;
	st.node.sync = WS_STATUS_SYNC_NA;
	st.node.receive_lsn = 0x3000000;
	st.node.replay_lsn = WS_LSN_INVALID;
	st.archive.enabled = false;
	ws_status_derive(&st);
	text = render();
	expect_line(text, "role          standby");
	expect_line(text, "receive LSN   0/3000000");
	expect_line(text, "replay LSN    none");
	expect_line(text, "replay lag    -");
	expect_line(text, "last replay   none");
	expect_line(text, "no standbys connected and no unused physical replication slots");
	expect_line(text, "archive       off (archive_mode on)");
	expect_line(text, "health        ok");
	assert_null(strstr(text, "WAL LSN"));
	assert_null(strstr(text, "\nsync "));
	free(text);
}

static void
test_unreachable(void **state)
{
	char *text;

	(void) state;
	fixture_unreachable(&st);
	text = render();
	expect_line(text, "node          -");
	expect_line(text, "state         unreachable: could not connect to the server: connection refused");
	expect_line(text, "health        critical");
	assert_null(strstr(text, "archive"));
	assert_null(strstr(text, "role"));
	free(text);
}

static void
test_units_and_local_host(void **state)
{
	char *text;

	(void) state;
	fixture_primary(&st);
	st.standbys[0].host[0] = '\0';
	st.standbys[0].replay_lsn = 0x5000000 - 1258291;
	st.standbys[0].replay_lag_ms = WS_STATUS_UNKNOWN;
	st.archive.failed_count = 1;
	snprintf(st.archive.last_failed_wal, sizeof(st.archive.last_failed_wal), "000000010000000000000004");
	ws_status_derive(&st);
	text = render();
	assert_non_null(strstr(text, " s1   | local | streaming | async | 0/4F00000 | 0/4ECCCCD  | 1.2 MB | -          |"));
	assert_non_null(strstr(text, "1 failure, last failed 000000010000000000000004\n"));
	free(text);
}

static void
test_archive_lag_unknown_time(void **state)
{
	char *text;

	(void) state;
	fixture_primary(&st);
	st.archive.last_archived_age_ms = WS_STATUS_UNKNOWN;
	snprintf(st.archive.last_archived_time, sizeof(st.archive.last_archived_time), "%s", "");
	snprintf(st.archive.last_archived_wal, sizeof(st.archive.last_archived_wal), "000000010000000000000001");
	ws_status_derive(&st);
	text = render();
	expect_line(text, "archive       on: last 000000010000000000000001, 3 segments behind (time unknown), 0 failures");
	free(text);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_primary),
		cmocka_unit_test(test_standby_node),
		cmocka_unit_test(test_unreachable),
		cmocka_unit_test(test_units_and_local_host),
		cmocka_unit_test(test_archive_lag_unknown_time),
	};

	return cmocka_run_group_tests_name("render_table", tests, NULL, NULL);
}
