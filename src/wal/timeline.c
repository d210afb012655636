/*
 * timeline.c — parse a timeline history file (see timeline.h)
 *
 * PostgreSQL reads these with sscanf("%u\t%X/%X") and ignores what follows;
 * we insist on each field being well formed, since a history file
 * fetched from a repository may be damaged and a wrong switchpoint would
 * send recovery down the wrong timeline.
 */
#include "common/str.h"
#include "wal/timeline.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define HISTORY_ERROR_PREFIX "invalid data in history file at line %zu: "

/* What a parsed line says: skip it, or a parent timeline and its end. */
struct history_line {
	bool		skip;
	uint32_t	tli;
	ws_lsn		switchpoint;
};

static bool
is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

static size_t
skip_blanks(const char *s, size_t i, size_t n)
{
	while (i < n && is_blank(s[i]))
		i++;
	return i;
}

static size_t
field_end(const char *s, size_t i, size_t n)
{
	while (i < n && !is_blank(s[i]))
		i++;
	return i;
}

/* Decimal digits only: sscanf's %u would also take signs and blanks. */
static bool
parse_tli(const char *s, size_t n, uint32_t *out)
{
	uint64_t	value = 0;
	size_t		i;

	if (n == 0)
		return false;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		value = value * 10 + (uint64_t) (s[i] - '0');
		if (value > UINT32_MAX)
			return false;
	}
	*out = (uint32_t) value;
	return true;
}

static int
parse_line(const char *s, size_t n, size_t lineno, struct history_line *line,
		   struct ws_error *err)
{
	char		shown[WS_STR_QUOTE_BUFLEN];
	size_t		start;
	size_t		end;

	line->skip = false;
	start = skip_blanks(s, 0, n);
	if (start == n || s[start] == '#') {
		line->skip = true;
		return WS_OK;
	}

	end = field_end(s, start, n);
	if (!parse_tli(s + start, end - start, &line->tli))
		return ws_error_set(err, WS_ERR_CORRUPT,
							HISTORY_ERROR_PREFIX "invalid timeline ID \"%s\"",
							lineno,
							ws_str_quote(s + start, end - start,
										 shown, sizeof(shown)));
	if (line->tli == 0)
		return ws_error_set(err, WS_ERR_CORRUPT,
							HISTORY_ERROR_PREFIX "timeline ID 0 is invalid",
							lineno);

	start = skip_blanks(s, end, n);
	if (start == n)
		return ws_error_set(err, WS_ERR_CORRUPT,
							HISTORY_ERROR_PREFIX "missing switchpoint after timeline ID %u",
							lineno, line->tli);
	end = field_end(s, start, n);
	if (ws_lsn_parse_len(s + start, end - start, &line->switchpoint, err) != WS_OK)
		return ws_error_set(err, WS_ERR_CORRUPT,
							HISTORY_ERROR_PREFIX "invalid switchpoint \"%s\"",
							lineno,
							ws_str_quote(s + start, end - start,
										 shown, sizeof(shown)));
	if (line->switchpoint == WS_LSN_INVALID)
		return ws_error_set(err, WS_ERR_CORRUPT,
							HISTORY_ERROR_PREFIX "switchpoint 0/0 is invalid",
							lineno);

	/* the rest of the line is the reason, free text */
	return WS_OK;
}

static int
append_entry(struct ws_tli_history *hist, size_t *cap, uint32_t tli,
			 ws_lsn begin, ws_lsn end, struct ws_error *err)
{
	if (hist->count == *cap) {
		size_t		newcap = *cap ? *cap * 2 : 8;
		struct ws_tli_entry *grown;

		if (newcap > SIZE_MAX / sizeof(*grown))
			return ws_error_set(err, WS_ERR_NOMEM, "out of memory");
		grown = realloc(hist->entries, newcap * sizeof(*grown));
		if (grown == NULL)
			return ws_error_set(err, WS_ERR_NOMEM, "out of memory");
		hist->entries = grown;
		*cap = newcap;
	}
	hist->entries[hist->count].tli = tli;
	hist->entries[hist->count].begin = begin;
	hist->entries[hist->count].end = end;
	hist->count++;
	return WS_OK;
}

/* 1-based line number of byte offset pos. */
static size_t
line_of(const char *text, size_t pos)
{
	size_t		lineno = 1;
	size_t		i;

	for (i = 0; i < pos; i++) {
		if (text[i] == '\n')
			lineno++;
	}
	return lineno;
}

int
ws_tli_history_parse(const char *text, size_t len, uint32_t target_tli,
					 struct ws_tli_history *out, struct ws_error *err)
{
	struct ws_tli_history hist = {0, NULL};
	size_t		cap = 0;
	size_t		pos = 0;
	size_t		lineno = 0;
	ws_lsn		prevend = WS_LSN_INVALID;
	const char *nul;
	int			rc;

	out->count = 0;
	out->entries = NULL;

	if (target_tli == 0)
		return ws_error_set(err, WS_ERR_INVALID,
							"invalid target timeline ID 0 for history file");
	if (len > WS_TLI_HISTORY_MAX_BYTES)
		return ws_error_set(err, WS_ERR_TOO_LARGE,
							"history file is too large: %zu bytes, maximum is %d",
							len, WS_TLI_HISTORY_MAX_BYTES);
	if (text == NULL && len > 0)
		return ws_error_set(err, WS_ERR_INVALID, "history file text is missing");

	nul = len > 0 ? memchr(text, '\0', len) : NULL;
	if (nul != NULL)
		return ws_error_set(err, WS_ERR_CORRUPT,
							HISTORY_ERROR_PREFIX "unexpected NUL byte",
							line_of(text, (size_t) (nul - text)));

	while (pos < len) {
		const char *eol = memchr(text + pos, '\n', len - pos);
		size_t		stop = eol ? (size_t) (eol - text) : len;
		struct history_line line;
		char		a[WS_LSN_STRLEN];
		char		b[WS_LSN_STRLEN];

		lineno++;
		rc = parse_line(text + pos, stop - pos, lineno, &line, err);
		pos = eol ? stop + 1 : len;
		if (rc != WS_OK)
			goto fail;
		if (line.skip)
			continue;

		if (hist.count > 0 && line.tli <= hist.entries[hist.count - 1].tli) {
			rc = ws_error_set(err, WS_ERR_CORRUPT,
							  HISTORY_ERROR_PREFIX "timeline IDs must be in increasing sequence, %u follows %u",
							  lineno, line.tli,
							  hist.entries[hist.count - 1].tli);
			goto fail;
		}
		if (line.tli >= target_tli) {
			rc = ws_error_set(err, WS_ERR_CORRUPT,
							  HISTORY_ERROR_PREFIX "timeline ID %u must be less than the history's timeline %u",
							  lineno, line.tli, target_tli);
			goto fail;
		}
		if (line.switchpoint < prevend) {
			ws_lsn_format(line.switchpoint, a);
			ws_lsn_format(prevend, b);
			rc = ws_error_set(err, WS_ERR_CORRUPT,
							  HISTORY_ERROR_PREFIX "switchpoint %s is before the previous switchpoint %s",
							  lineno, a, b);
			goto fail;
		}

		rc = append_entry(&hist, &cap, line.tli, prevend, line.switchpoint, err);
		if (rc != WS_OK)
			goto fail;
		prevend = line.switchpoint;
	}

	/* the target timeline has no line of its own: it is the open tip */
	rc = append_entry(&hist, &cap, target_tli, prevend, WS_LSN_INVALID, err);
	if (rc != WS_OK)
		goto fail;

	*out = hist;
	return WS_OK;

fail:
	ws_tli_history_free(&hist);
	return rc;
}

void
ws_tli_history_free(struct ws_tli_history *hist)
{
	if (hist == NULL)
		return;
	free(hist->entries);
	hist->entries = NULL;
	hist->count = 0;
}

uint32_t
ws_tli_history_tli_of(const struct ws_tli_history *hist, ws_lsn lsn)
{
	size_t		i;

	if (hist == NULL || hist->entries == NULL)
		return 0;
	for (i = 0; i < hist->count; i++) {
		const struct ws_tli_entry *e = &hist->entries[i];

		if (lsn >= e->begin && (e->end == WS_LSN_INVALID || lsn < e->end))
			return e->tli;
	}
	return 0;
}
