/*
 * One rtnetlink request and its acknowledgement (rtnl.c): what the
 * appliance changes on its interfaces (an address, a link up, an 802.1Q
 * link made or removed) without iproute2.
 */
#ifndef RTNL_H
#define RTNL_H

#include <linux/if_addr.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <stddef.h>

struct rtnl_req {
	struct nlmsghdr		nh;
	union {
		struct ifaddrmsg	ifa;
		struct ifinfomsg	ifi;
	} u;
	char			attrs[256];
};

/* Start a request of type (RTM_*) and flags for its ifinfomsg or ifaddrmsg. */
void		 rtnl_begin(struct rtnl_req *, int, int, size_t);
/* Append an attribute; data NULL opens a nest for rtnl_nest_end(). */
struct rtattr	*rtnl_attr(struct rtnl_req *, int, const void *, size_t);
void		 rtnl_nest_end(struct rtnl_req *, struct rtattr *);
/*
 * Send it and read the kernel's answer.  0, or -1 with *cause ("cannot
 * WHAT: ...") and errno the kernel's error (or the socket's).
 */
int		 rtnl_talk(struct rtnl_req *, const char *, char **);
/* Bring the link up; name only for the message. */
int		 rtnl_link_up(unsigned, const char *, char **);

#endif
