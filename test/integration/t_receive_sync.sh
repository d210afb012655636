#!/bin/bash
#
# walship receive --synchronous as the primary's only synchronous standby:
# a commit waits for the receiver (it hangs while the receiver is stopped),
# and every commit acknowledged to a client is in the repository: the
# primary is killed with -9 in the middle of a load, and a cluster restored
# from a base backup with archive-get --partial replays up to the last
# acknowledged transaction. The receiver and archive-push share the stanza:
# a segment stored by both is no error.
#
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

require_walship
walship_archiving_primary
conf=$WS_TMP/ws.conf
rconf=$WS_TMP/recv.conf
sed "s/^pg-conninfo = \"\\(.*\\)\";/pg-conninfo = \"\\1 application_name=walship_sync\";/; s/^log-level = .*/log-level = \"info\";/" \
	"$conf" >"$rconf" && chmod 644 "$rconf" || die "no recv.conf"
grep -q application_name=walship_sync "$rconf" || die "recv.conf has no application_name"

receive_bg() {
	bg_start recv setpriv --reuid=postgres --regid=postgres --clear-groups -- \
		"$WALSHIP" --config "$rconf" receive "$@"
}

out=$(as_pg timeout -k 5 60 "$PG_BINDIR/pg_basebackup" -D "$WS_TMP/base" -X none -c fast --no-sync \
	-d "$conninfo" 2>&1) || die "pg_basebackup failed: $out"
pg_sql primary "CREATE TABLE acks (i int PRIMARY KEY)" >/dev/null || die "no table acks"
pgbench_init primary 5

receive_bg --synchronous --create-slot
ok "the receiver streams" -- pg_wait_for primary \
	"SELECT count(*) FROM pg_stat_replication WHERE application_name = 'walship_sync' AND state = 'streaming'" 1 30
pg_conf primary "synchronous_standby_names = 'walship_sync'"
pg_reload primary || die "reload failed"
ok "the primary counts it as its synchronous standby" -- pg_wait_for primary \
	"SELECT sync_state FROM pg_stat_replication WHERE application_name = 'walship_sync'" sync 30
expect_exit 0 "a commit returns while the receiver runs" -- \
	timeout 10 setpriv --reuid=postgres --regid=postgres --clear-groups -- \
	"$PG_BINDIR/psql" -h "$WS_TMP" -p "$port" -U postgres -d postgres -c "INSERT INTO acks VALUES (0)"

note "a commit waits for the receiver"
kill -STOP "$(bg_pid recv)"
run_cmd timeout 3 setpriv --reuid=postgres --regid=postgres --clear-groups -- \
	"$PG_BINDIR/psql" -h "$WS_TMP" -p "$port" -U postgres -d postgres -c "INSERT INTO acks VALUES (-1)"
is "$RC" 124 "with the receiver stopped, the commit is still waiting after 3 s"
kill -CONT "$(bg_pid recv)"
ok "once it continues, the waiting commit is confirmed" -- pg_wait_for primary \
	"SELECT count(*) FROM pg_stat_activity WHERE wait_event = 'SyncRep'" 0 30

note "kill -9 of the primary under load: every acknowledged commit is in the repository"
ackfile=$WS_TMP/last_ack
echo 0 >"$ackfile"
writer() {
	local i=1
	while setpriv --reuid=postgres --regid=postgres --clear-groups -- "$PG_BINDIR/psql" -X -q \
		-h "$WS_TMP" -p "$port" -U postgres -d postgres -c "INSERT INTO acks VALUES ($i)" >/dev/null 2>&1; do
		echo "$i" >"$ackfile"
		i=$((i + 1))
	done
}
writer &
writer_pid=$!
as_pg "$PG_BINDIR/pgbench" -T 20 -c 4 -h "$WS_TMP" -p "$port" -U postgres postgres >/dev/null 2>&1 &
bench_pid=$!
sleep 4
pm=$(pg_postmaster_pid primary)
kill -KILL "$pm" $(pgrep -P "$pm") 2>/dev/null
wait "$writer_pid" 2>/dev/null
wait "$bench_pid" 2>/dev/null
last=$(cat "$ackfile")
cmp_ok "$last" -ge 20 "the writer had $last commits acknowledged before the primary died"
kill -TERM "$(bg_pid recv)"
bg_wait recv 30
is "$RC" 0 "the receiver stops cleanly on SIGTERM"

pg_create_restored restored "$WS_TMP/base" "archive_mode = off" \
	"restore_command = '$WALSHIP --config $conf archive-get --partial %f %p'"
ok "the restored cluster finished recovery" -- pg_wait_for restored "SELECT pg_is_in_recovery()" f 120
got=$(pg_sql restored "SELECT coalesce(max(i), 0) FROM acks")
cmp_ok "$got" -ge "$last" "it has every acknowledged commit: up to $got, $last acknowledged"
is "$(pg_sql restored "SELECT count(*) FROM acks WHERE i BETWEEN 1 AND $last")" "$last" \
	"... with none missing in between"
like "$(cat "$(pg_logfile restored)")" "from an incomplete \\(partial\\) copy" \
	"the last segment came from the receiver's partial file"
