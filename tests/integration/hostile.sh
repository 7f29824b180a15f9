#!/bin/sh
# A hostile closet: each attack runs against a real `ztp-rescue serve` while
# a simulated phone (a new MAC each time) recovers beside it.  After every
# attack the phone must have recovered, the daemon must still answer, and at
# the end every phone recovered so far must still be recorded as recovered
# (nothing recorded lost).  The daemon runs in a network namespace of its
# own; the attacker (tests/integration/hostile-tool.c, from 10.77.44.1 and
# up; a forged source is a socket that never answers) and the phone are in
# another, across a veth, as they would be on a closet's segment.  No timing
# is asserted: an attack runs for a fixed
# time, the phone has its own generous timeout, and the checks are on what
# happened (replies, refusals, bytes stored, states).
#
# Attacks here: endless request heads, 3,000 idle HTTP connections, 600
# forged netascii RRQs with "timeout 255", 2,000 RRQs a second from one
# address, an upload flood, 3,000 forged names of new phones.  The syslog flood and the forged identities
# (User-Agent, option 60) are syslog-flood.sh and identity-binding.sh.
. "$TOP/tests/lib.sh"
. "$TOP/tests/dhcp-lib.sh"
. "$TOP/tests/integration/e2e-lib.sh"

need_root "network namespaces"

[ -x "$SYNTH_BIN" ] || { skip "no ucs-synth at $SYNTH_BIN"; done_testing; exit 0; }
[ -x "$PHONESIM_BIN" ] || { skip "no phonesim at $PHONESIM_BIN"; done_testing; exit 0; }
command -v cc >/dev/null || { skip "no C compiler for the attack tool"; done_testing; exit 0; }

D=$(make_tmpdir)
SECS=${HOSTILE_SECONDS:-12}
# Small enough for the upload flood to reach in its 12 s on a loaded
# machine (it stored 25 MiB there once), whatever the disk's speed.
QUOTA=$((16 * 1024 * 1024))
cc -O1 -Wall -o "$D/hostile-tool" "$TOP/tests/integration/hostile-tool.c" ||
    { echo "not ok - the attack tool builds"; done_testing; exit 1; }
# The daemon's namespace ($app, lan0 10.77.0.1) and the segment's ($ph,
# eth0: the phone at 10.77.0.2, the attacker's addresses beside it).
check "namespaces and their veth made" ns_pair hostile "hv$$"
ip -n "$app" addr add 10.77.0.1/16 dev lan0
ip -n "$app" link set lan0 up
ip -n "$ph" addr add 10.77.0.2/16 dev eth0
hostile_addrs eth0 10.77 >"$D/addrs"
check "the attacker's addresses added" ip -n "$ph" -batch "$D/addrs"
E2E_IN_APP="ip netns exec $app"
E2E_IN_PHONE="ip netns exec $ph"
E2E_ADDR=10.77.0.1
ATTACKER="env HOSTILE_PREFIX=10.77 $E2E_IN_PHONE $D/hostile-tool"
check "synthetic library and test PKI made" e2e_fixture "$D"
PHONE_LIMIT=256
check "daemon up" e2e_serve "$D" --quiet-period 2 \
    --upload-quota "$QUOTA" --upload-phone-quota 1048576 \
    --phone-limit "$PHONE_LIMIT"
check "mock ZTP up" e2e_mock "$D"
IMAGE=$(cd "$D/lib" && find . -name '*.sip.ld' | head -1 | xargs basename)

NPHONES=0
# phone_beside PROTO: one phone of a new MAC recovers over PROTO (http or
# tftp) while the attack runs; sets PHONE_RC.
phone_beside() {
	NPHONES=$((NPHONES + 1))
	_mac=$(printf '0004f2ab%04x' "$NPHONES")
	case "$1" in
	http)	_url="http://$E2E_ADDR:$HTTP/" ;;
	*)	_url="tftp://$E2E_ADDR:$TFTP/" ;;
	esac
	$E2E_IN_PHONE "$PHONESIM_BIN" --model VVX400 --version "$(e2e_old VVX400)" \
	    --mac "$_mac" --server "$_url" --ztp "https://127.0.0.1:$ZTP/" \
	    --timeout 150 >"$D/phone$NPHONES.out" 2>"$D/phone$NPHONES.err"
	PHONE_RC=$?
}

# under_attack NAME PROTO TOOL-ARGS...: the attack in the background, the
# phone beside it once the attack has had a second to start, then the
# attack's counts in ATTACK (one line).
under_attack() {
	_name=$1 _proto=$2
	shift 2
	$ATTACKER "$@" >"$D/attack-$_name" 2>&1 &
	_apid=$!
	sleep 1
	phone_beside "$_proto"
	check_eq "$_name: the phone beside it recovers over $_proto" 0 \
	    "$PHONE_RC"
	[ "$PHONE_RC" -eq 0 ] || sed 's/^/# phone: /' \
	    "$D/phone$NPHONES.err" | tail -5
	wait "$_apid"
	ATTACK=$(cat "$D/attack-$_name")
	echo "# $_name: $ATTACK"
	check "$_name: the daemon is still up" kill -0 "$SERVE_PID"
	check "$_name: and still answers HTTP" sh -c \
	    "$E2E_IN_PHONE curl -s -o /dev/null -w '%{http_code}' http://$E2E_ADDR:$HTTP/none | grep -q 404"
}

# phones_known: how many phones the daemon holds.
phones_known() {
	"$ZTP_BIN" status --state "$D/state" --json | jq '.phones | length'
}

# field NAME: the number after NAME in ATTACK.
field() {
	printf '%s\n' "$ATTACK" | awk -v k="$1" \
	    '{ for (i = 1; i < NF; i++) if ($i == k) print $(i + 1) }'
}

# 1. Endless request heads: every connection is cut off after a few KiB.
under_attack headers http headers "$E2E_ADDR" "$HTTP" 200
check_eq "headers: every endless head was cut off (before 4 MiB)" 200 \
    "$(field cut)"

# 2. 3,000 idle connections from 16 addresses: the caps refuse most of
#    them (64 per address, 512 in all); the phone still gets in.
under_attack idle http idle "$E2E_ADDR" "$HTTP" 3000 "$SECS" 16
check "idle: connections over the caps were refused" test \
    "$(field refused)" -ge 2000
check "idle: at most 512 were held open" test "$(field open)" -le 512

# 3. 600 forged netascii RRQs with "timeout 255" for an image, each from an
#    address that never answers (the sockets stay open, so no ICMP ends
#    them): refused (netascii is not for images) or let go after the
#    daemon's own abandon time, not the 511 s "timeout 255" asked for.  The
#    check is made while the attacker still holds its sockets.
active() {
	"$ZTP_BIN" status --state "$D/state" --json |
	    jq -r '.appliance.active_transfers'
}
$ATTACKER rrq "$E2E_ADDR" "$TFTP" 600 "$IMAGE" $((SECS * 3)) \
    >"$D/attack-rrq" 2>&1 &
rpid=$!
sleep 1
phone_beside tftp
check_eq "rrq: the phone beside it recovers over tftp" 0 "$PHONE_RC"
check "rrq: no forged transfer is left while the attacker holds its sockets" \
    wait_for 20 sh -c "[ \"\$($ZTP_BIN status --state $D/state --json | jq -r .appliance.active_transfers)\" = 0 ]"
check "rrq: (the attacker was still there)" kill -0 "$rpid"
echo "# rrq: active transfers at the end: $(active)"
kill -TERM "$rpid"	# seen: it lets its sockets go and prints its counts
wait "$rpid"
ATTACK=$(cat "$D/attack-rrq")
echo "# rrq: $ATTACK"
check "rrq: the daemon is still up" kill -0 "$SERVE_PID"

# 4. 2,000 RRQs a second from one address, never answered: the per-address
#    limit holds; no answer is larger than a request.
under_attack flood tftp flood "$E2E_ADDR" "$TFTP" 2000 "$SECS" "$IMAGE"
check "flood: the requests were sent" test "$(field sent)" -ge 1000
check "flood: at most one answer per request" test \
    "$(field replies)" -le "$(field sent)"

# 5. An upload flood: 8 clients PUTting 1 MiB uploads under new MACs: the
#    quota stops it, the disk it used is bounded by the quota, and only the
#    stored uploads add phones (the beside phone is the one more).
before=$(($(phones_known) + 1))
under_attack put http put "$E2E_ADDR" "$HTTP" 8 1048576 "$SECS"
check "put: uploads were stored until the quota" test "$(field stored)" -ge 1
check "put: then refused" test "$(field refused)" -ge 1
used=$(du -sb "$D/state/uploads" | cut -f1)
echo "# put: $used bytes in the upload store (quota $QUOTA)"
check "put: the disk used stays within the quota" test "$used" -le \
    $((QUOTA + 1048576))
check "put: refused uploads added no phone (only stored ones did)" test \
    "$(phones_known)" -le $((before + $(field stored)))

# 6. 3,000 requests, each for a new MAC's <mac>.cfg from a forged address:
#    the fleet stops growing at --phone-limit, the claims past it are
#    counted, and the daemon still answers.  (No phone runs beside it: a new
#    phone's unbound claim past the limit is not believed, by design.)
before=$(phones_known)
$ATTACKER names "$E2E_ADDR" "$TFTP" 3000 >"$D/attack-names" 2>&1
ATTACK=$(cat "$D/attack-names")
echo "# names: $ATTACK; phones before $before, after $(phones_known)"
check "names: the requests were sent" test "$(field sent)" -ge 2900
check "names: the fleet stopped at the limit" test "$(phones_known)" -le \
    "$PHONE_LIMIT"
check "names: the fleet reached it" test "$(phones_known)" -eq "$PHONE_LIMIT"
check "names: the claims past it were counted" test "$($ZTP_BIN status \
    --state "$D/state" --json | jq -r .appliance.claims_over_limit)" -ge 1
check "names: status says so in words" sh -c "$ZTP_BIN status \
    --state $D/state | grep -q 'while the fleet held its limit of $PHONE_LIMIT phones: not believed'"
check "names: the daemon is still up" kill -0 "$SERVE_PID"
check "names: and still answers HTTP" sh -c \
    "$E2E_IN_PHONE curl -s -o /dev/null -w '%{http_code}' http://$E2E_ADDR:$HTTP/none | grep -q 404"

# The two other attacks of the threat model run in their own suites, each
# against a real daemon: the syslog flood in syslog-flood.sh (16 senders, a
# phone's request and a status answered during it, the rate limit and row
# caps counted) and the forged User-Agent and option 60 in
# identity-binding.sh (real dnsmasq in namespaces, the victim's record
# untouched).

# Nothing recorded lost: every phone that recovered is still recorded so.
check "every phone repointed-quiet is recorded as repointed-quiet" \
    wait_for 30 e2e_all_recovered "$D" "$NPHONES"
rss=$(awk '/VmHWM/ { print $2 }' "/proc/$SERVE_PID/status" 2>/dev/null)
echo "# daemon peak RSS (sanitizer build): ${rss:-?} kB"
check "daemon stops cleanly (no sanitizer report)" e2e_stop
e2e_diag "$D"
done_testing
