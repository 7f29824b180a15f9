#!/bin/sh
# Phone identity bound to the appliance's own DHCP leases, with a real
# daemon and dnsmasq in network namespaces: a VVX 411 gets a lease and asks
# for its config from it; a hostile host on the same switch (a static
# address) claims that phone's MAC with a User-Agent "(SN:<mac>)" at the
# target version, and by name (<mac>.cfg, ztp-rescue-<mac>.cfg).  The phone
# keeps its version, its address and its state, is not re-pointed, and the
# daemon logs that the claim was not believed.
. "$TOP/tests/lib.sh"
. "$TOP/tests/serve-lib.sh"
. "$TOP/tests/dhcp-lib.sh"

need_root "network namespaces"
need_tools dnsmasq udhcpc ip
need_user nobody

d=$(make_tmpdir)
chmod 755 "$d"
serve_fixture "$d" || { echo "Bail out! fixture"; exit 1; }
ph=idb-ph-$$
at=idb-at-$$
MAC=00:04:f2:aa:ee:01
mac=0004f2aaee01

bridge_closet idb || { echo "Bail out! namespaces"; exit 1; }
bridge_node ph "$MAC" || { echo "Bail out! namespaces"; exit 1; }
bridge_node at 02:00:00:00:00:66 || { echo "Bail out! namespaces"; exit 1; }
ip -n "$at" addr add 10.99.0.250/24 dev eth0

udhcpc_script "$d/udhcpc.sh" "$d"
ip netns exec "$app" "$ZTP_BIN" serve --listen 0.0.0.0 --http-port 80 \
    --tftp-port 69 --syslog-port off --state "$d/state" \
    --library "$d/library" --ca "$d/ca.pem" \
    --iface lan0 --address 10.99.0.1/24 --user nobody --foreground \
    >>"$d/serve.log" 2>&1 &
SERVE_PID=$!
at_exit "kill $SERVE_PID 2>/dev/null; wait $SERVE_PID 2>/dev/null"
check "the daemon serves DHCP on lan0" wait_for 30 \
    sh -c "[ \"\$('$ZTP_BIN' status --state '$d/state' --json |
    jq -r .appliance.dhcp)\" = running ]"

ip netns exec "$ph" udhcpc -f -B -i eth0 -s "$d/udhcpc.sh" -t 20 -T 1 \
    -p "$d/ph.pid" >"$d/ph.log" 2>&1 &
check "the phone is bound" wait_for 40 test -f "$d/bound"
ip=$(sed -n 's/^ip=//p' "$d/bound")

# req NS UA NAME: an HTTP GET from that namespace; prints the status code.
req() {
	ip netns exec "$1" curl -s -o /dev/null -w '%{http_code}' -A "$2" \
	    "http://10.99.0.1/$3"
}
OLD="FileTransport PolycomVVX-VVX_411-UA/5.3.0.12768 Type/Application"
check_eq "the phone asks for its config from its lease" 200 \
    "$(req "$ph" "$OLD" "$mac.cfg")"
check_eq "it is known at its version" "$ip 5.3.0.12768 identified" \
    "$(phone_field "$d" $mac ip) $(phone_field "$d" $mac version) $(phone_field "$d" $mac state)"

FORGED="FileTransport PolycomVVX-VVX_411-UA/5.4.1.18370 (SN:$mac) Type/Application"
req "$at" "$FORGED" 000000000000.cfg >/dev/null
req "$at" "$FORGED" "$mac.cfg" >/dev/null
req "$at" "$FORGED" "ztp-rescue-$mac.cfg" >/dev/null
check_eq "after the forged claims: same address, version and state" \
    "$ip 5.3.0.12768 identified" \
    "$(phone_field "$d" $mac ip) $(phone_field "$d" $mac version) $(phone_field "$d" $mac state)"
check_eq "and not re-pointed" "" "$(phone_field "$d" $mac repoint)"
check_contains "the daemon says the claim was not believed" \
    "from 10.99.0.250 claims to be phone $mac, which our DHCP leased $ip: not believed" \
    "$(cat "$d/serve.log")"
check_eq "the phone itself is still believed" 200 \
    "$(req "$ph" "$OLD" "$mac.cfg")"
check_eq "still at its version" "5.3.0.12768" "$(phone_field "$d" $mac version)"

kill "$SERVE_PID"
wait "$SERVE_PID" 2>/dev/null
check "the daemon left no sanitizer report" sh -c \
    "! grep -q Sanitizer '$d/serve.log'"
done_testing
