/*
 * fuzz_wal.c — fuzz target for the WAL parsers that read untrusted input
 *
 * The first byte picks the parser, the rest is its input, so one corpus
 * serves all of them. Built with libFuzzer by `configure --enable-fuzzing`
 * (clang), and with driver.c as a plain program that replays the corpus
 * in `make check`.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "wal/lsn.h"
#include "wal/page.h"
#include "wal/segment.h"
#include "wal/timeline.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fuzz_lsn(const char *text, size_t len)
{
	struct ws_error err;
	char back[WS_LSN_STRLEN];
	ws_lsn lsn;
	ws_lsn again;

	if (ws_lsn_parse_len(text, len, &lsn, &err) != WS_OK)
		return;
	/* whatever parses must format and parse back to the same value */
	ws_lsn_format(lsn, back);
	if (ws_lsn_parse(back, &again, &err) != WS_OK || again != lsn)
		abort();
}

static void
fuzz_segment(const char *text, uint32_t segsize)
{
	char back[WS_WAL_FNAME_BUFLEN];
	struct ws_error err;
	uint32_t tli;
	ws_segno segno;

	if (ws_wal_segment_parse(text, segsize, &tli, &segno, &err) != WS_OK)
		return;
	if (ws_wal_segment_name(tli, segno, segsize, back, &err) != WS_OK || strcmp(back, text) != 0)
		abort();
}

static void
fuzz_history(const char *text, size_t len, uint32_t target)
{
	struct ws_tli_history hist;
	struct ws_error err;

	if (ws_tli_history_parse(text, len, target, &hist, &err) != WS_OK)
		return;
	if (hist.count == 0 || hist.entries[hist.count - 1].tli != target)
		abort();
	(void) ws_tli_history_tli_of(&hist, 0);
	ws_tli_history_free(&hist);
}

static void
fuzz_header(const uint8_t *data, size_t size)
{
	struct ws_wal_long_header h;
	struct ws_wal_expect expect;
	struct ws_error err;

	if (ws_wal_long_header_decode(data, size, &h, &err) != WS_OK)
		return;
	memset(&expect, 0, sizeof(expect));
	(void) ws_wal_long_header_check(&h, &expect, &err);
	expect.sysid = 1;
	expect.seg_size = WS_WAL_SEGSIZE_DEFAULT;
	expect.max_tli = 1;
	expect.check_pageaddr = true;
	(void) ws_wal_long_header_check(&h, &expect, &err);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text;

	if (size < 1)
		return 0;
	/* string parsers get a NUL-terminated copy, as callers pass them */
	text = malloc(size);
	if (text == NULL)
		return 0;
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0';
	switch (data[0] % 4) {
	case 0:
		fuzz_lsn(text, size - 1);
		break;
	case 1:
		fuzz_segment(text, WS_WAL_SEGSIZE_MIN << (data[0] / 4 % 11));
		break;
	case 2:
		fuzz_history(text, size - 1, 1 + data[0] / 4);
		break;
	case 3:
		fuzz_header(data + 1, size - 1);
		break;
	}
	free(text);
	return 0;
}
