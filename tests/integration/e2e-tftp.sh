#!/bin/sh
# End to end over TFTP (no User-Agent: the appliance knows each phone by
# its requests, its app log and the image it abandons): one simulated phone of every model in the table,
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
E2E_PREFIX=e2 e2e_every_model "$D" "tftp://127.0.0.1:$TFTP/"

# A phone that takes its trust file whole but whose final ACK is lost (RFC
# 1350 cannot tell the two apart): every block was sent, and the phone, now
# re-pointed, never comes back.  It must not stay "trusting" for ever.
mac=0004f2e2ff01
cc -O1 -o "$D/tftp-tool" "$TOP/tests/integration/tftp-tool.c"
tftp -m binary 127.0.0.1 "$TFTP" -c get $mac.cfg "$D/m.cfg"
# It reads its image's first block and goes on: it runs that image.
"$D/tftp-tool" abandon 127.0.0.1 "$TFTP" 3111-46162-001.sip.ld 1 &
img=$!
check "final ACK lost: the image is being sent" wait_for 10 sh -c \
    "$ZTP_BIN status --state $D/state --json | jq -e '.phones[] | select(.mac == \"$mac\" and .state == \"upgrading\")' >/dev/null"
"$D/tftp-tool" abandon 127.0.0.1 "$TFTP" ztp-rescue-$mac.cfg 3 &
tool=$!
check "final ACK lost: the phone is trusting once the file is asked for" \
    wait_for 10 sh -c "$ZTP_BIN status --state $D/state --json | jq -e '.phones[] | select(.mac == \"$mac\" and (.state == \"trusting\" or .state == \"repointed\" or .state == \"repointed-quiet\"))' >/dev/null"
wait $tool $img
check "final ACK lost: re-pointed, then repointed-quiet after the quiet period" \
    wait_for 15 sh -c "$ZTP_BIN status --state $D/state --json | jq -e '.phones[] | select(.mac == \"$mac\" and .state == \"repointed-quiet\")' >/dev/null"
e2e_report "$D"
check_eq "final ACK lost: the transfer row says so (3 blocks of 4 acknowledged)" \
    "abandoned 1536 4" \
    "$(jq -r --arg m $mac '.phones[] | select(.mac == $m) | .transfers[] | select(.name | startswith("ztp-rescue-")) | "\(.outcome) \(.bytes) \((.total + 511) / 512 | floor)"' "$D/report.json")"
check "daemon stops cleanly (no sanitizer report)" e2e_stop
e2e_diag "$D"
done_testing
