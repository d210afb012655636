/*
 * health.c — rules for `walship status` (see health.h)
 */
#include "status/health.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void
ws_health_thresholds_from_config(const struct ws_config *cfg, struct ws_health_thresholds *t)
{
	t->lag_warn_bytes = ws_config_int(cfg, WS_OPT_LAG_WARN);
	t->lag_crit_bytes = ws_config_int(cfg, WS_OPT_LAG_CRIT);
	t->lag_warn_seconds = ws_config_int(cfg, WS_OPT_LAG_WARN_TIME);
	t->lag_crit_seconds = ws_config_int(cfg, WS_OPT_LAG_CRIT_TIME);
	t->max_slot_wal_keep = ws_config_int(cfg, WS_OPT_MAX_SLOT_WAL_KEEP);
}

void
ws_health_add(struct ws_health_report *report, enum ws_health level, const char *fmt, ...)
{
	struct ws_health_item *item;
	va_list ap;

	if (level > report->level)
		report->level = level;
	if (report->count >= WS_STATUS_HEALTH_MAX_ITEMS)
		return;
	item = &report->items[report->count++];
	item->level = level;
	va_start(ap, fmt);
	vsnprintf(item->message, sizeof(item->message), fmt, ap);
	va_end(ap);
}

static bool
over(int64_t value, int64_t threshold)
{
	return threshold > 0 && value > threshold;
}

/* Replay lag in bytes of `who` against lag-warn / lag-crit. */
static void
check_lag_bytes(struct ws_health_report *report, const struct ws_health_thresholds *t,
				const char *who, int64_t bytes)
{
	char lag[32];
	char limit[32];

	if (bytes < 0)
		return;
	ws_status_format_bytes(bytes, lag, sizeof(lag));
	if (over(bytes, t->lag_crit_bytes)) {
		ws_status_format_bytes(t->lag_crit_bytes, limit, sizeof(limit));
		ws_health_add(report, WS_HEALTH_CRITICAL, "%s: replay lag %s is over lag-crit %s", who, lag, limit);
	} else if (over(bytes, t->lag_warn_bytes)) {
		ws_status_format_bytes(t->lag_warn_bytes, limit, sizeof(limit));
		ws_health_add(report, WS_HEALTH_WARNING, "%s: replay lag %s is over lag-warn %s", who, lag, limit);
	}
}

static void
check_lag_time(struct ws_health_report *report, const struct ws_health_thresholds *t,
			   const char *who, int64_t ms)
{
	/* NULL replay_lag: the standby has caught up and sent nothing new */
	if (ms < 0)
		return;
	if (t->lag_crit_seconds > 0 && ms > t->lag_crit_seconds * 1000)
		ws_health_add(report, WS_HEALTH_CRITICAL, "%s: replay lag %.1f s is over lag-crit-time %" PRId64 " s",
					  who, (double) ms / 1000.0, t->lag_crit_seconds);
	else if (t->lag_warn_seconds > 0 && ms > t->lag_warn_seconds * 1000)
		ws_health_add(report, WS_HEALTH_WARNING, "%s: replay lag %.1f s is over lag-warn-time %" PRId64 " s",
					  who, (double) ms / 1000.0, t->lag_warn_seconds);
}

static void
check_slot(struct ws_health_report *report, const struct ws_health_thresholds *t,
		   const struct ws_status_standby *sb)
{
	char retained[32];
	char limit[32];

	ws_status_format_bytes(sb->slot_retained_bytes, retained, sizeof(retained));
	if (sb->stopped)
		ws_health_add(report, WS_HEALTH_CRITICAL,
					  "slot \"%s\" has no standby connected (the standby is down or gone); it retains %s of WAL",
					  sb->slot, retained);
	if (strcmp(sb->slot_wal_status, "lost") == 0)
		ws_health_add(report, WS_HEALTH_CRITICAL,
					  "slot \"%s\" has lost WAL its standby needs (wal_status lost): rebuild the standby",
					  sb->slot);
	if (over(sb->slot_retained_bytes, t->max_slot_wal_keep)) {
		ws_status_format_bytes(t->max_slot_wal_keep, limit, sizeof(limit));
		ws_health_add(report, WS_HEALTH_WARNING, "slot \"%s\" retains %s of WAL, over max-slot-wal-keep %s",
					  sb->slot, retained, limit);
	}
}

void
ws_health_eval(const struct ws_status_report *st, const struct ws_health_thresholds *t,
			   struct ws_health_report *report)
{
	char who[WS_STATUS_NAME_MAX + 16];

	memset(report, 0, sizeof(*report));
	report->level = WS_HEALTH_OK;
	if (!st->node.up) {
		ws_health_add(report, WS_HEALTH_CRITICAL, "server unreachable%s%s: %s",
					  st->node.target[0] ? " at " : "", st->node.target,
					  st->node.error[0] ? st->node.error : "no answer");
		return;
	}
	if (st->node.role == WS_PG_STANDBY)
		check_lag_bytes(report, t, "this standby", st->node.replay_lag_bytes);
	for (int i = 0; i < st->nstandbys; i++) {
		const struct ws_status_standby *sb = &st->standbys[i];

		snprintf(who, sizeof(who), "standby \"%s\"", sb->name);
		if (!sb->stopped) {
			check_lag_bytes(report, t, who, sb->replay_lag_bytes);
			check_lag_time(report, t, who, sb->replay_lag_ms);
		}
		if (sb->slot[0] != '\0')
			check_slot(report, t, sb);
	}
}
