/*
 * json_lsn.h — an LSN as a JSON field, for the check and status renderers
 */
#ifndef WALSHIP_STATUS_JSON_LSN_H
#define WALSHIP_STATUS_JSON_LSN_H

#include "common/json.h"
#include "wal/lsn.h"

/* "X/Y" as PostgreSQL writes it; null for WS_LSN_INVALID. */
void ws_json_lsn(struct ws_json *j, const char *key, ws_lsn lsn);

#endif
