#!/bin/sh
# rootfs/image-test.sh on a machine that lacks a tool, or whose tool fails:
# the test stops at once with the step and the package to install, instead
# of building a stick without a partition table and booting it anyway
# (issue 17: sfdisk, Debian package fdisk, missing on a fresh machine).
# Every program the fixture runs is a stub here, so nothing boots.
. "$TOP/tests/lib.sh"

d=$(make_tmpdir)
mkdir -p "$d/bin" "$d/top/rootfs" "$d/top/tests" "$d/top/build"
cp "$TOP/rootfs/image-test.sh" "$d/top/rootfs/"
cp "$TOP/tests/lib.sh" "$d/top/tests/"
# Stand-ins for the build's own programs, and an "image".
for f in phonesim ucs-synth; do
	printf '#!/bin/sh\nexit 0\n' >"$d/top/build/$f"
	chmod +x "$d/top/build/$f"
done
truncate -s 4M "$d/top/build/ztp.img"
# Stubs that succeed, for every tool but the one under test; the basics
# (sh, cp, truncate, sed, awk...) come from /usr/bin and /bin, which on
# Debian hold none of the tools checked (those are in /usr/sbin or stubbed;
# udhcpc, in /usr/sbin, is asked for by the voice VLAN boot when run as root).
stubs="qemu-system-x86_64 sgdisk mkfs.vfat mkfs.ext4 mmd mcopy mtype minfo mdir debugfs
    openssl jq curl ss mkfifo udhcpc"
for t in $stubs; do
	printf '#!/bin/sh\nexit 0\n' >"$d/bin/$t"
	chmod +x "$d/bin/$t"
done
run() {
	(cd "$d/top" && PATH="$d/bin:/usr/bin:/bin" BUILD=build \
	    timeout 60 sh rootfs/image-test.sh build/ztp.img 2>&1)
}

out=$(run)
echo "$out" | sed 's/^/# /' | tail -5
check_contains "no sfdisk: stops before any stick is built, naming the package" \
    "Bail out! image-test: sfdisk is not installed (Debian package fdisk" "$out"
check "and builds no stick" test ! -e "$d/top/build/image-test/second.img"

printf '#!/bin/sh\necho "sfdisk: cannot write the partition table" >&2\nexit 1\n' >"$d/bin/sfdisk"
chmod +x "$d/bin/sfdisk"
out=$(run)
echo "$out" | sed 's/^/# /' | tail -5
check_contains "sfdisk fails: stops at that step with its message" \
    "Bail out! image-test: fixture step failed: FIRMWARE stick: partition table (sfdisk): sfdisk: cannot write the partition table" "$out"
check "and never boots the image" sh -c "! ls '$d/top/build/image-test/'*.serial >/dev/null 2>&1"
check_eq "exit status 1" 1 "$(run >/dev/null; echo $?)"

done_testing
