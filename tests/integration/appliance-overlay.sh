#!/bin/sh
# The files the image is made of are all in the tree: every unit that
# build-image.sh enables exists, the daemon's appliance drop-in (state on
# the stick, the report on ZTPDATA, lldpd's socket for the voice VLAN) and the udev rule are there, no file
# under rootfs/ is ignored by git (a "*.d" pattern once hid rules.d and
# the service's drop-in folder, so a clean clone built an image whose
# daemon kept its state in RAM), and every script parses.
. "$TOP/tests/lib.sh"

R=$TOP/rootfs
O=$R/overlay

units=$(sed -n 's/.*systemctl enable \([^'"'"']*\).*/\1/p' "$R/build-image.sh" |
    head -1 | sed 's/ 2>.*//')
check "build-image.sh enables units" test -n "$units"
for u in $units; do
	f=$u
	case $u in *@*.service) f=${u%%@*}@.service ;; esac
	check "enabled unit $u exists" sh -c "test -f '$O/etc/systemd/system/$f' ||
	    test -f '$R/deb/$f'"
done

dropin=$O/etc/systemd/system/ztp-rescue.service.d/appliance.conf
check "the daemon's appliance drop-in exists" test -f "$dropin"
check_contains "the daemon waits for its state on the stick" \
    "Requires=ztp-data.service" "$(cat "$dropin" 2>/dev/null)"
check_contains "the daemon keeps the report on ZTPDATA" \
    "--report-dir /srv/ztpdata/reports" "$(cat "$dropin" 2>/dev/null)"
check_contains "the daemon asks lldpd for the voice VLAN" \
    "--lldpd-socket /run/lldpd.socket" "$(cat "$dropin" 2>/dev/null)"
check_contains "and may use its socket (group _lldpd)" \
    "SupplementaryGroups=_lldpd" "$(cat "$dropin" 2>/dev/null)"
check_contains "lldpd is an LLDP-MED endpoint that reads CDP" \
    'DAEMON_ARGS="-M 1 -c"' "$(cat "$O/etc/default/lldpd" 2>/dev/null)"
check "the image enables lldpd" grep -q "enable lldpd.service" "$R/build-image.sh"
check "and does not mask it" sh -c "! grep -q 'systemctl mask .*lldpd' '$R/build-image.sh'"
check_contains "a USB stick's file system starts ztp-stick@" \
    'ENV{SYSTEMD_WANTS}+="ztp-stick@%k.service"' \
    "$(cat "$O/etc/udev/rules.d/80-ztp-stick.rules" 2>/dev/null)"
# "recover unattended": its own boot entry, its unit only on that entry, and
# no console drawing over its screen there.
check_contains "the boot menu has \"recover unattended\"" \
    'menuentry "ZTP Rescue: recover unattended (job file on the stick)" --id unattended' \
    "$(cat "$R/grub.cfg")"
check_contains "that entry sets ztp.unattended=1" \
    "console=ttyS0,115200n8 ztp.unattended=1 \$ztp_extra" "$(cat "$R/grub.cfg")"
check_contains "ztp-unattended.service runs only on that entry" \
    "ConditionKernelCommandLine=ztp.unattended=1" \
    "$(cat "$O/etc/systemd/system/ztp-unattended.service" 2>/dev/null)"
check_contains "the consoles stay off on that entry" \
    "ConditionKernelCommandLine=!ztp.unattended=1" \
    "$(cat "$O/etc/systemd/system/ztp-console@.service.d/unattended.conf" 2>/dev/null)"
for f in etc/systemd/journald.conf.d/ztp.conf etc/systemd/logind.conf.d/ztp.conf \
    etc/sysctl.d/10-ztp-console.conf; do
	check "$f exists" test -f "$O/$f"
done

if git -C "$TOP" rev-parse --git-dir >/dev/null 2>&1; then
	ignored=$(cd "$TOP" && find rootfs -type f | git check-ignore --stdin)
	check_eq "no file under rootfs/ is ignored by git" "" "$ignored"
else
	skip "not a git checkout: ignored files"
fi

for s in "$O"/usr/lib/ztp-appliance/* "$R"/*.sh "$R"/deb/*.sh "$R"/deb/console-tty \
    "$R"/deb/postinst "$R"/deb/postrm "$R"/deb/prerm; do
	check "$(basename "$s") parses (sh -n)" sh -n "$s"
done

done_testing
