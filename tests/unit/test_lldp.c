/* lldpcli's keyvalue output: the voice VLAN, the switch and its port. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "lldp.h"

/* As lldpd 1.0.16 prints a switch with an LLDP-MED voice policy. */
static const char	med[] =
	"lldp.lan0.via=LLDP\n"
	"lldp.lan0.rid=1\n"
	"lldp.lan0.chassis.mac=9e:e7:33:f5:0b:6b\n"
	"lldp.lan0.chassis.name=closet-sw1\n"
	"lldp.lan0.port.mac=9e:e7:33:f5:0b:6b\n"
	"lldp.lan0.port.descr=Gi1/0/7\n"
	"lldp.lan0.lldp-med.device-type=Network Connectivity Device\n"
	"lldp.lan0.lldp-med.policy.apptype=Guest Voice\n"
	"lldp.lan0.lldp-med.policy.vlan.vid=99\n"
	"lldp.lan0.lldp-med.policy.apptype=Voice\n"
	"lldp.lan0.lldp-med.policy.defined=yes\n"
	"lldp.lan0.lldp-med.policy.vlan.vid=20\n"
	"lldp.lan0.lldp-med.policy.priority=Voice\n"
	"lldp.other.lldp-med.policy.vlan.vid=30\n";

static void
test_voice_policy(void **state)
{
	struct lldp_voice	 v;
	char			*text;

	assert_int_equal(lldp_parse_keyvalue(med, "lan0", &v), 1);
	assert_int_equal(v.vlan, 20);
	assert_string_equal(v.via, "LLDP-MED");
	assert_string_equal(v.chassis, "closet-sw1");
	assert_string_equal(v.port, "Gi1/0/7");
	text = lldp_describe(&v);
	assert_string_equal(text,
	    "voice vlan 20 (LLDP-MED from switch closet-sw1, port Gi1/0/7)");
	free(text);
	/* Another interface's neighbour is not ours. */
	assert_int_equal(lldp_parse_keyvalue(med, "lan", &v), 0);
}

static void
test_cdp_and_nothing(void **state)
{
	struct lldp_voice	 v;
	char			*text;
	static const char	 cdp[] =
	    "lldp.eth1.via=CDPv2\n"
	    "lldp.eth1.chassis.local=sw2.example\n"
	    "lldp.eth1.port.ifname=FastEthernet0/3\n"
	    "lldp.eth1.vlan.vlan-id=10\n";

	assert_int_equal(lldp_parse_keyvalue(cdp, "eth1", &v), 1);
	assert_int_equal(v.vlan, -1);
	assert_int_equal(v.native_vlan, 10);
	text = lldp_describe(&v);
	assert_string_equal(text, "no voice vlan offered; native vlan 10 "
	    "(CDP from switch sw2.example, port FastEthernet0/3)");
	free(text);
	assert_int_equal(lldp_parse_keyvalue("", "eth1", &v), 0);
	assert_int_equal(lldp_parse_keyvalue("lldp.eth1\n=x", "eth1", &v), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_voice_policy),
		cmocka_unit_test(test_cdp_and_nothing),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
