/* clock: each reading agrees with clock_gettime and the monotonic ones never go back. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <time.h>
#include <cmocka.h>

#include "clock.h"

static int64_t
ms(clockid_t id)
{
	struct timespec	ts;

	clock_gettime(id, &ts);
	return ((int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

static void
test_units(void **state)
{
	int64_t	before, got, after;

	before = ms(CLOCK_MONOTONIC);
	got = clock_mono_ms();
	after = ms(CLOCK_MONOTONIC);
	assert_true(before <= got && got <= after);

	before = ms(CLOCK_MONOTONIC) * 1000;
	got = clock_mono_us();
	after = (ms(CLOCK_MONOTONIC) + 1) * 1000;
	assert_true(before <= got && got <= after);

	before = ms(CLOCK_REALTIME);
	got = clock_wall_ms();
	after = ms(CLOCK_REALTIME);
	assert_true(before <= got && got <= after);
	/* Wall milliseconds are since 1970: after 2020, before 2100. */
	assert_true(got > INT64_C(1577836800000));
	assert_true(got < INT64_C(4102444800000));
}

static void
test_monotonic(void **state)
{
	struct timespec	ten = { 0, 10 * 1000 * 1000 };
	int64_t		a, b, ua, ub;
	int		i;

	for (i = 0; i < 1000; i++) {
		a = clock_mono_ms();
		b = clock_mono_ms();
		assert_true(b >= a);
	}
	a = clock_mono_ms();
	ua = clock_mono_us();
	nanosleep(&ten, NULL);
	b = clock_mono_ms();
	ub = clock_mono_us();
	assert_true(b - a >= 10);
	assert_true(ub - ua >= 10000);
}

/* A wall clock set by hand is told from drift and a late tick. */
static void
test_wall_jump(void **state)
{
	struct clock_pair	last = { 0, 0 };

	assert_int_equal(clock_wall_jump(&last, 1000000, 50), 0);
	/* A second on both: no jump; a late tick moves both alike. */
	assert_int_equal(clock_wall_jump(&last, 1001000, 1050), 0);
	assert_int_equal(clock_wall_jump(&last, 1009000, 9050), 0);
	/* Drift under CLOCK_JUMP_MS is not a setting. */
	assert_int_equal(clock_wall_jump(&last, 1011500, 10050), 0);
	/* Set a day ahead during a one-second tick. */
	assert_int_equal(clock_wall_jump(&last, 1011500 + 1000 + 86400000,
	    11050), 86400000);
	/* Set back an hour. */
	assert_int_equal(clock_wall_jump(&last, 1011500 + 2000 + 86400000 -
	    3600000, 12050), -3600000);
	assert_int_equal(last.mono, 12050);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_wall_jump),
		cmocka_unit_test(test_units),
		cmocka_unit_test(test_monotonic),
	};

	return (cmocka_run_group_tests_name("clock", tests, NULL, NULL));
}
