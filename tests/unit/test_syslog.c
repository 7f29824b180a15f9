/* The syslog receiver's rate limit: per sender, for all, a bounded table. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <arpa/inet.h>

#include "syslog.h"

static uint32_t
addr(unsigned n)
{
	return (htonl(0x0a000000u + n));
}

/* n lines from one sender at one instant: how many were taken. */
static int
send_n(struct syslog_limiter *l, uint32_t a, int n, int64_t now)
{
	int	i, ok = 0;

	for (i = 0; i < n; i++)
		ok += syslog_limiter_allow(l, a, now);
	return (ok);
}

static void
test_burst_then_rate(void **state)
{
	struct syslog_limiter	*l;

	l = syslog_limiter_new(50, 200, 16, 100000, 100000);
	assert_int_equal(send_n(l, addr(1), 1000, 0), 200);
	assert_int_equal(syslog_limiter_refused(l), 800);
	/* 50 a second: 100 ms buys 5 lines, a second 50. */
	assert_int_equal(send_n(l, addr(1), 100, 100), 5);
	assert_int_equal(send_n(l, addr(1), 100, 1100), 50);
	/* Another sender has its own bucket. */
	assert_int_equal(send_n(l, addr(2), 300, 1100), 200);
	/* Idle long enough, the bucket is full again, no fuller. */
	assert_int_equal(send_n(l, addr(1), 1000, 100000), 200);
	syslog_limiter_free(l);
}

static void
test_total_bucket(void **state)
{
	struct syslog_limiter	*l;
	unsigned		 i;
	int			 ok = 0;

	/* 100 senders of 200 each would be 20000: all of them share 1000. */
	l = syslog_limiter_new(50, 200, 1024, 500, 1000);
	for (i = 0; i < 100; i++)
		ok += send_n(l, addr(i), 200, 0);
	assert_int_equal(ok, 1000);
	assert_int_equal(syslog_limiter_refused(l), 19000);
	syslog_limiter_free(l);
}

static void
test_table_bounded(void **state)
{
	struct syslog_limiter	*l;
	unsigned		 i;
	int			 ok = 0;

	/*
	 * A table of 4: a fifth sender, while the four are still drained,
	 * shares the overflow bucket with every other newcomer.
	 */
	l = syslog_limiter_new(10, 20, 4, 100000, 100000);
	for (i = 0; i < 4; i++)
		assert_int_equal(send_n(l, addr(i), 20, 0), 20);
	assert_int_equal(syslog_limiter_sources(l), 4);
	for (i = 4; i < 1000; i++)
		ok += send_n(l, addr(i), 20, 0);
	assert_int_equal(ok, 20);	/* one shared bucket of 20 */
	assert_int_equal(syslog_limiter_sources(l), 4);
	/* The old four are still limited: forging addresses did not help. */
	assert_int_equal(send_n(l, addr(0), 20, 0), 0);
	/* Once a bucket has refilled, its slot goes to a newcomer. */
	assert_int_equal(send_n(l, addr(5000), 20, 10000), 20);
	assert_int_equal(syslog_limiter_sources(l), 4);
	syslog_limiter_free(l);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_burst_then_rate),
		cmocka_unit_test(test_total_bucket),
		cmocka_unit_test(test_table_bounded),
	};

	return (cmocka_run_group_tests_name("syslog", tests, NULL, NULL));
}
