/*
 * exit_codes.h — what walship's exit status means
 *
 * Documented in walship(1); scripts and PostgreSQL (archive_command,
 * restore_command) rely on them, so never renumber.
 */
#ifndef WALSHIP_CMD_EXIT_CODES_H
#define WALSHIP_CMD_EXIT_CODES_H

enum ws_exit_code {
	WS_EXIT_OK = 0,
	WS_EXIT_FAILURE = 1,        /* runtime failure (archive-get: not found) */
	WS_EXIT_USAGE = 2,          /* bad arguments or configuration */
	WS_EXIT_CONNECT = 3,        /* could not connect to PostgreSQL */
	WS_EXIT_CHECK_FAILED = 4,   /* PostgreSQL settings unsuitable for replication */
	WS_EXIT_WRONG_ROLE = 5,     /* the server is a primary/standby, the request needs the other */
	WS_EXIT_CORRUPT = 6,        /* repository data failed verification (checksum, key, header) */
	WS_EXIT_STORAGE = 7         /* repository unreachable or an I/O error */
};

/* Exit code for a failed call's status. */
int ws_exit_code_for_status(int status);

#endif
