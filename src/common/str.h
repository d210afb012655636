/*
 * str.h — bounded string helpers and strict parsers
 *
 * The C library's unbounded copy and format functions overflow silently
 * (they are banned in this tree) and its number parsers accept more than we
 * want (strtoll skips whitespace and takes '+'). These replace them.
 */
#ifndef WALSHIP_COMMON_STR_H
#define WALSHIP_COMMON_STR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * BSD strlcpy: copy at most size - 1 bytes and always NUL-terminate when
 * size > 0. Returns strlen(src); a result >= size means truncation.
 */
size_t ws_strlcpy(char *dst, const char *src, size_t size);

/*
 * snprintf that reports truncation: WS_OK, WS_ERR_TOO_LARGE when the result
 * did not fit (dst still NUL-terminated if size > 0), WS_ERR_INVALID on an
 * encoding error (dst then holds ""). errno is preserved for %m.
 */
int ws_snprintf(char *dst, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

bool ws_str_has_prefix(const char *s, const char *prefix);
bool ws_str_has_suffix(const char *s, const char *suffix);

/*
 * Strict base-10 parsers: the whole string, an optional leading '-' (signed
 * only), digits, nothing else — no whitespace, no '+', no empty string.
 * WS_ERR_INVALID when text is not a number, WS_ERR_TOO_LARGE when it is a
 * number outside the range. *out is written only on success.
 */
int ws_parse_int64(const char *text, int64_t min, int64_t max, int64_t *out);
int ws_parse_uint64(const char *text, uint64_t *out);

/*
 * on/off, true/false, yes/no, 1/0, case-insensitive. Returns false (and
 * leaves *out alone) when text is not one of these.
 */
bool ws_parse_bool(const char *text, bool *out);

/*
 * In place: CR, LF, tab and other whitespace become spaces, runs collapse
 * to one space, leading and trailing spaces are removed. Turns libpq's
 * multi-line messages into something fit for a one-line log entry.
 */
void ws_str_oneline(char *s);

/*
 * Make untrusted text safe to show between quotes in an error message:
 * quotes, backslashes and non-printable bytes become escapes, and text that
 * does not fit is cut and ends in "...". Returns buf, always NUL-terminated.
 * bufsize must be at least 8.
 */
#define WS_STR_QUOTE_BUFLEN 48

const char *ws_str_quote(const char *text, size_t len, char *buf, size_t bufsize);

#endif
