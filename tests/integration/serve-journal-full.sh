#!/bin/sh
# The journal on a full disk: the state directory is a 4 MB tmpfs, filled
# up once the daemon runs.  A phone that boots then must not be changed (it
# was given its image, CA and re-point while nothing of it was recorded, and
# the report said "seen"): every request is refused "try later" (HTTP 503
# with Retry-After), status and the log say why, and the daemon stays up.
# With room again the phone's next boot recovers it, recorded.
. "$TOP/tests/lib.sh"
. "$TOP/tests/serve-lib.sh"

need_root "a tmpfs mount"
[ -x "$PHONESIM_BIN" ] || { skip "no phone simulator"; done_testing; exit 0; }
command -v jq >/dev/null || { skip "jq is not installed"; done_testing; exit 0; }

D=$(make_tmpdir)
serve_fixture "$D" || { skip "no synthetic packages"; done_testing; exit 0; }
mount -t tmpfs -o size=4m,mode=0700 ztp-test-journal "$D/state" ||
    { skip "cannot mount a tmpfs"; done_testing; exit 0; }
at_exit "umount -l '$D/state'"
check "the daemon is up" serve_start "$D" --ca "$D/ca.pem" --quiet-period 1

journal_error() {
	"$ZTP_BIN" status --state "$D/state" --json |
	    jq -r '.appliance.journal_error'
}
boot() {	# boot PHONE-LOG: one phone, kept in $D/phone.state
	"$PHONESIM_BIN" --model VVX410 --version 4.0.2.11307 \
	    --mac 0004f2c00001 --state "$D/phone.state" \
	    --server "http://127.0.0.1:$HTTP/" --timeout 30 >"$1" 2>&1
}
check_eq "status: the journal writes" "null" "$(journal_error)"

dd if=/dev/zero of="$D/state/fill" bs=64k 2>/dev/null
boot "$D/boot1.log"
check "a phone booting then is not recovered" test $? != 0
check_eq "and keeps its firmware" "version 4.0.2.11307" \
    "$(grep '^version' "$D/phone.state")"
check_eq "it was given no image and no trust file" "" \
    "$(grep -E 'GET [^ ]*(sip\.ld|ztp-rescue-[^ ]*\.cfg) 200' "$D/boot1.log")"
check_contains "its master config was refused: try later" \
    "GET 0004f2c00001.cfg 503" "$(cat "$D/boot1.log")"
check_contains "the log says the journal cannot write, and why" \
    "journal: cannot write: the disk holding it is full" \
    "$(cat "$D/serve.log")"
check_contains "and why a request is not answered" \
    "not answered: its journal cannot write (the disk holding it is full)" \
    "$(cat "$D/serve.log")"
check_eq "status --json: journal_error" "the disk holding it is full" \
    "$(journal_error)"
check_contains "status says it first, with what to do" \
    "THE JOURNAL CANNOT WRITE: the disk holding it is full. No phone is answered until it can: free space" \
    "$("$ZTP_BIN" status --state "$D/state" | head -1)"
if command -v tmux >/dev/null; then
	T="tmux -L journal-full-$$ -f /dev/null"
	at_exit "$T kill-server 2>/dev/null"
	$T new-session -d -s console -x 80 -y 24 \
	    "$ZTP_BIN console --state $D/state --no-start 2>/dev/null"
	third() { $T capture-pane -p -t console | sed -n 3p; }
	says_full() { third | grep -F -q "JOURNAL CANNOT WRITE"; }
	wait_for 20 says_full
	check_eq "the console's third line says so, in 80 columns" \
	    " JOURNAL CANNOT WRITE (the disk holding it is full): phones wait: free space" \
	    "$(third | sed 's/ *$//')"
fi
hdr=$(curl -s -D - -o /dev/null "http://127.0.0.1:$HTTP/000000000000.cfg")
check_contains "HTTP: 503" "HTTP/1.1 503" "$hdr"
check_contains "HTTP: Retry-After" "Retry-After: 30" "$hdr"
# A HEAD gets the head alone (-X HEAD: curl reads whatever follows it).
hdr=$(curl -s -0 -i -X HEAD "http://127.0.0.1:$HTTP/000000000000.cfg")
check_contains "HEAD: 503 with Retry-After" "Retry-After: 30" "$hdr"
check_eq "HEAD: and no body after its head" "" \
    "$(printf '%s\n' "$hdr" | grep 'try again later')"
cc -O1 -o "$D/tftp-tool" "$TOP/tests/integration/tftp-tool.c"
check_contains "TFTP: an error that says why (code 0: try later)" \
    "ERROR 0 its journal cannot write (the disk holding it is full)" \
    "$("$D/tftp-tool" probe 127.0.0.1 "$TFTP" 1 000000000000.cfg)"
check "the daemon is still up" kill -0 "$SERVE_PID"
printf '0004f2c00001\n' >"$D/phones.csv"
"$ZTP_BIN" batch --state "$D/state" --inventory "$D/phones.csv" \
    --timeout 1 --no-start --report "$D/batch.json" >/dev/null 2>"$D/batch.err"
check_contains "batch tells its operator why nothing moves" \
    "ztp-rescue batch: the daemon's journal cannot write (the disk holding it is full): no phone is answered until it can" \
    "$(cat "$D/batch.err")"

rm -f "$D/state/fill"
journal_writes() { test "$(journal_error)" = null; }
check "with room again the journal writes (status)" wait_for 10 journal_writes
if command -v tmux >/dev/null; then
	says_normal() { third | grep -F -q "re-point ztp"; }
	check "the console's third line is back to the settings" \
	    wait_for 20 says_normal
	$T kill-server 2>/dev/null
fi
check_contains "and the log says so" \
    "journal: writes work again (they failed: the disk holding it is full)" \
    "$(cat "$D/serve.log")"
boot "$D/boot2.log"
check "the phone's next boot recovers it" test $? = 0
check_eq "on the target" "version 4.1.7.5432" \
    "$(grep '^version' "$D/phone.state")"
check "the journal has it re-pointed" \
    wait_for 10 state_is "$D" 0004f2c00001 repointed-quiet
serve_stop
report=$("$ZTP_BIN" report --state "$D/state" --json)
check_eq "the report, from the journal: re-pointed" "repointed-quiet" \
    "$(echo "$report" | jq -r '.phones[] | select(.mac == "0004f2c00001") | .state')"
check_contains "with the image it was given" "3111-46162-001.sip.ld" \
    "$(echo "$report" | jq -c '.phones[0].delivered')"

# The stick remounted read-only (after I/O errors): the journal is whole,
# and was reported damaged ("unable to open database file"), with no phone:
# a reader could not make the -shm a WAL journal needs.
mount -o remount,ro "$D/state"
out=$("$ZTP_BIN" report --state "$D/state" --json 2>"$D/ro.err"); rc=$?
check_eq "a report on a read-only state folder exits 0" 0 "$rc"
check_eq "and holds the phone, whole" "repointed-quiet null" \
    "$(echo "$out" | jq -r '(.phones[] | select(.mac == "0004f2c00001") | .state) + " " + (.incomplete | tostring)')"
check_contains "status too" "0004f2c00001" \
    "$("$ZTP_BIN" status --state "$D/state" 2>&1)"
mount -o remount,rw "$D/state"
# Its log left by a daemon killed, its -shm lost (a copy): SQLite cannot
# read the log there.  It said "unable to open database file" and "keep
# the damaged journal.db"; it says what to do.
serve_start "$D" >/dev/null 2>&1
kill -9 "$SERVE_PID"; wait "$SERVE_PID" 2>/dev/null
rm -f "$D/state/journal.db-shm"
mount -o remount,ro "$D/state"
"$ZTP_BIN" report --state "$D/state" --json >/dev/null 2>"$D/ro.err"
check_contains "a log without its -shm on a read-only disk: what to do" \
    "cannot be read on a read-only file system without its -shm: copy the state folder to a writable disk and read it there" \
    "$(cat "$D/ro.err")"
check "and it is not called damaged" sh -c "! grep -q damaged '$D/ro.err'"
mount -o remount,rw "$D/state"

# The disk full when the daemon starts, its journal's log (left above) to
# recover: it said only "journal: disk I/O error", and status and report
# called the journal damaged (and to set it aside) while it was whole.
dd if=/dev/zero of="$D/state/fill" bs=64k 2>/dev/null
dd if=/dev/zero of="$D/state/fill2" bs=512 2>/dev/null
serve_start "$D" >/dev/null 2>&1
check "a start on a full disk fails" wait_for 10 sh -c "! kill -0 $SERVE_PID 2>/dev/null"
check_contains "saying the disk is full, and that the journal is not damaged" \
    "the disk holding it is full: free space on it, then try again; the journal is not damaged by this" \
    "$(tail -2 "$D/serve.log")"
check_eq "nothing is set aside as damaged" "" \
    "$(ls "$D/state" | grep damaged)"
out=$("$ZTP_BIN" status --state "$D/state" 2>&1)
case $out in
*"sets a damaged one aside"*)
	check "status on a full disk does not call the journal damaged" false ;;
*)	check "status on a full disk does not call the journal damaged" true ;;
esac
rm -f "$D/state/fill" "$D/state/fill2"
check_eq "with room again the phone is there" "repointed-quiet" \
    "$(phone_field "$D" 0004f2c00001 state)"
check "no sanitizer report in the daemon's log" \
    test "$(grep -c 'Sanitizer\|runtime error' "$D/serve.log")" = 0
done_testing
