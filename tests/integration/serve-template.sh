#!/bin/sh
# The daemon refuses at start a re-point template that sends a parameter or
# value a phone would ignore (appliance/data/params.tsv), naming each one
# and why; the built-in templates and a good operator template start.
. "$TOP/tests/lib.sh"

D=$(make_tmpdir)
mkdir -p "$D/state"

# serve_once ARGS...: a daemon that must refuse to start; sets rc and out.
serve_once() {
	out=$(timeout 20 "$ZTP_BIN" serve --listen 127.0.0.1 \
	    --http-port "$(free_port tcp)" --tftp-port "$(free_port udp)" \
	    --syslog-port "$(free_port udp)" --state "$D/state" --no-dhcp \
	    --foreground "$@" 2>&1); rc=$?
}

# The template as it was before the parameters were checked.
sed -e 's/caCertList1="Platform1"/caCertList1="Builtin,Custom1"/' \
    -e 's/provisioning="PlatformProfile1"/provisioning="PROFILE1"/' \
    "$TOP/appliance/data/repoint-ztp.xml" >"$D/old.xml"
serve_once --repoint-template "$D/old.xml"
check "an undocumented caCertList1 value: serve exits non-zero" \
    test "$rc" -ne 0 -a "$rc" -ne 124
check_contains "it names caCertList1, the value and the documented ones" \
    'device.sec.TLS.profile.caCertList1="Builtin,Custom1" is not a documented value (documented: Builtin, BuiltinAndPlatform1, BuiltinAndPlatform2, All, Platform1, Platform2, Platform1AndPlatform2; confidence L, see docs/repoint.md): a phone would ignore it' \
    "$out"
check_contains "it names profileSelection.provisioning too" \
    'device.sec.TLS.profileSelection.provisioning="PROFILE1" is not a documented value' \
    "$out"

sed 's/device.prov.ztpEnabled=/device.prov.ztpOn=/' \
    "$TOP/appliance/data/repoint-ztp.xml" >"$D/unknown.xml"
serve_once --repoint-template "$D/unknown.xml"
check "an unknown parameter: serve exits non-zero" test "$rc" -ne 0 -a "$rc" -ne 124
check_contains "it names the parameter" \
    "device.prov.ztpOn is not a documented parameter (not in params.tsv): a phone would ignore it" \
    "$out"

# The built-in template against a model whose target is older than a
# parameter's first release.
printf 'SPIP670 3.3.0\n' >"$D/models"
serve_once --models "$D/models"
check "a target older than ztpEnabled: serve exits non-zero" \
    test "$rc" -ne 0 -a "$rc" -ne 124
check_contains "it names the parameter, the release and the model" \
    "device.prov.ztpEnabled is not known before UC Software 4.0.0 (confidence M, see docs/repoint.md): a phone on 3.3.0 would ignore it (the target of SPIP670)" \
    "$out"

# Good templates start (timeout ends them: status 124).
cp "$TOP/appliance/data/repoint-ztp.xml" "$D/good.xml"
timeout 3 "$ZTP_BIN" serve --listen 127.0.0.1 --http-port "$(free_port tcp)" \
    --tftp-port "$(free_port udp)" --syslog-port "$(free_port udp)" \
    --state "$D/state" --no-dhcp --foreground \
    --repoint-template "$D/good.xml" >"$D/good.log" 2>&1; rc=$?
check_eq "an operator's copy of the built-in template starts" 124 "$rc"
timeout 3 "$ZTP_BIN" serve --listen 127.0.0.1 --http-port "$(free_port tcp)" \
    --tftp-port "$(free_port udp)" --syslog-port "$(free_port udp)" \
    --state "$D/state" --no-dhcp --foreground \
    --repoint https://prov.example.com/polycom >"$D/handoff.log" 2>&1; rc=$?
check_eq "the built-in hand-off template starts" 124 "$rc"

# A running daemon refuses a target that the template in force does not
# suit, and keeps the old one.
"$ZTP_BIN" serve --listen 127.0.0.1 --http-port "$(free_port tcp)" \
    --tftp-port "$(free_port udp)" --syslog-port "$(free_port udp)" \
    --state "$D/state" --no-dhcp --foreground >"$D/run.log" 2>&1 &
pid=$!
at_exit "kill $pid 2>/dev/null; wait $pid 2>/dev/null"
wait_for 10 "$ZTP_BIN" ctl --state "$D/state" status >/dev/null 2>&1
out=$("$ZTP_BIN" ctl --state "$D/state" set-target model=SPIP670 \
    version=3.3.0 2>&1); rc=$?
check "set-target to a release older than ztpEnabled is refused" \
    test "$rc" -ne 0
check_contains "it says which parameter and why" \
    "target 3.3.0 refused for SPIP670: re-point template repoint-ztp.xml: device.sec.TLS.profile.caCertList1 is not known before UC Software 4.0.0" \
    "$out"
check_contains "a target the template suits is accepted" "4.0.8" \
    "$("$ZTP_BIN" ctl --state "$D/state" set-target model=SPIP670 \
    version=4.0.8 2>&1)"
kill "$pid"; wait "$pid" 2>/dev/null

done_testing
