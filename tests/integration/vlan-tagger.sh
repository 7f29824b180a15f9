#!/bin/sh
# tests/integration/vlan-tagger.c, the user-space 802.1Q access port the
# boot test puts between a simulated phone and the appliance's QEMU NIC
# (IMAGE_TEST_ONLY=vlan make image-test): it must tag what the phone sends,
# untag what comes tagged with its VLAN, and drop the rest.  This kernel may
# have no 802.1Q devices, so the frames are hand-built (frame-tool.c) and
# read with tcpdump; then two taggers back to back (phone - VLAN 20 trunk -
# server) carry a DHCP lease and TCP both ways, whole.
#
#   phone (eth0) = acc1 [tagger] trk1 = trk2 [tagger] acc2 = (eth0) server
#                        switch namespace, trunk tagged VLAN 20
. "$TOP/tests/lib.sh"
. "$TOP/tests/dhcp-lib.sh"

need_root "network namespaces"
need_tools ip tcpdump dnsmasq udhcpc busybox curl cc

t=$(make_tmpdir)
cc -O1 -Wall -o "$t/vlan-tagger" "$TOP/tests/integration/vlan-tagger.c" ||
    { echo "Bail out! vlan-tagger.c does not compile"; exit 1; }
cc -O1 -o "$t/frame-tool" "$TOP/tests/integration/frame-tool.c" ||
    { echo "Bail out! frame-tool.c does not compile"; exit 1; }

sw=vt-sw-$$ ph=vt-ph-$$ sv=vt-sv-$$
cleanup() {
	for n in $sw $ph $sv; do
		ip netns pids "$n" 2>/dev/null | xargs -r kill 2>/dev/null
		sleep 0.2
		ip netns pids "$n" 2>/dev/null | xargs -r kill -9 2>/dev/null
		ip netns del "$n" 2>/dev/null
	done
}
at_exit cleanup
for n in $sw $ph $sv; do
	ip netns add "$n"
	ip -n "$n" link set lo up
	# No IPv6 chatter: every frame counted below is one the test sent.
	ip netns exec "$n" sysctl -q -w net.ipv6.conf.all.disable_ipv6=1 \
	    net.ipv6.conf.default.disable_ipv6=1
done
ip -n "$sw" link add acc1 type veth peer name eth0 netns "$ph" \
    address 00:04:f2:00:20:01
ip -n "$sw" link add trk1 type veth peer name trk2
ip -n "$sw" link add acc2 type veth peer name eth0 netns "$sv" \
    address 02:00:00:00:20:fe
for i in acc1 trk1 trk2 acc2; do ip -n "$sw" link set "$i" up; done
ip -n "$ph" link set eth0 up
ip -n "$sv" link set eth0 up

# tagger NAME TRUNK ACCESS: one tagger in the switch, VLAN 20.
tagger() {
	rm -f "$t/$1.out"	# not the last tagger's "forwarding"
	ip netns exec "$sw" "$t/vlan-tagger" "$2" "$3" 20 >"$t/$1.out" \
	    2>"$t/$1.err" &
	eval "$1=$!"
	wait_for 10 grep -q '^forwarding$' "$t/$1.out"
}
# capture NS IF NAME: tcpdump with link headers, until capture_end NAME.
capture() {
	ip netns exec "$1" tcpdump -l -t -n -e -i "$2" >"$t/$3.cap" \
	    2>"$t/$3.caperr" &
	eval "cap_$3=$!"
	wait_for 10 grep -q 'listening on' "$t/$3.caperr"
}
capture_end() {
	sleep 1		# the last frames reach the capture
	eval "kill \$cap_$1; wait \$cap_$1" 2>/dev/null
}
# stop_tagger NAME: stops it; its counts, "tagged N untagged N dropped N
# unsent N", are then the last line of $t/NAME.out.  Not in a $(...): a
# subshell cannot wait for the tagger, and would read before it wrote.
stop_tagger() {
	eval "kill \$$1; wait \$$1"
}

# --- one tagger: the phone's frames on the trunk, the trunk's at the phone.
tagger one trk1 acc1
capture "$sw" trk2 trunk
ip netns exec "$ph" "$t/frame-tool" eth0 00:04:f2:00:20:01 dhcp 0 3
ip netns exec "$ph" "$t/frame-tool" eth0 00:04:f2:00:20:01 dhcp 30 2
capture_end trunk
check_eq "the phone's 3 untagged DISCOVERs reach the trunk tagged VLAN 20" 3 \
    "$(grep -c '^00:04:f2:00:20:01 > ff:ff:ff:ff:ff:ff, ethertype 802.1Q (0x8100), length 3[0-9][0-9]: vlan 20, p 0, ethertype IPv4' "$t/trunk.cap")"
check_eq "its 2 frames already tagged (VLAN 30) do not" 0 \
    "$(grep -c 'vlan 30' "$t/trunk.cap")"
check_eq "and nothing else came" 3 "$(grep -c . "$t/trunk.cap")"

capture "$ph" eth0 phone
ip netns exec "$sw" "$t/frame-tool" trk2 00:04:f2:00:20:02 dhcp 20 2
ip netns exec "$sw" "$t/frame-tool" trk2 00:04:f2:00:30:03 dhcp 30 2
ip netns exec "$sw" "$t/frame-tool" trk2 00:04:f2:00:00:04 dhcp 0 2
capture_end phone
check_eq "VLAN 20 from the trunk reaches the phone untagged" 2 \
    "$(grep -c '^00:04:f2:00:20:02 > ff:ff:ff:ff:ff:ff, ethertype IPv4 (0x0800), length 3' "$t/phone.cap")"
check_eq "VLAN 30 and untagged frames from the trunk do not" 2 \
    "$(grep -c . "$t/phone.cap")"
stop_tagger one
check_eq "the tagger's counts" "tagged 3 untagged 2 dropped 6 unsent 0" \
    "$(tail -1 "$t/one.out")"

# --- two taggers back to back: DHCP and TCP through the VLAN 20 trunk.
tagger one trk1 acc1
tagger two trk2 acc2
# A veth hands TCP on with its checksum unfinished and in 64 KiB pieces
# (TSO); a packet socket reads them so: the hosts finish their own.
ip netns exec "$ph" "$t/vlan-tagger" plain eth0
check_eq "plain: the phone's transmit checksum offload is off" 0 "$?"
ip netns exec "$sv" "$t/vlan-tagger" plain eth0
ip -n "$sv" addr add 10.99.20.1/24 dev eth0
ip netns exec "$sv" dnsmasq --keep-in-foreground --conf-file=/dev/null \
    --interface=eth0 --bind-interfaces --port=0 --pid-file= \
    --dhcp-range=10.99.20.100,10.99.20.150,255.255.255.0 \
    --dhcp-option=160,http://10.99.20.1/ \
    --dhcp-leasefile="$t/leases" --log-facility="$t/dnsmasq.log" &
wait_for 10 grep -q 'DHCP, sockets bound exclusively to interface eth0' \
    "$t/dnsmasq.log"
udhcpc_script "$t/udhcpc.sh" "$t"
ip netns exec "$ph" udhcpc -f -q -n -i eth0 -s "$t/udhcpc.sh" -O 160 \
    -t 10 -T 1 >"$t/udhcpc.log" 2>&1
check_contains "the phone got its lease through the trunk" "ip=10.99.20.1" \
    "$(cat "$t/bound" 2>/dev/null)"
check_contains "with the server's option 160" \
    "opt160=$(hex http://10.99.20.1/)" "$(cat "$t/bound" 2>/dev/null)"
ip=$(sed -n 's/^ip=//p' "$t/bound" 2>/dev/null)

# 3 MiB each way, over TCP, byte for byte.
mkdir -p "$t/sv" "$t/ph"
head -c 3145728 /dev/urandom >"$t/sv/big"
head -c 3145728 /dev/urandom >"$t/ph/big"
ip netns exec "$sv" busybox httpd -f -p 80 -h "$t/sv" &
ip netns exec "$ph" busybox httpd -f -p 80 -h "$t/ph" &
wait_for 10 sh -c "ip netns exec '$sv' ss -Hltn 'sport = :80' | grep -q ."
wait_for 10 sh -c "ip netns exec '$ph' ss -Hltn 'sport = :80' | grep -q ."
ip netns exec "$ph" curl -s -m 60 -o "$t/got-ph" http://10.99.20.1/big
check_eq "the phone downloads 3 MiB from the server, whole" \
    "$(sha256sum <"$t/sv/big")" "$(sha256sum <"$t/got-ph")"
ip netns exec "$sv" curl -s -m 60 -o "$t/got-sv" "http://$ip/big"
check_eq "the server downloads 3 MiB from the phone, whole" \
    "$(sha256sum <"$t/ph/big")" "$(sha256sum <"$t/got-sv")"
# The VLAN rule refused nothing; a frame the kernel would not queue in the
# 3 MiB burst (unsent, ENOBUFS) is TCP's to send again, as the whole files
# above show, so its count is free.
stop_tagger one
out=$(tail -1 "$t/one.out")
echo "# the phone's tagger: $out"
sed 's/^/# /' "$t/one.err"
check "the phone's tagger tagged and untagged frames, refused none ($out)" \
    sh -c "echo '$out' | grep -q '^tagged [1-9][0-9]* untagged [1-9][0-9]* dropped 0 unsent [0-9]*\$'"

done_testing
