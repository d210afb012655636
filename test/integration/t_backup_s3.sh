#!/bin/bash
#
# Backup and restore with an S3 repository (s3rver), encrypted: walship
# backup writes its objects into the bucket (s3cmd lists them), restore
# brings the cluster back through S3 and archive-get, pg_verifybackup
# accepts the directory and the rows match the primary's.
#
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

require_walship
bin=$(walship_pg_bin) || die "no walship binary for postgres"
WALSHIP=$bin
walship_detached_cleanup_at_exit
# shellcheck source=lib_s3.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib_s3.sh"

pg_create_primary primary "archive_mode = on" "archive_command = ''"
conninfo=$(pg_conninfo primary)
port=$(pg_port primary)
{
	echo 'stanza = "s3-backup";'
	echo "pg-conninfo = \"$conninfo\";"
	s3_repo_conf
	cat <<EOF2
repo-cipher-type = "aes-256-gcm";
repo-cipher-pass = "correct horse battery staple";
archive-timeout = 30;
process-max = 2;
log-level = "warn";
EOF2
} >"$WS_TMP/ws.conf"
chmod 644 "$WS_TMP/ws.conf"
expect_exit 0 "stanza-create in the bucket" -- walship_as_pg --config "$WS_TMP/ws.conf" stanza-create
pg_conf primary "archive_command = '$bin --config $WS_TMP/ws.conf archive-push %p'"
pg_reload primary || die "reload failed"
out=$(as_pg "$PG_BINDIR/pgbench" -i -s 2 -q -h "$WS_TMP" -p "$port" -U postgres postgres 2>&1) ||
	die "pgbench -i failed: $out"

run_cmd walship_as_pg --config "$WS_TMP/ws.conf" backup --checkpoint fast
is "$RC" 0 "backup into S3" || show_run
label=$(sed -n 's/^backup \([0-9F_-]*\):.*/\1/p' <<<"$OUT")
if [ "$have_s3cmd" -eq 1 ]; then
	s3cmd_ ls -r "s3://$bucket/walship/s3-backup/backup/$label/" >"$WS_TMP/ls" 2>&1
	like "$(cat "$WS_TMP/ls")" "s3://$bucket/walship/s3-backup/backup/$label/backup\.manifest$" \
		"s3cmd lists the backup's manifest"
	like "$(cat "$WS_TMP/ls")" "s3://$bucket/walship/s3-backup/backup/$label/pg_data/global/pg_control\.ws$" \
		"s3cmd lists its file objects"
fi
pg_sql primary "CREATE TABLE t AS SELECT 42 AS answer" >/dev/null
expect_exit 0 "the WAL after the backup is archived" -- walship_as_pg --config "$WS_TMP/ws.conf" check
want=$(pg_sql primary "SELECT sum(abalance) + count(*) FROM pgbench_accounts")

run_cmd walship_as_pg --config "$WS_TMP/ws.conf" restore --pgdata "$WS_TMP/r"
is "$RC" 0 "restore from S3" || show_run
ok "pg_verifybackup accepts it" -- as_pg "$PG_BINDIR/pg_verifybackup" -q -n "$WS_TMP/r"
pg_adopt r "$WS_TMP/r" "archive_mode = off" || die "restored cluster did not start"
pg_wait_for r "SELECT pg_is_in_recovery()" f 60 || fail "recovery did not end"
is "$(pg_sql r "SELECT answer FROM t")" 42 "the row written after the backup came back through archive-get"
is "$(pg_sql r "SELECT sum(abalance) + count(*) FROM pgbench_accounts")" "$want" "pgbench_accounts matches"
