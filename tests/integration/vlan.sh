#!/bin/sh
# The voice VLAN: lldpd on the "switch" side of a veth advertises an LLDP-MED
# voice policy for VLAN 20; `ztp-rescue net --iface lan0 --listen` runs lldpd
# on the appliance as an LLDP-MED endpoint and prints the VLAN, the switch's
# name and its port.  Then `net --vlan 20` makes lan0.20 and `dhcpd --vlan
# 20` serves there, and a phone tagging VLAN 20 gets its lease — where the
# kernel has 802.1Q; where it has not, the appliance must say so.  The
# daemon's "dhcp" control command moves DHCP to the VLAN, and the console's
# DHCP entry offers the VLAN the switch named (up to the kernel's 802.1Q
# interface where the kernel has none).
. "$TOP/tests/lib.sh"
. "$TOP/tests/dhcp-lib.sh"
. "$TOP/tests/serve-lib.sh"

need_root "network namespaces"
for c in lldpd lldpcli ip dnsmasq udhcpc jq; do
	if ! command -v "$c" >/dev/null 2>&1; then
		skip "needs $c"
		done_testing
		exit 0
	fi
done

t=$(make_tmpdir)
sw=vl-sw-$$
app=vl-app-$$
cleanup_ns() {
	for n in $(ip netns list | awk '{print $1}' | grep -- "-$$\$"); do
		ip netns pids "$n" 2>/dev/null | xargs -r kill 2>/dev/null
		sleep 0.2
		ip netns pids "$n" 2>/dev/null | xargs -r kill -9 2>/dev/null
		ip netns del "$n" 2>/dev/null
	done
	rm -f "/run/ztp-rescue/vl-sw-$$.socket"
}
at_exit cleanup_ns

ip netns add "$sw"
ip netns add "$app"
ip -n "$sw" link add sw0 type veth peer name lan0 netns "$app"
ip -n "$sw" link set sw0 up
ip -n "$app" link set lan0 up
ip -n "$app" link set lo up

# The switch: a network connectivity device (LLDP-MED class 4) with a voice
# policy, tagged VLAN 20.
mkdir -p /run/ztp-rescue
ssock=/run/ztp-rescue/vl-sw-$$.socket
ip netns exec "$sw" lldpd -d -u "$ssock" -I sw0 -M 4 >"$t/sw.log" 2>&1 &
check "the switch's lldpd answers" wait_for 10 sh -c \
    "ip netns exec '$sw' lldpcli -u '$ssock' show configuration >/dev/null"
ip netns exec "$sw" lldpcli -u "$ssock" configure system hostname closet-sw1 \
    >/dev/null
ip netns exec "$sw" lldpcli -u "$ssock" configure med policy application \
    voice tagged vlan 20 priority voice dscp 46 >/dev/null

out=$(ip netns exec "$app" "$ZTP_BIN" net --iface lan0 --listen 40 2>&1)
check_eq "net --listen exits 0" 0 "$?"
check_contains "it prints the voice VLAN with the switch and its port" \
    "voice vlan 20 (LLDP-MED from switch closet-sw1, port sw0)" "$out"
check_contains "and the interface as before" "interface: lan0" "$out"
check "it leaves no lldpd behind" sh -c \
    "! ip netns pids '$app' | xargs -r ps -o comm= -p | grep -q lldpd"

# dhcpd --lldp runs lldpd itself and prints what the switch offers.
ip netns exec "$app" "$ZTP_BIN" dhcpd --iface lan0 --address 10.99.0.1/24 \
    --state "$t/dstate" --no-probe --lldp </dev/null >"$t/dout" \
    2>"$t/derr" &
dpid=$!
check "dhcpd --lldp shows the voice VLAN" wait_for 30 \
    grep -q '^voice vlan 20 (LLDP-MED from switch closet-sw1, port sw0)$' \
    "$t/dout"
kill "$dpid"
check "dhcpd stops" wait_for 10 grep -q '^stopped' "$t/dout"
check "and its lldpd with it" sh -c \
    "! ip netns pids '$app' | xargs -r ps -o comm= -p | grep -q lldpd"

# The daemon is not root: it asks an lldpd that runs on the appliance.
serve_fixture "$t/fx" || { echo "Bail out! fixture"; exit 1; }
asock=/run/ztp-rescue/vl-app-$$.socket
at_exit "rm -f $asock"
ip netns exec "$app" lldpd -d -u "$asock" -I lan0 -M 1 >"$t/app-lldpd.log" \
    2>&1 &
ip netns exec "$app" "$ZTP_BIN" serve --listen 0.0.0.0 --http-port 80 \
    --tftp-port 69 --syslog-port off --state "$t/fx/state" \
    --library "$t/fx/library" --ca "$t/fx/ca.pem" --no-verify --iface lan0 \
    --address 10.99.0.1/24 --lldpd-socket "$asock" --foreground \
    >"$t/serve.log" 2>&1 &
spid=$!
at_exit "kill $spid 2>/dev/null"
check "serve --lldpd-socket: status --json has the voice VLAN" wait_for 40 \
    sh -c "[ \"\$('$ZTP_BIN' status --state '$t/fx/state' --json 2>/dev/null |
    jq -r .voice_vlan.vlan)\" = 20 ]"
check_eq "with the switch, its port and the words" \
    "LLDP-MED|closet-sw1|sw0|voice vlan 20 (LLDP-MED from switch closet-sw1, port sw0)" \
    "$("$ZTP_BIN" status --state "$t/fx/state" --json |
    jq -r '.voice_vlan | "\(.via)|\(.switch)|\(.port)|\(.text)"')"

# The control protocol moves DHCP to the VLAN ("dhcp" with "vlan"); the
# 802.1Q interface is made first, so a kernel without it leaves DHCP as
# it was and says what to do.
has8021q=0
if ip -n "$sw" link add link sw0 name sw0.20 type vlan id 20 2>/dev/null; then
	ip -n "$sw" link del sw0.20
	has8021q=1
fi
ctl() { "$ZTP_BIN" ctl --state "$t/fx/state" "$@" 2>&1; }
st() { "$ZTP_BIN" status --state "$t/fx/state" --json; }
check "DHCP serves untagged on lan0" wait_for 30 \
    sh -c "[ \"\$('$ZTP_BIN' status --state '$t/fx/state' --json |
    jq -r .appliance.dhcp)\" = running ]"
out=$(ctl dhcp enable:=true vlan:=5000)
check "a VLAN ID out of range is refused" test "$?" != 0
check_contains "saying what it was and what to give" \
    '"vlan" is 5000: give a VLAN ID from 1 to 4094 (0 or null serves untagged)' \
    "$out"
out=$(ctl dhcp enable:=true vlan:=20)
rc=$?
if [ "$has8021q" = 0 ]; then
	check "moving DHCP to VLAN 20 fails here (exit non-zero)" test "$rc" != 0
	check_contains "with the kernel's reason and what to do" \
	    "cannot make lan0.20 (VLAN 20 on lan0): this kernel has no 802.1Q VLAN support (module 8021q): load the 8021q module (modprobe 8021q), or serve the phones untagged" \
	    "$out"
	check_contains "and that DHCP still serves where it was" \
	    "VLAN 20: DHCP refused: cannot make lan0.20" "$out"
	check_contains "(the whole sentence)" \
	    "or serve the phones untagged; still serving on lan0 (untagged)" \
	    "$out"
	check_eq "and DHCP still serves, untagged, on lan0" "running null lan0" \
	    "$(st | jq -r '"\(.appliance.dhcp) \(.vlan) \(.dhcp_iface)"')"
	check_eq "status --json keeps the failed move" \
	    "20|$(echo "$out" | sed 's/^.*dhcp: VLAN 20:/VLAN 20:/')" \
	    "$(st | jq -r '.dhcp_move | "\(.vlan)|\(.text)"')"
	check_contains "and so does the status text" \
	    "VLAN 20: DHCP refused: cannot make lan0.20 (VLAN 20 on lan0): this kernel has no 802.1Q VLAN support (module 8021q): load the 8021q module (modprobe 8021q), or serve the phones untagged; still serving on lan0 (untagged)" \
	    "$("$ZTP_BIN" status --state "$t/fx/state")"
else
	check "DHCP moves to VLAN 20" test "$rc" = 0
	check_eq "status --json says VLAN 20" 20 "$(st | jq -r .vlan)"
	ctl dhcp enable:=true vlan:=0 >/dev/null
fi

# The console's DHCP entry offers the VLAN the switch named; the console
# ends when its terminal closes over that question, and over what follows.
if command -v tmux >/dev/null 2>&1; then
	T="tmux -L vlan-$$ -f /dev/null"
	at_exit "$T kill-server 2>/dev/null"
	screen() { $T capture-pane -p -t console; }
	on_screen() { screen | grep -F -q -- "$1"; }
	console_dhcp() {
		$T new-session -d -s console -x 132 -y 43 \
		    "'$ZTP_BIN' console --state '$t/fx/state' --no-start 2>>'$t/console.err'"
		check "the console is up" wait_for 20 on_screen "ZTP Rescue"
		$T send-keys -t console m 2
		check "m 2 offers the switch's voice VLAN" wait_for 10 on_screen \
		    "1 serve on VLAN 20 instead (the switch offers it, LLDP-MED)"
	}
	console_dhcp
	check "or to turn DHCP off" on_screen "turn DHCP off"
	check_ends_with_terminal \
	    "the console ends when its terminal closes over the VLAN offer" $T
	console_dhcp
	$T send-keys -t console Enter
	if [ "$has8021q" = 0 ]; then
		check "choosing it shows why it cannot here" wait_for 10 \
		    on_screen "this kernel has no 802.1Q VLAN support"
		check "and what to do" on_screen "module (modprobe 8021q)"
		check "and where DHCP still serves" on_screen \
		    "on lan0 (untagged)"
		$T send-keys -t console Enter
		check "the header still says DHCP runs on lan0" wait_for 10 \
		    on_screen "DHCP running on lan0  "
		check_eq "DHCP still serves, untagged" "running null" \
		    "$(st | jq -r '"\(.appliance.dhcp) \(.vlan)"')"
	else
		check "choosing it moves DHCP to VLAN 20" wait_for 30 sh -c \
		    "[ \"\$('$ZTP_BIN' status --state '$t/fx/state' --json |
		    jq -r .vlan)\" = 20 ]"
	fi
	check_ends_with_terminal \
	    "the console ends when its terminal closes after the choice" $T
	check "the consoles left no sanitizer report" \
	    sh -c "! grep -q Sanitizer '$t/console.err'"
else
	skip "tmux is not installed: the console's VLAN offer"
fi

# A move takes the appliance's address along: the link it leaves loses it
# (here dhcpd above put it on lan0), else 10.99.0.0/24 sits on two links
# and the kernel sends the phones' TFTP and HTTP replies out of either one.
# A plain veth named lan0.20 stands in for the VLAN interface (as below),
# with nothing behind it that answers DHCP.
addr_on() {
	ip -n "$app" -4 -o addr show dev "$1" | awk '{ printf "%s ", $4 }'
}
ip netns add "vl-mv-$$"
ip -n "$app" link add lan0.20 type veth peer name eth0 netns "vl-mv-$$"
ip -n "vl-mv-$$" link set eth0 up
check_eq "before the move lan0 has the appliance's address" \
    "10.99.0.1/24 " "$(addr_on lan0)"
out=$(ctl dhcp enable:=true vlan:=20)
check_eq "DHCP moves to VLAN 20 (exit 0)" 0 "$?"
check_eq "status: DHCP runs on lan0.20" "running 20 lan0.20" \
    "$(st | jq -r '"\(.appliance.dhcp) \(.vlan) \(.dhcp_iface)"')"
check_eq "lan0.20 has the appliance's address" "10.99.0.1/24 " \
    "$(addr_on lan0.20)"
check_eq "and lan0 no longer has it" "" "$(addr_on lan0)"
check_contains "so a reply to a phone leaves by lan0.20" "dev lan0.20" \
    "$(ip -n "$app" route get 10.99.0.50)"
check_contains "the daemon logged it" \
    "took the address 10.99.0.1/24 from lan0" "$(cat "$t/serve.log")"
out=$(ctl dhcp enable:=true vlan:=0)
check_eq "DHCP moves back, untagged (exit 0)" 0 "$?"
check_eq "lan0 has the address again" "10.99.0.1/24 " "$(addr_on lan0)"
check_eq "and lan0.20 no longer" "" "$(addr_on lan0.20)"
check_contains "a reply to a phone leaves by lan0" "dev lan0 " \
    "$(ip -n "$app" route get 10.99.0.50)"
ip -n "$app" link del lan0.20
ip netns del "vl-mv-$$"

# A move the new VLAN refuses: another DHCP server answers there.  Without
# 802.1Q in the kernel a plain veth named lan0.20 stands in for the VLAN
# interface (the appliance uses an IF.VID that exists as it is); behind it
# a rogue dnsmasq.  DHCP must come back to lan0, untagged, and say why.
ip netns add "vl-rg-$$"
ip -n "$app" link add lan0.20 type veth peer name eth0 netns "vl-rg-$$"
ip -n "vl-rg-$$" addr add 10.20.0.2/24 dev eth0
ip -n "vl-rg-$$" link set eth0 up
ip netns exec "vl-rg-$$" dnsmasq --keep-in-foreground --conf-file=/dev/null \
    --interface=eth0 --bind-interfaces --port=0 --pid-file= --no-ping \
    --dhcp-range=10.20.0.150,10.20.0.159,255.255.255.0 \
    --dhcp-leasefile="$t/rogue.leases" --log-facility="$t/rogue.log" &
check_eq "DHCP serves untagged on lan0 before the move" "running null lan0" \
    "$(st | jq -r '"\(.appliance.dhcp) \(.vlan) \(.dhcp_iface)"')"
out=$(ctl dhcp enable:=true vlan:=20)
check "the move to VLAN 20 fails (exit non-zero)" test "$?" != 0
check_contains "saying why: another server answers on the VLAN" \
    "VLAN 20: DHCP refused: another DHCP server answers on lan0.20: server 10.20.0.2 offered 10.20.0.15" \
    "$out"
check_contains "and that DHCP is back where it was" \
    "; still serving on lan0 (untagged)" "$out"
check_eq "status: DHCP runs on lan0, untagged, as before" \
    "running null lan0" \
    "$(st | jq -r '"\(.appliance.dhcp) \(.vlan) \(.dhcp_iface)"')"
check_eq "with the failed move and its reason" \
    "20|$(echo "$out" | sed 's/^.*dhcp: VLAN 20:/VLAN 20:/')" \
    "$(st | jq -r '.dhcp_move | "\(.vlan)|\(.text)"')"
check "dnsmasq serves on lan0 again" sh -c "ip netns pids '$app' |
    xargs -r ps -o args= -p | grep -q '^dnsmasq'"
check_contains "the daemon logged the way back" \
    "going back to lan0 (untagged)" "$(cat "$t/serve.log")"
check_eq "the refused lan0.20 keeps no address of the appliance's" "" \
    "$(addr_on lan0.20)"
check_eq "lan0 has it, as before the move" "10.99.0.1/24 " "$(addr_on lan0)"
out=$(ctl dhcp enable:=false)
check_eq "turning DHCP off clears the note" "off null null" \
    "$(st | jq -r '"\(.appliance.dhcp) \(.dhcp_iface) \(.dhcp_move)"')"
ip netns pids "vl-rg-$$" | xargs -r kill
ip -n "$app" link del lan0.20

kill "$spid"
wait "$spid" 2>/dev/null

# A start that fails removes the 802.1Q interface it made (one that was
# there before stays).  ZTP_RESCUE_TEST_VLAN_KIND=macvlan, for tests on a
# kernel without 802.1Q only, makes an untagged macvlan of the same name
# stand in for it; the failure is another DHCP server on the segment.
ip -n "$sw" addr add 10.99.20.2/24 dev sw0
ip netns exec "$sw" dnsmasq --keep-in-foreground --conf-file=/dev/null \
    --interface=sw0 --bind-interfaces --port=0 --pid-file= --no-ping \
    --dhcp-range=10.99.20.150,10.99.20.159,255.255.255.0 \
    --dhcp-leasefile="$t/rogue2.leases" --log-facility="$t/rogue2.log" &
rogue2=$!
at_exit "kill $rogue2 2>/dev/null"
stand_in() {
	ip netns exec "$app" env ZTP_RESCUE_TEST_VLAN_KIND=macvlan "$@"
}
no_lan0_20() { ! ip -n "$app" link show lan0.20 >/dev/null 2>&1; }
err=$(stand_in "$ZTP_BIN" dhcpd --iface lan0 --vlan 20 \
    --address 10.99.20.1/24 --state "$t/dstate3" </dev/null 2>&1)
check_eq "dhcpd --vlan beside another DHCP server fails (exit 1)" 1 "$?"
check_contains "saying which" \
    "another DHCP server answers on lan0.20: server 10.99.20.2 offered" "$err"
check "and removes the lan0.20 it made" no_lan0_20
err=$(stand_in timeout 60 "$ZTP_BIN" serve --listen 0.0.0.0 --http-port 80 \
    --tftp-port 69 --syslog-port off --state "$t/fx/state3" \
    --library "$t/fx/library" --ca "$t/fx/ca.pem" --no-verify --iface lan0 \
    --vlan 20 --address 10.99.20.1/24 --foreground 2>&1)
check "so does serve --vlan (exit non-zero)" test "$?" != 0
check_contains "saying which" \
    "another DHCP server answers on lan0.20: server 10.99.20.2 offered" "$err"
check "and it removes the lan0.20 it made" no_lan0_20
err=$(stand_in "$ZTP_BIN" net --iface lan0 --vlan 20 --address 10.99.20.1/33 \
    2>&1)
check_eq "net --vlan with a bad address is a usage error (exit 2)" 2 "$?"
check "made nothing" no_lan0_20
out=$(stand_in "$ZTP_BIN" net --iface lan0 --vlan 20 --address 10.99.20.1/24 \
    2>&1)
check_eq "net --vlan with a good one makes it (exit 0)" 0 "$?"
check_contains "and describes lan0.20" "interface: lan0.20" "$out"
err=$(stand_in "$ZTP_BIN" dhcpd --iface lan0 --vlan 20 \
    --address 10.99.20.1/24 --state "$t/dstate3" </dev/null 2>&1)
check_eq "dhcpd --vlan on the lan0.20 that was there fails alike (exit 1)" 1 \
    "$?"
check "and leaves that lan0.20 in place" ip -n "$app" link show lan0.20
ip -n "$app" link del lan0.20
kill "$rogue2"
ip -n "$sw" addr del 10.99.20.2/24 dev sw0

# Serving on the VLAN needs the kernel's 802.1Q devices.
if ip -n "$sw" link add link sw0 name sw0.20 type vlan id 20 2>/dev/null; then
	ip -n "$sw" link del sw0.20
	out=$(ip netns exec "$app" "$ZTP_BIN" net --iface lan0 --vlan 20 \
	    --address 10.99.20.1/24 2>&1)
	check_contains "net --vlan makes and describes lan0.20" \
	    "interface: lan0.20" "$out"
	ip netns exec "$app" "$ZTP_BIN" dhcpd --iface lan0 --vlan 20 \
	    --address 10.99.20.1/24 --state "$t/state" --no-probe </dev/null \
	    >"$t/out" 2>"$t/err" &
	at_exit "kill $! 2>/dev/null"
	check "dhcpd serves on lan0.20" wait_for 15 \
	    grep -q '^serving lan0.20 ' "$t/out"
	# The phone learnt VLAN 20 and tags its DHCP.
	ip netns add "vl-ph-$$"
	ip -n "$sw" link set sw0 down
	ip -n "$sw" link set sw0 netns "vl-ph-$$"
	ip -n "vl-ph-$$" link set sw0 address 00:04:f2:00:20:01 up
	ip -n "vl-ph-$$" link add link sw0 name sw0.20 type vlan id 20
	ip -n "vl-ph-$$" link set sw0.20 up
	udhcpc_script "$t/udhcpc.sh" "$t"
	ip netns exec "vl-ph-$$" udhcpc -f -B -n -i sw0.20 -s "$t/udhcpc.sh" \
	    -t 10 -T 1 -V Polycom-VVX411 >"$t/ph.log" 2>&1
	check "the tagged phone is bound on VLAN 20" test -f "$t/bound"
	check_contains "with the appliance's boot URL" \
	    "opt160=$(hex http://10.99.20.1/)" "$(cat "$t/bound")"
else
	err=$(ip netns exec "$app" "$ZTP_BIN" net --iface lan0 --vlan 20 2>&1)
	check_eq "without 802.1Q in the kernel, net --vlan fails (exit 1)" 1 "$?"
	check_contains "and says why and what to do" \
	    "cannot make lan0.20 (VLAN 20 on lan0): this kernel has no 802.1Q VLAN support (module 8021q): load the 8021q module (modprobe 8021q)" \
	    "$err"
	# lan0 has 10.99.0.1 from the daemon above: with only IPv6
	# link-local addresses, getaddrinfo (AI_ADDRCONFIG) would refuse
	# 0.0.0.0 and serve stop at its HTTP listener before DHCP.
	err=$(ip netns exec "$app" timeout 60 "$ZTP_BIN" serve --listen \
	    0.0.0.0 --http-port 80 --tftp-port 69 --syslog-port off \
	    --state "$t/fx/state2" --library "$t/fx/library" \
	    --ca "$t/fx/ca.pem" --no-verify --iface lan0 \
	    --vlan 20 --address 10.99.20.1/24 --foreground 2>&1)
	check "so does serve --vlan (exit non-zero)" test "$?" != 0
	check_contains "with the same reason" \
	    "this kernel has no 802.1Q VLAN support (module 8021q)" "$err"
	# Name the missing feature and what the kernel said.
	why=$(ip -n "$sw" link add link sw0 name sw0.20 type vlan id 20 2>&1 |
	    head -1)
	skip "serving a tagged phone on VLAN 20 end to end (net --vlan, dhcpd --vlan, a phone on sw0.20): this kernel ($(uname -r)) cannot make 802.1Q VLAN interfaces, CONFIG_VLAN_8021Q (module 8021q) is missing: 'ip link add ... type vlan' says '$why'; IMAGE_TEST_ONLY=vlan make image-test tests the VLAN end to end in the appliance's own kernel (a phone behind VLAN 20 gets its lease there and recovers)"
fi

done_testing
