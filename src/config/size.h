/*
 * size.h — byte sizes as PostgreSQL writes them: 16MB, 1GB, 512 kB
 *
 * Units are 1024-based and spelled as in postgresql.conf (B, kB, MB, GB,
 * TB, case-sensitive); a number without a unit is bytes.
 */
#ifndef WALSHIP_CONFIG_SIZE_H
#define WALSHIP_CONFIG_SIZE_H

#include <stddef.h>
#include <stdint.h>

#define WS_SIZE_UNITS_HINT "B, kB, MB, GB or TB"
#define WS_SIZE_STRLEN 32

/*
 * Parse an integer, optional blanks, an optional unit; blanks around the
 * whole are allowed. WS_ERR_INVALID when it is not such a size (a sign, a
 * fraction, an unknown unit), WS_ERR_TOO_LARGE when it does not fit in an
 * int64 number of bytes. *out is written only on success.
 */
int ws_size_parse(const char *text, int64_t *out);

/*
 * The largest unit that divides bytes exactly: 16777216 -> "16MB", 1000 ->
 * "1000B", 0 -> "0". Exact, so the text parses back to the same value.
 */
void ws_size_format(int64_t bytes, char *buf, size_t size);

#endif
