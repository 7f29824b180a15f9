/*
 * The data plane's building blocks (loop-thread.c): an eventfd that wakes an
 * event loop from another thread, and a thread running its own event loop.
 * The TFTP workers (tftp-worker.c) and the HTTP senders (http-sender.c)
 * are made of them; each keeps its own queues, under its own mutex, and
 * wakes the other side after it has queued.
 */
#ifndef LOOP_THREAD_H
#define LOOP_THREAD_H

#include <pthread.h>

struct event;
struct event_base;

/* A wake-up of one loop: fn(arg) runs in that loop after a signal. */
struct loop_wake {
	int		 fd;
	struct event	*ev;
	void		(*fn)(void *);
	void		*arg;
};

/* -1 (errno set) if the eventfd or its event cannot be made. */
int	loop_wake_open(struct loop_wake *, struct event_base *,
	    void (*)(void *), void *);
/* From any thread: fn runs once in the loop, for one or many signals. */
void	loop_wake_signal(struct loop_wake *);
void	loop_wake_close(struct loop_wake *);

/* A thread with its own loop and a wake-up into it. */
struct loop_thread {
	pthread_t		 thread;
	struct event_base	*base;
	struct loop_wake	 wake;
	int			 running;
};

/* The loop and its wake-up; the thread is not started yet.  -1 on failure. */
int	loop_thread_init(struct loop_thread *, void (*)(void *), void *);
/*
 * Start the thread, which dispatches the loop until it is broken.  Every
 * signal is blocked in it: signals are the main loop's.  0, or an errno.
 */
int	loop_thread_run(struct loop_thread *);
/* Wait for the thread to end (its loop broken); nothing if never run. */
void	loop_thread_join(struct loop_thread *);
/* Free the loop and the wake-up, once joined (or never run). */
void	loop_thread_free(struct loop_thread *);

#endif
