/*
 * test_tar.c — unit tests for src/backup/tar.c
 *
 * Archives are built in memory with a small ustar writer that mirrors
 * PostgreSQL's tarCreateHeader(); a recorder collects the callbacks so that
 * different ways of feeding the same bytes can be compared. One test runs
 * the system's tar, when there is one, to check against a real writer.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "backup/tar.h"
#include "common/buf.h"
#include "common/error.h"
#include "common/str.h"

#include "../testutil.h"

#define BLOCK 512
#define ARCHIVE_MAX (1 << 22)

/* ---- a test-only ustar writer ---- */

struct spec {
	const char *name;
	const char *prefix;			/* NULL: none */
	char		type;
	unsigned	mode;
	uint64_t	size;
	int64_t		mtime;
	const char *link;			/* NULL: none */
};

/* PostgreSQL's print_tar_number(): octal and a space, base-256 if too big */
static void
put_number(unsigned char *f, size_t len, uint64_t v)
{
	if (v < ((uint64_t) 1 << ((len - 1) * 3))) {
		f[--len] = ' ';
		while (len > 0) {
			f[--len] = (unsigned char) ('0' + (v & 7));
			v >>= 3;
		}
	} else {
		f[0] = 0x80;
		while (len > 1) {
			f[--len] = (unsigned char) (v & 0xff);
			v >>= 8;
		}
	}
}

/* copy without the NUL when s fills the field, as tar does */
static void
put_str(unsigned char *f, size_t len, const char *s)
{
	size_t		n = strlen(s);

	assert_true(n <= len);
	memcpy(f, s, n);
}

static unsigned
header_sum(const unsigned char *h)
{
	unsigned	sum = 0;
	size_t		i;

	for (i = 0; i < BLOCK; i++)
		sum += (i >= 148 && i < 156) ? ' ' : h[i];
	return sum;
}

static void
set_checksum(unsigned char *h)
{
	put_number(h + 148, 8, header_sum(h));
}

static void
make_header(unsigned char *h, const struct spec *s)
{
	memset(h, 0, BLOCK);
	put_str(h, 100, s->name);
	put_number(h + 100, 8, s->mode);
	put_number(h + 108, 8, 1000);
	put_number(h + 116, 8, 1000);
	put_number(h + 124, 12, s->size);
	put_number(h + 136, 12, (uint64_t) s->mtime);
	h[156] = (unsigned char) s->type;
	if (s->link != NULL)
		put_str(h + 157, 100, s->link);
	memcpy(h + 257, "ustar\0" "00", 8);
	put_str(h + 265, 32, "postgres");
	put_str(h + 297, 32, "postgres");
	if (s->prefix != NULL)
		put_str(h + 345, 155, s->prefix);
	set_checksum(h);
}

static void
ar_bytes(struct ws_buf *a, const void *p, size_t len)
{
	assert_int_equal(ws_buf_append(a, p, len), WS_OK);
}

static void
ar_zeros(struct ws_buf *a, size_t len)
{
	static const unsigned char zero[BLOCK];

	while (len > 0) {
		size_t		n = len < BLOCK ? len : BLOCK;

		ar_bytes(a, zero, n);
		len -= n;
	}
}

static void
ar_header(struct ws_buf *a, const struct spec *s)
{
	unsigned char h[BLOCK];

	make_header(h, s);
	ar_bytes(a, h, BLOCK);
}

static void
ar_file(struct ws_buf *a, const char *name, const void *data, size_t len)
{
	struct spec s = {name, NULL, '0', 0600, len, 1700000000, NULL};

	ar_header(a, &s);
	ar_bytes(a, data, len);
	ar_zeros(a, (BLOCK - len % BLOCK) % BLOCK);
}

/* PostgreSQL ends directory and symlink names with '/' */
static void
ar_dir(struct ws_buf *a, const char *name)
{
	struct spec s = {name, NULL, '5', 0700, 0, 1700000001, NULL};

	ar_header(a, &s);
}

static void
ar_symlink(struct ws_buf *a, const char *name, const char *target)
{
	struct spec s = {name, NULL, '2', 0777, 0, 1700000002, target};

	ar_header(a, &s);
}

static void
ar_trailer(struct ws_buf *a)
{
	ar_zeros(a, 2 * BLOCK);
}

static const unsigned char *
ar_data(const struct ws_buf *a)
{
	return (const unsigned char *) a->data;
}

/* ---- a recorder of callbacks ---- */

#define MAX_ENTRIES 32

struct rec {
	struct ws_tar_entry entries[MAX_ENTRIES];
	struct ws_buf contents[MAX_ENTRIES];
	size_t		n;				/* entries begun */
	size_t		ended;			/* entries ended */
	size_t		data_calls;
	bool		open;			/* between begin and end */
	/* the buffer being fed: data must point into it (no copies) */
	const unsigned char *feed_lo;
	const unsigned char *feed_hi;
	/* fail the fail_at-th callback (1-based) with fail_status */
	int			events;
	int			fail_at;
	int			fail_status;
	bool		failed;
};

static void
rec_init(struct rec *r)
{
	size_t		i;

	memset(r, 0, sizeof(*r));
	for (i = 0; i < MAX_ENTRIES; i++)
		ws_buf_init(&r->contents[i], ARCHIVE_MAX);
}

static void
rec_free(struct rec *r)
{
	size_t		i;

	for (i = 0; i < MAX_ENTRIES; i++)
		ws_buf_free(&r->contents[i]);
}

/* count a callback; true when this one is to fail */
static bool
rec_event(struct rec *r, struct ws_error *err)
{
	assert_false(r->failed);	/* nothing is called after a failure */
	r->events++;
	if (r->events != r->fail_at)
		return false;
	r->failed = true;
	ws_error_set(err, r->fail_status, "callback %d failed", r->events);
	return true;
}

static int
rec_begin(const struct ws_tar_entry *e, void *arg, struct ws_error *err)
{
	struct rec *r = arg;

	assert_false(r->open);
	assert_true(r->n < MAX_ENTRIES);
	if (rec_event(r, err))
		return r->fail_status;
	r->entries[r->n++] = *e;
	r->open = true;
	return WS_OK;
}

static int
rec_data(const void *p, size_t len, void *arg, struct ws_error *err)
{
	struct rec *r = arg;
	const unsigned char *d = p;

	assert_true(r->open);
	assert_int_equal(r->entries[r->n - 1].type, WS_TAR_FILE);
	assert_true(len > 0);
	assert_true(d >= r->feed_lo && d + len <= r->feed_hi);
	if (rec_event(r, err))
		return r->fail_status;
	r->data_calls++;
	assert_int_equal(ws_buf_append(&r->contents[r->n - 1], p, len), WS_OK);
	return WS_OK;
}

static int
rec_end(const struct ws_tar_entry *e, void *arg, struct ws_error *err)
{
	struct rec *r = arg;
	const struct ws_tar_entry *b;

	assert_true(r->open);
	b = &r->entries[r->n - 1];
	assert_string_equal(e->path, b->path);
	assert_int_equal(r->contents[r->n - 1].len, e->size);
	if (rec_event(r, err))
		return r->fail_status;
	r->open = false;
	r->ended++;
	return WS_OK;
}

static const struct ws_tar_callbacks rec_callbacks_template = {
	rec_begin, rec_data, rec_end, NULL
};

static int
feed_chunked(struct ws_tar_parser *p, struct rec *r, const unsigned char *d,
			 size_t len, size_t chunk, struct ws_error *err)
{
	while (len > 0) {
		size_t		n = len < chunk ? len : chunk;
		int			rc;

		r->feed_lo = d;
		r->feed_hi = d + n;
		rc = ws_tar_parser_feed(p, d, n, err);
		if (rc != WS_OK)
			return rc;
		d += n;
		len -= n;
	}
	return WS_OK;
}

/* new + feed in chunks + finish + free */
static int
parse_bytes(const unsigned char *d, size_t len, size_t chunk, struct rec *r,
			struct ws_error *err)
{
	struct ws_tar_callbacks cb = rec_callbacks_template;
	struct ws_tar_parser *p = NULL;
	int			rc;

	cb.arg = r;
	assert_int_equal(ws_tar_parser_new(&cb, &p, err), WS_OK);
	rc = feed_chunked(p, r, d, len, chunk, err);
	if (rc == WS_OK)
		rc = ws_tar_parser_finish(p, err);
	ws_tar_parser_free(p);
	return rc;
}

static int
parse(const struct ws_buf *a, size_t chunk, struct rec *r, struct ws_error *err)
{
	return parse_bytes(ar_data(a), a->len, chunk, r, err);
}

/* the archive fails with WS_ERR_CORRUPT and a message containing want */
static void
assert_corrupt(const struct ws_buf *a, size_t chunk, const char *want)
{
	struct rec	r;
	struct ws_error err;

	rec_init(&r);
	ws_error_clear(&err);
	assert_int_equal(parse(a, chunk, &r, &err), WS_ERR_CORRUPT);
	if (strstr(err.message, want) == NULL)
		fail_msg("message \"%s\" lacks \"%s\"", err.message, want);
	rec_free(&r);
}

static void
assert_entry(const struct rec *r, size_t i, enum ws_tar_type type, const char *path,
			 const char *link, unsigned mode, const void *data, size_t size)
{
	const struct ws_tar_entry *e;

	assert_true(i < r->n);
	e = &r->entries[i];
	assert_int_equal(e->type, type);
	assert_string_equal(e->path, path);
	assert_string_equal(e->link, link);
	assert_int_equal(e->mode, mode);
	assert_int_equal(e->size, size);
	assert_int_equal(r->contents[i].len, size);
	if (size > 0)
		assert_memory_equal(r->contents[i].data, data, size);
}

static void
assert_same_records(const struct rec *a, const struct rec *b)
{
	size_t		i;

	assert_int_equal(a->n, b->n);
	assert_int_equal(a->ended, b->ended);
	for (i = 0; i < a->n; i++) {
		const struct ws_tar_entry *x = &a->entries[i];
		const struct ws_tar_entry *y = &b->entries[i];

		assert_int_equal(x->type, y->type);
		assert_string_equal(x->path, y->path);
		assert_string_equal(x->link, y->link);
		assert_int_equal(x->mode, y->mode);
		assert_int_equal(x->mtime, y->mtime);
		assert_int_equal(x->size, y->size);
		assert_int_equal(a->contents[i].len, b->contents[i].len);
		if (a->contents[i].len > 0)
			assert_memory_equal(a->contents[i].data, b->contents[i].data,
								a->contents[i].len);
	}
}

/* ---- a sample archive, shaped like a BASE_BACKUP tablespace tar ---- */

static unsigned char block_file[BLOCK];
static unsigned char odd_file[1000];

static void
fill_sample_files(void)
{
	size_t		i;

	for (i = 0; i < sizeof(block_file); i++)
		block_file[i] = (unsigned char) (i * 7);
	for (i = 0; i < sizeof(odd_file); i++)
		odd_file[i] = (unsigned char) (255 - i % 251);
}

static void
build_sample(struct ws_buf *a, bool trailer)
{
	fill_sample_files();
	ws_buf_init(a, ARCHIVE_MAX);
	ar_file(a, "backup_label", "START WAL LOCATION: 0/2000028\n", 30);
	ar_dir(a, "base/");
	ar_dir(a, "base/1/");
	ar_file(a, "base/1/PG_VERSION", "15\n", 3);
	ar_file(a, "base/1/1259", block_file, sizeof(block_file));
	ar_file(a, "base/1/1259_fsm", odd_file, sizeof(odd_file));
	ar_file(a, "postmaster.opts", "", 0);
	ar_symlink(a, "pg_tblspc/16384/", "/srv/tblspc");
	if (trailer)
		ar_trailer(a);
}

#define SAMPLE_ENTRIES 8

static void
assert_sample(const struct rec *r)
{
	assert_int_equal(r->n, SAMPLE_ENTRIES);
	assert_int_equal(r->ended, SAMPLE_ENTRIES);
	assert_false(r->open);
	assert_entry(r, 0, WS_TAR_FILE, "backup_label", "", 0600,
				 "START WAL LOCATION: 0/2000028\n", 30);
	assert_entry(r, 1, WS_TAR_DIR, "base", "", 0700, NULL, 0);
	assert_entry(r, 2, WS_TAR_DIR, "base/1", "", 0700, NULL, 0);
	assert_entry(r, 3, WS_TAR_FILE, "base/1/PG_VERSION", "", 0600, "15\n", 3);
	assert_entry(r, 4, WS_TAR_FILE, "base/1/1259", "", 0600, block_file, sizeof(block_file));
	assert_entry(r, 5, WS_TAR_FILE, "base/1/1259_fsm", "", 0600, odd_file, sizeof(odd_file));
	assert_entry(r, 6, WS_TAR_FILE, "postmaster.opts", "", 0600, NULL, 0);
	assert_entry(r, 7, WS_TAR_SYMLINK, "pg_tblspc/16384", "/srv/tblspc", 0777, NULL, 0);
	assert_int_equal(r->entries[0].mtime, 1700000000);
	assert_int_equal(r->entries[1].mtime, 1700000001);
	assert_int_equal(r->entries[7].mtime, 1700000002);
}

/* ---- tests ---- */

static void
test_roundtrip(void **state)
{
	struct ws_buf a;
	struct rec	r;
	struct ws_error err;

	(void) state;
	build_sample(&a, true);
	rec_init(&r);
	assert_int_equal(parse(&a, a.len, &r, &err), WS_OK);
	assert_sample(&r);
	/* fed whole, each non-empty file's data comes in one call, uncopied */
	assert_int_equal(r.data_calls, 4);
	rec_free(&r);
	ws_buf_free(&a);
}

static void
test_any_split_gives_same_callbacks(void **state)
{
	static const size_t chunks[] = {1, 2, 7, 100, 511, 512, 513, 1024, 4099};
	struct ws_buf a;
	struct rec	whole;
	struct ws_error err;
	size_t		i;

	(void) state;
	build_sample(&a, true);
	rec_init(&whole);
	assert_int_equal(parse(&a, a.len, &whole, &err), WS_OK);
	for (i = 0; i < sizeof(chunks) / sizeof(chunks[0]); i++) {
		struct rec	r;

		rec_init(&r);
		assert_int_equal(parse(&a, chunks[i], &r, &err), WS_OK);
		assert_same_records(&whole, &r);
		assert_sample(&r);
		if (chunks[i] == 1)
			assert_int_equal(r.data_calls, 30 + 3 + sizeof(block_file) + sizeof(odd_file));
		rec_free(&r);
	}
	rec_free(&whole);
	ws_buf_free(&a);
}

static void
test_prefix_joined(void **state)
{
	char		name100[101];
	char		prefix155[156];
	char		want[257];
	struct spec s = {"c", "a/b", '0', 0644, 2, 0, NULL};
	struct ws_buf a;
	struct rec	r;
	struct ws_error err;

	(void) state;
	ws_buf_init(&a, ARCHIVE_MAX);
	ar_header(&a, &s);
	ar_bytes(&a, "hi", 2);
	ar_zeros(&a, BLOCK - 2);

	/* both fields full, without NULs: 154 + 1 + 100 = 255 bytes just fit */
	memset(name100, 'n', 100);
	name100[100] = '\0';
	memset(prefix155, 'p', 154);
	prefix155[154] = '\0';
	s.name = name100;
	s.prefix = prefix155;
	s.size = 0;
	ar_header(&a, &s);

	rec_init(&r);
	assert_int_equal(parse(&a, 3, &r, &err), WS_OK);
	assert_int_equal(r.n, 2);
	assert_entry(&r, 0, WS_TAR_FILE, "a/b/c", "", 0644, "hi", 2);
	assert_int_equal(ws_snprintf(want, sizeof(want), "%s/%s", prefix155, name100), WS_OK);
	assert_int_equal(strlen(want), 255);
	assert_string_equal(r.entries[1].path, want);
	rec_free(&r);
	ws_buf_free(&a);

	/* one more byte does not fit path[256] */
	memset(prefix155, 'p', 155);
	prefix155[155] = '\0';
	ws_buf_init(&a, ARCHIVE_MAX);
	ar_header(&a, &s);
	assert_corrupt(&a, a.len, "is too long: 256 bytes");
	ws_buf_free(&a);
}

static void
test_end_with_and_without_trailer(void **state)
{
	struct ws_buf a;
	struct rec	r;
	struct ws_error err;

	(void) state;
	/* PostgreSQL 15 can stop right after the last entry */
	build_sample(&a, false);
	rec_init(&r);
	assert_int_equal(parse(&a, 1000, &r, &err), WS_OK);
	assert_sample(&r);
	rec_free(&r);

	/* tar(1) pads to its 10240-byte record with more zeros */
	ar_trailer(&a);
	ar_zeros(&a, 10240 - a.len % 10240);
	rec_init(&r);
	assert_int_equal(parse(&a, 333, &r, &err), WS_OK);
	assert_sample(&r);
	rec_free(&r);
	ws_buf_free(&a);

	/* an empty stream and a bare trailer hold no entries */
	rec_init(&r);
	assert_int_equal(parse_bytes(NULL, 0, 1, &r, &err), WS_OK);
	assert_int_equal(r.n, 0);
	ws_buf_init(&a, ARCHIVE_MAX);
	ar_trailer(&a);
	assert_int_equal(parse(&a, 7, &r, &err), WS_OK);
	assert_int_equal(r.n, 0);
	rec_free(&r);
	ws_buf_free(&a);
}

static void
test_data_after_trailer(void **state)
{
	struct ws_buf a;

	(void) state;
	build_sample(&a, true);
	ar_bytes(&a, "\0\0x", 3);
	assert_corrupt(&a, a.len, "non-zero data after its end-of-archive marker");
	assert_corrupt(&a, 1, "non-zero data after its end-of-archive marker");
	ws_buf_free(&a);

	/* a second archive after the first must not be dropped silently */
	build_sample(&a, true);
	ar_file(&a, "more", "x", 1);
	assert_corrupt(&a, a.len, "non-zero data after its end-of-archive marker");
	ws_buf_free(&a);

	/* nor may entries follow a single zero block */
	ws_buf_init(&a, ARCHIVE_MAX);
	ar_file(&a, "a", "x", 1);
	ar_zeros(&a, BLOCK);
	ar_file(&a, "b", "y", 1);
	assert_corrupt(&a, 100, "non-zero data after its end-of-archive marker at offset 1536");
	ws_buf_free(&a);
}

static void
test_truncated(void **state)
{
	struct ws_buf a;
	struct ws_error err;
	struct rec	r;
	size_t		second;

	(void) state;
	fill_sample_files();
	ws_buf_init(&a, ARCHIVE_MAX);
	ar_file(&a, "base/1/1259_fsm", odd_file, sizeof(odd_file));
	second = a.len;
	ar_file(&a, "next", "abc", 3);

	{
		static const struct {
			size_t		cut;
			const char *want;
		} cases[] = {
			{100, "tar archive ends inside the header at offset 0: 100 of 512 bytes"},
			{BLOCK + 500, "tar archive ends inside the data of \"base/1/1259_fsm\": 500 of 1000 bytes missing"},
			/* all data there: the padding is missing */
			{BLOCK + 1000, "tar archive ends inside the padding after \"base/1/1259_fsm\""},
			{BLOCK + 1023, "tar archive ends inside the padding after \"base/1/1259_fsm\""},
			{3 * BLOCK + 511, "tar archive ends inside the header at offset 1536: 511 of 512 bytes"},
			{4 * BLOCK + 1, "tar archive ends inside the data of \"next\": 2 of 3 bytes missing"},
		};
		size_t		i;

		for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			size_t		chunks[] = {1, 64, cases[i].cut};
			size_t		j;

			for (j = 0; j < 3; j++) {
				rec_init(&r);
				ws_error_clear(&err);
				assert_int_equal(parse_bytes(ar_data(&a), cases[i].cut, chunks[j], &r, &err),
								 WS_ERR_CORRUPT);
				assert_string_equal(err.message, cases[i].want);
				rec_free(&r);
			}
		}
	}
	/* ending exactly at an entry's end is clean */
	rec_init(&r);
	assert_int_equal(parse_bytes(ar_data(&a), second, 10, &r, &err), WS_OK);
	assert_int_equal(r.ended, 1);
	rec_free(&r);
	ws_buf_free(&a);
}

static void
test_bad_checksum(void **state)
{
	struct ws_buf a;
	unsigned char h[BLOCK];
	struct spec s = {"base/1/1259", NULL, '0', 0600, 0, 0, NULL};

	(void) state;
	make_header(h, &s);
	h[5] ^= 1;					/* changed after the checksum was set */
	ws_buf_init(&a, ARCHIVE_MAX);
	ar_file(&a, "ok", "x", 1);
	ar_bytes(&a, h, BLOCK);
	assert_corrupt(&a, a.len, "tar header checksum mismatch for \"base/0/1259\" at offset 1024");
	assert_corrupt(&a, 1, "checksum mismatch");
	ws_buf_free(&a);

	/* an unreadable checksum field */
	make_header(h, &s);
	memcpy(h + 148, "12x4567 ", 8);
	ws_buf_init(&a, ARCHIVE_MAX);
	ar_bytes(&a, h, BLOCK);
	assert_corrupt(&a, a.len, "has an invalid checksum field");
	ws_buf_free(&a);
}

static void
test_bad_magic(void **state)
{
	struct ws_buf a;
	unsigned char h[BLOCK];
	struct spec s = {"global/pg_control", NULL, '0', 0600, 0, 0, NULL};

	(void) state;
	make_header(h, &s);
	memcpy(h + 257, "USTAR", 5);
	set_checksum(h);
	ws_buf_init(&a, ARCHIVE_MAX);
	ar_bytes(&a, h, BLOCK);
	assert_corrupt(&a, a.len, "tar header for \"global/pg_control\" at offset 0 has no ustar magic");
	ws_buf_free(&a);

	/* a V7 header: no magic at all */
	make_header(h, &s);
	memset(h + 257, 0, 8);
	set_checksum(h);
	ws_buf_init(&a, ARCHIVE_MAX);
	ar_bytes(&a, h, BLOCK);
	assert_corrupt(&a, a.len, "has no ustar magic");
	ws_buf_free(&a);
}

static void
corrupt_field(size_t off, const char *value, size_t len, const char *want)
{
	struct ws_buf a;
	unsigned char h[BLOCK];
	struct spec s = {"base/1/2608", NULL, '0', 0600, 0, 0, NULL};

	make_header(h, &s);
	memcpy(h + off, value, len);
	set_checksum(h);
	ws_buf_init(&a, ARCHIVE_MAX);
	ar_bytes(&a, h, BLOCK);
	assert_corrupt(&a, a.len, want);
	ws_buf_free(&a);
}

static void
test_bad_octal(void **state)
{
	(void) state;
	corrupt_field(124, "0000000009a ", 12,
				  "tar header for \"base/1/2608\" at offset 0 has an invalid size field");
	corrupt_field(124, "00000000008 ", 12, "invalid size field");
	corrupt_field(124, "-0000000001 ", 12, "invalid size field");
	corrupt_field(124, "           ", 12, "invalid size field");
	corrupt_field(124, "0000 000001 ", 12, "invalid size field");
	corrupt_field(124, "\0\0\0\0\0\0\0\0\0\0\0", 12, "invalid size field");
	corrupt_field(136, "1234567890x ", 12, "invalid mtime field");
	corrupt_field(100, "00006x4 ", 8, "invalid mode field");
	corrupt_field(108, "0001750x", 8, "invalid uid field");
	corrupt_field(116, "+001750 ", 8, "invalid gid field");
	/* base-256 negative numbers make no sense here */
	corrupt_field(136, "\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff", 12,
				  "invalid mtime field");
}

/* the spellings of other tar writers are accepted */
static void
test_number_spellings(void **state)
{
	struct ws_buf a;
	unsigned char h[BLOCK];
	struct spec s = {"caf\xc3\xa9", NULL, '\0', 0600, 0, 0, NULL};
	struct rec	r;
	struct ws_error err;
	char		sum[8];
	int			signed_sum = 0;
	size_t		i;

	(void) state;
	make_header(h, &s);
	memcpy(h + 100, "000644\0\0", 8);		/* star and old GNU */
	memcpy(h + 124, "          5", 12);	/* leading spaces, no terminator */
	memcpy(h + 136, "014525233400", 12);	/* all twelve digits */
	/* old tars summed signed chars; GNU writes "%06o\0 " */
	memset(h + 148, ' ', 8);
	for (i = 0; i < BLOCK; i++)
		signed_sum += (signed char) h[i];
	assert_true(signed_sum > 0 && (unsigned) signed_sum != header_sum(h));
	assert_int_equal(ws_snprintf(sum, sizeof(sum), "%06o", (unsigned) signed_sum), WS_OK);
	memcpy(h + 148, sum, 7);
	h[155] = ' ';
	ws_buf_init(&a, ARCHIVE_MAX);
	ar_bytes(&a, h, BLOCK);
	ar_bytes(&a, "hello", 5);
	ar_zeros(&a, BLOCK - 5);

	rec_init(&r);
	assert_int_equal(parse(&a, a.len, &r, &err), WS_OK);
	assert_entry(&r, 0, WS_TAR_FILE, "caf\xc3\xa9", "", 0644, "hello", 5);
	assert_int_equal(r.entries[0].mtime, 014525233400);
	rec_free(&r);
	ws_buf_free(&a);
}

static void
bad_path(const char *name, char type, const char *want)
{
	struct ws_buf a;
	struct spec s = {name, NULL, type, 0600, 0, 0, type == '2' ? "target" : NULL};

	ws_buf_init(&a, ARCHIVE_MAX);
	ar_header(&a, &s);
	assert_corrupt(&a, a.len, want);
	ws_buf_free(&a);
}

static void
test_bad_paths(void **state)
{
	struct ws_buf a;
	struct rec	r;
	struct ws_error err;

	(void) state;
	bad_path("../x", '0', "tar entry \"../x\" has a \"..\" path component");
	bad_path("a/../b", '0', "has a \"..\" path component");
	bad_path("a/..", '5', "has a \"..\" path component");
	bad_path("..", '5', "has a \"..\" path component");
	bad_path("../", '2', "has a \"..\" path component");
	bad_path("/abs", '0', "tar entry \"/abs\" has an absolute path");
	bad_path("/", '5', "has an absolute path");
	bad_path("", '0', "tar entry at offset 0 has an empty name");
	bad_path("a\nb", '0', "tar entry \"a\\x0Ab\" has a newline or tab in its name");
	bad_path("a\tb", '5', "has a newline or tab in its name");
	bad_path("file/", '0', "is a regular file but its name ends in \"/\"");

	/* dots that are not a ".." component are ordinary names */
	ws_buf_init(&a, ARCHIVE_MAX);
	ar_file(&a, "..a/b../.../.x", "", 0);
	ar_dir(&a, "./");
	rec_init(&r);
	assert_int_equal(parse(&a, a.len, &r, &err), WS_OK);
	assert_int_equal(r.n, 2);
	assert_string_equal(r.entries[0].path, "..a/b../.../.x");
	assert_string_equal(r.entries[1].path, ".");
	rec_free(&r);
	ws_buf_free(&a);
}

static void
test_unsupported_type(void **state)
{
	static const char types[] = {'x', 'g', 'L', 'K', '1', '3', '4', '6', '7', 'A'};
	size_t		i;

	(void) state;
	for (i = 0; i < sizeof(types); i++) {
		struct ws_buf a;
		struct spec s = {"pax_header", NULL, types[i], 0600, 0, 0, NULL};
		char		want[128];

		ws_buf_init(&a, ARCHIVE_MAX);
		ar_header(&a, &s);
		assert_int_equal(ws_snprintf(want, sizeof(want),
									 "unsupported tar entry type \"%c\" for \"pax_header\"",
									 types[i]), WS_OK);
		assert_corrupt(&a, a.len, want);
		ws_buf_free(&a);
	}
}

static void
test_bad_kinds(void **state)
{
	struct ws_buf a;
	struct spec dir = {"base/", NULL, '5', 0700, 512, 0, NULL};
	struct spec sym = {"pg_tblspc/1/", NULL, '2', 0777, 0, 0, NULL};

	(void) state;
	/* a size on a directory would make us read its "data" as headers */
	ws_buf_init(&a, ARCHIVE_MAX);
	ar_header(&a, &dir);
	ar_zeros(&a, BLOCK);
	assert_corrupt(&a, a.len, "tar entry \"base\" is a directory but has a size of 512 bytes");
	ws_buf_free(&a);

	ws_buf_init(&a, ARCHIVE_MAX);
	ar_header(&a, &sym);
	assert_corrupt(&a, a.len, "symbolic link \"pg_tblspc/1\" in tar archive has an empty target");
	ws_buf_free(&a);
}

static void
test_size_base256(void **state)
{
	struct ws_buf a;
	unsigned char h[BLOCK];
	struct spec s = {"big", NULL, '0', 0600, 5, 0, NULL};
	struct rec	r;
	struct ws_error err;

	(void) state;
	/* a small value spelled in base-256 still works */
	make_header(h, &s);
	memset(h + 124, 0, 12);
	h[124] = 0x80;
	h[135] = 5;
	memcpy(h + 108, "\x80\0\0\0\x7f\xff\xff\xff", 8);	/* a big uid, as PostgreSQL writes it */
	set_checksum(h);
	ws_buf_init(&a, ARCHIVE_MAX);
	ar_bytes(&a, h, BLOCK);
	ar_bytes(&a, "12345", 5);
	ar_zeros(&a, BLOCK - 5);
	rec_init(&r);
	assert_int_equal(parse(&a, 1, &r, &err), WS_OK);
	assert_entry(&r, 0, WS_TAR_FILE, "big", "", 0600, "12345", 5);
	rec_free(&r);
	ws_buf_free(&a);

	/* 8 GiB does not fit the octal digits: the writer switches to base-256 */
	s.size = (uint64_t) 8 << 30;
	ws_buf_init(&a, ARCHIVE_MAX);
	ar_header(&a, &s);
	assert_int_equal(ar_data(&a)[124], 0x80);
	ar_bytes(&a, "abc", 3);
	rec_init(&r);
	assert_int_equal(parse(&a, a.len, &r, &err), WS_ERR_CORRUPT);
	assert_int_equal(r.n, 1);
	assert_int_equal(r.entries[0].size, (uint64_t) 8 << 30);
	assert_string_equal(err.message,
						"tar archive ends inside the data of \"big\": 8589934589 of 8589934592 bytes missing");
	rec_free(&r);
	ws_buf_free(&a);

	/* exactly 1 TiB is allowed, one byte more is not */
	s.size = (uint64_t) 1 << 40;
	ws_buf_init(&a, ARCHIVE_MAX);
	ar_header(&a, &s);
	rec_init(&r);
	assert_int_equal(parse(&a, a.len, &r, &err), WS_ERR_CORRUPT);
	assert_non_null(strstr(err.message, "ends inside the data"));
	rec_free(&r);
	ws_buf_free(&a);

	s.size = ((uint64_t) 1 << 40) + 1;
	ws_buf_init(&a, ARCHIVE_MAX);
	ar_header(&a, &s);
	assert_corrupt(&a, a.len,
				   "tar entry \"big\" at offset 0 is too large: 1099511627777 bytes, the limit is 1 TiB");
	ws_buf_free(&a);

	/* base-256 beyond 63 bits */
	make_header(h, &s);
	memset(h + 124, 0xff, 12);
	h[124] = 0x80;
	set_checksum(h);
	ws_buf_init(&a, ARCHIVE_MAX);
	ar_bytes(&a, h, BLOCK);
	assert_corrupt(&a, a.len, "invalid size field");
	ws_buf_free(&a);
}

/* fail each callback of a run fed in chunk-sized pieces in turn */
static void
fail_each_callback(const struct ws_buf *a, size_t chunk, int want_total)
{
	struct rec	r;
	struct ws_error err;
	int			total;
	int			n;

	rec_init(&r);
	assert_int_equal(parse(a, chunk, &r, &err), WS_OK);
	total = r.events;
	rec_free(&r);
	assert_int_equal(total, want_total);

	for (n = 1; n <= total; n++) {
		struct ws_tar_callbacks cb = rec_callbacks_template;
		struct ws_tar_parser *p;
		char		want[64];

		rec_init(&r);
		r.fail_at = n;
		r.fail_status = n % 2 ? WS_ERR_IO : WS_ERR_TOO_LARGE;
		cb.arg = &r;
		assert_int_equal(ws_tar_parser_new(&cb, &p, &err), WS_OK);
		assert_int_equal(feed_chunked(p, &r, ar_data(a), a->len, chunk, &err),
						 r.fail_status);
		assert_int_equal(ws_snprintf(want, sizeof(want), "callback %d failed", n), WS_OK);
		assert_string_equal(err.message, want);
		assert_int_equal(r.events, n);
		/* the parser refuses to go on */
		assert_int_equal(ws_tar_parser_feed(p, "", 1, &err), WS_ERR_INVALID);
		assert_int_equal(ws_tar_parser_finish(p, &err), WS_ERR_INVALID);
		ws_tar_parser_free(p);
		rec_free(&r);
	}
}

static void
test_callback_error_stops(void **state)
{
	struct ws_buf a;

	(void) state;
	build_sample(&a, true);
	/* begin and end of each entry, one data call per non-empty file */
	fail_each_callback(&a, a.len, 2 * SAMPLE_ENTRIES + 4);
	/* ... or one per byte */
	fail_each_callback(&a, 1, 2 * SAMPLE_ENTRIES + 30 + 3 + BLOCK + 1000);
	ws_buf_free(&a);
}

static void
test_lifecycle(void **state)
{
	struct ws_tar_parser *p;
	struct ws_error err;
	struct ws_buf a;

	(void) state;
	ws_tar_parser_free(NULL);

	/* callbacks may be left out */
	build_sample(&a, true);
	assert_int_equal(ws_tar_parser_new(NULL, &p, &err), WS_OK);
	assert_int_equal(ws_tar_parser_feed(p, a.data, a.len, &err), WS_OK);
	assert_int_equal(ws_tar_parser_feed(p, a.data, 0, &err), WS_OK);
	assert_int_equal(ws_tar_parser_finish(p, &err), WS_OK);
	assert_int_equal(ws_tar_parser_feed(p, "", 1, &err), WS_ERR_INVALID);
	assert_string_equal(err.message, "tar parser received data after the end of the stream");
	ws_tar_parser_free(p);
	ws_buf_free(&a);

	/* an error from finish is final too */
	assert_int_equal(ws_tar_parser_new(NULL, &p, &err), WS_OK);
	assert_int_equal(ws_tar_parser_feed(p, "x", 1, &err), WS_OK);
	assert_int_equal(ws_tar_parser_finish(p, &err), WS_ERR_CORRUPT);
	assert_int_equal(ws_tar_parser_finish(p, &err), WS_ERR_INVALID);
	assert_string_equal(err.message, "tar parser cannot continue after an error");
	ws_tar_parser_free(p);
}

/* ---- against the system's tar ---- */

#define LONG_DIR "a_directory_name_long_enough_that_ustar_needs_its_prefix_field_"
#define LONG_FILE "and_a_file_name_that_is_long_as_well_to_pass_one_hundred_bytes"

static void
write_file(const char *dir, const char *name, const void *data, size_t len, mode_t mode)
{
	char		path[PATH_MAX];
	FILE	   *f;

	assert_int_equal(ws_snprintf(path, sizeof(path), "%s/%s", dir, name), WS_OK);
	f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(chmod(path, mode), 0);
}

static void
make_dir(const char *dir, const char *name)
{
	char		path[PATH_MAX];

	assert_int_equal(ws_snprintf(path, sizeof(path), "%s/%s", dir, name), WS_OK);
	assert_int_equal(mkdir(path, 0750), 0);
	assert_int_equal(chmod(path, 0750), 0);
}

/* tar --format=ustar -C src -cf out <names>, quietly; true on success */
static bool
run_tar(const char *src, const char *out)
{
	pid_t		pid;
	int			status;

	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int			fd = open("/dev/null", O_WRONLY);

		if (fd >= 0) {
			dup2(fd, STDOUT_FILENO);
			dup2(fd, STDERR_FILENO);
		}
		execl("/usr/bin/tar", "tar", "--format=ustar", "-C", src, "-cf", out,
			  "hello.txt", "sub", "link", LONG_DIR, (char *) NULL);
		_exit(127);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

static void
read_all(const char *path, struct ws_buf *b)
{
	char		chunk[4096];
	FILE	   *f = fopen(path, "rb");
	size_t		n;

	assert_non_null(f);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		ar_bytes(b, chunk, n);
	assert_int_equal(ferror(f), 0);
	fclose(f);
}

static const struct ws_tar_entry *
find_entry(const struct rec *r, const char *path, size_t *index)
{
	size_t		i;

	for (i = 0; i < r->n; i++) {
		if (strcmp(r->entries[i].path, path) == 0) {
			*index = i;
			return &r->entries[i];
		}
	}
	fail_msg("no entry \"%s\"", path);
	return NULL;
}

static void
test_system_tar(void **state)
{
	char		root[] = "/tmp/ws_test_tar.XXXXXX";
	char		src[PATH_MAX];
	char		out[PATH_MAX];
	char		linkpath[PATH_MAX];
	unsigned char blob[1500];
	struct ws_buf a;
	struct rec	r;
	struct ws_error err;
	const struct ws_tar_entry *e;
	size_t		i;
	time_t		now = time(NULL);

	(void) state;
	if (access("/usr/bin/tar", X_OK) != 0)
		return;					/* no tar here: nothing to compare against */

	for (i = 0; i < sizeof(blob); i++)
		blob[i] = (unsigned char) (i * 13 + 1);
	assert_non_null(mkdtemp(root));
	assert_int_equal(ws_snprintf(src, sizeof(src), "%s/src", root), WS_OK);
	assert_int_equal(ws_snprintf(out, sizeof(out), "%s/out.tar", root), WS_OK);
	assert_int_equal(mkdir(src, 0700), 0);
	write_file(src, "hello.txt", "hello, world\n", 13, 0640);
	make_dir(src, "sub");
	write_file(src, "sub/data.bin", blob, sizeof(blob), 0600);
	write_file(src, "sub/empty", "", 0, 0644);
	assert_int_equal(ws_snprintf(linkpath, sizeof(linkpath), "%s/link", src), WS_OK);
	assert_int_equal(symlink("hello.txt", linkpath), 0);
	make_dir(src, LONG_DIR);
	write_file(src, LONG_DIR "/" LONG_FILE, "long\n", 5, 0600);
	assert_true(run_tar(src, out));

	ws_buf_init(&a, ARCHIVE_MAX);
	read_all(out, &a);
	rec_init(&r);
	assert_int_equal(parse(&a, 777, &r, &err), WS_OK);
	assert_int_equal(r.n, 7);

	e = find_entry(&r, "hello.txt", &i);
	assert_entry(&r, i, WS_TAR_FILE, "hello.txt", "", 0640, "hello, world\n", 13);
	assert_true(e->mtime > now - 3600 && e->mtime < now + 3600);
	find_entry(&r, "sub", &i);
	assert_entry(&r, i, WS_TAR_DIR, "sub", "", 0750, NULL, 0);
	find_entry(&r, "sub/data.bin", &i);
	assert_entry(&r, i, WS_TAR_FILE, "sub/data.bin", "", 0600, blob, sizeof(blob));
	find_entry(&r, "sub/empty", &i);
	assert_entry(&r, i, WS_TAR_FILE, "sub/empty", "", 0644, NULL, 0);
	find_entry(&r, "link", &i);
	assert_int_equal(r.entries[i].type, WS_TAR_SYMLINK);
	assert_string_equal(r.entries[i].link, "hello.txt");
	find_entry(&r, LONG_DIR, &i);
	assert_int_equal(r.entries[i].type, WS_TAR_DIR);
	find_entry(&r, LONG_DIR "/" LONG_FILE, &i);
	assert_entry(&r, i, WS_TAR_FILE, LONG_DIR "/" LONG_FILE, "", 0600, "long\n", 5);

	rec_free(&r);
	ws_buf_free(&a);
	assert_int_equal(testutil_rmtree(root), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_any_split_gives_same_callbacks),
		cmocka_unit_test(test_prefix_joined),
		cmocka_unit_test(test_end_with_and_without_trailer),
		cmocka_unit_test(test_data_after_trailer),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_bad_checksum),
		cmocka_unit_test(test_bad_magic),
		cmocka_unit_test(test_bad_octal),
		cmocka_unit_test(test_number_spellings),
		cmocka_unit_test(test_bad_paths),
		cmocka_unit_test(test_unsupported_type),
		cmocka_unit_test(test_bad_kinds),
		cmocka_unit_test(test_size_base256),
		cmocka_unit_test(test_callback_error_stops),
		cmocka_unit_test(test_lifecycle),
		cmocka_unit_test(test_system_tar),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
