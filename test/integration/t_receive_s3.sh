#!/bin/bash
#
# walship receive into an S3 repository (s3rver): S3 cannot append, so the
# segment in progress lives in the local spool (spool-path/stanza/stream),
# fsynced, and each completed segment is uploaded as an object that
# archive-get turns back into the primary's own bytes; archive-get
# --partial serves the segment in progress from the spool.
#
# Needs: node and s3rver 3 (see t_archive_s3.sh). Without s3rver the script
# skips; with CI=true it fails instead.
#
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

require_walship
bin=$(walship_pg_bin) || die "no walship binary for postgres"
WALSHIP=$bin
# shellcheck source=lib_s3.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib_s3.sh"

pg_create_primary primary "wal_keep_size = '1GB'"
pgdata=$(pg_datadir primary)
mkdir -p "$WS_TMP/spool" "$WS_TMP/get" && chown postgres:postgres "$WS_TMP/spool" "$WS_TMP/get" ||
	die "no spool"
conf=$WS_TMP/s3.conf
{
	echo 'stanza = "recv";'
	echo "pg-conninfo = \"$(pg_conninfo primary)\";"
	s3_repo_conf
	cat <<EOF
spool-path = "$WS_TMP/spool";
log-level = "info";
EOF
} >"$conf"
chmod 644 "$conf"
expect_exit 0 "stanza-create on S3" -- walship_as_pg --config "$conf" stanza-create || die "no stanza"

pgbench_init primary 2
pg_sql primary "CREATE TABLE t AS SELECT g FROM generate_series(1, 100000) g" >/dev/null
last=$(pg_sql primary "SELECT pg_walfile_name(pg_switch_wal())")
pg_sql primary "INSERT INTO t VALUES (0)" >/dev/null
endpos=$(pg_sql primary "SELECT pg_current_wal_lsn()")
expect_exit 0 "receive --create-slot --endpos $endpos into S3 exits 0" -- \
	timeout 120 setpriv --reuid=postgres --regid=postgres --clear-groups -- \
	"$WALSHIP" --config "$conf" receive --create-slot --endpos "$endpos"
inprogress=$(find "$WS_TMP/spool/recv/stream" -name '*.partial' -printf '%f\n')
like "$inprogress" '^[0-9A-F]{24}\.partial$' "the segment in progress is in the spool ($inprogress)"

compare_stored "$conf" "$pgdata/pg_wal" '0*' "$last"
cmp_ok "$COMPARED" -ge 2 "$COMPARED segments to compare"
is "$MISMATCHED" "" "each segment uploaded to S3 comes back as the primary's bytes"
listed() {
	s3cmd_ ls "s3://$bucket/walship/recv/archive/15-1/${last:0:16}/" | grep -q "/$last\.ws\$"
}
ok "s3cmd lists $last's object" -- listed

seg=${inprogress%.partial}
expect_exit 1 "archive-get of the segment in progress exits 1 without --partial" -- \
	walship_as_pg --config "$conf" archive-get "$seg" "$WS_TMP/get/p"
expect_exit 0 "archive-get --partial serves it from the spool" -- \
	walship_as_pg --config "$conf" archive-get --partial "$seg" "$WS_TMP/get/p"
ok "... with the primary's bytes up to the end position" -- \
	cmp -s -n $((0x${endpos#*/} % (16 * 1024 * 1024))) "$WS_TMP/get/p" "$pgdata/pg_wal/$seg"
