/*
 * target.h — recovery targets as the operator writes them
 */
#ifndef WALSHIP_BACKUP_TARGET_H
#define WALSHIP_BACKUP_TARGET_H

#include <stdint.h>

#include "common/error.h"

/*
 * A timestamp in the forms PostgreSQL accepts for recovery_target_time
 * and people type: "YYYY-MM-DD HH:MM:SS" (or 'T' between), optional
 * fraction, then a zone: "Z", "UTC", "+HH", "+HHMM", "+HH:MM" (or '-').
 * Without a zone the time is local (TZ), as PostgreSQL would read it with
 * the same timezone setting. Fractions are dropped (rounded down).
 * WS_ERR_INVALID for anything else, or an impossible date.
 */
int ws_target_time_parse(const char *text, int64_t *epoch, struct ws_error *err);

#endif
