/* The UDP syslog receiver: one socket, one datagram per line. */
#include <sys/types.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "syslog.h"
#include "xmalloc.h"

struct syslog_server {
	int		 fd;
	unsigned	 port;
	struct event	*ev;
	syslog_line_fn	 fn;
	void		*arg;
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
	ss->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (ss->fd == -1 || bind(ss->fd, (struct sockaddr *)&sin,
	    sizeof sin) == -1) {
		xasprintf(cause, "cannot receive syslog on %s port %u: %s",
		    listen, port, strerror(errno));
		if (ss->fd != -1)
			close(ss->fd);
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
	ssize_t			 n;
	int			 i;

	/* A few datagrams per wake-up, so a flood cannot starve transfers. */
	for (i = 0; i < 64; i++) {
		flen = sizeof from;
		n = recvfrom(fd, buf, sizeof buf, 0, (struct sockaddr *)&from,
		    &flen);
		if (n < 0)
			return;
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
	free(ss);
}

unsigned
syslog_server_port(const struct syslog_server *ss)
{
	return (ss->port);
}
