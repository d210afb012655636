#!/bin/sh
# check-docs.sh — the option list of walship.conf(5) and etc/walship.conf.sample
# must be exactly what the option table generates. With --update, rewrite them.
top=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
build=${top_builddir:-$top/build}
walship=${WALSHIP:-$build/src/walship}
man="$top/man/walship.conf.5"
sample="$top/etc/walship.conf.sample"
begin='.\\" BEGIN GENERATED OPTIONS'
end='.\\" END GENERATED OPTIONS'
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT

"$walship" help config --man >"$tmp/options.man" || exit 1
"$walship" help config --sample >"$tmp/sample" || exit 1
# the man page with its generated block replaced by the fresh one
awk -v b="$begin" -v e="$end" -v f="$tmp/options.man" '
	$0 == b { print; while ((getline l < f) > 0) print l; skip = 1; next }
	$0 == e { skip = 0 }
	!skip { print }' "$man" >"$tmp/man"

if [ "${1:-}" = "--update" ]; then
	cp "$tmp/man" "$man" && cp "$tmp/sample" "$sample"
	echo "updated $man and $sample"
	exit 0
fi
echo "1..3"
n=0; failed=0
check() {
	n=$((n + 1))
	if "$@" >"$tmp/out" 2>&1; then echo "ok $n - $desc"
	else echo "not ok $n - $desc"; sed 's/^/# /' "$tmp/out"; failed=1; fi
}
desc="walship.conf(5) has the generated block markers"; check grep -qF "$(printf '%s' "$begin" | sed 's/\\\\/\\/')" "$man"
desc="walship.conf(5) option list matches the option table (make update-docs)"; check diff -u "$man" "$tmp/man"
desc="etc/walship.conf.sample matches the option table (make update-docs)"; check diff -u "$sample" "$tmp/sample"
exit $failed
