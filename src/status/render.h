/*
 * render.h — `walship status` output: a table, JSON, Prometheus metrics
 *
 * Pure functions from a collected (and judged) ws_status to text. The
 * Prometheus renderer is also what walshipd serves on /metrics.
 */
#ifndef WALSHIP_STATUS_RENDER_H
#define WALSHIP_STATUS_RENDER_H

#include <stdio.h>

#include "common/buf.h"
#include "status/status.h"

/* For operators: a node block, one row per standby or slot, archive, health. */
void ws_status_render_table(const struct ws_status_report *st, FILE *out);

/* One JSON object on one line; every field present, null when unknown. */
int ws_status_render_json(const struct ws_status_report *st, struct ws_buf *out);

/* Prometheus text exposition format 0.0.4, appended to out. */
int ws_status_render_prometheus(const struct ws_status_report *st, struct ws_buf *out);

/*
 * A label value as the exposition format wants it: backslash, double quote
 * and newline escaped; cut to fit size (twice the value's length plus
 * three always fits).
 */
void ws_prom_escape_label(const char *value, char *buf, size_t size);

#endif
