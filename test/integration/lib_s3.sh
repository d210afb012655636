# lib_s3.sh — an s3rver on a free loopback port and an s3cmd configured for
# it, for the S3 scripts. Sourced after lib.sh; serves bucket (default
# walship) and sets s3port, endpoint, have_s3cmd and s3cmd_ (s3cmd with the
# right flags). Without s3rver the
# script skips; with CI=true it fails instead.
#
#   S3RVER   the s3rver executable (default: s3rver in PATH, then
#            $WS_TOP/node_modules/.bin/s3rver, $WS_TOP/build/node/node_modules/.bin/s3rver)
#
# shellcheck shell=bash

# need WHAT REASON — skip the whole script, or fail it under CI
need() {
	if [ "${CI:-}" = true ]; then
		die "$1: $2"
	fi
	skip "$1" "$2"
	exit 0
}

s3rver_bin=${S3RVER:-}
if [ -z "$s3rver_bin" ]; then
	s3rver_bin=$(command -v s3rver 2>/dev/null || true)
	for c in "$WS_TOP/node_modules/.bin/s3rver" "$WS_TOP/build/node/node_modules/.bin/s3rver"; do
		[ -z "$s3rver_bin" ] && [ -x "$c" ] && s3rver_bin=$c
	done
fi
if [ -z "$s3rver_bin" ] || [ ! -x "$s3rver_bin" ]; then
	need "S3 tests" "s3rver is not installed (npm install s3rver@3, or set S3RVER)"
fi
command -v node >/dev/null 2>&1 || need "S3 tests" "node is not installed"

bucket=${bucket:-walship}

# ---------------------------------------------------------------------------
# s3rver on a free loopback port
# ---------------------------------------------------------------------------
mkdir -p "$WS_TMP/s3data"
started=0
for _ in 1 2 3; do
	s3port=$(free_port)
	# s3rver 3 makes continuation tokens with DES, which Node 17+ only has in
	# OpenSSL's legacy provider
	bg_start s3rver /usr/bin/env NODE_OPTIONS=--openssl-legacy-provider "$s3rver_bin" \
		-d "$WS_TMP/s3data" -a 127.0.0.1 -p "$s3port" --configure-bucket "$bucket"
	if wait_for_log "$WS_TMP/s3rver.out" "listening on 127\.0\.0\.1:$s3port" 20; then
		started=1
		break
	fi
	grep -q EADDRINUSE "$WS_TMP/s3rver.err" "$WS_TMP/s3rver.out" 2>/dev/null || break
	bg_wait s3rver 5
done
[ "$started" -eq 1 ] || die "s3rver did not start: $(tail -n 5 "$WS_TMP/s3rver.err" "$WS_TMP/s3rver.out" 2>&1)"
endpoint=127.0.0.1:$s3port

have_s3cmd=0
command -v s3cmd >/dev/null 2>&1 && have_s3cmd=1
s3cfg=$WS_TMP/s3cfg
cat >"$s3cfg" <<EOF
[default]
access_key = S3RVER
secret_key = S3RVER
host_base = $endpoint
host_bucket = $endpoint
use_https = False
signature_v2 = False
EOF
s3cmd_() {
	timeout -k 5 60 s3cmd -c "$s3cfg" --no-progress --host="$endpoint" --host-bucket="$endpoint" \
		--no-ssl "$@"
}


# s3_repo_conf — the repo-* lines of a walship configuration for this
# s3rver's bucket (path style, plain HTTP, s3rver's fixed keys)
s3_repo_conf() {
	cat <<-EOF
		repo-type = "s3";
		repo-path = "/walship";
		repo-s3-bucket = "$bucket";
		repo-s3-endpoint = "$endpoint";
		repo-s3-region = "us-east-1";
		repo-s3-key = "S3RVER";
		repo-s3-key-secret = "S3RVER";
		repo-s3-uri-style = "path";
		repo-s3-tls = "off";
	EOF
}
