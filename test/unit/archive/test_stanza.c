/*
 * test_stanza.c — unit tests for src/archive/stanza.c
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "archive/stanza.h"
#include "../testutil.h"

static const struct ws_stanza_db db15 = {1, 7712461486369459758ULL, 15, 16777216};

static void
test_round_trip(void **state)
{
	struct ws_stanza_info info;
	struct ws_stanza_info back;
	struct ws_error err;
	struct ws_buf text;
	uint8_t key[32];

	(void) state;
	memset(key, 7, sizeof(key));
	assert_int_equal(ws_stanza_init(&info, "main", &db15, true, &err), WS_OK);
	ws_stanza_set_key(&info, key);
	info.dbs[1] = db15;
	info.dbs[1].id = 2;
	info.dbs[1].system_id = 42;
	info.ndbs = 2;
	ws_buf_init(&text, 65536);
	assert_int_equal(ws_stanza_info_format(&info, &text, &err), WS_OK);
	assert_int_equal(ws_stanza_info_parse(text.data, text.len, &back, &err), WS_OK);
	assert_string_equal(back.name, "main");
	assert_true(back.encrypted);
	assert_memory_equal(back.salt, info.salt, sizeof(info.salt));
	assert_int_equal(back.ndbs, 2);
	assert_true(back.dbs[0].system_id == db15.system_id);
	assert_int_equal(ws_stanza_current(&back)->id, 2);
	assert_int_equal(ws_stanza_check_key(&back, key, &err), WS_OK);
	key[0] ^= 1;
	assert_int_equal(ws_stanza_check_key(&back, key, &err), WS_ERR_CONFIG);
	assert_non_null(strstr(err.message, "not the one stanza \"main\" was created with"));
	ws_buf_free(&text);
}

static void
test_salts_are_random(void **state)
{
	struct ws_stanza_info a;
	struct ws_stanza_info b;
	struct ws_error err;

	(void) state;
	assert_int_equal(ws_stanza_init(&a, "x", &db15, true, &err), WS_OK);
	assert_int_equal(ws_stanza_init(&b, "x", &db15, true, &err), WS_OK);
	assert_memory_not_equal(a.salt, b.salt, sizeof(a.salt));
}

static void
expect_corrupt(const char *text, const char *fragment)
{
	struct ws_stanza_info info;
	struct ws_error err;

	assert_int_equal(ws_stanza_info_parse(text, strlen(text), &info, &err), WS_ERR_CORRUPT);
	if (strstr(err.message, fragment) == NULL)
		fail_msg("\"%s\" lacks \"%s\"", err.message, fragment);
}

static void
test_parse_errors(void **state)
{
	(void) state;
	expect_corrupt("", "missing");
	expect_corrupt("format=1\nstanza=main\n", "missing");
	expect_corrupt("format=2\nstanza=main\ndb=1:5:15:16777216\n", "format 2");
	expect_corrupt("format=1\nstanza=main\ndb=2:5:15:16777216\n", "line 3");
	expect_corrupt("format=1\nstanza=main\ndb=1:x:15:16777216\n", "line 3");
	expect_corrupt("format=1\nstanza=main\ndb=1:5:15:16777216:9\n", "line 3");
	expect_corrupt("format=1\nstanza=main\ncipher=rot13\ndb=1:5:15:16777216\n", "line 3");
	expect_corrupt("format=1\nstanza=main\ncipher=aes-256-gcm\ndb=1:5:15:16777216\n", "missing");
	expect_corrupt("format=1\nstanza=main\ncipher-salt=zz\ndb=1:5:15:16777216\n", "line 3");
	expect_corrupt("format=1\nno equals sign\n", "line 2");
	/* an embedded NUL */
	{
		struct ws_stanza_info info;
		struct ws_error err;

		assert_int_equal(ws_stanza_info_parse("format=1\0x", 10, &info, &err), WS_ERR_CORRUPT);
	}
}

static void
test_names(void **state)
{
	struct ws_error err;

	(void) state;
	assert_int_equal(ws_stanza_name_check("main", &err), WS_OK);
	assert_int_equal(ws_stanza_name_check("prod-db_1.eu", &err), WS_OK);
	assert_int_equal(ws_stanza_name_check("", &err), WS_ERR_CONFIG);
	assert_int_equal(ws_stanza_name_check(".hidden", &err), WS_ERR_CONFIG);
	assert_int_equal(ws_stanza_name_check("a/b", &err), WS_ERR_CONFIG);
	assert_int_equal(ws_stanza_name_check("a b", &err), WS_ERR_CONFIG);
	assert_int_equal(ws_stanza_name_check("0123456789012345678901234567890123456789012345678901234567890123", &err),
					 WS_ERR_CONFIG);
}

static void
test_save_load_on_posix(void **state)
{
	char root[] = "/tmp/walship-stanza-XXXXXX";
	struct ws_stanza_info info;
	struct ws_stanza_info back;
	struct ws_storage *repo;
	struct ws_error err;

	(void) state;
	assert_non_null(mkdtemp(root));
	assert_int_equal(ws_storage_posix_new(root, &repo, &err), WS_OK);
	assert_int_equal(ws_stanza_load(repo, "main", &back, &err), WS_ERR_NOT_FOUND);
	assert_non_null(strstr(err.message, "run \"walship stanza-create\" first"));
	assert_int_equal(ws_stanza_init(&info, "main", &db15, false, &err), WS_OK);
	assert_int_equal(ws_stanza_save(repo, &info, true, &err), WS_OK);
	assert_int_equal(ws_stanza_save(repo, &info, true, &err), WS_ERR_EXISTS);
	assert_int_equal(ws_stanza_load(repo, "main", &back, &err), WS_OK);
	assert_false(back.encrypted);
	assert_int_equal(ws_stanza_load(repo, "../etc", &back, &err), WS_ERR_CONFIG);
	ws_storage_free(repo);
	assert_int_equal(testutil_rmtree(root), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_salts_are_random),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_save_load_on_posix),
	};

	return cmocka_run_group_tests_name("archive/stanza", tests, NULL, NULL);
}
