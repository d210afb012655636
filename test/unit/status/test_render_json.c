/*
 * test_render_json.c — unit tests for src/status/render_json.c
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "common/buf.h"
#include "status/render.h"
#include "status_fixture.h"

static struct ws_status_report st;

static void
render(struct ws_buf *buf)
{
	ws_buf_init(buf, 1024 * 1024);
	assert_int_equal(ws_status_render_json(&st, buf), WS_OK);
	/* one line */
	assert_non_null(strchr(ws_buf_str(buf), '\n'));
	assert_true(strchr(ws_buf_str(buf), '\n') == ws_buf_str(buf) + buf->len - 1);
}

static void
expect(const struct ws_buf *buf, const char *fragment)
{
	if (strstr(ws_buf_str(buf), fragment) == NULL)
		fail_msg("no %s in %s", fragment, ws_buf_str(buf));
}

static void
test_primary(void **state)
{
	struct ws_buf buf;

	(void) state;
	fixture_primary(&st);
	fixture_add_stopped_slot(&st, "spare", 0x4000000);
	st.health.level = WS_HEALTH_CRITICAL;
	st.health.count = 1;
	st.health.items[0].level = WS_HEALTH_CRITICAL;
	snprintf(st.health.items[0].message, sizeof(st.health.items[0].message), "slot \"spare\" is\tgone");
	render(&buf);
	expect(&buf, "{\"up\":true,\"node\":\"127.0.0.1:5432\",\"error\":null,\"role\":\"primary\",\"timeline\":1,"
		   "\"current_lsn\":\"0/5000000\",\"insert_lsn\":\"0/5000000\",\"receive_lsn\":null,\"replay_lsn\":null,"
		   "\"replay_lag_bytes\":null,\"last_replay_time\":null,\"replication_mode\":\"async\","
		   "\"synchronous_standby_names\":\"\",\"sync\":\"async\",\"standbys\":[");
	expect(&buf, "{\"name\":\"s1\",\"pid\":4242,\"host\":\"10.0.0.2\",\"state\":\"streaming\",\"sync_state\":\"async\","
		   "\"sent_lsn\":\"0/5000000\",\"write_lsn\":\"0/5000000\",\"flush_lsn\":\"0/4F00000\",\"replay_lsn\":\"0/4F00000\","
		   "\"write_lag_bytes\":0,\"flush_lag_bytes\":1048576,\"replay_lag_bytes\":1048576,"
		   "\"write_lag_seconds\":null,\"flush_lag_seconds\":null,\"replay_lag_seconds\":1.5,"
		   "\"slot\":\"s1_slot\",\"slot_restart_lsn\":\"0/4E00000\",\"slot_retained_bytes\":2097152,"
		   "\"slot_wal_status\":\"reserved\"}");
	expect(&buf, "{\"name\":\"spare\",\"pid\":null,\"host\":null,\"state\":\"stopped\",\"sync_state\":null,"
		   "\"sent_lsn\":null,\"write_lsn\":null,\"flush_lsn\":null,\"replay_lsn\":null,"
		   "\"write_lag_bytes\":null,\"flush_lag_bytes\":null,\"replay_lag_bytes\":null,"
		   "\"write_lag_seconds\":null,\"flush_lag_seconds\":null,\"replay_lag_seconds\":null,"
		   "\"slot\":\"spare\",\"slot_restart_lsn\":\"0/4000000\",\"slot_retained_bytes\":16777216,"
		   "\"slot_wal_status\":\"reserved\"}]");
	expect(&buf, "\"standbys_truncated\":false,\"archive\":{\"enabled\":true,\"archive_mode\":\"on\","
		   "\"last_archived_wal\":\"000000010000000000000003\",\"last_archived_time\":\"2026-11-26T12:00:00.000000Z\","
		   "\"failed_count\":0,\"last_failed_wal\":null,\"last_failed_time\":null,\"lag_segments\":1,\"lag_seconds\":7}");
	/* messages are escaped */
	expect(&buf, "\"health\":{\"status\":\"critical\",\"code\":2,\"problems\":[{\"level\":\"critical\","
		   "\"message\":\"slot \\\"spare\\\" is\\tgone\"}]}}\n");
	ws_buf_free(&buf);
}

static void
test_standby_node(void **state)
{
	struct ws_buf buf;

	(void) state;
	fixture_primary(&st);
	st.nstandbys = 0;
	st.node.role = WS_PG_STANDBY;
	st.node.sync = WS_STATUS_SYNC_NA;
	st.node.mode = WS_STATUS_MODE_SEMI_SYNC;
	st.node.receive_lsn = 0x3000000;
	st.node.replay_lsn = 0x2FFFC00;
	snprintf(st.node.replay_timestamp, sizeof(st.node.replay_timestamp), "2026-11-26T12:00:01.000000Z");
	ws_status_derive(&st);
	render(&buf);
	expect(&buf, "\"role\":\"standby\",\"timeline\":1,\"current_lsn\":null,\"insert_lsn\":null,"
		   "\"receive_lsn\":\"0/3000000\",\"replay_lsn\":\"0/2FFFC00\",\"replay_lag_bytes\":1024,"
		   "\"last_replay_time\":\"2026-11-26T12:00:01.000000Z\",\"replication_mode\":\"semi-sync\"");
	expect(&buf, "\"sync\":null,\"standbys\":[],");
	ws_buf_free(&buf);
}

static void
test_unreachable_has_every_field(void **state)
{
	struct ws_buf buf;

	(void) state;
	fixture_unreachable(&st);
	st.health.level = WS_HEALTH_CRITICAL;
	render(&buf);
	assert_string_equal(ws_buf_str(&buf),
		"{\"up\":false,\"node\":null,\"error\":\"could not connect to the server: connection refused\","
		"\"role\":null,\"timeline\":null,\"current_lsn\":null,\"insert_lsn\":null,\"receive_lsn\":null,"
		"\"replay_lsn\":null,\"replay_lag_bytes\":null,\"last_replay_time\":null,\"replication_mode\":null,"
		"\"synchronous_standby_names\":null,\"sync\":null,\"standbys\":[],\"standbys_truncated\":false,"
		"\"archive\":{\"enabled\":false,\"archive_mode\":null,\"last_archived_wal\":null,\"last_archived_time\":null,"
		"\"failed_count\":null,\"last_failed_wal\":null,\"last_failed_time\":null,\"lag_segments\":null,"
		"\"lag_seconds\":null},\"health\":{\"status\":\"critical\",\"code\":2,\"problems\":[]}}\n");
	ws_buf_free(&buf);
}

static void
test_names_are_escaped(void **state)
{
	struct ws_buf buf;

	(void) state;
	fixture_primary(&st);
	snprintf(st.standbys[0].name, sizeof(st.standbys[0].name), "a\"b\\c\nd");
	render(&buf);
	expect(&buf, "\"name\":\"a\\\"b\\\\c\\nd\"");
	ws_buf_free(&buf);
}

static void
test_size_cap(void **state)
{
	struct ws_buf buf;

	(void) state;
	fixture_primary(&st);
	ws_buf_init(&buf, 64);
	assert_int_equal(ws_status_render_json(&st, &buf), WS_ERR_TOO_LARGE);
	ws_buf_free(&buf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_primary),
		cmocka_unit_test(test_standby_node),
		cmocka_unit_test(test_unreachable_has_every_field),
		cmocka_unit_test(test_names_are_escaped),
		cmocka_unit_test(test_size_cap),
	};

	return cmocka_run_group_tests_name("render_json", tests, NULL, NULL);
}
