/*
 * test_basebackup.c — unit tests for src/pg/basebackup.c over a libpq shim
 *
 * Linked with PQ_WRAP plus PQsendQuery, PQgetResult, PQgetCopyData and
 * PQfreemem wrapped: the script below plays the server's side of
 * BASE_BACKUP, so replies a real server does not send (a message out of
 * place, a malformed one, a lost connection mid-stream) are tested exactly.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <libpq-fe.h>
#include <stdlib.h>
#include <string.h>

#include "pg/basebackup.h"
#include "pg/conn.h"

#define MAX_STEPS 16
#define MAX_ROWS 4

/* One PGresult or one CopyData message of the script. */
struct step {
	enum { RESULT, COPY, COPY_END, COPY_ERROR, END } kind;
	ExecStatusType status;      /* RESULT */
	const char *error;
	int nrows, ncols;
	const char *values[MAX_ROWS][3];
	const char *copy;           /* COPY: bytes, copy_len of them */
	int copy_len;
};

static struct {
	struct step steps[MAX_STEPS];
	int nsteps, next;
	char sent[512];
	int send_fails;
} sc;
static int fake_conn_token;
static const struct step *current;   /* what PQresult* functions look at */

/* ---- the shim ---- */
PGconn *__wrap_PQconnectdbParams(const char *const *k, const char *const *v, int expand);
ConnStatusType __wrap_PQstatus(const PGconn *c);
char *__wrap_PQerrorMessage(const PGconn *c);
void __wrap_PQfinish(PGconn *c);
PGresult *__wrap_PQexecParams(PGconn *c, const char *cmd, int n, const Oid *types,
							  const char *const *values, const int *lengths,
							  const int *formats, int resultFormat);
ExecStatusType __wrap_PQresultStatus(const PGresult *r);
char *__wrap_PQresultErrorMessage(const PGresult *r);
void __wrap_PQclear(PGresult *r);
int __wrap_PQntuples(const PGresult *r);
int __wrap_PQnfields(const PGresult *r);
char *__wrap_PQfname(const PGresult *r, int col);
int __wrap_PQgetisnull(const PGresult *r, int row, int col);
char *__wrap_PQgetvalue(const PGresult *r, int row, int col);
char *__wrap_PQhost(const PGconn *c);
char *__wrap_PQport(const PGconn *c);
int __wrap_PQsendQuery(PGconn *c, const char *q);
PGresult *__wrap_PQgetResult(PGconn *c);
int __wrap_PQgetCopyData(PGconn *c, char **buf, int async);
void __wrap_PQfreemem(void *p);

PGconn *
__wrap_PQconnectdbParams(const char *const *k, const char *const *v, int expand)
{
	(void) k;
	(void) v;
	(void) expand;
	return (PGconn *) &fake_conn_token;
}
ConnStatusType __wrap_PQstatus(const PGconn *c) { (void) c; return CONNECTION_OK; }
char *__wrap_PQerrorMessage(const PGconn *c) { (void) c; return (char *) "server closed the connection unexpectedly\n"; }
void __wrap_PQfinish(PGconn *c) { (void) c; }
PGresult *
__wrap_PQexecParams(PGconn *c, const char *cmd, int n, const Oid *types, const char *const *values,
					const int *lengths, const int *formats, int resultFormat)
{
	(void) c; (void) cmd; (void) n; (void) types; (void) values; (void) lengths; (void) formats;
	(void) resultFormat;
	return NULL;
}
ExecStatusType __wrap_PQresultStatus(const PGresult *r) { return ((const struct step *) r)->status; }
char *
__wrap_PQresultErrorMessage(const PGresult *r)
{
	const struct step *s = (const struct step *) r;

	return (char *) (s->error != NULL ? s->error : "");
}
void __wrap_PQclear(PGresult *r) { (void) r; }
int __wrap_PQntuples(const PGresult *r) { return ((const struct step *) r)->nrows; }
int __wrap_PQnfields(const PGresult *r) { return ((const struct step *) r)->ncols; }
char *__wrap_PQfname(const PGresult *r, int col) { (void) r; (void) col; return (char *) "col"; }
int
__wrap_PQgetisnull(const PGresult *r, int row, int col)
{
	return ((const struct step *) r)->values[row][col] == NULL;
}
char *
__wrap_PQgetvalue(const PGresult *r, int row, int col)
{
	const char *v = ((const struct step *) r)->values[row][col];

	return (char *) (v != NULL ? v : "");
}
char *__wrap_PQhost(const PGconn *c) { (void) c; return (char *) "db.example"; }
char *__wrap_PQport(const PGconn *c) { (void) c; return (char *) "5432"; }

int
__wrap_PQsendQuery(PGconn *c, const char *q)
{
	(void) c;
	snprintf(sc.sent, sizeof(sc.sent), "%s", q);
	return sc.send_fails ? 0 : 1;
}

PGresult *
__wrap_PQgetResult(PGconn *c)
{
	(void) c;
	while (sc.next < sc.nsteps && sc.steps[sc.next].kind != RESULT && sc.steps[sc.next].kind != END)
		sc.next++;          /* copy data nobody read: drained */
	if (sc.next >= sc.nsteps || sc.steps[sc.next].kind == END) {
		sc.next++;
		return NULL;
	}
	current = &sc.steps[sc.next++];
	return (PGresult *) current;
}

int
__wrap_PQgetCopyData(PGconn *c, char **buf, int async)
{
	const struct step *s;

	(void) c;
	(void) async;
	if (sc.next >= sc.nsteps)
		return -2;
	s = &sc.steps[sc.next];
	if (s->kind == COPY_END) {
		sc.next++;
		return -1;
	}
	if (s->kind == COPY_ERROR) {
		sc.next++;
		return -2;
	}
	if (s->kind != COPY)
		return -1;
	sc.next++;
	*buf = malloc((size_t) s->copy_len);
	memcpy(*buf, s->copy, (size_t) s->copy_len);
	return s->copy_len;
}

void __wrap_PQfreemem(void *p) { free(p); }

/* ---- building scripts ---- */

static void
reset(void)
{
	memset(&sc, 0, sizeof(sc));
}

static void
add_result(ExecStatusType status, int nrows, int ncols, const char *row0[3], const char *row1[3])
{
	struct step *s = &sc.steps[sc.nsteps++];

	s->kind = RESULT;
	s->status = status;
	s->nrows = nrows;
	s->ncols = ncols;
	for (int c = 0; c < 3; c++) {
		s->values[0][c] = row0 != NULL ? row0[c] : NULL;
		s->values[1][c] = row1 != NULL ? row1[c] : NULL;
	}
}

static void
add_error(const char *message)
{
	struct step *s = &sc.steps[sc.nsteps++];

	s->kind = RESULT;
	s->status = PGRES_FATAL_ERROR;
	s->error = message;
}

static void
add_copy(const char *bytes, int len)
{
	struct step *s = &sc.steps[sc.nsteps++];

	s->kind = COPY;
	s->copy = bytes;
	s->copy_len = len;
}

static void
add_kind(int kind)
{
	sc.steps[sc.nsteps++].kind = kind;
}

/* start position, tablespaces (main + one), COPY begins */
static void
add_prologue(void)
{
	const char *start[3] = {"0/2000028", "1", NULL};
	const char *main_ts[3] = {NULL, NULL, "1000"};
	const char *ts[3] = {"16384", "/srv/ts1", "24"};

	add_result(PGRES_TUPLES_OK, 1, 2, start, NULL);
	add_result(PGRES_TUPLES_OK, 2, 3, main_ts, ts);
	add_result(PGRES_COPY_OUT, 0, 0, NULL, NULL);
}

/* ---- what the callbacks saw ---- */

static struct {
	int started, archives, progress_calls;
	char archive_names[64];
	char locations[64];
	char data[64];
	char manifest[64];
	uint64_t last_progress, total_size;
	int ntablespaces;
	int fail_in_archive;
} seen;

/* Append len bytes to the NUL-terminated text in dst, as far as it fits. */
static void
add_text(char *dst, size_t size, const void *src, size_t len)
{
	size_t have = strlen(dst);

	if (len > size - 1 - have)
		len = size - 1 - have;
	memcpy(dst + have, src, len);
	dst[have + len] = '\0';
}

static int
on_started(const struct ws_pg_backup_start *st, void *arg, struct ws_error *err)
{
	(void) arg;
	(void) err;
	seen.started++;
	seen.ntablespaces = st->ntablespaces;
	seen.total_size = st->total_size;
	assert_int_equal(st->lsn, 0x2000028);
	assert_int_equal(st->timeline, 1);
	return WS_OK;
}

static int
on_archive(const char *name, const char *location, void *arg, struct ws_error *err)
{
	(void) arg;
	seen.archives++;
	add_text(seen.archive_names, sizeof(seen.archive_names), name, strlen(name));
	add_text(seen.archive_names, sizeof(seen.archive_names), ",", 1);
	add_text(seen.locations, sizeof(seen.locations), location, strlen(location));
	add_text(seen.locations, sizeof(seen.locations), ",", 1);
	if (seen.fail_in_archive)
		return ws_error_set(err, WS_ERR_IO, "the sink refused");
	return WS_OK;
}

static int
on_data(const void *data, size_t len, void *arg, struct ws_error *err)
{
	(void) arg;
	(void) err;
	add_text(seen.data, sizeof(seen.data), data, len);
	return WS_OK;
}

static int
on_manifest(const void *data, size_t len, void *arg, struct ws_error *err)
{
	(void) arg;
	(void) err;
	add_text(seen.manifest, sizeof(seen.manifest), data, len);
	return WS_OK;
}

static void
on_progress(uint64_t done, void *arg)
{
	(void) arg;
	seen.progress_calls++;
	seen.last_progress = done;
}

static int
run(uint64_t *stop_lsn, uint32_t *stop_tli, struct ws_error *err)
{
	const struct ws_pg_backup_callbacks cb = {
		on_started, on_archive, on_data, on_manifest, on_progress, NULL
	};
	const struct ws_pg_backup_options opts = {"it's 20261126", true};
	struct ws_pg_conn *conn;
	int rc;

	memset(&seen, 0, sizeof(seen));
	assert_int_equal(ws_pg_connect_replication("host=x", 5, &conn, err), WS_OK);
	rc = ws_pg_base_backup(conn, &opts, &cb, stop_lsn, stop_tli, err);
	ws_pg_close(conn);
	return rc;
}

static int
run_keep_seen(uint64_t *stop_lsn, uint32_t *stop_tli, struct ws_error *err, int fail_in_archive)
{
	const struct ws_pg_backup_callbacks cb = {
		on_started, on_archive, on_data, on_manifest, on_progress, NULL
	};
	const struct ws_pg_backup_options opts = {"l", false};
	struct ws_pg_conn *conn;
	int rc;

	memset(&seen, 0, sizeof(seen));
	seen.fail_in_archive = fail_in_archive;
	assert_int_equal(ws_pg_connect_replication("host=x", 5, &conn, err), WS_OK);
	rc = ws_pg_base_backup(conn, &opts, &cb, stop_lsn, stop_tli, err);
	ws_pg_close(conn);
	return rc;
}

/* ---- tests ---- */

static const char msg_new_base[] = "nbase.tar\0";               /* name, empty location */
static const char msg_new_ts[] = "n16384.tar\0/srv/ts1";      /* name, location */
static const char msg_data_a[] = "dAAAA";
static const char msg_data_b[] = "dBB";
static const char msg_progress[] = {'p', 0, 0, 0, 0, 0, 0, 0x10, 0};
static const char msg_manifest[] = "m";
static const char msg_manifest_data[] = "d{\"PostgreSQL-Backup-Manifest-Version\": 1}";

static void
test_whole_stream(void **state)
{
	const char *stop[3] = {"0/2000100", "1", NULL};
	struct ws_error err;
	uint64_t stop_lsn = 0;
	uint32_t stop_tli = 0;

	(void) state;
	reset();
	add_prologue();
	add_copy(msg_new_ts, sizeof(msg_new_ts));
	add_copy(msg_data_a, (int) strlen(msg_data_a));
	add_copy(msg_new_base, sizeof(msg_new_base));
	add_copy(msg_data_b, (int) strlen(msg_data_b));
	add_copy(msg_progress, sizeof(msg_progress));
	add_copy(msg_manifest, 1);
	add_copy(msg_manifest_data, (int) strlen(msg_manifest_data));
	add_kind(COPY_END);
	add_result(PGRES_TUPLES_OK, 1, 2, stop, NULL);
	add_result(PGRES_COMMAND_OK, 0, 0, NULL, NULL);
	add_kind(END);
	assert_int_equal(run(&stop_lsn, &stop_tli, &err), WS_OK);
	assert_int_equal(stop_lsn, 0x2000100);
	assert_int_equal(stop_tli, 1);
	assert_int_equal(seen.started, 1);
	assert_int_equal(seen.ntablespaces, 2);
	assert_int_equal(seen.total_size, (1000 + 24) * 1024);
	assert_string_equal(seen.archive_names, "16384.tar,base.tar,");
	assert_string_equal(seen.locations, "/srv/ts1,,");
	assert_string_equal(seen.data, "AAAABB");
	assert_string_equal(seen.manifest, "{\"PostgreSQL-Backup-Manifest-Version\": 1}");
	assert_int_equal(seen.progress_calls, 1);
	assert_int_equal(seen.last_progress, 0x1000);
	/* the command, with the label's quote doubled */
	assert_non_null(strstr(sc.sent, "BASE_BACKUP (LABEL 'it''s 20261126'"));
	assert_non_null(strstr(sc.sent, "CHECKPOINT 'fast'"));
	assert_non_null(strstr(sc.sent, "MANIFEST 'yes'"));
	assert_non_null(strstr(sc.sent, "WAIT false"));
}

/* expect_failure — the stream as scripted fails with status and fragment */
static void
expect_failure(int status, const char *fragment)
{
	struct ws_error err;
	uint64_t lsn;
	uint32_t tli;

	memset(&err, 0, sizeof(err));
	assert_int_equal(run(&lsn, &tli, &err), status);
	if (strstr(err.message, fragment) == NULL)
		fail_msg("\"%s\" lacks \"%s\"", err.message, fragment);
}

static void
test_server_refuses(void **state)
{
	(void) state;
	reset();
	add_error("ERROR:  must be superuser or replication role to start walsender\n");
	add_kind(END);
	expect_failure(WS_ERR_PG, "base backup failed: ERROR: must be superuser or replication role");
}

static void
test_send_fails(void **state)
{
	(void) state;
	reset();
	sc.send_fails = 1;
	expect_failure(WS_ERR_CONNECT, "could not send BASE_BACKUP");
}

static void
test_bad_start(void **state)
{
	const char *bad[3] = {"not an lsn", "1", NULL};
	const char *tli0[3] = {"0/2000028", "0", NULL};

	(void) state;
	reset();
	add_result(PGRES_TUPLES_OK, 1, 2, bad, NULL);
	add_kind(END);
	expect_failure(WS_ERR_CORRUPT, "bad start position \"not an lsn\"");
	reset();
	add_result(PGRES_TUPLES_OK, 1, 2, tli0, NULL);
	add_kind(END);
	expect_failure(WS_ERR_CORRUPT, "timeline \"0\"");
	reset();
	add_result(PGRES_TUPLES_OK, 0, 2, NULL, NULL);
	add_kind(END);
	expect_failure(WS_ERR_CORRUPT, "no start position");
	reset();
	add_kind(END);
	expect_failure(WS_ERR_CORRUPT, "BASE_BACKUP ended before the start position");
}

static void
test_messages_out_of_place(void **state)
{
	static const char unknown[] = "zwhat";
	static const char bad_progress[] = "p123";
	static const char no_location[] = "nbase.tar";   /* no NUL at all */

	(void) state;
	reset();
	add_prologue();
	add_copy(msg_data_a, (int) strlen(msg_data_a));
	add_kind(COPY_END);
	add_kind(END);
	expect_failure(WS_ERR_CORRUPT, "backup data from the server before any archive");

	reset();
	add_prologue();
	add_copy(unknown, (int) strlen(unknown));
	add_kind(END);
	expect_failure(WS_ERR_CORRUPT, "unknown backup message type \"z\"");

	reset();
	add_prologue();
	add_copy(bad_progress, (int) strlen(bad_progress));
	add_kind(END);
	expect_failure(WS_ERR_CORRUPT, "malformed progress message");

	reset();
	add_prologue();
	add_copy(no_location, (int) strlen(no_location));
	add_kind(END);
	expect_failure(WS_ERR_CORRUPT, "malformed new-archive message");

	reset();
	add_prologue();
	add_copy("n", 1);
	add_kind(END);
	expect_failure(WS_ERR_CORRUPT, "malformed new-archive message");
}

static void
test_connection_lost_mid_stream(void **state)
{
	(void) state;
	reset();
	add_prologue();
	add_copy(msg_new_base, sizeof(msg_new_base));
	add_copy(msg_data_a, (int) strlen(msg_data_a));
	add_kind(COPY_ERROR);
	add_kind(END);
	expect_failure(WS_ERR_CONNECT, "could not read backup data: server closed the connection");
}

static void
test_no_copy_and_no_end(void **state)
{
	const char *stop_bad[3] = {"0/2000100", "x", NULL};

	(void) state;
	reset();
	add_result(PGRES_TUPLES_OK, 1, 2, (const char *[3]) {"0/2000028", "1", NULL}, NULL);
	add_result(PGRES_TUPLES_OK, 0, 3, NULL, NULL);
	add_result(PGRES_TUPLES_OK, 0, 0, NULL, NULL);   /* where COPY should begin */
	add_kind(END);
	expect_failure(WS_ERR_CORRUPT, "no COPY stream");

	reset();
	add_prologue();
	add_kind(COPY_END);
	add_result(PGRES_TUPLES_OK, 1, 2, stop_bad, NULL);
	add_kind(END);
	expect_failure(WS_ERR_CORRUPT, "bad end position");

	reset();
	add_prologue();
	add_kind(COPY_END);
	add_error("ERROR:  could not open file \"base/1/1234\": Permission denied\n");
	add_kind(END);
	expect_failure(WS_ERR_PG, "Permission denied");
}

static void
test_callback_error_stops(void **state)
{
	struct ws_error err;
	uint64_t lsn;
	uint32_t tli;

	(void) state;
	reset();
	add_prologue();
	add_copy(msg_new_base, sizeof(msg_new_base));
	add_copy(msg_data_a, (int) strlen(msg_data_a));
	add_kind(COPY_END);
	add_kind(END);
	assert_int_equal(run_keep_seen(&lsn, &tli, &err, 1), WS_ERR_IO);
	assert_string_equal(err.message, "the sink refused");
	/* nothing after the refusal reached the callbacks */
	assert_string_equal(seen.data, "");
	assert_non_null(strstr(sc.sent, "CHECKPOINT 'spread'"));
}

static void
test_too_many_tablespaces(void **state)
{
	(void) state;
	reset();
	add_result(PGRES_TUPLES_OK, 1, 2, (const char *[3]) {"0/2000028", "1", NULL}, NULL);
	add_result(PGRES_TUPLES_OK, WS_PG_MAX_TABLESPACES + 1, 3, NULL, NULL);
	add_kind(END);
	expect_failure(WS_ERR_TOO_LARGE, "tablespaces, more than the");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_whole_stream),
		cmocka_unit_test(test_server_refuses),
		cmocka_unit_test(test_send_fails),
		cmocka_unit_test(test_bad_start),
		cmocka_unit_test(test_messages_out_of_place),
		cmocka_unit_test(test_connection_lost_mid_stream),
		cmocka_unit_test(test_no_copy_and_no_end),
		cmocka_unit_test(test_callback_error_stops),
		cmocka_unit_test(test_too_many_tablespaces),
	};

	return cmocka_run_group_tests_name("pg/basebackup", tests, NULL, NULL);
}
