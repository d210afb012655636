/*
 * health.h — judge a collected status: ok, warning or critical
 *
 * Nagios-style levels (status.h: 0 ok, 1 warning, 2 critical, 3 unknown),
 * which `walship status` uses as its exit code. Pure logic, unit-tested.
 */
#ifndef WALSHIP_STATUS_HEALTH_H
#define WALSHIP_STATUS_HEALTH_H

#include <stdint.h>

#include "config/config.h"
#include "status/status.h"

/* 0 disables a threshold. A value is over a threshold when greater. */
struct ws_health_thresholds {
	int64_t lag_warn_bytes;
	int64_t lag_crit_bytes;
	int64_t lag_warn_seconds;
	int64_t lag_crit_seconds;
	int64_t max_slot_wal_keep;   /* bytes a slot may retain */
};

/* lag-warn, lag-crit, lag-warn-time, lag-crit-time, max-slot-wal-keep */
void ws_health_thresholds_from_config(const struct ws_config *cfg, struct ws_health_thresholds *t);

/*
 * critical: the node is unreachable, a physical slot has no standby
 * connected (a known standby is gone), a slot lost WAL (wal_status lost),
 * replay lag over lag-crit or lag-crit-time;
 * warning: replay lag over lag-warn or lag-warn-time, a slot retaining
 * more than max-slot-wal-keep.
 * Replay lag is every connected standby's (bytes and replay_lag, which
 * PostgreSQL reports as NULL once a standby has caught up: counted as 0)
 * and, on a standby, its own received-but-not-replayed WAL.
 */
void ws_health_eval(const struct ws_status_report *st, const struct ws_health_thresholds *t,
					struct ws_health_report *report);

/* Add an item and raise the report's level; ignored past the maximum. */
void ws_health_add(struct ws_health_report *report, enum ws_health level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
