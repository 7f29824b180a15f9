/*
 * A phone's LLDP-MED, as Polycom phones send it at every boot (reference
 * section 7 [M]: model name, firmware revision and serial number in the
 * inventory TLVs), and, with --voice-vlan, the voice network policy of the
 * VLAN it uses.  One frame on a packet socket (needs CAP_NET_RAW), sent to
 * the LLDP multicast address from the phone's MAC.
 */
#include <sys/socket.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <arpa/inet.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "phonesim.h"

struct lldp_frame {
	unsigned char	b[512];
	size_t		n;
};

static void
put(struct lldp_frame *f, const void *p, size_t len)
{
	if (f->n + len <= sizeof f->b) {
		memcpy(f->b + f->n, p, len);
		f->n += len;
	}
}

static void
put16(struct lldp_frame *f, unsigned v)
{
	unsigned char	b[2] = { v >> 8, v & 0xff };

	put(f, b, 2);
}

static void
tlv(struct lldp_frame *f, unsigned type, const void *v, size_t len)
{
	put16(f, type << 9 | (unsigned)len);
	put(f, v, len);
}

/* LLDP-MED (OUI 00-12-bb) TLV: subtype, then text. */
static void
med(struct lldp_frame *f, unsigned subtype, const char *text)
{
	unsigned char	head[4] = { 0x00, 0x12, 0xbb, subtype };
	size_t		len = strlen(text) > 32 ? 32 : strlen(text);

	put16(f, 127 << 9 | (unsigned)(4 + len));
	put(f, head, 4);
	put(f, text, len);
}

int
sim_lldp_send(const struct phone *ph, char **cause)
{
	static const unsigned char	dst[6] = { 0x01, 0x80, 0xc2, 0, 0,
					    0x0e };
	struct lldp_frame		f;
	struct sockaddr_ll		sll;
	unsigned char			mac[6], id[7], ttl[2] = { 0, 120 };
	unsigned char			pol[8];
	unsigned			bits, m[6];
	char				model[64];
	int				fd, i;

	if (sscanf(ph->mac, "%2x%2x%2x%2x%2x%2x", &m[0], &m[1], &m[2], &m[3],
	    &m[4], &m[5]) != 6) {
		sim_asprintf(cause, "LLDP-MED: bad MAC %s", ph->mac);
		return (-1);
	}
	for (i = 0; i < 6; i++)
		mac[i] = m[i];
	memset(&f, 0, sizeof f);
	put(&f, dst, 6);
	put(&f, mac, 6);
	put16(&f, 0x88cc);
	id[0] = 4;			/* chassis ID: a MAC address */
	memcpy(id + 1, mac, 6);
	tlv(&f, 1, id, sizeof id);
	id[0] = 3;			/* port ID: a MAC address */
	tlv(&f, 2, id, sizeof id);
	tlv(&f, 3, ttl, sizeof ttl);
	if (ph->lldp_vlan > 0) {
		/* Voice (1), tagged, the VLAN, priority 5, DSCP 46. */
		bits = 1u << 22 | (unsigned)ph->lldp_vlan << 9 | 5u << 6 | 46;
		pol[0] = 0x00; pol[1] = 0x12; pol[2] = 0xbb; pol[3] = 2;
		pol[4] = 1;
		pol[5] = bits >> 16; pol[6] = (bits >> 8) & 0xff;
		pol[7] = bits & 0xff;
		tlv(&f, 127, pol, sizeof pol);
	}
	snprintf(model, sizeof model, "%s", ph->model->token);
	med(&f, 6, ph->version);	/* firmware revision */
	med(&f, 8, ph->mac);		/* serial number */
	med(&f, 9, "Polycom");
	med(&f, 10, model);
	put16(&f, 0);			/* end of LLDPDU */

	memset(&sll, 0, sizeof sll);
	sll.sll_family = AF_PACKET;
	sll.sll_ifindex = if_nametoindex(ph->lldp_iface);
	sll.sll_halen = 6;
	memcpy(sll.sll_addr, dst, 6);
	if (sll.sll_ifindex == 0) {
		sim_asprintf(cause, "LLDP-MED: no interface %s",
		    ph->lldp_iface);
		return (-1);
	}
	if ((fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC,
	    htons(ETH_P_ALL))) == -1) {
		sim_asprintf(cause, "LLDP-MED on %s: %s (needs CAP_NET_RAW)",
		    ph->lldp_iface, strerror(errno));
		return (-1);
	}
	if (sendto(fd, f.b, f.n, 0, (struct sockaddr *)&sll,
	    sizeof sll) == -1) {
		sim_asprintf(cause, "LLDP-MED on %s: %s", ph->lldp_iface,
		    strerror(errno));
		close(fd);
		return (-1);
	}
	close(fd);
	return (0);
}
