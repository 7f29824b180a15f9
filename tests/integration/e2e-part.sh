#!/bin/sh
# End to end over HTTP for a model whose part number the models table does
# not know (the SoundStation Duo): the master config gives it the generic
# APP_FILE_PATH "sip.ld", the simulated phone asks for <its part>.sip.ld,
# the appliance records that part with the request as its evidence, and the
# phone recovers like any other.  9999-99999-001 is a part number made up
# for this test (the Duo's real one is not known); its image is a synthetic
# 4.0.8 image with that part in its header.
#
# Then a phone whose User-Agent names a model token the table does not know
# at all (SSTRUCT1, made up: the SoundStructure's token is not known) and
# whose part is the table's SoundStructure row (3111-33215-001, a row with
# no token): over HTTP it is not held, its <mac>.cfg gives its own token the
# generic "sip.ld", it names its part and recovers, and the report says the
# model is its own word only.
. "$TOP/tests/lib.sh"
. "$TOP/tests/integration/e2e-lib.sh"

[ -x "$SYNTH_BIN" ] || { skip "no ucs-synth at $SYNTH_BIN"; done_testing; exit 0; }
[ -x "$PHONESIM_BIN" ] || { skip "no phonesim at $PHONESIM_BIN"; done_testing; exit 0; }
D=$(make_tmpdir)
PART=9999-99999-001
MAC=0004f2dd0001
SSPART=3111-33215-001
SSMAC=0004f2dd0002

# A 4.0.8 package that also holds the made-up part's image.
duo_fixture() {
	mkdir -p "$D/state"
	"$SYNTH_BIN" --out "$D/syn" --size tiny --version 4.0.8 \
	    --format dir >/dev/null 2>&1 || return 1
	_p=$(echo "$D/syn/"*)
	sed "s/2345-12360-001/$PART/" "$_p/2345-12360-001.sip.ld" \
	    >"$_p/$PART.sip.ld" || return 1
	sed "s/2345-12360-001/$SSPART/" "$_p/2345-12360-001.sip.ld" \
	    >"$_p/$SSPART.sip.ld" || return 1
	"$ZTP_BIN" import --library "$D/lib" "$_p" >/dev/null || return 1
	"$PHONESIM_BIN" make-test-pki "$D/pki" >/dev/null 2>&1 || return 1
	CAFP=$(openssl x509 -in "$D/pki/ca.pem" -outform DER |
	    sha256sum | cut -d' ' -f1)
}
check "synthetic 4.0.8 package with the two parts, test PKI" duo_fixture
check "daemon up" e2e_serve "$D" --quiet-period 2
check "mock ZTP up" e2e_mock "$D"

"$PHONESIM_BIN" --model SSDuo --part $PART --version 4.0.4.2906 --mac $MAC \
    --server "http://127.0.0.1:$HTTP/" --ztp "https://127.0.0.1:$ZTP/" \
    --timeout 60 >"$D/out" 2>"$D/err"
rc=$?
check_eq "the Duo recovered (phonesim exit 0)" 0 "$rc"
[ "$rc" -eq 0 ] || sed 's/^/# /' "$D/err" | head -20
check_eq "it says it ends on 4.0.8 with the operator's CA" \
    "4.0.8.0931 $CAFP true" \
    "$(e2e_phone "$D/out" $MAC version_after) $(e2e_phone "$D/out" $MAC ca_sha256) $(e2e_phone "$D/out" $MAC recovered)"
check "the appliance calls it repointed-quiet" \
    wait_for 30 e2e_all_recovered "$D" 1
check "report written" e2e_report "$D"
check_eq "report: model and the part it named" "SSDuo $PART" \
    "$(e2e_row "$D" $MAC model) $(e2e_row "$D" $MAC part)"
check_contains "report: the part's evidence is the phone's own request" \
    "named by the phone: it asked for $PART.sip.ld under the generic APP_FILE_PATH_SSDuo=\"sip.ld\"" \
    "$(e2e_row "$D" $MAC part_source)"
check_eq "report: its image went out whole, then was abandoned after the reboot" \
    "completed,abandoned" \
    "$(jq -r --arg m $MAC '.phones[] | select(.mac == $m) | [.transfers[] | select(.name | endswith(".sip.ld")) | .outcome] | join(",")' "$D/report.json")"
check_eq "report: the image delivered is the library's $PART.sip.ld" \
    "$(find "$D/lib" -name "$PART.sip.ld" -exec sha256sum {} + | cut -d' ' -f1)" \
    "$(jq -r --arg m $MAC '.phones[] | select(.mac == $m) | [.delivered[] | select(.name == "'$PART'.sip.ld") | .sha256] | last' "$D/report.json")"
check_eq "report: the phone and the report agree" \
    "$(e2e_view_phone "$(grep '^{' "$D/out")")" "$(e2e_view_report "$D" $MAC)"

"$PHONESIM_BIN" --model SSTRUCT1 --part $SSPART --required 4.0.8 \
    --version 4.0.4.2906 --mac $SSMAC --server "http://127.0.0.1:$HTTP/" \
    --ztp "https://127.0.0.1:$ZTP/" --timeout 60 >"$D/ss.out" 2>"$D/ss.err"
rc=$?
check_eq "the phone of an unknown token recovered (phonesim exit 0)" 0 "$rc"
[ "$rc" -eq 0 ] || sed 's/^/# /' "$D/ss.err" | head -20
check_contains "its User-Agent named the unknown token" \
    "User-Agent \"FileTransport PolycomSSTRUCT-SSTRUCT_1-UA/" \
    "$(grep "phone $SSMAC: model SSTRUCT1" "$D/serve.log")"
check "the appliance calls both repointed-quiet" \
    wait_for 30 e2e_all_recovered "$D" 2
check "report written again" e2e_report "$D"
check_eq "report: its model is its User-Agent's word, its part the one it named" \
    "SSTRUCT1 $SSPART repointed-quiet" \
    "$(e2e_row "$D" $SSMAC model) $(e2e_row "$D" $SSMAC part) $(e2e_row "$D" $SSMAC state)"
check_contains "report: the model is marked as the phone's word alone" \
    "named by the phone only, not verified: model SSTRUCT1 is not in the models table" \
    "$(e2e_row "$D" $SSMAC model_source)"
check_contains "report: the part's evidence is its own request" \
    "named by the phone: it asked for $SSPART.sip.ld under the generic APP_FILE_PATH_SSTRUCT1=\"sip.ld\"" \
    "$(e2e_row "$D" $SSMAC part_source)"
check_eq "report: the phone and the report agree" \
    "$(e2e_view_phone "$(grep '^{' "$D/ss.out")")" "$(e2e_view_report "$D" $SSMAC)"
check "daemon stops cleanly (no sanitizer report)" e2e_stop
done_testing
