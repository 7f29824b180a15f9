#!/bin/sh
# make demo: the appliance on loopback with high ports (no root), synthetic
# packages, a closet of simulated phones of mixed models and versions, and the
# console to watch them recover.  Everything it starts is stopped when the
# console exits (or the terminal closes).  The packages and the phones are
# synthetic stand-ins: no Polycom software is involved.
#
#   sh tests/demo.sh [BUILD]        (make demo runs it)
#   DEMO_NO_CONSOLE=1 ...           start everything, print how to attach, wait
#   DEMO_PACKAGES=DIR ...           packages from DIR, not images/synthetic
set -u
TOP=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-${BUILD:-build}}
case "$BUILD" in /*) ;; *) BUILD="$TOP/$BUILD" ;; esac
ZTP="$BUILD/ztp-rescue"
SIM="$BUILD/phonesim"
PACKAGES=${DEMO_PACKAGES:-$TOP/images/synthetic}

for f in "$ZTP" "$SIM"; do
	if [ ! -x "$f" ]; then
		echo "demo: $f is missing: run 'make demo'" >&2
		exit 1
	fi
done
if ! ls "$PACKAGES"/* >/dev/null 2>&1; then
	echo "demo: no synthetic packages in $PACKAGES: run 'make demo'" >&2
	exit 1
fi

DEMO=$(mktemp -d "${TMPDIR:-/tmp}/ztp-demo.XXXXXX") || exit 1
STATE="$DEMO/state"
mkdir -p "$STATE"
PIDS=""
SERVE_PID=""

cleanup() {
	# Ignored, not reset: a closing terminal hangs up more than once (tmux,
	# then the kernel), and a second SIGHUP must not end this half done.
	trap - EXIT
	trap '' INT TERM HUP
	for p in $PIDS; do
		kill "$p" 2>/dev/null
	done
	if [ -n "$SERVE_PID" ]; then
		"$ZTP" ctl --state "$STATE" shutdown >/dev/null 2>&1 ||
		    kill "$SERVE_PID" 2>/dev/null
		wait "$SERVE_PID" 2>/dev/null
	fi
	for p in $PIDS; do
		wait "$p" 2>/dev/null
	done
	if [ -n "${DEMO_KEEP:-}" ]; then
		echo "demo: kept $DEMO"
	else
		rm -rf "$DEMO"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

# A port nothing listens on now, below the kernel's ephemeral range (32768
# and up), where an outgoing connection could take it before the bind.
free_port() {
	while :; do
		p=$(( 20000 + ($(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % 12700) ))
		if [ "$1" = udp ]; then
			ss -Hlun "sport = :$p" 2>/dev/null | grep -q . || break
		else
			ss -Hltn "sport = :$p" 2>/dev/null | grep -q . || break
		fi
	done
	echo "$p"
}

echo "demo: importing the synthetic packages into $DEMO/library"
for pkg in "$PACKAGES"/*; do
	"$ZTP" import --library "$DEMO/library" "$pkg" >>"$DEMO/import.log" 2>&1 ||
	    { echo "demo: import of $pkg failed (see $DEMO/import.log)" >&2;
	    DEMO_KEEP=1; exit 1; }
done

echo "demo: a test CA for the phones to trust"
"$SIM" make-test-pki "$DEMO/pki" >/dev/null 2>&1 ||
    { echo "demo: could not make a test CA" >&2; exit 1; }

HTTP=$(free_port tcp)
TFTP=$(free_port udp)
SYSLOG=$(free_port udp)
echo "demo: daemon on 127.0.0.1 (HTTP $HTTP, TFTP $TFTP, syslog $SYSLOG)"
"$ZTP" serve --listen 127.0.0.1 --http-port "$HTTP" --tftp-port "$TFTP" \
    --syslog-port "$SYSLOG" --state "$STATE" --library "$DEMO/library" \
    --ca "$DEMO/pki/ca.pem" --quiet-period 5 --no-dhcp --foreground \
    >"$DEMO/serve.log" 2>&1 </dev/null &
SERVE_PID=$!
i=0
until [ -S "$STATE/control.sock" ]; do
	i=$((i + 1))
	if [ "$i" -gt 100 ] || ! kill -0 "$SERVE_PID" 2>/dev/null; then
		echo "demo: the daemon did not start:" >&2
		tail -5 "$DEMO/serve.log" >&2
		DEMO_KEEP=1
		exit 1
	fi
	sleep 0.1
done

# The closet: mixed models and versions (two already current, one model the
# appliance does not know and holds), then three more phones a little later
# on a slower link.
cat >"$DEMO/closet" <<EOF
# MODEL VERSION MAC [PART]
VVX410 4.1.4.7430 0004f2d00001
VVX410 4.1.4.7430 0004f2d00002
VVX311 5.4.0.12410 0004f2d00003
VVX411 5.2.0.8330 0004f2d00004
VVX500 4.1.7.5432 0004f2d00005
VVX601 5.4.1.18370 0004f2d00006
SPIP550 4.0.1.13681 0004f2d00007
VVX9999 5.3.0.1000 0004f2d00008 3111-99999-001
EOF
"$SIM" --closet "$DEMO/closet" --server "http://127.0.0.1:$HTTP/" \
    --timeout 900 >"$DEMO/closet.log" 2>&1 </dev/null &
PIDS="$PIDS $!"
( sleep 8; exec "$SIM" --model VVX410 --version 4.1.2.3333 \
    --mac 0004f2d00011 --fleet 3 --server "http://127.0.0.1:$HTTP/" \
    --fault slow=400 --source 127.0.2.1 --timeout 900 ) \
    >"$DEMO/slow.log" 2>&1 </dev/null &
PIDS="$PIDS $!"

if [ -n "${DEMO_NO_CONSOLE:-}" ]; then
	echo "demo: running; in another terminal:"
	echo "  $ZTP console --state $STATE --demo"
	echo "demo: Ctrl-C here stops everything"
	wait "$SERVE_PID"
	exit 0
fi
echo "demo: opening the console (q leaves it, and the demo stops)"
"$ZTP" console --state "$STATE" --no-start --demo
rc=$?
echo "demo: stopping the daemon and the simulated phones"
exit "$rc"
