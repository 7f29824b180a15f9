#!/bin/sh
# HTTP serving of a 64 MB image to 48 concurrent clients (curl), against
# nginx (nginx-light, run in the foreground on a free port with a temporary
# config, sendfile on, one worker per core) serving the same file from the
# same library directory, in the same run, rounds taken in turn.  ZTP Rescue
# runs twice: as shipped (image bodies on one sender thread per core) and
# with --http-workers 0 (every body from the main loop).  Throughput = bytes
# delivered / wall time for all 48 (median round).  CPU per GB: the
# server's processes (nginx: master and workers), and the rest of the
# machine's busy time in the round, which is the clients'.  Target:
# ztp-rescue >= 1.1x nginx.  Writes a markdown table to $1.
set -u
out=${1:?usage: bench-http.sh OUTPUT.md}
: "${TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${BUILD:=build}"
: "${ZTP_BIN:=$TOP/$BUILD/ztp-rescue}"
: "${SYNTH_BIN:=$TOP/$BUILD/ucs-synth}"
. "$TOP/tests/lib.sh" >/dev/null
ROUNDS=${ROUNDS:-9}
CLIENTS=${CLIENTS:-48}
SIZE=67108864

command -v nginx >/dev/null 2>&1 || { echo "bench-http: nginx is missing" >&2; exit 1; }
work=$(mktemp -d "${TMPDIR:-/tmp}/bench-http.XXXXXX")
pids=""
trap 'for p in $pids; do kill $p 2>/dev/null; done; rm -rf "$work"' EXIT

"$SYNTH_BIN" --out "$work/synth" --size $SIZE --version 5.4.0 --format dir >/dev/null || exit 1
"$ZTP_BIN" import --library "$work/lib" "$work/synth/"* >/dev/null || exit 1
img=3111-40250-001.sip.ld
root=$(dirname "$(ls "$work/lib/packages/"*/$img)")
cat "$root/$img" >/dev/null	# both serve from the page cache

zport=$(free_port tcp)
# --no-verify: the start-up re-hash of the library would share the CPUs
# with the first round.
"$ZTP_BIN" serve --listen 127.0.0.1 --http-port "$zport" --tftp-port 0 \
    --syslog-port off --state "$work/state" --library "$work/lib" --no-dhcp \
    --no-verify --foreground >"$work/serve.log" 2>&1 &
zpid=$!
pids="$pids $!"
z0port=$(free_port tcp)
"$ZTP_BIN" serve --listen 127.0.0.1 --http-port "$z0port" --tftp-port 0 \
    --syslog-port off --state "$work/state0" --library "$work/lib" --no-dhcp \
    --no-verify --foreground --http-workers 0 >"$work/serve0.log" 2>&1 &
z0pid=$!
pids="$pids $!"

nport=$(free_port tcp)
mkdir -p "$work/nginx"
cat >"$work/nginx/nginx.conf" <<EOC
worker_processes auto;
user root;
daemon off;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log;
events { worker_connections 1024; }
http {
	access_log off;
	sendfile on;
	tcp_nopush on;
	client_body_temp_path $work/nginx/body;
	proxy_temp_path $work/nginx/proxy;
	fastcgi_temp_path $work/nginx/fastcgi;
	uwsgi_temp_path $work/nginx/uwsgi;
	scgi_temp_path $work/nginx/scgi;
	server {
		listen 127.0.0.1:$nport;
		root $root;
	}
}
EOC
nginx -c "$work/nginx/nginx.conf" -p "$work/nginx" &
npid=$!
pids="$pids $!"
wait_for 10 curl -s -o /dev/null "http://127.0.0.1:$zport/x" || { echo "bench-http: ztp-rescue did not start" >&2; cat "$work/serve.log" >&2; exit 1; }
wait_for 10 curl -s -o /dev/null "http://127.0.0.1:$z0port/x" || { echo "bench-http: ztp-rescue --http-workers 0 did not start" >&2; cat "$work/serve0.log" >&2; exit 1; }
wait_for 10 curl -s -o /dev/null "http://127.0.0.1:$nport/" || { echo "bench-http: nginx did not start" >&2; exit 1; }

now() { date +%s.%N; }
calc() { awk "BEGIN { printf \"%.1f\", $1 }"; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
hz=$(getconf CLK_TCK)
# CPU ticks of a process and its children (nginx's workers).
cpu_of() {
	for p in $1 $(pgrep -P "$1"); do
		awk '{ print $14 + $15 }' "/proc/$p/stat" 2>/dev/null
	done | awk '{ s += $1 } END { print s + 0 }'
}
# The machine's busy ticks (user, nice, system, irq, softirq).
busy() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 }' /proc/stat; }

# run PORT PID: "seconds server-ticks busy-ticks" for CLIENTS parallel
# downloads; fails on a short one.
run() {
	c0=$(cpu_of "$2"); b0=$(busy); t0=$(now)
	i=0
	cpids=""
	while [ $i -lt "$CLIENTS" ]; do
		curl -s -o /dev/null -w '%{size_download} %{http_code}\n' \
		    "http://127.0.0.1:$1/$img" >"$work/c.$i" &
		cpids="$cpids $!"
		i=$((i + 1))
	done
	for c in $cpids; do
		wait "$c"
	done
	t1=$(now); c1=$(cpu_of "$2"); b1=$(busy)
	i=0
	while [ $i -lt "$CLIENTS" ]; do
		[ "$(cat "$work/c.$i")" = "$SIZE 200" ] || { echo "bench-http: short download from port $1: $(cat "$work/c.$i") (bytes, status)" >&2; return 1; }
		i=$((i + 1))
	done
	awk -v a="$t0" -v b="$t1" -v c=$((c1 - c0)) -v d=$((b1 - b0)) \
	    'BEGIN { printf "%.3f %d %d\n", b - a, c, d }'
}

: >"$work/t-z"; : >"$work/t-z0"; : >"$work/t-n"
r=0
while [ $r -lt "$ROUNDS" ]; do
	run "$zport" "$zpid" >>"$work/t-z" || exit 1
	run "$z0port" "$z0pid" >>"$work/t-z0" || exit 1
	run "$nport" "$npid" >>"$work/t-n" || exit 1
	r=$((r + 1))
done
total=$(calc "$CLIENTS * $SIZE / 1048576")
gb=$(awk -v c="$CLIENTS" -v s="$SIZE" 'BEGIN { print c * s / 1e9 }')
tn=$(cut -d' ' -f1 "$work/t-n" | median)
# row FILE LABEL: the table row of one server, its ratio against nginx.
row() {
	t=$(cut -d' ' -f1 "$1" | median)
	awk -v t="$t" -v tn="$tn" -v mb="$total" -v gb="$gb" -v hz="$hz" \
	    -v n="$ROUNDS" -v label="$2" '
	    { srv += $2; all += $3 }
	    END { printf "| %s | %.3f | %.1f | %.2f | %.2f | %.2f |\n", label,
		t, mb / t, tn / t, srv / hz / n / gb, (all - srv) / hz / n / gb }
	' "$1"
}
{
	echo "# HTTP serving benchmark"
	echo
	echo "$CLIENTS concurrent curl downloads of one 64 MB image over loopback,"
	echo "median of $ROUNDS rounds taken in turn, same file, same run ($(nproc)"
	echo "CPUs; the clients share them).  CPU per GB is the mean over the rounds:"
	echo "the server's processes, and the rest of the machine's busy time (the"
	echo "clients').  Target: ztp-rescue >= 1.1x nginx."
	echo
	echo "| server | seconds | MB/s | ratio | server CPU s/GB | clients' CPU s/GB |"
	echo "|---|---|---|---|---|---|"
	row "$work/t-z" "ztp-rescue serve (senders: one per CPU)"
	row "$work/t-z0" "ztp-rescue serve --http-workers 0"
	row "$work/t-n" "nginx $(nginx -v 2>&1 | sed 's/.*nginx\///') (sendfile, $(nproc) workers)"
	echo
	echo "Total per round: $total MB.  ztp-rescue also journals every transfer"
	echo "(SQLite) and holds each image at its 512-byte header until"
	echo "acknowledged (abandon detection), 150 ms more only when the client's"
	echo "receive window could hide an abandon."
} >"$out"
cat "$out"
