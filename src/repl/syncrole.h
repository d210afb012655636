/*
 * syncrole.h — semi-sync: who holds the synchronous role, decided each tick
 *
 * In semi-sync mode the primary waits for ONE standby. Each tick walshipd
 * observes the streaming standbys (pg_stat_replication) and the primary's
 * current WAL position, and this state machine says what
 * synchronous_standby_names must be:
 *
 *   - the sync standby has failed when it is gone, not streaming, or has
 *     not confirmed (flushed) WAL the primary had written `failed_after_ms`
 *     ago: so no commit waits much longer than that, and a standby that
 *     vanished from the network without closing its connection is caught
 *     the same way;
 *   - the role then moves to the eligible standby with the newest flush
 *     position: streaming, confirming, and within catchup_bytes of the
 *     primary (a learner further behind is never given the role);
 *   - with none eligible, the primary runs async (degraded) until one is.
 *
 * Pure logic on observations, no I/O: unit-tested tick by tick.
 */
#ifndef WALSHIP_REPL_SYNCROLE_H
#define WALSHIP_REPL_SYNCROLE_H

#include <stdbool.h>
#include <stdint.h>

#include "wal/lsn.h"

#define WS_SYNC_NAME_MAX 64
#define WS_SYNC_MAX_STANDBYS 64

struct ws_sync_standby {
	char name[WS_SYNC_NAME_MAX];  /* application_name */
	bool streaming;
	ws_lsn flush;
};

struct ws_sync_observation {
	long now_ms;                   /* monotonic */
	ws_lsn current;                /* the primary's current WAL position */
	const struct ws_sync_standby *standbys;
	int count;
};

#define WS_SYNC_SAMPLES 512

/* The primary's position at past ticks: what a standby must have confirmed by now. */
struct ws_sync_sample {
	long at_ms;
	ws_lsn current;
};

struct ws_sync_role {
	long failed_after_ms;
	uint64_t catchup_bytes;
	char holder[WS_SYNC_NAME_MAX]; /* "" while degraded */
	bool started;
	struct ws_sync_sample samples[WS_SYNC_SAMPLES];   /* ring, oldest first from `first` */
	int first;
	int nsamples;
};

enum ws_sync_change {
	WS_SYNC_UNCHANGED,
	WS_SYNC_ASSIGNED,              /* holder is the new sync standby */
	WS_SYNC_DEGRADED               /* no eligible standby: async */
};

void ws_sync_role_init(struct ws_sync_role *r, long failed_after_ms, uint64_t catchup_bytes);

/*
 * Feed one tick's observation; says whether synchronous_standby_names must
 * change (to r->holder, or to empty when degraded). *why gets a reason
 * for the log ("s1 confirmed nothing for 3.0 s", ...).
 */
enum ws_sync_change ws_sync_role_tick(struct ws_sync_role *r, const struct ws_sync_observation *o,
									  char *why, size_t why_size);

/* Restart from what the server has: holder "" = async now. */
void ws_sync_role_adopt(struct ws_sync_role *r, const char *holder);

bool ws_sync_role_degraded(const struct ws_sync_role *r);

#endif
