/*
 * test_render_prom.c — unit tests for src/status/render_prom.c
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <ctype.h>
#include <stdlib.h>

#include "common/buf.h"
#include "status/render.h"
#include "status_fixture.h"

static struct ws_status_report st;

/*
 * Check the exposition format line by line: comments are "# HELP name
 * text" or "# TYPE name gauge|counter", once per family, before its
 * samples; a sample is name, optional {label="value",...} with escapes,
 * a space and a number.
 */
static void
check_format(const char *text)
{
	char families[64][128];
	int nfamilies = 0;
	char typed[128] = "";
	const char *p = text;

	while (*p != '\0') {
		const char *end = strchr(p, '\n');
		char line[1024];
		char name[128];
		size_t n;
		char *q;

		assert_non_null(end);
		n = (size_t) (end - p);
		assert_true(n < sizeof(line));
		memcpy(line, p, n);
		line[n] = '\0';
		p = end + 1;
		if (strncmp(line, "# HELP ", 7) == 0) {
			assert_int_equal(sscanf(line + 7, "%127s", name), 1);
			for (int i = 0; i < nfamilies; i++)
				if (strcmp(families[i], name) == 0)
					fail_msg("family %s described twice", name);
			snprintf(families[nfamilies++], sizeof(families[0]), "%s", name);
			continue;
		}
		if (strncmp(line, "# TYPE ", 7) == 0) {
			char type[32];

			assert_int_equal(sscanf(line + 7, "%127s %31s", typed, type), 2);
			assert_true(strcmp(type, "gauge") == 0 || strcmp(type, "counter") == 0);
			assert_string_equal(typed, families[nfamilies - 1]);
			continue;
		}
		/* a sample of the family just typed */
		q = line;
		while (islower((unsigned char) *q) || *q == '_')
			q++;
		n = (size_t) (q - line);
		if (strlen(typed) != n || strncmp(line, typed, n) != 0)
			fail_msg("sample \"%s\" is not of family %s", line, typed);
		if (*q == '{') {
			q++;
			while (*q != '}') {
				while (islower((unsigned char) *q) || *q == '_')
					q++;
				assert_int_equal(*q++, '=');
				assert_int_equal(*q++, '"');
				while (*q != '"') {
					assert_true(*q != '\0' && *q != '\n');
					if (*q == '\\') {
						q++;
						assert_true(*q == '\\' || *q == '"' || *q == 'n');
					}
					q++;
				}
				q++;
				if (*q == ',')
					q++;
				else
					assert_int_equal(*q, '}');
			}
			q++;
		}
		assert_int_equal(*q++, ' ');
		{
			char *num_end;

			(void) strtod(q, &num_end);
			if (num_end == q || *num_end != '\0')
				fail_msg("value of \"%s\" is not a number", line);
		}
	}
}

static void
render(struct ws_buf *buf)
{
	ws_buf_init(buf, 1024 * 1024);
	assert_int_equal(ws_status_render_prometheus(&st, buf), WS_OK);
	check_format(ws_buf_str(buf));
}

static void
expect(const struct ws_buf *buf, const char *line)
{
	char want[512];

	snprintf(want, sizeof(want), "\n%s\n", line);
	if (strstr(ws_buf_str(buf), want) == NULL)
		fail_msg("no line %s in:\n%s", line, ws_buf_str(buf));
}

static void
test_primary(void **state)
{
	struct ws_buf buf;

	(void) state;
	fixture_primary(&st);
	fixture_add_stopped_slot(&st, "spare", 0x4000000);
	st.health.level = WS_HEALTH_CRITICAL;
	render(&buf);
	assert_true(strncmp(ws_buf_str(&buf), "# HELP walship_up ", 18) == 0);
	expect(&buf, "walship_up 1");
	expect(&buf, "walship_health 2");
	expect(&buf, "walship_in_recovery 0");
	expect(&buf, "walship_timeline 1");
	expect(&buf, "walship_wal_lsn_bytes 83886080");
	expect(&buf, "# TYPE walship_replication_lag_bytes gauge");
	expect(&buf, "walship_replication_lag_bytes{standby=\"s1\",kind=\"write\"} 0");
	expect(&buf, "walship_replication_lag_bytes{standby=\"s1\",kind=\"flush\"} 1048576");
	expect(&buf, "walship_replication_lag_bytes{standby=\"s1\",kind=\"replay\"} 1048576");
	/* NULL write_lag: 0, the standby has caught up */
	expect(&buf, "walship_replication_lag_seconds_current{standby=\"s1\",kind=\"write\"} 0.000");
	expect(&buf, "walship_replication_lag_seconds_current{standby=\"s1\",kind=\"replay\"} 1.500");
	expect(&buf, "walship_slot_retained_bytes{slot=\"s1_slot\"} 2097152");
	expect(&buf, "walship_slot_retained_bytes{slot=\"spare\"} 16777216");
	expect(&buf, "walship_slot_active{slot=\"s1_slot\"} 1");
	expect(&buf, "walship_slot_active{slot=\"spare\"} 0");
	expect(&buf, "walship_archive_enabled 1");
	expect(&buf, "walship_archive_lag_segments 1");
	expect(&buf, "walship_archive_lag_seconds 7.000");
	expect(&buf, "# TYPE walship_archive_failed_total counter");
	expect(&buf, "walship_archive_failed_total 0");
	expect(&buf, "walship_replication_mode{mode=\"async\"} 1");
	expect(&buf, "walship_replication_mode{mode=\"sync\"} 0");
	expect(&buf, "walship_replication_mode{mode=\"semi-sync\"} 0");
	expect(&buf, "walship_sync_degraded 0");
	/* a stopped slot has no lag series */
	assert_null(strstr(ws_buf_str(&buf), "standby=\"spare\""));
	ws_buf_free(&buf);
}

static void
test_label_escaping(void **state)
{
	struct ws_buf buf;

	(void) state;
	fixture_primary(&st);
	snprintf(st.standbys[0].name, sizeof(st.standbys[0].name), "a\"b\\c\nd");
	render(&buf);
	expect(&buf, "walship_replication_lag_bytes{standby=\"a\\\"b\\\\c\\nd\",kind=\"replay\"} 1048576");
	ws_buf_free(&buf);
}

static void
test_unknowns_are_left_out(void **state)
{
	struct ws_buf buf;

	(void) state;
	fixture_primary(&st);
	st.standbys[0].write_lsn = st.standbys[0].flush_lsn = st.standbys[0].replay_lsn = WS_LSN_INVALID;
	st.standbys[0].slot[0] = '\0';
	st.archive.enabled = false;
	st.node.mode = WS_STATUS_MODE_SYNC;
	st.node.sync = WS_STATUS_SYNC_DEGRADED;
	ws_status_derive(&st);
	render(&buf);
	assert_null(strstr(ws_buf_str(&buf), "walship_replication_lag_bytes"));
	assert_null(strstr(ws_buf_str(&buf), "walship_slot_"));
	assert_null(strstr(ws_buf_str(&buf), "walship_archive_lag"));
	expect(&buf, "walship_archive_enabled 0");
	expect(&buf, "walship_replication_mode{mode=\"sync\"} 1");
	expect(&buf, "walship_sync_degraded 1");
	ws_buf_free(&buf);
}

static void
test_standby_and_unreachable(void **state)
{
	struct ws_buf buf;

	(void) state;
	fixture_primary(&st);
	st.nstandbys = 0;
	st.node.role = WS_PG_STANDBY;
	st.node.receive_lsn = 0x3000000;
	st.node.replay_lsn = 0x2000000;
	render(&buf);
	expect(&buf, "walship_in_recovery 1");
	expect(&buf, "walship_wal_lsn_bytes 33554432");
	expect(&buf, "walship_wal_receive_lsn_bytes 50331648");
	ws_buf_free(&buf);

	fixture_unreachable(&st);
	st.health.level = WS_HEALTH_CRITICAL;
	render(&buf);
	assert_string_equal(ws_buf_str(&buf),
		"# HELP walship_up Whether walship could connect to the server and read its status.\n"
		"# TYPE walship_up gauge\n"
		"walship_up 0\n"
		"# HELP walship_health Health as walship status reports it: 0 ok, 1 warning, 2 critical.\n"
		"# TYPE walship_health gauge\n"
		"walship_health 2\n");
	ws_buf_free(&buf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_primary),
		cmocka_unit_test(test_label_escaping),
		cmocka_unit_test(test_unknowns_are_left_out),
		cmocka_unit_test(test_standby_and_unreachable),
	};

	return cmocka_run_group_tests_name("render_prom", tests, NULL, NULL);
}
