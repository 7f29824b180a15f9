#!/bin/sh
# `make fuzz`: every harness for FUZZ_SECONDS, keeping the grown corpus in
# tests/fuzz/corpus-work/NAME (ignored by git).
set -u
BUILD=${BUILD:-build}
for h in "$BUILD"/fuzz/fuzz_*; do
	name=$(basename "$h" | sed 's/^fuzz_//')
	dir=tests/fuzz/corpus-work/$name
	mkdir -p "$dir"
	[ -d tests/fuzz/corpus/$name ] && cp -rn tests/fuzz/corpus/$name/. "$dir"/
	echo "== $name for ${FUZZ_SECONDS}s"
	"$h" -max_total_time="$FUZZ_SECONDS" -rss_limit_mb=2048 "$dir" || exit 1
done
