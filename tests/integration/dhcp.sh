#!/bin/sh
# DHCP on an isolated segment: `ztp-rescue dhcpd` (dnsmasq under our
# supervision) behind a bridge, simulated phones in their own network
# namespaces with their own MACs running busybox udhcpc with Polycom's
# option 60 (binary RFC 3925 form and ASCII).  Asserts the exact boot URL in
# options 66/160, the lease events with model and version, that a re-pointed
# MAC gets no 66/160 on renewal while the others still do, and that a killed
# dnsmasq is restarted with its leases.
#
# udhcpc runs with -B (broadcast replies): on veth pairs a unicast OFFER
# reaches udhcpc's raw socket with a partial checksum and is dropped, a
# quirk of the test wiring, not of the server.
. "$TOP/tests/lib.sh"
. "$TOP/tests/dhcp-lib.sh"

need_root "network namespaces"
need_tools dnsmasq udhcpc ip

t=$(make_tmpdir)
URL=http://10.99.0.1/

bridge_closet dhcp || { echo "Bail out! namespaces"; exit 1; }

udhcpc_script "$t/udhcpc.sh" "$t" per-mac

# start_phone N MAC udhcpc-vendor-args...
start_phone() {
	_n=$1; _mac=$2; shift 2
	ip netns exec "dhcp-ph$_n-$$" udhcpc -f -B -i eth0 -s "$t/udhcpc.sh" \
	    -O 66 -O 160 -t 20 -T 1 -p "$t/ph$_n.pid" "$@" \
	    >"$t/ph$_n.log" 2>&1 &
}

# The appliance: lan0 has no address yet, dhcpd gives it its own.
mkfifo "$t/cmd"
sleep 600 >"$t/cmd" &
holder=$!
at_exit "kill $holder 2>/dev/null"
ip netns exec "$app" "$ZTP_BIN" dhcpd --iface lan0 --address 10.99.0.1/24 \
    --state "$t/state" --probe-ms 1500 --verbose <"$t/cmd" >"$t/out" \
    2>"$t/err" &
dhcpd=$!
at_exit "kill $dhcpd 2>/dev/null"

check "dhcpd starts serving" wait_for 15 grep -q '^serving' "$t/out"
check_eq "the serving line names the pool beside the address" \
    "serving lan0 address=10.99.0.1 range=10.99.0.2-10.99.0.254 boot-url=$URL answers=phones" \
    "$(grep '^serving' "$t/out" | sed 's/ pid=.*//')"
check "dhcpd gave lan0 the appliance's address" \
    sh -c "ip -n $app -4 addr show dev lan0 | grep -q 'inet 10.99.0.1/24'"
conf=$(cat "$t/state/dnsmasq.conf")
check_contains "dnsmasq is bound to lan0 only" \
    "interface=lan0
bind-interfaces
port=0" "$conf"
check_contains "option 66 is forced unless the MAC is known" \
    "dhcp-option-force=tag:!known,66,\"$URL\"" "$conf"

M1=00:04:f2:aa:bb:01
M2=00:04:f2:aa:bb:02
M3=64:16:7f:00:00:03
bridge_node ph1 $M1
bridge_node ph2 $M2
bridge_node ph3 $M3
start_phone 1 $M1 -V "" -x "0x3c:$(binary60 SoundPointIP-SPIP_601 \
    2345-11605-001,2 4.0.15.1047 5.0.3.1667)"
start_phone 2 $M2 -V Polycom-SPIP670
start_phone 3 $M3 -V "" -x "0x3c:$(binary60 VVX-VVX_411 3111-48450-001,1 \
    5.4.1.18370 5.0.3.1667)"

for m in 0004f2aabb01 0004f2aabb02 64167f000003; do
	check "phone $m is bound" wait_for 30 test -f "$t/$m.bound"
	check_eq "phone $m got the boot URL in option 160 (exact bytes)" \
	    "opt160=$(hex $URL)" "$(grep '^opt160=' "$t/$m.bound")"
	# busybox checks 66 as a host name, so a URL shows as "bad": present.
	check_eq "phone $m got option 66" "tftp=bad" \
	    "$(grep '^tftp=' "$t/$m.bound")"
	check_eq "phone $m's server is the appliance" "serverid=10.99.0.1" \
	    "$(grep '^serverid=' "$t/$m.bound")"
done

check "the lease events are printed" wait_for 10 \
    sh -c "[ \$(grep -c '^lease add' '$t/out') -ge 3 ]"
ip1=$(sed -n 's/^ip=//p' "$t/0004f2aabb01.bound")
ip2=$(sed -n 's/^ip=//p' "$t/0004f2aabb02.bound")
check_eq "binary option 60: model, part, version and updater" \
    "lease add mac=0004f2aabb01 ip=$ip1 hostname= option60=binary model=SoundPointIP-SPIP_601 token=SPIP601 part=2345-11605-001 version=4.0.15.1047 updater=5.0.3.1667" \
    "$(grep '^lease add mac=0004f2aabb01' "$t/out" | head -1)"
check_eq "ASCII option 60: the model token" \
    "lease add mac=0004f2aabb02 ip=$ip2 hostname= option60=ascii model=SPIP670 token=SPIP670" \
    "$(grep '^lease add mac=0004f2aabb02' "$t/out" | head -1)"
check_contains "a VVX's binary option 60" \
    "mac=64167f000003 ip=10.99.0." "$(grep '^lease add' "$t/out")"
check_contains "a VVX's version" \
    "token=VVX411 part=3111-48450-001 version=5.4.1.18370" \
    "$(grep '^lease add mac=64167f000003' "$t/out")"
check_contains "the lease file is in the state directory" "01:00:04:f2:aa:bb:01" \
    "$(cat "$t/state/dnsmasq.leases")"

# Not a phone: another vendor's MAC and udhcpc's own vendor class.  dnsmasq
# ignores it (no OFFER at all); dhcpd lists it as ignored.  A client whose
# vendor class names Polycom is answered whatever its MAC.
bridge_node ph5 02:00:00:aa:bb:05
ip netns exec "dhcp-ph5-$$" udhcpc -f -B -n -i eth0 -s "$t/udhcpc.sh" \
    -t 4 -T 1 -x hostname:laptop >"$t/ph5.log" 2>&1
check "a non-Polycom client gets no lease (udhcpc gives up)" \
    test ! -f "$t/020000aabb05.bound"
check_eq "it is listed as ignored, once, with its vendor class and name" 1 \
    "$(grep -c '^ignored mac=020000aabb05 vendor=udhcp [0-9.]* hostname=laptop$' \
    "$t/out")"
check "no lease event for it" sh -c "! grep -q 'mac=020000aabb05' '$t/out' || \
    grep 'mac=020000aabb05' '$t/out' | grep -qv '^lease'"
bridge_node ph6 02:00:00:aa:bb:06
start_phone 6 02:00:00:aa:bb:06 -V Polycom-VVX411
check "a client with vendor class Polycom is answered" wait_for 30 \
    test -f "$t/020000aabb06.bound"

# An unrelated probe from a fourth namespace: the exact bytes of 66 and 160.
bridge_node ph4 00:04:f2:aa:bb:04
out4=$(ip netns exec "dhcp-ph4-$$" "$ZTP_BIN" dhcpd --iface eth0 --probe-only \
    --probe-ms 5000 2>&1)
check_contains "an OFFER carries the URL in 66 and 160" \
    "server=10.99.0.1 ip=10.99.0." "$out4"
# dnsmasq NUL-terminates options 66 and 67 (for PXE ROMs), never 160.
check_contains "the exact bytes of 66 (NUL-terminated) and 160" \
    "opt66=$URL\\x00 opt160=$URL" "$out4"

# Re-point phone 1: its renewal carries no 66/160; phone 2's still does.
echo "no-boot-server $M1" >"$t/cmd"
check "dhcpd acknowledges the re-point" wait_for 5 \
    grep -q "^ok no-boot-server $M1" "$t/out"
check_eq "the hosts file lists the MAC" "$M1,30m" \
    "$(cat "$t/state/dhcp-hosts")"
kill -USR1 "$(cat "$t/ph1.pid")" "$(cat "$t/ph2.pid")"
check "phone 1 renewed" wait_for 10 test -f "$t/0004f2aabb01.renew"
check "phone 2 renewed" wait_for 10 test -f "$t/0004f2aabb02.renew"
check_eq "re-pointed phone 1 keeps its address" "ip=$ip1" \
    "$(grep '^ip=' "$t/0004f2aabb01.renew")"
check_eq "re-pointed phone 1 gets neither 66 nor 160" "" \
    "$(grep -E '^(opt160|tftp)=' "$t/0004f2aabb01.renew")"
check_eq "phone 2 still gets 160" "opt160=$(hex $URL)" \
    "$(grep '^opt160=' "$t/0004f2aabb02.renew")"
check_eq "phone 2 still gets 66" "tftp=bad" \
    "$(grep '^tftp=' "$t/0004f2aabb02.renew")"
check "a renewal is a lease event ('old')" wait_for 5 \
    grep -q '^lease old mac=0004f2aabb01' "$t/out"

# dnsmasq 2.90 crashed on SIGHUP after a client matched a tagged hosts
# line: a second re-point after that renewal must leave it running.
echo "no-boot-server $M3" >"$t/cmd"
wait_for 5 grep -q "^ok no-boot-server $M3" "$t/out"
sleep 0.5
echo state >"$t/cmd"
check "state is reported" wait_for 5 grep -q '^state ' "$t/out"
check_contains "a reload does not restart dnsmasq" "state running restarts=0" \
    "$(grep '^state ' "$t/out" | tail -1)"

# Kill dnsmasq: restarted, leases kept, phones keep their addresses.
pid=$(cat "$t/state/dnsmasq.child-pid")
kill -9 "$pid"
check "dnsmasq is restarted" wait_for 15 sh -c \
    "echo state >'$t/cmd'; sleep 0.3; grep -q 'state running restarts=1' '$t/out'"
check_contains "the reason of the restart is kept" \
    "reason=dnsmasq was killed by signal 9" \
    "$(grep '^state running restarts=1' "$t/out" | tail -1)"
newpid=$(cat "$t/state/dnsmasq.child-pid")
check "a new dnsmasq runs" test "$newpid" != "$pid" -a -d "/proc/$newpid"
check "the restarted dnsmasq replays its leases" wait_for 10 \
    sh -c "grep -c '^lease old mac=0004f2aabb02' '$t/out' | grep -q '^[2-9]'"
rm -f "$t/0004f2aabb02.renew" "$t/0004f2aabb01.renew"
kill -USR1 "$(cat "$t/ph2.pid")" "$(cat "$t/ph1.pid")"
check "phone 2 renews with the restarted dnsmasq" wait_for 10 \
    test -f "$t/0004f2aabb02.renew"
check_eq "phone 2 keeps its address" "ip=$ip2" \
    "$(grep '^ip=' "$t/0004f2aabb02.renew")"
check_eq "phone 2 still gets 160 after the restart" "opt160=$(hex $URL)" \
    "$(grep '^opt160=' "$t/0004f2aabb02.renew")"
check "phone 1 renews" wait_for 10 test -f "$t/0004f2aabb01.renew"
check_eq "phone 1 is still re-pointed after the restart" "" \
    "$(grep -E '^(opt160|tftp)=' "$t/0004f2aabb01.renew")"

# Stop: dnsmasq goes with dhcpd, the leases stay.
kill "$dhcpd"
check "dhcpd stops" wait_for 10 grep -q '^stopped' "$t/out"
check "dnsmasq is gone with it" sh -c "! kill -0 $newpid 2>/dev/null || \
    grep -q zombie /proc/$newpid/status"
check_contains "the leases stay in the state directory" "00:04:f2:aa:bb:02" \
    "$(cat "$t/state/dnsmasq.leases")"
check "nothing on dhcpd's stderr was a sanitizer report" \
    sh -c "! grep -q Sanitizer '$t/err'"

done_testing
