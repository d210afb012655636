/*
 * slot_render.h — `walship slot list` as a table or JSON
 */
#ifndef WALSHIP_STATUS_SLOT_RENDER_H
#define WALSHIP_STATUS_SLOT_RENDER_H

#include <stdio.h>

#include "common/buf.h"
#include "pg/slot.h"

void ws_slot_render_table(const struct ws_pg_slot_list *list, FILE *out);
/* {"slots":[...]} on one line; every field present, null when unknown. */
int ws_slot_render_json(const struct ws_pg_slot_list *list, struct ws_buf *out);

#endif
