#!/bin/bash
#
# walship receive: streaming WAL from a real PostgreSQL 15 into the
# repository through a replication slot.
#
# The primary also archives with archive-push into stanza "main"; the
# receiver stores into stanza "recv" of the same repository, so each of its
# segments can be compared byte for byte with archive-push's copy of the
# file PostgreSQL wrote. Under pgbench load: every segment matches;
# kill -9 of the receiver mid-stream and a restart leave no gap; a restart
# of the primary is survived; --endpos stops cleanly; pg_waldump reads
# what was stored. Bad input: another cluster's server, a missing slot, a
# role without the REPLICATION attribute.
#
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

require_walship
walship_archiving_primary
rconf=$WS_TMP/recv.conf
sed 's/^stanza = .*/stanza = "recv";/; s/^log-level = .*/log-level = "info";/' "$WS_TMP/ws.conf" >"$rconf" &&
	chmod 644 "$rconf" || die "no recv.conf"
echo 'status-interval = 1;' >>"$rconf"
expect_exit 0 "stanza-create recv" -- walship_as_pg --config "$rconf" stanza-create || die "no stanza recv"
stream=$repo/recv/stream
mconf=$WS_TMP/ws.conf

# receive ARGS... — walship receive as postgres in the background, named recv
receive_bg() {
	bg_start recv setpriv --reuid=postgres --regid=postgres --clear-groups -- \
		"$WALSHIP" --config "$rconf" receive "$@"
}

# same_segment SEG — archive-get of SEG from both stanzas gives the same bytes
same_segment() {
	local seg=$1
	rm -f "$WS_TMP/get/a" "$WS_TMP/get/b"
	walship_as_pg --config "$mconf" archive-get "$seg" "$WS_TMP/get/a" >/dev/null 2>&1 &&
		walship_as_pg --config "$rconf" archive-get "$seg" "$WS_TMP/get/b" >/dev/null 2>&1 &&
		cmp -s "$WS_TMP/get/a" "$WS_TMP/get/b"
}

# compare_all — every segment archive-push stored, against the receiver's
compare_all() {
	local seg bad=0 n=0
	for seg in $(find "$repo/main/archive" -name '[0-9A-F]*.ws' ! -name '*.partial*' ! -name '*.history*' \
		! -name '*.backup*' -printf '%f\n' | sed 's/\.ws$//' | sort); do
		n=$((n + 1))
		same_segment "$seg" || { bad=$((bad + 1)); diag "differs or missing: $seg"; }
	done
	COMPARED=$n
	[ "$bad" -eq 0 ]
}

mkdir -p "$WS_TMP/get" && chown postgres:postgres "$WS_TMP/get"

# ---------------------------------------------------------------------------
note "under pgbench load"
pgbench_init primary 5
receive_bg --create-slot
ok "the slot walship is created and active" -- pg_wait_for primary \
	"SELECT active FROM pg_replication_slots WHERE slot_name = 'walship'" t 30
out=$(as_pg "$PG_BINDIR/pgbench" -T 5 -c 4 -h "$WS_TMP" -p "$port" -U postgres postgres 2>&1) ||
	diag "pgbench: $out"
last=$(pg_sql primary "SELECT pg_walfile_name(pg_switch_wal())")
ok "archive-push archived up to $last" -- pg_wait_for primary \
	"SELECT last_archived_wal >= '$last' FROM pg_stat_archiver" t 60
ok "the receiver stored $last" -- wait_until 60 -- test -f "$repo/recv/archive/15-1/${last:0:16}/$last.ws"
ok "the receiver reports its flush position to the server" -- pg_wait_for primary \
	"SELECT flush_lsn >= pg_current_wal_lsn() - 16*1024*1024 FROM pg_stat_replication WHERE application_name = 'walship'" t 30

note "kill -9 of the receiver mid-stream, then a restart"
out=$(as_pg "$PG_BINDIR/pgbench" -T 3 -c 4 -h "$WS_TMP" -p "$port" -U postgres postgres 2>&1 &
	sleep 1.5; kill -9 "$(bg_pid recv)"; wait) || true
bg_wait recv 10
is "$RC" 137 "the receiver was killed"
partials=$(find "$stream" -name '*.partial' | wc -l)
cmp_ok "$partials" -ge 1 "it left its segment in progress in the stream directory"
receive_bg
out=$(as_pg "$PG_BINDIR/pgbench" -T 3 -c 4 -h "$WS_TMP" -p "$port" -U postgres postgres 2>&1) ||
	diag "pgbench: $out"

note "a restart of the primary"
pg_restart primary || die "restart failed"
ok "the receiver is streaming again" -- pg_wait_for primary \
	"SELECT count(*) FROM pg_stat_replication WHERE application_name = 'walship' AND state = 'streaming'" 1 60
out=$(as_pg "$PG_BINDIR/pgbench" -T 2 -c 4 -h "$WS_TMP" -p "$port" -U postgres postgres 2>&1) ||
	diag "pgbench: $out"
like "$(cat "$WS_TMP/recv.err")" "reconnecting in" "the receiver said it reconnects"

note "--endpos: a clean stop once everything up to it is flushed"
kill -TERM "$(bg_pid recv)"
bg_wait recv 30
is "$RC" 0 "SIGTERM stops the receiver with exit 0"
last=$(pg_sql primary "SELECT pg_walfile_name(pg_switch_wal())")
endpos=$(pg_sql primary "SELECT pg_current_wal_lsn()")
pg_sql primary "SELECT txid_current()" >/dev/null
expect_exit 0 "walship receive --endpos $endpos exits 0" -- \
	timeout 60 setpriv --reuid=postgres --regid=postgres --clear-groups -- \
	"$WALSHIP" --config "$rconf" receive --endpos "$endpos"
ok "archive-push archived up to $last" -- pg_wait_for primary \
	"SELECT last_archived_wal >= '$last' FROM pg_stat_archiver" t 60
ok "the receiver stored $last" -- test -f "$repo/recv/archive/15-1/${last:0:16}/$last.ws"
ok "every segment matches archive-push's copy" -- compare_all
cmp_ok "$COMPARED" -ge 8 "... $COMPARED segments compared"
mkdir -p "$WS_TMP/dump" && chown postgres:postgres "$WS_TMP/dump"
walship_as_pg --config "$rconf" archive-get "$last" "$WS_TMP/dump/$last" >/dev/null 2>&1
ok "pg_waldump reads the last segment the receiver stored" -- \
	"$PG_BINDIR/pg_waldump" -q -p "$WS_TMP/dump" "$last"

note "a complete segment left in the stream directory (a crash between rename and store)"
left=$(pg_sql primary "SELECT pg_walfile_name(pg_switch_wal())")
pg_sql primary "SELECT txid_current()" >/dev/null
endpos=$(pg_sql primary "SELECT pg_current_wal_lsn()")
expect_exit 0 "(setup) receive --endpos $endpos" -- \
	timeout 60 setpriv --reuid=postgres --regid=postgres --clear-groups -- \
	"$WALSHIP" --config "$rconf" receive --endpos "$endpos"
leftobj=$repo/recv/archive/15-1/${left:0:16}/$left.ws
walship_as_pg --config "$rconf" archive-get "$left" "$stream/$left" >/dev/null 2>&1 && rm -f "$leftobj" ||
	die "could not prepare the leftover $left"
expect_exit 0 "receive --endpos $endpos with $left left in the stream directory exits 0" -- \
	timeout 60 setpriv --reuid=postgres --regid=postgres --clear-groups -- \
	"$WALSHIP" --config "$rconf" receive --endpos "$endpos"
like "$ERR" "storing $left left by an earlier run" "... it says it stores the leftover"
ok "... $left is in the repository again" -- test -f "$leftobj"
ok "... and no longer in the stream directory" -- test ! -e "$stream/$left"
ok "... and still matches archive-push's copy" -- same_segment "$left"

# ---------------------------------------------------------------------------
note "bad input"
expect_exit 1 "a slot that does not exist (without --create-slot) exits 1" -- \
	timeout 30 setpriv --reuid=postgres --regid=postgres --clear-groups -- \
	"$WALSHIP" --config "$rconf" receive --slot nosuchslot
error_line_like 'replication slot "nosuchslot" does not exist .*walship slot create nosuchslot' \
	"... saying how to create it"
expect_exit 2 "an invalid slot name exits 2" -- \
	timeout 30 setpriv --reuid=postgres --regid=postgres --clear-groups -- \
	"$WALSHIP" --config "$rconf" receive --slot "Bad-Name"
error_line_like 'invalid replication slot name "Bad-Name"' "... naming it"
expect_exit 2 "an invalid --endpos exits 2" -- \
	walship_as_pg --config "$rconf" receive --endpos nonsense
error_line_like 'invalid --endpos "nonsense"' "... naming it"

pg_sql primary "CREATE ROLE norepl LOGIN" >/dev/null
nconf=$WS_TMP/norepl.conf
sed "s/^pg-conninfo = \"\\(.*\\)\";/pg-conninfo = \"\\1 user=norepl\";/" "$rconf" >"$nconf" && chmod 644 "$nconf"
expect_exit 3 "a role without REPLICATION exits 3" -- \
	timeout 30 setpriv --reuid=postgres --regid=postgres --clear-groups -- \
	"$WALSHIP" --config "$nconf" receive
error_line_like 'replication connection.*norepl|must be superuser or replication role' "... with the server's reason"

# another cluster, same port layout: its system identifier differs
pg_create_primary other
oconf=$WS_TMP/other.conf
sed "s|^pg-conninfo = .*|pg-conninfo = \"$(pg_conninfo other)\";|" "$rconf" >"$oconf" && chmod 644 "$oconf"
expect_exit 2 "another cluster's server exits 2" -- \
	timeout 30 setpriv --reuid=postgres --regid=postgres --clear-groups -- \
	"$WALSHIP" --config "$oconf" receive --create-slot
error_line_like 'has system identifier [0-9]+, but stanza "recv" is for [0-9]+: refusing' "... naming both identifiers"
is "$(pg_sql other "SELECT count(*) FROM pg_replication_slots")" 0 "... and created no slot there"

note "the connection drops mid-stream: the receiver reconnects, nothing is lost"
receive_bg
ok "the receiver streams" -- pg_wait_for primary \
	"SELECT count(*) FROM pg_stat_replication WHERE application_name = 'walship' AND state = 'streaming'" 1 30
as_pg "$PG_BINDIR/pgbench" -T 4 -c 4 -h "$WS_TMP" -p "$port" -U postgres postgres >/dev/null 2>&1 &
bench_pid=$!
for _ in 1 2 3; do
	sleep 1
	pg_sql primary "SELECT pg_terminate_backend(pid) FROM pg_stat_replication WHERE application_name = 'walship'" >/dev/null
done
wait "$bench_pid"
last=$(pg_sql primary "SELECT pg_walfile_name(pg_switch_wal())")
ok "the receiver stored $last after three dropped connections" -- \
	wait_until 60 -- test -f "$repo/recv/archive/15-1/${last:0:16}/$last.ws"
ok "archive-push archived up to $last" -- pg_wait_for primary \
	"SELECT last_archived_wal >= '$last' FROM pg_stat_archiver" t 60
ok "every segment still matches archive-push's copy" -- compare_all
kill -TERM "$(bg_pid recv)"
bg_wait recv 30
is "$RC" 0 "the receiver stops cleanly"
