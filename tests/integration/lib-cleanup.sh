#!/bin/sh
# tests/lib.sh itself: what a suite makes with t=$(make_tmpdir) is removed
# when the suite ends, whether it passes, fails or is stopped (TERM).  The
# call runs in a subshell, so a cleanup registered there alone never ran:
# every suite left its directories in /tmp.
. "$TOP/tests/lib.sh"

t=$(make_tmpdir)
# A suite in miniature: two directories, a file in each, its own exit code.
cat >"$t/suite.sh" <<'SUITE'
. "$TOP/tests/lib.sh"
a=$(make_tmpdir)
b=$(make_tmpdir)
echo data >"$a/file"
echo data >"$b/file"
echo "$a $b" >"$OUT"
if [ "${STOP:-}" = yes ]; then
	sleep 60 &
	echo $! >"$OUT.sleep"
	echo ready >"$OUT.ready"
	wait	# a trapped TERM ends the wait, not only the sleep
fi
exit 3
SUITE

gone() { test ! -e "$1"; }
OUT="$t/made" TMPDIR="$t" sh "$t/suite.sh" >/dev/null
check_eq "the suite's exit status is its own" 3 "$?"
read -r a b <"$t/made"
check "it made two directories" test -n "$a" -a -n "$b"
check "the first is gone once it ended" gone "$a"
check "and the second" gone "$b"
check_eq "and nothing else of it is left (the list of them included)" \
    "made suite.sh" \
    "$(ls "$t" | tr '\n' ' ' | sed 's/ $//')"

rm -f "$t/made"
OUT="$t/made" TMPDIR="$t" STOP=yes sh "$t/suite.sh" >/dev/null &
pid=$!
check "a suite that will be stopped is running" wait_for 10 \
    test -e "$t/made.ready"
kill -TERM "$pid"
wait "$pid"
check_eq "stopped by TERM it exits 130" 130 "$?"
kill "$(cat "$t/made.sleep")" 2>/dev/null
read -r a b <"$t/made"
check "its directories are gone too" sh -c "test ! -e '$a' && test ! -e '$b'"

done_testing
