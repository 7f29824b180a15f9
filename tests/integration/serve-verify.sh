#!/bin/sh
# The daemon re-hashes its library in a child process after start: a byte
# changed in an image with its size and mtime put back (which the cheap
# checks cannot see) makes that package damaged, and its images are no
# longer offered or served once the verification has finished.  "library"
# with {"verify":true} runs it again on demand, with "verify" events.
. "$TOP/tests/lib.sh"
. "$TOP/tests/serve-lib.sh"

d=$(make_tmpdir)
mkdir -p "$d/state"
"$SYNTH_BIN" --out "$d/syn" --size tiny --version 4.0.8 --format dir \
    >/dev/null 2>&1
"$SYNTH_BIN" --out "$d/syn" --size tiny --version 4.1.7 --format dir \
    >/dev/null 2>&1
for p in "$d/syn/"*; do
	"$ZTP_BIN" import --library "$d/library" "$p" >/dev/null
done
pkg408="$d/library/packages/4.0.8.0931"
bad=$(cd "$pkg408" && ls *.sip.ld | head -1)
badpart=${bad%.sip.ld}
good=$(cd "$d/library/packages/4.1.7.5432" && ls *.sip.ld | head -1)
goodpart=${good%.sip.ld}

# One byte of the payload changed; size and mtime as they were.
f="$pkg408/$bad"
touch -r "$f" "$d/stamp"
size=$(stat -c %s "$f")
orig=$(dd if="$f" bs=1 skip=1000 count=1 2>/dev/null | od -An -tx1 | tr -d ' ')
if [ "$orig" = 41 ]; then new='\102'; else new='\101'; fi
printf "$new" | dd of="$f" bs=1 seek=1000 count=1 conv=notrunc 2>/dev/null
touch -r "$d/stamp" "$f"
check_eq "same size" "$size" "$(stat -c %s "$f")"
check_eq "the cheap checks see nothing" null \
    "$("$ZTP_BIN" library --library "$d/library" --json |
    jq -c '.packages[] | select(.id == "4.0.8.0931") | .damage')"

serve_start "$d"
check "the start-up verification finishes" wait_for 30 grep -q \
    "library verified: 2 package(s), 1 damaged" "$d/serve.log"
check_contains "it logs which package and why" \
    "package 4.0.8.0931 is damaged and is not served: $bad does not match its SHA-256" \
    "$(cat "$d/serve.log")"
check_contains "the daemon's library marks it" "does not match its SHA-256" \
    "$("$ZTP_BIN" ctl --state "$d/state" --json library |
    jq -r '.packages[] | select(.id == "4.0.8.0931") | .damage')"

# Not offered (master config) and not served (image request).
cfg=$(curl -s "http://127.0.0.1:$HTTP/000000000000.cfg")
check "the master config no longer names the damaged image" \
    sh -c "! printf '%s' '$cfg' | grep -q '$badpart.sip.ld'"
check_contains "the master config still names an intact image" \
    "$goodpart.sip.ld" "$cfg"
check_eq "the damaged image is not served" 404 \
    "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$HTTP/$bad")"
check_eq "an intact image is" 200 \
    "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$HTTP/$good")"
# A phone asking for it is held, and told why.  (A User-Agent that names
# no model: the request is the phone's by its address, as a Polycom one.)
ua="FileTransport Polycom"
get "$ua" 127.0.0.61 0004f2006001.cfg >/dev/null
check_eq "a phone asking for the damaged image gets a 404" 404 \
    "$(get "$ua" 127.0.0.61 "$bad")"
check_eq "and is held" held "$(phone_field "$d" 0004f2006001 state)"
check_contains "with the damage as the reason" \
    "package 4.0.8.0931 is damaged and is not served ($bad does not match" \
    "$(phone_field "$d" 0004f2006001 reason)"

# On demand, with events.
watch_events "$d"
answer=$("$ZTP_BIN" ctl --state "$d/state" --json library verify:=true)
job=$(printf '%s' "$answer" | jq .job)
check_eq "verify on demand is a job" "true 2" \
    "$(printf '%s' "$answer" | jq -r '"\(.started) \(.job)"')"
check "its outcome is told" wait_for 30 grep -q '"event":"verify".*"done"' \
    "$d/events"
check_eq "events: started then done" "started done " \
    "$(jq -r "select(.event == \"verify\" and .job == $job) | .status" \
    "$d/events" | tr '\n' ' ')"
check_eq "done lists the damaged package" '[1,["4.0.8.0931"]]' \
    "$(jq -c 'select(.event == "verify" and .status == "done") |
    [.damaged, [.damage[].id]]' "$d/events")"
serve_stop

# Repaired, a restart serves it again (the mark is lifted by verify).
printf "\\$(printf %o 0x$orig)" | dd of="$f" bs=1 seek=1000 count=1 \
    conv=notrunc 2>/dev/null
touch -r "$d/stamp" "$f"
serve_start "$d"
check "the verification after the repair finishes" wait_for 30 grep -q \
    "library verified: 2 package(s), 0 damaged" "$d/serve.log"
check_eq "the repaired image is served again" 200 \
    "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$HTTP/$bad")"
check_contains "and offered again" "$badpart.sip.ld" \
    "$(curl -s "http://127.0.0.1:$HTTP/000000000000.cfg")"
serve_stop

# --no-verify: no job at start.
before=$(grep -c 'library verified' "$d/serve.log")
serve_start "$d" --no-verify
sleep 1
check_eq "--no-verify runs no verification" "$before" \
    "$(grep -c 'library verified' "$d/serve.log")"
serve_stop

# "Import it again", as the held phone's reason says: the same package
# replaces the damaged copy, and the phone held for it goes on (the import
# said "nothing to do", and the phone stayed held).
printf "$new" | dd of="$f" bs=1 seek=1000 count=1 conv=notrunc 2>/dev/null
touch -r "$d/stamp" "$f"
serve_start "$d"
check "damaged again at start" wait_for 30 grep -q \
    "library verified: 2 package(s), 1 damaged" "$d/serve.log"
get "$ua" 127.0.0.62 0004f2006002.cfg >/dev/null
get "$ua" 127.0.0.62 "$bad" >/dev/null
check_eq "a phone asking for it is held" held \
    "$(phone_field "$d" 0004f2006002 state)"
src=$(ls -d "$d/syn/"*4_0_8*)
"$ZTP_BIN" ctl --state "$d/state" import "paths[]=$src" >/dev/null
check "the import replaces the damaged copy" wait_for 30 grep -q \
    "replaced the damaged copy of 4.0.8.0931" "$d/serve.log"
not_held() { [ "$(phone_field "$d" 0004f2006002 state)" != held ]; }
check "the phone held for it goes on" wait_for 10 not_held
check_eq "to where it was before the hold" identified \
    "$(phone_field "$d" 0004f2006002 state)"
check_eq "the image is served again" 200 \
    "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$HTTP/$bad")"
check_eq "and the daemon's library holds it whole" null \
    "$("$ZTP_BIN" ctl --state "$d/state" --json library |
    jq -c '.packages[] | select(.id == "4.0.8.0931") | .damage')"
serve_stop
check "the daemon left no sanitizer report" sh -c \
    "! grep -q Sanitizer '$d/serve.log'"
done_testing
