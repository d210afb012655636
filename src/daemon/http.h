/*
 * http.h — the little HTTP/1.1 walshipd's metrics endpoint speaks
 *
 * Pure functions over bytes, unit-tested without sockets: parse a request
 * head, decide the status, build the whole response. One request per
 * connection: every response says Connection: close and the server closes
 * after it, so request bodies, keep-alive and chunking never matter.
 */
#ifndef WALSHIP_DAEMON_HTTP_H
#define WALSHIP_DAEMON_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#include "common/buf.h"

/* the request line and headers together, the blank line included */
#define WS_HTTP_HEAD_MAX 8192
#define WS_HTTP_METRICS_PATH "/metrics"
#define WS_HTTP_METRICS_TYPE "text/plain; version=0.0.4; charset=utf-8"

enum ws_http_parse {
	WS_HTTP_INCOMPLETE,  /* no blank line yet: read more */
	WS_HTTP_COMPLETE,    /* req is filled */
	WS_HTTP_BAD          /* malformed, or no blank line within WS_HTTP_HEAD_MAX */
};

struct ws_http_request {
	char method[16];
	char path[256];      /* the target without its query string */
};

/*
 * Parse the bytes received so far. Lines end in CRLF (a bare LF is
 * accepted too); the request line is METHOD SP /target SP HTTP/1.x; every
 * header line is name ":" value, the name a token.
 */
enum ws_http_parse ws_http_parse_request(const char *data, size_t len, struct ws_http_request *req);

/*
 * The status for a well-formed request: 200 for GET or HEAD of /metrics
 * (503 when have_body is false: nothing collected yet), 404 for another
 * path, 405 for another method on /metrics.
 */
int ws_http_status_for(const struct ws_http_request *req, bool have_body);

/* "OK", "Not Found", ...; "Error" for a status not used here */
const char *ws_http_reason(int status);

/*
 * The complete response: status line, Content-Type, Content-Length,
 * Connection: close (and Allow on 405), a blank line, then body (200) or a
 * one-line explanation (errors) unless head_only. Appended to out.
 */
int ws_http_build_response(int status, bool head_only, const char *body, size_t body_len,
						   struct ws_buf *out);

#endif
