#!/bin/sh
# The phone simulator taking its boot server from DHCP (busybox udhcpc in a
# network namespace, dnsmasq on the other end of a veth pair): option 60 in
# Polycom's layout, option 160 as the boot server, a phone that comes
# straight back while the server still offers 160, and ZTP once it stops.
. "$TOP/tests/lib.sh"
. "$TOP/tests/phonesim/fixture.sh"

need_root "network namespaces"
for c in ip dnsmasq udhcpc nginx; do
	if ! command -v $c >/dev/null 2>&1; then
		skip "$c is not installed"
		done_testing
		exit 0
	fi
done

NS=phonesim-$$
HOSTIF=psh$$
PHONEIF=psp$$
octet() { echo $(( $(od -An -N1 -tu1 /dev/urandom | tr -d ' ') % 200 + 20 )); }
NET=10.$(octet).$(octet)
GW=$NET.1
if ! ip netns add "$NS" 2>/dev/null; then
	skip "cannot create a network namespace here"
	done_testing
	exit 0
fi
at_exit "ip netns del $NS 2>/dev/null; ip link del $HOSTIF 2>/dev/null"
ip link add "$HOSTIF" type veth peer name "$PHONEIF"
ip link set "$PHONEIF" netns "$NS"
ip netns exec "$NS" ip link set lo up
ip netns exec "$NS" ip link set "$PHONEIF" address 00:04:f2:00:50:01
ip addr add "$GW/24" dev "$HOSTIF"
ip link set "$HOSTIF" up

"$PHONESIM_BIN" make-test-pki "$FX/pki" "$GW" >/dev/null 2>&1
ROOT="$FX/root"
fx_boot_root "$ROOT" "$FX/pki/ca.pem"
fx_nginx "$ROOT" "$GW"
check "nginx boot server is up on $GW" fx_listening_tcp "$HTTP_PORT"
fx_ztp_mock "$FX/pki/server.pem" "$FX/pki/server.key" "$GW"
check "mock ZTP endpoint is up on $GW" fx_listening_tcp "$ZTP_PORT"

# dnsmasq [ARGS...]: DHCP on the host end of the veth, restarted each call.
DNSMASQ_PID=
dhcp_server() {
	[ -n "$DNSMASQ_PID" ] && { kill "$DNSMASQ_PID"; wait "$DNSMASQ_PID"; } 2>/dev/null
	dnsmasq --no-daemon --port=0 --conf-file=/dev/null \
	    --interface="$HOSTIF" --bind-interfaces \
	    --dhcp-range="$NET.50,$NET.99,255.255.255.0,1h" \
	    --dhcp-leasefile="$FX/leases" --pid-file= --log-dhcp \
	    --log-facility="$FX/dnsmasq.log" "$@" 2>>"$FX/dnsmasq.err" &
	DNSMASQ_PID=$!
	at_exit "kill $DNSMASQ_PID 2>/dev/null"
	wait_for 10 grep -q "sockets bound exclusively to interface $HOSTIF" \
	    "$FX/dnsmasq.log"
}

M=0004f2005001
phone() {
	out=$(ip netns exec "$NS" "$PHONESIM_BIN" --model VVX410 --mac $M \
	    --dhcp "$PHONEIF" --transcript "$FX/ts" --timeout 60 "$@" \
	    2>"$FX/err"); rc=$?
	err=$(cat "$FX/err")
	ts=$(cat "$FX/ts")
}

# A server that keeps offering option 160: the phone comes straight back.
dhcp_server --dhcp-option=160,"$HTTP_URL"
phone --version 4.1.4.7430 --ztp "$ZTP_URL" --state "$FX/state"
check_eq "while 160 is still offered: exit 1" 1 "$rc"
check_eq "while 160 is still offered: the phone is not re-pointed" \
    "VVX410 $M: runs 4.1.7.5432 with its CA but was not re-pointed: still provisioning from $HTTP_URL" \
    "$err"
lease=$(sed -n "s/^$M DHCP $PHONEIF lease \([0-9.]*\) .*/\1/p" "$FX/ts" | head -1)
check_eq "each of the three boots starts with a lease naming the server" 3 \
    "$(grep -c "^$M DHCP $PHONEIF lease $lease boot server $HTTP_URL (option 160)\$" "$FX/ts")"
check_contains "the lease is in the served range" "$NET." "$lease"
check_contains "the first boot updates the phone" \
    "$M BOOT 1 version=4.1.4.7430 target=$HTTP_URL
$M HTTP PUT $M-app.log 201" "$ts"
check_contains "the third boot finds the boot server again" \
    "$M BOOT 3 version=4.1.7.5432 target=$HTTP_URL" "$ts"
check "dnsmasq saw option 60 in Polycom's layout" \
    grep -q 'vendor class: .*PolycomVVX-VVX_410.*3111-46162-001,1.*SIP/4.1.4.7430/.*BR/5.0.3.1667/' \
    "$FX/dnsmasq.log"
check "the phone asked for options 66 and 160" \
    grep -q 'requested options: .*66:tftp-server, 160' "$FX/dnsmasq.log"

# The server stops offering 160 to this MAC: the phone goes to ZTP.
dhcp_server --dhcp-host=00:04:f2:00:50:01,set:repointed \
    --dhcp-option=tag:!repointed,160,"$HTTP_URL"
phone --version 4.1.4.7430 --ztp "$ZTP_URL" --state "$FX/state"
check_eq "once 160 is withheld: exit 0" 0 "$rc"
check_eq "once 160 is withheld: exact transcript" \
    "$M DHCP $PHONEIF lease $lease no boot server
$M BOOT 1 version=4.1.7.5432 target=ztp
$M ZTP ok" "$ts"
check "the mock ZTP endpoint recorded the phone" \
    grep -q " $M FileTransport PolycomVVX-VVX_410-UA/4.1.7.5432 Type/Application\$" "$FX/arrivals.log"

# No DHCP server at all.
kill "$DNSMASQ_PID"; wait "$DNSMASQ_PID" 2>/dev/null
phone --version 4.1.4.7430 --ztp "$ZTP_URL"
check_eq "no DHCP server: exit 1" 1 "$rc"
check_eq "no DHCP server: one-line reason" \
    "VVX410 $M: still 4.1.4.7430 after 1 boot: no DHCP lease on $PHONEIF" "$err"

done_testing
