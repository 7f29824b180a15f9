#!/bin/sh
# The command line: help, version, usage errors and their exit codes.
. "$TOP/tests/lib.sh"

out=$("$ZTP_BIN" --version); rc=$?
check_eq "--version exits 0" 0 "$rc"
check_eq "--version prints the VERSION file" "ztp-rescue $(cat "$TOP/VERSION")" "$out"

out=$("$ZTP_BIN" --help); rc=$?
check_eq "--help exits 0" 0 "$rc"
check_contains "--help lists the help command" "help " "$out"

"$ZTP_BIN" >/dev/null 2>&1; rc=$?
check_eq "no command is a usage error (2)" 2 "$rc"

err=$("$ZTP_BIN" frobnicate 2>&1); rc=$?
check_eq "unknown command exits 2" 2 "$rc"
check_contains "unknown command names itself and the hint" \
    "unknown command 'frobnicate' (try 'ztp-rescue help')" "$err"
check_eq "the usage error is one line" 1 "$(printf '%s\n' "$err" | wc -l)"

err=$("$ZTP_BIN" help --bogus 2>&1); rc=$?
check_eq "unknown option exits 2" 2 "$rc"
check_contains "unknown option is named" "unknown option --bogus" "$err"

# COMMAND --help and -h print the command's help and exit 0, as 'help
# COMMAND' does, wherever they stand but as an option's value or after
# "--".  Both were "unknown option" (exit 2), what a newcomer types first.
for c in serve tftpd batch ctl; do
	out=$("$ZTP_BIN" $c --help 2>&1); rc=$?
	check_eq "$c --help exits 0" 0 "$rc"
	check_eq "$c --help is 'help $c'" "$("$ZTP_BIN" help $c)" "$out"
done
out=$("$ZTP_BIN" tftpd --port 6999 -h 2>&1); rc=$?
check_eq "-h after other options exits 0" 0 "$rc"
check_contains "with the help" "usage: ztp-rescue tftpd" "$out"
err=$("$ZTP_BIN" tftpd --root -h --port 0 2>&1); rc=$?
check_contains "-h as an option's value is that value" \
    "cannot open --root -h" "$err"
check_eq "--help after -- is no request for help" 0 \
    "$("$ZTP_BIN" ctl --state "$(make_tmpdir)" -- --help 2>&1 | grep -c '^usage:')"

# Every command has its own help, and the man page names every command.
man=$("$ZTP_BIN" help --man)
for c in $("$ZTP_BIN" --help | awk '/^commands:/{f=1;next} f && !NF {exit} f {print $1}'); do
	"$ZTP_BIN" help "$c" >/dev/null; rc=$?
	check_eq "help $c exits 0" 0 "$rc"
	check_contains "man page has a section for $c" ".SS $c" "$man"
done

# Output that cannot be written (a full disk: /dev/full) is a failure that
# says why; it exited 0 with nothing written.  Output longer than stdio's
# buffer ("help serve") failed in a write of its own, whose errno was gone
# by the end: it said "write error".  One written past the buffer in one
# piece ("help --man") may leave nothing to write again to learn why: then
# it says so ("it was cut short"); which, depends on where its last write
# ends against the buffer.
if [ -w /dev/full ]; then
	for c in --version "help --man" models "help serve"; do
		err=$("$ZTP_BIN" $c 2>&1 >/dev/full); rc=$?
		check_eq "$c to a full disk exits 1" 1 "$rc"
		case $c in
		"help --man")
			case $err in
			*"cannot write the output: No space left on device ("*|\
			*"cannot write the output: it was cut short ("*)
				check "and says why the output could not be written" true ;;
			*)	check_eq "and says why the output could not be written" \
				    "No space left on device, or it was cut short" "$err" ;;
			esac ;;
		*)	check_contains "and says why the output could not be written" \
			    "cannot write the output: No space left on device (is the disk full, or the stick read-only?)" "$err" ;;
		esac
	done
else
	skip "no /dev/full"
fi

done_testing
