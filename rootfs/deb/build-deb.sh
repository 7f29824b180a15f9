#!/bin/sh
# build-deb.sh BINARY VERSION OUT.deb: the ztp-rescue Debian package, built
# with dpkg-deb from a staged tree.  Depends is derived from the libraries the
# binary is really linked against (ldd -> dpkg -S), plus dnsmasq-base which the
# daemon runs for DHCP.
set -eu
bin=$1 version=$2 out=$3
here=$(cd "$(dirname "$0")" && pwd)
stage=$(mktemp -d "${TMPDIR:-/tmp}/ztp-deb.XXXXXX")
trap 'rm -rf "$stage"' EXIT
chmod 0755 "$stage"

[ -x "$bin" ] || { echo "build-deb: no binary $bin (run make first)" >&2; exit 1; }

install -d "$stage/DEBIAN" "$stage/usr/sbin" "$stage/usr/share/man/man8" \
    "$stage/usr/lib/ztp-rescue" "$stage/lib/systemd/system" \
    "$stage/usr/share/doc/ztp-rescue"
install -m 0755 "$bin" "$stage/usr/sbin/ztp-rescue"
strip --strip-unneeded "$stage/usr/sbin/ztp-rescue"
"$bin" help --man | gzip -9n > "$stage/usr/share/man/man8/ztp-rescue.8.gz"
install -m 0755 "$here/console-tty" "$stage/usr/lib/ztp-rescue/console-tty"
install -m 0644 "$here/ztp-rescue.service" "$here/ztp-console@.service" \
    "$stage/lib/systemd/system/"
install -m 0755 "$here/postinst" "$here/prerm" "$here/postrm" "$stage/DEBIAN/"
cat > "$stage/usr/share/doc/ztp-rescue/copyright" <<EOT
ZTP Rescue $version
Recovery appliance for Polycom phones that failed Zero Touch Provisioning.
EOT

# One "package (>= upstream-version)" per library the binary links directly
# (DT_NEEDED, resolved through ldd), plus the runtime the design names even
# when this build does not link it yet (the linker drops unused libraries).
deps=""
for soname in $(objdump -p "$bin" | awk '$1 == "NEEDED" { print $2 }'); do
	lib=$(ldd "$bin" | awk -v s="$soname" '$1 == s { print $3 }')
	[ -n "$lib" ] || { echo "build-deb: $soname not found" >&2; exit 1; }
	pkg=$(dpkg-query -S "$lib" 2>/dev/null ||
	    dpkg-query -S "$(readlink -f "$lib")" 2>/dev/null) || {
		echo "build-deb: no Debian package owns $lib" >&2; exit 1; }
	pkg=${pkg%%:*}
	ver=$(dpkg-query -W -f '${Version}' "$pkg" | sed 's/^[0-9]*://; s/-[^-]*$//')
	deps="$deps
$pkg (>= $ver)"
done
for pkg in libevent-2.1-7 libevent-openssl-2.1-7 libssl3 libarchive13 \
    libsqlite3-0 libjansson4 libxml2 libncurses6 liburing2 dnsmasq-base passwd; do
	printf '%s\n' "$deps" | grep -q "^$pkg " || deps="$deps
$pkg"
done
deps=$(printf '%s\n' "$deps" | sed '/^$/d' | sort -u | paste -sd, - | sed 's/,/, /g')

size=$(du -sk --exclude=DEBIAN "$stage" | cut -f1)
cat > "$stage/DEBIAN/control" <<EOT
Package: ztp-rescue
Version: $version
Architecture: $(dpkg --print-architecture)
Maintainer: ZTP Rescue maintainers <ztp-rescue@localhost>
Installed-Size: $size
Depends: $deps
Section: admin
Priority: optional
Description: recovery appliance for Polycom phones stuck in ZTP
 Serves the UC Software each phone model needs over TFTP and HTTP, with
 DHCP through dnsmasq, installs SHA-2 trust, points the phones back at Zero
 Touch Provisioning and proves each recovery in a report.
 .
 The daemon (ztp-rescue.service) and the console (ztp-console@TTY.service)
 are installed but not enabled.
EOT

mkdir -p "$(dirname "$out")"
dpkg-deb --root-owner-group -Zxz --build "$stage" "$out.tmp" >/dev/null
mv "$out.tmp" "$out"
echo "build-deb: $out"
dpkg-deb -f "$out" Depends
