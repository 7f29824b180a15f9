/*
 * The few BOOTP/DHCP fields we read (RFC 2131, 2132): who sent a message,
 * what it offered, and the vendor class a phone sent.  Untrusted bytes: every
 * option is bounds-checked, and a malformed message is rejected whole.
 * Option overload (sname/file carrying options) is not followed: clients
 * put option 60 in the options field.
 */
#include <arpa/inet.h>

#include <stdio.h>
#include <string.h>

#include "dhcp.h"

#define BOOTP_FIXED	236	/* op .. file */
#define DHCP_MAGIC	0x63825363U

static const char hexdigits[] = "0123456789abcdef";

int
dhcp_packet_parse(const uint8_t *buf, size_t len, struct dhcp_packet_info *pi)
{
	const uint8_t	*p, *end;
	uint32_t	 magic;
	uint8_t		 code, olen;
	int		 i;

	memset(pi, 0, sizeof *pi);
	if (len < BOOTP_FIXED + 4)
		return (-1);
	if (buf[0] != 1 && buf[0] != 2)
		return (-1);
	pi->op = buf[0];
	memcpy(&pi->xid, buf + 4, 4);
	pi->xid = ntohl(pi->xid);
	memcpy(&pi->yiaddr, buf + 16, 4);
	memcpy(&pi->siaddr, buf + 20, 4);
	if (buf[1] == 1 && buf[2] == 6) {
		for (i = 0; i < 6; i++) {
			pi->mac[2 * i] = hexdigits[buf[28 + i] >> 4];
			pi->mac[2 * i + 1] = hexdigits[buf[28 + i] & 0xf];
		}
		pi->mac[DHCP_MAC_LEN] = '\0';
	}
	memcpy(&magic, buf + BOOTP_FIXED, 4);
	if (ntohl(magic) != DHCP_MAGIC)
		return (-1);

	p = buf + BOOTP_FIXED + 4;
	end = buf + len;
	while (p < end) {
		code = *p++;
		if (code == 0)
			continue;
		if (code == 255)
			break;
		if (p >= end)
			return (-1);
		olen = *p++;
		if ((size_t)(end - p) < olen)
			return (-1);
		switch (code) {
		case 53:
			if (olen == 1)
				pi->msgtype = p[0];
			break;
		case 54:
			if (olen == 4)
				memcpy(&pi->server_id, p, 4);
			break;
		case 60:
			if (pi->vendor == NULL && olen > 0) {
				pi->vendor = p;
				pi->vendor_len = olen;
			}
			break;
		case 12:
			if (olen > 0) {
				pi->hostname = p;
				pi->hostname_len = olen;
			}
			break;
		case 50:
			if (olen == 4)
				memcpy(&pi->requested, p, 4);
			break;
		case 66:
			pi->opt66 = p;
			pi->opt66_len = olen;
			break;
		case 160:
			pi->opt160 = p;
			pi->opt160_len = olen;
			break;
		}
		p += olen;
	}
	return (0);
}

size_t
dhcp_packet_discover(uint8_t *buf, size_t len, const uint8_t *mac,
    uint32_t xid)
{
	static const uint8_t	options[] = {
		53, 1, DHCP_DISCOVER,
		/* mask, router, server id, 66, and 160 (Polycom's boot URL) */
		55, 5, 1, 3, 54, 66, 160,
		/*
		 * A phone's vendor class: a server that answers only
		 * phones (another appliance, a site's voice scope) is a
		 * server the phones would hear.
		 */
		60, 7, 'P', 'o', 'l', 'y', 'c', 'o', 'm',
		255
	};
	uint32_t		n;
	size_t			need = BOOTP_FIXED + 4 + sizeof options;

	if (len < need || len < 300)
		return (0);
	memset(buf, 0, 300);
	buf[0] = 1;		/* BOOTREQUEST */
	buf[1] = 1;		/* Ethernet */
	buf[2] = 6;
	n = htonl(xid);
	memcpy(buf + 4, &n, 4);
	buf[10] = 0x80;		/* broadcast flag: offers come back to all */
	memcpy(buf + 28, mac, 6);
	n = htonl(DHCP_MAGIC);
	memcpy(buf + BOOTP_FIXED, &n, 4);
	memcpy(buf + BOOTP_FIXED + 4, options, sizeof options);
	return (300);		/* padded, as some servers want a BOOTP size */
}
