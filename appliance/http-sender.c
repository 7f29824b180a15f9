/*
 * HTTP bodies on one event loop per core: see http-sender.h.
 *
 * On loopback and on a fast link the kernel's work for a sendfile(2) (the
 * TCP stack, and on loopback the receiver's side too) is most of what an
 * HTTP server costs, and one loop puts all of it on one core while the
 * clients wait.  So each sender is a thread with its own event_base that
 * only moves bytes: it owns duplicates of the socket and the file, and
 * publishes how far it got in one atomic offset.  Hand-offs, cancels and
 * finished bodies are queues under a mutex with a wake-up each way
 * (loop-thread.h), as the TFTP workers do; a sender never calls back into
 * the main loop's state.
 */
#include <sys/types.h>
#include <sys/queue.h>
#include <sys/sendfile.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "http-sender.h"
#include "loop-thread.h"
#include "xmalloc.h"

#define HTTP_SENDERS_MAX	64

struct http_send {
	TAILQ_ENTRY(http_send)	 entry;
	struct http_sender	*sender;
	int			 sock;		/* our duplicates */
	int			 file;
	uint64_t		 to;
	uint64_t		 chunk;
	_Atomic uint64_t	 offset;
	atomic_int		 cancelled;
	int			 detached;	/* main loop only */
	int			 error;
	struct event		*ev;		/* the sender's */
	http_send_done_fn	*done;
	void			*arg;
};
TAILQ_HEAD(http_sends, http_send);

struct http_sender {
	struct http_senders	*all;
	struct loop_thread	 loop;
	pthread_mutex_t		 lock;
	struct http_sends	 inbox;		/* under lock */
	int			 stop;		/* under lock */
	atomic_int		 cancelling;
	struct http_sends	 running;	/* the thread's own */
	unsigned		 load;		/* main loop only */
};

struct http_senders {
	pthread_mutex_t		 lock;
	struct http_sends	 out;		/* ended, under lock */
	struct loop_wake	 ended;		/* senders -> main loop */
	struct http_sender	*s;
	unsigned		 n;
};

static void	 http_sender_wake(void *);
static void	 http_sender_begin(struct http_send *);
static void	 http_sender_write(evutil_socket_t, short, void *);
static void	 http_sender_release(struct http_send *, int);
static void	 http_senders_drain(void *);
static void	 http_senders_deliver(struct http_senders *, int);

struct http_senders *
http_senders_start(struct event_base *base, unsigned n, char **cause)
{
	struct http_senders	*ss;
	struct http_sender	*s;
	unsigned		 i;
	int			 error;

	if (n == 0 || n > HTTP_SENDERS_MAX) {
		xasprintf(cause, "HTTP senders: %u is not 1..%u", n,
		    HTTP_SENDERS_MAX);
		return (NULL);
	}
	ss = xcalloc(1, sizeof *ss);
	pthread_mutex_init(&ss->lock, NULL);
	TAILQ_INIT(&ss->out);
	if (loop_wake_open(&ss->ended, base, http_senders_drain, ss) != 0) {
		xasprintf(cause, "HTTP senders: eventfd: %s", strerror(errno));
		pthread_mutex_destroy(&ss->lock);
		free(ss);
		return (NULL);
	}
	ss->s = xcalloc(n, sizeof *ss->s);
	for (i = 0; i < n; i++) {
		s = &ss->s[i];
		s->all = ss;
		pthread_mutex_init(&s->lock, NULL);
		TAILQ_INIT(&s->inbox);
		TAILQ_INIT(&s->running);
		if (loop_thread_init(&s->loop, http_sender_wake, s) != 0) {
			xasprintf(cause, "HTTP sender %u: cannot create its "
			    "event loop", i);
			break;
		}
		if ((error = loop_thread_run(&s->loop)) != 0) {
			xasprintf(cause, "HTTP sender %u: %s", i,
			    strerror(error));
			loop_thread_free(&s->loop);
			break;
		}
		ss->n++;
	}
	if (ss->n < n) {
		pthread_mutex_destroy(&ss->s[ss->n].lock);
		http_senders_stop(ss);
		return (NULL);
	}
	return (ss);
}

void
http_senders_stop(struct http_senders *ss)
{
	struct http_sender	*s;
	unsigned		 i;

	if (ss == NULL)
		return;
	for (i = 0; i < ss->n; i++) {
		s = &ss->s[i];
		pthread_mutex_lock(&s->lock);
		s->stop = 1;
		pthread_mutex_unlock(&s->lock);
		loop_wake_signal(&s->loop.wake);
	}
	for (i = 0; i < ss->n; i++) {
		s = &ss->s[i];
		loop_thread_join(&s->loop);
		loop_thread_free(&s->loop);
		pthread_mutex_destroy(&s->lock);
	}
	/* Every sender has let its bodies go: free them, telling nobody. */
	http_senders_deliver(ss, 0);
	loop_wake_close(&ss->ended);
	pthread_mutex_destroy(&ss->lock);
	free(ss->s);
	free(ss);
}

unsigned
http_senders_count(const struct http_senders *ss)
{
	return (ss != NULL ? ss->n : 0);
}

struct http_send *
http_senders_hand(struct http_senders *ss, int sock, int file, uint64_t from,
    uint64_t to, uint64_t chunk, http_send_done_fn *done, void *arg)
{
	struct http_sender	*s, *best = NULL;
	struct http_send	*hs;
	unsigned		 i;
	int			 was_empty, error;

	for (i = 0; i < ss->n; i++) {
		s = &ss->s[i];
		if (best == NULL || s->load < best->load)
			best = s;
	}
	hs = xcalloc(1, sizeof *hs);
	hs->sock = fcntl(sock, F_DUPFD_CLOEXEC, 0);
	hs->file = fcntl(file, F_DUPFD_CLOEXEC, 0);
	if (hs->sock == -1 || hs->file == -1) {
		error = errno;
		if (hs->sock != -1)
			close(hs->sock);
		if (hs->file != -1)
			close(hs->file);
		free(hs);
		errno = error;
		return (NULL);
	}
	hs->sender = best;
	hs->to = to;
	hs->chunk = chunk > 0 ? chunk : to - from;
	atomic_init(&hs->offset, from);
	atomic_init(&hs->cancelled, 0);
	hs->done = done;
	hs->arg = arg;
	best->load++;
	pthread_mutex_lock(&best->lock);
	was_empty = TAILQ_EMPTY(&best->inbox);
	TAILQ_INSERT_TAIL(&best->inbox, hs, entry);
	pthread_mutex_unlock(&best->lock);
	if (was_empty)
		loop_wake_signal(&best->loop.wake);
	return (hs);
}

uint64_t
http_send_offset(const struct http_send *hs)
{
	return (atomic_load(&hs->offset));
}

void
http_send_cancel(struct http_send *hs)
{
	hs->detached = 1;
	atomic_store(&hs->cancelled, 1);
	atomic_store(&hs->sender->cancelling, 1);
	loop_wake_signal(&hs->sender->loop.wake);
}

/* --- the sender's side ---------------------------------------------------- */

/* New bodies, cancels or the order to stop. */
static void
http_sender_wake(void *arg)
{
	struct http_sender	*s = arg;
	struct http_sends	 fresh;
	struct http_send	*hs, *hs1;
	int			 stop;

	TAILQ_INIT(&fresh);
	pthread_mutex_lock(&s->lock);
	TAILQ_CONCAT(&fresh, &s->inbox, entry);
	stop = s->stop;
	pthread_mutex_unlock(&s->lock);

	if (atomic_exchange(&s->cancelling, 0)) {
		for (hs = TAILQ_FIRST(&s->running); hs != NULL; hs = hs1) {
			hs1 = TAILQ_NEXT(hs, entry);
			if (atomic_load(&hs->cancelled))
				http_sender_release(hs, ECANCELED);
		}
	}
	while ((hs = TAILQ_FIRST(&fresh)) != NULL) {
		TAILQ_REMOVE(&fresh, hs, entry);
		TAILQ_INSERT_TAIL(&s->running, hs, entry);
		if (stop || atomic_load(&hs->cancelled))
			http_sender_release(hs, ECANCELED);
		else
			http_sender_begin(hs);
	}
	if (stop) {
		while ((hs = TAILQ_FIRST(&s->running)) != NULL)
			http_sender_release(hs, ECANCELED);
		event_base_loopbreak(s->loop.base);
	}
}

static void
http_sender_begin(struct http_send *hs)
{
	hs->ev = event_new(hs->sender->loop.base, hs->sock, EV_WRITE | EV_PERSIST,
	    http_sender_write, hs);
	if (hs->ev == NULL) {
		http_sender_release(hs, ENOMEM);
		return;
	}
	event_add(hs->ev, NULL);
	/* The socket is most likely writable now: no loop round first. */
	http_sender_write(hs->sock, EV_WRITE, hs);
}

/*
 * One turn: at most hs->chunk bytes, then the other connections get theirs
 * (the socket stays writable, so the loop comes back).  Filling each socket
 * to the brim instead leaves the data beyond the client's window to be
 * sent from the client's own acknowledgements, in its time: on loopback
 * that cost the clients 12-29% more CPU per byte than against nginx's 2 MB
 * turns (docs/engine.md, "Benchmark").
 */
static void
http_sender_write(evutil_socket_t fd, short what, void *arg)
{
	struct http_send	*hs = arg;
	uint64_t		 at = atomic_load(&hs->offset), n;
	off_t			 o;
	ssize_t			 r;

	if (atomic_load(&hs->cancelled)) {
		http_sender_release(hs, ECANCELED);
		return;
	}
	while (at < hs->to) {
		n = hs->to - at;
		if (n > hs->chunk)
			n = hs->chunk;
		o = (off_t)at;
		r = sendfile(hs->sock, hs->file, &o, (size_t)n);
		if (r > 0) {
			at = (uint64_t)o;
			atomic_store(&hs->offset, at);
			if (at < hs->to)
				return;
			break;
		}
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		/* Nothing read: the file is shorter than it was. */
		http_sender_release(hs, r == 0 ? EIO : errno);
		return;
	}
	http_sender_release(hs, 0);
}

static void
http_sender_release(struct http_send *hs, int error)
{
	struct http_sender	*s = hs->sender;
	struct http_senders	*ss = s->all;
	int			 was_empty;

	if (hs->ev != NULL)
		event_free(hs->ev);
	hs->ev = NULL;
	close(hs->sock);
	close(hs->file);
	hs->error = error;
	TAILQ_REMOVE(&s->running, hs, entry);
	pthread_mutex_lock(&ss->lock);
	was_empty = TAILQ_EMPTY(&ss->out);
	TAILQ_INSERT_TAIL(&ss->out, hs, entry);
	pthread_mutex_unlock(&ss->lock);
	if (was_empty)
		loop_wake_signal(&ss->ended);
}

/* --- the main loop's side -------------------------------------------------- */

static void
http_senders_drain(void *arg)
{
	http_senders_deliver(arg, 1);
}

static void
http_senders_deliver(struct http_senders *ss, int tell)
{
	struct http_sends	 ended;
	struct http_send	*hs;

	TAILQ_INIT(&ended);
	pthread_mutex_lock(&ss->lock);
	TAILQ_CONCAT(&ended, &ss->out, entry);
	pthread_mutex_unlock(&ss->lock);
	while ((hs = TAILQ_FIRST(&ended)) != NULL) {
		TAILQ_REMOVE(&ended, hs, entry);
		hs->sender->load--;
		if (tell && !hs->detached)
			hs->done(hs->arg, hs, hs->error);
		free(hs);
	}
}
