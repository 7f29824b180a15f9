# Sourced by ztp-data and ztp-stick: which disk this system booted from.

# boot_disk: the disk holding the ZTPBOOT partition that live-boot mounted
# (or, with toram, any ZTPBOOT), as /dev/NAME.
boot_disk() {
	src=$(findmnt -n -o SOURCE /run/live/medium 2>/dev/null)
	[ -b "$src" ] || src=$(blkid -L ZTPBOOT 2>/dev/null)
	[ -b "$src" ] || return 1
	pk=$(lsblk -n -d -o PKNAME "$src" 2>/dev/null)
	[ -n "$pk" ] || return 1
	echo "/dev/$pk"
}
