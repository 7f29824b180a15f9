/*
 * tftp-floor: a yardstick for bench-tftp.sh, not a server.  It does the
 * least any TFTP sender can do per block for a stop-and-wait client: one
 * blocking recv of the ACK and one send of the next DATA, from a file mapped
 * in memory, in a process of its own per transfer (as in.tftpd).  No
 * timeouts, no retransmission, no name checks, no logging, no write
 * requests: it serves the files it was given (each by its base name) to
 * clients on loopback and nothing else.
 * Measured in the same run as the real servers, its CPU per GB is the floor
 * under every design that answers one ACK with one DATA.
 *
 * With --uring each block is one system call instead of two: the DATA's
 * send and the next ACK's receive go to the kernel together in one
 * io_uring_enter(), which returns when the ACK is in.  No design can make
 * fewer calls per block; the latency bench runs it to show where that
 * leaves the floor.
 *
 *   tftp-floor [--uring] PORT FILE...
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <liburing.h>

enum { OP_DATA = 3, OP_ACK = 4, OP_OACK = 6, MAX_BLKSIZE = 65464 };

#define MAX_FILES 8

static struct { const char *name; const unsigned char *data; size_t size; }
	files[MAX_FILES];
static size_t nfiles;
static const unsigned char *file_data;	/* the requested one, in a child */
static size_t file_size;
static int use_uring;
static struct io_uring ring;

/* Appends "name\0value\0" to an OACK; returns the new length. */
static size_t oack_option(char *oack, size_t len, const char *name, size_t value)
{
	len += (size_t)sprintf(oack + len, "%s", name) + 1;
	len += (size_t)sprintf(oack + len, "%zu", value) + 1;
	return len;
}

/* Waits for the ACK of `block` (mod 2^16); anything else is skipped.  A
 * silent client for 5 s ends the transfer: the yardstick never retransmits. */
static int wait_ack(int sock, unsigned block)
{
	unsigned char ack[516];

	for (;;) {
		ssize_t n = recv(sock, ack, sizeof ack, 0);
		if (n < 0)
			return -1;
		if (n >= 4 && ack[1] == OP_ACK &&
		    (unsigned)(ack[2] << 8 | ack[3]) == (block & 0xffff))
			return 0;
	}
}

/* Sends packet and waits for the ACK of `block`, in one io_uring_enter()
 * when nothing else arrives first. */
static int send_wait_ack(int sock, const unsigned char *packet, size_t len,
			 unsigned block)
{
	unsigned char ack[516];
	struct __kernel_timespec idle = { .tv_sec = 5 };
	struct io_uring_sqe *sqe;
	struct io_uring_cqe *cqe;
	int sent = -1, got = -1;

	if (!use_uring)
		return send(sock, packet, len, 0) < 0 ? -1 : wait_ack(sock, block);
	sqe = io_uring_get_sqe(&ring);
	io_uring_prep_send(sqe, sock, packet, len, 0);
	io_uring_sqe_set_data64(sqe, 1);
	sqe = io_uring_get_sqe(&ring);
	io_uring_prep_recv(sqe, sock, ack, sizeof ack, 0);
	io_uring_sqe_set_data64(sqe, 2);
	/* Both in, or a silent client for 5 s ends it (as SO_RCVTIMEO). */
	if (io_uring_submit_and_wait_timeout(&ring, &cqe, 2, &idle, NULL) < 0)
		return -1;
	while (sent < 0 || got < 0) {
		if (io_uring_peek_cqe(&ring, &cqe) != 0)
			return -1;
		if (io_uring_cqe_get_data64(cqe) == 1)
			sent = cqe->res >= 0;
		else
			got = cqe->res;
		io_uring_cqe_seen(&ring, cqe);
	}
	if (!sent || got < 0)
		return -1;
	if (got >= 4 && ack[1] == OP_ACK &&
	    (unsigned)(ack[2] << 8 | ack[3]) == (block & 0xffff))
		return 0;
	return wait_ack(sock, block);	/* something else came first */
}

static void send_file(const struct sockaddr_in *peer, char *req, size_t len)
{
	struct sockaddr_in local = { .sin_family = AF_INET,
				     .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct timeval idle = { .tv_sec = 5 };
	static unsigned char packet[4 + MAX_BLKSIZE];
	char oack[128] = { 0, OP_OACK };
	size_t oack_len = 2, blksize = 512;
	int sock = socket(AF_INET, SOCK_DGRAM, 0);

	if (sock < 0 || bind(sock, (void *)&local, sizeof local) < 0 ||
	    connect(sock, (const void *)peer, sizeof *peer) < 0)
		return;
	setsockopt(sock, SOL_SOCKET, SO_RCVTIMEO, &idle, sizeof idle);

	/* opcode, file name, mode, then option pairs */
	char *p = req + 2, *end = req + len;
	p += strlen(p) + 1;
	p += strlen(p) + 1;
	while (p < end) {
		const char *name = p;
		p += strlen(p) + 1;
		if (p >= end)
			break;
		const char *value = p;
		p += strlen(p) + 1;
		if (strcasecmp(name, "blksize") == 0) {
			blksize = strtoul(value, NULL, 10);
			if (blksize < 8 || blksize > MAX_BLKSIZE)
				blksize = 512;
			oack_len = oack_option(oack, oack_len, "blksize", blksize);
		} else if (strcasecmp(name, "tsize") == 0) {
			oack_len = oack_option(oack, oack_len, "tsize", file_size);
		}
	}
	if (oack_len > 2 && (send(sock, oack, oack_len, 0) < 0 || wait_ack(sock, 0) < 0))
		goto out;

	/* The last block is short, empty when the size is a multiple. */
	for (size_t offset = 0, block = 1;; offset += blksize, block++) {
		size_t n = offset + blksize <= file_size ? blksize : file_size - offset;
		packet[0] = 0;
		packet[1] = OP_DATA;
		packet[2] = (unsigned char)(block >> 8);
		packet[3] = (unsigned char)block;
		memcpy(packet + 4, file_data + offset, n);
		if (send_wait_ack(sock, packet, 4 + n, (unsigned)block) < 0)
			break;
		if (n < blksize)
			break;
	}
out:
	close(sock);
}

int main(int argc, char **argv)
{
	struct stat st;
	int fd;

	if (argc == 4 && strcmp(argv[1], "--uring") == 0) {
		use_uring = 1;
		argv++;
		argc--;
	}
	if (argc < 3 || argc > 2 + MAX_FILES) {
		fprintf(stderr, "usage: tftp-floor [--uring] PORT FILE...\n");
		return 2;
	}
	for (int i = 2; i < argc; i++) {
		const char *slash = strrchr(argv[i], '/');

		fd = open(argv[i], O_RDONLY);
		if (fd < 0 || fstat(fd, &st) < 0 || st.st_size == 0) {
			fprintf(stderr, "tftp-floor: %s: %s\n", argv[i],
				fd < 0 ? strerror(errno) : "empty or unreadable");
			return 1;
		}
		files[nfiles].name = slash != NULL ? slash + 1 : argv[i];
		files[nfiles].size = (size_t)st.st_size;
		files[nfiles].data = mmap(NULL, files[nfiles].size, PROT_READ,
					  MAP_PRIVATE | MAP_POPULATE, fd, 0);
		if (files[nfiles].data == MAP_FAILED) {
			perror("tftp-floor: mmap");
			return 1;
		}
		close(fd);
		nfiles++;
	}

	struct sockaddr_in addr = { .sin_family = AF_INET,
				    .sin_port = htons((unsigned short)atoi(argv[1])),
				    .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int listener = socket(AF_INET, SOCK_DGRAM, 0);
	if (listener < 0 || bind(listener, (void *)&addr, sizeof addr) < 0) {
		perror("tftp-floor: bind");
		return 1;
	}
	signal(SIGCHLD, SIG_IGN);	/* children reap themselves */
	for (;;) {
		char req[600];
		struct sockaddr_in peer;
		socklen_t peer_len = sizeof peer;
		ssize_t n = recvfrom(listener, req, sizeof req - 1, 0, (void *)&peer, &peer_len);

		if (n < 4 || req[1] != 1)	/* read requests only */
			continue;
		req[n] = '\0';
		file_data = NULL;
		for (size_t i = 0; i < nfiles; i++)
			if (strcmp(req + 2, files[i].name) == 0) {
				file_data = files[i].data;
				file_size = files[i].size;
			}
		if (file_data == NULL)	/* not one of ours: no answer */
			continue;
		if (fork() == 0) {
			/* A ring of the child's own, made after the fork. */
			if (use_uring && io_uring_queue_init(4, &ring, 0) < 0) {
				fprintf(stderr, "tftp-floor: io_uring unavailable\n");
				_exit(1);
			}
			send_file(&peer, req, (size_t)n);
			_exit(0);
		}
	}
}
