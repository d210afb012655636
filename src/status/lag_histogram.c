/*
 * lag_histogram.c — replay lag histogram per standby (see lag_histogram.h)
 */
#include "status/lag_histogram.h"

#include <inttypes.h>
#include <string.h>

#include "common/error.h"
#include "common/str.h"
#include "status/render.h"

const int64_t ws_lag_histogram_bounds_ms[WS_LAG_HISTOGRAM_BUCKETS] = {
	5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000
};

const char *const ws_lag_histogram_bounds_le[WS_LAG_HISTOGRAM_BUCKETS] = {
	"0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "10", "30", "60"
};

void
ws_lag_histogram_init(struct ws_lag_histogram *h)
{
	memset(h, 0, sizeof(*h));
}

/* Drop the series observed longest ago, to make room. */
static void
evict_oldest(struct ws_lag_histogram *h)
{
	int oldest = 0;

	for (int i = 1; i < h->nseries; i++)
		if (h->series[i].last_seen < h->series[oldest].last_seen)
			oldest = i;
	memmove(&h->series[oldest], &h->series[oldest + 1],
			(size_t) (h->nseries - oldest - 1) * sizeof(h->series[0]));
	h->nseries--;
}

/* The series of standby, created (in name order) when new. */
static struct ws_lag_series *
series_for(struct ws_lag_histogram *h, const char *standby)
{
	struct ws_lag_series *s;
	int at = 0;

	while (at < h->nseries) {
		int c = strcmp(h->series[at].standby, standby);

		if (c == 0)
			return &h->series[at];
		if (c > 0)
			break;
		at++;
	}
	if (h->nseries == WS_LAG_HISTOGRAM_MAX_SERIES) {
		evict_oldest(h);
		return series_for(h, standby);
	}
	memmove(&h->series[at + 1], &h->series[at], (size_t) (h->nseries - at) * sizeof(h->series[0]));
	h->nseries++;
	s = &h->series[at];
	memset(s, 0, sizeof(*s));
	ws_strlcpy(s->standby, standby, sizeof(s->standby));
	return s;
}

void
ws_lag_histogram_observe(struct ws_lag_histogram *h, const char *standby, int64_t lag_ms)
{
	struct ws_lag_series *s = series_for(h, standby);

	if (lag_ms < 0)
		lag_ms = 0;
	for (int i = 0; i < WS_LAG_HISTOGRAM_BUCKETS; i++) {
		if (lag_ms <= ws_lag_histogram_bounds_ms[i]) {
			s->in_bucket[i]++;
			break;
		}
	}
	s->count++;
	s->sum_ms += lag_ms;
	s->last_seen = ++h->samples;
}

void
ws_lag_histogram_observe_report(struct ws_lag_histogram *h, const struct ws_status_report *st)
{
	for (int i = 0; i < st->nstandbys; i++) {
		const struct ws_status_standby *sb = &st->standbys[i];

		if (!sb->stopped)
			ws_lag_histogram_observe(h, sb->name, sb->replay_lag_ms);
	}
}

static int
render_series(const struct ws_lag_series *s, struct ws_buf *out)
{
	char label[2 * WS_STATUS_NAME_MAX + 1];
	uint64_t cumulative = 0;
	int rc = WS_OK;

	ws_prom_escape_label(s->standby, label, sizeof(label));
	for (int i = 0; rc == WS_OK && i < WS_LAG_HISTOGRAM_BUCKETS; i++) {
		cumulative += s->in_bucket[i];
		rc = ws_buf_appendf(out, WS_LAG_HISTOGRAM_NAME "_bucket{standby=\"%s\",le=\"%s\"} %" PRIu64 "\n",
							label, ws_lag_histogram_bounds_le[i], cumulative);
	}
	if (rc == WS_OK)
		rc = ws_buf_appendf(out, WS_LAG_HISTOGRAM_NAME "_bucket{standby=\"%s\",le=\"+Inf\"} %" PRIu64 "\n"
							WS_LAG_HISTOGRAM_NAME "_sum{standby=\"%s\"} %" PRId64 ".%03d\n"
							WS_LAG_HISTOGRAM_NAME "_count{standby=\"%s\"} %" PRIu64 "\n",
							label, s->count, label, s->sum_ms / 1000, (int) (s->sum_ms % 1000),
							label, s->count);
	return rc;
}

int
ws_lag_histogram_render(const struct ws_lag_histogram *h, struct ws_buf *out)
{
	int rc;

	if (h->nseries == 0)
		return WS_OK;
	rc = ws_buf_append_str(out,
						   "# HELP " WS_LAG_HISTOGRAM_NAME " Replay lag of each connected standby (replay_lag of pg_stat_replication, 0 when PostgreSQL reports none), sampled by walshipd once a second.\n"
						   "# TYPE " WS_LAG_HISTOGRAM_NAME " histogram\n");
	for (int i = 0; rc == WS_OK && i < h->nseries; i++)
		rc = render_series(&h->series[i], out);
	return rc;
}
