#!/bin/sh
# `ztp-rescue import` and `ztp-rescue library` with good packages: every
# format, a top-level folder, CRLF and newline in sip.ver, upper-case names,
# a folder, a mounted stick scanned for packages, re-imports, and archives
# that are not UC Software.  Packages come from the generator (ucs-synth).
. "$TOP/tests/lib.sh"

tmp=$(make_tmpdir)
syn=$tmp/synth
pkg417=Polycom_UC_Software_4_1_7_release_sig_split

# --- the generator ----------------------------------------------------------
"$SYNTH_BIN" --out "$syn" --size tiny --version all >/dev/null; rc=$?
check_eq "ucs-synth writes every release" 0 "$rc"
"$SYNTH_BIN" --out "$tmp/again" --size tiny --version all >/dev/null
same=yes
for z in "$syn"/*.zip; do
	cmp -s "$z" "$tmp/again/$(basename "$z")" || same=no
done
check_eq "same arguments give the same bytes" yes "$same"
check_eq "four release zips" 4 "$(ls "$syn"/*.zip | wc -l | tr -d ' ')"
check_eq "4.1.7 holds seven images" 7 \
    "$(bsdtar -tf "$syn/$pkg417.zip" | grep -c '\.sip\.ld$')"
check_eq "4.0.8 holds twelve images" 12 \
    "$(bsdtar -tf "$syn"/Polycom_UC_Software_4_0_8_release_sig_split.zip | grep -c '\.sip\.ld$')"
check_contains "every package says it is synthetic" "NOT POLYCOM SOFTWARE" \
    "$(bsdtar -xOf "$syn/$pkg417.zip" SYNTHETIC.txt)"
img=$tmp/img
bsdtar -xOf "$syn/$pkg417.zip" 3111-46162-001.sip.ld >"$img"
hdr=$(head -c 512 "$img" | tr -d '\000')
check_eq "image header is the shared format" \
"ZTP-RESCUE SYNTHETIC UC SOFTWARE IMAGE - NOT POLYCOM SOFTWARE
format: 1
part: 3111-46162-001
version: 4.1.7.5432
models: VVX410
payload-size: $(( $(wc -c <"$img") - 512 ))
payload-sha256: $(tail -c +513 "$img" | sha256sum | cut -d' ' -f1)" "$hdr"
check_eq "the header is NUL-padded to 512 bytes" 512 \
    "$(head -c 512 "$img" | wc -c | tr -d ' ')"
size=$(wc -c <"$img" | tr -d ' ')
check "a tiny image is about 4 KB" test "$size" -ge 4096 -a "$size" -lt 5120
check_eq "sip.ver is the build, no newline" "4.1.7.5432" \
    "$(bsdtar -xOf "$syn/$pkg417.zip" sip.ver)"
"$SYNTH_BIN" --out "$tmp/bytes" --size 10000 --version 5.4.0 >/dev/null
check_eq "--size BYTES sets the image size" 10000 \
    "$(bsdtar -xOf "$tmp/bytes"/*.zip 3111-40250-001.sip.ld | wc -c | tr -d ' ')"
"$SYNTH_BIN" --out "$tmp/x" --size huge >/dev/null 2>&1; rc=$?
check_eq "a bad --size is a usage error" 2 "$rc"

# --- import of a zip ----------------------------------------------------------
# A library folder whose parent does not exist (a mistyped path): refused,
# nothing made, and what to do said (it said only "No such file or
# directory").
err=$("$ZTP_BIN" import --library "$tmp/typo/library" "$syn/$pkg417.zip" \
    2>&1 >/dev/null); rc=$?
check_eq "a library folder in a missing folder is refused (exit 1)" 1 "$rc"
check_contains "saying what to do" "cannot create the library folder $tmp/typo/library: No such file or directory: the folder it would be in does not exist (a mistyped path?): create that first, or name another library folder" "$err"
check "and nothing is made" test ! -e "$tmp/typo"
# A part of the path is a file: it said the folder "does not exist".
: >"$tmp/afile"
err=$("$ZTP_BIN" import --library "$tmp/afile/library" "$syn/$pkg417.zip" 2>&1)
check_contains "a library path through a file says so" \
    "Not a directory: a part of that path is a file, not a folder (a mistyped path?): name a library folder" "$err"
lib=$tmp/lib
out=$("$ZTP_BIN" import --library "$lib" "$syn/$pkg417.zip" 2>"$tmp/err"); rc=$?
check_eq "import of a release zip exits 0" 0 "$rc"
check_contains "it names the build and the models" \
    "imported 4.1.7.5432 from $syn/$pkg417.zip: 7 images for VVX201, VVX300, VVX310, VVX400, VVX410, VVX500, VVX600" "$out"
check_eq "nothing on stderr when it is not a terminal" "" "$(cat "$tmp/err")"
check_eq "the image is stored byte for byte" "$(sha256 "$img")" \
    "$(sha256 "$lib/packages/4.1.7.5432/3111-46162-001.sip.ld")"
check "the manifest is there" test -f "$lib/packages/4.1.7.5432/manifest.json"
check_eq "no temporary folder is left" "packages" "$(ls -A "$lib")"
list=$("$ZTP_BIN" library --library "$lib"); rc=$?
check_eq "library exits 0" 0 "$rc"
check_contains "library shows build and release" "4.1.7.5432  release 4.1.7  14 files" "$list"
check_contains "library shows which model a part serves" "serves 3111-46162-001  VVX410" "$list"
check_contains "library shows sizes and hashes" \
    "$(printf '%12s  %s  3111-46162-001.sip.ld' "$size" "$(sha256 "$img")")" "$list"
json=$("$ZTP_BIN" library --library "$lib" --json); rc=$?
check_eq "library --json exits 0" 0 "$rc"
check_contains "the JSON names the model" '"model": "VVX410"' "$json"
check_contains "the JSON has the hash" "\"sha256\": \"$(sha256 "$img")\"" "$json"

out=$("$ZTP_BIN" import --library "$lib" "$syn/$pkg417.zip"); rc=$?
check_eq "importing the same package again exits 0" 0 "$rc"
check_contains "and says it is already there" "already in the library" "$out"

# The same build with other contents is refused.
mkdir "$tmp/other"
"$SYNTH_BIN" --out "$tmp/other" --size tiny --version 4.1.7 --format dir >/dev/null
echo '<!-- changed -->' >>"$tmp/other/$pkg417/Config/site.cfg"
err=$("$ZTP_BIN" import --library "$lib" "$tmp/other/$pkg417" 2>&1); rc=$?
check_eq "a different package with the same build exits 1" 1 "$rc"
check_contains "and says why" "a different package with build 4.1.7.5432 is already in the library (config/site.cfg differs)" "$err"
check_eq "the library still holds one package" 1 "$(ls "$lib/packages" | wc -l | tr -d ' ')"

# --- tolerance: top-level folder, CRLF, newline, upper case ---------------------
"$SYNTH_BIN" --out "$tmp/crlf" --size tiny --version 4.1.7 \
    --toplevel-folder UCS_4.1.7 --sipver-style crlf >/dev/null
out=$("$ZTP_BIN" import --library "$tmp/lib2" "$tmp/crlf/$pkg417.zip"); rc=$?
check_eq "a top-level folder and CRLF in sip.ver are tolerated" 0 "$rc"
check "the folder is stripped" test -f "$tmp/lib2/packages/4.1.7.5432/3111-46162-001.sip.ld"
"$SYNTH_BIN" --out "$tmp/nl" --size tiny --version 5.4.1 --format tar.gz \
    --sipver-style newline >/dev/null
out=$("$ZTP_BIN" import --library "$tmp/lib2" "$tmp/nl/Polycom_UC_Software_5_4_1_release_sig_split.tar.gz"); rc=$?
check_eq "a tar.gz with a newline in sip.ver imports" 0 "$rc"
check_contains "as build 5.4.1.18370" "imported 5.4.1.18370" "$out"

mkdir "$tmp/upper"
"$SYNTH_BIN" --out "$tmp/upper" --size tiny --version 5.4.0 --format dir >/dev/null
u=$tmp/upper/Polycom_UC_Software_5_4_0_release_sig_split
mv "$u/sip.ver" "$u/SIP.VER"
mv "$u/3111-40250-001.sip.ld" "$u/3111-40250-001.SIP.LD"
echo 'notes' >"$u/Config/Read Me.TXT"
(cd "$u" && bsdtar --format zip -cf "$tmp/upper.zip" .)
out=$("$ZTP_BIN" import --library "$tmp/lib2" "$tmp/upper.zip"); rc=$?
check_eq "upper-case names import" 0 "$rc"
check "and are stored in lower case" test -f "$tmp/lib2/packages/5.4.0.12410/3111-40250-001.sip.ld"
check "sip.ver too" test -f "$tmp/lib2/packages/5.4.0.12410/sip.ver"
list=$("$ZTP_BIN" library --library "$tmp/lib2")
check_contains "a name with a space is kept" "config/read me.txt" "$list"
case "$list" in
*DAMAGED*) check "and the package reads back whole" false ;;
*) check "and the package reads back whole" true ;;
esac

# --- other compressions, a folder, a stick ------------------------------------
mkdir "$tmp/dir"
"$SYNTH_BIN" --out "$tmp/dir" --size tiny --version 4.0.8 --format dir >/dev/null
d408=$tmp/dir/Polycom_UC_Software_4_0_8_release_sig_split
(cd "$d408" && bsdtar -cJf "$tmp/p.tar.xz" . && bsdtar --zstd -cf "$tmp/p.tar.zst" .)
out=$("$ZTP_BIN" import --library "$tmp/lib3" "$tmp/p.tar.xz"); rc=$?
check_eq "a tar.xz imports" 0 "$rc"
out=$("$ZTP_BIN" import --library "$tmp/lib4" "$tmp/p.tar.zst"); rc=$?
check_eq "a tar.zst imports" 0 "$rc"
out=$("$ZTP_BIN" import --library "$tmp/lib5" "$d408"); rc=$?
check_eq "a package folder imports" 0 "$rc"
check_contains "with its twelve images" "imported 4.0.8.0931 from $d408: 12 images" "$out"
check_eq "folder and archive give the same image" \
    "$(sha256 "$tmp/lib3/packages/4.0.8.0931/2345-12670-001.sip.ld")" \
    "$(sha256 "$tmp/lib5/packages/4.0.8.0931/2345-12670-001.sip.ld")"

stick=$tmp/stick
mkdir -p "$stick/firmware/old" "$stick/.Trash-1000" "$stick/photos"
cp "$syn/$pkg417.zip" "$stick/firmware/"
cp "$tmp/p.tar.xz" "$stick/firmware/old/408.tar.xz"
cp -r "$u" "$stick/ucs540"
echo holiday >"$stick/photos/a.jpg"; echo notes >"$stick/photos/b.txt"
(cd "$stick/photos" && bsdtar --format zip -cf ../photos.zip a.jpg b.txt)
cp "$syn/$pkg417.zip" "$stick/.Trash-1000/"
out=$("$ZTP_BIN" import --library "$tmp/lib6" "$stick/"); rc=$?
check_eq "a stick is scanned and imported" 0 "$rc"
check_eq "three packages found (dot folders ignored)" \
    "4.0.8.0931 4.1.7.5432 5.4.0.12410" "$(ls "$tmp/lib6/packages" | tr '\n' ' ' | sed 's/ $//')"
check_contains "an archive that is not a package is skipped, saying why" \
    "skipped $stick/photos.zip: not a UC Software package: no sip.ver and no *.sip.ld among 2 files" "$out"

err=$("$ZTP_BIN" import --library "$tmp/lib7" "$stick/photos.zip" 2>&1); rc=$?
check_eq "importing something else exits 1" 1 "$rc"
check_contains "and says what it found" \
    "$stick/photos.zip: not a UC Software package: no sip.ver and no *.sip.ld among 2 files: it looks like something else: 1 .jpg file, 1 .txt file" "$err"
check_eq "and leaves nothing behind" "packages" "$(ls -A "$tmp/lib7")"
mkdir "$tmp/empty"
err=$("$ZTP_BIN" import --library "$tmp/lib7" "$tmp/empty" 2>&1); rc=$?
check_eq "an empty stick exits 1" 1 "$rc"
check_contains "saying nothing was found" "no UC Software package under $tmp/empty" "$err"
"$ZTP_BIN" import --library "$tmp/lib7" >/dev/null 2>&1; rc=$?
check_eq "no PATH is a usage error" 2 "$rc"

# --- copies to the stick that did not finish -------------------------------------
# An image left at 0 bytes (a Windows copy stopped half way) was imported,
# listed and verified "ok".
mkdir "$tmp/unfinished"
"$SYNTH_BIN" --out "$tmp/unfinished" --size tiny --version 4.1.7 --format dir >/dev/null
: >"$tmp/unfinished/$pkg417/3111-46162-001.sip.ld"
err=$("$ZTP_BIN" import --library "$tmp/lib9" "$tmp/unfinished/$pkg417" 2>&1); rc=$?
check_eq "a package with an empty image exits 1" 1 "$rc"
check_contains "saying which and what to do" "image 3111-46162-001.sip.ld is empty (0 bytes): a copy that did not finish? copy the package again from its source" "$err"
check_eq "and takes nothing" "" "$(ls -A "$tmp/lib9/packages" 2>/dev/null)"
# A file still being written: what was read is not the file as it was when
# its copy began (here a file whose size says 0 but that reads as more, as
# a file growing under the copy does).
if [ "$(id -u)" = 0 ]; then
	rm -rf "$tmp/unfinished"; mkdir "$tmp/unfinished"
	"$SYNTH_BIN" --out "$tmp/unfinished" --size tiny --version 4.1.7 --format dir >/dev/null
	: >"$tmp/unfinished/$pkg417/notes.txt"
	mount --bind /proc/version "$tmp/unfinished/$pkg417/notes.txt"
	at_exit "umount '$tmp/unfinished/$pkg417/notes.txt' 2>/dev/null"
	err=$("$ZTP_BIN" import --library "$tmp/lib9" "$tmp/unfinished/$pkg417" 2>&1); rc=$?
	umount "$tmp/unfinished/$pkg417/notes.txt"
	check_eq "a file that changes under the copy exits 1" 1 "$rc"
	check_contains "saying so" "notes.txt changed while it was copied (0 bytes when the copy began" "$err"
	check_eq "and takes nothing" "" "$(ls -A "$tmp/lib9/packages" 2>/dev/null)"
else
	skip "needs root: a bind mount stands for a file being written"
fi

# A package kept inside another (an older release in old/): its images
# were stored as files of the outer one, and its release never imported.
rm -rf "$tmp/nested"; mkdir "$tmp/nested"
"$SYNTH_BIN" --out "$tmp/nested" --size tiny --version 5.4.1 --format dir >/dev/null
"$SYNTH_BIN" --out "$tmp/nested/old" --size tiny --version 4.1.7 --format dir >/dev/null
mv "$tmp/nested/old/$pkg417" "$tmp/nested/Polycom_UC_Software_5_4_1_release_sig_split/old"
rmdir "$tmp/nested/old"
err=$("$ZTP_BIN" import --library "$tmp/lib10" "$tmp/nested/Polycom_UC_Software_5_4_1_release_sig_split" 2>&1); rc=$?
check_eq "a package inside a package exits 1" 1 "$rc"
check_contains "saying which folder and what to do" "folder old holds a package of its own (" "$err"
check_contains "and what to do" "two packages in one; import each on its own" "$err"
check_eq "and takes nothing" "" "$(ls -A "$tmp/lib10/packages" 2>/dev/null)"

# Two imports into one library: each checked the disk's room once, alone,
# and three at once filled it.  The second waits for the first, saying so.
"$ZTP_BIN" import --library "$tmp/lib11" "$syn/$pkg417.zip" >/dev/null
flock "$tmp/lib11/packages" sh -c "touch '$tmp/held'; sleep 1; touch '$tmp/released'" &
holder=$!
check "the library is held" wait_for 10 test -e "$tmp/held"
err=$("$ZTP_BIN" import --library "$tmp/lib11" "$syn/$pkg417.zip" 2>&1); rc=$?
wait $holder
check_eq "an import while another holds the library exits 0" 0 "$rc"
check "after the other is done" test -e "$tmp/released"
check_contains "saying it waited" "another import into $tmp/lib11 is under way: waiting for it to finish" "$err"

# --- the progress bar on a terminal ---------------------------------------------
out=$(script -qec "'$ZTP_BIN' import --library '$tmp/lib8' '$syn/$pkg417.zip'" /dev/null); rc=$?
check_eq "import on a terminal exits 0" 0 "$rc"
check_contains "and draws a bar with bytes and rate" "MB/s" "$out"

done_testing
