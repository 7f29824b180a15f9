/*
 * HTTP serving on evhttp.
 *
 * Large files go out as evbuffer file segments, which libevent writes with
 * sendfile(2) on a plain socket: the bytes never cross user space.  The
 * header goes first (see the gate in http.h), then the rest at once, with a
 * timer for progress.  A client closing early is noticed with an exact
 * count: what it acknowledged is what was queued minus what is still in our
 * buffer minus what the kernel still holds unacknowledged (SIOCOUTQ).  A
 * reply is complete only when the last byte is acknowledged, not when it is
 * handed to the kernel.
 */
#include <sys/types.h>
#include <sys/ioctl.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <linux/sockios.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "http.h"
#include "log.h"
#include "pathsafe.h"
#include "upload.h"
#include "xmalloc.h"

#define HTTP_ACK_POLL_MS	5
#define HTTP_ACK_TIMEOUT_S	60
#define HTTP_PROGRESS_MS	250

struct http_listener {
	struct http_server	*srv;
	struct evhttp		*http;
	unsigned		 port;
	int			 tls;
};

struct http_xfer {
	struct http_server		*srv;
	struct evhttp_request		*req;
	struct evhttp_connection	*evcon;
	uint64_t			 id;
	char				*name;
	char				*ua;
	char				*peer_ip;
	char				*peer_text;
	int				 tls;
	struct http_content		 c;
	struct evbuffer_file_segment	*seg;
	uint64_t			 queued;
	int				 gated;	/* the gate has been passed */
	int				 ending;	/* every byte queued */
	struct event			*timer;
	struct event			*progress;
	struct timeval			 start;
	struct timeval			 progress_at;
	struct timeval			 ack_since;
	uint64_t			 ack_last;
	LIST_ENTRY(http_xfer)		 entry;
};

struct http_server {
	struct event_base	*base;
	struct http_config	 config;
	struct http_hooks	 hooks;
	struct http_listener	 plain;
	struct http_listener	 secure;
	SSL_CTX			*ssl;
	uint64_t		 next_id;
	unsigned		 active;
	LIST_HEAD(, http_xfer)	 xfers;
};

static void	http_request_cb(struct evhttp_request *, void *);
static void	http_get(struct http_listener *, struct evhttp_request *,
		    struct http_request_info *);
static void	http_put(struct http_listener *, struct evhttp_request *,
		    struct http_request_info *);
static void	http_feed(struct http_xfer *);
static void	http_drained(struct evhttp_connection *, void *);
static void	http_queue_file(struct http_xfer *, struct evbuffer *,
		    uint64_t);
static void	http_timer(evutil_socket_t, short, void *);
static void	http_progress(evutil_socket_t, short, void *);
static void	http_closed(struct evhttp_connection *, void *);
static void	http_finish(struct http_xfer *, enum http_event_type,
		    const char *);
static uint64_t	http_acked(struct http_xfer *);
static void	http_emit(struct http_xfer *, enum http_event_type, uint64_t,
		    const char *);
static double	http_seconds(const struct timeval *);
static struct bufferevent *http_tls_bevcb(struct event_base *, void *);
static int	http_listen(struct http_server *, struct http_listener *,
		    unsigned, int, char **);

void
http_config_defaults(struct http_config *c)
{
	memset(c, 0, sizeof *c);
	c->listen = "0.0.0.0";
	c->port = 80;
	c->max_upload = 16 * 1024 * 1024;
	c->grace_ms = 150;
	c->chunk = 4 * 1024 * 1024;	/* bytes per write(2)/sendfile(2) */
}

static double
http_seconds(const struct timeval *start)
{
	struct timeval	now, d;

	gettimeofday(&now, NULL);
	timersub(&now, start, &d);
	return ((double)d.tv_sec + (double)d.tv_usec / 1e6);
}

static struct bufferevent *
http_tls_bevcb(struct event_base *base, void *arg)
{
	struct http_server	*srv = arg;
	SSL			*ssl = SSL_new(srv->ssl);

	return (bufferevent_openssl_socket_new(base, -1, ssl,
	    BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE));
}

static int
http_listen(struct http_server *srv, struct http_listener *l, unsigned port,
    int tls, char **cause)
{
	struct evhttp_bound_socket	*bound;
	struct sockaddr_storage		 ss;
	socklen_t			 slen = sizeof ss;

	l->srv = srv;
	l->tls = tls;
	if ((l->http = evhttp_new(srv->base)) == NULL) {
		xasprintf(cause, "cannot create the HTTP server");
		return (-1);
	}
	evhttp_set_allowed_methods(l->http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD |
	    EVHTTP_REQ_PUT);
	evhttp_set_max_body_size(l->http, (ev_ssize_t)srv->config.max_upload);
	evhttp_set_timeout(l->http, 120);
	evhttp_set_gencb(l->http, http_request_cb, l);
	if (tls)
		evhttp_set_bevcb(l->http, http_tls_bevcb, srv);
	bound = evhttp_bind_socket_with_handle(l->http, srv->config.listen,
	    (ev_uint16_t)port);
	if (bound == NULL) {
		xasprintf(cause, "cannot listen for %s on %s port %u: %s (is "
		    "another web server running, or is the port privileged?)",
		    tls ? "HTTPS" : "HTTP", srv->config.listen, port,
		    strerror(errno));
		return (-1);
	}
	if (getsockname(evhttp_bound_socket_get_fd(bound),
	    (struct sockaddr *)&ss, &slen) == 0) {
		if (ss.ss_family == AF_INET)
			l->port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
		else
			l->port = ntohs(((struct sockaddr_in6 *)&ss)->
			    sin6_port);
	}
	return (0);
}

struct http_server *
http_server_start(struct event_base *base, const struct http_config *config,
    const struct http_hooks *hooks, char **cause)
{
	struct http_server	*srv;

	srv = xcalloc(1, sizeof *srv);
	srv->base = base;
	srv->config = *config;
	if (srv->config.listen == NULL)
		srv->config.listen = "0.0.0.0";
	if (srv->config.chunk == 0)
		srv->config.chunk = 4 * 1024 * 1024;
	srv->hooks = *hooks;
	LIST_INIT(&srv->xfers);
	if (!config->no_http &&
	    http_listen(srv, &srv->plain, config->port, 0, cause) != 0)
		goto fail;
	if (config->tls_port != 0 || config->tls_any) {
		srv->ssl = SSL_CTX_new(TLS_server_method());
		/* Phones old enough to need this appliance speak old TLS. */
		SSL_CTX_set_min_proto_version(srv->ssl, TLS1_VERSION);
		SSL_CTX_set_security_level(srv->ssl, 0);
		if (SSL_CTX_use_certificate_chain_file(srv->ssl,
		    config->cert_file) != 1 ||
		    SSL_CTX_use_PrivateKey_file(srv->ssl, config->key_file,
		    SSL_FILETYPE_PEM) != 1) {
			xasprintf(cause, "cannot load the HTTPS certificate %s "
			    "and key %s", config->cert_file, config->key_file);
			goto fail;
		}
		if (http_listen(srv, &srv->secure, config->tls_port, 1,
		    cause) != 0)
			goto fail;
	}
	return (srv);

fail:
	http_server_free(srv);
	return (NULL);
}

void
http_server_free(struct http_server *srv)
{
	struct http_xfer	*x;

	if (srv == NULL)
		return;
	while ((x = LIST_FIRST(&srv->xfers)) != NULL) {
		if (x->evcon != NULL)
			evhttp_connection_set_closecb(x->evcon, NULL, NULL);
		http_finish(x, HTTP_EV_CLOSED_EARLY, "the server is stopping");
	}
	if (srv->plain.http != NULL)
		evhttp_free(srv->plain.http);
	if (srv->secure.http != NULL)
		evhttp_free(srv->secure.http);
	if (srv->ssl != NULL)
		SSL_CTX_free(srv->ssl);
	free(srv);
}

unsigned
http_server_port(const struct http_server *srv)
{
	return (srv->plain.port);
}

unsigned
http_server_tls_port(const struct http_server *srv)
{
	return (srv->secure.port);
}

int
http_server_add_listener(struct http_server *srv, int fd)
{
	return (evhttp_accept_socket(srv->plain.http, fd));
}

unsigned
http_server_active(const struct http_server *srv)
{
	return (srv->active);
}

static void
http_request_cb(struct evhttp_request *req, void *arg)
{
	struct http_listener		*l = arg;
	struct evhttp_connection	*evcon = evhttp_request_get_connection(req);
	const struct evhttp_uri		*uri = evhttp_request_get_evhttp_uri(req);
	struct http_request_info	 info;
	const char			*path, *name;
	char				*decoded = NULL, *peer = NULL, *cause = NULL;
	char				 peer_text[80];
	size_t				 len = 0;
	ev_uint16_t			 port = 0;

	memset(&info, 0, sizeof info);
	evhttp_connection_get_peer(evcon, &peer, &port);
	snprintf(peer_text, sizeof peer_text, "%s:%u", peer != NULL ? peer :
	    "?", port);
	info.peer_ip = peer != NULL ? peer : "?";
	info.peer_text = peer_text;
	info.tls = l->tls;
	info.user_agent = evhttp_find_header(evhttp_request_get_input_headers(
	    req), "User-Agent");
	path = uri != NULL ? evhttp_uri_get_path(uri) : NULL;
	if (path != NULL)
		decoded = evhttp_uridecode(path, 0, &len);
	if (decoded == NULL) {
		evhttp_send_error(req, HTTP_BADREQUEST, "bad request path");
		return;
	}
	name = decoded;
	while (*name == '/') {
		name++;
		len--;
	}
	if (len == 0) {
		evhttp_send_error(req, HTTP_NOTFOUND, NULL);
		free(decoded);
		return;
	}
	if (pathsafe_check(name, len, &cause) != 0) {
		char	*esc = log_escape(name, len);

		log_warn("http: %s asked for %s: %s", peer_text, esc, cause);
		free(esc);
		free(cause);
		evhttp_send_error(req, HTTP_NOTFOUND, NULL);
		free(decoded);
		return;
	}
	info.name = name;
	switch (evhttp_request_get_command(req)) {
	case EVHTTP_REQ_GET:
		info.method = "GET";
		http_get(l, req, &info);
		break;
	case EVHTTP_REQ_HEAD:
		info.method = "HEAD";
		http_get(l, req, &info);
		break;
	case EVHTTP_REQ_PUT:
		info.method = "PUT";
		http_put(l, req, &info);
		break;
	default:
		evhttp_send_error(req, 405, NULL);
		break;
	}
	free(decoded);
}

static void
http_get(struct http_listener *l, struct evhttp_request *req,
    struct http_request_info *info)
{
	struct http_server		*srv = l->srv;
	struct evkeyvalq		*out = evhttp_request_get_output_headers(req);
	struct http_content		 c;
	struct http_xfer		*x;
	struct bufferevent		*bev;
	char				*cause = NULL, len[32];
	int				 status;

	memset(&c, 0, sizeof c);
	c.fd = -1;
	status = srv->hooks.resolve(srv->hooks.arg, info, &c, &cause);
	if (status != 200) {
		/* The standard phrase: a cause is for our log, not the wire. */
		evhttp_send_error(req, status, NULL);
		free(cause);
		return;
	}
	snprintf(len, sizeof len, "%llu", (unsigned long long)c.size);
	evhttp_add_header(out, "Content-Type", c.content_type != NULL ?
	    c.content_type : "application/octet-stream");
	evhttp_add_header(out, "Content-Length", len);
	if (strcmp(info->method, "HEAD") == 0) {
		evhttp_send_reply(req, 200, "OK", NULL);
		if (c.fd != -1)
			close(c.fd);
		if (c.release != NULL)
			c.release(c.release_arg);
		return;
	}

	x = xcalloc(1, sizeof *x);
	x->srv = srv;
	x->req = req;
	x->evcon = evhttp_request_get_connection(req);
	x->id = ++srv->next_id;
	x->name = xstrdup(info->name);
	x->ua = info->user_agent != NULL ? xstrdup(info->user_agent) : NULL;
	x->peer_ip = xstrdup(info->peer_ip);
	x->peer_text = xstrdup(info->peer_text);
	x->tls = info->tls;
	x->c = c;
	x->gated = c.gate == 0 || c.gate >= c.size;
	if (c.fd != -1 && c.size > 0)
		x->seg = evbuffer_file_segment_new(c.fd, 0, (ev_off_t)c.size,
		    EVBUF_FS_CLOSE_ON_FREE);
	x->timer = evtimer_new(srv->base, http_timer, x);
	x->progress = evtimer_new(srv->base, http_progress, x);
	gettimeofday(&x->start, NULL);
	x->progress_at = x->start;
	LIST_INSERT_HEAD(&srv->xfers, x, entry);
	srv->active++;

	evhttp_connection_set_closecb(x->evcon, http_closed, x);
	bev = evhttp_connection_get_bufferevent(x->evcon);
	bufferevent_set_max_single_write(bev, srv->config.chunk);
	evhttp_send_reply_start(req, 200, "OK");
	http_emit(x, HTTP_EV_STARTED, 0, NULL);
	http_feed(x);
}

/* Queue the next chunk, or wait for the last acknowledgement. */
static void
http_feed(struct http_xfer *x)
{
	struct evbuffer	*buf;
	struct timeval	 tv = { 0, 0 };
	uint64_t	 n, limit;

	if (x->queued >= x->c.size) {
		x->ending = 1;
		gettimeofday(&x->ack_since, NULL);
		x->ack_last = 0;
		http_timer(-1, 0, x);
		return;
	}
	/*
	 * Past the gate, the rest goes in at once: libevent then refills the
	 * socket on every writable event without waking us in between, which
	 * matters when the loop shares the CPUs with many busy clients.
	 */
	limit = x->gated ? x->c.size : x->c.gate;
	n = limit - x->queued;
	buf = evbuffer_new();
	if (x->seg != NULL)
		http_queue_file(x, buf, n);
	else
		evbuffer_add(buf, (const char *)x->c.buf + x->queued, n);
	x->queued += n;
	evhttp_send_reply_chunk_with_cb(x->req, buf, http_drained, x);
	evbuffer_free(buf);
	if (x->gated && x->progress != NULL) {
		tv.tv_usec = HTTP_PROGRESS_MS * 1000;
		evtimer_add(x->progress, &tv);
	}
}

/*
 * Queue n bytes of the file at x->queued.  libevent sends a file segment with
 * sendfile(2) only when it is added straight to a buffer that drains to the
 * socket; added to any other buffer (as evhttp's chunk interface takes) it is
 * mmap'ed and copied through user space.  So all but the last byte go
 * straight to the connection's output, and the last byte goes through
 * evhttp, which keeps the order and arms the drained callback.
 */
static void
http_queue_file(struct http_xfer *x, struct evbuffer *last, uint64_t n)
{
	struct bufferevent	*bev;
	char			 byte;

	if (n > 1) {
		bev = evhttp_connection_get_bufferevent(x->evcon);
		evbuffer_add_file_segment(bufferevent_get_output(bev), x->seg,
		    (ev_off_t)x->queued, (ev_off_t)(n - 1));
	}
	if (pread(x->c.fd, &byte, 1, (off_t)(x->queued + n - 1)) == 1)
		evbuffer_add(last, &byte, 1);
	else
		evbuffer_add_file_segment(last, x->seg,
		    (ev_off_t)(x->queued + n - 1), 1);
}

static void
http_progress(evutil_socket_t fd, short events, void *arg)
{
	struct http_xfer	*x = arg;
	struct timeval		 tv = { 0, HTTP_PROGRESS_MS * 1000 };

	if (x->ending)
		return;
	http_emit(x, HTTP_EV_PROGRESS, http_acked(x), NULL);
	evtimer_add(x->progress, &tv);
}

static void
http_drained(struct evhttp_connection *evcon, void *arg)
{
	struct http_xfer	*x = arg;
	struct timeval		 tv = { 0, 0 };

	if (http_seconds(&x->progress_at) * 1000 >= HTTP_PROGRESS_MS) {
		gettimeofday(&x->progress_at, NULL);
		http_emit(x, HTTP_EV_PROGRESS, http_acked(x), NULL);
	}
	if (!x->gated && x->queued >= x->c.gate) {
		/* At the gate: wait for the acknowledgement, then the grace. */
		x->ack_last = 0;
		gettimeofday(&x->ack_since, NULL);
		tv.tv_usec = HTTP_ACK_POLL_MS * 1000;
		evtimer_add(x->timer, &tv);
		return;
	}
	http_feed(x);
}

static void
http_timer(evutil_socket_t fd, short events, void *arg)
{
	struct http_xfer	*x = arg;
	struct timeval		 tv = { 0, HTTP_ACK_POLL_MS * 1000 };
	uint64_t		 acked = http_acked(x);

	if (!x->gated && !x->ending) {
		if (acked < x->queued) {
			evtimer_add(x->timer, &tv);
			return;
		}
		if (x->ack_last == 0) {
			/* Acknowledged: now the grace period. */
			x->ack_last = 1;
			tv.tv_sec = x->srv->config.grace_ms / 1000;
			tv.tv_usec = (x->srv->config.grace_ms % 1000) * 1000;
			evtimer_add(x->timer, &tv);
			return;
		}
		x->gated = 1;
		http_feed(x);
		return;
	}
	if (acked >= x->c.size) {
		evhttp_connection_set_closecb(x->evcon, NULL, NULL);
		evhttp_send_reply_end(x->req);
		x->req = NULL;
		http_finish(x, HTTP_EV_COMPLETED, NULL);
		return;
	}
	if (acked != x->ack_last) {
		x->ack_last = acked;
		gettimeofday(&x->ack_since, NULL);
	} else if (http_seconds(&x->ack_since) > HTTP_ACK_TIMEOUT_S) {
		evhttp_connection_set_closecb(x->evcon, NULL, NULL);
		evhttp_send_reply_end(x->req);
		x->req = NULL;
		http_finish(x, HTTP_EV_CLOSED_EARLY, "the client stopped "
		    "acknowledging");
		return;
	}
	evtimer_add(x->timer, &tv);
}

/* Bytes the client's TCP has acknowledged. */
static uint64_t
http_acked(struct http_xfer *x)
{
	struct bufferevent	*bev;
	uint64_t		 pending = 0;
	int			 fd, outq = 0;

	if (x->evcon == NULL)
		return (0);
	bev = evhttp_connection_get_bufferevent(x->evcon);
	if (bev == NULL)
		return (0);
	pending = evbuffer_get_length(bufferevent_get_output(bev));
	fd = bufferevent_getfd(bev);
	if (!x->tls && fd != -1 && ioctl(fd, SIOCOUTQ, &outq) == 0 &&
	    outq > 0)
		pending += (uint64_t)outq;
	return (pending >= x->queued ? 0 : x->queued - pending);
}

static void
http_closed(struct evhttp_connection *evcon, void *arg)
{
	struct http_xfer	*x = arg;
	uint64_t		 acked = http_acked(x);

	/* A reply in progress is detached from its connection: ours to free. */
	if (x->req != NULL && evhttp_request_get_connection(x->req) == NULL)
		evhttp_request_free(x->req);
	x->req = NULL;
	x->evcon = NULL;
	x->queued = acked;	/* what http_finish reports */
	/*
	 * Every byte acknowledged before the close: the reply is whole, even
	 * when the close beats our acknowledgement poll (sendfile fills the
	 * socket fast enough for that).
	 */
	if (x->c.size > 0 && acked >= x->c.size) {
		http_finish(x, HTTP_EV_COMPLETED, NULL);
		return;
	}
	http_finish(x, HTTP_EV_CLOSED_EARLY, "the client closed the "
	    "connection");
}

static void
http_finish(struct http_xfer *x, enum http_event_type type,
    const char *reason)
{
	struct http_server	*srv = x->srv;
	uint64_t		 bytes;

	bytes = type == HTTP_EV_COMPLETED ? x->c.size :
	    (x->evcon != NULL ? http_acked(x) : x->queued);
	http_emit(x, type, bytes, reason);
	LIST_REMOVE(x, entry);
	srv->active--;
	if (x->timer != NULL)
		event_free(x->timer);
	if (x->progress != NULL)
		event_free(x->progress);
	if (x->seg != NULL)
		evbuffer_file_segment_free(x->seg);
	else if (x->c.fd != -1)
		close(x->c.fd);
	if (x->c.release != NULL)
		x->c.release(x->c.release_arg);
	free(x->name);
	free(x->ua);
	free(x->peer_ip);
	free(x->peer_text);
	free(x);
}

static void
http_emit(struct http_xfer *x, enum http_event_type type, uint64_t bytes,
    const char *reason)
{
	struct http_event	ev;

	if (x->srv->hooks.event == NULL)
		return;
	memset(&ev, 0, sizeof ev);
	ev.type = type;
	ev.id = x->id;
	ev.method = "GET";
	ev.name = x->name;
	ev.user_agent = x->ua;
	ev.peer_ip = x->peer_ip;
	ev.peer_text = x->peer_text;
	ev.tls = x->tls;
	ev.bytes = bytes;
	ev.total = x->c.size;
	ev.seconds = http_seconds(&x->start);
	ev.reason = reason;
	x->srv->hooks.event(x->srv->hooks.arg, &ev);
}

static void
http_put(struct http_listener *l, struct evhttp_request *req,
    struct http_request_info *info)
{
	struct http_server	*srv = l->srv;
	struct evbuffer		*body = evhttp_request_get_input_buffer(req);
	struct evbuffer_iovec	*v;
	struct http_event	 ev;
	struct upload		*up;
	char			*cause = NULL, *stored = NULL;
	int			 n, i, status = 201;

	memset(&ev, 0, sizeof ev);
	ev.method = "PUT";
	ev.name = info->name;
	ev.user_agent = info->user_agent;
	ev.peer_ip = info->peer_ip;
	ev.peer_text = info->peer_text;
	ev.tls = info->tls;
	ev.id = ++srv->next_id;
	ev.total = ev.bytes = evbuffer_get_length(body);
	if (srv->config.uploads == NULL) {
		cause = xstrdup("uploads are not accepted here");
		status = 403;
		goto refused;
	}
	if ((up = upload_begin(srv->config.uploads, info->name, &cause)) ==
	    NULL) {
		status = 403;
		goto refused;
	}
	n = evbuffer_peek(body, -1, NULL, NULL, 0);
	v = xcalloc(n > 0 ? (size_t)n : 1, sizeof *v);
	evbuffer_peek(body, -1, NULL, v, n);
	for (i = 0; i < n; i++) {
		if (upload_write(up, v[i].iov_base, v[i].iov_len,
		    &cause) != 0) {
			free(v);
			upload_abort(up);
			status = 507;
			goto refused;
		}
	}
	free(v);
	if (upload_commit(up, &stored, &cause) != 0) {
		status = 507;
		goto refused;
	}
	ev.type = HTTP_EV_UPLOAD_STORED;
	ev.stored_path = stored;
	if (srv->hooks.event != NULL)
		srv->hooks.event(srv->hooks.arg, &ev);
	free(stored);
	evhttp_send_reply(req, 201, "Created", NULL);
	return;

refused:
	ev.type = HTTP_EV_UPLOAD_REFUSED;
	ev.reason = cause;
	if (srv->hooks.event != NULL)
		srv->hooks.event(srv->hooks.arg, &ev);
	evhttp_send_error(req, status, NULL);
	free(cause);
}
