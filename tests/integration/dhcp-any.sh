#!/bin/sh
# --dhcp-any: the appliance answers every client again.  One client with
# another vendor's MAC and udhcpc's own vendor class gets a lease from
# `dhcpd --dhcp-any`, nothing is listed as ignored, and the configuration
# has none of the only-phones lines.  (dhcp.sh checks the default.)
. "$TOP/tests/lib.sh"
. "$TOP/tests/dhcp-lib.sh"

need_root "network namespaces"
need_tools dnsmasq udhcpc ip

t=$(make_tmpdir)
app=any-app-$$
cl=any-cl-$$
cleanup_ns() {
	for n in $app $cl; do
		ip netns pids "$n" 2>/dev/null | xargs -r kill -9 2>/dev/null
		ip netns del "$n" 2>/dev/null
	done
}
at_exit cleanup_ns
ip netns add "$app"
ip netns add "$cl"
ip -n "$app" link set lo up
ip -n "$cl" link set lo up
ip -n "$app" link add lan0 type veth peer name eth0 address \
    02:00:00:00:00:61 netns "$cl"
ip -n "$cl" link set eth0 up

ip netns exec "$app" "$ZTP_BIN" dhcpd --iface lan0 --address 10.99.0.1/24 \
    --state "$t/state" --no-probe --dhcp-any </dev/null >"$t/out" \
    2>"$t/err" &
dhcpd=$!
at_exit "kill $dhcpd 2>/dev/null"
check "dhcpd serves, answering any client" wait_for 15 \
    grep -q '^serving lan0 .* answers=any ' "$t/out"
conf=$(cat "$t/state/dnsmasq.conf")
check "the configuration ignores nobody" sh -c \
    "! grep -qE '^(dhcp-ignore|dhcp-mac|dhcp-vendorclass)=' '$t/state/dnsmasq.conf'"

udhcpc_script "$t/udhcpc.sh" "$t"
ip netns exec "$cl" udhcpc -f -B -n -q -i eth0 -s "$t/udhcpc.sh" -t 10 -T 1 \
    >"$t/cl.log" 2>&1
check "the other vendor's client is bound" test -f "$t/bound"
check "a lease event names it" wait_for 10 \
    grep -q '^lease add mac=020000000061 ' "$t/out"
check "nothing is listed as ignored" sh -c "! grep -q '^ignored ' '$t/out'"

kill "$dhcpd"
check "dhcpd stops" wait_for 10 grep -q '^stopped' "$t/out"
check "nothing on dhcpd's stderr was a sanitizer report" \
    sh -c "! grep -q Sanitizer '$t/err'"

done_testing
