/*
 * One Ethernet frame from a phone, taken apart: the 802.1Q tag, and what
 * DHCP, ARP, IPv4, LLDP(-MED) and CDP say.  No I/O and no allocation, so
 * that unit tests feed it hand-built frames and the fuzzer anything.
 *
 * LLDP (IEEE 802.1AB): ethertype 0x88cc, TLVs of a 7-bit type and a 9-bit
 * length.  LLDP-MED (ANSI/TIA-1057) TLVs are organisationally specific
 * (type 127) with OUI 00-12-bb: subtype 2 network policy (application type,
 * then U/T/X flags, a 12-bit VLAN ID, priority and DSCP), 5-10 inventory
 * (hardware, firmware, software revision, serial, manufacturer, model).
 * IEEE 802.1 (OUI 00-80-c2) subtype 1 is the port VLAN ID.
 *
 * CDP: an 802.3 frame with LLC/SNAP (aa aa 03, OUI 00-00-0c, type 0x2000),
 * then version, TTL, checksum and TLVs of a 16-bit type and a 16-bit length
 * that counts the 4-byte header: 0x0001 device ID, 0x0003 port ID, 0x0005
 * software version, 0x0006 platform, 0x000a native VLAN, 0x000e/0x000f
 * VoIP VLAN reply/query (one byte, then the VLAN ID).
 */
#include <arpa/inet.h>
#include <netinet/in.h>

#include <stdio.h>
#include <string.h>

#include "dhcp.h"
#include "sighting.h"

#define ETH_TYPE_IP	0x0800
#define ETH_TYPE_ARP	0x0806
#define ETH_TYPE_VLAN	0x8100
#define ETH_TYPE_QINQ	0x88a8
#define ETH_TYPE_LLDP	0x88cc

static const uint8_t	oui_med[3] = { 0x00, 0x12, 0xbb };
static const uint8_t	oui_8021[3] = { 0x00, 0x80, 0xc2 };
static const uint8_t	snap_cdp[8] = { 0xaa, 0xaa, 0x03, 0x00, 0x00, 0x0c,
			    0x20, 0x00 };

static uint16_t
frame_u16(const uint8_t *p)
{
	return ((uint16_t)(p[0] << 8 | p[1]));
}

/* Printable ASCII kept, anything else as '?', at most FRAME_TEXT - 1. */
static void
frame_text(char *out, const uint8_t *p, size_t len)
{
	size_t	i, n = 0;

	while (len > 0 && (p[len - 1] == '\0' || p[len - 1] == ' '))
		len--;
	for (i = 0; i < len && n < FRAME_TEXT - 1; i++)
		out[n++] = (p[i] >= 0x20 && p[i] < 0x7f) ? p[i] : '?';
	out[n] = '\0';
}

static void
frame_lldp_med(struct frame_info *fi, const uint8_t *v, size_t len)
{
	uint32_t	bits;

	if (len < 4)
		return;
	switch (v[3]) {
	case 2:		/* network policy */
		if (len < 8)
			return;
		bits = (uint32_t)v[5] << 16 | (uint32_t)v[6] << 8 | v[7];
		/* Voice (1) or voice signalling (2); unknown policy: none. */
		if ((v[4] == 1 || (v[4] == 2 && fi->policy_vlan == -1)) &&
		    !(bits & 0x800000)) {
			fi->policy_vlan = (bits >> 9) & 0xfff;
			fi->policy_tagged = (bits >> 22) & 1;
		}
		break;
	case 6:
		frame_text(fi->firmware, v + 4, len - 4);
		break;
	case 7:		/* software revision: firmware when no 6 */
		if (fi->firmware[0] == '\0')
			frame_text(fi->firmware, v + 4, len - 4);
		break;
	case 8:
		frame_text(fi->serial, v + 4, len - 4);
		break;
	case 9:
		frame_text(fi->manufacturer, v + 4, len - 4);
		break;
	case 10:
		frame_text(fi->model, v + 4, len - 4);
		break;
	}
}

static void
frame_lldp(struct frame_info *fi, const uint8_t *p, size_t len)
{
	size_t		off = 0, tlen;
	unsigned	type;

	fi->kind = FRAME_LLDP;
	while (off + 2 <= len) {
		type = p[off] >> 1;
		tlen = (size_t)(p[off] & 1) << 8 | p[off + 1];
		off += 2;
		if (type == 0 || tlen > len - off)
			break;		/* end of LLDPDU, or truncated */
		switch (type) {
		case 2:		/* port ID: subtype, then the ID */
			if (tlen > 1)
				frame_text(fi->port, p + off + 1, tlen - 1);
			break;
		case 5:
			frame_text(fi->sysname, p + off, tlen);
			break;
		case 127:
			if (tlen >= 4 && memcmp(p + off, oui_med, 3) == 0)
				frame_lldp_med(fi, p + off, tlen);
			else if (tlen >= 6 &&
			    memcmp(p + off, oui_8021, 3) == 0 &&
			    p[off + 3] == 1)
				fi->native_vlan = frame_u16(p + off + 4) &
				    0xfff;
			break;
		}
		off += tlen;
	}
}

static void
frame_cdp(struct frame_info *fi, const uint8_t *p, size_t len)
{
	size_t		off = 4, tlen;
	unsigned	type;

	fi->kind = FRAME_CDP;
	while (off + 4 <= len) {
		type = frame_u16(p + off);
		tlen = frame_u16(p + off + 2);
		if (tlen < 4 || tlen > len - off)
			break;
		switch (type) {
		case 0x0001:
			frame_text(fi->sysname, p + off + 4, tlen - 4);
			break;
		case 0x0003:
			frame_text(fi->port, p + off + 4, tlen - 4);
			break;
		case 0x0005:
			frame_text(fi->firmware, p + off + 4, tlen - 4);
			break;
		case 0x0006:
			frame_text(fi->model, p + off + 4, tlen - 4);
			break;
		case 0x000a:
			if (tlen >= 6)
				fi->native_vlan = frame_u16(p + off + 4) &
				    0xfff;
			break;
		case 0x000e:
		case 0x000f:
			if (tlen >= 7)
				fi->policy_vlan = frame_u16(p + off + 5) &
				    0xfff;
			fi->policy_tagged = 1;
			break;
		}
		off += tlen;
	}
}

static void
frame_ipv4(struct frame_info *fi, const uint8_t *p, size_t len)
{
	struct dhcp_packet_info	 pi;
	size_t			 ihl, ulen;

	fi->kind = FRAME_IP;
	if (len < 20 || (p[0] >> 4) != 4)
		return;
	ihl = (size_t)(p[0] & 0xf) * 4;
	if (ihl < 20 || len < ihl)
		return;
	memcpy(&fi->ip_src, p + 12, 4);
	memcpy(&fi->ip_dst, p + 16, 4);
	if ((frame_u16(p + 6) & 0x1fff) != 0 || len < ihl + 8)
		return;		/* a later fragment: no ports */
	fi->dport = frame_u16(p + ihl + 2);
	if (p[9] == 6) {	/* TCP: a SYN without ACK opens a request */
		if (len >= ihl + 14 && (p[ihl + 13] & 0x12) == 0x02)
			fi->kind = FRAME_ASK;
		return;
	}
	if (p[9] != 17)
		return;
	if (fi->dport == 69 || fi->dport == 514) {
		fi->kind = FRAME_ASK;
		return;
	}
	if (fi->dport != 67)
		return;
	ulen = frame_u16(p + ihl + 4);
	if (ulen < 8 || ulen > len - ihl)
		return;
	if (dhcp_packet_parse(p + ihl + 8, ulen - 8, &pi) != 0 || pi.op != 1)
		return;
	fi->kind = FRAME_DHCP;
	fi->dhcp_type = pi.msgtype;
	fi->dhcp_server_id = pi.server_id;
	fi->dhcp_requested = pi.requested;
	memcpy(&fi->dhcp_ciaddr, p + ihl + 8 + 12, 4);
}

static void
frame_arp(struct frame_info *fi, const uint8_t *p, size_t len)
{
	fi->kind = FRAME_ARP;
	/* Ethernet/IPv4 only: htype 1, ptype 0x0800, hlen 6, plen 4. */
	if (len < 28 || frame_u16(p) != 1 || frame_u16(p + 2) != ETH_TYPE_IP ||
	    p[4] != 6 || p[5] != 4)
		return;
	fi->arp_op = frame_u16(p + 6);
	memcpy(&fi->ip_src, p + 14, 4);
	memcpy(&fi->ip_dst, p + 24, 4);
}

int
frame_parse(const uint8_t *buf, size_t len, int aux_vlan,
    struct frame_info *fi)
{
	size_t		off = 12;
	uint16_t	type;

	memset(fi, 0, sizeof *fi);
	fi->vlan = aux_vlan >= 0 ? (aux_vlan & 0xfff) : -1;
	fi->policy_vlan = fi->native_vlan = -1;
	fi->kind = FRAME_OTHER;
	if (len < 14)
		return (-1);
	memcpy(fi->src, buf + 6, 6);
	snprintf(fi->mac, sizeof fi->mac, "%02x%02x%02x%02x%02x%02x",
	    buf[6], buf[7], buf[8], buf[9], buf[10], buf[11]);
	type = frame_u16(buf + off);
	/* One or two tags still in the frame: the inner one is the VLAN. */
	while ((type == ETH_TYPE_VLAN || type == ETH_TYPE_QINQ) &&
	    off + 6 <= len) {
		fi->vlan = frame_u16(buf + off + 2) & 0xfff;
		off += 4;
		type = frame_u16(buf + off);
	}
	off += 2;
	if (off > len)
		return (0);
	if (type == ETH_TYPE_LLDP)
		frame_lldp(fi, buf + off, len - off);
	else if (type == ETH_TYPE_IP)
		frame_ipv4(fi, buf + off, len - off);
	else if (type == ETH_TYPE_ARP)
		frame_arp(fi, buf + off, len - off);
	else if (type < 0x0600 && len - off >= sizeof snap_cdp &&
	    memcmp(buf + off, snap_cdp, sizeof snap_cdp) == 0)
		frame_cdp(fi, buf + off + sizeof snap_cdp,
		    len - off - sizeof snap_cdp);
	return (0);
}
