/*
 * A phone reading an image's header over HTTP, for tests/serve-lib.sh:
 *
 *   header-tool SRCIP PORT NAME USER-AGENT
 *
 * GET http://127.0.0.1:PORT/NAME from SRCIP, read the response headers and
 * the first 512 bytes of the body, then close at once: what a phone that
 * already runs the image does.  (curl cannot stop after 512 bytes: it
 * either aborts before any body arrives or reads on.)
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int
main(int argc, char **argv)
{
	struct sockaddr_in	src, dst;
	char			req[1024], buf[8192], *body;
	size_t			have = 0;
	ssize_t			n;
	int			fd;

	if (argc != 5) {
		fprintf(stderr, "usage: header-tool SRCIP PORT NAME UA\n");
		return (2);
	}
	fd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&src, 0, sizeof src);
	src.sin_family = AF_INET;
	inet_pton(AF_INET, argv[1], &src.sin_addr);
	memset(&dst, 0, sizeof dst);
	dst.sin_family = AF_INET;
	dst.sin_port = htons(atoi(argv[2]));
	inet_pton(AF_INET, "127.0.0.1", &dst.sin_addr);
	if (bind(fd, (struct sockaddr *)&src, sizeof src) != 0 ||
	    connect(fd, (struct sockaddr *)&dst, sizeof dst) != 0) {
		perror("header-tool");
		return (1);
	}
	snprintf(req, sizeof req, "GET /%s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
	    "User-Agent: %s\r\n\r\n", argv[3], argv[4]);
	if (write(fd, req, strlen(req)) != (ssize_t)strlen(req))
		return (1);
	while (have < sizeof buf - 1) {
		if ((n = read(fd, buf + have, sizeof buf - 1 - have)) <= 0)
			return (1);
		have += n;
		buf[have] = '\0';
		if ((body = strstr(buf, "\r\n\r\n")) != NULL &&
		    have - (body + 4 - buf) >= 512)
			break;
	}
	close(fd);
	return (0);
}
