#!/bin/sh
# HTTP serving of a 64 MB image to 48 concurrent clients (curl), against
# nginx (nginx-light, run in the foreground on a free port with a temporary
# config, sendfile on, one worker per core) serving the same file from the
# same library directory, in the same run.  Throughput = bytes delivered /
# wall time for all 48.  Target: ztp-rescue >= 0.9x nginx.  Writes a
# markdown table to $1.
set -u
out=${1:?usage: bench-http.sh OUTPUT.md}
: "${TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${BUILD:=build}"
: "${ZTP_BIN:=$TOP/$BUILD/ztp-rescue}"
: "${SYNTH_BIN:=$TOP/$BUILD/ucs-synth}"
. "$TOP/tests/lib.sh" >/dev/null
ROUNDS=${ROUNDS:-3}
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
pids="$pids $!"
wait_for 10 curl -s -o /dev/null "http://127.0.0.1:$zport/x" || { echo "bench-http: ztp-rescue did not start" >&2; cat "$work/serve.log" >&2; exit 1; }
wait_for 10 curl -s -o /dev/null "http://127.0.0.1:$nport/" || { echo "bench-http: nginx did not start" >&2; exit 1; }

now() { date +%s.%N; }
calc() { awk "BEGIN { printf \"%.1f\", $1 }"; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# run PORT: seconds for CLIENTS parallel downloads; fails on a short one.
run() {
	t0=$(now)
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
	t1=$(now)
	i=0
	while [ $i -lt "$CLIENTS" ]; do
		[ "$(cat "$work/c.$i")" = "$SIZE 200" ] || { echo "bench-http: short download from port $1: $(cat "$work/c.$i") (bytes, status)" >&2; return 1; }
		i=$((i + 1))
	done
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f\n", b - a }'
}

: >"$work/t-z"; : >"$work/t-n"
r=0
while [ $r -lt "$ROUNDS" ]; do
	run "$zport" >>"$work/t-z" || exit 1
	run "$nport" >>"$work/t-n" || exit 1
	r=$((r + 1))
done
tz=$(median <"$work/t-z")
tn=$(median <"$work/t-n")
total=$(calc "$CLIENTS * $SIZE / 1048576")
rz=$(calc "$CLIENTS * $SIZE / 1048576 / $tz")
rn=$(calc "$CLIENTS * $SIZE / 1048576 / $tn")
ratio=$(awk -v a="$rz" -v b="$rn" 'BEGIN { printf "%.2f", a / b }')
{
	echo "# HTTP serving benchmark"
	echo
	echo "$CLIENTS concurrent curl downloads of one 64 MB image over loopback,"
	echo "median of $ROUNDS rounds, same file, same run ($(nproc) CPUs; the"
	echo "clients share them).  Target: ztp-rescue >= 0.9x nginx."
	echo
	echo "| server | seconds | MB/s | ratio |"
	echo "|---|---|---|---|"
	echo "| ztp-rescue serve | $tz | $rz | $ratio |"
	echo "| nginx $(nginx -v 2>&1 | sed 's/.*nginx\///') (sendfile, $(nproc) workers) | $tn | $rn | 1.00 |"
	echo
	echo "Total per round: $total MB.  ztp-rescue also journals every transfer"
	echo "(SQLite, synchronous=FULL) and holds each image at its 512-byte header"
	echo "until acknowledged (abandon detection), 150 ms more only when the"
	echo "client's receive window could hide an abandon."
} >"$out"
cat "$out"
