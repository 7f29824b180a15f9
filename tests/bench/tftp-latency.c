/*
 * tftp-latency: a stop-and-wait TFTP client for bench-tftp.sh that measures
 * what a server adds to every block.  For each block it takes the time just
 * before it sends the ACK and the kernel's receive timestamp of the DATA
 * that answers it (SO_TIMESTAMPNS), so the client's own wake-up is not
 * counted: what remains is the server's turnaround plus loopback, measured
 * the same way for every server.  Prints, in microseconds:
 *
 *   p50 p90 p99 max blocks
 *
 * over every block but the first (ACK 0 or the RRQ answer includes the
 * server's set-up).
 *
 *   tftp-latency PORT FILE BLKSIZE
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

enum { OP_RRQ = 1, OP_DATA = 3, OP_ACK = 4, OP_ERROR = 5, OP_OACK = 6 };

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

static uint64_t ns(const struct timespec *ts)
{
	return (uint64_t)ts->tv_sec * 1000000000u + (uint64_t)ts->tv_nsec;
}

/* One datagram and its kernel receive time; -1 on timeout or error. */
static ssize_t recv_stamped(int sock, unsigned char *buf, size_t size,
			    struct sockaddr_in *from, uint64_t *at)
{
	char control[CMSG_SPACE(sizeof(struct timespec))];
	struct iovec iov = { buf, size };
	struct msghdr msg = { .msg_name = from, .msg_namelen = sizeof *from,
			      .msg_iov = &iov, .msg_iovlen = 1,
			      .msg_control = control,
			      .msg_controllen = sizeof control };
	struct cmsghdr *c;
	struct timespec now;
	ssize_t n = recvmsg(sock, &msg, 0);

	if (n < 0)
		return -1;
	clock_gettime(CLOCK_REALTIME, &now);
	*at = ns(&now);
	for (c = CMSG_FIRSTHDR(&msg); c != NULL; c = CMSG_NXTHDR(&msg, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
			struct timespec ts;
			memcpy(&ts, CMSG_DATA(c), sizeof ts);
			*at = ns(&ts);
		}
	return n;
}

int main(int argc, char **argv)
{
	static unsigned char buf[65536];
	struct sockaddr_in srv = { .sin_family = AF_INET }, from;
	struct timeval idle = { .tv_sec = 5 };
	struct timespec sent_ts;
	uint32_t *lat = NULL;
	size_t nlat = 0, cap = 0, blksize, len;
	unsigned expect = 1;
	uint64_t sent = 0, at;
	int sock, on = 1, connected = 0;

	if (argc != 4) {
		fprintf(stderr, "usage: tftp-latency PORT FILE BLKSIZE\n");
		return 2;
	}
	blksize = strtoul(argv[3], NULL, 10);
	srv.sin_port = htons((unsigned short)atoi(argv[1]));
	srv.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sock = socket(AF_INET, SOCK_DGRAM, 0);
	if (sock < 0 || setsockopt(sock, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on) < 0 ||
	    setsockopt(sock, SOL_SOCKET, SO_RCVTIMEO, &idle, sizeof idle) < 0) {
		perror("tftp-latency: socket");
		return 1;
	}
	buf[0] = 0;
	buf[1] = OP_RRQ;
	len = 2;
	len += (size_t)sprintf((char *)buf + len, "%s", argv[2]) + 1;
	len += (size_t)sprintf((char *)buf + len, "octet") + 1;
	if (blksize != 512) {
		len += (size_t)sprintf((char *)buf + len, "blksize") + 1;
		len += (size_t)sprintf((char *)buf + len, "%zu", blksize) + 1;
	}
	if (sendto(sock, buf, len, 0, (void *)&srv, sizeof srv) < 0) {
		perror("tftp-latency: sendto");
		return 1;
	}
	for (;;) {
		unsigned char ack[4] = { 0, OP_ACK, 0, 0 };
		ssize_t n = recv_stamped(sock, buf, sizeof buf, &from, &at);
		unsigned op, block;

		if (n < 4) {
			fprintf(stderr, "tftp-latency: no answer\n");
			return 1;
		}
		if (!connected) {
			/* The server's transfer port from now on. */
			if (connect(sock, (void *)&from, sizeof from) < 0)
				return 1;
			connected = 1;
		}
		op = (unsigned)(buf[0] << 8 | buf[1]);
		block = (unsigned)(buf[2] << 8 | buf[3]);
		if (op == OP_ERROR) {
			fprintf(stderr, "tftp-latency: error %u\n", block);
			return 1;
		}
		if (op == OP_OACK) {
			block = 0;
			n = 4 + (ssize_t)blksize;	/* not the last */
		} else if (op != OP_DATA || block != (expect & 0xffff))
			continue;	/* a duplicate: stop-and-wait waits on */
		else {
			if (sent != 0 && expect > 1) {
				if (nlat == cap) {
					cap = cap ? 2 * cap : 65536;
					lat = realloc(lat, cap * sizeof *lat);
					if (lat == NULL)
						return 1;
				}
				lat[nlat++] = (uint32_t)(at - sent > UINT32_MAX ?
				    UINT32_MAX : at - sent);
			}
			expect++;
		}
		ack[2] = (unsigned char)(block >> 8);
		ack[3] = (unsigned char)block;
		clock_gettime(CLOCK_REALTIME, &sent_ts);
		sent = ns(&sent_ts);
		if (send(sock, ack, sizeof ack, 0) < 0)
			return 1;
		if (op == OP_DATA && (size_t)n < 4 + blksize)
			break;
	}
	if (nlat == 0) {
		fprintf(stderr, "tftp-latency: too short\n");
		return 1;
	}
	qsort(lat, nlat, sizeof *lat, cmp_u32);
	printf("%.1f %.1f %.1f %.1f %zu\n", lat[nlat / 2] / 1e3,
	       lat[nlat * 9 / 10] / 1e3, lat[nlat * 99 / 100] / 1e3,
	       lat[nlat - 1] / 1e3, nlat);
	free(lat);
	return 0;
}
