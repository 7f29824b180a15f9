#!/bin/sh
# `ztp-rescue serve --iface ... --user nobody` started as root, with a state
# directory the service user owns and has prepared for an attack: a symlink
# from dnsmasq's lease file to a root-only file, and one from a file the
# daemon hands over (library) to a root-only folder.  Neither is followed:
# the root-only file is unchanged, the folder stays root's, and dnsmasq
# (whose lease script lives in that directory) runs as the user from its
# start, so the script never runs as root.
. "$TOP/tests/lib.sh"
. "$TOP/tests/serve-lib.sh"
. "$TOP/tests/dhcp-lib.sh"

need_root "network namespaces"
need_tools dnsmasq udhcpc ip
need_user nobody

d=$(make_tmpdir)
chmod 755 "$d"
serve_fixture "$d" || { echo "Bail out! fixture"; exit 1; }
MAC=00:04:f2:aa:dd:01
nobody=$(id -u nobody)

# Root's files, and the state directory as the user left it.
printf 'root only\n' >"$d/victim-file"
chmod 600 "$d/victim-file"
mkdir -m 700 "$d/victim-dir"
mkdir -p "$d/state"
ln -s "$d/victim-file" "$d/state/dnsmasq.leases"
ln -s "$d/victim-dir" "$d/state/library"
chown -R -h nobody "$d/state"
mkdir -m 1777 "$d/out"

ns_pair dhcp-priv "dp$$" "$MAC" || { echo "Bail out! namespaces"; exit 1; }
udhcpc_script "$d/udhcpc.sh" "$d"

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

dns=$(cat "$d/state/dnsmasq.child-pid")
check_eq "the first dnsmasq, started by root, runs as the user" "$nobody $nobody" \
    "$(awk '/^Uid:/ { print $2, $4 }' /proc/$dns/status)"
check_eq "with only the network capabilities DHCP needs" \
    "0000000000003400" "$(awk '/^CapPrm:/ { print $2 }' /proc/$dns/status)"

# The user replaces the lease script (it can: the directory is its own).
printf '#!/bin/sh\nid -u >>%s/out/hook-uid\n' "$d" >"$d/state/dhcp-lease-hook.new"
chmod 755 "$d/state/dhcp-lease-hook.new"
mv "$d/state/dhcp-lease-hook.new" "$d/state/dhcp-lease-hook"

ip netns exec "$ph" udhcpc -f -B -i eth0 -s "$d/udhcpc.sh" -t 20 -T 1 \
    -p "$d/ph.pid" >"$d/ph.log" 2>&1 &
check "the phone is bound" wait_for 40 test -f "$d/bound"
check "the lease script ran" wait_for 10 test -s "$d/out/hook-uid"
check_eq "the lease script runs as the user, never as root" "$nobody" \
    "$(sort -u "$d/out/hook-uid" | paste -sd' ')"
check_eq "root's file behind the planted lease-file link is unchanged" \
    "root only" "$(cat "$d/victim-file")"
check_eq "and still root's, mode 600" "root 600" \
    "$(stat -c '%U %a' "$d/victim-file")"
check "dnsmasq's lease file is a plain file again" \
    test -f "$d/state/dnsmasq.leases" -a ! -L "$d/state/dnsmasq.leases"
check "with the phone's lease in it" wait_for 10 \
    grep -q "$MAC" "$d/state/dnsmasq.leases"
check_eq "the folder behind the planted library link is still root's" \
    "root 700" "$(stat -c '%U %a' "$d/victim-dir")"
check_contains "the daemon said it did not hand the link over" \
    "library is a symbolic link: not handed over" "$(cat "$d/serve.log")"
dns=$(cat "$d/state/dnsmasq.child-pid")
check "dnsmasq reads no configuration file from the state directory" sh -c \
    "! tr '\\0' ' ' </proc/$dns/cmdline | grep -q '$d/state'"

kill "$SERVE_PID"
wait "$SERVE_PID" 2>/dev/null
check "the daemon left no sanitizer report" sh -c \
    "! grep -q Sanitizer '$d/serve.log'"
done_testing
