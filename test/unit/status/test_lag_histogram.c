/*
 * test_lag_histogram.c — unit tests for src/status/lag_histogram.c
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "status/lag_histogram.h"

static struct ws_lag_histogram h;

static int
setup(void **state)
{
	(void) state;
	ws_lag_histogram_init(&h);
	return 0;
}

/* the value of the sample line starting with prefix, -1 when none */
static double
sample_value(const char *text, const char *prefix)
{
	const char *p = text;

	while (p != NULL && *p != '\0') {
		if (strncmp(p, prefix, strlen(prefix)) == 0 && p[strlen(prefix)] == ' ')
			return strtod(p + strlen(prefix) + 1, NULL);
		p = strchr(p, '\n');
		if (p != NULL)
			p++;
	}
	return -1;
}

static double
bucket(const char *text, const char *standby, const char *le)
{
	char prefix[256];

	snprintf(prefix, sizeof(prefix), "walship_replication_lag_seconds_bucket{standby=\"%s\",le=\"%s\"}",
			 standby, le);
	return sample_value(text, prefix);
}

static char *
render(void)
{
	struct ws_buf out;

	ws_buf_init(&out, 1024 * 1024);
	assert_int_equal(ws_lag_histogram_render(&h, &out), WS_OK);
	return out.data != NULL ? out.data : strdup("");
}

static void
test_empty_renders_nothing(void **state)
{
	char *text;

	(void) state;
	text = render();
	assert_string_equal(text, "");
	free(text);
}

static void
test_bounds(void **state)
{
	(void) state;
	assert_int_equal(ws_lag_histogram_bounds_ms[0], 5);
	assert_int_equal(ws_lag_histogram_bounds_ms[WS_LAG_HISTOGRAM_BUCKETS - 1], 60000);
	for (int i = 0; i < WS_LAG_HISTOGRAM_BUCKETS; i++) {
		/* le as printed is the bound in seconds */
		assert_true((int64_t) (strtod(ws_lag_histogram_bounds_le[i], NULL) * 1000.0 + 0.5) ==
					ws_lag_histogram_bounds_ms[i]);
		if (i > 0)
			assert_true(ws_lag_histogram_bounds_ms[i] > ws_lag_histogram_bounds_ms[i - 1]);
	}
}

/* a value equal to a bound goes in that bound's bucket, one above in the next */
static void
test_value_on_a_bound(void **state)
{
	(void) state;
	for (int i = 0; i < WS_LAG_HISTOGRAM_BUCKETS; i++) {
		ws_lag_histogram_init(&h);
		ws_lag_histogram_observe(&h, "s", ws_lag_histogram_bounds_ms[i]);
		assert_int_equal(h.series[0].in_bucket[i], 1);
		ws_lag_histogram_observe(&h, "s", ws_lag_histogram_bounds_ms[i] + 1);
		if (i + 1 < WS_LAG_HISTOGRAM_BUCKETS)
			assert_int_equal(h.series[0].in_bucket[i + 1], 1);
		assert_int_equal(h.series[0].count, 2);
	}
}

static void
test_cumulative_render(void **state)
{
	char *text;

	(void) state;
	ws_lag_histogram_observe(&h, "s1", 0);       /* 0.005 */
	ws_lag_histogram_observe(&h, "s1", 5);       /* 0.005: on the bound */
	ws_lag_histogram_observe(&h, "s1", 6);       /* 0.01 */
	ws_lag_histogram_observe(&h, "s1", 1000);    /* 1 */
	ws_lag_histogram_observe(&h, "s1", 60001);   /* only +Inf */
	ws_lag_histogram_observe(&h, "s1", -1);      /* NULL replay_lag: 0 */
	text = render();
	assert_non_null(strstr(text, "# HELP walship_replication_lag_seconds "));
	assert_non_null(strstr(text, "# TYPE walship_replication_lag_seconds histogram\n"));
	assert_true(bucket(text, "s1", "0.005") == 3);
	assert_true(bucket(text, "s1", "0.01") == 4);
	assert_true(bucket(text, "s1", "0.5") == 4);
	assert_true(bucket(text, "s1", "1") == 5);
	assert_true(bucket(text, "s1", "60") == 5);
	assert_true(bucket(text, "s1", "+Inf") == 6);
	assert_true(sample_value(text, "walship_replication_lag_seconds_count{standby=\"s1\"}") == 6);
	assert_non_null(strstr(text, "walship_replication_lag_seconds_sum{standby=\"s1\"} 61.012\n"));
	/* le never decreases */
	for (int i = 1; i < WS_LAG_HISTOGRAM_BUCKETS; i++)
		assert_true(bucket(text, "s1", ws_lag_histogram_bounds_le[i]) >=
					bucket(text, "s1", ws_lag_histogram_bounds_le[i - 1]));
	free(text);
}

static void
test_series_per_standby_and_order(void **state)
{
	char *text;

	(void) state;
	ws_lag_histogram_observe(&h, "zeta", 20);
	ws_lag_histogram_observe(&h, "alpha", 20);
	ws_lag_histogram_observe(&h, "zeta", 20);
	text = render();
	assert_true(sample_value(text, "walship_replication_lag_seconds_count{standby=\"alpha\"}") == 1);
	assert_true(sample_value(text, "walship_replication_lag_seconds_count{standby=\"zeta\"}") == 2);
	assert_true(strstr(text, "standby=\"alpha\"") < strstr(text, "standby=\"zeta\""));
	/* HELP and TYPE once */
	assert_ptr_equal(strstr(text, "# TYPE"), strstr(text, "# TYPE walship_replication_lag_seconds histogram"));
	assert_null(strstr(strstr(text, "# TYPE") + 1, "# TYPE"));
	free(text);
}

static void
test_label_escaping(void **state)
{
	char *text;

	(void) state;
	ws_lag_histogram_observe(&h, "a\"b\\c\nd", 1);
	text = render();
	assert_non_null(strstr(text, "walship_replication_lag_seconds_count{standby=\"a\\\"b\\\\c\\nd\"} 1\n"));
	assert_non_null(strstr(text, "_bucket{standby=\"a\\\"b\\\\c\\nd\",le=\"+Inf\"} 1\n"));
	free(text);
}

static void
test_observe_report(void **state)
{
	static struct ws_status_report st;

	(void) state;
	ws_status_init(&st);
	st.nstandbys = 3;
	for (int i = 0; i < 3; i++)
		ws_status_standby_init(&st.standbys[i]);
	snprintf(st.standbys[0].name, sizeof(st.standbys[0].name), "s1");
	st.standbys[0].replay_lag_ms = 30;
	snprintf(st.standbys[1].name, sizeof(st.standbys[1].name), "s2");
	st.standbys[1].replay_lag_ms = WS_STATUS_UNKNOWN;
	snprintf(st.standbys[2].name, sizeof(st.standbys[2].name), "gone");
	st.standbys[2].stopped = true;
	ws_lag_histogram_observe_report(&h, &st);
	assert_int_equal(h.nseries, 2);
	assert_string_equal(h.series[0].standby, "s1");
	assert_int_equal(h.series[0].in_bucket[3], 1);  /* 0.05 */
	assert_int_equal(h.series[0].sum_ms, 30);
	assert_string_equal(h.series[1].standby, "s2");
	assert_int_equal(h.series[1].in_bucket[0], 1);  /* unknown counts as 0 */
}

/* past the maximum, the series not seen for longest makes room */
static void
test_eviction(void **state)
{
	char name[32];

	(void) state;
	for (int i = 0; i < WS_LAG_HISTOGRAM_MAX_SERIES; i++) {
		snprintf(name, sizeof(name), "s%03d", i);
		ws_lag_histogram_observe(&h, name, 1);
	}
	ws_lag_histogram_observe(&h, "s000", 1);  /* s001 is now the oldest */
	ws_lag_histogram_observe(&h, "new", 1);
	assert_int_equal(h.nseries, WS_LAG_HISTOGRAM_MAX_SERIES);
	for (int i = 0; i < h.nseries; i++) {
		assert_string_not_equal(h.series[i].standby, "s001");
		if (i > 0)
			assert_true(strcmp(h.series[i - 1].standby, h.series[i].standby) < 0);
	}
	for (int i = 0; i < h.nseries; i++)
		if (strcmp(h.series[i].standby, "s000") == 0)
			assert_int_equal(h.series[i].count, 2);
}

static void
test_render_too_large(void **state)
{
	struct ws_buf out;

	(void) state;
	ws_lag_histogram_observe(&h, "s1", 1);
	ws_buf_init(&out, 100);
	assert_int_equal(ws_lag_histogram_render(&h, &out), WS_ERR_TOO_LARGE);
	ws_buf_free(&out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_empty_renders_nothing, setup),
		cmocka_unit_test_setup(test_bounds, setup),
		cmocka_unit_test_setup(test_value_on_a_bound, setup),
		cmocka_unit_test_setup(test_cumulative_render, setup),
		cmocka_unit_test_setup(test_series_per_standby_and_order, setup),
		cmocka_unit_test_setup(test_label_escaping, setup),
		cmocka_unit_test_setup(test_observe_report, setup),
		cmocka_unit_test_setup(test_eviction, setup),
		cmocka_unit_test_setup(test_render_too_large, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
