/*
 * test_compress.c — unit tests for src/filter/compress.c
 *
 * Round trips feed every filter in pieces of random size (log-uniform from
 * 1 byte to 1 MiB, with empty calls mixed in) and check the output both
 * with our own decompressor and with the libraries' one-shot APIs, so a
 * bug shared by both directions cannot hide.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <zlib.h>
#include <zstd.h>

#include "common/buf.h"
#include "common/error.h"
#include "filter/filter.h"

#define MIB ((size_t) 1024 * 1024)
#define BIG_LEN (16 * MIB)
#define MAX_PIECE MIB

/* xorshift64*: reproducible pseudo-random bytes, state passed explicitly */
struct rng {
	uint64_t s;
};

static uint64_t
rng_next(struct rng *r)
{
	r->s ^= r->s >> 12;
	r->s ^= r->s << 25;
	r->s ^= r->s >> 27;
	return r->s * UINT64_C(2685821657736338717);
}

static void
fill_random(uint8_t *buf, size_t len, uint64_t seed)
{
	struct rng r = {seed};

	for (size_t i = 0; i < len; i += 8) {
		uint64_t v = rng_next(&r);
		size_t n = len - i < 8 ? len - i : 8;

		memcpy(buf + i, &v, n);
	}
}

/*
 * Something like WAL: 8 KiB pages with a small header, then records of
 * text-ish tuples separated by a few random bytes (the CRCs). Compresses
 * about as well as real segments do.
 */
static void
fill_wal_like(uint8_t *buf, size_t len, uint64_t seed)
{
	static const char *const status[] = {"active", "pending", "closed", "on hold"};
	struct rng r = {seed};
	size_t pos = 0;
	uint32_t id = 1000;

	while (pos < len) {
		char rec[256];
		uint64_t v = rng_next(&r);
		int n;

		if (pos % 8192 < 24) {
			/* page header: magic, info, timeline, lsn */
			uint8_t hdr[24] = {0x10, 0xd1, 0x05, 0x00, 0x01};

			memcpy(hdr + 8, &pos, sizeof(pos));
			n = (int) (len - pos < sizeof(hdr) ? len - pos : sizeof(hdr));
			memcpy(buf + pos, hdr, (size_t) n);
			pos += (size_t) n;
			continue;
		}
		n = snprintf(rec, sizeof(rec),
					 "%c%c%c%c%08u|user%06u@example.com|%u|2024-05-%02u 12:%02u:%02u|%s|",
					 (char) v, (char) (v >> 8), (char) (v >> 16), (char) (v >> 24),
					 id, id % 50000, (unsigned) (v >> 32) % 100000,
					 (unsigned) (v >> 40) % 28 + 1, (unsigned) (v >> 48) % 60,
					 (unsigned) (v >> 54) % 60, status[(v >> 60) % 4]);
		id++;
		if ((size_t) n > len - pos)
			n = (int) (len - pos);
		memcpy(buf + pos, rec, (size_t) n);
		pos += (size_t) n;
	}
}

/* log-uniform between 1 and max, so small pieces are common */
static size_t
random_piece(struct rng *r, size_t max)
{
	unsigned bits = (unsigned) (rng_next(r) % 21);
	size_t n = 1 + (size_t) (rng_next(r) % ((uint64_t) 1 << bits));

	return n < max ? n : max;
}

/* run all of in through f in random pieces, then finish */
static int
feed(struct ws_filter *f, const uint8_t *in, size_t len, uint64_t seed,
	 struct ws_buf *out, struct ws_error *err)
{
	struct rng r = {seed | 1};
	size_t pos = 0;
	int rc;

	while (pos < len) {
		size_t piece = random_piece(&r, MAX_PIECE);

		if (piece > len - pos)
			piece = len - pos;
		rc = f->ops->process(f, in + pos, piece, out, err);
		if (rc != WS_OK)
			return rc;
		pos += piece;
		/* an empty write now and then must change nothing */
		if (rng_next(&r) % 8 == 0) {
			rc = f->ops->process(f, in + pos, 0, out, err);
			if (rc != WS_OK)
				return rc;
		}
	}
	return f->ops->finish(f, out, err);
}

static int
compress_all(enum ws_compress_type type, int level, const uint8_t *in, size_t len,
			 uint64_t seed, struct ws_buf *out)
{
	struct ws_filter *f = NULL;
	struct ws_error err;
	int rc;

	ws_error_clear(&err);
	rc = ws_filter_compress_new(type, level, &f, &err);
	assert_int_equal(rc, WS_OK);
	rc = feed(f, in, len, seed, out, &err);
	if (rc != WS_OK)
		print_error("compress: %s\n", err.message);
	ws_filter_free(f);
	return rc;
}

/* decompress; on failure err says why */
static int
decompress_all(enum ws_compress_type type, size_t max_out, const uint8_t *in,
			   size_t len, uint64_t seed, struct ws_buf *out, struct ws_error *err)
{
	struct ws_filter *f = NULL;
	int rc;

	ws_error_clear(err);
	rc = ws_filter_decompress_new(type, max_out, &f, err);
	assert_int_equal(rc, WS_OK);
	rc = feed(f, in, len, seed, out, err);
	if (rc != WS_OK)
		assert_int_equal(err->status, rc);
	ws_filter_free(f);
	return rc;
}

/* decode with the library's one-shot API, which shares none of our code */
static void
check_oneshot(enum ws_compress_type type, const struct ws_buf *comp,
			  const uint8_t *want, size_t wantlen)
{
	uint8_t *plain = malloc(wantlen + 1);

	assert_non_null(plain);
	if (type == WS_COMPRESS_ZSTD) {
		size_t n = ZSTD_decompress(plain, wantlen + 1, comp->data, comp->len);

		assert_false(ZSTD_isError(n));
		assert_int_equal(n, wantlen);
	} else if (type == WS_COMPRESS_ZLIB) {
		uLongf n = (uLongf) wantlen + 1;

		assert_int_equal(uncompress(plain, &n, (const Bytef *) comp->data,
									(uLong) comp->len), Z_OK);
		assert_int_equal(n, wantlen);
	} else {
		assert_int_equal(comp->len, wantlen);
		if (wantlen > 0)
			memcpy(plain, comp->data, wantlen);
	}
	if (wantlen > 0)
		assert_memory_equal(plain, want, wantlen);
	free(plain);
}

static void
roundtrip(enum ws_compress_type type, int level, const uint8_t *data, size_t len,
		  uint64_t seed)
{
	struct ws_buf comp;
	struct ws_buf plain;
	struct ws_error err;
	int rc;

	ws_buf_init(&comp, SIZE_MAX);
	ws_buf_init(&plain, SIZE_MAX);
	assert_int_equal(compress_all(type, level, data, len, seed, &comp), WS_OK);
	check_oneshot(type, &comp, data, len);

	/* max_out exactly the size is allowed */
	rc = decompress_all(type, len, (const uint8_t *) comp.data, comp.len,
						seed * 31, &plain, &err);
	if (rc != WS_OK)
		print_error("decompress: %s\n", err.message);
	assert_int_equal(rc, WS_OK);
	assert_int_equal(plain.len, len);
	if (len > 0)
		assert_memory_equal(plain.data, data, len);
	ws_buf_free(&comp);
	ws_buf_free(&plain);
}

/* ---- fixtures: 16 MiB of each kind, made once ---- */

struct bigdata {
	uint8_t *wal;
	uint8_t *random;
};

static int
group_setup(void **state)
{
	struct bigdata *d = calloc(1, sizeof(*d));

	if (d == NULL)
		return -1;
	d->wal = malloc(BIG_LEN);
	d->random = malloc(BIG_LEN);
	if (d->wal == NULL || d->random == NULL) {
		free(d->wal);
		free(d->random);
		free(d);
		return -1;
	}
	fill_wal_like(d->wal, BIG_LEN, 42);
	fill_random(d->random, BIG_LEN, 4242);
	*state = d;
	return 0;
}

static int
group_teardown(void **state)
{
	struct bigdata *d = *state;

	free(d->wal);
	free(d->random);
	free(d);
	return 0;
}

/* ---- round trips ---- */

static void
test_small_all_levels(void **state)
{
	struct bigdata *d = *state;
	static const size_t sizes[] = {0, 1, 2, 100, 4096, 100000};

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		for (int level = 1; level <= 19; level++)
			roundtrip(WS_COMPRESS_ZSTD, level, d->wal, sizes[i], i * 100 + (size_t) level);
		for (int level = 0; level <= 9; level++)
			roundtrip(WS_COMPRESS_ZLIB, level, d->wal, sizes[i], i * 100 + (size_t) level);
		roundtrip(WS_COMPRESS_NONE, 0, d->wal, sizes[i], i);
		/* small random input: nothing to gain, must still round trip */
		roundtrip(WS_COMPRESS_ZSTD, 3, d->random, sizes[i], i);
		roundtrip(WS_COMPRESS_ZLIB, 6, d->random, sizes[i], i);
	}
}

static void
test_one_byte_values(void **state)
{
	(void) state;
	for (int v = 0; v < 256; v += 51) {
		uint8_t b = (uint8_t) v;

		roundtrip(WS_COMPRESS_ZSTD, 3, &b, 1, (uint64_t) v);
		roundtrip(WS_COMPRESS_ZLIB, 6, &b, 1, (uint64_t) v);
		roundtrip(WS_COMPRESS_NONE, 0, &b, 1, (uint64_t) v);
	}
}

static void
test_big_zstd(void **state)
{
	struct bigdata *d = *state;

	roundtrip(WS_COMPRESS_ZSTD, 1, d->wal, BIG_LEN, 1);
	roundtrip(WS_COMPRESS_ZSTD, 3, d->wal, BIG_LEN, 2);
	roundtrip(WS_COMPRESS_ZSTD, 3, d->random, BIG_LEN, 3);
	/* the top level is slow: one MiB is enough to exercise it */
	roundtrip(WS_COMPRESS_ZSTD, 19, d->wal, MIB, 4);
	roundtrip(WS_COMPRESS_ZSTD, 19, d->random, MIB, 5);
}

static void
test_big_zlib(void **state)
{
	struct bigdata *d = *state;

	roundtrip(WS_COMPRESS_ZLIB, 0, d->wal, BIG_LEN, 6);
	roundtrip(WS_COMPRESS_ZLIB, 1, d->random, BIG_LEN, 7);
	roundtrip(WS_COMPRESS_ZLIB, 6, d->wal, BIG_LEN, 8);
	roundtrip(WS_COMPRESS_ZLIB, 9, d->wal, MIB, 9);
}

static void
test_big_none(void **state)
{
	struct bigdata *d = *state;

	roundtrip(WS_COMPRESS_NONE, 0, d->wal, BIG_LEN, 10);
	roundtrip(WS_COMPRESS_NONE, 0, d->random, BIG_LEN, 11);
}

static void
test_whole_input_at_once(void **state)
{
	struct bigdata *d = *state;
	static const enum ws_compress_type types[] = {
		WS_COMPRESS_NONE, WS_COMPRESS_ZLIB, WS_COMPRESS_ZSTD
	};

	for (size_t i = 0; i < 3; i++) {
		struct ws_filter *f = NULL;
		struct ws_buf comp;
		struct ws_buf plain;
		struct ws_error err;

		ws_buf_init(&comp, SIZE_MAX);
		ws_buf_init(&plain, SIZE_MAX);
		assert_int_equal(ws_filter_compress_new(types[i], 1, &f, &err), WS_OK);
		assert_int_equal(f->ops->process(f, d->wal, 3 * MIB, &comp, &err), WS_OK);
		assert_int_equal(f->ops->finish(f, &comp, &err), WS_OK);
		ws_filter_free(f);

		assert_int_equal(ws_filter_decompress_new(types[i], 3 * MIB, &f, &err), WS_OK);
		assert_int_equal(f->ops->process(f, comp.data, comp.len, &plain, &err), WS_OK);
		assert_int_equal(f->ops->finish(f, &plain, &err), WS_OK);
		ws_filter_free(f);
		assert_int_equal(plain.len, 3 * MIB);
		assert_memory_equal(plain.data, d->wal, 3 * MIB);
		ws_buf_free(&comp);
		ws_buf_free(&plain);
	}
}

static void
test_compresses(void **state)
{
	struct bigdata *d = *state;
	struct ws_buf comp;

	ws_buf_init(&comp, SIZE_MAX);
	assert_int_equal(compress_all(WS_COMPRESS_ZSTD, 3, d->wal, BIG_LEN, 1, &comp), WS_OK);
	assert_true(comp.len < BIG_LEN / 2);
	ws_buf_reset(&comp);
	assert_int_equal(compress_all(WS_COMPRESS_ZLIB, 6, d->wal, BIG_LEN, 1, &comp), WS_OK);
	assert_true(comp.len < BIG_LEN / 2);
	ws_buf_free(&comp);
}

/* streams written by other tools (one-shot APIs) decode too */
static void
test_decode_foreign(void **state)
{
	struct bigdata *d = *state;
	size_t len = 2 * MIB;
	size_t cap = ZSTD_compressBound(len);
	uint8_t *comp = malloc(cap);
	struct ws_buf plain;
	struct ws_error err;
	uLongf zlen;
	size_t n;

	assert_non_null(comp);
	ws_buf_init(&plain, SIZE_MAX);

	/* one-shot zstd records the content size and has no checksum */
	n = ZSTD_compress(comp, cap, d->wal, len, 5);
	assert_false(ZSTD_isError(n));
	assert_int_equal(decompress_all(WS_COMPRESS_ZSTD, len, comp, n, 3, &plain, &err), WS_OK);
	assert_int_equal(plain.len, len);
	assert_memory_equal(plain.data, d->wal, len);
	ws_buf_reset(&plain);

	zlen = (uLongf) cap;
	assert_int_equal(compress2(comp, &zlen, d->wal, (uLong) len, 9), Z_OK);
	assert_int_equal(decompress_all(WS_COMPRESS_ZLIB, len, comp, zlen, 4, &plain, &err), WS_OK);
	assert_int_equal(plain.len, len);
	assert_memory_equal(plain.data, d->wal, len);

	ws_buf_free(&plain);
	free(comp);
}

/* ---- constructors ---- */

static void
test_levels(void **state)
{
	struct ws_filter *f = NULL;
	struct ws_error err;

	(void) state;
	assert_int_equal(ws_filter_compress_new(WS_COMPRESS_ZSTD, 0, &f, &err), WS_ERR_INVALID);
	assert_string_equal(err.message,
						"invalid zstd compression level 0: must be between 1 and 19");
	assert_int_equal(ws_filter_compress_new(WS_COMPRESS_ZSTD, 20, &f, &err), WS_ERR_INVALID);
	assert_int_equal(ws_filter_compress_new(WS_COMPRESS_ZSTD, -1, &f, &err), WS_ERR_INVALID);
	assert_int_equal(ws_filter_compress_new(WS_COMPRESS_ZLIB, -1, &f, &err), WS_ERR_INVALID);
	assert_int_equal(ws_filter_compress_new(WS_COMPRESS_ZLIB, 10, &f, &err), WS_ERR_INVALID);
	assert_string_equal(err.message,
						"invalid zlib compression level 10: must be between 0 and 9");
	assert_int_equal(ws_filter_compress_new((enum ws_compress_type) 7, 1, &f, &err),
					 WS_ERR_INVALID);
	assert_string_equal(err.message, "unknown compression type 7");
	assert_int_equal(ws_filter_decompress_new((enum ws_compress_type) 7, 1, &f, &err),
					 WS_ERR_INVALID);

	/* the edges are valid, and none takes any level */
	assert_int_equal(ws_filter_compress_new(WS_COMPRESS_ZSTD, 1, &f, &err), WS_OK);
	ws_filter_free(f);
	assert_int_equal(ws_filter_compress_new(WS_COMPRESS_ZSTD, 19, &f, &err), WS_OK);
	/* worker threads: 0 (none) to 64 */
	assert_int_equal(ws_filter_compress_threads(f, -1, &err), WS_ERR_INVALID);
	assert_string_equal(err.message, "invalid compression thread count -1");
	assert_int_equal(ws_filter_compress_threads(f, 0, &err), WS_OK);
	assert_int_equal(ws_filter_compress_threads(f, 65, &err), WS_ERR_INVALID);
	assert_int_equal(ws_filter_compress_threads(f, 64, &err), WS_OK);
	ws_filter_free(f);
	/* zlib has no threads and ignores the request */
	assert_int_equal(ws_filter_compress_new(WS_COMPRESS_ZLIB, 6, &f, &err), WS_OK);
	assert_int_equal(ws_filter_compress_threads(f, 4, &err), WS_OK);
	ws_filter_free(f);
	assert_int_equal(ws_filter_compress_new(WS_COMPRESS_ZLIB, 0, &f, &err), WS_OK);
	ws_filter_free(f);
	assert_int_equal(ws_filter_compress_new(WS_COMPRESS_ZLIB, 9, &f, &err), WS_OK);
	ws_filter_free(f);
	assert_int_equal(ws_filter_compress_new(WS_COMPRESS_NONE, -5, &f, &err), WS_OK);
	ws_filter_free(f);
	assert_int_equal(ws_filter_compress_new(WS_COMPRESS_NONE, 99, &f, &err), WS_OK);
	assert_non_null(f->ops->name);
	ws_filter_free(f);

	ws_filter_free(NULL);
}

/* ---- damaged input ---- */

static const enum ws_compress_type real_types[] = {WS_COMPRESS_ZLIB, WS_COMPRESS_ZSTD};

static void
make_stream(enum ws_compress_type type, const uint8_t *data, size_t len,
			struct ws_buf *comp)
{
	ws_buf_init(comp, SIZE_MAX);
	assert_int_equal(compress_all(type, type == WS_COMPRESS_ZSTD ? 3 : 6, data, len,
								  77, comp), WS_OK);
}

static void
test_truncated(void **state)
{
	struct bigdata *d = *state;

	for (size_t t = 0; t < 2; t++) {
		struct ws_buf comp;
		struct ws_buf plain;
		struct ws_error err;
		size_t cuts[6];

		make_stream(real_types[t], d->wal, 300000, &comp);
		cuts[0] = 0;
		cuts[1] = 1;
		cuts[2] = 5;
		cuts[3] = comp.len / 2;
		cuts[4] = comp.len - 4;
		cuts[5] = comp.len - 1;
		ws_buf_init(&plain, SIZE_MAX);
		for (size_t i = 0; i < 6; i++) {
			ws_buf_reset(&plain);
			assert_int_equal(decompress_all(real_types[t], SIZE_MAX,
											(const uint8_t *) comp.data, cuts[i],
											i, &plain, &err), WS_ERR_CORRUPT);
		}
		/* a clean cut between pieces is reported as truncation */
		ws_buf_reset(&plain);
		assert_int_equal(decompress_all(real_types[t], SIZE_MAX,
										(const uint8_t *) comp.data, comp.len - 1,
										9, &plain, &err), WS_ERR_CORRUPT);
		assert_string_equal(err.message, "compressed data is truncated");
		ws_buf_free(&plain);
		ws_buf_free(&comp);
	}
}

static void
test_empty_stream_of_nothing(void **state)
{
	struct bigdata *d = *state;

	/* compressing nothing still makes a stream; decoding no bytes is an error */
	for (size_t t = 0; t < 2; t++) {
		struct ws_buf comp;
		struct ws_buf plain;
		struct ws_error err;

		make_stream(real_types[t], d->wal, 0, &comp);
		assert_true(comp.len > 0);
		ws_buf_init(&plain, SIZE_MAX);
		assert_int_equal(decompress_all(real_types[t], 0, NULL, 0, 1, &plain, &err),
						 WS_ERR_CORRUPT);
		assert_string_equal(err.message, "compressed data is truncated");
		assert_int_equal(decompress_all(real_types[t], 0, (const uint8_t *) comp.data,
										comp.len, 1, &plain, &err), WS_OK);
		assert_int_equal(plain.len, 0);
		ws_buf_free(&plain);
		ws_buf_free(&comp);
	}
}

/* every single flipped byte of a stream is caught (checksums, framing) */
static void
test_flipped_byte(void **state)
{
	struct bigdata *d = *state;

	for (size_t t = 0; t < 2; t++) {
		struct ws_buf comp;
		struct ws_buf plain;
		struct ws_error err;
		uint8_t *copy;

		make_stream(real_types[t], d->wal, 20000, &comp);
		copy = malloc(comp.len);
		assert_non_null(copy);
		ws_buf_init(&plain, SIZE_MAX);
		for (size_t pos = 0; pos < comp.len; pos++) {
			int rc;

			memcpy(copy, comp.data, comp.len);
			copy[pos] ^= 0x5a;
			ws_buf_reset(&plain);
			rc = decompress_all(real_types[t], SIZE_MAX, copy, comp.len, pos,
								&plain, &err);
			if (rc == WS_OK)
				print_error("type %d: flip at %zu of %zu not detected\n",
							(int) real_types[t], pos, comp.len);
			assert_int_equal(rc, WS_ERR_CORRUPT);
		}
		ws_buf_free(&plain);
		free(copy);
		ws_buf_free(&comp);
	}
}

static void
test_trailing_garbage(void **state)
{
	struct bigdata *d = *state;

	for (size_t t = 0; t < 2; t++) {
		struct ws_filter *f = NULL;
		struct ws_buf comp;
		struct ws_buf plain;
		struct ws_error err;
		size_t len;

		make_stream(real_types[t], d->wal, 100000, &comp);
		len = comp.len;
		ws_buf_init(&plain, SIZE_MAX);

		/* one extra byte at the end of the same piece */
		assert_int_equal(ws_buf_append(&comp, "x", 1), WS_OK);
		assert_int_equal(decompress_all(real_types[t], SIZE_MAX,
										(const uint8_t *) comp.data, comp.len, 1,
										&plain, &err), WS_ERR_CORRUPT);
		assert_non_null(strstr(err.message, "unexpected data after end of"));

		/* ... or arriving in a later piece */
		ws_buf_reset(&plain);
		assert_int_equal(ws_filter_decompress_new(real_types[t], SIZE_MAX, &f, &err), WS_OK);
		assert_int_equal(f->ops->process(f, comp.data, len, &plain, &err), WS_OK);
		assert_int_equal(f->ops->process(f, "", 0, &plain, &err), WS_OK);
		assert_int_equal(f->ops->process(f, comp.data + len, 1, &plain, &err),
						 WS_ERR_CORRUPT);
		assert_non_null(strstr(err.message, "unexpected data after end of"));
		/* a failed filter stays failed */
		assert_int_equal(f->ops->finish(f, &plain, &err), WS_ERR_INVALID);
		assert_non_null(strstr(err.message, "after it failed"));
		ws_filter_free(f);

		/* a second complete stream is trailing data too */
		comp.len = len;
		assert_int_equal(ws_buf_append(&comp, comp.data, len), WS_OK);
		ws_buf_reset(&plain);
		assert_int_equal(decompress_all(real_types[t], SIZE_MAX,
										(const uint8_t *) comp.data, comp.len, 2,
										&plain, &err), WS_ERR_CORRUPT);
		ws_buf_free(&plain);
		ws_buf_free(&comp);
	}
}

static void
test_garbage(void **state)
{
	struct bigdata *d = *state;
	struct ws_buf plain;
	struct ws_error err;

	ws_buf_init(&plain, SIZE_MAX);
	assert_int_equal(decompress_all(WS_COMPRESS_ZSTD, SIZE_MAX, d->random, 4096, 1,
									&plain, &err), WS_ERR_CORRUPT);
	assert_non_null(strstr(err.message, "could not decompress zstd data: "));
	ws_buf_reset(&plain);
	assert_int_equal(decompress_all(WS_COMPRESS_ZLIB, SIZE_MAX, d->random, 4096, 1,
									&plain, &err), WS_ERR_CORRUPT);
	assert_non_null(strstr(err.message, "could not decompress zlib data: "));
	/* text is not a stream either */
	ws_buf_reset(&plain);
	assert_int_equal(decompress_all(WS_COMPRESS_ZSTD, SIZE_MAX, d->wal + 100, 4096, 1,
									&plain, &err), WS_ERR_CORRUPT);
	ws_buf_reset(&plain);
	assert_int_equal(decompress_all(WS_COMPRESS_ZLIB, SIZE_MAX, d->wal + 100, 4096, 1,
									&plain, &err), WS_ERR_CORRUPT);
	ws_buf_free(&plain);
}

/* a decompression bomb is cut off at max_out, whatever the type */
static void
test_max_out(void **state)
{
	static const enum ws_compress_type types[] = {
		WS_COMPRESS_NONE, WS_COMPRESS_ZLIB, WS_COMPRESS_ZSTD
	};
	uint8_t *zeros = calloc(1, 8 * MIB);

	(void) state;
	assert_non_null(zeros);
	for (size_t t = 0; t < 3; t++) {
		struct ws_buf comp;
		struct ws_buf plain;
		struct ws_error err;

		make_stream(types[t], zeros, 8 * MIB, &comp);
		ws_buf_init(&plain, SIZE_MAX);

		assert_int_equal(decompress_all(types[t], 1000, (const uint8_t *) comp.data,
										comp.len, 1, &plain, &err), WS_ERR_CORRUPT);
		assert_string_equal(err.message, "decompressed data exceeds 1000 bytes");
		/* nothing beyond the limit was handed out */
		assert_true(plain.len <= 1000);

		ws_buf_reset(&plain);
		assert_int_equal(decompress_all(types[t], 8 * MIB - 1, (const uint8_t *) comp.data,
										comp.len, 2, &plain, &err), WS_ERR_CORRUPT);
		ws_buf_reset(&plain);
		assert_int_equal(decompress_all(types[t], 0, (const uint8_t *) comp.data,
										comp.len, 3, &plain, &err), WS_ERR_CORRUPT);
		ws_buf_reset(&plain);
		assert_int_equal(decompress_all(types[t], 8 * MIB, (const uint8_t *) comp.data,
										comp.len, 4, &plain, &err), WS_OK);
		assert_int_equal(plain.len, 8 * MIB);
		ws_buf_free(&plain);
		ws_buf_free(&comp);
	}
	free(zeros);
}

/* the caller's buffer cap is honoured and reported as such */
static void
test_output_buffer_full(void **state)
{
	struct bigdata *d = *state;
	static const enum ws_compress_type types[] = {
		WS_COMPRESS_NONE, WS_COMPRESS_ZLIB, WS_COMPRESS_ZSTD
	};

	for (size_t t = 0; t < 3; t++) {
		struct ws_filter *f = NULL;
		struct ws_buf small;
		struct ws_error err;
		int rc;

		ws_buf_init(&small, 100);
		assert_int_equal(ws_filter_compress_new(types[t], 1, &f, &err), WS_OK);
		rc = f->ops->process(f, d->random, MIB, &small, &err);
		if (rc == WS_OK)
			rc = f->ops->finish(f, &small, &err);
		assert_int_equal(rc, WS_ERR_TOO_LARGE);
		assert_non_null(strstr(err.message, "output exceeds 100 bytes"));
		ws_filter_free(f);
		ws_buf_free(&small);
	}
}

static void
test_use_after_finish(void **state)
{
	static const enum ws_compress_type types[] = {
		WS_COMPRESS_NONE, WS_COMPRESS_ZLIB, WS_COMPRESS_ZSTD
	};

	(void) state;
	for (size_t t = 0; t < 3; t++) {
		struct ws_filter *f = NULL;
		struct ws_buf comp;
		struct ws_buf plain;
		struct ws_error err;

		ws_buf_init(&comp, SIZE_MAX);
		ws_buf_init(&plain, SIZE_MAX);
		assert_int_equal(ws_filter_compress_new(types[t], 1, &f, &err), WS_OK);
		assert_int_equal(f->ops->process(f, "abc", 3, &comp, &err), WS_OK);
		assert_int_equal(f->ops->finish(f, &comp, &err), WS_OK);
		assert_int_equal(f->ops->process(f, "abc", 3, &comp, &err), WS_ERR_INVALID);
		assert_non_null(strstr(err.message, "after it finished"));
		assert_int_equal(f->ops->finish(f, &comp, &err), WS_ERR_INVALID);
		ws_filter_free(f);

		assert_int_equal(ws_filter_decompress_new(types[t], 3, &f, &err), WS_OK);
		assert_int_equal(f->ops->process(f, comp.data, comp.len, &plain, &err), WS_OK);
		assert_int_equal(f->ops->finish(f, &plain, &err), WS_OK);
		assert_int_equal(f->ops->finish(f, &plain, &err), WS_ERR_INVALID);
		assert_int_equal(plain.len, 3);
		assert_memory_equal(plain.data, "abc", 3);
		ws_filter_free(f);
		ws_buf_free(&comp);
		ws_buf_free(&plain);
	}
}

/*
 * Not a test: zstd level 3 throughput on 16 MiB of WAL-like data, printed
 * for information. Timings never become assertions.
 */
static void
test_report_zstd_speed(void **state)
{
	struct bigdata *d = *state;
	struct ws_filter *f = NULL;
	struct ws_buf comp;
	struct ws_error err;
	struct timespec t0;
	struct timespec t1;
	double secs;

	ws_buf_init(&comp, SIZE_MAX);
	assert_int_equal(ws_filter_compress_new(WS_COMPRESS_ZSTD, 3, &f, &err), WS_OK);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (size_t off = 0; off < BIG_LEN; off += 64 * 1024)
		assert_int_equal(f->ops->process(f, d->wal + off, 64 * 1024, &comp, &err), WS_OK);
	assert_int_equal(f->ops->finish(f, &comp, &err), WS_OK);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (double) (t1.tv_sec - t0.tv_sec) + (double) (t1.tv_nsec - t0.tv_nsec) / 1e9;
	fprintf(stderr, "# zstd level 3: 16 MiB -> %zu bytes (ratio %.2f) in %.3f s, %.0f MiB/s\n",
			comp.len, (double) BIG_LEN / (double) comp.len, secs, 16.0 / secs);
	ws_filter_free(f);
	ws_buf_free(&comp);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_levels),
		cmocka_unit_test(test_small_all_levels),
		cmocka_unit_test(test_one_byte_values),
		cmocka_unit_test(test_big_zstd),
		cmocka_unit_test(test_big_zlib),
		cmocka_unit_test(test_big_none),
		cmocka_unit_test(test_whole_input_at_once),
		cmocka_unit_test(test_compresses),
		cmocka_unit_test(test_decode_foreign),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_empty_stream_of_nothing),
		cmocka_unit_test(test_flipped_byte),
		cmocka_unit_test(test_trailing_garbage),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_max_out),
		cmocka_unit_test(test_output_buffer_full),
		cmocka_unit_test(test_use_after_finish),
		cmocka_unit_test(test_report_zstd_speed),
	};

	return cmocka_run_group_tests_name("filter/compress", tests, group_setup,
									   group_teardown);
}
