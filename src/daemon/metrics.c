/*
 * metrics.c — sample, render and publish walshipd's metrics (see metrics.h)
 */
#include "daemon/metrics.h"

#include <stdlib.h>
#include <string.h>

#include "common/listen_addr.h"
#include "common/str.h"
#include "daemon/http.h"
#include "repl/syncmgr.h"
#include "status/collect.h"
#include "status/health.h"
#include "status/render.h"

#define COMPONENT "metrics"

/* metrics-listen as the canonical address; *addr is unset when empty */
static int
configured_address(const struct ws_config *cfg, struct ws_listen_addr *addr, char *text, size_t size,
				   struct ws_error *err)
{
	const char *value = ws_config_str(cfg, WS_OPT_METRICS_LISTEN);
	int rc;

	text[0] = '\0';
	if (value == NULL || value[0] == '\0')
		return WS_OK;
	/* validated with the configuration already; this is for the canonical form */
	rc = ws_listen_addr_parse(value, addr, err);
	if (rc != WS_OK)
		return ws_error_prefix(err, "invalid value \"%s\" for option \"metrics-listen\"", value);
	ws_listen_addr_format(addr, text, size);
	return WS_OK;
}

int
ws_metrics_start(struct ws_metrics *m, const struct ws_config *cfg, struct ws_log *log,
				 struct ws_error *err)
{
	struct ws_listen_addr addr;
	int rc;

	memset(m, 0, sizeof(*m));
	ws_buf_init(&m->text, WS_METRICS_HTTP_BODY_MAX);
	m->histogram = malloc(sizeof(*m->histogram));
	m->report = malloc(sizeof(*m->report));
	if (m->histogram == NULL || m->report == NULL)
		return ws_error_set(err, WS_ERR_NOMEM, "out of memory");
	ws_lag_histogram_init(m->histogram);
	ws_status_init(m->report);
	rc = configured_address(cfg, &addr, m->listen, sizeof(m->listen), err);
	if (rc != WS_OK || m->listen[0] == '\0')
		return rc;
	rc = ws_metrics_http_start(&addr, WS_METRICS_HTTP_TIMEOUT_MS, &m->http, err);
	if (rc != WS_OK)
		return rc;
	ws_log_info(log, COMPONENT, "serving metrics on http://%s" WS_HTTP_METRICS_PATH, m->listen);
	return WS_OK;
}

void
ws_metrics_reconfigure(struct ws_metrics *m, const struct ws_config *cfg, struct ws_log *log)
{
	struct ws_metrics_http *fresh = NULL;
	struct ws_listen_addr addr;
	struct ws_error e;
	char wanted[sizeof(m->listen)];

	if (configured_address(cfg, &addr, wanted, sizeof(wanted), &e) != WS_OK) {
		ws_log_error(log, COMPONENT, "%s; still serving metrics as before", e.message);
		return;
	}
	if (strcmp(wanted, m->listen) == 0)
		return;
	if (wanted[0] != '\0' && ws_metrics_http_start(&addr, WS_METRICS_HTTP_TIMEOUT_MS, &fresh, &e) != WS_OK) {
		if (m->listen[0] != '\0')
			ws_log_error(log, COMPONENT, "%s; still serving metrics on %s", e.message, m->listen);
		else
			ws_log_error(log, COMPONENT, "%s", e.message);
		return;
	}
	ws_metrics_http_stop(m->http);
	m->http = fresh;
	ws_strlcpy(m->listen, wanted, sizeof(m->listen));
	m->next_ms = 0;  /* publish at the next tick */
	if (fresh != NULL)
		ws_log_info(log, COMPONENT, "serving metrics on http://%s" WS_HTTP_METRICS_PATH, m->listen);
	else
		ws_log_info(log, COMPONENT, "metrics-listen is empty: no longer serving metrics");
}

/* Log a failure to collect once, not every second, and its end. */
static void
note_failure(struct ws_metrics *m, struct ws_log *log, const struct ws_error *e)
{
	if (e == NULL) {
		if (m->last_error[0] != '\0')
			ws_log_info(log, COMPONENT, "collecting metrics works again");
		m->last_error[0] = '\0';
		return;
	}
	if (strcmp(m->last_error, e->message) != 0)
		ws_log_warn(log, COMPONENT, "could not collect metrics: %s", e->message);
	ws_strlcpy(m->last_error, e->message, sizeof(m->last_error));
}

/* One sample into m->report (node.up false when it failed) and the histogram. */
static void
sample(struct ws_metrics *m, struct ws_pg_conn *conn, const struct ws_config *cfg, struct ws_log *log)
{
	struct ws_health_thresholds t;
	struct ws_error e;
	char mode[16];
	int rc;

	ws_status_init(m->report);
	if (conn == NULL) {
		/* the daemon logs why it is not connected */
		rc = ws_error_set(&e, WS_ERR_CONNECT, "not connected to the server");
	} else {
		rc = ws_replication_mode(conn, cfg, mode, sizeof(mode), &e);
		if (rc == WS_OK)
			rc = ws_status_collect(conn, ws_status_mode_parse(mode), m->report, &e);
		note_failure(m, log, rc == WS_OK ? NULL : &e);
	}
	if (rc == WS_OK) {
		ws_lag_histogram_observe_report(m->histogram, m->report);
	} else {
		m->report->node.up = false;
		ws_strlcpy(m->report->node.error, e.message, sizeof(m->report->node.error));
	}
	ws_health_thresholds_from_config(cfg, &t);
	ws_health_eval(m->report, &t, &m->report->health);
}

void
ws_metrics_tick(struct ws_metrics *m, struct ws_pg_conn *conn, const struct ws_config *cfg,
				struct ws_log *log, long now_ms)
{
	int rc;

	if (m->http == NULL || now_ms < m->next_ms)
		return;
	m->next_ms = now_ms + WS_METRICS_INTERVAL_MS;
	sample(m, conn, cfg, log);
	ws_buf_reset(&m->text);
	rc = ws_metrics_render(m->report, m->histogram, &m->text);
	if (rc != WS_OK) {
		ws_log_warn(log, COMPONENT, "could not format the metrics: %s; serving the previous ones",
					ws_status_name(rc));
		return;
	}
	ws_metrics_http_publish(m->http, &m->text);
}

void
ws_metrics_stop(struct ws_metrics *m)
{
	ws_metrics_http_stop(m->http);
	ws_buf_free(&m->text);
	free(m->histogram);
	free(m->report);
	memset(m, 0, sizeof(*m));
}

int
ws_metrics_render(const struct ws_status_report *st, const struct ws_lag_histogram *h, struct ws_buf *out)
{
	int rc = ws_status_render_prometheus(st, out);

	if (rc == WS_OK)
		rc = ws_lag_histogram_render(h, out);
	return rc;
}
