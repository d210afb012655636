#!/bin/bash
#
# walship receive follows a timeline switch: it streams from a primary,
# the primary stops, its standby is promoted (timeline 2), and the
# receiver, pointed at the new primary, resumes where it stopped on
# timeline 1, streams to the switch point, stores 00000002.history and the
# old timeline's last segment as .partial, and continues on timeline 2
# without a restart. What it stored equals the new primary's own WAL.
#
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

require_walship
walship_archiving_primary
conf=$WS_TMP/ws.conf
pgbench_init primary 2
# not archiving after its promotion: what timeline 2 stores comes from the receiver
pg_create_standby standby primary "archive_mode = off"
sconninfo=$(pg_conninfo standby)
sconf=$WS_TMP/standby.conf
sed "s|^pg-conninfo = .*|pg-conninfo = \"$sconninfo\";|; s/^log-level = .*/log-level = \"info\";/" \
	"$conf" >"$sconf" && chmod 644 "$sconf" || die "no standby.conf"

bg_start recv setpriv --reuid=postgres --regid=postgres --clear-groups -- \
	"$WALSHIP" --config "$conf" receive --create-slot
ok "the receiver streams from the primary" -- pg_wait_for primary \
	"SELECT count(*) FROM pg_stat_replication WHERE application_name = 'walship' AND state = 'streaming'" 1 30
pg_sql primary "CREATE TABLE t AS SELECT g FROM generate_series(1, 200000) g" >/dev/null
# with the receiver's segment in progress well before the end of timeline 1
ok "the standby replayed it" -- pg_wait_for standby "SELECT count(*) FROM t" 200000 30
kill -TERM "$(bg_pid recv)"
bg_wait recv 30
is "$RC" 0 "the receiver stops"
pg_sql primary "INSERT INTO t SELECT g FROM generate_series(1, 100000) g" >/dev/null
switch=$(pg_sql primary "SELECT pg_current_wal_lsn()")
pg_stop primary || die "could not stop the primary"
pg_promote standby || die "could not promote the standby"
is "$(pg_sql standby "SELECT substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8)")" 00000002 \
	"the standby writes timeline 2"
pg_sql standby "INSERT INTO t SELECT g FROM generate_series(1, 100000) g" >/dev/null
last=$(pg_sql standby "SELECT pg_walfile_name(pg_switch_wal())")
endpos=$(pg_sql standby "SELECT pg_current_wal_lsn()")
note "timeline 1 went up to about $switch; streaming from the new primary up to $endpos ($last)"

expect_exit 0 "receive from the new primary up to $endpos exits 0" -- \
	timeout 60 setpriv --reuid=postgres --regid=postgres --clear-groups -- \
	"$WALSHIP" --config "$sconf" receive --create-slot --endpos "$endpos"
like "$ERR" "timeline 1 ended at [0-9A-F/]+; following timeline 2" "it followed the switch to timeline 2"
archdir=$repo/main/archive/15-1
ok "00000002.history is in the repository" -- test -f "$archdir/00000002.history.ws"
old=$(find "$archdir" -name '00000001*.partial.ws' -printf '%f\n')
like "$old" '^00000001[0-9A-F]{16}\.partial\.ws$' "timeline 1's last segment is stored as .partial ($old)"
ok "$last (timeline 2) is in the repository" -- test -f "$archdir/${last:0:16}/$last.ws"

mkdir -p "$WS_TMP/get" && chown postgres:postgres "$WS_TMP/get"
compare_stored "$conf" "$(pg_datadir standby)/pg_wal" '00000002*' "$last"
cmp_ok "$COMPARED" -ge 1 "timeline 2 has $COMPARED complete segments to compare"
is "$MISMATCHED" "" "each equals the new primary's own file"
rm -f "$WS_TMP/get/h"
walship_as_pg --config "$conf" archive-get 00000002.history "$WS_TMP/get/h" >/dev/null 2>&1
ok "00000002.history equals the new primary's" -- cmp -s "$WS_TMP/get/h" "$(pg_datadir standby)/pg_wal/00000002.history"
