#!/bin/sh
# The optional ZTP reachability check (serve --verify-via): an openssl
# s_server on loopback stands in for the ZTP host, under a name that only
# the test's hosts file resolves (--verify-hosts; the machine's /etc/hosts
# is not touched).  Every certificate here is made by this test: the CA is
# a test CA, never Polycom's.
#   1. the host presents a chain from the CA the phones are given: a
#      repointed-quiet phone becomes verified, with the evidence;
#   2. the host presents a chain from another CA: the check fails with
#      OpenSSL's verify error, that phone goes back to repointed-quiet and
#      a new phone stays there, both with the failure in the report;
#   3. a target that does not resolve: FAILED "does not resolve".
. "$TOP/tests/lib.sh"
. "$TOP/tests/serve-lib.sh"

command -v openssl >/dev/null || { skip "no openssl"; done_testing; exit 0; }
D=$(make_tmpdir)
NAME=ztp.rescue.test

# ca NAME CN: a self-signed test CA in D/NAME.pem, D/NAME.key.
ca() {
	openssl req -x509 -nodes -days 30 -subj "/CN=$2" -newkey rsa:2048 \
	    -sha256 -keyout "$D/$1.key" -out "$D/$1.pem" \
	    -addext basicConstraints=critical,CA:TRUE \
	    -addext keyUsage=critical,keyCertSign,cRLSign >/dev/null 2>&1
}
# leaf NAME CA: a server certificate for $NAME signed by CA.
leaf() {
	openssl req -nodes -subj "/CN=$NAME" -newkey rsa:2048 -sha256 \
	    -keyout "$D/$1.key" -out "$D/$1.csr" >/dev/null 2>&1 &&
	printf 'subjectAltName=DNS:%s\nextendedKeyUsage=serverAuth\n' "$NAME" \
	    >"$D/$1.ext" &&
	openssl x509 -req -in "$D/$1.csr" -CA "$D/$2.pem" -CAkey "$D/$2.key" \
	    -CAcreateserial -days 30 -sha256 -extfile "$D/$1.ext" \
	    -out "$D/$1.pem" >/dev/null 2>&1
}
ca ca "ZTP Rescue test CA (not Polycom)"
ca other "Another test CA (not Polycom)"
leaf good ca
leaf bad other
check "test CAs and server certificates made" \
    test -s "$D/good.pem" -a -s "$D/bad.pem"
CA_SHA=$(openssl x509 -in "$D/ca.pem" -noout -fingerprint -sha256 |
    sed 's/.*=//; s/://g' | tr A-F a-f)
printf '# test names only\n127.0.0.1\t%s\n' "$NAME" >"$D/hosts"

TLS=$(free_port tcp)
# tls_server CERT: the stand-in ZTP host on 127.0.0.1:$TLS.
tls_server() {
	[ -n "${TLS_PID:-}" ] && { kill "$TLS_PID"; wait "$TLS_PID"; } 2>/dev/null
	openssl s_server -accept "127.0.0.1:$TLS" -cert "$D/$1.pem" \
	    -key "$D/$1.key" -www -quiet </dev/null >>"$D/s_server.log" 2>&1 &
	TLS_PID=$!
	at_exit "kill $TLS_PID 2>/dev/null"
	wait_for 10 curl -sk -o /dev/null "https://127.0.0.1:$TLS/"
}
check "stand-in ZTP host up with the phones' CA chain" tls_server good

mkdir -p "$D/state" "$D/library"
check "daemon up with --verify-via lo" serve_start "$D" --ca "$D/ca.pem" \
    --quiet-period 1 --verify-via lo --verify-hosts "$D/hosts" \
    --ztp-host "$NAME:$TLS"

zc() {
	"$ZTP_BIN" status --state "$D/state" --json |
	    jq -r ".appliance.ztp_check.$1 // \"\""
}
zc_is() { [ "$(zc "$1")" = "$2" ]; }
check "the check ran once the daemon started" wait_for 15 zc_is state done
check_eq "status: verified" verified "$(zc result)"
check_eq "status: the host and port checked" "$NAME $TLS" \
    "$(zc host) $(zc port)"
check_eq "status: the addresses it resolved to" 127.0.0.1 "$(zc addresses)"
check_eq "status: the chain's subject" "CN=$NAME" "$(zc subject)"
check_eq "status: its issuer" "CN=ZTP Rescue test CA (not Polycom)" \
    "$(zc issuer)"
check_eq "status: the installed CA's fingerprint" "$CA_SHA" "$(zc ca_sha256)"
check_eq "status: the leaf's fingerprint" \
    "$(openssl x509 -in "$D/good.pem" -noout -fingerprint -sha256 |
    sed 's/.*=//; s/://g' | tr A-F a-f)" "$(zc leaf_sha256)"
check_eq "status: no verify error" "" "$(zc verify_error)"
check_contains "status as text: the check's sentence" \
    "ZTP reachability verified from this closet at" \
    "$("$ZTP_BIN" status --state "$D/state")"

# phone MAC IP: a VVX 410 already newer than its target takes the trust
# file (no image needed) and is then quiet.
phone() {
	_ua="FileTransport PolycomVVX-VVX_410-UA/5.9.7.4477 Type/Application"
	get "$_ua" "$2" "$1.cfg" >/dev/null
	get "$_ua" "$2" "ztp-rescue-$1.cfg" >/dev/null
}
A=0004f2a0b001
phone $A 127.0.0.31
check "phone A: verified after its quiet period" \
    wait_for 10 state_is "$D" $A verified

report() {
	"$ZTP_BIN" report --state "$D/state" --json --out "$D/r.json" \
	    2>/dev/null
	jq -r --arg m "$1" '.phones[] | select(.mac == $m) | .ztp_reachability' \
	    "$D/r.json"
}
row=$(report $A)
check_contains "report: verified from this closet at a time via lo" \
    "verified from this closet at 20" "$row"
check_contains "report: what the host presented, accepted by which CA" \
    "via lo: $NAME presented CN=$NAME, accepted by the installed CA $CA_SHA" \
    "$row"
check_contains "report: the claim carries the same sentence" \
    "ZTP reachability verified from this closet at" \
    "$(jq -r --arg m $A '.phones[] | select(.mac == $m) | .claim' "$D/r.json")"
check_eq "report: the state events end repointed-quiet, verified" \
    "repointed repointed-quiet verified" \
    "$(jq -r --arg m $A '[.phones[] | select(.mac == $m) | .events[] |
    select(.kind == "state") | .to] | .[-3:] | join(" ")' "$D/r.json")"
check_contains "report: the check at the top with its addresses" "127.0.0.1" \
    "$(jq -r .ztp_check.addresses "$D/r.json")"
"$ZTP_BIN" report --state "$D/state" --csv --out "$D/r.csv" 2>/dev/null
check_contains "CSV report: the verified sentence" \
    "verified from this closet at" "$(cat "$D/r.csv")"

# 2. Another CA's chain: the check fails and says why.
check "stand-in ZTP host now presents another CA's chain" tls_server bad
out=$("$ZTP_BIN" ctl --state "$D/state" --json verify-ztp 2>&1)
check_contains "verify-ztp on demand starts a check" '"state":"running"' "$out"
check "the second check ended" wait_for 15 zc_is state done
check_eq "status: failed" failed "$(zc result)"
check_eq "status: OpenSSL's verify error" \
    "unable to get local issuer certificate" "$(zc verify_error)"
check_eq "status: the other chain's issuer" \
    "CN=Another test CA (not Polycom)" "$(zc issuer)"
check_eq "phone A: back to repointed-quiet" repointed-quiet \
    "$(phone_field "$D" $A state)"
check_contains "report: phone A's check FAILED with the verify error" \
    "check FAILED: $NAME presented CN=$NAME (issuer CN=Another test CA (not Polycom)), not accepted by the installed CA $CA_SHA: unable to get local issuer certificate" \
    "$(report $A)"
B=0004f2a0b002
phone $B 127.0.0.32
check "phone B: repointed-quiet" wait_for 10 state_is "$D" $B repointed-quiet
sleep 1
check_eq "phone B: stays repointed-quiet" repointed-quiet \
    "$(phone_field "$D" $B state)"
check_contains "report: phone B's check FAILED too" "check FAILED: " \
    "$(report $B)"

# 3. A target that does not resolve (a hand-off to a name not in the file).
check "re-point changed to a name nobody resolves" "$ZTP_BIN" ctl \
    --state "$D/state" --json set-repoint target=server \
    url="https://nowhere.rescue.test/prov/"
check_eq "status: the new re-point target" https://nowhere.rescue.test/prov/ \
    "$("$ZTP_BIN" status --state "$D/state" --json | jq -r .appliance.repoint)"
C=0004f2a0b003
phone $C 127.0.0.33
check "phone C: repointed-quiet" wait_for 10 state_is "$D" $C repointed-quiet
check "the check for the new target ran" wait_for 15 zc_is host \
    nowhere.rescue.test
check "and ended" wait_for 15 zc_is state done
check_contains "status: does not resolve" \
    "nowhere.rescue.test does not resolve (not in the hosts file" "$(zc why)"
check_eq "phone C: stays repointed-quiet" repointed-quiet \
    "$(phone_field "$D" $C state)"
check_contains "report: phone C's check FAILED, does not resolve" \
    "check FAILED: nowhere.rescue.test does not resolve" "$(report $C)"
check_contains "report: phone A keeps what was seen for its own target" \
    "check FAILED: $NAME presented" "$(report $A)"

# batch --verify-via: the check it asks for is waited for and its outcome
# said (a failed check was said nowhere, and batch ended at once when its
# phones were already repointed-quiet).
printf '%s\n' "$C" >"$D/inv.csv"
"$ZTP_BIN" batch --state "$D/state" --inventory "$D/inv.csv" --timeout 30 \
    --no-start --verify-via lo --report "$D/b.json" </dev/null \
    >"$D/batch.out" 2>"$D/batch.err"; rc=$?
check_eq "batch --verify-via: its phone done, exit 0" 0 "$rc"
check_contains "the check's outcome is said, failed and why" \
    "ztp-rescue batch: ZTP check via lo: " "$(cat "$D/batch.err")"
check_contains "(why)" "nowhere.rescue.test does not resolve" \
    "$(cat "$D/batch.err")"

serve_stop
check "the daemon exits cleanly (no leaks)" \
    test "$(grep -c 'LeakSanitizer\|runtime error' "$D/serve.log")" = 0
done_testing
