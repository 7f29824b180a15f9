/*
 * The TFTP data plane: downloads run on one event loop per core.
 *
 * The main loop keeps the listening socket, admission (the slot limits,
 * eviction, the memory budget) and the caller's resolve() and event hooks,
 * which read and change fleet state.  Once an RRQ is resolved and its
 * transfer socket is open, the transfer is handed to the least loaded
 * worker, a thread with its own event_base and send batch, which runs it to
 * the end.  The worker touches nothing of the main loop's: it posts the
 * transfer's xfer_events, in order, to one queue the main loop drains, and
 * a last "freed" message after which the main loop forgets the slot and
 * calls the content's release().  The main loop never waits on a worker:
 * hand-offs and evictions are a queue and a wake-up (loop-thread.h).
 *
 * What the fleet answers a request may depend on how the client's last
 * transfer ended: a phone acknowledges the last block of its image and asks
 * for its next file at once, over TFTP or HTTP.  So a request from a client
 * with a download on a worker is held (not waited for): the worker reads
 * what that client sent its transfers first, and then posts the request
 * back behind their events, in the one queue; the main loop answers it
 * then (a TFTP request here, another server's through tftp_server_hold()).
 *
 * Uploads stay on the main loop: they write into the upload store, which
 * the HTTP server shares.
 */
#include <sys/types.h>
#include <sys/queue.h>

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "loop-thread.h"
#include "tftp-int.h"
#include "xmalloc.h"

/* Requests held for workers at once; past it they are answered at once. */
#define TFTP_DEFERRED_MAX	256

enum tftp_msg_kind {
	TFTP_MSG_EVENT,
	TFTP_MSG_FREED,
	TFTP_MSG_SYNCED
};

/* A request held until the workers below have caught up with its client. */
struct tftp_deferred {
	TAILQ_ENTRY(tftp_deferred) entry;
	struct sockaddr_storage	 peer;
	unsigned		 pending;	/* workers still to answer */
	/* Another server's request (tftp_server_hold): done, or given up. */
	void			(*done)(void *);
	void			*done_arg;
	int			 given_up;
	/* Else a TFTP request, answered by tftp_request(). */
	struct sockaddr_storage	 local;
	unsigned		 ifindex;
	size_t			 len;
	uint8_t			 buf[];
};
TAILQ_HEAD(tftp_deferreds, tftp_deferred);

/* The main loop's "read what this client sent": one per worker asked. */
struct tftp_sync {
	STAILQ_ENTRY(tftp_sync)	 entry;
	struct tftp_deferred	*d;
};
STAILQ_HEAD(tftp_syncs, tftp_sync);

/* A worker's message to the main loop. */
struct tftp_msg {
	STAILQ_ENTRY(tftp_msg)	 entry;
	enum tftp_msg_kind	 kind;
	struct xfer_event	 ev;		/* EVENT; strings owned */
	struct tftp_slot	*slot;		/* FREED */
	struct tftp_deferred	*d;		/* SYNCED */
	void			(*release)(void *);
	void			*release_arg;
};
STAILQ_HEAD(tftp_msgs, tftp_msg);

struct tftp_worker {
	struct tftp_workers	*all;
	struct loop_thread	 loop;		/* main loop -> worker: wake */
	struct tftp_batch	*batch;
	unsigned		 running;	/* slots on it (main loop's count) */

	pthread_mutex_t		 lock;		/* guards inbox, syncs, stop */
	struct tftp_transfers	 inbox;		/* handed over, not begun */
	struct tftp_syncs	 syncs;
	int			 stop;
	atomic_int		 evicting;

	struct tftp_transfers	 transfers;	/* the worker's own */
};

struct tftp_workers {
	struct tftp_server	*srv;
	struct tftp_worker	*w;
	unsigned		 n;
	unsigned		 next;		/* round robin among equals */
	struct tftp_deferreds	 deferred;	/* main loop */
	unsigned		 ndeferred;
	int			 stopping;

	pthread_mutex_t		 lock;		/* guards out */
	struct tftp_msgs	 out;		/* workers -> main loop */
	struct loop_wake	 out_wake;
};

static void	 tftp_worker_wake(void *);
static void	 tftp_workers_drain(void *);
static void	 tftp_workers_deliver(struct tftp_workers *,
		    struct tftp_msgs *);
static void	 tftp_worker_push(struct tftp_workers *, struct tftp_msg *);
static void	 tftp_worker_push_two(struct tftp_workers *, struct tftp_msg *,
		    struct tftp_msg *);
static char	*tftp_dup(const char *);

struct tftp_workers *
tftp_workers_start(struct tftp_server *srv, unsigned n, char **cause)
{
	struct tftp_workers	*ws;
	struct tftp_worker	*w;
	unsigned		 i;
	int			 error;

	ws = xcalloc(1, sizeof *ws);
	ws->srv = srv;
	pthread_mutex_init(&ws->lock, NULL);
	STAILQ_INIT(&ws->out);
	TAILQ_INIT(&ws->deferred);
	if (loop_wake_open(&ws->out_wake, srv->base, tftp_workers_drain,
	    ws) != 0) {
		xasprintf(cause, "TFTP workers: eventfd: %s", strerror(errno));
		pthread_mutex_destroy(&ws->lock);
		free(ws);
		return (NULL);
	}
	ws->w = xcalloc(n, sizeof *ws->w);
	for (i = 0; i < n; i++) {
		w = &ws->w[i];
		w->all = ws;
		pthread_mutex_init(&w->lock, NULL);
		TAILQ_INIT(&w->inbox);
		STAILQ_INIT(&w->syncs);
		TAILQ_INIT(&w->transfers);
		if (loop_thread_init(&w->loop, tftp_worker_wake, w) != 0) {
			xasprintf(cause, "TFTP worker %u: cannot create its "
			    "event loop", i);
			break;
		}
		w->batch = tftp_batch_new(w->loop.base);
		if ((error = loop_thread_run(&w->loop)) != 0) {
			xasprintf(cause, "TFTP worker %u: %s", i,
			    strerror(error));
			tftp_batch_free(w->batch);
			loop_thread_free(&w->loop);
			break;
		}
		ws->n++;
	}
	if (ws->n < n) {
		/* The one that failed: not started, freed above. */
		pthread_mutex_destroy(&ws->w[ws->n].lock);
		tftp_workers_stop(ws);
		return (NULL);
	}
	return (ws);
}

void
tftp_workers_stop(struct tftp_workers *ws)
{
	struct tftp_worker	*w;
	struct tftp_msgs	 msgs;
	unsigned		 i;

	if (ws == NULL)
		return;
	ws->stopping = 1;	/* held requests are dropped */
	for (i = 0; i < ws->n; i++) {
		w = &ws->w[i];
		pthread_mutex_lock(&w->lock);
		w->stop = 1;
		pthread_mutex_unlock(&w->lock);
		loop_wake_signal(&w->loop.wake);
	}
	for (i = 0; i < ws->n; i++) {
		w = &ws->w[i];
		loop_thread_join(&w->loop);
		/* The batch's events are the loop's: freed before it. */
		tftp_batch_free(w->batch);
		loop_thread_free(&w->loop);
		pthread_mutex_destroy(&w->lock);
	}
	/* Every worker has ended its transfers: their last words. */
	STAILQ_INIT(&msgs);
	pthread_mutex_lock(&ws->lock);
	STAILQ_CONCAT(&msgs, &ws->out);
	pthread_mutex_unlock(&ws->lock);
	tftp_workers_deliver(ws, &msgs);

	loop_wake_close(&ws->out_wake);
	pthread_mutex_destroy(&ws->lock);
	free(ws->w);
	free(ws);
}

int
tftp_workers_hand(struct tftp_workers *ws, struct tftp_transfer *t)
{
	struct tftp_server	*srv = ws->srv;
	struct tftp_worker	*w, *best = NULL;
	struct tftp_slot	*slot;
	unsigned		 i;
	int			 was_empty;

	for (i = 0; i < ws->n; i++) {
		w = &ws->w[(ws->next + i) % ws->n];
		if (best == NULL || w->running < best->running)
			best = w;
	}
	if (best == NULL)
		return (-1);
	ws->next = (ws->next + 1) % ws->n;

	slot = xcalloc(1, sizeof *slot);
	slot->id = t->id;
	slot->peer = t->peer;
	slot->name = xstrdup(t->name);
	slot->mem_cost = t->mem_cost;
	slot->worker = best;
	atomic_init(&slot->answered, t->answered);
	atomic_init(&slot->evict, 0);
	TAILQ_INSERT_TAIL(&srv->slots, slot, entry);
	best->running++;

	/* From here on the worker owns t (active and mem_used stay charged). */
	TAILQ_REMOVE(&srv->transfers, t, entry);
	t->worker = best;
	t->slot = slot;
	pthread_mutex_lock(&best->lock);
	was_empty = TAILQ_EMPTY(&best->inbox) && STAILQ_EMPTY(&best->syncs);
	TAILQ_INSERT_TAIL(&best->inbox, t, entry);
	pthread_mutex_unlock(&best->lock);
	if (was_empty)
		loop_wake_signal(&best->loop.wake);
	return (0);
}

/*
 * Hold a request from peer until the workers running its client's downloads
 * have read what it sent them (every worker, behind an earlier held request
 * of the same client): NULL if there is nothing to wait for, or too many
 * requests are held already.
 */
static struct tftp_deferred *
tftp_workers_hold(struct tftp_workers *ws, const struct sockaddr_storage *peer,
    size_t len)
{
	struct tftp_server	*srv = ws->srv;
	struct tftp_deferred	*d;
	struct tftp_slot	*slot;
	struct tftp_sync	*sy;
	struct tftp_worker	*w;
	unsigned		 i, pending = 0;
	int			 all = 0, was_empty;
	uint8_t			 ask[TFTP_WORKERS_MAX];

	if (ws->stopping || ws->ndeferred >= TFTP_DEFERRED_MAX)
		return (NULL);
	memset(ask, 0, sizeof ask);
	TAILQ_FOREACH(slot, &srv->slots, entry) {
		if (!slot->evicted && tftp_same_host(&slot->peer, peer))
			ask[slot->worker - ws->w] = 1;
	}
	/* Behind a held request of the same client, through every worker. */
	TAILQ_FOREACH(d, &ws->deferred, entry) {
		if (tftp_same_host(&d->peer, peer))
			all = 1;
	}
	for (i = 0; i < ws->n; i++) {
		if (all || ask[i])
			pending++;
	}
	if (pending == 0)
		return (NULL);
	d = xcalloc(1, sizeof *d + len);
	d->pending = pending;
	d->peer = *peer;
	TAILQ_INSERT_TAIL(&ws->deferred, d, entry);
	ws->ndeferred++;
	for (i = 0; i < ws->n; i++) {
		if (!all && !ask[i])
			continue;
		w = &ws->w[i];
		sy = xcalloc(1, sizeof *sy);
		sy->d = d;
		pthread_mutex_lock(&w->lock);
		was_empty = TAILQ_EMPTY(&w->inbox) && STAILQ_EMPTY(&w->syncs);
		STAILQ_INSERT_TAIL(&w->syncs, sy, entry);
		pthread_mutex_unlock(&w->lock);
		if (was_empty)
			loop_wake_signal(&w->loop.wake);
	}
	return (d);
}

int
tftp_workers_defer(struct tftp_workers *ws, const uint8_t *buf, size_t len,
    const struct sockaddr_storage *peer, const struct sockaddr_storage *local,
    unsigned ifindex)
{
	struct tftp_deferred	*d;

	if (len > TFTP_REQUEST_MAX ||
	    (d = tftp_workers_hold(ws, peer, len)) == NULL)
		return (-1);
	d->local = *local;
	d->ifindex = ifindex;
	d->len = len;
	memcpy(d->buf, buf, len);
	return (0);
}

struct tftp_deferred *
tftp_server_hold(struct tftp_server *srv, const struct sockaddr *peer,
    socklen_t peerlen, void (*done)(void *), void *arg)
{
	struct sockaddr_storage	 ss;
	struct tftp_deferred	*d;

	if (srv == NULL || peerlen > sizeof ss)
		return (NULL);
	memset(&ss, 0, sizeof ss);
	memcpy(&ss, peer, peerlen);
	tftp_server_catch_up(srv, &ss);
	if (srv->workers == NULL ||
	    (d = tftp_workers_hold(srv->workers, &ss, 0)) == NULL)
		return (NULL);
	d->done = done;
	d->done_arg = arg;
	return (d);
}

void
tftp_server_unhold(struct tftp_server *srv, struct tftp_deferred *d)
{
	/* Its workers still answer: it is freed then. */
	if (d != NULL)
		d->given_up = 1;
}

void
tftp_workers_evict(struct tftp_slot *slot)
{
	struct tftp_worker	*w = slot->worker;

	atomic_store(&slot->evict, 1);
	atomic_store(&w->evicting, 1);
	loop_wake_signal(&w->loop.wake);
}

struct event_base *
tftp_transfer_base(const struct tftp_transfer *t)
{
	return (t->worker != NULL ? t->worker->loop.base : t->server->base);
}

struct tftp_batch *
tftp_transfer_batch(const struct tftp_transfer *t)
{
	return (t->worker != NULL ? t->worker->batch : t->server->batch);
}

/* --- the worker's side ---------------------------------------------------- */

/* New transfers, evictions or the order to stop. */
static void
tftp_worker_wake(void *arg)
{
	struct tftp_worker	*w = arg;
	struct tftp_transfers	 fresh;
	struct tftp_syncs	 syncs;
	struct tftp_sync	*sy;
	struct tftp_transfer	*t, *t1;
	struct tftp_msg		*m;
	int			 stop;

	TAILQ_INIT(&fresh);
	STAILQ_INIT(&syncs);
	pthread_mutex_lock(&w->lock);
	TAILQ_CONCAT(&fresh, &w->inbox, entry);
	STAILQ_CONCAT(&syncs, &w->syncs);
	stop = w->stop;
	pthread_mutex_unlock(&w->lock);

	while ((t = TAILQ_FIRST(&fresh)) != NULL) {
		TAILQ_REMOVE(&fresh, t, entry);
		TAILQ_INSERT_TAIL(&w->transfers, t, entry);
		if (stop)
			continue;	/* ended below, never begun */
		tftp_transfer_run(t);
	}
	/* Catch up with a client whose request is held, then give it back. */
	while ((sy = STAILQ_FIRST(&syncs)) != NULL) {
		STAILQ_REMOVE_HEAD(&syncs, entry);
		for (t = TAILQ_FIRST(&w->transfers); t != NULL && !stop;
		    t = t1) {
			t1 = TAILQ_NEXT(t, entry);
			if (t->ev_read != NULL &&
			    tftp_same_host(&t->peer, &sy->d->peer))
				tftp_transfer_catch_up(t);
		}
		m = xcalloc(1, sizeof *m);
		m->kind = TFTP_MSG_SYNCED;
		m->d = sy->d;
		tftp_worker_push(w->all, m);
		free(sy);
	}
	if (atomic_exchange(&w->evicting, 0)) {
		for (t = TAILQ_FIRST(&w->transfers); t != NULL; t = t1) {
			t1 = TAILQ_NEXT(t, entry);
			if (atomic_load(&t->slot->evict))
				tftp_finish(t, XFER_END_SILENCE, XFER_BY_US,
				    "the client never answered and its slot "
				    "was needed");
		}
	}
	if (stop) {
		while ((t = TAILQ_FIRST(&w->transfers)) != NULL)
			tftp_finish(t, XFER_END_SHUTDOWN, XFER_BY_US,
			    "the server is stopping");
		tftp_batch_flush(w->batch);
		event_base_loopbreak(w->loop.base);
	}
}

static char *
tftp_dup(const char *s)
{
	return (s != NULL ? xstrdup(s) : NULL);
}

static void
tftp_worker_push(struct tftp_workers *ws, struct tftp_msg *m)
{
	tftp_worker_push_two(ws, m, NULL);
}

/* first, then second if any, in one turn of the lock: drained together. */
static void
tftp_worker_push_two(struct tftp_workers *ws, struct tftp_msg *first,
    struct tftp_msg *second)
{
	int	was_empty;

	pthread_mutex_lock(&ws->lock);
	was_empty = STAILQ_EMPTY(&ws->out);
	STAILQ_INSERT_TAIL(&ws->out, first, entry);
	if (second != NULL)
		STAILQ_INSERT_TAIL(&ws->out, second, entry);
	pthread_mutex_unlock(&ws->lock);
	/* The main loop reads the wake-up before it takes the queue. */
	if (was_empty)
		loop_wake_signal(&ws->out_wake);
}

void
tftp_worker_post(struct tftp_transfer *t, const struct xfer_event *ev)
{
	struct tftp_msg	*m;

	m = xcalloc(1, sizeof *m);
	m->kind = TFTP_MSG_EVENT;
	m->ev = *ev;
	m->ev.name = tftp_dup(ev->name);
	m->ev.peer_ip = tftp_dup(ev->peer_ip);
	m->ev.peer_text = tftp_dup(ev->peer_text);
	m->ev.user_agent = tftp_dup(ev->user_agent);
	m->ev.reason = tftp_dup(ev->reason);
	m->ev.stored_path = tftp_dup(ev->stored_path);
	if (t->freeing && ev->phase == XFER_ENDED && t->end_msg == NULL)
		t->end_msg = m;		/* sent with tftp_worker_freed() */
	else
		tftp_worker_push(t->worker->all, m);
}

void
tftp_worker_freed(struct tftp_transfer *t)
{
	struct tftp_msg	*m;

	TAILQ_REMOVE(&t->worker->transfers, t, entry);
	m = xcalloc(1, sizeof *m);
	m->kind = TFTP_MSG_FREED;
	m->slot = t->slot;
	/* The content belongs to the caller: released in its loop. */
	m->release = t->content.release;
	m->release_arg = t->content.release_arg;
	t->content.release = NULL;
	tftp_worker_push_two(t->worker->all, t->end_msg != NULL ? t->end_msg :
	    m, t->end_msg != NULL ? m : NULL);
	t->end_msg = NULL;
}

/* --- the main loop's side -------------------------------------------------- */

static void
tftp_workers_drain(void *arg)
{
	struct tftp_workers	*ws = arg;
	struct tftp_msgs	 msgs;

	STAILQ_INIT(&msgs);
	pthread_mutex_lock(&ws->lock);
	STAILQ_CONCAT(&msgs, &ws->out);
	pthread_mutex_unlock(&ws->lock);
	tftp_workers_deliver(ws, &msgs);
}

static void
tftp_workers_deliver(struct tftp_workers *ws, struct tftp_msgs *msgs)
{
	struct tftp_server	*srv = ws->srv;
	struct tftp_msg		*m;
	struct tftp_slot	*slot;
	struct tftp_deferred	*d;

	while ((m = STAILQ_FIRST(msgs)) != NULL) {
		STAILQ_REMOVE_HEAD(msgs, entry);
		if (m->kind == TFTP_MSG_SYNCED) {
			d = m->d;
			if (--d->pending == 0) {
				TAILQ_REMOVE(&ws->deferred, d, entry);
				ws->ndeferred--;
				if (d->done != NULL) {
					/* Answered even as TFTP stops. */
					if (!d->given_up)
						d->done(d->done_arg);
				} else if (!ws->stopping)
					tftp_request(srv, d->buf, d->len,
					    &d->peer, &d->local, d->ifindex);
				free(d);
			}
		} else if (m->kind == TFTP_MSG_EVENT) {
			if (srv->hooks.event != NULL)
				srv->hooks.event(srv->hooks.arg, &m->ev);
			free((char *)m->ev.name);
			free((char *)m->ev.peer_ip);
			free((char *)m->ev.peer_text);
			free((char *)m->ev.user_agent);
			free((char *)m->ev.reason);
			free((char *)m->ev.stored_path);
		} else {
			slot = m->slot;
			TAILQ_REMOVE(&srv->slots, slot, entry);
			slot->worker->running--;
			srv->active--;
			if (!slot->evicted)
				srv->mem_used -= slot->mem_cost;
			if (m->release != NULL)
				m->release(m->release_arg);
			free(slot->name);
			free(slot);
		}
		free(m);
	}
}
