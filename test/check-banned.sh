#!/bin/sh
# check-banned.sh — fail if the C sources call a function walship bans.
#
# These either cannot bound their output (strcpy, sprintf, gets ...), keep
# hidden state (strtok), or hide parse errors (atoi ...). Use ws_strlcpy,
# ws_snprintf/snprintf, ws_buf_*, strtok_r, ws_parse_int64 instead.
top=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
banned='strcpy|strcat|sprintf|vsprintf|gets|strtok|atoi|atol|atoll|atof|strncpy|strncat|tmpnam|tempnam|mktemp|alloca|system'
# Strip // and /* */ comment lines crudely: banned names in comments are fine.
hits=$(find "$top/src" "$top/test" -name '*.[ch]' -print0 |
	xargs -0 grep -nE "(^|[^A-Za-z0-9_])($banned)[[:space:]]*\(" |
	grep -vE ':[0-9]+:[[:space:]]*(\*|/\*|//)')
if [ -n "$hits" ]; then
	echo "banned functions used:"
	echo "$hits"
	echo "1..1"
	echo "not ok 1 - no banned functions"
	exit 1
fi
echo "1..1"
echo "ok 1 - no banned functions in src/ and test/"
