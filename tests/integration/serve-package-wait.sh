#!/bin/sh
# A phone whose target's package the library lacks (the stick held 4.0.8
# but not 4.1.7): the daemon, a simulated VVX 410 on 4.1.4 booting against
# it.  The phone is offered no image and boots what it has; it must be held
# with the package to import as its reason (status, `status`'s line, the
# log), not left "identified" with nothing said.  The package imported
# through the control socket, the phone is released by itself, and its
# next boot recovers it.
. "$TOP/tests/lib.sh"
. "$TOP/tests/serve-lib.sh"

[ -x "$PHONESIM_BIN" ] || { skip "no phone simulator"; done_testing; exit 0; }
command -v jq >/dev/null || { skip "jq is not installed"; done_testing; exit 0; }

d=$(make_tmpdir)
mkdir -p "$d/state"
"$SYNTH_BIN" --out "$d/syn" --size tiny --format dir >/dev/null 2>&1
for v in 4_0_8 5_4_1; do
	"$ZTP_BIN" import --library "$d/library" "$d/syn/"*"_${v}_"* \
	    >/dev/null || echo "# the $v package was not imported"
done
check "the library lacks 4.1.7" sh -c "! '$ZTP_BIN' library --library \
    '$d/library' | grep -q '^4\.1\.7'"
openssl req -x509 -nodes -days 3650 -subj '/CN=Rescue Test CA' \
    -newkey rsa:2048 -sha256 -keyout "$d/ca.key" -out "$d/ca.pem" \
    -addext basicConstraints=critical,CA:TRUE >/dev/null 2>&1
serve_start "$d" --no-verify --quiet-period 1 --ca "$d/ca.pem"
# reload N: SIGHUP, then wait for the daemon's Nth "library reloaded" line
# (the signal is handled in the loop: a phone started at once could ask
# before the library was read again).
reload() {
	kill -HUP "$SERVE_PID"
	wait_for 10 sh -c "[ \$(grep -c 'info: library reloaded:' '$d/serve.log') -ge $1 ]"
}

mac=0004f2c10001
reason="the library has no UC Software 4.1.7G image for part 3111-46162-001 (VVX 410): import the package"

# One boot: no image offered, the phone boots 4.1.4 again and stops.
"$PHONESIM_BIN" --model VVX410 --version 4.1.4.7430 --mac "$mac" \
    --server "http://127.0.0.1:$HTTP/" --timeout 20 >"$d/sim1.log" 2>&1
check_contains "the phone got no image" "server has no image" \
    "$(cat "$d/sim1.log")"
check_eq "the phone is held, not left identified" held \
    "$(phone_field "$d" "$mac" state)"
check_eq "its reason names the package to import" "$reason" \
    "$(phone_field "$d" "$mac" reason)"
check_contains "status's line says it" "held ($reason)" \
    "$("$ZTP_BIN" status --state "$d/state")"
check_contains "the log says it" "$mac: identified -> held: $reason" \
    "$(cat "$d/serve.log")"

# The 4.1.7 package imported through the daemon (the console's Import).
out=$("$ZTP_BIN" ctl --state "$d/state" --json import \
    "paths[]=$(ls -d "$d/syn/"*_4_1_7_*)" wait:=true 2>&1)
check_contains "the import adds 4.1.7" '4.1.7.5432' "$out"
check "the phone is released by itself" wait_for 10 state_is "$d" "$mac" \
    identified
check_contains "the log says why and what next" \
    "$mac: held -> identified (the library now holds UC Software 4.1.7G for part 3111-46162-001: it is served at its next boot)" \
    "$(cat "$d/serve.log")"

# Its next boot takes the image and the phone recovers.
"$PHONESIM_BIN" --model VVX410 --version 4.1.4.7430 --mac "$mac" \
    --server "http://127.0.0.1:$HTTP/" --timeout 60 >"$d/sim2.log" 2>&1
rc=$?
check_eq "the next boot recovers the phone" 0 "$rc"
[ "$rc" = 0 ] || sed 's/^/#   /' "$d/sim2.log" | tail -5
check "and it ends repointed-quiet" wait_for 20 state_is "$d" "$mac" \
    repointed-quiet
check_eq "on 4.1.7" 4.1.7.5432 "$(phone_field "$d" "$mac" version)"

# A phone held for the package, then by batch --only-inventory (the same
# hold request): batch's reason takes the place of the package's, and the
# import does not release it.  Before, the hold was a no-op on a held
# phone, and the import released it: a phone batch must not touch was
# upgraded at its next boot.
rm -rf "$d/library/packages/4.1.7."*
check "SIGHUP: the library is read again" reload 1
mac3=0004f2c10003
"$PHONESIM_BIN" --model VVX410 --version 4.1.4.7430 --mac "$mac3" \
    --server "http://127.0.0.1:$HTTP/" --timeout 20 >"$d/sim4.log" 2>&1
check_eq "after the package left the library (SIGHUP), a phone is held for it" \
    "held $reason" \
    "$(phone_field "$d" "$mac3" state) $(phone_field "$d" "$mac3" reason)"
"$ZTP_BIN" ctl --state "$d/state" hold "mac=$mac3" \
    "reason=not in the batch inventory (--only-inventory)" >/dev/null 2>&1
check_eq "batch's hold replaces the package's reason" \
    "held not in the batch inventory (--only-inventory)" \
    "$(phone_field "$d" "$mac3" state) $(phone_field "$d" "$mac3" reason)"
"$ZTP_BIN" ctl --state "$d/state" --json import \
    "paths[]=$(ls -d "$d/syn/"*_4_1_7_*)" wait:=true >/dev/null 2>&1
check_eq "and the import leaves it held" \
    "held not in the batch inventory (--only-inventory)" \
    "$(phone_field "$d" "$mac3" state) $(phone_field "$d" "$mac3" reason)"

# The package imported by the command line into the daemon's library: the
# daemon is told to read it again.  Before, it served only what it read at
# its start (or at SIGHUP), and the phone stayed held.
rm -rf "$d/library/packages/4.1.7."*
check "SIGHUP again: read again" reload 2
mac4=0004f2c10004
"$PHONESIM_BIN" --model VVX410 --version 4.1.4.7430 --mac "$mac4" \
    --server "http://127.0.0.1:$HTTP/" --timeout 20 >"$d/sim5.log" 2>&1
check_eq "a phone held for the package again" held \
    "$(phone_field "$d" "$mac4" state)"
out=$("$ZTP_BIN" import --library "$d/library" --state "$d/state" \
    "$d/syn/"*_4_1_7_* 2>&1); rc=$?
check_eq "ztp-rescue import into the daemon's library: exit 0" 0 "$rc"
check_contains "it says the daemon serves it now" \
    "the daemon at $d/state serves it now" "$out"
check_eq "and the phone is released" identified \
    "$(phone_field "$d" "$mac4" state)"

# A phone the operator holds is not released by an import.
mac2=0004f2c10002
"$PHONESIM_BIN" --model VVX311 --version 5.3.0.1000 --mac "$mac2" \
    --server "http://127.0.0.1:$HTTP/" --timeout 60 >"$d/sim3.log" 2>&1 &
sim=$!
at_exit "kill $sim 2>/dev/null"
check "a VVX 311 is seen" wait_for 20 sh -c \
    "[ -n \"\$('$ZTP_BIN' status --state '$d/state' --json | jq -r '.phones[] | select(.mac == \"$mac2\") | .mac')\" ]"
"$ZTP_BIN" ctl --state "$d/state" hold "mac=$mac2" "reason=wrong desk" \
    >/dev/null 2>&1
"$ZTP_BIN" ctl --state "$d/state" --json import \
    "paths[]=$(ls -d "$d/syn/"*_4_1_7_*)" wait:=true >/dev/null 2>&1
check_eq "the operator's hold stays after an import" "held wrong desk" \
    "$(phone_field "$d" "$mac2" state) $(phone_field "$d" "$mac2" reason)"
kill "$sim" 2>/dev/null
wait "$sim" 2>/dev/null

serve_stop
check "the daemon left no sanitizer report" sh -c \
    "! grep -q Sanitizer '$d/serve.log'"
done_testing
