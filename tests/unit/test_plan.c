/*
 * The upgrade planner: the steps a phone takes to its target, from the
 * compiled-in upgrade-paths.tsv and from small tables of our own.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "plan.h"

static struct ucs_version
ver(const char *s)
{
	struct ucs_version	 v;
	char			*cause = NULL;

	memset(&v, 0, sizeof v);
	if (s != NULL)
		assert_int_equal(ucs_version_parse(s, &v, &cause), 0);
	return (v);
}

static struct plan_phone
phone(const char *family, const char *start, const char *app,
    const char *bootrom, int has_bootrom, const char *target)
{
	struct plan_phone	ph;

	memset(&ph, 0, sizeof ph);
	ph.family = family;
	ph.start = ver(start);
	ph.app = ver(app);
	ph.bootrom = ver(bootrom);
	ph.has_bootrom = has_bootrom;
	ph.target = ver(target);
	return (ph);
}

static void
check_text(const struct plan_table *t, struct plan_phone ph, const char *want)
{
	struct plan	pl;
	char		buf[256];

	plan_make(t, &ph, &pl);
	assert_string_equal(plan_text(&pl, buf, sizeof buf), want);
}

static void
test_default_table_loads(void **state)
{
	struct plan_table	*t;
	char			*cause = NULL;
	size_t			 i;

	t = plan_table_load_default(&cause);
	assert_non_null(t);
	assert_true(t->count >= 2);
	for (i = 0; i < t->count; i++) {
		assert_non_null(strchr("HML", t->rules[i].confidence));
		assert_true(strlen(t->rules[i].source) > 10);
	}
	plan_table_free(t);
}

static void
test_legacy_soundpoint_bootrom_first(void **state)
{
	struct plan_table	*t;
	struct plan		 pl;
	struct plan_phone	 ph;
	char			*cause = NULL;

	t = plan_table_load_default(&cause);
	assert_non_null(t);
	/* SIP 3.2.3 with BootROM 2.5.2, target 4.0.8: BootROM first. */
	ph = phone("SoundPointIP", "3.2.3.1734", "3.2.3.1734", "2.5.2.0010", 1,
	    "4.0.8");
	plan_make(t, &ph, &pl);
	assert_int_equal(pl.n, 2);
	assert_int_equal(pl.current, 0);
	assert_int_equal(pl.steps[0].kind, PLAN_BOOTROM);
	assert_int_equal(pl.steps[0].rule->confidence, 'M');
	check_text(t, ph, "BootROM 4.0.0 (current) -> UC Software 4.0.8 "
	    "(pending)");
	/* Only the BootROM is known (its User-Agent): the same plan. */
	check_text(t, phone("SoundPointIP", NULL, NULL, "2.5.2.0010", 1,
	    "4.0.8"), "BootROM 4.0.0 (current) -> UC Software 4.0.8 "
	    "(pending)");
	/* The BootROM reports 4.2.2: the target is next. */
	check_text(t, phone("SoundPointIP", "3.2.3.1734", "3.2.3.1734",
	    "4.2.2.0710", 1, "4.0.8"), "BootROM 4.0.0 (done) -> UC Software "
	    "4.0.8 (current)");
	/* It runs the target: all done, the BootROM step stays shown. */
	check_text(t, phone("SoundPointIP", "3.2.3.1734", "4.0.8.0931",
	    "4.2.2.0710", 1, "4.0.8"), "BootROM 4.0.0 (done) -> UC Software "
	    "4.0.8 (done)");
	/* An application of 3.2 alone says it has a separate BootROM. */
	check_text(t, phone("SoundPointIP", "3.2.3.1734", "3.2.3.1734", NULL,
	    0, "4.0.8"), "BootROM 4.0.0 (current) -> UC Software 4.0.8 "
	    "(pending)");
	/*
	 * The VVX 1500 (SIP 3.x on a BootROM): a row names the model, not
	 * its family; the other VVX models are not touched by it.
	 */
	ph = phone("VVX", "3.2.3.1734", "3.2.3.1734", NULL, 1, "4.0.8");
	ph.model = "VVX1500";
	check_text(t, ph, "BootROM 4.0.0 (current) -> UC Software 4.0.8 "
	    "(pending)");
	ph = phone("VVX", "3.2.3.1734", "3.2.3.1734", NULL, 1, "4.0.8");
	ph.model = "VVX400";
	check_text(t, ph, "UC Software 4.0.8 (current)");
	/* SoundStation IP: the unconfirmed row still plans it. */
	ph = phone("SoundStationIP", "3.1.6.0017", "3.1.6.0017", NULL, 0,
	    "4.0.8");
	plan_make(t, &ph, &pl);
	assert_int_equal(pl.n, 2);
	assert_int_equal(pl.steps[0].rule->confidence, 'L');
	plan_table_free(t);
}

static void
test_modern_phone_one_step(void **state)
{
	struct plan_table	*t;
	char			*cause = NULL;

	t = plan_table_load_default(&cause);
	assert_non_null(t);
	/* UC Software 3.3 and later: no separate BootROM. */
	check_text(t, phone("SoundPointIP", "3.3.1.0933", "3.3.1.0933", NULL,
	    0, "4.0.8"), "UC Software 4.0.8 (current)");
	check_text(t, phone("VVX", "4.1.4.7430", "4.1.4.7430", NULL, 0,
	    "4.1.7"), "UC Software 4.1.7 (current)");
	/* Nothing known of the version: one step, the target. */
	check_text(t, phone("SoundPointIP", NULL, NULL, NULL, 0, "4.0.8"),
	    "UC Software 4.0.8 (current)");
	/* A legacy phone whose target stays 3.x needs no BootROM step. */
	check_text(t, phone("SoundPointIP", "3.1.3.0439", "3.1.3.0439", NULL,
	    0, "3.2.3"), "UC Software 3.2.3 (current)");
	/*
	 * No target (a part the models table lacks, nothing served): no
	 * step.  It was a target step of no version, shown "target  current"
	 * in the report.
	 */
	check_text(t, phone(NULL, "5.3.0.1000", "5.3.0.1000", NULL, 0, NULL),
	    "");
	check_text(t, phone("SoundPointIP", "3.1.3.0439", "3.1.3.0439", NULL,
	    1, NULL), "");
	plan_table_free(t);
}

static void
test_intermediate_release(void **state)
{
	static const char	 tsv[] =
	    "# a test table\n"
	    "bootrom\tSoundPointIP\t3.3.0\t4.0.0\t4.0.0\tM\tsource one\n"
	    "release\tVVX\t4.1.0\t5.0.0\t4.1.4\tL\tsource two\n";
	struct plan_table	*t;
	char			*cause = NULL;

	t = plan_table_parse(tsv, sizeof tsv - 1, "test.tsv", &cause);
	assert_non_null(t);
	assert_int_equal(t->count, 2);
	check_text(t, phone("VVX", "4.0.1.1000", "4.0.1.1000", NULL, 0,
	    "5.4.1"), "UC Software 4.1.4 (current) -> UC Software 5.4.1 "
	    "(pending)");
	/* At the intermediate release: its step proved, the target next. */
	check_text(t, phone("VVX", "4.0.1.1000", "4.1.4.7430", NULL, 0,
	    "5.4.1"), "UC Software 4.1.4 (done) -> UC Software 5.4.1 "
	    "(current)");
	/* Started at or past it: one step. */
	check_text(t, phone("VVX", "4.1.4.7430", "4.1.4.7430", NULL, 0,
	    "5.4.1"), "UC Software 5.4.1 (current)");
	plan_table_free(t);
}

static void
test_bad_tables_refused(void **state)
{
	static const char *const bad[][2] = {
		{ "bootrom\tSoundPointIP\t3.3.0\t4.0.0\t4.0.0\tM\n",
		  "t.tsv:1: 6 columns, want 7 separated by one TAB" },
		{ "upgrader\tSoundPointIP\t3.3.0\t4.0.0\t4.0.0\tM\tx\n",
		  "t.tsv:1: kind \"upgrader\" is not bootrom or release" },
		{ "bootrom\tSoundPointIP\t3.3.0\t4.0.0\t4.0.0\tX\tx\n",
		  "t.tsv:1: confidence \"X\" is not H, M or L" },
		{ "bootrom\t\t3.3.0\t4.0.0\t4.0.0\tH\tx\n",
		  "t.tsv:1: no families or no source" },
		{ "# c\nbootrom\tA\t3.x\t4.0.0\t4.0.0\tH\tx\n",
		  "t.tsv:2: version '3.x' has a non-numeric field; expected a UC "
		  "Software version such as 4.0.8H or 4.1.7.5432" },
	};
	struct plan_table	*t;
	char			*cause;
	size_t			 i;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		cause = NULL;
		t = plan_table_parse(bad[i][0], strlen(bad[i][0]), "t.tsv",
		    &cause);
		assert_null(t);
		assert_non_null(cause);
		assert_string_equal(cause, bad[i][1]);
		free(cause);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default_table_loads),
		cmocka_unit_test(test_legacy_soundpoint_bootrom_first),
		cmocka_unit_test(test_modern_phone_one_step),
		cmocka_unit_test(test_intermediate_release),
		cmocka_unit_test(test_bad_tables_refused),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
