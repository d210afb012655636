/*
 * http.c — request parsing and response building for /metrics (see http.h)
 *
 * Strict where it costs nothing (RFC 9112): a token for the method and
 * header names, no whitespace before a header's colon, no obsolete line
 * folding, no control characters, Host required in HTTP/1.1. Anything
 * else is a 400 and the connection is closed.
 */
#include "daemon/http.h"

#include <string.h>
#include <strings.h>

#include "common/error.h"

static bool
is_tchar(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		(c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/* visible ASCII, no space */
static bool
is_vchar(unsigned char c)
{
	return c > 0x20 && c < 0x7f;
}

/* METHOD SP origin-form SP HTTP/1.x, without the line end */
static bool
parse_request_line(const char *line, size_t n, struct ws_http_request *req, bool *http11)
{
	size_t i = 0;
	const char *query;
	size_t start;
	size_t path_len;

	while (i < n && is_tchar((unsigned char) line[i]))
		i++;
	if (i == 0 || i >= sizeof(req->method) || i >= n || line[i] != ' ')
		return false;
	memcpy(req->method, line, i);
	req->method[i] = '\0';
	start = ++i;
	if (i >= n || line[i] != '/')
		return false;
	while (i < n && is_vchar((unsigned char) line[i]))
		i++;
	if (i >= n || line[i] != ' ')
		return false;
	/* the path without the query; one too long for us names nothing we serve */
	query = memchr(line + start, '?', i - start);
	path_len = query != NULL ? (size_t) (query - (line + start)) : i - start;
	if (path_len < sizeof(req->path)) {
		memcpy(req->path, line + start, path_len);
		req->path[path_len] = '\0';
	} else {
		req->path[0] = '\0';
	}
	i++;
	if (n - i != 8 || memcmp(line + i, "HTTP/1.", 7) != 0 || line[i + 7] < '0' || line[i + 7] > '9')
		return false;
	*http11 = line[i + 7] != '0';
	return true;
}

/* name ":" value; counts Host headers */
static bool
header_line_ok(const char *line, size_t n, int *hosts)
{
	size_t i = 0;

	while (i < n && is_tchar((unsigned char) line[i]))
		i++;
	if (i == 0 || i >= n || line[i] != ':')
		return false;
	if (i == 4 && strncasecmp(line, "host", 4) == 0)
		(*hosts)++;
	for (i++; i < n; i++) {
		unsigned char c = (unsigned char) line[i];

		if (c < 0x20 && c != '\t')
			return false;
		if (c == 0x7f)
			return false;
	}
	return true;
}

enum ws_http_parse
ws_http_parse_request(const char *data, size_t len, struct ws_http_request *req)
{
	const char *p = data;
	const char *end = data + len;
	bool have_request_line = false;
	bool http11 = false;
	int hosts = 0;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t) (end - p));
		size_t n;

		if (nl == NULL)
			break;
		if ((size_t) (nl + 1 - data) > WS_HTTP_HEAD_MAX)
			return WS_HTTP_BAD;
		n = (size_t) (nl - p);
		if (n > 0 && p[n - 1] == '\r')
			n--;
		if (!have_request_line) {
			/* empty lines before the request line are ignored (RFC 9112 2.2) */
			if (n > 0) {
				if (!parse_request_line(p, n, req, &http11))
					return WS_HTTP_BAD;
				have_request_line = true;
			}
		} else if (n == 0) {
			return http11 && hosts != 1 ? WS_HTTP_BAD : WS_HTTP_COMPLETE;
		} else if (!header_line_ok(p, n, &hosts)) {
			return WS_HTTP_BAD;
		}
		p = nl + 1;
	}
	return len >= WS_HTTP_HEAD_MAX ? WS_HTTP_BAD : WS_HTTP_INCOMPLETE;
}

int
ws_http_status_for(const struct ws_http_request *req, bool have_body)
{
	if (strcmp(req->path, WS_HTTP_METRICS_PATH) != 0)
		return 404;
	if (strcmp(req->method, "GET") != 0 && strcmp(req->method, "HEAD") != 0)
		return 405;
	return have_body ? 200 : 503;
}

const char *
ws_http_reason(int status)
{
	switch (status) {
	case 200:
		return "OK";
	case 400:
		return "Bad Request";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 503:
		return "Service Unavailable";
	}
	return "Error";
}

/* what an error response says in its body */
static const char *
error_text(int status)
{
	switch (status) {
	case 404:
		return "not found: walshipd serves " WS_HTTP_METRICS_PATH " only\n";
	case 405:
		return "method not allowed: use GET or HEAD\n";
	case 503:
		return "no metrics collected yet\n";
	}
	return "bad request\n";
}

int
ws_http_build_response(int status, bool head_only, const char *body, size_t body_len,
					   struct ws_buf *out)
{
	const char *type = WS_HTTP_METRICS_TYPE;
	int rc;

	if (status != 200) {
		body = error_text(status);
		body_len = strlen(body);
		type = "text/plain; charset=utf-8";
	}
	rc = ws_buf_appendf(out, "HTTP/1.1 %d %s\r\n"
						"Content-Type: %s\r\n"
						"Content-Length: %zu\r\n"
						"Connection: close\r\n"
						"%s"
						"\r\n",
						status, ws_http_reason(status), type, body_len,
						status == 405 ? "Allow: GET, HEAD\r\n" : "");
	if (rc == WS_OK && !head_only && body_len > 0)
		rc = ws_buf_append(out, body, body_len);
	return rc;
}
