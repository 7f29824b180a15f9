/*
 * Bytes between dnsmasq, the lease hook and the daemon: the lease line, DHCP
 * messages, and option 60 read from a phone's own packet.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <cmocka.h>

#include "dhcp.h"

/* Polycom's binary option 60, as a SoundPoint IP 601 sends it. */
static const uint8_t opt60_bin[] = {
	0x00, 0x00, 0x36, 0x3d, 0x1e,
	0x01, 0x07, 'P', 'o', 'l', 'y', 'c', 'o', 'm',
	0x02, 0x13, 'S', 'o', 'u', 'n', 'd', 'P', 'o', 'i', 'n', 't', 'I', 'P',
	'-', 'S', 'P', 'I', 'P', '_', '6'
};

static void
test_lease_roundtrip(void **state)
{
	struct dhcp_lease_msg	 msg;
	char			*cause = NULL, *line;

	line = dhcp_lease_format("add", "00:04:F2:AA:BB:01", "10.99.0.140",
	    "phone 1", "Polycom-SPIP670", "lan0", &cause);
	assert_non_null(line);
	assert_string_equal(line, "ztp-lease 1 add 0004f2aabb01 10.99.0.140 "
	    "70686f6e652031 506f6c79636f6d2d53504950363730 lan0\n");
	assert_int_equal(dhcp_lease_parse(line, strlen(line), &msg, &cause),
	    0);
	assert_string_equal(msg.action, "add");
	assert_string_equal(msg.mac, "0004f2aabb01");
	assert_string_equal(msg.ip, "10.99.0.140");
	assert_string_equal(msg.hostname, "phone 1");
	assert_int_equal(msg.vendor_len, 15);
	assert_memory_equal(msg.vendor, "Polycom-SPIP670", 15);
	assert_string_equal(msg.iface, "lan0");
	free(line);
}

static void
test_lease_exact_line(void **state)
{
	char	*cause = NULL, *line;

	line = dhcp_lease_format("old", "0004f2aabb01", "10.99.0.7", NULL,
	    "AB", NULL, &cause);
	assert_string_equal(line,
	    "ztp-lease 1 old 0004f2aabb01 10.99.0.7 - 4142 -\n");
	free(line);
}

static void
test_lease_empty_fields(void **state)
{
	struct dhcp_lease_msg	 msg;
	char			*cause = NULL, *line;

	line = dhcp_lease_format("del", "00:04:f2:aa:bb:01", "10.99.0.7", "",
	    "", "", &cause);
	assert_int_equal(dhcp_lease_parse(line, strlen(line), &msg, &cause),
	    0);
	assert_string_equal(msg.hostname, "");
	assert_int_equal(msg.vendor_len, 0);
	assert_string_equal(msg.iface, "");
	free(line);
}

static void
test_lease_format_refuses(void **state)
{
	char	*cause = NULL;

	assert_null(dhcp_lease_format("tftp", "00:04:f2:aa:bb:01", "1.2.3.4",
	    NULL, NULL, NULL, &cause));
	assert_non_null(strstr(cause, "not add, old or del"));
	free(cause);
	assert_null(dhcp_lease_format("add", "00:04:f2:aa:bb", "1.2.3.4",
	    NULL, NULL, NULL, &cause));
	assert_non_null(strstr(cause, "MAC"));
	free(cause);
	assert_null(dhcp_lease_format("add", "00:04:f2:aa:bb:01", "1.2.3",
	    NULL, NULL, NULL, &cause));
	assert_non_null(strstr(cause, "not IPv4"));
	free(cause);
	assert_null(dhcp_lease_format("add", "00:04:f2:aa:bb:01", "1.2.3.4",
	    NULL, NULL, "a b", &cause));
	free(cause);
}

static void
check_lease_rejected_len(const char *line, size_t len)
{
	struct dhcp_lease_msg	 msg;
	char			*cause = NULL;

	assert_int_equal(dhcp_lease_parse(line, len, &msg, &cause), -1);
	assert_non_null(cause);
	assert_non_null(strstr(cause, "malformed"));
	assert_string_equal(msg.mac, "");
	free(cause);
}

static void
check_lease_rejected(const char *line)
{
	check_lease_rejected_len(line, strlen(line));
}

static void
test_lease_parse_rejects(void **state)
{
	static const char	nul[] =
	    "ztp-lease 1 add 0004f2aabb01 10.0.0.1 - 41\0042 -\n";

	check_lease_rejected("");
	check_lease_rejected("ztp-lease 2 add 0004f2aabb01 10.0.0.1 - - -\n");
	check_lease_rejected("ztp-lease 1 tftp 0004f2aabb01 10.0.0.1 - - -\n");
	check_lease_rejected("ztp-lease 1 add 00:04:f2:aa:bb:01 10.0.0.1 - - "
	    "-\n");
	check_lease_rejected("ztp-lease 1 add 0004f2aabb01 10.0.0.300 - - -\n");
	check_lease_rejected("ztp-lease 1 add 0004f2aabb01 10.0.0.1 414 - -\n");
	check_lease_rejected("ztp-lease 1 add 0004f2aabb01 10.0.0.1 4G - -\n");
	check_lease_rejected("ztp-lease 1 add 0004f2aabb01 10.0.0.1 41 - -  \n");
	check_lease_rejected("ztp-lease 1 add 0004f2aabb01 10.0.0.1 - - - x\n");
	check_lease_rejected("ztp-lease 1 add 0004f2aabb01 10.0.0.1 - -\n");
	check_lease_rejected("ztp-lease 1 add 0004f2aabb01 10.0.0.1 - - -\n\n");
	check_lease_rejected("ztp-lease 1 add 0004f2aabb01 10.0.0.1 - - "
	    "interfacenametoolong\n");
	check_lease_rejected("ztp-lease 1 add 0004f2aabb01 10.0.0.1 - - "
	    "-\xff\xff\n");
	check_lease_rejected("ztp-lease 1 add 0004f2aabb01 10.0.0.1 - - "
	    "lan0 \n");
	check_lease_rejected_len(nul, sizeof nul - 1);
}

static void
test_lease_parse_vendor_binary(void **state)
{
	struct dhcp_lease_msg	 msg;
	char			*cause = NULL;
	const char		*line =
	    "ztp-lease 1 add 0004f2aabb01 10.0.0.1 - 0000363d00ff -\n";

	assert_int_equal(dhcp_lease_parse(line, strlen(line), &msg, &cause),
	    0);
	assert_int_equal(msg.vendor_len, 6);
	assert_memory_equal(msg.vendor, "\x00\x00\x36\x3d\x00\xff", 6);
}

/* A BOOTREQUEST (or reply) with these options after the magic cookie. */
static size_t
make_bootp(uint8_t *buf, int op, const uint8_t *opts, size_t optlen)
{
	static const uint8_t	mac[6] = { 0x00, 0x04, 0xf2, 0xaa, 0xbb, 0x01 };

	memset(buf, 0, 240);
	buf[0] = op;
	buf[1] = 1;
	buf[2] = 6;
	buf[4] = 0x12; buf[5] = 0x34; buf[6] = 0x56; buf[7] = 0x78;
	buf[16] = 10; buf[17] = 99; buf[18] = 0; buf[19] = 140;
	memcpy(buf + 28, mac, 6);
	buf[236] = 0x63; buf[237] = 0x82; buf[238] = 0x53; buf[239] = 0x63;
	memcpy(buf + 240, opts, optlen);
	return (240 + optlen);
}

static void
test_packet_offer(void **state)
{
	static const uint8_t	 opts[] = {
		53, 1, 2, 0, 54, 4, 10, 99, 0, 1,
		66, 5, 'h', 't', 't', 'p', 0,
		160, 3, 'u', 'r', 'l', 255, 99, 99
	};
	uint8_t			 buf[512];
	struct dhcp_packet_info	 pi;
	size_t			 len;

	len = make_bootp(buf, 2, opts, sizeof opts);
	assert_int_equal(dhcp_packet_parse(buf, len, &pi), 0);
	assert_int_equal(pi.op, 2);
	assert_int_equal(pi.xid, 0x12345678);
	assert_int_equal(pi.msgtype, DHCP_OFFER);
	assert_string_equal(pi.mac, "0004f2aabb01");
	assert_string_equal(inet_ntoa(pi.yiaddr), "10.99.0.140");
	assert_string_equal(inet_ntoa(pi.server_id), "10.99.0.1");
	assert_int_equal(pi.opt66_len, 5);
	assert_memory_equal(pi.opt66, "http\0", 5);
	assert_int_equal(pi.opt160_len, 3);
	assert_memory_equal(pi.opt160, "url", 3);
	assert_null(pi.vendor);
}

static void
test_packet_truncated_option_rejected(void **state)
{
	static const uint8_t	 opts[] = { 53, 1, 1, 60, 10, 'a', 'b' };
	static const uint8_t	 nolen[] = { 53, 1, 1, 60 };
	uint8_t			 buf[512];
	struct dhcp_packet_info	 pi;
	size_t			 len;

	len = make_bootp(buf, 1, opts, sizeof opts);
	assert_int_equal(dhcp_packet_parse(buf, len, &pi), -1);
	len = make_bootp(buf, 1, nolen, sizeof nolen);
	assert_int_equal(dhcp_packet_parse(buf, len, &pi), -1);
	assert_int_equal(dhcp_packet_parse(buf, 239, &pi), -1);
	buf[236] = 0;	/* no magic cookie: BOOTP, not DHCP */
	assert_int_equal(dhcp_packet_parse(buf, len, &pi), -1);
	len = make_bootp(buf, 3, opts, 3);
	assert_int_equal(dhcp_packet_parse(buf, len, &pi), -1);
}

static void
test_discover_builder(void **state)
{
	static const uint8_t	 mac[6] = { 2, 0, 0, 0, 0, 9 };
	uint8_t			 buf[400];
	struct dhcp_packet_info	 pi;
	size_t			 len;

	assert_int_equal(dhcp_packet_discover(buf, 100, mac, 1), 0);
	len = dhcp_packet_discover(buf, sizeof buf, mac, 0xcafe);
	assert_int_equal(len, 300);
	assert_int_equal(buf[10], 0x80);	/* broadcast flag */
	assert_int_equal(dhcp_packet_parse(buf, len, &pi), 0);
	assert_int_equal(pi.op, 1);
	assert_int_equal(pi.msgtype, DHCP_DISCOVER);
	assert_int_equal(pi.xid, 0xcafe);
	assert_string_equal(pi.mac, "020000000009");
	/* It asks as a phone would: servers answering only phones answer. */
	assert_int_equal(pi.vendor_len, 7);
	assert_memory_equal(pi.vendor, "Polycom", 7);
}

/* An IPv4/UDP datagram to port 67 around a DHCP request with option 60. */
static size_t
make_ip(uint8_t *pkt, const uint8_t *vendor, size_t vlen, int dport)
{
	uint8_t	opts[300];
	size_t	olen = 0, blen, ulen;

	opts[olen++] = 53; opts[olen++] = 1; opts[olen++] = 3;
	opts[olen++] = 60; opts[olen++] = vlen;
	memcpy(opts + olen, vendor, vlen);
	olen += vlen;
	opts[olen++] = 255;
	memset(pkt, 0, 28);
	blen = make_bootp(pkt + 28, 1, opts, olen);
	ulen = blen + 8;
	pkt[0] = 0x45;
	pkt[2] = (ulen + 20) >> 8; pkt[3] = (ulen + 20) & 0xff;
	pkt[8] = 64;
	pkt[9] = 17;
	pkt[20] = 0; pkt[21] = 68;
	pkt[22] = dport >> 8; pkt[23] = dport & 0xff;
	pkt[24] = ulen >> 8; pkt[25] = ulen & 0xff;
	return (20 + ulen);
}

static void
test_sniff_keeps_binary_option60(void **state)
{
	struct dhcp_sniff	*ds = dhcp_sniff_new();
	uint8_t			 pkt[700];
	const uint8_t		*v;
	size_t			 len, vlen;

	len = make_ip(pkt, opt60_bin, sizeof opt60_bin, 67);
	dhcp_sniff_feed(ds, pkt, len);
	v = dhcp_sniff_vendor(ds, "0004f2aabb01", &vlen);
	assert_non_null(v);
	assert_int_equal(vlen, sizeof opt60_bin);
	assert_memory_equal(v, opt60_bin, sizeof opt60_bin);
	assert_null(dhcp_sniff_vendor(ds, "0004f2aabb02", &vlen));
	assert_int_equal(vlen, 0);

	/* The newest wins. */
	len = make_ip(pkt, (const uint8_t *)"Polycom-SPIP670", 15, 67);
	dhcp_sniff_feed(ds, pkt, len);
	v = dhcp_sniff_vendor(ds, "0004f2aabb01", &vlen);
	assert_int_equal(vlen, 15);
	assert_memory_equal(v, "Polycom-SPIP670", 15);
	dhcp_sniff_free(ds);
}

static void
test_sniff_ignores_what_is_not_a_request(void **state)
{
	struct dhcp_sniff	*ds = dhcp_sniff_new();
	uint8_t			 pkt[700];
	size_t			 len, vlen, cut;

	len = make_ip(pkt, opt60_bin, sizeof opt60_bin, 68);
	dhcp_sniff_feed(ds, pkt, len);		/* to the client port */
	len = make_ip(pkt, opt60_bin, sizeof opt60_bin, 67);
	pkt[9] = 6;				/* TCP */
	dhcp_sniff_feed(ds, pkt, len);
	pkt[9] = 17;
	pkt[24] = 0xff;				/* UDP length past the end */
	dhcp_sniff_feed(ds, pkt, len);
	len = make_ip(pkt, opt60_bin, sizeof opt60_bin, 67);
	for (cut = 0; cut < len; cut++)		/* every truncation */
		dhcp_sniff_feed(ds, pkt, cut);
	assert_null(dhcp_sniff_vendor(ds, "0004f2aabb01", &vlen));
	dhcp_sniff_free(ds);
}

static void
test_sniff_bounded(void **state)
{
	struct dhcp_sniff	*ds = dhcp_sniff_new();
	uint8_t			 pkt[700];
	size_t			 len, vlen;
	int			 i;

	/* 600 MACs: the table keeps the newest, never grows. */
	for (i = 0; i < 600; i++) {
		len = make_ip(pkt, (const uint8_t *)"Polycom-SPIP670", 15, 67);
		pkt[28 + 28 + 4] = i >> 8;
		pkt[28 + 28 + 5] = i & 0xff;
		dhcp_sniff_feed(ds, pkt, len);
	}
	assert_null(dhcp_sniff_vendor(ds, "0004f2aa0000", &vlen));
	assert_non_null(dhcp_sniff_vendor(ds, "0004f2aa0257", &vlen));
	dhcp_sniff_free(ds);
}

/* A server's OFFER, from IP source src, as the sniffer sees it. */
static size_t
make_offer_ip(uint8_t *pkt, uint8_t server_last, int with_server_id)
{
	uint8_t	opts[16];
	size_t	olen = 0, blen, ulen;

	opts[olen++] = 53; opts[olen++] = 1; opts[olen++] = DHCP_OFFER;
	if (with_server_id) {
		opts[olen++] = 54; opts[olen++] = 4;
		opts[olen++] = 10; opts[olen++] = 99; opts[olen++] = 0;
		opts[olen++] = server_last;
	}
	opts[olen++] = 255;
	memset(pkt, 0, 28);
	blen = make_bootp(pkt + 28, 2, opts, olen);
	ulen = blen + 8;
	pkt[0] = 0x45;
	pkt[2] = (ulen + 20) >> 8; pkt[3] = (ulen + 20) & 0xff;
	pkt[9] = 17;
	pkt[12] = 10; pkt[13] = 99; pkt[14] = 0; pkt[15] = server_last;
	pkt[21] = 67;
	pkt[23] = 68;
	pkt[24] = ulen >> 8; pkt[25] = ulen & 0xff;
	return (20 + ulen);
}

static void
test_sniff_sees_another_server(void **state)
{
	struct dhcp_sniff	*ds = dhcp_sniff_new();
	struct in_addr		 self;
	uint8_t			 pkt[700];
	unsigned long		 count;
	size_t			 len;

	inet_pton(AF_INET, "10.99.0.1", &self);
	dhcp_sniff_set_self(ds, &self);
	len = make_offer_ip(pkt, 1, 1);		/* our own OFFER */
	dhcp_sniff_feed(ds, pkt, len);
	assert_null(dhcp_sniff_rogue(ds, &count));
	assert_int_equal(count, 0);
	len = make_offer_ip(pkt, 2, 1);
	dhcp_sniff_feed(ds, pkt, len);
	assert_string_equal(dhcp_sniff_rogue(ds, &count),
	    "server 10.99.0.2 offered 10.99.0.140");
	assert_int_equal(count, 1);
	len = make_offer_ip(pkt, 3, 0);		/* no option 54: IP source */
	dhcp_sniff_feed(ds, pkt, len);
	assert_string_equal(dhcp_sniff_rogue(ds, &count),
	    "server 10.99.0.3 offered 10.99.0.140");
	assert_int_equal(count, 2);
	dhcp_sniff_free(ds);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lease_roundtrip),
		cmocka_unit_test(test_lease_exact_line),
		cmocka_unit_test(test_lease_empty_fields),
		cmocka_unit_test(test_lease_format_refuses),
		cmocka_unit_test(test_lease_parse_rejects),
		cmocka_unit_test(test_lease_parse_vendor_binary),
		cmocka_unit_test(test_packet_offer),
		cmocka_unit_test(test_packet_truncated_option_rejected),
		cmocka_unit_test(test_discover_builder),
		cmocka_unit_test(test_sniff_keeps_binary_option60),
		cmocka_unit_test(test_sniff_ignores_what_is_not_a_request),
		cmocka_unit_test(test_sniff_bounded),
		cmocka_unit_test(test_sniff_sees_another_server),
	};

	return (cmocka_run_group_tests_name("dhcp_wire", tests, NULL, NULL));
}
