/*
 * rtnl.c: the bytes of a request (attributes and nests laid out as the
 * kernel parses them, the same request vlan.c sends to make eth1.20) and
 * what a refusal from the kernel turns into.
 */
#include <net/if.h>
#include <linux/if_link.h>

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "rtnl.h"

/* The attribute at offset off: its length and type. */
static const struct rtattr *
attr_at(const struct rtnl_req *req, size_t off, unsigned short len,
    unsigned short type)
{
	const struct rtattr	*rta = (const void *)((const char *)req + off);

	assert_int_equal(rta->rta_len, len);
	assert_int_equal(rta->rta_type, type);
	return (rta);
}

static void
test_vlan_request_layout(void **state)
{
	struct rtnl_req		 req;
	struct rtattr		*info, *data;
	const struct rtattr	*a;
	uint32_t		 link = 7, v32;
	uint16_t		 id = 20, v16;
	const char		*name = "eth1.20";

	(void)state;
	rtnl_begin(&req, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL,
	    sizeof req.u.ifi);
	assert_int_equal(req.nh.nlmsg_len, 32);	/* header 16 + ifinfomsg 16 */
	assert_int_equal(req.nh.nlmsg_type, RTM_NEWLINK);
	assert_int_equal(req.nh.nlmsg_flags, NLM_F_CREATE | NLM_F_EXCL);

	rtnl_attr(&req, IFLA_LINK, &link, sizeof link);
	rtnl_attr(&req, IFLA_IFNAME, name, strlen(name) + 1);
	info = rtnl_attr(&req, IFLA_LINKINFO, NULL, 0);
	rtnl_attr(&req, IFLA_INFO_KIND, "vlan", 4);
	data = rtnl_attr(&req, IFLA_INFO_DATA, NULL, 0);
	rtnl_attr(&req, IFLA_VLAN_ID, &id, sizeof id);
	rtnl_nest_end(&req, data);
	rtnl_nest_end(&req, info);

	/* 32 + link 8 + name 12 + linkinfo (4 + kind 8 + data (4 + id 8)). */
	assert_int_equal(req.nh.nlmsg_len, 76);
	a = attr_at(&req, 32, 8, IFLA_LINK);
	memcpy(&v32, RTA_DATA(a), sizeof v32);
	assert_int_equal(v32, 7);
	a = attr_at(&req, 40, 12, IFLA_IFNAME);
	assert_memory_equal(RTA_DATA(a), "eth1.20", 8);
	attr_at(&req, 52, 24, IFLA_LINKINFO);
	a = attr_at(&req, 56, 8, IFLA_INFO_KIND);
	assert_memory_equal(RTA_DATA(a), "vlan", 4);
	attr_at(&req, 64, 12, IFLA_INFO_DATA);
	a = attr_at(&req, 68, 6, IFLA_VLAN_ID);	/* padded to 8 */
	memcpy(&v16, RTA_DATA(a), sizeof v16);
	assert_int_equal(v16, 20);
	assert_int_equal(((const char *)&req)[74], 0);
	assert_int_equal(((const char *)&req)[75], 0);
}

/* A nest with nothing in it is its header alone. */
static void
test_empty_nest(void **state)
{
	struct rtnl_req	 req;
	struct rtattr	*nest;

	(void)state;
	rtnl_begin(&req, RTM_NEWLINK, 0, sizeof req.u.ifi);
	nest = rtnl_attr(&req, IFLA_LINKINFO, NULL, 0);
	rtnl_nest_end(&req, nest);
	assert_int_equal(nest->rta_len, 4);
	assert_int_equal(req.nh.nlmsg_len, 36);
}

/*
 * The kernel's refusal, as the caller sees it: "cannot WHAT: reason" and
 * errno set to the kernel's error (vlan.c tells EOPNOTSUPP apart by it).
 * As root, a link that does not exist; otherwise the refusal of root's
 * right, with the hint.
 */
static void
test_kernel_refusal(void **state)
{
	struct rtnl_req	 req;
	char		*cause = NULL;

	(void)state;
	rtnl_begin(&req, RTM_DELLINK, 0, sizeof req.u.ifi);
	req.u.ifi.ifi_family = AF_UNSPEC;
	req.u.ifi.ifi_index = 0x7ffffff0;
	errno = 0;
	assert_int_equal(rtnl_talk(&req, "remove nothing", &cause), -1);
	if (geteuid() == 0) {
		assert_int_equal(errno, ENODEV);
		assert_string_equal(cause, "cannot remove nothing: No such "
		    "device");
	} else {
		assert_int_equal(errno, EPERM);
		assert_string_equal(cause, "cannot remove nothing: Operation "
		    "not permitted (run as root)");
	}
	free(cause);
}

/* lo is up already: bringing it up again is acknowledged (root). */
static void
test_link_up(void **state)
{
	char	*cause = NULL;
	int	 rc;

	(void)state;
	rc = rtnl_link_up(if_nametoindex("lo"), "lo", &cause);
	if (geteuid() == 0) {
		assert_int_equal(rc, 0);
		assert_null(cause);
	} else {
		assert_int_equal(rc, -1);
		assert_string_equal(cause, "cannot bring lo up: Operation not "
		    "permitted (run as root)");
		free(cause);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vlan_request_layout),
		cmocka_unit_test(test_empty_nest),
		cmocka_unit_test(test_kernel_refusal),
		cmocka_unit_test(test_link_up),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
