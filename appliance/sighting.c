/*
 * The phones seen on the wire and why the silent ones are silent: see
 * sighting.h.  The listener is a packet socket bound to the phones'
 * interface with a classic BPF program that passes only frames whose source
 * MAC starts with a Polycom OUI (the program is built from the OUI list), so
 * that the daemon is not woken by anything else on the segment.  Like the
 * option 60 sniffer it needs CAP_NET_RAW once, when it is opened; the
 * daemon drops root afterwards and keeps the descriptor.
 *
 * The kernel removes the 802.1Q tag from a received frame before packet
 * sockets see it (it travels in the packet's auxiliary data, PACKET_AUXDATA),
 * so the filter's offsets are those of an untagged frame and the tag is read
 * from the control message.
 */
#include <sys/socket.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <arpa/inet.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dhcp.h"
#include "oui.h"
#include "sighting.h"
#include "xmalloc.h"

struct sighting_listener {
	int	fd;
};

void
sighting_table_init(struct sighting_table *st, const struct in_addr *self,
    const struct in_addr *netmask, int served_vlan)
{
	memset(st, 0, sizeof *st);
	if (self != NULL)
		st->self = *self;
	if (netmask != NULL)
		st->netmask = *netmask;
	st->served_vlan = served_vlan;
	st->quiet_ms = SIGHTING_QUIET_MS;
	st->refuse_ms = SIGHTING_REFUSE_MS;
}

struct sighting *
sighting_find(struct sighting_table *st, const char *mac)
{
	size_t	i;

	for (i = 0; i < st->n; i++) {
		if (strcmp(st->v[i].mac, mac) == 0)
			return (&st->v[i]);
	}
	return (NULL);
}

/* The entry for mac, made when missing (the stalest replaced when full). */
static struct sighting *
sighting_get(struct sighting_table *st, const char *mac, int64_t now)
{
	struct sighting	*s;
	size_t		 i, old = 0;

	if ((s = sighting_find(st, mac)) != NULL)
		return (s);
	if (st->n < SIGHTING_MAX)
		s = &st->v[st->n++];
	else {
		for (i = 1; i < st->n; i++) {
			if (st->v[i].last_seen < st->v[old].last_seen)
				old = i;
		}
		s = &st->v[old];
	}
	memset(s, 0, sizeof *s);
	snprintf(s->mac, sizeof s->mac, "%s", mac);
	s->first_seen = now;
	s->tag_vlan = s->policy_vlan = -1;
	return (s);
}

static int
sighting_ours(const struct sighting_table *st, struct in_addr a)
{
	return (st->netmask.s_addr != 0 && (a.s_addr & st->netmask.s_addr) ==
	    (st->self.s_addr & st->netmask.s_addr));
}

void
sighting_table_rebase(struct sighting_table *st, const struct in_addr *self,
    const struct in_addr *netmask, int served_vlan)
{
	struct in_addr	a;
	size_t		i;

	st->self = *self;
	st->netmask = *netmask;
	st->served_vlan = served_vlan;
	for (i = 0; i < st->n; i++) {
		if (inet_pton(AF_INET, st->v[i].address, &a) == 1)
			st->v[i].address_ours = sighting_ours(st, a);
	}
}

static void
sighting_address(struct sighting_table *st, struct sighting *s,
    struct in_addr a)
{
	uint32_t	h = ntohl(a.s_addr);

	/* 0.0.0.0 (a DHCP client, an ARP probe) and link-local say nothing. */
	if (h == 0 || (h >> 16) == 0xa9fe || (h >> 24) == 127 ||
	    (h >> 28) == 14)
		return;
	inet_ntop(AF_INET, &a, s->address, sizeof s->address);
	s->address_ours = sighting_ours(st, a);
}

void
sighting_feed(struct sighting_table *st, const struct frame_info *fi,
    int64_t now)
{
	const struct oui_list	*ol = st->ouis != NULL ? st->ouis :
				    oui_current();
	struct sighting		*s;
	char			 sid[INET_ADDRSTRLEN];

	if (!oui_match(ol, fi->src))
		return;
	s = sighting_get(st, fi->mac, now);
	s->last_seen = now;
	s->frames++;
	/*
	 * An untagged DHCP, ARP or IPv4 frame says the phone works untagged
	 * now.  LLDP and CDP are always untagged, and an untagged frame of
	 * another kind (IPv6 neighbour discovery) says nothing of where it
	 * does its IPv4: the tag stays.
	 */
	if (fi->vlan >= 0)
		s->tag_vlan = fi->vlan;
	else if (fi->kind != FRAME_LLDP && fi->kind != FRAME_CDP &&
	    fi->kind != FRAME_OTHER)
		s->tag_vlan = -1;

	switch (fi->kind) {
	case FRAME_LLDP:
	case FRAME_CDP:
		if (fi->policy_vlan > 0 && fi->policy_tagged) {
			s->policy_vlan = fi->policy_vlan;
			snprintf(s->policy_source, sizeof s->policy_source,
			    "%s", fi->kind == FRAME_LLDP ? "LLDP-MED" : "CDP");
		}
		if (fi->model[0] != '\0' || fi->firmware[0] != '\0' ||
		    fi->serial[0] != '\0') {
			if (fi->model[0] != '\0')
				memcpy(s->model, fi->model, sizeof s->model);
			if (fi->firmware[0] != '\0')
				memcpy(s->firmware, fi->firmware,
				    sizeof s->firmware);
			if (fi->serial[0] != '\0')
				memcpy(s->serial, fi->serial, sizeof s->serial);
			snprintf(s->info_source, sizeof s->info_source, "%s",
			    fi->kind == FRAME_LLDP ? "LLDP-MED" : "CDP");
		}
		break;
	case FRAME_DHCP:
		if (fi->dhcp_type == DHCP_DISCOVER) {
			if (s->discovers++ == 0)
				s->first_dhcp = now;
		}
		else if (fi->dhcp_type == DHCP_REQUEST) {
			s->requests++;
			if (fi->dhcp_server_id.s_addr != 0 &&
			    fi->dhcp_server_id.s_addr != st->self.s_addr) {
				inet_ntop(AF_INET, &fi->dhcp_server_id, sid,
				    sizeof sid);
				snprintf(s->other_server,
				    sizeof s->other_server, "%s", sid);
			} else if ((fi->dhcp_server_id.s_addr != 0 ||
			    sighting_ours(st, fi->dhcp_requested)) &&
			    (st->served_vlan < 0 ? fi->vlan < 0 :
			    fi->vlan == st->served_vlan)) {
				s->other_server[0] = '\0';
				if (s->leased_at == 0)
					s->leased_at = now;
			}
		} else if (fi->dhcp_type == DHCP_DECLINE &&
		    /* Only after our lease: a forged one proves nothing. */
		    s->leased_at != 0 &&
		    (fi->dhcp_server_id.s_addr == st->self.s_addr ||
		    (fi->dhcp_server_id.s_addr == 0 &&
		    sighting_ours(st, fi->dhcp_requested)))) {
			/*
			 * It found the address we gave it in use (RFC 2131
			 * section 4.4.1): dnsmasq drops that lease, so the
			 * phone holds nothing of ours now.
			 */
			s->declines++;
			inet_ntop(AF_INET, &fi->dhcp_requested, s->declined,
			    sizeof s->declined);
			s->leased_at = 0;
			if (strcmp(s->address, s->declined) == 0)
				s->address[0] = '\0';
		}
		if (fi->dhcp_type != 0)
			s->last_dhcp = fi->dhcp_type;
		sighting_address(st, s, fi->dhcp_ciaddr);
		break;
	case FRAME_ARP:
		sighting_address(st, s, fi->ip_src);
		break;
	case FRAME_ASK:
		if (fi->ip_dst.s_addr == st->self.s_addr &&
		    st->self.s_addr != 0)
			s->asked_at = now;
		sighting_address(st, s, fi->ip_src);
		break;
	case FRAME_IP:
		sighting_address(st, s, fi->ip_src);
		break;
	case FRAME_OTHER:
		break;
	}
}

void
sighting_leased(struct sighting_table *st, const char *mac, const char *ip,
    const char *model, int64_t now)
{
	struct sighting	*s;
	struct in_addr	 a;

	if (!oui_match_text(st->ouis != NULL ? st->ouis : oui_current(), mac))
		return;
	s = sighting_get(st, mac, now);
	s->last_seen = now;
	/*
	 * The lease script's event for the address it has just declined
	 * (the script runs after the ACK, the phone probes meanwhile):
	 * that lease is gone.
	 */
	if (model != NULL && *model != '\0' && s->model[0] == '\0') {
		snprintf(s->model, sizeof s->model, "%s", model);
		snprintf(s->info_source, sizeof s->info_source, "option 60");
	}
	if (s->last_dhcp == DHCP_DECLINE && strcmp(s->declined, ip) == 0)
		return;
	if (s->leased_at == 0)
		s->leased_at = now;
	if (inet_pton(AF_INET, ip, &a) == 1)
		sighting_address(st, s, a);
}

static const char *
sighting_vlan_name(int vlan, char *buf, size_t size)
{
	if (vlan < 0)
		snprintf(buf, size, "untagged");
	else
		snprintf(buf, size, "VLAN %d", vlan);
	return (buf);
}

int
sighting_reason(const struct sighting_table *st, const struct sighting *s,
    int64_t now, char *reason, size_t rsize, char *evidence, size_t esize)
{
	char	 here[32], ip[32], count[64];
	int	 vlan;

	reason[0] = evidence[0] = '\0';
	sighting_vlan_name(st->served_vlan, here, sizeof here);

	/*
	 * A phone on another VLAN cannot reach us whatever it wants.  A voice
	 * VLAN policy it was given does not count once it has asked the
	 * appliance (it works here): one that recovered untagged was listed
	 * silent, "serve on VLAN 20", beside its verdict.  Any other
	 * untagged frame proves less: a phone that rebooted onto the VLAN
	 * sent some before it.
	 */
	vlan = s->tag_vlan >= 0 ? s->tag_vlan :
	    s->asked_at != 0 ? -1 : s->policy_vlan;
	if (vlan >= 0 && vlan != st->served_vlan) {
		if (s->policy_vlan == vlan)
			snprintf(reason, rsize, "tags VLAN %d (%s)", vlan,
			    s->policy_source);
		else
			snprintf(reason, rsize, "tags VLAN %d (802.1Q tag on "
			    "its frames)", vlan);
		snprintf(evidence, esize, "%s%s%s%s%sthe appliance serves %s; "
		    "serve on VLAN %d (serve --vlan %d)",
		    s->policy_vlan >= 0 ? s->policy_source : "",
		    s->policy_vlan >= 0 ? " voice network policy: VLAN " : "",
		    s->policy_vlan >= 0 ? (snprintf(ip, sizeof ip, "%d",
		    s->policy_vlan), ip) : "",
		    s->policy_vlan >= 0 ? "; " : "",
		    s->tag_vlan >= 0 ? "its frames carry an 802.1Q tag; " : "",
		    here, vlan, vlan);
		return (1);
	}
	if (s->asked_at != 0)
		return (0);
	if (s->other_server[0] != '\0') {
		snprintf(reason, rsize, "took the offer of another DHCP server "
		    "%s", s->other_server);
		snprintf(evidence, esize, "its DHCP REQUEST names server %s, "
		    "not the appliance: take that server off the segment (or "
		    "cut its switch port), then power-cycle the phone; no "
		    "factory reset is needed for this", s->other_server);
		return (1);
	}
	/*
	 * Leased and quiet for less than the period: nothing to say yet,
	 * unless it has declined an address before (that still holds until
	 * it asks for something).
	 */
	if (s->leased_at != 0 && (now - s->leased_at >= st->quiet_ms ||
	    s->declines == 0)) {
		if (now - s->leased_at < st->quiet_ms)
			return (0);
		snprintf(reason, rsize, "took our lease, asked for nothing in "
		    "%d s", (int)(st->quiet_ms / 1000));
		snprintf(evidence, esize, "leased %s; no HTTP, HTTPS, TFTP or "
		    "syslog to the appliance since: a stored provisioning "
		    "server or device.dhcp.bootSrvUseOpt set to static",
		    s->address[0] != '\0' ? s->address : "an address");
		return (1);
	}
	if (s->declines > 0) {
		snprintf(reason, rsize, "declined our address %s (it says the "
		    "address is in use: another host on the segment has it)",
		    s->declined);
		if (s->declines == 1)
			snprintf(count, sizeof count, "1 DHCPDECLINE for %s",
			    s->declined);
		else
			snprintf(count, sizeof count, "%u DHCPDECLINEs, the "
			    "last for %s", s->declines, s->declined);
		snprintf(evidence, esize, "%s after the appliance's ACK; the "
		    "appliance's DHCP dropped that lease and offers this phone "
		    "another address when it asks again, but may offer %s to "
		    "another phone: find the device that uses %s (the "
		    "appliance's DHCP range may overlap a static host)", count,
		    s->declined, s->declined);
		return (1);
	}
	if (s->address[0] != '\0' && !s->address_ours &&
	    s->discovers == 0 && s->requests == 0) {
		snprintf(reason, rsize, "static address %s, no DHCP",
		    s->address);
		snprintf(evidence, esize, "ARP/IP from %s, outside the "
		    "appliance's subnet, and no DHCP message: a stored network "
		    "configuration", s->address);
		return (1);
	}
	if (s->discovers >= 3 && s->requests == 0 &&
	    now - s->first_dhcp >= st->refuse_ms) {
		snprintf(reason, rsize, "DHCP but took no offer of ours");
		/* Only its DISCOVERs are seen: no offer may have been made. */
		snprintf(evidence, esize, "%u DISCOVERs in %d s and no "
		    "REQUEST: it does not accept what the appliance offers (a "
		    "DHCP option it requires, or a filter), or the appliance "
		    "made it no offer (its address pool full: more hosts "
		    "than addresses; check the leases first)", s->discovers,
		    (int)((now - s->first_dhcp) / 1000));
		return (1);
	}
	if (s->discovers == 0 && s->requests == 0 && s->address[0] == '\0' &&
	    now - s->first_seen >= st->quiet_ms) {
		snprintf(reason, rsize, "no DHCP and no address in %d s",
		    (int)(st->quiet_ms / 1000));
		snprintf(evidence, esize, "only %s frames seen",
		    s->info_source[0] != '\0' ? s->info_source : "link-layer");
		return (1);
	}
	return (0);
}

/* --- the listener -------------------------------------------------------- */

struct sighting_listener *
sighting_listen(const char *iface, const struct oui_list *ol, char **cause)
{
	struct sock_filter		 code[4 * OUI_MAX + 1 + 19];
	struct sock_fprog		 prog;
	struct sockaddr_ll		 sll;
	struct sighting_listener	*sl;
	unsigned			 ifindex, n = 0;
	size_t				 i, left;
	int				 fd, one = 1;

	if (ol == NULL)
		ol = oui_current();
	if ((ifindex = if_nametoindex(iface)) == 0) {
		xasprintf(cause, "interface '%s' does not exist", iface);
		return (NULL);
	}
	/*
	 * For each OUI: load the source MAC's first two bytes (offset 6) and
	 * the third (offset 8); all equal: go on to the frame's kind, else
	 * the next OUI, else reject.
	 */
	for (i = 0; i < ol->n; i++) {
		left = ol->n - i - 1;	/* OUIs after this one */
		code[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_H |
		    BPF_ABS, 6);
		code[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ |
		    BPF_K, (unsigned)ol->oui[i][0] << 8 | ol->oui[i][1], 0, 2);
		code[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_B |
		    BPF_ABS, 8);
		/* Matched: jump over the OUIs left and the reject below. */
		code[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ |
		    BPF_K, ol->oui[i][2], (uint8_t)(left * 4 + 1), 0);
	}
	code[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, 0);
	/*
	 * Which frames of a phone: everything that is not IPv4 (ARP, LLDP,
	 * CDP, a tag the kernel left in); of IPv4, unfragmented UDP to 67
	 * (DHCP), 69 (TFTP) or 514 (syslog) and TCP with SYN.  The ACKs of a
	 * 50 MB download never wake the daemon.  Offsets below are relative
	 * to the first instruction of this block; S_REJ and S_ACC are its
	 * last two.
	 */
	{
		static const struct sock_filter	kind[] = {
#define S_REJ	17
#define S_ACC	18
#define J(from, to)	((to) - (from) - 1)
			/* 0 */ BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 12),
			/* 1 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0x0800, 0,
				    J(1, S_ACC)),
			/* 2 */ BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 23),
			/* 3 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 17, 0,
				    J(3, 11)),
			/* 4 */ BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 20),
			/* 5 */ BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, 0x1fff,
				    J(5, S_REJ), 0),
			/* 6 */ BPF_STMT(BPF_LDX | BPF_B | BPF_MSH, 14),
			/* 7 */ BPF_STMT(BPF_LD | BPF_H | BPF_IND, 16),
			/* 8 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 67,
				    J(8, S_ACC), 0),
			/* 9 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 69,
				    J(9, S_ACC), 0),
			/* 10 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 514,
				    J(10, S_ACC), J(10, S_REJ)),
			/* 11 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 6, 0,
				    J(11, S_REJ)),
			/* 12 */ BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 20),
			/* 13 */ BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, 0x1fff,
				    J(13, S_REJ), 0),
			/* 14 */ BPF_STMT(BPF_LDX | BPF_B | BPF_MSH, 14),
			/* 15 */ BPF_STMT(BPF_LD | BPF_B | BPF_IND, 27),
			/* 16 */ BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, 0x02,
				    J(16, S_ACC), J(16, S_REJ)),
			/* S_REJ */ BPF_STMT(BPF_RET | BPF_K, 0),
			/* S_ACC */ BPF_STMT(BPF_RET | BPF_K, 1600),
#undef J
#undef S_REJ
#undef S_ACC
		};

		memcpy(code + n, kind, sizeof kind);
		n += sizeof kind / sizeof kind[0];
	}
	prog.len = n;
	prog.filter = code;

	fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    htons(ETH_P_ALL));
	if (fd == -1) {
		xasprintf(cause, "cannot listen for phones on %s: %s (needs "
		    "CAP_NET_RAW)", iface, strerror(errno));
		return (NULL);
	}
	if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog,
	    sizeof prog) == -1 ||
	    setsockopt(fd, SOL_PACKET, PACKET_AUXDATA, &one,
	    sizeof one) == -1) {
		xasprintf(cause, "cannot filter frames on %s: %s", iface,
		    strerror(errno));
		close(fd);
		return (NULL);
	}
	memset(&sll, 0, sizeof sll);
	sll.sll_family = AF_PACKET;
	sll.sll_protocol = htons(ETH_P_ALL);
	sll.sll_ifindex = ifindex;
	if (bind(fd, (struct sockaddr *)&sll, sizeof sll) == -1) {
		xasprintf(cause, "cannot listen for phones on %s: %s", iface,
		    strerror(errno));
		close(fd);
		return (NULL);
	}
	sl = xcalloc(1, sizeof *sl);
	sl->fd = fd;
	return (sl);
}

int
sighting_listener_fd(const struct sighting_listener *sl)
{
	return (sl->fd);
}

void
sighting_listener_drain(struct sighting_listener *sl,
    struct sighting_table *st, int64_t now)
{
	uint8_t			 buf[1600];
	union {
		struct cmsghdr	 h;
		char		 b[CMSG_SPACE(sizeof(struct tpacket_auxdata))];
	}			 ctl;
	struct iovec		 iov;
	struct msghdr		 msg;
	struct sockaddr_ll	 from;
	struct cmsghdr		*c;
	struct tpacket_auxdata	 aux;
	struct frame_info	 fi;
	ssize_t			 n;
	int			 i, vlan;

	for (i = 0; i < 256; i++) {	/* bounded: a flood cannot hold us */
		iov.iov_base = buf;
		iov.iov_len = sizeof buf;
		memset(&msg, 0, sizeof msg);
		msg.msg_name = &from;
		msg.msg_namelen = sizeof from;
		msg.msg_iov = &iov;
		msg.msg_iovlen = 1;
		msg.msg_control = &ctl;
		msg.msg_controllen = sizeof ctl;
		n = recvmsg(sl->fd, &msg, MSG_DONTWAIT);
		if (n <= 0)
			break;
		if (from.sll_pkttype == PACKET_OUTGOING)
			continue;	/* our own frames */
		vlan = -1;
		for (c = CMSG_FIRSTHDR(&msg); c != NULL;
		    c = CMSG_NXTHDR(&msg, c)) {
			if (c->cmsg_level != SOL_PACKET ||
			    c->cmsg_type != PACKET_AUXDATA ||
			    c->cmsg_len < CMSG_LEN(sizeof aux))
				continue;
			memcpy(&aux, CMSG_DATA(c), sizeof aux);
			if ((aux.tp_status & TP_STATUS_VLAN_VALID) ||
			    aux.tp_vlan_tci != 0)
				vlan = aux.tp_vlan_tci & 0xfff;
		}
		if (frame_parse(buf, (size_t)n, vlan, &fi) == 0)
			sighting_feed(st, &fi, now);
	}
}

void
sighting_listener_free(struct sighting_listener *sl)
{
	if (sl == NULL)
		return;
	if (sl->fd != -1)
		close(sl->fd);
	free(sl);
}
