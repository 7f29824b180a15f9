#!/bin/sh
# The daemon's control handlers, through `ztp-rescue ctl`: phone, hold,
# release, retry, forget, set-target, set-ca (accepted and refused),
# set-repoint, set-policy, library, report, shutdown.
. "$TOP/tests/lib.sh"
. "$TOP/tests/serve-lib.sh"

[ -x "$SYNTH_BIN" ] || { skip "no ucs-synth at $SYNTH_BIN"; done_testing; exit 0; }
D=$(make_tmpdir)
check "synthetic library and CA made" serve_fixture "$D"
check "daemon up without a CA" serve_start "$D" --quiet-period 2
ctl() {
	"$ZTP_BIN" ctl --state "$D/state" --json "$@"
}

mac=0004f2001301
app="FileTransport PolycomVVX-VVX_410-UA/4.1.7.5432 Type/Application"
get "$app" 127.0.0.61 $mac.cfg >/dev/null
check_eq "current from its Application UA" current "$(phone_field "$D" $mac state)"
curl -s --interface 127.0.0.61 -A "$app" "http://127.0.0.1:$HTTP/ztp-rescue-$mac.cfg" >"$D/t.cfg"
check_contains "without a CA its trust file is empty and says why" \
    "waiting for the operator's CA certificate" "$(cat "$D/t.cfg")"
nocaline="no CA certificate is installed: phones that run their target wait at 'current' for it; install it (the console's menu, CA certificate, or 'ztp-rescue ctl set-ca pem=FILE') and they take it at their next boot"
check_eq "status's first line says no CA is installed" "$nocaline" \
    "$("$ZTP_BIN" status --state "$D/state" | head -1)"
printf '%s\n' "$mac" >"$D/inv.csv"
"$ZTP_BIN" batch --state "$D/state" --inventory "$D/inv.csv" --timeout 1s \
    --no-start --report "$D/batch-report.json" >/dev/null 2>"$D/batch.err"
check_contains "batch says it on stderr" "ztp-rescue batch: $nocaline" \
    "$(cat "$D/batch.err")"
check_contains "the log says it for the phone that asked" \
    "phone $mac runs its target and asked for its trust file: $nocaline" \
    "$(cat "$D/serve.log")"

openssl req -x509 -nodes -days 30 -subj /CN=leaf -newkey rsa:2048 -sha256 \
    -keyout "$D/leaf.key" -out "$D/leaf.pem" \
    -addext basicConstraints=critical,CA:FALSE >/dev/null 2>&1
out=$(ctl set-ca pem="$D/leaf.pem" 2>&1)
check_contains "set-ca refuses a server certificate, saying why" \
    "is not a CA certificate" "$out"
out=$(ctl set-ca pem="$D/ca.pem")
check "with a CA, status no longer says it" sh -c \
    "! '$ZTP_BIN' status --state '$D/state' | grep -q 'no CA certificate'"
check_eq "set-ca accepts the CA and shows its fingerprint" \
    "$(openssl x509 -in "$D/ca.pem" -noout -fingerprint -sha256 | sed 's/.*=//; s/://g' | tr A-F a-f)" \
    "$(echo "$out" | jq -r '.result.sha256 // .sha256')"
check "the CA is kept for restarts" test -f "$D/state/ca.pem"

check_eq "status's text ends its phones with the counts" \
    "1 phone: 1 current" \
    "$("$ZTP_BIN" status --state "$D/state" | grep '^[0-9]* phones*:')"

out=$(ctl hold mac=$mac)
check_eq "hold" held "$(phone_field "$D" $mac state)"
get "FileTransport PolycomVVX-VVX_311-UA/5.4.0.12410 Type/Application" \
    127.0.0.62 0004f2001302.cfg >/dev/null
check_eq "the counts follow: states in lifecycle order, none at zero" \
    "2 phones: 1 identified, 1 held" \
    "$("$ZTP_BIN" status --state "$D/state" | grep '^[0-9]* phones*:')"
ctl forget mac=0004f2001302 >/dev/null
check_eq "without a reason: the operator's" "held by the operator" \
    "$(phone_field "$D" $mac reason)"
out=$(ctl hold mac=$mac "reason=$(printf 'a\033[2Jb')" 2>&1); rc=$?
check_eq "a reason with a control character is refused" 1 "$rc"
check_contains "and says why" "without control characters" "$out"
ctl release mac=$mac >/dev/null
out=$(ctl hold mac=$mac "reason=wrong desk (12B)")
check_eq "a hold keeps the reason given" "wrong desk (12B)" \
    "$(phone_field "$D" $mac reason)"
ctl release mac=$mac >/dev/null
ctl hold mac=$mac >/dev/null
check_eq "a held phone's trust file stays empty" "" \
    "$(curl -s --interface 127.0.0.61 -A "$app" "http://127.0.0.1:$HTTP/ztp-rescue-$mac.cfg" | grep customCaCert1)"
ctl release mac=$mac >/dev/null
check_eq "release returns it to where it was" current "$(phone_field "$D" $mac state)"
out=$(ctl retry mac=$mac 2>&1)
check_contains "retry of a phone that is not failed or held is refused" \
    "only a failed or held phone can be retried" "$out"
out=$(ctl phone mac=00:04:F2:00:13:01)
check_contains "phone shows the timeline with evidence" "User-Agent" "$out"
out=$(ctl hold mac=zz 2>&1)
check_contains "a bad MAC is refused" "is not a MAC address" "$out"

ctl set-policy unknown_version=hold >/dev/null
check_eq "set-policy shows in the status" hold \
    "$("$ZTP_BIN" status --state "$D/state" --json | jq -r .appliance.unknown_version)"
# As typed: max_flashes=3 is a string on the wire (it was refused "must
# be a number"); no argument says both names; an unknown report format
# is refused (it wrote JSON).
ctl set-policy max_flashes=4 >/dev/null; rc=$?
check_eq "set-policy max_flashes=4 (a string) is taken" "0 4" \
    "$rc $("$ZTP_BIN" status --state "$D/state" --json | jq -r .appliance.max_flashes)"
check_contains "max_flashes=lots is refused" "must be a number from 1 to 20" \
    "$(ctl set-policy max_flashes=lots 2>&1)"
check_contains "set-policy with nothing names both" \
    "give \"unknown_version\" (\"upgrade\" or \"hold\"), \"max_flashes\" (a number), or both" \
    "$(ctl set-policy 2>&1)"
ctl set-policy max_flashes:=3 >/dev/null
# A typo in a setting's argument was taken silently, the setting unchanged.
check_contains "set-policy with a misspelt argument is refused, naming it" \
    "set-policy takes no \"unknwon_version\" (it takes unknown_version, max_flashes)" \
    "$(ctl set-policy unknwon_version=upgrade 2>&1)"
check_eq "and nothing changed" hold \
    "$("$ZTP_BIN" status --state "$D/state" --json | jq -r .appliance.unknown_version)"
check_contains "set-repoint with a misspelt argument is refused" \
    "set-repoint takes no \"ulr\" (it takes target, url)" \
    "$(ctl set-repoint target=server ulr=https://prov.example.com/ 2>&1)"
check_contains "set-target with a misspelt argument is refused" \
    "set-target takes no \"versoin\" (it takes model, version)" \
    "$(ctl set-target model=VVX410 versoin=4.1.7.5432 2>&1)"
check_contains "report format=xml is refused" \
    "\"format\" must be \"csv\" or \"json\", not \"xml\"" \
    "$(ctl report format=xml out="$D/r.xml" 2>&1)"
check "and writes nothing" test ! -e "$D/r.xml"
ctl set-repoint target=server url=https://prov.example.com/ >/dev/null
curl -s --interface 127.0.0.61 -A "$app" "http://127.0.0.1:$HTTP/ztp-rescue-$mac.cfg" >"$D/t.cfg"
check_contains "set-repoint switches to the hand-off template" \
    'device.prov.serverName="https://prov.example.com/"' "$(cat "$D/t.cfg")"
out=$(ctl set-repoint target=server url=gopher://x 2>&1)
check_contains "a URL the phones cannot use is refused" "neither 'ztp' nor a URL" "$out"
out=$(ctl set-repoint target=server url=https:// 2>&1); rc=$?
check_eq "a URL with no server (the console's prompt as it comes) is refused" \
    1 "$rc"
check_contains "saying what is missing" \
    "re-point target 'https://' names no server: put the provisioning server's name or address after the '//'" \
    "$out"
out=$(ctl set-repoint target=server "url=https://prov example.com/" 2>&1)
check_contains "a URL with a space is refused" "has a space in it" "$out"
# The appliance's own HTTP server: phones re-pointed there came back here at
# every boot, and were failed as phones that ignore the re-point.
out=$(ctl set-repoint target=server "url=http://127.0.0.1:$HTTP/" 2>&1); rc=$?
check_eq "a re-point to the appliance itself is refused" 1 "$rc"
check_contains "saying so" "is this appliance itself (127.0.0.1 port $HTTP)" "$out"
out=$(ctl set-repoint target=server "url=http://localhost:$HTTP/prov/" 2>&1)
check_contains "localhost too" "is this appliance itself" "$out"
out=$(ctl set-repoint target=server "url=http://127.0.0.1:1/" 2>&1); rc=$?
check_eq "another port of this host (a provisioning server beside it) is taken" 0 "$rc"
ctl set-repoint target=server url=https://prov.example.com/ >/dev/null
check_contains "and the target stays what it was" 'device.prov.serverName="https://prov.example.com/"' \
    "$(curl -s --interface 127.0.0.61 -A "$app" "http://127.0.0.1:$HTTP/ztp-rescue-$mac.cfg")"
out=$(ctl set-target model=VVX410 version=4.1.8)
check_contains "set-target changes the model's target" "4.1.8" "$out"
check_eq "the phone's target follows" 4.1.8 "$(phone_field "$D" $mac target)"
check_contains "a target the library does not hold is taken, with a warning" \
    "the library holds no UC Software 4.1.8 for the VVX 410 (part 3111-46162-001): its phones wait until that package is imported" \
    "$(echo "$out" | jq -r .warning)"
"$ZTP_BIN" ctl --state "$D/state" set-target model=VVX410 version=4.1.8 \
    >/dev/null 2>"$D/warn.err"
check_contains "ctl says it on stderr" \
    "ztp-rescue ctl: set-target: warning: the library holds no UC Software 4.1.8" \
    "$(cat "$D/warn.err")"
check_contains "and the daemon's log" "holds no UC Software 4.1.8" \
    "$(cat "$D/serve.log")"
out=$(ctl set-target model=VVX410 version=4.1.7)
check_eq "a target it holds: no warning" null "$(echo "$out" | jq .warning)"
ctl set-target model=VVX410 version=4.1.8 >/dev/null
out=$(ctl library)
check_eq "library lists the packages" 4 "$(echo "$out" | jq '(.result // .).packages | length')"
ctl report format=csv out="$D/r.csv" >/dev/null
check_contains "report over the control socket" "$mac" "$(cat "$D/r.csv")"
# A relative path is the caller's, not the daemon's (it was written where
# the daemon runs, and set-ca looked there for the CA).
mkdir -p "$D/here"
(cd "$D/here" && "$ZTP_BIN" ctl --state "$D/state" report format=csv \
    out=rel.csv >/dev/null)
check "ctl report out=REL writes in the caller's folder" test -s "$D/here/rel.csv"
cp "$D/ca.pem" "$D/here/myca.pem"
out=$(cd "$D/here" && "$ZTP_BIN" ctl --state "$D/state" --json set-ca \
    pem=myca.pem 2>&1); rc=$?
check_eq "ctl set-ca pem=REL finds the CA in the caller's folder" 0 "$rc"
ctl forget mac=$mac >/dev/null
check_eq "forget removes the phone" "" "$(phone_field "$D" $mac state)"
# A second daemon on the same state, the same ports: it names the daemon
# that answers, not a TFTP server to stop (it said "another TFTP server
# runs: stop it, e.g. 'systemctl stop tftpd-hpa'").
out=$("$ZTP_BIN" serve --listen 127.0.0.1 --http-port "$HTTP" \
    --tftp-port "$TFTP" --syslog-port off --state "$D/state" \
    --library "$D/library" --no-dhcp --foreground 2>&1); rc=$?
check_eq "a second daemon on the same state exits 1" 1 "$rc"
check_contains "naming the one that answers" \
    "another ztp-rescue daemon already answers on $D/state/control.sock" "$out"
check "the first still answers" sh -c "'$ZTP_BIN' status --state '$D/state' >/dev/null"
# The socket moved away: the second started on other ports and wrote the
# same journal (a phone recovered by one went back by the other).  The
# state directory is held for as long as the daemon runs.
mv "$D/state/control.sock" "$D/control.sock.moved"
out=$("$ZTP_BIN" serve --listen 127.0.0.1 --http-port "$(free_port tcp)" \
    --tftp-port "$(free_port udp)" --syslog-port off --state "$D/state" \
    --library "$D/library" --no-dhcp --foreground 2>&1); rc=$?
mv "$D/control.sock.moved" "$D/state/control.sock"
check_eq "a second daemon on the same state, its socket gone, exits 1" 1 "$rc"
check_contains "saying another one runs there" \
    "another ztp-rescue serve is using the state directory $D/state" "$out"
check "the first still answers" sh -c "'$ZTP_BIN' status --state '$D/state' >/dev/null"
ctl shutdown >/dev/null
check "shutdown stops the daemon" wait_for 10 sh -c "! kill -0 $SERVE_PID 2>/dev/null"
check_eq "with the daemon gone and no phone left: 'no phones yet', no counts" \
    "no phones yet" \
    "$("$ZTP_BIN" status --state "$D/state" | grep -v '^daemon not running')"
# A relative --state deep in a long path: the daemon keeps the path as
# given for its control socket (made full, the socket's path passed its
# 107-byte limit and the start was refused).  dnsmasq alone is given the
# full path (serve-daemon-dhcp).
deep="$D/$(printf 'd%.0s' $(seq 40))/$(printf 'e%.0s' $(seq 40))"
mkdir -p "$deep"
(cd "$deep" && exec "$ZTP_BIN" serve --listen 127.0.0.1 \
    --http-port "$(free_port tcp)" --tftp-port "$(free_port udp)" \
    --syslog-port off --state st --library "$D/library" --no-dhcp \
    --foreground >"$D/deep.log" 2>&1) &
deep_pid=$!
at_exit "kill $deep_pid 2>/dev/null"
check "a relative --state in a long path starts" wait_for 10 sh -c \
    "cd '$deep' && '$ZTP_BIN' status --state st >/dev/null"
kill "$deep_pid"; wait "$deep_pid" 2>/dev/null
check "no sanitizer report in the daemon's log" \
    test "$(grep -c 'Sanitizer\|runtime error' "$D/serve.log" "$D/deep.log" | grep -v ':0$')" = ""
done_testing
