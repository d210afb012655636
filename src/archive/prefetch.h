/*
 * prefetch.h — archive-get's read-ahead (archive-get-queue-max)
 *
 * Recovery asks for segments one at a time, each a round trip to the
 * repository. After serving segment N, a detached worker fetches the
 * segments after N on the same timeline in parallel (process-max threads),
 * decodes and verifies them exactly as archive-get would, and writes them
 * durably to <spool-path>/<stanza>/get/<segment>.<sha256>, as many as
 * archive-get-queue-max allows, stopping at the first one the repository
 * does not have. The next archive-get checks its segment's SHA-256 and
 * renames it into place (a durable copy when the spool is on another file
 * system; put the spool on the file system of PGDATA); a copy that does not
 * match is dropped and fetched from the repository. History files are
 * never prefetched.
 */
#ifndef WALSHIP_ARCHIVE_PREFETCH_H
#define WALSHIP_ARCHIVE_PREFETCH_H

#include "archive/archive.h"
#include "config/config.h"

/*
 * archive-get with read-ahead: serve walname from the spool when it was
 * prefetched, else from the repository, then start read-ahead from it.
 */
int ws_archive_get_prefetched(const struct ws_config *cfg, struct ws_archive *a,
							  const char *walname, const char *dest, struct ws_error *err);

/* The worker's body (exposed for tests): fetch what follows walname. */
int ws_prefetch_run(const struct ws_config *cfg, struct ws_log *log, const char *walname,
					struct ws_error *err);

#endif
