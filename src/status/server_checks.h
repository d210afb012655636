/*
 * server_checks.h — judge a server's settings for replication
 *
 * Pure logic over ws_pg_server_info, so every rule is unit-tested without a
 * server. An "error" means replication or archiving cannot work; a
 * "warning" means it works but an operator should know.
 */
#ifndef WALSHIP_STATUS_SERVER_CHECKS_H
#define WALSHIP_STATUS_SERVER_CHECKS_H

#include "pg/server.h"

enum ws_check_level {
	WS_CHECK_OK,
	WS_CHECK_WARNING,
	WS_CHECK_ERROR
};

#define WS_CHECK_MAX_ITEMS 16

struct ws_check_item {
	const char *name;              /* the setting, e.g. "wal_level" */
	enum ws_check_level level;
	char message[256];
};

struct ws_check_report {
	struct ws_check_item items[WS_CHECK_MAX_ITEMS];
	int count;
};

/* Add an item; silently ignored past WS_CHECK_MAX_ITEMS. */
void ws_check_report_add(struct ws_check_report *report, const char *name,
						 enum ws_check_level level, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

void ws_server_checks_run(const struct ws_pg_server_info *info, struct ws_check_report *report);
/* The worst level in the report. */
enum ws_check_level ws_check_report_level(const struct ws_check_report *report);
const char *ws_check_level_name(enum ws_check_level level);

#endif
