/*
 * syncrole.c — semi-sync role decisions (syncrole.h)
 */
#include "repl/syncrole.h"

#include <stdio.h>
#include <string.h>

#include "common/str.h"
#include "wal/lsn.h"

void
ws_sync_role_init(struct ws_sync_role *r, long failed_after_ms, uint64_t catchup_bytes)
{
	memset(r, 0, sizeof(*r));
	r->failed_after_ms = failed_after_ms;
	r->catchup_bytes = catchup_bytes;
}

void
ws_sync_role_adopt(struct ws_sync_role *r, const char *holder)
{
	ws_strlcpy(r->holder, holder, sizeof(r->holder));
	r->started = true;
}

bool
ws_sync_role_degraded(const struct ws_sync_role *r)
{
	return r->started && r->holder[0] == '\0';
}

static void
remember(struct ws_sync_role *r, const struct ws_sync_observation *o)
{
	if (r->nsamples == WS_SYNC_SAMPLES) {
		r->first = (r->first + 1) % WS_SYNC_SAMPLES;
		r->nsamples--;
	}
	/* drop samples older than needed, keeping the newest one before the horizon */
	while (r->nsamples >= 2 &&
		   r->samples[(r->first + 1) % WS_SYNC_SAMPLES].at_ms <= o->now_ms - r->failed_after_ms) {
		r->first = (r->first + 1) % WS_SYNC_SAMPLES;
		r->nsamples--;
	}
	r->samples[(r->first + r->nsamples) % WS_SYNC_SAMPLES] = (struct ws_sync_sample) {o->now_ms, o->current};
	r->nsamples++;
}

/* The position the primary had failed_after_ms ago: 0 if we have not watched that long. */
static ws_lsn
due_position(const struct ws_sync_role *r, long now_ms)
{
	ws_lsn due = WS_LSN_INVALID;

	for (int i = 0; i < r->nsamples; i++) {
		const struct ws_sync_sample *s = &r->samples[(r->first + i) % WS_SYNC_SAMPLES];

		if (s->at_ms > now_ms - r->failed_after_ms)
			break;
		due = s->current;
	}
	return due;
}

static const struct ws_sync_standby *
find(const struct ws_sync_observation *o, const char *name)
{
	for (int i = 0; i < o->count; i++)
		if (strcmp(o->standbys[i].name, name) == 0)
			return &o->standbys[i];
	return NULL;
}

/* Why standby name cannot hold the role now, or NULL when it can. */
static const char *
unfit(struct ws_sync_role *r, const struct ws_sync_observation *o, const char *name,
	  char *why, size_t size)
{
	const struct ws_sync_standby *s = find(o, name);
	ws_lsn due = due_position(r, o->now_ms);
	char lsn[WS_LSN_STRLEN];

	if (s == NULL) {
		snprintf(why, size, "%s is not connected", name);
		return why;
	}
	if (!s->streaming) {
		snprintf(why, size, "%s is not streaming", name);
		return why;
	}
	if (due != WS_LSN_INVALID && s->flush < due) {
		ws_lsn_format(due, lsn);
		snprintf(why, size, "%s has not confirmed WAL up to %s, written %.1f s ago", name, lsn,
				 (double) r->failed_after_ms / 1000.0);
		return why;
	}
	return NULL;
}

/* The best eligible standby: fit, caught up within catchup_bytes, newest flush. */
static const struct ws_sync_standby *
best_eligible(struct ws_sync_role *r, const struct ws_sync_observation *o)
{
	const struct ws_sync_standby *best = NULL;
	char ignored[128];

	for (int i = 0; i < o->count; i++) {
		const struct ws_sync_standby *s = &o->standbys[i];

		if (unfit(r, o, s->name, ignored, sizeof(ignored)) != NULL)
			continue;
		if (o->current > s->flush && o->current - s->flush > r->catchup_bytes)
			continue;
		if (best == NULL || s->flush > best->flush ||
			(s->flush == best->flush && strcmp(s->name, best->name) < 0))
			best = s;
	}
	return best;
}

enum ws_sync_change
ws_sync_role_tick(struct ws_sync_role *r, const struct ws_sync_observation *o, char *why,
				  size_t why_size)
{
	const struct ws_sync_standby *next;
	char reason[160];

	why[0] = '\0';
	remember(r, o);
	if (r->started && r->holder[0] != '\0' && unfit(r, o, r->holder, reason, sizeof(reason)) == NULL)
		return WS_SYNC_UNCHANGED;
	if (r->holder[0] == '\0')
		snprintf(reason, sizeof(reason), "%s", r->started ? "running async" : "starting");
	next = best_eligible(r, o);
	if (next != NULL) {
		snprintf(why, why_size, "%s; %s is caught up (%llu bytes behind)", reason, next->name,
				 (unsigned long long) (o->current > next->flush ? o->current - next->flush : 0));
		ws_strlcpy(r->holder, next->name, sizeof(r->holder));
		r->started = true;
		return WS_SYNC_ASSIGNED;
	}
	if (r->started && r->holder[0] == '\0')
		return WS_SYNC_UNCHANGED;          /* still degraded */
	snprintf(why, why_size, "%s; no other standby is streaming and within %llu bytes", reason,
			 (unsigned long long) r->catchup_bytes);
	r->holder[0] = '\0';
	r->started = true;
	return WS_SYNC_DEGRADED;
}
