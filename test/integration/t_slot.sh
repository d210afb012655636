#!/bin/bash
#
# walship slot create | drop | list on a real primary: the slot appears in
# pg_replication_slots with WAL reserved, list shows it (table and JSON),
# and every refusal is one clear error line: a taken name, an invalid
# name (never sent to the server), no free slot, a missing slot, a slot in
# use. With max-slot-wal-keep set, create and list warn while the server's
# max_slot_wal_keep_size is unlimited (-1), and no longer once it is at
# most max-slot-wal-keep.
#
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

require_walship
pg_create_primary primary "max_replication_slots = 3"
conf=$WS_TMP/walship.conf
cat >"$conf" <<EOF
pg-conninfo = "$(pg_conninfo primary)";
EOF
slot_sql() {
	pg_sql primary "SELECT $1 FROM pg_replication_slots WHERE slot_name = '$2'"
}

note "create"
expect_exit 0 "slot create s1" -- walship --config "$conf" slot create s1
like "$OUT" '^replication slot "s1" created on 127\.0\.0\.1:[0-9]+$' "create says what it did"
is "$(slot_sql "slot_type" s1)" physical "s1 is a physical slot"
is "$(slot_sql "restart_lsn IS NOT NULL" s1)" t "s1 reserves WAL at once"
is "$(slot_sql "temporary" s1)" f "s1 is permanent"

note "list"
expect_exit 0 "slot list" -- walship --config "$conf" slot list
like "$OUT" '^ name +\| type +\| active +\| restart LSN +\| retained +\| wal_status +\| safe_wal_size$' "table header"
like "$OUT" "^ s1 +\\| physical \\| no +\\| $(re_escape "$(slot_sql restart_lsn s1)") +\\| [0-9.]+ [kMG]?B +\\| reserved +\\| - *\$" \
	"table row of s1"
expect_exit 0 "slot list --json" -- walship --config "$conf" slot list --json
json=$OUT
ok "JSON output is one object" -- json_valid primary "$json"
is "$(json_sql primary "$json" "jsonb_array_length(j->'slots')")" 1 "json: one slot"
is "$(json_get primary "$json" slots 0 name)" s1 "json: name"
is "$(json_get primary "$json" slots 0 active)" false "json: not active"
is "$(json_get primary "$json" slots 0 restart_lsn)" "$(slot_sql restart_lsn s1)" "json: restart_lsn"
is "$(json_get primary "$json" slots 0 wal_status)" reserved "json: wal_status"
is "$(json_type primary "$json" slots 0 retained_bytes)" number "json: retained bytes is a number"
is "$(json_type primary "$json" slots 0 safe_wal_size)" null "json: safe_wal_size null without a limit"
cmp_ok "$(json_get primary "$json" slots 0 retained_bytes)" -ge 0 "json: retained bytes >= 0"

note "refusals"
expect_exit 1 "creating s1 again fails" -- walship --config "$conf" slot create s1
error_line_like 'replication slot "s1" already exists on 127\.0\.0\.1:[0-9]+$' "... saying it exists"
walship_connections() {
	grep -c 'connection authorized: .*application_name=walship' "$(pg_logfile primary)"
}
before=$(walship_connections)
cmp_ok "$before" -gt 0 "(setup) the server log shows walship's connections"
for bad in Upper 'with-dash' 'sp ace' "$(printf 'x%.0s' {1..64})" "dro'p"; do
	expect_exit 2 "invalid name '${bad:0:20}' is refused" -- walship --config "$conf" slot create "$bad"
	error_line_like 'replication slot name' "... with a clear message"
done
expect_exit 2 "an empty name is refused" -- walship --config "$conf" slot create ''
error_line_like 'must not be empty' "... saying so"
is "$(walship_connections)" "$before" "invalid names are refused before connecting"
is "$(pg_sql primary "SELECT count(*) FROM pg_replication_slots")" 1 "no slot was created by the refusals"
expect_exit 0 "slot create s2" -- walship --config "$conf" slot create s2
expect_exit 0 "slot create s3" -- walship --config "$conf" slot create s3
expect_exit 1 "a fourth slot with max_replication_slots = 3 fails" -- walship --config "$conf" slot create s4
error_line_like 'all 3 replication slots \(max_replication_slots\) are in use' "... saying why"
expect_exit 1 "dropping a missing slot fails" -- walship --config "$conf" slot drop nosuch
error_line_like 'replication slot "nosuch" does not exist' "... saying it does not exist"
expect_exit 2 "slot drop needs a name" -- walship --config "$conf" slot drop
expect_exit 2 "slot list takes no name" -- walship --config "$conf" slot list s1
expect_exit 2 "an unknown action is refused" -- walship --config "$conf" slot rename s1
error_line_like 'unknown slot action "rename"' "... by name"

note "a slot in use"
pg_sql primary "SELECT pg_drop_replication_slot('s3')" >/dev/null
pg_create_standby standby primary "primary_slot_name = 's2'"
pg_wait_for primary "SELECT active FROM pg_replication_slots WHERE slot_name = 's2'" t 30 ||
	die "s2 is not in use"
expect_exit 1 "dropping the standby's slot fails" -- walship --config "$conf" slot drop s2
error_line_like 'replication slot "s2" .* is active \(walsender pid [0-9]+\)' "... saying it is active"
expect_exit 0 "slot list --json with a standby" -- walship --config "$conf" slot list --json
is "$(json_sql primary "$OUT" "(SELECT s->>'active' FROM jsonb_array_elements(j->'slots') s WHERE s->>'name' = 's2')")" \
	true "json: s2 is active"
is "$(json_sql primary "$OUT" "(SELECT s->>'active_pid' FROM jsonb_array_elements(j->'slots') s WHERE s->>'name' = 's2')")" \
	"$(slot_sql active_pid s2)" "json: active_pid"

note "drop"
expect_exit 0 "slot drop s1" -- walship --config "$conf" slot drop s1
like "$OUT" '^replication slot "s1" dropped on ' "drop says what it did"
is "$(slot_sql "count(*)" s1)" 0 "s1 is gone from pg_replication_slots"

note "max-slot-wal-keep"
is "$(pg_sql primary "SHOW max_slot_wal_keep_size")" -1 "(setup) max_slot_wal_keep_size is -1"
expect_exit 0 "slot list without max-slot-wal-keep" -- walship --config "$conf" slot list
unlike "$ERR" 'max_slot_wal_keep_size' "no warning when max-slot-wal-keep is 0"
expect_exit 0 "slot list --max-slot-wal-keep=1GB" -- walship --config "$conf" slot list --max-slot-wal-keep=1GB
like "$ERR" "WARN +slot: max_slot_wal_keep_size is -1 \\(unlimited\\) on .*: a slot whose standby is gone could fill pg_wal" \
	"list warns that a dead slot could fill pg_wal"
like "$ERR" "ALTER SYSTEM SET max_slot_wal_keep_size = '1024MB'; SELECT pg_reload_conf\\(\\);" \
	"... and shows the command that fixes it"
expect_exit 0 "slot create s5 --max-slot-wal-keep=1GB" -- walship --config "$conf" slot create s5 --max-slot-wal-keep=1GB
like "$ERR" 'WARN +slot: max_slot_wal_keep_size is -1' "create warns too"
expect_exit 0 "slot list --json --max-slot-wal-keep=1GB" -- walship --config "$conf" slot list --json --max-slot-wal-keep=1GB
ok "... and its stdout stays JSON" -- json_valid primary "$OUT"
is "$(pg_sql primary "SHOW max_slot_wal_keep_size")" -1 "walship did not change the setting"

pg_sql primary "ALTER SYSTEM SET max_slot_wal_keep_size = '64MB'" >/dev/null || die "ALTER SYSTEM failed"
pg_reload primary || die "reload failed"
pg_wait_for primary "SHOW max_slot_wal_keep_size" 64MB 10 || die "the new setting did not apply"
expect_exit 0 "slot list --max-slot-wal-keep=1GB with 64MB" -- walship --config "$conf" slot list --max-slot-wal-keep=1GB
unlike "$ERR" 'max_slot_wal_keep_size' "no warning once max_slot_wal_keep_size is at most max-slot-wal-keep"
expect_exit 0 "slot create s6 --max-slot-wal-keep=1GB with 64MB" -- \
	walship --config "$conf" slot create s6 --max-slot-wal-keep=1GB
unlike "$ERR" 'max_slot_wal_keep_size' "no warning from create either"
expect_exit 0 "slot list --json shows safe_wal_size now" -- walship --config "$conf" slot list --json
is "$(json_sql primary "$OUT" "(SELECT jsonb_typeof(s->'safe_wal_size') FROM jsonb_array_elements(j->'slots') s WHERE s->>'name' = 's6')")" \
	number "json: safe_wal_size is a number with a limit"
expect_exit 0 "slot list --max-slot-wal-keep=32MB with 64MB" -- walship --config "$conf" slot list --max-slot-wal-keep=32MB
like "$ERR" "max_slot_wal_keep_size is 64MB on .*ALTER SYSTEM SET max_slot_wal_keep_size = '32MB'" \
	"a limit above max-slot-wal-keep warns with the smaller value"

note "status marks a slot retaining more than max-slot-wal-keep"
pg_sql primary "CREATE TABLE t AS SELECT g, md5(g::text) FROM generate_series(1, 20000) g" >/dev/null
expect_exit 2 "status: unused slots are critical" -- walship --config "$conf" status --json --max-slot-wal-keep=1kB
like "$(json_sql primary "$OUT" "(SELECT string_agg(p->>'message', '; ') FROM jsonb_array_elements(j->'health'->'problems') p WHERE p->>'level' = 'warning')")" \
	'slot "s6" retains .* of WAL, over max-slot-wal-keep 1\.0 kB' "status warns about s6's retained WAL"
