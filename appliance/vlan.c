/*
 * The 802.1Q interface the appliance serves a voice VLAN on: PARENT.VID,
 * made over rtnetlink (IFLA_LINKINFO kind "vlan", IFLA_VLAN_ID) when it
 * does not exist, and brought up with its parent.  See lldp.h.
 */
#include <sys/socket.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lldp.h"
#include "xmalloc.h"

struct vlan_req {
	struct nlmsghdr		nh;
	struct ifinfomsg	ifi;
	char			attrs[256];
};

static struct rtattr *
vlan_attr(struct vlan_req *req, int type, const void *data, size_t len)
{
	struct rtattr	*rta;

	rta = (struct rtattr *)((char *)req + NLMSG_ALIGN(req->nh.nlmsg_len));
	rta->rta_type = type;
	rta->rta_len = RTA_LENGTH(len);
	if (len != 0)
		memcpy(RTA_DATA(rta), data, len);
	req->nh.nlmsg_len = NLMSG_ALIGN(req->nh.nlmsg_len) +
	    RTA_ALIGN(rta->rta_len);
	return (rta);
}

/* Close a nested attribute opened by vlan_attr(..., NULL, 0). */
static void
vlan_nest_end(struct vlan_req *req, struct rtattr *nest)
{
	nest->rta_len = (char *)req + req->nh.nlmsg_len - (char *)nest;
}

static int
vlan_talk(struct vlan_req *req, const char *what, char **cause)
{
	struct sockaddr_nl	 snl;
	char			 buf[4096];
	struct nlmsghdr		*nh;
	struct nlmsgerr		*err;
	ssize_t			 n;
	int			 fd;

	if ((fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC,
	    NETLINK_ROUTE)) == -1) {
		xasprintf(cause, "netlink: %s", strerror(errno));
		return (-1);
	}
	memset(&snl, 0, sizeof snl);
	snl.nl_family = AF_NETLINK;
	req->nh.nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
	req->nh.nlmsg_seq = 1;
	if (sendto(fd, req, req->nh.nlmsg_len, 0, (struct sockaddr *)&snl,
	    sizeof snl) == -1 || (n = recv(fd, buf, sizeof buf, 0)) == -1) {
		xasprintf(cause, "cannot %s: %s", what, strerror(errno));
		close(fd);
		return (-1);
	}
	close(fd);
	nh = (struct nlmsghdr *)buf;
	if (!NLMSG_OK(nh, (size_t)n) || nh->nlmsg_type != NLMSG_ERROR) {
		xasprintf(cause, "cannot %s: unexpected netlink reply", what);
		return (-1);
	}
	err = NLMSG_DATA(nh);
	if (err->error == -EOPNOTSUPP)
		xasprintf(cause, "cannot %s: this kernel has no 802.1Q VLAN "
		    "support (module 8021q): load the 8021q module (modprobe "
		    "8021q), or serve the phones untagged", what);
	else if (err->error != 0)
		xasprintf(cause, "cannot %s: %s%s", what, strerror(-err->error),
		    err->error == -EPERM ? " (run as root)" : "");
	return (err->error != 0 ? -1 : 0);
}

static int
vlan_up(unsigned ifindex, const char *name, char **cause)
{
	struct vlan_req	req;
	char		what[64];

	memset(&req, 0, sizeof req);
	req.nh.nlmsg_len = NLMSG_LENGTH(sizeof req.ifi);
	req.nh.nlmsg_type = RTM_NEWLINK;
	req.ifi.ifi_family = AF_UNSPEC;
	req.ifi.ifi_index = ifindex;
	req.ifi.ifi_flags = IFF_UP;
	req.ifi.ifi_change = IFF_UP;
	snprintf(what, sizeof what, "bring %s up", name);
	return (vlan_talk(&req, what, cause));
}

int
vlan_ensure(const char *parent, unsigned vid, char *name, size_t size,
    int *made, char **cause)
{
	struct vlan_req	 req;
	struct rtattr	*info, *data;
	unsigned	 pindex, index;
	uint16_t	 id = vid;
	char		 what[96], *why = NULL;
	const char	*kind;
	int		 n, stand_in;

	*made = 0;
	/*
	 * For the tests on a kernel without 802.1Q only: an untagged macvlan
	 * of the same name stands in, so that what is done with a link the
	 * appliance made (removed when the start fails) can be checked.
	 */
	kind = getenv("ZTP_RESCUE_TEST_VLAN_KIND");
	stand_in = kind != NULL && strcmp(kind, "macvlan") == 0;

	if (vid < 1 || vid > 4094) {
		xasprintf(cause, "VLAN %u is not a VLAN ID (1 to 4094)", vid);
		return (-1);
	}
	if ((pindex = if_nametoindex(parent)) == 0) {
		xasprintf(cause, "interface '%s' does not exist; see 'ip link' "
		    "for the names", parent);
		return (-1);
	}
	n = snprintf(name, size, "%s.%u", parent, vid);
	if (n < 0 || (size_t)n >= size || (size_t)n >= IFNAMSIZ) {
		xasprintf(cause, "the VLAN interface name %s.%u is too long",
		    parent, vid);
		return (-1);
	}
	if (vlan_up(pindex, parent, cause) != 0)
		return (-1);
	if ((index = if_nametoindex(name)) == 0) {
		memset(&req, 0, sizeof req);
		req.nh.nlmsg_len = NLMSG_LENGTH(sizeof req.ifi);
		req.nh.nlmsg_type = RTM_NEWLINK;
		req.nh.nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL;
		req.ifi.ifi_family = AF_UNSPEC;
		vlan_attr(&req, IFLA_LINK, &pindex, sizeof pindex);
		vlan_attr(&req, IFLA_IFNAME, name, strlen(name) + 1);
		info = vlan_attr(&req, IFLA_LINKINFO, NULL, 0);
		if (stand_in)
			vlan_attr(&req, IFLA_INFO_KIND, "macvlan", 7);
		else {
			vlan_attr(&req, IFLA_INFO_KIND, "vlan", 4);
			data = vlan_attr(&req, IFLA_INFO_DATA, NULL, 0);
			vlan_attr(&req, IFLA_VLAN_ID, &id, sizeof id);
			vlan_nest_end(&req, data);
		}
		vlan_nest_end(&req, info);
		snprintf(what, sizeof what, "make %s (VLAN %u on %s)", name,
		    vid, parent);
		if (vlan_talk(&req, what, cause) != 0)
			return (-1);
		if ((index = if_nametoindex(name)) == 0) {
			xasprintf(cause, "%s was made but cannot be found",
			    name);
			return (-1);
		}
		*made = 1;
	}
	if (vlan_up(index, name, cause) != 0) {
		if (*made && vlan_remove(name, &why) != 0)
			free(why);	/* the first failure is the one told */
		*made = 0;
		return (-1);
	}
	return (0);
}

int
vlan_remove(const char *name, char **cause)
{
	struct vlan_req	req;
	unsigned	index;
	char		what[64];

	if ((index = if_nametoindex(name)) == 0)
		return (0);	/* gone already */
	memset(&req, 0, sizeof req);
	req.nh.nlmsg_len = NLMSG_LENGTH(sizeof req.ifi);
	req.nh.nlmsg_type = RTM_DELLINK;
	req.ifi.ifi_family = AF_UNSPEC;
	req.ifi.ifi_index = index;
	snprintf(what, sizeof what, "remove %s", name);
	return (vlan_talk(&req, what, cause));
}
