#!/bin/sh
# Unattended recovery (`ztp-rescue unattended`) against a daemon and two
# simulated phones, with a folder standing in for the stick's ZTPDATA: the
# job file's CA, re-point target and policy reach the daemon, batch mode's
# engine waits for the inventory, and the report (JSON, CSV, text) and the
# final screen are written next to the job file.  A job that cannot run is
# refused with the file, the line and what to do, on the same screen; a
# phone that never comes ends the run at the job's time limit.
. "$TOP/tests/lib.sh"
. "$TOP/tests/serve-lib.sh"

[ -x "$PHONESIM_BIN" ] || { skip "no phone simulator"; done_testing; exit 0; }
command -v jq >/dev/null || { skip "jq is not installed"; done_testing; exit 0; }

d=$(make_tmpdir)
data=$d/ztpdata
mkdir -p "$data/ca"

# refused NAME EXPECTED: a job file with the given body is refused, exit 2,
# on stderr and on the final screen, before any daemon is asked.
refused() {
	_name=$1 _want=$2
	err=$("$ZTP_BIN" unattended --state "$d/none" --no-start \
	    --job "$data/bad.conf" --summary "$d/bad.screen" 2>&1 >/dev/null)
	rc=$?
	check_eq "$_name: exit 2" 2 "$rc"
	check_contains "$_name: says where and what" "$_want" "$err"
	check_contains "$_name: on the screen too" "$_want" "$(cat "$d/bad.screen")"
	check_contains "$_name: the screen says the run did not start" \
	    "UNATTENDED RECOVERY NOT STARTED" "$(cat "$d/bad.screen")"
	rm -f "$d/bad.screen"
}
printf '0004f2c00001\n' >"$data/one.csv"
err=$("$ZTP_BIN" unattended --state "$d/none" --no-start \
    --job "$data/ztp-rescue-job.conf" --summary "$d/bad.screen" 2>&1 >/dev/null)
check_eq "no job file: exit 2" 2 "$?"
check_contains "no job file: says so" \
    "$data/ztp-rescue-job.conf: No such file or directory: put a job file there" "$err"
check_contains "no job file: on the screen" "UNATTENDED RECOVERY NOT STARTED" \
    "$(cat "$d/bad.screen")"
printf '# a job\ninventory = one.csv\nrepoint = ztp\ncolour = blue\n' >"$data/bad.conf"
refused "unknown key" "$data/bad.conf:4: unknown key 'colour': remove it or use one of inventory,"
printf 'inventory = one.csv\nrepoint = ztp\n\ntimeout = soon\n' >"$data/bad.conf"
refused "bad timeout" "$data/bad.conf:4: timeout 'soon': 'soon' is not a duration"
printf 'inventory = one.csv\nrepoint = ftp://x/\n' >"$data/bad.conf"
refused "bad repoint" "$data/bad.conf:2: repoint 'ftp://x/': must be \"ztp\""
printf 'inventory = one.csv\nrepoint = https://\n' >"$data/bad.conf"
refused "a repoint URL that names no server" "$data/bad.conf:2: repoint 'https://': re-point target 'https://' names no server"
printf 'inventory = one.csv\nrepoint = ztp\nonly-inventory = maybe\n' >"$data/bad.conf"
refused "bad yes/no" "$data/bad.conf:3: only-inventory 'maybe': must be \"yes\" or \"no\""
printf 'inventory = one.csv\nrepoint = ztp\ninventory = two.csv\n' >"$data/bad.conf"
refused "a key twice" "$data/bad.conf:3: 'inventory' is given twice (first on line 1): keep one"
printf 'inventory = one.csv\nrepoint = ztp\nunknown-version = ask\n' >"$data/bad.conf"
refused "bad policy" "$data/bad.conf:3: unknown-version 'ask': must be \"upgrade\" or \"hold\""
printf 'inventory = one.csv\nrepoint ztp\n' >"$data/bad.conf"
refused "no '='" "$data/bad.conf:2: 'repoint ztp' is not \"key = value\""
printf 'inventory = one.csv\nrepoint = ztp\nreport = ../x\n' >"$data/bad.conf"
refused "a report name that leaves reports/" "$data/bad.conf:3: report '../x': must be a plain file name"
printf 'inventory = one.csv\nrepoint = ztp\ndhcp = eth1\n' >"$data/bad.conf"
refused "dhcp without an address" "$data/bad.conf:3: 'dhcp = IFACE' and 'address = A/N' go together"
printf 'inventory = one.csv\nrepoint = ztp\ndhcp = eth0\naddress = 300.0.0.1/24\n' >"$data/bad.conf"
refused "an address that is not one" "$data/bad.conf:4: address '300.0.0.1/24': address '300.0.0.1/24' is not of the form A.B.C.D/N"
printf 'inventory = one.csv\nrepoint = ztp\nmax-flashes = 50\n' >"$data/bad.conf"
refused "max-flashes out of range" "$data/bad.conf:3: max-flashes '50': must be a number from 1 to 20"
printf 'repoint = ztp\n' >"$data/bad.conf"
refused "no inventory" "$data/bad.conf: no 'inventory': name the CSV"
printf 'inventory = one.csv\n' >"$data/bad.conf"
refused "no repoint" "$data/bad.conf: no 'repoint': say where the phones go"
printf 'inventory = missing.csv\nrepoint = ztp\n' >"$data/bad.conf"
refused "a missing inventory" "$data/missing.csv: No such file or directory"
printf '0004f2c00001\nnot-a-mac\n' >"$data/badinv.csv"
printf 'inventory = badinv.csv\nrepoint = ztp\n' >"$data/bad.conf"
refused "a bad inventory line" "$data/badinv.csv:2: 'not-a-mac' is not a MAC address"
# A CA file the job names and that is not there is the job's mistake,
# said before any daemon is asked (exit 1 before, and only once a daemon
# answered).
printf 'inventory = one.csv\nrepoint = ztp\nca = ca/missing.pem\n' >"$data/bad.conf"
refused "a missing CA file" "$data/bad.conf: ca $data/ca/missing.pem: No such file or directory"
check "nothing was written for a refused job" test ! -e "$data/reports"

# One tiny synthetic 4.1.7 package (the VVX410s' target) and a test CA.
"$SYNTH_BIN" --out "$d/syn" --size tiny --version 4.1.7 --format dir \
    >/dev/null 2>&1 || { skip "no synthetic packages"; done_testing; exit 0; }
for p in "$d/syn/"*; do
	"$ZTP_BIN" import --library "$d/library" "$p" >/dev/null
done
mkdir -p "$d/state"
openssl req -x509 -nodes -days 3650 -subj '/CN=Rescue Test CA' \
    -newkey rsa:2048 -sha256 -keyout "$d/ca.key" -out "$d/ca.pem" \
    -addext basicConstraints=critical,CA:TRUE >/dev/null 2>&1
cp "$d/ca.pem" "$data/ca/operator-ca.pem"
CAFP=$(openssl x509 -in "$d/ca.pem" -outform DER | sha256sum | cut -d' ' -f1)
serve_start "$d" --quiet-period 1 ||
    { echo "not ok - the daemon did not start"; cat "$d/serve.log"; exit 1; }

# The job: two phones, the CA on the stick, re-point to ZTP.
printf 'mac,model,label\n0004f2c00001,VVX410,desk 1\n0004f2c00002,VVX410,desk 2\n' \
    >"$data/phones.csv"
cat >"$data/ztp-rescue-job.conf" <<EOJ
# closet 3, second floor
inventory = phones.csv
ca = ca\\operator-ca.pem
repoint = ztp
unknown-version = upgrade
only-inventory = yes
timeout = 90s
dhcp = off
max-flashes = 2
EOJ
# stdin is a pipe nobody writes to: nothing may wait for a key.
mkfifo "$d/stdin"
sleep 300 >"$d/stdin" &
keeper=$!
at_exit "kill $keeper 2>/dev/null"
"$ZTP_BIN" unattended --state "$d/state" --no-start \
    --job "$data/ztp-rescue-job.conf" --summary "$d/screen" \
    <"$d/stdin" >"$d/out" 2>"$d/err" &
run=$!
at_exit "kill $run 2>/dev/null"
# The phones come once the job's settings are in (as on the appliance,
# where the phones are powered up after the boot).
ca_is_set() {
	[ "$("$ZTP_BIN" status --state "$d/state" --json | jq -r .appliance.ca.sha256)" = "$CAFP" ]
}
wait_for 20 ca_is_set
"$PHONESIM_BIN" --model VVX410 --version 4.1.4.7430 --mac 0004f2c00001 \
    --fleet 2 --server "http://127.0.0.1:$HTTP/" --timeout 80 \
    >"$d/sim.log" 2>&1 &
sim=$!
at_exit "kill $sim 2>/dev/null"
wait "$run"; rc=$?
kill "$keeper" 2>/dev/null
check_eq "both phones recovered: exit 0" 0 "$rc"
[ "$rc" -eq 0 ] || { sed 's/^/# /' "$d/err"; tail -5 "$d/sim.log" | sed 's/^/# sim: /'; }
check_eq "the daemon took the job's CA" "$CAFP" \
    "$("$ZTP_BIN" status --state "$d/state" --json | jq -r .appliance.ca.sha256)"
check_eq "the daemon took the job's max-flashes" 2 \
    "$("$ZTP_BIN" status --state "$d/state" --json | jq -r .appliance.max_flashes)"
check_eq "and keeps it across restarts (settings.json)" 2 \
    "$(jq -r .max_flashes "$d/state/settings.json")"
rep=$data/reports/unattended-report
check "the JSON report is on the stick" test -s "$rep.json"
check_eq "it has both phones repointed-quiet with the job's CA" \
    "0004f2c00001 repointed-quiet $CAFP
0004f2c00002 repointed-quiet $CAFP" \
    "$(jq -r '.phones[] | select(.mac | startswith("0004f2c0")) | "\(.mac) \(.state) \(.ca_sha256)"' "$rep.json" | sort)"
check "the CSV report is on the stick" grep -q '^0004f2c00002,' "$rep.csv"
check_contains "the CSV has its header" "mac" "$(head -1 "$rep.csv")"
check "no temporary file is left on the stick" \
    sh -c "! ls '$data/reports' | grep -q tmp"
screen=$(cat "$d/screen")
check_contains "the screen: finished" \
    "ZTP RESCUE: UNATTENDED RECOVERY FINISHED after" "$screen"
check_contains "the screen: every phone done" \
    "every phone of the job is done (2 of 2)" "$screen"
check_contains "the screen: the counts' names" \
    "VERIFIED         REPOINTED        FAILED           NOT DONE" "$screen"
# The first row of the big digits: 0, 2, 0, 0.
check_contains "the screen: the counts in big digits" \
    "##  #####            #####            #####            #####" "$screen"
check_contains "the screen: what repointed means" \
    "ZTP reachability not verified from" "$screen"
check_contains "the screen: where the report is" \
    "report: $rep.txt (and .csv, .json)" "$screen"
check_contains "the screen ends stdout" "$screen" "$(cat "$d/out")"
check_contains "batch's progress came first" \
    "waiting up to 90s for 2 phones of $data/phones.csv" "$(cat "$d/out")"
txt=$(cat "$rep.txt")
check_contains "the text report has the screen" "every phone of the job is done" "$txt"
check_contains "and a line a phone, with its label" "repointed-quiet  desk 2" "$txt"
wait "$sim"

# The appliance's script around it (ztp-unattended.service), on this host:
# the same job again (both phones are done already), its output on the
# terminals (none here) and the screen kept for tty1.
out=$(ZTP_BIN="$ZTP_BIN" ZTP_STATE="$d/state" ZTP_DATA="$data" ZTP_USER= \
    ZTP_UNATTENDED_RUN="$d/run" ZTP_UNATTENDED_TTYS= \
    sh "$TOP/rootfs/overlay/usr/lib/ztp-appliance/ztp-unattended" </dev/null 2>&1)
check_contains "ztp-unattended says ZTPDATA is not mounted (a folder here)" \
    "ztp-unattended: ZTPDATA is not mounted at $data" "$out"
check_contains "ztp-unattended runs the job" \
    "every phone of the job is done (2 of 2)" "$out"
check_contains "ztp-unattended keeps the screen for tty1" \
    "UNATTENDED RECOVERY FINISHED" "$(cat "$d/run/screen" 2>/dev/null)"
check_contains "ztp-unattended says how it ended" \
    "ztp-unattended: finished, exit status 0" "$out"

# A phone that never comes: the job's time limit ends the run.
printf '0004f2c00001\n0004f2c000ff,,nobody\n' >"$data/late.csv"
printf 'inventory = late.csv\nrepoint = ztp\ntimeout = 3s\nreport = late\n' \
    >"$data/late.conf"
"$ZTP_BIN" unattended --state "$d/state" --no-start --job "$data/late.conf" \
    --summary "$d/late.screen" </dev/null >"$d/late.out" 2>&1; rc=$?
check_eq "time limit reached: exit 3" 3 "$rc"
check_contains "the screen says the time limit ended it" \
    "TIME LIMIT of 3s reached: 1 of 2 phones not done" "$(cat "$d/late.screen")"
check_contains "the text report names the missing phone" \
    "0004f2c000ff  never seen  nobody" "$(cat "$data/reports/late.txt")"
check "the JSON report is there" test -s "$data/reports/late.json"

# A final screen (--summary) that cannot be written is output lost: exit
# 1, not 0, even though every phone is done.
printf 'inventory = one.csv\nrepoint = ztp\ntimeout = 20s\nreport = nosum\n' \
    >"$data/nosum.conf"
"$ZTP_BIN" unattended --state "$d/state" --no-start --job "$data/nosum.conf" \
    --summary "$d/no/such/folder/screen" </dev/null >"$d/nosum.out" \
    2>"$d/nosum.err"; rc=$?
check_eq "a summary not written: exit 1" 1 "$rc"
check_contains "and stderr says which file" "cannot write $d/no/such/folder/screen" \
    "$(cat "$d/nosum.err")"
check_contains "the run itself finished" "every phone of the job is done (1 of 1)" \
    "$(cat "$d/nosum.out")"

# Reports that cannot be written (their names are folders): the screen
# says so and where every record still is; it said "report: ..." as if all
# were written.
printf '0004f2c00001\n' >"$data/blocked.csv"
printf 'inventory = blocked.csv\nrepoint = ztp\nreport = blocked\ntimeout = 20s\n' \
    >"$data/blocked.conf"
mkdir -p "$data/reports/blocked.json" "$data/reports/blocked.csv" \
    "$data/reports/blocked.txt"
"$ZTP_BIN" unattended --state "$d/state" --no-start \
    --job "$data/blocked.conf" --summary "$d/blocked.screen" </dev/null \
    >"$d/blocked.out" 2>&1; rc=$?
check_eq "reports not written: exit 1" 1 "$rc"
check_contains "the screen says the report was not written, and why" \
    "REPORT NOT WRITTEN: no report: " "$(cat "$d/blocked.screen")"
check_contains "and where every record still is" \
    "every record is kept on the stick's" "$(cat "$d/blocked.screen")"
check "it names no report as written" sh -c \
    "! grep -q 'report: .*(and .csv, .json)' '$d/blocked.screen'"
check_contains "the phones' counts are still on it" \
    "every phone of the job is done (1 of 1)" "$(cat "$d/blocked.screen")"
# The same with a phone that never came: the time limit is what ended it
# (the screen said "the daemon went away", which was up all along).
printf '0004f2c00001\n0004f2c000ee\n' >"$data/blocked.csv"
printf 'inventory = blocked.csv\nrepoint = ztp\nreport = blocked\ntimeout = 3s\n' \
    >"$data/blocked.conf"
"$ZTP_BIN" unattended --state "$d/state" --no-start \
    --job "$data/blocked.conf" --summary "$d/blocked2.screen" </dev/null \
    >"$d/blocked2.out" 2>&1
check_contains "a time limit reached is said as such" \
    "TIME LIMIT of 3s reached: 1 of 2 phones not done" "$(cat "$d/blocked2.screen")"
check "not the daemon gone" sh -c "! grep -q 'daemon went away' '$d/blocked2.screen'"

# The daemon refuses what the job asks for: the screen says why.
printf 'not a certificate\n' >"$data/ca/bad.pem"
printf 'inventory = one.csv\nrepoint = ztp\nca = ca/bad.pem\n' >"$data/badca.conf"
"$ZTP_BIN" unattended --state "$d/state" --no-start --job "$data/badca.conf" \
    --summary "$d/badca.screen" </dev/null >/dev/null 2>&1; rc=$?
check_eq "a CA that is none: exit 1" 1 "$rc"
check_contains "the screen names the job, the CA and why (checked before the daemon is asked)" \
    "$data/badca.conf: the CA: $data/ca/bad.pem is neither a PEM certificate" "$(cat "$d/badca.screen")"

# A voice VLAN: the job's "vlan" reaches the daemon's "dhcp" command,
# which makes IFACE.VID first (here on an interface that does not exist;
# tagged phones recovering on the VLAN: IMAGE_TEST_ONLY=vlan make image-test).
printf 'inventory = one.csv\nrepoint = ztp\ndhcp = nosuch0\naddress = 10.99.20.1/24\nvlan = 20\n' \
    >"$data/vlan.conf"
"$ZTP_BIN" unattended --state "$d/state" --no-start --job "$data/vlan.conf" \
    --summary "$d/vlan.screen" </dev/null >/dev/null 2>&1; rc=$?
check_eq "DHCP on a VLAN the daemon cannot make: exit 1" 1 "$rc"
check_contains "the screen names the VLAN and the daemon's reason" \
    "the daemon refused DHCP on nosuch0.20 (VLAN 20 of nosuch0) with 10.99.20.1/24: VLAN 20: DHCP refused: interface 'nosuch0' does not exist" \
    "$(cat "$d/vlan.screen")"
check_eq "and DHCP is still off" "off" \
    "$("$ZTP_BIN" status --state "$d/state" --json | jq -r .appliance.dhcp)"
# A job refused part-way left its CA and re-point in force: the DHCP the
# daemon may refuse is asked first, and nothing else is set.
before=$("$ZTP_BIN" status --state "$d/state" --json | jq -r '.appliance.repoint')
printf 'inventory = one.csv\nrepoint = https://prov.example.com/\ndhcp = nosuch0\naddress = 10.99.0.1/24\n' \
    >"$data/partway.conf"
"$ZTP_BIN" unattended --state "$d/state" --no-start --job "$data/partway.conf" \
    --summary "$d/partway.screen" </dev/null >/dev/null 2>&1; rc=$?
check_eq "DHCP refused: exit 1" 1 "$rc"
check_eq "the re-point stays what it was ($before)" "$before" \
    "$("$ZTP_BIN" status --state "$d/state" --json | jq -r '.appliance.repoint')"

# No daemon: said on the screen, not a hang.
"$ZTP_BIN" unattended --state "$d/none" --no-start --job "$data/late.conf" \
    --summary "$d/nod.screen" </dev/null >/dev/null 2>&1; rc=$?
check_eq "no daemon: exit 1" 1 "$rc"
check_contains "no daemon: on the screen" "no daemon is running" "$(cat "$d/nod.screen")"

done_testing
