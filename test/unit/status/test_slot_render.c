/*
 * test_slot_render.c — unit tests for src/status/slot_render.c
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "status/slot_render.h"

static struct ws_pg_slot slots[2];

static struct ws_pg_slot_list
two_slots(void)
{
	struct ws_pg_slot_list list = {slots, 2};

	memset(slots, 0, sizeof(slots));
	snprintf(slots[0].name, sizeof(slots[0].name), "standby1");
	snprintf(slots[0].type, sizeof(slots[0].type), "physical");
	slots[0].active = true;
	slots[0].active_pid = 77;
	slots[0].restart_lsn = 0x3000148;
	slots[0].retained_bytes = 200;
	snprintf(slots[0].wal_status, sizeof(slots[0].wal_status), "reserved");
	slots[0].safe_wal_size = -1;
	snprintf(slots[1].name, sizeof(slots[1].name), "unused");
	snprintf(slots[1].type, sizeof(slots[1].type), "physical");
	slots[1].restart_lsn = 0;
	slots[1].retained_bytes = -1;
	slots[1].safe_wal_size = 64 * 1024 * 1024;
	return list;
}

static void
test_table(void **state)
{
	struct ws_pg_slot_list list = two_slots();
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);

	(void) state;
	ws_slot_render_table(&list, out);
	fclose(out);
	assert_string_equal(text,
		" name     | type     | active       | restart LSN | retained | wal_status | safe_wal_size\n"
		"----------+----------+--------------+-------------+----------+------------+--------------\n"
		" standby1 | physical | yes (pid 77) | 0/3000148   | 200 B    | reserved   | -\n"
		" unused   | physical | no           | -           | -        | -          | 64.0 MB\n");
	free(text);

	list.count = 0;
	out = open_memstream(&text, &len);
	ws_slot_render_table(&list, out);
	fclose(out);
	assert_string_equal(text, "no replication slots\n");
	free(text);
}

static void
test_json(void **state)
{
	struct ws_pg_slot_list list = two_slots();
	struct ws_buf buf;

	(void) state;
	ws_buf_init(&buf, 4096);
	assert_int_equal(ws_slot_render_json(&list, &buf), WS_OK);
	assert_string_equal(ws_buf_str(&buf),
		"{\"slots\":[{\"name\":\"standby1\",\"type\":\"physical\",\"temporary\":false,\"active\":true,"
		"\"active_pid\":77,\"restart_lsn\":\"0/3000148\",\"retained_bytes\":200,\"wal_status\":\"reserved\","
		"\"safe_wal_size\":null},{\"name\":\"unused\",\"type\":\"physical\",\"temporary\":false,\"active\":false,"
		"\"active_pid\":null,\"restart_lsn\":null,\"retained_bytes\":null,\"wal_status\":null,"
		"\"safe_wal_size\":67108864}]}\n");
	ws_buf_free(&buf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_json),
	};

	return cmocka_run_group_tests_name("slot_render", tests, NULL, NULL);
}
