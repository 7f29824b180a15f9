/*
 * The client's side of the control socket, used by the console, batch,
 * status and watch.  Plain blocking sockets with poll(): a client does one
 * thing at a time.  Events that arrive while a request waits for its answer
 * are kept and handed out by control_next_event() later, in order.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "clock.h"
#include "control.h"
#include "log.h"
#include "xmalloc.h"

/* How long one request may wait for its answer (imports can be long). */
#define CONTROL_REQUEST_MS (10 * 60 * 1000)

struct control_client {
	int		 fd;
	char		*buf;
	size_t		 len;
	size_t		 size;
	long long	 next_id;
	json_t		*events;	/* kept while waiting for an answer */
	int		 dead;
};

static int	control_read_message(struct control_client *, int, json_t **,
		    char **);
static int	control_take_line(struct control_client *, json_t **, char **);

/* Connect to a socket path; -1 with errno set. */
int
control_connect_path(const char *path)
{
	struct sockaddr_un	sun;
	int			fd, saved;

	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof sun.sun_path) {
		errno = ENAMETOOLONG;
		return (-1);
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return (-1);
	if (connect(fd, (struct sockaddr *)&sun, sizeof sun) == -1) {
		saved = errno;
		close(fd);
		errno = saved;
		return (-1);
	}
	return (fd);
}

struct control_client *
control_client_new_fd(int fd)
{
	struct control_client	*cl;

	cl = xcalloc(1, sizeof *cl);
	cl->fd = fd;
	cl->next_id = 1;
	cl->events = json_array();
	return (cl);
}

void
control_client_free(struct control_client *cl)
{
	if (cl == NULL)
		return;
	if (cl->fd != -1)
		close(cl->fd);
	json_decref(cl->events);
	free(cl->buf);
	free(cl);
}

int
control_client_fd(const struct control_client *cl)
{
	return (cl->fd);
}

int
control_client_dead(const struct control_client *cl)
{
	return (cl->dead);
}

void
control_client_discard_events(struct control_client *cl)
{
	json_array_clear(cl->events);
}

int
control_client_pending(const struct control_client *cl)
{
	return (json_array_size(cl->events) > 0 ||
	    memchr(cl->buf, '\n', cl->len) != NULL);
}


/*
 * Take one complete line from the buffer, if there is one: 1 with *msg,
 * 0 when no line is complete, -1 with *error.
 */
static int
control_take_line(struct control_client *cl, json_t **msg, char **error)
{
	json_error_t	 jerr;
	char		*nl, *esc;
	size_t		 n;

	*msg = NULL;
	if (cl->len == 0 || (nl = memchr(cl->buf, '\n', cl->len)) == NULL) {
		if (cl->len > CONTROL_LINE_MAX) {
			xasprintf(error, "the daemon sent a line longer than "
			    "%d bytes: refused", CONTROL_LINE_MAX);
			return (-1);
		}
		return (0);
	}
	n = nl - cl->buf;
	if (n > CONTROL_LINE_MAX) {
		xasprintf(error, "the daemon sent a line longer than %d "
		    "bytes: refused", CONTROL_LINE_MAX);
		return (-1);
	}
	*msg = json_loadb(cl->buf, n, 0, &jerr);
	if (*msg == NULL || !json_is_object(*msg)) {
		esc = log_escape(cl->buf, n > 64 ? 64 : n);
		xasprintf(error, "the daemon sent something that is not a "
		    "JSON object (\"%s\"): is another program listening on "
		    "the control socket?", esc);
		free(esc);
		json_decref(*msg);
		*msg = NULL;
		return (-1);
	}
	memmove(cl->buf, nl + 1, cl->len - n - 1);
	cl->len -= n + 1;
	if ((*error = control_version_error(*msg, "daemon")) != NULL) {
		json_decref(*msg);
		*msg = NULL;
		return (-1);
	}
	return (1);
}

/*
 * Read the next message: 1 with *msg, 0 on timeout, -1 with *error (the
 * connection is then unusable).
 */
static int
control_read_message(struct control_client *cl, int timeout_ms, json_t **msg,
    char **error)
{
	struct pollfd	 pfd;
	long long	 deadline = 0, left;
	ssize_t		 r;
	int		 rc;

	if (cl->dead) {
		*error = xstrdup("the connection to the daemon is closed");
		return (-1);
	}
	if (timeout_ms >= 0)
		deadline = clock_mono_ms() + timeout_ms;
	for (;;) {
		if ((rc = control_take_line(cl, msg, error)) != 0) {
			if (rc == -1)
				cl->dead = 1;
			return (rc);
		}
		pfd.fd = cl->fd;
		pfd.events = POLLIN;
		left = -1;
		if (timeout_ms >= 0) {
			left = deadline - clock_mono_ms();
			if (left < 0)
				left = 0;
		}
		rc = poll(&pfd, 1, (int)left);
		if (rc == -1) {
			if (errno == EINTR) {
				if (timeout_ms >= 0 && left == 0)
					return (0);
				continue;
			}
			xasprintf(error, "poll: %s", strerror(errno));
			cl->dead = 1;
			return (-1);
		}
		if (rc == 0)
			return (0);
		if (cl->size - cl->len < 65536) {
			cl->size = cl->size == 0 ? 131072 : cl->size * 2;
			cl->buf = xrealloc(cl->buf, cl->size);
		}
		r = read(cl->fd, cl->buf + cl->len, cl->size - cl->len);
		if (r == -1 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (r <= 0) {
			if (r == 0)
				*error = xstrdup("the daemon closed the "
				    "connection (it stopped or restarted)");
			else
				xasprintf(error, "reading from the daemon: "
				    "%s", strerror(errno));
			cl->dead = 1;
			return (-1);
		}
		cl->len += r;
	}
}

static int
control_write_all(struct control_client *cl, const char *s, size_t len,
    char **error)
{
	ssize_t	n;

	while (len > 0) {
		n = send(cl->fd, s, len, MSG_NOSIGNAL);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			xasprintf(error, "writing to the daemon: %s",
			    strerror(errno));
			cl->dead = 1;
			return (-1);
		}
		s += n;
		len -= n;
	}
	return (0);
}

json_t *
control_request(struct control_client *cl, const char *cmd, json_t *args,
    char **error)
{
	json_t		*req, *msg, *result;
	json_int_t	 id;
	const char	*e;
	char		*s;
	long long	 deadline, left;
	int		 rc;

	*error = NULL;
	id = cl->next_id++;
	req = json_pack("{s:i,s:I,s:s}", "v", CONTROL_PROTOCOL_VERSION, "id",
	    id, "cmd", cmd);
	if (args != NULL)
		json_object_set(req, "args", args);
	s = json_dumps(req, JSON_COMPACT | JSON_ENSURE_ASCII);
	json_decref(req);
	rc = control_write_all(cl, s, strlen(s), error);
	if (rc == 0)
		rc = control_write_all(cl, "\n", 1, error);
	free(s);
	if (rc == -1)
		return (NULL);

	deadline = clock_mono_ms() + CONTROL_REQUEST_MS;
	for (;;) {
		left = deadline - clock_mono_ms();
		if (left <= 0) {
			xasprintf(error, "the daemon did not answer '%s' "
			    "within %d s", cmd, CONTROL_REQUEST_MS / 1000);
			cl->dead = 1;
			return (NULL);
		}
		rc = control_read_message(cl, (int)left, &msg, error);
		if (rc == -1)
			return (NULL);
		if (rc == 0)
			continue;
		if (json_object_get(msg, "event") != NULL) {
			json_array_append_new(cl->events, msg);
			continue;
		}
		if (json_integer_value(json_object_get(msg, "id")) != id &&
		    json_object_get(msg, "id") != NULL) {
			json_decref(msg);	/* an answer we gave up on */
			continue;
		}
		break;
	}
	if (!json_is_true(json_object_get(msg, "ok"))) {
		e = json_string_value(json_object_get(msg, "error"));
		*error = xstrdup(e != NULL ? e : "the daemon refused the "
		    "request without saying why");
		/* A refusal without an id closes the connection (framing). */
		if (json_object_get(msg, "id") == NULL)
			cl->dead = 1;
		json_decref(msg);
		return (NULL);
	}
	result = json_object_get(msg, "result");
	if (result == NULL || json_is_null(result))
		result = json_object();
	else
		json_incref(result);
	json_decref(msg);
	return (result);
}

json_t *
control_next_event(struct control_client *cl, int timeout_ms, char **error)
{
	json_t	*msg;
	int	 rc;

	*error = NULL;
	if (json_array_size(cl->events) > 0) {
		msg = json_array_get(cl->events, 0);
		json_incref(msg);
		json_array_remove(cl->events, 0);
		return (msg);
	}
	for (;;) {
		rc = control_read_message(cl, timeout_ms, &msg, error);
		if (rc <= 0)
			return (NULL);
		if (json_object_get(msg, "event") != NULL)
			return (msg);
		json_decref(msg);	/* a late answer: not an event */
	}
}
