/*
 * json_lsn.c — an LSN as a JSON field (json_lsn.h)
 */
#include "status/json_lsn.h"

void
ws_json_lsn(struct ws_json *j, const char *key, ws_lsn lsn)
{
	char text[WS_LSN_STRLEN];

	if (lsn == WS_LSN_INVALID) {
		ws_json_null(j, key);
		return;
	}
	ws_lsn_format(lsn, text);
	ws_json_string(j, key, text);
}
