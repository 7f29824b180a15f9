# The voice VLAN boot of image-test.sh (sourced by it, after the unattended
# boots: ZTPDATA exists).  This host's kernel may have no 802.1Q, the
# appliance's has (the 8021q module, kept by prune-modules.sh):
#
#   guest eth1 (e1000) = tap ztptapPID = [vlan-tagger, VLAN 20] = ztpaccPID
#       = eth0 in the namespace ztp-vlan-PID: phonesim --dhcp eth0, untagged
#
# so to the appliance the phone is on VLAN 20 of its second interface.  The
# job file on ZTPDATA asks for DHCP there ("dhcp = eth1", "vlan = 20"); the
# daemon makes eth1.20 (the kernel loads 8021q) and serves DHCP, HTTP and
# TFTP on it; the phone's lease names the appliance as its boot server.
# Test-only kernel arguments: net.ifnames=0 (eth0 for QEMU's user network,
# eth1 for the tap, in PCI order) and ignore_loglevel (the kernel's 8021q
# line on the serial port: the image's sysctl kernel.printk keeps it off).

vns=ztp-vlan-$$ vtap=ztptap$$ vacc=ztpacc$$
VLAN_MAC=0004f2e0e0d1
vtagger=
vlan_cleanup() {
	if [ -n "$qpid" ]; then		# the tap goes after QEMU
		kill "$qpid" 2>/dev/null; wait "$qpid" 2>/dev/null; qpid=
	fi
	[ -n "$vtagger" ] && kill "$vtagger" 2>/dev/null
	ip netns pids "$vns" 2>/dev/null | xargs -r kill -9 2>/dev/null
	ip netns del "$vns" 2>/dev/null
	ip link del "$vacc" 2>/dev/null
	ip tuntap del dev "$vtap" mode tap 2>/dev/null
}
at_exit vlan_cleanup

fixture "vlan: the 802.1Q tagger (cc)" \
    cc -O1 -Wall -o "$work/vlan-tagger" "$TOP/tests/integration/vlan-tagger.c"
fixture "vlan: tap $vtap" ip tuntap add dev "$vtap" mode tap
fixture "vlan: namespace $vns" ip netns add "$vns"
fixture "vlan: veth $vacc" ip link add "$vacc" type veth peer name eth0 \
    netns "$vns" address "$(echo "$VLAN_MAC" | sed 's/../&:/g; s/:$//')"
for i in "$vtap" "$vacc"; do
	# Nothing of this host's own on the phones' VLAN.
	fixture "vlan: no IPv6 on $i" sysctl -q -w "net.ipv6.conf.$i.disable_ipv6=1"
	fixture "vlan: $i up" ip link set "$i" up
done
fixture "vlan: the phone's eth0 up" ip -n "$vns" link set eth0 up
fixture "vlan: the phone's lo up" ip -n "$vns" link set lo up
# A veth hands on frames with the checksum unfinished: the phone finishes
# its own, so that the tagger reads them whole.
fixture "vlan: the phone's checksums in software" \
    ip netns exec "$vns" "$work/vlan-tagger" plain eth0
"$work/vlan-tagger" "$vtap" "$vacc" 20 >"$work/vlan-tagger.out" \
    2>"$work/vlan-tagger.err" &
vtagger=$!
wait_for 10 grep -q '^forwarding$' "$work/vlan-tagger.out" ||
    bail "fixture step failed: the tagger did not start: $(cat "$work/vlan-tagger.err")"

# The job: one phone, on VLAN 20 of eth1, re-pointed to ZTP.
data_offsets
printf 'mac,model,label\r\n%s,VVX410,voice vlan desk\r\n' "$VLAN_MAC" \
    >"$fx/vlan-phones.csv"
printf '# the phones are on the voice VLAN\r\ninventory = vlan-phones.csv\r\nca = ca/operator-ca.pem\r\nrepoint = ztp\r\nonly-inventory = no\r\ntimeout = 15m\r\ndhcp = eth1\r\naddress = 10.99.20.1/24\r\nvlan = 20\r\nreport = vlan-report\r\n' \
    >"$fx/vlan-job.conf"
fixture "ZTPDATA: the VLAN job file" \
    mcopy -o -i "$stick@@$data_off" "$fx/vlan-job.conf" ::/ztp-rescue-job.conf
fixture "ZTPDATA: its inventory" \
    mcopy -o -i "$stick@@$data_off" "$fx/vlan-phones.csv" ::/vlan-phones.csv
fixture "ZTPDATA: the CA" \
    mcopy -o -i "$stick@@$data_off" "$fx/pki/ca.pem" ::/ca/operator-ca.pem

# vnet_hdr=off: QEMU finishes the guest's checksums and segments itself.
unattended_boot vlan "net.ifnames=0 ignore_loglevel" \
    -netdev "tap,id=n1,ifname=$vtap,script=no,downscript=no,vnet_hdr=off" \
    -device e1000,netdev=n1,mac=52:54:00:12:34:20
check "vlan: reached the ready line ($ready_line)" test -n "$ready_line"
check "vlan: the job started" \
    poll 120 screen_has "ztp-rescue unattended: job /srv/ztpdata/ztp-rescue-job.conf: 1 phone(s), repoint ztp"
check "vlan: the daemon serves DHCP on eth1.20, VLAN 20 of eth1" \
    poll 300 screen_has "ztp-rescue unattended: DHCP on eth1.20 (VLAN 20 of eth1) with 10.99.20.1/24: running"
serial=$(tr -d '\r' <"$log")
check_contains "vlan: the appliance's kernel loaded 8021q" \
    "8021q: 802.1Q VLAN Support" "$serial"

ztp_port=$(free_port tcp)
ip netns exec "$vns" "$SIM" ztp-mock --listen "127.0.0.1:$ztp_port" \
    --cert "$fx/pki/server.pem" --key "$fx/pki/server.key" \
    --log "$work/vlan.arrivals" >"$work/vlan.mock.log" 2>&1 &
mock=$!
wait_for 20 sh -c "ip netns exec '$vns' ss -Hltn 'sport = :$ztp_port' | grep -q ."
t_phone=$(date +%s.%N)
ip netns exec "$vns" "$SIM" --model VVX410 --version 4.1.4.7430 --mac "$VLAN_MAC" \
    --dhcp eth0 --ztp "https://127.0.0.1:$ztp_port/" \
    --transcript "$work/vlan.transcript" --timeout 900 \
    >"$work/vlan.phone" 2>"$work/vlan.phone.err"
rc=$?
kill "$mock" 2>/dev/null; wait "$mock" 2>/dev/null
check_eq "vlan: the untagged phone behind VLAN 20 recovered (phonesim exit 0)" 0 "$rc"
[ "$rc" -eq 0 ] || sed 's/^/# phone: /' "$work/vlan.phone.err" | head -10
echo "vlan phone recovery (phonesim, power-on of the phone to ZTP): $(elapsed "$t_phone")s" >>"$figures"
check "vlan: its first lease came from the appliance on VLAN 20, boot server in option 160" \
    grep -q "^$VLAN_MAC DHCP eth0 lease 10\.99\.20\.[0-9]* boot server http://10.99.20.1/ (option 160)\$" \
    "$work/vlan.transcript"
check_eq "vlan: the phone runs 4.1.7, trusts the CA, reached ZTP" \
    "4.1.7.5432 $CAFP ztp true" \
    "$(grep '^{' "$work/vlan.phone" | tail -1 | jq -r '"\(.version_after) \(.ca_sha256) \(.target) \(.reached_ztp)"')"
check "vlan: the final screen came (after the quiet period)" \
    poll 600 screen_has "ZTP RESCUE: UNATTENDED RECOVERY FINISHED after"
check_contains "vlan: the phone of the job is done" \
    "every phone of the job is done (1 of 1)" "$(tr -d '\r' <"$log")"
poweroff vlan
kill "$vtagger" 2>/dev/null; wait "$vtagger" 2>/dev/null; vtagger=
counts=$(tail -1 "$work/vlan-tagger.out")
echo "vlan tagger frames: $counts" >>"$figures"
check "vlan: frames went both ways through the tagger ($counts)" sh -c \
    "echo '$counts' | grep -q '^tagged [1-9][0-9]* untagged [1-9][0-9]* dropped [0-9]* unsent [0-9]*\$'"
check_eq "vlan: the report on ZTPDATA has the phone repointed-quiet with the CA" \
    "$VLAN_MAC repointed-quiet $CAFP" \
    "$(mtype -i "$stick@@$data_off" ::/reports/vlan-report.json 2>/dev/null |
    jq -r --arg m "$VLAN_MAC" '.phones[] | select(.mac == $m) | "\(.mac) \(.state) \(.ca_sha256)"')"
check "vlan: so does the daemon's report on ZTPDATA" report_says "$VLAN_MAC" repointed-quiet
