#!/bin/sh
# The journal on a slow USB stick: the 48-phone closet of bench-closet.sh
# with every fsync of the state directory 20 ms slower (tests/bench/
# slow-fsync.c), every journal write committed alone (as before the journal
# grouped them) and grouped, as ratios to the wire bound.  BENCH_OLD_BIN
# adds a run of an older daemon.  Writes a markdown table to $1 and stdout.
#
#   BENCH_FSYNC_MS=20 BENCH_OLD_BIN=/path/to/old/ztp-rescue sh tests/bench/bench-journal.sh out.md
: "${TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
BENCH_FSYNC_MS=${BENCH_FSYNC_MS:-20} BENCH_MANY=0 BENCH_JOURNAL=1 \
    exec sh "$TOP/tests/bench/bench-closet.sh" "$@"
