#!/bin/bash
#
# walship restore and point-in-time recovery against real PostgreSQL 15:
# a backup taken under load restores into a data directory that
# pg_verifybackup accepts (with PostgreSQL's own manifest); PostgreSQL then
# recovers from the archive through walship archive-get to each kind of
# target (time, LSN, xid, restore point, immediate, end of WAL) and the rows
# prove it stopped exactly there; pg_amcheck passes. Then the refusals: a
# non-empty directory without --delta, a target before the oldest backup, a
# damaged object; and --delta rewrites only what differs.
#
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

require_walship
walship_archiving_primary "archive-timeout = 30;"
pgbench_init primary 5

bg_start load as_pg "$PG_BINDIR/pgbench" -n -c 2 -T 5 -h "$WS_TMP" -p "$port" -U postgres postgres
run_cmd walship_as_pg --config "$WS_TMP/ws.conf" backup --checkpoint fast
is "$RC" 0 "backup under load" || show_run
label=$(sed -n 's/^backup \([0-9F_-]*\):.*/\1/p' <<<"$OUT")
bg_wait load 60

note "changes after the backup, one per target"
pg_sql primary "CREATE TABLE t (id int PRIMARY KEY, what text)" >/dev/null
pg_sql primary "INSERT INTO t VALUES (1, 'before the time')" >/dev/null
sleep 1.1
t_time=$(pg_sql primary "SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') || '+00'")
sleep 1.1
pg_sql primary "INSERT INTO t VALUES (2, 'up to the lsn')" >/dev/null
t_lsn=$(pg_sql primary "SELECT pg_current_wal_insert_lsn()")
t_xid=$(pg_sql primary "BEGIN; INSERT INTO t VALUES (3, 'the xid'); SELECT txid_current(); COMMIT;" | head -n 1)
pg_sql primary "INSERT INTO t VALUES (4, 'before the restore point')" >/dev/null
pg_sql primary "SELECT pg_create_restore_point('rp4')" >/dev/null
pg_sql primary "INSERT INTO t VALUES (5, 'the end')" >/dev/null
expect_exit 0 "check switches WAL and sees it archived" -- \
	walship_as_pg --config "$WS_TMP/ws.conf" check
primary_sum=$(pg_sql primary "SELECT sum(abalance), count(*) FROM pgbench_accounts")

# restore_and_count NAME EXPECTED DESC RESTORE-ARGS... — restore, recover with
# promote, and compare the ids in t (or "none" when t does not exist)
restore_and_count() {
	local name=$1 want=$2 desc=$3 dir=$WS_TMP/$1 got
	shift 3
	run_cmd walship_as_pg --config "$WS_TMP/ws.conf" restore --pgdata "$dir" "$@"
	is "$RC" 0 "$desc: restore" || { show_run; return 1; }
	ok "$desc: pg_verifybackup accepts the restored directory" -- \
		as_pg "$PG_BINDIR/pg_verifybackup" -q -n "$dir"
	pg_adopt "$name" "$dir" "archive_mode = off" || { fail "$desc: start"; return 1; }
	pg_wait_for "$name" "SELECT pg_is_in_recovery()" f 60 || { fail "$desc: recovery did not end"; return 1; }
	if [ "$(pg_sql "$name" "SELECT to_regclass('t') IS NULL")" = t ]; then
		got=none
	else
		got=$(pg_sql "$name" "SELECT string_agg(id::text, ',' ORDER BY id) FROM t")
	fi
	is "$got" "$want" "$desc: exactly the rows up to the target"
}

note "point-in-time targets"
restore_and_count r_time "1" "target time" --target-time "$t_time" --target-action promote
restore_and_count r_lsn "1,2" "target lsn" --target-lsn "$t_lsn" --target-action promote
restore_and_count r_xid "1,2,3" "target xid" --target-xid "$t_xid" --target-action promote
restore_and_count r_name "1,2,3,4" "target name" --target-name rp4 --target-action promote
restore_and_count r_imm "none" "target immediate" --target immediate --target-action promote
restore_and_count r_all "1,2,3,4,5" "end of WAL" --set "$label"
is "$(pg_sql r_all "SELECT sum(abalance), count(*) FROM pgbench_accounts")" "$primary_sum" \
	"end of WAL: pgbench_accounts matches the primary"
ok "pg_amcheck finds nothing wrong in the recovered cluster" -- \
	as_pg "$PG_BINDIR/pg_amcheck" -h "$WS_TMP" -p "$(pg_port r_all)" -U postgres --all \
	--install-missing --heapallindexed
like "$(cat "$WS_TMP/r_all/postgresql.auto.conf")" "restore_command = '.*walship.* archive-get %f %p'" \
	"postgresql.auto.conf has walship's restore_command"

note "refusals"
pg_stop r_all
run_cmd walship_as_pg --config "$WS_TMP/ws.conf" restore --pgdata "$WS_TMP/r_all"
isnt "$RC" 0 "restore into a non-empty directory without --delta is refused"
like "$ERR" 'is not empty: restore into an empty directory, or use --delta' "and says so"
run_cmd walship_as_pg --config "$WS_TMP/ws.conf" restore --pgdata "$WS_TMP/r_old" \
	--target-time '2001-01-01 00:00:00+00'
is "$RC" 1 "a target before the oldest backup is refused"
like "$ERR" 'no backup ends before target time' "with a clear error"
expect_exit 2 "two targets at once" -- walship_as_pg --config "$WS_TMP/ws.conf" restore \
	--pgdata "$WS_TMP/x" --target-xid 5 --target-name a
expect_exit 2 "target-action without a target" -- walship_as_pg --config "$WS_TMP/ws.conf" restore \
	--pgdata "$WS_TMP/x" --target-action pause
expect_exit 2 "bad target time" -- walship_as_pg --config "$WS_TMP/ws.conf" restore \
	--pgdata "$WS_TMP/x" --target-time 'yesterday'

note "--delta"
as_pg sh -c "echo 12345 > '$WS_TMP/r_all/postmaster.pid'"
run_cmd walship_as_pg --config "$WS_TMP/ws.conf" restore --pgdata "$WS_TMP/r_all" --delta --set "$label"
isnt "$RC" 0 "--delta refuses a directory with postmaster.pid (a server may run there)"
like "$ERR" 'postmaster.pid" exists: stop the server first' "and says why"
as_pg rm -f "$WS_TMP/r_all/postmaster.pid"
as_pg sh -c "echo junk >> '$WS_TMP/r_all/PG_VERSION'; echo extra > '$WS_TMP/r_all/extra.file'"
run_cmd walship_as_pg --config "$WS_TMP/ws.conf" restore --pgdata "$WS_TMP/r_all" --delta --set "$label"
is "$RC" 0 "restore --delta over the old directory" || show_run
# the cluster ran since, so its data files moved on; most did not
like "$OUT" 'restored backup .*: [0-9]{1,2} files written .*, [0-9]{3,} unchanged, [0-9]+ removed' \
	"--delta rewrites what changed and keeps the rest"
ok "--delta removed the file the backup does not have" -- test ! -e "$WS_TMP/r_all/extra.file"
is "$(cat "$WS_TMP/r_all/PG_VERSION")" 15 "--delta put back the changed file"
ok "pg_verifybackup accepts the delta-restored directory" -- \
	as_pg "$PG_BINDIR/pg_verifybackup" -q -n "$WS_TMP/r_all"

note "a damaged object"
obj=$(find "$repo/main/backup/$label/pg_data/global" -name 'pg_control.ws')
printf 'X' | dd of="$obj" bs=1 seek=60 conv=notrunc 2>/dev/null
run_cmd walship_as_pg --config "$WS_TMP/ws.conf" restore --pgdata "$WS_TMP/r_bad"
is "$RC" 6 "restore refuses a damaged backup file (exit 6)"
like "$ERR" 'could not restore "global/pg_control"' "naming the file"
