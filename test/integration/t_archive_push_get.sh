#!/bin/bash
#
# WAL archiving end to end: PostgreSQL's archiver runs walship archive-push
# into four repositories at once (compress-type none, zlib, zstd, and zstd
# with repo-cipher-type aes-256-gcm) while pgbench writes; then every
# archived file is in every repository, comes back byte-identical through
# archive-get, carries the object header the configuration asks for, is
# counted by info --json, reads with pg_waldump, and a cluster restored from
# a base backup with restore_command = 'walship archive-get %f %p' replays
# all of it and ends with the primary's data.
#
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

require_walship
bin=$(walship_pg_bin) || die "no walship binary for postgres"
# the copy, for the whole script: a rebuild meanwhile changes nothing here
WALSHIP=$bin

types=(none zlib zstd aes)
declare -A compress=([none]=none [zlib]=zlib [zstd]=zstd [aes]=zstd)
declare -A cbyte=([none]=0 [zlib]=1 [zstd]=2 [aes]=2)
declare -A ebyte=([none]=0 [zlib]=0 [zstd]=0 [aes]=1)

# one repository and one stanza per type; postgres owns the repositories
for t in "${types[@]}"; do
	{ mkdir -p "$WS_TMP/repo-$t" && chown postgres:postgres "$WS_TMP/repo-$t"; } || die "no repo-$t"
done

# archive_command is set once the stanzas exist: a push before stanza-create
# would fail and count in pg_stat_archiver.failed_count
pg_create_primary primary "archive_mode = on" "archive_command = ''" \
	"wal_keep_size = '4GB'" "max_wal_size = '4GB'" "checkpoint_timeout = '1h'"
conninfo=$(pg_conninfo primary)
pgdata=$(pg_datadir primary)

for t in "${types[@]}"; do
	{
		echo "stanza = \"ws-$t\";"
		echo "pg-conninfo = \"$conninfo\";"
		echo "repo-path = \"$WS_TMP/repo-$t\";"
		echo "compress-type = \"${compress[$t]}\";"
		if [ "$t" = aes ]; then
			echo 'repo-cipher-type = "aes-256-gcm";'
			echo 'repo-cipher-pass = "correct horse battery staple";'
		fi
		echo 'log-level = "warn";'
	} >"$WS_TMP/$t.conf"
	chmod 644 "$WS_TMP/$t.conf"
done

note "stanza-create"
for t in "${types[@]}"; do
	expect_exit 0 "stanza-create ws-$t" -- walship_as_pg --config "$WS_TMP/$t.conf" stanza-create
done
sysid=$(pg_sql primary "SELECT system_identifier FROM pg_control_system()") || die "no sysid"
like "$(cat "$WS_TMP/repo-aes/ws-aes/stanza.info")" '^cipher=aes-256-gcm$' "stanza ws-aes is encrypted"
like "$(cat "$WS_TMP/repo-zstd/ws-zstd/stanza.info")" "^db=1:$sysid:15:16777216\$" \
	"stanza.info records the system identifier, version and segment size"

cmd=
for t in "${types[@]}"; do
	cmd="${cmd:+$cmd && }$bin --config $WS_TMP/$t.conf archive-push %p"
done
pg_conf primary "archive_command = '$cmd'"
pg_reload primary || die "reload failed"
is "$(pg_sql primary "SHOW archive_command")" "$cmd" "archive_command pushes to the four repositories"

note "base backup, then load"
out=$(as_pg "$PG_BINDIR/pg_basebackup" -D "$WS_TMP/base" -X none -c fast --no-sync \
	-d "$conninfo" 2>&1) || die "pg_basebackup failed: $out"
port=$(pg_port primary)
out=$(as_pg "$PG_BINDIR/pgbench" -i -s 5 -q -h "$WS_TMP" -p "$port" -U postgres postgres 2>&1) ||
	die "pgbench -i failed: $out"
# 40000 rows of 256 random bytes and their md5 text: WAL that does not compress
pg_sql primary "CREATE TABLE rnd AS
	SELECT g AS id, decode(string_agg(md5(random()::text), '' ORDER BY k), 'hex') AS bytes,
	       md5(random()::text) AS txt
	FROM generate_series(1, 40000) g, generate_series(1, 8) k GROUP BY g" >/dev/null ||
	die "could not create rnd"
out=$(as_pg "$PG_BINDIR/pgbench" -T 5 -c 2 -j 2 -n -h "$WS_TMP" -p "$port" -U postgres postgres 2>&1) ||
	die "pgbench failed: $out"
note "pgbench: $(printf '%s\n' "$out" | grep -E '^tps' | head -n 1)"

last=$(pg_sql primary "SELECT pg_walfile_name(pg_switch_wal())") || die "pg_switch_wal failed"
# a later record in a new segment, so that the switched segment is not the end
pg_sql primary "CREATE TABLE after_switch (i int)" >/dev/null
pg_wait_for primary "SELECT last_archived_wal >= '$last' AND failed_count = 0 FROM pg_stat_archiver" t 120 ||
	die "segment $last was not archived"
pg_wait_for primary "SELECT count(*) FROM pg_ls_archive_statusdir() WHERE name LIKE '%.ready'" 0 60 ||
	die "files are still waiting for the archiver"
is "$(pg_sql primary "SELECT failed_count FROM pg_stat_archiver")" 0 "the archiver had no failure"

mapfile -t done_names < <(find "$pgdata/pg_wal/archive_status" -name '*.done' -printf '%f\n' |
	sed 's/\.done$//' | sort)
segs=()
backups=()
for n in "${done_names[@]}"; do
	if [[ $n =~ ^[0-9A-F]{24}$ ]]; then
		segs+=("$n")
	elif [[ $n =~ ^[0-9A-F]{24}\.[0-9A-F]{8}\.backup$ ]]; then
		backups+=("$n")
	else
		diag "unexpected archived file $n"
	fi
done
cmp_ok "${#segs[@]}" -ge 6 "the load archived at least 6 segments (${#segs[@]})"
is "${#backups[@]}" 1 "one backup history file was archived"
is "${segs[-1]}" "$last" "the last segment archived is the switched one"
note "archived: ${#segs[@]} segments ${segs[0]} ... ${segs[-1]}, ${#backups[@]} backup history file"

objpath() { # TYPE NAME
	echo "$WS_TMP/repo-$1/ws-$1/archive/15-1/${2:0:16}/$2.ws"
}

# header_of FILE — "magic compression cipher reserved reserved size" as decimals
header_of() {
	printf '%s %s\n' "$(od -An -tu1 -N8 "$1" | xargs)" "$(od -An -tu8 -j8 -N8 "$1" | xargs)"
}

mkdir -p "$WS_TMP/get"
for t in "${types[@]}"; do
	note "repository of type $t"
	missing=() bad_get=() bad_header=() bad_sha=()
	stored=0
	for n in "${segs[@]}" "${backups[@]}"; do
		obj=$(objpath "$t" "$n")
		if [ ! -f "$obj" ]; then
			missing+=("$n")
			continue
		fi
		stored=$((stored + $(stat -c %s "$obj")))
		size=$(stat -c %s "$pgdata/pg_wal/$n")
		[ "$(header_of "$obj")" = "87 83 65 49 ${cbyte[$t]} ${ebyte[$t]} 0 0 $size" ] ||
			bad_header+=("$n: $(header_of "$obj")")
		[ "$(od -An -tx1 -j16 -N32 "$obj" | tr -d ' \n')" = "$(sha256sum <"$pgdata/pg_wal/$n" | cut -d' ' -f1)" ] ||
			bad_sha+=("$n")
		rm -f "$WS_TMP/get/x"
		run_walship --config "$WS_TMP/$t.conf" archive-get "$n" "$WS_TMP/get/x"
		if [ "$RC" -ne 0 ] || ! cmp -s "$WS_TMP/get/x" "$pgdata/pg_wal/$n"; then
			bad_get+=("$n (exit $RC: $ERR)")
		fi
	done
	total=$((${#segs[@]} + ${#backups[@]}))
	is "${#missing[@]}" 0 "$t: all $total archived files are objects in the repository" ||
		diag "missing: ${missing[*]}"
	is "${#bad_get[@]}" 0 "$t: archive-get of each gives a byte-identical file" ||
		diag "$(printf '%s\n' "${bad_get[@]}")"
	is "${#bad_header[@]}" 0 "$t: each header is WSA1, compression ${cbyte[$t]}, cipher ${ebyte[$t]}, the original size" ||
		diag "$(printf '%s\n' "${bad_header[@]}")"
	is "${#bad_sha[@]}" 0 "$t: each header carries the SHA-256 of the original" ||
		diag "bad checksum in: ${bad_sha[*]}"
	unlike "$(find "$WS_TMP/repo-$t" -name '*.tmp.*')" . "$t: no temporary file left in the repository"

	# the payload, read by an independent decoder where there is one
	mid=${segs[$((${#segs[@]} / 2))]}
	obj=$(objpath "$t" "$mid")
	case $t in
		none)
			is "$(stat -c %s "$obj")" $((16777216 + 48)) "none: an object is the header and the segment"
			ok "none: the payload is the segment itself" -- \
				cmp -s <(tail -c +49 "$obj") "$pgdata/pg_wal/$mid"
			;;
		zlib)
			if perl -MCompress::Zlib -e 1 2>/dev/null; then
				ok "zlib: the payload inflates (perl Compress::Zlib) to the segment" -- \
					cmp -s <(tail -c +49 "$obj" | perl -MCompress::Zlib -e \
						'binmode STDIN; binmode STDOUT; local $/; my $d = uncompress(<STDIN>);
						 defined $d or exit 1; print $d') "$pgdata/pg_wal/$mid"
			else
				skip "zlib: payload inflates to the segment" "no perl Compress::Zlib"
			fi
			;;
		zstd)
			if command -v zstd >/dev/null; then
				ok "zstd: the payload decompresses (zstd -d) to the segment" -- \
					cmp -s <(tail -c +49 "$obj" | zstd -dcq) "$pgdata/pg_wal/$mid"
			else
				skip "zstd: payload decompresses to the segment" "no zstd"
			fi
			;;
		aes)
			isnt "$(od -An -tx1 -j48 -N4 "$obj" | xargs)" "28 b5 2f fd" \
				"aes: the payload is not a readable zstd frame"
			if command -v zstd >/dev/null; then
				# shellcheck disable=SC2016 # $1 is for the inner shell
				ok "aes: zstd -d cannot read the payload" -- \
					bash -c '! tail -c +49 "$1" | zstd -dcq >/dev/null 2>&1' _ "$obj"
			else
				skip "aes: zstd -d cannot read the payload" "no zstd"
			fi
			;;
	esac
	if [ "$t" != none ]; then
		cmp_ok "$stored" -lt $((${#segs[@]} * 16777216)) "$t: the repository holds fewer bytes than the WAL"
	fi

	expect_exit 0 "$t: info --json" -- walship --config "$WS_TMP/$t.conf" info --json
	json=$OUT
	ok "$t: info --json is one JSON object" -- json_valid primary "$json"
	is "$(json_get primary "$json" cipher)" "$([ "$t" = aes ] && echo aes-256-gcm || echo none)" \
		"$t: info cipher"
	is "$(json_get primary "$json" clusters 0 system_identifier)" "$sysid" "$t: info system identifier"
	is "$(json_sql primary "$json" "(SELECT string_agg(concat_ws(' ', a->>'cluster_id', a->>'timeline', a->>'min',
		a->>'max', a->>'segments', a->>'other_files', a->>'history_files'), ';') FROM jsonb_array_elements(j->'archive') a)")" \
		"1 1 ${segs[0]} ${segs[-1]} ${#segs[@]} ${#backups[@]} 0" \
		"$t: info counts ${#segs[@]} segments ${segs[0]} ... ${segs[-1]} and ${#backups[@]} .backup file"
	is "$(json_get primary "$json" archive 0 stored_bytes)" "$stored" "$t: info stored_bytes is the objects' size"
done

note "pg_waldump reads restored segments"
rm -rf "$WS_TMP/dump" && mkdir -p "$WS_TMP/dump"
mid=${segs[$((${#segs[@]} / 2))]}
next=${segs[$((${#segs[@]} / 2 + 1))]}
expect_exit 0 "archive-get $mid from the encrypted repository" -- \
	walship --config "$WS_TMP/aes.conf" archive-get "$mid" "$WS_TMP/dump/$mid"
expect_exit 0 "archive-get $next from the zlib repository" -- \
	walship --config "$WS_TMP/zlib.conf" archive-get "$next" "$WS_TMP/dump/$next"
expect_exit 0 "pg_waldump reads the records of $mid" -- \
	"$PG_BINDIR/pg_waldump" --stats -p "$WS_TMP/dump" "$mid" "$mid"
like "$OUT" '^Total[[:space:]]+[1-9][0-9]*' "pg_waldump counted records"
unlike "$ERR" 'error' "pg_waldump reported no error"

note "recovery from the base backup through restore_command"
sum_sql="SELECT concat_ws(' ',
	(SELECT count(*) FROM pgbench_accounts), (SELECT md5(string_agg(t::text, ',' ORDER BY aid)) FROM pgbench_accounts t),
	(SELECT count(*) FROM pgbench_branches), (SELECT md5(string_agg(t::text, ',' ORDER BY bid)) FROM pgbench_branches t),
	(SELECT count(*) FROM pgbench_tellers), (SELECT md5(string_agg(t::text, ',' ORDER BY tid)) FROM pgbench_tellers t),
	(SELECT count(*) FROM pgbench_history), (SELECT md5(string_agg(t::text, ',' ORDER BY mtime, tid, bid, aid, delta)) FROM pgbench_history t),
	(SELECT count(*) FROM rnd), (SELECT md5(string_agg(t::text, ',' ORDER BY id)) FROM rnd t))"
want=$(pg_sql primary "$sum_sql") || die "no checksum on the primary"
restore_types=("${types[@]}")
for t in "${restore_types[@]}"; do
	pg_create_restored "restored_$t" "$WS_TMP/base" "archive_mode = off" \
		"restore_command = '$bin --config $WS_TMP/$t.conf archive-get %f %p'"
	ok "$t: the restored cluster finished archive recovery" -- \
		pg_wait_for "restored_$t" "SELECT pg_is_in_recovery()" f 120
	log=$(pg_logfile "restored_$t")
	is "$(sed -n 's/.*restored log file "\([0-9A-F]\{24\}\)" from archive.*/\1/p' "$log" | sort -u | xargs)" \
		"$(printf '%s\n' "${segs[@]}" | awk -v b="${backups[0]:0:24}" '$0 >= b' | xargs)" \
		"$t: recovery restored every segment from the backup's start to $last"
	like "$(cat "$log")" 'archive recovery complete' "$t: archive recovery completed"
	is "$(pg_sql "restored_$t" "$sum_sql")" "$want" "$t: every table has the primary's rows"
	is "$(pg_sql "restored_$t" "SELECT count(*) FROM pg_class WHERE relname = 'after_switch'")" 0 \
		"$t: recovery ended at the end of the archive"
	pg_stop "restored_$t" immediate
done
is "$(pg_sql primary "SELECT failed_count FROM pg_stat_archiver")" 0 "the primary's archiver never failed"
