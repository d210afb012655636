#!/bin/bash
#
# run.sh — run walship's integration tests
#
#     test/integration/run.sh                      # every t_*.sh
#     test/integration/run.sh t_check_down.sh ...  # some of them
#
# Each script runs in its own process under a time limit (WS_TEST_TIMEOUT
# seconds, default 300) and its TAP output is shown as it comes. The last
# line is "N passed, N failed", counting assertions; a script that dies, or
# exits non-zero without a failed assertion, counts as one failure. Exits 1
# if anything failed.
#
# Environment passed on to the tests: WALSHIP, WALSHIPD, PG_BINDIR,
# WALSHIP_KEEP_TMP (see lib.sh).

set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
limit=${WS_TEST_TIMEOUT:-300}

tests=()
if [ $# -eq 0 ]; then
	tests=("$here"/t_*.sh)
	[ -e "${tests[0]}" ] || {
		echo "run.sh: no t_*.sh in $here" >&2
		exit 1
	}
else
	for t in "$@"; do
		if [ -f "$t" ]; then
			tests+=("$t")
		elif [ -f "$here/$t" ]; then
			tests+=("$here/$t")
		elif [ -f "$here/$t.sh" ]; then
			tests+=("$here/$t.sh")
		else
			echo "run.sh: no test \"$t\"" >&2
			exit 2
		fi
	done
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/walship-run.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT

interrupted=0
on_signal() {
	interrupted=1
	# the test runs in timeout's process group: TERM reaches it and its
	# children, and the test's own EXIT trap cleans up
	[ -s "$work/pid" ] && kill -TERM "$(cat "$work/pid")" 2>/dev/null
}
trap on_signal INT TERM

total_pass=0
total_fail=0
total_skip=0
summary=()

for t in "${tests[@]}"; do
	name=$(basename "$t")
	log=$work/log
	: >"$work/pid"
	echo "# ---- $name"
	start=$(date +%s.%N)
	{
		trap '' INT
		timeout -k 10 "$limit" bash "$t" </dev/null 2>&1 &
		echo $! >"$work/pid"
		wait $!
		echo $? >"$work/rc"
	} | (
		trap '' INT TERM
		exec tee "$log"
	) &
	job=$!
	# wait returns early when a trapped signal arrives: wait again
	while ! wait "$job"; do
		kill -0 "$job" 2>/dev/null || break
	done
	elapsed=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }')

	rc=$(cat "$work/rc" 2>/dev/null || echo 255)
	pass=$(grep -cE '^ok [0-9]+' "$log")
	fail=$(grep -cE '^not ok [0-9]+' "$log")
	skip=$(grep -cE '^ok [0-9]+.*# [Ss][Kk][Ii][Pp]' "$log")
	status=ok
	if [ "$rc" -ne 0 ]; then
		status="FAILED (exit $rc)"
		[ "$rc" -eq 124 ] && status="FAILED (timed out after ${limit}s)"
		if [ "$fail" -eq 0 ]; then
			echo "not ok - $name died: $status"
			fail=1
		fi
	elif [ "$fail" -gt 0 ]; then
		status=FAILED
	elif [ "$pass" -eq 0 ]; then
		status="FAILED (no tests ran)"
		echo "not ok - $name ran no tests"
		fail=1
	fi
	echo "# $name: ${elapsed}s, $pass passed, $fail failed"
	summary+=("$(printf '%-28s %7ss  %3d passed  %3d failed  %s' "$name" "$elapsed" "$pass" "$fail" "$status")")
	total_pass=$((total_pass + pass))
	total_fail=$((total_fail + fail))
	total_skip=$((total_skip + skip))
	if [ "$interrupted" -eq 1 ]; then
		echo "# interrupted: not running the remaining tests"
		total_fail=$((total_fail + 1))
		break
	fi
done

echo "# ---- summary"
printf '# %s\n' "${summary[@]}"
[ "$total_skip" -gt 0 ] && echo "# ($total_skip of the passed tests were skipped)"
echo "$total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ]
