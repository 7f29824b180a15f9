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
E2E_PREFIX=e1 e2e_every_model "$D" "http://127.0.0.1:$HTTP/"
check "daemon stops cleanly (no sanitizer report)" e2e_stop
e2e_diag "$D"
done_testing
