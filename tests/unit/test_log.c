/* log_escape: bytes from the network must reach logs and terminals inert. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "log.h"

static void
check_escape(const char *in, size_t len, const char *want)
{
	char	*got = log_escape(in, len);

	assert_string_equal(got, want);
	free(got);
}

static void
test_printable_unchanged(void **state)
{
	check_escape("0004f2aabbcc.cfg", 16, "0004f2aabbcc.cfg");
}

static void
test_controls_and_high_bytes_escaped(void **state)
{
	check_escape("a\nb\x1b[2J\xff", 8, "a\\x0ab\\x1b[2J\\xff");
}

static void
test_nul_inside_is_visible(void **state)
{
	check_escape("x\0../etc", 8, "x\\x00../etc");
}

static void
test_backslash_doubled(void **state)
{
	check_escape("a\\x41", 5, "a\\\\x41");
}

static void
test_empty(void **state)
{
	check_escape("", 0, "");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_printable_unchanged),
		cmocka_unit_test(test_controls_and_high_bytes_escaped),
		cmocka_unit_test(test_nul_inside_is_visible),
		cmocka_unit_test(test_backslash_doubled),
		cmocka_unit_test(test_empty),
	};

	return (cmocka_run_group_tests_name("log", tests, NULL, NULL));
}
