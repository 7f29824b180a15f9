#!/bin/sh
# End to end: a mixed closet of 48 simulated phones at once against
# `ztp-rescue serve`, 24 over HTTP and 24 over TFTP: old phones of every
# model, phones already current, newer phones (never downgraded), a model
# outside the table (held, with the reason), and on each protocol a phone
# that loses power mid-image and recovers on its next boot.  The report must
# agree with what each phone says about itself.
. "$TOP/tests/lib.sh"
. "$TOP/tests/integration/e2e-lib.sh"

[ -x "$SYNTH_BIN" ] || { skip "no ucs-synth at $SYNTH_BIN"; done_testing; exit 0; }
[ -x "$PHONESIM_BIN" ] || { skip "no phonesim at $PHONESIM_BIN"; done_testing; exit 0; }
D=$(make_tmpdir)
check "synthetic library and test PKI made" e2e_fixture "$D"
check "daemon up" e2e_serve "$D" --quiet-period 2
check "mock ZTP up" e2e_mock "$D"

# closet PREFIX COUNT: COUNT old phones cycling through the models, MACs
# 0004f2PP0001 upwards.
closet() {
	_i=0
	while [ "$_i" -lt "$2" ]; do
		for _m in $(e2e_models); do
			[ "$_i" -lt "$2" ] || break
			_i=$((_i + 1))
			printf '%s %s 0004f2%s%04x\n' "$_m" "$(e2e_old "$_m")" \
			    "$1" "$_i"
		done
	done
}
# HTTP: 18 old, 2 current, 2 newer, 1 unknown model (+ 1 power loss).
{
	closet c1 18
	echo "VVX410 4.1.7.5432 0004f2c10101"
	echo "SPIP550 4.0.8.0931 0004f2c10102"
	echo "VVX410 5.9.7.4477 0004f2c10201"
	echo "VVX601 6.0.0.1000 0004f2c10202"
	echo "VVX9999 4.1.4.7430 0004f2c10301 3111-99999-001"
} >"$D/closet-http"
# TFTP: 20 old, 2 current, 1 newer (+ 1 power loss).
{
	closet c2 20
	echo "VVX500 4.1.7.5432 0004f2c20101"
	echo "VVX411 5.4.1.18370 0004f2c20102"
	echo "VVX410 5.9.7.4477 0004f2c20201"
} >"$D/closet-tftp"
# Expected versions: the newer phones keep theirs; the phones that cannot
# recover are checked one by one below.
{
	echo "0004f2c10201 5.9.7.4477"
	echo "0004f2c10202 6.0.0.1000"
	echo "0004f2c10301 -"
	echo "0004f2c20201 -"
} >"$D/expect"

H="http://127.0.0.1:$HTTP/" T="tftp://127.0.0.1:$TFTP/" Z="https://127.0.0.1:$ZTP/"
# Each group of phones has its own addresses: the appliance ties a TFTP
# request without a MAC to the phone last seen at its address.
"$PHONESIM_BIN" --closet "$D/closet-http" --server "$H" --ztp "$Z" \
    --source 127.0.1.1 --transcript "$D/ts-http" --timeout 200 \
    >"$D/out-http" 2>"$D/err-http" &
p1=$!
"$PHONESIM_BIN" --closet "$D/closet-tftp" --server "$T" --ztp "$Z" \
    --source 127.0.2.1 --transcript "$D/ts-tftp" --timeout 200 \
    >"$D/out-tftp" 2>"$D/err-tftp" &
p2=$!
"$PHONESIM_BIN" --model VVX410 --version 4.1.4.7430 --mac 0004f2c1f001 \
    --server "$H" --ztp "$Z" --source 127.0.3.1 --state "$D/flash1" \
    --fault power-loss-at=2000 --transcript "$D/ts-pl1" --timeout 200 \
    >"$D/out-pl1" 2>&1 &
p3=$!
"$PHONESIM_BIN" --model VVX300 --version 4.1.4.7430 --mac 0004f2c2f001 \
    --server "$T" --ztp "$Z" --source 127.0.3.2 --state "$D/flash2" \
    --fault power-loss-at=2000 --transcript "$D/ts-pl2" --timeout 200 \
    >"$D/out-pl2" 2>&1 &
p4=$!
wait $p1; rc1=$?
wait $p2; rc2=$?
wait $p3; rc3=$?
wait $p4; rc4=$?
cat "$D/out-http" "$D/out-tftp" "$D/out-pl1" "$D/out-pl2" >"$D/out"
check_eq "48 phones ran, one JSON line each" 48 "$(grep -c '^{' "$D/out")"

# What the phones say of themselves.
check_eq "HTTP closet: only the unknown model did not recover" \
    "1 VVX9999 0004f2c10301: still 4.1.4.7430 after 1 boot: server has no image 3111-99999-001.sip.ld" \
    "$rc1 $(cat "$D/err-http")"
check_eq "TFTP closet: only the newer phone did not recover (no CA: an app log does not prove a version)" \
    "1 VVX410 0004f2c20201: runs 5.9.7.4477 but no CA was installed after 1 boot" \
    "$rc2 $(cat "$D/err-tftp")"
check_eq "power loss over HTTP: recovered on the next boot" 0 "$rc3"
check_eq "power loss over TFTP: recovered on the next boot" 0 "$rc4"
check_contains "power loss over HTTP: the first image is cut" \
    "3111-46162-001.sip.ld cut after 2000 bytes: power loss" "$(cat "$D/ts-pl1")"
check_contains "power loss over TFTP: the first image is cut" \
    "3111-46135-002.sip.ld cut after 2000 bytes: power loss" "$(cat "$D/ts-pl2")"
check_eq "power-loss phones: four boots each" "4 4" \
    "$(e2e_phone "$D/out-pl1" 0004f2c1f001 boots) $(e2e_phone "$D/out-pl2" 0004f2c2f001 boots)"

# What the appliance says.
check "the appliance calls 46 phones repointed-quiet after the quiet period" \
    wait_for 60 e2e_all_recovered "$D" 46
check "report written" e2e_report "$D"
check_eq "the report has 48 rows" 48 "$(jq '.phones | length' "$D/report.json")"
e2e_compare "$D" "$D/out" "$D/expect"

# Never downgraded: the newer phones were never given an image.
for m in 0004f2c10201 0004f2c10202 0004f2c20201; do
	check_eq "newer phone $m: no image transfer in the report" "" \
	    "$(jq -r --arg m $m '.phones[] | select(.mac == $m) | .transfers[] | select(.name | endswith(".sip.ld")) | .name' "$D/report.json")"
	check_eq "newer phone $m: still runs what it ran" \
	    "$(e2e_phone "$D/out" $m version_before)" \
	    "$(e2e_phone "$D/out" $m version_after)"
done
check_eq "newer phone over TFTP: the report says current, not downgraded" \
    "current 5.9.7.4477 runs 5.9.7.4477, newer than its target 4.1.7: not downgraded" \
    "$(e2e_row "$D" 0004f2c20201 state) $(e2e_row "$D" 0004f2c20201 version) $(e2e_row "$D" 0004f2c20201 reason)"
# The unknown model: given the generic name for its token, it names a part
# the table does not know either: held, with the reason, nothing served.
check_eq "unknown model: held" held "$(e2e_row "$D" 0004f2c10301 state)"
check_eq "unknown model: the reason says what to do" \
    "part number 3111-99999-001 is not in the models table: nothing is served to it (the table holds the part numbers of Polycom's notification, 'ztp-rescue models'; check the phone's label, and recover another model by hand)" \
    "$(e2e_row "$D" 0004f2c10301 reason)"
check_eq "unknown model: no upgrade plan (it had a target step of no version)" \
    0 "$(e2e_row "$D" 0004f2c10301 'plan | length')"
check_eq "unknown model: no CA given, not re-pointed (the phone agrees)" \
    "null null $(e2e_phone "$D/out" 0004f2c10301 target)" \
    "$(e2e_phone "$D/out" 0004f2c10301 ca_sha256) $(e2e_row "$D" 0004f2c10301 ca_sha256) $H"
# The power-loss phones: a cut image row, then whole, then abandoned.
for m in 0004f2c1f001 0004f2c2f001; do
	check_eq "power loss $m: image rows end completed, abandoned" \
	    "completed,abandoned" \
	    "$(jq -r --arg m $m '.phones[] | select(.mac == $m) | [.transfers[] | select(.name | endswith(".sip.ld")) | .outcome] | .[-2:] | join(",")' "$D/report.json")"
	check_eq "power loss $m: three image transfers (cut, whole, header)" 3 \
	    "$(jq -r --arg m $m '.phones[] | select(.mac == $m) | [.transfers[] | select(.name | endswith(".sip.ld"))] | length' "$D/report.json")"
done
check "daemon stops cleanly (no sanitizer report)" e2e_stop
e2e_diag "$D"
done_testing
