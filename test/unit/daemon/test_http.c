/*
 * test_http.c — unit tests for src/daemon/http.c
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/error.h"
#include "daemon/http.h"

static enum ws_http_parse
parse(const char *text, struct ws_http_request *req)
{
	memset(req, 0, sizeof(*req));
	return ws_http_parse_request(text, strlen(text), req);
}

static void
test_get_metrics(void **state)
{
	struct ws_http_request req;

	(void) state;
	assert_int_equal(parse("GET /metrics HTTP/1.1\r\nHost: localhost:9187\r\nAccept: */*\r\n\r\n", &req),
					 WS_HTTP_COMPLETE);
	assert_string_equal(req.method, "GET");
	assert_string_equal(req.path, "/metrics");
	assert_int_equal(ws_http_status_for(&req, true), 200);
	assert_int_equal(ws_http_status_for(&req, false), 503);

	/* HTTP/1.0 needs no Host; bare LF line ends; the query is not the path */
	assert_int_equal(parse("GET /metrics?x=1&y HTTP/1.0\n\n", &req), WS_HTTP_COMPLETE);
	assert_string_equal(req.path, "/metrics");
	assert_int_equal(ws_http_status_for(&req, true), 200);

	/* an empty line before the request line is ignored; a header value may be empty */
	assert_int_equal(parse("\r\nHEAD /metrics HTTP/1.1\r\nHost:\r\nX-Empty:\r\n\r\n", &req), WS_HTTP_COMPLETE);
	assert_string_equal(req.method, "HEAD");
	assert_int_equal(ws_http_status_for(&req, true), 200);
}

static void
test_routes(void **state)
{
	struct ws_http_request req;

	(void) state;
	assert_int_equal(parse("GET / HTTP/1.1\r\nHost: h\r\n\r\n", &req), WS_HTTP_COMPLETE);
	assert_int_equal(ws_http_status_for(&req, true), 404);
	assert_int_equal(parse("GET /metrics/ HTTP/1.1\r\nHost: h\r\n\r\n", &req), WS_HTTP_COMPLETE);
	assert_int_equal(ws_http_status_for(&req, true), 404);
	assert_int_equal(parse("GET /metricsx HTTP/1.1\r\nHost: h\r\n\r\n", &req), WS_HTTP_COMPLETE);
	assert_int_equal(ws_http_status_for(&req, true), 404);
	assert_int_equal(parse("POST /metrics HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc", &req),
					 WS_HTTP_COMPLETE);
	assert_int_equal(ws_http_status_for(&req, true), 405);
	assert_int_equal(parse("DELETE /metrics HTTP/1.1\r\nHost: h\r\n\r\n", &req), WS_HTTP_COMPLETE);
	assert_int_equal(ws_http_status_for(&req, false), 405);
	/* methods are case-sensitive */
	assert_int_equal(parse("get /metrics HTTP/1.1\r\nHost: h\r\n\r\n", &req), WS_HTTP_COMPLETE);
	assert_int_equal(ws_http_status_for(&req, true), 405);
	/* a path too long to be ours is not found */
	{
		char text[600];

		snprintf(text, sizeof(text), "GET /%0300d HTTP/1.1\r\nHost: h\r\n\r\n", 0);
		assert_int_equal(parse(text, &req), WS_HTTP_COMPLETE);
		assert_int_equal(ws_http_status_for(&req, true), 404);
	}
}

static void
test_incomplete(void **state)
{
	const char *full = "GET /metrics HTTP/1.1\r\nHost: h\r\n\r\n";
	struct ws_http_request req;

	(void) state;
	/* every proper prefix asks for more */
	for (size_t n = 0; n < strlen(full); n++)
		assert_int_equal(ws_http_parse_request(full, n, &req), WS_HTTP_INCOMPLETE);
	assert_int_equal(ws_http_parse_request(full, strlen(full), &req), WS_HTTP_COMPLETE);
}

static void
test_malformed(void **state)
{
	static const char *const bad[] = {
		"GET\r\n\r\n",
		"GET /metrics\r\n\r\n",
		"GET  /metrics HTTP/1.1\r\nHost: h\r\n\r\n",
		"GET /metrics  HTTP/1.1\r\nHost: h\r\n\r\n",
		"GET metrics HTTP/1.1\r\nHost: h\r\n\r\n",
		"GET http://h/metrics HTTP/1.1\r\nHost: h\r\n\r\n",
		"GET /metrics HTTP/2.0\r\nHost: h\r\n\r\n",
		"GET /metrics HTTP/1.1 \r\nHost: h\r\n\r\n",
		"GET /metrics http/1.1\r\nHost: h\r\n\r\n",
		"GET /metrics HTTP/1.x\r\nHost: h\r\n\r\n",
		"GET /met\x01rics HTTP/1.1\r\nHost: h\r\n\r\n",
		"G(T /metrics HTTP/1.1\r\nHost: h\r\n\r\n",
		"VERYLONGMETHODNAME /metrics HTTP/1.1\r\nHost: h\r\n\r\n",
		"GET /metrics HTTP/1.1\r\n\r\n",                               /* no Host */
		"GET /metrics HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",          /* two */
		"GET /metrics HTTP/1.1\r\nHost : h\r\n\r\n",                    /* space before colon */
		"GET /metrics HTTP/1.1\r\nHost: h\r\n folded\r\n\r\n",          /* obs-fold */
		"GET /metrics HTTP/1.1\r\nHost: h\r\nNoColon\r\n\r\n",
		"GET /metrics HTTP/1.1\r\nHost: h\r\n: value\r\n\r\n",
		"GET /metrics HTTP/1.1\r\nHost: h\r\nX: a\rb\r\n\r\n",          /* bare CR */
		"GET /metrics HTTP/1.1\r\nHost: h\r\nX: a\x7f\r\n\r\n",
	};
	struct ws_http_request req;

	(void) state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (parse(bad[i], &req) != WS_HTTP_BAD)
			fail_msg("accepted: %s", bad[i]);
	/* a NUL inside a header value */
	{
		const char text[] = "GET /metrics HTTP/1.1\r\nHost: h\r\nX: a\0b\r\n\r\n";

		assert_int_equal(ws_http_parse_request(text, sizeof(text) - 1, &req), WS_HTTP_BAD);
	}
	/* a bad request line is known before the head is complete */
	assert_int_equal(parse("BAD REQUEST\r\n", &req), WS_HTTP_BAD);
}

/* the request line and headers together may be WS_HTTP_HEAD_MAX bytes, not more */
static void
test_head_limit(void **state)
{
	const char *start = "GET /metrics HTTP/1.1\r\nHost: h\r\nX: ";
	struct ws_http_request req;
	char *text = malloc(WS_HTTP_HEAD_MAX + 16);
	size_t fill;

	(void) state;
	assert_non_null(text);
	/* exactly the maximum, the final CRLF CRLF included */
	fill = WS_HTTP_HEAD_MAX - strlen(start) - 4;
	memcpy(text, start, strlen(start));
	memset(text + strlen(start), 'a', fill);
	memcpy(text + strlen(start) + fill, "\r\n\r\n", 4);
	assert_int_equal(ws_http_parse_request(text, WS_HTTP_HEAD_MAX, &req), WS_HTTP_COMPLETE);
	/* one byte more */
	memset(text + strlen(start), 'a', fill + 1);
	memcpy(text + strlen(start) + fill + 1, "\r\n\r\n", 4);
	assert_int_equal(ws_http_parse_request(text, WS_HTTP_HEAD_MAX + 1, &req), WS_HTTP_BAD);
	/* the maximum received and still no blank line */
	memset(text + strlen(start), 'a', WS_HTTP_HEAD_MAX - strlen(start));
	assert_int_equal(ws_http_parse_request(text, WS_HTTP_HEAD_MAX, &req), WS_HTTP_BAD);
	assert_int_equal(ws_http_parse_request(text, WS_HTTP_HEAD_MAX - 1, &req), WS_HTTP_INCOMPLETE);
	free(text);
}

static void
test_response_200(void **state)
{
	struct ws_buf out;

	(void) state;
	ws_buf_init(&out, 4096);
	assert_int_equal(ws_http_build_response(200, false, "up 1\n", 5, &out), WS_OK);
	assert_string_equal(ws_buf_str(&out),
						"HTTP/1.1 200 OK\r\n"
						"Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n"
						"Content-Length: 5\r\n"
						"Connection: close\r\n"
						"\r\n"
						"up 1\n");
	ws_buf_reset(&out);
	/* HEAD: the same head, no body */
	assert_int_equal(ws_http_build_response(200, true, "up 1\n", 5, &out), WS_OK);
	assert_string_equal(ws_buf_str(&out),
						"HTTP/1.1 200 OK\r\n"
						"Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n"
						"Content-Length: 5\r\n"
						"Connection: close\r\n"
						"\r\n");
	ws_buf_free(&out);
}

static void
test_response_errors(void **state)
{
	static const int codes[] = {400, 404, 405, 503};
	static const char *const lines[] = {
		"HTTP/1.1 400 Bad Request\r\n", "HTTP/1.1 404 Not Found\r\n",
		"HTTP/1.1 405 Method Not Allowed\r\n", "HTTP/1.1 503 Service Unavailable\r\n"
	};
	struct ws_buf out;

	(void) state;
	ws_buf_init(&out, 4096);
	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		const char *text;
		const char *body;
		char length[64];

		ws_buf_reset(&out);
		assert_int_equal(ws_http_build_response(codes[i], false, "secret", 6, &out), WS_OK);
		text = ws_buf_str(&out);
		assert_true(strncmp(text, lines[i], strlen(lines[i])) == 0);
		assert_non_null(strstr(text, "\r\nContent-Type: text/plain; charset=utf-8\r\n"));
		assert_non_null(strstr(text, "\r\nConnection: close\r\n"));
		assert_true((strstr(text, "\r\nAllow: GET, HEAD\r\n") != NULL) == (codes[i] == 405));
		/* the body is an explanation, never the body given, and its length is right */
		body = strstr(text, "\r\n\r\n") + 4;
		assert_null(strstr(body, "secret"));
		assert_true(strlen(body) > 0 && body[strlen(body) - 1] == '\n');
		snprintf(length, sizeof(length), "\r\nContent-Length: %zu\r\n", strlen(body));
		assert_non_null(strstr(text, length));
	}
	ws_buf_free(&out);
	assert_string_equal(ws_http_reason(999), "Error");
}

static void
test_response_too_large(void **state)
{
	struct ws_buf out;

	(void) state;
	ws_buf_init(&out, 100);
	assert_int_equal(ws_http_build_response(200, false, "0123456789", 10, &out), WS_ERR_TOO_LARGE);
	ws_buf_free(&out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_get_metrics),
		cmocka_unit_test(test_routes),
		cmocka_unit_test(test_incomplete),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_head_limit),
		cmocka_unit_test(test_response_200),
		cmocka_unit_test(test_response_errors),
		cmocka_unit_test(test_response_too_large),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
