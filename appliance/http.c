/*
 * HTTP serving on evhttp.
 *
 * Large files go out as evbuffer file segments, which libevent writes with
 * sendfile(2) on a plain socket: the bytes never cross user space.  The
 * header goes first (see the gate in http.h), then the rest at once, with a
 * timer for progress; with senders (http-sender.h), the rest of a plain
 * connection's image goes from another core's loop, and this one only
 * watches what the client acknowledges.  A client closing early is noticed with an exact
 * count: what it acknowledged is what was queued minus what is still in our
 * buffer minus what the kernel still holds unacknowledged (SIOCOUTQ).  A
 * reply is complete only when the last byte is acknowledged, not when it is
 * handed to the kernel.
 *
 * Limits (a closet's segment may hold a hostile host): the request head is
 * capped, a silent connection ends, and every accepted connection passes an
 * admission check before evhttp reads from it: a cap in all and per
 * address, and a reserve of file descriptors for TFTP.  libevent 2.1 has no
 * hook at accept, so the connection's bufferevent (which evhttp asks us for)
 * is noted and checked once evhttp has given it its socket; a refused one
 * gets a 503 and is shut down, and evhttp frees it on the EOF.  Closed
 * connections are noticed by their socket's inode (fstat), at most once a
 * second or when a cap would refuse.  accept() failing for want of
 * descriptors pauses the listener instead of spinning on it.
 *
 * A request may be held before it is answered (hooks.hold): a phone that
 * acknowledges the last block of a TFTP download and asks here at once is
 * answered only once that download's end has reached the caller.
 */
#include <sys/types.h>
#include <sys/ioctl.h>
#include <sys/queue.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>

#include <linux/sockios.h>
#include <netinet/in.h>
#include <linux/tcp.h>
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

#include "clock.h"
#include "http.h"
#include "http-sender.h"
#include "http-spool.h"
#include "log.h"
#include "pathsafe.h"
#include "upload.h"
#include "xmalloc.h"

#define HTTP_ACK_POLL_MS	5
/* At the gate, the acknowledgement is looked for every RTT, within these. */
#define HTTP_GATE_POLL_MIN_US	200
/*
 * What a client that stops reading after the header may still have its
 * kernel acknowledge: its receive buffer, which grows only while it reads;
 * taken as this many times the window it advertises when the header is
 * acknowledged, and never trusted past HTTP_HIDE_MAX.
 */
#define HTTP_HIDE_WINDOWS	4
#define HTTP_HIDE_MAX		(4ULL * 1024 * 1024)
#define HTTP_ACK_POLL_SLOW_MS	100
/* A body at least this long past the gate goes to a sender (http-sender.h). */
#define HTTP_SENDER_MIN		(64 * 1024)
/* A sender's turn per connection (http-sender.c says why). */
#define HTTP_SENDER_TURN	(512 * 1024)
#define HTTP_FILE_CUT		"the file was cut short while it was sent"
#define HTTP_PROGRESS_MS	250
/* Defaults of the limits (http.h). */
#define HTTP_MAX_HEADERS	8192
#define HTTP_MAX_CONNECTIONS	512
#define HTTP_MAX_PER_ADDRESS	64
#define HTTP_LOG_NAME_MAX	160	/* of a refused name, in the log */
/*
 * When every slot is taken and none is idle: a connection this old that
 * moved fewer bytes a second than this, both ways, over its whole life
 * gives its slot (slow readers and trickled PUTs held all 512, and phones
 * got 503).  A phone reads its image at megabytes a second.
 */
#define HTTP_CRAWL_AGE_MS	30000
#define HTTP_CRAWL_BPS		2048
#define HTTP_IDLE_TIMEOUT_S	30
#define HTTP_ACK_TIMEOUT_MS	60000
#define HTTP_FD_RESERVE		1100
/* accept() out of descriptors: try again after this long. */
#define HTTP_ACCEPT_PAUSE_MS	100
/* Closed connections are looked for at most this often. */
#define HTTP_SWEEP_MS		1000

struct http_listener {
	LIST_ENTRY(http_listener) entry;	/* in http_listeners */
	struct http_server	*srv;
	struct evhttp		*http;
	struct evconnlistener	*lev;
	struct event		*resume;	/* after an accept() pause */
	unsigned		 port;
	int			 tls;
};

/*
 * The listeners, for the accept error callback: libevent hands it evhttp's
 * argument, not ours.
 */
static LIST_HEAD(, http_listener) http_listeners =
    LIST_HEAD_INITIALIZER(http_listeners);

/*
 * An admitted connection: its socket (by inode), its peer, and the watch
 * on its input that writes PUT bodies to the quarantine (http-spool.h).
 */
struct http_conn {
	struct http_server	*srv;
	int			 fd;
	ino_t			 ino;
	struct sockaddr_storage	 addr;
	struct bufferevent	*bev;
	struct http_spool	*spool;
	uint64_t		 active_ms;	/* admitted, or bytes last came */
	uint64_t		 admitted_ms;
};

/* A request waiting for another server's events (hooks.hold). */
struct http_held {
	LIST_ENTRY(http_held)	 entry;
	struct http_listener	*l;
	struct evhttp_request	*req;
	struct bufferevent	*bev;
	void			*handle;
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
	struct http_send		*send;	/* the body, on a sender */
	uint64_t			 queued;
	int				 gated;	/* the gate has been passed */
	int				 graced; /* in the grace after it */
	int				 at_gate; /* the gate's bytes drained */
	uint64_t			 unread_max; /* see xfer_event */
	uint64_t			 acked_floor; /* most ever seen acked */
	uint64_t			 stream_acked;
	struct timeval			 stream_since;	/* stream_acked moved */
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
	struct http_senders	*senders;	/* NULL: bodies in this loop */
	SSL_CTX			*ssl;
	uint64_t		 next_id;
	unsigned		 active;
	LIST_HEAD(, http_xfer)	 xfers;
	LIST_HEAD(, http_held)	 held;

	struct http_conn	**conns;	/* admitted, maybe closed since */
	unsigned		 nconns;
	struct event		*sweeper;	/* while a PUT is spooled */
	struct bufferevent	**pending;	/* accepted, not yet admitted */
	unsigned		 npending, pending_size;
	struct event		*admit;
	uint64_t		 swept_ms;
	unsigned		 fd_limit;	/* RLIMIT_NOFILE */
	uint64_t		 refused, accept_errors, evicted;
	uint64_t		 handed;	/* bodies given to senders */
	uint64_t		 refusal_log_ms;
	unsigned		 refusals_unlogged;
	uint64_t		 badname_log_ms;	/* hostile names */
	unsigned		 badnames_unlogged;
};

static void	http_request_cb(struct evhttp_request *, void *);
static void	http_resume(void *);
static void	http_answer(struct http_listener *, struct evhttp_request *);
static int	http_conn_replying(struct http_server *,
		    struct bufferevent *);
static void	http_send_status(struct evhttp_request *, int);
static void	http_get(struct http_listener *, struct evhttp_request *,
		    struct http_request_info *);
static void	http_put(struct http_listener *, struct evhttp_request *,
		    struct http_request_info *);
static void	http_feed(struct http_xfer *);
static void	http_drained(struct evhttp_connection *, void *);
static int	http_hand_off(struct http_xfer *);
static int	http_file_cut(struct http_xfer *);
static uint64_t	http_bytes_out(struct http_xfer *);
static void	http_finish_cut(struct http_xfer *, uint64_t);
static void	http_sent(void *, struct http_send *, int);
static void	http_queue_file(struct http_xfer *, struct evbuffer *,
		    uint64_t);
static void	http_timer(evutil_socket_t, short, void *);
static void	http_stalled(struct http_xfer *, uint64_t);
static void	http_progress(evutil_socket_t, short, void *);
static void	http_closed(struct evhttp_connection *, void *);
static void	http_finish(struct http_xfer *, enum xfer_end, const char *);
static uint64_t	http_acked(struct http_xfer *);
static int	http_tcp_info(struct http_xfer *, struct tcp_info *);
static int	http_gate_open(struct http_xfer *);
static uint64_t	http_unread_bound(struct http_xfer *);
static void	http_gate_poll(struct http_xfer *, struct timeval *);
static void	http_emit(struct http_xfer *, enum xfer_phase, enum xfer_end,
		    uint64_t, const char *);
static double	http_seconds(const struct timeval *);
static struct bufferevent *http_tls_bevcb(struct event_base *, void *);
static int	http_listen(struct http_server *, struct http_listener *,
		    unsigned, int, char **);
static struct bufferevent *http_bevcb(struct event_base *, void *);
static void	http_admit(evutil_socket_t, short, void *);
static const char *http_admit_one(struct http_server *, struct bufferevent *,
		    int);
static void	http_conn_forget(struct http_server *, unsigned);
static struct http_conn *http_crawling(struct http_server *, unsigned *,
		    const struct http_spool *);
static void	http_evict(struct http_server *, unsigned);
static int	http_evict_idle(struct http_server *);
static int	http_reclaim_charge(void *, const struct http_spool *);
static void	http_conn_input(struct evbuffer *,
		    const struct evbuffer_cb_info *, void *);
static struct http_conn *http_conn_of(struct http_server *,
		    struct evhttp_connection *);
static void	http_sweeper(evutil_socket_t, short, void *);
static void	http_sweep(struct http_server *, int);
static int	http_same_host(const struct sockaddr_storage *,
		    const struct sockaddr_storage *);
static void	http_accept_error(struct evconnlistener *, void *);
static void	http_accept_resume(evutil_socket_t, short, void *);
static uint64_t	http_now_ms(void);

void
http_config_defaults(struct http_config *c)
{
	memset(c, 0, sizeof *c);
	c->listen = "0.0.0.0";
	c->port = 80;
	c->max_upload = 16 * 1024 * 1024;
	c->grace_ms = 150;
	c->chunk = 4 * 1024 * 1024;	/* bytes per write(2)/sendfile(2) */
	c->max_headers = HTTP_MAX_HEADERS;
	c->max_connections = HTTP_MAX_CONNECTIONS;
	c->max_per_address = HTTP_MAX_PER_ADDRESS;
	c->idle_timeout_s = HTTP_IDLE_TIMEOUT_S;
	c->ack_timeout_ms = HTTP_ACK_TIMEOUT_MS;
	c->fd_reserve = 0;	/* HTTP_FD_RESERVE or half the limit */
}

static uint64_t
http_now_ms(void)
{
	return ((uint64_t)clock_mono_ms());
}

/*
 * Every connection's bufferevent comes from here (evhttp sets its socket
 * afterwards): note it, to be admitted once the loop comes back.
 */
static struct bufferevent *
http_bevcb(struct event_base *base, void *arg)
{
	struct http_listener	*l = arg;
	struct http_server	*srv = l->srv;
	struct bufferevent	*bev;

	if (l->tls)
		bev = http_tls_bevcb(base, srv);
	else
		bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
	if (srv->npending == srv->pending_size) {
		srv->pending_size = srv->pending_size * 2 + 16;
		srv->pending = xreallocarray(srv->pending, srv->pending_size,
		    sizeof *srv->pending);
	}
	srv->pending[srv->npending++] = bev;
	event_active(srv->admit, EV_TIMEOUT, 1);
	return (bev);
}

static int
http_same_host(const struct sockaddr_storage *a,
    const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return (0);
	if (a->ss_family == AF_INET6)
		return (memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
		    &((const struct sockaddr_in6 *)b)->sin6_addr,
		    sizeof(struct in6_addr)) == 0);
	return (((const struct sockaddr_in *)a)->sin_addr.s_addr ==
	    ((const struct sockaddr_in *)b)->sin_addr.s_addr);
}

/*
 * Forget connections whose socket is gone (closed, or its number reused
 * by another file): at most once per HTTP_SWEEP_MS unless forced.
 */
static void
http_sweep(struct http_server *srv, int force)
{
	struct stat	sb;
	uint64_t	now = http_now_ms();
	unsigned	i;

	if (!force && now - srv->swept_ms < HTTP_SWEEP_MS)
		return;
	srv->swept_ms = now;
	for (i = 0; i < srv->nconns; ) {
		if (fstat(srv->conns[i]->fd, &sb) == 0 &&
		    S_ISSOCK(sb.st_mode) && sb.st_ino == srv->conns[i]->ino) {
			i++;
			continue;
		}
		http_conn_forget(srv, i);
	}
}

/* Forget conns[i] (its connection is gone, and its bufferevent with it). */
static void
http_conn_forget(struct http_server *srv, unsigned i)
{
	struct http_conn	*c = srv->conns[i];

	/* A PUT cut off: its upload goes, and its charge to the quotas. */
	http_spool_free(c->spool);
	free(c);
	srv->conns[i] = srv->conns[--srv->nconns];
}

/*
 * The connection moving the fewest bytes a second over its life, if that
 * is under HTTP_CRAWL_BPS and it is old enough to tell; else NULL.  With
 * asker set, only a PUT of another host than the asker's, while its body
 * comes.
 */
static struct http_conn *
http_crawling(struct http_server *srv, unsigned *at,
    const struct http_spool *asker)
{
	struct http_conn	*c, *slowest = NULL, *from = NULL;
	struct tcp_info		 ti;
	socklen_t		 len;
	uint64_t		 now = http_now_ms(), age, moved;
	double			 rate, lowest = HTTP_CRAWL_BPS;
	unsigned		 i;

	for (i = 0; i < srv->nconns; i++) {
		c = srv->conns[i];
		if (asker != NULL && c->spool == asker)
			from = c;
	}
	for (i = 0; i < srv->nconns; i++) {
		c = srv->conns[i];
		if ((age = now - c->admitted_ms) < srv->config.crawl_age_ms)
			continue;
		/* Another host's PUT: one host's own slow PUT is its own. */
		if (asker != NULL && (c->spool == asker ||
		    !http_spool_busy(c->spool) || (from != NULL &&
		    http_same_host(&c->addr, &from->addr))))
			continue;
		len = sizeof ti;
		memset(&ti, 0, sizeof ti);
		if (getsockopt(c->fd, IPPROTO_TCP, TCP_INFO, &ti, &len) != 0)
			continue;
		moved = ti.tcpi_bytes_acked + ti.tcpi_bytes_received;
		rate = (double)moved * 1000 / (double)age;
		if (rate < lowest) {
			lowest = rate;
			slowest = c;
			*at = i;
		}
	}
	return (slowest);
}

/*
 * End conns[at], whose socket is open: shut it (evhttp frees it on the
 * EOF); a PUT it carried gives its charge back to the quotas.
 */
static void
http_evict(struct http_server *srv, unsigned at)
{
	struct http_conn	*c = srv->conns[at];

	evbuffer_remove_cb(bufferevent_get_input(c->bev), http_conn_input, c);
	shutdown(c->fd, SHUT_RDWR);
	srv->evicted++;
	http_conn_forget(srv, at);
}

/*
 * A PUT's length was refused by the quotas or the disk: trickled PUTs
 * from other hosts must not keep the phones' logs out, so the one moving
 * the fewest bytes a second gives its charge back (http_spool_reclaim_fn).
 */
static int
http_reclaim_charge(void *arg, const struct http_spool *asker)
{
	struct http_server	*srv = arg;
	unsigned		 at = 0;

	http_sweep(srv, 1);
	if (http_crawling(srv, &at, asker) == NULL)
		return (-1);
	log_info("http: an upload was refused for room, and one crawling "
	    "under %d bytes a second gave its own back", HTTP_CRAWL_BPS);
	http_evict(srv, at);
	return (0);
}

/*
 * End the admitted connection that has been quiet longest among those
 * moving nothing (no reply being sent, no PUT body being stored); -1 if
 * every one is busy.  Its socket is shut: evhttp frees it on the EOF.
 */
static int
http_evict_idle(struct http_server *srv)
{
	struct http_conn	*c, *oldest = NULL;
	unsigned		 i, at = 0;

	for (i = 0; i < srv->nconns; i++) {
		c = srv->conns[i];
		if (http_spool_busy(c->spool) || (oldest != NULL &&
		    c->active_ms >= oldest->active_ms))
			continue;
		if (!http_conn_replying(srv, c->bev)) {
			oldest = c;
			at = i;
		}
	}
	if (oldest == NULL && http_crawling(srv, &at, NULL) == NULL)
		return (-1);
	/* Its socket is open (the sweep just ran), so its bufferevent is. */
	http_evict(srv, at);
	return (0);
}

/*
 * Bytes came in on a connection: PUT bodies go to the quarantine before
 * evhttp sees the request.  A 100 Continue may be sent only while no reply
 * is under way on it.
 */
static void
http_conn_input(struct evbuffer *b, const struct evbuffer_cb_info *info,
    void *arg)
{
	struct http_conn	*c = arg;
	struct http_server	*srv = c->srv;
	struct timeval		 tv = { HTTP_SWEEP_MS / 1000, 0 };

	if (info->n_added == 0)
		return;
	c->active_ms = http_now_ms();
	http_spool_input(c->spool, b, info, !http_conn_replying(srv, c->bev));
	/* A client gone mid-body is noticed by the sweep, its upload freed. */
	if (http_spool_busy(c->spool) && !evtimer_pending(srv->sweeper, NULL))
		evtimer_add(srv->sweeper, &tv);
}

/* A reply is under way on bev, or a request of it is held. */
static int
http_conn_replying(struct http_server *srv, struct bufferevent *bev)
{
	struct http_xfer	*x;
	struct http_held	*h;

	LIST_FOREACH(x, &srv->xfers, entry) {
		if (x->evcon != NULL &&
		    evhttp_connection_get_bufferevent(x->evcon) == bev)
			return (1);
	}
	LIST_FOREACH(h, &srv->held, entry) {
		if (h->bev == bev)
			return (1);
	}
	return (0);
}

static void
http_sweeper(evutil_socket_t fd, short what, void *arg)
{
	struct http_server	*srv = arg;
	struct timeval		 tv = { HTTP_SWEEP_MS / 1000, 0 };
	unsigned		 i;

	http_sweep(srv, 1);
	for (i = 0; i < srv->nconns; i++) {
		if (http_spool_busy(srv->conns[i]->spool)) {
			evtimer_add(srv->sweeper, &tv);
			return;
		}
	}
}

/* The admitted connection a request came on, or NULL. */
static struct http_conn *
http_conn_of(struct http_server *srv, struct evhttp_connection *evcon)
{
	struct bufferevent	*bev = evhttp_connection_get_bufferevent(evcon);
	unsigned		 i;

	for (i = 0; i < srv->nconns; i++) {
		if (srv->conns[i]->bev == bev &&
		    srv->conns[i]->fd == bufferevent_getfd(bev))
			return (srv->conns[i]);
	}
	return (NULL);
}

/* Admit the connection on fd: NULL, or why it is refused. */
static const char *
http_admit_one(struct http_server *srv, struct bufferevent *bev, int fd)
{
	struct http_conn	*c;
	struct sockaddr_storage	 addr;
	struct stat		 sb;
	socklen_t		 len;
	unsigned		 i, same = 0, reserve;

	/*
	 * A number handed out again, or the memory of a bufferevent: the
	 * connection that had it is gone.
	 */
	for (i = 0; i < srv->nconns; ) {
		if (srv->conns[i]->fd == fd || srv->conns[i]->bev == bev)
			http_conn_forget(srv, i);
		else
			i++;
	}
	reserve = srv->config.fd_reserve;
	if ((uint64_t)fd + reserve >= srv->fd_limit)
		return ("its file descriptors are kept for TFTP");
	if (fstat(fd, &sb) == -1)
		return ("its socket is gone");
	http_sweep(srv, 0);
	memset(&addr, 0, sizeof addr);
	len = sizeof addr;
	if (getpeername(fd, (struct sockaddr *)&addr, &len) == -1)
		return ("its peer is gone");
	for (i = 0; i < srv->nconns; i++) {
		if (http_same_host(&srv->conns[i]->addr, &addr))
			same++;
	}
	if (same >= srv->config.max_per_address) {
		http_sweep(srv, 1);
		for (same = 0, i = 0; i < srv->nconns; i++) {
			if (http_same_host(&srv->conns[i]->addr, &addr))
				same++;
		}
		if (same >= srv->config.max_per_address)
			return ("too many connections from that address");
	}
	/*
	 * Full: the connection that has been quiet longest and is moving
	 * nothing makes room (idle connections held by one host must not
	 * keep the phones out); if every one is busy, refuse.
	 */
	if (srv->nconns >= srv->config.max_connections)
		http_sweep(srv, 1);
	if (srv->nconns >= srv->config.max_connections &&
	    http_evict_idle(srv) != 0)
		return ("too many connections in all");
	c = xcalloc(1, sizeof *c);
	c->srv = srv;
	c->fd = fd;
	c->ino = sb.st_ino;
	c->addr = addr;
	c->bev = bev;
	c->active_ms = c->admitted_ms = http_now_ms();
	c->spool = http_spool_new(bev, srv->config.uploads,
	    srv->config.max_upload, srv->config.max_headers,
	    http_reclaim_charge, srv);
	evbuffer_add_cb(bufferevent_get_input(bev), http_conn_input, c);
	srv->conns[srv->nconns++] = c;
	return (NULL);
}

/* The peer's address of a socket, for the log ("?" if it has none). */
static const char *
http_fd_peer(int fd, char *buf, size_t size)
{
	struct sockaddr_storage	 ss;
	socklen_t		 len = sizeof ss;
	const void		*a = NULL;

	if (getpeername(fd, (struct sockaddr *)&ss, &len) == 0) {
		if (ss.ss_family == AF_INET)
			a = &((struct sockaddr_in *)&ss)->sin_addr;
		else if (ss.ss_family == AF_INET6)
			a = &((struct sockaddr_in6 *)&ss)->sin6_addr;
	}
	if (a == NULL || inet_ntop(ss.ss_family, a, buf, size) == NULL)
		snprintf(buf, size, "?");
	return (buf);
}

static void
http_admit(evutil_socket_t unused, short what, void *arg)
{
	static const char	 busy[] = "HTTP/1.1 503 Service Unavailable\r\n"
				    "Connection: close\r\nRetry-After: 5\r\n"
				    "Content-Length: 0\r\n\r\n";
	struct http_server	*srv = arg;
	struct bufferevent	*bev;
	const char		*why;
	char			 peer[INET6_ADDRSTRLEN];
	uint64_t		 now;
	unsigned		 i;
	int			 fd;

	for (i = 0; i < srv->npending; i++) {
		bev = srv->pending[i];
		if ((fd = bufferevent_getfd(bev)) == -1)
			continue;
		if ((why = http_admit_one(srv, bev, fd)) == NULL)
			continue;
		srv->refused++;
		now = http_now_ms();
		if (now - srv->refusal_log_ms >= 1000) {
			log_info("http: a connection from %s refused: %s "
			    "(%u more refused since the last such line)",
			    http_fd_peer(fd, peer, sizeof peer), why,
			    srv->refusals_unlogged);
			srv->refusal_log_ms = now;
			srv->refusals_unlogged = 0;
		} else
			srv->refusals_unlogged++;
		/* TLS or not, the socket is shut; evhttp frees it on EOF. */
		if (bufferevent_openssl_get_ssl(bev) == NULL)
			send(fd, busy, sizeof busy - 1, MSG_DONTWAIT |
			    MSG_NOSIGNAL);
		shutdown(fd, SHUT_RDWR);
	}
	srv->npending = 0;
}

/* accept() failed: out of descriptors, pause rather than spin. */
static void
http_accept_error(struct evconnlistener *lev, void *arg)
{
	struct http_listener	*l;
	struct timeval		 tv = { 0, HTTP_ACCEPT_PAUSE_MS * 1000 };
	int			 error = EVUTIL_SOCKET_ERROR();

	LIST_FOREACH(l, &http_listeners, entry) {
		if (l->lev == lev)
			break;
	}
	if (l == NULL) {
		evconnlistener_disable(lev);	/* cannot happen: stop anyway */
		return;
	}

	l->srv->accept_errors++;
	if (l->srv->accept_errors == 1 || l->srv->accept_errors % 1000 == 0)
		log_warn("http: cannot accept a connection: %s (%llu times)",
		    strerror(error),
		    (unsigned long long)l->srv->accept_errors);
	evconnlistener_disable(lev);
	evtimer_add(l->resume, &tv);
}

static void
http_accept_resume(evutil_socket_t fd, short what, void *arg)
{
	struct http_listener	*l = arg;

	if (l->lev != NULL)
		evconnlistener_enable(l->lev);
}

uint64_t
http_server_refused(const struct http_server *srv)
{
	return (srv->refused);
}

uint64_t
http_server_accept_errors(const struct http_server *srv)
{
	return (srv->accept_errors);
}

uint64_t
http_server_handed(const struct http_server *srv)
{
	return (srv->handed);
}

uint64_t
http_server_evicted(const struct http_server *srv)
{
	return (srv->evicted);
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
	/*
	 * No body ever reaches evhttp: PUT bodies are on disk before it sees
	 * the request (http-spool.c), and any other body is refused.
	 */
	evhttp_set_max_body_size(l->http, 0);
	/* libevent's default is no limit on the head at all. */
	evhttp_set_max_headers_size(l->http,
	    (ev_ssize_t)srv->config.max_headers);
	evhttp_set_timeout(l->http, (int)srv->config.idle_timeout_s);
	evhttp_set_gencb(l->http, http_request_cb, l);
	evhttp_set_bevcb(l->http, http_bevcb, l);
	l->resume = evtimer_new(srv->base, http_accept_resume, l);
	bound = evhttp_bind_socket_with_handle(l->http, srv->config.listen,
	    (ev_uint16_t)port);
	if (bound == NULL) {
		xasprintf(cause, "cannot listen for %s on %s port %u: %s (is "
		    "another web server running, or is the port privileged?)",
		    tls ? "HTTPS" : "HTTP", srv->config.listen, port,
		    strerror(errno));
		return (-1);
	}
	l->lev = evhttp_bound_socket_get_listener(bound);
	evconnlistener_set_error_cb(l->lev, http_accept_error);
	LIST_INSERT_HEAD(&http_listeners, l, entry);
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
	struct rlimit		 rl;

	srv = xcalloc(1, sizeof *srv);
	srv->base = base;
	srv->config = *config;
	if (srv->config.listen == NULL)
		srv->config.listen = "0.0.0.0";
	if (srv->config.chunk == 0)
		srv->config.chunk = 4 * 1024 * 1024;
	if (srv->config.max_headers == 0)
		srv->config.max_headers = HTTP_MAX_HEADERS;
	if (srv->config.max_connections == 0)
		srv->config.max_connections = HTTP_MAX_CONNECTIONS;
	if (srv->config.max_per_address == 0)
		srv->config.max_per_address = HTTP_MAX_PER_ADDRESS;
	if (srv->config.idle_timeout_s == 0)
		srv->config.idle_timeout_s = HTTP_IDLE_TIMEOUT_S;
	if (srv->config.crawl_age_ms == 0)
		srv->config.crawl_age_ms = HTTP_CRAWL_AGE_MS;
	if (srv->config.ack_timeout_ms == 0)
		srv->config.ack_timeout_ms = HTTP_ACK_TIMEOUT_MS;
	/*
	 * Descriptors: as many as allowed (up to 65536), so that the reserve
	 * for TFTP leaves HTTP enough; the reserve is at most half of them
	 * unless set.
	 */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		if (rl.rlim_cur < 65536 && rl.rlim_max > rl.rlim_cur) {
			rl.rlim_cur = rl.rlim_max < 65536 ? rl.rlim_max : 65536;
			setrlimit(RLIMIT_NOFILE, &rl);
			getrlimit(RLIMIT_NOFILE, &rl);
		}
		srv->fd_limit = rl.rlim_cur > 65536 ? 65536 : rl.rlim_cur;
	} else
		srv->fd_limit = 1024;
	if (srv->config.fd_reserve == 0)
		srv->config.fd_reserve = HTTP_FD_RESERVE < srv->fd_limit / 2 ?
		    HTTP_FD_RESERVE : srv->fd_limit / 2;
	srv->conns = xcalloc(srv->config.max_connections, sizeof *srv->conns);
	srv->admit = event_new(base, -1, 0, http_admit, srv);
	srv->sweeper = evtimer_new(base, http_sweeper, srv);
	srv->hooks = *hooks;
	LIST_INIT(&srv->xfers);
	LIST_INIT(&srv->held);
	if (config->senders > 0 && (srv->senders = http_senders_start(base,
	    config->senders, cause)) == NULL)
		goto fail;
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
	struct http_held	*h;

	if (srv == NULL)
		return;
	while ((h = LIST_FIRST(&srv->held)) != NULL) {
		LIST_REMOVE(h, entry);
		if (srv->hooks.unhold != NULL)
			srv->hooks.unhold(srv->hooks.arg, h->handle);
		/* Cut from its connection it is ours, else evhttp's. */
		if (evhttp_request_get_connection(h->req) == NULL)
			evhttp_request_free(h->req);
		free(h);
	}
	while ((x = LIST_FIRST(&srv->xfers)) != NULL) {
		if (x->evcon != NULL)
			evhttp_connection_set_closecb(x->evcon, NULL, NULL);
		http_finish(x, XFER_END_SHUTDOWN, "the server is stopping");
	}
	/* Every body on them is cancelled (http_finish): stop the threads. */
	http_senders_stop(srv->senders);
	if (srv->plain.lev != NULL)
		LIST_REMOVE(&srv->plain, entry);
	if (srv->secure.lev != NULL)
		LIST_REMOVE(&srv->secure, entry);
	if (srv->plain.http != NULL)
		evhttp_free(srv->plain.http);
	if (srv->secure.http != NULL)
		evhttp_free(srv->secure.http);
	if (srv->plain.resume != NULL)
		event_free(srv->plain.resume);
	if (srv->secure.resume != NULL)
		event_free(srv->secure.resume);
	if (srv->admit != NULL)
		event_free(srv->admit);
	if (srv->sweeper != NULL)
		event_free(srv->sweeper);
	free(srv->pending);
	while (srv->nconns > 0)
		http_conn_forget(srv, srv->nconns - 1);
	free(srv->conns);
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
	struct http_server		*srv = l->srv;
	struct evhttp_connection	*evcon = evhttp_request_get_connection(req);
	struct bufferevent		*bev;
	struct http_held		*h;
	struct sockaddr_storage		 ss;
	socklen_t			 len = sizeof ss;

	bev = evhttp_connection_get_bufferevent(evcon);
	if (srv->hooks.hold != NULL && getpeername(bufferevent_getfd(bev),
	    (struct sockaddr *)&ss, &len) == 0) {
		h = xcalloc(1, sizeof *h);
		h->l = l;
		h->req = req;
		h->bev = bev;
		h->handle = srv->hooks.hold(srv->hooks.arg,
		    (struct sockaddr *)&ss, len, http_resume, h);
		if (h->handle != NULL) {
			LIST_INSERT_HEAD(&srv->held, h, entry);
			return;
		}
		free(h);
	}
	http_answer(l, req);
}

/* The events a held request waited for are in: answer it. */
static void
http_resume(void *arg)
{
	struct http_held	*h = arg;
	struct evhttp_request	*req = h->req;
	struct http_listener	*l = h->l;

	LIST_REMOVE(h, entry);
	free(h);
	/* Its client closed meanwhile: evhttp left the request to us. */
	if (evhttp_request_get_connection(req) == NULL) {
		evhttp_request_free(req);
		return;
	}
	http_answer(l, req);
}

static void
http_answer(struct http_listener *l, struct evhttp_request *req)
{
	struct evhttp_connection	*evcon = evhttp_request_get_connection(req);
	struct http_request_info	 info;
	const char			*target, *name;
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
	if ((target = evhttp_request_get_uri(req)) != NULL)
		decoded = http_request_path(target, &len);
	if (decoded == NULL) {
		http_send_status(req, HTTP_BADREQUEST);
		return;
	}
	name = decoded;
	while (*name == '/') {
		name++;
		len--;
	}
	if (len == 0) {
		http_send_status(req, HTTP_NOTFOUND);
		free(decoded);
		return;
	}
	if (pathsafe_check(name, len, &cause) != 0) {
		struct http_server	*srv = l->srv;
		uint64_t		 now = http_now_ms();
		char			*esc;

		/*
		 * Hostile names come in floods: one line a second, the name
		 * cut short.  9,000 lines of 9 KB in 5 s went to the log on
		 * the journal's disk.
		 */
		if (now - srv->badname_log_ms >= 1000) {
			esc = log_escape(name, len > HTTP_LOG_NAME_MAX ?
			    HTTP_LOG_NAME_MAX : len);
			log_warn("http: %s asked for %s%s: %.*s%s (%u more "
			    "such requests since the last such line)",
			    peer_text, esc, len > HTTP_LOG_NAME_MAX ?
			    "... (cut)" : "", 2 * HTTP_LOG_NAME_MAX, cause,
			    strlen(cause) > 2 * HTTP_LOG_NAME_MAX ? "..." : "",
			    srv->badnames_unlogged);
			free(esc);
			srv->badname_log_ms = now;
			srv->badnames_unlogged = 0;
		} else
			srv->badnames_unlogged++;
		free(cause);
		http_send_status(req, HTTP_NOTFOUND);
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
		http_send_status(req, 405);
		break;
	}
	free(decoded);
}

/*
 * An error reply.  evhttp_send_error() writes its HTML page even to a HEAD,
 * whose reply ends at its head (RFC 9110 9.3.2): a 5.x phone's first
 * request, a HEAD for its log, got 90 bytes its client read as garbage
 * after the reply.
 */
static void
http_send_status(struct evhttp_request *req, int status)
{
	if (evhttp_request_get_command(req) == EVHTTP_REQ_HEAD)
		evhttp_send_reply(req, status, NULL, NULL);
	else
		evhttp_send_error(req, status, NULL);
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
	struct evbuffer			*body;
	char				*cause = NULL, len[32];
	int				 status;

	memset(&c, 0, sizeof c);
	c.fd = -1;
	status = srv->hooks.resolve(srv->hooks.arg, info, &c, &cause);
	if (status != 200) {
		free(cause);
		/*
		 * Not now (the journal cannot write): a phone asks again.
		 * evhttp_send_error() would drop the header, so by hand.
		 */
		if (status == 503) {
			evhttp_add_header(out, "Retry-After", "30");
			if (evhttp_request_get_command(req) ==
			    EVHTTP_REQ_HEAD) {
				evhttp_send_reply(req, 503, NULL, NULL);
				return;
			}
			evhttp_add_header(out, "Content-Type", "text/plain");
			body = evbuffer_new();
			evbuffer_add_printf(body, "try again later\n");
			evhttp_send_reply(req, 503, "Service Unavailable",
			    body);
			evbuffer_free(body);
			return;
		}
		/* The standard phrase: a cause is for our log, not the wire. */
		http_send_status(req, status);
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
	/*
	 * A client taking an image has nothing to say, and a slow one may
	 * leave the socket unwritable for long (a large send buffer frees a
	 * third at a time): libevent's timeouts would cut it off.  While
	 * the reply runs, the stall check is ours, on the bytes the client
	 * acknowledges (ack_timeout_ms without progress).
	 */
	bufferevent_set_timeouts(bev, NULL, NULL);
	evhttp_send_reply_start(req, 200, "OK");
	http_emit(x, XFER_STARTED, XFER_END_NONE, 0, NULL);
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
	if (x->gated && http_hand_off(x))
		goto started;
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
	if (!x->gated) {
		/*
		 * The gate's bytes may never drain (a client that reads
		 * nothing): the deadline runs from now, not from the drain.
		 */
		x->ack_last = 0;
		gettimeofday(&x->ack_since, NULL);
		tv.tv_usec = HTTP_ACK_POLL_MS * 1000;
		evtimer_add(x->timer, &tv);
	}
started:
	if (x->gated && x->progress != NULL) {
		gettimeofday(&x->stream_since, NULL);
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

/*
 * Past the gate, a plain connection's file body goes to a sender: another
 * core's loop moves the bytes, this one keeps the checks on what the client
 * acknowledged (http_acked reads how far the sender got).  What evhttp has
 * queued (the header) must reach the socket first: one byte goes through
 * evhttp, and its drain calls here again.  Returns 1 when the body is on
 * its way by either path, 0 when it stays in this loop.
 */
static int
http_hand_off(struct http_xfer *x)
{
	struct bufferevent	*bev;
	struct evbuffer		*buf;
	int			 fd;

	if (x->srv->senders == NULL || x->tls || x->seg == NULL ||
	    x->c.size - x->queued < HTTP_SENDER_MIN || x->evcon == NULL)
		return (0);
	bev = evhttp_connection_get_bufferevent(x->evcon);
	if ((fd = bufferevent_getfd(bev)) == -1)
		return (0);
	if (evbuffer_get_length(bufferevent_get_output(bev)) > 0) {
		buf = evbuffer_new();
		http_queue_file(x, buf, 1);
		x->queued++;
		evhttp_send_reply_chunk_with_cb(x->req, buf, http_drained, x);
		evbuffer_free(buf);
		return (1);
	}
	x->send = http_senders_hand(x->srv->senders, fd, x->c.fd, x->queued,
	    x->c.size, HTTP_SENDER_TURN, http_sent, x);
	if (x->send != NULL)
		x->srv->handed++;
	else {
		log_warn("http: %s to %s: sent from the main loop (no "
		    "descriptor for a sender: %s)", x->name, x->peer_text,
		    strerror(errno));
		return (0);
	}
	return (1);
}

/* The sender is done with the body: all of it in the socket, or failed. */
static void
http_sent(void *arg, struct http_send *hs, int error)
{
	struct http_xfer		*x = arg;
	struct evhttp_connection	*evcon = x->evcon;
	uint64_t			 acked, out;

	if (error == 0) {
		x->send = NULL;
		x->queued = x->c.size;
		http_feed(x);	/* now for the last acknowledgement */
		return;
	}
	acked = http_acked(x);
	out = http_bytes_out(x);
	x->send = NULL;
	/* A peer gone (EPIPE, ECONNRESET) or a file cut short under us. */
	evhttp_connection_set_closecb(evcon, NULL, NULL);
	x->req = NULL;
	x->evcon = NULL;
	x->queued = acked;
	if (error == EIO && http_file_cut(x))
		http_finish_cut(x, out);
	else if (error == EPIPE || error == ECONNRESET)
		http_finish(x, XFER_END_CLOSED, "the client closed the "
		    "connection");
	else {
		log_warn("http: %s to %s: sending failed: %s", x->name,
		    x->peer_text, strerror(error));
		http_finish(x, XFER_END_LOCAL_ERROR, strerror(error));
	}
	evhttp_connection_free(evcon);
}

static void
http_progress(evutil_socket_t fd, short events, void *arg)
{
	struct http_xfer	*x = arg;
	struct timeval		 tv = { 0, HTTP_PROGRESS_MS * 1000 };
	uint64_t		 acked;

	if (x->ending)
		return;
	/*
	 * While the body streams, this is also the stall check (the
	 * connection has no libevent timeouts then, see http_get).
	 */
	acked = http_acked(x);
	if (acked != x->stream_acked) {
		x->stream_acked = acked;
		gettimeofday(&x->stream_since, NULL);
	} else if (http_seconds(&x->stream_since) * 1000 >
	    x->srv->config.ack_timeout_ms) {
		http_stalled(x, acked);
		return;
	}
	http_emit(x, XFER_PROGRESS, XFER_END_NONE, acked, NULL);
	evtimer_add(x->progress, &tv);
}

static void
http_drained(struct evhttp_connection *evcon, void *arg)
{
	struct http_xfer	*x = arg;
	struct timeval		 tv = { 0, 0 };

	if (http_seconds(&x->progress_at) * 1000 >= HTTP_PROGRESS_MS) {
		gettimeofday(&x->progress_at, NULL);
		http_emit(x, XFER_PROGRESS, XFER_END_NONE, http_acked(x),
		    NULL);
	}
	if (!x->gated && x->queued >= x->c.gate) {
		/* At the gate: wait for the acknowledgement, then the grace. */
		x->at_gate = 1;
		x->ack_last = 0;
		gettimeofday(&x->ack_since, NULL);
		http_gate_poll(x, &tv);
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

	/* A client that stalls is polled less and less often. */
	if (http_seconds(&x->ack_since) > 0.2)
		tv.tv_usec = HTTP_ACK_POLL_SLOW_MS * 1000;
	if (!x->gated && !x->ending) {
		if (acked < x->queued || !x->at_gate) {
			/* The first bytes are waited for, but not for ever. */
			if (acked != x->ack_last) {
				x->ack_last = acked;
				gettimeofday(&x->ack_since, NULL);
			} else if (http_seconds(&x->ack_since) * 1000 >
			    x->srv->config.ack_timeout_ms) {
				http_stalled(x, acked);
				return;
			}
			if (x->at_gate && http_seconds(&x->ack_since) <= 0.2)
				http_gate_poll(x, &tv);
			evtimer_add(x->timer, &tv);
			return;
		}
		if (!x->graced && http_gate_open(x)) {
			x->gated = 1;
			http_feed(x);
			return;
		}
		if (!x->graced) {
			/* Acknowledged: now the grace period. */
			x->graced = 1;
			tv.tv_sec = x->srv->config.grace_ms / 1000;
			tv.tv_usec = (x->srv->config.grace_ms % 1000) * 1000;
			evtimer_add(x->timer, &tv);
			return;
		}
		x->gated = 1;
		x->unread_max = http_unread_bound(x);
		http_feed(x);
		return;
	}
	if (acked >= x->c.size) {
		evhttp_connection_set_closecb(x->evcon, NULL, NULL);
		/* Idle again: its silence counts from now. */
		evhttp_connection_set_timeout(x->evcon,
		    (int)x->srv->config.idle_timeout_s);
		evhttp_send_reply_end(x->req);
		x->req = NULL;
		http_finish(x, XFER_END_COMPLETE, NULL);
		return;
	}
	if (acked != x->ack_last) {
		x->ack_last = acked;
		gettimeofday(&x->ack_since, NULL);
	} else if (http_seconds(&x->ack_since) * 1000 >
	    x->srv->config.ack_timeout_ms) {
		http_stalled(x, acked);
		return;
	}
	evtimer_add(x->timer, &tv);
}

/*
 * The client acknowledged nothing for ack_timeout_ms: drop the connection
 * (flushing to a client that does not read would hold it until the idle
 * timeout) and report what it did acknowledge.
 */
static void
http_stalled(struct http_xfer *x, uint64_t acked)
{
	struct evhttp_connection	*evcon = x->evcon;

	evhttp_connection_set_closecb(evcon, NULL, NULL);
	x->req = NULL;
	x->evcon = NULL;
	x->queued = acked;
	http_finish(x, XFER_END_SILENCE, "the client stopped "
	    "acknowledging");
	evhttp_connection_free(evcon);
}

static int
http_tcp_info(struct http_xfer *x, struct tcp_info *ti)
{
	struct bufferevent	*bev;
	socklen_t		 len = sizeof *ti;
	int			 fd;

	if (x->evcon == NULL ||
	    (bev = evhttp_connection_get_bufferevent(x->evcon)) == NULL ||
	    (fd = bufferevent_getfd(bev)) == -1)
		return (-1);
	memset(ti, 0, sizeof *ti);
	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, ti, &len) != 0)
		return (-1);
	return (0);
}

/*
 * While the gate's bytes wait for their acknowledgement, look every round
 * trip (as the connection measures it), not at a fixed pace.
 */
static void
http_gate_poll(struct http_xfer *x, struct timeval *tv)
{
	struct tcp_info	ti;
	unsigned	us = HTTP_ACK_POLL_MS * 1000;

	if (http_tcp_info(x, &ti) == 0 && ti.tcpi_rtt > 0 && ti.tcpi_rtt < us)
		us = ti.tcpi_rtt;
	if (us < HTTP_GATE_POLL_MIN_US)
		us = HTTP_GATE_POLL_MIN_US;
	tv->tv_sec = 0;
	tv->tv_usec = us;
}

/*
 * The header is acknowledged: may the rest go at once, without the grace?
 * The grace is there so that a client that reads the header and closes is
 * seen to have taken only the header; the rest sent at once lands in its
 * receive buffer, and its kernel acknowledges what fits there whether it
 * reads or not.  What fits is what the connection shows: its advertised
 * window now (the buffer grows only while the client reads).  When the
 * header and all that could be acknowledged unread stay under half the
 * reply, an abandon still shows as one (far from the whole), and the rest
 * goes at once; otherwise (a small reply, a wide window) the grace holds.
 */
static int
http_gate_open(struct http_xfer *x)
{
	struct tcp_info	ti;
	uint64_t	hide;

	if (http_tcp_info(x, &ti) != 0 || ti.tcpi_snd_wnd == 0)
		return (0);
	hide = (uint64_t)ti.tcpi_snd_wnd * HTTP_HIDE_WINDOWS;
	if (hide > HTTP_HIDE_MAX || 2 * (x->queued + hide) >= x->c.size)
		return (0);
	x->unread_max = x->queued + hide;
	log_info("http: %s to %s: header acknowledged after %.1f ms, the "
	    "rest sent at once (window %u bytes, rtt %u us)", x->name,
	    x->peer_text, http_seconds(&x->ack_since) * 1000,
	    ti.tcpi_snd_wnd, ti.tcpi_rtt);
	return (1);
}

/*
 * When the rest goes after the grace: the most a client that stopped
 * reading at the header could have acknowledged, measured as at the gate
 * (0: not measured, and the engine keeps its coarse bound).
 */
static uint64_t
http_unread_bound(struct http_xfer *x)
{
	struct tcp_info	ti;

	if (http_tcp_info(x, &ti) != 0 || ti.tcpi_snd_wnd == 0)
		return (0);
	return (x->queued + (uint64_t)ti.tcpi_snd_wnd * HTTP_HIDE_WINDOWS);
}

/* Bytes the client's TCP has acknowledged. */
static uint64_t
http_acked(struct http_xfer *x)
{
	struct bufferevent	*bev;
	uint64_t		 pending = 0, queued = x->queued;
	int			 fd, outq = 0;

	if (x->evcon == NULL)
		return (0);
	if (x->send != NULL)
		queued = http_send_offset(x->send);
	bev = evhttp_connection_get_bufferevent(x->evcon);
	if (bev == NULL)
		return (0);
	pending = evbuffer_get_length(bufferevent_get_output(bev));
	fd = bufferevent_getfd(bev);
	if (!x->tls && fd != -1 && ioctl(fd, SIOCOUTQ, &outq) == 0 &&
	    outq > 0)
		pending += (uint64_t)outq;
	/*
	 * A sender stores its offset after its sendfile returns: read in
	 * between, the kernel's queue already holds bytes the offset does not
	 * count, and the difference understates, once to nothing (a client
	 * that closed after the header was reported with 0 bytes).  What was
	 * acknowledged stays acknowledged.
	 */
	if (pending < queued && queued - pending > x->acked_floor)
		x->acked_floor = queued - pending;
	return (x->acked_floor);
}

/*
 * Bytes handed to the kernel: the sender's offset, or what we queued minus
 * what is still in the connection's buffer (which a close drains only after
 * telling us).
 */
static uint64_t
http_bytes_out(struct http_xfer *x)
{
	struct bufferevent	*bev;
	uint64_t		 pending;

	if (x->send != NULL)
		return (http_send_offset(x->send));
	if (x->evcon == NULL ||
	    (bev = evhttp_connection_get_bufferevent(x->evcon)) == NULL)
		return (x->queued);
	pending = evbuffer_get_length(bufferevent_get_output(bev));
	return (pending >= x->queued ? 0 : x->queued - pending);
}

/*
 * Is the file shorter now than when it was resolved (replaced or truncated
 * under us)?  Then a connection that ends early ended on our side.
 */
static int
http_file_cut(struct http_xfer *x)
{
	struct stat	st;

	return (x->c.fd != -1 && fstat(x->c.fd, &st) == 0 &&
	    (uint64_t)st.st_size < x->c.size);
}

/* The file was cut short: our failure, told with what went out. */
static void
http_finish_cut(struct http_xfer *x, uint64_t out)
{
	x->queued = out;
	log_warn("http: %s to %s: %s", x->name, x->peer_text, HTTP_FILE_CUT);
	http_finish(x, XFER_END_LOCAL_ERROR, HTTP_FILE_CUT);
}

static void
http_closed(struct evhttp_connection *evcon, void *arg)
{
	struct http_xfer	*x = arg;
	uint64_t		 acked = http_acked(x), out = http_bytes_out(x);

	/* A reply in progress is detached from its connection: ours to free. */
	if (x->req != NULL && evhttp_request_get_connection(x->req) == NULL)
		evhttp_request_free(x->req);
	x->req = NULL;
	x->evcon = NULL;
	x->queued = acked;	/* what http_finish reports */
	if (http_file_cut(x)) {
		http_finish_cut(x, out);
		return;
	}
	/*
	 * Every byte acknowledged before the close: the reply is whole, even
	 * when the close beats our acknowledgement poll (sendfile fills the
	 * socket fast enough for that).
	 */
	if (x->c.size > 0 && acked >= x->c.size) {
		http_finish(x, XFER_END_COMPLETE, NULL);
		return;
	}
	http_finish(x, XFER_END_CLOSED, "the client closed the "
	    "connection");
}

static void
http_finish(struct http_xfer *x, enum xfer_end end, const char *reason)
{
	struct http_server	*srv = x->srv;
	uint64_t		 bytes;

	bytes = end == XFER_END_COMPLETE ? x->c.size :
	    (x->evcon != NULL ? http_acked(x) : x->queued);
	http_emit(x, XFER_ENDED, end, bytes, reason);
	if (x->send != NULL)
		http_send_cancel(x->send);
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
http_emit(struct http_xfer *x, enum xfer_phase phase, enum xfer_end end,
    uint64_t bytes, const char *reason)
{
	struct xfer_event	ev;

	if (x->srv->hooks.event == NULL)
		return;
	memset(&ev, 0, sizeof ev);
	ev.proto = x->tls ? XFER_HTTPS : XFER_HTTP;
	ev.phase = phase;
	ev.id = x->id;
	ev.name = x->name;
	ev.user_agent = x->ua;
	ev.peer_ip = x->peer_ip;
	ev.peer_text = x->peer_text;
	ev.end = end;
	/* Shutting down and our own failure are ours; the rest the client's. */
	if (end != XFER_END_NONE)
		ev.by = end == XFER_END_SHUTDOWN ||
		    end == XFER_END_LOCAL_ERROR ? XFER_BY_US : XFER_BY_PEER;
	ev.bytes = bytes;
	ev.total = x->c.size;
	/*
	 * Over TLS the bytes are those handed to the kernel, not those
	 * acknowledged (no SIOCOUTQ through the TLS layer): no bound that
	 * would make a header read look like a cut.
	 */
	ev.unread_max = x->tls ? 0 : x->unread_max;
	ev.seconds = http_seconds(&x->start);
	ev.reason = reason;
	x->srv->hooks.event(x->srv->hooks.arg, &ev);
}

/*
 * A PUT: its body is already in the quarantine, or was refused, on the
 * connection it came on (http-spool.c); the connection closes after the
 * reply.
 */
static void
http_put(struct http_listener *l, struct evhttp_request *req,
    struct http_request_info *info)
{
	struct http_server	*srv = l->srv;
	struct http_conn	*c;
	struct http_spool_put	 put;
	struct xfer_event	 ev;
	char			*cause = NULL, *stored = NULL;
	int			 status;

	memset(&ev, 0, sizeof ev);
	ev.proto = info->tls ? XFER_HTTPS : XFER_HTTP;
	ev.upload = 1;
	ev.name = info->name;
	ev.user_agent = info->user_agent;
	ev.peer_ip = info->peer_ip;
	ev.peer_text = info->peer_text;
	ev.id = ++srv->next_id;
	c = http_conn_of(srv, evhttp_request_get_connection(req));
	if (c == NULL || http_spool_take(c->spool, info->name,
	    strlen(info->name), &put) != 0) {
		/* Only a request the watch did not follow gets here. */
		evhttp_send_error(req, HTTP_BADREQUEST, NULL);
		return;
	}
	ev.total = put.declared;
	ev.bytes = put.got;
	if ((status = put.status) != 0) {
		cause = put.cause;
		goto refused;
	}
	if (upload_commit(put.up, &stored, &cause) != 0) {
		status = 507;
		goto refused;
	}
	ev.phase = XFER_UPLOAD_STORED;
	ev.stored_path = stored;
	if (srv->hooks.event != NULL)
		srv->hooks.event(srv->hooks.arg, &ev);
	free(stored);
	evhttp_send_reply(req, 201, "Created", NULL);
	return;

refused:
	ev.phase = XFER_UPLOAD_REFUSED;
	ev.reason = cause;
	if (srv->hooks.event != NULL)
		srv->hooks.event(srv->hooks.arg, &ev);
	evhttp_send_error(req, status, NULL);
	free(cause);
}
