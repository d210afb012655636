#!/bin/bash
#
# walship check through password authentication (scram-sha-256) and TLS:
# the right password and sslmode=require/verify-full work, a wrong password,
# a missing one, a rejected plain connection and TLS against a server without
# it all exit 3 with one error line, and the password never shows up in any
# output.
#
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

require_walship

conf=$WS_TMP/walship.conf
echo "# empty" >"$conf"
secret='Sekr3t-pw-4711'

# ---------------------------------------------------------------------------
note "password authentication"
pg_create_primary primary
port=$(pg_port primary)
# A superuser, so that only authentication differs from the other tests.
pg_sql primary "CREATE ROLE walship_pw LOGIN SUPERUSER PASSWORD '$secret'" || die "CREATE ROLE failed"
is "$(pg_sql primary "SELECT rolpassword LIKE 'SCRAM-SHA-256\$%' FROM pg_authid WHERE rolname = 'walship_pw'")" t \
	"(setup) the password is stored as SCRAM"
pg_hba_prepend primary "host all walship_pw 127.0.0.1/32 scram-sha-256"
pg_reload primary || die "reload failed"
pw_conn="host=127.0.0.1 port=$port user=walship_pw dbname=postgres"
expect_exit 2 "(setup) psql without a password is refused" -- \
	as_pg "$PG_BINDIR/psql" -w -XAtq -d "$pw_conn" -c "SELECT 1"

expect_exit 0 "check with the right password: exit 0" -- \
	walship check --config "$conf" --pg-conninfo "$pw_conn password=$secret" --json
is "$(json_get primary "$OUT" role)" primary "... reached the primary"
unlike "$OUT$ERR" "$secret" "... and never prints the password"

expect_exit 0 "table output with the right password: exit 0" -- \
	walship check --config "$conf" --pg-conninfo "$pw_conn password=$secret" --log-level=trace
unlike "$OUT$ERR" "$secret" "... not even at log-level trace"

WALSHIP_PG_CONNINFO="$pw_conn password=$secret" expect_exit 0 "password in WALSHIP_PG_CONNINFO: exit 0" -- \
	walship check --config "$conf"
unlike "$OUT$ERR" "$secret" "... and never prints the password"

printf 'pg-conninfo = "%s";\n' "$pw_conn password=$secret" >"$WS_TMP/pw.conf"
expect_exit 0 "password in the configuration file: exit 0" -- \
	walship check --config "$WS_TMP/pw.conf"

expect_exit 3 "check with a wrong password: exit 3" -- \
	walship check --config "$conf" --pg-conninfo "$pw_conn password=wrong-$secret-x" --log-level=trace
error_line_like 'password authentication failed' "one-line error: password authentication failed"
unlike "$OUT$ERR" "$secret" "... without the password in it"

expect_exit 3 "check without a password: exit 3" -- \
	walship check --config "$conf" --pg-conninfo "$pw_conn"
error_line_like 'password' "one-line error about the missing password"

# ---------------------------------------------------------------------------
note "TLS"
if ! command -v openssl >/dev/null; then
	if [ "${CI:-}" = true ]; then
		fail "openssl is installed (apt-get install openssl)"
	else
		skip "TLS tests" "openssl is not installed"
	fi
	exit 0
fi

tls=$WS_TMP/tls
mkdir -p "$tls"
# the server's certificate is its own CA; the IP address is in subjectAltName
# so that sslmode=verify-full can check it
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
	-subj "/CN=127.0.0.1" -addext "subjectAltName=IP:127.0.0.1" \
	-keyout "$tls/server.key" -out "$tls/server.crt" >"$tls/openssl.log" 2>&1 ||
	die "openssl could not make a certificate: $(cat "$tls/openssl.log")"
# and an unrelated one, to be the wrong root
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
	-subj "/CN=someone else" -keyout "$tls/other.key" -out "$tls/other.crt" >>"$tls/openssl.log" 2>&1 ||
	die "openssl could not make a certificate: $(cat "$tls/openssl.log")"
chmod 600 "$tls/server.key"
[ "$WS_IS_ROOT" -eq 1 ] && chown -R postgres:postgres "$tls"

pg_create_primary tlsprimary "ssl = on" \
	"ssl_cert_file = '$tls/server.crt'" "ssl_key_file = '$tls/server.key'"
# plain connections over TCP are refused, so success proves TLS was used
pg_hba_prepend tlsprimary "hostnossl all all 127.0.0.1/32 reject"
pg_reload tlsprimary || die "reload failed"
is "$(pg_sql tlsprimary "SHOW ssl")" on "(setup) ssl is on"
tls_conn=$(pg_conninfo tlsprimary)

expect_exit 0 "sslmode=require: exit 0" -- \
	walship check --config "$conf" --pg-conninfo "$tls_conn sslmode=require" --json
json=$OUT
is "$(json_get tlsprimary "$json" role)" primary "... reached the server"
like "$(json_get tlsprimary "$json" status)" '^(ok|warning)$' "... status ok or warning"
is "$(json_sql tlsprimary "$json" "(SELECT count(*) FROM jsonb_array_elements(j->'checks') c
	WHERE c->>'level' = 'error')")" 0 "... no check is an error"
is "$(json_get tlsprimary "$json" tls)" true "... and the JSON says TLS was used"
unlike "$ERR" '(error|ERROR|FATAL)' "... no error on stderr"
unlike "$ERR" '(SSL|TLS|[Cc]ertificate)' "... nor any complaint about TLS"

expect_exit 0 "sslmode=verify-full with the server's certificate as root: exit 0" -- \
	walship check --config "$conf" --pg-conninfo "$tls_conn sslmode=verify-full sslrootcert=$tls/server.crt"
unlike "$ERR" '(error|ERROR)' "... no error on stderr"

expect_exit 3 "sslmode=verify-full with the wrong root certificate: exit 3" -- \
	walship check --config "$conf" --pg-conninfo "$tls_conn sslmode=verify-full sslrootcert=$tls/other.crt"
error_line_like 'certificate' "one-line error about the certificate"

expect_exit 3 "sslmode=disable is refused by pg_hba.conf: exit 3" -- \
	walship check --config "$conf" --pg-conninfo "$tls_conn sslmode=disable"
error_line_like 'pg_hba.conf' "one-line error naming pg_hba.conf"

is "$(pg_sql primary "SHOW ssl")" off "(setup) ssl is off on the first server"
expect_exit 3 "sslmode=require against a server without TLS: exit 3" -- \
	walship check --config "$conf" --pg-conninfo "$(pg_conninfo primary) sslmode=require"
error_line_like 'SSL' "one-line error about SSL"
