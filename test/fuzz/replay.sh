#!/bin/sh
# replay.sh — run the fuzz regression corpus through the WAL parsers
top=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
build=${top_builddir:-$top/build}
exec "$build/test/fuzz/fuzz_wal_replay" "$top"/test/fuzz/corpus/wal/*
