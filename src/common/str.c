/*
 * str.c — bounded string helpers and strict parsers (see str.h)
 */
#include "common/str.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "common/error.h"

size_t
ws_strlcpy(char *dst, const char *src, size_t size)
{
	size_t srclen = strlen(src);

	if (size > 0) {
		size_t n = srclen < size - 1 ? srclen : size - 1;

		memcpy(dst, src, n);
		dst[n] = '\0';
	}
	return srclen;
}

int
ws_snprintf(char *dst, size_t size, const char *fmt, ...)
{
	int saved_errno = errno;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(dst, size, fmt, ap);
	va_end(ap);
	errno = saved_errno;

	if (n < 0) {
		/* contents are unspecified after an encoding error */
		if (size > 0)
			dst[0] = '\0';
		return WS_ERR_INVALID;
	}
	if ((size_t) n >= size)
		return WS_ERR_TOO_LARGE;
	return WS_OK;
}

bool
ws_str_has_prefix(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

bool
ws_str_has_suffix(const char *s, const char *suffix)
{
	size_t slen = strlen(s);
	size_t suflen = strlen(suffix);

	return suflen <= slen && memcmp(s + slen - suflen, suffix, suflen) == 0;
}

/*
 * Parse a run of digits that must make up the rest of the string into an
 * unsigned magnitude. Overflow of uint64_t is still "a number", only too
 * large, so it is reported separately from malformed input.
 */
static int
parse_digits(const char *p, uint64_t *out)
{
	uint64_t v = 0;
	bool overflow = false;

	if (*p == '\0')
		return WS_ERR_INVALID;
	for (; *p != '\0'; p++) {
		unsigned d;

		if (*p < '0' || *p > '9')
			return WS_ERR_INVALID;
		d = (unsigned) (*p - '0');
		if (v > (UINT64_MAX - d) / 10)
			overflow = true;	/* keep scanning: junk still wins */
		else
			v = v * 10 + d;
	}
	if (overflow)
		return WS_ERR_TOO_LARGE;
	*out = v;
	return WS_OK;
}

int
ws_parse_int64(const char *text, int64_t min, int64_t max, int64_t *out)
{
	bool negative = false;
	uint64_t mag;
	int64_t v;
	int rc;

	if (text == NULL)
		return WS_ERR_INVALID;
	if (*text == '-') {
		negative = true;
		text++;
	}
	rc = parse_digits(text, &mag);
	if (rc != WS_OK)
		return rc;

	if (negative) {
		/* INT64_MIN's magnitude is one more than INT64_MAX */
		if (mag > (uint64_t) INT64_MAX + 1)
			return WS_ERR_TOO_LARGE;
		v = mag == (uint64_t) INT64_MAX + 1 ? INT64_MIN : -(int64_t) mag;
	} else {
		if (mag > (uint64_t) INT64_MAX)
			return WS_ERR_TOO_LARGE;
		v = (int64_t) mag;
	}
	if (v < min || v > max)
		return WS_ERR_TOO_LARGE;
	*out = v;
	return WS_OK;
}

int
ws_parse_uint64(const char *text, uint64_t *out)
{
	if (text == NULL)
		return WS_ERR_INVALID;
	return parse_digits(text, out);
}

bool
ws_parse_bool(const char *text, bool *out)
{
	static const struct {
		const char *name;
		bool value;
	} names[] = {
		{"on", true}, {"off", false},
		{"true", true}, {"false", false},
		{"yes", true}, {"no", false},
		{"1", true}, {"0", false},
	};

	if (text == NULL)
		return false;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcasecmp(text, names[i].name) == 0) {
			*out = names[i].value;
			return true;
		}
	}
	return false;
}

static bool
is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' ||
		c == '\v' || c == '\f';
}

void
ws_str_oneline(char *s)
{
	size_t w = 0;
	bool pending_space = false;

	/* w never passes r: a pending space stands for at least one skipped byte */
	for (size_t r = 0; s[r] != '\0'; r++) {
		if (is_blank(s[r])) {
			if (w > 0)
				pending_space = true;
			continue;
		}
		if (pending_space) {
			s[w++] = ' ';
			pending_space = false;
		}
		s[w++] = s[r];
	}
	s[w] = '\0';
}

const char *
ws_str_quote(const char *text, size_t len, char *buf, size_t bufsize)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t		o = 0;
	size_t		i;

	if (buf == NULL || bufsize < 8)
		return "";
	if (text == NULL)
		len = 0;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char) text[i];
		char		rep[4];
		size_t		n = 0;

		if (c == '"' || c == '\\') {
			rep[n++] = '\\';
			rep[n++] = (char) c;
		} else if (c >= 0x20 && c < 0x7F)
			rep[n++] = (char) c;
		else {
			rep[n++] = '\\';
			rep[n++] = 'x';
			rep[n++] = hex[c >> 4];
			rep[n++] = hex[c & 0xF];
		}

		/* unless this is the last byte, keep room for "..." and the NUL */
		if (o + n + (i + 1 < len ? 4 : 1) > bufsize) {
			memcpy(buf + o, "...", 3);
			o += 3;
			break;
		}
		memcpy(buf + o, rep, n);
		o += n;
	}
	buf[o] = '\0';
	return buf;
}
