/*
 * A move of DHCP to another VLAN that does not serve: the sentence the
 * control reply and the status give in each state, and the daemon's state
 * after a move that fails before anything changed (no such interface).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "serve.h"
#include "xmalloc.h"

static void
move(struct dhcp_move *m, int was_on, unsigned from, unsigned to)
{
	memset(m, 0, sizeof *m);
	m->was_on = was_on;
	strcpy(m->from.iface, "eth1");
	strcpy(m->from.address, "10.99.0.1/24");
	m->from.vlan = from;
	strcpy(m->to.iface, "eth1");
	strcpy(m->to.address, "10.99.0.1/24");
	m->to.vlan = to;
}

static void
sentence_is(const struct dhcp_move *m, const char *want)
{
	char	*got = serve_move_sentence(m);

	if (want == NULL) {
		assert_null(got);
		return;
	}
	assert_non_null(got);
	assert_string_equal(got, want);
	free(got);
}

static void
test_sentences(void **state)
{
	struct dhcp_move	m;

	move(&m, 1, 0, 20);
	sentence_is(&m, NULL);		/* nothing refused: nothing to say */
	m.refused = xstrdup("another DHCP server answers on eth1.20: server "
	    "10.20.0.2 offered 10.20.0.50");
	m.going_back = 1;
	sentence_is(&m, "VLAN 20: DHCP refused: another DHCP server answers "
	    "on eth1.20: server 10.20.0.2 offered 10.20.0.50; going back to "
	    "eth1 (untagged)");
	m.going_back = 0;
	sentence_is(&m, "VLAN 20: DHCP refused: another DHCP server answers "
	    "on eth1.20: server 10.20.0.2 offered 10.20.0.50; still serving on "
	    "eth1 (untagged)");
	m.back_failed = xstrdup("DHCP on eth1 did not start: dnsmasq exited");
	sentence_is(&m, "VLAN 20: DHCP refused: another DHCP server answers "
	    "on eth1.20: server 10.20.0.2 offered 10.20.0.50; going back to "
	    "eth1 (untagged) failed too: DHCP on eth1 did not start: dnsmasq "
	    "exited; DHCP is off");
	serve_move_clear(&m);
	assert_null(m.refused);
	assert_int_equal(m.was_on, 0);

	/* From VLAN 20 back to untagged; and a start that was off. */
	move(&m, 1, 20, 0);
	m.refused = xstrdup("why");
	sentence_is(&m, "eth1 untagged: DHCP refused: why; still serving on "
	    "VLAN 20 (eth1.20)");
	serve_move_clear(&m);
	move(&m, 0, 0, 30);
	m.refused = xstrdup("why");
	sentence_is(&m, "VLAN 30: DHCP refused: why; DHCP is off, as it was");
	serve_move_clear(&m);
}

/*
 * "dhcp" with a VLAN on an interface that does not exist fails before
 * anything changed: the reply says why and that DHCP is as it was, the
 * daemon still serves untagged, and the status carries the note.
 */
static void
test_move_fails_first(void **state)
{
	static struct serve	 s;
	json_t			*args, *result = NULL, *status;
	char			*error = NULL;

	memset(&s, 0, sizeof s);
	args = json_pack("{s:b, s:s, s:s, s:i}", "enable", 1, "iface",
	    "ztp-no-such0", "address", "10.99.0.1/24", "vlan", 20);
	assert_int_equal(serve_ctl_dhcp(&s, args, &result, &error), -1);
	assert_string_equal(error, "VLAN 20: DHCP refused: interface "
	    "'ztp-no-such0' does not exist; see 'ip link' for the names; DHCP "
	    "is off, as it was");
	assert_int_equal(s.opt.vlan, 0);
	assert_null(s.dhcp);
	status = json_object();
	serve_move_status(&s, status);
	assert_true(json_is_null(json_object_get(status, "dhcp_iface")));
	assert_int_equal(json_integer_value(json_object_get(json_object_get(
	    status, "dhcp_move"), "vlan")), 20);
	assert_string_equal(json_string_value(json_object_get(json_object_get(
	    status, "dhcp_move"), "text")), error);
	json_decref(status);
	free(error);

	/* Turning DHCP off clears the note. */
	json_decref(args);
	args = json_pack("{s:b}", "enable", 0);
	assert_int_equal(serve_ctl_dhcp(&s, args, &result, &error), 0);
	json_decref(result);
	status = json_object();
	serve_move_status(&s, status);
	assert_true(json_is_null(json_object_get(status, "dhcp_move")));
	json_decref(status);
	json_decref(args);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sentences),
		cmocka_unit_test(test_move_fails_first),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
