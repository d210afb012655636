#!/bin/bash
#
# Command line and configuration handling, with no PostgreSQL running:
# version and help output, configuration file errors (exit 2, "file:line"),
# usage errors (exit 2), and which source of an option wins
# (command line > WALSHIP_* environment > file > default).
#
# Which pg-conninfo was used is seen from the connection error, which names
# the port: every port here is one nobody listens on, so check exits 3.
#
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

require_walship

# write_conf NAME LINE... — a configuration file in $WS_TMP; prints its path
write_conf() {
	local f=$WS_TMP/$1
	shift
	printf '%s\n' "$@" >"$f"
	echo "$f"
}

conninfo_for() {
	echo "host=127.0.0.1 port=$1 user=postgres dbname=postgres connect_timeout=5"
}

empty=$(write_conf empty.conf "# nothing here")

note "version and help"
expect_exit 0 "walship --version exits 0" -- walship --version
version=$(sed -n 's/^AC_INIT(\[walship\], *\[\([^]]*\)\].*/\1/p' "$WS_TOP/configure.ac")
is "$OUT" "walship $version" "--version prints 'walship $version' (configure.ac)"

expect_exit 0 "walship --help exits 0" -- walship --help
like "$OUT" 'check' "--help lists the check command"
expect_exit 0 "walship check --help exits 0" -- walship check --help
like "$OUT" -- '--json' "check --help shows --json"
like "$OUT" -- '--expect-role' "check --help shows --expect-role"

expect_exit 0 "walship help config exits 0" -- walship help config
for opt in stanza pg-data pg-conninfo repo-type repo-path log-level log-file \
	compress-type compress-level connect-timeout; do
	like "$OUT" "(^|[^a-z-])$opt([^a-z-]|\$)" "help config documents $opt"
done

note "configuration file errors"
f=$(write_conf unknown.conf \
	"# a configuration with a typo" \
	'stanza = "main";' \
	'foo = "bar";')
expect_exit 2 "unknown option in the file: exit 2" -- walship check --config "$f"
error_line_like "^walship: error: $(re_escape "$f"):3: unknown option \"foo\"" \
	"error names file:3 and the option"

f=$(write_conf badlevel.conf \
	"# comment" \
	'stanza = "main";' \
	"" \
	'repo-type = "posix";' \
	'log-level = "loud";')
expect_exit 2 "invalid log-level in the file: exit 2" -- walship check --config "$f"
error_line_like "^walship: error: $(re_escape "$f"):5: invalid value \"loud\" for option \"log-level\"" \
	"error names file:5, the value and the option"

f=$(write_conf timeout0.conf 'connect-timeout = 0;')
expect_exit 2 "connect-timeout = 0 (below 1): exit 2" -- walship check --config "$f"
error_line_like "$(re_escape "$f"):1: .*connect-timeout" "error names file:1 and connect-timeout"

f=$(write_conf timeoutbig.conf '# x' 'connect-timeout = 99999;')
expect_exit 2 "connect-timeout = 99999 (above 3600): exit 2" -- walship check --config "$f"
error_line_like "$(re_escape "$f"):2: .*connect-timeout" "error names file:2 and connect-timeout"

f=$(write_conf timeoutstr.conf 'connect-timeout = "ten";')
expect_exit 2 "connect-timeout = \"ten\": exit 2" -- walship check --config "$f"
error_line_like "$(re_escape "$f"):1: .*connect-timeout" "error names file:1 and connect-timeout"

f=$(write_conf compress.conf 'compress-type = "lz4";')
expect_exit 2 "compress-type = \"lz4\": exit 2" -- walship check --config "$f"
error_line_like "$(re_escape "$f"):1: invalid value \"lz4\" for option \"compress-type\"" \
	"error names the value and compress-type"

f=$(write_conf repotype.conf 'repo-type = "ftp";')
expect_exit 2 "repo-type = \"ftp\": exit 2" -- walship check --config "$f"
error_line_like "$(re_escape "$f"):1: invalid value \"ftp\" for option \"repo-type\"" \
	"error names the value and repo-type"

f=$(write_conf syntax.conf '# x' 'stanza = = "main";')
expect_exit 2 "a syntax error: exit 2" -- walship check --config "$f"
error_line_like "$(re_escape "$f"):2:" "error names file:2"

f=$(write_conf empty-but-valid.conf)
p_empty=$(free_port)
expect_exit 3 "an empty file is valid (then the connection fails: exit 3)" -- \
	walship check --config "$f" --pg-conninfo "$(conninfo_for "$p_empty")"

expect_exit 2 "a missing --config file: exit 2" -- \
	walship check --config "$WS_TMP/no-such-dir/walship.conf"
error_line_like "$(re_escape "$WS_TMP/no-such-dir/walship.conf")" "one-line error naming the file"

if [ -e /etc/walship/walship.conf ]; then
	skip "a missing default configuration file is not an error" \
		"/etc/walship/walship.conf exists on this machine"
else
	p_default=$(free_port)
	expect_exit 3 "a missing default configuration file is not an error (exit 3, not 2)" -- \
		walship check --pg-conninfo "$(conninfo_for "$p_default")"
fi

note "usage errors"
expect_exit 2 "unknown command: exit 2" -- walship frobnicate --config "$empty"
error_line_like 'frobnicate' "one-line error naming the command"

expect_exit 2 "unknown flag: exit 2" -- walship check --config "$empty" --no-such-flag
error_line_like 'no-such-flag' "one-line error naming the flag"

expect_exit 2 "unknown flag before the command: exit 2" -- walship --no-such-flag check --config "$empty"
error_line_like 'no-such-flag' "one-line error naming the flag"

# no command is a usage error; usage text on stderr is fine instead of one line
expect_exit 2 "no command: exit 2" -- walship --config "$empty"
like "$ERR" '[Uu]sage' "stderr shows the usage"
is "$OUT" "" "nothing on stdout"

expect_exit 2 "an option without its value: exit 2" -- walship check --config "$empty" --pg-conninfo
error_line_like 'pg-conninfo' "one-line error naming the option"

expect_exit 2 "--log-level=loud on the command line: exit 2" -- \
	walship check --config "$empty" --log-level=loud
error_line_like 'invalid value "loud" for option "log-level"' "one-line error naming value and option"

expect_exit 2 "--connect-timeout abc on the command line: exit 2" -- \
	walship check --config "$empty" --connect-timeout abc
error_line_like '"abc".*connect-timeout' "one-line error naming value and option"

WALSHIP_LOG_LEVEL=loud expect_exit 2 "WALSHIP_LOG_LEVEL=loud: exit 2" -- \
	walship check --config "$empty"
error_line_like '"loud".*(log-level|WALSHIP_LOG_LEVEL)' "one-line error naming value and option"

expect_exit 2 "--expect-role master: exit 2" -- walship check --config "$empty" --expect-role master
error_line_like 'master' "one-line error naming the value"

note "where pg-conninfo comes from"
p_file=$(free_port)
p_env=$(free_port)
p_cli=$(free_port)
f=$(write_conf conninfo.conf "pg-conninfo = \"$(conninfo_for "$p_file")\";")

expect_exit 3 "conninfo from the file" -- walship check --config "$f"
error_line_like "port.*$p_file" "the file's port is used"

WALSHIP_PG_CONNINFO=$(conninfo_for "$p_env") expect_exit 3 "conninfo from WALSHIP_PG_CONNINFO" -- \
	walship check --config "$empty"
error_line_like "port.*$p_env" "the environment's port is used"

WALSHIP_PG_CONNINFO=$(conninfo_for "$p_env") expect_exit 3 "environment and file" -- \
	walship check --config "$f"
error_line_like "port.*$p_env" "the environment wins over the file"
unlike "$ERR" "$p_file" "... the file's port is not mentioned"

WALSHIP_PG_CONNINFO=$(conninfo_for "$p_env") expect_exit 3 "command line, environment and file" -- \
	walship check --config "$f" --pg-conninfo "$(conninfo_for "$p_cli")"
error_line_like "port.*$p_cli" "the command line wins over environment and file"
unlike "$ERR" "($p_env|$p_file)" "... the other ports are not mentioned"

expect_exit 3 "command line and file (--name=value form)" -- \
	walship check --config "$f" "--pg-conninfo=$(conninfo_for "$p_cli")"
error_line_like "port.*$p_cli" "the command line wins over the file"

note "the same precedence for a value that is checked: log-level"
f=$(write_conf badlevel2.conf 'log-level = "info";')
WALSHIP_LOG_LEVEL=loud expect_exit 2 "a bad environment value beats a good file value" -- \
	walship check --config "$f"
error_line_like '"loud"' "the environment's value is the one rejected"
# (Whether a bad value that a higher source overrides is still an error is
# not part of the contract, so it is not tested.)
