/*
 * lsn.h — WAL locations (LSNs) as PostgreSQL prints them, e.g. "16/B374D848"
 */
#ifndef WALSHIP_WAL_LSN_H
#define WALSHIP_WAL_LSN_H

#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

typedef uint64_t ws_lsn;

#define WS_LSN_INVALID ((ws_lsn) 0)
#define WS_LSN_STRLEN 18            /* "FFFFFFFF/FFFFFFFF" + NUL */

/*
 * Parse "X/X": 1 to 8 hex digits on each side, either case, nothing else
 * (no blanks, signs or "0x"). Anything else is WS_ERR_INVALID.
 */
int ws_lsn_parse(const char *text, ws_lsn *out, struct ws_error *err);

/* The same for a field that is not NUL-terminated, e.g. inside a line. */
int ws_lsn_parse_len(const char *text, size_t len, ws_lsn *out,
					 struct ws_error *err);

/* Format as PostgreSQL does ("%X/%X"), e.g. "0/3000148". */
void ws_lsn_format(ws_lsn lsn, char buf[WS_LSN_STRLEN]);

/* a - b in bytes, saturating at INT64_MIN and INT64_MAX. */
int64_t ws_lsn_diff(ws_lsn a, ws_lsn b);


#endif
