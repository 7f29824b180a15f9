#!/bin/sh
# `ztp-rescue library verify`: a byte changed behind the library's back (same
# size, same mtime, so the cheap check cannot see it) is found by the re-hash,
# marked in the manifest, and the package is then listed as damaged; a size
# change is caught by the cheap check alone.
. "$TOP/tests/lib.sh"

tmp=$(make_tmpdir)
"$SYNTH_BIN" --out "$tmp/synth" --size tiny --version 4.1.7 >/dev/null
zip=$tmp/synth/Polycom_UC_Software_4_1_7_release_sig_split.zip
lib=$tmp/lib
"$ZTP_BIN" import --library "$lib" "$zip" >/dev/null

out=$("$ZTP_BIN" library verify --library "$lib"); rc=$?
check_eq "verify of a whole library exits 0" 0 "$rc"
check_contains "and says so" "4.1.7.5432: ok (14 files)" "$out"
check_contains "with a total" "1 package, 0 damaged" "$out"

# One byte, keeping size and mtime.
img=$lib/packages/4.1.7.5432/3111-46162-001.sip.ld
mtime=$(stat -c %Y "$img")
printf 'X' | dd of="$img" bs=1 seek=3000 conv=notrunc 2>/dev/null
touch -d "@$mtime" "$img"
list=$("$ZTP_BIN" library --library "$lib")
case "$list" in
*DAMAGED*) check "the cheap check cannot see a same-size change" false ;;
*) check "the cheap check cannot see a same-size change" true ;;
esac
out=$("$ZTP_BIN" library verify --library "$lib"); rc=$?
check_eq "verify finds the damage and exits 1" 1 "$rc"
check_contains "naming the file" \
    "4.1.7.5432: DAMAGED, not served: 3111-46162-001.sip.ld does not match its SHA-256 in the manifest" "$out"
check_contains "with a total" "1 package, 1 damaged" "$out"
list=$("$ZTP_BIN" library --library "$lib")
check_contains "the mark is kept for the next start" \
    "DAMAGED, not served: 3111-46162-001.sip.ld does not match" "$list"
json=$("$ZTP_BIN" library verify --library "$lib" --json); rc=$?
check_eq "verify --json exits 1 too" 1 "$rc"
check_contains "verify --json counts it" '"damaged": 1' "$json"

# "Import it again", as the daemon says of a damaged package, heals it: the
# same archive replaces the damaged copy (it said "nothing to do", and the
# package stayed damaged, its phones held).
cp -a "$lib" "$tmp/lib-damaged"
out=$("$ZTP_BIN" import --library "$tmp/lib-damaged" "$zip" 2>&1); rc=$?
check_eq "importing a damaged package again exits 0" 0 "$rc"
check_contains "and says it replaced the damaged copy, and why" \
    "replaced the damaged copy of 4.1.7.5432 from $zip: " "$out"
check_contains "(what was wrong)" \
    "(it was: 3111-46162-001.sip.ld does not match its SHA-256 in the manifest: damaged since import)" \
    "$out"
out=$("$ZTP_BIN" library verify --library "$tmp/lib-damaged"); rc=$?
check_eq "the package verifies again" 0 "$rc"
check_eq "its image is the archive's" \
    "$(bsdtar -xOf "$zip" 3111-46162-001.sip.ld | sha256sum)" \
    "$(sha256sum <"$tmp/lib-damaged/packages/4.1.7.5432/3111-46162-001.sip.ld")"
check_eq "nothing is left of the damaged copy" "packages" \
    "$(ls -A "$tmp/lib-damaged")"
check_eq "the package holds the archive's files, and the manifest, only" \
    "$( (bsdtar -tf "$zip"; echo manifest.json) | sed 's,/.*,,' |
    tr A-Z a-z | LC_ALL=C sort -u)" \
    "$(ls -A "$tmp/lib-damaged/packages/4.1.7.5432" | tr A-Z a-z |
    LC_ALL=C sort)"
out=$("$ZTP_BIN" import --library "$tmp/lib-damaged" "$zip" 2>&1)
check_contains "a whole package imported again: nothing to do" \
    "is already in the library with the same files; nothing to do" "$out"
# A file gone (the cheap check) heals the same way.
rm "$tmp/lib-damaged/packages/4.1.7.5432/sip.ver"
out=$("$ZTP_BIN" import --library "$tmp/lib-damaged" "$zip" 2>&1)
check_contains "a package with a file gone is replaced too" \
    "(it was: sip.ver is missing (No such file or directory))" "$out"
check "and is whole" "$ZTP_BIN" library verify --library "$tmp/lib-damaged"

# Putting the byte back and verifying again clears the mark.
bsdtar -xOf "$zip" 3111-46162-001.sip.ld | dd of="$img" bs=1 skip=3000 seek=3000 count=1 conv=notrunc 2>/dev/null
touch -d "@$mtime" "$img"
out=$("$ZTP_BIN" library verify --library "$lib"); rc=$?
check_eq "a repaired file verifies again" 0 "$rc"
check_contains "and the package is whole" "4.1.7.5432: ok" "$out"

# A size change is seen without a re-hash.
echo extra >>"$lib/packages/4.1.7.5432/3111-44600-001.sip.ld"
list=$("$ZTP_BIN" library --library "$lib")
check_contains "a changed size is seen by the cheap check" \
    "DAMAGED, not served: 3111-44600-001.sip.ld has" "$list"
rm "$lib/packages/4.1.7.5432/sip.ver"
list=$("$ZTP_BIN" library --library "$lib")
check_contains "so is a missing file" "DAMAGED" "$list"

# An unreadable manifest is listed, not hidden.
echo '{broken' >"$lib/packages/4.1.7.5432/manifest.json"
list=$("$ZTP_BIN" library --library "$lib"); rc=$?
check_eq "library still exits 0 with a broken manifest" 0 "$rc"
check_contains "and names it" "manifest.json cannot be read" "$list"

# "Import the package again", as the listing says, heals it too: it said
# "remove ... and import again", and nothing at the appliance removes one.
out=$("$ZTP_BIN" import --library "$lib" "$zip" 2>&1); rc=$?
check_eq "a package whose manifest is unreadable is imported again" 0 "$rc"
check_contains "replacing the damaged copy, saying why" \
    "(it was: its manifest is unreadable (" "$out"
out=$("$ZTP_BIN" library verify --library "$lib"); rc=$?
check_eq "and verifies" 0 "$rc"
check_eq "nothing is left of the damaged copy" "packages" "$(ls -A "$lib")"

# A package that lacked an image, then the whole one: it was refused
# ("remove ... first"), and nothing at the appliance removes a package, so
# the VVX 410s were never served.  The whole one completes the copy.
mkdir "$tmp/part"
(cd "$tmp/part" && bsdtar -xf "$zip" && rm 3111-46162-001.sip.ld &&
    bsdtar --format zip -cf "$tmp/part.zip" .)
"$ZTP_BIN" import --library "$tmp/lib-part" "$tmp/part.zip" >/dev/null; rc=$?
check_eq "a package lacking an image imports" 0 "$rc"
out=$("$ZTP_BIN" import --library "$tmp/lib-part" "$zip" 2>&1); rc=$?
check_eq "the whole package then imports over it" 0 "$rc"
check_contains "saying what it added" "completed the copy of 4.1.7.5432 from $zip: " "$out"
check_contains "and which file" "(it was: it lacked 3111-46162-001.sip.ld)" "$out"
check_eq "the image is in the library, as in the package" \
    "$(bsdtar -xOf "$zip" 3111-46162-001.sip.ld | sha256sum)" \
    "$(sha256sum <"$tmp/lib-part/packages/4.1.7.5432/3111-46162-001.sip.ld")"
check "and the library verifies" "$ZTP_BIN" library verify --library "$tmp/lib-part"
check_eq "nothing is left of the old copy" "packages" "$(ls -A "$tmp/lib-part")"
# The other way round, a part over the whole, adds nothing: nothing to do
# (it was refused "remove ... first").
out=$("$ZTP_BIN" import --library "$tmp/lib-part" "$tmp/part.zip" 2>&1); rc=$?
check_eq "a part over the whole package exits 0" 0 "$rc"
check_contains "nothing to do, saying why" \
    "is already in the library with every file of this one and more (this one lacks 3111-46162-001.sip.ld); nothing to do" "$out"
check "and the whole stays" test -f "$tmp/lib-part/packages/4.1.7.5432/3111-46162-001.sip.ld"

# A library copied without its files' times (cp without -p): listed as
# modified, and the verification said "0 damaged" while every start
# refused the packages again.  A verification that finds the bytes whole
# records their new times.
sleep 1
cp -r "$tmp/lib-part" "$tmp/lib-copied"
check_contains "a copy without its times is listed as modified" \
    "was modified after import" "$("$ZTP_BIN" library --library "$tmp/lib-copied")"
out=$("$ZTP_BIN" library verify --library "$tmp/lib-copied"); rc=$?
check_eq "its verification finds it whole" "0" "$rc"
check_contains "and says so" "4.1.7.5432: ok" "$out"
check "then it is listed whole" sh -c \
    "! '$ZTP_BIN' library --library '$tmp/lib-copied' | grep -q DAMAGED"

"$ZTP_BIN" library --library "$lib" frobnicate >/dev/null 2>&1; rc=$?
check_eq "an unknown verb is a usage error" 2 "$rc"

# A mistyped --library: said so, and no folder is made (it was made, and
# listed as an empty library).
for verb in "" verify; do
	out=$("$ZTP_BIN" library $verb --library "$tmp/typo" 2>&1); rc=$?
	check_eq "library ${verb:+$verb }of a missing folder exits 1" 1 "$rc"
	check_contains "and says there is no library there" \
	    "no library at $tmp/typo (No such file or directory)" "$out"
	check "and makes no folder" test ! -e "$tmp/typo"
done
mkdir "$tmp/plain"
out=$("$ZTP_BIN" library --library "$tmp/plain" 2>&1); rc=$?
check_eq "a folder that is not a library exits 1" 1 "$rc"
check_contains "and says so" "$tmp/plain is not a library" "$out"
check "and gets no packages folder" test ! -e "$tmp/plain/packages"

done_testing
