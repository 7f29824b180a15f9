/*
 * dnsmasq as a supervised child.  We write its configuration, start it in
 * the foreground with its log on a pipe of ours, notice through a pidfd when
 * it dies and start it again with a growing delay; its leases live in the
 * state directory, so a restarted dnsmasq (and its lease script, which it
 * runs with "old" for every lease it reads back) keeps every phone's address.
 * Lease events arrive on a unix datagram socket from the lease script;
 * option 60 is read from the phones' own packets (see dhcp-sniff.c).
 *
 * The state directory belongs to the service user: no process running as
 * root may open, run or write what is named there.  A daemon started as
 * root (--user) runs dnsmasq as that user from the start, with only the
 * network capabilities it needs (as after the daemon's own drop), so its
 * lease file, hosts file and lease script are the user's business; its
 * configuration comes on its standard input (a memfd: the dnsmasq.conf in
 * the state directory is a copy for people to read), and the lease file is
 * made here as a plain file of the user's (a link planted there is
 * replaced, never followed).  Its lease script therefore runs as the user
 * too.  (dnsmasq's dhcp-scriptuser would do that for a dnsmasq started as
 * root, which this one never is; dnsmasq 2.90 started as the user fails
 * with it: "failed to change user-id".)
 */
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <linux/capability.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "clock.h"
#include "dhcp.h"
#include "fileio.h"
#include "mac.h"
#include "oui.h"
#include "log.h"
#include "xmalloc.h"

#define DHCP_BACKOFF_MIN_MS	500
#define DHCP_BACKOFF_MAX_MS	30000
#define DHCP_STABLE_SECS	60	/* ran this long: the next delay is short */
#define DHCP_READY_MS		5000	/* for dnsmasq's "DHCP, IP range" line */
#define DHCP_PROBE_MS		6000
#define DHCP_STOP_MS		2000
#define DHCP_MARK_ENV		"ZTP_RESCUE_DNSMASQ"	/* kill_stale's mark */

enum dhcp_run_state {
	DHCP_RUNNING,
	DHCP_RESTARTING,
	DHCP_STOPPED
};

struct dhcp {
	struct event_base	*base;
	char			*iface;
	char			*state_dir;
	char			*dnsmasq;
	char			*conf_path;
	char			*conf_text;	/* what dnsmasq reads on stdin */
	char			*leases_path;
	char			*hosts_path;
	uid_t			 run_uid;	/* dnsmasq's user when we are root */
	gid_t			 run_gid;	/* (uid 0: none) */
	char			*sock_path;
	char			*pid_path;
	struct dhcp_net		 net;
	dhcp_lease_fn		 fn;
	void			*arg;

	int			 sock_fd;
	struct event		*sock_ev;
	struct dhcp_sniff	*sniff;
	struct event		*sniff_ev;
	struct dhcp_link	*link;		/* the interface, watched */

	pid_t			 pid;
	int			 pidfd;
	struct event		*child_ev;
	int			 err_fd;
	struct event		*err_ev;
	char			 errbuf[1024];
	size_t			 errlen;
	char			 lastline[256];
	int			 ready;
	time_t			 started;

	struct event		*restart_ev;
	unsigned		 backoff_ms;
	enum dhcp_run_state	 state;
	char			*reason;
	unsigned		 restarts;

	char			(*done)[DHCP_MAC_LEN + 1];
	size_t			 ndone;
	unsigned long		 rogue_warned;
	/* dnsmasq's "no address available": its pool is full. */
	time_t			 pool_full_at;
	char			 pool_full[256];
	int			 any;		/* answer every client */
	const struct oui_list	*ouis;
	dhcp_ignored_fn		 ignored_fn;
	void			*ignored_arg;
	void			(*new_link_fn)(void *);
	void			*new_link_arg;

	/*
	 * A start that does not block (dhcp_start_async): the configuration
	 * kept (the caller's may be gone), the probe in a child process,
	 * then dnsmasq's "DHCP, IP range" line awaited by events.
	 */
	struct dhcp_config	 cfg;
	int			 starting;
	dhcp_started_fn		 started_fn;
	void			*started_arg;
	struct dhcp_probe_child	*probe;		/* the start's, running */
	struct event		*skip_ev;	/* or none asked for */
	struct event		*ready_ev;
	char			*other_server;	/* the probe's find, or NULL */
	struct dhcp_probe_child	*recheck;	/* the probe again, running */
	char			*late_server;	/* its find, or NULL */
};

static int	dhcp_write_file(const char *, const char *, mode_t, char **);
static int	dhcp_spawn(struct dhcp *, char **);
static int	dhcp_child_drop(uid_t, gid_t);
static void	dhcp_err_lines(struct dhcp *);
static void	dhcp_pool_line(struct dhcp *, const char *);
static void	dhcp_err_cb(evutil_socket_t, short, void *);
static void	dhcp_child_cb(evutil_socket_t, short, void *);
static void	dhcp_restart_cb(evutil_socket_t, short, void *);
static void	dhcp_sock_cb(evutil_socket_t, short, void *);
static void	dhcp_sniff_cb(evutil_socket_t, short, void *);
static void	dhcp_ignored_cb(void *, const struct dhcp_ignored *);
static void	dhcp_link_cb(void *, enum dhcp_link_change);
static int	dhcp_reap(struct dhcp *, int);
static void	dhcp_close_child(struct dhcp *);
static int	dhcp_wait_ready(struct dhcp *, char **);
static struct dhcp *dhcp_begin(struct event_base *, const struct dhcp_config *,
		    dhcp_lease_fn, void *, char **);
static int	dhcp_probe_verdict(struct dhcp *, int, const char *, char **);
static int	dhcp_finish(struct dhcp *, char **);
static void	dhcp_probe_done(void *, int, const char *);
static void	dhcp_probe_skipped_cb(evutil_socket_t, short, void *);
static void	dhcp_ready_cb(evutil_socket_t, short, void *);
static void	dhcp_started(struct dhcp *, const char *);
static void	dhcp_kill_stale(struct dhcp *);
static void	dhcp_load_hosts(struct dhcp *);
static int	dhcp_write_hosts(struct dhcp *, char **);
static int	dhcp_open_socket(struct dhcp *, char **);
static void	dhcp_free(struct dhcp *);

/*
 * Write atomically: a reader (dnsmasq on SIGHUP) never sees half a file.  Not
 * synced: the files are made again at every start.
 */
static int
dhcp_write_file(const char *path, const char *text, mode_t mode, char **cause)
{
	return (fileio_replace(path, text, strlen(text), mode, FILEIO_NOSYNC,
	    cause));
}

static int
dhcp_open_socket(struct dhcp *d, char **cause)
{
	struct sockaddr_un	sun;

	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	if (strlen(d->sock_path) >= sizeof sun.sun_path) {
		xasprintf(cause, "state directory '%s' is too long for a unix "
		    "socket path; choose a shorter one", d->state_dir);
		return (-1);
	}
	memcpy(sun.sun_path, d->sock_path, strlen(d->sock_path) + 1);
	d->sock_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	if (d->sock_fd == -1) {
		xasprintf(cause, "socket: %s", strerror(errno));
		return (-1);
	}
	unlink(d->sock_path);
	if (bind(d->sock_fd, (struct sockaddr *)&sun, sizeof sun) == -1 ||
	    chmod(d->sock_path, 0600) == -1) {
		xasprintf(cause, "cannot listen on %s: %s", d->sock_path,
		    strerror(errno));
		return (-1);
	}
	return (0);
}

/*
 * A daemon that was killed leaves its dnsmasq behind (dnsmasq drops
 * privileges, which clears any parent-death signal), and it would hold
 * port 67: stop it if it is still ours.
 */
static void
dhcp_kill_stale(struct dhcp *d)
{
	FILE	*f;
	char	 path[64], cmdline[4096], *want;
	long	 pid;
	size_t	 n, i;
	int	 tries;

	if ((f = fopen(d->pid_path, "r")) == NULL)
		return;
	if (fscanf(f, "%ld", &pid) != 1 || pid <= 1) {
		fclose(f);
		return;
	}
	fclose(f);
	/* Ours: started with the mark naming this state directory's conf. */
	snprintf(path, sizeof path, "/proc/%ld/environ", pid);
	if ((f = fopen(path, "r")) == NULL)
		return;
	n = fread(cmdline, 1, sizeof cmdline - 1, f);
	fclose(f);
	cmdline[n] = '\0';
	xasprintf(&want, DHCP_MARK_ENV "=%s", d->conf_path);
	for (i = 0; i < n; i += strlen(cmdline + i) + 1) {
		if (strcmp(cmdline + i, want) == 0)
			break;
	}
	if (i < n) {
		log_warn("dhcp: stopping dnsmasq %ld left by an earlier run",
		    pid);
		kill(pid, SIGTERM);
		for (tries = 0; tries < 200 && kill(pid, 0) == 0; tries++)
			usleep(10000);
		if (kill(pid, 0) == 0)
			kill(pid, SIGKILL);
	}
	free(want);
}

static void
dhcp_load_hosts(struct dhcp *d)
{
	FILE	*f;
	char	 line[256], mac[DHCP_MAC_LEN + 1];

	if ((f = fopen(d->hosts_path, "r")) == NULL)
		return;
	while (fgets(line, sizeof line, f) != NULL) {
		line[strcspn(line, ",\n")] = '\0';
		if (mac_parse(line, mac) != 0)
			continue;
		d->done = xreallocarray(d->done, d->ndone + 1,
		    sizeof *d->done);
		memcpy(d->done[d->ndone++], mac, sizeof mac);
	}
	fclose(f);
}

static int
dhcp_write_hosts(struct dhcp *d, char **cause)
{
	char	*text;
	int	 rc;

	text = dhcp_hosts_render(d->done, d->ndone);
	rc = dhcp_write_file(d->hosts_path, text, 0644, cause);
	free(text);
	return (rc);
}

/*
 * The lease file, opened for dnsmasq: never through a link planted in the
 * state directory (a symlink, a FIFO or a second hard link there is
 * replaced by a new file), so that dnsmasq started as root cannot be made
 * to append to another file.  Returns the descriptor (close-on-exec).
 */
int
dhcp_open_leases(const char *path, char **cause)
{
	struct stat	sb;
	int		fd, tries;

	for (tries = 0; tries < 2; tries++) {
		fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK |
		    O_CLOEXEC | O_NOCTTY, 0644);
		if (fd != -1 && fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode) &&
		    sb.st_nlink == 1) {
			fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
			return (fd);
		}
		if (fd == -1 && errno != ELOOP && errno != ENXIO &&
		    errno != EISDIR && errno != ENOTDIR)
			break;
		if (fd != -1)
			close(fd);
		log_warn("dhcp: %s is not a plain file of ours (a link, or "
		    "another kind of file): replaced by a new lease file", path);
		if (unlink(path) == -1 && errno != ENOENT)
			break;
	}
	xasprintf(cause, "cannot open the lease file %s: %s", path,
	    fd == -1 ? strerror(errno) : "not a plain file");
	return (-1);
}

/*
 * In dnsmasq's child, when we are root: become the user, keeping only the
 * network capabilities DHCP needs (ports 67/68, raw and packet sockets, the
 * ARP entry for an offer), made ambient so that exec keeps them.  Says why
 * on stderr (dnsmasq's log pipe) when it cannot.
 */
static int
dhcp_child_drop(uid_t uid, gid_t gid)
{
	struct __user_cap_header_struct	 hdr;
	struct __user_cap_data_struct	 data[2];
	const int			 caps[] = { CAP_NET_ADMIN,
					    CAP_NET_RAW, CAP_NET_BIND_SERVICE };
	uint32_t			 mask = 0;
	size_t				 i;

	for (i = 0; i < sizeof caps / sizeof caps[0]; i++)
		mask |= 1U << caps[i];
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) == -1 ||
	    setgroups(1, &gid) == -1 || setgid(gid) == -1 ||
	    setuid(uid) == -1) {
		dprintf(2, "cannot run dnsmasq as uid %ld: %s\n", (long)uid,
		    strerror(errno));
		return (-1);
	}
	memset(&hdr, 0, sizeof hdr);
	memset(data, 0, sizeof data);
	hdr.version = _LINUX_CAPABILITY_VERSION_3;
	data[0].effective = data[0].permitted = data[0].inheritable = mask;
	if (syscall(SYS_capset, &hdr, data) == -1) {
		dprintf(2, "cannot keep dnsmasq's network capabilities: %s\n",
		    strerror(errno));
		return (-1);
	}
	for (i = 0; i < sizeof caps / sizeof caps[0]; i++) {
		if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE,
		    (unsigned long)caps[i], 0, 0) == -1) {
			dprintf(2, "cannot pass the network capabilities on to "
			    "dnsmasq: %s\n", strerror(errno));
			return (-1);
		}
	}
	return (0);
}

/* The configuration as a memfd, at offset 0, for dnsmasq's stdin. */
static int
dhcp_conf_fd(const char *text, char **cause)
{
	size_t	len = strlen(text), off = 0;
	ssize_t	n;
	int	fd;

	if ((fd = memfd_create("dnsmasq.conf", MFD_CLOEXEC)) == -1) {
		xasprintf(cause, "memfd_create: %s", strerror(errno));
		return (-1);
	}
	while (off < len) {
		if ((n = write(fd, text + off, len - off)) == -1) {
			if (errno == EINTR)
				continue;
			xasprintf(cause, "cannot write dnsmasq's configuration: "
			    "%s", strerror(errno));
			close(fd);
			return (-1);
		}
		off += (size_t)n;
	}
	if (lseek(fd, 0, SEEK_SET) == -1) {
		xasprintf(cause, "lseek: %s", strerror(errno));
		close(fd);
		return (-1);
	}
	return (fd);
}

static int
dhcp_spawn(struct dhcp *d, char **cause)
{
	int	 errpipe[2], sig, conffd, leasefd;
	pid_t	 pid;
	char	*mark, pidtext[32], *ignored = NULL;
	sigset_t set;

	if ((leasefd = dhcp_open_leases(d->leases_path, cause)) == -1)
		return (-1);
	if (d->run_uid != 0 && geteuid() == 0 &&
	    fchown(leasefd, d->run_uid, d->run_gid) == -1) {
		xasprintf(cause, "cannot hand the lease file %s over: %s",
		    d->leases_path, strerror(errno));
		close(leasefd);
		return (-1);
	}
	close(leasefd);
	if ((conffd = dhcp_conf_fd(d->conf_text, cause)) == -1)
		return (-1);
	if (pipe2(errpipe, O_CLOEXEC) == -1) {
		xasprintf(cause, "pipe: %s", strerror(errno));
		close(conffd);
		return (-1);
	}
	xasprintf(&mark, DHCP_MARK_ENV "=%s", d->conf_path);
	switch (pid = fork()) {
	case -1:
		xasprintf(cause, "cannot start dnsmasq: %s", strerror(errno));
		close(errpipe[0]);
		close(errpipe[1]);
		close(conffd);
		free(mark);
		return (-1);
	case 0:
		/*
		 * Nothing of the daemon's (sockets, signal state) leaks in:
		 * stdin is the configuration.
		 */
		dup2(errpipe[1], 1);
		dup2(errpipe[1], 2);
		dup2(conffd, 0);
		fcntl(0, F_SETFD, 0);
		close_range(3, UINT_MAX, 0);
		sigemptyset(&set);
		sigprocmask(SIG_SETMASK, &set, NULL);
		for (sig = 1; sig < NSIG; sig++)
			signal(sig, SIG_DFL);
		if (d->run_uid != 0 && geteuid() == 0 &&
		    dhcp_child_drop(d->run_uid, d->run_gid) != 0)
			_exit(126);
		putenv(mark);
		execlp(d->dnsmasq, d->dnsmasq, "--keep-in-foreground",
		    "--conf-file=-", (char *)NULL);
		dprintf(2, "cannot run %s: %s\n", d->dnsmasq, strerror(errno));
		_exit(127);
	}
	free(mark);
	close(conffd);
	close(errpipe[1]);
	d->pid = pid;
	d->started = time(NULL);
	d->ready = 0;
	d->errlen = 0;
	d->err_fd = errpipe[0];
	fcntl(d->err_fd, F_SETFL, fcntl(d->err_fd, F_GETFL) | O_NONBLOCK);
	d->err_ev = event_new(d->base, d->err_fd, EV_READ | EV_PERSIST,
	    dhcp_err_cb, d);
	event_add(d->err_ev, NULL);
	d->pidfd = syscall(SYS_pidfd_open, pid, 0);
	if (d->pidfd != -1) {
		d->child_ev = event_new(d->base, d->pidfd, EV_READ,
		    dhcp_child_cb, d);
		event_add(d->child_ev, NULL);
	} else {
		/* Old kernel: notice the exit by polling once a second. */
		struct timeval	tv = { 1, 0 };

		d->child_ev = event_new(d->base, -1, EV_PERSIST, dhcp_child_cb,
		    d);
		event_add(d->child_ev, &tv);
	}
	snprintf(pidtext, sizeof pidtext, "%ld\n", (long)pid);
	if (dhcp_write_file(d->pid_path, pidtext, 0644, &ignored) != 0) {
		log_warn("dhcp: %s", ignored);
		free(ignored);
	}
	d->state = DHCP_RUNNING;
	log_info("dhcp: dnsmasq started (pid %ld) on %s", (long)pid, d->iface);
	return (0);
}

/* Log dnsmasq's complete lines; keep the last for the reason of a failure. */
static void
dhcp_err_lines(struct dhcp *d)
{
	char	*nl, *line;
	size_t	 len;

	while ((nl = memchr(d->errbuf, '\n', d->errlen)) != NULL ||
	    d->errlen == sizeof d->errbuf) {
		len = nl != NULL ? (size_t)(nl - d->errbuf) : d->errlen;
		line = log_escape(d->errbuf, len);
		log_debug("dhcp: %s", line);
		if (strstr(line, "DHCP, IP range") != NULL)
			d->ready = 1;
		dhcp_pool_line(d, line);
		if (*line != '\0')
			snprintf(d->lastline, sizeof d->lastline, "%s", line);
		free(line);
		if (nl != NULL)
			len++;
		memmove(d->errbuf, d->errbuf + len, d->errlen - len);
		d->errlen -= len;
	}
}

/*
 * "DHCPDISCOVER(lan0) 00:04:f2:aa:bb:cc no address available": a phone got
 * no offer.  Said in the log at most once a minute, and in status while it
 * lasts (dhcp_pool_full): phones asking then were listed as refusing an
 * offer never made, and nothing said why.
 */
static void
dhcp_pool_line(struct dhcp *d, const char *line)
{
	const char	*p, *mac;
	time_t		 now = time(NULL);
	int		 n;

	if ((p = strstr(line, "no address available")) == NULL)
		return;
	mac = strchr(line, ')');
	n = mac != NULL && mac < p ? (int)(p - mac - 1) : 0;
	snprintf(d->pool_full, sizeof d->pool_full, "the address pool is "
	    "full: %.*s got no address; a host asking for addresses without "
	    "end, or more phones and hosts than the range holds (a shorter "
	    "--address prefix gives more)", n > 2 ? n - 2 : 0,
	    n > 2 ? mac + 2 : "");
	if (now - d->pool_full_at >= 60)
		log_warn("dhcp: %s", d->pool_full);
	d->pool_full_at = now;
}

const char *
dhcp_pool_problem(const struct dhcp *d)
{
	return (d->pool_full_at != 0 && time(NULL) - d->pool_full_at < 60 ?
	    d->pool_full : NULL);
}

/* An asynchronous start has ended: NULL cause when dnsmasq serves. */
static void
dhcp_started(struct dhcp *d, const char *cause)
{
	d->starting = 0;
	if (d->ready_ev != NULL)
		evtimer_del(d->ready_ev);
	/* Last: the callback may stop (free) d. */
	d->started_fn(d->started_arg, d, cause);
}

static void
dhcp_err_cb(evutil_socket_t fd, short events, void *arg)
{
	struct dhcp	*d = arg;
	ssize_t		 n;

	n = read(fd, d->errbuf + d->errlen, sizeof d->errbuf - d->errlen);
	if (n > 0) {
		d->errlen += n;
		dhcp_err_lines(d);
		if (d->starting && d->ready)
			dhcp_started(d, NULL);
		return;
	}
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	event_del(d->err_ev);	/* EOF: the exit comes through the pidfd */
}

/* Collect the child's status; fills d->reason.  Returns 1 when it exited. */
static int
dhcp_reap(struct dhcp *d, int block)
{
	int	status;
	pid_t	r;

	r = waitpid(d->pid, &status, block ? 0 : WNOHANG);
	if (r == 0)
		return (0);
	free(d->reason);
	if (r == -1)
		xasprintf(&d->reason, "dnsmasq (pid %ld) is gone",
		    (long)d->pid);
	else if (WIFSIGNALED(status))
		xasprintf(&d->reason, "dnsmasq was killed by signal %d%s%s",
		    WTERMSIG(status), *d->lastline ? "; last said: " : "",
		    d->lastline);
	else
		xasprintf(&d->reason, "dnsmasq exited with status %d%s%s",
		    WEXITSTATUS(status), *d->lastline ? "; last said: " : "",
		    d->lastline);
	return (1);
}

static void
dhcp_close_child(struct dhcp *d)
{
	if (d->err_fd != -1) {
		/* What dnsmasq said just before it went. */
		ssize_t	n;

		while ((n = read(d->err_fd, d->errbuf + d->errlen,
		    sizeof d->errbuf - d->errlen)) > 0) {
			d->errlen += n;
			dhcp_err_lines(d);
		}
	}
	if (d->err_ev != NULL)
		event_free(d->err_ev);
	if (d->child_ev != NULL)
		event_free(d->child_ev);
	if (d->err_fd != -1)
		close(d->err_fd);
	if (d->pidfd != -1)
		close(d->pidfd);
	d->err_ev = d->child_ev = NULL;
	d->err_fd = d->pidfd = -1;
	d->pid = -1;
}

static void
dhcp_child_cb(evutil_socket_t fd, short events, void *arg)
{
	struct dhcp	*d = arg;
	struct timeval	 tv;
	char		*cause;

	if (!dhcp_reap(d, 0))
		return;
	dhcp_close_child(d);
	if (d->starting) {
		xasprintf(&cause, "DHCP on %s did not start: %s", d->iface,
		    d->reason);
		d->state = DHCP_STOPPED;
		dhcp_started(d, cause);	/* may free d */
		free(cause);
		return;
	}
	if (time(NULL) - d->started >= DHCP_STABLE_SECS)
		d->backoff_ms = DHCP_BACKOFF_MIN_MS;
	log_warn("dhcp: %s; restarting in %u ms", d->reason, d->backoff_ms);
	d->state = DHCP_RESTARTING;
	tv.tv_sec = d->backoff_ms / 1000;
	tv.tv_usec = (d->backoff_ms % 1000) * 1000;
	evtimer_add(d->restart_ev, &tv);
	d->backoff_ms *= 2;
	if (d->backoff_ms > DHCP_BACKOFF_MAX_MS)
		d->backoff_ms = DHCP_BACKOFF_MAX_MS;
}

static void
dhcp_restart_cb(evutil_socket_t fd, short events, void *arg)
{
	struct dhcp	*d = arg;
	struct timeval	 tv;
	char		*cause = NULL;

	d->restarts++;
	d->lastline[0] = '\0';
	if (dhcp_spawn(d, &cause) != 0) {
		log_warn("dhcp: %s", cause);
		free(cause);
		tv.tv_sec = d->backoff_ms / 1000;
		tv.tv_usec = (d->backoff_ms % 1000) * 1000;
		evtimer_add(d->restart_ev, &tv);
	}
}

static void
dhcp_ignored_cb(void *arg, const struct dhcp_ignored *ig)
{
	struct dhcp	*d = arg;

	log_info("dhcp: ignored %s on %s: not a Polycom phone (vendor class "
	    "'%s', host name '%s'); --dhcp-any answers every client", ig->mac,
	    d->iface, ig->vendor, ig->hostname);
	if (d->ignored_fn != NULL)
		d->ignored_fn(d->ignored_arg, ig);
}

void
dhcp_set_ignored_fn(struct dhcp *d, dhcp_ignored_fn fn, void *arg)
{
	d->ignored_fn = fn;
	d->ignored_arg = arg;
}

void
dhcp_set_new_link_fn(struct dhcp *d, void (*fn)(void *), void *arg)
{
	d->new_link_fn = fn;
	d->new_link_arg = arg;
}

const struct dhcp_ignored *
dhcp_ignored(const struct dhcp *d, size_t *n)
{
	if (d->sniff == NULL) {
		*n = 0;
		return (NULL);
	}
	return (dhcp_sniff_ignored(d->sniff, n));
}

/* The probe run again when the link came back: what it heard. */
static void
dhcp_recheck_cb(void *arg, int rc, const char *text)
{
	struct dhcp	*d = arg;

	if (rc == -1)
		log_warn("dhcp: cannot check %s again for another DHCP server: "
		    "%s", d->iface, text);
	else if (rc == 1) {
		log_warn("dhcp: ANOTHER DHCP SERVER answers on %s: %s (found "
		    "when its link came back); phones may get their address "
		    "from it: unplug it or cable the appliance to an isolated "
		    "switch", d->iface, text);
		free(d->late_server);
		d->late_server = xstrdup(text);
	} else {
		if (d->late_server != NULL)
			log_info("dhcp: no other DHCP server answers on %s now",
			    d->iface);
		free(d->late_server);
		d->late_server = NULL;
	}
	/* Last: text is the recheck's. */
	dhcp_probe_child_free(d->recheck);
	d->recheck = NULL;
}

/*
 * The link is back (the cable went in after the start, or back in the
 * phones' switch): the start-up probe may have heard nothing for want of
 * a wire, so ask again.
 */
static void
dhcp_link_back(struct dhcp *d)
{
	char	*why = NULL;

	if (d->cfg.skip_probe)
		return;
	dhcp_probe_child_free(d->recheck);
	d->recheck = dhcp_probe_child_start(d->base, d->iface, d->cfg.probe_ms !=
	    0 ? d->cfg.probe_ms : DHCP_PROBE_MS, &d->net.addr, dhcp_recheck_cb,
	    d, &why);
	if (d->recheck == NULL) {
		log_warn("dhcp: cannot check %s again for another DHCP server: "
		    "%s", d->iface, why);
		free(why);
	}
}

/*
 * The interface is a new one: the requests are read from it now.  Or it is
 * right again.
 */
static void
dhcp_link_cb(void *arg, enum dhcp_link_change change)
{
	struct dhcp	*d = arg;
	char		*why = NULL;

	if (change == DHCP_LINK_BACK) {
		dhcp_link_back(d);
		return;
	}
	if (d->sniff != NULL && dhcp_sniff_rebind(d->sniff, d->iface,
	    &why) != 0) {
		log_warn("dhcp: %s; only an ASCII option 60 will be seen", why);
		free(why);
	}
	if (d->new_link_fn != NULL)
		d->new_link_fn(d->new_link_arg);
}

const char *
dhcp_link_problem(const struct dhcp *d)
{
	return (d->link != NULL ? dhcp_link_text(d->link) : NULL);
}

static void
dhcp_sniff_cb(evutil_socket_t fd, short events, void *arg)
{
	struct dhcp	*d = arg;
	const char	*rogue;
	unsigned long	 count;

	dhcp_sniff_drain(d->sniff);
	rogue = dhcp_sniff_rogue(d->sniff, &count);
	/* Loudly, but not once per packet: the first, then every 100th. */
	if (rogue != NULL && count != d->rogue_warned &&
	    (d->rogue_warned == 0 || count - d->rogue_warned >= 100)) {
		log_warn("dhcp: ANOTHER DHCP SERVER answers on %s: %s (%lu "
		    "answer%s seen); phones may get their address from it",
		    d->iface, rogue, count, count == 1 ? "" : "s");
		d->rogue_warned = count;
	}
}

static void
dhcp_sock_cb(evutil_socket_t fd, short events, void *arg)
{
	struct dhcp		*d = arg;
	struct dhcp_lease_msg	 msg;
	struct dhcp_lease	 lease;
	char			 buf[DHCP_LEASE_LINE_MAX], *cause;
	ssize_t			 n;
	const uint8_t		*v;
	size_t			 vlen;
	int			 i;

	for (i = 0; i < 64; i++) {
		n = recv(fd, buf, sizeof buf, 0);
		if (n <= 0)
			return;
		if (dhcp_lease_parse(buf, n, &msg, &cause) != 0) {
			log_warn("dhcp: %s", cause);
			free(cause);
			continue;
		}
		/* The phone's packet reached us before dnsmasq answered it. */
		if (d->sniff != NULL)
			dhcp_sniff_drain(d->sniff);
		memset(&lease, 0, sizeof lease);
		lease.action = msg.action;
		lease.mac = msg.mac;
		lease.ip = msg.ip;
		lease.hostname = msg.hostname;
		v = d->sniff != NULL ? dhcp_sniff_vendor(d->sniff, msg.mac,
		    &vlen) : NULL;
		if (v != NULL) {
			lease.option60 = v;
			lease.option60_len = vlen;
		} else if (msg.vendor_len > 0) {
			lease.option60 = msg.vendor;
			lease.option60_len = msg.vendor_len;
		}
		log_debug("dhcp: lease %s %s %s", msg.action, msg.mac, msg.ip);
		if (d->fn != NULL)
			d->fn(d->arg, &lease);
	}
}

/* Block until dnsmasq says it serves, or dies trying. */
static int
dhcp_wait_ready(struct dhcp *d, char **cause)
{
	struct pollfd	pfd;
	int64_t		start;
	ssize_t		n;

	start = clock_mono_ms();
	while (!d->ready) {
		if (clock_mono_ms() - start >= DHCP_READY_MS)
			break;
		pfd.fd = d->err_fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, 50) == 1) {
			n = read(d->err_fd, d->errbuf + d->errlen,
			    sizeof d->errbuf - d->errlen);
			if (n > 0) {
				d->errlen += n;
				dhcp_err_lines(d);
				continue;
			}
		}
		if (dhcp_reap(d, 0)) {
			dhcp_close_child(d);
			xasprintf(cause, "DHCP on %s did not start: %s", d->iface,
			    d->reason);
			return (-1);
		}
	}
	if (!d->ready)
		log_warn("dhcp: dnsmasq has not said it serves yet; going on");
	return (0);
}

/*
 * What a start does before the probe: check the configuration and the
 * interface, give it the address, stop a dnsmasq left by an earlier run.
 * The configuration is copied: an asynchronous start outlives the caller's
 * (a pointer added to struct dhcp_config must be copied here too).
 */
static struct dhcp *
dhcp_begin(struct event_base *base, const struct dhcp_config *dc,
    dhcp_lease_fn fn, void *arg, char **cause)
{
	struct dhcp	*d;
	struct passwd	*pw;
	struct stat	 sb;

	if (dc->iface == NULL || dc->address == NULL || dc->boot_url == NULL ||
	    dc->state_dir == NULL) {
		xasprintf(cause, "DHCP needs an interface, the appliance's "
		    "address, a boot URL and a state directory");
		return (NULL);
	}
	d = xcalloc(1, sizeof *d);
	d->base = base;
	d->fn = fn;
	d->arg = arg;
	d->sock_fd = d->pidfd = d->err_fd = -1;
	d->pid = -1;
	d->state = DHCP_STOPPED;
	d->backoff_ms = DHCP_BACKOFF_MIN_MS;
	d->cfg = *dc;
	d->cfg.iface = d->iface = xstrdup(dc->iface);
	d->cfg.state_dir = d->state_dir = xstrdup(dc->state_dir);
	d->cfg.address = xstrdup(dc->address);
	d->cfg.boot_url = xstrdup(dc->boot_url);
	d->cfg.hook_path = dc->hook_path != NULL ? xstrdup(dc->hook_path) :
	    NULL;
	d->cfg.user = dc->user != NULL ? xstrdup(dc->user) : NULL;
	d->cfg.vlan_parent = dc->vlan_parent != NULL ?
	    xstrdup(dc->vlan_parent) : NULL;
	d->cfg.dnsmasq = d->dnsmasq = xstrdup(dc->dnsmasq != NULL ?
	    dc->dnsmasq : "dnsmasq");
	xasprintf(&d->conf_path, "%s/%s", dc->state_dir, DHCP_CONF_NAME);
	xasprintf(&d->leases_path, "%s/%s", dc->state_dir, DHCP_LEASES_NAME);
	xasprintf(&d->hosts_path, "%s/%s", dc->state_dir, DHCP_HOSTS_NAME);
	xasprintf(&d->sock_path, "%s/%s", dc->state_dir, DHCP_SOCKET_NAME);
	xasprintf(&d->pid_path, "%s/%s", dc->state_dir, DHCP_CHILD_PID_NAME);
	d->restart_ev = evtimer_new(base, dhcp_restart_cb, d);

	if (dhcp_parse_address(dc->address, &d->net, cause) != 0)
		goto fail;
	if (!dc->force && dhcp_guard_check(dc->iface, &d->net, cause) != 0)
		goto fail;
	if (!dhcp_netif_has_address(dc->iface, &d->net.addr)) {
		log_info("dhcp: giving %s the address %s", dc->iface,
		    dc->address);
		if (dhcp_netif_set_address(dc->iface, &d->net, cause) != 0)
			goto fail;
	}
	if (mkdir(dc->state_dir, 0700) == -1 && errno != EEXIST) {
		xasprintf(cause, "cannot create state directory %s: %s",
		    dc->state_dir, strerror(errno));
		goto fail;
	}
	/* dnsmasq's user: as in its configuration (dhcp-config.c). */
	if (dc->user != NULL && (pw = getpwnam(dc->user)) != NULL) {
		d->run_uid = pw->pw_uid;
		d->run_gid = pw->pw_gid;
	} else if (dc->user == NULL && stat(dc->state_dir, &sb) == 0) {
		d->run_uid = sb.st_uid;
		d->run_gid = sb.st_gid;
		if ((pw = getpwuid(sb.st_uid)) != NULL)
			d->run_gid = pw->pw_gid;
	}
	dhcp_kill_stale(d);
	return (d);

fail:
	dhcp_free(d);
	return (NULL);
}

/* The probe's answer (dhcp_probe's return, found or why): -1 to stop. */
static int
dhcp_probe_verdict(struct dhcp *d, int rc, const char *text, char **cause)
{
	if (rc == -1) {
		xasprintf(cause, "cannot check %s for another DHCP server: %s",
		    d->iface, text);
		return (-1);
	}
	if (rc == 1) {
		free(d->other_server);
		d->other_server = xstrdup(text);
		xasprintf(cause, "another DHCP server answers on %s: %s; not "
		    "serving DHCP there.  Unplug it or cable the appliance to "
		    "an isolated switch (or override with --no-probe if you "
		    "are sure)", d->iface, text);
		return (-1);
	}
	return (0);
}

/* After the probe: dnsmasq's files, our sockets, and dnsmasq itself. */
static int
dhcp_finish(struct dhcp *d, char **cause)
{
	const struct dhcp_config *dc = &d->cfg;
	char		*text, *why = NULL, self[PATH_MAX];
	const char	*hook;
	ssize_t		 n;
	int		 rc;

	hook = dc->hook_path;
	if (hook == NULL) {
		if ((n = readlink("/proc/self/exe", self, sizeof self - 1)) ==
		    -1) {
			xasprintf(cause, "cannot find the ztp-rescue binary "
			    "for the lease script: %s", strerror(errno));
			return (-1);
		}
		self[n] = '\0';
		hook = self;
	}
	if ((text = dhcp_hook_render(hook, dc->state_dir, cause)) == NULL)
		return (-1);
	xasprintf(&why, "%s/%s", dc->state_dir, DHCP_HOOK_NAME);
	rc = dhcp_write_file(why, text, 0755, cause);
	free(why);
	free(text);
	if (rc != 0)
		return (-1);
	if ((text = dhcp_config_render(dc, &d->net, cause)) == NULL)
		return (-1);
	d->conf_text = xstrdup(text);
	/* A copy to read; dnsmasq reads d->conf_text on its stdin. */
	xasprintf(&why, "# A copy: dnsmasq reads this on its standard input, "
	    "not from here.\n%s", text);
	free(text);
	rc = dhcp_write_file(d->conf_path, why, 0644, cause);
	free(why);
	if (rc != 0)
		return (-1);
	dhcp_load_hosts(d);
	if (dhcp_write_hosts(d, cause) != 0)
		return (-1);

	if (dhcp_open_socket(d, cause) != 0)
		return (-1);
	d->sock_ev = event_new(d->base, d->sock_fd, EV_READ | EV_PERSIST,
	    dhcp_sock_cb, d);
	event_add(d->sock_ev, NULL);
	if ((d->sniff = dhcp_sniff_open(dc->iface, &why)) == NULL) {
		log_warn("dhcp: %s; only an ASCII option 60 will be seen", why);
		free(why);
	} else {
		dhcp_sniff_set_self(d->sniff, &d->net.addr);
		if (!dc->any)
			dhcp_sniff_only_phones(d->sniff, dc->ouis != NULL ?
			    dc->ouis : oui_current(), dhcp_ignored_cb, d);
		d->sniff_ev = event_new(d->base, dhcp_sniff_fd(d->sniff),
		    EV_READ | EV_PERSIST, dhcp_sniff_cb, d);
		event_add(d->sniff_ev, NULL);
	}
	if ((d->link = dhcp_link_watch(d->base, dc, &d->net, dhcp_link_cb, d,
	    &why)) == NULL) {
		log_warn("dhcp: %s; a cable pulled will not be seen", why);
		free(why);
	}

	return (dhcp_spawn(d, cause));
}

struct dhcp *
dhcp_start(struct event_base *base, const struct dhcp_config *dc,
    dhcp_lease_fn fn, void *arg, char **cause)
{
	struct dhcp	*d;
	char		*found = NULL, *why = NULL;
	int		 rc = 0;

	if ((d = dhcp_begin(base, dc, fn, arg, cause)) == NULL)
		return (NULL);
	if (!dc->skip_probe) {
		rc = dhcp_probe(dc->iface, dc->probe_ms != 0 ? dc->probe_ms :
		    DHCP_PROBE_MS, NULL, &found, &why);
		rc = dhcp_probe_verdict(d, rc, rc == 1 ? found : why, cause);
		free(found);
		free(why);
	}
	if (rc != 0 || dhcp_finish(d, cause) != 0 ||
	    dhcp_wait_ready(d, cause) != 0) {
		dhcp_free(d);
		return (NULL);
	}
	return (d);
}

/* The start's probe has answered (dhcp-probe-child.c): go on, or say why not. */
static void
dhcp_probe_done(void *arg, int rc, const char *text)
{
	struct dhcp	*d = arg;
	struct timeval	 tv;
	char		*cause = NULL;
	int		 refused;

	refused = dhcp_probe_verdict(d, rc, text, &cause) != 0;
	/* text is the child's: not used past here. */
	dhcp_probe_child_free(d->probe);
	d->probe = NULL;
	if (refused || dhcp_finish(d, &cause) != 0) {
		dhcp_started(d, cause);	/* may free d */
		free(cause);
		return;
	}
	if (d->ready) {
		dhcp_started(d, NULL);
		return;
	}
	tv.tv_sec = DHCP_READY_MS / 1000;
	tv.tv_usec = (DHCP_READY_MS % 1000) * 1000;
	d->ready_ev = evtimer_new(d->base, dhcp_ready_cb, d);
	evtimer_add(d->ready_ev, &tv);
}

/* --no-probe: nothing to wait for but dnsmasq, told from the loop. */
static void
dhcp_probe_skipped_cb(evutil_socket_t fd, short events, void *arg)
{
	struct dhcp	*d = arg;

	(void)fd;
	(void)events;
	event_free(d->skip_ev);
	d->skip_ev = NULL;
	dhcp_probe_done(d, 0, "");
}

/* dnsmasq has not said it serves in time: go on, as dhcp_start does. */
static void
dhcp_ready_cb(evutil_socket_t fd, short events, void *arg)
{
	struct dhcp	*d = arg;

	log_warn("dhcp: dnsmasq has not said it serves yet; going on");
	dhcp_started(d, NULL);
}

int
dhcp_start_async(struct event_base *base, const struct dhcp_config *dc,
    dhcp_lease_fn fn, void *arg, dhcp_started_fn started, void *started_arg,
    struct dhcp **dp, char **cause)
{
	struct dhcp	*d;
	char		*why = NULL;

	if ((d = dhcp_begin(base, dc, fn, arg, cause)) == NULL)
		return (-1);
	d->starting = 1;
	d->started_fn = started;
	d->started_arg = started_arg;
	if (dc->skip_probe) {
		d->skip_ev = event_new(base, -1, 0, dhcp_probe_skipped_cb, d);
		event_active(d->skip_ev, EV_TIMEOUT, 0);
	} else if ((d->probe = dhcp_probe_child_start(base, dc->iface,
	    dc->probe_ms != 0 ? dc->probe_ms : DHCP_PROBE_MS, NULL,
	    dhcp_probe_done, d, &why)) == NULL) {
		xasprintf(cause, "cannot start the DHCP probe: %s", why);
		free(why);
		dhcp_free(d);
		return (-1);
	}
	*dp = d;
	return (0);
}

static void
dhcp_free(struct dhcp *d)
{
	int	i;

	/* First: the address leaving (dhcp_leave) is not put back. */
	dhcp_link_free(d->link);
	d->link = NULL;
	if (d->pid != -1) {
		if (kill(d->pid, SIGTERM) == -1 && errno == EPERM) {
			/* Never wait for a child we cannot stop. */
			log_warn("dhcp: cannot stop dnsmasq (pid %ld): it runs "
			    "as another user", (long)d->pid);
			dhcp_close_child(d);
		} else {
			for (i = 0; i < DHCP_STOP_MS / 10; i++) {
				if (dhcp_reap(d, 0))
					break;
				usleep(10000);
			}
			if (i == DHCP_STOP_MS / 10 &&
			    kill(d->pid, SIGKILL) == 0)
				dhcp_reap(d, 1);
			dhcp_close_child(d);
			unlink(d->pid_path);
		}
	}
	dhcp_probe_child_free(d->recheck);
	dhcp_probe_child_free(d->probe);
	if (d->skip_ev != NULL)
		event_free(d->skip_ev);
	if (d->ready_ev != NULL)
		event_free(d->ready_ev);
	free((char *)d->cfg.address);
	free((char *)d->cfg.boot_url);
	free((char *)d->cfg.hook_path);
	free((char *)d->cfg.user);
	free((char *)d->cfg.vlan_parent);
	if (d->restart_ev != NULL)
		event_free(d->restart_ev);
	if (d->sock_ev != NULL)
		event_free(d->sock_ev);
	if (d->sock_fd != -1) {
		close(d->sock_fd);
		unlink(d->sock_path);
	}
	if (d->sniff_ev != NULL)
		event_free(d->sniff_ev);
	dhcp_sniff_free(d->sniff);
	free(d->iface);
	free(d->state_dir);
	free(d->dnsmasq);
	free(d->conf_path);
	free(d->conf_text);
	free(d->leases_path);
	free(d->hosts_path);
	free(d->sock_path);
	free(d->pid_path);
	free(d->reason);
	free(d->other_server);
	free(d->late_server);
	free(d->done);
	free(d);
}

void
dhcp_stop(struct dhcp *d)
{
	if (d == NULL)
		return;
	log_info("dhcp: stopping dnsmasq on %s", d->iface);
	dhcp_free(d);
}

void
dhcp_leave(struct dhcp *d)
{
	struct dhcp_net	 net;
	char		*iface, *address, *why = NULL;

	if (d == NULL)
		return;
	net = d->net;
	iface = xstrdup(d->iface);
	address = xstrdup(d->cfg.address);
	dhcp_stop(d);	/* dnsmasq goes before its address does */
	switch (dhcp_netif_remove_address(iface, &net, &why)) {
	case -1:
		log_warn("dhcp: %s; replies to the phones may leave by %s",
		    why, iface);
		free(why);
		break;
	case 1:
		log_info("dhcp: took the address %s from %s", address, iface);
		break;
	}
	free(iface);
	free(address);
}

int
dhcp_set_boot_server(struct dhcp *d, const char *mac, int on, char **cause)
{
	char	m[DHCP_MAC_LEN + 1];
	size_t	i;

	if (mac_parse(mac, m) != 0) {
		xasprintf(cause, "'%s' is not a MAC address (e.g. "
		    "00:04:f2:aa:bb:cc)", mac);
		return (-1);
	}
	for (i = 0; i < d->ndone; i++) {
		if (strcmp(d->done[i], m) == 0)
			break;
	}
	if (on && i == d->ndone)
		return (0);
	if (!on && i < d->ndone)
		return (0);
	if (on) {
		memmove(d->done[i], d->done[i + 1],
		    (d->ndone - i - 1) * sizeof *d->done);
		d->ndone--;
	} else {
		d->done = xreallocarray(d->done, d->ndone + 1,
		    sizeof *d->done);
		memcpy(d->done[d->ndone++], m, sizeof m);
	}
	if (dhcp_write_hosts(d, cause) != 0)
		goto undo;
	/* SIGHUP re-reads the hosts file; leases stay in memory. */
	if (d->pid != -1 && d->ready && kill(d->pid, SIGHUP) == -1) {
		xasprintf(cause, "cannot reload dnsmasq: %s", strerror(errno));
		goto undo;
	}
	log_info("dhcp: %s %s the boot server", m, on ? "gets" : "no longer "
	    "gets");
	return (0);

undo:
	/* Not in force: the list says so, and the caller can try again. */
	if (on) {
		d->done = xreallocarray(d->done, d->ndone + 1,
		    sizeof *d->done);
		memcpy(d->done[d->ndone++], m, sizeof m);
	} else
		d->ndone--;
	return (-1);
}

const char *
dhcp_other_server(const struct dhcp *d)
{
	return (d->other_server);
}

const char *
dhcp_state(const struct dhcp *d)
{
	if (d->starting)
		return ("starting");
	switch (d->state) {
	case DHCP_RUNNING:
		return ("running");
	case DHCP_RESTARTING:
		return ("restarting");
	default:
		return ("stopped");
	}
}

const char *
dhcp_last_restart(const struct dhcp *d)
{
	return (d->reason);
}

unsigned
dhcp_restarts(const struct dhcp *d)
{
	return (d->restarts);
}

const char *
dhcp_rogue(const struct dhcp *d)
{
	unsigned long	count;
	const char	*seen = NULL;

	if (d->sniff != NULL)
		seen = dhcp_sniff_rogue(d->sniff, &count);
	return (seen != NULL ? seen : d->late_server);
}

int
dhcp_child_pid(const struct dhcp *d)
{
	return (d->pid);
}
