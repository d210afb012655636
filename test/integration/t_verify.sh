#!/bin/bash
#
# walship verify against a real PostgreSQL 15 repository: after a backup
# and archiving, every backup file and WAL object decodes and checks out
# (text and JSON). Then one damage at a time, each repaired before the
# next: a flipped byte in a backup file object, a flipped byte in an
# archived WAL segment, a deleted segment the backup needs (a gap). Each is
# found, named, and exits 6. --set checks one backup; an unknown one is 1,
# an unreachable repository 7.
#
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

require_walship
walship_archiving_primary "archive-timeout = 30;"
pgbench_init primary 5

run_cmd walship_as_pg --config "$WS_TMP/ws.conf" backup --checkpoint fast
is "$RC" 0 "backup" || show_run
label=$(sed -n 's/^backup \([0-9F_-]*\):.*/\1/p' <<<"$OUT")
[ -n "$label" ] || die "no backup label in: $OUT"
# WAL after the backup, so that its range is not the end of the archive
pg_sql primary "CREATE TABLE after_backup AS SELECT generate_series(1, 10000) AS id" >/dev/null
expect_exit 0 "check switches WAL and sees it archived" -- \
	walship_as_pg --config "$WS_TMP/ws.conf" check

bdir=$repo/main/backup/$label
wal_start=$(sed -n 's/^wal-start=//p' "$bdir/backup.manifest")
wal_stop=$(sed -n 's/^wal-stop=//p' "$bdir/backup.manifest")
nfiles=$(grep -c '^file=f ' "$bdir/backup.manifest")
note "backup $label: $nfiles files, WAL $wal_start to $wal_stop"

verify() {
	run_cmd walship_as_pg --config "$WS_TMP/ws.conf" verify "$@"
}


# save FILE / put_back FILE — a copy to repair the damage with
save() { cp "$1" "$WS_TMP/saved.obj" || die "could not copy $1"; }
put_back() { cat "$WS_TMP/saved.obj" >"$1" || die "could not restore $1"; }

note "an intact repository"
verify
is "$RC" 0 "verify of an intact repository exits 0" || show_run
like "$OUT" "^verify: 1 backup, $nfiles files, [0-9]+ WAL segments checked: ok$" \
	"it checked every file of the backup and says ok"
like "$OUT" "^verify: .*, ([2-9]|[1-9][0-9]+) WAL segments checked" "and more than one WAL segment"

verify --json
is "$RC" 0 "verify --json exits 0" || show_run
if command -v python3 >/dev/null 2>&1; then
	ok "--json output parses" -- python3 -c 'import json,sys; json.load(sys.stdin)' <<<"$OUT"
else
	skip "--json output parses" "no python3"
fi
is "$(json_get primary "$OUT" ok)" true '--json says "ok": true'
is "$(json_get primary "$OUT" backups 0 label)" "$label" "--json lists the backup"
is "$(json_get primary "$OUT" backups 0 files_checked)" "$nfiles" "--json counts its files"
is "$(json_sql primary "$OUT" "jsonb_array_length(j->'archive'->'gaps')")" 0 "--json: no gaps"

note "a damaged backup file"
obj=$(find "$bdir/pg_data" -name '*.ws' -type f -printf '%s %p\n' | sort -n | tail -n 1 | cut -d' ' -f2-)
rel=${obj#"$bdir/pg_data/"}
rel=${rel%.ws}
save "$obj"
flip_byte "$obj" $(($(stat -c %s "$obj") / 2))
verify
is "$RC" 6 "a flipped byte in a backup file object: exit 6" || show_run
like "$OUT" "^backup $label: file \"$(re_escape "$rel")\": " "the problem names the file ($rel)"
like "$OUT" '^verify: 1 backup, .*: 1 problem$' "and the summary counts one problem"
like "$ERR" 'verify found 1 problem' "with one error line"
verify --json
is "$RC" 6 "--json: exit 6 as well"
is "$(json_get primary "$OUT" ok)" false '--json says "ok": false'
is "$(json_get primary "$OUT" backups 0 problems 0 name)" "$rel" "--json names the file"
put_back "$obj"
expect_exit 0 "repaired, verify is happy again" -- \
	walship_as_pg --config "$WS_TMP/ws.conf" verify

# a file larger than part-size is stored as <path>.1.ws, <path>.2.ws ...
part=$(find "$bdir/pg_data" -name '*.1.ws' -type f | head -n 1)
if [ -n "$part" ]; then
	prel=${part#"$bdir/pg_data/"}
	prel=${prel%.1.ws}
	save "$part"
	flip_byte "$part" $(($(stat -c %s "$part") / 2))
	verify
	is "$RC" 6 "a flipped byte in one part of a file: exit 6" || show_run
	like "$OUT" "^backup $label: file \"$(re_escape "$prel")\": part 1: " "the problem names the file and the part"
	put_back "$part"
else
	fail "no file was stored in parts (pgbench scale too small?)"
fi

note "a damaged WAL segment"
segs=$(find "$repo/main/archive" -name '[0-9A-F]*.ws' -type f -printf '%f\n' |
	grep -E '^[0-9A-F]{24}\.ws$' | sed 's/\.ws$//' | sort)
seg=$(head -n 1 <<<"$segs")
segobj=$(find "$repo/main/archive" -name "$seg.ws" -type f)
save "$segobj"
flip_byte "$segobj" $(($(stat -c %s "$segobj") / 2))
verify
is "$RC" 6 "a flipped byte in a WAL segment object: exit 6" || show_run
like "$OUT" "^WAL file $seg \(archive id 1\): " "the problem names the segment ($seg)"
put_back "$segobj"

note "a missing WAL segment the backup needs"
needed=$(awk -v a="$wal_start" -v b="$wal_stop" '$0 >= a && $0 <= b' <<<"$segs")
gone=$(sed -n "$((($(wc -l <<<"$needed") + 1) / 2))p" <<<"$needed")
[ -n "$gone" ] || die "no archived segment in $wal_start..$wal_stop"
goneobj=$(find "$repo/main/archive" -name "$gone.ws" -type f)
save "$goneobj"
rm -f "$goneobj"
verify
is "$RC" 6 "a deleted segment: exit 6" || show_run
like "$OUT" "^backup $label needs WAL $gone which is missing$" "the backup's missing segment is named"
if [ "$(head -n 1 <<<"$segs")" \< "$gone" ] && [ "$(tail -n 1 <<<"$segs")" \> "$gone" ]; then
	like "$OUT" "^WAL gap in archive id 1, timeline 1: segment $gone is missing$" \
		"and the archive's gap is reported"
	verify --json
	is "$(json_get primary "$OUT" archive gaps 0 first)" "$gone" "--json lists the gap"
else
	skip "and the archive's gap is reported" "$gone is at an end of the archive"
	skip "--json lists the gap" "$gone is at an end of the archive"
fi
verify --set "$label"
is "$RC" 6 "--set of that backup: exit 6 too" || show_run
like "$OUT" "^backup $label needs WAL $gone which is missing$" "--set names the missing segment"
put_back "$goneobj"
chown postgres:postgres "$goneobj" 2>/dev/null

note "--set"
verify --set "$label"
is "$RC" 0 "--set with the backup's label: exit 0" || show_run
like "$OUT" "^verify: backup $label, $nfiles files, [0-9]+ WAL segments? checked: ok$" \
	"--set checks that backup and its WAL range"
verify --set 20000101-000000F
is "$RC" 1 "--set with a label that is not in the repository: exit 1" || show_run
like "$ERR" 'backup 20000101-000000F is not in the repository' "and says so"

note "an unreachable repository"
verify --repo-path="$WS_TMP/no-such-repo"
is "$RC" 7 "a repository without the stanza: exit 7" || show_run
