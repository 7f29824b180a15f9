/*
 * The send batch: DATA queued during a turn of the loop leaves at its end,
 * a lone transfer's DATA is not queued but leaves from its own callback, a
 * transfer that goes away takes its queued packet with it, and a send
 * refused by ICMP port unreachable is handed to the transfer's read event.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <poll.h>

#include <stdarg.h>
#include <stdio.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <event2/event.h>

#include "tftp-int.h"

struct peer {
	int			fd;	/* the client's socket */
	struct sockaddr_in	addr;
};

/* A bound UDP socket on loopback: a client, or a port closed later. */
static struct peer
peer_new(void)
{
	struct peer	p;
	socklen_t	len = sizeof p.addr;

	memset(&p, 0, sizeof p);
	p.fd = socket(AF_INET, SOCK_DGRAM, 0);
	assert_true(p.fd >= 0);
	p.addr.sin_family = AF_INET;
	p.addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(p.fd, (struct sockaddr *)&p.addr, sizeof p.addr), 0);
	assert_int_equal(getsockname(p.fd, (struct sockaddr *)&p.addr, &len), 0);
	return (p);
}

static int	read_events;

static void
count_read(evutil_socket_t fd, short what, void *arg)
{
	read_events++;
}

/* A sending transfer as far as the batch sees it: a connected socket,
 * one message in msgs[0] and a read event. */
static struct tftp_transfer *
transfer_new(struct event_base *base, const struct peer *to, const char *text)
{
	struct tftp_transfer	*t = calloc(1, sizeof *t);
	struct sockaddr_in	 local = { .sin_family = AF_INET };

	local.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	t->fd = socket(AF_INET, SOCK_DGRAM, 0);
	assert_int_equal(bind(t->fd, (struct sockaddr *)&local, sizeof local), 0);
	assert_int_equal(connect(t->fd, (const struct sockaddr *)&to->addr,
	    sizeof to->addr), 0);
	t->iov = calloc(1, sizeof *t->iov);
	t->msgs = calloc(1, sizeof *t->msgs);
	t->iov[0].iov_base = (void *)text;
	t->iov[0].iov_len = strlen(text);
	t->msgs[0].msg_hdr.msg_iov = t->iov;
	t->msgs[0].msg_hdr.msg_iovlen = 1;
	t->ev_read = event_new(base, t->fd, EV_READ, count_read, t);
	return (t);
}

static void
transfer_free(struct tftp_transfer *t)
{
	event_free(t->ev_read);
	close(t->fd);
	free(t->iov);
	free(t->msgs);
	free(t);
}

/* What arrived at p, or "" when nothing did. */
static const char *
received(const struct peer *p)
{
	static char	buf[64];
	ssize_t		n = recv(p->fd, buf, sizeof buf - 1, MSG_DONTWAIT);

	buf[n > 0 ? n : 0] = '\0';
	return (buf);
}

/*
 * A callback answering an ACK as tftp_read_send() does: queue the DATA, or
 * send it at once when the batch says so; it notes what its own client had
 * received by the time it returned to the loop.
 */
struct answer {
	struct tftp_batch	*b;
	struct tftp_transfer	*t;
	const struct peer	*p;
	char			 seen[64];	/* at the client on return */
};

static void
answer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct answer	*a = arg;

	if (tftp_batch_queue(a->b, a->t) != 0)
		assert_true(sendmsg(a->t->fd, &a->t->msgs[0].msg_hdr,
		    MSG_DONTWAIT) > 0);
	snprintf(a->seen, sizeof a->seen, "%s", received(a->p));
}

/* Two transfers, each to a client of its own, and a batch. */
struct two {
	struct event_base	*base;
	struct tftp_batch	*b;
	struct peer		 p1, p2;
	struct tftp_transfer	*t1, *t2;
};

static void
two_new(struct two *x, const char *text1, const char *text2)
{
	x->base = event_base_new();
	x->b = tftp_batch_new(x->base);
	x->p1 = peer_new();
	x->p2 = peer_new();
	x->t1 = transfer_new(x->base, &x->p1, text1);
	x->t2 = transfer_new(x->base, &x->p2, text2);
	if (x->b == NULL)
		skip();		/* no io_uring here: sends go out at once */
}

static void
two_free(struct two *x)
{
	if (x->t1 != NULL)
		transfer_free(x->t1);
	transfer_free(x->t2);
	close(x->p1.fd);
	close(x->p2.fd);
	tftp_batch_free(x->b);
	event_base_free(x->base);
}

/* Something else active in this turn: the batch has company to wait for. */
static struct event *
company(struct event_base *base)
{
	struct event	*ev = event_new(base, -1, 0, count_read, NULL);

	event_active(ev, EV_TIMEOUT, 0);
	return (ev);
}

static void
test_sent_at_the_end_of_the_turn(void **state)
{
	struct two	 x;
	struct event	*other;

	two_new(&x, "DATA one", "DATA two");
	other = company(x.base);
	assert_int_equal(tftp_batch_queue(x.b, x.t1), 0);
	assert_int_equal(tftp_batch_queue(x.b, x.t2), 0);
	/* Queued, not sent: a second queue of t1 keeps one entry. */
	assert_int_equal(tftp_batch_queue(x.b, x.t1), 0);
	assert_string_equal(received(&x.p1), "");
	assert_int_equal(x.t1->batched, 1);

	event_base_loop(x.base, EVLOOP_NONBLOCK);
	assert_string_equal(received(&x.p1), "DATA one");
	assert_string_equal(received(&x.p2), "DATA two");
	assert_string_equal(received(&x.p1), "");	/* once only */
	assert_int_equal(x.t1->batched, 0);
	event_free(other);
	two_free(&x);
}

static void
test_lone_data_leaves_inside_its_callback(void **state)
{
	struct two	 x;
	struct answer	 a;
	struct event	*ev;

	two_new(&x, "DATA lone", "DATA unused");
	memset(&a, 0, sizeof a);
	a.b = x.b;
	a.t = x.t1;
	a.p = &x.p1;
	ev = event_new(x.base, -1, 0, answer_cb, &a);
	event_active(ev, EV_READ, 0);
	event_base_loop(x.base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
	/* At the client before the callback went back to the loop. */
	assert_string_equal(a.seen, "DATA lone");
	assert_int_equal(x.t1->batched, 0);
	assert_string_equal(received(&x.p1), "");	/* once only */
	event_free(ev);
	two_free(&x);
}

static void
test_two_in_a_turn_leave_together(void **state)
{
	struct two	 x;
	struct answer	 a1, a2;
	struct event	*ev1, *ev2;

	two_new(&x, "DATA one", "DATA two");
	memset(&a1, 0, sizeof a1);
	memset(&a2, 0, sizeof a2);
	a1.b = a2.b = x.b;
	a1.t = x.t1;
	a1.p = &x.p1;
	a2.t = x.t2;
	a2.p = &x.p2;
	ev1 = event_new(x.base, -1, 0, answer_cb, &a1);
	ev2 = event_new(x.base, -1, 0, answer_cb, &a2);
	event_active(ev1, EV_READ, 0);
	event_active(ev2, EV_READ, 0);
	event_base_loop(x.base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
	/* The first was queued for the second's company, and so the second
	 * joined it: neither left inside its callback, both left by the end
	 * of the turn. */
	assert_string_equal(a1.seen, "");
	assert_string_equal(a2.seen, "");
	assert_string_equal(received(&x.p1), "DATA one");
	assert_string_equal(received(&x.p2), "DATA two");
	event_free(ev1);
	event_free(ev2);
	two_free(&x);
}

static void
test_forgotten_transfer_sends_nothing(void **state)
{
	struct two	 x;
	struct event	*other;

	two_new(&x, "DATA gone", "DATA kept");
	other = company(x.base);
	assert_int_equal(tftp_batch_queue(x.b, x.t1), 0);
	assert_int_equal(tftp_batch_queue(x.b, x.t2), 0);
	tftp_batch_forget(x.b, x.t1);
	transfer_free(x.t1);	/* its buffers are gone before the flush */
	x.t1 = NULL;
	event_base_loop(x.base, EVLOOP_NONBLOCK);
	assert_string_equal(received(&x.p1), "");
	assert_string_equal(received(&x.p2), "DATA kept");
	event_free(other);
	two_free(&x);
}

static void
test_refused_send_wakes_the_reader(void **state)
{
	struct event_base	*base = event_base_new();
	struct tftp_batch	*b = tftp_batch_new(base);
	struct peer		 gone = peer_new();
	struct tftp_transfer	*t = transfer_new(base, &gone, "DATA lost");
	struct pollfd		 pfd = { .fd = t->fd, .events = 0 };
	struct event		*other;

	if (b == NULL)
		skip();
	other = company(base);
	/* The client's port closes; a first packet brings ICMP back, which
	 * the next send (the batched one) receives as ECONNREFUSED.  poll()
	 * sees the pending error without clearing it. */
	close(gone.fd);
	send(t->fd, "x", 1, 0);
	assert_int_equal(poll(&pfd, 1, 2000), 1);
	assert_true(pfd.revents & POLLERR);
	assert_int_equal(tftp_batch_queue(b, t), 0);
	tftp_batch_flush(b);
	assert_int_equal(t->unreachable, 1);
	read_events = 0;
	event_base_loop(base, EVLOOP_NONBLOCK);
	assert_int_equal(read_events, 2);	/* the reader, and the company */
	event_free(other);

	transfer_free(t);
	tftp_batch_free(b);
	event_base_free(base);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sent_at_the_end_of_the_turn),
		cmocka_unit_test(test_lone_data_leaves_inside_its_callback),
		cmocka_unit_test(test_two_in_a_turn_leave_together),
		cmocka_unit_test(test_forgotten_transfer_sends_nothing),
		cmocka_unit_test(test_refused_send_wakes_the_reader),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
