#!/bin/sh
# A damaged journal (a stick pulled while it wrote, a flash that lost
# pages): pages in the middle of journal.db overwritten.  The report read
# from it says it is INCOMPLETE (it looked whole, exit 0); the daemon sets
# it aside, never deletes it, and starts a new journal with every row it
# can still read, saying so in the log, in status and in the new journal's
# report (it failed every write and so every phone); a phone then
# recovers, recorded.
. "$TOP/tests/lib.sh"
. "$TOP/tests/serve-lib.sh"

[ -x "$PHONESIM_BIN" ] || { skip "no phone simulator"; done_testing; exit 0; }
command -v jq >/dev/null || { skip "jq is not installed"; done_testing; exit 0; }

D=$(make_tmpdir)
serve_fixture "$D" || { skip "no synthetic packages"; done_testing; exit 0; }
boot() {	# boot MAC
	"$PHONESIM_BIN" --model VVX410 --version 4.1.4.7430 --mac "$1" \
	    --server "http://127.0.0.1:$HTTP/" --timeout 30 >"$D/$1.log" 2>&1
}
check "the daemon is up" serve_start "$D" --ca "$D/ca.pem" --quiet-period 1
for m in 0004f2c00001 0004f2c00002 0004f2c00003; do
	boot $m
done
check "three phones recovered" \
    wait_for 10 state_is "$D" 0004f2c00003 repointed-quiet
serve_stop

cp "$D/state/journal.db" "$D/whole.db"

# Pages 4 and 5 all 0xff: no b-tree page starts so (a fixed pattern, so
# that every run damages the same).
head -c 8192 /dev/zero | tr '\000' '\377' |
    dd of="$D/state/journal.db" bs=4096 seek=3 count=2 conv=notrunc \
    2>/dev/null
cp "$D/state/journal.db" "$D/damaged.db"
out=$("$ZTP_BIN" report --state "$D/state" --json 2>"$D/report.err")
rc=$?
check_eq "a report from the damaged journal exits 1" 1 "$rc"
check_contains "and says it is incomplete, and what to keep" \
    "the report is INCOMPLETE: the journal cannot be read whole (database disk image is malformed)" \
    "$(cat "$D/report.err")"
check_eq "the JSON says so itself" "database disk image is malformed" \
    "$(printf '%s' "$out" | jq -r .incomplete)"
check_contains "the CSV starts by saying so" \
    "INCOMPLETE: the journal cannot be read whole" \
    "$("$ZTP_BIN" report --state "$D/state" --csv 2>/dev/null | head -1)"

# Cut short (a copy), the phones themselves cannot be read.
mkdir -p "$D/cut"
head -c 20000 "$D/damaged.db" >"$D/cut/journal.db"
out=$("$ZTP_BIN" status --state "$D/cut" 2>&1)
check_eq "status without the daemon, on a journal cut short, exits 1" 1 "$?"
check_contains "and says what still works" \
    "the journal cannot be read (database disk image is malformed): 'ztp-rescue report' writes what it still holds" \
    "$out"

check "the daemon starts on it" serve_start "$D" --ca "$D/ca.pem" \
    --quiet-period 1
aside=$(ls "$D/state/" | grep '^journal\.db\.damaged-[0-9]*T[0-9]*Z$')
check "the damaged journal is kept aside, byte for byte" \
    cmp -s "$D/damaged.db" "$D/state/$aside"
check "no mark of a copy under way is left" test ! -e "$D/state/journal.salvaging"
check_contains "the log says so, and how to save what it holds" \
    "journal: $D/state/journal.db was damaged (" "$(cat "$D/serve.log")"
check_contains "and where it is" "it is kept as $D/state/$aside, and a new journal is started" \
    "$(cat "$D/serve.log")"
grep 'was damaged' "$D/serve.log" | sed 's/^/# /'
# Every row still readable goes into the new journal: the phones table is
# whole here (pages 4 and 5 held events), and the report keeps the three
# phones (it kept none: a closet's record lost to two pages).
check_contains "the log says what was copied" \
    "copied from it into the new journal: phones 3, events 0 (then: database disk image is malformed)" \
    "$(cat "$D/serve.log")"
check_eq "the phones it held are in the new journal" \
    "repointed-quiet repointed-quiet repointed-quiet" \
    "$(for m in 0004f2c00001 0004f2c00002 0004f2c00003; do
	phone_field "$D" $m state; done | tr '\n' ' ' | sed 's/ $//')"
check_eq "status --json: where it is" "$D/state/$aside" \
    "$("$ZTP_BIN" status --state "$D/state" --json | jq -r .appliance.journal_set_aside.path)"
check_contains "status says so" \
    "The journal was damaged when the daemon started: it is kept as $D/state/$aside" \
    "$("$ZTP_BIN" status --state "$D/state")"
check_eq "the new journal writes" null \
    "$("$ZTP_BIN" status --state "$D/state" --json | jq -r .appliance.journal_error)"
boot 0004f2c00004
check "a phone then recovers" \
    wait_for 10 state_is "$D" 0004f2c00004 repointed-quiet
serve_stop
out=$("$ZTP_BIN" report --state "$D/state" --json)
check_eq "the new journal's report is whole" "0 null" \
    "$?$(printf '%s' "$out" | jq -r ' " " + (.incomplete | tostring)')"
check_eq "and names the journal set aside" "$D/state/$aside" \
    "$(printf '%s' "$out" | jq -r .journal_set_aside.path)"
check_eq "with the phone recorded" "repointed-quiet" \
    "$(printf '%s' "$out" | jq -r '.phones[] | select(.mac == "0004f2c00004") | .state')"
csv=$("$ZTP_BIN" report --state "$D/state" --csv)
check_contains "the CSV says first that the journal was set aside, and where" \
    "JOURNAL SET ASIDE: the journal was damaged when the daemon started and is kept as $D/state/$aside" \
    "$(printf '%s\n' "$csv" | head -1)"
check_eq "then the phones' header" "mac,ip,model" \
    "$(printf '%s\n' "$csv" | sed -n 2p | cut -d, -f1-3)"

# A journal cut short by its last page (a copy that did not finish): every
# statement on it failed, the salvage copied nothing, and the closet's
# record was gone from every view.  It is read as if the page were zeros.
mkdir -p "$D/cut2/state"
ln -s "$D/library" "$D/cut2/library"
head -c -4096 "$D/whole.db" >"$D/cut2/state/journal.db"
check "the daemon starts on a journal cut short" serve_start "$D/cut2" \
    --ca "$D/ca.pem" --quiet-period 1
check_contains "it copies the phones it still holds" \
    "copied from it into the new journal: phones 3" "$(cat "$D/cut2/serve.log")"
check_eq "they are in the new journal" "repointed-quiet" \
    "$(phone_field "$D/cut2" 0004f2c00002 state)"
check_eq "the copy made to read it is gone" "" \
    "$(ls "$D/cut2/state" | grep salvage)"
serve_stop

# Stopped while it copied: the damaged journal renamed, the new one not yet
# committed.  The next start came back on the empty new journal with no
# word of the old one, and the closet's record was gone from every view.
# The mark left before the rename makes the next start copy it again.
mkdir -p "$D/cut3/state"
ln -s "$D/library" "$D/cut3/library"
old3="$D/cut3/state/journal.db.damaged-20261201T000000Z"
cp "$D/whole.db" "$old3"
printf '%s\n%s\n' "$old3" "database disk image is malformed" \
    >"$D/cut3/state/journal.salvaging"
: >"$D/cut3/state/journal.db"
# Read before the daemon starts: an empty closet was shown as whole.
"$ZTP_BIN" report --state "$D/cut3/state" --json >"$D/cut3.json" 2>"$D/cut3.err"
check_eq "a report while the copy is unfinished exits 1" 1 "$?"
check_contains "saying the copy is unfinished, naming the file, and what to do" \
    "the daemon stopped while it copied the damaged journal $old3 into this one, so what that held is not all here: start the daemon ('ztp-rescue serve') to finish the copy" \
    "$(jq -r .incomplete "$D/cut3.json")"
check_contains "status says so too" "the daemon stopped while it copied the damaged journal" \
    "$("$ZTP_BIN" status --state "$D/cut3/state" 2>&1)"
check "the daemon starts after a copy cut short" serve_start "$D/cut3" \
    --ca "$D/ca.pem" --quiet-period 1
check_contains "it copies again, saying why" \
    "its copy into a new journal was cut short (the daemon stopped) and is made again" \
    "$(cat "$D/cut3/serve.log")"
check_eq "the phones are in the new journal" "repointed-quiet" \
    "$(phone_field "$D/cut3" 0004f2c00003 state)"
check_eq "status names the journal set aside" "$old3" \
    "$("$ZTP_BIN" status --state "$D/cut3/state" --json | jq -r .appliance.journal_set_aside.path)"
check "the mark is gone once the copy is committed" \
    test ! -e "$D/cut3/state/journal.salvaging"
serve_stop
check "no sanitizer report in the daemon's log" \
    test "$(grep -c 'Sanitizer\|runtime error' "$D/serve.log" "$D/cut2/serve.log" "$D/cut3/serve.log" | grep -v ':0$')" = ""
done_testing
