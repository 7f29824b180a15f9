#!/bin/sh
# The daemon started by a client (the console's autostart: `ctl` finds no
# daemon and starts `serve`, which goes into the background) with DHCP on:
# everything is opened by the process that stays, so dnsmasq is the
# daemon's own child, and a dnsmasq that dies is reaped and started again.
. "$TOP/tests/lib.sh"
. "$TOP/tests/serve-lib.sh"
. "$TOP/tests/dhcp-lib.sh"

need_root "network namespaces"
need_tools dnsmasq ip

d=$(make_tmpdir)
mkdir -p "$d/state" "$d/library"
ns_pair serve-daemon "sd$$" || { echo "Bail out! namespaces"; exit 1; }

# What the console runs when no daemon answers, with DHCP on lan0.
ZTP_RESCUE_SERVE="exec '$ZTP_BIN' serve --listen 0.0.0.0 --http-port 80 \
    --tftp-port 69 --syslog-port off --state \"\$1\" --library '$d/library' \
    --no-verify --iface lan0 --address 10.98.0.1/24"
export ZTP_RESCUE_SERVE
# batch starts the daemon as the console does (control_open with
# autostart), then gives up waiting for the phone.
echo 0004f2dd0001 >"$d/inventory.csv"
ip netns exec "$app" "$ZTP_BIN" batch --state "$d/state" \
    --inventory "$d/inventory.csv" --timeout 1 >"$d/batch.log" 2>&1
check "a client starts the daemon" test -S "$d/state/control.sock"
dhcp_state() {
	"$ZTP_BIN" status --state "$d/state" --json | jq -r .appliance.dhcp
}
check "DHCP runs" wait_for 30 sh -c "[ \"\$('$ZTP_BIN' status --state \
    '$d/state' --json | jq -r .appliance.dhcp)\" = running ]"
dns=$(cat "$d/state/dnsmasq.child-pid")
daemon=$(awk '/^PPid:/ {print $2}' "/proc/$dns/status")
check_eq "dnsmasq's parent is the daemon" "ztp-rescue" \
    "$(cat "/proc/$daemon/comm" 2>/dev/null)"
check_contains "which is the daemon serving the state directory" \
    "--state$(printf '\001')$d/state" \
    "$(tr '\0' '\001' <"/proc/$daemon/cmdline" 2>/dev/null)"
check "and holds the journal open" sh -c \
    "find '/proc/$daemon/fd' -lname '$d/state/journal*' | grep -q ."

dns_old=$dns
kill -9 "$dns"
check "a dnsmasq that dies is reaped and started again" wait_for 20 sh -c \
    "p=\$(cat '$d/state/dnsmasq.child-pid'); [ \"\$p\" != $dns ] &&
    [ -d /proc/\$p ] && [ \"\$('$ZTP_BIN' status --state '$d/state' \
    --json | jq -r .appliance.dhcp)\" = running ]"
dns=$(cat "$d/state/dnsmasq.child-pid")
check_eq "by the same daemon" "$daemon" \
    "$(awk '/^PPid:/ {print $2}' "/proc/$dns/status")"
check "the old dnsmasq is not left a zombie" test ! -d "/proc/$dns_old"

# Never signal what is not the daemon (dnsmasq's parent was init before).
[ "$(cat "/proc/$daemon/comm" 2>/dev/null)" = ztp-rescue ] && kill "$daemon"
check "the daemon stops" wait_for 10 sh -c "! kill -0 $daemon 2>/dev/null"
check "and dnsmasq with it" wait_for 10 sh -c "! kill -0 $dns 2>/dev/null"
# A start that fails in the background still says why, and exits 1.
out=$("$ZTP_BIN" serve --state "$d/state2" --library "$d/library" \
    --syslog-port off --ca "$d/none.pem" 2>&1)
check_eq "a failed background start exits 1" 1 "$?"
check_contains "and says why on stderr" "cannot open the CA file $d/none.pem" \
    "$out"

# A relative --state: dnsmasq runs from / and was given the hosts file
# and lease hook by relative paths it never found (no lease heard, and a
# re-pointed phone still given the boot server).  They are full paths.
(cd "$d" && exec ip netns exec "$app" "$ZTP_BIN" serve --listen 0.0.0.0 \
    --http-port 80 --tftp-port 69 --syslog-port off --state rel-state \
    --library "$d/library" --no-verify --iface lan0 \
    --address 10.98.0.1/24 --foreground >"$d/rel.log" 2>&1) &
rel=$!
at_exit "kill $rel 2>/dev/null"
check "a daemon with a relative --state runs DHCP" wait_for 30 sh -c \
    "[ \"\$('$ZTP_BIN' status --state '$d/rel-state' --json | jq -r .appliance.dhcp)\" = running ]"
check_contains "dnsmasq is given the hosts file by its full path" \
    "dhcp-hostsfile=$d/rel-state/" "$(cat "$d/rel-state/dnsmasq.conf")"
check_contains "and the lease hook" \
    "dhcp-script=$d/rel-state/" "$(cat "$d/rel-state/dnsmasq.conf")"
kill "$rel"
check "it stops" wait_for 10 sh -c "! kill -0 $rel 2>/dev/null"

check "no sanitizer report in the daemon's log" sh -c \
    "! grep -q 'Sanitizer\|runtime error' '$d/state/serve.log' '$d/rel.log'"
done_testing
