/*
 * test_metrics_http.c — unit tests for src/daemon/metrics_http.c: the
 * server on 127.0.0.1, a free port, talked to with plain sockets
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/clock.h"
#include "daemon/http.h"
#include "daemon/metrics_http.h"

/* the server's per-connection deadline in these tests */
#define TIMEOUT_MS 1500

struct fixture {
	struct ws_metrics_http *srv;
	int port;
};

static int
start_server(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct ws_listen_addr addr = {.family = AF_INET, .host = "127.0.0.1", .port = 0};
	struct ws_error err;

	if (f == NULL)
		return -1;
	if (ws_metrics_http_start(&addr, TIMEOUT_MS, &f->srv, &err) != WS_OK) {
		print_error("%s\n", err.message);
		free(f);
		return -1;
	}
	f->port = ws_metrics_http_port(f->srv);
	*state = f;
	return 0;
}

static int
stop_server(void **state)
{
	struct fixture *f = *state;

	ws_metrics_http_stop(f->srv);
	free(f);
	return 0;
}

static void
publish(struct fixture *f, const char *text)
{
	struct ws_buf b;

	ws_buf_init(&b, WS_METRICS_HTTP_BODY_MAX);
	assert_int_equal(ws_buf_append_str(&b, text), WS_OK);
	ws_metrics_http_publish(f->srv, &b);
	ws_buf_free(&b);
}

static void
sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

static int
connect_to(int port)
{
	struct sockaddr_in sin;
	struct timeval tv = {5, 0};
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t) port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	/* never hang the test: a read waits 5 s at most */
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *) &sin, sizeof(sin)) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static void
send_all(int fd, const char *data, size_t len)
{
	while (len > 0) {
		ssize_t n = send(fd, data, len, MSG_NOSIGNAL);

		if (n <= 0)
			return;
		data += n;
		len -= (size_t) n;
	}
}

/* Everything until the server closes; NULL when it did not within 5 s. */
static char *
read_all(int fd)
{
	struct ws_buf b;
	char chunk[4096];

	ws_buf_init(&b, 64 * 1024 * 1024);
	for (;;) {
		ssize_t n = recv(fd, chunk, sizeof(chunk), 0);

		if (n == 0)
			break;
		if (n < 0) {
			ws_buf_free(&b);
			return NULL;
		}
		assert_int_equal(ws_buf_append(&b, chunk, (size_t) n), WS_OK);
	}
	return b.data != NULL ? b.data : strdup("");
}

static char *
exchange(int port, const char *request, size_t len)
{
	int fd = connect_to(port);
	char *reply;

	assert_true(fd >= 0);
	send_all(fd, request, len);
	reply = read_all(fd);
	close(fd);
	assert_non_null(reply);
	return reply;
}

static char *
get(int port, const char *request)
{
	return exchange(port, request, strlen(request));
}

static void
assert_status(const char *reply, int status)
{
	char line[64];

	snprintf(line, sizeof(line), "HTTP/1.1 %d ", status);
	if (strncmp(reply, line, strlen(line)) != 0)
		fail_msg("expected %s, got: %.200s", line, reply);
	assert_non_null(strstr(reply, "\r\nConnection: close\r\n"));
}

static const char *
body_of(const char *reply)
{
	const char *p = strstr(reply, "\r\n\r\n");

	assert_non_null(p);
	return p + 4;
}

static void
test_503_before_publish(void **state)
{
	struct fixture *f = *state;
	char *reply = get(f->port, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");

	assert_status(reply, 503);
	free(reply);
}

static void
test_get_metrics(void **state)
{
	struct fixture *f = *state;
	char *reply;

	publish(f, "walship_up 1\n");
	reply = get(f->port, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
	assert_status(reply, 200);
	assert_non_null(strstr(reply, "\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\n"));
	assert_non_null(strstr(reply, "\r\nContent-Length: 13\r\n"));
	assert_string_equal(body_of(reply), "walship_up 1\n");
	free(reply);

	/* the next snapshot replaces it */
	publish(f, "walship_up 0\n");
	reply = get(f->port, "GET /metrics?name[]=x HTTP/1.0\r\n\r\n");
	assert_status(reply, 200);
	assert_string_equal(body_of(reply), "walship_up 0\n");
	free(reply);

	reply = get(f->port, "HEAD /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
	assert_status(reply, 200);
	assert_non_null(strstr(reply, "\r\nContent-Length: 13\r\n"));
	assert_string_equal(body_of(reply), "");
	free(reply);
}

static void
test_publish_swaps(void **state)
{
	struct fixture *f = *state;
	struct ws_buf b;

	ws_buf_init(&b, WS_METRICS_HTTP_BODY_MAX);
	assert_int_equal(ws_buf_append_str(&b, "first\n"), WS_OK);
	ws_metrics_http_publish(f->srv, &b);
	assert_int_equal(b.len, 0);
	assert_int_equal(ws_buf_append_str(&b, "second\n"), WS_OK);
	ws_metrics_http_publish(f->srv, &b);
	assert_string_equal(ws_buf_str(&b), "first\n");
	ws_buf_free(&b);
}

static void
test_errors(void **state)
{
	static const char big_body[] = "POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello";
	struct fixture *f = *state;
	char *reply;

	publish(f, "walship_up 1\n");
	reply = get(f->port, "GET /other HTTP/1.1\r\nHost: x\r\n\r\n");
	assert_status(reply, 404);
	free(reply);
	reply = get(f->port, big_body);
	assert_status(reply, 405);
	assert_non_null(strstr(reply, "\r\nAllow: GET, HEAD\r\n"));
	free(reply);
	reply = get(f->port, "hello\r\n\r\n");
	assert_status(reply, 400);
	free(reply);
	reply = get(f->port, "GET /metrics HTTP/1.1\r\n\r\n");  /* no Host */
	assert_status(reply, 400);
	free(reply);
}

/* headers over 8 kB: 400, even though the client goes on sending */
static void
test_head_too_large(void **state)
{
	static const char start[] = "GET /metrics HTTP/1.1\r\nHost: x\r\nX: ";
	size_t n = sizeof(start) - 1;
	struct fixture *f = *state;
	size_t len = 3 * WS_HTTP_HEAD_MAX;
	char *request = malloc(len);
	char *reply;

	assert_non_null(request);
	memcpy(request, start, n);
	memset(request + n, 'a', len - n);
	reply = exchange(f->port, request, len);
	assert_status(reply, 400);
	free(reply);
	free(request);

	/* just under the limit is fine */
	request = malloc(WS_HTTP_HEAD_MAX);
	assert_non_null(request);
	memcpy(request, start, n);
	memset(request + n, 'a', WS_HTTP_HEAD_MAX - n - 4);
	memcpy(request + WS_HTTP_HEAD_MAX - 4, "\r\n\r\n", 4);
	publish(f, "walship_up 1\n");
	reply = exchange(f->port, request, WS_HTTP_HEAD_MAX);
	assert_status(reply, 200);
	free(reply);
	free(request);
}

/* a request that arrives a few bytes at a time */
static void
test_slow_request(void **state)
{
	static const char request[] = "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n";
	struct fixture *f = *state;
	int fd = connect_to(f->port);
	char *reply;

	publish(f, "walship_up 1\n");
	assert_true(fd >= 0);
	for (size_t i = 0; i < sizeof(request) - 1; i += 5) {
		send_all(fd, request + i, sizeof(request) - 1 - i < 5 ? sizeof(request) - 1 - i : 5);
		sleep_ms(20);
	}
	reply = read_all(fd);
	close(fd);
	assert_non_null(reply);
	assert_status(reply, 200);
	free(reply);
}

/*
 * A client that connects and sends nothing does not delay a second one,
 * and is itself closed at the deadline.
 */
static void
test_silent_client(void **state)
{
	struct fixture *f = *state;
	int silent = connect_to(f->port);
	long start;
	char *reply;
	char c;

	publish(f, "walship_up 1\n");
	assert_true(silent >= 0);
	sleep_ms(50);
	start = ws_clock_ms();
	reply = get(f->port, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
	assert_status(reply, 200);
	assert_true(ws_clock_ms() - start < 500);
	free(reply);
	/* closed without a word once TIMEOUT_MS has passed */
	assert_int_equal(recv(silent, &c, 1, 0), 0);
	assert_true(ws_clock_ms() - start < TIMEOUT_MS + 1000);
	close(silent);
}

/* more silent clients than the server takes at once: once they time out, it answers again */
static void
test_all_slots_taken(void **state)
{
	struct fixture *f = *state;
	int silent[WS_METRICS_HTTP_CLIENTS];
	long start = ws_clock_ms();
	char *reply;

	publish(f, "walship_up 1\n");
	for (int i = 0; i < WS_METRICS_HTTP_CLIENTS; i++) {
		silent[i] = connect_to(f->port);
		assert_true(silent[i] >= 0);
	}
	reply = get(f->port, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
	assert_status(reply, 200);
	assert_true(ws_clock_ms() - start < TIMEOUT_MS + 1000);
	free(reply);
	for (int i = 0; i < WS_METRICS_HTTP_CLIENTS; i++)
		close(silent[i]);
}

/*
 * A client that leaves while a large response is being written: the
 * server gets EPIPE or ECONNRESET, not SIGPIPE (which would end this
 * test program), and serves the next client.
 */
static void
test_client_gone_mid_response(void **state)
{
	struct fixture *f = *state;
	struct linger reset = {1, 0};
	size_t size = 4 * 1024 * 1024;
	char *big = malloc(size + 1);
	char *reply;

	assert_non_null(big);
	memset(big, '#', size);
	big[size] = '\0';
	publish(f, big);
	free(big);
	for (int i = 0; i < 3; i++) {
		int fd = connect_to(f->port);
		char head[256];

		assert_true(fd >= 0);
		send_all(fd, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", 34);
		assert_true(recv(fd, head, sizeof(head), 0) > 0);
		/* close with a reset while most of the body is unsent */
		setsockopt(fd, SOL_SOCKET, SO_LINGER, &reset, sizeof(reset));
		close(fd);
	}
	sleep_ms(100);
	publish(f, "walship_up 1\n");
	reply = get(f->port, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
	assert_status(reply, 200);
	assert_string_equal(body_of(reply), "walship_up 1\n");
	free(reply);
}

static void
test_many_requests(void **state)
{
	struct fixture *f = *state;

	publish(f, "walship_up 1\n");
	for (int i = 0; i < 200; i++) {
		char *reply = get(f->port, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");

		assert_status(reply, 200);
		free(reply);
	}
}

/* stop is prompt even with a client connected, and the port is closed after */
static void
test_stop(void **state)
{
	struct ws_listen_addr addr = {.family = AF_INET, .host = "127.0.0.1", .port = 0};
	struct ws_metrics_http *srv;
	struct ws_error err;
	long start;
	int silent;
	int port;

	(void) state;
	assert_int_equal(ws_metrics_http_start(&addr, 60000, &srv, &err), WS_OK);
	port = ws_metrics_http_port(srv);
	assert_true(port > 0);
	silent = connect_to(port);
	assert_true(silent >= 0);
	sleep_ms(50);
	start = ws_clock_ms();
	ws_metrics_http_stop(srv);
	assert_true(ws_clock_ms() - start < 2 * WS_METRICS_HTTP_POLL_MS + 100);
	assert_int_equal(connect_to(port), -1);
	close(silent);
	ws_metrics_http_stop(NULL);
}

static void
test_port_in_use(void **state)
{
	struct fixture *f = *state;
	struct ws_listen_addr addr = {.family = AF_INET, .host = "127.0.0.1", .port = f->port};
	struct ws_metrics_http *srv = (struct ws_metrics_http *) 1;
	struct ws_error err;
	char expected[128];

	assert_int_equal(ws_metrics_http_start(&addr, TIMEOUT_MS, &srv, &err), WS_ERR_IO);
	assert_null(srv);
	snprintf(expected, sizeof(expected), "could not listen for metrics on \"127.0.0.1:%d\": Address already in use",
			 f->port);
	assert_string_equal(err.message, expected);
}

static void
test_ipv6_loopback(void **state)
{
	struct ws_listen_addr addr = {.family = AF_INET6, .host = "::1", .port = 0};
	struct ws_metrics_http *srv;
	struct ws_error err;

	(void) state;
	/* hosts without IPv6 cannot run this one */
	if (ws_metrics_http_start(&addr, TIMEOUT_MS, &srv, &err) != WS_OK) {
		print_message("skipped: %s\n", err.message);
		return;
	}
	assert_true(ws_metrics_http_port(srv) > 0);
	ws_metrics_http_stop(srv);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_503_before_publish, start_server, stop_server),
		cmocka_unit_test_setup_teardown(test_get_metrics, start_server, stop_server),
		cmocka_unit_test_setup_teardown(test_publish_swaps, start_server, stop_server),
		cmocka_unit_test_setup_teardown(test_errors, start_server, stop_server),
		cmocka_unit_test_setup_teardown(test_head_too_large, start_server, stop_server),
		cmocka_unit_test_setup_teardown(test_slow_request, start_server, stop_server),
		cmocka_unit_test_setup_teardown(test_silent_client, start_server, stop_server),
		cmocka_unit_test_setup_teardown(test_all_slots_taken, start_server, stop_server),
		cmocka_unit_test_setup_teardown(test_client_gone_mid_response, start_server, stop_server),
		cmocka_unit_test_setup_teardown(test_many_requests, start_server, stop_server),
		cmocka_unit_test(test_stop),
		cmocka_unit_test_setup_teardown(test_port_in_use, start_server, stop_server),
		cmocka_unit_test(test_ipv6_loopback),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
