/*
 * test_syncrole.c — unit tests for src/repl/syncrole.c, tick by tick
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "common/str.h"
#include "repl/syncrole.h"

#define TIMEOUT 3000
#define CATCHUP (16 * 1024 * 1024)

struct world {
	struct ws_sync_role role;
	struct ws_sync_standby s[4];
	int n;
	long now;
	ws_lsn current;
	char why[256];
};

static void
add(struct world *w, const char *name, ws_lsn flush)
{
	memset(&w->s[w->n], 0, sizeof(w->s[0]));
	ws_strlcpy(w->s[w->n].name, name, sizeof(w->s[0].name));
	w->s[w->n].streaming = true;
	w->s[w->n].flush = flush;
	w->n++;
}

static struct ws_sync_standby *
standby(struct world *w, const char *name)
{
	for (int i = 0; i < w->n; i++)
		if (strcmp(w->s[i].name, name) == 0)
			return &w->s[i];
	return NULL;
}

static void
drop(struct world *w, const char *name)
{
	for (int i = 0; i < w->n; i++) {
		if (strcmp(w->s[i].name, name) == 0) {
			w->s[i] = w->s[--w->n];
			return;
		}
	}
}

static enum ws_sync_change
tick(struct world *w, long step_ms)
{
	struct ws_sync_observation o = {w->now, w->current, w->s, w->n};
	enum ws_sync_change c = ws_sync_role_tick(&w->role, &o, w->why, sizeof(w->why));

	w->now += step_ms;
	return c;
}

/* Advance time with every named standby confirming all WAL as it comes. */
static void
run_confirming(struct world *w, long ms, const char *const *who, int nwho)
{
	for (long t = 0; t < ms; t += 250) {
		w->current += 8192;
		for (int i = 0; i < nwho; i++)
			if (standby(w, who[i]) != NULL)
				standby(w, who[i])->flush = w->current;
		assert_int_equal(tick(w, 250), WS_SYNC_UNCHANGED);
	}
}

static void
setup_world(struct world *w)
{
	memset(w, 0, sizeof(*w));
	ws_sync_role_init(&w->role, TIMEOUT, CATCHUP);
	w->now = 100000;
	w->current = 0x50000000;
}

static void
test_first_tick_assigns_newest(void **state)
{
	struct world w;

	(void) state;
	setup_world(&w);
	add(&w, "s1", w.current - 1000);
	add(&w, "s2", w.current);
	assert_int_equal(tick(&w, 250), WS_SYNC_ASSIGNED);
	assert_string_equal(w.role.holder, "s2");
	assert_false(ws_sync_role_degraded(&w.role));
	assert_non_null(strstr(w.why, "s2 is caught up"));
}

static void
test_learner_never_gets_the_role(void **state)
{
	struct world w;

	(void) state;
	setup_world(&w);
	add(&w, "learner", w.current - CATCHUP - 1);
	assert_int_equal(tick(&w, 250), WS_SYNC_DEGRADED);
	assert_true(ws_sync_role_degraded(&w.role));
	/* within catchup bytes: it gets the role */
	standby(&w, "learner")->flush = w.current - CATCHUP;
	assert_int_equal(tick(&w, 250), WS_SYNC_ASSIGNED);
	assert_string_equal(w.role.holder, "learner");
}

static void
test_disconnect_moves_role_at_once(void **state)
{
	struct world w;
	const char *const both[] = {"s1", "s2"};

	(void) state;
	setup_world(&w);
	add(&w, "s1", w.current);
	add(&w, "s2", w.current);
	assert_int_equal(tick(&w, 250), WS_SYNC_ASSIGNED);
	assert_string_equal(w.role.holder, "s1");
	run_confirming(&w, 5000, both, 2);
	drop(&w, "s1");
	assert_int_equal(tick(&w, 250), WS_SYNC_ASSIGNED);
	assert_string_equal(w.role.holder, "s2");
	assert_non_null(strstr(w.why, "s1 is not connected"));
}

/* The sync standby vanishes without closing its connection: it stops confirming. */
static void
test_silent_standby_fails_after_timeout(void **state)
{
	struct world w;
	const char *const both[] = {"s1", "s2"};
	const char *const only_s2[] = {"s2"};
	long waited = 0;

	(void) state;
	setup_world(&w);
	add(&w, "s1", w.current);
	add(&w, "s2", w.current);
	tick(&w, 250);
	run_confirming(&w, 5000, both, 2);
	assert_string_equal(w.role.holder, "s1");
	/* s1 goes silent while WAL keeps coming; s2 keeps confirming */
	for (;;) {
		enum ws_sync_change c;

		w.current += 8192;
		standby(&w, "s2")->flush = w.current;
		c = tick(&w, 250);
		waited += 250;
		if (c != WS_SYNC_UNCHANGED) {
			assert_int_equal(c, WS_SYNC_ASSIGNED);
			break;
		}
		assert_true(waited < 10000);
	}
	assert_string_equal(w.role.holder, "s2");
	/* after the timeout, not before it */
	assert_true(waited >= TIMEOUT);
	assert_true(waited <= TIMEOUT + 500);
	assert_non_null(strstr(w.why, "s1 has not confirmed WAL"));
	run_confirming(&w, 2000, only_s2, 1);
}

/* An idle primary: nothing to confirm, nobody fails. */
static void
test_idle_is_healthy(void **state)
{
	struct world w;

	(void) state;
	setup_world(&w);
	add(&w, "s1", w.current);
	tick(&w, 250);
	for (int i = 0; i < 100; i++)
		assert_int_equal(tick(&w, 250), WS_SYNC_UNCHANGED);
	assert_string_equal(w.role.holder, "s1");
}

static void
test_degrade_and_return(void **state)
{
	struct world w;
	const char *const s1[] = {"s1"};
	int ticks = 0;

	(void) state;
	setup_world(&w);
	add(&w, "s1", w.current);
	tick(&w, 250);
	run_confirming(&w, 1000, s1, 1);
	standby(&w, "s1")->streaming = false;
	assert_int_equal(tick(&w, 250), WS_SYNC_DEGRADED);
	assert_true(ws_sync_role_degraded(&w.role));
	assert_non_null(strstr(w.why, "s1 is not streaming"));
	/* still degraded while it is away or behind */
	drop(&w, "s1");
	w.current += 64 * 1024 * 1024;
	assert_int_equal(tick(&w, 250), WS_SYNC_UNCHANGED);
	add(&w, "s1", w.current - 64 * 1024 * 1024);
	assert_int_equal(tick(&w, 250), WS_SYNC_UNCHANGED);
	/* it catches up: back to sync */
	while (tick(&w, 250) == WS_SYNC_UNCHANGED) {
		standby(&w, "s1")->flush += 8 * 1024 * 1024;
		if (standby(&w, "s1")->flush > w.current)
			standby(&w, "s1")->flush = w.current;
		assert_true(++ticks < 100);
	}
	assert_string_equal(w.role.holder, "s1");
	assert_false(ws_sync_role_degraded(&w.role));
}

/* walshipd restarted: it adopts what the server has and keeps it while healthy. */
static void
test_adopt(void **state)
{
	struct world w;

	(void) state;
	setup_world(&w);
	add(&w, "a", w.current);
	add(&w, "b", w.current);
	ws_sync_role_adopt(&w.role, "b");
	assert_int_equal(tick(&w, 250), WS_SYNC_UNCHANGED);
	assert_string_equal(w.role.holder, "b");
	ws_sync_role_adopt(&w.role, "");
	assert_true(ws_sync_role_degraded(&w.role));
	assert_int_equal(tick(&w, 250), WS_SYNC_ASSIGNED);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_first_tick_assigns_newest),
		cmocka_unit_test(test_learner_never_gets_the_role),
		cmocka_unit_test(test_disconnect_moves_role_at_once),
		cmocka_unit_test(test_silent_standby_fails_after_timeout),
		cmocka_unit_test(test_idle_is_healthy),
		cmocka_unit_test(test_degrade_and_return),
		cmocka_unit_test(test_adopt),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
