/*
 * get_partial.h — archive-get --partial: the newest, incomplete segment
 *
 * A receiver (walship receive) keeps the segment it is writing as
 * "<name>.partial" in the stream directory, and stores the last segment of
 * an ended timeline as a "<name>.partial" object. When the repository has
 * no complete copy of a segment, `archive-get --partial` serves one of
 * those, so that a cluster recovered from the repository alone after the
 * primary is lost replays up to the last commit the receiver flushed.
 * Only for recovery that must end there: the segment is incomplete, and
 * PostgreSQL will then ask for the next one, not find it and finish
 * recovery (promoting to a new timeline).
 */
#ifndef WALSHIP_ARCHIVE_GET_PARTIAL_H
#define WALSHIP_ARCHIVE_GET_PARTIAL_H

#include "archive/archive.h"
#include "config/config.h"

/* The receiver's stream directory: in the repository when it is posix, else in the spool. */
int ws_archive_stream_dir(const struct ws_config *cfg, char *buf, size_t size, struct ws_error *err);

/*
 * Restore segment walname into dest from the stream directory's partial
 * file, else from the repository's "<walname>.partial" object.
 * WS_ERR_NOT_FOUND when neither exists.
 */
int ws_archive_get_partial(struct ws_archive *a, const char *stream_dir, const char *walname,
						   const char *dest, struct ws_error *err);

#endif
