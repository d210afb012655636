/*
 * test_page.c — unit tests for src/wal/page.c
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "common/error.h"
#include "wal/lsn.h"
#include "wal/page.h"

/*
 * First 40 bytes of pg_wal/000000010000000000000001 right after initdb of
 * PostgreSQL 15.20 (Debian 15.20-0+deb12u1, x86_64), 16MB segments;
 * pg_controldata: "Database system identifier: 7712458829432684830".
 */
static const unsigned char pg15_segment_start[WS_WAL_LONG_HEADER_SIZE] = {
	0x10, 0xd1, 0x02, 0x00, 0x01, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x1e, 0x01, 0x29, 0x69, 0x71, 0x28, 0x08, 0x6b,
	0x00, 0x00, 0x00, 0x01, 0x00, 0x20, 0x00, 0x00,
};
#define PG15_SYSID UINT64_C(7712458829432684830)

#define SEG16MB (16u * 1024u * 1024u)
#define SYSID UINT64_C(7312345678901234567)

static bool
host_is_little_endian(void)
{
	const uint16_t one = 1;
	unsigned char first;

	memcpy(&first, &one, 1);
	return first == 1;
}

/* Write n bytes of v little-endian, independently of the decoder. */
static void
put_le(unsigned char *buf, size_t off, uint64_t v, size_t n)
{
	size_t		i;

	for (i = 0; i < n; i++)
		buf[off + i] = (unsigned char) (v >> (8 * i));
}

static void
encode(const struct ws_wal_long_header *h, unsigned char buf[WS_WAL_LONG_HEADER_SIZE])
{
	memset(buf, 0xEE, WS_WAL_LONG_HEADER_SIZE);      /* padding is noise */
	put_le(buf, 0, h->magic, 2);
	put_le(buf, 2, h->info, 2);
	put_le(buf, 4, h->tli, 4);
	put_le(buf, 8, h->pageaddr, 8);
	put_le(buf, 16, h->rem_len, 4);
	put_le(buf, 24, h->sysid, 8);
	put_le(buf, 32, h->seg_size, 4);
	put_le(buf, 36, h->xlog_blcksz, 4);
}

static struct ws_wal_long_header
good_header(void)
{
	struct ws_wal_long_header h;

	memset(&h, 0, sizeof(h));
	h.magic = WS_XLOG_PAGE_MAGIC_PG15;
	h.info = WS_XLP_LONG_HEADER;
	h.tli = 3;
	h.pageaddr = UINT64_C(0x16B3000000);
	h.rem_len = 0;
	h.sysid = SYSID;
	h.seg_size = SEG16MB;
	h.xlog_blcksz = WS_XLOG_BLCKSZ;
	return h;
}

static struct ws_wal_expect
strict_expect(void)
{
	struct ws_wal_expect exp;

	memset(&exp, 0, sizeof(exp));
	exp.sysid = SYSID;
	exp.seg_size = SEG16MB;
	exp.max_tli = 3;
	exp.check_pageaddr = true;
	exp.pageaddr = UINT64_C(0x16B3000000);
	return exp;
}

static void
expect_corrupt(const struct ws_wal_long_header *h,
			   const struct ws_wal_expect *exp, const char *message)
{
	struct ws_error err;

	ws_error_clear(&err);
	assert_int_equal(ws_wal_long_header_check(h, exp, &err), WS_ERR_CORRUPT);
	assert_int_equal(err.status, WS_ERR_CORRUPT);
	assert_string_equal(err.message, message);
}

static void
expect_valid(const struct ws_wal_long_header *h, const struct ws_wal_expect *exp)
{
	struct ws_error err;

	ws_error_clear(&err);
	if (ws_wal_long_header_check(h, exp, &err) != WS_OK)
		fail_msg("header rejected: %s", err.message);
}

static void
test_real_pg15_segment(void **state)
{
	struct ws_wal_long_header h;
	struct ws_wal_expect exp;
	struct ws_error err;

	(void) state;
	if (!host_is_little_endian())
		skip();
	assert_int_equal(ws_wal_long_header_decode(pg15_segment_start,
											   sizeof(pg15_segment_start),
											   &h, &err), WS_OK);
	assert_int_equal(h.magic, 0xD110);
	assert_int_equal(h.info, WS_XLP_LONG_HEADER);
	assert_int_equal(h.tli, 1);
	assert_true(h.pageaddr == UINT64_C(0x1000000));
	assert_int_equal(h.rem_len, 0);
	assert_true(h.sysid == PG15_SYSID);
	assert_int_equal(h.seg_size, SEG16MB);
	assert_int_equal(h.xlog_blcksz, 8192);

	memset(&exp, 0, sizeof(exp));
	expect_valid(&h, &exp);
	expect_valid(&h, NULL);

	exp.sysid = PG15_SYSID;
	exp.seg_size = SEG16MB;
	exp.max_tli = 1;
	exp.check_pageaddr = true;
	exp.pageaddr = UINT64_C(0x1000000);      /* 000000010000000000000001 */
	expect_valid(&h, &exp);

	exp.sysid = PG15_SYSID + 1;
	expect_corrupt(&h, &exp,
				   "WAL segment has wrong system identifier: expected 7712458829432684831, found 7712458829432684830");
	exp.sysid = PG15_SYSID;
	exp.pageaddr = UINT64_C(0x2000000);
	expect_corrupt(&h, &exp,
				   "WAL segment has wrong page address: expected 0/2000000, found 0/1000000");
	exp.pageaddr = UINT64_C(0x1000000);
	exp.magic = 0xD113;
	expect_corrupt(&h, &exp,
				   "WAL segment has wrong magic number: expected 0xD113 (PostgreSQL 16), found 0xD110 (PostgreSQL 15)");
}

static void
test_decode_layout(void **state)
{
	struct ws_wal_long_header in = good_header();
	struct ws_wal_long_header out;
	unsigned char buf[64];
	struct ws_error err;

	(void) state;
	if (!host_is_little_endian())
		skip();
	in.info = WS_XLP_ALL_FLAGS;
	in.tli = 0x01020304;
	in.pageaddr = UINT64_C(0x1112131415161718);
	in.rem_len = 0x21222324;
	in.sysid = UINT64_C(0x3132333435363738);
	in.seg_size = 0x41424344;
	in.xlog_blcksz = 0x51525354;
	encode(&in, buf);
	memset(buf + WS_WAL_LONG_HEADER_SIZE, 0xAB, sizeof(buf) - WS_WAL_LONG_HEADER_SIZE);

	/* a whole page is fine; only the first 40 bytes are read */
	assert_int_equal(ws_wal_long_header_decode(buf, sizeof(buf), &out, &err), WS_OK);
	assert_int_equal(out.magic, in.magic);
	assert_int_equal(out.info, in.info);
	assert_int_equal(out.tli, in.tli);
	assert_true(out.pageaddr == in.pageaddr);
	assert_int_equal(out.rem_len, in.rem_len);
	assert_true(out.sysid == in.sysid);
	assert_int_equal(out.seg_size, in.seg_size);
	assert_int_equal(out.xlog_blcksz, in.xlog_blcksz);

	/* unaligned input */
	memmove(buf + 1, buf, WS_WAL_LONG_HEADER_SIZE);
	assert_int_equal(ws_wal_long_header_decode(buf + 1, WS_WAL_LONG_HEADER_SIZE,
											   &out, &err), WS_OK);
	assert_true(out.sysid == in.sysid);
}

static void
test_decode_short(void **state)
{
	struct ws_wal_long_header out;
	struct ws_error err;
	size_t		len;

	(void) state;
	for (len = 0; len < WS_WAL_LONG_HEADER_SIZE; len++) {
		assert_int_equal(ws_wal_long_header_decode(pg15_segment_start, len,
												   &out, &err), WS_ERR_CORRUPT);
		assert_non_null(strstr(err.message, "WAL segment is too short"));
	}
	assert_int_equal(ws_wal_long_header_decode(pg15_segment_start, 39, &out, &err),
					 WS_ERR_CORRUPT);
	assert_string_equal(err.message,
						"WAL segment is too short for a page header: 39 bytes, need 40");
	assert_int_equal(ws_wal_long_header_decode(NULL, 40, &out, &err),
					 WS_ERR_CORRUPT);
}

static void
test_valid_variants(void **state)
{
	struct ws_wal_long_header h = good_header();
	struct ws_wal_expect exp = strict_expect();
	uint32_t	size;

	(void) state;
	expect_valid(&h, &exp);
	expect_valid(&h, NULL);

	/* all defined flags together */
	h.info = WS_XLP_LONG_HEADER | WS_XLP_FIRST_IS_CONTRECORD | WS_XLP_BKP_REMOVABLE;
	h.rem_len = 1234;
	expect_valid(&h, &exp);

	/* an older timeline is fine: the segment where a timeline begins */
	h.tli = 1;
	expect_valid(&h, &exp);

	/* every valid segment size, at its own boundary */
	for (size = 1u << 20; size <= (1u << 30); size <<= 1) {
		h = good_header();
		h.seg_size = size;
		h.pageaddr = (ws_lsn) size * 5;
		expect_valid(&h, NULL);
	}

	/* another version's magic when asked for it */
	h = good_header();
	h.magic = 0xD113;
	exp.magic = 0xD113;
	expect_valid(&h, &exp);

	/* pageaddr 0/0 is the first segment ever */
	h = good_header();
	h.pageaddr = 0;
	expect_valid(&h, NULL);
}

static void
test_wrong_magic(void **state)
{
	struct ws_wal_long_header h = good_header();

	(void) state;
	h.magic = 0xD113;
	expect_corrupt(&h, NULL,
				   "WAL segment has wrong magic number: expected 0xD110 (PostgreSQL 15), found 0xD113 (PostgreSQL 16)");
	h.magic = 0xD10D;
	expect_corrupt(&h, NULL,
				   "WAL segment has wrong magic number: expected 0xD110 (PostgreSQL 15), found 0xD10D (PostgreSQL 14)");
	h.magic = 0x0000;
	expect_corrupt(&h, NULL,
				   "WAL segment has wrong magic number: expected 0xD110 (PostgreSQL 15), found 0x0000 (unknown PostgreSQL version)");
	/* byte-swapped: written on a big-endian machine */
	h.magic = 0x10D1;
	expect_corrupt(&h, NULL,
				   "WAL segment has wrong magic number: expected 0xD110 (PostgreSQL 15), found 0x10D1 (unknown PostgreSQL version)");

	assert_string_equal(ws_wal_magic_version(0xD110), "PostgreSQL 15");
	assert_string_equal(ws_wal_magic_version(0xD116), "PostgreSQL 17");
	assert_null(ws_wal_magic_version(0xFFFF));
}

static void
test_wrong_info(void **state)
{
	struct ws_wal_long_header h = good_header();

	(void) state;
	h.info = 0;
	expect_corrupt(&h, NULL,
				   "WAL segment does not start with a long page header: info flags 0x0000");
	h.info = WS_XLP_FIRST_IS_CONTRECORD;
	expect_corrupt(&h, NULL,
				   "WAL segment does not start with a long page header: info flags 0x0001");
	h.info = WS_XLP_LONG_HEADER | 0x0008;
	expect_corrupt(&h, NULL,
				   "WAL segment page header has invalid info bits 0x000A");
	h.info = 0xFFFF;
	expect_corrupt(&h, NULL,
				   "WAL segment page header has invalid info bits 0xFFFF");
}

static void
test_wrong_sizes(void **state)
{
	struct ws_wal_long_header h = good_header();
	struct ws_wal_expect exp = strict_expect();

	(void) state;
	h.seg_size = 0;
	expect_corrupt(&h, NULL, "WAL segment has invalid segment size 0");
	h.seg_size = 3u << 20;
	expect_corrupt(&h, NULL, "WAL segment has invalid segment size 3145728");
	h.seg_size = 512u << 10;
	expect_corrupt(&h, NULL, "WAL segment has invalid segment size 524288");
	h.seg_size = 0x80000000u;
	expect_corrupt(&h, NULL, "WAL segment has invalid segment size 2147483648");

	h.seg_size = 64u << 20;
	h.pageaddr = 0;
	expect_corrupt(&h, &exp,
				   "WAL segment has wrong segment size: expected 16777216, found 67108864");

	h = good_header();
	h.xlog_blcksz = 4096;
	expect_corrupt(&h, NULL,
				   "WAL segment has wrong WAL block size: expected 8192, found 4096");
	h.xlog_blcksz = 0;
	expect_corrupt(&h, NULL,
				   "WAL segment has wrong WAL block size: expected 8192, found 0");
}

static void
test_wrong_sysid(void **state)
{
	struct ws_wal_long_header h = good_header();
	struct ws_wal_expect exp = strict_expect();

	(void) state;
	h.sysid = SYSID + 1;
	expect_corrupt(&h, &exp,
				   "WAL segment has wrong system identifier: expected 7312345678901234567, found 7312345678901234568");
	h.sysid = UINT64_MAX;
	expect_corrupt(&h, &exp,
				   "WAL segment has wrong system identifier: expected 7312345678901234567, found 18446744073709551615");
	exp.sysid = 0;
	expect_valid(&h, &exp);
}

static void
test_wrong_tli(void **state)
{
	struct ws_wal_long_header h = good_header();
	struct ws_wal_expect exp = strict_expect();

	(void) state;
	h.tli = 0;
	expect_corrupt(&h, NULL, "WAL segment has invalid timeline ID 0");
	expect_corrupt(&h, &exp, "WAL segment has invalid timeline ID 0");
	h.tli = 4;
	expect_corrupt(&h, &exp,
				   "WAL segment has timeline ID 4, expected at most 3");
	h.tli = UINT32_MAX;
	expect_corrupt(&h, &exp,
				   "WAL segment has timeline ID 4294967295, expected at most 3");
	exp.max_tli = 0;
	expect_valid(&h, &exp);
}

static void
test_wrong_pageaddr(void **state)
{
	struct ws_wal_long_header h = good_header();
	struct ws_wal_expect exp = strict_expect();

	(void) state;
	h.pageaddr = UINT64_C(0x16B3000000) + 8192;
	expect_corrupt(&h, NULL,
				   "WAL segment has page address 16/B3002000, which is not at a segment boundary");
	h.pageaddr = UINT64_C(0x16B3000001);
	expect_corrupt(&h, &exp,
				   "WAL segment has page address 16/B3000001, which is not at a segment boundary");
	/* a boundary for 16MB but not for 64MB segments */
	h.pageaddr = UINT64_C(0x1000000);
	h.seg_size = 64u << 20;
	expect_corrupt(&h, NULL,
				   "WAL segment has page address 0/1000000, which is not at a segment boundary");

	h = good_header();
	h.pageaddr = UINT64_C(0x16B4000000);
	expect_corrupt(&h, &exp,
				   "WAL segment has wrong page address: expected 16/B3000000, found 16/B4000000");
	exp.check_pageaddr = false;
	expect_valid(&h, &exp);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_real_pg15_segment),
		cmocka_unit_test(test_decode_layout),
		cmocka_unit_test(test_decode_short),
		cmocka_unit_test(test_valid_variants),
		cmocka_unit_test(test_wrong_magic),
		cmocka_unit_test(test_wrong_info),
		cmocka_unit_test(test_wrong_sizes),
		cmocka_unit_test(test_wrong_sysid),
		cmocka_unit_test(test_wrong_tli),
		cmocka_unit_test(test_wrong_pageaddr),
	};

	return cmocka_run_group_tests_name("wal/page", tests, NULL, NULL);
}
