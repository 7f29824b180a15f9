/*
 * The DHCP interface in a closet: a cable pulled, a switch port turned off,
 * a USB adapter knocked out and plugged back (the kernel makes a new
 * interface, down and without the appliance's address, and no voice VLAN
 * link on it).  dnsmasq runs on through all of it, serving nobody, its
 * state still "running".  This watches the interface over rtnetlink, says
 * what is wrong in words, and when the interface is there but down or
 * without the address, puts the address back and the link up, the voice
 * VLAN's link first (dnsmasq answers again on its own: it looks up the
 * interface's addresses for every request).
 */
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <arpa/inet.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "clock.h"
#include "dhcp.h"
#include "lldp.h"
#include "log.h"
#include "xmalloc.h"

#define DHCP_LINK_SETTLE_MS	200	/* events come in bursts */
#define DHCP_LINK_RETRY_MS	2000	/* while wrong: look again, repair */
#define DHCP_LINK_UP_MS		500	/* while a link brought up comes */
#define DHCP_LINK_GRACE_MS	6000	/* a NIC brought up takes seconds to
					 * negotiate its link */

struct dhcp_link {
	char			*iface;
	char			*parent;	/* of an 802.1Q iface, or NULL */
	unsigned		 vid;
	struct dhcp_net		 net;
	dhcp_link_fn		 fn;
	void			*arg;

	int			 fd;
	struct event		*read_ev;
	struct event		*check_ev;
	unsigned		 ifindex;	/* as last seen; 0: gone */
	char			*text;		/* what is wrong, or NULL */
	int64_t			 brought_up;	/* the last repair, monotonic ms */
	int			 force;		/* --force: no production check */
};

static void	dhcp_link_read_cb(evutil_socket_t, short, void *);
static void	dhcp_link_check_cb(evutil_socket_t, short, void *);
static void	dhcp_link_schedule(struct dhcp_link *, unsigned);
static void	dhcp_link_check(struct dhcp_link *);
static char	*dhcp_link_repair(struct dhcp_link *, const char *, int,
		    short *);
static char	*dhcp_link_vlan(struct dhcp_link *, unsigned *);
static int	dhcp_link_flags(const char *, short *);

struct dhcp_link *
dhcp_link_watch(struct event_base *base, const struct dhcp_config *dc,
    const struct dhcp_net *net, dhcp_link_fn fn, void *arg, char **cause)
{
	const char		*iface = dc->iface;
	struct dhcp_link	*l;
	struct sockaddr_nl	 sa;
	int			 fd;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    NETLINK_ROUTE);
	if (fd == -1) {
		xasprintf(cause, "cannot watch %s's link: %s", iface,
		    strerror(errno));
		return (NULL);
	}
	memset(&sa, 0, sizeof sa);
	sa.nl_family = AF_NETLINK;
	sa.nl_groups = RTMGRP_LINK | RTMGRP_IPV4_IFADDR | RTMGRP_IPV4_ROUTE;
	if (bind(fd, (struct sockaddr *)&sa, sizeof sa) == -1) {
		xasprintf(cause, "cannot watch %s's link: %s", iface,
		    strerror(errno));
		close(fd);
		return (NULL);
	}
	l = xcalloc(1, sizeof *l);
	l->iface = xstrdup(iface);
	if (dc->vlan_parent != NULL) {
		l->parent = xstrdup(dc->vlan_parent);
		l->vid = dc->vlan_id;
	}
	l->net = *net;
	l->force = dc->force;
	l->fn = fn;
	l->arg = arg;
	l->fd = fd;
	l->ifindex = if_nametoindex(iface);
	l->read_ev = event_new(base, fd, EV_READ | EV_PERSIST,
	    dhcp_link_read_cb, l);
	l->check_ev = evtimer_new(base, dhcp_link_check_cb, l);
	event_add(l->read_ev, NULL);
	dhcp_link_check(l);
	return (l);
}

void
dhcp_link_free(struct dhcp_link *l)
{
	if (l == NULL)
		return;
	event_free(l->read_ev);
	event_free(l->check_ev);
	close(l->fd);
	free(l->iface);
	free(l->parent);
	free(l->text);
	free(l);
}

const char *
dhcp_link_text(const struct dhcp_link *l)
{
	return (l->text);
}

/* What the messages say is not read: the interface itself is looked at. */
static void
dhcp_link_read_cb(evutil_socket_t fd, short events, void *arg)
{
	struct dhcp_link	*l = arg;
	char			 buf[8192];
	ssize_t			 n;

	(void)events;
	/* ENOBUFS: messages were lost; looking again covers them. */
	while ((n = recv(fd, buf, sizeof buf, 0)) > 0 ||
	    (n == -1 && (errno == EINTR || errno == ENOBUFS)))
		;
	/* Sooner than a retry that may be waiting. */
	evtimer_del(l->check_ev);
	dhcp_link_schedule(l, DHCP_LINK_SETTLE_MS);
}

static void
dhcp_link_check_cb(evutil_socket_t fd, short events, void *arg)
{
	(void)fd;
	(void)events;
	dhcp_link_check(arg);
}

static void
dhcp_link_schedule(struct dhcp_link *l, unsigned ms)
{
	struct timeval	tv = { ms / 1000, (ms % 1000) * 1000 };

	if (!evtimer_pending(l->check_ev, NULL))
		evtimer_add(l->check_ev, &tv);
}

static int
dhcp_link_flags(const char *iface, short *flags)
{
	struct ifreq	ifr;
	int		fd, rc;

	if ((fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1)
		return (-1);
	memset(&ifr, 0, sizeof ifr);
	snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", iface);
	rc = ioctl(fd, SIOCGIFFLAGS, &ifr);
	close(fd);
	if (rc == -1)
		return (-1);
	*flags = ifr.ifr_flags;
	return (0);
}

/* The interface there again, down or without the address: both back. */
static char *
dhcp_link_repair(struct dhcp_link *l, const char *addr, int new_interface,
    short *flags)
{
	char	*why = NULL;
	int	 had_address;

	had_address = dhcp_netif_has_address(l->iface, &l->net.addr);
	if (dhcp_netif_set_address(l->iface, &l->net, &why) != 0)
		return (why);
	if (new_interface)
		log_info("dhcp: %s is back: gave it %s/%d again and brought "
		    "it up", l->iface, addr, l->net.prefix);
	else if (!had_address)
		log_info("dhcp: %s lost its address %s/%d: put it back",
		    l->iface, addr, l->net.prefix);
	else
		log_info("dhcp: %s was taken down: brought it up again",
		    l->iface);
	l->brought_up = clock_mono_ms();
	if (dhcp_link_flags(l->iface, flags) == -1)
		*flags = 0;
	return (NULL);
}

/* The 802.1Q link on its parent again; NULL, or why not. */
static char *
dhcp_link_vlan(struct dhcp_link *l, unsigned *ifindex)
{
	char	 name[IFNAMSIZ + 8], *why = NULL;
	int	 made;

	if (vlan_ensure(l->parent, l->vid, name, sizeof name, &made,
	    &why) != 0)
		return (why);
	log_info("dhcp: %s is back: made %s (VLAN %u) on it again",
	    l->parent, name, l->vid);
	*ifindex = if_nametoindex(l->iface);
	return (NULL);
}

static void
dhcp_link_check(struct dhcp_link *l)
{
	char		*text = NULL, *why = NULL, *guard = NULL;
	char		 addr[INET_ADDRSTRLEN];
	unsigned	 ifindex, old_ifindex = l->ifindex;
	short		 flags = 0;
	int		 coming = 0, back;

	inet_ntop(AF_INET, &l->net.addr, addr, sizeof addr);
	ifindex = if_nametoindex(l->iface);
	/* The voice VLAN's link went with its adapter: made again on it. */
	if (ifindex == 0 && l->parent != NULL &&
	    if_nametoindex(l->parent) != 0)
		why = dhcp_link_vlan(l, &ifindex);
	if (ifindex != 0 && dhcp_link_flags(l->iface, &flags) == -1)
		ifindex = 0;	/* gone between the two looks */
	if (why == NULL && ifindex != 0 && (!(flags & IFF_UP) ||
	    !dhcp_netif_has_address(l->iface, &l->net.addr)))
		why = dhcp_link_repair(l, addr, ifindex != old_ifindex,
		    &flags);
	if (why != NULL && ifindex == 0)
		xasprintf(&text, "%s is gone and cannot be made again on %s "
		    "(%s): phones get no address", l->iface, l->parent, why);
	else if (ifindex == 0 && l->parent != NULL)
		xasprintf(&text, "%s is gone with %s (a USB adapter "
		    "unplugged?): plug it back in; VLAN %u and the address "
		    "come back by themselves", l->iface, l->parent, l->vid);
	else if (ifindex == 0)
		xasprintf(&text, "%s is gone (a USB adapter unplugged?): plug "
		    "it back in; its address comes back by itself", l->iface);
	else if (why != NULL)
		xasprintf(&text, "%s lost its address %s/%d and it cannot be "
		    "put back (%s): phones get no address", l->iface, addr,
		    l->net.prefix, why);
	else if (!(flags & IFF_RUNNING) && l->brought_up != 0 &&
	    clock_mono_ms() - l->brought_up < DHCP_LINK_GRACE_MS) {
		coming = 1;
		xasprintf(&text, "%s is coming up: waiting for its link",
		    l->iface);
	} else if (!(flags & IFF_RUNNING))
		xasprintf(&text, "%s has no link: is the cable in, and the "
		    "switch port on?", l->iface);
	else if (!l->force && dhcp_guard_check(l->iface, &l->net, &guard) != 0) {
		/*
		 * What the start refuses, appearing while DHCP serves (the
		 * cable moved to a site port, a network manager's lease): the
		 * start-up checks held only at the start.
		 */
		xasprintf(&text, "%s: is the cable still in the phones' "
		    "switch?", guard);
		free(guard);
	}
	free(why);
	l->ifindex = ifindex;

	/* Said once per change: the log, and the status from l->text. */
	back = text == NULL && l->text != NULL;
	if ((text == NULL) != (l->text == NULL) ||
	    (text != NULL && strcmp(text, l->text) != 0)) {
		if (text == NULL)
			log_info("dhcp: %s has its link and address again: "
			    "phones get leases", l->iface);
		else if (coming)
			log_info("dhcp: %s", text);
		else
			log_warn("dhcp: %s", text);
		free(l->text);
		l->text = text;
	} else
		free(text);
	if (ifindex != 0 && ifindex != old_ifindex)
		l->fn(l->arg, DHCP_LINK_NEW_INTERFACE);
	if (back)
		l->fn(l->arg, DHCP_LINK_BACK);
	if (l->text != NULL)
		dhcp_link_schedule(l, coming ? DHCP_LINK_UP_MS :
		    DHCP_LINK_RETRY_MS);
}
