/*
 * metrics.h — walshipd's Prometheus metrics: what the daemon's tick does
 * for metrics-listen
 *
 * Once a second the tick collects the status of the local server on the
 * daemon's own connection (status/collect.h), judges it (health.h), adds a
 * sample of every standby's replay lag to the histogram (lag_histogram.h),
 * renders the text and publishes it to the HTTP thread (metrics_http.h),
 * which serves it until the next one. When the server cannot be reached
 * the snapshot says walship_up 0; the histogram's counts stay.
 */
#ifndef WALSHIP_DAEMON_METRICS_H
#define WALSHIP_DAEMON_METRICS_H

#include "common/buf.h"
#include "common/error.h"
#include "common/log.h"
#include "config/config.h"
#include "daemon/metrics_http.h"
#include "pg/conn.h"
#include "status/lag_histogram.h"
#include "status/status.h"

#define WS_METRICS_INTERVAL_MS 1000

struct ws_metrics {
	struct ws_metrics_http *http;       /* NULL when metrics-listen is empty */
	char listen[INET6_ADDRSTRLEN + 16]; /* the address served, canonical; "" for none */
	struct ws_lag_histogram *histogram;
	struct ws_status_report *report;    /* the last sample */
	struct ws_buf text;
	long next_ms;                       /* when the next sample is due (monotonic) */
	char last_error[WS_ERROR_MSG_MAX];  /* logged once until it changes */
};

/*
 * Listen on metrics-listen, when set. WS_ERR_IO when the address cannot
 * be bound (walshipd then exits with status 2), WS_ERR_NOMEM. After a
 * failure ws_metrics_stop is still safe to call.
 */
int ws_metrics_start(struct ws_metrics *m, const struct ws_config *cfg, struct ws_log *log,
					 struct ws_error *err);

/*
 * After SIGHUP: listen on a changed metrics-listen (or stop listening).
 * The new address is bound before the old is closed; when it cannot be,
 * an error is logged and the old one keeps serving.
 */
void ws_metrics_reconfigure(struct ws_metrics *m, const struct ws_config *cfg, struct ws_log *log);

/*
 * The daemon's tick: sample and publish when a second has passed since the
 * last sample. conn is the daemon's connection, NULL when not connected.
 */
void ws_metrics_tick(struct ws_metrics *m, struct ws_pg_conn *conn, const struct ws_config *cfg,
					 struct ws_log *log, long now_ms);

/* Stop serving and free; the struct is then as zeroed. */
void ws_metrics_stop(struct ws_metrics *m);

/* The text served: the status in the exposition format, then the histogram. */
int ws_metrics_render(const struct ws_status_report *st, const struct ws_lag_histogram *h,
					  struct ws_buf *out);

#endif
