/*
 * test_expire.c — unit tests for the retention plan of src/backup/expire.c
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "backup/expire.h"
#include "common/str.h"

#define DAY 86400
/* 2026-11-26 00:00:00 UTC */
#define NOW ((int64_t) 1795651200)

/*
 * Backup i of n: started (and labelled) i days ago counting from the
 * newest, stopped an hour later, its WAL starting at segment 0x10 * (i + 1).
 */
static void
make_backups(struct ws_backup_manifest *b, size_t n, int64_t newest_start)
{
	for (size_t i = 0; i < n; i++) {
		int64_t start = newest_start - (int64_t) (n - 1 - i) * DAY;

		memset(&b[i], 0, sizeof(b[i]));
		ws_backup_label_make(start, b[i].label);
		b[i].db_id = 1;
		b[i].timeline = 1;
		b[i].stop_timeline = 1;
		b[i].start_time = start;
		b[i].stop_time = start + 3600;
		snprintf(b[i].wal_start, sizeof(b[i].wal_start), "0000000100000000%08zX", 0x10 * (i + 1));
		snprintf(b[i].wal_stop, sizeof(b[i].wal_stop), "0000000100000000%08zX", 0x10 * (i + 1) + 1);
	}
}

static struct ws_expire_policy
policy(int full, int days)
{
	struct ws_expire_policy p = {full, days, NOW};

	return p;
}

static void
plan(const struct ws_backup_manifest *b, size_t n, const struct ws_expire_partial *partial,
	 size_t npartial, struct ws_expire_policy p, struct ws_expire_plan *out)
{
	struct ws_error err;

	assert_int_equal(ws_expire_plan_make(b, n, partial, npartial, &p, out, &err), WS_OK);
}

/* Five daily backups, the newest started two hours ago. */
static void
five(struct ws_backup_manifest b[5])
{
	make_backups(b, 5, NOW - 2 * 3600);
}

static void
test_count(void **state)
{
	struct ws_backup_manifest b[5];
	struct ws_expire_plan p;

	(void) state;
	five(b);
	plan(b, 5, NULL, 0, policy(2, 0), &p);
	assert_int_equal(p.nexpire, 3);
	assert_int_equal(p.backups[0], WS_EXPIRE_COUNT);
	assert_int_equal(p.backups[1], WS_EXPIRE_COUNT);
	assert_int_equal(p.backups[2], WS_EXPIRE_COUNT);
	assert_int_equal(p.backups[3], WS_EXPIRE_KEEP);
	assert_int_equal(p.backups[4], WS_EXPIRE_KEEP);
	assert_int_equal(p.wal_hold, WS_EXPIRE_WAL_FREE);
	assert_int_equal(p.ncuts, 1);
	assert_string_equal(p.cuts[0].first_kept, b[3].wal_start);
	/* WAL before the oldest kept backup goes, from it on it stays */
	assert_true(ws_expire_wal_goes(&p, 1, "00000001000000000000003F"));
	assert_false(ws_expire_wal_goes(&p, 1, "000000010000000000000040"));
	assert_false(ws_expire_wal_goes(&p, 1, "000000010000000000000041"));
	/* on every timeline; history files always stay */
	assert_true(ws_expire_wal_goes(&p, 1, "000000020000000000000001"));
	assert_false(ws_expire_wal_goes(&p, 1, "000000020000000000000040"));
	assert_false(ws_expire_wal_goes(&p, 1, "00000002.history"));
	/* .partial and .backup files by their segment */
	assert_true(ws_expire_wal_goes(&p, 1, "00000001000000000000002A.partial"));
	assert_false(ws_expire_wal_goes(&p, 1, "000000010000000000000040.partial"));
	assert_true(ws_expire_wal_goes(&p, 1, "000000010000000000000030.00000028.backup"));
	assert_false(ws_expire_wal_goes(&p, 1, "000000010000000000000040.00000028.backup"));
	/* names that are not WAL are never touched */
	assert_false(ws_expire_wal_goes(&p, 1, "000000010000000000000001.tmp"));
	ws_expire_plan_free(&p);

	/* more backups allowed than there are: nothing goes */
	plan(b, 5, NULL, 0, policy(9999, 0), &p);
	assert_int_equal(p.nexpire, 0);
	assert_string_equal(p.cuts[0].first_kept, b[0].wal_start);
	ws_expire_plan_free(&p);

	/* one: only the newest */
	plan(b, 5, NULL, 0, policy(1, 0), &p);
	assert_int_equal(p.nexpire, 4);
	assert_int_equal(p.backups[4], WS_EXPIRE_KEEP);
	ws_expire_plan_free(&p);
}

static void
test_days(void **state)
{
	struct ws_backup_manifest b[5];
	struct ws_expire_plan p;

	(void) state;
	five(b);
	/*
	 * Stopped 4 d 1 h, 3 d 1 h, 2 d 1 h, 1 d 1 h and 1 h ago. Two days
	 * back: the last two stopped inside the window, and the one that
	 * stopped just before it opened is needed to recover to its first hour.
	 */
	plan(b, 5, NULL, 0, policy(0, 2), &p);
	assert_int_equal(p.backups[0], WS_EXPIRE_AGE);
	assert_int_equal(p.backups[1], WS_EXPIRE_AGE);
	assert_int_equal(p.backups[2], WS_EXPIRE_KEEP);
	assert_int_equal(p.backups[3], WS_EXPIRE_KEEP);
	assert_int_equal(p.backups[4], WS_EXPIRE_KEEP);
	assert_int_equal(p.nexpire, 2);
	assert_string_equal(p.cuts[0].first_kept, b[2].wal_start);
	ws_expire_plan_free(&p);

	/* everything is older than the window: the newest stays all the same */
	make_backups(b, 5, NOW - 100 * DAY);
	plan(b, 5, NULL, 0, policy(0, 7), &p);
	assert_int_equal(p.nexpire, 4);
	assert_int_equal(p.backups[3], WS_EXPIRE_AGE);
	assert_int_equal(p.backups[4], WS_EXPIRE_KEEP);
	ws_expire_plan_free(&p);

	/* a window wider than the history keeps it all */
	five(b);
	plan(b, 5, NULL, 0, policy(0, 36500), &p);
	assert_int_equal(p.nexpire, 0);
	ws_expire_plan_free(&p);
}

static void
test_both(void **state)
{
	struct ws_backup_manifest b[5];
	struct ws_expire_plan p;

	(void) state;
	five(b);
	/* count keeps 3 and 4, age keeps 2..4: either rule keeps a backup */
	plan(b, 5, NULL, 0, policy(2, 2), &p);
	assert_int_equal(p.nexpire, 2);
	assert_int_equal(p.backups[0], WS_EXPIRE_COUNT_AND_AGE);
	assert_int_equal(p.backups[1], WS_EXPIRE_COUNT_AND_AGE);
	assert_int_equal(p.backups[2], WS_EXPIRE_KEEP);
	ws_expire_plan_free(&p);

	/* now count keeps more than age */
	plan(b, 5, NULL, 0, policy(4, 1), &p);
	assert_int_equal(p.nexpire, 1);
	assert_int_equal(p.backups[0], WS_EXPIRE_COUNT_AND_AGE);
	assert_int_equal(p.backups[1], WS_EXPIRE_KEEP);
	ws_expire_plan_free(&p);
}

static void
test_none(void **state)
{
	struct ws_backup_manifest b[5];
	struct ws_expire_plan p;

	(void) state;
	five(b);
	/* no rule: every backup stays, WAL before the oldest one's start goes */
	plan(b, 5, NULL, 0, policy(0, 0), &p);
	assert_int_equal(p.nexpire, 0);
	for (size_t i = 0; i < 5; i++)
		assert_int_equal(p.backups[i], WS_EXPIRE_KEEP);
	assert_int_equal(p.wal_hold, WS_EXPIRE_WAL_FREE);
	assert_true(ws_expire_wal_goes(&p, 1, "00000001000000000000000F"));
	assert_false(ws_expire_wal_goes(&p, 1, "000000010000000000000010"));
	ws_expire_plan_free(&p);
}

static void
test_no_backups(void **state)
{
	struct ws_expire_partial old = {"", 0};
	struct ws_expire_plan p;

	(void) state;
	plan(NULL, 0, NULL, 0, policy(2, 7), &p);
	assert_int_equal(p.nexpire, 0);
	assert_int_equal(p.wal_hold, WS_EXPIRE_WAL_NO_BACKUP);
	assert_false(ws_expire_wal_goes(&p, 1, "000000010000000000000001"));
	ws_expire_plan_free(&p);

	/* a leftover goes even then, and the archive still stays */
	ws_backup_label_make(NOW - 2 * 3600, old.label);
	plan(NULL, 0, &old, 1, policy(0, 0), &p);
	assert_int_equal(p.nincomplete_expire, 1);
	assert_int_equal(p.incomplete[0], WS_EXPIRE_INCOMPLETE);
	assert_int_equal(p.wal_hold, WS_EXPIRE_WAL_NO_BACKUP);
	ws_expire_plan_free(&p);
}

static void
test_incomplete(void **state)
{
	struct ws_backup_manifest b[3];
	struct ws_expire_partial partial[3];
	struct ws_expire_plan p;
	char why[256];

	(void) state;
	make_backups(b, 3, NOW - 3 * 3600);
	memset(partial, 0, sizeof(partial));
	/* started two hours ago, untouched since: a leftover */
	ws_backup_label_make(NOW - 2 * 3600, partial[0].label);
	partial[0].last_write = NOW - 2 * 3600 + 60;
	/* started two hours ago but still writing: a long backup */
	ws_backup_label_make(NOW - 2 * 3600 + 1, partial[1].label);
	partial[1].last_write = NOW - 30;
	/* started ten minutes ago */
	ws_backup_label_make(NOW - 600, partial[2].label);

	plan(b, 3, partial, 3, policy(1, 0), &p);
	assert_int_equal(p.nincomplete_expire, 1);
	assert_int_equal(p.incomplete[0], WS_EXPIRE_INCOMPLETE);
	assert_int_equal(p.incomplete[1], WS_EXPIRE_KEEP);
	assert_int_equal(p.incomplete[2], WS_EXPIRE_KEEP);
	/* complete backups still expire, but a running backup holds the archive */
	assert_int_equal(p.nexpire, 2);
	assert_int_equal(p.wal_hold, WS_EXPIRE_WAL_RUNNING);
	assert_string_equal(p.running_label, partial[1].label);
	assert_false(ws_expire_wal_goes(&p, 1, "000000010000000000000001"));
	ws_expire_reason_text(p.incomplete[0], &(struct ws_expire_policy) {1, 0, NOW}, why, sizeof(why));
	assert_non_null(strstr(why, "incomplete"));
	ws_expire_plan_free(&p);

	/* only leftovers: the archive is free again */
	plan(b, 3, partial, 1, policy(1, 0), &p);
	assert_int_equal(p.wal_hold, WS_EXPIRE_WAL_FREE);
	assert_true(ws_expire_wal_goes(&p, 1, "00000001000000000000002F"));
	assert_false(ws_expire_wal_goes(&p, 1, "000000010000000000000030"));
	ws_expire_plan_free(&p);

	/* within the grace period by the label alone */
	ws_backup_label_make(NOW - WS_EXPIRE_INCOMPLETE_GRACE, partial[0].label);
	partial[0].last_write = 0;
	plan(b, 3, partial, 1, policy(1, 0), &p);
	assert_int_equal(p.incomplete[0], WS_EXPIRE_KEEP);
	ws_expire_plan_free(&p);
}

/* Kept backups that start out of label order: the earliest start is the cut. */
static void
test_cut_is_earliest_start(void **state)
{
	struct ws_backup_manifest b[3];
	struct ws_expire_plan p;

	(void) state;
	make_backups(b, 3, NOW - 3600);
	/* the newest backup is on timeline 2, forked before the others started */
	ws_strlcpy(b[2].wal_start, "000000020000000000000008", sizeof(b[2].wal_start));
	plan(b, 3, NULL, 0, policy(2, 0), &p);
	assert_string_equal(p.cuts[0].first_kept, "000000020000000000000008");
	assert_true(ws_expire_wal_goes(&p, 1, "000000010000000000000007"));
	assert_false(ws_expire_wal_goes(&p, 1, "000000010000000000000008"));
	assert_false(ws_expire_wal_goes(&p, 1, "000000020000000000000009"));
	ws_expire_plan_free(&p);
}

/* After stanza-upgrade: per-cluster cuts; an older cluster without kept backups loses its WAL. */
static void
test_clusters(void **state)
{
	struct ws_backup_manifest b[4];
	struct ws_expire_plan p;

	(void) state;
	make_backups(b, 4, NOW - 3600);
	b[0].db_id = 1;
	b[1].db_id = 2;
	b[2].db_id = 2;
	b[3].db_id = 3;
	plan(b, 4, NULL, 0, policy(3, 0), &p);
	assert_int_equal(p.min_kept_db_id, 2);
	assert_int_equal(p.ncuts, 2);
	assert_true(ws_expire_wal_goes(&p, 1, "0000000100000000000000FF"));
	assert_false(ws_expire_wal_goes(&p, 1, "00000001.history"));
	assert_true(ws_expire_wal_goes(&p, 2, "00000001000000000000001F"));
	assert_false(ws_expire_wal_goes(&p, 2, "000000010000000000000020"));
	/* cluster 3's oldest kept backup starts at 0x40 */
	assert_true(ws_expire_wal_goes(&p, 3, "00000001000000000000003F"));
	assert_false(ws_expire_wal_goes(&p, 3, "000000010000000000000040"));
	/* a cluster the plan does not know keeps everything */
	assert_false(ws_expire_wal_goes(&p, 4, "000000010000000000000001"));
	ws_expire_plan_free(&p);
}

static void
test_reason_text(void **state)
{
	struct ws_expire_policy pol = {2, 7, NOW};
	char why[256];

	(void) state;
	ws_expire_reason_text(WS_EXPIRE_COUNT, &pol, why, sizeof(why));
	assert_string_equal(why, "beyond repo-retention-full = 2");
	ws_expire_reason_text(WS_EXPIRE_AGE, &pol, why, sizeof(why));
	assert_string_equal(why, "not needed within repo-retention-days = 7");
	ws_expire_reason_text(WS_EXPIRE_COUNT_AND_AGE, &pol, why, sizeof(why));
	assert_non_null(strstr(why, "repo-retention-full = 2 and"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_count),
		cmocka_unit_test(test_days),
		cmocka_unit_test(test_both),
		cmocka_unit_test(test_none),
		cmocka_unit_test(test_no_backups),
		cmocka_unit_test(test_incomplete),
		cmocka_unit_test(test_cut_is_earliest_start),
		cmocka_unit_test(test_clusters),
		cmocka_unit_test(test_reason_text),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
