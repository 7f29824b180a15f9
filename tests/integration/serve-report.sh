#!/bin/sh
# serve --report-dir DIR keeps DIR/ztp-rescue-report.csv and .json current
# as phones change, written whole (temp file, fsync, rename) by a child
# process, so the loop never waits on the disk: from the journal at start,
# after a phone's first request, and at shutdown by the daemon itself.  A missing
# folder or a full disk is logged once with what to do and told by the status
# (`status`, batch's stderr; the console's alarm line is console-setup.sh),
# the journal keeps every record, and the report is written again once the
# folder is back.  An export to a read-only or missing stick says which.
. "$TOP/tests/lib.sh"
. "$TOP/tests/serve-lib.sh"

UA="FileTransport PolycomVVX-VVX_410-UA/5.0.3.1667 Type/Updater"
d=$(make_tmpdir)
mkdir -p "$d/state" "$d/reports"
"$SYNTH_BIN" --out "$d/syn" --size tiny --version 4.1.7 --format dir \
    >/dev/null 2>&1
"$ZTP_BIN" import --library "$d/library" "$d/syn/"* >/dev/null

csv=$d/reports/ztp-rescue-report.csv
json=$d/reports/ztp-rescue-report.json
has_phone() { grep -q "$2" "$1" 2>/dev/null; }
model_is() { [ "$(phone_field "$d" "$1" model)" = VVX410 ]; }

serve_start "$d" --no-verify --report-dir "$d/reports"
check "a report is written at start, before any phone" wait_for 10 test -s "$csv"
check_eq "the CSV starts with its header" "mac" "$(head -1 "$csv" | cut -d, -f1)"
check_eq "the JSON report lists no phone yet" 0 "$(jq '.phones | length' "$json")"
check_eq "a phone's first request is answered" 200 \
    "$(get "$UA" 127.0.0.1 0004f2e0e001.cfg)"
check "the phone is in the CSV report within seconds" \
    wait_for 10 has_phone "$csv" 0004f2e0e001
check "and in the JSON report, with its model" \
    wait_for 10 sh -c "jq -e '.phones[] | select(.mac == \"0004f2e0e001\" and .model == \"VVX410\")' '$json' >/dev/null"
check_eq "no temporary file is left beside the reports" "" \
    "$(ls "$d/reports" | grep -v '^ztp-rescue-report\.\(csv\|json\)$')"

# A change just before SIGTERM is in the report after the daemon exits,
# whatever the pacing.
get "$UA" 127.0.0.1 0004f2e0e002.cfg >/dev/null
serve_stop
check "a change right before shutdown is in the report" has_phone "$csv" 0004f2e0e002
check "the JSON report is whole after shutdown" \
    sh -c "jq -e '.phones | length == 2' '$json' >/dev/null"

# The folder is gone (the stick was pulled): serving goes on, one warning.
rm -rf "$d/reports"
serve_start "$d" --no-verify --report-dir "$d/reports"
get "$UA" 127.0.0.1 0004f2e0e003.cfg >/dev/null
check "a missing report folder is logged with what to do" wait_for 10 \
    grep -q "report: not kept up to date: $d/reports is not a folder (is the stick's exchange partition mounted?)" "$d/serve.log"
check_eq "the daemon still answers phones" 200 "$(get "$UA" 127.0.0.1 0004f2e0e004.cfg)"
check "the journal keeps the phones meanwhile" \
    wait_for 10 model_is 0004f2e0e004
check_eq "the warning is said once, not at every change" 1 \
    "$(grep -c 'report: not kept up to date' "$d/serve.log")"
# Said where the technician looks, not only in the log: the status (the
# console's alarm line reads it) and 'status''s text.
check_eq "the status names the report's folder" "$d/reports" \
    "$("$ZTP_BIN" status --state "$d/state" --json | jq -r .appliance.report_dir)"
check_eq "and why the report is not written" \
    "$d/reports is not a folder (is the stick's exchange partition mounted?)" \
    "$("$ZTP_BIN" status --state "$d/state" --json | jq -r .appliance.report_error)"
check_contains "'status' says it first, with what to do" \
    "the report on the stick is not kept up to date (every record is in the journal: 'ztp-rescue report' writes it anywhere; the daemon tries again every 5 s): $d/reports is not a folder" \
    "$("$ZTP_BIN" status --state "$d/state")"
printf '0004f2e0e004\n' >"$d/inv.csv"
"$ZTP_BIN" batch --state "$d/state" --inventory "$d/inv.csv" --timeout 1s \
    --no-start --report "$d/batch-report.json" >/dev/null 2>"$d/batch.err"
check_contains "batch says it on stderr" \
    "ztp-rescue batch: the report on the stick is not kept up to date (every record is in the journal: 'ztp-rescue report' writes it anywhere; the daemon tries again every 5 s): $d/reports is not a folder" \
    "$(cat "$d/batch.err")"
mkdir "$d/reports"
get "$UA" 127.0.0.1 0004f2e0e005.cfg >/dev/null
check "the folder back: the report is written again (retried within 30 s)" \
    wait_for 40 has_phone "$csv" 0004f2e0e005
check "every phone of the outage is in it" has_phone "$csv" 0004f2e0e003
check "and the log says so (when the writer is reaped)" \
    wait_for 5 grep -q "report: $d/reports is written again" "$d/serve.log"
check_eq "and the status no longer has an error" null \
    "$("$ZTP_BIN" status --state "$d/state" --json | jq -r .appliance.report_error)"
check "nor does 'status'" sh -c "! '$ZTP_BIN' status --state '$d/state' |
    grep -q 'not kept up to date'"
serve_stop

# --out x.csv is CSV, as batch --report chooses (it wrote JSON into the
# .csv); --json keeps JSON there; --csv with --json is refused.
"$ZTP_BIN" report --state "$d/state" --out "$d/by-name.csv" 2>/dev/null
check "report --out x.csv writes CSV" grep -q '^mac,ip,model,' "$d/by-name.csv"
"$ZTP_BIN" report --state "$d/state" --json --out "$d/asked.csv" 2>/dev/null
check "--json --out x.csv writes JSON" sh -c "jq -e .phones '$d/asked.csv' >/dev/null"
"$ZTP_BIN" report --state "$d/state" --csv --json >/dev/null 2>&1; rc=$?
check_eq "--csv and --json together: a usage error" 2 "$rc"

# A device, a FIFO or a folder as --out (or the control request's out, which
# the console's export uses): refused, and left as it was.  As root the
# report was renamed over it (/dev/full became a JSON file).
mkfifo "$d/fifo"
err=$("$ZTP_BIN" report --state "$d/state" --out "$d/fifo" 2>&1); rc=$?
check_eq "report --out a FIFO: exit 1" 1 "$rc"
check_contains "saying what it is" "is a device or a pipe, not a file" "$err"
check "the FIFO is left a FIFO" test -p "$d/fifo"
mkdir -p "$d/adir"
err=$("$ZTP_BIN" report --state "$d/state" --out "$d/adir" 2>&1); rc=$?
check_eq "report --out a folder: exit 1" 1 "$rc"
check_contains "(a folder)" "is a folder, not a file" "$err"
# A folder that is there but where no file can be made (it said "there is
# no folder /proc: is the stick plugged in?").
err=$("$ZTP_BIN" report --state "$d/state" --out /proc/r.csv 2>&1)
check_contains "a folder where no file can be made is not called missing" \
    "no file can be made in /proc" "$err"

# `report` and `status` written to a full disk (/dev/full, the daemon
# stopped): exit 1 with the cause.  They exited 0 with nothing written, and
# report's error said "(null)".
if [ -w /dev/full ]; then
	for f in --csv --json; do
		err=$("$ZTP_BIN" report --state "$d/state" $f 2>&1 >/dev/full); rc=$?
		check_eq "report $f to a full disk exits 1" 1 "$rc"
		check_contains "and says why" "ztp-rescue report: cannot write the report to standard output: No space left on device" "$err"
	done
	out=$("$ZTP_BIN" report --state "$d/state" --csv); rc=$?
	check_eq "the same report to a writable output exits 0" 0 "$rc"
	check_contains "and holds the phones" 0004f2e0e005 "$out"
	err=$("$ZTP_BIN" status --state "$d/state" 2>&1 >/dev/full); rc=$?
	check_eq "status to a full disk exits 1" 1 "$rc"
	check_contains "and says why" "ztp-rescue status: cannot write the output:" "$err"
else
	skip "no /dev/full"
fi

# A full disk: a 64 KiB tmpfs filled up.
if [ "$(id -u)" = 0 ]; then
	mkdir -p "$d/full"
	mount -t tmpfs -o size=64k tmpfs "$d/full"
	at_exit "umount '$d/full' 2>/dev/null"
	dd if=/dev/zero of="$d/full/filler" bs=4k count=64 2>/dev/null
	serve_start "$d" --no-verify --report-dir "$d/full"
	get "$UA" 127.0.0.1 0004f2e0e006.cfg >/dev/null
	check "a full disk is logged with the cause and what to do" wait_for 10 \
	    grep -q "report: not kept up to date: cannot write the report to $d/full/ztp-rescue-report.csv: No space left on device (the stick is full: free space on it, or use another)" "$d/serve.log"
	check_eq "no partial report is left on the full disk" "filler" "$(ls "$d/full")"
	check "the journal has the phone anyway" wait_for 10 model_is 0004f2e0e006
	rm "$d/full/filler"
	check "space freed: the report is written again" \
	    wait_for 40 has_phone "$d/full/ztp-rescue-report.csv" 0004f2e0e006
	# An export (the console's e) to a stick mounted read-only, as the
	# appliance mounts a customer's, and to a stick not plugged in: the
	# cause, and what to do about it.  Both said "is the stick full or
	# read-only?".
	mkdir -p "$d/ro"
	mount -t tmpfs -o ro,size=64k tmpfs "$d/ro"
	at_exit "umount '$d/ro' 2>/dev/null"
	err=$("$ZTP_BIN" ctl --state "$d/state" report format=csv \
	    out="$d/ro/r.csv" 2>&1 >/dev/null)
	check_eq "an export to a read-only stick fails" 1 "$?"
	check_contains "saying so, and where the report is kept" \
	    "cannot write the report to $d/ro/r.csv: Read-only file system (it is mounted read-only: use a writable stick or folder; the appliance mounts sticks other than its own read-only and keeps the report on its own, in ZTPDATA\\reports)" \
	    "$err"
	err=$("$ZTP_BIN" ctl --state "$d/state" report format=csv \
	    out="$d/nostick/r.csv" 2>&1 >/dev/null)
	check_eq "an export to a stick not there fails" 1 "$?"
	check_contains "saying which folder is missing" \
	    "cannot write the report to $d/nostick/r.csv: No such file or directory (there is no folder $d/nostick: is the stick plugged in and mounted there?)" \
	    "$err"
	serve_stop
else
	skip "needs root: a full disk (a tmpfs mount)"
fi

done_testing
