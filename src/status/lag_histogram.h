/*
 * lag_histogram.h — walship_replication_lag_seconds, a Prometheus histogram
 *
 * walshipd samples every connected standby's replay lag (replay_lag of
 * pg_stat_replication; PostgreSQL reports NULL once a standby has caught
 * up, which counts as 0) and counts each sample into buckets of 5 ms to
 * 60 s, per standby. The counts only grow while walshipd runs, as
 * Prometheus counters do, so rate() and histogram_quantile() work on them.
 *
 * Pure data and text, no I/O: unit-tested on its own.
 */
#ifndef WALSHIP_STATUS_LAG_HISTOGRAM_H
#define WALSHIP_STATUS_LAG_HISTOGRAM_H

#include <stdint.h>

#include "common/buf.h"
#include "status/status.h"

#define WS_LAG_HISTOGRAM_NAME "walship_replication_lag_seconds"
/* finite upper bounds; +Inf is the count */
#define WS_LAG_HISTOGRAM_BUCKETS 13
/* standbys told apart; past it the one not seen for longest is dropped */
#define WS_LAG_HISTOGRAM_MAX_SERIES WS_STATUS_MAX_STANDBYS

struct ws_lag_series {
	char standby[WS_STATUS_NAME_MAX];
	uint64_t in_bucket[WS_LAG_HISTOGRAM_BUCKETS]; /* samples above the previous bound, up to this one */
	uint64_t count;                               /* every sample, the +Inf bucket */
	int64_t sum_ms;
	uint64_t last_seen;                           /* h->samples when last observed */
};

struct ws_lag_histogram {
	struct ws_lag_series series[WS_LAG_HISTOGRAM_MAX_SERIES];  /* sorted by standby */
	int nseries;
	uint64_t samples;                             /* observations so far, all series */
};

/* The upper bounds in milliseconds, and as Prometheus prints them ("0.005"). */
extern const int64_t ws_lag_histogram_bounds_ms[WS_LAG_HISTOGRAM_BUCKETS];
extern const char *const ws_lag_histogram_bounds_le[WS_LAG_HISTOGRAM_BUCKETS];

void ws_lag_histogram_init(struct ws_lag_histogram *h);

/*
 * Count one sample of a standby's lag in milliseconds. A value equal to a
 * bound goes into that bound's bucket; a negative (unknown) value counts
 * as 0.
 */
void ws_lag_histogram_observe(struct ws_lag_histogram *h, const char *standby, int64_t lag_ms);

/* One sample of the replay lag of every connected (not stopped) standby of st. */
void ws_lag_histogram_observe_report(struct ws_lag_histogram *h, const struct ws_status_report *st);

/*
 * Append the family in the text exposition format: HELP and TYPE, then per
 * standby _bucket{standby="...",le="..."} (cumulative), _sum and _count.
 * Nothing when no standby was ever seen. WS_ERR_TOO_LARGE or WS_ERR_NOMEM
 * from the buffer.
 */
int ws_lag_histogram_render(const struct ws_lag_histogram *h, struct ws_buf *out);

#endif
