/*
 * test_metrics.c — unit tests for src/daemon/metrics.c: what walshipd
 * serves, without a server to collect from (the daemon is not connected)
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <ctype.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../status/status_fixture.h"
#include "common/buf.h"
#include "common/log.h"
#include "config/config.h"
#include "daemon/metrics.h"

/* a loopback port nobody listens on right now */
static int
free_port(void)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	int port;

	assert_true(fd >= 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *) &sin, sizeof(sin)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *) &sin, &len), 0);
	port = ntohs(sin.sin_port);
	close(fd);
	return port;
}

/* GET /metrics: the whole reply, or NULL when nobody listens */
static char *
scrape(int port)
{
	static const char request[] = "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n";
	struct timeval tv = {5, 0};
	struct sockaddr_in sin;
	struct ws_buf b;
	char chunk[4096];
	ssize_t n;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t) port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *) &sin, sizeof(sin)) != 0) {
		close(fd);
		return NULL;
	}
	assert_int_equal(send(fd, request, sizeof(request) - 1, MSG_NOSIGNAL), sizeof(request) - 1);
	ws_buf_init(&b, 16 * 1024 * 1024);
	while ((n = recv(fd, chunk, sizeof(chunk), 0)) > 0)
		assert_int_equal(ws_buf_append(&b, chunk, (size_t) n), WS_OK);
	close(fd);
	assert_int_equal(n, 0);
	return b.data;
}

/* every line a comment or name{labels} number */
static void
check_samples(const char *text)
{
	const char *p = text;

	while (*p != '\0') {
		const char *end = strchr(p, '\n');
		const char *q = p;

		assert_non_null(end);
		if (*p != '#') {
			while (islower((unsigned char) *q) || *q == '_')
				q++;
			assert_true(q > p);
			if (*q == '{') {
				q = memchr(q, '}', (size_t) (end - q));
				assert_non_null(q);
				q++;
			}
			assert_int_equal(*q++, ' ');
			assert_true(isdigit((unsigned char) *q) || *q == '-');
			while (q < end && (isdigit((unsigned char) *q) || *q == '.' || *q == '-'))
				q++;
			assert_ptr_equal(q, end);
		}
		p = end + 1;
	}
}

static void
test_render(void **state)
{
	static struct ws_status_report st;
	static struct ws_lag_histogram h;
	struct ws_buf out;
	const char *text;

	(void) state;
	fixture_primary(&st);
	ws_lag_histogram_init(&h);
	ws_lag_histogram_observe_report(&h, &st);
	ws_buf_init(&out, 1024 * 1024);
	assert_int_equal(ws_metrics_render(&st, &h, &out), WS_OK);
	text = ws_buf_str(&out);
	check_samples(text);
	assert_non_null(strstr(text, "\nwalship_up 1\n"));
	assert_non_null(strstr(text, "walship_replication_lag_bytes{standby=\"s1\",kind=\"replay\"} "));
	assert_non_null(strstr(text, "walship_replication_lag_seconds_bucket{standby=\"s1\",le=\"1\"} 0\n"));
	assert_non_null(strstr(text, "walship_replication_lag_seconds_bucket{standby=\"s1\",le=\"2.5\"} 1\n"));
	assert_non_null(strstr(text, "walship_replication_lag_seconds_sum{standby=\"s1\"} 1.500\n"));
	/* the histogram comes after the status families */
	assert_true(strstr(text, "# TYPE walship_replication_lag_seconds histogram") >
				strstr(text, "walship_replication_lag_bytes"));
	ws_buf_free(&out);
}

static void
config_with_listen(struct ws_config *cfg, const char *listen)
{
	struct ws_error err;

	assert_int_equal(ws_config_init(cfg, &err), WS_OK);
	assert_int_equal(ws_config_set(cfg, "metrics-listen", listen, WS_SRC_CLI, 0, &err), WS_OK);
	assert_int_equal(ws_config_validate(cfg, &err), WS_OK);
}

static void
test_off_by_default(void **state)
{
	struct ws_metrics m;
	struct ws_config cfg;
	struct ws_error err;
	struct ws_log log;

	(void) state;
	ws_log_init_stderr(&log, WS_LOG_OFF);
	assert_int_equal(ws_config_init(&cfg, &err), WS_OK);
	assert_string_equal(ws_config_str(&cfg, WS_OPT_METRICS_LISTEN), "");
	assert_int_equal(ws_metrics_start(&m, &cfg, &log, &err), WS_OK);
	assert_null(m.http);
	ws_metrics_tick(&m, NULL, &cfg, &log, 1000);
	assert_int_equal(m.next_ms, 0);
	ws_metrics_stop(&m);
	ws_config_free(&cfg);
}

/* not connected: walship_up 0, sampled once a second */
static void
test_down(void **state)
{
	struct ws_metrics m;
	struct ws_config cfg;
	struct ws_error err;
	struct ws_log log;
	char listen[64];
	int port = free_port();
	char *reply;

	(void) state;
	ws_log_init_stderr(&log, WS_LOG_OFF);
	snprintf(listen, sizeof(listen), "localhost:%d", port);
	config_with_listen(&cfg, listen);
	assert_int_equal(ws_metrics_start(&m, &cfg, &log, &err), WS_OK);
	assert_non_null(m.http);
	reply = scrape(port);
	assert_non_null(reply);
	assert_non_null(strstr(reply, "HTTP/1.1 503 "));
	free(reply);

	ws_metrics_tick(&m, NULL, &cfg, &log, 10000);
	assert_int_equal(m.next_ms, 10000 + WS_METRICS_INTERVAL_MS);
	reply = scrape(port);
	assert_non_null(reply);
	assert_non_null(strstr(reply, "HTTP/1.1 200 OK\r\n"));
	assert_non_null(strstr(reply, "\r\n\r\n# HELP walship_up "));
	assert_non_null(strstr(reply, "\nwalship_up 0\n"));
	assert_non_null(strstr(reply, "\nwalship_health 2\n"));
	assert_null(strstr(reply, "walship_replication_lag_seconds"));
	check_samples(strstr(reply, "\r\n\r\n") + 4);
	free(reply);

	/* within the second: no new sample */
	ws_metrics_tick(&m, NULL, &cfg, &log, 10500);
	assert_int_equal(m.next_ms, 10000 + WS_METRICS_INTERVAL_MS);
	ws_metrics_stop(&m);
	assert_null(scrape(port));
	ws_config_free(&cfg);
}

/* SIGHUP: a new address is served, the old one closed; empty stops serving */
static void
test_reconfigure(void **state)
{
	struct ws_metrics m;
	struct ws_config cfg;
	struct ws_config cfg2;
	struct ws_config busy;
	struct ws_error err;
	struct ws_log log;
	char listen[64];
	int port = free_port();
	int port2;
	char *reply;

	(void) state;
	ws_log_init_stderr(&log, WS_LOG_OFF);
	snprintf(listen, sizeof(listen), "127.0.0.1:%d", port);
	config_with_listen(&cfg, listen);
	assert_int_equal(ws_metrics_start(&m, &cfg, &log, &err), WS_OK);
	ws_metrics_tick(&m, NULL, &cfg, &log, 10000);

	/* the same address spelled differently: nothing changes */
	snprintf(listen, sizeof(listen), "localhost:%d", port);
	config_with_listen(&cfg2, listen);
	ws_metrics_reconfigure(&m, &cfg2, &log);
	assert_int_equal(m.next_ms, 10000 + WS_METRICS_INTERVAL_MS);
	ws_config_free(&cfg2);

	port2 = free_port();
	snprintf(listen, sizeof(listen), "127.0.0.1:%d", port2);
	config_with_listen(&cfg2, listen);
	ws_metrics_reconfigure(&m, &cfg2, &log);
	assert_null(scrape(port));
	ws_metrics_tick(&m, NULL, &cfg2, &log, 10100);  /* due at once after a change */
	reply = scrape(port2);
	assert_non_null(reply);
	assert_non_null(strstr(reply, "\nwalship_up 0\n"));
	free(reply);

	/* an address that cannot be bound: the old one keeps serving */
	{
		struct ws_metrics other;

		snprintf(listen, sizeof(listen), "127.0.0.1:%d", port);
		config_with_listen(&busy, listen);
		assert_int_equal(ws_metrics_start(&other, &busy, &log, &err), WS_OK);
		ws_metrics_reconfigure(&m, &busy, &log);
		reply = scrape(port2);
		assert_non_null(reply);
		free(reply);
		/* and a second walshipd on a taken port fails to start */
		{
			struct ws_metrics third;

			assert_int_equal(ws_metrics_start(&third, &busy, &log, &err), WS_ERR_IO);
			assert_non_null(strstr(err.message, "Address already in use"));
			ws_metrics_stop(&third);
		}
		ws_metrics_stop(&other);
		ws_config_free(&busy);
	}
	ws_config_free(&cfg2);

	ws_config_free(&cfg);
	assert_int_equal(ws_config_init(&cfg, &err), WS_OK);
	ws_metrics_reconfigure(&m, &cfg, &log);
	assert_null(m.http);
	assert_null(scrape(port2));
	ws_metrics_stop(&m);
	ws_config_free(&cfg);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_render),
		cmocka_unit_test(test_off_by_default),
		cmocka_unit_test(test_down),
		cmocka_unit_test(test_reconfigure),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
