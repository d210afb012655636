/*
 * check_render.h — `walship check` output as a table or JSON
 */
#ifndef WALSHIP_STATUS_CHECK_RENDER_H
#define WALSHIP_STATUS_CHECK_RENDER_H

#include <stdbool.h>
#include <stdio.h>

#include "common/buf.h"
#include "pg/server.h"
#include "status/server_checks.h"

struct ws_check_view {
	const char *target;     /* "127.0.0.1:5432" */
	bool tls;
	const struct ws_pg_server_info *info;
	const struct ws_check_report *report;
};

void ws_check_render_table(const struct ws_check_view *view, FILE *out);
/* One compact JSON object and a newline, appended to out. */
int ws_check_render_json(const struct ws_check_view *view, struct ws_buf *out);

#endif
