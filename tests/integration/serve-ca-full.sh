#!/bin/sh
# set-ca on a full disk: the state directory is a 1 MB tmpfs, filled up
# after a first CA is installed.  The second set-ca must fail, say that the
# disk is full, and leave the first CA's ca.pem whole (a restart would
# otherwise give the phones a truncated CA); with room again it works.  A
# phone's log is then stored: the disk's reserve is 5% of so small a disk.
. "$TOP/tests/lib.sh"
. "$TOP/tests/serve-lib.sh"

need_root "a tmpfs mount"

D=$(make_tmpdir)
mkdir -p "$D/state" "$D/library"
mount -t tmpfs -o size=1m,mode=0700 ztp-test-full "$D/state" ||
    { skip "cannot mount a tmpfs"; done_testing; exit 0; }
at_exit "umount -l '$D/state'"
for n in a b; do
	openssl req -x509 -nodes -days 3650 -subj "/CN=Rescue Test CA $n" \
	    -newkey rsa:2048 -sha256 -keyout "$D/$n.key" -out "$D/$n.pem" \
	    -addext basicConstraints=critical,CA:TRUE >/dev/null 2>&1
done
check "daemon up with the first CA" serve_start "$D" --ca "$D/a.pem"
check "the first CA is kept as ca.pem" cmp -s "$D/a.pem" "$D/state/ca.pem"

ctl() {
	"$ZTP_BIN" ctl --state "$D/state" --json "$@"
}
dd if=/dev/zero of="$D/state/fill" bs=4096 2>/dev/null
check "the state directory is full" \
    test "$(dd if=/dev/zero of="$D/state/probe" bs=4096 count=1 2>&1 | grep -c 'No space left')" = 1
rm -f "$D/state/probe"
out=$(ctl set-ca pem="$D/b.pem" 2>&1)
rc=$?
check "set-ca fails on a full disk" test "$rc" != 0
check_contains "it says the disk is full" "the disk is full" "$out"
check "the first CA's ca.pem is whole" cmp -s "$D/a.pem" "$D/state/ca.pem"
check_eq "no temporary file is left" "" \
    "$(ls "$D/state" | grep '\.tmp')"
check_contains "the phones are still given the first CA" "Rescue Test CA a" \
    "$(ctl status | jq -r '.appliance.ca.subject // .result.appliance.ca.subject')"

rm -f "$D/state/fill"
check "with room again set-ca works" ctl set-ca pem="$D/b.pem"
check "ca.pem is the second CA" cmp -s "$D/b.pem" "$D/state/ca.pem"
check "the daemon is still up" kill -0 "$SERVE_PID"

# A phone's log on a small state disk (this one is 1 MB): the room kept
# free for the journal is 5% of such a disk, not the 64 MiB kept on a large
# one.  64 MiB was kept on every disk, every log refused 507, and the
# version a phone's log gave (its only word of it) was lost.
printf 'app log\n' >"$D/log"
check_eq "a phone's log on a small state disk is stored" 201 \
    "$(curl -s -o /dev/null -w '%{http_code}' -T "$D/log" \
    -A 'FileTransport PolycomVVX-VVX_410-UA/4.1.4.7430 Type/Application' \
    "http://127.0.0.1:$HTTP/0004f2cc0001-app.log")"

serve_stop
check "no sanitizer report in the daemon's log" \
    test "$(grep -c 'Sanitizer\|runtime error' "$D/serve.log")" = 0
done_testing
