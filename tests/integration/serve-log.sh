#!/bin/sh
# The daemon's log lines reach control subscribers as "log" events, limited
# to 50 a second (bursts of 100): a storm of 1000 lines sends far fewer
# events, says how many were held back, keeps every line in the daemon's
# own log, and leaves the loop free to answer.
. "$TOP/tests/lib.sh"
. "$TOP/tests/serve-lib.sh"

d=$(make_tmpdir)
mkdir -p "$d/state"
"$SYNTH_BIN" --out "$d/syn" --size tiny --version 4.1.7 --format dir \
    >/dev/null 2>&1
"$ZTP_BIN" import --library "$d/library" "$d/syn/"* >/dev/null
serve_start "$d" --no-verify
watch_events "$d"

"$ZTP_BIN" ctl --state "$d/state" set-target model=VVX410 version=5.4.1 \
    >/dev/null
check "a log line becomes a log event" wait_for 10 grep -q \
    '"event":"log".*target of VVX410 set to 5.4.1 by the operator' \
    "$d/events"
check_eq "with its level" info "$(grep 'target of VVX410 set' "$d/events" |
    jq -r .level)"

# A storm: 1000 requests for a part number no model has, one line each,
# from an address no phone has used (so nothing else is journaled).
t0=$(date +%s%N)
curl -s -o /dev/null --interface 127.0.0.9 \
    "http://127.0.0.1:$HTTP/9999-[10000-10999]-001.sip.ld"
t1=$(date +%s%N)
# The limiter's contract: a burst of 100, then 50 a second.
most=$((100 + 50 * (t1 - t0) / 1000000000 + 50))
check_eq "the daemon still answers at once" 404 \
    "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$HTTP/x-phone.cfg")"
storm='^http 9999-10[0-9][0-9][0-9]-001.sip.ld from .*: not found: part number'
check_eq "every line is in the daemon's log" 1000 \
    "$(grep -c "info: ${storm#^}" "$d/serve.log")"
check "subscribers are told how many they missed" wait_for 5 grep -q \
    '"suppressed"' "$d/events"
sent=$(jq -r 'select(.event == "log") | .text' "$d/events" | grep -c "$storm")
held() {
	jq -s '[.[] | select(.event == "log") | .suppressed // 0] | add' \
	    "$d/events"
}
# The count of missed lines goes out at most once a second.
i=0
while [ $i -lt 50 ] && [ $((sent + $(held))) -lt 1000 ]; do
	sleep 0.1
	i=$((i + 1))
done
held=$(held)
check "no more events than the limit allows ($sent sent, at most $most)" \
    test "$sent" -le "$most" -a "$sent" -lt 1000
check "some were sent ($sent)" test "$sent" -ge 50
check "every line is either sent or counted ($sent + $held)" \
    test $((sent + held)) -ge 1000
check_contains "the count comes with a sentence" \
    "log line(s) were not sent to control clients (more than 50 a second)" \
    "$(grep '"suppressed"' "$d/events" | head -1)"
check "no debug lines are sent" sh -c \
    "! jq -r 'select(.event == \"log\") | .level' '$d/events' | grep -q debug"

# Hostile names in a flood: one log line a second, the name cut short.  Each
# request wrote a line echoing its whole name (9,000 lines of 9 KB in 5 s
# went to the log on the journal's disk).
long=$(printf '..%%01/%.0s' $(seq 1 400))
curl -s -o /dev/null --path-as-is "http://127.0.0.1:$HTTP/$long[1-200]"
lines=$(grep -c "warn: http: .* asked for \.\." "$d/serve.log")
check "200 hostile names: a few log lines, not 200 ($lines)" test "$lines" -le 5
check "the name in them is cut short" sh -c \
    "! grep 'asked for \.\.' '$d/serve.log' | awk 'length > 600' | grep -q ."
check_contains "and says how many were not logged" "more such requests since the last such line" \
    "$(grep "asked for \.\." "$d/serve.log" | tail -1)"
# The same over TFTP: a line per request (2 KB each) before.
cc -O1 -o "$d/tftp-tool" "$TOP/tests/integration/tftp-tool.c"
bad=$(printf '../%.0s' $(seq 1 100))x
sent=$("$d/tftp-tool" flood 127.0.0.1 "$TFTP" 127.0.0.11 1 "$bad")
lines=$(grep -c "read \.\./\.\./.* refused" "$d/serve.log")
check "$sent hostile TFTP names: a few log lines ($lines)" test "$lines" -le 12 -a "$sent" -gt 100
check "and they are cut short" sh -c \
    "! grep 'read \.\./\.\./' '$d/serve.log' | awk 'length > 700' | grep -q ."

serve_stop
check "the daemon left no sanitizer report" sh -c \
    "! grep -q Sanitizer '$d/serve.log'"
done_testing
