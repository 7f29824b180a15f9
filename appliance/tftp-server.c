/*
 * The TFTP listening socket: reads requests with the local address they
 * arrived on (IP_PKTINFO), applies the admission limits, and starts a
 * transfer on its own socket bound to that address and connected to the
 * client (as OpenBSD's tftpd does), so replies leave from the address the
 * client talked to and the kernel filters other senders for us.
 */
#include <sys/types.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <net/if.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <stdatomic.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "clock.h"
#include "log.h"
#include "pathsafe.h"
#include "tftp-int.h"
#include "upload.h"
#include "xmalloc.h"

/* Refusals answered a second, in all (the rest are dropped). */
#define TFTP_REFUSAL_REPLIES_PER_S	100
/* Requests read per wakeup, so that transfers are not starved by a flood. */
#define TFTP_REQUESTS_PER_WAKEUP	32
#define TFTP_BADNAMES_PER_SEC		5	/* refused names logged */

static void	tftp_server_recv(evutil_socket_t, short, void *);
static void	tftp_reply_error(struct tftp_server *,
		    const struct sockaddr_storage *,
		    const struct sockaddr_storage *, unsigned, int,
		    const char *);
static void	tftp_refusal_log(struct tftp_server *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
static int	tftp_same_peer(const struct sockaddr_storage *,
		    const struct sockaddr_storage *);
static socklen_t tftp_sa_len(const struct sockaddr_storage *);
static void	tftp_sa_text(const struct sockaddr_storage *, char *, size_t);
static void	tftp_sa_ip(const struct sockaddr_storage *, char *, size_t);
static unsigned	tftp_mtu(int, unsigned);
static int	tftp_transfer_socket(const struct sockaddr_storage *,
		    const struct sockaddr_storage *, unsigned, char **);
static int	tftp_evict_unanswered(struct tftp_server *,
		    const struct tftp_transfer *);
static int	tftp_refusal_reply(struct tftp_server *);

void
tftp_config_defaults(struct tftp_config *cfg)
{
	memset(cfg, 0, sizeof *cfg);
	cfg->listen = "0.0.0.0";
	cfg->port = 69;
	cfg->max_blksize = TFTP_BLKSIZE_MAX;
	cfg->max_windowsize = 64;
	cfg->max_transfers = 512;
	cfg->max_per_client = 8;
	cfg->timeout_ms = 1000;
	cfg->retries = 5;
	cfg->abandon_ms = 3000;
	cfg->uploads = NULL;
	cfg->rto_min_ms = TFTP_RTO_MIN_MS;
	cfg->client_abandon_max_ms = TFTP_CLIENT_ABANDON_MAX_MS;
	cfg->max_memory = TFTP_MEMORY_MAX;
}

unsigned
tftp_workers_default(void)
{
	long	n = sysconf(_SC_NPROCESSORS_ONLN);

	if (n < 1)
		return (1);
	return (n > TFTP_WORKERS_MAX ? TFTP_WORKERS_MAX : (unsigned)n);
}

uint64_t
tftp_now_ms(void)
{
	return ((uint64_t)clock_mono_ms());
}

uint64_t
tftp_now_us(void)
{
	return ((uint64_t)clock_mono_us());
}

static socklen_t
tftp_sa_len(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET6)
		return (sizeof(struct sockaddr_in6));
	return (sizeof(struct sockaddr_in));
}

static void
tftp_sa_ip(const struct sockaddr_storage *ss, char *buf, size_t len)
{
	if (ss->ss_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)ss)->
		    sin6_addr, buf, len);
	else if (ss->ss_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)ss)->sin_addr,
		    buf, len);
	else
		snprintf(buf, len, "?");
}

static void
tftp_sa_text(const struct sockaddr_storage *ss, char *buf, size_t len)
{
	char	addr[INET6_ADDRSTRLEN];

	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const void *)ss;

		inet_ntop(AF_INET6, &s6->sin6_addr, addr, sizeof addr);
		snprintf(buf, len, "[%s]:%u", addr, ntohs(s6->sin6_port));
	} else {
		const struct sockaddr_in *s4 = (const void *)ss;

		inet_ntop(AF_INET, &s4->sin_addr, addr, sizeof addr);
		snprintf(buf, len, "%s:%u", addr, ntohs(s4->sin_port));
	}
}

int
tftp_same_host(const struct sockaddr_storage *a,
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

static int
tftp_same_peer(const struct sockaddr_storage *a,
    const struct sockaddr_storage *b)
{
	if (!tftp_same_host(a, b))
		return (0);
	if (a->ss_family == AF_INET6)
		return (((const struct sockaddr_in6 *)a)->sin6_port ==
		    ((const struct sockaddr_in6 *)b)->sin6_port);
	return (((const struct sockaddr_in *)a)->sin_port ==
	    ((const struct sockaddr_in *)b)->sin_port);
}

struct tftp_server *
tftp_server_start(struct event_base *base, const struct tftp_config *cfg,
    const struct tftp_hooks *hooks, char **cause)
{
	struct tftp_server	*srv;
	struct sockaddr_storage	 ss;
	struct sockaddr_in	*s4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6	*s6 = (struct sockaddr_in6 *)&ss;
	socklen_t		 sslen;
	const char		*listen = cfg->listen != NULL ? cfg->listen :
				    "0.0.0.0";
	int			 fd, on = 1;

	memset(&ss, 0, sizeof ss);
	if (inet_pton(AF_INET, listen, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(cfg->port);
	} else if (inet_pton(AF_INET6, listen, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(cfg->port);
	} else {
		xasprintf(cause, "TFTP listen address '%s' is not an IPv4 or "
		    "IPv6 address", listen);
		return (NULL);
	}
	fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	if (fd == -1) {
		xasprintf(cause, "TFTP socket: %s", strerror(errno));
		return (NULL);
	}
	/*
	 * No SO_REUSEADDR: on UDP it lets a second server (another daemon,
	 * a tftpd) bind the port too, and the phones' requests then go to
	 * either; a bind that fails says which one to stop.
	 */
	if (ss.ss_family == AF_INET)
		setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &on, sizeof on);
	else
		setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &on, sizeof on);
	if (bind(fd, (struct sockaddr *)&ss, tftp_sa_len(&ss)) == -1) {
		/* The two a technician meets: not root, a tftpd already up. */
		xasprintf(cause, "cannot listen for TFTP on %s port %u: %s%s",
		    listen, cfg->port, strerror(errno), errno == EACCES ?
		    " (a port below 1024 needs root: run it as root)" :
		    errno == EADDRINUSE ? " (another TFTP server runs: stop "
		    "it, e.g. 'systemctl stop tftpd-hpa')" : "");
		close(fd);
		return (NULL);
	}
	sslen = sizeof ss;
	getsockname(fd, (struct sockaddr *)&ss, &sslen);

	srv = xcalloc(1, sizeof *srv);
	srv->base = base;
	srv->cfg = *cfg;
	if (srv->cfg.rto_min_ms == 0)
		srv->cfg.rto_min_ms = TFTP_RTO_MIN_MS;
	if (srv->cfg.timeout_ms < srv->cfg.rto_min_ms)
		srv->cfg.timeout_ms = srv->cfg.rto_min_ms;
	if (srv->cfg.max_windowsize == 0)
		srv->cfg.max_windowsize = 1;
	if (srv->cfg.client_abandon_max_ms == 0)
		srv->cfg.client_abandon_max_ms = TFTP_CLIENT_ABANDON_MAX_MS;
	if (srv->cfg.max_memory == 0)
		srv->cfg.max_memory = TFTP_MEMORY_MAX;
	if (hooks != NULL)
		srv->hooks = *hooks;
	srv->fd = fd;
	srv->family = ss.ss_family;
	srv->port = ntohs(ss.ss_family == AF_INET ? s4->sin_port :
	    s6->sin6_port);
	TAILQ_INIT(&srv->transfers);
	TAILQ_INIT(&srv->slots);
	srv->next_id = 1;
	if (cfg->workers > 0 && (srv->workers = tftp_workers_start(srv,
	    cfg->workers, cause)) == NULL) {
		close(fd);
		free(srv);
		return (NULL);
	}
	srv->batch = tftp_batch_new(base);
	srv->ev = event_new(base, fd, EV_READ | EV_PERSIST, tftp_server_recv,
	    srv);
	event_add(srv->ev, NULL);
	return (srv);
}

void
tftp_server_free(struct tftp_server *srv)
{
	struct tftp_transfer	*t;

	if (srv == NULL)
		return;
	/* The workers end their downloads; their events come in here. */
	tftp_workers_stop(srv->workers);
	srv->workers = NULL;
	while ((t = TAILQ_FIRST(&srv->transfers)) != NULL) {
		if (t->state == TFTP_STATE_DALLY)	/* already told */
			tftp_transfer_free(t);
		else
			tftp_finish(t, XFER_END_SHUTDOWN, XFER_BY_US,
			    "the server is stopping");
	}
	tftp_batch_free(srv->batch);
	event_free(srv->ev);
	close(srv->fd);
	free(srv);
}

unsigned
tftp_server_port(const struct tftp_server *srv)
{
	return (srv->port);
}

unsigned
tftp_server_active(const struct tftp_server *srv)
{
	return (srv->active);
}

static void
tftp_server_recv(evutil_socket_t fd, short what, void *arg)
{
	struct tftp_server	*srv = arg;
	struct sockaddr_storage	 peer, local;
	struct msghdr		 msg;
	struct iovec		 iov;
	struct cmsghdr		*cm;
	union {
		struct cmsghdr	hdr;
		uint8_t		buf[CMSG_SPACE(sizeof(struct in6_pktinfo))];
	}			 control;
	unsigned		 ifindex;
	ssize_t			 n;
	int			 i;

	for (i = 0; i < TFTP_REQUESTS_PER_WAKEUP; i++) {
		memset(&msg, 0, sizeof msg);
		iov.iov_base = srv->rbuf;
		iov.iov_len = sizeof srv->rbuf;
		msg.msg_name = &peer;
		msg.msg_namelen = sizeof peer;
		msg.msg_iov = &iov;
		msg.msg_iovlen = 1;
		msg.msg_control = &control;
		msg.msg_controllen = sizeof control;
		if ((n = recvmsg(fd, &msg, 0)) == -1)
			return;	/* EAGAIN, or an error for an old reply */
		/*
		 * Only a request is ever answered here (RFC 1350): answering
		 * an ERROR, an ACK or a stray DATA would let a forged packet
		 * start a ping-pong between two servers or reflect traffic.
		 */
		if (n < 2 || srv->rbuf[0] != 0 ||
		    (srv->rbuf[1] != TFTP_OP_RRQ &&
		    srv->rbuf[1] != TFTP_OP_WRQ)) {
			char	text[64];

			tftp_sa_text(&peer, text, sizeof text);
			/*
			 * A packet of a transfer, sent here: tftp-hpa's client
			 * ACKs the ERROR that refused its request, to the port
			 * that sent it.  Expected, so not worth a line of the
			 * technician's log (nor the refusal log's one a second).
			 */
			if (n >= 4 && srv->rbuf[1] >= TFTP_OP_DATA &&
			    srv->rbuf[1] <= TFTP_OP_OACK)
				log_debug("tftp: %s: ignored a packet of a "
				    "transfer (opcode %u) sent to the request "
				    "port", text, srv->rbuf[1]);
			else
				tftp_refusal_log(srv, "tftp: %s: ignored a "
				    "packet of %zd bytes that is not a request",
				    text, n);
			continue;
		}

		/* Where it arrived: the address and port we listen on ... */
		memset(&local, 0, sizeof local);
		local.ss_family = srv->family;
		ifindex = 0;
		/* ... made exact by the packet info. */
		for (cm = CMSG_FIRSTHDR(&msg); cm != NULL;
		    cm = CMSG_NXTHDR(&msg, cm)) {
			if (cm->cmsg_level == IPPROTO_IP &&
			    cm->cmsg_type == IP_PKTINFO) {
				struct in_pktinfo	 pi;
				struct sockaddr_in	*s4 = (void *)&local;

				memcpy(&pi, CMSG_DATA(cm), sizeof pi);
				s4->sin_addr = pi.ipi_addr;
				ifindex = pi.ipi_ifindex;
			} else if (cm->cmsg_level == IPPROTO_IPV6 &&
			    cm->cmsg_type == IPV6_PKTINFO) {
				struct in6_pktinfo	 pi6;
				struct sockaddr_in6	*s6 = (void *)&local;

				memcpy(&pi6, CMSG_DATA(cm), sizeof pi6);
				s6->sin6_addr = pi6.ipi6_addr;
				if (IN6_IS_ADDR_LINKLOCAL(&pi6.ipi6_addr))
					s6->sin6_scope_id = pi6.ipi6_ifindex;
				ifindex = pi6.ipi6_ifindex;
			}
		}
		/*
		 * From a client with a download on a worker: answered once
		 * that worker has read what the client sent before it.
		 */
		if (srv->workers != NULL && tftp_workers_defer(srv->workers,
		    srv->rbuf, n, &peer, &local, ifindex) == 0)
			continue;
		tftp_server_catch_up(srv, &peer);
		tftp_request(srv, srv->rbuf, n, &peer, &local, ifindex);
	}
}

/* Refusals are logged at most once a second, with a count of the rest. */
static void
tftp_refusal_log(struct tftp_server *srv, const char *fmt, ...)
{
	va_list		ap;
	uint64_t	now = tftp_now_ms();

	if (now - srv->refusal_log_ms < 1000 && srv->refusal_log_ms != 0) {
		srv->refusals_unlogged++;
		return;
	}
	if (srv->refusals_unlogged > 0)
		log_info("tftp: %u more refusals not logged",
		    srv->refusals_unlogged);
	srv->refusals_unlogged = 0;
	srv->refusal_log_ms = now;
	va_start(ap, fmt);
	log_vwrite(LOG_LEVEL_INFO, fmt, ap);
	va_end(ap);
}

/*
 * Whether a refusal (malformed, busy, too many from an address) may be
 * answered: at most TFTP_REFUSAL_REPLIES_PER_S a second in all.  A flood
 * of requests, whose source may be forged, is not answered one for one:
 * past the limit its refusals are dropped, as if lost (a real client
 * retries).
 */
static int
tftp_refusal_reply(struct tftp_server *srv)
{
	uint64_t	now = tftp_now_ms();

	if (now - srv->refusal_replies_ms >= 1000) {
		srv->refusal_replies_ms = now;
		srv->refusal_replies = 0;
	}
	if (srv->refusal_replies >= TFTP_REFUSAL_REPLIES_PER_S)
		return (0);
	srv->refusal_replies++;
	return (1);
}

/* An error from the listening socket, sent from the address asked. */
static void
tftp_reply_error(struct tftp_server *srv, const struct sockaddr_storage *peer,
    const struct sockaddr_storage *local, unsigned ifindex, int code,
    const char *text)
{
	uint8_t		 pkt[256];
	struct msghdr	 msg;
	struct iovec	 iov;
	struct cmsghdr	*cm;
	union {
		struct cmsghdr	hdr;
		uint8_t		buf[CMSG_SPACE(sizeof(struct in6_pktinfo))];
	}		 control;

	memset(&msg, 0, sizeof msg);
	memset(&control, 0, sizeof control);
	iov.iov_base = pkt;
	iov.iov_len = tftp_build_error(pkt, sizeof pkt, code, text);
	msg.msg_name = (void *)peer;
	msg.msg_namelen = tftp_sa_len(peer);
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = &control;
	cm = &control.hdr;
	if (srv->family == AF_INET) {
		struct in_pktinfo	pi;

		memset(&pi, 0, sizeof pi);
		pi.ipi_spec_dst = ((const struct sockaddr_in *)local)->sin_addr;
		msg.msg_controllen = CMSG_SPACE(sizeof pi);
		cm->cmsg_level = IPPROTO_IP;
		cm->cmsg_type = IP_PKTINFO;
		cm->cmsg_len = CMSG_LEN(sizeof pi);
		memcpy(CMSG_DATA(cm), &pi, sizeof pi);
	} else {
		struct in6_pktinfo	pi6;

		memset(&pi6, 0, sizeof pi6);
		pi6.ipi6_addr = ((const struct sockaddr_in6 *)local)->sin6_addr;
		pi6.ipi6_ifindex = ifindex;
		msg.msg_controllen = CMSG_SPACE(sizeof pi6);
		cm->cmsg_level = IPPROTO_IPV6;
		cm->cmsg_type = IPV6_PKTINFO;
		cm->cmsg_len = CMSG_LEN(sizeof pi6);
		memcpy(CMSG_DATA(cm), &pi6, sizeof pi6);
	}
	sendmsg(srv->fd, &msg, MSG_DONTWAIT);
}

/* The MTU of the interface a request came in on, 0 if unknown. */
static unsigned
tftp_mtu(int fd, unsigned ifindex)
{
	struct ifreq	ifr;

	if (ifindex == 0)
		return (0);
	memset(&ifr, 0, sizeof ifr);
	if (if_indextoname(ifindex, ifr.ifr_name) == NULL)
		return (0);
	if (ioctl(fd, SIOCGIFMTU, &ifr) == -1 || ifr.ifr_mtu <= 0)
		return (0);
	return (ifr.ifr_mtu);
}

static int
tftp_transfer_socket(const struct sockaddr_storage *local,
    const struct sockaddr_storage *peer, unsigned bufsize, char **cause)
{
	struct sockaddr_storage	ss = *local;
	int			fd, size = bufsize;

	fd = socket(peer->ss_family, SOCK_DGRAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);
	if (fd == -1) {
		xasprintf(cause, "socket: %s", strerror(errno));
		return (-1);
	}
	if (ss.ss_family == AF_INET6)
		((struct sockaddr_in6 *)&ss)->sin6_port = 0;
	else
		((struct sockaddr_in *)&ss)->sin_port = 0;
	if (bind(fd, (struct sockaddr *)&ss, tftp_sa_len(&ss)) == -1 ||
	    connect(fd, (const struct sockaddr *)peer, tftp_sa_len(peer)) ==
	    -1) {
		xasprintf(cause, "transfer socket: %s", strerror(errno));
		close(fd);
		return (-1);
	}
	/* Room for a whole window, so that one sendmmsg() sends it. */
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &size,
	    sizeof size) == -1)
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
	return (fd);
}

void
tftp_request(struct tftp_server *srv, const uint8_t *buf, size_t len,
    const struct sockaddr_storage *peer, const struct sockaddr_storage *local,
    unsigned ifindex)
{
	struct tftp_transfer	*t;
	struct tftp_slot	*slot;
	struct tftp_req		 req;
	char			 peer_text[64], *cause = NULL, *e;
	unsigned		 per_client = 0, running = 0, maxblk, mtu;
	uint64_t		 now;
	int			 code;

	tftp_sa_text(peer, peer_text, sizeof peer_text);
	if ((code = tftp_parse_request(buf, len, &req, &cause)) != 0) {
		tftp_refusal_log(srv, "tftp: %s: bad request: %s", peer_text,
		    cause);
		if (tftp_refusal_reply(srv))
			tftp_reply_error(srv, peer, local, ifindex, code,
			    cause);
		free(cause);
		return;
	}
	TAILQ_FOREACH(t, &srv->transfers, entry) {
		/* A repeated request while its transfer runs: ignore it. */
		if (tftp_same_peer(&t->peer, peer) &&
		    t->write == (req.opcode == TFTP_OP_WRQ) &&
		    strlen(t->name) == req.namelen &&
		    memcmp(t->name, req.name, req.namelen) == 0)
			return;
		/*
		 * A finished upload dallying to re-acknowledge its last block
		 * moves no data: it costs no slot (a client uploading several
		 * files in a row is not locked out by its own past uploads).
		 */
		if (t->state == TFTP_STATE_DALLY)
			continue;
		running++;
		if (tftp_same_host(&t->peer, peer))
			per_client++;
	}
	TAILQ_FOREACH(slot, &srv->slots, entry) {
		if (req.opcode == TFTP_OP_RRQ &&
		    tftp_same_peer(&slot->peer, peer) &&
		    strlen(slot->name) == req.namelen &&
		    memcmp(slot->name, req.name, req.namelen) == 0)
			return;
		if (slot->evicted)
			continue;
		running++;
		if (tftp_same_host(&slot->peer, peer))
			per_client++;
	}
	e = log_escape(req.name, req.namelen);
	/*
	 * Full: a transfer whose client never answered (a forged source
	 * address, or a client that gave up) yields its slot first.
	 */
	if (running >= srv->cfg.max_transfers &&
	    tftp_evict_unanswered(srv, NULL) == 0)
		running--;
	if (running >= srv->cfg.max_transfers) {
		tftp_refusal_log(srv, "tftp: %s: %s refused: %u transfers "
		    "running", peer_text, e, running);
		if (tftp_refusal_reply(srv))
			tftp_reply_error(srv, peer, local, ifindex,
			    TFTP_ERR_UNDEFINED, "server busy, try again later");
		free(e);
		return;
	}
	if (per_client >= srv->cfg.max_per_client) {
		tftp_refusal_log(srv, "tftp: %s: %s refused: %u transfers "
		    "from this address already", peer_text, e, per_client);
		if (tftp_refusal_reply(srv))
			tftp_reply_error(srv, peer, local, ifindex,
			    TFTP_ERR_UNDEFINED, "too many transfers from your "
			    "address, try again later");
		free(e);
		return;
	}
	if (pathsafe_check(req.name, req.namelen, &cause) != 0) {
		/*
		 * Hostile names come in floods (a line each, 2 KB, went to
		 * the log on the journal's disk): a few a second, cut short.
		 */
		now = tftp_now_ms();
		if (now - srv->badname_window_ms >= 1000) {
			if (srv->badnames_unlogged > 0)
				log_info("tftp: %u more refused names not "
				    "logged", srv->badnames_unlogged);
			srv->badname_window_ms = now;
			srv->badnames_in_window = 0;
			srv->badnames_unlogged = 0;
		}
		if (srv->badnames_in_window++ < TFTP_BADNAMES_PER_SEC)
			log_info("tftp: %s: %s %.160s%s refused: %.300s%s",
			    peer_text, req.opcode == TFTP_OP_WRQ ? "write" :
			    "read", e, strlen(e) > 160 ? "..." : "", cause,
			    strlen(cause) > 300 ? "..." : "");
		else
			srv->badnames_unlogged++;
		tftp_reply_error(srv, peer, local, ifindex, TFTP_ERR_ACCESS,
		    cause);
		free(cause);
		free(e);
		return;
	}
	free(e);

	maxblk = srv->cfg.max_blksize;
	if ((mtu = tftp_mtu(srv->fd, ifindex)) > 0) {
		/* IP and UDP headers, and the TFTP one: MTU - 32 (IPv4). */
		mtu -= peer->ss_family == AF_INET6 ? 52 : 32;
		if (mtu < maxblk)
			maxblk = mtu;
	}

	t = xcalloc(1, sizeof *t);
	t->server = srv;
	t->id = srv->next_id++;
	t->fd = -1;
	t->peer = *peer;
	t->local = *local;
	memcpy(t->peer_text, peer_text, sizeof t->peer_text);
	tftp_sa_ip(peer, t->peer_ip, sizeof t->peer_ip);
	t->name = xstrndup(req.name, req.namelen);
	t->write = req.opcode == TFTP_OP_WRQ;
	t->netascii = req.netascii;
	t->content.fd = -1;
	t->start_ms = t->progress_ms = tftp_now_ms();
	TAILQ_INSERT_TAIL(&srv->transfers, t, entry);
	srv->active++;

	if (t->write)
		code = tftp_write_start(t, &req, maxblk, &cause);
	else
		code = tftp_read_start(t, &req, maxblk, &cause);
	/* A refusal with code 0 (undefined: busy, a read error) has a cause. */
	if (code != 0 || cause != NULL) {
		e = log_escape(req.name, req.namelen);
		log_info("tftp: %s: %s %s refused: %s", peer_text,
		    t->write ? "write" : "read", e, cause);
		free(e);
		tftp_reply_error(srv, peer, local, ifindex, code, cause);
		/* An answered RRQ refused after all: its caller is told. */
		if (t->resolved)
			tftp_finish(t, XFER_END_LOCAL_ERROR, XFER_BY_US,
			    cause);
		else
			tftp_transfer_free(t);
		free(cause);
		return;
	}

	t->fd = tftp_transfer_socket(local, peer, t->write ? 256 * 1024 :
	    (t->params.windowsize * (t->params.blksize + 64) * 2 + 65536),
	    &cause);
	if (t->fd == -1) {
		log_warn("tftp: %s: %s", peer_text, cause);
		tftp_reply_error(srv, peer, local, ifindex, TFTP_ERR_UNDEFINED,
		    "server error");
		if (t->resolved)
			tftp_finish(t, XFER_END_LOCAL_ERROR, XFER_BY_US,
			    cause);
		else
			tftp_transfer_free(t);
		free(cause);
		return;
	}
	/*
	 * The caller is told it started before any other event of it; a
	 * download then runs on a worker, which begins it in its own loop.
	 */
	tftp_emit(t, XFER_STARTED, NULL, NULL);
	if (!t->write && srv->workers != NULL &&
	    tftp_workers_hand(srv->workers, t) == 0)
		return;
	tftp_transfer_run(t);
}

/* Watch t's socket in the loop that runs it, and send its first packet. */
void
tftp_transfer_run(struct tftp_transfer *t)
{
	struct event_base	*base = tftp_transfer_base(t);

	t->ev_read = event_new(base, t->fd, EV_READ | EV_PERSIST,
	    tftp_transfer_read_cb, t);
	t->ev_write = event_new(base, t->fd, EV_WRITE,
	    tftp_transfer_write_cb, t);
	t->ev_timer = evtimer_new(base, tftp_transfer_timer_cb, t);
	event_add(t->ev_read, NULL);

	/* The first packet: OACK, or DATA 1 / ACK 0 straight away. */
	if (t->write)
		tftp_write_begin(t);
	else
		tftp_read_begin(t);
}

/*
 * A client that told us its retransmission timeout (RFC 2349) gets two of
 * its own retries before its silence counts: once an ACK and its repeat are
 * lost, only the client's timer can restart the transfer.
 */
unsigned
tftp_abandon_ms(const struct tftp_transfer *t)
{
	const struct tftp_config *cfg = &t->server->cfg;
	unsigned	ms = cfg->abandon_ms, stretch, cap;

	/*
	 * Only a client that has answered gets the stretch (a forged source
	 * address never will), and only so far: "timeout 255" would
	 * otherwise hold a slot for 511 s.
	 */
	if (!t->answered || t->params.timeout_s == 0)
		return (ms);
	stretch = t->params.timeout_s * 2000 + 1000;
	cap = cfg->client_abandon_max_ms > ms ? cfg->client_abandon_max_ms : ms;
	if (stretch > cap)
		stretch = cap;
	return (stretch > ms ? stretch : ms);
}

uint64_t
tftp_mem_free(const struct tftp_server *srv)
{
	return (srv->mem_used >= srv->cfg.max_memory ? 0 :
	    srv->cfg.max_memory - srv->mem_used);
}

int
tftp_mem_charge(struct tftp_transfer *t, uint64_t bytes)
{
	struct tftp_server	*srv = t->server;

	while (bytes > tftp_mem_free(srv)) {
		if (tftp_evict_unanswered(srv, t) != 0)
			return (-1);
	}
	srv->mem_used += bytes;
	t->mem_cost += bytes;
	return (0);
}

/*
 * End the oldest transfer (not keep) whose client never sent a packet, to
 * make room; -1 if there is none.  It gets no ERROR: its source address
 * may be forged, and an answer would be reflected at whoever owns it.
 */
static int
tftp_evict_unanswered(struct tftp_server *srv,
    const struct tftp_transfer *keep)
{
	struct tftp_transfer	*t;
	struct tftp_slot	*slot;

	TAILQ_FOREACH(t, &srv->transfers, entry) {
		if (t != keep && !t->answered && t->fd != -1 &&
		    t->state != TFTP_STATE_DALLY)
			break;
	}
	TAILQ_FOREACH(slot, &srv->slots, entry) {
		if (!slot->evicted && !atomic_load(&slot->answered))
			break;
	}
	/* The oldest of the two: a worker's is ended there, counted now. */
	if (slot != NULL && (t == NULL || slot->id < t->id)) {
		slot->evicted = 1;
		srv->mem_used -= slot->mem_cost;
		tftp_workers_evict(slot);
		return (0);
	}
	if (t == NULL)
		return (-1);
	/* Silent, but ended by us: it proves nothing. */
	tftp_finish(t, XFER_END_SILENCE, XFER_BY_US, "the client never "
	    "answered and its slot was needed");
	return (0);
}

static void
tftp_event(struct tftp_transfer *t, enum xfer_phase phase, enum xfer_end end,
    enum xfer_by by, const char *reason, const char *stored_path)
{
	struct tftp_server	*srv = t->server;
	struct xfer_event	 ev;

	if (srv->hooks.event == NULL)
		return;
	memset(&ev, 0, sizeof ev);
	ev.proto = XFER_TFTP;
	ev.phase = phase;
	ev.id = t->id;
	ev.upload = t->write;
	ev.name = t->name;
	ev.peer_ip = t->peer_ip;
	ev.peer_text = t->peer_text;
	ev.bytes = t->bytes;
	t->told_bytes = t->bytes;
	ev.total = t->write ? t->params.tsize : t->size;
	ev.blksize = t->params.blksize;
	ev.windowsize = t->params.windowsize;
	ev.retransmits = t->retransmits;
	ev.seconds = (tftp_now_ms() - t->start_ms) / 1000.0;
	ev.end = end;
	ev.by = by;
	ev.reason = reason;
	ev.stored_path = stored_path;
	if (t->worker != NULL)
		tftp_worker_post(t, &ev);
	else
		srv->hooks.event(srv->hooks.arg, &ev);
}

void
tftp_emit(struct tftp_transfer *t, enum xfer_phase phase, const char *reason,
    const char *stored_path)
{
	tftp_event(t, phase, XFER_END_NONE, XFER_BY_NONE, reason, stored_path);
}

void
tftp_emit_end(struct tftp_transfer *t, enum xfer_end end, enum xfer_by by,
    const char *reason)
{
	tftp_event(t, XFER_ENDED, end, by, reason, NULL);
}

void
tftp_finish(struct tftp_transfer *t, enum xfer_end end, enum xfer_by by,
    const char *reason)
{
	/*
	 * On a worker the end and the slot's release reach the main loop
	 * together: no one there sees a told end still counted as active.
	 */
	t->freeing = 1;
	tftp_emit_end(t, end, by, reason);
	tftp_transfer_free(t);
}

void
tftp_send_error(struct tftp_transfer *t, int code, const char *text)
{
	uint8_t	pkt[256];
	size_t	len;

	len = tftp_build_error(pkt, sizeof pkt, code, text);
	if (t->fd != -1)
		send(t->fd, pkt, len, MSG_DONTWAIT);
}

void
tftp_timer_arm(struct tftp_transfer *t)
{
	struct timeval	tv;
	uint64_t	now, wait;

	/*
	 * The timer moves on every window; rather than re-adding it each
	 * time, it fires at the old time and re-arms itself for the rest.
	 */
	if (t->timer_at_ms != 0 && t->timer_at_ms <= t->deadline_ms)
		return;
	now = tftp_now_ms();
	wait = t->deadline_ms > now ? t->deadline_ms - now : 0;
	tv.tv_sec = wait / 1000;
	tv.tv_usec = (wait % 1000) * 1000;
	t->timer_at_ms = now + wait;
	evtimer_add(t->ev_timer, &tv);
}

void
tftp_transfer_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct tftp_transfer	*t = arg;

	t->timer_at_ms = 0;
	if (tftp_now_ms() < t->deadline_ms) {
		tftp_timer_arm(t);
		return;
	}
	if (t->write)
		tftp_write_timeout(t);
	else
		tftp_read_timeout(t);
}

void
tftp_transfer_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct tftp_transfer	*t = arg;

	/*
	 * Usually one packet is waiting: read it and go back to the loop,
	 * which comes straight back if there are more (level-triggered),
	 * rather than paying for a recv() that finds nothing.
	 */
	tftp_transfer_recv(t, t->write ? 64 : 1);
}

/* Read and handle up to max packets; -1 if t ended (and was freed). */
int
tftp_transfer_recv(struct tftp_transfer *t, unsigned max)
{
	int		fd = t->fd;
	ssize_t		n;
	unsigned	i;

	for (i = 0; i < max; i++) {
		if (t->unreachable) {	/* a batched send found the port shut */
			n = -1;
			errno = ECONNREFUSED;
		} else
			n = recv(fd, t->pkt, t->pktsize, MSG_DONTWAIT);
		if (n == -1) {
			if (errno == EAGAIN || errno == EINTR)
				return (0);
			if (errno == ECONNREFUSED) {
				/*
				 * ICMP port unreachable: the client is gone.
				 * The error is reported before datagrams
				 * queued ahead of it: a final ACK still counts.
				 */
				while (!t->write && (n = recv(fd, t->pkt,
				    t->pktsize, MSG_DONTWAIT)) > 0) {
					if (tftp_read_packet(t, t->pkt, n) ==
					    -1)
						return (-1);
				}
				if (t->state == TFTP_STATE_DALLY)
					tftp_transfer_free(t);	/* told */
				else
					tftp_finish(t, XFER_END_UNREACHABLE,
					    XFER_BY_PEER, "the client port "
					    "became unreachable");
				return (-1);
			}
			return (0);
		}
		if (!t->answered) {
			/* It exists: its own timeout may now count. */
			t->answered = 1;
			if (t->slot != NULL)
				atomic_store(&t->slot->answered, 1);
			t->abandon_ms = tftp_abandon_ms(t);
		}
		if (t->write) {
			if (tftp_write_packet(t, t->pkt, n) == -1)
				return (-1);
		} else {
			if (tftp_read_packet(t, t->pkt, n) == -1)
				return (-1);
		}
	}
	return (0);
}

void
tftp_transfer_catch_up(struct tftp_transfer *t)
{
	/*
	 * Progress is told every TFTP_PROGRESS_MS; a request of the same
	 * client in between was judged on the last told bytes (512 with
	 * 100 KB acknowledged: "read the header and runs this image").
	 */
	if (t->ev_read == NULL || tftp_transfer_recv(t, 64) == -1)
		return;
	if (!t->write && t->state == TFTP_STATE_RUN &&
	    t->bytes != t->told_bytes) {
		t->event_ms = tftp_now_ms();
		tftp_emit(t, XFER_PROGRESS, NULL, NULL);
	}
}

void
tftp_server_catch_up(struct tftp_server *srv,
    const struct sockaddr_storage *peer)
{
	struct tftp_transfer	*t, *t1;

	for (t = TAILQ_FIRST(&srv->transfers); t != NULL; t = t1) {
		t1 = TAILQ_NEXT(t, entry);
		if (!t->write && tftp_same_host(&t->peer, peer))
			tftp_transfer_catch_up(t);
	}
}

void
tftp_transfer_write_cb(evutil_socket_t fd, short what, void *arg)
{
	struct tftp_transfer	*t = arg;

	tftp_read_writable(t);
}

void
tftp_transfer_free(struct tftp_transfer *t)
{
	struct tftp_server	*srv = t->server;

	if (t->worker != NULL)
		tftp_worker_freed(t);	/* the main loop uncharges it */
	else {
		TAILQ_REMOVE(&srv->transfers, t, entry);
		srv->active--;
		srv->mem_used -= t->mem_cost;
	}
	tftp_batch_forget(tftp_transfer_batch(t), t);
	if (t->ev_read != NULL)
		event_free(t->ev_read);
	if (t->ev_write != NULL)
		event_free(t->ev_write);
	if (t->ev_timer != NULL)
		event_free(t->ev_timer);
	if (t->fd != -1)
		close(t->fd);
	if (t->write)
		tftp_write_free(t);
	else
		tftp_read_free(t);
	free(t->pkt);
	free(t->name);
	free(t);
}
