#!/bin/sh
# The operator's settings (set-policy, set-repoint, set-target) survive a
# kill -9 of the daemon: a restart on the same state shows them and
# provisions phones with them.  An option given on the command line wins
# for that run without changing what is stored.
. "$TOP/tests/lib.sh"
. "$TOP/tests/serve-lib.sh"

d=$(make_tmpdir)
serve_fixture "$d" || { echo "Bail out! fixture"; exit 1; }
ctl() {
	"$ZTP_BIN" ctl --state "$d/state" --json "$@"
}
appliance() {
	"$ZTP_BIN" status --state "$d/state" --json |
	    jq -r ".appliance | \"\(.unknown_version) \(.repoint)\""
}
flashes() {
	"$ZTP_BIN" status --state "$d/state" --json | jq -r .appliance.max_flashes
}
url=https://prov.example.com/polycom/

serve_start "$d" --ca "$d/ca.pem" --quiet-period 2 --no-verify
check_eq "defaults" "upgrade ztp" "$(appliance)"
ctl set-policy unknown_version=hold >/dev/null
ctl set-repoint target=server "url=$url" >/dev/null
ctl set-target model=VVX410 version=5.4.1 >/dev/null
check_eq "set over the control socket" "hold $url" "$(appliance)"
check_eq "max-flashes: the default bound" 3 "$(flashes)"
ctl set-policy max_flashes:=5 >/dev/null
check_eq "max-flashes set over the control socket" 5 "$(flashes)"
out=$(ctl set-policy max_flashes:=0 2>&1)
check_contains "max-flashes 0 refused" "must be a number from 1 to 20" "$out"
check_eq "and the bound unchanged" 5 "$(flashes)"
check_eq "stored in the state directory" "hold $url 5.4.1" \
    "$(jq -r '"\(.unknown_version) \(.repoint) \(.targets.VVX410)"' \
    "$d/state/settings.json")"

kill -9 "$SERVE_PID"
wait "$SERVE_PID" 2>/dev/null
serve_start "$d" --quiet-period 2 --no-verify
check_eq "after kill -9 and a restart: the same settings" "hold $url" \
    "$(appliance)"
check_eq "after kill -9 and a restart: the same max-flashes" 5 "$(flashes)"
check_contains "the start says where they came from" \
    "settings from $d/state/settings.json: unknown-version=hold" \
    "$(cat "$d/serve.log")"

# A phone of unknown version is held (the stored policy) ...
mac=0004f2005001
tftp -m binary 127.0.0.1 "$TFTP" -c get $mac.cfg "$d/h.cfg"
check_contains "stored hold policy: no image in its config" \
    'APP_FILE_PATH_SPIP670="ztp-rescue-no-image-SPIP670.sip.ld"' "$(cat "$d/h.cfg")"
check_eq "stored hold policy: held" held "$(phone_field "$d" $mac state)"
# ... and handed off to the stored server once its version is known.
ua="FileTransport PolycomSoundPointIP-SPIP_670-UA/4.0.8.0931 Type/Application"
get "$ua" 127.0.0.1 ztp-rescue-$mac.cfg >/dev/null
curl -s -A "$ua" "http://127.0.0.1:$HTTP/ztp-rescue-$mac.cfg" >"$d/handoff.cfg"
check_contains "stored re-point: serverName is the URL" \
    "device.prov.serverName=\"$url\"" "$(cat "$d/handoff.cfg")"
# A VVX 410 gets the stored target.
mac=0004f2005002
get "FileTransport PolycomVVX-VVX_410-UA/4.1.4.7430 Type/Application" \
    127.0.0.1 $mac.cfg >/dev/null
check_contains "stored target: a new VVX 410 aims at 5.4.1" "5.4.1" \
    "$(phone_field "$d" $mac target)"
serve_stop

# The command line wins for its run; what is stored stays.
serve_start "$d" --quiet-period 2 --no-verify --unknown-version upgrade \
    --repoint ztp --max-flashes 7
check_eq "command-line options win" "upgrade ztp" "$(appliance)"
check_eq "--max-flashes wins too" 7 "$(flashes)"
serve_stop
check_eq "the stored settings are unchanged" "hold $url" \
    "$(jq -r '"\(.unknown_version) \(.repoint)"' "$d/state/settings.json")"
serve_start "$d" --quiet-period 2 --no-verify
check_eq "and apply again without the options" "hold $url" "$(appliance)"
check_eq "the stored max-flashes applies again" 5 "$(flashes)"
ctl set-repoint target=ztp >/dev/null
serve_stop
serve_start "$d" --quiet-period 2 --no-verify
check_eq "back to ZTP, kept too" "hold ztp" "$(appliance)"
serve_stop

# A target no longer accepted (an older version took "https://", the
# console's prompt as it comes): said, phones go to ZTP, the daemon runs.
echo '{ "format": 1, "repoint": "https://", "unknown_version": "hold" }' \
    >"$d/state/settings.json"
serve_start "$d" --quiet-period 2 --no-verify
check_eq "a stored target that names no server: ZTP, the rest applies" \
    "hold ztp" "$(appliance)"
check_contains "and the log says why" \
    "settings: re-point target 'https://' names no server" \
    "$(cat "$d/serve.log")"
serve_stop
check_contains "on the command line it stops the start instead" \
    "--repoint: re-point target 'https://' names no server" \
    "$("$ZTP_BIN" serve --state "$d/state" --repoint https:// 2>&1)"

# A damaged file: the daemon starts with the defaults, and says so in its
# status (the console's third line) until a setting is saved again.  Only
# the log said it, and phones were re-pointed to ZTP instead of the
# operator's server.
printf '{"format":1,"repoint":"https://prov.example.com/","unknown_version":"hold"' \
    >"$d/state/settings.json"
serve_start "$d" --quiet-period 2 --no-verify
check_eq "a damaged settings file: defaults" "upgrade ztp" "$(appliance)"
err=$("$ZTP_BIN" status --state "$d/state" --json | jq -r .appliance.settings_error)
check_contains "the status says the file cannot be read" \
    "settings.json cannot be read (" "$err"
check_contains "what is in force instead, and what to do" \
    "(now re-point ztp, unknown version upgrade): set them again" "$err"
check_contains "and the log" "settings.json cannot be read" "$(cat "$d/serve.log")"
check_eq "the damaged file is kept aside, as it was" \
    '{"format":1,"repoint":"https://prov.example.com/","unknown_version":"hold"' \
    "$(cat "$d/state/settings.json.damaged")"
settings_error() {
	"$ZTP_BIN" status --state "$d/state" --json | jq -r .appliance.settings_error
}
# Another setting saved: the re-point is still not the operator's (any
# save cleared the warning, and wrote "ztp" over the damaged file).
ctl set-policy unknown_version=hold >/dev/null
check_contains "another setting saved: the warning stays" "cannot be read" \
    "$(settings_error)"
serve_stop
serve_start "$d" --quiet-period 2 --no-verify
check_contains "and across a restart" "cannot be read" "$(settings_error)"
ctl set-repoint target=server url=https://prov.example.com/ >/dev/null
check_eq "the re-point set again: no warning" "null" "$(settings_error)"
check "and the file is whole" jq -e .repoint "$d/state/settings.json"
serve_stop
serve_start "$d" --quiet-period 2 --no-verify
check_eq "nor after a restart" "null" "$(settings_error)"
serve_stop
check "the daemon left no sanitizer report" sh -c \
    "! grep -q Sanitizer '$d/serve.log'"
done_testing
