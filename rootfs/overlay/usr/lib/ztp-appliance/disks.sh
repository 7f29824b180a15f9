# Sourced by ztp-data and ztp-stick: which disk this system booted from.

# boot_disk: the disk holding the ZTPBOOT partition that live-boot mounted
# (or, with toram, the one ZTPBOOT there is: with two, neither), as
# /dev/NAME.  ZTP_BOOT_DISK names it instead (tests, on loop devices).
boot_disk() {
	if [ -n "${ZTP_BOOT_DISK:-}" ]; then
		echo "$ZTP_BOOT_DISK"
		return 0
	fi
	src=$(findmnt -n -o SOURCE /run/live/medium 2>/dev/null)
	if [ ! -b "$src" ]; then
		# Any stick can be labelled ZTPBOOT: only an unambiguous one.
		src=$(blkid -c /dev/null -o device -t LABEL=ZTPBOOT 2>/dev/null)
		[ "$(printf '%s\n' "$src" | grep -c .)" = 1 ] || return 1
	fi
	[ -b "$src" ] || return 1
	pk=$(lsblk -n -d -o PKNAME "$src" 2>/dev/null)
	[ -n "$pk" ] || return 1
	echo "/dev/$pk"
}

# parent_disk PARTITION: the disk it is on, as /dev/NAME (from sysfs).
parent_disk() {
	_pk=$(lsblk -n -d -o PKNAME "$1" 2>/dev/null)
	[ -n "$_pk" ] || return 1
	echo "/dev/$_pk"
}
