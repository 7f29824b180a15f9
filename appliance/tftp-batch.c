/*
 * One system call for the DATA of every transfer that an ACK moved in the
 * same turn of the event loop.
 *
 * With a stop-and-wait client each ACK is answered by one DATA.  Sent one by
 * one, the first send wakes its client, which may take over this CPU before
 * the loop has answered the other ACKs of the turn; the other clients then
 * wait while a core may sit idle.  Here the DATA packets are queued and
 * handed to the kernel together through io_uring at the end of the turn:
 * every client is woken before the loop can be preempted, and a turn costs
 * one system call for its sends.  With MSG_DONTWAIT every send completes
 * inside io_uring_submit(), so the buffers are free again when it returns
 * and every result is known.
 *
 * The end of the turn: a flush event made active when the first packet is
 * queued runs after the callbacks that libevent already had active, i.e.
 * after every transfer that was ready in this turn.  Without io_uring (an
 * old kernel, or io_uring disabled) every send goes out at once, as before.
 *
 * A lone transfer is not held: when nothing is queued yet and no other
 * callback is waiting in this turn, there is nothing to gather, so the DATA
 * leaves at once from the callback that answered the ACK.  Queueing it would
 * only add a pass through the loop (and the flush's io_uring_enter) to every
 * block of a stop-and-wait client that is the only one running.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <liburing.h>

#include "log.h"
#include "tftp-int.h"
#include "xmalloc.h"

#define TFTP_BATCH_MAX	256	/* sends per system call */

struct tftp_batch {
	struct event_base	*base;
	struct io_uring		 ring;
	struct event		*ev_flush;
	struct tftp_transfer	*queued[TFTP_BATCH_MAX];
	unsigned		 count;
};

static void	tftp_batch_flush_cb(evutil_socket_t, short, void *);

struct tftp_batch *
tftp_batch_new(struct event_base *base)
{
	struct tftp_batch	*b;
	int			 error;

	b = xcalloc(1, sizeof *b);
	if ((error = io_uring_queue_init(TFTP_BATCH_MAX, &b->ring, 0)) < 0) {
		log_info("tftp: sending one packet per system call "
		    "(io_uring: %s)", strerror(-error));
		free(b);
		return (NULL);
	}
	b->base = base;
	b->ev_flush = event_new(base, -1, 0, tftp_batch_flush_cb, b);
	return (b);
}

void
tftp_batch_free(struct tftp_batch *b)
{
	if (b == NULL)
		return;
	tftp_batch_flush(b);
	event_free(b->ev_flush);
	io_uring_queue_exit(&b->ring);
	free(b);
}

/*
 * Queue t's single-block message t->msgs[0]; 0 when queued, -1 when the
 * caller must send it now: there is no batch, or t is alone in this turn
 * (nothing queued and no other callback active: the running callback is
 * no longer counted as active).  A transfer has at most one queued send: before
 * it builds another message it flushes the queue (tftp_read_send()), so
 * nothing queued is overwritten or reordered.
 */
int
tftp_batch_queue(struct tftp_batch *b, struct tftp_transfer *t)
{
	if (b == NULL)
		return (-1);
	if (t->batched)
		return (0);
	if (b->count == 0 &&
	    event_base_get_num_events(b->base, EVENT_BASE_COUNT_ACTIVE) == 0)
		return (-1);
	if (b->count == TFTP_BATCH_MAX)
		tftp_batch_flush(b);
	if (b->count == 0)
		event_active(b->ev_flush, EV_TIMEOUT, 0);
	b->queued[b->count++] = t;
	t->batched = 1;
	return (0);
}

/* A transfer going away takes its queued send with it. */
void
tftp_batch_forget(struct tftp_batch *b, struct tftp_transfer *t)
{
	unsigned	i;

	if (b == NULL || !t->batched)
		return;
	for (i = 0; i < b->count; i++)
		if (b->queued[i] == t)
			b->queued[i] = NULL;
	t->batched = 0;
}

void
tftp_batch_flush(struct tftp_batch *b)
{
	struct io_uring_sqe	*sqe;
	struct io_uring_cqe	*cqe;
	struct tftp_transfer	*t;
	unsigned		 i, n = 0;

	if (b == NULL || b->count == 0)
		return;
	for (i = 0; i < b->count; i++) {
		if ((t = b->queued[i]) == NULL)
			continue;
		t->batched = 0;
		sqe = io_uring_get_sqe(&b->ring);	/* count <= ring size */
		io_uring_prep_sendmsg(sqe, t->fd, &t->msgs[0].msg_hdr,
		    MSG_DONTWAIT);
		io_uring_sqe_set_data(sqe, t);
		n++;
	}
	b->count = 0;
	if (n == 0)
		return;
	io_uring_submit(&b->ring);

	/*
	 * Every result is in.  A refused port (ICMP port unreachable, which
	 * this send consumed) is handed to the transfer's read callback, where
	 * transfers end, rather than ended here under a caller that may be
	 * using it.  Anything else (a full socket buffer) is a lost packet
	 * for the retransmission timer.
	 */
	while (n > 0 && (io_uring_peek_cqe(&b->ring, &cqe) == 0 ||
	    io_uring_wait_cqe(&b->ring, &cqe) == 0)) {
		t = io_uring_cqe_get_data(cqe);
		if (cqe->res == -ECONNREFUSED) {
			t->unreachable = 1;
			event_active(t->ev_read, EV_READ, 0);
		}
		io_uring_cqe_seen(&b->ring, cqe);
		n--;
	}
}

static void
tftp_batch_flush_cb(evutil_socket_t fd, short what, void *arg)
{
	tftp_batch_flush(arg);
}
