/*
 * archive_list.h — what the archive holds, per cluster and timeline
 */
#ifndef WALSHIP_ARCHIVE_ARCHIVE_LIST_H
#define WALSHIP_ARCHIVE_ARCHIVE_LIST_H

#include <stdint.h>

#include "archive/archive.h"
#include "wal/segment.h"

#define WS_ARCHIVE_LIST_MAX_RANGES 256

struct ws_wal_range {
	int db_id;
	uint32_t tli;
	char first[WS_WAL_FNAME_BUFLEN];
	char last[WS_WAL_FNAME_BUFLEN];
	uint64_t count;             /* segments */
	uint64_t stored_bytes;      /* on the repository */
	uint64_t history_files;     /* <tli>.history of this timeline */
	uint64_t other_files;       /* .partial and .backup */
};

struct ws_archive_summary {
	struct ws_wal_range ranges[WS_ARCHIVE_LIST_MAX_RANGES];
	int nranges;
};

/* Sorted by cluster id, then timeline. */
int ws_archive_summarize(struct ws_storage *repo, const struct ws_stanza_info *stanza,
						 struct ws_archive_summary *sum, struct ws_error *err);

#endif
