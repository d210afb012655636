#!/bin/bash
#
# demo.sh — walship on a throwaway primary and standby
#
#     contrib/demo.sh            (after building: build/src/walship)
#
# Starts a PostgreSQL primary that archives its WAL with walship into a local
# repository, on 127.0.0.1 under a temporary directory; takes a base backup
# with `walship backup`, builds a streaming standby from it with
# `walship standby clone`, runs `walship check` (which proves archiving end
# to end) and `walship info`, restores the cluster to a point in time with
# `walship restore`, checks the repository with `walship verify`, stops the
# primary to show what a failed connection looks like, and removes
# everything again.
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

section "Some writes on the primary (pgbench -i -s 5)"
as_pg "$PG_BINDIR/pgbench" -h 127.0.0.1 -p "$(pg_port primary)" -U postgres -i -s 5 -q postgres 2>&1 | tail -1

section "walship backup: a base backup into the repository, files compressed and checksummed"
show walship_as_pg --config "$conf" backup --checkpoint fast

section "walship standby clone: a hot standby from that backup, with a replication slot"
show walship_as_pg --config "$conf" standby clone --from repo --pgdata "$WS_TMP/standby" \
	--slot standby1 --create-slot --application-name standby1
pg_adopt standby "$WS_TMP/standby" >/dev/null || die "the standby did not start"
pg_wait_for primary "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'" 1 30 ||
	die "the standby does not stream"
echo "primary's view: $(pg_sql primary "SELECT application_name || ' ' || state || ', slot ' ||
	(SELECT slot_name || CASE WHEN active THEN ' active' ELSE '' END FROM pg_replication_slots)
	FROM pg_stat_replication")"

section "walship check on the primary: settings, and a WAL switch that must reach the repository"
show "$WALSHIP" check --config "$conf"

section "walship check on the standby"
show "$WALSHIP" check --config "$conf" --pg-conninfo "$(pg_conninfo standby)"

section "walship receive --synchronous: WAL streamed from a replication slot into the repository"
print_cmd walship receive --synchronous --create-slot "&"
setpriv --reuid=postgres --regid=postgres --clear-groups -- \
	"$walship_bin" --config "$conf" receive --synchronous --create-slot >"$WS_TMP/receive.log" 2>&1 &
receiver=$!
pg_wait_for primary "SELECT count(*) FROM pg_stat_replication WHERE application_name = 'walship'" 1 30 ||
	die "the receiver does not stream"
sed 's/^/    /' "$WS_TMP/receive.log"

section "walshipd in semi-sync mode: one caught-up standby confirms each commit"
print_cmd walshipd --replication-mode=semi-sync --sync-timeout=2 "&"
"$WALSHIPD" --config "$conf" --replication-mode=semi-sync --sync-timeout=2 >"$WS_TMP/walshipd.log" 2>&1 &
daemon=$!
sync_named() {
	[ -n "$(pg_sql primary "SHOW synchronous_standby_names")" ]
}
wait_until 20 -- sync_named || die "walshipd named no synchronous standby"
show "$WALSHIP" mode show --config "$conf" --replication-mode=semi-sync

section "walship status: every node's role, LSNs, lag, slots and archiving"
show "$WALSHIP" status --config "$conf" --replication-mode=semi-sync

section "The synchronous standby goes away: within sync-timeout the role moves on"
holder=$(pg_sql primary "SHOW synchronous_standby_names")
if [ "$holder" = '"standby1"' ]; then
	pg_stop standby fast
else
	kill -TERM "$receiver"
	wait "$receiver"
fi
t0=$EPOCHREALTIME
pg_sql primary "INSERT INTO notes_demo SELECT 1" >/dev/null 2>&1 || pg_sql primary "CREATE TABLE notes_demo AS SELECT 1 AS i" >/dev/null
echo "a commit took $(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }') s (sync-timeout 2 s)"
echo "synchronous_standby_names: $holder -> $(pg_sql primary "SHOW synchronous_standby_names")"
grep "replication-mode" "$WS_TMP/walshipd.log" | sed 's/^/    /'
kill -TERM "$daemon" "$receiver" 2>/dev/null
wait "$daemon" "$receiver" 2>/dev/null
pg_sql primary "ALTER SYSTEM RESET synchronous_standby_names" >/dev/null
pg_sql primary "SELECT pg_reload_conf()" >/dev/null
[ "$holder" = '"standby1"' ] && { pg_start standby || die "the standby did not restart"; }

section "Point-in-time recovery: walship restore --target-time, between two writes"
pg_sql primary "CREATE TABLE notes (id int, note text); INSERT INTO notes VALUES (1, 'kept')" >/dev/null
sleep 1.1
target=$(pg_sql primary "SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') || '+00'")
sleep 1.1
pg_sql primary "INSERT INTO notes VALUES (2, 'after the target')" >/dev/null
"$WALSHIP" check --config "$conf" >/dev/null 2>&1  # switches WAL and waits until it is archived
show walship_as_pg --config "$conf" restore --pgdata "$WS_TMP/pitr" --target-time "$target" \
	--target-action promote
pg_adopt pitr "$WS_TMP/pitr" "archive_mode = off" >/dev/null || die "the restored cluster did not start"
pg_wait_for pitr "SELECT pg_is_in_recovery()" f 60 || die "recovery did not finish"
echo "primary:  $(pg_sql primary "SELECT string_agg(id || ' ' || note, ', ' ORDER BY id) FROM notes")"
echo "restored: $(pg_sql pitr "SELECT string_agg(id || ' ' || note, ', ' ORDER BY id) FROM notes")" \
	"(recovered to $target)"
grep -c "restored log file" "$(pg_logfile pitr)" 2>/dev/null | sed 's/^/WAL files restored from the repository: /'

section "walship info: the archived WAL and the backups"
show "$WALSHIP" info --config "$conf"

section "walship verify: every backup file and WAL segment against its checksum"
show "$WALSHIP" verify --config "$conf"

section "The primary is stopped: walship check cannot connect"
pg_stop primary fast
show "$WALSHIP" check --config "$conf" --pg-conninfo "$(pg_conninfo primary)"
echo
echo "exit code 3 means: could not connect to PostgreSQL; the error is one line on stderr"

section "Cleaning up"
echo "the EXIT trap stops the standby and removes $WS_TMP"
