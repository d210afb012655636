#!/bin/bash
#
# stanza-upgrade: after a cluster is replaced (pg_upgrade gives it a new
# system identifier), the stanza records the new cluster under a new
# archive id; WAL of the old cluster stays readable, the new cluster's WAL
# is accepted, and the old cluster's WAL is no longer accepted.
#
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

require_walship
bin=$(walship_pg_bin) || die "no walship binary for postgres"
repo=$WS_TMP/repo
as_pg mkdir -p "$repo" || die "no repository"

pg_create_primary old "wal_keep_size = '1GB'"
pg_create_primary new "wal_keep_size = '1GB'"

conf() {
	local f=$WS_TMP/$1.conf
	printf 'stanza = "main";\npg-conninfo = "%s";\nrepo-path = "%s";\n' "$(pg_conninfo "$1")" "$repo" >"$f"
	chmod 644 "$f"
	echo "$f"
}
old_conf=$(conf old)
new_conf=$(conf new)

# wpg ARGS... — walship as postgres, results in OUT, ERR and RC
wpg() { run_cmd as_pg timeout -k 5 "$WS_CMD_TIMEOUT" "$bin" "$@"; }

# a completed segment of cluster NAME, by name
switched_segment() {
	pg_sql "$1" "CREATE TABLE IF NOT EXISTS t AS SELECT 1 AS x" >/dev/null
	pg_sql "$1" "SELECT pg_walfile_name(pg_switch_wal())"
}

note "the old cluster archives into archive id 1"
wpg --config "$old_conf" stanza-create
is "$RC" 0 "stanza-create for the old cluster"
for _ in 1 2; do
	old_seg=$(switched_segment old)
	pg_sql old "INSERT INTO t VALUES (2)" >/dev/null
	wpg --config "$old_conf" archive-push "$(pg_datadir old)/pg_wal/$old_seg"
	is "$RC" 0 "old cluster's segment $old_seg archived"
done

note "stanza-upgrade records the new cluster"
wpg --config "$new_conf" archive-push "$(pg_datadir new)/pg_wal/$(switched_segment new)"
is "$RC" 1 "before the upgrade the new cluster's WAL is refused"
like "$ERR" "system identifier" "... naming the system identifier"
wpg --config "$new_conf" stanza-upgrade
is "$RC" 0 "stanza-upgrade exits 0"
like "$OUT" "upgraded.*archive id 2" "it reports archive id 2"
wpg --config "$new_conf" stanza-upgrade
is "$RC" 0 "a second stanza-upgrade is a no-op"
like "$OUT" "up to date" "... and says the stanza is up to date"

new_seg=$(switched_segment new)
wpg --config "$new_conf" archive-push "$(pg_datadir new)/pg_wal/$new_seg"
is "$RC" 0 "the new cluster's segment $new_seg is archived"
ok "... under archive/15-2" -- test -f "$repo/main/archive/15-2/${new_seg:0:16}/$new_seg.ws"

note "old WAL stays readable (a name only the old cluster has); old clusters may no longer push"
wpg --config "$new_conf" archive-get "$old_seg" "$WS_TMP/old.out"
is "$RC" 0 "archive-get finds the old cluster's segment under archive id 1"
ok "... byte-identical" -- cmp -s "$WS_TMP/old.out" "$(pg_datadir old)/pg_wal/$old_seg"
wpg --config "$old_conf" archive-push "$(pg_datadir old)/pg_wal/$(switched_segment old)"
is "$RC" 1 "the old cluster's new WAL is refused after the upgrade"

wpg --config "$new_conf" info --json
is "$RC" 0 "info --json"
like "$OUT" '"clusters":\[\{"id":1,.*\},\{"id":2,' "info lists both clusters"

