#!/bin/sh
# Runs every test suite and prints one summary line per suite and a final
# "N passed, N failed" line; exits non-zero when anything failed.
#
# A suite speaks TAP on stdout: "ok N - what", "not ok N - what", and
# "ok N # SKIP why"; "not ok N - what # TODO why" is a known defect with a
# test that fails until it is fixed: told, not counted as a failure.  cmocka suites are switched to TAP by
# CMOCKA_MESSAGE_OUTPUT; shell suites use tests/lib.sh.  A suite that exits
# non-zero without reporting a failure counts one failure (it crashed).
#
# Suites: unit tests (build/san/tests/test_*), the fuzz smoke runs, then
# tests/integration/*.sh.  ONLY=pattern runs the suites whose name matches.
set -u
BUILD=${BUILD:-build}
TOP=$(cd "$(dirname "$0")/.." && pwd)
cd "$TOP" || exit 1
LOGS=$BUILD/test-logs
rm -rf "$LOGS"
mkdir -p "$LOGS"
export BUILD TOP
export ZTP_BIN="$TOP/$BUILD/san/ztp-rescue"
export PHONESIM_BIN="$TOP/$BUILD/san/phonesim"
export SYNTH_BIN="$TOP/$BUILD/ucs-synth"
# Freed memory is overwritten: a read of it inside a library ASan does not
# instrument (libjansson, libevent) then sees garbage, not the old bytes.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:max_free_fill_size=4096:free_fill_byte=255}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export CMOCKA_MESSAGE_OUTPUT=TAP

# Every suite's temporary files go in one directory of this run, removed at
# its end, so that no run can fill the disk (CI's included).  A suite that
# leaves something there is named, not failed: a daemon may still be
# writing as it stops.  Mode 1777, as /tmp: suites run programs as nobody.
RUN_TMP=$(mktemp -d "${TMPDIR:-/tmp}/ztp-run.XXXXXX") || exit 1
chmod 1777 "$RUN_TMP"
trap 'rm -rf "$RUN_TMP"' EXIT
trap 'exit 130' INT TERM
export TMPDIR="$RUN_TMP"

total_pass=0
total_fail=0
total_skip=0
failed_suites=""

run_suite() {
	name=$1; shift
	case "$name" in *${ONLY:-}*) ;; *) return ;; esac
	log="$LOGS/$name.log"
	start=$(date +%s)
	"$@" >"$log" 2>&1
	rc=$?
	secs=$(( $(date +%s) - start ))
	pass=$(grep -c '^ok ' "$log" | tr -d ' ')
	skip=$(grep -c '^ok .*# *SKIP' "$log" | tr -d ' ')
	todo=$(grep -c '^not ok .*# *TODO' "$log" | tr -d ' ')
	fail=$(grep -c '^not ok ' "$log" | tr -d ' ')
	fail=$((fail - todo))
	pass=$((pass - skip))
	if [ "$rc" -ne 0 ] && [ "$fail" -eq 0 ]; then
		echo "not ok - $name exited with status $rc" >>"$log"
		fail=1
	fi
	if [ "$skip" -gt 0 ]; then
		printf '%s: %d passed, %d failed, %d skipped (%ss)\n' "$name" \
		    "$pass" "$fail" "$skip" "$secs"
	else
		printf '%s: %d passed, %d failed (%ss)\n' "$name" "$pass" \
		    "$fail" "$secs"
	fi
	left=$(ls -A "$RUN_TMP")
	if [ -n "$left" ]; then
		printf '%s: left in its TMPDIR (removed): %s\n' "$name" \
		    "$(echo "$left" | head -5 | tr '\n' ' ')"
		find "$RUN_TMP" -mindepth 1 -maxdepth 1 -exec rm -rf {} +
	fi
	if [ "$todo" -gt 0 ]; then
		printf '%s: %d known defects still fail (TODO):\n' "$name" \
		    "$todo"
		grep '^not ok .*# *TODO' "$log" | sed 's/^/    /'
	fi
	total_pass=$((total_pass + pass))
	total_fail=$((total_fail + fail))
	total_skip=$((total_skip + skip))
	if [ "$fail" -gt 0 ]; then
		failed_suites="$failed_suites $name"
		echo "---- $log (failures and the 40 lines before the end) ----"
		grep -E '^not ok|ERROR|error:|runtime error|Sanitizer' "$log" | head -20
		tail -40 "$log"
		echo "----"
	fi
}

for t in "$BUILD"/san/tests/test_*; do
	[ -x "$t" ] || continue
	run_suite "unit-$(basename "$t" | sed 's/^test_//')" "$t"
done

# One suite for every harness: smoke.sh runs them side by side.
set --
for f in "$BUILD"/fuzz/fuzz_*; do
	[ -x "$f" ] && set -- "$@" "$f"
done
[ $# -gt 0 ] && run_suite fuzz sh tests/fuzz/smoke.sh "$@"

# Files named *-lib.sh are helpers that suites source, not suites.
for s in tests/integration/*.sh; do
	[ -f "$s" ] || continue
	case "$s" in *-lib.sh) continue ;; esac
	run_suite "$(basename "$s" .sh)" sh "$s"
done

echo
if [ -n "$failed_suites" ]; then
	echo "failed suites:$failed_suites (logs in $LOGS/)"
fi
if [ "$total_skip" -gt 0 ]; then
	echo "total: $total_pass passed, $total_fail failed, $total_skip skipped"
else
	echo "total: $total_pass passed, $total_fail failed"
fi
[ "$total_fail" -eq 0 ] && [ "$total_pass" -gt 0 ]
