/* The UDP syslog receiver: one socket, one datagram per line, rate-limited. */
#include <sys/types.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <stdio.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "clock.h"
#include "syslog.h"
#include "xmalloc.h"

/* Tokens are counted in thousandths of a line: rate (lines/s) per ms. */
struct syslog_bucket {
	uint32_t	 addr;
	int64_t		 tokens;
	int64_t		 last;		/* ms */
};

struct syslog_limiter {
	unsigned		 rate;
	unsigned		 burst;
	size_t			 max;
	struct syslog_bucket	*src;
	size_t			 nsrc;
	struct syslog_bucket	 shared;	/* when the table is full */
	unsigned		 total_rate;
	unsigned		 total_burst;
	struct syslog_bucket	 total;
	uint64_t		 refused;
};

struct syslog_server {
	int			 fd;
	unsigned		 port;
	struct event		*ev;
	syslog_line_fn		 fn;
	void			*arg;
	struct syslog_limiter	*limit;
};

static void	syslog_read(evutil_socket_t, short, void *);

struct syslog_server *
syslog_server_start(struct event_base *base, const char *listen,
    unsigned port, syslog_line_fn fn, void *arg, char **cause)
{
	struct syslog_server	*ss;
	struct sockaddr_in	 sin;
	socklen_t		 slen = sizeof sin;

	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, listen != NULL ? listen : "0.0.0.0",
	    &sin.sin_addr) != 1) {
		xasprintf(cause, "syslog: '%s' is not an IPv4 address", listen);
		return (NULL);
	}
	ss = xcalloc(1, sizeof *ss);
	ss->fn = fn;
	ss->arg = arg;
	ss->limit = syslog_limiter_new(SYSLOG_RATE, SYSLOG_BURST,
	    SYSLOG_SOURCES, SYSLOG_TOTAL_RATE, SYSLOG_TOTAL_BURST);
	ss->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (ss->fd == -1 || bind(ss->fd, (struct sockaddr *)&sin,
	    sizeof sin) == -1) {
		xasprintf(cause, "cannot receive syslog on %s port %u: %s",
		    listen, port, strerror(errno));
		if (ss->fd != -1)
			close(ss->fd);
		syslog_limiter_free(ss->limit);
		free(ss);
		return (NULL);
	}
	getsockname(ss->fd, (struct sockaddr *)&sin, &slen);
	ss->port = ntohs(sin.sin_port);
	ss->ev = event_new(base, ss->fd, EV_READ | EV_PERSIST, syslog_read, ss);
	event_add(ss->ev, NULL);
	return (ss);
}

static void
syslog_read(evutil_socket_t fd, short events, void *arg)
{
	struct syslog_server	*ss = arg;
	struct sockaddr_in	 from;
	socklen_t		 flen;
	char			 buf[8192], ip[INET_ADDRSTRLEN];
	int64_t			 now;
	ssize_t			 n;
	int			 i;

	/* A few datagrams per wake-up, so a flood cannot starve transfers. */
	for (i = 0; i < 64; i++) {
		flen = sizeof from;
		n = recvfrom(fd, buf, sizeof buf, 0, (struct sockaddr *)&from,
		    &flen);
		if (n < 0)
			return;
		now = clock_mono_ms();
		if (!syslog_limiter_allow(ss->limit, from.sin_addr.s_addr, now))
			continue;
		while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r' ||
		    buf[n - 1] == '\0'))
			n--;
		inet_ntop(AF_INET, &from.sin_addr, ip, sizeof ip);
		ss->fn(ss->arg, ip, buf, (size_t)n);
	}
}

void
syslog_server_free(struct syslog_server *ss)
{
	if (ss == NULL)
		return;
	event_free(ss->ev);
	close(ss->fd);
	syslog_limiter_free(ss->limit);
	free(ss);
}

uint64_t
syslog_server_limited(const struct syslog_server *ss)
{
	return (ss != NULL ? syslog_limiter_refused(ss->limit) : 0);
}

struct syslog_limiter *
syslog_limiter_new(unsigned rate, unsigned burst, size_t sources,
    unsigned total_rate, unsigned total_burst)
{
	struct syslog_limiter	*l;

	l = xcalloc(1, sizeof *l);
	l->rate = rate;
	l->burst = burst;
	l->max = sources;
	l->src = xcalloc(sources > 0 ? sources : 1, sizeof *l->src);
	l->total_rate = total_rate;
	l->total_burst = total_burst;
	l->shared.last = l->total.last = INT64_MIN;
	return (l);
}

void
syslog_limiter_free(struct syslog_limiter *l)
{
	if (l == NULL)
		return;
	free(l->src);
	free(l);
}

/* The bucket's tokens at now (a new bucket, last INT64_MIN, is full). */
static int64_t
syslog_tokens(const struct syslog_bucket *b, unsigned rate, unsigned burst,
    int64_t now)
{
	int64_t	full = (int64_t)burst * 1000, elapsed;

	if (b->last == INT64_MIN || now < b->last)
		return (b->last == INT64_MIN ? full : b->tokens);
	elapsed = now - b->last;
	if (elapsed >= full / (rate > 0 ? rate : 1) + 1)
		return (full);
	return (b->tokens + elapsed * rate > full ? full :
	    b->tokens + elapsed * rate);
}

static struct syslog_bucket *
syslog_limiter_find(struct syslog_limiter *l, uint32_t addr, int64_t now)
{
	struct syslog_bucket	*b, *idle = NULL;
	size_t			 i;

	for (i = 0; i < l->nsrc; i++) {
		b = &l->src[i];
		if (b->addr == addr)
			return (b);
		if (syslog_tokens(b, l->rate, l->burst, now) ==
		    (int64_t)l->burst * 1000 && (idle == NULL ||
		    b->last < idle->last))
			idle = b;
	}
	if (l->nsrc < l->max)
		b = &l->src[l->nsrc++];
	else if (idle != NULL)
		b = idle;
	else
		return (&l->shared);
	b->addr = addr;
	b->last = INT64_MIN;
	return (b);
}

int
syslog_limiter_allow(struct syslog_limiter *l, uint32_t addr, int64_t now)
{
	struct syslog_bucket	*b;
	int64_t			 bt, tt;

	b = syslog_limiter_find(l, addr, now);
	bt = syslog_tokens(b, l->rate, l->burst, now);
	tt = syslog_tokens(&l->total, l->total_rate, l->total_burst, now);
	b->tokens = bt;
	b->last = now;
	l->total.tokens = tt;
	l->total.last = now;
	if (bt < 1000 || tt < 1000) {
		l->refused++;
		return (0);
	}
	b->tokens -= 1000;
	l->total.tokens -= 1000;
	return (1);
}

uint64_t
syslog_limiter_refused(const struct syslog_limiter *l)
{
	return (l->refused);
}

size_t
syslog_limiter_sources(const struct syslog_limiter *l)
{
	return (l->nsrc);
}

unsigned
syslog_server_port(const struct syslog_server *ss)
{
	return (ss->port);
}
