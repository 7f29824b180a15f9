#!/bin/sh
# Faults and fleets of the phone simulator, over HTTP against nginx: power
# loss mid-image (flash kept in --state, recovery on the next boot), lost
# requests retried deterministically, a slow link, a phone that never comes
# back, a corrupt image, and a fleet of phones at once.
. "$TOP/tests/lib.sh"
. "$TOP/tests/phonesim/fixture.sh"

if ! command -v nginx >/dev/null 2>&1; then
	skip "nginx (Debian nginx-light) is not installed"
	done_testing
	exit 0
fi

"$PHONESIM_BIN" make-test-pki "$FX/pki" >/dev/null 2>&1
ROOT="$FX/root"
fx_boot_root "$ROOT" "$FX/pki/ca.pem"
fx_nginx "$ROOT"
check "nginx boot server is up" fx_listening_tcp "$HTTP_PORT"
fx_ztp_mock "$FX/pki/server.pem" "$FX/pki/server.key"
check "mock ZTP endpoint is up" fx_listening_tcp "$ZTP_PORT"

phone() {
	_m=$1 _v=$2 _mac=$3; shift 3
	out=$("$PHONESIM_BIN" --model "$_m" --version "$_v" --mac "$_mac" \
	    --transcript "$FX/ts" --timeout 60 "$@" 2>"$FX/err"); rc=$?
	err=$(cat "$FX/err")
	ts=$(cat "$FX/ts")
}

# (d) Power loss 1000 bytes into the image over HTTP.
M=0004f2002a01
phone VVX410 4.1.4.7430 $M --server "$HTTP_URL" --ztp "$ZTP_URL" \
    --fault power-loss-at=1000 --state "$FX/state"
check_eq "(d) power loss over HTTP, then recovery: exit 0" 0 "$rc"
check_contains "(d) the first boot is cut and reboots on the old version" \
    "$M HTTP GET 3111-46162-001.sip.ld cut after 1000 bytes: power loss
$M REBOOT reason=power loss
$M BOOT 2 version=4.1.4.7430 target=$HTTP_URL
$M HTTP PUT $M-app.log 204
$M HTTP GET $M.cfg 404
$M HTTP GET 000000000000.cfg 200
$M HTTP GET 3111-46162-001.sip.ld 200
$M FLASH 4.1.7.5432 (300000 bytes, sha256 ok)" "$ts"
check_eq "(d) four boots in all" "\"boots\":4" \
    "$(printf '%s' "$out" | grep -o '"boots":[0-9]*')"

# Its flash survives: started again, it goes straight to ZTP.
phone VVX410 4.1.4.7430 $M --server "$HTTP_URL" --ztp "$ZTP_URL" \
    --state "$FX/state"
check_eq "the flashed phone powered on again: exit 0" 0 "$rc"
check_eq "the flashed phone powered on again goes straight to ZTP" \
    "$M BOOT 1 version=4.1.7.5432 target=ztp
$M ZTP ok" "$ts"
check_contains "its JSON line keeps the CA from flash" \
    "\"version_before\":\"4.1.7.5432\",\"version_after\":\"4.1.7.5432\",\"ca_sha256\":\"$(fx_der_sha256 "$FX/pki/ca.pem")\"" "$out"

# Lost requests are retried, and the same MAC loses the same requests.
M=0004f2002b01
phone VVX410 4.1.4.7430 $M --server "$HTTP_URL" --ztp "$ZTP_URL" \
    --fault loss=30
check_eq "30% request loss: the phone still recovers" 0 "$rc"
check_contains "30% request loss: a lost request is retried" \
    "lost, retry" "$ts"
first=$ts
rm -f "$ROOT/$M-app.log" "$ROOT/$M-boot.log"
phone VVX410 4.1.4.7430 $M --server "$HTTP_URL" --ztp "$ZTP_URL" \
    --fault loss=30
check_eq "30% request loss: the transcript repeats exactly" "$first" "$ts"
M=0004f2002b02
phone VVX410 4.1.4.7430 $M --server "$HTTP_URL" --ztp "$ZTP_URL" \
    --fault loss=100
check_eq "100% request loss: exit 1" 1 "$rc"
check_eq "100% request loss: one-line reason" \
    "VVX410 $M: still 4.1.4.7430 after 1 boot: boot server $HTTP_URL gave no master config" \
    "$err"

# A slow link (kilobits per second) changes the time, not the sequence.
M=0004f2002c01
phone VVX410 4.1.4.7430 $M --server "$HTTP_URL" --ztp "$ZTP_URL" \
    --fault slow=8000
check_eq "slow link: exit 0" 0 "$rc"
check_contains "slow link: the image arrives whole" \
    "$M FLASH 4.1.7.5432 (300000 bytes, sha256 ok)" "$ts"

# A phone that never comes back after its first reboot.
M=0004f2002d01
phone VVX410 4.1.4.7430 $M --server "$HTTP_URL" --ztp "$ZTP_URL" \
    --fault no-return-after-reboot
check_eq "no return after reboot: exit 1" 1 "$rc"
check_eq "no return after reboot: the transcript stops at the reboot" \
    "$M REBOOT reason=new image 4.1.7.5432
$M GONE (fault no-return-after-reboot)" "$(printf '%s\n' "$ts" | tail -2)"
check_eq "no return after reboot: one-line reason" \
    "VVX410 $M: never came back after its reboot" "$err"

# A flash that does not take: the image is downloaded whole and checked,
# the phone reboots, and comes back at its old version; a boot server that
# keeps offering the image sees it taken whole at every boot.
M=0004f2002d02
phone VVX410 4.1.4.7430 $M --server "$HTTP_URL" --ztp "$ZTP_URL" \
    --fault flash-no-take
check_eq "flash-no-take: exit 1" 1 "$rc"
check_eq "flash-no-take: taken whole at each of its 8 boots, never running it" \
    8 "$(printf '%s\n' "$ts" | grep -c "^$M FLASH 4.1.7.5432 (300000 bytes, sha256 ok) did not take (fault flash-no-take): still 4.1.4.7430$")"
check_contains "flash-no-take: every boot is at the old version" \
    "$M BOOT 8 version=4.1.4.7430" "$ts"
check_eq "flash-no-take: one-line reason" \
    "VVX410 $M: still 4.1.4.7430 after 8 boots: rebooted 8 times without settling" "$err"

# A corrupt image is refused; the phone goes on, is re-pointed on its old
# firmware, and then refuses ZTP's SHA-2 chain.
M=0004f2002e01
cp "$ROOT/3111-46162-001.sip.ld" "$ROOT/bad.sip.ld"
printf 'X' | dd of="$ROOT/bad.sip.ld" bs=1 seek=1000 conv=notrunc 2>/dev/null
cat >"$ROOT/$M.cfg" <<'EOF2'
<APPLICATION APP_FILE_PATH="bad.sip.ld" CONFIG_FILES="trust.cfg, repoint.cfg"/>
EOF2
phone VVX410 4.1.4.7430 $M --server "$HTTP_URL" --ztp "$ZTP_URL"
check_eq "corrupt image: exit 1" 1 "$rc"
check_contains "corrupt image: refused after download" \
    "$M HTTP GET bad.sip.ld 200
$M IMAGE bad.sip.ld rejected: payload-sha256 mismatch
$M HTTP GET trust.cfg 200" "$ts"
check_eq "corrupt image: the old firmware then fails at ZTP" \
    "VVX410 $M: still 4.1.4.7430 after 2 boots: ZTP failed: firmware 4.1.4.7430 refuses the SHA-2 signed certificate at depth 1 (VVX410 needs 4.1.7 or later)" \
    "$err"

# Hostile input: a header whose version is not one, a non-ASCII file name.
M=0004f2002f01
{
	printf 'ZTP-RESCUE SYNTHETIC UC SOFTWARE IMAGE - NOT POLYCOM SOFTWARE\n'
	printf 'format: 1\npart: 3111-46162-001\nversion: 4.1.7.5432 (evil)\n'
	printf 'models: VVX410\npayload-size: 10\npayload-sha256: 00\n'
} >"$FX/evil"
truncate -s 522 "$FX/evil"
cp "$FX/evil" "$ROOT/evil.sip.ld"
cat >"$ROOT/$M.cfg" <<'EOF2'
<APPLICATION APP_FILE_PATH="evil.sip.ld" CONFIG_FILES="caf&#233;.cfg"/>
EOF2
phone VVX410 4.1.4.7430 $M --server "$HTTP_URL"
check_contains "an image header with a bad version is abandoned" \
    "$M HTTP GET evil.sip.ld abandoned after 512 bytes: image header version is not a four-field version" "$ts"
check_contains "a non-ASCII file name is escaped in the transcript" \
    "$M HTTP GET caf\\xc3\\xa9.cfg 404" "$ts"
check_eq "the phone says why it is still old" \
    "VVX410 $M: still 4.1.4.7430 after 1 boot: image evil.sip.ld was rejected" "$err"

# A fleet of phones at once, MACs counting up.
out=$("$PHONESIM_BIN" --model VVX410 --version 4.1.4.7430 --mac 0004f2003000 \
    --server "$HTTP_URL" --ztp "$ZTP_URL" --fleet 6 --timeout 90 \
    --transcript "$FX/fleet.ts" 2>"$FX/err"); rc=$?
check_eq "fleet of 6: exit 0" 0 "$rc"
check_eq "fleet of 6: six recovered JSON lines" 6 \
    "$(printf '%s\n' "$out" | grep -c '"reached_ztp":true,"boots":3,"recovered":true')"
check_eq "fleet of 6: a transcript section per phone" \
    "# phone 0004f2003000 VVX410
# phone 0004f2003001 VVX410
# phone 0004f2003002 VVX410
# phone 0004f2003003 VVX410
# phone 0004f2003004 VVX410
# phone 0004f2003005 VVX410" "$(grep '^#' "$FX/fleet.ts")"
check_eq "fleet of 6: each section ends at ZTP" 6 \
    "$(grep -c '^0004f200300[0-5] ZTP ok$' "$FX/fleet.ts")"
check_eq "fleet of 6: each phone has its own address on a loopback server" \
    "127.0.1.1 /0004f2003000.cfg
127.0.1.2 /0004f2003001.cfg
127.0.1.3 /0004f2003002.cfg
127.0.1.4 /0004f2003003.cfg
127.0.1.5 /0004f2003004.cfg
127.0.1.6 /0004f2003005.cfg" \
    "$(grep '/0004f200300[0-5].cfg$' "$FX/remote.log" | sort -u)"
check_eq "fleet of 6: the mock ZTP endpoint saw six phones" 6 \
    "$(grep -o ' 0004f200300[0-5] ' "$FX/arrivals.log" | sort -u | wc -l | tr -d ' ')"

# A mixed closet from a file: one phone without an override fails alone.
cat >"$FX/closet" <<'EOF2'
# model version mac
VVX410 4.1.4.7430 0004f2004001
VVX501 5.3.0.10000 0004f2004002
VVX410 4.1.7.5432 00:04:f2:00:40:03
SPIP670 4.0.7.2514 0004f2004004
EOF2
out=$("$PHONESIM_BIN" --closet "$FX/closet" --server "$HTTP_URL" \
    --ztp "$ZTP_URL" --timeout 90 --transcript "$FX/closet.ts" 2>"$FX/err"); rc=$?
check_eq "mixed closet with one unserved model: exit 1" 1 "$rc"
check_eq "mixed closet: only the unserved phone is reported" \
    "SPIP670 0004f2004004: still 4.0.7.2514 after 1 boot: server offered no image" \
    "$(cat "$FX/err")"
check_eq "mixed closet: three of four recovered" 3 \
    "$(printf '%s\n' "$out" | grep -c '"recovered":true')"
check_eq "mixed closet: sections name each phone's model" \
    "# phone 0004f2004001 VVX410
# phone 0004f2004002 VVX501
# phone 0004f2004003 VVX410
# phone 0004f2004004 SPIP670" "$(grep '^#' "$FX/closet.ts")"
echo "VVX999 4.1.4.7430 0004f2004005" >"$FX/closet"
"$PHONESIM_BIN" --closet "$FX/closet" --server "$HTTP_URL" 2>"$FX/err"; rc=$?
check_eq "a closet line with an unknown model is a usage error (2)" 2 "$rc"
check_contains "the bad closet line is named" "closet:1: want" "$(cat "$FX/err")"

"$PHONESIM_BIN" --model VVX410 --version 4.1.4.7430 --mac 0004f2000001 \
    --server "$HTTP_URL" --fault power-loss-at=lots 2>"$FX/err"; rc=$?
check_eq "a bad fault is a usage error (2)" 2 "$rc"
check_contains "a bad fault is named" "fault 'power-loss-at=lots' has a bad number" \
    "$(cat "$FX/err")"

done_testing
