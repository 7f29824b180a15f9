#!/bin/sh
# ztp-rescue serve over HTTP with curl as the phones, using real
# User-Agent forms: a complete recovery of each model family, a newer phone
# that must not be downgraded, an unknown model, the optional files, status
# and the report.
. "$TOP/tests/lib.sh"
. "$TOP/tests/serve-lib.sh"

[ -x "$SYNTH_BIN" ] || { skip "no ucs-synth at $SYNTH_BIN"; done_testing; exit 0; }
D=$(make_tmpdir)
check "synthetic library and CA made" serve_fixture "$D"
check "daemon up" serve_start "$D" --ca "$D/ca.pem" --quiet-period 2

# A second daemon (another state directory) on the same TFTP port: it
# started, and the phones' requests went to one or the other at random.
mkdir -p "$D/second"
err=$(timeout 20 "$ZTP_BIN" serve --listen 127.0.0.1 --http-port 0 \
    --tftp-port "$TFTP" --syslog-port 0 --state "$D/second" \
    --library "$D/library" --no-dhcp --foreground 2>&1 </dev/null)
check_contains "a second daemon on the same TFTP port does not start" \
    "cannot listen for TFTP on 127.0.0.1 port $TFTP: Address already in use (another TFTP server runs" \
    "$err"

# recover MODEL_UA_TOKEN FAMILY PART OLD TARGET MAC IP [DOUBLED]
recover() {
	_tok=$1; _fam=$2; _part=$3; _old=$4; _tgt=$5; _mac=$6; _ip=$7
	_img="$_part.sip.ld"
	[ "${8:-}" = doubled ] && _img="$_part.$_part.sip.ld"
	_upd="FileTransport Polycom$_fam-$_tok-UA/5.0.3.1667 Type/Updater"
	_app_old="FileTransport Polycom$_fam-$_tok-UA/$_old (SN:$_mac) Type/Application"
	_app_new="FileTransport Polycom$_fam-$_tok-UA/$_tgt Type/Application"
	_m=$(echo "$_tok" | tr -d _)

	check_eq "$_m: <mac>.cfg served" 200 "$(get "$_upd" "$_ip" "$_mac.cfg")"
	curl -s --interface "$_ip" -A "$_upd" "http://127.0.0.1:$HTTP/$_mac.cfg" >"$D/$_mac.cfg"
	check_contains "$_m: its override points at its own image" \
	    "APP_FILE_PATH_$_m=\"$_part.sip.ld\"" "$(cat "$D/$_mac.cfg")"
	check_eq "$_m: identified from the Updater User-Agent" identified \
	    "$(phone_field "$D" "$_mac" state)"
	check_eq "$_m: an Updater version is not taken as UCS" "" \
	    "$(phone_field "$D" "$_mac" version)"
	# The old application runs first here and says what it is.
	check_eq "$_m: the trust file is empty for the old version" 200 \
	    "$(get "$_app_old" "$_ip" "ztp-rescue-$_mac.cfg")"
	check_eq "$_m: version before from the Application UA" "$_old" \
	    "$(phone_field "$D" "$_mac" version_before)"
	curl -s --interface "$_ip" -A "$_upd" -o "$D/img" "http://127.0.0.1:$HTTP/$_img"
	check_eq "$_m: image downloaded whole" \
	    "$(sha256 "$D/library/packages/"*/"$_part.sip.ld")" "$(sha256 "$D/img")"
	check "$_m: rebooting after the whole image" \
	    wait_for 5 state_is "$D" "$_mac" rebooting
	get "$_upd" "$_ip" "$_mac.cfg" >/dev/null
	get_header "$_upd" "$_ip" "$_img"
	check "$_m: current after abandoning its target image" \
	    wait_for 5 state_is "$D" "$_mac" current
	check_eq "$_m: version from the abandoned image" "$_tgt" \
	    "$(phone_field "$D" "$_mac" version)"
	curl -s --interface "$_ip" -A "$_app_new" \
	    "http://127.0.0.1:$HTTP/ztp-rescue-$_mac.cfg" >"$D/trust.cfg"
	sha256 "$D/trust.cfg" >"$D/trust-$_mac.sha256"
	check_contains "$_m: the CA goes into customCaCert1 with &#10;" \
	    'device.sec.TLS.customCaCert1="-----BEGIN CERTIFICATE-----&#10;' \
	    "$(cat "$D/trust.cfg")"
	check_contains "$_m: and the re-point at ZTP" \
	    'device.prov.ztpEnabled="1"' "$(cat "$D/trust.cfg")"
	check "$_m: repointed once the file is delivered" \
	    wait_for 5 state_is "$D" "$_mac" repointed
	check_eq "$_m: -phone.cfg is a fast 404" 404 \
	    "$(get "$_app_new" "$_ip" "$_mac-phone.cfg")"
	check "$_m: repointed-quiet after the quiet period" \
	    wait_for 10 state_is "$D" "$_mac" repointed-quiet
}

recover SPIP_550 SoundPointIP 2345-12500-001 4.0.1.1000 4.0.8.0931 0004f2000a01 127.0.0.11
recover SSIP_6000 SoundStationIP 3111-15600-001 3.3.1.0933 4.0.8.0931 0004f2000a02 127.0.0.12
recover VVX_410 VVX 3111-46162-001 4.1.4.7430 4.1.7.5432 0004f2000a03 127.0.0.13
recover VVX_411 VVX 3111-48450-001 5.2.0.8330 5.4.1.18370 0004f2000a04 127.0.0.14 doubled

# A 24 MB image: the header gate tells a phone that only read the header.
upd="FileTransport PolycomVVX-VVX_101-UA/5.0.3.1667 Type/Updater"
get "$upd" 127.0.0.15 0004f2000a05.cfg >/dev/null
get_header "$upd" 127.0.0.15 3111-40250-001.sip.ld
check "VVX101: abandoning a 24 MB image after the header means current" \
    wait_for 10 state_is "$D" 0004f2000a05 current
check_eq "VVX101: its version is the abandoned image's" 5.4.0.12410 \
    "$(phone_field "$D" 0004f2000a05 version)"

# A whole download of that image is not held at the header: its receive
# window shows an abandon could still be told, so the rest goes as soon as
# the header is acknowledged (said in the log), and all of it arrives.
get "$upd" 127.0.0.16 0004f2000a06.cfg >/dev/null
check_eq "VVX101: the whole image downloads" "200 25165824" \
    "$(curl -s -o /dev/null -w '%{http_code} %{size_download}' \
    --interface 127.0.0.16 -A "$upd" \
    "http://127.0.0.1:$HTTP/3111-40250-001.sip.ld")"
check "VVX101: the rest went once the header was acknowledged, no grace" \
    grep -q '3111-40250-001.sip.ld to 127.0.0.16:[0-9]*: header acknowledged after .* the rest sent at once' \
    "$D/serve.log"

# Newer than its target: never offered the older image.
mac=0004f2000b01
app="FileTransport PolycomVVX-VVX_410-UA/5.9.7.4477 Type/Application"
curl -s --interface 127.0.0.21 -A "$app" "http://127.0.0.1:$HTTP/$mac.cfg" >"$D/newer.cfg"
check_contains "newer VVX410: its config offers no image for its model" \
    'APP_FILE_PATH_VVX410="ztp-rescue-no-image-VVX410.sip.ld"' "$(cat "$D/newer.cfg")"
check_eq "newer VVX410: the image request is refused" 404 \
    "$(get "$app" 127.0.0.21 3111-46162-001.sip.ld)"
check_eq "newer VVX410: current, not downgraded" current \
    "$(phone_field "$D" $mac state)"
check_contains "newer VVX410: the reason says so" "not downgraded" \
    "$(phone_field "$D" $mac reason)"
check_eq "newer VVX410: still given SHA-2 trust and the re-point" 200 \
    "$(get "$app" 127.0.0.21 ztp-rescue-$mac.cfg)"
check "newer VVX410: repointed-quiet" wait_for 10 state_is "$D" $mac repointed-quiet

# A model not in the table gets the generic image name for its own token,
# and is held once the part it names is not in the table either.
mac=0004f2000c01
curl -s --interface 127.0.0.22 -A "FileTransport PolycomVVX-VVX_999-UA/6.0.0.1 Type/Updater" \
    "http://127.0.0.1:$HTTP/$mac.cfg" >"$D/unknown.cfg"
check_contains "unknown model: its token's override is the generic sip.ld" \
    'APP_FILE_PATH_VVX999="sip.ld"' "$(cat "$D/unknown.cfg")"
check_eq "unknown model: its part's image is refused" 404 \
    "$(get "FileTransport PolycomVVX-VVX_999-UA/6.0.0.1 Type/Updater" \
    127.0.0.22 3111-99999-001.sip.ld)"
check_eq "unknown model: held" held "$(phone_field "$D" $mac state)"
check_contains "unknown model: the reason names the part" \
    "part number 3111-99999-001 is not in the models table" \
    "$(phone_field "$D" $mac reason)"

# Optional files and names that are never served.
check_eq "000000000000-license.cfg is a 404" 404 \
    "$(get x 127.0.0.23 000000000000-license.cfg)"
check_eq "a combined sip.ld is never served" 404 "$(get x 127.0.0.23 sip.ld)"
check_eq "an escape from the root is refused" 404 \
    "$(curl -s -o /dev/null -w '%{http_code}' --path-as-is "http://127.0.0.1:$HTTP/../etc/passwd")"
curl -s "http://127.0.0.1:$HTTP/000000000000.cfg" >"$D/default.cfg"
check_contains "000000000000.cfg leads each phone to its own file" \
    'CONFIG_FILES="ztp-rescue-[PHONE_MAC_ADDRESS].cfg"' "$(cat "$D/default.cfg")"
check_eq "HEAD of an app log before its PUT is a 404" 404 \
    "$(curl -s -o /dev/null -w '%{http_code}' -I "http://127.0.0.1:$HTTP/0004f2000a01-app.log")"
check_eq "PUT of an app log is stored" 201 \
    "$(echo 'app log line' | curl -s -o /dev/null -w '%{http_code}' -T - "http://127.0.0.1:$HTTP/0004f2000a01-app.log")"
check "the upload is in the quarantine" test -f "$D/state/uploads/0004f2000a01-app.log"
check_eq "PUT of a name a phone never uploads is refused" 403 \
    "$(echo x | curl -s -o /dev/null -w '%{http_code}' -T - "http://127.0.0.1:$HTTP/evil.sh")"

# Status and report.
st=$("$ZTP_BIN" status --state "$D/state" --json)
check_eq "status counts five repointed-quiet phones" 5 "$(echo "$st" | jq '.counts["repointed-quiet"]')"
check_eq "status shows the CA" "$(openssl x509 -in "$D/ca.pem" -noout -fingerprint -sha256 | sed 's/.*=//; s/://g' | tr A-F a-f)" \
    "$(echo "$st" | jq -r .appliance.ca.sha256)"
"$ZTP_BIN" report --state "$D/state" --csv --out "$D/report.csv" 2>/dev/null
check_contains "CSV report row for the VVX410" \
    "0004f2000a03,127.0.0.13,VVX410,3111-46162-001,4.1.4.7430,4.1.7.5432,user-agent,4.1.7.5432," \
    "$(cat "$D/report.csv")"
check_contains "CSV report lists its transfers" \
    "http 3111-46162-001.sip.ld completed" "$(cat "$D/report.csv")"
"$ZTP_BIN" report --state "$D/state" --json --out "$D/report.json" 2>/dev/null
check_eq "JSON report: the SPIP550's state events in order" \
    "seen identified upgrading rebooting current trusting repointed repointed-quiet" \
    "$(jq -r '.phones[] | select(.mac == "0004f2000a01") | [.events[] | select(.kind == "state") | .to] | join(" ")' "$D/report.json")"
check_contains "JSON report: the settings in force" "unknown-version=upgrade" \
    "$(jq -r .settings "$D/report.json")"
check_eq "JSON report: the trust file delivered, with the SHA-256 of what the phone read" \
    "$(cat "$D/trust-0004f2000a03.sha256")" \
    "$(jq -r '.phones[] | select(.mac == "0004f2000a03") | [.delivered[] | select(.name == "ztp-rescue-0004f2000a03.cfg") | .sha256] | last' "$D/report.json")"
check_eq "JSON report: the image delivered, with the library file's SHA-256" \
    "$(sha256 "$D/library/packages/"*/3111-46162-001.sip.ld)" \
    "$(jq -r '.phones[] | select(.mac == "0004f2000a03") | [.delivered[] | select(.name == "3111-46162-001.sip.ld") | .sha256] | last' "$D/report.json")"
check_eq "JSON report: the quiet period and what was not verified" \
    "2 not verified from this closet" \
    "$(jq -r '.phones[] | select(.mac == "0004f2000a03") | "\(.quiet_period) \(.ztp_reachability)"' "$D/report.json")"
check "no report temporary file left" test -z "$(ls "$D" | grep 'report.*tmp')"

serve_stop
check "the daemon exits cleanly (no leaks)" test "$(grep -c 'LeakSanitizer\|runtime error' "$D/serve.log")" = 0
done_testing
