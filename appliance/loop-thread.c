/*
 * The data plane's building blocks: see loop-thread.h.
 *
 * A wake-up is an eventfd: any number of signals before the loop looks are
 * one wake-up, and the loop reads the count before it calls fn, so a
 * signal that comes while fn runs wakes it again.
 */
#include <sys/types.h>
#include <sys/eventfd.h>

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "loop-thread.h"

static void	 loop_wake_read(evutil_socket_t, short, void *);
static void	*loop_thread_main(void *);

int
loop_wake_open(struct loop_wake *w, struct event_base *base,
    void (*fn)(void *), void *arg)
{
	int	error;

	w->fn = fn;
	w->arg = arg;
	w->ev = NULL;
	if ((w->fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) == -1)
		return (-1);
	w->ev = event_new(base, w->fd, EV_READ | EV_PERSIST, loop_wake_read,
	    w);
	if (w->ev == NULL || event_add(w->ev, NULL) != 0) {
		error = w->ev == NULL ? ENOMEM : EINVAL;
		loop_wake_close(w);
		errno = error;
		return (-1);
	}
	return (0);
}

void
loop_wake_signal(struct loop_wake *w)
{
	uint64_t	one = 1;

	while (write(w->fd, &one, sizeof one) == -1 && errno == EINTR)
		;
}

void
loop_wake_close(struct loop_wake *w)
{
	if (w->ev != NULL)
		event_free(w->ev);
	w->ev = NULL;
	if (w->fd != -1)
		close(w->fd);
	w->fd = -1;
}

static void
loop_wake_read(evutil_socket_t fd, short what, void *arg)
{
	struct loop_wake	*w = arg;
	uint64_t		 n;

	while (read(fd, &n, sizeof n) == -1 && errno == EINTR)
		;
	w->fn(w->arg);
}

int
loop_thread_init(struct loop_thread *t, void (*wake)(void *), void *arg)
{
	memset(t, 0, sizeof *t);
	t->wake.fd = -1;
	if ((t->base = event_base_new()) == NULL)
		return (-1);
	if (loop_wake_open(&t->wake, t->base, wake, arg) != 0) {
		event_base_free(t->base);
		t->base = NULL;
		return (-1);
	}
	return (0);
}

int
loop_thread_run(struct loop_thread *t)
{
	sigset_t	all, old;
	int		error;

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	error = pthread_create(&t->thread, NULL, loop_thread_main, t);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (error == 0)
		t->running = 1;
	return (error);
}

void
loop_thread_join(struct loop_thread *t)
{
	if (t->running)
		pthread_join(t->thread, NULL);
	t->running = 0;
}

void
loop_thread_free(struct loop_thread *t)
{
	loop_wake_close(&t->wake);
	if (t->base != NULL)
		event_base_free(t->base);
	t->base = NULL;
}

static void *
loop_thread_main(void *arg)
{
	struct loop_thread	*t = arg;

	event_base_dispatch(t->base);
	return (NULL);
}
