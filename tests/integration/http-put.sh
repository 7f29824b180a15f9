#!/bin/sh
# PUT bodies go to the upload quarantine as they arrive, over HTTP and
# HTTPS: four concurrent 16 MiB PUTs are stored whole while the daemon's
# peak RSS grows by far less than one of them (it used to hold each body in
# memory until it was whole), chunked bodies included, and what is stored is
# journaled as before.  The refusals at the head, pipelining, a trickled
# body and a cut one are in tests/unit/test_http.c.
. "$TOP/tests/lib.sh"
. "$TOP/tests/integration/e2e-lib.sh"

[ -x "$SYNTH_BIN" ] || { skip "no ucs-synth at $SYNTH_BIN"; done_testing; exit 0; }
[ -x "$PHONESIM_BIN" ] || { skip "no phonesim at $PHONESIM_BIN"; done_testing; exit 0; }

D=$(make_tmpdir)
MIB16=16777216
head -c "$MIB16" /dev/urandom >"$D/body"
SUM=$(sha256 "$D/body")
HTTPS=$(free_port tcp)
# A small sanitizer quarantine: freed buffers are reused as they are in the
# appliance's own build, so the peak RSS shows what is held, not what the
# sanitizer keeps back.
ASAN_OPTIONS="${ASAN_OPTIONS:-}:quarantine_size_mb=0"
export ASAN_OPTIONS
check "synthetic library and test PKI made" e2e_fixture "$D"
check "daemon up with HTTPS" e2e_serve "$D" --https-port "$HTTPS"
wait_for 10 curl -sk -o /dev/null "https://127.0.0.1:$HTTPS/x"

hwm() {
	awk '/^VmHWM/ { print $2 }' "/proc/$SERVE_PID/status"
}

# put URL FILE: the status code of a PUT of FILE (- for chunked stdin).
# As a phone PUTs its log: with its User-Agent (a PUT that says it is no
# phone is stored, but is no phone's word, and journals nothing of one).
UA="FileTransport PolycomVVX-VVX_410-UA/5.4.1.18370 Type/Application"
put() {
	if [ "$2" = - ]; then
		curl -sk -A "$UA" -o /dev/null -w '%{http_code}' -T - "$1" \
		    <"$D/body"
	else
		curl -sk -A "$UA" -o /dev/null -w '%{http_code}' -T "$2" "$1"
	fi
}

# Warm up both listeners (TLS contexts, first buffers) before measuring.
echo small >"$D/small"
check_eq "a small PUT over HTTP is stored" 201 \
    "$(put "http://127.0.0.1:$HTTP/0004f2cc0100-app.log" "$D/small")"
check_eq "a small PUT over HTTPS is stored" 201 \
    "$(put "https://127.0.0.1:$HTTPS/0004f2cc0101-app.log" "$D/small")"
before=$(hwm)

pids=
for i in 1 2 3 4; do
	put "http://127.0.0.1:$HTTP/0004f2cc000$i-app.log" "$D/body" \
	    >"$D/code$i" &
	pids="$pids $!"
done
put "https://127.0.0.1:$HTTPS/0004f2cc0005-app.log" "$D/body" >"$D/code5" &
pids="$pids $!"
put "https://127.0.0.1:$HTTPS/0004f2cc0006-app.log" - >"$D/code6" &
pids="$pids $!"
for p in $pids; do
	wait "$p"
done
after=$(hwm)
for i in 1 2 3 4 5 6; do
	check_eq "16 MiB PUT $i is answered 201" 201 "$(cat "$D/code$i")"
	check_eq "16 MiB PUT $i is stored whole" "$SUM" \
	    "$(sha256 "$D/state/uploads/0004f2cc000$i-app.log")"
done
grew=$((after - before))
echo "# peak RSS $before kB before, $after kB after six concurrent 16 MiB PUTs (+$grew kB)"
check "the daemon's peak RSS grew by less than 4 MiB" test "$grew" -lt 4096

check_eq "a PUT over the size cap is refused at its head" 413 \
    "$(curl -s -o /dev/null -w '%{http_code}' -H 'Expect: 100-continue' \
    -H "Content-Length: $((MIB16 + 1))" -X PUT --data-binary @"$D/small" \
    "http://127.0.0.1:$HTTP/0004f2cc0007-app.log")"
check "nothing of it is stored" test ! -e "$D/state/uploads/0004f2cc0007-app.log"
check "no temporary is left in the quarantine" sh -c \
    "! ls -a '$D/state/uploads' | grep -q '^\\.upload-'"

check_eq "every stored PUT is journaled with its file" 8 \
    "$(sqlite3 "$D/state/journal.db" "SELECT count(*) FROM events WHERE evidence LIKE 'PUT %stored as %'" 2>/dev/null || echo '?')"

# A request from an address whose TFTP download runs on a worker is held
# until that download's events are in (serve.c, serve_http_hold).  The
# spool's late nudge to evhttp for a PUT's head then found the request
# handed over and evhttp "writing": libevent ended the process
# ("evhttp_read_cb: illegal connection state 7"), every phone with it.
cc -O1 -o "$D/tftp-tool" "$TOP/tests/integration/tftp-tool.c" || exit 1
curl -s -o /dev/null "tftp://127.0.0.1:$TFTP/0004f2cc0200.cfg"
"$D/tftp-tool" abandon 127.0.0.1 "$TFTP" 3111-46162-001.sip.ld 1 \
    >/dev/null 2>&1 &
ABANDON=$!
running() {
	grep -q "sip.ld to 127.0.0.1:[0-9]* started" "$D/serve.log"
}
check "a TFTP download from 127.0.0.1 is under way" wait_for 10 running
check_eq "a PUT from that address meanwhile is stored" 201 \
    "$(put "http://127.0.0.1:$HTTP/0004f2cc0201-app.log" "$D/small")"
check "and the daemon is still there" kill -0 "$SERVE_PID"
wait "$ABANDON"
check "daemon stops cleanly (no sanitizer report)" e2e_stop
done_testing
