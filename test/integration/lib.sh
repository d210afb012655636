# shellcheck shell=bash
#
# lib.sh — shared harness for walship's integration tests (and contrib/demo.sh)
#
# Source it from a test script:
#
#     # shellcheck source-path=SCRIPTDIR source=lib.sh
#     . "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
#
# and see test/integration/README.md for the helpers.
#
# It gives the script one temporary root ($WS_TMP), PostgreSQL clusters on
# free loopback ports, TAP output and an EXIT trap that stops every cluster and
# background process the script started (by data directory or recorded pid,
# never by process name) and removes $WS_TMP, also when the script fails or is
# interrupted half-way.
#
# Environment:
#   WALSHIP, WALSHIPD   binaries under test (default $WS_TOP/build/src/walship,
#                       $WS_TOP/build/src/walshipd)
#   PG_BINDIR           PostgreSQL server binaries (default: newest
#                       /usr/lib/postgresql/*/bin)
#   WALSHIP_KEEP_TMP=1  keep the temporary root and print its path
#   WS_CMD_TIMEOUT      seconds before a walship command is killed (60)
#
# PostgreSQL refuses to run as root: when the script runs as root, every
# PostgreSQL binary runs as the user "postgres" through setpriv, which execs,
# so recorded pids are the real ones.
#
# Everything the harness defines starts with ws_/WS_ or is a PostgreSQL or TAP
# helper documented below; tests should not need anything else.

if [ -z "${BASH_VERSION:-}" ]; then
	echo "lib.sh needs bash" >&2
	exit 1
fi

set -u
set -o pipefail

WS_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
WS_SCRIPT=$(basename "$0")
WS_MAIN_PID=$BASHPID
WS_START_TIME=$(date +%s.%N)

# ---------------------------------------------------------------------------
# Environment: binaries, hermetic client settings
# ---------------------------------------------------------------------------

WALSHIP=${WALSHIP:-$WS_TOP/build/src/walship}
WALSHIPD=${WALSHIPD:-$WS_TOP/build/src/walshipd}
WS_KEEP_TMP=${WALSHIP_KEEP_TMP:-0}
WS_CMD_TIMEOUT=${WS_CMD_TIMEOUT:-60}
export -n WALSHIP WALSHIPD

if [ -z "${PG_BINDIR:-}" ]; then
	PG_BINDIR=/usr/lib/postgresql/15/bin
	if [ ! -x "$PG_BINDIR/postgres" ]; then
		# newest installed major version
		PG_BINDIR=$(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
	fi
fi
export -n PG_BINDIR

# The binaries read WALSHIP_* variables as options and libpq reads PG*: start
# from none of either so a developer's shell cannot change what a test sees.
for _ws_v in $(compgen -e); do
	case $_ws_v in
		WALSHIP_* | PG*) unset "$_ws_v" ;;
	esac
done
unset _ws_v
export LC_ALL=C
export TZ=UTC

WS_IS_ROOT=0
[ "$(id -u)" -eq 0 ] && WS_IS_ROOT=1

# ---------------------------------------------------------------------------
# TAP
# ---------------------------------------------------------------------------

WS_TEST_NO=0
WS_FAILED=0
WS_PLANNED=
WS_DIED=0

# Diagnostics go to stderr (as with Perl's Test::More) so that helpers used
# inside $(...) never mix them into a value; notes go to stdout.
diag() {
	local line
	while IFS= read -r line; do
		printf "# %s\n" "$line" >&2
	done <<<"$*"
}

note() {
	local line
	while IFS= read -r line; do
		printf '# %s\n' "$line"
	done <<<"$*"
}

# plan N — optional; without it the plan line is printed at exit
plan() {
	WS_PLANNED=$1
	echo "1..$1"
}

# Where in the test script the current assertion was called from.
_ws_caller() {
	local i
	for ((i = 1; i < ${#BASH_SOURCE[@]}; i++)); do
		if [ "${BASH_SOURCE[$i]}" != "${BASH_SOURCE[0]}" ]; then
			echo "${BASH_SOURCE[$i]##*/} line ${BASH_LINENO[$((i - 1))]}"
			return
		fi
	done
	echo "$WS_SCRIPT"
}

# _ws_result STATUS DESC — STATUS 0 is a pass
_ws_result() {
	local status=$1 desc=$2
	desc=${desc//$'\n'/ }
	desc=${desc//#/\\#}
	WS_TEST_NO=$((WS_TEST_NO + 1))
	if [ "$status" -eq 0 ]; then
		echo "ok $WS_TEST_NO - $desc"
		return 0
	fi
	echo "not ok $WS_TEST_NO - $desc"
	WS_FAILED=$((WS_FAILED + 1))
	diag "  Failed test '$desc'
  at $(_ws_caller)"
	return 1
}

pass() { _ws_result 0 "$1"; }
fail() { _ws_result 1 "$1"; }

# skip DESC REASON
skip() {
	WS_TEST_NO=$((WS_TEST_NO + 1))
	echo "ok $WS_TEST_NO - ${1//#/\\#} # skip ${2:-}"
}

# ok DESC -- CMD... : passes when CMD exits 0
ok() {
	local desc=$1
	shift
	if [ "${1:-}" != "--" ]; then
		die "ok: usage: ok DESC -- CMD..."
	fi
	shift
	"$@"
	_ws_result $? "$desc"
}

# is GOT EXPECTED DESC
is() {
	if [ "$1" == "$2" ]; then
		_ws_result 0 "$3"
	else
		_ws_result 1 "$3"
		diag "         got: '$1'
    expected: '$2'"
		return 1
	fi
}

# isnt GOT UNEXPECTED DESC
isnt() {
	if [ "$1" != "$2" ]; then
		_ws_result 0 "$3"
	else
		_ws_result 1 "$3"
		diag "         got: '$1'
    expected: anything else"
		return 1
	fi
}

# like TEXT REGEX DESC — some line of TEXT matches the extended REGEX
like() {
	if grep -Eq -e "$2" <<<"$1"; then
		_ws_result 0 "$3"
	else
		_ws_result 1 "$3"
		diag "    no line matches: /$2/
    in text:
$(printf '%s\n' "$1" | head -n 30 | sed 's/^/      /')"
		return 1
	fi
}

# unlike TEXT REGEX DESC — no line of TEXT matches the extended REGEX
unlike() {
	local hits
	if hits=$(printf '%s\n' "$1" | grep -E -e "$2"); then
		_ws_result 1 "$3"
		diag "    lines match /$2/:
$(printf '%s\n' "$hits" | head -n 10 | sed 's/^/      /')"
		return 1
	else
		_ws_result 0 "$3"
	fi
}

# cmp_ok GOT OP EXPECTED DESC — integer comparison, OP one of -eq -ne -lt -le -gt -ge
cmp_ok() {
	local holds=1
	if [[ $1 =~ ^-?[0-9]+$ && $3 =~ ^-?[0-9]+$ ]]; then
		case $2 in
			-eq) ((${1} == ${3})) && holds=0 ;;
			-ne) ((${1} != ${3})) && holds=0 ;;
			-lt) ((${1} < ${3})) && holds=0 ;;
			-le) ((${1} <= ${3})) && holds=0 ;;
			-gt) ((${1} > ${3})) && holds=0 ;;
			-ge) ((${1} >= ${3})) && holds=0 ;;
			*) die "cmp_ok: unknown operator '$2'" ;;
		esac
	fi
	if [ "$holds" -eq 0 ]; then
		_ws_result 0 "$4"
	else
		_ws_result 1 "$4"
		diag "    '$1' $2 '$3' is false"
		return 1
	fi
}

# re_escape STRING — STRING as an extended regular expression matching itself
re_escape() {
	printf '%s' "$1" | sed -e 's/[][\.*^$+?(){}|/]/\\&/g'
}

# die MSG — abort the script: reported as a failed test, cleanup runs. In a
# subshell ($(...)) it only ends the subshell with status 1.
die() {
	if [ "$BASHPID" != "$WS_MAIN_PID" ]; then
		diag "error at $(_ws_caller): $*"
		exit 1
	fi
	WS_DIED=1
	_ws_result 1 "died: $*"
	exit 1
}

# ---------------------------------------------------------------------------
# Running commands
# ---------------------------------------------------------------------------

# walship / walshipd as commands, bounded by a timeout (exit 124 when hit)
walship() {
	timeout -k 5 "$WS_CMD_TIMEOUT" "$WALSHIP" "$@"
}

# (walshipd runs until signalled: this form is for runs that should end by
# themselves, such as configuration errors; see bg_start for the daemon)
walshipd() {
	timeout -k 5 15 "$WALSHIPD" "$@"
}

# run_cmd CMD... — run with stdin from /dev/null; sets OUT, ERR (trailing
# newlines removed) and RC
OUT=
ERR=
RC=0
run_cmd() {
	local o="$WS_TMP/.run.out" e="$WS_TMP/.run.err"
	"$@" >"$o" 2>"$e" </dev/null
	RC=$?
	OUT=$(<"$o")
	ERR=$(<"$e")
	rm -f "$o" "$e"
	return 0
}

# run_walship ARGS... — walship ARGS, results in OUT, ERR, RC
run_walship() {
	run_cmd walship "$@"
}

# Print what the last run_cmd produced, as diagnostics.
show_run() {
	diag "exit code: $RC$([ "$RC" -eq 124 ] && echo ' (timed out)')"
	diag "stdout:
$(printf '%s\n' "$OUT" | head -n 40 | sed 's/^/  | /')"
	diag "stderr:
$(printf '%s\n' "$ERR" | head -n 40 | sed 's/^/  | /')"
}

# expect_exit CODE DESC -- CMD... — run CMD (OUT, ERR, RC set as by run_cmd)
# and pass when it exits with CODE
expect_exit() {
	local code=$1 desc=$2
	shift 2
	if [ "${1:-}" != "--" ]; then
		die "expect_exit: usage: expect_exit CODE DESC -- CMD..."
	fi
	shift
	run_cmd "$@"
	if [ "$RC" -eq "$code" ]; then
		_ws_result 0 "$desc"
	else
		_ws_result 1 "$desc"
		diag "expected exit code $code from: $*"
		show_run
		return 1
	fi
}

# error_line_like REGEX DESC — ERR (from the last run) is exactly one line,
# "walship: error: <message>", and matches REGEX
error_line_like() {
	local re=$1 desc=$2
	if [ -n "$ERR" ] && [[ $ERR != *$'\n'* ]] &&
		[[ $ERR == "walship: error: "* ]] &&
		grep -Eq -e "$re" <<<"$ERR"; then
		_ws_result 0 "$desc"
	else
		_ws_result 1 "$desc"
		diag "expected one line 'walship: error: ...' matching /$re/, got:
$(printf '%s\n' "$ERR" | head -n 20 | sed 's/^/  | /')"
		return 1
	fi
}

# require_walship, require_walshipd — stop the script unless the binary exists
require_walship() {
	[ -x "$WALSHIP" ] || die "walship binary not found at $WALSHIP (build it, or set WALSHIP)"
}

require_walshipd() {
	[ -x "$WALSHIPD" ] || die "walshipd binary not found at $WALSHIPD (build it, or set WALSHIPD)"
}

# wait_until TIMEOUT -- CMD... — poll CMD every 0.1 s until it succeeds;
# returns 1 after TIMEOUT seconds
wait_until() {
	local timeout=$1
	shift
	[ "${1:-}" = "--" ] && shift
	local deadline=$(($(date +%s) + timeout))
	while ! "$@"; do
		[ "$(date +%s)" -ge "$deadline" ] && return 1
		sleep 0.1
	done
	return 0
}

# file_has FILE REGEX — FILE exists and a line matches REGEX
file_has() {
	[ -f "$1" ] && grep -Eq -e "$2" "$1"
}

# wait_for_log FILE REGEX [TIMEOUT] — wait until a line of FILE matches
wait_for_log() {
	wait_until "${3:-10}" -- file_has "$1" "$2"
}

# ---------------------------------------------------------------------------
# Background processes
# ---------------------------------------------------------------------------

declare -A WS_BG_PID=()

# bg_start NAME CMD... — start an executable in the background with stdout in
# $WS_TMP/NAME.out and stderr in $WS_TMP/NAME.err; records its pid (also in
# BG_PID) so the EXIT trap can stop it. CMD must be an executable, not a shell
# function, so that the pid is the program's own.
BG_PID=
bg_start() {
	local name=$1
	shift
	"$@" >"$WS_TMP/$name.out" 2>"$WS_TMP/$name.err" </dev/null &
	BG_PID=$!
	WS_BG_PID[$name]=$BG_PID
}

bg_pid() { echo "${WS_BG_PID[$1]}"; }

bg_alive() { kill -0 "${WS_BG_PID[$1]}" 2>/dev/null; }

# bg_wait NAME TIMEOUT — wait for the process to exit; sets RC to its exit
# status (124 if it is still running after TIMEOUT seconds)
bg_wait() {
	local pid=${WS_BG_PID[$1]}
	if ! wait_until "$2" -- _ws_not_alive "$pid"; then
		RC=124
		return 1
	fi
	wait "$pid" 2>/dev/null # no "Killed" line for a process a test killed
	RC=$?
	unset "WS_BG_PID[$1]"
	return 0
}

_ws_not_alive() {
	# a finished child stays a zombie until waited for: check its state
	local stat
	{ read -r stat <"/proc/$1/stat"; } 2>/dev/null || return 0
	stat=${stat##*) }
	[[ $stat == Z* ]]
}

_ws_stop_bg() {
	local name pid i
	for name in "${!WS_BG_PID[@]}"; do
		pid=${WS_BG_PID[$name]}
		kill -0 "$pid" 2>/dev/null || continue
		kill -TERM "$pid" 2>/dev/null
		for ((i = 0; i < 50; i++)); do
			_ws_not_alive "$pid" && break
			sleep 0.1
		done
		if ! _ws_not_alive "$pid"; then
			diag "background process $name (pid $pid) ignored SIGTERM, killing it"
			kill -KILL "$pid" 2>/dev/null
		fi
		wait "$pid" 2>/dev/null
	done
}

# ---------------------------------------------------------------------------
# Temporary root and cleanup
# ---------------------------------------------------------------------------

WS_TMP=$(mktemp -d "${TMPDIR:-/tmp}/walship-it.XXXXXXXX") || {
	echo "could not create a temporary directory" >&2
	exit 1
}
chmod 755 "$WS_TMP"
if [ "$WS_IS_ROOT" -eq 1 ]; then
	# clusters, their sockets and logs live directly in $WS_TMP
	chown postgres:postgres "$WS_TMP" || {
		echo "could not chown $WS_TMP to postgres (is the user there?)" >&2
		rm -rf "$WS_TMP"
		exit 1
	}
	setpriv --reuid=postgres --regid=postgres --init-groups -- test -w "$WS_TMP" || {
		echo "user postgres cannot reach $WS_TMP: set TMPDIR to a directory it can enter (/tmp)" >&2
		rm -rf "$WS_TMP"
		exit 1
	}
fi
# libpq must not find a developer's password file
export PGPASSFILE="$WS_TMP/no-such-pgpass"

declare -a WS_PG_NAMES=()
declare -A WS_PG_PORT=() WS_PG_DATA=()

_ws_on_exit() {
	local rc=$? name i
	# only the script's own shell cleans up, never a subshell
	[ "$BASHPID" = "$WS_MAIN_PID" ] || return
	trap '' INT TERM

	_ws_stop_bg
	if [ "$WS_FAILED" -gt 0 ] || [ "$rc" -ne 0 ]; then
		for name in "${WS_PG_NAMES[@]}"; do
			pg_log_tail "$name" 15
		done
	fi
	for ((i = ${#WS_PG_NAMES[@]} - 1; i >= 0; i--)); do
		_ws_pg_kill "${WS_PG_NAMES[$i]}"
	done

	if [ "$WS_KEEP_TMP" = 1 ]; then
		echo "# kept temporary directory $WS_TMP"
	else
		case $WS_TMP in
			*/walship-it.*) rm -rf "$WS_TMP" ;;
		esac
	fi

	if [ "$rc" -ne 0 ] && [ "$WS_FAILED" -eq 0 ] && [ "$WS_DIED" -eq 0 ]; then
		WS_TEST_NO=$((WS_TEST_NO + 1))
		WS_FAILED=$((WS_FAILED + 1))
		echo "not ok $WS_TEST_NO - $WS_SCRIPT exited with status $rc"
	fi
	if [ -z "$WS_PLANNED" ]; then
		[ "$WS_TEST_NO" -gt 0 ] && echo "1..$WS_TEST_NO"
	elif [ "$WS_PLANNED" -ne "$WS_TEST_NO" ]; then
		diag "planned $WS_PLANNED tests but ran $WS_TEST_NO"
		[ "$rc" -eq 0 ] && rc=255
	fi
	if [ "$WS_FAILED" -gt 0 ]; then
		diag "$WS_SCRIPT: $WS_FAILED of $WS_TEST_NO tests failed"
		[ "$WS_KEEP_TMP" = 1 ] || diag "(set WALSHIP_KEEP_TMP=1 to keep the temporary directory)"
		[ "$rc" -eq 0 ] && rc=1
	fi
	[ "$WS_TEST_NO" -gt 0 ] && note "elapsed: $(awk -v s="$WS_START_TIME" -v e="$(date +%s.%N)" \
		'BEGIN { printf "%.1f", e - s }') s"
	exit "$rc"
}

trap _ws_on_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------------------
# Ports
# ---------------------------------------------------------------------------

_ws_port_listening() {
	(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# free_port — print a loopback port in 20000-31999 that nobody listens on.
# Ports handed out are recorded in $WS_TMP/.ports (so this also works in
# $(...)) and never handed out twice in one script.
free_port() {
	# below the kernel's ephemeral range (32768 and up by default): a port
	# found free there can still be taken by any outgoing connection
	# before the server binds it
	local span=12000 start p i
	start=$(((RANDOM * 32768 + RANDOM + BASHPID) % span))
	for ((i = 0; i < span; i++)); do
		p=$((20000 + (start + i) % span))
		grep -qx "$p" "$WS_TMP/.ports" 2>/dev/null && continue
		_ws_port_listening "$p" && continue
		echo "$p" >>"$WS_TMP/.ports"
		echo "$p"
		return 0
	done
	die "no free port in 20000-31999"
}

# ---------------------------------------------------------------------------
# PostgreSQL
# ---------------------------------------------------------------------------

# as_pg CMD... — run a PostgreSQL binary as the cluster owner, from $WS_TMP
as_pg() {
	if [ "$WS_IS_ROOT" -eq 1 ]; then
		(cd "$WS_TMP" && exec setpriv --reuid=postgres --regid=postgres --init-groups -- "$@")
	else
		(cd "$WS_TMP" && exec "$@")
	fi
}

_ws_pg_known() {
	[ -n "${WS_PG_DATA[$1]:-}" ] || die "no cluster named '$1'"
}

pg_port() { _ws_pg_known "$1" && echo "${WS_PG_PORT[$1]}"; }
pg_datadir() { _ws_pg_known "$1" && echo "${WS_PG_DATA[$1]}"; }
pg_logfile() { echo "$WS_TMP/$1.log"; }
pg_conninfo() {
	_ws_pg_known "$1" && echo "host=127.0.0.1 port=${WS_PG_PORT[$1]} user=postgres dbname=postgres"
}

# pg_postmaster_pid NAME — pid of the running postmaster (fails if none)
pg_postmaster_pid() {
	local f
	f="$(pg_datadir "$1")/postmaster.pid"
	[ -f "$f" ] && head -n 1 "$f"
}

# pg_log_tail NAME [LINES] — the end of the cluster's server log, as diagnostics
pg_log_tail() {
	local log
	log=$(pg_logfile "$1")
	[ -s "$log" ] || return 0
	diag "--- last ${2:-20} lines of $log ---
$(tail -n "${2:-20}" "$log")"
}

# pg_conf NAME LINE... — append lines to the cluster's postgresql.conf
pg_conf() {
	local name=$1 conf
	shift
	conf="$(pg_datadir "$name")/postgresql.conf"
	printf '%s\n' "$@" >>"$conf"
}

# pg_hba_prepend NAME LINE... — put lines at the top of pg_hba.conf (they win
# over initdb's trust lines); keeps the file's owner. Reload to apply.
pg_hba_prepend() {
	local name=$1 hba tmp
	shift
	hba="$(pg_datadir "$name")/pg_hba.conf"
	tmp=$(mktemp "$WS_TMP/.hba.XXXXXX")
	{
		printf '%s\n' "$@"
		cat "$hba"
	} >"$tmp" && cat "$tmp" >"$hba"
	rm -f "$tmp"
}

_ws_pg_register() {
	WS_PG_NAMES+=("$1")
	WS_PG_DATA[$1]=$2
	WS_PG_PORT[$1]=$3
}

# pg_start NAME — start and wait until it accepts connections
pg_start() {
	local name=$1 out
	_ws_pg_known "$name"
	out=$(as_pg "$PG_BINDIR/pg_ctl" -D "${WS_PG_DATA[$name]}" -l "$(pg_logfile "$name")" \
		-w -t 60 start 2>&1) && return 0
	diag "pg_ctl start of $name failed:
$out"
	pg_log_tail "$name" 30
	return 1
}

# pg_stop NAME [MODE] — stop (fast by default) and wait
pg_stop() {
	local name=$1 mode=${2:-fast} out
	_ws_pg_known "$name"
	out=$(as_pg "$PG_BINDIR/pg_ctl" -D "${WS_PG_DATA[$name]}" -m "$mode" -w -t 60 stop 2>&1) &&
		return 0
	diag "pg_ctl stop of $name failed:
$out"
	pg_log_tail "$name" 30
	return 1
}

pg_restart() {
	pg_stop "$1" && pg_start "$1"
}

# pg_reload NAME — reload postgresql.conf and pg_hba.conf
pg_reload() {
	pg_sql "$1" "SELECT pg_reload_conf()" >/dev/null
}

# pg_promote NAME — promote a standby and wait until it is a primary
pg_promote() {
	local name=$1 out
	out=$(as_pg "$PG_BINDIR/pg_ctl" -D "$(pg_datadir "$name")" -w -t 60 promote 2>&1) || {
		diag "pg_ctl promote of $name failed:
$out"
		pg_log_tail "$name" 30
		return 1
	}
	pg_wait_for "$name" "SELECT pg_is_in_recovery()" f 30
}

# Stop a cluster at exit, whatever state it is in.
_ws_pg_kill() {
	local name=$1 dir pid
	dir=${WS_PG_DATA[$name]}
	[ -f "$dir/postmaster.pid" ] || return 0
	pid=$(head -n 1 "$dir/postmaster.pid")
	# only signal the pid if it still is this cluster's postmaster
	if [[ $pid =~ ^[0-9]+$ ]] && grep -qF -- "$dir" <<<"$(tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline")"; then
		kill -CONT "$pid" 2>/dev/null # in case a test stopped it
	else
		return 0
	fi
	if ! as_pg "$PG_BINDIR/pg_ctl" -D "$dir" -m immediate -w -t 30 stop >/dev/null 2>&1; then
		diag "pg_ctl could not stop $name, killing postmaster $pid"
		kill -KILL "$pid" 2>/dev/null
	fi
}

# pg_create_primary NAME [CONF_LINE...] — initdb, configure and start a
# cluster; CONF_LINEs are appended to postgresql.conf after the defaults
pg_create_primary() {
	local name=$1 dir port
	shift
	[[ $name =~ ^[a-z][a-z0-9_]*$ ]] || die "bad cluster name '$name'"
	[ -z "${WS_PG_DATA[$name]:-}" ] || die "cluster '$name' exists already"
	[ -x "$PG_BINDIR/initdb" ] || die "PostgreSQL not found in '$PG_BINDIR' (set PG_BINDIR)"
	dir=$WS_TMP/$name
	as_pg "$PG_BINDIR/initdb" -D "$dir" -A trust -U postgres --no-sync --no-locale -E UTF8 \
		>"$WS_TMP/$name.initdb.log" 2>&1 ||
		die "initdb of $name failed: $(tail -n 5 "$WS_TMP/$name.initdb.log")"
	port=$(free_port) || die "no free port"
	_ws_pg_register "$name" "$dir" "$port"
	cat >>"$dir/postgresql.conf" <<-EOF

		# --- walship test harness ---
		listen_addresses = '127.0.0.1'
		unix_socket_directories = '$WS_TMP'
		wal_level = replica
		max_wal_senders = 10
		max_replication_slots = 10
		hot_standby = on
		fsync = off
		log_line_prefix = '%m [%p] %q%a '
		log_connections = on
	EOF
	if [ $# -gt 0 ]; then
		printf '%s\n' "# --- test specific ---" "$@" >>"$dir/postgresql.conf"
	fi
	# A port can be taken between probing and binding: try another one.
	for _ in 1 2 3; do
		echo "port = $port" >>"$dir/postgresql.conf"
		pg_start "$name" && return 0
		grep -q "could not bind\|Address already in use" "$(pg_logfile "$name")" || break
		port=$(free_port) || die "no free port"
		WS_PG_PORT[$name]=$port
	done
	die "could not start cluster $name"
}

# pg_create_standby NAME PRIMARY [CONF_LINE...] — streaming standby made by
# pg_basebackup; returns once the primary reports it streaming
pg_create_standby() {
	local name=$1 primary=$2 dir port out
	shift 2
	[[ $name =~ ^[a-z][a-z0-9_]*$ ]] || die "bad cluster name '$name'"
	[ -z "${WS_PG_DATA[$name]:-}" ] || die "cluster '$name' exists already"
	_ws_pg_known "$primary"
	dir=$WS_TMP/$name
	out=$(as_pg "$PG_BINDIR/pg_basebackup" -D "$dir" -R -X stream -c fast --no-sync \
		-d "host=127.0.0.1 port=${WS_PG_PORT[$primary]} user=postgres application_name=$name" 2>&1) || {
		pg_log_tail "$primary" 20
		die "pg_basebackup for $name failed: $out"
	}
	port=$(free_port) || die "no free port"
	_ws_pg_register "$name" "$dir" "$port"
	{
		echo "# --- walship test harness: standby of $primary ---"
		[ $# -gt 0 ] && printf '%s\n' "$@"
		echo "port = $port"
	} >>"$dir/postgresql.conf"
	pg_start "$name" || die "could not start standby $name"
	pg_wait_for "$primary" \
		"SELECT count(*) FROM pg_stat_replication WHERE application_name = '$name' AND state = 'streaming'" \
		1 30 || die "standby $name is not streaming from $primary"
}

# pg_sql NAME SQL — run SQL through the cluster's Unix socket as postgres,
# print unaligned tuples-only output; on error print it and the log tail
pg_sql() {
	local name=$1 sql=$2 errf rc
	_ws_pg_known "$name"
	errf=$(mktemp "$WS_TMP/.psql-err.XXXXXX")
	as_pg env PGCONNECT_TIMEOUT=10 timeout -k 5 120 "$PG_BINDIR/psql" -XAtq -v ON_ERROR_STOP=1 -h "$WS_TMP" -p "${WS_PG_PORT[$name]}" \
		-U postgres -d postgres -c "$sql" 2>"$errf"
	rc=$?
	if [ "$rc" -ne 0 ]; then
		diag "psql on $name failed ($rc): $sql
$(cat "$errf")"
		pg_log_tail "$name" 10
	fi
	rm -f "$errf"
	return "$rc"
}

# pg_wait_for NAME SQL EXPECTED [TIMEOUT] — poll until SQL returns EXPECTED
pg_wait_for() {
	local name=$1 sql=$2 expected=$3 timeout=${4:-30} got deadline
	deadline=$(($(date +%s) + timeout))
	while :; do
		got=$(pg_sql "$name" "$sql" 2>/dev/null)
		[ "$got" == "$expected" ] && return 0
		[ "$(date +%s)" -ge "$deadline" ] && break
		sleep 0.2
	done
	diag "timed out after ${timeout}s waiting on $name for: $sql
  expected '$expected', last got '$got'"
	pg_log_tail "$name" 20
	return 1
}

# ---------------------------------------------------------------------------
# JSON, checked and taken apart by PostgreSQL (no jq needed)
# ---------------------------------------------------------------------------

# json_sql NAME JSON EXPR — evaluate EXPR with the document bound to "j"
# (jsonb) on cluster NAME, e.g. json_sql p "$OUT" "j->>'role'"; a query goes
# in parentheses: "(SELECT count(*) FROM jsonb_array_elements(j->'checks') c)"
json_sql() {
	local name=$1 doc=$2 expr=$3
	# shellcheck disable=SC2016 # the literal tag
	if [[ $doc == *'$wsjson$'* ]]; then
		diag "json_sql: document contains the quote tag"
		return 1
	fi
	pg_sql "$name" "SELECT $expr FROM (SELECT \$wsjson\$${doc}\$wsjson\$::jsonb AS j) AS d"
}

# json_get NAME JSON KEY... — value at the path, as text ('' for null/missing)
json_get() {
	local name=$1 doc=$2 path
	shift 2
	path=$(
		IFS=,
		echo "$*"
	)
	json_sql "$name" "$doc" "j #>> '{$path}'"
}

# json_type NAME JSON KEY... — jsonb_typeof of the value at the path
json_type() {
	local name=$1 doc=$2 path
	shift 2
	path=$(
		IFS=,
		echo "$*"
	)
	json_sql "$name" "$doc" "coalesce(jsonb_typeof(j #> '{$path}'), 'missing')"
}

# json_valid NAME JSON — the text is exactly one JSON object
json_valid() {
	[ "$(json_sql "$1" "$2" "jsonb_typeof(j)" 2>/dev/null)" = object ]
}

# ---------------------------------------------------------------------------
# Archiving: walship as PostgreSQL's archive_command / restore_command
# ---------------------------------------------------------------------------

# walship_pg_bin — print the path of a copy of $WALSHIP in $WS_TMP/bin, for
# archive_command and restore_command: the user postgres can execute it
# wherever the build is, and a rebuild during the test does not swap the
# binary under a running cluster (set WALSHIP=$(walship_pg_bin) to use the
# copy everywhere)
walship_pg_bin() {
	if [ ! -x "$WS_TMP/bin/walship" ]; then
		{ mkdir -p "$WS_TMP/bin" && cp "$WALSHIP" "$WS_TMP/bin/walship" &&
			chmod 755 "$WS_TMP/bin" "$WS_TMP/bin/walship"; } || die "could not copy $WALSHIP to $WS_TMP/bin"
	fi
	echo "$WS_TMP/bin/walship"
}

# walship_as_pg ARGS... — walship ARGS run as postgres from $WS_TMP (as the
# archiver would; files it creates in a repository belong to postgres)
# flip_byte FILE OFFSET — invert the bits of one byte in place (owner and mode kept)
flip_byte() {
	local b
	b=$(od -An -tu1 -j "$2" -N1 "$1" | tr -d ' ')
	[ -n "$b" ] || die "no byte at $2 in $1"
	# shellcheck disable=SC2059 # the format is the escaped byte
	printf "$(printf '\\%03o' $((b ^ 255)))" | dd of="$1" bs=1 seek="$2" count=1 conv=notrunc status=none
}

walship_as_pg() {
	as_pg timeout -k 5 "$WS_CMD_TIMEOUT" "$(walship_pg_bin)" "$@"
}

# pg_create_restored NAME BACKUP_DIR [CONF_LINE...] — a cluster in archive
# recovery from a copy of a base backup (pg_basebackup -D BACKUP_DIR): copies
# it to $WS_TMP/NAME, adds recovery.signal, the CONF_LINEs (restore_command,
# archive_mode = off, ...) and a free port, and starts it; returns once it
# accepts connections (wait for pg_is_in_recovery() = f for the end of recovery)
# walship_archiving_primary [CONF_LINE...] — the cluster "primary" archiving
# through walship into the posix repository $WS_TMP/repo, with stanza "main"
# created; its configuration is $WS_TMP/ws.conf, the lines given appended.
# Sets bin (walship as postgres runs it), repo, conninfo and port.
walship_archiving_primary() {
	bin=$(walship_pg_bin) || die "no walship binary for postgres"
	WALSHIP=$bin
	repo=$WS_TMP/repo
	{ mkdir -p "$repo" && chown postgres:postgres "$repo"; } || die "no repo"
	pg_create_primary primary "archive_mode = on" "archive_command = ''"
	conninfo=$(pg_conninfo primary)
	port=$(pg_port primary)
	{
		echo 'stanza = "main";'
		echo "pg-conninfo = \"$conninfo\";"
		echo "repo-path = \"$repo\";"
		[ $# -gt 0 ] && printf '%s\n' "$@"
		echo 'log-level = "warn";'
	} >"$WS_TMP/ws.conf"
	chmod 644 "$WS_TMP/ws.conf"
	expect_exit 0 "stanza-create" -- walship_as_pg --config "$WS_TMP/ws.conf" stanza-create
	pg_conf primary "archive_command = '$bin --config $WS_TMP/ws.conf archive-push %p'"
	pg_reload primary || die "reload failed"
}

# compare_stored CONF PG_WAL GLOB LAST — archive-get (with CONF) every
# segment of directory PG_WAL matching GLOB, up to and including LAST, and
# compare it with PG_WAL's file. Sets COMPARED (how many) and MISMATCHED
# (the names that differ or could not be fetched, space-separated).
compare_stored() {
	local conf=$1 dir=$2 glob=$3 last=$4 f seg tmp=$WS_TMP/.compare
	COMPARED=0
	MISMATCHED=
	mkdir -p "$tmp" && chown postgres:postgres "$tmp"
	for f in "$dir"/$glob; do
		seg=${f##*/}
		[[ $seg =~ ^[0-9A-F]{24}$ ]] && ! [[ $seg > $last ]] || continue
		COMPARED=$((COMPARED + 1))
		rm -f "$tmp/seg"
		walship_as_pg --config "$conf" archive-get "$seg" "$tmp/seg" >/dev/null 2>&1 &&
			cmp -s "$tmp/seg" "$f" || MISMATCHED+="${MISMATCHED:+ }$seg"
	done
}

# pgbench_init NAME SCALE — pgbench's tables at SCALE in cluster NAME
pgbench_init() {
	local out
	out=$(as_pg "$PG_BINDIR/pgbench" -i -s "$2" -q -h "$WS_TMP" -p "$(pg_port "$1")" -U postgres \
		postgres 2>&1) || die "pgbench -i failed: $out"
}

# pg_adopt NAME DIR [SETTING...] — start a data directory another tool wrote
# (walship restore) as cluster NAME on a fresh port; the settings are
# appended to its postgresql.conf (e.g. archive_mode = off, so a restored
# cluster does not archive into the repository it came from)
pg_adopt() {
	local name=$1 dir=$2 port
	shift 2
	[[ $name =~ ^[a-z][a-z0-9_]*$ ]] || die "bad cluster name '$name'"
	[ -z "${WS_PG_DATA[$name]:-}" ] || die "cluster '$name' exists already"
	[ -f "$dir/PG_VERSION" ] || die "no data directory in $dir"
	port=$(free_port) || die "no free port"
	_ws_pg_register "$name" "$dir" "$port"
	{
		echo "# --- walship test harness: adopted ---"
		[ $# -gt 0 ] && printf '%s\n' "$@"
		echo "port = $port"
	} | as_pg tee -a "$dir/postgresql.conf" >/dev/null
	pg_start "$name"
}
pg_create_restored() {
	local name=$1 backup=$2 dir port
	shift 2
	[[ $name =~ ^[a-z][a-z0-9_]*$ ]] || die "bad cluster name '$name'"
	[ -z "${WS_PG_DATA[$name]:-}" ] || die "cluster '$name' exists already"
	[ -f "$backup/PG_VERSION" ] || die "no base backup in $backup"
	dir=$WS_TMP/$name
	as_pg cp -a "$backup" "$dir" || die "could not copy $backup to $dir"
	as_pg rm -f "$dir/postmaster.pid" "$dir/standby.signal"
	as_pg touch "$dir/recovery.signal" || die "could not create $dir/recovery.signal"
	port=$(free_port) || die "no free port"
	_ws_pg_register "$name" "$dir" "$port"
	{
		echo "# --- walship test harness: restored from $backup ---"
		[ $# -gt 0 ] && printf '%s\n' "$@"
		echo "port = $port"
	} >>"$dir/postgresql.conf"
	pg_start "$name" || die "could not start restored cluster $name"
}

# ---------------------------------------------------------------------------
# Detached walship processes (archive-async workers, archive-get prefetch)
# ---------------------------------------------------------------------------

# walship_detached_pids — pids of every process running the copy of walship
# in $WS_TMP/bin (see walship_pg_bin): the workers archive-push and
# archive-get leave running in the background, and any walship command
# PostgreSQL runs at the moment. Nothing outside this script runs that copy.
walship_detached_pids() {
	local p exe
	for p in /proc/[0-9]*; do
		exe=$(readlink "$p/exe" 2>/dev/null) || continue
		exe=${exe% (deleted)}
		[ "$exe" = "$WS_TMP/bin/walship" ] && echo "${p#/proc/}"
	done
	return 0
}

_ws_no_detached() {
	[ -z "$(walship_detached_pids)" ]
}

# walship_wait_detached TIMEOUT — wait until no process runs the copy of
# walship (the workers exit by themselves once idle); fails after TIMEOUT
walship_wait_detached() {
	wait_until "$1" -- _ws_no_detached
}

# walship_stop_detached — SIGTERM (then SIGKILL) every process running the
# copy of walship, by pid
walship_stop_detached() {
	local pids pid i
	pids=$(walship_detached_pids)
	[ -n "$pids" ] || return 0
	for pid in $pids; do
		kill -TERM "$pid" 2>/dev/null
	done
	for ((i = 0; i < 50; i++)); do
		_ws_no_detached && return 0
		sleep 0.1
	done
	for pid in $(walship_detached_pids); do
		kill -KILL "$pid" 2>/dev/null
	done
	return 0
}

# walship_detached_cleanup_at_exit — from now on the EXIT trap first stops
# the clusters (so that their archivers start no more walship), then every
# detached walship process, then cleans up as usual: a worker still writing
# into $WS_TMP must not recreate directories there after it is removed
walship_detached_cleanup_at_exit() {
	trap _ws_on_exit_detached EXIT
}

_ws_on_exit_detached() {
	local rc=$? i
	if [ "$BASHPID" = "$WS_MAIN_PID" ]; then
		for ((i = ${#WS_PG_NAMES[@]} - 1; i >= 0; i--)); do
			_ws_pg_kill "${WS_PG_NAMES[$i]}"
		done
		walship_stop_detached
	fi
	(exit "$rc")
	_ws_on_exit
}
