/*
 * Reading option 60 ourselves.  dnsmasq hands the vendor class to its lease
 * script as a C string and cuts it at the first NUL byte; Polycom's binary
 * (RFC 3925 style) vendor class starts with enterprise number 13885 as
 * 00 00 36 3d, so nothing of it would survive.  A packet socket on the
 * served interface, filtered in the kernel to UDP datagrams for port 67,
 * sees each client message as it was sent; we keep the newest vendor class
 * per MAC and attach it to the lease event.  The same socket sees the
 * answers of any other DHCP server that appears on the segment while we
 * serve: they are counted, and the daemon warns.
 */
#include <sys/socket.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <netinet/in.h>

#include <arpa/inet.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dhcp.h"
#include "log.h"
#include "oui.h"
#include "xmalloc.h"

#define DHCP_SNIFF_SLOTS	512

struct dhcp_sniff_slot {
	char		mac[DHCP_MAC_LEN + 1];
	uint8_t		vendor[255];
	size_t		len;
	unsigned long	stamp;
};

struct dhcp_sniff {
	int			fd;
	unsigned long		clock;
	struct dhcp_sniff_slot	slots[DHCP_SNIFF_SLOTS];
	struct in_addr		self;		/* our own server identifier */
	struct in_addr		rogue;		/* the last other server seen */
	unsigned long		rogue_seen;	/* how many of its answers */
	char			rogue_text[96];

	/* Only phones are answered: the others, as dnsmasq ignores them. */
	const struct oui_list	*ouis;		/* NULL: answer everyone */
	dhcp_ignored_fn		ignored_fn;
	void			*ignored_arg;
	struct dhcp_ignored	ignored[DHCP_IGNORED_MAX];
	size_t			nignored;
};

static void	dhcp_sniff_answer(struct dhcp_sniff *, const uint8_t *,
		    const struct dhcp_packet_info *);
static void	dhcp_sniff_ignore(struct dhcp_sniff *,
		    const struct dhcp_packet_info *);

void
dhcp_sniff_only_phones(struct dhcp_sniff *ds, const struct oui_list *ol,
    dhcp_ignored_fn fn, void *arg)
{
	ds->ouis = ol;
	ds->ignored_fn = fn;
	ds->ignored_arg = arg;
}

const struct dhcp_ignored *
dhcp_sniff_ignored(const struct dhcp_sniff *ds, size_t *n)
{
	*n = ds->nignored;
	return (ds->nignored != 0 ? ds->ignored : NULL);
}

static void
dhcp_sniff_text(char *out, size_t size, const uint8_t *p, size_t len)
{
	char	*esc;

	out[0] = '\0';
	if (p == NULL)
		return;
	esc = log_escape(p, len);
	snprintf(out, size, "%s", esc);
	free(esc);
}

/*
 * A client's DISCOVER or REQUEST that dnsmasq will not answer (the same
 * test as its configuration: a listed OUI, or "Polycom" in option 60).
 * The table keeps the first DHCP_IGNORED_MAX clients; the newest request
 * of each.
 */
static void
dhcp_sniff_ignore(struct dhcp_sniff *ds, const struct dhcp_packet_info *pi)
{
	struct dhcp_ignored	*ig = NULL;
	size_t			 i;
	int64_t			 now = time(NULL);

	if (ds->ouis == NULL || pi->mac[0] == '\0' ||
	    (pi->msgtype != DHCP_DISCOVER && pi->msgtype != DHCP_REQUEST))
		return;
	if (oui_match_text(ds->ouis, pi->mac) ||
	    oui_vendor_is_polycom(pi->vendor, pi->vendor_len))
		return;
	for (i = 0; i < ds->nignored; i++) {
		if (strcmp(ds->ignored[i].mac, pi->mac) == 0) {
			ig = &ds->ignored[i];
			break;
		}
	}
	if (ig == NULL) {
		if (ds->nignored == DHCP_IGNORED_MAX)
			return;
		ig = &ds->ignored[ds->nignored++];
		memset(ig, 0, sizeof *ig);
		memcpy(ig->mac, pi->mac, sizeof ig->mac);
		ig->first_seen = now;
	}
	ig->requests++;
	ig->last_seen = now;
	dhcp_sniff_text(ig->vendor, sizeof ig->vendor, pi->vendor,
	    pi->vendor_len);
	dhcp_sniff_text(ig->hostname, sizeof ig->hostname, pi->hostname,
	    pi->hostname_len);
	if (ig->requests == 1 && ds->ignored_fn != NULL)
		ds->ignored_fn(ds->ignored_arg, ig);
}

/* A server's OFFER or ACK that is not ours: another DHCP server. */
static void
dhcp_sniff_answer(struct dhcp_sniff *ds, const uint8_t *pkt,
    const struct dhcp_packet_info *pi)
{
	struct in_addr	sid;
	char		server[INET_ADDRSTRLEN], offer[INET_ADDRSTRLEN];

	if (pi->msgtype != DHCP_OFFER && pi->msgtype != DHCP_ACK)
		return;
	if (pi->server_id.s_addr != 0)
		sid = pi->server_id;
	else
		memcpy(&sid, pkt + 12, 4);	/* the IP source */
	if (sid.s_addr == ds->self.s_addr)
		return;
	inet_ntop(AF_INET, &sid, server, sizeof server);
	inet_ntop(AF_INET, &pi->yiaddr, offer, sizeof offer);
	snprintf(ds->rogue_text, sizeof ds->rogue_text, "server %s %s %s",
	    server, pi->msgtype == DHCP_OFFER ? "offered" : "acknowledged",
	    offer);
	ds->rogue = sid;
	ds->rogue_seen++;
}

void
dhcp_sniff_set_self(struct dhcp_sniff *ds, const struct in_addr *self)
{
	ds->self = *self;
}

const char *
dhcp_sniff_rogue(const struct dhcp_sniff *ds, unsigned long *count)
{
	*count = ds->rogue_seen;
	return (ds->rogue_seen != 0 ? ds->rogue_text : NULL);
}

struct dhcp_sniff *
dhcp_sniff_new(void)
{
	struct dhcp_sniff	*ds;

	ds = xcalloc(1, sizeof *ds);
	ds->fd = -1;
	return (ds);
}

struct dhcp_sniff *
dhcp_sniff_open(const char *iface, char **cause)
{
	/*
	 * From the IP header: UDP, not a fragment, and either to port 67 (a
	 * client's message) or from 67 to 68 (a server's answer).
	 */
	static struct sock_filter	 code[] = {
		BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 9),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, IPPROTO_UDP, 0, 10),
		BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 6),
		BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, 0x1fff, 8, 0),
		BPF_STMT(BPF_LDX | BPF_B | BPF_MSH, 0),
		BPF_STMT(BPF_LD | BPF_H | BPF_IND, 2),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 67, 4, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 68, 0, 4),
		BPF_STMT(BPF_LD | BPF_H | BPF_IND, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 67, 0, 2),
		BPF_STMT(BPF_RET | BPF_K, 2048),
		BPF_STMT(BPF_RET | BPF_K, 2048),
		BPF_STMT(BPF_RET | BPF_K, 0),
	};
	struct sock_fprog		 prog = {
		.len = sizeof code / sizeof code[0], .filter = code
	};
	struct sockaddr_ll		 sll;
	struct dhcp_sniff		*ds;
	unsigned			 ifindex;
	int				 fd;

	if ((ifindex = if_nametoindex(iface)) == 0) {
		xasprintf(cause, "interface '%s' does not exist", iface);
		return (NULL);
	}
	fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    htons(ETH_P_IP));
	if (fd == -1) {
		xasprintf(cause, "cannot read DHCP requests on %s: %s (binary "
		    "option 60 needs CAP_NET_RAW)", iface, strerror(errno));
		return (NULL);
	}
	if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog,
	    sizeof prog) == -1) {
		xasprintf(cause, "cannot filter DHCP requests on %s: %s", iface,
		    strerror(errno));
		close(fd);
		return (NULL);
	}
	memset(&sll, 0, sizeof sll);
	sll.sll_family = AF_PACKET;
	sll.sll_protocol = htons(ETH_P_IP);
	sll.sll_ifindex = ifindex;
	if (bind(fd, (struct sockaddr *)&sll, sizeof sll) == -1) {
		xasprintf(cause, "cannot read DHCP requests on %s: %s", iface,
		    strerror(errno));
		close(fd);
		return (NULL);
	}
	ds = dhcp_sniff_new();
	ds->fd = fd;
	return (ds);
}

/*
 * The interface came back as a new one (a USB adapter plugged in again):
 * the same socket, bound to it (a packet socket may be bound again).
 */
int
dhcp_sniff_rebind(struct dhcp_sniff *ds, const char *iface, char **cause)
{
	struct sockaddr_ll	sll;

	memset(&sll, 0, sizeof sll);
	sll.sll_family = AF_PACKET;
	sll.sll_protocol = htons(ETH_P_IP);
	if (ds->fd == -1 || (sll.sll_ifindex = if_nametoindex(iface)) == 0 ||
	    bind(ds->fd, (struct sockaddr *)&sll, sizeof sll) == -1) {
		xasprintf(cause, "cannot read DHCP requests on %s again: %s",
		    iface, ds->fd == -1 ? "no socket" : strerror(errno));
		return (-1);
	}
	return (0);
}

void
dhcp_sniff_free(struct dhcp_sniff *ds)
{
	if (ds == NULL)
		return;
	if (ds->fd != -1)
		close(ds->fd);
	free(ds);
}

int
dhcp_sniff_fd(const struct dhcp_sniff *ds)
{
	return (ds->fd);
}

void
dhcp_sniff_drain(struct dhcp_sniff *ds)
{
	uint8_t		buf[2048];
	ssize_t		n;
	int		i;

	if (ds->fd == -1)
		return;
	/* Bounded, so that a flood cannot hold the loop. */
	for (i = 0; i < 256; i++) {
		n = recv(ds->fd, buf, sizeof buf, MSG_DONTWAIT);
		if (n <= 0)
			break;
		dhcp_sniff_feed(ds, buf, n);
	}
}

void
dhcp_sniff_feed(struct dhcp_sniff *ds, const uint8_t *pkt, size_t len)
{
	struct dhcp_packet_info	 pi;
	struct dhcp_sniff_slot	*slot, *oldest;
	size_t			 ihl, ulen;
	int			 i;

	if (len < 20 || (pkt[0] >> 4) != 4 || pkt[9] != IPPROTO_UDP)
		return;
	ihl = (pkt[0] & 0xf) * 4;
	if (ihl < 20 || len < ihl + 8)
		return;
	if (((pkt[ihl + 2] << 8) | pkt[ihl + 3]) != 67 &&
	    ((pkt[ihl] << 8) | pkt[ihl + 1]) != 67)
		return;
	ulen = (pkt[ihl + 4] << 8) | pkt[ihl + 5];
	if (ulen < 8 || ulen > len - ihl)
		return;
	if (dhcp_packet_parse(pkt + ihl + 8, ulen - 8, &pi) != 0)
		return;
	if (pi.op == 2) {
		dhcp_sniff_answer(ds, pkt, &pi);
		return;
	}
	if (pi.op == 1)
		dhcp_sniff_ignore(ds, &pi);
	if (pi.op != 1 || pi.mac[0] == '\0' || pi.vendor == NULL)
		return;

	oldest = &ds->slots[0];
	slot = NULL;
	for (i = 0; i < DHCP_SNIFF_SLOTS; i++) {
		if (strcmp(ds->slots[i].mac, pi.mac) == 0) {
			slot = &ds->slots[i];
			break;
		}
		if (ds->slots[i].stamp < oldest->stamp)
			oldest = &ds->slots[i];
	}
	if (slot == NULL)
		slot = oldest;
	memcpy(slot->mac, pi.mac, sizeof slot->mac);
	memcpy(slot->vendor, pi.vendor, pi.vendor_len);
	slot->len = pi.vendor_len;
	slot->stamp = ++ds->clock;
}

const uint8_t *
dhcp_sniff_vendor(const struct dhcp_sniff *ds, const char *mac, size_t *len)
{
	int	i;

	for (i = 0; i < DHCP_SNIFF_SLOTS; i++) {
		if (ds->slots[i].stamp != 0 &&
		    strcmp(ds->slots[i].mac, mac) == 0) {
			*len = ds->slots[i].len;
			return (ds->slots[i].vendor);
		}
	}
	*len = 0;
	return (NULL);
}
