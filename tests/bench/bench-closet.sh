#!/bin/sh
# A closet of simulated phones (tests/phonesim, the optimised build) in a
# network namespace, recovered by `ztp-rescue serve` (the optimised build) on
# the other side of a veth pair shaped to 1 Gbit/s in both directions with
# tc tbf, over HTTP.  Measures:
#
#  - 48 phones of mixed models at old versions with realistic synthetic
#    images (40-60 MB each): the time until every phone has recovered
#    (reached the mock ZTP endpoint) against the lower bound set by the
#    image bytes that must cross the link at 1 Gbit/s (target: within 1.25x);
#  - the daemon's peak RSS (VmHWM) and CPU (utime + stime) for that closet
#    and for 500 phones with tiny images (target: under 64 MB RSS at 500);
#  - with BENCH_FSYNC_MS (bench-journal.sh sets 20), the same 48-phone closet
#    with the state directory behind an fsync that costs that much more, as
#    on a USB stick (tests/bench/slow-fsync.c, an LD_PRELOAD shim): with
#    every journal write committed alone (ZTP_JOURNAL_GROUP=0, as before the
#    journal grouped its writes), with the daemon BENCH_OLD_BIN too when
#    given (an older build), and as the daemon runs (target: within 1.3x of
#    the bound).  BENCH_JOURNAL=1 writes only that table;
#  - with BENCH_PROTO=tftp (bench-closet-tftp.sh), the 48-phone closet with
#    every phone over TFTP instead, plain RFC 1350 requests (512-byte blocks,
#    stop and wait), against the same bound; only that table is written.
#
# Root only (namespaces, tc).  Writes a markdown table to $1 and stdout.
#
#   BENCH_SIZE=realistic BENCH_PHONES=48 BENCH_MANY=500 sh tests/bench/bench-closet.sh out.md
set -u
: "${TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${BUILD:=build}"
: "${ZTP_BIN:=$TOP/$BUILD/ztp-rescue}"
: "${PHONESIM_BIN:=$TOP/$BUILD/phonesim}"
: "${SYNTH_BIN:=$TOP/$BUILD/ucs-synth}"
OUT=${1:-/dev/null}
SIZE=${BENCH_SIZE:-realistic}
PHONES=${BENCH_PHONES:-48}
MANY=${BENCH_MANY:-500}
RATE=${BENCH_RATE:-1gbit}
RATE_BPS=${BENCH_RATE_BPS:-1000000000}
FSYNC_MS=${BENCH_FSYNC_MS:-0}
OLD_BIN=${BENCH_OLD_BIN:-}
JOURNAL_ONLY=${BENCH_JOURNAL:-0}
PROTO=${BENCH_PROTO:-http}
case "$PROTO" in
http|tftp) ;;
*) echo "bench-closet: BENCH_PROTO is http or tftp" >&2; exit 1 ;;
esac

if [ "$(id -u)" != 0 ]; then
	echo "bench-closet: needs root (network namespace, tc)" >&2
	exit 1
fi
for b in "$ZTP_BIN" "$PHONESIM_BIN" "$SYNTH_BIN"; do
	[ -x "$b" ] || { echo "bench-closet: no $b" >&2; exit 1; }
done
for c in ip tc jq openssl; do
	command -v $c >/dev/null 2>&1 || { echo "bench-closet: $c missing" >&2; exit 1; }
done

. "$TOP/tests/lib.sh"
. "$TOP/tests/integration/e2e-lib.sh"

NS=bench-closet-$$
VH=bcs$$
VP=bcp$$
SERVER=10.77.0.1
W=$(mktemp -d /tmp/bench-closet.XXXXXX)
W=$(cd "$W" && pwd -P)
at_exit "rm -rf '$W'"
at_exit "ip netns del $NS 2>/dev/null; ip link del $VH 2>/dev/null"

ip netns add "$NS" || exit 1
ip link add "$VH" type veth peer name "$VP" || exit 1
ip link set "$VP" netns "$NS"
ip addr add "$SERVER/16" dev "$VH"
ip link set "$VH" up
ip -n "$NS" link set lo up
ip -n "$NS" addr add 10.77.0.2/16 dev "$VP"
ip -n "$NS" link set "$VP" up
# One address per phone, 10.77.1.1 upwards (phonesim --source counts up).
n=$((PHONES > MANY ? PHONES : MANY))
i=0
while [ "$i" -lt "$n" ]; do
	a=$((256 + 1 + i))
	echo "addr add 10.77.$((a / 256)).$((a % 256))/16 dev $VP"
	i=$((i + 1))
done >"$W/addrs"
ip -n "$NS" -batch "$W/addrs" || exit 1
# 1 Gbit/s each way; the burst is what the kernel needs at 1 Gbit/s with
# a 250 Hz tick, the latency bounds the queue.
tc qdisc add dev "$VH" root tbf rate "$RATE" burst 512kb latency 20ms || exit 1
tc -n "$NS" qdisc add dev "$VP" root tbf rate "$RATE" burst 512kb latency 20ms || exit 1

"$PHONESIM_BIN" make-test-pki "$W/pki" "$SERVER" >/dev/null || exit 1
ZTP=$(free_port tcp)
"$PHONESIM_BIN" ztp-mock --listen "$SERVER:$ZTP" --cert "$W/pki/server.pem" \
    --key "$W/pki/server.key" --log "$W/arrivals.log" >"$W/mock.log" 2>&1 &
MOCK=$!
at_exit "kill $MOCK 2>/dev/null; wait $MOCK 2>/dev/null"

# library SIZE: synthetic packages of every version, imported.
library() {
	rm -rf "$W/syn" "$W/lib"
	"$SYNTH_BIN" --out "$W/syn" --size "$1" --format dir >/dev/null ||
	    return 1
	for d in "$W/syn/"*; do
		"$ZTP_BIN" import --library "$W/lib" "$d" >/dev/null || return 1
	done
	rm -rf "$W/syn"
}

# closet N: N phones cycling through the models, each at an old version.
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

# run N: a fresh daemon and state, N phones at once; sets SECS, OK, RSS_KB,
# CPU_S, MUST (image bytes the phones needed), SERVED (all bytes served).
# The daemon is "${DAEMON:-$ZTP_BIN}", with the environment SRV_ENV.
run() {
	rm -rf "$W/state"
	mkdir -p "$W/state"
	rm -f "$W/fsyncs"
	H=$(free_port tcp)
	T=$(free_port udp)
	env ${SRV_ENV:-} "${DAEMON:-$ZTP_BIN}" serve --listen "$SERVER" --http-port "$H" --tftp-port "$T" \
	    --syslog-port off --state "$W/state" --library "$W/lib" \
	    --ca "$W/pki/ca.pem" --no-dhcp --foreground --quiet-period 2 \
	    >"$W/serve.log" 2>&1 &
	SRV=$!
	wait_for 20 curl -s -o /dev/null "http://$SERVER:$H/x" || return 1
	closet "$1" >"$W/closet"
	# Anonymous and file-backed resident memory, sampled: VmHWM counts
	# both, and file pages mapped to send images are not the daemon's own.
	( while kill -0 "$SRV" 2>/dev/null; do
		awk '/^RssAnon|^RssFile/ { printf "%s ", $2 } END { print "" }' \
		    "/proc/$SRV/status" 2>/dev/null
		sleep 0.2
	done ) >"$W/rss" &
	SAMPLER=$!
	# The phones' files over TFTP: phonesim's default, plain RFC 1350
	# requests (no options: 512-byte blocks, stop and wait).
	if [ "$PROTO" = tftp ]; then
		URL="tftp://$SERVER:$T/"
	else
		URL="http://$SERVER:$H/"
	fi
	# The phones' own CPU, and how busy the whole machine was.
	_time=""
	[ -x /usr/bin/time ] && _time="/usr/bin/time -f %U/%S -o $W/phones-cpu"
	rm -f "$W/phones-cpu"
	cpu0=$(awk '/^cpu / { print $2 + $3 + $4 + $7 + $8, $5 + $6 }' /proc/stat)
	t0=$(date +%s.%N)
	$_time ip netns exec "$NS" "$PHONESIM_BIN" --closet "$W/closet" \
	    --server "$URL" --ztp "https://$SERVER:$ZTP/" \
	    --source 10.77.1.1 --timeout 900 \
	    ${BENCH_TFTP_CLIENT:+--tftp-client "$BENCH_TFTP_CLIENT"} \
	    >"$W/out" 2>"$W/err"
	t1=$(date +%s.%N)
	cpu1=$(awk '/^cpu / { print $2 + $3 + $4 + $7 + $8, $5 + $6 }' /proc/stat)
	SECS=$(echo "$t1 $t0" | awk '{ printf "%.2f", $1 - $2 }')
	BUSY=$(echo "$cpu0 $cpu1" | awk '{ b = $3 - $1; i = $4 - $2
	    printf "%.0f%%", (b + i > 0 ? 100 * b / (b + i) : 0) }')
	PHONES_CPU=$(awk -F/ '{ printf "%.2f s (%.2f / %.2f)", $1 + $2, $1, $2 }' \
	    "$W/phones-cpu" 2>/dev/null)
	OK=$(grep -c '"recovered":true' "$W/out")
	RSS_KB=$(awk '/^VmHWM/ { print $2 }' "/proc/$SRV/status")
	ANON_KB=$(awk '/^RssAnon/ { print $2 }' "/proc/$SRV/status")
	FILE_KB=$(awk '/^RssFile/ { print $2 }' "/proc/$SRV/status")
	cp "/proc/$SRV/stat" "$W/stat"
	CPU_S=$(awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f", ($14 + $15) / hz }' \
	    "$W/stat")
	kill "$SRV"
	wait "$SRV" 2>/dev/null
	wait "$SAMPLER" 2>/dev/null
	ANON_PEAK=$(awk 'NF == 2 && $1 > m { m = $1 } END { print m + 0 }' "$W/rss")
	FILE_PEAK=$(awk 'NF == 2 && $2 > m { m = $2 } END { print m + 0 }' "$W/rss")
	"$ZTP_BIN" report --state "$W/state" --json --out "$W/report.json" \
	    >/dev/null 2>&1
	MUST=$(jq '[.phones[].transfers[] | select((.name | endswith(".sip.ld")) and .outcome == "completed") | .total] | add // 0' "$W/report.json")
	SERVED=$(jq '[.phones[].bytes_served] | add // 0' "$W/report.json")
	# The link's busy window: first image byte to last, from the journal.
	IMG_S=$(jq '[.phones[].transfers[] | select(.name | endswith(".sip.ld"))] | if length > 0 then ((map(.ended) | max) - (map(.started) | min)) / 1000 else 0 end' "$W/report.json")
	grep -o 'journal: [0-9]* fsyncs.*' "$W/serve.log" | tail -1 >&2
	# The daemon's CPU in user and system time, apart.
	CPU_US=$(awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f / %.2f", $14 / hz, $15 / hz }' \
	    "$W/stat")
	echo "bench-closet: $1 phones: ${SECS} s, images from first start to last end ${IMG_S} s, RSS at the end anon ${ANON_KB} kB file ${FILE_KB} kB; sampled peaks anon ${ANON_PEAK} kB file ${FILE_PEAK} kB; VmHWM ${RSS_KB} kB" >&2
}

mb() { echo "$1" | awk '{ printf "%.1f", $1 / 1048576 }'; }

echo "bench-closet: realistic library ($SIZE images)" >&2
library "$SIZE" || { echo "bench-closet: library failed" >&2; exit 1; }
LOAD0=$(cut -d' ' -f1 /proc/loadavg)
run "$PHONES" || { echo "bench-closet: daemon did not start" >&2; exit 1; }
LOAD1=$(cut -d' ' -f1 /proc/loadavg)
S48=$SECS OK48=$OK RSS48=$RSS_KB CPU48=$CPU_S MUST48=$MUST SERVED48=$SERVED
CPU_US48=$CPU_US PHONES_CPU48=$PHONES_CPU BUSY48=$BUSY
ANON48=$ANON_PEAK IMG48=$IMG_S
BOUND=$(echo "$MUST48 $RATE_BPS" | awk '{ printf "%.2f", $1 * 8 / $2 }')
RATIO=$(echo "$S48 $BOUND" | awk '{ printf "%.2f", ($2 > 0 ? $1 / $2 : 0) }')
[ "$OK48" -eq "$PHONES" ] || sed 's/^/  /' "$W/err" | head >&2

if [ "$PROTO" = tftp ]; then
	# The same closet with the phones on libcurl's TFTP client, for the
	# phones' own share of the CPU (run before the plain one's figures are
	# read from the files it left).
	PHONES_CPU_PLAIN=$(cat "$W/phones-cpu" 2>/dev/null)
	CURL_ROW="-"
	if [ "${BENCH_TFTP_CLIENT:-}" = plain ]; then
		echo "bench-closet: the same closet, phones on libcurl's TFTP client" >&2
		BENCH_TFTP_CLIENT=curl run "$PHONES" || exit 1
		CURL_RATIO=$(echo "$SECS $BOUND" | awk '{ printf "%.2f", ($2 > 0 ? $1 / $2 : 0) }')
		CURL_ROW="| the same, phones on libcurl's TFTP client | $OK/$PHONES | ${SECS} s | ${BOUND} s | ${CURL_RATIO}x | ${IMG_S} s | - | - | ${CPU_S} s ($CPU_US) | ${PHONES_CPU:--} | $BUSY | - |"
		echo "$PHONES_CPU_PLAIN" >"$W/phones-cpu"
	fi
	IMGRATIO=$(echo "$IMG48 $BOUND" | awk '{ printf "%.2f", ($2 > 0 ? $1 / $2 : 0) }')
	# The closet's phones share the machine: their CPU is a floor here.
	PHONES_SUM=$(awk -F/ '{ printf "%.2f", $1 + $2 }' "$W/phones-cpu" \
	    2>/dev/null)
	PHONES_FLOOR=$(echo "$PHONES_SUM $(nproc)" | awk '{ printf "%.2f", $1 / $2 }')
	PHONES_FLOORRATIO=$(echo "$PHONES_FLOOR $BOUND" | awk '{ printf "%.2f", ($2 > 0 ? $1 / $2 : 0) }')
	BOTH_FLOOR=$(echo "$PHONES_SUM $CPU48 $(nproc)" | awk '{ printf "%.2f", ($1 + $2) / $3 }')
	# Each 512-byte block carries 46 bytes of headers through the shaper
	# (TFTP 4, UDP 8, IPv4 20, Ethernet 14): the link's own bound.
	WIRE=$(echo "$MUST48 $RATE_BPS" | awk '{ printf "%.2f", $1 / 512 * 558 * 8 / $2 }')
	{
		echo "# TFTP closet benchmark"
		echo
		echo "The closet of docs/benchmarks/closet.md ($PHONES simulated phones"
		echo "in a network namespace, \`ztp-rescue serve\` across a veth pair"
		echo "shaped to $RATE each way with tc tbf; synthetic \`$SIZE\` images)"
		echo "with every phone over TFTP: plain RFC 1350 requests, no options,"
		echo "so 512-byte blocks, one per round trip (block numbers roll over"
		echo "past 32 MB).  The daemon runs as shipped (one TFTP worker loop per"
		echo "CPU: $(nproc) here).  Lower bound: the image bytes every phone must"
		echo "take whole at $RATE_BPS bit/s of payload, as for the HTTP closet."
		if [ "$CURL_ROW" != - ]; then
			echo
			echo "The phones read over phonesim's own stop-and-wait client"
			echo "(\`--tftp-client plain\`, tests/phonesim/tftp-get.c: a blocking"
			echo "recv and a send a block, the same packets as libcurl's).  The"
			echo "second row is the same closet, in the same run, with the phones"
			echo "on libcurl's TFTP client (two polls, a recv and a send a block):"
			echo "the simulated phones' CPU is this machine's, not their own, and"
			echo "it counts against the wall time here as the daemon's does."
		fi
		echo
		echo "| closet | recovered | wall time | lower bound | ratio | images first start to last end | its ratio | image bytes | daemon CPU (user / system) | phones' CPU (user / system) | CPUs busy | load average before / after |"
		echo "|---|---|---|---|---|---|---|---|---|---|---|---|"
		echo "| $PHONES phones over TFTP, 512-byte blocks | $OK48/$PHONES | ${S48} s | ${BOUND} s | ${RATIO}x | ${IMG48} s | ${IMGRATIO}x | $(mb "$MUST48") MB | ${CPU48} s ($CPU_US48) | ${PHONES_CPU48:--} | $BUSY48 | $LOAD0 / $LOAD1 |"
		[ "$CURL_ROW" = - ] || echo "$CURL_ROW"
		echo
		echo "At 512-byte blocks the headers (TFTP, UDP, IP, Ethernet: 46"
		echo "bytes a block) alone put the link's own bound at ${WIRE} s."
		echo "\"CPUs busy\" is the whole machine's (every process, every CPU)"
		echo "over the run, from /proc/stat; the load average after the run"
		echo "counts the closet's own phones and daemon."
		if [ -n "$PHONES_SUM" ]; then
			echo
			echo "The simulated phones run on this machine too: their CPU"
			echo "alone (${PHONES_SUM} s) spread over its $(nproc) CPUs takes"
			echo "${PHONES_FLOOR} s, ${PHONES_FLOORRATIO}x the lower bound, with a server that"
			echo "costs nothing.  Phones and daemon together needed ${BOTH_FLOOR} s"
			echo "of the $(nproc) CPUs: with this daemon's CPU the wall time"
			echo "cannot be shorter here."
		fi
	} | tee "$OUT"
	exit 0
fi

# The same closet with the state directory on a slow stick: before (every
# journal write commits alone) and after (grouped writes).
# slow_run ENV DAEMON [WHAT]: WHAT "journal" slows the journal's files only.
slow_run() {
	if [ "${3:-}" = journal ]; then
		_where="SLOW_FSYNC_PREFIX=$W/state/journal.db"
	else
		_where="SLOW_FSYNC_DIR=$W/state"
	fi
	SRV_ENV="LD_PRELOAD=$W/slow-fsync.so $_where SLOW_FSYNC_MS=$FSYNC_MS SLOW_FSYNC_LOG=$W/fsyncs $1"
	DAEMON=$2
	run "$PHONES" || return 1
	SRV_ENV= DAEMON=
	SLOW_FSYNCS=$(awk '{ n += $2 } END { print n + 0 }' "$W/fsyncs" 2>/dev/null)
	SLOW_RATIO=$(echo "$SECS $BOUND" | awk '{ printf "%.2f", ($2 > 0 ? $1 / $2 : 0) }')
	[ "$OK" -eq "$PHONES" ] || sed 's/^/  /' "$W/err" | head >&2
}
SLOW=0
if [ "$FSYNC_MS" -gt 0 ]; then
	cc -shared -fPIC -O2 -o "$W/slow-fsync.so" \
	    "$TOP/tests/bench/slow-fsync.c" -ldl || exit 1
	SLOW=1
	if [ -n "$OLD_BIN" ]; then
		echo "bench-closet: $PHONES phones, ${FSYNC_MS} ms fsync, $OLD_BIN" >&2
		slow_run "" "$OLD_BIN" || exit 1
		SO=$SECS OKO=$OK RO=$SLOW_RATIO FO=$SLOW_FSYNCS IMGO=$IMG_S
	fi
	echo "bench-closet: $PHONES phones, ${FSYNC_MS} ms fsync, every write alone" >&2
	slow_run ZTP_JOURNAL_GROUP=0 "" || exit 1
	SB=$SECS OKB=$OK RB=$SLOW_RATIO FB=$SLOW_FSYNCS IMGB=$IMG_S
	echo "bench-closet: $PHONES phones, ${FSYNC_MS} ms fsync, grouped writes" >&2
	slow_run "" "" || exit 1
	SA=$SECS OKA=$OK RA=$SLOW_RATIO FA=$SLOW_FSYNCS IMGA=$IMG_S
	# The journal's files alone (the upload store's fsyncs not slowed).
	echo "bench-closet: $PHONES phones, ${FSYNC_MS} ms fsync of the journal, every write alone" >&2
	slow_run ZTP_JOURNAL_GROUP=0 "" journal || exit 1
	SJB=$SECS OKJB=$OK RJB=$SLOW_RATIO FJB=$SLOW_FSYNCS IMGJB=$IMG_S
	echo "bench-closet: $PHONES phones, ${FSYNC_MS} ms fsync of the journal, grouped writes" >&2
	slow_run "" "" journal || exit 1
	SJA=$SECS OKJA=$OK RJA=$SLOW_RATIO FJA=$SLOW_FSYNCS IMGJA=$IMG_S
fi

[ "$MANY" -gt 0 ] || MANY=0
if [ "$MANY" -gt 0 ]; then
	echo "bench-closet: $MANY phones, tiny images" >&2
	library tiny || exit 1
	run "$MANY" || exit 1
	S500=$SECS OK500=$OK RSS500=$RSS_KB CPU500=$CPU_S ANON500=$ANON_PEAK
	[ "$OK500" -eq "$MANY" ] || sed 's/^/  /' "$W/err" | head >&2
fi

slow_table() {
	echo "| $PHONES phones, realistic images | recovered | wall time | lower bound | ratio | images first start to last end | slowed fsyncs |"
	echo "|---|---|---|---|---|---|---|"
	echo "| fsync as the machine has it | $OK48/$PHONES | ${S48} s | ${BOUND} s | ${RATIO}x | ${IMG48} s | - |"
	[ -z "$OLD_BIN" ] ||
	echo "| ${FSYNC_MS} ms fsync, before: ${BENCH_OLD_NAME:-\`$OLD_BIN\`} | $OKO/$PHONES | ${SO} s | ${BOUND} s | ${RO}x | ${IMGO} s | $FO |"
	echo "| ${FSYNC_MS} ms fsync, every journal write committed alone (ZTP_JOURNAL_GROUP=0) | $OKB/$PHONES | ${SB} s | ${BOUND} s | ${RB}x | ${IMGB} s | $FB |"
	echo "| ${FSYNC_MS} ms fsync, grouped writes, fsync when depended on | $OKA/$PHONES | ${SA} s | ${BOUND} s | ${RA}x | ${IMGA} s | $FA |"
	echo "| ${FSYNC_MS} ms fsync of the journal only, every journal write committed alone | $OKJB/$PHONES | ${SJB} s | ${BOUND} s | ${RJB}x | ${IMGJB} s | $FJB |"
	echo "| ${FSYNC_MS} ms fsync of the journal only, grouped writes, fsync when depended on | $OKJA/$PHONES | ${SJA} s | ${BOUND} s | ${RJA}x | ${IMGJA} s | $FJA |"
	echo
	echo "Every fsync and fdatasync of a file in the state directory (the"
	echo "journal and the upload store), or of the journal's files only, made"
	echo "${FSYNC_MS} ms slower by an LD_PRELOAD shim (tests/bench/slow-fsync.c),"
	echo "as on a USB stick; \"slowed fsyncs\" counts them over the run."
	echo "Target: within 1.3x of the bound."
}
if [ "$JOURNAL_ONLY" = 1 ]; then
	{
		echo "# The journal on a slow stick"
		echo
		echo "The closet of docs/benchmarks/closet.md (simulated phones in a"
		echo "network namespace, \`ztp-rescue serve\` across a veth pair shaped"
		echo "to $RATE each way, over HTTP; synthetic \`$SIZE\` images), $PHONES"
		echo "phones, the state directory on a disk whose fsync costs"
		echo "${FSYNC_MS} ms more.  Lower bound: the image bytes every phone must"
		echo "take whole at $RATE_BPS bit/s."
		echo
		slow_table
	} | tee "$OUT"
	exit 0
fi
{
	echo "# Closet benchmark"
	echo
	echo "Simulated phones (phonesim, optimised build) in a network namespace,"
	echo "\`ztp-rescue serve\` (optimised build) across a veth pair shaped to"
	echo "$RATE each way with tc tbf, over HTTP; mixed models at old versions,"
	echo "each phone: app log, config, its whole image, reboot, config, image"
	echo "header, trust and re-point, reboot, TLS to the mock ZTP endpoint."
	echo "Synthetic images (\`ucs-synth --size $SIZE\`)."
	echo
	echo "| closet | recovered | wall time | lower bound | ratio | image bytes | bytes served | daemon peak RSS (VmHWM) | of it anonymous | daemon CPU |"
	echo "|---|---|---|---|---|---|---|---|---|---|"
	echo "| $PHONES phones, $SIZE images | $OK48/$PHONES | ${S48} s | ${BOUND} s | ${RATIO}x | $(mb "$MUST48") MB | $(mb "$SERVED48") MB | $(mb "$((RSS48 * 1024))") MB | $(mb "$((ANON48 * 1024))") MB | ${CPU48} s |"
	[ "$MANY" -eq 0 ] ||
	echo "| $MANY phones, tiny images | $OK500/$MANY | ${S500} s | - | - | - | - | $(mb "$((RSS500 * 1024))") MB | $(mb "$((ANON500 * 1024))") MB | ${CPU500} s |"
	echo
	echo "Lower bound: the image bytes every phone must take whole, at"
	echo "$RATE_BPS bit/s of payload (TCP/IP framing is about 4% on top)."
	echo "The images crossed the link in ${IMG48} s of the ${S48} s (first image"
	echo "byte to last, from the journal); the rest is the phones' boots,"
	echo "configs, reboots and TLS.  Peak RSS is VmHWM, which counts the image"
	echo "pages the HTTP server maps to send them (page cache, shared);"
	echo "\"anonymous\" is the daemon's own memory (RssAnon, sampled every 0.2 s)."
	echo "Targets: within 1.25x of the bound at $PHONES phones; under 64 MB"
	echo "peak RSS at $MANY."
	[ "$SLOW" = 1 ] || exit 0
	echo
	slow_table
} | tee "$OUT"
