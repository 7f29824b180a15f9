#!/bin/sh
# Import of a realistic-size synthetic package (4.1.7: seven images of
# 40-60 MB, about 350 MB) against its peer, the pair `bsdtar -xf` then
# `sha256sum` of every file, in the same run, on the same disk, from a warm
# page cache.  The import also fsyncs every file and folder; the peer is
# shown with and without a final `sync` so the durability cost is visible.
# Writes a markdown table to $1.  Target: import within 1.2x of the pair.
set -u
out=${1:?usage: bench-import.sh OUTPUT.md}
: "${TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${BUILD:=build}"
: "${ZTP_BIN:=$TOP/$BUILD/ztp-rescue}"
: "${SYNTH_BIN:=$TOP/$BUILD/ucs-synth}"
ROUNDS=${ROUNDS:-3}

for tool in bsdtar sha256sum; do
	command -v $tool >/dev/null 2>&1 || { echo "bench-import: $tool is missing" >&2; exit 1; }
done
work=$(mktemp -d "${TMPDIR:-/tmp}/bench-import.XXXXXX")
trap 'rm -rf "$work"' EXIT

"$SYNTH_BIN" --out "$work/synth" --size realistic --version 4.1.7 >/dev/null || exit 1
zip=$work/synth/Polycom_UC_Software_4_1_7_release_sig_split.zip
bytes=$(wc -c <"$zip" | tr -d ' ')
cat "$zip" >/dev/null	# warm: both sides read it from the page cache

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f\n", b - a }'; }
calc() { awk "BEGIN { printf \"%.3f\", $1 }"; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

: >"$work/t-import"; : >"$work/t-pair"; : >"$work/t-pair-sync"
i=0
while [ "$i" -lt "$ROUNDS" ]; do
	sync
	t0=$(now)
	"$ZTP_BIN" import --library "$work/lib" "$zip" >/dev/null || exit 1
	t1=$(now)
	elapsed "$t0" "$t1" >>"$work/t-import"
	rm -rf "$work/lib"; sync

	mkdir "$work/x"
	t0=$(now)
	bsdtar -xf "$zip" -C "$work/x" || exit 1
	find "$work/x" -type f -exec sha256sum {} + >/dev/null || exit 1
	t1=$(now)
	sync
	t2=$(now)
	elapsed "$t0" "$t1" >>"$work/t-pair"
	elapsed "$t0" "$t2" >>"$work/t-pair-sync"
	rm -rf "$work/x"; sync
	i=$((i + 1))
done

ti=$(median <"$work/t-import")
tp=$(median <"$work/t-pair")
ts=$(median <"$work/t-pair-sync")
mb=$(calc "$bytes / 1048576")
{
	echo "# Import benchmark"
	echo
	echo "Package: synthetic UC Software 4.1.7 split zip, $(printf '%.0f' "$mb") MB, 7 images"
	echo "(ucs-synth --size realistic). Median of $ROUNDS rounds, warm page cache,"
	echo "same disk, $(date -u +%Y-%m-%d), $(nproc) CPUs."
	echo
	echo "| what | seconds | MB/s | ratio to the pair |"
	echo "|---|---|---|---|"
	printf '| ztp-rescue import (hash, fsync, manifest, rename) | %.2f | %.0f | %.2f |\n' \
	    "$ti" "$(calc "$mb / $ti")" "$(calc "$ti / $tp")"
	printf '| bsdtar -xf + sha256sum of every file | %.2f | %.0f | 1.00 |\n' \
	    "$tp" "$(calc "$mb / $tp")"
	printf '| bsdtar -xf + sha256sum + sync | %.2f | %.0f | %.2f |\n' \
	    "$ts" "$(calc "$mb / $ts")" "$(calc "$ts / $tp")"
	echo
	echo "Target: import within 1.2x of bsdtar + sha256sum."
} >"$out"
cat "$out"
