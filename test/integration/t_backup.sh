#!/bin/bash
#
# walship backup against a real PostgreSQL 15 primary under pgbench load:
# the backup lands in the repository as one object per file plus
# PostgreSQL's own backup_manifest, the walship manifest is written last and
# lists exactly the files PostgreSQL's manifest lists, with sizes and
# SHA-256 sums that match the decoded objects, and the WAL range the backup
# needs is in the archive. With archiving broken, backup fails within
# archive-timeout naming the missing segment, and leaves no manifest.
#
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

require_walship
walship_archiving_primary "archive-timeout = 20;"

pgbench_init primary 5
bg_start load as_pg "$PG_BINDIR/pgbench" -n -c 2 -T 8 -h "$WS_TMP" -p "$port" -U postgres postgres

note "backup under load"
run_cmd walship_as_pg --config "$WS_TMP/ws.conf" backup --checkpoint fast
is "$RC" 0 "backup succeeds under pgbench load"
like "$OUT" '^backup [0-9]{8}-[0-9]{6}F: [0-9]+ entries' "backup reports its label and size"
label=$(sed -n 's/^backup \([0-9F_-]*\):.*/\1/p' <<<"$OUT")
dir=$repo/main/backup/$label
ok "the walship manifest exists" -- test -f "$dir/backup.manifest"
ok "PostgreSQL's backup_manifest is stored" -- test -f "$dir/backup_manifest.ws"
like "$(cat "$dir/backup.manifest")" '^stop-lsn=[0-9A-F]+/[0-9A-F]+$' "manifest has the stop LSN"

# PostgreSQL's manifest, decoded with zstd itself (48-byte header, then a zstd frame)
tail -c +49 "$dir/backup_manifest.ws" | zstd -q -d >"$WS_TMP/pgm.json" ||
	fail "zstd could not decode backup_manifest.ws"
pg_files=$(grep -c '"Path"' "$WS_TMP/pgm.json")
ws_files=$(grep -c '^file=f ' "$dir/backup.manifest")
is "$ws_files" "$pg_files" "walship lists every file PostgreSQL's manifest lists ($pg_files)"

# every file decodes to the size and SHA-256 the manifest records: one
# object, or (over part-size) parts <path>.1.ws, <path>.2.ws ... whose
# SHA-256 digests, concatenated, hash to the manifest's value
file_hash() {
	local base=$dir/pg_data/$1 k=1 digests=
	if [ -f "$base.ws" ]; then
		tail -c +49 "$base.ws" | zstd -q -d | sha256sum | cut -c1-64
		return
	fi
	while [ -f "$base.$k.ws" ]; do
		digests+=$(tail -c +49 "$base.$k.ws" | zstd -q -d | sha256sum | cut -c1-64)
		k=$((k + 1))
	done
	perl -e 'print pack("H*", $ARGV[0])' "$digests" | sha256sum | cut -c1-64
}
file_size() {
	local base=$dir/pg_data/$1
	if [ -f "$base.ws" ]; then
		tail -c +49 "$base.ws" | zstd -q -d | wc -c
	else
		for f in "$base".[0-9]*.ws; do tail -c +49 "$f" | zstd -q -d; done | wc -c
	fi
}
bad=0
while IFS=' ' read -r kind mode mtime size stored sha path; do
	[ "$kind" = "file=f" ] || continue
	got=$(file_hash "$path")
	gotsize=$(file_size "$path")
	[ "$got" = "$sha" ] && [ "$gotsize" = "$size" ] || { bad=$((bad + 1)); diag "$path: $got/$gotsize vs $sha/$size"; }
done <"$dir/backup.manifest"
is "$bad" 0 "every file decodes to its recorded size and SHA-256"
parts=$(find "$dir/pg_data" -name '*.[0-9].ws' | wc -l)
cmp_ok "$parts" -ge 2 "a file larger than part-size is stored in parts ($parts objects)"

wal_start=$(sed -n 's/^wal-start=//p' "$dir/backup.manifest")
wal_stop=$(sed -n 's/^wal-stop=//p' "$dir/backup.manifest")
ok "the first WAL segment of the backup is archived" -- \
	test -f "$repo/main/archive/15-1/${wal_start:0:16}/$wal_start.ws"
ok "the last WAL segment of the backup is archived" -- \
	test -f "$repo/main/archive/15-1/${wal_stop:0:16}/$wal_stop.ws"
bg_wait load 60; is "$RC" 0 "pgbench ran through the backup"

note "two backups at once"
bg_start b1 walship_as_pg --config "$WS_TMP/ws.conf" backup --checkpoint fast
bg_start b2 walship_as_pg --config "$WS_TMP/ws.conf" backup --checkpoint fast
bg_wait b1 120; rc1=$RC
bg_wait b2 120; rc2=$RC
is "$rc1 $rc2" "0 0" "two backups started together both succeed"
l1=$(sed -n 's/^backup \([0-9F_-]*\):.*/\1/p' "$WS_TMP/b1.out")
l2=$(sed -n 's/^backup \([0-9F_-]*\):.*/\1/p' "$WS_TMP/b2.out")
isnt "$l1" "$l2" "with labels of their own ($l1, $l2)"
expect_exit 0 "verify checks them both" -- walship_as_pg --config "$WS_TMP/ws.conf" verify

note "archiving broken"
pg_conf primary "archive_command = 'false'"
pg_reload primary || die "reload failed"
sed -i 's/^archive-timeout = 20;/archive-timeout = 3;/' "$WS_TMP/ws.conf"
sleep 1    # a new label: they have one-second resolution
start=$SECONDS
run_cmd walship_as_pg --config "$WS_TMP/ws.conf" backup --checkpoint fast
isnt "$RC" 0 "backup fails when WAL is not archived"
like "$ERR" 'did not reach the repository within archive-timeout \(3 s\)' "the error says why"
cmp_ok $((SECONDS - start)) -lt 30 "and does so within seconds, not an hour"
n=$(find "$repo/main/backup" -name backup.manifest | wc -l)
is "$n" 3 "the failed backup left no manifest: only the first three are restorable"

note "info lists backups"
run_cmd walship_as_pg --config "$WS_TMP/ws.conf" info
like "$OUT" "^    backup $label \\(full\\): .* LSN [0-9A-F]+/[0-9A-F]+ to [0-9A-F]+/[0-9A-F]+, timeline 1\$" \
	"info shows the backup with its LSN range"
like "$OUT" "^    backup [0-9]{8}-[0-9]{6}F: incomplete" "info shows the failed backup as incomplete"
run_cmd walship_as_pg --config "$WS_TMP/ws.conf" info --json
like "$OUT" "\"backups\":\\[\\{\"label\":\"$label\",\"type\":\"full\"" "info --json lists the backup"
like "$OUT" '"incomplete_backups":\["[0-9]{8}-[0-9]{6}F(_[0-9]+)?"\]' "info --json lists the incomplete one"
if command -v python3 >/dev/null; then
	ok "info --json is valid JSON" -- python3 -c 'import json,sys; json.load(sys.stdin)' <<<"$OUT"
fi

note "bad input"
expect_exit 2 "unknown --type" -- walship_as_pg --config "$WS_TMP/ws.conf" backup --type incr
expect_exit 2 "bad --checkpoint" -- walship_as_pg --config "$WS_TMP/ws.conf" backup --checkpoint soon
expect_exit 5 "--from-standby on a primary is the wrong role" -- \
	walship_as_pg --config "$WS_TMP/ws.conf" backup --from-standby
