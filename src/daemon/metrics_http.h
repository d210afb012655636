/*
 * metrics_http.h — the HTTP server behind walshipd's metrics-listen
 *
 * One thread of its own, which never touches libpq: it answers GET
 * /metrics with the last snapshot the daemon published (http.h says what
 * else it answers) and closes every connection after its response. It
 * multiplexes up to WS_METRICS_HTTP_CLIENTS connections with poll(), each
 * with a deadline for its request and our response, so a client that is
 * slow or sends nothing delays no other. It blocks every signal (the
 * daemon's main thread takes them with sigtimedwait) and writes with
 * MSG_NOSIGNAL, so a client that goes away raises no SIGPIPE.
 */
#ifndef WALSHIP_DAEMON_METRICS_HTTP_H
#define WALSHIP_DAEMON_METRICS_HTTP_H

#include <stddef.h>

#include "common/buf.h"
#include "common/error.h"
#include "common/listen_addr.h"

/* a connection has this long to send its request and read our response */
#define WS_METRICS_HTTP_TIMEOUT_MS 5000
#define WS_METRICS_HTTP_CLIENTS 16
/* how often the thread looks whether it should stop */
#define WS_METRICS_HTTP_POLL_MS 100
/* the largest snapshot it serves */
#define WS_METRICS_HTTP_BODY_MAX (8 * 1024 * 1024)

struct ws_metrics_http;

/*
 * Listen on addr (port 0: any free port, see ws_metrics_http_port) and
 * start the thread; until the first ws_metrics_http_publish, /metrics
 * answers 503. timeout_ms is the per-connection deadline. WS_ERR_IO with
 * the reason, e.g. could not listen for metrics on "127.0.0.1:9187":
 * Address already in use.
 */
int ws_metrics_http_start(const struct ws_listen_addr *addr, int timeout_ms,
						  struct ws_metrics_http **out, struct ws_error *err);

/* The port it listens on. */
int ws_metrics_http_port(const struct ws_metrics_http *srv);

/*
 * Serve text from now on: the buffer is swapped with the current snapshot,
 * so afterwards text holds the previous one (or nothing); reset it before
 * appending again. Cheap under the lock: no copy.
 */
void ws_metrics_http_publish(struct ws_metrics_http *srv, struct ws_buf *text);

/* Stop the thread (within WS_METRICS_HTTP_POLL_MS), close every socket, free. NULL is fine. */
void ws_metrics_http_stop(struct ws_metrics_http *srv);

#endif
