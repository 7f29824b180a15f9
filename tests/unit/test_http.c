/*
 * The HTTP server against a raw-socket client in a child process: exact
 * replies, fast 404s, HEAD, PUT into the quarantine, and a client that reads
 * the image header and closes, reported with exactly the bytes it
 * acknowledged.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <event2/event.h>

#include "http.h"
#include "log.h"
#include "upload.h"

#define BODY "<APPLICATION/>\n"

struct ctx {
	struct event_base	*base;
	struct http_server	*srv;
	struct upload_store	*up;
	char			 dir[64];
	char			 file[128];
	pid_t			 child;
	int			 status;
	int			 nev;
	struct http_event	 last;	/* last terminal event */
	char			 stored[256];
	char			 name[64];
	char			 ua[64];
};

static int
resolve(void *arg, const struct http_request_info *req, struct http_content *c,
    char **cause)
{
	struct ctx	*x = arg;
	FILE		*f;

	if (strcmp(req->name, "a.cfg") == 0) {
		c->buf = BODY;
		c->size = strlen(BODY);
		c->content_type = "application/xml";
		return (200);
	}
	if (strcmp(req->name, "big.sip.ld") == 0) {
		f = fopen(x->file, "r");
		c->fd = dup(fileno(f));
		fclose(f);
		c->size = 4 * 1024 * 1024;
		c->gate = 512;
		return (200);
	}
	*cause = strdup("no such file");
	return (404);
}

static void
event_cb(void *arg, const struct http_event *ev)
{
	struct ctx	*x = arg;

	x->nev++;
	if (ev->type == HTTP_EV_COMPLETED || ev->type == HTTP_EV_CLOSED_EARLY ||
	    ev->type == HTTP_EV_UPLOAD_STORED ||
	    ev->type == HTTP_EV_UPLOAD_REFUSED) {
		x->last = *ev;
		snprintf(x->name, sizeof x->name, "%s", ev->name);
		snprintf(x->ua, sizeof x->ua, "%s", ev->user_agent != NULL ?
		    ev->user_agent : "");
		x->last.name = x->name;
		x->last.user_agent = x->ua;
		x->last.peer_ip = x->last.peer_text = NULL;
		x->last.reason = x->last.stored_path = NULL;
		if (ev->stored_path != NULL)
			snprintf(x->stored, sizeof x->stored, "%s",
			    ev->stored_path);
	}
}

static int
setup(void **state)
{
	struct ctx		*x = calloc(1, sizeof *x);
	struct http_config	 cfg;
	struct http_hooks	 hooks = { resolve, event_cb, x };
	char			*cause = NULL, cmd[256], up[128];

	log_open(fopen("/dev/null", "w"), LOG_LEVEL_ERROR);
	snprintf(x->dir, sizeof x->dir, "/tmp/test-http.XXXXXX");
	assert_non_null(mkdtemp(x->dir));
	snprintf(x->file, sizeof x->file, "%s/big", x->dir);
	snprintf(cmd, sizeof cmd, "head -c 4194304 /dev/urandom > %s",
	    x->file);
	assert_int_equal(system(cmd), 0);
	snprintf(up, sizeof up, "%s/uploads", x->dir);
	x->up = upload_store_open(up, UPLOAD_PHONE_FILES, 1024 * 1024, &cause);
	assert_non_null(x->up);
	x->base = event_base_new();
	http_config_defaults(&cfg);
	cfg.listen = "127.0.0.1";
	cfg.port = 0;
	cfg.uploads = x->up;
	x->srv = http_server_start(x->base, &cfg, &hooks, &cause);
	assert_non_null(x->srv);
	*state = x;
	return (0);
}

static int
teardown(void **state)
{
	struct ctx	*x = *state;
	char		 cmd[128];

	http_server_free(x->srv);
	upload_store_free(x->up);
	event_base_free(x->base);
	snprintf(cmd, sizeof cmd, "rm -rf %s", x->dir);
	assert_int_equal(system(cmd), 0);
	free(x);
	return (0);
}

static void
reap(evutil_socket_t fd, short ev, void *arg)
{
	struct ctx	*x = arg;

	if (waitpid(x->child, &x->status, WNOHANG) == x->child)
		event_base_loopbreak(x->base);
}

/* Run the loop until the child (the client) exits; its status is the check. */
static void
serve_until_child_exits(struct ctx *x)
{
	struct event	*t = event_new(x->base, -1, EV_PERSIST, reap, x);
	struct timeval	 tv = { 0, 20 * 1000 };

	event_add(t, &tv);
	event_base_dispatch(x->base);
	event_free(t);
	/* Let the server notice closes and finish its bookkeeping. */
	tv.tv_sec = 0;
	tv.tv_usec = 300 * 1000;
	event_base_loopexit(x->base, &tv);
	event_base_dispatch(x->base);
	assert_true(WIFEXITED(x->status));
	assert_int_equal(WEXITSTATUS(x->status), 0);
}

static int
client_connect(struct ctx *x)
{
	struct sockaddr_in	sin;
	int			fd = socket(AF_INET, SOCK_STREAM, 0);

	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_port = htons(http_server_port(x->srv));
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&sin, sizeof sin) != 0)
		_exit(10);
	return (fd);
}

/* In the child: send req, read everything, compare with want (prefix). */
static void
child_exchange(struct ctx *x, const char *req, size_t reqlen,
    const char *want, const char *want2)
{
	char	 buf[8192];
	size_t	 got = 0;
	ssize_t	 n;
	int	 fd;

	if ((x->child = fork()) != 0)
		return;
	fd = client_connect(x);
	if (write(fd, req, reqlen) != (ssize_t)reqlen)
		_exit(11);
	while (got < sizeof buf - 1 &&
	    (n = read(fd, buf + got, sizeof buf - 1 - got)) > 0)
		got += (size_t)n;
	buf[got] = '\0';
	if (strncmp(buf, want, strlen(want)) != 0)
		_exit(12);
	if (want2 != NULL && strstr(buf, want2) == NULL) {
		fprintf(stderr, "# got: %s\n", buf);
		_exit(13);
	}
	_exit(0);
}

static void
test_get_buffer(void **state)
{
	struct ctx	*x = *state;
	const char	*req = "GET /a.cfg HTTP/1.0\r\nUser-Agent: t\r\n\r\n";

	child_exchange(x, req, strlen(req), "HTTP/1.0 200 OK\r\n",
	    "Content-Length: 15\r\n");
	serve_until_child_exits(x);
	assert_int_equal(x->last.type, HTTP_EV_COMPLETED);
	assert_int_equal(x->last.bytes, 15);
	assert_string_equal(x->last.name, "a.cfg");
	assert_string_equal(x->last.user_agent, "t");
}

static void
test_not_found_and_head(void **state)
{
	struct ctx	*x = *state;
	const char	*req = "GET /0004f2000001-phone.cfg HTTP/1.0\r\n\r\n";
	const char	*head = "HEAD /a.cfg HTTP/1.0\r\n\r\n";

	child_exchange(x, req, strlen(req), "HTTP/1.", " 404 Not Found\r\n");
	serve_until_child_exits(x);
	child_exchange(x, head, strlen(head), "HTTP/1.0 200 OK\r\n",
	    "Content-Length: 15\r\n");
	serve_until_child_exits(x);
	assert_int_equal(x->nev, 0);	/* no transfer for either */
}

static void
test_put_upload(void **state)
{
	struct ctx	*x = *state;
	const char	*req = "PUT /0004f2000001-app.log HTTP/1.0\r\n"
			    "Content-Length: 5\r\n\r\nhello";
	const char	*bad = "PUT /../x HTTP/1.0\r\nContent-Length: 1\r\n\r\nx";
	char		 buf[16];
	FILE		*f;

	child_exchange(x, req, strlen(req), "HTTP/1.", " 201 Created\r\n");
	serve_until_child_exits(x);
	assert_int_equal(x->last.type, HTTP_EV_UPLOAD_STORED);
	assert_non_null(f = fopen(x->stored, "r"));
	assert_non_null(fgets(buf, sizeof buf, f));
	fclose(f);
	assert_string_equal(buf, "hello");
	child_exchange(x, bad, strlen(bad), "HTTP/1.", " 404 Not Found\r\n");
	serve_until_child_exits(x);
}

static void
test_header_then_close(void **state)
{
	struct ctx	*x = *state;
	const char	*req = "GET /big.sip.ld HTTP/1.1\r\nHost: x\r\n\r\n";
	char		 buf[4096], *end;
	size_t		 got = 0, body;
	ssize_t		 n;
	int		 fd;

	if ((x->child = fork()) == 0) {
		fd = client_connect(x);
		if (write(fd, req, strlen(req)) < 0)
			_exit(11);
		/* Read the reply's head and the 512-byte header, then go. */
		for (;;) {
			n = read(fd, buf + got, sizeof buf - got);
			if (n <= 0)
				_exit(12);
			got += (size_t)n;
			if ((end = memmem(buf, got, "\r\n\r\n", 4)) == NULL)
				continue;
			body = got - (size_t)(end + 4 - buf);
			if (body >= 512)
				break;
		}
		_exit(body == 512 ? 0 : 13);
	}
	serve_until_child_exits(x);
	assert_int_equal(x->last.type, HTTP_EV_CLOSED_EARLY);
	assert_int_equal(x->last.bytes, 512);
	assert_int_equal(x->last.total, 4 * 1024 * 1024);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_get_buffer, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_not_found_and_head, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_put_upload, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_header_then_close, setup,
		    teardown),
	};

	return (cmocka_run_group_tests_name("http", tests, NULL, NULL));
}
