# Helpers for the serve*.sh and recovery*.sh suites (sourced, not a suite):
# a library of synthetic packages, a CA made with openssl, a daemon on
# loopback with free ports, and the state of one phone.

# serve_fixture DIR: synthetic packages imported into DIR/library.  Tiny
# images everywhere, except VVX101 (5.4.0): 24 MB, so that a client closing
# after the header is told apart from one that read it all.
serve_fixture() {
	_f=$1
	mkdir -p "$_f/state"
	"$SYNTH_BIN" --out "$_f/syn" --size tiny --format dir >/dev/null 2>&1 ||
	    return 1
	rm -rf "$_f/syn/"*5_4_0*
	"$SYNTH_BIN" --out "$_f/big" --size 25165824 --version 5.4.0 \
	    --format dir >/dev/null 2>&1 || return 1
	for _d in "$_f/syn/"* "$_f/big/"*; do
		"$ZTP_BIN" import --library "$_f/library" "$_d" >/dev/null ||
		    return 1
	done
	openssl req -x509 -nodes -days 3650 -subj '/CN=Rescue Test CA' \
	    -newkey rsa:2048 -sha256 -keyout "$_f/ca.key" -out "$_f/ca.pem" \
	    -addext basicConstraints=critical,CA:TRUE >/dev/null 2>&1
}

# serve_start DIR [options...]: a daemon on 127.0.0.1; sets HTTP, TFTP, SYSLOG
# and SERVE_PID.
serve_start() {
	_f=$1; shift
	HTTP=$(free_port tcp)
	TFTP=$(free_port udp)
	SYSLOG=$(free_port udp)
	"$ZTP_BIN" serve --listen 127.0.0.1 --http-port "$HTTP" \
	    --tftp-port "$TFTP" --syslog-port "$SYSLOG" --state "$_f/state" \
	    --library "$_f/library" --no-dhcp --foreground "$@" \
	    >>"$_f/serve.log" 2>&1 &
	SERVE_PID=$!
	at_exit "kill $SERVE_PID 2>/dev/null; wait $SERVE_PID 2>/dev/null"
	wait_for 10 curl -s -o /dev/null "http://127.0.0.1:$HTTP/x"
}

serve_stop() {
	kill "$SERVE_PID" 2>/dev/null
	wait "$SERVE_PID" 2>/dev/null
}

# phone_field DIR MAC FIELD: one field of a phone in `status --json`.
phone_field() {
	"$ZTP_BIN" status --state "$1/state" --json |
	    jq -r --arg m "$2" --arg f "$3" \
	    '.phones[] | select(.mac == $m) | .[$f] // ""'
}

# state_is DIR MAC STATE: for wait_for.
state_is() {
	[ "$(phone_field "$1" "$2" state)" = "$3" ]
}

# get UA IP NAME: an HTTP GET as a phone would (body discarded); prints the
# status code.
get() {
	curl -s -o /dev/null -w '%{http_code}' --interface "$2" -A "$1" \
	    "http://127.0.0.1:$HTTP/$3"
}

# get_header UA IP NAME: a phone that reads the image header (512 bytes of
# the body) and closes the connection (tests/integration/header-tool.c).
get_header() {
	[ -x "$D/header-tool" ] ||
	    cc -O1 -o "$D/header-tool" "$TOP/tests/integration/header-tool.c"
	"$D/header-tool" "$2" "$HTTP" "$3" "$1"
	return 0
}

# watch_events DIR: `ztp-rescue watch --json` into DIR/events, returning once
# it is subscribed (it has seen a phone appear: requests from made-up MACs
# until one shows).
watch_events() {
	"$ZTP_BIN" watch --state "$1/state" --json >"$1/events" 2>&1 &
	at_exit "kill $! 2>/dev/null"
	_i=0
	while [ $_i -lt 100 ] && ! grep -q '"event":"phone"' "$1/events"; do
		get x 127.0.0.1 "0004f20000$((10 + _i)).cfg" >/dev/null
		sleep 0.1
		_i=$((_i + 1))
	done
}
