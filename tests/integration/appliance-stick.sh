#!/bin/sh
# The appliance's stick import (rootfs/overlay/usr/lib/ztp-appliance/
# ztp-stick), run on a folder laid out as a technician's stick against a
# daemon on loopback: its packages go in through a daemon job, the one CA
# certificate in ca/ becomes the CA to install, and every other case is
# said plainly: nothing new, a CA already set, several certificates, a
# certificate the daemon refuses, a damaged zip, an empty stick.
. "$TOP/tests/lib.sh"
. "$TOP/tests/serve-lib.sh"

STICK=$TOP/rootfs/overlay/usr/lib/ztp-appliance/ztp-stick
d=$(make_tmpdir)
mkdir -p "$d/state" "$d/stick/firmware" "$d/stick/ca" "$d/run"
"$SYNTH_BIN" --out "$d/syn" --size tiny --version 4.1.7 --format zip >/dev/null 2>&1
cp "$d/syn/"*.zip "$d/stick/firmware/"
openssl req -x509 -nodes -days 3650 -subj '/CN=Stick Test CA' \
    -newkey rsa:2048 -sha256 -keyout "$d/ca.key" -out "$d/stick/ca/operator.pem" \
    -addext basicConstraints=critical,CA:TRUE >/dev/null 2>&1
fp=$(openssl x509 -in "$d/stick/ca/operator.pem" -outform DER | sha256sum | cut -d' ' -f1)
cp "$d/stick/ca/operator.pem" "$d/operator.pem"

stick() {
	ZTP_BIN=$ZTP_BIN ZTP_STATE=$1 ZTP_USER= ZTP_STICK_RUN=$d/run \
	    ZTP_STICK_TTYS= ZTP_STICK_JOB_WAIT=60 sh "$STICK" dir "$2"
}
status() { "$ZTP_BIN" status --state "$1" --json | jq -r "$2"; }

mkdir -p "$d/library"
serve_start "$d" --no-verify
out=$(stick "$d/state" "$d/stick")
echo "$out" | sed 's/^/# /'
check_contains "the import runs as a daemon job" \
    "ztp-stick: importing packages from $d/stick (job " "$out"
check "and says which package came in" sh -c "echo '$out' |
    grep -q '^ztp-stick: imported from $d/stick: 1 package(s): .*4\.1\.7'"
check_eq "the daemon's library has it" 1 "$(status "$d/state" .appliance.packages)"
check_contains "the stick's one certificate becomes the CA to install" \
    "ztp-stick: CA certificate to install from $d/stick/ca/operator.pem: " "$out"
check_eq "the daemon installs that CA on phones now" "$fp" \
    "$(status "$d/state" .appliance.ca.sha256)"

out=$(stick "$d/state" "$d/stick")
check_contains "the same stick again: nothing new, said so" \
    "ztp-stick: imported from $d/stick: no new package (those there are already in the library)" "$out"
check_contains "a CA already set is left alone" \
    "ztp-stick: a CA is already set; 1 certificate(s) in $d/stick/ca left alone" "$out"
serve_stop

# A fresh appliance (no CA yet) and a stick with several certificates.
rm -rf "$d/state"; mkdir -p "$d/state"
cp "$d/stick/ca/operator.pem" "$d/stick/ca/second.crt"
serve_start "$d" --no-verify
out=$(stick "$d/state" "$d/stick")
check_contains "several certificates: the technician chooses" \
    "ztp-stick: 2 certificates in $d/stick/ca: choose one in the console" "$out"
check_eq "and no CA is set behind their back" null "$(status "$d/state" .appliance.ca)"

# A certificate the daemon refuses: a leaf, not a CA.
rm "$d/stick/ca/"*
openssl req -x509 -nodes -days 3650 -subj '/CN=not a CA' -newkey rsa:2048 \
    -sha256 -keyout "$d/leaf.key" -out "$d/stick/ca/leaf.pem" \
    -addext basicConstraints=critical,CA:FALSE >/dev/null 2>&1
out=$(stick "$d/state" "$d/stick")
check_contains "a certificate that is not a CA is refused, with the daemon's reason" \
    "ztp-stick: CA certificate $d/stick/ca/leaf.pem refused: " "$out"
check_eq "no CA is set" null "$(status "$d/state" .appliance.ca)"

# Windows' other exports: a .pfx is refused for its private key; a .p7b
# holding the CA is that CA (both were not even looked at).
rm "$d/stick/ca/"*
openssl pkcs12 -export -in "$d/operator.pem" -inkey "$d/ca.key" \
    -passout pass: -out "$d/stick/ca/operator.pfx"
out=$(stick "$d/state" "$d/stick")
check_contains "a .pfx is refused: it holds a private key" \
    "ztp-stick: CA certificate $d/stick/ca/operator.pfx refused: " "$out"
check_contains "and says so" "PKCS #12 (.pfx) file, which holds a private key" "$out"
check_eq "no CA is set" null "$(status "$d/state" .appliance.ca)"
rm "$d/stick/ca/"*
openssl crl2pkcs7 -nocrl -certfile "$d/operator.pem" -outform DER \
    -out "$d/stick/ca/operator.p7b"
out=$(stick "$d/state" "$d/stick")
check_contains "a .p7b with the one CA becomes the CA to install" \
    "ztp-stick: CA certificate to install from $d/stick/ca/operator.p7b: " "$out"
check_eq "the daemon installs that CA" "$fp" "$(status "$d/state" .appliance.ca.sha256)"

# A damaged zip: the job fails, the reason is shown, nothing is lost.
mkdir -p "$d/bad/firmware"
head -c 3000 "$(ls "$d/syn/"*.zip | head -1)" >"$d/bad/firmware/cut.zip"
out=$(stick "$d/state" "$d/bad")
check_contains "a damaged zip: the import's failure and its reason" \
    "ztp-stick: import from $d/bad failed: " "$out"
check_eq "the library still has the package" 1 "$(status "$d/state" .appliance.packages)"

# A good package beside a damaged zip: both are said (it said only
# "failed", as if nothing had come in).
mkdir -p "$d/mixed/firmware"
"$SYNTH_BIN" --out "$d/syn540" --size tiny --version 5.4.0 --format zip >/dev/null 2>&1
cp "$d/syn540/"*.zip "$d/mixed/firmware/"
cp "$d/bad/firmware/cut.zip" "$d/mixed/firmware/"
out=$(stick "$d/state" "$d/mixed")
check "a good package beside a damaged zip: named as imported" sh -c "echo '$out' |
    grep -q '^ztp-stick: imported from $d/mixed: 1 package(s): 5\.4\.0\.12410; not imported: .*cut\.zip'"
check_eq "the library has it" 2 "$(status "$d/state" .appliance.packages)"

mkdir -p "$d/empty"
check_contains "an empty stick is said so, without a job" \
    "ztp-stick: no packages in $d/empty" "$(stick "$d/state" "$d/empty")"

# A certificate whose file name holds spaces, "*" and terminal controls
# (ESC, and C1 CSI U+009B): taken whole as the one certificate, never split
# or globbed, and its name reaches the terminals with the controls shown as
# "?".  A fresh appliance, so that there is no CA yet.
serve_stop
rm -rf "$d/state"; mkdir -p "$d/state"
serve_start "$d" --no-verify
mkdir -p "$d/odd/ca"
odd=$(printf 'op CA *\033[2J\302\2332J.pem')
cp "$d/operator.pem" "$d/odd/ca/$odd"
out=$(cd "$d/odd/ca" && stick "$d/state" "$d/odd")
echo "$out" | sed 's/^/# /' | LC_ALL=C tr -d '\033\233'
check_contains "one certificate named with spaces and '*' is the one CA to install" \
    "ztp-stick: CA certificate to install from $d/odd/ca/op CA *?[2J?2J.pem: " "$out"
check_eq "the daemon installs that CA" "$fp" "$(status "$d/state" .appliance.ca.sha256)"
check "no ESC and no C1 CSI (U+009B) reach the terminal" sh -c \
    "printf '%s' \"\$1\" | LC_ALL=C grep -q -e \"\$(printf '\\033')\" -e \"\$(printf '\\302\\233')\" && exit 1; exit 0" _ "$out"

# A stick's file system on a block device (a loop device here, as root):
# add mounts it read-only and imports it, once; remove unmounts it.  This
# machine did not boot from a ZTP Rescue stick, so no disk is the boot
# stick and every one counts as another stick.
# ext4, which every kernel here has (the image test covers FAT32 sticks).
if [ "$(id -u)" = 0 ] && command -v mkfs.ext4 >/dev/null && command -v losetup >/dev/null; then
	"$SYNTH_BIN" --out "$d/syn541" --size tiny --version 5.4.1 --format zip >/dev/null 2>&1
	mkdir -p "$d/usbtree"
	cp "$d/syn541/"*.zip "$d/usbtree/"
	truncate -s 40M "$d/usb.img"
	mkfs.ext4 -q -L LATER -d "$d/usbtree" "$d/usb.img"
	loop=$(losetup --find --show "$d/usb.img")
	at_exit "umount '$d/media/${loop#/dev/}' 2>/dev/null; losetup -d $loop"
	k=${loop#/dev/}
	: >"$d/run/booted"
	sadd() {
		ZTP_BIN=$ZTP_BIN ZTP_STATE=$d/state ZTP_USER= ZTP_STICK_RUN=$d/run \
		    ZTP_STICK_MEDIA=$d/media ZTP_STICK_TTYS= ZTP_STICK_JOB_WAIT=60 \
		    sh "$STICK" "$@"
	}
	out=$(sadd add "$k")
	echo "$out" | sed 's/^/# /'
	check_contains "a stick is mounted read-only where the console looks" \
	    "ztp-stick: stick $loop (LATER) mounted read-only at $d/media/$k" "$out"
	check "its file system is mounted read-only" sh -c \
	    "findmnt -n -o OPTIONS '$d/media/$k' | grep -q '^ro,'"
	opts=$(findmnt -n -o OPTIONS "$d/media/$k")
	check "without devices, set-uid or programs ($opts)" sh -c \
	    "echo '$opts' | tr , '\\n' | grep -c -x -e nodev -e nosuid -e noexec | grep -q 3"
	check_contains "and its package imported" \
	    "ztp-stick: imported from $d/media/$k: 1 package(s): 5.4.1" "$out"
	check_eq "a second add of the same plug-in does nothing" "" "$(sadd add "$k")"
	sadd remove "$k"
	check "remove unmounts it" sh -c "! mountpoint -q '$d/media/$k'"
	rm -f "$d/run/booted"
	check_eq "before the boot import has run, add leaves the stick to it" "" \
	    "$(sadd add "$k")"
	# A file system sticks do not carry (ext2 here): not mounted, said so.
	truncate -s 8M "$d/ext2.img"
	mkfs.ext2 -q -L OTHER -d "$d/usbtree" "$d/ext2.img"
	loop2=$(losetup --find --show "$d/ext2.img")
	at_exit "umount '$d/media/${loop2#/dev/}' 2>/dev/null; losetup -d $loop2"
	k2=${loop2#/dev/}
	: >"$d/run/booted"
	out=$(sadd add "$k2")
	echo "$out" | sed 's/^/# /'
	check_contains "an ext2 stick is refused, and said so" \
	    "ztp-stick: the stick $loop2 is ext2, which this system does not mount: use FAT32, exFAT or ext4" "$out"
	check "and is not mounted" sh -c "! mountpoint -q '$d/media/$k2'"
	check "the udev rule starts the import for FAT32, exFAT and ext4 only" \
	    grep -q 'ENV{ID_FS_TYPE}=="vfat|exfat|ext4"' \
	    "$TOP/rootfs/overlay/etc/udev/rules.d/80-ztp-stick.rules"
	sadd remove "$k2"
else
	skip "needs root, mkfs.ext4 and losetup: a stick on a loop device"
fi
serve_stop

ZTP_STICK_RUN=$d/run sh "$STICK" >/dev/null 2>&1
check_eq "no command: a usage error (exit 2)" 2 "$?"

done_testing
