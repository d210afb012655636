/*
 * repl_msg.c — replication stream messages (repl_msg.h)
 */
#include "pg/repl_msg.h"

#include <time.h>

/* Seconds from the Unix epoch to PostgreSQL's, 2000-01-01 00:00 UTC. */
#define PG_EPOCH_OFFSET 946684800LL

static uint64_t
get_u64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = (v << 8) | p[i];
	return v;
}

static void
put_u64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--) {
		p[i] = (uint8_t) (v & 0xff);
		v >>= 8;
	}
}

int
ws_repl_msg_parse(const uint8_t *buf, size_t len, struct ws_repl_msg *out, struct ws_error *err)
{
	if (len == 0)
		return ws_error_set(err, WS_ERR_CORRUPT, "empty message in the replication stream");
	switch (buf[0]) {
	case 'w':
		if (len < WS_REPL_XLOGDATA_HEADER)
			return ws_error_set(err, WS_ERR_CORRUPT,
								"truncated WAL data message in the replication stream (%zu bytes)", len);
		out->type = WS_REPL_XLOGDATA;
		out->start = get_u64(buf + 1);
		out->server_end = get_u64(buf + 9);
		out->send_time = (int64_t) get_u64(buf + 17);
		out->reply_requested = false;
		out->data = buf + WS_REPL_XLOGDATA_HEADER;
		out->len = len - WS_REPL_XLOGDATA_HEADER;
		return WS_OK;
	case 'k':
		if (len != WS_REPL_KEEPALIVE_LEN)
			return ws_error_set(err, WS_ERR_CORRUPT,
								"malformed keepalive message in the replication stream (%zu bytes)", len);
		out->type = WS_REPL_KEEPALIVE;
		out->start = WS_LSN_INVALID;
		out->server_end = get_u64(buf + 1);
		out->send_time = (int64_t) get_u64(buf + 9);
		out->reply_requested = buf[17] != 0;
		out->data = NULL;
		out->len = 0;
		return WS_OK;
	default:
		return ws_error_set(err, WS_ERR_CORRUPT,
							"unknown message type \"%c\" in the replication stream",
							buf[0] >= 32 && buf[0] < 127 ? buf[0] : '?');
	}
}

void
ws_repl_status_encode(ws_lsn write, ws_lsn flush, ws_lsn apply, int64_t now,
					  bool reply_requested, uint8_t out[WS_REPL_STATUS_LEN])
{
	out[0] = 'r';
	put_u64(out + 1, write);
	put_u64(out + 9, flush);
	put_u64(out + 17, apply);
	put_u64(out + 25, (uint64_t) now);
	out[33] = reply_requested ? 1 : 0;
}

int64_t
ws_repl_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ((int64_t) ts.tv_sec - PG_EPOCH_OFFSET) * 1000000LL + ts.tv_nsec / 1000;
}
