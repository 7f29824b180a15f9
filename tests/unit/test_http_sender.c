/*
 * HTTP bodies on sender threads (http-sender.c), into a local socket pair:
 * the exact bytes of the range asked, done() once in the caller's thread,
 * a reader that closes (EPIPE), a file shorter than the range (EIO), a
 * cancel that is never told, and stopping with a body still running.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <event2/event.h>

#include "http-sender.h"

#define FILE_SIZE	(3 * 1024 * 1024 + 123)

struct fx {
	struct event_base	*base;
	struct http_senders	*ss;
	char			 path[64];
	int			 file;
	unsigned char		*data;
	int			 sock[2];	/* [0] ours to send on */
	pthread_t		 loop_thread;
	int			 done_calls;
	int			 done_error;
	int			 wrong_thread;
	uint64_t		 offset_at_done;
};

static void
on_done(void *arg, struct http_send *hs, int error)
{
	struct fx	*fx = arg;

	if (!pthread_equal(pthread_self(), fx->loop_thread))
		fx->wrong_thread++;
	fx->done_calls++;
	fx->done_error = error;
	fx->offset_at_done = http_send_offset(hs);
	event_base_loopbreak(fx->base);
}

static int
setup(void **state)
{
	struct fx	*fx = calloc(1, sizeof *fx);
	char		*cause = NULL;
	size_t		 i;
	int		 nb;

	fx->base = event_base_new();
	fx->loop_thread = pthread_self();
	fx->ss = http_senders_start(fx->base, 2, &cause);
	assert_non_null(fx->ss);
	assert_int_equal(http_senders_count(fx->ss), 2);
	snprintf(fx->path, sizeof fx->path, "/tmp/test-sender.XXXXXX");
	assert_true((fx->file = mkstemp(fx->path)) != -1);
	fx->data = malloc(FILE_SIZE);
	srandom(7);
	for (i = 0; i < FILE_SIZE; i++)
		fx->data[i] = (unsigned char)random();
	assert_int_equal(write(fx->file, fx->data, FILE_SIZE), FILE_SIZE);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, fx->sock), 0);
	nb = fcntl(fx->sock[0], F_GETFL);
	fcntl(fx->sock[0], F_SETFL, nb | O_NONBLOCK);
	*state = fx;
	return (0);
}

static int
teardown(void **state)
{
	struct fx	*fx = *state;

	http_senders_stop(fx->ss);
	event_base_free(fx->base);
	close(fx->file);
	unlink(fx->path);
	if (fx->sock[0] != -1)
		close(fx->sock[0]);
	if (fx->sock[1] != -1)
		close(fx->sock[1]);
	free(fx->data);
	free(fx);
	return (0);
}

/* The reader's side, in a thread: read n bytes (or to EOF) into buf. */
struct reader {
	int		 fd;
	unsigned char	*buf;
	size_t		 want, got;
};

static void *
reader_main(void *arg)
{
	struct reader	*r = arg;
	ssize_t		 n;

	while (r->got < r->want &&
	    (n = read(r->fd, r->buf + r->got, r->want - r->got)) > 0)
		r->got += (size_t)n;
	return (NULL);
}

/* Run the caller's loop until done() or 10 s. */
static void
run_until_done(struct fx *fx)
{
	struct timeval	tv = { 10, 0 };

	event_base_loopexit(fx->base, &tv);
	event_base_dispatch(fx->base);
}

/* The range asked, exactly, and done(0) once, in the caller's thread. */
static void
test_range_exact(void **state)
{
	struct fx		*fx = *state;
	struct reader		 r = { fx->sock[1], NULL, 0, 0 };
	struct http_send	*hs;
	pthread_t		 t;
	uint64_t		 from = 1000, to = FILE_SIZE - 77;

	r.want = (size_t)(to - from);
	r.buf = malloc(r.want);
	pthread_create(&t, NULL, reader_main, &r);
	/* A small chunk: many calls, and many partial writes. */
	hs = http_senders_hand(fx->ss, fx->sock[0], fx->file, from, to,
	    65536, on_done, fx);
	assert_non_null(hs);
	run_until_done(fx);
	pthread_join(t, NULL);
	assert_int_equal(fx->done_calls, 1);
	assert_int_equal(fx->done_error, 0);
	assert_int_equal(fx->wrong_thread, 0);
	assert_int_equal(fx->offset_at_done, to);
	assert_int_equal(r.got, r.want);
	assert_memory_equal(r.buf, fx->data + from, r.want);
	free(r.buf);
}

/* Our descriptors are the caller's to close at once: the sender has its own. */
static void
test_caller_closes_its_own(void **state)
{
	struct fx		*fx = *state;
	struct reader		 r = { fx->sock[1], NULL, FILE_SIZE, 0 };
	pthread_t		 t;

	r.buf = malloc(r.want);
	assert_non_null(http_senders_hand(fx->ss, fx->sock[0], fx->file, 0,
	    FILE_SIZE, 0, on_done, fx));
	close(fx->sock[0]);
	fx->sock[0] = -1;
	pthread_create(&t, NULL, reader_main, &r);
	run_until_done(fx);
	pthread_join(t, NULL);
	assert_int_equal(fx->done_error, 0);
	assert_int_equal(r.got, FILE_SIZE);
	assert_memory_equal(r.buf, fx->data, FILE_SIZE);
	free(r.buf);
}

/* A reader that goes away: done(EPIPE), short of the end. */
static void
test_reader_closes(void **state)
{
	struct fx	*fx = *state;

	close(fx->sock[1]);
	fx->sock[1] = -1;
	assert_non_null(http_senders_hand(fx->ss, fx->sock[0], fx->file, 0,
	    FILE_SIZE, 0, on_done, fx));
	run_until_done(fx);
	assert_int_equal(fx->done_calls, 1);
	assert_int_equal(fx->done_error, EPIPE);
	assert_true(fx->offset_at_done < FILE_SIZE);
}

/* A file cut shorter than the range under the sender: done(EIO). */
static void
test_file_shorter(void **state)
{
	struct fx		*fx = *state;
	struct reader		 r = { fx->sock[1], NULL, FILE_SIZE, 0 };
	pthread_t		 t;

	assert_int_equal(ftruncate(fx->file, 100000), 0);
	r.buf = malloc(r.want);
	pthread_create(&t, NULL, reader_main, &r);
	assert_non_null(http_senders_hand(fx->ss, fx->sock[0], fx->file, 0,
	    FILE_SIZE, 0, on_done, fx));
	run_until_done(fx);
	assert_int_equal(fx->done_calls, 1);
	assert_int_equal(fx->done_error, EIO);
	assert_int_equal(fx->offset_at_done, 100000);
	shutdown(fx->sock[0], SHUT_RDWR);
	pthread_join(t, NULL);
	assert_int_equal(r.got, 100000);
	free(r.buf);
}

/*
 * A reader that reads nothing, then a cancel: done() is never called, the
 * sender lets the body go (its descriptors closed: the reader sees EOF once
 * ours is closed too), and nothing leaks (the sanitizer's check).
 */
static void
test_cancel_is_not_told(void **state)
{
	struct fx		*fx = *state;
	struct http_send	*hs;
	struct timeval		 tv = { 0, 300 * 1000 };
	unsigned char		 buf[65536];
	uint64_t		 at;
	ssize_t			 n;
	size_t			 got = 0;

	hs = http_senders_hand(fx->ss, fx->sock[0], fx->file, 0, FILE_SIZE, 0,
	    on_done, fx);
	assert_non_null(hs);
	/* The socket fills, and the sender waits for room. */
	event_base_loopexit(fx->base, &tv);
	event_base_dispatch(fx->base);
	at = http_send_offset(hs);
	assert_true(at > 0 && at < FILE_SIZE);
	http_send_cancel(hs);
	event_base_loopexit(fx->base, &tv);
	event_base_dispatch(fx->base);
	close(fx->sock[0]);
	fx->sock[0] = -1;
	while ((n = read(fx->sock[1], buf, sizeof buf)) > 0)
		got += (size_t)n;
	assert_int_equal(n, 0);
	assert_int_equal(got, at);	/* nothing after the cancel */
	assert_int_equal(fx->done_calls, 0);
}

/* Stopping with a body waiting for room: it is dropped, not told. */
static void
test_stop_with_body_running(void **state)
{
	struct fx	*fx = *state;
	struct timeval	 tv = { 0, 200 * 1000 };

	assert_non_null(http_senders_hand(fx->ss, fx->sock[0], fx->file, 0,
	    FILE_SIZE, 0, on_done, fx));
	event_base_loopexit(fx->base, &tv);
	event_base_dispatch(fx->base);
	http_senders_stop(fx->ss);
	fx->ss = NULL;
	assert_int_equal(fx->done_calls, 0);
}

/* Many bodies at once over both senders, each whole. */
static void
test_many_at_once(void **state)
{
	struct fx		*fx = *state;
	struct reader		 r[8];
	pthread_t		 t[8];
	int			 sv[8][2], i;
	struct timeval		 tv = { 10, 0 };

	for (i = 0; i < 8; i++) {
		assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv[i]), 0);
		fcntl(sv[i][0], F_SETFL, fcntl(sv[i][0], F_GETFL) | O_NONBLOCK);
		r[i].fd = sv[i][1];
		r[i].want = FILE_SIZE - (size_t)i * 1000;
		r[i].got = 0;
		r[i].buf = malloc(r[i].want);
		pthread_create(&t[i], NULL, reader_main, &r[i]);
		assert_non_null(http_senders_hand(fx->ss, sv[i][0], fx->file,
		    (uint64_t)i * 1000, FILE_SIZE, 0, on_done, fx));
		close(sv[i][0]);
	}
	while (fx->done_calls < 8) {
		event_base_loopexit(fx->base, &tv);
		event_base_dispatch(fx->base);
	}
	for (i = 0; i < 8; i++) {
		pthread_join(t[i], NULL);
		assert_int_equal(r[i].got, r[i].want);
		assert_memory_equal(r[i].buf, fx->data + i * 1000, r[i].want);
		free(r[i].buf);
		close(sv[i][1]);
	}
	assert_int_equal(fx->done_error, 0);
	assert_int_equal(fx->wrong_thread, 0);
}

static void
test_bad_counts(void **state)
{
	struct event_base	*base = event_base_new();
	char			*cause = NULL;

	(void)state;
	assert_null(http_senders_start(base, 0, &cause));
	assert_non_null(strstr(cause, "is not 1..64"));
	free(cause);
	cause = NULL;
	assert_null(http_senders_start(base, 65, &cause));
	free(cause);
	event_base_free(base);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_range_exact, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_caller_closes_its_own,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_reader_closes, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_file_shorter, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_cancel_is_not_told, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_stop_with_body_running,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_many_at_once, setup,
		    teardown),
		cmocka_unit_test(test_bad_counts),
	};

	signal(SIGPIPE, SIG_IGN);
	return (cmocka_run_group_tests_name("http_sender", tests, NULL, NULL));
}
