#!/bin/sh
# The 48-phone closet of bench-closet.sh (simulated phones in a network
# namespace, `ztp-rescue serve` across a veth pair shaped to 1 Gbit/s each
# way, over HTTP; realistic synthetic images), recovered once with nothing
# else on the segment and once with each attack of tests/integration/
# hostile.sh running from other addresses on the phones' side of the link
# (tests/integration/hostile-tool.c):
#
#   headers  endless request heads, one connection after another
#   idle     3,000 idle HTTP connections from 16 addresses
#   rrq      600 forged netascii RRQs with "timeout 255" for an image, each
#            from its own address, never answered
#   flood    2,000 RRQs a second from one address
#   put      8 clients PUTting 1 MiB uploads under new MACs
#
# For each: the closet's time to recover as a ratio to the same closet
# without the attack, the daemon's peak RSS (VmHWM) and anonymous memory
# (sampled), and the disk the attack took.  Targets: every ratio <= 1.5x,
# peak RSS < 128 MB.  Root only (namespaces, tc).  Writes a markdown table
# to $1 and stdout.
#
#   BENCH_SIZE=realistic BENCH_PHONES=48 sh tests/bench/bench-hostile.sh out.md
set -u
: "${TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${BUILD:=build}"
: "${ZTP_BIN:=$TOP/$BUILD/ztp-rescue}"
: "${PHONESIM_BIN:=$TOP/$BUILD/phonesim}"
: "${SYNTH_BIN:=$TOP/$BUILD/ucs-synth}"
OUT=${1:-/dev/null}
SIZE=${BENCH_SIZE:-realistic}
PHONES=${BENCH_PHONES:-48}
RATE=${BENCH_RATE:-1gbit}
ATTACKS=${BENCH_ATTACKS:-headers idle rrq flood put}
QUOTA=$((256 * 1024 * 1024))

if [ "$(id -u)" != 0 ]; then
	echo "bench-hostile: needs root (network namespace, tc)" >&2
	exit 1
fi
for b in "$ZTP_BIN" "$PHONESIM_BIN" "$SYNTH_BIN"; do
	[ -x "$b" ] || { echo "bench-hostile: no $b" >&2; exit 1; }
done
for c in ip tc jq openssl cc setsid; do
	command -v $c >/dev/null 2>&1 || { echo "bench-hostile: $c missing" >&2; exit 1; }
done

. "$TOP/tests/lib.sh"
. "$TOP/tests/integration/e2e-lib.sh"

NS=bench-hostile-$$
VH=bhs$$
VP=bhp$$
SERVER=10.77.0.1
W=$(mktemp -d /tmp/bench-hostile.XXXXXX)
W=$(cd "$W" && pwd -P)
at_exit "rm -rf '$W'"
at_exit "ip netns del $NS 2>/dev/null; ip link del $VH 2>/dev/null"
cc -O2 -Wall -o "$W/hostile-tool" "$TOP/tests/integration/hostile-tool.c" ||
    exit 1

ip netns add "$NS" || exit 1
ip link add "$VH" type veth peer name "$VP" || exit 1
ip link set "$VP" netns "$NS"
ip addr add "$SERVER/16" dev "$VH"
ip link set "$VH" up
ip -n "$NS" link set lo up
ip -n "$NS" addr add 10.77.0.2/16 dev "$VP"
ip -n "$NS" link set "$VP" up
# The phones from 10.77.1.1 up; the attacker's addresses as hostile-tool
# makes them with HOSTILE_PREFIX=10.77: .44.1, .55.1-16, .66.1, .77-79.x,
# .88.1.
{
	i=0
	while [ "$i" -lt "$PHONES" ]; do
		a=$((256 + 1 + i))
		echo "addr add 10.77.$((a / 256)).$((a % 256))/16 dev $VP"
		i=$((i + 1))
	done
	hostile_addrs "$VP" 10.77
} >"$W/addrs"
ip -n "$NS" -batch "$W/addrs" || exit 1
tc qdisc add dev "$VH" root tbf rate "$RATE" burst 512kb latency 20ms || exit 1
tc -n "$NS" qdisc add dev "$VP" root tbf rate "$RATE" burst 512kb latency 20ms || exit 1

"$PHONESIM_BIN" make-test-pki "$W/pki" "$SERVER" >/dev/null || exit 1
ZTP=$(free_port tcp)
"$PHONESIM_BIN" ztp-mock --listen "$SERVER:$ZTP" --cert "$W/pki/server.pem" \
    --key "$W/pki/server.key" --log "$W/arrivals.log" >"$W/mock.log" 2>&1 &
MOCK=$!
at_exit "kill $MOCK 2>/dev/null; wait $MOCK 2>/dev/null"

echo "bench-hostile: $SIZE library" >&2
"$SYNTH_BIN" --out "$W/syn" --size "$SIZE" --format dir >/dev/null || exit 1
for d in "$W/syn/"*; do
	"$ZTP_BIN" import --library "$W/lib" "$d" >/dev/null || exit 1
done
rm -rf "$W/syn"
IMAGE=$(cd "$W/lib" && find . -name '*.sip.ld' | head -1 | xargs basename)

closet() {
	_i=0
	while [ "$_i" -lt "$1" ]; do
		for _m in $(e2e_models); do
			[ "$_i" -lt "$1" ] || break
			_i=$((_i + 1))
			printf '%s %s 0004f2%06x\n' "$_m" "$(e2e_old "$_m")" "$_i"
		done
	done
}

# attack NAME: start it in its own process group on the phones' side;
# sets APID (0 for none).
attack() {
	APID=0
	case "$1" in
	none)	return 0 ;;
	headers) set -- headers "$SERVER" "$H" 50 3600 ;;
	idle)	set -- idle "$SERVER" "$H" 3000 3600 16 ;;
	rrq)	set -- rrq "$SERVER" "$T" 600 "$IMAGE" 3600 ;;
	flood)	set -- flood "$SERVER" "$T" 2000 3600 "$IMAGE" ;;
	put)	set -- put "$SERVER" "$H" 8 1048576 3600 ;;
	esac
	HOSTILE_PREFIX=10.77 setsid ip netns exec "$NS" "$W/hostile-tool" \
	    "$@" >"$W/attack.out" 2>&1 &
	APID=$!
	sleep 1
}

# run ATTACK: a fresh daemon and state, the closet with the attack running;
# sets SECS, OK, RSS_KB, ANON_PEAK, DISK.
run() {
	rm -rf "$W/state"
	mkdir -p "$W/state"
	H=$(free_port tcp)
	T=$(free_port udp)
	"$ZTP_BIN" serve --listen "$SERVER" --http-port "$H" --tftp-port "$T" \
	    --syslog-port off --state "$W/state" --library "$W/lib" \
	    --ca "$W/pki/ca.pem" --no-dhcp --foreground --quiet-period 2 \
	    --upload-quota "$QUOTA" >"$W/serve.log" 2>&1 &
	SRV=$!
	wait_for 20 curl -s -o /dev/null "http://$SERVER:$H/x" || return 1
	closet "$PHONES" >"$W/closet"
	( while kill -0 "$SRV" 2>/dev/null; do
		awk '/^RssAnon/ { print $2 }' "/proc/$SRV/status" 2>/dev/null
		sleep 0.2
	done ) >"$W/rss" &
	SAMPLER=$!
	attack "$1"
	t0=$(date +%s.%N)
	ip netns exec "$NS" "$PHONESIM_BIN" --closet "$W/closet" \
	    --server "http://$SERVER:$H/" --ztp "https://$SERVER:$ZTP/" \
	    --source 10.77.1.1 --timeout 900 >"$W/out" 2>"$W/err"
	t1=$(date +%s.%N)
	if [ "$APID" -ne 0 ]; then
		kill -- -"$APID" 2>/dev/null
		wait "$APID" 2>/dev/null
	fi
	SECS=$(echo "$t1 $t0" | awk '{ printf "%.2f", $1 - $2 }')
	OK=$(grep -c '"recovered":true' "$W/out")
	UP=yes
	kill -0 "$SRV" 2>/dev/null || UP=no
	RSS_KB=$(awk '/^VmHWM/ { print $2 }' "/proc/$SRV/status")
	DISK=$(du -sb "$W/state/uploads" 2>/dev/null | cut -f1)
	kill "$SRV"
	wait "$SRV" 2>/dev/null
	wait "$SAMPLER" 2>/dev/null
	ANON_PEAK=$(awk '$1 > m { m = $1 } END { print m + 0 }' "$W/rss")
	echo "bench-hostile: $1: $OK/$PHONES recovered in $SECS s, daemon up $UP, VmHWM $RSS_KB kB, anon peak $ANON_PEAK kB, uploads $DISK bytes" >&2
	[ "$OK" -eq "$PHONES" ] || sed 's/^/  /' "$W/err" | head -5 >&2
}

mb() { echo "$1" | awk '{ printf "%.1f", $1 / 1048576 }'; }
run none || exit 1
BASE=$SECS
ROWS="| none | $OK/$PHONES | ${SECS} s | 1.00x | $(mb "$((RSS_KB * 1024))") MB | $(mb "$((ANON_PEAK * 1024))") MB | $(mb "${DISK:-0}") MB |"
for a in $ATTACKS; do
	run "$a" || exit 1
	r=$(echo "$SECS $BASE" | awk '{ printf "%.2f", $1 / $2 }')
	ROWS="$ROWS
| $a | $OK/$PHONES | ${SECS} s | ${r}x | $(mb "$((RSS_KB * 1024))") MB | $(mb "$((ANON_PEAK * 1024))") MB | $(mb "${DISK:-0}") MB |"
done
{
	echo "# A hostile closet"
	echo
	echo "The closet of docs/benchmarks/closet.md ($PHONES phones, \`$SIZE\`"
	echo "synthetic images, \`ztp-rescue serve\` across a veth pair shaped to"
	echo "$RATE each way, over HTTP), recovered with nothing else on the"
	echo "segment and with each attack of tests/integration/hostile.sh running"
	echo "from other addresses on the phones' side of the link for the whole"
	echo "closet (tests/integration/hostile-tool.c).  Upload quota"
	echo "$(mb "$QUOTA") MB.  The attacks are described in docs/threat-model.md."
	echo
	echo "| attack | recovered | closet wall time | ratio to no attack | daemon peak RSS (VmHWM) | anonymous, sampled peak | disk the attack took |"
	echo "|---|---|---|---|---|---|---|"
	echo "$ROWS"
	echo
	echo "Targets: every ratio <= 1.5x, peak RSS < 128 MB.  VmHWM counts the"
	echo "image pages the HTTP server maps to send them (page cache, shared);"
	echo "\"anonymous\" is the daemon's own memory (RssAnon, every 0.2 s)."
} | tee "$OUT"
