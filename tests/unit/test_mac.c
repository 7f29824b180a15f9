/* mac_parse: the one grammar (mac.h), every accepted form and the refusals. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "mac.h"

static void
accepted(const char *in)
{
	char	out[MAC_TEXT_LEN + 1];

	memset(out, 'x', sizeof out);
	if (mac_parse(in, out) != 0)
		fail_msg("'%s' refused", in);
	assert_string_equal(out, "0004f2aabbcc");
}

static void
refused(const char *in)
{
	char	out[MAC_TEXT_LEN + 1];

	if (mac_parse(in, out) != -1)
		fail_msg("'%s' accepted", in);
}

static void
test_accepted(void **state)
{
	accepted("0004f2aabbcc");
	accepted("0004F2AABBCC");
	accepted("00:04:f2:aa:bb:cc");
	accepted("00:04:F2:aa:BB:cc");
	accepted("00-04-f2-aa-bb-cc");
	accepted("0004.f2aa.bbcc");
	accepted("0004.F2AA.BBCC");
}

static void
test_refused(void **state)
{
	refused(NULL);
	refused("");
	refused("0004f2aabbc");			/* eleven digits */
	refused("0004f2aabbcc0");		/* thirteen */
	refused("0004f2aabbcg");		/* not hex */
	refused("00:04:f2:aa:bb");		/* five pairs */
	refused("00:04:f2:aa:bb:cc:dd");	/* seven */
	refused("00:04-f2:aa:bb:cc");		/* mixed separators */
	refused("00.04.f2.aa.bb.cc");		/* dots between pairs */
	refused("0:004:f2:aa:bb:cc");		/* a separator misplaced */
	refused("00:04:f2aabbcc");
	refused("000:4f2:aab:bcc:");
	refused("00:04:f2:aa:bb:c:");
	refused("0004:f2aa:bbcc");		/* colons between fours */
	refused("0004-f2aa-bbcc");
	refused("00:04:f2:aa:bb:cc ");		/* spaces */
	refused(" 0004f2aabbcc");
	refused("0x04f2aabbcc");
	refused("00 04 f2 aa bb cc");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_accepted),
		cmocka_unit_test(test_refused),
	};

	return (cmocka_run_group_tests_name("mac", tests, NULL, NULL));
}
