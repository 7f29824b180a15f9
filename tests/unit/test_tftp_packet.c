/* TFTP request parsing and option negotiation, every malformed form. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "tftp-packet.h"

/* A request from pieces: "\0"-separated fields given with their lengths. */
static size_t
mkreq(uint8_t *buf, int op, const char *fields, size_t len)
{
	buf[0] = 0;
	buf[1] = op;
	memcpy(buf + 2, fields, len);
	return (len + 2);
}

#define REQ(buf, op, lit) mkreq(buf, op, lit, sizeof(lit) - 1)

static int
parse(const uint8_t *buf, size_t len, struct tftp_req *req, char **cause)
{
	*cause = NULL;
	return (tftp_parse_request(buf, len, req, cause));
}

static void
expect_refused(const uint8_t *buf, size_t len, int code, const char *text)
{
	struct tftp_req	 req;
	char		*cause;

	assert_int_equal(parse(buf, len, &req, &cause), code);
	assert_non_null(cause);
	assert_non_null(strstr(cause, text));
	free(cause);
}

static void
test_plain_rrq(void **state)
{
	uint8_t		 buf[128];
	struct tftp_req	 req;
	char		*cause;
	size_t		 len = REQ(buf, 1, "0004f2aabbcc.cfg\0octet\0");

	assert_int_equal(parse(buf, len, &req, &cause), 0);
	assert_int_equal(req.opcode, TFTP_OP_RRQ);
	assert_int_equal(req.namelen, 16);
	assert_string_equal(req.name, "0004f2aabbcc.cfg");
	assert_int_equal(req.netascii, 0);
	assert_int_equal(req.noptions, 0);
	assert_int_equal(req.ignored, 0);
}

static void
test_wrq_netascii_mode_any_case(void **state)
{
	uint8_t		 buf[128];
	struct tftp_req	 req;
	char		*cause;
	size_t		 len = REQ(buf, 2, "a.log\0NetASCII\0");

	assert_int_equal(parse(buf, len, &req, &cause), 0);
	assert_int_equal(req.opcode, TFTP_OP_WRQ);
	assert_int_equal(req.netascii, 1);
	len = REQ(buf, 1, "a\0OCTET\0");
	assert_int_equal(parse(buf, len, &req, &cause), 0);
	assert_int_equal(req.netascii, 0);
}

static void
test_malformed_requests(void **state)
{
	uint8_t	buf[128] = { 0 };

	expect_refused(buf, 0, 4, "too short");
	buf[0] = 0;
	expect_refused(buf, 1, 4, "too short");
	expect_refused(buf, REQ(buf, 3, "a\0octet\0"), 4, "opcode 3");
	expect_refused(buf, REQ(buf, 0, "a\0octet\0"), 4, "opcode 0");
	expect_refused(buf, REQ(buf, 1, ""), 4, "not NUL-terminated");
	expect_refused(buf, REQ(buf, 1, "file-without-nul"), 4,
	    "not NUL-terminated");
	expect_refused(buf, REQ(buf, 1, "\0octet\0"), 4, "empty");
	expect_refused(buf, REQ(buf, 1, "a\0"), 4, "mode is missing");
	expect_refused(buf, REQ(buf, 1, "a\0octet"), 4, "mode is missing");
	expect_refused(buf, REQ(buf, 1, "a\0mail\0"), 4, "not octet");
	expect_refused(buf, REQ(buf, 1, "a\0binary\0"), 4, "not octet");
	expect_refused(buf, REQ(buf, 1, "a\0\0"), 4, "not octet");
	expect_refused(buf, REQ(buf, 1, "a\0octet \0"), 4, "not octet");
}

static void
test_options_parsed(void **state)
{
	uint8_t		 buf[256];
	struct tftp_req	 req;
	char		*cause;
	size_t		 len = REQ(buf, 1, "f\0octet\0tsize\0" "0\0BLKSIZE\0"
			    "1468\0timeout\0" "6\0");

	assert_int_equal(parse(buf, len, &req, &cause), 0);
	assert_int_equal(req.noptions, 3);
	assert_string_equal(req.options[0].name, "tsize");
	assert_string_equal(req.options[0].value, "0");
	assert_string_equal(req.options[1].name, "BLKSIZE");
	assert_string_equal(req.options[1].value, "1468");
	assert_string_equal(req.options[2].value, "6");
}

static void
test_odd_option_tail_ignored(void **state)
{
	uint8_t		 buf[256];
	struct tftp_req	 req;
	char		*cause;
	size_t		 len;

	/* A name without a value. */
	len = REQ(buf, 1, "f\0octet\0blksize\0" "1024\0tsize\0");
	assert_int_equal(parse(buf, len, &req, &cause), 0);
	assert_int_equal(req.noptions, 1);
	assert_int_equal(req.ignored, 1);
	/* A value without its NUL. */
	len = REQ(buf, 1, "f\0octet\0blksize\0" "1024");
	assert_int_equal(parse(buf, len, &req, &cause), 0);
	assert_int_equal(req.noptions, 0);
	assert_int_equal(req.ignored, 1);
	/* Trailing garbage without any NUL. */
	len = REQ(buf, 1, "f\0octet\0\xff\xfe");
	assert_int_equal(parse(buf, len, &req, &cause), 0);
	assert_int_equal(req.noptions, 0);
	assert_int_equal(req.ignored, 1);
}

static void
test_duplicate_and_empty_option_names(void **state)
{
	uint8_t		 buf[256];
	struct tftp_req	 req;
	char		*cause;
	size_t		 len = REQ(buf, 1, "f\0octet\0blksize\0" "1024\0"
			    "BlkSize\0" "8\0\0" "5\0");

	assert_int_equal(parse(buf, len, &req, &cause), 0);
	assert_int_equal(req.noptions, 1);
	assert_string_equal(req.options[0].value, "1024");
	assert_int_equal(req.ignored, 2);
}

static void
test_too_many_options(void **state)
{
	uint8_t		 buf[1024];
	struct tftp_req	 req;
	char		*cause, fields[900];
	size_t		 off = 0;
	int		 i;

	off += sprintf(fields, "f") + 1;
	off += sprintf(fields + off, "octet") + 1;
	for (i = 0; i < 20; i++) {
		off += sprintf(fields + off, "x%d", i) + 1;
		off += sprintf(fields + off, "1") + 1;
	}
	assert_int_equal(parse(buf, mkreq(buf, 1, fields, off), &req,
	    &cause), 0);
	assert_int_equal(req.noptions, TFTP_MAX_OPTIONS);
	assert_int_equal(req.ignored, 20 - TFTP_MAX_OPTIONS);
}

static void
test_parse_number(void **state)
{
	uint64_t	v;

	assert_int_equal(tftp_parse_number("0", 10, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(tftp_parse_number("65464", 65464, &v), 0);
	assert_int_equal(v, 65464);
	assert_int_equal(tftp_parse_number("65465", 65464, &v), -2);
	assert_int_equal(tftp_parse_number("", 10, &v), -1);
	assert_int_equal(tftp_parse_number("+5", 10, &v), -1);
	assert_int_equal(tftp_parse_number("-5", 10, &v), -1);
	assert_int_equal(tftp_parse_number(" 5", 10, &v), -1);
	assert_int_equal(tftp_parse_number("5 ", 10, &v), -1);
	assert_int_equal(tftp_parse_number("0x10", 100, &v), -1);
	assert_int_equal(tftp_parse_number("enable", 10, &v), -1);
	assert_int_equal(tftp_parse_number("18446744073709551615",
	    UINT64_MAX, &v), 0);
	assert_true(v == UINT64_MAX);
	assert_int_equal(tftp_parse_number("18446744073709551616",
	    UINT64_MAX, &v), -2);
	assert_int_equal(tftp_parse_number("99999999999999999999999999",
	    UINT64_MAX, &v), -2);
}

struct nego {
	struct tftp_params	par;
	uint8_t			oack[TFTP_OACK_MAX];
	size_t			oacklen;
	int			rc;
	char			*cause;
};

static void
negotiate(const char *fields, size_t flen, int op, unsigned maxblk,
    unsigned maxwin, uint64_t size, struct nego *n)
{
	uint8_t			buf[512];
	struct tftp_req		req;
	struct tftp_limits	lim = { maxblk, maxwin, 1000000, 0 };
	char			*cause;

	assert_int_equal(parse(buf, mkreq(buf, op, fields, flen), &req,
	    &cause), 0);
	n->cause = NULL;
	n->rc = tftp_negotiate(&req, &lim, 1, size, &n->par, n->oack,
	    &n->oacklen, &n->cause);
}

#define NEGO(lit, op, maxblk, maxwin, size, n) \
	negotiate(lit, sizeof(lit) - 1, op, maxblk, maxwin, size, n)

static void
assert_oack(const struct nego *n, const char *want, size_t wantlen)
{
	if (wantlen == 0) {
		assert_int_equal(n->oacklen, 0);
		return;
	}
	assert_int_equal(n->oacklen, wantlen + 2);
	assert_int_equal(n->oack[0], 0);
	assert_int_equal(n->oack[1], TFTP_OP_OACK);
	assert_memory_equal(n->oack + 2, want, wantlen);
}

#define OACK(n, lit) assert_oack(n, lit, sizeof(lit) - 1)

static void
test_negotiate_none(void **state)
{
	struct nego	n;

	NEGO("f\0octet\0", 1, 65464, 64, 100, &n);
	assert_int_equal(n.rc, 0);
	assert_int_equal(n.par.blksize, 512);
	assert_int_equal(n.par.windowsize, 1);
	assert_int_equal(n.par.rollover, 0);
	OACK(&n, "");
}

static void
test_negotiate_curl_defaults(void **state)
{
	struct nego	n;

	NEGO("f\0octet\0tsize\0" "0\0blksize\0" "512\0timeout\0" "6\0", 1,
	    65464, 64, 52428800, &n);
	assert_int_equal(n.rc, 0);
	assert_int_equal(n.par.timeout_s, 6);
	OACK(&n, "tsize\0" "52428800\0blksize\0" "512\0timeout\0" "6\0");
}

static void
test_negotiate_case_echoed(void **state)
{
	struct nego	n;

	NEGO("f\0octet\0BLKSIZE\0" "1468\0WindowSize\0" "8\0", 1, 65464, 64,
	    0, &n);
	assert_int_equal(n.par.blksize, 1468);
	assert_int_equal(n.par.windowsize, 8);
	OACK(&n, "BLKSIZE\0" "1468\0WindowSize\0" "8\0");
}

static void
test_negotiate_blksize_bounds(void **state)
{
	struct nego	n;

	NEGO("f\0octet\0blksize\0" "7\0", 1, 65464, 64, 0, &n);
	assert_int_equal(n.par.blksize, 512);
	OACK(&n, "");
	NEGO("f\0octet\0blksize\0" "8\0", 1, 65464, 64, 0, &n);
	assert_int_equal(n.par.blksize, 8);
	OACK(&n, "blksize\0" "8\0");
	NEGO("f\0octet\0blksize\0" "65464\0", 1, 65464, 64, 0, &n);
	assert_int_equal(n.par.blksize, 65464);
	/*
	 * Past RFC 2348's 65464, as clients asking for "65535" or "65536"
	 * do: granted the largest we give (tftpd-hpa too), not left to 512.
	 */
	NEGO("f\0octet\0blksize\0" "65465\0", 1, 65464, 64, 0, &n);
	assert_int_equal(n.par.blksize, 65464);
	OACK(&n, "blksize\0" "65464\0");
	NEGO("f\0octet\0blksize\0" "65536\0", 1, 1468, 64, 0, &n);
	assert_int_equal(n.par.blksize, 1468);
	OACK(&n, "blksize\0" "1468\0");
	NEGO("f\0octet\0blksize\0" "99999999999999999999999\0", 1, 1468, 64,
	    0, &n);
	assert_int_equal(n.par.blksize, 1468);
	OACK(&n, "blksize\0" "1468\0");
	NEGO("f\0octet\0blksize\0" "0\0", 1, 65464, 64, 0, &n);
	OACK(&n, "");
	NEGO("f\0octet\0blksize\0" "abc\0", 1, 65464, 64, 0, &n);
	OACK(&n, "");
	NEGO("f\0octet\0blksize\0\0", 1, 65464, 64, 0, &n);
	OACK(&n, "");
	/* Clamped to the interface MTU - 32. */
	NEGO("f\0octet\0blksize\0" "65464\0", 1, 1468, 64, 0, &n);
	assert_int_equal(n.par.blksize, 1468);
	OACK(&n, "blksize\0" "1468\0");
}

static void
test_negotiate_windowsize(void **state)
{
	struct nego	n;

	NEGO("f\0octet\0windowsize\0" "0\0", 1, 65464, 64, 0, &n);
	assert_int_equal(n.par.windowsize, 1);
	OACK(&n, "");
	NEGO("f\0octet\0windowsize\0" "65536\0", 1, 65464, 64, 0, &n);
	OACK(&n, "");
	NEGO("f\0octet\0windowsize\0" "1000\0", 1, 65464, 64, 0, &n);
	assert_int_equal(n.par.windowsize, 64);
	OACK(&n, "windowsize\0" "64\0");
	NEGO("f\0octet\0windowsize\0" "x\0", 1, 65464, 64, 0, &n);
	OACK(&n, "");
}

static void
test_negotiate_window_bytes_cap(void **state)
{
	uint8_t			buf[256];
	struct tftp_req		req;
	struct tftp_limits	lim = { 65464, 64, 0, 1048576 };
	struct tftp_params	par;
	uint8_t			oack[TFTP_OACK_MAX];
	size_t			len, oacklen;
	char			*cause = NULL;

	/* windowsize comes first, but depends on the blksize granted. */
	len = REQ(buf, 1, "f\0octet\0windowsize\0" "64\0blksize\0" "65464\0");
	assert_int_equal(parse(buf, len, &req, &cause), 0);
	assert_int_equal(tftp_negotiate(&req, &lim, 1, 0, &par, oack,
	    &oacklen, &cause), 0);
	assert_int_equal(par.windowsize, 16);
	assert_int_equal(oacklen, 2 + sizeof("windowsize\0" "16\0blksize\0"
	    "65464\0") - 1);
	assert_memory_equal(oack + 2, "windowsize\0" "16\0", 14);
}

static void
test_negotiate_timeout(void **state)
{
	struct nego	n;

	NEGO("f\0octet\0timeout\0" "0\0", 1, 65464, 64, 0, &n);
	OACK(&n, "");
	NEGO("f\0octet\0timeout\0" "256\0", 1, 65464, 64, 0, &n);
	OACK(&n, "");
	NEGO("f\0octet\0timeout\0" "255\0", 1, 65464, 64, 0, &n);
	assert_int_equal(n.par.timeout_s, 255);
	OACK(&n, "timeout\0" "255\0");
}

static void
test_negotiate_tsize_rrq(void **state)
{
	struct nego	n;

	NEGO("f\0octet\0tsize\0" "0\0", 1, 65464, 64, 0, &n);
	OACK(&n, "tsize\0" "0\0");
	/* atftp's man page form sends a word: left out. */
	NEGO("f\0octet\0tsize\0" "enable\0", 1, 65464, 64, 77, &n);
	OACK(&n, "");
	/* A huge value from a client is still "tell me the size". */
	NEGO("f\0octet\0tsize\0" "99999999999999999999999\0", 1, 65464, 64,
	    77, &n);
	OACK(&n, "");
	NEGO("f\0octet\0tsize\0" "123\0", 1, 65464, 64, 77, &n);
	OACK(&n, "tsize\0" "77\0");
}

static void
test_negotiate_tsize_wrq(void **state)
{
	struct nego	n;

	NEGO("f\0octet\0tsize\0" "1000\0", 2, 65464, 64, 0, &n);
	assert_int_equal(n.rc, 0);
	assert_int_equal(n.par.tsize_given, 1);
	assert_int_equal(n.par.tsize, 1000);
	OACK(&n, "tsize\0" "1000\0");
	NEGO("f\0octet\0tsize\0" "1000000\0", 2, 65464, 64, 0, &n);
	assert_int_equal(n.rc, 0);
	NEGO("f\0octet\0tsize\0" "1000001\0", 2, 65464, 64, 0, &n);
	assert_int_equal(n.rc, 3);
	assert_non_null(strstr(n.cause, "1000001 is over the upload limit "
	    "of 1000000 bytes"));
	free(n.cause);
	NEGO("f\0octet\0tsize\0" "99999999999999999999999\0", 2, 65464, 64,
	    0, &n);
	assert_int_equal(n.rc, 3);
	free(n.cause);
	NEGO("f\0octet\0tsize\0" "lots\0", 2, 65464, 64, 0, &n);
	assert_int_equal(n.rc, 0);
	assert_int_equal(n.par.tsize_given, 0);
	OACK(&n, "");
}

static void
test_negotiate_rollover_and_unknown(void **state)
{
	struct nego	n;

	NEGO("f\0octet\0rollover\0" "1\0multicast\0\0utimeout\0" "1000\0", 1,
	    65464, 64, 0, &n);
	assert_int_equal(n.par.rollover, 1);
	OACK(&n, "rollover\0" "1\0");
	NEGO("f\0octet\0rollover\0" "2\0", 1, 65464, 64, 0, &n);
	assert_int_equal(n.par.rollover, 0);
	OACK(&n, "");
}

static void
test_build_packets(void **state)
{
	uint8_t			buf[32];
	struct tftp_packet	pkt;

	assert_int_equal(tftp_build_ack(buf, 0xabcd), 4);
	assert_memory_equal(buf, "\0\4\xab\xcd", 4);
	tftp_build_data_header(buf, 1);
	assert_memory_equal(buf, "\0\3\0\1", 4);
	assert_int_equal(tftp_build_error(buf, sizeof buf, 1, "not found"),
	    14);
	assert_memory_equal(buf, "\0\5\0\1not found\0", 14);
	/* A long message is cut, still NUL-terminated. */
	assert_int_equal(tftp_build_error(buf, 8, 2, "abcdefgh"), 8);
	assert_memory_equal(buf, "\0\5\0\2abc\0", 8);

	assert_int_equal(tftp_parse_packet("\0\4\0", 3, &pkt), -1);
	assert_int_equal(tftp_parse_packet("\0\4\1\2", 4, &pkt), 0);
	assert_int_equal(pkt.opcode, TFTP_OP_ACK);
	assert_int_equal(pkt.block, 0x102);
	assert_int_equal(pkt.len, 0);
	/* An ERROR message without its NUL is bounded by the packet. */
	assert_int_equal(tftp_parse_packet("\0\5\0\0bye", 7, &pkt), 0);
	assert_int_equal(pkt.len, 3);
	assert_int_equal(tftp_parse_packet("\0\5\0\0bye\0junk", 12, &pkt), 0);
	assert_int_equal(pkt.len, 3);
}

static void
test_netascii(void **state)
{
	const uint8_t	in[] = "a\nb\rc\r\n";
	uint8_t		out[32], back[32];
	size_t		n, m, k;
	int		cr = 0;

	n = tftp_netascii_encoded_len(in, 7);
	assert_int_equal(n, 11);
	tftp_netascii_encode(in, 7, out);
	assert_memory_equal(out, "a\r\nb\r\0c\r\0\r\n", 11);
	/* Decoding split at every point gives the original back. */
	for (k = 0; k <= n; k++) {
		cr = 0;
		m = tftp_netascii_decode(out, k, back, &cr);
		m += tftp_netascii_decode(out + k, n - k, back + m, &cr);
		assert_int_equal(cr, 0);
		assert_int_equal(m, 7);
		assert_memory_equal(back, in, 7);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_rrq),
		cmocka_unit_test(test_wrq_netascii_mode_any_case),
		cmocka_unit_test(test_malformed_requests),
		cmocka_unit_test(test_options_parsed),
		cmocka_unit_test(test_odd_option_tail_ignored),
		cmocka_unit_test(test_duplicate_and_empty_option_names),
		cmocka_unit_test(test_too_many_options),
		cmocka_unit_test(test_parse_number),
		cmocka_unit_test(test_negotiate_none),
		cmocka_unit_test(test_negotiate_curl_defaults),
		cmocka_unit_test(test_negotiate_case_echoed),
		cmocka_unit_test(test_negotiate_blksize_bounds),
		cmocka_unit_test(test_negotiate_windowsize),
		cmocka_unit_test(test_negotiate_window_bytes_cap),
		cmocka_unit_test(test_negotiate_timeout),
		cmocka_unit_test(test_negotiate_tsize_rrq),
		cmocka_unit_test(test_negotiate_tsize_wrq),
		cmocka_unit_test(test_negotiate_rollover_and_unknown),
		cmocka_unit_test(test_build_packets),
		cmocka_unit_test(test_netascii),
	};

	return (cmocka_run_group_tests_name("tftp_packet", tests, NULL, NULL));
}
