#!/bin/bash
#
# Asynchronous archiving (archive-async = on, process-max = 2): PostgreSQL's
# archive_command only queues each segment in the spool and a detached
# worker uploads it; under load every archived segment reaches the
# repository and comes back byte-identical through archive-get. When the
# repository cannot be written, the worker records the failure in
# push/error, the next archive-push fails ("asynchronous archiving failed")
# so PostgreSQL keeps its WAL, and `walship check` reports it; once the
# repository is back, archiving catches up with nothing missing. Over
# archive-push-queue-max a segment is dropped with a warning, counted in
# push/dropped and reported by `walship check`. A cluster restored from a
# base backup replays all of it and ends with the primary's data. Last,
# history and .partial files are archived in async mode too, and a stale
# file of the same name in the queue is not uploaded in place of the
# segment PostgreSQL asked to archive.
#
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

require_walship
bin=$(walship_pg_bin) || die "no walship binary for postgres"
WALSHIP=$bin
walship_detached_cleanup_at_exit

repo=$WS_TMP/repo
spool=$WS_TMP/spool
mkdir -p "$repo" "$spool" && chown postgres:postgres "$repo" "$spool" || die "no repo or spool"

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
archive-async = "on";
process-max = 2;
compress-type = "zstd";
log-level = "info";
EOF
chmod 644 "$conf"

qdir=$spool/main/push/queue
archdir=$repo/main/archive/15-1

expect_exit 0 "stanza-create" -- walship_as_pg --config "$conf" stanza-create || die "stanza-create failed"
cmd="$bin --config $conf archive-push %p"
pg_conf primary "archive_command = '$cmd'"
pg_reload primary || die "reload failed"

out=$(as_pg timeout -k 5 60 "$PG_BINDIR/pg_basebackup" -D "$WS_TMP/base" -X none -c fast --no-sync \
	-d "$conninfo" 2>&1) || die "pg_basebackup failed: $out"

# ---------------------------------------------------------------------------
note "load: pgbench -i -s 10 and incompressible rows"
out=$(as_pg "$PG_BINDIR/pgbench" -i -s 10 -q -h "$WS_TMP" -p "$port" -U postgres postgres 2>&1) ||
	die "pgbench -i failed: $out"
pg_sql primary "CREATE TABLE rnd AS SELECT g AS id, md5(random()::text) || md5(random()::text) AS txt
	FROM generate_series(1, 100000) g" >/dev/null || die "could not create rnd"
pg_sql primary "CREATE TABLE marks (i int)" >/dev/null || die "could not create marks"
last=$(pg_sql primary "SELECT pg_walfile_name(pg_switch_wal())") || die "pg_switch_wal failed"

# queued — the WAL files waiting in push/queue (temporary files aside)
queued() {
	find "$qdir" -maxdepth 1 -type f ! -name '*.tmp.*' -printf '%f\n' 2>/dev/null | sort | xargs
}
queue_count() {
	find "$qdir" -maxdepth 1 -type f ! -name '*.tmp.*' 2>/dev/null | wc -l
}
queue_empty() {
	[ "$(queue_count)" -eq 0 ]
}
ok "PostgreSQL archived up to $last without a failure" -- pg_wait_for primary \
	"SELECT last_archived_wal >= '$last' AND failed_count = 0 FROM pg_stat_archiver" t 60
ok "nothing is left waiting for the archiver" -- pg_wait_for primary \
	"SELECT count(*) FROM pg_ls_archive_statusdir() WHERE name LIKE '%.ready'" 0 60
ok "the workers exited once idle" -- walship_wait_detached 30
ok "the worker emptied the spool queue" -- queue_empty || diag "left in the queue: $(queued)"
ok "no push/error was recorded" -- test ! -e "$spool/main/push/error"
is "$(pg_sql primary "SELECT failed_count FROM pg_stat_archiver")" 0 "the archiver had no failure"

# done_segments — the segments PostgreSQL considers archived, in order
done_segments() {
	(cd "$pgdata/pg_wal/archive_status" && ls -- *.done) | sed -n 's/^\([0-9A-F]\{24\}\)\.done$/\1/p' | sort
}
# done_files — every file PostgreSQL considers archived (also .backup files)
done_files() {
	(cd "$pgdata/pg_wal/archive_status" && ls -- *.done) | sed 's/\.done$//' | sort
}
objpath() {
	case $1 in
		*.history) echo "$archdir/$1.ws" ;;
		*) echo "$archdir/${1:0:16}/$1.ws" ;;
	esac
}
# missing_in_repo — archived files without an object
missing_in_repo() {
	local n
	for n in $(done_files); do
		[ -f "$(objpath "$n")" ] || echo "$n"
	done
}

mapfile -t segs < <(done_segments)
cmp_ok "${#segs[@]}" -ge 8 "the load archived at least 8 segments (${#segs[@]})"
is "$(done_files | grep -c '\.backup$')" 1 "the backup history file was archived too"
is "$(missing_in_repo | xargs)" "" "every archived file (segments and the .backup file) is in the repository"
bad=()
mkdir -p "$WS_TMP/get" && chown postgres:postgres "$WS_TMP/get"
for n in "${segs[@]}"; do
	rm -f "$WS_TMP/get/x"
	run_cmd walship_as_pg --config "$conf" archive-get "$n" "$WS_TMP/get/x"
	if [ "$RC" -ne 0 ] || ! cmp -s "$WS_TMP/get/x" "$pgdata/pg_wal/$n"; then
		bad+=("$n (exit $RC: $ERR)")
	fi
done
is "${#bad[@]}" 0 "archive-get of each of the ${#segs[@]} segments is byte-identical to pg_wal's" ||
	diag "$(printf '%s\n' "${bad[@]}")"
unlike "$(find "$repo" "$spool" -name '*.tmp*')" . "no temporary file left in repository or spool"

# ---------------------------------------------------------------------------
note "the repository cannot be written: the worker fails, archive-push reports it"
mode=$(stat -c %a "$archdir")
chmod 000 "$archdir" || die "could not chmod $archdir"
pg_sql primary "INSERT INTO marks VALUES (1)" >/dev/null
seg_a=$(pg_sql primary "SELECT pg_walfile_name(pg_switch_wal())") || die "pg_switch_wal failed"
ok "the worker recorded push/error" -- wait_until 30 -- test -s "$spool/main/push/error"
errtext=$(cat "$spool/main/push/error" 2>/dev/null)
note "push/error: $errtext"
like "$errtext" "^$seg_a: .*[Pp]ermission denied" "push/error names $seg_a and the cause (permission denied)"
ok "archive-push queued $seg_a and exited 0" -- pg_wait_for primary \
	"SELECT last_archived_wal = '$seg_a' AND failed_count = 0 FROM pg_stat_archiver" t 30
ok "$seg_a stays queued in the spool" -- test -f "$qdir/$seg_a"
ok "... and is not in the repository" -- test ! -e "$(objpath "$seg_a")"

expect_exit 4 "walship check exits 4" -- walship --config "$conf" check --no-archive-check --json
json=$OUT
ok "... with a JSON report" -- json_valid primary "$json"
is "$(json_sql primary "$json" "(SELECT c->>'level' FROM jsonb_array_elements(j->'checks') c WHERE c->>'name' = 'archive-async')")" \
	error "... whose archive-async item is an error"
like "$(json_sql primary "$json" "(SELECT c->>'message' FROM jsonb_array_elements(j->'checks') c WHERE c->>'name' = 'archive-async')")" \
	"the archive worker failed: $seg_a: .*[Pp]ermission denied" "... naming the segment and the cause"
expect_exit 4 "walship check (table) exits 4 too" -- walship --config "$conf" check --no-archive-check
like "$OUT" "^ *error +archive-async: the archive worker failed: $seg_a" "... and shows the archive-async error"

pg_sql primary "INSERT INTO marks VALUES (2)" >/dev/null
seg_b=$(pg_sql primary "SELECT pg_walfile_name(pg_switch_wal())") || die "pg_switch_wal failed"
ok "the next archive-push ($seg_b) fails" -- pg_wait_for primary \
	"SELECT failed_count > 0 AND last_failed_wal = '$seg_b' FROM pg_stat_archiver" t 30
ok "... saying: asynchronous archiving failed" -- \
	wait_for_log "$(pg_logfile primary)" "asynchronous archiving failed: $seg_a: " 10
ok "... with exit status 7 (repository error)" -- \
	wait_for_log "$(pg_logfile primary)" "archive command failed with exit code 7" 10
is "$(pg_sql primary "SELECT last_archived_wal FROM pg_stat_archiver")" "$seg_a" \
	"PostgreSQL does not consider $seg_b archived"
ok "$seg_b.ready stays in archive_status" -- test -f "$pgdata/pg_wal/archive_status/$seg_b.ready"
ok "$seg_b is not queued while the error stands" -- test ! -e "$qdir/$seg_b"

note "the repository is back"
chmod "$mode" "$archdir" || die "could not restore the mode of $archdir"
pg_sql primary "INSERT INTO marks VALUES (3)" >/dev/null
seg_c=$(pg_sql primary "SELECT pg_walfile_name(pg_switch_wal())") || die "pg_switch_wal failed"
# archived_past SEG — true once PostgreSQL archived SEG; after three failed
# attempts the archiver waits up to 60 s for a new segment: give it one
archived_past() {
	local got
	got=$(pg_sql primary "SELECT last_archived_wal >= '$1' FROM pg_stat_archiver") || return 1
	[ "$got" = t ] && return 0
	if [ $(($(date +%s) - ${wake_at:-0})) -ge 5 ]; then
		wake_at=$(date +%s)
		pg_sql primary "INSERT INTO marks VALUES (4); SELECT pg_switch_wal()" >/dev/null
	fi
	return 1
}
ok "archiving catches up past $seg_c" -- wait_until 60 -- archived_past "$seg_c"
ok "... nothing is left waiting for the archiver" -- pg_wait_for primary \
	"SELECT count(*) FROM pg_ls_archive_statusdir() WHERE name LIKE '%.ready'" 0 60
ok "... the workers exit" -- walship_wait_detached 30
ok "... the spool queue is empty" -- queue_empty || diag "left in the queue: $(queued)"
ok "push/error is gone" -- test ! -e "$spool/main/push/error"
ok "$seg_a, $seg_b and $seg_c are in the repository" -- \
	test -f "$(objpath "$seg_a")" -a -f "$(objpath "$seg_b")" -a -f "$(objpath "$seg_c")"
is "$(missing_in_repo | xargs)" "" "every archived file is in the repository"
expect_exit 0 "walship check passes again" -- walship --config "$conf" check --no-archive-check
like "$OUT" "^ *ok +archive-async: the archive worker reports no error" "... archive-async: no error"
for n in "$seg_a" "$seg_b"; do
	rm -f "$WS_TMP/get/x"
	run_cmd walship_as_pg --config "$conf" archive-get "$n" "$WS_TMP/get/x"
	ok "archive-get $n is byte-identical" -- cmp -s "$WS_TMP/get/x" "$pgdata/pg_wal/$n"
done

# ---------------------------------------------------------------------------
note "archive-push-queue-max: over it a segment is dropped"
chmod 000 "$archdir" || die "could not chmod $archdir"
dummy=$qdir/000000010000000F000000FE
head -c $((2 * 1024 * 1024)) /dev/urandom >"$dummy" && chown postgres:postgres "$dummy" ||
	die "could not create $dummy"
drop1=${segs[1]}
drop2=${segs[2]}
expect_exit 0 "archive-push over archive-push-queue-max=1 exits 0" -- \
	walship_as_pg --config "$conf" --archive-push-queue-max=1 archive-push "$pgdata/pg_wal/$drop1"
like "$ERR" "WARN .*archive-push-queue-max \(1 MiB\) exceeded: WAL file \"$drop1\" is DROPPED and NOT archived" \
	"... the WARN line says DROPPED"
is "$(cat "$spool/main/push/dropped" 2>/dev/null)" "1 $drop1" "push/dropped counts it: 1 $drop1"
ok "... it was not queued" -- test ! -e "$qdir/$drop1"
expect_exit 0 "a second drop" -- \
	walship_as_pg --config "$conf" --archive-push-queue-max=1 archive-push "$pgdata/pg_wal/$drop2"
is "$(cat "$spool/main/push/dropped" 2>/dev/null)" "2 $drop2" "push/dropped counts it: 2 $drop2"
ok "the dummy is still queued (no worker took it)" -- test -f "$dummy"
expect_exit 0 "walship check exits 0 (a warning)" -- walship --config "$conf" check --no-archive-check --json
json=$OUT
is "$(json_sql primary "$json" "(SELECT c->>'level' FROM jsonb_array_elements(j->'checks') c WHERE c->>'name' = 'archive-push-queue-max')")" \
	warning "... with an archive-push-queue-max warning"
like "$(json_sql primary "$json" "(SELECT c->>'message' FROM jsonb_array_elements(j->'checks') c WHERE c->>'name' = 'archive-push-queue-max')")" \
	"^2 WAL files were dropped over archive-push-queue-max, the last $drop2" "... counting 2, the last $drop2"
is "$(json_get primary "$json" status)" warning "... and status warning"
rm -f "$dummy"
chmod "$mode" "$archdir"
expect_exit 0 "under the limit (64 MiB) the same segment is queued" -- \
	walship_as_pg --config "$conf" --archive-push-queue-max=64 archive-push "$pgdata/pg_wal/$drop1"
unlike "$ERR" DROPPED "... without a warning"
ok "... the worker finds it archived already and exits" -- walship_wait_detached 30
ok "... without an error" -- test ! -e "$spool/main/push/error"
ok "... and $drop1 left the queue" -- test ! -e "$qdir/$drop1"

# ---------------------------------------------------------------------------
note "recovery from the base backup through archive-get"
sum_sql="SELECT concat_ws(' ',
	(SELECT count(*) FROM pgbench_accounts), (SELECT md5(string_agg(t::text, ',' ORDER BY aid)) FROM pgbench_accounts t),
	(SELECT count(*) FROM pgbench_branches), (SELECT md5(string_agg(t::text, ',' ORDER BY bid)) FROM pgbench_branches t),
	(SELECT count(*) FROM rnd), (SELECT md5(string_agg(t::text, ',' ORDER BY id)) FROM rnd t),
	(SELECT string_agg(i::text, ',' ORDER BY i) FROM marks))"
want=$(pg_sql primary "$sum_sql") || die "no checksum on the primary"
final=$(pg_sql primary "SELECT pg_walfile_name(pg_switch_wal())")
pg_sql primary "CREATE TABLE after_switch (i int)" >/dev/null
ok "the last segment $final is archived" -- pg_wait_for primary \
	"SELECT last_archived_wal >= '$final' FROM pg_stat_archiver" t 60
ok "... and uploaded" -- wait_until 60 -- test -f "$(objpath "$final")"

pg_create_restored restored "$WS_TMP/base" "archive_mode = off" \
	"restore_command = '$bin --config $conf archive-get %f %p'"
ok "the restored cluster finished archive recovery" -- \
	pg_wait_for restored "SELECT pg_is_in_recovery()" f 120
is "$(pg_sql restored "$sum_sql")" "$want" "every table has the primary's rows"
is "$(pg_sql restored "SELECT count(*) FROM pg_class WHERE relname = 'after_switch'")" 0 \
	"recovery ended at the end of the archive"
ok "the workers exit" -- walship_wait_detached 30

# ---------------------------------------------------------------------------
note "other WAL files in async mode: a history file and a .partial segment"
# (after the restore: a timeline 2 history file in the repository would make
# recovery follow it)
printf '1\t0/A000000\tno recovery target specified\n' >"$WS_TMP/get/00000002.history"
cp "$pgdata/pg_wal/${segs[0]}" "$WS_TMP/get/${segs[0]}.partial"
chown postgres:postgres "$WS_TMP/get/00000002.history" "$WS_TMP/get/${segs[0]}.partial"
for f in 00000002.history "${segs[0]}.partial"; do
	expect_exit 0 "archive-push $f (async)" -- walship_as_pg --config "$conf" archive-push "$WS_TMP/get/$f"
done
ok "... the workers exit" -- walship_wait_detached 30
ok "00000002.history was uploaded" -- test -f "$(objpath 00000002.history)"
ok "${segs[0]}.partial was uploaded" -- test -f "$(objpath "${segs[0]}.partial")"
ok "... the spool queue is empty" -- queue_empty || diag "left in the queue: $(queued)"
ok "... without an error" -- test ! -e "$spool/main/push/error"

# ---------------------------------------------------------------------------
note "a stale object of the same name in the queue is not taken for the segment"
# A fresh stanza; its queue holds, under the name of segment s1, the bytes
# of another segment s2 (as left by an earlier cluster or a broken copy).
# archive-push of s1 must not report success while that object is uploaded.
pconf=$WS_TMP/probe.conf
sed 's/^stanza = .*/stanza = "probe";/' "$conf" >"$pconf" && chmod 644 "$pconf"
expect_exit 0 "(setup) stanza-create probe" -- walship_as_pg --config "$pconf" stanza-create
s1=${segs[3]}
s2=${segs[4]}
pq=$spool/probe/push/queue
mkdir -p "$pq" && cp "$pgdata/pg_wal/$s2" "$pq/$s1" && chown -R postgres:postgres "$spool/probe" ||
	die "could not prepare the probe queue"
run_cmd walship_as_pg --config "$pconf" archive-push "$pgdata/pg_wal/$s1"
note "archive-push $s1 with $s2's bytes queued under its name: exit $RC${ERR:+: $ERR}"
walship_wait_detached 30
rm -f "$WS_TMP/get/x"
run_cmd walship_as_pg --config "$pconf" archive-get "$s1" "$WS_TMP/get/x"
if [ "$RC" -eq 0 ] && cmp -s "$WS_TMP/get/x" "$pgdata/pg_wal/$s1"; then
	pass "archive-push exited 0 and the repository has $s1's own bytes"
else
	fail "archive-push exited 0 and the repository has $s1's own bytes"
	diag "archive-get $s1 from stanza probe: exit $RC: $ERR"
fi

# ---------------------------------------------------------------------------
note "a backlog of .ready segments: the worker uploads them ahead, from pg_wal"
# A pg_wal of our own (stanza "ahead"): six segments, five marked .ready;
# the sixth, "ready" but holding the bytes of another segment, stands for
# one PostgreSQL has recycled.
aconf=$WS_TMP/ahead.conf
sed 's/^stanza = .*/stanza = "ahead";/' "$conf" >"$aconf" && chmod 644 "$aconf"
expect_exit 0 "(setup) stanza-create ahead" -- walship_as_pg --config "$aconf" stanza-create
fw=$WS_TMP/fakewal
mkdir -p "$fw/archive_status" || die "no $fw"
for i in 0 1 2 3 4; do
	cp "$pgdata/pg_wal/${segs[$i]}" "$fw/" || die "could not copy ${segs[$i]}"
done
touch "$fw/archive_status/${segs[0]}.ready" "$fw/archive_status/${segs[1]}.ready" \
	"$fw/archive_status/${segs[2]}.ready" "$fw/archive_status/${segs[4]}.ready"
touch "$fw/archive_status/${segs[3]}.done"
recycled=${segs[5]}
cp "$pgdata/pg_wal/${segs[0]}" "$fw/$recycled" && touch "$fw/archive_status/$recycled.ready"
adone=$spool/ahead/push/done
aarch=$repo/ahead/archive/15-1
# a leftover: the record of a segment no longer ready
mkdir -p "$adone"
echo "16777216 0000000000000000000000000000000000000000000000000000000000000000" >"$adone/${segs[3]}"
chown -R postgres:postgres "$fw" "$spool/ahead"

expect_exit 0 "archive-push ${segs[0]} from the backlog" -- \
	walship_as_pg --config "$aconf" archive-push "$fw/${segs[0]}"
ok "... the worker exits once idle" -- walship_wait_detached 30
ok "... without an error" -- test ! -e "$spool/ahead/push/error" ||
	diag "$(cat "$spool/ahead/push/error")"
for i in 0 1 2; do
	ok "${segs[$i]} is in the repository" -- test -f "$aarch/${segs[$i]:0:16}/${segs[$i]}.ws"
done
for i in 1 2; do
	ok "${segs[$i]} is recorded as done ahead" -- test -f "$adone/${segs[$i]}"
done
ok "${segs[3]}, not ready (.done), was not uploaded" -- test ! -e "$aarch/${segs[3]:0:16}/${segs[3]}.ws"
ok "... and its stale done record is gone" -- test ! -e "$adone/${segs[3]}"
ok "$recycled, ready but holding other bytes, was not uploaded" -- \
	test ! -e "$aarch/${recycled:0:16}/$recycled.ws"
ok "... and is not recorded" -- test ! -e "$adone/$recycled"

# what PostgreSQL does once archive_command succeeded
archived() {
	mv "$fw/archive_status/$1.ready" "$fw/archive_status/$1.done"
}
archived "${segs[0]}"
expect_exit 0 "archive-push ${segs[1]}, done ahead, exits 0" -- \
	walship_as_pg --config "$aconf" --log-level=debug archive-push "$fw/${segs[1]}"
like "$ERR" "WAL file \".*${segs[1]}\" was archived ahead by the worker" "... saying it was archived ahead"
archived "${segs[1]}"
ok "... it took the record" -- test ! -e "$adone/${segs[1]}"
ok "... and queued nothing" -- test ! -e "$spool/ahead/push/queue/${segs[1]}"

echo "16777216 0000000000000000000000000000000000000000000000000000000000000000" >"$adone/${segs[2]}"
expect_exit 0 "archive-push ${segs[2]} whose record names another file exits 0" -- \
	walship_as_pg --config "$aconf" --log-level=debug archive-push "$fw/${segs[2]}"
archived "${segs[2]}"
like "$ERR" "queued WAL file \".*${segs[2]}\"" "... it was queued, not taken as done"
ok "... the record is gone" -- test ! -e "$adone/${segs[2]}"
ok "... the worker exits" -- walship_wait_detached 30
ok "... and left it" -- test ! -e "$spool/ahead/push/queue/${segs[2]}"

expect_exit 1 "archive-push of the recycled $recycled exits 1" -- \
	walship_as_pg --config "$aconf" archive-push "$fw/$recycled"
error_line_like "refusing to archive" "... refusing to archive it"

for i in 0 1 2; do
	rm -f "$WS_TMP/get/x"
	run_cmd walship_as_pg --config "$aconf" archive-get "${segs[$i]}" "$WS_TMP/get/x"
	ok "archive-get ${segs[$i]} (stanza ahead) is byte-identical" -- \
		cmp -s "$WS_TMP/get/x" "$pgdata/pg_wal/${segs[$i]}"
done
walship_wait_detached 30

# ---------------------------------------------------------------------------
note "archive-push verifies against the stanza the spool caches"
cache=$spool/ahead/push/stanza.info
ok "the worker cached the stanza in the spool" -- test -f "$cache"
like "$(cat "$cache")" "db=1:[0-9]+:15:16777216" "... with the cluster's system identifier"
# a cache naming another system: the segment does not match it, the repository decides
sed -i 's/^db=1:[0-9]*:/db=1:1234:/' "$cache"
archived "${segs[3]}" 2>/dev/null
touch "$fw/archive_status/${segs[3]}.ready"
expect_exit 0 "archive-push ${segs[3]} with a stale cache exits 0" -- \
	walship_as_pg --config "$aconf" archive-push "$fw/${segs[3]}"
ok "... the cache was rewritten from the repository" -- grep -q "^db=1:$(pg_sql primary "SELECT system_identifier FROM pg_control_system()"):" "$cache"
walship_wait_detached 30
ok "${segs[3]} reached the repository" -- test -f "$aarch/${segs[3]:0:16}/${segs[3]}.ws"
