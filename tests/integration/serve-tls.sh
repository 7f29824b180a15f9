#!/bin/sh
# HTTPS with the self-signed SHA-256 certificate made on first start (and
# kept across restarts), and phone syslog attached to its phone.
. "$TOP/tests/lib.sh"
. "$TOP/tests/serve-lib.sh"

[ -x "$SYNTH_BIN" ] || { skip "no ucs-synth at $SYNTH_BIN"; done_testing; exit 0; }
D=$(make_tmpdir)
check "synthetic library and CA made" serve_fixture "$D"
HTTPS=$(free_port tcp)
check "daemon up with HTTPS" serve_start "$D" --ca "$D/ca.pem" --https-port "$HTTPS"

app="FileTransport PolycomVVX-VVX_410-UA/4.1.7.5432 Type/Application"
mac=0004f2001201
code=$(curl -sk -o "$D/m.cfg" -w '%{http_code}' -A "$app" "https://127.0.0.1:$HTTPS/$mac.cfg")
check_eq "<mac>.cfg over HTTPS" 200 "$code"
check_contains "the same rendering as over HTTP" "APPLICATION_VVX410" "$(cat "$D/m.cfg")"
check_eq "the phone is current from its Application UA over HTTPS" current \
    "$(phone_field "$D" $mac state)"
check "the certificate is signed with SHA-256" sh -c \
    "openssl x509 -in '$D/state/tls/server-cert.pem' -noout -text | grep -q 'Signature Algorithm: ecdsa-with-SHA256'"
fp1=$(openssl x509 -in "$D/state/tls/server-cert.pem" -noout -fingerprint -sha256)
served=$(echo | openssl s_client -connect 127.0.0.1:$HTTPS 2>/dev/null |
    openssl x509 -noout -fingerprint -sha256)
check_eq "it is the certificate served" "$fp1" "$served"
curl -sk -A "$app" -o "$D/img" "https://127.0.0.1:$HTTPS/3111-46162-001.sip.ld"
check_eq "an image over HTTPS arrives whole" \
    "$(sha256 "$D/library/packages/4.1.7.5432/3111-46162-001.sip.ld")" "$(sha256 "$D/img")"
check_eq "the transfer is journaled as https" https \
    "$(sqlite3 "$D/state/journal.db" "SELECT proto FROM transfers WHERE name = '3111-46162-001.sip.ld'")"

# Syslog: by the MAC a phone prepends when it comes from that phone's
# address, no phone's when it names one from elsewhere (any host can write
# a MAC in a line), else by its address.
other=0004f2001202
get "FileTransport PolycomVVX-VVX_410-UA/4.1.7.5432 Type/Application" \
    127.0.0.51 $other.cfg >/dev/null
logger -n 127.0.0.1 -P "$SYSLOG" -d "$other sip: registered line 1"
logger -n 127.0.0.1 -P "$SYSLOG" -d "boot: no MAC in this line"
check "syslog lines stored" wait_for 5 sh -c \
    "[ \$(sqlite3 '$D/state/journal.db' 'SELECT count(*) FROM syslog') = 2 ]"
check_eq "a line naming a phone from another's address is not its" "" \
    "$(sqlite3 "$D/state/journal.db" "SELECT line FROM syslog WHERE mac = '$other'")"
check_eq "nor the phone's at that address" "" \
    "$(sqlite3 "$D/state/journal.db" "SELECT line FROM syslog WHERE mac = '$mac' AND line LIKE '%registered line 1%'")"
check_contains "a line without one goes to the phone at its address" \
    "no MAC in this line" \
    "$(sqlite3 "$D/state/journal.db" "SELECT line FROM syslog WHERE mac = '$mac'")"

serve_stop
check "restarted" serve_start "$D" --https-port "$HTTPS"
check_eq "the certificate is kept across restarts" "$fp1" \
    "$(openssl x509 -in "$D/state/tls/server-cert.pem" -noout -fingerprint -sha256)"
serve_stop

# As root: bind, then drop to an unprivileged user and keep journaling.
if [ "$(id -u)" = 0 ] && id nobody >/dev/null 2>&1; then
	chmod 755 "$D"
	check "restarted with --user nobody" serve_start "$D" --user nobody
	check_eq "the daemon runs as nobody" "$(id -u nobody)" \
	    "$(awk '/^Uid:/ {print $3}' /proc/$SERVE_PID/status)"
	get "$app" 127.0.0.52 0004f2001203.cfg >/dev/null
	check_eq "and still journals phones" current \
	    "$(phone_field "$D" 0004f2001203 state)"
	serve_stop
else
	skip "not root: no privilege drop to test"
fi
check "no sanitizer report in the daemon's log" \
    test "$(grep -c 'Sanitizer\|runtime error' "$D/serve.log")" = 0
done_testing
