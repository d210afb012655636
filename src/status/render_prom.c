/*
 * render_prom.c — `walship status --prometheus` and walshipd's /metrics
 *
 * Prometheus text exposition format 0.0.4: per family a # HELP and a
 * # TYPE line, then samples `name{label="value",...} number`. A family
 * with no sample (no standby, archiving off, an unknown value) is left
 * out. Label values escape backslash, double quote and newline.
 */
#include "status/render.h"

#include <inttypes.h>
#include <stdarg.h>
#include <string.h>

struct prom {
	struct ws_buf *buf;
	int status;
	const char *family;     /* the family whose HELP/TYPE were written last */
};

static void
put(struct prom *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
put(struct prom *p, const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	int n;

	if (p->status != WS_OK)
		return;
	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t) n >= sizeof(line)) {
		p->status = WS_ERR_TOO_LARGE;
		return;
	}
	p->status = ws_buf_append(p->buf, line, (size_t) n);
}

/* HELP and TYPE once, before the family's first sample. */
static void
family(struct prom *p, const char *name, const char *type, const char *help)
{
	if (p->family != NULL && strcmp(p->family, name) == 0)
		return;
	p->family = name;
	put(p, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

void
ws_prom_escape_label(const char *value, char *buf, size_t size)
{
	size_t k = 0;

	for (const char *c = value; *c != '\0' && k + 3 < size; c++) {
		if (*c == '\\' || *c == '"') {
			buf[k++] = '\\';
			buf[k++] = *c;
		} else if (*c == '\n') {
			buf[k++] = '\\';
			buf[k++] = 'n';
		} else {
			buf[k++] = *c;
		}
	}
	buf[k] = '\0';
}

static void
gauge(struct prom *p, const char *name, const char *help, int64_t value)
{
	family(p, name, "gauge", help);
	put(p, "%s %" PRId64 "\n", name, value);
}

static void
standby_lag(struct prom *p, const struct ws_status_report *st)
{
	static const char *const kinds[] = {"write", "flush", "replay"};
	char label[2 * WS_STATUS_NAME_MAX + 1];

	for (int i = 0; i < st->nstandbys; i++) {
		const struct ws_status_standby *sb = &st->standbys[i];
		const int64_t bytes[] = {sb->write_lag_bytes, sb->flush_lag_bytes, sb->replay_lag_bytes};

		if (sb->stopped)
			continue;
		ws_prom_escape_label(sb->name, label, sizeof(label));
		for (int k = 0; k < 3; k++) {
			if (bytes[k] < 0)
				continue;
			family(p, "walship_replication_lag_bytes", "gauge",
				   "WAL bytes between the server's current position and what the standby has written, flushed or replayed.");
			put(p, "walship_replication_lag_bytes{standby=\"%s\",kind=\"%s\"} %" PRId64 "\n",
				label, kinds[k], bytes[k]);
		}
	}
	for (int i = 0; i < st->nstandbys; i++) {
		const struct ws_status_standby *sb = &st->standbys[i];
		const int64_t ms[] = {sb->write_lag_ms, sb->flush_lag_ms, sb->replay_lag_ms};

		if (sb->stopped)
			continue;
		ws_prom_escape_label(sb->name, label, sizeof(label));
		for (int k = 0; k < 3; k++) {
			family(p, "walship_replication_lag_seconds_current", "gauge",
				   "write_lag, flush_lag and replay_lag of pg_stat_replication in seconds; 0 when PostgreSQL reports none (the standby has caught up).");
			put(p, "walship_replication_lag_seconds_current{standby=\"%s\",kind=\"%s\"} %.3f\n",
				label, kinds[k], ms[k] < 0 ? 0.0 : (double) ms[k] / 1000.0);
		}
	}
}

static void
slots(struct prom *p, const struct ws_status_report *st)
{
	char label[2 * WS_STATUS_NAME_MAX + 1];

	for (int i = 0; i < st->nstandbys; i++) {
		const struct ws_status_standby *sb = &st->standbys[i];

		if (sb->slot[0] == '\0' || sb->slot_retained_bytes < 0)
			continue;
		ws_prom_escape_label(sb->slot, label, sizeof(label));
		family(p, "walship_slot_retained_bytes", "gauge",
			   "WAL bytes a replication slot keeps on the server (current position minus restart_lsn).");
		put(p, "walship_slot_retained_bytes{slot=\"%s\"} %" PRId64 "\n", label, sb->slot_retained_bytes);
	}
	for (int i = 0; i < st->nstandbys; i++) {
		const struct ws_status_standby *sb = &st->standbys[i];

		if (sb->slot[0] == '\0')
			continue;
		ws_prom_escape_label(sb->slot, label, sizeof(label));
		family(p, "walship_slot_active", "gauge",
			   "Whether a standby uses the physical replication slot (1) or not (0).");
		put(p, "walship_slot_active{slot=\"%s\"} %d\n", label, sb->stopped ? 0 : 1);
	}
}

static void
archive(struct prom *p, const struct ws_status_archive *a)
{
	gauge(p, "walship_archive_enabled", "Whether the server archives WAL (archive_mode on, or always on a standby).",
		  a->enabled);
	if (!a->enabled)
		return;
	if (a->lag_segments >= 0)
		gauge(p, "walship_archive_lag_segments", "Completed WAL segments not archived yet.", a->lag_segments);
	if (a->lag_ms >= 0) {
		family(p, "walship_archive_lag_seconds", "gauge",
			   "Seconds since the last segment was archived while segments wait, else 0.");
		put(p, "walship_archive_lag_seconds %.3f\n", (double) a->lag_ms / 1000.0);
	}
	if (a->failed_count >= 0) {
		family(p, "walship_archive_failed_total", "counter",
			   "Failed archiving attempts since the statistics were reset (pg_stat_archiver.failed_count).");
		put(p, "walship_archive_failed_total %" PRId64 "\n", a->failed_count);
	}
}

static void
node(struct prom *p, const struct ws_status_node *n)
{
	static const enum ws_status_mode modes[] = {
		WS_STATUS_MODE_ASYNC, WS_STATUS_MODE_SYNC, WS_STATUS_MODE_SEMI_SYNC
	};
	ws_lsn lsn = n->role == WS_PG_PRIMARY ? n->current_lsn : n->replay_lsn;

	gauge(p, "walship_in_recovery", "Whether the server is a standby (1) or a primary (0).",
		  n->role == WS_PG_STANDBY);
	gauge(p, "walship_timeline", "Timeline the server is on.", n->timeline);
	if (lsn != WS_LSN_INVALID)
		gauge(p, "walship_wal_lsn_bytes",
			  "Current WAL position as a byte count: pg_current_wal_lsn() on a primary, the last replayed on a standby.",
			  (int64_t) lsn);
	if (n->role == WS_PG_STANDBY && n->receive_lsn != WS_LSN_INVALID)
		gauge(p, "walship_wal_receive_lsn_bytes", "Standby only: the last WAL position received, as a byte count.",
			  (int64_t) n->receive_lsn);
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		family(p, "walship_replication_mode", "gauge",
			   "The configured replication-mode: 1 for the one in force, 0 for the others.");
		put(p, "walship_replication_mode{mode=\"%s\"} %d\n", ws_status_mode_name(modes[i]),
			modes[i] == n->mode ? 1 : 0);
	}
	gauge(p, "walship_sync_degraded",
		  "1 when replication-mode is sync or semi-sync but the primary has no synchronous_standby_names.",
		  n->sync == WS_STATUS_SYNC_DEGRADED);
}

int
ws_status_render_prometheus(const struct ws_status_report *st, struct ws_buf *out)
{
	struct prom p = {out, WS_OK, NULL};

	gauge(&p, "walship_up", "Whether walship could connect to the server and read its status.", st->node.up);
	gauge(&p, "walship_health", "Health as walship status reports it: 0 ok, 1 warning, 2 critical.",
		  st->health.level);
	if (st->node.up) {
		node(&p, &st->node);
		standby_lag(&p, st);
		slots(&p, st);
		archive(&p, &st->archive);
	}
	return p.status;
}
