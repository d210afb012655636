/*
 * push_remote.h — synchronous archive-push to a remote repository
 *
 * To S3 a push pays connect, TLS, GET stanza.info and HEAD before its PUT:
 * at 20 ms round trips that takes as long as compressing the segment. So
 * a second thread opens the archive and asks whether the object exists
 * while this one reads, compresses and hashes. The segment is verified
 * against the stanza once both are done, before anything is stored, with
 * the same checks and errors as ws_archive_push. An encrypted stanza takes
 * the plain path: its key comes from the stanza.
 */
#ifndef WALSHIP_ARCHIVE_PUSH_REMOTE_H
#define WALSHIP_ARCHIVE_PUSH_REMOTE_H

#include "archive/archive.h"

int ws_archive_push_remote(const struct ws_config *cfg, struct ws_log *log, const char *path,
						   struct ws_push_result *res, struct ws_error *err);

#endif
