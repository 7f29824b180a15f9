/*
 * The 802.1Q interface the appliance serves a voice VLAN on: PARENT.VID,
 * made over rtnetlink (IFLA_LINKINFO kind "vlan", IFLA_VLAN_ID) when it
 * does not exist, and brought up with its parent.  See lldp.h.
 */
#include <sys/socket.h>
#include <linux/if_link.h>
#include <net/if.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lldp.h"
#include "rtnl.h"
#include "xmalloc.h"

int
vlan_ensure(const char *parent, unsigned vid, char *name, size_t size,
    int *made, char **cause)
{
	struct rtnl_req	 req;
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
	if (rtnl_link_up(pindex, parent, cause) != 0)
		return (-1);
	if ((index = if_nametoindex(name)) == 0) {
		rtnl_begin(&req, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL,
		    sizeof req.u.ifi);
		req.u.ifi.ifi_family = AF_UNSPEC;
		rtnl_attr(&req, IFLA_LINK, &pindex, sizeof pindex);
		rtnl_attr(&req, IFLA_IFNAME, name, strlen(name) + 1);
		info = rtnl_attr(&req, IFLA_LINKINFO, NULL, 0);
		if (stand_in)
			rtnl_attr(&req, IFLA_INFO_KIND, "macvlan", 7);
		else {
			rtnl_attr(&req, IFLA_INFO_KIND, "vlan", 4);
			data = rtnl_attr(&req, IFLA_INFO_DATA, NULL, 0);
			rtnl_attr(&req, IFLA_VLAN_ID, &id, sizeof id);
			rtnl_nest_end(&req, data);
		}
		rtnl_nest_end(&req, info);
		snprintf(what, sizeof what, "make %s (VLAN %u on %s)", name,
		    vid, parent);
		if (rtnl_talk(&req, what, cause) != 0) {
			if (errno == EOPNOTSUPP) {
				free(*cause);
				xasprintf(cause, "cannot %s: this kernel has no "
				    "802.1Q VLAN support (module 8021q): load "
				    "the 8021q module (modprobe 8021q), or serve "
				    "the phones untagged", what);
			}
			return (-1);
		}
		if ((index = if_nametoindex(name)) == 0) {
			xasprintf(cause, "%s was made but cannot be found",
			    name);
			return (-1);
		}
		*made = 1;
	}
	if (rtnl_link_up(index, name, cause) != 0) {
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
	struct rtnl_req	req;
	unsigned	index;
	char		what[64];

	if ((index = if_nametoindex(name)) == 0)
		return (0);	/* gone already */
	rtnl_begin(&req, RTM_DELLINK, 0, sizeof req.u.ifi);
	req.u.ifi.ifi_family = AF_UNSPEC;
	req.u.ifi.ifi_index = index;
	snprintf(what, sizeof what, "remove %s", name);
	return (rtnl_talk(&req, what, cause));
}
