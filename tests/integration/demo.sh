#!/bin/sh
# tests/demo.sh, which `make demo` runs (here without its console): the
# simulated closet recovers as the README says, and stopping the demo stops
# the daemon and every phone and removes its directory, also when the hangup
# of a closing terminal comes more than once (tmux's, then the kernel's).
. "$TOP/tests/lib.sh"

[ -x "$PHONESIM_BIN" ] || { skip "no phone simulator"; done_testing; exit 0; }
command -v jq >/dev/null || { skip "jq is not installed"; done_testing; exit 0; }
command -v setsid >/dev/null || { skip "no setsid"; done_testing; exit 0; }

d=$(make_tmpdir)
"$SYNTH_BIN" --out "$d/syn" --size tiny >/dev/null 2>&1 ||
    { echo "not ok - synthetic packages could not be made"; exit 1; }
mkdir "$d/tmp"
bin=$(dirname "$ZTP_BIN")

# start_demo: the demo as a terminal's job, in a process group of its own
# (the daemon and the phones are in it too, as under make demo); sets DEMO.
start_demo() {
	TMPDIR="$d/tmp" DEMO_PACKAGES="$d/syn" DEMO_NO_CONSOLE=1 \
	    setsid sh "$TOP/tests/demo.sh" "$bin" >"$d/demo.out" 2>&1 &
	DEMO=$!
	at_exit "kill -KILL -$DEMO 2>/dev/null"
}
demo_state() { ls -d "$d"/tmp/ztp-demo.*/state 2>/dev/null | head -1; }
demo_up() { [ -n "$(demo_state)" ] && [ -S "$(demo_state)/control.sock" ] &&
    grep -q "demo: running" "$d/demo.out"; }
count() {
	"$ZTP_BIN" status --state "$(demo_state)" --json 2>/dev/null |
	    jq -r ".counts[\"$1\"]"
}
settled() { [ "$(count repointed-quiet)" = 10 ] && [ "$(count held)" = 1 ]; }
# Nothing the demo started is left: no process names its directory.
nothing_left() { ! pgrep -f "$d/tmp/ztp-demo" >/dev/null; }
dir_gone() { [ -z "$(ls -A "$d/tmp")" ]; }
daemon_running() { pgrep -f "serve .*$d/tmp/ztp-demo" >/dev/null; }
demo_ended() { ! kill -0 "$DEMO" 2>/dev/null; }

# 1. The closet recovers; one SIGTERM stops everything (a job started with &
# here ignores SIGINT, as any non-interactive shell's background job does).
start_demo
check "the demo starts" wait_for 60 demo_up
check "10 phones end repointed-quiet and the unknown model is held" \
    wait_for 120 settled
check "the daemon is running" daemon_running
kill -TERM "$DEMO"
check "the demo ends on SIGTERM" wait_for 30 demo_ended
wait "$DEMO"; rc=$?
check_eq "with status 130" 130 "$rc"
check "the daemon and the phones are gone" wait_for 10 nothing_left
check "the demo's directory is removed" dir_gone

# 2. The terminal closes: a hangup to the whole group, then more to the
# demo's shell while it is stopping things.  Before, the second one ended
# the shell halfway and the daemon ran on, its directory left behind.
start_demo
check "the demo starts again" wait_for 60 demo_up
kill -HUP "-$DEMO"
i=0
while [ "$i" -lt 100 ] && kill -HUP "$DEMO" 2>/dev/null; do
	sleep 0.02
	i=$((i + 1))
done
check "the demo ends on the hangups" wait_for 30 demo_ended
wait "$DEMO"; rc=$?
check_eq "with status 130" 130 "$rc"
check "the daemon and the phones are gone" wait_for 10 nothing_left
check "the demo's directory is removed" dir_gone
if ! nothing_left; then
	pgrep -af "$d/tmp/ztp-demo" | sed 's/^/#   left: /'
	pkill -KILL -f "$d/tmp/ztp-demo"
fi

done_testing
