/*
 * The rogue-DHCP probe: before we serve, ask the segment whether somebody
 * else already does.  A DISCOVER with the broadcast flag from the chosen
 * interface (SO_BINDTODEVICE, so it never leaves by another one), then every
 * OFFER that comes back within the time limit.  An OFFER from this very host
 * counts too: a second appliance, or a distribution's dnsmasq, on the same
 * segment is just as harmful.  (So probe before our own dnsmasq starts.)
 */
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "dhcp.h"
#include "xmalloc.h"

static void	dhcp_probe_first_cb(void *, const struct in_addr *,
		    const struct dhcp_packet_info *);


struct dhcp_probe_first {
	char		*text;
	struct in_addr	 sid;
	unsigned	 others;
	struct in_addr	 self;	/* our own dnsmasq's answers: none */
};

static void
dhcp_probe_first_cb(void *arg, const struct in_addr *sid,
    const struct dhcp_packet_info *pi)
{
	struct dhcp_probe_first	*pf = arg;
	char			 server[INET_ADDRSTRLEN], offer[INET_ADDRSTRLEN];

	if (pf->self.s_addr != 0 && sid->s_addr == pf->self.s_addr)
		return;
	if (pf->text != NULL) {
		if (sid->s_addr != pf->sid.s_addr)
			pf->others++;
		return;
	}
	inet_ntop(AF_INET, sid, server, sizeof server);
	inet_ntop(AF_INET, &pi->yiaddr, offer, sizeof offer);
	xasprintf(&pf->text, "server %s offered %s", server, offer);
	pf->sid = *sid;
}

int
dhcp_probe(const char *iface, unsigned timeout_ms, const struct in_addr *self,
    char **found, char **cause)
{
	struct dhcp_probe_first	pf;

	memset(&pf, 0, sizeof pf);
	if (self != NULL)
		pf.self = *self;
	*found = NULL;
	if (dhcp_probe_offers(iface, timeout_ms, dhcp_probe_first_cb, &pf,
	    cause) != 0) {
		free(pf.text);
		return (-1);
	}
	if (pf.text == NULL)
		return (0);
	if (pf.others > 0) {
		xasprintf(found, "%s (and %u more offer%s from other "
		    "servers)", pf.text, pf.others, pf.others == 1 ? "" : "s");
		free(pf.text);
	} else
		*found = pf.text;
	return (1);
}

int
dhcp_probe_offers(const char *iface, unsigned timeout_ms, dhcp_offer_fn fn,
    void *arg, char **cause)
{
	struct sockaddr_in	 sin, from;
	struct ifreq		 ifr;
	struct dhcp_packet_info	 pi;
	struct pollfd		 pfd;
	socklen_t		 fromlen;
	uint8_t			 buf[1500], mac[6];
	uint32_t		 xid;
	long			 start, left, next_send;
	ssize_t			 n;
	unsigned		 sends = 0;
	int			 fd, one = 1;
	size_t			 len;
	struct in_addr		 sid;

	if (strlen(iface) >= IFNAMSIZ || if_nametoindex(iface) == 0) {
		xasprintf(cause, "interface '%s' does not exist; see 'ip link' "
		    "for the names", iface);
		return (-1);
	}
	if ((fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1) {
		xasprintf(cause, "socket: %s", strerror(errno));
		return (-1);
	}
	memset(&ifr, 0, sizeof ifr);
	memcpy(ifr.ifr_name, iface, strlen(iface));
	if (ioctl(fd, SIOCGIFHWADDR, &ifr) == -1) {
		xasprintf(cause, "cannot read the hardware address of %s: %s",
		    iface, strerror(errno));
		goto fail;
	}
	memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (setsockopt(fd, SOL_SOCKET, SO_BROADCAST, &one, sizeof one) == -1 ||
	    setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, iface,
	    strlen(iface)) == -1) {
		xasprintf(cause, "cannot bind the DHCP probe to %s: %s (needs "
		    "root)", iface, strerror(errno));
		goto fail;
	}
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_port = htons(68);
	sin.sin_addr.s_addr = htonl(INADDR_ANY);
	if (bind(fd, (struct sockaddr *)&sin, sizeof sin) == -1) {
		xasprintf(cause, "cannot listen for DHCP offers on %s port 68: "
		    "%s (a DHCP client running there? stop it, or use "
		    "--no-probe)", iface, strerror(errno));
		goto fail;
	}

	if (getrandom(&xid, sizeof xid, 0) != sizeof xid)
		xid = (uint32_t)time(NULL) ^ (uint32_t)getpid();
	sin.sin_port = htons(67);
	sin.sin_addr.s_addr = htonl(INADDR_BROADCAST);
	start = clock_mono_ms();
	next_send = start;
	for (;;) {
		/*
		 * A DISCOVER a second, as a client retries: servers that ping
		 * an address before offering it (dnsmasq, ISC dhcpd) answer
		 * only after a second or three.
		 */
		if (clock_mono_ms() >= next_send) {
			len = dhcp_packet_discover(buf, sizeof buf, mac, xid);
			if (sendto(fd, buf, len, 0, (struct sockaddr *)&sin,
			    sizeof sin) == -1) {
				xasprintf(cause, "cannot send a DHCP DISCOVER "
				    "on %s: %s (is the link up, with an "
				    "address?)", iface, strerror(errno));
				goto fail;
			}
			sends++;
			next_send = start + 1000L * sends;
		}
		left = (long)timeout_ms - (clock_mono_ms() - start);
		if (left <= 0)
			break;
		if (next_send - clock_mono_ms() < left)
			left = next_send - clock_mono_ms();
		pfd.fd = fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, left < 0 ? 0 : left) <= 0)
			continue;
		fromlen = sizeof from;
		n = recvfrom(fd, buf, sizeof buf, 0, (struct sockaddr *)&from,
		    &fromlen);
		if (n <= 0)
			continue;
		if (dhcp_packet_parse(buf, n, &pi) != 0 || pi.op != 2 ||
		    pi.xid != xid || pi.msgtype != DHCP_OFFER)
			continue;
		sid = pi.server_id.s_addr != 0 ? pi.server_id : from.sin_addr;
		fn(arg, &sid, &pi);
	}
	close(fd);
	return (0);

fail:
	close(fd);
	return (-1);
}
