/*
 * size.c — byte sizes with PostgreSQL's units (see size.h)
 */
#include "config/size.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "common/error.h"

struct size_unit {
	const char *name;
	int64_t bytes;
};

/* largest first, for ws_size_format */
static const struct size_unit units[] = {
	{"TB", INT64_C(1) << 40},
	{"GB", INT64_C(1) << 30},
	{"MB", INT64_C(1) << 20},
	{"kB", INT64_C(1) << 10},
	{"B", 1},
};

static bool
is_blank(char c)
{
	return c == ' ' || c == '\t';
}

int
ws_size_parse(const char *text, int64_t *out)
{
	const char *p = text;
	uint64_t number = 0;
	size_t ndigits = 0;
	size_t unitlen;
	int64_t factor = 1;

	if (text == NULL)
		return WS_ERR_INVALID;
	while (is_blank(*p))
		p++;
	for (; *p >= '0' && *p <= '9'; p++, ndigits++) {
		if (number > (UINT64_MAX - 9) / 10)
			return WS_ERR_TOO_LARGE;
		number = number * 10 + (uint64_t) (*p - '0');
	}
	if (ndigits == 0)
		return WS_ERR_INVALID;
	while (is_blank(*p))
		p++;
	unitlen = strcspn(p, " \t");
	if (unitlen > 0) {
		size_t i;

		for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
			if (strlen(units[i].name) == unitlen && strncmp(p, units[i].name, unitlen) == 0)
				break;
		}
		if (i == sizeof(units) / sizeof(units[0]))
			return WS_ERR_INVALID;
		factor = units[i].bytes;
		p += unitlen;
	}
	while (is_blank(*p))
		p++;
	if (*p != '\0')
		return WS_ERR_INVALID;
	if (number > (uint64_t) INT64_MAX / (uint64_t) factor)
		return WS_ERR_TOO_LARGE;
	*out = (int64_t) number * factor;
	return WS_OK;
}

void
ws_size_format(int64_t bytes, char *buf, size_t size)
{
	if (bytes == 0) {
		snprintf(buf, size, "0");
		return;
	}
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (bytes % units[i].bytes == 0) {
			snprintf(buf, size, "%" PRId64 "%s", bytes / units[i].bytes, units[i].name);
			return;
		}
	}
}
