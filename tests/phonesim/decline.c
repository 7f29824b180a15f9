/*
 * A phone that finds each address it is given in use (--dhcp-decline
 * IFACE), on a packet socket of its own (needs CAP_NET_RAW): DISCOVER,
 * REQUEST what is offered, and after the ACK an ARP probe for the address
 * (RFC 5227: sender address 0.0.0.0) and a DHCPDECLINE naming it (RFC 2131
 * section 4.4.1), whatever the probe heard: the conflict is simulated, the
 * transcript says whether anyone answered.  Then it waits (RFC 2131 section
 * 3.1 step 5: at least ten seconds; --decline-wait for tests) and starts
 * again, rounds times.
 */
#include <sys/socket.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "phonesim.h"

#define DECLINE_TRIES	6	/* a DISCOVER or REQUEST a second */

static int	decline_send(int, int, const unsigned char *, size_t,
		    const char *, char **);
static int	decline_exchange(struct phone *, int, int, const char *,
		    uint32_t, int, struct in_addr *, struct in_addr *,
		    char **);
static int	decline_probe(struct phone *, int, int, struct in_addr);

static int
decline_send(int fd, int ifindex, const unsigned char *f, size_t len,
    const char *what, char **cause)
{
	struct sockaddr_ll	sll;

	memset(&sll, 0, sizeof sll);
	sll.sll_family = AF_PACKET;
	sll.sll_ifindex = ifindex;
	sll.sll_halen = 6;
	memcpy(sll.sll_addr, f, 6);
	if (sendto(fd, f, len, 0, (struct sockaddr *)&sll, sizeof sll) == -1) {
		sim_asprintf(cause, "%s: %s", what, strerror(errno));
		return (-1);
	}
	return (0);
}

/*
 * Send a DISCOVER (type 1) or a REQUEST for *addr from *server (type 3) a
 * second apart until the reply comes: 1 with the address and server it
 * names (an OFFER, an ACK), 0 when none came or a NAK did, -1 with *cause.
 */
static int
decline_exchange(struct phone *ph, int fd, int ifindex, const char *iface,
    uint32_t xid, int type, struct in_addr *addr, struct in_addr *server,
    char **cause)
{
	unsigned char	 f[SIM_FRAME];
	struct in_addr	 yiaddr, sid, none = { 0 };
	char		 a[INET_ADDRSTRLEN], s[INET_ADDRSTRLEN];
	const char	*name = type == 1 ? "DISCOVER" : "REQUEST";
	int64_t		 until;
	size_t		 len;
	int		 i, got, want = type == 1 ? 2 : 5;

	for (i = 0; i < DECLINE_TRIES; i++) {
		len = sim_dhcp_frame(ph, 0, xid, type, type == 1 ? none : *addr,
		    type == 1 ? none : *server, f);
		if (decline_send(fd, ifindex, f, len, name, cause) != 0)
			return (-1);
		if (type == 1)
			sim_transcript_line(&ph->ts, "DHCP %s DISCOVER", iface);
		else {
			inet_ntop(AF_INET, addr, a, sizeof a);
			sim_transcript_line(&ph->ts, "DHCP %s REQUEST %s",
			    iface, a);
		}
		until = sim_now_ms() + 1000;
		while ((got = sim_dhcp_next_reply(fd, xid, until, &yiaddr,
		    &sid)) != 0) {
			if (got == 6) {
				sim_transcript_line(&ph->ts, "DHCP %s NAK",
				    iface);
				return (0);
			}
			if (got != want)
				continue;
			inet_ntop(AF_INET, &yiaddr, a, sizeof a);
			inet_ntop(AF_INET, &sid, s, sizeof s);
			sim_transcript_line(&ph->ts, "DHCP %s %s %s from %s",
			    iface, got == 2 ? "OFFER" : "ACK", a, s);
			*addr = yiaddr;
			*server = sid;
			return (1);
		}
	}
	return (0);
}

/* An ARP probe for addr: 1 when another host answered within a second. */
static int
decline_probe(struct phone *ph, int fd, int ifindex, struct in_addr addr)
{
	unsigned char	 f[SIM_FRAME], mac[6];
	struct pollfd	 pfd;
	char		 a[INET_ADDRSTRLEN], *cause = NULL;
	int64_t		 until;
	ssize_t		 r;

	sim_mac_bytes(ph, mac);
	memset(f, 0, 60);
	memset(f, 0xff, 6);
	memcpy(f + 6, mac, 6);
	f[12] = 0x08; f[13] = 0x06;
	f[14] = 0; f[15] = 1;		/* Ethernet */
	f[16] = 0x08; f[17] = 0x00;	/* IPv4 */
	f[18] = 6; f[19] = 4;
	f[20] = 0; f[21] = 1;		/* request */
	memcpy(f + 22, mac, 6);		/* sender address 0.0.0.0: a probe */
	memcpy(f + 38, &addr.s_addr, 4);
	inet_ntop(AF_INET, &addr, a, sizeof a);
	if (decline_send(fd, ifindex, f, 60, "ARP probe", &cause) != 0) {
		sim_transcript_line(&ph->ts, "ARP probe %s not sent: %s", a,
		    cause);
		free(cause);
		return (0);
	}
	until = sim_now_ms() + 1000;
	while (sim_now_ms() < until) {
		pfd.fd = fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, (int)(until - sim_now_ms())) <= 0)
			break;
		if ((r = recv(fd, f, sizeof f, 0)) < 42)
			continue;
		if (f[12] != 0x08 || f[13] != 0x06 || f[21] != 2 ||
		    memcmp(f + 28, &addr.s_addr, 4) != 0)
			continue;
		sim_transcript_line(&ph->ts, "ARP probe %s answered by "
		    "%02x%02x%02x%02x%02x%02x", a, f[22], f[23], f[24], f[25],
		    f[26], f[27]);
		return (1);
	}
	sim_transcript_line(&ph->ts, "ARP probe %s: no answer (the conflict "
	    "is simulated: it declines anyway)", a);
	return (0);
}

/*
 * rounds times: a lease, the probe, a DECLINE, wait_s seconds.  Returns how
 * many addresses it declined, or -1 with *cause.
 */
int
sim_dhcp_decline(struct phone *ph, const char *iface, int wait_s, int rounds,
    char **cause)
{
	unsigned char	 f[SIM_FRAME];
	struct in_addr	 addr, server;
	char		 a[INET_ADDRSTRLEN], s[INET_ADDRSTRLEN];
	uint32_t	 xid;
	size_t		 len;
	int		 fd, ifindex, round, rc, declined = 0;

	if ((fd = sim_packet_socket(iface, ETH_P_ALL, &ifindex, cause)) == -1)
		return (-1);
	for (round = 0; round < rounds; round++) {
		xid = (uint32_t)strtoul(ph->mac + 4, NULL, 16) ^ 0xdec10000u ^
		    (uint32_t)round;
		memset(&addr, 0, sizeof addr);
		memset(&server, 0, sizeof server);
		if ((rc = decline_exchange(ph, fd, ifindex, iface, xid, 1,
		    &addr, &server, cause)) == 1)
			rc = decline_exchange(ph, fd, ifindex, iface, xid, 3,
			    &addr, &server, cause);
		if (rc == -1) {
			close(fd);
			return (-1);
		}
		if (rc == 0)
			break;
		decline_probe(ph, fd, ifindex, addr);
		len = sim_dhcp_frame(ph, 0, xid, 4, addr, server, f);
		if (decline_send(fd, ifindex, f, len, "DECLINE", cause) != 0) {
			close(fd);
			return (-1);
		}
		declined++;
		inet_ntop(AF_INET, &addr, a, sizeof a);
		inet_ntop(AF_INET, &server, s, sizeof s);
		sim_transcript_line(&ph->ts, "DHCP %s DECLINE %s to %s (address "
		    "in use)", iface, a, s);
		if (round + 1 < rounds) {
			sim_transcript_line(&ph->ts, "DHCP %s waits %d s before "
			    "asking again", iface, wait_s);
			sleep((unsigned)wait_s);
		}
	}
	close(fd);
	return (declined);
}
