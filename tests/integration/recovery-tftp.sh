#!/bin/sh
# A complete recovery over TFTP only (no User-Agent): tftp-hpa's client for
# configs and uploads, curl for a whole image, tftp-tool for a phone that
# reads the header and goes silent (as phones do: no error packet; curl
# would send one, which proves nothing).
# The phone's MAC comes from its <mac>.cfg request and is carried to its
# image request by the address; the abandoned image proves its version.
# Then a phone that vanishes mid-image over TFTP.
. "$TOP/tests/lib.sh"
. "$TOP/tests/serve-lib.sh"

[ -x "$SYNTH_BIN" ] || { skip "no ucs-synth at $SYNTH_BIN"; done_testing; exit 0; }
D=$(make_tmpdir)
cc -O1 -o "$D/tftp-tool" "$TOP/tests/integration/tftp-tool.c"
check "synthetic library and CA made" serve_fixture "$D"
check "daemon up" serve_start "$D" --ca "$D/ca.pem" --quiet-period 2

tget() {
	tftp -m binary 127.0.0.1 "$TFTP" -c get "$1" "$2"
}

mac=0004f2000e01
img=3111-40250-001.sip.ld
check "RRQ <mac>.cfg" tget $mac.cfg "$D/m.cfg"
check_contains "the VVX101 override points at its image" \
    'APP_FILE_PATH_VVX101="3111-40250-001.sip.ld"' "$(cat "$D/m.cfg")"
check_eq "seen, model not yet known" seen "$(phone_field "$D" $mac state)"
curl -s --tftp-blksize 8192 -o "$D/img" "tftp://127.0.0.1:$TFTP/$img"
check_eq "the 24 MB image arrives whole" \
    "$(sha256 "$D/library/packages/5.4.0.12410/$img")" "$(sha256 "$D/img")"
check_eq "the model is known from the part number" VVX101 \
    "$(phone_field "$D" $mac model)"
check "rebooting after the whole image" wait_for 5 state_is "$D" $mac rebooting
ev=$("$ZTP_BIN" report --state "$D/state" --json | jq -r \
    '.phones[0].events[] | select(.fact == "model") | .evidence')
check_contains "the evidence says how the MAC was associated" \
    "(the phone is $mac by its earlier request from the same address)" "$ev"

check "RRQ <mac>.cfg again after the reboot" tget $mac.cfg "$D/m.cfg"
"$D/tftp-tool" abandon 127.0.0.1 "$TFTP" $img 1 &
check "current after abandoning the image after the header" \
    wait_for 10 state_is "$D" $mac current
check_eq "its version is the image's" 5.4.0.12410 "$(phone_field "$D" $mac version)"
check "RRQ of the per-phone file" tget ztp-rescue-$mac.cfg "$D/t.cfg"
check_contains "it carries the CA" 'device.sec.TLS.customCaCert1="-----BEGIN' \
    "$(cat "$D/t.cfg")"
check "repointed" wait_for 5 state_is "$D" $mac repointed
echo "log" >"$D/app.log"
tftp -m binary 127.0.0.1 "$TFTP" -c put "$D/app.log" $mac-app.log
check "WRQ <mac>-app.log lands in the quarantine" \
    test -f "$D/state/uploads/$mac-app.log"
# Not served: tftp-hpa prints the server's error and receives nothing.
rm -f "$D/p.cfg"
out=$(tget $mac-phone.cfg "$D/p.cfg" 2>&1)
check_contains "RRQ of an optional file is error 1 (not found)" \
    "Error code 1: file not found" "$out"
check "and not one byte of it is received" test ! -s "$D/p.cfg"
check "repointed-quiet after the quiet period" wait_for 10 state_is "$D" $mac repointed-quiet
tr=$("$ZTP_BIN" report --state "$D/state" --csv)
check_contains "the report lists the abandoned transfer" \
    "tftp 3111-40250-001.sip.ld abandoned" "$tr"

# A second phone vanishes half way through the image.
mac=0004f2000e02
tget $mac.cfg "$D/m2.cfg"
"$D/tftp-tool" abandon 127.0.0.1 "$TFTP" $img 27344 &
check "failed when it vanishes mid-image" wait_for 20 state_is "$D" $mac failed
check_contains "the reason gives how far it got" "stopped at" \
    "$(phone_field "$D" $mac reason)"
tget $mac.cfg "$D/m2.cfg"
check_eq "asking again puts it back in the flow" identified \
    "$(phone_field "$D" $mac state)"

# A phone that asks for another file 200 blocks into its image (100 KB
# acknowledged) is still taking the image: the request was judged on the
# last progress told (512 bytes, 250 ms earlier), and the phone recorded as
# running the image ("read the header"), then given its trust file.
side_request() {
	_mac=$1
	tget $_mac.cfg "$D/m.cfg"
	_out=$("$D/tftp-tool" side 127.0.0.1 "$TFTP" $img 200 \
	    $_mac-phone.cfg)
	check_contains "$2: the other file is answered (not found)" \
	    "ERROR 1" "$_out"
	check_contains "$2: the image is read to its end" "complete 25165824" \
	    "$_out"
	check "$2: rebooting after the whole image" \
	    wait_for 5 state_is "$D" $_mac rebooting
	check_eq "$2: no version proved" "" "$(phone_field "$D" $_mac version)"
	check "$2: nothing says it runs the image" sh -c "! '$ZTP_BIN' report \
	    --state '$D/state' --json | jq -r '.phones[] | select(.mac == \"$_mac\") \
	    | .events[].evidence' | grep -q 'runs this image'"
}
side_request 0004f2000e03 "transfers on workers"
# Asked within the first window (one block read): judged read-the-header
# then, the image then read whole all the same: it stayed current, the
# report's proof false.  The whole image counts.
tget 0004f2000e06.cfg "$D/m.cfg"
out=$("$D/tftp-tool" side 127.0.0.1 "$TFTP" $img 1 0004f2000e06-phone.cfg)
check_contains "one block read, then another file: the image still ends whole" \
    "complete 25165824" "$out"
check "so it is rebooting, not current" wait_for 5 state_is "$D" 0004f2000e06 rebooting

# An image asked for in netascii (no phone does: a technician's client in
# ascii mode) got bytes that are not the image, and a whole such transfer
# counted as the phone's flash.
tget 0004f2000e05.cfg "$D/m.cfg"
check_eq "an image in netascii is refused" \
    "ERROR 4 an image is sent in octet (binary) mode only: netascii would change its bytes" \
    "$("$D/tftp-tool" probe 127.0.0.1 "$TFTP" 1 3111-46162-001.sip.ld netascii)"
check_eq "and it counts for no phone" seen "$(phone_field "$D" 0004f2000e05 state)"
check_contains "a config file still comes in netascii" "OPCODE 3 BLOCK 1" \
    "$("$D/tftp-tool" probe 127.0.0.1 "$TFTP" 1 0004f2000e05.cfg netascii)"
serve_stop
check "daemon up with one loop" serve_start "$D" --ca "$D/ca.pem" \
    --quiet-period 2 --tftp-workers 0
side_request 0004f2000e04 "one loop"

serve_stop
check "no sanitizer report in the daemon's log" \
    test "$(grep -c 'Sanitizer\|runtime error' "$D/serve.log")" = 0
done_testing
