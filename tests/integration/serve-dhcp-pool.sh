#!/bin/sh
# A DHCP pool with one address (--address .../30) and two phones asking:
# the second gets no address.  dnsmasq said "no address available" to the
# debug log only: nothing told the technician, and the phone was listed as
# refusing an offer that was never made.  Status and the console now say
# the pool is full, naming the MAC that got nothing.
. "$TOP/tests/lib.sh"
. "$TOP/tests/serve-lib.sh"
. "$TOP/tests/dhcp-lib.sh"

need_root "network namespaces"
need_tools dnsmasq udhcpc ip

d=$(make_tmpdir)
chmod 755 "$d"
serve_fixture "$d" || { echo "Bail out! fixture"; exit 1; }
ns_pair serve-pool "sq$$" 00:04:f2:aa:dd:01 || { echo "Bail out! namespaces"; exit 1; }
udhcpc_script "$d/udhcpc.sh" "$d"

ip netns exec "$app" "$ZTP_BIN" serve --listen 0.0.0.0 --http-port 80 \
    --tftp-port 69 --syslog-port off --state "$d/state" \
    --library "$d/library" --ca "$d/ca.pem" --iface lan0 \
    --address 10.99.0.1/30 --foreground >>"$d/serve.log" 2>&1 &
SERVE_PID=$!
at_exit "kill $SERVE_PID 2>/dev/null; wait $SERVE_PID 2>/dev/null"
check "the daemon serves DHCP on lan0" wait_for 30 \
    sh -c "[ \"\$('$ZTP_BIN' status --state '$d/state' --json |
    jq -r .appliance.dhcp)\" = running ]"
opt60=$(binary60 VVX-VVX_411 3111-48450-001,1 5.4.1.18370 5.0.3.1667)

# The first phone takes the one address.
ip netns exec "$ph" udhcpc -f -q -n -i eth0 -s "$d/udhcpc.sh" -t 10 -T 1 \
    -V "" -x "0x3c:$opt60" >"$d/ph1.log" 2>&1
check "the first phone is bound" test -f "$d/bound"
check_eq "to the pool's one address" "ip=10.99.0.2" "$(grep '^ip=' "$d/bound")"
check_eq "the pool is not said full yet" null \
    "$("$ZTP_BIN" status --state "$d/state" --json | jq -r .appliance.dhcp_pool_full)"

# Another client (its own client identifier) finds nothing left.
ip netns exec "$ph" udhcpc -f -q -n -i eth0 -s /bin/true -t 3 -T 1 \
    -V "" -x "0x3c:$opt60" -x 0x3d:01020000aadd02 >"$d/ph2.log" 2>&1
check "the second one gets no lease" sh -c "! grep -q 'lease of' '$d/ph2.log'"
check "status says the pool is full" wait_for 10 sh -c "'$ZTP_BIN' status \
    --state '$d/state' --json | jq -r .appliance.dhcp_pool_full |
    grep -q '^the address pool is full: 00:04:f2:aa:dd:01 got no address'"
check_contains "and its text, with what to do" \
    "DHCP: the address pool is full: 00:04:f2:aa:dd:01 got no address; a host asking for addresses without end, or more phones and hosts than the range holds (a shorter --address prefix gives more)" \
    "$("$ZTP_BIN" status --state "$d/state")"
check_contains "the log says it once" "dhcp: the address pool is full" \
    "$(cat "$d/serve.log")"

kill "$SERVE_PID"
wait "$SERVE_PID" 2>/dev/null
check "the daemon left no sanitizer report" sh -c \
    "! grep -q Sanitizer '$d/serve.log'"
done_testing
