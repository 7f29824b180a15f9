#!/bin/sh
# prune-modules.sh ROOT: drop the kernel module trees a wiring-closet
# appliance never loads (they are most of the image).  Kept on purpose: every
# wired Ethernet driver (drivers/net/ethernet), USB-Ethernet adapters
# (drivers/net/usb: r8152, ax88179_178a, cdc_ether), USB storage, SCSI, NVMe,
# the file systems the sticks use, HID keyboards, 802.1Q (net/8021q: serving
# a voice VLAN).  The text console runs on
# the firmware framebuffer, so GPU drivers go.
set -eu
root=$1
for kdir in "$root"/usr/lib/modules/*; do
	k=$kdir/kernel
	kver=${kdir##*/}
	cp "$kdir/modules.dep" "$kdir/modules.dep.full"
	for d in sound drivers/media drivers/infiniband drivers/gpu \
	    drivers/net/wireless net/wireless net/mac80211 drivers/bluetooth \
	    net/bluetooth drivers/isdn drivers/staging drivers/iio \
	    drivers/net/can net/can drivers/net/wwan drivers/net/ieee802154 \
	    net/ieee802154 drivers/net/hamradio drivers/atm net/atm \
	    drivers/scsi/qla2xxx drivers/scsi/lpfc drivers/scsi/bfa \
	    drivers/scsi/be2iscsi drivers/scsi/qedf drivers/scsi/qedi \
	    drivers/scsi/mpt3sas drivers/scsi/megaraid drivers/scsi/aic7xxx \
	    drivers/target drivers/nfc net/nfc drivers/comedi drivers/usb/gadget \
	    drivers/misc/habanalabs drivers/accel drivers/video/fbdev \
	    drivers/input/touchscreen drivers/input/joystick drivers/md \
	    fs/btrfs fs/xfs fs/ocfs2 fs/gfs2 fs/ceph fs/nfs fs/nfsd fs/smb \
	    fs/cifs fs/jfs fs/reiserfs fs/nilfs2 fs/f2fs fs/ubifs fs/afs \
	    fs/coda fs/orangefs fs/dlm fs/ntfs3 fs/ntfs fs/hfs fs/hfsplus \
	    fs/bcachefs fs/erofs fs/cachefiles fs/netfs fs/9p net/9p \
	    net/ceph net/sunrpc net/rds net/tipc net/sctp net/dccp \
	    net/openvswitch net/netfilter net/bridge net/mac802154; do
		rm -rf "${k:?}/$d"
	done
	# A kept module that needs a pruned one could never load: prune it
	# too (until nothing changes), unless it is a driver the appliance
	# exists for, which fails the build.  Dependencies are the ones
	# recorded before pruning.
	while :; do
		lost=$(cd "$kdir" && find kernel -name '*.ko*' | awk -F': *' '
			NR == FNR { kept[$0] = 1; next }
			$1 in kept {
				n = split($2, dep, " ")
				for (i = 1; i <= n; i++)
					if (!(dep[i] in kept)) { print $1; break }
			}' - modules.dep.full)
		[ -n "$lost" ] || break
		if echo "$lost" | grep -E '^kernel/(drivers/(net/(ethernet|usb|phy)|usb/(host|storage|core)|scsi|ata)/|drivers/nvme/host/nvme(-core)?\.ko|fs/(fat|vfat|exfat|ext4|squashfs|overlayfs|isofs)/|net/8021q/)'; then
			echo "prune-modules: a driver the appliance needs lost a dependency" >&2
			exit 1
		fi
		echo "$lost" | sed 's/^/prune-modules: unloadable after pruning, removed: /'
		(cd "$kdir" && echo "$lost" | xargs rm -f)
	done
	rm -f "$kdir/modules.dep.full"
	chroot "$root" depmod -a "$kver"
done
