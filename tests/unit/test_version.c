/* UC Software versions: every accepted form, the ordering pitfalls, garbage. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "version.h"

static struct ucs_version
parse_ok(const char *text)
{
	struct ucs_version	 v;
	char			*cause = NULL;

	if (ucs_version_parse(text, &v, &cause) != 0)
		fail_msg("'%s' refused: %s", text, cause);
	assert_null(cause);
	return (v);
}

static void
check_fields(const char *text, int n, unsigned long a, unsigned long b,
    unsigned long c, unsigned long d, char revision)
{
	struct ucs_version	v = parse_ok(text);
	unsigned long		want[4] = { a, b, c, d };
	int			i;

	assert_int_equal(v.nfields, n);
	for (i = 0; i < n; i++)
		assert_int_equal(v.field[i], want[i]);
	assert_int_equal(v.revision, revision);
}

static void
check_refused(const char *text, const char *want_cause)
{
	struct ucs_version	 v;
	char			*cause = NULL;

	memset(&v, 0x55, sizeof v);
	assert_int_equal(ucs_version_parse(text, &v, &cause), -1);
	assert_non_null(cause);
	assert_string_equal(cause, want_cause);
	assert_int_equal(v.nfields, 0);
	free(cause);
}

static int
cmp(const char *a, const char *b)
{
	struct ucs_version	va = parse_ok(a), vb = parse_ok(b);

	return (ucs_version_cmp(&va, &vb));
}

static int
cmp_strict(const char *a, const char *b)
{
	struct ucs_version	va = parse_ok(a), vb = parse_ok(b);

	return (ucs_version_cmp_strict(&va, &vb));
}

static void
check_format(const char *text, const char *plain, const char *release)
{
	struct ucs_version	v = parse_ok(text);
	char			buf[UCS_VERSION_TEXT_MAX];

	assert_string_equal(ucs_version_format(&v, buf, sizeof buf), plain);
	assert_string_equal(ucs_version_format_release(&v, buf, sizeof buf),
	    release);
}

static void
test_release_with_letter(void **state)
{
	check_fields("4.0.8H", 3, 4, 0, 8, 0, 'H');
	check_fields("4.1.7G", 3, 4, 1, 7, 0, 'G');
}

static void
test_seed_prefix(void **state)
{
	check_fields("UC Software 4.0.8H", 3, 4, 0, 8, 0, 'H');
	check_fields("UC Software 5.4.1", 3, 5, 4, 1, 0, '\0');
	check_fields("uc software  4.1.7G", 3, 4, 1, 7, 0, 'G');
	check_fields("UCS 4.0.8", 3, 4, 0, 8, 0, '\0');
}

static void
test_seed_typo_4_08H(void **state)
{
	struct ucs_version	a = parse_ok("UC Software 4.08H");
	struct ucs_version	b = parse_ok("4.0.8H");

	check_fields("4.08H", 3, 4, 0, 8, 0, 'H');
	check_fields("4.08", 3, 4, 0, 8, 0, '\0');
	assert_int_equal(ucs_version_cmp_strict(&a, &b), 0);
	assert_int_equal(a.revision, b.revision);
	check_format("4.08H", "4.0.8", "4.0.8H");
	/* Only a leading-zero minor is the shorthand: 4.10 is four-ten. */
	check_fields("4.10", 2, 4, 10, 0, 0, '\0');
	check_fields("5.4", 2, 5, 4, 0, 0, '\0');
}

static void
test_numeric_forms(void **state)
{
	check_fields("4.0.8", 3, 4, 0, 8, 0, '\0');
	check_fields("4.0.8.0473", 4, 4, 0, 8, 473, '\0');
	check_fields("4.1.0.84959", 4, 4, 1, 0, 84959, '\0');
	check_fields("5.4.1", 3, 5, 4, 1, 0, '\0');
	check_fields("4.0.15.1047", 4, 4, 0, 15, 1047, '\0');
	check_fields("4294967295.0", 2, 4294967295UL, 0, 0, 0, '\0');
}

static void
test_sip_ver_content(void **state)
{
	check_fields(" 5.9.8.5760\r\n", 4, 5, 9, 8, 5760, '\0');
	check_fields("5.9.8.5760", 4, 5, 9, 8, 5760, '\0');
	check_fields("4.0.8.0931\n", 4, 4, 0, 8, 931, '\0');
	check_fields("\t4.1.7.5432 \r\n\r\n", 4, 4, 1, 7, 5432, '\0');
}

static void
test_lower_case_letter_normalised(void **state)
{
	check_fields("4.0.8h", 3, 4, 0, 8, 0, 'H');
}

static void
test_format_keeps_leading_zeros(void **state)
{
	check_format("4.0.8.0473", "4.0.8.0473", "4.0.8.0473");
	check_format("4.1.0.84959", "4.1.0.84959", "4.1.0.84959");
	check_format("UC Software 4.0.8H", "4.0.8", "4.0.8H");
	check_format("4.1.7G", "4.1.7", "4.1.7G");
	check_format("5.4.1", "5.4.1", "5.4.1");
}

static void
test_format_unknown_and_small_buffer(void **state)
{
	struct ucs_version	v;
	char			buf[8];

	memset(&v, 0, sizeof v);
	assert_string_equal(ucs_version_format(&v, buf, sizeof buf), "");
	assert_int_equal(ucs_version_known(&v), 0);
	v = parse_ok("4.1.0.84959");
	assert_int_equal(ucs_version_known(&v), 1);
	/* Truncated at a field boundary, never overflowing. */
	assert_string_equal(ucs_version_format(&v, buf, 6), "4.1.0");
	v = parse_ok("4.0.8H");
	assert_string_equal(ucs_version_format_release(&v, buf, 6), "4.0.8");
	assert_string_equal(ucs_version_format_release(&v, buf, 7), "4.0.8H");
}

static void
test_order_is_numeric_not_string(void **state)
{
	/* As strings "4.10" < "4.9" and "5.10.1" < "5.9.7". */
	assert_true(cmp("4.10", "4.9") > 0);
	assert_true(cmp("5.10.1", "5.9.7") > 0);
	assert_true(cmp("4.0.10", "4.0.9") > 0);
	assert_true(cmp("4.0.8.1000", "4.0.8.999") > 0);
	assert_true(cmp("4.0.9", "4.0.10") < 0);
	/* Leading zeros are not digits of more weight. */
	assert_int_equal(cmp("4.0.8.0473", "4.0.8.473"), 0);
}

static void
test_build_numbers_go_backwards(void **state)
{
	/* 4.1.0 had build 84959, 4.1.7 went back to 5432. */
	assert_true(cmp("4.1.0.84959", "4.1.7.5432") < 0);
	assert_true(cmp("4.1.7.5432", "4.1.0.84959") > 0);
	assert_true(cmp_strict("4.1.0.84959", "4.1.7.5432") < 0);
	assert_true(cmp("4.0.15.1047", "4.1.0.84959") < 0);
	assert_true(cmp("5.4.0.12410", "4.1.7.5432") > 0);
}

static void
test_missing_fields(void **state)
{
	/* The release and its builds are the same release... */
	assert_int_equal(cmp("4.0.8", "4.0.8.0473"), 0);
	assert_int_equal(cmp("4.0.8H", "4.0.8.0931"), 0);
	assert_int_equal(cmp("4.1.7G", "4.1.7.5432"), 0);
	assert_true(cmp("4.0.8H", "4.0.15.1047") < 0);
	assert_true(cmp("4.1.7G", "4.0.8.9999") > 0);
	/* ...but in the strict order a missing field counts as 0. */
	assert_true(cmp_strict("4.0.8", "4.0.8.0473") < 0);
	assert_int_equal(cmp_strict("4.0.8", "4.0.8.0"), 0);
	assert_int_equal(cmp_strict("5.4", "5.4.0"), 0);
	assert_true(cmp_strict("5.4", "5.4.1") < 0);
}

static void
test_revision_never_orders(void **state)
{
	assert_int_equal(cmp("4.0.8H", "4.0.8"), 0);
	assert_int_equal(cmp("4.0.8A", "4.0.8H"), 0);
	assert_int_equal(cmp_strict("4.0.8A", "4.0.8H"), 0);
	assert_true(cmp("4.0.8H", "4.0.9A") < 0);
}

static void
test_unknown_compares_equal_loosely(void **state)
{
	struct ucs_version	unknown, v = parse_ok("4.0.8");

	memset(&unknown, 0, sizeof unknown);
	assert_int_equal(ucs_version_cmp(&unknown, &v), 0);
	assert_true(ucs_version_cmp_strict(&unknown, &v) < 0);
}

static void
test_garbage_refused(void **state)
{
	const char	*tail = "; expected a UC Software version such as "
			    "4.0.8H or 4.1.7.5432";
	char		 want[256];

#define REFUSED(in, quoted, why) do {					\
	snprintf(want, sizeof want, "version '%s' %s%s", quoted, why,	\
	    tail);							\
	check_refused(in, want);					\
} while (0)
	REFUSED("", "", "is empty");
	REFUSED(" \r\n", " \\x0d\\x0a", "is empty");
	REFUSED("UC Software ", "UC Software ", "is empty");
	REFUSED("4", "4", "needs at least major.minor");
	REFUSED("4H", "4H", "needs at least major.minor");
	REFUSED("4.x", "4.x", "has a non-numeric field");
	REFUSED("v4.0.8", "v4.0.8", "has a non-numeric field");
	REFUSED("4.0.8-rc1", "4.0.8-rc1", "has a non-numeric field");
	REFUSED("4..8", "4..8", "has an empty field");
	REFUSED("4.0.", "4.0.", "has an empty field");
	REFUSED(".4.0", ".4.0", "has an empty field");
	REFUSED("4.0.8.1.2", "4.0.8.1.2", "has more than four fields");
	REFUSED("4.0.8.0473H", "4.0.8.0473H",
	    "has a revision letter after a four-field build");
	REFUSED("4.0.8HH", "4.0.8HH", "has more than one revision letter");
	REFUSED("4.0.8 H", "4.0.8 H", "has a blank inside");
	REFUSED("4.0.12345678901", "4.0.12345678901", "has a field too large");
	REFUSED("4.0.4294967296", "4.0.4294967296", "has a field too large");
	REFUSED("4.0\x1b[2J", "4.0\\x1b[2J", "has a non-numeric field");
	REFUSED("UCSoftware 4.0.8", "UCSoftware 4.0.8",
	    "has a non-numeric field");
#undef REFUSED
}

static void
test_huge_input_quoted_briefly(void **state)
{
	struct ucs_version	 v;
	char			*big, *cause = NULL;

	big = malloc(100001);
	assert_non_null(big);
	memset(big, '7', 100000);
	big[100000] = '\0';
	assert_int_equal(ucs_version_parse(big, &v, &cause), -1);
	assert_true(strlen(cause) < 200);
	assert_non_null(strstr(cause, "has a field too large"));
	free(cause);
	memset(big, '.', 100000);
	assert_int_equal(ucs_version_parse(big, &v, &cause), -1);
	assert_non_null(strstr(cause, "..."));
	free(cause);
	free(big);
}

static void
test_null_cause_allowed(void **state)
{
	struct ucs_version	v;

	assert_int_equal(ucs_version_parse("junk", &v, NULL), -1);
	assert_int_equal(ucs_version_parse(NULL, &v, NULL), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_release_with_letter),
		cmocka_unit_test(test_seed_prefix),
		cmocka_unit_test(test_seed_typo_4_08H),
		cmocka_unit_test(test_numeric_forms),
		cmocka_unit_test(test_sip_ver_content),
		cmocka_unit_test(test_lower_case_letter_normalised),
		cmocka_unit_test(test_format_keeps_leading_zeros),
		cmocka_unit_test(test_format_unknown_and_small_buffer),
		cmocka_unit_test(test_order_is_numeric_not_string),
		cmocka_unit_test(test_build_numbers_go_backwards),
		cmocka_unit_test(test_missing_fields),
		cmocka_unit_test(test_revision_never_orders),
		cmocka_unit_test(test_unknown_compares_equal_loosely),
		cmocka_unit_test(test_garbage_refused),
		cmocka_unit_test(test_huge_input_quoted_briefly),
		cmocka_unit_test(test_null_cause_allowed),
	};

	return (cmocka_run_group_tests_name("version", tests, NULL, NULL));
}
