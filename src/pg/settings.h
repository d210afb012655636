/*
 * settings.h — change a server setting the way an operator would
 *
 * ALTER SYSTEM SET name = 'value' (written to postgresql.auto.conf, so it
 * survives restarts) followed by pg_reload_conf(). walship uses it for
 * synchronous_standby_names and for its own walship.replication_mode, a
 * custom setting that records the mode chosen by `walship mode set` where
 * every walship process and walshipd can read it.
 */
#ifndef WALSHIP_PG_SETTINGS_H
#define WALSHIP_PG_SETTINGS_H

#include <stddef.h>

#include "common/error.h"
#include "pg/conn.h"

/* name: lower-case letters, digits, '_' and '.'; value: any text. */
int ws_pg_alter_system(struct ws_pg_conn *conn, const char *name, const char *value,
					   struct ws_error *err);

/* current_setting(name, true): "" when the setting does not exist. */
int ws_pg_setting(struct ws_pg_conn *conn, const char *name, char *buf, size_t size,
				  struct ws_error *err);

#endif
