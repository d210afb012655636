#!/bin/bash
#
# walship standby clone against real PostgreSQL 15: one command builds a
# hot standby from a fresh backup of the primary (with a replication slot
# it creates) and another from the repository's newest backup; both start,
# stream (pg_stat_replication shows them, the slot is active) and show rows
# written on the primary afterwards.
#
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

require_walship
walship_archiving_primary
pg_sql primary "CREATE TABLE t (id int); INSERT INTO t VALUES (1)" >/dev/null

# _streaming NAME — until the primary shows NAME streaming
_streaming() {
	pg_wait_for primary "SELECT count(*) FROM pg_stat_replication
		WHERE application_name = '$1' AND state = 'streaming'" 1 30
}

note "clone from the primary, with a slot"
run_cmd walship_as_pg --config "$WS_TMP/ws.conf" standby clone --pgdata "$WS_TMP/s1" \
	--slot s1_slot --create-slot --application-name s1 --from primary
is "$RC" 0 "standby clone --from primary" || show_run
like "$OUT" 'standby ready in .*/s1 from backup [0-9]{8}-[0-9]{6}F' "says the standby is ready"
ok "standby.signal is there" -- test -f "$WS_TMP/s1/standby.signal"
is "$(pg_sql primary "SELECT slot_type FROM pg_replication_slots WHERE slot_name = 's1_slot'")" \
	physical "the physical slot was created on the primary"
pg_adopt s1 "$WS_TMP/s1" || die "standby s1 did not start"
_streaming s1 || fail "s1 does not stream"
is "$(pg_sql primary "SELECT state FROM pg_stat_replication WHERE application_name = 's1'")" \
	streaming "pg_stat_replication shows s1 streaming"
is "$(pg_sql primary "SELECT active FROM pg_replication_slots WHERE slot_name = 's1_slot'")" t \
	"s1 uses its slot"
is "$(pg_sql s1 "SELECT pg_is_in_recovery()")" t "s1 is a standby"

note "clone from the repository"
run_cmd walship_as_pg --config "$WS_TMP/ws.conf" standby clone --pgdata "$WS_TMP/s2" \
	--from repo --application-name s2
is "$RC" 0 "standby clone --from repo" || show_run
pg_adopt s2 "$WS_TMP/s2" || die "standby s2 did not start"
_streaming s2 || fail "s2 does not stream"

pg_sql primary "INSERT INTO t VALUES (2)" >/dev/null
lsn=$(pg_sql primary "SELECT pg_current_wal_insert_lsn()")
for s in s1 s2; do
	pg_wait_for "$s" "SELECT pg_last_wal_replay_lsn() >= '$lsn'" t 30 || fail "$s did not replay $lsn"
	is "$(pg_sql "$s" "SELECT string_agg(id::text, ',' ORDER BY id) FROM t")" "1,2" \
		"a row written on the primary after the clone appears on $s"
done

note "bad input"
expect_exit 2 "unknown action" -- walship_as_pg --config "$WS_TMP/ws.conf" standby promote --pgdata "$WS_TMP/x"
expect_exit 2 "bad --from" -- walship_as_pg --config "$WS_TMP/ws.conf" standby clone --pgdata "$WS_TMP/x" --from disk
expect_exit 2 "bad slot name" -- walship_as_pg --config "$WS_TMP/ws.conf" standby clone --pgdata "$WS_TMP/x" --slot 'Bad-Name'
expect_exit 2 "--create-slot without --slot" -- walship_as_pg --config "$WS_TMP/ws.conf" standby clone --pgdata "$WS_TMP/x" --create-slot
run_cmd walship_as_pg --config "$WS_TMP/ws.conf" standby clone --pgdata "$WS_TMP/s1" --from repo
isnt "$RC" 0 "cloning into a running standby's directory is refused"
run_cmd walship_as_pg --config "$WS_TMP/ws.conf" standby clone --pgdata "$WS_TMP/s1" --from repo \
	--slot doomed --create-slot
isnt "$RC" 0 "a clone that fails after creating its slot fails"
is "$(pg_sql primary "SELECT count(*) FROM pg_replication_slots WHERE slot_name = 'doomed'")" 0 \
	"and drops the slot it created, which would hold WAL for nobody"

note "backup from the standby"
sed "s|^pg-conninfo = .*|pg-conninfo = \"$(pg_conninfo s1)\";|" "$WS_TMP/ws.conf" >"$WS_TMP/standby.conf"
chmod 644 "$WS_TMP/standby.conf"
pg_sql primary "INSERT INTO t VALUES (3)" >/dev/null
lsn=$(pg_sql primary "SELECT pg_current_wal_insert_lsn()")
pg_wait_for s1 "SELECT pg_last_wal_replay_lsn() >= '$lsn'" t 30 || fail "s1 did not replay $lsn"
run_cmd walship_as_pg --config "$WS_TMP/standby.conf" backup --from-standby --primary-conninfo "$conninfo"
is "$RC" 0 "backup --from-standby" || show_run
label=$(sed -n 's/^backup \([0-9F_-]*\):.*/\1/p' <<<"$OUT")
like "$(cat "$WS_TMP/repo/main/backup/$label/backup.manifest")" '^from-standby=1$' \
	"the manifest says it came from a standby"
run_cmd walship_as_pg --config "$WS_TMP/ws.conf" restore --pgdata "$WS_TMP/r_sb" --set "$label" \
	--target immediate --target-action promote
is "$RC" 0 "restore the standby's backup" || show_run
ok "pg_verifybackup accepts it" -- as_pg "$PG_BINDIR/pg_verifybackup" -q -n "$WS_TMP/r_sb"
pg_adopt r_sb "$WS_TMP/r_sb" "archive_mode = off" || die "r_sb did not start"
pg_wait_for r_sb "SELECT pg_is_in_recovery()" f 60 ||
	fail "r_sb did not finish recovery"
is "$(pg_sql r_sb "SELECT string_agg(id::text, ',' ORDER BY id) FROM t")" "1,2,3" \
	"it holds what the standby had replayed"
expect_exit 5 "backup of a standby without --from-standby is refused (wrong role)" -- \
	walship_as_pg --config "$WS_TMP/standby.conf" backup
