#!/bin/bash
#
# demo.sh — walship on a throwaway primary and standby
#
#     contrib/demo.sh            (after building: build/src/walship)
#
# Starts a PostgreSQL primary that archives its WAL with walship into a local
# repository, and a streaming standby, on 127.0.0.1 under a temporary
# directory; runs `walship check` (which proves archiving end to end) and
# `walship info`, restores a cluster from a base backup and the archive,
# stops the primary to show what a failed connection looks like, and
# removes everything again.
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

# The repository and configuration live in the temporary directory; the
# archiver runs walship as the user postgres.
walship_bin=$(walship_pg_bin)
repo=$WS_TMP/repo
conf=$WS_TMP/walship.conf
as_pg mkdir -p "$repo"

section "A primary on 127.0.0.1 that archives WAL with walship (PostgreSQL from $PG_BINDIR)"
pg_create_primary primary "archive_mode = on" \
	"archive_command = '$walship_bin --config $conf archive-push %p'"
cat >"$conf" <<EOF_CONF
# walship demo configuration
stanza = "demo";
pg-conninfo = "$(pg_conninfo primary)";
repo-path = "$repo";
compress-type = "zstd";
EOF_CONF
chmod 644 "$conf"
echo "data directory:  $(pg_datadir primary)"
echo "archive_command: $(pg_sql primary "SHOW archive_command")"
echo "configuration:"
sed 's/^/    /' "$conf"

section "walship stanza-create: the repository records the cluster"
show walship_as_pg --config "$conf" stanza-create

section "A streaming standby, made with pg_basebackup"
pg_create_standby standby primary
echo "data directory: $(pg_datadir standby)"
echo "conninfo:       $(pg_conninfo standby)"
echo "primary's view: $(pg_sql primary "SELECT application_name || ' ' || state FROM pg_stat_replication")"

section "Some writes on the primary (pgbench -i -s 5)"
as_pg "$PG_BINDIR/pgbench" -h 127.0.0.1 -p "$(pg_port primary)" -U postgres -i -s 5 -q postgres 2>&1 | tail -1
pg_sql primary "SELECT pg_switch_wal()" >/dev/null

section "walship check on the primary: settings, and a WAL switch that must reach the repository"
show "$WALSHIP" check --config "$conf"

section "walship info: what the repository holds"
show "$WALSHIP" info --config "$conf"

section "walship check on the standby"
show "$WALSHIP" check --config "$conf" --pg-conninfo "$(pg_conninfo standby)"

section "walship check --json on the standby"
show "$WALSHIP" check --config "$conf" --pg-conninfo "$(pg_conninfo standby)" --json

section "A cluster restored from a base backup and the archive (restore_command = walship archive-get)"
backup=$WS_TMP/base
as_pg "$PG_BINDIR/pg_basebackup" -h 127.0.0.1 -p "$(pg_port primary)" -U postgres -D "$backup" -X none -c fast 2>&1 | grep -v NOTICE
pg_sql primary "CREATE TABLE after_backup AS SELECT 42 AS answer" >/dev/null
pg_sql primary "SELECT pg_switch_wal()" >/dev/null
"$WALSHIP" check --config "$conf" >/dev/null 2>&1  # waits until the switched segment is archived
pg_create_restored restored "$backup" "restore_command = '$walship_bin --config $conf archive-get %f %p'" "archive_mode = off"
pg_wait_for restored "SELECT pg_is_in_recovery()" f 60 || die "recovery did not finish"
echo "restored cluster: after_backup.answer = $(pg_sql restored "SELECT answer FROM after_backup")," \
	"pgbench_accounts rows = $(pg_sql restored "SELECT count(*) FROM pgbench_accounts")"
grep -c "restored log file" "$(pg_logfile restored)" 2>/dev/null | sed 's/^/WAL files restored from the repository: /'

section "The primary is stopped: walship check cannot connect"
pg_stop primary fast
show "$WALSHIP" check --config "$conf" --pg-conninfo "$(pg_conninfo primary)"
echo
echo "exit code 3 means: could not connect to PostgreSQL; the error is one line on stderr"

section "Cleaning up"
echo "the EXIT trap stops the standby and removes $WS_TMP"
