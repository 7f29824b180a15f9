#!/bin/sh
# The stick's data partitions are the boot stick's own (rootfs/overlay/usr/
# lib/ztp-appliance/ztp-data prepare, and the srv-ztp*.mount units), on loop
# devices: a "boot stick" (GPT, ZTPBOOT) and a foreign stick that carries an
# ext4 partition labelled ZTPSTATE with a root.hash and a FAT one labelled
# ZTPDATA.  The first boot creates ZTPSTATE/ZTPDATA in the boot stick's free
# space and records their PARTUUIDs (on its ZTPBOOT; here in a file, as this
# machine may have no FAT driver to mount it with); every boot links the
# recorded partitions for the mount units and refuses the foreign ones, on
# the terminal.  A partition of the boot stick with a PARTUUID other than the
# recorded one is refused too.  Mounting is done as the units would: their
# What= when their ConditionPathExists= holds.
. "$TOP/tests/lib.sh"
need_root
for t in sgdisk mkfs.vfat mkfs.ext4 losetup partx blkid; do
	command -v "$t" >/dev/null 2>&1 || PATH=$PATH:/usr/sbin:/sbin
	command -v "$t" >/dev/null 2>&1 || { skip "needs $t (gdisk, dosfstools, e2fsprogs, util-linux)"; done_testing; exit 0; }
done

DATA_SH=$TOP/rootfs/overlay/usr/lib/ztp-appliance/ztp-data
UNITS=$TOP/rootfs/overlay/etc/systemd/system
d=$(make_tmpdir)
mkdir -p "$d/run" "$d/mnt" "$d/tree/system"

# attach IMAGE: a loop device with its partitions (partx, where the kernel's
# own scan does not make them).
attach() {
	_l=$(losetup --find --show --partscan "$1") || return 1
	partx -a "$_l" 2>/dev/null
	wait_for 10 test -b "${_l}p2" || { echo "no partitions on $_l" >&2; return 1; }
	echo "$_l"
}

# The boot stick: BIOS boot, ZTPBOOT (FAT), then 300 MiB free.
truncate -s 340M "$d/boot.img"
sgdisk -a 2048 -n 1:2048:4095 -t 1:EF02 -c 1:"BIOS boot" \
    -n 2:4096:+16M -t 2:EF00 -c 2:ZTPBOOT "$d/boot.img" >/dev/null
boot=$(attach "$d/boot.img")
at_exit "losetup -d $boot"
mkfs.vfat -F 32 -n ZTPBOOT "${boot}p2" >/dev/null

# The foreign stick: ZTPSTATE (ext4) whose root.hash would set root's
# password, and ZTPDATA (FAT).
echo 'FOREIGN-HASH' >"$d/tree/system/root.hash"
truncate -s 80M "$d/foreign.img"
sgdisk -n 1:2048:+40M -t 1:8300 -c 1:ZTPSTATE -n 2:0:0 -t 2:0700 -c 2:ZTPDATA \
    "$d/foreign.img" >/dev/null
foreign=$(attach "$d/foreign.img")
at_exit "losetup -d $foreign"
mkfs.ext4 -q -L ZTPSTATE -d "$d/tree" "${foreign}p1"
mkfs.vfat -F 32 -n ZTPDATA "${foreign}p2" >/dev/null

prepare() {
	ZTP_BOOT_DISK=$boot ZTP_DATA_RUN=$d/run ZTP_DATA_TTYS= \
	    ZTP_DATA_RECORD=$d/partitions \
	    sh "$DATA_SH" prepare 2>"$d/prepare.err"
}
# unit_source UNIT: the device the mount unit would mount, or nothing when
# its condition skips it (a LABEL= is resolved the way mount(8) does).
unit_source() {
	what=$(sed -n 's/^What=//p' "$UNITS/$1")
	cond=$(sed -n 's/^ConditionPathExists=//p' "$UNITS/$1")
	case $cond in
	/dev/disk/by-label/*)
		blkid -c /dev/null -L "${cond#/dev/disk/by-label/}" >/dev/null || return 0 ;;
	*)	[ -e "$cond" ] || return 0 ;;
	esac
	case $what in
	LABEL=*)	blkid -c /dev/null -L "${what#LABEL=}" ;;
	*)		readlink -f "$what" ;;
	esac
}
# mounted_hash: root.hash on what srv-ztpstate.mount mounts.
mounted_hash() {
	src=$(unit_source srv-ztpstate.mount | sed "s|^/run/ztp-data|$d/run|")
	[ -n "$src" ] || { echo none; return; }
	mount -o ro "$src" "$d/mnt" || { echo unmountable; return; }
	cat "$d/mnt/system/root.hash" 2>/dev/null || echo no-hash
	umount "$d/mnt"
}
# The units name /run/ztp-data; this test's links are in $d/run.
sed "s|/run/ztp-data|$d/run|g" "$UNITS/srv-ztpstate.mount" >"$d/srv-ztpstate.mount"
sed "s|/run/ztp-data|$d/run|g" "$UNITS/srv-ztpdata.mount" >"$d/srv-ztpdata.mount"
UNITS=$d

# --- first boot: the boot stick has no data partitions yet ---------------------
out=$(prepare)
echo "$out" | sed 's/^/# /'
check_contains "first boot creates the data partitions" \
    "first boot of this stick: creating data partitions" "$out"
state=$(for p in "$boot"p*; do [ "$(blkid -p -s LABEL -o value "$p")" = ZTPSTATE ] && echo "$p"; done)
data=$(for p in "$boot"p*; do [ "$(blkid -p -s LABEL -o value "$p")" = ZTPDATA ] && echo "$p"; done)
check "ZTPSTATE and ZTPDATA are on the boot stick" test -b "$state" -a -b "$data"
check_eq "the state mount takes the boot stick's ZTPSTATE" "$state" \
    "$(unit_source srv-ztpstate.mount)"
check_eq "the data mount takes the boot stick's ZTPDATA" "$data" \
    "$(unit_source srv-ztpdata.mount)"
check_contains "the foreign ZTPSTATE is refused on the terminal" \
    "ztp-data: REFUSED: ${foreign}p1 is labelled ZTPSTATE but is not this stick's own ZTPSTATE partition" "$out"
check_contains "the foreign ZTPDATA is refused on the terminal" \
    "ztp-data: REFUSED: ${foreign}p2 is labelled ZTPDATA but is not this stick's own ZTPDATA partition" "$out"
rec=$(cat "$d/partitions" 2>/dev/null)
check_eq "their PARTUUIDs are recorded (ZTPBOOT's ztp/partitions on a stick)" \
    "state $(blkid -p -s PART_ENTRY_UUID -o value "$state") data $(blkid -p -s PART_ENTRY_UUID -o value "$data")" \
    "$(echo $rec)"

# --- a later boot, the foreign stick still in ----------------------------------
out=$(prepare)
echo "$out" | sed 's/^/# /'
check_eq "a later boot mounts the recorded ZTPSTATE" "$state" "$(unit_source srv-ztpstate.mount)"
check "the foreign root.hash is never read" test "$(mounted_hash)" = no-hash
check_contains "and the foreign stick is refused again" \
    "REFUSED: ${foreign}p1 is labelled ZTPSTATE" "$out"

# --- setup: a link the service user left in its state directory ----------------
if id nobody >/dev/null 2>&1; then
	mkdir -p "$d/srv-state" "$d/srv-data" "$d/varlib"
	mount "$(unit_source srv-ztpstate.mount)" "$d/srv-state"
	at_exit "umount '$d/varlib' 2>/dev/null; umount '$d/srv-state' 2>/dev/null"
	mkdir -m 700 "$d/victim-dir"
	mkdir -p "$d/srv-state/ztp-rescue"
	ln -s "$d/victim-dir" "$d/srv-state/ztp-rescue/library"
	chown -R -h nobody "$d/srv-state/ztp-rescue"
	setup() {
		ZTP_DATA_RUN=$d/run ZTP_DATA_TTYS= ZTP_DATA_STATE=$d/srv-state \
		    ZTP_DATA_DATA=$d/srv-data ZTP_DATA_VARLIB=$d/varlib \
		    ZTP_DATA_USER=nobody sh "$DATA_SH" setup 2>&1
	}
	out=$(setup)
	echo "$out" | sed 's/^/# /'
	check_contains "setup takes the pinned state" \
	    "ztp-data: state on ZTPSTATE ($state), boot 1 of this stick" "$out"
	check_contains "a link left as library is replaced, and said so" \
	    "ztp-data: $d/varlib/library was not a folder (a link?): replaced by an empty one" "$out"
	check_eq "the folder it pointed to is still root's" "root 700" \
	    "$(stat -c '%U %a' "$d/victim-dir")"
	check_eq "library is the user's own folder" "nobody directory" \
	    "$(stat -c '%U %F' "$d/varlib/library")"
	umount "$d/varlib"
	umount "$d/srv-state"
	# The foreign ZTPSTATE (its root.hash removed first) mounted there by
	# anything else than prepare's link: unmounted, never used.
	mount "${foreign}p1" "$d/mnt" && rm -f "$d/mnt/system/root.hash" && umount "$d/mnt"
	mount "${foreign}p1" "$d/srv-state"
	out=$(setup)
	echo "$out" | sed 's/^/# /'
	check_contains "setup refuses a state not mounted from the pinned partition" \
	    "ztp-data: REFUSED: $d/srv-state is mounted from ${foreign}p1, not from this stick's own partition: unmounted" "$out"
	check "and unmounts it" sh -c "! mountpoint -q '$d/srv-state'"
	check_contains "the state then stays in RAM, said so" \
	    "WARNING: no ZTPSTATE partition" "$out"
else
	skip "setup: needs the user nobody"
fi

# --- the boot stick's ZTPSTATE is not the recorded partition -------------------
nr=${state##*p}
sgdisk -u "$nr:R" "$boot" >/dev/null 2>&1
partx -u "$boot" 2>/dev/null
out=$(prepare)
echo "$out" | sed 's/^/# /'
check_contains "a ZTPSTATE whose PARTUUID is not the recorded one is refused" \
    "ztp-data: REFUSED: ZTPSTATE on $state is not the partition recorded for this stick" "$out"
check_eq "and nothing is mounted as the state" "" "$(unit_source srv-ztpstate.mount)"
check_eq "ZTPDATA, still the recorded one, is" "$data" "$(unit_source srv-ztpdata.mount)"

# --- a boot stick with no room for data partitions, and the foreign stick ------
truncate -s 40M "$d/small.img"
sgdisk -a 2048 -n 1:2048:4095 -t 1:EF02 -n 2:4096:0 -t 2:EF00 -c 2:ZTPBOOT "$d/small.img" >/dev/null
boot=$(attach "$d/small.img")
at_exit "losetup -d $boot"
mkfs.vfat -F 32 -n ZTPBOOT "${boot}p2" >/dev/null
rm -f "$d/partitions"	# another stick: its own record (none yet)
out=$(prepare)
echo "$out" | sed 's/^/# /'
check_eq "no data partitions on the boot stick: the foreign ZTPSTATE is not mounted" \
    none "$(mounted_hash)"
check_contains "and it is refused on the terminal" \
    "REFUSED: ${foreign}p1 is labelled ZTPSTATE" "$out"

done_testing
