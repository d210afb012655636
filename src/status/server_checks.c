/*
 * server_checks.c — rules for the settings replication depends on
 */
#include "status/server_checks.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define WS_PG_MIN_VERSION_NUM 150000
#define WS_PG_MAX_VERSION_NUM 159999

void
ws_check_report_add(struct ws_check_report *report, const char *name, enum ws_check_level level,
					const char *fmt, ...)
{
	struct ws_check_item *item;
	va_list ap;

	if (report->count >= WS_CHECK_MAX_ITEMS)
		return;
	item = &report->items[report->count++];
	item->name = name;
	item->level = level;
	va_start(ap, fmt);
	vsnprintf(item->message, sizeof(item->message), fmt, ap);
	va_end(ap);
}

static void
check_version(const struct ws_pg_server_info *info, struct ws_check_report *report)
{
	if (info->version_num < WS_PG_MIN_VERSION_NUM || info->version_num > WS_PG_MAX_VERSION_NUM)
		ws_check_report_add(report, "server_version", WS_CHECK_ERROR,
			"PostgreSQL %s is not supported: walship supports PostgreSQL 15", info->version);
	else
		ws_check_report_add(report, "server_version", WS_CHECK_OK, "PostgreSQL %s is supported", info->version);
}

static void
check_wal_level(const struct ws_pg_server_info *info, struct ws_check_report *report)
{
	if (strcmp(info->wal_level, "minimal") == 0)
		ws_check_report_add(report, "wal_level", WS_CHECK_ERROR,
			"wal_level = minimal does not write enough WAL for replication or archiving: set it to replica");
	else
		ws_check_report_add(report, "wal_level", WS_CHECK_OK, "wal_level = %s", info->wal_level);
}

static void
check_senders(const struct ws_pg_server_info *info, struct ws_check_report *report)
{
	if (info->max_wal_senders == 0)
		ws_check_report_add(report, "max_wal_senders", WS_CHECK_ERROR,
			"max_wal_senders = 0 allows no standby or WAL receiver to connect");
	else if (info->max_wal_senders < 2)
		ws_check_report_add(report, "max_wal_senders", WS_CHECK_WARNING,
			"max_wal_senders = %d leaves no sender for a base backup next to a standby",
			info->max_wal_senders);
	else
		ws_check_report_add(report, "max_wal_senders", WS_CHECK_OK, "max_wal_senders = %d", info->max_wal_senders);
}

static void
check_slots(const struct ws_pg_server_info *info, struct ws_check_report *report)
{
	if (info->max_replication_slots == 0)
		ws_check_report_add(report, "max_replication_slots", WS_CHECK_WARNING,
			"max_replication_slots = 0: standbys and the WAL receiver cannot use slots, so the primary may remove WAL they still need");
	else
		ws_check_report_add(report, "max_replication_slots", WS_CHECK_OK, "max_replication_slots = %d",
			info->max_replication_slots);
}

static void
check_archiving(const struct ws_pg_server_info *info, struct ws_check_report *report)
{
	if (strcmp(info->archive_mode, "off") == 0)
		ws_check_report_add(report, "archive_mode", WS_CHECK_WARNING,
			"archive_mode = off: WAL is not archived to the repository");
	else if (info->role == WS_PG_STANDBY && strcmp(info->archive_mode, "on") == 0)
		ws_check_report_add(report, "archive_mode", WS_CHECK_OK,
			"archive_mode = on: this standby archives nothing until it is promoted");
	else
		ws_check_report_add(report, "archive_mode", WS_CHECK_OK, "archive_mode = %s", info->archive_mode);
}

static void
check_rewind(const struct ws_pg_server_info *info, struct ws_check_report *report)
{
	if (!info->full_page_writes)
		ws_check_report_add(report, "full_page_writes", WS_CHECK_ERROR,
			"full_page_writes = off: base backups and pg_rewind are unsafe");
	if (!info->wal_log_hints && !info->data_checksums)
		ws_check_report_add(report, "wal_log_hints", WS_CHECK_WARNING,
			"neither wal_log_hints nor data checksums are on: a failed primary cannot rejoin with pg_rewind");
	else
		ws_check_report_add(report, "wal_log_hints", WS_CHECK_OK, "pg_rewind can be used (%s)",
			info->data_checksums ? "data checksums" : "wal_log_hints = on");
}

static void
check_standby(const struct ws_pg_server_info *info, struct ws_check_report *report)
{
	if (info->role != WS_PG_STANDBY)
		return;
	if (!info->hot_standby)
		ws_check_report_add(report, "hot_standby", WS_CHECK_WARNING,
			"hot_standby = off: the standby accepts no read-only queries");
	if (!info->primary_conninfo_known)
		ws_check_report_add(report, "primary_conninfo", WS_CHECK_WARNING,
			"primary_conninfo is hidden from this role: grant it pg_monitor (or pg_read_all_settings)");
	else if (!info->primary_conninfo_set)
		ws_check_report_add(report, "primary_conninfo", WS_CHECK_WARNING,
			"primary_conninfo is empty: the standby replays only archived WAL and does not stream");
	if (!info->can_read_stats)
		ws_check_report_add(report, "wal_receiver", WS_CHECK_WARNING,
			"WAL receiver state is hidden from this role: grant it pg_monitor (or pg_read_all_stats)");
	else if (!info->primary_conninfo_set)
		return;
	else if (strcmp(info->wal_receiver_status, "streaming") != 0)
		ws_check_report_add(report, "wal_receiver", WS_CHECK_WARNING, "WAL receiver is %s, not streaming",
			info->wal_receiver_status[0] != '\0' ? info->wal_receiver_status : "not running");
	else
		ws_check_report_add(report, "wal_receiver", WS_CHECK_OK, "streaming from the primary");
}

void
ws_server_checks_run(const struct ws_pg_server_info *info, struct ws_check_report *report)
{
	memset(report, 0, sizeof(*report));
	check_version(info, report);
	check_wal_level(info, report);
	check_senders(info, report);
	check_slots(info, report);
	check_archiving(info, report);
	check_rewind(info, report);
	check_standby(info, report);
}

enum ws_check_level
ws_check_report_level(const struct ws_check_report *report)
{
	enum ws_check_level worst = WS_CHECK_OK;

	for (int i = 0; i < report->count; i++) {
		if (report->items[i].level > worst)
			worst = report->items[i].level;
	}
	return worst;
}

const char *
ws_check_level_name(enum ws_check_level level)
{
	switch (level) {
	case WS_CHECK_OK: return "ok";
	case WS_CHECK_WARNING: return "warning";
	case WS_CHECK_ERROR: return "error";
	}
	return "unknown";
}
