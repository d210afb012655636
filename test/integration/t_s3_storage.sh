#!/bin/bash
#
# The S3 storage driver against s3rver (a local S3 implementation in Node):
# round trips of 0 B, 1 KiB and 20 MB (multipart, 5 MiB parts), listing
# with pagination, no_overwrite, missing objects and buckets, an aborted
# multipart upload leaving nothing behind, retries against a closed port,
# and objects exchanged with s3cmd byte for byte. The driver is driven
# through test/integration/s3_client.c.
#
# Needs: node and s3rver 3 (npm install s3rver@3), s3cmd, a C compiler and
# the libcurl and OpenSSL headers. Environment:
#   S3RVER      the s3rver executable (default: s3rver in PATH, then
#               $WS_TOP/node_modules/.bin/s3rver)
#   S3_CLIENT   a built s3_client (default: compiled here from the sources)
#   CC, S3_CLIENT_CFLAGS   for that compilation (-O1 -g)
# Without s3rver the script skips; with CI=true it fails instead.
#
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

bucket=walship-test
secret='S3rver-sekr1t-4711'

client=${S3_CLIENT:-}
if [ -z "$client" ]; then
	client=$WS_TMP/s3_client
	# shellcheck disable=SC2086 # flags are words
	"${CC:-cc}" -std=c11 -D_GNU_SOURCE ${S3_CLIENT_CFLAGS:--O1 -g} -I"$WS_TOP/src" \
		"$WS_TOP"/src/common/*.c "$WS_TOP/src/storage/storage.c" "$WS_TOP"/src/storage/s3/*.c \
		"$WS_TOP/test/integration/s3_client.c" -lcurl -lcrypto -o "$client" \
		2>"$WS_TMP/cc.err" || die "could not build s3_client: $(head -n 20 "$WS_TMP/cc.err")"
fi
[ -x "$client" ] || die "s3_client not found at $client"

# ---------------------------------------------------------------------------
# s3rver on a free loopback port, bucket walship-test
# ---------------------------------------------------------------------------

# shellcheck source=lib_s3.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib_s3.sh"
port=$s3port
mkdir -p "$WS_TMP/files"
log=$WS_TMP/s3rver.out

export WS_S3_ENDPOINT=127.0.0.1:$port WS_S3_BUCKET=$bucket WS_S3_KEY=S3RVER \
	WS_S3_SECRET=$secret WS_S3_PREFIX=repo WS_S3_TLS=0 WS_S3_MAX_RETRIES=2 \
	WS_S3_TIMEOUT_MS=30000

s3() {
	timeout -k 5 120 "$client" "$@"
}

# count REGEX — lines of the s3rver log matching
count() {
	grep -cE -e "$1" "$log" 2>/dev/null || true
}

f=$WS_TMP/files
: >"$f/0b"
head -c 1024 /dev/urandom >"$f/1k"
head -c 20000000 /dev/urandom >"$f/20m"

# ---------------------------------------------------------------------------
note "round trips"
for name in 0b 1k; do
	expect_exit 0 "put $name" -- s3 put "obj/$name" "$f/$name" || show_run
	expect_exit 0 "get $name" -- s3 get "obj/$name" "$f/$name.back" || show_run
	ok "$name reads back identical" -- cmp -s "$f/$name" "$f/$name.back"
done
expect_exit 0 "info of the 1 KiB object" -- s3 info obj/1k
like "$OUT" '^1024 [0-9]+$' "... says 1024 bytes and an mtime"

before=$(count 'partNumber=')
export WS_S3_PART_SIZE=5242880
expect_exit 0 "put 20 MB with 5 MiB parts" -- s3 put obj/20m "$f/20m" || show_run
unset WS_S3_PART_SIZE
cmp_ok "$(($(count 'partNumber=') - before))" -eq 4 "... sent as a multipart upload of 4 parts"
cmp_ok "$(count '\?uploadId=[^ &]+ 200')" -ge 1 "... completed by CompleteMultipartUpload"
expect_exit 0 "get 20 MB" -- s3 get obj/20m "$f/20m.back"
ok "20 MB read back identical" -- cmp -s "$f/20m" "$f/20m.back"
get_to_stdout() {
	s3 get obj/1k - | cmp -s - "$f/1k"
}
ok "get to stdout" -- get_to_stdout
expect_exit 0 "info of the 20 MB object" -- s3 info obj/20m
like "$OUT" '^20000000 ' "... says 20000000 bytes"

# ---------------------------------------------------------------------------
note "aborted writes leave nothing"
export WS_S3_PART_SIZE=5242880
expect_exit 1 "a write failing after 12 MB (2 parts sent) fails" -- \
	env WALSHIP_FAULT=write-enospc-after:12000000 "$client" put obj/aborted "$f/20m"
like "$ERR" 'No space left on device \(injected fault\)' "... with the injected error"
unset WS_S3_PART_SIZE
expect_exit 3 "... and the object does not exist" -- s3 info obj/aborted
# (s3rver 3 answers AbortMultipartUpload with 405: it does not implement it)
cmp_ok "$(count 'obj/aborted\?uploadId=[^ &]+ ')" -eq 1 "... and AbortMultipartUpload was sent"

# ---------------------------------------------------------------------------
note "no_overwrite"
head -c 1024 /dev/urandom >"$f/other"
expect_exit 4 "put --no-overwrite of an existing object: exit 4" -- \
	s3 put obj/1k "$f/other" --no-overwrite
like "$ERR" "object \"repo/obj/1k\" already exists in bucket \"$bucket\"" "... names object and bucket"
expect_exit 0 "... the object is unchanged" -- s3 get obj/1k "$f/1k.again"
ok "... byte for byte" -- cmp -s "$f/1k" "$f/1k.again"
expect_exit 0 "put --no-overwrite of a new object" -- s3 put obj/new "$f/other" --no-overwrite
expect_exit 0 "plain put replaces" -- s3 put obj/new "$f/1k"
expect_exit 0 "... and get sees the new content" -- s3 get obj/new "$f/new.back"
ok "... byte for byte" -- cmp -s "$f/1k" "$f/new.back"

# ---------------------------------------------------------------------------
note "missing objects"
expect_exit 3 "get of a missing object: exit 3 (not found)" -- s3 get obj/missing "$f/x"
like "$ERR" "object \"repo/obj/missing\" does not exist in bucket \"$bucket\"" "... with a clear message"
expect_exit 3 "info of a missing object says absent" -- s3 info obj/missing
is "$OUT" absent "... prints absent"
expect_exit 0 "rm of a missing object is no error" -- s3 rm obj/missing
expect_exit 0 "rm of an existing object" -- s3 rm obj/new
expect_exit 3 "... it is gone" -- s3 info obj/new

# ---------------------------------------------------------------------------
note "listing with pagination"
for i in $(seq -w 1 250); do
	printf 'object %s' "$i" >"$f/p"
	"$client" put "many/o$i" "$f/p" || die "put many/o$i failed"
done
expect_exit 0 "(setup) an object outside the prefix" -- env WS_S3_PREFIX=elsewhere "$client" put many/o001 "$f/p"
tokens=$(count 'continuation-token=')
expect_exit 0 "list 250 objects in pages of 100" -- env WALSHIP_S3_MAX_KEYS=100 "$client" list many
is "$(printf '%s\n' "$OUT" | grep -c .)" 250 "... 250 lines"
is "$(printf '%s\n' "$OUT" | sort -u | grep -c '^many/o[0-9]\{3\} 1[0-9] [0-9]\+$')" 250 \
	"... 250 distinct paths relative to the prefix, with size and mtime"
cmp_ok "$(($(count 'continuation-token=') - tokens))" -eq 2 "... fetched with 2 continuation tokens"
expect_exit 0 "list of the whole repository" -- s3 list
like "$OUT" '^obj/20m 20000000 ' "... has the multipart object"
is "$(printf '%s\n' "$OUT" | grep -c '^many/')" 250 "... and nothing from outside the prefix"
expect_exit 0 "list of an empty prefix" -- s3 list nothing/here
is "$OUT" "" "... prints nothing"
expect_exit 0 "a prefix is a directory, not a string prefix" -- s3 list man
is "$OUT" "" "... \"man\" does not match \"many/...\""

# ---------------------------------------------------------------------------
note "missing bucket"
for cmd in "list" "get obj/1k $f/x" "put obj/1k $f/1k"; do
	# shellcheck disable=SC2086 # words on purpose
	expect_exit 1 "$cmd in a missing bucket: exit 1" -- env WS_S3_BUCKET=no-such-bucket "$client" $cmd
	like "$ERR" '^s3_client: error: bucket "no-such-bucket" does not exist$' "... bucket \"no-such-bucket\" does not exist"
done

# ---------------------------------------------------------------------------
note "closed port: retried, then a clear error"
closed=$(free_port)
run_cmd timeout -k 5 60 env WS_S3_ENDPOINT="127.0.0.1:$closed" WS_S3_MAX_RETRIES=3 "$client" get obj/1k "$f/x"
is "$RC" 1 "get through a closed port: exit 1, within the time limit"
like "$ERR" "could not connect to S3 endpoint \"127\\.0\\.0\\.1:$closed\": .* \\(4 attempts\\)$" \
	"... could not connect to S3 endpoint, after 1 + 3 attempts"
run_cmd env WS_S3_ENDPOINT="127.0.0.1:$closed" WS_S3_MAX_RETRIES=0 "$client" list
like "$ERR" 'could not connect to S3 endpoint .*Couldn.t connect to server$' "... one attempt with max_retries 0"
unlike "$ERR" '\(1 attempts\)' "... and no attempt count then"

# ---------------------------------------------------------------------------
note "the secret never shows"
all_output=""
run_cmd env WS_S3_ENDPOINT="127.0.0.1:$closed" WS_S3_MAX_RETRIES=0 "$client" get obj/1k "$f/x"
all_output+="$OUT$ERR"
run_cmd env WS_S3_BUCKET=no-such-bucket "$client" list
all_output+="$OUT$ERR"
run_cmd "$client" get obj/missing "$f/x"
all_output+="$OUT$ERR"
unlike "$all_output" "$secret" "no error output contains the secret key"
unlike "$(cat "$log")" "$secret" "... and the server never saw it"

# ---------------------------------------------------------------------------
note "cross-check with s3cmd"
if command -v s3cmd >/dev/null 2>&1; then
	cfg=$WS_TMP/s3cfg
	cat >"$cfg" <<-EOF
		[default]
		access_key = S3RVER
		secret_key = S3RVER
		host_base = 127.0.0.1:$port
		host_bucket = 127.0.0.1:$port
		use_https = False
		signature_v2 = False
	EOF
	s3cmd_() {
		timeout -k 5 120 s3cmd -c "$cfg" --no-progress "$@"
	}
	for name in 1k 20m 0b; do
		expect_exit 0 "s3cmd gets our $name object" -- s3cmd_ get --force "s3://$bucket/repo/obj/$name" "$f/$name.s3cmd"
		ok "... byte-identical" -- cmp -s "$f/$name" "$f/$name.s3cmd"
	done
	expect_exit 0 "s3cmd puts 1 KiB" -- s3cmd_ put "$f/other" "s3://$bucket/repo/s3cmd/other"
	expect_exit 0 "s3cmd puts 20 MB (multipart, 5 MiB chunks)" -- \
		s3cmd_ put --multipart-chunk-size-mb=5 "$f/20m" "s3://$bucket/repo/s3cmd/20m"
	expect_exit 0 "we get s3cmd's 1 KiB object" -- s3 get s3cmd/other "$f/other.back"
	ok "... byte-identical" -- cmp -s "$f/other" "$f/other.back"
	expect_exit 0 "we get s3cmd's 20 MB object" -- s3 get s3cmd/20m "$f/20m.s3back"
	ok "... byte-identical" -- cmp -s "$f/20m" "$f/20m.s3back"
	expect_exit 0 "s3cmd ls" -- s3cmd_ ls "s3://$bucket/repo/obj/"
	like "$OUT" " 20000000 +s3://$bucket/repo/obj/20m$" "... shows our multipart object with its size"
else
	if [ "${CI:-}" = true ]; then
		fail "s3cmd is installed"
	else
		skip "cross-check with s3cmd" "s3cmd is not installed"
	fi
fi
