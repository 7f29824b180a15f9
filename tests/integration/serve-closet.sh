#!/bin/sh
# The daemon's view of the closet: `serve --iface --user nobody` behind a
# bridge; a phone with a stored static address (it only ARPs) and a laptop
# asking DHCP.  status --json lists the phone under "silent" with its reason,
# evidence and reset steps (the listener was opened before root was
# dropped) and the laptop under "ignored"; the JSON report lists the silent
# phone too.
. "$TOP/tests/lib.sh"
. "$TOP/tests/serve-lib.sh"
. "$TOP/tests/dhcp-lib.sh"

need_root "network namespaces"
need_tools dnsmasq udhcpc ip jq
need_user nobody

d=$(make_tmpdir)
chmod 755 "$d"
FRAME_TOOL=$d/frame-tool
cc -O1 -o "$FRAME_TOOL" "$TOP/tests/integration/frame-tool.c" || exit 1
serve_fixture "$d" || { echo "Bail out! fixture"; exit 1; }
bridge_closet sc || { echo "Bail out! namespaces"; exit 1; }

ip netns exec "$app" env ZTP_CLOSET_QUIET_MS=5000 ZTP_CLOSET_REFUSE_MS=3000 \
    "$ZTP_BIN" serve --listen 0.0.0.0 --http-port 80 \
    --tftp-port 69 --syslog-port off --state "$d/state" \
    --library "$d/library" --ca "$d/ca.pem" \
    --iface lan0 --address 10.99.0.1/24 --user nobody --foreground \
    >>"$d/serve.log" 2>&1 &
SERVE_PID=$!
at_exit "kill $SERVE_PID 2>/dev/null; wait $SERVE_PID 2>/dev/null"
st() { "$ZTP_BIN" status --state "$d/state" --json; }
check "the daemon serves DHCP on lan0" wait_for 30 \
    sh -c "[ \"\$('$ZTP_BIN' status --state '$d/state' --json |
    jq -r .appliance.dhcp)\" = running ]"
check_eq "nothing silent, nothing ignored, no VLAN yet" "0 0 null" \
    "$(st | jq -r '"\(.silent | length) \(.ignored | length) \(.vlan)"')"

bridge_node ph 00:04:f2:00:00:51
ip -n "sc-ph-$$" addr add 10.20.4.17/24 dev eth0
ip netns exec "sc-ph-$$" ping -c 3 -i 0.3 -W 1 10.20.4.1 >/dev/null 2>&1
check "the static phone is listed as silent" wait_for 15 \
    sh -c "'$ZTP_BIN' status --state '$d/state' --json |
    jq -e '.silent[] | select(.mac == \"0004f2000051\")' >/dev/null"
check_eq "with its address and reason" \
    "10.20.4.17|static address 10.20.4.17, no DHCP" \
    "$(st | jq -r '.silent[0] | "\(.address)|\(.reason)"')"
check_contains "the evidence" "outside the appliance's subnet" \
    "$(st | jq -r '.silent[0].evidence')"
check_contains "and the password rule (model unknown: no keys)" \
    "null|when it asks for a password, type its MAC address 0004F2000051" \
    "$(st | jq -r '.silent[0].reset | "\(.keys)|\(.password)"')"
check "the daemon runs as nobody" test "$(awk '/^Uid:/ {print $3}' \
    /proc/$SERVE_PID/status)" = "$(id -u nobody)"

# DHCP off and on again, as a move to a voice VLAN and back does: while it
# is off nothing is watched and nothing is listed; once it runs again the
# static phone, which has sent nothing since, is listed as before.
ctl() { "$ZTP_BIN" ctl --state "$d/state" --json "$@"; }
first=$(st | jq -r '.silent[0].first_seen')
check_eq "DHCP off" off \
    "$(ctl dhcp enable:=false | jq -r '.state // .result.state')"
check_eq "while it is off no phone is listed as silent" 0 \
    "$(st | jq -r '.silent | length')"
check_eq "DHCP on again (as nobody: the listener reopens)" running \
    "$(ctl dhcp enable:=true iface=lan0 address=10.99.0.1/24 |
    jq -r '.state // .result.state')"
check_eq "the silent phone is still listed, first seen as before" \
    "0004f2000051|$first|static address 10.20.4.17, no DHCP" \
    "$(st | jq -r '.silent[0] | "\(.mac)|\(.first_seen)|\(.reason)"')"

bridge_node lt 02:00:00:00:00:52
ip netns exec "sc-lt-$$" udhcpc -f -B -n -i eth0 -t 3 -T 1 \
    -s /bin/true -x hostname:laptop -V "MSFT 5.0" >/dev/null 2>&1
check_eq "the laptop got nothing and is listed as ignored" \
    "020000000052|laptop" \
    "$(st | jq -r '.ignored[] | "\(.mac)|\(.hostname)"')"
check "no phone was made of it" sh -c "! '$ZTP_BIN' status --state \
    '$d/state' --json | jq -e '.phones[] | select(.mac == \"020000000052\")' \
    >/dev/null"

check_eq "the status text lists the silent phone and the ignored laptop" \
"silent 0004f2000051 address 10.20.4.17 model -: static address 10.20.4.17, no DHCP; evidence: ARP/IP from 10.20.4.17, outside the appliance's subnet, and no DHCP message: a stored network configuration; reset: model unknown (see the field guide for the keys); when it asks for a password, type its MAC address 0004F2000051 on the keypad (digits as they are; A-C on key 2, D-F on key 3 in letter mode), then confirm the reset; the admin password is 456 afterwards
ignored 020000000052 vendor MSFT 5.0 hostname laptop: not a Polycom phone, no DHCP answer" \
    "$("$ZTP_BIN" status --state "$d/state" | grep '^silent\|^ignored')"

silent_is() {	# MAC: "address|reason|family|keys"
	st | jq -r --arg m "$1" '.silent[] | select(.mac == $m) |
	    "\(.address)|\(.reason)|\(.reset.family)|\(.reset.keys)"'
}
# The five phones power up together, as in a closet.
# A stored boot server (192.0.2.9, not here): it takes our lease, ignores
# options 66/160 and never asks the appliance.
bridge_node ss 00:04:f2:00:00:61
ip netns exec "sc-ss-$$" "$PHONESIM_BIN" --model VVX411 --version 5.9.0.1234 \
    --mac 0004f2000061 --dhcp eth0 --boot-server-static \
    --server http://192.0.2.9/ --timeout 25 >"$d/ss.log" 2>&1 &
# A stored static address; it looks for its server at 10.20.5.1 (ARP).
bridge_node st 00:04:f2:00:00:62
ip netns exec "sc-st-$$" "$PHONESIM_BIN" --model VVX411 --version 5.9.0.1234 \
    --mac 0004f2000062 --static-ip eth0=10.20.5.18/24 \
    --server http://10.20.5.1/ --timeout 10 >"$d/st.log" 2>&1 &
# DISCOVERs, reads our OFFERs, never a REQUEST.
bridge_node rf 00:04:f2:00:00:63
ip netns exec "sc-rf-$$" "$PHONESIM_BIN" --model VVX411 --version 5.9.0.1234 \
    --mac 0004f2000063 --dhcp-refuse eth0 --timeout 25 >"$d/rf.log" 2>&1 &
# Takes our address, finds it in use (simulated) and DECLINEs it, twice,
# 2 s apart instead of RFC 2131's 10 s.
bridge_node dc 00:04:f2:00:00:65
ip netns exec "sc-dc-$$" "$PHONESIM_BIN" --model VVX411 --version 5.9.0.1234 \
    --mac 0004f2000065 --dhcp-decline eth0 --decline-wait 2 --timeout 25 \
    >"$d/dc.log" 2>&1 &
# Learns VLAN 20 from the switch's LLDP-MED (sent on its port) and tags.
bridge_node vl 00:04:f2:00:00:64
ip netns exec "sc-vl-$$" "$PHONESIM_BIN" --model VVX411 --version 5.9.0.1234 \
    --mac 0004f2000064 --learn-vlan eth0 --timeout 25 >"$d/vl.log" 2>&1 &
i=0
while [ $i -lt 10 ] && ! grep -q 'voice VLAN 20' "$d/vl.log"; do
	ip netns exec "$sw" "$FRAME_TOOL" pvl 02:00:00:00:5e:01 lldp 20 \
	    switch - - >/dev/null 2>&1
	sleep 1
	i=$((i + 1))
done
check_contains "the VLAN phone learnt VLAN 20 from the switch" \
    "LLDP-MED from the switch: voice VLAN 20 tagged" "$(cat "$d/vl.log")"

check "the stored-server phone is listed" wait_for 40 \
    sh -c "'$ZTP_BIN' status --state '$d/state' --json |
    jq -e '.silent[] | select(.mac == \"0004f2000061\" and .reason == \"took our lease, asked for nothing in 5 s\")' >/dev/null"
ip61=$(st | jq -r '.silent[] | select(.mac == "0004f2000061") | .address')
check_eq "as one that took our lease and asked nothing, with VVX keys" \
    "$ip61|took our lease, asked for nothing in 5 s|VVX|1, 3, 5" \
    "$(silent_is 0004f2000061)"
check_contains "its address is ours" "10.99.0." "$ip61"
check_contains "the simulator ignored the boot server DHCP named" \
    "DHCP boot server ignored: a stored server (device.dhcp.bootSrvUseOpt=Static)" \
    "$(cat "$d/ss.log")"
check "the static phone is listed" wait_for 20 \
    sh -c "'$ZTP_BIN' status --state '$d/state' --json |
    jq -e '.silent[] | select(.mac == \"0004f2000062\" and .reason == \"static address 10.20.5.18, no DHCP\")' >/dev/null"
check_eq "with its static address" \
    "10.20.5.18|static address 10.20.5.18, no DHCP|null|null" \
    "$(silent_is 0004f2000062)"
check "the refusing phone is listed" wait_for 20 \
    sh -c "'$ZTP_BIN' status --state '$d/state' --json |
    jq -e '.silent[] | select(.mac == \"0004f2000063\" and .reason == \"DHCP but took no offer of ours\")' >/dev/null"
check_eq "as refusing our offer" "|DHCP but took no offer of ours|null|null" \
    "$(silent_is 0004f2000063)"
check_contains "it was offered an address and sent no REQUEST" \
    "refused (no REQUEST)" "$(cat "$d/rf.log")"
check "the VLAN phone is listed" wait_for 20 \
    sh -c "'$ZTP_BIN' status --state '$d/state' --json |
    jq -e '.silent[] | select(.mac == \"0004f2000064\" and .reason == \"tags VLAN 20 (802.1Q tag on its frames)\")' >/dev/null"
check_eq "as tagging VLAN 20" \
    "|tags VLAN 20 (802.1Q tag on its frames)|null|null" \
    "$(silent_is 0004f2000064)"
check_eq "status --json gives its VLAN" 20 \
    "$(st | jq -r '.silent[] | select(.mac == "0004f2000064") | .vlan')"
check_contains "the simulator says why it went no further" \
    "this kernel has no 802.1Q support (load the 8021q module)" \
    "$(cat "$d/vl.log")"

check "the declining phone declined two addresses" wait_for 30 \
    sh -c "[ \$(grep -c ' DECLINE ' '$d/dc.log') = 2 ]"
declined=$(sed -n 's/^.*DHCP eth0 DECLINE \([0-9.]*\) to .*$/\1/p' "$d/dc.log")
check "dnsmasq gave it another address after its DECLINE" test \
    "$(echo "$declined" | sort -u | wc -l)" = 2
ip65=$(echo "$declined" | tail -1)
check_contains "each time our address" "10.99.0." "$ip65"
check "the declining phone is listed" wait_for 20 \
    sh -c "'$ZTP_BIN' status --state '$d/state' --json |
    jq -e '.silent[] | select(.mac == \"0004f2000065\" and (.reason | contains(\"$ip65\")))' >/dev/null"
check_eq "as declining the last address, holding none, with VVX keys" \
    "|declined our address $ip65 (it says the address is in use: another host on the segment has it)|VVX|1, 3, 5" \
    "$(silent_is 0004f2000065)"
check_contains "its evidence counts the DECLINEs and names the remedy" \
    "2 DHCPDECLINEs, the last for $ip65 after the appliance's ACK; the appliance's DHCP dropped that lease and offers this phone another address when it asks again, but may offer $ip65 to another phone: find the device that uses $ip65 (the appliance's DHCP range may overlap a static host)" \
    "$(st | jq -r '.silent[] | select(.mac == "0004f2000065") | .evidence')"

mkdir "$d/out" && chown nobody "$d/out"	# the daemon writes it, as nobody
"$ZTP_BIN" ctl --state "$d/state" report format=json out="$d/out/report.json" \
    >/dev/null
check_eq "the report lists every silent phone with its reason" \
"0004f2000051|static address 10.20.4.17, no DHCP|10.20.4.17
0004f2000061|took our lease, asked for nothing in 5 s|$ip61
0004f2000062|static address 10.20.5.18, no DHCP|10.20.5.18
0004f2000063|DHCP but took no offer of ours|
0004f2000064|tags VLAN 20 (802.1Q tag on its frames)|
0004f2000065|declined our address $ip65 (it says the address is in use: another host on the segment has it)|" \
    "$(jq -r '.silent | sort_by(.mac)[] | "\(.mac)|\(.reason)|\(.address)"' \
    "$d/out/report.json")"
check_contains "and the steps in its evidence" "type its MAC address" \
    "$(jq -r '.silent[0].evidence' "$d/out/report.json")"
check_eq "the JSON report lists the ignored laptop" "020000000052|laptop" \
    "$(jq -r '.ignored[] | "\(.mac)|\(.hostname)"' "$d/out/report.json")"
"$ZTP_BIN" ctl --state "$d/state" report format=csv out="$d/out/report.csv" \
    >/dev/null
# The sections after the phones, without the time each was seen.
csv_closet() {
	sed -n '/^silent_mac,/,$p' "$d/out/report.csv" | sed 's/,[^,]*Z$//'
}
check_eq "the CSV report has a section of silent phones, the static one first" \
"silent_mac,address,model,reason,evidence,reset,seen
0004f2000051,10.20.4.17,,\"static address 10.20.4.17, no DHCP\",\"ARP/IP from 10.20.4.17, outside the appliance's subnet, and no DHCP message: a stored network configuration; reset: model unknown (see the field guide for the keys); when it asks for a password, type its MAC address 0004F2000051 on the keypad (digits as they are; A-C on key 2, D-F on key 3 in letter mode), then confirm the reset; the admin password is 456 afterwards\",\"model unknown (see the field guide for the keys); when it asks for a password, type its MAC address 0004F2000051 on the keypad (digits as they are; A-C on key 2, D-F on key 3 in letter mode), then confirm the reset; the admin password is 456 afterwards\"" \
    "$(csv_closet | sed -n '1,2p')"
check_contains "the stored-server phone's row: address, model, reason, VVX keys" \
    "0004f2000061,$ip61,VVX411,\"took our lease, asked for nothing in 5 s\",\"leased $ip61; no HTTP, HTTPS, TFTP or syslog to the appliance since: a stored provisioning server or device.dhcp.bootSrvUseOpt set to static; reset: VVX, hold 1, 3, 5 while it boots" \
    "$(csv_closet | grep '^0004f2000061,')"
check_contains "the declining phone's row: no address, the reason, the remedy" \
    "0004f2000065,,VVX411,declined our address $ip65 (it says the address is in use: another host on the segment has it),\"2 DHCPDECLINEs, the last for $ip65 after the appliance's ACK;" \
    "$(csv_closet | grep '^0004f2000065,')"
check_eq "one row per silent phone" 6 \
    "$(csv_closet | sed -n '/^silent_mac,/,/^$/p' | grep -c '^0004f2')"
check_eq "and the ignored laptop, in a section of its own" \
"ignored_mac,vendor,hostname,seen
020000000052,MSFT 5.0,laptop" "$(csv_closet | sed -n '/^ignored_mac,/,$p')"
check "nothing in the daemon's log was a sanitizer report" \
    sh -c "! grep -q Sanitizer '$d/serve.log'"

done_testing
