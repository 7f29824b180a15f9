/*
 * An 802.1Q access port in user space, for kernels without 802.1Q devices
 * (and for the boot test, where the appliance's trunk is a QEMU tap):
 *
 *   vlan-tagger TRUNK ACCESS VID   frames from ACCESS get a VID tag and go
 *                                  out on TRUNK; VID-tagged frames from
 *                                  TRUNK lose the tag and go out on ACCESS;
 *                                  everything else is dropped
 *   vlan-tagger plain IF           turn off IF's transmit checksum offload
 *                                  (and so TSO), so that its frames read
 *                                  off the peer of a veth are whole
 *
 * It prints "forwarding" once both packet sockets are open and, on SIGTERM
 * or SIGINT, "tagged N untagged N dropped N unsent N" (frames): dropped are
 * the frames its VLAN rule refused, unsent those the kernel would not take
 * (a full queue, ENOBUFS, under a burst: TCP sends them again).  The
 * kernel moves a received frame's tag out of the data (skb_vlan_untag), so
 * the tag of a frame from TRUNK is read from PACKET_AUXDATA.
 */
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <linux/ethtool.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <arpa/inet.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FRAME_MAX	(ETH_FRAME_LEN + 4 + 64)

static volatile sig_atomic_t	stop;
static unsigned long		tagged, untagged, dropped, unsent;

static void	on_signal(int);
static void	die(const char *, const char *);
static int	port_open(const char *, int *);
static ssize_t	port_read(int, unsigned char *, size_t, int *);
static int	port_send(int, int, const unsigned char *, size_t);
static int	plain(const char *);

static void
on_signal(int sig)
{
	stop = sig;
}

static void
die(const char *what, const char *name)
{
	fprintf(stderr, "vlan-tagger: %s %s: %s\n", what, name,
	    strerror(errno));
	exit(1);
}

/* A packet socket on one interface, promiscuous, with tags in auxdata. */
static int
port_open(const char *name, int *ifindex)
{
	struct sockaddr_ll	sll;
	struct packet_mreq	mr;
	int			fd, one = 1;

	if ((*ifindex = if_nametoindex(name)) == 0)
		die("no interface", name);
	if ((fd = socket(AF_PACKET, SOCK_RAW, 0)) == -1)	/* bound first */
		die("packet socket for", name);
	memset(&sll, 0, sizeof sll);
	sll.sll_family = AF_PACKET;
	sll.sll_protocol = htons(ETH_P_ALL);
	sll.sll_ifindex = *ifindex;
	if (bind(fd, (struct sockaddr *)&sll, sizeof sll) == -1)
		die("bind to", name);
	memset(&mr, 0, sizeof mr);
	mr.mr_ifindex = *ifindex;
	mr.mr_type = PACKET_MR_PROMISC;
	if (setsockopt(fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr,
	    sizeof mr) == -1)
		die("promiscuous mode on", name);
	if (setsockopt(fd, SOL_PACKET, PACKET_AUXDATA, &one, sizeof one) == -1)
		die("PACKET_AUXDATA on", name);
	return (fd);
}

/*
 * One frame from fd: its length (0: not for forwarding, e.g. one this host
 * sent) and its tag (-1: untagged, either in the data or in auxdata).
 */
static ssize_t
port_read(int fd, unsigned char *buf, size_t size, int *vid)
{
	struct sockaddr_ll		 from;
	struct iovec			 iov = { buf, size };
	union {
		struct cmsghdr		 align;
		char			 space[CMSG_SPACE(
					    sizeof(struct tpacket_auxdata))];
	}				 cbuf;
	struct msghdr			 msg;
	struct cmsghdr			*cm;
	struct tpacket_auxdata		*aux;
	ssize_t				 n;

	memset(&msg, 0, sizeof msg);
	msg.msg_name = &from;
	msg.msg_namelen = sizeof from;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = &cbuf;
	msg.msg_controllen = sizeof cbuf;
	*vid = -1;
	if ((n = recvmsg(fd, &msg, MSG_DONTWAIT)) == -1)
		return (errno == EAGAIN || errno == EINTR ? 0 : -1);
	if (from.sll_pkttype == PACKET_OUTGOING || n < ETH_HLEN ||
	    (msg.msg_flags & MSG_TRUNC))
		return (0);
	for (cm = CMSG_FIRSTHDR(&msg); cm != NULL; cm = CMSG_NXTHDR(&msg, cm)) {
		if (cm->cmsg_level != SOL_PACKET ||
		    cm->cmsg_type != PACKET_AUXDATA)
			continue;
		aux = (struct tpacket_auxdata *)CMSG_DATA(cm);
		if ((aux->tp_status & TP_STATUS_VLAN_VALID) ||
		    aux->tp_vlan_tci != 0)
			*vid = aux->tp_vlan_tci & 0x0fff;
	}
	if (*vid == -1 && n >= ETH_HLEN + 4 &&
	    buf[12] == 0x81 && buf[13] == 0x00) {	/* still in the data */
		*vid = ((buf[14] << 8) | buf[15]) & 0x0fff;
		memmove(buf + 12, buf + 16, n - 16);
		n -= 4;
	}
	return (n);
}

static int
port_send(int fd, int ifindex, const unsigned char *buf, size_t len)
{
	struct sockaddr_ll	to;

	memset(&to, 0, sizeof to);
	to.sll_family = AF_PACKET;
	to.sll_ifindex = ifindex;
	to.sll_halen = ETH_ALEN;
	memcpy(to.sll_addr, buf, ETH_ALEN);
	while (sendto(fd, buf, len, 0, (struct sockaddr *)&to,
	    sizeof to) == -1) {
		if (errno == EINTR)
			continue;
		if (unsent++ == 0)
			fprintf(stderr, "vlan-tagger: first frame not sent: "
			    "%s\n", strerror(errno));
		return (-1);
	}
	return (0);
}

/* ethtool -K IF tx off, by its ioctl (ethtool may not be installed). */
static int
plain(const char *name)
{
	struct ifreq		ifr;
	struct ethtool_value	ev = { ETHTOOL_STXCSUM, 0 };
	int			fd;

	if ((fd = socket(AF_INET, SOCK_DGRAM, 0)) == -1)
		die("socket for", name);
	memset(&ifr, 0, sizeof ifr);
	snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", name);
	ifr.ifr_data = (void *)&ev;
	if (ioctl(fd, SIOCETHTOOL, &ifr) == -1)
		die("transmit checksum offload off on", name);
	close(fd);
	return (0);
}

int
main(int argc, char **argv)
{
	unsigned char	 buf[FRAME_MAX + 4];
	struct pollfd	 pfd[2];
	struct sigaction sa;
	ssize_t		 n;
	int		 trunk, access, tindex, aindex, vid, want;

	if (argc == 3 && strcmp(argv[1], "plain") == 0)
		return (plain(argv[2]));
	if (argc != 4 || (want = atoi(argv[3])) < 1 || want > 4094) {
		fprintf(stderr, "usage: vlan-tagger TRUNK ACCESS VID | "
		    "vlan-tagger plain IF\n");
		return (2);
	}
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	trunk = port_open(argv[1], &tindex);
	access = port_open(argv[2], &aindex);
	printf("forwarding\n");
	fflush(stdout);

	pfd[0].fd = trunk;
	pfd[1].fd = access;
	pfd[0].events = pfd[1].events = POLLIN;
	while (!stop) {
		if (poll(pfd, 2, -1) == -1) {
			if (errno == EINTR)
				continue;
			die("poll", "");
		}
		if (pfd[0].revents & POLLIN) {
			/* Tagged VID from the trunk: to the access port. */
			while ((n = port_read(trunk, buf, FRAME_MAX, &vid)) > 0) {
				if (vid != want) {
					dropped++;
					continue;
				}
				if (port_send(access, aindex, buf, n) == 0)
					untagged++;
			}
			if (n == -1)
				die("read from", argv[1]);
		}
		if (pfd[1].revents & POLLIN) {
			/* Untagged from the access port: tagged to the trunk. */
			while ((n = port_read(access, buf + 4, FRAME_MAX,
			    &vid)) > 0) {
				if (vid != -1) {
					dropped++;
					continue;
				}
				memmove(buf, buf + 4, 12);
				buf[12] = 0x81;
				buf[13] = 0x00;
				buf[14] = want >> 8;
				buf[15] = want & 0xff;
				if (port_send(trunk, tindex, buf, n + 4) == 0)
					tagged++;
			}
			if (n == -1)
				die("read from", argv[2]);
		}
	}
	printf("tagged %lu untagged %lu dropped %lu unsent %lu\n", tagged,
	    untagged, dropped, unsent);
	return (0);
}
