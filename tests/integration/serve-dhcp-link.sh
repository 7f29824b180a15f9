#!/bin/sh
# The interface DHCP serves on, in a closet: its cable pulled (the peer of
# the veth down: no carrier), its address taken, then the interface gone (a
# USB adapter unplugged) and made again without address, down (plugged back
# in).  `ztp-rescue serve --iface`, as nobody, says each in the status, its
# text, the console's third line, the log and to a batch operator, puts the
# address back and the link up by itself, and a phone then gets a lease,
# its binary option 60 read from the new interface, where the listener for
# phones that do not ask hears too.  With --vlan, the
# voice VLAN's link that went with the adapter is made again on it.
. "$TOP/tests/lib.sh"
. "$TOP/tests/serve-lib.sh"
. "$TOP/tests/dhcp-lib.sh"

need_root "network namespaces"
need_tools dnsmasq udhcpc ip jq
need_user nobody

d=$(make_tmpdir)
chmod 755 "$d"
serve_fixture "$d" || { echo "Bail out! fixture"; exit 1; }

ns_pair dhcp-link "dl$$" 00:04:f2:aa:ee:01 || { echo "Bail out! namespaces"; exit 1; }
udhcpc_script "$d/udhcpc.sh" "$d"

ip netns exec "$app" "$ZTP_BIN" serve --listen 0.0.0.0 --http-port 80 \
    --tftp-port 69 --syslog-port off --state "$d/state" \
    --library "$d/library" --ca "$d/ca.pem" --quiet-period 60 \
    --iface lan0 --address 10.99.0.1/24 --user nobody --foreground \
    >>"$d/serve.log" 2>&1 &
SERVE_PID=$!
at_exit "kill $SERVE_PID 2>/dev/null; wait $SERVE_PID 2>/dev/null"
appliance() {
	"$ZTP_BIN" status --state "$d/state" --json | jq -r ".appliance.$1"
}
link_is() { test "$(appliance dhcp_link)" = "$1"; }
check "the daemon serves DHCP on lan0" wait_for 30 \
    sh -c "[ \"\$('$ZTP_BIN' status --state '$d/state' --json |
    jq -r .appliance.dhcp)\" = running ]"
check "with its link: dhcp_link is null" link_is null

# lease NAME MAC MODEL: a phone (binary option 60) asks for an address.
lease() {
	rm -f "$d/bound"
	ip netns exec "$ph" udhcpc -f -q -n -i eth0 -s "$d/udhcpc.sh" -O 160 \
	    -t 8 -T 1 -V "" -x "0x3c:$(binary60 "$3" 3111-48450-001,1 \
	    5.4.1.18370 5.0.3.1667)" >"$d/$1.udhcpc" 2>&1
}

# --- The cable pulled: the phone's end of the veth down.
if command -v tmux >/dev/null; then
	T="tmux -L dhcp-link-$$ -f /dev/null"
	at_exit "$T kill-server 2>/dev/null"
	$T new-session -d -s console -x 80 -y 24 \
	    "$ZTP_BIN console --state $d/state --no-start 2>/dev/null"
	third() { $T capture-pane -p -t console | sed -n 3p | sed 's/ *$//'; }
	wait_for 20 sh -c "$T capture-pane -p -t console | grep -q 're-point'"
fi
ip -n "$ph" link set eth0 down
nolink="lan0 has no link: is the cable in, and the switch port on?"
check "no carrier: status --json says so" wait_for 10 link_is "$nolink"
check_eq "status says it first" "DHCP: $nolink" \
    "$("$ZTP_BIN" status --state "$d/state" | head -1)"
check_contains "the log says it" "warn: dhcp: $nolink" "$(cat "$d/serve.log")"
if command -v tmux >/dev/null; then
	check "the console's third line says it, in 80 columns" wait_for 10 \
	    sh -c "$T capture-pane -p -t console | sed -n 3p | grep -F -q 'DHCP: lan0 has no link'"
	check_eq "(the line)" " DHCP: $nolink" "$(third)"
fi
# A batch run started now hears it from the status (it reads the status
# after subscribing, so once it has said this it hears what follows).
printf '0004f2aaee09\n' >"$d/phones.csv"
"$ZTP_BIN" batch --state "$d/state" --inventory "$d/phones.csv" \
    --timeout 60 --no-start --report "$d/batch.json" >/dev/null \
    2>"$d/batch.err" &
batch=$!
check "batch tells its operator the link is down" wait_for 20 \
    grep -F -q "ztp-rescue batch: the daemon says: dhcp: $nolink" "$d/batch.err"
ip -n "$ph" link set eth0 up
check "the cable back: dhcp_link is null again" wait_for 10 link_is null
check_contains "the log says it" \
    "info: dhcp: lan0 has its link and address again: phones get leases" \
    "$(cat "$d/serve.log")"
if command -v tmux >/dev/null; then
	check "the console's third line is back to the settings" wait_for 20 \
	    sh -c "$T capture-pane -p -t console | sed -n 3p | grep -q 're-point'"
fi
check "and that it came back" wait_for 10 grep -F -q \
    "ztp-rescue batch: the daemon says: dhcp: lan0 has its link and address again" \
    "$d/batch.err"
kill "$batch" 2>/dev/null
wait "$batch" 2>/dev/null

# --- Its address taken (by hand, or a network manager): put back.
ip -n "$app" addr flush dev lan0
has_address() { ip -n "$app" -4 addr show dev lan0 | grep -q 'inet 10.99.0.1/24'; }
check "the address taken is put back" wait_for 10 has_address
check_contains "the log says so" \
    "info: dhcp: lan0 lost its address 10.99.0.1/24: put it back" \
    "$(cat "$d/serve.log")"
lease first 0004f2aaee01 VVX-VVX_411
check_contains "a phone gets a lease" "ip=10.99.0." "$(cat "$d/bound" 2>/dev/null)"

# --- What the start refuses, appearing while DHCP serves (the cable moved
# to a site port, a network manager's lease): it was said nowhere.
ip -n "$app" addr add 192.168.77.5/24 dev lan0
check "another network's address on lan0: status says so" wait_for 10 \
    sh -c "'$ZTP_BIN' status --state '$d/state' --json | jq -r .appliance.dhcp_link |
    grep -q \"^interface lan0 has address 192.168.77.5, which is not the appliance's (10.99.0.1)\""
check_contains "with the question to ask" "is the cable still in the phones' switch?" \
    "$(appliance dhcp_link)"
ip -n "$app" addr del 192.168.77.5/24 dev lan0
check "gone again: dhcp_link is null" wait_for 10 link_is null
ip -n "$app" route add default via 10.99.0.254 dev lan0
check "a default route on lan0: status says so" wait_for 10 \
    sh -c "'$ZTP_BIN' status --state '$d/state' --json | jq -r .appliance.dhcp_link |
    grep -q '^interface lan0 has a default route: it looks like a production network'"
ip -n "$app" route del default
check "gone again: dhcp_link is null (route)" wait_for 10 link_is null

# --- The adapter unplugged: the interface gone.
ip -n "$app" link del lan0
gone="lan0 is gone (a USB adapter unplugged?): plug it back in; its address comes back by itself"
check "gone: status --json says so" wait_for 10 link_is "$gone"
check_eq "status says it first" "DHCP: $gone" \
    "$("$ZTP_BIN" status --state "$d/state" | head -1)"
check "DHCP itself still runs (dnsmasq waits for the interface)" \
    test "$(appliance dhcp)" = running

# --- Plugged back in: a new interface lan0, down, with no address.
ip link add "dm$$" netns "$app" type veth peer name eth0 \
    address 00:04:f2:aa:ee:02 netns "$ph"
ip -n "$app" link set "dm$$" name lan0
ip -n "$ph" link set eth0 up
check "back: the address is given again" wait_for 10 has_address
check "and the link is up: dhcp_link is null" wait_for 10 link_is null
check_contains "the log says so" \
    "info: dhcp: lan0 is back: gave it 10.99.0.1/24 again and brought it up" \
    "$(cat "$d/serve.log")"
# The listener for phones that do not ask hears the new interface too: a
# phone with a stored static address outside the subnet (ARP for it).
ip -n "$ph" addr add 10.20.4.17/24 dev eth0
ip netns exec "$ph" ping -c 3 -i 0.3 -W 1 10.20.4.1 >/dev/null 2>&1
check "the listener for silent phones hears the new interface" \
    wait_for 15 sh -c "'$ZTP_BIN' status --state '$d/state' --json |
    jq -e '.silent[] | select(.mac == \"0004f2aaee02\")' >/dev/null"
ip -n "$ph" addr flush dev eth0
lease second 0004f2aaee02 VVX-VVX_450
check_contains "a phone behind it gets a lease" "ip=10.99.0." \
    "$(cat "$d/bound" 2>/dev/null)"
check "its binary option 60 is read from the new interface (model)" \
    wait_for 10 sh -c "[ \"\$('$ZTP_BIN' status --state '$d/state' --json |
    jq -r '.phones[] | select(.mac == \"0004f2aaee02\") | .model')\" = VVX450 ]"

# --- The cable in after a start without one (or back from a site port):
# the start-up check for another DHCP server heard nothing for want of a
# wire, and was not run again; a server that answers phones by unicast
# through a switch never reaches the listener either.  The check runs again
# when the link comes back.  (Another server, brought up meanwhile.)
ip -n "$ph" link set eth0 down
check "the cable out again" wait_for 10 link_is "$nolink"
ip -n "$ph" addr flush dev eth0
ip -n "$ph" addr add 10.99.0.2/24 dev eth0
rogue_dnsmasq "$d"
sleep 0.5
ip -n "$ph" link set eth0 up
check "the link back: another server is found without a phone asking" \
    wait_for 20 sh -c "'$ZTP_BIN' status --state '$d/state' --json |
    jq -r .appliance.dhcp_other_server | grep -q '^server 10.99.0.2 offered 10.99.0.15'"
check "the log says the check found it when the link came back" wait_for 20 \
    grep -q "ANOTHER DHCP SERVER answers on lan0: server 10.99.0.2 offered 10.99.0.15[0-9] (found when its link came back)" \
    "$d/serve.log"
kill "$rogue"
wait "$rogue" 2>/dev/null
ip -n "$ph" addr flush dev eth0

check "the daemon is still up" kill -0 "$SERVE_PID"
kill "$SERVE_PID"
wait "$SERVE_PID"
check_eq "and stops cleanly (no sanitizer report)" 0 "$?"
check_eq "no sanitizer report in its log" 0 \
    "$(grep -c 'Sanitizer\|runtime error' "$d/serve.log")"

# --- On the voice VLAN (--vlan 20: lan0.20): the adapter unplugged takes
# lan0.20 with it; plugged back in, lan0.20 is made again on it.  This
# kernel may have no 802.1Q: an untagged macvlan of the same name stands in
# (ZTP_RESCUE_TEST_VLAN_KIND, as in vlan.sh), made the same way.
ip netns exec "$app" env ZTP_RESCUE_TEST_VLAN_KIND=macvlan "$ZTP_BIN" serve \
    --listen 0.0.0.0 --http-port 80 --tftp-port 69 --syslog-port off \
    --state "$d/state2" --library "$d/library" --ca "$d/ca.pem" \
    --quiet-period 60 --iface lan0 --vlan 20 --address 10.99.20.1/24 \
    --user nobody --foreground >>"$d/serve2.log" 2>&1 &
SERVE_PID=$!
at_exit "kill $SERVE_PID 2>/dev/null; wait $SERVE_PID 2>/dev/null"
appliance() {
	"$ZTP_BIN" status --state "$d/state2" --json | jq -r ".appliance.$1"
}
check "VLAN 20: the daemon serves DHCP on lan0.20" wait_for 30 \
    sh -c "[ \"\$('$ZTP_BIN' status --state '$d/state2' --json |
    jq -r .appliance.dhcp)\" = running ]"
ip -n "$app" link del lan0
gone="lan0.20 is gone with lan0 (a USB adapter unplugged?): plug it back in; VLAN 20 and the address come back by themselves"
check "VLAN 20: the adapter gone: status --json says so" wait_for 10 \
    link_is "$gone"
ip link add "dn$$" netns "$app" type veth peer name eth0 \
    address 00:04:f2:aa:ee:03 netns "$ph"
ip -n "$app" link set "dn$$" name lan0
ip -n "$ph" link set eth0 up
vlan_address() { ip -n "$app" -4 addr show dev lan0.20 2>/dev/null | grep -q 'inet 10.99.20.1/24'; }
check "VLAN 20: back: lan0.20 is made again, with the address" \
    wait_for 10 vlan_address
check "and its link is up: dhcp_link is null" wait_for 10 link_is null
check_contains "the log says so" \
    "info: dhcp: lan0 is back: made lan0.20 (VLAN 20) on it again" \
    "$(cat "$d/serve2.log")"
lease third 0004f2aaee03 VVX-VVX_411
check_contains "a phone gets a lease on the VLAN's subnet" "ip=10.99.20." \
    "$(cat "$d/bound" 2>/dev/null)"
kill "$SERVE_PID"
wait "$SERVE_PID"
check_eq "the daemon stops cleanly (no sanitizer report)" 0 "$?"
check_eq "no sanitizer report in its log" 0 \
    "$(grep -c 'Sanitizer\|runtime error' "$d/serve2.log")"
done_testing
