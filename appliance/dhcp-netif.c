/*
 * The served interface itself: give it the appliance's address and bring it
 * up, or take the address away (rtnetlink, so the appliance needs no
 * iproute2), and describe it for the technician: link, carrier, addresses,
 * default route.
 */
#include <sys/socket.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>

#include <errno.h>
#include <ifaddrs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dhcp.h"
#include "rtnl.h"
#include "xmalloc.h"

static char	*dhcp_netif_sysfs(const char *, const char *);

int
dhcp_netif_set_address(const char *iface, const struct dhcp_net *net,
    char **cause)
{
	struct rtnl_req		 req;
	unsigned		 ifindex;
	char			 what[128];

	if (strlen(iface) >= IFNAMSIZ || (ifindex = if_nametoindex(iface)) ==
	    0) {
		xasprintf(cause, "interface '%s' does not exist; see "
		    "'ip link' for the names", iface);
		return (-1);
	}
	if (!dhcp_netif_has_address(iface, &net->addr)) {
		rtnl_begin(&req, RTM_NEWADDR, NLM_F_CREATE | NLM_F_REPLACE,
		    sizeof req.u.ifa);
		req.u.ifa.ifa_family = AF_INET;
		req.u.ifa.ifa_prefixlen = net->prefix;
		req.u.ifa.ifa_scope = RT_SCOPE_UNIVERSE;
		req.u.ifa.ifa_index = ifindex;
		rtnl_attr(&req, IFA_LOCAL, &net->addr, 4);
		rtnl_attr(&req, IFA_ADDRESS, &net->addr, 4);
		rtnl_attr(&req, IFA_BROADCAST, &net->broadcast, 4);
		snprintf(what, sizeof what, "add the address to %s", iface);
		if (rtnl_talk(&req, what, cause) != 0)
			return (-1);
	}
	return (rtnl_link_up(ifindex, iface, cause));
}

/*
 * Take the address from iface (a move: the same subnet on two links would
 * send the phones' replies out of the wrong one).  1 when it was taken, 0
 * when iface did not have it, -1 with *cause.
 */
int
dhcp_netif_remove_address(const char *iface, const struct dhcp_net *net,
    char **cause)
{
	struct rtnl_req		 req;
	unsigned		 ifindex;
	char			 what[128];

	if (strlen(iface) >= IFNAMSIZ || (ifindex = if_nametoindex(iface)) ==
	    0 || !dhcp_netif_has_address(iface, &net->addr))
		return (0);
	rtnl_begin(&req, RTM_DELADDR, 0, sizeof req.u.ifa);
	req.u.ifa.ifa_family = AF_INET;
	req.u.ifa.ifa_prefixlen = net->prefix;
	req.u.ifa.ifa_index = ifindex;
	rtnl_attr(&req, IFA_LOCAL, &net->addr, 4);
	snprintf(what, sizeof what, "remove the address from %s", iface);
	return (rtnl_talk(&req, what, cause) == 0 ? 1 : -1);
}

int
dhcp_netif_has_address(const char *iface, const struct in_addr *in)
{
	struct ifaddrs	*ifa, *i;
	int		 found = 0;

	if (getifaddrs(&ifa) == -1)
		return (0);
	for (i = ifa; i != NULL; i = i->ifa_next) {
		if (i->ifa_addr != NULL && i->ifa_addr->sa_family == AF_INET &&
		    strcmp(i->ifa_name, iface) == 0 &&
		    ((struct sockaddr_in *)i->ifa_addr)->sin_addr.s_addr ==
		    in->s_addr)
			found = 1;
	}
	freeifaddrs(ifa);
	return (found);
}

static char *
dhcp_netif_sysfs(const char *iface, const char *name)
{
	char	 path[256], buf[64];
	FILE	*f;

	snprintf(path, sizeof path, "/sys/class/net/%s/%s", iface, name);
	if ((f = fopen(path, "r")) == NULL)
		return (xstrdup("unknown"));
	if (fgets(buf, sizeof buf, f) == NULL)
		snprintf(buf, sizeof buf, "unknown");
	fclose(f);
	buf[strcspn(buf, "\n")] = '\0';
	return (xstrdup(buf));
}

int
dhcp_netif_describe(const char *iface, char **out, char **cause)
{
	struct ifaddrs	*ifa, *i;
	char		*oper, *carrier, *mac, *addrs, *tmp;
	char		 text[INET6_ADDRSTRLEN];
	unsigned	 flags = 0;
	int		 prefix, b;
	const void	*src;
	const uint8_t	*m;

	if (strlen(iface) >= IFNAMSIZ || if_nametoindex(iface) == 0) {
		xasprintf(cause, "interface '%s' does not exist; see 'ip link' "
		    "for the names", iface);
		return (-1);
	}
	if (getifaddrs(&ifa) == -1) {
		xasprintf(cause, "cannot list interfaces: %s", strerror(errno));
		return (-1);
	}
	addrs = xstrdup("");
	for (i = ifa; i != NULL; i = i->ifa_next) {
		if (strcmp(i->ifa_name, iface) != 0 || i->ifa_addr == NULL)
			continue;
		flags = i->ifa_flags;
		if (i->ifa_addr->sa_family == AF_INET) {
			src = &((struct sockaddr_in *)i->ifa_addr)->sin_addr;
			m = (const uint8_t *)&((struct sockaddr_in *)
			    i->ifa_netmask)->sin_addr;
			prefix = 0;
			for (b = 0; b < 32; b++)
				prefix += (m[b / 8] >> (7 - b % 8)) & 1;
			inet_ntop(AF_INET, src, text, sizeof text);
		} else if (i->ifa_addr->sa_family == AF_INET6) {
			src = &((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr;
			m = (const uint8_t *)&((struct sockaddr_in6 *)
			    i->ifa_netmask)->sin6_addr;
			prefix = 0;
			for (b = 0; b < 128; b++)
				prefix += (m[b / 8] >> (7 - b % 8)) & 1;
			inet_ntop(AF_INET6, src, text, sizeof text);
		} else
			continue;
		xasprintf(&tmp, "%s%s%s/%d", addrs, *addrs ? " " : "", text,
		    prefix);
		free(addrs);
		addrs = tmp;
	}
	freeifaddrs(ifa);
	oper = dhcp_netif_sysfs(iface, "operstate");
	carrier = dhcp_netif_sysfs(iface, "carrier");
	mac = dhcp_netif_sysfs(iface, "address");
	if (flags == 0) {
		/* No addresses: ask the link's flags from sysfs instead. */
		tmp = dhcp_netif_sysfs(iface, "flags");
		flags = strtoul(tmp, NULL, 16);
		free(tmp);
	}
	xasprintf(out, "interface: %s\n"
	    "mac: %s\n"
	    "link: %s\n"
	    "operstate: %s\n"
	    "carrier: %s\n"
	    "addresses: %s\n"
	    "default-route: %s\n",
	    iface, mac, (flags & IFF_UP) ? "up" : "down", oper,
	    strcmp(carrier, "1") == 0 ? "yes" :
	    strcmp(carrier, "0") == 0 ? "no" : "unknown",
	    *addrs ? addrs : "none",
	    dhcp_guard_default_route(iface) ? "yes" : "no");
	free(oper);
	free(carrier);
	free(mac);
	free(addrs);
	return (0);
}
