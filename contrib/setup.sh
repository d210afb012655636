#!/bin/bash
# setup.sh — set up walship on a fresh Debian 12 machine and run it
#
#   contrib/setup.sh demo   install dependencies, build, run the demo
#   contrib/setup.sh test   install dependencies, build, run every test:
#                           unit tests, unit tests under valgrind, an
#                           ASan/UBSan build's unit and integration tests,
#                           and the integration tests (real PostgreSQL 15)
#
# Run as root (or with sudo available). Builds out of tree in build/ and
# build-asan/. Ends with one "total: N passed, N failed" line.
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
mode=${1:-}
case "$mode" in
demo|test) ;;
*) echo "usage: $0 demo|test" >&2; exit 2 ;;
esac

PACKAGES=(
	build-essential autoconf automake pkg-config
	libpq-dev libzstd-dev zlib1g-dev libssl-dev libcurl4-openssl-dev libconfig-dev
	libcmocka-dev
	postgresql-15 postgresql-client-15
	openssl util-linux procps iproute2
)
TEST_PACKAGES=(valgrind groff-base man-db s3cmd curl)

as_root() {
	if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

install_packages() {
	local wanted=("${PACKAGES[@]}")
	[ "$mode" = test ] && wanted+=("${TEST_PACKAGES[@]}")
	# Node for s3rver: Debian's, unless the machine already has a node and npm
	if [ "$mode" = test ] && ! { command -v node && command -v npm; } >/dev/null 2>&1; then
		wanted+=(nodejs npm)
	fi
	local missing=()
	for p in "${wanted[@]}"; do
		grep -q "install ok installed" <<<"$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	echo "==> installing: ${missing[*]}"
	# tests make their own clusters: skip Debian's default one on port 5432
	as_root mkdir -p /etc/postgresql-common/createcluster.d
	echo "create_main_cluster = false" | as_root tee /etc/postgresql-common/createcluster.d/walship.conf >/dev/null
	as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq || return 1
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
		"${missing[@]}" >/dev/null || return 1
}

# s3rver, the S3 endpoint of the integration tests, from npm into build/
install_s3rver() {
	local dir="$top/build/node"
	if [ ! -x "$dir/node_modules/.bin/s3rver" ]; then
		echo "==> installing s3rver@3 from npm"
		mkdir -p "$dir" && npm install --silent --no-audit --no-fund --prefix "$dir" s3rver@3 >/dev/null || return 1
	fi
	export S3RVER="$dir/node_modules/.bin/s3rver"
}

# configure and build in $1 with the remaining configure arguments
build() {
	local dir=$1; shift
	echo "==> building in $dir $*"
	mkdir -p "$top/$dir" && cd "$top/$dir" || return 1
	if [ ! -f Makefile ] || [ "$top/configure" -nt Makefile ]; then
		"$top/configure" -q "$@" || return 1
	fi
	make -s -j"$(nproc)" >/dev/null || return 1
	cd "$top"
}

bootstrap() {
	install_packages || { echo "setup: could not install packages" >&2; exit 1; }
	cd "$top" || exit 1
	if [ ! -x configure ] || [ configure.ac -nt configure ] || [ Makefile.am -nt Makefile.in ]; then
		autoreconf -fi >/dev/null 2>&1 || { echo "setup: autoreconf failed" >&2; exit 1; }
	fi
	build build || { echo "setup: build failed" >&2; exit 1; }
}

# ---- counting: cmocka logs and TAP/"N passed, N failed" lines ----
passed=0
failed=0
stage_failures=()

count_unit_logs() {
	local dir=$1 scripts=${2:-yes} p f
	for log in $(find "$dir/test/unit" -name '*.log' ! -name 'test-suite.log'); do
		p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$log" | tail -1)
		f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$log" | tail -1)
		passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0}))
		# a test program that crashed prints no summary: count it as failed
		[ -z "$p$f" ] && failed=$((failed + 1))
	done
	[ "$scripts" = yes ] || return 0
	for log in "$dir"/test/*.log; do
		[ -f "$log" ] || continue
		p=$(grep -c '^ok ' "$log"); f=$(grep -c '^not ok ' "$log")
		passed=$((passed + p)); failed=$((failed + f))
	done
}

stage() {
	local name=$1; shift
	echo
	echo "==> $name"
	local start=$SECONDS
	if "$@"; then
		echo "==> $name: ok ($((SECONDS - start)) s)"
	else
		echo "==> $name: FAILED ($((SECONDS - start)) s)"
		stage_failures+=("$name")
	fi
}

unit_tests() {
	make -C "$top/$1" -s check || { cat "$top/$1/test-suite.log"; return 1; }
}

unit_tests_valgrind() {
	make -C "$top/build" -s check TESTS='$(UNIT_TESTS)' \
		LOG_COMPILER=valgrind \
		LOG_FLAGS="-q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect --track-fds=no" \
		|| { cat "$top/build/test-suite.log"; return 1; }
}

install_check() {
	local stage_dir
	stage_dir=$(mktemp -d) || return 1
	make -C "$top/build" -s install DESTDIR="$stage_dir" >/dev/null &&
		"$stage_dir/usr/local/bin/walship" --version &&
		"$stage_dir/usr/local/bin/walshipd" --version &&
		[ -f "$stage_dir/usr/local/share/man/man5/walship.conf.5" ] &&
		[ -f "$stage_dir/usr/local/share/doc/walship/examples/walship.conf.sample" ]
	local rc=$?
	rm -rf "$stage_dir"
	return $rc
}

integration_tests() {
	local out
	out=$(mktemp)
	make -C "$top/$1" -s test/integration/s3_client >/dev/null || return 1
	WALSHIP="$top/$1/src/walship" WALSHIPD="$top/$1/src/walshipd" \
		S3_CLIENT="$top/$1/test/integration/s3_client" \
		bash "$top/test/integration/run.sh" 2>&1 | tee "$out"
	local rc=${PIPESTATUS[0]}
	local line
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$out" | tail -1)
	rm -f "$out"
	if [ -n "$line" ]; then
		passed=$((passed + $(echo "$line" | cut -d' ' -f1)))
		failed=$((failed + $(echo "$line" | cut -d' ' -f3)))
	else
		failed=$((failed + 1))
	fi
	return "$rc"
}

bootstrap
if [ "$mode" = demo ]; then
	WALSHIP="$top/build/src/walship" WALSHIPD="$top/build/src/walshipd" exec bash "$top/contrib/demo.sh"
fi

install_s3rver || { echo "setup: could not install s3rver" >&2; exit 1; }
stage "unit tests" unit_tests build
count_unit_logs "$top/build"
stage "unit tests under valgrind" unit_tests_valgrind
count_unit_logs "$top/build" no
stage "make install into a staging directory" install_check
stage "ASan/UBSan build" build build-asan --enable-sanitizers
stage "unit tests under ASan/UBSan" unit_tests build-asan
count_unit_logs "$top/build-asan"
stage "integration tests (real PostgreSQL 15)" integration_tests build
stage "integration tests, ASan/UBSan binaries" integration_tests build-asan

echo
if [ ${#stage_failures[@]} -gt 0 ]; then
	echo "failed stages: ${stage_failures[*]}"
	[ "$failed" -eq 0 ] && failed=${#stage_failures[@]}
fi
echo "total: $passed passed, $failed failed"
[ ${#stage_failures[@]} -eq 0 ] && [ "$failed" -eq 0 ]
