#!/bin/bash
#
# archive-get's read-ahead (archive-get-queue-max): after serving a segment,
# a detached worker fetches the following ones into <spool>/<stanza>/get/,
# as many as the queue allows; the next archive-get takes its segment from
# there ("served from the prefetch spool") byte-identical; a spool copy that
# was damaged after it was prefetched (a flipped byte, a truncated file,
# another segment's bytes under its name) is not handed to PostgreSQL: the
# segment comes from the repository instead; history files are never
# prefetched; stale copies are removed; a cluster restored from a
# base backup with restore_command using --archive-get-queue-max=64
# --process-max=2 replays everything and ends with the primary's data.
#
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

require_walship
bin=$(walship_pg_bin) || die "no walship binary for postgres"
WALSHIP=$bin
walship_detached_cleanup_at_exit

repo=$WS_TMP/repo
spool=$WS_TMP/spool
mkdir -p "$repo" "$spool" "$WS_TMP/get" &&
	chown postgres:postgres "$repo" "$spool" "$WS_TMP/get" || die "no repo or spool"

pg_create_primary primary "archive_mode = on" "archive_command = ''" \
	"wal_keep_size = '4GB'" "max_wal_size = '4GB'" "checkpoint_timeout = '1h'"
conninfo=$(pg_conninfo primary)
pgdata=$(pg_datadir primary)
port=$(pg_port primary)

conf=$WS_TMP/walship.conf
cat >"$conf" <<EOF
stanza = "main";
pg-conninfo = "$conninfo";
repo-path = "$repo";
spool-path = "$spool";
compress-type = "zstd";
log-level = "info";
EOF
chmod 644 "$conf"
getdir=$spool/main/get

expect_exit 0 "stanza-create" -- walship_as_pg --config "$conf" stanza-create || die "stanza-create failed"
pg_conf primary "archive_command = '$bin --config $conf archive-push %p'"
pg_reload primary || die "reload failed"

out=$(as_pg timeout -k 5 60 "$PG_BINDIR/pg_basebackup" -D "$WS_TMP/base" -X none -c fast --no-sync \
	-d "$conninfo" 2>&1) || die "pg_basebackup failed: $out"
out=$(as_pg "$PG_BINDIR/pgbench" -i -s 10 -q -h "$WS_TMP" -p "$port" -U postgres postgres 2>&1) ||
	die "pgbench -i failed: $out"
pg_sql primary "CREATE TABLE rnd AS SELECT g AS id, md5(random()::text) || md5(random()::text) AS txt
	FROM generate_series(1, 100000) g" >/dev/null || die "could not create rnd"
last=$(pg_sql primary "SELECT pg_walfile_name(pg_switch_wal())") || die "pg_switch_wal failed"
pg_sql primary "CREATE TABLE after_switch (i int)" >/dev/null
pg_wait_for primary "SELECT last_archived_wal >= '$last' AND failed_count = 0 FROM pg_stat_archiver" t 90 ||
	die "segment $last was not archived"
pg_wait_for primary "SELECT count(*) FROM pg_ls_archive_statusdir() WHERE name LIKE '%.ready'" 0 60 ||
	die "files are still waiting for the archiver"

mapfile -t segs < <(cd "$pgdata/pg_wal/archive_status" && ls -- *.done |
	sed -n 's/^\([0-9A-F]\{24\}\)\.done$/\1/p' | sort)
cmp_ok "${#segs[@]}" -ge 9 "the repository holds at least 9 archived segments (${#segs[@]})"
[ "${#segs[@]}" -ge 9 ] || die "not enough segments to test read-ahead"

# spooled — the segments in get/ ("<name>.<sha256>"; temporary files
# aside), sorted, on one line
spooled() {
	find "$getdir" -maxdepth 1 -type f ! -name '*.tmp.*' ! -name worker.lock -printf '%f\n' 2>/dev/null |
		sed 's/\..*//' | sort | xargs
}
# spool_file NAME — the path of NAME's copy in get/ (empty if none)
spool_file() {
	compgen -G "$getdir/$1.*" | grep -v '\.tmp\.' | head -n 1
}
# spool_has NAME... — each NAME is in get/
spool_has() {
	local n
	for n in "$@"; do
		[ -n "$(spool_file "$n")" ] || return 1
	done
}
# get_seg NAME [ARGS...] — archive-get NAME into $WS_TMP/get/x with read-ahead
# (4 segments of 16 MiB) at log-level debug, as postgres; OUT/ERR/RC set
get_seg() {
	local n=$1
	shift
	rm -f "$WS_TMP/get/x"
	run_cmd walship_as_pg --config "$conf" --log-level=debug --archive-get-queue-max=64 "$@" \
		archive-get "$n" "$WS_TMP/get/x"
}
same_as_pg_wal() {
	cmp -s "$WS_TMP/get/x" "$pgdata/pg_wal/$1"
}

s=("${segs[@]:1}")     # s[0] is the first segment asked for, s[1]... follow it
note "read-ahead after ${s[0]}"
get_seg "${s[0]}"
is "$RC" 0 "archive-get ${s[0]} with --archive-get-queue-max=64 exits 0" || show_run
ok "... byte-identical to pg_wal's copy" -- same_as_pg_wal "${s[0]}"
unlike "$ERR" "served from the prefetch spool" "... taken from the repository (nothing prefetched yet)"
ok "the next 4 segments (64 MiB) arrive in get/" -- wait_until 30 -- spool_has "${s[@]:1:4}"
ok "the prefetch worker exits" -- walship_wait_detached 30
is "$(spooled)" "${s[*]:1:4}" "get/ holds exactly ${s[1]} ... ${s[4]}"
unlike "$(ls -a "$getdir")" '\.tmp' "no temporary file in get/"

note "served from the spool"
get_seg "${s[1]}"
is "$RC" 0 "archive-get ${s[1]} exits 0" || show_run
like "$ERR" "WAL file \"${s[1]}\" served from the prefetch spool" "... served from the prefetch spool"
ok "... byte-identical to pg_wal's copy" -- same_as_pg_wal "${s[1]}"
ok "... the read-ahead moves on to ${s[5]}" -- wait_until 30 -- spool_has "${s[@]:2:4}"
ok "... the prefetch worker exits" -- walship_wait_detached 30
is "$(spooled)" "${s[*]:2:4}" "get/ holds ${s[2]} ... ${s[5]}: the copy served is gone"

note "spool copies damaged after prefetch are not handed to PostgreSQL"
obj=$(spool_file "${s[2]}")
flip_byte "$obj" $(($(stat -c %s "$obj") / 2))
get_seg "${s[2]}"
is "$RC" 0 "a flipped byte in the spool copy of ${s[2]}: archive-get exits 0" || show_run
unlike "$ERR" "served from the prefetch spool" "... not served from the spool"
ok "... the repository's bytes, identical to pg_wal's" -- same_as_pg_wal "${s[2]}"
ok "... (read-ahead goes on)" -- wait_until 30 -- spool_has "${s[@]:3:4}"
ok "... (the prefetch worker exits)" -- walship_wait_detached 30
ok "... the corrupt copy is gone" -- test ! -e "$obj"

obj=$(spool_file "${s[3]}")
truncate -s 100 "$obj"
get_seg "${s[3]}"
is "$RC" 0 "a spool copy of ${s[3]} truncated to 100 bytes: archive-get exits 0" || show_run
ok "... identical to pg_wal's" -- same_as_pg_wal "${s[3]}"
ok "... (read-ahead goes on)" -- wait_until 30 -- spool_has "${s[@]:4:4}"
ok "... (the prefetch worker exits)" -- walship_wait_detached 30

# a whole segment, but another one: its page header names another address
cp "$(spool_file "${s[5]}")" "$(spool_file "${s[4]}")"
get_seg "${s[4]}"
is "$RC" 0 "the bytes of ${s[5]} under the name ${s[4]}: archive-get exits 0" || show_run
ok "... identical to pg_wal's ${s[4]}" -- same_as_pg_wal "${s[4]}"
ok "... (the prefetch worker exits)" -- walship_wait_detached 30

note "history files"
get_seg 00000002.history
is "$RC" 1 "archive-get of a missing history file exits 1"
ok "... no prefetch worker is left" -- walship_wait_detached 10
unlike "$(ls -a "$getdir")" '\.history' "... nothing about history files in get/"

note "a segment at the end of the archive"
get_seg "${segs[-1]}"
is "$RC" 0 "archive-get of the last archived segment ${segs[-1]} exits 0" || show_run
ok "... the prefetch worker exits" -- walship_wait_detached 30
unlike "$(spooled)" "${segs[-1]}" "... and did not spool anything at or after it (the archive ends there)"
stale=$(spooled)
is "$stale" "" "get/ holds no copy of an earlier segment"

# ---------------------------------------------------------------------------
note "recovery from the base backup with read-ahead"
sum_sql="SELECT concat_ws(' ',
	(SELECT count(*) FROM pgbench_accounts), (SELECT md5(string_agg(t::text, ',' ORDER BY aid)) FROM pgbench_accounts t),
	(SELECT count(*) FROM pgbench_branches), (SELECT md5(string_agg(t::text, ',' ORDER BY bid)) FROM pgbench_branches t),
	(SELECT count(*) FROM rnd), (SELECT md5(string_agg(t::text, ',' ORDER BY id)) FROM rnd t))"
want=$(pg_sql primary "$sum_sql") || die "no checksum on the primary"
rm -f "$getdir"/[0-9A-F]*
pg_create_restored restored "$WS_TMP/base" "archive_mode = off" \
	"restore_command = '$bin --config $conf archive-get --archive-get-queue-max=64 --process-max=2 --log-level=debug %f %p'"
ok "the restored cluster finished archive recovery" -- \
	pg_wait_for restored "SELECT pg_is_in_recovery()" f 120
log=$(pg_logfile restored)
backup_start=$(sed -n 's/.*restored log file "\([0-9A-F]\{24\}\)" from archive.*/\1/p' "$log" | sort | head -n 1)
is "$(sed -n 's/.*restored log file "\([0-9A-F]\{24\}\)" from archive.*/\1/p' "$log" | sort -u | xargs)" \
	"$(printf '%s\n' "${segs[@]}" | awk -v b="$backup_start" '$0 >= b' | xargs)" \
	"recovery restored every segment from the backup's start to $last"
is "$(pg_sql restored "$sum_sql")" "$want" "every table has the primary's rows"
is "$(pg_sql restored "SELECT count(*) FROM pg_class WHERE relname = 'after_switch'")" 0 \
	"recovery ended at the end of the archive"
served=$(grep -c 'served from the prefetch spool' "$log")
note "$served of the restored segments were served from the prefetch spool"
unlike "$(grep -E 'archive-get: (could not|prefetch stopped)|WARN|ERROR' "$log")" . \
	"archive-get logged no warning or error during recovery"
pg_stop restored immediate
ok "the prefetch workers exit" -- walship_wait_detached 30
unlike "$(ls -a "$getdir")" '\.history' "no history file was ever prefetched"

# a history file in the repository: served directly, never spooled
printf '1\t0/A000000\tno recovery target specified\n' >"$WS_TMP/get/00000002.history"
chown postgres:postgres "$WS_TMP/get/00000002.history"
expect_exit 0 "(setup) archive-push of a history file 00000002.history" -- \
	walship_as_pg --config "$conf" archive-push "$WS_TMP/get/00000002.history"
get_seg 00000002.history
is "$RC" 0 "archive-get of 00000002.history with read-ahead exits 0" || show_run
ok "... identical" -- cmp -s "$WS_TMP/get/x" "$WS_TMP/get/00000002.history"
ok "... no worker is left" -- walship_wait_detached 10
unlike "$(ls -a "$getdir")" '\.history' "... and no history file is in get/"
