/*
 * The closet's awkward phones, on a packet socket of their own (needs
 * CAP_NET_RAW):
 *   - a phone that refuses our offer (--dhcp-refuse IFACE): DISCOVERs, it
 *     reads each OFFER and never sends a REQUEST;
 *   - a phone that learns its voice VLAN from the switch's LLDP-MED
 *     (--learn-vlan IFACE): it waits for the network policy TLV, then
 *     runs DHCP on IFACE.VID when the kernel can make that 802.1Q
 *     interface; when it cannot, the DISCOVERs go out tagged from here
 *     (userspace builds the tag), and that is as far as the phone gets,
 *     since the rest of a recovery (TCP, TFTP) needs the kernel's tagging.
 *   - a phone with a stored static address (--static-ip IFACE=A/N): the
 *     address set on the interface; no DHCP at all.
 */
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "phonesim.h"


static int	closet_run(char *const []);

int64_t
sim_now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

int
sim_mac_bytes(const struct phone *ph, unsigned char *mac)
{
	unsigned	m[6];
	int		i;

	if (sscanf(ph->mac, "%2x%2x%2x%2x%2x%2x", &m[0], &m[1], &m[2], &m[3],
	    &m[4], &m[5]) != 6)
		return (-1);
	for (i = 0; i < 6; i++)
		mac[i] = (unsigned char)m[i];
	return (0);
}

int
sim_packet_socket(const char *iface, unsigned proto, int *ifindex, char **cause)
{
	struct sockaddr_ll	sll;
	int			fd;

	if ((*ifindex = (int)if_nametoindex(iface)) == 0) {
		sim_asprintf(cause, "no interface %s", iface);
		return (-1);
	}
	if ((fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC,
	    htons(proto))) == -1) {
		sim_asprintf(cause, "packet socket on %s: %s (needs "
		    "CAP_NET_RAW)", iface, strerror(errno));
		return (-1);
	}
	memset(&sll, 0, sizeof sll);
	sll.sll_family = AF_PACKET;
	sll.sll_protocol = htons(proto);
	sll.sll_ifindex = *ifindex;
	if (bind(fd, (struct sockaddr *)&sll, sizeof sll) == -1) {
		sim_asprintf(cause, "packet socket on %s: %s", iface,
		    strerror(errno));
		close(fd);
		return (-1);
	}
	return (fd);
}

static uint16_t
closet_ip_sum(const unsigned char *p, size_t len)
{
	uint32_t	sum = 0;
	size_t		i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return ((uint16_t)~sum);
}

/*
 * A DHCP client message of this type broadcast from the phone's MAC, tagged
 * with vlan when it is not 0, into frame; its length.  requested and server
 * (options 50 and 54) are added when not 0.0.0.0 (a REQUEST after an OFFER,
 * a DECLINE).  Option 60 names a Polycom phone as its plain-text class does
 * ("Polycom-MODEL"), and it asks for 66 and 160.
 */
size_t
sim_dhcp_frame(const struct phone *ph, int vlan, uint32_t xid, int type,
    struct in_addr requested, struct in_addr server, unsigned char *f)
{
	unsigned char	 mac[6], *ip, *udp, *b;
	char		 vendor[64];
	size_t		 n = 0, blen, vlen;

	memset(f, 0, SIM_FRAME);
	sim_mac_bytes(ph, mac);
	memset(f, 0xff, 6);
	memcpy(f + 6, mac, 6);
	n = 12;
	if (vlan > 0) {
		f[n++] = 0x81; f[n++] = 0x00;
		f[n++] = (vlan >> 8) & 0x0f; f[n++] = vlan & 0xff;
	}
	f[n++] = 0x08; f[n++] = 0x00;
	ip = f + n;
	udp = ip + 20;
	b = udp + 8;
	b[0] = 1;			/* BOOTREQUEST */
	b[1] = 1;			/* Ethernet */
	b[2] = 6;
	b[4] = xid >> 24; b[5] = (xid >> 16) & 0xff;
	b[6] = (xid >> 8) & 0xff; b[7] = xid & 0xff;
	b[10] = 0x80;			/* broadcast the reply */
	memcpy(b + 28, mac, 6);
	b[236] = 99; b[237] = 130; b[238] = 83; b[239] = 99;
	blen = 240;
	b[blen++] = 53; b[blen++] = 1; b[blen++] = (unsigned char)type;
	if (requested.s_addr != 0) {
		b[blen++] = 50; b[blen++] = 4;
		memcpy(b + blen, &requested.s_addr, 4);
		blen += 4;
	}
	if (server.s_addr != 0) {
		b[blen++] = 54; b[blen++] = 4;
		memcpy(b + blen, &server.s_addr, 4);
		blen += 4;
	}
	b[blen++] = 61; b[blen++] = 7; b[blen++] = 1;
	memcpy(b + blen, mac, 6);
	blen += 6;
	snprintf(vendor, sizeof vendor, "Polycom-%s", ph->model->token);
	vlen = strlen(vendor);
	b[blen++] = 60; b[blen++] = (unsigned char)vlen;
	memcpy(b + blen, vendor, vlen);
	blen += vlen;
	b[blen++] = 55; b[blen++] = 5;
	b[blen++] = 1; b[blen++] = 3; b[blen++] = 6; b[blen++] = 66;
	b[blen++] = 160;
	b[blen++] = 255;
	if (blen < 300)
		blen = 300;
	udp[0] = 0; udp[1] = 68; udp[2] = 0; udp[3] = 67;
	udp[4] = (8 + blen) >> 8; udp[5] = (8 + blen) & 0xff;
	ip[0] = 0x45;
	ip[2] = (20 + 8 + blen) >> 8; ip[3] = (20 + 8 + blen) & 0xff;
	ip[8] = 64;
	ip[9] = 17;
	memset(ip + 16, 0xff, 4);	/* from 0.0.0.0 to 255.255.255.255 */
	ip[10] = closet_ip_sum(ip, 20) >> 8;
	ip[11] = closet_ip_sum(ip, 20) & 0xff;
	return (n + 20 + 8 + blen);
}

/*
 * The message type (option 53) of a server's reply to xid in frame, with its
 * address and server identifier; 0 when frame is no such reply.
 */
static int
sim_dhcp_reply(const unsigned char *f, size_t len, uint32_t xid,
    struct in_addr *yiaddr, struct in_addr *server)
{
	size_t	 n = 12, ihl, i;
	const unsigned char *b;
	int	 type = 0;

	if (len >= 16 && f[12] == 0x81 && f[13] == 0x00)
		n += 4;
	if (len < n + 2 + 20 + 8 + 240 || f[n] != 0x08 || f[n + 1] != 0x00)
		return (0);
	n += 2;
	ihl = (size_t)(f[n] & 0x0f) * 4;
	if (f[n + 9] != 17 || len < n + ihl + 8 + 240)
		return (0);
	if (f[n + ihl + 2] != 0 || f[n + ihl + 3] != 68)
		return (0);
	b = f + n + ihl + 8;
	if (b[0] != 2 || ((uint32_t)b[4] << 24 | (uint32_t)b[5] << 16 |
	    (uint32_t)b[6] << 8 | b[7]) != xid)
		return (0);
	memcpy(&yiaddr->s_addr, b + 16, 4);
	server->s_addr = 0;
	for (i = 240; b + i + 1 < f + len && b[i] != 255;) {
		if (b[i] == 0) {
			i++;
			continue;
		}
		if (b + i + 2 + b[i + 1] > f + len)
			break;
		if (b[i] == 53 && b[i + 1] == 1)
			type = b[i + 2];
		if (b[i] == 54 && b[i + 1] == 4)
			memcpy(&server->s_addr, b + i + 2, 4);
		i += 2 + b[i + 1];
	}
	return (type);
}

/*
 * The next server reply to xid that fd (a packet socket) reads before until
 * (sim_now_ms): its message type (2 OFFER, 5 ACK, 6 NAK) with its address
 * and server identifier, or 0 when none came.
 */
int
sim_dhcp_next_reply(int fd, uint32_t xid, int64_t until,
    struct in_addr *yiaddr, struct in_addr *server)
{
	unsigned char	 f[SIM_FRAME];
	struct pollfd	 pfd;
	ssize_t		 r;
	int		 type;

	while (sim_now_ms() < until) {
		pfd.fd = fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, (int)(until - sim_now_ms())) <= 0)
			return (0);
		if ((r = recv(fd, f, sizeof f, 0)) <= 0)
			return (0);
		if ((type = sim_dhcp_reply(f, (size_t)r, xid, yiaddr,
		    server)) != 0)
			return (type);
	}
	return (0);
}

/*
 * Send up to count DISCOVERs, a second apart, on iface (tagged with vlan
 * when it is not 0), never a REQUEST; two more after the first OFFER, then
 * stop (the appliance's first answer can take seconds: it checks the
 * address is free).  Each OFFER seen goes into the transcript; the number
 * of OFFERs is returned, or -1 with *cause.
 */
int
sim_dhcp_discover_only(struct phone *ph, const char *iface, int vlan,
    int count, char **cause)
{
	unsigned char	 f[SIM_FRAME];
	struct sockaddr_ll sll;
	struct in_addr	 yiaddr, server, none = { 0 };
	char		 a[INET_ADDRSTRLEN], s[INET_ADDRSTRLEN];
	uint32_t	 xid;
	int64_t		 until;
	size_t		 len;
	int		 fd, ifindex, i, got, offers = 0, after = 0;

	if ((fd = sim_packet_socket(iface, ETH_P_ALL, &ifindex, cause)) == -1)
		return (-1);
	xid = (uint32_t)strtoul(ph->mac + 4, NULL, 16) ^ 0x5a5a0000u;
	for (i = 0; i < count; i++) {
		len = sim_dhcp_frame(ph, vlan, xid, 1, none, none, f);
		memset(&sll, 0, sizeof sll);
		sll.sll_family = AF_PACKET;
		sll.sll_ifindex = ifindex;
		sll.sll_halen = 6;
		memset(sll.sll_addr, 0xff, 6);
		if (sendto(fd, f, len, 0, (struct sockaddr *)&sll,
		    sizeof sll) == -1) {
			sim_asprintf(cause, "DISCOVER on %s: %s", iface,
			    strerror(errno));
			close(fd);
			return (-1);
		}
		if (vlan > 0)
			sim_transcript_line(&ph->ts, "DHCP %s DISCOVER tagged "
			    "VLAN %d (802.1Q tag built in userspace)", iface,
			    vlan);
		else
			sim_transcript_line(&ph->ts, "DHCP %s DISCOVER",
			    iface);
		until = sim_now_ms() + 1000;
		while ((got = sim_dhcp_next_reply(fd, xid, until, &yiaddr,
		    &server)) != 0) {
			if (got != 2)
				continue;
			offers++;
			inet_ntop(AF_INET, &yiaddr, a, sizeof a);
			inet_ntop(AF_INET, &server, s, sizeof s);
			sim_transcript_line(&ph->ts, "DHCP %s OFFER %s from %s "
			    "refused (no REQUEST)", iface, a, s);
		}
		if (offers > 0 && ++after > 2)
			break;
	}
	close(fd);
	return (offers);
}

/*
 * Wait up to wait_s seconds on iface for the switch's LLDP-MED voice
 * network policy (TLV 127, OUI 00-12-bb, subtype 2, application 1).
 * Returns the VLAN, 0 when none came, -1 with *cause.
 */
int
sim_lldp_learn(struct phone *ph, const char *iface, int wait_s, char **cause)
{
	unsigned char	 f[SIM_FRAME], mac[6];
	struct pollfd	 pfd;
	int64_t		 until;
	ssize_t		 r;
	size_t		 i, tlen;
	unsigned	 type, bits;
	int		 fd, ifindex, vlan;

	sim_mac_bytes(ph, mac);
	if ((fd = sim_packet_socket(iface, 0x88cc, &ifindex, cause)) == -1)
		return (-1);
	until = sim_now_ms() + (int64_t)wait_s * 1000;
	while (sim_now_ms() < until) {
		pfd.fd = fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, (int)(until - sim_now_ms())) <= 0)
			break;
		if ((r = recv(fd, f, sizeof f, 0)) < 14)
			continue;
		if (memcmp(f + 6, mac, 6) == 0)
			continue;	/* our own LLDP-MED */
		for (i = 14; i + 2 <= (size_t)r; i += 2 + tlen) {
			type = f[i] >> 1;
			tlen = (size_t)(f[i] & 1) << 8 | f[i + 1];
			if (type == 0 || i + 2 + tlen > (size_t)r)
				break;
			if (type != 127 || tlen < 8 || f[i + 2] != 0x00 ||
			    f[i + 3] != 0x12 || f[i + 4] != 0xbb ||
			    f[i + 5] != 2 || f[i + 6] != 1)
				continue;
			bits = (unsigned)f[i + 7] << 16 |
			    (unsigned)f[i + 8] << 8 | f[i + 9];
			vlan = (int)(bits >> 9 & 0xfff);
			if (vlan == 0)
				continue;
			sim_transcript_line(&ph->ts, "LLDP-MED from the switch: "
			    "voice VLAN %d%s", vlan, bits & (1u << 22) ?
			    " tagged" : "");
			close(fd);
			return (vlan);
		}
	}
	close(fd);
	sim_transcript_line(&ph->ts, "LLDP-MED from the switch: none in %d s",
	    wait_s);
	return (0);
}

static int
closet_run(char *const argv[])
{
	pid_t	pid;
	int	status, devnull;

	if ((pid = fork()) == -1)
		return (-1);
	if (pid == 0) {
		if ((devnull = open("/dev/null", O_RDWR)) != -1) {
			dup2(devnull, 1);
			dup2(devnull, 2);
		}
		execvp(argv[0], argv);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
		;
	return (WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}

/*
 * IFACE.VID as the kernel's 802.1Q interface, up.  0 and its name in *out,
 * or -1 when the kernel cannot make it (no 8021q).
 */
int
sim_vlan_link(const char *iface, int vlan, char **out)
{
	char	*name, vid[8];
	char	*add[] = { "ip", "link", "add", "link", (char *)iface, "name",
		    NULL, "type", "vlan", "id", vid, NULL };
	char	*up[] = { "ip", "link", "set", NULL, "up", NULL };

	snprintf(vid, sizeof vid, "%d", vlan);
	sim_asprintf(&name, "%.10s.%d", iface, vlan);
	add[6] = name;
	up[3] = name;
	if (if_nametoindex(name) == 0 && closet_run(add) != 0) {
		free(name);
		return (-1);
	}
	if (closet_run(up) != 0) {
		free(name);
		return (-1);
	}
	*out = name;
	return (0);
}

/* A stored static address: "IFACE=A.B.C.D/N" on that interface. */
int
sim_static_ip(struct phone *ph, const char *spec, char **cause)
{
	char	*iface, *addr;
	char	*flush[] = { "ip", "addr", "flush", "dev", NULL, NULL };
	char	*add[] = { "ip", "addr", "add", NULL, "dev", NULL, NULL };
	char	*up[] = { "ip", "link", "set", NULL, "up", NULL };
	int	 rc = -1;

	iface = sim_strdup(spec);
	if ((addr = strchr(iface, '=')) == NULL || addr[1] == '\0') {
		sim_asprintf(cause, "--static-ip %s: give IFACE=A.B.C.D/N",
		    spec);
		goto out;
	}
	*addr++ = '\0';
	flush[4] = up[3] = add[5] = iface;
	add[3] = addr;
	if (closet_run(up) != 0 || closet_run(flush) != 0 ||
	    closet_run(add) != 0) {
		sim_asprintf(cause, "cannot set %s on %s (ip addr add)", addr,
		    iface);
		goto out;
	}
	sim_transcript_line(&ph->ts, "STATIC %s on %s, no DHCP", addr, iface);
	rc = 0;
out:
	free(iface);
	return (rc);
}
