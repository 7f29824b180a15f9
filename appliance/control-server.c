/*
 * The daemon's side of the control socket: a unix stream socket carrying
 * JSON lines, one libevent bufferevent per client.  Requests are dispatched
 * to the handlers the daemon registered; subscribers get every broadcast
 * event, through a bounded queue so that a console that stops reading costs
 * the daemon nothing but dropped events (the subscriber is told how many).
 * A handler that needs time (starting DHCP) answers later: the loop goes on
 * serving everyone, and that one connection's next requests wait for it.
 */
#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <event2/util.h>
#include <jansson.h>

#include "control.h"
#include "log.h"
#include "xmalloc.h"

struct control_command {
	char				*name;
	control_handler			 fn;
	void				*arg;
	TAILQ_ENTRY(control_command)	 entry;
};

struct control_conn {
	struct control_server		*server;
	struct bufferevent		*bev;
	int				 subscribed;
	int				 closing;
	unsigned long			 dropped;
	struct control_later		*later;	/* an answer still owed */
	TAILQ_ENTRY(control_conn)	 entry;
};

struct control_later {
	struct control_conn		*conn;	/* NULL: the client went */
	json_t				*id;
};

struct control_server {
	struct event_base		*base;
	struct evconnlistener		*listener;
	char				*path;
	TAILQ_HEAD(, control_command)	 commands;
	TAILQ_HEAD(, control_conn)	 conns;
	struct control_conn		*dispatching;
	json_t				*dispatch_id;
};

static int	control_server_socket(const char *, char **);
static void	control_accept_cb(struct evconnlistener *, evutil_socket_t,
		    struct sockaddr *, int, void *);
static void	control_read_cb(struct bufferevent *, void *);
static void	control_write_cb(struct bufferevent *, void *);
static void	control_event_cb(struct bufferevent *, short, void *);
static void	control_conn_free(struct control_conn *);
static void	control_conn_close(struct control_conn *);
static void	control_send(struct control_conn *, json_t *);
static void	control_send_error(struct control_conn *, json_t *,
		    const char *);
static void	control_send_dropped(struct control_conn *);
static void	control_dispatch(struct control_conn *, const char *, size_t);
static struct control_command *control_find(struct control_server *,
		    const char *);

/*
 * Does a daemon answer on path?  1 and *cause saying so.  Asked first by
 * serve: a second daemon on the same state blamed the TFTP port on
 * tftpd-hpa, its first daemon holding it.
 */
int
control_server_answered(const char *path, char **cause)
{
	struct sockaddr_un	 sun;
	int			 fd, answered;

	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof sun.sun_path)
		return (0);	/* said when it is bound */
	memcpy(sun.sun_path, path, strlen(path) + 1);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return (0);
	answered = connect(fd, (struct sockaddr *)&sun, sizeof sun) == 0;
	close(fd);
	if (answered)
		xasprintf(cause, "another ztp-rescue daemon already answers "
		    "on %s: stop it first ('ztp-rescue status' talks to it)",
		    path);
	return (answered);
}

/* Bind the socket with owner-only permissions; refuse if a daemon answers. */
static int
control_server_socket(const char *path, char **cause)
{
	struct sockaddr_un	 sun;
	mode_t			 mask;
	int			 fd, saved;

	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof sun.sun_path) {
		xasprintf(cause, "control socket path %s is too long (%zu "
		    "bytes, at most %zu): use a shorter --state directory",
		    path, strlen(path), sizeof sun.sun_path - 1);
		return (-1);
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);

	if (control_server_answered(path, cause))
		return (-1);
	if (unlink(path) == -1 && errno != ENOENT) {
		xasprintf(cause, "cannot remove the stale socket %s: %s", path,
		    strerror(errno));
		return (-1);
	}

	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1) {
		xasprintf(cause, "socket: %s", strerror(errno));
		return (-1);
	}
	mask = umask(077);
	if (bind(fd, (struct sockaddr *)&sun, sizeof sun) == -1) {
		saved = errno;
		umask(mask);
		close(fd);
		xasprintf(cause, "cannot create the control socket %s: %s "
		    "(does the state directory exist and is it writable?)",
		    path, strerror(saved));
		return (-1);
	}
	umask(mask);
	if (chmod(path, 0600) == -1 || listen(fd, 16) == -1 ||
	    evutil_make_socket_nonblocking(fd) == -1) {
		saved = errno;
		close(fd);
		unlink(path);
		xasprintf(cause, "cannot listen on %s: %s", path,
		    strerror(saved));
		return (-1);
	}
	return (fd);
}

struct control_server *
control_server_start(struct event_base *base, const char *state_dir,
    char **cause)
{
	struct control_server	*cs;
	struct sigaction	 sa;
	int			 fd;

	/*
	 * A console that closes with events unread must not kill the
	 * daemon: libevent writes with writev(), which raises SIGPIPE.
	 */
	if (sigaction(SIGPIPE, NULL, &sa) == 0 && sa.sa_handler == SIG_DFL)
		signal(SIGPIPE, SIG_IGN);

	cs = xcalloc(1, sizeof *cs);
	cs->base = base;
	xasprintf(&cs->path, "%s/%s", state_dir, CONTROL_SOCKET_NAME);
	TAILQ_INIT(&cs->commands);
	TAILQ_INIT(&cs->conns);
	if ((fd = control_server_socket(cs->path, cause)) == -1) {
		free(cs->path);
		free(cs);
		return (NULL);
	}
	cs->listener = evconnlistener_new(base, control_accept_cb, cs,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, -1, fd);
	if (cs->listener == NULL) {
		close(fd);
		unlink(cs->path);
		xasprintf(cause, "cannot listen on %s", cs->path);
		free(cs->path);
		free(cs);
		return (NULL);
	}
	log_debug("control: listening on %s", cs->path);
	return (cs);
}

void
control_server_free(struct control_server *cs)
{
	struct control_conn	*cc;
	struct control_command	*cmd;
	struct evbuffer		*out;
	const char		*p;
	size_t			 len;
	ssize_t			 n;

	if (cs == NULL)
		return;
	evconnlistener_free(cs->listener);
	unlink(cs->path);
	while ((cc = TAILQ_FIRST(&cs->conns)) != NULL) {
		/*
		 * Last answers (to "shutdown") go out before the close; the
		 * bufferevent's output cannot be drained from outside its
		 * callbacks, so copy it out.
		 */
		out = bufferevent_get_output(cc->bev);
		len = evbuffer_get_length(out);
		p = (const char *)evbuffer_pullup(out, -1);
		while (len > 0 && p != NULL) {
			n = send(bufferevent_getfd(cc->bev), p, len,
			    MSG_NOSIGNAL | MSG_DONTWAIT);
			if (n <= 0)
				break;
			p += n;
			len -= n;
		}
		control_conn_free(cc);
	}
	while ((cmd = TAILQ_FIRST(&cs->commands)) != NULL) {
		TAILQ_REMOVE(&cs->commands, cmd, entry);
		free(cmd->name);
		free(cmd);
	}
	free(cs->path);
	free(cs);
}

void
control_register(struct control_server *cs, const char *name,
    control_handler fn, void *arg)
{
	struct control_command	*cmd;

	if ((cmd = control_find(cs, name)) == NULL) {
		cmd = xcalloc(1, sizeof *cmd);
		cmd->name = xstrdup(name);
		TAILQ_INSERT_TAIL(&cs->commands, cmd, entry);
	}
	cmd->fn = fn;
	cmd->arg = arg;
}

unsigned int
control_server_clients(struct control_server *cs, unsigned int *subscribers)
{
	struct control_conn	*cc;
	unsigned int		 n = 0, s = 0;

	TAILQ_FOREACH(cc, &cs->conns, entry) {
		n++;
		if (cc->subscribed)
			s++;
	}
	if (subscribers != NULL)
		*subscribers = s;
	return (n);
}

static struct control_command *
control_find(struct control_server *cs, const char *name)
{
	struct control_command	*cmd;

	TAILQ_FOREACH(cmd, &cs->commands, entry) {
		if (strcmp(cmd->name, name) == 0)
			return (cmd);
	}
	return (NULL);
}

static void
control_accept_cb(struct evconnlistener *l, evutil_socket_t fd,
    struct sockaddr *sa, int len, void *arg)
{
	struct control_server	*cs = arg;
	struct control_conn	*cc;

	cc = xcalloc(1, sizeof *cc);
	cc->server = cs;
	cc->bev = bufferevent_socket_new(cs->base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (cc->bev == NULL) {
		close(fd);
		free(cc);
		return;
	}
	bufferevent_setcb(cc->bev, control_read_cb, control_write_cb,
	    control_event_cb, cc);
	bufferevent_enable(cc->bev, EV_READ | EV_WRITE);
	TAILQ_INSERT_TAIL(&cs->conns, cc, entry);
}

static void
control_conn_free(struct control_conn *cc)
{
	if (cc->later != NULL)
		cc->later->conn = NULL;
	TAILQ_REMOVE(&cc->server->conns, cc, entry);
	bufferevent_free(cc->bev);
	free(cc);
}

/* Stop reading; the connection is freed once its output has gone. */
static void
control_conn_close(struct control_conn *cc)
{
	cc->closing = 1;
	bufferevent_disable(cc->bev, EV_READ);
	if (evbuffer_get_length(bufferevent_get_output(cc->bev)) == 0)
		control_conn_free(cc);
}

static void
control_read_cb(struct bufferevent *bev, void *arg)
{
	struct control_conn	*cc = arg;
	struct evbuffer		*in = bufferevent_get_input(bev);
	struct evbuffer_ptr	 eol;
	size_t			 n, eol_len;
	char			*line;
	char			 msg[128];

	while (!cc->closing && cc->later == NULL) {
		eol = evbuffer_search_eol(in, NULL, &eol_len, EVBUFFER_EOL_LF);
		if (eol.pos == -1) {
			if (evbuffer_get_length(in) <= CONTROL_LINE_MAX)
				return;
			snprintf(msg, sizeof msg, "request longer than %d "
			    "bytes: refused", CONTROL_LINE_MAX);
			control_send_error(cc, NULL, msg);
			control_conn_close(cc);
			return;
		}
		if ((size_t)eol.pos > CONTROL_LINE_MAX) {
			snprintf(msg, sizeof msg, "request longer than %d "
			    "bytes: refused", CONTROL_LINE_MAX);
			control_send_error(cc, NULL, msg);
			control_conn_close(cc);
			return;
		}
		line = evbuffer_readln(in, &n, EVBUFFER_EOL_LF);
		if (line == NULL)
			return;
		/* A refused request leaves output queued, so cc lives on. */
		if (n > 0)
			control_dispatch(cc, line, n);
		free(line);
		/*
		 * A client that asks without reading its answers is not
		 * heard again until it has read them.
		 */
		if (cc->later != NULL) {
			bufferevent_disable(bev, EV_READ);
			return;
		}
		if (!cc->closing && evbuffer_get_length(
		    bufferevent_get_output(bev)) > CONTROL_QUEUE_MAX) {
			bufferevent_disable(bev, EV_READ);
			return;
		}
	}
}

static void
control_write_cb(struct bufferevent *bev, void *arg)
{
	struct control_conn	*cc = arg;

	if (cc->closing) {
		control_conn_free(cc);
		return;
	}
	if (cc->dropped > 0)
		control_send_dropped(cc);
	if (cc->later == NULL && !(bufferevent_get_enabled(bev) & EV_READ)) {
		bufferevent_enable(bev, EV_READ);
		control_read_cb(bev, cc);	/* what arrived meanwhile */
	}
}

static void
control_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct control_conn	*cc = arg;

	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
		control_conn_free(cc);
}

/* Queue one JSON line (steals msg). */
static void
control_send(struct control_conn *cc, json_t *msg)
{
	char	*s;

	s = json_dumps(msg, JSON_COMPACT | JSON_ENSURE_ASCII);
	json_decref(msg);
	if (s == NULL)
		return;
	bufferevent_write(cc->bev, s, strlen(s));
	bufferevent_write(cc->bev, "\n", 1);
	free(s);
}

static void
control_send_error(struct control_conn *cc, json_t *id, const char *error)
{
	json_t	*msg;

	msg = json_pack("{s:i,s:b,s:s}", "v", CONTROL_PROTOCOL_VERSION, "ok",
	    0, "error", error);
	if (id != NULL)
		json_object_set(msg, "id", id);
	control_send(cc, msg);
}

static void
control_send_dropped(struct control_conn *cc)
{
	json_t	*msg;

	msg = json_pack("{s:i,s:s,s:I}", "v", CONTROL_PROTOCOL_VERSION,
	    "event", "dropped", "count", (json_int_t)cc->dropped);
	cc->dropped = 0;
	control_send(cc, msg);
}

static void
control_dispatch(struct control_conn *cc, const char *line, size_t len)
{
	struct control_command	*cmd;
	json_t			*req, *id, *args, *result = NULL, *msg;
	json_error_t		 jerr;
	const char		*name;
	char			*error = NULL, *esc;
	int			 rc;

	if ((req = json_loadb(line, len, 0, &jerr)) == NULL ||
	    !json_is_object(req)) {
		esc = log_escape(line, len > 64 ? 64 : len);
		xasprintf(&error, "not a JSON object: %s (request began "
		    "\"%s\")", req == NULL ? jerr.text : "wrong type", esc);
		free(esc);
		json_decref(req);
		control_send_error(cc, NULL, error);
		free(error);
		return;
	}
	id = json_object_get(req, "id");
	if ((error = control_version_error(req, "client")) != NULL) {
		control_send_error(cc, id, error);
		free(error);
		json_decref(req);
		control_conn_close(cc);
		return;
	}
	name = json_string_value(json_object_get(req, "cmd"));
	if (name == NULL) {
		control_send_error(cc, id, "the request has no \"cmd\" string");
		json_decref(req);
		return;
	}
	args = json_object_get(req, "args");
	if (args != NULL && !json_is_object(args)) {
		control_send_error(cc, id, "\"args\" must be a JSON object");
		json_decref(req);
		return;
	}

	if (strcmp(name, "subscribe") == 0) {
		cc->subscribed = 1;
		result = json_object();
	} else if ((cmd = control_find(cc->server, name)) == NULL) {
		esc = log_escape(name, strlen(name));
		xasprintf(&error, "unknown command '%s' (this daemon speaks "
		    "control protocol %d; see docs/control-protocol.md)", esc,
		    CONTROL_PROTOCOL_VERSION);
		free(esc);
		control_send_error(cc, id, error);
		free(error);
		json_decref(req);
		return;
	} else {
		if (args == NULL)
			args = json_object();
		else
			json_incref(args);
		cc->server->dispatching = cc;
		cc->server->dispatch_id = id;
		rc = cmd->fn(cmd->arg, args, &result, &error);
		cc->server->dispatching = NULL;
		cc->server->dispatch_id = NULL;
		if (rc == CONTROL_LATER && cc->later != NULL) {
			json_decref(args);
			json_decref(req);
			return;
		}
		if (rc != 0) {
			json_decref(args);
			control_send_error(cc, id, error != NULL ? error :
			    "the command failed without saying why");
			free(error);
			json_decref(result);
			json_decref(req);
			return;
		}
		json_decref(args);
		if (result == NULL)
			result = json_object();
	}
	msg = json_pack("{s:i,s:b,s:o}", "v", CONTROL_PROTOCOL_VERSION, "ok",
	    1, "result", result);
	if (id != NULL)
		json_object_set(msg, "id", id);
	control_send(cc, msg);
	json_decref(req);
}

void
control_broadcast(struct control_server *cs, const char *name,
    json_t *payload)
{
	struct control_conn	*cc;
	struct evbuffer		*out;
	json_t			*msg;
	char			*s;
	size_t			 len;

	msg = json_pack("{s:i,s:s}", "v", CONTROL_PROTOCOL_VERSION, "event",
	    name);
	if (json_is_object(payload))
		json_object_update(msg, payload);
	json_decref(payload);
	s = json_dumps(msg, JSON_COMPACT | JSON_ENSURE_ASCII);
	json_decref(msg);
	if (s == NULL)
		return;
	len = strlen(s);

	TAILQ_FOREACH(cc, &cs->conns, entry) {
		if (!cc->subscribed || cc->closing)
			continue;
		out = bufferevent_get_output(cc->bev);
		if (evbuffer_get_length(out) + len + 1 > CONTROL_QUEUE_MAX) {
			cc->dropped++;
			continue;
		}
		if (cc->dropped > 0)
			control_send_dropped(cc);
		evbuffer_add(out, s, len);
		evbuffer_add(out, "\n", 1);
	}
	free(s);
}

struct control_later *
control_later(struct control_server *cs)
{
	struct control_later	*l;
	struct control_conn	*cc = cs->dispatching;

	if (cc == NULL || cc->later != NULL)
		fatalx("control_later outside a handler");
	l = xcalloc(1, sizeof *l);
	l->conn = cc;
	if (cs->dispatch_id != NULL)
		l->id = json_incref(cs->dispatch_id);
	cc->later = l;
	bufferevent_disable(cc->bev, EV_READ);
	return (l);
}

void
control_answer(struct control_later *l, json_t *result, const char *error)
{
	struct control_conn	*cc = l->conn;
	json_t			*msg;

	if (cc == NULL) {
		json_decref(result);
		json_decref(l->id);
		free(l);
		return;
	}
	cc->later = NULL;
	if (error != NULL) {
		json_decref(result);
		control_send_error(cc, l->id, error);
	} else {
		msg = json_pack("{s:i,s:b,s:o}", "v", CONTROL_PROTOCOL_VERSION,
		    "ok", 1, "result", result != NULL ? result : json_object());
		if (l->id != NULL)
			json_object_set(msg, "id", l->id);
		control_send(cc, msg);
	}
	json_decref(l->id);
	free(l);
	/* Requests that arrived meanwhile, in order. */
	if (!cc->closing) {
		bufferevent_enable(cc->bev, EV_READ);
		control_read_cb(cc->bev, cc);
	}
}
