#!/bin/bash
#
# walshipd: starts in the foreground from a configuration file, logs in the
# documented format, reloads on SIGHUP (and keeps the old configuration when
# the new one is invalid), stops cleanly on SIGTERM and SIGINT.
#
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

require_walshipd

# line_re PID [LEVEL] — regex for the start of a log line,
# "YYYY-MM-DD HH:MM:SS.mmm UTC [pid] LEVEL component: message"
line_re() {
	echo "^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3} UTC \\[$1\\] ${2:-[A-Z]+} +[a-z][a-z0-9_-]*: "
}

# the start line; the version may come between the name and "started"
started='walshipd( [0-9][^ ]*)? started'

# count FILE REGEX — lines of FILE matching REGEX
count() {
	grep -cE -e "$2" "$1" 2>/dev/null || true
}

# more_than FILE REGEX N — more than N lines match
more_than() {
	[ "$(count "$1" "$2")" -gt "$3" ]
}

# signal_and_wait NAME SIGNAL FILE REGEX — send SIGNAL to the daemon and
# wait (10 s) for one more line matching REGEX in FILE
signal_and_wait() {
	local before
	before=$(count "$3" "$4")
	kill "-$2" "$(bg_pid "$1")"
	wait_until 10 -- more_than "$3" "$4" "$before"
}

# A real primary and repository directory, so the configuration is complete
# even once walshipd starts connecting.
pg_create_primary primary
mkdir -p "$WS_TMP/repo"

# write_conf LOG_LEVEL [EXTRA_LINE...]
cf=$WS_TMP/walshipd.conf
write_conf() {
	local level=$1
	shift
	{
		echo "# walshipd test configuration"
		echo 'stanza = "demo";'
		echo "pg-conninfo = \"$(pg_conninfo primary)\";"
		echo "pg-data = \"$(pg_datadir primary)\";"
		echo 'repo-type = "posix";'
		echo "repo-path = \"$WS_TMP/repo\";"
		echo "log-level = \"$level\";"
		[ $# -gt 0 ] && printf '%s\n' "$@"
	} >"$cf"
}

note "configuration errors at start"
expect_exit 2 "a missing --config file: exit 2" -- walshipd --config "$WS_TMP/nope.conf"
like "$ERR" "$(re_escape "$WS_TMP/nope.conf")" "the error names the file"
is "$(printf '%s\n' "$ERR" | grep -c .)" 1 "... on one line"

write_conf info 'bogus-option = 1;'
expect_exit 2 "an unknown option in the file: exit 2" -- walshipd --config "$cf"
like "$ERR" "$(re_escape "$cf"):8: unknown option \"bogus-option\"" "the error names file:line and the option"

note "start, logging to a file"
write_conf info
log=$WS_TMP/walshipd.log
bg_start d1 "$WALSHIPD" --config "$cf" --log-file "$log"
pid=$BG_PID
ok "a start line is logged within 10 s" -- wait_for_log "$log" "$started" 10 ||
	die "walshipd did not start: $(tail -n 5 "$log" "$WS_TMP/d1.err" 2>&1)"
like "$(grep -E "$started" "$log")" "$(line_re "$pid")" "start line has the documented format and the pid"
unlike "$(cat "$log")" '^$' "no empty lines in the log"
ok "walshipd is running" -- bg_alive d1
is "$(cat "$WS_TMP/d1.out")" "" "nothing on stdout"

note "SIGHUP with a changed log-level"
write_conf debug
ok "SIGHUP: 'configuration reloaded' is logged" -- \
	signal_and_wait d1 HUP "$log" 'configuration reloaded'
like "$(grep 'configuration reloaded' "$log" | tail -n 1)" "$(line_re "$pid" INFO)" \
	"... as an INFO line in the documented format"
ok "walshipd is still running" -- bg_alive d1

note "SIGHUP with an invalid configuration"
write_conf debug 'bogus-option = 1;'
ok "SIGHUP: an error line about keeping the previous configuration" -- \
	signal_and_wait d1 HUP "$log" 'keeping the previous configuration'
errline=$(grep 'keeping the previous configuration' "$log" | tail -n 1)
like "$errline" "$(line_re "$pid" ERROR)" "... is an ERROR line"
like "$errline" "$(re_escape "$cf"):8: unknown option \"bogus-option\"" "... naming file:line and the option"
sleep 0.5
ok "walshipd is still running" -- bg_alive d1

write_conf debug 'log-level = = "x";'
ok "SIGHUP with a syntax error: the previous configuration is kept" -- \
	signal_and_wait d1 HUP "$log" 'keeping the previous configuration'
like "$(grep 'keeping the previous configuration' "$log" | tail -n 1)" "$(re_escape "$cf"):8:" \
	"... naming file:line"
sleep 0.5
ok "walshipd is still running" -- bg_alive d1

write_conf info
ok "SIGHUP with the configuration fixed: reloaded again" -- \
	signal_and_wait d1 HUP "$log" 'configuration reloaded'
is "$(count "$log" 'configuration reloaded')" 2 "two successful reloads in all"

note "SIGTERM"
kill -TERM "$pid"
ok "walshipd exits within 5 s of SIGTERM" -- bg_wait d1 5
is "$RC" 0 "... with exit code 0"
ok "'shutting down' is logged" -- file_has "$log" "$(line_re "$pid").*shutting down"
is "$(grep -cvE "$(line_re "$pid")" "$log")" 0 "every log line has the documented format"

note "logging to stderr, SIGINT"
bg_start d2 "$WALSHIPD" --config "$cf"
pid2=$BG_PID
ok "a start line on stderr within 10 s" -- wait_for_log "$WS_TMP/d2.err" "$started" 10
like "$(cat "$WS_TMP/d2.err")" "$(line_re "$pid2").*$started" "... in the documented format"
kill -INT "$pid2"
ok "walshipd exits within 5 s of SIGINT" -- bg_wait d2 5
is "$RC" 0 "... with exit code 0"
like "$(cat "$WS_TMP/d2.err")" 'shutting down' "'shutting down' is logged"

note "a log-level given on the command line"
bg_start d3 "$WALSHIPD" --config "$cf" --log-level debug --log-file "$WS_TMP/d3.log"
ok "starts with --log-level debug --log-file" -- wait_for_log "$WS_TMP/d3.log" "$started" 10
kill -TERM "$BG_PID"
ok "and stops on SIGTERM" -- bg_wait d3 5
is "$RC" 0 "... with exit code 0"
