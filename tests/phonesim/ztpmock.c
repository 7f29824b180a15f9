/*
 * The mock ZTP endpoint: a small TLS server (OpenSSL) that answers any
 * HTTPS request with a short body and appends one line per arrival to its
 * log: "<unix time> <mac> <user agent>".  The MAC comes from the request
 * path or from "(SN:<mac>)" in the User-Agent.  A failed handshake (a phone
 * refusing the chain) is logged as a "#" line.  Each connection has its own
 * thread and a short timeout, so a slow phone holds up nobody.
 */
#include <sys/socket.h>
#include <sys/time.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "phonesim.h"

struct ztp_conn {
	SSL_CTX		*ctx;
	int		 fd;
	FILE		*log;
};

static volatile sig_atomic_t	ztp_mock_stop;
static pthread_mutex_t		ztp_mock_mutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t		ztp_mock_idle = PTHREAD_COND_INITIALIZER;
static int			ztp_mock_active;

static void	ztp_mock_signal(int);
static int	ztp_mock_listen(const char *, char **);
static void	ztp_mock_serve(SSL_CTX *, int, FILE *);
static void	*ztp_mock_thread(void *);
static void	ztp_mock_log(FILE *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
static int	ztp_mock_mac(const char *, char *);

static void
ztp_mock_signal(int sig)
{
	ztp_mock_stop = 1;
}

static void
ztp_mock_log(FILE *log, const char *fmt, ...)
{
	va_list	ap;

	pthread_mutex_lock(&ztp_mock_mutex);
	va_start(ap, fmt);
	vfprintf(log, fmt, ap);
	va_end(ap);
	fflush(log);
	pthread_mutex_unlock(&ztp_mock_mutex);
}

static void *
ztp_mock_thread(void *arg)
{
	struct ztp_conn	*c = arg;

	ztp_mock_serve(c->ctx, c->fd, c->log);
	close(c->fd);
	free(c);
	/*
	 * OpenSSL's per-thread state goes now, not when the detached thread
	 * has exited: the main thread may return before that on SIGTERM.
	 */
	OPENSSL_thread_stop();
	pthread_mutex_lock(&ztp_mock_mutex);
	if (--ztp_mock_active == 0)
		pthread_cond_signal(&ztp_mock_idle);
	pthread_mutex_unlock(&ztp_mock_mutex);
	return (NULL);
}

static int
ztp_mock_listen(const char *spec, char **cause)
{
	struct sockaddr_in	 sin;
	char			*host, *colon;
	int			 fd, one = 1;
	long			 port;

	host = sim_strdup(spec);
	if ((colon = strrchr(host, ':')) == NULL) {
		sim_asprintf(cause, "--listen %s: want ADDRESS:PORT", spec);
		free(host);
		return (-1);
	}
	*colon = '\0';
	port = strtol(colon + 1, NULL, 10);
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	if (port < 1 || port > 65535 ||
	    inet_pton(AF_INET, host, &sin.sin_addr) != 1) {
		sim_asprintf(cause, "--listen %s: want an IPv4 ADDRESS:PORT",
		    spec);
		free(host);
		return (-1);
	}
	free(host);
	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		sim_fatalx("socket: %s", strerror(errno));
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (bind(fd, (struct sockaddr *)&sin, sizeof sin) != 0 ||
	    listen(fd, 128) != 0) {
		sim_asprintf(cause, "cannot listen on %s: %s", spec,
		    strerror(errno));
		close(fd);
		return (-1);
	}
	return (fd);
}

/* The first run of 12 hex digits after a '/' or "SN:"; lower case. */
static int
ztp_mock_mac(const char *s, char *mac)
{
	const char	*p;
	int		 i;

	for (p = s; *p != '\0'; p++) {
		if (p != s && p[-1] != '/' && p[-1] != ':')
			continue;
		for (i = 0; i < SIM_MAC_LEN && isxdigit((unsigned char)p[i]);
		    i++)
			mac[i] = (char)tolower((unsigned char)p[i]);
		if (i == SIM_MAC_LEN && !isxdigit((unsigned char)p[i])) {
			mac[i] = '\0';
			return (0);
		}
	}
	return (-1);
}

static void
ztp_mock_serve(SSL_CTX *ctx, int fd, FILE *log)
{
	struct timeval	 tv = { 5, 0 };
	SSL		*ssl;
	char		 req[8192], mac[SIM_MAC_LEN + 1], *path, *ua, *eol, *sn;
	char		*esc, *body, *resp;
	size_t		 len = 0;
	int		 n;
	unsigned long	 err;

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
	ssl = SSL_new(ctx);
	SSL_set_fd(ssl, fd);
	if (SSL_accept(ssl) != 1) {
		err = ERR_get_error();
		ztp_mock_log(log, "# %lld handshake failed: %s\n",
		    (long long)time(NULL), err != 0 ?
		    ERR_reason_error_string(err) : "connection closed");
		ERR_clear_error();
		SSL_free(ssl);
		return;
	}
	while (len < sizeof req - 1) {
		if ((n = SSL_read(ssl, req + len, sizeof req - 1 - len)) <= 0)
			break;
		len += n;
		req[len] = '\0';
		if (strstr(req, "\r\n\r\n") != NULL)
			break;
	}
	req[len] = '\0';
	path = req;
	if ((eol = strstr(req, "\r\n")) != NULL)
		*eol = '\0';
	ua = NULL;
	if (eol != NULL && (ua = strcasestr(eol + 2, "\r\nUser-Agent:")) ==
	    NULL && strncasecmp(eol + 2, "User-Agent:", 11) == 0)
		ua = eol;
	if (ua != NULL) {
		ua += 13;
		while (*ua == ' ')
			ua++;
		if ((eol = strstr(ua, "\r\n")) != NULL)
			*eol = '\0';
	}
	if (ztp_mock_mac(path, mac) != 0 &&
	    (ua == NULL || (sn = strstr(ua, "(SN:")) == NULL ||
	    ztp_mock_mac(sn + 1, mac) != 0))
		snprintf(mac, sizeof mac, "unknown");
	esc = ua != NULL ? sim_escape(ua, strlen(ua)) : sim_strdup("-");
	ztp_mock_log(log, "%lld %s %s\n", (long long)time(NULL), mac, esc);
	free(esc);
	sim_asprintf(&body, "ZTP mock: hello %s\n", mac);
	n = sim_asprintf(&resp, "HTTP/1.1 200 OK\r\nContent-Type: text/plain"
	    "\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n%s",
	    strlen(body), body);
	SSL_write(ssl, resp, n);
	SSL_shutdown(ssl);
	free(body);
	free(resp);
	SSL_free(ssl);
}

int
cmd_ztp_mock(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "cert", required_argument, NULL, 'c' },
		{ "key", required_argument, NULL, 'k' },
		{ "log", required_argument, NULL, 'L' },
		{ NULL, 0, NULL, 0 }
	};
	struct sigaction	 sa;
	struct pollfd		 pfd;
	const char		*listen_on = NULL, *cert = NULL, *key = NULL;
	const char		*logpath = NULL;
	SSL_CTX			*ctx;
	FILE			*log;
	char			*cause;
	struct ztp_conn		*conn;
	pthread_attr_t		 attr;
	pthread_t		 t;
	int			 ch, lfd, fd;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 'l':
			listen_on = optarg;
			break;
		case 'c':
			cert = optarg;
			break;
		case 'k':
			key = optarg;
			break;
		case 'L':
			logpath = optarg;
			break;
		default:
			goto usage;
		}
	}
	if (optind != argc || listen_on == NULL || cert == NULL ||
	    key == NULL || logpath == NULL)
		goto usage;

	if ((ctx = SSL_CTX_new(TLS_server_method())) == NULL)
		sim_fatalx("SSL_CTX_new failed");
	/* A SHA-1 chain must be servable for the refusal tests. */
	SSL_CTX_set_security_level(ctx, 0);
	if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1 ||
	    SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_check_private_key(ctx) != 1) {
		fprintf(stderr, "phonesim ztp-mock: cannot use %s and %s: %s\n",
		    cert, key, ERR_reason_error_string(ERR_get_error()));
		SSL_CTX_free(ctx);
		return (1);
	}
	if ((log = fopen(logpath, "a")) == NULL) {
		fprintf(stderr, "phonesim ztp-mock: cannot write %s: %s\n",
		    logpath, strerror(errno));
		SSL_CTX_free(ctx);
		return (1);
	}
	if ((lfd = ztp_mock_listen(listen_on, &cause)) == -1) {
		fprintf(stderr, "phonesim ztp-mock: %s\n", cause);
		free(cause);
		fclose(log);
		SSL_CTX_free(ctx);
		return (1);
	}
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = ztp_mock_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	fprintf(stderr, "phonesim ztp-mock: listening on %s\n", listen_on);

	while (!ztp_mock_stop) {
		pfd.fd = lfd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, 200) <= 0)
			continue;
		if ((fd = accept(lfd, NULL, NULL)) == -1)
			continue;
		conn = sim_malloc(sizeof *conn);
		conn->ctx = ctx;
		conn->fd = fd;
		conn->log = log;
		pthread_attr_init(&attr);
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
		pthread_mutex_lock(&ztp_mock_mutex);
		ztp_mock_active++;
		pthread_mutex_unlock(&ztp_mock_mutex);
		if (pthread_create(&t, &attr, ztp_mock_thread, conn) != 0) {
			ztp_mock_thread(conn);
		}
		pthread_attr_destroy(&attr);
	}
	close(lfd);
	/* Connections in flight end within their timeouts. */
	pthread_mutex_lock(&ztp_mock_mutex);
	while (ztp_mock_active > 0)
		pthread_cond_wait(&ztp_mock_idle, &ztp_mock_mutex);
	pthread_mutex_unlock(&ztp_mock_mutex);
	fclose(log);
	SSL_CTX_free(ctx);
	return (0);

usage:
	fprintf(stderr, "usage: phonesim ztp-mock --listen ADDR:PORT --cert "
	    "PEM --key PEM --log FILE\n");
	return (2);
}
