#!/bin/sh
# replay.sh — run the fuzz regression corpora through their parsers (TAP)
top=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
build=${top_builddir:-$top/build}
echo "1..3"
"$build/test/fuzz/fuzz_wal_replay" "$top"/test/fuzz/corpus/wal/* &&
	"$build/test/fuzz/fuzz_repo_replay" "$top"/test/fuzz/corpus/repo/* &&
	"$build/test/fuzz/fuzz_http_replay" "$top"/test/fuzz/corpus/http/*
