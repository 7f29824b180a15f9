# Shell helpers for integration suites: TAP output, temporary directories,
# free ports, and a private daemon per test (as tmux's regress/ does).
#
#   . "$TOP/tests/lib.sh"
#   check "what is asserted" test "$a" = "$b"
#   skip "why"            (a skipped check, counted separately)
#   need_root             (skips the rest of the suite when not root)
#   done_testing          (last line of every suite)

set -u
: "${TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${BUILD:=build}"
: "${ZTP_BIN:=$TOP/$BUILD/san/ztp-rescue}"
: "${PHONESIM_BIN:=$TOP/$BUILD/san/phonesim}"
: "${SYNTH_BIN:=$TOP/$BUILD/ucs-synth}"

_tap_n=0
_tap_failed=0
_cleanups=""

# check DESCRIPTION COMMAND...: one TAP line for the exit status of COMMAND.
check() {
	_desc=$1; shift
	_tap_n=$((_tap_n + 1))
	if "$@"; then
		echo "ok $_tap_n - $_desc"
	else
		echo "not ok $_tap_n - $_desc"
		_tap_failed=$((_tap_failed + 1))
	fi
}

# check_eq DESCRIPTION EXPECTED ACTUAL
check_eq() {
	_tap_n=$((_tap_n + 1))
	if [ "$2" = "$3" ]; then
		echo "ok $_tap_n - $1"
	else
		echo "not ok $_tap_n - $1"
		echo "#   expected: $2"
		echo "#   actual:   $3"
		_tap_failed=$((_tap_failed + 1))
	fi
}

# check_contains DESCRIPTION NEEDLE HAYSTACK
check_contains() {
	_tap_n=$((_tap_n + 1))
	case "$3" in
	*"$2"*) echo "ok $_tap_n - $1" ;;
	*)	echo "not ok $_tap_n - $1"
		echo "#   expected to contain: $2"
		echo "#   actual: $(printf '%s' "$3" | head -c 2000)"
		_tap_failed=$((_tap_failed + 1)) ;;
	esac
}

skip() {
	_tap_n=$((_tap_n + 1))
	echo "ok $_tap_n # SKIP $1"
}

need_root() {
	if [ "$(id -u)" != 0 ]; then
		skip "needs root: $1"
		done_testing
		exit 0
	fi
}

# Run CMD at exit (last registered first).
at_exit() {
	_cleanups="$1; $_cleanups"
}
trap 'eval "$_cleanups"' EXIT
trap 'exit 130' INT TERM

# A temporary directory removed at exit.  Called as t=$(make_tmpdir), it
# runs in a subshell, where at_exit would register nothing for the suite:
# each directory is written to a list the suite's own exit removes.
_tmpdirs=$(mktemp "${TMPDIR:-/tmp}/ztp-test-dirs.XXXXXX") || exit 1
at_exit 'while IFS= read -r _d; do rm -rf "$_d"; done <"$_tmpdirs"; rm -f "$_tmpdirs"'
make_tmpdir() {
	_d=$(mktemp -d "${TMPDIR:-/tmp}/ztp-test.XXXXXX") || return 1
	echo "$_d" >>"$_tmpdirs"
	echo "$_d"
}

# A port that no socket uses now (udp or tcp).  Ports come from below the
# kernel's ephemeral range (32768 and up), so an outgoing connection of a
# concurrent test cannot take the port between this check and the bind.
free_port() {
	_proto=${1:-udp}
	while :; do
		_p=$(( 20000 + ($(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % 12700) ))
		if [ "$_proto" = udp ]; then
			ss -Huan "sport = :$_p" 2>/dev/null | grep -q . || break
		else
			ss -Htan "sport = :$_p" 2>/dev/null | grep -q . || break
		fi
	done
	echo "$_p"
}

# wait_for SECONDS COMMAND...: poll until COMMAND succeeds.
wait_for() {
	_limit=$1; shift
	_i=0
	while ! "$@" 2>/dev/null; do
		_i=$((_i + 1))
		[ "$_i" -ge $((_limit * 10)) ] && return 1
		sleep 0.1
	done
	return 0
}

# check_ends_with_terminal DESCRIPTION TMUX...: kill the tmux server (TMUX
# is its command: tmux -L NAME ...) and check that what its pane runs has
# ended 20 s later: the pane's process, or what the pane's shell started
# (tmux runs "cmd 2>file" through sh -c, which stays its parent).  One that
# is still there is killed.
check_ends_with_terminal() {
	_desc=$1; shift
	_pane=$("$@" list-panes -a -F '#{pane_pid}' | head -n 1)
	_pid=$(ps -o pid= --ppid "$_pane" | head -n 1 | tr -d ' ')
	[ -n "$_pid" ] || _pid=$_pane
	"$@" kill-server 2>/dev/null
	if wait_for 20 sh -c "! kill -0 $_pid"; then
		check "$_desc" true
	else
		check "$_desc" false
		echo "#   pid $_pid still runs: $(ps -o stat=,pcpu=,args= -p "$_pid")"
		kill -9 "$_pid" 2>/dev/null
	fi
}

# hostile_addrs DEV PREFIX: `ip -batch` lines that give DEV every source
# address tests/integration/hostile-tool.c uses with HOSTILE_PREFIX=PREFIX
# (PREFIX.44.1, .55.1-16, .66.1, .77-79.1-250, .88.1), in a /16.
hostile_addrs() {
	for _c in 44 66 88; do
		echo "addr add $2.$_c.1/16 dev $1"
	done
	for _d in $(seq 1 16); do
		echo "addr add $2.55.$_d/16 dev $1"
	done
	for _c in 77 78 79; do
		for _d in $(seq 1 250); do
			echo "addr add $2.$_c.$_d/16 dev $1"
		done
	done
}

sha256() {
	sha256sum "$1" | cut -d' ' -f1
}

done_testing() {
	echo "1..$_tap_n"
	[ "$_tap_failed" -eq 0 ]
}

# synth_bootrom PART VERSION MODELS OUT: a synthetic BootROM image in the
# header format of tests/phonesim (part "bootrom" for the combined file;
# MODELS as its header lists them, e.g. "SPIP670" or "SPIP550 SPIP670").
synth_bootrom() {
	head -c 4000 /dev/urandom >"$4.payload"
	{
		printf 'ZTP-RESCUE SYNTHETIC UC SOFTWARE IMAGE - NOT POLYCOM SOFTWARE\n'
		printf 'format: 1\npart: %s\nversion: %s\nmodels: %s\n' "$1" "$2" "$3"
		printf 'payload-size: 4000\npayload-sha256: %s\n' \
		    "$(sha256sum "$4.payload" | cut -d' ' -f1)"
	} >"$4.header"
	truncate -s 512 "$4.header"
	cat "$4.header" "$4.payload" >"$4"
	rm -f "$4.header" "$4.payload"
}
