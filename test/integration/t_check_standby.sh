#!/bin/bash
#
# walship check against a streaming standby: role, the primary's system
# identifier, timeline, receive and replay LSNs that have caught up with the
# primary.
#
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

require_walship
pg_create_primary primary
pg_create_standby standby primary

conf=$WS_TMP/walship.conf
echo "# empty" >"$conf"
conninfo=$(pg_conninfo standby)

# Make some WAL and wait for the standby to replay it, so the LSNs the check
# reports can be compared with a known point.
pg_sql primary "CREATE TABLE t AS SELECT g AS i, md5(g::text) AS m FROM generate_series(1, 1000) g" ||
	die "could not write on the primary"
target=$(pg_sql primary "SELECT pg_current_wal_lsn()") || die "no LSN"
pg_wait_for standby "SELECT pg_last_wal_replay_lsn() >= '$target'" t 30 ||
	die "standby did not replay up to $target"

sysid=$(pg_sql primary "SELECT system_identifier FROM pg_control_system()") || die "no sysid"
is "$(pg_sql standby "SELECT system_identifier FROM pg_control_system()")" "$sysid" \
	"(setup) standby has the primary's system identifier"
is "$(pg_sql standby "SELECT pg_is_in_recovery()")" t "(setup) standby is in recovery"
tli=$(pg_sql standby "SELECT received_tli FROM pg_stat_wal_receiver") || die "no timeline"

note "table output"
expect_exit 0 "check on a standby exits 0" -- \
	walship check --config "$conf" --pg-conninfo "$conninfo"
table=$OUT
like "$table" '^[[:space:]]*role[[:space:]:]+standby[[:space:]]*$' "table: role is standby"
like "$table" "^[[:space:]]*system identifier[[:space:]:]+${sysid}[[:space:]]*\$" \
	"table: system identifier is the primary's"
like "$table" "^[[:space:]]*timeline[[:space:]:]+${tli}[[:space:]]*\$" "table: timeline $tli"
like "$table" '^[[:space:]]*receive LSN[[:space:]:]+[0-9A-F]+/[0-9A-F]+[[:space:]]*$' \
	"table: receive LSN"
like "$table" '^[[:space:]]*replay LSN[[:space:]:]+[0-9A-F]+/[0-9A-F]+[[:space:]]*$' \
	"table: replay LSN"
unlike "$table" '^[[:space:]]*insert LSN' "table: no insert LSN on a standby"
like "$table" '^[[:space:]]*wal_level[[:space:]:]+replica[[:space:]]*$' "table: wal_level replica"
like "$table" '^[[:space:]]*max_wal_senders[[:space:]:]+10[[:space:]]*$' "table: max_wal_senders 10"
unlike "$table" '^[[:space:]]*error[[:space:]]+[a-z_]+: ' "table: no check is an error"
like "$table" '^[[:space:]]*result: (ok|warning)[[:space:]]*$' "table: result ok or warning"

note "JSON output"
expect_exit 0 "check --json on a standby exits 0" -- \
	walship check --config "$conf" --pg-conninfo "$conninfo" --json
json=$OUT
ok "output is one JSON object" -- json_valid primary "$json"
is "$(json_get primary "$json" role)" standby "role is standby"
is "$(json_get primary "$json" system_identifier)" "$sysid" "system_identifier is the primary's"
is "$(json_get primary "$json" timeline)" "$tli" "timeline matches the WAL receiver's"
like "$(json_get primary "$json" lsn receive)" '^[0-9A-F]+/[0-9A-F]+$' "lsn.receive looks like an LSN"
like "$(json_get primary "$json" lsn replay)" '^[0-9A-F]+/[0-9A-F]+$' "lsn.replay looks like an LSN"
is "$(json_type primary "$json" lsn insert)" missing "no lsn.insert on a standby"
is "$(json_sql primary "$json" "(j#>>'{lsn,replay}')::pg_lsn >= '$target'")" t \
	"lsn.replay has reached the primary's LSN before the check"
is "$(json_sql primary "$json" "(j#>>'{lsn,receive}')::pg_lsn >= '$target'")" t \
	"lsn.receive has reached the primary's LSN before the check"
is "$(json_sql primary "$json" "(j#>>'{lsn,replay}')::pg_lsn <= '$(pg_sql primary "SELECT pg_current_wal_lsn()")'")" t \
	"lsn.replay is not ahead of the primary"
is "$(json_get primary "$json" settings wal_level)" replica "settings.wal_level"
is "$(json_get primary "$json" settings max_wal_senders)" 10 "settings.max_wal_senders"
is "$(json_sql primary "$json" "(SELECT count(*) FROM jsonb_array_elements(j->'checks') c
	WHERE c->>'level' = 'error')")" 0 "no check is an error"
like "$(json_get primary "$json" status)" '^(ok|warning)$' "status is ok or warning"

note "the standby follows the primary"
pg_sql primary "INSERT INTO t SELECT g, md5(g::text) FROM generate_series(1001, 2000) g" ||
	die "could not write on the primary"
target2=$(pg_sql primary "SELECT pg_current_wal_lsn()")
pg_wait_for standby "SELECT pg_last_wal_replay_lsn() >= '$target2'" t 30 ||
	die "standby did not replay up to $target2"
expect_exit 0 "second check --json exits 0" -- \
	walship check --config "$conf" --pg-conninfo "$conninfo" --json
is "$(json_sql primary "$OUT" "(j#>>'{lsn,replay}')::pg_lsn >= '$target2'
	AND (j#>>'{lsn,replay}')::pg_lsn > '$target'")" t "lsn.replay moved forward with the primary"

note "the primary, checked while it has a standby"
expect_exit 0 "check on the primary still exits 0" -- \
	walship check --config "$conf" --pg-conninfo "$(pg_conninfo primary)" --json
is "$(json_get primary "$OUT" role)" primary "the primary is reported as primary"
is "$(json_get primary "$OUT" system_identifier)" "$sysid" "... with the same system identifier"
