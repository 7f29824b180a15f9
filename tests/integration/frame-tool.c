/*
 * Sends hand-built Ethernet frames on an interface for the closet suite, as
 * a phone would: this kernel may have no 802.1Q devices, so tagged frames
 * and LLDP-MED are built here and sent on a packet socket.
 *
 *   frame-tool IF MAC dhcp VLAN COUNT         DISCOVERs (VLAN 0: untagged)
 *   frame-tool IF MAC lldp VLAN MODEL FW SN   LLDP-MED (three times): voice
 *                                             policy tagged VLAN, inventory
 */
#include <sys/socket.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <arpa/inet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static unsigned char	f[1600];
static size_t		n;

static void put(const void *p, size_t len) { memcpy(f + n, p, len); n += len; }
static void put8(unsigned v) { f[n++] = v; }
static void put16(unsigned v) { put8(v >> 8); put8(v & 0xff); }

static void
eth(const unsigned char *dst, const unsigned char *src, int vlan,
    unsigned type)
{
	n = 0;
	put(dst, 6);
	put(src, 6);
	if (vlan > 0) {
		put16(0x8100);
		put16(vlan);
	}
	put16(type);
}

static void
med(unsigned sub, const char *text)
{
	put16(127 << 9 | (4 + strlen(text)));
	put8(0x00); put8(0x12); put8(0xbb); put8(sub);
	put(text, strlen(text));
}

int
main(int argc, char **argv)
{
	static const unsigned char	bcast[6] = { 255, 255, 255, 255, 255, 255 };
	static const unsigned char	lldp[6] = { 0x01, 0x80, 0xc2, 0, 0, 0x0e };
	unsigned char			mac[6], b[300];
	struct sockaddr_ll		sll;
	unsigned			m[6], bits;
	int				fd, vlan, i, count;

	if (argc < 5 || sscanf(argv[2], "%x:%x:%x:%x:%x:%x", &m[0], &m[1],
	    &m[2], &m[3], &m[4], &m[5]) != 6)
		return (2);
	for (i = 0; i < 6; i++)
		mac[i] = m[i];
	vlan = atoi(argv[4]);
	fd = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
	memset(&sll, 0, sizeof sll);
	sll.sll_family = AF_PACKET;
	sll.sll_ifindex = if_nametoindex(argv[1]);
	sll.sll_halen = 6;
	if (fd == -1 || sll.sll_ifindex == 0) {
		perror("frame-tool");
		return (1);
	}
	if (strcmp(argv[3], "dhcp") == 0 && argc == 6) {
		count = atoi(argv[5]);
		memset(b, 0, sizeof b);
		b[0] = 1; b[1] = 1; b[2] = 6; b[10] = 0x80;
		memcpy(b + 28, mac, 6);
		b[236] = 99; b[237] = 130; b[238] = 83; b[239] = 99;
		b[240] = 53; b[241] = 1; b[242] = 1;
		b[243] = 60; b[244] = 14; memcpy(b + 245, "Polycom-VVX411", 14);
		b[259] = 255;
		for (i = 0; i < count; i++) {
			b[4] = i + 1;
			eth(bcast, mac, vlan, 0x0800);
			put8(0x45); put8(0); put16(20 + 8 + sizeof b);
			put16(0); put16(0); put8(64); put8(17); put16(0);
			put8(0); put8(0); put8(0); put8(0);
			put(bcast, 4);
			put16(68); put16(67); put16(8 + sizeof b); put16(0);
			put(b, sizeof b);
			if (sendto(fd, f, n, 0, (struct sockaddr *)&sll,
			    sizeof sll) == -1) {
				perror("frame-tool: send");
				return (1);
			}
			usleep(200000);
		}
		return (0);
	}
	if (strcmp(argv[3], "lldp") == 0 && argc == 8) {
		eth(lldp, mac, 0, 0x88cc);
		put16(1 << 9 | 7); put8(4); put(mac, 6);	/* chassis */
		put16(2 << 9 | 7); put8(3); put(mac, 6);	/* port */
		put16(3 << 9 | 2); put16(120);			/* TTL */
		bits = 1u << 22 | (unsigned)vlan << 9 | 5u << 6 | 46;
		put16(127 << 9 | 8);
		put8(0x00); put8(0x12); put8(0xbb); put8(2); put8(1);
		put8(bits >> 16); put8((bits >> 8) & 0xff); put8(bits & 0xff);
		med(6, argv[6]);
		med(8, argv[7]);
		med(9, "Polycom");
		med(10, argv[5]);
		put16(0);
		for (i = 0; i < 3; i++) {	/* as a phone repeats it */
			if (sendto(fd, f, n, 0, (struct sockaddr *)&sll,
			    sizeof sll) == -1) {
				perror("frame-tool: send");
				return (1);
			}
			usleep(300000);
		}
		return (0);
	}
	return (2);
}
