/*
 * A small syslog flooder for tests/integration/syslog-flood.sh:
 *
 *   syslog-flood PORT FIRST NSRC COUNT [WORD]
 *
 * sends COUNT datagrams from each of NSRC loopback addresses (127.0.FIRST.1
 * upwards; FIRST may instead be one dotted address, with NSRC 1) to
 * 127.0.0.1:PORT, round-robin, each a syslog line carrying WORD
 * (e.g. a phone's MAC) when given.  A pause of a millisecond every 8
 * datagrams keeps the kernel's receive buffer from dropping most of them:
 * the test is about what the daemon does with what reaches it.  Prints the
 * number of datagrams sent.
 */
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int
main(int argc, char **argv)
{
	struct sockaddr_in	 to, from;
	struct in_addr		 one;
	struct timespec		 pause = { 0, 1000000 };
	char			 line[256];
	unsigned long		 sent = 0;
	int			*fds, port, first, nsrc, count, i, k, n;

	if (argc < 5 || argc > 6) {
		fprintf(stderr, "usage: syslog-flood PORT FIRST NSRC COUNT "
		    "[WORD]\n");
		return (2);
	}
	port = atoi(argv[1]);
	first = atoi(argv[2]);
	nsrc = atoi(argv[3]);
	count = atoi(argv[4]);
	if (strchr(argv[2], '.') != NULL) {
		if (nsrc != 1 || inet_pton(AF_INET, argv[2], &one) != 1)
			return (2);
		first = 1;
	} else
		one.s_addr = 0;
	if (nsrc < 1 || nsrc > 250 || first < 1 || first > 254)
		return (2);
	fds = calloc((size_t)nsrc, sizeof *fds);
	memset(&to, 0, sizeof to);
	to.sin_family = AF_INET;
	to.sin_port = htons((uint16_t)port);
	to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	for (i = 0; i < nsrc; i++) {
		memset(&from, 0, sizeof from);
		from.sin_family = AF_INET;
		from.sin_addr.s_addr = one.s_addr != 0 ? one.s_addr :
		    htonl(0x7f000000u | ((unsigned)first << 8) |
		    (unsigned)(i + 1));
		if ((fds[i] = socket(AF_INET, SOCK_DGRAM, 0)) == -1 ||
		    bind(fds[i], (struct sockaddr *)&from, sizeof from) == -1) {
			perror("syslog-flood: socket");
			return (1);
		}
	}
	for (k = 0; k < count; k++) {
		for (i = 0; i < nsrc; i++) {
			n = snprintf(line, sizeof line, "<134>Dec  6 03:00:00 "
			    "%s flood: line %d from source %d", argc > 5 ?
			    argv[5] : "-", k, i);
			if (sendto(fds[i], line, (size_t)n, 0,
			    (struct sockaddr *)&to, sizeof to) == n)
				sent++;
			if (sent % 8 == 0)
				nanosleep(&pause, NULL);
		}
	}
	printf("%lu\n", sent);
	return (0);
}
