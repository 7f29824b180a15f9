#!/bin/sh
# The phone simulator over TFTP against tftp-hpa's in.tftpd with uploads
# allowed: exact transcripts of an old phone that updates and reaches ZTP, a
# current phone abandoning the image after its first block, power loss
# mid-image and recovery on the next boot, a 5.x phone, and the uploads as
# the server stored them.  The first three with libcurl's client and again
# with phonesim's own (--tftp-client plain): the same lines, byte for byte,
# and the plain client again through a relay that drops, duplicates and
# reorders packets.
. "$TOP/tests/lib.sh"
. "$TOP/tests/phonesim/fixture.sh"

if ! command -v in.tftpd >/dev/null 2>&1; then
	skip "in.tftpd (Debian tftpd-hpa) is not installed"
	done_testing
	exit 0
fi
need_root "in.tftpd -s chroots into the served directory"

"$PHONESIM_BIN" make-test-pki "$FX/pki" >/dev/null 2>&1
ROOT="$FX/root"
fx_boot_root "$ROOT" "$FX/pki/ca.pem"
fx_tftpd "$ROOT"
check "tftp-hpa boot server is up" fx_listening_udp "$TFTP_PORT"
fx_ztp_mock "$FX/pki/server.pem" "$FX/pki/server.key"
check "mock ZTP endpoint is up" fx_listening_tcp "$ZTP_PORT"
CA_FP=$(fx_der_sha256 "$FX/pki/ca.pem")

phone() {
	_m=$1 _v=$2 _mac=$3; shift 3
	out=$("$PHONESIM_BIN" --model "$_m" --version "$_v" --mac "$_mac" \
	    --transcript "$FX/ts" --timeout 60 "$@" 2>"$FX/err"); rc=$?
	err=$(cat "$FX/err")
	ts=$(cat "$FX/ts")
}

# The application stage of a 4.x VVX410 on the fixture server.
app_stage() {
	echo "$1 TFTP RRQ trust.cfg ok
$1 TFTP RRQ repoint.cfg ok
$1 TFTP RRQ late.cfg ok
$1 TFTP RRQ $1-phone.cfg error 1
$1 TFTP RRQ $1-web.cfg error 1
$1 TFTP RRQ 000000000000-license.cfg error 1
$1 TFTP RRQ $1-license.cfg error 1
$1 TFTP RRQ $1-directory.xml error 1
$1 TFTP RRQ 000000000000-directory.xml error 1
$1 DEVICE device.sec.TLS.customCaCert1 sha256=$CA_FP
$1 DEVICE device.prov.serverName=\"\"
$1 DEVICE device.prov.ztpEnabled=\"1\"
$1 TFTP WRQ $1-boot.log ok
$1 TFTP WRQ $1-app.log ok
$1 REBOOT reason=device settings changed (device.sec.TLS.customCaCert1,device.prov.serverName,device.prov.ztpEnabled)"
}

# cases CLIENT DIGIT URL: (a), (b) and (d) with that TFTP client, the MACs
# ending in DIGIT, the boot server at URL.  (Not indented: the expected
# transcripts are multi-line strings.)
cases() {
C=$1 D=$2 URL=$3
# (a) An old VVX410 over TFTP.
M=0004f2001a0$D
phone VVX410 4.1.4.7430 $M --server "$URL" --ztp "$ZTP_URL" \
    --tftp-client "$C"
check_eq "$C: (a) old phone over TFTP recovers: exit 0" 0 "$rc"
expected="$M BOOT 1 version=4.1.4.7430 target=$URL
$M TFTP WRQ $M-app.log ok
$M TFTP RRQ $M.cfg error 1
$M TFTP RRQ 000000000000.cfg ok
$M TFTP RRQ 3111-46162-001.sip.ld ok
$M FLASH 4.1.7.5432 (300000 bytes, sha256 ok)
$M REBOOT reason=new image 4.1.7.5432
$M BOOT 2 version=4.1.7.5432 target=$URL
$M TFTP WRQ $M-app.log ok
$M TFTP RRQ $M.cfg error 1
$M TFTP RRQ 000000000000.cfg ok
$M TFTP RRQ 3111-46162-001.sip.ld abandoned after 512 bytes
$(app_stage $M)
$M BOOT 3 version=4.1.7.5432 target=ztp
$M ZTP ok"
check_eq "$C: (a) old phone over TFTP: exact transcript" "$expected" "$ts"
check_contains "$C: (a) JSON: recovered with the CA fingerprint" \
    "\"version_before\":\"4.1.4.7430\",\"version_after\":\"4.1.7.5432\",\"ca_sha256\":\"$CA_FP\",\"target\":\"ztp\",\"handoff\":null,\"reached_ztp\":true" "$out"
check "$C: (a) the mock ZTP endpoint recorded the phone" \
    grep -q " $M FileTransport PolycomVVX-VVX_410-UA/4.1.7.5432 Type/Application\$" "$FX/arrivals.log"
check "$C: (a) the app log reached the server by TFTP write" \
    grep -q "Rebooting: new image 4.1.7.5432" "$ROOT/$M-app.log"
check "$C: (a) the boot log reached the server by TFTP write" \
    grep -q "Polycom Updater 5.0.3.1667, VVX410 3111-46162-001, MAC $M" "$ROOT/$M-boot.log"

# (b) A current phone abandons the image after the first 512-byte block.
M=0004f2001b0$D
phone VVX410 4.1.7.5432 $M --server "$URL" --ztp "$ZTP_URL" \
    --tftp-client "$C"
check_eq "$C: (b) current phone over TFTP: exit 0" 0 "$rc"
expected="$M BOOT 1 version=4.1.7.5432 target=$URL
$M TFTP WRQ $M-app.log ok
$M TFTP RRQ $M.cfg error 1
$M TFTP RRQ 000000000000.cfg ok
$M TFTP RRQ 3111-46162-001.sip.ld abandoned after 512 bytes
$(app_stage $M)
$M BOOT 2 version=4.1.7.5432 target=ztp
$M ZTP ok"
check_eq "$C: (b) current phone over TFTP: exact transcript" "$expected" "$ts"

# (d) Power loss 100000 bytes into the image; the next boot recovers.
M=0004f2001d0$D
phone VVX410 4.1.4.7430 $M --server "$URL" --ztp "$ZTP_URL" \
    --tftp-client "$C" \
    --fault power-loss-at=100000 --state "$FX/state-$M"
check_eq "$C: (d) power loss over TFTP, then recovery: exit 0" 0 "$rc"
expected="$M BOOT 1 version=4.1.4.7430 target=$URL
$M TFTP WRQ $M-app.log ok
$M TFTP RRQ $M.cfg error 1
$M TFTP RRQ 000000000000.cfg ok
$M TFTP RRQ 3111-46162-001.sip.ld cut after 100000 bytes: power loss
$M REBOOT reason=power loss
$M BOOT 2 version=4.1.4.7430 target=$URL
$M TFTP WRQ $M-app.log ok
$M TFTP RRQ $M.cfg error 1
$M TFTP RRQ 000000000000.cfg ok
$M TFTP RRQ 3111-46162-001.sip.ld ok
$M FLASH 4.1.7.5432 (300000 bytes, sha256 ok)
$M REBOOT reason=new image 4.1.7.5432
$M BOOT 3 version=4.1.7.5432 target=$URL
$M TFTP WRQ $M-app.log ok
$M TFTP RRQ $M.cfg error 1
$M TFTP RRQ 000000000000.cfg ok
$M TFTP RRQ 3111-46162-001.sip.ld abandoned after 512 bytes
$(app_stage $M)
$M BOOT 4 version=4.1.7.5432 target=ztp
$M ZTP ok"
check_eq "$C: (d) power loss over TFTP: exact transcript" "$expected" "$ts"
check "$C: (d) the flash state keeps the new version" \
    grep -qx "version 4.1.7.5432" "$FX/state-$M"
}

cases curl 1 "$TFTP_URL"
cases plain 2 "$TFTP_URL"

# The plain client through loss, duplicates and reordering (a seeded relay
# in front of an in.tftpd that retransmits after 20 ms): every block once,
# in order, the same transcript.  Only the downloads' packets are harmed:
# the uploads are libcurl's, whose TFTP write can take longer than the
# phone's time to get through loss, and are not what is tested here.
cc -O1 -o "$FX/tftp-tool" "$TOP/tests/integration/tftp-tool.c" || exit 1
LOSSY_PORT=$(free_port udp)
in.tftpd -L -a "127.0.0.1:$LOSSY_PORT" -s "$ROOT" -c -p -u root -T 20000 &
LOSSY=$!
at_exit "kill $LOSSY 2>/dev/null; wait $LOSSY 2>/dev/null"
check "the second in.tftpd is up" wait_for 10 fx_listening_udp "$LOSSY_PORT"
RELAY_PORT=$(free_port udp)
"$FX/tftp-tool" relay "$RELAY_PORT" 127.0.0.1 "$LOSSY_PORT" 11 3 10 5 \
    reads >"$FX/relay.log" 2>&1 &
RELAY=$!
at_exit "kill $RELAY 2>/dev/null; wait $RELAY 2>/dev/null"
check "the relay is up" wait_for 10 fx_listening_udp "$RELAY_PORT"
cases plain 3 "tftp://127.0.0.1:$RELAY_PORT/"
check "the relay dropped packets (the loss was real)" \
    test "$(grep -c '^dropped$' "$FX/relay.log")" -gt 10
check "the relay duplicated packets" \
    test "$(grep -c '^duplicated$' "$FX/relay.log")" -gt 10

# A 5.x VVX over TFTP: doubled prefix, calls.xml, no HEAD on TFTP.
M=0004f2001e01
phone VVX501 5.3.0.10000 $M --server "$TFTP_URL" --ztp "$ZTP_URL"
check_eq "5.x phone over TFTP: exit 0" 0 "$rc"
check_contains "5.x phone over TFTP asks for the doubled prefix" \
    "$M TFTP WRQ $M-app.log ok
$M TFTP RRQ $M.cfg error 1
$M TFTP RRQ 000000000000.cfg ok
$M TFTP RRQ 3111-48500-001.3111-48500-001.sip.ld ok" "$ts"
check_contains "5.x phone over TFTP asks for its calls.xml" \
    "$M TFTP RRQ $M-calls.xml error 1" "$ts"

# Negotiated block size (RFC 2348) works too.
M=0004f2001f01
phone VVX410 4.1.4.7430 $M --server "$TFTP_URL" --ztp "$ZTP_URL" \
    --tftp-blksize 1428
check_eq "an old phone negotiating blksize 1428 recovers" 0 "$rc"

done_testing
