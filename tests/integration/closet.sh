#!/bin/sh
# Phones on the wire that do not ask: `ztp-rescue dhcpd` with its passive
# listener behind a bridge, and phones in their own namespaces with Polycom
# MACs that each stay silent for a different reason.  Asserts the reason,
# its evidence and the reset steps printed for each, and that a phone that
# asks is not listed.
#   - a static address outside the appliance's subnet (ARP, no DHCP);
#   - DHCP tagged with VLAN 20 (udhcpc on an 802.1Q interface);
#   - a lease from the appliance and then nothing for the quiet period;
#   - a phone that takes its lease and then asks (TCP SYN): not silent.
. "$TOP/tests/lib.sh"
. "$TOP/tests/dhcp-lib.sh"

need_root "network namespaces"
need_tools dnsmasq udhcpc ip

t=$(make_tmpdir)
cc -O1 -o "$t/frame-tool" "$TOP/tests/integration/frame-tool.c" || exit 1
# An unmanaged switch that passes LLDP on (a Linux bridge keeps
# 01:80:c2:00:00:0e to itself unless told; a managed switch always does, and
# then only CDP and the phones' own traffic reach the appliance).
bridge_closet cl group_fwd_mask 0x4000 ||
    { echo "Bail out! namespaces"; exit 1; }

udhcpc_script "$t/udhcpc.sh" "$t" per-mac

# A lease followed by nothing is reported after 15 s here instead of the
# 60 s default (unit-sighting checks the default and its wording).
ip netns exec "$app" env ZTP_CLOSET_QUIET_MS=15000 \
    "$ZTP_BIN" dhcpd --iface lan0 --address 10.99.0.1/24 \
    --state "$t/state" --no-probe </dev/null >"$t/out" 2>"$t/err" &
dhcpd=$!
at_exit "kill $dhcpd 2>/dev/null"
check "dhcpd starts serving" wait_for 15 grep -q '^serving' "$t/out"

# 1: a stored static address.  It ARPs for its gateway; no DHCP at all.
bridge_node ph1 00:04:f2:00:00:01
ip -n "cl-ph1-$$" addr add 10.20.4.17/24 dev eth0
ip netns exec "cl-ph1-$$" ping -c 3 -i 0.3 -W 1 10.20.4.1 >/dev/null 2>&1 &

# 2: a voice VLAN learnt from the switch: DHCP tagged 20.
bridge_node ph2 00:04:f2:00:00:02
ip netns exec "cl-ph2-$$" "$t/frame-tool" eth0 00:04:f2:00:00:02 dhcp 20 3 &

# 5: LLDP-MED: the VLAN it will tag (30) and its inventory.
bridge_node ph5 64:16:7f:00:00:05
ip netns exec "cl-ph5-$$" "$t/frame-tool" eth0 64:16:7f:00:00:05 lldp 30 \
    "VVX 411" 5.9.5.0614 0004F2000005 &

# 3: a stored provisioning server: takes our lease, never asks.
bridge_node ph3 00:04:f2:00:00:03
ip netns exec "cl-ph3-$$" udhcpc -f -B -i eth0 -s "$t/udhcpc.sh" \
    -t 20 -T 1 -V Polycom-SPIP650 >"$t/ph3.log" 2>&1 &

# 4: takes its lease and asks (a TCP SYN to the appliance's port 80).
bridge_node ph4 00:04:f2:00:00:04
ip netns exec "cl-ph4-$$" udhcpc -f -B -i eth0 -s "$t/udhcpc.sh" \
    -t 20 -T 1 -V Polycom-VVX411 >"$t/ph4.log" 2>&1 &

# 6: the simulator announcing itself with LLDP-MED (model, firmware, its
# voice VLAN 40) at boot, then trying a stored server that is not here.
bridge_node ph6 00:04:f2:00:00:06
ip netns exec "cl-ph6-$$" "$PHONESIM_BIN" --model VVX411 --version 5.9.0.1234 \
    --mac 00:04:f2:00:00:06 --lldp-med eth0 --voice-vlan 40 \
    --server http://192.0.2.9/ --timeout 20 >"$t/ph6.log" 2>&1 &

check "phone 4 is bound" wait_for 30 test -f "$t/0004f2000004.bound"
ip4=$(sed -n 's/^ip=//p' "$t/0004f2000004.bound")
# It asks as soon as it is bound, well inside the quiet period.  Any TCP
# SYN to the appliance counts as asking; nobody listens on 80 here.
ip netns exec "cl-ph4-$$" sh -c "exec 3<>/dev/tcp/10.99.0.1/80" 2>/dev/null || \
    ip netns exec "cl-ph4-$$" busybox nc -w 1 10.99.0.1 80 </dev/null \
    >/dev/null 2>&1
check "the static phone is reported" wait_for 20 \
    grep -q '^silent mac=0004f2000001 ' "$t/out"
check_contains "with its address and no DHCP" \
    "silent mac=0004f2000001 address=10.20.4.17 model=- reason=static address 10.20.4.17, no DHCP; evidence: ARP/IP from 10.20.4.17, outside the appliance's subnet, and no DHCP message: a stored network configuration; reset: model unknown, see the field guide for the keys; when it asks for a password, type its MAC address 0004F2000001 on the keypad" \
    "$(grep '^silent mac=0004f2000001 ' "$t/out")"

check "the tagged phone is reported" wait_for 20 \
    grep -q '^silent mac=0004f2000002 ' "$t/out"
check_contains "with its VLAN and the way out" \
    "reason=tags VLAN 20 (802.1Q tag on its frames); evidence: its frames carry an 802.1Q tag; the appliance serves untagged; serve on VLAN 20 (serve --vlan 20)" \
    "$(grep '^silent mac=0004f2000002 ' "$t/out")"
check "the LLDP-MED phone is reported" wait_for 20 \
    grep -q '^silent mac=64167f000005 ' "$t/out"
check_eq "with its model, the VLAN its policy names and its family's keys" \
    "silent mac=64167f000005 address=- model=VVX 411 reason=tags VLAN 30 (LLDP-MED); evidence: LLDP-MED voice network policy: VLAN 30; the appliance serves untagged; serve on VLAN 30 (serve --vlan 30); reset: VVX, hold 1, 3, 5 while it boots [M: [jelltel] [iplogin] [vantact] [ref7]]; when it asks for a password, type its MAC address 64167F000005 on the keypad (digits as they are; A-C on key 2, D-F on key 3 in letter mode), then confirm the reset; the admin password is 456 afterwards" \
    "$(grep '^silent mac=64167f000005 ' "$t/out")"

check "the simulator's LLDP-MED is reported" wait_for 20 \
    grep -q '^silent mac=0004f2000006 ' "$t/out"
check_contains "with its model, its VLAN and the VVX keys" \
    "silent mac=0004f2000006 address=- model=VVX411 reason=tags VLAN 40 (LLDP-MED); evidence: LLDP-MED voice network policy: VLAN 40; the appliance serves untagged; serve on VLAN 40 (serve --vlan 40); reset: VVX, hold 1, 3, 5 while it boots" \
    "$(grep '^silent mac=0004f2000006 ' "$t/out")"

check "phone 3 is bound" wait_for 30 test -f "$t/0004f2000003.bound"
ip3=$(sed -n 's/^ip=//p' "$t/0004f2000003.bound")
check "after 15 s of nothing, phone 3 is reported" wait_for 45 \
    grep -q '^silent mac=0004f2000003 ' "$t/out"
check_contains "as a stored server, with its model from option 60 and its keys" \
    "silent mac=0004f2000003 address=$ip3 model=SPIP650 reason=took our lease, asked for nothing in 15 s; evidence: leased $ip3; no HTTP, HTTPS, TFTP or syslog to the appliance since: a stored provisioning server or device.dhcp.bootSrvUseOpt set to static; reset: SoundPoint IP 301/501/550/600/601/650, hold 4, 6, 8, * while it boots [M: [iplogin] [vantact] [ref7]]" \
    "$(grep '^silent mac=0004f2000003 ' "$t/out")"
check "phone 4, which asked, is never reported" \
    sh -c "! grep -q '^silent mac=0004f2000004' '$t/out'"
check "nothing from another vendor is recorded" \
    sh -c "! grep -q '^silent mac=0[^0]' '$t/out'"

kill "$dhcpd"
check "dhcpd stops" wait_for 10 grep -q '^stopped' "$t/out"
check "nothing on dhcpd's stderr was a sanitizer report" \
    sh -c "! grep -q Sanitizer '$t/err'"

done_testing
