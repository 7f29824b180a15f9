/*
 * The check for another DHCP server (dhcp-probe.c) in a child process: the
 * probe listens for seconds, and the loop must not wait.  The start uses it
 * (dhcp_start_async), and so does the check again when the phones' link
 * comes back: the start-up probe runs once, with the cable still out, or in
 * a site port since moved, it heard nobody; a server that answers phones by
 * unicast through a switch is never on our wire, so the sniffer
 * (dhcp-sniff.c) cannot see it either.  Then our own dnsmasq's answers are
 * left out.
 */
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "dhcp.h"
#include "xmalloc.h"

struct dhcp_probe_child {
	pid_t			 pid;
	int			 fd;
	struct event		*ev;
	char			 buf[512];
	size_t			 len;
	dhcp_probe_child_fn		 fn;
	void			*arg;
};

static void	dhcp_probe_child_read_cb(evutil_socket_t, short, void *);
static void	dhcp_probe_child_reap(struct dhcp_probe_child *, int);

struct dhcp_probe_child *
dhcp_probe_child_start(struct event_base *base, const char *iface, unsigned ms,
    const struct in_addr *self, dhcp_probe_child_fn fn, void *arg, char **cause)
{
	struct dhcp_probe_child	*rc;
	char			*found = NULL, *why = NULL;
	int			 p[2], r;

	if (pipe2(p, O_CLOEXEC) == -1) {
		xasprintf(cause, "pipe: %s", strerror(errno));
		return (NULL);
	}
	rc = xcalloc(1, sizeof *rc);
	rc->fn = fn;
	rc->arg = arg;
	switch (rc->pid = fork()) {
	case -1:
		xasprintf(cause, "fork: %s", strerror(errno));
		close(p[0]);
		close(p[1]);
		free(rc);
		return (NULL);
	case 0:
		close(p[0]);
		r = dhcp_probe(iface, ms, self, &found, &why);
		dprintf(p[1], "%d %s", r, r == 1 ? found : r == -1 ? why : "");
		_exit(0);
	}
	close(p[1]);
	rc->fd = p[0];
	fcntl(rc->fd, F_SETFL, fcntl(rc->fd, F_GETFL) | O_NONBLOCK);
	rc->ev = event_new(base, rc->fd, EV_READ | EV_PERSIST,
	    dhcp_probe_child_read_cb, rc);
	event_add(rc->ev, NULL);
	return (rc);
}

/* The child writes "RC TEXT" and exits: read to the end, then tell. */
static void
dhcp_probe_child_read_cb(evutil_socket_t fd, short events, void *arg)
{
	struct dhcp_probe_child	*rc = arg;
	char			*text;
	ssize_t			 n;
	int			 r;

	(void)events;
	n = read(fd, rc->buf + rc->len, sizeof rc->buf - 1 - rc->len);
	if (n > 0) {
		rc->len += n;
		if (rc->len < sizeof rc->buf - 1)
			return;
	} else if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	dhcp_probe_child_reap(rc, 0);
	rc->buf[rc->len] = '\0';
	r = (int)strtol(rc->buf, &text, 10);
	if (text == rc->buf) {
		r = -1;
		text = "the check ended without an answer";
	} else if (*text == ' ')
		text++;
	/* Told last: the callback may free rc. */
	rc->fn(rc->arg, r, text);
}

static void
dhcp_probe_child_reap(struct dhcp_probe_child *rc, int kill_it)
{
	int	status;

	if (rc->ev != NULL) {
		event_free(rc->ev);
		rc->ev = NULL;
	}
	if (rc->fd != -1) {
		close(rc->fd);
		rc->fd = -1;
	}
	if (rc->pid != -1) {
		if (kill_it)
			kill(rc->pid, SIGKILL);
		while (waitpid(rc->pid, &status, 0) == -1 && errno == EINTR)
			;
		rc->pid = -1;
	}
}

void
dhcp_probe_child_free(struct dhcp_probe_child *rc)
{
	if (rc == NULL)
		return;
	dhcp_probe_child_reap(rc, 1);
	free(rc);
}
