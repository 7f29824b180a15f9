#!/bin/sh
# `ztp-rescue tftpd` against the real clients from Debian (tftp-hpa's tftp,
# atftp, busybox tftp, curl): downloads of edge sizes and past the block
# number rollover compared by SHA-256, uploads with each client that writes,
# hostile names, a flood from one address beside a normal client, a client
# that abandons a read, and a full upload file system.
. "$TOP/tests/lib.sh"

for c in curl busybox tftp atftp cc; do
	if ! command -v $c >/dev/null 2>&1; then
		skip "$c is not installed (make test-deps)"
		done_testing
		exit 0
	fi
done

T=$(make_tmpdir)
cc -O1 -o "$T/tftp-tool" "$TOP/tests/integration/tftp-tool.c" || exit 1
TOOL=$T/tftp-tool
mkdir -p "$T/root/sub" "$T/up" "$T/out"
R=$T/root

: >"$R/f0"
for n in 511 512 513 1024 4404 100000; do
	head -c $n /dev/urandom >"$R/f$n"
done
# Past 65535 blocks of 512 bytes: the block number wraps.
head -c $((33 * 1048576 + 1)) /dev/urandom >"$R/big.bin"
head -c 2000000 /dev/urandom >"$R/mid.bin"
ln -s /etc/passwd "$R/escape"
ln -s ../f513 "$R/sub/inside"

PORT=$(free_port)
"$ZTP_BIN" tftpd --root "$R" --listen 127.0.0.1 --port "$PORT" \
    --upload-dir "$T/up" >"$T/summary" 2>"$T/log" &
SRV=$!
at_exit "kill $SRV 2>/dev/null"
listening() { ss -Hlun "sport = :$1" | grep -q .; }
check "the server listens" wait_for 10 listening "$PORT"
# tftp-hpa's client ACKs the ERROR that refuses its request, to the port
# that sent it: the refusal is logged, that ACK is not (it was "ignored a
# packet of 4 bytes that is not a request" after every refusal).  A packet
# that is no TFTP at all still is.
tftp -m binary 127.0.0.1 "$PORT" -c get not-here "$T/not-here" >/dev/null 2>&1
check "a refused request is logged" \
    wait_for 5 grep -q "read not-here refused: 'not-here' was not found" "$T/log"
check_eq "the client's ACK of the refusal is not" "" \
    "$(grep 'not a request' "$T/log")"
check_eq "a packet that is no TFTP gets no answer" nothing \
    "$("$TOOL" probe 127.0.0.1 "$PORT" 9 junk)"
check "and is logged" grep -q "ignored a packet of 13 bytes that is not a request" "$T/log"

same() { [ -f "$2" ] && [ "$(sha256 "$1")" = "$(sha256 "$2")" ]; }

get() {	# CLIENT NAME OUT
	case $1 in
	curl)	curl -s --max-time 120 -o "$3" "tftp://127.0.0.1:$PORT/$2" ;;
	curl1468) curl -s --max-time 60 --tftp-blksize 1468 -o "$3" \
		    "tftp://127.0.0.1:$PORT/$2" ;;
	busybox) busybox tftp -g -r "$2" -l "$3" 127.0.0.1 "$PORT" \
		    2>/dev/null ;;
	hpa)	tftp -m binary 127.0.0.1 "$PORT" -c get "$2" "$3" ;;
	atftp)	atftp -g -r "$2" -l "$3" 127.0.0.1 "$PORT" 2>/dev/null ;;
	atftpw)	atftp --option "blksize 1468" --option "windowsize 8" \
		    --option "tsize 0" -g -r "$2" -l "$3" 127.0.0.1 "$PORT" \
		    2>/dev/null ;;
	esac
}

downloads=0
for c in curl curl1468 busybox hpa atftp atftpw; do
	for f in f0 f511 f512 f513 f1024 f4404 f100000 sub/inside; do
		# curl 7.88 refuses an OACK with tsize 0.
		case $c$f in curl*f0) continue ;; esac
		out=$T/out/$c-$(basename $f)
		get $c $f "$out"
		check "$c downloads $f intact" same "$R/$f" "$out"
		downloads=$((downloads + 1))
	done
done
for c in curl hpa busybox atftp; do
	get $c big.bin "$T/out/$c-big"
	check "$c downloads 33 MB at 512-byte blocks (rollover) intact" \
	    same "$R/big.bin" "$T/out/$c-big"
	downloads=$((downloads + 1))
done

# One summary line per transfer, with its figures.
wait_for 5 sh -c "[ \$(grep -c 'read .*: completed' '$T/summary') -ge $downloads ]"
check_eq "a 'completed' summary line per download" "$downloads" \
    "$(grep -c 'read .*: completed' "$T/summary")"
check_contains "summary line for a windowed download" \
    "read f100000: completed, 100000 bytes, blksize 1468, window 8," \
    "$(cat "$T/summary")"
check_contains "summary line names rollover-sized transfers" \
    "read big.bin: completed, 34603009 bytes, blksize 512, window 1," \
    "$(cat "$T/summary")"

# Uploads, with every client that can write.
head -c 150000 /dev/urandom >"$T/upload.bin"
busybox tftp -p -l "$T/upload.bin" -r up-busybox.bin 127.0.0.1 "$PORT" 2>/dev/null
curl -s --max-time 30 -T "$T/upload.bin" "tftp://127.0.0.1:$PORT/up-curl.bin"
tftp -m binary 127.0.0.1 "$PORT" -c put "$T/upload.bin" up-hpa.bin
atftp -p -l "$T/upload.bin" -r up-atftp.bin 127.0.0.1 "$PORT" 2>/dev/null
atftp --option "windowsize 4" --option "blksize 1000" -p -l "$T/upload.bin" \
    -r up-atftpw.bin 127.0.0.1 "$PORT" 2>/dev/null
for c in busybox curl hpa atftp atftpw; do
	check "$c upload stored intact" same "$T/upload.bin" "$T/up/up-$c.bin"
done
echo "second" >"$T/second.txt"
busybox tftp -p -l "$T/second.txt" -r up-busybox.bin 127.0.0.1 "$PORT" 2>/dev/null
check "a second upload of a name is kept as NAME.1" \
    same "$T/second.txt" "$T/up/up-busybox.bin.1"
check "the first upload is not overwritten" \
    same "$T/upload.bin" "$T/up/up-busybox.bin"
check_contains "the summary says where an upload went" \
    "write up-busybox.bin: stored as $T/up/up-busybox.bin.1" \
    "$(cat "$T/summary")"
out=$("$TOOL" probe 127.0.0.1 "$PORT" 2 ../evil.bin)
check_contains "an upload named ../ is refused with error 2" "ERROR 2 " "$out"

# Issue 18: twelve quick uploads in a row from one address; the finished
# ones dally to re-acknowledge a repeated last block, and must not lock the
# address out (it was refused "too many transfers" after the eighth).
echo "small" >"$T/small.txt"
n=0
for i in 1 2 3 4 5 6 7 8 9 10 11 12; do
	atftp -p -l "$T/small.txt" -r "quick$i.txt" 127.0.0.1 "$PORT" \
	    2>/dev/null && n=$((n + 1))
done
check_eq "twelve quick atftp uploads in a row are all stored" 12 \
    "$(ls "$T/up"/quick*.txt | wc -l)"
out=$("$TOOL" probe 127.0.0.1 "$PORT" 1 missing-after-uploads)
check_contains "and a download after them is answered, not refused" \
    "ERROR 1 " "$out"

# Hostile names: the right error code each.
probe() { "$TOOL" probe 127.0.0.1 "$PORT" 1 "$@" | cut -d' ' -f1-2; }
check_eq "../ refused with error 2" "ERROR 2" "$(probe ../etc/passwd)"
check_eq "sub/../../ refused with error 2" "ERROR 2" \
    "$(probe sub/../../etc/passwd)"
# A leading '/' is the served directory's top, as with tftpd-hpa --secure.
check_eq "/etc/passwd is looked for under the root: not found, error 1" \
    "ERROR 1" "$(probe /etc/passwd)"
check_contains "/f512 is f512" "OPCODE 3 BLOCK 1 LEN 512" \
    "$("$TOOL" probe 127.0.0.1 "$PORT" 1 /f512)"
check_contains "//sub/inside too" "OPCODE 3 BLOCK 1" \
    "$("$TOOL" probe 127.0.0.1 "$PORT" 1 //sub/inside)"
check_eq "control character refused with error 2" "ERROR 2" \
    "$(probe 'f\x1b[2J')"
check_eq "backslash refused with error 2" "ERROR 2" "$(probe '..\x5cf0')"
check_eq "NUL inside the name: malformed request, error 4" "ERROR 4" \
    "$(probe 'f0\x00../x')"
check_eq "symlink out of the root refused with error 2" "ERROR 2" \
    "$(probe escape)"
check_eq "a name over 255 bytes refused with error 2" "ERROR 2" \
    "$(probe "$(printf '%0300d' 0)")"
check_eq "a missing file is error 1" "ERROR 1" "$(probe nothing-here)"
check_eq "a directory is refused with error 2" "ERROR 2" "$(probe sub)"
check_eq "an unknown mode is error 4" "ERROR 4" \
    "$("$TOOL" probe 127.0.0.1 "$PORT" 1 f0 mail | cut -d' ' -f1-2)"
check_contains "refused names are logged escaped" 'f\x1b[2J' "$(cat "$T/log")"
check "no raw escape byte reaches the log" \
    sh -c "! grep -q \"\$(printf '\\033')\" '$T/log'"

# A flood of requests from one address does not stop another client.
"$TOOL" flood 127.0.0.1 "$PORT" 127.0.0.2 4 mid.bin >"$T/flood" &
FLOOD=$!
sleep 0.5
get curl mid.bin "$T/out/during-flood"
check "a client downloads intact during a flood from another address" \
    same "$R/mid.bin" "$T/out/during-flood"
wait $FLOOD
check "the flood sent thousands of requests" \
    test "$(cat "$T/flood")" -gt 2000
check_contains "flood requests over the per-client limit are refused" \
    "transfers from this address already" "$(cat "$T/log")"

# A client that reads three blocks and goes silent: abandoned, not failed.
"$TOOL" abandon 127.0.0.1 "$PORT" big.bin 3 &
AB=$!
abandoned() { grep -q "read big.bin: abandoned after 1536 bytes" "$T/summary"; }
check "a silent reader is reported 'abandoned after 1536 bytes'" \
    wait_for 8 abandoned
kill $AB 2>/dev/null
check "nothing failed" sh -c "! grep -q ': failed' '$T/summary'"

kill -TERM $SRV
wait $SRV
check_eq "the server exits cleanly on SIGTERM (no leaks)" 0 $?

# A kernel or container without openat2: the server refuses to start and
# says why, rather than listen and refuse every name.
cc -O1 -shared -fPIC -o "$T/no-openat2.so" "$TOP/tests/integration/no-openat2.c" \
    -ldl || exit 1
out=$(LD_PRELOAD="$T/no-openat2.so" \
    ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" \
    timeout 10 "$ZTP_BIN" tftpd --root "$R" --listen 127.0.0.1 \
    --port "$(free_port)" 2>&1)
check_eq "without openat2 the server does not start (exit 1)" 1 $?
check_contains "and says what the kernel lacks" \
    "cannot serve --root $R: this kernel has no openat2" "$out"

# IPv6: the same engine on ::1 (IPV6_RECVPKTINFO).
if ip -6 addr show dev lo 2>/dev/null | grep -q '::1'; then
	P6=$(free_port)
	"$ZTP_BIN" tftpd --root "$R" --listen ::1 --port "$P6" \
	    >"$T/summary6" 2>"$T/log6" &
	SRV6=$!
	at_exit "kill $SRV6 2>/dev/null"
	check "the IPv6 server listens" wait_for 10 listening "$P6"
	curl -s --max-time 30 -o "$T/out/v6" "tftp://[::1]:$P6/f100000"
	check "curl downloads intact over IPv6" same "$R/f100000" "$T/out/v6"
	busybox tftp -g -r f513 -l "$T/out/v6b" ::1 "$P6" 2>/dev/null
	check "busybox downloads intact over IPv6" same "$R/f513" "$T/out/v6b"
	check_contains "the IPv6 summary names the client" \
	    "read f100000: completed, 100000 bytes" "$(cat "$T/summary6")"
	kill -TERM $SRV6
	wait $SRV6
	check_eq "the IPv6 server exits cleanly" 0 $?
else
	skip "no IPv6 on lo"
fi

# A full file system under the upload directory: a clean error 3, and no
# partial file left behind.
if [ "$(id -u)" = 0 ] && command -v unshare >/dev/null 2>&1; then
	P2=$(free_port)
	mkdir -p "$T/small"
	unshare -m sh -c "mount -t tmpfs -o size=64k tmpfs '$T/small' &&
	    exec '$ZTP_BIN' tftpd --root '$R' --listen 127.0.0.1 --port $P2 \
	    --upload-dir '$T/small'" >"$T/summary2" 2>"$T/log2" &
	SRV2=$!
	at_exit "kill $SRV2 2>/dev/null"
	check "the tiny-disk server listens" wait_for 10 listening "$P2"
	busybox tftp -p -l "$R/f100000" -r toolarge.bin 127.0.0.1 "$P2" \
	    >"$T/bb-full" 2>&1
	check_contains "the client is told the disk is full" "is full" \
	    "$(cat "$T/bb-full")"
	check_contains "the summary reports the failure" \
	    "write toolarge.bin: failed: the disk holding" \
	    "$(cat "$T/summary2")"
	check_eq "no partial file is left on the full disk" "" \
	    "$(nsenter -t $SRV2 -m ls -A "$T/small" 2>&1)"
	busybox tftp -p -l "$R/f513" -r small.bin 127.0.0.1 "$P2" 2>/dev/null
	check "a small upload still fits afterwards" \
	    sh -c "nsenter -t $SRV2 -m cat '$T/small/small.bin' | cmp -s - '$R/f513'"
	kill -TERM $SRV2
	wait $SRV2
else
	skip "needs root and unshare: full-disk upload"
fi

done_testing
