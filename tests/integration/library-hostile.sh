#!/bin/sh
# Hostile and broken archives, built here at run time around a good tiny
# package: each must be refused with its reason, and leave nothing behind
# (no package, no temporary folder, nothing written outside the library).
. "$TOP/tests/lib.sh"

tmp=$(make_tmpdir)
"$SYNTH_BIN" --out "$tmp/synth" --size tiny --version 5.4.0 --format dir >/dev/null
good=$tmp/synth/Polycom_UC_Software_5_4_0_release_sig_split
lib=$tmp/lib
mkdir "$tmp/w"

# refused DESCRIPTION ARCHIVE EXPECTED-TEXT
refused() {
	_err=$("$ZTP_BIN" import --library "$lib" "$2" 2>&1); _rc=$?
	check_eq "$1: refused with exit 1" 1 "$_rc"
	check_contains "$1: says why" "$3" "$_err"
	check_eq "$1: leaves nothing behind" "packages" "$(ls -A "$lib" 2>/dev/null)"
	check_eq "$1: no package appeared" "" "$(ls -A "$lib/packages" 2>/dev/null)"
}

# A copy of the good package to add one bad entry to.
stage() {
	rm -rf "$tmp/w/s"
	cp -r "$good" "$tmp/w/s"
}

stage
(cd "$tmp/w/s" && bsdtar --format zip -cf "$tmp/dotdot.zip" -s ',^\./sip.ver$,../../escaped-zip,' .)
refused "path traversal (zip)" "$tmp/dotdot.zip" 'climbs out of the package with ".."'
check "path traversal (zip): nothing written outside" test ! -e "$tmp/escaped-zip"

stage
printf x >"$tmp/w/x"
bsdtar -czf "$tmp/dotdot2.tar.gz" -s ",^x\$,config/../../../escaped-tar," -C "$tmp/w/s" . -C "$tmp/w" x
refused "path traversal (tar.gz)" "$tmp/dotdot2.tar.gz" 'climbs out of the package with ".."'
check "path traversal (tar.gz): nothing written outside" test ! -e "$tmp/escaped-tar"

echo abs >"$tmp/w/abs-$$"
bsdtar -cPf "$tmp/abs.tar" -C "$good" . "$tmp/w/abs-$$"
rm -f "$tmp/w/abs-$$"
refused "absolute path" "$tmp/abs.tar" 'has an absolute path'
check "absolute path: the file was not written" test ! -e "$tmp/w/abs-$$"

printf '#mtree\n./etc-link type=link link=/etc\n' >"$tmp/w/sym.mtree"
(cd "$good" && bsdtar --format zip -cf "$tmp/symlink.zip" . "@$tmp/w/sym.mtree")
refused "symlink (zip)" "$tmp/symlink.zip" 'is a symbolic link (to "/etc")'
check "symlink: /etc untouched" test ! -e /etc/sip.ver

stage
ln -s /tmp "$tmp/w/s/out"
(cd "$tmp/w/s" && bsdtar -cf "$tmp/symlink.tar" .)
refused "symlink out (tar)" "$tmp/symlink.tar" 'is a symbolic link (to "/tmp")'

stage
ln "$tmp/w/s/sip.ver" "$tmp/w/s/hard.ver"
(cd "$tmp/w/s" && bsdtar -cf "$tmp/hardlink.tar" .)
refused "hard link" "$tmp/hardlink.tar" 'is a hard link'

printf '#mtree\n./null type=char device=native,1,3 mode=0644\n' >"$tmp/w/dev.mtree"
(cd "$good" && bsdtar -cf "$tmp/device.tar" . "@$tmp/w/dev.mtree")
refused "device node" "$tmp/device.tar" 'is a device file'

printf '#mtree\n./pipe type=fifo mode=0644\n' >"$tmp/w/fifo.mtree"
(cd "$good" && bsdtar -cf "$tmp/fifo.tar" . "@$tmp/w/fifo.mtree")
refused "fifo" "$tmp/fifo.tar" 'is a FIFO'

# A name no firmware package has: a letter outside ASCII in a zip (Info-ZIP
# marks it UTF-8, which libarchive cannot convert in the C locale: it said
# "damaged", and the technician downloaded it again for nothing), and a
# terminal control in a tar.
stage
echo x >"$tmp/w/s/café.cfg"
(cd "$tmp/w/s" && LC_ALL=C.UTF-8 zip -qr "$tmp/utf8.zip" .)
(cd "$tmp/w/s" && LC_ALL=C.UTF-8 bsdtar --format zip -cf "$tmp/utf8-bsdtar.zip" .)
for loc in C C.UTF-8; do
	_err=$(LC_ALL=$loc "$ZTP_BIN" import --library "$lib" "$tmp/utf8.zip" 2>&1)
	check_contains "a letter outside ASCII in a zip, locale $loc: said so" \
	    'entry "caf\xc3\xa9.cfg" has a name with a byte a firmware package never uses' "$_err"
	_err=$(LC_ALL=$loc "$ZTP_BIN" import --library "$lib" "$tmp/utf8-bsdtar.zip" 2>&1)
	check_contains "the same from bsdtar, locale $loc: not 'damaged'" \
	    'an entry has a name with a letter outside ASCII, a byte a firmware package never uses' "$_err"
	check_eq "and nothing taken" "" "$(ls -A "$lib/packages" 2>/dev/null)"
done
stage
printf x >"$tmp/w/s/$(printf 'a\033[2Jb').cfg"
(cd "$tmp/w/s" && bsdtar -cf "$tmp/control.tar" .)
refused "a terminal control in a tar" "$tmp/control.tar" \
    'has a name with a byte a firmware package never uses'

# 200 MB of zeros: a few hundred KB compressed (sparse: no disk used).
stage
truncate -s 200M "$tmp/w/s/zeros.bin"
(cd "$tmp/w/s" && bsdtar --format zip -cf "$tmp/bomb.zip" .)
refused "zip bomb" "$tmp/bomb.zip" 'an absurd compression ratio, as in a zip bomb'
(cd "$tmp/w/s" && bsdtar -czf "$tmp/bomb.tar.gz" .)
refused "gzip bomb" "$tmp/bomb.tar.gz" 'an absurd compression ratio, as in a zip bomb'

# Compressions no UC Software package comes in, which libarchive reads only
# through an external program (lrzip -d, grzip): refused, and no program is
# run on the stranger's file.
mkdir -p "$tmp/bin"
for p in lrzip grzip; do
	printf '#!/bin/sh\ntouch "%s/ran-%s"\ncat >/dev/null\nexit 1\n' "$tmp" "$p" >"$tmp/bin/$p"
	chmod +x "$tmp/bin/$p"
done
{ printf 'LRZI\000\006'; head -c 200 /dev/zero; } >"$tmp/package.tar.lrz"
{ printf 'GRZipII\000\002\004:)'; head -c 200 /dev/zero; } >"$tmp/package.tar.grz"
for f in package.tar.lrz package.tar.grz; do
	_err=$(PATH="$tmp/bin:$PATH" "$ZTP_BIN" import --library "$lib" "$tmp/$f" 2>&1)
	check_contains "$f: refused as no archive to import" \
	    "not an archive that can be imported" "$_err"
done
check "no external decompressor was run" \
    test ! -e "$tmp/ran-lrzip" -a ! -e "$tmp/ran-grzip"

# 200 MB that compress 16:1 (64 KB of noise in every MB): each stream's
# ratio is below the zip-bomb limit, the whole is 16 times the archive.
stage
truncate -s 200M "$tmp/w/s/pad.bin"
i=0
while [ "$i" -lt 200 ]; do
	dd if=/dev/urandom of="$tmp/w/s/pad.bin" bs=64K count=1 seek=$((i * 16)) \
	    conv=notrunc status=none
	i=$((i + 1))
done
(cd "$tmp/w/s" && bsdtar --format zip -cf "$tmp/ratio.zip" .)
refused "16 times its size in all" "$tmp/ratio.zip" \
    "archive: more than 8 times its size, as in a zip bomb"
rm -f "$tmp/ratio.zip"

stage
truncate -s 300M "$tmp/w/s/huge.bin"
(cd "$tmp/w/s" && bsdtar -cJf "$tmp/huge.tar.xz" .)
refused "huge entry" "$tmp/huge.tar.xz" 'says it has 300 MB: no firmware file is bigger than 256 MB'
rm -rf "$tmp/w/s"

# 10001 empty folders beside the package: folders were not counted, and
# 300,000 of them took a disk's last inodes under the 10000-file cap.
stage
seq -f "$tmp/w/s/d%05g" 1 10001 | xargs mkdir
(cd "$tmp/w/s" && bsdtar --format zip -cf "$tmp/folders.zip" .)
refused "10001 folders" "$tmp/folders.zip" 'more than 10000 files and folders'
rm -rf "$tmp/w/s" "$tmp/folders.zip"

(cd "$good" && bsdtar --format zip -cf "$tmp/full.zip" .)
head -c $(( $(wc -c <"$tmp/full.zip") / 2 )) "$tmp/full.zip" >"$tmp/truncated.zip"
refused "truncated zip" "$tmp/truncated.zip" 'the archive is damaged or truncated'

(cd "$good" && bsdtar -czf "$tmp/full.tar.gz" .)
cp "$tmp/full.tar.gz" "$tmp/corrupt.tar.gz"
printf 'CORRUPTCORRUPTCORRUPT' | dd of="$tmp/corrupt.tar.gz" bs=1 seek=2000 conv=notrunc 2>/dev/null
refused "corrupt gzip" "$tmp/corrupt.tar.gz" 'the archive is damaged or truncated'
# Damage in the first compressed block shows while libarchive is still
# deciding what the file is: still "damaged", not "not an archive".
cp "$tmp/full.tar.gz" "$tmp/corrupt-early.tar.gz"
printf 'CORRUPTCORRUPTCORRUPT' | dd of="$tmp/corrupt-early.tar.gz" bs=1 seek=12 conv=notrunc 2>/dev/null
refused "gzip damaged at its start" "$tmp/corrupt-early.tar.gz" 'the archive is damaged or truncated'

# A byte changed that inflate does not notice (here the trailer's CRC-32;
# as often a byte in the middle of the stream): libarchive never checks
# the trailer, and the damaged image was taken and listed "ok".
cp "$tmp/full.tar.gz" "$tmp/crc.tar.gz"
_crc_at=$(( $(wc -c <"$tmp/full.tar.gz") - 8 ))
printf '\377' | dd of="$tmp/crc.tar.gz" bs=1 seek=$_crc_at conv=notrunc 2>/dev/null
check "the damage is real (gzip -t)" sh -c "! gzip -t '$tmp/crc.tar.gz' 2>/dev/null"
refused "gzip whose check does not match" "$tmp/crc.tar.gz" \
    'its gzip check failed'

# Cut short.  A small archive fails while libarchive is still deciding
# what it is: that said "not an archive that can be imported: unreadable".
for _cut in 1 8 20; do
	head -c -$_cut "$tmp/full.tar.gz" >"$tmp/cut$_cut.tar.gz"
	refused "gzip missing its last $_cut bytes" "$tmp/cut$_cut.tar.gz" \
	    'the archive is damaged or truncated'
done
(cd "$good" && bsdtar -cJf "$tmp/full.tar.xz" . && bsdtar -cjf "$tmp/full.tar.bz2" .)
head -c -8 "$tmp/full.tar.xz" >"$tmp/cut.tar.xz"
refused "xz cut short" "$tmp/cut.tar.xz" 'the archive is damaged or truncated'
head -c -8 "$tmp/full.tar.bz2" >"$tmp/cut.tar.bz2"
refused "bzip2 cut short" "$tmp/cut.tar.bz2" 'the archive is damaged or truncated'
# A larger one (with the zeros GNU tar pads a tape's records with) whose
# gzip trailer (CRC-32 and length) is cut off: the tar ends before it, zlib's gzread ends with no error of its own, and it was
# taken, unchecked (a byte flipped in a stored block went in as "ok").
"$SYNTH_BIN" --out "$tmp/synth-big" --size 1000000 --version 4.1.7 \
    --format dir >/dev/null
(cd "$tmp/synth-big"/Polycom_UC_Software_4_1_7* &&
    { tar -cf - .; head -c 65536 /dev/zero; } | gzip >"$tmp/big.tar.gz")
head -c -8 "$tmp/big.tar.gz" >"$tmp/big-cut.tar.gz"
refused "a large gzip missing its trailer" "$tmp/big-cut.tar.gz" \
    'its gzip check failed'

# A zstd frame whose checksum does not match (the zstd tool writes one).
(cd "$good" && tar -cf "$tmp/plain.tar" .)
zstd -q "$tmp/plain.tar" -o "$tmp/crc.tar.zst"
_end=$(( $(wc -c <"$tmp/crc.tar.zst") - 4 ))
printf '\377\377\377\377' | dd of="$tmp/crc.tar.zst" bs=1 seek=$_end conv=notrunc 2>/dev/null
refused "zstd whose checksum does not match" "$tmp/crc.tar.zst" \
    'the archive is damaged or truncated'
# Bytes after the tar's end-of-archive blocks (GNU tar ignores them): still
# a package.  Reading on to the end of the stream refused it for a while.
{ cat "$tmp/plain.tar"; head -c 4096 /dev/urandom; } | gzip >"$tmp/trailing.tar.gz"
_out=$("$ZTP_BIN" import --library "$tmp/lib-trailing" "$tmp/trailing.tar.gz" 2>&1); _rc=$?
check_eq "bytes after a tar's end: imported" 0 "$_rc"
check_contains "saying what" "imported 5.4.0.12410" "$_out"

head -c 5000 /dev/urandom >"$tmp/junk.zip"
refused "not an archive" "$tmp/junk.zip" 'not an archive that can be imported'
# A copy that did not finish (Windows leaves 0 bytes): it was "not an
# archive ... Unrecognized archive format".
: >"$tmp/empty.zip"
refused "an empty .zip" "$tmp/empty.zip" \
    'the file is empty (0 bytes): a copy that did not finish? copy it again from its source'

stage
cp "$tmp/w/s/sip.ver" "$tmp/w/s/SIP.VER"
(cd "$tmp/w/s" && bsdtar --format zip -cf "$tmp/case.zip" .)
refused "names differing only in case" "$tmp/case.zip" 'two entries are named sip.ver'

stage
echo '{}' >"$tmp/w/s/manifest.json"
(cd "$tmp/w/s" && bsdtar --format zip -cf "$tmp/manifest.zip" .)
refused "a file named manifest.json" "$tmp/manifest.zip" \
    'a name the library keeps for itself: this is a package of a ZTP Rescue library, not one as Polycom ships it; import the original zip instead'

stage
rm "$tmp/w/s/sip.ver"
(cd "$tmp/w/s" && bsdtar --format zip -cf "$tmp/nosipver.zip" .)
refused "images without sip.ver" "$tmp/nosipver.zip" '1 image (*.sip.ld) but no sip.ver'

stage
printf 'hello world\n' >"$tmp/w/s/sip.ver"
(cd "$tmp/w/s" && bsdtar --format zip -cf "$tmp/badsipver.zip" .)
refused "sip.ver that is not a build" "$tmp/badsipver.zip" 'sip.ver holds "hello world", not a build'
# A NUL and junk after the build: the junk was kept and served to phones.
stage
printf '5.4.0.12410\000junk' >"$tmp/w/s/sip.ver"
(cd "$tmp/w/s" && bsdtar --format zip -cf "$tmp/nulsipver.zip" .)
refused "sip.ver with a NUL byte" "$tmp/nulsipver.zip" 'sip.ver holds a NUL byte'
stage
printf '\357\273\2775.4.0.12410\r\n' >"$tmp/w/s/sip.ver"
(cd "$tmp/w/s" && bsdtar --format zip -cf "$tmp/bomsipver.zip" .)
refused "sip.ver saved with a byte order mark" "$tmp/bomsipver.zip" \
    'starts with a UTF-8 byte order mark'

# Synthetic images name their part and build: a mixed package is refused.
"$SYNTH_BIN" --out "$tmp/synth" --size tiny --version 4.1.7 --format dir >/dev/null
stage
cp "$tmp/synth/Polycom_UC_Software_4_1_7_release_sig_split/3111-46162-001.sip.ld" "$tmp/w/s/"
refused "an image of another release" "$tmp/w/s" \
    '3111-46162-001.sip.ld says it is version 4.1.7.5432, not 5.4.0.12410'
stage
mv "$tmp/w/s/3111-40250-001.sip.ld" "$tmp/w/s/3111-99999-001.sip.ld"
refused "a renamed image" "$tmp/w/s" \
    '3111-99999-001.sip.ld says it is part 3111-40250-001, not 3111-99999-001'

# A folder with a link in it is refused the same way.
stage
ln -s /etc/passwd "$tmp/w/s/passwd"
refused "symlink in a folder" "$tmp/w/s" 'is a symbolic link (to "/etc/passwd")'
rm -rf "$tmp/w/s"

# A full disk mid-import: a 1 MB tmpfs in a private mount namespace.
if [ "$(id -u)" = 0 ] && unshare -m --propagation private true 2>/dev/null; then
	mkdir "$tmp/small"
	"$SYNTH_BIN" --out "$tmp/small" --size small --version 4.1.7 >/dev/null
	err=$(unshare -m --propagation private sh -c '
	    mount -t tmpfs -o size=1m tmpfs "$1" || exit 99
	    "$2" import --library "$1/lib" "$3" 2>&1
	    echo "rc=$?"
	    echo "left=$(ls -A "$1/lib" | tr "\n" " ")$(ls -A "$1/lib/packages")"' sh \
	    "$tmp/w" "$ZTP_BIN" "$tmp/small/Polycom_UC_Software_4_1_7_release_sig_split.zip")
	check_contains "full disk: refused with exit 1" "rc=1" "$err"
	check_contains "full disk: says the disk is full" "the disk holding the library is full" "$err"
	check_contains "full disk: leaves nothing behind" "left=packages " "$err"
	# Room for the package, but not for it and the journal's reserve.
	stage
	head -c 24M /dev/urandom >"$tmp/w/s/noise.bin"
	(cd "$tmp/w/s" && bsdtar -cf "$tmp/noise.tar" .)
	mkdir -p "$tmp/w48"
	err=$(unshare -m --propagation private sh -c '
	    mount -t tmpfs -o size=48m tmpfs "$1" || exit 99
	    "$2" import --library "$1/lib" "$3" 2>&1
	    echo "rc=$?"
	    echo "left=$(ls -A "$1/lib" | tr "\n" " ")$(ls -A "$1/lib/packages")"' sh \
	    "$tmp/w48" "$ZTP_BIN" "$tmp/noise.tar")
	check_contains "32 MB reserve: refused with exit 1" "rc=1" "$err"
	check_contains "32 MB reserve: says so" \
	    "full (an import leaves at least 32 MB free for the journal)" "$err"
	check_contains "32 MB reserve: leaves nothing behind" "left=packages " "$err"
	rm -f "$tmp/noise.tar"
else
	skip "full disk: needs root and unshare -m"
fi

# After all that, the good package still imports.
out=$("$ZTP_BIN" import --library "$lib" "$good"); rc=$?
check_eq "the good package imports afterwards" 0 "$rc"

done_testing
