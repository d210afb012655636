#!/bin/bash
#
# Archiving to S3 (s3rver): PostgreSQL's archive_command pushes every WAL
# file into three stanzas of one bucket — zstd, zstd with aes-256-gcm, and
# zstd in archive-async mode — all in path style over plain HTTP. Every
# archived file is an object; s3cmd lists them and downloads one whose
# bytes start with the "WSA1" header carrying the segment's size and
# SHA-256, whose size is what the listing says, and which archive-get turns
# back into pg_wal's bytes; clusters restored from a base backup through
# archive-get from S3 end with the primary's data. Through a proxy that
# answers HTTP 500 first (s3_fault_proxy.js), archive-push succeeds with
# repo-retries and fails clearly without; an unreachable endpoint fails in
# bounded time with "could not connect".
#
# Needs: node and s3rver 3 (npm install s3rver@3), s3cmd. Environment:
#   S3RVER   the s3rver executable (default: s3rver in PATH, then
#            $WS_TOP/node_modules/.bin/s3rver, $WS_TOP/build/node/node_modules/.bin/s3rver)
# Without s3rver the script skips; with CI=true it fails instead.
#
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

require_walship
bin=$(walship_pg_bin) || die "no walship binary for postgres"
WALSHIP=$bin
walship_detached_cleanup_at_exit
proxy_js=$WS_TOP/test/integration/s3_fault_proxy.js

# shellcheck source=lib_s3.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib_s3.sh"

# ---------------------------------------------------------------------------
# PostgreSQL and three stanzas
# ---------------------------------------------------------------------------
pg_create_primary primary "archive_mode = on" "archive_command = ''" \
	"wal_keep_size = '4GB'" "max_wal_size = '4GB'" "checkpoint_timeout = '1h'"
conninfo=$(pg_conninfo primary)
pgdata=$(pg_datadir primary)
port=$(pg_port primary)

mkdir -p "$WS_TMP/spool" "$WS_TMP/get" && chown postgres:postgres "$WS_TMP/spool" "$WS_TMP/get" ||
	die "no spool"

# write_conf NAME STANZA [ENDPOINT] [LINES...]
write_conf() {
	local name=$1 stanza=$2 ep=${3:-$endpoint}
	shift 3
	{
		echo "stanza = \"$stanza\";"
		echo "pg-conninfo = \"$conninfo\";"
		echo 'repo-type = "s3";'
		echo 'repo-path = "/walship";'
		echo "repo-s3-bucket = \"$bucket\";"
		echo "repo-s3-endpoint = \"$ep\";"
		echo 'repo-s3-region = "us-east-1";'
		echo 'repo-s3-key = "S3RVER";'
		echo 'repo-s3-key-secret = "S3RVER";'
		echo 'repo-s3-uri-style = "path";'
		echo 'repo-s3-tls = "off";'
		echo 'compress-type = "zstd";'
		echo 'log-level = "info";'
		[ $# -gt 0 ] && printf '%s\n' "$@"
	} >"$WS_TMP/$name.conf"
	chmod 644 "$WS_TMP/$name.conf"
}
write_conf zstd s3-zstd "$endpoint"
write_conf aes s3-aes "$endpoint" 'repo-cipher-type = "aes-256-gcm";' \
	'repo-cipher-pass = "correct horse battery staple";'
write_conf async s3-async "$endpoint" 'archive-async = "on";' "spool-path = \"$WS_TMP/spool\";" \
	'process-max = 2;'
kinds=(zstd aes async)

for k in "${kinds[@]}"; do
	expect_exit 0 "stanza-create s3-$k in the bucket" -- walship_as_pg --config "$WS_TMP/$k.conf" stanza-create ||
		die "stanza-create s3-$k failed"
done
if [ "$have_s3cmd" -eq 1 ]; then
	expect_exit 0 "s3cmd lists the stanza files" -- s3cmd_ ls -r "s3://$bucket/walship/"
	like "$OUT" " s3://$bucket/walship/s3-aes/stanza\.info$" "... walship/s3-aes/stanza.info is there (keys without a leading /)"
fi

cmd=
for k in "${kinds[@]}"; do
	cmd="${cmd:+$cmd && }$bin --config $WS_TMP/$k.conf archive-push %p"
done
pg_conf primary "archive_command = '$cmd'"
pg_reload primary || die "reload failed"

out=$(as_pg timeout -k 5 60 "$PG_BINDIR/pg_basebackup" -D "$WS_TMP/base" -X none -c fast --no-sync \
	-d "$conninfo" 2>&1) || die "pg_basebackup failed: $out"
out=$(as_pg "$PG_BINDIR/pgbench" -i -s 5 -q -h "$WS_TMP" -p "$port" -U postgres postgres 2>&1) ||
	die "pgbench -i failed: $out"
pg_sql primary "CREATE TABLE rnd AS SELECT g AS id, md5(random()::text) || md5(random()::text) AS txt
	FROM generate_series(1, 60000) g" >/dev/null || die "could not create rnd"
last=$(pg_sql primary "SELECT pg_walfile_name(pg_switch_wal())") || die "pg_switch_wal failed"
pg_sql primary "CREATE TABLE after_switch (i int)" >/dev/null

ok "PostgreSQL archived up to $last without a failure" -- pg_wait_for primary \
	"SELECT last_archived_wal >= '$last' AND failed_count = 0 FROM pg_stat_archiver" t 90
ok "nothing is left waiting for the archiver" -- pg_wait_for primary \
	"SELECT count(*) FROM pg_ls_archive_statusdir() WHERE name LIKE '%.ready'" 0 60
ok "the archive-async workers finish" -- walship_wait_detached 60

mapfile -t files < <(cd "$pgdata/pg_wal/archive_status" && ls -- *.done | sed 's/\.done$//' | sort)
segs=()
for n in "${files[@]}"; do
	[[ $n =~ ^[0-9A-F]{24}$ ]] && segs+=("$n")
done
cmp_ok "${#segs[@]}" -ge 5 "the load archived at least 5 segments (${#segs[@]})"
note "archived: ${files[*]}"

# ---------------------------------------------------------------------------
note "every compression type on S3: none and zlib too (zstd above)"
as_pg mkdir -p "$WS_TMP/cmp" || die "no comparison directory"
for c in none zlib; do
	write_conf "$c" "s3-$c" "$endpoint"
	sed -i "s/^compress-type = .*/compress-type = \"$c\";/" "$WS_TMP/$c.conf"
	expect_exit 0 "stanza-create s3-$c" -- walship_as_pg --config "$WS_TMP/$c.conf" stanza-create
	bad=()
	for n in "${segs[@]}"; do
		rm -f "$WS_TMP/cmp/x"
		{ walship_as_pg --config "$WS_TMP/$c.conf" archive-push "$pgdata/pg_wal/$n" &&
			walship_as_pg --config "$WS_TMP/$c.conf" archive-get "$n" "$WS_TMP/cmp/x" &&
			cmp -s "$WS_TMP/cmp/x" "$pgdata/pg_wal/$n"; } >/dev/null 2>&1 || bad+=("$n")
	done
	is "${#bad[@]}" 0 "s3-$c: every segment pushed and read back byte-identical" || diag "${bad[*]}"
done

objkey() { # STANZA NAME
	echo "walship/$1/archive/15-1/${2:0:16}/$2.ws"
}

# ---------------------------------------------------------------------------
note "the objects in the bucket"
if [ "$have_s3cmd" -eq 1 ]; then
	for k in "${kinds[@]}"; do
		run_cmd s3cmd_ ls -r "s3://$bucket/walship/s3-$k/archive/"
		is "$RC" 0 "s3cmd ls -r of s3-$k/archive" || show_run
		listing=$OUT
		missing=()
		for n in "${files[@]}"; do
			grep -qE " s3://$bucket/$(re_escape "$(objkey "s3-$k" "$n")")\$" <<<"$listing" || missing+=("$n")
		done
		is "${missing[*]}" "" "s3-$k: every archived file (${#files[@]}) is an object"
		is "$(grep -c '\.ws$' <<<"$listing")" "${#files[@]}" "s3-$k: and nothing else"
	done
	queue=$(find "$WS_TMP/spool/s3-async/push/queue" -type f ! -name '*.tmp.*' -printf '%f\n' 2>/dev/null | sort | xargs)
	is "$queue" "" "s3-async: the spool queue is empty"

	# one segment, downloaded by s3cmd
	mid=${segs[$((${#segs[@]} / 2))]}
	for k in zstd aes; do
		key=$(objkey "s3-$k" "$mid")
		run_cmd s3cmd_ ls "s3://$bucket/$key"
		listed=$(awk -v u="s3://$bucket/$key" '$4 == u { print $3 }' <<<"$OUT")
		rm -f "$WS_TMP/get/$k.obj"
		expect_exit 0 "s3-$k: s3cmd get $mid.ws" -- s3cmd_ get --force "s3://$bucket/$key" "$WS_TMP/get/$k.obj"
		is "$(head -c 4 "$WS_TMP/get/$k.obj")" WSA1 "s3-$k: it starts with the WSA1 magic"
		is "$(stat -c %s "$WS_TMP/get/$k.obj")" "$listed" "s3-$k: its size is what ListObjects said ($listed)"
		is "$(od -An -tu1 -j4 -N2 "$WS_TMP/get/$k.obj" | xargs)" "$([ "$k" = aes ] && echo '2 1' || echo '2 0')" \
			"s3-$k: the header says zstd$([ "$k" = aes ] && echo ', encrypted')"
		is "$(od -An -tu8 -j8 -N8 "$WS_TMP/get/$k.obj" | xargs)" 16777216 "s3-$k: ... and 16 MiB of WAL"
		is "$(od -An -tx1 -j16 -N32 "$WS_TMP/get/$k.obj" | tr -d ' \n')" \
			"$(sha256sum <"$pgdata/pg_wal/$mid" | cut -d' ' -f1)" "s3-$k: ... with the SHA-256 of pg_wal's $mid"
		if [ "$k" = zstd ] && command -v zstd >/dev/null; then
			ok "s3-zstd: the payload decompresses (zstd -d) to the segment" -- \
				cmp -s <(tail -c +49 "$WS_TMP/get/$k.obj" | zstd -dcq) "$pgdata/pg_wal/$mid"
		fi
		rm -f "$WS_TMP/get/x"
		expect_exit 0 "s3-$k: walship archive-get $mid" -- \
			walship_as_pg --config "$WS_TMP/$k.conf" archive-get "$mid" "$WS_TMP/get/x"
		ok "s3-$k: ... byte-identical to pg_wal's" -- cmp -s "$WS_TMP/get/x" "$pgdata/pg_wal/$mid"
	done
else
	if [ "${CI:-}" = true ]; then
		fail "s3cmd is installed"
	else
		skip "the objects in the bucket, seen by s3cmd" "s3cmd is not installed"
	fi
fi

bad=()
for n in "${segs[@]}"; do
	rm -f "$WS_TMP/get/x"
	run_cmd walship_as_pg --config "$WS_TMP/async.conf" archive-get "$n" "$WS_TMP/get/x"
	if [ "$RC" -ne 0 ] || ! cmp -s "$WS_TMP/get/x" "$pgdata/pg_wal/$n"; then
		bad+=("$n (exit $RC: $ERR)")
	fi
done
is "${#bad[@]}" 0 "s3-async: archive-get of each of the ${#segs[@]} segments is byte-identical" ||
	diag "$(printf '%s\n' "${bad[@]}")"

# ---------------------------------------------------------------------------
note "recovery from the base backup through archive-get from S3"
sum_sql="SELECT concat_ws(' ',
	(SELECT count(*) FROM pgbench_accounts), (SELECT md5(string_agg(t::text, ',' ORDER BY aid)) FROM pgbench_accounts t),
	(SELECT count(*) FROM rnd), (SELECT md5(string_agg(t::text, ',' ORDER BY id)) FROM rnd t))"
want=$(pg_sql primary "$sum_sql") || die "no checksum on the primary"
for k in zstd aes; do
	pg_create_restored "restored_$k" "$WS_TMP/base" "archive_mode = off" \
		"restore_command = '$bin --config $WS_TMP/$k.conf archive-get %f %p'"
	ok "s3-$k: the restored cluster finished archive recovery" -- \
		pg_wait_for "restored_$k" "SELECT pg_is_in_recovery()" f 120
	is "$(pg_sql "restored_$k" "$sum_sql")" "$want" "s3-$k: every table has the primary's rows"
	is "$(pg_sql "restored_$k" "SELECT count(*) FROM pg_class WHERE relname = 'after_switch'")" 0 \
		"s3-$k: recovery ended at the end of the archive"
	pg_stop "restored_$k" immediate
done

# ---------------------------------------------------------------------------
note "HTTP 500 from S3, then success"
# start_proxy NAME N [METHOD] — the fault proxy in front of s3rver; sets proxy_ep
start_proxy() {
	bg_start "$1" node "$proxy_js" "$endpoint" "${@:2}"
	wait_for_log "$WS_TMP/$1.out" '^listening on 127\.0\.0\.1:[0-9]+$' 20 ||
		die "the fault proxy did not start: $(cat "$WS_TMP/$1.err")"
	proxy_ep=$(sed -n 's/^listening on //p' "$WS_TMP/$1.out" | head -n 1)
}
write_conf fault s3-fault "$endpoint"
expect_exit 0 "(setup) stanza-create s3-fault" -- walship --config "$WS_TMP/fault.conf" stanza-create ||
	die "stanza-create s3-fault failed"

start_proxy proxy1 3
expect_exit 0 "archive-push through a proxy failing the first 3 requests, repo-retries=4" -- \
	walship --config "$WS_TMP/fault.conf" --repo-s3-endpoint="$proxy_ep" --repo-retries=4 \
	archive-push "$pgdata/pg_wal/${segs[0]}"
faults=$(grep -c '^fault ' "$WS_TMP/proxy1.out")
note "proxy: $faults requests answered with 500, $(grep -c '^forward ' "$WS_TMP/proxy1.out") forwarded"
is "$faults" 3 "... the proxy answered 3 requests with HTTP 500"
like "$(cat "$WS_TMP/proxy1.out")" '^forward PUT .*/'"${segs[0]}"'\.ws 200$' "... then the PUT went through"

start_proxy proxy2 2 PUT
expect_exit 0 "archive-push through a proxy failing the first 2 PUTs, repo-retries=4" -- \
	walship --config "$WS_TMP/fault.conf" --repo-s3-endpoint="$proxy_ep" --repo-retries=4 \
	archive-push "$pgdata/pg_wal/${segs[1]}"
is "$(grep -c '^fault [0-9/]* PUT .*/'"${segs[1]}"'\.ws' "$WS_TMP/proxy2.out")" 2 \
	"... both failures were PUTs of ${segs[1]}.ws"
is "$(grep -c '^forward PUT .*/'"${segs[1]}"'\.ws 200$' "$WS_TMP/proxy2.out")" 1 "... the third PUT was stored"
for n in "${segs[0]}" "${segs[1]}"; do
	rm -f "$WS_TMP/get/x"
	expect_exit 0 "archive-get $n (directly from s3rver)" -- \
		walship --config "$WS_TMP/fault.conf" archive-get "$n" "$WS_TMP/get/x"
	ok "... byte-identical to pg_wal's: the retried upload is whole" -- cmp -s "$WS_TMP/get/x" "$pgdata/pg_wal/$n"
done

start_proxy proxy3 1
expect_exit 7 "archive-push through a proxy failing the first request, repo-retries=0: exit 7" -- \
	walship --config "$WS_TMP/fault.conf" --repo-s3-endpoint="$proxy_ep" --repo-retries=0 \
	archive-push "$pgdata/pg_wal/${segs[2]}"
error_line_like 'HTTP 500 InternalError: We encountered an internal error' "... with a message naming HTTP 500 and the S3 error"
is "$(grep -c '^fault ' "$WS_TMP/proxy3.out")" 1 "... after one attempt"

start_proxy proxy4 1 PUT
expect_exit 7 "archive-push whose PUT fails once, repo-retries=0: exit 7" -- \
	walship --config "$WS_TMP/fault.conf" --repo-s3-endpoint="$proxy_ep" --repo-retries=0 \
	archive-push "$pgdata/pg_wal/${segs[2]}"
error_line_like "${segs[2]}.*HTTP 500 InternalError" "... the message names the object and HTTP 500"
expect_exit 1 "... and nothing was stored: archive-get exits 1" -- \
	walship --config "$WS_TMP/fault.conf" archive-get "${segs[2]}" "$WS_TMP/get/x"

# ---------------------------------------------------------------------------
note "a synchronous push checks what it compressed while it asked S3"
# (archive-push to S3 reads the stanza and asks for the object on a second
# thread while it compresses: the checks come after, and must still hold)
chk=$WS_TMP/s3checks
mkdir -p "$chk" || die "no $chk"
run_cmd walship --config "$WS_TMP/fault.conf" archive-push "$pgdata/pg_wal/${segs[0]}"
is "$RC" 0 "archive-push of a segment already in the bucket, same content, exits 0" || show_run
cp "$pgdata/pg_wal/${segs[0]}" "$chk/${segs[0]}" || die "no copy"
flip_byte "$chk/${segs[0]}" $((8 * 1024 * 1024))
run_cmd walship --config "$WS_TMP/fault.conf" archive-push "$chk/${segs[0]}"
is "$RC" 1 "... different content under that name exits 1" || show_run
error_line_like "${segs[0]}.*different checksum" "... the message says: different checksum"
expect_exit 0 "... and the bucket still serves the original" -- \
	walship --config "$WS_TMP/fault.conf" archive-get "${segs[0]}" "$WS_TMP/get/x"
ok "... byte for byte" -- cmp -s "$WS_TMP/get/x" "$pgdata/pg_wal/${segs[0]}"

head -c 1048576 "$pgdata/pg_wal/${segs[3]}" >"$chk/${segs[3]}" || die "no truncated copy"
run_cmd walship --config "$WS_TMP/fault.conf" archive-push "$chk/${segs[3]}"
is "$RC" 1 "archive-push of a truncated segment exits 1" || show_run
error_line_like '1048576 bytes.*16777216' "... the message names its size and the segment size"
cp "$pgdata/pg_wal/${segs[3]}" "$chk/${segs[3]}" || die "no copy"
flip_byte "$chk/${segs[3]}" 24      # xlp_sysid, in the segment's first page header
run_cmd walship --config "$WS_TMP/fault.conf" archive-push "$chk/${segs[3]}"
is "$RC" 1 "archive-push of a segment with another system identifier exits 1" || show_run
error_line_like 'system identifier' "... the message is about the system identifier"
expect_exit 1 "... neither was stored: archive-get exits 1" -- \
	walship --config "$WS_TMP/fault.conf" archive-get "${segs[3]}" "$WS_TMP/get/x"

# ---------------------------------------------------------------------------
note "the repository is unreachable"
closed=$(free_port)
start=$(date +%s)
run_walship --config "$WS_TMP/fault.conf" --repo-s3-endpoint="127.0.0.1:$closed" \
	archive-push "$pgdata/pg_wal/${segs[2]}"
took=$(($(date +%s) - start))
cmp_ok "$RC" -ne 0 "archive-push to a closed port fails (exit $RC, after $took s)"
isnt "$RC" 124 "... by itself, within the command time limit"
error_line_like "could not connect to S3 endpoint \"127\\.0\\.0\\.1:$closed\"" "... could not connect to S3 endpoint"
run_walship --config "$WS_TMP/fault.conf" --repo-s3-endpoint="127.0.0.1:$closed" \
	archive-get "${segs[2]}" "$WS_TMP/get/x"
cmp_ok "$RC" -gt 1 "archive-get from a closed port fails with other than 'not found' (exit $RC)"
error_line_like "could not connect to S3 endpoint" "... could not connect to S3 endpoint"

# archive-async: either the foreground fails at once, or the segment is
# safely queued (and the worker's failure reported by the next push)
mkdir -p "$WS_TMP/spool2" && chown postgres:postgres "$WS_TMP/spool2"
write_conf asyncdown s3-async "127.0.0.1:$closed" 'archive-async = "on";' \
	"spool-path = \"$WS_TMP/spool2\";" 'process-max = 2;'
start=$(date +%s)
run_cmd walship_as_pg --config "$WS_TMP/asyncdown.conf" archive-push "$pgdata/pg_wal/${segs[2]}"
took=$(($(date +%s) - start))
if [ "$RC" -eq 0 ]; then
	note "async archive-push to a closed port: exit 0 after $took s (queued)"
	ok "async archive-push to a closed port exits 0 only with the segment queued" -- \
		test -f "$WS_TMP/spool2/s3-async/push/queue/${segs[2]}"
	ok "... the worker records the failure" -- wait_until 30 -- test -s "$WS_TMP/spool2/s3-async/push/error"
	like "$(cat "$WS_TMP/spool2/s3-async/push/error")" 'could not connect' "... could not connect"
else
	note "async archive-push to a closed port: exit $RC after $took s: $ERR"
	isnt "$RC" 124 "async archive-push to a closed port fails by itself"
	error_line_like "could not connect to S3 endpoint \"127\\.0\\.0\\.1:$closed\"" "... could not connect to S3 endpoint"
fi
ok "... the workers exit" -- walship_wait_detached 30

is "$(pg_sql primary "SELECT failed_count FROM pg_stat_archiver")" 0 "the primary's archiver never failed"
ok "no walship process is left" -- walship_wait_detached 30
