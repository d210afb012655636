# bench/lib.sh — what the benchmarks share: a temporary root owned by
# postgres, running commands as postgres, waiting for detached workers,
# medians and ratios, and the machine line. Sourced after the script sets
# BENCH (its name, for messages), KEEP, PG_BINDIR and WS_BIN.
#
# shellcheck shell=bash

die() {
	echo "$BENCH bench: $*" >&2
	exit 1
}

# Options must come from the script only: walship reads WALSHIP_*,
# pgBackRest PGBACKREST_*, libpq PG*.
bench_clean_env() {
	local v
	for v in $(compgen -e); do
		case $v in
			WALSHIP_* | PGBACKREST_* | PG*) unset "$v" ;;
		esac
	done
	export LC_ALL=C TZ=UTC
}

# The temporary root T, owned by postgres, removed at exit unless KEEP=1;
# PGDATA_DIR is stopped there too.
bench_make_root() {
	T=$(mktemp -d /tmp/walship-bench.XXXXXXXX) || die "mktemp failed"
	chmod 755 "$T"
	chown postgres:postgres "$T"
	PGDATA_DIR=$T/pg
	PORT=5432 # the socket lives in $T, so no other server can collide
	trap bench_cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
}

# Pids of processes holding a lock (flock or lockf) on a *.lock file under DIR:
# walship's and pgBackRest's detached workers, which outlive the command.
lock_holders() {
	local f key
	while IFS= read -r f; do
		key=$(stat -c '%Hd %Ld %i' "$f" 2>/dev/null) || continue
		# shellcheck disable=SC2086 # split into major, minor, inode
		key=$(printf '%02x:%02x:%s' $key)
		awk -v k="$key" '{ for (i = 2; i <= NF; i++) if ($i == k) print $(i - 1) }' /proc/locks
	done < <(find "$1" -name '*.lock' -type f 2>/dev/null)
}

# wait_workers DIR... — until no lock under DIRs is held (three checks in a
# row, so that a worker started by the last call is seen too)
wait_workers() {
	local quiet=0 i d held
	for ((i = 0; i < 600 && quiet < 3; i++)); do
		held=
		for d in "$@"; do
			held+=$(lock_holders "$d")
		done
		if [ -z "$held" ]; then
			quiet=$((quiet + 1))
		else
			quiet=0
		fi
		sleep 0.1
	done
	[ "$quiet" -ge 3 ] || echo "warning: workers still hold locks under $*" >&2
}

bench_cleanup() {
	local rc=$? pid
	trap '' INT TERM
	if [ -f "$PGDATA_DIR/postmaster.pid" ]; then
		as_pg "$PG_BINDIR/pg_ctl" -D "$PGDATA_DIR" -m immediate -w stop >/dev/null 2>&1
	fi
	# workers we started (by pid, found through their lock files)
	for pid in $(lock_holders "$T" | sort -u); do
		kill -TERM "$pid" 2>/dev/null
	done
	if [ "$KEEP" = 1 ]; then
		echo "kept $T"
	else
		rm -rf "$T"
	fi
	exit "$rc"
}

# as_pg CMD... — run as postgres (setpriv execs: no extra process), from $T
as_pg() {
	(cd "$T" && exec setpriv --reuid=postgres --regid=postgres --init-groups -- "$@")
}

psql_pg() {
	as_pg "$PG_BINDIR/psql" -XAtq -v ON_ERROR_STOP=1 -h "$T" -p "$PORT" -U postgres -d postgres -c "$1"
}

median() {
	tr ' ' '\n' <<<"$1" | grep . | sort -g |
		awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else printf "-" }'
}

print_machine() {
	echo "machine:   $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')," \
		"$(awk '/MemTotal/ { printf "%.0f GB", $2 / 1048576 }' /proc/meminfo), kernel $(uname -r)," \
		"$(df --output=fstype "$T" | tail -n 1) at $T"
	echo "versions:  $("$WS_BIN" version), $(pgbackrest version)," \
		"$("$PG_BINDIR/postgres" --version), $(zstd --version | sed 's/^\*\*\* //; s/,.*//'), $(gzip --version | head -n 1)"
}
