/*
 * An HTTP request held for another server's events (http_hooks.hold): a
 * client that acknowledges the last block of a TFTP download running on a
 * worker loop and asks over HTTP at once is answered only once that
 * download's end has reached the caller's loop (tftp_server_hold); a held
 * request whose client goes, or whose server stops, costs nothing after.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <event2/event.h>

#include "http.h"
#include "log.h"
#include "tftp.h"

#define IMAGE_SIZE	1000	/* two TFTP blocks */
#define NEXT_BODY	"<next/>\n"
#define NEXT_GET	"GET /next.cfg HTTP/1.1\r\nHost: t\r\n\r\n"

struct fx {
	struct event_base	*base;
	struct tftp_server	*tftp;
	struct http_server	*http;
	uint8_t			 image[IMAGE_SIZE];
	int			 tftp_ended;	/* TFTP transfers told ended */
	int			 resolves;	/* HTTP requests resolved */
	int			 ended_at_resolve; /* tftp_ended then */
	/* The fake hold (no TFTP server): what the test resumes. */
	void			(*resume)(void *);
	void			*resume_arg;
	int			 unholds;
	void			*unheld;
};

static int
tftp_resolve(void *arg, const struct tftp_request *req,
    struct tftp_content *c, char **cause)
{
	struct fx	*fx = arg;

	memset(c, 0, sizeof *c);
	c->fd = -1;
	c->buf = fx->image;
	c->size = sizeof fx->image;
	return (0);
}

static void
tftp_event(void *arg, const struct xfer_event *ev)
{
	struct fx	*fx = arg;

	if (ev->phase == XFER_ENDED) {
		assert_int_equal(ev->end, XFER_END_COMPLETE);
		fx->tftp_ended++;
	}
}

static int
http_resolve(void *arg, const struct http_request_info *req,
    struct http_content *c, char **cause)
{
	struct fx	*fx = arg;

	fx->resolves++;
	fx->ended_at_resolve = fx->tftp_ended;
	c->buf = NEXT_BODY;
	c->size = strlen(NEXT_BODY);
	return (200);
}

static void *
hold_tftp(void *arg, const struct sockaddr *peer, socklen_t len,
    void (*resume)(void *), void *resume_arg)
{
	struct fx	*fx = arg;

	return (tftp_server_hold(fx->tftp, peer, len, resume, resume_arg));
}

static void
unhold_tftp(void *arg, void *handle)
{
	struct fx	*fx = arg;

	tftp_server_unhold(fx->tftp, handle);
}

/* Holds every request until the test resumes it. */
static void *
hold_fake(void *arg, const struct sockaddr *peer, socklen_t len,
    void (*resume)(void *), void *resume_arg)
{
	struct fx	*fx = arg;

	fx->resume = resume;
	fx->resume_arg = resume_arg;
	return (fx);
}

static void
unhold_fake(void *arg, void *handle)
{
	struct fx	*fx = arg;

	fx->unholds++;
	fx->unheld = handle;
}

static struct fx *
fx_new(int with_tftp)
{
	struct fx		*fx = calloc(1, sizeof *fx);
	struct tftp_config	 tc;
	struct tftp_hooks	 th = { tftp_resolve, tftp_event, fx };
	struct http_config	 hc;
	struct http_hooks	 hh = { http_resolve, NULL, fx, NULL, NULL };
	char			*cause = NULL;
	size_t			 i;

	log_open(fopen("/dev/null", "w"), LOG_LEVEL_ERROR);
	for (i = 0; i < sizeof fx->image; i++)
		fx->image[i] = i * 7;
	fx->base = event_base_new();
	if (with_tftp) {
		tftp_config_defaults(&tc);
		tc.listen = "127.0.0.1";
		tc.port = 0;
		/* No retransmission or abandon in a step, however loaded. */
		tc.rto_min_ms = 3000;
		tc.abandon_ms = 10000;
		tc.workers = 2;
		fx->tftp = tftp_server_start(fx->base, &tc, &th, &cause);
		assert_non_null(fx->tftp);
		hh.hold = hold_tftp;
		hh.unhold = unhold_tftp;
	} else {
		hh.hold = hold_fake;
		hh.unhold = unhold_fake;
	}
	http_config_defaults(&hc);
	hc.listen = "127.0.0.1";
	hc.port = 0;
	fx->http = http_server_start(fx->base, &hc, &hh, &cause);
	assert_non_null(fx->http);
	return (fx);
}

static void
fx_free(struct fx *fx)
{
	http_server_free(fx->http);
	if (fx->tftp != NULL)
		tftp_server_free(fx->tftp);
	event_base_free(fx->base);
	free(fx);
}

static void
pump(struct fx *fx, int ms)
{
	struct timeval	tv = { 0, ms * 1000 };

	event_base_loopexit(fx->base, &tv);
	event_base_dispatch(fx->base);
}

/* Run the loop until fd has something to read (5 s at most). */
static void
pump_until_readable(struct fx *fx, int fd)
{
	struct pollfd	pfd = { fd, POLLIN, 0 };
	int		i;

	for (i = 0; i < 1000; i++) {
		if (poll(&pfd, 1, 0) == 1)
			return;
		pump(fx, 5);
	}
	fail_msg("nothing came from the server");
}

static int
udp_client(void)
{
	struct sockaddr_in	sin;
	int			fd = socket(AF_INET, SOCK_DGRAM, 0);

	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof sin), 0);
	return (fd);
}

static int
tcp_client(struct fx *fx)
{
	struct sockaddr_in	sin;
	int			fd = socket(AF_INET, SOCK_STREAM, 0);

	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_port = htons(http_server_port(fx->http));
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(fd, (struct sockaddr *)&sin, sizeof sin), 0);
	return (fd);
}

static void
send_rrq(struct fx *fx, int fd)
{
	static const char	rrq[] = "\0\1image.ld\0octet\0";
	struct sockaddr_in	sin;

	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_port = htons(tftp_server_port(fx->tftp));
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(sendto(fd, rrq, sizeof rrq - 1, 0,
	    (struct sockaddr *)&sin, sizeof sin), (ssize_t)sizeof rrq - 1);
}

/* DATA block of len bytes from the transfer's port, learnt into tid. */
static void
expect_data(struct fx *fx, int fd, uint16_t block, size_t len,
    struct sockaddr_in *tid)
{
	uint8_t		buf[600];
	socklen_t	slen = sizeof *tid;
	ssize_t		n;

	pump_until_readable(fx, fd);
	n = recvfrom(fd, buf, sizeof buf, MSG_DONTWAIT,
	    (struct sockaddr *)tid, &slen);
	assert_int_equal(n, (ssize_t)len + 4);
	assert_int_equal(buf[1], 3);
	assert_int_equal((buf[2] << 8) | buf[3], block);
	assert_memory_equal(buf + 4, fx->image + (block - 1) * 512, len);
}

static void
send_ack(int fd, const struct sockaddr_in *tid, uint16_t block)
{
	uint8_t	ack[4] = { 0, 4, block >> 8, block & 0xff };

	assert_int_equal(sendto(fd, ack, 4, 0, (const struct sockaddr *)tid,
	    sizeof *tid), 4);
}

/* The whole reply to NEXT_GET on fd: a 200 with NEXT_BODY. */
static void
expect_next_reply(struct fx *fx, int fd)
{
	char	buf[1024];
	size_t	got = 0;
	ssize_t	n;

	while (got < sizeof buf - 1) {
		pump_until_readable(fx, fd);
		n = recv(fd, buf + got, sizeof buf - 1 - got, MSG_DONTWAIT);
		assert_true(n > 0);
		got += n;
		buf[got] = '\0';
		if (got >= strlen(NEXT_BODY) && strcmp(buf + got -
		    strlen(NEXT_BODY), NEXT_BODY) == 0)
			break;
	}
	if (strncmp(buf, "HTTP/1.1 200 ", 13) != 0)
		fail_msg("reply: %s", buf);
	assert_non_null(strstr(buf, "\r\n\r\n" NEXT_BODY));
}

/*
 * The last ACK of a download on a worker, and at once an HTTP request from
 * the same address: resolved after the download's end, every time.
 */
static void
test_http_after_last_ack(void **state)
{
	struct fx		*fx = fx_new(1);
	struct sockaddr_in	 tid;
	int			 u = udp_client(), h = tcp_client(fx), i;

	for (i = 0; i < 30; i++) {
		send_rrq(fx, u);
		expect_data(fx, u, 1, 512, &tid);
		send_ack(u, &tid, 1);
		expect_data(fx, u, 2, IMAGE_SIZE - 512, &tid);
		send_ack(u, &tid, 2);
		assert_int_equal(send(h, NEXT_GET, strlen(NEXT_GET), 0),
		    (ssize_t)strlen(NEXT_GET));
		expect_next_reply(fx, h);
		assert_int_equal(fx->resolves, i + 1);
		assert_int_equal(fx->ended_at_resolve, i + 1);
	}
	/* Nothing running: answered at once, nothing held. */
	assert_int_equal(tftp_server_active(fx->tftp), 0);
	assert_null(tftp_server_hold(fx->tftp, (struct sockaddr *)&tid,
	    sizeof tid, NULL, NULL));
	close(u);
	close(h);
	fx_free(fx);
}

/* Send the next GET on h and run the loop until the server holds it. */
static void
send_held_get(struct fx *fx, int h)
{
	int	i;

	assert_int_equal(send(h, NEXT_GET, strlen(NEXT_GET), 0),
	    (ssize_t)strlen(NEXT_GET));
	for (i = 0; i < 200 && fx->resume == NULL; i++)
		pump(fx, 5);
	assert_non_null(fx->resume);
}

/* The client goes while its request is held: nothing answered, no leak. */
static void
test_client_gone_while_held(void **state)
{
	struct fx	*fx = fx_new(0);
	int		 h = tcp_client(fx);

	send_held_get(fx, h);
	assert_int_equal(fx->resolves, 0);
	close(h);
	pump(fx, 50);
	fx->resume(fx->resume_arg);
	pump(fx, 50);
	assert_int_equal(fx->unholds, 0);
	fx_free(fx);
}

/* The server stops while a request is held: the hold is given up. */
static void
test_stopped_while_held(void **state)
{
	struct fx	*fx = fx_new(0);
	int		 h = tcp_client(fx);

	send_held_get(fx, h);
	http_server_free(fx->http);
	fx->http = NULL;
	assert_int_equal(fx->unholds, 1);
	assert_ptr_equal(fx->unheld, fx);
	assert_int_equal(fx->resolves, 0);
	close(h);
	fx_free(fx);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_http_after_last_ack),
		cmocka_unit_test(test_client_gone_while_held),
		cmocka_unit_test(test_stopped_while_held),
	};

	return (cmocka_run_group_tests_name("http_hold", tests, NULL, NULL));
}
