/*
 * test_segment.c — unit tests for src/wal/segment.c
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "common/error.h"
#include "wal/lsn.h"
#include "wal/segment.h"

#define MB (UINT64_C(1024) * 1024)

static void
test_segsize_valid(void **state)
{
	static const uint64_t bad[] = {
		0, 1, 2, 4096, 512 * 1024, MB - 1, MB + 1, 3 * MB, 24 * MB,
		1000 * 1000, 1024 * MB - 1, 1024 * MB + 1, 2048 * MB,
		UINT64_C(1) << 32, UINT64_C(1) << 40, UINT64_MAX,
		(UINT64_C(1) << 32) + MB,
	};
	size_t		i;
	int			k;
	int			valid = 0;

	(void) state;
	for (k = 0; k < 64; k++) {
		uint64_t	size = UINT64_C(1) << k;

		assert_int_equal(ws_wal_segsize_valid(size), k >= 20 && k <= 30);
		valid += ws_wal_segsize_valid(size);
	}
	assert_int_equal(valid, 11);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_false(ws_wal_segsize_valid(bad[i]));
	assert_true(ws_wal_segsize_valid(WS_WAL_SEGSIZE_MIN));
	assert_true(ws_wal_segsize_valid(WS_WAL_SEGSIZE_MAX));
	assert_true(ws_wal_segsize_valid(WS_WAL_SEGSIZE_DEFAULT));
}

static void
test_segs_per_xlogid(void **state)
{
	int			k;

	(void) state;
	for (k = 20; k <= 30; k++)
		assert_int_equal(ws_wal_segs_per_xlogid(1u << k), 1u << (32 - k));
	assert_int_equal(ws_wal_segs_per_xlogid(WS_WAL_SEGSIZE_DEFAULT), 256);
	assert_int_equal(ws_wal_segs_per_xlogid(WS_WAL_SEGSIZE_MAX), 4);
	assert_int_equal(ws_wal_segs_per_xlogid(WS_WAL_SEGSIZE_MIN), 4096);
	assert_int_equal(ws_wal_segs_per_xlogid(0), 0);
	assert_int_equal(ws_wal_segs_per_xlogid(3 * 1024 * 1024), 0);
}

/* pg_walfile_name() and pg_walfile_name_offset() on a 16MB cluster */
static void
test_known_values_16mb(void **state)
{
	const uint32_t seg = WS_WAL_SEGSIZE_DEFAULT;
	struct ws_error err;
	char		name[WS_WAL_FNAME_BUFLEN];

	(void) state;
	assert_true(ws_wal_lsn_to_segno(0, seg) == 0);
	assert_true(ws_wal_lsn_to_segno(UINT64_C(0xFFFFFF), seg) == 0);
	assert_true(ws_wal_lsn_to_segno(UINT64_C(0x1000000), seg) == 1);
	assert_true(ws_wal_lsn_to_segno(UINT64_C(0x3000148), seg) == 3);
	assert_true(ws_wal_lsn_to_segno(UINT64_C(0x100000000), seg) == 256);
	assert_true(ws_wal_lsn_to_segno(UINT64_C(0x16B374D848), seg) == 0x16B3);
	assert_int_equal(ws_wal_segment_offset(UINT64_C(0x3000148), seg), 0x148);
	assert_int_equal(ws_wal_segment_offset(UINT64_C(0x16B374D848), seg), 0x74D848);
	assert_int_equal(ws_wal_segment_offset(UINT64_C(0x1000000), seg), 0);
	assert_true(ws_wal_segno_to_lsn(1, seg) == UINT64_C(0x1000000));
	assert_true(ws_wal_segno_to_lsn(256, seg) == UINT64_C(0x100000000));

	assert_int_equal(ws_wal_segment_name(1, 1, seg, name, &err), WS_OK);
	assert_string_equal(name, "000000010000000000000001");
	assert_int_equal(ws_wal_segment_name(1, 3, seg, name, &err), WS_OK);
	assert_string_equal(name, "000000010000000000000003");
	assert_int_equal(ws_wal_segment_name(1, 0x16B3, seg, name, &err), WS_OK);
	assert_string_equal(name, "0000000100000016000000B3");
	assert_int_equal(ws_wal_segment_name(1, 255, seg, name, &err), WS_OK);
	assert_string_equal(name, "0000000100000000000000FF");
	assert_int_equal(ws_wal_segment_name(1, 256, seg, name, &err), WS_OK);
	assert_string_equal(name, "000000010000000100000000");
	assert_int_equal(ws_wal_segment_name(0xA, 0, seg, name, &err), WS_OK);
	assert_string_equal(name, "0000000A0000000000000000");
	assert_int_equal(ws_wal_segment_name(UINT32_MAX, ws_wal_segno_max(seg), seg,
										 name, &err), WS_OK);
	assert_string_equal(name, "FFFFFFFFFFFFFFFF000000FF");
}

static void
test_known_values_other_sizes(void **state)
{
	struct ws_error err;
	char		name[WS_WAL_FNAME_BUFLEN];
	uint32_t	tli;
	ws_segno	segno;

	(void) state;
	/* 1GB: four segments per xlogid, so the last part is 0..3 */
	assert_int_equal(ws_wal_segment_name(1, 3, 1u << 30, name, &err), WS_OK);
	assert_string_equal(name, "000000010000000000000003");
	assert_int_equal(ws_wal_segment_name(1, 4, 1u << 30, name, &err), WS_OK);
	assert_string_equal(name, "000000010000000100000000");
	assert_true(ws_wal_lsn_to_segno(UINT64_C(0x140000000), 1u << 30) == 5);
	assert_int_equal(ws_wal_segment_parse("000000020000000100000001", 1u << 30,
										  &tli, &segno, &err), WS_OK);
	assert_int_equal(tli, 2);
	assert_true(segno == 5);

	/* 1MB: 4096 segments per xlogid */
	assert_int_equal(ws_wal_segment_name(1, 4095, 1u << 20, name, &err), WS_OK);
	assert_string_equal(name, "000000010000000000000FFF");
	assert_int_equal(ws_wal_segment_name(1, 4096, 1u << 20, name, &err), WS_OK);
	assert_string_equal(name, "000000010000000100000000");

	/* 64MB */
	assert_true(ws_wal_lsn_to_segno(UINT64_C(0x3000148), 64u << 20) == 0);
	assert_true(ws_wal_lsn_to_segno(UINT64_C(0x4000000), 64u << 20) == 1);
}

/*
 * pg_walfile_name() output from PostgreSQL 15.20 clusters made with
 * initdb --wal-segsize=1 and =1024. pg_walfile_name() uses XLByteToPrevSeg,
 * so an LSN exactly on a segment boundary names the previous segment; for
 * those rows we look up lsn - 1, which is what the server did.
 */
static void
test_pg_walfile_name(void **state)
{
	static const struct {
		uint32_t	segsize;
		ws_lsn		lsn;
		bool		boundary;
		const char *name;
	} rows[] = {
		{1u << 20, UINT64_C(0x3000148), false, "000000010000000000000030"},
		{1u << 20, UINT64_C(0x16B374D848), false, "000000010000001600000B37"},
		{1u << 20, UINT64_C(0x140000000), true, "0000000100000001000003FF"},
		{1u << 20, UINT64_MAX, false, "00000001FFFFFFFF00000FFF"},
		{1u << 20, UINT64_C(0xFFFFF), false, "000000010000000000000000"},
		{1u << 30, UINT64_C(0x3000148), false, "000000010000000000000000"},
		{1u << 30, UINT64_C(0x16B374D848), false, "000000010000001600000002"},
		{1u << 30, UINT64_C(0x140000000), true, "000000010000000100000000"},
		{1u << 30, UINT64_MAX, false, "00000001FFFFFFFF00000003"},
		{1u << 30, UINT64_C(0xFFFFF), false, "000000010000000000000000"},
	};
	struct ws_error err;
	char		name[WS_WAL_FNAME_BUFLEN];
	size_t		i;

	(void) state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		ws_lsn		lsn = rows[i].boundary ? rows[i].lsn - 1 : rows[i].lsn;
		ws_segno	segno = ws_wal_lsn_to_segno(lsn, rows[i].segsize);

		assert_int_equal(ws_wal_segment_name(1, segno, rows[i].segsize, name,
											 &err), WS_OK);
		assert_string_equal(name, rows[i].name);
	}
}

static void
check_round_trip(uint32_t tli, ws_segno segno, uint32_t segsize)
{
	struct ws_error err;
	char		name[WS_WAL_FNAME_BUFLEN];
	char		want[WS_WAL_FNAME_BUFLEN];
	uint32_t	per_id = (uint32_t) ((UINT64_C(1) << 32) / segsize);
	uint32_t	back_tli = 0;
	ws_segno	back_segno = 0;
	ws_lsn		start;

	if (ws_wal_segment_name(tli, segno, segsize, name, &err) != WS_OK)
		fail_msg("segno %llu size %u: %s", (unsigned long long) segno,
				 segsize, err.message);
	snprintf(want, sizeof(want), "%08X%08X%08X", tli,
			 (unsigned int) (segno / per_id), (unsigned int) (segno % per_id));
	assert_string_equal(name, want);
	assert_int_equal(strlen(name), WS_WAL_FNAME_LEN);
	assert_true(ws_wal_is_segment_name(name));

	if (ws_wal_segment_parse(name, segsize, &back_tli, &back_segno, &err) != WS_OK)
		fail_msg("\"%s\" size %u: %s", name, segsize, err.message);
	assert_int_equal(back_tli, tli);
	assert_true(back_segno == segno);

	start = ws_wal_segno_to_lsn(segno, segsize);
	assert_true(start == segno * (uint64_t) segsize);
	assert_true(ws_wal_lsn_to_segno(start, segsize) == segno);
	assert_int_equal(ws_wal_segment_offset(start, segsize), 0);
	assert_true(ws_wal_lsn_to_segno(start + segsize - 1, segsize) == segno);
	assert_int_equal(ws_wal_segment_offset(start + segsize - 1, segsize),
					 segsize - 1);
}

static void
test_round_trip_every_size(void **state)
{
	int			k;

	(void) state;
	for (k = 20; k <= 30; k++) {
		uint32_t	segsize = 1u << k;
		uint64_t	per_id = (UINT64_C(1) << 32) / segsize;
		ws_segno	max = ws_wal_segno_max(segsize);
		uint64_t	id;

		assert_true(max == (UINT64_C(1) << (64 - k)) - 1);
		assert_true(ws_wal_segno_to_lsn(max, segsize) ==
					UINT64_MAX - (segsize - 1));
		assert_true(ws_wal_lsn_to_segno(UINT64_MAX, segsize) == max);

		/* first and last segment of several xlogids, including the last one */
		for (id = 0; id < 3; id++) {
			check_round_trip(1, id * per_id, segsize);
			check_round_trip(1, id * per_id + per_id - 1, segsize);
		}
		check_round_trip(1, UINT64_C(0x12345) * per_id + per_id / 2, segsize);
		check_round_trip(2, max, segsize);
		check_round_trip(UINT32_MAX, max - per_id + 1, segsize);
		check_round_trip(UINT32_MAX, max - 1, segsize);
	}
}

static void
test_invalid_size_arithmetic(void **state)
{
	static const uint32_t bad[] = { 0, 3u << 20, 512u << 10, 1, UINT32_MAX,
	0x80000000u };
	size_t		i;

	(void) state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		/* must not divide by zero or make up a value */
		assert_true(ws_wal_lsn_to_segno(UINT64_C(0x3000148), bad[i]) == 0);
		assert_true(ws_wal_segno_to_lsn(3, bad[i]) == WS_LSN_INVALID);
		assert_int_equal(ws_wal_segment_offset(UINT64_C(0x3000148), bad[i]), 0);
		assert_true(ws_wal_segno_max(bad[i]) == 0);
	}
	assert_true(ws_wal_segno_to_lsn(ws_wal_segno_max(16u << 20) + 1, 16u << 20) ==
				WS_LSN_INVALID);
	assert_true(ws_wal_segno_to_lsn(UINT64_MAX, 1u << 20) == WS_LSN_INVALID);
}

static void
test_name_errors(void **state)
{
	static const uint32_t bad_sizes[] = { 0, 3u << 20, 0x80000000u, 512u << 10 };
	struct ws_error err;
	char		name[WS_WAL_FNAME_BUFLEN];
	size_t		i;

	(void) state;
	assert_int_equal(ws_wal_segment_name(0, 1, 16u << 20, name, &err),
					 WS_ERR_INVALID);
	assert_string_equal(name, "");
	assert_non_null(strstr(err.message, "timeline ID 0"));

	for (i = 0; i < sizeof(bad_sizes) / sizeof(bad_sizes[0]); i++) {
		assert_int_equal(ws_wal_segment_name(1, 1, bad_sizes[i], name, &err),
						 WS_ERR_INVALID);
		assert_non_null(strstr(err.message, "invalid WAL segment size"));
	}

	assert_int_equal(ws_wal_segment_name(1, ws_wal_segno_max(16u << 20) + 1,
										 16u << 20, name, &err),
					 WS_ERR_INVALID);
	assert_string_equal(err.message,
						"WAL segment number 1099511627776 is out of range for segment size 16777216");
	assert_int_equal(ws_wal_segment_name(1, UINT64_MAX, 1u << 30, name, &err),
					 WS_ERR_INVALID);
}

static void
expect_parse_error(const char *name, uint32_t segsize, const char *message)
{
	struct ws_error err;
	uint32_t	tli = 77;
	ws_segno	segno = 77;

	ws_error_clear(&err);
	if (ws_wal_segment_parse(name, segsize, &tli, &segno, &err) != WS_ERR_INVALID)
		fail_msg("\"%s\" was accepted", name ? name : "(null)");
	assert_int_equal(tli, 77);
	assert_true(segno == 77);
	if (message != NULL)
		assert_string_equal(err.message, message);
}

static void
test_parse_errors(void **state)
{
	const uint32_t seg = 16u << 20;
	char		longname[300];

	(void) state;
	expect_parse_error("00000001000000000000000a", seg,
					   "invalid WAL segment name \"00000001000000000000000a\"");
	expect_parse_error("0000000100000000000000ab", seg, NULL);
	expect_parse_error("00000001000000000000001", seg, NULL);     /* 23 */
	expect_parse_error("0000000100000000000000011", seg, NULL);   /* 25 */
	expect_parse_error("", seg, "invalid WAL segment name \"\"");
	expect_parse_error(NULL, seg, "invalid WAL segment name \"\"");
	expect_parse_error("00000001000000000000000G", seg, NULL);
	expect_parse_error("0000000100000000 0000001", seg, NULL);
	expect_parse_error("-00000010000000000000001", seg, NULL);
	expect_parse_error("000000010000000000000001.partial", seg, NULL);
	expect_parse_error("000000010000000000000001\n", seg, NULL);
	expect_parse_error("00000001.history", seg, NULL);
	expect_parse_error("000000000000000000000001", seg,
					   "invalid WAL segment name \"000000000000000000000001\": timeline ID 0");
	expect_parse_error("000000010000000000000100", seg,
					   "invalid WAL segment name \"000000010000000000000100\": segment 00000100 is out of range for segment size 16777216");
	expect_parse_error("0000000100000000FFFFFFFF", seg, NULL);
	expect_parse_error("000000010000000000000004", 1u << 30, NULL);
	expect_parse_error("000000010000000000001000", 1u << 20, NULL);
	expect_parse_error("000000010000000000000001", 0,
					   "invalid WAL segment size 0");
	expect_parse_error("000000010000000000000001", 3u << 20, NULL);

	/* weird input is escaped and cut in the message */
	expect_parse_error("\x1b[31mred\"", seg,
					   "invalid WAL segment name \"\\x1B[31mred\\\"\"");
	memset(longname, '0', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	expect_parse_error(longname, seg, NULL);
}

static void
test_parse_boundaries(void **state)
{
	struct ws_error err;
	uint32_t	tli;
	ws_segno	segno;

	(void) state;
	assert_int_equal(ws_wal_segment_parse("000000010000000000000003", 1u << 30,
										  &tli, &segno, &err), WS_OK);
	assert_true(segno == 3);
	assert_int_equal(ws_wal_segment_parse("0000000100000000000000FF", 16u << 20,
										  &tli, &segno, &err), WS_OK);
	assert_true(segno == 255);
	assert_int_equal(ws_wal_segment_parse("FFFFFFFFFFFFFFFF000000FF", 16u << 20,
										  &tli, &segno, &err), WS_OK);
	assert_int_equal(tli, UINT32_MAX);
	assert_true(segno == ws_wal_segno_max(16u << 20));
	/* valid for 1MB segments, out of range for 16MB */
	assert_int_equal(ws_wal_segment_parse("000000010000000000000FFF", 1u << 20,
										  &tli, &segno, &err), WS_OK);
	assert_true(segno == 4095);
	assert_int_equal(ws_wal_segment_parse("000000010000000000000FFF", 16u << 20,
										  &tli, &segno, &err), WS_ERR_INVALID);
}

static void
test_name_predicates(void **state)
{
	(void) state;
	assert_true(ws_wal_is_segment_name("000000010000000000000001"));
	assert_true(ws_wal_is_segment_name("FFFFFFFFFFFFFFFFFFFFFFFF"));
	assert_false(ws_wal_is_segment_name("00000001000000000000000a"));
	assert_false(ws_wal_is_segment_name("00000001000000000000001"));
	assert_false(ws_wal_is_segment_name("0000000100000000000000011"));
	assert_false(ws_wal_is_segment_name("000000010000000000000001.partial"));
	assert_false(ws_wal_is_segment_name(""));
	assert_false(ws_wal_is_segment_name(NULL));

	assert_true(ws_wal_is_partial_name("000000010000000000000001.partial"));
	assert_false(ws_wal_is_partial_name("000000010000000000000001"));
	assert_false(ws_wal_is_partial_name("000000010000000000000001.partia"));
	assert_false(ws_wal_is_partial_name("000000010000000000000001.partial.x"));
	assert_false(ws_wal_is_partial_name("00000001000000000000000a.partial"));
	assert_false(ws_wal_is_partial_name("00000001000000000000001.partial"));
	assert_false(ws_wal_is_partial_name(".partial"));
	assert_false(ws_wal_is_partial_name(NULL));

	assert_true(ws_wal_is_history_name("00000002.history"));
	assert_true(ws_wal_is_history_name("0000000A.history"));
	assert_false(ws_wal_is_history_name("0000000a.history"));
	assert_false(ws_wal_is_history_name("0000002.history"));
	assert_false(ws_wal_is_history_name("000000002.history"));
	assert_false(ws_wal_is_history_name("00000002.History"));
	assert_false(ws_wal_is_history_name("00000002.history~"));
	assert_false(ws_wal_is_history_name("00000002"));
	assert_false(ws_wal_is_history_name(NULL));

	assert_true(ws_wal_is_backup_history_name(
		"000000010000000000000002.00000028.backup"));
	assert_false(ws_wal_is_backup_history_name(
		"000000010000000000000002.00000028.backu"));
	assert_false(ws_wal_is_backup_history_name(
		"000000010000000000000002.0000028.backup"));
	assert_false(ws_wal_is_backup_history_name(
		"000000010000000000000002.000000280.backup"));
	assert_false(ws_wal_is_backup_history_name(
		"000000010000000000000002.0000002g.backup"));
	assert_false(ws_wal_is_backup_history_name(
		"000000010000000000000002-00000028.backup"));
	assert_false(ws_wal_is_backup_history_name(
		"00000001000000000000002.00000028.backup"));
	assert_false(ws_wal_is_backup_history_name("000000010000000000000002."));
	assert_false(ws_wal_is_backup_history_name("000000010000000000000002"));
	assert_false(ws_wal_is_backup_history_name(""));
	assert_false(ws_wal_is_backup_history_name(NULL));
}

static void
test_history_name(void **state)
{
	struct ws_error err;
	char		name[WS_WAL_FNAME_BUFLEN];

	(void) state;
	assert_int_equal(ws_wal_history_name(1, name, &err), WS_OK);
	assert_string_equal(name, "00000001.history");
	assert_true(ws_wal_is_history_name(name));
	assert_int_equal(ws_wal_history_name(0x2A, name, &err), WS_OK);
	assert_string_equal(name, "0000002A.history");
	assert_int_equal(ws_wal_history_name(UINT32_MAX, name, &err), WS_OK);
	assert_string_equal(name, "FFFFFFFF.history");
	assert_int_equal(ws_wal_history_name(0, name, &err), WS_ERR_INVALID);
	assert_string_equal(name, "");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_segsize_valid),
		cmocka_unit_test(test_segs_per_xlogid),
		cmocka_unit_test(test_known_values_16mb),
		cmocka_unit_test(test_known_values_other_sizes),
		cmocka_unit_test(test_pg_walfile_name),
		cmocka_unit_test(test_round_trip_every_size),
		cmocka_unit_test(test_invalid_size_arithmetic),
		cmocka_unit_test(test_name_errors),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_parse_boundaries),
		cmocka_unit_test(test_name_predicates),
		cmocka_unit_test(test_history_name),
	};

	return cmocka_run_group_tests_name("wal/segment", tests, NULL, NULL);
}
