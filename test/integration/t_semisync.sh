#!/bin/bash
#
# Semi-sync with walshipd on the primary and two real standbys (s1, s2):
# walshipd gives the sync role to one caught-up standby; when that standby
# vanishes from the network without closing its connection (SIGSTOP of its
# processes), a commit waits at most about sync-timeout and the role moves
# to the other; when both are gone, the primary runs async (degraded, as
# `walship mode show` says) and commits do not wait longer than the
# timeout; when a standby is back and caught up, the primary is sync again.
# `walship mode set` switches between async, sync and semi-sync at run time.
#
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

require_walship
require_walshipd
TIMEOUT=3

pg_create_primary primary
pg_create_standby s1 primary
pg_create_standby s2 primary
port=$(pg_port primary)
conf=$WS_TMP/walshipd.conf
cat >"$conf" <<EOF
stanza = "main";
pg-conninfo = "$(pg_conninfo primary)";
replication-mode = "semi-sync";
sync-timeout = $TIMEOUT;
log-level = "info";
EOF
chmod 644 "$conf"
pg_sql primary "CREATE TABLE t (i int)" >/dev/null

# freeze|thaw NAME — SIGSTOP/SIGCONT every process of a cluster: it keeps
# its connections open and says nothing, as a host gone from the network
freeze() {
	local pm
	pm=$(pg_postmaster_pid "$1")
	kill -STOP "$pm" $(pgrep -P "$pm")
}
thaw() {
	local pm
	pm=$(pg_postmaster_pid "$1")
	kill -CONT "$pm" $(pgrep -P "$pm")
}
names() {
	pg_sql primary "SHOW synchronous_standby_names"
}
# timed_commit — run one INSERT, print the seconds it took
timed_commit() {
	local t0 t1
	t0=$EPOCHREALTIME
	pg_sql primary "INSERT INTO t VALUES (1)" >/dev/null || return 1
	t1=$EPOCHREALTIME
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }'
}
at_most() {
	awk -v x="$1" -v y="$2" 'BEGIN { exit !(x <= y) }'
}

bg_start walshipd "$WALSHIPD" --config "$conf"
ok "walshipd gives the sync role to one standby" -- wait_until 20 -- \
	bash -c "[[ \$(PGHOST=$WS_TMP psql -X -At -p $port -U postgres -d postgres -c 'SHOW synchronous_standby_names') =~ ^\\\"s[12]\\\"\$ ]]"
holder=$(names | tr -d '"')
other=s1
[ "$holder" = s1 ] && other=s2
ok "pg_stat_replication shows $holder as sync" -- pg_wait_for primary \
	"SELECT sync_state FROM pg_stat_replication WHERE application_name = '$holder'" sync 10
t=$(timed_commit)
note "a commit with both standbys up took $t s"

note "the sync standby $holder vanishes"
freeze "$holder"
t=$(timed_commit)
ok "the commit returned after $t s, at most sync-timeout ($TIMEOUT s) and a second" -- at_most "$t" $((TIMEOUT + 1))
is "$(names)" "\"$other\"" "the sync role moved to $other"
like "$(cat "$WS_TMP/walshipd.err")" "synchronous_standby_names set to '\"$other\"': $holder has not confirmed WAL" \
	"walshipd logged why"
t=$(timed_commit)
ok "the next commit does not wait ($t s)" -- at_most "$t" 1

note "both standbys are gone"
freeze "$other"
t=$(timed_commit)
ok "the commit returned after $t s, at most sync-timeout and a second" -- at_most "$t" $((TIMEOUT + 1))
is "$(names)" "" "the primary runs async"
like "$(cat "$WS_TMP/walshipd.err")" "WARN +replication-mode: semi-sync degraded to async" "walshipd warned"
expect_exit 0 "walship mode show" -- walship --config "$conf" mode show
like "$OUT" "state: degraded" "... says degraded"
run_cmd walship --config "$conf" status --json
is "$(json_get primary "$OUT" sync)" degraded "walship status --json: the primary's sync state is degraded"
run_cmd walship --config "$conf" status --prometheus
like "$OUT" "^walship_sync_degraded 1" "... and the metric walship_sync_degraded is 1"

note "a standby comes back and catches up"
thaw "$holder"
names_set() {
	[ -n "$(names)" ]
}
ok "the primary is sync again" -- wait_until 20 -- names_set
ok "... with a standby in sync state" -- pg_wait_for primary \
	"SELECT count(*) FROM pg_stat_replication WHERE sync_state = 'sync'" 1 10
thaw "$other"
expect_exit 0 "walship mode show" -- walship --config "$conf" mode show
like "$OUT" "state: sync" "... says sync"
run_cmd walship --config "$conf" status --json
is "$(json_get primary "$OUT" sync)" sync "walship status --json: sync again"

note "walship mode set"
expect_exit 0 "mode set async" -- walship --config "$conf" mode set async
is "$(names)" "" "async: synchronous_standby_names is empty"
sleep 1
is "$(names)" "" "... and walshipd leaves it so"
expect_exit 0 "mode set sync" -- walship --config "$conf" mode set sync
is "$(names)" "FIRST 1 (*)" "sync: sync-standby-names"
expect_exit 0 "mode set semi-sync" -- walship --config "$conf" mode set semi-sync
ok "semi-sync: walshipd names one standby again" -- wait_until 20 -- \
	bash -c "[[ \$(PGHOST=$WS_TMP psql -X -At -p $port -U postgres -d postgres -c 'SHOW synchronous_standby_names') =~ ^\\\"s[12]\\\"\$ ]]"
expect_exit 2 "mode set nonsense exits 2" -- walship --config "$conf" mode set nonsense
error_line_like 'invalid mode "nonsense"' "... naming it"
kill -TERM "$(bg_pid walshipd)"
bg_wait walshipd 10
is "$RC" 0 "walshipd stops cleanly"

note "sync-candidates: only the standbys named may hold the role"
holder=$(names | tr -d '"')
other=s1
[ "$holder" = s1 ] && other=s2
bg_start walshipd2 "$WALSHIPD" --config "$conf" --sync-candidates="x, $other"
is_other() {
	[ "$(names)" = "\"$other\"" ]
}
ok "with sync-candidates 'x, $other', the role moves from $holder to $other" -- wait_until 20 -- is_other
kill -TERM "$(bg_pid walshipd2)"
bg_wait walshipd2 10
