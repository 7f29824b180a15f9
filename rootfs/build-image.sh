#!/bin/sh
# build-image.sh DEB OUT.img: the ZTP Rescue USB stick image.
#
#   1. mmdebstrap (minbase, bookworm) builds the root: kernel, live-boot,
#      systemd, dnsmasq, the ztp-rescue package, and the overlay/ files;
#      kernel modules the appliance never loads are pruned.
#   2. The root becomes a squashfs (zstd; IMAGE_COMPRESSION=release for
#      level 19, otherwise a fast level for development builds).
#   3. A GPT disk image: 1 MiB BIOS boot partition (grub-pc's core.img) and
#      one FAT32 partition ZTPBOOT that is both the EFI system partition
#      (Debian's signed shim and GRUB) and the live medium (kernel, initrd,
#      squashfs).  The data partitions are created by the first boot in the
#      free space of the stick it was written to (see docs/image.md).
set -eu
# Debian's own tools only (mmdebstrap's helpers run "env python3").
PATH=/usr/sbin:/usr/bin:/sbin:/bin
export PATH
deb=$(readlink -f "$1")
out=$2
here=$(cd "$(dirname "$0")" && pwd)
work=$(readlink -m "${IMAGE_WORK:-$(dirname "$out")/image-work}")
mirror=${IMAGE_MIRROR:-http://deb.debian.org/debian}
security=${IMAGE_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
case ${IMAGE_COMPRESSION:-fast} in
release)	zlevel=19 ;;
fast)		zlevel=3 ;;
*)		echo "build-image: IMAGE_COMPRESSION is 'fast' or 'release'" >&2; exit 2 ;;
esac

step_t=$(date +%s)
start_t=$step_t
step() {
	now=$(date +%s)
	echo "build-image: $1 ($((now - step_t)) s)"
	step_t=$now
}

# An interrupted mmdebstrap can leave /proc, /sys, /dev or the .deb mounted
# in the old root: unmount them before deleting anything below $work.
release_mounts() {
	[ -d "$work" ] || return 0
	work_abs=$(readlink -f "$work")
	for m in $(findmnt -n -l -o TARGET | grep "^$work_abs/" | sort -r); do
		umount "$m" || umount -l "$m"
	done
	if findmnt -n -l -o TARGET | grep -q "^$work_abs/"; then
		echo "build-image: something is still mounted below $work" >&2
		exit 1
	fi
}
root=$work/root
esp=$work/esp
release_mounts
if [ "${IMAGE_REUSE_ROOT:-0}" = 1 ] && [ -f "$work/root.done" ]; then
	reuse=1	# development: keep the root, refresh the package and overlay
	rm -rf "$esp" "$work"/*.img
else
	reuse=0
	rm -rf "$work"
fi
mkdir -p "$work"

# --- 1. the root file system ---------------------------------------------------
# update-initramfs is diverted to true while packages are installed, so the
# initrd is built once, after the module trees are pruned.
comps="main non-free-firmware"
if [ "$reuse" = 1 ]; then
	cp "$deb" "$root/tmp/ztp-rescue.deb"
	chroot "$root" dpkg -i /tmp/ztp-rescue.deb >/dev/null
	rm -f "$root/tmp/ztp-rescue.deb"
	cp -a "$here/overlay/." "$root/"
	chroot "$root" systemctl enable ztp-rescue.service ztp-console@tty1.service ztp-console@ttyS0.service ztp-data.service ztp-net.service ztp-ready.service ztp-expert-tty2.service ztp-stick.service ztp-unattended.service 2>/dev/null
	# Earlier builds masked lldpd; the daemon asks it for the voice VLAN now.
	chroot "$root" systemctl unmask lldpd.service 2>/dev/null
	chroot "$root" systemctl enable lldpd.service 2>/dev/null
	step "root file system reused (IMAGE_REUSE_ROOT=1)"
else
mmdebstrap --variant=minbase --mode=root --components="main,non-free-firmware" \
    --hook-dir=/usr/share/mmdebstrap/hooks/file-mirror-automount \
    --include="linux-image-amd64,live-boot,systemd-sysv,udev,kmod,dnsmasq-base,lldpd,tftp-hpa,dosfstools,exfatprogs,e2fsprogs,gdisk,iproute2,kbd,firmware-realtek,procps,less,zstd,dbus,jq" \
    --include="$deb" \
    --dpkgopt='path-exclude=/usr/share/man/*' \
    --dpkgopt='path-exclude=/usr/share/doc/*' \
    --dpkgopt='path-include=/usr/share/doc/*/copyright' \
    --dpkgopt='path-exclude=/usr/share/locale/*' \
    --dpkgopt='path-include=/usr/share/locale/locale.alias' \
    --dpkgopt='path-exclude=/usr/share/info/*' \
    --dpkgopt='path-exclude=/usr/share/lintian/*' \
    --dpkgopt='path-exclude=/usr/share/bug/*' \
    --essential-hook='chroot "$1" dpkg-divert --quiet --local --rename --add /usr/sbin/update-initramfs && ln -s /bin/true "$1/usr/sbin/update-initramfs"' \
    --customize-hook='rm "$1/usr/sbin/update-initramfs" && chroot "$1" dpkg-divert --quiet --local --rename --remove /usr/sbin/update-initramfs' \
    --customize-hook="cp -a '$here/overlay/.' \"\$1/\"" \
    --customize-hook='chroot "$1" systemctl enable ztp-rescue.service ztp-console@tty1.service ztp-console@ttyS0.service ztp-data.service ztp-net.service ztp-ready.service ztp-expert-tty2.service ztp-stick.service ztp-unattended.service' \
    --customize-hook='chroot "$1" systemctl enable lldpd.service' \
    --customize-hook='chroot "$1" systemctl mask getty@tty1.service serial-getty@ttyS0.service getty@tty2.service' \
    --customize-hook="sh '$here/prune-modules.sh' \"\$1\"" \
    --customize-hook='chroot "$1" update-initramfs -c -k all' \
    --customize-hook='rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*.bin "$1"/var/cache/apt/archives/*.deb "$1"/var/log/*.log "$1"/var/log/apt/*' \
    --customize-hook=': > "$1/etc/machine-id"' \
    bookworm "$root" \
    "deb $mirror bookworm $comps" \
    "deb $mirror bookworm-updates $comps" \
    "deb $security bookworm-security $comps"
touch "$work/root.done"
step "root file system"
fi

# No account may have an empty password; root stays locked until the
# technician sets one on tty2.
if awk -F: '$2 == "" { print $1; bad = 1 } END { exit !bad }' "$root/etc/shadow"; then
	echo "build-image: the accounts above have an empty password" >&2
	exit 1
fi
case $(awk -F: '$1 == "root" { print $2 }' "$root/etc/shadow") in
"*"*|"!"*) ;;
*)	echo "build-image: root has a password in the image" >&2; exit 1 ;;
esac

kernel=$(ls "$root"/boot/vmlinuz-* | tail -1)
initrd=$(ls "$root"/boot/initrd.img-* | tail -1)
du -sm "$root/usr/lib/modules" | awk '{ print "build-image: modules " $1 " MiB" }'
du -sm --exclude=boot "$root" | awk '{ print "build-image: root (without /boot) " $1 " MiB" }'

# --- 2. squashfs -----------------------------------------------------------------
mkdir -p "$esp/live"
mksquashfs "$root" "$esp/live/filesystem.squashfs" -noappend -quiet -no-progress \
    -comp zstd -Xcompression-level "$zlevel" -b 1M -e boot
cp "$kernel" "$esp/live/vmlinuz"
cp "$initrd" "$esp/live/initrd.img"
step "squashfs (zstd level $zlevel)"

# --- 3. boot media -----------------------------------------------------------------
# UEFI: shim (signed by Microsoft's UEFI CA) loads grubx64.efi (signed by
# Debian), which loads the signed Debian kernel.  That GRUB finds its
# configuration by looking for /.disk/info and reading /boot/grub/grub.cfg.
mkdir -p "$esp/EFI/BOOT" "$esp/.disk" "$esp/boot/grub/i386-pc"
cp /usr/lib/shim/shimx64.efi.signed "$esp/EFI/BOOT/BOOTX64.EFI"
cp /usr/lib/shim/mmx64.efi.signed "$esp/EFI/BOOT/mmx64.efi"
cp /usr/lib/grub/x86_64-efi-signed/grubx64.efi.signed "$esp/EFI/BOOT/grubx64.efi"
echo "ZTP Rescue $(dpkg-deb -f "$deb" Version) - Debian 12 live system" >"$esp/.disk/info"
cp "$here/grub.cfg" "$esp/boot/grub/grub.cfg"
# BIOS: grub-pc's modules next to the same grub.cfg.
cp /usr/lib/grub/i386-pc/*.mod /usr/lib/grub/i386-pc/*.lst "$esp/boot/grub/i386-pc/"

volid=$(od -An -N4 -tx4 /dev/urandom | tr -d ' \n')
uuid=$(echo "$volid" | sed 's/^\(....\)\(....\)$/\1-\2/')
cat >"$work/early.cfg" <<EOT
search --no-floppy --fs-uuid --set=root $uuid
set prefix=(\$root)/boot/grub
EOT
grub-mkimage -O i386-pc -d /usr/lib/grub/i386-pc -o "$work/core.img" \
    -c "$work/early.cfg" -p /boot/grub \
    biosdisk part_gpt part_msdos fat search search_fs_uuid
core_sectors=$(( ($(stat -c %s "$work/core.img") + 511) / 512 ))
[ "$core_sectors" -le 2048 ] || { echo "build-image: core.img too big" >&2; exit 1; }

# The FAT32 system partition: contents plus 16 MiB, in whole MiB.
esp_mb=$(( $(du -sm "$esp" | cut -f1) + 16 ))
[ "$esp_mb" -ge 40 ] || esp_mb=40
rm -f "$work/esp.img"
mkfs.vfat -F 32 -n ZTPBOOT -i "$volid" -C "$work/esp.img" $((esp_mb * 1024)) >/dev/null
( cd "$esp" && mcopy -s -Q -i "$work/esp.img" EFI .disk boot live ::/ )

# GPT: 1 MiB gap, BIOS boot (sector 2048), ZTPBOOT (sector 4096), backup GPT.
img=$out.tmp
rm -f "$img"
truncate -s $(( (2 + esp_mb + 1) * 1048576 )) "$img"
sgdisk -Z "$img" >/dev/null 2>&1 || true
sgdisk -a 2048 -n 1:2048:4095 -t 1:EF02 -c 1:"BIOS boot" \
    -n "2:4096:+${esp_mb}M" -t 2:EF00 -c 2:ZTPBOOT "$img" >/dev/null
dd if="$work/esp.img" of="$img" bs=1M seek=2 conv=notrunc,sparse status=none

# grub-pc: what grub-bios-setup does, on a file.  boot.img in the MBR's code
# area points at core.img's first sector; core.img's first sector
# (diskboot) holds the block list of the rest.
le() {	# le VALUE BYTES: little-endian bytes
	v=$1 n=$2
	while [ "$n" -gt 0 ]; do
		printf "\\$(printf %03o $((v & 255)))"
		v=$((v >> 8)); n=$((n - 1))
	done
}
cp /usr/lib/grub/i386-pc/boot.img "$work/boot.img"
le 2048 8 | dd of="$work/boot.img" bs=1 seek=$((0x5c)) conv=notrunc status=none
printf '\220\220' | dd of="$work/boot.img" bs=1 seek=$((0x66)) conv=notrunc status=none
le 2049 8 | dd of="$work/core.img" bs=1 seek=$((0x1f4)) conv=notrunc status=none
le $((core_sectors - 1)) 2 | dd of="$work/core.img" bs=1 seek=$((0x1fc)) conv=notrunc status=none
dd if="$work/boot.img" of="$img" bs=440 count=1 conv=notrunc status=none
dd if="$work/core.img" of="$img" bs=512 seek=2048 conv=notrunc status=none
sgdisk -v "$img" >/dev/null
mv "$img" "$out"
step "disk image"

{
	echo "image: $(basename "$out")"
	echo "size_mib: $(( $(stat -c %s "$out") / 1048576 ))"
	echo "squashfs_mib: $(( $(stat -c %s "$esp/live/filesystem.squashfs") / 1048576 ))"
	echo "kernel_mib: $(( $(stat -c %s "$esp/live/vmlinuz") / 1048576 ))"
	echo "initrd_mib: $(( $(stat -c %s "$esp/live/initrd.img") / 1048576 ))"
	echo "compression: zstd-$zlevel"
	echo "build_seconds: $(( $(date +%s) - start_t ))"
	echo "kernel: ${kernel##*/vmlinuz-}"
	echo "shim: $(dpkg-query -W -f '${Version}' shim-signed)"
	echo "grub-efi-amd64-signed: $(dpkg-query -W -f '${Version}' grub-efi-amd64-signed)"
	echo "grub-pc-bin: $(dpkg-query -W -f '${Version}' grub-pc-bin)"
	echo "ztp-rescue: $(dpkg-deb -f "$deb" Version)"
	echo "commands: $(chroot "$root" /usr/sbin/ztp-rescue help |
	    awk '/^commands:/ { on = 1; next } on && /^  [a-z]/ { print $1 } /^$/ && on > 0 && n++ { on = 0 }' |
	    paste -sd' ' -)"
} | tee "$out.manifest"
chroot "$root" dpkg-query -W -f '${Package} ${Version}\n' >"$out.packages"
