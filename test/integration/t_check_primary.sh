#!/bin/bash
#
# walship check against a healthy primary: table and JSON output agree with
# what the server itself reports, and pg-conninfo is taken from the command
# line, the environment or the configuration file.
#
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

require_walship
pg_create_primary primary

conninfo=$(pg_conninfo primary)
sysid=$(pg_sql primary "SELECT system_identifier FROM pg_control_system()") || die "no sysid"
tli=$(pg_sql primary "SELECT timeline_id FROM pg_control_checkpoint()") || die "no timeline"
version_num=$(pg_sql primary "SHOW server_version_num") || die "no version"

# An empty configuration file keeps /etc/walship/walship.conf out of the test.
conf=$WS_TMP/walship.conf
echo "# empty" >"$conf"

note "table output"
expect_exit 0 "check on a primary exits 0" -- \
	walship check --config "$conf" --pg-conninfo "$conninfo"
table=$OUT
like "$table" '^[[:space:]]*role[[:space:]:]+primary[[:space:]]*$' "table: role is primary"
like "$table" "^[[:space:]]*system identifier[[:space:]:]+${sysid}[[:space:]]*\$" \
	"table: system identifier is the server's ($sysid)"
like "$table" "^[[:space:]]*timeline[[:space:]:]+${tli}[[:space:]]*\$" "table: timeline $tli"
like "$table" '^[[:space:]]*insert LSN[[:space:]:]+[0-9A-F]+/[0-9A-F]+[[:space:]]*$' \
	"table: insert LSN"
like "$table" '^[[:space:]]*wal_level[[:space:]:]+replica[[:space:]]*$' "table: wal_level replica"
like "$table" '^[[:space:]]*archive_mode[[:space:]:]+off[[:space:]]*$' "table: archive_mode off"
like "$table" '^[[:space:]]*max_wal_senders[[:space:]:]+10[[:space:]]*$' "table: max_wal_senders 10"
like "$table" '^[[:space:]]*max_replication_slots[[:space:]:]+10[[:space:]]*$' \
	"table: max_replication_slots 10"
like "$table" '^[[:space:]]*ok[[:space:]]+wal_level: ' "table: wal_level check is ok"
unlike "$table" '^[[:space:]]*error[[:space:]]+[a-z_]+: ' "table: no check is an error"
like "$table" '^[[:space:]]*result: (ok|warning)[[:space:]]*$' "table: result ok or warning"
unlike "$ERR" '(error|ERROR)' "nothing about an error on stderr"

note "JSON output"
expect_exit 0 "check --json exits 0" -- \
	walship check --config "$conf" --pg-conninfo "$conninfo" --json
json=$OUT
ok "output is one JSON object" -- json_valid primary "$json"
is "$(printf '%s\n' "$json" | grep -c .)" 1 "JSON is on one line"
is "$(json_get primary "$json" role)" primary "role is primary"
is "$(json_type primary "$json" system_identifier)" string "system_identifier is a string"
is "$(json_get primary "$json" system_identifier)" "$sysid" "system_identifier matches pg_control_system()"
is "$(json_type primary "$json" timeline)" number "timeline is a number"
is "$(json_get primary "$json" timeline)" "$tli" "timeline matches pg_control_checkpoint()"
is "$(json_get primary "$json" server_version_num)" "$version_num" "server_version_num matches"
is "$(json_sql primary "$json" "current_setting('server_version') LIKE (j->>'server_version') || '%'")" t \
	"server_version is the start of the server's version string"
like "$(json_get primary "$json" lsn insert)" '^[0-9A-F]+/[0-9A-F]+$' "lsn.insert looks like an LSN"
like "$(json_get primary "$json" lsn flush)" '^[0-9A-F]+/[0-9A-F]+$' "lsn.flush looks like an LSN"
is "$(json_sql primary "$json" "(j#>>'{lsn,insert}')::pg_lsn <= pg_current_wal_insert_lsn()")" t \
	"lsn.insert is not ahead of the server"
is "$(json_sql primary "$json" "(j#>>'{lsn,flush}')::pg_lsn <= (j#>>'{lsn,insert}')::pg_lsn")" t \
	"lsn.flush <= lsn.insert"
is "$(json_type primary "$json" lsn receive)" missing "no receive LSN on a primary"
is "$(json_get primary "$json" settings wal_level)" replica "settings.wal_level"
is "$(json_get primary "$json" settings archive_mode)" off "settings.archive_mode"
is "$(json_type primary "$json" settings max_wal_senders)" number "settings.max_wal_senders is a number"
is "$(json_get primary "$json" settings max_wal_senders)" 10 "settings.max_wal_senders"
is "$(json_get primary "$json" settings max_replication_slots)" 10 "settings.max_replication_slots"
is "$(json_get primary "$json" settings wal_segment_size)" 16777216 "settings.wal_segment_size"
is "$(json_type primary "$json" checks)" array "checks is an array"
cmp_ok "$(json_sql primary "$json" "jsonb_array_length(j->'checks')")" -gt 0 "there are checks"
is "$(json_sql primary "$json" "(SELECT count(*) FROM jsonb_array_elements(j->'checks') c
	WHERE jsonb_typeof(c->'name') IS DISTINCT FROM 'string'
	   OR jsonb_typeof(c->'message') IS DISTINCT FROM 'string'
	   OR (c->>'level') IS NULL OR (c->>'level') NOT IN ('ok', 'warning', 'error'))")" 0 \
	"every check has a name, a message and a level ok|warning|error"
is "$(json_sql primary "$json" "(SELECT c->>'level' FROM jsonb_array_elements(j->'checks') c
	WHERE c->>'name' = 'wal_level')")" ok "check wal_level is ok"
is "$(json_sql primary "$json" "(SELECT count(*) FROM jsonb_array_elements(j->'checks') c
	WHERE c->>'level' = 'error')")" 0 "no check is an error"
like "$(json_get primary "$json" status)" '^(ok|warning)$' "status is ok or warning"
is "$(json_sql primary "$json" "j->>'status' = (SELECT CASE max(CASE c->>'level'
	WHEN 'ok' THEN 0 WHEN 'warning' THEN 1 ELSE 2 END)
	WHEN 0 THEN 'ok' WHEN 1 THEN 'warning' ELSE 'error' END
	FROM jsonb_array_elements(j->'checks') c)")" t "status is the worst check level"

note "where pg-conninfo comes from"
closed=$(free_port)
bad="host=127.0.0.1 port=$closed user=postgres dbname=postgres connect_timeout=5"

expect_exit 0 "--pg-conninfo=VALUE form" -- \
	walship check --config "$conf" "--pg-conninfo=$conninfo" --json
is "$(json_get primary "$OUT" system_identifier)" "$sysid" "... reached the primary"

WALSHIP_PG_CONNINFO=$conninfo expect_exit 0 "pg-conninfo from WALSHIP_PG_CONNINFO" -- \
	walship check --config "$conf" --json
is "$(json_get primary "$OUT" system_identifier)" "$sysid" "... reached the primary"

cat >"$WS_TMP/file.conf" <<EOF
# walship test configuration
pg-conninfo = "$conninfo";
EOF
expect_exit 0 "pg-conninfo from the configuration file" -- \
	walship check --config "$WS_TMP/file.conf" --json
is "$(json_get primary "$OUT" system_identifier)" "$sysid" "... reached the primary"

expect_exit 0 "--config before the command (global option)" -- \
	walship --config "$WS_TMP/file.conf" check --json
is "$(json_get primary "$OUT" role)" primary "... reached the primary"

cat >"$WS_TMP/bad.conf" <<EOF
pg-conninfo = "$bad";
EOF
WALSHIP_PG_CONNINFO=$conninfo expect_exit 0 "environment overrides the file" -- \
	walship check --config "$WS_TMP/bad.conf" --json
is "$(json_get primary "$OUT" role)" primary "... reached the primary"

WALSHIP_PG_CONNINFO=$bad expect_exit 0 "command line overrides the environment" -- \
	walship check --config "$WS_TMP/bad.conf" --pg-conninfo "$conninfo" --json
is "$(json_get primary "$OUT" role)" primary "... reached the primary"

WALSHIP_PG_CONNINFO=$bad expect_exit 3 "a bad environment value is used over a good file" -- \
	walship check --config "$WS_TMP/file.conf"
error_line_like "port.*$closed" "... and the error names the environment's port"
