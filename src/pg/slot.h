/*
 * slot.h — physical replication slots through SQL, for `walship slot`
 *
 * Create, drop and list with the checks an operator wants spelled out:
 * an invalid or taken name, no free slot, a slot that is missing or in
 * use, and how much WAL each slot holds back.
 */
#ifndef WALSHIP_PG_SLOT_H
#define WALSHIP_PG_SLOT_H

#include <stdbool.h>
#include <stdint.h>

#include "common/error.h"
#include "pg/conn.h"
#include "wal/lsn.h"

#define WS_PG_SLOT_NAME_MAX 64

struct ws_pg_slot {
	char name[WS_PG_SLOT_NAME_MAX];
	char type[16];               /* physical, logical */
	bool temporary;
	bool active;
	int active_pid;              /* 0 when not active */
	ws_lsn restart_lsn;          /* WS_LSN_INVALID when it reserves nothing */
	int64_t retained_bytes;      /* current position - restart_lsn; -1 unknown */
	char wal_status[16];         /* reserved, extended, unreserved, lost; "" */
	int64_t safe_wal_size;       /* bytes before the slot is at risk; -1 NULL */
};

struct ws_pg_slot_list {
	struct ws_pg_slot *slots;
	int count;
};

/*
 * A name walship accepts: 1 to 63 of [a-z0-9_], as PostgreSQL does
 * (ReplicationSlotValidateName). WS_ERR_INVALID with the reason.
 */
int ws_pg_slot_name_check(const char *name, struct ws_error *err);

/*
 * Create a physical slot that reserves WAL now. WS_ERR_EXISTS when the
 * name is taken, WS_ERR_TOO_LARGE when every slot (max_replication_slots)
 * is in use.
 */
int ws_pg_slot_create(struct ws_pg_conn *conn, const char *name, struct ws_error *err);

/* WS_ERR_NOT_FOUND when there is no such slot, WS_ERR_PG when it is active. */
int ws_pg_slot_drop(struct ws_pg_conn *conn, const char *name, struct ws_error *err);

/* Every slot, by name. Free with ws_pg_slot_list_free. */
int ws_pg_slot_list(struct ws_pg_conn *conn, struct ws_pg_slot_list *list, struct ws_error *err);
void ws_pg_slot_list_free(struct ws_pg_slot_list *list);

/* max_slot_wal_keep_size in bytes; -1 when unlimited. */
int ws_pg_max_slot_wal_keep_size(struct ws_pg_conn *conn, int64_t *bytes, struct ws_error *err);

#endif
