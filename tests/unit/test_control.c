/*
 * The control socket transport, against a small daemon of our own: this test
 * binary run as "--serve DIR" registers fake commands (echo, fail, emit,
 * shutdown) on control_server_start() and runs a libevent loop.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include <event2/event.h>
#include <jansson.h>

#include "control.h"
#include "xmalloc.h"

static char	 self_exe[PATH_MAX];
static char	 tmpdir[256];
static pid_t	 server_pid = -1;

/* --- the fake daemon ------------------------------------------------------ */

static struct control_server	*fake_server;
static struct event_base	*fake_base;
static long long		 fake_seq;

static int
fake_echo(void *arg, json_t *args, json_t **result, char **error)
{
	*result = json_deep_copy(args);
	return (0);
}

static int
fake_fail(void *arg, json_t *args, json_t **result, char **error)
{
	xasprintf(error, "fake failure: mac %s",
	    json_string_value(json_object_get(args, "mac")));
	return (-1);
}

static int
fake_emit(void *arg, json_t *args, json_t **result, char **error)
{
	json_int_t	 n, size, i;
	char		*pad;

	n = json_integer_value(json_object_get(args, "n"));
	size = json_integer_value(json_object_get(args, "size"));
	pad = xcalloc(1, size + 1);
	memset(pad, 'x', size);
	for (i = 0; i < n; i++)
		control_broadcast(fake_server, "tick", json_pack("{s:I,s:s}",
		    "seq", (json_int_t)fake_seq++, "pad", pad));
	free(pad);
	*result = json_pack("{s:I}", "sent", n);
	return (0);
}

static int
fake_shutdown(void *arg, json_t *args, json_t **result, char **error)
{
	event_base_loopexit(fake_base, NULL);
	return (0);
}

static void
fake_timeout(evutil_socket_t fd, short what, void *arg)
{
	event_base_loopexit(fake_base, NULL);	/* never outlive the test */
}

static int
fake_serve(const char *dir)
{
	struct timeval	 tv = { 60, 0 };
	struct event	*ev;
	const char	*slow;
	char		*cause, *path;
	FILE		*fp;

	xasprintf(&path, "%s/starts", dir);
	if ((fp = fopen(path, "a")) != NULL) {
		fprintf(fp, "%ld\n", (long)getpid());
		fclose(fp);
	}
	free(path);
	if ((slow = getenv("FAKE_SLOW_START_MS")) != NULL)
		usleep(atoi(slow) * 1000);

	fake_base = event_base_new();
	if ((fake_server = control_server_start(fake_base, dir, &cause)) ==
	    NULL) {
		fprintf(stderr, "fake serve: %s\n", cause);
		free(cause);
		event_base_free(fake_base);
		return (1);
	}
	control_register(fake_server, "echo", fake_echo, NULL);
	control_register(fake_server, "fail", fake_fail, NULL);
	control_register(fake_server, "emit", fake_emit, NULL);
	control_register(fake_server, "shutdown", fake_shutdown, NULL);
	ev = evtimer_new(fake_base, fake_timeout, NULL);
	evtimer_add(ev, &tv);
	event_base_dispatch(fake_base);
	event_free(ev);
	control_server_free(fake_server);
	event_base_free(fake_base);
	libevent_global_shutdown();
	return (0);
}

/* --- helpers -------------------------------------------------------------- */

static char *
sock_path(void)
{
	static char	path[PATH_MAX];

	snprintf(path, sizeof path, "%s/%s", tmpdir, CONTROL_SOCKET_NAME);
	return (path);
}

static void
msleep(int ms)
{
	struct timespec	ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static int
setup_dir(void **state)
{
	snprintf(tmpdir, sizeof tmpdir, "/tmp/ztp-control.XXXXXX");
	assert_non_null(mkdtemp(tmpdir));
	return (0);
}

static int
teardown_dir(void **state)
{
	char	*cmd;

	xasprintf(&cmd, "rm -rf '%s'", tmpdir);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	return (0);
}

static void
start_server(void)
{
	int	i, fd;

	server_pid = fork();
	assert_true(server_pid != -1);
	if (server_pid == 0) {
		execl(self_exe, self_exe, "--serve", tmpdir, (char *)NULL);
		_exit(127);
	}
	for (i = 0; i < 500; i++) {
		if ((fd = control_connect_path(sock_path())) != -1) {
			close(fd);
			return;
		}
		msleep(10);
	}
	fail_msg("the fake daemon did not listen");
}

/* Stop the fake daemon and check it exited cleanly (no leaks). */
static void
stop_server(void)
{
	struct control_client	*cl;
	json_t			*r;
	char			*error = NULL;
	int			 status;

	assert_non_null(cl = control_open(tmpdir, 0, &error));
	r = control_request(cl, "shutdown", NULL, &error);
	if (r == NULL)
		fprintf(stderr, "shutdown: %s\n", error), fail();
	json_decref(r);
	control_client_free(cl);
	assert_int_equal(waitpid(server_pid, &status, 0), server_pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	server_pid = -1;
	assert_int_equal(access(sock_path(), F_OK), -1);
}

static int
raw_connect(void)
{
	int	fd;

	fd = control_connect_path(sock_path());
	assert_true(fd != -1);
	return (fd);
}

static void
raw_write(int fd, const char *s)
{
	assert_int_equal(write(fd, s, strlen(s)), (ssize_t)strlen(s));
}

/* Read one line (without the newline) or "" at EOF. */
static char *
raw_line(int fd)
{
	char	*buf;
	size_t	 len = 0, size = 256;
	ssize_t	 n;
	char	 c;

	buf = xmalloc(size);
	for (;;) {
		n = read(fd, &c, 1);
		if (n <= 0 || c == '\n')
			break;
		if (len + 1 >= size)
			buf = xrealloc(buf, size *= 2);
		buf[len++] = c;
	}
	buf[len] = '\0';
	return (buf);
}

/* --- tests ---------------------------------------------------------------- */

static void
test_request_and_errors(void **state)
{
	struct control_client	*cl;
	struct stat		 sb;
	json_t			*r, *args;
	char			*error = NULL;

	start_server();
	assert_int_equal(stat(sock_path(), &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);

	assert_non_null(cl = control_open(tmpdir, 0, &error));
	args = json_pack("{s:s,s:i}", "mac", "0004f2000001", "n", 7);
	r = control_request(cl, "echo", args, &error);
	assert_non_null(r);
	assert_true(json_equal(r, args));
	json_decref(r);

	r = control_request(cl, "fail", args, &error);
	assert_null(r);
	assert_string_equal(error, "fake failure: mac 0004f2000001");
	free(error);

	r = control_request(cl, "frobnicate", NULL, &error);
	assert_null(r);
	assert_non_null(strstr(error, "unknown command 'frobnicate'"));
	free(error);

	/* The connection is still usable after refusals. */
	r = control_request(cl, "echo", NULL, &error);
	assert_non_null(r);
	assert_int_equal(json_object_size(r), 0);
	json_decref(r);
	json_decref(args);
	control_client_free(cl);
	stop_server();
}

static void
test_version_mismatch_from_client(void **state)
{
	char	*line;
	int	 fd;

	start_server();
	fd = raw_connect();
	raw_write(fd, "{\"v\":2,\"id\":9,\"cmd\":\"echo\"}\n");
	line = raw_line(fd);
	assert_non_null(strstr(line, "\"ok\":false"));
	assert_non_null(strstr(line, "\"id\":9"));
	assert_non_null(strstr(line, "the client speaks version 2, this "
	    "daemon speaks version 1"));
	free(line);
	line = raw_line(fd);
	assert_string_equal(line, "");		/* and it hung up */
	free(line);
	close(fd);

	fd = raw_connect();
	raw_write(fd, "{\"id\":3,\"cmd\":\"echo\"}\n");
	line = raw_line(fd);
	assert_non_null(strstr(line, "the client sent no version"));
	free(line);
	close(fd);
	stop_server();
}

static void
test_version_mismatch_from_daemon(void **state)
{
	struct control_client	*cl;
	const char		*answer = "{\"v\":3,\"id\":1,\"ok\":true}\n";
	json_t			*r;
	char			*error = NULL;
	int			 sv[2];

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	raw_write(sv[1], answer);
	cl = control_client_new_fd(sv[0]);
	r = control_request(cl, "status", NULL, &error);
	assert_null(r);
	assert_string_equal(error, "control protocol version mismatch: the "
	    "daemon speaks version 3, this client speaks version 1; use a "
	    "ztp-rescue of the same release on both sides (restart the "
	    "daemon after an upgrade)");
	free(error);
	control_client_free(cl);
	close(sv[1]);
}

static void
test_partial_lines(void **state)
{
	char	*line;
	int	 fd;

	start_server();
	fd = raw_connect();
	raw_write(fd, "{\"v\":1,\"id\":5,");
	msleep(50);
	raw_write(fd, "\"cmd\":\"echo\",\"args\":{\"a\":\"b\"}}\n{\"v\":1,");
	msleep(50);
	raw_write(fd, "\"id\":6,\"cmd\":\"echo\"}\n\n");
	line = raw_line(fd);
	assert_string_equal(line,
	    "{\"v\":1,\"ok\":true,\"result\":{\"a\":\"b\"},\"id\":5}");
	free(line);
	line = raw_line(fd);
	assert_string_equal(line, "{\"v\":1,\"ok\":true,\"result\":{},\"id\":6}");
	free(line);

	/* Not JSON: refused, the connection lives on. */
	raw_write(fd, "hello\n{\"v\":1,\"id\":7,\"cmd\":\"echo\"}\n");
	line = raw_line(fd);
	assert_non_null(strstr(line, "not a JSON object"));
	assert_non_null(strstr(line, "began \\\"hello\\\""));
	free(line);
	line = raw_line(fd);
	assert_non_null(strstr(line, "\"id\":7"));
	free(line);
	close(fd);
	stop_server();
}

static void
test_huge_line_refused(void **state)
{
	struct control_client	*cl;
	json_t			*r;
	char			*buf, *line, *error = NULL;
	size_t			 total = CONTROL_LINE_MAX + 65536, done = 0;
	ssize_t			 n;
	int			 fd;

	start_server();
	fd = raw_connect();
	buf = xmalloc(65536);
	memset(buf, 'x', 65536);
	while (done < total) {
		n = send(fd, buf, 65536, MSG_NOSIGNAL);
		if (n <= 0)
			break;		/* the daemon hung up on us */
		done += n;
	}
	free(buf);
	line = raw_line(fd);
	assert_non_null(strstr(line, "request longer than 4194304 bytes: "
	    "refused"));
	free(line);
	line = raw_line(fd);
	assert_string_equal(line, "");
	free(line);
	close(fd);

	/* The daemon is unharmed. */
	assert_non_null(cl = control_open(tmpdir, 0, &error));
	assert_non_null(r = control_request(cl, "echo", NULL, &error));
	json_decref(r);
	control_client_free(cl);
	stop_server();
}

static void
test_huge_line_from_daemon(void **state)
{
	struct control_client	*cl;
	json_t			*ev;
	char			*buf, *error = NULL;
	int			 sv[2];
	pid_t			 pid;

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	if ((pid = fork()) == 0) {
		close(sv[0]);
		buf = malloc(CONTROL_LINE_MAX + 4096);
		memset(buf, 'y', CONTROL_LINE_MAX + 4096);
		(void)!send(sv[1], buf, CONTROL_LINE_MAX + 4096, MSG_NOSIGNAL);
		_exit(0);
	}
	close(sv[1]);
	cl = control_client_new_fd(sv[0]);
	ev = control_next_event(cl, 10000, &error);
	assert_null(ev);
	assert_non_null(error);
	assert_string_equal(error, "the daemon sent a line longer than "
	    "4194304 bytes: refused");
	free(error);
	control_client_free(cl);
	waitpid(pid, NULL, 0);
}

static void
test_slow_subscriber_drops_and_is_told(void **state)
{
	struct control_client	*slow, *fast;
	json_t			*r, *ev, *args;
	const char		*name;
	char			*error = NULL;
	long long		 got = 0, dropped = 0, last = -1, seq;

	start_server();
	assert_non_null(slow = control_open(tmpdir, 0, &error));
	assert_non_null(r = control_request(slow, "subscribe", NULL, &error));
	json_decref(r);

	/* 3000 events of 1 kB while the subscriber reads nothing. */
	assert_non_null(fast = control_open(tmpdir, 0, &error));
	args = json_pack("{s:i,s:i}", "n", 3000, "size", 1000);
	r = control_request(fast, "emit", args, &error);
	json_decref(args);
	assert_non_null(r);	/* the daemon was not stalled by it */
	assert_int_equal(json_integer_value(json_object_get(r, "sent")), 3000);
	json_decref(r);

	while ((ev = control_next_event(slow, 1000, &error)) != NULL) {
		name = json_string_value(json_object_get(ev, "event"));
		if (strcmp(name, "dropped") == 0)
			dropped += json_integer_value(json_object_get(ev,
			    "count"));
		else {
			seq = json_integer_value(json_object_get(ev, "seq"));
			assert_true(seq > last);
			last = seq;
			got++;
		}
		json_decref(ev);
	}
	assert_null(error);	/* a timeout, not a failure */
	assert_true(dropped > 0);
	assert_true(got > 0);
	assert_int_equal(got + dropped, 3000);

	/* Once drained, the stream is whole again. */
	args = json_pack("{s:i,s:i}", "n", 5, "size", 10);
	assert_non_null(r = control_request(fast, "emit", args, &error));
	json_decref(r);
	json_decref(args);
	for (seq = 3000; seq < 3005; seq++) {
		assert_non_null(ev = control_next_event(slow, 5000, &error));
		assert_string_equal(json_string_value(json_object_get(ev,
		    "event")), "tick");
		assert_int_equal(json_integer_value(json_object_get(ev, "seq")),
		    seq);
		json_decref(ev);
	}
	control_client_free(slow);
	control_client_free(fast);
	stop_server();
}

static void
test_greedy_client_paused(void **state)
{
	struct control_client	*other;
	json_t			*r;
	char			*req, *error = NULL, *line, pad[2049];
	pid_t			 pid;
	int			 fd, i, status, answers = 0;
	size_t			 len;
	FILE			*fp;

	start_server();
	fd = raw_connect();
	memset(pad, 'z', sizeof pad - 1);
	pad[sizeof pad - 1] = '\0';
	/* 3000 requests of 2 kB answers, written without reading any. */
	if ((pid = fork()) == 0) {
		for (i = 0; i < 3000; i++) {
			xasprintf(&req, "{\"v\":1,\"id\":%d,\"cmd\":\"echo\","
			    "\"args\":{\"p\":\"%s\"}}\n", i, pad);
			if (send(fd, req, strlen(req), MSG_NOSIGNAL) <= 0)
				_exit(1);
			free(req);
		}
		_exit(0);
	}
	msleep(300);
	/* Meanwhile the daemon serves others. */
	assert_non_null(other = control_open(tmpdir, 0, &error));
	assert_non_null(r = control_request(other, "echo", NULL, &error));
	json_decref(r);
	control_client_free(other);

	/* Every answer arrives, in order, once the client reads. */
	assert_non_null(fp = fdopen(fd, "r"));
	line = NULL;
	len = 0;
	while (answers < 3000 && getline(&line, &len, fp) != -1) {
		xasprintf(&req, "\"id\":%d}", answers);
		assert_non_null(strstr(line, req));
		free(req);
		answers++;
	}
	free(line);
	assert_int_equal(answers, 3000);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_int_equal(WEXITSTATUS(status), 0);
	fclose(fp);
	stop_server();
}

static void
test_two_subscribers(void **state)
{
	struct control_client	*a, *b, *c;
	json_t			*r, *ev, *args;
	char			*error = NULL;
	int			 i;

	start_server();
	assert_non_null(a = control_open(tmpdir, 0, &error));
	assert_non_null(b = control_open(tmpdir, 0, &error));
	assert_non_null(c = control_open(tmpdir, 0, &error));
	assert_non_null(r = control_request(a, "subscribe", NULL, &error));
	json_decref(r);
	assert_non_null(r = control_request(b, "subscribe", NULL, &error));
	json_decref(r);
	args = json_pack("{s:i,s:i}", "n", 3, "size", 4);
	assert_non_null(r = control_request(c, "emit", args, &error));
	json_decref(r);
	json_decref(args);
	for (i = 0; i < 3; i++) {
		ev = control_next_event(a, 5000, &error);
		assert_non_null(ev);
		assert_int_equal(json_integer_value(json_object_get(ev, "v")),
		    1);
		assert_int_equal(json_integer_value(json_object_get(ev, "seq")),
		    i);
		assert_string_equal(json_string_value(json_object_get(ev,
		    "pad")), "xxxx");
		json_decref(ev);
		ev = control_next_event(b, 5000, &error);
		assert_non_null(ev);
		assert_int_equal(json_integer_value(json_object_get(ev, "seq")),
		    i);
		json_decref(ev);
	}
	/* The requester did not subscribe: it gets no events. */
	assert_null(control_next_event(c, 200, &error));
	assert_null(error);

	/* A subscriber can still make requests; events meanwhile are kept. */
	args = json_pack("{s:i,s:i}", "n", 2, "size", 1);
	assert_non_null(r = control_request(a, "emit", args, &error));
	json_decref(r);
	json_decref(args);
	assert_non_null(ev = control_next_event(a, 5000, &error));
	assert_int_equal(json_integer_value(json_object_get(ev, "seq")), 3);
	json_decref(ev);
	assert_non_null(ev = control_next_event(a, 5000, &error));
	assert_int_equal(json_integer_value(json_object_get(ev, "seq")), 4);
	json_decref(ev);
	/* b leaves with events unread: the daemon must not die of it. */
	control_client_free(a);
	control_client_free(b);
	control_client_free(c);
	stop_server();
}

static void
test_second_daemon_refused(void **state)
{
	struct event_base	*base;
	struct control_server	*cs;
	char			*cause = NULL;

	start_server();
	base = event_base_new();
	cs = control_server_start(base, tmpdir, &cause);
	assert_null(cs);
	assert_non_null(strstr(cause, "another ztp-rescue daemon already "
	    "answers"));
	free(cause);
	event_base_free(base);
	stop_server();
}

static void
test_no_daemon_no_autostart(void **state)
{
	char	*error = NULL;
	int	 fd;
	struct sockaddr_un sun;

	assert_null(control_open(tmpdir, 0, &error));
	assert_non_null(strstr(error, "no daemon is running"));
	assert_non_null(strstr(error, "ztp-rescue serve --state"));
	free(error);

	/* A socket nobody listens on any more: stale. */
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof sun.sun_path, "%s", sock_path());
	assert_int_equal(bind(fd, (struct sockaddr *)&sun, sizeof sun), 0);
	close(fd);
	assert_null(control_open(tmpdir, 0, &error));
	assert_non_null(strstr(error, "is stale"));
	free(error);
}

static void
test_autostart_failure_explained(void **state)
{
	char	*error = NULL;

	setenv(CONTROL_SERVE_ENV, "echo 'cannot bind 127.0.0.1:69' >&2; "
	    "exit 4", 1);
	assert_null(control_open(tmpdir, 1, &error));
	unsetenv(CONTROL_SERVE_ENV);
	assert_non_null(error);
	assert_non_null(strstr(error, "the daemon did not start (exit status "
	    "4): cannot bind 127.0.0.1:69; see"));
	free(error);
}

static int
count_lines(const char *path)
{
	FILE	*fp;
	int	 c, n = 0;

	if ((fp = fopen(path, "r")) == NULL)
		return (0);
	while ((c = fgetc(fp)) != EOF)
		n += (c == '\n');
	fclose(fp);
	return (n);
}

static void
test_autostart_race_starts_one(void **state)
{
	struct control_client	*cl;
	struct sockaddr_un	 sun;
	json_t			*r;
	char			*env, *error = NULL, *starts;
	pid_t			 kids[4];
	int			 i, status, fd;

	/* A stale socket left by a dead daemon, to make it harder. */
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof sun.sun_path, "%s", sock_path());
	assert_int_equal(bind(fd, (struct sockaddr *)&sun, sizeof sun), 0);
	close(fd);

	xasprintf(&env, "exec '%s' --serve \"$1\"", self_exe);
	setenv(CONTROL_SERVE_ENV, env, 1);
	setenv("FAKE_SLOW_START_MS", "300", 1);
	free(env);
	for (i = 0; i < 4; i++) {
		if ((kids[i] = fork()) == 0) {
			cl = control_open(tmpdir, 1, &error);
			if (cl == NULL) {
				fprintf(stderr, "client %d: %s\n", i, error);
				_exit(1);
			}
			r = control_request(cl, "echo", NULL, &error);
			_exit(r != NULL ? 0 : 2);
		}
	}
	for (i = 0; i < 4; i++) {
		assert_int_equal(waitpid(kids[i], &status, 0), kids[i]);
		assert_true(WIFEXITED(status));
		assert_int_equal(WEXITSTATUS(status), 0);
	}
	unsetenv(CONTROL_SERVE_ENV);
	unsetenv("FAKE_SLOW_START_MS");
	xasprintf(&starts, "%s/starts", tmpdir);
	assert_int_equal(count_lines(starts), 1);
	free(starts);

	assert_non_null(cl = control_open(tmpdir, 0, &error));
	assert_non_null(r = control_request(cl, "shutdown", NULL, &error));
	json_decref(r);
	control_client_free(cl);
	for (i = 0; i < 500 && access(sock_path(), F_OK) == 0; i++)
		msleep(10);
	assert_int_equal(access(sock_path(), F_OK), -1);
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_request_and_errors,
		    setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(
		    test_version_mismatch_from_client, setup_dir, teardown_dir),
		cmocka_unit_test(test_version_mismatch_from_daemon),
		cmocka_unit_test_setup_teardown(test_partial_lines, setup_dir,
		    teardown_dir),
		cmocka_unit_test_setup_teardown(test_huge_line_refused,
		    setup_dir, teardown_dir),
		cmocka_unit_test(test_huge_line_from_daemon),
		cmocka_unit_test_setup_teardown(
		    test_slow_subscriber_drops_and_is_told, setup_dir,
		    teardown_dir),
		cmocka_unit_test_setup_teardown(test_greedy_client_paused,
		    setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_two_subscribers,
		    setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_second_daemon_refused,
		    setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_no_daemon_no_autostart,
		    setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(
		    test_autostart_failure_explained, setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(test_autostart_race_starts_one,
		    setup_dir, teardown_dir),
	};
	ssize_t	n;

	if (argc == 3 && strcmp(argv[1], "--serve") == 0)
		return (fake_serve(argv[2]));
	n = readlink("/proc/self/exe", self_exe, sizeof self_exe - 1);
	if (n <= 0)
		return (1);
	self_exe[n] = '\0';
	return (cmocka_run_group_tests_name("control", tests, NULL, NULL));
}
