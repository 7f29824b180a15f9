#!/bin/sh
# End to end: the daemon is killed with kill -9 in the middle of a closet
# of 24 simulated phones (16 over HTTP, 8 over TFTP) and started again on
# the same state.  The phones lose power with it and keep their flash
# (--state), then boot again: every phone ends recovered, the report
# agrees with each phone, and no journal event committed before the kill is
# lost or changed (rows compared by id before the kill, after it, and at
# the end).
. "$TOP/tests/lib.sh"
. "$TOP/tests/integration/e2e-lib.sh"

[ -x "$SYNTH_BIN" ] || { skip "no ucs-synth at $SYNTH_BIN"; done_testing; exit 0; }
[ -x "$PHONESIM_BIN" ] || { skip "no phonesim at $PHONESIM_BIN"; done_testing; exit 0; }
command -v sqlite3 >/dev/null || { skip "no sqlite3"; done_testing; exit 0; }
D=$(make_tmpdir)
J="$D/state/journal.db"
# 64 KB images and phones on a 4 Mbit/s link: the closet takes long enough
# to be killed in the middle of it.
check "synthetic library and test PKI made" e2e_fixture "$D" 65536
check "daemon up" e2e_serve "$D" --quiet-period 2
check "mock ZTP up" e2e_mock "$D"

i=0
for m in $(e2e_models | head -16); do
	i=$((i + 1))
	printf '%s %s 0004f2d1%04x\n' "$m" "$(e2e_old "$m")" "$i"
done >"$D/closet-http"
i=0
for m in $(e2e_models | tail -8); do
	i=$((i + 1))
	printf '%s %s 0004f2d2%04x\n' "$m" "$(e2e_old "$m")" "$i"
done >"$D/closet-tftp"

H="http://127.0.0.1:$HTTP/" T="tftp://127.0.0.1:$TFTP/" Z="https://127.0.0.1:$ZTP/"
run_closets() {
	"$PHONESIM_BIN" --closet "$D/closet-http" --server "$H" --ztp "$Z" \
	    --source 127.0.4.1 --state "$D/flash" --fault slow=4000 \
	    --transcript "$D/ts-http$1" --timeout 200 \
	    >"$D/out-http$1" 2>"$D/err-http$1" &
	ph=$!
	"$PHONESIM_BIN" --closet "$D/closet-tftp" --server "$T" --ztp "$Z" \
	    --source 127.0.5.1 --state "$D/flash" --fault slow=4000 \
	    --transcript "$D/ts-tftp$1" --timeout 200 \
	    >"$D/out-tftp$1" 2>"$D/err-tftp$1" &
	pt=$!
}
events() {
	sqlite3 "file:$J?mode=ro" 'SELECT id, ts, mac, kind, from_state,
	    to_state, fact, value, evidence FROM events' | sort
}
# Phones past their image (or further): the closet is under way.
past_image() {
	[ "$(sqlite3 "file:$J?mode=ro" "SELECT count(*) FROM phones WHERE
	    state IN ('rebooting', 'current', 'trusting', 'repointed',
	    'repointed-quiet')" 2>/dev/null)" -ge "$1" ]
}

run_closets 1
check "6 phones past their image while others are still at it" \
    wait_for 120 past_image 6
events >"$D/events-before"
kill -9 "$SERVE_PID"
wait "$SERVE_PID" 2>/dev/null
unfinished=$(sqlite3 "$J" "SELECT count(*) FROM phones WHERE state NOT IN
    ('repointed', 'repointed-quiet')")
check "killed mid-closet: some phones not yet re-pointed ($unfinished)" \
    test "$unfinished" -gt 0
check_eq "the journal is intact after kill -9" ok \
    "$(sqlite3 "$J" 'PRAGMA integrity_check')"
events >"$D/events-killed"
check "events rows before the kill: some" test -s "$D/events-before"
check_eq "no event read before the kill is lost or changed by it" "" \
    "$(comm -23 "$D/events-before" "$D/events-killed")"
check_eq "event ids have no holes" \
    "$(sqlite3 "$J" 'SELECT count(*) FROM events')" \
    "$(sqlite3 "$J" 'SELECT max(id) FROM events')"
# The closet loses power too (a phone in flight would otherwise wait out
# its TFTP timeouts): each phone keeps the flash of its last whole boot.
kill -9 $ph $pt 2>/dev/null
wait $ph $pt 2>/dev/null

# Started again on the same state and ports; the phones power-cycled.
check "daemon up again on the same state" e2e_serve "$D" --quiet-period 2
run_closets 2
wait $ph; rc1=$?
wait $pt; rc2=$?
check_eq "every HTTP phone ends recovered (phonesim exit 0)" 0 "$rc1"
[ "$rc1" -eq 0 ] || sed 's/^/# /' "$D/err-http2" | head
check_eq "every TFTP phone ends recovered (phonesim exit 0)" 0 "$rc2"
[ "$rc2" -eq 0 ] || sed 's/^/# /' "$D/err-tftp2" | head
check "the appliance calls all 24 repointed-quiet after the quiet period" \
    wait_for 60 e2e_all_recovered "$D" 24
check "report written" e2e_report "$D"
# The phones' second-run lines, with the version they had before any run.
cat "$D/out-http2" "$D/out-tftp2" | grep '^{' | while IFS= read -r l; do
	mac=$(printf '%s\n' "$l" | jq -r .mac)
	v0=$(cat "$D/closet-http" "$D/closet-tftp" | awk -v m="$mac" '$3 == m { print $2 }')
	printf '%s\n' "$l" | jq -c --arg v "$v0" '.version_before = $v'
done >"$D/out"
e2e_compare "$D" "$D/out"
events >"$D/events-end"
check_eq "no event committed before the kill is lost at the end" "" \
    "$(comm -23 "$D/events-killed" "$D/events-end")"
check "events were added after the restart" test \
    "$(wc -l <"$D/events-end")" -gt "$(wc -l <"$D/events-killed")"
check "daemon stops cleanly (no sanitizer report)" e2e_stop
e2e_diag "$D"
done_testing
