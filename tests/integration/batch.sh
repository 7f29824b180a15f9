#!/bin/sh
# Batch mode against a daemon and simulated phones: exit 0 when every listed
# phone recovers, 3 when one does not (timeout), 2 for a bad inventory or
# command line, 1 with no daemon; JSON lines; the report written; phones
# outside the inventory held with --only-inventory; it never reads stdin.
# Also watch (one line per event) and ctl (one request).
. "$TOP/tests/lib.sh"
. "$TOP/tests/serve-lib.sh"

[ -x "$PHONESIM_BIN" ] || { skip "no phone simulator"; done_testing; exit 0; }
command -v jq >/dev/null || { skip "jq is not installed"; done_testing; exit 0; }

d=$(make_tmpdir)

# Usage errors: exit 2 before anything else happens.
printf 'mac,model,label\n0004f2b00001,VVX410,desk 1\n00:04:f2:zz:00:02\n' \
    >"$d/bad.csv"
err=$("$ZTP_BIN" batch --state "$d/none" --inventory "$d/bad.csv" 2>&1); rc=$?
check_eq "a bad inventory line exits 2" 2 "$rc"
check_contains "it names file, line and reason" \
    "$d/bad.csv:3: '00:04:f2:zz:00:02' is not a MAC address" "$err"
"$ZTP_BIN" batch --state "$d/none" >/dev/null 2>&1; rc=$?
check_eq "no --inventory exits 2" 2 "$rc"
printf '0004f2b00001\n' >"$d/one.csv"
err=$("$ZTP_BIN" batch --state "$d/none" --inventory "$d/one.csv" \
    --timeout 5x 2>&1); rc=$?
check_eq "a bad --timeout exits 2" 2 "$rc"
check_contains "and says what a duration is" "'5x' is not a duration" "$err"
err=$("$ZTP_BIN" batch --state "$d/none" --inventory "$d/one.csv" \
    --max-flashes 0 2>&1); rc=$?
check_eq "a --max-flashes out of range exits 2" 2 "$rc"
check_contains "and names the range" "--max-flashes: 0 is outside 1..20" "$err"
err=$("$ZTP_BIN" batch --state "$d/none" --inventory "$d/one.csv" \
    --unknown-version maybe 2>&1); rc=$?
check_eq "a bad --unknown-version exits 2" 2 "$rc"
check_contains "and names the choices" \
    "--unknown-version must be 'upgrade' or 'hold', not 'maybe'" "$err"
err=$("$ZTP_BIN" batch --state "$d/none" --inventory "$d/one.csv" \
    --no-start 2>&1); rc=$?
check_eq "no daemon (and --no-start) exits 1" 1 "$rc"
check_contains "and says how to start one" "no daemon is running" "$err"
check "and does not first say it is waiting" sh -c \
    'case "$1" in *"waiting up to"*) exit 1 ;; esac' _ "$err"

# A German Excel "CSV": ';', quoted, padded with empty columns; one phone.
printf '"MAC";"Modell";"Bezeichnung"\r\n"00:04:F2:B0:00:01";"VVX410";"Platz 3, links";;\r\n' \
    >"$d/excel.csv"
out=$("$ZTP_BIN" batch --state "$d/none" --inventory "$d/excel.csv" \
    --no-start --json 2>"$d/excel.err"); rc=$?
check_eq "a ';' spreadsheet inventory is read (then no daemon: exit 1)" 1 "$rc"
check_eq "and counted as one phone" \
    '{"event":"start","total":1,"timeout":1800}' "$(printf '%s\n' "$out" | head -1)"

serve_fixture "$d" || { skip "no synthetic packages"; done_testing; exit 0; }
serve_start "$d" --ca "$d/ca.pem" --quiet-period 1 ||
    { echo "not ok - the daemon did not start"; cat "$d/serve.log"; exit 1; }

# watch: the first event of a phone, as JSON and as a line (log and
# library events come too: ten events hold a phone's).
"$ZTP_BIN" watch --state "$d/state" --json --count 10 >"$d/watch.json" &
w1=$!
"$ZTP_BIN" watch --state "$d/state" --count 10 >"$d/watch.txt" &
w2=$!
# And every line of the whole recovery.
"$ZTP_BIN" watch --state "$d/state" >"$d/watch-all.txt" &
w3=$!
at_exit "kill $w3 2>/dev/null"
sleep 1

# Three phones show up; the inventory lists two of them.
printf 'MAC,model,label\n00:04:F2:B0:00:01,VVX410,desk 1\n0004f2b00002,VVX410\n' \
    >"$d/inv.csv"
"$PHONESIM_BIN" --model VVX410 --version 4.1.4.7430 --mac 0004f2b00001 \
    --fleet 2 --server "http://127.0.0.1:$HTTP/" --timeout 60 \
    >"$d/sim.log" 2>&1 &
sim=$!
at_exit "kill $sim 2>/dev/null"
"$PHONESIM_BIN" --model VVX311 --version 5.4.0.12410 --mac 0004f2b00009 \
    --server "http://127.0.0.1:$HTTP/" --timeout 20 >"$d/sim9.log" 2>&1 &
sim9=$!
at_exit "kill $sim9 2>/dev/null"

# stdin is a pipe nobody writes to: batch must not wait for it (a fifo
# held open by a sleeping writer, ended once batch is done, where
# `sleep 60 | batch` would keep the suite waiting for the sleep).  Freed
# memory is overwritten: batch compared a phone's new state with its last
# one after freeing that (a read inside libjansson, which ASan does not
# see), and printed the same line again and again.
mkfifo "$d/stdin"
sleep 60 >"$d/stdin" &
writer=$!
ASAN_OPTIONS="${ASAN_OPTIONS:-}:max_free_fill_size=4096:free_fill_byte=255" \
    "$ZTP_BIN" batch --state "$d/state" --inventory "$d/inv.csv" \
    --timeout 60 --json --only-inventory --report "$d/report.csv" \
    <"$d/stdin" >"$d/batch.json" 2>"$d/batch.err"; rc=$?
kill "$writer" 2>/dev/null
check_eq "every listed phone repointed-quiet: exit 0" 0 "$rc"
check "with a CA installed batch does not say there is none" sh -c \
    "! grep -q 'no CA certificate' '$d/batch.err'"
check "every line is JSON" sh -c "jq -e . '$d/batch.json' >/dev/null"
last=$(tail -1 "$d/batch.json")
check_eq "the last line says how it ended" "done 2 0 0 0" \
    "$(printf '%s' "$last" | jq -r '"\(.event) \(.["repointed-quiet"]) \(.failed) \(.timed_out) \(.exit)"')"
check_eq "the report path is in it" "$d/report.csv" \
    "$(printf '%s' "$last" | jq -r .report)"
check_eq "one progress line per state change of a phone" "" \
    "$(for m in 0004f2b00001 0004f2b00002; do
	jq -r "select(.event == \"phone\" and .mac == \"$m\") | .state" \
	    "$d/batch.json" | uniq -d
    done)"
check "progress lines name the label" \
    grep -q '"mac":"0004f2b00001","label":"desk 1"' "$d/batch.json"
check "progress lines reach repointed-quiet" \
    grep -q '"state":"repointed-quiet","reason":null,"done":2,"total":2' \
    "$d/batch.json"
check "the report is written" test -s "$d/report.csv"
check "the report has the first phone" grep -q 0004f2b00001 "$d/report.csv"
check "the report has the second phone" grep -q 0004f2b00002 "$d/report.csv"
wait_for 20 state_is "$d" 0004f2b00009 held
check_eq "the phone outside the inventory is held" held \
    "$(phone_field "$d" 0004f2b00009 state)"
check "and batch said so" grep -q '"event":"held","mac":"0004f2b00009"' \
    "$d/batch.json"
check_contains "with batch's reason (the daemon dropped it before)" \
    "not in the batch inventory (--only-inventory); it was " \
    "$(phone_field "$d" 0004f2b00009 reason)"

wait "$w1" "$w2"
check_eq "watch --json prints a daemon event" phone \
    "$(jq -r 'select(.event == "phone") | .event' "$d/watch.json" \
    2>/dev/null | head -1)"
check_eq "watch --count stops after that many events" 10 \
    "$(wc -l <"$d/watch.json" | tr -d ' ')"
check "watch prints one line per event" \
    grep -q '^[0-9][0-9]:[0-9][0-9]:[0-9][0-9] phone 0004f2b0000' "$d/watch.txt"
# A phone's line says where it is taken (it said "4.1.4.7430 -> 4.1.4.7430
# upgrading"), and comes when it changes: the daemon's events for bytes
# served printed the same line again and again.  (The watcher may read the
# last event after batch did: waited for.)
check "an upgrading phone's line names its target" \
    grep -q ' phone 0004f2b00001 [0-9.]* VVX410 4.1.4.7430 -> 4.1.7.5432 upgrading$' \
    "$d/watch-all.txt"
check "and a recovered one the version it runs" wait_for 10 \
    grep -q ' phone 0004f2b00001 [0-9.]* VVX410 4.1.4.7430 -> 4.1.7.5432 repointed-quiet$' \
    "$d/watch-all.txt"
kill "$w3"
check_eq "no phone line is the one before it for that phone again" "" \
    "$(for m in 0004f2b00001 0004f2b00002; do
	grep " phone $m " "$d/watch-all.txt" | cut -d' ' -f2- | uniq -d
    done)"

# A listed phone that never shows up: exit 3 when the time is up.
printf '0004f2b00001\n0004f2b000ff,VVX500,nobody\n' >"$d/inv2.csv"
out=$("$ZTP_BIN" batch --state "$d/state" --inventory "$d/inv2.csv" \
    --timeout 2 </dev/null); rc=$?
check_eq "a missing phone: exit 3" 3 "$rc"
check_contains "the summary names it" "0004f2b000ff nobody  never seen  TIMEOUT" "$out"
check_contains "and counts" "1 of 2 repointed-quiet, 0 failed, 1 timed out; report $d/state/reports/batch-" "$out"
check "the default report is in the state directory" \
    sh -c "ls '$d/state/reports/'batch-*.json >/dev/null"

# --report is checked before the wait: a folder that is not there (found
# only at the end, the whole --timeout later), a device (it replaced
# /dev/full with a file), a folder.
for bad in "$d/typo/r.csv" /dev/null "$d" ""; do
	err=$("$ZTP_BIN" batch --state "$d/state" --inventory "$d/one.csv" \
	    --timeout 30 --report "$bad" </dev/null 2>&1 >/dev/null); rc=$?
	check_eq "--report '$bad': a usage error at once" 2 "$rc"
done
check_contains "a missing folder is named" \
    "--report: there is no folder $d/typo for the report $d/typo/r.csv" \
    "$("$ZTP_BIN" batch --state "$d/state" --inventory "$d/one.csv" \
    --report "$d/typo/r.csv" 2>&1 </dev/null)"
check_contains "a device is refused" "/dev/null is a device or a pipe, not a file" \
    "$("$ZTP_BIN" batch --state "$d/state" --inventory "$d/one.csv" \
    --report /dev/null 2>&1 </dev/null)"
check "and is left a device" test -c /dev/null
# The inventory itself (or a link to it): it was replaced by the report,
# and the run exited 0.
cp "$d/one.csv" "$d/inv-copy.csv"
ln -s "$d/inv-copy.csv" "$d/inv-link.csv"
for same in "$d/inv-copy.csv" "$d/inv-link.csv"; do
	err=$("$ZTP_BIN" batch --state "$d/state" --inventory "$d/inv-copy.csv" \
	    --timeout 30 --report "$same" </dev/null 2>&1 >/dev/null); rc=$?
	check_eq "--report naming the inventory ($same): a usage error" 2 "$rc"
	check_contains "(said)" "is the inventory: the report would replace it" "$err"
done
check_eq "the inventory is left as it was" "$(cat "$d/one.csv")" \
    "$(cat "$d/inv-copy.csv")"
# A link to a report: the file it names is written, the link stays.
: >"$d/real-report.csv"
ln -s "$d/real-report.csv" "$d/link.csv"
"$ZTP_BIN" batch --state "$d/state" --inventory "$d/one.csv" --timeout 30 \
    --report "$d/link.csv" </dev/null >/dev/null 2>&1
check "a link given as --report stays a link" test -L "$d/link.csv"
check "and the file it names gets the report" grep -q 0004f2b00001 \
    "$d/real-report.csv"

# Stopped (SIGTERM) while it waits: the report is still written, --json
# still ends with its done line (it died with neither), the exit status
# is the signal's as a shell tells it, and the summary says "not done".
# stopped_batch OUT [ARGS...]: batch for inv2.csv, SIGTERM once it has
# printed its first phone repointed-quiet; its output in OUT, status in rc.
stopped_batch() {
	_out=$1; shift
	"$ZTP_BIN" batch --state "$d/state" --inventory "$d/inv2.csv" \
	    --timeout 120 "$@" </dev/null >"$_out" 2>&1 &
	_bpid=$!
	at_exit "kill $_bpid 2>/dev/null"
	wait_for 20 grep -q 'repointed-quiet' "$_out"
	kill -TERM "$_bpid"
	wait "$_bpid"; rc=$?
}
stopped_batch "$d/stopped.out" --json --report "$d/stopped.json"
check_eq "SIGTERM: exit 143" 143 "$rc"
# The phone left is not done, not timed out (the line said timed_out 1).
check_eq "--json ends with its done line, saying what stopped it" \
    "done SIGTERM 0 1 143 $d/stopped.json" \
    "$(tail -1 "$d/stopped.out" | jq -r '"\(.event) \(.stopped_by) \(.timed_out) \(.not_done) \(.exit) \(.report)"')"
check "the report is written" grep -q 0004f2b00001 "$d/stopped.json"
stopped_batch "$d/stopped.txt"
check_eq "in text too: exit 143" 143 "$rc"
check_contains "the phone not seen is not done, not timed out" \
    "0004f2b000ff nobody  never seen  NOT DONE" "$(cat "$d/stopped.txt")"
check_contains "the counts say what stopped it, and when" \
    "1 of 2 repointed-quiet, 0 failed, 1 not done (stopped by SIGTERM at " \
    "$(cat "$d/stopped.txt")"
# No daemon to ask: --json's done line still ends it, with the reason.
out=$("$ZTP_BIN" batch --state "$d/none" --inventory "$d/one.csv" --json \
    --no-start </dev/null 2>/dev/null); rc=$?
check_eq "no daemon with --no-start: exit 1" 1 "$rc"
check_contains "--json's last line is done, with the reason" \
    "done 1 no daemon is running" \
    "$(printf '%s\n' "$out" | tail -1 | jq -r '"\(.event) \(.exit) \(.error)"')"

# The policy from batch's command line reaches the running daemon before
# the wait (a daemon batch starts itself has serve's defaults).
policy() {
	"$ZTP_BIN" ctl --state "$d/state" --json status |
	    jq -r '"\(.appliance.max_flashes) \(.appliance.unknown_version)"'
}
check_eq "the daemon starts with the defaults" "3 upgrade" "$(policy)"
out=$("$ZTP_BIN" batch --state "$d/state" --inventory "$d/one.csv" \
    --timeout 10 --max-flashes 2 --unknown-version hold </dev/null); rc=$?
check_eq "batch with a policy: exit 0" 0 "$rc"
check_eq "the daemon took --max-flashes and --unknown-version" "2 hold" \
    "$(policy)"
out=$("$ZTP_BIN" batch --state "$d/state" --inventory "$d/one.csv" \
    --timeout 10 --max-flashes 5 </dev/null); rc=$?
check_eq "only what is given changes" "5 hold" "$(policy)"

# A later job on the same appliance.  A phone an earlier run recovered and
# not in this inventory keeps its record: it was held, and its report then
# said held.  With another re-point target, a listed phone recovered under
# the old one is this run's failure, said at once: it counted as done and
# the run ended 0 with the phone pointed at the old target.
printf '0004f2b00002\n' >"$d/inv3.csv"
out=$("$ZTP_BIN" batch --state "$d/state" --inventory "$d/inv3.csv" \
    --timeout 10 --only-inventory </dev/null); rc=$?
check_eq "a later job: exit 0" 0 "$rc"
check_eq "a phone an earlier run recovered is not held" repointed-quiet \
    "$(phone_field "$d" 0004f2b00001 state)"
check "and batch did not say it held it" sh -c \
    'case "$1" in *"held 0004f2b00001"*) exit 1 ;; esac' _ "$out"
# A phone an earlier --only-inventory run held, listed now: released.  It
# waited out the whole run "held (not in the batch inventory)".
printf '0004f2b00009\n' >"$d/inv9.csv"
out=$("$ZTP_BIN" batch --state "$d/state" --inventory "$d/inv9.csv" \
    --timeout 3 --only-inventory </dev/null)
check_contains "a phone held by an earlier run for not being listed is released" \
    "released 0004f2b00009: in this inventory (an earlier --only-inventory run held it)" \
    "$out"
check "and is no longer held" sh -c \
    "[ \"\$(\"$ZTP_BIN\" status --state '$d/state' --json |
    jq -r '.phones[] | select(.mac == \"0004f2b00009\") | .state')\" != held ]"
"$ZTP_BIN" ctl --state "$d/state" set-repoint target=server \
    url=https://prov.example.com/ >/dev/null
out=$("$ZTP_BIN" batch --state "$d/state" --inventory "$d/inv3.csv" \
    --timeout 60 </dev/null); rc=$?
check_eq "another re-point target: exit 3" 3 "$rc"
check_contains "the phone recovered under the old one failed this run, why" \
    "failed (repointed-quiet under other settings; re-pointed to ztp, this run's is https://prov.example.com/: it will not" \
    "$out"
check_contains "and what to do" "reset it to its factory settings so that it asks the appliance again" \
    "$out"
check_contains "counted failed, not waited for" \
    "0 of 1 repointed-quiet, 1 failed, 0 timed out" "$out"
check_eq "the daemon's record is left as it is" repointed-quiet \
    "$(phone_field "$d" 0004f2b00002 state)"
"$ZTP_BIN" ctl --state "$d/state" set-repoint target=ztp >/dev/null
# One an earlier run held while it was failed stays held: a release starts
# a failed phone afresh (a flash loop would be flashed again), the retry the
# operator decides on.
"$ZTP_BIN" ctl --state "$d/state" hold mac=0004f2b00002 \
    "reason=not in the batch inventory (--only-inventory); it was failed: flashed it 3 times" \
    >/dev/null
printf '0004f2b00002\n' >"$d/inv2b.csv"
"$ZTP_BIN" batch --state "$d/state" --inventory "$d/inv2b.csv" --timeout 2 \
    --only-inventory </dev/null >/dev/null 2>"$d/inv2b.err"
check_contains "a phone held while failed is not released, and batch says why" \
    "0004f2b00002 stays held: an earlier --only-inventory run held it while it was failed" \
    "$(cat "$d/inv2b.err")"
check_eq "(still held)" held "$(phone_field "$d" 0004f2b00002 state)"
"$ZTP_BIN" ctl --state "$d/state" release mac=0004f2b00002 >/dev/null

# ctl: one request; the daemon's refusal is its error.
out=$("$ZTP_BIN" ctl --state "$d/state" --json phone mac=0004f2b00002); rc=$?
check_eq "ctl phone exits 0" 0 "$rc"
check_eq "ctl prints the answer" 0004f2b00002 "$(printf '%s' "$out" | jq -r .mac)"
err=$("$ZTP_BIN" ctl --state "$d/state" hold mac=0004f2b0dead 2>&1); rc=$?
check_eq "a refused request exits 1" 1 "$rc"
check_contains "with the daemon's reason" "no phone 0004f2b0dead" "$err"
"$ZTP_BIN" ctl --state "$d/state" hold mac >/dev/null 2>&1; rc=$?
check_eq "ctl KEY without =VALUE exits 2" 2 "$rc"

done_testing
