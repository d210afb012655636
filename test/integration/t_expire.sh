#!/bin/bash
#
# walship expire against real PostgreSQL 15: three backups with pgbench load
# and WAL switches between them; expire --dry-run with repo-retention-full=2
# names the oldest backup and the WAL before the second one and changes
# nothing; expire then removes exactly that (the backup's directory is gone,
# the archive starts at the second backup's first segment). What is left
# still restores to the end of WAL and to a time between the second and
# third backup. Then the leftovers of interrupted backups: one idle for two
# hours goes, a fresh one stays and holds the WAL archive.
#
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

require_walship
walship_archiving_primary "archive-timeout = 30;"
pgbench_init primary 2
pg_sql primary "CREATE TABLE t (id int PRIMARY KEY)" >/dev/null

# take_backup — a backup under a little pgbench load; prints its label
take_backup() {
	local label
	bg_start load as_pg "$PG_BINDIR/pgbench" -n -c 2 -T 2 -h "$WS_TMP" -p "$port" -U postgres postgres
	run_cmd walship_as_pg --config "$WS_TMP/ws.conf" backup --checkpoint fast
	bg_wait load 60
	[ "$RC" -eq 0 ] || { show_run; return 1; }
	label=$(sed -n 's/^backup \([0-9F_-]*\):.*/\1/p' <<<"$OUT")
	[ -n "$label" ] && echo "$label"
}

# switch_wal — check switches WAL and waits until the segment is archived
switch_wal() {
	expect_exit 0 "$1: check switches WAL and sees it archived" -- \
		walship_as_pg --config "$WS_TMP/ws.conf" check
}

note "three backups, with rows and WAL switches between them"
label1=$(take_backup) || die "first backup failed"
pg_sql primary "INSERT INTO t VALUES (1)" >/dev/null
switch_wal "after the first backup"
sleep 1 # labels have one-second resolution
label2=$(take_backup) || die "second backup failed"
pg_sql primary "INSERT INTO t VALUES (2)" >/dev/null
sleep 1.1
t_time=$(pg_sql primary "SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') || '+00'")
sleep 1.1
pg_sql primary "INSERT INTO t VALUES (3)" >/dev/null
switch_wal "after the second backup"
sleep 1
label3=$(take_backup) || die "third backup failed"
pg_sql primary "INSERT INTO t VALUES (4)" >/dev/null
switch_wal "after the third backup"
primary_sum=$(pg_sql primary "SELECT sum(abalance), count(*) FROM pgbench_accounts")

arch=$repo/main/archive/15-1
wal_start1=$(sed -n 's/^wal-start=//p' "$repo/main/backup/$label1/backup.manifest")
wal_start2=$(sed -n 's/^wal-start=//p' "$repo/main/backup/$label2/backup.manifest")
# the segment before the second backup's first one (16 MB segments, well below 4 GB)
before2=${wal_start2:0:16}$(printf '%08X' $((16#${wal_start2:16:8} - 1)))
ok "the first backup's start segment is archived" -- test -f "$arch/${wal_start1:0:16}/$wal_start1.ws"
ok "so is the segment before the second backup" -- test -f "$arch/${before2:0:16}/$before2.ws"

# oldest_segment — the first WAL segment left in the archive
oldest_segment() {
	find "$arch" -name '????????????????????????.ws' -printf '%f\n' | sort | head -n 1 | sed 's/\.ws$//'
}
snapshot() { find "$repo" | sort; }

note "--dry-run"
before=$(snapshot)
run_cmd walship_as_pg --config "$WS_TMP/ws.conf" --repo-retention-full=2 expire --dry-run
is "$RC" 0 "expire --dry-run succeeds" || show_run
like "$OUT" "^would expire: backup $label1 \(beyond repo-retention-full = 2\)$" \
	"it names the oldest backup and why"
unlike "$OUT" "backup ($label2|$label3)" "and no other backup"
like "$OUT" "^would expire: WAL 0000000100000000000000[0-9A-F]{2} to $before2 \([0-9]+ segments" \
	"it names the WAL before the second backup"
like "$OUT" "^would expire: 1 backup, 0 incomplete, [0-9]+ WAL files, [0-9]+ bytes; 2 backups kept, WAL from $wal_start2$" \
	"and sums it up"
dry_segments=$(sed -n 's/^would expire: WAL .* (\([0-9]*\) segments.*/\1/p' <<<"$OUT")
dry_bytes=$(sed -n 's/^would expire: .* WAL files, \([0-9]*\) bytes;.*/\1/p' <<<"$OUT")
is "$(snapshot)" "$before" "--dry-run changed nothing in the repository"

note "expire"
run_cmd walship_as_pg --config "$WS_TMP/ws.conf" --repo-retention-full=2 expire
is "$RC" 0 "expire succeeds" || show_run
like "$OUT" "^expire: backup $label1 \(beyond repo-retention-full = 2\)$" "it reports the backup"
like "$OUT" "^expire: WAL [0-9A-F]{24} to $before2 \($dry_segments segments" \
	"and the same WAL the dry run listed"
like "$OUT" "^expire: 1 backup, 0 incomplete, [0-9]+ WAL files, $dry_bytes bytes removed; 2 backups kept" \
	"and sums it up: as many bytes as the dry run said"
is "$(find "$repo/main/backup" -name "$label1*")" "" "nothing of the expired backup is left, not even its directory"
ok "the second backup is intact" -- test -f "$repo/main/backup/$label2/backup.manifest"
ok "the third backup is intact" -- test -f "$repo/main/backup/$label3/backup.manifest"
is "$(oldest_segment)" "$wal_start2" "the archive now starts at the second backup's first segment"
is "$(find "$arch" -name "$wal_start1*")" "" "the first backup's .backup file went with its WAL"
ok "the second backup's .backup file stays" -- \
	test -n "$(find "$arch" -name "$wal_start2.*.backup.ws")"

run_cmd walship_as_pg --config "$WS_TMP/ws.conf" --repo-retention-full=2 expire
is "$RC" 0 "a second expire succeeds" || show_run
like "$OUT" "^expire: 0 backups, 0 incomplete, 0 WAL files, 0 bytes removed; 2 backups kept" \
	"and has nothing left to do"

# restore_and_count NAME EXPECTED DESC RESTORE-ARGS... — restore, recover with
# promote, and compare the ids in t
restore_and_count() {
	local name=$1 want=$2 desc=$3 dir=$WS_TMP/$1 got
	shift 3
	run_cmd walship_as_pg --config "$WS_TMP/ws.conf" restore --pgdata "$dir" "$@"
	is "$RC" 0 "$desc: restore" || { show_run; return 1; }
	like "$OUT" "^restored backup $label_want " "$desc: restores the expected backup"
	pg_adopt "$name" "$dir" "archive_mode = off" || { fail "$desc: start"; return 1; }
	pg_wait_for "$name" "SELECT pg_is_in_recovery()" f 60 || { fail "$desc: recovery did not end"; return 1; }
	got=$(pg_sql "$name" "SELECT string_agg(id::text, ',' ORDER BY id) FROM t")
	is "$got" "$want" "$desc: exactly the rows up to the target"
}

note "what is left restores"
label_want=$label3
restore_and_count r_all "1,2,3,4" "newest backup to the end of WAL"
is "$(pg_sql r_all "SELECT sum(abalance), count(*) FROM pgbench_accounts")" "$primary_sum" \
	"end of WAL: pgbench_accounts matches the primary"
pg_stop r_all
label_want=$label2
restore_and_count r_time "1,2" "point in time between the second and third backup" \
	--target-time "$t_time" --target-action promote
pg_stop r_time
run_cmd walship_as_pg --config "$WS_TMP/ws.conf" restore --pgdata "$WS_TMP/r_gone" --set "$label1"
is "$RC" 1 "the expired backup cannot be restored"
like "$ERR" "backup $label1 is not in the repository" "and the error says so"

note "leftovers of interrupted backups"
old_label=$(date -u -d '2 hours ago' +%Y%m%d-%H%M%SF)
new_label=$(date -u +%Y%m%d-%H%M%SF)_9
for l in "$old_label" "$new_label"; do
	if ! as_pg sh -c "mkdir -p '$repo/main/backup/$l/pg_data/base' && echo x > '$repo/main/backup/$l/pg_data/base/1.ws'"; then
		die "could not make a fake incomplete backup"
	fi
done
as_pg touch -d '2 hours ago' "$repo/main/backup/$old_label/pg_data/base/1.ws"
before=$(snapshot)
run_cmd walship_as_pg --config "$WS_TMP/ws.conf" --repo-retention-full=1 expire --dry-run
is "$RC" 0 "expire --dry-run with leftovers" || show_run
like "$OUT" "^would expire: backup $old_label \(incomplete, nothing written to it for over an hour\)$" \
	"an idle incomplete backup would go"
like "$OUT" "^would expire: backup $label2 \(beyond repo-retention-full = 1\)$" \
	"and so would the second backup"
unlike "$OUT" "^would expire: backup $new_label \\(" "a fresh incomplete backup may be running: it stays"
like "$OUT" "^would expire: backup $new_label may still be running: the WAL archive is left alone$" \
	"and it holds the WAL archive"
is "$(snapshot)" "$before" "--dry-run changed nothing"

run_cmd walship_as_pg --config "$WS_TMP/ws.conf" --repo-retention-full=1 expire
is "$RC" 0 "expire with leftovers" || show_run
like "$OUT" "^expire: 1 backup, 1 incomplete, 0 WAL files, [0-9]+ bytes removed; 1 backup kept" \
	"removes the second backup and the idle leftover, and no WAL"
ok "the idle leftover is gone" -- test ! -e "$repo/main/backup/$old_label"
ok "the fresh one stays" -- test -f "$repo/main/backup/$new_label/pg_data/base/1.ws"
is "$(oldest_segment)" "$wal_start2" "the archive is untouched while a backup may run"

as_pg rm -rf "$repo/main/backup/$new_label"
run_cmd walship_as_pg --config "$WS_TMP/ws.conf" --repo-retention-full=1 expire
is "$RC" 0 "expire once nothing runs" || show_run
like "$OUT" "^expire: 0 backups, 0 incomplete, [1-9][0-9]* WAL files, [0-9]+ bytes removed; 1 backup kept" \
	"now removes the WAL only the second backup needed"
wal_start3=$(sed -n 's/^wal-start=//p' "$repo/main/backup/$label3/backup.manifest")
is "$(oldest_segment)" "$wal_start3" "the archive starts at the last backup's first segment"

note "bad input"
expect_exit 2 "repo-retention-full out of range" -- \
	walship_as_pg --config "$WS_TMP/ws.conf" --repo-retention-full=10000 expire
expect_exit 2 "repo-retention-days out of range" -- \
	walship_as_pg --config "$WS_TMP/ws.conf" --repo-retention-days=-1 expire
expect_exit 2 "an unknown option" -- walship_as_pg --config "$WS_TMP/ws.conf" expire --force
