/*
 * target.c — parse recovery target timestamps (target.h)
 */
#include "backup/target.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* n digits at *p into *out; advances p */
static bool
digits(const char **p, int n, int *out)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char) (*p)[i]))
			return false;
		v = v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	*out = v;
	return true;
}

/* days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar */
static int64_t
days_from_civil(int64_t y, int m, int d)
{
	int64_t era;
	int64_t yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static bool
valid_date(int y, int m, int d)
{
	static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	if (m < 1 || m > 12 || d < 1)
		return false;
	return d <= mdays[m - 1] + (m == 2 && leap);
}

static bool
parse_zone(const char *p, bool *has_zone, int *offset_s)
{
	int hh = 0, mm = 0, sign;

	while (*p == ' ')
		p++;
	*has_zone = *p != '\0';
	*offset_s = 0;
	if (*p == '\0')
		return true;
	if (strcmp(p, "Z") == 0 || strcmp(p, "UTC") == 0 || strcmp(p, "GMT") == 0)
		return true;
	if (*p != '+' && *p != '-')
		return false;
	sign = *p == '-' ? -1 : 1;
	p++;
	if (!digits(&p, 2, &hh))
		return false;
	if (*p == ':')
		p++;
	if (*p != '\0' && !digits(&p, 2, &mm))
		return false;
	if (*p != '\0' || hh > 15 || mm > 59)
		return false;
	*offset_s = sign * (hh * 3600 + mm * 60);
	return true;
}

int
ws_target_time_parse(const char *text, int64_t *epoch, struct ws_error *err)
{
	const char *p = text;
	int y, mo, d, h, mi, s, offset;
	bool has_zone;

	if (!digits(&p, 4, &y) || *p++ != '-' || !digits(&p, 2, &mo) || *p++ != '-' ||
		!digits(&p, 2, &d) || (*p != ' ' && *p != 'T') || (p++, !digits(&p, 2, &h)) ||
		*p++ != ':' || !digits(&p, 2, &mi) || *p++ != ':' || !digits(&p, 2, &s))
		goto bad;
	if (*p == '.') {
		p++;
		if (!isdigit((unsigned char) *p))
			goto bad;
		while (isdigit((unsigned char) *p))
			p++;
	}
	if (!parse_zone(p, &has_zone, &offset) || !valid_date(y, mo, d) || h > 23 || mi > 59 || s > 60)
		goto bad;
	if (has_zone) {
		*epoch = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s - offset;
	} else {
		struct tm tm = {0};
		time_t t;

		tm.tm_year = y - 1900;
		tm.tm_mon = mo - 1;
		tm.tm_mday = d;
		tm.tm_hour = h;
		tm.tm_min = mi;
		tm.tm_sec = s;
		tm.tm_isdst = -1;
		if ((t = mktime(&tm)) == (time_t) -1)
			goto bad;
		*epoch = (int64_t) t;
	}
	return WS_OK;

bad:
	return ws_error_set(err, WS_ERR_INVALID,
						"invalid target time \"%s\": expected YYYY-MM-DD HH:MM:SS[+HH:MM]", text);
}
