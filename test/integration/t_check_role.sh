#!/bin/bash
#
# walship check --expect-role: exit 5 and one error line when the server has
# the other role; after promotion the former standby passes as a primary.
#
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

require_walship
pg_create_primary primary
pg_create_standby standby primary

conf=$WS_TMP/walship.conf
echo "# empty" >"$conf"
p_conn=$(pg_conninfo primary)
s_conn=$(pg_conninfo standby)

note "the right role"
expect_exit 0 "--expect-role primary on the primary: exit 0" -- \
	walship check --config "$conf" --pg-conninfo "$p_conn" --expect-role primary
expect_exit 0 "--expect-role standby on the standby: exit 0" -- \
	walship check --config "$conf" --pg-conninfo "$s_conn" --expect-role standby
expect_exit 0 "--expect-role=standby form: exit 0" -- \
	walship check --config "$conf" --pg-conninfo "$s_conn" --expect-role=standby

note "the wrong role"
expect_exit 5 "--expect-role primary on the standby: exit 5" -- \
	walship check --config "$conf" --pg-conninfo "$s_conn" --expect-role primary
error_line_like 'standby' "one-line error saying the server is a standby"
unlike "$OUT" '^[[:space:]]*result: ok' "no 'result: ok' printed"

expect_exit 5 "--expect-role standby on the primary: exit 5" -- \
	walship check --config "$conf" --pg-conninfo "$p_conn" --expect-role standby
error_line_like 'primary' "one-line error saying the server is a primary"

expect_exit 5 "--json --expect-role primary on the standby: exit 5" -- \
	walship check --config "$conf" --pg-conninfo "$s_conn" --expect-role primary --json
error_line_like 'standby' "one-line error"

expect_exit 2 "--expect-role with a bad value: exit 2" -- \
	walship check --config "$conf" --pg-conninfo "$s_conn" --expect-role replica
error_line_like 'replica' "one-line error naming the value"

note "after promotion"
pg_promote standby || die "promotion failed"
tli=$(pg_sql standby "SELECT timeline_id FROM pg_control_checkpoint()")
# the checkpoint after promotion is asynchronous: wait for the new timeline
pg_wait_for standby "SELECT timeline_id FROM pg_control_checkpoint()" 2 30 &&
	tli=2
expect_exit 0 "--expect-role primary on the promoted server: exit 0" -- \
	walship check --config "$conf" --pg-conninfo "$s_conn" --expect-role primary --json
is "$(json_get primary "$OUT" role)" primary "it reports itself as primary"
is "$(json_get primary "$OUT" timeline)" "$tli" "on timeline $tli"
expect_exit 5 "--expect-role standby on the promoted server: exit 5" -- \
	walship check --config "$conf" --pg-conninfo "$s_conn" --expect-role standby
error_line_like 'primary' "one-line error saying the server is a primary"
