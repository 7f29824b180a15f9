/*
 * A small TFTP test client and relay for tests/integration/tftp*.sh,
 * compiled by the suite itself:
 *
 *   tftp-tool probe HOST PORT OP NAME [MODE]   send one request, print the reply
 *   tftp-tool abandon HOST PORT NAME N         read N blocks, then go silent
 *   tftp-tool side HOST PORT NAME N SIDE       read N blocks, ask for SIDE from
 *                                              another port (its reply is
 *                                              printed), then read NAME to
 *                                              its end ("complete BYTES")
 *   tftp-tool flood HOST PORT SRC SECONDS      RRQs from many ports of SRC
 *   tftp-tool relay PORT HOST SPORT SEED DROP DUP REORDER [reads]
 *                                              a lossy, reordering UDP relay
 *                                              (a line per packet dropped or
 *                                              duplicated on stdout); with
 *                                              "reads", only downloads' DATA
 *                                              and ACKs are harmed
 *
 * NAME may contain \xHH escapes (for NUL and control bytes).  The relay uses
 * a seeded generator, so a failing run can be repeated.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static uint64_t	rng_state;

static uint32_t
rng(void)
{
	rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
	return (rng_state >> 33);
}

static struct sockaddr_in
addr(const char *host, const char *port)
{
	struct sockaddr_in	sin;

	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_port = htons(atoi(port));
	if (inet_pton(AF_INET, host, &sin.sin_addr) != 1) {
		fprintf(stderr, "bad address %s\n", host);
		exit(2);
	}
	return (sin);
}

static size_t
unescape(const char *in, char *out)
{
	size_t		n = 0;
	unsigned	v;

	while (*in != '\0') {
		if (in[0] == '\\' && in[1] == 'x' && sscanf(in + 2, "%2x",
		    &v) == 1) {
			out[n++] = v;
			in += 4;
		} else
			out[n++] = *in++;
	}
	return (n);
}

static size_t
request(uint8_t *buf, int op, const char *name, const char *mode)
{
	size_t	n;

	buf[0] = 0;
	buf[1] = op;
	n = 2 + unescape(name, (char *)buf + 2);
	buf[n++] = '\0';
	strcpy((char *)buf + n, mode);
	n += strlen(mode) + 1;
	return (n);
}

static void	print_reply(uint8_t *, ssize_t);

static ssize_t
wait_recv(int fd, uint8_t *buf, size_t size, struct sockaddr_in *from,
    int ms)
{
	struct pollfd	pfd = { fd, POLLIN, 0 };
	socklen_t	len = sizeof *from;

	if (poll(&pfd, 1, ms) != 1)
		return (-1);
	return (recvfrom(fd, buf, size, 0, (struct sockaddr *)from, &len));
}

static int
probe(char **argv)
{
	struct sockaddr_in	srv = addr(argv[0], argv[1]), from;
	uint8_t			buf[70000];
	size_t			n;
	ssize_t			got;
	int			fd = socket(AF_INET, SOCK_DGRAM, 0);

	n = request(buf, atoi(argv[2]), argv[3], argv[4] != NULL ? argv[4] :
	    "octet");
	sendto(fd, buf, n, 0, (struct sockaddr *)&srv, sizeof srv);
	if ((got = wait_recv(fd, buf, sizeof buf - 1, &from, 3000)) < 4) {
		printf("nothing\n");
		return (1);
	}
	print_reply(buf, got);
	return (0);
}

static int
abandon(char **argv)
{
	struct sockaddr_in	srv = addr(argv[0], argv[1]), from;
	uint8_t			buf[70000];
	int			fd = socket(AF_INET, SOCK_DGRAM, 0);
	int			blocks = 0, want = atoi(argv[3]);
	size_t			n;
	ssize_t			got;

	n = request(buf, 1, argv[2], "octet");
	sendto(fd, buf, n, 0, (struct sockaddr *)&srv, sizeof srv);
	while (blocks < want) {
		if ((got = wait_recv(fd, buf, sizeof buf, &from, 3000)) < 4)
			return (1);
		if (buf[1] != 3)
			return (1);
		blocks++;
		buf[1] = 4;
		sendto(fd, buf, 4, 0, (struct sockaddr *)&from, sizeof from);
	}
	/* Silent, port still open: the server must notice by itself. */
	while (wait_recv(fd, buf, sizeof buf, &from, 8000) > 0)
		;
	return (0);
}

/* Print a reply as probe does. */
static void
print_reply(uint8_t *buf, ssize_t got)
{
	buf[got] = '\0';
	if (buf[1] == 5)
		printf("ERROR %d %s\n", (buf[2] << 8) | buf[3], buf + 4);
	else
		printf("OPCODE %d BLOCK %d LEN %zd\n", buf[1],
		    (buf[2] << 8) | buf[3], got - 4);
	fflush(stdout);
}

/*
 * A client that asks for another file while its download goes on: the
 * server must judge that download by what was acknowledged then.
 */
static int
side(char **argv)
{
	struct sockaddr_in	srv = addr(argv[0], argv[1]), from, other;
	static uint8_t		buf[70000];
	int			fd = socket(AF_INET, SOCK_DGRAM, 0);
	int			fd2 = socket(AF_INET, SOCK_DGRAM, 0);
	int			blocks = 0, want = atoi(argv[3]), asked = 0;
	uint64_t		bytes = 0;
	size_t			n;
	ssize_t			got;

	n = request(buf, 1, argv[2], "octet");
	sendto(fd, buf, n, 0, (struct sockaddr *)&srv, sizeof srv);
	for (;;) {
		if ((got = wait_recv(fd, buf, sizeof buf, &from, 3000)) < 4 ||
		    buf[1] != 3)
			return (1);
		if (((buf[2] << 8) | buf[3]) == ((blocks + 1) & 0xffff)) {
			blocks++;
			bytes += got - 4;
		}
		buf[1] = 4;
		sendto(fd, buf, 4, 0, (struct sockaddr *)&from, sizeof from);
		if (got - 4 < 512)
			break;
		if (blocks == want && !asked) {
			asked = 1;
			n = request(buf, 1, argv[4], "octet");
			sendto(fd2, buf, n, 0, (struct sockaddr *)&srv,
			    sizeof srv);
			if ((got = wait_recv(fd2, buf, sizeof buf - 1, &other,
			    3000)) < 4)
				printf("side: nothing\n");
			else
				print_reply(buf, got);
		}
	}
	printf("complete %llu\n", (unsigned long long)bytes);
	return (0);
}

static int
flood(char **argv)
{
	struct sockaddr_in	srv = addr(argv[0], argv[1]);
	struct sockaddr_in	src = addr(argv[2], "0");
	uint8_t			buf[512];
	int			fds[64], i, sent = 0;
	time_t			end = time(NULL) + atoi(argv[3]);
	size_t			n;

	for (i = 0; i < 64; i++) {
		fds[i] = socket(AF_INET, SOCK_DGRAM, 0);
		if (bind(fds[i], (struct sockaddr *)&src, sizeof src) != 0)
			return (1);
	}
	n = request(buf, 1, argv[4] != NULL ? argv[4] : "big.bin", "octet");
	while (time(NULL) < end) {
		for (i = 0; i < 64; i++) {
			sendto(fds[i], buf, n, MSG_DONTWAIT,
			    (struct sockaddr *)&srv, sizeof srv);
			sent++;
		}
		usleep(1000);
	}
	printf("%d\n", sent);
	return (0);
}

/* One held-back packet, for reordering. */
struct held {
	int			 fd;
	struct sockaddr_in	 to;
	uint8_t			 buf[70000];
	ssize_t			 len;
};

static void
forward(struct held *h, int fd, const struct sockaddr_in *to,
    const uint8_t *buf, ssize_t len, int drop, int dup, int reorder)
{
	if (drop < 0) {		/* not a packet to harm: straight on */
		sendto(fd, buf, len, 0, (const struct sockaddr *)to,
		    sizeof *to);
		return;
	}
	if ((int)(rng() % 100) < drop) {
		puts("dropped");	/* so a test can tell the loss was real */
		fflush(stdout);
		return;
	}
	if (h->len == 0 && (int)(rng() % 100) < reorder) {
		h->fd = fd;
		h->to = *to;
		memcpy(h->buf, buf, len);
		h->len = len;
		return;
	}
	sendto(fd, buf, len, 0, (const struct sockaddr *)to, sizeof *to);
	if ((int)(rng() % 100) < dup) {
		sendto(fd, buf, len, 0, (const struct sockaddr *)to,
		    sizeof *to);
		puts("duplicated");
		fflush(stdout);
	}
	if (h->len > 0) {
		sendto(h->fd, h->buf, h->len, 0, (struct sockaddr *)&h->to,
		    sizeof h->to);
		h->len = 0;
	}
}

/*
 * Client side: a socket on PORT.  Server side: one socket per client
 * address, towards the server's port, then the transfer's port once it has
 * answered (requests always go to the listening port).
 */
static int
relay(char **argv)
{
	struct sockaddr_in	 any = addr("0.0.0.0", argv[0]);
	struct sockaddr_in	 srv = addr(argv[1], argv[2]);
	struct sockaddr_in	 client, tid, from;
	static struct held	 h;
	static uint8_t		 buf[70000];
	struct pollfd		 pfd[2];
	int			 drop = atoi(argv[4]), dup = atoi(argv[5]);
	int			 reorder = atoi(argv[6]), have_tid = 0;
	int			 reads = argv[7] != NULL &&
				    strcmp(argv[7], "reads") == 0;
	socklen_t		 len;
	ssize_t			 n;

	rng_state = strtoull(argv[3], NULL, 10);
	pfd[0].fd = socket(AF_INET, SOCK_DGRAM, 0);
	pfd[1].fd = socket(AF_INET, SOCK_DGRAM, 0);
	pfd[0].events = pfd[1].events = POLLIN;
	if (bind(pfd[0].fd, (struct sockaddr *)&any, sizeof any) != 0)
		return (1);
	memset(&client, 0, sizeof client);
	for (;;) {
		if (poll(pfd, 2, h.len > 0 ? 20 : -1) == 0) {
			/* Nothing followed the held packet: let it go. */
			sendto(h.fd, h.buf, h.len, 0,
			    (struct sockaddr *)&h.to, sizeof h.to);
			h.len = 0;
			continue;
		}
		if (pfd[0].revents & POLLIN) {
			len = sizeof from;
			n = recvfrom(pfd[0].fd, buf, sizeof buf, 0,
			    (struct sockaddr *)&from, &len);
			if (n >= 2 && (buf[1] == 1 || buf[1] == 2)) {
				/* A new request: a new transfer. */
				if (client.sin_port != from.sin_port) {
					close(pfd[1].fd);
					pfd[1].fd = socket(AF_INET,
					    SOCK_DGRAM, 0);
					have_tid = 0;
				}
				client = from;
				sendto(pfd[1].fd, buf, n, 0,
				    (struct sockaddr *)&srv, sizeof srv);
			} else if (n > 0 && have_tid)
				forward(&h, pfd[1].fd, &tid, buf, n,
				    reads && buf[1] != 4 ? -1 : drop, dup,
				    reorder);
		}
		if (pfd[1].revents & POLLIN) {
			len = sizeof from;
			n = recvfrom(pfd[1].fd, buf, sizeof buf, 0,
			    (struct sockaddr *)&from, &len);
			if (n > 0) {
				tid = from;
				have_tid = 1;
				forward(&h, pfd[0].fd, &client, buf, n,
				    reads && buf[1] != 3 ? -1 : drop, dup,
				    reorder);
			}
		}
	}
}

int
main(int argc, char **argv)
{
	if (argc >= 6 && strcmp(argv[1], "probe") == 0)
		return (probe(argv + 2));
	if (argc == 6 && strcmp(argv[1], "abandon") == 0)
		return (abandon(argv + 2));
	if (argc == 7 && strcmp(argv[1], "side") == 0)
		return (side(argv + 2));
	if (argc >= 6 && strcmp(argv[1], "flood") == 0)
		return (flood(argv + 2));
	if ((argc == 9 || (argc == 10 && strcmp(argv[9], "reads") == 0)) &&
	    strcmp(argv[1], "relay") == 0)
		return (relay(argv + 2));
	fprintf(stderr, "usage: see the comment at the top of tftp-tool.c\n");
	return (2);
}
