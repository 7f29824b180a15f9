# Helpers for the e2e-*.sh suites (sourced, not a suite): the appliance
# daemon, the mock ZTP endpoint and simulated phones (tests/phonesim) on
# loopback, and the comparison of what each phone says about itself with
# what the appliance's report says about it.

case "$0" in
*e2e-lib.sh)
	. "$TOP/tests/lib.sh"
	skip "helpers sourced by the e2e-*.sh suites, not a suite"
	done_testing
	exit 0 ;;
esac

# The model each phone must end at, by the simulator's required release
# (docs/phonesim.md) mapped to the synthetic builds of the tree's rules.
e2e_required() {
	case "$1" in
	VVX101)	echo 5.4.0.12410 ;;
	VVX201|VVX300|VVX310|VVX400|VVX410|VVX500|VVX600) echo 4.1.7.5432 ;;
	VVX301|VVX311|VVX401|VVX411|VVX501|VVX601) echo 5.4.1.18370 ;;
	*)	echo 4.0.8.0931 ;;
	esac
}

# An old version for each model: older than its required release.
e2e_old() {
	case "$(e2e_required "$1")" in
	4.0.8.0931)	echo 3.3.1.0933 ;;
	4.1.7.5432)	echo 4.1.4.7430 ;;
	*)		echo 5.2.0.8330 ;;
	esac
}

# Every model of the simulator's table that has a part number (SoundStation
# Duo has none: e2e-part.sh gives it a made-up one, see docs/e2e.md).
e2e_models() {
	"$PHONESIM_BIN" list-models | awk '$2 != "-" { print $1 }'
}

# e2e_fixture DIR [SIZE]: synthetic packages (tiny unless SIZE) imported into
# DIR/lib, and the test PKI in DIR/pki; CAFP is the CA's DER SHA-256.
e2e_fixture() {
	_f=$1
	mkdir -p "$_f/state"
	"$SYNTH_BIN" --out "$_f/syn" --size "${2:-tiny}" --format dir \
	    >/dev/null 2>&1 || return 1
	for _d in "$_f/syn/"*; do
		"$ZTP_BIN" import --library "$_f/lib" "$_d" >/dev/null ||
		    return 1
	done
	"$PHONESIM_BIN" make-test-pki "$_f/pki" >/dev/null 2>&1 || return 1
	CAFP=$(openssl x509 -in "$_f/pki/ca.pem" -outform DER |
	    sha256sum | cut -d' ' -f1)
}

# Where things run.  By default everything is here, the daemon on
# 127.0.0.1.  A suite that puts the daemon and the phones in network
# namespaces (hostile.sh) sets E2E_IN_APP and E2E_IN_PHONE to the command
# prefixes that run in them ("ip netns exec NS") and E2E_ADDR to the
# daemon's address; the mock ZTP service runs on the phones' side, on
# their 127.0.0.1.
E2E_IN_APP=${E2E_IN_APP:-}
E2E_IN_PHONE=${E2E_IN_PHONE:-}
E2E_ADDR=${E2E_ADDR:-127.0.0.1}

# e2e_serve DIR [options...]: the daemon on $E2E_ADDR with free ports; sets
# HTTP, TFTP, SERVE_PID.  Ports are kept across a restart (same DIR).
e2e_serve() {
	_f=$1; shift
	: "${HTTP:=$(free_port tcp)}"
	: "${TFTP:=$(free_port udp)}"
	$E2E_IN_APP "$ZTP_BIN" serve --listen "$E2E_ADDR" --http-port "$HTTP" \
	    --tftp-port "$TFTP" --syslog-port off --state "$_f/state" \
	    --library "$_f/lib" --ca "$_f/pki/ca.pem" --no-dhcp --foreground \
	    "$@" >>"$_f/serve.log" 2>&1 &
	SERVE_PID=$!
	at_exit "kill $SERVE_PID 2>/dev/null; wait $SERVE_PID 2>/dev/null"
	wait_for 20 $E2E_IN_PHONE curl -s -o /dev/null \
	    "http://$E2E_ADDR:$HTTP/x"
}

# e2e_stop: SIGTERM and wait; non-zero when the daemon did not exit 0 (a
# sanitizer report, a leak).
e2e_stop() {
	kill "$SERVE_PID" 2>/dev/null
	wait "$SERVE_PID"
}

# e2e_mock DIR: the mock ZTP endpoint; sets ZTP (port) and MOCK_PID.
e2e_mock() {
	ZTP=$(free_port tcp)
	$E2E_IN_PHONE "$PHONESIM_BIN" ztp-mock --listen "127.0.0.1:$ZTP" \
	    --cert "$1/pki/server.pem" --key "$1/pki/server.key" \
	    --log "$1/arrivals.log" >"$1/mock.log" 2>&1 &
	MOCK_PID=$!
	at_exit "kill $MOCK_PID 2>/dev/null; wait $MOCK_PID 2>/dev/null"
	wait_for 20 $E2E_IN_PHONE sh -c "ss -Hltn 'sport = :$ZTP' | grep -q ."
}

# e2e_report DIR: the report as JSON, to DIR/report.json.
e2e_report() {
	"$ZTP_BIN" report --state "$1/state" --json --out "$1/report.json"
}

# e2e_all_in_state DIR STATE N: N phones of the status are in STATE.
e2e_count_state() {
	"$ZTP_BIN" status --state "$1/state" --json |
	    jq --arg s "$2" '[.phones[] | select(.state == $s)] | length'
}
e2e_all_recovered() {
	[ "$(e2e_count_state "$1" repointed-quiet)" -ge "$2" ]
}

# e2e_view_phone JSONLINE: what a phone says about itself, in one line
# (a phone that recovered by its own account is what the appliance calls
# repointed-quiet).
e2e_view_phone() {
	printf '%s\n' "$1" | jq -r '"model=\(.model) before=\(.version_before) after=\(.version_after) ca=\(.ca_sha256) repoint=\(.target) \(if .recovered then "repointed-quiet" else "not-recovered" end) ztp=\(.reached_ztp)"'
}

# e2e_view_report DIR MAC: what the report and the mock's arrivals say about
# the same phone, in the same form.
e2e_view_report() {
	_z=false
	grep -q " $2 " "$1/arrivals.log" 2>/dev/null && _z=true
	jq -r --arg m "$2" --arg z "$_z" '.phones[] | select(.mac == $m) |
	    "model=\(.model) before=\(.version_before) after=\(.version) ca=\(.ca_sha256) repoint=\(.repoint) \(.state) ztp=\($z)"' \
	    "$1/report.json"
}

# e2e_compare DIR OUTFILE [EXPECT]: for each phone's JSON line in OUTFILE,
# check that it recovered at its model's required version (or the version
# EXPECT gives for its MAC, "MAC VERSION" lines; "MAC -" leaves the phone to
# the caller) with the operator's CA, and that the report agrees with it
# field by field.
e2e_compare() {
	grep '^{' "$2" >"$1/phones.jsonl"
	while IFS= read -r _line; do
		_mac=$(printf '%s\n' "$_line" | jq -r .mac)
		_mod=$(printf '%s\n' "$_line" | jq -r .model)
		_want=$(e2e_required "$_mod")
		if [ -n "${3:-}" ] && grep -q "^$_mac " "$3"; then
			_want=$(grep "^$_mac " "$3" | cut -d' ' -f2)
		fi
		[ "$_want" = - ] && continue
		check_eq "$_mod $_mac: ends recovered at $_want with the operator's CA, at ZTP" \
		    "after=$_want ca=$CAFP repoint=ztp repointed-quiet ztp=true" \
		    "$(e2e_view_phone "$_line" | sed 's/^.* after=/after=/')"
		check_eq "$_mod $_mac: the report agrees with the phone" \
		    "$(e2e_view_phone "$_line")" "$(e2e_view_report "$1" "$_mac")"
	done <"$1/phones.jsonl"
}

# e2e_phone OUTFILE MAC FIELD: one field of a phone's JSON line.
e2e_phone() {
	grep '^{' "$1" | jq -r --arg m "$2" "select(.mac == \$m) | .$3"
}

# e2e_row DIR MAC FIELD: one field of a phone's row in DIR/report.json.
e2e_row() {
	jq -r --arg m "$2" ".phones[] | select(.mac == \$m) | .$3" \
	    "$1/report.json"
}

# e2e_every_model DIR URL: one phone of every model at an old version, all
# at once against the boot server URL; checks each phone and the report.
# MACs 0004f2PPnnnn, PP from E2E_PREFIX.
e2e_every_model() {
	_f=$1 _url=$2
	_n=0
	for _m in $(e2e_models); do
		_n=$((_n + 1))
		printf '%s %s 0004f2%s%04x\n' "$_m" "$(e2e_old "$_m")" \
		    "${E2E_PREFIX:-e1}" "$_n"
	done >"$_f/closet"
	check "the closet holds every model with a part number (25)" \
	    test "$_n" -ge 25
	"$PHONESIM_BIN" --closet "$_f/closet" --server "$_url" \
	    --ztp "https://127.0.0.1:$ZTP/" --transcript "$_f/ts" \
	    --timeout 150 >"$_f/out" 2>"$_f/err"
	_rc=$?
	check_eq "every phone recovered (phonesim exit 0)" "0" "$_rc"
	[ "$_rc" -eq 0 ] && : || sed 's/^/# /' "$_f/err" | head -20
	check_eq "one JSON line per phone" "$_n" "$(grep -c '^{' "$_f/out")"
	check "the appliance calls every phone repointed-quiet after the quiet period" \
	    wait_for 30 e2e_all_recovered "$_f" "$_n"
	check "report written" e2e_report "$_f"
	check_eq "the report has one row per phone, all repointed-quiet" "$_n $_n" \
	    "$(jq -r '[.phones | length, ([.[] | select(.state == "repointed-quiet")] | length)] | join(" ")' "$_f/report.json")"
	e2e_compare "$_f" "$_f/out"
	# Each phone took its image whole once, then abandoned it after the
	# reboot, as the report's transfer rows say.
	_bad=$(jq -r '.phones[] | [.mac, ([.transfers[] | select(.name | endswith(".sip.ld")) | .outcome] | join(","))] | select(.[1] != "completed,abandoned") | join(" ")' "$_f/report.json")
	check_eq "every phone's image rows: completed, then abandoned" "" "$_bad"
	check "the ZTP arrivals log names every phone" test \
	    "$(cut -d' ' -f2 "$_f/arrivals.log" | sort -u | grep -c .)" -eq "$_n"
	# The report claims what was delivered, byte for byte: each image's
	# SHA-256 is the library file's, each phone read its trust file whole
	# with a SHA-256 noted, and none claims ZTP was reached.
	_bad=$(jq -r '.phones[].delivered[] | select(.name | endswith(".sip.ld")) | "\(.name) \(.sha256)"' "$_f/report.json" |
	    while read -r _name _sha; do
		_file=$(printf '%s\n' "$_name" | sed -E 's/^.*([0-9]{4}-[0-9]{5}-[0-9]{3}\.sip\.ld)$/\1/')
		find "$_f/lib" -name "$_file" -exec sha256sum {} + |
		    grep -q "^$_sha " || echo "$_name"
	    done)
	check_eq "every delivered image's SHA-256 is the library file's" "" "$_bad"
	_bad=$(jq -r '.phones[] | select([.delivered[] | select(.name | startswith("ztp-rescue-")) | .sha256 | select(test("^[0-9a-f]{64}$"))] | length < 1) | .mac' "$_f/report.json")
	check_eq "every phone's trust file is in the report with its SHA-256" "" "$_bad"
	_bad=$(jq -r '.phones[] | select(.ztp_reachability != "not verified from this closet" or (.claim | contains("ZTP reachability not verified from this closet") | not)) | .mac' "$_f/report.json")
	check_eq "no report row claims ZTP was reached" "" "$_bad"
}

# e2e_diag DIR: after a failed check, what the next reader needs: phones
# that are not recovered, the phones' complaints and the daemon's last lines.
e2e_diag() {
	[ "$_tap_failed" -gt 0 ] || return 0
	echo "# phones not repointed-quiet (mac model state version reason):"
	"$ZTP_BIN" status --state "$1/state" --json 2>/dev/null | jq -r \
	    '.phones[] | select(.state != "repointed-quiet") | "#   \(.mac) \(.model) \(.state) \(.version) \(.reason)"'
	cat "$1"/err* 2>/dev/null | sed 's/^/# phone: /' | head -20
	tail -30 "$1/serve.log" | sed 's/^/# serve: /'
}
