#!/bin/sh
# The wall clock set by hand while phones are in their quiet period (a
# technician fixing the laptop's time, as a CA refusal may tell him to):
# the quiet period must still count the time that passed.  The daemon runs
# under wall-shim.so, whose CLOCK_REALTIME is moved by the seconds in a
# file, as `date -s` would move it.  Before, a clock set a day ahead made
# the re-pointed phone repointed-quiet at the next tick.
. "$TOP/tests/lib.sh"
. "$TOP/tests/serve-lib.sh"

[ -x "$PHONESIM_BIN" ] || { skip "no phone simulator"; done_testing; exit 0; }
command -v jq >/dev/null || { skip "jq is not installed"; done_testing; exit 0; }

D=$(make_tmpdir)
serve_fixture "$D" || { skip "no synthetic packages"; done_testing; exit 0; }
cc -O1 -shared -fPIC -o "$D/wall-shim.so" \
    "$TOP/tests/integration/wall-shim.c" -ldl ||
    { echo "not ok - the clock shim did not build"; exit 1; }
echo 0 >"$D/wall-offset"

HTTP=$(free_port tcp)
TFTP=$(free_port udp)
# The sanitizer runtime is not first in a preloaded process: told so.
WALL_SHIM_FILE="$D/wall-offset" LD_PRELOAD="$D/wall-shim.so" \
    ASAN_OPTIONS="$ASAN_OPTIONS:verify_asan_link_order=0" \
    "$ZTP_BIN" serve --listen 127.0.0.1 --http-port "$HTTP" \
    --tftp-port "$TFTP" --syslog-port 0 --state "$D/state" \
    --library "$D/library" --no-dhcp --foreground --ca "$D/ca.pem" \
    --quiet-period 12 >>"$D/serve.log" 2>&1 &
SERVE_PID=$!
at_exit "kill $SERVE_PID 2>/dev/null; wait $SERVE_PID 2>/dev/null"
check "the daemon is up" wait_for 10 curl -s -o /dev/null "http://127.0.0.1:$HTTP/x"

"$PHONESIM_BIN" --model VVX410 --version 4.1.4.7430 --mac 0004f2c00001 \
    --server "http://127.0.0.1:$HTTP/" --timeout 30 >"$D/phone.log" 2>&1
check "the phone is re-pointed, in its 12 s quiet period" \
    wait_for 10 state_is "$D" 0004f2c00001 repointed

echo 86400 >"$D/wall-offset"
said() { grep -q "the wall clock moved 86400 s ahead of the time the appliance watched" "$D/serve.log"; }
check "the daemon sees the clock set a day ahead, and says so" wait_for 10 said
sleep 2
check_eq "two ticks later the phone is still in its quiet period" \
    "repointed" "$(phone_field "$D" 0004f2c00001 state)"
check "after 12 s of real time it is repointed-quiet" \
    wait_for 30 state_is "$D" 0004f2c00001 repointed-quiet

check "no sanitizer report in the daemon's log" \
    test "$(grep -c 'Sanitizer\|runtime error' "$D/serve.log")" = 0
done_testing
