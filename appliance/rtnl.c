/*
 * One rtnetlink request and its acknowledgement: see rtnl.h.
 */
#include <sys/socket.h>
#include <net/if.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "rtnl.h"
#include "xmalloc.h"

void
rtnl_begin(struct rtnl_req *req, int type, int flags, size_t body)
{
	memset(req, 0, sizeof *req);
	req->nh.nlmsg_len = NLMSG_LENGTH(body);
	req->nh.nlmsg_type = type;
	req->nh.nlmsg_flags = flags;
}

struct rtattr *
rtnl_attr(struct rtnl_req *req, int type, const void *data, size_t len)
{
	struct rtattr	*rta;

	rta = (struct rtattr *)((char *)req + NLMSG_ALIGN(req->nh.nlmsg_len));
	rta->rta_type = type;
	rta->rta_len = RTA_LENGTH(len);
	if (data != NULL && len != 0)
		memcpy(RTA_DATA(rta), data, len);
	req->nh.nlmsg_len = NLMSG_ALIGN(req->nh.nlmsg_len) +
	    RTA_ALIGN(rta->rta_len);
	return (rta);
}

void
rtnl_nest_end(struct rtnl_req *req, struct rtattr *nest)
{
	nest->rta_len = (char *)req + req->nh.nlmsg_len - (char *)nest;
}

int
rtnl_talk(struct rtnl_req *req, const char *what, char **cause)
{
	struct sockaddr_nl	 snl;
	char			 buf[4096];
	struct nlmsghdr		*nh;
	struct nlmsgerr		*err;
	ssize_t			 n;
	int			 fd, saved;

	if ((fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC,
	    NETLINK_ROUTE)) == -1) {
		saved = errno;
		xasprintf(cause, "netlink: %s", strerror(saved));
		errno = saved;
		return (-1);
	}
	memset(&snl, 0, sizeof snl);
	snl.nl_family = AF_NETLINK;
	req->nh.nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
	req->nh.nlmsg_seq = 1;
	if (sendto(fd, req, req->nh.nlmsg_len, 0, (struct sockaddr *)&snl,
	    sizeof snl) == -1 || (n = recv(fd, buf, sizeof buf, 0)) == -1) {
		saved = errno;
		xasprintf(cause, "cannot %s: %s", what, strerror(saved));
		close(fd);
		errno = saved;
		return (-1);
	}
	close(fd);
	nh = (struct nlmsghdr *)buf;
	if (!NLMSG_OK(nh, (size_t)n) || nh->nlmsg_type != NLMSG_ERROR) {
		xasprintf(cause, "cannot %s: unexpected netlink reply", what);
		errno = EPROTO;
		return (-1);
	}
	err = NLMSG_DATA(nh);
	if (err->error == 0)
		return (0);
	xasprintf(cause, "cannot %s: %s%s", what, strerror(-err->error),
	    err->error == -EPERM ? " (run as root)" : "");
	errno = -err->error;
	return (-1);
}

int
rtnl_link_up(unsigned ifindex, const char *name, char **cause)
{
	struct rtnl_req	req;
	char		what[64];

	rtnl_begin(&req, RTM_NEWLINK, 0, sizeof req.u.ifi);
	req.u.ifi.ifi_family = AF_UNSPEC;
	req.u.ifi.ifi_index = ifindex;
	req.u.ifi.ifi_flags = IFF_UP;
	req.u.ifi.ifi_change = IFF_UP;
	snprintf(what, sizeof what, "bring %s up", name);
	return (rtnl_talk(&req, what, cause));
}
