#!/bin/bash
#
# walship status against a real primary with a streaming standby on a
# physical slot and a second slot nobody uses: the table, JSON and
# Prometheus outputs agree with pg_stat_replication and with each other;
# the exit code is Nagios-style: 2 while the unused slot exists (a known
# standby is gone), 0 once it is dropped, 1 and 2 for replay lag over
# --lag-warn / --lag-crit (replay paused on the standby), 2 when the
# standby stops and when the server is unreachable, 3 for a usage error.
# The standby's own status shows its receive and replay positions.
#
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

require_walship
pg_create_primary primary "archive_mode = on" "archive_command = '/bin/true'" \
	"wal_receiver_status_interval = 1"
conf=$WS_TMP/walship.conf
cat >"$conf" <<EOF
pg-conninfo = "$(pg_conninfo primary)";
log-level = "warn";
EOF
sconf=$WS_TMP/standby.conf

expect_exit 0 "slot create for the standby" -- walship --config "$conf" slot create standby_slot
expect_exit 0 "slot create of a slot nobody will use" -- walship --config "$conf" slot create spare
pg_create_standby standby primary "primary_slot_name = 'standby_slot'" "wal_receiver_status_interval = 1"
cat >"$sconf" <<EOF
pg-conninfo = "$(pg_conninfo standby)";
log-level = "warn";
EOF
pg_sql primary "CREATE TABLE t AS SELECT g AS i, md5(g::text) AS m FROM generate_series(1, 1000) g" >/dev/null ||
	die "could not write on the primary"
pg_sql primary "SELECT pg_switch_wal()" >/dev/null

# caught_up — the standby has replayed everything the primary wrote
caught_up() {
	[ "$(pg_sql primary "SELECT replay_lsn = pg_current_wal_lsn() FROM pg_stat_replication
		WHERE application_name = 'standby'")" = t ]
}
wait_until 30 -- caught_up || die "the standby did not catch up"

# repl_row — flush_lsn|replay_lsn of the standby in pg_stat_replication
repl_row() {
	pg_sql primary "SELECT flush_lsn || '|' || replay_lsn || '|' || pg_current_wal_lsn()
		FROM pg_stat_replication WHERE application_name = 'standby'"
}

# stable_status ARGS... — run walship status ARGS (OUT, ERR, RC) at a
# moment when pg_stat_replication and the WAL position did not move around
# it; sets ROW to the row before and after. A few tries: the server writes
# a little WAL by itself now and then.
stable_status() {
	local before after i
	for ((i = 0; i < 10; i++)); do
		before=$(repl_row)
		run_walship "$@"
		after=$(repl_row)
		[ -n "$before" ] && [ "$before" = "$after" ] && break
		sleep 0.5
	done
	ROW=$after
}

# table_cell TABLE NAME COLUMN — column (1-based) of the row named NAME
table_cell() {
	awk -F'|' -v name="$2" -v col="$3" '
		{ n = $1; gsub(/^ +| +$/, "", n) }
		n == name { v = $col; gsub(/^ +| +$/, "", v); print v; exit }' <<<"$1"
}

# jstandby JSON NAME FIELD — a field of the standby named NAME
jstandby() {
	json_sql primary "$1" "(SELECT s->>'$3' FROM jsonb_array_elements(j->'standbys') s WHERE s->>'name' = '$2')"
}

note "a streaming standby and an unused slot"
stable_status --config "$conf" status
is "$RC" 2 "status exits 2 (critical) while a slot has no standby" || show_run
table=$OUT
IFS='|' read -r flush replay current <<<"$ROW"
like "$table" '^role +primary$' "table: role primary"
like "$table" "^WAL LSN +$(re_escape "$current")\$" "table: WAL LSN is pg_current_wal_lsn()"
like "$table" '^mode +async$' "table: mode async"
is "$(table_cell "$table" standby 3)" streaming "table: the standby is streaming"
is "$(table_cell "$table" standby 5)" "$flush" "table: flush LSN is pg_stat_replication's"
is "$(table_cell "$table" standby 6)" "$replay" "table: replay LSN is pg_stat_replication's"
is "$(table_cell "$table" standby 7)" "0 B" "table: no replay lag"
is "$(table_cell "$table" standby 9)" standby_slot "table: the standby uses standby_slot"
is "$(table_cell "$table" spare 3)" stopped "table: the unused slot is shown stopped"
is "$(table_cell "$table" spare 9)" spare "table: ... with its slot name"
like "$table" '^archive +on: last 0000000100000000000000[0-9A-F]{2} at ' "table: archive line"
like "$table" '^health +critical$' "table: health critical"
like "$table" '^  critical +slot "spare" has no standby connected' "table: the reason names the slot"

stable_status --config "$conf" status --json
is "$RC" 2 "status --json exits 2 too"
json=$OUT
IFS='|' read -r flush replay current <<<"$ROW"
ok "JSON output is one object" -- json_valid primary "$json"
is "$(json_get primary "$json" role)" primary "json: role"
is "$(json_get primary "$json" current_lsn)" "$current" "json: current_lsn"
is "$(json_get primary "$json" timeline)" \
	"$(pg_sql primary "SELECT timeline_id FROM pg_control_checkpoint()")" "json: timeline"
is "$(jstandby "$json" standby flush_lsn)" "$flush" "json: flush_lsn is pg_stat_replication's"
is "$(jstandby "$json" standby replay_lsn)" "$replay" "json: replay_lsn is pg_stat_replication's"
is "$(jstandby "$json" standby replay_lag_bytes)" 0 "json: replay lag 0 bytes"
is "$(jstandby "$json" standby slot)" standby_slot "json: slot of the standby"
is "$(jstandby "$json" standby host)" 127.0.0.1 "json: host of the standby"
is "$(jstandby "$json" standby sync_state)" async "json: sync_state"
is "$(json_sql primary "$json" "(SELECT jsonb_typeof(s->'slot_retained_bytes') FROM jsonb_array_elements(j->'standbys') s WHERE s->>'name' = 'standby')")" \
	number "json: retained bytes are a number"
is "$(jstandby "$json" spare state)" stopped "json: the unused slot is stopped"
is "$(json_sql primary "$json" "(SELECT s->'replay_lsn' = 'null' AND s->'pid' = 'null' FROM jsonb_array_elements(j->'standbys') s WHERE s->>'name' = 'spare')")" \
	t "json: unknown fields of the stopped slot are null, not missing"
is "$(jstandby "$json" spare slot_retained_bytes)" \
	"$(pg_sql primary "SELECT pg_wal_lsn_diff('$current', restart_lsn)::bigint FROM pg_replication_slots WHERE slot_name = 'spare'")" \
	"json: WAL the unused slot retains"
is "$(json_get primary "$json" health status)" critical "json: health critical"
is "$(json_get primary "$json" health code)" 2 "json: health code 2"
is "$(json_get primary "$json" archive enabled)" true "json: archiving is on"
is "$(json_type primary "$json" archive lag_segments)" number "json: archive lag in segments"
is "$(json_get primary "$json" archive last_archived_wal)" \
	"$(pg_sql primary "SELECT last_archived_wal FROM pg_stat_archiver")" "json: last archived WAL"

note "Prometheus metrics"
stable_status --config "$conf" status --prometheus
is "$RC" 2 "status --prometheus exits 2 too"
prom=$OUT
ok "every sample line is 'name{labels} number'" -- awk '
	/^#/ { if ($0 !~ /^# (HELP|TYPE) walship_[a-z_]+ /) bad = 1; next }
	!/^walship_[a-z_]+(\{[a-z_]+="([^"\\]|\\.)*"(,[a-z_]+="([^"\\]|\\.)*")*\})? -?[0-9]+(\.[0-9]+)?$/ { bad = 1; print "bad: " $0 }
	END { exit bad }' <<<"$prom"
# metric NAME — the value of the sample named exactly NAME (with labels)
metric() {
	awk -v n="$1" 'index($0, n " ") == 1 { print substr($0, length(n) + 2) }' <<<"$prom"
}
stable_status --config "$conf" status --json
json=$OUT
is "$(metric walship_up)" 1 "walship_up 1"
is "$(metric walship_timeline)" "$(json_get primary "$json" timeline)" "walship_timeline matches JSON"
is "$(metric walship_wal_lsn_bytes)" "$(pg_sql primary "SELECT pg_wal_lsn_diff('$(json_get primary "$json" current_lsn)', '0/0')::bigint")" \
	"walship_wal_lsn_bytes is JSON's current_lsn in bytes"
is "$(metric 'walship_replication_lag_bytes{standby="standby",kind="replay"}')" \
	"$(jstandby "$json" standby replay_lag_bytes)" "replay lag bytes match JSON"
is "$(metric 'walship_replication_lag_bytes{standby="standby",kind="flush"}')" \
	"$(jstandby "$json" standby flush_lag_bytes)" "flush lag bytes match JSON"
is "$(metric 'walship_slot_retained_bytes{slot="standby_slot"}')" \
	"$(jstandby "$json" standby slot_retained_bytes)" "retained bytes of standby_slot match JSON"
is "$(metric 'walship_slot_retained_bytes{slot="spare"}')" \
	"$(jstandby "$json" spare slot_retained_bytes)" "retained bytes of spare match JSON"
is "$(metric 'walship_slot_active{slot="standby_slot"}')" 1 "standby_slot is active"
is "$(metric 'walship_slot_active{slot="spare"}')" 0 "spare is not active"
is "$(metric walship_archive_failed_total)" "$(json_get primary "$json" archive failed_count)" \
	"archive failures match JSON"
is "$(metric walship_archive_lag_segments)" "$(json_get primary "$json" archive lag_segments)" \
	"archive lag segments match JSON"
is "$(metric 'walship_replication_mode{mode="async"}')" 1 "replication mode async"
is "$(metric walship_sync_degraded)" 0 "not degraded"
is "$(metric walship_health)" 2 "walship_health 2"
like "$(metric 'walship_replication_lag_seconds_current{standby="standby",kind="replay"}')" '^[0-9]+\.[0-9]{3}$' \
	"replay lag seconds is a number"

note "the unused slot dropped"
expect_exit 0 "slot drop spare" -- walship --config "$conf" slot drop spare
expect_exit 0 "status exits 0 without lag or unused slots" -- walship --config "$conf" status
like "$OUT" '^health +ok$' "table: health ok"
unlike "$OUT" '^ spare ' "table: spare is gone"
expect_exit 0 "status --json exits 0" -- walship --config "$conf" status --json
is "$(json_get primary "$OUT" health status)" ok "json: health ok"
is "$(json_sql primary "$OUT" "jsonb_array_length(j->'standbys')")" 1 "json: one standby left"

note "sync mode without synchronous_standby_names is degraded"
expect_exit 0 "status --replication-mode=sync" -- walship --config "$conf" status --json --replication-mode=sync
is "$(json_get primary "$OUT" sync)" degraded "json: sync degraded"
is "$(json_get primary "$OUT" replication_mode)" sync "json: replication_mode sync"
expect_exit 0 "status --prometheus --replication-mode=semi-sync" -- \
	walship --config "$conf" status --prometheus --replication-mode=semi-sync
like "$OUT" '^walship_sync_degraded 1$' "prometheus: degraded"
like "$OUT" '^walship_replication_mode\{mode="semi-sync"\} 1$' "prometheus: mode semi-sync"

note "the mode recorded on the server by walship mode set wins over the configuration"
expect_exit 0 "walship mode set sync" -- walship --config "$conf" mode set sync
pg_wait_for primary "SELECT sync_state FROM pg_stat_replication WHERE application_name = 'standby'" sync 30 ||
	die "the standby did not become synchronous"
expect_exit 0 "status after mode set sync" -- walship --config "$conf" status --json
is "$(json_get primary "$OUT" replication_mode)" sync "json: replication_mode sync"
is "$(json_get primary "$OUT" sync)" sync "json: sync (synchronous_standby_names set)"
is "$(jstandby "$OUT" standby sync_state)" sync "json: the standby's sync_state is sync"
expect_exit 0 "walship mode set async" -- walship --config "$conf" mode set async
pg_wait_for primary "SELECT sync_state FROM pg_stat_replication WHERE application_name = 'standby'" async 30 ||
	die "the standby did not become asynchronous"
expect_exit 0 "status after mode set async" -- walship --config "$conf" status --json --replication-mode=sync
is "$(json_get primary "$OUT" replication_mode)" async "json: the server's async beats --replication-mode=sync"

note "the standby's own status"
expect_exit 0 "status on the standby exits 0" -- walship --config "$sconf" status --json
sjson=$OUT
is "$(json_get primary "$sjson" role)" standby "json: role standby"
is "$(json_sql primary "$sjson" "(j->>'receive_lsn')::pg_lsn = '$(pg_sql standby "SELECT pg_last_wal_receive_lsn()")'")" t \
	"json: receive_lsn is pg_last_wal_receive_lsn()"
is "$(json_get primary "$sjson" replay_lsn)" "$(pg_sql standby "SELECT pg_last_wal_replay_lsn()")" \
	"json: replay_lsn is pg_last_wal_replay_lsn()"
is "$(json_type primary "$sjson" current_lsn)" null "json: no current_lsn on a standby"
is "$(json_type primary "$sjson" sync)" null "json: sync state not applicable"
expect_exit 0 "table on the standby" -- walship --config "$sconf" status
like "$OUT" '^role +standby$' "table: role standby"
like "$OUT" '^receive LSN +[0-9A-F]+/[0-9A-F]+$' "table: receive LSN"
like "$OUT" '^replay LSN +[0-9A-F]+/[0-9A-F]+$' "table: replay LSN"

note "replay paused on the standby"
pg_sql standby "SELECT pg_wal_replay_pause()" >/dev/null || die "could not pause replay"
pg_wait_for standby "SELECT pg_get_wal_replay_pause_state()" paused 30 || die "replay did not pause"
pg_sql primary "CREATE TABLE big AS SELECT g AS i, md5(g::text) AS m FROM generate_series(1, 50000) g" >/dev/null ||
	die "could not write on the primary"
flushed() {
	[ "$(pg_sql primary "SELECT flush_lsn = pg_current_wal_lsn() FROM pg_stat_replication
		WHERE application_name = 'standby'")" = t ]
}
wait_until 30 -- flushed || die "the standby did not receive the new WAL"
nolag=(--lag-warn-time=0 --lag-crit-time=0)
stable_status --config "$conf" status --json "${nolag[@]}"
is "$RC" 0 "lag under lag-warn (16MB): exit 0" || show_run
IFS='|' read -r flush replay current <<<"$ROW"
lag=$(jstandby "$OUT" standby replay_lag_bytes)
is "$lag" "$(pg_sql primary "SELECT pg_wal_lsn_diff('$current', '$replay')::bigint")" \
	"json: replay lag bytes = current LSN - pg_stat_replication.replay_lsn"
cmp_ok "$lag" -gt 1000000 "json: replay lag grew past 1MB"
is "$(jstandby "$OUT" standby flush_lag_bytes)" 0 "json: nothing left to flush"
expect_exit 1 "--lag-warn=1kB: exit 1 (warning)" -- walship --config "$conf" status --lag-warn=1kB "${nolag[@]}"
like "$OUT" '^  warning +standby "standby": replay lag [0-9.]+ MB is over lag-warn 1.0 kB$' "table: the warning says why"
like "$(table_cell "$OUT" standby 7)" '^[0-9]+\.[0-9] MB$' "table: lag in MB"
expect_exit 2 "--lag-crit=1kB: exit 2 (critical)" -- walship --config "$conf" status --lag-crit=1kB "${nolag[@]}"
expect_exit 2 "WALSHIP_LAG_CRIT='1 kB' works as well" -- \
	env WALSHIP_LAG_CRIT='1 kB' WALSHIP_LAG_WARN_TIME=0 WALSHIP_LAG_CRIT_TIME=0 "$WALSHIP" --config "$conf" status
expect_exit 1 "the standby's own status warns with --lag-warn=1kB" -- \
	walship --config "$sconf" status --json --lag-warn=1kB
cmp_ok "$(json_get primary "$OUT" replay_lag_bytes)" -gt 1000000 "json: the standby's own replay lag"

# The walsender keeps estimating replay_lag while replay stands still.
if pg_wait_for primary "SELECT replay_lag > interval '2 seconds' FROM pg_stat_replication WHERE application_name = 'standby'" t 40; then
	expect_exit 1 "--lag-warn-time=1: exit 1" -- \
		walship --config "$conf" status --lag-warn=0 --lag-crit=0 --lag-warn-time=1 --lag-crit-time=0
	like "$OUT" 'replay lag [0-9.]+ s is over lag-warn-time 1 s' "table: the time warning says why"
else
	fail "replay_lag did not grow while replay was paused"
fi

pg_sql standby "SELECT pg_wal_replay_resume()" >/dev/null || die "could not resume replay"
wait_until 30 -- caught_up || die "the standby did not catch up after resuming"
expect_exit 0 "replay resumed: exit 0" -- walship --config "$conf" status --json "${nolag[@]}"
is "$(jstandby "$OUT" standby replay_lag_bytes)" 0 "json: replay lag back to 0"

note "the standby stops"
pg_stop standby || die "could not stop the standby"
pg_wait_for primary "SELECT active FROM pg_replication_slots WHERE slot_name = 'standby_slot'" f 30 ||
	die "standby_slot stayed active"
expect_exit 2 "status exits 2 when the standby is down" -- walship --config "$conf" status --json
is "$(jstandby "$OUT" standby_slot state)" stopped "json: its slot is shown stopped"
is "$(json_sql primary "$OUT" "jsonb_array_length(j->'standbys')")" 1 "json: and nothing else"
expect_exit 2 "status of the stopped standby itself: unreachable" -- walship --config "$sconf" status
like "$OUT" '^state +unreachable: could not connect' "table: unreachable"
error_line_like 'could not connect to the server' "a one-line error on stderr"

note "an unreachable server"
dead=$(free_port)
expect_exit 2 "status of a server nobody listens on exits 2" -- \
	walship --config "$conf" status --pg-conninfo "host=127.0.0.1 port=$dead user=postgres connect_timeout=3"
error_line_like "could not connect to the server: .*port $dead" "stderr says it could not connect"
like "$OUT" '^health +critical$' "table: health critical"
expect_exit 2 "status --json of an unreachable server exits 2" -- \
	walship --config "$conf" status --json --pg-conninfo "host=127.0.0.1 port=$dead user=postgres connect_timeout=3"
is "$(json_get primary "$OUT" up)" false "json: up false"
like "$(json_get primary "$OUT" error)" "port $dead" "json: error"
is "$(json_type primary "$OUT" role)" null "json: role null"
expect_exit 2 "status --prometheus of an unreachable server exits 2" -- \
	walship --config "$conf" status --prometheus --pg-conninfo "host=127.0.0.1 port=$dead user=postgres connect_timeout=3"
like "$OUT" '^walship_up 0$' "prometheus: walship_up 0"

note "usage and configuration errors: 3 (unknown)"
expect_exit 3 "a bad size is exit 3" -- walship --config "$conf" status --lag-warn=16XB
error_line_like 'invalid value "16XB" for option "lag-warn"' "the error names the option"
expect_exit 3 "--json with --prometheus is exit 3" -- walship --config "$conf" status --json --prometheus
expect_exit 3 "--watch 0 is exit 3" -- walship --config "$conf" status --watch 0
expect_exit 3 "an unknown option is exit 3" -- walship --config "$conf" status --colour

note "--watch"
pg_start standby || die "could not restart the standby"
pg_wait_for primary "SELECT count(*) FROM pg_stat_replication WHERE application_name = 'standby'" 1 30 ||
	die "the standby did not come back"
wait_until 30 -- caught_up || die "the standby did not catch up after restarting"
bg_start watch "$WALSHIP" --config "$conf" status --watch 1 --lag-warn-time=0 --lag-crit-time=0
wait_until 10 -- file_has "$WS_TMP/watch.out" '^every 1 s: walship status' || fail "no watch header"
sleep 2.5
kill -INT "$(bg_pid watch)"
bg_wait watch 10
is "$RC" 0 "--watch ends on SIGINT with the last round's exit code"
cmp_ok "$(grep -c '^health ' "$WS_TMP/watch.out")" -ge 2 "--watch printed at least two rounds"
