#!/bin/sh
# TFTP on loopback, in one run: ZTP Rescue (`ztp-rescue tftpd`, the optimised
# build) against tftpd-hpa (`in.tftpd`, run by hand in the foreground) and
# dnsmasq's TFTP, serving a 64 MB image to 1, 8 and 48 concurrent curl
# clients at blksize 512 and 1468: aggregate MB/s and the server's own CPU
# seconds per GB served (from a cpuacct cgroup per server, so that
# in.tftpd's forked children count too; else /proc/PID/stat), and the
# clients' CPU seconds per GB from a second cgroup: on a 2-core machine the
# clients' share bounds what any server's efficiency can buy in throughput,
# so the table shows that ceiling from the same run.  Beside them runs
# tests/bench/tftp-floor.c, a yardstick doing only one blocking recv and one
# send per block, a process per transfer: with one stop-and-wait client its
# CPU per GB is the floor under any server, measured in the same run.  Then one atftp
# client asking for windowsize 8 against ZTP Rescue and in.tftpd (which
# ignores it).  Then the added latency per block: tests/bench/tftp-latency.c,
# one stop-and-wait client alone against ZTP Rescue, in.tftpd, the floor and
# the floor in one system call per block (tftp-floor --uring), timing each
# ACK sent to the kernel's receive stamp of the DATA it brought (server
# turnaround plus loopback), as percentiles in microseconds, with every
# server held on CPU 0 and the client on the same CPU, then on the other
# (taskset): where the scheduler put them otherwise moved the figures more
# than any server's work did.  ZTP
# Rescue runs as shipped (downloads on one worker loop per CPU) and, for the
# throughput table, with --workers 0 (everything in one loop).  Writes
# a markdown table of ratios to $1 and stdout.
#
# Every server is started once and stays up; each cell is measured in
# BENCH_ROUNDS rounds taken in turn (the servers in a rotating order), and
# the tables give each figure's median round.  A loaded or noisy machine
# moves every server's figures between runs by as much as 25%; taken in
# turn, a change of speed falls on all of them alike.  With 16 or more
# clients each fetches a quarter of the image, so that a round stays short.
#
#   BENCH_MB=64 BENCH_CLIENTS="1 8 48" BENCH_ROUNDS=3 sh tests/bench/bench-tftp.sh out.md
#   BENCH_CLIENTS= sh tests/bench/bench-tftp.sh out.md   # latency only:
#   replaces only the latency section of out.md, if it has one
set -u
: "${TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${BUILD:=build}"
: "${ZTP_BIN:=$TOP/$BUILD/ztp-rescue}"
OUT=${1:-/dev/null}
MB=${BENCH_MB:-64}
CLIENTS=${BENCH_CLIENTS-1 8 48}
BLKSIZES=${BENCH_BLKSIZES:-512 1468}
ROUNDS=${BENCH_ROUNDS:-3}
# flooru: the floor in one system call per block, for the latency only.
SERVERS="ztp ztp1 hpa dnsmasq floor flooru"
[ -z "$CLIENTS" ] && SERVERS="ztp hpa floor flooru"	# latency only

for c in curl atftp in.tftpd dnsmasq; do
	command -v $c >/dev/null 2>&1 || { echo "bench-tftp: $c missing" >&2; exit 1; }
done
[ -x "$ZTP_BIN" ] || { echo "bench-tftp: no $ZTP_BIN" >&2; exit 1; }

W=$(mktemp -d /dev/shm/bench-tftp.XXXXXX)
CGROOT=/sys/fs/cgroup/cpuacct
CGC=$CGROOT/bench-tftp-clients-$$
cleanup() {
	for s in $SERVERS; do
		eval "pid=\${SRV_$s:-}"
		[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
		rmdir "$CGROOT/bench-tftp-$s-$$" 2>/dev/null
	done
	rmdir "$CGC" 2>/dev/null
	rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
chmod 755 "$W"
mkdir "$W/root"
chmod 755 "$W/root"
head -c $((MB * 1048576)) /dev/urandom >"$W/root/image.bin"
head -c $((MB * 262144)) "$W/root/image.bin" >"$W/root/quarter.bin"
chmod 644 "$W/root/image.bin" "$W/root/quarter.bin"
SIZE=$((MB * 1048576))
cc -O2 -Wall -Wextra -Werror -o "$W/tftp-floor" "$TOP/tests/bench/tftp-floor.c" \
    -luring || exit 1
cc -O2 -Wall -Wextra -Werror -o "$W/tftp-latency" "$TOP/tests/bench/tftp-latency.c" || exit 1
mkdir "$CGC" 2>/dev/null || CGC=""

free_udp_port() {
	while :; do
		p=$(( 20000 + ($(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % 40000) ))
		ss -Hlun "sport = :$p" | grep -q . || { echo $p; return; }
	done
}

# Server CPU in seconds: the cgroup's, or the process's own plus reaped children.
cpu_now() {
	if [ -n "$CG" ]; then
		awk '{ printf "%.3f", $1 / 1e9 }' "$CG/cpuacct.usage"
	else
		awk -v hz="$(getconf CLK_TCK)" '{ printf "%.3f", ($14 + $15 + $16 + $17) / hz }' \
		    "/proc/$SRV/stat"
	fi
}

start_server() {	# ztp|ztp1|hpa|dnsmasq|floor|flooru
	CG=$CGROOT/bench-tftp-$1-$$
	mkdir "$CG" 2>/dev/null || CG=""
	PORT=$(free_udp_port)
	case $1 in
	ztp)	"$ZTP_BIN" tftpd --root "$W/root" --listen 127.0.0.1 \
		    --port "$PORT" >/dev/null 2>&1 &
		SRV=$! ;;
	ztp1)	"$ZTP_BIN" tftpd --root "$W/root" --listen 127.0.0.1 \
		    --port "$PORT" --workers 0 >/dev/null 2>&1 &
		SRV=$! ;;
	floor)	"$W/tftp-floor" "$PORT" "$W/root/image.bin" \
		    "$W/root/quarter.bin" >/dev/null 2>&1 &
		SRV=$! ;;
	flooru)	"$W/tftp-floor" --uring "$PORT" "$W/root/image.bin" \
		    >/dev/null 2>&1 &
		SRV=$! ;;
	hpa)	in.tftpd -L -s "$W/root" -a "127.0.0.1:$PORT" -u root \
		    >/dev/null 2>&1 &
		SRV=$! ;;
	dnsmasq)
		# No TFTP port option: dnsmasq always uses 69.
		PORT=69
		if ss -Hlun 'sport = :69' | grep -q .; then
			echo "bench-tftp: port 69 is busy, dnsmasq skipped" >&2
			SRV=""
			return 1
		fi
		dnsmasq -d --conf-file=/dev/null --port=0 --enable-tftp \
		    --tftp-root="$W/root" --listen-address=127.0.0.1 \
		    --bind-interfaces --tftp-max=100 --user=root \
		    --quiet-tftp >/dev/null 2>&1 &
		SRV=$! ;;
	esac
	[ -n "$CG" ] && echo "$SRV" >"$CG/cgroup.procs"
	i=0
	until ss -Hlun "sport = :$PORT" | grep -q .; do
		i=$((i + 1))
		[ $i -gt 50 ] && return 1
		sleep 0.1
	done
	return 0
}

# use_server NAME: make the started server NAME the current one.
use_server() {
	eval "SRV=\$SRV_$1 PORT=\$PORT_$1"
	CG=$CGROOT/bench-tftp-$1-$$
	[ -d "$CG" ] || CG=""
}

now() { date +%s.%N; }

clients_cpu_now() {
	if [ -n "$CGC" ]; then
		awk '{ printf "%.3f", $1 / 1e9 }' "$CGC/cpuacct.usage"
	else
		echo 0
	fi
}

# run N BLKSIZE: "MB/s server-cpu-s-per-GB ok client-cpu-s-per-GB" for the
# current server.
run_clients() {
	n=$1; blk=$2
	file=image.bin; size=$SIZE
	[ "$n" -ge 16 ] && file=quarter.bin size=$((SIZE / 4))
	c0=$(cpu_now); k0=$(clients_cpu_now); t0=$(now)
	i=0
	while [ $i -lt "$n" ]; do
		# Each client from its own address, like a room of phones, and
		# in the clients' cgroup before it starts.
		sh -c '[ -n "$1" ] && echo $$ >"$1/cgroup.procs"; shift; exec "$@"' \
		    sh "$CGC" curl -s --max-time 300 --tftp-blksize "$blk" \
		    --interface "127.0.$((i / 200 + 1)).$((i % 200 + 10))" \
		    -o /dev/null -w '%{size_download}\n' \
		    "tftp://127.0.0.1:$PORT/$file" >"$W/c$i" 2>/dev/null &
		i=$((i + 1))
	done
	wait	# the clients: this runs in a subshell, the server is not ours
	t1=$(now); c1=$(cpu_now); k1=$(clients_cpu_now)
	ok=0
	i=0
	while [ $i -lt "$n" ]; do
		[ "$(cat "$W/c$i")" = "$size" ] && ok=$((ok + 1))
		i=$((i + 1))
	done
	awk -v n="$n" -v s="$size" -v t0="$t0" -v t1="$t1" -v c0="$c0" \
	    -v c1="$c1" -v ok="$ok" -v k0="$k0" -v k1="$k1" 'BEGIN {
		bytes = n * s
		printf "%.1f %.2f %d %.2f\n", bytes / 1e6 / (t1 - t0),
		    (c1 - c0) / (bytes / 1e9), ok, (k1 - k0) / (bytes / 1e9) }'
}

run_atftp() {
	t0=$(now)
	atftp --option "blksize 1468" --option "windowsize 8" \
	    -g -r image.bin -l "$W/atftp.out" 127.0.0.1 "$PORT" >/dev/null 2>&1
	t1=$(now)
	if [ "$(wc -c <"$W/atftp.out")" != "$SIZE" ]; then
		echo "0"
	else
		awk -v s="$SIZE" -v t0="$t0" -v t1="$t1" \
		    'BEGIN { printf "%.1f\n", s / 1e6 / (t1 - t0) }'
	fi
	rm -f "$W/atftp.out"
}

# each_row AWK [FILE...]: AWK over the FILEs and the results once per
# (blksize, clients) row, with blk and n set.
each_row() {
	prog=$1; shift
	for blk in $BLKSIZES; do
		for n in $CLIENTS; do
			awk -v blk="$blk" -v n="$n" "$prog" "$@" "$RES"
		done
	done
}
for s in $SERVERS; do
	if start_server $s; then
		eval "SRV_$s=\$SRV PORT_$s=\$PORT"
	else
		[ -n "$SRV" ] && kill "$SRV" 2>/dev/null
		eval "SRV_$s="
	fi
	SRV=""
done
started() { eval "[ -n \"\${SRV_$1:-}\" ]"; }

# The rounds: in round r the servers start at the r-th, so none is always
# measured first or last.
RAW=$W/rounds
: >"$RAW"
for blk in $BLKSIZES; do
	for n in $CLIENTS; do
		r=0
		while [ $r -lt "$ROUNDS" ]; do
			set -- $SERVERS
			i=0
			while [ $i -lt $((r % $#)) ]; do
				x=$1; shift; set -- "$@" "$x"; i=$((i + 1))
			done
			for s in "$@"; do
				[ $s = flooru ] && continue
				started $s || continue
				use_server $s
				v=$(run_clients "$n" "$blk")
				echo "$s $blk $n $v" >>"$RAW"
				echo "$s blksize $blk, $n clients, round $((r + 1)): $v (MB/s, CPU s/GB, ok, clients' CPU s/GB)" >&2
			done
			r=$((r + 1))
		done
	done
done

# RES: each server's median round per cell, as "s blk n MB/s cpu ok kcpu"
# (the fewest complete of any round); SPREAD: ZTP Rescue / in.tftpd per
# round, as "blk n lowest highest".
sort -k1,1 -k2,2n -k3,3n "$RAW" | awk '
	function med(a, k,   i, j, x) {	# insertion sort of a[1..k]
		for (i = 2; i <= k; i++) {
			x = a[i]
			for (j = i - 1; j >= 1 && a[j] > x; j--) a[j + 1] = a[j]
			a[j + 1] = x
		}
		return a[int((k + 1) / 2)]
	}
	function flush() {
		if (k > 0) printf "%s %.1f %.2f %d %.2f\n", key, med(t, k), med(c, k), okmin, med(q, k)
		k = 0
	}
	{ if ($1 " " $2 " " $3 != key) { flush(); key = $1 " " $2 " " $3; okmin = $6 }
	  k++; t[k] = $4; c[k] = $5; q[k] = $7; if ($6 < okmin) okmin = $6 }
	END { flush() }' >"$W/res"
RES=$W/res
awk '$1 == "ztp" || $1 == "hpa" {
	k = $2 " " $3; seen[k] = 1; r = ++round[$1 " " k]
	v[$1 " " k " " r] = $4
}
END {
	for (k in seen)
		for (r = 1; (("ztp " k " " r) in v) && (("hpa " k " " r) in v); r++) {
			if (v["hpa " k " " r] <= 0) continue
			x = v["ztp " k " " r] / v["hpa " k " " r]
			if (!(k in lo) || x < lo[k]) lo[k] = x
			if (!(k in hi) || x > hi[k]) hi[k] = x
		}
	for (k in lo) printf "%s %.2f %.2f\n", k, lo[k], hi[k]
}' "$RAW" >"$W/spread"

for s in $SERVERS; do
	started $s || continue
	use_server $s
	if [ -n "$CLIENTS" ] && { [ $s = ztp ] || [ $s = hpa ]; }; then
		w1=$(run_atftp); w2=$(run_atftp); w3=$(run_atftp)
		w=$(printf '%s\n%s\n%s\n' "$w1" "$w2" "$w3" | sort -n | sed -n 2p)
		echo "$s window $w" >>"$RES"
		echo "$s atftp windowsize 8: $w MB/s ($w1 $w2 $w3)" >&2
	fi
done

# The latency: one client alone.  On a VM, waking a task on another CPU
# costs more than any server's work per block, and where the scheduler
# puts client and server changes from run to run; so every server (all
# its threads and the children it forks) is held on CPU 0, and the client
# runs on CPU 0 ("same CPU") and then on CPU 1 ("other CPU").  Three
# rounds taken in turn; each server's median round by p50.
LAT_CPUS=0
[ "$(nproc)" -ge 2 ] && LAT_CPUS="0 1"
for s in ztp hpa floor flooru; do
	started $s || continue
	eval "taskset -a -p -c 0 \$SRV_$s" >/dev/null || exit 1
done
LAT=$W/latency
: >"$LAT"
for blk in $BLKSIZES; do
	for cpu in $LAT_CPUS; do
		for r in 1 2 3; do
			set -- ztp hpa floor flooru
			i=0
			while [ $i -lt $((r % $#)) ]; do
				x=$1; shift; set -- "$@" "$x"; i=$((i + 1))
			done
			for s in "$@"; do
				started $s || continue
				use_server $s
				v=$(taskset -c "$cpu" "$W/tftp-latency" "$PORT" \
				    image.bin "$blk") || v="0 0 0 0 0"
				echo "$s $blk $cpu $v" >>"$LAT"
				echo "$s latency $blk, client on CPU $cpu, round $r: $v" >&2
			done
		done
	done
done
for s in ztp hpa floor flooru; do
	for blk in $BLKSIZES; do
		for cpu in $LAT_CPUS; do
			grep "^$s $blk $cpu " "$LAT" | sort -k4,4n | sed -n 2p |
			    sed "s/^$s $blk $cpu /$s latency $blk $cpu /" >>"$RES"
		done
	done
done

latency_table() {
	echo "Added latency per block: one stop-and-wait client alone"
	echo "(tests/bench/tftp-latency.c), from the ACK handed to the kernel to the"
	echo "kernel's receive stamp of the DATA it brought: the server's turnaround plus"
	echo "loopback, the same way for every server; every block of the ${MB} MB image"
	echo "but the first. Each server (its threads and children) held on CPU 0, the"
	echo "client on CPU 0 (\"same CPU\") or CPU 1 (\"other CPU\": the wake-up of"
	echo "a task on another CPU, which a VM pays dearly, is in every block); three"
	echo "rounds taken in turn, each server's median round by p50; microseconds."
	echo "\"floor, one call per block\": tftp-floor --uring, the DATA's send and the"
	echo "next ACK's receive in one io_uring_enter(), the fewest system calls any"
	echo "server can make:"
	echo
	echo "| blksize | client | server | p50 µs | p90 µs | p99 µs | max µs | blocks | p50 vs floor | p99 vs floor |"
	echo "|---|---|---|---|---|---|---|---|---|---|"
	for blk in $BLKSIZES; do
		for cpu in $LAT_CPUS; do
			awk -v blk="$blk" -v cpu="$cpu" '$2 == "latency" && $3 == blk && $4 == cpu {
				p50[$1] = $5; p90[$1] = $6; p99[$1] = $7; mx[$1] = $8; n[$1] = $9 }
			function ratio(a, b) { return (b > 0 && a != "") ? sprintf("%.2f×", a / b) : "n/a" }
			END {
				split("ztp hpa floor flooru", order, " ")
				name["ztp"] = "ZTP Rescue"; name["hpa"] = "in.tftpd"; name["floor"] = "floor"
				name["flooru"] = "floor, one call per block"
				for (i = 1; i <= 4; i++) {
					s = order[i]
					if (!(s in p50)) continue
					printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", blk,
					    cpu == 0 ? "same CPU" : "other CPU", name[s],
					    p50[s], p90[s], p99[s], mx[s], n[s],
					    ratio(p50[s], p50["floor"]), ratio(p99[s], p99["floor"])
				}
			}' "$RES"
		done
	done
}

if [ -z "$CLIENTS" ]; then
	# The throughput tables already there stay; the latency section is new.
	{
		if [ -f "$OUT" ] && grep -q '^# TFTP' "$OUT"; then
			sed '/^Added latency per block/,$d' "$OUT"
		else
			echo "# TFTP: added latency per block"
			echo
		fi
		echo "Latency measured $(date -u +%Y-%m-%d), loopback, $(nproc) CPUs."
		latency_table
	} >"$W/out.md"
	cat "$W/out.md" >"$OUT"
	cat "$W/out.md"
	exit 0
fi

{
	echo "# TFTP: ZTP Rescue vs tftpd-hpa (in.tftpd) vs dnsmasq"
	echo
	echo "Loopback, $(nproc) CPUs, ${MB} MB image on tmpfs (a quarter of it per client"
	echo "with 48), curl clients each from its own 127.x address, $(date -u +%Y-%m-%d)."
	echo "Every server up at once, each cell measured in $ROUNDS rounds taken in turn;"
	echo "each figure is the server's median round. Server CPU from a cpuacct cgroup"
	echo "(in.tftpd's forked children included). Ratios are ZTP Rescue / peer;"
	echo "CPU per GB lower is better, throughput higher is better. \"per round\":"
	echo "ZTP Rescue / in.tftpd within each round, lowest and highest."
	echo
	echo "| blksize | clients | ZTP MB/s | in.tftpd MB/s | dnsmasq MB/s | ZTP CPU s/GB | in.tftpd CPU s/GB | dnsmasq CPU s/GB | throughput vs in.tftpd | per round | vs dnsmasq | CPU/GB vs in.tftpd | vs dnsmasq | complete (ztp/hpa/dnsmasq) |"
	echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
	each_row '
			FILENAME ~ /spread$/ { if ($1 == blk && $2 == n) spread = $3 "–" $4 "×"; next }
			$2 == blk && $3 == n { t[$1] = $4; c[$1] = $5; ok[$1] = $6 }
			function ratio(a, b) { return (b > 0 && a != "") ? sprintf("%.2f×", a / b) : "n/a" }
			END {
				printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s/%s/%s |\n",
				    blk, n, t["ztp"], t["hpa"], t["dnsmasq"],
				    c["ztp"], c["hpa"], c["dnsmasq"],
				    ratio(t["ztp"], t["hpa"]), spread, ratio(t["ztp"], t["dnsmasq"]),
				    ratio(c["ztp"], c["hpa"]), ratio(c["ztp"], c["dnsmasq"]),
				    ok["ztp"], ok["hpa"], ok["dnsmasq"]
			}' "$W/spread"
	echo
	echo "The data plane: ZTP Rescue as shipped (downloads on one worker loop per"
	echo "CPU) against itself with --workers 0 (every transfer in one loop), same run:"
	echo
	echo "| blksize | clients | workers MB/s | one loop MB/s | throughput workers / one loop | workers CPU s/GB | one loop CPU s/GB | CPU/GB workers / one loop | one loop throughput vs in.tftpd | clients CPU s/GB (workers/one loop) |"
	echo "|---|---|---|---|---|---|---|---|---|---|"
	each_row '
			$2 == blk && $3 == n { t[$1] = $4; c[$1] = $5; k[$1] = $7 }
			function ratio(a, b) { return (b > 0 && a != "") ? sprintf("%.2f×", a / b) : "n/a" }
			END {
				printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s/%s |\n", blk, n,
				    t["ztp"], t["ztp1"], ratio(t["ztp"], t["ztp1"]),
				    c["ztp"], c["ztp1"], ratio(c["ztp"], c["ztp1"]),
				    ratio(t["ztp1"], t["hpa"]), k["ztp"], k["ztp1"]
			}'
	echo
	echo "Where the throughput can go on this machine: the clients' own CPU seconds"
	echo "per GB (a second cgroup), and the throughput ratio over each peer that a"
	echo "server costing no CPU at all would reach with every core busy,"
	echo "(peer server + peer clients) / (ZTP Rescue's clients):"
	echo
	echo "| blksize | clients | clients CPU s/GB (ztp/hpa/dnsmasq) | ceiling vs in.tftpd | ceiling vs dnsmasq |"
	echo "|---|---|---|---|---|"
	each_row '
			$2 == blk && $3 == n { c[$1] = $5; k[$1] = $7 }
			function ceil(p) { return (k["ztp"] > 0 && c[p] != "") ? sprintf("%.2f×", (c[p] + k[p]) / k["ztp"]) : "n/a" }
			END {
				printf "| %s | %s | %s/%s/%s | %s | %s |\n", blk, n,
				    k["ztp"], k["hpa"], k["dnsmasq"], ceil("hpa"), ceil("dnsmasq")
			}'
	echo
	echo "The floor: tftp-floor (tests/bench/tftp-floor.c: one blocking recv and"
	echo "one send per block, a process per transfer, nothing else), in the same"
	echo "run. With one client there is nothing to gather, so its CPU per GB"
	echo "against in.tftpd's is the best any server could show; with more clients"
	echo "an event loop that takes several ACKs per wakeup can go below it (ZTP"
	echo "Rescue against the floor under 1×):"
	echo
	echo "| blksize | clients | floor MB/s | floor CPU s/GB | floor CPU/GB vs in.tftpd | ZTP CPU/GB vs floor | floor throughput vs in.tftpd | vs dnsmasq | complete |"
	echo "|---|---|---|---|---|---|---|---|---|"
	each_row '
			$2 == blk && $3 == n { t[$1] = $4; c[$1] = $5; ok[$1] = $6 }
			function ratio(a, b) { return (b > 0 && a != "") ? sprintf("%.2f×", a / b) : "n/a" }
			END {
				printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s/%s |\n", blk, n,
				    t["floor"], c["floor"], ratio(c["floor"], c["hpa"]),
				    ratio(c["ztp"], c["floor"]), ratio(t["floor"], t["hpa"]),
				    ratio(t["floor"], t["dnsmasq"]), ok["floor"], n
			}'
	echo
	awk '$2 == "window" { w[$1] = $3 }
	END {
		printf "One atftp client, blksize 1468, windowsize 8 (median of 3): ZTP Rescue %s MB/s, in.tftpd %s MB/s (window ignored): **%.2f×**.\n",
		    w["ztp"], w["hpa"], (w["hpa"] > 0 ? w["ztp"] / w["hpa"] : 0)
	}' "$RES"
	echo
	latency_table
} | tee "$OUT"
