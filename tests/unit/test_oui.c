/* The Polycom OUI list: its file format, the built-in list, the matches. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "oui.h"

static void
test_builtin_list(void **state)
{
	const struct oui_list	*ol = oui_current();
	static const uint8_t	 a[6] = { 0x00, 0x04, 0xf2, 1, 2, 3 };
	static const uint8_t	 b[6] = { 0x64, 0x16, 0x7f, 1, 2, 3 };
	static const uint8_t	 c[6] = { 0x48, 0x25, 0x67, 1, 2, 3 };
	static const uint8_t	 other[6] = { 0x02, 0x00, 0x00, 1, 2, 3 };

	assert_int_equal(ol->n, 3);
	assert_true(oui_match(ol, a));
	assert_true(oui_match(ol, b));
	assert_true(oui_match(ol, c));
	assert_false(oui_match(ol, other));
	assert_true(oui_match_text(ol, "0004f2aabbcc"));
	assert_true(oui_match_text(ol, "64167F000001"));
	assert_false(oui_match_text(ol, "020000aabbcc"));
	assert_false(oui_match_text(ol, "0004"));
	assert_false(oui_match_text(ol, "zz04f2aabbcc"));
}

static void
check_refused(const char *text, const char *want)
{
	struct oui_list	 ol;
	char		*cause = NULL;

	assert_int_equal(oui_parse(text, strlen(text), "f", &ol, &cause), -1);
	assert_non_null(cause);
	assert_non_null(strstr(cause, want));
	free(cause);
}

static void
test_parse(void **state)
{
	struct oui_list	 ol;
	char		*cause = NULL;
	const char	*text = "# c\n\n00:04:F2\tPolycom\r\nab:cd:ef\n";

	assert_int_equal(oui_parse(text, strlen(text), "f", &ol, &cause), 0);
	assert_int_equal(ol.n, 2);
	assert_memory_equal(ol.oui[0], "\x00\x04\xf2", 3);
	assert_memory_equal(ol.oui[1], "\xab\xcd\xef", 3);
	check_refused("0004f2\n", "not an OUI");
	check_refused("00:04:g2\tx\n", "not three hex bytes");
	check_refused("00:04:f2x\n", "not an OUI");
	check_refused("# only a comment\n", "lists no OUI");
}

static void
test_load_replaces_and_restores(void **state)
{
	char	 path[] = "/tmp/ztp-oui-XXXXXX", *cause = NULL;
	FILE	*f;
	int	 fd;

	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	fputs("0a:0b:0c\tLab\n", f);
	fclose(f);
	assert_int_equal(oui_load(path, &cause), 0);
	assert_int_equal(oui_current()->n, 1);
	assert_true(oui_match_text(oui_current(), "0a0b0c000000"));
	assert_false(oui_match_text(oui_current(), "0004f2000000"));
	assert_int_equal(oui_load(NULL, &cause), 0);
	assert_int_equal(oui_current()->n, 3);
	unlink(path);
	assert_int_equal(oui_load(path, &cause), -1);
	assert_non_null(strstr(cause, "cannot read the OUI list"));
	free(cause);
}

static void
test_vendor_class(void **state)
{
	static const uint8_t	bin[] = { 0, 0, 0x36, 0x3d, 9, 1, 7,
				    'P', 'o', 'l', 'y', 'c', 'o', 'm' };

	assert_true(oui_vendor_is_polycom(bin, sizeof bin));
	assert_true(oui_vendor_is_polycom((const uint8_t *)
	    "Polycom-SPIP670", 15));
	assert_false(oui_vendor_is_polycom((const uint8_t *)"udhcp 1.36",
	    10));
	assert_false(oui_vendor_is_polycom((const uint8_t *)"polycom", 7));
	assert_false(oui_vendor_is_polycom(NULL, 0));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_builtin_list),
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_load_replaces_and_restores),
		cmocka_unit_test(test_vendor_class),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
