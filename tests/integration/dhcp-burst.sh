#!/bin/sh
# Phones powering up together: `serve --iface --user nobody` behind a
# bridge, and six phones (OUI 00:04:f2) asking DHCP at the same moment,
# each with the budget phonesim's lease try has (busybox udhcpc, 6
# DISCOVERs 1 s apart, then give up).  Every one gets a lease, each its own
# address.  (dnsmasq's ping before an offer blocks all its DHCP for 3 s an
# address, one address after another: the later phones of a burst used to
# get nothing.)
. "$TOP/tests/lib.sh"
. "$TOP/tests/serve-lib.sh"
. "$TOP/tests/dhcp-lib.sh"

need_root "network namespaces"
need_tools dnsmasq udhcpc ip jq
need_user nobody

N=6
d=$(make_tmpdir)
chmod 755 "$d"
serve_fixture "$d" || { echo "Bail out! fixture"; exit 1; }
bridge_closet db || { echo "Bail out! namespaces"; exit 1; }

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

mkdir "$d/leases"
udhcpc_script "$d/udhcpc.sh" "$d/leases" per-mac
i=1
while [ $i -le $N ]; do
	bridge_node "p$i" "00:04:f2:00:b0:0$i"
	i=$((i + 1))
done
# Every port up before the first DISCOVER (the bridge forwards at once).
sleep 1
t0=$(date +%s%N)
i=1
while [ $i -le $N ]; do
	ip netns exec "db-p$i-$$" udhcpc -f -q -n -t 6 -T 1 -i eth0 \
	    -s "$d/udhcpc.sh" -O 66 -O 160 -V "" -x "0x3c:$(binary60 \
	    VVX-VVX_411 3111-48450-001,1 5.9.0.1234 5.0.3.1667)" \
	    >"$d/p$i.log" 2>&1 &
	i=$((i + 1))
done
wait_for 20 sh -c "[ \$(ls '$d/leases' | grep -c '\\.bound\$') -ge $N ]"
echo "# $(ls "$d/leases" | grep -c '\.bound$') of $N bound after" \
    "$((($(date +%s%N) - t0) / 1000000)) ms"
i=1
while [ $i -le $N ]; do
	check_eq "phone $i got a lease within its 6 DISCOVERs" "event=bound" \
	    "$(sed -n 1p "$d/leases/0004f200b00$i.bound" 2>/dev/null)"
	i=$((i + 1))
done
check_eq "each its own address in the pool" "$N" \
    "$(cat "$d/leases/"*.bound 2>/dev/null | sed -n 's/^ip=10\.99\.0\.//p' |
    sort -u | wc -l | tr -d ' ')"
check "nothing in the daemon's log was a sanitizer report" \
    sh -c "! grep -q Sanitizer '$d/serve.log'"

done_testing
