/*
 * The data plane's building blocks (loop-thread.c): a wake-up runs its
 * function in the loop's own thread, with every signal blocked there;
 * signals before the loop looks are one wake-up, and one sent while the
 * function runs wakes it again; a thread never run is freed cleanly.
 */
#include <sys/types.h>

#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>
#include <cmocka.h>

#include <event2/event.h>

#include "loop-thread.h"

struct fx {
	struct loop_thread	 t;
	pthread_t		 main_thread;
	atomic_int		 calls;
	atomic_int		 in_main;	/* ran in the caller's thread */
	atomic_int		 unblocked;	/* a signal not blocked there */
	atomic_int		 stop;
	atomic_int		 resignal;	/* signal again from inside */
};

static void
on_wake(void *arg)
{
	struct fx	*fx = arg;
	sigset_t	 now;

	if (pthread_equal(pthread_self(), fx->main_thread))
		atomic_fetch_add(&fx->in_main, 1);
	pthread_sigmask(SIG_BLOCK, NULL, &now);
	if (!sigismember(&now, SIGTERM) || !sigismember(&now, SIGINT) ||
	    !sigismember(&now, SIGHUP))
		atomic_fetch_add(&fx->unblocked, 1);
	atomic_fetch_add(&fx->calls, 1);
	if (atomic_exchange(&fx->resignal, 0))
		loop_wake_signal(&fx->t.wake);
	if (atomic_load(&fx->stop))
		event_base_loopbreak(fx->t.base);
}

/* Wait up to 5 s for at least n calls. */
static int
wait_calls(struct fx *fx, int n)
{
	int	i;

	for (i = 0; i < 5000 && atomic_load(&fx->calls) < n; i++)
		usleep(1000);
	return (atomic_load(&fx->calls));
}

static void
test_wake_runs_in_its_thread(void **state)
{
	struct fx	fx = { 0 };

	(void)state;
	fx.main_thread = pthread_self();
	assert_int_equal(loop_thread_init(&fx.t, on_wake, &fx), 0);
	assert_int_equal(loop_thread_run(&fx.t), 0);
	loop_wake_signal(&fx.t.wake);
	assert_true(wait_calls(&fx, 1) >= 1);
	/* Signalled from inside the function: it runs again. */
	atomic_store(&fx.resignal, 1);
	loop_wake_signal(&fx.t.wake);
	assert_true(wait_calls(&fx, 3) >= 3);
	atomic_store(&fx.stop, 1);
	loop_wake_signal(&fx.t.wake);
	loop_thread_join(&fx.t);
	loop_thread_free(&fx.t);
	assert_int_equal(atomic_load(&fx.in_main), 0);
	assert_int_equal(atomic_load(&fx.unblocked), 0);
}

/* Many signals before the loop looks: one wake-up. */
static void
test_signals_coalesce(void **state)
{
	struct fx	fx = { 0 };
	struct event_base *base = event_base_new();
	struct loop_wake w;
	struct timeval	 tv = { 0, 50 * 1000 };
	int		 i;

	(void)state;
	fx.main_thread = pthread_self();
	assert_int_equal(loop_wake_open(&w, base, on_wake, &fx), 0);
	for (i = 0; i < 10; i++)
		loop_wake_signal(&w);
	event_base_loopexit(base, &tv);
	event_base_dispatch(base);
	assert_int_equal(atomic_load(&fx.calls), 1);
	/* This one ran in the caller's own loop, as asked. */
	assert_int_equal(atomic_load(&fx.in_main), 1);
	loop_wake_close(&w);
	loop_wake_close(&w);	/* twice is harmless */
	event_base_free(base);
}

static void
test_never_run(void **state)
{
	struct fx	fx = { 0 };

	(void)state;
	assert_int_equal(loop_thread_init(&fx.t, on_wake, &fx), 0);
	loop_thread_join(&fx.t);	/* nothing to join */
	loop_thread_free(&fx.t);
	assert_null(fx.t.base);
	assert_int_equal(fx.t.wake.fd, -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_wake_runs_in_its_thread),
		cmocka_unit_test(test_signals_coalesce),
		cmocka_unit_test(test_never_run),
	};

	return (cmocka_run_group_tests_name("loop_thread", tests, NULL,
	    NULL));
}
