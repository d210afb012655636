/*
 * libpq_lazy.c — libpq, loaded on the first call (see common/lazylib.h)
 *
 * Each libpq function walship uses is defined here with libpq-fe.h's own
 * prototype (the compiler checks they agree) and forwards to the real one.
 * A function used anywhere in src/ must be added to the list, or the link
 * fails: the binaries are not linked with libpq.
 */
#include <libpq-fe.h>

#include "cmd/exit_codes.h"
#include "common/lazylib.h"

/* X(return type, name, parameters, arguments); XV for void functions */
#define LIBPQ_FUNCTIONS(X, XV) \
	X(PGconn *, PQconnectdbParams, \
	  (const char *const *keywords, const char *const *values, int expand_dbname), \
	  (keywords, values, expand_dbname)) \
	XV(PQfinish, (PGconn *conn), (conn)) \
	X(ConnStatusType, PQstatus, (const PGconn *conn), (conn)) \
	X(char *, PQerrorMessage, (const PGconn *conn), (conn)) \
	X(char *, PQhost, (const PGconn *conn), (conn)) \
	X(char *, PQport, (const PGconn *conn), (conn)) \
	X(int, PQsocket, (const PGconn *conn), (conn)) \
	X(int, PQserverVersion, (const PGconn *conn), (conn)) \
	X(int, PQsslInUse, (PGconn *conn), (conn)) \
	X(PGresult *, PQexec, (PGconn *conn, const char *query), (conn, query)) \
	X(PGresult *, PQexecParams, \
	  (PGconn *conn, const char *command, int nParams, const Oid *paramTypes, \
	   const char *const *paramValues, const int *paramLengths, const int *paramFormats, \
	   int resultFormat), \
	  (conn, command, nParams, paramTypes, paramValues, paramLengths, paramFormats, \
	   resultFormat)) \
	X(int, PQsendQuery, (PGconn *conn, const char *query), (conn, query)) \
	X(PGresult *, PQgetResult, (PGconn *conn), (conn)) \
	X(int, PQconsumeInput, (PGconn *conn), (conn)) \
	X(int, PQflush, (PGconn *conn), (conn)) \
	X(int, PQgetCopyData, (PGconn *conn, char **buffer, int async), (conn, buffer, async)) \
	X(int, PQputCopyData, (PGconn *conn, const char *buffer, int nbytes), \
	  (conn, buffer, nbytes)) \
	X(int, PQputCopyEnd, (PGconn *conn, const char *errormsg), (conn, errormsg)) \
	X(char *, PQescapeLiteral, (PGconn *conn, const char *str, size_t len), (conn, str, len)) \
	XV(PQfreemem, (void *ptr), (ptr)) \
	X(ExecStatusType, PQresultStatus, (const PGresult *res), (res)) \
	X(char *, PQresultErrorMessage, (const PGresult *res), (res)) \
	X(int, PQntuples, (const PGresult *res), (res)) \
	X(int, PQnfields, (const PGresult *res), (res)) \
	X(char *, PQfname, (const PGresult *res, int field_num), (res, field_num)) \
	X(char *, PQgetvalue, (const PGresult *res, int tup_num, int field_num), \
	  (res, tup_num, field_num)) \
	X(int, PQgetisnull, (const PGresult *res, int tup_num, int field_num), \
	  (res, tup_num, field_num)) \
	X(int, PQgetlength, (const PGresult *res, int tup_num, int field_num), \
	  (res, tup_num, field_num)) \
	XV(PQclear, (PGresult *res), (res))

LIBPQ_FUNCTIONS(WS_LAZY_POINTER, WS_LAZY_POINTER_VOID)

static struct ws_lazylib lazy_lib = {
	.soname = "libpq.so.5", .package = "libpq5", .exit_code = WS_EXIT_CONNECT,
	.once = PTHREAD_ONCE_INIT,
};

static void
lazy_load(void)
{
	ws_lazylib_open(&lazy_lib);
	LIBPQ_FUNCTIONS(WS_LAZY_RESOLVE, WS_LAZY_RESOLVE_VOID)
}

LIBPQ_FUNCTIONS(WS_LAZY_FORWARD, WS_LAZY_FORWARD_VOID)
