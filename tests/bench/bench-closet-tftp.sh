#!/bin/sh
# The TFTP closet: the 48-phone closet of bench-closet.sh with every phone
# over TFTP at 512-byte blocks (plain RFC 1350 requests) through the same
# shaped veth, as a ratio to the wire bound.  Root only.  Writes a markdown
# table to $1 and stdout.
#
#   sh tests/bench/bench-closet-tftp.sh out.md
: "${TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
BENCH_PROTO=tftp BENCH_MANY=0 BENCH_TFTP_CLIENT=${BENCH_TFTP_CLIENT:-plain} BENCH_FSYNC_MS=0 \
    exec sh "$TOP/tests/bench/bench-closet.sh" "$@"
