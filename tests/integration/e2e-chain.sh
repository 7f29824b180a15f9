#!/bin/sh
# End to end, upgrade plans: against `ztp-rescue serve` on loopback, a
# SoundPoint IP 670 on SIP 3.2.3 with BootROM 2.5.2 (which refuses UC
# Software 4.x) is walked BootROM -> 4.0.8 and ends exactly where a
# SoundPoint IP 670 on 3.3.1 (one step) ends; its plan is in `status
# --json` throughout.  A phone whose flash never takes (phonesim fault
# flash-no-take) is stopped after FLEET_MAX_FLASHES (3) tries, failed with
# the reason; with serve --max-flashes 1, after one.  The BootROM package is synthetic (docs/library.md).
. "$TOP/tests/lib.sh"
. "$TOP/tests/integration/e2e-lib.sh"

[ -x "$SYNTH_BIN" ] || { skip "no ucs-synth at $SYNTH_BIN"; done_testing; exit 0; }
[ -x "$PHONESIM_BIN" ] || { skip "no phonesim at $PHONESIM_BIN"; done_testing; exit 0; }
command -v jq >/dev/null 2>&1 || { skip "jq is not installed"; done_testing; exit 0; }
D=$(make_tmpdir)

check "synthetic library and test PKI made" e2e_fixture "$D"
mkdir -p "$D/BootROM_4_2_2"
printf '4.2.2.0710\r\n' >"$D/BootROM_4_2_2/bootrom.ver"
synth_bootrom bootrom 4.2.2.0710 SPIP670 "$D/BootROM_4_2_2/bootrom.ld"
synth_bootrom 2345-12670-001 4.2.2.0710 SPIP670 \
    "$D/BootROM_4_2_2/2345-12670-001.bootrom.ld"
out=$("$ZTP_BIN" import --library "$D/lib" "$D/BootROM_4_2_2" 2>&1); rc=$?
check_eq "the BootROM package imports" 0 "$rc"
check_contains "as a BootROM package" \
    "imported bootrom-4.2.2.0710 from $D/BootROM_4_2_2: 2 BootROM images for SPIP670" "$out"
check_eq "the library lists its kind" "bootrom" \
    "$("$ZTP_BIN" library --library "$D/lib" --json | jq -r '.packages[] | select(.id == "bootrom-4.2.2.0710") | .kind')"
check_contains "and says so in text" "BootROM 4.2.2" \
    "$("$ZTP_BIN" library --library "$D/lib")"

check "daemon up" e2e_serve "$D" --quiet-period 2
check "mock ZTP up" e2e_mock "$D"
URL="http://127.0.0.1:$HTTP/"
LEGACY=0004f2c00001 MODERN=0004f2c00002 LOOP=0004f2c00003

# The three phones at once, each from its own address (a phone asking
# without its MAC in the name is known by its address).
"$PHONESIM_BIN" --model SPIP670 --version 3.2.3.1734 --updater 2.5.2.0010 \
    --mac $LEGACY --source 127.0.0.11 --server "$URL" --ztp "https://127.0.0.1:$ZTP/" \
    --transcript "$D/ts.legacy" --timeout 60 >"$D/out.legacy" 2>"$D/err.legacy" &
p1=$!
"$PHONESIM_BIN" --model SPIP670 --version 3.3.1.0933 --mac $MODERN \
    --source 127.0.0.12 --server "$URL" --ztp "https://127.0.0.1:$ZTP/" \
    --transcript "$D/ts.modern" --timeout 60 >"$D/out.modern" 2>"$D/err.modern" &
p2=$!
"$PHONESIM_BIN" --model SPIP550 --version 3.3.1.0933 --mac $LOOP \
    --source 127.0.0.13 --server "$URL" --ztp "https://127.0.0.1:$ZTP/" --fault flash-no-take \
    --transcript "$D/ts.loop" --timeout 60 >"$D/out.loop" 2>"$D/err.loop" &
p3=$!
wait $p1; rc1=$?
wait $p2; rc2=$?
wait $p3; rc3=$?
check_eq "the SIP 3.2 phone recovered (phonesim exit 0)" 0 "$rc1"
check_eq "the 3.3 phone recovered (phonesim exit 0)" 0 "$rc2"
check_eq "the phone whose flash never takes did not (exit 1)" 1 "$rc3"

# What the SIP 3.2 phone did: BootROM first, then the application.
check_eq "what it flashed: the BootROM, then UC Software 4.0.8" \
    "FLASH BootROM 4.2.2.0710
FLASH 4.0.8.0931" \
    "$(grep -E "^$LEGACY FLASH" "$D/ts.legacy" | sed -E 's/ \(.*$//; s/^[^ ]* //')"
check_contains "the application is never offered before the BootROM" \
    "$LEGACY HTTP GET bootrom.ld 200" "$(grep -m1 -E "GET (bootrom|2345-12670-001\.sip)" "$D/ts.legacy")"

status_phone() {
	"$ZTP_BIN" status --state "$D/state" --json |
	    jq -c --arg m "$1" ".phones[] | select(.mac == \$m) | $2"
}
check "the appliance calls both repointed-quiet after the quiet period" \
    wait_for 30 sh -c "[ \"\$(\"$ZTP_BIN\" status --state \"$D/state\" --json | jq '[.phones[] | select(.state == \"repointed-quiet\")] | length')\" = 2 ]"
check_eq "the SIP 3.2 phone's plan in status --json: BootROM, then the target, both done" \
    '[{"kind":"bootrom","version":"4.0.0","status":"done","confidence":"M"},{"kind":"target","version":"4.0.8.0931","status":"done","confidence":null}]' \
    "$(status_phone $LEGACY '[.plan[] | {kind, version, status, confidence}]')"
check_eq "its BootROM as it reported it" '"4.2.2.0710"' \
    "$(status_phone $LEGACY .bootrom)"
check_eq "the 3.3 phone's plan: one step" \
    '[{"kind":"target","version":"4.0.8.0931","status":"done"}]' \
    "$(status_phone $MODERN '[.plan[] | {kind, version, status}]')"
check_eq "both end in the same final state" \
    "$(status_phone $MODERN '[.state, .version, .ca_sha256, .repoint, .reason]')" \
    "$(status_phone $LEGACY '[.state, .version, .ca_sha256, .repoint, .reason]')"
check_eq "that state: repointed-quiet at 4.0.8 with the operator's CA, at ZTP" \
    "[\"repointed-quiet\",\"4.0.8.0931\",\"$CAFP\",\"ztp\",null]" \
    "$(status_phone $LEGACY '[.state, .version, .ca_sha256, .repoint, .reason]')"
check "both arrived at the mock ZTP endpoint" sh -c \
    "grep -q ' $LEGACY ' '$D/arrivals.log' && grep -q ' $MODERN ' '$D/arrivals.log'"
check "report written" e2e_report "$D"
row() {
	jq -c --arg m "$1" ".phones[] | select(.mac == \$m) | $2" \
	    "$D/report.json"
}
check_eq "the report row shows the plan" '"bootrom done, target done"' \
    "$(row $LEGACY '[.plan[] | "\(.kind) \(.status)"] | join(", ")')"
# Its first boot asked for bootrom.ld before anything named its MAC: the
# BootROM went by its User-Agent, and the phone that then named itself from
# that address was given the transfer.
check_eq "its report row: BootROM whole, then the application whole" \
    '["bootrom.ld completed","2345-12670-001.sip.ld completed"]' \
    "$(row $LEGACY '[.transfers[] | select(.outcome == "completed" and (.name | endswith(".ld"))) | "\(.name) \(.outcome)"] | .[0:2]')"
check_eq "the BootROM delivered is the library's split image for its part" \
    "\"$(sha256sum "$D/BootROM_4_2_2/2345-12670-001.bootrom.ld" | cut -d' ' -f1)\"" \
    "$(row $LEGACY '[.delivered[] | select(.name == "bootrom.ld") | .sha256][0]')"
check_contains "the journal says how the transfer became the phone's" \
    "bootrom.ld answered to 127.0.0.11 before any phone there named itself (1 transfer row); $LEGACY is the first to, from the same address" \
    "$(row $LEGACY '.events[] | select(.fact == "boots-through-bootrom") | .evidence')"
check_eq "the 3.3 phone was given no BootROM" 0 \
    "$(row $MODERN '[.transfers[] | select(.name | endswith("bootrom.ld"))] | length')"

# The phone whose flash never takes: three tries, then failed.
check_eq "it took its image whole three times, no more" 3 \
    "$(grep -c "^$LOOP FLASH 4.0.8.0931 .*did not take" "$D/ts.loop")"
check_eq "failed in the appliance" '"failed"' "$(status_phone $LOOP .state)"
check_eq "with the reason: the likely cause and the remedy" \
    '"flashed 2345-12500-001.sip.ld (4.0.8.0931) 3 times and came back at 3.3.1.0933 each time: the image may not match this part (2345-12500-001), or the phone does not keep it; check the part number, then retry; if it comes back again, its boot log says why"' \
    "$(status_phone $LOOP .reason)"
check "report written again" e2e_report "$D"
check_eq "its report row has three completed image transfers" 3 \
    "$(row $LOOP '[.transfers[] | select(.name == "2345-12500-001.sip.ld" and .outcome == "completed")] | length')"

check "daemon stops cleanly (no sanitizer report)" e2e_stop

# The bound is the operator's: with --max-flashes 1 the same phone is
# stopped after its first try, and status and the settings note say so.
D1="$D/one"
mkdir -p "$D1/state"
ln -s "$D/lib" "$D1/lib"
ln -s "$D/pki" "$D1/pki"
HTTP='' TFTP=''
check "daemon up with --max-flashes 1" e2e_serve "$D1" --quiet-period 2 \
    --max-flashes 1
check_eq "status: max_flashes 1" 1 \
    "$("$ZTP_BIN" status --state "$D1/state" --json | jq .appliance.max_flashes)"
"$PHONESIM_BIN" --model SPIP550 --version 3.3.1.0933 --mac $LOOP \
    --source 127.0.0.14 --server "http://127.0.0.1:$HTTP/" \
    --ztp "https://127.0.0.1:$ZTP/" --fault flash-no-take \
    --transcript "$D1/ts.loop" --timeout 60 >"$D1/out.loop" 2>"$D1/err.loop"
check_eq "the phone whose flash never takes did not recover (exit 1)" 1 "$?"
check_eq "it took its image whole once, no more" 1 \
    "$(grep -c "^$LOOP FLASH 4.0.8.0931 .*did not take" "$D1/ts.loop")"
check_eq "failed after one try, and the reason says so" \
    '"flashed 2345-12500-001.sip.ld (4.0.8.0931) 1 time and came back at 3.3.1.0933 each time: the image may not match this part (2345-12500-001), or the phone does not keep it; check the part number, then retry; if it comes back again, its boot log says why"' \
    "$("$ZTP_BIN" status --state "$D1/state" --json | jq -c --arg m $LOOP '.phones[] | select(.mac == $m) | .reason')"
# A BootROM whose own flash never takes asks for bootrom.ld at every boot
# before its phone names itself: it was served for as long as it looped,
# and listed nowhere.  Served max-flashes times, then refused with why,
# and the report lists the address.
"$PHONESIM_BIN" --model SPIP670 --version 3.2.3.1734 --updater 2.5.2.0010 \
    --mac 0004f2c00005 --source 127.0.0.15 --server "http://127.0.0.1:$HTTP/" \
    --ztp "https://127.0.0.1:$ZTP/" --fault flash-no-take \
    --transcript "$D1/ts.bootloop" --timeout 20 >"$D1/out.bootloop" 2>&1
check_eq "its BootROM was served once (max-flashes 1)" 1 \
    "$(grep -c 'GET bootrom.ld 200' "$D1/ts.bootloop")"
check_contains "then refused, saying why" \
    "bootrom.ld was given whole to 127.0.0.15 1 time and its BootROM came back at 2.5.2.0010 each time" \
    "$(cat "$D1/serve.log")"
check_eq "the report lists the address" "127.0.0.15" \
    "$("$ZTP_BIN" report --state "$D1/state" --json | jq -r '.bootrom_loops[0].ip')"
check "daemon stops cleanly with --max-flashes 1" e2e_stop
check_contains "the settings note records the bound" "max-flashes=1" \
    "$("$ZTP_BIN" report --state "$D1/state" --json | jq -r '.. | strings | select(test("max-flashes="))' | head -1)"
out=$("$ZTP_BIN" serve --state "$D1/state" --max-flashes 21 2>&1); rc=$?
check_eq "--max-flashes 21 is a usage error (2)" 2 "$rc"
check_contains "saying the range" "--max-flashes" "$out"
e2e_diag "$D"
done_testing
