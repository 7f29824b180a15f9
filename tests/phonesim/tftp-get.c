/*
 * phonesim's own TFTP read (--tftp-client plain): a plain RFC 1350 RRQ
 * ("octet", no options, so 512-byte blocks) and one ACK per DATA, stop and
 * wait, as a phone's boot code does.  It exists for benchmarks where the
 * simulated phones share the machine with the server: libcurl's TFTP
 * client makes four system calls a block (two polls, a recv and a send)
 * where a phone needs two (a blocking recv, a send), and the phones' CPU
 * would otherwise be counted against the server.  The packets on the wire
 * are the ones libcurl sends.  Uploads, --tftp-blksize and the slow fault
 * stay on libcurl (transport.c).
 *
 * Retransmission: after SIM_TFTP_RETRY_S without an answer the last packet
 * (the RRQ or the last ACK) is sent again; the transfer gives up at the
 * phone's deadline.
 */
#include <sys/socket.h>
#include <sys/time.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "phonesim.h"

#define SIM_TFTP_RETRY_S	5
#define SIM_TFTP_BLOCK		512

enum { OP_RRQ = 1, OP_DATA = 3, OP_ACK = 4, OP_ERROR = 5 };

struct tftp_get {
	int			 fd;
	time_t			 deadline;
	struct sockaddr_in	 server;	/* the request's address */
	unsigned char		 last[512];	/* the packet to send again */
	size_t			 last_len;
	int			 connected;	/* to the transfer's port */
};

/* "tftp://host[:port]/path" (path percent-decoded, as libcurl does). */
static int
tftp_get_parse(const char *url, struct sockaddr_in *sin, char **path)
{
	const char	*host = url + 7, *slash, *colon;
	char		*h, *p, *out;
	long		 port = 69;

	if (strncasecmp(url, "tftp://", 7) != 0 ||
	    (slash = strchr(host, '/')) == NULL)
		return (-1);
	colon = memchr(host, ':', (size_t)(slash - host));
	h = sim_strndup(host, (size_t)((colon != NULL ? colon : slash) - host));
	if (colon != NULL)
		port = strtol(colon + 1, NULL, 10);
	memset(sin, 0, sizeof *sin);
	sin->sin_family = AF_INET;
	sin->sin_port = htons((uint16_t)port);
	if (port < 1 || port > 65535 || inet_pton(AF_INET, h, &sin->sin_addr) != 1) {
		free(h);
		return (-1);
	}
	free(h);
	out = *path = sim_malloc(strlen(slash + 1) + 1);
	for (p = (char *)slash + 1; *p != '\0'; p++) {
		unsigned int	 c;

		if (p[0] == '%' && sscanf(p + 1, "%2x", &c) == 1) {
			*out++ = (char)c;
			p += 2;
		} else
			*out++ = *p;
	}
	*out = '\0';
	return (0);
}

static int
tftp_get_send_last(struct tftp_get *g)
{
	ssize_t	 n;

	if (g->connected)
		n = send(g->fd, g->last, g->last_len, 0);
	else
		n = sendto(g->fd, g->last, g->last_len, 0,
		    (struct sockaddr *)&g->server, sizeof g->server);
	return (n == (ssize_t)g->last_len ? 0 : -1);
}

static int
tftp_get_ack(struct tftp_get *g, unsigned int block)
{
	g->last[0] = 0;
	g->last[1] = OP_ACK;
	g->last[2] = (unsigned char)(block >> 8);
	g->last[3] = (unsigned char)block;
	g->last_len = 4;
	return (tftp_get_send_last(g));
}

/*
 * The next datagram of the transfer into buf; sends the last packet again
 * each SIM_TFTP_RETRY_S of silence.  Returns its length, 0 at the deadline,
 * -1 on an error (why set).
 */
static ssize_t
tftp_get_recv(struct tftp_get *g, unsigned char *buf, size_t size,
    char *why, size_t whylen)
{
	struct sockaddr_in	 from;
	socklen_t		 fromlen;
	ssize_t			 n;

	for (;;) {
		fromlen = sizeof from;
		if (g->connected)
			n = recv(g->fd, buf, size, 0);
		else
			n = recvfrom(g->fd, buf, size, 0,
			    (struct sockaddr *)&from, &fromlen);
		if (n >= 0) {
			if (g->connected)
				return (n);
			/* The answer comes from the transfer's own port. */
			if (from.sin_addr.s_addr != g->server.sin_addr.s_addr)
				continue;
			if (connect(g->fd, (struct sockaddr *)&from,
			    fromlen) == -1) {
				snprintf(why, whylen, "connect: %s",
				    strerror(errno));
				return (-1);
			}
			g->connected = 1;
			return (n);
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK) {
			snprintf(why, whylen, "recv: %s", strerror(errno));
			return (-1);
		}
		if (time(NULL) >= g->deadline)
			return (0);
		if (tftp_get_send_last(g) != 0) {
			snprintf(why, whylen, "send: %s", strerror(errno));
			return (-1);
		}
	}
}

int
sim_tftp_get(const char *url, const char *source, time_t deadline,
    struct sim_fetch *f, char *why, size_t whylen)
{
	struct tftp_get		 g;
	struct sockaddr_in	 src;
	struct timeval		 tv = { SIM_TFTP_RETRY_S, 0 };
	unsigned char		 pkt[4 + SIM_TFTP_BLOCK + 1];
	unsigned int		 expect = 1, code;
	int			 got_any = 0;
	char			*path;
	size_t			 plen;
	ssize_t			 n;
	int			 rv = SIM_TFTP_FAILED;

	memset(&g, 0, sizeof g);
	g.deadline = deadline;
	if (tftp_get_parse(url, &g.server, &path) != 0) {
		snprintf(why, whylen, "not a tftp://ADDRESS[:PORT]/ URL");
		return (SIM_TFTP_FAILED);
	}
	plen = strlen(path);
	if (2 + plen + 1 + 6 > sizeof g.last) {
		snprintf(why, whylen, "file name too long");
		free(path);
		return (SIM_TFTP_FAILED);
	}
	g.last[0] = 0;
	g.last[1] = OP_RRQ;
	memcpy(g.last + 2, path, plen + 1);
	memcpy(g.last + 2 + plen + 1, "octet", 6);
	g.last_len = 2 + plen + 1 + 6;
	free(path);

	if ((g.fd = socket(AF_INET, SOCK_DGRAM, 0)) == -1) {
		snprintf(why, whylen, "socket: %s", strerror(errno));
		return (SIM_TFTP_FAILED);
	}
	setsockopt(g.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	if (source != NULL) {
		memset(&src, 0, sizeof src);
		src.sin_family = AF_INET;
		if (inet_pton(AF_INET, source, &src.sin_addr) != 1 ||
		    bind(g.fd, (struct sockaddr *)&src, sizeof src) == -1) {
			snprintf(why, whylen, "bind %s: %s", source,
			    strerror(errno));
			goto out;
		}
	}
	if (tftp_get_send_last(&g) != 0) {
		snprintf(why, whylen, "send: %s", strerror(errno));
		goto out;
	}
	for (;;) {
		if ((n = tftp_get_recv(&g, pkt, sizeof pkt, why, whylen)) <= 0) {
			rv = n == 0 ? SIM_TFTP_TIMEOUT : SIM_TFTP_FAILED;
			goto out;
		}
		if (n >= 4 && pkt[1] == OP_ERROR && pkt[0] == 0) {
			code = (unsigned int)pkt[2] << 8 | pkt[3];
			f->status = code;
			snprintf(why, whylen, "error %u: %.*s", code,
			    (int)(n - 4), (char *)pkt + 4);
			rv = code >= 1 && code <= 7 ? SIM_TFTP_ERROR :
			    SIM_TFTP_FAILED;
			goto out;
		}
		if (n < 4 || pkt[0] != 0 || pkt[1] != OP_DATA ||
		    n > 4 + SIM_TFTP_BLOCK) {
			snprintf(why, whylen, "unexpected packet (%zd bytes, "
			    "opcode %u)", n, n >= 2 ? pkt[1] : 0);
			goto out;
		}
		code = (unsigned int)pkt[2] << 8 | pkt[3];
		if (code != expect) {
			/* The last block again: its ACK was lost. */
			if (got_any && code == ((expect - 1) & 0xffff) &&
			    tftp_get_ack(&g, code) != 0)
				goto sendfail;
			continue;
		}
		if (f->sink != NULL) {
			if (f->sink(f->sink_arg, (char *)pkt + 4,
			    (size_t)n - 4) != 0) {
				/*
				 * The phone acknowledges the block it read,
				 * reads the next and is gone: no ERROR.
				 */
				f->aborted = 1;
				(void)tftp_get_ack(&g, code);
				(void)tftp_get_recv(&g, pkt, sizeof pkt, why,
				    whylen);
				rv = SIM_TFTP_ABORTED;
				goto out;
			}
		} else if (f->data.len + (size_t)n - 4 > SIM_BODY_MAX) {
			snprintf(why, whylen, "more than %d bytes",
			    SIM_BODY_MAX);
			goto out;
		} else
			sim_buf_add(&f->data, pkt + 4, (size_t)n - 4);
		got_any = 1;
		f->bytes += (size_t)n - 4;
		if (tftp_get_ack(&g, code) != 0)
			goto sendfail;
		if (n < 4 + SIM_TFTP_BLOCK) {
			rv = SIM_TFTP_OK;
			goto out;
		}
		expect = (expect + 1) & 0xffff;	/* rolls over to 0 */
	}
sendfail:
	snprintf(why, whylen, "send: %s", strerror(errno));
out:
	close(g.fd);
	return (rv);
}
