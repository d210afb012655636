/*
 * test_archive.c — push, get, the async worker and prefetch on a posix
 * repository, with synthetic WAL segments (no server needed)
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "archive/archive.h"
#include "archive/prefetch.h"
#include "archive/push_async.h"
#include "archive/spool.h"
#include "common/fileio.h"
#include "wal/page.h"
#include "wal/segment.h"
#include "../testutil.h"

#define SEGSIZE (1024u * 1024u)     /* the smallest valid size keeps tests fast */
#define SYSID 7712461486369459758ULL

struct fixture {
	char root[64];
	char repo[96];
	char spool[96];
	char wal[96];
	struct ws_config cfg;
	struct ws_log log;
};

/* A segment whose first page names cluster sysid at segment segno. */
static void
make_segment(const char *path, uint64_t sysid, ws_segno segno, uint32_t size, unsigned seed)
{
	unsigned char *seg = calloc(1, size);
	uint16_t magic = WS_XLOG_PAGE_MAGIC_PG15;
	uint16_t info = WS_XLP_LONG_HEADER;
	uint32_t tli = 1;
	uint64_t pageaddr = (uint64_t) segno * SEGSIZE;
	uint32_t segsize = SEGSIZE;
	uint32_t blcksz = WS_XLOG_BLCKSZ;
	struct ws_error err;

	assert_non_null(seg);
	memcpy(seg + 0, &magic, 2);
	memcpy(seg + 2, &info, 2);
	memcpy(seg + 4, &tli, 4);
	memcpy(seg + 8, &pageaddr, 8);
	memcpy(seg + 24, &sysid, 8);
	memcpy(seg + 32, &segsize, 4);
	memcpy(seg + 36, &blcksz, 4);
	/* some records-like content: compressible text with a varying part */
	for (uint32_t i = 64; i < size; i++)
		seg[i] = (i % 97 == 0) ? (unsigned char) (seed * 31 + i) : (unsigned char) "WAL record "[i % 11];
	assert_int_equal(ws_write_file_atomic(path, seg, size, 0600, &err), WS_OK);
	free(seg);
}

static void
seg_path(struct fixture *f, ws_segno segno, char *buf, size_t size)
{
	char name[WS_WAL_FNAME_BUFLEN];
	struct ws_error err;

	assert_int_equal(ws_wal_segment_name(1, segno, SEGSIZE, name, &err), WS_OK);
	snprintf(buf, size, "%s/%s", f->wal, name);
}

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct ws_stanza_info info;
	struct ws_stanza_db db = {1, SYSID, 15, SEGSIZE};
	struct ws_storage *repo;
	struct ws_error err;

	snprintf(f->root, sizeof(f->root), "/tmp/walship-archive-XXXXXX");
	if (mkdtemp(f->root) == NULL)
		return -1;
	snprintf(f->repo, sizeof(f->repo), "%s/repo", f->root);
	snprintf(f->spool, sizeof(f->spool), "%s/spool", f->root);
	snprintf(f->wal, sizeof(f->wal), "%s/pg_wal", f->root);
	mkdir(f->wal, 0700);
	ws_log_init_stderr(&f->log, WS_LOG_OFF);
	if (ws_config_init(&f->cfg, &err) != WS_OK ||
		ws_config_set(&f->cfg, "repo-path", f->repo, WS_SRC_CLI, 0, &err) != WS_OK ||
		ws_config_set(&f->cfg, "spool-path", f->spool, WS_SRC_CLI, 0, &err) != WS_OK)
		return -1;
	if (ws_storage_posix_new(f->repo, &repo, &err) != WS_OK ||
		ws_stanza_init(&info, "main", &db, false, &err) != WS_OK ||
		ws_stanza_save(repo, &info, true, &err) != WS_OK)
		return -1;
	ws_storage_free(repo);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	ws_config_free(&f->cfg);
	testutil_rmtree(f->root);
	free(f);
	return 0;
}

static void
assert_same_file(const char *a, const char *b)
{
	struct ws_buf x;
	struct ws_buf y;
	struct ws_error err;

	ws_buf_init(&x, 64 * SEGSIZE);
	ws_buf_init(&y, 64 * SEGSIZE);
	assert_int_equal(ws_read_file(a, x.max, &x, &err), WS_OK);
	assert_int_equal(ws_read_file(b, y.max, &y, &err), WS_OK);
	assert_int_equal(x.len, y.len);
	assert_memory_equal(x.data, y.data, x.len);
	ws_buf_free(&x);
	ws_buf_free(&y);
}

static void
test_push_get_round_trip(void **state)
{
	struct fixture *f = *state;
	struct ws_push_result res;
	struct ws_archive a;
	struct ws_error err;
	char seg[160];
	char out[160];

	seg_path(f, 3, seg, sizeof(seg));
	make_segment(seg, SYSID, 3, SEGSIZE, 1);
	assert_int_equal(ws_archive_open(&f->cfg, &f->log, &a, &err), WS_OK);
	assert_int_equal(ws_archive_push(&a, seg, &res, &err), WS_OK);
	assert_false(res.already_archived);
	assert_true(res.stored_size < res.original_size);
	/* PostgreSQL retries after a crash: the same content is success */
	assert_int_equal(ws_archive_push(&a, seg, &res, &err), WS_OK);
	assert_true(res.already_archived);
	snprintf(out, sizeof(out), "%s/restored", f->root);
	assert_int_equal(ws_archive_get(&a, ws_archive_base_name(seg), out, &err), WS_OK);
	assert_same_file(seg, out);
	assert_int_equal(ws_archive_get(&a, "000000010000000000000009", out, &err), WS_ERR_NOT_FOUND);
	ws_archive_close(&a);
}

static void
test_push_refuses_bad_segments(void **state)
{
	struct fixture *f = *state;
	struct ws_push_result res;
	struct ws_archive a;
	struct ws_error err;
	char seg[160];

	assert_int_equal(ws_archive_open(&f->cfg, &f->log, &a, &err), WS_OK);
	/* another cluster */
	seg_path(f, 4, seg, sizeof(seg));
	make_segment(seg, SYSID + 1, 4, SEGSIZE, 1);
	assert_int_equal(ws_archive_push(&a, seg, &res, &err), WS_ERR_CORRUPT);
	assert_non_null(strstr(err.message, "system identifier"));
	/* truncated */
	make_segment(seg, SYSID, 4, SEGSIZE / 2, 1);
	assert_int_equal(ws_archive_push(&a, seg, &res, &err), WS_ERR_CORRUPT);
	assert_non_null(strstr(err.message, "truncated"));
	/* a segment's header claiming another position */
	make_segment(seg, SYSID, 5, SEGSIZE, 1);
	assert_int_equal(ws_archive_push(&a, seg, &res, &err), WS_ERR_CORRUPT);
	/* not a WAL file name */
	assert_int_equal(ws_archive_push(&a, "/etc/passwd", &res, &err), WS_ERR_INVALID);
	/* same name, different content: refused, the first one stays */
	make_segment(seg, SYSID, 4, SEGSIZE, 1);
	assert_int_equal(ws_archive_push(&a, seg, &res, &err), WS_OK);
	make_segment(seg, SYSID, 4, SEGSIZE, 2);
	assert_int_equal(ws_archive_push(&a, seg, &res, &err), WS_ERR_EXISTS);
	assert_non_null(strstr(err.message, "different checksum"));
	ws_archive_close(&a);
}

static void
test_history_files(void **state)
{
	struct fixture *f = *state;
	const char *history = "1\t0/3000000\tno recovery target specified\n";
	struct ws_push_result res;
	struct ws_archive a;
	struct ws_error err;
	char path[160];
	char out[160];

	snprintf(path, sizeof(path), "%s/00000002.history", f->wal);
	assert_int_equal(ws_write_file_atomic(path, history, strlen(history), 0600, &err), WS_OK);
	assert_int_equal(ws_archive_open(&f->cfg, &f->log, &a, &err), WS_OK);
	assert_int_equal(ws_archive_push(&a, path, &res, &err), WS_OK);
	snprintf(out, sizeof(out), "%s/history.out", f->root);
	assert_int_equal(ws_archive_get(&a, "00000002.history", out, &err), WS_OK);
	assert_same_file(path, out);
	/* a history file that does not parse is not archived */
	snprintf(path, sizeof(path), "%s/00000003.history", f->wal);
	assert_int_equal(ws_write_file_atomic(path, "garbage\n", 8, 0600, &err), WS_OK);
	assert_int_not_equal(ws_archive_push(&a, path, &res, &err), WS_OK);
	ws_archive_close(&a);
}

static void
test_corrupt_object_is_refused(void **state)
{
	struct fixture *f = *state;
	struct ws_push_result res;
	struct ws_archive a;
	struct ws_error err;
	char seg[160];
	char obj[256];
	char out[160];
	FILE *fp;

	seg_path(f, 6, seg, sizeof(seg));
	make_segment(seg, SYSID, 6, SEGSIZE, 3);
	assert_int_equal(ws_archive_open(&f->cfg, &f->log, &a, &err), WS_OK);
	assert_int_equal(ws_archive_push(&a, seg, &res, &err), WS_OK);
	snprintf(obj, sizeof(obj), "%s/main/archive/15-1/0000000100000000/000000010000000000000006.ws", f->repo);
	fp = fopen(obj, "r+b");
	assert_non_null(fp);
	fseek(fp, 200, SEEK_SET);
	fputc('X', fp);
	fclose(fp);
	snprintf(out, sizeof(out), "%s/corrupt.out", f->root);
	assert_int_equal(ws_archive_get(&a, "000000010000000000000006", out, &err), WS_ERR_CORRUPT);
	assert_non_null(strstr(err.message, "failed verification"));
	assert_int_equal(access(out, F_OK), -1);
	ws_archive_close(&a);
}

static void
test_async_worker_uploads_queue(void **state)
{
	struct fixture *f = *state;
	struct ws_async_push_result ares;
	struct ws_spool_queue q;
	struct ws_spool spool;
	struct ws_archive a;
	struct ws_error err;
	char seg[160];
	char out[160];

	assert_int_equal(ws_config_set(&f->cfg, "process-max", "3", WS_SRC_CLI, 0, &err), WS_OK);
	assert_int_equal(ws_archive_open(&f->cfg, &f->log, &a, &err), WS_OK);
	assert_int_equal(ws_spool_open(&f->cfg, &spool, &err), WS_OK);
	/* queue by hand what archive-push would, then run the worker here */
	for (ws_segno s = 10; s < 18; s++) {
		struct ws_buf raw;
		char spath[128];
		char file[64];

		seg_path(f, s, seg, sizeof(seg));
		make_segment(seg, SYSID, s, SEGSIZE, (unsigned) s);
		ws_buf_init(&raw, 4 * SEGSIZE);
		assert_int_equal(ws_archive_read_wal(&a, seg, &raw, &err), WS_OK);
		snprintf(file, sizeof(file), "queue/%s", ws_archive_base_name(seg));
		assert_int_equal(ws_spool_path(&spool, file, spath, sizeof(spath), &err), WS_OK);
		assert_int_equal(ws_storage_put(spool.store, spath, raw.data, raw.len, NULL, &err), WS_OK);
		ws_buf_free(&raw);
	}
	assert_int_equal(ws_spool_queue_list(&spool, &q, &err), WS_OK);
	assert_int_equal(q.count, 8);
	assert_string_equal(q.names[0], "00000001000000000000000A");
	ws_spool_queue_free(&q);
	assert_int_equal(ws_push_worker_run(&f->cfg, &f->log, "", &err), WS_OK);
	assert_int_equal(ws_spool_queue_list(&spool, &q, &err), WS_OK);
	assert_int_equal(q.count, 0);
	ws_spool_queue_free(&q);
	for (ws_segno s = 10; s < 18; s++) {
		seg_path(f, s, seg, sizeof(seg));
		snprintf(out, sizeof(out), "%s/async.out", f->root);
		assert_int_equal(ws_archive_get(&a, ws_archive_base_name(seg), out, &err), WS_OK);
		assert_same_file(seg, out);
	}
	/* over the queue limit: dropped and counted, not queued */
	{
		char last[64];
		uint64_t dropped;
		char big[160];

		snprintf(big, sizeof(big), "%s/spool/main/push/queue/0000000100000000000000FF", f->root);
		{
			char *filler = calloc(1, 2 * 1024 * 1024);

			assert_int_equal(ws_write_file_atomic(big, filler, 2 * 1024 * 1024, 0600, &err), WS_OK);
			free(filler);
		}
		assert_int_equal(ws_config_set(&f->cfg, "archive-push-queue-max", "1", WS_SRC_CLI, 0, &err), WS_OK);
		seg_path(f, 20, seg, sizeof(seg));
		make_segment(seg, SYSID, 20, SEGSIZE, 20);
		assert_int_equal(ws_archive_push_async(&f->cfg, &a, seg, &ares, &err), WS_OK);
		assert_true(ares.dropped);
		assert_int_equal(ws_spool_read_dropped(&spool, &dropped, last, sizeof(last), &err), WS_OK);
		assert_true(dropped == 1);
		assert_string_equal(last, ws_archive_base_name(seg));
	}
	ws_spool_close(&spool);
	ws_archive_close(&a);
}

static void
test_worker_failure_is_reported(void **state)
{
	struct fixture *f = *state;
	char message[WS_SPOOL_MSG_MAX];
	struct ws_push_result res;
	struct ws_spool_queue q;
	struct ws_spool spool;
	struct ws_archive a;
	struct ws_error err;
	char spath[128];
	char seg[160];

	/* the repository holds other content under the queued name */
	seg_path(f, 0x30, seg, sizeof(seg));
	make_segment(seg, SYSID, 0x30, SEGSIZE, 1);
	assert_int_equal(ws_archive_open(&f->cfg, &f->log, &a, &err), WS_OK);
	assert_int_equal(ws_archive_push(&a, seg, &res, &err), WS_OK);
	ws_archive_close(&a);
	make_segment(seg, SYSID, 0x30, SEGSIZE, 2);
	assert_int_equal(ws_spool_open(&f->cfg, &spool, &err), WS_OK);
	assert_int_equal(ws_spool_path(&spool, "queue/000000010000000000000030", spath, sizeof(spath), &err), WS_OK);
	{
		struct ws_buf raw;

		ws_buf_init(&raw, 4 * SEGSIZE);
		assert_int_equal(ws_read_file(seg, raw.max, &raw, &err), WS_OK);
		assert_int_equal(ws_storage_put(spool.store, spath, raw.data, raw.len, NULL, &err), WS_OK);
		ws_buf_free(&raw);
	}
	assert_int_equal(ws_push_worker_run(&f->cfg, &f->log, "", &err), WS_OK);
	assert_int_equal(ws_spool_read_error(&spool, message, sizeof(message), &err), WS_OK);
	assert_non_null(strstr(message, "000000010000000000000030: "));
	assert_non_null(strstr(message, "different checksum"));
	/* the queued file stays for a retry */
	assert_int_equal(ws_spool_queue_list(&spool, &q, &err), WS_OK);
	assert_int_equal(q.count, 1);
	ws_spool_queue_free(&q);
	ws_spool_close(&spool);
}

/* The spool file of a prefetched segment ("<name>.<sha256>"), if any. */
static bool
prefetched(struct fixture *f, const char *name, char *path, size_t size)
{
	char dir[160];
	struct dirent *e;
	bool found = false;
	DIR *d;

	snprintf(dir, sizeof(dir), "%s/main/get", f->spool);
	d = opendir(dir);
	if (d == NULL)
		return false;
	while (!found && (e = readdir(d)) != NULL) {
		if (strncmp(e->d_name, name, 24) == 0 && strlen(e->d_name) == 24 + 1 + 64) {
			snprintf(path, size, "%s/%s", dir, e->d_name);
			found = true;
		}
	}
	closedir(d);
	return found;
}

static void
test_prefetch_reads_ahead(void **state)
{
	struct fixture *f = *state;
	struct ws_push_result res;
	struct ws_archive a;
	struct ws_error err;
	char seg[160];
	char out[160];
	char cached[300];

	assert_int_equal(ws_config_set(&f->cfg, "archive-get-queue-max", "4", WS_SRC_CLI, 0, &err), WS_OK);
	assert_int_equal(ws_archive_open(&f->cfg, &f->log, &a, &err), WS_OK);
	for (ws_segno s = 40; s < 46; s++) {
		seg_path(f, s, seg, sizeof(seg));
		make_segment(seg, SYSID, s, SEGSIZE, (unsigned) s);
		assert_int_equal(ws_archive_push(&a, seg, &res, &err), WS_OK);
	}
	/* 4 MiB of 1 MiB segments: the four after 40, decoded and verified */
	assert_int_equal(ws_prefetch_run(&f->cfg, &f->log, "000000010000000000000028", &err), WS_OK);
	for (int s = 0x29; s <= 0x2C; s++) {
		char name[32];

		snprintf(name, sizeof(name), "0000000100000000000000%02X", s);
		assert_true(prefetched(f, name, cached, sizeof(cached)));
	}
	assert_false(prefetched(f, "00000001000000000000002D", cached, sizeof(cached)));
	seg_path(f, 0x2A, seg, sizeof(seg));
	assert_true(prefetched(f, "00000001000000000000002A", cached, sizeof(cached)));
	assert_same_file(seg, cached);

	/* served from the spool, and gone from it */
	seg_path(f, 0x29, seg, sizeof(seg));
	snprintf(out, sizeof(out), "%s/prefetched.out", f->root);
	assert_int_equal(ws_archive_get_prefetched(&f->cfg, &a, "000000010000000000000029", out, &err), WS_OK);
	assert_same_file(seg, out);
	assert_false(prefetched(f, "000000010000000000000029", cached, sizeof(cached)));

	/* a copy damaged in the spool is dropped; the repository's is served */
	assert_true(prefetched(f, "00000001000000000000002B", cached, sizeof(cached)));
	{
		FILE *fp = fopen(cached, "r+b");

		assert_non_null(fp);
		fseek(fp, 5000, SEEK_SET);
		fputc('!', fp);
		fclose(fp);
	}
	seg_path(f, 0x2B, seg, sizeof(seg));
	assert_int_equal(ws_archive_get_prefetched(&f->cfg, &a, "00000001000000000000002B", out, &err), WS_OK);
	assert_same_file(seg, out);
	ws_archive_close(&a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_push_get_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_push_refuses_bad_segments, setup, teardown),
		cmocka_unit_test_setup_teardown(test_history_files, setup, teardown),
		cmocka_unit_test_setup_teardown(test_corrupt_object_is_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_async_worker_uploads_queue, setup, teardown),
		cmocka_unit_test_setup_teardown(test_worker_failure_is_reported, setup, teardown),
		cmocka_unit_test_setup_teardown(test_prefetch_reads_ahead, setup, teardown),
	};

	return cmocka_run_group_tests_name("archive", tests, NULL, NULL);
}
