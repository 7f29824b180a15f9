/*
 * Safety before serving DHCP: an interface with a default route, or with an
 * address the operator did not give the appliance, is most likely a
 * production network the laptop was plugged into by mistake.  Handing out
 * addresses there would break it, so we refuse unless forced.
 */
#include <sys/socket.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>

#include <ifaddrs.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dhcp.h"
#include "xmalloc.h"

static int	dhcp_guard_default_route4(const char *);
static int	dhcp_guard_default_route6(const char *);

/* /proc/net/route: "Iface Destination Gateway Flags ... Mask ..." in hex. */
static int
dhcp_guard_default_route4(const char *iface)
{
	FILE		*f;
	char		 line[512], name[IFNAMSIZ + 1];
	unsigned long	 dest, gw, flags, mask;
	int		 found = 0;

	if ((f = fopen("/proc/net/route", "r")) == NULL)
		return (0);
	while (fgets(line, sizeof line, f) != NULL) {
		if (sscanf(line, "%16s %lx %lx %lx %*s %*s %*s %lx", name,
		    &dest, &gw, &flags, &mask) != 5)
			continue;
		if (strcmp(name, iface) == 0 && dest == 0 && mask == 0 &&
		    (flags & 0x1))	/* RTF_UP */
			found = 1;
	}
	fclose(f);
	return (found);
}

/* /proc/net/ipv6_route: "dest plen src plen next metric ref use flags dev". */
static int
dhcp_guard_default_route6(const char *iface)
{
	FILE		*f;
	char		 line[512], dest[33], name[IFNAMSIZ + 1];
	unsigned	 plen;
	int		 found = 0;

	if ((f = fopen("/proc/net/ipv6_route", "r")) == NULL)
		return (0);
	while (fgets(line, sizeof line, f) != NULL) {
		if (sscanf(line, "%32s %x %*s %*s %*s %*s %*s %*s %*s %16s",
		    dest, &plen, name) != 3)
			continue;
		if (strcmp(name, iface) == 0 && plen == 0 &&
		    strspn(dest, "0") == 32)
			found = 1;
	}
	fclose(f);
	return (found);
}

int
dhcp_guard_default_route(const char *iface)
{
	return (dhcp_guard_default_route4(iface) ||
	    dhcp_guard_default_route6(iface));
}

/* The prefix length of a contiguous netmask, or -1. */
static int
dhcp_guard_prefix(const struct sockaddr *mask)
{
	uint32_t	m;
	int		n = 0;

	if (mask == NULL || mask->sa_family != AF_INET)
		return (-1);
	m = ntohl(((const struct sockaddr_in *)mask)->sin_addr.s_addr);
	while (m & 0x80000000U) {
		n++;
		m <<= 1;
	}
	return (m == 0 ? n : -1);
}

int
dhcp_guard_check(const char *iface, const struct dhcp_net *net, char **cause)
{
	struct ifaddrs		*ifa, *i;
	struct sockaddr_in	*sin;
	struct sockaddr_in6	*sin6;
	char			 text[INET6_ADDRSTRLEN], *foreign = NULL;
	int			 plen;

	if (strlen(iface) >= IFNAMSIZ || if_nametoindex(iface) == 0) {
		xasprintf(cause, "interface '%s' does not exist; see 'ztp-rescue "
		    "net' or 'ip link' for the names", iface);
		return (-1);
	}
	if (dhcp_guard_default_route(iface)) {
		xasprintf(cause, "interface %s has a default route: it looks "
		    "like a production network, where serving DHCP would harm "
		    "it; cable the appliance to the phones' isolated switch, or "
		    "use --force if you are sure", iface);
		return (-1);
	}
	if (getifaddrs(&ifa) == -1) {
		xasprintf(cause, "cannot list the addresses of %s", iface);
		return (-1);
	}
	for (i = ifa; i != NULL && foreign == NULL; i = i->ifa_next) {
		if (i->ifa_addr == NULL || strcmp(i->ifa_name, iface) != 0)
			continue;
		if (i->ifa_addr->sa_family == AF_INET) {
			sin = (struct sockaddr_in *)i->ifa_addr;
			if (sin->sin_addr.s_addr == net->addr.s_addr &&
			    (plen = dhcp_guard_prefix(i->ifa_netmask)) != -1 &&
			    plen != net->prefix) {
				/* dnsmasq would lease where we cannot reach. */
				inet_ntop(AF_INET, &sin->sin_addr, text,
				    sizeof text);
				xasprintf(cause, "interface %s has the "
				    "appliance's address %s with prefix /%d, "
				    "not /%d: phones leased outside /%d could "
				    "not be reached; remove it ('ip addr del "
				    "%s/%d dev %s': it is put back with /%d), "
				    "or give --address %s/%d", iface, text,
				    plen, net->prefix, plen, text, plen, iface,
				    net->prefix, text, plen);
				freeifaddrs(ifa);
				return (-1);
			}
			if (sin->sin_addr.s_addr == net->addr.s_addr)
				continue;
			inet_ntop(AF_INET, &sin->sin_addr, text, sizeof text);
			foreign = xstrdup(text);
		} else if (i->ifa_addr->sa_family == AF_INET6) {
			sin6 = (struct sockaddr_in6 *)i->ifa_addr;
			if (IN6_IS_ADDR_LINKLOCAL(&sin6->sin6_addr))
				continue;
			inet_ntop(AF_INET6, &sin6->sin6_addr, text,
			    sizeof text);
			foreign = xstrdup(text);
		}
	}
	freeifaddrs(ifa);
	if (foreign != NULL) {
		inet_ntop(AF_INET, &net->addr, text, sizeof text);
		xasprintf(cause, "interface %s has address %s, which is not the "
		    "appliance's (%s): another network configured it, and "
		    "serving DHCP there could harm it; remove it ('ip addr del "
		    "%s dev %s'), or use --force if you are sure", iface,
		    foreign, text, foreign, iface);
		free(foreign);
		return (-1);
	}
	return (0);
}
