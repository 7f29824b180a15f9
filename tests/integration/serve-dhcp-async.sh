#!/bin/sh
# The "dhcp" control command takes seconds (the probe for another DHCP
# server listens 6 s, then dnsmasq starts): the daemon answers other
# requests meanwhile, shows DHCP as "starting", and answers the command
# when DHCP serves.  Turning DHCP off while it starts cancels the start
# and answers the waiting client.
. "$TOP/tests/lib.sh"
. "$TOP/tests/serve-lib.sh"
. "$TOP/tests/dhcp-lib.sh"

need_root "network namespaces"
need_tools dnsmasq ip

d=$(make_tmpdir)
mkdir -p "$d/state" "$d/library"
ns_pair serve-dasync "sa$$" || { echo "Bail out! namespaces"; exit 1; }

ip netns exec "$app" "$ZTP_BIN" serve --listen 0.0.0.0 --http-port 80 \
    --tftp-port 69 --syslog-port off --state "$d/state" \
    --library "$d/library" --no-verify --foreground >>"$d/serve.log" 2>&1 &
SERVE_PID=$!
at_exit "kill $SERVE_PID 2>/dev/null; wait $SERVE_PID 2>/dev/null"
ctl() {
	"$ZTP_BIN" ctl --state "$d/state" --json "$@"
}
check "the daemon is up" wait_for 10 ctl status
check_eq "without DHCP" off "$(ctl status | jq -r .appliance.dhcp)"

now_ms() { date +%s%3N; }
start=$(now_ms)
ctl dhcp enable:=true iface=lan0 address=10.96.0.1/24 >"$d/dhcp.out" \
    2>&1 &
DHCP_CTL=$!
sleep 1
t0=$(now_ms)
st=$(ctl status | jq -r .appliance.dhcp)
t1=$(now_ms)
check_eq "while it starts, status is answered and says so" starting "$st"
check "within a second" test $((t1 - t0)) -lt 1000
check "another client's request too" "$ZTP_BIN" status --state "$d/state" --json
check "the dhcp command has not answered yet" kill -0 "$DHCP_CTL"
wait "$DHCP_CTL"
check_eq "it answers once DHCP serves" 0 "$?"
end=$(now_ms)
check_eq "with the state" running "$(jq -r '.state // .result.state' "$d/dhcp.out")"
check "after the probe (6 s)" test $((end - start)) -ge 5500
check_eq "the status agrees" running "$(ctl status | jq -r .appliance.dhcp)"
dns=$(cat "$d/state/dnsmasq.child-pid")
check_eq "dnsmasq is the daemon's child" "$SERVE_PID" \
    "$(awk '/^PPid:/ {print $2}' "/proc/$dns/status")"

# Off, then on again and off while it starts: the start is cancelled.
check_eq "off" off "$(ctl dhcp enable:=false | jq -r '.state // .result.state')"
check "dnsmasq stopped" wait_for 5 sh -c "! kill -0 $dns 2>/dev/null"
ctl dhcp enable:=true iface=lan0 address=10.96.0.1/24 >"$d/dhcp2.out" \
    2>&1 &
DHCP_CTL=$!
sleep 1
out=$(ctl dhcp enable:=true iface=lan0 address=10.96.0.1/24 2>&1)
check_contains "a second start while one runs is refused" "still starting" \
    "$out"
check_eq "turning it off while it starts" off \
    "$(ctl dhcp enable:=false | jq -r '.state // .result.state')"
wait "$DHCP_CTL"
check "the waiting client is answered with an error" test "$?" != 0
check_contains "saying why" "turned off before it started" \
    "$(cat "$d/dhcp2.out")"
check_eq "and DHCP is off" off "$(ctl status | jq -r .appliance.dhcp)"
check "the probe child is gone" sh -c \
    "! ps -o pid= --ppid $SERVE_PID | grep -q ."

kill "$SERVE_PID"
wait "$SERVE_PID" 2>/dev/null
check "no sanitizer report in the daemon's log" sh -c \
    "! grep -q 'Sanitizer\|runtime error' '$d/serve.log'"
done_testing
