#!/bin/sh
# `make bench`: every tests/bench/bench-*.sh in turn.  Each benchmark measures
# ZTP Rescue against its named peer in the same run, prints its table, and
# writes it to docs/benchmarks/NAME.md.  Benchmarks never fail on a figure;
# they fail only when they could not run.  ONLY=pattern picks some.
set -u
BUILD=${BUILD:-build}
TOP=$(cd "$(dirname "$0")/../.." && pwd)
export BUILD TOP
export ZTP_BIN="$TOP/$BUILD/ztp-rescue"
export PHONESIM_BIN="$TOP/$BUILD/phonesim"
export SYNTH_BIN="$TOP/$BUILD/ucs-synth"
mkdir -p "$TOP/docs/benchmarks"
status=0
for b in "$TOP"/tests/bench/bench-*.sh; do
	[ -f "$b" ] || continue
	name=$(basename "$b" .sh | sed 's/^bench-//')
	case "$name" in *${ONLY:-}*) ;; *) continue ;; esac
	echo "== $name"
	if ! sh "$b" "$TOP/docs/benchmarks/$name.md"; then
		echo "benchmark $name could not run" >&2
		status=1
	fi
done
exit $status
