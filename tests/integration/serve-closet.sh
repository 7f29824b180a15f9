#!/bin/sh
# The daemon's view of the closet: `serve --iface --user nobody` behind a
# bridge; a phone with a stored static address (it only ARPs) and a laptop
# asking DHCP.  status --json lists the phone under "silent" with its reason,
# evidence and reset steps (the listener was opened before root was
# dropped) and the laptop under "ignored"; the JSON report lists the silent
# phone too.
. "$TOP/tests/lib.sh"
. "$TOP/tests/serve-lib.sh"
. "$TOP/tests/dhcp-lib.sh"

need_root "network namespaces"
for c in dnsmasq udhcpc ip jq; do
	if ! command -v "$c" >/dev/null 2>&1; then
		skip "needs $c"
		done_testing
		exit 0
	fi
done
if ! id nobody >/dev/null 2>&1; then
	skip "needs the user nobody"
	done_testing
	exit 0
fi

d=$(make_tmpdir)
chmod 755 "$d"
serve_fixture "$d" || { echo "Bail out! fixture"; exit 1; }
sw=sc-sw-$$
app=sc-app-$$
cleanup_ns() {
	for n in $(ip netns list | awk '{print $1}' | grep -- "-$$\$"); do
		ip netns pids "$n" 2>/dev/null | xargs -r kill -9 2>/dev/null
		ip netns del "$n" 2>/dev/null
	done
}
at_exit cleanup_ns
ip netns add "$sw"
ip netns add "$app"
ip -n "$sw" link add br0 type bridge
ip -n "$sw" link set br0 up
ip -n "$sw" link add app type veth peer name lan0 netns "$app"
ip -n "$sw" link set app master br0 up
ip -n "$app" link set lo up
node() {
	ip netns add "sc-$1-$$"
	ip -n "$sw" link add "p$1" type veth peer name eth0 address "$2" \
	    netns "sc-$1-$$"
	ip -n "$sw" link set "p$1" master br0 up
	ip -n "sc-$1-$$" link set lo up
	ip -n "sc-$1-$$" link set eth0 up
}

ip netns exec "$app" "$ZTP_BIN" serve --listen 0.0.0.0 --http-port 80 \
    --tftp-port 69 --syslog-port off --state "$d/state" \
    --library "$d/library" --ca "$d/ca.pem" \
    --iface lan0 --address 10.99.0.1/24 --user nobody --foreground \
    >>"$d/serve.log" 2>&1 &
SERVE_PID=$!
at_exit "kill $SERVE_PID 2>/dev/null; wait $SERVE_PID 2>/dev/null"
st() { "$ZTP_BIN" status --state "$d/state" --json; }
check "the daemon serves DHCP on lan0" wait_for 30 \
    sh -c "[ \"\$('$ZTP_BIN' status --state '$d/state' --json |
    jq -r .appliance.dhcp)\" = running ]"
check_eq "nothing silent, nothing ignored, no VLAN yet" "0 0 null" \
    "$(st | jq -r '"\(.silent | length) \(.ignored | length) \(.vlan)"')"

node ph 00:04:f2:00:00:51
ip -n "sc-ph-$$" addr add 10.20.4.17/24 dev eth0
ip netns exec "sc-ph-$$" ping -c 3 -i 0.3 -W 1 10.20.4.1 >/dev/null 2>&1
check "the static phone is listed as silent" wait_for 15 \
    sh -c "'$ZTP_BIN' status --state '$d/state' --json |
    jq -e '.silent[] | select(.mac == \"0004f2000051\")' >/dev/null"
check_eq "with its address and reason" \
    "10.20.4.17|static address 10.20.4.17, no DHCP" \
    "$(st | jq -r '.silent[0] | "\(.address)|\(.reason)"')"
check_contains "the evidence" "outside the appliance's subnet" \
    "$(st | jq -r '.silent[0].evidence')"
check_contains "and the password rule (model unknown: no keys)" \
    "null|when it asks for a password, type its MAC address 0004F2000051" \
    "$(st | jq -r '.silent[0].reset | "\(.keys)|\(.password)"')"
check "the daemon runs as nobody" test "$(awk '/^Uid:/ {print $3}' \
    /proc/$SERVE_PID/status)" = "$(id -u nobody)"

node lt 02:00:00:00:00:52
ip netns exec "sc-lt-$$" udhcpc -f -B -n -i eth0 -t 3 -T 1 \
    -s /bin/true -x hostname:laptop >/dev/null 2>&1
check_eq "the laptop got nothing and is listed as ignored" \
    "020000000052|laptop" \
    "$(st | jq -r '.ignored[] | "\(.mac)|\(.hostname)"')"
check "no phone was made of it" sh -c "! '$ZTP_BIN' status --state \
    '$d/state' --json | jq -e '.phones[] | select(.mac == \"020000000052\")' \
    >/dev/null"

mkdir "$d/out" && chown nobody "$d/out"	# the daemon writes it, as nobody
"$ZTP_BIN" ctl --state "$d/state" report format=json out="$d/out/report.json" \
    >/dev/null
check_eq "the report lists the silent phone with its reason" \
    "0004f2000051|static address 10.20.4.17, no DHCP" \
    "$(jq -r '.silent[] | "\(.mac)|\(.reason)"' "$d/out/report.json")"
check_contains "and the steps in its evidence" "type its MAC address" \
    "$(jq -r '.silent[0].evidence' "$d/out/report.json")"
check "nothing in the daemon's log was a sanitizer report" \
    sh -c "! grep -q Sanitizer '$d/serve.log'"

done_testing
