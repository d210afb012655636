#!/bin/bash
#
# walship check against a primary that cannot feed replication
# (wal_level = minimal, max_wal_senders = 0): exit 4 and wal_level reported
# as an error; after fixing the settings and restarting, exit 0.
#
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

require_walship
pg_create_primary primary "wal_level = minimal" "max_wal_senders = 0"

is "$(pg_sql primary "SHOW wal_level")" minimal "(setup) the server runs with wal_level minimal"
conf=$WS_TMP/walship.conf
echo "# empty" >"$conf"
conninfo=$(pg_conninfo primary)

note "table output"
expect_exit 4 "check exits 4" -- walship check --config "$conf" --pg-conninfo "$conninfo"
table=$OUT
like "$table" '^[[:space:]]*role[[:space:]:]+primary[[:space:]]*$' "table: role is still shown"
like "$table" '^[[:space:]]*wal_level[[:space:]:]+minimal[[:space:]]*$' "table: wal_level minimal"
like "$table" '^[[:space:]]*max_wal_senders[[:space:]:]+0[[:space:]]*$' "table: max_wal_senders 0"
like "$table" '^[[:space:]]*error[[:space:]]+wal_level: ' "table: wal_level check is an error"
like "$table" '^[[:space:]]*result: error[[:space:]]*$' "table: result error"
if [ -n "$ERR" ]; then
	error_line_like '.' "stderr, if anything, is one error line"
else
	pass "stderr is empty"
fi

note "JSON output"
expect_exit 4 "check --json exits 4" -- walship check --config "$conf" --pg-conninfo "$conninfo" --json
json=$OUT
ok "output is one JSON object" -- json_valid primary "$json"
is "$(json_get primary "$json" status)" error "status is error"
is "$(json_get primary "$json" settings wal_level)" minimal "settings.wal_level is minimal"
is "$(json_get primary "$json" settings max_wal_senders)" 0 "settings.max_wal_senders is 0"
is "$(json_sql primary "$json" "(SELECT c->>'level' FROM jsonb_array_elements(j->'checks') c
	WHERE c->>'name' = 'wal_level')")" error "check wal_level is an error"
like "$(json_sql primary "$json" "(SELECT c->>'message' FROM jsonb_array_elements(j->'checks') c
	WHERE c->>'name' = 'wal_level')")" 'minimal' "its message names the current value"
note "max_wal_senders check: $(json_sql primary "$json" "(SELECT c->>'level' || ': ' || (c->>'message')
	FROM jsonb_array_elements(j->'checks') c WHERE c->>'name' = 'max_wal_senders')")"

expect_exit 4 "check --expect-role primary still exits 4" -- \
	walship check --config "$conf" --pg-conninfo "$conninfo" --expect-role primary

note "fixed and restarted"
pg_conf primary "wal_level = replica" "max_wal_senders = 10"
pg_restart primary || die "could not restart with the fixed settings"
is "$(pg_sql primary "SHOW wal_level")" replica "(setup) now wal_level is replica"
expect_exit 0 "check exits 0 once fixed" -- walship check --config "$conf" --pg-conninfo "$conninfo" --json
is "$(json_sql primary "$OUT" "(SELECT c->>'level' FROM jsonb_array_elements(j->'checks') c
	WHERE c->>'name' = 'wal_level')")" ok "check wal_level is ok"
like "$(json_get primary "$OUT" status)" '^(ok|warning)$' "status is ok or warning"
