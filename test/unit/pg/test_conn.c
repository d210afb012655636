/*
 * test_conn.c — unit tests for src/pg (conn.c, server.c) over a libpq shim
 *
 * Linked with -Wl,--wrap=PQconnectdbParams,... (see PQ_WRAP in Makefile.am):
 * every libpq call conn.c and server.c make lands in a __wrap_ function
 * below that plays back a script, so error paths a real server rarely
 * produces (lost connection mid-query, garbage values) are tested exactly.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <libpq-fe.h>
#include <string.h>

#include "pg/conn.h"
#include "pg/server.h"

#define MAX_COLS 20
#define MAX_RESULTS 4

struct fake_result {
	ExecStatusType status;
	const char *error;
	int nrows;
	int ncols;
	const char *values[MAX_COLS];   /* one row at most in these tests */
};

struct script {
	ConnStatusType connect_status;
	const char *conn_error;
	ConnStatusType status_after_query;
	struct fake_result results[MAX_RESULTS];
	int nresults;
	int next_result;
	int finished;
	int cleared;
	char seen_timeout[16];
	char seen_dbname[256];
	int seen_expand;
};

static struct script sc;
static int fake_conn_token;

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

PGconn *
__wrap_PQconnectdbParams(const char *const *k, const char *const *v, int expand)
{
	for (int i = 0; k[i] != NULL; i++) {
		if (strcmp(k[i], "connect_timeout") == 0)
			snprintf(sc.seen_timeout, sizeof(sc.seen_timeout), "%s", v[i]);
		if (strcmp(k[i], "dbname") == 0)
			snprintf(sc.seen_dbname, sizeof(sc.seen_dbname), "%s", v[i]);
	}
	sc.seen_expand = expand;
	return (PGconn *) &fake_conn_token;
}

ConnStatusType
__wrap_PQstatus(const PGconn *c)
{
	(void) c;
	return sc.next_result > 0 ? sc.status_after_query : sc.connect_status;
}

char *
__wrap_PQerrorMessage(const PGconn *c)
{
	(void) c;
	return (char *) (sc.conn_error ? sc.conn_error : "");
}

void
__wrap_PQfinish(PGconn *c)
{
	assert_ptr_equal(c, &fake_conn_token);
	sc.finished++;
}

PGresult *
__wrap_PQexecParams(PGconn *c, const char *cmd, int n, const Oid *types,
					const char *const *values, const int *lengths,
					const int *formats, int resultFormat)
{
	(void) c; (void) cmd; (void) n; (void) types; (void) values;
	(void) lengths; (void) formats; (void) resultFormat;
	assert_true(sc.next_result < sc.nresults);
	return (PGresult *) &sc.results[sc.next_result++];
}

static const struct fake_result *
fr(const PGresult *r)
{
	return (const struct fake_result *) r;
}

ExecStatusType __wrap_PQresultStatus(const PGresult *r) { return fr(r)->status; }
char *__wrap_PQresultErrorMessage(const PGresult *r) { return (char *) (fr(r)->error ? fr(r)->error : ""); }
void __wrap_PQclear(PGresult *r) { (void) r; sc.cleared++; }
int __wrap_PQntuples(const PGresult *r) { return fr(r)->nrows; }
int __wrap_PQnfields(const PGresult *r) { return fr(r)->ncols; }
char *__wrap_PQfname(const PGresult *r, int col) { (void) r; (void) col; return (char *) "col"; }
int __wrap_PQgetisnull(const PGresult *r, int row, int col) { (void) row; return fr(r)->values[col] == NULL; }
char *__wrap_PQgetvalue(const PGresult *r, int row, int col) { (void) row; return (char *) (fr(r)->values[col] ? fr(r)->values[col] : ""); }
char *__wrap_PQhost(const PGconn *c) { (void) c; return (char *) "db.example"; }
char *__wrap_PQport(const PGconn *c) { (void) c; return (char *) "5433"; }

/* ---- helpers ---- */
static int
reset(void **state)
{
	(void) state;
	memset(&sc, 0, sizeof(sc));
	sc.connect_status = CONNECTION_OK;
	sc.status_after_query = CONNECTION_OK;
	return 0;
}

static void
add_row(const char *const *values, int ncols)
{
	struct fake_result *r = &sc.results[sc.nresults++];

	r->status = PGRES_TUPLES_OK;
	r->nrows = 1;
	r->ncols = ncols;
	for (int i = 0; i < ncols; i++)
		r->values[i] = values[i];
}

static struct ws_pg_conn *
connect_ok(void)
{
	struct ws_pg_conn *conn;
	struct ws_error err;

	assert_int_equal(ws_pg_connect("host=db.example", 10, &conn, &err), WS_OK);
	return conn;
}

/* ---- tests ---- */
static void
test_connect_failure_is_one_line(void **state)
{
	struct ws_pg_conn *conn = (struct ws_pg_conn *) &fake_conn_token;
	struct ws_error err;

	(void) state;
	sc.connect_status = CONNECTION_BAD;
	sc.conn_error = "connection to server at \"127.0.0.1\", port 1 failed: Connection refused\n"
		"\tIs the server running on that host and accepting TCP/IP connections?\n";
	assert_int_equal(ws_pg_connect("host=127.0.0.1 port=1", 5, &conn, &err), WS_ERR_CONNECT);
	assert_null(conn);
	assert_string_equal(err.message,
		"could not connect to the server: connection to server at \"127.0.0.1\", port 1 failed: "
		"Connection refused Is the server running on that host and accepting TCP/IP connections?");
	assert_int_equal(sc.finished, 1);
}

static void
test_connect_passes_conninfo_and_timeout(void **state)
{
	struct ws_pg_conn *conn;
	struct ws_error err;

	(void) state;
	assert_int_equal(ws_pg_connect("host=a sslmode=require password=s3cret", 42, &conn, &err), WS_OK);
	assert_string_equal(sc.seen_timeout, "42");
	assert_string_equal(sc.seen_dbname, "host=a sslmode=require password=s3cret");
	assert_int_equal(sc.seen_expand, 1);
	assert_string_equal(ws_pg_target(conn), "db.example:5433");
	ws_pg_close(conn);
	assert_int_equal(sc.finished, 1);
}

static void
test_query_copies_values_and_nulls(void **state)
{
	const char *row[] = {"a", NULL, ""};
	struct ws_pg_result res;
	struct ws_error err;
	struct ws_pg_conn *conn;

	(void) state;
	add_row(row, 3);
	conn = connect_ok();
	assert_int_equal(ws_pg_query(conn, "SELECT", 0, NULL, &res, &err), WS_OK);
	assert_int_equal(res.nrows, 1);
	assert_int_equal(res.ncols, 3);
	assert_string_equal(ws_pg_value(&res, 0, 0), "a");
	assert_null(ws_pg_value(&res, 0, 1));
	assert_string_equal(ws_pg_value(&res, 0, 2), "");
	assert_null(ws_pg_value(&res, 1, 0));
	assert_null(ws_pg_value(&res, 0, 3));
	assert_null(ws_pg_value(&res, -1, 0));
	ws_pg_result_free(&res);
	assert_int_equal(sc.cleared, 1);
	ws_pg_close(conn);
}

static void
test_query_server_error(void **state)
{
	struct ws_pg_result res;
	struct ws_error err;
	struct ws_pg_conn *conn;

	(void) state;
	sc.results[0].status = PGRES_FATAL_ERROR;
	sc.results[0].error = "ERROR:  recovery is in progress\nHINT:  WAL control functions cannot be executed during recovery.\n";
	sc.nresults = 1;
	conn = connect_ok();
	assert_int_equal(ws_pg_query(conn, "SELECT", 0, NULL, &res, &err), WS_ERR_PG);
	assert_string_equal(err.message, "query failed: ERROR: recovery is in progress HINT: WAL control functions cannot be executed during recovery.");
	assert_int_equal(sc.cleared, 1);
	ws_pg_close(conn);
}

static void
test_query_connection_lost(void **state)
{
	struct ws_pg_result res;
	struct ws_error err;
	struct ws_pg_conn *conn;

	(void) state;
	sc.results[0].status = PGRES_FATAL_ERROR;
	sc.status_after_query = CONNECTION_BAD;
	sc.conn_error = "server closed the connection unexpectedly\n";
	sc.nresults = 1;
	conn = connect_ok();
	assert_int_equal(ws_pg_query(conn, "SELECT", 0, NULL, &res, &err), WS_ERR_CONNECT);
	assert_string_equal(err.message, "lost connection to the server: server closed the connection unexpectedly");
	ws_pg_close(conn);
}

static void
test_query_row_wants_one_row(void **state)
{
	struct ws_pg_result res;
	struct ws_error err;
	struct ws_pg_conn *conn;

	(void) state;
	sc.results[0].status = PGRES_TUPLES_OK;
	sc.nresults = 1;
	conn = connect_ok();
	assert_int_equal(ws_pg_query_row(conn, "SELECT", 0, NULL, &res, &err), WS_ERR_PG);
	assert_string_equal(err.message, "query returned 0 rows instead of one");
	ws_pg_close(conn);
}

/* identity_sql's columns, in order, for a healthy primary */
static const char *identity_primary[] = {
	"f", "150018", "15.18", "7312345678901234567", "16777216", "replica", "on",
	"walship archive-push %p", "10", "10", "on", "on", "off", "on", "", "f", "t"
};

static void
test_server_info_primary(void **state)
{
	const char *positions[] = {"0/3000148", "0/3000100", "00000002"};
	struct ws_pg_server_info info;
	struct ws_error err;
	struct ws_pg_conn *conn;

	(void) state;
	add_row(identity_primary, 17);
	add_row(positions, 3);
	conn = connect_ok();
	assert_int_equal(ws_pg_server_info_read(conn, &info, &err), WS_OK);
	assert_int_equal(info.role, WS_PG_PRIMARY);
	assert_int_equal(info.version_num, 150018);
	assert_string_equal(info.version, "15.18");
	assert_true(info.system_identifier == 7312345678901234567ULL);
	assert_int_equal(info.wal_segment_size, 16777216);
	assert_string_equal(info.wal_level, "replica");
	assert_int_equal(info.max_wal_senders, 10);
	assert_true(info.data_checksums);
	assert_false(info.wal_log_hints);
	assert_int_equal(info.timeline, 2);
	assert_true(info.insert_lsn == 0x3000148);
	assert_true(info.flush_lsn == 0x3000100);
	assert_int_equal(ws_pg_require_role(conn, &info, WS_PG_PRIMARY, "x", &err), WS_OK);
	assert_int_equal(ws_pg_require_role(conn, &info, WS_PG_STANDBY, "--expect-role", &err), WS_ERR_ROLE);
	assert_string_equal(err.message, "server at db.example:5433 is a primary, but --expect-role needs a standby");
	ws_pg_close(conn);
}

static void
test_server_info_standby_nothing_received(void **state)
{
	const char *identity[17];
	const char *positions[] = {NULL, "0/5000000", "3", ""};
	struct ws_pg_server_info info;
	struct ws_error err;
	struct ws_pg_conn *conn;

	(void) state;
	memcpy(identity, identity_primary, sizeof(identity));
	identity[0] = "t";
	identity[15] = NULL;   /* primary_conninfo hidden from this role */
	add_row(identity, 17);
	add_row(positions, 4);
	conn = connect_ok();
	assert_int_equal(ws_pg_server_info_read(conn, &info, &err), WS_OK);
	assert_int_equal(info.role, WS_PG_STANDBY);
	assert_true(info.receive_lsn == WS_LSN_INVALID);
	assert_true(info.replay_lsn == 0x5000000);
	assert_int_equal(info.timeline, 3);
	assert_string_equal(info.wal_receiver_status, "");
	assert_false(info.primary_conninfo_known);
	assert_true(info.can_read_stats);
	ws_pg_close(conn);
}

static void
expect_bad_identity(int col, const char *value, const char *fragment)
{
	const char *identity[17];
	struct ws_pg_server_info info;
	struct ws_error err;
	struct ws_pg_conn *conn;

	reset(NULL);
	memcpy(identity, identity_primary, sizeof(identity));
	identity[col] = value;
	add_row(identity, 17);
	conn = connect_ok();
	assert_int_equal(ws_pg_server_info_read(conn, &info, &err), WS_ERR_PG);
	if (strstr(err.message, fragment) == NULL)
		fail_msg("\"%s\" lacks \"%s\"", err.message, fragment);
	assert_non_null(strstr(err.message, "could not read server state from db.example:5433"));
	ws_pg_close(conn);
	assert_int_equal(sc.cleared, 1);
}

static void
test_server_info_garbage(void **state)
{
	const char *positions[] = {"0/3000148", "0/3000100", "ZZ"};
	struct ws_pg_server_info info;
	struct ws_error err;
	struct ws_pg_conn *conn;

	(void) state;
	expect_bad_identity(1, "fifteen", "invalid server_version_num: \"fifteen\"");
	expect_bad_identity(3, "-1", "invalid system identifier: \"-1\"");
	expect_bad_identity(3, NULL, "invalid system identifier: \"(null)\"");
	expect_bad_identity(4, "0", "invalid wal_segment_size");
	expect_bad_identity(8, "many", "invalid max_wal_senders");

	reset(NULL);
	add_row(identity_primary, 17);
	add_row(positions, 3);
	conn = connect_ok();
	assert_int_equal(ws_pg_server_info_read(conn, &info, &err), WS_ERR_PG);
	assert_non_null(strstr(err.message, "invalid timeline: \"ZZ\""));
	ws_pg_close(conn);
}

static void
test_insert_lsn_on_standby_is_a_role_error(void **state)
{
	const char *row[] = {"t", NULL};
	struct ws_error err;
	struct ws_pg_conn *conn;
	ws_lsn lsn;

	(void) state;
	add_row(row, 2);
	conn = connect_ok();
	assert_int_equal(ws_pg_current_insert_lsn(conn, &lsn, &err), WS_ERR_ROLE);
	assert_string_equal(err.message,
		"server at db.example:5433 is a standby, but the current WAL insert position exists only on a primary");
	ws_pg_close(conn);
}

static void
test_insert_lsn_on_primary(void **state)
{
	const char *row[] = {"f", "1/A0"};
	struct ws_error err;
	struct ws_pg_conn *conn;
	ws_lsn lsn = 0;

	(void) state;
	add_row(row, 2);
	conn = connect_ok();
	assert_int_equal(ws_pg_current_insert_lsn(conn, &lsn, &err), WS_OK);
	assert_true(lsn == 0x1000000A0ULL);
	ws_pg_close(conn);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_connect_failure_is_one_line, reset),
		cmocka_unit_test_setup(test_connect_passes_conninfo_and_timeout, reset),
		cmocka_unit_test_setup(test_query_copies_values_and_nulls, reset),
		cmocka_unit_test_setup(test_query_server_error, reset),
		cmocka_unit_test_setup(test_query_connection_lost, reset),
		cmocka_unit_test_setup(test_query_row_wants_one_row, reset),
		cmocka_unit_test_setup(test_server_info_primary, reset),
		cmocka_unit_test_setup(test_server_info_standby_nothing_received, reset),
		cmocka_unit_test_setup(test_server_info_garbage, reset),
		cmocka_unit_test_setup(test_insert_lsn_on_standby_is_a_role_error, reset),
		cmocka_unit_test_setup(test_insert_lsn_on_primary, reset),
	};

	return cmocka_run_group_tests_name("pg/conn", tests, NULL, NULL);
}
