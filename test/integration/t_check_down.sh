#!/bin/bash
#
# walship check when PostgreSQL cannot be reached: exit code 3 and one line
# on stderr, whether the server is stopped, refuses the login or never
# answers (connect-timeout).
#
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

require_walship
pg_create_primary primary

conf=$WS_TMP/walship.conf
echo "# empty" >"$conf"
port=$(pg_port primary)
conninfo=$(pg_conninfo primary)

expect_exit 0 "(setup) check succeeds while the server runs" -- \
	walship check --config "$conf" --pg-conninfo "$conninfo"

note "stopped server"
pg_stop primary fast || die "could not stop the server"
expect_exit 3 "check on a stopped server exits 3" -- \
	walship check --config "$conf" --pg-conninfo "$conninfo"
error_line_like "port.*$port" "one-line error naming the server's port"
unlike "$OUT" '^[[:space:]]*result:' "no check result printed"

expect_exit 3 "check --json on a stopped server exits 3" -- \
	walship check --config "$conf" --pg-conninfo "$conninfo" --json
error_line_like "port.*$port" "one-line error"

expect_exit 3 "check --expect-role primary on a stopped server exits 3" -- \
	walship check --config "$conf" --pg-conninfo "$conninfo" --expect-role primary
error_line_like "port.*$port" "one-line error"

note "the server comes back"
pg_start primary || die "could not restart the server"
expect_exit 0 "check succeeds again after a restart" -- \
	walship check --config "$conf" --pg-conninfo "$conninfo"

note "the server refuses the login"
expect_exit 3 "a database that does not exist: exit 3" -- \
	walship check --config "$conf" --pg-conninfo "host=127.0.0.1 port=$port user=postgres dbname=no_such_db"
error_line_like 'no_such_db' "one-line error naming the database"

expect_exit 3 "a role that does not exist: exit 3" -- \
	walship check --config "$conf" --pg-conninfo "host=127.0.0.1 port=$port user=no_such_role dbname=postgres"
error_line_like 'no_such_role' "one-line error naming the role"

# libpq rejects it before connecting: a usage error (2) or a failed
# connection (3) are both fair
run_walship check --config "$conf" --pg-conninfo "host=127.0.0.1 port=$port no_such_keyword=1"
like "$RC" '^[23]$' "a malformed conninfo: exit 2 or 3 (got $RC)"
error_line_like 'no_such_keyword' "one-line error naming the bad keyword"

note "the server accepts TCP but never answers"
# A stopped (SIGSTOP) postmaster still completes TCP handshakes from its
# listen backlog but never replies: only connect-timeout ends the wait.
pid=$(pg_postmaster_pid primary) || die "no postmaster pid"
kill -STOP "$pid" || die "could not stop postmaster $pid"
start=$(date +%s)
expect_exit 3 "check on a hung server with --connect-timeout=2 exits 3" -- \
	walship check --config "$conf" --pg-conninfo "$conninfo" --connect-timeout=2
note "took $(($(date +%s) - start)) s (limit of run_cmd: ${WS_CMD_TIMEOUT}s)"
error_line_like '(timeout|timed out)' "one-line error mentioning the timeout"

echo "connect-timeout = 2;" >"$WS_TMP/timeout.conf"
expect_exit 3 "connect-timeout from the configuration file applies too" -- \
	walship check --config "$WS_TMP/timeout.conf" --pg-conninfo "$conninfo"
error_line_like '(timeout|timed out)' "one-line error mentioning the timeout"
kill -CONT "$pid"

expect_exit 0 "check succeeds once the server answers again" -- \
	walship check --config "$conf" --pg-conninfo "$conninfo"
