#!/bin/sh
# Short libFuzzer runs of the harnesses named, as part of `make test`: each
# harness gets its seed corpus in tests/fuzz/corpus/NAME plus FUZZ_SECONDS
# (default 10) of fuzzing, one TAP line each, in the order given.  A run
# uses one CPU and nothing else, so FUZZ_JOBS of them (default: the CPUs)
# run side by side; each harness still gets its whole time.
set -u
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
jobs=${FUZZ_JOBS:-$(nproc 2>/dev/null || echo 1)}

# fuzz_one HARNESS N: fuzz it in $work/N, leaving the TAP line (and on a
# failure the fuzzer's log before it) in $work/N.tap.
fuzz_one() {
	_h=$1 _dir=$work/$2
	_name=$(basename "$_h" | sed 's/^fuzz_//')
	mkdir -p "$_dir/corpus"
	[ -d "tests/fuzz/corpus/$_name" ] &&
	    cp -r "tests/fuzz/corpus/$_name"/. "$_dir/corpus"/ 2>/dev/null
	if "$_h" -max_total_time="${FUZZ_SECONDS:-10}" -rss_limit_mb=2048 \
	    -artifact_prefix="$_dir/" "$_dir/corpus" >"$_dir/log" 2>&1; then
		echo "ok $2 - $_name: $(grep -Eo 'Done [0-9]+ runs' "$_dir/log" |
		    tail -1)" >"$_dir.tap"
	else
		{ sed 's/^/# /' "$_dir/log"
		  echo "not ok $2 - $_name: fuzzer found a failure (input in" \
		      "the log above)"; } >"$_dir.tap"
	fi
}

n=0
running=0
for h in "$@"; do
	n=$((n + 1))
	fuzz_one "$h" "$n" &
	running=$((running + 1))
	if [ "$running" -ge "$jobs" ]; then
		wait
		running=0
	fi
done
wait
echo "1..$n"
i=0
while [ "$i" -lt "$n" ]; do
	i=$((i + 1))
	if [ -f "$work/$i.tap" ]; then
		cat "$work/$i.tap"
	else
		echo "not ok $i - harness $i left no result (it was killed)"
	fi
done
