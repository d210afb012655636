#!/bin/bash
#
# demo.sh — walship check on a throwaway primary and standby
#
#     contrib/demo.sh            (after building: build/src/walship)
#
# Starts a PostgreSQL primary and a streaming standby on 127.0.0.1 under a
# temporary directory, runs `walship check` against both, stops the primary
# to show what a failed connection looks like, and removes everything again.
# Runs as root too (PostgreSQL then runs as the user "postgres").
# WALSHIP=/path/to/walship picks another binary; WALSHIP_KEEP_TMP=1 keeps the
# temporary directory.
#
# shellcheck source-path=SCRIPTDIR source=../test/integration/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../test/integration/lib.sh"

if [ ! -x "$WALSHIP" ]; then
	echo "demo.sh: walship not found at $WALSHIP; build it first (or set WALSHIP)" >&2
	exit 1
fi

step=0
section() {
	step=$((step + 1))
	printf '\n==== %d. %s\n\n' "$step" "$*"
}

# print_cmd CMD... — echo a command line, quoting arguments with spaces
print_cmd() {
	local a line=\$
	for a in "$@"; do
		case $a in
			"$WALSHIP") a=${WALSHIP#"$WS_TOP"/} ;;
			*[[:space:]]*) a="'$a'" ;;
		esac
		line+=" $a"
	done
	echo "$line"
}

# show CMD... — print the command, run it (stderr in line with stdout), print
# its exit code
show() {
	local rc
	print_cmd "$@"
	"$@" 2>&1
	rc=$?
	printf '(exit code %d)\n' "$rc"
	return "$rc"
}

section "A primary on 127.0.0.1 (PostgreSQL from $PG_BINDIR)"
pg_create_primary primary
echo "data directory: $(pg_datadir primary)"
echo "conninfo:       $(pg_conninfo primary)"

section "A streaming standby, made with pg_basebackup"
pg_create_standby standby primary
echo "data directory: $(pg_datadir standby)"
echo "conninfo:       $(pg_conninfo standby)"
echo "primary's view: $(pg_sql primary "SELECT application_name || ' ' || state FROM pg_stat_replication")"

# Keep /etc/walship/walship.conf out of the demo.
conf=$WS_TMP/walship.conf
echo "# walship demo: everything is given on the command line" >"$conf"

section "walship check on the primary"
show "$WALSHIP" check --config "$conf" --pg-conninfo "$(pg_conninfo primary)"

section "walship check on the standby"
show "$WALSHIP" check --config "$conf" --pg-conninfo "$(pg_conninfo standby)"

section "walship check --json on the standby"
show "$WALSHIP" check --config "$conf" --pg-conninfo "$(pg_conninfo standby)" --json

section "The primary is stopped: walship check cannot connect"
pg_stop primary fast
show "$WALSHIP" check --config "$conf" --pg-conninfo "$(pg_conninfo primary)"
echo
echo "exit code 3 means: could not connect to PostgreSQL; the error is one line on stderr"

section "Cleaning up"
echo "the EXIT trap stops the standby and removes $WS_TMP"
