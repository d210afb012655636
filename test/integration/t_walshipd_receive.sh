#!/bin/bash
#
# walshipd with receive = on runs walship receive's receiver inside the
# daemon: it creates receive-slot, streams WAL into the repository (each
# segment equal to the primary's), can be the primary's synchronous
# standby with receive-synchronous = on (walshipd's own semi-sync manager
# gives it the role), and stops cleanly and promptly on SIGTERM with the
# segment in progress kept in the stream directory.
#
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

require_walship
require_walshipd
walship_archiving_primary 'receive = "on";' 'receive-synchronous = "on";' 'replication-mode = "semi-sync";' \
	"sync-timeout = 3;"
conf=$WS_TMP/ws.conf
pgdata=$(pg_datadir primary)
pg_conf primary "archive_command = ''"   # only the receiver stores WAL here
pg_reload primary || die "reload failed"
pgbench_init primary 2

bg_start walshipd setpriv --reuid=postgres --regid=postgres --clear-groups -- \
	"$WALSHIPD" --config "$conf" --log-level=info
ok "walshipd's receiver created its slot and streams" -- pg_wait_for primary \
	"SELECT count(*) FROM pg_stat_replication r JOIN pg_replication_slots s ON s.active_pid = r.pid
	 WHERE r.application_name = 'walship' AND s.slot_name = 'walship' AND r.state = 'streaming'" 1 30
ok "semi-sync gives walshipd's synchronous receiver the role" -- pg_wait_for primary \
	"SELECT sync_state FROM pg_stat_replication WHERE application_name = 'walship'" sync 30
expect_exit 0 "a commit returns (the receiver confirms it)" -- \
	timeout 10 setpriv --reuid=postgres --regid=postgres --clear-groups -- \
	"$PG_BINDIR/psql" -h "$WS_TMP" -p "$port" -U postgres -d postgres -c "CREATE TABLE t AS SELECT 1 AS i"
last=$(pg_sql primary "SELECT pg_walfile_name(pg_switch_wal())")
pg_sql primary "INSERT INTO t VALUES (2)" >/dev/null
archdir=$repo/main/archive/15-1
ok "the receiver stored $last" -- wait_until 30 -- test -f "$archdir/${last:0:16}/$last.ws"
compare_stored "$conf" "$pgdata/pg_wal" '0*' "$last"
cmp_ok "$COMPARED" -ge 1 "$COMPARED segments to compare"
is "$MISMATCHED" "" "every stored segment up to $last equals the primary's"

t0=$EPOCHREALTIME
kill -TERM "$(bg_pid walshipd)"
bg_wait walshipd 15
is "$RC" 0 "SIGTERM stops walshipd with exit 0"
ok "... within 5 s" -- awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { exit !(b - a < 5) }'
like "$(find "$repo/main/stream" -name '*.partial' -printf '%f\n')" '^[0-9A-F]{24}\.partial$' \
	"the segment in progress stays in the stream directory"
like "$(cat "$WS_TMP/walshipd.err")" 'INFO +receive: receiver started \(slot "walship", synchronous\)' \
	"walshipd logged the receiver's start"
