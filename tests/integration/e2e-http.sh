#!/bin/sh
# End to end over HTTP: one simulated phone of every model in the table,
# each at an old version, all at once against `ztp-rescue serve` on
# loopback.  Each must end at its model's required version with the
# operator's CA, re-pointed at ZTP and arrived at the mock ZTP endpoint, and
# the appliance's report must agree with what each phone says about itself.
. "$TOP/tests/lib.sh"
. "$TOP/tests/integration/e2e-lib.sh"

[ -x "$SYNTH_BIN" ] || { skip "no ucs-synth at $SYNTH_BIN"; done_testing; exit 0; }
[ -x "$PHONESIM_BIN" ] || { skip "no phonesim at $PHONESIM_BIN"; done_testing; exit 0; }
D=$(make_tmpdir)
check "synthetic library and test PKI made" e2e_fixture "$D"
check "daemon up" e2e_serve "$D" --quiet-period 2
check "mock ZTP up" e2e_mock "$D"

# The closet: every model once, MACs 0004f2e10001 upwards.
n=0
for m in $(e2e_models); do
	n=$((n + 1))
	printf '%s %s 0004f2e1%04x\n' "$m" "$(e2e_old "$m")" "$n"
done >"$D/closet"
check "the closet holds every model with a part number (25)" \
    test "$n" -ge 25

"$PHONESIM_BIN" --closet "$D/closet" --server "http://127.0.0.1:$HTTP/" \
    --ztp "https://127.0.0.1:$ZTP/" --transcript "$D/ts" --timeout 150 \
    >"$D/out" 2>"$D/err"
rc=$?
check_eq "every phone recovered (phonesim exit 0)" "0" "$rc"
[ "$rc" -eq 0 ] || sed 's/^/# /' "$D/err" | head -20
check_eq "one JSON line per phone" "$n" "$(grep -c '^{' "$D/out")"
check "the appliance calls every phone recovered after the quiet period" \
    wait_for 30 e2e_all_recovered "$D" "$n"
check "report written" e2e_report "$D"
check_eq "the report has one row per phone, all recovered" \
    "$n $n" "$(jq '[.phones | length, ([.[] | select(.state == "recovered")] | length)] | join(" ")' -r "$D/report.json")"
e2e_compare "$D" "$D/out"

# Each phone took its image whole once and abandoned it once (after the
# reboot), as the report's transfer rows say.
bad=$(jq -r '.phones[] | [.mac, ([.transfers[] | select(.name | endswith(".sip.ld")) | .outcome] | join(","))] | select(.[1] != "completed,abandoned") | join(" ")' "$D/report.json")
check_eq "every phone's image rows: completed, then abandoned" "" "$bad"
check "the ZTP arrivals log names every phone" \
    test "$(cut -d' ' -f2 "$D/arrivals.log" | sort -u | grep -c .)" -eq "$n"
check "daemon stops cleanly (no sanitizer report)" e2e_stop
done_testing
