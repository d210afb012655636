/*
 * test_timeline.c — unit tests for src/wal/timeline.c
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "wal/lsn.h"
#include "wal/timeline.h"

static void
parse_ok(const char *text, uint32_t target, struct ws_tli_history *hist)
{
	struct ws_error err;

	ws_error_clear(&err);
	if (ws_tli_history_parse(text, strlen(text), target, hist, &err) != WS_OK)
		fail_msg("history did not parse: %s", err.message);
}

static void
expect_entry(const struct ws_tli_history *hist, size_t i, uint32_t tli,
			 ws_lsn begin, ws_lsn end)
{
	assert_true(i < hist->count);
	assert_int_equal(hist->entries[i].tli, tli);
	assert_true(hist->entries[i].begin == begin);
	assert_true(hist->entries[i].end == end);
}

/* Parsing text must fail with status and exactly message (if not NULL). */
static void
expect_error_len(const char *text, size_t len, uint32_t target, int status,
				 const char *message)
{
	struct ws_error err;
	struct ws_tli_history hist = {42, (struct ws_tli_entry *) &hist};

	ws_error_clear(&err);
	assert_int_equal(ws_tli_history_parse(text, len, target, &hist, &err),
					 status);
	assert_int_equal(err.status, status);
	assert_int_equal(hist.count, 0);
	assert_null(hist.entries);
	if (message != NULL)
		assert_string_equal(err.message, message);
}

static void
expect_error(const char *text, uint32_t target, const char *message)
{
	expect_error_len(text, strlen(text), target, WS_ERR_CORRUPT, message);
}

static void
test_empty(void **state)
{
	struct ws_tli_history hist;
	struct ws_error err;

	(void) state;
	parse_ok("", 1, &hist);
	assert_int_equal(hist.count, 1);
	expect_entry(&hist, 0, 1, 0, 0);
	assert_int_equal(ws_tli_history_tli_of(&hist, 0), 1);
	assert_int_equal(ws_tli_history_tli_of(&hist, UINT64_MAX), 1);
	ws_tli_history_free(&hist);
	assert_null(hist.entries);
	assert_int_equal(hist.count, 0);

	assert_int_equal(ws_tli_history_parse(NULL, 0, 1, &hist, &err), WS_OK);
	assert_int_equal(hist.count, 1);
	expect_entry(&hist, 0, 1, 0, 0);
	ws_tli_history_free(&hist);

	/* only comments and blank lines is the same as empty */
	parse_ok("# nothing here\n\n   \n\t# indented comment\r\n\n", 1, &hist);
	assert_int_equal(hist.count, 1);
	expect_entry(&hist, 0, 1, 0, 0);
	ws_tli_history_free(&hist);
}

/* What PostgreSQL 15 writes after one promotion. */
static void
test_single_switch(void **state)
{
	struct ws_tli_history hist;

	(void) state;
	parse_ok("1\t0/3000148\tno recovery target specified\n", 2, &hist);
	assert_int_equal(hist.count, 2);
	expect_entry(&hist, 0, 1, 0, UINT64_C(0x3000148));
	expect_entry(&hist, 1, 2, UINT64_C(0x3000148), 0);

	assert_int_equal(ws_tli_history_tli_of(&hist, 0), 1);
	assert_int_equal(ws_tli_history_tli_of(&hist, UINT64_C(0x3000147)), 1);
	assert_int_equal(ws_tli_history_tli_of(&hist, UINT64_C(0x3000148)), 2);
	assert_int_equal(ws_tli_history_tli_of(&hist, UINT64_MAX), 2);
	ws_tli_history_free(&hist);
}

static void
test_multi_line(void **state)
{
	static const char text[] =
		"# written by hand\n"
		"\n"
		"1\t0/3000148\tno recovery target specified\n"
		"   \n"
		"  # a comment after blanks\n"
		"2 0/5000000 before 2000-01-01 00:00:00+00\r\n"
		"4\t\t1/A0000028\n"                 /* no reason, timeline 3 skipped */
		"\t5   1/a0000028   at restore point \"x\"  # not a comment\n"
		"7\tFFFFFFFF/FFFFFFFF";              /* no trailing newline */
	struct ws_tli_history hist;

	(void) state;
	parse_ok(text, 9, &hist);
	assert_int_equal(hist.count, 6);
	expect_entry(&hist, 0, 1, 0, UINT64_C(0x3000148));
	expect_entry(&hist, 1, 2, UINT64_C(0x3000148), UINT64_C(0x5000000));
	expect_entry(&hist, 2, 4, UINT64_C(0x5000000), UINT64_C(0x1A0000028));
	/* equal switchpoints: timeline 5 holds no WAL of its own */
	expect_entry(&hist, 3, 5, UINT64_C(0x1A0000028), UINT64_C(0x1A0000028));
	expect_entry(&hist, 4, 7, UINT64_C(0x1A0000028), UINT64_MAX);
	expect_entry(&hist, 5, 9, UINT64_MAX, 0);

	assert_int_equal(ws_tli_history_tli_of(&hist, 0), 1);
	assert_int_equal(ws_tli_history_tli_of(&hist, UINT64_C(0x3000148)), 2);
	assert_int_equal(ws_tli_history_tli_of(&hist, UINT64_C(0x4FFFFFF)), 2);
	assert_int_equal(ws_tli_history_tli_of(&hist, UINT64_C(0x5000000)), 4);
	assert_int_equal(ws_tli_history_tli_of(&hist, UINT64_C(0x1A0000027)), 4);
	assert_int_equal(ws_tli_history_tli_of(&hist, UINT64_C(0x1A0000028)), 7);
	assert_int_equal(ws_tli_history_tli_of(&hist, UINT64_MAX - 1), 7);
	assert_int_equal(ws_tli_history_tli_of(&hist, UINT64_MAX), 9);
	ws_tli_history_free(&hist);
}

/* The text need not be NUL-terminated: only len bytes are read. */
static void
test_not_terminated(void **state)
{
	static const char text[] = "1\t0/3000148\treason\n2\t1/4000000";
	struct ws_tli_history hist;
	struct ws_error err;
	char	   *copy;
	size_t		len = strlen(text);

	(void) state;
	copy = malloc(len);
	assert_non_null(copy);
	memcpy(copy, text, len);
	assert_int_equal(ws_tli_history_parse(copy, len, 3, &hist, &err), WS_OK);
	assert_int_equal(hist.count, 3);
	expect_entry(&hist, 2, 3, UINT64_C(0x104000000), 0);
	ws_tli_history_free(&hist);

	/* cut in the middle of the second switchpoint */
	assert_int_equal(ws_tli_history_parse(copy, len - 2, 3, &hist, &err), WS_OK);
	expect_entry(&hist, 1, 2, UINT64_C(0x3000148), UINT64_C(0x100040000));
	ws_tli_history_free(&hist);
	free(copy);
}

static void
test_many_entries(void **state)
{
	const uint32_t n = 5000;
	size_t		cap = (size_t) n * 40;
	char	   *text = malloc(cap);
	size_t		len = 0;
	struct ws_tli_history hist;
	struct ws_error err;
	uint32_t	i;

	(void) state;
	assert_non_null(text);
	for (i = 1; i <= n; i++)
		len += (size_t) snprintf(text + len, cap - len, "%u\t%X/%X\tstep %u\n",
								 i, i, i * 16, i);
	assert_int_equal(ws_tli_history_parse(text, len, n + 1, &hist, &err), WS_OK);
	assert_int_equal(hist.count, n + 1);
	for (i = 1; i <= n; i++) {
		ws_lsn		end = ((ws_lsn) i << 32) | (i * 16);

		assert_int_equal(hist.entries[i - 1].tli, i);
		assert_true(hist.entries[i - 1].end == end);
		assert_true(hist.entries[i].begin == end);
	}
	assert_int_equal(ws_tli_history_tli_of(&hist, UINT64_C(0x100000010)), 2);
	assert_int_equal(ws_tli_history_tli_of(&hist, (ws_lsn) 2500 << 32), 2500);
	assert_int_equal(ws_tli_history_tli_of(&hist, ((ws_lsn) 2500 << 32) | 40000),
					 2501);
	ws_tli_history_free(&hist);
	free(text);
}

static void
test_bad_timeline_ids(void **state)
{
	(void) state;
	expect_error("abc\t0/1\n", 2,
				 "invalid data in history file at line 1: invalid timeline ID \"abc\"");
	expect_error("# ok\n\n-1\t0/1\n", 2,
				 "invalid data in history file at line 3: invalid timeline ID \"-1\"");
	expect_error("+1\t0/1\n", 2, NULL);
	expect_error("1x\t0/1\n", 2,
				 "invalid data in history file at line 1: invalid timeline ID \"1x\"");
	expect_error("0x1\t0/1\n", 2, NULL);
	expect_error("4294967296\t0/1\n", UINT32_MAX, NULL);
	expect_error("99999999999999999999999\t0/1\n", UINT32_MAX, NULL);
	expect_error("0\t0/1\n", 2,
				 "invalid data in history file at line 1: timeline ID 0 is invalid");
	expect_error("1/\t0/1\n", 2, NULL);
	expect_error("1,\t0/1\n", 2, NULL);
	/* a valid maximum still parses */ {
		struct ws_tli_history hist;

		parse_ok("4294967294\t0/1\n", UINT32_MAX, &hist);
		assert_int_equal(hist.count, 2);
		ws_tli_history_free(&hist);
	}
}

static void
test_bad_switchpoints(void **state)
{
	(void) state;
	expect_error("1\n", 2,
				 "invalid data in history file at line 1: missing switchpoint after timeline ID 1");
	expect_error("1 \t \r\n", 2,
				 "invalid data in history file at line 1: missing switchpoint after timeline ID 1");
	expect_error("1\tzz/1\treason\n", 2,
				 "invalid data in history file at line 1: invalid switchpoint \"zz/1\"");
	expect_error("1\t0/3000148\n2\t0/30001480000\n", 3,
				 "invalid data in history file at line 2: invalid switchpoint \"0/30001480000\"");
	expect_error("1\t0x0/1\n", 2, NULL);
	expect_error("1\t0/1,reason\n", 2, NULL);
	expect_error("1\t0/\n", 2, NULL);
	expect_error("1\t/1\n", 2, NULL);
	expect_error("1\t01\n", 2, NULL);
	expect_error("1\t0/0\tnonsense\n", 2,
				 "invalid data in history file at line 1: switchpoint 0/0 is invalid");
	expect_error("1\t0/0\x01\n", 2,
				 "invalid data in history file at line 1: invalid switchpoint \"0/0\\x01\"");
}

static void
test_bad_order(void **state)
{
	(void) state;
	expect_error("1\t0/1\n1\t0/2\n", 3,
				 "invalid data in history file at line 2: timeline IDs must be in increasing sequence, 1 follows 1");
	expect_error("2\t0/1\n\n1\t0/2\n", 3,
				 "invalid data in history file at line 3: timeline IDs must be in increasing sequence, 1 follows 2");
	expect_error("1\t0/5000000\n2\t0/4FFFFFF\n", 3,
				 "invalid data in history file at line 2: switchpoint 0/4FFFFFF is before the previous switchpoint 0/5000000");
	expect_error("1\t1/0\n2\t0/FFFFFFFF\n", 3, NULL);
}

static void
test_parent_not_below_target(void **state)
{
	(void) state;
	expect_error("1\t0/3000148\n", 1,
				 "invalid data in history file at line 1: timeline ID 1 must be less than the history's timeline 1");
	expect_error("1\t0/3000148\n2\t0/4000000\n", 2,
				 "invalid data in history file at line 2: timeline ID 2 must be less than the history's timeline 2");
	expect_error("1\t0/3000148\n5\t0/4000000\n", 3, NULL);
}

static void
test_nul_and_size(void **state)
{
	static const char nul_line2[] = "1\t0/1\n2\t0/2\0x\n";
	static const char nul_first[] = "\0";
	size_t		big = (size_t) WS_TLI_HISTORY_MAX_BYTES + 1;
	char	   *text;
	struct ws_tli_history hist;
	struct ws_error err;

	(void) state;
	expect_error_len(nul_line2, sizeof(nul_line2) - 1, 3, WS_ERR_CORRUPT,
					 "invalid data in history file at line 2: unexpected NUL byte");
	expect_error_len(nul_first, 1, 3, WS_ERR_CORRUPT,
					 "invalid data in history file at line 1: unexpected NUL byte");

	/* exactly at the limit is fine, one byte more is not */
	text = malloc(big);
	assert_non_null(text);
	memset(text, '\n', big);
	memcpy(text, "1\t0/1\n#", 7);
	assert_int_equal(ws_tli_history_parse(text, big - 1, 2, &hist, &err), WS_OK);
	assert_int_equal(hist.count, 2);
	ws_tli_history_free(&hist);
	expect_error_len(text, big, 2, WS_ERR_TOO_LARGE,
					 "history file is too large: 1048577 bytes, maximum is 1048576");
	expect_error_len(text, SIZE_MAX, 2, WS_ERR_TOO_LARGE, NULL);
	free(text);
}

static void
test_bad_arguments(void **state)
{
	struct ws_tli_history hist;

	(void) state;
	expect_error_len("", 0, 0, WS_ERR_INVALID,
					 "invalid target timeline ID 0 for history file");
	expect_error_len(NULL, 5, 2, WS_ERR_INVALID, NULL);

	assert_int_equal(ws_tli_history_tli_of(NULL, 5), 0);
	hist.count = 0;
	hist.entries = NULL;
	assert_int_equal(ws_tli_history_tli_of(&hist, 5), 0);
	ws_tli_history_free(&hist);
	ws_tli_history_free(NULL);
}

/* A history built by hand with a gap: no timeline holds the gap. */
static void
test_tli_of_gap(void **state)
{
	struct ws_tli_entry entries[] = {
		{1, 0, 100},
		{3, 200, 0},
	};
	struct ws_tli_history hist = {2, entries};

	(void) state;
	assert_int_equal(ws_tli_history_tli_of(&hist, 99), 1);
	assert_int_equal(ws_tli_history_tli_of(&hist, 100), 0);
	assert_int_equal(ws_tli_history_tli_of(&hist, 199), 0);
	assert_int_equal(ws_tli_history_tli_of(&hist, 200), 3);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_single_switch),
		cmocka_unit_test(test_multi_line),
		cmocka_unit_test(test_not_terminated),
		cmocka_unit_test(test_many_entries),
		cmocka_unit_test(test_bad_timeline_ids),
		cmocka_unit_test(test_bad_switchpoints),
		cmocka_unit_test(test_bad_order),
		cmocka_unit_test(test_parent_not_below_target),
		cmocka_unit_test(test_nul_and_size),
		cmocka_unit_test(test_bad_arguments),
		cmocka_unit_test(test_tli_of_gap),
	};

	return cmocka_run_group_tests_name("wal/timeline", tests, NULL, NULL);
}
