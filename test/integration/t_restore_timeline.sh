#!/bin/bash
#
# Tablespaces and timelines. A backup of a primary with a tablespace
# restores with --tablespace-map into a new location (pg_verifybackup and
# the rows agree). After a standby is promoted (timeline 2, whose history
# file reaches the archive), PITR to a point on timeline 1 before the
# switch, with --target-timeline 1, ends on exactly the rows of timeline 1;
# the default ("latest") follows the switch to timeline 2.
#
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

require_walship
{ mkdir -p "$WS_TMP/ts1" && chown postgres:postgres "$WS_TMP/ts1"; } || die "no tablespace directory"
walship_archiving_primary "archive-timeout = 30;"


note "a tablespace"
pg_sql primary "CREATE TABLESPACE ts1 LOCATION '$WS_TMP/ts1'" >/dev/null
pg_sql primary "CREATE TABLE t (id int, tl int) TABLESPACE ts1; INSERT INTO t VALUES (1, 1)" >/dev/null
oid=$(pg_sql primary "SELECT oid FROM pg_tablespace WHERE spcname = 'ts1'")
run_cmd walship_as_pg --config "$WS_TMP/ws.conf" backup --checkpoint fast
is "$RC" 0 "backup of a cluster with a tablespace" || show_run
label=$(sed -n 's/^backup \([0-9F_-]*\):.*/\1/p' <<<"$OUT")
like "$(cat "$repo/main/backup/$label/backup.manifest")" "^tablespace=$oid $WS_TMP/ts1\$" \
	"the manifest records the tablespace and its location"

note "timeline 2 from a promoted standby"
run_cmd walship_as_pg --config "$WS_TMP/ws.conf" standby clone --pgdata "$WS_TMP/sb" --from repo \
	--tablespace-map "$oid=$WS_TMP/ts_sb"
is "$RC" 0 "standby clone with --tablespace-map" || show_run
is "$(readlink "$WS_TMP/sb/pg_tblspc/$oid")" "$WS_TMP/ts_sb" "pg_tblspc/$oid points at the mapped location"
ok "pg_verifybackup accepts the directory with its mapped tablespace" -- \
	as_pg "$PG_BINDIR/pg_verifybackup" -q -n "$WS_TMP/sb"
pg_adopt sb "$WS_TMP/sb" "archive_mode = on" || die "standby did not start"
pg_wait_for primary "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'" 1 30 || fail "the standby does not stream"

pg_sql primary "INSERT INTO t VALUES (2, 1)" >/dev/null
sleep 1.1
t1=$(pg_sql primary "SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') || '+00'")
sleep 1.1
pg_sql primary "INSERT INTO t VALUES (3, 1)" >/dev/null
lsn=$(pg_sql primary "SELECT pg_current_wal_insert_lsn()")
pg_wait_for sb "SELECT pg_last_wal_replay_lsn() >= '$lsn'" t 30 ||
	fail "standby did not replay"
expect_exit 0 "the timeline 1 WAL is archived" -- walship_as_pg --config "$WS_TMP/ws.conf" check
pg_stop primary
out=$(as_pg "$PG_BINDIR/pg_ctl" -D "$WS_TMP/sb" -w promote 2>&1) || fail "promote failed: $out"
pg_wait_for sb "SELECT pg_is_in_recovery()" f 30 || fail "sb did not leave recovery"
is "$(pg_sql sb "SELECT substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8)")" 00000002 "the promoted standby is on timeline 2"
pg_sql sb "INSERT INTO t VALUES (4, 2)" >/dev/null
pg_conf sb "archive_command = '$bin --config $WS_TMP/ws.conf archive-push %p'"
pg_reload sb || die "reload failed"
pg_sql sb "SELECT pg_switch_wal()" >/dev/null
wait_until 30 -- test -f "$repo/main/archive/15-1/00000002.history.ws" ||
	fail "the history file did not reach the archive"
last=$(pg_sql sb "SELECT pg_walfile_name(pg_current_wal_lsn() - 1)")
wait_until 30 -- test -f "$repo/main/archive/15-1/${last:0:16}/$last.ws" || fail "timeline 2 WAL not archived"

note "PITR on the earlier timeline"
restore_count() {
	local name=$1 want=$2 desc=$3 got
	shift 3
	run_cmd walship_as_pg --config "$WS_TMP/ws.conf" restore --pgdata "$WS_TMP/$name" \
		--tablespace-map "$oid=$WS_TMP/ts_$name" "$@"
	is "$RC" 0 "$desc: restore" || { show_run; return 1; }
	pg_adopt "$name" "$WS_TMP/$name" "archive_mode = off" || { fail "$desc: start"; return 1; }
	pg_wait_for "$name" "SELECT pg_is_in_recovery()" f 60 || { fail "$desc: recovery did not end"; return 1; }
	got=$(pg_sql "$name" "SELECT string_agg(id || ':' || tl, ',' ORDER BY id) FROM t")
	is "$got" "$want" "$desc"
}
restore_count p1 "1:1,2:1" "a time on timeline 1, --target-timeline 1: rows of timeline 1 up to it" \
	--target-time "$t1" --target-timeline 1 --target-action promote
restore_count p2 "1:1,2:1,3:1,4:2" "no target: recovery follows the switch to timeline 2"
