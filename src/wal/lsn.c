/*
 * lsn.c — parse, format and subtract WAL locations (see lsn.h)
 */
#include "common/str.h"
#include "wal/lsn.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define LSN_HALF_MAX_DIGITS 8

static int
hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/*
 * Parse one side of "X/X", text[start..stop), as 1 to 8 hex digits.
 * Returns false for an empty, overlong or non-hex field.
 */
static bool
parse_half(const char *text, size_t start, size_t stop, uint32_t *out)
{
	uint32_t	value = 0;
	size_t		i;

	if (stop <= start || stop - start > LSN_HALF_MAX_DIGITS)
		return false;
	for (i = start; i < stop; i++) {
		int			digit = hex_value(text[i]);

		if (digit < 0)
			return false;
		value = (value << 4) | (uint32_t) digit;
	}
	*out = value;
	return true;
}

int
ws_lsn_parse_len(const char *text, size_t len, ws_lsn *out,
				 struct ws_error *err)
{
	char		shown[WS_STR_QUOTE_BUFLEN];
	const char *slash;
	size_t		split;
	uint32_t	hi;
	uint32_t	lo;

	if (text == NULL)
		return ws_error_set(err, WS_ERR_INVALID, "invalid LSN: no value");

	slash = memchr(text, '/', len);
	split = slash ? (size_t) (slash - text) : 0;
	if (slash == NULL ||
		!parse_half(text, 0, split, &hi) ||
		!parse_half(text, split + 1, len, &lo))
		return ws_error_set(err, WS_ERR_INVALID, "invalid LSN \"%s\"",
							ws_str_quote(text, len, shown, sizeof(shown)));

	*out = ((ws_lsn) hi << 32) | lo;
	return WS_OK;
}

int
ws_lsn_parse(const char *text, ws_lsn *out, struct ws_error *err)
{
	if (text == NULL)
		return ws_error_set(err, WS_ERR_INVALID, "invalid LSN: no value");
	return ws_lsn_parse_len(text, strlen(text), out, err);
}

void
ws_lsn_format(ws_lsn lsn, char buf[WS_LSN_STRLEN])
{
	snprintf(buf, WS_LSN_STRLEN, "%X/%X",
			 (unsigned int) (lsn >> 32), (unsigned int) (lsn & 0xFFFFFFFFu));
}

int64_t
ws_lsn_diff(ws_lsn a, ws_lsn b)
{
	uint64_t	d;

	if (a >= b) {
		d = a - b;
		return d > (uint64_t) INT64_MAX ? INT64_MAX : (int64_t) d;
	}

	/* -(INT64_MIN) is not representable, so compare before negating */
	d = b - a;
	if (d > (uint64_t) INT64_MAX)
		return INT64_MIN;
	return -(int64_t) d;
}
