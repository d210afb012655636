/*
 * timeline.h — parse a timeline history file ("00000003.history")
 *
 * Each line is "parentTLI <tab> switchpoint <tab> reason", as PostgreSQL
 * writes it when a standby is promoted. We read it the way PostgreSQL's
 * readTimeLineHistory() does, but stricter, and list the result oldest
 * first, ending with the target timeline itself.
 */
#ifndef WALSHIP_WAL_TIMELINE_H
#define WALSHIP_WAL_TIMELINE_H

#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "wal/lsn.h"

/* Timeline tli holds WAL in [begin, end); end is WS_LSN_INVALID for the last. */
struct ws_tli_entry {
	uint32_t tli;
	ws_lsn begin;
	ws_lsn end;
};

struct ws_tli_history {
	size_t count;
	struct ws_tli_entry *entries;
};

#define WS_TLI_HISTORY_MAX_BYTES (1024 * 1024)

/*
 * Parse len bytes of text (need not be NUL-terminated) as the history of
 * target_tli. On success *out owns memory to release with
 * ws_tli_history_free; on failure *out is empty.
 */
int ws_tli_history_parse(const char *text, size_t len, uint32_t target_tli,
						 struct ws_tli_history *out, struct ws_error *err);

void ws_tli_history_free(struct ws_tli_history *hist);

/* The timeline whose range contains lsn, 0 if none does. */
uint32_t ws_tli_history_tli_of(const struct ws_tli_history *hist, ws_lsn lsn);

#endif
