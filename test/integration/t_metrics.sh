#!/bin/bash
#
# walshipd serves Prometheus metrics on metrics-listen: with a primary and
# one streaming standby, GET /metrics answers 200 in the text exposition
# format (every sample line "name{labels} number"), walship_up 1, the
# standby in walship_replication_lag_bytes and in the histogram
# walship_replication_lag_seconds, whose counts grow between scrapes and
# whose buckets never decrease; other paths are 404, other methods 405; a
# client that sends nothing delays no other; with the primary stopped the
# metrics say walship_up 0 within seconds; SIGHUP moves the endpoint to a
# new port; SIGTERM stops walshipd with status 0 and closes the port. A bad
# metrics-listen or a port in use stops walshipd at start with status 2.
#
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

require_walshipd
command -v curl >/dev/null || die "curl is needed (contrib/setup.sh test installs it)"

pg_create_primary primary
pg_create_standby s1 primary
mport=$(free_port)
conf=$WS_TMP/walshipd.conf
{
	echo 'stanza = "main";'
	echo "pg-conninfo = \"$(pg_conninfo primary)\";"
	echo "metrics-listen = \"127.0.0.1:$mport\";"
	echo 'log-level = "info";'
} >"$conf"

# port_open PORT — something accepts connections on 127.0.0.1:PORT
port_open() {
	(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

port_closed() {
	! port_open "$1"
}

# scrape [CURL_ARG...] [PATH] — request http://127.0.0.1:$mport PATH
# (default /metrics); sets CODE and CTYPE, the body is in $WS_TMP/body
CODE=
CTYPE=
scrape() {
	local path=/metrics out
	if [ $# -gt 0 ] && [[ ${!#} == /* ]]; then
		path=${!#}
		set -- "${@:1:$(($# - 1))}"
	fi
	rm -f "$WS_TMP/body"
	out=$(curl -sS -m 5 -o "$WS_TMP/body" -w '%{http_code} %{content_type}' "$@" \
		"http://127.0.0.1:$mport$path" 2>"$WS_TMP/curl.err")
	CODE=${out%% *}
	CTYPE=${out#* }
}

# up_is N — a scrape says walship_up N
up_is() {
	scrape && [ "$CODE" = 200 ] && grep -qx "walship_up $1" "$WS_TMP/body"
}

# value FILE SERIES — the value of the sample SERIES (name and labels, exactly)
value() {
	awk -v s="$2" '$1 == s { print $2 }' "$1"
}

count_series='walship_replication_lag_seconds_count{standby="s1"}'

note "configuration errors at start"
expect_exit 2 "a metrics-listen without a port: exit 2" -- \
	walshipd --config "$conf" --metrics-listen=localhost
like "$ERR" 'invalid value "localhost" for option "metrics-listen": no port' "... the error names the option"
is "$(printf '%s\n' "$ERR" | grep -c .)" 1 "... on one line"
expect_exit 2 "a metrics-listen that is not an address: exit 2" -- \
	walshipd --config "$conf" --metrics-listen=db.example.com:9187
like "$ERR" '"db.example.com" is not an IP address' "... says why"
pgport=$(pg_port primary)
expect_exit 2 "a port in use (the primary's): exit 2" -- \
	walshipd --config "$conf" --metrics-listen="127.0.0.1:$pgport"
like "$ERR" "^walshipd: error: could not listen for metrics on \"127.0.0.1:$pgport\": Address already in use\$" \
	"... the error names the address and the reason"

note "walshipd with metrics-listen = 127.0.0.1:$mport"
bg_start walshipd "$WALSHIPD" --config "$conf"
pid=$BG_PID
ok "walshipd logs where it serves metrics" -- \
	wait_for_log "$WS_TMP/walshipd.err" "INFO +metrics: serving metrics on http://127.0.0.1:$mport/metrics" 10 ||
	die "walshipd did not start: $(tail -n 5 "$WS_TMP/walshipd.err")"
ok "walship_up 1 within 10 s" -- wait_until 10 -- up_is 1
scrape
is "$CODE" 200 "GET /metrics: HTTP 200"
is "$CTYPE" "text/plain; version=0.0.4; charset=utf-8" "... Content-Type text/plain; version=0.0.4"
cp "$WS_TMP/body" "$WS_TMP/scrape1"
bad=$(awk '!/^#/ && !/^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[^}]*\})? -?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?$/' "$WS_TMP/scrape1")
is "$bad" "" "every sample line is name{labels} number"
like "$(cat "$WS_TMP/scrape1")" '^# TYPE walship_up gauge$' "... with HELP and TYPE comments"
like "$(cat "$WS_TMP/scrape1")" '^walship_in_recovery 0$' "the server is a primary"
like "$(cat "$WS_TMP/scrape1")" '^walship_replication_lag_bytes\{standby="s1",kind="replay"\} [0-9]+$' \
	"s1 is in walship_replication_lag_bytes"
like "$(cat "$WS_TMP/scrape1")" '^# TYPE walship_replication_lag_seconds histogram$' "the histogram is typed histogram"
is "$(grep -c '^walship_replication_lag_seconds_bucket{standby="s1",le="' "$WS_TMP/scrape1")" 14 \
	"s1 has 14 buckets in walship_replication_lag_seconds"
is "$(grep -o 'le="[^"]*"' "$WS_TMP/scrape1" | tr '\n' ' ')" \
	'le="0.005" le="0.01" le="0.025" le="0.05" le="0.1" le="0.25" le="0.5" le="1" le="2.5" le="5" le="10" le="30" le="60" le="+Inf" ' \
	"... with the documented bounds, in order"
like "$(cat "$WS_TMP/scrape1")" '^walship_replication_lag_seconds_sum\{standby="s1"\} [0-9]+\.[0-9]{3}$' "... a _sum"
c1=$(value "$WS_TMP/scrape1" "$count_series")
like "$c1" '^[0-9]+$' "... and a _count ($c1)"
is "$(value "$WS_TMP/scrape1" 'walship_replication_lag_seconds_bucket{standby="s1",le="+Inf"}')" "$c1" \
	"the +Inf bucket equals _count"
nondecreasing=$(awk '/^walship_replication_lag_seconds_bucket\{standby="s1"/ {
		if (seen && $2 < prev) bad = 1; prev = $2; seen = 1 }
	END { print (seen && !bad) ? "yes" : "no" }' "$WS_TMP/scrape1")
is "$nondecreasing" yes "the buckets never decrease as le grows"

sleep 3
scrape
cp "$WS_TMP/body" "$WS_TMP/scrape2"
c2=$(value "$WS_TMP/scrape2" "$count_series")
cmp_ok "$c2" -ge $((c1 + 2)) "_count grew from $c1 to $c2 in 3 s (a sample a second)"

note "other requests"
scrape /other
is "$CODE" 404 "GET /other: 404"
scrape -X POST -d x
is "$CODE" 405 "POST /metrics: 405"
scrape -I
is "$CODE" 200 "HEAD /metrics: 200"
scrape --request-target no-slash
is "$CODE" 400 "a malformed request line: 400"

exec 7<>"/dev/tcp/127.0.0.1/$mport"
t0=$EPOCHREALTIME
scrape
t=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.2f", b - a }')
is "$CODE" 200 "with a client connected that sends nothing, another is answered"
ok "... at once ($t s)" -- awk -v t="$t" 'BEGIN { exit !(t < 1) }'
exec 7>&-

note "the primary stops"
pg_stop primary || die "could not stop the primary"
t0=$EPOCHREALTIME
ok "walship_up 0 within 5 s" -- wait_until 5 -- up_is 0
note "after $(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }') s"
like "$(cat "$WS_TMP/body")" '^walship_health 2$' "walship_health 2 (critical)"
like "$(cat "$WS_TMP/body")" "^$(re_escape "$count_series") [0-9]+\$" "the histogram's counts are still served"
ok "walshipd is still running" -- bg_alive walshipd
pg_start primary || die "could not start the primary again"
ok "walship_up 1 again once the primary is back" -- wait_until 20 -- up_is 1

note "SIGHUP with another metrics-listen"
old=$mport
mport=$(free_port)
sed -i "s/^metrics-listen = .*/metrics-listen = \"127.0.0.1:$mport\";/" "$conf"
kill -HUP "$pid"
ok "the new port serves walship_up 1 within 10 s" -- wait_until 10 -- up_is 1
ok "the old port is closed" -- wait_until 5 -- port_closed "$old"

note "SIGTERM"
kill -TERM "$pid"
ok "walshipd exits within 10 s" -- bg_wait walshipd 10
is "$RC" 0 "... with status 0"
ok "the metrics port is closed" -- port_closed "$mport"
unlike "$(cat "$WS_TMP/walshipd.err")" 'ERROR' "no errors logged"
