#!/bin/sh
# console --setup-network, as the appliance starts it on tty1: while DHCP is
# off, the only wired interface is taken and only the address is asked;
# with several the technician chooses; with none the console says to plug
# in an adapter; without the option nothing is asked.  The interfaces come
# from a made-up /sys/class/net (ZTP_SYSFS_NET), so the test does not depend
# on this machine's network cards.
. "$TOP/tests/lib.sh"
. "$TOP/tests/serve-lib.sh"

command -v tmux >/dev/null || { skip "tmux is not installed"; done_testing; exit 0; }

d=$(make_tmpdir)
mkdir -p "$d/state" "$d/library"
serve_start "$d" --no-verify ||
    { echo "not ok - the daemon did not start"; cat "$d/serve.log"; exit 1; }

T="tmux -L setup-$$ -f /dev/null"
at_exit "$T kill-server 2>/dev/null"
screen() { $T capture-pane -p -t console; }
on_screen() { screen | grep -F -q -- "$1"; }
off_screen() { ! screen | grep -F -q -- "$1"; }
keys() { $T send-keys -t console "$@"; }

# fake_net DIR NAME:KIND...: a /sys/class/net with wired (a device link),
# wifi (a wireless folder), veth (no device) or lo (type 772).
fake_net() {
	_n=$1; shift
	rm -rf "$_n"
	mkdir -p "$_n/devices"
	for _i in "$@"; do
		_name=${_i%%:*} _kind=${_i#*:}
		mkdir -p "$_n/$_name"
		echo 1 >"$_n/$_name/type"
		case $_kind in
		wired|wifi)	mkdir -p "$_n/devices/$_name"
				ln -s "../devices/$_name" "$_n/$_name/device" ;;
		esac
		[ "$_kind" = wifi ] && mkdir "$_n/$_name/wireless"
		[ "$_kind" = lo ] && echo 772 >"$_n/$_name/type"
	done
}

# console NET [OPTION]: the console in a fresh tmux session.
console() {
	$T new-session -d -s console -x 80 -y 24 \
	    "echo \$\$ >'$d/console.pid'; ZTP_SYSFS_NET='$1' exec '$ZTP_BIN' console --state '$d/state' --no-start ${2:-} 2>'$d/console.err'"
	wait_for 10 test -s "$d/console.pid"
}
# quit WHAT: leave the console with its keys (Esc closes a dialog, q
# quits) before its terminal goes: a hangup while the sanitizer's leak
# check stops the process for its scan can leave it stuck (LeakSanitizer
# waits for a stop that tmux's SIGCONT cancels).
quit() {
	_pid=$(cat "$d/console.pid")
	keys Escape; sleep 0.3; keys Escape; sleep 0.3; keys q
	check "$1: q leaves the console" wait_for 10 sh -c "! kill -0 $_pid"
	check "$1: the console left no sanitizer report" \
	    sh -c "! grep -q Sanitizer '$d/console.err'"
	$T kill-session -t console 2>/dev/null
	rm -f "$d/console.pid"
}

fake_net "$d/one" lo:lo eth7:wired veth0:veth wlan0:wifi
console "$d/one" --setup-network
check "the only wired interface is taken at start" \
    wait_for 10 on_screen "eth7 is the only wired interface"
check "and only the appliance's address is asked, 10.99.0.1/24 offered" \
    wait_for 10 on_screen "10.99.0.1/24"
check "no interface list is shown" off_screen "Interface the phones are on"
keys Enter
check "then: serve DHCP on it now?" wait_for 10 on_screen "Serve DHCP on this interface now?"
keys n
check "declined: the choice is kept for later" \
    wait_for 10 on_screen "interface eth7, address 10.99.0.1/24"
check_eq "and DHCP stays off" off \
    "$("$ZTP_BIN" status --state "$d/state" --json | jq -r .appliance.dhcp)"
quit "one wired"

# A mistyped address is refused in the dialog, saying the form (it was
# taken, and refused only when DHCP was turned on).
fake_net "$d/typo" lo:lo eth7:wired
console "$d/typo" --setup-network
check "the address is asked" wait_for 10 on_screen "10.99.0.1/24"
keys C-u abc Enter
check "a mistyped address is refused in the dialog" \
    wait_for 10 on_screen "address 'abc' is not of the form A.B.C.D/N"
keys Enter
check "and not kept" off_screen "interface eth7, address abc"
quit "mistyped address"

fake_net "$d/two" eth7:wired eth8:wired lo:lo
console "$d/two" --setup-network
check "two wired interfaces: the technician chooses" \
    wait_for 10 on_screen "Interface the phones are on"
quit "two wired"

fake_net "$d/none" lo:lo wlan0:wifi veth0:veth
console "$d/none" --setup-network
check "no wired interface: said, with what to do" \
    wait_for 10 on_screen "no wired network interface: plug in a USB Ethernet adapter"
quit "no wired"

console "$d/one"
check "without --setup-network the dashboard comes up" \
    wait_for 10 on_screen "? for help"
check "and nothing is asked" off_screen "only wired interface"
# No CA installed: the third line says so (it was the end of a line cut
# off at 80 columns).
check "no CA: the third line says phones stop at current" sh -c \
    "$T capture-pane -p -t console | sed -n 3p | grep -F -q \"NO CA CERTIFICATE: phones stop at 'current' until one is installed (m, then 5)\""
quit "no option"

# The report kept on the stick (serve --report-dir) cannot be written: the
# third line says so and what to do (only the log did), and goes back once
# it is written.  The export's path is proposed in that folder: it was the
# first /media mount (on the appliance a stick mounted read-only) or a
# /media/usb that did not exist.
serve_stop
openssl req -x509 -nodes -days 3650 -subj '/CN=Rescue Test CA' \
    -newkey rsa:2048 -sha256 -keyout "$d/ca.key" -out "$d/ca.pem" \
    -addext basicConstraints=critical,CA:TRUE >/dev/null 2>&1
serve_start "$d" --no-verify --ca "$d/ca.pem" --report-dir "$d/reports" ||
    { echo "not ok - the daemon did not start"; cat "$d/serve.log"; exit 1; }
console "$d/one"
line3() { $T capture-pane -p -t console | sed -n 3p | grep -F -q -- "$1"; }
check "the report not written: the third line says why and what to do" \
    wait_for 15 line3 "REPORT NOT UPDATED: is the stick's exchange partition mounted? (every"
mkdir "$d/reports"
check "written again: the third line is back to the settings" \
    wait_for 20 line3 " re-point ztp  unknown version"
keys e
check "the export is proposed in the report's folder" \
    wait_for 10 on_screen "/reports/ztp-rescue-report-"
keys Enter
check "and written there" wait_for 10 on_screen "report written to $d/reports/ztp-rescue-report-"
check_eq "one dated copy beside the kept report" 1 \
    "$(ls "$d/reports" | grep -c '^ztp-rescue-report-[0-9]\{8\}-[0-9]\{4\}\.csv$')"
quit "report alarm"

done_testing
