/*
 * The hostile host of tests/integration/hostile.sh and tests/bench/
 * bench-hostile.sh, compiled by the suite itself.  Each command runs one
 * attack against a daemon and prints one line of counts; none of them
 * judges the daemon (the suite does, from what a phone beside it saw).
 *
 *   hostile-tool headers HOST PORT CONNS [SECONDS]
 *	CONNS connections each sending an endless request head (4 MiB at
 *	most), again and again for SECONDS if given:
 *	"cut C of CONNS sent BYTES"
 *   hostile-tool idle HOST PORT N SECONDS SOURCES
 *	N connections from SOURCES addresses (P.55.1 ...), sending
 *	nothing, held SECONDS: "open O refused R failed F"
 *   hostile-tool rrq HOST PORT N NAME SECONDS
 *	N netascii RRQs for NAME with "timeout 255", each from its own
 *	address (P.77.1 ..., as a forged source would be), never answered;
 *	the sockets are held SECONDS or until SIGTERM: "oack O data D
 *	error E silent S"
 *   hostile-tool flood HOST PORT RATE SECONDS NAME
 *	RATE RRQs a second from one address (P.88.1, 64 ports), never
 *	answered: "sent N replies R"
 *   hostile-tool names HOST PORT N
 *	N RRQs, each for the <mac>.cfg of a new MAC (0004f7000000 up) and
 *	from its own address (P.77.1 ..., as a forged source would be), 1,000
 *	a second; the sockets close at once: "sent N"
 *   hostile-tool put HOST PORT CONNS SIZE SECONDS
 *	CONNS clients PUTting SIZE-byte phone uploads under new MACs from
 *	P.66.1 for SECONDS: "stored S refused R failed F"
 *
 * P, the first two octets of every source address, is $HOSTILE_PREFIX
 * (default 127.0: loopback); the addresses must exist on the host.
 */
#include <sys/types.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static struct sockaddr_in
addr(const char *host, int port)
{
	struct sockaddr_in	sin;

	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_port = htons(port);
	if (inet_pton(AF_INET, host, &sin.sin_addr) != 1) {
		fprintf(stderr, "bad address %s\n", host);
		exit(2);
	}
	return (sin);
}

/* A source address: prefix.c.d */
static const char *
src_addr(char *buf, size_t len, int c, int d)
{
	const char	*p = getenv("HOSTILE_PREFIX");

	snprintf(buf, len, "%s.%d.%d", p != NULL ? p : "127.0", c, d);
	return (buf);
}

static double
now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (ts.tv_sec + ts.tv_nsec / 1e9);
}

static void
more_files(void)
{
	struct rlimit	rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

/* A socket bound to src (port 0) and, for TCP, connected to dst. */
static int
sock_from(int type, const char *src, const struct sockaddr_in *dst)
{
	struct sockaddr_in	sin = addr(src, 0);
	int			fd = socket(AF_INET, type, 0);

	if (fd == -1)
		return (-1);
	if (bind(fd, (struct sockaddr *)&sin, sizeof sin) == -1) {
		close(fd);
		return (-1);
	}
	if (type == SOCK_STREAM && connect(fd, (const struct sockaddr *)dst,
	    sizeof *dst) == -1) {
		close(fd);
		return (-1);
	}
	return (fd);
}

static int
headers(char **argv)
{
	struct sockaddr_in	dst = addr(argv[0], atoi(argv[1]));
	int			conns = atoi(argv[2]), i, fd, cut = 0, tried = 0;
	char			line[1024], src[32];
	uint64_t		sent = 0, mine;
	double			end = now() + (argv[3] != NULL ? atoi(argv[3]) : 0);
	ssize_t			n;

	signal(SIGPIPE, SIG_IGN);
	memset(line, 'h', sizeof line);
	memcpy(line, "X-Hostile: ", 11);
	line[sizeof line - 2] = '\r';
	line[sizeof line - 1] = '\n';
	src_addr(src, sizeof src, 44, 1);
	do {
		for (i = 0; i < conns; i++, tried++) {
			if ((fd = sock_from(SOCK_STREAM, src, &dst)) == -1)
				continue;
			n = write(fd, "GET /x.cfg HTTP/1.1\r\n", 21);
			for (mine = 0; n > 0 && mine < 4 * 1024 * 1024;
			    mine += n)
				n = write(fd, line, sizeof line);
			if (n <= 0)
				cut++;
			sent += mine;
			close(fd);
		}
	} while (now() < end);
	printf("cut %d of %d sent %llu\n", cut, tried,
	    (unsigned long long)sent);
	return (0);
}

static int
idle(char **argv)
{
	struct sockaddr_in	dst = addr(argv[0], atoi(argv[1]));
	int			n = atoi(argv[2]), secs = atoi(argv[3]);
	int			sources = atoi(argv[4]), i, open_ = 0;
	int			refused = 0, failed = 0, *fds;
	struct pollfd		pfd;
	char			src[32], buf[256];
	double			end;

	more_files();
	fds = calloc(n, sizeof *fds);
	for (i = 0; i < n; i++) {
		src_addr(src, sizeof src, 55, 1 + i % sources);
		if ((fds[i] = sock_from(SOCK_STREAM, src, &dst)) == -1)
			failed++;
	}
	end = now() + secs;
	while (now() < end)
		usleep(100 * 1000);
	/* Refused ones were answered 503 and closed; the rest are quiet. */
	for (i = 0; i < n; i++) {
		if (fds[i] == -1)
			continue;
		pfd.fd = fds[i];
		pfd.events = POLLIN;
		if (poll(&pfd, 1, 0) == 1 && read(fds[i], buf, sizeof buf) >= 0)
			refused++;
		else
			open_++;
		close(fds[i]);
	}
	printf("open %d refused %d failed %d\n", open_, refused, failed);
	free(fds);
	return (0);
}

static size_t
rrq_packet(uint8_t *buf, int op, const char *name, const char *mode,
    const char *opts)
{
	size_t	n = 2;

	buf[0] = 0;
	buf[1] = op;
	memcpy(buf + n, name, strlen(name) + 1);
	n += strlen(name) + 1;
	memcpy(buf + n, mode, strlen(mode) + 1);
	n += strlen(mode) + 1;
	if (opts != NULL) {
		/* "timeout\0255\0" */
		memcpy(buf + n, "timeout\0" "255", 12);
		n += 12;
	}
	return (n);
}

static volatile sig_atomic_t	released;

static void
release(int sig)
{
	released = 1;
}

/* Holds its sockets for SECONDS, or until SIGTERM once the test has seen
 * what it needs, then prints its counts. */
static int
rrq(char **argv)
{
	struct sockaddr_in	dst = addr(argv[0], atoi(argv[1]));
	int			n = atoi(argv[2]), secs = atoi(argv[4]), i;
	int			oack = 0, data = 0, error = 0, silent = 0;
	int			*fds;
	uint8_t			buf[2048];
	size_t			len;
	char			src[32];
	double			end;

	signal(SIGTERM, release);
	more_files();
	fds = calloc(n, sizeof *fds);
	len = rrq_packet(buf, 1, argv[3], "netascii", "timeout");
	for (i = 0; i < n; i++) {
		src_addr(src, sizeof src, 77 + i / 250, 1 + i % 250);
		if ((fds[i] = sock_from(SOCK_DGRAM, src, NULL)) == -1)
			continue;
		sendto(fds[i], buf, len, 0, (struct sockaddr *)&dst,
		    sizeof dst);
	}
	/* The first reply each got, then silence until the end. */
	end = now() + secs;
	for (i = 0; i < n; i++) {
		struct pollfd	pfd = { fds[i], POLLIN, 0 };

		if (fds[i] == -1 || poll(&pfd, 1, i == 0 ? 1000 : 10) != 1 ||
		    recv(fds[i], buf, sizeof buf, 0) < 4)
			silent++;
		else if (buf[1] == 6)
			oack++;
		else if (buf[1] == 3)
			data++;
		else
			error++;
	}
	while (now() < end && !released)
		usleep(100 * 1000);
	for (i = 0; i < n; i++)
		if (fds[i] != -1)
			close(fds[i]);
	printf("oack %d data %d error %d silent %d\n", oack, data, error,
	    silent);
	free(fds);
	return (0);
}

static int
names(char **argv)
{
	struct sockaddr_in	dst = addr(argv[0], atoi(argv[1]));
	int			n = atoi(argv[2]), i, fd, sent = 0;
	uint8_t			buf[512];
	char			src[32], name[32];
	size_t			len;

	for (i = 0; i < n; i++) {
		snprintf(name, sizeof name, "0004f7%06x.cfg", i);
		len = rrq_packet(buf, 1, name, "octet", NULL);
		src_addr(src, sizeof src, 77 + i % 750 / 250, 1 + i % 250);
		if ((fd = sock_from(SOCK_DGRAM, src, NULL)) == -1)
			continue;
		if (sendto(fd, buf, len, 0, (struct sockaddr *)&dst,
		    sizeof dst) == (ssize_t)len)
			sent++;
		close(fd);
		usleep(1000);
	}
	printf("sent %d\n", sent);
	return (0);
}

static int
flood(char **argv)
{
	struct sockaddr_in	dst = addr(argv[0], atoi(argv[1]));
	int			rate = atoi(argv[2]), secs = atoi(argv[3]);
	int			fds[64], i, k;
	uint8_t			buf[1024];
	char			src[32];
	size_t			len;
	uint64_t		sent = 0, replies = 0, due;
	double			start, end;

	len = rrq_packet(buf, 1, argv[4], "octet", NULL);
	for (i = 0; i < 64; i++) {
		fds[i] = sock_from(SOCK_DGRAM, src_addr(src, sizeof src, 88,
		    1), NULL);
		fcntl(fds[i], F_SETFL, O_NONBLOCK);
	}
	start = now();
	end = start + secs;
	while (now() < end) {
		due = (uint64_t)((now() - start) * rate);
		for (k = 0; sent < due && k < rate; k++, sent++)
			sendto(fds[sent % 64], buf, len, 0,
			    (struct sockaddr *)&dst, sizeof dst);
		for (i = 0; i < 64; i++)
			while (recv(fds[i], buf + 512, 512, 0) > 0)
				replies++;
		usleep(5000);
	}
	printf("sent %llu replies %llu\n", (unsigned long long)sent,
	    (unsigned long long)replies);
	return (0);
}

/* One PUT: 201 -> 0, a refusal (4xx/5xx) -> 1, no answer -> 2. */
static int
put_one(const struct sockaddr_in *dst, const char *name, const char *body,
    size_t size)
{
	char		head[256], buf[256], src[32];
	size_t		sent = 0;
	ssize_t		n;
	int		fd, rc = 2;

	if ((fd = sock_from(SOCK_STREAM, src_addr(src, sizeof src, 66, 1),
	    dst)) == -1)
		return (2);
	snprintf(head, sizeof head, "PUT /%s HTTP/1.0\r\nContent-Length: "
	    "%zu\r\n\r\n", name, size);
	if (write(fd, head, strlen(head)) < 0)
		goto out;
	while (sent < size) {
		n = write(fd, body, size - sent < 65536 ? size - sent : 65536);
		if (n <= 0)
			break;
		sent += n;
	}
	if ((n = read(fd, buf, sizeof buf - 1)) > 12) {
		buf[n] = '\0';
		rc = strncmp(buf + 9, "201", 3) == 0 ? 0 : 1;
	}
out:
	close(fd);
	return (rc);
}

static int
put(char **argv)
{
	struct sockaddr_in	dst = addr(argv[0], atoi(argv[1]));
	int			conns = atoi(argv[2]), secs = atoi(argv[4]);
	size_t			size = strtoul(argv[3], NULL, 10);
	int			i, st, counts[3] = { 0, 0, 0 }, pipes[2];
	char			*body, name[64];
	double			end = now() + secs;
	pid_t			pid;
	unsigned		seq = 0;

	signal(SIGPIPE, SIG_IGN);
	body = malloc(size > 65536 ? 65536 : size + 1);
	memset(body, 'u', size > 65536 ? 65536 : size + 1);
	if (pipe(pipes) == -1)
		return (1);
	for (i = 0; i < conns; i++) {
		if ((pid = fork()) != 0)
			continue;
		close(pipes[0]);
		while (now() < end) {
			/* Every upload from a new "phone". */
			snprintf(name, sizeof name, "0004f6%02x%04x-app.log",
			    i, seq++ & 0xffff);
			counts[put_one(&dst, name, body, size)]++;
		}
		if (write(pipes[1], counts, sizeof counts) < 0)
			_exit(1);
		_exit(0);
	}
	close(pipes[1]);
	for (i = 0; i < conns; i++) {
		int	c[3];

		if (read(pipes[0], c, sizeof c) == sizeof c) {
			counts[0] += c[0];
			counts[1] += c[1];
			counts[2] += c[2];
		}
	}
	while (wait(&st) > 0)
		;
	printf("stored %d refused %d failed %d\n", counts[0], counts[1],
	    counts[2]);
	free(body);
	return (0);
}

int
main(int argc, char **argv)
{
	if (argc >= 5 && strcmp(argv[1], "headers") == 0)
		return (headers(argv + 2));
	if (argc >= 7 && strcmp(argv[1], "idle") == 0)
		return (idle(argv + 2));
	if (argc >= 7 && strcmp(argv[1], "rrq") == 0)
		return (rrq(argv + 2));
	if (argc >= 7 && strcmp(argv[1], "flood") == 0)
		return (flood(argv + 2));
	if (argc >= 5 && strcmp(argv[1], "names") == 0)
		return (names(argv + 2));
	if (argc >= 7 && strcmp(argv[1], "put") == 0)
		return (put(argv + 2));
	fprintf(stderr, "usage: see the comment at the top of %s\n",
	    __FILE__);
	return (2);
}
