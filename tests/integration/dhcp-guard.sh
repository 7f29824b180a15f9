#!/bin/sh
# Never harm a production network: another DHCP server on the segment makes
# `ztp-rescue dhcpd` refuse (naming the server and its offer, and offering
# nothing itself); a default route or a foreign address on the interface
# makes it refuse unless forced; dnsmasq failing to start is reported with
# its own words.  Also `ztp-rescue net`.  All in network namespaces.
. "$TOP/tests/lib.sh"
. "$TOP/tests/dhcp-lib.sh"

need_root "network namespaces"
need_tools dnsmasq ip

t=$(make_tmpdir)
sw=dhcp-gsw-$$
app=dhcp-gapp-$$
rogue=dhcp-grogue-$$
client=dhcp-gcli-$$

cleanup_ns() {
	for n in $(ip netns list | awk '{print $1}' | grep -- "-$$\$"); do
		ip netns pids "$n" 2>/dev/null | xargs -r kill -9 2>/dev/null
		ip netns del "$n" 2>/dev/null
	done
}
at_exit cleanup_ns

ip netns add "$sw"
ip -n "$sw" link add br0 type bridge
ip -n "$sw" link set br0 up
# attach NS NAME: NS gets an interface NAME on the bridge.
attach() {
	ip netns add "$1"
	ip -n "$sw" link add "s$3" type veth peer name "$2" netns "$1"
	ip -n "$sw" link set "s$3" master br0 up
	ip -n "$1" link set lo up
}
attach "$app" lan0 1
attach "$rogue" eth0 2
attach "$client" eth0 3

# `net`: the address is set, the link comes up, the facts are shown.
out=$(ip netns exec "$app" "$ZTP_BIN" net --iface lan0 --address 10.99.0.1/24)
rc=$?
check_eq "net --address exits 0" 0 "$rc"
check_contains "net shows the link up with the address" "link: up" "$out"
check_contains "net shows the address" "addresses: 10.99.0.1/24" "$out"
check_contains "net shows no default route" "default-route: no" "$out"
wait_for 5 sh -c "ip netns exec $app cat /sys/class/net/lan0/carrier | \
    grep -q 1"
out=$(ip netns exec "$app" "$ZTP_BIN" net --iface lan0)
check_contains "net shows the carrier" "carrier: yes" "$out"
out=$(ip netns exec "$app" "$ZTP_BIN" net --iface lan0 --address 10.99.0.1/24)
check_eq "setting the same address again is fine" 0 "$?"
err=$(ip netns exec "$app" "$ZTP_BIN" net --iface nope0 2>&1)
rc=$?
check_eq "net on a missing interface exits 1" 1 "$rc"
check_contains "and says so" "interface 'nope0' does not exist" "$err"
err=$(ip netns exec "$app" "$ZTP_BIN" net --iface lan0 --address 10.99.0.1 \
    2>&1)
check_eq "an address without a prefix is a usage error" 2 "$?"

# A rogue DHCP server (a plain dnsmasq, pinging before it offers, as most do),
# offering 10.99.0.150-159: the checks below match "10.99.0.15" then a digit.
ip -n "$rogue" addr add 10.99.0.2/24 dev eth0
ip -n "$rogue" link set eth0 up
ip netns exec "$rogue" dnsmasq --keep-in-foreground --conf-file=/dev/null \
    --interface=eth0 --bind-interfaces --port=0 --pid-file= \
    --dhcp-range=10.99.0.150,10.99.0.159,255.255.255.0 \
    --dhcp-leasefile="$t/rogue.leases" --log-facility="$t/rogue.log" &
rogue_pid=$!
at_exit "kill $rogue_pid 2>/dev/null"
ip -n "$client" link set eth0 up

# The appliance probes (the rogue pings each address for 3 s before offering
# it, one address at a time, so both listen long enough for a loaded
# machine); a client listens meanwhile, starting a little later.  The
# client's window is the longer: at load 20 a 12 s window once saw no offer
# at all (the rogue pings 3 s before each offer, and serves one at a time).
ip netns exec "$app" timeout 60 "$ZTP_BIN" dhcpd --iface lan0 \
    --address 10.99.0.1/24 --state "$t/s1" --probe-ms 10000 >"$t/s1.out" 2>&1 &
app_pid=$!
sleep 2
ip netns exec "$client" "$ZTP_BIN" dhcpd --iface eth0 --probe-only \
    --probe-ms 20000 >"$t/client" 2>&1 &
client_pid=$!
wait "$app_pid"
rc=$?
err=$(cat "$t/s1.out")
check_eq "dhcpd refuses to serve beside another DHCP server (exit 1)" 1 "$rc"
check_contains "the refusal names the server and its offer" \
    "another DHCP server answers on lan0: server 10.99.0.2 offered 10.99.0.15" \
    "$err"
check_contains "the refusal says what to do" "--no-probe" "$err"
check "no dnsmasq was started" test ! -e "$t/s1/dnsmasq.child-pid"
check "no configuration was written" test ! -e "$t/s1/dnsmasq.conf"
wait "$client_pid"
check_eq "the client saw exactly one server" "servers 1" \
    "$(tail -1 "$t/client")"
check_contains "and it was the rogue" "offer server=10.99.0.2 ip=10.99.0.15" \
    "$(cat "$t/client")"
check "the rogue offered the appliance's MAC an address (our probe)" \
    grep -q "DHCPOFFER(eth0) 10.99.0.15[0-9] $(ip netns exec "$app" \
    cat /sys/class/net/lan0/address)" "$t/rogue.log"
kill "$rogue_pid"
wait "$rogue_pid" 2>/dev/null

# A default route through the interface: a production network.
ip -n "$app" route add default via 10.99.0.254 dev lan0
err=$(ip netns exec "$app" timeout 60 "$ZTP_BIN" dhcpd --iface lan0 \
    --address 10.99.0.1/24 --state "$t/s2" --no-probe 2>&1)
check_eq "a default route makes dhcpd refuse (exit 1)" 1 "$?"
check_contains "and it says why" \
    "interface lan0 has a default route: it looks like a production network" \
    "$err"
check "nothing was started" test ! -e "$t/s2/dnsmasq.child-pid"
ip netns exec "$app" timeout 60 "$ZTP_BIN" dhcpd --iface lan0 --address 10.99.0.1/24 \
    --state "$t/s2" --no-probe --force >"$t/forced" 2>&1 &
forced=$!
check "--force serves anyway" wait_for 10 grep -q '^serving lan0' "$t/forced"
kill "$forced"
check "and stops" wait_for 10 grep -q '^stopped' "$t/forced"
ip -n "$app" route del default

# An address the operator did not assign.
ip -n "$app" addr add 192.168.77.5/24 dev lan0
err=$(ip netns exec "$app" timeout 60 "$ZTP_BIN" dhcpd --iface lan0 \
    --address 10.99.0.1/24 --state "$t/s3" --no-probe 2>&1)
check_eq "a foreign address makes dhcpd refuse (exit 1)" 1 "$?"
check_contains "and it names the address" \
    "interface lan0 has address 192.168.77.5, which is not the appliance's (10.99.0.1)" \
    "$err"
ip -n "$app" addr del 192.168.77.5/24 dev lan0

# The appliance's own address with another prefix (an earlier 'net
# --address .../30'): dnsmasq leased a /24 the appliance could not reach.
ip -n "$app" addr add 10.99.0.1/30 dev lan0
err=$(ip netns exec "$app" timeout 60 "$ZTP_BIN" dhcpd --iface lan0 \
    --address 10.99.0.1/24 --state "$t/s3b" --no-probe 2>&1)
check_eq "the appliance's address with another prefix: refused (exit 1)" 1 "$?"
check_contains "saying which, and what to do" \
    "interface lan0 has the appliance's address 10.99.0.1 with prefix /30, not /24: phones leased outside /30 could not be reached; remove it ('ip addr del 10.99.0.1/30 dev lan0': it is put back with /24), or give --address 10.99.0.1/30" \
    "$err"
ip -n "$app" addr del 10.99.0.1/30 dev lan0

err=$(ip netns exec "$app" timeout 60 "$ZTP_BIN" dhcpd --iface nope0 \
    --address 10.99.0.1/24 --state "$t/s4" --no-probe 2>&1)
check_eq "a missing interface is refused (exit 1)" 1 "$?"
check_contains "by name" "interface 'nope0' does not exist" "$err"

# dnsmasq that cannot start: its own words reach the operator.
err=$(ip netns exec "$app" timeout 60 "$ZTP_BIN" dhcpd --iface lan0 \
    --address 10.99.0.1/24 --state "$t/s5" --no-probe \
    --dnsmasq /nonexistent/dnsmasq 2>&1)
check_eq "a missing dnsmasq fails (exit 1)" 1 "$?"
check_contains "with the reason" \
    "DHCP on lan0 did not start: dnsmasq exited with status 127; last said: cannot run /nonexistent/dnsmasq" \
    "$err"
mkfifo "$t/cmd"
sleep 300 >"$t/cmd" &
holder=$!
at_exit "kill $holder 2>/dev/null"
ip netns exec "$app" timeout 60 "$ZTP_BIN" dhcpd --iface lan0 --address 10.99.0.1/24 \
    --state "$t/s6" --no-probe <"$t/cmd" >"$t/first" 2>"$t/first.err" &
first=$!
wait_for 10 grep -q '^serving lan0' "$t/first"
# A second appliance on the same segment (here: the same host) is a DHCP
# server like any other.
err=$(ip netns exec "$app" timeout 60 "$ZTP_BIN" dhcpd --iface lan0 \
    --address 10.99.0.1/24 --state "$t/s7" 2>&1)
check_eq "a second dhcpd on the same segment refuses (exit 1)" 1 "$?"
check_contains "naming the first one" \
    "another DHCP server answers on lan0: server 10.99.0.1 offered 10.99.0." \
    "$err"
check "the first one still serves" kill -0 "$first"

# While serving, another server appearing is noticed from its answers.
ip netns exec "$rogue" dnsmasq --keep-in-foreground --conf-file=/dev/null \
    --interface=eth0 --bind-interfaces --port=0 --pid-file= --no-ping \
    --dhcp-range=10.99.0.150,10.99.0.159,255.255.255.0 \
    --dhcp-option=160,http://10.99.0.2/cust/ \
    --dhcp-leasefile="$t/rogue2.leases" --log-facility="$t/rogue2.log" &
rogue_pid=$!
at_exit "kill $rogue_pid 2>/dev/null"
sleep 0.5
out=$(ip netns exec "$client" "$ZTP_BIN" dhcpd --iface eth0 --probe-only \
    --probe-ms 5000 2>&1)
check_contains "a client now sees the rogue" "offer server=10.99.0.2" "$out"
# The boot URL phones would get from it: the probe did not ask for 160.
check_contains "with the option 160 phones would get from it" \
    "opt160=http://10.99.0.2/cust/" "$out"
check_contains "and the appliance" "offer server=10.99.0.1" "$out"
echo state >"$t/cmd"
check "the state is reported" wait_for 5 grep -q '^state ' "$t/first"
check_contains "the serving appliance noticed the rogue" \
    "rogue=server 10.99.0.2 offered 10.99.0.15" "$(grep '^state ' "$t/first")"
check_contains "and warned" "ANOTHER DHCP SERVER answers on lan0: server 10.99.0.2" \
    "$(cat "$t/first.err")"
kill "$rogue_pid"
kill "$first"
wait_for 10 grep -q '^stopped' "$t/first"

done_testing
