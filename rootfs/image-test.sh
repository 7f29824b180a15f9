#!/bin/sh
# image-test.sh IMAGE: boot the stick image headless under QEMU (TCG, never
# KVM) from a USB storage device, the way a laptop boots a stick:
#
#   1. SeaBIOS (BIOS, grub-pc)              first boot: creates ZTPSTATE/ZTPDATA
#   2. OVMF (UEFI, shim + signed GRUB)      second boot: the state survived
#   3. OVMF with Secure Boot on (MS keys)   third boot: the signed chain is accepted
#
# Each boot waits for the ready line on the serial port ("ztp-rescue: ready
# on ..." or "ztp-rescue: not ready: WHY", printed by ztp-ready.service),
# records power-on-to-ready time, checks the daemon over the user-mode
# network, and powers the guest off through ACPI.  A second USB stick (FAT32,
# as a technician brings) holds a synthetic UC Software package and the
# test CA: the first boot imports both before its ready line.  Then a
# simulated phone (tests/phonesim) recovers through QEMU's network, to the
# mock ZTP service on this host, and the report on the stick's ZTPDATA
# partition must say so; the next boot must still know the phone, and a
# third stick plugged in while it runs is imported.
# The stick is a copy of IMAGE grown to IMAGE_TEST_STICK_MB (1024) with free
# space, as after `dd` to a real stick.  Output is TAP; figures go to
# $BUILD/image-test/figures.  IMAGE_TEST_QUICK=1 stops after the BIOS boot.
# Last, the boot entry "recover unattended" twice (SeaBIOS): without a job
# file on ZTPDATA (its screen must say so), then with one: two simulated
# phones recover with nobody at the keyboard, the final screen is on the
# serial port and the report on ZTPDATA.  IMAGE_TEST_ONLY=unattended runs
# just these two boots (the first of them creates the data partitions).
# Then the voice VLAN ("recover unattended" again, SeaBIOS): a second NIC on
# a tap device, a user-space 802.1Q access port on this host
# (tests/integration/vlan-tagger.c) and a phone in a network namespace
# behind it, untagged; the job file's "vlan = 20" makes the appliance serve
# DHCP, HTTP, TFTP and syslog on eth1.20, the phone takes its lease there and
# recovers, and the report on ZTPDATA says so.  IMAGE_TEST_ONLY=vlan runs
# the first unattended boot (it creates the data partitions) and this one.
set -u
img=$(readlink -f "$1")
TOP=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-build}
. "$TOP/tests/lib.sh"

work=$TOP/$BUILD/image-test
TIMEOUT=${IMAGE_TEST_TIMEOUT:-600}
rm -rf "$work"
mkdir -p "$work"
figures=$work/figures
: >"$figures"
stick=$work/stick.img
qpid=
at_exit '[ -n "$qpid" ] && kill "$qpid" 2>/dev/null'

# bail WHY: stop the whole test with its reason (TAP "Bail out!").
bail() {
	echo "Bail out! image-test: $*"
	exit 1
}
# fixture WHAT CMD...: one step of building the sticks; the first that fails
# stops the test with what it was and its message (a stick built half-way
# would only make later checks fail for the wrong reason).
fixture() {
	_what=$1; shift
	if ! "$@" >"$work/fixture.err" 2>&1; then
		bail "fixture step failed: $_what: $(tail -5 "$work/fixture.err" | tr '\n' ' ')"
	fi
}
# Every program this test runs, with the Debian package that has it (the
# Makefile's DEB_IMAGE_TEST installs them).
for t in qemu-system-x86_64:qemu-system-x86 sfdisk:fdisk sgdisk:gdisk \
    mkfs.vfat:dosfstools mmd:mtools mcopy:mtools mtype:mtools minfo:mtools \
    mdir:mtools debugfs:e2fsprogs openssl:openssl jq:jq curl:curl ss:iproute2 \
    mkfifo:coreutils mkfs.ext4:e2fsprogs; do
	command -v "${t%%:*}" >/dev/null 2>&1 ||
	    bail "${t%%:*} is not installed (Debian package ${t#*:}; make image-deps installs it)"
done
only=${IMAGE_TEST_ONLY:-}
case $only in
""|unattended|vlan) ;;
*) bail "IMAGE_TEST_ONLY=$only: give unattended or vlan (or nothing: every boot)" ;;
esac
# The voice VLAN boot needs root (a tap device, a network namespace).
vlan_boot=0
if [ "$only" = vlan ] || { [ -z "$only" ] && [ "$(id -u)" = 0 ]; }; then
	vlan_boot=1
	[ "$(id -u)" = 0 ] || bail "IMAGE_TEST_ONLY=vlan needs root (a tap device, a network namespace)"
	for t in cc:gcc udhcpc:udhcpc ip:iproute2; do
		command -v "${t%%:*}" >/dev/null 2>&1 ||
		    bail "${t%%:*} is not installed (Debian package ${t#*:}): the voice VLAN boot needs it"
	done
fi
[ -f "$img" ] || bail "no image $1 (make image)"
for f in "$TOP/$BUILD/phonesim" "$TOP/$BUILD/ucs-synth"; do
	[ -x "$f" ] || bail "no $f (make)"
done

fixture "copy the image to the stick" cp --sparse=always "$img" "$stick"
fixture "grow the stick to ${IMAGE_TEST_STICK_MB:-1024} MiB" \
    truncate -s "${IMAGE_TEST_STICK_MB:-1024}M" "$stick"

SIM=$TOP/$BUILD/phonesim
SYNTH=$TOP/$BUILD/ucs-synth
fx=$work/fixture
mkdir -p "$fx"
# fat_stick FILE LABEL: a 64 MiB stick with one FAT32 partition at 1 MiB,
# as sticks come from the shop.
fat_stick() {
	fixture "$2 stick: size" truncate -s 64M "$1"
	fixture "$2 stick: partition table (sfdisk)" \
	    sh -c "echo 'start=2048, type=c' | sfdisk -q '$1'"
	fixture "$2 stick: the partition is there" \
	    sh -c "sfdisk -d '$1' | grep -q 'start= *2048, .*type=c'"
	fixture "$2 stick: FAT32 (mkfs.vfat)" mkfs.vfat -F 32 -n "$2" --offset 2048 "$1"
}
# The technician's second stick: a 4.1.7 package (zip) and the operator's CA.
fixture "synthetic 4.1.7 package" \
    "$SYNTH" --out "$fx/syn417" --size tiny --version 4.1.7 --format zip
fixture "test PKI" "$SIM" make-test-pki "$fx/pki"
CAFP=$(openssl x509 -in "$fx/pki/ca.pem" -outform DER | sha256sum | cut -d' ' -f1)
[ ${#CAFP} -eq 64 ] || bail "fixture step failed: the test CA's fingerprint"
second=$work/second.img
fat_stick "$second" FIRMWARE
fixture "FIRMWARE stick: folders" mmd -i "$second@@1M" ::/firmware ::/ca
fixture "FIRMWARE stick: package" sh -c "mcopy -i '$second@@1M' '$fx/syn417/'*.zip ::/firmware/"
fixture "FIRMWARE stick: CA" mcopy -i "$second@@1M" "$fx/pki/ca.pem" ::/ca/operator-ca.pem
# A third stick, plugged in while the second boot runs: a 5.4.1 package.
fixture "synthetic 5.4.1 package" \
    "$SYNTH" --out "$fx/syn541" --size tiny --version 5.4.1 --format zip
third=$work/third.img
fat_stick "$third" LATER
fixture "LATER stick: package" sh -c "mcopy -i '$third@@1M' '$fx/syn541/'*.zip ::/"

# A foreign stick in every boot: a whole-disk ext4 labelled ZTPSTATE whose
# root.hash would set root's password if it were taken for the state.
foreign=$work/foreign.img
mkdir -p "$fx/foreign/system"
echo 'FOREIGN' >"$fx/foreign/system/root.hash"
fixture "foreign ZTPSTATE stick: size" truncate -s 32M "$foreign"
fixture "foreign ZTPSTATE stick: ext4 (mkfs.ext4)" \
    mkfs.ext4 -q -F -L ZTPSTATE -d "$fx/foreign" "$foreign"

# Test-only kernel arguments, in the stick's own local.cfg hook: the address
# QEMU's user-mode network forwards to.  The shipped menu is unchanged.
part_start() { sgdisk -i "$2" "$1" | awk '/^First sector/ { print $3 }'; }
part_size() { sgdisk -i "$2" "$1" | awk '/^Partition size/ { print $3 }'; }
boot_start=$(part_start "$stick" 2)
[ -n "$boot_start" ] || bail "fixture step failed: no partition 2 (ZTPBOOT) in the image"
boot_off=$(( boot_start * 512 ))
printf 'set ztp_extra="ztp.address=10.0.2.15/24 ztp.gateway=10.0.2.2"\nset timeout=1\n' \
    >"$work/local.cfg"
fixture "local.cfg on the stick's ZTPBOOT" \
    mcopy -o -i "$stick@@$boot_off" "$work/local.cfg" ::/boot/grub/local.cfg

elapsed() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%d\n", b - a + 0.5 }'; }
# What the binary inside the image can do (recorded by build-image.sh).
image_commands=" $(sed -n 's/^commands: //p' "$img.manifest" 2>/dev/null) "
has_cmd() { case $image_commands in *" $1 "*) return 0 ;; esac; return 1; }
echo "# commands in the image:$image_commands"

# boot NAME QEMU-ARGS...: sets ready_line, ready_secs.
boot() {
	name=$1; shift
	log=$work/$name.serial
	mkfifo "$work/$name.mon.in" "$work/$name.mon.out"
	http_port=$(free_port tcp)
	: >"$log"
	t0=$(date +%s.%N)
	qemu-system-x86_64 -accel tcg -smp 2 -m 1024 -display none \
	    -serial "file:$log" -chardev "pipe,id=mon,path=$work/$name.mon" \
	    -mon chardev=mon,mode=readline \
	    -drive "file=$stick,format=raw,if=none,id=stick,cache=writeback" \
	    -device qemu-xhci -device usb-storage,drive=stick,bootindex=0 \
	    -netdev "user,id=n0,hostfwd=tcp:127.0.0.1:$http_port-10.0.2.15:80" \
	    -drive "file=$second,format=raw,if=none,id=second,cache=writeback" \
	    -device usb-storage,drive=second \
	    -drive "file=$foreign,format=raw,if=none,id=foreign,cache=writeback" \
	    -device usb-storage,drive=foreign \
	    -device e1000,netdev=n0 "$@" >"$work/$name.qemu.log" 2>&1 &
	qpid=$!
	cat "$work/$name.mon.out" >/dev/null &
	ready_line= ready_secs=
	while :; do
		ready_line=$(grep -a -o 'ztp-rescue: \(not \)\{0,1\}ready.*' "$log" | head -1 | tr -d '\r')
		[ -n "$ready_line" ] && break
		kill -0 "$qpid" 2>/dev/null || break
		[ "$(elapsed "$t0")" -gt "$TIMEOUT" ] && break
		sleep 1
	done
	ready_secs=$(elapsed "$t0")
	echo "# $name: ${ready_line:-no ready line} after ${ready_secs}s"
	echo "$name power-on-to-ready ${ready_secs}s: ${ready_line:-none}" >>"$figures"
}

# poweroff NAME: ACPI power button, as a technician would press it.
poweroff() {
	echo system_powerdown >"$work/$1.mon.in"
	i=0
	while kill -0 "$qpid" 2>/dev/null && [ "$i" -lt 180 ]; do
		sleep 1; i=$((i + 1))
	done
	if kill -0 "$qpid" 2>/dev/null; then
		kill "$qpid"
		check "$1: guest powered off cleanly" false
	else
		check "$1: guest powered off cleanly" true
	fi
	wait "$qpid" 2>/dev/null
	qpid=
}

# state_cat PATH: a file from the stick's ZTPSTATE partition (ext4).
state_cat() {
	debugfs -R "cat $1" "$stick?offset=$state_off" 2>/dev/null
}
state_ls() {
	debugfs -R "ls -l $1" "$stick?offset=$state_off" 2>/dev/null
}

# check_boot NAME: what every boot must show.
check_boot() {
	check "$1: reached the ready line ($ready_line)" test -n "$ready_line"
	check_contains "$1: console banner of the live system on the serial port" \
	    "ztp-data:" "$(tr -d '\r' <"$log")"
	if has_cmd serve && has_cmd status; then
		check_contains "$1: the daemon answered" "ztp-rescue: ready on" "$ready_line"
		check "$1: HTTP answers through the network" \
		    curl -s -o /dev/null -m 20 "http://127.0.0.1:$http_port/"
	else
		check_contains "$1: says plainly that this build has no daemon" \
		    "ztp-rescue: not ready: this build has no" "$ready_line"
		skip "$1: daemon checks: this build has no 'serve'/'status'"
	fi
}

# poll SECONDS CMD...: CMD every 5 s until it succeeds (wait_for's tenth of
# a second would steal CPU from the emulated guest).
poll() {
	_end=$(( $(date +%s) + $1 )); shift
	until "$@" 2>/dev/null; do
		[ "$(date +%s)" -ge "$_end" ] && return 1
		sleep 5
	done
}

# monitor NAME COMMAND: one QEMU monitor command.
monitor() { echo "$2" >"$work/$1.mon.in"; }

# data_report: the JSON report the daemon keeps on ZTPDATA, to stdout.
data_report() {
	mtype -i "$stick@@$data_off" ::/reports/ztp-rescue-report.json 2>/dev/null
}
data_offsets() {
	parts=$(sgdisk -p "$stick")
	state_nr=$(echo "$parts" | awk '$NF == "ZTPSTATE" { print $1 }')
	data_nr=$(echo "$parts" | awk '$NF == "ZTPDATA" { print $1 }')
	state_off=$(( $(part_start "$stick" "${state_nr:-3}") * 512 ))
	data_off=$(( $(part_start "$stick" "${data_nr:-4}") * 512 ))
}
# report_says MAC STATE: the report on the stick has the phone in STATE
# (read while the guest runs: the daemon writes it whole, then fsyncs).
report_says() {
	[ "$(data_report | jq -r --arg m "$1" '.phones[] | select(.mac == $m) | .state' 2>/dev/null)" = "$2" ]
}

# recover NAME MODEL VERSION MAC: one simulated phone through QEMU's
# network against the appliance, to the mock ZTP; then the report on the
# stick must show it recovered with the CA from the second stick.
recover() {
	r=$1 model=$2 from=$3 mac=$4
	ztp_port=$(free_port tcp)
	"$SIM" ztp-mock --listen "127.0.0.1:$ztp_port" --cert "$fx/pki/server.pem" \
	    --key "$fx/pki/server.key" --log "$work/$r.arrivals" >"$work/$r.mock.log" 2>&1 &
	mock=$!
	wait_for 20 sh -c "ss -Hltn 'sport = :$ztp_port' | grep -q ."
	t_phone=$(date +%s.%N)
	"$SIM" --model "$model" --version "$from" --mac "$mac" \
	    --server "http://127.0.0.1:$http_port/" --ztp "https://127.0.0.1:$ztp_port/" \
	    --transcript "$work/$r.transcript" --timeout 900 \
	    >"$work/$r.phone" 2>"$work/$r.phone.err"
	rc=$?
	kill "$mock" 2>/dev/null; wait "$mock" 2>/dev/null
	check_eq "$r: the simulated $model recovered through the network (phonesim exit 0)" 0 "$rc"
	[ "$rc" -eq 0 ] || sed 's/^/# phone: /' "$work/$r.phone.err" | head -10
	line=$(grep '^{' "$work/$r.phone" | tail -1)
	check_eq "$r: the phone runs 4.1.7, trusts the CA of the second stick, reached ZTP" \
	    "4.1.7.5432 $CAFP ztp true" \
	    "$(printf '%s' "$line" | jq -r '"\(.version_after) \(.ca_sha256) \(.target) \(.reached_ztp)"')"
	echo "$r phone recovery (phonesim, power-on of the phone to ZTP): $(elapsed "$t_phone")s" >>"$figures"
	# The appliance calls it recovered after its quiet period (120 s).
	check "$r: the report on ZTPDATA says recovered (after the quiet period)" \
	    poll 400 report_says "$mac" repointed-quiet
	check_eq "$r: the report agrees with the phone: version and CA" \
	    "4.1.4.7430 4.1.7.5432 $CAFP" \
	    "$(data_report | jq -r --arg m "$mac" '.phones[] | select(.mac == $m) | "\(.version_before) \(.version) \(.ca_sha256)"')"
}

if [ -z "$only" ]; then
# --- 1. BIOS, first boot ------------------------------------------------------
boot bios
check_boot bios
check_contains "bios: booted via BIOS" "booted via bios" "$(tr -d '\r' <"$log")"
check_contains "bios: first boot created the data partitions" \
    "first boot of this stick" "$(tr -d '\r' <"$log")"
check_contains "bios: boot 1 of this stick" "boot 1 of this stick" "$(tr -d '\r' <"$log")"
check_contains "bios: the foreign ZTPSTATE stick is refused on the serial port" \
    "is labelled ZTPSTATE but is not this stick's own ZTPSTATE partition" "$(tr -d '\r' <"$log")"
check_contains "bios: this stick's data partitions were recorded" \
    "ztp-data: data partitions of this stick recorded: ZTPSTATE " "$(tr -d '\r' <"$log")"
phones_1=$(echo "$ready_line" | sed -n 's/.* phones=\([0-9]*\).*/\1/p')
# A phone's first request through QEMU's network (curl with a VVX410
# Updater User-Agent, as tests/integration/serve.sh does): the daemon must
# answer with the phone's config and remember the phone across power-off.
# (A whole recovery with the phone simulator needs a firmware library on the
# stick, which this test does not stage.)
PHONE_MAC=0004f2e0e001
PHONE_UA="FileTransport PolycomVVX-VVX_410-UA/5.0.3.1667 Type/Updater"
if has_cmd serve && has_cmd status; then
	code=$(curl -s -m 30 -o "$work/phone.cfg" -w '%{http_code}' -A "$PHONE_UA" \
	    "http://127.0.0.1:$http_port/$PHONE_MAC.cfg")
	check_eq "bios: the daemon serves a phone its config through the network" 200 "$code"
else
	skip "bios: phone request: this build has no 'serve'/'status'"
fi
serial=$(tr -d '\r' <"$log")
check_contains "bios: the second stick was mounted read-only" \
    "(FIRMWARE) mounted read-only at /media/" "$serial"
check_contains "bios: its package was imported before the ready line" \
    "1 package(s): " "$(echo "$serial" | grep 'ztp-stick: imported from /media/')"
check_contains "bios: the ready line counts the package" "packages=1 " "$ready_line"
check_contains "bios: its CA became the CA to install" \
    "ztp-stick: CA certificate to install from /media/" "$serial"
data_offsets
PHONE2=0004f2e0e0a1
recover bios VVX410 4.1.4.7430 "$PHONE2"
poweroff bios

data_offsets
check_contains "ZTPSTATE partition on the stick" "ZTPSTATE" "$parts"
check_contains "ZTPDATA partition on the stick" "ZTPDATA" "$parts"
check "after power-off the report on ZTPDATA still says recovered" \
    report_says "$PHONE2" repointed-quiet
check_eq "ZTPSTATE holds the boot count" "1" "$(state_cat /system/boots)"
check_eq "the foreign ZTPSTATE stick was never used as the state" "" \
    "$(debugfs -R 'cat /system/boots' "$foreign" 2>/dev/null)"
partuuid() { sgdisk -i "$1" "$stick" | awk '/^Partition unique GUID/ { print tolower($4) }'; }
check_eq "ZTPBOOT records ZTPSTATE's and ZTPDATA's PARTUUIDs" \
    "state $(partuuid "$state_nr") data $(partuuid "$data_nr")" \
    "$(mtype -i "$stick@@$boot_off" ::/ztp/partitions 2>/dev/null | tr -d '\r' | paste -sd' ')"
check_contains "ZTPDATA is FAT32 labelled ZTPDATA" "ZTPDATA" \
    "$(minfo -i "$stick@@$data_off" :: 2>/dev/null | grep -i 'label')"
check_contains "ZTPDATA has the firmware drop folder" "firmware" \
    "$(mdir -b -i "$stick@@$data_off" ::/ 2>/dev/null)"
# Files that outlive the daemon (not its socket, not SQLite's -wal/-shm,
# which a clean exit removes).
state_files_1=$(state_ls /ztp-rescue | awk 'NF >= 9 && $NF != "." && $NF != ".." { print $NF }' |
    grep -v -e '\.sock$' -e '-wal$' -e '-shm$' | sort)
echo "# state after boot 1: $(echo $state_files_1)"

if [ "${IMAGE_TEST_QUICK:-0}" = 1 ]; then	# BIOS boot only
	echo "# figures:"; sed 's/^/#   /' "$figures"
	done_testing
	exit
fi

# --- 2. UEFI, second boot -----------------------------------------------------
boot uefi -bios /usr/share/ovmf/OVMF.fd
check_boot uefi
check_contains "uefi: booted via UEFI, Secure Boot off" "booted via uefi," "$(tr -d '\r' <"$log")"
check_contains "uefi: boot 2 of this stick (state survived power-off)" \
    "boot 2 of this stick" "$(tr -d '\r' <"$log")"
check_contains "uefi: the foreign ZTPSTATE stick is refused again" \
    "is labelled ZTPSTATE but is not this stick's own ZTPSTATE partition" "$(tr -d '\r' <"$log")"
phones_2=$(echo "$ready_line" | sed -n 's/.* phones=\([0-9]*\).*/\1/p')
check_eq "uefi: the daemon still knows both phones of the first boot" \
    "$(( ${phones_1:-0} + 2 ))" "$phones_2"
check_contains "uefi: the library kept the package" "packages=1 " "$ready_line"
# A stick plugged in while the appliance runs.
monitor uefi "drive_add 0 if=none,id=third,format=raw,file=$third"
monitor uefi "device_add usb-storage,drive=third,id=third"
check "uefi: a stick plugged in later is mounted read-only" \
    poll 120 grep -q '(LATER) mounted read-only at /media/' "$log"
later=$(tr -d '\r' <"$log" | sed -n 's/.*(LATER) mounted read-only at \(\/media\/[a-z0-9]*\).*/\1/p' | head -1)
check "uefi: and its package imported" \
    poll 300 grep -q "ztp-stick: imported from $later: 1 package" "$log"
PHONE3=0004f2e0e0a2
recover uefi VVX410 4.1.4.7430 "$PHONE3"
poweroff uefi
check "after two boots the report on ZTPDATA still has the first boot's phone" \
    report_says "$PHONE2" repointed-quiet
for f in $state_files_1; do
	check "state file $f survived" sh -c "echo '$(state_ls /ztp-rescue)' | grep -q ' $f\$'"
done
check_eq "ZTPSTATE boot count after two boots" "2" "$(state_cat /system/boots)"

# --- 3. UEFI with Secure Boot ---------------------------------------------------
if [ -f /usr/share/OVMF/OVMF_CODE_4M.ms.fd ] && [ "${IMAGE_TEST_SECUREBOOT:-1}" = 1 ]; then
	cp /usr/share/OVMF/OVMF_VARS_4M.ms.fd "$work/vars.fd"
	boot secureboot -machine q35,smm=on \
	    -global driver=cfi.pflash01,property=secure,value=on \
	    -drive if=pflash,format=raw,unit=0,readonly=on,file=/usr/share/OVMF/OVMF_CODE_4M.ms.fd \
	    -drive "if=pflash,format=raw,unit=1,file=$work/vars.fd"
	check_boot secureboot
	check_contains "secureboot: booted with Secure Boot on" \
	    "booted via uefi-secureboot" "$(tr -d '\r' <"$log")"
	poweroff secureboot
else
	skip "Secure Boot boot: no OVMF_CODE_4M.ms.fd (package ovmf)"
fi

fi

# --- 4. "recover unattended", without and with a job file ----------------------
# The stick's own local.cfg chooses the entry, as a technician's arrow keys
# would; nobody touches the keyboard after that.
# unattended_boot NAME [KERNEL-ARGS [QEMU-ARGS...]]
unattended_boot() {
	_name=$1 _kargs=${2:-}
	shift; [ $# -gt 0 ] && shift
	printf 'set ztp_extra="ztp.address=10.0.2.15/24 ztp.gateway=10.0.2.2%s"\nset timeout=1\nset default=unattended\n' \
	    "${_kargs:+ $_kargs}" >"$work/local.cfg"
	fixture "local.cfg chooses \"recover unattended\"" \
	    mcopy -o -i "$stick@@$boot_off" "$work/local.cfg" ::/boot/grub/local.cfg
	boot "$_name" "$@"
}
# screen_has TEXT: the serial port shows TEXT.
screen_has() { tr -d '\r' <"$log" | grep -q -F -- "$1"; }

unattended_boot unattended-nojob
check "unattended-nojob: reached the ready line ($ready_line)" test -n "$ready_line"
check_contains "unattended-nojob: no console drawn over the screen" "console=inactive" "$ready_line"
check "unattended-nojob: the screen says the run did not start" \
    poll 300 screen_has "ZTP RESCUE: UNATTENDED RECOVERY NOT STARTED"
check "unattended-nojob: and why: no job file on ZTPDATA" \
    screen_has "/srv/ztpdata/ztp-rescue-job.conf: No such file or directory: put a job file there"
poweroff unattended-nojob

if [ "$only" != vlan ]; then
# The job: two phones, the test CA on ZTPDATA, re-point to ZTP.
data_offsets
printf 'mac,model,label\r\n0004f2e0e0c1,VVX410,desk 1\r\n0004f2e0e0c2,VVX410,desk 2\r\n' \
    >"$fx/unattended-phones.csv"
printf '# closet test\r\ninventory = unattended-phones.csv\r\nca = ca/operator-ca.pem\r\nrepoint = ztp\r\nonly-inventory = no\r\ntimeout = 15m\r\n' \
    >"$fx/ztp-rescue-job.conf"
fixture "ZTPDATA: the job file" \
    mcopy -o -i "$stick@@$data_off" "$fx/ztp-rescue-job.conf" ::/ztp-rescue-job.conf
fixture "ZTPDATA: the inventory" \
    mcopy -o -i "$stick@@$data_off" "$fx/unattended-phones.csv" ::/unattended-phones.csv
fixture "ZTPDATA: the CA" \
    mcopy -o -i "$stick@@$data_off" "$fx/pki/ca.pem" ::/ca/operator-ca.pem

unattended_boot unattended
check "unattended: reached the ready line ($ready_line)" test -n "$ready_line"
check "unattended: the job started" \
    poll 120 screen_has "ztp-rescue unattended: job /srv/ztpdata/ztp-rescue-job.conf: 2 phone(s), repoint ztp"
ztp_port=$(free_port tcp)
"$SIM" ztp-mock --listen "127.0.0.1:$ztp_port" --cert "$fx/pki/server.pem" \
    --key "$fx/pki/server.key" --log "$work/unattended.arrivals" >"$work/unattended.mock.log" 2>&1 &
mock=$!
wait_for 20 sh -c "ss -Hltn 'sport = :$ztp_port' | grep -q ."
t_job=$(date +%s.%N)
"$SIM" --model VVX410 --version 4.1.4.7430 --mac 0004f2e0e0c1 --fleet 2 \
    --server "http://127.0.0.1:$http_port/" --ztp "https://127.0.0.1:$ztp_port/" \
    --timeout 900 >"$work/unattended.phone" 2>"$work/unattended.phone.err"
rc=$?
kill "$mock" 2>/dev/null; wait "$mock" 2>/dev/null
check_eq "unattended: two simulated phones recovered through the network (phonesim exit 0)" 0 "$rc"
[ "$rc" -eq 0 ] || sed 's/^/# phone: /' "$work/unattended.phone.err" | head -10
check "unattended: the final screen came (after the quiet period)" \
    poll 600 screen_has "ZTP RESCUE: UNATTENDED RECOVERY FINISHED after"
echo "unattended: phones started to final screen: $(elapsed "$t_job")s" >>"$figures"
serial=$(tr -d '\r' <"$log")
check_contains "unattended: every phone of the job is done" \
    "every phone of the job is done (2 of 2)" "$serial"
check_contains "unattended: the counts' names" \
    "VERIFIED         REPOINTED        FAILED           NOT DONE" "$serial"
check_contains "unattended: 0 verified, 2 repointed, 0 failed, 0 not done (big digits, first row)" \
    "##  #####            #####            #####            #####" "$serial"
check_contains "unattended: the screen says where the report is" \
    'report: ZTPDATA\reports\unattended-report.txt (and .csv, .json)' "$serial"
poweroff unattended
unattended_json() {
	mtype -i "$stick@@$data_off" ::/reports/unattended-report.json 2>/dev/null
}
check_eq "unattended: the report on ZTPDATA has both phones repointed-quiet with the CA" \
    "0004f2e0e0c1 repointed-quiet $CAFP
0004f2e0e0c2 repointed-quiet $CAFP" \
    "$(unattended_json | jq -r '.phones[] | select(.mac | startswith("0004f2e0e0c")) | "\(.mac) \(.state) \(.ca_sha256)"' | sort)"
check_contains "unattended: the CSV report is on ZTPDATA" "0004f2e0e0c2" \
    "$(mtype -i "$stick@@$data_off" ::/reports/unattended-report.csv 2>/dev/null)"
check_contains "unattended: the text report is on ZTPDATA" "repointed-quiet  desk 2" \
    "$(mtype -i "$stick@@$data_off" ::/reports/unattended-report.txt 2>/dev/null)"
fi

if [ "$vlan_boot" = 1 ]; then
	. "$TOP/rootfs/image-test-vlan.sh"
elif [ -z "$only" ]; then
	skip "the voice VLAN boot: needs root (a tap device, a network namespace)"
fi

echo "# figures:"; sed 's/^/#   /' "$figures"
done_testing
