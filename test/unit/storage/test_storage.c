/*
 * test_storage.c — unit tests for src/storage/storage.c
 *
 * Fault parsing and checking, path rules, and ws_storage_put/get over an
 * in-memory driver defined here that can be told to fail at each step.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/error.h"
#include "storage/storage.h"

/* ---- an in-memory driver holding one object ---- */

struct mock {
	struct ws_buf object;
	bool exists;
	int fail_open_write;        /* status to fail with, or WS_OK */
	int fail_write;
	int fail_commit;
	int fail_open_read;
	int fail_read;
	size_t read_max;            /* > 0: at most this much per read */
	int opens;
	int aborts;
	int commits;
	int closes;
	int frees;
};

struct ws_storage_write {
	struct mock *m;
	struct ws_buf data;
};

struct ws_storage_read {
	struct mock *m;
	size_t pos;
};

static int
mock_open_write(struct ws_storage *s, const char *path,
				const struct ws_storage_write_opts *opts,
				struct ws_storage_write **out, struct ws_error *err)
{
	struct mock *m = s->driver;
	struct ws_storage_write *w;

	(void) opts;
	m->opens++;
	if (ws_storage_path_check(path, err) != WS_OK)
		return err->status;
	if (m->fail_open_write != WS_OK)
		return ws_error_set(err, m->fail_open_write, "mock open_write failed");
	w = calloc(1, sizeof(*w));
	if (w == NULL)
		return ws_error_set(err, WS_ERR_NOMEM, "out of memory");
	w->m = m;
	ws_buf_init(&w->data, SIZE_MAX);
	*out = w;
	return WS_OK;
}

static int
mock_write(struct ws_storage_write *w, const void *data, size_t len,
		   struct ws_error *err)
{
	if (w->m->fail_write != WS_OK)
		return ws_error_set(err, w->m->fail_write, "mock write failed");
	if (ws_buf_append(&w->data, data, len) != WS_OK)
		return ws_error_set(err, WS_ERR_NOMEM, "out of memory");
	return WS_OK;
}

static int
mock_commit(struct ws_storage_write *w, struct ws_error *err)
{
	struct mock *m = w->m;
	int rc = WS_OK;

	if (m->fail_commit != WS_OK) {
		rc = ws_error_set(err, m->fail_commit, "mock commit failed");
		ws_buf_free(&w->data);
	} else {
		ws_buf_free(&m->object);
		m->object = w->data;
		m->exists = true;
		m->commits++;
	}
	free(w);
	return rc;
}

static void
mock_abort(struct ws_storage_write *w)
{
	w->m->aborts++;
	ws_buf_free(&w->data);
	free(w);
}

static int
mock_open_read(struct ws_storage *s, const char *path, struct ws_storage_read **out,
			   struct ws_error *err)
{
	struct mock *m = s->driver;
	struct ws_storage_read *r;

	if (ws_storage_path_check(path, err) != WS_OK)
		return err->status;
	if (m->fail_open_read != WS_OK)
		return ws_error_set(err, m->fail_open_read, "mock open_read failed");
	if (!m->exists)
		return ws_error_set(err, WS_ERR_NOT_FOUND, "object \"%s\" not found", path);
	r = calloc(1, sizeof(*r));
	if (r == NULL)
		return ws_error_set(err, WS_ERR_NOMEM, "out of memory");
	r->m = m;
	*out = r;
	return WS_OK;
}

static int
mock_read(struct ws_storage_read *r, void *buf, size_t len, size_t *got,
		  struct ws_error *err)
{
	struct mock *m = r->m;
	size_t left = m->object.len - r->pos;

	/* fail once something was read, to check the buffer is restored */
	if (m->fail_read != WS_OK && r->pos > 0)
		return ws_error_set(err, m->fail_read, "mock read failed");
	if (len > left)
		len = left;
	if (m->read_max > 0 && len > m->read_max)
		len = m->read_max;
	if (len > 0)
		memcpy(buf, m->object.data + r->pos, len);
	r->pos += len;
	*got = len;
	return WS_OK;
}

static void
mock_close_read(struct ws_storage_read *r)
{
	r->m->closes++;
	free(r);
}

static void
mock_free(struct ws_storage *s)
{
	struct mock *m = s->driver;

	m->frees++;
}

static const struct ws_storage_ops mock_ops = {
	.name = "mock",
	.open_write = mock_open_write,
	.write = mock_write,
	.commit = mock_commit,
	.abort = mock_abort,
	.open_read = mock_open_read,
	.read = mock_read,
	.close_read = mock_close_read,
	.free = mock_free
};

struct fixture {
	struct mock m;
	struct ws_storage s;
	struct ws_error err;
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	ws_buf_init(&f->m.object, SIZE_MAX);
	f->s.ops = &mock_ops;
	f->s.driver = &f->m;
	ws_error_clear(&f->err);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	ws_buf_free(&f->m.object);
	free(f);
	return 0;
}

/* ---- faults ---- */

static void
test_faults_parse_none(void **state)
{
	struct ws_storage_faults fa = {WS_FAULT_WRITE_KILL, 5, 7};
	struct ws_error err;

	(void) state;
	assert_int_equal(ws_storage_faults_parse(NULL, &fa, &err), WS_OK);
	assert_int_equal(fa.kind, WS_FAULT_NONE);
	assert_int_equal(fa.written, 0);

	fa.kind = WS_FAULT_WRITE_KILL;
	assert_int_equal(ws_storage_faults_parse("", &fa, &err), WS_OK);
	assert_int_equal(fa.kind, WS_FAULT_NONE);
}

static void
test_faults_parse_valid(void **state)
{
	struct ws_storage_faults fa = {WS_FAULT_NONE, 0, 99};
	struct ws_error err;

	(void) state;
	assert_int_equal(ws_storage_faults_parse("write-enospc-after:1000", &fa, &err),
					 WS_OK);
	assert_int_equal(fa.kind, WS_FAULT_WRITE_ENOSPC);
	assert_int_equal(fa.after_bytes, 1000);
	assert_int_equal(fa.written, 0);

	assert_int_equal(ws_storage_faults_parse("write-kill-after:0", &fa, &err), WS_OK);
	assert_int_equal(fa.kind, WS_FAULT_WRITE_KILL);
	assert_int_equal(fa.after_bytes, 0);

	assert_int_equal(ws_storage_faults_parse("write-kill-after:18446744073709551615",
											 &fa, &err), WS_OK);
	assert_true(fa.after_bytes == UINT64_MAX);
}

static void
test_faults_parse_invalid(void **state)
{
	static const char *const bad[] = {
		"bogus",
		"write-enospc-after",
		"write-enospc-after:",
		"write-enospc-after:-1",
		"write-enospc-after:+1",
		"write-enospc-after: 1",
		"write-enospc-after:1x",
		"write-enospc-after:18446744073709551616",
		"write-kill-after:",
		"WRITE-KILL-AFTER:1",
		" write-kill-after:1",
		"write-kill-after:1 "
	};
	struct ws_storage_faults fa = {WS_FAULT_NONE, 0, 0};
	struct ws_error err;

	(void) state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ws_error_clear(&err);
		if (ws_storage_faults_parse(bad[i], &fa, &err) != WS_ERR_INVALID)
			fail_msg("\"%s\" was accepted", bad[i]);
		assert_int_equal(err.status, WS_ERR_INVALID);
		assert_int_equal(fa.kind, WS_FAULT_NONE);
	}
	ws_storage_faults_parse("bogus", &fa, &err);
	assert_string_equal(err.message, "invalid WALSHIP_FAULT value \"bogus\"");

	/* untrusted text is escaped in the message */
	ws_storage_faults_parse("x\ny", &fa, &err);
	assert_string_equal(err.message, "invalid WALSHIP_FAULT value \"x\\x0Ay\"");
}

static void
test_fault_check_none(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(ws_storage_fault_check(&f->s, 1000000, &f->err), WS_OK);
	assert_int_equal(ws_storage_fault_check(&f->s, 0, &f->err), WS_OK);
	assert_int_equal(f->s.faults.written, 1000000);
}

static void
test_fault_check_enospc(void **state)
{
	struct fixture *f = *state;

	f->s.faults.kind = WS_FAULT_WRITE_ENOSPC;
	f->s.faults.after_bytes = 10;
	assert_int_equal(ws_storage_fault_check(&f->s, 4, &f->err), WS_OK);
	assert_int_equal(ws_storage_fault_check(&f->s, 6, &f->err), WS_OK);
	assert_int_equal(ws_storage_fault_check(&f->s, 0, &f->err), WS_OK);
	assert_int_equal(f->s.faults.written, 10);

	errno = 0;
	assert_int_equal(ws_storage_fault_check(&f->s, 1, &f->err), WS_ERR_IO);
	assert_int_equal(errno, ENOSPC);
	assert_int_equal(f->err.status, WS_ERR_IO);
	assert_string_equal(f->err.message, "No space left on device (injected fault)");
	assert_int_equal(f->s.faults.written, 10);

	/* it stays full */
	assert_int_equal(ws_storage_fault_check(&f->s, 1, &f->err), WS_ERR_IO);
}

static void
test_fault_check_enospc_first_write(void **state)
{
	struct fixture *f = *state;

	f->s.faults.kind = WS_FAULT_WRITE_ENOSPC;
	f->s.faults.after_bytes = 10;
	assert_int_equal(ws_storage_fault_check(&f->s, 11, &f->err), WS_ERR_IO);

	f->s.faults.after_bytes = 0;
	assert_int_equal(ws_storage_fault_check(&f->s, 0, &f->err), WS_OK);
	assert_int_equal(ws_storage_fault_check(&f->s, 1, &f->err), WS_ERR_IO);

	/* no overflow near the top of the range */
	f->s.faults.after_bytes = UINT64_MAX;
	f->s.faults.written = UINT64_MAX - 1;
	assert_int_equal(ws_storage_fault_check(&f->s, 1, &f->err), WS_OK);
	assert_int_equal(ws_storage_fault_check(&f->s, SIZE_MAX, &f->err), WS_ERR_IO);
}

static void
test_fault_check_kill(void **state)
{
	struct fixture *f = *state;
	int status;
	pid_t pid;

	f->s.faults.kind = WS_FAULT_WRITE_KILL;
	f->s.faults.after_bytes = 100;
	assert_int_equal(ws_storage_fault_check(&f->s, 100, &f->err), WS_OK);

	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct ws_error err;

		ws_storage_fault_check(&f->s, 1, &err);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGKILL);
}

/* ---- paths ---- */

static void
test_path_check_valid(void **state)
{
	static const char *const good[] = {
		"a",
		"a/b/c",
		"archive/0000000100000000/000000010000000000000001.zst",
		".hidden",
		"a/.b",
		"...",
		"a..b/..c/d..",
		"with space/and-dash_underscore",
		"caf\xc3\xa9"
	};
	struct ws_error err;

	(void) state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		if (ws_storage_path_check(good[i], &err) != WS_OK)
			fail_msg("\"%s\" was refused: %s", good[i], err.message);
	}
}

static void
test_path_check_invalid(void **state)
{
	static const char *const bad[] = {
		"",
		"/",
		"/a",
		"/etc/passwd",
		"a/",
		"a//b",
		"//a",
		".",
		"..",
		"./a",
		"a/.",
		"a/./b",
		"../a",
		"a/..",
		"a/../../b",
		"a\nb",
		"a\tb",
		"\x01",
		"a\x7f",
		"a/\x1b[31m"
	};
	struct ws_error err;

	(void) state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ws_error_clear(&err);
		if (ws_storage_path_check(bad[i], &err) != WS_ERR_INVALID)
			fail_msg("path %zu was accepted", i);
		assert_int_equal(err.status, WS_ERR_INVALID);
		assert_true(strlen(err.message) > 0);
	}
	assert_int_equal(ws_storage_path_check(NULL, &err), WS_ERR_INVALID);
}

static void
test_path_check_messages(void **state)
{
	struct ws_error err;

	(void) state;
	ws_storage_path_check("/a", &err);
	assert_string_equal(err.message,
						"invalid storage path \"/a\": must be relative to the repository");
	ws_storage_path_check("a//b", &err);
	assert_string_equal(err.message,
						"invalid storage path \"a//b\": contains an empty component");
	ws_storage_path_check("a/../b", &err);
	assert_string_equal(err.message,
						"invalid storage path \"a/../b\": contains a \".\" or \"..\" component");
	/* the control character is shown escaped, never raw */
	ws_storage_path_check("a\nb", &err);
	assert_string_equal(err.message,
						"invalid storage path \"a\\x0Ab\": contains a control character");
	ws_storage_path_check("", &err);
	assert_string_equal(err.message, "invalid storage path \"\": empty");
}

/* ---- put ---- */

static void
test_put(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(ws_storage_put(&f->s, "a/b", "hello", 5, NULL, &f->err), WS_OK);
	assert_true(f->m.exists);
	assert_int_equal(f->m.object.len, 5);
	assert_memory_equal(f->m.object.data, "hello", 5);
	assert_int_equal(f->m.commits, 1);
	assert_int_equal(f->m.aborts, 0);
}

static void
test_put_open_fails(void **state)
{
	struct fixture *f = *state;

	f->m.fail_open_write = WS_ERR_IO;
	assert_int_equal(ws_storage_put(&f->s, "a", "x", 1, NULL, &f->err), WS_ERR_IO);
	assert_string_equal(f->err.message, "mock open_write failed");
	assert_false(f->m.exists);
	assert_int_equal(f->m.aborts, 0);

	f->m.fail_open_write = WS_OK;
	assert_int_equal(ws_storage_put(&f->s, "../a", "x", 1, NULL, &f->err),
					 WS_ERR_INVALID);
	assert_false(f->m.exists);
}

static void
test_put_write_fails_aborts(void **state)
{
	struct fixture *f = *state;

	f->m.fail_write = WS_ERR_IO;
	assert_int_equal(ws_storage_put(&f->s, "a", "x", 1, NULL, &f->err), WS_ERR_IO);
	assert_string_equal(f->err.message, "mock write failed");
	assert_false(f->m.exists);
	assert_int_equal(f->m.aborts, 1);
	assert_int_equal(f->m.commits, 0);
}

static void
test_put_commit_fails(void **state)
{
	struct fixture *f = *state;

	f->m.fail_commit = WS_ERR_EXISTS;
	assert_int_equal(ws_storage_put(&f->s, "a", "x", 1, NULL, &f->err), WS_ERR_EXISTS);
	assert_string_equal(f->err.message, "mock commit failed");
	assert_false(f->m.exists);
	/* commit frees the write itself; put must not abort it too */
	assert_int_equal(f->m.aborts, 0);
}

/* ---- get ---- */

static void
store(struct fixture *f, const char *data, size_t len)
{
	assert_int_equal(ws_buf_append(&f->m.object, data, len), WS_OK);
	f->m.exists = true;
}

static void
test_get(void **state)
{
	struct fixture *f = *state;
	struct ws_buf b;

	store(f, "hello world", 11);
	f->m.read_max = 3;
	ws_buf_init(&b, 100);
	assert_int_equal(ws_buf_append_str(&b, ">"), WS_OK);
	assert_int_equal(ws_storage_get(&f->s, "obj", &b, &f->err), WS_OK);
	assert_string_equal(ws_buf_str(&b), ">hello world");
	assert_int_equal(f->m.closes, 1);
	ws_buf_free(&b);
}

static void
test_get_empty(void **state)
{
	struct fixture *f = *state;
	struct ws_buf b;

	f->m.exists = true;
	ws_buf_init(&b, 0);
	assert_int_equal(ws_storage_get(&f->s, "obj", &b, &f->err), WS_OK);
	assert_int_equal(b.len, 0);
	assert_string_equal(ws_buf_str(&b), "");
	ws_buf_free(&b);
}

static void
test_get_large(void **state)
{
	struct fixture *f = *state;
	size_t len = 3 * 65536 + 17;
	char *data = malloc(len);
	struct ws_buf b;

	assert_non_null(data);
	for (size_t i = 0; i < len; i++)
		data[i] = (char) (i * 31 + 7);
	store(f, data, len);
	ws_buf_init(&b, len);
	assert_int_equal(ws_storage_get(&f->s, "obj", &b, &f->err), WS_OK);
	assert_int_equal(b.len, len);
	assert_memory_equal(b.data, data, len);
	ws_buf_free(&b);
	free(data);
}

static void
test_get_not_found(void **state)
{
	struct fixture *f = *state;
	struct ws_buf b;

	ws_buf_init(&b, 100);
	assert_int_equal(ws_storage_get(&f->s, "obj", &b, &f->err), WS_ERR_NOT_FOUND);
	assert_string_equal(f->err.message, "object \"obj\" not found");
	assert_int_equal(b.len, 0);
	assert_int_equal(f->m.closes, 0);
	ws_buf_free(&b);
}

static void
test_get_too_large(void **state)
{
	struct fixture *f = *state;
	struct ws_buf b;

	store(f, "0123456789", 10);
	ws_buf_init(&b, 12);
	assert_int_equal(ws_buf_append_str(&b, "ab"), WS_OK);
	/* 2 + 10 fits exactly */
	assert_int_equal(ws_storage_get(&f->s, "obj", &b, &f->err), WS_OK);
	assert_string_equal(ws_buf_str(&b), "ab0123456789");

	ws_buf_reset(&b);
	assert_int_equal(ws_buf_append_str(&b, "abc"), WS_OK);
	f->m.read_max = 4;
	assert_int_equal(ws_storage_get(&f->s, "obj", &b, &f->err), WS_ERR_TOO_LARGE);
	assert_string_equal(f->err.message, "object \"obj\" is too large (limit 9 bytes)");
	/* the buffer is as it was */
	assert_string_equal(ws_buf_str(&b), "abc");
	assert_int_equal(b.len, 3);
	assert_int_equal(f->m.closes, 2);
	ws_buf_free(&b);
}

static void
test_get_read_fails(void **state)
{
	struct fixture *f = *state;
	struct ws_buf b;

	store(f, "0123456789", 10);
	f->m.read_max = 4;
	f->m.fail_read = WS_ERR_IO;
	ws_buf_init(&b, 100);
	assert_int_equal(ws_buf_append_str(&b, "keep"), WS_OK);
	assert_int_equal(ws_storage_get(&f->s, "obj", &b, &f->err), WS_ERR_IO);
	assert_string_equal(f->err.message, "mock read failed");
	assert_string_equal(ws_buf_str(&b), "keep");
	assert_int_equal(f->m.closes, 1);
	ws_buf_free(&b);
}

static void
test_storage_free(void **state)
{
	struct fixture *f = *state;

	ws_storage_free(NULL);
	ws_storage_free(&f->s);
	assert_int_equal(f->m.frees, 1);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_faults_parse_none),
		T(test_faults_parse_valid),
		T(test_faults_parse_invalid),
		T(test_fault_check_none),
		T(test_fault_check_enospc),
		T(test_fault_check_enospc_first_write),
		T(test_fault_check_kill),
		T(test_path_check_valid),
		T(test_path_check_invalid),
		T(test_path_check_messages),
		T(test_put),
		T(test_put_open_fails),
		T(test_put_write_fails_aborts),
		T(test_put_commit_fails),
		T(test_get),
		T(test_get_empty),
		T(test_get_large),
		T(test_get_not_found),
		T(test_get_too_large),
		T(test_get_read_fails),
		T(test_storage_free),
	};

	return cmocka_run_group_tests_name("storage", tests, NULL, NULL);
}
