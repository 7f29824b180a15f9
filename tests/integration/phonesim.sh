#!/bin/sh
# The phone simulator over HTTP against a static boot server (nginx with
# PUT) and the mock ZTP endpoint: exact transcripts of an old phone that
# updates, installs the CA and reaches ZTP; a current phone that abandons
# the image after its header; a factory phone refusing the SHA-2 chain; a
# 5.x phone (doubled prefix, HEAD before PUT, calls.xml); a model without an
# override; a hand-off; User-Agents and uploads as the server saw them.
. "$TOP/tests/lib.sh"
. "$TOP/tests/phonesim/fixture.sh"

if ! command -v nginx >/dev/null 2>&1; then
	skip "nginx (Debian nginx-light) is not installed"
	done_testing
	exit 0
fi

"$PHONESIM_BIN" make-test-pki "$FX/pki" >/dev/null 2>&1; rc=$?
check_eq "make-test-pki exits 0" 0 "$rc"
for f in ca.pem ca.key server.pem server.key sha1-ca.pem sha1-server.pem; do
	check "make-test-pki wrote $f" test -s "$FX/pki/$f"
done
sig=$(openssl x509 -in "$FX/pki/ca.pem" -noout -text | grep -m1 'Signature Algorithm')
check_contains "the CA is signed with SHA-256" "sha256WithRSAEncryption" "$sig"
check_contains "the CA key is RSA 2048" "2048 bit" \
    "$(openssl x509 -in "$FX/pki/ca.pem" -noout -text)"
verifies() {
	openssl verify -CAfile "$1" -verify_ip 127.0.0.1 "$2" >/dev/null 2>&1
}
check "server.pem verifies against ca.pem for 127.0.0.1" \
    verifies "$FX/pki/ca.pem" "$FX/pki/server.pem"
check "sha1-server.pem does not verify against ca.pem" \
    eval '! verifies "$FX/pki/ca.pem" "$FX/pki/sha1-server.pem"'
sig=$(openssl x509 -in "$FX/pki/sha1-server.pem" -noout -text | grep -m1 'Signature Algorithm')
check_contains "the SHA-1 server certificate is signed with SHA-1" \
    "sha1WithRSAEncryption" "$sig"

ROOT="$FX/root"
fx_boot_root "$ROOT" "$FX/pki/ca.pem"
fx_nginx "$ROOT"
check "nginx boot server is up" fx_listening_tcp "$HTTP_PORT"
fx_ztp_mock "$FX/pki/server.pem" "$FX/pki/server.key"
check "mock ZTP endpoint is up" fx_listening_tcp "$ZTP_PORT"
CA_FP=$(fx_der_sha256 "$FX/pki/ca.pem")

# phone MODEL VERSION MAC [ARGS...]: runs one phone; sets rc, out, err, ts.
phone() {
	_m=$1 _v=$2 _mac=$3; shift 3
	out=$("$PHONESIM_BIN" --model "$_m" --version "$_v" --mac "$_mac" \
	    --transcript "$FX/ts" --timeout 60 "$@" 2>"$FX/err"); rc=$?
	err=$(cat "$FX/err")
	ts=$(cat "$FX/ts")
}

# (a) An old VVX410: update, reboot, CA, re-point, ZTP.
M=0004f2000a01
phone VVX410 4.1.4.7430 $M --server "$HTTP_URL" --ztp "$ZTP_URL"
check_eq "(a) old phone recovers: exit 0" 0 "$rc"
check_eq "(a) old phone: nothing on stderr" "" "$err"
expected="$M BOOT 1 version=4.1.4.7430 target=$HTTP_URL
$M HTTP PUT $M-app.log 201
$M HTTP GET $M.cfg 404
$M HTTP GET 000000000000.cfg 200
$M HTTP GET 3111-46162-001.sip.ld 200
$M FLASH 4.1.7.5432 (300000 bytes, sha256 ok)
$M REBOOT reason=new image 4.1.7.5432
$M BOOT 2 version=4.1.7.5432 target=$HTTP_URL
$M HTTP PUT $M-app.log 204
$M HTTP GET $M.cfg 404
$M HTTP GET 000000000000.cfg 200
$M HTTP GET 3111-46162-001.sip.ld abandoned after 512 bytes
$M HTTP GET trust.cfg 200
$M HTTP GET repoint.cfg 200
$M HTTP GET late.cfg 200
$M HTTP GET $M-phone.cfg 404
$M HTTP GET $M-web.cfg 404
$M HTTP GET 000000000000-license.cfg 404
$M HTTP GET $M-license.cfg 404
$M HTTP GET $M-directory.xml 404
$M HTTP GET 000000000000-directory.xml 404
$M DEVICE device.sec.TLS.customCaCert1 sha256=$CA_FP
$M DEVICE device.prov.serverName=\"\"
$M DEVICE device.prov.ztpEnabled=\"1\"
$M HTTP PUT $M-boot.log 201
$M HTTP PUT $M-app.log 204
$M REBOOT reason=device settings changed (device.sec.TLS.customCaCert1,device.prov.serverName,device.prov.ztpEnabled)
$M BOOT 3 version=4.1.7.5432 target=ztp
$M ZTP ok"
check_eq "(a) old phone: exact transcript" "$expected" "$ts"
check_eq "(a) old phone: its JSON line" \
    "{\"mac\":\"$M\",\"model\":\"VVX410\",\"part\":\"3111-46162-001\",\"version_before\":\"4.1.4.7430\",\"version_after\":\"4.1.7.5432\",\"ca_sha256\":\"$CA_FP\",\"target\":\"ztp\",\"handoff\":null,\"reached_ztp\":true,\"boots\":3,\"recovered\":true,\"reason\":null,\"ignored\":null}" \
    "$out"
check_eq "(a) the mock ZTP endpoint recorded the phone once" 1 \
    "$(grep -c " $M FileTransport PolycomVVX-VVX_410-UA/4.1.7.5432 Type/Application\$" "$FX/arrivals.log")"
ua_upd="FileTransport PolycomVVX-VVX_410-UA/5.0.3.1667 Type/Updater"
ua_app="FileTransport PolycomVVX-VVX_410-UA/4.1.7.5432 Type/Application"
check_eq "(a) the server saw the Updater User-Agent for the image stage" \
    "GET /3111-46162-001.sip.ld 200 \"$ua_upd\"" \
    "$(grep "^GET /3111-46162-001.sip.ld " "$FX/access.log" | head -1)"
check_eq "(a) the server saw the Application User-Agent after" \
    "GET /trust.cfg 200 \"$ua_app\"" \
    "$(grep "^GET /trust.cfg " "$FX/access.log")"
check "(a) the uploaded app log names the version it ran before" \
    grep -q "Application Name: SIP, Version: 4.1.4.7430" "$ROOT/$M-app.log"
check "(a) the uploaded app log records the CA install" \
    grep -q "customCaCert1 installed sha256 $CA_FP" "$ROOT/$M-app.log"
check "(a) the uploaded boot log names the running version" \
    grep -q "application 4.1.7.5432 on flash" "$ROOT/$M-boot.log"

# (b) A phone already at the image version abandons it after the header.
M=0004f2000b01
phone VVX410 4.1.7.5432 $M --server "$HTTP_URL" --ztp "$ZTP_URL"
check_eq "(b) current phone recovers: exit 0" 0 "$rc"
expected="$M BOOT 1 version=4.1.7.5432 target=$HTTP_URL
$M HTTP PUT $M-app.log 201
$M HTTP GET $M.cfg 404
$M HTTP GET 000000000000.cfg 200
$M HTTP GET 3111-46162-001.sip.ld abandoned after 512 bytes
$M HTTP GET trust.cfg 200
$M HTTP GET repoint.cfg 200
$M HTTP GET late.cfg 200
$M HTTP GET $M-phone.cfg 404
$M HTTP GET $M-web.cfg 404
$M HTTP GET 000000000000-license.cfg 404
$M HTTP GET $M-license.cfg 404
$M HTTP GET $M-directory.xml 404
$M HTTP GET 000000000000-directory.xml 404
$M DEVICE device.sec.TLS.customCaCert1 sha256=$CA_FP
$M DEVICE device.prov.serverName=\"\"
$M DEVICE device.prov.ztpEnabled=\"1\"
$M HTTP PUT $M-boot.log 201
$M HTTP PUT $M-app.log 204
$M REBOOT reason=device settings changed (device.sec.TLS.customCaCert1,device.prov.serverName,device.prov.ztpEnabled)
$M BOOT 2 version=4.1.7.5432 target=ztp
$M ZTP ok"
check_eq "(b) current phone: exact transcript" "$expected" "$ts"

# A phone offered an older image downgrades (different, not newer).
M=0004f2000b02
phone VVX410 5.4.1.18370 $M --server "$HTTP_URL" --ztp "$ZTP_URL"
check_contains "a newer phone is downgraded by an older image it is offered" \
    "$M FLASH 4.1.7.5432 (300000 bytes, sha256 ok)" "$ts"

# (c) A factory phone on old firmware sent to ZTP refuses the SHA-2 chain.
M=0004f2000c01
phone VVX410 4.1.4.7430 $M --ztp "$ZTP_URL"
check_eq "(c) old factory phone at ZTP: exit 1" 1 "$rc"
expected="$M BOOT 1 version=4.1.4.7430 target=ztp
$M ZTP failed: firmware 4.1.4.7430 refuses the SHA-2 signed certificate at depth 0 (VVX410 needs 4.1.7 or later)"
check_eq "(c) old factory phone: exact transcript" "$expected" "$ts"
check_eq "(c) old factory phone: one-line reason" \
    "VVX410 $M: still 4.1.4.7430 after 1 boot: ZTP failed: firmware 4.1.4.7430 refuses the SHA-2 signed certificate at depth 0 (VVX410 needs 4.1.7 or later)" \
    "$err"
check_eq "(c) the mock ZTP endpoint never saw the phone" 0 \
    "$(grep -c " $M " "$FX/arrivals.log")"
check "(c) the mock ZTP endpoint logged the failed handshake" \
    grep -q '^# [0-9]* handshake failed' "$FX/arrivals.log"

# The same phone at a SHA-2-capable version, trusting the CA, gets through;
# without the CA it does not.
M=0004f2000c02
phone VVX410 4.1.7.5432 $M --ztp "$ZTP_URL" --ztp-ca "$FX/pki/ca.pem"
check_eq "a current factory phone trusting the CA reaches ZTP" "$M ZTP ok" \
    "$(grep ZTP "$FX/ts")"
M=0004f2000c03
phone VVX410 4.1.7.5432 $M --ztp "$ZTP_URL"
check_contains "a current phone without the CA does not trust the chain" \
    "$M ZTP failed: certificate not trusted at depth 0" "$ts"

# The refusal is about SHA-2: the same old firmware accepts a SHA-1 chain
# that it trusts (a second mock endpoint serving the SHA-1 certificate).
ZTP_SHA2_URL=$ZTP_URL
fx_ztp_mock "$FX/pki/sha1-server.pem" "$FX/pki/sha1-server.key"
M=0004f2000c04
phone VVX410 4.1.4.7430 $M --ztp "$ZTP_URL" --ztp-ca "$FX/pki/sha1-ca.pem"
check_eq "an old factory phone accepts a trusted SHA-1 chain" "$M BOOT 1 version=4.1.4.7430 target=ztp
$M ZTP ok" "$ts"
ZTP_URL=$ZTP_SHA2_URL

# A 5.x VVX: HEAD before PUT on the app log, doubled prefix, calls.xml.
M=0004f2000d01
phone VVX501 5.3.0.10000 $M --server "$HTTP_URL" --ztp "$ZTP_URL"
check_eq "5.x phone recovers: exit 0" 0 "$rc"
expected="$M BOOT 1 version=5.3.0.10000 target=$HTTP_URL
$M HTTP HEAD $M-app.log 404
$M HTTP PUT $M-app.log 201
$M HTTP GET $M.cfg 404
$M HTTP GET 000000000000.cfg 200
$M HTTP GET 3111-48500-001.3111-48500-001.sip.ld 200
$M FLASH 5.4.1.18370 (200000 bytes, sha256 ok)
$M REBOOT reason=new image 5.4.1.18370
$M BOOT 2 version=5.4.1.18370 target=$HTTP_URL
$M HTTP HEAD $M-app.log 200
$M HTTP PUT $M-app.log 204
$M HTTP GET $M.cfg 404
$M HTTP GET 000000000000.cfg 200
$M HTTP GET 3111-48500-001.3111-48500-001.sip.ld abandoned after 512 bytes
$M HTTP GET trust.cfg 200
$M HTTP GET repoint.cfg 200
$M HTTP GET $M-phone.cfg 404
$M HTTP GET $M-web.cfg 404
$M HTTP GET 000000000000-license.cfg 404
$M HTTP GET $M-license.cfg 404
$M HTTP GET $M-calls.xml 404
$M HTTP GET $M-directory.xml 404
$M HTTP GET 000000000000-directory.xml 404
$M DEVICE device.sec.TLS.customCaCert1 sha256=$CA_FP
$M DEVICE device.prov.serverName=\"\"
$M DEVICE device.prov.ztpEnabled=\"1\"
$M HTTP PUT $M-boot.log 201
$M HTTP HEAD $M-app.log 200
$M HTTP PUT $M-app.log 204
$M REBOOT reason=device settings changed (device.sec.TLS.customCaCert1,device.prov.serverName,device.prov.ztpEnabled)
$M BOOT 3 version=5.4.1.18370 target=ztp
$M ZTP ok"
check_eq "5.x phone: exact transcript" "$expected" "$ts"

# A model the master config has no override for is offered nothing.
M=0004f2000e01
phone SPIP670 4.0.7.2514 $M --server "$HTTP_URL" --ztp "$ZTP_URL"
check_eq "a model without an override: exit 1" 1 "$rc"
check_eq "a model without an override: one-line reason" \
    "SPIP670 $M: still 4.0.7.2514 after 1 boot: server offered no image" "$err"
check_contains "its JSON line says it was not recovered" \
    "\"version_after\":\"4.0.7.2514\",\"ca_sha256\":null,\"target\":\"$HTTP_URL\"" "$out"
check_eq "SoundPoint User-Agent" \
    "GET /$M.cfg 404 \"FileTransport PolycomSoundPointIP-SPIP_670-UA/5.0.3.1667 Type/Updater\"" \
    "$(grep "^GET /$M.cfg " "$FX/access.log")"

# A model outside the table, given a part number, is simulated too.
M=0004f2000e02
phone VVX9999 4.1.4.7430 $M --part 3111-99999-001 --server "$HTTP_URL"
check_eq "a model outside the table: exit 1" 1 "$rc"
check_eq "a model outside the table: one-line reason" \
    "VVX9999 $M: still 4.1.4.7430 after 1 boot: server offered no image" "$err"
check_eq "a model outside the table: its User-Agent" \
    "GET /$M.cfg 404 \"FileTransport PolycomVVX-VVX_9999-UA/5.0.3.1667 Type/Updater\"" \
    "$(grep "^GET /$M.cfg " "$FX/access.log")"

# A phone with its own <mac>.cfg is handed off to another server.
M=0004f2000f01
cat >"$ROOT/$M.cfg" <<'EOF'
<APPLICATION APP_FILE_PATH="sip.ld" CONFIG_FILES="trust.cfg, handoff-[PHONE_MAC_ADDRESS].cfg"/>
EOF
cat >"$ROOT/handoff-$M.cfg" <<EOF
<polycomConfig device.set="1" device.prov.serverName.set="1" device.prov.serverName="${HTTP_URL}customer/" device.prov.serverType.set="1" device.prov.serverType="HTTP"/>
EOF
phone VVX410 4.1.7.5432 $M --server "$HTTP_URL"
check_eq "hand-off: exit 0" 0 "$rc"
check_contains "hand-off: the phone asked its own <mac>.cfg first" \
    "$M HTTP GET $M.cfg 200
$M HTTP GET 3111-46162-001.sip.ld abandoned after 512 bytes
$M HTTP GET trust.cfg 200
$M HTTP GET handoff-$M.cfg 200" "$ts"
check_contains "hand-off: the phone contacts the new server for its config" \
    "$M BOOT 2 version=4.1.7.5432 target=${HTTP_URL}customer/
$M HANDOFF ${HTTP_URL}customer/
$M HTTP GET $M.cfg 404" "$ts"
check_contains "hand-off: JSON names the hand-off server" \
    "\"handoff\":\"${HTTP_URL}customer/\"" "$out"

# The mock ZTP endpoint on its own: MAC from the path or from the SN.
curl -s --cacert "$FX/pki/ca.pem" -A "probe" "${ZTP_URL}0004F2ABCDEF.cfg" >"$FX/body"
check_eq "ztp-mock answers with a small body" "ZTP mock: hello 0004f2abcdef" "$(cat "$FX/body")"
curl -s --cacert "$FX/pki/ca.pem" -A "FileTransport PolycomVVX-VVX_410-UA/4.1.7.5432 (SN:0004f2abcd01) Type/Application" \
    "${ZTP_URL}hello" >/dev/null
check_eq "ztp-mock records the MAC of the path, lower case" 1 \
    "$(grep -c '^[0-9]* 0004f2abcdef probe$' "$FX/arrivals.log")"
check_eq "ztp-mock records the MAC of the SN in the User-Agent" 1 \
    "$(grep -c '^[0-9]* 0004f2abcd01 FileTransport PolycomVVX-VVX_410-UA/4.1.7.5432 (SN:0004f2abcd01) Type/Application$' "$FX/arrivals.log")"

# It stops cleanly on SIGTERM (no sanitizer report, exit 0).
P2=$(free_port tcp)
"$PHONESIM_BIN" ztp-mock --listen "127.0.0.1:$P2" --cert "$FX/pki/server.pem" \
    --key "$FX/pki/server.key" --log "$FX/arrivals2.log" 2>"$FX/mock2.err" &
mock2=$!
wait_for 10 fx_listening_tcp "$P2"
curl -s --cacert "$FX/pki/ca.pem" "https://127.0.0.1:$P2/0004f2abcd02.cfg" >/dev/null
kill -TERM $mock2; wait $mock2; rc=$?
check_eq "ztp-mock exits 0 on SIGTERM" 0 "$rc"
check_eq "ztp-mock says only where it listened" \
    "phonesim ztp-mock: listening on 127.0.0.1:$P2" "$(cat "$FX/mock2.err")"

# By default the User-Agent carries no (SN:<mac>) (device.prov.tagSerialNo
# is 0); --tag-serial-no sets it in flash.
M=0004f2001a01
phone SPIP670 4.0.7.2514 $M --server "$HTTP_URL" --tag-serial-no
check_eq "tagSerialNo=1: the User-Agent carries (SN:<mac>)" \
    "GET /$M.cfg 404 \"FileTransport PolycomSoundPointIP-SPIP_670-UA/5.0.3.1667 (SN:$M) Type/Updater\"" \
    "$(grep "^GET /$M.cfg " "$FX/access.log")"

# Parameters and values a phone does not know (params.tsv) are not used,
# with a line in the app log, and the phone says the server meant
# something it did not take.
M=0004f2001b01
cat >"$ROOT/$M.cfg" <<'EOF'
<APPLICATION APP_FILE_PATH="" CONFIG_FILES="trust.cfg, bad-repoint.cfg"/>
EOF
cat >"$ROOT/bad-repoint.cfg" <<'EOF'
<polycomConfig device.set="1" device.sec.TLS.profile.caCertList1.set="1" device.sec.TLS.profile.caCertList1="Builtin,Custom1" device.sec.TLS.profileSelection.provisioning.set="1" device.sec.TLS.profileSelection.provisioning="PROFILE1" device.prov.ztpMode.set="1" device.prov.ztpMode="1" device.prov.serverName.set="1" device.prov.serverName="" device.prov.ztpEnabled.set="1" device.prov.ztpEnabled="1"/>
EOF
phone VVX410 4.1.7.5432 $M --server "$HTTP_URL" --ztp "$ZTP_URL"
check_eq "undocumented parameters: exit 1" 1 "$rc"
check_contains "the transcript says caCertList1's value was ignored" \
    "$M DEVICE device.sec.TLS.profile.caCertList1 ignored: value \"Builtin,Custom1\" out of range" "$ts"
check_contains "and profileSelection.provisioning's" \
    "$M DEVICE device.sec.TLS.profileSelection.provisioning ignored: value \"PROFILE1\" out of range" "$ts"
check_contains "and the unknown parameter" \
    "$M DEVICE device.prov.ztpMode ignored: unknown parameter" "$ts"
check_contains "the documented ones are applied" \
    "$M REBOOT reason=device settings changed (device.sec.TLS.customCaCert1,device.prov.serverName,device.prov.ztpEnabled)" "$ts"
check "the uploaded app log has the Prm line" \
    grep -q 'Prm|Parameter device.prov.ztpMode not used: unknown parameter' \
    "$ROOT/$M-app.log"
check_eq "the phone reports what it ignored" \
    "VVX410 $M: ignored device.* parameters it was sent: device.sec.TLS.profile.caCertList1 (value \"Builtin,Custom1\" out of range); device.sec.TLS.profileSelection.provisioning (value \"PROFILE1\" out of range); device.prov.ztpMode (unknown parameter)" \
    "$err"
check_contains "its JSON line lists them" \
    '"ignored":"device.sec.TLS.profile.caCertList1 (value \"Builtin,Custom1\" out of range);' \
    "$out"

# A documented value that leaves customCaCert1 out of the provisioning
# profile: the phone does not trust the CA it was given.
M=0004f2001b02
cat >"$ROOT/$M.cfg" <<'EOF'
<APPLICATION APP_FILE_PATH="" CONFIG_FILES="trust.cfg, builtin.cfg, repoint.cfg"/>
EOF
cat >"$ROOT/builtin.cfg" <<'EOF'
<polycomConfig device.set="1" device.sec.TLS.profile.caCertList1.set="1" device.sec.TLS.profile.caCertList1="Builtin" device.sec.TLS.profileSelection.provisioning.set="1" device.sec.TLS.profileSelection.provisioning="PlatformProfile1"/>
EOF
phone VVX410 4.1.7.5432 $M --server "$HTTP_URL" --ztp "$ZTP_URL"
check_eq "caCertList1=Builtin: exit 1" 1 "$rc"
check_eq "caCertList1=Builtin: ZTP's chain is not trusted" \
    "VVX410 $M: ZTP failed: certificate not trusted at depth 0: unable to get local issuer certificate" "$err"
M=0004f2001b03
cp "$ROOT/0004f2001b02.cfg" "$ROOT/$M.cfg"
sed 's/caCertList1="Builtin"/caCertList1="Platform1"/' "$ROOT/builtin.cfg" \
    >"$ROOT/platform1.cfg"
sed -i 's/builtin.cfg/platform1.cfg/' "$ROOT/$M.cfg"
phone VVX410 4.1.7.5432 $M --server "$HTTP_URL" --ztp "$ZTP_URL"
check_eq "caCertList1=Platform1, PlatformProfile1: recovered" 0 "$rc"

# A parameter newer than the phone's version is not used.
M=0004f2001b04
cat >"$ROOT/$M.cfg" <<'EOF'
<APPLICATION APP_FILE_PATH="" CONFIG_FILES="trust.cfg, repoint.cfg"/>
EOF
phone SPIP670 3.3.0.1234 $M --server "$HTTP_URL" --required 3.3.0
check_contains "ztpEnabled on 3.3.0: not used" \
    "$M DEVICE device.prov.ztpEnabled ignored: unknown before 4.0.0" "$ts"

# A SIP 3.x SoundPoint boots through its BootROM: bootrom.ld first, a
# User-Agent with the BootROM's version and no Type/; a BootROM older than
# 4.x refuses a UC Software 4.x application; given bootrom.ld, it flashes
# the new BootROM, reboots, and then takes the application.
M=0004f2001c01
cat >"$ROOT/$M.cfg" <<'EOF'
<APPLICATION APP_FILE_PATH="sip.ld" CONFIG_FILES=""/>
EOF
fx_image 2345-12670-001 4.0.8.0931 SPIP670 3000 "$ROOT/2345-12670-001.sip.ld"
phone SPIP670 3.2.3.1734 $M --server "$HTTP_URL" --updater 2.5.2.0010 \
    --required 4.0.8
check_eq "SIP 3.2 with BootROM 2.5: the application is refused" \
    "$M BOOT 1 version=3.2.3.1734 target=$HTTP_URL
$M HTTP GET bootrom.ld 404
$M HTTP GET $M.cfg 200
$M HTTP GET 2345-12670-001.sip.ld abandoned after 512 bytes: BootROM 2.5.2.0010 cannot load UC Software 4.0.8.0931" \
    "$(printf '%s\n' "$ts" | sed -n 1,4p)"
check_eq "its BootROM User-Agent has no Type/" \
    "GET /bootrom.ld 404 \"FileTransport PolycomSoundPointIP-SPIP_670-UA/2.5.2.0010\"" \
    "$(grep "^GET /bootrom.ld " "$FX/access.log" | tail -1)"
check_contains "it says why it is still old" \
    "still 3.2.3.1734 after 1 boot: image 2345-12670-001.sip.ld was rejected" "$err"
fx_image bootrom 4.2.2.0710 SPIP670 1000 "$ROOT/bootrom.ld"
M=0004f2001c02
cp "$ROOT/0004f2001c01.cfg" "$ROOT/$M.cfg"
phone SPIP670 3.2.3.1734 $M --server "$HTTP_URL" --updater 2.5.2.0010 \
    --required 4.0.8
check_eq "given bootrom.ld: BootROM first, then the application" \
    "$M BOOT 1 version=3.2.3.1734 target=$HTTP_URL
$M HTTP GET bootrom.ld 200
$M FLASH BootROM 4.2.2.0710 (1000 bytes, sha256 ok)
$M REBOOT reason=new BootROM 4.2.2.0710
$M BOOT 2 version=3.2.3.1734 target=$HTTP_URL
$M HTTP GET bootrom.ld abandoned after 512 bytes
$M HTTP GET $M.cfg 200
$M HTTP GET 2345-12670-001.sip.ld 200
$M FLASH 4.0.8.0931 (3000 bytes, sha256 ok)
$M REBOOT reason=new image 4.0.8.0931
$M BOOT 3 version=4.0.8.0931 target=$HTTP_URL" \
    "$(printf '%s\n' "$ts" | sed -n 1,11p)"
rm -f "$ROOT/bootrom.ld" "$ROOT/2345-12670-001.sip.ld"

# Usage errors.
"$PHONESIM_BIN" --model VVX999 --version 4.1.4.7430 --mac 0004f2000001 \
    --server "$HTTP_URL" 2>"$FX/err"; rc=$?
check_eq "an unknown model is a usage error (2)" 2 "$rc"
check_contains "an unknown model is named" "unknown model 'VVX999'" "$(cat "$FX/err")"
"$PHONESIM_BIN" --model VVX410 --version 4.1 --mac 0004f2 \
    --server "$HTTP_URL" 2>/dev/null; rc=$?
check_eq "a bad MAC is a usage error (2)" 2 "$rc"
check_eq "list-models has every token with a part number" 26 \
    "$("$PHONESIM_BIN" list-models | grep -vc '	-	')"

done_testing
