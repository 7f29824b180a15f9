#!/bin/sh
# A short libFuzzer run of one harness, as part of `make test`: the seed
# corpus in tests/fuzz/corpus/NAME plus FUZZ_SECONDS (default 10) of fuzzing.
set -u
h=$1
name=$(basename "$h" | sed 's/^fuzz_//')
seeds=tests/fuzz/corpus/$name
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
[ -d "$seeds" ] && cp -r "$seeds"/. "$work"/ 2>/dev/null
if "$h" -max_total_time="${FUZZ_SECONDS:-10}" -rss_limit_mb=2048 \
    -artifact_prefix="$work/" "$work" >"$work/log" 2>&1; then
	echo "ok 1 - $name: $(grep -Eo 'Done [0-9]+ runs' "$work/log" | tail -1)"
else
	cat "$work/log"
	echo "not ok 1 - $name: fuzzer found a failure"
fi
