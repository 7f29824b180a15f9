#!/bin/sh
# The control command "import" runs the import in a child process: the
# daemon answers at once with a job number, keeps serving phones while a
# 105 MB package is imported, and tells subscribers "import" events in
# order (started, progress..., done or failed).  {"wait":true} keeps the
# blocking answer.
. "$TOP/tests/lib.sh"
. "$TOP/tests/serve-lib.sh"

d=$(make_tmpdir)
mkdir -p "$d/state"
"$SYNTH_BIN" --out "$d/small" --size tiny --version 4.0.8 --format dir \
    >/dev/null 2>&1
"$ZTP_BIN" import --library "$d/library" "$d/small/"* >/dev/null
# Seven images of 15 MB: a realistic-size 4.1.7 package, 105 MB zipped.
"$SYNTH_BIN" --out "$d/big" --size 15728640 --version 4.1.7 --format zip \
    >/dev/null 2>&1
big=$(ls "$d/big/"*.zip)
check "the 105 MB package was made" test "$(stat -c %s "$big")" -gt 100000000
part=$("$ZTP_BIN" library --library "$d/library" --json |
    jq -r '[.packages[0].files[].name | select(endswith(".sip.ld"))][0]' |
    sed 's/\.sip\.ld$//')

serve_start "$d" --no-verify
ctl() {
	"$ZTP_BIN" ctl --state "$d/state" --json "$@"
}

watch_events "$d"

# Asynchronous: the answer comes at once, with a job number.
answer=$(ctl import "paths[]=$big")
check_eq "import answers at once with a job" 'true 1' \
    "$(printf '%s' "$answer" | jq -r '"\(.started) \(.job)"')"

# While it runs, a phone's request is answered: what the watcher has seen
# when the file has come must not include the import's outcome.
wait_for 10 grep -q '"status":"started"' "$d/events"
code=$(curl -s -o "$d/got" -w '%{http_code}' "http://127.0.0.1:$HTTP/$part.sip.ld")
events_now=$(grep '"event":"import"' "$d/events" | jq -r .status |
    tr '\n' ' ')
check_eq "a small file is served during the import" 200 "$code"
check "the file served is the library's" cmp -s "$d/got" \
    "$d/library/packages/$(ls "$d/library/packages" | head -1)/$part.sip.ld"
check_contains "the import had started when the file came" "started" \
    "$events_now"
check "no import outcome yet when the file came ($events_now)" \
    sh -c "! printf '%s' '$events_now' | grep -qE 'done|failed'"

check "the import finishes" wait_for 120 grep -q '"status":"done"' "$d/events"
seq=$(jq -r 'select(.event == "import" and .job == 1) | .status' \
    "$d/events" | uniq | tr '\n' ' ')
check_eq "events in order: started, progress, done" \
    "started progress done " "$seq"
check_eq "progress never goes backwards within a file" "" \
    "$(jq -r 'select(.event == "import" and .status == "progress") |
    "\(.what) \(.done) \(.total)"' "$d/events" | awk '
    { if ($1 == w && $2 < last) print "backwards: " $0; w = $1; last = $2 }
    $2 > $3 { print "beyond total: " $0 }')"
check_eq "the last progress is the whole archive" \
    "$(stat -c %s "$big")" "$(jq -r 'select(.event == "import" and
    .status == "progress") | .done' "$d/events" | tail -1)"
check_eq "done names the package" '["4.1.7.5432"]' \
    "$(jq -c 'select(.event == "import" and .status == "done") | .imported' \
    "$d/events")"
check_eq "the daemon's library has it (reopened after the job)" 2 \
    "$("$ZTP_BIN" status --state "$d/state" --json | jq .appliance.packages)"
check_eq "no job left" 0 \
    "$("$ZTP_BIN" status --state "$d/state" --json | jq '.appliance.jobs | length')"
check_eq "no temporary folder left" "" \
    "$(ls -A "$d/library" | grep '^\.tmp' || true)"

# A failing import: a failed event with the reason.
answer=$(ctl import "paths[]=$d/nothing-here")
check_eq "second job" 2 "$(printf '%s' "$answer" | jq .job)"
check "the failed import is told" wait_for 30 grep -q \
    '"job":2,"status":"failed"' "$d/events"
check_contains "with the reason" "nothing-here" \
    "$(jq -r 'select(.event == "import" and .job == 2 and
    .status == "failed") | .error' "$d/events")"

# Two at once: the second waits for the first.
a1=$(ctl import "paths[]=$d/small")
a2=$(ctl import "paths[]=$big")
check_eq "a second import waits its turn" 'false true' \
    "$(printf '%s\n%s\n' "$a1" "$a2" | jq -r .queued | tr '\n' ' ' |
    sed 's/ $//')"
check "both finish" wait_for 60 sh -c "[ \$(grep -c '\"status\":\"done\"' \
    '$d/events') -ge 3 ]"
check_eq "one after the other" "3 started 3 done 4 started 4 done " \
    "$(jq -r 'select(.event == "import" and .job >= 3 and
    .status != "progress") | "\(.job) \(.status)"' "$d/events" | tr '\n' ' ')"

# The old blocking way, still there for scripts.
answer=$(ctl import "paths[]=$d/small" "wait:=true")
check_eq "wait:true answers with the packages imported" '[]' \
    "$(printf '%s' "$answer" | jq -c .imported)"
check_contains "refuses an option-like path" "must be a path" \
    "$(ctl import 'paths[]=--library' 2>&1)"
# A path refused stopped the rest: the package after it was never imported.
"$SYNTH_BIN" --out "$d/after" --size tiny --version 5.4.0 --format zip \
    >/dev/null 2>&1
answer=$(ctl import "paths[]=$d/no-such" "paths[]=$d/also-missing" \
    "paths[]=$(ls "$d/after/"*.zip)" "wait:=true" 2>&1); rc=$?
check "wait:true with a path refused fails" test "$rc" -ne 0
check_contains "it names the package imported after it" \
    "imported 5.4.0.12410; not imported:" "$answer"
check_contains "and each path refused" "also-missing" "$answer"
check_contains "the first one too" "no-such" "$answer"
check "the package after the refusals is in the library" sh -c \
    "'$ZTP_BIN' library --library '$d/library' | grep -q 5.4.0.12410"
# The import child said only the first refusal of several.
err=$("$ZTP_BIN" import --library "$d/library" --progress-json \
    "$d/no-such" "$d/also-missing" 2>/dev/null | tail -1 | jq -r .error)
check_contains "the child's outcome names the first refusal" "no-such" "$err"
check_contains "and the second" "also-missing" "$err"

serve_stop

# Under --user, the import child runs as that user and still imports.
if [ "$(id -u)" = 0 ] && id nobody >/dev/null 2>&1; then
	chmod 755 "$d"
	"$SYNTH_BIN" --out "$d/more" --size tiny --version 5.4.1 \
	    --format zip >/dev/null 2>&1
	chmod -R a+rX "$d/more"
	serve_start "$d" --no-verify --user nobody
	"$ZTP_BIN" watch --state "$d/state" --json >"$d/events2" 2>&1 &
	at_exit "kill $! 2>/dev/null"
	sleep 1
	job=$(ctl import "paths[]=$(ls "$d/more/"*.zip)" | jq .job)
	check "an import under --user nobody finishes" wait_for 30 grep -q \
	    "\"job\":$job,\"status\":\"done\"" "$d/events2"
	check_eq "and adds the package" '["5.4.1.18370"]' \
	    "$(jq -c 'select(.event == "import" and .status == "done") |
	    .imported' "$d/events2")"
	serve_stop
else
	skip "not root: no import under --user"
fi
check "the daemon left no sanitizer report" sh -c \
    "! grep -q Sanitizer '$d/serve.log'"
done_testing
