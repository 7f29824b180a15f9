#!/bin/sh
# kill -9 of the daemon: every event it committed (it commits before it
# answers) is still in the journal, every state it announced to a watcher
# is in the journal (the grouped writes of the last interval may be lost,
# never a transition), the journal is intact, and a restarted daemon
# continues every phone from where it was.
. "$TOP/tests/lib.sh"
. "$TOP/tests/serve-lib.sh"

[ -x "$SYNTH_BIN" ] || { skip "no ucs-synth at $SYNTH_BIN"; done_testing; exit 0; }
D=$(make_tmpdir)
J="$D/state/journal.db"
check "synthetic library and CA made" serve_fixture "$D"
check "daemon up" serve_start "$D" --ca "$D/ca.pem" --quiet-period 2
watch_events "$D"

upd410="FileTransport PolycomVVX-VVX_410-UA/5.0.3.1667 Type/Updater"
upd550="FileTransport PolycomSoundPointIP-SPIP_550-UA/5.0.3.1667 Type/Updater"
upd101="FileTransport PolycomVVX-VVX_101-UA/5.0.3.1667 Type/Updater"
# A: image taken whole (rebooting).  B: current.  C: mid-image when killed.
get "$upd410" 127.0.0.31 0004f2000f01.cfg >/dev/null
get "$upd410" 127.0.0.31 3111-46162-001.sip.ld >/dev/null
get "$upd550" 127.0.0.32 0004f2000f02.cfg >/dev/null
get_header "$upd550" 127.0.0.32 2345-12500-001.sip.ld
get "$upd101" 127.0.0.33 0004f2000f03.cfg >/dev/null
curl -s --limit-rate 1M --interface 127.0.0.33 -A "$upd101" \
    "http://127.0.0.1:$HTTP/3111-40250-001.sip.ld" >/dev/null &
slow=$!
at_exit "kill $slow 2>/dev/null"
check "A rebooting" wait_for 5 state_is "$D" 0004f2000f01 rebooting
check "B current" wait_for 5 state_is "$D" 0004f2000f02 current
check "C upgrading" wait_for 5 state_is "$D" 0004f2000f03 upgrading
sleep 1

before=$(sqlite3 "file:$J?mode=ro" 'SELECT count(*) FROM events')
rows=$(sqlite3 "file:$J?mode=ro" 'SELECT mac, state FROM phones ORDER BY mac')
kill -9 "$SERVE_PID"
wait "$SERVE_PID" 2>/dev/null
kill "$slow" 2>/dev/null
check_eq "no committed event lost by kill -9" "$before" \
    "$(sqlite3 "$J" 'SELECT count(*) FROM events')"
check_eq "phone rows as they were" "$rows" \
    "$(sqlite3 "$J" 'SELECT mac, state FROM phones ORDER BY mac')"
check_eq "the journal is intact" ok "$(sqlite3 "$J" 'PRAGMA integrity_check')"
# Every (phone, state) a watcher was told before the kill has its event.
jq -r 'select(.event == "phone") | .phone | "\(.mac) \(.state)"' \
    "$D/events" 2>/dev/null | sort -u >"$D/announced"
missing=$(while read -r m st; do
	n=$(sqlite3 "$J" "SELECT count(*) FROM events WHERE mac = '$m' AND
	    to_state = '$st'")
	[ "$n" -gt 0 ] || echo "$m $st"
done <"$D/announced")
check "a watcher was told of states ($(wc -l <"$D/announced"))" \
    test -s "$D/announced"
check_eq "every state announced before kill -9 is in the journal" "" "$missing"

check "restarted" serve_start "$D" --quiet-period 2
check_eq "A continues: rebooting" rebooting "$(phone_field "$D" 0004f2000f01 state)"
check_eq "B continues: current" current "$(phone_field "$D" 0004f2000f02 state)"
# C's image transfer died with the daemon: it is no longer "upgrading"
# (the report said "do not unplug it" of a phone idle on its old firmware).
check_eq "C is back where its image found it" identified "$(phone_field "$D" 0004f2000f03 state)"
check_contains "and its journal says why" "the daemon stopped while it served this phone its image" \
    "$("$ZTP_BIN" report --state "$D/state" --json | jq -r '.phones[] | select(.mac == "0004f2000f03") | .events[].evidence')"
check_eq "the CA given before is kept" \
    "$(openssl x509 -in "$D/ca.pem" -noout -fingerprint -sha256 | sed 's/.*=//; s/://g' | tr A-F a-f)" \
    "$("$ZTP_BIN" status --state "$D/state" --json | jq -r .appliance.ca.sha256)"

# A comes back from its flash and finishes.
app410="FileTransport PolycomVVX-VVX_410-UA/4.1.7.5432 Type/Application"
get "$upd410" 127.0.0.31 0004f2000f01.cfg >/dev/null
get_header "$upd410" 127.0.0.31 3111-46162-001.sip.ld
check "A current after the restart" wait_for 5 state_is "$D" 0004f2000f01 current
get "$app410" 127.0.0.31 ztp-rescue-0004f2000f01.cfg >/dev/null
check "A repointed-quiet" wait_for 10 state_is "$D" 0004f2000f01 repointed-quiet
# C asks again and takes its image whole this time.
get "$upd101" 127.0.0.33 0004f2000f03.cfg >/dev/null
get "$upd101" 127.0.0.33 3111-40250-001.sip.ld >/dev/null
check "C rebooting after the restart" wait_for 20 state_is "$D" 0004f2000f03 rebooting

# kill -9 while requests are being answered, three times: never an event
# fewer than a reader saw committed, never a damaged journal.
i=0
ok=1
while [ $i -lt 3 ]; do
	( j=0; while [ $j -lt 40 ]; do
		get "$upd410" 127.0.0.40 0004f2001$i$((j % 10))0.cfg >/dev/null
		j=$((j + 1)); done ) &
	load=$!
	sleep 0.$((3 + i))
	seen=$(sqlite3 "file:$J?mode=ro" 'SELECT count(*) FROM events' 2>/dev/null || echo 0)
	kill -9 "$SERVE_PID"
	wait "$SERVE_PID" 2>/dev/null
	wait $load 2>/dev/null
	after=$(sqlite3 "$J" 'SELECT count(*) FROM events')
	[ "$after" -ge "$seen" ] || ok=0
	[ "$(sqlite3 "$J" 'PRAGMA integrity_check')" = ok ] || ok=0
	serve_start "$D" --quiet-period 2 || ok=0
	i=$((i + 1))
done
check "three kills under load: no event lost, journal intact, restarts" test $ok = 1
check_eq "A still repointed-quiet" repointed-quiet "$(phone_field "$D" 0004f2000f01 state)"

serve_stop
check "no sanitizer report in the daemon's log" \
    test "$(grep -c 'Sanitizer\|runtime error' "$D/serve.log")" = 0
done_testing
