#!/bin/sh
# `ztp-rescue models`: every row of the seed's table with its required
# version, override files applied, malformed ones refused with file and line.
. "$TOP/tests/lib.sh"

if ! command -v jq >/dev/null 2>&1; then
	skip "jq is not installed (make test-deps installs it)"
	done_testing
	exit 0
fi
tmp=$(make_tmpdir)

out=$("$ZTP_BIN" models --json); rc=$?
check_eq "models --json exits 0" 0 "$rc"
check "the output is one JSON array" \
    test "$(printf '%s' "$out" | jq -r 'type')" = array
check_eq "29 rows: every product row of the seed" 29 \
    "$(printf '%s' "$out" | jq length)"

# The seed notice (Technical Notification 117101), row by row:
# name | token | part | required version.
expected='SoundStation IP 5000|SSIP5000|3111-30900-001|4.0.8H
SoundStation IP 6000|SSIP6000|3111-15600-001|4.0.8H
SoundStation IP 7000|SSIP7000|3111-40000-001|4.0.8H
SoundStation IP 7000 (HDX models)|SSIP7000|3111-40000-001|4.0.8H
SoundStation Duo|SSDuo|null|4.0.8H
SoundStructure VoIP Interface Card|null|3111-33215-001|4.0.8H
SoundPoint IP 321|SPIP321|2345-12360-001|4.0.8H
SoundPoint IP 331|SPIP331|2345-12365-001|4.0.8H
SoundPoint IP 335|SPIP335|2345-12375-001|4.0.8H
SoundPoint IP 450|SPIP450|2345-12450-001|4.0.8H
SoundPoint IP 550|SPIP550|2345-12500-001|4.0.8H
SoundPoint IP 560|SPIP560|2345-12560-001|4.0.8H
SoundPoint IP 650|SPIP650|2345-12600-001|4.0.8H
SoundPoint IP 670|SPIP670|2345-12670-001|4.0.8H
VVX 101|VVX101|3111-40250-001|5.4.0
VVX 201|VVX201|3111-40450-001|4.1.7G
VVX 300|VVX300|3111-46135-002|4.1.7G
VVX 301|VVX301|3111-48300-001|5.4.1
VVX 310|VVX310|3111-46161-001|4.1.7G
VVX 311|VVX311|3111-48350-001|5.4.1
VVX 400|VVX400|3111-46157-002|4.1.7G
VVX 401|VVX401|3111-48400-001|5.4.1
VVX 410|VVX410|3111-46162-001|4.1.7G
VVX 411|VVX411|3111-48450-001|5.4.1
VVX 500|VVX500|3111-44500-001|4.1.7G
VVX 501|VVX501|3111-48500-001|5.4.1
VVX 600|VVX600|3111-44600-001|4.1.7G
VVX 601|VVX601|3111-48600-001|5.4.1
VVX 1500/1500D/1500G|VVX1500|2345-17960-001|4.0.8H'
check_eq "the expected list has 29 rows" 29 \
    "$(printf '%s\n' "$expected" | wc -l | tr -d ' ')"

actual=$(printf '%s' "$out" | jq -r '.[] |
    "\(.name)|\(.token // "null")|\(.part // "null")|\(.target)"')
i=0
printf '%s\n' "$expected" > "$tmp/expected"
printf '%s\n' "$actual" > "$tmp/actual"
while IFS= read -r want; do
	i=$((i + 1))
	got=$(sed -n "${i}p" "$tmp/actual")
	check_eq "row $i: ${want%%|*}" "$want" "$got"
done < "$tmp/expected"

check_eq "unknown part numbers are JSON null, not a string" 2 \
    "$(printf '%s' "$out" | jq '[.[] | select(.part == null or .token == null)] | length')"
check_eq "every target comes from the seed" 29 \
    "$(printf '%s' "$out" | jq '[.[] | select(.target_source == "seed")] | length')"
check_contains "the SoundPoint IP 321 row says the seed wrote 4.08H" "4.08H" \
    "$(printf '%s' "$out" | jq -r '.[] | select(.token == "SPIP321") | .note')"
check_contains "the VVX 201 row notes the 5.4.0 conflict" "5.4.0" \
    "$(printf '%s' "$out" | jq -r '.[] | select(.token == "VVX201") | .note')"
check_eq "every row has the seven keys" 29 \
    "$(printf '%s' "$out" | jq '[.[] | select(keys == ["family","name","note","part","target","target_source","token"])] | length')"

# The table for people.
text=$("$ZTP_BIN" models); rc=$?
check_eq "models exits 0" 0 "$rc"
check_contains "the table has a header" "TOKEN" "$text"
check "the table has the VVX 201 row" sh -c \
    'printf "%s\n" "$1" | grep -Eq "^VVX201 +VVX 201 +3111-40450-001 +4\.1\.7G +seed$"' \
    sh "$text"

# An operator's override file.
cat > "$tmp/site.models" <<'EOF'
# our site
VVX201	5.4.0
  SPIP670   4.0.15.1047   # TLS 1.2
3111-33215-001 4.0.9
EOF
out=$("$ZTP_BIN" models --json --models "$tmp/site.models"); rc=$?
check_eq "an override file is accepted" 0 "$rc"
check_eq "VVX201 overridden to 5.4.0 by line 2" "5.4.0 $tmp/site.models:2" \
    "$(printf '%s' "$out" | jq -r '.[] | select(.token == "VVX201") | "\(.target) \(.target_source)"')"
check_eq "SPIP670 overridden to 4.0.15.1047 by line 3" \
    "4.0.15.1047 $tmp/site.models:3" \
    "$(printf '%s' "$out" | jq -r '.[] | select(.token == "SPIP670") | "\(.target) \(.target_source)"')"
check_eq "the SoundStructure overridden by its part number" \
    "4.0.9 $tmp/site.models:4" \
    "$(printf '%s' "$out" | jq -r '.[] | select(.part == "3111-33215-001") | "\(.target) \(.target_source)"')"
check_eq "other rows keep the seed's target" "4.1.7G seed" \
    "$(printf '%s' "$out" | jq -r '.[] | select(.token == "VVX410") | "\(.target) \(.target_source)"')"
text=$("$ZTP_BIN" models --models "$tmp/site.models")
check "the table shows where an override came from" sh -c \
    'printf "%s\n" "$1" | grep -Eq "^VVX201 .* 5\.4\.0 +$2:2$"' \
    sh "$text" "$tmp/site.models"

# Malformed override files: exit 1, FILE:LINE: reason, nothing on stdout.
printf 'VVX201 5.4.0\n\nVVX999 5.4.1\n' > "$tmp/unknown.models"
out=$("$ZTP_BIN" models --json --models "$tmp/unknown.models" 2>"$tmp/err"); rc=$?
check_eq "an unknown model exits 1" 1 "$rc"
check_eq "the error names the file and line" \
    "ztp-rescue models: $tmp/unknown.models:3: unknown model 'VVX999'; 'ztp-rescue models' lists the tokens and part numbers" \
    "$(cat "$tmp/err")"
check_eq "nothing is printed on stdout" "" "$out"

printf '# x\nSPIP670 4.0.8.x\n' > "$tmp/version.models"
"$ZTP_BIN" models --models "$tmp/version.models" >/dev/null 2>"$tmp/err"; rc=$?
check_eq "a bad version exits 1" 1 "$rc"
check_eq "the bad version is named with file and line" \
    "ztp-rescue models: $tmp/version.models:2: version '4.0.8.x' has a non-numeric field; expected a UC Software version such as 4.0.8H or 4.1.7.5432" \
    "$(cat "$tmp/err")"

printf 'SPIP670\t4.0.8H\textra\n' > "$tmp/words.models"
"$ZTP_BIN" models --models "$tmp/words.models" >/dev/null 2>"$tmp/err"; rc=$?
check_eq "three words on a line exits 1" 1 "$rc"
check_contains "three words named with file and line" \
    "$tmp/words.models:1: expected a model and a version" "$(cat "$tmp/err")"

"$ZTP_BIN" models --models "$tmp/absent.models" >/dev/null 2>"$tmp/err"; rc=$?
check_eq "a missing override file exits 1" 1 "$rc"
check_eq "a missing file is named" \
    "ztp-rescue models: cannot open the override file $tmp/absent.models: No such file or directory" \
    "$(cat "$tmp/err")"

# Usage errors.
"$ZTP_BIN" models extra >/dev/null 2>&1; rc=$?
check_eq "an argument is a usage error" 2 "$rc"
"$ZTP_BIN" models --models >/dev/null 2>&1; rc=$?
check_eq "--models without a file is a usage error" 2 "$rc"
"$ZTP_BIN" models --bogus >/dev/null 2>&1; rc=$?
check_eq "an unknown option is a usage error" 2 "$rc"

done_testing
