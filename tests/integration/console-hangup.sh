#!/bin/sh
# The console ends when its terminal closes, from every screen and dialog:
# started as tmux starts "cmd 2>file" (sh -c stays its parent, and the
# session leader), walked to the screen, then the tmux server killed.  It
# dies of the hangup (a shell's status 129), and of SIGTERM (143).
. "$TOP/tests/lib.sh"
. "$TOP/tests/serve-lib.sh"

if ! command -v tmux >/dev/null; then
	skip "tmux is not installed"
	done_testing
	exit 0
fi

d=$(make_tmpdir)
mkdir -p "$d/state" "$d/library"
serve_start "$d" ||
    { echo "not ok - the daemon did not start"; cat "$d/serve.log"; exit 1; }
at_exit "[ -s '$d/console.err' ] && sed 's/^/# console: /' '$d/console.err'"
# A phone, for its page and the question before forgetting it.
get "FileTransport PolycomVVX-VVX_410-UA/4.1.4.7430 Type/Application" \
    127.0.0.1 0004f2c0ff01.cfg >/dev/null

n=0
console="'$ZTP_BIN' console --state '$d/state' --no-start 2>>'$d/console.err'"
# console_at SCREEN KEYS...: a console in a new tmux server, KEYS sent one
# by one, each waited for until the screen shows SCREEN (the last one's).
console_at() {
	n=$((n + 1))
	T="tmux -L hup-$$-$n -f /dev/null"
	at_exit "$T kill-server 2>/dev/null"
	$T new-session -d -s console -x 80 -y 24 "$console"
	_want=$1; shift
	wait_for 20 on_screen "ZTP Rescue" || return 1
	for _k in "$@"; do
		$T send-keys -t console "$_k"
		sleep 0.3
	done
	wait_for 20 on_screen "$_want"
}
screen() { $T capture-pane -p -t console; }
on_screen() { screen | grep -F -q -- "$1"; }

# hangup_in NAME SCREEN KEYS...
hangup_in() {
	_name=$1; shift
	if console_at "$@"; then
		check "$_name is on screen" true
	else
		check "$_name is on screen" false
		screen | sed 's/^/#   /'
	fi
	check_ends_with_terminal "the console ends when its terminal closes: \
$_name" $T
}

hangup_in "the dashboard" "0004f2c0ff01"
hangup_in "the help" "HELP  (Up/Down to scroll" '?'
hangup_in "the filter (a line of text)" "Show only phones whose MAC" /
hangup_in "the menu (a choice)" "Network: interface and address" m
hangup_in "the interface list" "Interface the phones are on" m 1
hangup_in "the address" "The appliance's address on this interface" \
    m 1 Enter
hangup_in "the question to serve DHCP" "Serve DHCP on this interface now?" \
    m 1 Enter Enter
hangup_in "a message (the library)" "press any key" m 9
hangup_in "the phone's page" "PHONE 0004f2c0ff01" Home Enter
hangup_in "the phone page's help" "PHONE PAGE - everything" Home Enter F1
hangup_in "the question before forgetting" "Forget phone 0004f2c0ff01?" \
    Home x
check "the daemon still knows the phone, not forgotten" \
    test -n "$(phone_field "$d" 0004f2c0ff01 mac)"

# How it ends: its shell, which ignores the hangup, tells.
console="trap '' HUP; $console; echo \$? >'$d/status'"
rm -f "$d/status"
console_at "Show only phones whose MAC" /
$T kill-server
check "after a hangup, its shell's status comes" wait_for 20 test -s "$d/status"
check_eq "the console died of SIGHUP (129)" 129 "$(cat "$d/status")"
rm -f "$d/status"
console_at "HELP  (Up/Down to scroll" '?'
kill -TERM "$(ps -o pid= --ppid "$($T list-panes -F '#{pane_pid}')")"
check "after SIGTERM, its shell's status comes" wait_for 20 test -s "$d/status"
check_eq "the console died of SIGTERM (143)" 143 "$(cat "$d/status")"
$T kill-server 2>/dev/null

check "the consoles left no sanitizer report" \
    sh -c "! grep -q Sanitizer '$d/console.err'"
done_testing
