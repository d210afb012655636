/*
 * compress.c — zstd, zlib and pass-through (de)compression filters
 *
 * Each filter feeds its library at most WS_FILTER_CHUNK bytes at a time
 * and collects output in a chunk of the same size, which it appends to the
 * caller's buffer. A decompressor expects exactly one stream: data after
 * its end, or an end that never comes, is corruption, and so is output
 * beyond max_out (a small archive file must not expand without bound).
 */
#include "filter/filter.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define ZLIB_CONST
#include <zlib.h>
#include <zstd.h>
#include <zstd_errors.h>

#include "filter/filter_int.h"
#include "filter/zstd_mem.h"

#define WS_ZSTD_LEVEL_MIN 1
#define WS_ZSTD_LEVEL_MAX 19
#define WS_ZLIB_LEVEL_MIN 0
#define WS_ZLIB_LEVEL_MAX 9

struct compress_state {
	enum ws_filter_phase phase;
	ZSTD_CCtx *zcctx;
	ZSTD_DCtx *zdctx;
	z_stream zs;
	bool zs_deflate;			/* zs needs deflateEnd */
	bool zs_inflate;			/* zs needs inflateEnd */
	bool stream_end;			/* decompression: end of stream seen */
	size_t max_out;				/* decompression: output limit */
	size_t total_out;			/* decompression: output so far */
	uint8_t *chunk;				/* WS_FILTER_CHUNK bytes of output */
};

static void
state_free(struct compress_state *st)
{
	if (st == NULL)
		return;
	if (st->zs_deflate)
		deflateEnd(&st->zs);
	if (st->zs_inflate)
		inflateEnd(&st->zs);
	ZSTD_freeCCtx(st->zcctx);
	ZSTD_freeDCtx(st->zdctx);
	free(st->chunk);
	free(st);
}

static int
state_new(bool want_chunk, struct compress_state **out, struct ws_error *err)
{
	struct compress_state *st;

	st = calloc(1, sizeof(*st));
	if (st == NULL)
		return ws_error_set(err, WS_ERR_NOMEM, "out of memory");
	st->phase = WS_FILTER_OPEN;
	if (want_chunk) {
		st->chunk = malloc(WS_FILTER_CHUNK);
		if (st->chunk == NULL) {
			free(st);
			return ws_error_set(err, WS_ERR_NOMEM, "out of memory");
		}
	}
	*out = st;
	return WS_OK;
}

/* take a failure into the state so that later calls refuse to go on */
static int
fail(struct compress_state *st, int rc)
{
	st->phase = WS_FILTER_FAILED;
	return rc;
}

/* append decompressed bytes, enforcing max_out */
static int
emit_decompressed(struct compress_state *st, const void *data, size_t len,
				  struct ws_buf *out, const char *name, struct ws_error *err)
{
	if (len > st->max_out - st->total_out)
		return ws_error_set(err, WS_ERR_CORRUPT,
							"decompressed data exceeds %zu bytes", st->max_out);
	st->total_out += len;
	return ws_filter_emit(out, data, len, name, err);
}

/* ---- zstd ---- */

static int
zstd_error(const char *what, size_t code, struct ws_error *err, int status)
{
	if (ZSTD_getErrorCode(code) == ZSTD_error_memory_allocation)
		status = WS_ERR_NOMEM;
	return ws_error_set(err, status, "%s: %s", what, ZSTD_getErrorName(code));
}

static int
zstd_compress_process(struct ws_filter *f, const void *in, size_t len,
					  struct ws_buf *out, struct ws_error *err)
{
	struct compress_state *st = f->state;
	ZSTD_inBuffer ib = {in, len, 0};
	int rc;

	rc = ws_filter_check_open(st->phase, f->ops->name, err);
	if (rc != WS_OK)
		return rc;
	while (ib.pos < ib.size) {
		ZSTD_outBuffer ob = {st->chunk, WS_FILTER_CHUNK, 0};
		size_t ret;

		ret = ZSTD_compressStream2(st->zcctx, &ob, &ib, ZSTD_e_continue);
		if (ZSTD_isError(ret))
			return fail(st, zstd_error("could not compress zstd data", ret,
									   err, WS_ERR_INVALID));
		rc = ws_filter_emit(out, ob.dst, ob.pos, f->ops->name, err);
		if (rc != WS_OK)
			return fail(st, rc);
	}
	return WS_OK;
}

static int
zstd_compress_finish(struct ws_filter *f, struct ws_buf *out, struct ws_error *err)
{
	struct compress_state *st = f->state;
	ZSTD_inBuffer ib = {NULL, 0, 0};
	size_t ret;
	int rc;

	rc = ws_filter_check_open(st->phase, f->ops->name, err);
	if (rc != WS_OK)
		return rc;
	/* ZSTD_e_end returns how much is left to flush; 0 once the frame is out */
	do {
		ZSTD_outBuffer ob = {st->chunk, WS_FILTER_CHUNK, 0};

		ret = ZSTD_compressStream2(st->zcctx, &ob, &ib, ZSTD_e_end);
		if (ZSTD_isError(ret))
			return fail(st, zstd_error("could not compress zstd data", ret,
									   err, WS_ERR_INVALID));
		rc = ws_filter_emit(out, ob.dst, ob.pos, f->ops->name, err);
		if (rc != WS_OK)
			return fail(st, rc);
	} while (ret != 0);
	st->phase = WS_FILTER_FINISHED;
	return WS_OK;
}

static int
zstd_decompress_process(struct ws_filter *f, const void *in, size_t len,
						struct ws_buf *out, struct ws_error *err)
{
	struct compress_state *st = f->state;
	ZSTD_inBuffer ib = {in, len, 0};
	int rc;

	rc = ws_filter_check_open(st->phase, f->ops->name, err);
	if (rc != WS_OK)
		return rc;
	if (len == 0)
		return WS_OK;
	if (st->stream_end)
		return fail(st, ws_error_set(err, WS_ERR_CORRUPT,
									 "unexpected data after end of zstd frame"));
	for (;;) {
		ZSTD_outBuffer ob = {st->chunk, WS_FILTER_CHUNK, 0};
		size_t ret;

		ret = ZSTD_decompressStream(st->zdctx, &ob, &ib);
		if (ZSTD_isError(ret))
			return fail(st, zstd_error("could not decompress zstd data", ret,
									   err, WS_ERR_CORRUPT));
		rc = emit_decompressed(st, ob.dst, ob.pos, out, f->ops->name, err);
		if (rc != WS_OK)
			return fail(st, rc);
		if (ret == 0) {
			/* the frame is complete and flushed; we write only one */
			st->stream_end = true;
			if (ib.pos < ib.size)
				return fail(st, ws_error_set(err, WS_ERR_CORRUPT,
											 "unexpected data after end of zstd frame"));
			break;
		}
		/* a full output chunk may leave more inside the decoder */
		if (ib.pos == ib.size && ob.pos < ob.size)
			break;
	}
	return WS_OK;
}

static int
decompress_finish(struct ws_filter *f, struct ws_buf *out, struct ws_error *err)
{
	struct compress_state *st = f->state;
	int rc;

	(void) out;
	rc = ws_filter_check_open(st->phase, f->ops->name, err);
	if (rc != WS_OK)
		return rc;
	/*
	 * process() drains the decoder whenever it stops with room to spare,
	 * so nothing is pending here: either the end was seen or it is missing.
	 */
	if (!st->stream_end)
		return fail(st, ws_error_set(err, WS_ERR_CORRUPT,
									 "compressed data is truncated"));
	st->phase = WS_FILTER_FINISHED;
	return WS_OK;
}

static void
compress_free(struct ws_filter *f)
{
	state_free(f->state);
	f->state = NULL;
}

static const struct ws_filter_ops zstd_compress_ops = {
	"zstd compression", zstd_compress_process, zstd_compress_finish, compress_free
};

static const struct ws_filter_ops zstd_decompress_ops = {
	"zstd decompression", zstd_decompress_process, decompress_finish, compress_free
};

static int
zstd_compress_setup(struct compress_state *st, int level, struct ws_error *err)
{
	size_t ret;

	st->zcctx = ZSTD_createCCtx_advanced(ws_zstd_mem);
	if (st->zcctx == NULL)
		return ws_error_set(err, WS_ERR_NOMEM, "out of memory");
	ret = ZSTD_CCtx_setParameter(st->zcctx, ZSTD_c_compressionLevel, level);
	/* a content checksum lets decompression catch corruption */
	if (!ZSTD_isError(ret))
		ret = ZSTD_CCtx_setParameter(st->zcctx, ZSTD_c_checksumFlag, 1);
	/*
	 * Always zstd's multithreaded mode, one worker until told otherwise:
	 * its frames do not depend on the worker count (single-thread mode's
	 * would differ), and the caller's thread stays free meanwhile.
	 */
	if (!ZSTD_isError(ret))
		ret = ZSTD_CCtx_setParameter(st->zcctx, ZSTD_c_nbWorkers, 1);
	if (ZSTD_isError(ret))
		return zstd_error("could not set up zstd compression", ret, err,
						  WS_ERR_INVALID);
	return WS_OK;
}

static int
zstd_decompress_setup(struct compress_state *st, struct ws_error *err)
{
	st->zdctx = ZSTD_createDCtx();
	if (st->zdctx == NULL)
		return ws_error_set(err, WS_ERR_NOMEM, "out of memory");
	return WS_OK;
}

/* ---- zlib ---- */

static int
zlib_error(const char *what, int ret, const z_stream *zs, struct ws_error *err,
		   int status)
{
	if (ret == Z_MEM_ERROR)
		return ws_error_set(err, WS_ERR_NOMEM, "out of memory");
	if (ret == Z_NEED_DICT)
		return ws_error_set(err, status, "%s: preset dictionary required", what);
	return ws_error_set(err, status, "%s: %s", what,
						zs->msg != NULL ? zs->msg : zError(ret));
}

static int
zlib_compress_process(struct ws_filter *f, const void *in, size_t len,
					  struct ws_buf *out, struct ws_error *err)
{
	struct compress_state *st = f->state;
	const uint8_t *p = in;
	int rc;

	rc = ws_filter_check_open(st->phase, f->ops->name, err);
	if (rc != WS_OK)
		return rc;
	/* avail_in is a uInt: hand over the input in pieces */
	while (len > 0) {
		size_t take = len < WS_FILTER_CHUNK ? len : WS_FILTER_CHUNK;

		st->zs.next_in = p;
		st->zs.avail_in = (uInt) take;
		do {
			int ret;

			st->zs.next_out = st->chunk;
			st->zs.avail_out = WS_FILTER_CHUNK;
			ret = deflate(&st->zs, Z_NO_FLUSH);
			if (ret != Z_OK && ret != Z_BUF_ERROR)
				return fail(st, zlib_error("could not compress zlib data", ret,
										   &st->zs, err, WS_ERR_INVALID));
			rc = ws_filter_emit(out, st->chunk,
								WS_FILTER_CHUNK - st->zs.avail_out,
								f->ops->name, err);
			if (rc != WS_OK)
				return fail(st, rc);
		} while (st->zs.avail_out == 0 || st->zs.avail_in > 0);
		p += take;
		len -= take;
	}
	return WS_OK;
}

static int
zlib_compress_finish(struct ws_filter *f, struct ws_buf *out, struct ws_error *err)
{
	struct compress_state *st = f->state;
	int ret;
	int rc;

	rc = ws_filter_check_open(st->phase, f->ops->name, err);
	if (rc != WS_OK)
		return rc;
	st->zs.next_in = NULL;
	st->zs.avail_in = 0;
	do {
		size_t produced;

		st->zs.next_out = st->chunk;
		st->zs.avail_out = WS_FILTER_CHUNK;
		ret = deflate(&st->zs, Z_FINISH);
		produced = WS_FILTER_CHUNK - st->zs.avail_out;
		/* with a whole empty chunk, Z_FINISH always makes progress */
		if (ret != Z_OK && ret != Z_STREAM_END &&
			!(ret == Z_BUF_ERROR && produced > 0))
			return fail(st, zlib_error("could not compress zlib data", ret,
									   &st->zs, err, WS_ERR_INVALID));
		rc = ws_filter_emit(out, st->chunk, produced, f->ops->name, err);
		if (rc != WS_OK)
			return fail(st, rc);
	} while (ret != Z_STREAM_END);
	st->phase = WS_FILTER_FINISHED;
	return WS_OK;
}

static int
zlib_decompress_process(struct ws_filter *f, const void *in, size_t len,
						struct ws_buf *out, struct ws_error *err)
{
	struct compress_state *st = f->state;
	const uint8_t *p = in;
	int rc;

	rc = ws_filter_check_open(st->phase, f->ops->name, err);
	if (rc != WS_OK)
		return rc;
	if (len > 0 && st->stream_end)
		return fail(st, ws_error_set(err, WS_ERR_CORRUPT,
									 "unexpected data after end of zlib stream"));
	while (len > 0) {
		size_t take = len < WS_FILTER_CHUNK ? len : WS_FILTER_CHUNK;

		st->zs.next_in = p;
		st->zs.avail_in = (uInt) take;
		do {
			int ret;

			st->zs.next_out = st->chunk;
			st->zs.avail_out = WS_FILTER_CHUNK;
			ret = inflate(&st->zs, Z_NO_FLUSH);
			if (ret != Z_OK && ret != Z_STREAM_END && ret != Z_BUF_ERROR)
				return fail(st, zlib_error("could not decompress zlib data", ret,
										   &st->zs, err, WS_ERR_CORRUPT));
			rc = emit_decompressed(st, st->chunk,
								   WS_FILTER_CHUNK - st->zs.avail_out,
								   out, f->ops->name, err);
			if (rc != WS_OK)
				return fail(st, rc);
			if (ret == Z_STREAM_END) {
				st->stream_end = true;
				if (st->zs.avail_in > 0 || len > take)
					return fail(st, ws_error_set(err, WS_ERR_CORRUPT,
												 "unexpected data after end of zlib stream"));
				return WS_OK;
			}
			/* Z_BUF_ERROR: no progress possible, the decoder wants input */
			if (ret == Z_BUF_ERROR)
				break;
		} while (st->zs.avail_out == 0 || st->zs.avail_in > 0);
		p += take;
		len -= take;
	}
	return WS_OK;
}

static const struct ws_filter_ops zlib_compress_ops = {
	"zlib compression", zlib_compress_process, zlib_compress_finish, compress_free
};

static const struct ws_filter_ops zlib_decompress_ops = {
	"zlib decompression", zlib_decompress_process, decompress_finish, compress_free
};

static int
zlib_compress_setup(struct compress_state *st, int level, struct ws_error *err)
{
	int ret;

	ret = deflateInit(&st->zs, level);
	if (ret != Z_OK)
		return zlib_error("could not set up zlib compression", ret, &st->zs,
						  err, WS_ERR_INVALID);
	st->zs_deflate = true;
	return WS_OK;
}

static int
zlib_decompress_setup(struct compress_state *st, struct ws_error *err)
{
	int ret;

	ret = inflateInit(&st->zs);
	if (ret != Z_OK)
		return zlib_error("could not set up zlib decompression", ret, &st->zs,
						  err, WS_ERR_INVALID);
	st->zs_inflate = true;
	return WS_OK;
}

/* ---- none: a copy, so the chain has the same shape either way ---- */

static int
none_compress_process(struct ws_filter *f, const void *in, size_t len,
					  struct ws_buf *out, struct ws_error *err)
{
	struct compress_state *st = f->state;
	int rc;

	rc = ws_filter_check_open(st->phase, f->ops->name, err);
	if (rc != WS_OK)
		return rc;
	rc = ws_filter_emit(out, in, len, f->ops->name, err);
	if (rc != WS_OK)
		return fail(st, rc);
	return WS_OK;
}

static int
none_decompress_process(struct ws_filter *f, const void *in, size_t len,
						struct ws_buf *out, struct ws_error *err)
{
	struct compress_state *st = f->state;
	int rc;

	rc = ws_filter_check_open(st->phase, f->ops->name, err);
	if (rc != WS_OK)
		return rc;
	rc = emit_decompressed(st, in, len, out, f->ops->name, err);
	if (rc != WS_OK)
		return fail(st, rc);
	return WS_OK;
}

static int
none_finish(struct ws_filter *f, struct ws_buf *out, struct ws_error *err)
{
	struct compress_state *st = f->state;
	int rc;

	(void) out;
	rc = ws_filter_check_open(st->phase, f->ops->name, err);
	if (rc != WS_OK)
		return rc;
	st->phase = WS_FILTER_FINISHED;
	return WS_OK;
}

static const struct ws_filter_ops none_compress_ops = {
	"none compression", none_compress_process, none_finish, compress_free
};

static const struct ws_filter_ops none_decompress_ops = {
	"none decompression", none_decompress_process, none_finish, compress_free
};

int
ws_filter_compress_threads(struct ws_filter *f, int threads, struct ws_error *err)
{
	struct compress_state *st = f->state;
	size_t ret;

	if (threads < 0 || threads > 64)
		return ws_error_set(err, WS_ERR_INVALID, "invalid compression thread count %d", threads);
	if (f->ops != &zstd_compress_ops)
		return WS_OK;
	ret = ZSTD_CCtx_setParameter(st->zcctx, ZSTD_c_nbWorkers, threads);
	if (ZSTD_isError(ret))
		return zstd_error("could not set zstd worker threads", ret, err, WS_ERR_INVALID);
	return WS_OK;
}

/* ---- constructors ---- */

int
ws_filter_compress_new(enum ws_compress_type type, int level,
					   struct ws_filter **out, struct ws_error *err)
{
	const struct ws_filter_ops *ops;
	struct compress_state *st = NULL;
	int rc;

	switch (type) {
	case WS_COMPRESS_NONE:
		ops = &none_compress_ops;
		break;
	case WS_COMPRESS_ZLIB:
		if (level < WS_ZLIB_LEVEL_MIN || level > WS_ZLIB_LEVEL_MAX)
			return ws_error_set(err, WS_ERR_INVALID,
								"invalid zlib compression level %d: must be between %d and %d",
								level, WS_ZLIB_LEVEL_MIN, WS_ZLIB_LEVEL_MAX);
		ops = &zlib_compress_ops;
		break;
	case WS_COMPRESS_ZSTD:
		if (level < WS_ZSTD_LEVEL_MIN || level > WS_ZSTD_LEVEL_MAX)
			return ws_error_set(err, WS_ERR_INVALID,
								"invalid zstd compression level %d: must be between %d and %d",
								level, WS_ZSTD_LEVEL_MIN, WS_ZSTD_LEVEL_MAX);
		ops = &zstd_compress_ops;
		break;
	default:
		return ws_error_set(err, WS_ERR_INVALID,
							"unknown compression type %d", (int) type);
	}

	rc = state_new(type != WS_COMPRESS_NONE, &st, err);
	if (rc != WS_OK)
		return rc;
	if (type == WS_COMPRESS_ZLIB)
		rc = zlib_compress_setup(st, level, err);
	else if (type == WS_COMPRESS_ZSTD)
		rc = zstd_compress_setup(st, level, err);
	if (rc != WS_OK)
		goto cleanup;
	rc = ws_filter_create(ops, st, out, err);

cleanup:
	if (rc != WS_OK)
		state_free(st);
	return rc;
}

int
ws_filter_decompress_new(enum ws_compress_type type, size_t max_out,
						 struct ws_filter **out, struct ws_error *err)
{
	const struct ws_filter_ops *ops;
	struct compress_state *st = NULL;
	int rc;

	switch (type) {
	case WS_COMPRESS_NONE:
		ops = &none_decompress_ops;
		break;
	case WS_COMPRESS_ZLIB:
		ops = &zlib_decompress_ops;
		break;
	case WS_COMPRESS_ZSTD:
		ops = &zstd_decompress_ops;
		break;
	default:
		return ws_error_set(err, WS_ERR_INVALID,
							"unknown compression type %d", (int) type);
	}

	rc = state_new(type != WS_COMPRESS_NONE, &st, err);
	if (rc != WS_OK)
		return rc;
	st->max_out = max_out;
	if (type == WS_COMPRESS_ZLIB)
		rc = zlib_decompress_setup(st, err);
	else if (type == WS_COMPRESS_ZSTD)
		rc = zstd_decompress_setup(st, err);
	if (rc != WS_OK)
		goto cleanup;
	rc = ws_filter_create(ops, st, out, err);

cleanup:
	if (rc != WS_OK)
		state_free(st);
	return rc;
}
