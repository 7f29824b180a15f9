/*
 * HTTP request handling: arbitrary bytes from a client connection through
 * evhttp, our request callback (path decoding, path checks, GET/HEAD/PUT)
 * and the upload quarantine.  Each input is one TCP connection on loopback.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "http.h"
#include "library.h"
#include "library-internal.h"
#include "log.h"
#include "upload.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static struct event_base	*base;
static struct http_server	*srv;
static int			 lfd = -1;
static struct sockaddr_in	 lsin;

static int
resolve(void *arg, const struct http_request_info *req, struct http_content *c,
    char **cause)
{
	static const char	body[] = "<APPLICATION/>\n";

	if (strcmp(req->name, "0004f2000001.cfg") == 0) {
		c->buf = body;
		c->size = sizeof body - 1;
		return (200);
	}
	*cause = strdup("not found");
	return (404);
}

static char			 upload_dir[] = "/tmp/fuzz-http.XXXXXX";

/* The uploads of every input go when the fuzzer exits. */
static void
cleanup(void)
{
	library_remove_tree(upload_dir);
}

static void
init(void)
{
	struct http_config	 cfg;
	struct http_hooks	 hooks = { resolve, NULL, NULL, NULL, NULL };
	struct upload_store	*up;
	char			*cause = NULL;
	socklen_t		 slen = sizeof lsin;

	log_open(fopen("/dev/null", "w"), LOG_LEVEL_ERROR);
	if (mkdtemp(upload_dir) == NULL)
		abort();
	atexit(cleanup);
	up = upload_store_open(upload_dir, UPLOAD_PHONE_FILES, 65536, &cause);
	base = event_base_new();
	http_config_defaults(&cfg);
	cfg.listen = "127.0.0.1";
	cfg.port = 0;
	cfg.uploads = up;
	cfg.max_upload = 65536;
	if ((srv = http_server_start(base, &cfg, &hooks, &cause)) == NULL)
		abort();
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&lsin, 0, sizeof lsin);
	lsin.sin_family = AF_INET;
	lsin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(lfd, (struct sockaddr *)&lsin, sizeof lsin) != 0 ||
	    listen(lfd, 16) != 0 ||
	    getsockname(lfd, (struct sockaddr *)&lsin, &slen) != 0)
		abort();
	evutil_make_socket_nonblocking(lfd);
	if (http_server_add_listener(srv, lfd) != 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char			 buf[65536];
	int			 cfd, i;

	if (base == NULL)
		init();
	if (size > 32768)
		return (0);
	cfd = socket(AF_INET, SOCK_STREAM, 0);
	if (connect(cfd, (struct sockaddr *)&lsin, sizeof lsin) != 0)
		abort();
	fcntl(cfd, F_SETFL, O_NONBLOCK);
	if (size > 0 && write(cfd, data, size) < 0)
		abort();
	shutdown(cfd, SHUT_WR);
	for (i = 0; i < 20; i++) {
		event_base_loop(base, EVLOOP_NONBLOCK);
		while (read(cfd, buf, sizeof buf) > 0)
			;
	}
	close(cfd);
	for (i = 0; i < 5; i++)
		event_base_loop(base, EVLOOP_NONBLOCK);
	return (0);
}
