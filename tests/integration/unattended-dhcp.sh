#!/bin/sh
# DHCP from the unattended job file, end to end in network namespaces: a
# closet switch with the appliance's lan0 and a simulated phone that takes
# its address and boot server from DHCP (phonesim --dhcp).
#
# 1. "dhcp = lan0": `ztp-rescue unattended --job FILE` has the daemon serve
#    DHCP there; the phone gets a lease and option 160 from it, recovers,
#    and the run ends with every phone done.
# 2. Another DHCP server (a dnsmasq on the same switch) answers:
#    "dhcp = auto lan0" leaves DHCP off, says which server answered and goes
#    on (it ends at its time limit: no phone comes); "dhcp = lan0" refuses to
#    start the run, with the daemon's reason.
. "$TOP/tests/lib.sh"
. "$TOP/tests/dhcp-lib.sh"
. "$TOP/tests/integration/e2e-lib.sh"

need_root "network namespaces"
need_tools dnsmasq udhcpc ip jq
[ -x "$SYNTH_BIN" ] || { skip "no ucs-synth at $SYNTH_BIN"; done_testing; exit 0; }
[ -x "$PHONESIM_BIN" ] || { skip "no phonesim at $PHONESIM_BIN"; done_testing; exit 0; }

D=$(make_tmpdir)
chmod 755 "$D"
MAC=00:04:f2:dd:d0:01
mac=0004f2ddd001
check "synthetic library and test PKI made" e2e_fixture "$D"
bridge_closet ud || { echo "Bail out! namespaces"; exit 1; }
bridge_node ph1 "$MAC" || { echo "Bail out! phone namespace"; exit 1; }
ph=ud-ph1-$$

# The daemon in the appliance's namespace, as on the appliance: ports 80
# and 69, no DHCP until the job asks for it.
daemon() {
	ip netns exec "$app" "$ZTP_BIN" serve --listen 0.0.0.0 --http-port 80 \
	    --tftp-port 69 --syslog-port off --state "$1" \
	    --library "$D/lib" --ca "$D/pki/ca.pem" --quiet-period 2 \
	    --no-verify --foreground >>"$1.log" 2>&1 &
	SERVE_PID=$!
	at_exit "kill $SERVE_PID 2>/dev/null; wait $SERVE_PID 2>/dev/null"
	wait_for 10 test -S "$1/control.sock"
}
dhcp_state() {
	"$ZTP_BIN" status --state "$1" --json | jq -r .appliance.dhcp
}

# The mock ZTP endpoint on the phone's side (its 127.0.0.1).
E2E_IN_PHONE="ip netns exec $ph"
check "mock ZTP up" e2e_mock "$D"

mkdir -p "$D/data" "$D/s1"
printf 'mac,model,label\n%s,VVX410,desk 1\n' $mac >"$D/data/phones.csv"
cat >"$D/data/ztp-rescue-job.conf" <<EOJ
inventory = phones.csv
repoint = ztp
timeout = 120s
dhcp = lan0
address = 10.99.0.1/24
EOJ
check "daemon up (no DHCP yet)" daemon "$D/s1"
check_eq "no DHCP before the job" off "$(dhcp_state "$D/s1")"
"$ZTP_BIN" unattended --state "$D/s1" --no-start \
    --job "$D/data/ztp-rescue-job.conf" --summary "$D/s1.screen" \
    </dev/null >"$D/s1.out" 2>&1 &
run=$!
at_exit "kill $run 2>/dev/null"
check "the job turned DHCP on" wait_for 30 \
    sh -c "[ \"\$('$ZTP_BIN' status --state '$D/s1' --json | jq -r .appliance.dhcp)\" = running ]"
$E2E_IN_PHONE "$PHONESIM_BIN" --model VVX410 --version 4.1.4.7430 \
    --mac $mac --dhcp eth0 --ztp "https://127.0.0.1:$ZTP/" \
    --transcript "$D/ts" --timeout 90 >"$D/ph.out" 2>"$D/ph.err"
rc=$?
check_eq "the phone recovered (phonesim exit 0)" 0 "$rc"
[ "$rc" -eq 0 ] || sed 's/^/# /' "$D/ph.err" | head -10
wait "$run"; rc=$?
check_eq "the job ended with every phone done (exit 0)" 0 "$rc"
[ "$rc" -eq 0 ] || sed 's/^/# /' "$D/s1.out" | tail -20
check_contains "the job said DHCP serves" \
    "ztp-rescue unattended: DHCP on lan0 with 10.99.0.1/24: running" \
    "$(cat "$D/s1.out")"
lease=$(sed -n "s/^$mac DHCP eth0 lease \([0-9.]*\) boot server.*/\1/p" "$D/ts" | head -1)
check_contains "the phone's first lease came from the appliance, with its URL in option 160" \
    "$mac DHCP eth0 lease $lease boot server http://10.99.0.1/ (option 160)" \
    "$(cat "$D/ts")"
check_contains "in the appliance's network" "10.99.0." "$lease"
check_contains "re-pointed, the appliance withheld 160: its last boot went to ZTP" \
    "$mac DHCP eth0 lease $lease no boot server" "$(cat "$D/ts")"
rep=$D/data/reports/unattended-report.json
check_eq "the report on the stick: repointed-quiet at the leased address" \
    "repointed-quiet $lease" \
    "$(jq -r --arg m $mac '.phones[] | select(.mac == $m) | "\(.state) \(.ip)"' "$rep")"
check_contains "the screen: every phone done" \
    "every phone of the job is done (1 of 1)" "$(cat "$D/s1.screen")"
kill "$SERVE_PID"; wait "$SERVE_PID" 2>/dev/null
check "the first daemon left no sanitizer report" sh -c \
    "! grep -q Sanitizer '$D/s1.log'"

# Another DHCP server on the same switch.
bridge_node other 02:00:00:00:99:02 || { echo "Bail out! namespace"; exit 1; }
other=ud-other-$$
ip -n "$other" addr add 10.99.0.2/24 dev eth0
ip netns exec "$other" dnsmasq --no-daemon --port=0 --conf-file=/dev/null \
    --interface=eth0 --bind-interfaces \
    --dhcp-range=10.99.0.100,10.99.0.150,255.255.255.0,1h \
    --dhcp-leasefile="$D/other.leases" --pid-file= \
    --log-facility="$D/other.log" 2>>"$D/other.err" &
at_exit "kill $! 2>/dev/null"
check "another DHCP server answers on the switch" wait_for 10 \
    grep -q "DHCP, IP range 10.99.0.100" "$D/other.log"

mkdir -p "$D/s2"
check "a fresh daemon up" daemon "$D/s2"
cat >"$D/data/auto.conf" <<EOJ
inventory = phones.csv
repoint = ztp
timeout = 2s
dhcp = auto lan0
address = 10.99.0.1/24
report = auto
EOJ
"$ZTP_BIN" unattended --state "$D/s2" --no-start --job "$D/data/auto.conf" \
    --summary "$D/auto.screen" </dev/null >"$D/auto.out" 2>&1
rc=$?
check_eq "dhcp = auto with another server: the run goes on to its time limit (exit 3)" \
    3 "$rc"
check_contains "it says which server answered and that the appliance serves none" \
    "ztp-rescue unattended: dhcp = auto: another DHCP server answers on lan0 (server 10.99.0.2 offered" \
    "$(cat "$D/auto.out")"
check_contains "the run reached its time limit" \
    "TIME LIMIT of 2s reached" "$(cat "$D/auto.screen")"
check_eq "DHCP stays off in the daemon" off "$(dhcp_state "$D/s2")"
check "no dnsmasq of the appliance runs" sh -c \
    "! ip netns pids '$app' | xargs -r ps -o comm= -p | grep -q dnsmasq"
check_contains "the daemon's log says why" \
    "another DHCP server answers on lan0 (server 10.99.0.2 offered" \
    "$(cat "$D/s2.log")"

cat >"$D/data/on.conf" <<EOJ
inventory = phones.csv
repoint = ztp
timeout = 2s
dhcp = lan0
address = 10.99.0.1/24
report = on
EOJ
"$ZTP_BIN" unattended --state "$D/s2" --no-start --job "$D/data/on.conf" \
    --summary "$D/on.screen" </dev/null >"$D/on.out" 2>&1
rc=$?
check_eq "dhcp = lan0 with another server: the job is not started (exit 1)" 1 "$rc"
check_contains "the screen gives the daemon's reason" \
    "another DHCP server answers on lan0" "$(cat "$D/on.screen")"
check_contains "and says the run did not start" \
    "UNATTENDED RECOVERY NOT STARTED" "$(cat "$D/on.screen")"
check_eq "DHCP is still off" off "$(dhcp_state "$D/s2")"
kill "$SERVE_PID"; wait "$SERVE_PID" 2>/dev/null
check "the second daemon left no sanitizer report" sh -c \
    "! grep -q Sanitizer '$D/s2.log'"
done_testing
