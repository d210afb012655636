/*
 * status.h — what `walship status` knows about a node, its standbys, its
 * slots and its archive, as a plain struct
 *
 * The collector (collect.h) fills it from a server, health.h judges it and
 * the renderers (render.h) print it; the last two are pure functions, so
 * they are unit-tested on hand-made structs.
 *
 * Unknown values: an LSN is WS_LSN_INVALID, a number is WS_STATUS_UNKNOWN
 * (-1), a string is "". The renderers print them as null or "-".
 */
#ifndef WALSHIP_STATUS_STATUS_H
#define WALSHIP_STATUS_STATUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pg/server.h"
#include "wal/lsn.h"

#define WS_STATUS_UNKNOWN (-1)
#define WS_STATUS_MAX_STANDBYS 128
#define WS_STATUS_NAME_MAX 64        /* NAMEDATALEN */
#define WS_STATUS_HEALTH_MAX_ITEMS 32

enum ws_status_mode {
	WS_STATUS_MODE_ASYNC,
	WS_STATUS_MODE_SYNC,
	WS_STATUS_MODE_SEMI_SYNC
};

/* Whether the configured mode is in force on the primary. */
enum ws_status_sync {
	WS_STATUS_SYNC_NA,        /* a standby: not applicable */
	WS_STATUS_SYNC_ASYNC,     /* mode async */
	WS_STATUS_SYNC_SYNC,      /* mode sync or semi-sync, synchronous_standby_names set */
	WS_STATUS_SYNC_DEGRADED   /* mode sync or semi-sync, synchronous_standby_names empty */
};

enum ws_health {
	WS_HEALTH_OK = 0,
	WS_HEALTH_WARNING = 1,
	WS_HEALTH_CRITICAL = 2,
	WS_HEALTH_UNKNOWN = 3
};

struct ws_status_node {
	bool up;                             /* connected and answered */
	char target[256];                    /* "127.0.0.1:5432" */
	char error[512];                     /* why not up */
	enum ws_pg_role role;
	uint32_t timeline;
	uint32_t wal_segment_size;
	ws_lsn current_lsn;                  /* primary: pg_current_wal_lsn() */
	ws_lsn insert_lsn;                   /* primary: pg_current_wal_insert_lsn() */
	ws_lsn receive_lsn;                  /* standby: pg_last_wal_receive_lsn() */
	ws_lsn replay_lsn;                   /* standby: pg_last_wal_replay_lsn() */
	char replay_timestamp[64];           /* standby: pg_last_xact_replay_timestamp() */
	int64_t replay_lag_bytes;            /* standby: receive - replay */
	enum ws_status_mode mode;            /* replication-mode of the configuration */
	char synchronous_standby_names[WS_PG_SETTING_MAX];
	enum ws_status_sync sync;
};

/*
 * A row of pg_stat_replication, or (stopped) a physical slot that no
 * standby uses, named after the slot.
 */
struct ws_status_standby {
	char name[WS_STATUS_NAME_MAX];       /* application_name, or the slot's name */
	int pid;                             /* walsender; 0 when stopped */
	bool stopped;
	char host[64];                       /* client_addr; "" for a local socket */
	char state[32];                      /* streaming, catchup, ... or stopped */
	char sync_state[32];                 /* async, potential, sync, quorum; "" */
	ws_lsn sent_lsn;
	ws_lsn write_lsn;
	ws_lsn flush_lsn;
	ws_lsn replay_lsn;
	int64_t write_lag_bytes;             /* the node's current LSN minus ... */
	int64_t flush_lag_bytes;
	int64_t replay_lag_bytes;
	int64_t write_lag_ms;                /* write_lag ...; UNKNOWN when NULL */
	int64_t flush_lag_ms;
	int64_t replay_lag_ms;
	char slot[WS_STATUS_NAME_MAX];       /* "" without a slot */
	ws_lsn slot_restart_lsn;
	int64_t slot_retained_bytes;         /* the node's current LSN - restart_lsn */
	char slot_wal_status[16];            /* reserved, extended, unreserved, lost */
};

struct ws_status_archive {
	bool enabled;                        /* archive_mode on (primary) or always */
	char archive_mode[16];
	char last_archived_wal[64];
	char last_archived_time[64];
	int64_t last_archived_age_ms;        /* now - last_archived_time */
	int64_t failed_count;
	char last_failed_wal[64];
	char last_failed_time[64];
	int64_t lag_segments;                /* completed, not yet archived */
	int64_t lag_ms;                      /* age of the last archived when lag > 0, else 0 */
};

struct ws_health_item {
	enum ws_health level;
	char message[256];
};

struct ws_health_report {
	enum ws_health level;                /* the worst item, OK when none */
	struct ws_health_item items[WS_STATUS_HEALTH_MAX_ITEMS];
	int count;
};

struct ws_status_report {
	struct ws_status_node node;
	struct ws_status_standby standbys[WS_STATUS_MAX_STANDBYS];
	int nstandbys;
	bool standbys_truncated;             /* more than WS_STATUS_MAX_STANDBYS */
	struct ws_status_archive archive;
	struct ws_health_report health;
};

/* Everything unknown, nothing listed. */
void ws_status_init(struct ws_status_report *st);
void ws_status_standby_init(struct ws_status_standby *sb);

const char *ws_status_mode_name(enum ws_status_mode mode);
/* "async", "sync", "degraded"; NULL for WS_STATUS_SYNC_NA */
const char *ws_status_sync_name(enum ws_status_sync sync);
const char *ws_health_name(enum ws_health level);

/* sync or semi-sync without synchronous_standby_names is degraded. */
enum ws_status_sync ws_status_sync_of(enum ws_pg_role role, enum ws_status_mode mode,
									  const char *synchronous_standby_names);

/*
 * Lag and retention from the LSNs already in st: every standby's lag bytes
 * against the node's current LSN (a primary's pg_current_wal_lsn(), a
 * standby's newest received or replayed), the slots' retained WAL, the
 * node's own replay lag and the archive's lag in segments.
 */
void ws_status_derive(struct ws_status_report *st);

/* The LSN lag is measured against. */
ws_lsn ws_status_reference_lsn(const struct ws_status_node *node);

/* "512 B", "1.2 kB", "16.0 MB", ... (1024-based); "-" when negative. */
void ws_status_format_bytes(int64_t bytes, char *buf, size_t size);

#endif
