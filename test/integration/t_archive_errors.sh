#!/bin/bash
#
# WAL archiving when things go wrong: walship archive-push and archive-get
# refuse bad input with the right exit code and one clear line, and nothing
# already archived is lost or changed — a truncated segment, a segment of
# another cluster, a second push of the same or of different content, a
# corrupt object, a wrong passphrase, an unreachable repository, a full disk
# and a process killed while writing (both injected with WALSHIP_FAULT), a
# missing segment, a missing stanza, stanza-create run twice or from another
# cluster; and a timeline history file written by a promoted standby is
# archived and comes back byte-identical.
#
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

require_walship
bin=$(walship_pg_bin) || die "no walship binary for postgres"
# the copy, for the whole script: a rebuild meanwhile changes nothing here
WALSHIP=$bin

repo=$WS_TMP/repo
work=$WS_TMP/work
{ mkdir -p "$repo" "$work" && chown postgres:postgres "$repo" "$work"; } || die "no repository"

pg_create_primary primary "archive_mode = on" "archive_command = ''" \
	"wal_keep_size = '4GB'" "max_wal_size = '4GB'" "checkpoint_timeout = '1h'"
conninfo=$(pg_conninfo primary)
pgdata=$(pg_datadir primary)
sysid=$(pg_sql primary "SELECT system_identifier FROM pg_control_system()") || die "no sysid"

# mkconf NAME STANZA [LINE...] — $WS_TMP/NAME.conf for the primary, $repo
# and zstd, LINEs ("option = value;") added or replacing those; log-level
# stays at its default, so stderr is what the archiver would log
mkconf() {
	local f=$WS_TMP/$1.conf stanza=$2 line
	shift 2
	{
		for line in "stanza = \"$stanza\";" "pg-conninfo = \"$conninfo\";" \
			"repo-path = \"$repo\";" 'compress-type = "zstd";'; do
			[[ $'\n'"$(printf '%s\n' "$@")" == *$'\n'"${line%% =*} ="* ]] || echo "$line"
		done
		[ $# -gt 0 ] && printf '%s\n' "$@"
	} >"$f"
	chmod 644 "$f"
}
mkconf main main
# a second stanza of the primary, filled by hand; uncompressed, so that
# every object is larger than the fault thresholds below
mkconf manual manual 'compress-type = "none";'
mkconf enc enc 'repo-cipher-type = "aes-256-gcm";' 'repo-cipher-pass = "the right passphrase";'
mkconf badpass enc 'repo-cipher-type = "aes-256-gcm";' 'repo-cipher-pass = "the wrong passphrase";'
mkconf nostanza nostanza

# wpg ARGS... — walship as postgres (the archiver's user) with results in
# OUT, ERR and RC; WALSHIP_FAULT passes through
wpg() {
	run_cmd as_pg env ${WALSHIP_FAULT:+WALSHIP_FAULT=$WALSHIP_FAULT} \
		timeout -k 5 "$WS_CMD_TIMEOUT" "$bin" "$@"
}

# objpath STANZA NAME — where the object of a WAL file is
objpath() {
	if [[ $2 == *.history ]]; then
		echo "$repo/$1/archive/15-1/$2.ws"
	else
		echo "$repo/$1/archive/15-1/${2:0:16}/$2.ws"
	fi
}


# stage NAME FILE — a copy of FILE at $work/NAME that postgres can read
stage() {
	mkdir -p "$work/$1.d" && cp "$2" "$work/$1.d/${3:-$1}" && chmod -R a+rX "$work/$1.d"
}

note "stanzas and the first archived segments"
for c in main manual enc; do
	wpg --config "$WS_TMP/$c.conf" stanza-create
	is "$RC" 0 "stanza-create $c" || show_run
done
pg_conf primary "archive_command = '$bin --config $WS_TMP/main.conf archive-push %p'"
pg_reload primary || die "reload failed"
pg_sql primary "CREATE TABLE fill AS SELECT g, md5(g::text) AS m FROM generate_series(1, 300000) g" >/dev/null
pg_sql primary "SELECT pg_switch_wal()" >/dev/null
pg_sql primary "INSERT INTO fill VALUES (0, 'one more segment')" >/dev/null
last=$(pg_sql primary "SELECT pg_walfile_name(pg_switch_wal())") || die "pg_switch_wal failed"
pg_sql primary "INSERT INTO fill VALUES (-1, 'after the switch')" >/dev/null
pg_wait_for primary "SELECT last_archived_wal >= '$last' AND failed_count = 0 FROM pg_stat_archiver" t 60 ||
	die "segment $last was not archived"
mapfile -t segs < <(find "$pgdata/pg_wal/archive_status" -name '*.done' -printf '%f\n' |
	sed -n 's/^\([0-9A-F]\{24\}\)\.done$/\1/p' | sort)
cmp_ok "${#segs[@]}" -ge 4 "the primary archived ${#segs[@]} segments"
seg_a=${segs[1]} seg_b=${segs[2]} seg_c=${segs[3]}
wal=$pgdata/pg_wal

snapshot() { # a listing of every object of the stanza main, with checksums
	(cd "$repo/main" && find . -type f -name '*.ws' -print0 | sort -z | xargs -0 sha256sum)
}
before=$(snapshot)
cmp_ok "$(grep -c . <<<"$before")" -ge "${#segs[@]}" "snapshot of the ${#segs[@]} objects of stanza main"

note "a truncated segment"
head -c 1048576 "$wal/$seg_a" >"$work/trunc" || die "no truncated copy"
stage trunc "$work/trunc" 0000000100000000000000F0
wpg --config "$WS_TMP/main.conf" archive-push "$work/trunc.d/0000000100000000000000F0"
is "$RC" 1 "archive-push of a 1 MB segment exits 1" || show_run
error_line_like '1048576 bytes.*16777216' "... the message names its size and the segment size"
ok "... and stores nothing under its name" -- test ! -e "$(objpath main 0000000100000000000000F0)"

note "a segment of another cluster"
pg_create_primary other
other_seg=$(pg_sql other "SELECT pg_walfile_name(pg_current_wal_lsn())") || die "no segment on other"
other_sysid=$(pg_sql other "SELECT system_identifier FROM pg_control_system()") || die "no sysid"
stage other "$(pg_datadir other)/pg_wal/$other_seg" "$other_seg"
obj=$(objpath main "$other_seg")
[ -f "$obj" ] && cp "$obj" "$work/other.before"
wpg --config "$WS_TMP/main.conf" archive-push "$work/other.d/$other_seg"
is "$RC" 1 "archive-push of another cluster's segment exits 1" || show_run
error_line_like 'system identifier' "... the message is about the system identifier"
like "$ERR" "$other_sysid|$sysid" "... and names a system identifier"
if [ -f "$work/other.before" ]; then
	ok "... the archived $other_seg is unchanged" -- cmp -s "$obj" "$work/other.before"
else
	ok "... and stores nothing" -- test ! -e "$obj"
fi

note "a second push"
obj=$(objpath main "$seg_a")
cp "$obj" "$work/a.before"
mtime=$(stat -c %Y.%i "$obj")
wpg --config "$WS_TMP/main.conf" archive-push "$wal/$seg_a"
is "$RC" 0 "archive-push of an archived segment, same content, exits 0" || show_run
unlike "$ERR" '[Ee][Rr][Rr][Oo][Rr]' "... says no error"
ok "... the object is unchanged" -- cmp -s "$obj" "$work/a.before"
is "$(stat -c %Y.%i "$obj")" "$mtime" "... and was not rewritten"

cp "$wal/$seg_a" "$work/changed"
flip_byte "$work/changed" $((8 * 1024 * 1024))
stage changed "$work/changed" "$seg_a"
wpg --config "$WS_TMP/main.conf" archive-push "$work/changed.d/$seg_a"
is "$RC" 1 "archive-push of different content under an archived name exits 1" || show_run
error_line_like "$seg_a.*different checksum" "... the message says: different checksum"
ok "... the object is unchanged" -- cmp -s "$obj" "$work/a.before"
rm -f "$work/x"
expect_exit 0 "... and archive-get still returns the original" -- \
	walship --config "$WS_TMP/main.conf" archive-get "$seg_a" "$work/x"
ok "... byte-identical" -- cmp -s "$work/x" "$wal/$seg_a"

note "a corrupt object"
for c in main enc; do
	if [ "$c" = enc ]; then
		wpg --config "$WS_TMP/enc.conf" archive-push "$wal/$seg_b"
		is "$RC" 0 "archive-push into the encrypted stanza" || show_run
	fi
	obj=$(objpath "$c" "$seg_b")
	cp "$obj" "$work/b.before"
	flip_byte "$obj" $(($(stat -c %s "$obj") / 2))
	rm -f "$work/x"
	expect_exit 6 "$c: archive-get of an object with one byte flipped exits 6" -- \
		walship --config "$WS_TMP/$c.conf" archive-get "$seg_b" "$work/x"
	error_line_like "$seg_b.*(checksum|decompress|decrypt|authenticat|verif)" "$c: ... the message says why"
	ok "$c: ... and creates no file" -- test ! -e "$work/x"
	unlike "$(ls -A "$work")" '^x' "$c: ... not even a temporary one"
	cp "$work/b.before" "$obj"
	expect_exit 0 "$c: the repaired object restores again" -- \
		walship --config "$WS_TMP/$c.conf" archive-get "$seg_b" "$work/x"
	ok "$c: ... byte-identical" -- cmp -s "$work/x" "$wal/$seg_b"
done

note "the wrong passphrase"
enc_before=$(cd "$repo/enc" && find . -type f | sort | xargs sha256sum)
wpg --config "$WS_TMP/badpass.conf" archive-push "$wal/$seg_c"
is "$RC" 2 "archive-push with the wrong passphrase exits 2" || show_run
error_line_like 'passphrase is not the one stanza "enc" was created with' "... the message says so"
ok "... and writes nothing" -- test ! -e "$(objpath enc "$seg_c")"
rm -f "$work/x"
wpg --config "$WS_TMP/badpass.conf" archive-get "$seg_b" "$work/x"
is "$RC" 2 "archive-get with the wrong passphrase exits 2" || show_run
error_line_like 'passphrase is not the one stanza "enc" was created with' "... the message says so"
ok "... and creates no file" -- test ! -e "$work/x"
is "$(cd "$repo/enc" && find . -type f | sort | xargs sha256sum)" "$enc_before" \
	"the encrypted stanza is unchanged"
mkconf nopass enc 'repo-cipher-type = "aes-256-gcm";'
wpg --config "$WS_TMP/nopass.conf" archive-get "$seg_b" "$work/x"
is "$RC" 2 "archive-get without a passphrase exits 2" || show_run
error_line_like 'repo-cipher-pass' "... the message asks for repo-cipher-pass"
mkconf plain enc
wpg --config "$WS_TMP/plain.conf" archive-push "$wal/$seg_c"
is "$RC" 2 "archive-push without repo-cipher-type into an encrypted stanza exits 2" || show_run
error_line_like 'created with encryption' "... the message says the stanza is encrypted"

note "an unreachable repository"
echo "not a directory" >"$work/afile"
chmod 644 "$work/afile"
mkconf below main "repo-path = \"$work/afile/repo\";"
wpg --config "$WS_TMP/below.conf" archive-push "$wal/$seg_c"
cmp_ok "$RC" -ne 0 "archive-push with repo-path below a regular file fails" || show_run
error_line_like "$(re_escape "$work/afile")|[Nn]ot a directory" "... the message names the path or says: not a directory"
wpg --config "$WS_TMP/below.conf" archive-get "$seg_a" "$work/x.below"
cmp_ok "$RC" -ne 0 "archive-get from there fails" || show_run
ok "... and creates no file" -- test ! -e "$work/x.below"
mkdir -p "$work/locked/repo" && chmod 700 "$work/locked" # root's: postgres cannot enter
mkconf locked main "repo-path = \"$work/locked/repo\";"
wpg --config "$WS_TMP/locked.conf" archive-push "$wal/$seg_c"
cmp_ok "$RC" -ne 0 "archive-push into a repository postgres cannot enter fails" || show_run
error_line_like 'Permission denied' "... the message says: Permission denied"
wpg --config "$WS_TMP/locked.conf" archive-get "$seg_a" "$work/x.locked"
is "$RC" 7 "archive-get from it exits 7 (repository I/O error), not 1 (not in the repository)" || show_run
error_line_like 'Permission denied' "... the message says: Permission denied"
ok "... and creates no file" -- test ! -e "$work/x.locked"

note "a full disk (WALSHIP_FAULT=write-enospc-after:4096)"
WALSHIP_FAULT=write-enospc-after:4096 wpg --config "$WS_TMP/manual.conf" archive-push "$wal/$seg_a"
is "$RC" 7 "archive-push exits 7 (repository I/O error)" || show_run
error_line_like 'No space left on device' "... the message says: No space left on device"
ok "... no object is visible" -- test ! -e "$(objpath manual "$seg_a")"
is "$(find "$repo/manual" -name "$seg_a*")" "" "... and no temporary file is left"
wpg --config "$WS_TMP/manual.conf" archive-push "$wal/$seg_a"
is "$RC" 0 "the same push without the fault succeeds" || show_run
rm -f "$work/x"
expect_exit 0 "... archive-get returns it" -- walship --config "$WS_TMP/manual.conf" archive-get "$seg_a" "$work/x"
ok "... byte-identical" -- cmp -s "$work/x" "$wal/$seg_a"

note "killed while writing (WALSHIP_FAULT=write-kill-after:65536)"
WALSHIP_FAULT=write-kill-after:65536 wpg --config "$WS_TMP/manual.conf" archive-push "$wal/$seg_b"
is "$RC" 137 "archive-push dies of SIGKILL (exit 137)" || show_run
ok "... no object is visible" -- test ! -e "$(objpath manual "$seg_b")"
leftover=$(find "$repo/manual" -name "$seg_b.ws.tmp.*")
note "left behind: ${leftover:-nothing}${leftover:+ ($(stat -c %s "$leftover") bytes)}"
expect_exit 0 "... info --json" -- walship --config "$WS_TMP/manual.conf" info --json
is "$(json_get primary "$OUT" archive 0 segments)" 1 "... counts only the segment pushed before"
wpg --config "$WS_TMP/manual.conf" archive-push "$wal/$seg_b"
is "$RC" 0 "the same push without the fault succeeds" || show_run
rm -f "$work/x"
expect_exit 0 "... archive-get returns it" -- walship --config "$WS_TMP/manual.conf" archive-get "$seg_b" "$work/x"
ok "... byte-identical" -- cmp -s "$work/x" "$wal/$seg_b"
expect_exit 0 "... info --json" -- walship --config "$WS_TMP/manual.conf" info --json
is "$(json_get primary "$OUT" archive 0 segments)" 2 "... counts both segments"

note "a segment that is not in the repository"
rm -f "$work/x"
expect_exit 1 "archive-get of a missing segment exits 1" -- \
	walship --config "$WS_TMP/main.conf" archive-get 0000000100000000000000FF "$work/x"
unlike "$ERR" '[Ee][Rr][Rr][Oo][Rr]' "... with no error line on stderr"
ok "... and creates no file" -- test ! -e "$work/x"
expect_exit 1 "archive-get of a missing history file exits 1" -- \
	walship --config "$WS_TMP/main.conf" archive-get 00000009.history "$work/x"
unlike "$ERR" '[Ee][Rr][Rr][Oo][Rr]' "... with no error line on stderr"

note "stanza-create"
wpg --config "$WS_TMP/nostanza.conf" archive-push "$wal/$seg_a"
is "$RC" 1 "archive-push into a stanza that was never created exits 1" || show_run
error_line_like 'stanza "nostanza".*stanza-create' "... the message says to run stanza-create"
ok "... and creates nothing" -- test ! -e "$repo/nostanza"
cp "$repo/main/stanza.info" "$work/stanza.before"
wpg --config "$WS_TMP/main.conf" stanza-create
is "$RC" 0 "stanza-create of an existing stanza of the same cluster exits 0" || show_run
like "$OUT$ERR" 'already exists' "... and says it already exists"
ok "... stanza.info is unchanged" -- cmp -s "$repo/main/stanza.info" "$work/stanza.before"
wpg --config "$WS_TMP/main.conf" --pg-conninfo "$(pg_conninfo other)" stanza-create
cmp_ok "$RC" -ne 0 "stanza-create of the stanza from another cluster fails" || show_run
error_line_like 'another cluster' "... the message says: another cluster"
ok "... stanza.info is unchanged" -- cmp -s "$repo/main/stanza.info" "$work/stanza.before"
pg_stop other

note "a new timeline: the promoted standby archives its history file"
pg_create_standby standby primary
# promote in the middle of a segment, so that timeline 1 ends in a .partial
pg_sql primary "INSERT INTO fill VALUES (-2, 'replayed by the standby')" >/dev/null
pg_wait_for standby "SELECT pg_last_wal_replay_lsn() >= '$(pg_sql primary "SELECT pg_current_wal_insert_lsn()")'" t 30 ||
	die "the standby did not replay"
pg_promote standby || die "promotion failed"
sdata=$(pg_datadir standby)
pg_sql standby "CREATE TABLE on_tli2 AS SELECT 1 AS x" >/dev/null
tli2_seg=$(pg_sql standby "SELECT pg_walfile_name(pg_switch_wal())") || die "no switch on the standby"
pg_wait_for standby "SELECT last_archived_wal >= '$tli2_seg' AND failed_count = 0 FROM pg_stat_archiver" t 60 ||
	die "the promoted standby did not archive $tli2_seg"
ok "00000002.history was archived (.done)" -- test -f "$sdata/pg_wal/archive_status/00000002.history.done"
ok "... it is an object in the repository" -- test -f "$(objpath main 00000002.history)"
rm -f "$work/x"
expect_exit 0 "archive-get 00000002.history" -- \
	walship --config "$WS_TMP/main.conf" archive-get 00000002.history "$work/x"
ok "... byte-identical to the standby's" -- cmp -s "$work/x" "$sdata/pg_wal/00000002.history"
like "$(cat "$work/x")" "^1[[:space:]]+0/[0-9A-F]+[[:space:]]" "... and names the switch from timeline 1"
partial=$(find "$sdata/pg_wal/archive_status" -name '*.partial.done' -printf '%f\n' | sed 's/\.done$//')
if [ -n "$partial" ]; then
	rm -f "$work/x"
	expect_exit 0 "archive-get $partial (the old timeline's last segment)" -- \
		walship --config "$WS_TMP/main.conf" archive-get "$partial" "$work/x"
	ok "... byte-identical" -- cmp -s "$work/x" "$sdata/pg_wal/$partial"
else
	fail "the promoted standby archived a .partial segment"
fi
expect_exit 0 "info --json" -- walship --config "$WS_TMP/main.conf" info --json
is "$(json_sql primary "$OUT" "(SELECT a->>'history_files' FROM jsonb_array_elements(j->'archive') a
	WHERE (a->>'timeline')::int = 2)")" 1 "... shows the history file on timeline 2"

note "nothing was lost"
is "$(pg_sql primary "SELECT failed_count FROM pg_stat_archiver")" 0 "the primary's archiver never failed"
after=$(snapshot)
is "$(comm -23 <(sort <<<"$before") <(sort <<<"$after"))" "" "every object archived before the errors is still there, unchanged"
bad=()
for n in "${segs[@]}"; do
	rm -f "$work/x"
	run_walship --config "$WS_TMP/main.conf" archive-get "$n" "$work/x"
	{ [ "$RC" -eq 0 ] && cmp -s "$work/x" "$wal/$n"; } || bad+=("$n")
done
is "${#bad[@]}" 0 "every segment the primary archived restores byte-identical" || diag "${bad[*]}"
